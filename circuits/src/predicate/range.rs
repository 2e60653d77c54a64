//! 64-bit range checks by bit decomposition.
//!
//! `enforce_u64(d)` allocates 64 boolean witnesses `b_i` and enforces
//! `Σ 2^i·b_i = d` in one constraint: 65 constraints in all, against ~1.9k for
//! `FpVar::enforce_cmp`. It proves that `d`, as a field element, equals an
//! integer in `[0, 2^64)`.
//!
//! # Why the predicate checks are sound against wrap-around
//!
//! The verifier checks natively that `lo`, `hi` and `today` are below 2^64
//! (they are typed `u64` / `u32` and parsed strictly). Write `a = value − lo`
//! and `b = hi − value` (field arithmetic); the circuit proves `a, b < 2^64`.
//!
//! * `value = lo + a` with `lo, a < 2^64`, so `value` is the integer
//!   `lo + a < 2^65 < r`: no reduction happened and `value ≥ lo`.
//! * `a + b = hi − lo` in the field. As integers `a + b < 2^65 < r`. If
//!   `hi ≥ lo`, `hi − lo` is an integer in `[0, 2^64)` and the equality holds
//!   over the integers, so `value = hi − b ≤ hi`. If `hi < lo`, `hi − lo`
//!   reduces to `r − (lo − hi) > 2^65`, which no `a + b` reaches: no proof exists.
//! * `c = expiry − today < 2^64` with `today < 2^64` gives `expiry = today + c`
//!   as an integer below `2^65`, so `expiry ≥ today`.
//!
//! Without the native bound a verifier could be handed `lo = r − 5`, which in
//! the field is `−5`, and accept a proof that `value ≥ −5`.

use ark_bn254::Fr;
use ark_ff::{AdditiveGroup, Field, PrimeField};
use ark_r1cs_std::{alloc::AllocVar, boolean::Boolean, fields::fp::FpVar, GR1CSVar};
use ark_relations::gr1cs::{ConstraintSystemRef, LinearCombination, SynthesisError, Variable};

use crate::constants::RANGE_BITS;
use crate::poseidon::constraints::LinearTerm;

/// Enforces that `d` is an integer in `[0, 2^64)`; 65 constraints.
pub fn enforce_u64(cs: &ConstraintSystemRef<Fr>, d: &FpVar<Fr>) -> Result<(), SynthesisError> {
    // Low 64 bits of the value; if the value is larger, the sum check fails.
    let limbs = d.value().ok().map(|v| v.into_bigint().0);
    let mut sum = LinearCombination::<Fr>::zero();
    let mut coeff = Fr::ONE;
    for i in 0..RANGE_BITS {
        let bit = Boolean::new_witness(cs.clone(), || {
            limbs.map(|l| (l[0] >> i) & 1 == 1).ok_or(SynthesisError::AssignmentMissing)
        })?;
        if let Boolean::Var(b) = &bit {
            sum = &sum + &LinearCombination(vec![(coeff, b.variable())]);
        }
        coeff.double_in_place();
    }
    let diff = &sum - &LinearTerm::from_var(d).into_lc();
    cs.enforce_r1cs_constraint(|| diff, || LinearCombination(vec![(Fr::ONE, Variable::One)]), LinearCombination::zero)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use ark_relations::gr1cs::ConstraintSystem;

    fn in_range(d: Fr) -> (bool, usize) {
        let cs = ConstraintSystem::<Fr>::new_ref();
        let v = FpVar::new_witness(cs.clone(), || Ok(d)).unwrap();
        enforce_u64(&cs, &v).unwrap();
        (cs.is_satisfied().unwrap(), cs.num_constraints())
    }

    #[test]
    fn accepts_the_whole_range_and_nothing_else() {
        assert_eq!(in_range(Fr::from(0u64)), (true, 65));
        assert!(in_range(Fr::from(u64::MAX)).0);
        assert!(in_range(Fr::from(12345u64)).0);
        assert!(!in_range(Fr::from(u64::MAX) + Fr::ONE).0, "2^64");
        assert!(!in_range(-Fr::ONE).0, "r - 1, a negative difference");
        assert!(!in_range(-Fr::from(u64::MAX)).0);
    }
}
