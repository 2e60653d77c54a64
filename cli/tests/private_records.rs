//! The private layer through the `zkreg` program against a real node:
//! `zkreg issue --subject` keeps a record in the regulator's node;
//! `zkreg record get | verify | list` disclose it and check it against its
//! anchor; `zkreg audit verify` checks the audit log against the heads the
//! node anchored, and names the first bad event of a log with a flipped byte.

mod common;

use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

use ed25519_dalek::SigningKey;
use serde_json::Value;

use common::{key_file, zkreg, zkreg_json};

use zkreg_api::client::Client;
use zkreg_api::service::private::PrivateConfig;
use zkreg_api::{NodeConfig, NodeThread};
use zkreg_circuits::field::fr_to_hex;
use zkreg_prover::Wallet;
use zkreg_registry::private::Keyring;
use zkreg_registry::Genesis;

struct Setup {
    _dir: tempfile::TempDir,
    dir: PathBuf,
    node: NodeThread,
    regulator_key: PathBuf,
    data_dir: PathBuf,
}

fn start() -> Setup {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().to_owned();
    let authority = SigningKey::from_bytes(&[1; 32]);
    let regulator = SigningKey::from_bytes(&[2; 32]);
    let genesis = Genesis::development(
        "zkreg-private-cli-test",
        zkreg_api::now_secs(),
        &authority.verifying_key().to_bytes(),
        ("central-bank", &regulator.verifying_key().to_bytes()),
        &["credit-score"],
        8,
    );
    let regulator_key = key_file(&root, "regulator.key", &regulator);
    let keyring = root.join("data.keys");
    let made = zkreg_json(&["record", "new-key", "--keyring", keyring.to_str().unwrap(), "--json"]);
    assert_eq!(made["current_key"], 1);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(std::fs::metadata(&keyring).unwrap().permissions().mode() & 0o777, 0o600, "the keyring is its owner's only");
    }
    let data_dir = root.join("data");
    let mut config = NodeConfig::new(data_dir.clone(), Some(genesis));
    config.block_interval = Duration::from_millis(20);
    config.private = Some(PrivateConfig {
        issuer: String::new(),
        key: regulator,
        keyring: Keyring::parse(&std::fs::read_to_string(&keyring).unwrap()).unwrap(),
        keyring_file: Some(keyring),
    });
    let node = NodeThread::spawn(config, std::net::TcpListener::bind("127.0.0.1:0").unwrap()).unwrap();
    Setup { _dir: dir, dir: root, node, regulator_key, data_dir }
}

/// Issues a credit score with a private record through `zkreg issue`; returns the record id.
fn issue(s: &Setup, wallet: &Wallet, value: u64, out: &str) -> String {
    let holder = fr_to_hex(&wallet.holder_id());
    let holder_key = hex::encode(wallet.auth_public());
    let out = s.dir.join(out);
    let value = value.to_string();
    let issued = zkreg_json(&[
        "issue", "--node", &s.node.url, "--key", s.regulator_key.to_str().unwrap(), "--issuer", "central-bank", "--schema", "credit-score",
        "--holder", &holder, "--holder-key", &holder_key, "--value", &value, "--subject", "NID 1234-5678", "--attr", "region=north",
        "--out", out.to_str().unwrap(), "--json",
    ]);
    issued["record"].as_str().expect("a record id").to_owned()
}

/// Waits until the node has anchored its audit log's whole head.
fn wait_anchored(s: &Setup) {
    let client = Client::new(&s.node.url);
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let log = std::fs::read(s.data_dir.join("private").join("audit.log")).unwrap();
        let events = zkreg_registry::private::audit::verify_log(&log).unwrap();
        let anchors = client.audit_anchors(&SigningKey::from_bytes(&[2; 32]).verifying_key().to_bytes()).unwrap();
        if events.last().is_some_and(|e| anchors.iter().any(|a| a.kind == "audit-head" && a.subject_hash == e.hash)) {
            return;
        }
        assert!(Instant::now() < deadline, "the audit log's head was not anchored");
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn issue_with_a_record_then_disclose_and_verify_it_against_its_anchor() {
    let s = start();
    let wallet = Wallet::from_seed([9; 32]);
    let id = issue(&s, &wallet, 731, "credential.json");
    let key = s.regulator_key.to_str().unwrap();

    let listed = zkreg_json(&["record", "list", "--node", &s.node.url, "--key", key, "--json"]);
    assert_eq!(listed["records"][0]["id"], id.as_str());

    let disclosed = s.dir.join("disclosed.json");
    let got = zkreg_json(&["record", "get", "--node", &s.node.url, "--key", key, "--id", &id, "--out", disclosed.to_str().unwrap(), "--json"]);
    assert_eq!(got["record"]["subject"], "NID 1234-5678");
    assert_eq!(got["record"]["attributes"]["region"], "north");
    let verified = zkreg_json(&["record", "verify", "--node", &s.node.url, "--record", disclosed.to_str().unwrap(), "--json"]);
    assert_eq!(verified["verified"], true);
    assert_eq!(verified["record_hash"], id.as_str());

    // A disclosed record that was altered has no anchor.
    let mut record: Value = serde_json::from_slice(&std::fs::read(&disclosed).unwrap()).unwrap();
    record["attributes"]["region"] = "south".into();
    let altered = s.dir.join("altered.json");
    std::fs::write(&altered, record.to_string()).unwrap();
    let out = zkreg(&["record", "verify", "--node", &s.node.url, "--record", altered.to_str().unwrap()]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("not anchored"), "{}", String::from_utf8_lossy(&out.stderr));

    // Someone else's key is refused (and audited).
    let stranger = key_file(&s.dir, "stranger.key", &SigningKey::from_bytes(&[0x33; 32]));
    let out = zkreg(&["record", "get", "--node", &s.node.url, "--key", stranger.to_str().unwrap(), "--id", &id]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("forbidden"));

    wait_anchored(&s);
    let audited = zkreg_json(&["audit", "verify", "--node", &s.node.url, "--key", key, "--json"]);
    assert_eq!(audited["verified"], true, "{audited}");
    assert!(audited["anchors"].as_u64().unwrap() >= 1, "{audited}");
}

#[test]
fn audit_verify_names_the_first_bad_event_of_a_log_with_a_flipped_byte() {
    let s = start();
    let key = s.regulator_key.to_str().unwrap();
    for i in 0..3 {
        let id = issue(&s, &Wallet::from_seed([20 + i; 32]), 600 + u64::from(i), &format!("c{i}.json"));
        zkreg_json(&["record", "get", "--node", &s.node.url, "--key", key, "--id", &id, "--json"]);
    }
    wait_anchored(&s);
    let log = std::fs::read(s.data_dir.join("private").join("audit.log")).unwrap();
    let copy = s.dir.join("audit-copy.log");
    std::fs::write(&copy, &log).unwrap();
    let good = zkreg_json(&["audit", "verify", "--node", &s.node.url, "--issuer", "central-bank", "--log", copy.to_str().unwrap(), "--json"]);
    assert_eq!(good["verified"], true, "{good}");

    // Flip one byte at 40 places spread over the file: each is found, at its line.
    let line_of = |at: usize| log[..at].iter().filter(|b| **b == b'\n').count() as u64;
    let lines = line_of(log.len());
    for k in 0..40 {
        let at = (k * 7919 + 13) % log.len();
        let mut bad = log.clone();
        bad[at] ^= 0x01;
        std::fs::write(&copy, &bad).unwrap();
        let out = zkreg(&["audit", "verify", "--node", &s.node.url, "--issuer", "central-bank", "--log", copy.to_str().unwrap(), "--json"]);
        assert!(!out.status.success(), "byte {at} flipped, and the log verified");
        let answer: Value = serde_json::from_str(String::from_utf8_lossy(&out.stdout).lines().last().unwrap()).unwrap();
        assert_eq!(answer["verified"], false);
        // A flipped newline joins two lines: the fault is at the first of them.
        assert_eq!(answer["first_bad_event"].as_u64().unwrap(), line_of(at).min(lines - 1), "byte {at}: {answer}");
    }

    // A log cut short after an anchored event is caught by the anchor.
    let cut = log.iter().position(|b| *b == b'\n').unwrap() + 1;
    std::fs::write(&copy, &log[..cut]).unwrap();
    let out = zkreg(&["audit", "verify", "--node", &s.node.url, "--issuer", "central-bank", "--log", copy.to_str().unwrap(), "--json"]);
    assert!(!out.status.success(), "a truncated log verified");
}

/// Runs `zkreg` with the wallet passphrase in the environment; its JSON answer.
fn zkreg_wallet_json(args: &[&str]) -> Value {
    let out = Command::new(env!("CARGO_BIN_EXE_zkreg")).args(args).env("ZKREG_WALLET_PASSPHRASE", "recover-test").output().unwrap();
    assert!(out.status.success(), "zkreg {args:?} failed: {}", String::from_utf8_lossy(&out.stderr));
    let last = String::from_utf8_lossy(&out.stdout).lines().last().unwrap_or_default().to_owned();
    serde_json::from_str(&last).unwrap_or_else(|e| panic!("zkreg {args:?}: {e}: {last}"))
}

#[test]
fn a_holder_who_lost_its_credential_file_recovers_it_from_the_regulators_node() {
    let s = start();
    let wallet_file = s.dir.join("citizen.wallet");
    let w = wallet_file.to_str().unwrap();
    let made = zkreg_wallet_json(&["wallet", "new", "--wallet", w, "--json"]);
    let (holder, auth) = (made["holder_id"].as_str().unwrap().to_owned(), made["auth_key"].as_str().unwrap().to_owned());
    let out = s.dir.join("lost.json");
    zkreg_json(&[
        "issue", "--node", &s.node.url, "--key", s.regulator_key.to_str().unwrap(), "--issuer", "central-bank", "--schema", "credit-score",
        "--holder", &holder, "--holder-key", &auth, "--value", "705", "--subject", "NID 99", "--out", out.to_str().unwrap(), "--json",
    ]);
    std::fs::remove_file(&out).unwrap();

    let recovered = zkreg_wallet_json(&["wallet", "recover", "--wallet", w, "--node", &s.node.url, "--json"]);
    assert_eq!(recovered["recovered"].as_array().unwrap().len(), 1, "{recovered}");
    let shown = zkreg_wallet_json(&["wallet", "show", "--wallet", w, "--json"]);
    assert_eq!(shown["credentials"][0]["schema"], "credit-score");
    assert!(shown["credentials"][0]["leaf_index"].is_u64(), "the leaf index comes from the ledger: {shown}");
    // Again: nothing new, nothing doubled.
    let again = zkreg_wallet_json(&["wallet", "recover", "--wallet", w, "--node", &s.node.url, "--json"]);
    assert_eq!((again["recovered"].as_array().unwrap().len(), again["already_held"].as_u64()), (0, Some(1)));
    // Another holder's wallet gets nothing.
    let other = s.dir.join("other.wallet");
    zkreg_wallet_json(&["wallet", "new", "--wallet", other.to_str().unwrap(), "--json"]);
    let none = zkreg_wallet_json(&["wallet", "recover", "--wallet", other.to_str().unwrap(), "--node", &s.node.url, "--json"]);
    assert_eq!(none["records"], 0);
}
