//! Groth16 presentations walked through end to end (DESIGN.md "Flows",
//! "Verify"): a credit-score threshold, a licence class (exact and between
//! bounds) with the credential's expiry and the verifier's day tolerance, and
//! two predicates answered by one holder, whose proofs cannot be spliced with
//! another holder's. The verifier accepts the honest presentation with the
//! holder's pseudonym under the request's scope; a wallet whose credentials do
//! not meet the request cannot answer it.

mod presentation_kit;

use zkreg_circuits::field::{fr_to_hex, label, LabelDomain};
use zkreg_prover::{HeldCredential, PresentationError, Wallet};
use zkreg_suite::{at_least, request, rng, NOW, TODAY};
use zkreg_verifier::{Clock, Operator, Verified, VerifyError};

use presentation_kit::*;

#[test]
fn credit_threshold_walkthrough() {
    let mut r = rng(1);
    let mut ledger = ledger(8, &mut r);
    let wallet = Wallet::generate(&mut r);
    // The holder hands over its holder id only; the regulator commits and the ledger appends.
    let opening = issue(&mut ledger, &wallet, CREDIT, CENTRAL_BANK, 720, TODAY + 365, &mut r);
    assert_eq!(opening.check(wallet.holder_id()), Ok(()));
    assert_eq!(ledger.tree.leaf(opening.leaf_index.unwrap()), Ok(opening.commitment));
    let held = [HeldCredential::Groth16(opening.clone())];

    let req = request(vec![at_least(CREDIT, 700, CENTRAL_BANK)], 1);
    let presentation = build(&wallet, &req, &held, &ledger, TODAY, 10).unwrap();
    assert_eq!(presentation.challenge, req.challenge);
    assert_eq!(presentation.proofs.len(), 1);
    // Neither the commitment nor the salt travels to the bank.
    let wire = serde_json::to_string(&presentation).unwrap();
    assert!(!wire.contains(&fr_to_hex(&opening.commitment)[2..]));
    assert!(!wire.contains(&fr_to_hex(&opening.salt)[2..]));

    let verified = verify_with(&req, &presentation, &ledger, &book(&req), CLOCK).unwrap();
    assert_eq!(
        verified,
        Verified { pseudonym: Some(pseudonym_hex(&wallet, &req)), predicates: 1, linkable: false }
    );
    // Another verifier's scope gives an unrelated pseudonym.
    assert_ne!(wallet.pseudonym(&label(LabelDomain::Scope, "bank-b/loans")), wallet.pseudonym(&req.scope_field()));

    // A threshold the credential does not meet cannot be answered.
    let too_high = request(vec![at_least(CREDIT, 721, CENTRAL_BANK)], 2);
    let err = build(&wallet, &too_high, &held, &ledger, TODAY, 11).unwrap_err();
    assert!(matches!(err, PresentationError::NoCredential(0)), "{err:?}");
    // Nor can a request that accepts only another issuer.
    let other_issuer = request(vec![at_least(CREDIT, 700, "bureau")], 3);
    let err = build(&wallet, &other_issuer, &held, &ledger, TODAY, 12).unwrap_err();
    assert!(matches!(err, PresentationError::NoCredential(0)), "{err:?}");
}

#[test]
fn licence_walkthrough_and_expiry() {
    let mut r = rng(2);
    let mut ledger = ledger(8, &mut r);
    let wallet = Wallet::generate(&mut r);
    let valid = issue(&mut ledger, &wallet, LICENCE, FOOD_AGENCY, 2, TODAY + 180, &mut r);
    let held = [HeldCredential::Groth16(valid)];

    // Licence class 2, exactly; the request stays open for three days.
    let mut equals = request(vec![licence(Operator::Equals { value: 2 })], 4);
    equals.expires_at = NOW + 3 * DAY;
    let by_class = build(&wallet, &equals, &held, &ledger, TODAY, 20).unwrap();
    // Licence class between 1 and 3.
    let between = request(vec![licence(Operator::Between { lo: 1, hi: 3 })], 5);
    let by_range = build(&wallet, &between, &held, &ledger, TODAY, 21).unwrap();
    let expected = Verified { pseudonym: Some(pseudonym_hex(&wallet, &equals)), predicates: 1, linkable: false };
    assert_eq!(verify_fresh(&between, &by_range, &ledger, CLOCK), Ok(expected.clone()));

    // Today's proof is refused two days later (tolerance one day), without
    // consuming the challenge, and accepted the next day.
    let challenges = book(&equals);
    let err = verify_with(&equals, &by_class, &ledger, &challenges, Clock { now: NOW + 2 * DAY, ..CLOCK }).unwrap_err();
    assert_eq!(err, VerifyError::DayOutOfTolerance(0));
    assert_eq!(err.code(), "day_out_of_tolerance");
    assert_eq!(verify_with(&equals, &by_class, &ledger, &challenges, Clock { now: NOW + DAY, ..CLOCK }), Ok(expected));

    // Other classes cannot be claimed.
    for (nonce, operator) in [(6, Operator::Equals { value: 1 }), (7, Operator::Between { lo: 3, hi: 9 })] {
        let err = build(&wallet, &request(vec![licence(operator)], nonce), &held, &ledger, TODAY, 22).unwrap_err();
        assert!(matches!(err, PresentationError::NoCredential(0)), "{operator:?}: {err:?}");
    }

    // An expired licence (last valid day three days ago) answers nothing today.
    let lapsed = issue(&mut ledger, &wallet, LICENCE, FOOD_AGENCY, 2, TODAY - 3, &mut r);
    let held_lapsed = [HeldCredential::Groth16(lapsed)];
    let fresh = request(vec![licence(Operator::Equals { value: 2 })], 8);
    let err = build(&wallet, &fresh, &held_lapsed, &ledger, TODAY, 23).unwrap_err();
    assert!(matches!(err, PresentationError::NoCredential(0)), "{err:?}");
    // On its last valid day it can still be proven; the boundary is inclusive.
    // A proof made back then (or back-dated to then) is valid for that day
    // only: the verifier's clock moving past the tolerance refuses it.
    let backdated = build(&wallet, &fresh, &held_lapsed, &ledger, TODAY - 3, 24).unwrap();
    let challenges = book(&fresh);
    assert_eq!(verify_with(&fresh, &backdated, &ledger, &challenges, CLOCK), Err(VerifyError::DayOutOfTolerance(0)));
    assert_eq!(
        verify_with(&fresh, &backdated, &ledger, &challenges, Clock { now: NOW - 3 * DAY, ..CLOCK })
            .map(|v| v.pseudonym),
        Ok(Some(pseudonym_hex(&wallet, &fresh)))
    );
}

#[test]
fn two_predicates_one_holder() {
    let mut r = rng(3);
    let mut ledger = ledger(8, &mut r);
    let alice = Wallet::generate(&mut r);
    let bob = Wallet::generate(&mut r);
    let mut credentials = |wallet: &Wallet| {
        vec![
            HeldCredential::Groth16(issue(&mut ledger, wallet, CREDIT, CENTRAL_BANK, 720, TODAY + 365, &mut r)),
            HeldCredential::Groth16(issue(&mut ledger, wallet, LICENCE, FOOD_AGENCY, 2, TODAY + 180, &mut r)),
        ]
    };
    let held_alice = credentials(&alice);
    let held_bob = credentials(&bob);
    let req = request(vec![at_least(CREDIT, 700, CENTRAL_BANK), licence(Operator::Equals { value: 2 })], 9);
    let from_alice = build(&alice, &req, &held_alice, &ledger, TODAY, 30).unwrap();
    let from_bob = build(&bob, &req, &held_bob, &ledger, TODAY, 31).unwrap();

    assert_eq!(
        verify_fresh(&req, &from_alice, &ledger, CLOCK),
        Ok(Verified { pseudonym: Some(pseudonym_hex(&alice, &req)), predicates: 2, linkable: false })
    );
    // Bob's presentation is honest in its own right.
    assert_eq!(verify_fresh(&req, &from_bob, &ledger, CLOCK).map(|v| v.pseudonym), Ok(Some(pseudonym_hex(&bob, &req))));
    // Proofs are matched to predicates by index, not by position.
    let mut reordered = from_alice.clone();
    reordered.proofs.reverse();
    assert_eq!(verify_fresh(&req, &reordered, &ledger, CLOCK).map(|v| v.predicates), Ok(2));

    // Alice's credit proof with Bob's (valid) licence proof: two holders.
    let challenges = book(&req);
    let mut spliced = from_alice.clone();
    spliced.proofs[1] = from_bob.proofs[1].clone();
    let err = verify_with(&req, &spliced, &ledger, &challenges, CLOCK).unwrap_err();
    assert_eq!(err, VerifyError::PseudonymMismatch);
    assert_eq!(err.code(), "pseudonym_mismatch");
    // Relabelling Bob's proof with Alice's pseudonym breaks the proof.
    groth16(&mut spliced, 1).pseudonym = groth16(&mut from_alice.clone(), 0).pseudonym;
    assert_eq!(verify_with(&req, &spliced, &ledger, &challenges, CLOCK), Err(VerifyError::ProofRejected(1)));
    // Neither refusal consumed the challenge.
    assert!(verify_with(&req, &from_alice, &ledger, &challenges, CLOCK).is_ok());
}
