//! Private statistics' request and response bodies
//! (`/v1/stats/private/...`): analysts' grants, differentially private
//! queries, budgets, and the releases anyone may read.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use zkreg_registry::private::analyst::AnalystGrant;
use zkreg_registry::private::dp::ledger::Release;
use zkreg_registry::private::dp::Bins;

use super::TxReceipt;

/// `POST /v1/stats/private/analysts`: the regulator grants an analyst a
/// privacy budget on some datasets. A new grant to the same key replaces
/// the last; budgets are lifetime totals (what was spent stays spent).
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewAnalystBody {
    /// The analyst's ed25519 key, 64 hex digits: the key that signs its queries.
    pub analyst: String,
    /// A display name, shown with its releases (1 to 64 bytes).
    pub name: String,
    /// The total epsilon it may spend on each dataset (a schema of this
    /// node's records), each from 0.001 to 100; 1 to 64 datasets.
    pub budgets: BTreeMap<String, f64>,
    /// How long the grant lasts, seconds (at most a year).
    pub valid_for_secs: u64,
}

/// An analyst's grant, with the receipt of the transaction anchoring its hash.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct AnalystInfo {
    /// The grant's id (its anchored hash, `dp-analyst` audit transaction).
    pub id: String,
    /// The analyst's key, hex.
    pub analyst: String,
    /// Its display name.
    pub name: String,
    /// The granting regulator.
    pub issuer: String,
    /// Its budget on each dataset.
    pub budgets: BTreeMap<String, f64>,
    /// Unix seconds it starts.
    pub granted_at: u64,
    /// Unix seconds after which it allows nothing.
    pub not_after: u64,
    /// The anchoring transaction's receipt.
    pub receipt: TxReceipt,
}

impl AnalystInfo {
    /// The grant `g` and its anchor's receipt.
    pub fn new(g: &AnalystGrant, receipt: TxReceipt) -> Self {
        AnalystInfo {
            id: hex::encode(g.id()),
            analyst: hex::encode(g.analyst),
            name: g.name.clone(),
            issuer: g.issuer.clone(),
            budgets: g.budgets.iter().map(|(d, e)| (d.clone(), e.as_f64())).collect(),
            granted_at: g.granted_at,
            not_after: g.not_after,
            receipt,
        }
    }
}

/// How a query bins the attribute's values: `{"edges": [580, 670]}` (bins
/// `<580`, `580-669`, `>=670` and `invalid` for a value that is not a whole
/// number), `{"categories": ["A", "B"]}` (bins `A`, `B` and `other`), or
/// `"count"` (one bin, `count`). At most 64 bins, labels at most 64 bytes.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum BinsBody {
    /// Numeric edges, strictly increasing (1 to 62).
    Edges(Vec<i64>),
    /// Distinct categories (1 to 63), none named `other`.
    Categories(Vec<String>),
    /// A count of the subjects that have the attribute (or of every subject).
    Count,
}

impl From<BinsBody> for Bins {
    fn from(b: BinsBody) -> Self {
        match b {
            BinsBody::Edges(e) => Bins::Edges(e),
            BinsBody::Categories(c) => Bins::Categories(c),
            BinsBody::Count => Bins::Count,
        }
    }
}

/// `POST /v1/stats/private/query`: a differentially private histogram of
/// one attribute over one dataset, one row per subject (its newest record).
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DpQueryBody {
    /// The dataset: a schema of this node's records the analyst is granted.
    pub dataset: String,
    /// The attribute binned; optional for a count (then every subject counts).
    #[serde(default)]
    pub attribute: Option<String>,
    /// The bins.
    pub bins: BinsBody,
    /// The epsilon this query spends, from 0.001 to 10 (rounded to a
    /// millionth). The noise's scale is `1/epsilon`.
    pub epsilon: f64,
}

/// A noisy histogram the node released to an analyst (public: DP output).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct DpRelease {
    /// Sequence number of the release on this node.
    pub id: u64,
    /// The dataset (schema).
    pub dataset: String,
    /// The attribute binned (empty for a count of every subject).
    pub attribute: String,
    /// The analyst's display name.
    pub analyst: String,
    /// The analyst's key, hex.
    pub analyst_key: String,
    /// Unix seconds.
    pub time: u64,
    /// This release's epsilon.
    pub epsilon: f64,
    /// The mechanism: `discrete_laplace`.
    pub mechanism: String,
    /// The noise's scale.
    pub scale: f64,
    /// Each bin's noisy count (unbiased, so possibly negative).
    pub bins: Vec<NoisyBin>,
    /// The analyst's budget on this dataset.
    pub budget_total: f64,
    /// What remains of it after this release.
    pub budget_remaining: f64,
}

/// One bin of a release.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct NoisyBin {
    /// The bin's label.
    pub label: String,
    /// Its noisy count.
    pub count: i64,
}

impl From<&Release> for DpRelease {
    fn from(r: &Release) -> Self {
        DpRelease {
            id: r.id,
            dataset: r.dataset.clone(),
            attribute: r.attribute.clone(),
            analyst: r.analyst.clone(),
            analyst_key: hex::encode(r.analyst_key),
            time: r.time,
            epsilon: r.epsilon.as_f64(),
            mechanism: r.mechanism.clone(),
            scale: r.scale,
            bins: r.bins.iter().map(|(label, count)| NoisyBin { label: label.clone(), count: *count }).collect(),
            budget_total: r.budget_total.as_f64(),
            budget_remaining: r.budget_remaining.as_f64(),
        }
    }
}

/// `GET /v1/stats/private/budget`: the signing analyst's budget on each
/// dataset it is granted.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct DpBudget {
    /// The analyst's key, hex.
    pub analyst_key: String,
    /// Its display name.
    pub analyst: String,
    /// Unix seconds after which its grant allows nothing.
    pub not_after: u64,
    /// One entry per dataset granted.
    pub datasets: Vec<DatasetBudget>,
}

/// An analyst's budget on one dataset.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct DatasetBudget {
    /// The dataset (schema).
    pub dataset: String,
    /// The epsilon granted.
    pub total: f64,
    /// The epsilon spent.
    pub spent: f64,
    /// What remains.
    pub remaining: f64,
    /// How many answers it bought.
    pub releases: u64,
}
