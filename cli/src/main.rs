//! The `zkreg` command-line program.
#![forbid(unsafe_code)]

use anyhow::Context;
use clap::Parser;

use args::{AuditCommand, CeremonyCommand, Cli, ClusterCommand, Command, ExportCommand, GovernanceCommand, RecordCommand, StatsCommand, VerifierCommand, WalletCommand};
use commands::wallet::Ask;
use commands::{audit, ceremony, cluster, dev, export, governance, issue, keys, ledger_node, node, prove, record, recover, request, revoke, setup, stats, verifier, verify, verify_chain, wallet};

mod args;
mod bench;
mod commands;
mod files;
mod output;
mod settings;

/// Sends `tracing` events to standard error, filtered by `ZKREG_LOG`.
fn init_logs(format: &str) -> anyhow::Result<()> {
    use tracing_subscriber::EnvFilter;
    // openraft narrates every vote and heartbeat at info: its warnings only, unless asked.
    let spec = std::env::var("ZKREG_LOG").unwrap_or_else(|_| "info,openraft=warn".to_owned());
    let filter = EnvFilter::try_new(&spec).with_context(|| format!("ZKREG_LOG={spec} is not a log filter"))?;
    let colours = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let logs = tracing_subscriber::fmt().with_env_filter(filter).with_ansi(colours).with_writer(std::io::stderr);
    let installed = if format == "json" { logs.json().try_init() } else { logs.try_init() };
    installed.map_err(|e| anyhow::anyhow!("installing the log subscriber: {e}"))
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    init_logs(&cli.log_format)?;
    match cli.command {
        Command::Dev { dir, listen, keys, nodes } => dev::run(&dir, &listen, keys.as_deref(), nodes as usize),
        Command::Keys { out, json } => keys::run(&out, json),
        Command::Wallet { what: WalletCommand::New { wallet: path, json } } => wallet::new(&path, &wallet::passphrase(&path, Ask::New)?, json),
        Command::Wallet { what: WalletCommand::Show { wallet: path, json } } => wallet::show(&path, &wallet::passphrase(&path, Ask::Open)?, json),
        Command::Wallet { what: WalletCommand::Import { wallet: path, credential, json } } => {
            wallet::import(&path, &credential, &wallet::passphrase(&path, Ask::Open)?, json)
        }
        Command::Wallet { what: WalletCommand::Recover { wallet: path, node, json } } => {
            recover::recover(&path, &node, &wallet::passphrase(&path, Ask::Open)?, json)
        }
        Command::Wallet { what: WalletCommand::Migrate { wallet: path, json } } => wallet::migrate(&path, &wallet::passphrase(&path, Ask::Migrate)?, json),
        Command::Issue { node, key, issuer, schema, holder, bulletproofs, holder_key, subject, attributes, value, valid_days, out, json } => {
            let to = issue::recipient(holder.as_deref(), holder_key.as_deref(), bulletproofs)?;
            let record = subject.map(|subject| issue::RecordRequest::new(subject, &attributes, holder_key.as_deref())).transpose()?;
            let what = issue::Issuance { issuer: &issuer, schema: &schema, value, valid_days };
            issue::run(&node, &key, &what, to, record, &out, json)
        }
        Command::Record { what: RecordCommand::Get { call, id, out } } => record::get(&call.node, &call.key, &id, out.as_deref(), call.json),
        Command::Record { what: RecordCommand::List { call } } => record::list(&call.node, &call.key, call.json),
        Command::Record { what: RecordCommand::Verify { node, record: file, json } } => record::verify(&node, &file, json),
        Command::Record { what: RecordCommand::Grant { call, auditor, records, schema, valid_secs } } => {
            record::grant(&call.node, &call.key, &auditor, records, schema, valid_secs, call.json)
        }
        Command::Record { what: RecordCommand::Hold { call, id, release } } => record::hold(&call.node, &call.key, &id, release, call.json),
        Command::Record { what: RecordCommand::Purge { call, id } } => record::purge(&call.node, &call.key, &id, call.json),
        Command::Record { what: RecordCommand::Rotate { call } } => record::rotate(&call.node, &call.key, call.json),
        Command::Record { what: RecordCommand::NewKey { keyring, json } } => record::new_key(&keyring, json),
        Command::Audit { what: AuditCommand::Verify { node, key, issuer, log, json } } => {
            audit::verify(&node, key.as_deref(), issuer.as_deref(), log.as_deref(), json)
        }
        Command::Stats { what: StatsCommand::GrantAnalyst { call, analyst, name, budgets, valid_secs } } => {
            stats::grant_analyst(&call.node, &call.key, &analyst, name, stats::budgets(&budgets)?, valid_secs, call.json)
        }
        Command::Stats { what: StatsCommand::Query { call, dataset, attribute, edges, categories, count, epsilon } } => {
            let query = zkreg_api::dto::dp::DpQueryBody { dataset, attribute, bins: stats::bins(edges, categories, count)?, epsilon };
            stats::query(&call.node, &call.key, query, call.json)
        }
        Command::Stats { what: StatsCommand::Budget { call } } => stats::budget(&call.node, &call.key, call.json),
        Command::Stats { what: StatsCommand::Releases { node, limit, json } } => stats::releases(&node, limit, json),
        Command::Revoke { node, key, commitment, json } => revoke::run(&node, &key, &commitment, json),
        Command::Verifier { what: VerifierCommand::Register { name, verifier_key, governance } } => verifier::register(name, &verifier_key, &governance),
        Command::Verifier { what: VerifierCommand::Retire { name, governance } } => verifier::retire(name, &governance),
        Command::Governance { what: GovernanceCommand::Propose { governance: g, change } } => governance::propose(&g, governance::change(change)?),
        Command::Governance { what: GovernanceCommand::Approve { proposal, governance: g } } => governance::approve(&g, &proposal),
        Command::Governance { what: GovernanceCommand::List { node, status, json } } => {
            let status = status.as_deref().map(str::parse).transpose().map_err(anyhow::Error::msg)?;
            governance::list(&node, status, json)
        }
        Command::Request { node, key, verifier, scope, schema, op, value, hi, issuers, bulletproofs, out, json } => {
            request::run(&node, &key, &verifier, &scope, &schema, &op, value, hi, issuers, bulletproofs, &out, json)
        }
        Command::Prove { node, wallet: path, keys, request, out, bucket_levels, genesis, json } => {
            prove::run(&node, &path, &wallet::passphrase(&path, Ask::Open)?, &keys, &request, &out, bucket_levels, genesis.as_deref(), json)
        }
        Command::Verify { node, key, presentation, json } => verify::run(&node, &key, &presentation, json),
        Command::Setup { out, json } => setup::run(&out, json),
        Command::Ceremony { what: CeremonyCommand::DevPtau { out, json } } => ceremony::dev_ptau(&out, json),
        Command::Ceremony { what: CeremonyCommand::Init { ptau, out, json } } => ceremony::init(&ptau, &out, json),
        Command::Ceremony { what: CeremonyCommand::Contribute { input, out, name, json } } => ceremony::contribute(&input, &out, &name, json),
        Command::Ceremony { what: CeremonyCommand::Verify { r1cs, ptau, zkey, json } } => ceremony::verify(&r1cs, &ptau, &zkey, json),
        Command::Ceremony { what: CeremonyCommand::Finalize { zkey, out, json } } => ceremony::finalize(&zkey, &out, json),
        Command::Export { what: ExportCommand::Snarkjs { presentation, request, keys, out, json } } => export::snarkjs(&presentation, &request, &keys, &out, json),
        Command::Export { what: ExportCommand::Wtns { node, wallet: path, keys, request, predicate, out, bucket_levels, genesis, json } } => {
            export::wtns(&node, &path, &wallet::passphrase(&path, Ask::Open)?, &keys, &request, predicate, &out, bucket_levels, genesis.as_deref(), json)
        }
        Command::Node { config, settings } => node::run(config.as_deref(), settings),
        Command::Cluster { what: ClusterCommand::Secret { out } } => cluster::secret(&out),
        Command::Cluster { what: ClusterCommand::Init { node, secret, members, json } } => cluster::init(&node, &secret, &members, json),
        Command::Cluster { what: ClusterCommand::AddLearner { node, secret, id, addr, json } } => cluster::add_learner(&node, &secret, id, &addr, json),
        Command::Cluster { what: ClusterCommand::ChangeMembership { node, secret, voters, retain, json } } => {
            cluster::change_membership(&node, &secret, &voters, retain, json)
        }
        Command::Cluster { what: ClusterCommand::Status { node, json } } => cluster::status(&node, json),
        Command::LedgerNode { data_dir, genesis, block_ms, max_block_txs } => ledger_node::run(&data_dir, genesis.as_deref(), block_ms, max_block_txs),
        Command::VerifyChain { data_dir, json } => verify_chain::run(&data_dir, json),
        Command::Bench { what } => bench::run(what),
    }
}
