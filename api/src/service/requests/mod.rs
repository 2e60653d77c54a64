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
//!
//! A request is issued only if someone could answer it (its schemas and
//! issuers are registered, and each issuer is authorised for its schema) and
//! only under the asking verifier's own registered name. Each verifier may
//! have at most [`NodeConfig::max_open_requests`](crate::service::NodeConfig)
//! requests open (unexpired and not yet answered) at once: the book counts
//! them as it issues and consumes challenges, and rebuilds the counts from
//! the tree when it opens, so the limit holds across restarts without a scan
//! per request. A request lost in a crash frees its slot at the restart.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Condvar, Mutex};

use rand::RngCore;
use serde::{Deserialize, Serialize};

use zkreg_registry::Registry;
use zkreg_verifier::{ChallengeBook, ChallengeError, ProofRequest};

use super::{now_secs, Node};
use crate::auth::Caller;
use crate::dto::NewRequest;
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
    /// Most open requests per verifier.
    max_open: usize,
    /// Each verifier's open requests.
    open: Mutex<HashMap<[u8; 32], OpenRequests>>,
}

/// One verifier's open requests: unexpired and not answered.
#[derive(Default)]
struct OpenRequests {
    /// How many expire at each second (a request is open up to its `expires_at`).
    expiring: BTreeMap<u64, usize>,
    /// How many in all.
    count: usize,
}

impl OpenRequests {
    fn add(&mut self, expires_at: u64) {
        *self.expiring.entry(expires_at).or_insert(0) += 1;
        self.count += 1;
    }

    fn remove(&mut self, expires_at: u64) {
        if let Some(n) = self.expiring.get_mut(&expires_at) {
            *n -= 1;
            self.count -= 1;
            if *n == 0 {
                self.expiring.remove(&expires_at);
            }
        }
    }

    /// Drops the requests that expired before `now`.
    fn expire(&mut self, now: u64) {
        while let Some(entry) = self.expiring.first_entry() {
            if *entry.key() >= now {
                break;
            }
            self.count -= entry.remove();
        }
    }
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

    /// Default lifetime of a request, in seconds.
    pub const DEFAULT_TTL_SECONDS: u64 = 600;
    /// Longest lifetime of a request, in seconds.
    pub const MAX_TTL_SECONDS: u64 = 86_400;

    /// Opens the book in the node's database, allowing each verifier
    /// `max_open` open requests, and counts those open at `now`.
    pub fn open(tree: sled::Tree, max_open: usize, now: u64) -> Result<Self, ApiError> {
        let mut open: HashMap<[u8; 32], OpenRequests> = HashMap::new();
        for item in tree.iter() {
            let (_, bytes) = item.map_err(|e| ApiError::caused("reading the request book", e))?;
            // An undecodable entry cannot be answered: it holds no slot.
            if let Ok(entry) = decode(&bytes) {
                if !entry.used && entry.request.expires_at >= now {
                    open.entry(entry.requester).or_default().add(entry.request.expires_at);
                }
            }
        }
        Ok(RequestBook { tree, flushes: GroupCommit::default(), max_open, open: Mutex::new(open) })
    }

    /// Makes the request `caller` asks for in `body` at `now`, with a fresh
    /// challenge, and records it. Refused, with nothing recorded: 403
    /// `forbidden` for a request under another verifier's name or scope,
    /// 400 for a malformed one, 422 `unknown_schema`, `unknown_issuer` or
    /// `issuer_not_authorised` for one nobody could answer, and 429
    /// `too_many_open_requests` when the caller has its limit open.
    pub fn create(&self, body: NewRequest, caller: &Caller, registry: &Registry, now: u64) -> Result<ProofRequest, ApiError> {
        caller.may_ask_as(&body.verifier, &body.scope)?;
        let ttl = body.ttl_seconds.unwrap_or(Self::DEFAULT_TTL_SECONDS);
        if ttl == 0 || ttl > Self::MAX_TTL_SECONDS {
            return Err(ApiError::bad("bad_ttl", format!("ttl_seconds must be 1 to {}", Self::MAX_TTL_SECONDS)));
        }
        let mut challenge = [0u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut challenge);
        let request = ProofRequest {
            version: zkreg_circuits::request::REQUEST_VERSION,
            verifier: body.verifier,
            scope: body.scope,
            challenge: hex::encode(challenge),
            expires_at: now + ttl,
            predicates: body.predicates,
            signature: None,
        };
        request.validate().map_err(|e| ApiError::bad("bad_request", e))?;
        answerable(&request, registry)?;
        self.issue(&request, caller.key, now)?;
        Ok(request)
    }

    /// Records a request `requester` asked for at `now`, if it has fewer
    /// than its limit open. Its challenge is fresh (32 random bytes); if it
    /// were not, the first record is kept and this is an error.
    pub fn issue(&self, request: &ProofRequest, requester: [u8; 32], now: u64) -> Result<(), ApiError> {
        self.reserve(requester, request.expires_at, now)?;
        let stored = (|| {
            let entry = IssuedRequest { request: request.clone(), requester, used: false };
            let bytes = serde_json::to_vec(&entry).map_err(|e| ApiError::caused("encoding a request", e))?;
            match self.tree.compare_and_swap(request.challenge.as_bytes(), None as Option<&[u8]>, Some(bytes)) {
                Ok(Ok(())) => Ok(()),
                Ok(Err(_)) => Err(ApiError::internal("a fresh challenge collided with an issued one")),
                Err(e) => Err(ApiError::caused("storing a request", e)),
            }
        })();
        if stored.is_err() {
            self.release(&requester, request.expires_at);
        }
        stored
    }

    /// Takes one of `requester`'s open-request slots for a request open
    /// until `expires_at`, or says when the soonest one frees up.
    fn reserve(&self, requester: [u8; 32], expires_at: u64, now: u64) -> Result<(), ApiError> {
        let mut open = self.open.lock().unwrap_or_else(|e| e.into_inner());
        let mine = open.entry(requester).or_default();
        mine.expire(now);
        if mine.count >= self.max_open {
            // The soonest open request stops being open the second after its expiry.
            let retry_after = mine.expiring.keys().next().map_or(1, |soonest| (soonest + 1).saturating_sub(now).max(1));
            return Err(ApiError::TooManyRequests {
                code: "too_many_open_requests",
                message: format!(
                    "this verifier has {} open requests, its limit; one expires or is answered within {retry_after} s",
                    mine.count
                ),
                retry_after,
            });
        }
        mine.add(expires_at);
        Ok(())
    }

    /// Gives back `requester`'s slot of a request open until `expires_at`.
    fn release(&self, requester: &[u8; 32], expires_at: u64) {
        let mut open = self.open.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(mine) = open.get_mut(requester) {
            mine.remove(expires_at);
            if mine.count == 0 {
                open.remove(requester);
            }
        }
    }

    /// How many requests `requester` has open at `now`.
    pub fn open_requests(&self, requester: &[u8; 32], now: u64) -> usize {
        let mut open = self.open.lock().unwrap_or_else(|e| e.into_inner());
        open.get_mut(requester).map_or(0, |mine| {
            mine.expire(now);
            mine.count
        })
    }

    /// The request issued with `challenge`, if any.
    pub fn get(&self, challenge: &str) -> Result<Option<IssuedRequest>, ApiError> {
        match self.tree.get(challenge.as_bytes()).map_err(|e| ApiError::caused("reading the request book", e))? {
            None => Ok(None),
            Some(bytes) => Ok(Some(decode(&bytes).map_err(|e| ApiError::caused("decoding a stored request", e))?)),
        }
    }

    /// Forgets requests that expired more than [`Self::GRACE_SECONDS`]
    /// before `now`; returns how many.
    pub fn prune(&self, now: u64) -> Result<usize, ApiError> {
        let mut forgotten = 0;
        for item in self.tree.iter() {
            let (key, bytes) = item.map_err(|e| ApiError::caused("reading the request book", e))?;
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

/// Whether someone could answer `request`: each predicate's schema is
/// registered, each allowed issuer is a registered regulator authorised for
/// that schema, and a predicate that allows any issuer has at least one
/// active regulator authorised for its schema. Else 422 with the code
/// `unknown_schema`, `unknown_issuer` or `issuer_not_authorised`.
pub fn answerable(request: &ProofRequest, registry: &Registry) -> Result<(), ApiError> {
    let refuse = |code: &'static str, message: String| Err(ApiError::Unprocessable { code, message });
    for (at, p) in request.predicates.iter().enumerate() {
        if !registry.schemas.contains_key(&p.schema) {
            return refuse("unknown_schema", format!("predicate {at}: no schema {:?} is registered", p.schema));
        }
        for issuer in &p.allowed_issuers {
            if !registry.regulators.contains_key(issuer) {
                return refuse("unknown_issuer", format!("predicate {at}: no issuer {issuer:?} is registered"));
            }
            if !registry.authorised(issuer, &p.schema) {
                return refuse(
                    "issuer_not_authorised",
                    format!("predicate {at}: issuer {issuer:?} may not issue {:?} (or is retired)", p.schema),
                );
            }
        }
        if p.allowed_issuers.is_empty() && !registry.regulators.keys().any(|issuer| registry.authorised(issuer, &p.schema)) {
            return refuse("issuer_not_authorised", format!("predicate {at}: no active issuer may issue {:?}", p.schema));
        }
    }
    Ok(())
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
                    // Answered: no longer open.
                    self.release(&entry.requester, entry.request.expires_at);
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

impl Node {
    /// Issues a proof request with a fresh single-use challenge for the
    /// verifier `caller`, if someone could answer it and the verifier is
    /// within its open-request limit.
    pub fn create_request(&self, body: NewRequest, caller: &Caller) -> Result<ProofRequest, ApiError> {
        let request = self.requests.create(body, caller, &self.view().registry, now_secs())?;
        self.count_activity(crate::service::stats::ActivityKind::Request, "");
        Ok(request)
    }
}

#[cfg(test)]
mod tests;
