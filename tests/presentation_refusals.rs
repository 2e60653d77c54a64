//! Refusals of presentations (DESIGN.md "Verify"): every failed check is
//! named by its [`VerifyError`] and stable code (issuers, request expiry,
//! shape, the registered verifying key, malformed proofs, roots, every bound
//! public input), requests mixing backends are refused by the wallet and the
//! verifier, and a presentation's JSON round-trips while non-canonical field
//! elements, unknown fields and missing fields are refused at parsing. No
//! refusal consumes the challenge.

mod presentation_kit;

use ark_bn254::Fr;
use ark_ff::{BigInteger, PrimeField};
use serde_json::{json, Value};

use zkreg_circuits::field::fr_to_hex;
use zkreg_circuits::request::RequestError;
use zkreg_prover::{HeldCredential, PresentationError, Wallet};
use zkreg_suite::{at_least, request, rng, verifier, TestLedger, TODAY};
use zkreg_verifier::groth16::ProofError;
use zkreg_verifier::{Backend, Clock, Operator, PredicateSpec, Presentation, ProofRequest, Verified, VerifyError};

use presentation_kit::*;

#[test]
fn refusals_name_the_failed_check() {
    let (mut ledger, wallet, held) = credit_holder(7);
    let req = request(vec![at_least(CREDIT, 700, CENTRAL_BANK)], 16);
    let presentation = build(&wallet, &req, &held, &ledger, TODAY, 70).unwrap();
    let previous_root = groth16(&mut presentation.clone(), 0).root;
    // A later block: the presentation's root and this one are both in the window.
    ledger.append(&[Fr::from(12_345u64)]);
    let current_root = ledger.tree.root();
    assert_ne!(current_root, previous_root);
    ledger.authorise("bureau", CREDIT);
    let challenges = book(&req);
    let check = |request: &ProofRequest, presentation: &Presentation, ledger: &TestLedger| {
        verify_with(request, presentation, ledger, &challenges, CLOCK).unwrap_err()
    };

    // Issuers.
    let mut other_issuer = req.clone();
    other_issuer.predicates[0].allowed_issuers = vec!["bureau".into()];
    let err = check(&other_issuer, &presentation, &ledger);
    assert_eq!(err, VerifyError::IssuerNotAllowed(0));
    assert_eq!(err.code(), "issuer_not_allowed");
    let err = verify_with(&req, &presentation, &NoAuthorisations(&ledger), &challenges, CLOCK).unwrap_err();
    assert_eq!(err, VerifyError::IssuerNotAuthorised(0));
    assert_eq!(err.code(), "issuer_not_authorised");
    // An empty allowed list means "any issuer the ledger authorises", not "any issuer".
    let mut any_issuer = req.clone();
    any_issuer.predicates[0].allowed_issuers.clear();
    assert_eq!(
        verify_with(&any_issuer, &presentation, &NoAuthorisations(&ledger), &challenges, CLOCK),
        Err(VerifyError::IssuerNotAuthorised(0))
    );
    assert!(verify_fresh(&any_issuer, &presentation, &ledger, CLOCK).is_ok());

    // Request expiry: valid up to and including `expires_at`.
    let err = verify_with(&req, &presentation, &ledger, &challenges, Clock { now: req.expires_at + 1, ..CLOCK })
        .unwrap_err();
    assert_eq!(err, VerifyError::RequestExpired);
    assert_eq!(err.code(), "request_expired");
    assert!(verify_fresh(&req, &presentation, &ledger, Clock { now: req.expires_at, ..CLOCK }).is_ok());

    // Shape: proof count, predicate indices, backend, versions, request validity.
    let mut none = presentation.clone();
    none.proofs.clear();
    assert_eq!(check(&req, &none, &ledger), VerifyError::WrongProofCount { expected: 1, got: 0 });
    let mut two_predicates = req.clone();
    two_predicates.predicates.push(at_least(CREDIT, 600, CENTRAL_BANK));
    let err = check(&two_predicates, &presentation, &ledger);
    assert_eq!(err, VerifyError::WrongProofCount { expected: 2, got: 1 });
    assert_eq!(err.code(), "wrong_proof_count");
    let mut duplicated = presentation.clone();
    duplicated.proofs.push(duplicated.proofs[0].clone());
    let err = check(&two_predicates, &duplicated, &ledger);
    assert_eq!(err, VerifyError::BadPredicateIndex(1));
    assert_eq!(err.code(), "bad_predicate_index");
    let mut out_of_range = presentation.clone();
    groth16(&mut out_of_range, 0).predicate = 1;
    assert_eq!(check(&req, &out_of_range, &ledger), VerifyError::BadPredicateIndex(0));
    let mut other_backend = req.clone();
    other_backend.predicates[0].backend = Backend::Bulletproofs;
    let err = check(&other_backend, &presentation, &ledger);
    assert_eq!(err, VerifyError::BackendMismatch(0));
    assert_eq!(err.code(), "backend_mismatch");
    let mut future = presentation.clone();
    future.version = 2;
    assert_eq!(check(&req, &future, &ledger), VerifyError::UnsupportedVersion(2));
    let mut shouting = req.clone();
    shouting.challenge = "AB".repeat(32);
    assert_eq!(check(&shouting, &presentation, &ledger), VerifyError::BadRequest(RequestError::BadChallenge));

    // The verifying key must be the one registered on the ledger.
    ledger.fingerprint = None;
    let err = check(&req, &presentation, &ledger);
    assert_eq!(err, VerifyError::KeyNotRegistered);
    assert_eq!(err.code(), "key_not_registered");
    ledger.fingerprint = Some([7; 32]);
    assert_eq!(check(&req, &presentation, &ledger), VerifyError::KeyNotRegistered);
    ledger.fingerprint = Some(verifier().fingerprint());

    // Malformed proof bytes: an error, never a panic.
    for (proof, error) in [
        ("zz".repeat(128), ProofError::BadHex),
        ("00".into(), ProofError::WrongLength(1)),
        ("00".repeat(129), ProofError::WrongLength(129)),
        ("ff".repeat(128), ProofError::InvalidPoint("A")),
    ] {
        let mut malformed = presentation.clone();
        groth16(&mut malformed, 0).proof = proof;
        let err = check(&req, &malformed, &ledger);
        assert_eq!(err, VerifyError::MalformedProof { index: 0, error });
        assert_eq!(err.code(), "malformed_proof");
    }

    // Roots: one never in the window, and another root that is in the window.
    let mut stale = presentation.clone();
    groth16(&mut stale, 0).root = Fr::from(99u64);
    assert_eq!(check(&req, &stale, &ledger), VerifyError::RootNotInWindow(0));
    let mut moved = presentation.clone();
    groth16(&mut moved, 0).root = current_root;
    let err = check(&req, &moved, &ledger);
    assert_eq!(err, VerifyError::ProofRejected(0));
    assert_eq!(err.code(), "proof_rejected");

    // Every public input is bound: the verifier rebuilds them from its request
    // and the proof's claims, so changing any one of them rejects the proof.
    let mut other_scope = req.clone();
    other_scope.scope = "bank-a/cards".into();
    assert_eq!(check(&other_scope, &presentation, &ledger), VerifyError::ProofRejected(0));
    // Another verifier's scope is refused before any proof is looked at.
    other_scope.scope = "bank-b/loans".into();
    let err = check(&other_scope, &presentation, &ledger);
    assert_eq!(err, VerifyError::BadRequest(RequestError::ScopeNotUnderVerifier));
    assert_eq!(err.code(), "bad_request");
    let mut lower = req.clone();
    lower.predicates[0].operator = Operator::AtLeast { value: 600 };
    assert_eq!(check(&lower, &presentation, &ledger), VerifyError::ProofRejected(0));
    let mut any_bureau = req.clone();
    any_bureau.predicates[0].allowed_issuers = vec![CENTRAL_BANK.into(), "bureau".into()];
    let mut claims_bureau = presentation.clone();
    groth16(&mut claims_bureau, 0).issuer = "bureau".into();
    assert_eq!(check(&any_bureau, &claims_bureau, &ledger), VerifyError::ProofRejected(0));
    let mut tomorrow = presentation.clone();
    groth16(&mut tomorrow, 0).today = TODAY + 1;
    assert_eq!(check(&req, &tomorrow, &ledger), VerifyError::ProofRejected(0));

    // None of the refusals consumed the challenge.
    assert_eq!(
        verify_with(&req, &presentation, &ledger, &challenges, CLOCK),
        Ok(Verified { pseudonym: Some(pseudonym_hex(&wallet, &req)), predicates: 1, linkable: false })
    );
}

/// The audit's finding: in a request mixing backends, Alice's Groth16 proof
/// and Bob's Bulletproofs proof passed as one presentation, since nothing
/// ties a Groth16 proof (pseudonym) and a Bulletproofs proof (holder key) to
/// one holder. Such a request is now refused by the wallet and by the
/// verifier, and a presentation whose backends differ from its request's is
/// refused too.
#[test]
fn mixed_backend_requests_are_refused() {
    let mut r = rng(11);
    let mut ledger = ledger(8, &mut r);
    let alice = Wallet::generate(&mut r);
    let bob = Wallet::generate(&mut r);
    // Alice holds a Groth16 credit score, Bob a Bulletproofs licence.
    let credit = HeldCredential::Groth16(issue(&mut ledger, &alice, CREDIT, CENTRAL_BANK, 720, TODAY + 365, &mut r));
    let (licence_held, _, _) =
        register_range_credential(&mut ledger, &bob, LICENCE, FOOD_AGENCY, 2, TODAY + 30, &mut r);
    let credit_spec = at_least(CREDIT, 700, CENTRAL_BANK);
    let licence_spec = PredicateSpec { backend: Backend::Bulletproofs, ..licence(Operator::Equals { value: 2 }) };
    let mixed = request(vec![credit_spec.clone(), licence_spec.clone()], 19);
    assert_eq!(mixed.validate(), Err(RequestError::MixedBackends));
    assert_eq!(RequestError::MixedBackends.code(), "mixed_backends");

    // The wallet refuses to answer it.
    let err = build(&alice, &mixed, &[credit.clone()], &ledger, TODAY, 120).unwrap_err();
    assert!(matches!(err, PresentationError::Request(RequestError::MixedBackends)), "{err:?}");

    // Alice and Bob each prove their predicate under the mixed request's
    // challenge and scope (neither proof names its predicate's index or the
    // other predicate), and splice the two into one presentation: before
    // the fix it verified, with a pseudonym (Alice's) and `linkable: true`.
    let alice_req = request(vec![credit_spec.clone()], 19);
    let from_alice = build(&alice, &alice_req, &[credit], &ledger, TODAY, 121).unwrap();
    let from_bob = build(&bob, &request(vec![licence_spec], 19), &[licence_held], &ledger, TODAY, 122).unwrap();
    let mut spliced = from_alice.clone();
    spliced.proofs.push(answering(from_bob.proofs[0].clone(), 1));
    let challenges = book(&mixed);
    let err = verify_with(&mixed, &spliced, &ledger, &challenges, CLOCK).unwrap_err();
    assert_eq!(err, VerifyError::BadRequest(RequestError::MixedBackends));
    assert_eq!(err.code(), "bad_request");

    // Under a one-backend request, the proof of the other backend is refused.
    let all_groth16 = request(vec![credit_spec.clone(), licence(Operator::Equals { value: 2 })], 19);
    let err = verify_with(&all_groth16, &spliced, &ledger, &challenges, CLOCK).unwrap_err();
    assert_eq!(err, VerifyError::BackendMismatch(1));
    assert_eq!(err.code(), "backend_mismatch");
    let all_bulletproofs = request(
        vec![
            PredicateSpec { backend: Backend::Bulletproofs, ..credit_spec },
            PredicateSpec { backend: Backend::Bulletproofs, ..licence(Operator::Equals { value: 2 }) },
        ],
        19,
    );
    assert_eq!(verify_with(&all_bulletproofs, &spliced, &ledger, &challenges, CLOCK), Err(VerifyError::BackendMismatch(0)));

    // No refusal consumed the challenge: Alice's own answer to her own
    // one-backend request still verifies.
    assert_eq!(
        verify_with(&alice_req, &from_alice, &ledger, &challenges, CLOCK),
        Ok(Verified { pseudonym: Some(pseudonym_hex(&alice, &alice_req)), predicates: 1, linkable: false })
    );
}

#[test]
fn presentation_json_round_trips_and_refuses_bad_input() {
    let mut r = rng(8);
    let mut ledger = ledger(8, &mut r);
    let wallet = Wallet::generate(&mut r);
    let credit = issue(&mut ledger, &wallet, CREDIT, CENTRAL_BANK, 720, TODAY + 365, &mut r);
    let (licence_held, _, _) =
        register_range_credential(&mut ledger, &wallet, LICENCE, FOOD_AGENCY, 2, TODAY + 180, &mut r);
    // One proof of each backend in one presentation, for the JSON checks
    // (each answers a one-backend request with the same challenge; the
    // request with both is refused, see `mixed_backend_requests_are_refused`).
    let groth_req = request(vec![at_least(CREDIT, 700, CENTRAL_BANK)], 17);
    let range_spec = PredicateSpec { backend: Backend::Bulletproofs, ..licence(Operator::Equals { value: 2 }) };
    let range_req = request(vec![range_spec.clone()], 17);
    let held = [HeldCredential::Groth16(credit), licence_held];
    let groth_part = build(&wallet, &groth_req, &held, &ledger, TODAY, 80).unwrap();
    let range_part = build(&wallet, &range_req, &held, &ledger, TODAY, 81).unwrap();
    let req = request(vec![at_least(CREDIT, 700, CENTRAL_BANK), range_spec], 17);
    let mut presentation = groth_part.clone();
    presentation.proofs.push(answering(range_part.proofs[0].clone(), 1));

    let text = serde_json::to_string(&presentation).unwrap();
    let parsed: Presentation = serde_json::from_str(&text).unwrap();
    assert_eq!(parsed, presentation);
    assert_eq!(
        verify_fresh(&req, &parsed, &ledger, CLOCK),
        Err(VerifyError::BadRequest(RequestError::MixedBackends))
    );
    // Each backend's part round-trips and verifies.
    for (part_req, part, expected) in [
        (&groth_req, &groth_part, Verified { pseudonym: Some(pseudonym_hex(&wallet, &req)), predicates: 1, linkable: false }),
        (&range_req, &range_part, Verified { pseudonym: None, predicates: 1, linkable: true }),
    ] {
        let parsed: Presentation = serde_json::from_str(&serde_json::to_string(part).unwrap()).unwrap();
        assert_eq!(&parsed, part);
        assert_eq!(verify_fresh(part_req, &parsed, &ledger, CLOCK), Ok(expected));
    }
    let value = serde_json::to_value(&presentation).unwrap();
    assert_eq!(value["proofs"][0]["backend"], "groth16");
    assert_eq!(value["proofs"][1]["backend"], "bulletproofs");
    let root = groth16(&mut presentation.clone(), 0).root;
    assert_eq!(value["proofs"][0]["root"], fr_to_hex(&root));

    let parse = |edit: &dyn Fn(&mut Value)| {
        let mut v = value.clone();
        edit(&mut v);
        serde_json::from_value::<Presentation>(v)
    };
    assert_eq!(parse(&|_| {}).unwrap(), presentation);

    // Non-canonical roots: the same element plus the modulus, the modulus itself, all ones.
    let mut plus_r = root.into_bigint();
    assert!(!plus_r.add_with_carry(&Fr::MODULUS));
    for bad in [
        format!("0x{}", hex::encode(plus_r.to_bytes_be())),
        format!("0x{}", hex::encode(Fr::MODULUS.to_bytes_be())),
        format!("0x{}", "ff".repeat(32)),
    ] {
        let err = parse(&|v| v["proofs"][0]["root"] = json!(bad)).unwrap_err();
        assert!(err.to_string().contains("canonical"), "{bad}: {err}");
    }
    // Pseudonyms are field elements too.
    assert!(parse(&|v| v["proofs"][0]["pseudonym"] = json!(format!("0x{}", "ff".repeat(32)))).is_err());

    // Unknown fields, anywhere.
    for (place, edit) in [
        ("presentation", &(|v: &mut Value| v["extra"] = json!(1)) as &dyn Fn(&mut Value)),
        ("groth16 proof", &|v: &mut Value| v["proofs"][0]["extra"] = json!(1)),
        ("bulletproofs proof", &|v: &mut Value| v["proofs"][1]["extra"] = json!(1)),
        ("range bundle", &|v: &mut Value| v["proofs"][1]["bundle"]["extra"] = json!(1)),
    ] {
        let err = parse(edit).unwrap_err();
        assert!(err.to_string().contains("unknown field"), "{place}: {err}");
    }
    // An unknown backend, and a missing field.
    assert!(parse(&|v| v["proofs"][0]["backend"] = json!("plonk")).is_err());
    assert!(parse(&|v| {
        v["proofs"][0].as_object_mut().unwrap().remove("pseudonym");
    })
    .is_err());
}
