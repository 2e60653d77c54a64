//! Replication: the node as one replica of a consortium cluster on Raft
//! (openraft). The leader's sequencer cuts batches from its mempool and
//! proposes them; each replica's state machine applies them to its ledger
//! ([`zkreg_registry::raft`]). A write is acknowledged once a majority has
//! the entry on disk and the leader has applied it (its receipt is on disk);
//! a write sent to a follower is forwarded to the leader, and the follower
//! answers once it has applied the block itself (read your writes).
//!
//! Raft runs on a tokio runtime of its own; [`Replica::run`] drives one of
//! its futures from any thread (HTTP workers, the block producer).

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::future::Future;
use std::sync::{mpsc, Arc, Mutex};
use std::time::{Duration, Instant};

use openraft::error::{ClientWriteError, RaftError};
use openraft::{ChangeMembers, Raft, RaftMetrics, ServerState, SnapshotPolicy};

use zkreg_registry::attest::Attestation;
use zkreg_registry::raft::{Batch, ClusterNode, LogStore, NodeId, OnApplied, StateMachine, TypeConfig};
use zkreg_registry::tx::Hash;
use zkreg_registry::{AppliedBlock, Ledger, Mempool, MempoolConfig, SignedTransaction, TxError};

use super::config::ClusterConfig;
use crate::dto::{ClusterStatus, MemberStatus};
use crate::error::ApiError;

pub mod network;

use network::HttpNetwork;

/// What the state machine tells the node after it applies: a block, or a
/// snapshot installed (no block).
pub type AppliedEvent = Option<AppliedBlock>;

/// One replica: Raft, its runtime, the ledger it applies to and the
/// mempool its sequencer cuts from while it leads.
pub struct Replica {
    id: NodeId,
    raft: Raft<TypeConfig>,
    /// Always `Some` until dropped.
    runtime: Option<tokio::runtime::Runtime>,
    ledger: Arc<Mutex<Ledger>>,
    mempool: Mutex<Mempool>,
    /// Transactions in a batch proposed and not yet answered.
    in_flight: Mutex<HashSet<Hash>>,
    secret: [u8; 32],
    agent: ureq::Agent,
    /// This node's key for signing headers, if the consortium lists it.
    signer: Option<ed25519_dalek::SigningKey>,
    /// Signatures of headers waiting for the leader's next batch.
    attestations: Mutex<Vec<Attestation>>,
}

/// Most signatures the leader holds for its next batches (a bound, not a
/// limit met in operation: each batch takes them all).
const MAX_PENDING_ATTESTATIONS: usize = 10_000;

fn state_name(s: ServerState) -> &'static str {
    match s {
        ServerState::Leader => "leader",
        ServerState::Follower => "follower",
        ServerState::Candidate => "candidate",
        ServerState::Learner => "learner",
        ServerState::Shutdown => "shutdown",
    }
}

impl Replica {
    /// Starts Raft over `ledger` (the chain in `data_dir`) with the sled log
    /// beside it. Every applied block (or installed snapshot) is sent on
    /// `applied`.
    pub fn start(
        ledger: Ledger,
        data_dir: &std::path::Path,
        cluster: &ClusterConfig,
        mempool: MempoolConfig,
        applied: mpsc::Sender<AppliedEvent>,
    ) -> Result<Self, ApiError> {
        let log = LogStore::open(&ledger)?;
        let signer = Self::check_node_key(&ledger, cluster)?;
        let ledger = Arc::new(Mutex::new(ledger));
        let applied = Mutex::new(applied);
        let hook: OnApplied = Arc::new(move |_ledger: &Ledger, block: Option<&AppliedBlock>| {
            let _ = applied.lock().unwrap_or_else(|e| e.into_inner()).send(block.cloned());
        });
        let sm = StateMachine::new(ledger.clone(), data_dir, Some(hook));
        let config = openraft::Config {
            cluster_name: "zkreg".into(),
            heartbeat_interval: cluster.heartbeat.as_millis() as u64,
            election_timeout_min: cluster.election_timeout.0.as_millis() as u64,
            election_timeout_max: cluster.election_timeout.1.as_millis() as u64,
            snapshot_policy: SnapshotPolicy::LogsSinceLast(cluster.snapshot_after),
            // Entries kept behind a snapshot for a follower a little behind;
            // one further back is sent the snapshot.
            max_in_snapshot_log_to_keep: cluster.snapshot_after.min(100),
            install_snapshot_timeout: 10_000,
            ..Default::default()
        };
        let config = Arc::new(config.validate().map_err(|e| ApiError::caused("the Raft configuration", e))?);
        let network = HttpNetwork::new(cluster.secret);
        // Everything that can fail without the runtime is done: from here a
        // failure must not drop the runtime on an async thread (see `Drop`).
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("raft")
            .enable_all()
            .build()
            .map_err(|e| ApiError::caused("starting the Raft runtime", e))?;
        let (id, handle) = (cluster.node_id, runtime.handle().clone());
        let raft = match Self::block_on_thread(&handle, async move { Raft::new(id, config, network, log, sm).await }) {
            Ok(raft) => raft,
            Err(e) => {
                runtime.shutdown_background();
                return Err(ApiError::caused("starting Raft", e));
            }
        };
        let agent = ureq::Agent::config_builder().http_status_as_error(false).timeout_global(Some(Duration::from_secs(15))).build().into();
        Ok(Replica {
            id,
            raft,
            runtime: Some(runtime),
            ledger,
            mempool: Mutex::new(Mempool::new(mempool)),
            in_flight: Mutex::new(HashSet::new()),
            secret: cluster.secret,
            agent,
            signer,
            attestations: Mutex::new(Vec::new()),
        })
    }

    /// The key this node signs headers with: the genesis' consortium must
    /// list this node with it. A chain with no consortium has no signed
    /// headers; a node the consortium lists must have its key.
    fn check_node_key(ledger: &Ledger, cluster: &ClusterConfig) -> Result<Option<ed25519_dalek::SigningKey>, ApiError> {
        let keys = ledger.genesis().consortium_keys().map_err(|e| ApiError::internal(format!("the genesis' consortium: {e}")))?;
        let listed = keys.get(&cluster.node_id);
        match (&cluster.node_key, listed) {
            (None, None) => Ok(None),
            (Some(key), Some(listed)) if key.verifying_key().to_bytes() == *listed => Ok(Some(key.clone())),
            (Some(key), Some(listed)) => Err(ApiError::internal(format!(
                "the genesis lists node {} with key {}, but the node key is {}",
                cluster.node_id,
                hex::encode(listed),
                hex::encode(key.verifying_key().to_bytes())
            ))),
            (None, Some(_)) => Err(ApiError::internal(format!("the genesis' consortium lists node {}: give it its node key", cluster.node_id))),
            (Some(_), None) if keys.is_empty() => {
                tracing::warn!("the genesis names no consortium: this node's headers are not signed");
                Ok(None)
            }
            (Some(_), None) => Err(ApiError::internal(format!("the genesis' consortium does not list node {}", cluster.node_id))),
        }
    }

    /// Signs `header` (if this node signs) and hands the signature to the
    /// leader for its next batch.
    pub fn attest(&self, header: &zkreg_registry::BlockHeader) {
        let Some(key) = &self.signer else { return };
        let attestation = zkreg_registry::attest::sign(key, self.id, header);
        if self.is_leader() {
            self.accept_attestation(attestation);
            return;
        }
        let Some((_, addr)) = self.leader() else {
            tracing::warn!(height = header.height, "no leader to take this node's header signature");
            return;
        };
        // Sent from the thread that publishes blocks: a leader that hangs must not hold it up.
        let agent: ureq::Agent = ureq::Agent::config_builder().http_status_as_error(false).timeout_global(Some(Duration::from_secs(1))).build().into();
        let sent: Result<(), network::PostError> = network::post(&agent, &self.secret, &addr, network::ATTEST_PATH, &attestation);
        if let Err(e) = sent {
            tracing::warn!(height = header.height, error = %e, "the header signature did not reach the leader");
        }
    }

    /// Takes a node's header signature for the next batch (it is checked
    /// when the batch is applied, on every replica alike).
    pub fn accept_attestation(&self, attestation: Attestation) {
        let mut pending = self.attestations.lock().unwrap_or_else(|e| e.into_inner());
        if pending.len() < MAX_PENDING_ATTESTATIONS {
            pending.push(attestation);
        }
    }

    /// Runs `fut` on the Raft runtime from a thread that may itself be in
    /// another runtime, and waits for it.
    fn block_on_thread<T: Send + 'static>(handle: &tokio::runtime::Handle, fut: impl Future<Output = T> + Send + 'static) -> T {
        let (tx, rx) = mpsc::sync_channel(1);
        handle.spawn(async move {
            let _ = tx.send(fut.await);
        });
        rx.recv().unwrap_or_else(|_| unreachable!("the Raft runtime runs until the replica is dropped"))
    }

    /// Runs one of Raft's futures to its end (see the module doc).
    pub fn run<T: Send + 'static>(&self, fut: impl Future<Output = T> + Send + 'static) -> T {
        let runtime = self.runtime.as_ref().unwrap_or_else(|| unreachable!("the runtime lives as long as the replica"));
        Self::block_on_thread(runtime.handle(), fut)
    }

    /// The Raft handle (for the node-to-node endpoints).
    pub fn raft(&self) -> &Raft<TypeConfig> {
        &self.raft
    }

    /// The cluster secret.
    pub fn secret(&self) -> &[u8; 32] {
        &self.secret
    }

    /// The ledger (locked while a block is applied).
    pub fn ledger(&self) -> std::sync::MutexGuard<'_, Ledger> {
        self.ledger.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// This node's id.
    pub fn id(&self) -> NodeId {
        self.id
    }

    fn metrics(&self) -> RaftMetrics<NodeId, ClusterNode> {
        self.raft.metrics().borrow().clone()
    }

    /// Whether this node leads now.
    pub fn is_leader(&self) -> bool {
        let m = self.metrics();
        m.state == ServerState::Leader && m.current_leader == Some(self.id)
    }

    /// The leader's id and `host:port`, if one is known.
    pub fn leader(&self) -> Option<(NodeId, String)> {
        let m = self.metrics();
        let id = m.current_leader?;
        let addr = m.membership_config.membership().get_node(&id)?.addr.clone();
        Some((id, addr))
    }

    /// Waits up to `timeout` for a leader to be known.
    pub fn wait_for_leader(&self, timeout: Duration) -> Option<(NodeId, String)> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(l) = self.leader() {
                return Some(l);
            }
            if Instant::now() >= deadline {
                return None;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Admits `stx` to this node's mempool (the leader's), after the
    /// ledger's checks.
    pub fn admit(&self, stx: SignedTransaction) -> Result<Hash, TxError> {
        let mut mempool = self.mempool.lock().unwrap_or_else(|e| e.into_inner());
        let ledger = self.ledger();
        mempool.admit(stx, &ledger)
    }

    /// Transactions waiting in the mempool.
    pub fn pending(&self) -> usize {
        self.mempool.lock().unwrap_or_else(|e| e.into_inner()).len()
    }

    /// Whether `id` is still in this node's hands: waiting in the mempool
    /// or in a batch proposed and not yet answered.
    pub fn holds(&self, id: &Hash) -> bool {
        // The mempool first, as `produce` locks them (and never both here at once
        // in the other order).
        let waiting = self.mempool.lock().unwrap_or_else(|e| e.into_inner()).contains(id);
        waiting || self.in_flight.lock().unwrap_or_else(|e| e.into_inner()).contains(id)
    }

    /// The leader's sequencer: cuts one batch from the mempool and proposes
    /// it, returning once it is committed by a majority and applied here.
    /// On a node that does not lead, the mempool is emptied instead: those
    /// transactions' callers are told to retry ([`Replica::holds`]).
    pub fn produce(&self, time: u64) -> Result<(), ApiError> {
        if !self.is_leader() {
            let mut mempool = self.mempool.lock().unwrap_or_else(|e| e.into_inner());
            if !mempool.is_empty() {
                let dropped = mempool.clear();
                tracing::warn!(dropped, "leadership lost: waiting transactions dropped, their callers are told to retry");
            }
            return Ok(());
        }
        let attestations = std::mem::take(&mut *self.attestations.lock().unwrap_or_else(|e| e.into_inner()));
        let (txs, ids) = {
            let mut mempool = self.mempool.lock().unwrap_or_else(|e| e.into_inner());
            let txs = mempool.propose(&self.ledger(), time).map(|p| p.txs).unwrap_or_default();
            // In flight before the mempool lets go of them: never held by neither.
            let ids: Vec<Hash> = txs.iter().map(|t| t.tx.id()).collect();
            self.in_flight.lock().unwrap_or_else(|e| e.into_inner()).extend(ids.iter().copied());
            (txs, ids)
        };
        if txs.is_empty() && attestations.is_empty() {
            return Ok(());
        }
        let raft = self.raft.clone();
        let batch = Batch { time, txs, attestations };
        let written = self.run(async move { raft.client_write(batch).await });
        {
            let mut in_flight = self.in_flight.lock().unwrap_or_else(|e| e.into_inner());
            for id in &ids {
                in_flight.remove(id);
            }
        }
        match written {
            Ok(_) => Ok(()),
            Err(RaftError::APIError(ClientWriteError::ForwardToLeader(f))) => {
                tracing::warn!(txs = ids.len(), leader = ?f.leader_id, "leadership lost with a batch in flight; its callers are told to retry");
                Ok(())
            }
            Err(e) => Err(ApiError::caused("proposing a batch", e)),
        }
    }

    /// The index up to which a read must wait to be linearizable: asked of
    /// Raft on the leader (which confirms it still leads with a quorum), of
    /// the leader over the cluster channel on a follower.
    pub fn read_index(&self) -> Result<u64, ApiError> {
        if self.is_leader() {
            return self.local_read_index();
        }
        let (_, addr) = self.wait_for_leader(Duration::from_secs(3)).ok_or_else(no_leader)?;
        let answer: Result<Option<u64>, String> =
            network::post(&self.agent, &self.secret, &addr, network::READ_INDEX_PATH, &()).map_err(|e| unreachable_leader(&e.to_string()))?;
        answer.map(|i| i.unwrap_or(0)).map_err(|e| ApiError::Retry { code: "leader_changed", message: e, retry_after: 1 })
    }

    /// The leader's read index (see [`Replica::read_index`]).
    pub fn local_read_index(&self) -> Result<u64, ApiError> {
        let raft = self.raft.clone();
        let read = self.run(async move { raft.ensure_linearizable().await });
        match read {
            Ok(log_id) => Ok(log_id.map_or(0, |l| l.index)),
            Err(e) => Err(ApiError::Retry { code: "leader_changed", message: format!("this node cannot confirm it leads: {e}"), retry_after: 1 }),
        }
    }

    /// Waits until this node has applied `index` (or the timeout passes).
    pub fn wait_applied(&self, index: u64, timeout: Duration) -> Result<(), ApiError> {
        let raft = self.raft.clone();
        let waited = self.run(async move { raft.wait(Some(timeout)).applied_index_at_least(Some(index), "linearizable read").await });
        waited.map(|_| ()).map_err(|_| ApiError::Retry {
            code: "replica_behind",
            message: "this node has not caught up with the leader in time; retry, or read from another node".into(),
            retry_after: 1,
        })
    }

    /// Forwards a signed transaction to the leader's public endpoint and
    /// returns its answer.
    pub fn forward(&self, stx: &SignedTransaction) -> Result<crate::dto::TxReceipt, ApiError> {
        let (_, addr) = self.wait_for_leader(Duration::from_secs(3)).ok_or_else(no_leader)?;
        let client = crate::client::Client::new(&format!("http://{addr}"));
        match client.submit_signed(stx) {
            Ok(r) => Ok(r),
            Err(crate::client::ClientError::Api { status, code, message }) if status == 422 => {
                // The receipt of a transaction the ledger refused is a receipt.
                Err(ApiError::Forwarded { status, code, message })
            }
            Err(crate::client::ClientError::Api { status, code, message }) => Err(ApiError::Forwarded { status, code, message }),
            Err(e) => Err(unreachable_leader(&e.to_string())),
        }
    }

    /// The cluster as this node sees it.
    pub fn status(&self) -> ClusterStatus {
        let m = self.metrics();
        let membership = m.membership_config.membership();
        let voters: BTreeSet<NodeId> = membership.voter_ids().collect();
        let last = m.last_log_index.unwrap_or(0);
        let members = membership
            .nodes()
            .map(|(id, node)| MemberStatus {
                id: *id,
                addr: node.addr.clone(),
                voter: voters.contains(id),
                lag: m.replication.as_ref().and_then(|r| r.get(id)).map(|matched| last.saturating_sub(matched.map_or(0, |l| l.index))),
            })
            .collect();
        let leader_addr = m.current_leader.and_then(|l| membership.get_node(&l)).map(|n| n.addr.clone());
        // Committed: the index a majority of the voters has matched (the leader knows).
        let commit_index = m.replication.as_ref().and_then(|r| {
            let mut matched: Vec<u64> = voters.iter().map(|id| r.get(id).copied().flatten().map_or(0, |l| l.index)).collect();
            matched.sort_unstable_by(|a, b| b.cmp(a));
            matched.get(zkreg_registry::attest::majority(voters.len()) - 1).copied()
        });
        ClusterStatus {
            node_id: self.id,
            state: state_name(m.state).into(),
            leader: m.current_leader,
            leader_addr,
            term: m.current_term,
            last_log_index: m.last_log_index,
            applied_index: m.last_applied.map(|l| l.index),
            commit_index,
            members,
        }
    }

    /// Initialises a new cluster of `members` (id → `host:port`); once, on
    /// one node.
    pub fn initialize(&self, members: BTreeMap<NodeId, String>) -> Result<(), ApiError> {
        let raft = self.raft.clone();
        let nodes: BTreeMap<NodeId, ClusterNode> = members.into_iter().map(|(id, addr)| (id, ClusterNode { addr })).collect();
        self.run(async move { raft.initialize(nodes).await })
            .map_err(|e| ApiError::Unprocessable { code: "cluster_initialized", message: e.to_string() })
    }

    /// On its first start, the member with the lowest id among `peers`
    /// initialises the cluster with them; anywhere else, or once the log
    /// holds anything, nothing happens.
    pub fn bootstrap(&self, peers: &BTreeMap<NodeId, String>) -> Result<(), ApiError> {
        if peers.keys().next() != Some(&self.id) {
            return Ok(());
        }
        // Asked of Raft itself: its metrics may not yet show the log it loaded.
        let raft = self.raft.clone();
        if self.run(async move { raft.is_initialized().await }).map_err(|e| ApiError::caused("reading Raft's state", e))? {
            return Ok(());
        }
        tracing::info!(?peers, "initialising the cluster");
        self.initialize(peers.clone())
    }

    /// Adds a learner (which catches up, by snapshot if it is far behind),
    /// returning once it has caught up.
    pub fn add_learner(&self, id: NodeId, addr: String) -> Result<(), ApiError> {
        self.leader_only()?;
        let raft = self.raft.clone();
        self.run(async move { raft.add_learner(id, ClusterNode { addr }, true).await }).map(|_| ()).map_err(membership_error)
    }

    /// Makes `voters` the voting members (others become learners if `retain`).
    pub fn change_membership(&self, voters: BTreeSet<NodeId>, retain: bool) -> Result<(), ApiError> {
        self.leader_only()?;
        let raft = self.raft.clone();
        self.run(async move { raft.change_membership(ChangeMembers::ReplaceAllVoters(voters), retain).await })
            .map(|_| ())
            .map_err(membership_error)
    }

    fn leader_only(&self) -> Result<(), ApiError> {
        if self.is_leader() {
            return Ok(());
        }
        let message = match self.leader() {
            Some((id, addr)) => format!("this node does not lead; node {id} at {addr} does"),
            None => "no leader is known yet".into(),
        };
        Err(ApiError::Retry { code: "not_leader", message, retry_after: 1 })
    }

    /// Stops Raft.
    pub fn shutdown(&self) {
        let raft = self.raft.clone();
        let _ = self.run(async move { raft.shutdown().await });
    }
}

impl Drop for Replica {
    /// Stops the Raft runtime without waiting for its tasks: a replica may
    /// be dropped on an async thread (a node that failed to start inside an
    /// actix system), where a blocking shutdown is not allowed.
    fn drop(&mut self) {
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}

fn membership_error(e: RaftError<NodeId, ClientWriteError<NodeId, ClusterNode>>) -> ApiError {
    match e {
        RaftError::APIError(ClientWriteError::ForwardToLeader(f)) => {
            ApiError::Retry { code: "not_leader", message: format!("this node does not lead (leader: {:?})", f.leader_id), retry_after: 1 }
        }
        RaftError::APIError(ClientWriteError::ChangeMembershipError(c)) => ApiError::Unprocessable { code: "bad_membership", message: c.to_string() },
        other => ApiError::caused("changing the membership", other),
    }
}

fn no_leader() -> ApiError {
    ApiError::Retry { code: "no_leader", message: "the cluster has no leader at the moment (an election is under way); retry".into(), retry_after: 1 }
}

fn unreachable_leader(why: &str) -> ApiError {
    ApiError::Retry { code: "leader_unreachable", message: format!("the leader could not be reached ({why}); retry"), retry_after: 1 }
}
