//! Groth16 setup and proving of the credential predicate circuit.

use ark_bn254::{Bn254, Fr};
use ark_ff::UniformRand;
use ark_groth16::{Groth16, Proof, ProvingKey, VerifyingKey};
use ark_relations::gr1cs::{
    ConstraintSynthesizer, ConstraintSystem, OptimizationGoal, SynthesisError, SynthesisMode,
    R1CS_PREDICATE_LABEL,
};
use ark_snark::SNARK;
use rand::{CryptoRng, RngCore};

use zkreg_circuits::predicate::{PredicateCircuit, PredicateWitness, PublicInputs};
use zkreg_circuits::tree::MerklePath;

use crate::credential::{CredentialError, CredentialOpening};
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

/// Generates the Groth16 keys of the predicate circuit (the trusted setup).
pub fn setup<R: RngCore + CryptoRng>(
    rng: &mut R,
) -> Result<(ProvingKey<Bn254>, VerifyingKey<Bn254>), ProveError> {
    Ok(Groth16::<Bn254>::circuit_specific_setup(PredicateCircuit::blank(), rng)?)
}

/// Proves `circuit` after checking that its witness satisfies it, so that an
/// unsatisfiable statement is an error rather than an invalid proof.
pub fn prove_circuit<R: RngCore + CryptoRng>(
    pk: &ProvingKey<Bn254>,
    circuit: PredicateCircuit,
    rng: &mut R,
) -> Result<Proof<Bn254>, ProveError> {
    let cs = ConstraintSystem::<Fr>::new_ref();
    cs.set_optimization_goal(OptimizationGoal::Constraints);
    cs.set_mode(SynthesisMode::Prove { construct_matrices: true, generate_lc_assignments: false });
    circuit.generate_constraints(cs.clone())?;
    cs.finalize();
    if !cs.is_satisfied()? {
        return Err(ProveError::Unsatisfied);
    }
    let matrices = cs.to_matrices()?;
    let matrices = matrices
        .get(R1CS_PREDICATE_LABEL)
        .ok_or_else(|| ProveError::Synthesis("no R1CS matrices".into()))?;
    let num_inputs = cs.num_instance_variables();
    let num_constraints = cs.num_constraints();
    let full = {
        let inner = cs.borrow().ok_or_else(|| ProveError::Synthesis("constraint system in use".into()))?;
        [inner.instance_assignment()?, inner.witness_assignment()?].concat()
    };
    let (r, s) = (Fr::rand(rng), Fr::rand(rng));
    Ok(Groth16::<Bn254>::create_proof_with_reduction_and_matrices(
        pk, r, s, matrices, num_inputs, num_constraints, &full,
    )?)
}

/// Groth16 prover of the credential predicate circuit.
pub struct PredicateProver {
    pk: ProvingKey<Bn254>,
}

impl PredicateProver {
    /// A prover with the given proving key.
    pub fn new(pk: ProvingKey<Bn254>) -> Self {
        PredicateProver { pk }
    }

    /// The proving key.
    pub fn proving_key(&self) -> &ProvingKey<Bn254> {
        &self.pk
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
        let proof = prove_circuit(&self.pk, PredicateCircuit { public, witness }, rng)?;
        Ok((proof, public))
    }
}
