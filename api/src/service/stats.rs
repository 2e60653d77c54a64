//! Public statistics: issuance per day, issuer and schema (kept by the
//! ledger as blocks apply, [`zkreg_registry::stats`]), and the banks'
//! requests and verifications this node answered, per day and outcome
//! (counted here, in the node-local store, as they happen).

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate};

use zkreg_registry::stats::{day_of, DayCounts, SECONDS_PER_DAY};

use super::{now_secs, Node};
use crate::dto::stats::{ActivityDay, ActivityQuery, ActivityStats, DailyQuery, DailyStats, DayCount};
use crate::error::ApiError;

/// Most days one series may span.
pub const MAX_SERIES_DAYS: u64 = 366;

/// Days a series spans when the caller names no `from`.
pub const DEFAULT_SERIES_DAYS: u64 = 30;

/// The day of a `YYYY-MM-DD` date (UTC), or a 400 `bad_date`.
pub fn parse_date(date: &str) -> Result<u64, ApiError> {
    let bad = || ApiError::bad("bad_date", format!("{date:?} is not a date of the form YYYY-MM-DD on or after 1970-01-01"));
    if date.len() != 10 {
        return Err(bad());
    }
    let d = NaiveDate::parse_from_str(date, "%Y-%m-%d").map_err(|_| bad())?;
    let secs = d.and_hms_opt(0, 0, 0).ok_or_else(bad)?.and_utc().timestamp();
    u64::try_from(secs).map(day_of).map_err(|_| bad())
}

/// The `YYYY-MM-DD` date (UTC) of a day.
pub fn date_of(day: u64) -> String {
    i64::try_from(day.saturating_mul(SECONDS_PER_DAY))
        .ok()
        .and_then(|s| DateTime::from_timestamp(s, 0))
        .map_or_else(|| format!("day {day}"), |t| t.format("%Y-%m-%d").to_string())
}

/// The days `from..=to` of a query: `to` defaults to `default_to`, `from`
/// to [`DEFAULT_SERIES_DAYS`] days before it; at most [`MAX_SERIES_DAYS`].
fn range(from: Option<&str>, to: Option<&str>, default_to: u64) -> Result<(u64, u64), ApiError> {
    let to = to.map(parse_date).transpose()?.unwrap_or(default_to);
    let from = from.map(parse_date).transpose()?.unwrap_or(to.saturating_sub(DEFAULT_SERIES_DAYS - 1));
    if from > to {
        return Err(ApiError::bad("bad_range", "from is after to"));
    }
    if to - from >= MAX_SERIES_DAYS {
        return Err(ApiError::bad("bad_range", format!("a series spans at most {MAX_SERIES_DAYS} days")));
    }
    Ok((from, to))
}

/// What the node counts of the banks' calls.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ActivityKind {
    /// A proof request issued.
    Request,
    /// A presentation checked, with its outcome.
    Verification,
}

impl ActivityKind {
    fn tag(self) -> u8 {
        match self {
            ActivityKind::Request => b'r',
            ActivityKind::Verification => b'v',
        }
    }
}

/// Per-day counters of the banks' calls, in a node-local keyspace:
/// `day ‖ kind ‖ outcome → count`. Each call adds to its counter in place
/// (no scan, no read of the chain); sled writes them out within its flush
/// interval, so a crash loses at most the last half second of counts.
#[derive(Clone)]
pub struct Activity {
    tree: sled::Tree,
}

fn activity_key(day: u64, kind: ActivityKind, outcome: &str) -> Vec<u8> {
    let mut k = Vec::with_capacity(9 + outcome.len());
    k.extend_from_slice(&day.to_be_bytes());
    k.push(kind.tag());
    k.extend_from_slice(outcome.as_bytes());
    k
}

impl Activity {
    /// Over the node-local keyspace `tree`.
    pub fn new(tree: sled::Tree) -> Self {
        Activity { tree }
    }

    /// Counts one call of `kind` with `outcome` on the day of `now`.
    /// Counting never fails the call it counts: a storage error is logged.
    pub fn record(&self, now: u64, kind: ActivityKind, outcome: &str) {
        let added = self.tree.fetch_and_update(activity_key(day_of(now), kind, outcome), |old| {
            let n = old.and_then(|v| v.try_into().ok()).map_or(0, u64::from_be_bytes);
            Some((n + 1).to_be_bytes().to_vec())
        });
        if let Err(e) = added {
            tracing::warn!(error = %e, "counting a call in the activity statistics");
        }
    }

    /// The counters of days `from..=to`: `day → (requests, outcome → verifications)`.
    fn days(&self, from: u64, to: u64) -> Result<BTreeMap<u64, (u64, BTreeMap<String, u64>)>, ApiError> {
        let mut out: BTreeMap<u64, (u64, BTreeMap<String, u64>)> = BTreeMap::new();
        for entry in self.tree.range(from.to_be_bytes()..to.saturating_add(1).to_be_bytes()) {
            let (k, v) = entry.map_err(|e| ApiError::caused("reading the activity statistics", e))?;
            let (Some(day), Some(tag), Some(count)) = (
                k.get(..8).and_then(|b| b.try_into().ok()).map(u64::from_be_bytes),
                k.get(8),
                v.as_ref().try_into().ok().map(u64::from_be_bytes),
            ) else {
                return Err(ApiError::internal(format!("activity statistics: a malformed entry {}", hex::encode(&k))));
            };
            let outcome = String::from_utf8_lossy(&k[9..]).into_owned();
            let e = out.entry(day).or_default();
            match *tag {
                b'r' => e.0 += count,
                b'v' => *e.1.entry(outcome).or_default() += count,
                _ => return Err(ApiError::internal(format!("activity statistics: an unknown kind in {}", hex::encode(&k)))),
            }
        }
        Ok(out)
    }
}

impl Node {
    /// Issuance per day (zeros included) for one issuer, one schema or
    /// all, from the ledger's daily statistics.
    pub fn daily_stats(&self, q: &DailyQuery) -> Result<DailyStats, ApiError> {
        let tip = self.view().tip.clone();
        let (from, to) = range(q.from.as_deref(), q.to.as_deref(), day_of(tip.time))?;
        let mut days: BTreeMap<u64, DayCounts> = (from..=to).map(|d| (d, DayCounts::default())).collect();
        for e in self.store.day_entries(from, to)? {
            let wanted = q.issuer.as_ref().is_none_or(|i| *i == e.issuer) && q.schema.as_ref().is_none_or(|s| *s == e.schema);
            if wanted {
                let day = days.entry(e.day).or_default();
                *day = day.add(e.counts);
            }
        }
        Ok(DailyStats {
            issuer: q.issuer.clone(),
            schema: q.schema.clone(),
            from: date_of(from),
            to: date_of(to),
            height: tip.height,
            days: days.into_iter().map(|(d, c)| DayCount { date: date_of(d), issued: c.issued, revoked: c.revoked }).collect(),
        })
    }

    /// This node's proof requests and verifications per day and outcome
    /// (zeros included).
    pub fn activity_stats(&self, q: &ActivityQuery) -> Result<ActivityStats, ApiError> {
        let (from, to) = range(q.from.as_deref(), q.to.as_deref(), day_of(now_secs()))?;
        let mut counted = self.activity.days(from, to)?;
        let days = (from..=to)
            .map(|d| {
                let (requests, by_outcome) = counted.remove(&d).unwrap_or_default();
                ActivityDay { date: date_of(d), requests, verifications: by_outcome.values().sum(), by_outcome }
            })
            .collect();
        Ok(ActivityStats { from: date_of(from), to: date_of(to), days })
    }

    /// Counts a call in the activity statistics.
    pub(crate) fn count_activity(&self, kind: ActivityKind, outcome: &str) {
        self.activity.record(now_secs(), kind, outcome);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_round_trip_and_bad_ones_are_refused() {
        assert_eq!(parse_date("1970-01-01").unwrap(), 0);
        assert_eq!(parse_date("2026-12-02").unwrap(), 20_789);
        assert_eq!(date_of(20_789), "2026-12-02");
        assert_eq!(date_of(parse_date("2024-02-29").unwrap()), "2024-02-29");
        for bad in ["2026-02-30", "2026-1-5", "02-12-2026", "", "1969-12-31", "2026-12-02T00:00", "+2026-12-02"] {
            let e = parse_date(bad).unwrap_err();
            assert_eq!(e.code(), "bad_date", "{bad:?}");
        }
    }

    #[test]
    fn a_range_defaults_to_thirty_days_and_is_bounded() {
        assert_eq!(range(None, None, 100).unwrap(), (71, 100));
        assert_eq!(range(Some("1970-01-05"), Some("1970-01-05"), 100).unwrap(), (4, 4));
        assert_eq!(range(Some("1970-01-06"), Some("1970-01-05"), 100).unwrap_err().code(), "bad_range");
        assert_eq!(range(Some("2020-01-01"), Some("2021-01-01"), 0).unwrap_err().code(), "bad_range", "367 days");
        assert!(range(Some("2021-01-01"), Some("2021-12-31"), 0).is_ok());
    }

    #[test]
    fn activity_counts_add_up_per_day_and_outcome() {
        let dir = tempfile::tempdir().unwrap();
        let db = sled::open(dir.path()).unwrap();
        let a = Activity::new(db.open_tree("activity").unwrap());
        let day = 20_000 * SECONDS_PER_DAY;
        a.record(day, ActivityKind::Request, "");
        a.record(day + 5, ActivityKind::Request, "");
        a.record(day + 6, ActivityKind::Verification, "verified");
        a.record(day + 7, ActivityKind::Verification, "challenge_unknown");
        a.record(day + 8, ActivityKind::Verification, "verified");
        a.record(day + SECONDS_PER_DAY, ActivityKind::Verification, "verified");
        let days = a.days(19_999, 20_001).unwrap();
        assert_eq!(days.len(), 2);
        assert_eq!(days[&20_000].0, 2);
        assert_eq!(days[&20_000].1, BTreeMap::from([("challenge_unknown".into(), 1), ("verified".into(), 2)]));
        assert_eq!(days[&20_001], (0, BTreeMap::from([("verified".into(), 1)])));
        assert!(a.days(20_002, 20_010).unwrap().is_empty());
    }
}
