//! The `zkreg` command-line program.

use std::path::PathBuf;

use clap::{Parser, Subcommand};

mod bench;

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
    }
    Ok(())
}
