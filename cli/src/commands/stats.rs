//! `zkreg stats grant-analyst|query|budget|releases`: private statistics on
//! a regulator's node. The regulator grants an analyst a privacy budget;
//! the analyst asks differentially private histograms within it; anyone
//! reads the releases.

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::Context;
use serde_json::json;

use zkreg_api::client::Client;
use zkreg_api::dto::dp::{BinsBody, DpQueryBody, DpRelease, NewAnalystBody};

use crate::files::read_key;
use crate::output::print;

/// `DATASET=EPSILON` pairs, as `--budget` takes them.
pub fn budgets(pairs: &[String]) -> anyhow::Result<BTreeMap<String, f64>> {
    pairs
        .iter()
        .map(|p| {
            let (dataset, epsilon) = p.split_once('=').with_context(|| format!("--budget {p}: expected DATASET=EPSILON"))?;
            let epsilon: f64 = epsilon.parse().with_context(|| format!("--budget {p}: {epsilon:?} is not a number"))?;
            Ok((dataset.to_owned(), epsilon))
        })
        .collect()
}

/// `zkreg stats grant-analyst`: the regulator (`key`) grants `analyst` (64
/// hex digits or a key file) a budget per dataset, for `valid_for_secs`.
pub fn grant_analyst(
    node: &str,
    key: &Path,
    analyst: &str,
    name: String,
    budgets: BTreeMap<String, f64>,
    valid_for_secs: u64,
    as_json: bool,
) -> anyhow::Result<()> {
    let analyst = hex::encode(super::verifier::public_key_arg(analyst)?);
    let body = NewAnalystBody { analyst, name, budgets, valid_for_secs };
    let grant = Client::new(node).grant_analyst(&read_key(key)?, &body)?;
    print(as_json, json!(grant), || {
        let budgets: Vec<String> = grant.budgets.iter().map(|(d, e)| format!("{d} {e}")).collect();
        format!(
            "analyst {} ({}) granted epsilon {} until {} (grant {}, anchored in block {})",
            grant.analyst,
            grant.name,
            budgets.join(", "),
            grant.not_after,
            grant.id,
            grant.receipt.height
        )
    });
    Ok(())
}

/// How `zkreg stats query` bins: exactly one of its three options.
pub fn bins(edges: Option<Vec<i64>>, categories: Option<Vec<String>>, count: bool) -> anyhow::Result<BinsBody> {
    match (edges, categories, count) {
        (Some(e), None, false) => Ok(BinsBody::Edges(e)),
        (None, Some(c), false) => Ok(BinsBody::Categories(c)),
        (None, None, true) => Ok(BinsBody::Count),
        _ => anyhow::bail!("give exactly one of --edges, --categories, --count"),
    }
}

/// `zkreg stats query`: the analyst (`key`) asks a differentially private
/// histogram; prints the noisy bins and the budget left.
pub fn query(node: &str, key: &Path, query: DpQueryBody, as_json: bool) -> anyhow::Result<()> {
    let release = Client::new(node).dp_query(&read_key(key)?, &query)?;
    print(as_json, json!(release), || describe(&release));
    Ok(())
}

/// `zkreg stats budget`: the analyst's budget on each dataset.
pub fn budget(node: &str, key: &Path, as_json: bool) -> anyhow::Result<()> {
    let b = Client::new(node).dp_budget(&read_key(key)?)?;
    print(as_json, json!(b), || {
        let mut lines = vec![format!("analyst {} ({}), grant ends at {}", b.analyst_key, b.analyst, b.not_after)];
        for d in &b.datasets {
            lines.push(format!("  {}: {} of {} spent, {} left, {} releases", d.dataset, d.spent, d.total, d.remaining, d.releases));
        }
        lines.join("\n")
    });
    Ok(())
}

/// `zkreg stats releases`: the node's releases, newest first.
pub fn releases(node: &str, limit: usize, as_json: bool) -> anyhow::Result<()> {
    let releases = Client::new(node).dp_releases(limit)?;
    print(as_json, json!(releases), || releases.iter().map(describe).collect::<Vec<_>>().join("\n"));
    Ok(())
}

fn describe(r: &DpRelease) -> String {
    let mut lines = vec![format!(
        "release {} of {} {} for {} at epsilon {} ({} scale {}); {} of {} left",
        r.id, r.dataset, r.attribute, r.analyst, r.epsilon, r.mechanism, r.scale, r.budget_remaining, r.budget_total
    )];
    lines.extend(r.bins.iter().map(|b| format!("  {:>12}  {}", b.label, b.count)));
    lines.join("\n")
}
