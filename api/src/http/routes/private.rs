//! The private layer's endpoints (`/v1/private/...`): signed calls by any
//! key ([`crate::auth`]); the service decides, per record, whether the key
//! is the issuing regulator's, the holder's or a granted auditor's
//! ([`crate::service::private`]), and audits every access and refusal.

use actix_web::{web, HttpMessage, HttpRequest, HttpResponse};
use serde::de::DeserializeOwned;
use serde::Deserialize;

use zkreg_registry::private::{GrantScope, RecordId};
use zkreg_registry::SignedTransaction;

use super::{blocking, Result};
use crate::dto::private::{
    AuditPage, GrantInfo, HoldRecord, NewGrantBody, OpenedRecord, PutRecord, RecordInfo, Rotation, StoredRecord,
};
use crate::dto::TxReceipt;
use crate::error::ApiError;
use crate::http::auth::RequestHeaders;
use crate::service::admission::SignedCall;
use crate::service::private::{NewGrant, PutRecord as Put};
use crate::service::Node;

/// Most audit events one page returns.
pub const MAX_AUDIT_PAGE: usize = 1000;
/// Most records' metadata one listing returns.
pub const MAX_RECORD_PAGE: usize = 1000;

/// The body a call without parameters may carry (an empty JSON object); it is signed, not read.
const SMALL_BODY: usize = 64;

/// A signed call: reads a body of at most `limit` bytes, authenticates its
/// signer over the exact bytes (any key), and returns the body and the key.
pub(super) async fn signed(req: &HttpRequest, payload: web::Payload, node: &web::Data<Node>, limit: usize) -> Result<(web::Bytes, [u8; 32])> {
    let body = payload.to_bytes_limited(limit).await.map_err(|_| ApiError::TooLarge)?.map_err(|e| ApiError::bad("bad_body", e))?;
    let target = req.uri().path_and_query().map_or_else(|| req.uri().path(), |p| p.as_str());
    let call = SignedCall { method: req.method().as_str(), target, body: &body, headers: &RequestHeaders(req.headers()) };
    let key = node.authenticate_key(call)?;
    Ok((body, key))
}

/// A signed call with a JSON body.
pub(super) async fn signed_json<T: DeserializeOwned>(req: &HttpRequest, payload: web::Payload, node: &web::Data<Node>) -> Result<(T, [u8; 32])> {
    let (body, key) = signed(req, payload, node, node.config().max_body_bytes).await?;
    let is_json = req.mime_type().ok().flatten().is_some_and(|m| m.subtype().as_str() == "json");
    if !is_json {
        return Err(ApiError::bad("bad_content_type", "expected Content-Type: application/json"));
    }
    Ok((serde_json::from_slice(&body).map_err(|e| ApiError::bad("bad_json", e))?, key))
}

/// A record id in a path or body: 64 hex digits.
pub(super) fn record_id(s: &str) -> Result<RecordId> {
    hex::decode(s.trim_start_matches("0x"))
        .ok()
        .and_then(|b| b.try_into().ok())
        .ok_or_else(|| ApiError::bad("bad_hex", "a record id is 32 bytes of hex"))
}

/// Stores a record sealed in this regulator's node and submits the
/// regulator's `IssueWithRecord` transaction anchoring its hash; answers
/// once the block is on disk. Only this node's regulator may call it.
#[utoipa::path(post, path = "/v1/private/records", tag = "private", request_body = PutRecord, security(("zkreg_http_sig" = [])),
    responses((status = 201, body = StoredRecord)))]
pub async fn put_record(req: HttpRequest, node: web::Data<Node>, payload: web::Payload) -> Result<HttpResponse> {
    let (body, caller): (PutRecord, _) = signed_json(&req, payload, &node).await?;
    let bytes = hex::decode(body.tx.trim()).map_err(|_| ApiError::bad("bad_hex", "tx must be hex"))?;
    let transaction = SignedTransaction::from_bytes(&bytes)?;
    let (meta, receipt) = blocking(move || node.put_record(&caller, Put { record: body.record.into(), transaction })).await?;
    if let Some((code, message)) = &receipt.error {
        // The ledger refused the transaction in its block; the record was not kept.
        return Err(ApiError::Forwarded { status: 422, code: code.clone(), message: message.clone() });
    }
    Ok(HttpResponse::Created().json(StoredRecord { info: RecordInfo::from(&meta), receipt: TxReceipt::from(&receipt) }))
}

/// A page of record listing.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    /// List records whose id comes after this one (hex), for the next page.
    pub after: Option<String>,
    /// At most this many (default and maximum 1000).
    pub limit: Option<usize>,
}

/// The regulator's records' metadata, in id order (no plaintext). Only this
/// node's regulator may call it.
#[utoipa::path(get, path = "/v1/private/records", tag = "private", params(ListQuery), security(("zkreg_http_sig" = [])),
    responses((status = 200, body = Vec<RecordInfo>)))]
pub async fn list_records(req: HttpRequest, node: web::Data<Node>, payload: web::Payload, query: web::Query<ListQuery>) -> Result<HttpResponse> {
    let (_, caller) = signed(&req, payload, &node, 0).await?;
    let after = query.after.as_deref().map(record_id).transpose()?;
    let limit = query.limit.unwrap_or(MAX_RECORD_PAGE).min(MAX_RECORD_PAGE);
    let metas = blocking(move || node.list_records(&caller, after.as_ref(), limit)).await?;
    Ok(HttpResponse::Ok().json(metas.iter().map(RecordInfo::from).collect::<Vec<_>>()))
}

/// The signing holder's own records, opened (each read audited): how a
/// holder who lost its credential file gets its opening back.
#[utoipa::path(get, path = "/v1/private/records/mine", tag = "private", security(("zkreg_http_sig" = [])),
    responses((status = 200, body = Vec<OpenedRecord>)))]
pub async fn my_records(req: HttpRequest, node: web::Data<Node>, payload: web::Payload) -> Result<HttpResponse> {
    let (_, caller) = signed(&req, payload, &node, 0).await?;
    let records = blocking(move || node.holder_records(&caller)).await?;
    let answer: Vec<OpenedRecord> =
        records.into_iter().map(|(meta, record)| OpenedRecord { info: RecordInfo::from(&meta), record: record.into() }).collect();
    Ok(HttpResponse::Ok().json(answer))
}

/// One record, opened for the issuing regulator, its holder, or an auditor
/// whose grant covers it (audited as a read or a disclosure); anyone else
/// is refused with 403, audited.
#[utoipa::path(get, path = "/v1/private/records/{id}", tag = "private", security(("zkreg_http_sig" = [])),
    params(("id" = String, Path, description = "The record id, 64 hex digits", pattern = "^(0x)?[0-9a-fA-F]{64}$")),
    responses((status = 200, body = OpenedRecord)))]
pub async fn read_record(req: HttpRequest, node: web::Data<Node>, payload: web::Payload, id: web::Path<String>) -> Result<HttpResponse> {
    let (_, caller) = signed(&req, payload, &node, 0).await?;
    let id = record_id(&id)?;
    let (meta, record) = blocking(move || node.read_record(&caller, &id)).await?;
    Ok(HttpResponse::Ok().json(OpenedRecord { info: RecordInfo::from(&meta), record: record.into() }))
}

/// Sets or lifts a record's legal hold (a held record cannot be purged).
/// Only this node's regulator may call it.
#[utoipa::path(post, path = "/v1/private/records/{id}/hold", tag = "private", request_body = HoldRecord, security(("zkreg_http_sig" = [])),
    params(("id" = String, Path, description = "The record id, 64 hex digits", pattern = "^(0x)?[0-9a-fA-F]{64}$")),
    responses((status = 200, body = RecordInfo)))]
pub async fn hold_record(req: HttpRequest, node: web::Data<Node>, payload: web::Payload, id: web::Path<String>) -> Result<HttpResponse> {
    let (body, caller): (HoldRecord, _) = signed_json(&req, payload, &node).await?;
    let id = record_id(&id)?;
    let meta = blocking(move || node.hold_record(&caller, &id, body.hold)).await?;
    Ok(HttpResponse::Ok().json(RecordInfo::from(&meta)))
}

/// Purges a record ("right to be forgotten"): its plaintext and ciphertext
/// are deleted; its anchor on the ledger and the audit event stay. Refused
/// (409 `legal_hold`) under a legal hold. Only this node's regulator may call it.
#[utoipa::path(post, path = "/v1/private/records/{id}/purge", tag = "private", security(("zkreg_http_sig" = [])),
    params(("id" = String, Path, description = "The record id, 64 hex digits", pattern = "^(0x)?[0-9a-fA-F]{64}$")),
    responses((status = 200, body = RecordInfo)))]
pub async fn purge_record(req: HttpRequest, node: web::Data<Node>, payload: web::Payload, id: web::Path<String>) -> Result<HttpResponse> {
    let (_, caller) = signed(&req, payload, &node, SMALL_BODY).await?;
    let id = record_id(&id)?;
    let meta = blocking(move || node.purge_record(&caller, &id)).await?;
    Ok(HttpResponse::Ok().json(RecordInfo::from(&meta)))
}

/// Grants an auditor time-limited access to listed records or to a schema;
/// the grant's hash is anchored on the ledger before the node honours it.
/// Only this node's regulator may call it.
#[utoipa::path(post, path = "/v1/private/grants", tag = "private", request_body = NewGrantBody, security(("zkreg_http_sig" = [])),
    responses((status = 201, body = GrantInfo)))]
pub async fn grant(req: HttpRequest, node: web::Data<Node>, payload: web::Payload) -> Result<HttpResponse> {
    let (body, caller): (NewGrantBody, _) = signed_json(&req, payload, &node).await?;
    let auditor = record_id(&body.auditor).map_err(|_| ApiError::bad("invalid_grant", "auditor must be an ed25519 key, 64 hex digits"))?;
    let scope = match (body.records, body.schema) {
        (Some(ids), None) => GrantScope::Records(ids.iter().map(|s| record_id(s)).collect::<Result<_>>()?),
        (None, Some(schema)) => GrantScope::Schema(schema),
        _ => return Err(ApiError::bad("invalid_grant", "a grant names either records or a schema")),
    };
    let new = NewGrant { auditor, scope, valid_for_secs: body.valid_for_secs };
    let (grant, receipt) = blocking(move || node.grant(&caller, new)).await?;
    Ok(HttpResponse::Created().json(GrantInfo::new(&grant, TxReceipt::from(&receipt))))
}

/// Re-reads the node's keyring file and re-encrypts every record sealed
/// under an older data key, while the node serves. Only this node's
/// regulator may call it.
#[utoipa::path(post, path = "/v1/private/rotate", tag = "private", security(("zkreg_http_sig" = [])),
    responses((status = 200, body = Rotation)))]
pub async fn rotate(req: HttpRequest, node: web::Data<Node>, payload: web::Payload) -> Result<HttpResponse> {
    let (_, caller) = signed(&req, payload, &node, SMALL_BODY).await?;
    let (current_key, reencrypted) = blocking(move || node.rotate_keys(&caller)).await?;
    Ok(HttpResponse::Ok().json(Rotation { current_key, reencrypted }))
}

/// A page of the audit log.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct AuditQuery {
    /// The first event (default 0).
    pub from: Option<u64>,
    /// At most this many (default and maximum 1000).
    pub limit: Option<usize>,
}

/// A page of the audit log, for this node's regulator or an auditor holding
/// a current grant. `zkreg audit verify` checks it against the heads the
/// node anchored on the ledger (`GET /v1/audit-events/{key}`).
#[utoipa::path(get, path = "/v1/private/audit", tag = "private", params(AuditQuery), security(("zkreg_http_sig" = [])),
    responses((status = 200, body = AuditPage)))]
pub async fn audit(req: HttpRequest, node: web::Data<Node>, payload: web::Payload, query: web::Query<AuditQuery>) -> Result<HttpResponse> {
    let (_, caller) = signed(&req, payload, &node, 0).await?;
    let from = query.from.unwrap_or(0);
    let limit = query.limit.unwrap_or(MAX_AUDIT_PAGE).min(MAX_AUDIT_PAGE);
    let (count, events) = blocking(move || node.audit_events(&caller, from, limit)).await?;
    Ok(HttpResponse::Ok().json(AuditPage { count, events: events.into_iter().map(Into::into).collect() }))
}
