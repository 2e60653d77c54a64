//! Poseidon R1CS gadget over the same circomlib parameters as the native hash.
//!
//! The state is kept as flat linear combinations: an S-box costs three
//! constraints (`x·x = x2`, `x2·x2 = x4`, `x4·x = x5`) and allocates three
//! witnesses, while round constants and the MDS mix are free. Building the
//! mix out of chained `FpVar` additions instead would create nested symbolic
//! linear combinations that the constraint system inlines again and again,
//! which makes proving several times slower for the same constraint count.
//! S-boxes of constant values (the domain-separation inputs in the first
//! round) are evaluated natively and cost nothing.

use ark_bn254::Fr;
use ark_ff::{Field, Zero};
use ark_r1cs_std::fields::fp::{AllocatedFp, FpVar};
use ark_relations::gr1cs::{ConstraintSystemRef, LinearCombination, SynthesisError, Variable};

use super::{parameters, PoseidonError};

/// A linear combination of circuit variables together with its value (if the
/// constraint system is generating a witness).
///
/// When the constraint system only generates a witness (the prover with
/// cached matrices), `lc` is not maintained: only values and constness are,
/// and both decide the same allocations and constraints as in setup.
#[derive(Clone, Debug)]
pub(crate) struct LinearTerm {
    lc: LinearCombination<Fr>,
    value: Option<Fr>,
    /// Whether the term is a known constant (then `value` is `Some`).
    is_constant: bool,
}

impl LinearTerm {
    fn constant(c: Fr) -> Self {
        LinearTerm { lc: LinearCombination(vec![(c, Variable::One)]), value: Some(c), is_constant: true }
    }

    pub(crate) fn from_var(v: &FpVar<Fr>) -> Self {
        match v {
            FpVar::Constant(c) => Self::constant(*c),
            FpVar::Var(a) => LinearTerm {
                lc: LinearCombination(vec![(Fr::ONE, a.variable)]),
                value: a.value().ok(),
                is_constant: false,
            },
        }
    }

    pub(crate) fn into_lc(self) -> LinearCombination<Fr> {
        self.lc
    }

    fn as_constant(&self) -> Option<Fr> {
        self.value.filter(|_| self.is_constant)
    }

    fn add_constant(&mut self, c: &Fr, build: bool) {
        if build {
            self.lc = &self.lc + &LinearCombination(vec![(*c, Variable::One)]);
        }
        self.value = self.value.map(|v| v + c);
    }

    fn scaled_sum(terms: &[LinearTerm], coeffs: &[Fr], build: bool) -> LinearTerm {
        let mut lc = LinearCombination::zero();
        let mut value = Some(Fr::zero());
        for (t, m) in terms.iter().zip(coeffs) {
            if build {
                lc = &lc + &(&t.lc * *m);
            }
            value = value.zip(t.value).map(|(acc, v)| acc + v * m);
        }
        LinearTerm { lc, value, is_constant: terms.iter().all(|t| t.is_constant) }
    }

    pub(crate) fn into_fp_var(self, cs: &ConstraintSystemRef<Fr>) -> Result<FpVar<Fr>, SynthesisError> {
        if let Some(c) = self.as_constant() {
            return Ok(FpVar::Constant(c));
        }
        let lc = self.lc;
        let variable = cs.new_lc(|| lc)?;
        Ok(FpVar::Var(AllocatedFp::new(self.value, variable, cs.clone())))
    }
}

/// Allocates `y = x * x'`-style witnesses: enforces `a · b = out` and returns `out`.
fn product(
    cs: &ConstraintSystemRef<Fr>,
    a: &LinearTerm,
    b: &LinearTerm,
) -> Result<LinearTerm, SynthesisError> {
    let value = a.value.zip(b.value).map(|(x, y)| x * y);
    let out = cs.new_witness_variable(|| value.ok_or(SynthesisError::AssignmentMissing))?;
    cs.enforce_r1cs_constraint(|| a.lc.clone(), || b.lc.clone(), || LinearCombination(vec![(Fr::ONE, out)]))?;
    Ok(LinearTerm { lc: LinearCombination(vec![(Fr::ONE, out)]), value, is_constant: false })
}

/// `x^5` in three constraints, or natively for a constant.
fn sbox(cs: &ConstraintSystemRef<Fr>, x: LinearTerm) -> Result<LinearTerm, SynthesisError> {
    if let Some(c) = x.as_constant() {
        return Ok(LinearTerm::constant(super::sbox(c)));
    }
    let x2 = product(cs, &x, &x)?;
    let x4 = product(cs, &x2, &x2)?;
    product(cs, &x4, &x)
}

/// The Poseidon hash gadget (circomlib constants).
pub struct PoseidonGadget;

impl PoseidonGadget {
    /// Constrains and returns `Poseidon(inputs)`; 1 to 6 inputs.
    pub fn hash(
        cs: &ConstraintSystemRef<Fr>,
        inputs: &[FpVar<Fr>],
    ) -> Result<FpVar<Fr>, SynthesisError> {
        let params = parameters(inputs.len()).map_err(|e: PoseidonError| {
            // An unsupported arity is a circuit-construction bug, not a witness problem.
            debug_assert!(false, "{e}");
            SynthesisError::Unsatisfiable
        })?;
        let width = params.width;
        let build = cs.should_construct_matrices();
        let mut state: Vec<LinearTerm> = Vec::with_capacity(width);
        state.push(LinearTerm::constant(Fr::zero()));
        state.extend(inputs.iter().map(LinearTerm::from_var));

        let half_full = params.full_rounds / 2;
        let rounds = params.full_rounds + params.partial_rounds;
        for round in 0..rounds {
            for (s, c) in state.iter_mut().zip(&params.ark[round * width..(round + 1) * width]) {
                s.add_constant(c, build);
            }
            if round < half_full || round >= half_full + params.partial_rounds {
                for s in state.iter_mut() {
                    *s = sbox(cs, std::mem::replace(s, LinearTerm::constant(Fr::zero())))?;
                }
            } else {
                state[0] = sbox(cs, std::mem::replace(&mut state[0], LinearTerm::constant(Fr::zero())))?;
            }
            // The output is lane 0, so the last round only needs the first MDS row.
            let rows = if round + 1 == rounds { 1 } else { width };
            state = params.mds[..rows]
                .iter()
                .map(|row| LinearTerm::scaled_sum(&state, row, build))
                .collect();
        }
        let out = state.swap_remove(0);
        out.into_fp_var(cs)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::poseidon::hash;
    use ark_r1cs_std::{alloc::AllocVar, GR1CSVar};
    use ark_ff::UniformRand;
    use ark_r1cs_std::eq::EqGadget;
    use ark_relations::gr1cs::ConstraintSystem;
    use rand::SeedableRng;

    fn hash_in_circuit(inputs: &[Fr]) -> (Fr, usize, bool) {
        let cs = ConstraintSystem::<Fr>::new_ref();
        let vars: Vec<FpVar<Fr>> = inputs
            .iter()
            .map(|x| FpVar::new_witness(cs.clone(), || Ok(*x)).unwrap())
            .collect();
        let out = PoseidonGadget::hash(&cs, &vars).unwrap();
        let value = out.value().unwrap();
        // Tie the output to a public input so that the LC is checked too.
        let expected = FpVar::new_input(cs.clone(), || Ok(hash(inputs).unwrap())).unwrap();
        out.enforce_equal(&expected).unwrap();
        (value, cs.num_constraints(), cs.is_satisfied().unwrap())
    }

    #[test]
    fn native_equals_gadget_on_random_inputs() {
        let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(11);
        for n in 1..=6 {
            for _ in 0..3 {
                let inputs: Vec<Fr> = (0..n).map(|_| Fr::rand(&mut rng)).collect();
                let (value, _, satisfied) = hash_in_circuit(&inputs);
                assert_eq!(value, hash(&inputs).unwrap());
                assert!(satisfied);
            }
        }
    }

    #[test]
    fn constraint_counts_are_pinned() {
        // 3 constraints per S-box (full rounds: width S-boxes, partial: one),
        // less the first-round S-box of lane 0, which holds the constant 0,
        // plus the one equality the test adds.
        let expected = [(1, 3 * (8 * 2 + 56)), (2, 3 * (8 * 3 + 57)), (3, 3 * (8 * 4 + 56)),
                        (4, 3 * (8 * 5 + 60)), (6, 3 * (8 * 7 + 63))];
        for (n, sboxes) in expected {
            let (_, constraints, _) = hash_in_circuit(&vec![Fr::from(3u64); n]);
            assert_eq!(constraints, sboxes - 3 + 1, "{n} inputs");
        }
    }

    #[test]
    fn constant_inputs_cost_nothing_in_the_first_round() {
        let cs = ConstraintSystem::<Fr>::new_ref();
        let sk = FpVar::new_witness(cs.clone(), || Ok(Fr::from(5u64))).unwrap();
        let out = PoseidonGadget::hash(&cs, &[FpVar::Constant(Fr::from(9u64)), sk]).unwrap();
        assert_eq!(out.value().unwrap(), hash(&[Fr::from(9u64), Fr::from(5u64)]).unwrap());
        // Lanes 0 and 1 are constant in round one: two S-boxes (6 constraints) saved.
        assert_eq!(cs.num_constraints(), 3 * (8 * 3 + 57) - 6);
        let all_constant = PoseidonGadget::hash(&cs, &[FpVar::Constant(Fr::from(1u64)), FpVar::Constant(Fr::from(2u64))]).unwrap();
        assert_eq!(all_constant.value().unwrap(), hash(&[Fr::from(1u64), Fr::from(2u64)]).unwrap());
        assert_eq!(cs.num_constraints(), 3 * (8 * 3 + 57) - 6);
    }

    #[test]
    fn wrong_output_is_unsatisfied() {
        let cs = ConstraintSystem::<Fr>::new_ref();
        let a = FpVar::new_witness(cs.clone(), || Ok(Fr::from(1u64))).unwrap();
        let b = FpVar::new_witness(cs.clone(), || Ok(Fr::from(2u64))).unwrap();
        let out = PoseidonGadget::hash(&cs, &[a, b]).unwrap();
        let wrong = FpVar::new_input(cs.clone(), || Ok(hash(&[Fr::from(1u64), Fr::from(3u64)]).unwrap())).unwrap();
        out.enforce_equal(&wrong).unwrap();
        assert!(!cs.is_satisfied().unwrap());
    }
}
