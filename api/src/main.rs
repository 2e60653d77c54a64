//! The `zkreg` command-line program.

use std::path::PathBuf;

use clap::{Parser, Subcommand};

mod bench;
mod bench_ledger;
mod ledger_node;

/// zkreg: a privacy-preserving credit and identity registry.
#[derive(Parser)]
#[command(name = "zkreg", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Generate the predicate circuit's Groth16 keys (the trusted setup) and
    /// write them with the verifying key's fingerprint.
    Setup {
        /// Directory to write predicate.pk, predicate.vk and predicate.vk.sha256 into.
        #[arg(long, default_value = "zkreg-keys")]
        out: PathBuf,
        /// Print one JSON object instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Run a node: the ledger and the REST API under /v1.
    Node {
        /// Data directory (sled).
        #[arg(long, env = "ZKREG_DATA_DIR", default_value = "zkreg-data")]
        data_dir: PathBuf,
        /// Genesis file (needed for a new data directory).
        #[arg(long, env = "ZKREG_GENESIS")]
        genesis: Option<PathBuf>,
        /// Address to listen on.
        #[arg(long, env = "ZKREG_LISTEN", default_value = "127.0.0.1:8080")]
        listen: String,
        /// Cut a block at least this often (milliseconds).
        #[arg(long, env = "ZKREG_BLOCK_MS", default_value_t = 50)]
        block_ms: u64,
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

#[derive(Subcommand)]
enum BenchCommand {
    /// Circuit size, setup, proving, verification (single and batch),
    /// Bulletproofs, Poseidon and tree insertion; medians.
    Crypto {
        /// Print the table, then one JSON object on the last line.
        #[arg(long)]
        json: bool,
        /// Fewer samples (for a quick look; CI uses this).
        #[arg(long)]
        quick: bool,
    },
    /// Issuance throughput (signature checks, tree insert, flush), block
    /// application, path queries and disk bytes per credential.
    Ledger {
        /// Print the table, then one JSON object on the last line.
        #[arg(long)]
        json: bool,
        /// Credentials to issue (the disk figure is at 1,000,000).
        #[arg(long, default_value_t = 1_000_000)]
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

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    match cli.command {
        Command::Setup { out, json } => {
            let mut rng = rand::rngs::OsRng;
            let (pk, _vk) = zkreg_prover::setup(&mut rng)?;
            let fp = zkreg_prover::keys::write_keys(&out, &pk)?;
            if json {
                println!("{}", serde_json::json!({"dir": out, "fingerprint": hex::encode(fp)}));
            } else {
                println!("wrote {}/{{predicate.pk,predicate.vk,predicate.vk.sha256}}", out.display());
                println!("verifying key fingerprint: {}", hex::encode(fp));
            }
        }
        Command::Bench { what: BenchCommand::Crypto { json, quick } } => {
            let exe = std::env::current_exe().ok();
            let report = bench::crypto(quick, exe.as_deref(), |step| eprintln!("bench crypto: {step}…"))?;
            print!("{}", bench::table(&report));
            if json {
                println!("{}", serde_json::to_string(&report)?);
            }
        }
        Command::Bench { what: BenchCommand::ProveOnce { keys } } => bench::prove_once(&keys)?,
        Command::Bench { what: BenchCommand::Ledger { json, credentials } } => {
            let report = bench_ledger::ledger(credentials, |step| eprintln!("bench ledger: {step}…"))?;
            print!("{}", bench_ledger::table(&report));
            if json {
                println!("{}", serde_json::to_string(&report)?);
            }
        }
        Command::Node { data_dir, genesis, listen, block_ms } => {
            let genesis = genesis.as_deref().map(ledger_node::read_genesis).transpose()?;
            let mut config = zkreg_api::node::NodeConfig::new(data_dir, genesis);
            config.block_interval = std::time::Duration::from_millis(block_ms.max(1));
            let listener = std::net::TcpListener::bind(&listen)?;
            actix_web::rt::System::new().block_on(async move {
                let (node, server) = zkreg_api::node::start(config, listener)?;
                eprintln!("zkreg node listening on http://{}", node.addr);
                server.await?;
                node.stop().await;
                Ok::<_, anyhow::Error>(())
            })?;
        }
        Command::LedgerNode { data_dir, genesis, block_ms, max_block_txs } => {
            ledger_node::run(&data_dir, genesis.as_deref(), block_ms, max_block_txs)?
        }
        Command::VerifyChain { data_dir, json } => {
            let ledger = zkreg_registry::Ledger::open(&data_dir, None, Default::default())?;
            match ledger.verify_chain() {
                Ok(height) if json => println!("{}", serde_json::json!({"ok": true, "height": height})),
                Ok(height) => println!("chain verified from genesis to height {height}"),
                Err(e) if json => {
                    println!("{}", serde_json::json!({"ok": false, "height": e.height, "reason": e.reason}));
                    std::process::exit(1);
                }
                Err(e) => anyhow::bail!("verify-chain failed at {e}"),
            }
        }
    }
    Ok(())
}
