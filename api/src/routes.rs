//! HTTP handlers: parse and validate the request, call the ledger or the
//! verifier, shape the response. Versioned under `/v1`.
//!
//! Public reads and `POST /v1/transactions` (signed inside) need no HTTP
//! signature; the bank endpoints (proof requests, verification) do, see
//! [`crate::auth`].

use actix_web::{web, HttpMessage, HttpRequest, HttpResponse};
use rand::RngCore;
use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_json::json;

use zkreg_circuits::field::fr_to_hex;
use zkreg_registry::state::{CredentialKind, Receipt};
use zkreg_registry::SignedTransaction;
use zkreg_verifier::{verify_presentations, Clock, PredicateSpec, Presentation, ProofRequest};

use crate::auth;
use crate::error::ApiError;
use crate::node::{now_secs, AppState, IssuedRequest, NodeLedgerView};

type Result<T> = std::result::Result<T, ApiError>;

/// Registers every route.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/healthz", web::get().to(healthz))
        .route("/readyz", web::get().to(readyz))
        .route("/metrics", web::get().to(metrics))
        .service(
            web::scope("/v1")
                .route("/status", web::get().to(status))
                .route("/blocks/{height}", web::get().to(block))
                .route("/transactions", web::post().to(submit))
                .route("/transactions/{id}", web::get().to(receipt))
                .route("/issuers", web::get().to(issuers))
                .route("/schemas", web::get().to(schemas))
                .route("/verifying-keys", web::get().to(verifying_keys))
                .route("/roots", web::get().to(roots))
                .route("/paths/{leaf}", web::get().to(path))
                .route("/buckets/{leaf}", web::get().to(bucket))
                .route("/credentials/{commitment}", web::get().to(credential))
                .route("/stats", web::get().to(stats))
                .route("/requests", web::post().to(create_request))
                .route("/presentations/verify", web::post().to(verify))
                .route("/presentations/verify-batch", web::post().to(verify_batch)),
        )
        .default_service(web::route().to(not_found));
}

/// Maps JSON body errors to `{code, message}`.
pub fn json_error(err: actix_web::error::JsonPayloadError, _req: &HttpRequest) -> actix_web::Error {
    use actix_web::error::JsonPayloadError as E;
    let api = match &err {
        E::OverflowKnownLength { .. } | E::Overflow { .. } => ApiError::TooLarge,
        E::ContentType => ApiError::bad("bad_content_type", "expected Content-Type: application/json"),
        E::Deserialize(e) => ApiError::bad("bad_json", e),
        other => ApiError::bad("bad_json", other),
    };
    api.into()
}

/// Reads a body of at most the node's limit.
async fn read_body(payload: web::Payload, state: &AppState) -> Result<web::Bytes> {
    payload
        .to_bytes_limited(state.config.max_body_bytes)
        .await
        .map_err(|_| ApiError::TooLarge)?
        .map_err(|e| ApiError::bad("bad_body", e))
}

/// A bank's signed JSON call: reads the body, authenticates the bank over the
/// exact bytes, then parses them. Returns the body and the bank's key.
async fn bank_json<T: DeserializeOwned>(req: &HttpRequest, payload: web::Payload, state: &AppState) -> Result<(T, [u8; 32])> {
    let body = read_body(payload, state).await?;
    let bank = auth::authenticate_bank(req, &body, state)?;
    let is_json = req
        .mime_type()
        .ok()
        .flatten()
        .is_some_and(|m| m.subtype().as_str() == "json" || m.suffix().is_some_and(|s| s.as_str() == "json"));
    if !is_json {
        return Err(ApiError::bad("bad_content_type", "expected Content-Type: application/json"));
    }
    let value = serde_json::from_slice(&body).map_err(|e| ApiError::bad("bad_json", e))?;
    Ok((value, bank))
}

async fn not_found() -> Result<HttpResponse> {
    Err(ApiError::NotFound("no such route".into()))
}

async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(json!({"status": "ok"}))
}

async fn readyz(state: web::Data<AppState>) -> HttpResponse {
    let view = state.view();
    HttpResponse::Ok().json(json!({"status": "ready", "height": view.tip.height}))
}

/// Prometheus metrics, text exposition format.
async fn metrics(state: web::Data<AppState>) -> Result<HttpResponse> {
    let text = state.metrics.render().map_err(|e| ApiError::Internal(e.to_string()))?;
    Ok(HttpResponse::Ok().content_type(crate::metrics::CONTENT_TYPE).body(text))
}

fn hash32(s: &str, what: &'static str) -> Result<[u8; 32]> {
    hex::decode(s.strip_prefix("0x").unwrap_or(s))
        .ok()
        .and_then(|b| b.try_into().ok())
        .ok_or_else(|| ApiError::bad("bad_hex", format!("{what} must be 32 bytes of hex")))
}

fn number(s: &str, what: &'static str) -> Result<u64> {
    s.parse().map_err(|_| ApiError::bad("bad_number", format!("{what} must be a non-negative integer")))
}

async fn status(state: web::Data<AppState>) -> HttpResponse {
    let view = state.view();
    HttpResponse::Ok().json(json!({
        "chain_id": state.chain_id,
        "height": view.tip.height,
        "tip_hash": hex::encode(view.tip.hash()),
        "root": hex::encode(view.tip.tree_root),
        "leaf_count": view.tip.leaf_count,
        "root_window_blocks": view.roots.len(),
    }))
}

fn receipt_json(r: &Receipt) -> serde_json::Value {
    json!({
        "tx_id": hex::encode(r.tx_id),
        "height": r.height,
        "index": r.index,
        "ok": r.error.is_none(),
        "code": r.error.as_ref().map(|e| e.0.clone()),
        "message": r.error.as_ref().map(|e| e.1.clone()),
        "leaf_index": r.leaf_index,
    })
}

async fn block(state: web::Data<AppState>, height: web::Path<String>) -> Result<HttpResponse> {
    let height = number(&height, "height")?;
    let store = state.store.clone();
    let (header, txs) = web::block(move || Ok::<_, ApiError>((store.header(height)?, store.block_txs(height)?)))
        .await
        .map_err(|e| ApiError::Internal(e.to_string()))??;
    let header = header.ok_or_else(|| ApiError::NotFound(format!("block {height}")))?;
    let txs = txs.unwrap_or_default();
    Ok(HttpResponse::Ok().json(json!({
        "height": header.height,
        "hash": hex::encode(header.hash()),
        "prev_hash": hex::encode(header.prev_hash),
        "tx_root": hex::encode(header.tx_root),
        "tree_root": hex::encode(header.tree_root),
        "leaf_count": header.leaf_count,
        "time": header.time,
        "transactions": txs.iter().map(|t| hex::encode(t.tx.id())).collect::<Vec<_>>(),
    })))
}

async fn receipt(state: web::Data<AppState>, id: web::Path<String>) -> Result<HttpResponse> {
    let id = hash32(&id, "transaction id")?;
    let r = state.store.receipt(&id)?.ok_or_else(|| ApiError::NotFound("transaction".into()))?;
    Ok(HttpResponse::Ok().json(receipt_json(&r)))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SubmitBody {
    /// Canonical bytes of the signed transaction, hex.
    tx: String,
}

/// Submits a signed transaction and answers once its block is on disk: 200
/// with the receipt, or 422 with the receipt if the ledger refused the
/// transaction (its `code` and `message` say why; the refused transaction is
/// recorded in the block and changes nothing else).
async fn submit(state: web::Data<AppState>, body: web::Json<SubmitBody>) -> Result<HttpResponse> {
    let bytes = hex::decode(body.tx.trim()).map_err(|_| ApiError::bad("bad_hex", "tx must be hex"))?;
    let tx = SignedTransaction::from_bytes(&bytes)?;
    let st = state.clone();
    let receipt = web::block(move || -> Result<Receipt> {
        let (id, height) = {
            let mut ledger = st.ledger.lock().unwrap_or_else(|e| e.into_inner());
            let id = ledger.submit(tx)?;
            st.metrics.set_pending(ledger.pending());
            (id, ledger.height())
        };
        let deadline = std::time::Instant::now() + st.config.commit_timeout;
        let mut seen = height;
        loop {
            if let Some(r) = st.store.receipt(&id)? {
                return Ok(r);
            }
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            if left.is_zero() || !st.wait_for_block_after(seen, left) {
                return Err(ApiError::Unavailable("the transaction was not committed in time".into()));
            }
            seen += 1;
        }
    })
    .await
    .map_err(|e| ApiError::Internal(e.to_string()))??;
    let body = receipt_json(&receipt);
    Ok(match receipt.error {
        None => HttpResponse::Ok().json(body),
        Some(_) => HttpResponse::UnprocessableEntity().json(body),
    })
}

async fn issuers(state: web::Data<AppState>) -> HttpResponse {
    let view = state.view();
    let list: Vec<_> = view
        .registry
        .regulators
        .values()
        .map(|r| json!({"name": r.name, "key": hex::encode(r.key), "schemas": r.schemas, "active": r.active, "since": r.since}))
        .collect();
    HttpResponse::Ok().json(list)
}

async fn schemas(state: web::Data<AppState>) -> HttpResponse {
    let view = state.view();
    let list: Vec<_> =
        view.registry.schemas.values().map(|s| json!({"name": s.name, "description": s.description, "since": s.since})).collect();
    HttpResponse::Ok().json(list)
}

async fn verifying_keys(state: web::Data<AppState>) -> HttpResponse {
    let view = state.view();
    let list: Vec<_> = view
        .registry
        .verifying_keys
        .values()
        .map(|k| json!({"circuit_id": k.circuit_id, "fingerprint": hex::encode(k.fingerprint), "key": hex::encode(&k.key), "since": k.since}))
        .collect();
    HttpResponse::Ok().json(list)
}

async fn roots(state: web::Data<AppState>) -> HttpResponse {
    let view = state.view();
    let list: Vec<_> = view.roots.iter().map(|(h, r)| json!({"height": h, "root": fr_to_hex(r)})).collect();
    HttpResponse::Ok().json(list)
}

async fn path(state: web::Data<AppState>, leaf: web::Path<String>) -> Result<HttpResponse> {
    let leaf = number(&leaf, "leaf index")?;
    let ledger = state.ledger.lock().unwrap_or_else(|e| e.into_inner());
    let path = ledger.path(leaf)?;
    Ok(HttpResponse::Ok().json(json!({"root": fr_to_hex(&ledger.root()), "height": ledger.height(), "path": path})))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct BucketQuery {
    levels: Option<usize>,
}

/// A whole bucket subtree (4^levels leaves, 4^5 by default): the node learns
/// which bucket, not which leaf.
async fn bucket(state: web::Data<AppState>, leaf: web::Path<String>, q: web::Query<BucketQuery>) -> Result<HttpResponse> {
    let leaf = number(&leaf, "leaf index")?;
    let levels = q.levels.unwrap_or(5);
    if !(1..=8).contains(&levels) {
        return Err(ApiError::bad("bad_levels", "levels must be 1 to 8"));
    }
    let ledger = state.ledger.lock().unwrap_or_else(|e| e.into_inner());
    let b = ledger.bucket(leaf, levels)?;
    let hexes = |v: &[ark_bn254::Fr]| v.iter().map(fr_to_hex).collect::<Vec<_>>();
    Ok(HttpResponse::Ok().json(json!({
        "first_leaf": b.first_leaf,
        "levels": b.levels,
        "nodes": b.nodes.iter().map(|l| hexes(l)).collect::<Vec<_>>(),
        "upper_siblings": b.upper_siblings.iter().map(|t| hexes(t)).collect::<Vec<_>>(),
        "root": fr_to_hex(&b.root),
        "height": ledger.height(),
    })))
}

async fn credential(state: web::Data<AppState>, cm: web::Path<String>) -> Result<HttpResponse> {
    let cm = hash32(&cm, "commitment")?;
    let r = state.store.credential(&cm)?.ok_or_else(|| ApiError::NotFound("credential".into()))?;
    let (backend, leaf_index, expiry) = match r.kind {
        CredentialKind::Groth16 { leaf_index } => ("groth16", Some(leaf_index), None),
        CredentialKind::Bulletproofs { expiry, .. } => ("bulletproofs", None, Some(expiry)),
    };
    Ok(HttpResponse::Ok().json(json!({
        "backend": backend,
        "issuer": r.issuer,
        "schema": r.schema,
        "status": if r.revoked_at.is_some() { "revoked" } else { "active" },
        "issued_at": r.issued_at,
        "revoked_at": r.revoked_at,
        "leaf_index": leaf_index,
        "expiry": expiry,
    })))
}

async fn stats(state: web::Data<AppState>) -> HttpResponse {
    let view = state.view();
    let list: Vec<_> = view
        .registry
        .counts
        .iter()
        .map(|((issuer, schema), c)| json!({"issuer": issuer, "schema": schema, "issued": c.issued, "revoked": c.revoked}))
        .collect();
    HttpResponse::Ok().json(json!({"leaf_count": view.tip.leaf_count, "by_issuer_and_schema": list}))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewRequest {
    verifier: String,
    scope: String,
    predicates: Vec<PredicateSpec>,
    /// Seconds the request stays valid (default 600, at most 86,400).
    ttl_seconds: Option<u64>,
}

/// Creates a proof request with a fresh challenge for the signing bank; the
/// challenge is single use.
async fn create_request(req: HttpRequest, state: web::Data<AppState>, payload: web::Payload) -> Result<HttpResponse> {
    let (body, bank): (NewRequest, _) = bank_json(&req, payload, &state).await?;
    let ttl = body.ttl_seconds.unwrap_or(600);
    if ttl == 0 || ttl > 86_400 {
        return Err(ApiError::bad("bad_ttl", "ttl_seconds must be 1 to 86400"));
    }
    let mut nonce = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut nonce);
    let request = ProofRequest {
        version: zkreg_circuits::request::REQUEST_VERSION,
        verifier: body.verifier,
        scope: body.scope,
        challenge: hex::encode(nonce),
        expires_at: now_secs() + ttl,
        predicates: body.predicates,
    };
    request.validate().map_err(|e| ApiError::bad("bad_request", e))?;
    state.challenges.issue(&request.challenge);
    let issued = IssuedRequest { request: request.clone(), requester: bank };
    state.requests.lock().unwrap_or_else(|e| e.into_inner()).insert(request.challenge.clone(), issued);
    Ok(HttpResponse::Created().json(request))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct VerifyBody {
    presentation: Presentation,
}

/// The request this node issued for `presentation`'s challenge, if `bank`
/// asked for it.
fn issued_request(state: &AppState, bank: &[u8; 32], presentation: &Presentation) -> Result<ProofRequest> {
    let IssuedRequest { request, requester } = state
        .requests
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .get(&presentation.challenge)
        .cloned()
        .ok_or_else(|| ApiError::NotVerified { code: "challenge_unknown", message: "challenge was not issued by this node".into() })?;
    if requester != *bank {
        return Err(ApiError::Forbidden("this challenge answers another bank's request".into()));
    }
    Ok(request)
}

/// Verifies `presentations` for `bank`, which must have asked for each one's
/// challenge (checked before anything is spent): the Groth16 proofs of all
/// of them go into one batch equation. One result per presentation, in
/// order, each counted in the metrics by outcome.
fn verify_many(state: &AppState, bank: &[u8; 32], presentations: &[Presentation]) -> Result<Vec<Result<serde_json::Value>>> {
    let mut results: Vec<Result<serde_json::Value>> = Vec::with_capacity(presentations.len());
    let mut asked = Vec::new();
    for (at, p) in presentations.iter().enumerate() {
        match issued_request(state, bank, p) {
            Ok(request) => {
                asked.push((at, request));
                // Filled in once the batch is verified.
                results.push(Ok(serde_json::Value::Null));
            }
            Err(e) => results.push(Err(e)),
        }
    }
    let view = state.view();
    let verifier = state.verifier(&view)?;
    let ledger_view = NodeLedgerView { view: &view, store: &state.store };
    let clock = Clock { now: now_secs(), day_tolerance: state.config.day_tolerance };
    let items: Vec<_> = asked.iter().map(|(at, request)| (request, &presentations[*at])).collect();
    let verified = verify_presentations(&verifier, &items, &ledger_view, &state.challenges, clock, &mut rand::rngs::OsRng);
    for ((at, _), outcome) in asked.iter().zip(verified) {
        results[*at] = outcome
            .map(|v| json!({"verified": true, "pseudonym": v.pseudonym, "predicates": v.predicates, "linkable": v.linkable}))
            .map_err(ApiError::from);
    }
    for outcome in &results {
        state.metrics.record_verification(match outcome {
            Ok(_) => crate::metrics::VERIFIED,
            Err(e) => e.code(),
        });
    }
    Ok(results)
}

/// Verifies a presentation against the request this node issued for its
/// challenge, for the bank that asked for it.
async fn verify(req: HttpRequest, state: web::Data<AppState>, payload: web::Payload) -> Result<HttpResponse> {
    let (body, bank): (VerifyBody, _) = bank_json(&req, payload, &state).await?;
    let st = state.clone();
    let mut out = web::block(move || verify_many(&st, &bank, std::slice::from_ref(&body.presentation)))
        .await
        .map_err(|e| ApiError::Internal(e.to_string()))??;
    Ok(HttpResponse::Ok().json(out.pop().unwrap_or_else(|| unreachable!("one result per presentation"))?))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct VerifyBatchBody {
    presentations: Vec<Presentation>,
}

/// Verifies many presentations for the signing bank; one result per
/// presentation, in order (`forbidden` for another bank's challenge).
async fn verify_batch(req: HttpRequest, state: web::Data<AppState>, payload: web::Payload) -> Result<HttpResponse> {
    let (body, bank): (VerifyBatchBody, _) = bank_json(&req, payload, &state).await?;
    if body.presentations.len() > 256 {
        return Err(ApiError::bad("batch_too_large", "at most 256 presentations per batch"));
    }
    let st = state.clone();
    let results = web::block(move || verify_many(&st, &bank, &body.presentations))
        .await
        .map_err(|e| ApiError::Internal(e.to_string()))??;
    let results: Vec<_> = results
        .into_iter()
        .map(|outcome| outcome.unwrap_or_else(|e| json!({"verified": false, "code": e.code(), "message": e.to_string()})))
        .collect();
    Ok(HttpResponse::Ok().json(json!({"results": results})))
}
