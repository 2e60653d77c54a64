//! `verify`: replays a ceremony transcript against the circuit and phase 1.
//!
//! In the order snarkjs's `zkey verify` checks it:
//!
//! 1. each contribution, first to last: its transcript hash follows the
//!    circuit hash and the earlier contributions; its proof of knowledge
//!    holds; its `δ` after is the previous `δ` times the secret it proved;
//! 2. the key's `δ` in G1 is the last contribution's and `δ` in G2 matches it;
//! 3. the initial zkey, recomputed from the r1cs and the powers of tau, has
//!    the same circuit hash, header and sections 3–7 (byte for byte);
//! 4. the `L` and `H` sections are the initial ones divided by `δ` (checked
//!    on a random linear combination of the points, one pairing each).
//!
//! The first failure is returned, naming the contribution or the part.

use std::io::{Read, Seek};

use ark_bn254::{Fr, G1Affine, G1Projective, G2Affine};
use ark_ec::{AffineRepr, CurveGroup, VariableBaseMSM};
use ark_ff::UniformRand;
use rand::rngs::OsRng;

use super::contribute::ContributionHash;
use super::error::VerifyError;
use super::init::init;
use super::points::{put_g1s, put_g2s, same_ratio};
use super::pok::{contribution_hash, hash_to_g2, transcript_before, transcript_hash};
use super::ptau::PtauFile;
use super::r1cs::R1cs;
use super::zkey::Zkey;

/// One contributor of a verified transcript.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Contributor {
    /// The name it gave (empty if it gave none).
    pub name: String,
    /// The hash it published.
    pub hash: ContributionHash,
}

/// Replays only the contributions (step 1 and 2 above), without the
/// circuit or phase 1: cheap, and enough to name a bad step.
pub fn verify_contributions(zkey: &Zkey) -> Result<Vec<Contributor>, VerifyError> {
    let mut delta = G1Affine::generator();
    let mut out = Vec::with_capacity(zkey.contributions.len());
    for (i, c) in zkey.contributions.iter().enumerate() {
        let step = i + 1;
        let name = c.name.clone().unwrap_or_default();
        if c.kind != 0 {
            return Err(VerifyError::UnsupportedContribution { step, name, kind: c.kind });
        }
        let expected = transcript_hash(transcript_before(&zkey.cs_hash, &zkey.contributions[..i]), &c.g1_s, &c.g1_sx);
        if expected != c.transcript {
            return Err(VerifyError::Transcript { step, name });
        }
        let g2_sp = hash_to_g2(&c.transcript);
        if !same_ratio(&c.g1_s, &c.g1_sx, &g2_sp, &c.g2_spx) {
            return Err(VerifyError::ProofOfKnowledge { step, name });
        }
        if !same_ratio(&delta, &c.delta_after, &g2_sp, &c.g2_spx) {
            return Err(VerifyError::DeltaChain { step, name });
        }
        delta = c.delta_after;
        out.push(Contributor { name, hash: ContributionHash(contribution_hash(c)) });
    }
    if zkey.delta_g1 != delta || !same_ratio(&G1Affine::generator(), &delta, &G2Affine::generator(), &zkey.delta_g2) {
        return Err(VerifyError::FinalDelta);
    }
    Ok(out)
}

/// Verifies the whole transcript of `zkey` for the circuit `r1cs` over the
/// powers of tau `ptau` and returns its contributors, in order.
///
/// Recomputing the initial zkey dominates (some 400,000 point
/// multiplications for the predicate circuit); the contributions are
/// replayed first, so a bad step is reported before that.
pub fn verify<R: Read + Seek>(r1cs: &R1cs, ptau: &mut PtauFile<R>, zkey: &Zkey) -> Result<Vec<Contributor>, VerifyError> {
    verify_contributions(zkey)?;
    verify_from_initial(&init(ptau, r1cs)?, zkey)
}

/// [`verify`] against an initial zkey already recomputed with [`init`]
/// (from the same r1cs and ptau): to check several transcripts of one
/// circuit without recomputing it each time.
pub fn verify_from_initial(initial: &Zkey, zkey: &Zkey) -> Result<Vec<Contributor>, VerifyError> {
    let contributors = verify_contributions(zkey)?;
    let mismatch = |what| Err(VerifyError::CircuitMismatch { what });
    if zkey.cs_hash != initial.cs_hash {
        return mismatch("the circuit hash");
    }
    if (zkey.n_vars, zkey.n_public, zkey.domain_size) != (initial.n_vars, initial.n_public, initial.domain_size) {
        return mismatch("the circuit's sizes");
    }
    if zkey.alpha_g1 != initial.alpha_g1 || zkey.beta_g1 != initial.beta_g1 || zkey.beta_g2 != initial.beta_g2 {
        return mismatch("alpha or beta");
    }
    if zkey.gamma_g2 != initial.gamma_g2 {
        return mismatch("gamma");
    }
    if put_g1s(&zkey.ic) != put_g1s(&initial.ic) {
        return mismatch("the IC section");
    }
    if zkey.coefficients != initial.coefficients {
        return mismatch("the coefficients section");
    }
    if put_g1s(&zkey.a) != put_g1s(&initial.a) {
        return mismatch("the A section");
    }
    if put_g1s(&zkey.b_g1) != put_g1s(&initial.b_g1) {
        return mismatch("the B1 section");
    }
    if put_g2s(&zkey.b_g2) != put_g2s(&initial.b_g2) {
        return mismatch("the B2 section");
    }
    for (section, now, was) in [("L", &zkey.l, &initial.l), ("H", &zkey.h, &initial.h)] {
        if !divided_by_delta(now, was, &zkey.delta_g2) {
            return Err(VerifyError::SectionNotScaled { section });
        }
    }
    Ok(contributors)
}

/// Whether `now[i] = was[i] / δ` for all `i`, on a random combination:
/// `e(Σ rᵢ·wasᵢ, G2) = e(Σ rᵢ·nowᵢ, δ₂)`. A cheat passes with probability
/// about `1/r`.
fn divided_by_delta(now: &[G1Affine], was: &[G1Affine], delta_g2: &G2Affine) -> bool {
    if now.len() != was.len() {
        return false;
    }
    if now.is_empty() {
        return true;
    }
    let r: Vec<Fr> = (0..now.len()).map(|_| Fr::rand(&mut OsRng)).collect();
    let sum_was = G1Projective::msm_unchecked(was, &r).into_affine();
    let sum_now = G1Projective::msm_unchecked(now, &r).into_affine();
    // same_ratio(a1, b1, a2, b2): e(a1, b2) = e(b1, a2).
    same_ratio(&sum_now, &sum_was, &G2Affine::generator(), delta_g2)
}
