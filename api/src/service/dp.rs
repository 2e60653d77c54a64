//! Private statistics on a regulator's node: differentially private
//! histograms and counts of its records, asked by the analysts it grants a
//! privacy budget ([`zkreg_registry::private::dp`] says how the answers are
//! made private).
//!
//! | caller | may |
//! | --- | --- |
//! | this node's regulator | grant an analyst a budget per dataset, until a time (anchored on the ledger) |
//! | an analyst with a current grant | ask a query of a dataset it is granted, within its budget; read its budget |
//! | anyone else (an unknown key, a bank, a holder, an analyst whose grant ended or names other datasets) | nothing: 403 `forbidden`, audited |
//! | anyone, unsigned | read the releases: they are differentially private |
//!
//! A query that would take the analyst past its budget is refused with 403
//! `privacy_budget_exhausted` (audited) and spends nothing. Every answered
//! query is an audit event (dataset, attribute, bins, epsilon, the budget
//! left), on disk before the answer leaves; so are the spending and the
//! release. The exact counts are an input of the mechanism only: no
//! answer, error, log line or audit event carries one.

use std::collections::BTreeMap;

use zkreg_registry::local::LocalTree;
use zkreg_registry::private::analyst::{AnalystBook, AnalystGrant, Standing};
use zkreg_registry::private::dp::ledger::{BudgetLedger, Release};
use zkreg_registry::private::dp::{Dataset, DpError, Epsilon, Mechanism, Query, MECHANISM};
use zkreg_registry::private::{AuditAction, PrivateError};
use zkreg_registry::state::Receipt;
use zkreg_registry::LocalStore;

use super::private::PrivateLayer;
use super::{now_secs, Node};
use crate::dto::dp::{DatasetBudget, DpBudget, DpRelease};
use crate::error::ApiError;

/// The audit kind of the transaction anchoring an analyst's grant.
pub const DP_ANALYST_KIND: &str = "dp-analyst";
/// Longest an analyst's grant may last.
pub const MAX_ANALYST_GRANT_SECS: u64 = 366 * 24 * 3600;

/// The private statistics' state in a node's private layer: the analysts'
/// grants and the budget ledger, in the node-local store.
pub struct DpState {
    analysts: AnalystBook,
    ledger: BudgetLedger,
}

impl DpState {
    /// Opens the analysts' grants and the ledger in `local`.
    pub fn open(local: &LocalStore) -> Result<Self, ApiError> {
        Ok(DpState {
            analysts: AnalystBook::new(local.tree(LocalTree::DpAnalysts)?),
            ledger: BudgetLedger::new(local.tree(LocalTree::DpBudget)?, local.tree(LocalTree::DpReleases)?),
        })
    }
}

/// An analyst's grant as the regulator asks for it.
pub struct NewAnalyst {
    /// The analyst's key.
    pub analyst: [u8; 32],
    /// Its display name.
    pub name: String,
    /// Its budget per dataset.
    pub budgets: BTreeMap<String, f64>,
    /// How long it lasts, in seconds.
    pub valid_for_secs: u64,
}

impl From<DpError> for ApiError {
    fn from(e: DpError) -> Self {
        match e {
            DpError::BadEpsilon(_) | DpError::InvalidQuery(_) | DpError::InvalidGrant(_) => ApiError::bad(e.code(), e),
            DpError::Exhausted { .. } => ApiError::Refused { code: e.code(), message: e.to_string() },
            DpError::Mechanism(_) | DpError::Storage(_) => ApiError::caused("private statistics", e),
        }
    }
}

/// A query as the audit log records it: everything but a count.
fn describe(q: &Query) -> String {
    let bins = serde_json::to_string(&q.bins).unwrap_or_default();
    format!("dataset {:?} attribute {:?} bins {bins} epsilon {}", q.dataset, q.attribute.as_deref().unwrap_or(""), q.epsilon)
}

impl Node {
    /// Grants an analyst a privacy budget on some datasets until a time,
    /// replacing its last grant: the grant's hash is anchored on the ledger
    /// first, then the node honours it. Only this node's regulator may.
    pub fn grant_analyst(&self, caller: &[u8; 32], new: NewAnalyst) -> Result<(AnalystGrant, Receipt), ApiError> {
        let p = self.private()?;
        self.regulator_only(p, caller, None, "grant an analyst")?;
        let invalid = |m: String| ApiError::bad("invalid_analyst_grant", m);
        if new.valid_for_secs == 0 || new.valid_for_secs > MAX_ANALYST_GRANT_SECS {
            return Err(invalid(format!("a grant lasts 1 to {MAX_ANALYST_GRANT_SECS} seconds")));
        }
        zkreg_registry::tx::strict_key(&new.analyst).map_err(|_| invalid("the analyst key is not a valid ed25519 key".into()))?;
        let budgets = new
            .budgets
            .into_iter()
            .map(|(dataset, value)| Epsilon::budget(value).map(|e| (dataset, e)).map_err(|e| invalid(e.to_string())))
            .collect::<Result<BTreeMap<_, _>, _>>()?;
        let now = now_secs();
        let grant = AnalystGrant {
            analyst: new.analyst,
            name: new.name,
            issuer: p.issuer().to_owned(),
            budgets,
            granted_at: now,
            not_after: now + new.valid_for_secs,
        };
        grant.validate()?;
        let receipt = self.submit_own(DP_ANALYST_KIND, grant.id())?;
        p.dp.analysts.put(&grant)?;
        let budgets: Vec<String> = grant.budgets.iter().map(|(d, e)| format!("{d:?} {e}")).collect();
        let detail = format!(
            "analyst grant {} to {} ({:?}): budgets {} until {}",
            hex::encode(grant.id()),
            hex::encode(grant.analyst),
            grant.name,
            budgets.join(", "),
            grant.not_after
        );
        p.log(AuditAction::AnalystGrant, caller, "regulator", None, &detail)?;
        Ok((grant, receipt))
    }

    /// Answers `query` for the analyst `caller` with a differentially
    /// private histogram, if its grant covers the dataset and the query fits
    /// in what remains of its budget there. The spending, the release and
    /// the audit event are on disk before the answer is returned.
    pub fn dp_query(&self, caller: &[u8; 32], query: Query) -> Result<Release, ApiError> {
        let p = self.private()?;
        let what = format!("stats query on dataset {:?}", query.dataset);
        let grant = self.analyst_grant(p, caller, &what)?;
        let budget = match grant.standing(&query.dataset, now_secs()) {
            Standing::Allowed(budget) => budget,
            Standing::Expired => return Err(refuse(p, caller, "analyst", format!("{what}: the analyst's grant ended at {}", grant.not_after))),
            Standing::OtherDataset => return Err(refuse(p, caller, "analyst", format!("{what}: the analyst is not granted this dataset"))),
        };
        let spending = match p.dp.ledger.begin(caller, &query.dataset, budget, query.epsilon) {
            Err(e @ DpError::Exhausted { .. }) => {
                p.log(AuditAction::Refuse, caller, "analyst", None, &format!("stats query refused ({}): {}; {e}", e.code(), describe(&query)))?;
                return Err(e.into());
            }
            other => other?,
        };
        let mechanism = Mechanism::calibrate(&query)?;
        let bins = mechanism.release(&query, &self.dataset(p, &query.dataset)?)?;
        let release = Release {
            id: spending.id(),
            dataset: query.dataset.clone(),
            attribute: query.attribute.clone().unwrap_or_default(),
            analyst: grant.name.clone(),
            analyst_key: *caller,
            time: now_secs(),
            epsilon: query.epsilon,
            mechanism: MECHANISM.into(),
            scale: mechanism.scale(),
            bins,
            budget_total: budget,
            budget_remaining: spending.remaining(),
        };
        // Audited before it is committed: a failed commit leaves an event
        // for an answer never given, never an answer without its event.
        let detail =
            format!("release {}: {} scale {} remaining {} of {budget}", release.id, describe(&query), release.scale, release.budget_remaining);
        p.log(AuditAction::StatsQuery, caller, "analyst", None, &detail)?;
        spending.commit(&release)?;
        Ok(release)
    }

    /// The analyst `caller`'s budget on each dataset it is granted.
    pub fn dp_budget(&self, caller: &[u8; 32]) -> Result<DpBudget, ApiError> {
        let p = self.private()?;
        let grant = self.analyst_grant(p, caller, "read a privacy budget")?;
        let spent: BTreeMap<String, _> = p.dp.ledger.spent_by(caller)?.into_iter().collect();
        let datasets = grant
            .budgets
            .iter()
            .map(|(dataset, total)| {
                let s = spent.get(dataset).copied().unwrap_or_default();
                DatasetBudget {
                    dataset: dataset.clone(),
                    total: total.as_f64(),
                    spent: s.epsilon.as_f64(),
                    remaining: total.saturating_sub(s.epsilon).as_f64(),
                    releases: s.releases,
                }
            })
            .collect();
        Ok(DpBudget { analyst_key: hex::encode(caller), analyst: grant.name, not_after: grant.not_after, datasets })
    }

    /// Up to `limit` releases, newest first: public, as every answer is
    /// differentially private. None on a node without a private layer.
    pub fn dp_releases(&self, limit: usize) -> Result<Vec<DpRelease>, ApiError> {
        let Some(p) = &self.private else { return Ok(Vec::new()) };
        Ok(p.dp.ledger.releases(limit)?.iter().map(DpRelease::from).collect())
    }

    /// The current grant of the analyst `caller`, or a refusal (audited).
    fn analyst_grant(&self, p: &PrivateLayer, caller: &[u8; 32], what: &str) -> Result<AnalystGrant, ApiError> {
        match p.dp.analysts.get(caller)? {
            None => Err(refuse(p, caller, "other", format!("{what}: this key is not an analyst of this node's regulator"))),
            Some(g) if !g.current(now_secs()) => Err(refuse(p, caller, "analyst", format!("{what}: the analyst's grant ended at {}", g.not_after))),
            Some(g) => Ok(g),
        }
    }

    /// One row per subject of `schema`: its newest record not purged.
    fn dataset(&self, p: &PrivateLayer, schema: &str) -> Result<Dataset, ApiError> {
        let mut dataset = Dataset::default();
        for meta in p.records.metas() {
            if meta.schema != schema || meta.issuer != p.issuer() || meta.purged_at.is_some() {
                continue;
            }
            match p.records.open_record(&meta.id) {
                Ok((meta, record)) => dataset.add(&meta, record),
                // Purged since the listing: no longer in the dataset.
                Err(PrivateError::Purged(_)) => {}
                Err(e) => return Err(e.into()),
            }
        }
        Ok(dataset)
    }
}

/// Audits a refusal, then returns it as 403 `forbidden`.
fn refuse(p: &PrivateLayer, caller: &[u8; 32], role: &str, reason: String) -> ApiError {
    if let Err(e) = p.log(AuditAction::Refuse, caller, role, None, &reason) {
        return e;
    }
    ApiError::Forbidden(reason)
}
