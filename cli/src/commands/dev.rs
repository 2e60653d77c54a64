//! `zkreg dev`: one command for a local try-out: keys for a root authority,
//! a regulator and a bank, a citizen's wallet, a dev genesis, the trusted
//! setup, and a node with the verifying key and the bank registered.

use std::path::{Path, PathBuf};

use anyhow::Context;
use ark_serialize::CanonicalSerialize;
use ed25519_dalek::SigningKey;

use zkreg_api::client::Client;
use zkreg_circuits::constants::PREDICATE_CIRCUIT_ID;
use zkreg_registry::{Genesis, TxBody};

use super::{setup::setup, wallet};
use crate::files::{new_key, read_genesis, read_key};

/// The verifier `zkreg dev` registers for `bank.key`.
pub const DEV_VERIFIER: &str = "bank-a";

/// The passphrase `zkreg dev` encrypts the citizen's wallet with when
/// ZKREG_WALLET_PASSPHRASE is unset: known to all, so for trying zkreg out
/// only (it prints it, and the README's walkthrough exports it).
pub const DEV_WALLET_PASSPHRASE: &str = "zkreg-dev-wallet";

/// `zkreg dev`: a ready local node under `dir`, with the predicate keys in
/// `keys` (from `zkreg ceremony finalize`) if given, else a one-party setup
/// under `dir/keys`.
pub fn run(dir: &Path, listen: &str, keys: Option<&Path>, nodes: usize) -> anyhow::Result<()> {
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
        let passphrase = match wallet::passphrase_from_env()? {
            Some(p) => p,
            None => zkreg_prover::wallet::encryption::Passphrase::new(DEV_WALLET_PASSPHRASE.to_owned())?,
        };
        wallet::new(&path("citizen.wallet.json"), &passphrase, false)?;
    }
    let genesis_path = path("genesis.json");
    // In a cluster each node signs headers with its own key, listed in the genesis.
    let node_keys = (1..=nodes as u64).filter(|_| nodes > 1).map(|id| Ok((id, key(&format!("node-{id}.key"))?))).collect::<anyhow::Result<Vec<_>>>()?;
    let genesis = if genesis_path.exists() {
        read_genesis(&genesis_path)?
    } else {
        let mut g = Genesis::development(
            "zkreg-dev",
            zkreg_api::now_secs(),
            &authority.verifying_key().to_bytes(),
            ("central-bank", &regulator.verifying_key().to_bytes()),
            &["credit-score", "licence.food-business"],
            16,
        );
        g.consortium = node_keys
            .iter()
            .map(|(id, k)| zkreg_registry::genesis::GenesisNode { id: *id, key: hex::encode(k.verifying_key().to_bytes()) })
            .collect();
        std::fs::write(&genesis_path, serde_json::to_vec_pretty(&g)?)?;
        g
    };
    let keys_dir = keys.map_or_else(|| path("keys"), Path::to_path_buf);
    if keys.is_some() && !keys_dir.join(zkreg_prover::keys::VERIFYING_KEY_FILE).exists() {
        anyhow::bail!("{} holds no {}: give the directory `zkreg ceremony finalize --out` wrote", keys_dir.display(), zkreg_prover::keys::VERIFYING_KEY_FILE);
    }
    if !keys_dir.join(zkreg_prover::keys::PROVING_KEY_FILE).exists() {
        eprintln!("trusted setup of the predicate circuit (development only: the toxic waste is discarded but not ceremonially)…");
        setup(&keys_dir, false)?;
    }
    let vk = zkreg_prover::keys::load_verifying_key(&keys_dir.join(zkreg_prover::keys::VERIFYING_KEY_FILE))?;
    let setup = DevSetup { genesis, authority, bank, vk };
    if nodes > 1 {
        return run_cluster(dir, listen, &keys_dir, node_keys, setup);
    }
    let mut config = zkreg_api::NodeConfig::new(path("data"), Some(setup.genesis.clone()));
    config.block_interval = std::time::Duration::from_millis(50);
    config.private = Some(dev_private_layer(dir, &regulator)?);
    let listener = std::net::TcpListener::bind(listen).with_context(|| format!("binding {listen}"))?;
    let url = format!("http://{}", listener.local_addr()?);
    actix_web::rt::System::new().block_on(async move {
        let (node, server) = zkreg_api::start(config, listener)?;
        let server = actix_web::rt::spawn(server);
        let register_url = url.clone();
        let registration = std::thread::spawn(move || register(&register_url, &setup));
        actix_web::rt::task::spawn_blocking(move || registration.join()).await.map_err(|e| anyhow::anyhow!("{e}"))?.map_err(|_| anyhow::anyhow!("registration panicked"))??;
        println!("zkreg dev node on {url} (data in {}/data); verifying key registered; {}/bank.key registered as verifier `{DEV_VERIFIER}`.", dir.display(), dir.display());
        println!("explorer: {url}/");
        print_next_steps(dir, &keys_dir, &url);
        println!("Ctrl-C stops the node.");
        server.await.map_err(|e| anyhow::anyhow!("{e}"))??;
        node.stop().await;
        Ok::<_, anyhow::Error>(())
    })
}

/// The dev node keeps central-bank's private records, sealed under the
/// keyring `dir/data.keys` (created on the first run).
fn dev_private_layer(dir: &Path, regulator: &SigningKey) -> anyhow::Result<zkreg_api::service::private::PrivateConfig> {
    let keyring_file = dir.join("data.keys");
    if !keyring_file.exists() {
        super::record::add_key(&keyring_file)?;
    }
    let text = zeroize::Zeroizing::new(std::fs::read_to_string(&keyring_file)?);
    let keyring = zkreg_registry::private::Keyring::parse(&text).with_context(|| format!("{} is not a keyring", keyring_file.display()))?;
    Ok(zkreg_api::service::private::PrivateConfig { issuer: "central-bank".into(), key: regulator.clone(), keyring, keyring_file: Some(keyring_file) })
}

/// What every dev node needs registered.
struct DevSetup {
    genesis: Genesis,
    authority: SigningKey,
    bank: SigningKey,
    vk: ark_groth16::VerifyingKey<ark_bn254::Bn254>,
}

/// Registers the predicate verifying key and `bank.key` as [`DEV_VERIFIER`]
/// through the node at `url`, unless already done.
fn register(url: &str, setup: &DevSetup) -> anyhow::Result<()> {
    let DevSetup { genesis, authority, bank, vk } = setup;
    let client = Client::new(url);
    let fp = zkreg_circuits::fingerprint::fingerprint(vk);
    let registered = client.verifying_keys()?;
    if !registered.iter().any(|k| k.circuit_id == PREDICATE_CIRCUIT_ID && k.fingerprint == hex::encode(fp)) {
        let mut bytes = Vec::new();
        vk.serialize_compressed(&mut bytes)?;
        client.submit(&genesis.chain_id, authority, TxBody::RegisterVerifyingKey { circuit_id: PREDICATE_CIRCUIT_ID.into(), fingerprint: fp, key: bytes })?;
    }
    let verifiers = client.verifiers()?;
    if !verifiers.iter().any(|v| v.name == DEV_VERIFIER && v.active) {
        client.submit(&genesis.chain_id, authority, TxBody::RegisterVerifier { name: DEV_VERIFIER.into(), key: bank.verifying_key().to_bytes() })?;
    }
    Ok(())
}

/// `zkreg dev --nodes N`: N replicas of one cluster in this process, on
/// `listen`'s port and the next ones, data in `dir/data-<id>`, sharing
/// `dir/cluster.secret`; node 1 initialises the cluster on the first run.
fn run_cluster(dir: &Path, listen: &str, keys_dir: &Path, node_keys: Vec<(u64, SigningKey)>, setup: DevSetup) -> anyhow::Result<()> {
    let nodes = node_keys.len();
    let base: std::net::SocketAddr = listen.parse().with_context(|| format!("--listen {listen} is not ip:port"))?;
    let secret_path = dir.join("cluster.secret");
    if !secret_path.exists() {
        crate::files::write_cluster_secret(&secret_path)?;
    }
    let secret = crate::files::read_cluster_secret(&secret_path)?;
    let addr_of = |id: u64| std::net::SocketAddr::new(base.ip(), base.port() + id as u16 - 1).to_string();
    let peers: std::collections::BTreeMap<u64, String> = (1..=nodes as u64).map(|id| (id, addr_of(id))).collect();
    let signs = !setup.genesis.consortium.is_empty();
    let mut running = Vec::new();
    for ((&id, addr), (_, node_key)) in peers.iter().zip(node_keys) {
        let mut config = zkreg_api::NodeConfig::new(dir.join(format!("data-{id}")), Some(setup.genesis.clone()));
        config.block_interval = std::time::Duration::from_millis(50);
        let mut cluster = zkreg_api::ClusterConfig::new(id, addr.clone(), secret);
        cluster.peers = peers.clone();
        cluster.node_key = signs.then_some(node_key);
        config.cluster = Some(cluster);
        if id == 1 {
            // Node 1 is central-bank's own node: it keeps its private records.
            config.private = Some(dev_private_layer(dir, &read_key(&dir.join("central-bank.key"))?)?);
        }
        let listener = std::net::TcpListener::bind(addr).with_context(|| format!("binding {addr}"))?;
        running.push(zkreg_api::NodeThread::spawn(config, listener)?);
    }
    let url = running[0].url.clone();
    register(&url, &setup)?;
    println!("zkreg dev cluster of {nodes} nodes (data in {}/data-<id>, secret {}):", dir.display(), secret_path.display());
    for (id, addr) in &peers {
        println!("  node {id}: http://{addr}");
    }
    println!("explorer: {url}/");
    println!("Verifying key registered; {}/bank.key registered as verifier `{DEV_VERIFIER}`.", dir.display());
    println!("  zkreg cluster status --node {url}");
    print_next_steps(dir, keys_dir, &url);
    println!("Any node takes writes (a follower forwards them to the leader). Ctrl-C stops the cluster.");
    loop {
        std::thread::park();
    }
}

fn print_next_steps(dir: &Path, keys_dir: &Path, url: &str) {
    let d = dir.display();
    let k = keys_dir.display();
    println!("Try, in another shell (zkreg = cargo run --release --bin zkreg --):");
    if std::env::var_os(wallet::PASSPHRASE_ENV).is_none() {
        println!("  export {}={DEV_WALLET_PASSPHRASE}   # the dev citizen wallet's passphrase", wallet::PASSPHRASE_ENV);
    }
        println!("  zkreg wallet show --wallet {d}/citizen.wallet.json");
        println!("  zkreg issue --node {url} --key {d}/central-bank.key --issuer central-bank --schema credit-score --holder <holder id> --value 720 --out {d}/credit.json");
        println!("  zkreg wallet import --wallet {d}/citizen.wallet.json {d}/credit.json");
        println!("  zkreg request --node {url} --key {d}/bank.key --verifier bank-a --scope bank-a/loans --schema credit-score --op '>=' --value 700 --out {d}/request.json");
        println!("  zkreg prove --node {url} --wallet {d}/citizen.wallet.json --keys {k} --request {d}/request.json --out {d}/presentation.json");
        println!("  zkreg verify --node {url} --key {d}/bank.key --presentation {d}/presentation.json");
        println!("  zkreg record list --node {url} --key {d}/central-bank.key   (central-bank's private records, sealed under {d}/data.keys; issue with --subject and --holder-key to keep one)");
        println!("More (a licence, Bulletproofs, revocation): the README's walkthrough. The API: {url}/v1/openapi.json, metrics: {url}/metrics.");
}
