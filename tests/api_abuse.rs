//! Abuse of the bank endpoints against a real node (port 0, fresh data
//! directory, real HTTP): keys that are not registered verifiers are refused
//! before they cost the node anything, a verifier asks only under its own
//! name, each verifier has a rate, a share of the replay cache and a number
//! of open requests, request bodies are small, nonces stay used across a
//! restart, and requests nobody could answer are refused. Every refusal has
//! a stable code and stores nothing.

mod common;

use std::time::{Duration, Instant};

use ed25519_dalek::SigningKey;
use serde_json::{json, Value};

use common::*;
use zkreg_api::auth::sign_request;
use zkreg_api::now_secs;
use zkreg_prover::Wallet;
use zkreg_registry::TxBody;
use zkreg_suite::{at_least, rng};

/// The body of `verifier`'s request for `credit-score >= 700` under `scope`.
fn asking(verifier: &str, scope: &str) -> Value {
    json!({"verifier": verifier, "scope": scope, "predicates": [at_least(CREDIT, 700, REGULATOR)]})
}

/// `POST /v1/requests` with `body` signed by `key`: status, `Retry-After` (if any) and answer.
fn ask_raw(app: &App, key: &SigningKey, body: &str) -> (u16, Option<u64>, Value) {
    let mut req = agent().post(&format!("{}/v1/requests", app.base)).header("content-type", "application/json");
    for (name, value) in signed(key, "/v1/requests", body) {
        req = req.header(name, value);
    }
    let mut r = req.send(body).unwrap();
    let retry_after = r.headers().get("retry-after").and_then(|v| v.to_str().ok()).and_then(|v| v.parse().ok());
    (r.status().as_u16(), retry_after, r.body_mut().read_json().unwrap_or(Value::Null))
}

#[test]
fn a_key_that_is_not_a_registered_verifier_is_refused_and_leaves_no_trace() {
    let app = spawn_app();
    let stranger = throwaway_key(1);
    let body = asking(BANK_A, SCOPE);
    let (seen, stored) = (app.seen_nonces(), app.stored_requests());
    for path in ["/v1/requests", "/v1/presentations/verify", "/v1/presentations/verify-batch"] {
        let (code, v) = app.post_as(&stranger, path, &body);
        assert_eq!((code, v["code"].as_str()), (403, Some("forbidden")), "{path}: {v}");
        assert!(v["message"].as_str().is_some_and(|m| m.contains("not a registered verifier")), "{path}: {v}");
    }
    // Even with a forged signature it is the role that is refused: nothing was verified.
    let mut forged = signed(&stranger, "/v1/requests", &body.to_string());
    forged[3].1 = "00".repeat(64);
    let (code, v) = app.send("/v1/requests", &body.to_string(), &forged);
    assert_eq!((code, v["code"].as_str()), (403, Some("forbidden")), "{v}");
    assert_eq!((app.seen_nonces(), app.stored_requests()), (seen, stored));
    // A retired verifier is a stranger again.
    let mut app = app;
    let authority = app.authority.clone();
    app.submit_ok(&authority, TxBody::RetireVerifier { name: BANK_B.into() });
    let (code, v) = app.post_as(&app.other_bank.clone(), "/v1/requests", &asking(BANK_B, "bank-b/loans"));
    assert_eq!((code, v["code"].as_str()), (403, Some("forbidden")), "{v}");
    assert_eq!((app.seen_nonces(), app.stored_requests()), (seen, stored));
    assert_eq!(app.post_as(&app.bank, "/v1/requests", &body).0, 201);
}

#[test]
fn a_verifier_asks_only_under_its_own_name_and_scope() {
    let app = spawn_app();
    let bank_b = &app.other_bank;
    let cases = [
        ("bank-b as bank-a", asking(BANK_A, SCOPE)),
        ("bank-b under bank-a's scope", asking(BANK_B, "bank-a/loans")),
        ("bank-b as bank-a under its own scope", asking(BANK_A, "bank-b/loans")),
    ];
    for (name, body) in cases {
        let (code, v) = app.post_as(bank_b, "/v1/requests", &body);
        assert_eq!((code, v["code"].as_str()), (403, Some("forbidden")), "{name}: {v}");
    }
    assert_eq!(app.stored_requests(), 0);
    let (code, v) = app.post_as(bank_b, "/v1/requests", &asking(BANK_B, "bank-b/loans"));
    assert_eq!((code, v["verifier"].as_str(), v["scope"].as_str()), (201, Some(BANK_B), Some("bank-b/loans")), "{v}");
}

#[test]
fn a_thousand_calls_from_throwaway_keys_leave_the_replay_cache_empty() {
    let app = spawn_app_with(|config| config.max_seen_nonces = 100);
    let body = asking(BANK_A, SCOPE).to_string();
    let started = Instant::now();
    let app = &app;
    let body = &body;
    std::thread::scope(|s| {
        for t in 0..4u64 {
            s.spawn(move || {
                for i in 0..250u64 {
                    let (code, v) = app.post_raw_as(&throwaway_key(1_000 + t * 250 + i), "/v1/requests", body);
                    assert_eq!((code, v["code"].as_str()), (403, Some("forbidden")), "{v}");
                }
            });
        }
    });
    assert!(started.elapsed() < Duration::from_secs(15));
    assert_eq!((app.seen_nonces(), app.stored_requests()), (0, 0));
    let (code, v) = app.post_raw_as(&app.bank, "/v1/requests", body);
    assert_eq!(code, 201, "{v}");
    assert_eq!(app.seen_nonces(), 1);
}

#[test]
fn a_verifier_over_its_rate_waits_and_spends_only_its_own_budget() {
    let app = spawn_app_with(|config| {
        config.verifier_rate_per_s = 1;
        config.verifier_burst = 2;
    });
    let body = asking(BANK_A, SCOPE).to_string();
    // Forgeries naming bank-a's key do not spend its budget.
    for _ in 0..5 {
        let mut forged = signed(&app.other_bank, "/v1/requests", &body);
        forged[0].1 = hex::encode(app.bank.verifying_key().to_bytes());
        assert_eq!(app.send("/v1/requests", &body, &forged).0, 401);
    }
    for _ in 0..2 {
        let (code, _, v) = ask_raw(&app, &app.bank, &body);
        assert_eq!(code, 201, "{v}");
    }
    let (seen, stored) = (app.seen_nonces(), app.stored_requests());
    let (code, retry_after, v) = ask_raw(&app, &app.bank, &body);
    assert_eq!((code, v["code"].as_str()), (429, Some("rate_limited")), "{v}");
    let retry_after = retry_after.expect("a 429 says when to retry");
    assert!((1..=2).contains(&retry_after), "{retry_after}");
    assert_eq!((app.seen_nonces(), app.stored_requests()), (seen, stored), "a refused call records nothing");
    // Another verifier has its own budget.
    assert_eq!(ask_raw(&app, &app.other_bank, &asking(BANK_B, "bank-b/loans").to_string()).0, 201);
    std::thread::sleep(Duration::from_secs(retry_after));
    let (code, _, v) = ask_raw(&app, &app.bank, &body);
    assert_eq!(code, 201, "{v}");
}

#[test]
fn no_verifier_fills_the_replay_cache() {
    let app = spawn_app_with(|config| config.max_seen_nonces_per_key = 3);
    let body = asking(BANK_A, SCOPE).to_string();
    for _ in 0..3 {
        assert_eq!(ask_raw(&app, &app.bank, &body).0, 201);
    }
    let (code, retry_after, v) = ask_raw(&app, &app.bank, &body);
    assert_eq!((code, v["code"].as_str()), (429, Some("rate_limited")), "{v}");
    // Its nonces leave the cache when their timestamps leave the window.
    assert!(retry_after.is_some_and(|s| (1..=2 * 300 + 1).contains(&s)), "{retry_after:?}");
    assert_eq!(app.seen_nonces(), 3);
    assert_eq!(ask_raw(&app, &app.other_bank, &asking(BANK_B, "bank-b/loans").to_string()).0, 201);
}

#[test]
fn open_requests_are_limited_per_verifier_across_restarts_until_answered_or_expired() {
    let mut app = spawn_app_with(|config| config.max_open_requests = 2);
    app.register_predicate_key();
    let wallet = Wallet::generate(&mut rng(300));
    let opening = issue(&mut app, &wallet, 720, 301);
    let short = json!({"verifier": BANK_A, "scope": SCOPE, "predicates": [at_least(CREDIT, 700, REGULATOR)], "ttl_seconds": 1});
    assert_eq!(ask_raw(&app, &app.bank, &short.to_string()).0, 201);
    let answered = new_request(&app, 700);
    let full = |app: &App| {
        let (code, retry_after, v) = ask_raw(app, &app.bank, &request_body(700).to_string());
        assert_eq!((code, v["code"].as_str()), (429, Some("too_many_open_requests")), "{v}");
        retry_after.expect("a 429 says when to retry")
    };
    full(&app);
    assert_eq!(app.stored_requests(), 2);
    // Another verifier has its own limit.
    assert_eq!(ask_raw(&app, &app.other_bank, &asking(BANK_B, "bank-b/loans").to_string()).0, 201);

    // The count is rebuilt from the database.
    app.restart();
    full(&app);

    // An answered request frees its slot; a refused answer does not.
    let presentation = present(&app, &wallet, &opening, &answered, 302);
    let mut wrong = presentation.clone();
    wrong.challenge = "00".repeat(32);
    assert_eq!(app.verify(&wrong).0, 422);
    full(&app);
    let (code, v) = app.verify(&presentation);
    assert_eq!(code, 200, "{v}");
    new_request(&app, 700);

    // An expired one frees its slot when it expires.
    let retry_after = full(&app);
    assert!((1..=2).contains(&retry_after), "{retry_after}");
    std::thread::sleep(Duration::from_secs(retry_after));
    new_request(&app, 700);
    full(&app);
}

#[test]
fn a_request_body_is_small() {
    let app = spawn_app();
    // Valid JSON, padded past 16 KiB: the general limit (64 KiB here) is not the one that applies.
    let body = format!("{}{}", request_body(700), " ".repeat(17 * 1024));
    let (code, v) = app.post_raw_as(&app.bank, "/v1/requests", &body);
    assert_eq!((code, v["code"].as_str()), (413, Some("body_too_large")), "{v}");
    assert_eq!(app.stored_requests(), 0);
    let fits = format!("{}{}", request_body(700), " ".repeat(15 * 1024));
    assert_eq!(app.post_raw_as(&app.bank, "/v1/requests", &fits).0, 201);
    // Other bank calls keep the general limit.
    let verify = format!("{}{}", json!({"presentation": {"version": 1, "challenge": "00".repeat(32), "proofs": []}}), " ".repeat(17 * 1024));
    let (code, v) = app.post_raw_as(&app.bank, "/v1/presentations/verify", &verify);
    assert_eq!((code, v["code"].as_str()), (422, Some("challenge_unknown")), "{v}");
}

#[test]
fn a_signed_call_captured_before_a_restart_is_a_replay_after_it() {
    let mut app = spawn_app();
    let body = request_body(700).to_string();
    let captured = signed(&app.bank, "/v1/requests", &body);
    assert_eq!(app.send("/v1/requests", &body, &captured).0, 201);
    app.restart();
    let (code, v) = app.send("/v1/requests", &body, &captured);
    assert_eq!((code, v["code"].as_str()), (401, Some("replayed_nonce")), "{v}");
    assert_eq!(app.stored_requests(), 1);
    // The same nonce with a fresh signature is still this key's used nonce.
    let again = sign_request(&app.bank, "POST", "/v1/requests", body.as_bytes(), now_secs(), &captured[2].1);
    assert_eq!(app.send("/v1/requests", &body, &again).0, 401);
    assert_eq!(app.post_raw_as(&app.bank, "/v1/requests", &body).0, 201);
}

#[test]
fn requests_nobody_could_answer_are_refused_at_creation() {
    let mut app = spawn_app();
    // A second regulator, authorised for the licence only.
    let licensing = throwaway_key(50);
    let authority = app.authority.clone();
    let register = TxBody::RegisterRegulator {
        name: "licensing-office".into(),
        key: licensing.verifying_key().to_bytes(),
        schemas: vec![LICENCE.into()],
    };
    app.submit_ok(&authority, register);
    let predicate = |schema: &str, issuers: &[&str]| json!({"schema": schema, "op": ">=", "value": 1, "allowed_issuers": issuers});
    let ask = |predicates: Vec<Value>| json!({"verifier": BANK_A, "scope": SCOPE, "predicates": predicates});
    let cases = [
        ("unknown schema", ask(vec![predicate("credit-score.v9", &[REGULATOR])]), "unknown_schema"),
        ("unknown schema, any issuer", ask(vec![predicate("credit-score.v9", &[])]), "unknown_schema"),
        ("unknown issuer", ask(vec![predicate(CREDIT, &["nobody"])]), "unknown_issuer"),
        ("unknown issuer beside a known one", ask(vec![predicate(CREDIT, &[REGULATOR, "nobody"])]), "unknown_issuer"),
        ("issuer not authorised", ask(vec![predicate(CREDIT, &["licensing-office"])]), "issuer_not_authorised"),
        ("second predicate", ask(vec![predicate(LICENCE, &["licensing-office"]), predicate(CREDIT, &["licensing-office"])]), "issuer_not_authorised"),
    ];
    for (name, body, expected) in &cases {
        let (code, v) = app.post_as(&app.bank, "/v1/requests", body);
        assert_eq!((code, v["code"].as_str()), (422, Some(*expected)), "{name}: {v}");
        assert!(v["message"].as_str().is_some_and(|m| !m.is_empty()), "{name}: {v}");
    }
    assert_eq!(app.stored_requests(), 0);
    // Any issuer: some active regulator must be authorised for the schema.
    for body in [ask(vec![predicate(LICENCE, &[])]), ask(vec![predicate(LICENCE, &["licensing-office", REGULATOR])])] {
        assert_eq!(app.post_as(&app.bank, "/v1/requests", &body).0, 201, "{body}");
    }
    let schema_only = "schema.nobody-issues";
    app.submit_ok(&authority, TxBody::RegisterSchema { name: schema_only.into(), description: "registered, never authorised".into() });
    let (code, v) = app.post_as(&app.bank, "/v1/requests", &ask(vec![predicate(schema_only, &[])]));
    assert_eq!((code, v["code"].as_str()), (422, Some("issuer_not_authorised")), "{v}");
    assert_eq!(app.stored_requests(), 2);
}
