//! The OpenAPI 3 document of the node's API, generated from the handlers'
//! `#[utoipa::path]` attributes and the [`crate::dto`] types, and served at
//! `GET /v1/openapi.json`.

use std::sync::OnceLock;

use utoipa::openapi::security::{ApiKey, ApiKeyValue, SecurityScheme};
use utoipa::{Modify, OpenApi};

use crate::dto;
use crate::routes;

/// The API, as utoipa collects it.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "zkreg node API",
        description = "A privacy-preserving credit and identity registry. Public reads (chain, registry, roots, \
Merkle paths and buckets, credential status, counts) need no authentication. Regulators submit signed \
transactions. Banks create proof requests and verify presentations with requests signed by their ed25519 key \
(scheme `zkreg-http-sig/v1`: see the `zkreg_http_sig` security scheme). Every error is JSON `{code, message}` \
with a stable code; 4xx for the caller's mistakes, opaque 5xx."
    ),
    paths(
        routes::healthz,
        routes::readyz,
        routes::metrics,
        routes::openapi,
        routes::status,
        routes::block,
        routes::submit,
        routes::receipt,
        routes::issuers,
        routes::verifiers,
        routes::schemas,
        routes::verifying_keys,
        routes::roots,
        routes::path,
        routes::bucket,
        routes::credential,
        routes::stats,
        routes::create_request,
        routes::verify,
        routes::verify_batch,
    ),
    components(schemas(
        dto::ErrorBody,
        zkreg_verifier::Operator,
        zkreg_verifier::Backend,
        zkreg_circuits::presentation::CredentialProof,
        zkreg_circuits::presentation::Groth16Proof,
        zkreg_circuits::presentation::BulletproofsProof,
        zkreg_circuits::range_statement::RangeProofBundle,
    )),
    modifiers(&HttpSignature),
    tags(
        (name = "public", description = "Reads anyone may make, without authentication"),
        (name = "regulator", description = "Signed ledger transactions (issue, revoke, governance)"),
        (name = "bank", description = "Proof requests and verification; requests signed by the bank's key"),
        (name = "operations", description = "Health, readiness, metrics, this document"),
    )
)]
pub struct ApiDoc;

/// Declares the `zkreg_http_sig` security scheme.
struct HttpSignature;

impl Modify for HttpSignature {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "zkreg_http_sig",
            SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::with_description(
                crate::auth::SIGNATURE_HEADER,
                "zkreg-http-sig/v1: four headers. `zkreg-key`: the caller's ed25519 public key (64 hex digits); \
`zkreg-timestamp`: unix seconds (within ±300 s of the node's clock); `zkreg-nonce`: 16 to 64 hex digits never \
reused by the key; `zkreg-signature`: ed25519 signature (128 hex digits) of the UTF-8 text \
`zkreg-http-sig/v1\\n<METHOD>\\n<path and query>\\n<hex SHA-256 of the body>\\n<timestamp>\\n<nonce>`. \
Errors: 401 `unsigned`, `stale_timestamp`, `weak_key`, `bad_signature`, `replayed_nonce`; 400 `bad_auth_header`; \
403 `forbidden` for a key that is not a bank's.",
            ))),
        );
    }
}

/// The document as JSON, built once.
pub fn document() -> &'static serde_json::Value {
    static DOC: OnceLock<serde_json::Value> = OnceLock::new();
    DOC.get_or_init(|| serde_json::to_value(ApiDoc::openapi()).unwrap_or_else(|e| serde_json::json!({"error": e.to_string()})))
}
