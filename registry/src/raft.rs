//! Raft storage: the log on sled beside the chain, and the ledger as the
//! state machine (openraft's storage-v2 API).
//!
//! A log entry carries a [`Batch`] the leader's sequencer cut from its
//! mempool. Applying it is [`Ledger::apply_with`] of the block at the next
//! height, so every replica computes the same header hash; the entry's log
//! id is written in the block's own batch, so a block and the entry it came
//! from are on disk together or not at all, and a restart never applies an
//! entry twice.
//!
//! | keyspace | key | value |
//! | --- | --- | --- |
//! | chain (default) | `A` | last applied log id |
//! | chain (default) | `Z` | last applied membership |
//! | `raft-log` | index (big-endian) | entry |
//! | `raft-meta` | `vote`, `committed`, `purged` | vote, committed and last purged log id |
//!
//! A snapshot is every key of the chain keyspace (headers, blocks, receipts,
//! credentials, tree nodes, registry, and the two keys above), never the
//! node-local store. The current one is kept in `raft-snapshot.bin` in the
//! data directory (written to a temporary file, synced, then renamed).

use std::fmt::{self, Debug};
use std::io::{Cursor, Write};
use std::ops::{Bound, RangeBounds};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};

use openraft::storage::{LogFlushed, LogState, RaftLogStorage, RaftStateMachine, Snapshot};
use openraft::{
    AnyError, Entry, EntryPayload, ErrorSubject, ErrorVerb, LogId, OptionalSend, RaftLogReader, RaftSnapshotBuilder, SnapshotMeta,
    StorageError, StorageIOError, StoredMembership, Vote,
};
use serde::{Deserialize, Serialize};

use crate::block::BlockProposal;
use crate::error::LedgerError;
use crate::ledger::{AppliedBlock, Ledger};
use crate::tx::SignedTransaction;

/// A node's id in the consortium.
pub type NodeId = u64;

/// How to reach a member: the `host:port` of its HTTP server (the same
/// server answers clients and carries Raft's messages).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClusterNode {
    /// `host:port`.
    pub addr: String,
}

impl fmt::Display for ClusterNode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.addr)
    }
}

/// What a log entry carries: transactions in order and the time the
/// sequencer gave them, and the consortium's signatures of earlier headers.
/// The block's height is the next one when the entry is applied; its time
/// never goes back from the tip's. An entry with no transactions makes no
/// block (it only carries signatures).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Batch {
    /// Unix seconds.
    pub time: u64,
    /// The transactions, in order.
    pub txs: Vec<SignedTransaction>,
    /// Nodes' signatures of headers already applied.
    pub attestations: Vec<crate::attest::Attestation>,
}

/// What applying an entry gave: the block's height, for an entry that was a batch.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct EntryOutcome {
    /// The height of the block the entry became.
    pub height: Option<u64>,
}

openraft::declare_raft_types!(
    /// The Raft types of the zkreg consortium.
    pub TypeConfig:
        D = Batch,
        R = EntryOutcome,
        Node = ClusterNode,
);

/// A Raft log entry of the consortium.
pub type LogEntry = Entry<TypeConfig>;
type StorageResult<T> = Result<T, StorageError<NodeId>>;

const APPLIED: &[u8] = b"A";
const MEMBERSHIP: &[u8] = b"Z";
const SNAPSHOT_FILE: &str = "raft-snapshot.bin";

fn io_err(subject: ErrorSubject<NodeId>, verb: ErrorVerb, e: impl std::error::Error + 'static) -> StorageError<NodeId> {
    StorageIOError::new(subject, verb, AnyError::new(&e)).into()
}

fn encode<T: Serialize>(v: &T) -> Vec<u8> {
    postcard::to_allocvec(v).unwrap_or_else(|e| unreachable!("Raft records serialise: {e}"))
}

fn decode<T: for<'de> Deserialize<'de>>(bytes: &[u8], subject: ErrorSubject<NodeId>) -> StorageResult<T> {
    postcard::from_bytes(bytes).map_err(|e| io_err(subject, ErrorVerb::Read, e))
}

/// The Raft log and vote, in two keyspaces of the chain's sled database
/// (one flush covers both the log and the blocks).
#[derive(Clone)]
pub struct LogStore {
    log: sled::Tree,
    meta: sled::Tree,
}

impl LogStore {
    /// Opens the log beside `ledger`'s chain.
    pub fn open(ledger: &Ledger) -> Result<Self, LedgerError> {
        Ok(LogStore { log: ledger.store().open_tree("raft-log")?, meta: ledger.store().open_tree("raft-meta")? })
    }

    fn get_meta<T: for<'de> Deserialize<'de>>(&self, key: &str, subject: ErrorSubject<NodeId>) -> StorageResult<Option<T>> {
        match self.meta.get(key).map_err(|e| io_err(subject.clone(), ErrorVerb::Read, e))? {
            None => Ok(None),
            Some(v) => decode(&v, subject).map(Some),
        }
    }

    fn put_meta<T: Serialize>(&self, key: &str, value: &T, subject: ErrorSubject<NodeId>) -> StorageResult<()> {
        self.meta.insert(key, encode(value)).map_err(|e| io_err(subject.clone(), ErrorVerb::Write, e))?;
        self.meta.flush().map_err(|e| io_err(subject, ErrorVerb::Write, e))?;
        Ok(())
    }

    fn last_entry(&self) -> StorageResult<Option<LogEntry>> {
        match self.log.last().map_err(|e| io_err(ErrorSubject::Logs, ErrorVerb::Read, e))? {
            None => Ok(None),
            Some((_, v)) => decode(&v, ErrorSubject::Logs).map(Some),
        }
    }
}

impl RaftLogReader<TypeConfig> for LogStore {
    async fn try_get_log_entries<RB: RangeBounds<u64> + Clone + Debug + OptionalSend>(&mut self, range: RB) -> StorageResult<Vec<LogEntry>> {
        let start = match range.start_bound() {
            Bound::Included(x) => *x,
            Bound::Excluded(x) => x.saturating_add(1),
            Bound::Unbounded => 0,
        };
        let mut out = Vec::new();
        for item in self.log.range(start.to_be_bytes()..) {
            let (k, v) = item.map_err(|e| io_err(ErrorSubject::Logs, ErrorVerb::Read, e))?;
            let index = u64::from_be_bytes(k.as_ref().try_into().map_err(|_| io_err(ErrorSubject::Logs, ErrorVerb::Read, BadKey))?);
            if !range.contains(&index) {
                break;
            }
            out.push(decode(&v, ErrorSubject::Logs)?);
        }
        Ok(out)
    }
}

/// A log key that is not eight bytes.
#[derive(Debug, thiserror::Error)]
#[error("a Raft log key is not eight bytes")]
struct BadKey;

impl RaftLogStorage<TypeConfig> for LogStore {
    type LogReader = Self;

    async fn get_log_state(&mut self) -> StorageResult<LogState<TypeConfig>> {
        let last_purged_log_id: Option<LogId<NodeId>> = self.get_meta("purged", ErrorSubject::Store)?;
        let last_log_id = self.last_entry()?.map(|e| e.log_id).or(last_purged_log_id);
        Ok(LogState { last_purged_log_id, last_log_id })
    }

    async fn save_committed(&mut self, committed: Option<LogId<NodeId>>) -> StorageResult<()> {
        self.put_meta("committed", &committed, ErrorSubject::Store)
    }

    async fn read_committed(&mut self) -> StorageResult<Option<LogId<NodeId>>> {
        Ok(self.get_meta::<Option<LogId<NodeId>>>("committed", ErrorSubject::Store)?.flatten())
    }

    async fn save_vote(&mut self, vote: &Vote<NodeId>) -> StorageResult<()> {
        self.put_meta("vote", vote, ErrorSubject::Vote)
    }

    async fn read_vote(&mut self) -> StorageResult<Option<Vote<NodeId>>> {
        self.get_meta("vote", ErrorSubject::Vote)
    }

    async fn append<I>(&mut self, entries: I, callback: LogFlushed<TypeConfig>) -> StorageResult<()>
    where
        I: IntoIterator<Item = LogEntry> + OptionalSend,
        I::IntoIter: OptionalSend,
    {
        let mut batch = sled::Batch::default();
        for entry in entries {
            batch.insert(&entry.log_id.index.to_be_bytes(), encode(&entry));
        }
        let written = self.log.apply_batch(batch).and_then(|_| self.log.flush().map(|_| ()));
        // An entry counts as appended (and so toward a commit) only once it is on disk.
        match written {
            Ok(()) => {
                callback.log_io_completed(Ok(()));
                Ok(())
            }
            Err(e) => {
                let err = std::io::Error::other(e.to_string());
                callback.log_io_completed(Err(std::io::Error::other(e.to_string())));
                Err(io_err(ErrorSubject::Logs, ErrorVerb::Write, err))
            }
        }
    }

    async fn truncate(&mut self, log_id: LogId<NodeId>) -> StorageResult<()> {
        self.remove_from(log_id.index.., ErrorSubject::Logs)
    }

    async fn purge(&mut self, log_id: LogId<NodeId>) -> StorageResult<()> {
        self.put_meta("purged", &log_id, ErrorSubject::Store)?;
        self.remove_from(..=log_id.index, ErrorSubject::Logs)
    }

    async fn get_log_reader(&mut self) -> Self::LogReader {
        self.clone()
    }
}

impl LogStore {
    fn remove_from(&self, range: impl RangeBounds<u64>, subject: ErrorSubject<NodeId>) -> StorageResult<()> {
        let lo = match range.start_bound() {
            Bound::Included(x) => *x,
            Bound::Excluded(x) => x.saturating_add(1),
            Bound::Unbounded => 0,
        };
        let mut batch = sled::Batch::default();
        for item in self.log.range(lo.to_be_bytes()..) {
            let (k, _) = item.map_err(|e| io_err(subject.clone(), ErrorVerb::Read, e))?;
            let index = u64::from_be_bytes(k.as_ref().try_into().map_err(|_| io_err(subject.clone(), ErrorVerb::Read, BadKey))?);
            if !range.contains(&index) {
                break;
            }
            batch.remove(k);
        }
        self.log.apply_batch(batch).map_err(|e| io_err(subject.clone(), ErrorVerb::Write, e))?;
        self.log.flush().map_err(|e| io_err(subject, ErrorVerb::Write, e))?;
        Ok(())
    }
}

/// Called after each block a replica applies, and after a snapshot is
/// installed (with no block): the node refreshes what it serves.
pub type OnApplied = Arc<dyn Fn(&Ledger, Option<&AppliedBlock>) + Send + Sync>;

/// The snapshot kept on disk: its meta and the chain keyspace.
#[derive(Serialize, Deserialize)]
struct StoredSnapshot {
    meta: SnapshotMeta<NodeId, ClusterNode>,
    data: Vec<u8>,
}

/// The ledger as the Raft state machine. Clones share the ledger.
#[derive(Clone)]
pub struct StateMachine {
    ledger: Arc<Mutex<Ledger>>,
    dir: PathBuf,
    on_applied: Option<OnApplied>,
}

impl StateMachine {
    /// The state machine over `ledger`, keeping its snapshot in `dir` (the
    /// data directory). `on_applied` is told of every block.
    pub fn new(ledger: Arc<Mutex<Ledger>>, dir: &Path, on_applied: Option<OnApplied>) -> Self {
        StateMachine { ledger, dir: dir.to_path_buf(), on_applied }
    }

    /// The ledger, locked.
    pub fn ledger(&self) -> MutexGuard<'_, Ledger> {
        self.ledger.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn snapshot_path(&self) -> PathBuf {
        self.dir.join(SNAPSHOT_FILE)
    }

    fn read_snapshot(&self) -> StorageResult<Option<StoredSnapshot>> {
        match std::fs::read(self.snapshot_path()) {
            Ok(bytes) => decode(&bytes, ErrorSubject::Snapshot(None)).map(Some),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(io_err(ErrorSubject::Snapshot(None), ErrorVerb::Read, e)),
        }
    }

    fn write_snapshot(&self, snapshot: &StoredSnapshot) -> StorageResult<()> {
        let subject = || ErrorSubject::Snapshot(Some(snapshot.meta.signature()));
        let tmp = self.dir.join(format!("{SNAPSHOT_FILE}.tmp"));
        let write = || -> std::io::Result<()> {
            let mut f = std::fs::File::create(&tmp)?;
            f.write_all(&encode(snapshot))?;
            f.sync_all()?;
            std::fs::rename(&tmp, self.snapshot_path())?;
            std::fs::File::open(&self.dir)?.sync_all()
        };
        write().map_err(|e| io_err(subject(), ErrorVerb::Write, e))
    }

    fn applied(ledger: &Ledger) -> StorageResult<(Option<LogId<NodeId>>, StoredMembership<NodeId, ClusterNode>)> {
        let sm = || ErrorSubject::StateMachine;
        let store = ledger.store();
        let last = match store.get_raw(APPLIED).map_err(|e| io_err(sm(), ErrorVerb::Read, e))? {
            None => None,
            Some(v) => Some(decode(&v, sm())?),
        };
        let membership = match store.get_raw(MEMBERSHIP).map_err(|e| io_err(sm(), ErrorVerb::Read, e))? {
            None => StoredMembership::default(),
            Some(v) => decode(&v, sm())?,
        };
        Ok((last, membership))
    }
}

impl RaftSnapshotBuilder<TypeConfig> for StateMachine {
    async fn build_snapshot(&mut self) -> StorageResult<Snapshot<TypeConfig>> {
        // Held while reading, so the snapshot is one applied state.
        let (last, membership, pairs) = {
            let ledger = self.ledger();
            let (last, membership) = Self::applied(&ledger)?;
            let pairs = ledger.store().export().map_err(|e| io_err(ErrorSubject::StateMachine, ErrorVerb::Read, e))?;
            (last, membership, pairs)
        };
        let snapshot_id = match last {
            Some(l) => format!("{}-{}-{}", l.leader_id, l.index, zkreg_circuits::clock::unix_now_micros()),
            None => format!("--{}", zkreg_circuits::clock::unix_now_micros()),
        };
        let meta = SnapshotMeta { last_log_id: last, last_membership: membership, snapshot_id };
        let data = encode(&pairs);
        self.write_snapshot(&StoredSnapshot { meta: meta.clone(), data: data.clone() })?;
        tracing::info!(bytes = data.len(), last = ?meta.last_log_id, "snapshot built");
        Ok(Snapshot { meta, snapshot: Box::new(Cursor::new(data)) })
    }
}

impl RaftStateMachine<TypeConfig> for StateMachine {
    type SnapshotBuilder = Self;

    async fn applied_state(&mut self) -> StorageResult<(Option<LogId<NodeId>>, StoredMembership<NodeId, ClusterNode>)> {
        Self::applied(&self.ledger())
    }

    async fn apply<I>(&mut self, entries: I) -> StorageResult<Vec<EntryOutcome>>
    where
        I: IntoIterator<Item = LogEntry> + OptionalSend,
        I::IntoIter: OptionalSend,
    {
        let sm = || ErrorSubject::StateMachine;
        let mut ledger = self.ledger();
        let mut out = Vec::new();
        for entry in entries {
            let marker = encode(&entry.log_id);
            match entry.payload {
                EntryPayload::Blank => {
                    ledger.store().put_raw(&[(APPLIED, marker)]).map_err(|e| io_err(sm(), ErrorVerb::Write, e))?;
                    out.push(EntryOutcome::default());
                }
                EntryPayload::Membership(m) => {
                    let stored = StoredMembership::new(Some(entry.log_id), m);
                    ledger.store().put_raw(&[(APPLIED, marker), (MEMBERSHIP, encode(&stored))]).map_err(|e| io_err(sm(), ErrorVerb::Write, e))?;
                    out.push(EntryOutcome::default());
                }
                EntryPayload::Normal(batch) => {
                    // Checked against headers applied before this entry: the same on every replica.
                    let records = ledger.attestation_records(&batch.attestations).map_err(|e| io_err(sm(), ErrorVerb::Read, e))?;
                    let mut extra: Vec<(&[u8], Vec<u8>)> = records.iter().map(|(k, v)| (k.as_slice(), v.clone())).collect();
                    extra.push((APPLIED, marker));
                    if batch.txs.is_empty() {
                        ledger.store().put_raw(&extra).map_err(|e| io_err(sm(), ErrorVerb::Write, e))?;
                        out.push(EntryOutcome::default());
                        continue;
                    }
                    let tip = ledger.tip().clone();
                    let proposal = BlockProposal { height: tip.height + 1, time: batch.time.max(tip.time), txs: batch.txs };
                    let block = ledger.apply_with(&proposal, &extra).map_err(|e| io_err(sm(), ErrorVerb::Write, e))?;
                    if let Some(hook) = &self.on_applied {
                        hook(&ledger, Some(&block));
                    }
                    out.push(EntryOutcome { height: Some(block.header.height) });
                }
            }
        }
        Ok(out)
    }

    async fn get_snapshot_builder(&mut self) -> Self::SnapshotBuilder {
        self.clone()
    }

    async fn begin_receiving_snapshot(&mut self) -> StorageResult<Box<Cursor<Vec<u8>>>> {
        Ok(Box::new(Cursor::new(Vec::new())))
    }

    async fn install_snapshot(&mut self, meta: &SnapshotMeta<NodeId, ClusterNode>, snapshot: Box<Cursor<Vec<u8>>>) -> StorageResult<()> {
        let subject = || ErrorSubject::Snapshot(Some(meta.signature()));
        let data = snapshot.into_inner();
        let pairs: Vec<(Vec<u8>, Vec<u8>)> = decode(&data, subject())?;
        {
            let mut ledger = self.ledger();
            ledger.install(&pairs).map_err(|e| io_err(subject(), ErrorVerb::Write, e))?;
            // The snapshot's own markers say what it holds; openraft's meta decides.
            let mut marks = vec![(MEMBERSHIP, encode(&meta.last_membership))];
            if let Some(last) = meta.last_log_id {
                marks.push((APPLIED, encode(&last)));
            }
            ledger.store().put_raw(&marks).and_then(|_| ledger.store().flush()).map_err(|e| io_err(subject(), ErrorVerb::Write, e))?;
            if let Some(hook) = &self.on_applied {
                hook(&ledger, None);
            }
            tracing::info!(height = ledger.height(), last = ?meta.last_log_id, "snapshot installed");
        }
        self.write_snapshot(&StoredSnapshot { meta: meta.clone(), data })
    }

    async fn get_current_snapshot(&mut self) -> StorageResult<Option<Snapshot<TypeConfig>>> {
        Ok(self.read_snapshot()?.map(|s| Snapshot { meta: s.meta, snapshot: Box::new(Cursor::new(s.data)) }))
    }
}
