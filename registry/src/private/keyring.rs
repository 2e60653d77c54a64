//! The private layer's data keys, and sealing a record under one.
//!
//! A keyring is one or more 32-byte keys, each with a number. The highest
//! number is the current key: every record is sealed under it; older keys
//! are kept only to open records not yet re-encrypted after a rotation.
//! Its text form (a key file, or the `ZKREG_DATA_KEY` variable) is one key
//! per line or comma-separated item, `<number>:<64 hex digits>`; a bare
//! `<64 hex digits>` is key number 1. Lines starting with `#` are comments.
//!
//! A sealed record is XChaCha20-Poly1305 (a 192-bit random nonce, so random
//! nonces never collide in practice) with associated data binding the
//! ciphertext to its record id and key number: a ciphertext moved to
//! another record, or relabelled with another key, does not open.

use std::collections::BTreeMap;

use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use rand::{CryptoRng, RngCore};
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use zkreg_circuits::constants::PRIVATE_RECORD_AEAD_DOMAIN;

use super::PrivateError;

/// A record id: the SHA-256 record hash anchored on the ledger.
pub type RecordId = [u8; 32];

/// The data keys, by number. `Debug` shows the numbers only.
#[derive(Clone)]
pub struct Keyring {
    keys: BTreeMap<u32, Zeroizing<[u8; 32]>>,
}

impl std::fmt::Debug for Keyring {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Keyring").field("key_numbers", &self.keys.keys().collect::<Vec<_>>()).finish_non_exhaustive()
    }
}

/// A record's ciphertext as stored: the key number, the nonce and the
/// AEAD output (ciphertext and tag).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sealed {
    /// The number of the key it was sealed under.
    pub key: u32,
    /// The XChaCha20 nonce.
    pub nonce: [u8; 24],
    /// Ciphertext followed by the Poly1305 tag.
    pub ciphertext: Vec<u8>,
}

impl Keyring {
    /// A keyring holding one key, number 1.
    pub fn single(key: [u8; 32]) -> Self {
        Keyring { keys: BTreeMap::from([(1, Zeroizing::new(key))]) }
    }

    /// A fresh random key numbered one above the current one (1 for an empty ring).
    pub fn generate_next<R: RngCore + CryptoRng>(&self, rng: &mut R) -> (u32, Zeroizing<[u8; 32]>) {
        let mut key = Zeroizing::new([0u8; 32]);
        rng.fill_bytes(key.as_mut());
        (self.current().map_or(1, |(n, _)| n + 1), key)
    }

    /// Parses the text form (see the module docs).
    pub fn parse(text: &str) -> Result<Self, PrivateError> {
        let mut keys = BTreeMap::new();
        for item in text.split(['\n', ',']).map(str::trim).filter(|l| !l.is_empty() && !l.starts_with('#')) {
            let (number, hex_key) = match item.split_once(':') {
                Some((n, k)) => (n.trim().parse::<u32>().map_err(|_| PrivateError::BadKeyring("a key number is not a number".into()))?, k.trim()),
                None => (1, item),
            };
            let bytes = Zeroizing::new(hex::decode(hex_key).map_err(|_| PrivateError::BadKeyring(format!("key {number} is not hex")))?);
            let key: [u8; 32] = bytes.as_slice().try_into().map_err(|_| PrivateError::BadKeyring(format!("key {number} is not 32 bytes")))?;
            if number == 0 {
                return Err(PrivateError::BadKeyring("key numbers start at 1".into()));
            }
            if keys.insert(number, Zeroizing::new(key)).is_some() {
                return Err(PrivateError::BadKeyring(format!("key {number} is listed twice")));
            }
        }
        if keys.is_empty() {
            return Err(PrivateError::BadKeyring("no key".into()));
        }
        Ok(Keyring { keys })
    }

    /// One line of the text form for key `number`.
    pub fn line(number: u32, key: &[u8; 32]) -> Zeroizing<String> {
        Zeroizing::new(format!("{number}:{}\n", hex::encode(key)))
    }

    /// The current key (the highest number), if any.
    fn current(&self) -> Option<(u32, &[u8; 32])> {
        self.keys.iter().next_back().map(|(n, k)| (*n, &**k))
    }

    /// The current key's number.
    pub fn current_number(&self) -> u32 {
        self.current().map_or(0, |(n, _)| n)
    }

    /// Seals `plaintext` as record `id` under the current key.
    pub fn seal<R: RngCore + CryptoRng>(&self, id: &RecordId, plaintext: &[u8], rng: &mut R) -> Result<Sealed, PrivateError> {
        let (number, key) = self.current().ok_or_else(|| PrivateError::BadKeyring("no key".into()))?;
        let mut nonce = [0u8; 24];
        rng.fill_bytes(&mut nonce);
        let aad = associated_data(id, number);
        let ciphertext = XChaCha20Poly1305::new(key.into())
            .encrypt(XNonce::from_slice(&nonce), Payload { msg: plaintext, aad: &aad })
            .map_err(|_| PrivateError::Sealing)?;
        Ok(Sealed { key: number, nonce, ciphertext })
    }

    /// Opens record `id`'s ciphertext: `unknown_data_key` if the ring lacks
    /// its key, `record_unreadable` if it was tampered with, belongs to
    /// another record or the key is wrong.
    pub fn open(&self, id: &RecordId, sealed: &Sealed) -> Result<Zeroizing<Vec<u8>>, PrivateError> {
        let key = self.keys.get(&sealed.key).ok_or(PrivateError::UnknownDataKey(sealed.key))?;
        let aad = associated_data(id, sealed.key);
        XChaCha20Poly1305::new((&**key).into())
            .decrypt(XNonce::from_slice(&sealed.nonce), Payload { msg: &sealed.ciphertext, aad: &aad })
            .map(Zeroizing::new)
            .map_err(|_| PrivateError::Unreadable)
    }
}

/// What the AEAD authenticates beside the plaintext: the domain, the record
/// id and the key number.
fn associated_data(id: &RecordId, key_number: u32) -> Vec<u8> {
    let mut aad = PRIVATE_RECORD_AEAD_DOMAIN.to_vec();
    aad.extend_from_slice(id);
    aad.extend_from_slice(&key_number.to_be_bytes());
    aad
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn a_sealed_record_opens_only_with_its_key_under_its_id() {
        let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(1);
        let ring = Keyring::single([7; 32]);
        let sealed = ring.seal(&[1; 32], b"subject 4411", &mut rng).unwrap();
        assert_eq!(&**ring.open(&[1; 32], &sealed).unwrap(), b"subject 4411");
        assert!(!sealed.ciphertext.windows(4).any(|w| w == b"4411"));
        // Another record's id, another key, a flipped byte: refused, no panic.
        assert_eq!(ring.open(&[2; 32], &sealed), Err(PrivateError::Unreadable));
        assert_eq!(Keyring::single([8; 32]).open(&[1; 32], &sealed), Err(PrivateError::Unreadable));
        for i in 0..sealed.ciphertext.len() {
            let mut bad = sealed.clone();
            bad.ciphertext[i] ^= 1;
            assert_eq!(ring.open(&[1; 32], &bad), Err(PrivateError::Unreadable), "byte {i}");
        }
        let mut bad = sealed.clone();
        bad.nonce[0] ^= 1;
        assert_eq!(ring.open(&[1; 32], &bad), Err(PrivateError::Unreadable));
        let mut relabelled = sealed.clone();
        relabelled.key = 2;
        assert_eq!(ring.open(&[1; 32], &relabelled), Err(PrivateError::UnknownDataKey(2)));
        let truncated = Sealed { ciphertext: sealed.ciphertext[..3].to_vec(), ..sealed };
        assert_eq!(ring.open(&[1; 32], &truncated), Err(PrivateError::Unreadable));
    }

    #[test]
    fn the_text_form_parses_and_the_highest_number_is_current() {
        let k1 = "11".repeat(32);
        let k2 = "22".repeat(32);
        let ring = Keyring::parse(&format!("# data keys\n1:{k1}\n2:{k2}\n")).unwrap();
        assert_eq!(ring.current_number(), 2);
        assert_eq!(Keyring::parse(&format!("1:{k1},2:{k2}")).unwrap().current_number(), 2);
        assert_eq!(Keyring::parse(&k1).unwrap().current_number(), 1);
        let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(2);
        let sealed = ring.seal(&[3; 32], b"x", &mut rng).unwrap();
        assert_eq!(sealed.key, 2);
        let (next, _) = ring.generate_next(&mut rng);
        assert_eq!(next, 3);
        for bad in ["", "zz", &"11".repeat(31), &format!("0:{k1}"), &format!("1:{k1}\n1:{k2}"), &format!("x:{k1}")] {
            assert!(matches!(Keyring::parse(bad), Err(PrivateError::BadKeyring(_))), "{bad:?}");
        }
        let shown = format!("{ring:?}");
        assert!(!shown.contains(&k1) && !shown.contains("1111"), "Debug shows no key");
    }
}
