//! Groth16 verification of the predicate circuit, one proof or a batch.
//!
//! # Batch verification
//!
//! A proof `(A, B, C)` for inputs `x` is valid when
//! `e(A, B) = e(α, β) · e(PI(x), γ) · e(C, δ)` with `PI(x) = IC₀ + Σ xⱼ ICⱼ`.
//! For `n` proofs and random 128-bit `rᵢ` the verifier checks one equation:
//!
//! ```text
//! Π e(rᵢ·Aᵢ, Bᵢ) · e((Σ rᵢ)·α, −β) · e(Σ rᵢ·PI(xᵢ), −γ) · e(Σ rᵢ·Cᵢ, −δ) = 1
//! ```
//!
//! with `Σ rᵢ·PI(xᵢ) = (Σ rᵢ)·IC₀ + Σⱼ (Σᵢ rᵢ·xᵢⱼ)·ICⱼ`: ten scalar
//! multiplications for the whole batch instead of nine per proof, one
//! multi-Miller loop of `n + 3` pairs and one final exponentiation. If any
//! proof is invalid, the equation holds with probability at most 2^-128 over
//! the `rᵢ`; the verifier then checks the proofs one by one to name the bad ones.

use ark_bn254::{Bn254, Fr, G1Affine, G1Projective, G2Affine};
use ark_ec::pairing::{Pairing, PairingOutput};
use ark_ec::scalar_mul::BatchMulPreprocessing;
use ark_ec::{AffineRepr, CurveGroup, VariableBaseMSM};
use ark_ff::{One, PrimeField, Zero};
use ark_groth16::{prepare_verifying_key, PreparedVerifyingKey, Proof, VerifyingKey};
use ark_serialize::CanonicalDeserialize;
use rand::{CryptoRng, RngCore};

use zkreg_circuits::constants::NUM_PUBLIC_INPUTS;
use zkreg_circuits::fingerprint::fingerprint;
use zkreg_circuits::predicate::{PublicInputError, PublicInputs};

pub use zkreg_circuits::proof_codec::{encode_proof, encode_proof_hex, PROOF_BYTES};

/// Errors about one Groth16 proof.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProofError {
    /// The proof bytes are not 128 bytes (or not hex).
    #[error("a proof is {PROOF_BYTES} bytes, got {0}")]
    WrongLength(usize),
    /// The proof's hex encoding is invalid.
    #[error("proof is not valid hex")]
    BadHex,
    /// A proof point is not on the curve, not in the prime-order subgroup, or
    /// has a non-canonical coordinate.
    #[error("proof point {0} is invalid (not on the curve or not in the subgroup)")]
    InvalidPoint(&'static str),
    /// The number of public inputs is not the circuit's nine. (arkworks'
    /// `prepare_inputs` would silently ignore an extra input and treat a
    /// missing one as zero.)
    #[error("expected {NUM_PUBLIC_INPUTS} public inputs, got {0}")]
    WrongInputCount(usize),
    /// A raw public input is outside its native range: `lo` or `hi` (inputs
    /// 3 and 4) is not below 2^64, or `today` (input 5) is not below 2^32.
    /// The circuit range-checks `value - lo` and `hi - value` in 64 bits
    /// assuming these bounds; a `lo` of `r - 1` is the field's `-1`. Checked
    /// before any pairing; names the input.
    #[error("public input `{0}` is out of range (lo and hi must be below 2^64, today below 2^32)")]
    InputOutOfRange(&'static str),
    /// The pairing equation does not hold: the proof is not for these inputs.
    #[error("proof does not verify for these public inputs")]
    Rejected,
}

impl ProofError {
    /// A stable machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            ProofError::WrongLength(_) => "wrong_proof_length",
            ProofError::BadHex => "bad_proof_hex",
            ProofError::InvalidPoint(_) => "invalid_proof_point",
            ProofError::WrongInputCount(_) => "wrong_input_count",
            ProofError::InputOutOfRange(_) => "public_input_out_of_range",
            ProofError::Rejected => "proof_rejected",
        }
    }
}

/// Errors about a batch of proofs.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BatchError {
    /// Some proofs are invalid; their positions in the batch, ascending.
    #[error("{} of the proofs do not verify (positions {:?})", .0.len(), .0)]
    Invalid(Vec<usize>),
}

/// Errors about a verifying key.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VerifyingKeyError {
    /// The key is not for a circuit with nine public inputs.
    #[error("verifying key has {0} input points, the predicate circuit needs {expected}", expected = NUM_PUBLIC_INPUTS + 1)]
    WrongShape(usize),
    /// The key bytes do not decode to valid points.
    #[error("verifying key bytes are invalid: {0}")]
    Malformed(String),
    /// `delta` equals `gamma` (or `-gamma`). A snarkjs key that never had a
    /// phase-2 contribution has `delta = gamma` (both the generator of G2);
    /// then `e(PI(x), γ) · e(C, δ) = e(PI(x) + C, γ)`, and `(α, β, −PI(x))`
    /// is a "proof" of any statement `x`.
    #[error("verifying key has delta equal to gamma or -gamma (no phase-2 contribution): proofs can be forged")]
    GammaEqualsDelta,
}

impl VerifyingKeyError {
    /// A stable machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            VerifyingKeyError::WrongShape(_) => "wrong_key_shape",
            VerifyingKeyError::Malformed(_) => "malformed_key",
            VerifyingKeyError::GammaEqualsDelta => "gamma_equals_delta",
        }
    }
}

/// Refuses a key whose `delta` is `gamma` or `-gamma` (see
/// [`VerifyingKeyError::GammaEqualsDelta`]).
pub fn check_gamma_delta(vk: &VerifyingKey<Bn254>) -> Result<(), VerifyingKeyError> {
    let minus_gamma: G2Affine = -vk.gamma_g2;
    if vk.delta_g2 == vk.gamma_g2 || vk.delta_g2 == minus_gamma {
        return Err(VerifyingKeyError::GammaEqualsDelta);
    }
    Ok(())
}

/// Decodes a compressed proof, validating every point.
pub fn decode_proof(bytes: &[u8]) -> Result<Proof<Bn254>, ProofError> {
    if bytes.len() != PROOF_BYTES {
        return Err(ProofError::WrongLength(bytes.len()));
    }
    let a = G1Affine::deserialize_compressed(&bytes[..32]).map_err(|_| ProofError::InvalidPoint("A"))?;
    let b = G2Affine::deserialize_compressed(&bytes[32..96]).map_err(|_| ProofError::InvalidPoint("B"))?;
    let c = G1Affine::deserialize_compressed(&bytes[96..]).map_err(|_| ProofError::InvalidPoint("C"))?;
    Ok(Proof { a, b, c })
}

/// Decodes a hex proof (as carried in presentations).
pub fn decode_proof_hex(s: &str) -> Result<Proof<Bn254>, ProofError> {
    if s.len() != 2 * PROOF_BYTES {
        return Err(ProofError::WrongLength(s.len() / 2));
    }
    decode_proof(&hex::decode(s).map_err(|_| ProofError::BadHex)?)
}

/// Decodes and validates a verifying key (canonical compressed arkworks
/// encoding, no point at infinity, `delta` not `±gamma`).
pub fn decode_verifying_key(bytes: &[u8]) -> Result<VerifyingKey<Bn254>, VerifyingKeyError> {
    let vk = zkreg_circuits::proof_codec::decode_verifying_key(bytes).map_err(VerifyingKeyError::Malformed)?;
    check_gamma_delta(&vk)?;
    Ok(vk)
}

/// Fixed-base tables of points of the verifying key: its input points
/// `IC₀ … IC₉`, and `α` for the batch equation.
///
/// Combining the nine public inputs with a variable-base MSM costs about a
/// third of a verification; with 8-bit windows precomputed once per key,
/// `Σ xⱼ·ICⱼ` is 32 table additions per input.
struct InputTables {
    /// `tables[j]` for `ICⱼ`: `table[w][d] = d · 2^(8w) · ICⱼ`.
    tables: Vec<BatchMulPreprocessing<G1Projective>>,
}

impl InputTables {
    /// Chosen so that ark-ec picks 8-bit windows.
    const WINDOW_HINT: usize = 4096;

    fn new(points: &[G1Affine]) -> Self {
        let bits = Fr::MODULUS_BIT_SIZE as usize;
        let tables = points
            .iter()
            .map(|p| BatchMulPreprocessing::with_num_scalars_and_scalar_size(p.into_group(), Self::WINDOW_HINT, bits))
            .collect();
        InputTables { tables }
    }

    /// `Σ scalarsⱼ · ICⱼ`.
    fn combine(&self, scalars: &[Fr]) -> G1Projective {
        let mut acc = G1Projective::zero();
        for (t, x) in self.tables.iter().zip(scalars) {
            let limbs = x.into_bigint().0;
            for (w, row) in t.table.iter().enumerate() {
                let digit = window_digit(&limbs, w * t.window, t.window);
                if digit != 0 {
                    acc += &row[digit];
                }
            }
        }
        acc
    }
}

/// Bits `start .. start + width` of a little-endian 256-bit integer.
fn window_digit(limbs: &[u64; 4], start: usize, width: usize) -> usize {
    let (limb, shift) = (start / 64, start % 64);
    let mut v = limbs[limb] >> shift;
    if shift + width > 64 && limb + 1 < 4 {
        v |= limbs[limb + 1] << (64 - shift);
    }
    (v & ((1u64 << width) - 1)) as usize
}

/// A prepared verifier of the predicate circuit.
pub struct PredicateVerifier {
    pvk: PreparedVerifyingKey<Bn254>,
    neg_beta: <Bn254 as Pairing>::G2Prepared,
    inputs: InputTables,
    alpha: InputTables,
    fingerprint: [u8; 32],
}

impl std::fmt::Debug for PredicateVerifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PredicateVerifier").field("fingerprint", &hex::encode(self.fingerprint)).finish()
    }
}

impl PredicateVerifier {
    /// Prepares `vk`; it must be a key for nine public inputs, with no
    /// point at infinity and `delta` not `±gamma`.
    pub fn new(vk: VerifyingKey<Bn254>) -> Result<Self, VerifyingKeyError> {
        if vk.gamma_abc_g1.len() != NUM_PUBLIC_INPUTS + 1 {
            return Err(VerifyingKeyError::WrongShape(vk.gamma_abc_g1.len()));
        }
        zkreg_circuits::proof_codec::check_verifying_key(&vk).map_err(VerifyingKeyError::Malformed)?;
        check_gamma_delta(&vk)?;
        let fingerprint = fingerprint(&vk);
        let neg_beta = (-vk.beta_g2.into_group()).into_affine().into();
        let inputs = InputTables::new(&vk.gamma_abc_g1);
        let alpha = InputTables::new(&[vk.alpha_g1]);
        Ok(PredicateVerifier { pvk: prepare_verifying_key(&vk), neg_beta, inputs, alpha, fingerprint })
    }

    /// SHA-256 of the verifying key's canonical compressed bytes.
    pub fn fingerprint(&self) -> [u8; 32] {
        self.fingerprint
    }

    /// The verifying key.
    pub fn verifying_key(&self) -> &VerifyingKey<Bn254> {
        &self.pvk.vk
    }

    /// `IC₀ + Σ xⱼ·ICⱼ` for exactly nine inputs.
    fn prepare_inputs(&self, inputs: &[Fr]) -> Result<G1Projective, ProofError> {
        if inputs.len() != NUM_PUBLIC_INPUTS {
            return Err(ProofError::WrongInputCount(inputs.len()));
        }
        let mut scalars = [Fr::one(); NUM_PUBLIC_INPUTS + 1];
        scalars[1..].copy_from_slice(inputs);
        Ok(self.inputs.combine(&scalars))
    }

    /// Verifies one proof against raw field-element inputs, as they come
    /// from snarkjs's `public.json`: the count must be nine and `lo`, `hi`
    /// below 2^64, `today` below 2^32 ([`ProofError::InputOutOfRange`]),
    /// checked before any pairing. (The circuit proves `lo <= value <= hi`
    /// only for bounds in that range; [`PublicInputs`] cannot hold others,
    /// raw field elements can.)
    pub fn verify_inputs(&self, proof: &Proof<Bn254>, inputs: &[Fr]) -> Result<(), ProofError> {
        PublicInputs::from_field_elements(inputs).map_err(|e| match e {
            PublicInputError::WrongCount(n) => ProofError::WrongInputCount(n),
            PublicInputError::OutOfRange(name) => ProofError::InputOutOfRange(name),
        })?;
        let prepared = self.prepare_inputs(inputs)?;
        let ml = Bn254::multi_miller_loop(
            [proof.a, prepared.into_affine(), proof.c],
            [proof.b.into(), self.pvk.gamma_g2_neg_pc.clone(), self.pvk.delta_g2_neg_pc.clone()],
        );
        match Bn254::final_exponentiation(ml) {
            Some(PairingOutput(gt)) if gt == self.pvk.alpha_g1_beta_g2 => Ok(()),
            _ => Err(ProofError::Rejected),
        }
    }

    /// Verifies one proof of `public`.
    pub fn verify(&self, proof: &Proof<Bn254>, public: &PublicInputs) -> Result<(), ProofError> {
        self.verify_inputs(proof, &public.to_field_elements())
    }

    /// Verifies many proofs with one multi-Miller loop and one final
    /// exponentiation; on failure, names every invalid proof.
    pub fn verify_batch<R: RngCore + CryptoRng>(
        &self,
        items: &[(Proof<Bn254>, PublicInputs)],
        rng: &mut R,
    ) -> Result<(), BatchError> {
        match items {
            [] => return Ok(()),
            // One proof: the plain equation is cheaper than a randomised one.
            [(proof, public)] => return self.verify(proof, public).map_err(|_| BatchError::Invalid(vec![0])),
            _ => {}
        }
        if self.batch_equation_holds(items, rng) {
            return Ok(());
        }
        let bad: Vec<usize> = items
            .iter()
            .enumerate()
            .filter(|(_, (proof, public))| self.verify(proof, public).is_err())
            .map(|(i, _)| i)
            .collect();
        // The combined equation failing means at least one proof is bad.
        Err(BatchError::Invalid(if bad.is_empty() { (0..items.len()).collect() } else { bad }))
    }

    fn batch_equation_holds<R: RngCore + CryptoRng>(&self, items: &[(Proof<Bn254>, PublicInputs)], rng: &mut R) -> bool {
        let r: Vec<Fr> = items
            .iter()
            .map(|_| Fr::from(((rng.next_u64() as u128) << 64) | rng.next_u64() as u128 | 1))
            .collect();
        // scalars[0] = Σ rᵢ (the coefficient of IC₀), scalars[j] = Σ rᵢ·xᵢⱼ.
        let mut scalars = [Fr::zero(); NUM_PUBLIC_INPUTS + 1];
        for (ri, (_, public)) in r.iter().zip(items) {
            scalars[0] += ri;
            for (acc, x) in scalars[1..].iter_mut().zip(public.to_field_elements()) {
                *acc += *ri * x;
            }
        }
        let r_sum = scalars[0];
        let combined_inputs = self.inputs.combine(&scalars);
        let cs: Vec<G1Affine> = items.iter().map(|(p, _)| p.c).collect();
        let combined_c = G1Projective::msm_unchecked(&cs, &r);
        let scaled_a = G1Projective::normalize_batch(
            &items.iter().zip(&r).map(|((p, _), ri)| p.a * ri).collect::<Vec<_>>(),
        );
        let alpha = self.alpha.combine(&[r_sum]).into_affine();
        let mut g1: Vec<<Bn254 as Pairing>::G1Prepared> = scaled_a.into_iter().map(Into::into).collect();
        let mut g2: Vec<<Bn254 as Pairing>::G2Prepared> = items.iter().map(|(p, _)| p.b.into()).collect();
        g1.extend([alpha.into(), combined_inputs.into_affine().into(), combined_c.into_affine().into()]);
        g2.extend([self.neg_beta.clone(), self.pvk.gamma_g2_neg_pc.clone(), self.pvk.delta_g2_neg_pc.clone()]);
        matches!(Bn254::final_exponentiation(Bn254::multi_miller_loop(g1, g2)), Some(PairingOutput(gt)) if gt.is_one())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ark_ff::UniformRand;
    use rand::SeedableRng;

    #[test]
    fn table_combination_equals_scalar_multiplication() {
        let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(3);
        let points: Vec<G1Affine> = (0..3).map(|_| G1Projective::rand(&mut rng).into_affine()).collect();
        let tables = InputTables::new(&points);
        for scalars in [
            vec![Fr::rand(&mut rng), Fr::rand(&mut rng), Fr::rand(&mut rng)],
            vec![Fr::zero(), Fr::one(), -Fr::one()],
            vec![Fr::from(u64::MAX), Fr::from(255u64), Fr::from(256u64)],
        ] {
            let expected: G1Projective = points.iter().zip(&scalars).map(|(p, x)| *p * x).sum();
            assert_eq!(tables.combine(&scalars), expected);
        }
    }

    #[test]
    fn window_digits_cross_limb_boundaries() {
        let limbs = [u64::MAX << 60, 0b1011, 0, 1 << 63];
        assert_eq!(window_digit(&limbs, 56, 8), 0xf0);
        assert_eq!(window_digit(&limbs, 60, 8), 0xbf);
        assert_eq!(window_digit(&limbs, 248, 6), 0, "bits 248..254 are clear");
        assert_eq!(window_digit(&limbs, 248, 8), 0x80);
    }
}
