//! The service layer: the node's use cases, one module each, over the
//! stores it owns. It knows nothing of HTTP; the HTTP layer
//! ([`crate::http`]) turns a request into one call here and the answer back.
//!
//! | module | use case |
//! | --- | --- |
//! | [`transactions`] | submit a signed transaction and wait for its receipt |
//! | [`requests`] | issue a proof request (the request book) |
//! | [`verification`] | verify presentations, one or a batch |
//! | [`chain`] | read the chain, the tree and the registry |
//! | [`explorer`] | the web explorer's reads: block pages, transactions in detail |
//! | [`governance`] | read governance proposals and where each stands |
//! | [`admission`] | authenticate a verifier's signed call |
//! | [`private`] | the regulator's private records, grants and audit log |
//! | [`dp`] | private statistics: analysts' differentially private queries and budgets |
//! | [`producer`] | cut blocks on a timer, prune what expired |
//!
//! [`Node`] owns the block producer (ledger and mempool), a reader of the
//! chain's store, the node-local store (request book, nonce cache), the
//! snapshot verifiers read ([`View`]) and the metrics.

use std::sync::atomic::AtomicBool;
use std::sync::{mpsc, Arc, Condvar, Mutex, RwLock};
use std::time::{Duration, Instant};

use zkreg_registry::local::LocalTree;
use zkreg_registry::store::Store;
use zkreg_registry::{BlockProducer, Ledger, LocalStore, MempoolConfig};
use zkreg_verifier::PredicateVerifier;

use crate::auth::{Admission, AdmissionLimits};
use crate::error::ApiError;
use crate::metrics::NodeMetrics;

pub mod admission;
pub mod chain;
pub mod cluster;
pub mod dp;
pub mod explorer;
mod config;
pub mod governance;
pub mod private;
pub mod producer;
pub mod replication;
pub mod requests;
pub mod stats;
pub mod transactions;
pub mod verification;
mod view;

pub use config::{ClusterConfig, NodeConfig};
pub use requests::{IssuedRequest, RequestBook};
pub use view::{NodeLedgerView, View};

/// Unix seconds now: the one clock of the node.
pub fn now_secs() -> u64 {
    zkreg_circuits::clock::unix_now()
}

/// Who orders blocks, and where the ledger lives.
enum Chain {
    /// A single node: its own block producer orders and applies.
    Single(Mutex<BlockProducer>),
    /// A replica of a consortium cluster: Raft orders, every replica applies.
    Replicated(Box<replication::Replica>),
}

/// The node's state and use cases. Shared by the HTTP workers and the
/// background threads ([`producer::Workers`]).
pub struct Node {
    chain: Chain,
    /// What a replica's state machine applied, for the node to publish.
    applied_events: Mutex<Option<mpsc::Receiver<replication::AppliedEvent>>>,
    store: Store,
    chain_id: String,
    view: RwLock<Arc<View>>,
    /// Height of the last applied block; notified after each block.
    applied: (Mutex<u64>, Condvar),
    verifier: RwLock<Option<Arc<PredicateVerifier>>>,
    requests: RequestBook,
    authorities: Vec<[u8; 32]>,
    admission: Admission,
    config: NodeConfig,
    metrics: NodeMetrics,
    /// The regulator's private layer, on a node given a data key.
    private: Option<private::PrivateLayer>,
    /// The banks' calls this node answered, per day ([`stats`]).
    activity: stats::Activity,
    stop: AtomicBool,
}

impl Node {
    /// Opens the ledger in `config.data_dir` (creating it from
    /// `config.genesis` if new) and the node-local store beside it, moving
    /// an older node's local keyspaces out of the chain's database.
    pub fn open(config: NodeConfig) -> Result<Self, ApiError> {
        let ledger = Ledger::open(&config.data_dir, config.genesis.as_ref())?;
        let store = ledger.store().clone();
        let local = LocalStore::open(&config.data_dir)?;
        let moved = local.migrate_from(&store)?;
        if moved > 0 {
            tracing::info!(moved, "node-local entries moved out of the chain's database");
        }
        let view = View::of(&ledger)?;
        let height = ledger.height();
        let authorities = ledger.genesis().authority_keys().map_err(|e| ApiError::internal(format!("the genesis' authority keys: {e}")))?;
        let metrics = NodeMetrics::new().map_err(|e| ApiError::caused("registering the metrics", e))?;
        metrics.set_tip(&view.tip);
        metrics.set_pending(0);
        let requests = RequestBook::open(local.tree(LocalTree::Requests)?, config.max_open_requests, now_secs())?;
        let limits = AdmissionLimits {
            max_seen_nonces: config.max_seen_nonces,
            max_seen_nonces_per_key: config.max_seen_nonces_per_key,
            rate_per_s: config.verifier_rate_per_s,
            burst: config.verifier_burst,
        };
        let admission = Admission::open(local.tree(LocalTree::SeenNonces)?, limits, now_secs())
            .map_err(|e| ApiError::caused("opening the nonce cache", e))?;
        metrics.set_seen_nonces(admission.len());
        let activity = stats::Activity::new(local.tree(LocalTree::Activity)?);
        let chain_id = ledger.genesis().chain_id.clone();
        let private = match &config.private {
            None => None,
            Some(p) => {
                // The key says whose records these are; a name given must agree.
                let key = p.key.verifying_key().to_bytes();
                let Some(name) = ledger.registry().regulator_by_key(&key).map(|r| r.name.clone()) else {
                    return Err(ApiError::internal("the private layer's key is not an active regulator's on the ledger"));
                };
                if !p.issuer.is_empty() && p.issuer != name {
                    return Err(ApiError::internal(format!("the private layer's key is regulator {name:?}'s, not {:?}'s", p.issuer)));
                }
                let mut p = p.clone();
                p.issuer = name;
                Some(private::PrivateLayer::open(p, &local, &config.data_dir.join("private"))?)
            }
        };
        let (chain, applied_events) = match &config.cluster {
            None => (Chain::Single(Mutex::new(BlockProducer::new(ledger, MempoolConfig::default()))), None),
            Some(cluster) => {
                let (send, receive) = mpsc::channel();
                let replica = replication::Replica::start(ledger, &config.data_dir, cluster, MempoolConfig::default(), send)?;
                tracing::info!(node_id = cluster.node_id, advertise = %cluster.advertise, "replica started");
                replica.bootstrap(&cluster.peers)?;
                (Chain::Replicated(Box::new(replica)), Some(receive))
            }
        };
        Ok(Node {
            chain_id,
            chain,
            applied_events: Mutex::new(applied_events),
            store,
            view: RwLock::new(Arc::new(view)),
            applied: (Mutex::new(height), Condvar::new()),
            verifier: RwLock::new(None),
            requests,
            authorities,
            admission,
            config,
            metrics,
            private,
            activity,
            stop: AtomicBool::new(false),
        })
    }

    /// How the node runs.
    pub fn config(&self) -> &NodeConfig {
        &self.config
    }

    /// The chain id of the genesis: every transaction names it.
    pub fn chain_id(&self) -> &str {
        &self.chain_id
    }

    /// This node's Prometheus metrics.
    pub fn metrics(&self) -> &NodeMetrics {
        &self.metrics
    }

    /// Proof requests held in the request book (open, answered, or expired
    /// and not yet pruned).
    pub fn stored_requests(&self) -> usize {
        self.requests.len()
    }

    /// Runs `read` with the ledger locked: the lock is held while a block is
    /// applied and flushed, so call it off any thread that serves others.
    fn with_ledger<T>(&self, read: impl FnOnce(&Ledger) -> T) -> T {
        match &self.chain {
            Chain::Single(producer) => read(producer.lock().unwrap_or_else(|e| e.into_inner()).ledger()),
            Chain::Replicated(replica) => read(&replica.ledger()),
        }
    }

    /// This node's replica of the cluster, if it runs in one.
    pub fn replica(&self) -> Option<&replication::Replica> {
        match &self.chain {
            Chain::Single(_) => None,
            Chain::Replicated(r) => Some(r),
        }
    }

    /// Takes a new snapshot after a block and wakes those waiting for it.
    fn refresh(&self, ledger: &Ledger) -> Result<(), ApiError> {
        let view = View::of(ledger)?;
        self.metrics.set_tip(&view.tip);
        *self.view.write().unwrap_or_else(|e| e.into_inner()) = Arc::new(view);
        let (height, cv) = &self.applied;
        *height.lock().unwrap_or_else(|e| e.into_inner()) = ledger.height();
        cv.notify_all();
        Ok(())
    }

    /// The snapshot verifiers read: the tip, the root window and the
    /// registry after the last applied block.
    pub fn view(&self) -> Arc<View> {
        self.view.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Waits until a block above `height` has been applied, or the timeout
    /// passes; whether one was.
    pub fn wait_for_block_after(&self, height: u64, timeout: Duration) -> bool {
        let (h, cv) = &self.applied;
        let deadline = Instant::now() + timeout;
        let mut current = h.lock().unwrap_or_else(|e| e.into_inner());
        while *current <= height {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return false;
            }
            current = cv.wait_timeout(current, left).unwrap_or_else(|e| e.into_inner()).0;
        }
        true
    }
}
