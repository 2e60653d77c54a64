//! Reads anyone may make: the chain, the registry, roots, Merkle paths and
//! buckets, credential status, counts.

use actix_web::{web, HttpResponse};
use serde::Deserialize;

use zkreg_circuits::ids::{Commitment, TxId};

use super::{blocking, Result};
use crate::dto::stats::{ActivityQuery, ActivityStats, DailyQuery, DailyStats};
use crate::dto::{Block, BucketAnswer, Credential, Issuer, PathAnswer, Root, Schema, Stats, Status, TxReceipt, Verifier, VerifyingKey};
use crate::error::ApiError;
use crate::service::chain::DEFAULT_BUCKET_LEVELS;
use crate::service::Node;

/// A 32-byte identifier in a path ([`TxId`], [`Commitment`]): 64 hex
/// digits, an optional `0x` prefix.
pub(super) fn id32<T: std::str::FromStr>(s: &str, what: &'static str) -> Result<T> {
    s.parse().map_err(|_| ApiError::bad("bad_hex", format!("{what} must be 32 bytes of hex")))
}

/// A decimal number in a path.
fn number(s: &str, what: &'static str) -> Result<u64> {
    s.parse().map_err(|_| ApiError::bad("bad_number", format!("{what} must be a non-negative integer")))
}

/// The chain id, the tip, and the genesis' root window (the revocation
/// latency) beside how many roots the window holds now.
#[utoipa::path(get, path = "/v1/status", tag = "public", responses((status = 200, body = Status)))]
pub async fn status(node: web::Data<Node>) -> Result<HttpResponse> {
    Ok(HttpResponse::Ok().json(node.status()?))
}

/// A block's header and transaction ids.
#[utoipa::path(get, path = "/v1/blocks/{height}", tag = "public",
    params(("height" = u64, Path, description = "Block height, decimal", minimum = 0)),
    responses((status = 200, body = Block)))]
pub async fn block(node: web::Data<Node>, height: web::Path<String>) -> Result<HttpResponse> {
    let height = number(&height, "height")?;
    let answer = blocking(move || node.block(height)).await?;
    Ok(HttpResponse::Ok().json(answer))
}

/// A transaction's receipt.
#[utoipa::path(get, path = "/v1/transactions/{id}", tag = "public",
    params(("id" = String, Path, description = "Transaction id, 64 hex digits (an optional `0x` prefix is accepted)", pattern = "^(0x)?[0-9a-fA-F]{64}$")),
    responses((status = 200, body = TxReceipt)))]
pub async fn receipt(node: web::Data<Node>, id: web::Path<String>) -> Result<HttpResponse> {
    let id: TxId = id32(&id, "transaction id")?;
    Ok(HttpResponse::Ok().json(node.receipt(&id)?))
}

/// Registered regulators and the schemas each may issue.
#[utoipa::path(get, path = "/v1/issuers", tag = "public", responses((status = 200, body = Vec<Issuer>)))]
pub async fn issuers(node: web::Data<Node>) -> HttpResponse {
    HttpResponse::Ok().json(node.issuers())
}

/// Registered verifiers (banks): each name's key, the only key the node
/// issues proof requests to under that name and the key wallets check a
/// request's signature against. A verifier's scopes are `<name>/<purpose>`.
#[utoipa::path(get, path = "/v1/verifiers", tag = "public", responses((status = 200, body = Vec<Verifier>)))]
pub async fn verifiers(node: web::Data<Node>) -> HttpResponse {
    HttpResponse::Ok().json(node.verifiers())
}

/// Registered credential schemas.
#[utoipa::path(get, path = "/v1/schemas", tag = "public", responses((status = 200, body = Vec<Schema>)))]
pub async fn schemas(node: web::Data<Node>) -> HttpResponse {
    HttpResponse::Ok().json(node.schemas())
}

/// Registered Groth16 verifying keys and their fingerprints.
#[utoipa::path(get, path = "/v1/verifying-keys", tag = "public", responses((status = 200, body = Vec<VerifyingKey>)))]
pub async fn verifying_keys(node: web::Data<Node>) -> HttpResponse {
    HttpResponse::Ok().json(node.verifying_keys())
}

/// The roots a verifier accepts now (the window), oldest first.
#[utoipa::path(get, path = "/v1/roots", tag = "public", responses((status = 200, body = Vec<Root>)))]
pub async fn roots(node: web::Data<Node>) -> HttpResponse {
    HttpResponse::Ok().json(node.roots())
}

/// One leaf's Merkle path against the current root. The node learns which
/// leaf is about to be proven: holders should use `/v1/buckets/{leaf}`.
#[utoipa::path(get, path = "/v1/paths/{leaf}", tag = "public",
    params(("leaf" = u64, Path, description = "Leaf index, decimal", minimum = 0, maximum = 4294967295.0)),
    responses((status = 200, body = PathAnswer)))]
pub async fn path(node: web::Data<Node>, leaf: web::Path<String>) -> Result<HttpResponse> {
    let leaf = number(&leaf, "leaf index")?;
    let answer = blocking(move || node.path(leaf)).await?;
    Ok(HttpResponse::Ok().json(answer))
}

/// The query of `GET /v1/buckets/{leaf}`: no other parameter is accepted.
#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct BucketQuery {
    /// Bucket height in levels, 1 to 8 (default 5: 1,024 leaves).
    #[param(minimum = 1, maximum = 8)]
    levels: Option<usize>,
}

/// A whole bucket subtree (4^levels leaves, 4^5 by default) around a leaf,
/// and the siblings above it: the node learns which bucket, not which leaf.
#[utoipa::path(get, path = "/v1/buckets/{leaf}", tag = "public",
    params(("leaf" = u64, Path, description = "Any leaf index in the bucket, decimal", minimum = 0, maximum = 4294967295.0), BucketQuery),
    responses((status = 200, body = BucketAnswer)))]
pub async fn bucket(node: web::Data<Node>, leaf: web::Path<String>, q: web::Query<BucketQuery>) -> Result<HttpResponse> {
    let leaf = number(&leaf, "leaf index")?;
    let levels = q.levels.unwrap_or(DEFAULT_BUCKET_LEVELS);
    let answer = blocking(move || node.bucket(leaf, levels)).await?;
    Ok(HttpResponse::Ok().json(answer))
}

/// A credential's public record by commitment: issuer, schema, status.
#[utoipa::path(get, path = "/v1/credentials/{commitment}", tag = "public",
    params(("commitment" = String, Path, description = "The commitment, 64 hex digits (an optional `0x` prefix is accepted)", pattern = "^(0x)?[0-9a-fA-F]{64}$")),
    responses((status = 200, body = Credential)))]
pub async fn credential(node: web::Data<Node>, cm: web::Path<String>) -> Result<HttpResponse> {
    let cm: Commitment = id32(&cm, "commitment")?;
    Ok(HttpResponse::Ok().json(node.credential(&cm)?))
}

/// Where a private record's hash is anchored: the block of the transaction
/// that issued its credential (`zkreg record verify` checks a disclosed
/// record against it).
#[utoipa::path(get, path = "/v1/anchors/{record_hash}", tag = "public",
    params(("record_hash" = String, Path, description = "The record hash, 64 hex digits", pattern = "^(0x)?[0-9a-fA-F]{64}$")),
    responses((status = 200, body = crate::dto::private::RecordAnchor)))]
pub async fn anchor(node: web::Data<Node>, hash: web::Path<String>) -> Result<HttpResponse> {
    let hash: TxId = id32(&hash, "record_hash")?;
    let height = node.record_anchor(&hash.0)?;
    Ok(HttpResponse::Ok().json(crate::dto::private::RecordAnchor { record_hash: hex::encode(hash.0), height }))
}

/// The audit transactions a key signed, in ledger order: a regulator
/// node's audit-log heads (`audit-head`) and grants (`audit-grant`).
#[utoipa::path(get, path = "/v1/audit-events/{key}", tag = "public",
    params(("key" = String, Path, description = "The signer's ed25519 key, 64 hex digits", pattern = "^(0x)?[0-9a-fA-F]{64}$")),
    responses((status = 200, body = Vec<crate::dto::private::AuditAnchor>)))]
pub async fn audit_events(node: web::Data<Node>, key: web::Path<String>) -> Result<HttpResponse> {
    let key: TxId = id32(&key, "key")?;
    let events = blocking(move || node.audit_transactions(&key.0)).await?;
    Ok(HttpResponse::Ok().json(events))
}

/// Credentials issued, revoked and active, per issuer and schema, per
/// schema and per issuer, at the tip.
#[utoipa::path(get, path = "/v1/stats", tag = "public", responses((status = 200, body = Stats)))]
pub async fn stats(node: web::Data<Node>) -> HttpResponse {
    HttpResponse::Ok().json(node.stats())
}

/// Issuance per day (UTC, by block time), zeros included: every
/// credential, or one issuer's, or one schema's. At most 366 days; by
/// default the 30 days up to the tip block's day.
#[utoipa::path(get, path = "/v1/stats/daily", tag = "public", params(DailyQuery), responses((status = 200, body = DailyStats)))]
pub async fn daily_stats(node: web::Data<Node>, q: web::Query<DailyQuery>) -> Result<HttpResponse> {
    let series = blocking(move || node.daily_stats(&q)).await?;
    Ok(HttpResponse::Ok().json(series))
}

/// Proof requests and verifications (by outcome: `verified` or the
/// refusal's code) that this node answered, per day (UTC), zeros
/// included. Each node counts the calls it served. At most 366 days; by
/// default the last 30.
#[utoipa::path(get, path = "/v1/stats/activity", tag = "public", params(ActivityQuery), responses((status = 200, body = ActivityStats)))]
pub async fn activity_stats(node: web::Data<Node>, q: web::Query<ActivityQuery>) -> Result<HttpResponse> {
    let series = blocking(move || node.activity_stats(&q)).await?;
    Ok(HttpResponse::Ok().json(series))
}
