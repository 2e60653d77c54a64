//! Groth16 setup and proving of the credential predicate circuit.

use std::time::Instant;

use ark_bn254::{Bn254, Fr};
use ark_ec::CurveGroup;
use ark_ff::UniformRand;
use ark_groth16::r1cs_to_qap::{evaluate_constraint, LibsnarkReduction, R1CSToQAP};
use ark_groth16::{Groth16, Proof, ProvingKey, VerifyingKey};
use ark_poly::{EvaluationDomain, GeneralEvaluationDomain};
use ark_relations::gr1cs::{ConstraintSynthesizer, ConstraintSystem, Matrix, OptimizationGoal, SynthesisError, SynthesisMode};
use ark_snark::SNARK;
use rand::{CryptoRng, RngCore};

use zkreg_circuits::predicate::shape::PredicateShape;
use zkreg_circuits::predicate::{PredicateCircuit, PredicateWitness, PublicInputs};
use zkreg_circuits::tree::MerklePath;

use crate::credential::{CredentialError, CredentialOpening};
use crate::msm;
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

/// Which code turns a satisfied witness into a Groth16 proof.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    /// zkreg's prover: the witness map and the five MSMs scheduled together
    /// on rayon's pool, the MSMs by [`crate::msm`].
    Zkreg,
    /// arkworks' `create_proof_with_reduction_and_matrices`: the witness
    /// map, then each MSM in turn with arkworks' own MSM.
    Arkworks,
}

/// The phases of one proof, each run alone (milliseconds).
#[derive(Clone, Copy, Debug, Default, PartialEq, serde::Serialize)]
pub struct ProvePhases {
    /// Witness synthesis and the check against the circuit's matrices.
    pub synthesis_ms: f64,
    /// The R1CS-to-QAP witness map (its FFTs).
    pub witness_map_ms: f64,
    /// The MSM of the quotient over `h_query` (G1).
    pub msm_h_ms: f64,
    /// The MSM of the private witness over `l_query` (G1).
    pub msm_l_ms: f64,
    /// The MSM of the assignment over `a_query` (G1).
    pub msm_a_ms: f64,
    /// The MSM of the assignment over `b_g1_query` (G1).
    pub msm_b_g1_ms: f64,
    /// The MSM of the assignment over `b_g2_query` (G2).
    pub msm_b_g2_ms: f64,
}

fn timed<T>(f: impl FnOnce() -> T) -> (T, f64) {
    let start = Instant::now();
    let out = f();
    (out, start.elapsed().as_secs_f64() * 1e3)
}

/// Groth16's proof from a satisfied full assignment `z = (1, x, w)`, as
/// arkworks' `create_proof_with_reduction_and_matrices` computes it, with
/// [`msm::msm`] for its five MSMs and the witness map (`quotient`, which
/// gives `h`) run beside them:
///
/// * `A = α + Σ zᵢ·a_query[i] + r·δ` (G1),
/// * `B = β + Σ zᵢ·b_query[i] + s·δ` (G2, and in G1 for `C`),
/// * `C = Σ wᵢ·l_query[i] + Σ hᵢ·h_query[i] + s·A + r·B₁ − r·s·δ` (G1).
///
/// The quotient (two to seven FFTs) is computed while the four MSMs that
/// do not need it run, and rayon's work stealing keeps both cores on the
/// windows of whichever MSMs are left.
fn create_proof(
    pk: &ProvingKey<Bn254>,
    r: Fr,
    s: Fr,
    num_inputs: usize,
    full: &[Fr],
    quotient: impl FnOnce() -> Result<Vec<Fr>, ProveError> + Send,
) -> Result<Proof<Bn254>, ProveError> {
    let missing = || ProveError::Synthesis("the proving key or the assignment is incomplete".into());
    let assignment = full.get(1..).ok_or_else(missing)?;
    let witness = full.get(num_inputs..).ok_or_else(missing)?;
    let (a_first, a_query) = pk.a_query.split_first().ok_or_else(missing)?;
    let (b1_first, b_g1_query) = pk.b_g1_query.split_first().ok_or_else(missing)?;
    let (b2_first, b_g2_query) = pk.b_g2_query.split_first().ok_or_else(missing)?;
    let (h_acc, (l_acc, (a_acc, (b1_acc, b2_acc)))) = rayon::join(
        || quotient().map(|h| msm::msm(&pk.h_query, &h)),
        || {
            rayon::join(
                || msm::msm(&pk.l_query, witness),
                || {
                    rayon::join(
                        || msm::msm(a_query, assignment),
                        || rayon::join(|| msm::msm(b_g1_query, assignment), || msm::msm(b_g2_query, assignment)),
                    )
                },
            )
        },
    );
    let g_a = pk.delta_g1 * r + a_first + a_acc + pk.vk.alpha_g1;
    let g1_b = pk.delta_g1 * s + b1_first + b1_acc + pk.beta_g1;
    let g2_b = pk.vk.delta_g2 * s + b2_first + b2_acc + pk.vk.beta_g2;
    let g_c = g_a * s + g1_b * r - pk.delta_g1 * (r * s) + l_acc + h_acc?;
    Ok(Proof { a: g_a.into_affine(), b: g2_b.into_affine(), c: g_c.into_affine() })
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
        let (r, s) = (Fr::rand(rng), Fr::rand(rng));
        self.prove_circuit_with(circuit, r, s, Backend::Zkreg)
    }

    /// Proves `circuit` with the blinding scalars `r` and `s` on `backend`.
    /// Both backends give the same proof for the same `r` and `s`; the
    /// arkworks one is kept as the reference that tests and `zkreg bench
    /// crypto` compare against. `r` and `s` must be uniformly random and
    /// secret for the proof to be zero-knowledge.
    pub fn prove_circuit_with(&self, circuit: PredicateCircuit, r: Fr, s: Fr, backend: Backend) -> Result<Proof<Bn254>, ProveError> {
        let full = self.witness(circuit)?;
        let shape = &self.shape;
        let (m, i, c) = (&shape.matrices, shape.num_inputs, shape.num_constraints);
        Ok(match (backend, self.reduction) {
            (Backend::Zkreg, _) => create_proof(&self.pk, r, s, i, &full, || self.quotient(&full))?,
            (Backend::Arkworks, QapReduction::Libsnark) => {
                Groth16::<Bn254>::create_proof_with_reduction_and_matrices(&self.pk, r, s, m, i, c, &full)?
            }
            (Backend::Arkworks, QapReduction::Circom) => {
                Groth16::<Bn254, CircomReduction>::create_proof_with_reduction_and_matrices(&self.pk, r, s, m, i, c, &full)?
            }
        })
    }

    /// The full assignment `(1, public inputs, witness)` of `circuit`, checked
    /// against the circuit's matrices.
    fn witness(&self, circuit: PredicateCircuit) -> Result<Vec<Fr>, ProveError> {
        let cs = ConstraintSystem::<Fr>::new_ref();
        cs.set_optimization_goal(OptimizationGoal::Constraints);
        cs.set_mode(SynthesisMode::Prove { construct_matrices: false, generate_lc_assignments: false });
        untraced(|| circuit.generate_constraints(cs.clone()))?;
        let full = {
            let inner = cs.borrow().ok_or_else(|| ProveError::Synthesis("constraint system in use".into()))?;
            [inner.instance_assignment()?, inner.witness_assignment()?].concat()
        };
        // `ConstraintSystem::is_satisfied` would cost more than a third of a
        // proof; evaluating the cached matrices costs a few milliseconds.
        if !satisfied(&self.shape.matrices, &full) {
            return Err(ProveError::Unsatisfied);
        }
        Ok(full)
    }

    /// The full assignment of `circuit` and the quotient `h` its proof
    /// multiplies with `h_query`: the inputs of the five MSMs, for
    /// benchmarks that run them alone.
    pub fn assignment_and_quotient(&self, circuit: PredicateCircuit) -> Result<(Vec<Fr>, Vec<Fr>), ProveError> {
        let full = self.witness(circuit)?;
        let h = self.quotient(&full)?;
        Ok((full, h))
    }

    /// The witness map: `h` from the full assignment, by the key's reduction.
    fn quotient(&self, full: &[Fr]) -> Result<Vec<Fr>, ProveError> {
        let shape = &self.shape;
        let (m, i, c) = (&shape.matrices, shape.num_inputs, shape.num_constraints);
        Ok(match self.reduction {
            QapReduction::Libsnark => LibsnarkReduction::witness_map_from_matrices::<Fr, GeneralEvaluationDomain<Fr>>(m, i, c, full)?,
            QapReduction::Circom => CircomReduction::witness_map_from_matrices::<Fr, GeneralEvaluationDomain<Fr>>(m, i, c, full)?,
        })
    }

    /// Each phase of one proof of `circuit`, run alone and timed: what
    /// `zkreg bench crypto` reports per phase. In [`Self::prove_circuit`]
    /// the witness map and the five MSMs run concurrently.
    pub fn profile(&self, circuit: PredicateCircuit) -> Result<ProvePhases, ProveError> {
        let (full, synthesis_ms) = timed(|| self.witness(circuit));
        let full = full?;
        let (h, witness_map_ms) = timed(|| self.quotient(&full));
        let h = h?;
        let pk = &self.pk;
        let assignment = &full[1..];
        Ok(ProvePhases {
            synthesis_ms,
            witness_map_ms,
            msm_h_ms: timed(|| msm::msm(&pk.h_query, &h)).1,
            msm_l_ms: timed(|| msm::msm(&pk.l_query, &full[self.shape.num_inputs..])).1,
            msm_a_ms: timed(|| msm::msm(&pk.a_query[1..], assignment)).1,
            msm_b_g1_ms: timed(|| msm::msm(&pk.b_g1_query[1..], assignment)).1,
            msm_b_g2_ms: timed(|| msm::msm(&pk.b_g2_query[1..], assignment)).1,
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
