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
use zkreg_prover::{CredentialOpening, PredicateProver, ProofStatement, Wallet};
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
    /// Groth16 proof generation (witness synthesis included).
    pub prove_ms: f64,
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
fn median(mut xs: Vec<f64>) -> f64 {
    xs.sort_by(|a, b| a.total_cmp(b));
    let n = xs.len();
    if n % 2 == 1 { xs[n / 2] } else { (xs[n / 2 - 1] + xs[n / 2]) / 2.0 }
}

fn time_ms<T>(f: impl FnOnce() -> T) -> (T, f64) {
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

    progress("prove");
    let fixture = ProvingFixture::new(&mut rng);
    let challenge = fixture.statement.challenge;
    let prove_ms = samples_ms(prove_n, || {
        fixture.prove(&prover, challenge, &mut rng);
    });

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
