//! A small blocking client of the node's API, used by the `zkreg` commands.

use ark_bn254::Fr;
use ed25519_dalek::SigningKey;
use serde_json::{json, Value};

use zkreg_circuits::field::fr_from_hex;
use zkreg_circuits::tree::MerklePath;
use zkreg_prover::PathSource;
use zkreg_registry::{Bucket, SignedTransaction, Transaction, TxBody};

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
}

/// Fetches Merkle paths as whole bucket subtrees (4^levels leaves), so the
/// node learns only which bucket the holder's credential is in.
pub struct BucketPaths<'a> {
    /// The node.
    pub client: &'a Client,
    /// Bucket height in levels (5 = 1,024 leaves).
    pub levels: usize,
}

impl PathSource for BucketPaths<'_> {
    fn path(&self, leaf_index: u64) -> Result<(MerklePath, Fr), String> {
        let b = self.client.get(&format!("/v1/buckets/{leaf_index}?levels={}", self.levels)).map_err(|e| e.to_string())?;
        let parse = |v: &Value| -> Result<Vec<Fr>, String> {
            v.as_array()
                .ok_or("expected a list")?
                .iter()
                .map(|x| fr_from_hex(x.as_str().unwrap_or_default()).map_err(|e| e.to_string()))
                .collect()
        };
        let nodes = b["nodes"].as_array().ok_or("no nodes")?.iter().map(parse).collect::<Result<Vec<_>, _>>()?;
        let upper = b["upper_siblings"]
            .as_array()
            .ok_or("no upper siblings")?
            .iter()
            .map(|t| parse(t).and_then(|v| <[Fr; 3]>::try_from(v).map_err(|_| "a sibling triple has 3 hashes".to_string())))
            .collect::<Result<Vec<_>, _>>()?;
        let bucket = Bucket {
            first_leaf: b["first_leaf"].as_u64().ok_or("no first_leaf")?,
            levels: b["levels"].as_u64().ok_or("no levels")? as usize,
            nodes,
            upper_siblings: upper,
            root: fr_from_hex(b["root"].as_str().unwrap_or_default()).map_err(|e| e.to_string())?,
        };
        // The prover checks that the path opens its own commitment to this root.
        let path = bucket.path(leaf_index).ok_or("the leaf is outside the bucket the node sent")?;
        Ok((path, bucket.root))
    }
}
