//! `zkreg cluster`: a consortium cluster's secret, initialisation,
//! membership and status, over the nodes' `/v1/cluster` API.

use std::path::Path;

use zkreg_api::client::{Client, ClientError};
use zkreg_api::dto::{AddLearner, ChangeMembership, ClusterStatus, InitCluster};

use crate::files::{read_cluster_secret, write_cluster_secret};
use crate::output::print;
use crate::settings::parse_peers;

/// `zkreg cluster secret`.
pub fn secret(out: &Path) -> anyhow::Result<()> {
    write_cluster_secret(out)?;
    eprintln!("cluster secret written to {} (give every member a copy; keep it private)", out.display());
    Ok(())
}

fn show(status: &ClusterStatus, as_json: bool) -> anyhow::Result<()> {
    let json = serde_json::to_value(status)?;
    print(as_json, json, || {
        let leader = match (status.leader, &status.leader_addr) {
            (Some(id), Some(addr)) => format!("node {id} at {addr}"),
            (Some(id), None) => format!("node {id}"),
            _ => "none known".into(),
        };
        let mut text = format!(
            "node {} is {} in term {}; leader: {leader}\nlast log index {}, committed {}, applied {}\n",
            status.node_id,
            status.state,
            status.term,
            status.last_log_index.map_or("-".into(), |i| i.to_string()),
            status.commit_index.map_or("- (known on the leader)".into(), |i| i.to_string()),
            status.applied_index.map_or("-".into(), |i| i.to_string()),
        );
        for m in &status.members {
            let role = if m.voter { "voter" } else { "learner" };
            let lag = m.lag.map_or(String::new(), |l| format!(", {l} entries behind"));
            text.push_str(&format!("  {} {} ({role}{lag})\n", m.id, m.addr));
        }
        text.trim_end().to_owned()
    });
    Ok(())
}

/// `zkreg cluster status`.
pub fn status(node: &str, as_json: bool) -> anyhow::Result<()> {
    show(&Client::new(node).cluster_status()?, as_json)
}

/// `zkreg cluster init`.
pub fn init(node: &str, secret: &Path, members: &str, as_json: bool) -> anyhow::Result<()> {
    let secret = read_cluster_secret(secret)?;
    let body = InitCluster { members: parse_peers(members)? };
    show(&Client::new(node).cluster_admin("/v1/cluster/init", &body, &secret)?, as_json)
}

/// Runs an administration call on the leader: sent to `node`, then to the
/// leader it names if it does not lead.
fn on_leader(node: &str, path: &str, body: &impl serde::Serialize, secret: &[u8; 32]) -> anyhow::Result<ClusterStatus> {
    match Client::new(node).cluster_admin(path, body, secret) {
        Err(ClientError::Api { code, .. }) if code == "not_leader" => {
            let status = Client::new(node).cluster_status()?;
            let addr = status.leader_addr.ok_or_else(|| anyhow::anyhow!("{node} knows no leader yet; retry in a moment"))?;
            Ok(Client::new(&format!("http://{addr}")).cluster_admin(path, body, secret)?)
        }
        other => Ok(other?),
    }
}

/// `zkreg cluster add-learner`.
pub fn add_learner(node: &str, secret: &Path, id: u64, addr: &str, as_json: bool) -> anyhow::Result<()> {
    let secret = read_cluster_secret(secret)?;
    show(&on_leader(node, "/v1/cluster/learners", &AddLearner { id, addr: addr.to_owned() }, &secret)?, as_json)
}

/// `zkreg cluster change-membership`.
pub fn change_membership(node: &str, secret: &Path, voters: &[u64], retain: bool, as_json: bool) -> anyhow::Result<()> {
    let secret = read_cluster_secret(secret)?;
    let body = ChangeMembership { voters: voters.iter().copied().collect(), retain };
    show(&on_leader(node, "/v1/cluster/membership", &body, &secret)?, as_json)
}
