//! The audit log: every read, disclosure, grant, refusal, hold and purge of
//! a private record, and every private-statistics query, as a hash chain in an append-only file, one JSON event
//! per line.
//!
//! Event `n` carries `prev`, the hash of event `n - 1` (zeros for event 0),
//! and `hash = SHA-256(AUDIT_EVENT_DOMAIN ‖ postcard(seq, time, action,
//! actor, role, record, detail, prev))`. Changing any byte of an event
//! breaks its own hash or the next event's `prev`. Rewriting the whole tail
//! consistently is caught by the anchors: the node puts its head on the
//! public layer (an `audit-head` audit transaction) once per block in which
//! the log grew, and [`check_anchors`] requires each anchored head to be an
//! event of the log, in order. So the log can only be altered after its
//! last anchor, which is at most one block old.
//!
//! An event is written and synced to disk before the access it records is
//! answered. A crash can leave a torn last line; the node drops it on
//! opening (that access was never answered).

use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use zkreg_circuits::constants::AUDIT_EVENT_DOMAIN;

use super::PrivateError;
use crate::tx::encode;

/// What an audit event records. New actions go at the end: an event's hash
/// encodes the action's position, so reordering would break every stored log.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AuditAction {
    /// The regulator stored a record.
    Put,
    /// A record was removed before it was anchored (its transaction was refused).
    Withdraw,
    /// The regulator or the holder read a record.
    Read,
    /// A record was disclosed to an auditor under a grant.
    Disclose,
    /// The regulator granted an auditor access.
    Grant,
    /// A call was refused (who, what, why).
    Refuse,
    /// The regulator set or lifted a legal hold.
    Hold,
    /// The regulator purged a record.
    Purge,
    /// The data key was rotated and records re-encrypted.
    Rotate,
    /// The audit log itself was read.
    ReadLog,
    /// The regulator granted an analyst a privacy budget (private statistics).
    AnalystGrant,
    /// An analyst's differentially private query was answered (its dataset,
    /// attribute, bins, epsilon and the budget left; never a count).
    StatsQuery,
}

/// One event of the log, as stored (one JSON line).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuditEvent {
    /// Its position, from 0.
    pub seq: u64,
    /// Unix seconds.
    pub time: u64,
    /// What happened.
    pub action: AuditAction,
    /// The key that made the call, hex (the node's own for its own acts).
    pub actor: String,
    /// The caller's role for this call: `regulator`, `holder`, `auditor`, `analyst`, `other`.
    pub role: String,
    /// The record concerned, hex, if one.
    pub record: Option<String>,
    /// Details without any protected value (a grant's scope, a refusal's reason).
    pub detail: String,
    /// Hash of the previous event, hex (zeros for the first).
    pub prev: String,
    /// This event's hash, hex.
    pub hash: String,
}

impl AuditEvent {
    /// The hash this event must carry.
    pub fn compute_hash(&self) -> [u8; 32] {
        let fields = (self.seq, self.time, self.action, &self.actor, &self.role, &self.record, &self.detail, &self.prev);
        Sha256::new().chain_update(AUDIT_EVENT_DOMAIN).chain_update(encode(&fields)).finalize().into()
    }
}

/// The first event of a log that does not verify, and why.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("event {seq}: {reason}")]
pub struct AuditFault {
    /// The position of the first bad event (the line, from 0).
    pub seq: u64,
    /// What is wrong with it.
    pub reason: String,
}

/// Parses and checks a whole log: every line an event, in sequence, each
/// chained to the one before and carrying its own hash. Returns the events,
/// or the first bad one.
pub fn verify_log(bytes: &[u8]) -> Result<Vec<AuditEvent>, AuditFault> {
    if bytes.is_empty() {
        return Ok(Vec::new());
    }
    if bytes.last() != Some(&b'\n') {
        let seq = bytes.iter().filter(|b| **b == b'\n').count() as u64;
        return Err(AuditFault { seq, reason: "the last line is not complete".into() });
    }
    let events = bytes[..bytes.len() - 1]
        .split(|b| *b == b'\n')
        .enumerate()
        .map(|(i, line)| {
            serde_json::from_slice(line).map_err(|e| AuditFault { seq: i as u64, reason: format!("not an audit event ({e})") })
        })
        .collect::<Result<Vec<AuditEvent>, _>>();
    // A line that does not parse is reported only if every event before it verifies.
    match events {
        Ok(events) => verify_events(&events).map(|()| events),
        Err(fault) => {
            let good: Vec<AuditEvent> = bytes
                .split(|b| *b == b'\n')
                .take(fault.seq as usize)
                .map(|l| serde_json::from_slice(l))
                .collect::<Result<_, _>>()
                .unwrap_or_default();
            verify_events(&good)?;
            Err(fault)
        }
    }
}

/// Checks events as a log: in sequence from 0, each chained to the one
/// before, each carrying its own hash, times never going back.
pub fn verify_events(events: &[AuditEvent]) -> Result<(), AuditFault> {
    let mut prev = hex::encode([0u8; 32]);
    let mut last_time = 0;
    for (i, event) in events.iter().enumerate() {
        let seq = i as u64;
        let fault = |reason: String| AuditFault { seq, reason };
        if event.seq != seq {
            return Err(fault(format!("it says it is event {}", event.seq)));
        }
        if event.prev != prev {
            return Err(fault("its `prev` is not the hash of the event before it".into()));
        }
        if event.hash != hex::encode(event.compute_hash()) {
            return Err(fault("its hash does not match its content".into()));
        }
        if event.time < last_time {
            return Err(fault("it is dated before the event before it".into()));
        }
        prev = event.hash.clone();
        last_time = event.time;
    }
    Ok(())
}

/// Checks that every anchored head, in ledger order (`(height, head)`
/// pairs), is the hash of an event of `events`, each at or after the one
/// anchored before it. The first anchor that matches no event means the
/// log was altered after the event anchored before it (or truncated).
pub fn check_anchors(events: &[AuditEvent], anchors: &[(u64, [u8; 32])]) -> Result<usize, AuditFault> {
    let mut last: Option<u64> = None;
    for (height, head) in anchors {
        let head_hex = hex::encode(head);
        let first_unchecked = last.map_or(0, |s| s + 1);
        let Some(event) = events.iter().find(|e| e.hash == head_hex) else {
            return Err(AuditFault {
                seq: first_unchecked.min(events.len() as u64),
                reason: format!(
                    "the head anchored in block {height} ({head_hex}) is no event of this log: events from {first_unchecked} on were rewritten or removed"
                ),
            });
        };
        if last.is_some_and(|l| event.seq < l) {
            return Err(AuditFault { seq: event.seq, reason: format!("the anchor in block {height} names an event before the previous anchor's") });
        }
        last = Some(event.seq);
    }
    Ok(anchors.len())
}

struct Tail {
    file: File,
    next_seq: u64,
    head: [u8; 32],
    last_time: u64,
}

/// The node's audit log file.
pub struct AuditLog {
    path: PathBuf,
    tail: Mutex<Tail>,
    /// A second handle on the file, to sync it without holding the tail,
    /// and how many events are known to be on disk: concurrent appends
    /// share one sync (group commit).
    synced: Mutex<(File, u64)>,
}

impl AuditLog {
    /// Opens (or creates) the log at `path`, dropping a torn last line, and
    /// refuses a log that does not verify (naming the first bad event).
    pub fn open(path: &Path) -> Result<Self, PrivateError> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        let mut file = OpenOptions::new().read(true).append(true).create(true).open(path)?;
        let mut bytes = Vec::new();
        file.read_to_end(&mut bytes)?;
        if bytes.last().is_some_and(|b| *b != b'\n') {
            let keep = bytes.iter().rposition(|b| *b == b'\n').map_or(0, |i| i + 1);
            tracing::warn!(path = %path.display(), dropped = bytes.len() - keep, "dropping a torn last line of the audit log");
            file.set_len(keep as u64)?;
            file.sync_all()?;
            bytes.truncate(keep);
        }
        let events = verify_log(&bytes)
            .map_err(|f| PrivateError::Storage(format!("the audit log {} does not verify: {f}", path.display())))?;
        file.seek(SeekFrom::End(0))?;
        let (next_seq, head, last_time) = match events.last() {
            Some(e) => (e.seq + 1, e.compute_hash(), e.time),
            None => (0, [0; 32], 0),
        };
        let sync_handle = file.try_clone()?;
        Ok(AuditLog { path: path.to_owned(), tail: Mutex::new(Tail { file, next_seq, head, last_time }), synced: Mutex::new((sync_handle, next_seq)) })
    }

    /// Where the log is.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Appends an event and syncs it to disk before returning it. Appends
    /// made meanwhile by other threads are synced by the same call.
    pub fn append(
        &self,
        action: AuditAction,
        actor: &[u8; 32],
        role: &str,
        record: Option<&[u8; 32]>,
        detail: &str,
        now: u64,
    ) -> Result<AuditEvent, PrivateError> {
        let event = self.append_unsynced(action, actor, role, record, detail, now)?;
        self.sync_through(event.seq)?;
        Ok(event)
    }

    /// Syncs every event appended so far.
    pub fn sync(&self) -> Result<(), PrivateError> {
        let last = self.tail.lock().unwrap_or_else(|e| e.into_inner()).next_seq;
        match last.checked_sub(1) {
            Some(seq) => self.sync_through(seq),
            None => Ok(()),
        }
    }

    /// Syncs the log up to event `seq` at least, unless another thread
    /// already has.
    fn sync_through(&self, seq: u64) -> Result<(), PrivateError> {
        let mut synced = self.synced.lock().unwrap_or_else(|e| e.into_inner());
        if synced.1 > seq {
            return Ok(());
        }
        // Everything written before the sync starts is covered by it.
        let written = self.tail.lock().unwrap_or_else(|e| e.into_inner()).next_seq;
        synced.0.sync_data()?;
        synced.1 = written;
        Ok(())
    }

    /// Appends an event without syncing it: it is on disk only after
    /// [`AuditLog::sync`] (for a writer that syncs once for many events).
    pub fn append_unsynced(
        &self,
        action: AuditAction,
        actor: &[u8; 32],
        role: &str,
        record: Option<&[u8; 32]>,
        detail: &str,
        now: u64,
    ) -> Result<AuditEvent, PrivateError> {
        let mut tail = self.tail.lock().unwrap_or_else(|e| e.into_inner());
        let mut event = AuditEvent {
            seq: tail.next_seq,
            // Never before the event before it, whatever the clock says.
            time: now.max(tail.last_time),
            action,
            actor: hex::encode(actor),
            role: role.into(),
            record: record.map(hex::encode),
            detail: detail.into(),
            prev: hex::encode(tail.head),
            hash: String::new(),
        };
        let hash = event.compute_hash();
        event.hash = hex::encode(hash);
        let mut line = serde_json::to_vec(&event).map_err(|e| PrivateError::Storage(e.to_string()))?;
        line.push(b'\n');
        tail.file.write_all(&line)?;
        tail.next_seq += 1;
        tail.head = hash;
        tail.last_time = event.time;
        Ok(event)
    }

    /// The number of events and the hash of the last (zeros if none).
    pub fn head(&self) -> (u64, [u8; 32]) {
        let tail = self.tail.lock().unwrap_or_else(|e| e.into_inner());
        (tail.next_seq, tail.head)
    }

    /// Up to `limit` events from `from`, as stored (not re-verified).
    pub fn read(&self, from: u64, limit: usize) -> Result<Vec<AuditEvent>, PrivateError> {
        let bytes = {
            let _tail = self.tail.lock().unwrap_or_else(|e| e.into_inner());
            std::fs::read(&self.path)?
        };
        bytes
            .split(|b| *b == b'\n')
            .filter(|l| !l.is_empty())
            .skip(usize::try_from(from).unwrap_or(usize::MAX))
            .take(limit)
            .map(|l| serde_json::from_slice(l).map_err(|e| PrivateError::Storage(format!("the audit log: {e}"))))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn log_with(n: u64) -> (tempfile::TempDir, AuditLog) {
        let dir = tempfile::tempdir().unwrap();
        let log = AuditLog::open(&dir.path().join("audit.log")).unwrap();
        for i in 0..n {
            log.append(AuditAction::Read, &[1; 32], "regulator", Some(&[i as u8; 32]), "", 1000 + i).unwrap();
        }
        (dir, log)
    }

    #[test]
    fn a_log_verifies_and_reopens_where_it_ended() {
        let (dir, log) = log_with(5);
        let bytes = std::fs::read(log.path()).unwrap();
        let events = verify_log(&bytes).unwrap();
        assert_eq!(events.len(), 5);
        let (n, head) = log.head();
        assert_eq!((n, hex::encode(head)), (5, events[4].hash.clone()));
        drop(log);
        let log = AuditLog::open(&dir.path().join("audit.log")).unwrap();
        assert_eq!(log.head(), (n, head));
        log.append(AuditAction::Purge, &[1; 32], "regulator", None, "", 2000).unwrap();
        assert_eq!(verify_log(&std::fs::read(log.path()).unwrap()).unwrap().len(), 6);
        assert_eq!(log.read(4, 10).unwrap().iter().map(|e| e.seq).collect::<Vec<_>>(), [4, 5]);
    }

    #[test]
    fn every_flipped_byte_is_found_at_its_event() {
        let (_dir, log) = log_with(4);
        let bytes = std::fs::read(log.path()).unwrap();
        let starts: Vec<usize> =
            std::iter::once(0).chain(bytes.iter().enumerate().filter(|(_, b)| **b == b'\n').map(|(i, _)| i + 1)).collect();
        for i in 0..bytes.len() {
            let mut bad = bytes.clone();
            bad[i] ^= 0x01;
            let line = starts.iter().rposition(|s| *s <= i).unwrap() as u64;
            let fault = verify_log(&bad).expect_err(&format!("byte {i} flipped"));
            // A flipped newline joins two lines: the fault is at the first of them.
            assert_eq!(fault.seq, line.min(3), "byte {i}: {fault}");
        }
    }

    #[test]
    fn a_consistently_rewritten_tail_is_caught_by_its_anchor() {
        let (_dir, log) = log_with(4);
        let events = verify_log(&std::fs::read(log.path()).unwrap()).unwrap();
        let anchors = [(3, hex32(&events[1].hash)), (4, hex32(&events[3].hash))];
        assert_eq!(check_anchors(&events, &anchors), Ok(2));
        // Rewrite events 2.. consistently: the chain verifies, the anchor does not.
        let dir = tempfile::tempdir().unwrap();
        let forged = AuditLog::open(&dir.path().join("audit.log")).unwrap();
        for (i, e) in events.iter().enumerate() {
            let detail = if i >= 2 { "nothing happened" } else { "" };
            forged.append(e.action, &[1; 32], &e.role, Some(&[i as u8; 32]), detail, e.time).unwrap();
        }
        let rewritten = verify_log(&std::fs::read(forged.path()).unwrap()).unwrap();
        let fault = check_anchors(&rewritten, &anchors).unwrap_err();
        assert_eq!(fault.seq, 2, "{fault}");
        // Truncation after an anchor is caught the same way.
        assert_eq!(check_anchors(&events[..3], &anchors).unwrap_err().seq, 2);
        // Anchors out of order.
        assert!(check_anchors(&events, &[(3, hex32(&events[3].hash)), (4, hex32(&events[1].hash))]).is_err());
    }

    #[test]
    fn a_torn_last_line_is_dropped_and_a_tampered_log_refused() {
        let (dir, log) = log_with(3);
        let path = log.path().to_owned();
        drop(log);
        let mut f = OpenOptions::new().append(true).open(&path).unwrap();
        f.write_all(b"{\"seq\":3,\"ti").unwrap();
        drop(f);
        assert_eq!(verify_log(&std::fs::read(&path).unwrap()).unwrap_err().seq, 3);
        let log = AuditLog::open(&path).unwrap();
        assert_eq!(log.head().0, 3);
        drop(log);
        let mut bytes = std::fs::read(&path).unwrap();
        bytes[10] ^= 0x02;
        std::fs::write(&path, &bytes).unwrap();
        assert!(AuditLog::open(&path).is_err());
        drop(dir);
    }

    fn hex32(s: &str) -> [u8; 32] {
        hex::decode(s).unwrap().try_into().unwrap()
    }
}
