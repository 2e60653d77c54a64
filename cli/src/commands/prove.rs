//! `zkreg prove`: the holder proves locally that the wallet satisfies a
//! request.

use std::cell::RefCell;
use std::path::Path;

use anyhow::Context;
use ark_bn254::Fr;
use rand::rngs::OsRng;
use serde_json::json;

use zkreg_api::client::{check_keys_against_ledger, BucketPaths, Client};
use zkreg_prover::wallet::encryption::Passphrase;
use zkreg_circuits::presentation::{CredentialProof, Presentation};
use zkreg_circuits::tree::MerklePath;
use zkreg_prover::{build_presentation, CredentialOpening, HeldCredential, PathSource, PredicateProver, PresentationError, ProofStatement, ProveError};
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

/// Reads a proof request file.
pub fn read_request(path: &Path) -> anyhow::Result<ProofRequest> {
    let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
    serde_json::from_slice(&bytes).with_context(|| format!("{} is not a proof request", path.display()))
}

/// A wallet ready to answer a request: what `zkreg prove` and `zkreg export
/// wtns` establish before any proving work, so that both answer the same
/// requests with the same credentials, and refuse the same ones.
pub struct Answering {
    /// The node the ledger is read from.
    pub client: Client,
    /// The holder's wallet.
    pub wallet: zkreg_prover::Wallet,
    /// Its credentials of both kinds, in the order the prover tries them.
    pub held: Vec<HeldCredential>,
    /// The registered verifier the request comes from.
    pub verifier: zkreg_prover::RegisteredVerifier,
    /// A prover over the keys the ledger registered.
    pub prover: PredicateProver,
}

impl Answering {
    /// Opens the wallet, then checks with the ledger that the keys in `keys`
    /// are the registered setup and that `request` comes from the
    /// registered verifier it names (in that order; nothing else is asked
    /// of the node before the keys pass).
    pub fn open(node: &str, wallet_path: &Path, passphrase: &Passphrase, keys: &Path, request: &ProofRequest, as_json: bool) -> anyhow::Result<Self> {
        let (f, wallet) = WalletFile::read(wallet_path, passphrase)?;
        let pk = zkreg_prover::keys::load_proving_key(&keys.join(zkreg_prover::keys::PROVING_KEY_FILE))?;
        let client = Client::new(node);
        check_keys_against_ledger(&client, &pk)?;
        let verifier = check_request_origin(&client, request)?;
        if !as_json {
            eprintln!("request from registered verifier `{}` (key {}), scope {}", verifier.name, hex::encode(verifier.key), request.scope);
        }
        let prover = PredicateProver::new(pk)?;
        let held = f.credentials.into_iter().map(HeldCredential::Groth16).chain(f.range_credentials.into_iter().map(HeldCredential::Bulletproofs)).collect();
        Ok(Answering { client, wallet, held, verifier, prover })
    }

    /// Builds the presentation for `request`, taking each Groth16
    /// credential's path from `paths`.
    pub fn presentation<P: PathSource>(&self, request: &ProofRequest, paths: &P) -> anyhow::Result<Presentation> {
        build_presentation(&self.prover, &self.wallet, request, &self.held, paths, today(), &mut OsRng).map_err(explain)
    }

    /// The Groth16 credential, Merkle path and root `zkreg prove` would use
    /// for predicate `index` of `request` (validated, its predicate a
    /// Groth16 one), without proving.
    pub fn groth16_selection<P: PathSource>(&self, request: &ProofRequest, index: usize, paths: &P) -> anyhow::Result<Groth16Selection> {
        let spec = request.predicates.get(index).with_context(|| format!("the request has no predicate {index}"))?;
        // `build_presentation` is where `zkreg prove` picks a credential for
        // each predicate (in isolation from the other predicates). Run on
        // this predicate alone, with a path source that ends the run once the
        // chosen credential's path is fetched, the choice is prove's own and
        // no proof is made.
        let alone = ProofRequest { predicates: vec![spec.clone()], ..request.clone() };
        let stop = StopAtPath { paths, taken: RefCell::new(None) };
        let today = today();
        let outcome = build_presentation(&self.prover, &self.wallet, &alone, &self.held, &stop, today, &mut OsRng);
        let Some((leaf, path, root)) = stop.taken.into_inner() else {
            return Err(match outcome {
                Err(PresentationError::NoCredential(_)) => explain(PresentationError::NoCredential(index)),
                Err(e) => explain(e),
                Ok(_) => anyhow::anyhow!("predicate {index} is not answered with a Groth16 proof"),
            });
        };
        // The wallet holds one opening per leaf; a second one claiming the
        // same leaf would be refused by the native checks of `circuit_for`.
        let opening = self
            .held
            .iter()
            .find_map(|h| match h {
                HeldCredential::Groth16(o) if o.leaf_index == Some(leaf) => Some(o.clone()),
                _ => None,
            })
            .with_context(|| format!("no credential of the wallet is at leaf {leaf}"))?;
        let (lo, hi) = spec.operator.bounds()?;
        let statement = ProofStatement { lo, hi, today, scope: request.scope_field(), challenge: request.challenge_field() };
        Ok(Groth16Selection { opening, path, root, statement })
    }

    /// Paths from whole buckets of the node's tree, asked for by their first
    /// leaf and verified against the node's root window.
    pub fn bucket_paths(&self, levels: usize) -> BucketPaths<'_> {
        BucketPaths { client: &self.client, levels }
    }

    /// With the chain's genesis: each of `roots` must be one a majority of
    /// the consortium signed (nothing to check when it names no consortium).
    pub fn check_roots_attested(&self, genesis: Option<&Path>, roots: impl IntoIterator<Item = Fr>, as_json: bool) -> anyhow::Result<()> {
        let consortium = genesis.map(crate::files::read_genesis).transpose()?.map(|g| g.consortium_keys()).transpose().map_err(|e| anyhow::anyhow!("the genesis' consortium: {e}"))?;
        let Some(consortium) = consortium.filter(|c| !c.is_empty()) else { return Ok(()) };
        for root in roots {
            let height = self.client.attested_root(&root, &consortium, std::time::Duration::from_secs(10))?;
            if !as_json {
                eprintln!("root of block {height} signed by a majority of the consortium");
            }
        }
        Ok(())
    }
}

/// What answers one Groth16 predicate: the credential, its Merkle path, the
/// root the path opens to (one of the node's recent roots) and the statement.
pub struct Groth16Selection {
    /// The credential's opening.
    pub opening: CredentialOpening,
    /// Its path in the ledger's tree.
    pub path: MerklePath,
    /// The root the path opens to.
    pub root: Fr,
    /// The statement the proof is of, as `zkreg prove` makes it.
    pub statement: ProofStatement,
}

/// Fetches one path from `paths`, keeps it, and then fails, so that
/// `build_presentation` stops before proving.
struct StopAtPath<'a, P> {
    paths: &'a P,
    taken: RefCell<Option<(u64, MerklePath, Fr)>>,
}

impl<P: PathSource> PathSource for StopAtPath<'_, P> {
    fn path(&self, leaf_index: u64) -> Result<(MerklePath, Fr), String> {
        let (path, root) = self.paths.path(leaf_index)?;
        *self.taken.borrow_mut() = Some((leaf_index, path, root));
        Err("stopped once the path was fetched".into())
    }
}

/// A presentation error, with the likely cause of a credential missing from the tree.
pub fn explain(e: PresentationError) -> anyhow::Error {
    match e {
        PresentationError::Groth16(ProveError::NotInTree) => anyhow::anyhow!("{e}: the credential is no longer in the ledger's tree (revoked?)"),
        e => e.into(),
    }
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
    let request = read_request(request_path)?;
    if out.exists() {
        anyhow::bail!("{} exists; not overwriting it", out.display());
    }
    let answering = Answering::open(node, wallet_path, passphrase, keys, &request, as_json)?;
    let started = std::time::Instant::now();
    let presentation = with_spinner("proving", as_json, || answering.presentation(&request, &answering.bucket_paths(bucket_levels)))?;
    let ms = started.elapsed().as_secs_f64() * 1e3;
    let roots = presentation.proofs.iter().filter_map(|proof| match proof {
        CredentialProof::Groth16(p) => Some(p.root),
        CredentialProof::Bulletproofs(_) => None,
    });
    answering.check_roots_attested(genesis, roots, as_json)?;
    write_new(out, &serde_json::to_vec_pretty(&presentation)?)?;
    let answer = json!({"presentation_file": out, "verifier": answering.verifier.name, "scope": request.scope, "proofs": presentation.proofs.len(), "ms": (ms * 10.0).round() / 10.0});
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
