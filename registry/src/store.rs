//! The sled layout. Everything lives in one keyspace so that a block is one
//! atomic batch, flushed before it is acknowledged.
//!
//! | key | value |
//! | --- | --- |
//! | `V` | the layout's version, [`FORMAT`] |
//! | `G` | genesis (JSON) |
//! | `M` | tip header |
//! | `Y` | registry (regulators, schemas, verifying keys, nonces, counts) |
//! | `h` height | header |
//! | `b` height | the block's signed transactions |
//! | `r` tx id | receipt (with the height and position of the transaction) |
//! | `c` commitment | credential record |
//! | `n` level index ¬height | tree node written at that height (versions newest first) |
//! | `R` height | commitment-tree root after that block |
//! | `a` record hash | height it was anchored at |
//! | `e` signer height index | an audit transaction's kind and subject hash |
//! | `S` height node id | a consortium node's signature of that header |
//! | `P` proposal id | a governance proposal as the last block that changed it left it |
//! | `s` day issuer schema | credentials issued and revoked that day ([`crate::stats`]) |
//! | `T` | present once the `s` statistics cover every block |
//!
//! Integers are big-endian so that keys sort numerically; `¬height` is
//! `u64::MAX - height`, so the newest version of a node comes first.

use std::path::Path;

use ark_bn254::Fr;
use serde::{Deserialize, Serialize};

use zkreg_circuits::constants::TREE_DEPTH;
use zkreg_circuits::field::{fr_from_bytes, fr_to_bytes};
use zkreg_circuits::tree::empty_subtree_roots;

use crate::block::BlockHeader;
use crate::error::LedgerError;
use crate::genesis::Genesis;
use crate::governance::ProposalRecord;
use crate::state::{BlockEffects, CredentialRecord, Receipt, Registry};
use crate::tx::{decode_canonical, encode, Hash, SignedTransaction};

const GENESIS: &[u8] = b"G";
const VERSION: &[u8] = b"V";

/// The version of this layout and of what it stores: v2 stores commitment-v2
/// leaves, verifier records and receipts with the computed leaf. A data
/// directory of another version is refused at open, never misread.
pub const FORMAT: &str = "zkreg-ledger-v2";
const TIP: &[u8] = b"M";
const STATS_COMPLETE: &[u8] = b"T";
const REGISTRY: &[u8] = b"Y";

fn key(prefix: u8, parts: &[&[u8]]) -> Vec<u8> {
    let mut k = vec![prefix];
    for p in parts {
        k.extend_from_slice(p);
    }
    k
}

fn node_key(level: usize, index: u64, height: u64) -> Vec<u8> {
    key(b'n', &[&[level as u8], &index.to_be_bytes(), &(u64::MAX - height).to_be_bytes()])
}

/// The registry as stored (ordered maps, so the encoding is deterministic).
#[derive(Serialize, Deserialize)]
struct StoredRegistry {
    regulators: Vec<crate::state::RegulatorRecord>,
    schemas: Vec<crate::state::SchemaRecord>,
    verifying_keys: Vec<crate::state::VerifyingKeyRecord>,
    verifiers: Vec<crate::state::VerifierRecord>,
    nonces: Vec<([u8; 32], u64)>,
    counts: Vec<((String, String), crate::state::CredentialCounts)>,
}

impl From<&Registry> for StoredRegistry {
    fn from(r: &Registry) -> Self {
        let mut nonces: Vec<_> = r.nonces.iter().map(|(k, v)| (*k, *v)).collect();
        nonces.sort_unstable();
        StoredRegistry {
            regulators: r.regulators.values().cloned().collect(),
            schemas: r.schemas.values().cloned().collect(),
            verifying_keys: r.verifying_keys.values().cloned().collect(),
            verifiers: r.verifiers.values().cloned().collect(),
            nonces,
            counts: r.counts.iter().map(|(k, v)| (k.clone(), *v)).collect(),
        }
    }
}

impl From<StoredRegistry> for Registry {
    fn from(s: StoredRegistry) -> Self {
        let mut r = Registry::default();
        for reg in s.regulators {
            if reg.active {
                r.regulator_keys.insert(reg.key, reg.name.clone());
            }
            r.regulators.insert(reg.name.clone(), reg);
        }
        r.schemas = s.schemas.into_iter().map(|x| (x.name.clone(), x)).collect();
        r.verifying_keys = s.verifying_keys.into_iter().map(|x| (x.circuit_id.clone(), x)).collect();
        for v in s.verifiers {
            if v.active {
                r.verifier_keys.insert(v.key, v.name.clone());
            }
            r.verifiers.insert(v.name.clone(), v);
        }
        r.nonces = s.nonces.into_iter().collect();
        r.counts = s.counts.into_iter().collect();
        r
    }
}

/// Typed access to the ledger's sled database. Clones share the database,
/// so readers need not hold the ledger.
#[derive(Clone)]
pub struct Store {
    db: sled::Db,
    /// Whether blocks update the daily statistics (always, but for
    /// measuring what they cost).
    stats: bool,
}

fn corrupt(key: &[u8], reason: impl ToString) -> LedgerError {
    LedgerError::Corrupt { key: hex::encode(key), reason: reason.to_string() }
}

impl Store {
    /// Opens (or creates) the database in `dir`.
    pub fn open(dir: &Path) -> Result<Self, LedgerError> {
        Ok(Store { db: sled::Config::new().path(dir).mode(sled::Mode::HighThroughput).open()?, stats: true })
    }

    fn get<T: Serialize + for<'de> Deserialize<'de>>(&self, k: &[u8]) -> Result<Option<T>, LedgerError> {
        match self.db.get(k)? {
            None => Ok(None),
            Some(v) => decode_canonical(&v).map(Some).map_err(|e| corrupt(k, e)),
        }
    }

    /// Refuses an initialised directory written by another version of the layout.
    pub fn check_format(&self) -> Result<(), LedgerError> {
        if !self.db.contains_key(GENESIS)? {
            return Ok(());
        }
        match self.db.get(VERSION)? {
            Some(v) if v.as_ref() == FORMAT.as_bytes() => Ok(()),
            found => Err(LedgerError::UnsupportedFormat {
                found: found.map_or_else(|| "zkreg-ledger-v1".into(), |v| String::from_utf8_lossy(&v).into_owned()),
            }),
        }
    }

    /// The stored genesis, if the directory is initialised.
    pub fn genesis(&self) -> Result<Option<Genesis>, LedgerError> {
        match self.db.get(GENESIS)? {
            None => Ok(None),
            Some(v) => serde_json::from_slice(&v).map(Some).map_err(|e| corrupt(GENESIS, e)),
        }
    }

    /// Writes the genesis block (height 0) in one batch.
    pub fn init(&self, genesis: &Genesis, header: &BlockHeader, registry: &Registry) -> Result<(), LedgerError> {
        let mut batch = sled::Batch::default();
        let json = serde_json::to_vec(genesis).map_err(|e| LedgerError::Genesis(e.to_string()))?;
        batch.insert(VERSION, FORMAT.as_bytes());
        batch.insert(GENESIS, json);
        batch.insert(TIP, encode(header));
        batch.insert(key(b'h', &[&0u64.to_be_bytes()]), encode(header));
        batch.insert(key(b'b', &[&0u64.to_be_bytes()]), encode(&Vec::<SignedTransaction>::new()));
        batch.insert(key(b'R', &[&0u64.to_be_bytes()]), header.tree_root.to_vec());
        batch.insert(REGISTRY, encode(&StoredRegistry::from(registry)));
        batch.insert(STATS_COMPLETE, Vec::new());
        self.db.apply_batch(batch)?;
        self.db.flush()?;
        Ok(())
    }

    /// Turns the daily statistics off (`false`) for the blocks this handle
    /// commits: only to measure what keeping them costs (`zkreg bench
    /// ledger`); a node always keeps them.
    pub fn set_statistics(&mut self, on: bool) {
        self.stats = on;
    }

    /// The block's statistics merged into the stored days, into `batch`.
    fn stage_statistics(&self, effects: &BlockEffects, batch: &mut sled::Batch) -> Result<(), LedgerError> {
        let day = crate::stats::day_of(effects.header.time);
        for ((issuer, schema), delta) in crate::stats::block_deltas(effects) {
            let k = crate::stats::day_key(day, &issuer, &schema);
            let stored: crate::stats::DayCounts = self.get(&k)?.unwrap_or_default();
            batch.insert(k, encode(&stored.add(delta)));
        }
        Ok(())
    }

    /// The daily statistics from day `from` to day `to` (inclusive), by
    /// day, issuer and schema.
    pub fn day_entries(&self, from: u64, to: u64) -> Result<Vec<crate::stats::DayEntry>, LedgerError> {
        let mut out = Vec::new();
        let start = key(b's', &[&from.to_be_bytes()]);
        let end = key(b's', &[&to.saturating_add(1).to_be_bytes()]);
        for entry in self.db.range(start..end) {
            let (k, v) = entry?;
            let (day, issuer, schema) = crate::stats::parse_day_key(&k).ok_or_else(|| corrupt(&k, "statistics key"))?;
            let counts = decode_canonical(&v).map_err(|e| corrupt(&k, e))?;
            out.push(crate::stats::DayEntry { day, issuer, schema, counts });
        }
        // Keys sort by the issuer's length first; callers get names in order.
        out.sort_by(|a, b| (a.day, &a.issuer, &a.schema).cmp(&(b.day, &b.issuer, &b.schema)));
        Ok(out)
    }

    /// Whether the daily statistics cover every block (a directory written
    /// before they existed has none until [`Store::backfill_statistics`]).
    pub fn statistics_complete(&self) -> Result<bool, LedgerError> {
        Ok(self.db.contains_key(STATS_COMPLETE)?)
    }

    /// Rebuilds the daily statistics from the stored credential records
    /// and the headers (once, for a directory written before they existed),
    /// in one batch with the marker. Returns how many days it wrote.
    pub fn backfill_statistics(&self) -> Result<usize, LedgerError> {
        let mut days: std::collections::BTreeMap<(u64, String, String), crate::stats::DayCounts> = Default::default();
        let mut day_at = std::collections::HashMap::new();
        let mut day_of_height = |h: u64| -> Result<u64, LedgerError> {
            if let Some(d) = day_at.get(&h) {
                return Ok(*d);
            }
            let header = self.header(h)?.ok_or_else(|| LedgerError::NotFound(format!("header {h}")))?;
            let d = crate::stats::day_of(header.time);
            day_at.insert(h, d);
            Ok(d)
        };
        for entry in self.credentials() {
            let (_, record) = entry?;
            let issued = day_of_height(record.issued_at)?;
            days.entry((issued, record.issuer.clone(), record.schema.clone())).or_default().issued += 1;
            if let Some(r) = record.revoked_at {
                let revoked = day_of_height(r)?;
                days.entry((revoked, record.issuer.clone(), record.schema.clone())).or_default().revoked += 1;
            }
        }
        let mut batch = sled::Batch::default();
        for ((day, issuer, schema), counts) in &days {
            batch.insert(crate::stats::day_key(*day, issuer, schema), encode(counts));
        }
        batch.insert(STATS_COMPLETE, Vec::new());
        self.db.apply_batch(batch)?;
        self.db.flush()?;
        Ok(days.len())
    }

    /// Persists a block atomically and flushes it to disk. `extra` keys
    /// (the Raft state machine's applied marker) go in the same batch.
    /// Versions of the written tree nodes that no root in the window of
    /// `root_window` blocks can reach any more are deleted in the same
    /// batch ([`prunable_versions`]).
    pub fn commit(&self, txs: &[SignedTransaction], effects: &BlockEffects, extra: &[(&[u8], Vec<u8>)], root_window: u64) -> Result<(), LedgerError> {
        let h = effects.header.height;
        let hb = h.to_be_bytes();
        let mut batch = sled::Batch::default();
        for (k, v) in extra {
            batch.insert(*k, v.as_slice());
        }
        batch.insert(TIP, encode(&effects.header));
        batch.insert(key(b'h', &[&hb]), encode(&effects.header));
        batch.insert(key(b'b', &[&hb]), encode(&txs));
        batch.insert(key(b'R', &[&hb]), effects.header.tree_root.to_vec());
        for r in effects.receipts.iter().filter(|r| !r.is_duplicate()) {
            // A duplicate's id already has its receipt; it is not replaced.
            batch.insert(key(b'r', &[&r.tx_id]), encode(r));
        }
        for (cm, record) in &effects.credentials {
            batch.insert(key(b'c', &[cm]), encode(record));
        }
        for (level, index, value) in &effects.nodes {
            batch.insert(node_key(*level, *index, h), fr_to_bytes(value).to_vec());
            let mut older = Vec::new();
            for entry in self.db.range(node_key(*level, *index, h.saturating_sub(1))..=node_key(*level, *index, 0)) {
                let (k, _) = entry?;
                older.push(u64::MAX - u64::from_be_bytes(k[10..18].try_into().map_err(|_| corrupt(&k, "node key length"))?));
            }
            for height in prunable_versions(h, &older, root_window) {
                batch.remove(node_key(*level, *index, height));
            }
        }
        for a in &effects.anchors {
            batch.insert(key(b'a', &[a]), hb.to_vec());
        }
        for (i, (signer, kind, subject)) in effects.audit_events.iter().enumerate() {
            batch.insert(key(b'e', &[signer, &hb, &(i as u32).to_be_bytes()]), encode(&(kind, subject)));
        }
        for p in &effects.proposals {
            batch.insert(key(b'P', &[&p.id]), encode(p));
        }
        if self.stats {
            self.stage_statistics(effects, &mut batch)?;
        }
        batch.insert(REGISTRY, encode(&StoredRegistry::from(&effects.registry)));
        self.db.apply_batch(batch)?;
        self.db.flush()?;
        Ok(())
    }

    /// The tip header.
    pub fn tip(&self) -> Result<BlockHeader, LedgerError> {
        self.get(TIP)?.ok_or_else(|| LedgerError::NotFound("tip header".into()))
    }

    /// The registry after the tip, its governance proposals included.
    pub fn registry(&self) -> Result<Registry, LedgerError> {
        let stored: StoredRegistry = self.get(REGISTRY)?.ok_or_else(|| LedgerError::NotFound("registry".into()))?;
        let mut registry = Registry::from(stored);
        for entry in self.db.scan_prefix([b'P']) {
            let (k, v) = entry?;
            let record: ProposalRecord = decode_canonical(&v).map_err(|e| corrupt(&k, e))?;
            if k[1..] != record.id {
                return Err(corrupt(&k, "proposal stored under another id"));
            }
            registry.proposals.insert(record.id, record);
        }
        Ok(registry)
    }

    /// The header at `height`.
    pub fn header(&self, height: u64) -> Result<Option<BlockHeader>, LedgerError> {
        self.get(&key(b'h', &[&height.to_be_bytes()]))
    }

    /// The transactions of the block at `height`.
    pub fn block_txs(&self, height: u64) -> Result<Option<Vec<SignedTransaction>>, LedgerError> {
        self.get(&key(b'b', &[&height.to_be_bytes()]))
    }

    /// Where a transaction was included: (height, position).
    pub fn tx_location(&self, id: &Hash) -> Result<Option<(u64, u32)>, LedgerError> {
        Ok(self.receipt(id)?.map(|r| (r.height, r.index)))
    }

    /// A transaction's receipt.
    pub fn receipt(&self, id: &Hash) -> Result<Option<Receipt>, LedgerError> {
        self.get(&key(b'r', &[id]))
    }

    /// A credential by commitment.
    pub fn credential(&self, commitment: &[u8; 32]) -> Result<Option<CredentialRecord>, LedgerError> {
        self.get(&key(b'c', &[commitment]))
    }

    /// The root after block `height`.
    pub fn root_at(&self, height: u64) -> Result<Option<[u8; 32]>, LedgerError> {
        let k = key(b'R', &[&height.to_be_bytes()]);
        match self.db.get(&k)? {
            None => Ok(None),
            Some(v) => v.as_ref().try_into().map(Some).map_err(|_| corrupt(&k, "root is not 32 bytes")),
        }
    }

    /// The audit transactions `signer` made, in ledger order: `(height,
    /// kind, subject hash)`.
    pub fn audit_events(&self, signer: &[u8; 32]) -> Result<Vec<(u64, String, [u8; 32])>, LedgerError> {
        let mut out = Vec::new();
        for entry in self.db.scan_prefix(key(b'e', &[signer])) {
            let (k, v) = entry?;
            let height = k.get(33..41).and_then(|b| b.try_into().ok()).map(u64::from_be_bytes).ok_or_else(|| corrupt(&k, "audit key length"))?;
            let (kind, subject): (String, [u8; 32]) = decode_canonical(&v).map_err(|e| corrupt(&k, e))?;
            out.push((height, kind, subject));
        }
        Ok(out)
    }

    /// Height a private-record hash was anchored at.
    pub fn anchor(&self, record_hash: &[u8; 32]) -> Result<Option<u64>, LedgerError> {
        let k = key(b'a', &[record_hash]);
        match self.db.get(&k)? {
            None => Ok(None),
            Some(v) => v.as_ref().try_into().map(|b| Some(u64::from_be_bytes(b))).map_err(|_| corrupt(&k, "bad height")),
        }
    }

    fn decode_node(k: &[u8], v: &[u8]) -> Result<Fr, LedgerError> {
        fr_from_bytes(v).map_err(|e| corrupt(k, e))
    }

    /// The node at `(level, index)` as it was after block `height` (the
    /// empty-subtree value if it had not been written yet).
    pub fn node_at(&self, level: usize, index: u64, height: u64) -> Result<Fr, LedgerError> {
        let start = node_key(level, index, height);
        let end = node_key(level, index, 0);
        match self.db.range(start..=end).next() {
            Some(entry) => {
                let (k, v) = entry?;
                Self::decode_node(&k, &v)
            }
            None => Ok(empty_subtree_roots()[level]),
        }
    }

    /// Every stored version of every node: `(level, index, height, value bytes)`.
    pub fn node_versions(&self) -> impl Iterator<Item = Result<(usize, u64, u64, sled::IVec), LedgerError>> + '_ {
        self.db.scan_prefix([b'n']).map(|entry| {
            let (k, v) = entry?;
            if k.len() != 18 {
                return Err(corrupt(&k, "node key length"));
            }
            let level = k[1] as usize;
            let index = u64::from_be_bytes(k[2..10].try_into().unwrap_or_default());
            let height = u64::MAX - u64::from_be_bytes(k[10..18].try_into().unwrap_or_default());
            Ok((level, index, height, v))
        })
    }

    /// The newest version of every node, as dense levels.
    pub fn tree_levels(&self) -> Result<Vec<Vec<Fr>>, LedgerError> {
        let mut levels: Vec<Vec<Fr>> = vec![Vec::new(); TREE_DEPTH + 1];
        let mut last: Option<(usize, u64)> = None;
        for entry in self.db.scan_prefix([b'n']) {
            let (k, v) = entry?;
            if k.len() != 18 || k[1] as usize > TREE_DEPTH {
                return Err(corrupt(&k, "node key"));
            }
            let level = k[1] as usize;
            let index = u64::from_be_bytes(k[2..10].try_into().unwrap_or_default());
            if last == Some((level, index)) {
                continue; // an older version
            }
            last = Some((level, index));
            if index != levels[level].len() as u64 {
                return Err(corrupt(&k, "tree level is not a dense prefix"));
            }
            levels[level].push(Self::decode_node(&k, &v)?);
        }
        Ok(levels)
    }

    /// The key of node `node_id`'s signature of the header at `height`.
    pub fn header_signature_key(height: u64, node_id: u64) -> Vec<u8> {
        key(b'S', &[&height.to_be_bytes(), &node_id.to_be_bytes()])
    }

    /// The consortium's signatures of the header at `height`, by node id.
    pub fn header_signatures(&self, height: u64) -> Result<Vec<(u64, Vec<u8>)>, LedgerError> {
        let mut out = Vec::new();
        for entry in self.db.scan_prefix(key(b'S', &[&height.to_be_bytes()])) {
            let (k, v) = entry?;
            let node: [u8; 8] = k.get(9..17).and_then(|b| b.try_into().ok()).ok_or_else(|| corrupt(&k, "signature key length"))?;
            out.push((u64::from_be_bytes(node), v.to_vec()));
        }
        Ok(out)
    }

    /// A raw value of the chain's keyspace (the Raft state machine's own keys).
    pub fn get_raw(&self, k: &[u8]) -> Result<Option<sled::IVec>, LedgerError> {
        Ok(self.db.get(k)?)
    }

    /// Writes raw keys of the chain's keyspace in one batch, not flushed
    /// (what the Raft state machine records for entries that are no block:
    /// replaying them after a crash is harmless).
    pub fn put_raw(&self, pairs: &[(&[u8], Vec<u8>)]) -> Result<(), LedgerError> {
        let mut batch = sled::Batch::default();
        for (k, v) in pairs {
            batch.insert(*k, v.as_slice());
        }
        Ok(self.db.apply_batch(batch)?)
    }

    /// Every key and value of the chain's keyspace, in key order: the
    /// replicated state a snapshot carries (never the node-local store, which
    /// is another database, nor the Raft log, which is another keyspace).
    pub fn export(&self) -> Result<Vec<(Vec<u8>, Vec<u8>)>, LedgerError> {
        self.db.iter().map(|e| e.map(|(k, v)| (k.to_vec(), v.to_vec())).map_err(LedgerError::from)).collect()
    }

    /// Replaces the chain's keyspace with `pairs` in one atomic batch and
    /// flushes it: a crash leaves either the old state or the new one.
    pub fn replace_all(&self, pairs: &[(Vec<u8>, Vec<u8>)]) -> Result<(), LedgerError> {
        let mut batch = sled::Batch::default();
        for k in self.db.iter().keys() {
            batch.remove(k?);
        }
        for (k, v) in pairs {
            batch.insert(k.as_slice(), v.as_slice());
        }
        self.db.apply_batch(batch)?;
        self.db.flush()?;
        Ok(())
    }

    /// A keyspace of the same database beside the chain's (the Raft log).
    pub fn open_tree(&self, name: &str) -> Result<sled::Tree, LedgerError> {
        Ok(self.db.open_tree(name)?)
    }

    /// Flushes everything written to disk.
    pub fn flush(&self) -> Result<(), LedgerError> {
        self.db.flush()?;
        Ok(())
    }

    /// Whether the database has a keyspace named `name` (an older node's
    /// node-local keyspace, see [`crate::local::LocalStore::migrate_from`]).
    pub fn has_tree(&self, name: &str) -> bool {
        self.db.tree_names().iter().any(|n| n.as_ref() == name.as_bytes())
    }

    /// Opens an older node's node-local keyspace, to move it out.
    pub(crate) fn open_legacy_tree(&self, name: &str) -> Result<sled::Tree, LedgerError> {
        Ok(self.db.open_tree(name)?)
    }

    /// Drops an older node's node-local keyspace once moved out.
    pub(crate) fn drop_legacy_tree(&self, name: &str) -> Result<(), LedgerError> {
        self.db.drop_tree(name)?;
        self.db.flush()?;
        Ok(())
    }

    /// Overwrites a raw key (tests of tamper evidence only).
    #[doc(hidden)]
    pub fn raw_db(&self) -> &sled::Db {
        &self.db
    }

    /// Every stored credential record.
    pub fn credentials(&self) -> impl Iterator<Item = Result<([u8; 32], CredentialRecord), LedgerError>> + '_ {
        self.db.scan_prefix([b'c']).map(|entry| {
            let (k, v) = entry?;
            let cm: [u8; 32] = k[1..].try_into().map_err(|_| corrupt(&k, "credential key length"))?;
            Ok((cm, decode_canonical(&v).map_err(|e| corrupt(&k, e))?))
        })
    }

    /// Bytes the database occupies on disk.
    pub fn size_on_disk(&self) -> Result<u64, LedgerError> {
        Ok(self.db.size_on_disk()?)
    }
}

/// The versions of a tree node that can go when it is written again at
/// `height`: `older` are its stored versions below `height`, newest first.
/// A path under the root after block `w` reads each node's newest version
/// at or below `w`; the oldest root in the window after this block is
/// `w0 = height + 1 - root_window`, so every version with a newer one at or
/// below `w0` is unreachable. `verify-chain` replays the same rule.
pub fn prunable_versions(height: u64, older: &[u64], root_window: u64) -> Vec<u64> {
    let w0 = (height + 1).saturating_sub(root_window);
    // The newest version at or below w0 stays; every one below it goes.
    match older.iter().position(|&v| v <= w0) {
        Some(keep) => older[keep + 1..].to_vec(),
        None => Vec::new(),
    }
}

/// Node key in the store, for tamper tests.
#[doc(hidden)]
pub fn stored_node_key(level: usize, index: u64, height: u64) -> Vec<u8> {
    node_key(level, index, height)
}

/// Block-body key in the store, for tamper tests.
#[doc(hidden)]
pub fn stored_block_key(height: u64) -> Vec<u8> {
    key(b'b', &[&height.to_be_bytes()])
}

impl crate::state::Committed for Store {
    fn credential(&self, commitment: &[u8; 32]) -> Option<CredentialRecord> {
        Store::credential(self, commitment).ok().flatten()
    }
    fn included(&self, id: &Hash) -> bool {
        self.db.contains_key(key(b'r', &[id])).unwrap_or(false)
    }
}
