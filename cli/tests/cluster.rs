//! Fault tests of a consortium cluster: real `zkreg node` processes on
//! loopback, replicated with Raft, under a steady load of issuances and
//! linearizable reads from several clients, while nodes are killed with
//! SIGKILL and restarted:
//!
//! - the leader killed: a new leader serves writes within 3 s;
//! - a follower killed: writes go on;
//! - all three killed and restarted: nothing acknowledged is lost;
//! - a fourth node added as a learner catches up through a snapshot.
//!
//! After each: every acknowledged write is on every node, every node has the
//! same header hash at every height, and the clients' history of writes and
//! reads is linearizable (stateright's `LinearizabilityTester`, against a
//! set of issued commitments). The scenarios run one at a time (a shared
//! lock) and each is bounded: a few seconds of load, deadlines on every wait.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use ark_bn254::Fr;
use ed25519_dalek::SigningKey;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha20Rng;
use serde_json::Value;
use stateright::semantics::{ConsistencyTester, LinearizabilityTester, SequentialSpec};

use zkreg_circuits::commitment::credential_leaf;
use zkreg_circuits::field::{fr_to_bytes, label, LabelDomain};
use zkreg_registry::genesis::GenesisRegulator;
use zkreg_registry::{Genesis, Transaction, TxBody};

const SCHEMA: &str = "credit-score";
/// Writer threads (each its own regulator, so nonces never race).
const WRITERS: usize = 3;
/// Reader threads.
const READERS: usize = 2;

/// One scenario at a time: each starts its own processes.
static SERIAL: Mutex<()> = Mutex::new(());

fn regulator_name(i: usize) -> String {
    format!("regulator-{i}")
}

fn regulator_key(i: usize) -> SigningKey {
    SigningKey::from_bytes(&[10 + i as u8; 32])
}

fn node_key(id: u64) -> SigningKey {
    SigningKey::from_bytes(&[100 + id as u8; 32])
}

fn genesis(consortium: &[u64]) -> Genesis {
    let authority = SigningKey::from_bytes(&[1; 32]).verifying_key().to_bytes();
    let first = regulator_key(0).verifying_key().to_bytes();
    let mut g = Genesis::development("zkreg-cluster-test", 1_750_000_000, &authority, (&regulator_name(0), &first), &[SCHEMA], 8);
    for i in 1..WRITERS {
        g.regulators.push(GenesisRegulator {
            name: regulator_name(i),
            key: hex::encode(regulator_key(i).verifying_key().to_bytes()),
            schemas: vec![SCHEMA.into()],
        });
    }
    g.consortium = consortium
        .iter()
        .map(|id| zkreg_registry::genesis::GenesisNode { id: *id, key: hex::encode(node_key(*id).verifying_key().to_bytes()) })
        .collect();
    g
}

fn free_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind a free port");
    l.local_addr().expect("local addr").port()
}

/// A cluster of `zkreg node` processes.
struct Cluster {
    dir: tempfile::TempDir,
    genesis: PathBuf,
    secret: PathBuf,
    ports: BTreeMap<u64, u16>,
    peers: String,
    children: BTreeMap<u64, Child>,
    snapshot_after: u64,
    /// Whether nodes sign headers (the genesis lists their keys).
    signed: bool,
}

impl Cluster {
    /// `n` voters, node 1 initialising.
    fn start(n: u64, snapshot_after: u64) -> Self {
        Self::start_with(n, snapshot_after, false)
    }

    /// `n` voters; with `signed`, a genesis whose consortium lists each
    /// node's key, and each node given its key file.
    fn start_with(n: u64, snapshot_after: u64, signed: bool) -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        let genesis_path = dir.path().join("genesis.json");
        let members: Vec<u64> = if signed { (1..=n).collect() } else { Vec::new() };
        std::fs::write(&genesis_path, serde_json::to_vec(&genesis(&members)).expect("genesis")).expect("write genesis");
        for id in &members {
            let key = node_key(*id);
            let file = serde_json::json!({"public": hex::encode(key.verifying_key().to_bytes()), "secret": hex::encode(key.to_bytes())});
            std::fs::write(dir.path().join(format!("node-{id}.key")), file.to_string()).expect("write node key");
        }
        let secret = dir.path().join("cluster.secret");
        std::fs::write(&secret, format!("{}\n", hex::encode([0x5e; 32]))).expect("write secret");
        let ports: BTreeMap<u64, u16> = (1..=n).map(|id| (id, free_port())).collect();
        let peers = ports.iter().map(|(id, p)| format!("{id}=127.0.0.1:{p}")).collect::<Vec<_>>().join(",");
        let mut cluster = Cluster { dir, genesis: genesis_path, secret, ports, peers, children: BTreeMap::new(), snapshot_after, signed };
        for id in 1..=n {
            cluster.spawn(id, true);
        }
        cluster
    }

    fn url(&self, id: u64) -> String {
        format!("http://127.0.0.1:{}", self.ports[&id])
    }

    fn data(&self, id: u64) -> PathBuf {
        self.dir.path().join(format!("data-{id}"))
    }

    fn log(&self, id: u64) -> PathBuf {
        self.dir.path().join(format!("node-{id}.log"))
    }

    /// Starts node `id` (again); `voter` nodes get the peers list, a
    /// learner-to-be does not.
    fn spawn(&mut self, id: u64, voter: bool) {
        let port = *self.ports.entry(id).or_insert_with(free_port);
        let log = std::fs::OpenOptions::new().create(true).append(true).open(self.log(id)).expect("node log");
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_zkreg"));
        cmd.arg("node")
            .args(["--node-id", &id.to_string(), "--listen", &format!("127.0.0.1:{port}"), "--block-ms", "20"])
            .args(["--snapshot-after", &self.snapshot_after.to_string()])
            .arg("--cluster-secret-file")
            .arg(&self.secret)
            .arg("--data-dir")
            .arg(self.data(id))
            .arg("--genesis")
            .arg(&self.genesis)
            .env("ZKREG_LOG", "info,openraft=warn")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log);
        if voter {
            cmd.args(["--peers", &self.peers]);
        }
        if self.signed {
            cmd.arg("--node-key-file").arg(self.dir.path().join(format!("node-{id}.key")));
        }
        let child = cmd.spawn().expect("spawn zkreg node");
        self.children.insert(id, child);
        wait_until(Duration::from_secs(20), &format!("node {id} serves"), || get(&self.url(id), "/healthz").is_some());
    }

    /// SIGKILL.
    fn kill(&mut self, id: u64) {
        if let Some(mut child) = self.children.remove(&id) {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    fn live(&self) -> Vec<u64> {
        self.children.keys().copied().collect()
    }

    /// The leader a live node reports as itself.
    fn leader(&self) -> Option<u64> {
        self.live().into_iter().find(|id| {
            get(&self.url(*id), "/v1/cluster/status").is_some_and(|s| s["state"] == "leader" && s["leader"] == *id)
        })
    }

    fn wait_leader(&self, within: Duration) -> u64 {
        let mut found = None;
        wait_until(within, "a leader", || {
            found = self.leader();
            found.is_some()
        });
        found.unwrap_or_else(|| unreachable!())
    }

    /// Waits until every live node has applied the same tip.
    fn wait_converged(&self, within: Duration) -> u64 {
        let mut height = 0;
        wait_until(within, "all nodes at the same tip", || {
            let tips: BTreeSet<(u64, String)> = self
                .live()
                .iter()
                .filter_map(|id| get(&self.url(*id), "/v1/status"))
                .map(|s| (s["height"].as_u64().unwrap_or(0), s["tip_hash"].as_str().unwrap_or("").to_owned()))
                .collect();
            let converged = tips.len() == 1 && self.live().len() == self.live().iter().filter(|id| get(&self.url(**id), "/healthz").is_some()).count();
            if let Some((h, _)) = tips.iter().next() {
                height = *h;
            }
            converged
        });
        height
    }

    /// Every live node has every header identical, and every acknowledged
    /// commitment.
    fn check_agreement(&self, acked: &[[u8; 32]]) {
        let height = self.wait_converged(Duration::from_secs(20));
        let urls: Vec<String> = self.live().iter().map(|id| self.url(*id)).collect();
        for h in 1..=height {
            let hashes: BTreeSet<String> = urls
                .iter()
                .map(|u| {
                    let b = get(u, &format!("/v1/blocks/{h}")).unwrap_or_else(|| panic!("block {h} from {u}"));
                    b["hash"].as_str().unwrap_or_default().to_owned()
                })
                .collect();
            assert_eq!(hashes.len(), 1, "nodes disagree on the header at height {h}: {hashes:?}");
        }
        for cm in acked {
            for u in &urls {
                assert!(
                    get(u, &format!("/v1/credentials/{}", hex::encode(cm))).is_some(),
                    "acknowledged credential {} is missing on {u}",
                    hex::encode(cm)
                );
            }
        }
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        for id in self.live() {
            self.kill(id);
        }
    }
}

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder().http_status_as_error(false).timeout_global(Some(Duration::from_secs(15))).build().into()
}

/// `GET url path` as JSON if it answered 200.
fn get(url: &str, path: &str) -> Option<Value> {
    let mut r = agent().get(&format!("{url}{path}")).call().ok()?;
    if r.status() != 200 {
        return None;
    }
    r.body_mut().read_json().ok()
}

fn wait_until(within: Duration, what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + within;
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

// ---------------------------------------------------------------------------
// The history and its specification

/// One credential as clients see it: issued or not. The registry is a set
/// of such independent objects (one per commitment), and linearizability is
/// local (Herlihy and Wing): a history is linearizable exactly when each
/// object's sub-history is, so each commitment gets its own tester and the
/// search stays small.
#[derive(Clone, Debug, Default, Hash, PartialEq, Eq)]
struct Credential(bool);

#[derive(Clone, Debug, Hash, PartialEq, Eq)]
enum Op {
    Issue([u8; 32]),
    Read([u8; 32]),
}

impl Op {
    fn key(&self) -> [u8; 32] {
        match self {
            Op::Issue(cm) | Op::Read(cm) => *cm,
        }
    }
}

#[derive(Clone, Debug, Hash, PartialEq, Eq)]
enum Ret {
    Issued,
    Present(bool),
}

impl SequentialSpec for Credential {
    type Op = Op;
    type Ret = Ret;
    fn invoke(&mut self, op: &Op) -> Ret {
        match op {
            Op::Issue(_) => {
                self.0 = true;
                Ret::Issued
            }
            Op::Read(_) => Ret::Present(self.0),
        }
    }
}

/// What the clients did, in real-time order (one lock for invoking and
/// returning), and what was acknowledged.
#[derive(Default)]
struct History {
    /// One tester per commitment.
    testers: BTreeMap<[u8; 32], LinearizabilityTester<u64, Credential>>,
    acked: Vec<[u8; 32]>,
    /// Commitments whose issuance was invoked (what readers look for).
    invoked: Vec<[u8; 32]>,
    /// Writes acknowledged: when each was sent and when it was
    /// acknowledged, since the load started.
    acked_at: Vec<(Duration, Duration)>,
    ops: usize,
    unknown: usize,
}

/// A steady load of issuances and linearizable reads over the live nodes.
struct Load {
    stop: Arc<AtomicBool>,
    history: Arc<Mutex<History>>,
    threads: Vec<std::thread::JoinHandle<()>>,
    started: Instant,
}

fn leaf_of(writer: usize, inner: &Fr) -> [u8; 32] {
    fr_to_bytes(&credential_leaf(&label(LabelDomain::Schema, SCHEMA), &label(LabelDomain::Issuer, &regulator_name(writer)), inner))
}

impl Load {
    fn start(urls: Arc<Mutex<Vec<String>>>, seed: u64) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let history = Arc::new(Mutex::new(History::default()));
        // Thread ids of the tester: a client whose call's outcome is unknown
        // retires its id (its call stays in flight forever) and takes a new one.
        let next_tid = Arc::new(AtomicU64::new(0));
        let started = Instant::now();
        let mut threads = Vec::new();
        for w in 0..WRITERS + READERS {
            let (stop, history, urls, next_tid) = (stop.clone(), history.clone(), urls.clone(), next_tid.clone());
            threads.push(std::thread::spawn(move || {
                let mut rng = ChaCha20Rng::seed_from_u64(seed * 100 + w as u64);
                let agent = agent();
                let mut tid = next_tid.fetch_add(1, Ordering::SeqCst);
                let mut nonce = (w as u64 + 1) << 40 | seed << 32;
                while !stop.load(Ordering::SeqCst) {
                    let url = {
                        let urls = urls.lock().unwrap();
                        urls[rng.gen_range(0..urls.len())].clone()
                    };
                    let writer = w < WRITERS;
                    let (op, inner) = if writer {
                        let inner = Fr::from(rng.gen::<u64>());
                        (Op::Issue(leaf_of(w, &inner)), Some(inner))
                    } else {
                        let h = history.lock().unwrap();
                        if h.invoked.is_empty() {
                            drop(h);
                            std::thread::sleep(Duration::from_millis(20));
                            continue;
                        }
                        let cm = h.invoked[rng.gen_range(0..h.invoked.len())];
                        (Op::Read(cm), None)
                    };
                    let sent_at = started.elapsed();
                    {
                        let mut h = history.lock().unwrap();
                        if let Op::Issue(cm) = op {
                            h.invoked.push(cm);
                        }
                        h.testers.entry(op.key()).or_insert_with(|| LinearizabilityTester::new(Credential::default())).on_invoke(tid, op.clone()).expect("invoke");
                        h.ops += 1;
                    }
                    let outcome = match (&op, inner) {
                        (Op::Issue(_), Some(inner)) => {
                            nonce += 1;
                            let body = TxBody::IssueCredential { schema: SCHEMA.into(), inner: fr_to_bytes(&inner) };
                            let tx = Transaction { chain_id: "zkreg-cluster-test".into(), signer: regulator_key(w).verifying_key().to_bytes(), nonce, body }
                                .sign(&regulator_key(w));
                            let body = serde_json::json!({ "tx": hex::encode(tx.to_bytes()) }).to_string();
                            match agent.post(&format!("{url}/v1/transactions")).header("content-type", "application/json").send(body) {
                                Ok(mut r) if r.status() == 200 => {
                                    let v: Value = r.body_mut().read_json().unwrap_or(Value::Null);
                                    assert_eq!(v["ok"], true, "issuance refused: {v}");
                                    Some(Ret::Issued)
                                }
                                // 503 (no leader, leader changed, …), a timeout, a refused connection:
                                // the write may or may not have happened.
                                _ => None,
                            }
                        }
                        (Op::Read(cm), _) => {
                            let path = format!("{url}/v1/credentials/{}?consistency=linearizable", hex::encode(cm));
                            match agent.get(&path).call() {
                                Ok(r) if r.status() == 200 => Some(Ret::Present(true)),
                                Ok(r) if r.status() == 404 => Some(Ret::Present(false)),
                                _ => None,
                            }
                        }
                        _ => unreachable!(),
                    };
                    let mut h = history.lock().unwrap();
                    match outcome {
                        Some(ret) => {
                            if let (Op::Issue(cm), Ret::Issued) = (&op, &ret) {
                                h.acked.push(*cm);
                                h.acked_at.push((sent_at, started.elapsed()));
                            }
                            h.testers.get_mut(&op.key()).expect("invoked").on_return(tid, ret).expect("return");
                        }
                        None => {
                            h.unknown += 1;
                            tid = next_tid.fetch_add(1, Ordering::SeqCst);
                            drop(h);
                            std::thread::sleep(Duration::from_millis(50));
                        }
                    }
                }
            }));
        }
        Load { stop, history, threads, started }
    }

    /// When the first write sent after `t` (since the load started) was
    /// acknowledged.
    fn first_ack_after(&self, t: Duration) -> Option<Duration> {
        self.history.lock().unwrap().acked_at.iter().filter(|(sent, _)| *sent > t).map(|(_, acked)| *acked).min()
    }

    fn finish(mut self) -> History {
        self.stop.store(true, Ordering::SeqCst);
        for t in self.threads.drain(..) {
            t.join().expect("a client thread panicked");
        }
        Arc::try_unwrap(self.history).ok().expect("no other owner").into_inner().unwrap()
    }
}

/// Checks the history for linearizability, one commitment at a time.
fn assert_linearizable(history: &mut History) {
    let ops = history.ops;
    for (cm, tester) in &history.testers {
        assert!(tester.is_consistent(), "the history of credential {} is not linearizable: {tester:?}", hex::encode(cm));
    }
    eprintln!(
        "linearizable: {ops} operations on {} credentials, {} acknowledged writes, {} calls with an unknown outcome",
        history.testers.len(),
        history.acked.len(),
        history.unknown
    );
}

/// Lets the load run a second more, stops it, and checks the cluster
/// agrees on every header and holds every acknowledged write, and that the
/// history is linearizable.
fn settle_and_check(cluster: &Cluster, load: Load) -> History {
    std::thread::sleep(Duration::from_secs(1));
    let mut history = load.finish();
    cluster.check_agreement(&history.acked);
    assert_linearizable(&mut history);
    history
}

fn urls_of(cluster: &Cluster) -> Arc<Mutex<Vec<String>>> {
    Arc::new(Mutex::new(cluster.live().iter().map(|id| cluster.url(*id)).collect()))
}

fn set_live(urls: &Arc<Mutex<Vec<String>>>, cluster: &Cluster) {
    *urls.lock().unwrap() = cluster.live().iter().map(|id| cluster.url(*id)).collect();
}

// ---------------------------------------------------------------------------
// Scenarios

#[test]
fn leader_killed_a_new_leader_serves_writes_within_3s_and_nothing_acknowledged_is_lost() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let mut cluster = Cluster::start(3, 1_000);
    let leader = cluster.wait_leader(Duration::from_secs(15));
    let urls = urls_of(&cluster);
    let load = Load::start(urls.clone(), 1);
    std::thread::sleep(Duration::from_secs(2));
    let before = load.history.lock().unwrap().acked.len();
    assert!(before > 0, "writes are acknowledged before the fault");

    let killed_at = load.started.elapsed();
    cluster.kill(leader);
    set_live(&urls, &cluster);
    let new_leader = cluster.wait_leader(Duration::from_secs(5));
    assert_ne!(new_leader, leader);
    wait_until(Duration::from_secs(5), "a write sent after the kill and acknowledged", || load.first_ack_after(killed_at).is_some());
    let failover = load.first_ack_after(killed_at).unwrap_or_default() - killed_at;
    eprintln!("failover: the first write sent after the leader was killed was acknowledged {} ms after the kill", failover.as_millis());
    assert!(failover < Duration::from_secs(3), "a new leader served writes {} ms after the kill", failover.as_millis());
    std::thread::sleep(Duration::from_secs(1));

    cluster.spawn(leader, true);
    set_live(&urls, &cluster);
    settle_and_check(&cluster, load);
}

#[test]
fn follower_killed_writes_go_on_and_it_catches_up_after_restart() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let mut cluster = Cluster::start(3, 1_000);
    let leader = cluster.wait_leader(Duration::from_secs(15));
    let follower = (1..=3).find(|id| *id != leader).unwrap_or(1);
    let urls = urls_of(&cluster);
    let load = Load::start(urls.clone(), 2);
    std::thread::sleep(Duration::from_secs(1));
    let killed_at = load.started.elapsed();
    cluster.kill(follower);
    set_live(&urls, &cluster);
    std::thread::sleep(Duration::from_secs(2));
    let after: usize = load.history.lock().unwrap().acked_at.iter().filter(|(sent, _)| *sent > killed_at).count();
    assert!(after > 0, "writes sent with a follower down are acknowledged");
    assert_eq!(cluster.leader(), Some(leader), "losing a follower does not change the leader");
    cluster.spawn(follower, true);
    set_live(&urls, &cluster);
    settle_and_check(&cluster, load);
}

#[test]
fn all_three_killed_and_restarted_lose_nothing_acknowledged() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let mut cluster = Cluster::start(3, 1_000);
    cluster.wait_leader(Duration::from_secs(15));
    let urls = urls_of(&cluster);
    let load = Load::start(urls.clone(), 3);
    std::thread::sleep(Duration::from_secs(2));
    for id in 1..=3 {
        cluster.kill(id);
    }
    // Clients keep trying (and fail) while every node is down.
    std::thread::sleep(Duration::from_millis(300));
    let acked_before_restart = load.history.lock().unwrap().acked.clone();
    assert!(!acked_before_restart.is_empty());
    for id in 1..=3 {
        cluster.spawn(id, true);
    }
    set_live(&urls, &cluster);
    cluster.wait_leader(Duration::from_secs(15));
    std::thread::sleep(Duration::from_secs(1));
    let history = settle_and_check(&cluster, load);
    assert!(history.acked.len() > acked_before_restart.len(), "writes are acknowledged again after the restart");
}

#[test]
fn a_fourth_node_added_as_a_learner_catches_up_through_a_snapshot() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    // A snapshot every 20 entries, so the log a newcomer would need is purged.
    let mut cluster = Cluster::start(3, 20);
    cluster.wait_leader(Duration::from_secs(15));
    let urls = urls_of(&cluster);
    let load = Load::start(urls.clone(), 4);
    wait_until(Duration::from_secs(30), "enough blocks for a snapshot and a purge", || {
        get(&cluster.url(1), "/v1/status").is_some_and(|s| s["height"].as_u64().unwrap_or(0) > 80)
    });
    cluster.spawn(4, false);
    let zkreg_cluster = |args: &[&str]| {
        let out = Command::new(env!("CARGO_BIN_EXE_zkreg")).arg("cluster").args(args).arg("--secret").arg(&cluster.secret).output().expect("run zkreg cluster");
        assert!(out.status.success(), "zkreg cluster {args:?}: {}", String::from_utf8_lossy(&out.stderr));
        out
    };
    zkreg_cluster(&["add-learner", "--node", &cluster.url(1), "--id", "4", "--addr", &format!("127.0.0.1:{}", cluster.ports[&4])]);
    // Promote it to a voter too: the cluster goes on with four.
    let promoted = zkreg_cluster(&["change-membership", "--node", &cluster.url(1), "--voters", "1,2,3,4", "--json"]);
    let status: Value = serde_json::from_slice(&promoted.stdout).expect("status JSON");
    assert_eq!(status["members"].as_array().map(|m| m.iter().filter(|m| m["voter"] == true).count()), Some(4));
    set_live(&urls, &cluster);
    settle_and_check(&cluster, load);
    let log = std::fs::read_to_string(cluster.log(4)).unwrap_or_default();
    assert!(log.contains("snapshot installed"), "node 4 caught up through a snapshot; its log:\n{log}");
}

#[test]
fn cluster_calls_without_the_secret_are_refused_and_change_nothing() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let cluster = Cluster::start(3, 1_000);
    let leader = cluster.wait_leader(Duration::from_secs(15));
    let url = cluster.url(leader);
    let status_before = get(&url, "/v1/cluster/status").expect("status");
    let wrong = cluster.dir.path().join("wrong.secret");
    std::fs::write(&wrong, hex::encode([0x11; 32])).expect("write");
    for args in [vec!["add-learner", "--id", "9", "--addr", "127.0.0.1:1"], vec!["change-membership", "--voters", "1"]] {
        let out = Command::new(env!("CARGO_BIN_EXE_zkreg"))
            .arg("cluster")
            .args(&args)
            .args(["--node", &url, "--secret"])
            .arg(&wrong)
            .output()
            .expect("run zkreg cluster");
        assert!(!out.status.success());
        assert!(String::from_utf8_lossy(&out.stderr).contains("bad_cluster_mac"), "{}", String::from_utf8_lossy(&out.stderr));
    }
    // Raft's own endpoints: no MAC, a wrong MAC, garbage with a right MAC.
    let agent = agent();
    let no_mac = agent.post(&format!("{url}/internal/raft/vote")).send(&b"x"[..]).expect("answer");
    assert_eq!(no_mac.status(), 401);
    let bad = agent.post(&format!("{url}/internal/raft/append")).header("x-zkreg-cluster-mac", "00".repeat(32)).send(&b"x"[..]).expect("answer");
    assert_eq!(bad.status(), 401);
    let garbage = b"\xff\xff\xff";
    let tag = hex::encode(zkreg_api::auth::cluster::mac(&[0x5e; 32], "/internal/raft/append", garbage));
    let mut answer = agent.post(&format!("{url}/internal/raft/append")).header("x-zkreg-cluster-mac", tag).send(&garbage[..]).expect("answer");
    assert_eq!(answer.status(), 400);
    let body: Value = answer.body_mut().read_json().expect("JSON error");
    assert_eq!(body["code"], "bad_message");
    let after = zkreg_api::client::Client::new(&url).cluster_status().expect("status");
    assert_eq!(after.members.len(), status_before["members"].as_array().map_or(0, |m| m.len()), "membership unchanged");
    assert_eq!(after.leader, Some(leader));
    // The leader knows what a majority holds; nothing is applied before it is committed.
    let (commit, applied) = (after.commit_index.expect("the leader's commit index"), after.applied_index.expect("applied"));
    assert!(commit >= applied && applied > 0, "commit {commit}, applied {applied}");
}

#[test]
fn every_node_signs_the_headers_and_a_wallet_accepts_only_roots_a_majority_signed() {
    let _serial = SERIAL.lock().unwrap_or_else(|e| e.into_inner());
    let mut cluster = Cluster::start_with(3, 1_000, true);
    cluster.wait_leader(Duration::from_secs(15));
    let urls = urls_of(&cluster);
    let load = Load::start(urls, 5);
    std::thread::sleep(Duration::from_secs(2));
    let history = load.finish();
    assert!(!history.acked.is_empty());
    let height = cluster.wait_converged(Duration::from_secs(10));
    let consortium: BTreeMap<u64, [u8; 32]> = (1..=3).map(|id| (id, node_key(id).verifying_key().to_bytes())).collect();
    let client = zkreg_api::client::Client::new(&cluster.url(2));
    // The signatures of a block arrive in a later entry: wait for all three on the tip.
    wait_until(Duration::from_secs(10), "three signatures of the tip", || {
        let b: zkreg_api::dto::Block = client.get_as(&format!("/v1/blocks/{height}")).expect("block");
        zkreg_api::client::attest::valid_signers(&b, &consortium).expect("signers") == 3
    });
    for h in 1..=height {
        for id in 1..=3 {
            let b: zkreg_api::dto::Block = zkreg_api::client::Client::new(&cluster.url(id)).get_as(&format!("/v1/blocks/{h}")).expect("block");
            let signers = zkreg_api::client::attest::valid_signers(&b, &consortium).expect("signers");
            assert!(signers >= 2, "block {h} on node {id} has {signers} valid signatures");
        }
    }
    // The wallet's check: the tip's root is accepted against the real consortium…
    let status = client.status().expect("status");
    let root = zkreg_circuits::field::fr_from_hex(&status.root).expect("root");
    assert!(client.attested_root(&root, &consortium, Duration::from_secs(5)).is_ok());
    // …and refused against a consortium whose keys did not sign (a node's own roots would be signed by one key at most).
    let forged: BTreeMap<u64, [u8; 32]> = (1..=3).map(|id| (id, node_key(id + 10).verifying_key().to_bytes())).collect();
    let err = client.attested_root(&root, &forged, Duration::from_millis(300)).unwrap_err();
    assert!(err.to_string().contains("not signed by a majority"), "{err}");
    // One honest signature is not a majority.
    let one: BTreeMap<u64, [u8; 32]> = [(1, node_key(1).verifying_key().to_bytes()), (7, node_key(17).verifying_key().to_bytes()), (8, node_key(18).verifying_key().to_bytes())].into();
    assert!(client.attested_root(&root, &one, Duration::from_millis(300)).is_err());

    // A node whose key is not the one the genesis lists refuses to start.
    cluster.kill(3);
    let wrong = cluster.dir.path().join("node-3.key");
    let other = node_key(33);
    std::fs::write(&wrong, serde_json::json!({"public": hex::encode(other.verifying_key().to_bytes()), "secret": hex::encode(other.to_bytes())}).to_string()).expect("write");
    let out = Command::new(env!("CARGO_BIN_EXE_zkreg"))
        .args(["node", "--node-id", "3", "--listen", &format!("127.0.0.1:{}", cluster.ports[&3]), "--peers", &cluster.peers])
        .arg("--cluster-secret-file")
        .arg(&cluster.secret)
        .arg("--data-dir")
        .arg(cluster.data(3))
        .arg("--node-key-file")
        .arg(&wrong)
        .output()
        .expect("run zkreg node");
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("the genesis lists node 3 with key"), "{}", String::from_utf8_lossy(&out.stderr));
}

#[test]
fn the_checker_refuses_a_stale_read_after_an_acknowledged_write() {
    let cm = [7u8; 32];
    // Client 0 issues and is acknowledged; afterwards client 1 reads it absent.
    let mut stale = LinearizabilityTester::<u64, Credential>::new(Credential::default());
    stale.on_invoke(0, Op::Issue(cm)).and_then(|t| t.on_return(0, Ret::Issued)).expect("history");
    stale.on_invoke(1, Op::Read(cm)).and_then(|t| t.on_return(1, Ret::Present(false))).expect("history");
    assert!(!stale.is_consistent());
    // Concurrent with the write, either answer is fine.
    let mut concurrent = LinearizabilityTester::<u64, Credential>::new(Credential::default());
    concurrent.on_invoke(0, Op::Issue(cm)).expect("history");
    concurrent.on_invoke(1, Op::Read(cm)).and_then(|t| t.on_return(1, Ret::Present(false))).expect("history");
    concurrent.on_return(0, Ret::Issued).expect("history");
    assert!(concurrent.is_consistent());
    // A write whose outcome is unknown may have happened.
    let mut unknown = LinearizabilityTester::<u64, Credential>::new(Credential::default());
    unknown.on_invoke(0, Op::Issue(cm)).expect("history");
    unknown.on_invoke(1, Op::Read(cm)).and_then(|t| t.on_return(1, Ret::Present(true))).expect("history");
    assert!(unknown.is_consistent());
}
