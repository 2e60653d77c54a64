//! The two R1CS-to-QAP reductions zkreg proves with, and how a proving key
//! says which one it needs.
//!
//! Groth16's prover turns the R1CS witness into the quotient `h` of a QAP,
//! and the proving key's `h_query` holds the points `h` is multiplied with.
//! Two setups lay those points out differently:
//!
//! * **libsnark** (arkworks' [`LibsnarkReduction`], zkreg's one-party
//!   `setup`): `h_query[i] = τ^i · Z(τ) / δ` for `i < n - 1`, and the prover
//!   computes `h`'s coefficients by dividing by the vanishing polynomial on
//!   a coset. `n - 1` points.
//! * **circom / snarkjs** ([`CircomReduction`], keys from a phase-2
//!   ceremony in the `.zkey` format): `h_query[i] = L_{2i+1}(τ) / δ`, the
//!   odd Lagrange polynomials of the domain of size `2n`, and the prover
//!   hands over `A·B − C` evaluated at the odd `2n`-th roots of unity (where
//!   `Z` is the constant `-2`, so nothing is divided). `n` points.
//!
//! A proof made with the wrong reduction for its key is well formed but does
//! not verify. The key carries the choice in its shape: [`QapReduction::of_key`]
//! reads it from `h_query`'s length, so key files, fingerprints and the
//! one-party keys and proofs already in the field are unchanged.

use ark_bn254::Bn254;
use ark_ff::PrimeField;
use ark_groth16::r1cs_to_qap::{evaluate_constraint, LibsnarkReduction, R1CSToQAP};
use ark_groth16::ProvingKey;
use ark_poly::EvaluationDomain;
use ark_relations::gr1cs::{ConstraintSystemRef, Matrix, SynthesisError};

/// Which R1CS-to-QAP reduction a proving key was made for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum QapReduction {
    /// arkworks' libsnark reduction (`h_query` has `n - 1` points): keys
    /// from zkreg's one-party `setup`.
    Libsnark,
    /// circom's reduction (`h_query` has `n` points): keys finalised from a
    /// snarkjs `.zkey` phase-2 ceremony.
    Circom,
}

impl QapReduction {
    /// The reduction `pk` needs, for a circuit whose QAP domain has
    /// `domain_size` points; `None` if its `h_query` fits neither (a key for
    /// another circuit).
    pub fn of_key(pk: &ProvingKey<Bn254>, domain_size: usize) -> Option<Self> {
        match pk.h_query.len() {
            n if n + 1 == domain_size => Some(QapReduction::Libsnark),
            n if n == domain_size => Some(QapReduction::Circom),
            _ => None,
        }
    }
}

/// The R1CS-to-QAP reduction of circom and snarkjs (and of rapidsnark,
/// which proves with `.zkey` files): the one a key finalised from a
/// phase-2 ceremony needs. See the [module documentation](self).
///
/// The QAP domain has one row per constraint and then one row per instance
/// variable (`A = x_i`, `B = C = 0`), as in snarkjs's `zkey new`.
pub struct CircomReduction;

impl CircomReduction {
    /// The generator of the domain of twice the size: the offset of the odd coset.
    fn odd_coset_offset<F: PrimeField, D: EvaluationDomain<F>>(domain: &D) -> Result<F, SynthesisError> {
        let double = D::new(2 * domain.size()).ok_or(SynthesisError::PolynomialDegreeTooLarge)?;
        Ok(double.element(1))
    }
}

impl R1CSToQAP for CircomReduction {
    /// Only the `h` query differs from libsnark's; the `A`, `B`, `C`
    /// evaluations are the same Lagrange sums over the same rows.
    #[allow(clippy::type_complexity)]
    fn instance_map_with_evaluation<F: PrimeField, D: EvaluationDomain<F>>(
        cs: ConstraintSystemRef<F>,
        t: &F,
    ) -> Result<(Vec<F>, Vec<F>, Vec<F>, F, usize, usize), SynthesisError> {
        LibsnarkReduction::instance_map_with_evaluation::<F, D>(cs, t)
    }

    fn witness_map_from_matrices<F: PrimeField, D: EvaluationDomain<F>>(
        matrices: &[Matrix<F>],
        num_inputs: usize,
        num_constraints: usize,
        full_assignment: &[F],
    ) -> Result<Vec<F>, SynthesisError> {
        let [a_rows, b_rows, ..] = matrices else { return Err(SynthesisError::ArityMismatch) };
        let domain = D::new(num_constraints + num_inputs).ok_or(SynthesisError::PolynomialDegreeTooLarge)?;
        let n = domain.size();
        if a_rows.len() < num_constraints || b_rows.len() < num_constraints || full_assignment.len() < num_inputs {
            return Err(SynthesisError::AssignmentMissing);
        }
        // A·z and B·z on the domain; the instance rows carry `A = x_i`.
        let mut a = vec![F::zero(); n];
        let mut b = vec![F::zero(); n];
        for (i, (ra, rb)) in a_rows.iter().zip(b_rows).take(num_constraints).enumerate() {
            a[i] = evaluate_constraint(ra, full_assignment);
            b[i] = evaluate_constraint(rb, full_assignment);
        }
        a[num_constraints..num_constraints + num_inputs].copy_from_slice(&full_assignment[..num_inputs]);
        // C·z = A·z ∘ B·z on every row of a satisfied system, so C is not read.
        let mut c: Vec<F> = a.iter().zip(&b).map(|(x, y)| *x * y).collect();

        // Interpolate, then evaluate at the odd 2n-th roots of unity.
        let coset = domain.get_coset(Self::odd_coset_offset(&domain)?).ok_or(SynthesisError::PolynomialDegreeTooLarge)?;
        for v in [&mut a, &mut b, &mut c] {
            domain.ifft_in_place(v);
            coset.fft_in_place(v);
        }
        Ok(a.iter().zip(&b).zip(&c).map(|((x, y), z)| *x * y - z).collect())
    }

    /// `L_{2i+1}(t) / δ` for `i ≤ max_power`, the Lagrange polynomials of
    /// the double-size domain at its odd points (`max_power + 1 = n`).
    fn h_query_scalars<F: PrimeField, D: EvaluationDomain<F>>(
        max_power: usize,
        t: F,
        _zt: F,
        delta_inverse: F,
    ) -> Result<Vec<F>, SynthesisError> {
        let n = max_power + 1;
        let double = D::new(2 * n).ok_or(SynthesisError::PolynomialDegreeTooLarge)?;
        let lagrange = double.evaluate_all_lagrange_coefficients(t);
        Ok(lagrange.into_iter().skip(1).step_by(2).map(|l| l * delta_inverse).collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ark_bn254::Fr;
    use ark_groth16::{prepare_verifying_key, Groth16};
    use ark_relations::gr1cs::{ConstraintSynthesizer, LinearCombination, Variable};
    use ark_snark::SNARK;
    use rand::SeedableRng;
    use rand_chacha::ChaCha20Rng;

    /// `x · x · x + x + 5 = y` with `y` public: small enough to set up in a test.
    #[derive(Clone)]
    struct Cubic {
        x: Fr,
        y: Fr,
    }

    impl ConstraintSynthesizer<Fr> for Cubic {
        fn generate_constraints(self, cs: ConstraintSystemRef<Fr>) -> Result<(), SynthesisError> {
            let y = cs.new_input_variable(|| Ok(self.y))?;
            let x = cs.new_witness_variable(|| Ok(self.x))?;
            let x2 = cs.new_witness_variable(|| Ok(self.x * self.x))?;
            let x3 = cs.new_witness_variable(|| Ok(self.x * self.x * self.x))?;
            cs.enforce_r1cs_constraint(|| LinearCombination::from(x), || LinearCombination::from(x), || LinearCombination::from(x2))?;
            cs.enforce_r1cs_constraint(|| LinearCombination::from(x2), || LinearCombination::from(x), || LinearCombination::from(x3))?;
            cs.enforce_r1cs_constraint(
                || LinearCombination::from(x3) + x + (Fr::from(5u64), Variable::One),
                || LinearCombination::from(Variable::One),
                || LinearCombination::from(y),
            )?;
            Ok(())
        }
    }

    fn cubic(x: u64) -> Cubic {
        let x = Fr::from(x);
        Cubic { x, y: x * x * x + x + Fr::from(5u64) }
    }

    #[test]
    fn circom_reduction_proves_and_keys_say_which_reduction() {
        let mut rng = ChaCha20Rng::seed_from_u64(13);
        let circom = Groth16::<Bn254, CircomReduction>::circuit_specific_setup(cubic(3), &mut rng).unwrap().0;
        let libsnark = Groth16::<Bn254>::circuit_specific_setup(cubic(3), &mut rng).unwrap().0;
        // 3 constraints + 2 instance variables: a domain of 8.
        assert_eq!(QapReduction::of_key(&circom, 8), Some(QapReduction::Circom));
        assert_eq!(QapReduction::of_key(&libsnark, 8), Some(QapReduction::Libsnark));
        assert_eq!(QapReduction::of_key(&libsnark, 16), None);

        let statement = cubic(3);
        let proof = Groth16::<Bn254, CircomReduction>::prove(&circom, statement.clone(), &mut rng).unwrap();
        let pvk = prepare_verifying_key(&circom.vk);
        assert!(Groth16::<Bn254>::verify_with_processed_vk(&pvk, &[statement.y], &proof).unwrap());
        assert!(!Groth16::<Bn254>::verify_with_processed_vk(&pvk, &[statement.y + Fr::from(1u64)], &proof).unwrap());
        // The wrong reduction for the key gives a proof that does not verify.
        let wrong = Groth16::<Bn254, LibsnarkReduction>::prove(&circom, statement.clone(), &mut rng).unwrap();
        assert!(!Groth16::<Bn254>::verify_with_processed_vk(&pvk, &[statement.y], &wrong).unwrap());
    }
}
