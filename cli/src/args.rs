//! The `zkreg` command line: every subcommand and flag (clap).

use std::path::PathBuf;

use clap::{Parser, Subcommand};

use crate::settings::NodeSettings;

/// zkreg: a privacy-preserving credit and identity registry.
#[derive(Parser)]
#[command(name = "zkreg", version, about)]
pub struct Cli {
    /// Log lines on standard error: `text` for people, `json` (one object
    /// per line) for a log collector. Which lines: the ZKREG_LOG filter,
    /// e.g. `info` (the default), `debug` (every request and block) or
    /// `zkreg_api=debug,sled=warn`.
    #[arg(long, global = true, env = "ZKREG_LOG_FORMAT", default_value = "text", value_parser = ["text", "json"])]
    pub log_format: String,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand)]
pub enum Command {
    /// One command for a local try-out: keys for a root authority, a
    /// regulator (central-bank) and a bank, a citizen's wallet, a dev
    /// genesis, the trusted setup, and a node with the verifying key
    /// registered; prints what to try next.
    Dev {
        /// Directory for everything `dev` creates (reused on the next run).
        #[arg(long, default_value = "zkreg-dev")]
        dir: PathBuf,
        /// Address to listen on.
        #[arg(long, default_value = "127.0.0.1:8080")]
        listen: String,
        /// The predicate keys to use (a directory `zkreg ceremony finalize`
        /// wrote); without it, a one-party setup under DIR/keys.
        #[arg(long)]
        keys: Option<PathBuf>,
        /// Run a local cluster of this many replicas (on --listen's port and
        /// the next ones) instead of a single node.
        #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u64).range(1..=9))]
        nodes: u64,
    },
    /// Create an ed25519 key file (regulator, bank, root authority).
    Keys {
        /// Where to write the key (refuses to overwrite).
        #[arg(long)]
        out: PathBuf,
        /// Print one JSON object instead of text.
        #[arg(long)]
        json: bool,
    },
    /// A holder's wallet: new, show, import a credential, migrate. The
    /// file is encrypted with a passphrase: ZKREG_WALLET_PASSPHRASE, or
    /// typed on the terminal when that is unset.
    Wallet {
        #[command(subcommand)]
        what: WalletCommand,
    },
    /// Regulator: issue a credential (Groth16 to a holder id, or Bulletproofs
    /// to a holder's authentication key) and write the holder's credential file.
    Issue {
        /// The node's URL.
        #[arg(long, default_value = "http://127.0.0.1:8080")]
        node: String,
        /// The regulator's key file.
        #[arg(long)]
        key: PathBuf,
        /// The regulator's registered name.
        #[arg(long)]
        issuer: String,
        /// Schema (e.g. credit-score, licence.food-business).
        #[arg(long)]
        schema: String,
        /// The holder id (`zkreg wallet show`), for a Groth16 credential.
        #[arg(long, required_unless_present = "bulletproofs", conflicts_with = "bulletproofs")]
        holder: Option<String>,
        /// Issue a Bulletproofs (Pedersen) credential instead: no trusted
        /// setup, but its presentations are linkable (the commitment is visible).
        #[arg(long, requires = "holder_key")]
        bulletproofs: bool,
        /// The holder's authentication key (`zkreg wallet show`): the key a
        /// Bulletproofs credential is registered with, and the key that may
        /// fetch the credential's private record from the regulator's node.
        #[arg(long, required_if_eq("bulletproofs", "true"))]
        holder_key: Option<String>,
        /// Keep a private record of this credential in the regulator's node
        /// (sealed there; its hash anchored by the issuing transaction): the
        /// subject's real identifier. Needs --holder-key.
        #[arg(long, requires = "holder_key")]
        subject: Option<String>,
        /// An attribute of the private record, `name=value` (repeatable).
        #[arg(long = "attr", requires = "subject")]
        attributes: Vec<String>,
        /// The value (a score, a licence class…).
        #[arg(long)]
        value: u64,
        /// Days from today the credential stays valid.
        #[arg(long, default_value_t = 365)]
        valid_days: u32,
        /// Credential file for the holder.
        #[arg(long)]
        out: PathBuf,
        /// Print one JSON object instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Regulator: revoke a credential it issued.
    Revoke {
        /// The node's URL.
        #[arg(long, default_value = "http://127.0.0.1:8080")]
        node: String,
        /// The regulator's key file.
        #[arg(long)]
        key: PathBuf,
        /// The credential's commitment (hex, as `zkreg issue` printed it).
        #[arg(long)]
        commitment: String,
        /// Print one JSON object instead of text.
        #[arg(long)]
        json: bool,
    },
    /// A regulator's private records in its node: read, list, verify a
    /// disclosed one, grant an auditor, hold, purge, rotate the data key.
    Record {
        #[command(subcommand)]
        what: RecordCommand,
    },
    /// The private layer's audit log.
    Audit {
        #[command(subcommand)]
        what: AuditCommand,
    },
    /// Private statistics: differentially private histograms of a
    /// regulator's records, for analysts it grants a privacy budget.
    Stats {
        #[command(subcommand)]
        what: StatsCommand,
    },
    /// Root authorities: register or retire a verifier (a bank) on the ledger.
    Verifier {
        #[command(subcommand)]
        what: VerifierCommand,
    },
    /// Root authorities: governance proposals on the ledger. One authority
    /// proposes a change, the others approve it with transactions of their
    /// own; it applies once the genesis threshold approved it, and expires
    /// unapplied after the genesis' `proposal_ttl_blocks`.
    Governance {
        #[command(subcommand)]
        what: GovernanceCommand,
    },
    /// Bank: create a proof request with a fresh challenge and sign it.
    Request {
        /// The node's URL.
        #[arg(long, default_value = "http://127.0.0.1:8080")]
        node: String,
        /// The bank's key file (signs the API call).
        #[arg(long)]
        key: PathBuf,
        /// The bank's name.
        #[arg(long)]
        verifier: String,
        /// The bank's scope (holders get one pseudonym per scope).
        #[arg(long)]
        scope: String,
        /// Schema the predicate is about.
        #[arg(long)]
        schema: String,
        /// One of >=, <=, ==, between.
        #[arg(long)]
        op: String,
        /// The threshold (or the lower bound of `between`).
        #[arg(long)]
        value: u64,
        /// Upper bound of `between`.
        #[arg(long)]
        hi: Option<u64>,
        /// Accepted issuers (repeatable; default: any authorised issuer).
        #[arg(long = "issuer")]
        issuers: Vec<String>,
        /// Ask for a Bulletproofs range proof instead of Groth16 (linkable).
        #[arg(long)]
        bulletproofs: bool,
        /// Where to write the request.
        #[arg(long)]
        out: PathBuf,
        /// Print one JSON object instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Holder: prove locally that the wallet satisfies a request.
    Prove {
        /// The node's URL (only a bucket of the tree is fetched).
        #[arg(long, default_value = "http://127.0.0.1:8080")]
        node: String,
        /// The wallet file (its passphrase: ZKREG_WALLET_PASSPHRASE, or typed).
        #[arg(long)]
        wallet: PathBuf,
        /// Directory with predicate.pk.
        #[arg(long)]
        keys: PathBuf,
        /// The request file.
        #[arg(long)]
        request: PathBuf,
        /// Where to write the presentation.
        #[arg(long)]
        out: PathBuf,
        /// Bucket height in levels: the node learns only which 4^levels leaves.
        #[arg(long, default_value_t = 5)]
        bucket_levels: usize,
        /// The chain's genesis file: if it names a consortium, every root the
        /// proofs use must be signed by a majority of it.
        #[arg(long)]
        genesis: Option<PathBuf>,
        /// Print one JSON object instead of text (and no spinner).
        #[arg(long)]
        json: bool,
    },
    /// Bank: verify a presentation on the node that issued its request.
    Verify {
        /// The node's URL.
        #[arg(long, default_value = "http://127.0.0.1:8080")]
        node: String,
        /// The bank's key file.
        #[arg(long)]
        key: PathBuf,
        /// The presentation file.
        #[arg(long)]
        presentation: PathBuf,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Generate the predicate circuit's Groth16 keys (the trusted setup) and
    /// write them with the verifying key's fingerprint.
    Setup {
        /// Directory to write predicate.pk, predicate.vk and predicate.vk.sha256 into.
        #[arg(long, default_value = "zkreg-keys")]
        out: PathBuf,
        /// Print one JSON object instead of text (and no spinner).
        #[arg(long)]
        json: bool,
    },
    /// The multi-party trusted setup of the predicate circuit (Groth16 phase
    /// 2 in the snarkjs .zkey format; see the README's runbook).
    Ceremony {
        #[command(subcommand)]
        what: CeremonyCommand,
    },
    /// Files for other tools.
    Export {
        #[command(subcommand)]
        what: ExportCommand,
    },
    /// Run a node: the ledger and the REST API under /v1. Each setting comes
    /// from its flag, else its environment variable, else the --config file,
    /// else its default.
    Node {
        /// TOML file with any of the settings below, keys named as the flags
        /// with `_` for `-` (e.g. `block_ms = 50`); unknown keys are an error.
        #[arg(long, env = "ZKREG_CONFIG")]
        config: Option<PathBuf>,
        #[command(flatten)]
        settings: NodeSettings,
    },
    /// A consortium cluster: a shared secret, init, add a learner, change
    /// the voters, status.
    Cluster {
        #[command(subcommand)]
        what: ClusterCommand,
    },
    /// Run a single ledger node fed with hex-encoded signed transactions on
    /// standard input; prints `ack <tx id> <height> <ok|code>` once a
    /// transaction's block is on disk.
    LedgerNode {
        /// Data directory (sled).
        #[arg(long, default_value = "zkreg-data")]
        data_dir: PathBuf,
        /// Genesis file (needed for a new data directory).
        #[arg(long)]
        genesis: Option<PathBuf>,
        /// Cut a block at least this often (milliseconds).
        #[arg(long, default_value_t = 20)]
        block_ms: u64,
        /// Most transactions per block.
        #[arg(long, default_value_t = 4096)]
        max_block_txs: usize,
    },
    /// Replay the chain in a data directory from genesis and report the first
    /// block whose header, transactions or tree nodes do not match.
    VerifyChain {
        /// Data directory (sled).
        #[arg(long, default_value = "zkreg-data")]
        data_dir: PathBuf,
        /// Print one JSON object instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Measure this machine.
    Bench {
        #[command(subcommand)]
        what: BenchCommand,
    },
}

/// The governance transaction's signers, common to the `zkreg verifier` and
/// `zkreg governance propose|approve` commands.
#[derive(clap::Args)]
pub struct Governance {
    /// The node's URL.
    #[arg(long, default_value = "http://127.0.0.1:8080")]
    pub node: String,
    /// A root authority's key file (signs the transaction).
    #[arg(long)]
    pub key: PathBuf,
    /// Other root authorities' key files, each adding its approval
    /// (repeatable; the genesis sets how many distinct authorities must sign).
    #[arg(long = "approver")]
    pub approvers: Vec<PathBuf>,
    /// Print one JSON object instead of text.
    #[arg(long)]
    pub json: bool,
}

#[derive(Subcommand)]
pub enum ClusterCommand {
    /// Write a new random cluster secret (every member gets a copy).
    Secret {
        /// Where to write it (refuses to overwrite).
        #[arg(long)]
        out: PathBuf,
    },
    /// Initialise a new cluster with its first voters (once, on one node).
    Init {
        /// A member's URL.
        #[arg(long, default_value = "http://127.0.0.1:8080")]
        node: String,
        /// The cluster secret file.
        #[arg(long)]
        secret: PathBuf,
        /// The voters, `id=host:port` separated by commas.
        #[arg(long)]
        members: String,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Add a node as a learner; returns once it has caught up.
    AddLearner {
        /// A member's URL (the leader is found from it).
        #[arg(long, default_value = "http://127.0.0.1:8080")]
        node: String,
        /// The cluster secret file.
        #[arg(long)]
        secret: PathBuf,
        /// The new node's id.
        #[arg(long)]
        id: u64,
        /// Its `host:port`.
        #[arg(long)]
        addr: String,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Make these the voters (learners caught up first).
    ChangeMembership {
        /// A member's URL (the leader is found from it).
        #[arg(long, default_value = "http://127.0.0.1:8080")]
        node: String,
        /// The cluster secret file.
        #[arg(long)]
        secret: PathBuf,
        /// The voters' ids, separated by commas.
        #[arg(long, value_delimiter = ',')]
        voters: Vec<u64>,
        /// Keep removed voters as learners.
        #[arg(long)]
        retain: bool,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
    /// The leader, the term, the commit and applied index, each member's lag.
    Status {
        /// A member's URL.
        #[arg(long, default_value = "http://127.0.0.1:8080")]
        node: String,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
}

/// The node and the signing key of a private-layer call.
#[derive(clap::Args)]
pub struct PrivateCall {
    /// The regulator's node's URL.
    #[arg(long, default_value = "http://127.0.0.1:8080")]
    pub node: String,
    /// The caller's key file: the regulator's, or an auditor's with a grant.
    #[arg(long)]
    pub key: PathBuf,
    /// Print one JSON object instead of text.
    #[arg(long)]
    pub json: bool,
}

#[derive(Subcommand)]
pub enum RecordCommand {
    /// Open one record (the regulator, or an auditor whose grant covers it)
    /// and write it as a disclosure file.
    Get {
        #[command(flatten)]
        call: PrivateCall,
        /// The record id (64 hex digits).
        #[arg(long)]
        id: String,
        /// Write the record here (refuses to overwrite).
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// The regulator's records (metadata only).
    List {
        #[command(flatten)]
        call: PrivateCall,
    },
    /// Check a disclosed record against the ledger: its hash is anchored,
    /// and its credential was issued by its issuer under its schema.
    Verify {
        /// Any node's URL.
        #[arg(long, default_value = "http://127.0.0.1:8080")]
        node: String,
        /// The disclosed record (`zkreg record get --out`).
        #[arg(long)]
        record: PathBuf,
        /// Print one JSON object instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Grant an auditor access to listed records or to a schema, for a time.
    Grant {
        #[command(flatten)]
        call: PrivateCall,
        /// The auditor's public key (64 hex digits) or key file.
        #[arg(long)]
        auditor: String,
        /// A record id the grant opens (repeatable).
        #[arg(long = "record", conflicts_with = "schema", required_unless_present = "schema")]
        records: Vec<String>,
        /// The schema whose records the grant opens.
        #[arg(long)]
        schema: Option<String>,
        /// How long the grant lasts, in seconds (at most a year).
        #[arg(long, default_value_t = 86_400)]
        valid_secs: u64,
    },
    /// Set (or with --release lift) a record's legal hold.
    Hold {
        #[command(flatten)]
        call: PrivateCall,
        /// The record id.
        #[arg(long)]
        id: String,
        /// Lift the hold instead.
        #[arg(long)]
        release: bool,
    },
    /// Purge a record: its plaintext and ciphertext go, its anchor stays.
    Purge {
        #[command(flatten)]
        call: PrivateCall,
        /// The record id.
        #[arg(long)]
        id: String,
    },
    /// Have the node re-read its keyring file and re-encrypt every record
    /// under the newest data key, while it serves.
    Rotate {
        #[command(flatten)]
        call: PrivateCall,
    },
    /// Add a fresh data key to a keyring file (created if missing, readable
    /// by its owner only); it becomes the current key.
    NewKey {
        /// The keyring file.
        #[arg(long)]
        keyring: PathBuf,
        /// Print one JSON object instead of text.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand)]
pub enum StatsCommand {
    /// Regulator: grant an analyst a privacy budget (epsilon) per dataset
    /// (schema), for a time; a new grant replaces the analyst's last.
    GrantAnalyst {
        #[command(flatten)]
        call: PrivateCall,
        /// The analyst's public key (64 hex digits) or key file.
        #[arg(long)]
        analyst: String,
        /// Its display name, shown with its releases.
        #[arg(long)]
        name: String,
        /// DATASET=EPSILON: the total it may spend on a schema (repeatable).
        #[arg(long = "budget", required = true)]
        budgets: Vec<String>,
        /// How long the grant lasts, in seconds (at most a year).
        #[arg(long, default_value_t = 86_400)]
        valid_secs: u64,
    },
    /// Analyst: a differentially private histogram (or count) of one
    /// attribute of one dataset, spending epsilon from its budget.
    Query {
        #[command(flatten)]
        call: PrivateCall,
        /// The dataset (schema).
        #[arg(long)]
        dataset: String,
        /// The attribute binned (optional with --count).
        #[arg(long)]
        attribute: Option<String>,
        /// Numeric bin edges, increasing: 580,670,740,800.
        #[arg(long, value_delimiter = ',', allow_hyphen_values = true)]
        edges: Option<Vec<i64>>,
        /// Categories, each its own bin (and `other`): A,B.
        #[arg(long, value_delimiter = ',')]
        categories: Option<Vec<String>>,
        /// One bin: the subjects that have the attribute (or every subject).
        #[arg(long)]
        count: bool,
        /// The epsilon this query spends (0.001 to 10; noise scale 1/epsilon).
        #[arg(long)]
        epsilon: f64,
    },
    /// Analyst: its budget on each dataset: total, spent, left.
    Budget {
        #[command(flatten)]
        call: PrivateCall,
    },
    /// The node's noisy releases, newest first (public).
    Releases {
        /// The node's URL.
        #[arg(long, default_value = "http://127.0.0.1:8080")]
        node: String,
        /// At most this many.
        #[arg(long, default_value_t = 20)]
        limit: usize,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand)]
pub enum AuditCommand {
    /// Check a regulator node's audit log: the hash chain, and the heads
    /// anchored on the ledger; names the first bad event.
    Verify {
        /// The regulator's node's URL.
        #[arg(long, default_value = "http://127.0.0.1:8080")]
        node: String,
        /// A key that may read the log (the regulator's, or an auditor's
        /// with a current grant); not needed with --log.
        #[arg(long)]
        key: Option<PathBuf>,
        /// The regulator whose log it is (default: the regulator --key belongs to).
        #[arg(long)]
        issuer: Option<String>,
        /// Check this copy of the log file instead of reading it from the node.
        #[arg(long)]
        log: Option<PathBuf>,
        /// Print one JSON object instead of text.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand)]
pub enum GovernanceCommand {
    /// Propose a change, signed by --key (its first approval; each
    /// --approver adds one); prints the proposal's id for the others to approve.
    Propose {
        #[command(flatten)]
        governance: Governance,
        #[command(subcommand)]
        change: ChangeCommand,
    },
    /// Approve a proposal, signed by --key (and any --approver); the change
    /// applies in this transaction's block if it brings the approvals to the
    /// genesis threshold.
    Approve {
        /// The proposal's id (as `propose` printed it).
        #[arg(long)]
        proposal: String,
        #[command(flatten)]
        governance: Governance,
    },
    /// The ledger's proposals, oldest first, with their approvals and status.
    List {
        /// The node's URL.
        #[arg(long, default_value = "http://127.0.0.1:8080")]
        node: String,
        /// Only proposals with this status.
        #[arg(long, value_parser = ["pending", "applied", "expired"])]
        status: Option<String>,
        /// Print one JSON array instead of text.
        #[arg(long)]
        json: bool,
    },
}

/// The change a governance proposal makes (the same as the direct governance transactions).
#[derive(Subcommand)]
pub enum ChangeCommand {
    /// Register a regulator and the schemas it may issue.
    RegisterRegulator {
        /// The regulator's name (its credentials' issuer).
        #[arg(long)]
        name: String,
        /// The regulator's ed25519 public key (64 hex digits), or its key file.
        #[arg(long)]
        regulator_key: String,
        /// A schema it may issue (repeatable; each must be registered).
        #[arg(long = "schema", required = true)]
        schemas: Vec<String>,
    },
    /// Retire a regulator: it can no longer issue or revoke.
    RetireRegulator {
        /// The regulator's name.
        #[arg(long)]
        name: String,
    },
    /// Register a credential schema.
    RegisterSchema {
        /// The schema's name.
        #[arg(long)]
        name: String,
        /// What the value means.
        #[arg(long, default_value = "")]
        description: String,
    },
    /// Register the predicate circuit's verifying key (wallets and
    /// verifiers then accept only proofs under it).
    RegisterVerifyingKey {
        /// Directory with predicate.vk (`zkreg setup` or `zkreg ceremony finalize` wrote it).
        #[arg(long)]
        keys: PathBuf,
        /// The circuit id to register it under.
        #[arg(long, default_value = zkreg_circuits::constants::PREDICATE_CIRCUIT_ID)]
        circuit_id: String,
    },
    /// Register a verifier (a bank): only its key may then ask for proofs
    /// under its name, for scopes `<name>/<purpose>`.
    RegisterVerifier {
        /// The verifier's name (no `/`).
        #[arg(long)]
        name: String,
        /// The verifier's ed25519 public key (64 hex digits), or its key file.
        #[arg(long)]
        verifier_key: String,
    },
    /// Retire a verifier: its key can no longer ask for proofs.
    RetireVerifier {
        /// The verifier's name.
        #[arg(long)]
        name: String,
    },
}

#[derive(Subcommand)]
pub enum VerifierCommand {
    /// Register a verifier: only its key may then ask for proofs under its
    /// name, for scopes `<name>/<purpose>`.
    Register {
        /// The verifier's name (no `/`).
        #[arg(long)]
        name: String,
        /// The verifier's ed25519 public key (64 hex digits), or its key file.
        #[arg(long)]
        verifier_key: String,
        #[command(flatten)]
        governance: Governance,
    },
    /// Retire a verifier: its key can no longer ask for proofs.
    Retire {
        /// The verifier's name.
        #[arg(long)]
        name: String,
        #[command(flatten)]
        governance: Governance,
    },
}

#[derive(Subcommand)]
pub enum WalletCommand {
    /// Create a wallet (seed, holder id, authentication key), encrypted
    /// with a passphrase (typed twice, or ZKREG_WALLET_PASSPHRASE).
    New {
        /// The wallet file (refuses to overwrite).
        #[arg(long, default_value = "wallet.json")]
        wallet: PathBuf,
        /// Print one JSON object instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Show the holder id to give a regulator, and the credentials held.
    Show {
        /// The wallet file.
        #[arg(long, default_value = "wallet.json")]
        wallet: PathBuf,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Import a credential file from a regulator (checked against the holder
    /// id, or for a Bulletproofs credential the authentication key).
    Import {
        /// The wallet file.
        #[arg(long, default_value = "wallet.json")]
        wallet: PathBuf,
        /// The credential file.
        credential: PathBuf,
        /// Print one JSON object instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Fetch this wallet's credentials again from the regulator's node
    /// (its private records, read with the wallet's authentication key):
    /// for a holder who lost a credential file.
    Recover {
        /// The wallet file.
        #[arg(long, default_value = "wallet.json")]
        wallet: PathBuf,
        /// The regulator's node's URL.
        #[arg(long, default_value = "http://127.0.0.1:8080")]
        node: String,
        /// Print one JSON object instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Encrypt a plaintext wallet file (written before wallet files were
    /// encrypted) in place with a new passphrase; refuses one already
    /// encrypted. Every other command refuses a plaintext wallet.
    Migrate {
        /// The wallet file.
        #[arg(long, default_value = "wallet.json")]
        wallet: PathBuf,
        /// Print one JSON object instead of text.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand)]
pub enum BenchCommand {
    /// Circuit size, setup, proving, verification (single and batch),
    /// Bulletproofs, Poseidon and tree insertion; medians.
    Crypto {
        /// Print the table, then one JSON object on the last line.
        #[arg(long)]
        json: bool,
        /// Fewer samples (for a quick look; CI uses this).
        #[arg(long)]
        quick: bool,
        /// Also prove with a key from a dev phase-2 ceremony and compare
        /// (adds a minute or more for the ceremony's init).
        #[arg(long)]
        ceremony: bool,
    },
    /// The predicate circuit's five MSMs on a proof's real inputs: zkreg's
    /// MSM at each window width and arkworks' MSM, medians.
    Msm {
        /// Print the table, then one JSON object on the last line.
        #[arg(long)]
        json: bool,
        /// Runs per median.
        #[arg(long, default_value_t = 7)]
        samples: usize,
    },
    /// Issuance throughput (signature checks, tree insert, flush), block
    /// application, path queries and disk bytes per credential.
    Ledger {
        /// Print the table, then one JSON object on the last line.
        #[arg(long)]
        json: bool,
        /// Credentials to issue (the issue's disk figure is at 1,000,000).
        #[arg(long, default_value_t = 1_000_000)]
        credentials: u64,
    },
    /// Presentations verified per second over HTTP (32 clients), through the
    /// batch endpoint, and in-process in the same run.
    Api {
        /// Print the table, then one JSON object on the last line.
        #[arg(long)]
        json: bool,
        /// Presentations per HTTP set (two sets are proved before measuring).
        #[arg(long, default_value_t = 192)]
        presentations: usize,
    },
    /// Issuance throughput through a 3-replica Raft cluster against a single
    /// node (concurrent clients, every node in this process on loopback),
    /// failover time when the leader stops, and disk bytes per credential on
    /// a replica.
    Cluster {
        /// Print the table, then one JSON object on the last line.
        #[arg(long)]
        json: bool,
        /// Concurrent clients, each with a regulator key of its own,
        /// submitting one issuance at a time.
        #[arg(long, default_value_t = 32)]
        clients: usize,
        /// Measured seconds of load on each deployment (after warm-ups).
        #[arg(long, default_value_t = 10)]
        seconds: u64,
        /// Every node's block interval, in milliseconds (the node's default).
        #[arg(long, default_value_t = 50)]
        block_interval_ms: u64,
    },
    /// The private layer: storing and opening a sealed record, and issuance
    /// with records against issuance without (same run).
    Private {
        /// Print the table, then one JSON object on the last line.
        #[arg(long)]
        json: bool,
        /// Credentials per issuance run.
        #[arg(long, default_value_t = 20_000)]
        credentials: u64,
    },
    /// Load a proving key, prove once and print peak memory (used by `bench crypto`).
    #[command(hide = true)]
    ProveOnce {
        /// Directory holding predicate.pk.
        #[arg(long)]
        keys: PathBuf,
    },
}

#[derive(Subcommand)]
pub enum CeremonyCommand {
    /// A small powers-of-tau file (snarkjs .ptau) from this machine's
    /// entropy, for a try-out; a real ceremony starts from a public phase 1.
    DevPtau {
        /// Where to write it (refuses to overwrite).
        #[arg(long)]
        out: PathBuf,
        /// Print one JSON object instead of text.
        #[arg(long)]
        json: bool,
    },
    /// From a phase-1 .ptau, write OUT/predicate.r1cs and the initial zkey OUT/predicate_0000.zkey.
    Init {
        /// The powers-of-tau file (snarkjs .ptau).
        #[arg(long)]
        ptau: PathBuf,
        /// Directory to write into (the files must not exist).
        #[arg(long)]
        out: PathBuf,
        /// Print one JSON object instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Add one contribution with fresh entropy; prints the hash to publish.
    Contribute {
        /// The previous zkey.
        #[arg(long = "in")]
        input: PathBuf,
        /// The new zkey (must not exist).
        #[arg(long)]
        out: PathBuf,
        /// The contributor's name, recorded in the transcript.
        #[arg(long)]
        name: String,
        /// Print one JSON object instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Replay every contribution from the circuit and the phase 1; list the
    /// contributors or name the first bad step.
    Verify {
        /// The circuit (`init` wrote it).
        #[arg(long)]
        r1cs: PathBuf,
        /// The phase-1 .ptau the ceremony started from.
        #[arg(long)]
        ptau: PathBuf,
        /// The zkey to check.
        #[arg(long)]
        zkey: PathBuf,
        /// Print one JSON object instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Write the proving and verifying keys of the last contribution.
    Finalize {
        /// The last zkey.
        #[arg(long)]
        zkey: PathBuf,
        /// Key directory (predicate.pk, predicate.vk, predicate.vk.sha256).
        #[arg(long)]
        out: PathBuf,
        /// Print one JSON object instead of text.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand)]
pub enum ExportCommand {
    /// A presentation's Groth16 proofs for snarkjs: verification_key.json,
    /// and proof_<i>.json with public_<i>.json per proof.
    Snarkjs {
        /// The presentation.
        #[arg(long)]
        presentation: PathBuf,
        /// The proof request it answers (its public signals depend on it).
        #[arg(long)]
        request: PathBuf,
        /// The key directory (predicate.vk).
        #[arg(long)]
        keys: PathBuf,
        /// Directory to write into.
        #[arg(long)]
        out: PathBuf,
        /// Print one JSON object instead of text.
        #[arg(long)]
        json: bool,
    },
    /// The witness of one predicate of a request as an iden3 .wtns file, for
    /// provers that take the ceremony's zkey (snarkjs groth16 prove,
    /// rapidsnark). The same checks, credential and Merkle path as `zkreg
    /// prove`; the file holds the wallet's secret (written owner-only).
    Wtns {
        /// The node's URL (only a bucket of the tree is fetched).
        #[arg(long, default_value = "http://127.0.0.1:8080")]
        node: String,
        /// The wallet file (its passphrase: ZKREG_WALLET_PASSPHRASE, or typed).
        #[arg(long)]
        wallet: PathBuf,
        /// Directory with predicate.pk (`zkreg ceremony finalize --out`):
        /// it must be the setup the ledger registered.
        #[arg(long)]
        keys: PathBuf,
        /// The request file.
        #[arg(long)]
        request: PathBuf,
        /// Which of the request's predicates (from 0); it must ask for Groth16.
        #[arg(long, default_value_t = 0)]
        predicate: usize,
        /// Where to write the .wtns (refuses to overwrite).
        #[arg(long)]
        out: PathBuf,
        /// Bucket height in levels: the node learns only which 4^levels leaves.
        #[arg(long, default_value_t = 5)]
        bucket_levels: usize,
        /// The chain's genesis file: if it names a consortium, the root the
        /// witness uses must be signed by a majority of it.
        #[arg(long)]
        genesis: Option<PathBuf>,
        /// Print one JSON object instead of text (and no spinner).
        #[arg(long)]
        json: bool,
    },
}
