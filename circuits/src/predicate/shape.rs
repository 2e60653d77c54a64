//! The predicate circuit's constraint system as matrices, synthesised once:
//! what the prover evaluates a witness against and what the ceremony writes
//! as the iden3 `.r1cs` file. Both read it from here, so the circuit a
//! ceremony's key is made for and the circuit the wallet proves are the
//! same matrices, term for term.

use ark_bn254::Fr;
use ark_relations::gr1cs::{
    ConstraintSynthesizer, ConstraintSystem, Matrix, OptimizationGoal, SynthesisError, SynthesisMode, R1CS_PREDICATE_LABEL,
};

use super::PredicateCircuit;

/// The R1CS of the predicate circuit.
///
/// Variables are numbered as arkworks numbers them: `0` is the constant one,
/// `1..=9` the public inputs in circuit order, then the witness variables.
/// That is also the wire numbering of the `.r1cs` and `.wtns` files (no
/// public outputs, nine public inputs).
#[derive(Clone, Debug)]
pub struct PredicateShape {
    /// The `A`, `B` and `C` matrices: one row per constraint, each row the
    /// `(coefficient, variable)` terms of its linear combination.
    pub matrices: [Matrix<Fr>; 3],
    /// Instance variables, the constant one included (10).
    pub num_instance: usize,
    /// Witness variables.
    pub num_witness: usize,
    /// Constraints (rows of each matrix).
    pub num_constraints: usize,
}

impl PredicateShape {
    /// Synthesises the blank circuit in setup mode, optimised for fewer
    /// constraints (the setting the keys were always made with).
    ///
    /// arkworks opens a tracing span per gadget call; a caller running under
    /// a recording subscriber may want to synthesise without one.
    pub fn synthesise() -> Result<Self, SynthesisError> {
        let cs = ConstraintSystem::<Fr>::new_ref();
        cs.set_optimization_goal(OptimizationGoal::Constraints);
        cs.set_mode(SynthesisMode::Setup);
        PredicateCircuit::blank().generate_constraints(cs.clone())?;
        cs.finalize();
        let mut all = cs.to_matrices()?;
        let matrices = all.remove(R1CS_PREDICATE_LABEL).ok_or(SynthesisError::PredicateNotFound)?;
        let matrices: [Matrix<Fr>; 3] = matrices.try_into().map_err(|_| SynthesisError::ArityMismatch)?;
        Ok(PredicateShape {
            matrices,
            num_instance: cs.num_instance_variables(),
            num_witness: cs.num_witness_variables(),
            num_constraints: cs.num_constraints(),
        })
    }

    /// All variables: instance (the one included) and witness.
    pub fn num_variables(&self) -> usize {
        self.num_instance + self.num_witness
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::constants::NUM_PUBLIC_INPUTS;

    #[test]
    fn shape_is_the_pinned_circuit() {
        let shape = PredicateShape::synthesise().unwrap();
        assert_eq!(shape.num_instance, NUM_PUBLIC_INPUTS + 1);
        assert_eq!(shape.num_constraints, 6_146);
        for m in &shape.matrices {
            assert_eq!(m.len(), shape.num_constraints);
            assert!(m.iter().flatten().all(|(_, v)| *v < shape.num_variables()));
        }
    }
}
