//! A small blocking client of the node's API, used by the `zkreg` commands.

use anyhow::Context;
use ark_bn254::{Bn254, Fr};
use ark_groth16::ProvingKey;
use ed25519_dalek::SigningKey;
use serde_json::{json, Value};

use zkreg_circuits::constants::PREDICATE_CIRCUIT_ID;
use zkreg_circuits::field::{fr_from_hex, fr_to_hex};
use zkreg_circuits::tree::MerklePath;
use zkreg_prover::PathSource;
use zkreg_registry::{Bucket, SignedTransaction, Transaction, TxBody};

use crate::dto::BucketAnswer;

/// Authentication headers for a request made now, with a fresh random nonce.
pub fn sign_now(key: &SigningKey, method: &str, path: &str, body: &[u8]) -> Vec<(String, String)> {
    use rand::RngCore;
    let mut nonce = [0u8; 16];
    rand::rngs::OsRng.fill_bytes(&mut nonce);
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0);
    crate::auth::sign_request(key, method, path, body, now, &hex::encode(nonce))
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// A node's base URL.
pub struct Client {
    base: String,
    agent: ureq::Agent,
}

impl Client {
    /// A client of the node at `base` (e.g. `http://127.0.0.1:8080`).
    pub fn new(base: &str) -> Self {
        let agent = ureq::Agent::config_builder().http_status_as_error(false).build().into();
        Client { base: base.trim_end_matches('/').to_owned(), agent }
    }

    fn answer(mut r: ureq::http::Response<ureq::Body>) -> anyhow::Result<Value> {
        let status = r.status().as_u16();
        let body: Value = r.body_mut().read_json().unwrap_or(Value::Null);
        if !(200..300).contains(&status) {
            anyhow::bail!("node answered {status}: {} ({})", body["message"].as_str().unwrap_or(""), body["code"].as_str().unwrap_or(""));
        }
        Ok(body)
    }

    /// `GET path`.
    pub fn get(&self, path: &str) -> anyhow::Result<Value> {
        Self::answer(self.agent.get(&format!("{}{path}", self.base)).call()?)
    }

    /// `POST path` with a JSON body, signed with `key` if given.
    pub fn post(&self, path: &str, body: &Value, key: Option<&SigningKey>) -> anyhow::Result<Value> {
        let bytes = body.to_string();
        let mut req = self.agent.post(&format!("{}{path}", self.base)).header("content-type", "application/json");
        if let Some(key) = key {
            for (name, value) in sign_now(key, "POST", path, bytes.as_bytes()) {
                req = req.header(name, value);
            }
        }
        Self::answer(req.send(bytes)?)
    }

    /// Signs and submits a transaction; answers once its block is on disk.
    /// The nonce is the current time in microseconds (nonces may skip values).
    pub fn submit(&self, chain_id: &str, key: &SigningKey, body: TxBody) -> anyhow::Result<Value> {
        self.submit_approved(chain_id, key, &[], body)
    }

    /// [`Client::submit`] with the approvals of other root authorities
    /// (governance changes need the genesis threshold of distinct signers).
    pub fn submit_approved(&self, chain_id: &str, key: &SigningKey, approvers: &[SigningKey], body: TxBody) -> anyhow::Result<Value> {
        let nonce = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH)?.as_micros() as u64;
        let mut stx: SignedTransaction = Transaction { chain_id: chain_id.into(), signer: key.verifying_key().to_bytes(), nonce, body }.sign(key);
        for a in approvers {
            stx = stx.approve(a);
        }
        let receipt = self.post("/v1/transactions", &json!({"tx": hex::encode(stx.to_bytes())}), None)?;
        if receipt["ok"] != json!(true) {
            anyhow::bail!("transaction refused: {} ({})", receipt["message"].as_str().unwrap_or(""), receipt["code"].as_str().unwrap_or(""));
        }
        Ok(receipt)
    }

    /// The chain id.
    pub fn chain_id(&self) -> anyhow::Result<String> {
        Ok(self.get("/v1/status")?["chain_id"].as_str().unwrap_or_default().to_owned())
    }

    /// The roots the node accepts now (`GET /v1/roots`), oldest first.
    pub fn root_window(&self) -> anyhow::Result<Vec<Fr>> {
        let list = self.get("/v1/roots")?;
        let list = list.as_array().context("the node's root window is not a list")?;
        list.iter()
            .enumerate()
            .map(|(i, r)| fr_from_hex(r["root"].as_str().unwrap_or_default()).with_context(|| format!("root {i} of the node's window is not a field element")))
            .collect()
    }

    /// The fingerprint of the verifying key the ledger registered for
    /// `circuit_id` (`GET /v1/verifying-keys`), `None` if there is none.
    pub fn registered_fingerprint(&self, circuit_id: &str) -> anyhow::Result<Option<[u8; 32]>> {
        let list = self.get("/v1/verifying-keys")?;
        let list = list.as_array().context("the node's verifying keys are not a list")?;
        let Some(entry) = list.iter().find(|k| k["circuit_id"].as_str() == Some(circuit_id)) else { return Ok(None) };
        let fingerprint = entry["fingerprint"].as_str().unwrap_or_default();
        let bytes = hex::decode(fingerprint).ok().and_then(|b| <[u8; 32]>::try_from(b).ok());
        bytes.map(Some).with_context(|| format!("the registered fingerprint of {circuit_id} is not 32 bytes of hex: {fingerprint:?}"))
    }
}

/// Refuses a proving key whose verifying key (`pk.vk`) is not the one the
/// ledger registered for the predicate circuit ([`PREDICATE_CIRCUIT_ID`]),
/// or when none is registered: every verifier checks proofs against the
/// registered key, so proving with another setup's key would only waste the
/// proving time. `zkreg prove` calls this before any proving work.
pub fn check_keys_against_ledger(client: &Client, pk: &ProvingKey<Bn254>) -> anyhow::Result<()> {
    let registered = client.registered_fingerprint(PREDICATE_CIRCUIT_ID).context("fetching the ledger's verifying keys")?;
    zkreg_prover::keys::check_registered(pk, PREDICATE_CIRCUIT_ID, registered)?;
    Ok(())
}

/// Most levels a wallet asks a bucket of: the node serves 1 to 8 (4^8 =
/// 65,536 leaves).
pub const MAX_BUCKET_LEVELS: usize = 8;

/// Fetches Merkle paths as whole bucket subtrees (4^levels leaves), so the
/// node learns only which bucket the holder's credential is in: the wallet
/// asks for the bucket by its first leaf, never by its own leaf.
///
/// The node's answer is not trusted: every field is checked (the levels and
/// first leaf asked for, the shape, canonical hashes), the whole bucket is
/// hashed up to the root it claims, and that root must be in the node's
/// root window (`GET /v1/roots`). A malformed or forged answer is an error,
/// never a panic.
pub struct BucketPaths<'a> {
    /// The node.
    pub client: &'a Client,
    /// Bucket height in levels, 1 to [`MAX_BUCKET_LEVELS`] (5 = 1,024 leaves).
    pub levels: usize,
}

impl BucketPaths<'_> {
    /// The bucket holding `leaf_index`, asked for by its first leaf (so the
    /// request names the bucket, not the leaf), checked field by field,
    /// verified against its root, and that root found in the node's window.
    pub fn bucket(&self, leaf_index: u64) -> anyhow::Result<Bucket> {
        let first = Bucket::first_leaf_of(leaf_index, self.levels)
            .filter(|_| self.levels <= MAX_BUCKET_LEVELS)
            .with_context(|| format!("a bucket has 1 to {MAX_BUCKET_LEVELS} levels, not {}", self.levels))?;
        let answer = self.client.get(&format!("/v1/buckets/{first}?levels={}", self.levels))?;
        let bucket = parse_bucket(answer, first, self.levels).context("the node's bucket is malformed")?;
        bucket.verify().context("the node's bucket does not open to the root it claims")?;
        let window = self.client.root_window()?;
        if !window.contains(&bucket.root) {
            anyhow::bail!("the bucket's root {} is not one of the roots the node accepts now", fr_to_hex(&bucket.root));
        }
        Ok(bucket)
    }
}

/// A bucket from the node's answer to `GET /v1/buckets/{first}?levels={levels}`:
/// the levels and first leaf asked for, and every hash a canonical field element.
fn parse_bucket(answer: Value, first: u64, levels: usize) -> anyhow::Result<Bucket> {
    let b: BucketAnswer = serde_json::from_value(answer).context("not a bucket answer")?;
    if b.levels != levels {
        anyhow::bail!("the answer has {} levels, not the {levels} asked for", b.levels);
    }
    if b.first_leaf != first {
        anyhow::bail!("the answer starts at leaf {}, not at the leaf {first} asked for", b.first_leaf);
    }
    let hash = |s: &str, what: &dyn Fn() -> String| fr_from_hex(s).with_context(|| format!("{} is not a canonical field element", what()));
    let nodes = b
        .nodes
        .iter()
        .enumerate()
        .map(|(l, level)| level.iter().enumerate().map(|(i, h)| hash(h, &|| format!("nodes[{l}][{i}]"))).collect::<anyhow::Result<Vec<_>>>())
        .collect::<anyhow::Result<Vec<_>>>()?;
    let upper_siblings = b
        .upper_siblings
        .iter()
        .enumerate()
        .map(|(l, triple)| {
            let hashes = triple.iter().enumerate().map(|(i, h)| hash(h, &|| format!("upper_siblings[{l}][{i}]"))).collect::<anyhow::Result<Vec<_>>>()?;
            <[Fr; 3]>::try_from(hashes).map_err(|h| anyhow::anyhow!("upper_siblings[{l}] has {} hashes, not 3", h.len()))
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    let root = hash(&b.root, &|| "the root".into())?;
    let bucket = Bucket { first_leaf: b.first_leaf, levels: b.levels, nodes, upper_siblings, root };
    bucket.check_shape()?;
    Ok(bucket)
}

impl PathSource for BucketPaths<'_> {
    /// The path of `leaf_index` from its verified bucket, and the bucket's root.
    fn path(&self, leaf_index: u64) -> Result<(MerklePath, Fr), String> {
        let bucket = self.bucket(leaf_index).map_err(|e| format!("{e:#}"))?;
        // The prover then checks that the path opens its own commitment to this root.
        let path = bucket.path(leaf_index).ok_or("the leaf is outside the bucket the node sent")?;
        Ok((path, bucket.root))
    }
}

