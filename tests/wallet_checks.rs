//! What the wallet tells a node and what it takes from one on trust:
//!
//! - it asks for a bucket by the bucket's first leaf, never by its own leaf
//!   (a recording proxy in front of a real node sees every request);
//! - it checks every field of a bucket answer, recomputes the root from the
//!   bucket and wants that root in the node's window (a malicious fake node
//!   serves crafted answers: each is a clear error, never a panic);
//! - it refuses to prove with a proving key whose verifying key is not the
//!   one the ledger registered for the predicate circuit.

mod common;

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};

use ark_bn254::Fr;
use ark_ff::{UniformRand, Zero};
use serde_json::{json, Value};

use common::*;
use zkreg_api::client::{check_keys_against_ledger, BucketPaths, Client};
use zkreg_api::dto::BucketAnswer;
use zkreg_circuits::field::fr_to_hex;
use zkreg_circuits::tree::CommitmentTree;
use zkreg_prover::keys::{load_proving_key, write_keys, RegisteredKeyError, PROVING_KEY_FILE};
use zkreg_prover::{build_presentation, HeldCredential, PathSource, PresentationError, Wallet};
use zkreg_registry::Bucket;
use zkreg_suite::{keys, prover, rng};

/// A fake node on 127.0.0.1:0: answers each `GET` with `answer(path)` and
/// records every path asked for (with its query).
struct FakeNode {
    client: Client,
    asked: Arc<Mutex<Vec<String>>>,
}

impl FakeNode {
    fn start(answer: impl Fn(&str) -> (u16, String) + Send + 'static) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let asked = Arc::new(Mutex::new(Vec::new()));
        let log = asked.clone();
        // Serves one request per connection until the test process ends.
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { continue };
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                let mut request_line = String::new();
                if reader.read_line(&mut request_line).is_err() {
                    continue;
                }
                let mut header = String::new();
                while reader.read_line(&mut header).is_ok_and(|n| n > 0) && header != "\r\n" {
                    header.clear();
                }
                let path = request_line.split_whitespace().nth(1).unwrap_or_default().to_owned();
                log.lock().unwrap().push(path.clone());
                let (status, body) = answer(&path);
                let head = format!(
                    "HTTP/1.1 {status} X\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
                    body.len()
                );
                let _ = stream.write_all(head.as_bytes()).and_then(|_| stream.write_all(body.as_bytes()));
            }
        });
        FakeNode { client: Client::new(&base), asked }
    }

    /// A proxy to the real node at `base` that records what the wallet asks.
    fn proxy(base: &str) -> Self {
        Self::proxy_with(base, |_, answer| answer)
    }

    /// A proxy to `base` whose answers pass through `tamper(path, answer)`.
    fn proxy_with(base: &str, tamper: impl Fn(&str, Value) -> Value + Send + 'static) -> Self {
        let base = base.to_owned();
        Self::start(move |path| {
            let mut r = agent().get(&format!("{base}{path}")).call().unwrap();
            let status = r.status().as_u16();
            let body: Value = r.body_mut().read_json().unwrap_or(Value::Null);
            (status, tamper(path, body).to_string())
        })
    }

    fn asked(&self) -> Vec<String> {
        self.asked.lock().unwrap().clone()
    }
}

// ---------------------------------------------------------------------------
// The node learns the bucket, not the leaf

#[test]
fn the_wallet_asks_for_buckets_by_their_first_leaf_only() {
    let mut app = spawn_app();
    app.register_predicate_key();
    let wallet = Wallet::from_seed([21; 32]);
    let stranger = Wallet::from_seed([22; 32]);
    // Leaves 0..=4 are someone else's; ours are 5 (bucket 0..16 with
    // `paths()`'s 2 levels) and 18 (bucket 16..32).
    for seed in 0..5 {
        issue(&mut app, &stranger, 700, 100 + seed);
    }
    let first = issue(&mut app, &wallet, 720, 1);
    for seed in 0..12 {
        issue(&mut app, &stranger, 700, 200 + seed);
    }
    let second = issue(&mut app, &wallet, 730, 2);
    assert_eq!((first.leaf_index, second.leaf_index), (Some(5), Some(18)));

    let proxy = FakeNode::proxy(&app.base);
    let paths = BucketPaths { client: &proxy.client, levels: 2 };
    for opening in [&first, &second] {
        let request = new_request(&app, 700);
        let held = [HeldCredential::Groth16(opening.clone())];
        let presentation = build_presentation(prover(), &wallet, &request, &held, &paths, today(), &mut rng(3)).unwrap();
        let (code, body) = app.verify(&presentation);
        assert_eq!(code, 200, "{body}");
    }
    let asked = proxy.asked();
    let buckets: Vec<&String> = asked.iter().filter(|p| p.starts_with("/v1/buckets/")).collect();
    assert_eq!(buckets, ["/v1/buckets/0?levels=2", "/v1/buckets/16?levels=2"], "{asked:?}");
    assert!(asked.iter().all(|p| p.starts_with("/v1/buckets/") || p == "/v1/roots"), "{asked:?}");
    assert!(!asked.iter().any(|p| p.contains("/paths/") || p.contains("/5?") || p.contains("/18?")), "{asked:?}");
}

#[test]
fn bucket_levels_outside_the_nodes_range_are_refused_before_asking() {
    let node = FakeNode::start(|_| (500, "{}".into()));
    for levels in [0, 9, 63, usize::MAX] {
        let err = BucketPaths { client: &node.client, levels }.path(5).unwrap_err();
        assert!(err.contains("1 to 8 levels"), "{levels}: {err}");
    }
    assert!(node.asked().is_empty());
}

// ---------------------------------------------------------------------------
// A malicious node's bucket answers

/// The bucket of `levels` levels holding `leaf`, taken from `tree` as a node serves it.
fn bucket_of(tree: &CommitmentTree, leaf: u64, levels: usize) -> Bucket {
    let first = Bucket::first_leaf_of(leaf, levels).unwrap();
    let width = 1usize << (2 * levels);
    let nodes = (0..levels)
        .map(|level| tree.level(level).iter().skip((first >> (2 * level)) as usize).take(width >> (2 * level)).copied().collect())
        .collect();
    let upper_siblings = tree.path(first).unwrap().siblings[levels..].to_vec();
    Bucket { first_leaf: first, levels, nodes, upper_siblings, root: tree.root() }
}

fn random_tree(n: usize, seed: u64) -> CommitmentTree {
    let r = &mut rng(seed);
    let mut tree = CommitmentTree::new();
    tree.append_batch(&(0..n).map(|_| Fr::rand(r)).collect::<Vec<_>>()).unwrap();
    tree
}

fn answer(bucket: &Bucket) -> Value {
    serde_json::to_value(BucketAnswer::new(bucket, 7)).unwrap()
}

fn roots(roots: &[Fr]) -> Value {
    Value::Array(roots.iter().enumerate().map(|(h, r)| json!({"height": h, "root": fr_to_hex(r)})).collect())
}

/// A fake node serving `bucket` for every bucket and `window` as its roots.
fn malicious(bucket: Value, window: Value) -> FakeNode {
    FakeNode::start(move |path| {
        if path.starts_with("/v1/buckets/") {
            (200, bucket.to_string())
        } else if path == "/v1/roots" {
            (200, window.to_string())
        } else {
            (404, json!({"code": "not_found", "message": "no"}).to_string())
        }
    })
}

/// `answer` with `edit` applied.
fn edited(answer: &Value, edit: impl FnOnce(&mut Value)) -> Value {
    let mut a = answer.clone();
    edit(&mut a);
    a
}

/// The modulus r as 64 hex digits: the non-canonical alias of 0.
const MODULUS_HEX: &str = "0x30644e72e131a029b85045b68181585d2833e84879b9709143e1f593f0000001";

#[test]
fn malicious_bucket_answers_are_clear_errors_never_panics() {
    let tree = random_tree(20, 1);
    let other = random_tree(20, 2);
    let good = answer(&bucket_of(&tree, 5, 2));
    let window = roots(&[tree.root()]);

    // The honest answer: the wallet's path is the tree's.
    let honest = malicious(good.clone(), window.clone());
    let (path, root) = BucketPaths { client: &honest.client, levels: 2 }.path(5).unwrap();
    assert_eq!((path, root), (tree.path(5).unwrap(), tree.root()));
    assert_eq!(honest.asked(), ["/v1/buckets/0?levels=2", "/v1/roots"]);

    let other_bucket = answer(&bucket_of(&other, 5, 2));
    let cases: Vec<(&str, Value, Value, &str)> = vec![
        ("levels 63", edited(&good, |a| a["levels"] = json!(63)), window.clone(), "63 levels, not the 2"),
        ("levels 0", edited(&good, |a| a["levels"] = json!(0)), window.clone(), "0 levels, not the 2"),
        ("levels -1", edited(&good, |a| a["levels"] = json!(-1)), window.clone(), "not a bucket answer"),
        ("levels 3", edited(&good, |a| a["levels"] = json!(3)), window.clone(), "3 levels, not the 2"),
        ("huge first leaf", edited(&good, |a| a["first_leaf"] = json!(u64::MAX)), window.clone(), "not at the leaf 0"),
        ("first leaf past u64", edited(&good, |a| a["first_leaf"] = json!(1e30)), window.clone(), "not a bucket answer"),
        ("the wallet's own leaf", edited(&good, |a| a["first_leaf"] = json!(5)), window.clone(), "not at the leaf 0"),
        ("no nodes", edited(&good, |a| a["nodes"] = json!([])), window.clone(), "2 levels of nodes, not 0"),
        ("a level too many", edited(&good, |a| a["nodes"].as_array_mut().unwrap().push(json!([]))), window.clone(), "not 3"),
        (
            "17 leaves",
            edited(&good, |a| a["nodes"][0].as_array_mut().unwrap().push(json!(fr_to_hex(&Fr::zero())))),
            window.clone(),
            "at most 16 nodes",
        ),
        ("a leaf dropped", edited(&good, |a| { a["nodes"][0].as_array_mut().unwrap().pop(); }), window.clone(), "not the hash of the level below"),
        ("no upper siblings", edited(&good, |a| a["upper_siblings"] = json!([])), window.clone(), "14 sibling triples above it, not 0"),
        ("a triple of two", edited(&good, |a| { a["upper_siblings"][3].as_array_mut().unwrap().pop(); }), window.clone(), "upper_siblings[3] has 2 hashes"),
        ("non-hex node", edited(&good, |a| a["nodes"][0][2] = json!("0x".to_owned() + &"zz".repeat(32))), window.clone(), "nodes[0][2] is not a canonical"),
        ("non-canonical node", edited(&good, |a| a["nodes"][0][2] = json!(MODULUS_HEX)), window.clone(), "nodes[0][2] is not a canonical"),
        ("short hash", edited(&good, |a| a["upper_siblings"][0][1] = json!("0x1234")), window.clone(), "upper_siblings[0][1] is not a canonical"),
        ("a number for a hash", edited(&good, |a| a["nodes"][1][0] = json!(12)), window.clone(), "not a bucket answer"),
        ("non-hex root", edited(&good, |a| a["root"] = json!("root")), window.clone(), "the root is not a canonical"),
        ("non-canonical root", edited(&good, |a| a["root"] = json!(MODULUS_HEX)), window.clone(), "the root is not a canonical"),
        (
            "a root the nodes do not hash to",
            edited(&good, |a| a["root"] = json!(fr_to_hex(&other.root()))),
            roots(&[tree.root(), other.root()]),
            "does not open to the root it claims",
        ),
        (
            "a forged sibling",
            edited(&good, |a| a["upper_siblings"][5][0] = json!(fr_to_hex(&Fr::from(5u64)))),
            window.clone(),
            "does not open to the root it claims",
        ),
        ("a root outside the window", good.clone(), roots(&[other.root()]), "not one of the roots the node accepts"),
        ("an empty window", good.clone(), json!([]), "not one of the roots the node accepts"),
        ("a garbage window", good.clone(), json!([{"root": "nope"}]), "root 0 of the node's window"),
        ("a bucket of another tree", other_bucket.clone(), window.clone(), "not one of the roots the node accepts"),
        ("another tree's nodes", edited(&good, |a| a["nodes"] = other_bucket["nodes"].clone()), window.clone(), "does not open to the root it claims"),
        ("not JSON", Value::Null, window.clone(), "not a bucket answer"),
    ];
    for (what, bucket, window, expected) in cases {
        let node = malicious(bucket, window);
        let err = BucketPaths { client: &node.client, levels: 2 }.path(5).unwrap_err();
        assert!(err.contains(expected), "{what}: {err}");
        assert!(node.asked().iter().all(|p| p == "/v1/buckets/0?levels=2" || p == "/v1/roots"), "{what}: {:?}", node.asked());
    }

    // A node that fails or answers garbage with an error status.
    let failing = FakeNode::start(|_| (500, "<html>".into()));
    let err = BucketPaths { client: &failing.client, levels: 2 }.path(5).unwrap_err();
    assert!(err.contains("node answered 500"), "{err}");
}

#[test]
fn proving_against_a_forging_node_reports_the_path_error() {
    let mut app = spawn_app();
    let wallet = Wallet::from_seed([23; 32]);
    let stranger = Wallet::from_seed([24; 32]);
    issue(&mut app, &stranger, 700, 10);
    let opening = issue(&mut app, &wallet, 720, 11);
    let request = new_request(&app, 700);
    let held = [HeldCredential::Groth16(opening)];
    // The node forges one leaf of the bucket (and the hashes above it would
    // have to follow); or sends another root than the one its nodes give.
    let forgeries: [(&str, fn(&mut Value)); 2] = [
        ("a forged leaf", |a| a["nodes"][0][0] = json!(fr_to_hex(&Fr::from(1u64)))),
        ("a forged root", |a| a["root"] = json!(fr_to_hex(&Fr::from(1u64)))),
    ];
    for (what, forge) in forgeries {
        let node = FakeNode::proxy_with(&app.base, move |path, mut answer| {
            if path.starts_with("/v1/buckets/") {
                forge(&mut answer);
            }
            answer
        });
        let paths = BucketPaths { client: &node.client, levels: 2 };
        match build_presentation(prover(), &wallet, &request, &held, &paths, today(), &mut rng(4)) {
            Err(PresentationError::Path(e)) => assert!(e.contains("does not open to the root it claims"), "{what}: {e}"),
            other => panic!("{what}: {:?}", other.map(|_| "a presentation")),
        }
    }
}

// ---------------------------------------------------------------------------
// The proving key against the ledger's registered verifying key

#[test]
fn the_proving_key_must_be_the_registered_setups() {
    let mut app = spawn_app();
    let fixture_pk = &keys().0;

    // Nothing registered yet: refused.
    let err = check_keys_against_ledger(&app.client, fixture_pk).unwrap_err();
    assert!(matches!(err.downcast_ref::<RegisteredKeyError>(), Some(RegisteredKeyError::NotRegistered { .. })), "{err:#}");
    assert!(err.to_string().contains("no verifying key registered"), "{err:#}");

    // The fixture setup registered: its proving key passes.
    app.register_predicate_key();
    check_keys_against_ledger(&app.client, fixture_pk).unwrap();

    // A keys directory from another setup: refused, naming both fingerprints.
    let dir = tempfile::tempdir().unwrap();
    let (other_pk, _) = zkreg_prover::setup(&mut rng(0xd1ff)).unwrap();
    write_keys(dir.path(), &other_pk).unwrap();
    let loaded = load_proving_key(&dir.path().join(PROVING_KEY_FILE)).unwrap();
    let err = check_keys_against_ledger(&app.client, &loaded).unwrap_err();
    let Some(RegisteredKeyError::Mismatch { local, registered, .. }) = err.downcast_ref::<RegisteredKeyError>() else { panic!("{err:#}") };
    assert_eq!(*local, hex::encode(zkreg_circuits::fingerprint::fingerprint(&other_pk.vk)));
    assert_eq!(*registered, hex::encode(zkreg_circuits::fingerprint::fingerprint(&keys().1)));
    assert!(err.to_string().contains("another trusted setup"), "{err:#}");
}

#[test]
fn a_node_answering_garbage_verifying_keys_is_an_error() {
    let fixture_pk = &keys().0;
    for (list, expected) in [
        (json!({"not": "a list"}), "not a list"),
        (json!([{"circuit_id": zkreg_circuits::constants::PREDICATE_CIRCUIT_ID, "fingerprint": "abc"}]), "not 32 bytes of hex"),
        (json!([{"circuit_id": "another-circuit", "fingerprint": "00".repeat(32)}]), "no verifying key registered"),
    ] {
        let node = FakeNode::start(move |_| (200, list.to_string()));
        let err = check_keys_against_ledger(&node.client, fixture_pk).unwrap_err();
        assert!(format!("{err:#}").contains(expected), "{err:#}");
        assert_eq!(node.asked(), ["/v1/verifying-keys"]);
    }
}
