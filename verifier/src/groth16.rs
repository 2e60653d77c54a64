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
use ark_ec::{AffineRepr, CurveGroup, VariableBaseMSM};
use ark_ff::{One, Zero};
use ark_groth16::{prepare_verifying_key, PreparedVerifyingKey, Proof, VerifyingKey};
use ark_serialize::CanonicalDeserialize;
use rand::{CryptoRng, RngCore};

use zkreg_circuits::constants::NUM_PUBLIC_INPUTS;
use zkreg_circuits::fingerprint::fingerprint;
use zkreg_circuits::predicate::PublicInputs;

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
    /// The pairing equation does not hold: the proof is not for these inputs.
    #[error("proof does not verify for these public inputs")]
    Rejected,
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

/// Decodes and validates a verifying key (compressed arkworks encoding).
pub fn decode_verifying_key(bytes: &[u8]) -> Result<VerifyingKey<Bn254>, VerifyingKeyError> {
    let mut reader = bytes;
    let vk = VerifyingKey::<Bn254>::deserialize_compressed(&mut reader)
        .map_err(|e| VerifyingKeyError::Malformed(e.to_string()))?;
    if !reader.is_empty() {
        return Err(VerifyingKeyError::Malformed("trailing bytes".into()));
    }
    Ok(vk)
}

/// A prepared verifier of the predicate circuit.
pub struct PredicateVerifier {
    pvk: PreparedVerifyingKey<Bn254>,
    neg_beta: <Bn254 as Pairing>::G2Prepared,
    fingerprint: [u8; 32],
}

impl std::fmt::Debug for PredicateVerifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PredicateVerifier").field("fingerprint", &hex::encode(self.fingerprint)).finish()
    }
}

impl PredicateVerifier {
    /// Prepares `vk`; it must be a key for nine public inputs.
    pub fn new(vk: VerifyingKey<Bn254>) -> Result<Self, VerifyingKeyError> {
        if vk.gamma_abc_g1.len() != NUM_PUBLIC_INPUTS + 1 {
            return Err(VerifyingKeyError::WrongShape(vk.gamma_abc_g1.len()));
        }
        let fingerprint = fingerprint(&vk);
        let neg_beta = (-vk.beta_g2.into_group()).into_affine().into();
        Ok(PredicateVerifier { pvk: prepare_verifying_key(&vk), neg_beta, fingerprint })
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
        let ic = &self.pvk.vk.gamma_abc_g1;
        Ok(ic[0].into_group() + G1Projective::msm_unchecked(&ic[1..], inputs))
    }

    /// Verifies one proof against raw field-element inputs (count checked).
    pub fn verify_inputs(&self, proof: &Proof<Bn254>, inputs: &[Fr]) -> Result<(), ProofError> {
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
        if items.is_empty() {
            return Ok(());
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
        let ic = &self.pvk.vk.gamma_abc_g1;
        let r: Vec<Fr> = items
            .iter()
            .map(|_| Fr::from(((rng.next_u64() as u128) << 64) | rng.next_u64() as u128 | 1))
            .collect();
        let mut r_sum = Fr::zero();
        let mut input_scalars = [Fr::zero(); NUM_PUBLIC_INPUTS];
        for (ri, (_, public)) in r.iter().zip(items) {
            r_sum += ri;
            for (acc, x) in input_scalars.iter_mut().zip(public.to_field_elements()) {
                *acc += *ri * x;
            }
        }
        let combined_inputs = ic[0] * r_sum + G1Projective::msm_unchecked(&ic[1..], &input_scalars);
        let cs: Vec<G1Affine> = items.iter().map(|(p, _)| p.c).collect();
        let combined_c = G1Projective::msm_unchecked(&cs, &r);
        let scaled_a = G1Projective::normalize_batch(
            &items.iter().zip(&r).map(|((p, _), ri)| p.a * ri).collect::<Vec<_>>(),
        );
        let alpha = (self.pvk.vk.alpha_g1 * r_sum).into_affine();
        let mut g1: Vec<<Bn254 as Pairing>::G1Prepared> = scaled_a.into_iter().map(Into::into).collect();
        let mut g2: Vec<<Bn254 as Pairing>::G2Prepared> = items.iter().map(|(p, _)| p.b.into()).collect();
        g1.extend([alpha.into(), combined_inputs.into_affine().into(), combined_c.into_affine().into()]);
        g2.extend([self.neg_beta.clone(), self.pvk.gamma_g2_neg_pc.clone(), self.pvk.delta_g2_neg_pc.clone()]);
        matches!(Bn254::final_exponentiation(Bn254::multi_miller_loop(g1, g2)), Some(PairingOutput(gt)) if gt.is_one())
    }
}
