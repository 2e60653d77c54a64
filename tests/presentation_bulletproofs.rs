//! Bulletproofs presentations (DESIGN.md "Flows", "Verify"): a Pedersen
//! credential registered on the ledger, proven in range under the holder's
//! authentication key. The walkthrough refuses every mismatch between the
//! proof and the ledger's record (revoked, unknown, another holder, issuer,
//! schema or expiry), tampered commitments and days, and a stolen opening,
//! then accepts the honest presentation once, as linkable; proofs from two
//! holders in one presentation are refused.

mod presentation_kit;

use zkreg_circuits::range_statement::PedersenOpening;
use zkreg_prover::Wallet;
use zkreg_suite::{at_least, request, rng, TODAY};
use zkreg_verifier::range::RangeVerifyError;
use zkreg_verifier::{Backend, Operator, PredicateSpec, Presentation, RangeCredential, Verified, VerifyError};

use presentation_kit::*;

#[test]
fn bulletproofs_walkthrough() {
    let mut r = rng(4);
    let mut ledger = ledger(8, &mut r);
    let wallet = Wallet::generate(&mut r);
    let thief = Wallet::generate(&mut r);
    let (held, commitment, record) =
        register_range_credential(&mut ledger, &wallet, CREDIT, CENTRAL_BANK, 720, TODAY + 30, &mut r);
    let held = [held];
    let spec = PredicateSpec { backend: Backend::Bulletproofs, ..at_least(CREDIT, 700, CENTRAL_BANK) };
    let req = request(vec![spec.clone()], 10);
    let presentation = build(&wallet, &req, &held, &ledger, TODAY, 40).unwrap();
    assert_eq!(bulletproofs(&mut presentation.clone(), 0).commitment, hex::encode(commitment));

    // Refusals first, on one challenge book: none of them consumes the challenge.
    let challenges = book(&req);
    let mut refuse = |record: Option<RangeCredential>, presentation: &Presentation| {
        match record {
            Some(record) => ledger.range_credentials.insert(commitment, record),
            None => ledger.range_credentials.remove(&commitment),
        };
        verify_with(&req, presentation, &ledger, &challenges, CLOCK).unwrap_err()
    };
    let err = refuse(Some(RangeCredential { revoked: true, ..record.clone() }), &presentation);
    assert_eq!(err, VerifyError::Revoked(0));
    assert_eq!(err.code(), "credential_revoked");
    let err = refuse(None, &presentation);
    assert_eq!(err, VerifyError::UnknownCredential(0));
    assert_eq!(err.code(), "unknown_credential");
    // Registered to another holder: the holder key is part of the transcript,
    // so the range proof itself no longer verifies.
    let err = refuse(Some(RangeCredential { holder_key: thief.auth_public(), ..record.clone() }), &presentation);
    assert_eq!(err, VerifyError::Range { index: 0, error: RangeVerifyError::ProofRejected });
    assert_eq!(err.code(), "range_proof_rejected");
    let err = refuse(Some(RangeCredential { issuer: "bureau".into(), ..record.clone() }), &presentation);
    assert_eq!(err, VerifyError::CredentialMismatch(0));
    let err = refuse(Some(RangeCredential { schema: LICENCE.into(), ..record.clone() }), &presentation);
    assert_eq!(err, VerifyError::CredentialMismatch(0));
    // The ledger's expiry, not the holder's, is what counts.
    let err = refuse(Some(RangeCredential { expiry: TODAY - 1, ..record.clone() }), &presentation);
    assert_eq!(err, VerifyError::Range { index: 0, error: RangeVerifyError::Expired { expiry: TODAY - 1, today: TODAY } });

    let mut tampered = presentation.clone();
    bulletproofs(&mut tampered, 0).commitment = "zz".repeat(32);
    assert_eq!(refuse(Some(record.clone()), &tampered), VerifyError::MalformedCommitment(0));
    // Another commitment, never registered.
    bulletproofs(&mut tampered, 0).commitment = hex::encode(PedersenOpening::random(720, &mut r).commit().to_bytes());
    assert_eq!(refuse(Some(record.clone()), &tampered), VerifyError::UnknownCredential(0));
    // A changed day (within tolerance) changes the statement.
    let mut tampered = presentation.clone();
    bulletproofs(&mut tampered, 0).today = TODAY - 1;
    assert_eq!(
        refuse(Some(record.clone()), &tampered),
        VerifyError::Range { index: 0, error: RangeVerifyError::ProofRejected }
    );
    // Proven for another bound: refused (the verifier derives the statement from its own request).
    let lower = request(vec![PredicateSpec { operator: Operator::AtLeast { value: 600 }, ..spec.clone() }], 10);
    assert_eq!(
        verify_with(&lower, &presentation, &ledger, &challenges, CLOCK),
        Err(VerifyError::Range { index: 0, error: RangeVerifyError::ProofRejected })
    );

    // The honest presentation verifies, once; it is linkable.
    ledger.range_credentials.insert(commitment, record.clone());
    assert_eq!(
        verify_with(&req, &presentation, &ledger, &challenges, CLOCK),
        Ok(Verified { pseudonym: None, predicates: 1, linkable: true })
    );
    // Linkable: a presentation to another request names the same commitment.
    let second = request(vec![spec], 11);
    let again = build(&wallet, &second, &held, &ledger, TODAY, 41).unwrap();
    assert_eq!(bulletproofs(&mut again.clone(), 0).commitment, hex::encode(commitment));
    assert!(verify_fresh(&second, &again, &ledger, CLOCK).is_ok());
    // A stolen opening is useless without the holder's authentication key.
    let stolen = build(&thief, &second, &held, &ledger, TODAY, 42).unwrap();
    assert_eq!(
        verify_fresh(&second, &stolen, &ledger, CLOCK),
        Err(VerifyError::Range { index: 0, error: RangeVerifyError::ProofRejected })
    );
}

#[test]
fn bulletproofs_proofs_from_two_holders_are_refused() {
    let mut r = rng(10);
    let mut ledger = ledger(8, &mut r);
    let alice = Wallet::generate(&mut r);
    let bob = Wallet::generate(&mut r);
    let mut credentials = |wallet: &Wallet| {
        let (credit, _, _) = register_range_credential(&mut ledger, wallet, CREDIT, CENTRAL_BANK, 720, TODAY + 30, &mut r);
        let (licence, _, _) = register_range_credential(&mut ledger, wallet, LICENCE, FOOD_AGENCY, 2, TODAY + 30, &mut r);
        [credit, licence]
    };
    let held_alice = credentials(&alice);
    let held_bob = credentials(&bob);
    let req = request(
        vec![
            PredicateSpec { backend: Backend::Bulletproofs, ..at_least(CREDIT, 700, CENTRAL_BANK) },
            PredicateSpec { backend: Backend::Bulletproofs, ..licence(Operator::Equals { value: 2 }) },
        ],
        18,
    );
    let from_alice = build(&alice, &req, &held_alice, &ledger, TODAY, 110).unwrap();
    let from_bob = build(&bob, &req, &held_bob, &ledger, TODAY, 111).unwrap();
    assert!(verify_fresh(&req, &from_alice, &ledger, CLOCK).is_ok());
    assert!(verify_fresh(&req, &from_bob, &ledger, CLOCK).is_ok());

    // Alice's credit score with Bob's licence: the Groth16 analogue is
    // `PseudonymMismatch`; one presentation must be one holder's.
    let mut spliced = from_alice.clone();
    spliced.proofs[1] = from_bob.proofs[1].clone();
    let outcome = verify_fresh(&req, &spliced, &ledger, CLOCK);
    assert_eq!(outcome, Err(VerifyError::HolderMismatch));
    assert_eq!(VerifyError::HolderMismatch.code(), "holder_mismatch");
}
