//! Proof requests survive a node restart: a request issued before the
//! restart is still known after it, to the bank that asked for it only.

use std::time::Duration;

use ed25519_dalek::SigningKey;
use serde_json::json;

use zkreg_api::client::Client;
use zkreg_api::node::{NodeConfig, NodeThread};
use zkreg_registry::Genesis;

fn config(dir: &std::path::Path) -> NodeConfig {
    let key = |b: u8| SigningKey::from_bytes(&[b; 32]).verifying_key().to_bytes();
    let genesis = Genesis::development("zkreg-restart-test", 1_750_000_000, &key(1), ("central-bank", &key(2)), &["credit-score"], 4);
    let mut config = NodeConfig::new(dir.join("data"), Some(genesis));
    config.block_interval = Duration::from_millis(10);
    config
}

/// Starts a node on `dir`, retrying while sled still holds the previous node's lock.
fn start(dir: &std::path::Path) -> NodeThread {
    let mut last = None;
    for _ in 0..100 {
        match NodeThread::spawn(config(dir), std::net::TcpListener::bind("127.0.0.1:0").unwrap()) {
            Ok(node) => return node,
            Err(e) => last = Some(e),
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("the node did not restart: {last:?}");
}

#[test]
fn an_issued_request_is_remembered_across_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let bank = SigningKey::from_bytes(&[7; 32]);
    let other_bank = SigningKey::from_bytes(&[8; 32]);
    let predicates = json!([{"schema": "credit-score", "op": ">=", "value": 700}]);
    let challenge = {
        let node = start(dir.path());
        let client = Client::new(&node.url);
        let vk = &zkreg_suite::keys().1;
        let mut bytes = Vec::new();
        ark_serialize::CanonicalSerialize::serialize_compressed(vk, &mut bytes).unwrap();
        let register = zkreg_registry::TxBody::RegisterVerifyingKey {
            circuit_id: zkreg_circuits::constants::PREDICATE_CIRCUIT_ID.into(),
            fingerprint: zkreg_circuits::fingerprint::fingerprint(vk),
            key: bytes,
        };
        client.submit(&client.chain_id().unwrap(), &SigningKey::from_bytes(&[1; 32]), register).unwrap();
        let request = client
            .post("/v1/requests", &json!({"verifier": "bank-a", "scope": "bank-a/loans", "predicates": predicates}), Some(&bank))
            .unwrap();
        request["challenge"].as_str().unwrap().to_owned()
    };
    let node = start(dir.path());
    let client = Client::new(&node.url);
    // A presentation with no proofs for the remembered request: refused for
    // its proof count, which is checked only once the request is found.
    let empty = json!({"presentations": [{"version": 1, "challenge": challenge, "proofs": []}]});
    let answer = client.post("/v1/presentations/verify-batch", &empty, Some(&bank)).unwrap();
    assert_eq!(answer["results"][0]["code"], "wrong_proof_count", "{answer}");
    let answer = client.post("/v1/presentations/verify-batch", &empty, Some(&other_bank)).unwrap();
    assert_eq!(answer["results"][0]["code"], "forbidden", "{answer}");
    let unknown = json!({"presentations": [{"version": 1, "challenge": "ab".repeat(32), "proofs": []}]});
    let answer = client.post("/v1/presentations/verify-batch", &unknown, Some(&bank)).unwrap();
    assert_eq!(answer["results"][0]["code"], "challenge_unknown", "{answer}");
}
