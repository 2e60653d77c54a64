//! Inputs under which a Groth16 check would mean nothing are refused before
//! any pairing: verifying keys under which proofs can be forged (on every
//! path into the verifier: an arkworks key handed to
//! [`PredicateVerifier::new`], the compressed bytes of
//! [`decode_verifying_key`], and snarkjs's `verification_key.json`), and raw
//! public inputs outside the circuit's native ranges.
//!
//! The keys here are random points with the predicate circuit's shape (nine
//! public inputs); no circuit or setup is needed to show the forgery.

use ark_bn254::{Bn254, Fr, G1Affine, G1Projective, G2Affine, G2Projective};
use ark_ec::{AffineRepr, CurveGroup};
use ark_ff::UniformRand;
use ark_groth16::{prepare_verifying_key, Groth16, Proof, VerifyingKey};
use ark_serialize::CanonicalSerialize;
use rand::SeedableRng;
use rand_chacha::ChaCha20Rng;

use zkreg_circuits::constants::NUM_PUBLIC_INPUTS;
use zkreg_circuits::predicate::PublicInputs;
use zkreg_verifier::groth16::{decode_verifying_key, ProofError, VerifyingKeyError};
use zkreg_verifier::snarkjs::{verifying_key_from_json, verifying_key_json, SnarkjsError};
use zkreg_verifier::PredicateVerifier;

/// A key of random points, shaped like the predicate circuit's.
fn random_key(seed: u64) -> VerifyingKey<Bn254> {
    let mut rng = ChaCha20Rng::seed_from_u64(seed);
    let g1 = |rng: &mut ChaCha20Rng| G1Projective::rand(rng).into_affine();
    let g2 = |rng: &mut ChaCha20Rng| G2Projective::rand(rng).into_affine();
    VerifyingKey {
        alpha_g1: g1(&mut rng),
        beta_g2: g2(&mut rng),
        gamma_g2: g2(&mut rng),
        delta_g2: g2(&mut rng),
        gamma_abc_g1: (0..=NUM_PUBLIC_INPUTS).map(|_| g1(&mut rng)).collect(),
    }
}

/// `PI(x) = IC₀ + Σ xⱼ·ICⱼ`.
fn input_point(vk: &VerifyingKey<Bn254>, inputs: &[Fr]) -> G1Projective {
    inputs.iter().zip(&vk.gamma_abc_g1[1..]).fold(vk.gamma_abc_g1[0].into_group(), |acc, (x, p)| acc + *p * x)
}

fn compressed(vk: &VerifyingKey<Bn254>) -> Vec<u8> {
    let mut bytes = Vec::new();
    vk.serialize_compressed(&mut bytes).unwrap();
    bytes
}

/// Any statement: the nine inputs of a request no holder answered.
fn any_statement() -> Vec<Fr> {
    PublicInputs {
        root: Fr::from(1u64),
        schema_id: Fr::from(2u64),
        issuer_id: Fr::from(3u64),
        lo: 900,
        hi: 900,
        today: 20_000,
        scope: Fr::from(7u64),
        challenge: Fr::from(8u64),
        pseudonym: Fr::from(9u64),
    }
    .to_field_elements()
    .to_vec()
}

#[test]
fn an_honest_key_is_accepted_on_every_path() {
    let vk = random_key(1);
    assert!(PredicateVerifier::new(vk.clone()).is_ok());
    assert_eq!(decode_verifying_key(&compressed(&vk)), Ok(vk.clone()));
    assert_eq!(verifying_key_from_json(&verifying_key_json(&vk)), Ok(vk));
}

/// A snarkjs zkey with no phase-2 contribution has `delta = gamma` (the G2
/// generator). Then `e(A, B) = e(α, β)·e(PI(x), γ)·e(C, δ)` holds for
/// `(A, B, C) = (α, β, −PI(x))` and every `x`.
#[test]
fn a_key_with_delta_equal_to_gamma_is_refused() {
    let honest = random_key(2);
    let no_phase2 = VerifyingKey { delta_g2: honest.gamma_g2, ..honest.clone() };
    let inputs = any_statement();
    let forged = Proof { a: no_phase2.alpha_g1, b: no_phase2.beta_g2, c: (-input_point(&no_phase2, &inputs)).into_affine() };
    // What the check prevents: arkworks accepts the forgery under such a key...
    assert!(Groth16::<Bn254>::verify_proof(&prepare_verifying_key(&no_phase2), &forged, &inputs).unwrap());
    // ...and not under the honest one.
    assert!(!Groth16::<Bn254>::verify_proof(&prepare_verifying_key(&honest), &forged, &inputs).unwrap());

    // The arkworks key.
    let err = PredicateVerifier::new(no_phase2.clone()).unwrap_err();
    assert_eq!(err, VerifyingKeyError::GammaEqualsDelta);
    assert_eq!(err.code(), "gamma_equals_delta");
    // Its canonical bytes.
    assert_eq!(decode_verifying_key(&compressed(&no_phase2)), Err(VerifyingKeyError::GammaEqualsDelta));
    // The check the ledger runs before registering a key (RegisterVerifyingKey).
    assert!(zkreg_circuits::proof_codec::check_phase2(&no_phase2).is_err());
    assert!(zkreg_circuits::proof_codec::check_phase2(&VerifyingKey { delta_g2: -honest.gamma_g2, ..honest.clone() }).is_err());
    assert_eq!(zkreg_circuits::proof_codec::check_phase2(&honest), Ok(()));
    // snarkjs JSON: the export of that key, and an honest key's JSON with
    // `vk_delta_2` replaced by `vk_gamma_2` (with or without `vk_alphabeta_12`).
    let err = verifying_key_from_json(&verifying_key_json(&no_phase2)).unwrap_err();
    assert_eq!(err, SnarkjsError::GammaEqualsDelta);
    assert_eq!(err.code(), "gamma_equals_delta");
    let mut json = verifying_key_json(&honest);
    json["vk_delta_2"] = json["vk_gamma_2"].clone();
    assert_eq!(verifying_key_from_json(&json), Err(SnarkjsError::GammaEqualsDelta));
    json.as_object_mut().unwrap().remove("vk_alphabeta_12");
    assert_eq!(verifying_key_from_json(&json), Err(SnarkjsError::GammaEqualsDelta));
}

/// `delta = −gamma` is as bad: `(α, β, PI(x))` verifies for every `x`.
#[test]
fn a_key_with_delta_equal_to_minus_gamma_is_refused() {
    let honest = random_key(3);
    let minus_gamma: G2Affine = -honest.gamma_g2;
    let negated = VerifyingKey { delta_g2: minus_gamma, ..honest.clone() };
    let inputs = any_statement();
    let forged = Proof { a: negated.alpha_g1, b: negated.beta_g2, c: input_point(&negated, &inputs).into_affine() };
    assert!(Groth16::<Bn254>::verify_proof(&prepare_verifying_key(&negated), &forged, &inputs).unwrap());
    assert_eq!(PredicateVerifier::new(negated.clone()).unwrap_err(), VerifyingKeyError::GammaEqualsDelta);
    assert_eq!(decode_verifying_key(&compressed(&negated)), Err(VerifyingKeyError::GammaEqualsDelta));
    assert_eq!(verifying_key_from_json(&verifying_key_json(&negated)), Err(SnarkjsError::GammaEqualsDelta));
}

/// The raw-input path refuses `lo`, `hi` of 2^64 or more and `today` of 2^32
/// or more before any pairing: the proof here is junk, yet the refusal names
/// the input, and in-range inputs reach the pairing (and fail there).
#[test]
fn raw_inputs_out_of_native_range_are_refused_before_the_pairing() {
    let verifier = PredicateVerifier::new(random_key(4)).unwrap();
    let junk = Proof { a: G1Affine::generator(), b: G2Affine::generator(), c: G1Affine::generator() };
    let inputs = any_statement();
    assert_eq!(verifier.verify_inputs(&junk, &inputs), Err(ProofError::Rejected));
    let two_64 = Fr::from(u64::MAX) + Fr::from(1u64);
    let two_32 = Fr::from(1u64 << 32);
    for (index, value, name) in [
        (3, two_64, "lo"),
        (3, -Fr::from(1u64), "lo"),
        (3, inputs[3] + two_64, "lo"),
        (4, two_64, "hi"),
        (4, -Fr::from(1u64), "hi"),
        (5, two_32, "today"),
        (5, -Fr::from(1u64), "today"),
    ] {
        let mut t = inputs.clone();
        t[index] = value;
        let err = verifier.verify_inputs(&junk, &t).unwrap_err();
        assert_eq!(err, ProofError::InputOutOfRange(name), "input {index} = {value}");
        assert_eq!(err.code(), "public_input_out_of_range");
    }
    // The largest in-range values reach the pairing.
    let mut t = inputs.clone();
    (t[3], t[4], t[5]) = (Fr::from(u64::MAX), Fr::from(u64::MAX), Fr::from(u32::MAX as u64));
    assert_eq!(verifier.verify_inputs(&junk, &t), Err(ProofError::Rejected));
    // The count is still checked first.
    assert_eq!(verifier.verify_inputs(&junk, &inputs[..8]), Err(ProofError::WrongInputCount(8)));
}

