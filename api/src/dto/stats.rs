//! Wire types of the statistics endpoints (`/v1/stats/...`): what the
//! public layer says about issuance, and what this node saw of the banks'
//! requests and verifications. Private statistics (noisy, differentially
//! private) have their own types beside the private layer's.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// Issued, revoked and active credentials under one name (an issuer or a schema).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Total {
    /// The issuer's or the schema's name.
    pub name: String,
    /// Issued so far.
    pub issued: u64,
    /// Revoked so far.
    pub revoked: u64,
    /// Issued and not revoked.
    pub active: u64,
}

/// `GET /v1/stats/daily` query: a time series of issuance, optionally for
/// one issuer or one schema. Dates are UTC calendar days (`YYYY-MM-DD`);
/// the block's time decides a credential's day.
#[derive(Debug, Default, Clone, Serialize, Deserialize, ToSchema, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct DailyQuery {
    /// Only this issuer's credentials.
    pub issuer: Option<String>,
    /// Only this schema's credentials.
    pub schema: Option<String>,
    /// First day (default: 29 days before `to`).
    pub from: Option<String>,
    /// Last day (default: the tip block's day).
    pub to: Option<String>,
}

/// One day of issuance.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct DayCount {
    /// The day, `YYYY-MM-DD` (UTC).
    pub date: String,
    /// Credentials issued in blocks of that day.
    pub issued: u64,
    /// Credentials revoked in blocks of that day.
    pub revoked: u64,
}

/// `GET /v1/stats/daily`: one entry per day from `from` to `to`, days
/// without issuance included (as zeros).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct DailyStats {
    /// The issuer asked for, if any.
    pub issuer: Option<String>,
    /// The schema asked for, if any.
    pub schema: Option<String>,
    /// First day of the series.
    pub from: String,
    /// Last day of the series.
    pub to: String,
    /// The height the series was read at.
    pub height: u64,
    /// The days, oldest first.
    pub days: Vec<DayCount>,
}

/// `GET /v1/stats/activity` query: days of this node's request and
/// verification counts.
#[derive(Debug, Default, Clone, Serialize, Deserialize, ToSchema, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ActivityQuery {
    /// First day (default: 29 days before `to`).
    pub from: Option<String>,
    /// Last day (default: today, by this node's clock).
    pub to: Option<String>,
}

/// One day of the banks' calls to this node.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ActivityDay {
    /// The day, `YYYY-MM-DD` (UTC).
    pub date: String,
    /// Proof requests this node issued to banks.
    pub requests: u64,
    /// Presentations this node checked, all outcomes.
    pub verifications: u64,
    /// Presentations by outcome: `verified` or the refusal's stable code.
    pub by_outcome: BTreeMap<String, u64>,
}

/// `GET /v1/stats/activity`: what this node (not the consortium: each node
/// serves its own banks) answered, one entry per day, zeros included.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ActivityStats {
    /// First day of the series.
    pub from: String,
    /// Last day of the series.
    pub to: String,
    /// The days, oldest first.
    pub days: Vec<ActivityDay>,
}
