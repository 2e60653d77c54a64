//! `zkreg bench api`: presentations verified per second over HTTP (32
//! concurrent clients against a node on loopback), through the batch
//! endpoint, and in-process over the same presentations and the same ledger
//! view, all in one run.
//!
//! Every presentation answers one single-use challenge, so the presentations
//! are proved before any clock starts: one set for the single endpoint, one
//! for the batch endpoint. The in-process passes verify both sets against a
//! fresh challenge book each pass and the node's own [`NodeLedgerView`], so
//! they do the same cryptographic work as the node, minus HTTP, JSON,
//! request signatures and the node's request lookup.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

use anyhow::Context;
use ark_serialize::CanonicalSerialize;
use ed25519_dalek::SigningKey;
use rand::SeedableRng;
use rand_chacha::ChaCha20Rng;
use rayon::prelude::*;
use serde::Serialize;
use serde_json::{json, Value};

use zkreg_api::client::{sign_now, BucketPaths, Client};
use zkreg_api::{NodeConfig, NodeThread};
use zkreg_circuits::constants::PREDICATE_CIRCUIT_ID;
use zkreg_circuits::field::fr_to_bytes;
use zkreg_prover::{build_presentation, CredentialOpening, HeldCredential, PredicateProver, Wallet};
use zkreg_registry::TxBody;
use zkreg_verifier::{verify_presentation, Backend, MemoryChallengeBook, Operator, PredicateSpec, Presentation, ProofRequest};

use super::upper_median;
use crate::commands::today;

/// Concurrent HTTP clients for the single-presentation endpoint.
pub const CONCURRENCY: usize = 32;
/// Presentations per call of the batch endpoint.
pub const BATCH_SIZE: usize = 32;
/// Concurrent HTTP clients for the batch endpoint (one per node worker).
pub const BATCH_CONCURRENCY: usize = 2;
/// In-process passes per thread count, before the HTTP runs and again after
/// them (the median of all is reported), so load from other processes
/// during the run weighs on both sides of the ratio alike.
const INPROCESS_PASSES: usize = 3;

/// The API benchmark's results.
#[derive(Debug, Serialize)]
pub struct ApiReport {
    /// Presentations per HTTP set (single endpoint; the batch set is as large).
    pub presentations: usize,
    /// Seconds spent proving both sets (excluded from every rate).
    pub generation_s: f64,
    /// Concurrent clients on the single endpoint.
    pub concurrency: usize,
    /// Presentations verified per second through `POST /v1/presentations/verify`.
    pub verify_rps: f64,
    /// Median latency of one verify call.
    pub verify_median_ms: f64,
    /// 99th-percentile latency of one verify call.
    pub verify_p99_ms: f64,
    /// In-process rate on one thread (median of the passes).
    pub inprocess_1t_rps: f64,
    /// In-process rate on two threads (median of the passes).
    pub inprocess_2t_rps: f64,
    /// The better of the two in-process rates.
    pub inprocess_verify_rps: f64,
    /// Threads of the better in-process rate.
    pub inprocess_threads: usize,
    /// `verify_rps / inprocess_verify_rps` (target >= 0.7).
    pub api_efficiency: f64,
    /// Presentations per batch call.
    pub batch_size: usize,
    /// Concurrent clients on the batch endpoint.
    pub batch_concurrency: usize,
    /// Presentations verified per second through `POST /v1/presentations/verify-batch`.
    pub batch_verify_rps: f64,
    /// `batch_verify_rps / inprocess_1t_rps` (target > 1).
    pub batch_vs_inprocess_1t: f64,
    /// The machine's 1-minute load average when measuring began, and when it
    /// ended (Linux only): above the core count, other processes shared the CPU.
    pub load_average: Option<(f64, f64)>,
    /// Process CPU per presentation verified in-process, 1 thread (Linux only).
    pub inprocess_cpu_ms: Option<f64>,
    /// Process CPU per presentation over HTTP: node and all 32 clients
    /// together (so the clients' share counts against the API).
    pub verify_cpu_ms: Option<f64>,
    /// Process CPU per presentation through the batch endpoint, clients included.
    pub batch_cpu_ms: Option<f64>,
    /// `inprocess_cpu_ms / verify_cpu_ms`: the efficiency in CPU rather
    /// than wall time, which other processes' load does not skew.
    pub api_cpu_efficiency: Option<f64>,
}

/// CPU seconds used so far by this process, all threads (Linux, 100 Hz ticks).
pub(crate) fn cpu_seconds() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    let ticks: u64 = fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?;
    Some(ticks as f64 / 100.0)
}

/// Milliseconds of CPU per item between two [`cpu_seconds`] readings.
fn cpu_ms_per(before: Option<f64>, after: Option<f64>, items: usize) -> Option<f64> {
    Some((after? - before?) * 1e3 / items as f64)
}

/// The 1-minute load average (Linux).
fn load_average() -> Option<f64> {
    std::fs::read_to_string("/proc/loadavg").ok()?.split_whitespace().next()?.parse().ok()
}

/// The `q`-quantile (nearest rank) of `xs`, which must not be empty.
fn quantile(mut xs: Vec<f64>, q: f64) -> f64 {
    xs.sort_by(|a, b| a.total_cmp(b));
    let rank = ((q * xs.len() as f64).ceil() as usize).clamp(1, xs.len());
    xs[rank - 1]
}

/// Runs the benchmark with `n` presentations per HTTP set (rounded up to a
/// whole number of batches).
pub fn api(n: usize, progress: impl Fn(&str)) -> anyhow::Result<ApiReport> {
    let n = n.max(BATCH_SIZE).div_ceil(BATCH_SIZE) * BATCH_SIZE;
    let authority = SigningKey::from_bytes(&[1; 32]);
    let regulator = SigningKey::from_bytes(&[2; 32]);
    let bank = SigningKey::from_bytes(&[7; 32]);
    let genesis = super::ledger::bench_genesis(&authority, &regulator);
    let dir = tempfile::tempdir()?;
    let mut config = NodeConfig::new(dir.path().join("data"), Some(genesis.clone()));
    config.block_interval = Duration::from_millis(10);
    config.max_body_bytes = 4 * 1024 * 1024;
    // One bank makes every call: the benchmark measures the node, not its per-verifier rate limit.
    config.verifier_rate_per_s = u32::MAX;
    config.verifier_burst = u32::MAX;
    let node = NodeThread::spawn(config, std::net::TcpListener::bind("127.0.0.1:0")?)?;
    let result = run(&node, &genesis.chain_id, &authority, &regulator, &bank, n, &progress);
    progress("stopping the node");
    drop(node);
    result
}

fn run(
    node: &NodeThread,
    chain_id: &str,
    authority: &SigningKey,
    regulator: &SigningKey,
    bank: &SigningKey,
    n: usize,
    progress: &impl Fn(&str),
) -> anyhow::Result<ApiReport> {
    let mut rng = ChaCha20Rng::seed_from_u64(11);
    progress("trusted setup");
    let (pk, vk) = zkreg_prover::setup(&mut rng)?;
    let prover = PredicateProver::new(pk)?;
    let client = Client::new(&node.url);
    let mut key_bytes = Vec::new();
    vk.serialize_compressed(&mut key_bytes)?;
    let fingerprint = zkreg_circuits::fingerprint::fingerprint(&vk);
    client.submit(chain_id, authority, TxBody::RegisterVerifyingKey { circuit_id: PREDICATE_CIRCUIT_ID.into(), fingerprint, key: key_bytes })?;
    client.submit(chain_id, authority, TxBody::RegisterVerifier { name: "bank-a".into(), key: bank.verifying_key().to_bytes() })?;

    progress("issuing a credential");
    let wallet = Wallet::generate(&mut rng);
    let mut opening = CredentialOpening::issue("credit-score", "central-bank", wallet.holder_id(), 720, today() + 30, &mut rng);
    let receipt = client.submit(chain_id, regulator, TxBody::IssueCredential { schema: "credit-score".into(), inner: fr_to_bytes(&opening.inner(wallet.holder_id())) })?;
    opening.leaf_index = receipt.leaf_index;
    let held = [HeldCredential::Groth16(opening)];

    progress(&format!("requesting and proving 2 x {n} presentations (not measured)"));
    let spec = PredicateSpec {
        schema: "credit-score".into(),
        operator: Operator::AtLeast { value: 700 },
        allowed_issuers: vec!["central-bank".into()],
        backend: Backend::Groth16,
    };
    let body = json!({"verifier": "bank-a", "scope": "bank-a/loans", "predicates": [spec], "ttl_seconds": 3600});
    let requests: Vec<ProofRequest> =
        (0..2 * n).map(|_| Ok(serde_json::from_value(client.post("/v1/requests", &body, Some(bank))?)?)).collect::<anyhow::Result<_>>()?;
    let paths = BucketPaths { client: &client, levels: 2 };
    let started = Instant::now();
    // One plain thread per core, each proving its share in turn. (Not a
    // rayon `par_iter`: proving uses rayon inside, and a rayon worker waiting
    // in one proof may start another on the same stack, which overflows it
    // after enough proofs.)
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get());
    let prove = |i: usize| -> anyhow::Result<Presentation> {
        let mut rng = ChaCha20Rng::seed_from_u64(1_000 + i as u64);
        Ok(build_presentation(&prover, &wallet, &requests[i], &held, &paths, today(), &mut rng)?)
    };
    let (prove, count) = (&prove, requests.len());
    let shares: Vec<anyhow::Result<Vec<(usize, Presentation)>>> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|t| s.spawn(move || (t..count).step_by(threads).map(|i| Ok((i, prove(i)?))).collect()))
            .collect();
        handles.into_iter().map(|h| h.join().unwrap_or_else(|_| Err(anyhow::anyhow!("a proving thread panicked")))).collect()
    });
    let mut numbered = Vec::with_capacity(requests.len());
    for share in shares {
        numbered.extend(share?);
    }
    numbered.sort_by_key(|(i, _)| *i);
    let presentations: Vec<Presentation> = numbered.into_iter().map(|(_, p)| p).collect();
    let generation_s = started.elapsed().as_secs_f64();

    let load_before = load_average();
    progress("in-process verification, 1 and 2 threads (first half)");
    let cpu_1t = cpu_seconds();
    let mut rates_1t = inprocess(node, &requests, &presentations, 1)?;
    let inprocess_cpu_ms = cpu_ms_per(cpu_1t, cpu_seconds(), rates_1t.len() * presentations.len());
    let mut rates_2t = inprocess(node, &requests, &presentations, 2)?;

    let (single, batched) = presentations.split_at(n);
    progress(&format!("HTTP verify, {CONCURRENCY} clients"));
    let cpu = cpu_seconds();
    let (verify_rps, latencies) = http_single(&node.url, bank, single)?;
    let verify_cpu_ms = cpu_ms_per(cpu, cpu_seconds(), single.len());
    progress(&format!("HTTP verify-batch, batches of {BATCH_SIZE}, {BATCH_CONCURRENCY} clients"));
    let cpu = cpu_seconds();
    let batch_verify_rps = http_batch(&node.url, bank, batched)?;
    let batch_cpu_ms = cpu_ms_per(cpu, cpu_seconds(), batched.len());
    progress("in-process verification, 1 and 2 threads (second half)");
    rates_2t.extend(inprocess(node, &requests, &presentations, 2)?);
    rates_1t.extend(inprocess(node, &requests, &presentations, 1)?);
    let load_average = load_before.zip(load_average());
    let (inprocess_1t_rps, inprocess_2t_rps) = (upper_median(rates_1t), upper_median(rates_2t));
    let (inprocess_verify_rps, inprocess_threads) =
        if inprocess_2t_rps > inprocess_1t_rps { (inprocess_2t_rps, 2) } else { (inprocess_1t_rps, 1) };

    Ok(ApiReport {
        presentations: n,
        generation_s,
        concurrency: CONCURRENCY,
        verify_rps,
        verify_median_ms: upper_median(latencies.clone()),
        verify_p99_ms: quantile(latencies, 0.99),
        inprocess_1t_rps,
        inprocess_2t_rps,
        inprocess_verify_rps,
        inprocess_threads,
        api_efficiency: verify_rps / inprocess_verify_rps,
        batch_size: BATCH_SIZE,
        batch_concurrency: BATCH_CONCURRENCY,
        batch_verify_rps,
        batch_vs_inprocess_1t: batch_verify_rps / inprocess_1t_rps,
        load_average,
        inprocess_cpu_ms,
        verify_cpu_ms,
        batch_cpu_ms,
        api_cpu_efficiency: inprocess_cpu_ms.zip(verify_cpu_ms).map(|(a, b)| a / b),
    })
}

/// Rates of [`INPROCESS_PASSES`] passes of `verify_presentation` over
/// every presentation on `threads` threads, each pass with a fresh challenge
/// book and the node's current ledger view.
///
/// The only place the benchmark reaches into the node's state (its ledger
/// view, store, verifier and configuration) rather than its HTTP API.
fn inprocess(node: &NodeThread, requests: &[ProofRequest], presentations: &[Presentation], threads: usize) -> anyhow::Result<Vec<f64>> {
    let node = node.node();
    let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build()?;
    let view = node.view();
    let verifier = node.predicate_verifier(&view)?;
    let ledger = node.ledger_view(&view);
    let clock = node.clock();
    let mut rates = Vec::new();
    for _ in 0..INPROCESS_PASSES {
        let book = MemoryChallengeBook::default();
        for r in requests {
            book.issue(&r.challenge);
        }
        let started = Instant::now();
        pool.install(|| {
            requests.par_iter().zip(presentations).with_min_len(8).try_for_each(|(request, presentation)| {
                verify_presentation(&verifier, request, presentation, &ledger, &book, clock, &mut rand::rngs::OsRng).map(drop)
            })
        })?;
        rates.push(presentations.len() as f64 / started.elapsed().as_secs_f64());
    }
    Ok(rates)
}

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder().http_status_as_error(false).build().into()
}

/// Signs and posts `body` to `path`; the answer's status and JSON.
fn post_signed(agent: &ureq::Agent, url: &str, path: &str, bank: &SigningKey, body: &str) -> anyhow::Result<(u16, Value)> {
    let mut req = agent.post(&format!("{url}{path}")).header("content-type", "application/json");
    for (name, value) in sign_now(bank, "POST", path, body.as_bytes()) {
        req = req.header(name, value);
    }
    let mut answer = req.send(body)?;
    Ok((answer.status().as_u16(), answer.body_mut().read_json().unwrap_or(Value::Null)))
}

/// Runs `work(client, agent)` on `clients` threads, each with its own agent
/// (connected by a health check before the clock starts); returns the
/// seconds from the first client's start to the last client's end, and the results.
fn load<T: Send>(
    url: &str,
    clients: usize,
    work: impl Fn(&ureq::Agent) -> anyhow::Result<Vec<T>> + Sync,
) -> anyhow::Result<(f64, Vec<T>)> {
    let ready = Barrier::new(clients);
    std::thread::scope(|scope| {
        let handles: Vec<_> = (0..clients)
            .map(|_| {
                let (ready, work) = (&ready, &work);
                scope.spawn(move || {
                    let agent = agent();
                    let warm = agent.get(&format!("{url}/healthz")).call().map(drop);
                    ready.wait();
                    // Each client times itself: the main thread may be
                    // scheduled long after the clients started.
                    let started = Instant::now();
                    warm?;
                    let out = work(&agent)?;
                    Ok::<_, anyhow::Error>((started, Instant::now(), out))
                })
            })
            .collect();
        let mut out = Vec::new();
        let (mut first, mut last) = (None::<Instant>, None::<Instant>);
        for h in handles {
            let (started, finished, items) = h.join().map_err(|_| anyhow::anyhow!("a client thread panicked"))??;
            first = Some(first.map_or(started, |f| f.min(started)));
            last = Some(last.map_or(finished, |l| l.max(finished)));
            out.extend(items);
        }
        let seconds = match (first, last) {
            (Some(first), Some(last)) => last.duration_since(first).as_secs_f64(),
            _ => anyhow::bail!("no clients"),
        };
        Ok((seconds, out))
    })
}

/// Verifies every presentation through the single endpoint with
/// [`CONCURRENCY`] clients; the rate and each call's latency in ms.
fn http_single(url: &str, bank: &SigningKey, presentations: &[Presentation]) -> anyhow::Result<(f64, Vec<f64>)> {
    let bodies: Vec<String> = presentations.iter().map(|p| json!({"presentation": p}).to_string()).collect();
    let next = AtomicUsize::new(0);
    let (seconds, latencies) = load(url, CONCURRENCY, |agent| {
        let mut latencies = Vec::new();
        while let Some(body) = bodies.get(next.fetch_add(1, Ordering::Relaxed)) {
            let started = Instant::now();
            let (status, answer) = post_signed(agent, url, "/v1/presentations/verify", bank, body)?;
            latencies.push(started.elapsed().as_secs_f64() * 1e3);
            if status != 200 || answer["verified"] != json!(true) {
                anyhow::bail!("verify answered {status}: {answer}");
            }
        }
        Ok(latencies)
    })?;
    Ok((bodies.len() as f64 / seconds, latencies))
}

/// Verifies every presentation through the batch endpoint in batches of
/// [`BATCH_SIZE`] with [`BATCH_CONCURRENCY`] clients; the rate.
fn http_batch(url: &str, bank: &SigningKey, presentations: &[Presentation]) -> anyhow::Result<f64> {
    let bodies: Vec<String> = presentations.chunks(BATCH_SIZE).map(|c| json!({"presentations": c}).to_string()).collect();
    let next = AtomicUsize::new(0);
    let verified = Arc::new(AtomicUsize::new(0));
    let (seconds, _) = load(url, BATCH_CONCURRENCY, |agent| {
        while let Some(body) = bodies.get(next.fetch_add(1, Ordering::Relaxed)) {
            let (status, answer) = post_signed(agent, url, "/v1/presentations/verify-batch", bank, body)?;
            let results = answer["results"].as_array().filter(|_| status == 200).with_context(|| format!("verify-batch answered {status}: {answer}"))?;
            if let Some(bad) = results.iter().find(|r| r["verified"] != json!(true)) {
                anyhow::bail!("a batched presentation was refused: {bad}");
            }
            verified.fetch_add(results.len(), Ordering::Relaxed);
        }
        Ok(Vec::<()>::new())
    })?;
    let verified = verified.load(Ordering::Relaxed);
    if verified != presentations.len() {
        anyhow::bail!("verify-batch verified {verified} of {} presentations", presentations.len());
    }
    Ok(verified as f64 / seconds)
}

/// The human-readable table.
pub fn table(r: &ApiReport) -> String {
    let inprocess_best = format!("in-process, best ({} thread{})", r.inprocess_threads, if r.inprocess_threads == 1 { "" } else { "s" });
    let http = format!("HTTP verify, {} clients", r.concurrency);
    let batch = format!("HTTP verify-batch ({} x {} clients)", r.batch_size, r.batch_concurrency);
    let ms = |x: Option<f64>| x.map_or("-".into(), |x| format!("{x:.2} ms"));
    let load = match r.load_average {
        Some((before, after)) => format!("{before:.1} -> {after:.1}"),
        None => "-".into(),
    };
    let rows = [
        ("presentations per HTTP set", r.presentations.to_string(), ""),
        ("load average (1 min) while measuring", load, "<= cores, or rates are shared"),
        ("proving both sets (not measured)", format!("{:.1} s", r.generation_s), ""),
        ("in-process, 1 thread (median of 6)", format!("{:.0} /s", r.inprocess_1t_rps), ""),
        ("in-process, 2 threads (median of 6)", format!("{:.0} /s", r.inprocess_2t_rps), ""),
        (&*inprocess_best, format!("{:.0} /s", r.inprocess_verify_rps), ""),
        (&*http, format!("{:.0} /s", r.verify_rps), ""),
        ("HTTP verify latency (median)", format!("{:.1} ms", r.verify_median_ms), ""),
        ("HTTP verify latency (p99)", format!("{:.1} ms", r.verify_p99_ms), ""),
        ("api efficiency (HTTP / in-process)", format!("{:.2}", r.api_efficiency), ">= 0.7"),
        (&*batch, format!("{:.0} /s", r.batch_verify_rps), "> in-process 1 thread"),
        ("batch / in-process 1 thread", format!("{:.2}", r.batch_vs_inprocess_1t), "> 1"),
        ("CPU per verify, in-process 1 thread", ms(r.inprocess_cpu_ms), ""),
        ("CPU per verify, HTTP (node + clients)", ms(r.verify_cpu_ms), ""),
        ("CPU per verify, HTTP batch (node + clients)", ms(r.batch_cpu_ms), ""),
        ("api efficiency in CPU (in-process / HTTP)", r.api_cpu_efficiency.map_or("-".into(), |e| format!("{e:.2}")), ">= 0.7"),
    ];
    super::table((44, 12), rows)
}

#[cfg(test)]
mod tests {
    use super::quantile;

    #[test]
    fn quantile_is_nearest_rank() {
        let xs: Vec<f64> = (1..=200).map(f64::from).collect();
        assert_eq!(quantile(xs.clone(), 0.99), 198.0);
        assert_eq!(quantile(xs.clone(), 0.5), 100.0);
        assert_eq!(quantile(vec![3.0], 0.99), 3.0);
        assert_eq!(quantile(xs, 1.0), 200.0);
    }
}
