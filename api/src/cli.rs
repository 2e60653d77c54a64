//! The `zkreg` commands for people: keys, wallets, issuing, requesting,
//! proving, verifying, and `dev` (a ready local node).

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context;
use ark_serialize::CanonicalSerialize;
use ed25519_dalek::SigningKey;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use rand::rngs::OsRng;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use zkreg_api::client::{check_keys_against_ledger, BucketPaths, Client};
use zkreg_circuits::constants::PREDICATE_CIRCUIT_ID;
use zkreg_circuits::field::{fr_from_hex, fr_to_bytes, fr_to_hex};
use zkreg_circuits::range_statement::PedersenOpening;
use zkreg_prover::{build_presentation, CredentialOpening, HeldCredential, PredicateProver, RangeCredentialOpening, Wallet};
use zkreg_registry::{Genesis, TxBody};
use zkreg_verifier::{Backend, Operator, PredicateSpec, Presentation, ProofRequest};

/// An ed25519 key file (JSON; the secret is plaintext: keep the file private).
#[derive(Serialize, Deserialize)]
pub struct KeyFile {
    /// Public key, hex.
    pub public: String,
    /// Secret key, hex.
    pub secret: String,
}

/// Writes a new key to `path` (refuses to overwrite).
pub fn new_key(path: &Path) -> anyhow::Result<SigningKey> {
    let key = SigningKey::generate(&mut OsRng);
    write_new(path, &serde_json::to_vec_pretty(&KeyFile { public: hex::encode(key.verifying_key().to_bytes()), secret: hex::encode(key.to_bytes()) })?)?;
    Ok(key)
}

/// Reads a key file.
pub fn read_key(path: &Path) -> anyhow::Result<SigningKey> {
    let f: KeyFile = serde_json::from_slice(&std::fs::read(path).with_context(|| format!("reading {}", path.display()))?)
        .with_context(|| format!("{} is not a key file", path.display()))?;
    let secret: [u8; 32] = hex::decode(&f.secret).ok().and_then(|b| b.try_into().ok()).context("the secret is not 32 bytes of hex")?;
    Ok(SigningKey::from_bytes(&secret))
}

fn write_new(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    if path.exists() {
        anyhow::bail!("{} exists; not overwriting it", path.display());
    }
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent)?;
    }
    std::fs::write(path, bytes).with_context(|| format!("writing {}", path.display()))
}

/// A holder's wallet file: the seed and the credential openings.
#[derive(Serialize, Deserialize, Default)]
pub struct WalletFile {
    /// The wallet seed, hex (everything else derives from it).
    pub seed: String,
    /// Imported Groth16 credentials.
    #[serde(default)]
    pub credentials: Vec<CredentialOpening>,
    /// Imported Bulletproofs (Pedersen) credentials; absent in wallet files
    /// written before they existed.
    #[serde(default)]
    pub range_credentials: Vec<RangeCredentialOpening>,
}

/// A Bulletproofs credential as the regulator hands it to the holder: the
/// opening, and what the ledger recorded with it (holder key, commitment).
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RangeCredentialFile {
    /// Schema name.
    pub schema: String,
    /// Issuer name.
    pub issuer: String,
    /// Last valid day (public on the ledger).
    pub expiry: u32,
    /// The holder's ed25519 key the credential is registered with, hex.
    pub holder_key: String,
    /// The compressed Ristretto commitment registered on the ledger, hex.
    pub commitment: String,
    /// Value and blinding.
    pub opening: PedersenOpening,
}

/// A credential file written by `zkreg issue`. In JSON it carries
/// `"kind": "groth16"` or `"kind": "bulletproofs"`; a file without `kind`
/// (written before Bulletproofs credentials existed) is a Groth16 opening.
#[derive(Serialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum CredentialFile {
    /// A Groth16 credential: the opening of a commitment in the tree.
    Groth16(CredentialOpening),
    /// A Bulletproofs credential: a Pedersen commitment registered with the holder's key.
    Bulletproofs(RangeCredentialFile),
}

impl CredentialFile {
    /// Parses a credential file (either kind, or the format without `kind`).
    pub fn parse(bytes: &[u8]) -> anyhow::Result<Self> {
        let mut value: Value = serde_json::from_slice(bytes).context("not JSON")?;
        let kind = match value.as_object_mut().context("a credential file is a JSON object")?.remove("kind") {
            None => return Ok(CredentialFile::Groth16(serde_json::from_value(value).context("not a Groth16 credential")?)),
            Some(Value::String(kind)) => kind,
            Some(other) => anyhow::bail!("`kind` is a string, not {other}"),
        };
        match kind.as_str() {
            "groth16" => Ok(CredentialFile::Groth16(serde_json::from_value(value).context("not a Groth16 credential")?)),
            "bulletproofs" => Ok(CredentialFile::Bulletproofs(serde_json::from_value(value).context("not a Bulletproofs credential")?)),
            other => anyhow::bail!("unknown credential kind {other:?} (groth16 or bulletproofs)"),
        }
    }
}

fn hex32(s: &str, what: &str) -> anyhow::Result<[u8; 32]> {
    hex::decode(s.trim().trim_start_matches("0x"))
        .ok()
        .and_then(|b| b.try_into().ok())
        .with_context(|| format!("{what} is 32 bytes as 64 hex digits"))
}

/// What `wallet show` and `wallet import` say about a Groth16 credential.
fn groth16_summary(c: &CredentialOpening) -> Value {
    json!({"kind": "groth16", "schema": c.schema, "issuer": c.issuer, "expiry": c.expiry, "leaf_index": c.leaf_index, "commitment": fr_to_hex(&c.commitment)})
}

/// What `wallet show` and `wallet import` say about a Bulletproofs credential.
fn range_summary(c: &RangeCredentialOpening) -> Value {
    json!({"kind": "bulletproofs", "schema": c.schema, "issuer": c.issuer, "expiry": c.expiry, "commitment": hex::encode(c.opening.commit().as_bytes())})
}

/// Runs `work` under a spinner with the elapsed time on stderr. The spinner
/// is hidden when stderr is not a terminal, or when `quiet` (`--json`).
pub fn with_spinner<T>(message: &str, quiet: bool, work: impl FnOnce() -> T) -> T {
    let target = if quiet { ProgressDrawTarget::hidden() } else { ProgressDrawTarget::stderr() };
    let spinner = ProgressBar::with_draw_target(None, target);
    if let Ok(style) = ProgressStyle::with_template("{spinner} {msg} ({elapsed})") {
        spinner.set_style(style);
    }
    spinner.set_message(message.to_owned());
    spinner.enable_steady_tick(Duration::from_millis(100));
    let out = work();
    spinner.finish_and_clear();
    out
}

/// The trusted setup of the predicate circuit into `out`, under a spinner;
/// returns the verifying key's fingerprint.
pub fn setup(out: &Path, quiet: bool) -> anyhow::Result<[u8; 32]> {
    let pk = with_spinner("trusted setup of the predicate circuit", quiet, || zkreg_prover::setup(&mut OsRng).map(|(pk, _vk)| pk))?;
    Ok(zkreg_prover::keys::write_keys(out, &pk)?)
}

impl WalletFile {
    /// Reads a wallet file.
    pub fn read(path: &Path) -> anyhow::Result<(Self, Wallet)> {
        let f: WalletFile = serde_json::from_slice(&std::fs::read(path).with_context(|| format!("reading {}", path.display()))?)
            .with_context(|| format!("{} is not a wallet file", path.display()))?;
        let wallet = Wallet::from_seed_hex(&f.seed)?;
        Ok((f, wallet))
    }

    fn save(&self, path: &Path) -> anyhow::Result<()> {
        Ok(std::fs::write(path, serde_json::to_vec_pretty(self)?)?)
    }
}

/// `zkreg wallet new`.
pub fn wallet_new(path: &Path, as_json: bool) -> anyhow::Result<()> {
    let wallet = Wallet::generate(&mut OsRng);
    write_new(path, &serde_json::to_vec_pretty(&WalletFile { seed: wallet.seed_hex().to_string(), ..Default::default() })?)?;
    if !as_json {
        println!("new wallet {}", path.display());
    }
    wallet_show(path, as_json)
}

/// `zkreg wallet show`: the holder id, the authentication key and every
/// credential held, of both kinds.
pub fn wallet_show(path: &Path, as_json: bool) -> anyhow::Result<()> {
    let (f, wallet) = WalletFile::read(path)?;
    let creds: Vec<Value> = f.credentials.iter().map(groth16_summary).chain(f.range_credentials.iter().map(range_summary)).collect();
    if as_json {
        println!(
            "{}",
            json!({"wallet": path, "holder_id": fr_to_hex(&wallet.holder_id()), "auth_key": hex::encode(wallet.auth_public()), "credentials": creds})
        );
    } else {
        println!("holder id (give this to a regulator):  {}", fr_to_hex(&wallet.holder_id()));
        println!("authentication key (for Bulletproofs): {}", hex::encode(wallet.auth_public()));
        println!("credentials: {}", creds.len());
        for c in creds {
            println!("  {c}");
        }
    }
    Ok(())
}

/// `zkreg wallet import`: adds a credential file after checking it is this
/// holder's (Groth16: the opening hashes to its commitment for this holder
/// id; Bulletproofs: it is registered for this wallet's authentication key
/// and the opening opens the registered commitment).
pub fn wallet_import(path: &Path, credential: &Path, as_json: bool) -> anyhow::Result<()> {
    let (mut f, wallet) = WalletFile::read(path)?;
    let bytes = std::fs::read(credential).with_context(|| format!("reading {}", credential.display()))?;
    let file = CredentialFile::parse(&bytes).with_context(|| format!("{} is not a credential file", credential.display()))?;
    let summary = match file {
        CredentialFile::Groth16(opening) => {
            opening.check(wallet.holder_id()).context("this credential was not issued to this wallet's holder id")?;
            if f.credentials.iter().any(|c| c.commitment == opening.commitment) {
                anyhow::bail!("the wallet already holds this credential");
            }
            let summary = groth16_summary(&opening);
            f.credentials.push(opening);
            summary
        }
        CredentialFile::Bulletproofs(file) => {
            if hex32(&file.holder_key, "holder_key")? != wallet.auth_public() {
                anyhow::bail!("this credential is registered for another holder key, not this wallet's authentication key");
            }
            let commitment = hex32(&file.commitment, "commitment")?;
            if file.opening.commit().to_bytes() != commitment {
                anyhow::bail!("the opening does not open the registered commitment");
            }
            if f.range_credentials.iter().any(|c| c.opening.commit().to_bytes() == commitment) {
                anyhow::bail!("the wallet already holds this credential");
            }
            let held = RangeCredentialOpening { schema: file.schema, issuer: file.issuer, expiry: file.expiry, opening: file.opening };
            let summary = range_summary(&held);
            f.range_credentials.push(held);
            summary
        }
    };
    f.save(path)?;
    if as_json {
        println!("{}", json!({"wallet": path, "imported": summary}));
    } else {
        println!("imported {} credential {} from {} (commitment {})", summary["kind"].as_str().unwrap_or(""), summary["schema"].as_str().unwrap_or(""), summary["issuer"].as_str().unwrap_or(""), summary["commitment"].as_str().unwrap_or(""));
    }
    Ok(())
}

fn today() -> u32 {
    (zkreg_api::node::now_secs() / 86_400) as u32
}

/// Whom `zkreg issue` issues to.
pub enum Recipient<'a> {
    /// A Groth16 credential for a holder id (`zkreg wallet show`).
    HolderId(&'a str),
    /// A Bulletproofs credential registered with a holder's ed25519
    /// authentication key (`zkreg wallet show`).
    HolderKey(&'a str),
}

/// What `zkreg issue` issues.
pub struct Issuance<'a> {
    /// The regulator's registered name.
    pub issuer: &'a str,
    /// The schema.
    pub schema: &'a str,
    /// The value (a score, a licence class…).
    pub value: u64,
    /// Days from today the credential stays valid.
    pub valid_days: u32,
}

/// `zkreg issue`: the regulator commits to the value on its side, registers
/// only the commitment on the ledger, and writes the credential file for
/// the holder (refusing to overwrite one).
pub fn issue(node: &str, key: &Path, what: &Issuance, to: Recipient, out: &Path, as_json: bool) -> anyhow::Result<()> {
    let key = read_key(key)?;
    if out.exists() {
        anyhow::bail!("{} exists; not overwriting it", out.display());
    }
    let expiry = today().checked_add(what.valid_days).context("--valid-days is too large")?;
    let (file, body) = match to {
        Recipient::HolderId(holder) => {
            let holder_id = fr_from_hex(holder).context("--holder must be the holder id printed by `zkreg wallet show`")?;
            let opening = CredentialOpening::issue(what.schema, what.issuer, holder_id, what.value, expiry, &mut OsRng);
            let body = TxBody::IssueCredential { schema: what.schema.into(), inner: fr_to_bytes(&opening.inner(holder_id)) };
            (CredentialFile::Groth16(opening), body)
        }
        Recipient::HolderKey(holder_key) => {
            let holder_key = hex32(holder_key, "--holder-key (the authentication key printed by `zkreg wallet show`)")?;
            ed25519_dalek::VerifyingKey::from_bytes(&holder_key).ok().filter(|k| !k.is_weak()).context("--holder-key is not a valid ed25519 public key")?;
            let opening = PedersenOpening::random(what.value, &mut OsRng);
            let commitment = opening.commit().to_bytes();
            let body = TxBody::IssueRangeCredential { schema: what.schema.into(), commitment, holder_key, expiry };
            let file = RangeCredentialFile {
                schema: what.schema.into(),
                issuer: what.issuer.into(),
                expiry,
                holder_key: hex::encode(holder_key),
                commitment: hex::encode(commitment),
                opening,
            };
            (CredentialFile::Bulletproofs(file), body)
        }
    };
    let client = Client::new(node);
    check_issuer_name(&client, &key, what)?;
    let receipt = client.submit(&client.chain_id()?, &key, body)?;
    let (file, kind, commitment) = match file {
        CredentialFile::Groth16(mut opening) => {
            // The ledger computed the leaf from the issuer name our key is
            // registered under: it must be the commitment the file names.
            if receipt["commitment"].as_str().map(|c| c.trim_start_matches("0x")) != Some(&hex::encode(fr_to_bytes(&opening.commitment))) {
                anyhow::bail!("the ledger appended another leaf than this credential's commitment (is --issuer the name this key is registered under?)");
            }
            opening.leaf_index = receipt["leaf_index"].as_u64();
            let cm = fr_to_hex(&opening.commitment);
            (CredentialFile::Groth16(opening), "groth16", cm)
        }
        CredentialFile::Bulletproofs(file) => {
            let cm = file.commitment.clone();
            (CredentialFile::Bulletproofs(file), "bulletproofs", cm)
        }
    };
    write_new(out, &serde_json::to_vec_pretty(&file)?)?;
    let leaf_index = receipt["leaf_index"].as_u64();
    if as_json {
        println!(
            "{}",
            json!({"kind": kind, "schema": what.schema, "issuer": what.issuer, "commitment": commitment, "leaf_index": leaf_index,
                   "expiry": expiry, "height": receipt["height"], "tx_id": receipt["tx_id"], "credential_file": out})
        );
    } else {
        let at = leaf_index.map(|i| format!(" at leaf {i}")).unwrap_or_default();
        println!("issued {} credential {}{at} in block {}; commitment {commitment}; credential file: {}", kind, what.schema, receipt["height"], out.display());
    }
    Ok(())
}

/// Refuses, before anything is submitted, to issue under an issuer name
/// that is not the one `key` is registered under, or for a schema that name
/// may not issue: the ledger computes the leaf from the registered name, so
/// the credential file would not open it.
fn check_issuer_name(client: &Client, key: &SigningKey, what: &Issuance) -> anyhow::Result<()> {
    let me = hex::encode(key.verifying_key().to_bytes());
    let issuers = client.get("/v1/issuers")?;
    let mine = issuers
        .as_array()
        .and_then(|list| list.iter().find(|i| i["key"].as_str() == Some(&me) && i["active"] == json!(true)))
        .context("this key is not an active regulator's on the ledger")?;
    if mine["name"].as_str() != Some(what.issuer) {
        anyhow::bail!("this key is registered as issuer `{}`, not `{}`", mine["name"].as_str().unwrap_or(""), what.issuer);
    }
    if !mine["schemas"].as_array().is_some_and(|s| s.iter().any(|x| x.as_str() == Some(what.schema))) {
        anyhow::bail!("issuer `{}` may not issue schema `{}`", what.issuer, what.schema);
    }
    Ok(())
}

/// A public key given as 64 hex digits, or as a key file (whose public key is taken).
pub fn public_key_arg(arg: &str) -> anyhow::Result<[u8; 32]> {
    if let Ok(bytes) = hex32(arg, "the key") {
        return Ok(bytes);
    }
    Ok(read_key(Path::new(arg)).with_context(|| format!("`{arg}` is neither 64 hex digits nor a key file"))?.verifying_key().to_bytes())
}

/// `zkreg verifier register|retire`: a governance transaction signed by a
/// root authority and approved by the others given.
pub fn governance(node: &str, key: &Path, approvers: &[PathBuf], body: TxBody, as_json: bool) -> anyhow::Result<()> {
    let key = read_key(key)?;
    let approvers = approvers.iter().map(|p| read_key(p)).collect::<anyhow::Result<Vec<_>>>()?;
    let client = Client::new(node);
    let what = format!("{body:?}");
    let receipt = client.submit_approved(&client.chain_id()?, &key, &approvers, body)?;
    if as_json {
        println!("{}", json!({"applied": what, "height": receipt["height"], "tx_id": receipt["tx_id"]}));
    } else {
        println!("applied in block {}: {what}", receipt["height"]);
    }
    Ok(())
}

/// `zkreg revoke`: the issuing regulator revokes a credential of either kind.
pub fn revoke(node: &str, key: &Path, commitment: &str, as_json: bool) -> anyhow::Result<()> {
    let key = read_key(key)?;
    let cm = hex32(commitment, "--commitment")?;
    let client = Client::new(node);
    let receipt = client.submit(&client.chain_id()?, &key, TxBody::Revoke { commitment: cm })?;
    if as_json {
        println!("{}", json!({"revoked": hex::encode(cm), "height": receipt["height"], "tx_id": receipt["tx_id"]}));
    } else {
        println!("revoked {} in block {}", hex::encode(cm), receipt["height"]);
    }
    Ok(())
}

/// `zkreg request`: a bank asks the node for a proof request with a fresh challenge.
#[allow(clippy::too_many_arguments)]
pub fn request(node: &str, key: &Path, verifier: &str, scope: &str, schema: &str, op: &str, value: u64, hi: Option<u64>, issuers: Vec<String>, bulletproofs: bool, out: &Path, as_json: bool) -> anyhow::Result<()> {
    let key = read_key(key)?;
    let operator = match (op, hi) {
        (">=", _) => Operator::AtLeast { value },
        ("<=", _) => Operator::AtMost { value },
        ("==", _) => Operator::Equals { value },
        ("between", Some(hi)) => Operator::Between { lo: value, hi },
        ("between", None) => anyhow::bail!("`between` needs --hi"),
        _ => anyhow::bail!("--op is one of >=, <=, ==, between"),
    };
    let spec = PredicateSpec { schema: schema.into(), operator, allowed_issuers: issuers, backend: if bulletproofs { Backend::Bulletproofs } else { Backend::Groth16 } };
    let client = Client::new(node);
    let answer = client.post("/v1/requests", &json!({"verifier": verifier, "scope": scope, "predicates": [spec.clone()]}), Some(&key))?;
    let mut req: ProofRequest = serde_json::from_value(answer).context("the node's answer is not a proof request")?;
    // Sign only what was asked for: a node that changed the request would
    // otherwise have the bank vouch for it to holders.
    if req.verifier != verifier || req.scope != scope || req.predicates != [spec] || req.signature.is_some() {
        anyhow::bail!("the node answered with another request than the one asked for; not signing it");
    }
    req.validate().context("the node's request is not valid")?;
    req.sign(&key);
    write_new(out, &serde_json::to_vec_pretty(&req)?)?;
    let challenge = req.challenge.as_str();
    if as_json {
        println!("{}", json!({"request_file": out, "challenge": challenge, "expires_at": req.expires_at}));
    } else {
        println!("signed proof request written to {} (challenge {}…, expires at {})", out.display(), challenge.get(..8).unwrap_or(challenge), req.expires_at);
    }
    Ok(())
}

/// The verifier the request names, looked up in the ledger's registry: it
/// must be registered and active, have signed the request with its
/// registered key, and own the request's scope (`<name>/<purpose>`).
fn check_request_origin(client: &Client, request: &ProofRequest) -> anyhow::Result<zkreg_prover::RegisteredVerifier> {
    let listed = client.get("/v1/verifiers").context("fetching the ledger's verifier registry")?;
    let verifiers: Vec<zkreg_prover::RegisteredVerifier> = listed
        .as_array()
        .context("the node's verifier registry is not a list")?
        .iter()
        .filter_map(|v| {
            let key = hex::decode(v["key"].as_str()?).ok()?.try_into().ok()?;
            Some(zkreg_prover::RegisteredVerifier { name: v["name"].as_str()?.to_owned(), key, active: v["active"].as_bool()? })
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
pub fn prove(node: &str, wallet_path: &Path, keys: &Path, request_path: &Path, out: &Path, bucket_levels: usize, as_json: bool) -> anyhow::Result<()> {
    let (f, wallet) = WalletFile::read(wallet_path)?;
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
    write_new(out, &serde_json::to_vec_pretty(&presentation)?)?;
    if as_json {
        println!("{}", json!({"presentation_file": out, "verifier": verifier.name, "scope": request.scope, "proofs": presentation.proofs.len(), "ms": (ms * 10.0).round() / 10.0}));
    } else {
        println!("presentation written to {} ({} proof(s), {ms:.0} ms)", out.display(), presentation.proofs.len());
    }
    Ok(())
}

#[cfg(test)]
mod prove_checks_keys {
    use std::io::{BufRead, BufReader, Write};
    use std::sync::{Arc, Mutex};

    use rand::SeedableRng;
    use rand_chacha::ChaCha20Rng;

    use super::*;

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
        wallet_new(&wallet, true).unwrap();
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
            let err = prove(&node, &wallet, &keys, &request_path, &out, 5, true).unwrap_err();
            assert!(format!("{err:#}").contains(expected), "{err:#}");
            assert_eq!(*asked.lock().unwrap(), ["/v1/verifying-keys"], "nothing else is asked before the keys are checked");
            assert!(!out.exists());
        }
        // The registered setup's keys pass the check, then the request's
        // origin (bank-a's registered key signed it); this wallet then has
        // no credential.
        let (node, asked) = fake_node(entry(ours));
        let err = prove(&node, &wallet, &keys, &request_path, &out, 5, true).unwrap_err();
        assert!(format!("{err:#}").contains("no credential satisfies"), "{err:#}");
        assert_eq!(*asked.lock().unwrap(), ["/v1/verifying-keys", "/v1/verifiers"]);
        // A request bank-a did not sign is refused before any proving work.
        request.sign(&SigningKey::from_bytes(&[6; 32]));
        std::fs::write(&request_path, serde_json::to_vec(&request).unwrap()).unwrap();
        let (node, _) = fake_node(entry(ours));
        let err = prove(&node, &wallet, &keys, &request_path, &out, 5, true).unwrap_err();
        assert!(format!("{err:#}").contains("does not verify under the verifier's key"), "{err:#}");
        assert!(!out.exists());
    }
}

/// `zkreg verify`: the bank asks the node to verify a presentation.
pub fn verify(node: &str, key: &Path, presentation: &Path, as_json: bool) -> anyhow::Result<()> {
    let key = read_key(key)?;
    let p: Presentation = serde_json::from_slice(&std::fs::read(presentation).with_context(|| format!("reading {}", presentation.display()))?)
        .with_context(|| format!("{} is not a presentation", presentation.display()))?;
    let v = Client::new(node).post("/v1/presentations/verify", &json!({"presentation": p}), Some(&key))?;
    if as_json {
        println!("{v}");
    } else if v["linkable"] == json!(true) {
        println!("verified: {} predicate(s) hold (Bulletproofs: linkable, the commitment is visible)", v["predicates"]);
    } else {
        println!("verified: {} predicate(s) hold; holder pseudonym {}", v["predicates"], v["pseudonym"].as_str().unwrap_or("-"));
    }
    Ok(())
}

/// The verifier `zkreg dev` registers for `bank.key`.
pub const DEV_VERIFIER: &str = "bank-a";

/// `zkreg dev`: a ready local node under `dir`.
pub fn dev(dir: &Path, listen: &str) -> anyhow::Result<()> {
    std::fs::create_dir_all(dir)?;
    let path = |name: &str| -> PathBuf { dir.join(name) };
    let key = |name: &str| -> anyhow::Result<SigningKey> {
        let p = path(name);
        if p.exists() { read_key(&p) } else { new_key(&p) }
    };
    let authority = key("authority.key")?;
    let regulator = key("central-bank.key")?;
    let bank = key("bank.key")?;
    if !path("citizen.wallet.json").exists() {
        wallet_new(&path("citizen.wallet.json"), false)?;
    }
    let genesis_path = path("genesis.json");
    let genesis = if genesis_path.exists() {
        crate::ledger_node::read_genesis(&genesis_path)?
    } else {
        let g = Genesis::development(
            "zkreg-dev",
            zkreg_api::node::now_secs(),
            &authority.verifying_key().to_bytes(),
            ("central-bank", &regulator.verifying_key().to_bytes()),
            &["credit-score", "licence.food-business"],
            16,
        );
        std::fs::write(&genesis_path, serde_json::to_vec_pretty(&g)?)?;
        g
    };
    let keys_dir = path("keys");
    if !keys_dir.join(zkreg_prover::keys::PROVING_KEY_FILE).exists() {
        eprintln!("trusted setup of the predicate circuit (development only: the toxic waste is discarded but not ceremonially)…");
        setup(&keys_dir, false)?;
    }
    let vk = zkreg_prover::keys::load_verifying_key(&keys_dir.join(zkreg_prover::keys::VERIFYING_KEY_FILE))?;
    let mut config = zkreg_api::node::NodeConfig::new(path("data"), Some(genesis.clone()));
    config.block_interval = std::time::Duration::from_millis(50);
    let listener = std::net::TcpListener::bind(listen).with_context(|| format!("binding {listen}"))?;
    let url = format!("http://{}", listener.local_addr()?);
    actix_web::rt::System::new().block_on(async move {
        let (node, server) = zkreg_api::node::start(config, listener)?;
        let server = actix_web::rt::spawn(server);
        let register_url = url.clone();
        let registration = std::thread::spawn(move || -> anyhow::Result<()> {
            let client = Client::new(&register_url);
            let fp = zkreg_circuits::fingerprint::fingerprint(&vk);
            let registered = client.get("/v1/verifying-keys")?;
            if !registered.as_array().is_some_and(|l| l.iter().any(|k| k["fingerprint"] == json!(hex::encode(fp)))) {
                let mut bytes = Vec::new();
                vk.serialize_compressed(&mut bytes)?;
                client.submit(&genesis.chain_id, &authority, TxBody::RegisterVerifyingKey { circuit_id: PREDICATE_CIRCUIT_ID.into(), fingerprint: fp, key: bytes })?;
            }
            let verifiers = client.get("/v1/verifiers")?;
            if !verifiers.as_array().is_some_and(|l| l.iter().any(|v| v["name"] == json!(DEV_VERIFIER) && v["active"] == json!(true))) {
                client.submit(&genesis.chain_id, &authority, TxBody::RegisterVerifier { name: DEV_VERIFIER.into(), key: bank.verifying_key().to_bytes() })?;
            }
            Ok(())
        });
        actix_web::rt::task::spawn_blocking(move || registration.join()).await.map_err(|e| anyhow::anyhow!("{e}"))?.map_err(|_| anyhow::anyhow!("registration panicked"))??;
        let d = dir.display();
        println!("zkreg dev node on {url} (data in {d}/data); verifying key registered; {d}/bank.key registered as verifier `{DEV_VERIFIER}`.");
        println!("Try, in another shell (zkreg = cargo run --release --bin zkreg --):");
        println!("  zkreg wallet show --wallet {d}/citizen.wallet.json");
        println!("  zkreg issue --node {url} --key {d}/central-bank.key --issuer central-bank --schema credit-score --holder <holder id> --value 720 --out {d}/credit.json");
        println!("  zkreg wallet import --wallet {d}/citizen.wallet.json {d}/credit.json");
        println!("  zkreg request --node {url} --key {d}/bank.key --verifier bank-a --scope bank-a/loans --schema credit-score --op '>=' --value 700 --out {d}/request.json");
        println!("  zkreg prove --node {url} --wallet {d}/citizen.wallet.json --keys {d}/keys --request {d}/request.json --out {d}/presentation.json");
        println!("  zkreg verify --node {url} --key {d}/bank.key --presentation {d}/presentation.json");
        println!("More (a licence, Bulletproofs, revocation): the README's walkthrough. The API: {url}/v1/openapi.json, metrics: {url}/metrics.");
        println!("Ctrl-C stops the node.");
        server.await.map_err(|e| anyhow::anyhow!("{e}"))??;
        node.stop().await;
        Ok::<_, anyhow::Error>(())
    })
}

#[cfg(test)]
mod tests {
    use rand::SeedableRng;
    use rand_chacha::ChaCha20Rng;

    use super::*;

    /// A wallet file in `dir` and its wallet.
    fn wallet_in(dir: &Path, seed: u8) -> (PathBuf, Wallet) {
        let wallet = Wallet::from_seed([seed; 32]);
        let path = dir.join(format!("wallet-{seed}.json"));
        std::fs::write(&path, serde_json::to_vec(&WalletFile { seed: wallet.seed_hex().to_string(), ..Default::default() }).unwrap()).unwrap();
        (path, wallet)
    }

    fn range_file(holder_key: [u8; 32], value: u64, r: &mut ChaCha20Rng) -> RangeCredentialFile {
        let opening = PedersenOpening::random(value, r);
        RangeCredentialFile {
            schema: "credit-score".into(),
            issuer: "central-bank".into(),
            expiry: 30_000,
            holder_key: hex::encode(holder_key),
            commitment: hex::encode(opening.commit().to_bytes()),
            opening,
        }
    }

    fn write(dir: &Path, name: &str, value: &impl Serialize) -> PathBuf {
        let path = dir.join(name);
        std::fs::write(&path, serde_json::to_vec(value).unwrap()).unwrap();
        path
    }

    #[test]
    fn credential_files_say_their_kind_and_the_old_format_still_parses() {
        let r = &mut ChaCha20Rng::seed_from_u64(1);
        let wallet = Wallet::from_seed([1; 32]);
        let opening = CredentialOpening::issue("credit-score", "central-bank", wallet.holder_id(), 720, 30_000, r);

        let tagged = serde_json::to_value(CredentialFile::Groth16(opening.clone())).unwrap();
        assert_eq!(tagged["kind"], "groth16");
        let CredentialFile::Groth16(back) = CredentialFile::parse(tagged.to_string().as_bytes()).unwrap() else { panic!("not groth16") };
        assert_eq!(back, opening);
        // A file written before `kind` existed is a Groth16 opening.
        let CredentialFile::Groth16(back) = CredentialFile::parse(&serde_json::to_vec(&opening).unwrap()).unwrap() else { panic!("not groth16") };
        assert_eq!(back, opening);

        let range = serde_json::to_value(CredentialFile::Bulletproofs(range_file(wallet.auth_public(), 720, r))).unwrap();
        assert_eq!(range["kind"], "bulletproofs");
        let CredentialFile::Bulletproofs(back) = CredentialFile::parse(range.to_string().as_bytes()).unwrap() else { panic!("not bulletproofs") };
        assert_eq!((back.opening.value, back.holder_key), (720, hex::encode(wallet.auth_public())));

        let mut wrong_kind = range.clone();
        wrong_kind["kind"] = json!("groth16");
        let mut extra = range.clone();
        extra["leaf_index"] = json!(3);
        let mut unknown = tagged.clone();
        unknown["kind"] = json!("plonk");
        let mut number = tagged.clone();
        number["kind"] = json!(1);
        for bad in [wrong_kind, extra, unknown, number, json!([1, 2]), json!({"kind": "bulletproofs"})] {
            assert!(CredentialFile::parse(bad.to_string().as_bytes()).is_err(), "{bad}");
        }
        let err = CredentialFile::parse(b"{\"kind\": \"plonk\"}").err().map(|e| format!("{e:#}")).unwrap_or_default();
        assert!(err.contains("plonk"), "{err}");
        assert!(CredentialFile::parse(b"not json").is_err());
    }

    #[test]
    fn bulletproofs_import_checks_holder_key_and_commitment() {
        let dir = tempfile::tempdir().unwrap();
        let r = &mut ChaCha20Rng::seed_from_u64(2);
        let (path, wallet) = wallet_in(dir.path(), 1);
        let other = Wallet::from_seed([2; 32]);

        // For another holder's key: refused, and the wallet file is unchanged.
        let before = std::fs::read(&path).unwrap();
        let theirs = write(dir.path(), "theirs.json", &CredentialFile::Bulletproofs(range_file(other.auth_public(), 720, r)));
        let err = wallet_import(&path, &theirs, true).unwrap_err();
        assert!(err.to_string().contains("another holder key"), "{err}");
        assert_eq!(std::fs::read(&path).unwrap(), before);

        // An opening of another value than the registered commitment: refused.
        let mut tampered = range_file(wallet.auth_public(), 720, r);
        tampered.opening.value = 850;
        let tampered = write(dir.path(), "tampered.json", &CredentialFile::Bulletproofs(tampered));
        let err = wallet_import(&path, &tampered, true).unwrap_err();
        assert!(err.to_string().contains("does not open"), "{err}");
        assert_eq!(std::fs::read(&path).unwrap(), before);

        // Its own: imported once, held beside the Groth16 credentials, and not twice.
        let mine = write(dir.path(), "mine.json", &CredentialFile::Bulletproofs(range_file(wallet.auth_public(), 720, r)));
        wallet_import(&path, &mine, true).unwrap();
        let groth16 = CredentialOpening::issue("licence.food-business", "central-bank", wallet.holder_id(), 2, 30_000, r);
        let groth16 = write(dir.path(), "licence.json", &CredentialFile::Groth16(groth16));
        wallet_import(&path, &groth16, true).unwrap();
        let (f, _) = WalletFile::read(&path).unwrap();
        assert_eq!((f.credentials.len(), f.range_credentials.len()), (1, 1));
        assert_eq!(f.range_credentials[0].opening.value, 720);
        assert!(wallet_import(&path, &mine, true).unwrap_err().to_string().contains("already holds"));
        assert!(wallet_import(&path, &groth16, true).unwrap_err().to_string().contains("already holds"));

        // A Groth16 credential for another holder id: refused.
        let not_mine = CredentialOpening::issue("credit-score", "central-bank", other.holder_id(), 720, 30_000, r);
        let not_mine = write(dir.path(), "not-mine.json", &not_mine);
        assert!(wallet_import(&path, &not_mine, true).is_err());
    }

    #[test]
    fn wallet_files_without_bulletproofs_credentials_still_load() {
        let dir = tempfile::tempdir().unwrap();
        let wallet = Wallet::from_seed([3; 32]);
        let old = json!({"seed": wallet.seed_hex().to_string(), "credentials": []});
        let path = write(dir.path(), "old.json", &old);
        let (f, loaded) = WalletFile::read(&path).unwrap();
        assert!(f.range_credentials.is_empty());
        assert_eq!(loaded.auth_public(), wallet.auth_public());
    }
}
