//! Admission of authenticated bank calls: each (key, nonce) pair is accepted
//! once, each verifier's key gets a token bucket of calls, and no key may hold
//! more than its share of the replay cache.
//!
//! Every check and the record happen under one lock, so a call is either
//! refused with nothing recorded (no nonce, no token) or recorded whole.
//! Only keys that passed the registry lookup and the signature check get
//! here (see [`crate::auth`]): an unregistered key never takes a slot, and
//! nobody can spend another key's tokens or nonces.
//!
//! # Replay protection across restarts
//!
//! Each recorded pair is also written to a node-local sled tree
//! (`node-local/seen-nonces`), and the unexpired ones are loaded when the
//! node starts, so a signed call captured before a restart is refused after
//! it. Expired pairs are removed from the tree as they leave the cache.
//!
//! A pair is not flushed before the call is answered: sled writes its log to
//! disk every half second on its own, and on a clean stop. A crash can
//! therefore lose the pairs of the last half second or so, and a call
//! captured in that instant could be replayed once after the restart, within
//! its timestamp window. That is acceptable because a replay gains nothing
//! single-use state does not already refuse: a replayed verification meets a
//! challenge that was flushed as used before it was answered
//! (`challenge_replayed`), and a replayed `POST /v1/requests` only issues a
//! fresh request to the same bank (its challenge answerable only through
//! that bank's key), counted against that bank's rate and open-request
//! limits. A flush per call (even shared, as in [`crate::service::requests`]) would
//! put a disk sync on every bank call for that.

use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap, HashMap};
use std::sync::Mutex;
use std::time::Instant;

use sha2::{Digest, Sha256};

use zkreg_circuits::constants::SEEN_NONCE_DOMAIN;

use super::AuthError;

/// What admission allows; from [`NodeConfig`](crate::service::NodeConfig).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AdmissionLimits {
    /// Most pairs held at once, all keys together; past it, 503.
    pub max_seen_nonces: usize,
    /// Most pairs one key may hold at once; past it, 429.
    pub max_seen_nonces_per_key: usize,
    /// Calls per second each key's bucket refills with.
    pub rate_per_s: u32,
    /// Calls each key may make at once (the bucket's size).
    pub burst: u32,
}

/// The replay cache and the per-key rate limits of signed bank calls.
pub struct Admission {
    limits: AdmissionLimits,
    tree: sled::Tree,
    inner: Mutex<Inner>,
}

#[derive(Default)]
struct Inner {
    /// Until when each pair is kept (unix seconds) and whose it is, by its identifier.
    seen: HashMap<[u8; 32], Seen>,
    /// The same pairs, soonest expiry first.
    queue: BinaryHeap<Reverse<(u64, [u8; 32])>>,
    /// Each key's bucket and pairs.
    keys: HashMap<[u8; 32], KeyState>,
}

#[derive(Clone, Copy)]
struct Seen {
    expires_at: u64,
    key: [u8; 32],
}

/// One key's token bucket and its pairs in the cache.
struct KeyState {
    /// Calls it may make now (fractions accrue).
    tokens: f64,
    /// When `tokens` was last brought up to date.
    refilled: Instant,
    /// Its pairs held, by expiry second: how many expire then.
    expiring: BTreeMap<u64, u32>,
    /// Its pairs held.
    held: usize,
}

impl KeyState {
    fn refill(&mut self, limits: &AdmissionLimits, at: Instant) {
        let elapsed = at.saturating_duration_since(self.refilled).as_secs_f64();
        self.tokens = (self.tokens + elapsed * f64::from(limits.rate_per_s)).min(f64::from(limits.burst));
        self.refilled = self.refilled.max(at);
    }

    fn forget(&mut self, expires_at: u64) {
        if let Some(n) = self.expiring.get_mut(&expires_at) {
            *n -= 1;
            if *n == 0 {
                self.expiring.remove(&expires_at);
            }
        }
        self.held = self.held.saturating_sub(1);
    }
}

/// The identifier of `key`'s use of `nonce`: what the cache and the tree key on.
fn pair_id(key: &[u8; 32], nonce: &str) -> [u8; 32] {
    Sha256::new().chain_update(SEEN_NONCE_DOMAIN).chain_update(key).chain_update(nonce).finalize().into()
}

/// The tree's value of a pair: its expiry (big-endian) then its key.
fn encode(seen: Seen) -> [u8; 40] {
    let mut out = [0; 40];
    out[..8].copy_from_slice(&seen.expires_at.to_be_bytes());
    out[8..].copy_from_slice(&seen.key);
    out
}

fn decode(bytes: &[u8]) -> Option<Seen> {
    let expires_at = u64::from_be_bytes(bytes.get(..8)?.try_into().ok()?);
    let key = bytes.get(8..)?.try_into().ok()?;
    Some(Seen { expires_at, key })
}

/// Whole seconds, at least one, until `deficit` tokens accrue at `rate` per second.
fn seconds_until(deficit: f64, rate: u32) -> u64 {
    ((deficit / f64::from(rate.max(1))).ceil() as u64).max(1)
}

impl Inner {
    fn add(&mut self, id: [u8; 32], seen: Seen, limits: &AdmissionLimits, at: Instant) -> &mut KeyState {
        self.seen.insert(id, seen);
        self.queue.push(Reverse((seen.expires_at, id)));
        let state = self.keys.entry(seen.key).or_insert_with(|| KeyState {
            tokens: f64::from(limits.burst),
            refilled: at,
            expiring: BTreeMap::new(),
            held: 0,
        });
        *state.expiring.entry(seen.expires_at).or_insert(0) += 1;
        state.held += 1;
        state
    }

    /// Drops the pairs that expired before `now`; returns their identifiers.
    fn expire(&mut self, now: u64) -> Vec<[u8; 32]> {
        let mut dropped = Vec::new();
        while let Some(&Reverse((when, id))) = self.queue.peek() {
            if when >= now {
                break;
            }
            self.queue.pop();
            if let Some(seen) = self.seen.remove(&id) {
                if let Some(state) = self.keys.get_mut(&seen.key) {
                    state.forget(seen.expires_at);
                }
            }
            dropped.push(id);
        }
        dropped
    }
}

impl Admission {
    /// Opens the cache on `tree` (the node's `node-local/seen-nonces`),
    /// loading the pairs still unexpired at `now` and removing the others.
    pub fn open(tree: sled::Tree, limits: AdmissionLimits, now: u64) -> sled::Result<Self> {
        let mut inner = Inner::default();
        let mut stale = sled::Batch::default();
        let at = Instant::now();
        for item in tree.iter() {
            let (id, value) = item?;
            match (<[u8; 32]>::try_from(id.as_ref()), decode(&value)) {
                (Ok(id), Some(seen)) if seen.expires_at >= now => {
                    inner.add(id, seen, &limits, at);
                }
                // Expired, or not a pair this code wrote: nothing to keep.
                _ => stale.remove(id),
            }
        }
        tree.apply_batch(stale)?;
        Ok(Admission { limits, tree, inner: Mutex::new(inner) })
    }

    /// Admits `key`'s call with `nonce`, whose pair is kept until
    /// `expires_at`, at unix second `now` and instant `at` (the buckets'
    /// clock). In order: a pair already held is [`AuthError::ReplayedNonce`];
    /// an empty bucket, or a key holding its share of the cache, is
    /// [`AuthError::RateLimited`]; a full cache is [`AuthError::TooManyNonces`].
    /// A refused call records nothing.
    pub fn admit(&self, key: &[u8; 32], nonce: &str, expires_at: u64, now: u64, at: Instant) -> Result<(), AuthError> {
        let id = pair_id(key, nonce);
        let limits = self.limits;
        let mut inner = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        self.remove_from_tree(inner.expire(now));
        if inner.seen.contains_key(&id) {
            return Err(AuthError::ReplayedNonce);
        }
        if let Some(state) = inner.keys.get_mut(key) {
            state.refill(&limits, at);
            if state.tokens < 1.0 {
                return Err(AuthError::RateLimited { retry_after: seconds_until(1.0 - state.tokens, limits.rate_per_s) });
            }
            if state.held >= limits.max_seen_nonces_per_key {
                let soonest = state.expiring.keys().next().copied().unwrap_or(now);
                return Err(AuthError::RateLimited { retry_after: (soonest + 1).saturating_sub(now).max(1) });
            }
        } else if limits.burst == 0 || limits.max_seen_nonces_per_key == 0 {
            return Err(AuthError::RateLimited { retry_after: 1 });
        }
        if inner.seen.len() >= limits.max_seen_nonces {
            return Err(AuthError::TooManyNonces);
        }
        let seen = Seen { expires_at, key: *key };
        if let Err(e) = self.tree.insert(id, &encode(seen)[..]) {
            tracing::error!(error = %e, "recording a nonce in the replay cache failed");
            return Err(AuthError::StoreFailed);
        }
        inner.add(id, seen, &limits, at).tokens -= 1.0;
        Ok(())
    }

    /// Drops the pairs that expired before `now`, from memory and from the
    /// tree; returns how many.
    pub fn prune(&self, now: u64) -> usize {
        let mut inner = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        let dropped = inner.expire(now);
        let n = dropped.len();
        self.remove_from_tree(dropped);
        n
    }

    /// Removes expired pairs from the tree. A failure only leaves them to be
    /// dropped when the node next starts (they are expired by then).
    fn remove_from_tree(&self, ids: Vec<[u8; 32]>) {
        if ids.is_empty() {
            return;
        }
        let mut batch = sled::Batch::default();
        for id in ids {
            batch.remove(&id[..]);
        }
        if let Err(e) = self.tree.apply_batch(batch) {
            tracing::warn!(error = %e, "removing expired nonces from the replay cache's tree failed");
        }
    }

    /// How many pairs are held.
    pub fn len(&self) -> usize {
        self.inner.lock().unwrap_or_else(|e| e.into_inner()).seen.len()
    }

    /// Whether no pair is held.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// How many pairs `key` holds.
    pub fn held_by(&self, key: &[u8; 32]) -> usize {
        self.inner.lock().unwrap_or_else(|e| e.into_inner()).keys.get(key).map_or(0, |s| s.held)
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    const LIMITS: AdmissionLimits = AdmissionLimits { max_seen_nonces: 100, max_seen_nonces_per_key: 100, rate_per_s: 1000, burst: 1000 };

    fn tree() -> sled::Tree {
        sled::Config::new().temporary(true).open().unwrap().open_tree("seen-nonces").unwrap()
    }

    fn open(limits: AdmissionLimits) -> Admission {
        Admission::open(tree(), limits, 0).unwrap()
    }

    #[test]
    fn nonces_expire_with_the_window_and_stay_bounded() {
        let seen = open(AdmissionLimits { max_seen_nonces: 2, ..LIMITS });
        let (a, b) = ([1; 32], [2; 32]);
        let at = Instant::now();
        seen.admit(&a, "n1", 100, 0, at).unwrap();
        // Nonces are per key.
        seen.admit(&b, "n1", 200, 0, at).unwrap();
        assert_eq!(seen.admit(&a, "n1", 100, 50, at), Err(AuthError::ReplayedNonce));
        // Full: refused, not grown.
        assert_eq!(seen.admit(&a, "n2", 100, 50, at), Err(AuthError::TooManyNonces));
        assert_eq!(seen.len(), 2);
        // Still kept at its expiry second, dropped after it.
        assert_eq!(seen.admit(&a, "n1", 100, 100, at), Err(AuthError::ReplayedNonce));
        seen.admit(&a, "n2", 300, 101, at).unwrap();
        assert_eq!(seen.len(), 2);
        assert_eq!(seen.admit(&a, "n1", 400, 101, at), Err(AuthError::TooManyNonces));
        seen.admit(&a, "n3", 400, 201, at).unwrap();
        assert_eq!((seen.len(), seen.held_by(&a), seen.held_by(&b)), (2, 2, 0));
    }

    #[test]
    fn a_key_gets_its_burst_then_its_rate_and_refusals_cost_nothing() {
        let seen = open(AdmissionLimits { rate_per_s: 2, burst: 3, ..LIMITS });
        let (a, b) = ([1; 32], [2; 32]);
        let at = Instant::now();
        for n in ["n1", "n2", "n3"] {
            seen.admit(&a, n, 100, 0, at).unwrap();
        }
        assert_eq!(seen.admit(&a, "n4", 100, 0, at), Err(AuthError::RateLimited { retry_after: 1 }));
        // Another key has its own bucket; a replay is named as such even when the bucket is empty.
        seen.admit(&b, "n1", 100, 0, at).unwrap();
        assert_eq!(seen.admit(&a, "n1", 100, 0, at), Err(AuthError::ReplayedNonce));
        assert_eq!(seen.held_by(&a), 3);
        // Half a second later one token (2 per second) has accrued: one call, not two.
        let later = at + Duration::from_millis(500);
        seen.admit(&a, "n4", 100, 0, later).unwrap();
        assert!(matches!(seen.admit(&a, "n5", 100, 0, later), Err(AuthError::RateLimited { .. })));
        // Idle long enough, the bucket is full again, never fuller.
        let much_later = at + Duration::from_secs(60);
        for n in ["n5", "n6", "n7"] {
            seen.admit(&a, n, 100, 0, much_later).unwrap();
        }
        assert!(matches!(seen.admit(&a, "n8", 100, 0, much_later), Err(AuthError::RateLimited { .. })));
    }

    #[test]
    fn no_key_holds_more_than_its_share() {
        let seen = open(AdmissionLimits { max_seen_nonces_per_key: 2, ..LIMITS });
        let (a, b) = ([1; 32], [2; 32]);
        let at = Instant::now();
        seen.admit(&a, "n1", 150, 0, at).unwrap();
        seen.admit(&a, "n2", 120, 0, at).unwrap();
        // Its soonest pair leaves the cache after second 120.
        assert_eq!(seen.admit(&a, "n3", 200, 100, at), Err(AuthError::RateLimited { retry_after: 21 }));
        seen.admit(&b, "n1", 200, 100, at).unwrap();
        seen.admit(&a, "n3", 200, 121, at).unwrap();
        assert_eq!((seen.held_by(&a), seen.len()), (2, 3));
    }

    #[test]
    fn pairs_survive_a_reopen_and_expired_ones_are_removed() {
        let tree = tree();
        let at = Instant::now();
        {
            let seen = Admission::open(tree.clone(), LIMITS, 0).unwrap();
            seen.admit(&[1; 32], "n1", 100, 0, at).unwrap();
            seen.admit(&[1; 32], "n2", 300, 0, at).unwrap();
            seen.admit(&[2; 32], "n1", 300, 0, at).unwrap();
        }
        let seen = Admission::open(tree.clone(), LIMITS, 200).unwrap();
        assert_eq!((seen.len(), tree.len()), (2, 2), "the expired pair is dropped from memory and the tree");
        assert_eq!(seen.admit(&[1; 32], "n2", 300, 200, at), Err(AuthError::ReplayedNonce));
        assert_eq!(seen.held_by(&[1; 32]), 1);
        seen.admit(&[1; 32], "n1", 400, 200, at).unwrap();
        assert_eq!(seen.prune(301), 2);
        assert_eq!((seen.len(), tree.len()), (1, 1));
    }
}
