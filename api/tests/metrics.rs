//! `GET /metrics` end to end: a real node on port 0 with a fresh data
//! directory; requests, a verification and an issuance must show up in the
//! Prometheus text it serves.

use std::time::{Duration, Instant};

use ark_bn254::Fr;
use ark_ff::UniformRand;
use ed25519_dalek::SigningKey;
use serde_json::{json, Value};

use zkreg_api::auth::sign_request;
use zkreg_api::node::{now_secs, NodeConfig};
use zkreg_circuits::field::fr_to_bytes;
use zkreg_registry::{Genesis, Transaction, TxBody};

struct App {
    base: String,
    regulator: SigningKey,
    /// A bank: neither a regulator nor a root authority.
    bank: SigningKey,
    chain_id: String,
    /// Dropped before the data directory it uses.
    _node: zkreg_api::node::NodeThread,
    _dir: tempfile::TempDir,
}

/// Starts a node on port 0 in its own thread.
fn spawn_app() -> App {
    let authority = SigningKey::from_bytes(&[1; 32]);
    let regulator = SigningKey::from_bytes(&[2; 32]);
    let genesis = Genesis::development(
        "zkreg-metrics-test",
        1_750_000_000,
        &authority.verifying_key().to_bytes(),
        ("central-bank", &regulator.verifying_key().to_bytes()),
        &["credit-score"],
        4,
    );
    let dir = tempfile::tempdir().unwrap();
    let mut config = NodeConfig::new(dir.path().join("data"), Some(genesis.clone()));
    config.block_interval = Duration::from_millis(10);
    let node = zkreg_api::node::NodeThread::spawn(config, std::net::TcpListener::bind("127.0.0.1:0").unwrap()).unwrap();
    App {
        base: node.url.clone(),
        regulator,
        bank: SigningKey::from_bytes(&[7; 32]),
        chain_id: genesis.chain_id,
        _node: node,
        _dir: dir,
    }
}

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder().http_status_as_error(false).build().into()
}

impl App {
    fn get(&self, path: &str) -> (u16, Value) {
        let mut r = agent().get(&format!("{}{path}", self.base)).call().unwrap();
        (r.status().as_u16(), r.body_mut().read_json().unwrap_or(Value::Null))
    }

    fn post(&self, path: &str, body: &str, headers: &[(&str, String)]) -> (u16, Value) {
        let mut req = agent().post(&format!("{}{path}", self.base)).header("content-type", "application/json");
        for (name, value) in headers {
            req = req.header(*name, value);
        }
        let mut r = req.send(body).unwrap();
        (r.status().as_u16(), r.body_mut().read_json().unwrap_or(Value::Null))
    }

    /// `GET /metrics`: status, content type and body.
    fn metrics(&self) -> (u16, String, String) {
        let mut r = agent().get(&format!("{}/metrics", self.base)).call().unwrap();
        let content_type = r.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
        (r.status().as_u16(), content_type, r.body_mut().read_to_string().unwrap())
    }

    /// Polls `/metrics` until it has `line`: the block producer counts a block
    /// just after the submitter may have seen its receipt.
    fn metrics_with(&self, line: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let (_, _, text) = self.metrics();
            if text.lines().any(|l| l == line) || Instant::now() > deadline {
                return text;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

/// The value of the sample named exactly `series` (name and labels).
fn sample(text: &str, series: &str) -> Option<f64> {
    text.lines().find_map(|l| l.strip_prefix(series)?.strip_prefix(' ')?.parse().ok())
}

#[test]
fn metrics_reflect_requests_verifications_and_issuances() {
    let app = spawn_app();

    // Arrange: nothing recorded yet but the gauges.
    let (code, content_type, text) = app.metrics();
    assert_eq!(code, 200, "{text}");
    assert_eq!(content_type, "text/plain; version=0.0.4");
    assert_eq!(sample(&text, "zkreg_issuances_total"), Some(0.0), "{text}");
    assert_eq!(sample(&text, "zkreg_block_height"), Some(0.0), "{text}");
    assert!(!text.contains("route=\"/v1/status\""), "{text}");

    // Act: a few reads, a 404, a refused verification, an issuance.
    assert_eq!(app.get("/healthz").0, 200);
    assert_eq!(app.get("/v1/status").0, 200);
    assert_eq!(app.get("/v1/no-such-thing").0, 404);
    assert_eq!(app.get("/v1/paths/not-a-number").0, 400);
    assert_eq!(app.get("/v1/paths/also-not-a-number").0, 400);
    let body = json!({"presentation": {"version": 1, "challenge": "00".repeat(32), "proofs": []}}).to_string();
    let path = "/v1/presentations/verify";
    let headers = sign_request(&app.bank, "POST", path, body.as_bytes(), now_secs(), &format!("{:032x}", 1));
    let (code, v) = app.post(path, &body, &headers);
    assert_eq!((code, v["code"].clone()), (422, json!("challenge_unknown")), "{v}");
    let signer = app.regulator.verifying_key().to_bytes();
    let commitment = fr_to_bytes(&Fr::rand(&mut zkreg_suite::rng(1)));
    let tx = Transaction {
        chain_id: app.chain_id.clone(),
        signer,
        nonce: 1,
        body: TxBody::IssueCredential { schema: "credit-score".into(), commitment },
    }
    .sign(&app.regulator);
    let (code, r) = app.post("/v1/transactions", &json!({"tx": hex::encode(tx.to_bytes())}).to_string(), &[]);
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
    assert_eq!(count(r#"method="POST",route="/v1/transactions",status="200""#), Some(1.0), "{text}");
    assert_eq!(count(r#"method="POST",route="/v1/presentations/verify",status="422""#), Some(1.0), "{text}");
    assert_eq!(sample(&text, r#"zkreg_http_request_duration_seconds_count{route="/v1/status"}"#), Some(1.0), "{text}");
    assert_eq!(sample(&text, r#"zkreg_verifications_total{result="challenge_unknown"}"#), Some(1.0), "{text}");
    assert_eq!(sample(&text, r#"zkreg_verifications_total{result="verified"}"#), None, "{text}");
    assert_eq!(sample(&text, "zkreg_issuances_total"), Some(1.0), "{text}");
    assert_eq!(sample(&text, "zkreg_revocations_total"), Some(0.0), "{text}");
    assert!(sample(&text, "zkreg_block_height").is_some_and(|h| h >= 1.0), "{text}");
    assert_eq!(sample(&text, "zkreg_leaf_count"), Some(1.0), "{text}");
    assert_eq!(sample(&text, "zkreg_mempool_pending"), Some(0.0), "{text}");

    // A refused transaction (replayed nonce) counts nothing.
    let (code, r) = app.post("/v1/transactions", &json!({"tx": hex::encode(tx.to_bytes())}).to_string(), &[]);
    assert_ne!(code, 200, "{r}");
    let (_, _, text) = app.metrics();
    assert_eq!(sample(&text, "zkreg_issuances_total"), Some(1.0), "{text}");
}
