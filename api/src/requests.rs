//! The proof requests this node issued, and whether each challenge was used:
//! kept in the node's database beside the ledger, so a request survives a
//! restart and a used challenge stays used.
//!
//! A challenge is marked used with an atomic compare-and-swap, and the mark
//! is flushed to disk before the presentation is reported verified: after a
//! crash, no challenge that was accepted can be accepted again. Concurrent
//! verifications share flushes (group commit): one flush covers every mark
//! made before it started.
//!
//! Requests are forgotten [`RequestBook::GRACE_SECONDS`] after they expire
//! (a presentation for an expired request is refused anyway); the node
//! prunes them on a timer. A request is not flushed when it is issued: a
//! crash right after may lose it, and its answer then meets
//! `challenge_unknown`, never a second acceptance.

use std::sync::{Condvar, Mutex};

use serde::{Deserialize, Serialize};

use zkreg_registry::store::Store;
use zkreg_verifier::{ChallengeBook, ChallengeError, ProofRequest};

use crate::error::ApiError;

/// A proof request this node issued, and the bank that asked for it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct IssuedRequest {
    /// The request.
    pub request: ProofRequest,
    /// The key that signed the call creating it; only it may have answers verified.
    pub requester: [u8; 32],
    /// Whether an accepted presentation used its challenge.
    pub used: bool,
}

/// The node's issued requests, by challenge.
pub struct RequestBook {
    tree: sled::Tree,
    flushes: GroupCommit,
}

/// Flushes shared by concurrent writers: a writer takes a ticket after its
/// write, and is done once a flush that started after its ticket finished.
#[derive(Default)]
struct GroupCommit {
    state: Mutex<FlushState>,
    finished: Condvar,
}

#[derive(Default)]
struct FlushState {
    /// The last ticket handed out.
    issued: u64,
    /// Every ticket up to this one is on disk.
    durable: u64,
    /// Whether some writer is flushing now.
    flushing: bool,
}

impl GroupCommit {
    /// Returns once everything written before the call is on disk.
    fn wait_durable(&self, tree: &sled::Tree) -> sled::Result<()> {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        state.issued += 1;
        let ticket = state.issued;
        loop {
            if state.durable >= ticket {
                return Ok(());
            }
            if state.flushing {
                state = self.finished.wait(state).unwrap_or_else(|e| e.into_inner());
                continue;
            }
            // This flush starts after every ticket issued so far was written.
            state.flushing = true;
            let covers = state.issued;
            drop(state);
            let flushed = tree.flush();
            state = self.state.lock().unwrap_or_else(|e| e.into_inner());
            state.flushing = false;
            if flushed.is_ok() {
                state.durable = state.durable.max(covers);
            }
            self.finished.notify_all();
            flushed?;
        }
    }
}

impl RequestBook {
    /// How long after its expiry a request is still remembered, in seconds.
    pub const GRACE_SECONDS: u64 = 3_600;

    /// Opens the book in the node's database.
    pub fn open(store: &Store) -> Result<Self, ApiError> {
        Ok(RequestBook { tree: store.local_tree("requests")?, flushes: GroupCommit::default() })
    }

    /// Records a request `requester` asked for. Its challenge is fresh (32
    /// random bytes); if it were not, the first record is kept and this is an error.
    pub fn issue(&self, request: &ProofRequest, requester: [u8; 32]) -> Result<(), ApiError> {
        let entry = IssuedRequest { request: request.clone(), requester, used: false };
        let bytes = serde_json::to_vec(&entry).map_err(|e| ApiError::Internal(e.to_string()))?;
        match self.tree.compare_and_swap(request.challenge.as_bytes(), None as Option<&[u8]>, Some(bytes)) {
            Ok(Ok(())) => Ok(()),
            Ok(Err(_)) => Err(ApiError::Internal("a fresh challenge collided with an issued one".into())),
            Err(e) => Err(ApiError::Internal(e.to_string())),
        }
    }

    /// The request issued with `challenge`, if any.
    pub fn get(&self, challenge: &str) -> Result<Option<IssuedRequest>, ApiError> {
        match self.tree.get(challenge.as_bytes()).map_err(|e| ApiError::Internal(e.to_string()))? {
            None => Ok(None),
            Some(bytes) => Ok(Some(decode(&bytes).map_err(|e| ApiError::Internal(e.to_string()))?)),
        }
    }

    /// Forgets requests that expired more than [`Self::GRACE_SECONDS`]
    /// before `now`; returns how many.
    pub fn prune(&self, now: u64) -> Result<usize, ApiError> {
        let mut forgotten = 0;
        for item in self.tree.iter() {
            let (key, bytes) = item.map_err(|e| ApiError::Internal(e.to_string()))?;
            // An undecodable entry cannot be answered either: drop it too.
            let expired = decode(&bytes).map_or(true, |e| e.request.expires_at.saturating_add(Self::GRACE_SECONDS) < now);
            if expired && self.tree.compare_and_swap(&key, Some(bytes), None as Option<&[u8]>).is_ok_and(|r| r.is_ok()) {
                forgotten += 1;
            }
        }
        Ok(forgotten)
    }

    /// Requests remembered.
    pub fn len(&self) -> usize {
        self.tree.len()
    }

    /// Whether no request is remembered.
    pub fn is_empty(&self) -> bool {
        self.tree.is_empty()
    }
}

fn decode(bytes: &[u8]) -> serde_json::Result<IssuedRequest> {
    serde_json::from_slice(bytes)
}

impl ChallengeBook for RequestBook {
    fn consume(&self, challenge: &str) -> Result<(), ChallengeError> {
        let unavailable = |e: &dyn std::fmt::Display| ChallengeError::Unavailable(e.to_string());
        loop {
            let current = self.tree.get(challenge.as_bytes()).map_err(|e| unavailable(&e))?.ok_or(ChallengeError::Unknown)?;
            let mut entry = decode(&current).map_err(|e| unavailable(&e))?;
            if entry.used {
                return Err(ChallengeError::Replayed);
            }
            entry.used = true;
            let updated = serde_json::to_vec(&entry).map_err(|e| unavailable(&e))?;
            match self.tree.compare_and_swap(challenge.as_bytes(), Some(current), Some(updated)) {
                Ok(Ok(())) => {
                    self.flushes.wait_durable(&self.tree).map_err(|e| unavailable(&e))?;
                    return Ok(());
                }
                // Another verification changed it first: read it again.
                Ok(Err(_)) => continue,
                Err(e) => return Err(unavailable(&e)),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use zkreg_registry::{Genesis, Ledger, LedgerConfig};

    fn request(challenge_byte: u8, expires_at: u64) -> ProofRequest {
        ProofRequest {
            version: zkreg_circuits::request::REQUEST_VERSION,
            verifier: "bank-a".into(),
            scope: "bank-a/loans".into(),
            challenge: hex::encode([challenge_byte; 32]),
            expires_at,
            predicates: vec![],
            signature: None,
        }
    }

    fn open(dir: &std::path::Path) -> (Ledger, RequestBook) {
        let key = |b: u8| ed25519_dalek::SigningKey::from_bytes(&[b; 32]).verifying_key().to_bytes();
        let genesis = Genesis::development("zkreg-requests-test", 1, &key(1), ("central-bank", &key(2)), &["credit-score"], 4);
        // sled releases its lock asynchronously after the last handle drops.
        let mut last = None;
        for _ in 0..100 {
            match Ledger::open(dir, Some(&genesis), LedgerConfig::default()) {
                Ok(ledger) => {
                    let book = RequestBook::open(ledger.store()).unwrap();
                    return (ledger, book);
                }
                Err(e) => last = Some(e),
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        panic!("the database did not reopen: {last:?}");
    }

    #[test]
    fn challenges_are_single_use_across_restarts_and_requests_expire() {
        let dir = tempfile::tempdir().unwrap();
        let (a, b, c) = (request(1, 1_000), request(2, 1_000), request(3, 5_000));
        {
            let (_ledger, book) = open(dir.path());
            assert_eq!(book.consume(&a.challenge), Err(ChallengeError::Unknown));
            for r in [&a, &b, &c] {
                book.issue(r, [7; 32]).unwrap();
            }
            assert!(book.issue(&a, [6; 32]).is_err(), "an issued challenge is never issued again");
            assert_eq!(book.get(&a.challenge).unwrap().unwrap().requester, [7; 32]);
            assert_eq!(book.consume(&a.challenge), Ok(()));
            assert_eq!(book.consume(&a.challenge), Err(ChallengeError::Replayed));
        }
        let (_ledger, book) = open(dir.path());
        assert_eq!(book.len(), 3);
        assert_eq!(book.consume(&a.challenge), Err(ChallengeError::Replayed), "used before the restart");
        let kept = book.get(&b.challenge).unwrap().unwrap();
        assert_eq!((kept.request, kept.used), (b.clone(), false));
        assert_eq!(book.prune(1_000 + RequestBook::GRACE_SECONDS).unwrap(), 0, "not yet past the grace period");
        assert_eq!(book.prune(1_001 + RequestBook::GRACE_SECONDS).unwrap(), 2);
        assert_eq!(book.get(&b.challenge).unwrap(), None);
        assert_eq!(book.consume(&c.challenge), Ok(()));
    }

    #[test]
    fn concurrent_consumers_accept_a_challenge_once() {
        let dir = tempfile::tempdir().unwrap();
        let (_ledger, book) = open(dir.path());
        let r = request(4, 1_000);
        book.issue(&r, [7; 32]).unwrap();
        let accepted = std::sync::atomic::AtomicUsize::new(0);
        std::thread::scope(|s| {
            for _ in 0..8 {
                s.spawn(|| {
                    if book.consume(&r.challenge).is_ok() {
                        accepted.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                    }
                });
            }
        });
        assert_eq!(accepted.into_inner(), 1);
    }
}
