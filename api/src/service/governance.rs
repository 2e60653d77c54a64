//! Reading governance proposals: every proposal the ledger holds, with its
//! status after the tip (pending, applied, expired). Proposals and
//! approvals are submitted as ordinary signed transactions
//! ([`super::transactions`]); the ledger decides
//! (`zkreg_registry::governance`).

use zkreg_circuits::ids::TxId;

use super::Node;
use crate::dto::{Proposal, ProposalState};
use crate::error::ApiError;

impl Node {
    /// The proposals whose status is `status` (all if `None`), oldest first.
    pub fn proposals(&self, status: Option<ProposalState>) -> Result<Vec<Proposal>, ApiError> {
        let needed = self.approval_threshold()?;
        let view = self.view();
        let mut list: Vec<Proposal> = view
            .registry
            .proposals
            .values()
            .map(|p| Proposal::new(p, view.tip.height, needed))
            .filter(|p| status.is_none_or(|s| p.status == s))
            .collect();
        list.sort_by(|a, b| (a.proposed_at, &a.id).cmp(&(b.proposed_at, &b.id)));
        Ok(list)
    }

    /// The proposal with id `id` (the id of the transaction that proposed it).
    pub fn proposal(&self, id: &TxId) -> Result<Proposal, ApiError> {
        let needed = self.approval_threshold()?;
        let view = self.view();
        let record = view.registry.proposals.get(&id.0).ok_or_else(|| ApiError::NotFound("proposal".into()))?;
        Ok(Proposal::new(record, view.tip.height, needed))
    }

    /// How many distinct root authorities a change needs (genesis).
    fn approval_threshold(&self) -> Result<usize, ApiError> {
        // The genesis is fixed when the data directory is made; a node always has one.
        let genesis = self.store.genesis()?.ok_or_else(|| ApiError::internal("the ledger has no genesis"))?;
        Ok(genesis.approval_threshold)
    }
}
