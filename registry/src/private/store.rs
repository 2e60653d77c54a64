//! The record store: an append-only file of sealed records and metadata
//! changes, with its index in memory.
//!
//! Each entry is a frame:
//!
//! | bytes | field |
//! | --- | --- |
//! | 4 | CRC-32 of the kind, the lengths and the metadata |
//! | 1 | kind: 1 put (metadata and ciphertext), 2 metadata change, 3 removal |
//! | 4 | metadata length `m` (big-endian) |
//! | 4 | ciphertext length `c` (big-endian; 0 but for a put) |
//! | `m` | [`RecordMeta`] (postcard) |
//! | `c` | [`Sealed`] (postcard) |
//!
//! The ciphertext is outside the checksum so that purging a record can
//! overwrite it with zeros where it lies: a purged record's ciphertext is
//! gone from the file, not left behind in a dead page (the AEAD tag is its
//! integrity check). The newest entry of a record wins; opening the file
//! replays it, dropping a torn last frame (a crash in mid-write) and
//! refusing any other damage, naming the offset.
//!
//! Writes go to the end of the file under one lock and are on disk after
//! [`RecordStore::flush`]; concurrent flushes share one sync. Storing a
//! record costs one `write` and no page rewrites, so a regulator's node keeps
//! records at the rate its ledger issues credentials.

use std::collections::{BTreeMap, BTreeSet};
use std::fs::{File, OpenOptions};
use std::io::{BufReader, Read, Seek, SeekFrom, Write};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, RwLock};

use rand::rngs::OsRng;

use super::keyring::{Keyring, RecordId, Sealed};
use super::record::{PrivateRecord, RecordMeta};
use super::PrivateError;
use crate::local::LocalStore;
use crate::tx::{decode_canonical, encode};

const PUT: u8 = 1;
const META: u8 = 2;
const REMOVE: u8 = 3;
const HEADER: usize = 13;
/// Longest metadata or ciphertext a frame may declare.
const MAX_PART: u32 = 1 << 20;

/// Where a record's ciphertext lies in the file, and its key number.
#[derive(Clone, Copy, Debug)]
struct Ciphertext {
    offset: u64,
    len: u32,
    key: u32,
}

#[derive(Default)]
struct Index {
    records: BTreeMap<RecordId, (RecordMeta, Option<Ciphertext>)>,
    by_holder: BTreeSet<([u8; 32], RecordId)>,
}

struct Writer {
    file: File,
    end: u64,
}

/// The sealed records, their metadata and the holder index; and the
/// keyring that seals them.
pub struct RecordStore {
    path: PathBuf,
    index: RwLock<Index>,
    writer: Mutex<Writer>,
    /// Reads and in-place erasure (a file opened for appending writes only at its end).
    at: File,
    /// A handle to sync without the writer's lock, and the end known to be on disk.
    synced: Mutex<(File, u64)>,
    keyring: RwLock<Keyring>,
}

impl RecordStore {
    /// Opens (or creates) the store at `path`, sealing under `keyring`.
    pub fn open(path: &Path, keyring: Keyring) -> Result<Self, PrivateError> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        let mut file = OpenOptions::new().read(true).append(true).create(true).open(path)?;
        let (index, end) = replay(&mut file, path)?;
        let len = file.metadata()?.len();
        if len > end {
            tracing::warn!(path = %path.display(), dropped = len - end, "dropping a torn last entry of the record store");
            file.set_len(end)?;
            file.sync_all()?;
        }
        file.seek(SeekFrom::End(0))?;
        let at = OpenOptions::new().read(true).write(true).open(path)?;
        let synced = Mutex::new((file.try_clone()?, end));
        Ok(RecordStore {
            path: path.to_owned(),
            index: RwLock::new(index),
            writer: Mutex::new(Writer { file, end }),
            at,
            synced,
            keyring: RwLock::new(keyring),
        })
    }

    /// Opens the store at `path`, first moving into it the records an
    /// earlier layout kept in the node-local store `local` (the keyspaces
    /// `private-meta` and `private-sealed`), which are then dropped.
    pub fn open_migrating(path: &Path, keyring: Keyring, local: &LocalStore) -> Result<Self, PrivateError> {
        let store = RecordStore::open(path, keyring)?;
        let db = local.db();
        let names = db.tree_names();
        let has = |name: &str| names.iter().any(|n| n.as_ref() == name.as_bytes());
        if !has("private-meta") {
            return Ok(store);
        }
        let (metas, sealed) = (db.open_tree("private-meta")?, db.open_tree("private-sealed")?);
        let mut moved = 0;
        for entry in metas.iter() {
            let (k, v) = entry?;
            let meta: RecordMeta = decode_canonical(&v).map_err(|e| corrupt(&k, e))?;
            if meta.id[..] != k[..] {
                return Err(corrupt(&k, "metadata stored under another id"));
            }
            if store.meta(&meta.id).is_some() {
                continue;
            }
            let ciphertext = sealed.get(&k)?.map(|v| decode_canonical::<Sealed>(&v).map_err(|e| corrupt(&k, e))).transpose()?;
            let mut index = store.writing();
            let at = store.append(PUT, &meta, ciphertext.as_ref())?;
            index.by_holder.insert((meta.holder_key, meta.id));
            index.records.insert(meta.id, (meta, at));
            moved += 1;
        }
        store.flush()?;
        for name in ["private-meta", "private-sealed", "private-by-holder"] {
            db.drop_tree(name)?;
        }
        tracing::info!(moved, path = %path.display(), "moved the private records into the record store file");
        Ok(store)
    }

    /// The file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn ring(&self) -> std::sync::RwLockReadGuard<'_, Keyring> {
        self.keyring.read().unwrap_or_else(|e| e.into_inner())
    }

    fn reading(&self) -> std::sync::RwLockReadGuard<'_, Index> {
        self.index.read().unwrap_or_else(|e| e.into_inner())
    }

    fn writing(&self) -> std::sync::RwLockWriteGuard<'_, Index> {
        self.index.write().unwrap_or_else(|e| e.into_inner())
    }

    /// The current data key's number.
    pub fn current_key(&self) -> u32 {
        self.ring().current_number()
    }

    /// Appends a frame; returns where its ciphertext lies. The caller holds
    /// the index's write lock (or owns the store), so the file and the
    /// index change together.
    fn append(&self, kind: u8, meta: &RecordMeta, sealed: Option<&Sealed>) -> Result<Option<Ciphertext>, PrivateError> {
        let meta_bytes = encode(meta);
        let sealed_bytes = sealed.map(encode).unwrap_or_default();
        let mut frame = Vec::with_capacity(HEADER + meta_bytes.len() + sealed_bytes.len());
        frame.extend_from_slice(&[0; 4]);
        frame.push(kind);
        frame.extend_from_slice(&(meta_bytes.len() as u32).to_be_bytes());
        frame.extend_from_slice(&(sealed_bytes.len() as u32).to_be_bytes());
        frame.extend_from_slice(&meta_bytes);
        let crc = crc32fast::hash(&frame[4..]);
        frame[..4].copy_from_slice(&crc.to_be_bytes());
        frame.extend_from_slice(&sealed_bytes);
        let mut w = self.writer.lock().unwrap_or_else(|e| e.into_inner());
        let at = w.end;
        if let Err(e) = w.file.write_all(&frame) {
            // Nothing after a failed write may follow a half-written frame.
            let _ = w.file.set_len(at);
            return Err(e.into());
        }
        w.end += frame.len() as u64;
        Ok(sealed.map(|s| Ciphertext { offset: at + (HEADER + meta_bytes.len()) as u64, len: sealed_bytes.len() as u32, key: s.key }))
    }

    /// Overwrites a ciphertext with zeros where it lies.
    fn erase(&self, c: &Ciphertext) -> Result<(), PrivateError> {
        self.at.write_all_at(&vec![0; c.len as usize], c.offset)?;
        Ok(())
    }

    /// Seals and stores `record` at unix time `now`. Refuses a record
    /// already stored, even a purged one. Not yet on disk: call
    /// [`RecordStore::flush`] before its issuing transaction is submitted.
    pub fn put(&self, record: &PrivateRecord, now: u64) -> Result<RecordMeta, PrivateError> {
        record.validate()?;
        let plaintext = zeroize::Zeroizing::new(encode(record));
        let id = super::record::hash_encoded(&plaintext);
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
        let sealed = self.ring().seal(&id, &plaintext, &mut OsRng)?;
        let mut index = self.writing();
        if index.records.contains_key(&id) {
            return Err(PrivateError::Exists(hex::encode(id)));
        }
        let at = self.append(PUT, &meta, Some(&sealed))?;
        index.by_holder.insert((meta.holder_key, id));
        index.records.insert(id, (meta.clone(), at));
        Ok(meta)
    }

    /// Removes a record entirely (one whose issuing transaction the ledger
    /// refused: it was never anchored), its ciphertext erased.
    pub fn remove(&self, id: &RecordId) -> Result<(), PrivateError> {
        {
            let mut index = self.writing();
            let Some((meta, at)) = index.records.get(id).cloned() else { return Ok(()) };
            self.append(REMOVE, &meta, None)?;
            if let Some(c) = at {
                self.erase(&c)?;
            }
            index.by_holder.remove(&(meta.holder_key, *id));
            index.records.remove(id);
        }
        self.flush()
    }

    /// The metadata of record `id`, if stored (purged or not).
    pub fn meta(&self, id: &RecordId) -> Option<RecordMeta> {
        self.reading().records.get(id).map(|(m, _)| m.clone())
    }

    /// Record `id` opened: `record_not_found`, `record_purged`, or what
    /// opening the ciphertext refuses.
    pub fn open_record(&self, id: &RecordId) -> Result<(RecordMeta, PrivateRecord), PrivateError> {
        let (meta, bytes) = {
            let index = self.reading();
            let (meta, at) = index.records.get(id).ok_or_else(|| PrivateError::NotFound(hex::encode(id)))?;
            if meta.purged_at.is_some() {
                return Err(PrivateError::Purged(hex::encode(id)));
            }
            let c = at.ok_or_else(|| corrupt(id, "metadata without a ciphertext"))?;
            let mut bytes = vec![0; c.len as usize];
            self.at.read_exact_at(&mut bytes, c.offset)?;
            (meta.clone(), bytes)
        };
        let sealed: Sealed = decode_canonical(&bytes).map_err(|_| PrivateError::Unreadable)?;
        let plaintext = self.ring().open(id, &sealed)?;
        let record: PrivateRecord = decode_canonical(&plaintext).map_err(|_| PrivateError::Unreadable)?;
        if record.hash() != *id {
            return Err(PrivateError::Unreadable);
        }
        Ok((meta, record))
    }

    /// The records of the holder with authentication key `holder_key`.
    pub fn by_holder(&self, holder_key: &[u8; 32]) -> Vec<RecordMeta> {
        let index = self.reading();
        index
            .by_holder
            .range((*holder_key, [0; 32])..=(*holder_key, [0xff; 32]))
            .filter_map(|(_, id)| index.records.get(id).map(|(m, _)| m.clone()))
            .collect()
    }

    /// Up to `limit` records' metadata with ids after `after`, in id order.
    pub fn list(&self, after: Option<&RecordId>, limit: usize) -> Vec<RecordMeta> {
        use std::ops::Bound;
        let from = after.map_or(Bound::Unbounded, |a| Bound::Excluded(*a));
        self.reading().records.range((from, Bound::Unbounded)).take(limit).map(|(_, (m, _))| m.clone()).collect()
    }

    /// Every record's metadata, in id order.
    pub fn metas(&self) -> Vec<RecordMeta> {
        self.reading().records.values().map(|(m, _)| m.clone()).collect()
    }

    /// How many records are stored (purged ones included).
    pub fn len(&self) -> usize {
        self.reading().records.len()
    }

    /// Whether no record is stored.
    pub fn is_empty(&self) -> bool {
        self.reading().records.is_empty()
    }

    /// Sets or lifts the legal hold of record `id`.
    pub fn set_hold(&self, id: &RecordId, hold: bool) -> Result<RecordMeta, PrivateError> {
        let meta = {
            let mut index = self.writing();
            let (meta, _) = index.records.get_mut(id).ok_or_else(|| PrivateError::NotFound(hex::encode(id)))?;
            let mut changed = meta.clone();
            changed.legal_hold = hold;
            self.append(META, &changed, None)?;
            *meta = changed.clone();
            changed
        };
        self.flush()?;
        Ok(meta)
    }

    /// Purges record `id` at `now`: the ciphertext is erased from the file,
    /// the metadata stays with the purge time. Refused under a legal hold,
    /// or if already purged.
    pub fn purge(&self, id: &RecordId, now: u64) -> Result<RecordMeta, PrivateError> {
        let meta = {
            let mut index = self.writing();
            let (meta, at) = index.records.get_mut(id).ok_or_else(|| PrivateError::NotFound(hex::encode(id)))?;
            if meta.legal_hold {
                return Err(PrivateError::LegalHold(hex::encode(id)));
            }
            if meta.purged_at.is_some() {
                return Err(PrivateError::Purged(hex::encode(id)));
            }
            let mut changed = meta.clone();
            changed.purged_at = Some(now);
            // The purge is recorded before the ciphertext goes: a crash in
            // between leaves a purged record whose bytes are erased again
            // when the file is next opened.
            self.append(META, &changed, None)?;
            self.sync_written()?;
            if let Some(c) = at.take() {
                self.erase(&c)?;
            }
            *meta = changed.clone();
            changed
        };
        self.flush()?;
        Ok(meta)
    }

    /// Replaces the keyring with `keyring` (whose current key seals from
    /// now on), then re-encrypts every record sealed under another key, one
    /// at a time, while the node serves, erasing each old ciphertext.
    /// Returns how many records were re-encrypted.
    pub fn rotate(&self, keyring: Keyring) -> Result<usize, PrivateError> {
        *self.keyring.write().unwrap_or_else(|e| e.into_inner()) = keyring;
        let current = self.current_key();
        let stale: Vec<RecordId> = self.reading().records.iter().filter(|(_, (_, at))| at.is_some_and(|c| c.key != current)).map(|(id, _)| *id).collect();
        let mut moved = 0;
        for id in stale {
            let mut index = self.writing();
            let Some((meta, Some(old))) = index.records.get(&id).cloned() else { continue };
            let mut bytes = vec![0; old.len as usize];
            self.at.read_exact_at(&mut bytes, old.offset)?;
            let sealed: Sealed = decode_canonical(&bytes).map_err(|_| PrivateError::Unreadable)?;
            let resealed = {
                let ring = self.ring();
                let plaintext = ring.open(&id, &sealed)?;
                ring.seal(&id, &plaintext, &mut OsRng)?
            };
            let at = self.append(PUT, &meta, Some(&resealed))?;
            // The new ciphertext is on disk before the old one goes.
            self.sync_written()?;
            self.erase(&old)?;
            index.records.insert(id, (meta, at));
            moved += 1;
        }
        self.flush()?;
        Ok(moved)
    }

    /// Checks that the keyring opens the records: one record sealed under
    /// each key number in use is opened. A node started with the wrong key
    /// is refused here, naming the key, instead of failing on every read.
    pub fn check_keys(&self) -> Result<(), PrivateError> {
        let mut checked = BTreeSet::new();
        let firsts: Vec<RecordId> =
            self.reading().records.iter().filter_map(|(id, (_, at))| at.filter(|c| checked.insert(c.key)).map(|_| *id)).collect();
        for id in firsts {
            match self.open_record(&id) {
                Ok(_) | Err(PrivateError::Purged(_)) | Err(PrivateError::NotFound(_)) => {}
                Err(PrivateError::Unreadable) => {
                    let key = self.reading().records.get(&id).and_then(|(_, at)| *at).map_or(0, |c| c.key);
                    return Err(PrivateError::BadKeyring(format!(
                        "data key {key} does not open record {}: this is not the key the records were sealed under",
                        hex::encode(id)
                    )));
                }
                Err(e) => return Err(PrivateError::BadKeyring(e.to_string())),
            }
        }
        Ok(())
    }

    /// How many records are sealed under each key number.
    pub fn key_usage(&self) -> BTreeMap<u32, usize> {
        let mut usage = BTreeMap::new();
        for (_, at) in self.reading().records.values() {
            if let Some(c) = at {
                *usage.entry(c.key).or_default() += 1;
            }
        }
        usage
    }

    /// Syncs everything written so far to disk, unless another thread's
    /// sync already covered it.
    pub fn flush(&self) -> Result<(), PrivateError> {
        let end = self.writer.lock().unwrap_or_else(|e| e.into_inner()).end;
        let mut synced = self.synced.lock().unwrap_or_else(|e| e.into_inner());
        if synced.1 >= end {
            return Ok(());
        }
        let written = self.writer.lock().unwrap_or_else(|e| e.into_inner()).end;
        synced.0.sync_data()?;
        synced.1 = synced.1.max(written);
        Ok(())
    }

    /// [`RecordStore::flush`] for a caller holding the index's write lock.
    fn sync_written(&self) -> Result<(), PrivateError> {
        self.flush()
    }
}

/// Replays the file into an index; returns it and the end of the last
/// whole frame.
fn replay(file: &mut File, path: &Path) -> Result<(Index, u64), PrivateError> {
    let len = file.metadata()?.len();
    let mut reader = BufReader::with_capacity(1 << 20, &mut *file);
    reader.seek(SeekFrom::Start(0))?;
    let mut index = Index::default();
    let mut erase = Vec::new();
    let mut at = 0u64;
    let damaged = |at: u64, what: &str| PrivateError::Storage(format!("the record store {} is damaged at byte {at}: {what}", path.display()));
    while at < len {
        if len - at < HEADER as u64 {
            break;
        }
        let mut header = [0u8; HEADER];
        reader.read_exact(&mut header)?;
        let kind = header[4];
        let meta_len = u32::from_be_bytes(header[5..9].try_into().expect("4 bytes"));
        let sealed_len = u32::from_be_bytes(header[9..13].try_into().expect("4 bytes"));
        let whole = HEADER as u64 + u64::from(meta_len) + u64::from(sealed_len);
        if at + whole > len {
            // A frame cut short can only be the last one written.
            if len - at <= HEADER as u64 + 2 * u64::from(MAX_PART) {
                break;
            }
            return Err(damaged(at, "an entry runs past the end of the file"));
        }
        if meta_len > MAX_PART || sealed_len > MAX_PART || !(PUT..=REMOVE).contains(&kind) {
            return Err(damaged(at, "an entry's header is not one this store writes"));
        }
        let mut meta_bytes = vec![0; meta_len as usize];
        reader.read_exact(&mut meta_bytes)?;
        let mut hasher = crc32fast::Hasher::new();
        hasher.update(&header[4..]);
        hasher.update(&meta_bytes);
        if hasher.finalize().to_be_bytes() != header[..4] {
            if at + whole == len {
                break;
            }
            return Err(damaged(at, "an entry's checksum does not match"));
        }
        reader.seek_relative(i64::from(sealed_len))?;
        let meta: RecordMeta = decode_canonical(&meta_bytes).map_err(|e| damaged(at, &e.to_string()))?;
        let id = meta.id;
        let ciphertext = (sealed_len > 0).then(|| Ciphertext { offset: at + HEADER as u64 + u64::from(meta_len), len: sealed_len, key: 0 });
        match kind {
            PUT => {
                if let Some((_, Some(old))) = index.records.get(&id) {
                    erase.push(*old);
                }
                index.by_holder.insert((meta.holder_key, id));
                index.records.insert(id, (meta, ciphertext));
            }
            META => {
                let purged = meta.purged_at.is_some();
                let entry = index.records.entry(id).or_insert_with(|| (meta.clone(), None));
                entry.0 = meta;
                if purged {
                    erase.extend(entry.1.take());
                }
            }
            _ => {
                if let Some((meta, at)) = index.records.remove(&id) {
                    index.by_holder.remove(&(meta.holder_key, id));
                    erase.extend(at);
                }
            }
        }
        at += whole;
    }
    drop(reader);
    // Ciphertexts that a crash left unerased are erased now; the key
    // number of each live one is read from its first bytes.
    let at_file = OpenOptions::new().read(true).write(true).open(path)?;
    for c in erase {
        at_file.write_all_at(&vec![0; c.len as usize], c.offset)?;
    }
    for (_, c) in index.records.values_mut() {
        if let Some(c) = c {
            let mut head = vec![0; (c.len as usize).min(5)];
            at_file.read_exact_at(&mut head, c.offset)?;
            c.key = postcard::take_from_bytes::<u32>(&head).map(|(k, _)| k).unwrap_or(0);
        }
    }
    at_file.sync_data()?;
    Ok((index, at))
}

fn corrupt(key: &[u8], what: impl std::fmt::Display) -> PrivateError {
    PrivateError::Storage(format!("private store entry {} is corrupt: {what}", hex::encode(key)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::private::record::tests::record;

    fn store(dir: &tempfile::TempDir, ring: Keyring) -> RecordStore {
        RecordStore::open(&dir.path().join("records.log"), ring).unwrap()
    }

    fn file_bytes(dir: &tempfile::TempDir) -> Vec<u8> {
        std::fs::read(dir.path().join("records.log")).unwrap()
    }

    fn contains(haystack: &[u8], needle: &[u8]) -> bool {
        haystack.windows(needle.len()).any(|w| w == needle)
    }

    /// The ciphertext bytes of record `id` as they lie in the file.
    fn ciphertext_of(s: &RecordStore, id: &RecordId) -> Vec<u8> {
        let c = s.reading().records.get(id).unwrap().1.unwrap();
        let mut bytes = vec![0; c.len as usize];
        s.at.read_exact_at(&mut bytes, c.offset).unwrap();
        bytes
    }

    #[test]
    fn a_record_is_stored_sealed_and_opens_to_itself_also_after_a_restart() {
        let dir = tempfile::tempdir().unwrap();
        let s = store(&dir, Keyring::single([1; 32]));
        let r = record("NID-4411");
        let meta = s.put(&r, 100).unwrap();
        assert_eq!(meta.id, r.hash());
        assert_eq!(s.open_record(&meta.id).unwrap(), (meta.clone(), r.clone()));
        assert_eq!(s.put(&r, 101), Err(PrivateError::Exists(hex::encode(meta.id))));
        assert_eq!(s.by_holder(&[0xcd; 32]), vec![meta.clone()]);
        assert!(s.by_holder(&[0xce; 32]).is_empty());
        s.flush().unwrap();
        let bytes = file_bytes(&dir);
        for secret in [b"NID-4411".as_slice(), b"731", b"salt"] {
            assert!(!contains(&bytes, secret), "the file holds no secret in the clear");
        }
        assert!(!format!("{r:?}").contains("NID-4411"));
        drop(s);
        let s = store(&dir, Keyring::single([1; 32]));
        assert_eq!(s.open_record(&meta.id).unwrap(), (meta.clone(), r));
        assert_eq!(s.by_holder(&[0xcd; 32]), vec![meta]);
        assert_eq!(s.key_usage(), BTreeMap::from([(1, 1)]));
    }

    #[test]
    fn a_wrong_key_or_a_tampered_ciphertext_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let s = store(&dir, Keyring::single([1; 32]));
        let id = s.put(&record("NID-1"), 1).unwrap().id;
        s.flush().unwrap();
        drop(s);
        let other = store(&dir, Keyring::single([2; 32]));
        assert_eq!(other.open_record(&id).unwrap_err().code(), "record_unreadable");
        assert_eq!(other.check_keys().unwrap_err().code(), "bad_keyring", "a node started with another key is refused");
        drop(other);
        let s = store(&dir, Keyring::single([1; 32]));
        s.check_keys().unwrap();
        let c = s.reading().records.get(&id).unwrap().1.unwrap();
        let last = c.offset + u64::from(c.len) - 1;
        let mut byte = [0u8];
        s.at.read_exact_at(&mut byte, last).unwrap();
        s.at.write_all_at(&[byte[0] ^ 0x40], last).unwrap();
        assert_eq!(s.open_record(&id).unwrap_err().code(), "record_unreadable");
        assert_eq!(s.open_record(&[9; 32]).unwrap_err().code(), "record_not_found");
    }

    #[test]
    fn purge_erases_the_ciphertext_keeps_the_metadata_and_a_legal_hold_forbids_it() {
        let dir = tempfile::tempdir().unwrap();
        let s = store(&dir, Keyring::single([1; 32]));
        let id = s.put(&record("NID-2"), 1).unwrap().id;
        let ciphertext = ciphertext_of(&s, &id);
        s.set_hold(&id, true).unwrap();
        assert_eq!(s.purge(&id, 5).unwrap_err().code(), "legal_hold");
        assert!(s.open_record(&id).is_ok(), "a refused purge changes nothing");
        s.set_hold(&id, false).unwrap();
        assert_eq!(s.purge(&id, 6).unwrap().purged_at, Some(6));
        assert_eq!(s.open_record(&id).unwrap_err().code(), "record_purged");
        assert_eq!(s.meta(&id).unwrap().purged_at, Some(6));
        assert_eq!(s.purge(&id, 7).unwrap_err().code(), "record_purged");
        assert_eq!(s.put(&record("NID-2"), 8).unwrap_err().code(), "record_exists", "a purged record is not stored again");
        assert!(!contains(&file_bytes(&dir), &ciphertext[8..]), "the ciphertext is gone from the file");
        drop(s);
        let s = store(&dir, Keyring::single([1; 32]));
        assert_eq!(s.open_record(&id).unwrap_err().code(), "record_purged");
        assert!(!s.meta(&id).unwrap().legal_hold);
    }

    #[test]
    fn rotation_reseals_every_record_under_the_new_key_and_erases_the_old_ciphertexts() {
        let dir = tempfile::tempdir().unwrap();
        let s = store(&dir, Keyring::single([1; 32]));
        let ids: Vec<_> = (0..5).map(|i| s.put(&record(&format!("NID-{i}")), 1).unwrap().id).collect();
        let old = ciphertext_of(&s, &ids[0]);
        let both = Keyring::parse(&format!("1:{}\n2:{}", "01".repeat(32), "02".repeat(32))).unwrap();
        assert_eq!(s.rotate(both).unwrap(), 5);
        assert_eq!(s.key_usage(), BTreeMap::from([(2, 5)]));
        assert!(!contains(&file_bytes(&dir), &old[8..]), "the old ciphertext is erased");
        drop(s);
        // The old key can go now: every record opens under key 2 alone.
        let only_new = Keyring::parse(&format!("2:{}", "02".repeat(32))).unwrap();
        let s = store(&dir, only_new.clone());
        s.check_keys().unwrap();
        assert_eq!(s.rotate(only_new).unwrap(), 0);
        for id in ids {
            assert!(s.open_record(&id).is_ok());
        }
    }

    #[test]
    fn a_torn_last_entry_is_dropped_and_damage_before_it_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let s = store(&dir, Keyring::single([1; 32]));
        let first = s.put(&record("NID-7"), 1).unwrap().id;
        let second = s.put(&record("NID-8"), 1).unwrap().id;
        s.flush().unwrap();
        drop(s);
        let whole = file_bytes(&dir);
        // A crash in mid-write: the second entry is cut short.
        std::fs::write(dir.path().join("records.log"), &whole[..whole.len() - 10]).unwrap();
        let s = store(&dir, Keyring::single([1; 32]));
        assert!(s.open_record(&first).is_ok());
        assert_eq!(s.open_record(&second).unwrap_err().code(), "record_not_found");
        let third = s.put(&record("NID-9"), 2).unwrap().id;
        s.flush().unwrap();
        drop(s);
        let s = store(&dir, Keyring::single([1; 32]));
        assert!(s.open_record(&third).is_ok(), "what follows a dropped tail is whole");
        drop(s);
        // A flipped bit in the first entry's metadata is damage, not a torn tail.
        let mut bytes = file_bytes(&dir);
        bytes[HEADER + 3] ^= 1;
        std::fs::write(dir.path().join("records.log"), &bytes).unwrap();
        let err = RecordStore::open(&dir.path().join("records.log"), Keyring::single([1; 32])).err().unwrap();
        assert!(err.to_string().contains("damaged at byte 0"), "{err}");
        assert_eq!(std::fs::read(dir.path().join("records.log")).unwrap(), bytes, "a refused open changes nothing");
    }

    #[test]
    fn records_kept_in_the_node_local_store_move_into_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let local = LocalStore::open(dir.path()).unwrap();
        let ring = Keyring::single([1; 32]);
        let (kept, purged) = (record("NID-5"), record("NID-6"));
        let staging = tempfile::tempdir().unwrap();
        let staged = store(&staging, ring.clone());
        let kept_meta = staged.put(&kept, 3).unwrap();
        let purged_id = staged.put(&purged, 3).unwrap().id;
        let purged_meta = staged.purge(&purged_id, 4).unwrap();
        // The earlier layout: metadata and ciphertexts by id, in two keyspaces.
        let (m, c, h) = (local.db().open_tree("private-meta").unwrap(), local.db().open_tree("private-sealed").unwrap(), local.db().open_tree("private-by-holder").unwrap());
        m.insert(kept_meta.id, encode(&kept_meta)).unwrap();
        m.insert(purged_id, encode(&purged_meta)).unwrap();
        c.insert(kept_meta.id, ciphertext_of(&staged, &kept_meta.id)).unwrap();
        h.insert([[0xcd; 32], kept_meta.id].concat(), &[][..]).unwrap();
        let path = dir.path().join("private").join("records.log");
        let s = RecordStore::open_migrating(&path, ring.clone(), &local).unwrap();
        assert_eq!(s.open_record(&kept_meta.id).unwrap(), (kept_meta.clone(), kept));
        assert_eq!(s.open_record(&purged_id).unwrap_err().code(), "record_purged");
        assert_eq!(s.by_holder(&[0xcd; 32]).len(), 2);
        let names = local.db().tree_names();
        assert!(!names.iter().any(|n| n.starts_with(b"private-")), "the old keyspaces are gone");
        drop(s);
        assert_eq!(RecordStore::open_migrating(&path, ring, &local).unwrap().len(), 2, "opening again moves nothing twice");
    }
}
