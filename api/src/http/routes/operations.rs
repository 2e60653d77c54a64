//! Health, readiness, metrics and the OpenAPI document.

use actix_web::{web, HttpResponse};

use super::Result;
use crate::dto::Health;
use crate::error::ApiError;
use crate::service::Node;

/// Liveness: the process serves HTTP.
#[utoipa::path(get, path = "/healthz", tag = "operations", responses((status = 200, body = Health)))]
pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(Health { status: "ok".into(), height: None })
}

/// Readiness: the ledger is open; the tip's height.
#[utoipa::path(get, path = "/readyz", tag = "operations", responses((status = 200, body = Health)))]
pub async fn readyz(node: web::Data<Node>) -> HttpResponse {
    HttpResponse::Ok().json(Health { status: "ready".into(), height: Some(node.height()) })
}

/// Prometheus metrics, text exposition format: requests by route and
/// status, latencies, verifications by outcome, issuances, revocations,
/// block height, mempool size, leaves; in a cluster, the replica's Raft
/// term, leader, last log and applied index, and (on the leader) each
/// member's replication lag.
#[utoipa::path(get, path = "/metrics", tag = "operations", responses((status = 200, description = "Prometheus text format", content_type = "text/plain", body = String)))]
pub async fn metrics(node: web::Data<Node>) -> Result<HttpResponse> {
    if let Ok(status) = node.cluster_status() {
        node.metrics().set_cluster(&status);
    }
    let text = node.metrics().render().map_err(|e| ApiError::caused("rendering the metrics", e))?;
    Ok(HttpResponse::Ok().content_type(crate::metrics::CONTENT_TYPE).body(text))
}

/// This document.
#[utoipa::path(get, path = "/v1/openapi.json", tag = "operations", responses((status = 200, description = "The OpenAPI 3 document of this API", body = Object)))]
pub async fn openapi() -> HttpResponse {
    HttpResponse::Ok().json(crate::http::openapi::document())
}
