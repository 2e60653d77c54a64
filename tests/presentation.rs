//! Presentations end to end (DESIGN.md "Flows", "Verify"): a holder's wallet
//! answers a bank's proof request with Groth16 and Bulletproofs proofs, and the
//! verifier accepts exactly the honest presentations, once, and refuses every
//! other one with the precise [`VerifyError`].
//!
//! Every test builds its own ledger and wallets from a fixed seed. Proving is
//! the slow part, so one presentation is reused across many assertions
//! wherever the statement allows; the refusals never consume the challenge,
//! so most tests finish with the honest presentation verifying against the
//! same challenge book that saw the refusals.

use std::sync::Barrier;

use ark_bn254::{Bn254, Fr};
use ark_ff::{BigInteger, PrimeField, UniformRand};
use ark_groth16::Groth16;
use rand_chacha::ChaCha20Rng;
use serde_json::{json, Value};

use zkreg_circuits::field::{fr_to_hex, label, LabelDomain};
use zkreg_circuits::presentation::{BulletproofsProof, CredentialProof, Groth16Proof};
use zkreg_circuits::range_statement::PedersenOpening;
use zkreg_circuits::request::RequestError;
use zkreg_prover::{
    build_presentation, CredentialOpening, HeldCredential, PresentationError, ProveError, RangeCredentialOpening,
    Wallet,
};
use zkreg_suite::{at_least, keys, prover, request, rng, verifier, TestLedger, NOW, TODAY};
use zkreg_verifier::groth16::{decode_proof_hex, encode_proof_hex, ProofError};
use zkreg_verifier::range::RangeVerifyError;
use zkreg_verifier::{
    verify_presentation, Backend, ChallengeBook, ChallengeError, Clock, LedgerView, MemoryChallengeBook, Operator,
    PredicateSpec, Presentation, ProofRequest, RangeCredential, Verified, VerifyError,
};

/// The verifier's clock in every test unless a test moves it.
const CLOCK: Clock = Clock { now: NOW, day_tolerance: 1 };

/// Seconds in a day.
const DAY: u64 = 86_400;

const CREDIT: &str = "credit-score";
const CENTRAL_BANK: &str = "central-bank";
const LICENCE: &str = "licence.food-business";
const FOOD_AGENCY: &str = "food-agency";

/// A ledger accepting the last `window` roots, with `central-bank` authorised
/// for `credit-score`, `food-agency` for `licence.food-business`, and a few
/// unrelated leaves already in the tree.
fn ledger(window: usize, r: &mut ChaCha20Rng) -> TestLedger {
    let mut ledger = TestLedger::new(window);
    ledger.authorise(CENTRAL_BANK, CREDIT);
    ledger.authorise(FOOD_AGENCY, LICENCE);
    let others: Vec<Fr> = (0..3).map(|_| Fr::rand(r)).collect();
    ledger.append(&others);
    ledger
}

/// The regulator issues a credential to `wallet` and the ledger appends it.
fn issue(
    ledger: &mut TestLedger,
    wallet: &Wallet,
    schema: &str,
    issuer: &str,
    value: u64,
    expiry: u32,
    r: &mut ChaCha20Rng,
) -> CredentialOpening {
    let mut opening = CredentialOpening::issue(schema, issuer, wallet.holder_id(), value, expiry, r);
    ledger.issue(&mut opening);
    opening
}

/// A `licence.food-business` predicate accepting `food-agency`.
fn licence(operator: Operator) -> PredicateSpec {
    PredicateSpec {
        schema: LICENCE.into(),
        operator,
        allowed_issuers: vec![FOOD_AGENCY.into()],
        backend: Backend::Groth16,
    }
}

/// The holder builds a presentation on day `today`.
fn build(
    wallet: &Wallet,
    request: &ProofRequest,
    held: &[HeldCredential],
    ledger: &TestLedger,
    today: u32,
    seed: u64,
) -> Result<Presentation, PresentationError> {
    build_presentation(prover(), wallet, request, held, ledger, today, &mut rng(seed))
}

/// A challenge book that issued `request`'s challenge.
fn book(request: &ProofRequest) -> MemoryChallengeBook {
    let book = MemoryChallengeBook::default();
    book.issue(&request.challenge);
    book
}

fn verify_with(
    request: &ProofRequest,
    presentation: &Presentation,
    ledger: &impl LedgerView,
    challenges: &MemoryChallengeBook,
    clock: Clock,
) -> Result<Verified, VerifyError> {
    verify_presentation(verifier(), request, presentation, ledger, challenges, clock, &mut rng(0xba7c4))
}

/// Verifies with a fresh book that issued the request's challenge, for checks
/// that are not about challenges (and may be repeated).
fn verify_fresh(
    request: &ProofRequest,
    presentation: &Presentation,
    ledger: &impl LedgerView,
    clock: Clock,
) -> Result<Verified, VerifyError> {
    verify_with(request, presentation, ledger, &book(request), clock)
}

/// The holder's pseudonym under the request's scope, as [`Verified`] shows it.
fn pseudonym_hex(wallet: &Wallet, request: &ProofRequest) -> String {
    fr_to_hex(&wallet.pseudonym(&request.scope_field()))
}

fn groth16(presentation: &mut Presentation, index: usize) -> &mut Groth16Proof {
    match &mut presentation.proofs[index] {
        CredentialProof::Groth16(proof) => proof,
        CredentialProof::Bulletproofs(_) => panic!("proof {index} is not a Groth16 proof"),
    }
}

fn bulletproofs(presentation: &mut Presentation, index: usize) -> &mut BulletproofsProof {
    match &mut presentation.proofs[index] {
        CredentialProof::Bulletproofs(proof) => proof,
        CredentialProof::Groth16(_) => panic!("proof {index} is not a Bulletproofs proof"),
    }
}

/// `proof`, relabelled as the answer to predicate `predicate` (no proof
/// binds its predicate's index: the verifier finds the statement by it).
fn answering(mut proof: CredentialProof, predicate: usize) -> CredentialProof {
    match &mut proof {
        CredentialProof::Groth16(p) => p.predicate = predicate,
        CredentialProof::Bulletproofs(p) => p.predicate = predicate,
    }
    proof
}

/// A wallet holding a `credit-score` of 720 from `central-bank`, on a ledger
/// with a window of eight roots.
fn credit_holder(seed: u64) -> (TestLedger, Wallet, Vec<HeldCredential>) {
    let mut r = rng(seed);
    let mut ledger = ledger(8, &mut r);
    let wallet = Wallet::generate(&mut r);
    let opening = issue(&mut ledger, &wallet, CREDIT, CENTRAL_BANK, 720, TODAY + 365, &mut r);
    (ledger, wallet, vec![HeldCredential::Groth16(opening)])
}

/// A Pedersen credential registered on the ledger for `wallet`, as the
/// holder holds it.
fn register_range_credential(
    ledger: &mut TestLedger,
    wallet: &Wallet,
    schema: &str,
    issuer: &str,
    value: u64,
    expiry: u32,
    r: &mut ChaCha20Rng,
) -> (HeldCredential, [u8; 32], RangeCredential) {
    let opening = PedersenOpening::random(value, r);
    let commitment = opening.commit().to_bytes();
    let record = RangeCredential {
        issuer: issuer.into(),
        schema: schema.into(),
        holder_key: wallet.auth_public(),
        expiry,
        revoked: false,
    };
    ledger.range_credentials.insert(commitment, record.clone());
    let held = HeldCredential::Bulletproofs(RangeCredentialOpening {
        schema: schema.into(),
        issuer: issuer.into(),
        expiry,
        opening,
    });
    (held, commitment, record)
}

/// A ledger view that forwards to a [`TestLedger`] but authorises no issuer.
struct NoAuthorisations<'a>(&'a TestLedger);

impl LedgerView for NoAuthorisations<'_> {
    fn root_in_window(&self, root: &Fr) -> bool {
        self.0.root_in_window(root)
    }
    fn issuer_authorised(&self, _issuer: &str, _schema: &str) -> bool {
        false
    }
    fn range_credential(&self, commitment: &[u8; 32]) -> Option<RangeCredential> {
        self.0.range_credential(commitment)
    }
    fn registered_fingerprint(&self) -> Option<[u8; 32]> {
        self.0.registered_fingerprint()
    }
}

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
fn challenges_are_single_use_and_bound_to_the_request() {
    let (ledger, wallet, held) = credit_holder(5);
    let req_a = request(vec![at_least(CREDIT, 700, CENTRAL_BANK)], 12);
    let req_b = request(vec![at_least(CREDIT, 700, CENTRAL_BANK)], 13);
    let challenges = MemoryChallengeBook::default();
    challenges.issue(&req_a.challenge);
    challenges.issue(&req_b.challenge);
    let presentation = build(&wallet, &req_a, &held, &ledger, TODAY, 50).unwrap();

    // A rejected attempt on A's challenge does not consume it.
    let mut tampered = presentation.clone();
    groth16(&mut tampered, 0).pseudonym += Fr::from(1u64);
    assert_eq!(verify_with(&req_a, &tampered, &ledger, &challenges, CLOCK), Err(VerifyError::ProofRejected(0)));

    // A's presentation submitted against B.
    let err = verify_with(&req_b, &presentation, &ledger, &challenges, CLOCK).unwrap_err();
    assert_eq!(err, VerifyError::ChallengeMismatch);
    assert_eq!(err.code(), "challenge_mismatch");
    // Echoing B's challenge does not help: the proof is bound to A's.
    let mut rewritten = presentation.clone();
    rewritten.challenge = req_b.challenge.clone();
    assert_eq!(verify_with(&req_b, &rewritten, &ledger, &challenges, CLOCK), Err(VerifyError::ProofRejected(0)));

    // The honest presentation verifies once.
    assert!(verify_with(&req_a, &presentation, &ledger, &challenges, CLOCK).is_ok());
    let err = verify_with(&req_a, &presentation, &ledger, &challenges, CLOCK).unwrap_err();
    assert_eq!(err, VerifyError::Challenge(ChallengeError::Replayed));
    assert_eq!(err.code(), "challenge_replayed");
    // A fresh-looking proof of the same statement (re-randomised: other
    // bytes, equally valid) is a replay too: single use is per challenge.
    let mut rerandomised = presentation.clone();
    let proof = decode_proof_hex(&groth16(&mut rerandomised, 0).proof).unwrap();
    groth16(&mut rerandomised, 0).proof =
        encode_proof_hex(&Groth16::<Bn254>::rerandomize_proof(&keys().1, &proof, &mut rng(51)));
    assert_ne!(rerandomised, presentation);
    assert!(verify_fresh(&req_a, &rerandomised, &ledger, CLOCK).is_ok());
    assert_eq!(
        verify_with(&req_a, &rerandomised, &ledger, &challenges, CLOCK),
        Err(VerifyError::Challenge(ChallengeError::Replayed))
    );

    // A challenge this verifier never issued.
    let err = verify_with(&req_a, &presentation, &ledger, &MemoryChallengeBook::default(), CLOCK).unwrap_err();
    assert_eq!(err, VerifyError::Challenge(ChallengeError::Unknown));
    assert_eq!(err.code(), "challenge_unknown");

    // The two refused attempts against B left B's challenge unused.
    assert_eq!(challenges.consume(&req_b.challenge), Ok(()));
}

#[test]
fn revocation_takes_effect_when_the_root_leaves_the_window() {
    // The ledger accepts the roots of the last WINDOW blocks. A proof against
    // the root just before a revocation stays acceptable until WINDOW blocks
    // (the revocation's own block included) have been appended after that
    // root: the window is the revocation latency.
    const WINDOW: usize = 4;
    let mut r = rng(6);
    let mut ledger = ledger(WINDOW, &mut r);
    let wallet = Wallet::generate(&mut r);
    let neighbour = Wallet::generate(&mut r);
    let opening = issue(&mut ledger, &wallet, CREDIT, CENTRAL_BANK, 720, TODAY + 365, &mut r);
    let neighbours = issue(&mut ledger, &neighbour, CREDIT, CENTRAL_BANK, 750, TODAY + 365, &mut r);
    let held = [HeldCredential::Groth16(opening.clone())];
    let req = request(vec![at_least(CREDIT, 700, CENTRAL_BANK)], 14);
    let before = build(&wallet, &req, &held, &ledger, TODAY, 60).unwrap();

    let index = opening.leaf_index.unwrap();
    ledger.revoke(index);
    assert_eq!(ledger.tree.leaf(index), Ok(Fr::from(0u64)));
    // The holder can no longer prove: the path under the new root opens 0, not
    // the commitment (the prover's native check, before any proving work).
    let later = request(vec![at_least(CREDIT, 700, CENTRAL_BANK)], 15);
    let err = build(&wallet, &later, &held, &ledger, TODAY, 61).unwrap_err();
    assert!(matches!(err, PresentationError::Groth16(ProveError::NotInTree)), "{err:?}");
    // Revocation is per credential: the neighbouring leaf still proves.
    let other = build(&neighbour, &later, &[HeldCredential::Groth16(neighbours)], &ledger, TODAY, 62).unwrap();
    assert_eq!(verify_fresh(&later, &other, &ledger, CLOCK).map(|v| v.pseudonym), Ok(Some(pseudonym_hex(&neighbour, &later))));

    // The presentation made before the revocation: accepted for WINDOW - 1
    // blocks after its root (the revocation and WINDOW - 2 empty blocks)...
    for blocks_since_root in 1..WINDOW {
        assert!(verify_fresh(&req, &before, &ledger, CLOCK).is_ok(), "{blocks_since_root} blocks after its root");
        ledger.empty_block();
    }
    // ...and refused once WINDOW blocks have been appended after its root.
    let err = verify_fresh(&req, &before, &ledger, CLOCK).unwrap_err();
    assert_eq!(err, VerifyError::RootNotInWindow(0));
    assert_eq!(err.code(), "root_not_in_window");
}

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

#[test]
fn concurrent_verification_accepts_each_presentation_exactly_once() {
    const THREADS: usize = 4;
    const PRESENTATIONS: usize = 16;
    let mut r = rng(9);
    let mut ledger = ledger(8, &mut r);
    let wallets: Vec<Wallet> = (0..THREADS).map(|_| Wallet::generate(&mut r)).collect();
    // Each wallet holds a Groth16 and a Pedersen credit score: half the
    // presentations are Groth16, half Bulletproofs.
    let mut held = Vec::new();
    for wallet in &wallets {
        let opening = issue(&mut ledger, wallet, CREDIT, CENTRAL_BANK, 720, TODAY + 365, &mut r);
        let (range, _, _) = register_range_credential(&mut ledger, wallet, CREDIT, CENTRAL_BANK, 710, TODAY + 30, &mut r);
        held.push([HeldCredential::Groth16(opening), range]);
    }
    let challenges = MemoryChallengeBook::default();
    let cases: Vec<(ProofRequest, Presentation, Option<String>)> = (0..PRESENTATIONS)
        .map(|i| {
            let backend = if i % 2 == 0 { Backend::Groth16 } else { Backend::Bulletproofs };
            let req = request(vec![PredicateSpec { backend, ..at_least(CREDIT, 700, CENTRAL_BANK) }], 100 + i as u8);
            challenges.issue(&req.challenge);
            let wallet = &wallets[i % THREADS];
            let presentation = build(wallet, &req, &held[i % THREADS], &ledger, TODAY, 90 + i as u64).unwrap();
            let pseudonym = (backend == Backend::Groth16).then(|| pseudonym_hex(wallet, &req));
            (req, presentation, pseudonym)
        })
        .collect();

    // Every thread tries every presentation, in its own order, all at once.
    let start = Barrier::new(THREADS);
    let outcomes: Vec<Vec<(usize, Result<Verified, VerifyError>)>> = std::thread::scope(|s| {
        let workers: Vec<_> = (0..THREADS)
            .map(|t| {
                let (cases, ledger, challenges, start) = (&cases, &ledger, &challenges, &start);
                s.spawn(move || {
                    start.wait();
                    (0..PRESENTATIONS)
                        .map(|k| {
                            let i = (k + t * PRESENTATIONS / THREADS) % PRESENTATIONS;
                            let (req, presentation, _) = &cases[i];
                            let mut thread_rng = rng(1_000 + t as u64);
                            let outcome = verify_presentation(
                                verifier(),
                                req,
                                presentation,
                                ledger,
                                challenges,
                                CLOCK,
                                &mut thread_rng,
                            );
                            (i, outcome)
                        })
                        .collect()
                })
            })
            .collect();
        workers.into_iter().map(|w| w.join().unwrap()).collect()
    });
    let mut accepted = [0usize; PRESENTATIONS];
    for (i, outcome) in outcomes.into_iter().flatten() {
        match outcome {
            Ok(verified) => {
                accepted[i] += 1;
                let (_, _, pseudonym) = &cases[i];
                assert_eq!(verified.pseudonym, *pseudonym, "presentation {i}");
                assert_eq!(verified.linkable, pseudonym.is_none(), "presentation {i}");
            }
            Err(err) => assert_eq!(err.code(), "challenge_replayed", "presentation {i}: {err}"),
        }
    }
    assert_eq!(accepted, [1; PRESENTATIONS]);

    // A second round: every challenge is spent.
    std::thread::scope(|s| {
        for t in 0..THREADS {
            let (cases, ledger, challenges) = (&cases, &ledger, &challenges);
            s.spawn(move || {
                for (req, presentation, _) in cases.iter().skip(t).step_by(THREADS) {
                    let err = verify_with(req, presentation, ledger, challenges, CLOCK).unwrap_err();
                    assert_eq!(err.code(), "challenge_replayed");
                }
            });
        }
    });
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
