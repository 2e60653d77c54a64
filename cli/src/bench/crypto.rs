//! `zkreg bench crypto`: medians of the cryptographic hot paths on this machine.

use std::path::Path;
use std::time::Instant;

use ark_bn254::Fr;
use ark_ff::UniformRand;
use ark_relations::gr1cs::{ConstraintSynthesizer, ConstraintSystem, SynthesisMode};
use ark_serialize::CanonicalSerialize;
use ed25519_dalek::SigningKey;
use rand::{RngCore, SeedableRng};
use rand_chacha::ChaCha20Rng;
use serde::Serialize;

use zkreg_circuits::field::{label, LabelDomain};
use zkreg_circuits::poseidon::hash4;
use zkreg_circuits::predicate::{PredicateCircuit, PublicInputs};
use zkreg_circuits::range_statement::{PedersenOpening, RangeStatement};
use zkreg_circuits::tree::{CommitmentTree, MerklePath};
use zkreg_prover::{Backend, CredentialOpening, PredicateProver, ProofStatement, ProvePhases, Wallet};
use zkreg_verifier::groth16::PredicateVerifier;

/// The crypto benchmark's results (all times are medians).
#[derive(Debug, Serialize)]
pub struct CryptoReport {
    /// Constraints of the predicate circuit.
    pub constraints: usize,
    /// Trusted-setup time.
    pub setup_ms: f64,
    /// Compressed proving-key size.
    pub pk_bytes: usize,
    /// Compressed verifying-key size.
    pub vk_bytes: usize,
    /// Groth16 proof generation (witness synthesis included), zkreg's prover.
    pub prove_ms: f64,
    /// The same proofs with arkworks' default prover (same keys, same
    /// statement, samples interleaved with `prove_ms`'s in this run).
    pub prove_ms_arkworks: f64,
    /// `prove_ms_arkworks / prove_ms`.
    pub prove_speedup_vs_arkworks: f64,
    /// Each phase of a proof run alone (medians): synthesis, the witness
    /// map's FFTs, each of the five MSMs, with zkreg's MSM.
    pub prove_phases: ProvePhases,
    /// The five MSMs run alone with arkworks' MSM (medians), same inputs.
    pub prove_phases_arkworks: MsmPhases,
    /// CPU time over wall time times cores while zkreg's prover proved
    /// (1.0: every core busy throughout), if `/proc/self/stat` is readable.
    pub prove_core_use: Option<f64>,
    /// The same for arkworks' prover.
    pub prove_core_use_arkworks: Option<f64>,
    /// Single Groth16 verification with a prepared key.
    pub verify_ms: f64,
    /// Per-proof time of a 64-proof batch verification.
    pub batch64_per_proof_ms: f64,
    /// `verify_ms / batch64_per_proof_ms`, measured in this run.
    pub batch_speedup: f64,
    /// Bulletproofs aggregated range proof (m = 2, n = 64) with holder signature.
    pub bp_prove_ms: f64,
    /// Bulletproofs verification with signature check.
    pub bp_verify_ms: f64,
    /// One native Poseidon of 4 inputs (a tree node).
    pub poseidon_ns: f64,
    /// Tree insert per leaf, batch of 10,000 leaves.
    pub tree_insert_us: f64,
    /// Peak resident memory of a process that loads the proving key and proves once (MiB), if measured.
    pub prove_peak_rss_mib: Option<f64>,
    /// Samples per Groth16 proving median.
    pub prove_samples: usize,
    /// With `--ceremony`: proving with the one-party key and with a key from
    /// a phase-2 ceremony (`zkreg ceremony`), samples interleaved in this run.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ceremony: Option<CeremonyComparison>,
}

/// The five MSMs of one proof run alone (milliseconds).
#[derive(Debug, Default, Serialize)]
pub struct MsmPhases {
    /// Over `h_query` (G1).
    pub msm_h_ms: f64,
    /// Over `l_query` (G1).
    pub msm_l_ms: f64,
    /// Over `a_query` (G1).
    pub msm_a_ms: f64,
    /// Over `b_g1_query` (G1).
    pub msm_b_g1_ms: f64,
    /// Over `b_g2_query` (G2).
    pub msm_b_g2_ms: f64,
}

/// Proving with a ceremony key against the one-party key, same run, same statement.
#[derive(Debug, Serialize)]
pub struct CeremonyComparison {
    /// Median proving time with the one-party key (libsnark reduction).
    pub prove_ms_one_party: f64,
    /// Median proving time with the ceremony key (circom reduction).
    pub prove_ms_ceremony: f64,
    /// `prove_ms_ceremony / prove_ms_one_party`.
    pub ceremony_vs_one_party: f64,
}

/// The median: the middle sample, or the mean of the two middle ones.
pub(crate) fn median(mut xs: Vec<f64>) -> f64 {
    xs.sort_by(|a, b| a.total_cmp(b));
    let n = xs.len();
    if n % 2 == 1 { xs[n / 2] } else { (xs[n / 2 - 1] + xs[n / 2]) / 2.0 }
}

pub(crate) fn time_ms<T>(f: impl FnOnce() -> T) -> (T, f64) {
    let t = Instant::now();
    let out = f();
    (out, t.elapsed().as_secs_f64() * 1e3)
}

fn samples_ms(n: usize, mut f: impl FnMut()) -> f64 {
    median((0..n).map(|_| time_ms(&mut f).1).collect())
}

/// A credential in a small tree, ready to prove.
pub struct ProvingFixture {
    /// The holder.
    pub wallet: Wallet,
    /// The credential.
    pub opening: CredentialOpening,
    /// Its path.
    pub path: MerklePath,
    /// The root.
    pub root: Fr,
    /// A statement the credential satisfies.
    pub statement: ProofStatement,
}

impl ProvingFixture {
    /// A credit-score credential of 720 among a few other leaves.
    pub fn new(rng: &mut ChaCha20Rng) -> Self {
        let wallet = Wallet::generate(rng);
        let mut opening = CredentialOpening::issue("credit-score", "central-bank", wallet.holder_id(), 720, 30_000, rng);
        let mut tree = CommitmentTree::new();
        let noise: Vec<Fr> = (0..1_000).map(|_| Fr::rand(rng)).collect();
        tree.append_batch(&noise).unwrap_or_else(|e| unreachable!("small tree: {e}"));
        let index = tree.append_batch(&[opening.commitment]).unwrap_or_else(|e| unreachable!("small tree: {e}"));
        opening.leaf_index = Some(index);
        let statement = ProofStatement {
            lo: 700,
            hi: u64::MAX,
            today: 20_400,
            scope: label(LabelDomain::Scope, "bench/scope"),
            challenge: label(LabelDomain::Challenge, &"11".repeat(32)),
        };
        let path = tree.path(index).unwrap_or_else(|e| unreachable!("leaf exists: {e}"));
        ProvingFixture { wallet, opening, path, root: tree.root(), statement }
    }

    /// The circuit of one proof with `challenge` as the challenge.
    pub fn circuit(&self, challenge: Fr) -> PredicateCircuit {
        let statement = ProofStatement { challenge, ..self.statement };
        PredicateProver::circuit_for(&self.wallet, &self.opening, &self.path, self.root, &statement)
            .unwrap_or_else(|e| panic!("the fixture satisfies its statement: {e}"))
    }

    /// One proof with `challenge` as the challenge.
    pub fn prove(&self, prover: &PredicateProver, challenge: Fr, rng: &mut ChaCha20Rng) -> (ark_groth16::Proof<ark_bn254::Bn254>, PublicInputs) {
        let statement = ProofStatement { challenge, ..self.statement };
        prover
            .prove(&self.wallet, &self.opening, &self.path, self.root, &statement, rng)
            .unwrap_or_else(|e| panic!("the fixture satisfies its statement: {e}"))
    }
}

/// Number of constraints of the predicate circuit.
pub fn constraint_count() -> usize {
    let cs = ConstraintSystem::<Fr>::new_ref();
    cs.set_mode(SynthesisMode::Setup);
    PredicateCircuit::blank()
        .generate_constraints(cs.clone())
        .unwrap_or_else(|e| unreachable!("the blank circuit synthesises: {e}"));
    cs.num_constraints()
}

/// Runs the benchmark. `quick` takes fewer samples. `self_exe`, if given, is
/// re-run as `bench prove-once` to measure a prove's peak memory in isolation.
pub fn crypto(quick: bool, with_ceremony: bool, self_exe: Option<&Path>, progress: impl Fn(&str)) -> anyhow::Result<CryptoReport> {
    let mut rng = ChaCha20Rng::seed_from_u64(0xbe4c);
    let (prove_n, verify_n, batch_n, bp_n) = if quick { (5, 21, 3, 11) } else { (15, 101, 9, 31) };

    progress("constraints");
    let constraints = constraint_count();

    progress("setup");
    let mut setups = Vec::new();
    let mut keys = None;
    for _ in 0..if quick { 1 } else { 3 } {
        let (k, ms) = time_ms(|| zkreg_prover::setup(&mut rng));
        keys = Some(k?);
        setups.push(ms);
    }
    let (pk, vk) = keys.ok_or_else(|| anyhow::anyhow!("no setup ran"))?;
    let setup_ms = median(setups);
    let (pk_bytes, vk_bytes) = (pk.compressed_size(), vk.compressed_size());
    let prover = PredicateProver::new(pk)?;
    let verifier = PredicateVerifier::new(vk)?;

    progress("prove, zkreg's prover and arkworks', interleaved");
    let fixture = ProvingFixture::new(&mut rng);
    let challenge = fixture.statement.challenge;
    let (mut ours, mut theirs) = (Vec::new(), Vec::new());
    let (mut ours_cpu, mut theirs_cpu) = (Some(0.0), Some(0.0));
    for _ in 0..prove_n {
        let before = super::api::cpu_seconds();
        ours.push(time_ms(|| fixture.prove(&prover, challenge, &mut rng)).1);
        let between = super::api::cpu_seconds();
        let (r, s) = (Fr::rand(&mut rng), Fr::rand(&mut rng));
        theirs.push(
            time_ms(|| {
                let circuit = fixture.circuit(challenge);
                prover.prove_circuit_with(circuit, r, s, Backend::Arkworks).unwrap_or_else(|e| panic!("the fixture proves: {e}"))
            })
            .1,
        );
        let after = super::api::cpu_seconds();
        ours_cpu = ours_cpu.zip(between.zip(before)).map(|(sum, (b, a))| sum + (b - a) * 1e3);
        theirs_cpu = theirs_cpu.zip(after.zip(between)).map(|(sum, (b, a))| sum + (b - a) * 1e3);
    }
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get()) as f64;
    let core_use = |cpu: Option<f64>, wall: &[f64]| cpu.map(|cpu| cpu / (wall.iter().sum::<f64>() * cores));
    let (prove_core_use, prove_core_use_arkworks) = (core_use(ours_cpu, &ours), core_use(theirs_cpu, &theirs));
    let (prove_ms, prove_ms_arkworks) = (median(ours), median(theirs));

    progress("prove, each phase alone");
    let (prove_phases, prove_phases_arkworks) = phases(&prover, &fixture, prove_n)?;

    let ceremony = if with_ceremony {
        progress("ceremony key (dev phase 1, init, one contribution; a minute or more)");
        let (ceremony_pk, _) = zkreg_verifier::ceremony::dev_ceremony_keys(&mut rng)?;
        let ceremony_prover = PredicateProver::new(ceremony_pk)?;
        progress("prove with both keys, interleaved");
        let (mut one_party, mut from_ceremony) = (Vec::new(), Vec::new());
        for _ in 0..prove_n {
            one_party.push(time_ms(|| fixture.prove(&prover, challenge, &mut rng)).1);
            from_ceremony.push(time_ms(|| fixture.prove(&ceremony_prover, challenge, &mut rng)).1);
        }
        let (prove_ms_one_party, prove_ms_ceremony) = (median(one_party), median(from_ceremony));
        Some(CeremonyComparison { prove_ms_one_party, prove_ms_ceremony, ceremony_vs_one_party: prove_ms_ceremony / prove_ms_one_party })
    } else {
        None
    };

    progress("verify");
    let proofs: Vec<_> = (0..64u64).map(|i| fixture.prove(&prover, Fr::from(i), &mut rng)).collect();
    let (proof, public) = &proofs[0];
    let verify_ms = samples_ms(verify_n, || {
        verifier.verify(proof, public).unwrap_or_else(|e| panic!("valid proof: {e}"));
    });

    progress("batch verify");
    let batch_ms = samples_ms(batch_n, || {
        verifier.verify_batch(&proofs, &mut rand::rngs::OsRng).unwrap_or_else(|e| panic!("valid batch: {e}"));
    });
    let batch64_per_proof_ms = batch_ms / 64.0;

    progress("bulletproofs");
    let holder = SigningKey::from_bytes(&{
        let mut s = [0u8; 32];
        rng.fill_bytes(&mut s);
        s
    });
    let opening = PedersenOpening::random(720, &mut rng);
    let statement = RangeStatement {
        challenge,
        scope: fixture.statement.scope,
        schema: "credit-score".into(),
        issuer: "central-bank".into(),
        lo: 700,
        hi: u64::MAX,
        today: 20_400,
        commitment: opening.commit(),
        holder_key: holder.verifying_key().to_bytes(),
        expiry: 30_000,
    };
    let mut bundle = None;
    let bp_prove_ms = samples_ms(bp_n, || {
        bundle = Some(zkreg_prover::range::prove_range(&opening, &statement, &holder, &mut rng).unwrap_or_else(|e| panic!("in range: {e}")));
    });
    let bundle = bundle.ok_or_else(|| anyhow::anyhow!("no range proof"))?;
    let bp_verify_ms = samples_ms(bp_n, || {
        zkreg_verifier::range::verify_range(&statement, &bundle).unwrap_or_else(|e| panic!("valid range proof: {e}"));
    });

    progress("poseidon");
    let children = [Fr::from(1u64), Fr::from(2u64), Fr::from(3u64), Fr::from(4u64)];
    let poseidon_ns = median(
        (0..if quick { 5 } else { 15 })
            .map(|_| {
                let (_, ms) = time_ms(|| {
                    let mut acc = children;
                    for _ in 0..1_000 {
                        acc[0] = hash4(&acc);
                    }
                    std::hint::black_box(acc);
                });
                ms * 1e6 / 1_000.0
            })
            .collect(),
    );

    progress("tree insert");
    let leaves: Vec<Fr> = (0..10_000).map(|_| Fr::rand(&mut rng)).collect();
    let tree_insert_us = median(
        (0..if quick { 3 } else { 7 })
            .map(|_| {
                let mut tree = CommitmentTree::new();
                let (_, ms) = time_ms(|| tree.append_batch(&leaves));
                ms * 1e3 / leaves.len() as f64
            })
            .collect(),
    );

    let prove_peak_rss_mib = match self_exe {
        Some(exe) => {
            progress("prove peak memory");
            let dir = tempfile::tempdir()?;
            zkreg_prover::keys::write_keys(dir.path(), prover.proving_key())?;
            let out = std::process::Command::new(exe)
                .args(["bench", "prove-once", "--keys"])
                .arg(dir.path())
                .output()?;
            String::from_utf8_lossy(&out.stdout)
                .lines()
                .find_map(|l| l.strip_prefix("peak_rss_kib=").and_then(|v| v.trim().parse::<f64>().ok()))
                .map(|kib| kib / 1024.0)
        }
        None => None,
    };

    Ok(CryptoReport {
        constraints,
        setup_ms,
        pk_bytes,
        vk_bytes,
        prove_ms,
        prove_ms_arkworks,
        prove_speedup_vs_arkworks: prove_ms_arkworks / prove_ms,
        prove_phases,
        prove_phases_arkworks,
        prove_core_use,
        prove_core_use_arkworks,
        verify_ms,
        batch64_per_proof_ms,
        batch_speedup: verify_ms / batch64_per_proof_ms,
        bp_prove_ms,
        bp_verify_ms,
        poseidon_ns,
        tree_insert_us,
        prove_peak_rss_mib,
        prove_samples: prove_n,
        ceremony,
    })
}

/// Medians over `n` runs of each phase of a proof run alone, with zkreg's
/// MSM ([`PredicateProver::profile`]) and with arkworks' on the same inputs.
fn phases(prover: &PredicateProver, fixture: &ProvingFixture, n: usize) -> anyhow::Result<(ProvePhases, MsmPhases)> {
    use ark_bn254::{G1Projective, G2Projective};
    use ark_ec::VariableBaseMSM;
    let mut runs = Vec::new();
    for _ in 0..n {
        runs.push(prover.profile(fixture.circuit(fixture.statement.challenge))?);
    }
    let med = |f: fn(&ProvePhases) -> f64| median(runs.iter().map(f).collect());
    let ours = ProvePhases {
        synthesis_ms: med(|p| p.synthesis_ms),
        witness_map_ms: med(|p| p.witness_map_ms),
        msm_h_ms: med(|p| p.msm_h_ms),
        msm_l_ms: med(|p| p.msm_l_ms),
        msm_a_ms: med(|p| p.msm_a_ms),
        msm_b_g1_ms: med(|p| p.msm_b_g1_ms),
        msm_b_g2_ms: med(|p| p.msm_b_g2_ms),
    };
    let (full, h) = prover.assignment_and_quotient(fixture.circuit(fixture.statement.challenge))?;
    let pk = prover.proving_key();
    let i = pk.vk.gamma_abc_g1.len();
    let g1 = |bases: &[ark_bn254::G1Affine], scalars: &[Fr]| {
        let n = bases.len().min(scalars.len());
        samples_ms(runs.len(), || {
            std::hint::black_box(G1Projective::msm(&bases[..n], &scalars[..n]).ok());
        })
    };
    let theirs = MsmPhases {
        msm_h_ms: g1(&pk.h_query, &h),
        msm_l_ms: g1(&pk.l_query, &full[i..]),
        msm_a_ms: g1(&pk.a_query[1..], &full[1..]),
        msm_b_g1_ms: g1(&pk.b_g1_query[1..], &full[1..]),
        msm_b_g2_ms: samples_ms(runs.len(), || {
            std::hint::black_box(G2Projective::msm(&pk.b_g2_query[1..], &full[1..]).ok());
        }),
    };
    Ok((ours, theirs))
}

/// Loads the proving key from `dir`, proves once and prints this process's
/// peak resident memory (`VmHWM`), as a phone would see it.
pub fn prove_once(dir: &Path) -> anyhow::Result<()> {
    let pk = zkreg_prover::keys::load_proving_key(&dir.join(zkreg_prover::keys::PROVING_KEY_FILE))?;
    let prover = PredicateProver::new(pk)?;
    let mut rng = ChaCha20Rng::seed_from_u64(1);
    let fixture = ProvingFixture::new(&mut rng);
    fixture.prove(&prover, fixture.statement.challenge, &mut rng);
    let status = std::fs::read_to_string("/proc/self/status")?;
    let hwm = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .ok_or_else(|| anyhow::anyhow!("no VmHWM in /proc/self/status"))?;
    println!("peak_rss_kib={}", hwm.trim().trim_end_matches("kB").trim());
    Ok(())
}

/// The human-readable table.
pub fn table(r: &CryptoReport) -> String {
    let rows: Vec<(&str, String, &str)> = vec![
        ("predicate circuit constraints", r.constraints.to_string(), "<= 6,500"),
        ("trusted setup", format!("{:.0} ms", r.setup_ms), ""),
        ("proving key (compressed)", format!("{:.2} MiB", r.pk_bytes as f64 / 1048576.0), ""),
        ("verifying key (compressed)", format!("{} B", r.vk_bytes), ""),
        ("Groth16 prove (median)", format!("{:.1} ms", r.prove_ms), "<= 200 ms"),
        ("Groth16 prove, arkworks' prover (median)", format!("{:.1} ms", r.prove_ms_arkworks), ""),
        ("prove speed-up vs arkworks", format!("{:.2}x", r.prove_speedup_vs_arkworks), ">= 1.5x"),
        (
            "cores busy while proving: zkreg / arkworks",
            match (r.prove_core_use, r.prove_core_use_arkworks) {
                (Some(a), Some(b)) => format!("{:.0} / {:.0} %", a * 100.0, b * 100.0),
                _ => "not measured".into(),
            },
            "",
        ),
        ("  synthesis + check (alone)", format!("{:.1} ms", r.prove_phases.synthesis_ms), ""),
        ("  witness map, FFTs (alone)", format!("{:.1} ms", r.prove_phases.witness_map_ms), ""),
        ("  MSM h, G1: zkreg / arkworks", format!("{:.1} / {:.1} ms", r.prove_phases.msm_h_ms, r.prove_phases_arkworks.msm_h_ms), ""),
        ("  MSM l, G1: zkreg / arkworks", format!("{:.1} / {:.1} ms", r.prove_phases.msm_l_ms, r.prove_phases_arkworks.msm_l_ms), ""),
        ("  MSM a, G1: zkreg / arkworks", format!("{:.1} / {:.1} ms", r.prove_phases.msm_a_ms, r.prove_phases_arkworks.msm_a_ms), ""),
        ("  MSM b, G1: zkreg / arkworks", format!("{:.1} / {:.1} ms", r.prove_phases.msm_b_g1_ms, r.prove_phases_arkworks.msm_b_g1_ms), ""),
        ("  MSM b, G2: zkreg / arkworks", format!("{:.1} / {:.1} ms", r.prove_phases.msm_b_g2_ms, r.prove_phases_arkworks.msm_b_g2_ms), ""),
        ("Groth16 verify (median, prepared key)", format!("{:.3} ms", r.verify_ms), "<= 1.2 ms"),
        ("batch of 64, per proof (median)", format!("{:.3} ms", r.batch64_per_proof_ms), ""),
        ("batch speed-up vs single", format!("{:.2}x", r.batch_speedup), ">= 3x"),
        ("Bulletproofs prove m=2 n=64 (median)", format!("{:.2} ms", r.bp_prove_ms), "<= 16 ms"),
        ("Bulletproofs verify (median)", format!("{:.2} ms", r.bp_verify_ms), "<= 2 ms"),
        ("Poseidon, 4 inputs (median)", format!("{:.0} ns", r.poseidon_ns), ""),
        ("tree insert per leaf, batch 10,000", format!("{:.2} us", r.tree_insert_us), ""),
        (
            "prove peak memory (own process)",
            r.prove_peak_rss_mib.map(|m| format!("{m:.1} MiB")).unwrap_or_else(|| "not measured".into()),
            "< 100 MB",
        ),
    ];
    let mut rows = rows;
    if let Some(c) = &r.ceremony {
        rows.push(("prove, one-party key (interleaved)", format!("{:.1} ms", c.prove_ms_one_party), ""));
        rows.push(("prove, ceremony key (interleaved)", format!("{:.1} ms", c.prove_ms_ceremony), ""));
        rows.push(("ceremony / one-party", format!("{:.2}x", c.ceremony_vs_one_party), "~1.00x"));
    }
    super::table((40, 14), rows)
}
