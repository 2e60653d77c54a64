//! Issuance statistics kept as blocks apply: credentials issued and
//! revoked per day, issuer and schema. They are derived from each block's
//! effects alone, so every replica computes the same numbers and a
//! snapshot carries them; reading a time series never scans the chain.
//!
//! A credential's day is its block's day: `header.time / 86,400` (UTC).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::state::BlockEffects;

/// Seconds in a (UTC) day.
pub const SECONDS_PER_DAY: u64 = 86_400;

/// The day (days since 1970-01-01, UTC) of a Unix time in seconds.
pub fn day_of(unix_secs: u64) -> u64 {
    unix_secs / SECONDS_PER_DAY
}

/// Credentials issued and revoked under one issuer and schema on one day.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DayCounts {
    /// Issued in blocks of that day.
    pub issued: u64,
    /// Revoked in blocks of that day.
    pub revoked: u64,
}

impl DayCounts {
    /// The sum of two counts.
    pub fn add(self, other: DayCounts) -> DayCounts {
        DayCounts { issued: self.issued + other.issued, revoked: self.revoked + other.revoked }
    }
}

/// One stored entry of the statistics: a day, an issuer, a schema.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DayEntry {
    /// Days since 1970-01-01 (UTC).
    pub day: u64,
    /// The issuing regulator.
    pub issuer: String,
    /// The schema.
    pub schema: String,
    /// What happened that day.
    pub counts: DayCounts,
}

/// What one block adds, per `(issuer, schema)`, on the block's day.
///
/// A credential record that the block wrote with `issued_at` equal to the
/// block's height was issued by it; one whose `revoked_at` is the block's
/// height was revoked by it (both, if issued and revoked in one block).
pub fn block_deltas(effects: &BlockEffects) -> BTreeMap<(String, String), DayCounts> {
    let h = effects.header.height;
    let mut out: BTreeMap<(String, String), DayCounts> = BTreeMap::new();
    for record in effects.credentials.values() {
        let issued = u64::from(record.issued_at == h);
        let revoked = u64::from(record.revoked_at == Some(h));
        if issued + revoked == 0 {
            continue;
        }
        let e = out.entry((record.issuer.clone(), record.schema.clone())).or_default();
        e.issued += issued;
        e.revoked += revoked;
    }
    out
}

/// The store key of `(day, issuer, schema)`: `s ‖ day ‖ len ‖ issuer ‖
/// schema`, big-endian, so that a range of days is one key range.
pub(crate) fn day_key(day: u64, issuer: &str, schema: &str) -> Vec<u8> {
    let mut k = Vec::with_capacity(11 + issuer.len() + schema.len());
    k.push(b's');
    k.extend_from_slice(&day.to_be_bytes());
    k.extend_from_slice(&(issuer.len() as u16).to_be_bytes());
    k.extend_from_slice(issuer.as_bytes());
    k.extend_from_slice(schema.as_bytes());
    k
}

/// The inverse of [`day_key`]; `None` if the key is not one.
pub(crate) fn parse_day_key(k: &[u8]) -> Option<(u64, String, String)> {
    if k.len() < 11 || k[0] != b's' {
        return None;
    }
    let day = u64::from_be_bytes(k[1..9].try_into().ok()?);
    let len = u16::from_be_bytes(k[9..11].try_into().ok()?) as usize;
    let issuer = std::str::from_utf8(k.get(11..11 + len)?).ok()?;
    let schema = std::str::from_utf8(k.get(11 + len..)?).ok()?;
    Some((day, issuer.to_owned(), schema.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn day_keys_round_trip_and_sort_by_day_first() {
        let a = day_key(20_000, "central-bank", "credit-score");
        let b = day_key(20_001, "a", "b");
        assert!(a < b, "a later day sorts after, whatever the names");
        assert_eq!(parse_day_key(&a), Some((20_000, "central-bank".into(), "credit-score".into())));
        // A name that holds the separator-free layout's edge cases.
        let c = day_key(7, "", "x");
        assert_eq!(parse_day_key(&c), Some((7, String::new(), "x".into())));
        assert_eq!(parse_day_key(b"s123"), None);
        assert_eq!(parse_day_key(&a[..12]), None, "a length beyond the key is refused");
    }

    #[test]
    fn a_day_is_the_utc_calendar_day() {
        assert_eq!(day_of(0), 0);
        assert_eq!(day_of(86_399), 0);
        assert_eq!(day_of(86_400), 1);
        // 2026-12-02T00:00:00Z
        assert_eq!(day_of(1_796_169_600), 20_789);
    }
}
