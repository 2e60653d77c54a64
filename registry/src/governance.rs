//! Governance proposals: a change to who may do what (a regulator, a
//! verifier, a schema, a verifying key) proposed by one root authority and
//! approved by others, each in a transaction of its own.
//!
//! A [`TxBody::Propose`] opens a proposal; its id is the proposing
//! transaction's id, and its signer's signature is the first approval. Each
//! [`TxBody::Approve`] adds its signer's approval. In the block of the
//! transaction that brings the distinct approvals to the genesis'
//! `approval_threshold`, the change is applied with exactly the checks and
//! effects of the direct governance transaction (one function does both,
//! `state::Work::apply_change`). A proposal that has not reached the
//! threshold by the block `proposed_at + proposal_ttl_blocks` (genesis) can
//! never be completed: later approvals are refused (`proposal_expired`).
//!
//! Only root authorities may propose or approve, and every signer of such a
//! transaction (co-signatures included) must be one; each counts once.
//!
//! **A change that is invalid when the threshold is reached** (its name
//! taken in the meantime, a regulator already retired, …): the transaction
//! that would complete it is refused with the change's own code
//! (`already_registered`, `unknown_regulator`, …) and, like every refused
//! transaction, changes nothing: its approval is not recorded, and the
//! proposal stays pending with the approvals it had. Once the conflict is
//! gone (before the proposal expires) the same or another authority may
//! approve again and complete it; otherwise it expires. A proposal is
//! therefore always in one of three states: pending, applied (at one
//! height, never undone by the proposal) or expired.
//!
//! The direct path (`TxBody::RegisterRegulator` etc. with the threshold's
//! signatures in [`crate::tx::SignedTransaction::approvals`]) stays: both
//! paths change the registry the same way.
//!
//! Proposals are replicated chain state: they live in the [`crate::state::Registry`]
//! and each one written by a block is stored under its own key of the chain's
//! keyspace (`P` id, [`crate::store`]), so snapshots carry them and
//! `verify-chain` replays them. Expiry needs no write: a proposal's status
//! follows from its record and the height.

use serde::{Deserialize, Serialize};

use crate::tx::{Hash, TxBody};

/// Blocks a proposal stays open for approvals after the block that
/// proposed it, when the genesis names no `proposal_ttl_blocks`.
pub const DEFAULT_PROPOSAL_TTL_BLOCKS: u64 = 1_000;

/// A change governance may make: the same six changes as the direct
/// governance transactions, with the same fields.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum GovernanceChange {
    /// Register a regulator and the schemas it may issue ([`TxBody::RegisterRegulator`]).
    RegisterRegulator {
        /// The regulator's name.
        name: String,
        /// Its ed25519 key.
        key: [u8; 32],
        /// Schemas it may issue.
        schemas: Vec<String>,
    },
    /// Retire a regulator ([`TxBody::RetireRegulator`]).
    RetireRegulator {
        /// The regulator's name.
        name: String,
    },
    /// Register a credential schema ([`TxBody::RegisterSchema`]).
    RegisterSchema {
        /// The schema's name.
        name: String,
        /// What the value means.
        description: String,
    },
    /// Register a circuit's Groth16 verifying key ([`TxBody::RegisterVerifyingKey`]).
    RegisterVerifyingKey {
        /// Circuit identifier.
        circuit_id: String,
        /// SHA-256 of the key's canonical compressed bytes.
        fingerprint: [u8; 32],
        /// The key, canonical compressed arkworks encoding.
        key: Vec<u8>,
    },
    /// Register a verifier (a bank) ([`TxBody::RegisterVerifier`]).
    RegisterVerifier {
        /// The verifier's name (no `/`).
        name: String,
        /// Its ed25519 key.
        key: [u8; 32],
    },
    /// Retire a verifier ([`TxBody::RetireVerifier`]).
    RetireVerifier {
        /// The verifier's name.
        name: String,
    },
}

impl GovernanceChange {
    /// A stable snake_case name of the kind of change (`register_verifier`, …).
    pub fn kind(&self) -> &'static str {
        match self {
            GovernanceChange::RegisterRegulator { .. } => "register_regulator",
            GovernanceChange::RetireRegulator { .. } => "retire_regulator",
            GovernanceChange::RegisterSchema { .. } => "register_schema",
            GovernanceChange::RegisterVerifyingKey { .. } => "register_verifying_key",
            GovernanceChange::RegisterVerifier { .. } => "register_verifier",
            GovernanceChange::RetireVerifier { .. } => "retire_verifier",
        }
    }

    /// What the change is about: the regulator's, schema's or verifier's
    /// name, or the circuit id.
    pub fn subject(&self) -> &str {
        match self {
            GovernanceChange::RegisterRegulator { name, .. }
            | GovernanceChange::RetireRegulator { name }
            | GovernanceChange::RegisterSchema { name, .. }
            | GovernanceChange::RegisterVerifier { name, .. }
            | GovernanceChange::RetireVerifier { name } => name,
            GovernanceChange::RegisterVerifyingKey { circuit_id, .. } => circuit_id,
        }
    }
}

impl From<GovernanceChange> for TxBody {
    /// The direct governance transaction making the same change.
    fn from(change: GovernanceChange) -> Self {
        match change {
            GovernanceChange::RegisterRegulator { name, key, schemas } => TxBody::RegisterRegulator { name, key, schemas },
            GovernanceChange::RetireRegulator { name } => TxBody::RetireRegulator { name },
            GovernanceChange::RegisterSchema { name, description } => TxBody::RegisterSchema { name, description },
            GovernanceChange::RegisterVerifyingKey { circuit_id, fingerprint, key } => {
                TxBody::RegisterVerifyingKey { circuit_id, fingerprint, key }
            }
            GovernanceChange::RegisterVerifier { name, key } => TxBody::RegisterVerifier { name, key },
            GovernanceChange::RetireVerifier { name } => TxBody::RetireVerifier { name },
        }
    }
}

impl TxBody {
    /// The change a direct governance transaction makes (`None` for any
    /// other transaction, proposals and approvals included).
    pub fn governance_change(&self) -> Option<GovernanceChange> {
        Some(match self {
            TxBody::RegisterRegulator { name, key, schemas } => {
                GovernanceChange::RegisterRegulator { name: name.clone(), key: *key, schemas: schemas.clone() }
            }
            TxBody::RetireRegulator { name } => GovernanceChange::RetireRegulator { name: name.clone() },
            TxBody::RegisterSchema { name, description } => {
                GovernanceChange::RegisterSchema { name: name.clone(), description: description.clone() }
            }
            TxBody::RegisterVerifyingKey { circuit_id, fingerprint, key } => {
                GovernanceChange::RegisterVerifyingKey { circuit_id: circuit_id.clone(), fingerprint: *fingerprint, key: key.clone() }
            }
            TxBody::RegisterVerifier { name, key } => GovernanceChange::RegisterVerifier { name: name.clone(), key: *key },
            TxBody::RetireVerifier { name } => GovernanceChange::RetireVerifier { name: name.clone() },
            _ => return None,
        })
    }
}

/// A proposal as the ledger keeps it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProposalRecord {
    /// Its id: the id of the transaction that proposed it.
    pub id: Hash,
    /// The change it makes once approved.
    pub change: GovernanceChange,
    /// The root authority that proposed it.
    pub proposer: [u8; 32],
    /// Height of the block that proposed it.
    pub proposed_at: u64,
    /// The last height whose block may still complete it
    /// (`proposed_at + proposal_ttl_blocks`).
    pub expires_at: u64,
    /// The distinct root authorities that approved it, in order (the
    /// proposer first).
    pub approvals: Vec<[u8; 32]>,
    /// Height of the block that applied the change, once applied.
    pub applied_at: Option<u64>,
}

/// Where a proposal stands after some block.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProposalStatus {
    /// Open: the next block may still approve it.
    Pending,
    /// The change was applied in the block at this height.
    Applied(u64),
    /// Not applied, and no later block may complete it.
    Expired,
}

impl ProposalStatus {
    /// `pending`, `applied` or `expired`.
    pub fn name(&self) -> &'static str {
        match self {
            ProposalStatus::Pending => "pending",
            ProposalStatus::Applied(_) => "applied",
            ProposalStatus::Expired => "expired",
        }
    }
}

impl ProposalRecord {
    /// Its status once the block at `height` is applied (the tip's height,
    /// for a read).
    pub fn status(&self, height: u64) -> ProposalStatus {
        match self.applied_at {
            Some(at) => ProposalStatus::Applied(at),
            None if height >= self.expires_at => ProposalStatus::Expired,
            None => ProposalStatus::Pending,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn every_change() -> Vec<GovernanceChange> {
        vec![
            GovernanceChange::RegisterRegulator { name: "r".into(), key: [1; 32], schemas: vec!["s".into()] },
            GovernanceChange::RetireRegulator { name: "r".into() },
            GovernanceChange::RegisterSchema { name: "s".into(), description: "d".into() },
            GovernanceChange::RegisterVerifyingKey { circuit_id: "c".into(), fingerprint: [2; 32], key: vec![3] },
            GovernanceChange::RegisterVerifier { name: "v".into(), key: [4; 32] },
            GovernanceChange::RetireVerifier { name: "v".into() },
        ]
    }

    #[test]
    fn every_change_is_a_direct_governance_transaction_and_back() {
        for change in every_change() {
            let body = TxBody::from(change.clone());
            assert!(body.is_governance(), "{change:?}");
            assert_eq!(body.governance_change(), Some(change.clone()));
            assert!(!change.kind().is_empty() && !change.subject().is_empty());
        }
        assert_eq!(TxBody::Revoke { commitment: [0; 32] }.governance_change(), None);
        assert_eq!(TxBody::Approve { proposal: [0; 32] }.governance_change(), None);
    }

    #[test]
    fn a_proposal_is_pending_until_its_last_height_then_expired_unless_applied() {
        let mut p = ProposalRecord {
            id: [0; 32],
            change: every_change().remove(1),
            proposer: [1; 32],
            proposed_at: 10,
            expires_at: 15,
            approvals: vec![[1; 32]],
            applied_at: None,
        };
        assert_eq!(p.status(10), ProposalStatus::Pending);
        assert_eq!(p.status(14), ProposalStatus::Pending, "block 15 may still approve it");
        assert_eq!(p.status(15), ProposalStatus::Expired);
        p.applied_at = Some(12);
        assert_eq!(p.status(100), ProposalStatus::Applied(12));
    }
}
