//! Governance proposals, read by anyone: each change a root authority
//! proposed, its approvals and its status. Proposals and approvals
//! themselves are signed transactions (`POST /v1/transactions`).

use actix_web::{web, HttpResponse};
use serde::Deserialize;

use zkreg_circuits::ids::TxId;

use super::public::id32;
use super::Result;
use crate::dto::ProposalState;
use crate::service::Node;

/// The query of `GET /v1/governance/proposals`: no other parameter is accepted.
#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ProposalQuery {
    /// Only the proposals with this status.
    status: Option<ProposalState>,
}

/// Governance proposals, oldest first: each change a root authority
/// proposed (a regulator, verifier, schema or verifying key), the root
/// authorities that approved it, and its status after the tip: `pending`
/// (the next block may still approve it), `applied` (in the block of the
/// approval that reached the genesis threshold) or `expired` (not applied
/// within the genesis' `proposal_ttl_blocks`; it can no longer be completed).
#[utoipa::path(get, path = "/v1/governance/proposals", tag = "public", params(ProposalQuery),
    responses((status = 200, body = Vec<crate::dto::Proposal>)))]
pub async fn proposals(node: web::Data<Node>, q: web::Query<ProposalQuery>) -> Result<HttpResponse> {
    Ok(HttpResponse::Ok().json(node.proposals(q.status)?))
}

/// One governance proposal by id.
#[utoipa::path(get, path = "/v1/governance/proposals/{id}", tag = "public",
    params(("id" = String, Path, description = "The proposal's id (the id of the transaction that proposed it), 64 hex digits (an optional `0x` prefix is accepted)", pattern = "^(0x)?[0-9a-fA-F]{64}$")),
    responses((status = 200, body = crate::dto::Proposal)))]
pub async fn proposal(node: web::Data<Node>, id: web::Path<String>) -> Result<HttpResponse> {
    let id: TxId = id32(&id, "proposal id")?;
    Ok(HttpResponse::Ok().json(node.proposal(&id)?))
}
