//! Governance proposals: reading them. Proposing and approving are signed
//! transactions (`TxBody::Propose`, `TxBody::Approve`) sent with
//! [`Client::submit_approved`].

use zkreg_circuits::ids::TxId;

use super::{Client, ClientResult};
use crate::dto::{Proposal, ProposalState};

impl Client {
    /// `GET /v1/governance/proposals[?status=…]`: the proposals (with
    /// `status` only, if given), oldest first.
    pub fn proposals(&self, status: Option<ProposalState>) -> ClientResult<Vec<Proposal>> {
        match status {
            None => self.get_as("/v1/governance/proposals"),
            Some(s) => self.get_as(&format!("/v1/governance/proposals?status={}", s.as_str())),
        }
    }

    /// `GET /v1/governance/proposals/{id}`: one proposal by id (the id of
    /// the transaction that proposed it).
    pub fn proposal(&self, id: &TxId) -> ClientResult<Proposal> {
        self.get_as(&format!("/v1/governance/proposals/{id}"))
    }
}
