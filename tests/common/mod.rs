//! The kit of the HTTP integration tests: a real node on port 0 with a fresh
//! data directory (the `spawn_app()` of each test), a real HTTP client,
//! signed bank calls, signed ledger transactions, and the holder's side
//! (issuing to a wallet, fetching bucket paths, proving locally).

// Each test file uses part of the kit.
#![allow(dead_code)]

use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use ark_serialize::CanonicalSerialize;
use ed25519_dalek::SigningKey;
use serde_json::{json, Value};

use zkreg_api::auth::sign_request;
use zkreg_api::client::{BucketPaths, Client};
use zkreg_api::dto::private::{PrivateRecordBody, StoredRecord};
use zkreg_api::service::private::PrivateConfig;
use zkreg_api::{now_secs, NodeConfig, NodeThread};
use zkreg_circuits::constants::PREDICATE_CIRCUIT_ID;
use zkreg_circuits::field::{fr_to_bytes, fr_to_hex};
use zkreg_circuits::fingerprint::fingerprint;
use zkreg_circuits::range_statement::PedersenOpening;
use zkreg_prover::{build_presentation, CredentialOpening, HeldCredential, PresentationError, RangeCredentialOpening, Wallet};
use zkreg_registry::private::{Keyring, PrivateRecord};
use zkreg_registry::tx::Issuance;
use zkreg_registry::{Genesis, Transaction, TxBody};
use zkreg_suite::{at_least, keys, prover, rng};
use zkreg_verifier::{PredicateSpec, Presentation, ProofRequest};

/// The regulator named in the genesis, authorised for every schema.
pub const REGULATOR: &str = "central-bank";
/// The credit-score schema.
pub const CREDIT: &str = "credit-score";
/// The food-business licence schema (1 = provisional, 2 = full, 3 = renewed).
pub const LICENCE: &str = "licence.food-business";
/// Blocks whose roots the node accepts (the revocation latency).
pub const ROOT_WINDOW: u64 = 4;
/// The name [`App::bank`] is registered under as a verifier.
pub const BANK_A: &str = "bank-a";
/// The name [`App::other_bank`] is registered under as a verifier.
pub const BANK_B: &str = "bank-b";
/// The scope of the bank's requests.
pub const SCOPE: &str = "bank-a/loans";

/// A node on port 0 with its data directory and the keys of the actors.
pub struct App {
    /// `http://127.0.0.1:<port>`.
    pub base: String,
    /// The wallet's client of the node (bucket paths).
    pub client: Client,
    /// The root authority of the genesis.
    pub authority: SigningKey,
    /// The key of [`REGULATOR`].
    pub regulator: SigningKey,
    /// A bank: registered as verifier [`BANK_A`].
    pub bank: SigningKey,
    /// Another bank: registered as verifier [`BANK_B`].
    pub other_bank: SigningKey,
    /// The last transaction nonce used by each signer.
    nonces: HashMap<[u8; 32], u64>,
    /// The chain id of the genesis.
    pub chain_id: String,
    /// How the node was started (kept for [`App::restart`]).
    config: NodeConfig,
    /// Dropped before the data directory it uses (`None` only while restarting).
    node: Option<NodeThread>,
    _dir: tempfile::TempDir,
}

/// Starts a node on port 0 in its own thread, with a fresh data directory.
pub fn spawn_app() -> App {
    spawn_app_with(|_| ())
}

/// [`spawn_app`] with the configuration adjusted by `adjust`.
pub fn spawn_app_with(adjust: impl FnOnce(&mut NodeConfig)) -> App {
    let authority = SigningKey::from_bytes(&[1; 32]);
    let regulator = SigningKey::from_bytes(&[2; 32]);
    let genesis = Genesis::development(
        "zkreg-api-test",
        1_750_000_000,
        &authority.verifying_key().to_bytes(),
        (REGULATOR, &regulator.verifying_key().to_bytes()),
        &[CREDIT, LICENCE],
        ROOT_WINDOW,
    );
    let dir = tempfile::tempdir().unwrap();
    let mut config = NodeConfig::new(dir.path().join("data"), Some(genesis.clone()));
    config.block_interval = Duration::from_millis(10);
    config.max_body_bytes = 64 * 1024;
    adjust(&mut config);
    let node = NodeThread::spawn(config.clone(), std::net::TcpListener::bind("127.0.0.1:0").unwrap()).unwrap();
    let mut app = App {
        base: node.url.clone(),
        client: Client::new(&node.url),
        authority,
        regulator,
        bank: SigningKey::from_bytes(&[7; 32]),
        other_bank: SigningKey::from_bytes(&[8; 32]),
        nonces: HashMap::new(),
        chain_id: genesis.chain_id,
        config,
        node: Some(node),
        _dir: dir,
    };
    for (name, key) in [(BANK_A, app.bank.clone()), (BANK_B, app.other_bank.clone())] {
        app.register_verifier(name, &key);
    }
    app
}

/// A key that is nobody's: neither registered as a verifier nor a regulator
/// nor a root authority.
pub fn throwaway_key(seed: u64) -> SigningKey {
    let mut bytes = [0x5a; 32];
    bytes[..8].copy_from_slice(&seed.to_le_bytes());
    SigningKey::from_bytes(&bytes)
}

/// A node whose regulator keeps a private layer under the data key
/// `data_key` (its keyring written to `keyring_file`), the configuration
/// then adjusted by `adjust`.
pub fn spawn_private_with(keyring_file: &Path, data_key: [u8; 32], adjust: impl FnOnce(&mut NodeConfig)) -> App {
    let text = format!("1:{}\n", hex::encode(data_key));
    std::fs::write(keyring_file, &text).unwrap();
    let keyring_file = keyring_file.to_owned();
    spawn_app_with(move |c| {
        c.private = Some(PrivateConfig {
            issuer: REGULATOR.into(),
            key: SigningKey::from_bytes(&[2; 32]),
            keyring: Keyring::parse(&text).unwrap(),
            keyring_file: Some(keyring_file),
        });
        adjust(c);
    })
}

/// The regulator issues a credit score of `value` to `wallet` with its
/// private record (`subject`, `attributes`): the record goes to its node,
/// the transaction anchors the record's hash. Returns the holder's opening,
/// the record and what the node stored.
pub fn issue_recorded(
    app: &App,
    wallet: &Wallet,
    value: u64,
    subject: String,
    attributes: BTreeMap<String, String>,
    seed: u64,
) -> (CredentialOpening, PrivateRecordBody, StoredRecord) {
    let opening = CredentialOpening::issue(CREDIT, REGULATOR, wallet.holder_id(), value, today() + 30, &mut rng(seed));
    let record = PrivateRecordBody {
        issuer: REGULATOR.into(),
        schema: CREDIT.into(),
        commitment: fr_to_hex(&opening.commitment),
        holder_key: hex::encode(wallet.auth_public()),
        subject,
        attributes,
        credential: serde_json::to_string(&opening).unwrap(),
    };
    let record_hash = PrivateRecord::from(record.clone()).hash();
    let issue = Issuance::Groth16 { schema: CREDIT.into(), inner: fr_to_bytes(&opening.inner(wallet.holder_id())) };
    let body = TxBody::IssueWithRecord { issue, record_hash };
    let nonce = zkreg_circuits::clock::unix_now_micros();
    let tx = Transaction { chain_id: app.chain_id.clone(), signer: app.regulator.verifying_key().to_bytes(), nonce, body }.sign(&app.regulator);
    let stored = app.client.put_record(&app.regulator, record.clone(), &tx).expect("the record is stored and its transaction applied");
    assert!(stored.receipt.ok, "{stored:?}");
    assert_eq!(stored.info.id, hex::encode(record_hash));
    (opening, record, stored)
}

/// An HTTP client that returns 4xx and 5xx answers instead of failing.
pub fn agent() -> ureq::Agent {
    ureq::Agent::config_builder().http_status_as_error(false).build().into()
}

/// A request nonce never used before in this test process.
pub fn fresh_nonce() -> String {
    static NEXT: AtomicU64 = AtomicU64::new(1);
    format!("{:032x}", NEXT.fetch_add(1, Ordering::SeqCst))
}

/// HTTP headers, name and value.
pub type Headers = Vec<(&'static str, String)>;

/// Signature headers for `POST path` with `body`, signed by `key` at `timestamp`.
pub fn signed_at(key: &SigningKey, path: &str, body: &str, timestamp: u64) -> Headers {
    sign_request(key, "POST", path, body.as_bytes(), timestamp, &fresh_nonce())
}

/// Signature headers for `POST path` with `body`, signed by `key` now.
pub fn signed(key: &SigningKey, path: &str, body: &str) -> Headers {
    signed_at(key, path, body, now_secs())
}

impl App {
    /// `GET path`: status and JSON body (`null` if none).
    pub fn get(&self, path: &str) -> (u16, Value) {
        let mut r = agent().get(&format!("{}{path}", self.base)).call().unwrap();
        (r.status().as_u16(), r.body_mut().read_json().unwrap_or(Value::Null))
    }

    /// Unsigned `POST path` with a JSON body.
    pub fn post(&self, path: &str, body: &Value) -> (u16, Value) {
        self.post_raw(path, &body.to_string())
    }

    /// Unsigned `POST path` with `body` exactly as given.
    pub fn post_raw(&self, path: &str, body: &str) -> (u16, Value) {
        self.send(path, body, &[])
    }

    /// `POST path` with `body` (JSON) and extra `headers`, exactly as given.
    pub fn send(&self, path: &str, body: &str, headers: &[(&str, String)]) -> (u16, Value) {
        self.send_as("application/json", path, body, headers)
    }

    /// [`App::send`] with another content type.
    pub fn send_as(&self, content_type: &str, path: &str, body: &str, headers: &[(&str, String)]) -> (u16, Value) {
        let mut req = agent().post(&format!("{}{path}", self.base)).header("content-type", content_type);
        for (name, value) in headers {
            req = req.header(*name, value);
        }
        let mut r = req.send(body).unwrap();
        (r.status().as_u16(), r.body_mut().read_json().unwrap_or(Value::Null))
    }

    /// `POST path` with a JSON body, signed by `key`.
    pub fn post_as(&self, key: &SigningKey, path: &str, body: &Value) -> (u16, Value) {
        self.post_raw_as(key, path, &body.to_string())
    }

    /// `POST path` with `body` exactly as given, signed by `key`.
    pub fn post_raw_as(&self, key: &SigningKey, path: &str, body: &str) -> (u16, Value) {
        self.send(path, body, &signed(key, path, body))
    }

    /// Signs `body` as a transaction of `key` (approved by `approvers`) with
    /// the key's next nonce and submits it; answers once its block is on disk.
    pub fn submit(&mut self, key: &SigningKey, body: TxBody, approvers: &[&SigningKey]) -> (u16, Value) {
        let signer = key.verifying_key().to_bytes();
        let nonce = self.nonces.entry(signer).or_insert(0);
        *nonce += 1;
        let mut stx = Transaction { chain_id: self.chain_id.clone(), signer, nonce: *nonce, body }.sign(key);
        for a in approvers {
            stx = stx.approve(a);
        }
        self.post("/v1/transactions", &json!({"tx": hex::encode(stx.to_bytes())}))
    }

    /// [`App::submit`], which must be accepted; returns the receipt.
    pub fn submit_ok(&mut self, key: &SigningKey, body: TxBody) -> Value {
        let (code, r) = self.submit(key, body, &[]);
        assert_eq!((code, r["ok"].clone()), (200, json!(true)), "{r}");
        r
    }

    /// The root authority registers the fixture verifying key of the predicate circuit.
    pub fn register_predicate_key(&mut self) {
        let vk = &keys().1;
        let mut bytes = Vec::new();
        vk.serialize_compressed(&mut bytes).unwrap();
        let body = TxBody::RegisterVerifyingKey { circuit_id: PREDICATE_CIRCUIT_ID.into(), fingerprint: fingerprint(vk), key: bytes };
        let authority = self.authority.clone();
        self.submit_ok(&authority, body);
    }

    /// The root authority registers `key` as verifier `name` (a bank).
    pub fn register_verifier(&mut self, name: &str, key: &SigningKey) {
        let authority = self.authority.clone();
        self.submit_ok(&authority, TxBody::RegisterVerifier { name: name.into(), key: key.verifying_key().to_bytes() });
    }

    /// The verifier name `key` is registered under by [`spawn_app`] (and a
    /// name no one has for any other key).
    pub fn verifier_name(&self, key: &SigningKey) -> &'static str {
        let public = key.verifying_key();
        if public == self.bank.verifying_key() {
            BANK_A
        } else if public == self.other_bank.verifying_key() {
            BANK_B
        } else {
            "unregistered"
        }
    }

    /// The running node's service (read-only checks: what is stored).
    pub fn node(&self) -> &zkreg_api::Node {
        self.node.as_ref().expect("the node runs").node()
    }

    /// Proof requests the node holds.
    pub fn stored_requests(&self) -> usize {
        self.node().stored_requests()
    }

    /// (key, nonce) pairs in the node's replay cache, from `zkreg_seen_nonces` in `/metrics`.
    pub fn seen_nonces(&self) -> u64 {
        let (_, _, text) = self.metrics();
        sample(&text, "zkreg_seen_nonces").expect("/metrics has zkreg_seen_nonces") as u64
    }

    /// Stops the node and starts it again on the same data directory (on a
    /// new port), retrying while sled still holds the old node's file lock.
    pub fn restart(&mut self) {
        if let Err(e) = self.try_restart() {
            panic!("the node did not restart: {e}");
        }
    }

    /// [`App::restart`], returning why the node did not start (after
    /// retrying for 10 s, since sled may still hold the old node's lock).
    pub fn try_restart(&mut self) -> Result<(), String> {
        // Dropping the thread handle stops the node and waits for it.
        self.node = None;
        let deadline = Instant::now() + Duration::from_secs(10);
        let node = loop {
            match NodeThread::spawn(self.config.clone(), std::net::TcpListener::bind("127.0.0.1:0").unwrap()) {
                Ok(node) => break node,
                Err(e) if Instant::now() >= deadline || !format!("{e:#}").contains("lock") => return Err(format!("{e:#}")),
                Err(_) => std::thread::sleep(Duration::from_millis(50)),
            }
        };
        self.base = node.url.clone();
        self.client = Client::new(&node.url);
        self.node = Some(node);
        Ok(())
    }

    /// The configuration the node is (re)started with.
    pub fn config_mut(&mut self) -> &mut NodeConfig {
        &mut self.config
    }

    /// The regulator revokes the credential with this commitment.
    pub fn revoke(&mut self, commitment: [u8; 32]) {
        let regulator = self.regulator.clone();
        self.submit_ok(&regulator, TxBody::Revoke { commitment });
    }

    /// `n` blocks that change no root (audit events), ageing older roots.
    pub fn tick(&mut self, n: u8) {
        let authority = self.authority.clone();
        for i in 0..n {
            self.submit_ok(&authority, TxBody::AuditEvent { kind: "tick".into(), subject_hash: [i; 32] });
        }
    }

    /// `GET /v1/credentials/{commitment}`.
    pub fn credential(&self, commitment: &[u8; 32]) -> (u16, Value) {
        self.get(&format!("/v1/credentials/{}", hex::encode(commitment)))
    }

    /// The roots the node accepts now, as hex.
    pub fn roots(&self) -> Vec<String> {
        let (code, roots) = self.get("/v1/roots");
        assert_eq!(code, 200, "{roots}");
        roots.as_array().unwrap().iter().map(|r| r["root"].as_str().unwrap().to_owned()).collect()
    }

    /// `key` asks, under its registered name and its `loans` scope, for a
    /// presentation of `predicates` (201 expected).
    pub fn ask(&self, key: &SigningKey, predicates: &[PredicateSpec]) -> ProofRequest {
        let name = self.verifier_name(key);
        let body = json!({"verifier": name, "scope": format!("{name}/loans"), "predicates": predicates});
        let (code, req) = self.post_as(key, "/v1/requests", &body);
        assert_eq!(code, 201, "{req}");
        serde_json::from_value(req).unwrap()
    }

    /// The bank verifies `presentation`: status and answer.
    pub fn verify(&self, presentation: &Presentation) -> (u16, Value) {
        self.verify_as(&self.bank, presentation)
    }

    /// `key` verifies `presentation`: status and answer.
    pub fn verify_as(&self, key: &SigningKey, presentation: &Presentation) -> (u16, Value) {
        self.post_as(key, "/v1/presentations/verify", &json!({"presentation": presentation}))
    }

    /// `GET /metrics`: status, content type and body.
    pub fn metrics(&self) -> (u16, String, String) {
        let mut r = agent().get(&format!("{}/metrics", self.base)).call().unwrap();
        let content_type = r.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
        (r.status().as_u16(), content_type, r.body_mut().read_to_string().unwrap())
    }

    /// Polls `/metrics` until it has `line`: the block producer counts a block
    /// just after the submitter may have seen its receipt.
    pub fn metrics_with(&self, line: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let (_, _, text) = self.metrics();
            if text.lines().any(|l| l == line) || Instant::now() > deadline {
                return text;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

/// The value of the sample named exactly `series` (name and labels).
pub fn sample(text: &str, series: &str) -> Option<f64> {
    text.lines().find_map(|l| l.strip_prefix(series)?.strip_prefix(' ')?.parse().ok())
}

/// The wallet's path source: whole buckets of 16 leaves (the node learns only the bucket).
pub fn paths(app: &App) -> BucketPaths<'_> {
    BucketPaths { client: &app.client, levels: 2 }
}

/// Today by the node's clock, in days since 1970-01-01.
pub fn today() -> u32 {
    (now_secs() / 86_400) as u32
}

/// The regulator issues a Groth16 credential of `schema` with `value` and
/// `expiry` to `wallet` over HTTP; returns the holder's opening.
pub fn issue_groth16(app: &mut App, wallet: &Wallet, schema: &str, value: u64, expiry: u32, seed: u64) -> CredentialOpening {
    let mut opening = CredentialOpening::issue(schema, REGULATOR, wallet.holder_id(), value, expiry, &mut rng(seed));
    let regulator = app.regulator.clone();
    let r = app.submit_ok(&regulator, TxBody::IssueCredential { schema: schema.into(), inner: fr_to_bytes(&opening.inner(wallet.holder_id())) });
    opening.leaf_index = Some(r["leaf_index"].as_u64().unwrap());
    opening
}

/// A credit score of `value`, valid for 30 days, issued to `wallet`.
pub fn issue(app: &mut App, wallet: &Wallet, value: u64, seed: u64) -> CredentialOpening {
    issue_groth16(app, wallet, CREDIT, value, today() + 30, seed)
}

/// The regulator registers a Bulletproofs (Pedersen) credential of `schema`
/// with `value` and `expiry` for `wallet`'s key over HTTP; returns the
/// holder's opening and the commitment.
pub fn issue_range(app: &mut App, wallet: &Wallet, schema: &str, value: u64, expiry: u32, seed: u64) -> (RangeCredentialOpening, [u8; 32]) {
    let opening = PedersenOpening::random(value, &mut rng(seed));
    let commitment = opening.commit().to_bytes();
    let regulator = app.regulator.clone();
    let body = TxBody::IssueRangeCredential { schema: schema.into(), commitment, holder_key: wallet.auth_public(), expiry };
    let r = app.submit_ok(&regulator, body);
    assert_eq!(r["leaf_index"], Value::Null, "a Pedersen credential has no leaf: {r}");
    (RangeCredentialOpening { schema: schema.into(), issuer: REGULATOR.into(), expiry, opening }, commitment)
}

/// The body of a bank's request for `credit-score >= threshold`.
pub fn request_body(threshold: u64) -> Value {
    json!({"verifier": BANK_A, "scope": SCOPE, "predicates": [at_least(CREDIT, threshold, REGULATOR)]})
}

/// A request for `credit-score >= threshold` made by the app's bank.
pub fn new_request(app: &App, threshold: u64) -> ProofRequest {
    app.ask(&app.bank, &[at_least(CREDIT, threshold, REGULATOR)])
}

/// The holder proves `request` from `held` on its own side, for `day`.
pub fn prove(
    app: &App,
    wallet: &Wallet,
    held: &[HeldCredential],
    request: &ProofRequest,
    day: u32,
    seed: u64,
) -> Result<Presentation, PresentationError> {
    build_presentation(prover(), wallet, request, held, &paths(app), day, &mut rng(seed))
}

/// The holder proves `request` from one Groth16 credential, for today.
pub fn present(app: &App, wallet: &Wallet, opening: &CredentialOpening, request: &ProofRequest, seed: u64) -> Presentation {
    prove(app, wallet, &[HeldCredential::Groth16(opening.clone())], request, today(), seed).unwrap()
}
