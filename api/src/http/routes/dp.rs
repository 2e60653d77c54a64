//! Private statistics' endpoints (`/v1/stats/private/...`): the regulator
//! grants analysts a privacy budget, analysts ask differentially private
//! queries (signed calls, [`crate::auth`]), and anyone reads the releases.
//! The service decides who may do what and audits every query and refusal
//! ([`crate::service::dp`]).

use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;

use zkreg_registry::private::dp::{Epsilon, Query};

use super::private::{record_id, signed, signed_json};
use super::{blocking, Result};
use crate::dto::dp::{AnalystInfo, DpBudget, DpQueryBody, DpRelease, NewAnalystBody};
use crate::dto::TxReceipt;
use crate::error::ApiError;
use crate::service::dp::NewAnalyst;
use crate::service::Node;

/// Most releases one page returns.
pub const MAX_RELEASE_PAGE: usize = 1000;
/// Releases a page returns unless asked for fewer or more.
pub const DEFAULT_RELEASE_PAGE: usize = 100;

/// Grants an analyst a privacy budget (epsilon) on each of some datasets
/// (schemas of this node's records) until a time, replacing its last grant;
/// the grant's hash is anchored on the ledger (`dp-analyst`) before the node
/// honours it. Only this node's regulator may call it.
#[utoipa::path(post, path = "/v1/stats/private/analysts", tag = "private-statistics", request_body = NewAnalystBody,
    security(("zkreg_http_sig" = [])), responses((status = 201, body = AnalystInfo)))]
pub async fn grant_analyst(req: HttpRequest, node: web::Data<Node>, payload: web::Payload) -> Result<HttpResponse> {
    let (body, caller): (NewAnalystBody, _) = signed_json(&req, payload, &node).await?;
    let analyst = record_id(&body.analyst).map_err(|_| ApiError::bad("invalid_analyst_grant", "analyst must be an ed25519 key, 64 hex digits"))?;
    let new = NewAnalyst { analyst, name: body.name, budgets: body.budgets, valid_for_secs: body.valid_for_secs };
    let (grant, receipt) = blocking(move || node.grant_analyst(&caller, new)).await?;
    Ok(HttpResponse::Created().json(AnalystInfo::new(&grant, TxReceipt::from(&receipt))))
}

/// A differentially private histogram (or count) of one attribute of one
/// dataset, one row per subject, with discrete Laplace noise of scale
/// `1/epsilon` on every bin. Only an analyst with a current grant on the
/// dataset may ask, within its budget there: a query that would exceed it
/// is refused (403 `privacy_budget_exhausted`) and spends nothing. The
/// answer is the release, also published at `GET /v1/stats/private/releases`.
#[utoipa::path(post, path = "/v1/stats/private/query", tag = "private-statistics", request_body = DpQueryBody,
    security(("zkreg_http_sig" = [])), responses((status = 200, body = DpRelease)))]
pub async fn query(req: HttpRequest, node: web::Data<Node>, payload: web::Payload) -> Result<HttpResponse> {
    let (body, caller): (DpQueryBody, _) = signed_json(&req, payload, &node).await?;
    let epsilon = Epsilon::query(body.epsilon)?;
    let query = Query::new(body.dataset, body.attribute, body.bins.into(), epsilon)?;
    let release = blocking(move || node.dp_query(&caller, query)).await?;
    Ok(HttpResponse::Ok().json(DpRelease::from(&release)))
}

/// The signing analyst's privacy budget on each dataset it is granted:
/// total, spent, remaining.
#[utoipa::path(get, path = "/v1/stats/private/budget", tag = "private-statistics", security(("zkreg_http_sig" = [])),
    responses((status = 200, body = DpBudget)))]
pub async fn budget(req: HttpRequest, node: web::Data<Node>, payload: web::Payload) -> Result<HttpResponse> {
    let (_, caller) = signed(&req, payload, &node, 0).await?;
    let budget = blocking(move || node.dp_budget(&caller)).await?;
    Ok(HttpResponse::Ok().json(budget))
}

/// A page of releases.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ReleasesQuery {
    /// At most this many (default 100, at most 1000).
    pub limit: Option<usize>,
}

/// The noisy answers this node released, newest first. Public: each is
/// differentially private, and no exact count is ever released. Empty on a
/// node without a private layer.
#[utoipa::path(get, path = "/v1/stats/private/releases", tag = "private-statistics", params(ReleasesQuery),
    responses((status = 200, body = Vec<DpRelease>)))]
pub async fn releases(node: web::Data<Node>, query: web::Query<ReleasesQuery>) -> Result<HttpResponse> {
    let limit = query.limit.unwrap_or(DEFAULT_RELEASE_PAGE).min(MAX_RELEASE_PAGE);
    let releases = blocking(move || node.dp_releases(limit)).await?;
    Ok(HttpResponse::Ok().json(releases))
}
