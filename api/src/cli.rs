//! The `zkreg` commands for people: keys, wallets, issuing, requesting,
//! proving, verifying, and `dev` (a ready local node).

use std::path::{Path, PathBuf};

use anyhow::Context;
use ark_serialize::CanonicalSerialize;
use ed25519_dalek::SigningKey;
use rand::rngs::OsRng;
use serde::{Deserialize, Serialize};
use serde_json::json;

use zkreg_api::client::{BucketPaths, Client};
use zkreg_circuits::constants::PREDICATE_CIRCUIT_ID;
use zkreg_circuits::field::{fr_from_hex, fr_to_bytes, fr_to_hex};
use zkreg_prover::{build_presentation, CredentialOpening, HeldCredential, PredicateProver, Wallet};
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
    /// Imported credentials.
    #[serde(default)]
    pub credentials: Vec<CredentialOpening>,
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
pub fn wallet_new(path: &Path) -> anyhow::Result<()> {
    let wallet = Wallet::generate(&mut OsRng);
    write_new(path, &serde_json::to_vec_pretty(&WalletFile { seed: wallet.seed_hex().to_string(), credentials: vec![] })?)?;
    println!("new wallet {}", path.display());
    wallet_show(path, false)
}

/// `zkreg wallet show`.
pub fn wallet_show(path: &Path, as_json: bool) -> anyhow::Result<()> {
    let (f, wallet) = WalletFile::read(path)?;
    let creds: Vec<_> = f.credentials.iter().map(|c| json!({"schema": c.schema, "issuer": c.issuer, "expiry": c.expiry, "leaf_index": c.leaf_index})).collect();
    if as_json {
        println!("{}", json!({"holder_id": fr_to_hex(&wallet.holder_id()), "auth_key": hex::encode(wallet.auth_public()), "credentials": creds}));
    } else {
        println!("holder id (give this to a regulator): {}", fr_to_hex(&wallet.holder_id()));
        println!("authentication key:                   {}", hex::encode(wallet.auth_public()));
        println!("credentials: {}", creds.len());
        for c in creds {
            println!("  {c}");
        }
    }
    Ok(())
}

/// `zkreg wallet import`: adds a credential file after checking it is this holder's.
pub fn wallet_import(path: &Path, credential: &Path) -> anyhow::Result<()> {
    let (mut f, wallet) = WalletFile::read(path)?;
    let opening: CredentialOpening = serde_json::from_slice(&std::fs::read(credential)?).context("not a credential file")?;
    opening.check(wallet.holder_id()).context("this credential was not issued to this wallet's holder id")?;
    if f.credentials.iter().any(|c| c.commitment == opening.commitment) {
        anyhow::bail!("the wallet already holds this credential");
    }
    println!("imported {} from {} (leaf {:?})", opening.schema, opening.issuer, opening.leaf_index);
    f.credentials.push(opening);
    f.save(path)
}

fn today() -> u32 {
    (zkreg_api::node::now_secs() / 86_400) as u32
}

/// `zkreg issue`: the regulator computes the commitment, submits it, and writes the credential file for the holder.
#[allow(clippy::too_many_arguments)]
pub fn issue(node: &str, key: &Path, issuer: &str, schema: &str, holder: &str, value: u64, valid_days: u32, out: &Path) -> anyhow::Result<()> {
    let key = read_key(key)?;
    let holder_id = fr_from_hex(holder).context("--holder must be the holder id printed by `zkreg wallet show`")?;
    let mut opening = CredentialOpening::issue(schema, issuer, holder_id, value, today() + valid_days, &mut OsRng);
    let client = Client::new(node);
    let receipt = client.submit(&client.chain_id()?, &key, TxBody::IssueCredential { schema: schema.into(), commitment: fr_to_bytes(&opening.commitment) })?;
    opening.leaf_index = receipt["leaf_index"].as_u64();
    write_new(out, &serde_json::to_vec_pretty(&opening)?)?;
    println!("issued {schema} to {holder} at leaf {:?} (block {}); credential file: {}", opening.leaf_index, receipt["height"], out.display());
    Ok(())
}

/// `zkreg revoke`.
pub fn revoke(node: &str, key: &Path, commitment: &str) -> anyhow::Result<()> {
    let key = read_key(key)?;
    let cm: [u8; 32] = hex::decode(commitment.trim_start_matches("0x")).ok().and_then(|b| b.try_into().ok()).context("the commitment is 32 bytes of hex")?;
    let client = Client::new(node);
    let receipt = client.submit(&client.chain_id()?, &key, TxBody::Revoke { commitment: cm })?;
    println!("revoked in block {}", receipt["height"]);
    Ok(())
}

/// `zkreg request`: a bank asks the node for a proof request with a fresh challenge.
#[allow(clippy::too_many_arguments)]
pub fn request(node: &str, key: &Path, verifier: &str, scope: &str, schema: &str, op: &str, value: u64, hi: Option<u64>, issuers: Vec<String>, bulletproofs: bool, out: &Path) -> anyhow::Result<()> {
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
    let req = client.post("/v1/requests", &json!({"verifier": verifier, "scope": scope, "predicates": [spec]}), Some(&key))?;
    write_new(out, &serde_json::to_vec_pretty(&req)?)?;
    println!("proof request written to {} (challenge {}…, expires at {})", out.display(), &req["challenge"].as_str().unwrap_or("")[..8.min(req["challenge"].as_str().unwrap_or("").len())], req["expires_at"]);
    Ok(())
}

/// `zkreg prove`: entirely local except for fetching a bucket of the tree.
pub fn prove(node: &str, wallet_path: &Path, keys: &Path, request: &Path, out: &Path, bucket_levels: usize) -> anyhow::Result<()> {
    let (f, wallet) = WalletFile::read(wallet_path)?;
    let request: ProofRequest = serde_json::from_slice(&std::fs::read(request)?).context("not a proof request")?;
    let pk = zkreg_prover::keys::load_proving_key(&keys.join(zkreg_prover::keys::PROVING_KEY_FILE))?;
    let prover = PredicateProver::new(pk)?;
    let held: Vec<HeldCredential> = f.credentials.into_iter().map(HeldCredential::Groth16).collect();
    let client = Client::new(node);
    let paths = BucketPaths { client: &client, levels: bucket_levels };
    let started = std::time::Instant::now();
    let presentation = build_presentation(&prover, &wallet, &request, &held, &paths, today(), &mut OsRng)?;
    write_new(out, &serde_json::to_vec_pretty(&presentation)?)?;
    println!("presentation written to {} ({} proof(s), {:.0} ms)", out.display(), presentation.proofs.len(), started.elapsed().as_secs_f64() * 1e3);
    Ok(())
}

/// `zkreg verify`: the bank asks the node to verify a presentation.
pub fn verify(node: &str, key: &Path, presentation: &Path, as_json: bool) -> anyhow::Result<()> {
    let key = read_key(key)?;
    let p: Presentation = serde_json::from_slice(&std::fs::read(presentation)?).context("not a presentation")?;
    let v = Client::new(node).post("/v1/presentations/verify", &json!({"presentation": p}), Some(&key))?;
    if as_json {
        println!("{v}");
    } else {
        println!("verified: {} predicate(s) hold; holder pseudonym {}", v["predicates"], v["pseudonym"].as_str().unwrap_or("-"));
    }
    Ok(())
}

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
    key("bank.key")?;
    if !path("citizen.wallet.json").exists() {
        wallet_new(&path("citizen.wallet.json"))?;
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
        let (pk, _) = zkreg_prover::setup(&mut OsRng)?;
        zkreg_prover::keys::write_keys(&keys_dir, &pk)?;
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
            Ok(())
        });
        actix_web::rt::task::spawn_blocking(move || registration.join()).await.map_err(|e| anyhow::anyhow!("{e}"))?.map_err(|_| anyhow::anyhow!("registration panicked"))??;
        let d = dir.display();
        println!("zkreg dev node on {url} (data in {d}/data); verifying key registered.");
        println!("Try, in another shell (zkreg = cargo run --release --bin zkreg --):");
        println!("  zkreg wallet show --wallet {d}/citizen.wallet.json");
        println!("  zkreg issue --node {url} --key {d}/central-bank.key --issuer central-bank --schema credit-score --holder <holder id> --value 720 --out {d}/credit.json");
        println!("  zkreg wallet import --wallet {d}/citizen.wallet.json {d}/credit.json");
        println!("  zkreg request --node {url} --key {d}/bank.key --verifier bank-a --scope bank-a/loans --schema credit-score --op '>=' --value 700 --out {d}/request.json");
        println!("  zkreg prove --node {url} --wallet {d}/citizen.wallet.json --keys {d}/keys --request {d}/request.json --out {d}/presentation.json");
        println!("  zkreg verify --node {url} --key {d}/bank.key --presentation {d}/presentation.json");
        println!("Ctrl-C stops the node.");
        server.await.map_err(|e| anyhow::anyhow!("{e}"))??;
        node.stop().await;
        Ok::<_, anyhow::Error>(())
    })
}
