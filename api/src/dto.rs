//! The JSON bodies the API answers with. Each is a plain serde type with an
//! OpenAPI schema, so the handlers, the document at `/v1/openapi.json` and
//! the clients agree on one definition.
//!
//! Hashes, keys and field elements are lower-case hex strings; heights,
//! counts and leaf indices are JSON integers.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

pub mod dp;
pub mod governance;
pub mod private;
pub mod stats;

pub use governance::{Proposal, ProposalState, ProposedChange};

use zkreg_circuits::field::fr_to_hex;
use zkreg_circuits::tree::MerklePath;
use zkreg_registry::state::{CredentialKind, CredentialRecord, Receipt};
use zkreg_registry::Bucket;
use zkreg_verifier::Verified;

/// An error: a stable machine-readable `code` and a message for people;
/// nothing else. Each operation's error responses list the codes they carry.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ErrorBody {
    /// Stable code, e.g. `bad_json`, `challenge_replayed`, `forbidden`.
    pub code: String,
    /// What went wrong (opaque for 5xx).
    pub message: String,
}

/// `GET /healthz`, `GET /readyz`.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Health {
    /// `ok` (alive) or `ready` (ledger open, serving).
    pub status: String,
    /// Height of the tip (`/readyz` only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub height: Option<u64>,
}

/// `GET /v1/status`: the chain and its tip.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Status {
    /// The chain id every transaction names.
    pub chain_id: String,
    /// Height of the tip.
    pub height: u64,
    /// Hash of the tip's header.
    pub tip_hash: String,
    /// Commitment-tree root after the tip.
    pub root: String,
    /// Leaves in the commitment tree.
    pub leaf_count: u64,
    /// The genesis' root window: a proof against the root after any of the
    /// last this many blocks is accepted, so a revocation takes effect at most
    /// this many blocks after its own. Fixed for the life of the chain.
    #[schema(minimum = 1)]
    pub root_window_blocks: u64,
    /// How many roots the window holds now (`GET /v1/roots`): the window's
    /// size, fewer while the chain is shorter than the window.
    #[schema(minimum = 1)]
    pub roots_in_window: usize,
}

/// `GET /v1/blocks/{height}`: a header and its transaction ids.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Block {
    /// Height.
    pub height: u64,
    /// Hash of this header.
    pub hash: String,
    /// Hash of the previous header.
    pub prev_hash: String,
    /// Merkle root of the block's signed transactions.
    pub tx_root: String,
    /// Commitment-tree root after the block.
    pub tree_root: String,
    /// Leaves after the block.
    pub leaf_count: u64,
    /// Block time, Unix seconds.
    pub time: u64,
    /// Ids of the block's transactions, in order.
    pub transactions: Vec<String>,
    /// The consortium nodes' signatures of this header (in a cluster whose
    /// genesis names a consortium; they arrive a block or two after the
    /// block). Each is ed25519 over `zkreg/header-signature/v1 ‖ hash`
    /// (the 32 bytes of `hash`), by the key the genesis lists for `node_id`.
    /// A wallet accepts the block's root only when a majority signed it.
    #[serde(default)]
    pub signatures: Vec<HeaderSignature>,
}

/// One consortium node's signature of a header.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
pub struct HeaderSignature {
    /// The node's id in the genesis' consortium.
    pub node_id: u64,
    /// The ed25519 signature, 128 hex digits.
    pub signature: String,
}

/// The outcome of a transaction (`POST /v1/transactions`, `GET /v1/transactions/{id}`).
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct TxReceipt {
    /// Transaction id.
    pub tx_id: String,
    /// Height of the block that holds it.
    pub height: u64,
    /// Position in the block.
    pub index: u32,
    /// Whether it applied.
    pub ok: bool,
    /// Why the ledger refused it (stable code), if it did.
    pub code: Option<String>,
    /// Why the ledger refused it, for people.
    pub message: Option<String>,
    /// The leaf an applied Groth16 issuance got.
    pub leaf_index: Option<u64>,
    /// The commitment (leaf, 64 hex digits) the ledger computed for an
    /// applied Groth16 issuance from the submitted `inner`, the issuer the
    /// signing key is registered as, and the schema: the credential's name
    /// from then on (`GET /v1/credentials/{commitment}`, `Revoke`).
    pub commitment: Option<String>,
}

impl From<&Receipt> for TxReceipt {
    fn from(r: &Receipt) -> Self {
        TxReceipt {
            tx_id: hex::encode(r.tx_id),
            height: r.height,
            index: r.index,
            ok: r.error.is_none(),
            code: r.error.as_ref().map(|e| e.0.clone()),
            message: r.error.as_ref().map(|e| e.1.clone()),
            leaf_index: r.leaf_index,
            commitment: r.commitment.map(hex::encode),
        }
    }
}

/// `POST /v1/transactions` body.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SubmitTx {
    /// Canonical bytes of the signed transaction, hex.
    pub tx: String,
}

/// A registered regulator.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Issuer {
    /// Its name (the issuer of its credentials).
    pub name: String,
    /// Its ed25519 key, hex.
    pub key: String,
    /// Schemas it may issue.
    pub schemas: Vec<String>,
    /// False once retired.
    pub active: bool,
    /// Height it was registered at.
    pub since: u64,
}

/// A registered credential schema.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Schema {
    /// Its name.
    pub name: String,
    /// What the value means.
    pub description: String,
    /// Height it was registered at.
    pub since: u64,
}

/// A registered verifier (a bank), `GET /v1/verifiers`: the node issues
/// proof requests only to the key registered under the request's verifier
/// name, and wallets show this name.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Verifier {
    /// Its registered name, the first part of every scope it asks under (`<name>/<purpose>`).
    pub name: String,
    /// Its ed25519 key, 64 hex digits: the key that signs its HTTP requests
    /// and the proof requests it hands to holders.
    pub key: String,
    /// False once retired: a retired verifier gets no new requests.
    pub active: bool,
    /// Height it was registered at.
    pub since: u64,
}

/// A registered Groth16 verifying key.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct VerifyingKey {
    /// Circuit identifier (`zkreg-predicate-v1`).
    pub circuit_id: String,
    /// SHA-256 of the key's canonical compressed bytes, hex.
    pub fingerprint: String,
    /// The key, canonical compressed arkworks bytes, hex.
    pub key: String,
    /// Height it was registered at.
    pub since: u64,
}

/// A root of the accepted window.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Root {
    /// Height of the block that produced it.
    pub height: u64,
    /// The commitment-tree root.
    pub root: String,
}

/// `GET /v1/paths/{leaf}`: one leaf's Merkle path (tells the node which leaf; prefer buckets).
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct PathAnswer {
    /// The root the path opens to.
    pub root: String,
    /// The height of that root.
    pub height: u64,
    /// The sibling hashes.
    pub path: MerklePath,
}

/// `GET /v1/buckets/{leaf}`: the whole subtree of 4^levels leaves around a
/// leaf and the siblings above it; the holder takes its own path from it.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct BucketAnswer {
    /// First leaf of the bucket.
    pub first_leaf: u64,
    /// Height of the bucket subtree, in levels.
    pub levels: usize,
    /// The subtree's nodes, leaf level first (4^levels hashes, then a quarter of that, …).
    pub nodes: Vec<Vec<String>>,
    /// Above the bucket, the three sibling hashes at each level up to the root.
    pub upper_siblings: Vec<Vec<String>>,
    /// The root.
    pub root: String,
    /// The height of that root.
    pub height: u64,
}

impl BucketAnswer {
    /// The answer for `bucket` at `height`.
    pub fn new(bucket: &Bucket, height: u64) -> Self {
        let hexes = |v: &[ark_bn254::Fr]| v.iter().map(fr_to_hex).collect::<Vec<_>>();
        BucketAnswer {
            first_leaf: bucket.first_leaf,
            levels: bucket.levels,
            nodes: bucket.nodes.iter().map(|l| hexes(l)).collect(),
            upper_siblings: bucket.upper_siblings.iter().map(|t| hexes(t)).collect(),
            root: fr_to_hex(&bucket.root),
            height,
        }
    }
}

/// `GET /v1/credentials/{commitment}`: a credential's public record.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Credential {
    /// `groth16` (a leaf of the tree) or `bulletproofs` (a registered Pedersen commitment, linkable).
    pub backend: String,
    /// The issuing regulator.
    pub issuer: String,
    /// The schema.
    pub schema: String,
    /// `active` or `revoked`.
    pub status: String,
    /// Height it was issued at.
    pub issued_at: u64,
    /// Height it was revoked at.
    pub revoked_at: Option<u64>,
    /// Its leaf (Groth16).
    pub leaf_index: Option<u64>,
    /// Its last valid day, days since 1970-01-01 (Bulletproofs; a Groth16 expiry is private).
    pub expiry: Option<u32>,
}

impl From<CredentialRecord> for Credential {
    fn from(r: CredentialRecord) -> Self {
        let (backend, leaf_index, expiry) = match r.kind {
            CredentialKind::Groth16 { leaf_index } => ("groth16", Some(leaf_index), None),
            CredentialKind::Bulletproofs { expiry, .. } => ("bulletproofs", None, Some(expiry)),
        };
        Credential {
            backend: backend.into(),
            issuer: r.issuer,
            schema: r.schema,
            status: if r.revoked_at.is_some() { "revoked" } else { "active" }.into(),
            issued_at: r.issued_at,
            revoked_at: r.revoked_at,
            leaf_index,
            expiry,
        }
    }
}

/// Credentials issued and revoked by one issuer under one schema.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Count {
    /// The issuer.
    pub issuer: String,
    /// The schema.
    pub schema: String,
    /// Issued so far.
    pub issued: u64,
    /// Revoked so far.
    pub revoked: u64,
    /// Issued and not revoked.
    pub active: u64,
}

/// `GET /v1/stats`: issuance totals, kept as blocks apply.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Stats {
    /// The height the totals are at.
    pub height: u64,
    /// Leaves in the commitment tree.
    pub leaf_count: u64,
    /// Counts per issuer and schema.
    pub by_issuer_and_schema: Vec<Count>,
    /// Counts per schema (every issuer).
    pub by_schema: Vec<stats::Total>,
    /// Counts per issuer (every schema).
    pub by_issuer: Vec<stats::Total>,
}

/// `POST /v1/requests` body: what the bank asks for; the node adds a fresh
/// single-use challenge and an expiry.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewRequest {
    /// The bank's name.
    pub verifier: String,
    /// The bank's scope: holders get one pseudonym per scope.
    pub scope: String,
    /// The conditions, all of which must hold.
    #[schema(min_items = 1, max_items = 16)]
    pub predicates: Vec<zkreg_verifier::PredicateSpec>,
    /// Seconds the request stays valid (default 600, at most 86,400).
    #[schema(minimum = 1, maximum = 86_400)]
    pub ttl_seconds: Option<u64>,
}

/// `POST /v1/presentations/verify` body.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VerifyPresentation {
    /// The holder's presentation, answering a request this node issued to the signing bank.
    pub presentation: zkreg_verifier::Presentation,
}

/// `POST /v1/presentations/verify-batch` body.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VerifyBatch {
    /// At most 256 presentations.
    #[schema(max_items = 256)]
    pub presentations: Vec<zkreg_verifier::Presentation>,
}

/// An accepted presentation.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Verification {
    /// Always true.
    pub verified: bool,
    /// The holder's pseudonym under the request's scope (Groth16 proofs only).
    pub pseudonym: Option<String>,
    /// Predicates proven.
    pub predicates: usize,
    /// Whether a Bulletproofs proof was used: its commitment links the holder's presentations.
    pub linkable: bool,
}

impl From<Verified> for Verification {
    fn from(v: Verified) -> Self {
        Verification { verified: true, pseudonym: v.pseudonym, predicates: v.predicates, linkable: v.linkable }
    }
}

/// A refused presentation within a batch.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Refusal {
    /// Always false.
    pub verified: bool,
    /// Stable code, as the single endpoint's error would give.
    pub code: String,
    /// Why, for people.
    pub message: String,
}

/// One presentation's outcome in a batch.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(untagged)]
pub enum Outcome {
    /// Accepted.
    Verified(Verification),
    /// Refused.
    Refused(Refusal),
}

/// `POST /v1/presentations/verify-batch` answer.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct BatchOutcome {
    /// One outcome per presentation, in order.
    pub results: Vec<Outcome>,
}

// ---------------------------------------------------------------------------
// The cluster

/// A member as `zkreg cluster status` shows it.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq, ToSchema)]
pub struct MemberStatus {
    /// Its id.
    pub id: u64,
    /// `host:port`.
    pub addr: String,
    /// Whether it votes (else a learner).
    pub voter: bool,
    /// Entries it lacks behind the leader's log (known on the leader only).
    pub lag: Option<u64>,
}

/// The cluster as one node sees it.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq, ToSchema)]
pub struct ClusterStatus {
    /// This node's id.
    pub node_id: u64,
    /// `leader`, `follower`, `candidate` or `learner`.
    pub state: String,
    /// The leader this node knows of.
    pub leader: Option<u64>,
    /// The leader's `host:port`.
    pub leader_addr: Option<String>,
    /// The current term.
    pub term: u64,
    /// The last index in this node's log.
    pub last_log_index: Option<u64>,
    /// The last index this node applied.
    pub applied_index: Option<u64>,
    /// On the leader: the highest index a majority of the voters holds
    /// (committed); unknown elsewhere.
    pub commit_index: Option<u64>,
    /// The members and, on the leader, each one's lag.
    pub members: Vec<MemberStatus>,
}

/// `POST /v1/cluster/init` body: the first voters, id → `host:port`.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InitCluster {
    /// The voters, by id.
    pub members: std::collections::BTreeMap<u64, String>,
}

/// `POST /v1/cluster/learners` body.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AddLearner {
    /// The new node's id.
    pub id: u64,
    /// Its `host:port`.
    pub addr: String,
}

/// `POST /v1/cluster/membership` body.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChangeMembership {
    /// The voters after the change (learners already caught up).
    pub voters: std::collections::BTreeSet<u64>,
    /// Keep removed voters as learners.
    #[serde(default)]
    pub retain: bool,
}

