//! `GET /metrics` end to end: a real node on port 0 with a fresh data
//! directory; requests, a verification and an issuance must show up in the
//! Prometheus text it serves.

mod common;

use ark_bn254::Fr;
use ark_ff::UniformRand;
use serde_json::json;

use common::*;
use zkreg_api::auth::sign_request;
use zkreg_api::now_secs;
use zkreg_circuits::field::fr_to_bytes;
use zkreg_registry::{Transaction, TxBody};

#[test]
fn metrics_reflect_requests_verifications_and_issuances() {
    let mut app = spawn_app();

    // Arrange: nothing recorded yet but the gauges and the two blocks of
    // spawn_app's verifier registrations (bank-a and bank-b).
    let (code, content_type, text) = app.metrics();
    assert_eq!(code, 200, "{text}");
    assert_eq!(content_type, "text/plain; version=0.0.4");
    assert_eq!(sample(&text, "zkreg_issuances_total"), Some(0.0), "{text}");
    assert_eq!(sample(&text, "zkreg_block_height"), Some(2.0), "{text}");
    let registrations = r#"zkreg_http_requests_total{method="POST",route="/v1/transactions",status="200"}"#;
    assert_eq!(sample(&text, registrations), Some(2.0), "{text}");
    assert!(!text.contains("route=\"/v1/status\""), "{text}");

    // Act: the verifying key (verification needs one), a few reads, a 404,
    // a refused verification, an issuance.
    app.register_predicate_key();
    assert_eq!(app.get("/healthz").0, 200);
    assert_eq!(app.get("/v1/status").0, 200);
    assert_eq!(app.get("/v1/no-such-thing").0, 404);
    assert_eq!(app.get("/v1/paths/not-a-number").0, 400);
    assert_eq!(app.get("/v1/paths/also-not-a-number").0, 400);
    let body = json!({"presentation": {"version": 1, "challenge": "00".repeat(32), "proofs": []}}).to_string();
    let path = "/v1/presentations/verify";
    let headers = sign_request(&app.bank, "POST", path, body.as_bytes(), now_secs(), &fresh_nonce());
    let (code, v) = app.send(path, &body, &headers);
    assert_eq!((code, v["code"].clone()), (422, json!("challenge_unknown")), "{v}");
    let signer = app.regulator.verifying_key().to_bytes();
    let commitment = fr_to_bytes(&Fr::rand(&mut zkreg_suite::rng(1)));
    let tx = Transaction {
        chain_id: app.chain_id.clone(),
        signer,
        nonce: 1,
        body: TxBody::IssueCredential { schema: "credit-score".into(), inner: commitment },
    }
    .sign(&app.regulator);
    let (code, r) = app.post("/v1/transactions", &json!({"tx": hex::encode(tx.to_bytes())}));
    assert_eq!((code, r["ok"].clone()), (200, json!(true)), "{r}");

    // Assert.
    let text = app.metrics_with("zkreg_issuances_total 1");
    let count = |labels: &str| sample(&text, &format!("zkreg_http_requests_total{{{labels}}}"));
    assert_eq!(count(r#"method="GET",route="/healthz",status="200""#), Some(1.0), "{text}");
    assert_eq!(count(r#"method="GET",route="/v1/status",status="200""#), Some(1.0), "{text}");
    assert_eq!(count(r#"method="GET",route="unmatched",status="404""#), Some(1.0), "{text}");
    // The route pattern, not the raw path: both bad leaves share one series.
    assert_eq!(count(r#"method="GET",route="/v1/paths/{leaf}",status="400""#), Some(2.0), "{text}");
    assert!(!text.contains("not-a-number") && !text.contains("no-such-thing"), "{text}");
    assert_eq!(count(r#"method="POST",route="/v1/transactions",status="200""#), Some(2.0 + 2.0), "{text}");
    assert_eq!(count(r#"method="POST",route="/v1/presentations/verify",status="422""#), Some(1.0), "{text}");
    assert_eq!(sample(&text, r#"zkreg_http_request_duration_seconds_count{route="/v1/status"}"#), Some(1.0), "{text}");
    assert_eq!(sample(&text, r#"zkreg_verifications_total{result="challenge_unknown"}"#), Some(1.0), "{text}");
    assert_eq!(sample(&text, r#"zkreg_verifications_total{result="verified"}"#), None, "{text}");
    assert_eq!(sample(&text, "zkreg_issuances_total"), Some(1.0), "{text}");
    assert_eq!(sample(&text, "zkreg_revocations_total"), Some(0.0), "{text}");
    assert!(sample(&text, "zkreg_block_height").is_some_and(|h| h >= 3.0), "{text}");
    assert_eq!(sample(&text, "zkreg_leaf_count"), Some(1.0), "{text}");
    assert_eq!(sample(&text, "zkreg_mempool_pending"), Some(0.0), "{text}");
    // The one signed call's nonce is in the replay cache.
    assert_eq!(sample(&text, "zkreg_seen_nonces"), Some(1.0), "{text}");

    // A refused transaction (replayed nonce) counts nothing.
    let (code, r) = app.post("/v1/transactions", &json!({"tx": hex::encode(tx.to_bytes())}));
    assert_ne!(code, 200, "{r}");
    let (_, _, text) = app.metrics();
    assert_eq!(sample(&text, "zkreg_issuances_total"), Some(1.0), "{text}");
}
