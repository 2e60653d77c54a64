//! The OpenAPI document at `/v1/openapi.json` describes the API the node
//! actually serves: every documented operation is routed, and what the
//! node answers matches the documented schema (required properties present,
//! no undocumented properties, JSON types as declared). Also: issued proof
//! requests survive a restart.

mod common;

use serde_json::{json, Value};

use common::{agent, new_request, spawn_app};

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
    for (key, any) in [("oneOf", true), ("anyOf", true), ("allOf", false)] {
        if let Some(options) = schema.get(key).and_then(Value::as_array) {
            let fits: Vec<bool> = options
                .iter()
                .map(|o| {
                    let mut e = Vec::new();
                    check_schema(doc, o, value, at, &mut e);
                    e.is_empty()
                })
                .collect();
            let ok = if any { fits.iter().any(|f| *f) } else { fits.iter().all(|f| *f) };
            if !ok {
                errors.push(format!("{at}: {value} fits no {key} option"));
            }
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
        "GET /v1/blocks/{height}",
        "GET /v1/buckets/{leaf}",
        "GET /v1/credentials/{commitment}",
        "GET /v1/issuers",
        "GET /v1/openapi.json",
        "GET /v1/paths/{leaf}",
        "GET /v1/roots",
        "GET /v1/schemas",
        "GET /v1/stats",
        "GET /v1/status",
        "GET /v1/transactions/{id}",
        "GET /v1/verifying-keys",
        "POST /v1/presentations/verify",
        "POST /v1/presentations/verify-batch",
        "POST /v1/requests",
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
            path.replace("{height}", "0").replace("{leaf}", "0").replace("{commitment}", &"00".repeat(32)).replace("{id}", &"00".repeat(32));
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
    for (path, concrete, status) in [
        ("/healthz", "/healthz".to_string(), 200),
        ("/readyz", "/readyz".to_string(), 200),
        ("/v1/status", "/v1/status".to_string(), 200),
        ("/v1/blocks/{height}", "/v1/blocks/0".to_string(), 200),
        ("/v1/blocks/{height}", "/v1/blocks/999999".to_string(), 404),
        ("/v1/blocks/{height}", "/v1/blocks/-1".to_string(), 400),
        ("/v1/issuers", "/v1/issuers".to_string(), 200),
        ("/v1/schemas", "/v1/schemas".to_string(), 200),
        ("/v1/verifying-keys", "/v1/verifying-keys".to_string(), 200),
        ("/v1/roots", "/v1/roots".to_string(), 200),
        ("/v1/stats", "/v1/stats".to_string(), 200),
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
