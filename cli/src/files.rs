//! The files `zkreg` reads and writes: key files, wallet files, credential
//! files (both kinds) and genesis files.

use std::path::Path;

use anyhow::Context;
use ed25519_dalek::SigningKey;
use rand::rngs::OsRng;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use zkreg_circuits::range_statement::PedersenOpening;
use zeroize::Zeroizing;
use zkreg_prover::wallet::encryption::{self, Passphrase, WalletFileError};
use zkreg_prover::{CredentialOpening, RangeCredentialOpening, Wallet};
use zkreg_registry::Genesis;

/// An ed25519 key file (JSON; the secret is plaintext: keep the file private).
#[derive(Serialize, Deserialize)]
pub struct KeyFile {
    /// Public key, hex.
    pub public: String,
    /// Secret key, hex.
    pub secret: String,
}

/// Writes a new key to `path` (refuses to overwrite).
pub fn new_key(path: &Path) -> anyhow::Result<SigningKey> {
    let key = SigningKey::generate(&mut OsRng);
    write_new(path, &serde_json::to_vec_pretty(&KeyFile { public: hex::encode(key.verifying_key().to_bytes()), secret: hex::encode(key.to_bytes()) })?)?;
    Ok(key)
}

/// Reads a key file.
pub fn read_key(path: &Path) -> anyhow::Result<SigningKey> {
    let f: KeyFile = serde_json::from_slice(&std::fs::read(path).with_context(|| format!("reading {}", path.display()))?)
        .with_context(|| format!("{} is not a key file", path.display()))?;
    let secret: [u8; 32] = hex::decode(&f.secret).ok().and_then(|b| b.try_into().ok()).context("the secret is not 32 bytes of hex")?;
    Ok(SigningKey::from_bytes(&secret))
}

/// Writes `bytes` to a new file at `path`, creating its directory; refuses
/// to overwrite an existing file.
pub fn write_new(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    if path.exists() {
        anyhow::bail!("{} exists; not overwriting it", path.display());
    }
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent)?;
    }
    std::fs::write(path, bytes).with_context(|| format!("writing {}", path.display()))
}

/// 32 bytes given as 64 hex digits (an optional `0x` and surrounding
/// whitespace allowed); the error names `what`.
pub fn hex32(s: &str, what: &str) -> anyhow::Result<[u8; 32]> {
    zkreg_circuits::hex::parse_array(s.trim()).ok().with_context(|| format!("{what} is 32 bytes as 64 hex digits"))
}

/// Reads a genesis JSON file.
pub fn read_genesis(path: &Path) -> anyhow::Result<Genesis> {
    let bytes = std::fs::read(path).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
    serde_json::from_slice(&bytes).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))
}

/// Reads a cluster secret file: 64 hex digits (surrounding whitespace ignored).
pub fn read_cluster_secret(path: &Path) -> anyhow::Result<[u8; 32]> {
    let text = std::fs::read_to_string(path).map_err(|e| anyhow::anyhow!("the cluster secret {}: {e}", path.display()))?;
    hex32(&text, &format!("the cluster secret in {}", path.display()))
}

/// Writes a new random cluster secret (refuses to overwrite), readable by
/// its owner only.
pub fn write_cluster_secret(path: &Path) -> anyhow::Result<()> {
    use rand::RngCore;
    let mut secret = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut secret);
    write_new(path, format!("{}\n", hex::encode(secret)).as_bytes())?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))?;
    }
    Ok(())
}

/// A holder's wallet: the seed and the credential openings, all secret. On
/// disk it is encrypted with the holder's passphrase in the age format
/// ([`encryption`]); the plaintext inside is this struct as JSON. A wallet
/// file from before wallets were encrypted is that JSON in the clear: every
/// reader refuses it, naming `zkreg wallet migrate`, rather than use secrets
/// that sat unprotected on disk without saying so.
#[derive(Serialize, Deserialize, Default)]
pub struct WalletFile {
    /// The wallet seed, hex (everything else derives from it).
    #[serde(serialize_with = "secret_string::serialize", deserialize_with = "secret_string::deserialize")]
    pub seed: Zeroizing<String>,
    /// Imported Groth16 credentials.
    #[serde(default)]
    pub credentials: Vec<CredentialOpening>,
    /// Imported Bulletproofs (Pedersen) credentials; absent in wallet files
    /// written before they existed.
    #[serde(default)]
    pub range_credentials: Vec<RangeCredentialOpening>,
}

/// A string zeroed on drop, as a JSON string.
mod secret_string {
    use serde::{Deserialize, Deserializer, Serializer};
    use zeroize::Zeroizing;

    pub fn serialize<S: Serializer>(s: &Zeroizing<String>, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(s)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Zeroizing<String>, D::Error> {
        String::deserialize(deserializer).map(Zeroizing::new)
    }
}

impl WalletFile {
    /// Reads and decrypts the wallet file at `path`. Every refusal names the
    /// file and says what is wrong: the passphrase, the file (corrupted, not
    /// a wallet), or a plaintext wallet to migrate first.
    pub fn read(path: &Path, passphrase: &Passphrase) -> anyhow::Result<(Self, Wallet)> {
        let bytes = std::fs::read(path).with_context(|| format!("reading wallet {}", path.display()))?;
        let plaintext = encryption::decrypt(&bytes, passphrase).map_err(|e| refusal(path, e))?;
        Self::parse(&plaintext).with_context(|| format!("{} decrypted, but is not a wallet file", path.display()))
    }

    /// The refusals [`WalletFile::read`] makes without the passphrase: no
    /// such file, not a wallet file, a plaintext wallet to migrate first.
    pub fn check_encrypted(path: &Path) -> anyhow::Result<()> {
        let bytes = std::fs::read(path).with_context(|| format!("reading wallet {}", path.display()))?;
        encryption::check_format(&bytes).map_err(|e| refusal(path, e))
    }

    /// Reads a plaintext wallet file (from before wallets were encrypted),
    /// for `zkreg wallet migrate`; refuses an encrypted one.
    pub fn read_plaintext(path: &Path) -> anyhow::Result<(Self, Wallet)> {
        let bytes = Zeroizing::new(std::fs::read(path).with_context(|| format!("reading wallet {}", path.display()))?);
        if encryption::is_encrypted(&bytes) {
            anyhow::bail!("wallet {} is already encrypted", path.display());
        }
        Self::parse(&bytes).with_context(|| format!("{} is not a plaintext wallet file", path.display()))
    }

    /// The wallet in `json`, and its keys.
    fn parse(json: &[u8]) -> anyhow::Result<(Self, Wallet)> {
        let f: WalletFile = serde_json::from_slice(json)?;
        let wallet = Wallet::from_seed_hex(&f.seed)?;
        Ok((f, wallet))
    }

    /// This wallet encrypted under `passphrase`, the whole file.
    fn encrypted(&self, passphrase: &Passphrase) -> anyhow::Result<Vec<u8>> {
        // Room for the JSON up front, so that no reallocation leaves a copy
        // of part of it behind in freed memory.
        let mut json = Zeroizing::new(Vec::with_capacity(4096 + 512 * (self.credentials.len() + self.range_credentials.len())));
        serde_json::to_writer_pretty(&mut *json, self)?;
        Ok(encryption::encrypt(&json, passphrase)?)
    }

    /// Writes this wallet, encrypted under `passphrase`, to a new file at
    /// `path` (refuses to overwrite one).
    pub fn create(&self, path: &Path, passphrase: &Passphrase) -> anyhow::Result<()> {
        if path.exists() {
            anyhow::bail!("{} exists; not overwriting it", path.display());
        }
        write_atomically(path, &self.encrypted(passphrase)?, false)
    }

    /// Replaces the wallet file at `path` with this wallet encrypted under
    /// `passphrase`.
    pub fn save(&self, path: &Path, passphrase: &Passphrase) -> anyhow::Result<()> {
        write_atomically(path, &self.encrypted(passphrase)?, true)
    }
}

/// Why the wallet file at `path` was not opened, in a sentence that names it.
fn refusal(path: &Path, e: WalletFileError) -> anyhow::Error {
    let p = path.display();
    let what = match &e {
        WalletFileError::WrongPassphrase => format!("wrong passphrase for wallet {p}"),
        WalletFileError::Plaintext => format!("wallet {p} is not encrypted (its seed is in the clear): encrypt it first with `zkreg wallet migrate --wallet {p}`"),
        WalletFileError::Corrupted(_) | WalletFileError::NotAWallet | WalletFileError::NotPassphraseEncrypted => format!("{p} is not a wallet file, or is corrupted"),
        _ => format!("cannot open wallet {p}"),
    };
    anyhow::Error::new(e).context(what)
}

/// Writes `bytes` to `path` whole or not at all: to a new file beside it
/// (readable by its owner only), synced, then renamed over `path` (or, with
/// `overwrite` false, linked there only if nothing is), and the directory
/// synced. A crash leaves the old file or the new one, never a mix.
fn write_atomically(path: &Path, bytes: &[u8], overwrite: bool) -> anyhow::Result<()> {
    use std::io::Write;
    let dir = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let mut tmp = tempfile::NamedTempFile::new_in(dir).with_context(|| format!("creating a file in {}", dir.display()))?;
    tmp.write_all(bytes).and_then(|()| tmp.as_file().sync_all()).with_context(|| format!("writing {}", tmp.path().display()))?;
    let persisted = if overwrite { tmp.persist(path) } else { tmp.persist_noclobber(path) };
    persisted.map_err(|e| e.error).with_context(|| format!("writing {}", path.display()))?;
    #[cfg(unix)]
    std::fs::File::open(dir).and_then(|d| d.sync_all()).with_context(|| format!("syncing {}", dir.display()))?;
    Ok(())
}

/// A Bulletproofs credential as the regulator hands it to the holder: the
/// opening, and what the ledger recorded with it (holder key, commitment).
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RangeCredentialFile {
    /// Schema name.
    pub schema: String,
    /// Issuer name.
    pub issuer: String,
    /// Last valid day (public on the ledger).
    pub expiry: u32,
    /// The holder's ed25519 key the credential is registered with, hex.
    pub holder_key: String,
    /// The compressed Ristretto commitment registered on the ledger, hex.
    pub commitment: String,
    /// Value and blinding.
    pub opening: PedersenOpening,
}

/// A credential file written by `zkreg issue`. In JSON it carries
/// `"kind": "groth16"` or `"kind": "bulletproofs"`; a file without `kind`
/// (written before Bulletproofs credentials existed) is a Groth16 opening.
#[derive(Serialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum CredentialFile {
    /// A Groth16 credential: the opening of a commitment in the tree.
    Groth16(CredentialOpening),
    /// A Bulletproofs credential: a Pedersen commitment registered with the holder's key.
    Bulletproofs(RangeCredentialFile),
}

impl CredentialFile {
    /// Parses a credential file (either kind, or the format without `kind`).
    pub fn parse(bytes: &[u8]) -> anyhow::Result<Self> {
        let mut value: Value = serde_json::from_slice(bytes).context("not JSON")?;
        let kind = match value.as_object_mut().context("a credential file is a JSON object")?.remove("kind") {
            None => return Ok(CredentialFile::Groth16(serde_json::from_value(value).context("not a Groth16 credential")?)),
            Some(Value::String(kind)) => kind,
            Some(other) => anyhow::bail!("`kind` is a string, not {other}"),
        };
        match kind.as_str() {
            "groth16" => Ok(CredentialFile::Groth16(serde_json::from_value(value).context("not a Groth16 credential")?)),
            "bulletproofs" => Ok(CredentialFile::Bulletproofs(serde_json::from_value(value).context("not a Bulletproofs credential")?)),
            other => anyhow::bail!("unknown credential kind {other:?} (groth16 or bulletproofs)"),
        }
    }
}

/// Writes a secret file (a keyring): readable and writable by its owner
/// only, replaced atomically (a temporary file beside it, synced, renamed),
/// so a crash leaves the old file or the new one.
pub fn write_private(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    // A temporary file is created readable by its owner only, and keeps
    // that mode when renamed over `path`.
    write_atomically(path, bytes, true)
}

/// Helpers for the tests of the modules that read and write these files.
#[cfg(test)]
pub mod testing {
    use std::path::{Path, PathBuf};

    use rand_chacha::ChaCha20Rng;
    use serde::Serialize;

    use zkreg_circuits::range_statement::PedersenOpening;

    use super::RangeCredentialFile;

    /// A Bulletproofs credential file of `value` for `holder_key`.
    pub fn range_file(holder_key: [u8; 32], value: u64, r: &mut ChaCha20Rng) -> RangeCredentialFile {
        let opening = PedersenOpening::random(value, r);
        RangeCredentialFile {
            schema: "credit-score".into(),
            issuer: "central-bank".into(),
            expiry: 30_000,
            holder_key: hex::encode(holder_key),
            commitment: hex::encode(opening.commit().to_bytes()),
            opening,
        }
    }

    /// `value` as JSON in the file `dir/name`.
    pub fn write(dir: &Path, name: &str, value: &impl Serialize) -> PathBuf {
        let path = dir.join(name);
        std::fs::write(&path, serde_json::to_vec(value).unwrap()).unwrap();
        path
    }
}

#[cfg(test)]
mod tests {
    use rand::SeedableRng;
    use rand_chacha::ChaCha20Rng;
    use serde_json::json;

    use super::testing::{range_file, write};
    use super::*;

    #[test]
    fn credential_files_say_their_kind_and_the_old_format_still_parses() {
        let r = &mut ChaCha20Rng::seed_from_u64(1);
        let wallet = Wallet::from_seed([1; 32]);
        let opening = CredentialOpening::issue("credit-score", "central-bank", wallet.holder_id(), 720, 30_000, r);

        let tagged = serde_json::to_value(CredentialFile::Groth16(opening.clone())).unwrap();
        assert_eq!(tagged["kind"], "groth16");
        let CredentialFile::Groth16(back) = CredentialFile::parse(tagged.to_string().as_bytes()).unwrap() else { panic!("not groth16") };
        assert_eq!(back, opening);
        // A file written before `kind` existed is a Groth16 opening.
        let CredentialFile::Groth16(back) = CredentialFile::parse(&serde_json::to_vec(&opening).unwrap()).unwrap() else { panic!("not groth16") };
        assert_eq!(back, opening);

        let range = serde_json::to_value(CredentialFile::Bulletproofs(range_file(wallet.auth_public(), 720, r))).unwrap();
        assert_eq!(range["kind"], "bulletproofs");
        let CredentialFile::Bulletproofs(back) = CredentialFile::parse(range.to_string().as_bytes()).unwrap() else { panic!("not bulletproofs") };
        assert_eq!((back.opening.value, back.holder_key), (720, hex::encode(wallet.auth_public())));

        let mut wrong_kind = range.clone();
        wrong_kind["kind"] = json!("groth16");
        let mut extra = range.clone();
        extra["leaf_index"] = json!(3);
        let mut unknown = tagged.clone();
        unknown["kind"] = json!("plonk");
        let mut number = tagged.clone();
        number["kind"] = json!(1);
        for bad in [wrong_kind, extra, unknown, number, json!([1, 2]), json!({"kind": "bulletproofs"})] {
            assert!(CredentialFile::parse(bad.to_string().as_bytes()).is_err(), "{bad}");
        }
        let err = CredentialFile::parse(b"{\"kind\": \"plonk\"}").err().map(|e| format!("{e:#}")).unwrap_or_default();
        assert!(err.contains("plonk"), "{err}");
        assert!(CredentialFile::parse(b"not json").is_err());
    }

    #[test]
    fn wallet_files_without_bulletproofs_credentials_still_load() {
        let dir = tempfile::tempdir().unwrap();
        let wallet = Wallet::from_seed([3; 32]);
        let old = json!({"seed": wallet.seed_hex().to_string(), "credentials": []});
        let path = write(dir.path(), "old.json", &old);
        let (f, loaded) = WalletFile::read_plaintext(&path).unwrap();
        assert!(f.range_credentials.is_empty());
        assert_eq!(loaded.auth_public(), wallet.auth_public());
        // Encrypted, the same wallet (the format inside is unchanged).
        let passphrase = Passphrase::new("p".to_owned()).unwrap();
        let encrypted = dir.path().join("encrypted.json");
        std::fs::write(&encrypted, encryption::encrypt(&std::fs::read(&path).unwrap(), &passphrase).unwrap()).unwrap();
        let (f, loaded) = WalletFile::read(&encrypted, &passphrase).unwrap();
        assert!(f.range_credentials.is_empty());
        assert_eq!(loaded.auth_public(), wallet.auth_public());
        // A plaintext wallet is refused by every reader but migration.
        let err = format!("{:#}", WalletFile::read(&path, &passphrase).err().unwrap());
        assert!(err.contains("zkreg wallet migrate"), "{err}");
        assert!(WalletFile::check_encrypted(&path).is_err());
        assert!(WalletFile::read_plaintext(&encrypted).is_err());
    }

    #[test]
    fn wallet_files_are_written_whole_and_new_ones_never_over_another() {
        let dir = tempfile::tempdir().unwrap();
        let passphrase = Passphrase::new("p".to_owned()).unwrap();
        let path = dir.path().join("sub").join("wallet.json");
        let first = WalletFile { seed: Wallet::from_seed([4; 32]).seed_hex(), ..Default::default() };
        first.create(&path, &passphrase).unwrap();
        let before = std::fs::read(&path).unwrap();
        let second = WalletFile { seed: Wallet::from_seed([5; 32]).seed_hex(), ..Default::default() };
        assert!(second.create(&path, &passphrase).is_err());
        assert_eq!(std::fs::read(&path).unwrap(), before);
        second.save(&path, &passphrase).unwrap();
        assert_eq!(WalletFile::read(&path, &passphrase).unwrap().0.seed, second.seed);
        // No temporary file is left beside it.
        assert_eq!(std::fs::read_dir(path.parent().unwrap()).unwrap().count(), 1);
    }
}
