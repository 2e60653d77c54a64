//! Bulletproofs range presentations, end to end: the holder's prover against
//! the verifier, accept and reject.

use bulletproofs::RangeProof;
use curve25519_dalek::ristretto::CompressedRistretto;
use ed25519_dalek::{Signer, SigningKey};
use rand::{RngCore, SeedableRng};
use rand_chacha::ChaCha20Rng;
use zkreg_circuits::constants::RANGE_BITS;
use zkreg_circuits::range_statement::{
    bulletproof_gens, pedersen_gens, PedersenOpening, RangeProofBundle, RangeStatement, TranscriptProtocol,
    RANGE_PROOF_LEN,
};
use zkreg_circuits::Fr;
use zkreg_prover::range::{prove_range, RangeProveError};
use zkreg_verifier::range::{verify_range, verify_range_with_rng, RangeVerifyError};

const LO: u64 = 600;
const HI: u64 = 850;
const TODAY: u32 = 20_000;
const EXPIRY: u32 = 20_365;

/// A holder with one registered credential of `value`.
struct Holder {
    opening: PedersenOpening,
    key: SigningKey,
    rng: ChaCha20Rng,
}

impl Holder {
    fn new(value: u64, seed: u64) -> Self {
        let mut rng = ChaCha20Rng::seed_from_u64(seed);
        let opening = PedersenOpening::random(value, &mut rng);
        let key = SigningKey::generate(&mut rng);
        Self { opening, key, rng }
    }

    /// The statement a verifier builds for bounds `[lo, hi]` from its request
    /// and the ledger's record of this holder's credential.
    fn statement(&self, lo: u64, hi: u64) -> RangeStatement {
        RangeStatement {
            challenge: Fr::from(0xc0ffeeu64),
            scope: Fr::from(0xbadu64),
            schema: "credit-score".into(),
            issuer: "central-bank".into(),
            lo,
            hi,
            today: TODAY,
            commitment: self.opening.commit(),
            holder_key: self.key.verifying_key().to_bytes(),
            expiry: EXPIRY,
        }
    }

    fn prove(&mut self, statement: &RangeStatement) -> Result<RangeProofBundle, RangeProveError> {
        prove_range(&self.opening, statement, &self.key, &mut self.rng)
    }
}

fn verifier_rng() -> ChaCha20Rng {
    ChaCha20Rng::seed_from_u64(7)
}

fn verify(statement: &RangeStatement, bundle: &RangeProofBundle) -> Result<(), RangeVerifyError> {
    verify_range_with_rng(statement, bundle, &mut verifier_rng())
}

/// A valid presentation of a credential of value 700 for [600, 850].
fn valid() -> (Holder, RangeStatement, RangeProofBundle) {
    let mut holder = Holder::new(700, 1);
    let statement = holder.statement(LO, HI);
    let bundle = holder.prove(&statement).unwrap();
    (holder, statement, bundle)
}

// ---------------------------------------------------------------- accept

#[test]
fn accepts_value_at_lo() {
    let mut holder = Holder::new(LO, 2);
    let statement = holder.statement(LO, HI);
    let bundle = holder.prove(&statement).unwrap();
    assert_eq!(verify(&statement, &bundle), Ok(()));
}

#[test]
fn accepts_value_at_hi() {
    let mut holder = Holder::new(HI, 3);
    let statement = holder.statement(LO, HI);
    let bundle = holder.prove(&statement).unwrap();
    assert_eq!(verify(&statement, &bundle), Ok(()));
}

#[test]
fn accepts_value_in_between() {
    let (_, statement, bundle) = valid();
    assert_eq!(bundle.proof.len(), RANGE_PROOF_LEN);
    assert_eq!(verify(&statement, &bundle), Ok(()));
    // The public entry point (thread RNG) agrees.
    assert_eq!(verify_range(&statement, &bundle), Ok(()));
}

#[test]
fn accepts_extreme_bounds() {
    for (value, lo, hi, seed) in
        [(0, 0, 0, 4), (u64::MAX, u64::MAX, u64::MAX, 5), (0, 0, u64::MAX, 6), (u64::MAX, 0, u64::MAX, 7)]
    {
        let mut holder = Holder::new(value, seed);
        let statement = holder.statement(lo, hi);
        let bundle = holder.prove(&statement).unwrap();
        assert_eq!(verify(&statement, &bundle), Ok(()), "value {value} in [{lo}, {hi}]");
    }
}

#[test]
fn accepts_after_a_json_round_trip() {
    let (_, statement, bundle) = valid();
    let json = serde_json::to_string(&bundle).unwrap();
    let parsed: RangeProofBundle = serde_json::from_str(&json).unwrap();
    assert_eq!(parsed, bundle);
    assert_eq!(verify(&statement, &parsed), Ok(()));
}

// ---------------------------------------------------------------- out of range

#[test]
fn prover_refuses_out_of_range_value() {
    for (value, seed) in [(LO - 1, 10), (HI + 1, 11), (0, 12), (u64::MAX, 13)] {
        let mut holder = Holder::new(value, seed);
        let statement = holder.statement(LO, HI);
        assert_eq!(holder.prove(&statement), Err(RangeProveError::ValueOutOfRange { lo: LO, hi: HI }), "value {value}");
    }
}

#[test]
fn proof_for_another_in_range_value_does_not_transfer_to_unsatisfied_bounds() {
    // Holder's value is 700: a proof for [600, 850] says nothing about [701, 850] or [600, 699].
    let (holder, _, bundle) = valid();
    for (lo, hi) in [(701, HI), (LO, 699), (701, 699 + 200), (0, 699)] {
        let statement = holder.statement(lo, hi);
        assert_eq!(verify(&statement, &bundle), Err(RangeVerifyError::ProofRejected), "[{lo}, {hi}]");
    }
}

#[test]
fn wrapped_differences_do_not_forge_a_proof() {
    // A dishonest holder with value 500 < lo proves `value - lo` wrapped mod 2^64
    // (a valid 64-bit number) with the right blindings, and signs honestly.
    // The range proof is then about `C' = (2^64 - 100)*B + r*B_blinding`, not
    // about `C - lo*B`, which the verifier derives itself.
    let mut holder = Holder::new(500, 20);
    let statement = holder.statement(LO, HI);
    let value = holder.opening.value;
    let mut transcript = statement.transcript();
    let (proof, _) = RangeProof::prove_multiple_with_rng(
        bulletproof_gens(),
        &pedersen_gens(),
        &mut transcript,
        &[value.wrapping_sub(LO), HI - value],
        &[holder.opening.blinding, -holder.opening.blinding],
        RANGE_BITS,
        &mut holder.rng,
    )
    .unwrap();
    let signature = holder.key.sign(&transcript.holder_binding_challenge()).to_bytes();
    let forged = RangeProofBundle { proof: proof.to_bytes(), signature };
    assert_eq!(verify(&statement, &forged), Err(RangeVerifyError::ProofRejected));
}

// ---------------------------------------------------------------- wrong statement

#[test]
fn rejects_wrong_bounds() {
    let (holder, _, bundle) = valid();
    for (lo, hi) in [(LO + 1, HI), (LO, HI - 1), (LO - 1, HI), (LO, HI + 1)] {
        assert_eq!(verify(&holder.statement(lo, hi), &bundle), Err(RangeVerifyError::ProofRejected), "[{lo}, {hi}]");
    }
}

#[test]
fn rejects_wrong_challenge() {
    let (_, statement, bundle) = valid();
    let other = RangeStatement { challenge: statement.challenge + Fr::from(1u64), ..statement };
    assert_eq!(verify(&other, &bundle), Err(RangeVerifyError::ProofRejected));
}

#[test]
fn rejects_wrong_scope() {
    let (_, statement, bundle) = valid();
    let other = RangeStatement { scope: Fr::from(0xbaeu64), ..statement };
    assert_eq!(verify(&other, &bundle), Err(RangeVerifyError::ProofRejected));
}

#[test]
fn rejects_any_other_statement_field_changed() {
    let (_, statement, bundle) = valid();
    let changes: [(&str, RangeStatement); 5] = [
        ("schema", RangeStatement { schema: "credit-score2".into(), ..statement.clone() }),
        ("issuer", RangeStatement { issuer: "central-bank2".into(), ..statement.clone() }),
        ("today", RangeStatement { today: TODAY - 1, ..statement.clone() }),
        ("expiry", RangeStatement { expiry: EXPIRY + 1, ..statement.clone() }),
        ("commitment", RangeStatement { commitment: Holder::new(700, 30).opening.commit(), ..statement.clone() }),
    ];
    for (field, other) in changes {
        assert_eq!(verify(&other, &bundle), Err(RangeVerifyError::ProofRejected), "{field}");
    }
}

#[test]
fn rejects_wrong_holder_key() {
    // The statement names another (valid) holder key, e.g. the presentation is
    // replayed against someone else's credential record.
    let (_, statement, bundle) = valid();
    let stranger = SigningKey::generate(&mut ChaCha20Rng::seed_from_u64(99));
    let other = RangeStatement { holder_key: stranger.verifying_key().to_bytes(), ..statement };
    assert_eq!(verify(&other, &bundle), Err(RangeVerifyError::ProofRejected));
}

#[test]
fn rejects_signature_by_another_key() {
    let (_, statement, bundle) = valid();
    let stranger = SigningKey::generate(&mut ChaCha20Rng::seed_from_u64(99));
    // The stranger signs exactly the challenge the honest holder signed.
    let mut transcript = statement.transcript();
    let proof = RangeProof::from_bytes(&bundle.proof).unwrap();
    let c = statement.commitment.decompress().unwrap();
    let commitments = zkreg_circuits::range_statement::derived_commitments(&c, LO, HI);
    proof
        .verify_multiple_with_rng(
            bulletproof_gens(),
            &pedersen_gens(),
            &mut transcript,
            &commitments,
            RANGE_BITS,
            &mut verifier_rng(),
        )
        .unwrap();
    let signature = stranger.sign(&transcript.holder_binding_challenge()).to_bytes();
    let forged = RangeProofBundle { proof: bundle.proof.clone(), signature };
    assert_eq!(verify(&statement, &forged), Err(RangeVerifyError::BadHolderSignature));

    // Nor does the holder's own signature over anything else count.
    let holder = Holder::new(700, 1);
    let other_message =
        RangeProofBundle { proof: bundle.proof.clone(), signature: holder.key.sign(b"hello").to_bytes() };
    assert_eq!(verify(&statement, &other_message), Err(RangeVerifyError::BadHolderSignature));
}

#[test]
fn prover_refuses_mismatched_inputs() {
    let mut holder = Holder::new(700, 1);
    let statement = holder.statement(LO, HI);
    let stranger = SigningKey::generate(&mut ChaCha20Rng::seed_from_u64(99));
    let mut rng = ChaCha20Rng::seed_from_u64(100);
    assert_eq!(prove_range(&holder.opening, &statement, &stranger, &mut rng), Err(RangeProveError::HolderKeyMismatch));
    let other_opening = PedersenOpening::random(700, &mut rng);
    assert_eq!(
        prove_range(&other_opening, &statement, &holder.key, &mut rng),
        Err(RangeProveError::CommitmentMismatch)
    );
    let inverted = holder.statement(HI, LO);
    assert_eq!(holder.prove(&inverted), Err(RangeProveError::BoundsInverted { lo: HI, hi: LO }));
}

// ---------------------------------------------------------------- native checks

#[test]
fn rejects_expired_credential() {
    let mut holder = Holder::new(700, 1);
    let expired = RangeStatement { today: EXPIRY + 1, ..holder.statement(LO, HI) };
    assert_eq!(holder.prove(&expired), Err(RangeProveError::Expired { expiry: EXPIRY, today: EXPIRY + 1 }));

    // A presentation made while valid is not accepted once expired.
    let (_, statement, bundle) = valid();
    let later = RangeStatement { today: EXPIRY + 1, ..statement.clone() };
    assert_eq!(verify(&later, &bundle), Err(RangeVerifyError::Expired { expiry: EXPIRY, today: EXPIRY + 1 }));

    // The last valid day itself is accepted.
    let last_day = RangeStatement { today: EXPIRY, ..statement };
    let bundle = holder.prove(&last_day).unwrap();
    assert_eq!(verify(&last_day, &bundle), Ok(()));
}

#[test]
fn rejects_inverted_bounds() {
    let (_, statement, bundle) = valid();
    let inverted = RangeStatement { lo: HI, hi: LO, ..statement };
    assert_eq!(verify(&inverted, &bundle), Err(RangeVerifyError::BoundsInverted { lo: HI, hi: LO }));
}

// ---------------------------------------------------------------- malformed bytes

#[test]
fn rejects_tampered_proof_bytes() {
    let (_, statement, bundle) = valid();
    for i in 0..bundle.proof.len() {
        let mut tampered = bundle.clone();
        tampered.proof[i] ^= 1 << (i % 8);
        let result = verify(&statement, &tampered);
        assert!(
            matches!(result, Err(RangeVerifyError::ProofRejected | RangeVerifyError::MalformedProof)),
            "byte {i}: {result:?}"
        );
    }
}

#[test]
fn rejects_truncated_or_extended_proof_bytes() {
    let (_, statement, bundle) = valid();
    for len in [0, 1, 31, 32, 7 * 32, RANGE_PROOF_LEN - 64, RANGE_PROOF_LEN - 32, RANGE_PROOF_LEN - 1] {
        let truncated = RangeProofBundle { proof: bundle.proof[..len].to_vec(), ..bundle.clone() };
        assert_eq!(verify(&statement, &truncated), Err(RangeVerifyError::MalformedProof), "length {len}");
    }
    for extra in [1, 32, 64] {
        let mut extended = bundle.clone();
        extended.proof.resize(RANGE_PROOF_LEN + extra, 0);
        assert_eq!(verify(&statement, &extended), Err(RangeVerifyError::MalformedProof), "+{extra}");
    }
}

#[test]
fn rejects_random_proof_bytes_without_panicking() {
    let (_, statement, bundle) = valid();
    let mut rng = ChaCha20Rng::seed_from_u64(55);
    for _ in 0..64 {
        let mut proof = vec![0u8; RANGE_PROOF_LEN];
        rng.fill_bytes(&mut proof);
        let garbage = RangeProofBundle { proof, ..bundle.clone() };
        assert!(verify(&statement, &garbage).is_err());
    }
    let zeros = RangeProofBundle { proof: vec![0u8; RANGE_PROOF_LEN], ..bundle.clone() };
    assert_eq!(verify(&statement, &zeros), Err(RangeVerifyError::ProofRejected));
    let ones = RangeProofBundle { proof: vec![0xffu8; RANGE_PROOF_LEN], ..bundle };
    assert_eq!(verify(&statement, &ones), Err(RangeVerifyError::MalformedProof));
}

#[test]
fn rejects_garbage_commitment_bytes() {
    let (_, statement, bundle) = valid();
    // 0xff..ff is not a canonical field element; 0x01 00..00 is odd (a negative
    // Ristretto encoding); a random hash is almost never a valid encoding.
    let mut not_points = vec![[0xffu8; 32], {
        let mut b = [0u8; 32];
        b[0] = 1;
        b
    }];
    let mut rng = ChaCha20Rng::seed_from_u64(77);
    while not_points.len() < 10 {
        let mut b = [0u8; 32];
        rng.fill_bytes(&mut b);
        if CompressedRistretto(b).decompress().is_none() {
            not_points.push(b);
        }
    }
    for bytes in not_points {
        let other = RangeStatement { commitment: CompressedRistretto(bytes), ..statement.clone() };
        assert_eq!(verify(&other, &bundle), Err(RangeVerifyError::InvalidCommitment), "{}", hex::encode(bytes));
    }
}

#[test]
fn rejects_malformed_and_weak_holder_keys() {
    let (_, statement, bundle) = valid();
    // Some y has no x on the curve: find one deterministically.
    let malformed = (0u8..=255)
        .map(|b| [b; 32])
        .find(|bytes| curve25519_dalek::edwards::CompressedEdwardsY(*bytes).decompress().is_none())
        .expect("some constant pattern is not a point");
    let other = RangeStatement { holder_key: malformed, ..statement.clone() };
    assert_eq!(verify(&other, &bundle), Err(RangeVerifyError::MalformedHolderKey));

    // Non-canonical encoding of the identity: y = p + 1.
    let mut non_canonical = [0xffu8; 32];
    non_canonical[0] = 0xee;
    non_canonical[31] = 0x7f;
    let other = RangeStatement { holder_key: non_canonical, ..statement.clone() };
    assert_eq!(verify(&other, &bundle), Err(RangeVerifyError::MalformedHolderKey));

    // The identity (y = 1) has small order.
    let mut identity = [0u8; 32];
    identity[0] = 1;
    let other = RangeStatement { holder_key: identity, ..statement };
    assert_eq!(verify(&other, &bundle), Err(RangeVerifyError::WeakHolderKey));
}

#[test]
fn rejects_garbage_signature_bytes() {
    let (_, statement, bundle) = valid();
    for signature in [[0u8; 64], [0xffu8; 64], {
        let mut s = bundle.signature;
        s[63] ^= 0x80;
        s
    }] {
        let other = RangeProofBundle { signature, ..bundle.clone() };
        assert_eq!(verify(&statement, &other), Err(RangeVerifyError::BadHolderSignature));
    }
}

// ---------------------------------------------------------------- known answer

/// A presentation made by the first version (value 700 in [600, 850]; seed
/// 2024 in [`print_known_answer`]). It must keep verifying: a failure here
/// means the transcript, the generators or the encodings changed, which
/// breaks every presentation already in circulation.
const KAT_COMMITMENT: &str = "26f29140e2031dded506a404fe1fe255b04acf09f5858e925972a2f69a2d9209";
const KAT_HOLDER_KEY: &str = "f1c9fa1f89fd063633f3f6a0d5672328a42934dad082c7d62c043bea6a97b6d9";
const KAT_PROOF: &str = "da496a48cf3d3923c7d3315af05f3680a0dba4c00632a238db37444264ffc032\
    0c2a2aeffc05328d8c25ce91c3efbacf088c61ac55cbf7facd609cdb75be405a\
    0af809d09dc51346c6b06620981c7fde9b6c2d8c18e65a2d0c05e6f268db4d75\
    4017604408f5ee49e33b1a12ccb1870330fa109d33f6b4fb800866658d1a356d\
    ed8efc1d6628466424f6c7fee79e80e58e2cd07d5ac9e4ded5fce2aff48b6606\
    d357277e88067a627c110067428dd76a2be909ad6f9a4f4bc0abb892f7be450e\
    adf691ca8d4d8b69e9374ce7f0007d0b35b09c775650f35dcde9a3f727b4600a\
    7801bc45433bc6ce3a5301ed34dbc3d51d4a7fedab99590f3e0b86a3e6013a74\
    0619d48e99cb167413744c843d5a767e54765cf24820f73d0434006274888141\
    ec9ca0d3d450b398e77fc035f7e7afefcbae3b1d8bbbdd9ba68ca473bc597c67\
    8c9d927a24c05be347d06415af973da7464a3c3a9f5675c8cfcc53308ff8983c\
    24e591c62dd270049416c2999eebc7a6d92207762aed0f20728e0af86360cf2d\
    142667f269526c9ec7133b366f8fa331a203681305452311b8058c5809e5181d\
    9c8e41f8621982cca3728423079362b909352ca48bb85ee89c39681fbf65096d\
    44e3762587e090fee9e97ca2c0abd4d39ad2e601dfb1d240549c7056e7bf412d\
    d656d8a4fa93ce78d48f128910291bd92ae7cafa4b147a402d10bd4ef03fc514\
    406a65bdccfeaf205947c38e8c36ea5e7041d24bf53dbf90d1a311fca8a9702e\
    f8f454558fdd03fd37b94760ac5d25224503c03694e11684e80ae3d682528225\
    b460228d9b2fd89446f3633ab0a03e68c791e98a00ab74a298b3040df25d0a4e\
    f4edd4b8d08b87b4869222bdb5a0c026b2bd3a70e090b81f1d4560cd59a66d42\
    4e88291e143ce47c26bb5202da8c6d9e7af3c2ff9e9f8be8f8f7db098a046322\
    705fbda188f48efbb617bbe9d1b9a5c148a3b31cacfbc2850c25fe996ee59802\
    057ee7c2cdf7fba763661a80fabe7c590c5dde412aa95021ffd363d14a317c0a";
const KAT_SIGNATURE: &str = "d67b1da0adaef782f2c6bcfbb945c60fb6188cd2cc19524b80dae6e8bfbe7014\
    4b65fddcb20f7a6b7e08a9fcdc7f0293f7ae2664e1f86d55bb2f3efebddc7506";

fn kat_statement() -> RangeStatement {
    let commitment: [u8; 32] = hex::decode(KAT_COMMITMENT).unwrap().try_into().unwrap();
    let holder_key: [u8; 32] = hex::decode(KAT_HOLDER_KEY).unwrap().try_into().unwrap();
    RangeStatement {
        challenge: Fr::from(0xc0ffeeu64),
        scope: Fr::from(0xbadu64),
        schema: "credit-score".into(),
        issuer: "central-bank".into(),
        lo: LO,
        hi: HI,
        today: TODAY,
        commitment: CompressedRistretto(commitment),
        holder_key,
        expiry: EXPIRY,
    }
}

#[test]
fn known_answer_presentation_still_verifies() {
    let statement = kat_statement();
    let bundle = RangeProofBundle {
        proof: hex::decode(KAT_PROOF).unwrap(),
        signature: hex::decode(KAT_SIGNATURE).unwrap().try_into().unwrap(),
    };
    assert_eq!(verify(&statement, &bundle), Ok(()));
    let other = RangeStatement { lo: LO + 1, ..statement };
    assert_eq!(verify(&other, &bundle), Err(RangeVerifyError::ProofRejected));
}

/// Generator of the known-answer constants above:
/// `cargo test -p zkreg-verifier --test range -- --ignored --nocapture print_known_answer`.
#[test]
#[ignore]
fn print_known_answer() {
    let mut holder = Holder::new(700, 2024);
    let statement = holder.statement(LO, HI);
    let bundle = holder.prove(&statement).unwrap();
    println!("const KAT_COMMITMENT: &str = \"{}\";", hex::encode(statement.commitment.as_bytes()));
    println!("const KAT_HOLDER_KEY: &str = \"{}\";", hex::encode(statement.holder_key));
    println!("const KAT_PROOF: &str = \"{}\";", hex::encode(&bundle.proof));
    println!("const KAT_SIGNATURE: &str = \"{}\";", hex::encode(bundle.signature));
}
