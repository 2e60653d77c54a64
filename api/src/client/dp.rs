//! Private statistics' calls: the regulator grants analysts, analysts ask
//! differentially private queries (both signed), anyone reads the releases.

use ed25519_dalek::SigningKey;

use super::{Client, ClientResult};
use crate::dto::dp::{AnalystInfo, DpBudget, DpQueryBody, DpRelease, NewAnalystBody};

impl Client {
    /// `POST /v1/stats/private/analysts`: the regulator (`key`) grants an analyst a budget.
    pub fn grant_analyst(&self, key: &SigningKey, grant: &NewAnalystBody) -> ClientResult<AnalystInfo> {
        self.post_as("/v1/stats/private/analysts", grant, Some(key))
    }

    /// `POST /v1/stats/private/query`: the analyst `key` asks a query; the answer is its release.
    pub fn dp_query(&self, key: &SigningKey, query: &DpQueryBody) -> ClientResult<DpRelease> {
        self.post_as("/v1/stats/private/query", query, Some(key))
    }

    /// `GET /v1/stats/private/budget`: the analyst `key`'s budget per dataset.
    pub fn dp_budget(&self, key: &SigningKey) -> ClientResult<DpBudget> {
        self.signed_get("/v1/stats/private/budget", key)
    }

    /// `GET /v1/stats/private/releases`: up to `limit` releases, newest first.
    pub fn dp_releases(&self, limit: usize) -> ClientResult<Vec<DpRelease>> {
        self.get_as(&format!("/v1/stats/private/releases?limit={limit}"))
    }
}
