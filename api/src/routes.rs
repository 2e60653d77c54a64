//! HTTP handlers: parse and validate the request, call the ledger or the
//! verifier, shape the response ([`crate::dto`]). Versioned under `/v1`;
//! each handler's `#[utoipa::path]` feeds the OpenAPI document served at
//! `/v1/openapi.json` ([`crate::openapi`]).
//!
//! Public reads and `POST /v1/transactions` (signed inside) need no HTTP
//! signature; the bank endpoints (proof requests, verification) do, see
//! [`crate::auth`].

use actix_web::http::Method;
use actix_web::{web, FromRequest, Handler, HttpMessage, HttpRequest, HttpResponse, Responder};
use serde::de::DeserializeOwned;
use serde::Deserialize;

use zkreg_circuits::field::fr_to_hex;
use zkreg_registry::state::Receipt;
use zkreg_registry::SignedTransaction;
use zkreg_verifier::{verify_presentations, Clock, Presentation, ProofRequest};

use crate::auth;
use crate::dto::{
    BatchOutcome, Block, BucketAnswer, Count, Credential, Health, Issuer, NewRequest, Outcome, PathAnswer,
    Refusal, Root, Schema, Stats, Status, SubmitTx, TxReceipt, Verification, Verifier, VerifyBatch, VerifyPresentation,
    VerifyingKey,
};
use crate::error::ApiError;
use crate::node::{now_secs, AppState, NodeLedgerView};
use crate::requests::IssuedRequest;

type Result<T> = std::result::Result<T, ApiError>;

/// Most presentations in one `verify-batch` call.
pub const MAX_BATCH: usize = 256;

/// Registers every route, and the extractor settings that turn a bad query
/// string or path segment into a JSON `{code, message}` 400.
///
/// Each path is a resource of its own whose default service answers a JSON
/// 405 `method_not_allowed` with an `Allow` header (actix's default is an
/// empty body); paths that match nothing get a JSON 404 `not_found`.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.app_data(web::QueryConfig::default().error_handler(query_error))
        .app_data(web::PathConfig::default().error_handler(path_error))
        .service(endpoint("/healthz", Method::GET, healthz))
        .service(endpoint("/readyz", Method::GET, readyz))
        .service(endpoint("/metrics", Method::GET, metrics))
        .service(
            web::scope("/v1")
                .service(endpoint("/openapi.json", Method::GET, openapi))
                .service(endpoint("/status", Method::GET, status))
                .service(endpoint("/blocks/{height}", Method::GET, block))
                .service(endpoint("/transactions", Method::POST, submit))
                .service(endpoint("/transactions/{id}", Method::GET, receipt))
                .service(endpoint("/issuers", Method::GET, issuers))
                .service(endpoint("/verifiers", Method::GET, verifiers))
                .service(endpoint("/schemas", Method::GET, schemas))
                .service(endpoint("/verifying-keys", Method::GET, verifying_keys))
                .service(endpoint("/roots", Method::GET, roots))
                .service(endpoint("/paths/{leaf}", Method::GET, path))
                .service(endpoint("/buckets/{leaf}", Method::GET, bucket))
                .service(endpoint("/credentials/{commitment}", Method::GET, credential))
                .service(endpoint("/stats", Method::GET, stats))
                .service(endpoint("/requests", Method::POST, create_request))
                .service(endpoint("/presentations/verify", Method::POST, verify))
                .service(endpoint("/presentations/verify-batch", Method::POST, verify_batch)),
        )
        .default_service(web::route().to(not_found));
}

/// A resource at `path` answering `method` with `handler`, and any other
/// method with a JSON 405 naming `method` in `Allow`.
fn endpoint<F, Args>(path: &str, method: Method, handler: F) -> actix_web::Resource
where
    F: Handler<Args>,
    Args: FromRequest + 'static,
    F::Output: Responder + 'static,
{
    let allowed = method.clone();
    web::resource(path).route(web::method(method).to(handler)).default_service(web::to(move || {
        let allowed = allowed.clone();
        async move { Err::<HttpResponse, _>(ApiError::MethodNotAllowed { allowed }) }
    }))
}

/// Maps query-string errors (`?levels=abc`, `?levels=-1`, unknown fields) to 400 `bad_query`.
pub fn query_error(err: actix_web::error::QueryPayloadError, _req: &HttpRequest) -> actix_web::Error {
    ApiError::bad("bad_query", format!("bad query string: {err}")).into()
}

/// Maps path-segment errors to 400 `bad_path`.
pub fn path_error(err: actix_web::error::PathError, _req: &HttpRequest) -> actix_web::Error {
    ApiError::bad("bad_path", format!("bad path segment: {err}")).into()
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

/// Reads a body of at most `limit` bytes.
async fn read_body(payload: web::Payload, limit: usize) -> Result<web::Bytes> {
    payload
        .to_bytes_limited(limit)
        .await
        .map_err(|_| ApiError::TooLarge)?
        .map_err(|e| ApiError::bad("bad_body", e))
}

/// A bank's signed JSON call: reads a body of at most `limit` bytes,
/// authenticates the bank (a registered verifier) over the exact bytes, then
/// parses them. Returns the body and the bank.
async fn bank_json<T: DeserializeOwned>(
    req: &HttpRequest,
    payload: web::Payload,
    state: &AppState,
    limit: usize,
) -> Result<(T, auth::Caller)> {
    let body = read_body(payload, limit).await?;
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

/// Liveness: the process serves HTTP.
#[utoipa::path(get, path = "/healthz", tag = "operations", responses((status = 200, body = Health)))]
async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(Health { status: "ok".into(), height: None })
}

/// Readiness: the ledger is open; the tip's height.
#[utoipa::path(get, path = "/readyz", tag = "operations", responses((status = 200, body = Health)))]
async fn readyz(state: web::Data<AppState>) -> HttpResponse {
    HttpResponse::Ok().json(Health { status: "ready".into(), height: Some(state.view().tip.height) })
}

/// Prometheus metrics, text exposition format: requests by route and
/// status, latencies, verifications by outcome, issuances, revocations,
/// block height, mempool size, leaves.
#[utoipa::path(get, path = "/metrics", tag = "operations", responses((status = 200, description = "Prometheus text format", content_type = "text/plain", body = String)))]
async fn metrics(state: web::Data<AppState>) -> Result<HttpResponse> {
    let text = state.metrics.render().map_err(|e| ApiError::Internal(e.to_string()))?;
    Ok(HttpResponse::Ok().content_type(crate::metrics::CONTENT_TYPE).body(text))
}

/// This document.
#[utoipa::path(get, path = "/v1/openapi.json", tag = "operations", responses((status = 200, description = "The OpenAPI 3 document of this API", body = Object)))]
async fn openapi() -> HttpResponse {
    HttpResponse::Ok().json(crate::openapi::document())
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

/// The chain id, the tip, and the genesis' root window (the revocation
/// latency) beside how many roots the window holds now.
#[utoipa::path(get, path = "/v1/status", tag = "public", responses((status = 200, body = Status)))]
async fn status(state: web::Data<AppState>) -> Result<HttpResponse> {
    let view = state.view();
    // The genesis is fixed when the data directory is made; a node always has one.
    let genesis = state.store.genesis()?.ok_or_else(|| ApiError::Internal("the ledger has no genesis".into()))?;
    Ok(HttpResponse::Ok().json(Status {
        chain_id: state.chain_id.clone(),
        height: view.tip.height,
        tip_hash: hex::encode(view.tip.hash()),
        root: hex::encode(view.tip.tree_root),
        leaf_count: view.tip.leaf_count,
        root_window_blocks: genesis.root_window,
        roots_in_window: view.roots.len(),
    }))
}

/// A block's header and transaction ids.
#[utoipa::path(get, path = "/v1/blocks/{height}", tag = "public",
    params(("height" = u64, Path, description = "Block height, decimal", minimum = 0)),
    responses((status = 200, body = Block)))]
async fn block(state: web::Data<AppState>, height: web::Path<String>) -> Result<HttpResponse> {
    let height = number(&height, "height")?;
    let store = state.store.clone();
    let (header, txs) = web::block(move || Ok::<_, ApiError>((store.header(height)?, store.block_txs(height)?)))
        .await
        .map_err(|e| ApiError::Internal(e.to_string()))??;
    let header = header.ok_or_else(|| ApiError::NotFound(format!("block {height}")))?;
    Ok(HttpResponse::Ok().json(Block {
        height: header.height,
        hash: hex::encode(header.hash()),
        prev_hash: hex::encode(header.prev_hash),
        tx_root: hex::encode(header.tx_root),
        tree_root: hex::encode(header.tree_root),
        leaf_count: header.leaf_count,
        time: header.time,
        transactions: txs.unwrap_or_default().iter().map(|t| hex::encode(t.tx.id())).collect(),
    }))
}

/// A transaction's receipt.
#[utoipa::path(get, path = "/v1/transactions/{id}", tag = "public",
    params(("id" = String, Path, description = "Transaction id, 64 hex digits (an optional `0x` prefix is accepted)", pattern = "^(0x)?[0-9a-fA-F]{64}$")),
    responses((status = 200, body = TxReceipt)))]
async fn receipt(state: web::Data<AppState>, id: web::Path<String>) -> Result<HttpResponse> {
    let id = hash32(&id, "transaction id")?;
    let r = state.store.receipt(&id)?.ok_or_else(|| ApiError::NotFound("transaction".into()))?;
    Ok(HttpResponse::Ok().json(TxReceipt::from(&r)))
}

/// Submits a signed transaction (governance, issue, revoke, …; the
/// transaction carries its own ed25519 signature and the ledger checks the
/// signer's role) and answers once its block is on disk: 200 with the
/// receipt, or 422 with the receipt if the ledger refused the transaction
/// (its `code` and `message` say why; the refused transaction is recorded in
/// the block and changes nothing else).
#[utoipa::path(post, path = "/v1/transactions", tag = "regulator", request_body = SubmitTx,
    responses((status = 200, body = TxReceipt), (status = 422, description = "Refused by the ledger", body = TxReceipt)))]
async fn submit(state: web::Data<AppState>, body: web::Json<SubmitTx>) -> Result<HttpResponse> {
    let bytes = hex::decode(body.tx.trim()).map_err(|_| ApiError::bad("bad_hex", "tx must be hex"))?;
    let tx = SignedTransaction::from_bytes(&bytes)?;
    let st = state.clone();
    let receipt = web::block(move || -> Result<Receipt> {
        let (id, height) = {
            let mut ledger = st.ledger.lock().unwrap_or_else(|e| e.into_inner());
            let id = ledger.submit(tx)?;
            st.metrics.set_pending(ledger.pending());
            (id, ledger.ledger().height())
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
    let body = TxReceipt::from(&receipt);
    Ok(match receipt.error {
        None => HttpResponse::Ok().json(body),
        Some(_) => HttpResponse::UnprocessableEntity().json(body),
    })
}

/// Registered regulators and the schemas each may issue.
#[utoipa::path(get, path = "/v1/issuers", tag = "public", responses((status = 200, body = Vec<Issuer>)))]
async fn issuers(state: web::Data<AppState>) -> HttpResponse {
    let view = state.view();
    let list: Vec<Issuer> = view
        .registry
        .regulators
        .values()
        .map(|r| Issuer { name: r.name.clone(), key: hex::encode(r.key), schemas: r.schemas.clone(), active: r.active, since: r.since })
        .collect();
    HttpResponse::Ok().json(list)
}

/// Registered verifiers (banks): each name's key, the only key the node
/// issues proof requests to under that name and the key wallets check a
/// request's signature against. A verifier's scopes are `<name>/<purpose>`.
#[utoipa::path(get, path = "/v1/verifiers", tag = "public", responses((status = 200, body = Vec<Verifier>)))]
async fn verifiers(state: web::Data<AppState>) -> HttpResponse {
    let view = state.view();
    let list: Vec<Verifier> = view
        .registry
        .verifiers
        .values()
        .map(|v| Verifier { name: v.name.clone(), key: hex::encode(v.key), active: v.active, since: v.since })
        .collect();
    HttpResponse::Ok().json(list)
}

/// Registered credential schemas.
#[utoipa::path(get, path = "/v1/schemas", tag = "public", responses((status = 200, body = Vec<Schema>)))]
async fn schemas(state: web::Data<AppState>) -> HttpResponse {
    let view = state.view();
    let list: Vec<Schema> = view
        .registry
        .schemas
        .values()
        .map(|s| Schema { name: s.name.clone(), description: s.description.clone(), since: s.since })
        .collect();
    HttpResponse::Ok().json(list)
}

/// Registered Groth16 verifying keys and their fingerprints.
#[utoipa::path(get, path = "/v1/verifying-keys", tag = "public", responses((status = 200, body = Vec<VerifyingKey>)))]
async fn verifying_keys(state: web::Data<AppState>) -> HttpResponse {
    let view = state.view();
    let list: Vec<VerifyingKey> = view
        .registry
        .verifying_keys
        .values()
        .map(|k| VerifyingKey {
            circuit_id: k.circuit_id.clone(),
            fingerprint: hex::encode(k.fingerprint),
            key: hex::encode(&k.key),
            since: k.since,
        })
        .collect();
    HttpResponse::Ok().json(list)
}

/// The roots a verifier accepts now (the window), oldest first.
#[utoipa::path(get, path = "/v1/roots", tag = "public", responses((status = 200, body = Vec<Root>)))]
async fn roots(state: web::Data<AppState>) -> HttpResponse {
    let view = state.view();
    let list: Vec<Root> = view.roots.iter().map(|(h, r)| Root { height: *h, root: fr_to_hex(r) }).collect();
    HttpResponse::Ok().json(list)
}

/// Runs `read` on the ledger off the HTTP workers: the ledger's lock is held
/// while a block is applied and flushed, and a worker waiting for it would
/// stall every other request it serves.
async fn with_ledger<T: Send + 'static>(
    state: &web::Data<AppState>,
    read: impl FnOnce(&zkreg_registry::Ledger) -> Result<T> + Send + 'static,
) -> Result<T> {
    let st = state.clone();
    web::block(move || read(st.ledger.lock().unwrap_or_else(|e| e.into_inner()).ledger()))
        .await
        .map_err(|e| ApiError::Internal(e.to_string()))?
}

/// One leaf's Merkle path against the current root. The node learns which
/// leaf is about to be proven: holders should use `/v1/buckets/{leaf}`.
#[utoipa::path(get, path = "/v1/paths/{leaf}", tag = "public",
    params(("leaf" = u64, Path, description = "Leaf index, decimal", minimum = 0, maximum = 4294967295.0)),
    responses((status = 200, body = PathAnswer)))]
async fn path(state: web::Data<AppState>, leaf: web::Path<String>) -> Result<HttpResponse> {
    let leaf = number(&leaf, "leaf index")?;
    let answer = with_ledger(&state, move |ledger| {
        Ok(PathAnswer { root: fr_to_hex(&ledger.root()), height: ledger.height(), path: ledger.path(leaf)? })
    })
    .await?;
    Ok(HttpResponse::Ok().json(answer))
}

/// The query of `GET /v1/buckets/{leaf}`: no other parameter is accepted.
#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
struct BucketQuery {
    /// Bucket height in levels, 1 to 8 (default 5: 1,024 leaves).
    #[param(minimum = 1, maximum = 8)]
    levels: Option<usize>,
}

/// A whole bucket subtree (4^levels leaves, 4^5 by default) around a leaf,
/// and the siblings above it: the node learns which bucket, not which leaf.
#[utoipa::path(get, path = "/v1/buckets/{leaf}", tag = "public",
    params(("leaf" = u64, Path, description = "Any leaf index in the bucket, decimal", minimum = 0, maximum = 4294967295.0), BucketQuery),
    responses((status = 200, body = BucketAnswer)))]
async fn bucket(state: web::Data<AppState>, leaf: web::Path<String>, q: web::Query<BucketQuery>) -> Result<HttpResponse> {
    let leaf = number(&leaf, "leaf index")?;
    let levels = q.levels.unwrap_or(5);
    if !(1..=8).contains(&levels) {
        return Err(ApiError::bad("bad_levels", "levels must be 1 to 8"));
    }
    let answer = with_ledger(&state, move |ledger| Ok(BucketAnswer::new(&ledger.bucket(leaf, levels)?, ledger.height()))).await?;
    Ok(HttpResponse::Ok().json(answer))
}

/// A credential's public record by commitment: issuer, schema, status.
#[utoipa::path(get, path = "/v1/credentials/{commitment}", tag = "public",
    params(("commitment" = String, Path, description = "The commitment, 64 hex digits (an optional `0x` prefix is accepted)", pattern = "^(0x)?[0-9a-fA-F]{64}$")),
    responses((status = 200, body = Credential)))]
async fn credential(state: web::Data<AppState>, cm: web::Path<String>) -> Result<HttpResponse> {
    let cm = hash32(&cm, "commitment")?;
    let r = state.store.credential(&cm)?.ok_or_else(|| ApiError::NotFound("credential".into()))?;
    Ok(HttpResponse::Ok().json(Credential::from(r)))
}

/// Credentials issued and revoked, per issuer and schema.
#[utoipa::path(get, path = "/v1/stats", tag = "public", responses((status = 200, body = Stats)))]
async fn stats(state: web::Data<AppState>) -> HttpResponse {
    let view = state.view();
    let by_issuer_and_schema = view
        .registry
        .counts
        .iter()
        .map(|((issuer, schema), c)| Count { issuer: issuer.clone(), schema: schema.clone(), issued: c.issued, revoked: c.revoked })
        .collect();
    HttpResponse::Ok().json(Stats { leaf_count: view.tip.leaf_count, by_issuer_and_schema })
}

/// Creates a proof request with a fresh challenge for the signing bank; the
/// challenge is single use and only this bank may have answers verified.
#[utoipa::path(post, path = "/v1/requests", tag = "bank", request_body = NewRequest, security(("zkreg_http_sig" = [])),
    responses((status = 201, body = ProofRequest)))]
async fn create_request(req: HttpRequest, state: web::Data<AppState>, payload: web::Payload) -> Result<HttpResponse> {
    let (body, bank): (NewRequest, _) = bank_json(&req, payload, &state, state.config.max_request_body_bytes).await?;
    let st = state.clone();
    let request = web::block(move || st.requests.create(body, &bank, &st.view().registry, now_secs()))
        .await
        .map_err(|e| ApiError::Internal(e.to_string()))??;
    Ok(HttpResponse::Created().json(request))
}

/// The request this node issued for `presentation`'s challenge, if `bank`
/// asked for it.
fn issued_request(state: &AppState, bank: &[u8; 32], presentation: &Presentation) -> Result<ProofRequest> {
    let IssuedRequest { request, requester, .. } = state
        .requests
        .get(&presentation.challenge)?
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
fn verify_many(state: &AppState, bank: &[u8; 32], presentations: &[Presentation]) -> Result<Vec<Result<Verification>>> {
    let mut results: Vec<Result<Verification>> = Vec::with_capacity(presentations.len());
    let mut asked = Vec::new();
    for (at, p) in presentations.iter().enumerate() {
        match issued_request(state, bank, p) {
            Ok(request) => {
                asked.push((at, request));
                // Replaced once the batch is verified.
                results.push(Err(ApiError::Internal("not verified".into())));
            }
            Err(e) => results.push(Err(e)),
        }
    }
    if !asked.is_empty() {
        let view = state.view();
        let verifier = state.verifier(&view)?;
        let ledger_view = NodeLedgerView { view: &view, store: &state.store };
        let clock = Clock { now: now_secs(), day_tolerance: state.config.day_tolerance };
        let items: Vec<_> = asked.iter().map(|(at, request)| (request, &presentations[*at])).collect();
        let verified =
            verify_presentations(&verifier, &items, &ledger_view, &state.requests, clock, &mut rand::rngs::OsRng);
        for ((at, _), outcome) in asked.iter().zip(verified) {
            results[*at] = outcome.map(Verification::from).map_err(ApiError::from);
        }
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
/// challenge, for the bank that asked for it. A refusal is 422 with the
/// verifier's code (`proof_rejected`, `root_not_in_window`,
/// `challenge_replayed`, …); the challenge is spent only by an accepted
/// presentation.
#[utoipa::path(post, path = "/v1/presentations/verify", tag = "bank", request_body = VerifyPresentation, security(("zkreg_http_sig" = [])),
    responses((status = 200, body = Verification)))]
async fn verify(req: HttpRequest, state: web::Data<AppState>, payload: web::Payload) -> Result<HttpResponse> {
    let (body, bank): (VerifyPresentation, _) = bank_json(&req, payload, &state, state.config.max_body_bytes).await?;
    let st = state.clone();
    let mut out = web::block(move || verify_many(&st, &bank.key, std::slice::from_ref(&body.presentation)))
        .await
        .map_err(|e| ApiError::Internal(e.to_string()))??;
    Ok(HttpResponse::Ok().json(out.pop().unwrap_or_else(|| unreachable!("one result per presentation"))?))
}

/// Verifies up to 256 presentations for the signing bank, with the Groth16
/// proofs of all of them in one batch equation; one outcome per
/// presentation, in order (`forbidden` for another bank's challenge).
#[utoipa::path(post, path = "/v1/presentations/verify-batch", tag = "bank", request_body = VerifyBatch, security(("zkreg_http_sig" = [])),
    responses((status = 200, body = BatchOutcome)))]
async fn verify_batch(req: HttpRequest, state: web::Data<AppState>, payload: web::Payload) -> Result<HttpResponse> {
    let (body, bank): (VerifyBatch, _) = bank_json(&req, payload, &state, state.config.max_body_bytes).await?;
    if body.presentations.len() > MAX_BATCH {
        return Err(ApiError::bad("batch_too_large", format!("at most {MAX_BATCH} presentations per batch")));
    }
    let st = state.clone();
    let results = web::block(move || verify_many(&st, &bank.key, &body.presentations))
        .await
        .map_err(|e| ApiError::Internal(e.to_string()))??;
    let results = results
        .into_iter()
        .map(|outcome| match outcome {
            Ok(v) => Outcome::Verified(v),
            Err(e) => Outcome::Refused(Refusal { verified: false, code: e.code().into(), message: e.to_string() }),
        })
        .collect();
    Ok(HttpResponse::Ok().json(BatchOutcome { results }))
}
