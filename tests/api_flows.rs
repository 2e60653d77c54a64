//! The flows of DESIGN.md against a real node (port 0, fresh data directory,
//! real HTTP client): a regulator issues, the holder proves on its own side,
//! the bank asks and verifies, for a credit threshold and a licence with both
//! backends; false statements cannot be proved; revoked and expired
//! credentials are refused with exact codes; and the batch endpoint answers
//! each presentation on its own, spending only the challenges it accepts.

mod common;

use serde_json::{json, Value};

use common::*;
use zkreg_circuits::field::{fr_to_bytes, fr_to_hex};
use zkreg_circuits::presentation::CredentialProof;
use zkreg_circuits::range_statement::RangeStatement;
use zkreg_prover::range::{prove_range, RangeProveError};
use zkreg_prover::{HeldCredential, PathSource, PresentationError, ProofStatement, ProveError, RangeCredentialOpening, Wallet};
use zkreg_suite::{at_least, prover, rng};
use zkreg_verifier::{Backend, Operator, PredicateSpec, Presentation, ProofRequest};

/// One statement of the walkthrough: the bank's predicate, a value that
/// satisfies it and one that does not.
struct Statement {
    name: &'static str,
    schema: &'static str,
    operator: Operator,
    value: u64,
    false_value: u64,
}

fn statements() -> [Statement; 3] {
    [
        Statement { name: "credit-score >= 700", schema: CREDIT, operator: Operator::AtLeast { value: 700 }, value: 720, false_value: 650 },
        Statement { name: "licence == 2", schema: LICENCE, operator: Operator::Equals { value: 2 }, value: 2, false_value: 3 },
        Statement { name: "licence between 1 and 3", schema: LICENCE, operator: Operator::Between { lo: 1, hi: 3 }, value: 2, false_value: 4 },
    ]
}

/// A credential as the holder keeps it, with its commitment on the ledger.
struct Issued {
    held: HeldCredential,
    commitment: [u8; 32],
}

/// The regulator issues `value` of `schema` to `wallet` with `backend`, valid until `expiry`.
fn issue_with(app: &mut App, backend: Backend, wallet: &Wallet, schema: &str, value: u64, expiry: u32, seed: u64) -> Issued {
    match backend {
        Backend::Groth16 => {
            let opening = issue_groth16(app, wallet, schema, value, expiry, seed);
            Issued { commitment: fr_to_bytes(&opening.commitment), held: HeldCredential::Groth16(opening) }
        }
        Backend::Bulletproofs => {
            let (opening, commitment) = issue_range(app, wallet, schema, value, expiry, seed);
            Issued { commitment, held: HeldCredential::Bulletproofs(opening) }
        }
    }
}

/// The Groth16 proof of a one-proof presentation.
fn groth16_proof(presentation: &mut Presentation) -> &mut zkreg_circuits::presentation::Groth16Proof {
    match &mut presentation.proofs[0] {
        CredentialProof::Groth16(p) => p,
        CredentialProof::Bulletproofs(_) => panic!("not a Groth16 proof"),
    }
}

/// What the node answers for a presentation it accepts.
fn accepted(pseudonym: Option<String>, linkable: bool) -> Value {
    json!({"verified": true, "predicates": 1, "linkable": linkable, "pseudonym": pseudonym})
}

#[test]
fn the_walkthrough_proves_each_statement_over_http_with_both_backends_and_no_false_one() {
    let mut app = spawn_app();
    app.register_predicate_key();
    let mut seed = 100;
    for statement in statements() {
        for backend in [Backend::Groth16, Backend::Bulletproofs] {
            seed += 10;
            let case = format!("{} with {backend:?}", statement.name);
            let wallet = Wallet::generate(&mut rng(seed));
            let spec = PredicateSpec {
                schema: statement.schema.into(),
                operator: statement.operator.clone(),
                allowed_issuers: vec![REGULATOR.into()],
                backend,
            };

            // The regulator issues; the ledger holds the commitment only.
            let issued = issue_with(&mut app, backend, &wallet, statement.schema, statement.value, today() + 30, seed + 1);
            let (code, c) = app.credential(&issued.commitment);
            let backend_name = if backend == Backend::Groth16 { "groth16" } else { "bulletproofs" };
            assert_eq!(
                (code, c["backend"].as_str(), c["status"].as_str(), c["schema"].as_str(), c["issuer"].as_str()),
                (200, Some(backend_name), Some("active"), Some(statement.schema), Some(REGULATOR)),
                "{case}: {c}"
            );

            // The bank asks; the node issues a fresh challenge for the request.
            let request = app.ask(&app.bank, std::slice::from_ref(&spec));
            assert_eq!((request.predicates.clone(), request.scope.as_str()), (vec![spec.clone()], SCOPE), "{case}");
            assert_eq!(hex::decode(&request.challenge).map(|c| c.len()), Ok(32), "{case}");

            // The holder proves on its own side (bucket paths for Groth16).
            let presentation = prove(&app, &wallet, std::slice::from_ref(&issued.held), &request, today(), seed + 2).unwrap();
            let wire = serde_json::to_string(&presentation).unwrap();
            // A Groth16 presentation hides the credential; a Bulletproofs one names it (linkable).
            assert_eq!(wire.contains(&hex::encode(issued.commitment)), backend == Backend::Bulletproofs, "{case}");

            // The bank verifies over HTTP.
            let expected = match backend {
                Backend::Groth16 => accepted(Some(fr_to_hex(&wallet.pseudonym(&request.scope_field()))), false),
                Backend::Bulletproofs => accepted(None, true),
            };
            let (code, v) = app.verify(&presentation);
            assert_eq!((code, v), (200, expected), "{case}");

            // A credential that does not satisfy the predicate proves nothing:
            // the wallet finds no credential, and the prover itself refuses.
            let (lo, hi) = spec.operator.bounds().unwrap();
            let wrong = issue_with(&mut app, backend, &wallet, statement.schema, statement.false_value, today() + 30, seed + 3);
            let err = prove(&app, &wallet, std::slice::from_ref(&wrong.held), &request, today(), seed + 4).unwrap_err();
            assert!(matches!(err, PresentationError::NoCredential(0)), "{case}: {err}");
            match &wrong.held {
                HeldCredential::Groth16(opening) => {
                    let (path, root) = paths(&app).path(opening.leaf_index.unwrap()).unwrap();
                    let proving = ProofStatement { lo, hi, today: today(), scope: request.scope_field(), challenge: request.challenge_field() };
                    let err = prover().prove(&wallet, opening, &path, root, &proving, &mut rng(seed + 5)).err();
                    assert_eq!(err, Some(ProveError::ValueOutOfRange { lo, hi }), "{case}");
                }
                HeldCredential::Bulletproofs(held) => {
                    let proving = range_statement(&request, &spec, held, &wallet, today());
                    let err = prove_range(&held.opening, &proving, wallet.auth_key(), &mut rng(seed + 5)).err();
                    assert_eq!(err, Some(RangeProveError::ValueOutOfRange { lo, hi }), "{case}");
                }
            }
        }
    }
    let (_, stats) = app.get("/v1/stats");
    let issued: u64 = stats["by_issuer_and_schema"].as_array().unwrap().iter().map(|s| s["issued"].as_u64().unwrap()).sum();
    assert_eq!(issued, 12, "{stats}");
}

/// The statement a Bulletproofs proof of `held` for `request` speaks to, on `day`.
fn range_statement(request: &ProofRequest, spec: &PredicateSpec, held: &RangeCredentialOpening, wallet: &Wallet, day: u32) -> RangeStatement {
    let (lo, hi) = spec.operator.bounds().unwrap();
    RangeStatement {
        challenge: request.challenge_field(),
        scope: request.scope_field(),
        schema: spec.schema.clone(),
        issuer: held.issuer.clone(),
        lo,
        hi,
        today: day,
        commitment: held.opening.commit(),
        holder_key: wallet.auth_public(),
        expiry: held.expiry,
    }
}

#[test]
fn a_revoked_groth16_credential_is_refused_once_its_last_root_leaves_the_window() {
    let mut app = spawn_app();
    app.register_predicate_key();
    let wallet = Wallet::generate(&mut rng(10));
    let opening = issue(&mut app, &wallet, 720, 11);
    let commitment = fr_to_bytes(&opening.commitment);
    // Two presentations made before the revocation.
    let first = new_request(&app, 700);
    let mut early = present(&app, &wallet, &opening, &first, 12);
    let late = present(&app, &wallet, &opening, &new_request(&app, 700), 13);
    let old_root = fr_to_hex(&groth16_proof(&mut early).root);

    app.revoke(commitment);
    let (code, c) = app.credential(&commitment);
    assert_eq!((code, c["status"].as_str()), (200, Some("revoked")), "{c}");
    // A fresh proof is impossible: the leaf is 0 under the current root.
    let err = prove(&app, &wallet, &[HeldCredential::Groth16(opening.clone())], &new_request(&app, 700), today(), 14).unwrap_err();
    assert!(matches!(err, PresentationError::Groth16(ProveError::NotInTree)), "{err}");

    // The window is the revocation latency: the root from before the
    // revocation is still accepted for a while...
    assert!(app.roots().contains(&old_root));
    let (code, v) = app.verify(&early);
    assert_eq!((code, v), (200, accepted(Some(fr_to_hex(&wallet.pseudonym(&first.scope_field()))), false)));
    // ...until as many blocks as the window holds have passed.
    app.tick(ROOT_WINDOW as u8);
    assert!(!app.roots().contains(&old_root));
    let (code, v) = app.verify(&late);
    assert_eq!((code, v["code"].as_str()), (422, Some("root_not_in_window")), "{v}");
}

#[test]
fn a_revoked_bulletproofs_credential_is_refused_at_once() {
    let mut app = spawn_app();
    app.register_predicate_key();
    let wallet = Wallet::generate(&mut rng(20));
    let (held, commitment) = issue_range(&mut app, &wallet, CREDIT, 720, today() + 30, 21);
    let spec = PredicateSpec { backend: Backend::Bulletproofs, ..at_least(CREDIT, 700, REGULATOR) };
    let request = app.ask(&app.bank, std::slice::from_ref(&spec));
    let presentation = prove(&app, &wallet, &[HeldCredential::Bulletproofs(held)], &request, today(), 22).unwrap();

    app.revoke(commitment);
    // No window: the verifier reads the credential's record.
    let (code, v) = app.verify(&presentation);
    assert_eq!((code, v["code"].as_str()), (422, Some("credential_revoked")), "{v}");
    let (code, c) = app.credential(&commitment);
    assert_eq!((code, c["status"].as_str()), (200, Some("revoked")), "{c}");
}

#[test]
fn an_expired_groth16_credential_cannot_be_proved_for_today_and_an_old_day_is_refused() {
    let mut app = spawn_app();
    app.register_predicate_key();
    let wallet = Wallet::generate(&mut rng(30));
    let yesterday = today() - 1;
    let opening = issue_groth16(&mut app, &wallet, CREDIT, 720, yesterday, 31);
    let request = new_request(&app, 700);
    let held = [HeldCredential::Groth16(opening.clone())];

    // The wallet has no credential valid today, and the prover refuses outright.
    let err = prove(&app, &wallet, &held, &request, today(), 32).unwrap_err();
    assert!(matches!(err, PresentationError::NoCredential(0)), "{err}");
    let (path, root) = paths(&app).path(opening.leaf_index.unwrap()).unwrap();
    let statement = ProofStatement { lo: 700, hi: u64::MAX, today: today(), scope: request.scope_field(), challenge: request.challenge_field() };
    let err = prover().prove(&wallet, &opening, &path, root, &statement, &mut rng(33)).err();
    assert_eq!(err, Some(ProveError::Expired { expiry: yesterday, today: today() }));

    // A proof that claims an older day (when the credential was valid) is refused.
    let old = prove(&app, &wallet, &held, &request, today() - 2, 34).unwrap();
    let (code, v) = app.verify(&old);
    assert_eq!((code, v["code"].as_str()), (422, Some("day_out_of_tolerance")), "{v}");
    // The node's tolerance is one day (clocks around midnight): a proof for
    // yesterday, the credential's last day, still verifies, for the same
    // challenge, which the refusal did not spend.
    let last_day = prove(&app, &wallet, &held, &request, yesterday, 35).unwrap();
    let (code, v) = app.verify(&last_day);
    assert_eq!((code, v["verified"].clone()), (200, json!(true)), "{v}");
}

#[test]
fn a_bulletproofs_credential_registered_as_expired_is_refused() {
    let mut app = spawn_app();
    app.register_predicate_key();
    let wallet = Wallet::generate(&mut rng(40));
    let yesterday = today() - 1;
    let (held, commitment) = issue_range(&mut app, &wallet, CREDIT, 720, yesterday, 41);
    let (code, c) = app.credential(&commitment);
    assert_eq!((code, c["expiry"].as_u64()), (200, Some(u64::from(yesterday))), "{c}");
    let spec = PredicateSpec { backend: Backend::Bulletproofs, ..at_least(CREDIT, 700, REGULATOR) };
    let request = app.ask(&app.bank, std::slice::from_ref(&spec));

    // The wallet has no credential valid today, and the prover refuses outright.
    let err = prove(&app, &wallet, &[HeldCredential::Bulletproofs(held.clone())], &request, today(), 42).unwrap_err();
    assert!(matches!(err, PresentationError::NoCredential(0)), "{err}");
    let statement = range_statement(&request, &spec, &held, &wallet, today());
    let err = prove_range(&held.opening, &statement, wallet.auth_key(), &mut rng(43)).err();
    assert_eq!(err, Some(RangeProveError::Expired { expiry: yesterday, today: today() }));

    // A holder claiming a later expiry than the ledger's can prove, but the
    // node takes the expiry from the ledger's record and refuses.
    let lying = RangeCredentialOpening { expiry: today() + 30, ..held };
    let presentation = prove(&app, &wallet, &[HeldCredential::Bulletproofs(lying)], &request, today(), 44).unwrap();
    let (code, v) = app.verify(&presentation);
    assert_eq!((code, v["code"].as_str()), (422, Some("range_proof_rejected")), "{v}");
    assert!(v["message"].as_str().is_some_and(|m| m.contains("expired")), "{v}");
}

/// A refused result of the batch endpoint with this code.
fn refused(result: &Value, code: &str) {
    assert_eq!((result["verified"].clone(), result["code"].as_str()), (json!(false), Some(code)), "{result}");
    assert!(result["message"].as_str().is_some_and(|m| !m.is_empty()), "{result}");
}

#[test]
fn a_batch_answers_each_presentation_and_spends_only_the_challenges_it_accepts() {
    let mut app = spawn_app();
    app.register_predicate_key();
    let alice = Wallet::generate(&mut rng(50));
    let credit = issue(&mut app, &alice, 720, 51);
    let bob = Wallet::generate(&mut rng(52));
    let (range, _) = issue_range(&mut app, &bob, CREDIT, 710, today() + 30, 53);
    let groth = at_least(CREDIT, 700, REGULATOR);
    let bullet = PredicateSpec { backend: Backend::Bulletproofs, ..groth.clone() };

    let honest_groth = present(&app, &alice, &credit, &app.ask(&app.bank, std::slice::from_ref(&groth)), 54);
    let bullet_request = app.ask(&app.bank, std::slice::from_ref(&bullet));
    let honest_bullet = prove(&app, &bob, &[HeldCredential::Bulletproofs(range)], &bullet_request, today(), 55).unwrap();
    // Two answers to one request: the honest one, kept back, and a copy with
    // C negated (still a valid point, so the proof decodes but fails).
    let kept = present(&app, &alice, &credit, &new_request(&app, 700), 56);
    let mut tampered = kept.clone();
    let proof = groth16_proof(&mut tampered);
    let mut bytes = hex::decode(&proof.proof).unwrap();
    bytes[127] ^= 0x80;
    assert!(zkreg_verifier::groth16::decode_proof(&bytes).is_ok());
    proof.proof = hex::encode(bytes);
    // An answer already verified once.
    let replayed = present(&app, &alice, &credit, &new_request(&app, 700), 57);
    let (code, v) = app.verify(&replayed);
    assert_eq!((code, v["verified"].clone()), (200, json!(true)), "{v}");
    // An answer to the other bank's request (under its own scope).
    let their_request = app.ask(&app.other_bank, std::slice::from_ref(&groth));
    let theirs = present(&app, &alice, &credit, &their_request, 58);

    let batch = [&honest_groth, &tampered, &honest_bullet, &replayed, &theirs];
    let (code, v) = app.post_as(&app.bank, "/v1/presentations/verify-batch", &json!({"presentations": batch}));
    assert_eq!(code, 200, "{v}");
    let results = v["results"].as_array().unwrap();
    assert_eq!(results.len(), batch.len(), "{v}");
    let alice_pseudonym = fr_to_hex(&alice.pseudonym(&bullet_request.scope_field()));
    assert_eq!(results[0], accepted(Some(alice_pseudonym.clone()), false));
    refused(&results[1], "proof_rejected");
    assert_eq!(results[2], accepted(None, true));
    refused(&results[3], "challenge_replayed");
    refused(&results[4], "forbidden");

    // The refusals spent nothing: the tampered answer's challenge still takes
    // the honest answer, and the other bank still verifies its own.
    let (code, v) = app.verify(&kept);
    assert_eq!((code, v), (200, accepted(Some(alice_pseudonym.clone()), false)));
    let (code, v) = app.verify_as(&app.other_bank, &theirs);
    let their_pseudonym = fr_to_hex(&alice.pseudonym(&their_request.scope_field()));
    assert_ne!(their_pseudonym, alice_pseudonym, "another bank's scope, another pseudonym");
    assert_eq!((code, v), (200, accepted(Some(their_pseudonym), false)));
    // The accepted ones are spent.
    let (code, v) = app.post_as(&app.bank, "/v1/presentations/verify-batch", &json!({"presentations": [honest_groth, honest_bullet]}));
    assert_eq!(code, 200, "{v}");
    refused(&v["results"][0], "challenge_replayed");
    refused(&v["results"][1], "challenge_replayed");

    // Every answer is counted by its outcome, once.
    let (_, _, text) = app.metrics();
    let verifications = |result: &str| sample(&text, &format!("zkreg_verifications_total{{result=\"{result}\"}}"));
    assert_eq!(verifications("verified"), Some(5.0), "{text}");
    assert_eq!(verifications("proof_rejected"), Some(1.0), "{text}");
    assert_eq!(verifications("challenge_replayed"), Some(3.0), "{text}");
    assert_eq!(verifications("forbidden"), Some(1.0), "{text}");
    let requests = |route: &str| sample(&text, &format!("zkreg_http_requests_total{{method=\"POST\",route=\"{route}\",status=\"200\"}}"));
    assert_eq!(requests("/v1/presentations/verify-batch"), Some(2.0), "{text}");
    assert_eq!(requests("/v1/presentations/verify"), Some(3.0), "{text}");
}
