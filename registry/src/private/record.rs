//! A regulator's private record of one issued credential, its hash, and the
//! store that keeps it sealed.
//!
//! The record id is `SHA-256(PRIVATE_RECORD_DOMAIN ‖ postcard(record))`:
//! the hash the issuing transaction anchors on the public layer. The record
//! carries the holder's credential file, whose commitment salt (or Pedersen
//! blinding) is random, so the anchored hash cannot be matched against
//! guessed identifiers or values. A disclosed record is checked by
//! recomputing its hash and finding the anchor (`zkreg record verify`).
//!
//! The store keeps, per record, a sealed ciphertext ([`Sealed`]) and
//! metadata in the clear ([`RecordMeta`]: the id, issuer, schema,
//! commitment, the holder's authentication public key, times and flags),
//! which is what access checks and listings need and nothing the record
//! protects: no subject identifier, attribute value or opening.

use std::collections::BTreeMap;
use std::sync::RwLock;

use rand::rngs::OsRng;
use sled::transaction::{ConflictableTransactionError, TransactionError, Transactional};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use zkreg_circuits::constants::PRIVATE_RECORD_DOMAIN;

use super::keyring::{Keyring, RecordId, Sealed};
use super::PrivateError;
use crate::tx::{decode_canonical, encode};

/// Longest subject identifier.
pub const MAX_SUBJECT_LEN: usize = 256;
/// Most attributes in one record.
pub const MAX_ATTRIBUTES: usize = 64;
/// Longest attribute name.
pub const MAX_ATTRIBUTE_NAME_LEN: usize = 64;
/// Longest attribute value.
pub const MAX_ATTRIBUTE_VALUE_LEN: usize = 1024;
/// Longest credential file kept in a record.
pub const MAX_CREDENTIAL_LEN: usize = 16 * 1024;

/// What a regulator keeps about one credential it issued.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PrivateRecord {
    /// The issuing regulator's registered name.
    pub issuer: String,
    /// The credential's schema.
    pub schema: String,
    /// The credential's commitment on the ledger, hex as the credential file names it.
    pub commitment: String,
    /// The holder's wallet authentication key (64 hex digits): the key that
    /// may fetch this record.
    pub holder_key: String,
    /// The subject's real identifier (national id, company number).
    pub subject: String,
    /// Attribute values, by name (the score, the licence class, the region…).
    pub attributes: BTreeMap<String, String>,
    /// The holder's credential file as issued (the opening): JSON text.
    pub credential: String,
}

impl std::fmt::Debug for PrivateRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PrivateRecord")
            .field("issuer", &self.issuer)
            .field("schema", &self.schema)
            .field("commitment", &self.commitment)
            .finish_non_exhaustive()
    }
}

impl PrivateRecord {
    /// The record's hash: its id, and what the ledger anchors.
    pub fn hash(&self) -> RecordId {
        Sha256::new().chain_update(PRIVATE_RECORD_DOMAIN).chain_update(encode(self)).finalize().into()
    }

    /// The holder's key, parsed.
    pub fn holder_key_bytes(&self) -> Result<[u8; 32], PrivateError> {
        hex::decode(&self.holder_key)
            .ok()
            .and_then(|b| b.try_into().ok())
            .ok_or_else(|| PrivateError::Invalid("holder_key must be 64 hex digits".into()))
    }

    /// Checks sizes and forms.
    pub fn validate(&self) -> Result<(), PrivateError> {
        let bad = |m: String| Err(PrivateError::Invalid(m));
        for (what, s, max) in [("issuer", &self.issuer, 128), ("schema", &self.schema, 128), ("commitment", &self.commitment, 130)] {
            if s.is_empty() || s.len() > max || s.chars().any(char::is_control) {
                return bad(format!("{what} must be 1 to {max} characters without control characters"));
            }
        }
        self.holder_key_bytes()?;
        if self.subject.is_empty() || self.subject.len() > MAX_SUBJECT_LEN {
            return bad(format!("subject must be 1 to {MAX_SUBJECT_LEN} bytes"));
        }
        if self.attributes.len() > MAX_ATTRIBUTES {
            return bad(format!("at most {MAX_ATTRIBUTES} attributes"));
        }
        for (name, value) in &self.attributes {
            if name.is_empty() || name.len() > MAX_ATTRIBUTE_NAME_LEN || value.len() > MAX_ATTRIBUTE_VALUE_LEN {
                return bad(format!(
                    "attribute names are 1 to {MAX_ATTRIBUTE_NAME_LEN} bytes and values at most {MAX_ATTRIBUTE_VALUE_LEN}"
                ));
            }
        }
        if self.credential.len() > MAX_CREDENTIAL_LEN {
            return bad(format!("the credential file is more than {MAX_CREDENTIAL_LEN} bytes"));
        }
        Ok(())
    }
}

/// What the store keeps in the clear about a record.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordMeta {
    /// The record id (its anchored hash).
    pub id: RecordId,
    /// The issuing regulator's name.
    pub issuer: String,
    /// The credential's schema.
    pub schema: String,
    /// The credential's commitment.
    pub commitment: String,
    /// The holder's authentication key.
    pub holder_key: [u8; 32],
    /// Unix seconds it was stored.
    pub stored_at: u64,
    /// Whether a legal hold forbids purging it.
    pub legal_hold: bool,
    /// Unix seconds it was purged, if it was.
    pub purged_at: Option<u64>,
}

/// The sealed records, their metadata and the holder index, in the
/// node-local store; and the keyring that seals them.
pub struct RecordStore {
    meta: sled::Tree,
    sealed: sled::Tree,
    by_holder: sled::Tree,
    keyring: RwLock<Keyring>,
}

impl RecordStore {
    /// The store over the node-local keyspaces `meta`, `sealed` and
    /// `by_holder`, sealing under `keyring`.
    pub fn new(meta: sled::Tree, sealed: sled::Tree, by_holder: sled::Tree, keyring: Keyring) -> Self {
        RecordStore { meta, sealed, by_holder, keyring: RwLock::new(keyring) }
    }

    fn ring(&self) -> std::sync::RwLockReadGuard<'_, Keyring> {
        self.keyring.read().unwrap_or_else(|e| e.into_inner())
    }

    /// The current data key's number.
    pub fn current_key(&self) -> u32 {
        self.ring().current_number()
    }

    /// Seals and stores `record` at unix time `now`, atomically. Refuses a
    /// record already stored, even a purged one. Not yet flushed: call
    /// [`RecordStore::flush`] before its issuing transaction is proposed
    /// (once for many records).
    pub fn put(&self, record: &PrivateRecord, now: u64) -> Result<RecordMeta, PrivateError> {
        record.validate()?;
        let id = record.hash();
        let meta = RecordMeta {
            id,
            issuer: record.issuer.clone(),
            schema: record.schema.clone(),
            commitment: record.commitment.clone(),
            holder_key: record.holder_key_bytes()?,
            stored_at: now,
            legal_hold: false,
            purged_at: None,
        };
        let plaintext = zeroize::Zeroizing::new(encode(record));
        let sealed = encode(&self.ring().seal(&id, &plaintext, &mut OsRng)?);
        let meta_bytes = encode(&meta);
        let index = holder_index(&meta.holder_key, &id);
        // One transaction over the three keyspaces: a crash leaves the
        // record wholly stored or not at all.
        (&self.meta, &self.sealed, &self.by_holder)
            .transaction(|(m, s, h)| {
                if m.get(id)?.is_some() {
                    return Err(ConflictableTransactionError::Abort(()));
                }
                m.insert(&id[..], meta_bytes.as_slice())?;
                s.insert(&id[..], sealed.as_slice())?;
                h.insert(&index[..], &[][..])?;
                Ok(())
            })
            .map_err(|e| match e {
                TransactionError::Abort(()) => PrivateError::Exists(hex::encode(id)),
                TransactionError::Storage(e) => e.into(),
            })?;
        Ok(meta)
    }

    /// Removes a record entirely (one whose issuing transaction the ledger
    /// refused: it was never anchored).
    pub fn remove(&self, id: &RecordId) -> Result<(), PrivateError> {
        if let Some(meta) = self.meta(id)? {
            self.by_holder.remove(holder_index(&meta.holder_key, id))?;
        }
        self.sealed.remove(id)?;
        self.meta.remove(id)?;
        self.flush()
    }

    /// The metadata of record `id`, if stored (purged or not).
    pub fn meta(&self, id: &RecordId) -> Result<Option<RecordMeta>, PrivateError> {
        self.meta.get(id)?.map(|v| decode_canonical(&v).map_err(|e| corrupt(id, e))).transpose()
    }

    /// Record `id` opened: `record_not_found`, `record_purged`, or what
    /// opening the ciphertext refuses.
    pub fn open(&self, id: &RecordId) -> Result<(RecordMeta, PrivateRecord), PrivateError> {
        let meta = self.meta(id)?.ok_or_else(|| PrivateError::NotFound(hex::encode(id)))?;
        if meta.purged_at.is_some() {
            return Err(PrivateError::Purged(hex::encode(id)));
        }
        let sealed: Sealed = self
            .sealed
            .get(id)?
            .map(|v| decode_canonical(&v).map_err(|_| PrivateError::Unreadable))
            .transpose()?
            .ok_or_else(|| corrupt(id, "metadata without a ciphertext"))?;
        let plaintext = self.ring().open(id, &sealed)?;
        let record: PrivateRecord = decode_canonical(&plaintext).map_err(|_| PrivateError::Unreadable)?;
        if record.hash() != *id {
            return Err(PrivateError::Unreadable);
        }
        Ok((meta, record))
    }

    /// The records of the holder with authentication key `holder_key`.
    pub fn by_holder(&self, holder_key: &[u8; 32]) -> Result<Vec<RecordMeta>, PrivateError> {
        let mut out = Vec::new();
        for entry in self.by_holder.scan_prefix(holder_key) {
            let (k, _) = entry?;
            let id: RecordId = k[32..].try_into().map_err(|_| corrupt(&[0; 32], "holder index key"))?;
            out.extend(self.meta(&id)?);
        }
        Ok(out)
    }

    /// Up to `limit` records' metadata with ids after `after`, in id order.
    pub fn list(&self, after: Option<&RecordId>, limit: usize) -> Result<Vec<RecordMeta>, PrivateError> {
        let range = match after {
            Some(a) => self.meta.range::<&[u8], _>((std::ops::Bound::Excluded(a.as_slice()), std::ops::Bound::Unbounded)),
            None => self.meta.iter(),
        };
        range.take(limit).map(|e| e.map_err(PrivateError::from).and_then(|(k, v)| decode_canonical(&v).map_err(|e| corrupt(&k, e)))).collect()
    }

    /// How many records are stored (purged ones included).
    pub fn len(&self) -> usize {
        self.meta.len()
    }

    /// Whether no record is stored.
    pub fn is_empty(&self) -> bool {
        self.meta.is_empty()
    }

    /// Sets or lifts the legal hold of record `id`.
    pub fn set_hold(&self, id: &RecordId, hold: bool) -> Result<RecordMeta, PrivateError> {
        self.update(id, |meta| {
            meta.legal_hold = hold;
            Ok(())
        })
    }

    /// Purges record `id` at `now`: the ciphertext goes, the metadata stays
    /// with the purge time. Refused under a legal hold, or if already purged.
    pub fn purge(&self, id: &RecordId, now: u64) -> Result<RecordMeta, PrivateError> {
        let purged = (&self.meta, &self.sealed)
            .transaction(|(m, s)| {
                let abort = |e: PrivateError| ConflictableTransactionError::Abort(e);
                let old = m.get(id)?.ok_or_else(|| abort(PrivateError::NotFound(hex::encode(id))))?;
                let mut meta: RecordMeta = decode_canonical(&old).map_err(|e| abort(corrupt(id, e)))?;
                if meta.legal_hold {
                    return Err(abort(PrivateError::LegalHold(hex::encode(id))));
                }
                if meta.purged_at.is_some() {
                    return Err(abort(PrivateError::Purged(hex::encode(id))));
                }
                meta.purged_at = Some(now);
                m.insert(&id[..], encode(&meta))?;
                s.remove(&id[..])?;
                Ok(meta)
            })
            .map_err(|e| match e {
                TransactionError::Abort(e) => e,
                TransactionError::Storage(e) => e.into(),
            })?;
        self.flush()?;
        Ok(purged)
    }

    /// Applies `change` to record `id`'s metadata atomically.
    fn update(&self, id: &RecordId, change: impl Fn(&mut RecordMeta) -> Result<(), PrivateError>) -> Result<RecordMeta, PrivateError> {
        loop {
            let old = self.meta.get(id)?.ok_or_else(|| PrivateError::NotFound(hex::encode(id)))?;
            let mut meta: RecordMeta = decode_canonical(&old).map_err(|e| corrupt(id, e))?;
            change(&mut meta)?;
            if self.meta.compare_and_swap(id, Some(old), Some(encode(&meta)))?.is_ok() {
                self.flush()?;
                return Ok(meta);
            }
        }
    }

    /// Replaces the keyring with `keyring` (whose current key seals from
    /// now on), then re-encrypts every record sealed under another key, one
    /// at a time, while the node serves: a record is swapped only if it did
    /// not change meanwhile. Returns how many records were re-encrypted.
    pub fn rotate(&self, keyring: Keyring) -> Result<usize, PrivateError> {
        *self.keyring.write().unwrap_or_else(|e| e.into_inner()) = keyring;
        let current = self.current_key();
        let mut moved = 0;
        for entry in self.sealed.iter() {
            let (id, value) = entry?;
            let sealed: Sealed = decode_canonical(&value).map_err(|_| PrivateError::Unreadable)?;
            if sealed.key == current {
                continue;
            }
            let rid: RecordId = id.as_ref().try_into().map_err(|_| corrupt(&[0; 32], "record id length"))?;
            let resealed = {
                let ring = self.ring();
                let plaintext = ring.open(&rid, &sealed)?;
                ring.seal(&rid, &plaintext, &mut OsRng)?
            };
            if self.sealed.compare_and_swap(&id, Some(value), Some(encode(&resealed)))?.is_ok() {
                moved += 1;
            }
        }
        self.flush()?;
        Ok(moved)
    }

    /// Checks that the keyring opens the records: one record sealed under
    /// each key number in use is opened. A node started with the wrong key
    /// is refused here, naming the key, instead of failing on every read.
    pub fn check_keys(&self) -> Result<(), PrivateError> {
        let mut checked = std::collections::BTreeSet::new();
        for entry in self.sealed.iter() {
            let (id, value) = entry?;
            let sealed: Sealed = decode_canonical(&value).map_err(|_| PrivateError::Unreadable)?;
            if !checked.insert(sealed.key) {
                continue;
            }
            let rid: RecordId = id.as_ref().try_into().map_err(|_| corrupt(&[0; 32], "record id length"))?;
            match self.ring().open(&rid, &sealed) {
                Ok(_) => {}
                Err(PrivateError::Unreadable) => {
                    return Err(PrivateError::BadKeyring(format!(
                        "data key {} does not open record {}: this is not the key the records were sealed under",
                        sealed.key,
                        hex::encode(rid)
                    )))
                }
                Err(e) => return Err(PrivateError::BadKeyring(e.to_string())),
            }
        }
        Ok(())
    }

    /// How many records are sealed under each key number.
    pub fn key_usage(&self) -> Result<BTreeMap<u32, usize>, PrivateError> {
        let mut usage = BTreeMap::new();
        for entry in self.sealed.iter() {
            let (_, value) = entry?;
            let sealed: Sealed = decode_canonical(&value).map_err(|_| PrivateError::Unreadable)?;
            *usage.entry(sealed.key).or_default() += 1;
        }
        Ok(usage)
    }

    /// Writes every change to disk.
    pub fn flush(&self) -> Result<(), PrivateError> {
        self.meta.flush()?;
        self.sealed.flush()?;
        self.by_holder.flush()?;
        Ok(())
    }
}

fn holder_index(holder: &[u8; 32], id: &RecordId) -> [u8; 64] {
    let mut k = [0u8; 64];
    k[..32].copy_from_slice(holder);
    k[32..].copy_from_slice(id);
    k
}

fn corrupt(key: &[u8], what: impl std::fmt::Display) -> PrivateError {
    PrivateError::Storage(format!("private store entry {} is corrupt: {what}", hex::encode(key)))
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) fn record(subject: &str) -> PrivateRecord {
        PrivateRecord {
            issuer: "central-bank".into(),
            schema: "credit-score".into(),
            commitment: format!("0x{}", "ab".repeat(32)),
            holder_key: "cd".repeat(32),
            subject: subject.into(),
            attributes: BTreeMap::from([("score".into(), "731".into())]),
            credential: format!("{{\"salt\":\"{subject}-salt\"}}"),
        }
    }

    fn store(ring: Keyring) -> (sled::Db, RecordStore) {
        let db = sled::Config::new().temporary(true).open().unwrap();
        let s = RecordStore::new(db.open_tree("m").unwrap(), db.open_tree("s").unwrap(), db.open_tree("h").unwrap(), ring);
        (db, s)
    }

    #[test]
    fn a_record_is_stored_sealed_and_opens_to_itself() {
        let (db, s) = store(Keyring::single([1; 32]));
        let r = record("NID-4411");
        let meta = s.put(&r, 100).unwrap();
        assert_eq!(meta.id, r.hash());
        assert_eq!(s.open(&meta.id).unwrap(), (meta.clone(), r.clone()));
        assert_eq!(s.put(&r, 101), Err(PrivateError::Exists(hex::encode(meta.id))));
        assert_eq!(s.by_holder(&[0xcd; 32]).unwrap(), vec![meta.clone()]);
        assert!(s.by_holder(&[0xce; 32]).unwrap().is_empty());
        for tree in db.tree_names() {
            for entry in db.open_tree(tree).unwrap().iter() {
                let (k, v) = entry.unwrap();
                for secret in [b"NID-4411".as_slice(), b"731", b"salt"] {
                    assert!(!k.windows(secret.len()).chain(v.windows(secret.len())).any(|w| w == secret));
                }
            }
        }
        assert!(!format!("{r:?}").contains("NID-4411"));
    }

    #[test]
    fn a_wrong_key_or_a_tampered_ciphertext_is_an_error() {
        let (db, s) = store(Keyring::single([1; 32]));
        let id = s.put(&record("NID-1"), 1).unwrap().id;
        let other = RecordStore::new(db.open_tree("m").unwrap(), db.open_tree("s").unwrap(), db.open_tree("h").unwrap(), Keyring::single([2; 32]));
        assert_eq!(other.open(&id).unwrap_err().code(), "record_unreadable");
        let sealed = db.open_tree("s").unwrap();
        let mut bytes = sealed.get(id).unwrap().unwrap().to_vec();
        let last = bytes.len() - 1;
        bytes[last] ^= 0x40;
        sealed.insert(id, bytes).unwrap();
        assert_eq!(s.open(&id).unwrap_err().code(), "record_unreadable");
        sealed.insert(id, b"garbage".as_slice()).unwrap();
        assert_eq!(s.open(&id).unwrap_err().code(), "record_unreadable");
        assert_eq!(s.open(&[9; 32]).unwrap_err().code(), "record_not_found");
    }

    #[test]
    fn purge_keeps_the_metadata_and_a_legal_hold_forbids_it() {
        let (_db, s) = store(Keyring::single([1; 32]));
        let id = s.put(&record("NID-2"), 1).unwrap().id;
        s.set_hold(&id, true).unwrap();
        assert_eq!(s.purge(&id, 5).unwrap_err().code(), "legal_hold");
        assert!(s.open(&id).is_ok(), "a refused purge changes nothing");
        s.set_hold(&id, false).unwrap();
        assert_eq!(s.purge(&id, 6).unwrap().purged_at, Some(6));
        assert_eq!(s.open(&id).unwrap_err().code(), "record_purged");
        assert_eq!(s.meta(&id).unwrap().unwrap().purged_at, Some(6));
        assert_eq!(s.purge(&id, 7).unwrap_err().code(), "record_purged");
        assert_eq!(s.put(&record("NID-2"), 8).unwrap_err().code(), "record_exists", "a purged record is not stored again");
    }

    #[test]
    fn rotation_reseals_every_record_under_the_new_key() {
        let (_db, s) = store(Keyring::single([1; 32]));
        let ids: Vec<_> = (0..5).map(|i| s.put(&record(&format!("NID-{i}")), 1).unwrap().id).collect();
        let both = Keyring::parse(&format!("1:{}\n2:{}", "01".repeat(32), "02".repeat(32))).unwrap();
        assert_eq!(s.rotate(both).unwrap(), 5);
        assert_eq!(s.key_usage().unwrap(), BTreeMap::from([(2, 5)]));
        // The old key can go now: every record opens under key 2 alone.
        let only_new = Keyring::parse(&format!("2:{}", "02".repeat(32))).unwrap();
        assert_eq!(s.rotate(only_new).unwrap(), 0);
        for id in ids {
            assert!(s.open(&id).is_ok());
        }
    }

    #[test]
    fn malformed_records_are_refused() {
        let (_db, s) = store(Keyring::single([1; 32]));
        let cases: Vec<(&str, Box<dyn Fn(&mut PrivateRecord)>)> = vec![
            ("empty subject", Box::new(|r| r.subject.clear())),
            ("long subject", Box::new(|r| r.subject = "x".repeat(MAX_SUBJECT_LEN + 1))),
            ("bad holder key", Box::new(|r| r.holder_key = "zz".into())),
            ("control in issuer", Box::new(|r| r.issuer = "a\nb".into())),
            ("huge credential", Box::new(|r| r.credential = "x".repeat(MAX_CREDENTIAL_LEN + 1))),
            ("too many attributes", Box::new(|r| r.attributes = (0..=MAX_ATTRIBUTES).map(|i| (i.to_string(), String::new())).collect())),
        ];
        for (name, change) in cases {
            let mut r = record("NID-3");
            change(&mut r);
            assert_eq!(s.put(&r, 1).unwrap_err().code(), "invalid_record", "{name}");
        }
        assert!(s.is_empty(), "nothing was stored");
    }
}
