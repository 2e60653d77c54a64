//! The OpenAPI document at `/v1/openapi.json` describes the API the node
//! actually serves: it is valid OpenAPI by a real validator; every
//! documented operation is routed; what the node answers, and what wallets
//! and banks send it (requests, presentations of both backends), matches
//! the documented schemas; every refusal is JSON with exactly `code` and
//! `message`, and its code is listed for its operation and status. Also:
//! issued proof requests survive a restart.
//!
//! The real validator is Python's `openapi-spec-validator` (and `jsonschema`,
//! which it depends on), run by `tests/openapi_validate.py` with the Python
//! named by `ZKREG_OPENAPI_PYTHON`, else `python3`. Without it those checks
//! are skipped with a note on stderr, unless `ZKREG_REQUIRE_OPENAPI_VALIDATOR=1`
//! (CI sets it: `.ci/run`), which turns a missing validator into a failure.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::{json, Value};

use common::*;
use zkreg_api::now_secs;
use zkreg_prover::{HeldCredential, Wallet};
use zkreg_suite::{at_least, rng};
use zkreg_verifier::{Backend, PredicateSpec};

/// `GET url`: status and body (JSON, or the text as a JSON string).
fn get(url: &str) -> (u16, Value) {
    let mut r = agent().get(url).call().unwrap();
    let status = r.status().as_u16();
    let text = r.body_mut().read_to_string().unwrap();
    (status, serde_json::from_str(&text).unwrap_or(Value::String(text)))
}

/// Follows a local `$ref` (`#/components/schemas/X`).
fn resolve<'a>(doc: &'a Value, schema: &'a Value) -> &'a Value {
    match schema.get("$ref").and_then(Value::as_str) {
        Some(r) => {
            let name = r.strip_prefix("#/components/schemas/").unwrap_or_else(|| panic!("non-local $ref {r}"));
            resolve(doc, &doc["components"]["schemas"][name])
        }
        None => schema,
    }
}

fn type_matches(ty: &str, value: &Value) -> bool {
    match ty {
        "object" => value.is_object(),
        "array" => value.is_array(),
        "string" => value.is_string(),
        "integer" => value.is_u64() || value.is_i64(),
        "number" => value.is_number(),
        "boolean" => value.is_boolean(),
        "null" => value.is_null(),
        other => panic!("unknown schema type {other}"),
    }
}

/// Every property name `schema` documents, through `allOf`/`oneOf`/`anyOf`.
fn documented(doc: &Value, schema: &Value, names: &mut std::collections::BTreeSet<String>) {
    let schema = resolve(doc, schema);
    names.extend(schema["properties"].as_object().into_iter().flat_map(|p| p.keys().cloned()));
    for key in ["oneOf", "anyOf", "allOf"] {
        for part in schema[key].as_array().into_iter().flatten() {
            documented(doc, part, names);
        }
    }
}

/// Checks `value` against `schema`; returns what does not match, by JSON path.
/// Beyond JSON Schema, an object may hold only properties the schema
/// documents somewhere (the API's bodies have no open-ended maps).
fn check(doc: &Value, schema: &Value, value: &Value, at: &str, errors: &mut Vec<String>) {
    if let Some(object) = value.as_object() {
        let mut names = std::collections::BTreeSet::new();
        documented(doc, schema, &mut names);
        if !names.is_empty() {
            for key in object.keys().filter(|k| !names.contains(*k)) {
                errors.push(format!("{at}: undocumented property {key}"));
            }
        }
    }
    check_schema(doc, schema, value, at, errors);
}

/// JSON Schema's own rules (types, required, properties, items, combinators).
fn check_schema(doc: &Value, schema: &Value, value: &Value, at: &str, errors: &mut Vec<String>) {
    let schema = resolve(doc, schema);
    for key in ["oneOf", "anyOf", "allOf"] {
        if let Some(options) = schema.get(key).and_then(Value::as_array) {
            let fitting = options
                .iter()
                .filter(|o| {
                    let mut e = Vec::new();
                    check_schema(doc, o, value, at, &mut e);
                    e.is_empty()
                })
                .count();
            let ok = match key {
                "oneOf" => fitting == 1,
                "anyOf" => fitting >= 1,
                _ => fitting == options.len(),
            };
            if !ok {
                errors.push(format!("{at}: {value} fits {fitting} of the {} {key} options", options.len()));
            }
        }
    }
    if let Some(allowed) = schema.get("enum").and_then(Value::as_array) {
        if !allowed.contains(value) {
            errors.push(format!("{at}: {value} is not one of {allowed:?}"));
        }
    }
    if let Some(n) = value.as_f64() {
        if schema.get("minimum").and_then(Value::as_f64).is_some_and(|min| n < min) {
            errors.push(format!("{at}: {value} is below the minimum {}", schema["minimum"]));
        }
        if schema.get("maximum").and_then(Value::as_f64).is_some_and(|max| n > max) {
            errors.push(format!("{at}: {value} is above the maximum {}", schema["maximum"]));
        }
    }
    if let Some(list) = value.as_array() {
        if schema.get("minItems").and_then(Value::as_u64).is_some_and(|min| (list.len() as u64) < min) {
            errors.push(format!("{at}: fewer than {} items", schema["minItems"]));
        }
        if schema.get("maxItems").and_then(Value::as_u64).is_some_and(|max| (list.len() as u64) > max) {
            errors.push(format!("{at}: more than {} items", schema["maxItems"]));
        }
    }
    if let (Some(false), Some(object)) = (schema.get("additionalProperties").and_then(Value::as_bool), value.as_object()) {
        let props = schema["properties"].as_object();
        for key in object.keys().filter(|k| !props.is_some_and(|p| p.contains_key(*k))) {
            errors.push(format!("{at}: {key} is not allowed (additionalProperties: false)"));
        }
    }
    let types: Vec<&str> = match &schema["type"] {
        Value::String(t) => vec![t.as_str()],
        Value::Array(ts) => ts.iter().filter_map(Value::as_str).collect(),
        _ => vec![],
    };
    if !types.is_empty() && !types.iter().any(|t| type_matches(t, value)) {
        errors.push(format!("{at}: {value} is not {types:?}"));
        return;
    }
    if let (Some(props), Some(object)) = (schema.get("properties").and_then(Value::as_object), value.as_object()) {
        for required in schema["required"].as_array().into_iter().flatten().filter_map(Value::as_str) {
            if !object.contains_key(required) {
                errors.push(format!("{at}: missing required {required}"));
            }
        }
        for (key, v) in object {
            if let Some(p) = props.get(key) {
                check(doc, p, v, &format!("{at}.{key}"), errors);
            }
        }
    }
    if let (Some(items), Some(list)) = (schema.get("items"), value.as_array()) {
        for (i, v) in list.iter().enumerate() {
            check(doc, items, v, &format!("{at}[{i}]"), errors);
        }
    }
}

/// The documented schema of `method path`'s answer with `status`.
fn response_schema<'a>(doc: &'a Value, path: &str, method: &str, status: u16) -> &'a Value {
    let response = &doc["paths"][path][method]["responses"][status.to_string()];
    assert!(!response.is_null(), "{method} {path} does not document status {status}");
    response["content"].as_object().and_then(|c| c.values().next()).map(|c| &c["schema"]).unwrap_or(&Value::Null)
}

fn assert_matches(doc: &Value, path: &str, method: &str, status: u16, body: &Value) {
    let schema = response_schema(doc, path, method, status);
    let mut errors = Vec::new();
    check(doc, schema, body, "$", &mut errors);
    assert!(errors.is_empty(), "{method} {path} answered {status} with {body} which does not match {schema}: {errors:?}");
}

#[test]
fn the_document_is_openapi_3_and_lists_every_operation() {
    let app = spawn_app();
    let (status, doc) = get(&format!("{}/v1/openapi.json", app.base));
    assert_eq!(status, 200);
    assert!(doc["openapi"].as_str().is_some_and(|v| v.starts_with("3.")), "{}", doc["openapi"]);
    let mut operations: Vec<String> = doc["paths"]
        .as_object()
        .unwrap()
        .iter()
        .flat_map(|(path, item)| item.as_object().unwrap().keys().map(move |m| format!("{} {path}", m.to_uppercase())))
        .collect();
    operations.sort();
    let expected = [
        "GET /healthz",
        "GET /metrics",
        "GET /readyz",
        "GET /v1/anchors/{record_hash}",
        "GET /v1/audit-events/{key}",
        "GET /v1/blocks/{height}",
        "GET /v1/buckets/{leaf}",
        "GET /v1/cluster/status",
        "GET /v1/credentials/{commitment}",
        "GET /v1/governance/proposals",
        "GET /v1/governance/proposals/{id}",
        "GET /v1/issuers",
        "GET /v1/openapi.json",
        "GET /v1/paths/{leaf}",
        "GET /v1/private/audit",
        "GET /v1/private/records",
        "GET /v1/private/records/mine",
        "GET /v1/private/records/{id}",
        "GET /v1/roots",
        "GET /v1/schemas",
        "GET /v1/stats",
        "GET /v1/stats/activity",
        "GET /v1/stats/daily",
        "GET /v1/stats/private/budget",
        "GET /v1/stats/private/releases",
        "GET /v1/status",
        "GET /v1/transactions/{id}",
        "GET /v1/verifiers",
        "GET /v1/verifying-keys",
        "POST /v1/cluster/init",
        "POST /v1/cluster/learners",
        "POST /v1/cluster/membership",
        "POST /v1/presentations/verify",
        "POST /v1/presentations/verify-batch",
        "POST /v1/private/grants",
        "POST /v1/private/records",
        "POST /v1/private/records/{id}/hold",
        "POST /v1/private/records/{id}/purge",
        "POST /v1/private/rotate",
        "POST /v1/requests",
        "POST /v1/stats/private/analysts",
        "POST /v1/stats/private/query",
        "POST /v1/transactions",
    ];
    assert_eq!(operations, expected);
    // The bank operations name the signature scheme, which is declared.
    for path in ["/v1/requests", "/v1/presentations/verify", "/v1/presentations/verify-batch"] {
        assert_eq!(doc["paths"][path]["post"]["security"], json!([{"zkreg_http_sig": []}]), "{path}");
    }
    assert_eq!(doc["components"]["securitySchemes"]["zkreg_http_sig"]["in"], "header");
    assert_eq!(doc["components"]["securitySchemes"]["zkreg_http_sig"]["name"], "zkreg-signature");
    // Every operation is routed: none answers the router's "no such route".
    let agent = agent();
    for op in &operations {
        let (method, path) = op.split_once(' ').unwrap();
        let concrete =
            path.replace("{height}", "0").replace("{leaf}", "0").replace("{commitment}", &"00".repeat(32)).replace("{id}", &"00".repeat(32))
            .replace("{record_hash}", &"00".repeat(32))
            .replace("{key}", &"00".repeat(32));
        let url = format!("{}{concrete}", app.base);
        let mut r = if method == "GET" { agent.get(&url).call() } else { agent.post(&url).send("{}") }.unwrap();
        let body: Value = r.body_mut().read_json().unwrap_or(Value::Null);
        assert_ne!(body["message"], "no such route", "{op} is documented but not routed");
    }
}

#[test]
fn answers_match_their_documented_schemas() {
    let app = spawn_app();
    let base = &app.base;
    let (_, doc) = get(&format!("{base}/v1/openapi.json"));
    let (client, bank) = (&app.client, &app.bank);
    let request = client
        .post(
            "/v1/requests",
            &json!({"verifier": "bank-a", "scope": "bank-a/loans", "predicates": [{"schema": "credit-score", "op": ">=", "value": 700}]}),
            Some(bank),
        )
        .unwrap();
    assert_matches(&doc, "/v1/requests", "post", 201, &request);
    // A governance proposal (the dev genesis' threshold is 1: applied at once).
    let change = zkreg_registry::governance::GovernanceChange::RegisterSchema { name: "mortgage".into(), description: "EUR".into() };
    let proposed = client.submit(&app.chain_id, &app.authority, zkreg_registry::TxBody::Propose { change }).unwrap();
    for (path, concrete, status) in [
        ("/v1/governance/proposals", "/v1/governance/proposals".to_string(), 200),
        ("/v1/governance/proposals", "/v1/governance/proposals?status=applied".to_string(), 200),
        ("/v1/governance/proposals", "/v1/governance/proposals?status=open".to_string(), 400),
        ("/v1/governance/proposals/{id}", format!("/v1/governance/proposals/{}", proposed.tx_id), 200),
        ("/v1/governance/proposals/{id}", format!("/v1/governance/proposals/{}", "00".repeat(32)), 404),
        ("/v1/governance/proposals/{id}", "/v1/governance/proposals/zz".to_string(), 400),
    ] {
        let (got, body) = get(&format!("{base}{concrete}"));
        assert_eq!(got, status, "GET {concrete}: {body}");
        assert_matches(&doc, path, "get", status, &body);
        if status == 200 && path.ends_with("{id}") {
            assert_eq!(body["status"], "applied", "{body}");
        }
    }
    for (path, concrete, status) in [
        ("/healthz", "/healthz".to_string(), 200),
        ("/readyz", "/readyz".to_string(), 200),
        ("/v1/status", "/v1/status".to_string(), 200),
        ("/v1/blocks/{height}", "/v1/blocks/0".to_string(), 200),
        ("/v1/blocks/{height}", "/v1/blocks/999999".to_string(), 404),
        ("/v1/blocks/{height}", "/v1/blocks/-1".to_string(), 400),
        ("/v1/issuers", "/v1/issuers".to_string(), 200),
        ("/v1/verifiers", "/v1/verifiers".to_string(), 200),
        ("/v1/schemas", "/v1/schemas".to_string(), 200),
        ("/v1/verifying-keys", "/v1/verifying-keys".to_string(), 200),
        ("/v1/roots", "/v1/roots".to_string(), 200),
        ("/v1/stats", "/v1/stats".to_string(), 200),
        ("/v1/stats/daily", "/v1/stats/daily?schema=credit-score".to_string(), 200),
        ("/v1/stats/daily", "/v1/stats/daily?from=2026-02-30".to_string(), 400),
        ("/v1/stats/activity", "/v1/stats/activity".to_string(), 200),
        ("/v1/stats/activity", "/v1/stats/activity?from=2026-12-02&to=2026-01-01".to_string(), 400),
        ("/v1/paths/{leaf}", "/v1/paths/0".to_string(), 404),
        ("/v1/buckets/{leaf}", "/v1/buckets/0?levels=9".to_string(), 400),
        ("/v1/credentials/{commitment}", format!("/v1/credentials/{}", "00".repeat(32)), 404),
        ("/v1/credentials/{commitment}", "/v1/credentials/zz".to_string(), 400),
        ("/v1/transactions/{id}", format!("/v1/transactions/{}", "ab".repeat(32)), 404),
    ] {
        let (got, body) = get(&format!("{base}{concrete}"));
        assert_eq!(got, status, "GET {concrete}: {body}");
        assert_matches(&doc, path, "get", status, &body);
    }
    // Refusals: a presentation answering no request of this node.
    let stray = json!({"version": 1, "challenge": "00".repeat(32), "proofs": []});
    let batch = client.post("/v1/presentations/verify-batch", &json!({"presentations": [stray]}), Some(bank)).unwrap();
    assert_eq!(batch["results"][0]["code"], "challenge_unknown", "{batch}");
    assert_matches(&doc, "/v1/presentations/verify-batch", "post", 200, &batch);
    let refused = client.post("/v1/presentations/verify", &json!({"presentation": stray}), Some(bank)).unwrap_err();
    assert!(refused.to_string().contains("422"), "{refused}");
    // A refused body is documented too.
    let mut r = agent().post(&format!("{base}/v1/transactions")).header("content-type", "application/json").send("{\"tx\": 5}").unwrap();
    assert_eq!(r.status().as_u16(), 400);
    let body: Value = r.body_mut().read_json().unwrap();
    assert_matches(&doc, "/v1/transactions", "post", 400, &body);
    // The checker itself refuses what does not match.
    let mut errors = Vec::new();
    check(&doc, response_schema(&doc, "/v1/status", "get", 200), &json!({"chain_id": 5, "extra": true}), "$", &mut errors);
    assert!(errors.iter().any(|e| e.contains("missing required height")), "{errors:?}");
    assert!(errors.iter().any(|e| e.contains("undocumented property extra")), "{errors:?}");
    assert!(errors.iter().any(|e| e.contains("is not")), "{errors:?}");
}

/// Proof requests live in the node's database: one issued before a restart
/// is still known after it, to the bank that asked for it only.
#[test]
fn an_issued_request_is_remembered_across_a_restart() {
    let mut app = spawn_app();
    app.register_predicate_key();
    let challenge = new_request(&app, 700).challenge;
    app.restart();
    // A presentation with no proofs for the remembered request: refused for
    // its proof count, which is checked only once the request is found.
    let empty = json!({"presentations": [{"version": 1, "challenge": challenge, "proofs": []}]});
    for (key, code) in [(&app.bank, "wrong_proof_count"), (&app.other_bank, "forbidden")] {
        let answer = app.client.post("/v1/presentations/verify-batch", &empty, Some(key)).unwrap();
        assert_eq!(answer["results"][0]["code"], code, "{answer}");
    }
    let unknown = json!({"presentations": [{"version": 1, "challenge": "ab".repeat(32), "proofs": []}]});
    let answer = app.client.post("/v1/presentations/verify-batch", &unknown, Some(&app.bank)).unwrap();
    assert_eq!(answer["results"][0]["code"], "challenge_unknown", "{answer}");
}

// ---------------------------------------------------------------------------
// The real validator.
// ---------------------------------------------------------------------------

/// A Python that has `openapi-spec-validator` and `jsonschema`, or `None`
/// (after a note on stderr) if the checks are to be skipped. Panics if it is
/// missing and `ZKREG_REQUIRE_OPENAPI_VALIDATOR=1`.
fn locate_validator() -> Option<PathBuf> {
    let python = std::env::var_os("ZKREG_OPENAPI_PYTHON").map(PathBuf::from).unwrap_or_else(|| "python3".into());
    let found = Command::new(&python)
        .args(["-c", "import openapi_spec_validator, jsonschema, referencing"])
        .output()
        .is_ok_and(|out| out.status.success());
    if found {
        return Some(python);
    }
    if std::env::var("ZKREG_REQUIRE_OPENAPI_VALIDATOR").as_deref() == Ok("1") {
        panic!(
            "{} has no openapi-spec-validator but ZKREG_REQUIRE_OPENAPI_VALIDATOR=1: \
             pip install -r .ci/openapi-requirements.txt (or set ZKREG_OPENAPI_PYTHON)",
            python.display()
        );
    }
    eprintln!("openapi-spec-validator not installed; skipping the real validator: pip install -r .ci/openapi-requirements.txt");
    None
}

/// Runs `tests/openapi_validate.py` on `doc` and `instances` (`[{what,
/// schema, value}]`); returns whether it passed and what it printed.
fn run_validator(python: &Path, doc: &Value, instances: &[Value]) -> (bool, String) {
    let dir = tempfile::tempdir().unwrap();
    let (doc_file, instances_file) = (dir.path().join("openapi.json"), dir.path().join("instances.json"));
    std::fs::write(&doc_file, serde_json::to_vec_pretty(doc).unwrap()).unwrap();
    std::fs::write(&instances_file, serde_json::to_vec(instances).unwrap()).unwrap();
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/openapi_validate.py");
    let out = Command::new(python)
        .arg(&script)
        .arg(&doc_file)
        .arg(&instances_file)
        .output()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", python.display()));
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    (out.status.success(), text)
}

/// The schema of `method path`'s request body.
fn body_schema<'a>(doc: &'a Value, path: &str, method: &str) -> &'a Value {
    let schema = &doc["paths"][path][method]["requestBody"]["content"]["application/json"]["schema"];
    assert!(!schema.is_null(), "{method} {path} documents no JSON body");
    schema
}

/// Something to validate: a body sent or answered, and its documented schema.
struct Instance {
    what: String,
    schema: Value,
    value: Value,
}

impl Instance {
    fn sent(doc: &Value, path: &str, value: &Value) -> Self {
        Instance { what: format!("POST {path} body"), schema: body_schema(doc, path, "post").clone(), value: value.clone() }
    }

    fn answered(doc: &Value, path: &str, method: &str, status: u16, value: &Value) -> Self {
        let schema = response_schema(doc, path, method, status).clone();
        Instance { what: format!("{method} {path} {status} answer"), schema, value: value.clone() }
    }
}

/// Checks every instance with the in-test checker, then with the real
/// validator if it is installed.
fn validate_all(doc: &Value, instances: &[Instance]) {
    for i in instances {
        let mut errors = Vec::new();
        check(doc, &i.schema, &i.value, "$", &mut errors);
        assert!(errors.is_empty(), "{}: {} does not match {}: {errors:?}", i.what, i.value, i.schema);
    }
    if let Some(python) = locate_validator() {
        let list: Vec<Value> = instances.iter().map(|i| json!({"what": i.what, "schema": i.schema, "value": i.value})).collect();
        let (ok, out) = run_validator(&python, doc, &list);
        assert!(ok, "the real validator refused:\n{out}");
    }
}

#[test]
fn the_document_is_valid_openapi_by_a_real_validator() {
    let app = spawn_app();
    let (status, doc) = get(&format!("{}/v1/openapi.json", app.base));
    assert_eq!(status, 200);
    // For CI, which also runs the validator's own command line on it.
    let dump = Path::new(env!("CARGO_TARGET_TMPDIR")).join("openapi.json");
    std::fs::write(&dump, serde_json::to_vec_pretty(&doc).unwrap()).unwrap();
    // What the audit found, fixed: `levels` is a query parameter of 1 to 8.
    let params = doc["paths"]["/v1/buckets/{leaf}"]["get"]["parameters"].as_array().unwrap();
    let levels = params.iter().find(|p| p["name"] == "levels").unwrap();
    assert_eq!((&levels["in"], &levels["schema"]["minimum"], &levels["schema"]["maximum"]), (&json!("query"), &json!(1), &json!(8)));
    let Some(python) = locate_validator() else { return };
    let (ok, out) = run_validator(&python, &doc, &[]);
    assert!(ok, "openapi-spec-validator refused the document:\n{out}");
    // The validator is not a no-op: a path parameter the path does not name is refused.
    let mut broken = doc.clone();
    broken["paths"]["/v1/buckets/{leaf}"]["get"]["parameters"].as_array_mut().unwrap().iter_mut().for_each(|p| p["in"] = json!("path"));
    let (ok, out) = run_validator(&python, &broken, &[]);
    assert!(!ok, "a broken document passed:\n{out}");
}

#[test]
fn real_requests_and_presentations_of_both_backends_match_their_schemas() {
    let mut app = spawn_app();
    let (_, doc) = get(&format!("{}/v1/openapi.json", app.base));
    app.register_predicate_key();
    let mut instances = Vec::new();
    let (_, status) = app.get("/v1/status");
    instances.push(Instance::answered(&doc, "/v1/status", "get", 200, &status));
    assert_eq!(status["root_window_blocks"], json!(ROOT_WINDOW), "{status}");

    let wallet = Wallet::generate(&mut rng(60));
    let opening = issue(&mut app, &wallet, 720, 61);
    let (range, _) = issue_range(&mut app, &wallet, CREDIT, 720, today() + 30, 62);
    let leaf = opening.leaf_index.unwrap();
    for path in [format!("/v1/paths/{leaf}"), format!("/v1/buckets/{leaf}?levels=2")] {
        let (code, answer) = app.get(&path);
        assert_eq!(code, 200, "{path}: {answer}");
        let documented = if path.starts_with("/v1/paths") { "/v1/paths/{leaf}" } else { "/v1/buckets/{leaf}" };
        instances.push(Instance::answered(&doc, documented, "get", 200, &answer));
    }
    let (_, credential) = app.credential(&zkreg_circuits::field::fr_to_bytes(&opening.commitment));
    instances.push(Instance::answered(&doc, "/v1/credentials/{commitment}", "get", 200, &credential));

    let mut presentations = Vec::new();
    for (backend, held, seed) in
        [(Backend::Groth16, HeldCredential::Groth16(opening.clone()), 63), (Backend::Bulletproofs, HeldCredential::Bulletproofs(range), 64)]
    {
        // Two requests for each: one verified alone, one in a batch.
        for round in 0..2 {
            let spec = PredicateSpec { backend, ..at_least(CREDIT, 700, REGULATOR) };
            let body = json!({"verifier": "bank-a", "scope": SCOPE, "predicates": [spec], "ttl_seconds": 600});
            instances.push(Instance::sent(&doc, "/v1/requests", &body));
            let (code, request) = app.post_as(&app.bank, "/v1/requests", &body);
            assert_eq!(code, 201, "{request}");
            instances.push(Instance::answered(&doc, "/v1/requests", "post", 201, &request));
            let request = serde_json::from_value(request).unwrap();
            let presentation = prove(&app, &wallet, &[held.clone()], &request, today(), seed + 10 * round).unwrap();
            let presentation = serde_json::to_value(&presentation).unwrap();
            assert_eq!(presentation["proofs"][0]["backend"], json!(backend), "{presentation}");
            presentations.push(presentation);
        }
    }
    for (i, p) in presentations.iter().enumerate().filter(|(i, _)| i % 2 == 0) {
        let body = json!({"presentation": p});
        instances.push(Instance::sent(&doc, "/v1/presentations/verify", &body));
        let (code, answer) = app.post_as(&app.bank, "/v1/presentations/verify", &body);
        assert_eq!(code, 200, "presentation {i}: {answer}");
        instances.push(Instance::answered(&doc, "/v1/presentations/verify", "post", 200, &answer));
    }
    // The batch: the two fresh presentations and one already spent.
    let body = json!({"presentations": [presentations[1], presentations[3], presentations[0]]});
    instances.push(Instance::sent(&doc, "/v1/presentations/verify-batch", &body));
    let (code, answer) = app.post_as(&app.bank, "/v1/presentations/verify-batch", &body);
    assert_eq!(code, 200, "{answer}");
    let verified: Vec<_> = answer["results"].as_array().unwrap().iter().map(|r| r["verified"].clone()).collect();
    assert_eq!(verified, [json!(true), json!(true), json!(false)], "{answer}");
    assert_eq!(answer["results"][2]["code"], "challenge_replayed", "{answer}");
    instances.push(Instance::answered(&doc, "/v1/presentations/verify-batch", "post", 200, &answer));

    // The checkers refuse what does not match: a proof without its backend,
    // and one with a property the wire format does not have.
    let mut untagged = presentations[0].clone();
    untagged["proofs"][0].as_object_mut().unwrap().remove("backend");
    let mut extra = presentations[2].clone();
    extra["proofs"][0]["extra"] = json!(1);
    for bad in [untagged, extra] {
        let mut errors = Vec::new();
        check(&doc, body_schema(&doc, "/v1/presentations/verify", "post"), &json!({"presentation": bad}), "$", &mut errors);
        assert!(!errors.is_empty(), "{bad} passed the in-test checker");
        if let Some(python) = locate_validator() {
            let schema = body_schema(&doc, "/v1/presentations/verify", "post");
            let (ok, out) = run_validator(&python, &doc, &[json!({"what": "bad", "schema": schema, "value": {"presentation": bad}})]);
            assert!(!ok, "{bad} passed the real validator: {out}");
        }
    }
    validate_all(&doc, &instances);
}

/// One refusal to provoke: the documented operation, how to call it, and
/// the status and code expected.
struct Refusal {
    name: &'static str,
    method: &'static str,
    path: &'static str,
    target: String,
    content_type: &'static str,
    body: String,
    headers: Headers,
    status: u16,
    code: &'static str,
}

fn get_case(name: &'static str, path: &'static str, target: impl Into<String>, status: u16, code: &'static str) -> Refusal {
    Refusal { name, method: "get", path, target: target.into(), content_type: "", body: String::new(), headers: vec![], status, code }
}

fn post_case(name: &'static str, path: &'static str, body: impl Into<String>, headers: Headers, status: u16, code: &'static str) -> Refusal {
    let content_type = "application/json";
    Refusal { name, method: "post", path, target: path.into(), content_type, body: body.into(), headers, status, code }
}

/// Sends `case`: status, headers, body text.
fn provoke(base: &str, case: &Refusal) -> (u16, ureq::http::HeaderMap, String) {
    let url = format!("{base}{}", case.target);
    let mut response = if case.method == "get" {
        agent().get(&url).call().unwrap()
    } else {
        let mut req = agent().post(&url).header("content-type", case.content_type);
        for (name, value) in &case.headers {
            req = req.header(*name, value);
        }
        req.send(case.body.as_str()).unwrap()
    };
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    (status, headers, response.body_mut().read_to_string().unwrap_or_default())
}

/// `text` is a JSON object of exactly `code` (a string) and `message`; returns the code.
fn error_code(what: &str, text: &str) -> String {
    let body: Value = serde_json::from_str(text).unwrap_or_else(|e| panic!("{what}: not JSON ({e}): {text:?}"));
    let keys: Vec<&String> = body.as_object().unwrap_or_else(|| panic!("{what}: not an object: {text}")).keys().collect();
    assert_eq!(keys, ["code", "message"], "{what}: {text}");
    assert!(body["message"].is_string(), "{what}: {text}");
    body["code"].as_str().unwrap_or_else(|| panic!("{what}: code is not a string: {text}")).to_owned()
}

/// The codes `doc` lists for `method path` answering `status`.
fn listed_codes(doc: &Value, path: &str, method: &str, status: u16) -> Vec<String> {
    let response = &doc["paths"][path][method]["responses"][status.to_string()];
    serde_json::from_value(response["x-error-codes"].clone()).unwrap_or_default()
}

#[test]
fn every_refusal_is_json_code_and_message_and_listed_for_its_operation() {
    let mut app = spawn_app();
    let (_, doc) = get(&format!("{}/v1/openapi.json", app.base));
    let hash = "ab".repeat(32);
    let huge = "a".repeat(70 * 1024);
    let requests = "/v1/requests";
    let verify = "/v1/presentations/verify";
    let batch = "/v1/presentations/verify-batch";
    let request_body = request_body(700).to_string();
    let sign = |key, path: &str, body: &str| signed(key, path, body);
    // Signature headers with one header changed.
    let altered = |index: usize, value: String| {
        let mut h = sign(&app.bank, requests, &request_body);
        h[index].1 = value;
        h
    };
    // A request made before any verifying key is registered: its
    // presentation finds the node unable to verify (503).
    let early = new_request(&app, 700).challenge;
    let early_presentation = json!({"presentation": {"version": 1, "challenge": early, "proofs": []}}).to_string();
    let stray = json!({"presentation": {"version": 1, "challenge": "00".repeat(32), "proofs": []}}).to_string();
    let too_many = json!({"presentations": vec![json!({"version": 1, "challenge": "00".repeat(32), "proofs": []}); 257]}).to_string();
    let regulator = app.regulator.clone();

    let mut cases = vec![
        get_case("block height negative", "/v1/blocks/{height}", "/v1/blocks/-1", 400, "bad_number"),
        get_case("block height not a number", "/v1/blocks/{height}", "/v1/blocks/abc", 400, "bad_number"),
        get_case("block height past u64", "/v1/blocks/{height}", "/v1/blocks/18446744073709551616", 400, "bad_number"),
        get_case("no such block", "/v1/blocks/{height}", "/v1/blocks/999999", 404, "not_found"),
        get_case("transaction id not hex", "/v1/transactions/{id}", "/v1/transactions/zz", 400, "bad_hex"),
        get_case("no such transaction", "/v1/transactions/{id}", format!("/v1/transactions/{hash}"), 404, "not_found"),
        get_case("commitment not hex", "/v1/credentials/{commitment}", "/v1/credentials/zz", 400, "bad_hex"),
        get_case("commitment too short", "/v1/credentials/{commitment}", "/v1/credentials/abcd", 400, "bad_hex"),
        get_case("no such credential", "/v1/credentials/{commitment}", format!("/v1/credentials/{hash}"), 404, "not_found"),
        get_case("leaf not a number", "/v1/paths/{leaf}", "/v1/paths/x", 400, "bad_number"),
        get_case("no such leaf", "/v1/paths/{leaf}", "/v1/paths/0", 404, "not_found"),
        get_case("leaf past the tree", "/v1/paths/{leaf}", "/v1/paths/4294967296", 404, "not_found"),
        get_case("bucket leaf not a number", "/v1/buckets/{leaf}", "/v1/buckets/x", 400, "bad_number"),
        get_case("levels negative", "/v1/buckets/{leaf}", "/v1/buckets/0?levels=-1", 400, "bad_query"),
        get_case("levels not a number", "/v1/buckets/{leaf}", "/v1/buckets/0?levels=abc", 400, "bad_query"),
        get_case("unknown query field", "/v1/buckets/{leaf}", "/v1/buckets/0?x=1", 400, "bad_query"),
        get_case("levels 0", "/v1/buckets/{leaf}", "/v1/buckets/0?levels=0", 400, "bad_levels"),
        get_case("levels 9", "/v1/buckets/{leaf}", "/v1/buckets/0?levels=9", 400, "bad_levels"),
        get_case("proposal status unknown", "/v1/governance/proposals", "/v1/governance/proposals?status=open", 400, "bad_query"),
        get_case("proposals unknown query field", "/v1/governance/proposals", "/v1/governance/proposals?x=1", 400, "bad_query"),
        get_case("proposal id not hex", "/v1/governance/proposals/{id}", "/v1/governance/proposals/zz", 400, "bad_hex"),
        get_case("no such proposal", "/v1/governance/proposals/{id}", format!("/v1/governance/proposals/{hash}"), 404, "not_found"),
        post_case("transaction not JSON", "/v1/transactions", "{", vec![], 400, "bad_json"),
        post_case("transaction tx not a string", "/v1/transactions", r#"{"tx": 5}"#, vec![], 400, "bad_json"),
        post_case("transaction unknown field", "/v1/transactions", r#"{"tx": "00", "x": 1}"#, vec![], 400, "bad_json"),
        post_case("transaction not hex", "/v1/transactions", r#"{"tx": "zz"}"#, vec![], 400, "bad_hex"),
        post_case("transaction malformed", "/v1/transactions", r#"{"tx": "00"}"#, vec![], 422, "malformed"),
        post_case("transaction too large", "/v1/transactions", json!({"tx": huge}).to_string(), vec![], 413, "body_too_large"),
        post_case("request unsigned", requests, request_body.clone(), vec![], 401, "unsigned"),
        post_case("request without signature header", requests, request_body.clone(), altered(0, String::new())[1..].to_vec(), 400, "bad_auth_header"),
        post_case("request key not hex", requests, request_body.clone(), altered(0, "zz".repeat(32)), 400, "bad_auth_header"),
        post_case("request stale", requests, request_body.clone(), signed_at(&app.bank, requests, &request_body, now_secs() - 3600), 401, "stale_timestamp"),
        post_case("request weak key", requests, request_body.clone(), altered(0, format!("01{}", "00".repeat(31))), 401, "weak_key"),
        post_case("request bad signature", requests, request_body.clone(), sign(&app.bank, requests, "{}"), 401, "bad_signature"),
        post_case("request by a regulator", requests, request_body.clone(), sign(&regulator, requests, &request_body), 403, "forbidden"),
        post_case("request not JSON", requests, "{", sign(&app.bank, requests, "{"), 400, "bad_json"),
        post_case("request ttl 0", requests, r#"{"verifier":"bank-a","scope":"bank-a/x","predicates":[],"ttl_seconds":0}"#, vec![], 400, "bad_ttl"),
        post_case("request without predicates", requests, r#"{"verifier":"bank-a","scope":"bank-a/x","predicates":[]}"#, vec![], 400, "bad_request"),
        post_case("request too large", requests, json!({"verifier": huge}).to_string(), vec![], 413, "body_too_large"),
        post_case("verify unsigned", verify, stray.clone(), vec![], 401, "unsigned"),
        post_case("verify not JSON", verify, "[", sign(&app.bank, verify, "["), 400, "bad_json"),
        post_case("verify no verifying key", verify, early_presentation.clone(), vec![], 503, "unavailable"),
        post_case("verify unknown challenge", verify, stray.clone(), vec![], 422, "challenge_unknown"),
        post_case("verify another bank's challenge", verify, early_presentation.clone(), sign(&app.other_bank, verify, &early_presentation), 403, "forbidden"),
        post_case("batch unsigned", batch, "{}", vec![], 401, "unsigned"),
        post_case("batch too many", batch, too_many.clone(), vec![], 400, "batch_too_large"),
        post_case("batch unknown field", batch, r#"{"presentations": [], "x": 1}"#, vec![], 400, "bad_json"),
    ];
    // Cases with no headers of their own on a signed endpoint are signed by the bank.
    for case in &mut cases {
        if case.method == "post" && case.path != "/v1/transactions" && case.headers.is_empty() && case.code != "unsigned" {
            case.headers = sign(&app.bank, case.path, &case.body);
        }
    }
    // Wrong content type, and a replayed nonce, on every signed endpoint.
    for path in [requests, verify, batch] {
        let body = if path == requests { request_body.clone() } else { "{}".into() };
        let headers = sign(&app.bank, path, &body);
        let mut case = post_case("wrong content type", path, body.clone(), headers, 400, "bad_content_type");
        case.content_type = "text/plain";
        cases.push(case);
        let replayed = sign(&app.bank, path, &body);
        cases.push(post_case("first use of a nonce", path, body.clone(), replayed.clone(), 0, ""));
        cases.push(post_case("replayed nonce", path, body, replayed, 401, "replayed_nonce"));
    }
    let mut wrong = post_case("transaction wrong content type", "/v1/transactions", r#"{"tx": "00"}"#, vec![], 400, "bad_content_type");
    wrong.content_type = "text/plain";
    cases.push(wrong);

    let mut seen = std::collections::BTreeSet::new();
    for case in &cases {
        // The "verify no verifying key" case must run before the key is registered.
        let (status, _, text) = provoke(&app.base, case);
        if case.status == 0 {
            continue; // a setup call (its nonce is replayed next)
        }
        let what = format!("{} ({} {})", case.name, case.method.to_uppercase(), case.target);
        assert_eq!(status, case.status, "{what}: {text}");
        let code = error_code(&what, &text);
        assert_eq!(code, case.code, "{what}: {text}");
        let listed = listed_codes(&doc, case.path, case.method, status);
        assert!(listed.contains(&code), "{what}: {status} `{code}` is not listed for {} {} (listed: {listed:?})", case.method, case.path);
        assert_matches(&doc, case.path, case.method, status, &serde_json::from_str(&text).unwrap());
        seen.insert((case.path, code));
    }

    // Refusals inside a batch's 200 answer are listed as its refusal codes.
    app.register_predicate_key();
    let known = new_request(&app, 700).challenge;
    let items = json!({"presentations": [
        {"version": 1, "challenge": "00".repeat(32), "proofs": []},
        {"version": 1, "challenge": known, "proofs": []},
        {"version": 1, "challenge": early, "proofs": []},
    ]});
    let answer = app.client.post(batch, &items, Some(&app.other_bank)).unwrap();
    let refusal_codes: Vec<String> = serde_json::from_value(doc["paths"][batch]["post"]["responses"]["200"]["x-refusal-codes"].clone()).unwrap();
    for (i, expected) in ["challenge_unknown", "forbidden", "forbidden"].iter().enumerate() {
        assert_eq!(answer["results"][i]["code"], *expected, "{answer}");
        assert!(refusal_codes.iter().any(|c| c == expected), "{expected} is not a listed refusal code of a batch");
    }
    let (code, v) = app.post_as(&app.bank, verify, &json!({"presentation": {"version": 1, "challenge": known, "proofs": []}}));
    assert_eq!((code, v["code"].as_str()), (422, Some("wrong_proof_count")), "{v}");
    assert!(listed_codes(&doc, verify, "post", 422).contains(&"wrong_proof_count".to_string()));

    // The router: any path no route has is a JSON 404, and a routed path
    // asked with another method a JSON 405 naming the method it answers.
    let router: Value = doc["x-error-codes"].clone();
    assert_eq!(router, json!({"404": ["not_found"], "405": ["method_not_allowed"]}));
    for target in ["/nope", "/v1/nope", "/v1", "/v1/blocks", "/v1/blocks/1/2"] {
        let (status, _, text) = provoke(&app.base, &get_case("unknown route", "", target, 404, "not_found"));
        assert_eq!((status, error_code(target, &text)), (404, "not_found".to_string()), "{target}");
    }
    for (path, item) in doc["paths"].as_object().unwrap() {
        // A path may answer several methods (`GET` and `POST /v1/private/records`):
        // every other method is 405 naming them all.
        let methods: Vec<String> = item.as_object().unwrap().keys().map(|m| m.to_uppercase()).collect();
        {
            let concrete = path
                .replace("{height}", "0")
                .replace("{leaf}", "0")
                .replace("{commitment}", &"00".repeat(32))
                .replace("{id}", &"00".repeat(32))
                .replace("{record_hash}", &"00".repeat(32))
                .replace("{key}", &"00".repeat(32));
            let url = format!("{}{concrete}", app.base);
            for other in ["DELETE", "PUT", "POST", "GET"].into_iter().filter(|m| !methods.iter().any(|x| x == m)) {
                let agent = agent();
                let mut response = match other {
                    "DELETE" => agent.delete(&url).call(),
                    "PUT" => agent.put(&url).send(""),
                    "POST" => agent.post(&url).send(""),
                    _ => agent.get(&url).call(),
                }
                .unwrap();
                let what = format!("{other} {path}");
                assert_eq!(response.status().as_u16(), 405, "{what}");
                let allow = response.headers().get("allow").and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
                assert_eq!(allow, methods.join(", "), "{what}");
                let text = response.body_mut().read_to_string().unwrap();
                assert_eq!(error_code(&what, &text), "method_not_allowed", "{what}");
            }
        }
    }
    assert!(seen.len() >= 30, "only {} distinct refusals provoked", seen.len());
}
