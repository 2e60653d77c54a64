//! `finalize`: the arkworks proving and verifying keys of a ceremony's zkey.
//!
//! The sections map one to one onto arkworks' `ProvingKey`: `A → a_query`,
//! `B1 → b_g1_query`, `B2 → b_g2_query`, `L → l_query`, `H → h_query`,
//! `IC → gamma_abc_g1`. The `H` section holds `n` points (circom's
//! reduction), where a one-party arkworks key holds `n − 1`: that is how
//! `zkreg_prover` knows to prove with circom's R1CS-to-QAP reduction
//! (`zkreg_prover::qap`).
//!
//! `finalize` checks that the key had at least one contribution and that
//! its `δ` is the one its last contribution made; it does not replay the
//! transcript against the circuit and phase 1: run [`super::verify`] first.

use ark_bn254::{Bn254, G1Affine, G2Affine};
use ark_ec::AffineRepr;
use ark_groth16::{ProvingKey, VerifyingKey};
use zkreg_circuits::predicate::shape::PredicateShape;
use zkreg_circuits::proof_codec::{check_phase2, check_verifying_key};

use super::error::CeremonyError;
use super::points::same_ratio;
use super::zkey::Zkey;

/// The proving key (with its verifying key) of a contributed zkey.
pub fn finalize(zkey: &Zkey) -> Result<(ProvingKey<Bn254>, VerifyingKey<Bn254>), CeremonyError> {
    let last = zkey.contributions.last().ok_or(CeremonyError::NoContribution)?;
    if last.delta_after != zkey.delta_g1 || !same_ratio(&G1Affine::generator(), &zkey.delta_g1, &G2Affine::generator(), &zkey.delta_g2)
    {
        return Err(CeremonyError::DeltaMismatch);
    }
    let vk = VerifyingKey::<Bn254> {
        alpha_g1: zkey.alpha_g1,
        beta_g2: zkey.beta_g2,
        gamma_g2: zkey.gamma_g2,
        delta_g2: zkey.delta_g2,
        gamma_abc_g1: zkey.ic.clone(),
    };
    check_verifying_key(&vk).map_err(CeremonyError::WrongCircuit)?;
    check_phase2(&vk).map_err(|_| CeremonyError::NoContribution)?;
    let pk = ProvingKey {
        vk: vk.clone(),
        beta_g1: zkey.beta_g1,
        delta_g1: zkey.delta_g1,
        a_query: zkey.a.clone(),
        b_g1_query: zkey.b_g1.clone(),
        b_g2_query: zkey.b_g2.clone(),
        h_query: zkey.h.clone(),
        l_query: zkey.l.clone(),
    };
    Ok((pk, vk))
}

/// Checks that `zkey` is shaped for zkreg's predicate circuit (its signal,
/// public-input and domain sizes), before a ceremony key replaces the
/// one-party key.
pub fn check_predicate_shape(zkey: &Zkey) -> Result<(), CeremonyError> {
    let shape = PredicateShape::synthesise()?;
    let power = super::ptau::power_for(shape.num_constraints, shape.num_instance - 1);
    let expected = (shape.num_variables() as u32, shape.num_instance as u32 - 1, 1u32 << power);
    let got = (zkey.n_vars, zkey.n_public, zkey.domain_size);
    if got != expected {
        return Err(CeremonyError::WrongCircuit(format!(
            "(signals, public inputs, domain) are {got:?}, the predicate circuit's are {expected:?}"
        )));
    }
    Ok(())
}
