//! The REST node end to end: a real server on port 0 with a fresh data
//! directory, driven by a real HTTP client: one verification and the public
//! reads, malformed bodies and signature headers, unsigned, forged, stale and
//! replayed bank calls, roles (banks ask and verify, regulators issue and
//! revoke their own), and many verifications at once.

mod common;

use ark_bn254::Fr;
use ark_ff::UniformRand;
use ed25519_dalek::SigningKey;
use serde_json::{json, Value};

use common::*;
use zkreg_api::auth::sign_request;
use zkreg_api::now_secs;
use zkreg_circuits::field::fr_to_bytes;
use zkreg_circuits::fingerprint::fingerprint;
use zkreg_registry::{Transaction, TxBody};
use zkreg_suite::{keys, rng};
use zkreg_prover::Wallet;

#[test]
fn a_bank_verifies_a_credit_threshold_over_http_once() {
    let mut app = spawn_app();
    let (code, h) = app.get("/healthz");
    assert_eq!((code, h["status"].as_str()), (200, Some("ok")));
    app.register_predicate_key();
    let wallet = Wallet::generate(&mut rng(1));
    let noise = Wallet::generate(&mut rng(2));
    issue(&mut app, &noise, 650, 3);
    let opening = issue(&mut app, &wallet, 720, 4);

    let request = new_request(&app, 700);
    let presentation = present(&app, &wallet, &opening, &request, 5);
    let body = json!({"presentation": presentation});
    let (code, v) = app.post_as(&app.bank, "/v1/presentations/verify", &body);
    assert_eq!(code, 200, "{v}");
    assert_eq!(v["verified"], json!(true));
    assert_eq!(v["pseudonym"].as_str().unwrap(), zkreg_circuits::field::fr_to_hex(&wallet.pseudonym(&request.scope_field())));
    // The same presentation again: the challenge is single use.
    let (code, v) = app.post_as(&app.bank, "/v1/presentations/verify", &body);
    assert_eq!((code, v["code"].as_str()), (422, Some("challenge_replayed")), "{v}");

    // The public reads agree with what happened.
    let (_, status) = app.get("/v1/status");
    assert_eq!(status["leaf_count"], json!(2));
    let (code, c) = app.get(&format!("/v1/credentials/{}", hex::encode(fr_to_bytes(&opening.commitment))));
    assert_eq!((code, c["status"].as_str(), c["issuer"].as_str()), (200, Some("active"), Some("central-bank")));
    let (_, stats) = app.get("/v1/stats");
    assert_eq!(stats["by_issuer_and_schema"][0]["issued"], json!(2));
    let (_, keys_list) = app.get("/v1/verifying-keys");
    assert_eq!(keys_list[0]["fingerprint"].as_str().unwrap(), hex::encode(fingerprint(&keys().1)));
    let (code, b) = app.get("/v1/blocks/1");
    assert_eq!((code, b["height"].as_u64()), (200, Some(1)));
}

#[test]
fn malformed_requests_get_a_4xx_with_a_code_and_change_nothing() {
    let mut app = spawn_app();
    app.register_predicate_key();
    let (_, before) = app.get("/v1/status");
    let stranger = SigningKey::from_bytes(&[9; 32]);
    let forged = Transaction {
        chain_id: app.chain_id.clone(),
        signer: app.regulator.verifying_key().to_bytes(),
        nonce: 99,
        body: TxBody::IssueCredential { schema: "credit-score".into(), inner: fr_to_bytes(&Fr::rand(&mut rng(20))) },
    }
    .sign(&stranger);
    let huge = "a".repeat(70 * 1024);
    let cases: Vec<(&str, &str, String, u16, &str)> = vec![
        ("bad JSON", "/v1/transactions", "{not json".into(), 400, "bad_json"),
        ("wrong type", "/v1/transactions", r#"{"tx": 5}"#.into(), 400, "bad_json"),
        ("unknown field", "/v1/transactions", r#"{"tx": "00", "x": 1}"#.into(), 400, "bad_json"),
        ("invalid hex", "/v1/transactions", r#"{"tx": "zz"}"#.into(), 400, "bad_hex"),
        ("garbage transaction", "/v1/transactions", r#"{"tx": "00ff00"}"#.into(), 422, "malformed"),
        ("forged signature", "/v1/transactions", json!({"tx": hex::encode(forged.to_bytes())}).to_string(), 422, "bad_signature"),
        ("oversized body", "/v1/transactions", json!({"tx": huge}).to_string(), 413, "body_too_large"),
        ("oversized signed body", "/v1/requests", json!({"verifier": huge}).to_string(), 413, "body_too_large"),
        ("bad JSON, signed", "/v1/requests", "{not json".into(), 400, "bad_json"),
        ("unknown field, signed", "/v1/requests", r#"{"verifier":"bank-a","scope":"bank-a/s","predicates":[],"x":1}"#.into(), 400, "bad_json"),
        ("huge number", "/v1/requests", r#"{"verifier":"bank-a","scope":"bank-a/s","predicates":[{"schema":"credit-score","op":">=","value":184467440737095516160}]}"#.into(), 400, "bad_json"),
        ("negative number", "/v1/requests", r#"{"verifier":"bank-a","scope":"bank-a/s","predicates":[{"schema":"credit-score","op":">=","value":-1}]}"#.into(), 400, "bad_json"),
        ("empty predicates", "/v1/requests", r#"{"verifier":"bank-a","scope":"bank-a/s","predicates":[]}"#.into(), 400, "bad_request"),
        ("bad ttl", "/v1/requests", r#"{"verifier":"bank-a","scope":"bank-a/s","predicates":[{"schema":"credit-score","op":">=","value":1}],"ttl_seconds":0}"#.into(), 400, "bad_ttl"),
        ("presentation for an unknown challenge", "/v1/presentations/verify", json!({"presentation": {"version": 1, "challenge": "00".repeat(32), "proofs": []}}).to_string(), 422, "challenge_unknown"),
        ("non-canonical root", "/v1/presentations/verify", json!({"presentation": {"version": 1, "challenge": "00".repeat(32), "proofs": [{"backend": "groth16", "predicate": 0, "issuer": "central-bank", "root": format!("0x{}", "ff".repeat(32)), "today": 1, "pseudonym": format!("0x{}", "00".repeat(32)), "proof": "00"}]}}).to_string(), 400, "bad_json"),
    ];
    for (name, path, body, status, code) in cases {
        // Ledger writes are signed inside the transaction; bank calls over HTTP.
        let (got, v) = if path == "/v1/transactions" { app.post_raw(path, &body) } else { app.post_raw_as(&app.bank, path, &body) };
        assert_eq!((got, v["code"].as_str().unwrap_or("")), (status, code), "{name}: {v}");
    }
    let body = request_body(700).to_string();
    let (code, v) = app.send_as("text/plain", "/v1/requests", &body, &signed(&app.bank, "/v1/requests", &body));
    assert_eq!((code, v["code"].as_str()), (400, Some("bad_content_type")), "{v}");
    let (code, v) = app.get("/v1/paths/not-a-number");
    assert_eq!((code, v["code"].as_str()), (400, Some("bad_number")));
    let (code, v) = app.get("/v1/credentials/abcd");
    assert_eq!((code, v["code"].as_str()), (400, Some("bad_hex")));
    let (code, v) = app.get("/v1/nothing-here");
    assert_eq!((code, v["code"].as_str()), (404, Some("not_found")));
    let (_, after) = app.get("/v1/status");
    assert_eq!(before["leaf_count"], after["leaf_count"]);
    assert_eq!(before["root"], after["root"]);
}

#[test]
fn a_proof_with_a_point_off_the_curve_is_a_clear_4xx() {
    let mut app = spawn_app();
    app.register_predicate_key();
    let wallet = Wallet::generate(&mut rng(30));
    let opening = issue(&mut app, &wallet, 720, 31);
    let request = new_request(&app, 700);
    let mut presentation = present(&app, &wallet, &opening, &request, 32);
    let zkreg_circuits::presentation::CredentialProof::Groth16(p) = &mut presentation.proofs[0] else { unreachable!() };
    // An x coordinate with no point on the curve, in the A slot.
    let mut bytes: [u8; 128] = hex::decode(&p.proof).unwrap().try_into().unwrap();
    let off_curve = (1u8..)
        .map(|k| {
            let mut b = bytes;
            b[..32].copy_from_slice(&[k; 32]);
            b[31] &= 0x3f;
            b
        })
        .find(|b| zkreg_verifier::groth16::decode_proof(b) == Err(zkreg_verifier::ProofError::InvalidPoint("A")))
        .unwrap();
    bytes = off_curve;
    p.proof = hex::encode(bytes);
    let (code, v) = app.post_as(&app.bank, "/v1/presentations/verify", &json!({"presentation": presentation}));
    assert_eq!((code, v["code"].as_str()), (422, Some("malformed_proof")), "{v}");
}

#[test]
fn many_concurrent_verifications_give_correct_answers() {
    let mut app = spawn_app();
    app.register_predicate_key();
    let wallet = Wallet::generate(&mut rng(40));
    let opening = issue(&mut app, &wallet, 720, 41);
    let mut work = Vec::new();
    for i in 0..12u64 {
        let request = new_request(&app, 700);
        let mut p = present(&app, &wallet, &opening, &request, 50 + i);
        // Every third one is tampered: it answers with another challenge.
        let expect_ok = i % 3 != 0;
        if !expect_ok {
            p.challenge = new_request(&app, 700).challenge;
        }
        work.push((p, expect_ok));
    }
    let app = &app;
    std::thread::scope(|s| {
        for (p, expect_ok) in &work {
            s.spawn(move || {
                let (code, v) = app.post_as(&app.bank, "/v1/presentations/verify", &json!({"presentation": p}));
                if *expect_ok {
                    assert_eq!((code, v["verified"].clone()), (200, json!(true)), "{v}");
                } else {
                    assert_eq!((code, v["code"].as_str()), (422, Some("proof_rejected")), "{v}");
                }
            });
        }
    });
}

/// The bank endpoints, which need a signature.
const BANK_PATHS: [&str; 3] = ["/v1/requests", "/v1/presentations/verify", "/v1/presentations/verify-batch"];

#[test]
fn unsigned_forged_stale_and_replayed_bank_calls_are_refused_and_change_nothing() {
    let app = spawn_app();
    let (_, before) = app.get("/v1/status");
    let bank = &app.bank;
    let other = &app.other_bank;
    let body = request_body(700).to_string();
    let now = now_secs();

    for path in BANK_PATHS {
        let (code, v) = app.send(path, &body, &[]);
        assert_eq!((code, v["code"].as_str()), (401, Some("unsigned")), "{path}: {v}");
    }

    // Each case: what is sent, and the headers sent with it.
    let mut by_other_key = signed(other, "/v1/requests", &body);
    by_other_key[0].1 = hex::encode(bank.verifying_key().to_bytes());
    let mut weak_key = signed(bank, "/v1/requests", &body);
    weak_key[0].1 = format!("01{}", "00".repeat(31)); // the identity: canonical, small order
    let changed_body = request_body(600).to_string();
    let cases: Vec<(&str, &str, &str, Headers, &str)> = vec![
        ("signed by another key", "/v1/requests", &body, by_other_key, "bad_signature"),
        ("body changed after signing", "/v1/requests", &changed_body, signed(bank, "/v1/requests", &body), "bad_signature"),
        ("path changed after signing", "/v1/requests", &body, signed(bank, "/v1/presentations/verify", &body), "bad_signature"),
        ("query added after signing", "/v1/requests?x=1", &body, signed(bank, "/v1/requests", &body), "bad_signature"),
        ("stale timestamp", "/v1/requests", &body, signed_at(bank, "/v1/requests", &body, now - 1000), "stale_timestamp"),
        ("timestamp in the future", "/v1/requests", &body, signed_at(bank, "/v1/requests", &body, now + 1000), "stale_timestamp"),
        ("weak key", "/v1/requests", &body, weak_key, "weak_key"),
    ];
    for (name, path, sent, headers, code) in cases {
        let (got, v) = app.send(path, sent, &headers);
        assert_eq!((got, v["code"].as_str()), (401, Some(code)), "{name}: {v}");
        assert!(v["message"].as_str().is_some_and(|m| !m.is_empty()), "{name}: {v}");
    }

    // The same signed call twice: the second is a replay.
    let headers = signed(bank, "/v1/requests", &body);
    let (code, v) = app.send("/v1/requests", &body, &headers);
    assert_eq!(code, 201, "{v}");
    let (code, v) = app.send("/v1/requests", &body, &headers);
    assert_eq!((code, v["code"].as_str()), (401, Some("replayed_nonce")), "{v}");
    // A new, correctly signed call reusing the nonce is refused too.
    let nonce = headers[2].1.clone();
    let reuse = sign_request(bank, "POST", "/v1/requests", changed_body.as_bytes(), now_secs(), &nonce);
    let (code, v) = app.send("/v1/requests", &changed_body, &reuse);
    assert_eq!((code, v["code"].as_str()), (401, Some("replayed_nonce")), "{v}");
    // Nonces are per key: another bank may use the same one.
    let theirs = json!({"verifier": BANK_B, "scope": "bank-b/loans", "predicates": request_body(700)["predicates"]}).to_string();
    let (code, v) = app.send("/v1/requests", &theirs, &sign_request(other, "POST", "/v1/requests", theirs.as_bytes(), now_secs(), &nonce));
    assert_eq!(code, 201, "{v}");
    // A forgery does not spend the nonce it names.
    let nonce = fresh_nonce();
    let mut forged = sign_request(other, "POST", "/v1/requests", body.as_bytes(), now_secs(), &nonce);
    forged[0].1 = hex::encode(bank.verifying_key().to_bytes());
    let (code, _) = app.send("/v1/requests", &body, &forged);
    assert_eq!(code, 401);
    let (code, v) = app.send("/v1/requests", &body, &sign_request(bank, "POST", "/v1/requests", body.as_bytes(), now_secs(), &nonce));
    assert_eq!(code, 201, "{v}");

    let (_, after) = app.get("/v1/status");
    assert_eq!(before, after);
}

#[test]
fn malformed_signature_headers_are_a_400() {
    let app = spawn_app();
    let (_, before) = app.get("/v1/status");
    let body = request_body(700).to_string();
    let good = signed(&app.bank, "/v1/requests", &body);
    let with = |i: usize, value: &str| {
        let mut h = good.clone();
        h[i].1 = value.into();
        h
    };
    let cases: Vec<(&str, Headers)> = vec![
        ("key too short", with(0, "abcd")),
        ("key not hex", with(0, &"zz".repeat(32))),
        ("timestamp not a number", with(1, "soon")),
        ("negative timestamp", with(1, "-5")),
        ("timestamp with a fraction", with(1, "1750000000.5")),
        ("nonce too short", with(2, &"a".repeat(15))),
        ("nonce too long", with(2, &"a".repeat(65))),
        ("nonce not hex", with(2, &"z".repeat(16))),
        ("signature too short", with(3, "00")),
        ("signature not hex", with(3, &"zz".repeat(64))),
        ("signature missing", good[..3].to_vec()),
        ("key missing", good[1..].to_vec()),
        ("key repeated", [good.clone(), good[..1].to_vec()].concat()),
    ];
    for (name, headers) in cases {
        let (code, v) = app.send("/v1/requests", &body, &headers);
        assert_eq!((code, v["code"].as_str()), (400, Some("bad_auth_header")), "{name}: {v}");
    }
    // The good headers were not spent by the refusals.
    let (code, v) = app.send("/v1/requests", &body, &good);
    assert_eq!(code, 201, "{v}");
    let (_, after) = app.get("/v1/status");
    assert_eq!(before, after);
}

#[test]
fn only_banks_ask_and_only_the_asking_bank_verifies() {
    let mut app = spawn_app();
    app.register_predicate_key();
    let wallet = Wallet::generate(&mut rng(60));
    let opening = issue(&mut app, &wallet, 720, 61);
    let (_, before) = app.get("/v1/status");

    // Regulators issue and root authorities govern; neither requests proofs,
    // and neither does a key no one registered as a verifier.
    for key in [&app.regulator, &app.authority, &throwaway_key(9)] {
        let (code, v) = app.post_as(key, "/v1/requests", &request_body(700));
        assert_eq!((code, v["code"].as_str()), (403, Some("forbidden")), "{v}");
    }

    let request = new_request(&app, 700);
    let presentation = present(&app, &wallet, &opening, &request, 62);
    let one = json!({"presentation": presentation});
    let batch = json!({"presentations": [presentation]});
    let other_bank = &app.other_bank;
    let (code, v) = app.post_as(other_bank, "/v1/presentations/verify", &one);
    assert_eq!((code, v["code"].as_str()), (403, Some("forbidden")), "{v}");
    let (code, v) = app.post_as(other_bank, "/v1/presentations/verify-batch", &batch);
    assert_eq!(code, 200, "{v}");
    assert_eq!((v["results"][0]["verified"].clone(), v["results"][0]["code"].as_str()), (json!(false), Some("forbidden")), "{v}");
    let (code, v) = app.post_as(&app.regulator, "/v1/presentations/verify", &one);
    assert_eq!((code, v["code"].as_str()), (403, Some("forbidden")), "{v}");
    let (_, after) = app.get("/v1/status");
    assert_eq!(before, after);

    // Those refusals did not spend the challenge: the asking bank verifies, once.
    let (code, v) = app.post_as(&app.bank, "/v1/presentations/verify-batch", &batch);
    assert_eq!((code, v["results"][0]["verified"].clone()), (200, json!(true)), "{v}");
    let (code, v) = app.post_as(&app.bank, "/v1/presentations/verify", &one);
    assert_eq!((code, v["code"].as_str()), (422, Some("challenge_replayed")), "{v}");
}

/// The ledger's own state: refused transactions are recorded in blocks (the
/// height moves) but change neither the tree nor the statistics.
fn ledger_state(app: &App) -> (Value, Value, Value) {
    let (_, status) = app.get("/v1/status");
    let (_, mut stats) = app.get("/v1/stats");
    // A refused transaction's block still raises the height the counts are read at.
    stats.as_object_mut().unwrap().remove("height");
    (status["leaf_count"].clone(), status["root"].clone(), stats)
}

#[test]
fn a_bank_cannot_issue_and_a_regulator_cannot_revoke_anothers_credential() {
    let mut app = spawn_app();
    let wallet = Wallet::generate(&mut rng(70));
    let opening = issue(&mut app, &wallet, 720, 71);
    let commitment = fr_to_bytes(&opening.commitment);
    let second = SigningKey::from_bytes(&[3; 32]);
    let register = TxBody::RegisterRegulator {
        name: "state-regulator".into(),
        key: second.verifying_key().to_bytes(),
        schemas: vec!["credit-score".into()],
    };
    let authority = app.authority.clone();
    let (code, r) = app.submit(&authority, register, &[]);
    assert_eq!((code, r["ok"].clone()), (200, json!(true)), "{r}");

    let bank = app.bank.clone();
    let other_commitment = fr_to_bytes(&Fr::rand(&mut rng(72)));
    let cases: Vec<(&str, &SigningKey, TxBody, &str)> = vec![
        ("a bank issues", &bank, TxBody::IssueCredential { schema: "credit-score".into(), inner: other_commitment }, "unauthorised"),
        ("a bank revokes", &bank, TxBody::Revoke { commitment }, "unauthorised"),
        ("a regulator revokes another's credential", &second, TxBody::Revoke { commitment }, "not_issuer"),
    ];
    for (name, key, body, expected) in cases {
        let before = ledger_state(&app);
        let (code, r) = app.submit(key, body, &[]);
        assert_eq!((code, r["ok"].clone(), r["code"].as_str()), (422, json!(false), Some(expected)), "{name}: {r}");
        assert!(r["message"].as_str().is_some_and(|m| !m.is_empty()), "{name}: {r}");
        assert_eq!(before, ledger_state(&app), "{name}");
    }
    let (code, c) = app.get(&format!("/v1/credentials/{}", hex::encode(commitment)));
    assert_eq!((code, c["status"].as_str()), (200, Some("active")));
    let (code, _) = app.get(&format!("/v1/credentials/{}", hex::encode(other_commitment)));
    assert_eq!(code, 404);

    // The issuing regulator may revoke it.
    let regulator = app.regulator.clone();
    let (code, r) = app.submit(&regulator, TxBody::Revoke { commitment }, &[]);
    assert_eq!((code, r["ok"].clone()), (200, json!(true)), "{r}");
}

#[test]
fn a_full_replay_cache_answers_503_and_does_not_grow() {
    let app = spawn_app_with(|config| config.max_seen_nonces = 2);
    let body = request_body(700).to_string();
    for _ in 0..2 {
        let (code, v) = app.post_raw_as(&app.bank, "/v1/requests", &body);
        assert_eq!(code, 201, "{v}");
    }
    let (code, v) = app.post_raw_as(&app.bank, "/v1/requests", &body);
    assert_eq!((code, v["code"].as_str()), (503, Some("unavailable")), "{v}");
}
