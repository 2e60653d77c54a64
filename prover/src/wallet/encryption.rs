//! A wallet file at rest: the wallet's plaintext (its seed and the credential
//! openings, all secret) encrypted with a passphrase in the age format
//! (age-encryption.org/v1, one scrypt recipient stanza, binary).
//!
//! The format is age's own, not ours, so any age implementation opens a
//! wallet file with its passphrase (`age -d wallet.json`): a holder is never
//! locked in, and the cryptography is age's reviewed construction, not ours.
//! age derives a key from the passphrase with scrypt (`N = 2^WORK_FACTOR`,
//! random salt), wraps a random file key with it, and encrypts the contents
//! with ChaCha20-Poly1305 in 64 KiB chunks under a key derived from that file
//! key; the header carries an HMAC under the file key. So the passphrase is
//! checked before any contents are released, and a file altered or cut short
//! anywhere fails to decrypt rather than yielding altered contents.

use std::io::Read;

use age::secrecy::{ExposeSecret, SecretString};
use zeroize::Zeroizing;

/// The scrypt work factor (`log2 N`) of every wallet file written here:
/// age's reference default for passphrases (`age -p`), about a second and
/// 256 MiB of memory per guess on a laptop.
pub const WORK_FACTOR: u8 = 18;

/// The highest work factor a wallet file may ask for when it is opened
/// (16 times [`WORK_FACTOR`]'s work): a file asking for more is refused
/// before any scrypt work, so a crafted file cannot make a wallet command
/// run for hours or exhaust memory.
pub const MAX_WORK_FACTOR: u8 = 22;

/// How every age file starts (its version line follows).
const AGE_MAGIC: &[u8] = b"age-encryption.org/";

/// A wallet file's passphrase. Never empty; zeroed on drop; `Debug` does
/// not show it.
#[derive(Clone)]
pub struct Passphrase(SecretString);

impl std::fmt::Debug for Passphrase {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("Passphrase").finish_non_exhaustive()
    }
}

impl Passphrase {
    /// Takes `passphrase` over (it is zeroed when the `Passphrase` is
    /// dropped); refuses an empty one.
    pub fn new(passphrase: String) -> Result<Self, WalletFileError> {
        if passphrase.is_empty() {
            return Err(WalletFileError::EmptyPassphrase);
        }
        Ok(Passphrase(SecretString::from(passphrase)))
    }

    /// Whether `other` is the same passphrase (a new wallet's passphrase is
    /// typed twice).
    pub fn matches(&self, other: &Passphrase) -> bool {
        self.0.expose_secret() == other.0.expose_secret()
    }
}

/// Why a wallet file was not encrypted or not opened.
#[derive(Debug, thiserror::Error)]
pub enum WalletFileError {
    /// An empty passphrase was given.
    #[error("the passphrase is empty")]
    EmptyPassphrase,
    /// The file is a wallet written before wallet files were encrypted:
    /// JSON with the seed and the openings in the clear.
    #[error("a plaintext wallet: its seed and credential openings are in the clear")]
    Plaintext,
    /// The file is neither an age file nor a plaintext wallet.
    #[error("not a wallet file (neither an encrypted wallet nor a plaintext one)")]
    NotAWallet,
    /// An age file, but encrypted to age keys rather than to a passphrase,
    /// or one whose recipient stanza was altered.
    #[error("an age file that is not encrypted to a passphrase (or whose header is corrupted)")]
    NotPassphraseEncrypted,
    /// The passphrase does not unwrap the file's key. A file whose scrypt
    /// stanza (salt or wrapped key) was altered looks the same: the two
    /// cannot be told apart.
    #[error("wrong passphrase")]
    WrongPassphrase,
    /// The file asks for more scrypt work than [`MAX_WORK_FACTOR`].
    #[error("the file asks for scrypt work factor {required}, more than the {MAX_WORK_FACTOR} a wallet file may ask for")]
    ExcessiveWork {
        /// The work factor the file's header names.
        required: u8,
    },
    /// An age file whose header does not parse or whose MAC does not match,
    /// or whose contents were altered or cut short.
    #[error("a corrupted wallet file: {0}")]
    Corrupted(#[source] Box<dyn std::error::Error + Send + Sync>),
    /// age could not encrypt (it writes to memory here, so in practice never).
    #[error("encrypting the wallet")]
    Encrypt(#[source] age::EncryptError),
}

/// Whether `bytes` are an age file (so, a wallet file written since wallet
/// files are encrypted), as opposed to a plaintext wallet.
pub fn is_encrypted(bytes: &[u8]) -> bool {
    bytes.starts_with(AGE_MAGIC)
}

/// The refusals that need no passphrase: `Ok` for an age file,
/// [`WalletFileError::Plaintext`] for a JSON object (a wallet from before
/// wallets were encrypted), [`WalletFileError::NotAWallet`] for anything else.
pub fn check_format(bytes: &[u8]) -> Result<(), WalletFileError> {
    if is_encrypted(bytes) {
        Ok(())
    } else if bytes.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'{') {
        Err(WalletFileError::Plaintext)
    } else {
        Err(WalletFileError::NotAWallet)
    }
}

/// Encrypts a wallet's plaintext under `passphrase` (scrypt work factor
/// [`WORK_FACTOR`], a fresh random salt and file key each time).
pub fn encrypt(plaintext: &[u8], passphrase: &Passphrase) -> Result<Vec<u8>, WalletFileError> {
    encrypt_with_work_factor(plaintext, passphrase, WORK_FACTOR)
}

/// [`encrypt`] with another work factor (the tests use cheap ones).
fn encrypt_with_work_factor(plaintext: &[u8], passphrase: &Passphrase, log_n: u8) -> Result<Vec<u8>, WalletFileError> {
    let mut recipient = age::scrypt::Recipient::new(passphrase.0.clone());
    recipient.set_work_factor(log_n);
    age::encrypt(&recipient, plaintext).map_err(WalletFileError::Encrypt)
}

/// Decrypts a wallet file with `passphrase`: the plaintext, zeroed on drop.
/// Any refusal leaves nothing decrypted behind: age checks the header's MAC
/// before releasing contents and each chunk's tag before releasing it, and a
/// half-read plaintext is dropped (and zeroed) with the error.
pub fn decrypt(bytes: &[u8], passphrase: &Passphrase) -> Result<Zeroizing<Vec<u8>>, WalletFileError> {
    check_format(bytes)?;
    let corrupted = |e: Box<dyn std::error::Error + Send + Sync>| WalletFileError::Corrupted(e);
    let decryptor = age::Decryptor::new_buffered(bytes).map_err(|e| corrupted(e.into()))?;
    if !decryptor.is_scrypt() {
        return Err(WalletFileError::NotPassphraseEncrypted);
    }
    let mut identity = age::scrypt::Identity::new(passphrase.0.clone());
    identity.set_max_work_factor(MAX_WORK_FACTOR);
    let mut reader = decryptor.decrypt(std::iter::once(&identity as &dyn age::Identity)).map_err(|e| match e {
        age::DecryptError::DecryptionFailed | age::DecryptError::KeyDecryptionFailed | age::DecryptError::NoMatchingKeys => {
            WalletFileError::WrongPassphrase
        }
        age::DecryptError::ExcessiveWork { required, .. } => WalletFileError::ExcessiveWork { required },
        e => corrupted(e.into()),
    })?;
    // Room for the whole plaintext up front, so no reallocation leaves a
    // copy of part of it behind in freed memory.
    let mut plaintext = Zeroizing::new(Vec::with_capacity(bytes.len()));
    reader.read_to_end(&mut plaintext).map_err(|e| corrupted(e.into()))?;
    Ok(plaintext)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A cheap work factor: the format and the errors do not depend on it.
    const TEST_WORK_FACTOR: u8 = 10;

    fn passphrase(s: &str) -> Passphrase {
        Passphrase::new(s.to_owned()).unwrap()
    }

    fn encrypted(plaintext: &[u8], p: &str) -> Vec<u8> {
        encrypt_with_work_factor(plaintext, &passphrase(p), TEST_WORK_FACTOR).unwrap()
    }

    const PLAINTEXT: &[u8] = br#"{"seed": "0707070707070707070707070707070707070707070707070707070707070707", "credentials": []}"#;

    #[test]
    fn round_trip_and_nothing_in_the_clear() {
        let file = encrypted(PLAINTEXT, "correct horse");
        assert!(is_encrypted(&file));
        assert!(file.starts_with(b"age-encryption.org/v1\n-> scrypt "), "a standard age passphrase file");
        assert!(!file.windows(8).any(|w| PLAINTEXT.windows(8).any(|p| p == w)), "no 8 bytes of the plaintext appear in the file");
        assert_eq!(decrypt(&file, &passphrase("correct horse")).unwrap().as_slice(), PLAINTEXT);
        // Fresh salt and file key: the same plaintext encrypts differently each time.
        assert_ne!(file, encrypted(PLAINTEXT, "correct horse"));
    }

    #[test]
    fn the_default_work_factor_is_written_in_the_header() {
        let file = encrypt(b"{}", &passphrase("p")).unwrap();
        let text = String::from_utf8_lossy(&file).into_owned();
        let stanza = text.lines().nth(1).unwrap_or_default();
        assert!(stanza.starts_with("-> scrypt ") && stanza.ends_with(&format!(" {WORK_FACTOR}")), "{stanza}");
        assert_eq!(decrypt(&file, &passphrase("p")).unwrap().as_slice(), b"{}");
    }

    #[test]
    fn wrong_passphrase_is_its_own_error() {
        let file = encrypted(PLAINTEXT, "correct horse");
        assert!(matches!(decrypt(&file, &passphrase("correct horsf")), Err(WalletFileError::WrongPassphrase)));
        assert!(passphrase("a").matches(&passphrase("a")));
        assert!(!passphrase("a").matches(&passphrase("b")));
    }

    #[test]
    fn empty_passphrases_are_refused_and_debug_hides_them() {
        assert!(matches!(Passphrase::new(String::new()), Err(WalletFileError::EmptyPassphrase)));
        assert!(!format!("{:?}", passphrase("hunter2")).contains("hunter2"));
    }

    #[test]
    fn plaintext_and_foreign_files_are_told_apart() {
        let p = passphrase("p");
        assert!(matches!(decrypt(PLAINTEXT, &p), Err(WalletFileError::Plaintext)));
        assert!(matches!(decrypt(b"\n  {\"seed\": \"00\"}", &p), Err(WalletFileError::Plaintext)));
        for other in [&b""[..], b"hello", b"\x00\x01\x02", b"-----BEGIN AGE ENCRYPTED FILE-----\n"] {
            assert!(matches!(decrypt(other, &p), Err(WalletFileError::NotAWallet)), "{other:?}");
        }
        // An age file to an X25519 key, not to a passphrase.
        let key = age::x25519::Identity::generate();
        let to_key = age::encrypt(&key.to_public(), PLAINTEXT).unwrap();
        assert!(matches!(decrypt(&to_key, &p), Err(WalletFileError::NotPassphraseEncrypted)));
    }

    #[test]
    fn every_truncation_and_every_flipped_byte_is_an_error_never_a_panic() {
        let file = encrypted(PLAINTEXT, "p");
        let p = passphrase("p");
        for len in 0..file.len() {
            assert!(decrypt(&file[..len], &p).is_err(), "cut to {len} bytes");
        }
        for at in 0..file.len() {
            let mut bad = file.clone();
            bad[at] ^= 0x01;
            assert!(decrypt(&bad, &p).is_err(), "byte {at} flipped");
        }
        // Past the header, an altered byte is reported as corruption (the
        // passphrase was right).
        let mut bad = file.clone();
        let last = bad.len() - 1;
        bad[last] ^= 0x80;
        assert!(matches!(decrypt(&bad, &p), Err(WalletFileError::Corrupted(_))));
        let mut longer = file.clone();
        longer.push(0);
        assert!(decrypt(&longer, &p).is_err(), "bytes appended");
    }

    #[test]
    fn a_file_asking_for_excessive_work_is_refused_before_the_work() {
        let file = encrypted(PLAINTEXT, "p");
        let text = String::from_utf8_lossy(&file).into_owned();
        let stanza = format!(" {TEST_WORK_FACTOR}\n");
        let at = text.find(&stanza).unwrap();
        let mut heavy = file[..at].to_vec();
        heavy.extend_from_slice(b" 40\n");
        heavy.extend_from_slice(&file[at + stanza.len()..]);
        let started = std::time::Instant::now();
        assert!(matches!(decrypt(&heavy, &passphrase("p")), Err(WalletFileError::ExcessiveWork { required: 40 })));
        assert!(started.elapsed() < std::time::Duration::from_secs(5));
    }
}
