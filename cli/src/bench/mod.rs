//! `zkreg bench`: measures this machine. Each benchmark prints a table for
//! people, then (with `--json`) its report as one JSON object on the last line.

use serde::Serialize;

use crate::args::BenchCommand;

pub mod api;
pub mod cluster;
pub mod crypto;
pub mod ledger;
pub mod msm;
pub mod private;

/// Runs the benchmark `what` names, with its progress on standard error.
pub fn run(what: BenchCommand) -> anyhow::Result<()> {
    match what {
        BenchCommand::Crypto { json, quick, ceremony } => {
            let exe = std::env::current_exe().ok();
            let report = crypto::crypto(quick, ceremony, exe.as_deref(), |step| eprintln!("bench crypto: {step}…"))?;
            show(&crypto::table(&report), json, &report)
        }
        BenchCommand::Msm { json, samples } => {
            let report = msm::msm(samples, |step| eprintln!("bench msm: {step}…"))?;
            show(&msm::table(&report), json, &report)
        }
        BenchCommand::ProveOnce { keys } => crypto::prove_once(&keys),
        BenchCommand::Ledger { json, credentials } => {
            let report = ledger::ledger(credentials, |step| eprintln!("bench ledger: {step}…"))?;
            show(&ledger::table(&report), json, &report)
        }
        BenchCommand::Api { json, presentations } => {
            let report = api::api(presentations, |step| eprintln!("bench api: {step}…"))?;
            show(&api::table(&report), json, &report)
        }
        BenchCommand::Private { json, credentials } => {
            let report = private::private(credentials, |step| eprintln!("bench private: {step}…"))?;
            show(&private::table(&report), json, &report)
        }
        BenchCommand::Cluster { json, clients, seconds, block_interval_ms } => {
            let report = cluster::cluster(clients, seconds, block_interval_ms, |step| eprintln!("bench cluster: {step}…"))?;
            show(&cluster::table(&report), json, &report)
        }
    }
}

/// Prints `table`, then `report` as one line of JSON if `json`.
fn show(table: &str, json: bool, report: &impl Serialize) -> anyhow::Result<()> {
    print!("{table}");
    if json {
        println!("{}", serde_json::to_string(report)?);
    }
    Ok(())
}

/// The element at index `len / 2` once sorted: the median of an odd
/// number of samples, the upper of the two middle ones of an even number.
/// `xs` must not be empty.
fn upper_median(mut xs: Vec<f64>) -> f64 {
    xs.sort_by(|a, b| a.total_cmp(b));
    xs[xs.len() / 2]
}

/// A table of `(measure, value, target)` rows under a header, the measure
/// left-aligned in `widths.0` columns and the value right-aligned in `widths.1`.
fn table<'a>(widths: (usize, usize), rows: impl IntoIterator<Item = (&'a str, String, &'a str)>) -> String {
    let (k, v) = widths;
    let mut out = format!("{:<k$} {:>v$}  {}\n", "measure", "value", "target");
    for (measure, value, target) in rows {
        out.push_str(&format!("{measure:<k$} {value:>v$}  {target}\n"));
    }
    out
}
