//! Crash safety: the ledger node runs as a child process, takes writes under
//! load, and is killed with SIGKILL at random points; after each kill every
//! acknowledged transaction must be on disk and `verify-chain` must pass.

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use ark_bn254::Fr;
use ark_ff::UniformRand;
use ed25519_dalek::SigningKey;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha20Rng;

use zkreg_circuits::field::fr_to_bytes;
use zkreg_registry::{Genesis, Ledger, Transaction, TxBody};

fn genesis(authority: &SigningKey, regulator: &SigningKey) -> Genesis {
    let regulator_key = regulator.verifying_key().to_bytes();
    let authority_key = authority.verifying_key().to_bytes();
    Genesis::development("zkreg-crash-test", 1_750_000_000, &authority_key, ("central-bank", &regulator_key), &["credit-score"], 8)
}

fn spawn(dir: &std::path::Path, genesis: &std::path::Path) -> Child {
    Command::new(env!("CARGO_BIN_EXE_zkreg"))
        .args(["ledger-node", "--block-ms", "3", "--max-block-txs", "256", "--data-dir"])
        .arg(dir)
        .arg("--genesis")
        .arg(genesis)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn the ledger node")
}

/// Opens the ledger in this process once the killed child's lock is gone.
fn open(dir: &std::path::Path) -> Ledger {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        match Ledger::open(dir, None) {
            Ok(l) => return l,
            Err(e) if Instant::now() < deadline => {
                let _ = e;
                std::thread::sleep(Duration::from_millis(50));
            }
            Err(e) => panic!("reopen after kill: {e}"),
        }
    }
}

#[test]
fn acknowledged_writes_survive_sigkill() {
    let mut rng = ChaCha20Rng::seed_from_u64(0xc4a5);
    let authority = SigningKey::from_bytes(&[1; 32]);
    let regulator = SigningKey::from_bytes(&[2; 32]);
    let g = genesis(&authority, &regulator);
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let genesis_file = dir.path().join("genesis.json");
    std::fs::write(&genesis_file, serde_json::to_vec(&g).unwrap()).unwrap();

    let mut all_acked: Vec<[u8; 32]> = Vec::new();
    let mut next_nonce = 1u64;
    let mut kills = 0;
    let mut acked_before_kills = 0;
    for round in 0..5 {
        let mut child = spawn(&data, &genesis_file);
        let mut stdin = child.stdin.take().unwrap();
        let stdout = BufReader::new(child.stdout.take().unwrap());
        let acked = Arc::new(Mutex::new(Vec::<[u8; 32]>::new()));
        let ready = Arc::new(Mutex::new(false));
        let reader = {
            let (acked, ready) = (acked.clone(), ready.clone());
            std::thread::spawn(move || {
                for line in stdout.lines() {
                    let Ok(line) = line else { break };
                    let mut parts = line.split_whitespace();
                    match parts.next() {
                        Some("ready") => *ready.lock().unwrap() = true,
                        Some("ack") => {
                            let id: [u8; 32] = hex::decode(parts.next().unwrap()).unwrap().try_into().unwrap();
                            let _height = parts.next();
                            assert_eq!(parts.next(), Some("ok"), "every issuance in this test is valid");
                            acked.lock().unwrap().push(id);
                        }
                        _ => {}
                    }
                }
            })
        };
        let started = Instant::now();
        while !*ready.lock().unwrap() {
            assert!(started.elapsed() < Duration::from_secs(20), "node did not start");
            std::thread::sleep(Duration::from_millis(5));
        }
        // Write under load until a random moment, then SIGKILL.
        let kill_after = Duration::from_millis(rng.gen_range(80..400));
        let start = Instant::now();
        let last_round = round == 4;
        let mut sent = 0;
        while start.elapsed() < kill_after || (last_round && sent < 500) {
            let tx = Transaction {
                chain_id: g.chain_id.clone(),
                signer: regulator.verifying_key().to_bytes(),
                nonce: next_nonce + sent,
                body: TxBody::IssueCredential { schema: "credit-score".into(), inner: fr_to_bytes(&Fr::rand(&mut rng)) },
            }
            .sign(&regulator);
            if writeln!(stdin, "{}", hex::encode(tx.to_bytes())).is_err() {
                break;
            }
            sent += 1;
            if last_round && sent >= 500 {
                break;
            }
        }
        if last_round {
            // A clean shutdown: end of input drains the mempool.
            drop(stdin);
            assert!(child.wait().unwrap().success());
        } else {
            child.kill().unwrap(); // SIGKILL
            child.wait().unwrap();
            kills += 1;
            drop(stdin);
            acked_before_kills += acked.lock().unwrap().len();
        }
        reader.join().unwrap();
        let acked_now = acked.lock().unwrap().clone();
        eprintln!("round {round}: sent {sent}, acknowledged {} before the {}", acked_now.len(), if last_round { "clean exit" } else { "SIGKILL" });
        all_acked.extend(&acked_now);

        let ledger = open(&data);
        for id in &all_acked {
            let receipt = ledger.receipt(id).unwrap().unwrap_or_else(|| panic!("acknowledged transaction {} lost", hex::encode(id)));
            assert!(receipt.error.is_none());
        }
        assert_eq!(ledger.verify_chain(), Ok(ledger.height()), "round {round}");
        // Continue after the highest nonce the ledger kept (unacknowledged
        // writes may or may not have made it; either is correct).
        next_nonce = ledger.registry().nonces.get(&regulator.verifying_key().to_bytes()).copied().unwrap_or(0) + 1;
        assert!(ledger.tip().leaf_count as usize >= all_acked.len());
        drop(ledger);
        std::thread::sleep(Duration::from_millis(100));
    }
    assert_eq!(kills, 4);
    assert!(acked_before_kills > 0, "the kills must land while writes are being acknowledged");
    assert!(all_acked.len() >= 500, "the clean last round acknowledges all 500 of its writes");
}
