//! How the node runs: its data directory, genesis, block interval and the limits it holds callers to.

use std::path::PathBuf;
use std::time::Duration;

use zkreg_registry::Genesis;

/// How the node runs.
#[derive(Clone, Debug)]
pub struct NodeConfig {
    /// Data directory: the chain's sled database, and the node-local store
    /// in its `local` subdirectory.
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
    /// Replication: this node's place in a consortium cluster (`None`: a
    /// single node that orders and applies its own blocks).
    pub cluster: Option<ClusterConfig>,
    /// The regulator's private layer (`None`: this node keeps no private records).
    pub private: Option<super::private::PrivateConfig>,
}

/// A node's place in a consortium cluster replicated with Raft.
#[derive(Clone)]
pub struct ClusterConfig {
    /// This node's id (unique in the consortium, never reused).
    pub node_id: u64,
    /// `host:port` where the other nodes reach this node's HTTP server.
    pub advertise: String,
    /// The secret every node of the cluster holds: node-to-node messages
    /// and cluster administration are authenticated with it.
    pub secret: [u8; 32],
    /// How often the leader sends heartbeats.
    pub heartbeat: Duration,
    /// A follower that hears no leader for a random time in this range
    /// stands for election.
    pub election_timeout: (Duration, Duration),
    /// Entries applied since the last snapshot before a new one is built
    /// (and the log before it purged).
    pub snapshot_after: u64,
    /// The first voters (id → `host:port`), this node among them: the one
    /// with the lowest id initialises the cluster on its first start. Empty
    /// on a node that joins as a learner.
    pub peers: std::collections::BTreeMap<u64, String>,
    /// The node's own ed25519 key: it signs the header of every block it
    /// applies. The genesis' consortium must list it under `node_id`.
    pub node_key: Option<ed25519_dalek::SigningKey>,
}

impl ClusterConfig {
    /// Defaults for node `node_id` reachable at `advertise`: heartbeats
    /// every 100 ms and elections after 400-800 ms of silence. A follower
    /// first lets the old leader's lease (the longest election timeout)
    /// run out, so a new leader serves writes about 1.2-1.6 s after a
    /// crash.
    pub fn new(node_id: u64, advertise: String, secret: [u8; 32]) -> Self {
        ClusterConfig {
            node_id,
            advertise,
            secret,
            heartbeat: Duration::from_millis(100),
            election_timeout: (Duration::from_millis(400), Duration::from_millis(800)),
            snapshot_after: 1_000,
            peers: Default::default(),
            node_key: None,
        }
    }
}

impl std::fmt::Debug for ClusterConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClusterConfig")
            .field("node_id", &self.node_id)
            .field("advertise", &self.advertise)
            .field("secret", &"<redacted>")
            .field("heartbeat", &self.heartbeat)
            .field("election_timeout", &self.election_timeout)
            .field("snapshot_after", &self.snapshot_after)
            .field("peers", &self.peers)
            .field("node_key", &self.node_key.as_ref().map(|k| hex::encode(k.verifying_key().to_bytes())))
            .finish()
    }
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
            cluster: None,
            private: None,
        }
    }
}

