//! Groth16 setup and proving of the credential predicate circuit.

use ark_bn254::{Bn254, Fr};
use ark_ff::UniformRand;
use ark_groth16::r1cs_to_qap::evaluate_constraint;
use ark_groth16::{Groth16, Proof, ProvingKey, VerifyingKey};
use ark_poly::{EvaluationDomain, GeneralEvaluationDomain};
use ark_relations::gr1cs::{ConstraintSynthesizer, ConstraintSystem, Matrix, OptimizationGoal, SynthesisError, SynthesisMode};
use ark_snark::SNARK;
use rand::{CryptoRng, RngCore};

use zkreg_circuits::predicate::shape::PredicateShape;
use zkreg_circuits::predicate::{PredicateCircuit, PredicateWitness, PublicInputs};
use zkreg_circuits::tree::MerklePath;

use crate::credential::{CredentialError, CredentialOpening};
use crate::qap::{CircomReduction, QapReduction};
use crate::wallet::Wallet;

/// Errors from proving.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProveError {
    /// The credential does not belong to this wallet or was altered.
    #[error(transparent)]
    Credential(#[from] CredentialError),
    /// The credential's value is outside the requested bounds.
    #[error("credential value is outside [{lo}, {hi}]")]
    ValueOutOfRange {
        /// Requested lower bound.
        lo: u64,
        /// Requested upper bound.
        hi: u64,
    },
    /// The credential expired before the day the proof is for.
    #[error("credential expired on day {expiry}, before day {today}")]
    Expired {
        /// The credential's expiry day.
        expiry: u32,
        /// The day of the proof.
        today: u32,
    },
    /// The path does not lead from this commitment to the given root (revoked,
    /// wrong leaf index or stale root).
    #[error("the Merkle path does not open this commitment under the root")]
    NotInTree,
    /// The witness does not satisfy the circuit (a check the native
    /// pre-checks above did not catch).
    #[error("the witness does not satisfy the predicate circuit")]
    Unsatisfied,
    /// The proving system failed (a malformed proving key, typically).
    #[error("proving failed: {0}")]
    Synthesis(String),
}

impl From<SynthesisError> for ProveError {
    fn from(e: SynthesisError) -> Self {
        ProveError::Synthesis(e.to_string())
    }
}

/// What the verifier's request fixes for one proof.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ProofStatement {
    /// Inclusive lower bound.
    pub lo: u64,
    /// Inclusive upper bound.
    pub hi: u64,
    /// The day the proof speaks for.
    pub today: u32,
    /// `label(Scope, scope)`.
    pub scope: Fr,
    /// `label(Challenge, challenge)`.
    pub challenge: Fr,
}

/// Runs `synthesis` with no tracing subscriber on this thread. arkworks
/// opens an info span (targets `gr1cs`, `r1cs`) for every constraint
/// namespace and gadget call; under an application's subscriber that
/// records them, synthesis makes proving about six times slower.
fn untraced<T>(synthesis: impl FnOnce() -> T) -> T {
    tracing::dispatcher::with_default(&tracing::Dispatch::none(), synthesis)
}

/// Generates the Groth16 keys of the predicate circuit (the trusted setup).
pub fn setup<R: RngCore + CryptoRng>(
    rng: &mut R,
) -> Result<(ProvingKey<Bn254>, VerifyingKey<Bn254>), ProveError> {
    Ok(untraced(|| Groth16::<Bn254>::circuit_specific_setup(PredicateCircuit::blank(), rng))?)
}

/// Whether `z` satisfies every row `⟨a, z⟩ · ⟨b, z⟩ = ⟨c, z⟩` of the R1CS matrices.
fn satisfied(matrices: &[Matrix<Fr>], z: &[Fr]) -> bool {
    let [a, b, c] = matrices else { return false };
    if z.is_empty() || z[0] != Fr::from(1u64) {
        return false;
    }
    let in_bounds = |row: &[(Fr, usize)]| row.iter().all(|(_, i)| *i < z.len());
    a.iter().zip(b).zip(c).all(|((ra, rb), rc)| {
        in_bounds(ra)
            && in_bounds(rb)
            && in_bounds(rc)
            && evaluate_constraint(ra, z) * evaluate_constraint(rb, z) == evaluate_constraint(rc, z)
    })
}

/// The predicate circuit's R1CS matrices, synthesised once.
struct CircuitShape {
    matrices: Vec<Matrix<Fr>>,
    num_inputs: usize,
    num_constraints: usize,
    num_witnesses: usize,
}

impl CircuitShape {
    fn synthesise() -> Result<Self, ProveError> {
        let shape = untraced(PredicateShape::synthesise)?;
        Ok(CircuitShape {
            num_inputs: shape.num_instance,
            num_constraints: shape.num_constraints,
            num_witnesses: shape.num_witness,
            matrices: shape.matrices.into(),
        })
    }

    /// Size of the QAP evaluation domain: one row per constraint and per
    /// instance variable, rounded up to a power of two.
    fn domain_size(&self) -> Result<usize, ProveError> {
        GeneralEvaluationDomain::<Fr>::new(self.num_constraints + self.num_inputs)
            .map(|d| d.size())
            .ok_or_else(|| ProveError::Synthesis("the circuit is too large for the field's FFT domain".into()))
    }
}

/// Groth16 prover of the credential predicate circuit.
///
/// The circuit's matrices are built once; each proof then synthesises only
/// the witness (no linear-combination bookkeeping), checks it against the
/// matrices, and proves.
///
/// The key says which R1CS-to-QAP reduction it needs (see [`crate::qap`]):
/// a one-party key from [`setup`] proves with arkworks' libsnark reduction,
/// a key finalised from a `.zkey` ceremony with circom's.
pub struct PredicateProver {
    pk: ProvingKey<Bn254>,
    shape: CircuitShape,
    reduction: QapReduction,
}

impl PredicateProver {
    /// A prover with the given proving key.
    pub fn new(pk: ProvingKey<Bn254>) -> Result<Self, ProveError> {
        let shape = CircuitShape::synthesise()?;
        let not_ours = || ProveError::Synthesis("proving key is not for the predicate circuit".into());
        if pk.vk.gamma_abc_g1.len() != shape.num_inputs || pk.a_query.len() != shape.num_inputs + shape.num_witnesses {
            return Err(not_ours());
        }
        let reduction = QapReduction::of_key(&pk, shape.domain_size()?).ok_or_else(not_ours)?;
        Ok(PredicateProver { pk, shape, reduction })
    }

    /// The proving key.
    pub fn proving_key(&self) -> &ProvingKey<Bn254> {
        &self.pk
    }

    /// The R1CS-to-QAP reduction this prover's key needs.
    pub fn reduction(&self) -> QapReduction {
        self.reduction
    }

    /// Proves `circuit` after checking that its witness satisfies it, so that
    /// an unsatisfiable statement is an error rather than an invalid proof.
    pub fn prove_circuit<R: RngCore + CryptoRng>(
        &self,
        circuit: PredicateCircuit,
        rng: &mut R,
    ) -> Result<Proof<Bn254>, ProveError> {
        let cs = ConstraintSystem::<Fr>::new_ref();
        cs.set_optimization_goal(OptimizationGoal::Constraints);
        cs.set_mode(SynthesisMode::Prove { construct_matrices: false, generate_lc_assignments: false });
        untraced(|| circuit.generate_constraints(cs.clone()))?;
        let full = {
            let inner = cs.borrow().ok_or_else(|| ProveError::Synthesis("constraint system in use".into()))?;
            [inner.instance_assignment()?, inner.witness_assignment()?].concat()
        };
        let shape = &self.shape;
        // `ConstraintSystem::is_satisfied` would cost more than a third of a
        // proof; evaluating the cached matrices costs a few milliseconds.
        if !satisfied(&shape.matrices, &full) {
            return Err(ProveError::Unsatisfied);
        }
        let (r, s) = (Fr::rand(rng), Fr::rand(rng));
        let (m, i, c) = (&shape.matrices, shape.num_inputs, shape.num_constraints);
        Ok(match self.reduction {
            QapReduction::Libsnark => Groth16::<Bn254>::create_proof_with_reduction_and_matrices(&self.pk, r, s, m, i, c, &full)?,
            QapReduction::Circom => {
                Groth16::<Bn254, CircomReduction>::create_proof_with_reduction_and_matrices(&self.pk, r, s, m, i, c, &full)?
            }
        })
    }

    /// Proves that `opening` (held by `wallet`, at `path` under `root`)
    /// satisfies `statement`. Native checks first give a precise error.
    pub fn prove<R: RngCore + CryptoRng>(
        &self,
        wallet: &Wallet,
        opening: &CredentialOpening,
        path: &MerklePath,
        root: Fr,
        statement: &ProofStatement,
        rng: &mut R,
    ) -> Result<(Proof<Bn254>, PublicInputs), ProveError> {
        let circuit = Self::circuit_for(wallet, opening, path, root, statement)?;
        let public = circuit.public;
        let proof = self.prove_circuit(circuit, rng)?;
        Ok((proof, public))
    }

    /// The predicate circuit, with its secret witness, for `opening` (held
    /// by `wallet`, at `path` under `root`) and `statement`, after the
    /// native checks. What [`Self::prove`] proves, and what a `.wtns`
    /// export for an external prover is made from.
    pub fn circuit_for(
        wallet: &Wallet,
        opening: &CredentialOpening,
        path: &MerklePath,
        root: Fr,
        statement: &ProofStatement,
    ) -> Result<PredicateCircuit, ProveError> {
        let fields = opening.fields(wallet.holder_id());
        opening.check(wallet.holder_id())?;
        if opening.value < statement.lo || opening.value > statement.hi {
            return Err(ProveError::ValueOutOfRange { lo: statement.lo, hi: statement.hi });
        }
        if opening.expiry < statement.today {
            return Err(ProveError::Expired { expiry: opening.expiry, today: statement.today });
        }
        if path.compute_root(opening.commitment).ok() != Some(root) {
            return Err(ProveError::NotInTree);
        }
        let public = PublicInputs {
            root,
            schema_id: fields.schema_id,
            issuer_id: fields.issuer_id,
            lo: statement.lo,
            hi: statement.hi,
            today: statement.today,
            scope: statement.scope,
            challenge: statement.challenge,
            pseudonym: wallet.pseudonym(&statement.scope),
        };
        let witness = PredicateWitness {
            sk: *wallet.sk(),
            value: opening.value,
            expiry: opening.expiry,
            salt: opening.salt,
            path: path.clone(),
        };
        Ok(PredicateCircuit { public, witness })
    }
}
