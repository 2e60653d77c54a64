//! Private statistics through the `zkreg` program against a real node: the
//! regulator grants an analyst (`zkreg stats grant-analyst`), the analyst
//! asks (`zkreg stats query`) until its budget is spent and reads it
//! (`zkreg stats budget`), anyone lists the releases (`zkreg stats releases`).

mod common;

use std::time::Duration;

use ed25519_dalek::SigningKey;

use common::{key_file, zkreg, zkreg_json};

use zkreg_api::service::private::PrivateConfig;
use zkreg_api::{NodeConfig, NodeThread};
use zkreg_circuits::field::fr_to_hex;
use zkreg_prover::Wallet;
use zkreg_registry::private::Keyring;
use zkreg_registry::Genesis;

#[test]
fn an_analyst_asks_within_its_budget_and_is_refused_beyond_it() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let authority = SigningKey::from_bytes(&[1; 32]);
    let regulator = SigningKey::from_bytes(&[2; 32]);
    let genesis = Genesis::development(
        "zkreg-stats-cli-test",
        zkreg_api::now_secs(),
        &authority.verifying_key().to_bytes(),
        ("central-bank", &regulator.verifying_key().to_bytes()),
        &["credit-score"],
        8,
    );
    let regulator_key = key_file(root, "regulator.key", &regulator);
    let analyst_key = key_file(root, "analyst.key", &SigningKey::from_bytes(&[0x91; 32]));
    let keyring = root.join("data.keys");
    zkreg_json(&["record", "new-key", "--keyring", keyring.to_str().unwrap(), "--json"]);
    let mut config = NodeConfig::new(root.join("data"), Some(genesis));
    config.block_interval = Duration::from_millis(20);
    config.private = Some(PrivateConfig {
        issuer: String::new(),
        key: regulator,
        keyring: Keyring::parse(&std::fs::read_to_string(&keyring).unwrap()).unwrap(),
        keyring_file: Some(keyring),
    });
    let node = NodeThread::spawn(config, std::net::TcpListener::bind("127.0.0.1:0").unwrap()).unwrap();
    let (url, regulator, analyst) = (node.url.as_str(), regulator_key.to_str().unwrap(), analyst_key.to_str().unwrap());

    for (i, score) in ["610", "720", "790"].iter().enumerate() {
        let wallet = Wallet::from_seed([40 + i as u8; 32]);
        let (holder, holder_key) = (fr_to_hex(&wallet.holder_id()), hex::encode(wallet.auth_public()));
        let (subject, attr, out) = (format!("NID {i}"), format!("score={score}"), root.join(format!("c{i}.json")));
        zkreg_json(&[
            "issue",
            "--node",
            url,
            "--key",
            regulator,
            "--issuer",
            "central-bank",
            "--schema",
            "credit-score",
            "--holder",
            &holder,
            "--holder-key",
            &holder_key,
            "--value",
            score,
            "--subject",
            &subject,
            "--attr",
            &attr,
            "--out",
            out.to_str().unwrap(),
            "--json",
        ]);
    }

    let grant = zkreg_json(&[
        "stats",
        "grant-analyst",
        "--node",
        url,
        "--key",
        regulator,
        "--analyst",
        analyst,
        "--name",
        "statistics office",
        "--budget",
        "credit-score=0.5",
        "--valid-secs",
        "3600",
        "--json",
    ]);
    assert_eq!(grant["budgets"]["credit-score"], 0.5, "{grant}");

    let query = |epsilon: &str| {
        zkreg(&[
            "stats",
            "query",
            "--node",
            url,
            "--key",
            analyst,
            "--dataset",
            "credit-score",
            "--attribute",
            "score",
            "--edges",
            "600,700,800",
            "--epsilon",
            epsilon,
            "--json",
        ])
    };
    let answered = query("0.3");
    assert!(answered.status.success(), "{}", String::from_utf8_lossy(&answered.stderr));
    let release: serde_json::Value = serde_json::from_slice(answered.stdout.trim_ascii_end()).unwrap();
    assert_eq!(release["bins"].as_array().unwrap().len(), 5, "{release}");
    assert_eq!(release["budget_remaining"], 0.2);

    let refused = query("0.3");
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("privacy_budget_exhausted"), "{}", String::from_utf8_lossy(&refused.stderr));
    // Without a key or with two kinds of bins, the program refuses before calling.
    let both =
        zkreg(&["stats", "query", "--node", url, "--key", analyst, "--dataset", "credit-score", "--edges", "1", "--count", "--epsilon", "0.1"]);
    assert!(!both.status.success());

    let budget = zkreg_json(&["stats", "budget", "--node", url, "--key", analyst, "--json"]);
    assert_eq!(budget["datasets"][0]["remaining"], 0.2, "{budget}");
    assert_eq!(budget["datasets"][0]["releases"], 1);
    let count = zkreg(&["stats", "query", "--node", url, "--key", analyst, "--dataset", "credit-score", "--count", "--epsilon", "0.2"]);
    assert!(count.status.success(), "{}", String::from_utf8_lossy(&count.stderr));
    assert!(String::from_utf8_lossy(&count.stdout).contains("count"), "the text answer names its bin");

    let releases = zkreg_json(&["stats", "releases", "--node", url, "--json"]);
    assert_eq!(releases.as_array().unwrap().len(), 2, "{releases}");
    assert_eq!(releases[0]["budget_remaining"], 0.0);
}
