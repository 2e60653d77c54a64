//! `zkreg governance propose | approve | list` against a real node (on
//! port 0, a fresh data directory) whose genesis needs 2 of 3 root
//! authorities and keeps proposals open for 2 blocks: a proposal with one
//! approval changes nothing, the second applies it, an expired one cannot
//! be completed, and each refusal carries its stable code; the node serves
//! the proposals at `GET /v1/governance/proposals[/{id}]`.

mod common;

use std::path::PathBuf;

use ed25519_dalek::SigningKey;
use common::{key_file, zkreg, zkreg_json};

use zkreg_api::client::Client;
use zkreg_api::dto::ProposalState;
use zkreg_api::{NodeConfig, NodeThread};
use zkreg_registry::Genesis;

/// Runs `zkreg` with `args`, which must fail naming `code`.
fn zkreg_refused(args: &[&str], code: &str) {
    let out = zkreg(args);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "zkreg {args:?} succeeded");
    assert!(stderr.contains(code), "zkreg {args:?} should be refused with {code}: {stderr}");
}

#[test]
fn propose_approve_and_list_against_a_node_with_a_threshold_of_two() {
    let dir = tempfile::tempdir().unwrap();
    let authorities: Vec<SigningKey> = (1..=3u8).map(|i| SigningKey::from_bytes(&[i; 32])).collect();
    let regulator = SigningKey::from_bytes(&[7; 32]);
    let bank = SigningKey::from_bytes(&[8; 32]);
    let mut genesis = Genesis::development(
        "zkreg-governance-test",
        zkreg_api::now_secs(),
        &authorities[0].verifying_key().to_bytes(),
        ("central-bank", &regulator.verifying_key().to_bytes()),
        &["credit-score"],
        8,
    );
    genesis.root_authorities = authorities.iter().map(|k| hex::encode(k.verifying_key().to_bytes())).collect();
    genesis.approval_threshold = 2;
    genesis.proposal_ttl_blocks = 2;
    let mut config = NodeConfig::new(dir.path().join("data"), Some(genesis));
    config.block_interval = std::time::Duration::from_millis(20);
    let node = NodeThread::spawn(config, std::net::TcpListener::bind("127.0.0.1:0").unwrap()).unwrap();
    let url = node.url.as_str();
    let client = Client::new(url);
    let keys: Vec<PathBuf> = authorities.iter().enumerate().map(|(i, k)| key_file(dir.path(), &format!("authority-{i}.key"), k)).collect();
    let key = |i: usize| keys[i].to_str().unwrap();
    let bank_key = hex::encode(bank.verifying_key().to_bytes());

    // Proposed by one authority: 1 of 2 approvals, nothing registered yet.
    let proposed = zkreg_json(&[
        "governance", "propose", "--node", url, "--key", key(0), "--json",
        "register-verifier", "--name", "bank-b", "--verifier-key", &bank_key,
    ]);
    let id = proposed["id"].as_str().unwrap().to_owned();
    assert_eq!(proposed["status"], "pending", "{proposed}");
    assert_eq!((proposed["approvals"].as_array().unwrap().len(), proposed["approvals_needed"].as_u64()), (1, Some(2)));
    assert_eq!(proposed["change"]["kind"], "register_verifier");
    assert_eq!(proposed["change"]["key"], bank_key.as_str());
    assert!(client.verifiers().unwrap().iter().all(|v| v.name != "bank-b"), "k-1 approvals changed the registry");
    let listed = zkreg_json(&["governance", "list", "--node", url, "--json"]);
    assert_eq!(listed.as_array().map(|l| l.len()), Some(1), "{listed}");
    assert_eq!(listed[0]["id"], id.as_str());

    // The proposer cannot approve twice; the second authority applies it.
    zkreg_refused(&["governance", "approve", "--node", url, "--key", key(0), "--proposal", &id], "already_approved");
    let approved = zkreg_json(&["governance", "approve", "--node", url, "--key", key(1), "--proposal", &id, "--json"]);
    assert_eq!(approved["status"], "applied", "{approved}");
    assert!(approved["applied_at"].as_u64().is_some());
    let verifiers = client.verifiers().unwrap();
    let registered = verifiers.iter().find(|v| v.name == "bank-b").expect("bank-b registered");
    assert_eq!((registered.key.as_str(), registered.active, Some(registered.since)), (bank_key.as_str(), true, approved["applied_at"].as_u64()));
    zkreg_refused(&["governance", "approve", "--node", url, "--key", key(2), "--proposal", &id], "proposal_applied");

    // Read over HTTP, by id and by status.
    let by_id = client.proposal(&id.parse().unwrap()).unwrap();
    assert_eq!(by_id.status, ProposalState::Applied);
    assert!(client.proposals(Some(ProposalState::Pending)).unwrap().is_empty());
    assert_eq!(client.proposals(Some(ProposalState::Applied)).unwrap().len(), 1);
    let unknown = "ab".repeat(32);
    assert_eq!(client.proposal(&unknown.parse().unwrap()).unwrap_err().code(), Some("not_found"));
    assert_eq!(client.get("/v1/governance/proposals?status=open").unwrap_err().code(), Some("bad_query"));
    zkreg_refused(&["governance", "approve", "--node", url, "--key", key(1), "--proposal", &unknown], "unknown_proposal");

    // Open for two blocks after its own: then it cannot be completed.
    let schema = zkreg_json(&[
        "governance", "propose", "--node", url, "--key", key(2), "--json",
        "register-schema", "--name", "mortgage", "--description", "outstanding mortgage",
    ]);
    let schema_id = schema["id"].as_str().unwrap().to_owned();
    for name in ["filler-1", "filler-2"] {
        zkreg_json(&["governance", "propose", "--node", url, "--key", key(0), "--json", "register-schema", "--name", name]);
    }
    let expired = client.proposal(&schema_id.parse().unwrap()).unwrap();
    assert_eq!(expired.status, ProposalState::Expired, "{expired:?}");
    zkreg_refused(&["governance", "approve", "--node", url, "--key", key(1), "--proposal", &schema_id], "proposal_expired");
    assert!(client.schemas().unwrap().iter().all(|s| s.name != "mortgage"));
    let listed = zkreg_json(&["governance", "list", "--node", url, "--status", "expired", "--json"]);
    assert!(listed.as_array().unwrap().iter().any(|p| p["id"] == schema_id.as_str()), "{listed}");
    // The text listing names every proposal.
    let text = zkreg(&["governance", "list", "--node", url]);
    let text = String::from_utf8_lossy(&text.stdout);
    assert_eq!(text.lines().count(), 4, "{text}");
    assert!(text.contains("register_schema `mortgage`") && text.contains("expired"), "{text}");
}
