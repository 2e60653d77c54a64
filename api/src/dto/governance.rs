//! The wire types of governance proposals (`GET /v1/governance/proposals`,
//! `GET /v1/governance/proposals/{id}`).

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use zkreg_registry::governance::{GovernanceChange, ProposalRecord, ProposalStatus};

/// Where a governance proposal stands after the tip.
#[derive(Clone, Copy, Debug, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum ProposalState {
    /// Open: the next block may still approve it.
    Pending,
    /// Its change was applied (`applied_at`).
    Applied,
    /// Not applied, and no later block may complete it (past `expires_at`).
    Expired,
}

/// The change a governance proposal makes; the fields a kind does not have are null.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct ProposedChange {
    /// `register_regulator`, `retire_regulator`, `register_schema`,
    /// `register_verifying_key`, `register_verifier` or `retire_verifier`.
    pub kind: String,
    /// The regulator's, schema's or verifier's name, or the circuit id of a verifying key.
    pub subject: String,
    /// The ed25519 key (64 hex digits) of a regulator or verifier to register.
    pub key: Option<String>,
    /// The schemas a regulator to register may issue.
    pub schemas: Option<Vec<String>>,
    /// What a schema to register means.
    pub description: Option<String>,
    /// The fingerprint (SHA-256 of the canonical compressed key, hex) of a verifying key to register.
    pub fingerprint: Option<String>,
}

impl From<&GovernanceChange> for ProposedChange {
    fn from(c: &GovernanceChange) -> Self {
        let mut out = ProposedChange {
            kind: c.kind().to_owned(),
            subject: c.subject().to_owned(),
            key: None,
            schemas: None,
            description: None,
            fingerprint: None,
        };
        match c {
            GovernanceChange::RegisterRegulator { key, schemas, .. } => {
                out.key = Some(hex::encode(key));
                out.schemas = Some(schemas.clone());
            }
            GovernanceChange::RegisterVerifier { key, .. } => out.key = Some(hex::encode(key)),
            GovernanceChange::RegisterSchema { description, .. } => out.description = Some(description.clone()),
            GovernanceChange::RegisterVerifyingKey { fingerprint, .. } => out.fingerprint = Some(hex::encode(fingerprint)),
            GovernanceChange::RetireRegulator { .. } | GovernanceChange::RetireVerifier { .. } => {}
        }
        out
    }
}

/// A governance proposal (`GET /v1/governance/proposals`): a change one
/// root authority proposed, applied in the block of the approval that
/// reaches the genesis threshold, or expired unapplied.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Proposal {
    /// Its id: the id of the transaction that proposed it (64 hex digits),
    /// named by `Approve` transactions.
    pub id: String,
    /// The change.
    pub change: ProposedChange,
    /// The proposing root authority's key, hex.
    pub proposer: String,
    /// Height of the block that proposed it.
    pub proposed_at: u64,
    /// The last height whose block may still complete it (the genesis'
    /// `proposal_ttl_blocks` after `proposed_at`).
    pub expires_at: u64,
    /// The distinct root authorities that approved it (keys, hex), the proposer first.
    pub approvals: Vec<String>,
    /// How many distinct approvals the change needs (the genesis' `approval_threshold`).
    #[schema(minimum = 1)]
    pub approvals_needed: usize,
    /// Where it stands after the tip.
    pub status: ProposalState,
    /// Height of the block that applied the change, once applied.
    pub applied_at: Option<u64>,
}

impl Proposal {
    /// The answer for `record` after the block at `height`, when the genesis needs `needed` approvals.
    pub fn new(record: &ProposalRecord, height: u64, needed: usize) -> Self {
        let status = match record.status(height) {
            ProposalStatus::Pending => ProposalState::Pending,
            ProposalStatus::Applied(_) => ProposalState::Applied,
            ProposalStatus::Expired => ProposalState::Expired,
        };
        Proposal {
            id: hex::encode(record.id),
            change: ProposedChange::from(&record.change),
            proposer: hex::encode(record.proposer),
            proposed_at: record.proposed_at,
            expires_at: record.expires_at,
            approvals: record.approvals.iter().map(hex::encode).collect(),
            approvals_needed: needed,
            status,
            applied_at: record.applied_at,
        }
    }
}

impl ProposalState {
    /// `pending`, `applied` or `expired`, as on the wire.
    pub fn as_str(&self) -> &'static str {
        match self {
            ProposalState::Pending => "pending",
            ProposalState::Applied => "applied",
            ProposalState::Expired => "expired",
        }
    }
}

impl std::str::FromStr for ProposalState {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        [ProposalState::Pending, ProposalState::Applied, ProposalState::Expired]
            .into_iter()
            .find(|state| state.as_str() == s)
            .ok_or_else(|| format!("a proposal's status is `pending`, `applied` or `expired`, not `{s}`"))
    }
}
