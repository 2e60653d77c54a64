//! The kit of the presentation suites (`tests/presentation_*.rs`): a ledger
//! with `central-bank` authorised for `credit-score` and `food-agency` for
//! `licence.food-business`, issuing to a wallet (Groth16 leaves and
//! registered Pedersen credentials), building a presentation on a given day,
//! a challenge book that issued a request's challenge, and verifying against
//! the verifier's clock (DESIGN.md "Flows", "Verify").
//!
//! Every test builds its own ledger and wallets from a fixed seed. Proving is
//! the slow part, so one presentation is reused across many assertions
//! wherever the statement allows; the refusals never consume the challenge,
//! so most tests finish with the honest presentation verifying against the
//! same challenge book that saw the refusals.

// Each suite uses part of the kit.
#![allow(dead_code)]

use ark_bn254::Fr;
use ark_ff::UniformRand;
use rand_chacha::ChaCha20Rng;

use zkreg_circuits::field::fr_to_hex;
use zkreg_circuits::presentation::{BulletproofsProof, CredentialProof, Groth16Proof};
use zkreg_circuits::range_statement::PedersenOpening;
use zkreg_prover::{
    build_presentation, CredentialOpening, HeldCredential, PresentationError, RangeCredentialOpening, Wallet,
};
use zkreg_suite::{prover, rng, verifier, TestLedger, NOW, TODAY};
use zkreg_verifier::{
    verify_presentation, Backend, Clock, LedgerView, MemoryChallengeBook, Operator, PredicateSpec,
    Presentation, ProofRequest, RangeCredential, Verified, VerifyError,
};

/// The verifier's clock in every test unless a test moves it.
pub const CLOCK: Clock = Clock { now: NOW, day_tolerance: 1 };

/// Seconds in a day.
pub const DAY: u64 = 86_400;

pub const CREDIT: &str = "credit-score";
pub const CENTRAL_BANK: &str = "central-bank";
pub const LICENCE: &str = "licence.food-business";
pub const FOOD_AGENCY: &str = "food-agency";

/// A ledger accepting the last `window` roots, with `central-bank` authorised
/// for `credit-score`, `food-agency` for `licence.food-business`, and a few
/// unrelated leaves already in the tree.
pub fn ledger(window: usize, r: &mut ChaCha20Rng) -> TestLedger {
    let mut ledger = TestLedger::new(window);
    ledger.authorise(CENTRAL_BANK, CREDIT);
    ledger.authorise(FOOD_AGENCY, LICENCE);
    let others: Vec<Fr> = (0..3).map(|_| Fr::rand(r)).collect();
    ledger.append(&others);
    ledger
}

/// The regulator issues a credential to `wallet` and the ledger appends it.
pub fn issue(
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
pub fn licence(operator: Operator) -> PredicateSpec {
    PredicateSpec {
        schema: LICENCE.into(),
        operator,
        allowed_issuers: vec![FOOD_AGENCY.into()],
        backend: Backend::Groth16,
    }
}

/// The holder builds a presentation on day `today`.
pub fn build(
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
pub fn book(request: &ProofRequest) -> MemoryChallengeBook {
    let book = MemoryChallengeBook::default();
    book.issue(&request.challenge);
    book
}

/// Verifies against `challenges` (which a successful verification consumes).
pub fn verify_with(
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
pub fn verify_fresh(
    request: &ProofRequest,
    presentation: &Presentation,
    ledger: &impl LedgerView,
    clock: Clock,
) -> Result<Verified, VerifyError> {
    verify_with(request, presentation, ledger, &book(request), clock)
}

/// The holder's pseudonym under the request's scope, as [`Verified`] shows it.
pub fn pseudonym_hex(wallet: &Wallet, request: &ProofRequest) -> String {
    fr_to_hex(&wallet.pseudonym(&request.scope_field()))
}

/// The `index`th proof of `presentation`, which must be a Groth16 proof.
pub fn groth16(presentation: &mut Presentation, index: usize) -> &mut Groth16Proof {
    match &mut presentation.proofs[index] {
        CredentialProof::Groth16(proof) => proof,
        CredentialProof::Bulletproofs(_) => panic!("proof {index} is not a Groth16 proof"),
    }
}

/// The `index`th proof of `presentation`, which must be a Bulletproofs proof.
pub fn bulletproofs(presentation: &mut Presentation, index: usize) -> &mut BulletproofsProof {
    match &mut presentation.proofs[index] {
        CredentialProof::Bulletproofs(proof) => proof,
        CredentialProof::Groth16(_) => panic!("proof {index} is not a Bulletproofs proof"),
    }
}

/// `proof`, relabelled as the answer to predicate `predicate` (no proof
/// binds its predicate's index: the verifier finds the statement by it).
pub fn answering(mut proof: CredentialProof, predicate: usize) -> CredentialProof {
    match &mut proof {
        CredentialProof::Groth16(p) => p.predicate = predicate,
        CredentialProof::Bulletproofs(p) => p.predicate = predicate,
    }
    proof
}

/// A wallet holding a `credit-score` of 720 from `central-bank`, on a ledger
/// with a window of eight roots.
pub fn credit_holder(seed: u64) -> (TestLedger, Wallet, Vec<HeldCredential>) {
    let mut r = rng(seed);
    let mut ledger = ledger(8, &mut r);
    let wallet = Wallet::generate(&mut r);
    let opening = issue(&mut ledger, &wallet, CREDIT, CENTRAL_BANK, 720, TODAY + 365, &mut r);
    (ledger, wallet, vec![HeldCredential::Groth16(opening)])
}

/// A Pedersen credential registered on the ledger for `wallet`, as the
/// holder holds it.
pub fn register_range_credential(
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
pub struct NoAuthorisations<'a>(pub &'a TestLedger);

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
