//! The OpenAPI 3 document of the node's API, generated from the handlers'
//! `#[utoipa::path]` attributes and the [`crate::dto`] types, and served at
//! `GET /v1/openapi.json`.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use serde_json::{json, Value};
use utoipa::openapi::security::{ApiKey, ApiKeyValue, SecurityScheme};
use utoipa::{Modify, OpenApi};
use zkreg_circuits::request::MAX_PREDICATES;

use crate::dto;
use crate::http::routes::{bank, cluster, dp, governance, operations, private, public, regulator};

pub mod errors;

/// The API, as utoipa collects it.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "zkreg node API",
        description = "A privacy-preserving credit and identity registry. Public reads (chain, registry, roots, \
Merkle paths and buckets, credential status, counts) need no authentication. Regulators submit signed \
transactions. Banks create proof requests and verify presentations with requests signed by their ed25519 key \
(scheme `zkreg-http-sig/v1`: see the `zkreg_http_sig` security scheme). Every error is JSON `{code, message}` \
with a stable code; 4xx for the caller's mistakes, opaque 5xx. Each operation lists its error statuses with their \
codes (in the description, in `x-error-codes`, and as the `enum` of `code`); any path may also be answered 404 \
`not_found` (no such route) or 405 `method_not_allowed` (with `Allow`), listed in the document's `x-error-codes`."
    ),
    paths(
        operations::healthz,
        operations::readyz,
        operations::metrics,
        operations::openapi,
        public::status,
        public::block,
        regulator::submit,
        public::receipt,
        public::issuers,
        public::verifiers,
        public::schemas,
        public::verifying_keys,
        public::roots,
        public::path,
        public::bucket,
        public::credential,
        public::stats,
        public::daily_stats,
        public::activity_stats,
        governance::proposals,
        governance::proposal,
        public::anchor,
        public::audit_events,
        private::put_record,
        private::list_records,
        private::my_records,
        private::read_record,
        private::hold_record,
        private::purge_record,
        private::grant,
        private::rotate,
        private::audit,
        dp::grant_analyst,
        dp::query,
        dp::budget,
        dp::releases,
        bank::create_request,
        bank::verify,
        bank::verify_batch,
        cluster::status,
        cluster::init,
        cluster::add_learner,
        cluster::change_membership,
    ),
    components(schemas(
        dto::ErrorBody,
        dto::Verifier,
        zkreg_verifier::Operator,
        zkreg_verifier::Backend,
        zkreg_circuits::presentation::CredentialProof,
        zkreg_circuits::presentation::Groth16Proof,
        zkreg_circuits::presentation::BulletproofsProof,
        zkreg_circuits::range_statement::RangeProofBundle,
        dto::private::PrivateRecordBody,
        dto::private::PutRecord,
        dto::private::RecordInfo,
        dto::private::StoredRecord,
        dto::private::OpenedRecord,
        dto::private::HoldRecord,
        dto::private::NewGrantBody,
        dto::private::GrantInfo,
        dto::private::Rotation,
        dto::private::AuditEventBody,
        dto::private::AuditPage,
        dto::private::RecordAnchor,
        dto::private::AuditAnchor,
        dto::dp::NewAnalystBody,
        dto::dp::AnalystInfo,
        dto::dp::BinsBody,
        dto::dp::DpQueryBody,
        dto::dp::DpRelease,
        dto::dp::NoisyBin,
        dto::dp::DpBudget,
        dto::dp::DatasetBudget,
    )),
    modifiers(&HttpSignature),
    tags(
        (name = "public", description = "Reads anyone may make, without authentication"),
        (name = "regulator", description = "Signed ledger transactions (issue, revoke, governance)"),
        (name = "bank", description = "Proof requests and verification; requests signed by the bank's key"),
        (name = "operations", description = "Health, readiness, metrics, this document"),
        (name = "private", description = "A regulator's private records in its own node, sealed at rest: signed calls by the \
regulator, the record's holder, or an auditor under a grant; every access and refusal is audited"),
        (name = "private-statistics", description = "Differentially private histograms of a regulator's records: the regulator \
grants analysts a privacy budget per dataset, analysts ask signed queries within it (every query and refusal audited), \
anyone reads the noisy releases"),
        (name = "cluster", description = "The consortium cluster (Raft): status, and administration authenticated with the cluster secret"),
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
403 `forbidden` for a key the endpoint does not serve (the bank endpoints: registered verifiers; the private \
records: the issuing regulator, the record's holder, an auditor under a grant; private statistics: the regulator, \
an analyst it granted).",
            ))),
        );
    }
}

/// The document as JSON, built once: what utoipa generates, then the error
/// responses of every operation from [`errors::OPERATIONS`] and the schemas
/// utoipa cannot derive faithfully ([`wire_schemas`]).
pub fn document() -> &'static serde_json::Value {
    static DOC: OnceLock<serde_json::Value> = OnceLock::new();
    DOC.get_or_init(|| {
        let mut doc = serde_json::to_value(ApiDoc::openapi()).unwrap_or_else(|e| json!({"error": e.to_string()}));
        wire_schemas(&mut doc);
        error_responses(&mut doc);
        consistency_parameters(&mut doc);
        doc
    })
}

/// Every read under `/v1` takes the read-consistency parameter and header
/// ([`crate::http::consistency`]).
fn consistency_parameters(doc: &mut Value) {
    use crate::http::consistency::{CONSISTENCY_HEADER, CONSISTENCY_PARAM};
    let description = "`local` (the default): from this node's replica as it is, at most a block interval and a \
replication round behind the leader. `linearizable`: after every write acknowledged before the read was sent (the \
node learns the leader's commit index, confirmed by a quorum, and waits until it has applied it); 503 `no_leader`, \
`leader_changed` or `replica_behind` if it cannot in time. Query parameter and header are alternatives; any other \
value is 400 `bad_consistency`.";
    let schema = json!({"type": "string", "enum": ["local", "linearizable"], "default": "local"});
    let Some(paths) = doc["paths"].as_object_mut() else { return };
    for (path, item) in paths.iter_mut() {
        let Some(get) = item.get_mut("get").filter(|_| path.starts_with("/v1/")) else { continue };
        let params = get["parameters"].as_array().cloned().unwrap_or_default();
        let mut params = params;
        params.push(json!({"name": CONSISTENCY_PARAM, "in": "query", "required": false, "description": description, "schema": schema}));
        params.push(json!({"name": CONSISTENCY_HEADER, "in": "header", "required": false, "description": description, "schema": schema}));
        get["parameters"] = Value::Array(params);
    }
}

/// The phrase a status's response is described with.
fn reason(status: u16) -> &'static str {
    match status {
        400 => "The request is malformed",
        401 => "The request is not signed, or its signature is refused",
        403 => "The caller may not do this",
        404 => "Not found",
        405 => "The route does not answer this method",
        413 => "The body is larger than the node accepts",
        422 => "Refused",
        429 => "Too many requests; retry after `Retry-After` seconds",
        500 => "Failed inside the node (opaque; the cause is in the node's log)",
        503 => "The node cannot serve this now; retry later",
        _ => "Error",
    }
}

/// An `ErrorBody` whose `code` is one of `codes`.
fn error_schema(codes: &[&str]) -> Value {
    json!({"allOf": [
        {"$ref": "#/components/schemas/ErrorBody"},
        {"type": "object", "properties": {"code": {"type": "string", "enum": codes}}},
    ]})
}

/// Adds to every operation of the table one response per error status:
/// its codes in the description, in `x-error-codes`, and as the `enum` of
/// the body's `code`. A status the operation already documents (the 422
/// receipt of a refused transaction) keeps its schema as one option of
/// two. A batch's 200 lists its items' refusal codes in `x-refusal-codes`.
/// The document's `x-error-codes` lists what the router answers for any path.
fn error_responses(doc: &mut Value) {
    for op in errors::OPERATIONS {
        let Some(operation) = doc.pointer_mut(&format!("/paths/{}/{}", op.path.replace('/', "~1"), op.method)) else {
            continue;
        };
        let responses = &mut operation["responses"];
        for (status, codes) in errors::by_status(op.refusals) {
            let listed = codes.iter().map(|c| format!("`{c}`")).collect::<Vec<_>>().join(", ");
            let mut schema = error_schema(&codes);
            let mut description = format!("{}. `code`: {listed}.", reason(status));
            if let Some(documented) = responses.get(status.to_string()) {
                if let Some(other) = documented.pointer("/content/application~1json/schema") {
                    schema = json!({"oneOf": [other.clone(), schema]});
                }
                if let Some(text) = documented["description"].as_str() {
                    description = format!("{text}; or refused at submission, as `{{code, message}}`. `code`: {listed}.");
                }
            }
            let mut response = json!({
                "description": description,
                "content": {"application/json": {"schema": schema}},
                "x-error-codes": codes,
            });
            if status == 429 {
                response["headers"] = json!({"Retry-After": {
                    "description": "Seconds to wait before the next attempt",
                    "required": true,
                    "schema": {"type": "integer", "minimum": 1},
                }});
            }
            if status == 401 {
                response["headers"] = json!({"WWW-Authenticate": {
                    "description": "The scheme the node accepts (`Zkreg-Http-Sig version=\"v1\"`)",
                    "required": true,
                    "schema": {"type": "string"},
                }});
            }
            responses[status.to_string()] = response;
        }
        let item_codes = errors::by_status(op.item_codes).into_values().flatten().collect::<std::collections::BTreeSet<_>>();
        if !item_codes.is_empty() {
            responses["200"]["x-refusal-codes"] = json!(item_codes);
        }
    }
    let router = errors::by_status(&[errors::ROUTER]);
    doc["x-error-codes"] = json!(router.iter().map(|(status, codes)| (status.to_string(), codes)).collect::<BTreeMap<_, _>>());
}

/// Schemas of the wire formats that the derived ones get wrong.
///
/// A presentation's proofs are a serde internally tagged enum
/// (`#[serde(tag = "backend")]`): on the wire each proof is the fields of
/// `Groth16Proof` or `BulletproofsProof` plus `backend`. The derived schema
/// puts the tag beside a `$ref` to a struct that allows no other property,
/// so no proof validated. Here each struct's schema gains its `backend`
/// (required, one value) and `CredentialProof` is their `oneOf` with a
/// discriminator. Also: a request carries 1 to [`MAX_PREDICATES`] predicates.
fn wire_schemas(doc: &mut Value) {
    let schemas = &mut doc["components"]["schemas"];
    let mut mapping = serde_json::Map::new();
    for (name, tag) in [("Groth16Proof", "groth16"), ("BulletproofsProof", "bulletproofs")] {
        let schema = &mut schemas[name];
        schema["properties"]["backend"] =
            json!({"type": "string", "enum": [tag], "description": "The proof system: this proof's tag in a presentation"});
        if let Some(required) = schema["required"].as_array_mut() {
            required.insert(0, json!("backend"));
        }
        mapping.insert(tag.into(), json!(format!("#/components/schemas/{name}")));
    }
    schemas["CredentialProof"] = json!({
        "description": "One proof of a presentation, tagged by `backend`.",
        "oneOf": [{"$ref": "#/components/schemas/Groth16Proof"}, {"$ref": "#/components/schemas/BulletproofsProof"}],
        "discriminator": {"propertyName": "backend", "mapping": mapping},
    });
    let predicates = &mut schemas["ProofRequest"]["properties"]["predicates"];
    predicates["minItems"] = json!(1);
    predicates["maxItems"] = json!(MAX_PREDICATES);
}
