//! `zkreg prove`: the holder proves locally that the wallet satisfies a
//! request.

use std::path::Path;

use anyhow::Context;
use rand::rngs::OsRng;
use serde_json::json;

use zkreg_api::client::{check_keys_against_ledger, BucketPaths, Client};
use zkreg_prover::wallet::encryption::Passphrase;
use zkreg_prover::{build_presentation, HeldCredential, PredicateProver};
use zkreg_verifier::ProofRequest;

use super::today;
use crate::files::{write_new, WalletFile};
use crate::output::{print, with_spinner};

/// The verifier the request names, looked up in the ledger's registry: it
/// must be registered and active, have signed the request with its
/// registered key, and own the request's scope (`<name>/<purpose>`).
fn check_request_origin(client: &Client, request: &ProofRequest) -> anyhow::Result<zkreg_prover::RegisteredVerifier> {
    let listed = client.verifiers().context("fetching the ledger's verifier registry")?;
    // An entry whose key is not 32 bytes of hex names no one a request could come from.
    let verifiers: Vec<zkreg_prover::RegisteredVerifier> = listed
        .into_iter()
        .filter_map(|v| {
            let key = zkreg_circuits::hex::parse_array(&v.key).ok()?;
            Some(zkreg_prover::RegisteredVerifier { name: v.name, key, active: v.active })
        })
        .collect();
    let verifier = zkreg_prover::check_request_origin(request, &verifiers).map_err(|e| anyhow::anyhow!("not answering this request: {e}"))?;
    Ok(verifier.clone())
}

/// `zkreg prove`: entirely local except for reading the ledger: the
/// verifier registry (the request must come from the verifier it names), the
/// registered verifying key's fingerprint (the proving key must match it),
/// and, for Groth16 credentials, a whole bucket of the tree, asked for by
/// its first leaf and verified against the node's root window. Answers with
/// any credential of either kind.
#[allow(clippy::too_many_arguments)]
pub fn run(
    node: &str,
    wallet_path: &Path,
    passphrase: &Passphrase,
    keys: &Path,
    request_path: &Path,
    out: &Path,
    bucket_levels: usize,
    genesis: Option<&Path>,
    as_json: bool,
) -> anyhow::Result<()> {
    let (f, wallet) = WalletFile::read(wallet_path, passphrase)?;
    let request: ProofRequest = serde_json::from_slice(&std::fs::read(request_path).with_context(|| format!("reading {}", request_path.display()))?)
        .with_context(|| format!("{} is not a proof request", request_path.display()))?;
    if out.exists() {
        anyhow::bail!("{} exists; not overwriting it", out.display());
    }
    let pk = zkreg_prover::keys::load_proving_key(&keys.join(zkreg_prover::keys::PROVING_KEY_FILE))?;
    let client = Client::new(node);
    // Before any proving work: the keys must be the setup the ledger registered,
    // and the request must come from the registered verifier it names.
    check_keys_against_ledger(&client, &pk)?;
    let verifier = check_request_origin(&client, &request)?;
    if !as_json {
        eprintln!("request from registered verifier `{}` (key {}), scope {}", verifier.name, hex::encode(verifier.key), request.scope);
    }
    let prover = PredicateProver::new(pk)?;
    let held: Vec<HeldCredential> =
        f.credentials.into_iter().map(HeldCredential::Groth16).chain(f.range_credentials.into_iter().map(HeldCredential::Bulletproofs)).collect();
    // Asks for whole buckets by their first leaf and verifies them against the node's root window.
    let paths = BucketPaths { client: &client, levels: bucket_levels };
    let started = std::time::Instant::now();
    let presentation = with_spinner("proving", as_json, || build_presentation(&prover, &wallet, &request, &held, &paths, today(), &mut OsRng))
        .map_err(|e| match e {
            zkreg_prover::PresentationError::Groth16(zkreg_prover::ProveError::NotInTree) => {
                anyhow::anyhow!("{e}: the credential is no longer in the ledger's tree (revoked?)")
            }
            e => e.into(),
        })?;
    let ms = started.elapsed().as_secs_f64() * 1e3;
    // With the genesis: every root used must be one a majority of the consortium signed.
    let consortium = genesis.map(crate::files::read_genesis).transpose()?.map(|g| g.consortium_keys()).transpose().map_err(|e| anyhow::anyhow!("the genesis' consortium: {e}"))?;
    if let Some(consortium) = consortium.filter(|c| !c.is_empty()) {
        for proof in &presentation.proofs {
            if let zkreg_circuits::presentation::CredentialProof::Groth16(p) = proof {
                let height = client.attested_root(&p.root, &consortium, std::time::Duration::from_secs(10))?;
                if !as_json {
                    eprintln!("root of block {height} signed by a majority of the consortium");
                }
            }
        }
    }
    write_new(out, &serde_json::to_vec_pretty(&presentation)?)?;
    let answer = json!({"presentation_file": out, "verifier": verifier.name, "scope": request.scope, "proofs": presentation.proofs.len(), "ms": (ms * 10.0).round() / 10.0});
    print(as_json, answer, || format!("presentation written to {} ({} proof(s), {ms:.0} ms)", out.display(), presentation.proofs.len()));
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::io::{BufRead, BufReader, Write};
    use std::sync::{Arc, Mutex};

    use ed25519_dalek::SigningKey;
    use rand::SeedableRng;
    use rand_chacha::ChaCha20Rng;
    use serde_json::Value;

    use zkreg_circuits::constants::PREDICATE_CIRCUIT_ID;
    use zkreg_verifier::{Backend, Operator, PredicateSpec};

    use super::*;
    use crate::commands::wallet;

    /// A fake node answering `/v1/verifying-keys` with `keys` (404 to
    /// anything else) and recording the paths asked for.
    fn fake_node(keys: Value) -> (String, Arc<Mutex<Vec<String>>>) {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let asked = Arc::new(Mutex::new(Vec::new()));
        let log = asked.clone();
        std::thread::spawn(move || {
            for mut stream in listener.incoming().flatten() {
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                let (mut first, mut line) = (String::new(), String::new());
                let _ = reader.read_line(&mut first);
                while reader.read_line(&mut line).is_ok_and(|n| n > 0) && line != "\r\n" {
                    line.clear();
                }
                let path = first.split_whitespace().nth(1).unwrap_or_default().to_owned();
                log.lock().unwrap().push(path.clone());
                let bank = hex::encode(SigningKey::from_bytes(&[5; 32]).verifying_key().to_bytes());
                let (status, body) = match path.as_str() {
                    "/v1/verifying-keys" => (200, keys.to_string()),
                    "/v1/verifiers" => (200, json!([{"name": "bank-a", "key": bank, "active": true, "since": 1}]).to_string()),
                    _ => (404, "{}".to_owned()),
                };
                let head = format!("HTTP/1.1 {status} X\r\ncontent-length: {}\r\nconnection: close\r\n\r\n", body.len());
                let _ = stream.write_all(head.as_bytes()).and_then(|_| stream.write_all(body.as_bytes()));
            }
        });
        (base, asked)
    }

    #[test]
    fn prove_refuses_keys_the_ledger_did_not_register_before_any_work() {
        let dir = tempfile::tempdir().unwrap();
        let (pk, _) = zkreg_prover::setup(&mut ChaCha20Rng::seed_from_u64(9)).unwrap();
        let keys = dir.path().join("keys");
        let ours = zkreg_prover::keys::write_keys(&keys, &pk).unwrap();
        let wallet = dir.path().join("wallet.json");
        let passphrase = wallet::testing::passphrase();
        wallet::new(&wallet, &passphrase, true).unwrap();
        let mut request = ProofRequest {
            version: zkreg_circuits::request::REQUEST_VERSION,
            verifier: "bank-a".into(),
            scope: "bank-a/loans".into(),
            challenge: "11".repeat(32),
            expires_at: u64::MAX,
            predicates: vec![PredicateSpec { schema: "credit-score".into(), operator: Operator::AtLeast { value: 700 }, allowed_issuers: vec![], backend: Backend::Groth16 }],
            signature: None,
        };
        request.sign(&SigningKey::from_bytes(&[5; 32]));
        let request_path = dir.path().join("request.json");
        std::fs::write(&request_path, serde_json::to_vec(&request).unwrap()).unwrap();
        let out = dir.path().join("presentation.json");
        let entry = |fp: [u8; 32]| json!([{"circuit_id": PREDICATE_CIRCUIT_ID, "fingerprint": hex::encode(fp), "key": "", "since": 1}]);

        for (keys_listed, expected) in [
            (json!([]), "no verifying key registered"),
            (entry([7; 32]), "another trusted setup"),
            (json!([{"circuit_id": "zkreg-predicate-v0", "fingerprint": hex::encode(ours), "key": "", "since": 1}]), "no verifying key registered"),
        ] {
            let (node, asked) = fake_node(keys_listed);
            let err = run(&node, &wallet, &passphrase, &keys, &request_path, &out, 5, None, true).unwrap_err();
            assert!(format!("{err:#}").contains(expected), "{err:#}");
            assert_eq!(*asked.lock().unwrap(), ["/v1/verifying-keys"], "nothing else is asked before the keys are checked");
            assert!(!out.exists());
        }
        // The registered setup's keys pass the check, then the request's
        // origin (bank-a's registered key signed it); this wallet then has
        // no credential.
        let (node, asked) = fake_node(entry(ours));
        let err = run(&node, &wallet, &passphrase, &keys, &request_path, &out, 5, None, true).unwrap_err();
        assert!(format!("{err:#}").contains("no credential satisfies"), "{err:#}");
        assert_eq!(*asked.lock().unwrap(), ["/v1/verifying-keys", "/v1/verifiers"]);
        // A request bank-a did not sign is refused before any proving work.
        request.sign(&SigningKey::from_bytes(&[6; 32]));
        std::fs::write(&request_path, serde_json::to_vec(&request).unwrap()).unwrap();
        let (node, _) = fake_node(entry(ours));
        let err = run(&node, &wallet, &passphrase, &keys, &request_path, &out, 5, None, true).unwrap_err();
        assert!(format!("{err:#}").contains("does not verify under the verifier's key"), "{err:#}");
        assert!(!out.exists());
    }
}
