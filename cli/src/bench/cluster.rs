//! `zkreg bench cluster`: issuance throughput through a 3-replica Raft
//! cluster against a single node, how long writes stop when the leader
//! stops, and disk bytes per credential on a replica; all in one run, every
//! node in this process on loopback.
//!
//! Each client is a thread with a regulator key of its own (the bench
//! genesis registers one regulator per client), submitting one issuance at a
//! time and waiting for its receipt; a 503 is retried with a new transaction
//! (the next nonce) on the next node, so no transaction is ever sent twice.
//! The cluster's clients are spread round-robin over its three nodes: a
//! follower forwards to the leader and answers once it has applied the block
//! itself.
//!
//! Both deployments run side by side and are measured in alternating rounds
//! (single, cluster, cluster, single: half the measured seconds each), so
//! load from other processes during the run weighs on both sides of the
//! ratio alike. Every round starts with a warm-up whose receipts are not
//! counted.
//!
//! Failover is then sampled [`FAILOVER_SAMPLES`] times on the cluster under
//! the same load: the leader is stopped, the clock runs until a write sent
//! after it had stopped is acknowledged by a survivor, and the stopped node
//! is started again (it catches up) before the next sample.

use std::net::{SocketAddr, TcpListener};
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use anyhow::Context;
use ark_bn254::Fr;
use ark_ff::UniformRand;
use ed25519_dalek::SigningKey;
use serde::Serialize;

use zkreg_api::client::{Client, ClientError};
use zkreg_api::dto::ClusterStatus;
use zkreg_api::{ClusterConfig, NodeConfig, NodeThread};
use zkreg_circuits::field::fr_to_bytes;
use zkreg_registry::genesis::GenesisRegulator;
use zkreg_registry::{Genesis, Transaction, TxBody};

use super::upper_median;

/// Replicas in the cluster.
pub const REPLICAS: usize = 3;
/// Times the leader is stopped (and restarted after) for `failover_ms`.
pub const FAILOVER_SAMPLES: usize = 3;
/// Load before each round's clock starts (its receipts are not counted).
const WARM_UP: Duration = Duration::from_secs(1);
/// How long a stopped leader's cluster may take to acknowledge a write.
const FAILOVER_LIMIT: Duration = Duration::from_secs(20);
/// How long a cluster may take to elect a leader and catch every replica up.
const SETTLE_LIMIT: Duration = Duration::from_secs(30);
/// A client's first pause before retrying after a 503 or an unreachable
/// node; it doubles with each retry in a row up to [`MAX_RETRY_PAUSE`]
/// (short, against a `Retry-After` of a second, so that the failover's end
/// is seen within a few ms by one client or another).
const RETRY_PAUSE: Duration = Duration::from_millis(10);
/// A client's longest pause between retries.
const MAX_RETRY_PAUSE: Duration = Duration::from_millis(100);
/// The schema every issuance is for.
const SCHEMA: &str = "credit-score";

/// The cluster benchmark's results.
#[derive(Debug, Serialize)]
pub struct ClusterReport {
    /// Concurrent clients in every round.
    pub clients: usize,
    /// Measured seconds on each deployment (two rounds of half each).
    pub seconds: f64,
    /// Every node's block interval.
    pub block_interval_ms: u64,
    /// Issuances acknowledged (200, `ok`) per second by a single node.
    pub issue_tps_1node: f64,
    /// Issuances acknowledged per second by the 3-replica cluster: each
    /// committed by a majority, on disk, and applied by the node that answered.
    pub issue_tps_3nodes: f64,
    /// `issue_tps_3nodes / issue_tps_1node` (target >= 0.6).
    pub replication_ratio: f64,
    /// Issuances acknowledged by the single node while measured.
    pub txs_1node: u64,
    /// Issuances acknowledged by the cluster while measured.
    pub txs_3nodes: u64,
    /// Median of [`FAILOVER_SAMPLES`] samples of the time from telling the
    /// leader to stop (dropping its `NodeThread`: its server, block producer
    /// and Raft stop cleanly, the in-process stand-in for killing it) until
    /// the first write sent after it had stopped is acknowledged by a
    /// surviving node.
    pub failover_ms: f64,
    /// Each failover sample, in ms.
    pub failover_samples_ms: Vec<f64>,
    /// Median time the leader took to stop (part of `failover_ms`: it
    /// finishes the requests it holds and cuts a last block first, and its
    /// HTTP server checks once a second whether its connections are done).
    /// Its Raft keeps sending heartbeats until the end of it.
    pub leader_stop_ms: f64,
    /// Median time from the moment the leader had stopped to that first
    /// acknowledgement: the part a crash of the leader would also take
    /// (with the default timeouts, followers stand for election after 1.5
    /// to 2 s without a heartbeat: openraft's leader lease, then the
    /// election timeout).
    pub failover_after_stop_ms: f64,
    /// Issuances acknowledged during the failover rounds (load included).
    pub txs_failover: u64,
    /// 503 answers retried, all rounds together.
    pub retries: u64,
    /// 503 answers retried in the single node's rounds.
    pub retries_1node: u64,
    /// 503 answers retried in the cluster's throughput rounds.
    pub retries_3nodes: u64,
    /// 503 answers retried in the failover rounds.
    pub retries_failover: u64,
    /// Calls that could not reach their node (the stopped leader, in the
    /// failover rounds; anywhere else they fail the benchmark).
    pub unreachable: u64,
    /// Credentials the cluster's replicas hold at the end.
    pub credentials_3nodes: u64,
    /// A replica's data directory (chain, Raft log, snapshots, node-local
    /// store) over the credentials it holds, after the run with the node
    /// stopped; median of the three replicas. Fixed overheads weigh more in
    /// short runs.
    pub bytes_per_credential: f64,
    /// The same for the single node's data directory.
    pub bytes_per_credential_1node: f64,
}

/// Runs the benchmark: `clients` concurrent clients, `seconds` measured on
/// each deployment, nodes cutting a block every `block_interval_ms`.
pub fn cluster(clients: usize, seconds: u64, block_interval_ms: u64, progress: impl Fn(&str)) -> anyhow::Result<ClusterReport> {
    anyhow::ensure!(clients >= 1, "--clients must be at least 1");
    anyhow::ensure!(seconds >= 1, "--seconds must be at least 1");
    anyhow::ensure!(block_interval_ms >= 1, "--block-interval-ms must be at least 1");
    let keys: Vec<SigningKey> = (0..clients as u64).map(regulator_key).collect();
    let genesis = genesis(&keys);
    let interval = Duration::from_millis(block_interval_ms);
    let half = Duration::from_secs(seconds) / 2;

    progress("starting a single node");
    let mut single = Deployment::start(&genesis, interval, 1).context("starting the single node")?;
    progress(&format!("starting a cluster of {REPLICAS} replicas"));
    let mut replicated = Deployment::start(&genesis, interval, REPLICAS).context("starting the cluster")?;
    replicated.settle().context("waiting for the cluster's first leader")?;

    let mut totals = Totals::default();
    for (i, on_cluster) in [false, true, true, false].into_iter().enumerate() {
        let (name, deployment) = if on_cluster { ("cluster", &replicated) } else { ("single node", &single) };
        progress(&format!("round {} of 4: {clients} clients on the {name} for {:.1} s", i + 1, (WARM_UP + half).as_secs_f64()));
        let tally = deployment.throughput(&keys, &genesis.chain_id, half).with_context(|| format!("round {} on the {name}", i + 1))?;
        let (txs, retries) =
            if on_cluster { (&mut totals.txs_3nodes, &mut totals.retries_3nodes) } else { (&mut totals.txs_1node, &mut totals.retries_1node) };
        *txs += tally.acked;
        *retries += tally.retries;
        totals.unreachable += tally.unreachable;
    }

    let (mut failover, mut stop, mut after_stop) = (Vec::new(), Vec::new(), Vec::new());
    for sample in 1..=FAILOVER_SAMPLES {
        progress(&format!("failover {sample} of {FAILOVER_SAMPLES}: stopping the leader under load"));
        let (tally, f) = replicated.failover(&keys, &genesis.chain_id).with_context(|| format!("failover sample {sample}"))?;
        let ms = |d: Duration| d.as_secs_f64() * 1e3;
        failover.push(ms(f.stop_to_write));
        stop.push(ms(f.stop));
        after_stop.push(ms(f.stop_to_write - f.stop));
        totals.txs_failover += tally.acked;
        totals.retries_failover += tally.retries;
        totals.unreachable += tally.unreachable;
        progress(&format!(
            "failover {sample}: {:.0} ms (the leader, node {}, took {:.0} ms to stop); restarting it",
            ms(f.stop_to_write),
            f.node + 1,
            ms(f.stop)
        ));
        replicated.restart(f.node).with_context(|| format!("restarting node {}", f.node + 1))?;
        replicated.settle().with_context(|| format!("waiting for node {} to catch up", f.node + 1))?;
    }

    progress("stopping the nodes and measuring their data directories");
    let (credentials_3nodes, bytes_per_credential) = replicated.bytes_per_credential()?;
    let (_, bytes_per_credential_1node) = single.bytes_per_credential()?;
    let seconds = 2.0 * half.as_secs_f64();
    let issue_tps_1node = totals.txs_1node as f64 / seconds;
    let issue_tps_3nodes = totals.txs_3nodes as f64 / seconds;
    Ok(ClusterReport {
        clients,
        seconds,
        block_interval_ms,
        issue_tps_1node,
        issue_tps_3nodes,
        replication_ratio: issue_tps_3nodes / issue_tps_1node,
        txs_1node: totals.txs_1node,
        txs_3nodes: totals.txs_3nodes,
        failover_samples_ms: failover.clone(),
        failover_ms: upper_median(failover),
        leader_stop_ms: upper_median(stop),
        failover_after_stop_ms: upper_median(after_stop),
        txs_failover: totals.txs_failover,
        retries: totals.retries_1node + totals.retries_3nodes + totals.retries_failover,
        retries_1node: totals.retries_1node,
        retries_3nodes: totals.retries_3nodes,
        retries_failover: totals.retries_failover,
        unreachable: totals.unreachable,
        credentials_3nodes,
        bytes_per_credential,
        bytes_per_credential_1node,
    })
}

/// One failover sample.
struct Failover {
    /// The stopped leader's index.
    node: usize,
    /// From telling it to stop until it had stopped.
    stop: Duration,
    /// From telling it to stop until a write sent after it had stopped was acknowledged.
    stop_to_write: Duration,
}

/// Counts summed over the rounds.
#[derive(Default)]
struct Totals {
    txs_1node: u64,
    txs_3nodes: u64,
    txs_failover: u64,
    retries_1node: u64,
    retries_3nodes: u64,
    retries_failover: u64,
    unreachable: u64,
}

/// Client `i`'s regulator key (fixed, so runs are comparable).
fn regulator_key(i: u64) -> SigningKey {
    let mut seed = [0xb7; 32];
    seed[..8].copy_from_slice(&i.to_le_bytes());
    SigningKey::from_bytes(&seed)
}

/// The bench genesis ([`super::ledger::bench_genesis`]) with one regulator
/// per client, each allowed the schema: a signer's nonces must increase in
/// the order blocks apply them, which concurrent calls of one key through
/// different nodes would not keep.
fn genesis(keys: &[SigningKey]) -> Genesis {
    let authority = SigningKey::from_bytes(&[1; 32]);
    let mut genesis = super::ledger::bench_genesis(&authority, &keys[0]);
    genesis.chain_id = "zkreg-bench-cluster".into();
    genesis.regulators.extend(keys.iter().enumerate().skip(1).map(|(i, key)| GenesisRegulator {
        name: format!("bench-regulator-{i}"),
        key: hex::encode(key.verifying_key().to_bytes()),
        schemas: vec![SCHEMA.into()],
    }));
    genesis
}

/// One deployment's nodes on loopback, each with a data directory of its
/// own; a stopped node keeps its address and directory for its restart.
struct Deployment {
    /// The running nodes (`None` while stopped); declared first, so they
    /// stop before their directories go.
    nodes: Vec<Option<NodeThread>>,
    configs: Vec<NodeConfig>,
    addrs: Vec<SocketAddr>,
    /// Nonces already used by each client's key on this chain.
    nonces: Arc<[AtomicU64]>,
    dir: tempfile::TempDir,
}

impl Deployment {
    /// Starts `n` nodes: a single node if `n` is 1, else the replicas of
    /// one cluster with ids `1..=n` (node 1 initialises it).
    fn start(genesis: &Genesis, interval: Duration, n: usize) -> anyhow::Result<Self> {
        let dir = tempfile::tempdir().context("creating a scratch directory")?;
        let listeners = (0..n).map(|_| TcpListener::bind("127.0.0.1:0")).collect::<std::io::Result<Vec<_>>>().context("binding a loopback port")?;
        let addrs = listeners.iter().map(TcpListener::local_addr).collect::<std::io::Result<Vec<_>>>()?;
        let peers: std::collections::BTreeMap<u64, String> = addrs.iter().enumerate().map(|(i, a)| (i as u64 + 1, a.to_string())).collect();
        let mut secret = [0u8; 32];
        rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, &mut secret);
        let configs: Vec<NodeConfig> = (0..n)
            .map(|i| {
                let mut config = NodeConfig::new(dir.path().join(format!("node-{}", i + 1)), Some(genesis.clone()));
                config.block_interval = interval;
                if n > 1 {
                    let mut cluster = ClusterConfig::new(i as u64 + 1, addrs[i].to_string(), secret);
                    cluster.peers = peers.clone();
                    config.cluster = Some(cluster);
                }
                config
            })
            .collect();
        let mut nodes = Vec::with_capacity(n);
        for (i, (config, listener)) in configs.iter().zip(listeners).enumerate() {
            nodes.push(Some(NodeThread::spawn(config.clone(), listener).with_context(|| format!("starting node {}", i + 1))?));
        }
        let nonces = genesis.regulators.iter().map(|_| AtomicU64::new(0)).collect();
        Ok(Deployment { nodes, configs, addrs, nonces, dir })
    }

    /// Every node's URL, stopped ones included.
    fn urls(&self) -> Vec<String> {
        self.addrs.iter().map(|a| format!("http://{a}")).collect()
    }

    /// A client of each running node, with its index.
    fn running(&self) -> impl Iterator<Item = (usize, Client)> + '_ {
        self.nodes.iter().enumerate().filter_map(|(i, n)| n.as_ref().map(|n| (i, Client::new(&n.url))))
    }

    /// Runs one client per key, spread over the nodes, for [`WARM_UP`] and
    /// then `measured`, and counts the receipts of the measured part.
    fn throughput(&self, keys: &[SigningKey], chain_id: &str, measured: Duration) -> anyhow::Result<Tally> {
        self.settle()?;
        let start = Instant::now();
        let load = Load::new(self, keys, chain_id, (start + WARM_UP, start + WARM_UP + measured), false);
        let (tally, ()) = load.run(|_| {
            std::thread::sleep(WARM_UP + measured);
            Ok(())
        })?;
        anyhow::ensure!(tally.acked > 0, "no issuance was acknowledged while measured ({} retries)", tally.retries);
        Ok(tally)
    }

    /// Under load, stops the leader and waits for a write sent after it
    /// had stopped to be acknowledged; the load's tally and the sample.
    fn failover(&mut self, keys: &[SigningKey], chain_id: &str) -> anyhow::Result<(Tally, Failover)> {
        self.settle()?;
        let start = Instant::now();
        // Counted window: the whole round (the clients stop when told).
        let window = (start, start + WARM_UP + SETTLE_LIMIT + FAILOVER_LIMIT);
        let load = Load::new(self, keys, chain_id, window, true);
        load.run(|load| {
            std::thread::sleep(WARM_UP);
            let leader = self.leader()?;
            let stop_started = Instant::now();
            drop(self.nodes[leader].take());
            let stopped = Instant::now();
            let _ = load.stopped_at.set(stopped);
            loop {
                if let Some(acked) = *load.first_ack_after_stop.lock().unwrap_or_else(|e| e.into_inner()) {
                    let (stop, stop_to_write) = (stopped.duration_since(stop_started), acked.duration_since(stop_started));
                    return Ok(Failover { node: leader, stop, stop_to_write });
                }
                anyhow::ensure!(!load.stop.load(Ordering::SeqCst), "a client failed");
                anyhow::ensure!(
                    stopped.elapsed() < FAILOVER_LIMIT,
                    "no write was acknowledged within {} s of stopping the leader (node {})",
                    FAILOVER_LIMIT.as_secs(),
                    leader + 1
                );
                std::thread::sleep(Duration::from_millis(1));
            }
        })
    }

    /// The index of the node that says it leads.
    fn leader(&self) -> anyhow::Result<usize> {
        for (i, client) in self.running() {
            let status = client.cluster_status().with_context(|| format!("GET /v1/cluster/status on node {}", i + 1))?;
            if status.state == "leader" {
                return usize::try_from(status.node_id).ok().and_then(|id| id.checked_sub(1)).context("the leader's node id is not one of ours");
            }
        }
        anyhow::bail!("no running node says it leads")
    }

    /// Starts stopped node `i` again on its address and data directory.
    fn restart(&mut self, i: usize) -> anyhow::Result<()> {
        let listener = TcpListener::bind(self.addrs[i]).with_context(|| format!("binding {} again", self.addrs[i]))?;
        let mut config = self.configs[i].clone();
        // The first voters matter on a first start only (the membership is
        // in the log since). Without them node 1 does not look at whether to
        // initialise the cluster, which it may otherwise try, and fail to
        // start, when Raft has not reported its log yet.
        if let Some(cluster) = config.cluster.as_mut() {
            cluster.peers.clear();
        }
        self.nodes[i] = Some(NodeThread::spawn(config, listener)?);
        Ok(())
    }

    /// Waits until, in a cluster, one node leads and every node has applied
    /// the leader's whole log (a single node is always settled).
    fn settle(&self) -> anyhow::Result<()> {
        if self.nodes.len() == 1 {
            return Ok(());
        }
        let deadline = Instant::now() + SETTLE_LIMIT;
        loop {
            let last = match self.statuses() {
                Ok(statuses) if settled(&statuses) => return Ok(()),
                Ok(statuses) => format!("{statuses:?}"),
                Err(e) => format!("{e:#}"),
            };
            if Instant::now() >= deadline {
                anyhow::bail!("the cluster did not settle within {} s; last seen: {last}", SETTLE_LIMIT.as_secs());
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Each running node's view of the cluster.
    fn statuses(&self) -> anyhow::Result<Vec<ClusterStatus>> {
        self.running().map(|(i, c)| c.cluster_status().with_context(|| format!("GET /v1/cluster/status on node {}", i + 1))).collect()
    }

    /// After settling: the credentials the nodes hold, and the median over
    /// the nodes of their data directory's bytes (measured once every node
    /// has stopped) per credential. Stops every node.
    fn bytes_per_credential(&mut self) -> anyhow::Result<(u64, f64)> {
        self.settle()?;
        let credentials: Vec<(usize, u64)> = self
            .running()
            .map(|(i, c)| Ok((i, c.status().with_context(|| format!("GET /v1/status on node {}", i + 1))?.leaf_count)))
            .collect::<anyhow::Result<_>>()?;
        self.nodes.clear();
        let mut per_credential = Vec::new();
        for &(i, held) in &credentials {
            let data_dir = &self.configs[i].data_dir;
            anyhow::ensure!(held > 0, "node {} holds no credential", i + 1);
            per_credential.push(dir_size(data_dir)? as f64 / held as f64);
        }
        let held = credentials.iter().map(|&(_, held)| held).max().unwrap_or(0);
        anyhow::ensure!(!per_credential.is_empty(), "no node was running in {}", self.dir.path().display());
        Ok((held, upper_median(per_credential)))
    }
}

/// Whether one node leads and every node reports having applied the
/// leader's last log index.
fn settled(statuses: &[ClusterStatus]) -> bool {
    let Some(leader) = statuses.iter().find(|s| s.state == "leader") else { return false };
    let Some(last) = leader.last_log_index else { return false };
    leader.members.len() == statuses.len() && statuses.iter().all(|s| s.leader == Some(leader.node_id) && s.applied_index == Some(last))
}

/// Bytes of every file under `dir`.
fn dir_size(dir: &Path) -> anyhow::Result<u64> {
    let mut total = 0;
    for entry in std::fs::read_dir(dir).with_context(|| format!("reading {}", dir.display()))? {
        let entry = entry.with_context(|| format!("reading {}", dir.display()))?;
        let meta = entry.metadata().with_context(|| format!("reading {}", entry.path().display()))?;
        total += if meta.is_dir() { dir_size(&entry.path())? } else { meta.len() };
    }
    Ok(total)
}

/// Receipts and retries of one round's clients.
#[derive(Debug, Default)]
struct Tally {
    /// Issuances acknowledged inside the counted window.
    acked: u64,
    /// 503 answers.
    retries: u64,
    /// Calls that did not reach their node.
    unreachable: u64,
}

/// What one round's clients share.
struct Load<'a> {
    urls: Vec<String>,
    nonces: Arc<[AtomicU64]>,
    keys: &'a [SigningKey],
    chain_id: &'a str,
    /// Receipts arriving inside it are counted; the clients stop at its end.
    window: (Instant, Instant),
    /// Whether an unreachable node is retried (else it fails the round).
    tolerate_unreachable: bool,
    /// Tells the clients to stop.
    stop: AtomicBool,
    /// When the leader had stopped (set once, in a failover round).
    stopped_at: OnceLock<Instant>,
    /// The first acknowledgement of a write sent after `stopped_at`.
    first_ack_after_stop: Mutex<Option<Instant>>,
}

impl<'a> Load<'a> {
    /// A round on every node of `d` (stopped ones included).
    fn new(d: &Deployment, keys: &'a [SigningKey], chain_id: &'a str, window: (Instant, Instant), tolerate_unreachable: bool) -> Self {
        Load {
            urls: d.urls(),
            nonces: d.nonces.clone(),
            keys,
            chain_id,
            window,
            tolerate_unreachable,
            stop: AtomicBool::new(false),
            stopped_at: OnceLock::new(),
            first_ack_after_stop: Mutex::new(None),
        }
    }

    /// Runs one client per key while `main` runs on this thread, then stops
    /// them; the summed tally and `main`'s result. A client's error comes
    /// first (it also stops the others and is what `main` may be waiting on).
    fn run<T>(&self, main: impl FnOnce(&Self) -> anyhow::Result<T>) -> anyhow::Result<(Tally, T)> {
        std::thread::scope(|scope| {
            let handles: Vec<_> = (0..self.keys.len())
                .map(|i| {
                    scope.spawn(move || {
                        let tally = self.client(i);
                        if tally.is_err() {
                            self.stop.store(true, Ordering::SeqCst);
                        }
                        tally
                    })
                })
                .collect();
            let result = main(self);
            self.stop.store(true, Ordering::SeqCst);
            let mut total = Tally::default();
            for h in handles {
                let tally = h.join().map_err(|_| anyhow::anyhow!("a client thread panicked"))??;
                total.acked += tally.acked;
                total.retries += tally.retries;
                total.unreachable += tally.unreachable;
            }
            Ok((total, result?))
        })
    }

    /// Client `i`: submits issuances signed with its key one after another,
    /// starting on node `i mod n` and moving to the next node after a 503 or
    /// (if tolerated) an unreachable node.
    fn client(&self, i: usize) -> anyhow::Result<Tally> {
        let key = &self.keys[i];
        let signer = key.verifying_key().to_bytes();
        let clients: Vec<Client> = self.urls.iter().map(|u| Client::new(u)).collect();
        let mut at = i % clients.len();
        let mut rng = rand::thread_rng();
        let mut tally = Tally::default();
        let mut pause = RETRY_PAUSE;
        let retry = |at: &mut usize, pause: &mut Duration| {
            *at = (*at + 1) % clients.len();
            std::thread::sleep(*pause);
            *pause = (*pause * 2).min(MAX_RETRY_PAUSE);
        };
        while !self.stop.load(Ordering::Relaxed) && Instant::now() < self.window.1 {
            let nonce = self.nonces[i].fetch_add(1, Ordering::Relaxed) + 1;
            let body = TxBody::IssueCredential { schema: SCHEMA.into(), inner: fr_to_bytes(&Fr::rand(&mut rng)) };
            let tx = Transaction { chain_id: self.chain_id.into(), signer, nonce, body }.sign(key);
            let sent = Instant::now();
            match clients[at].submit_signed(&tx) {
                Ok(receipt) if receipt.ok => {
                    self.acknowledged(&mut tally, sent, Instant::now());
                    pause = RETRY_PAUSE;
                }
                Ok(receipt) => anyhow::bail!(
                    "client {i}: {} refused issuance nonce {nonce}: {} ({})",
                    clients[at].base(),
                    receipt.message.unwrap_or_default(),
                    receipt.code.unwrap_or_default()
                ),
                Err(ClientError::Api { status: 503, .. }) => {
                    tally.retries += 1;
                    retry(&mut at, &mut pause);
                }
                Err(ClientError::Transport(_)) if self.tolerate_unreachable => {
                    tally.unreachable += 1;
                    retry(&mut at, &mut pause);
                }
                Err(e) => return Err(e).with_context(|| format!("client {i}: issuance nonce {nonce} through {}", clients[at].base())),
            }
        }
        Ok(tally)
    }

    /// Counts a receipt that arrived at `acked` for a write sent at `sent`.
    fn acknowledged(&self, tally: &mut Tally, sent: Instant, acked: Instant) {
        if self.window.0 <= acked && acked < self.window.1 {
            tally.acked += 1;
        }
        if self.stopped_at.get().is_some_and(|&stopped| sent >= stopped) {
            let mut first = self.first_ack_after_stop.lock().unwrap_or_else(|e| e.into_inner());
            if first.is_none_or(|f| acked < f) {
                *first = Some(acked);
            }
        }
    }
}

/// The human-readable table.
pub fn table(r: &ClusterReport) -> String {
    let samples = r.failover_samples_ms.iter().map(|ms| format!("{ms:.0}")).collect::<Vec<_>>().join(", ");
    let rows = [
        ("clients / block interval", format!("{} / {} ms", r.clients, r.block_interval_ms), ""),
        ("measured seconds per deployment", format!("{:.1} s", r.seconds), ""),
        ("issuances acknowledged, 1 node", r.txs_1node.to_string(), ""),
        ("issuances acknowledged, 3 replicas", r.txs_3nodes.to_string(), ""),
        ("issuance throughput, 1 node", format!("{:.0} /s", r.issue_tps_1node), ""),
        ("issuance throughput, 3 replicas", format!("{:.0} /s", r.issue_tps_3nodes), ""),
        ("replication ratio (3 replicas / 1 node)", format!("{:.2}", r.replication_ratio), ">= 0.6"),
        (&*format!("failover (median of {})", r.failover_samples_ms.len()), format!("{:.0} ms", r.failover_ms), ""),
        ("failover samples", format!("{samples} ms"), ""),
        ("  of which the leader's clean stop (median)", format!("{:.0} ms", r.leader_stop_ms), ""),
        ("  of which after it had stopped (median)", format!("{:.0} ms", r.failover_after_stop_ms), ""),
        ("retries after 503 (1 node / 3 / failover)", format!("{} / {} / {}", r.retries_1node, r.retries_3nodes, r.retries_failover), ""),
        ("calls to the stopped leader", r.unreachable.to_string(), ""),
        ("credentials on each replica", r.credentials_3nodes.to_string(), ""),
        ("disk bytes per credential, replica", format!("{:.0} B", r.bytes_per_credential), ""),
        ("disk bytes per credential, 1 node", format!("{:.0} B", r.bytes_per_credential_1node), ""),
    ];
    super::table((44, 16), rows)
}
