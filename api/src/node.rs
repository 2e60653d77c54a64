//! The node: the ledger behind a mutex, a block producer that cuts and
//! flushes blocks on a timer, a snapshot of what verifiers read (roots in the
//! window, registry), proof requests issued by this node, and the actix-web
//! server.

use std::net::TcpListener;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex, RwLock};
use std::time::{Duration, Instant};

use actix_web::{web, App, HttpServer};
use ark_bn254::Fr;

use zkreg_circuits::constants::PREDICATE_CIRCUIT_ID;
use zkreg_registry::state::CredentialKind;
use zkreg_registry::store::Store;
use zkreg_registry::local::LocalTree;
use zkreg_registry::{BlockHeader, BlockProducer, Genesis, Ledger, LocalStore, MempoolConfig, Registry};
use zkreg_verifier::{LedgerView, PredicateVerifier, RangeCredential};

use crate::auth::{Admission, AdmissionLimits};
use crate::error::ApiError;
use crate::metrics::NodeMetrics;
use crate::requests::RequestBook;

/// How the node runs.
#[derive(Clone, Debug)]
pub struct NodeConfig {
    /// Data directory (sled).
    pub data_dir: PathBuf,
    /// Genesis, needed for a new data directory.
    pub genesis: Option<Genesis>,
    /// Cut a block at least this often.
    pub block_interval: Duration,
    /// Largest request body accepted.
    pub max_body_bytes: usize,
    /// How many days a proof's `today` may differ from the node's.
    pub day_tolerance: u32,
    /// How long a submitted transaction may wait for its block.
    pub commit_timeout: Duration,
    /// How far a signed request's timestamp may be from the node's clock,
    /// either way; also how long its nonce is remembered (see [`crate::auth`]).
    pub signature_window: Duration,
    /// Most (key, nonce) pairs remembered at once, all verifiers together;
    /// past that, signed requests get 503 until older pairs leave the window.
    /// A backstop: each key is held to [`Self::max_seen_nonces_per_key`].
    pub max_seen_nonces: usize,
    /// Most (key, nonce) pairs one verifier's key may hold at once; past
    /// that, its signed requests get 429 `rate_limited`. The default is above
    /// what the default rate allows in a nonce's lifetime (at most twice the
    /// signature window: 100 + 50 × 600 = 30,100), so it binds only when the
    /// rate is raised, and twenty such verifiers fill the global cache.
    pub max_seen_nonces_per_key: usize,
    /// Signed calls per second each verifier's key may make, sustained (the
    /// refill rate of its token bucket); past it, 429 `rate_limited` with
    /// `Retry-After`. A `verify-batch` call counts once for up to 256
    /// presentations.
    pub verifier_rate_per_s: u32,
    /// Signed calls each verifier's key may make at once (its token bucket's size).
    pub verifier_burst: u32,
    /// Most open proof requests (unexpired, unanswered) per verifier; past
    /// that, 429 `too_many_open_requests` with `Retry-After`.
    pub max_open_requests: usize,
    /// Largest `POST /v1/requests` body accepted (a request is a few
    /// predicates: far less than a presentation).
    pub max_request_body_bytes: usize,
}

impl NodeConfig {
    /// Defaults for `data_dir`.
    pub fn new(data_dir: PathBuf, genesis: Option<Genesis>) -> Self {
        NodeConfig {
            data_dir,
            genesis,
            block_interval: Duration::from_millis(50),
            max_body_bytes: 256 * 1024,
            day_tolerance: 1,
            commit_timeout: Duration::from_secs(10),
            signature_window: Duration::from_secs(300),
            max_seen_nonces: 1_000_000,
            max_seen_nonces_per_key: 50_000,
            verifier_rate_per_s: 50,
            verifier_burst: 100,
            max_open_requests: 10_000,
            max_request_body_bytes: 16 * 1024,
        }
    }
}

/// How often the node forgets proof requests long expired and expired nonces.
const REQUEST_PRUNE_INTERVAL: Duration = Duration::from_secs(60);

/// What verifiers read, refreshed after every block.
pub struct View {
    /// The tip.
    pub tip: BlockHeader,
    /// Roots of the accepted window.
    pub roots: Vec<(u64, Fr)>,
    /// Regulators, schemas, keys, counts.
    pub registry: Registry,
}

/// State shared by the handlers and the block producer.
pub struct AppState {
    /// The ledger (one writer at a time).
    pub ledger: Mutex<BlockProducer>,
    /// A handle for reads without the ledger lock.
    pub store: Store,
    /// The chain id.
    pub chain_id: String,
    /// Snapshot for verification and status.
    pub view: RwLock<Arc<View>>,
    /// Height of the last applied block; notified after each block.
    pub applied: (Mutex<u64>, Condvar),
    verifier: RwLock<Option<Arc<PredicateVerifier>>>,
    /// Proof requests issued by this node and their single-use challenges.
    pub requests: RequestBook,
    /// The genesis' root authorities (not banks).
    pub authorities: Vec<[u8; 32]>,
    /// Nonces of recent signed requests and each verifier's rate limit.
    pub admission: Admission,
    /// Configuration.
    pub config: NodeConfig,
    /// This node's Prometheus metrics.
    pub metrics: NodeMetrics,
    stop: AtomicBool,
}

impl AppState {
    fn refresh(&self, ledger: &Ledger) -> Result<(), ApiError> {
        let view = View { tip: ledger.tip().clone(), roots: ledger.root_window()?, registry: ledger.registry().clone() };
        self.metrics.set_tip(&view.tip);
        *self.view.write().unwrap_or_else(|e| e.into_inner()) = Arc::new(view);
        let (height, cv) = &self.applied;
        *height.lock().unwrap_or_else(|e| e.into_inner()) = ledger.height();
        cv.notify_all();
        Ok(())
    }

    /// The current snapshot.
    pub fn view(&self) -> Arc<View> {
        self.view.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// The verifier for the predicate circuit's registered key.
    pub fn verifier(&self, view: &View) -> Result<Arc<PredicateVerifier>, ApiError> {
        let record = view
            .registry
            .verifying_keys
            .get(PREDICATE_CIRCUIT_ID)
            .ok_or_else(|| ApiError::Unavailable("no verifying key is registered for the predicate circuit".into()))?;
        if let Some(v) = self.verifier.read().unwrap_or_else(|e| e.into_inner()).as_ref() {
            if v.fingerprint() == record.fingerprint {
                return Ok(v.clone());
            }
        }
        let vk = zkreg_verifier::groth16::decode_verifying_key(&record.key).map_err(|e| ApiError::Internal(e.to_string()))?;
        let v = Arc::new(PredicateVerifier::new(vk).map_err(|e| ApiError::Internal(e.to_string()))?);
        *self.verifier.write().unwrap_or_else(|e| e.into_inner()) = Some(v.clone());
        Ok(v)
    }

    /// Waits until block `height` has been applied, or the timeout passes.
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

/// The verifier's view of the ledger: the snapshot plus direct reads.
pub struct NodeLedgerView<'a> {
    /// The snapshot.
    pub view: &'a View,
    /// Direct reads of credential records.
    pub store: &'a Store,
}

impl LedgerView for NodeLedgerView<'_> {
    fn root_in_window(&self, root: &Fr) -> bool {
        self.view.roots.iter().any(|(_, r)| r == root)
    }
    fn issuer_authorised(&self, issuer: &str, schema: &str) -> bool {
        self.view.registry.authorised(issuer, schema)
    }
    fn range_credential(&self, commitment: &[u8; 32]) -> Option<RangeCredential> {
        let record = self.store.credential(commitment).ok().flatten()?;
        match record.kind {
            CredentialKind::Bulletproofs { holder_key, expiry } => Some(RangeCredential {
                issuer: record.issuer,
                schema: record.schema,
                holder_key,
                expiry,
                revoked: record.revoked_at.is_some(),
            }),
            CredentialKind::Groth16 { .. } => None,
        }
    }
    fn registered_fingerprint(&self) -> Option<[u8; 32]> {
        self.view.registry.verifying_keys.get(PREDICATE_CIRCUIT_ID).map(|r| r.fingerprint)
    }
}

/// Unix seconds now.
pub fn now_secs() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0)
}

/// A running node.
pub struct RunningNode {
    /// The address it listens on.
    pub addr: std::net::SocketAddr,
    /// Shared state.
    pub state: web::Data<AppState>,
    server: actix_web::dev::ServerHandle,
    producer: Option<std::thread::JoinHandle<()>>,
    pruner: Option<std::thread::JoinHandle<()>>,
}

impl RunningNode {
    /// Stops the server, the block producer (pending transactions are cut
    /// into a last block) and the pruner.
    pub async fn stop(mut self) {
        self.server.stop(true).await;
        self.state.stop.store(true, Ordering::SeqCst);
        for thread in [self.producer.take(), self.pruner.take()].into_iter().flatten() {
            let _ = thread.join();
        }
        tracing::info!(height = self.state.view().tip.height, "node stopped; every acknowledged transaction is on disk");
    }
}

fn produce(state: &AppState) -> Result<(), ApiError> {
    let mut producer = state.ledger.lock().unwrap_or_else(|e| e.into_inner());
    let applied = producer.produce_block(now_secs())?;
    state.metrics.set_pending(producer.pending());
    let ledger = producer.ledger();
    if let Some(block) = applied {
        state.refresh(ledger)?;
        let refused = block.receipts.iter().filter(|r| r.error.is_some()).count();
        tracing::debug!(height = block.header.height, txs = block.receipts.len(), refused, leaves = block.header.leaf_count, "block applied");
        // The receipts say which transactions applied; the block's
        // transactions say what they were.
        match ledger.block_txs(block.header.height) {
            Ok(txs) => state.metrics.record_block(&txs.unwrap_or_default(), &block.receipts),
            Err(e) => tracing::warn!(error = %e, height = block.header.height, "block not counted in the metrics"),
        }
    }
    Ok(())
}

/// Opens the ledger and starts the node on `listener`. Returns once it is serving.
pub fn start(config: NodeConfig, listener: TcpListener) -> anyhow::Result<(RunningNode, actix_web::dev::Server)> {
    let ledger = Ledger::open(&config.data_dir, config.genesis.as_ref())?;
    let store = ledger.store().clone();
    let local = LocalStore::open(&config.data_dir)?;
    let moved = local.migrate_from(&store)?;
    if moved > 0 {
        tracing::info!(moved, "node-local entries moved out of the chain's database");
    }
    let view = View { tip: ledger.tip().clone(), roots: ledger.root_window()?, registry: ledger.registry().clone() };
    let height = ledger.height();
    let authorities = ledger.genesis().authority_keys().map_err(anyhow::Error::msg)?;
    let metrics = NodeMetrics::new()?;
    metrics.set_tip(&view.tip);
    metrics.set_pending(0);
    let requests = RequestBook::open(local.tree(LocalTree::Requests)?, config.max_open_requests, now_secs())?;
    let limits = AdmissionLimits {
        max_seen_nonces: config.max_seen_nonces,
        max_seen_nonces_per_key: config.max_seen_nonces_per_key,
        rate_per_s: config.verifier_rate_per_s,
        burst: config.verifier_burst,
    };
    let admission = Admission::open(local.tree(LocalTree::SeenNonces)?, limits, now_secs())?;
    metrics.set_seen_nonces(admission.len());
    let state = web::Data::new(AppState {
        chain_id: ledger.genesis().chain_id.clone(),
        ledger: Mutex::new(BlockProducer::new(ledger, MempoolConfig::default())),
        store,
        view: RwLock::new(Arc::new(view)),
        applied: (Mutex::new(height), Condvar::new()),
        verifier: RwLock::new(None),
        requests,
        authorities,
        admission,
        config: config.clone(),
        metrics,
        stop: AtomicBool::new(false),
    });
    let producer = {
        let state = state.clone();
        std::thread::spawn(move || loop {
            std::thread::sleep(state.config.block_interval);
            if let Err(e) = produce(&state) {
                tracing::error!(error = %e, "block production failed");
            }
            if state.stop.load(Ordering::SeqCst) {
                let _ = produce(&state);
                break;
            }
        })
    };
    // Its own thread: a scan of every remembered request must not delay blocks.
    let pruner = {
        let state = state.clone();
        std::thread::spawn(move || {
            let mut last_prune = Instant::now();
            while !state.stop.load(Ordering::SeqCst) {
                std::thread::sleep(Duration::from_millis(200));
                if last_prune.elapsed() < REQUEST_PRUNE_INTERVAL {
                    continue;
                }
                last_prune = Instant::now();
                match state.requests.prune(now_secs()) {
                    Ok(n) if n > 0 => tracing::info!(forgotten = n, "expired proof requests pruned"),
                    Ok(_) => {}
                    Err(e) => tracing::warn!(error = %e, "pruning expired proof requests failed"),
                }
                // Expired nonces also go as calls come; this is for a quiet node.
                state.admission.prune(now_secs());
                state.metrics.set_seen_nonces(state.admission.len());
            }
        })
    };
    let addr = listener.local_addr()?;
    tracing::info!(%addr, chain_id = %state.chain_id, height, data_dir = %config.data_dir.display(), "node started");
    let data = state.clone();
    let max_body = config.max_body_bytes;
    let server = HttpServer::new(move || {
        App::new()
            .wrap(actix_web::middleware::from_fn(crate::metrics::track_requests))
            .app_data(data.clone())
            .app_data(web::JsonConfig::default().limit(max_body).error_handler(crate::routes::json_error))
            .app_data(web::PayloadConfig::new(max_body))
            .configure(crate::routes::configure)
    })
    .workers(2)
    .client_request_timeout(Duration::from_secs(10))
    .listen(listener)?
    .run();
    let handle = server.handle();
    Ok((RunningNode { addr, state, server: handle, producer: Some(producer), pruner: Some(pruner) }, server))
}

/// A node running on a thread of its own (with its own actix system): for
/// tests, benchmarks and embedding. Dropping it stops the node.
pub struct NodeThread {
    /// `http://addr`.
    pub url: String,
    /// Shared state.
    pub state: web::Data<AppState>,
    stop: Option<std::sync::mpsc::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl NodeThread {
    /// Starts a node on `listener` and returns once it serves.
    pub fn spawn(config: NodeConfig, listener: TcpListener) -> anyhow::Result<Self> {
        use std::sync::mpsc;
        let (send, recv) = mpsc::channel();
        let (stop, stopped) = mpsc::channel::<()>();
        let thread = std::thread::spawn(move || {
            actix_web::rt::System::new().block_on(async move {
                let (node, server) = match start(config, listener) {
                    Ok(started) => started,
                    Err(e) => {
                        let _ = send.send(Err(e));
                        return;
                    }
                };
                let _ = send.send(Ok((node.addr, node.state.clone())));
                let server = actix_web::rt::spawn(server);
                let _ = actix_web::rt::task::spawn_blocking(move || stopped.recv()).await;
                node.stop().await;
                let _ = server.await;
            })
        });
        let (addr, state) = recv
            .recv_timeout(Duration::from_secs(60))
            .map_err(|_| anyhow::anyhow!("the node did not start"))??;
        Ok(NodeThread { url: format!("http://{addr}"), state, stop: Some(stop), thread: Some(thread) })
    }
}

impl Drop for NodeThread {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}
