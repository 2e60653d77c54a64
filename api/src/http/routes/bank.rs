//! The bank endpoints: proof requests and verification. Every call is
//! signed by a registered verifier's key ([`crate::auth`]); the signature is
//! checked over the exact body bytes before the body is parsed.

use actix_web::{web, HttpMessage, HttpRequest, HttpResponse};
use serde::de::DeserializeOwned;
use zkreg_verifier::ProofRequest;

use super::{blocking, Result};
use crate::auth::Caller;
use crate::dto::{BatchOutcome, NewRequest, Outcome, Refusal, Verification, VerifyBatch, VerifyPresentation};
use crate::error::ApiError;
use crate::http::auth::RequestHeaders;
use crate::service::admission::SignedCall;
use crate::service::Node;

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
async fn bank_json<T: DeserializeOwned>(req: &HttpRequest, payload: web::Payload, node: &Node, limit: usize) -> Result<(T, Caller)> {
    let body = read_body(payload, limit).await?;
    let target = req.uri().path_and_query().map_or_else(|| req.uri().path(), |p| p.as_str());
    let call = SignedCall { method: req.method().as_str(), target, body: &body, headers: &RequestHeaders(req.headers()) };
    let bank = node.authenticate_verifier(call)?;
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

/// Creates a proof request with a fresh challenge for the signing bank; the
/// challenge is single use and only this bank may have answers verified.
#[utoipa::path(post, path = "/v1/requests", tag = "bank", request_body = NewRequest, security(("zkreg_http_sig" = [])),
    responses((status = 201, body = ProofRequest)))]
pub async fn create_request(req: HttpRequest, node: web::Data<Node>, payload: web::Payload) -> Result<HttpResponse> {
    let (body, bank): (NewRequest, _) = bank_json(&req, payload, &node, node.config().max_request_body_bytes).await?;
    let request = blocking(move || node.create_request(body, &bank)).await?;
    Ok(HttpResponse::Created().json(request))
}

/// Verifies a presentation against the request this node issued for its
/// challenge, for the bank that asked for it. A refusal is 422 with the
/// verifier's code (`proof_rejected`, `root_not_in_window`,
/// `challenge_replayed`, …); the challenge is spent only by an accepted
/// presentation.
#[utoipa::path(post, path = "/v1/presentations/verify", tag = "bank", request_body = VerifyPresentation, security(("zkreg_http_sig" = [])),
    responses((status = 200, body = Verification)))]
pub async fn verify(req: HttpRequest, node: web::Data<Node>, payload: web::Payload) -> Result<HttpResponse> {
    let (body, bank): (VerifyPresentation, _) = bank_json(&req, payload, &node, node.config().max_body_bytes).await?;
    let mut out = blocking(move || node.verify_presentations(&bank.key, std::slice::from_ref(&body.presentation))).await?;
    let outcome: Result<Verification> = out.pop().unwrap_or_else(|| Err(ApiError::internal("no result for the presentation")));
    Ok(HttpResponse::Ok().json(outcome?))
}

/// Verifies up to 256 presentations for the signing bank, with the Groth16
/// proofs of all of them in one batch equation; one outcome per
/// presentation, in order (`forbidden` for another bank's challenge).
#[utoipa::path(post, path = "/v1/presentations/verify-batch", tag = "bank", request_body = VerifyBatch, security(("zkreg_http_sig" = [])),
    responses((status = 200, body = BatchOutcome)))]
pub async fn verify_batch(req: HttpRequest, node: web::Data<Node>, payload: web::Payload) -> Result<HttpResponse> {
    let (body, bank): (VerifyBatch, _) = bank_json(&req, payload, &node, node.config().max_body_bytes).await?;
    let results = blocking(move || node.verify_presentations(&bank.key, &body.presentations)).await?;
    let results = results
        .into_iter()
        .map(|outcome| match outcome {
            Ok(v) => Outcome::Verified(v),
            Err(e) => Outcome::Refused(Refusal { verified: false, code: e.code().into(), message: e.to_string() }),
        })
        .collect();
    Ok(HttpResponse::Ok().json(BatchOutcome { results }))
}
