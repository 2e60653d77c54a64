//! A typed blocking client of the node's API, on the same wire types as the
//! server ([`crate::dto`]) and with the signing scheme of bank calls
//! ([`crate::auth`]): what the `zkreg` program, the tests and the benchmarks
//! call the node with.
//!
//! ```no_run
//! # fn main() -> Result<(), zkreg_api::client::ClientError> {
//! let node = zkreg_api::client::Client::new("http://127.0.0.1:8080");
//! let status = node.status()?;
//! println!("{} at height {}", status.chain_id, status.height);
//! # Ok(()) }
//! ```

use anyhow::Context;
use ark_bn254::{Bn254, Fr};
use ark_groth16::ProvingKey;
use ed25519_dalek::SigningKey;
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;

use zkreg_circuits::constants::PREDICATE_CIRCUIT_ID;
use zkreg_circuits::field::fr_from_hex;
use zkreg_circuits::ids::{Commitment, KeyFingerprint, TxId};
use zkreg_registry::{SignedTransaction, Transaction, TxBody};
use zkreg_verifier::{Presentation, ProofRequest};

use crate::dto::{
    BatchOutcome, Block, BucketAnswer, ClusterStatus, Credential, Issuer, NewRequest, Root, Schema, Stats, Status, SubmitTx, TxReceipt,
    Verification, VerifyBatch, VerifyPresentation, Verifier, VerifyingKey,
};

pub mod attest;
mod bucket;
mod dp;
mod governance;
mod private;
pub use bucket::{BucketPaths, MAX_BUCKET_LEVELS};

/// Why a call failed.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// The node could not be reached, or the connection failed.
    #[error("cannot reach the node: {0}")]
    Transport(#[from] ureq::Error),
    /// The node answered with an error: its status, stable code and message.
    #[error("node answered {status}: {message} ({code})")]
    Api {
        /// The HTTP status.
        status: u16,
        /// The stable code (`forbidden`, `challenge_replayed`, …).
        code: String,
        /// The node's message.
        message: String,
    },
    /// The node's answer is not what the API document says.
    #[error("the node's answer to {what} is malformed: {cause}")]
    Malformed {
        /// Which call.
        what: String,
        /// What did not parse.
        cause: serde_json::Error,
    },
}

impl ClientError {
    /// The node's stable code, if the node answered with an error.
    pub fn code(&self) -> Option<&str> {
        match self {
            ClientError::Api { code, .. } => Some(code),
            _ => None,
        }
    }
}

/// Result of a call.
pub type ClientResult<T> = Result<T, ClientError>;

/// Authentication headers for a request made now, with a fresh random nonce.
pub fn sign_now(key: &SigningKey, method: &str, path: &str, body: &[u8]) -> Vec<(String, String)> {
    use rand::RngCore;
    let mut nonce = [0u8; 16];
    rand::rngs::OsRng.fill_bytes(&mut nonce);
    crate::auth::sign_request(key, method, path, body, crate::now_secs(), &hex::encode(nonce))
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect()
}

/// A client of one node.
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

    /// The node's base URL.
    pub fn base(&self) -> &str {
        &self.base
    }

    fn answer(mut r: ureq::http::Response<ureq::Body>) -> ClientResult<Value> {
        let status = r.status().as_u16();
        let body: Value = r.body_mut().read_json().unwrap_or(Value::Null);
        if !(200..300).contains(&status) {
            let text = |k: &str| body[k].as_str().unwrap_or_default().to_owned();
            return Err(ClientError::Api { status, code: text("code"), message: text("message") });
        }
        Ok(body)
    }

    fn typed<T: DeserializeOwned>(what: &str, value: Value) -> ClientResult<T> {
        serde_json::from_value(value).map_err(|cause| ClientError::Malformed { what: what.to_owned(), cause })
    }

    /// `GET path`, the answer as JSON (for paths this client has no method for).
    pub fn get(&self, path: &str) -> ClientResult<Value> {
        Self::answer(self.agent.get(&format!("{}{path}", self.base)).call()?)
    }

    /// `GET path`, the answer as `T`.
    pub fn get_as<T: DeserializeOwned>(&self, path: &str) -> ClientResult<T> {
        Self::typed(path, self.get(path)?)
    }

    /// `POST path` with a JSON body, signed with `key` if given; the answer as JSON.
    pub fn post(&self, path: &str, body: &impl Serialize, key: Option<&SigningKey>) -> ClientResult<Value> {
        let bytes = serde_json::to_string(body).map_err(|cause| ClientError::Malformed { what: path.to_owned(), cause })?;
        let mut req = self.agent.post(&format!("{}{path}", self.base)).header("content-type", "application/json");
        if let Some(key) = key {
            for (name, value) in sign_now(key, "POST", path, bytes.as_bytes()) {
                req = req.header(name, value);
            }
        }
        Self::answer(req.send(bytes)?)
    }

    /// `POST path`, the answer as `T`.
    fn post_as<T: DeserializeOwned>(&self, path: &str, body: &impl Serialize, key: Option<&SigningKey>) -> ClientResult<T> {
        Self::typed(path, self.post(path, body, key)?)
    }

    /// `GET /v1/status`: the chain id, the tip and the root window.
    pub fn status(&self) -> ClientResult<Status> {
        self.get_as("/v1/status")
    }

    /// The chain id.
    pub fn chain_id(&self) -> ClientResult<String> {
        Ok(self.status()?.chain_id)
    }

    /// `GET /v1/blocks/{height}`.
    pub fn block(&self, height: u64) -> ClientResult<Block> {
        self.get_as(&format!("/v1/blocks/{height}"))
    }

    /// `GET /v1/transactions/{id}`: a transaction's receipt.
    pub fn receipt(&self, id: &TxId) -> ClientResult<TxReceipt> {
        self.get_as(&format!("/v1/transactions/{id}"))
    }

    /// `GET /v1/issuers`.
    pub fn issuers(&self) -> ClientResult<Vec<Issuer>> {
        self.get_as("/v1/issuers")
    }

    /// `GET /v1/verifiers`.
    pub fn verifiers(&self) -> ClientResult<Vec<Verifier>> {
        self.get_as("/v1/verifiers")
    }

    /// `GET /v1/schemas`.
    pub fn schemas(&self) -> ClientResult<Vec<Schema>> {
        self.get_as("/v1/schemas")
    }

    /// `GET /v1/verifying-keys`.
    pub fn verifying_keys(&self) -> ClientResult<Vec<VerifyingKey>> {
        self.get_as("/v1/verifying-keys")
    }

    /// `GET /v1/roots`: the roots the node accepts now, oldest first.
    pub fn roots(&self) -> ClientResult<Vec<Root>> {
        self.get_as("/v1/roots")
    }

    /// `GET /v1/buckets/{first}?levels={levels}`, unchecked (see [`BucketPaths`]).
    pub fn bucket(&self, first: u64, levels: usize) -> ClientResult<BucketAnswer> {
        self.get_as(&format!("/v1/buckets/{first}?levels={levels}"))
    }

    /// `GET /v1/credentials/{commitment}`.
    pub fn credential(&self, commitment: &Commitment) -> ClientResult<Credential> {
        self.get_as(&format!("/v1/credentials/{commitment}"))
    }

    /// `GET /v1/stats`.
    pub fn stats(&self) -> ClientResult<Stats> {
        self.get_as("/v1/stats")
    }

    /// `GET /v1/stats/daily`: issuance per day.
    pub fn daily_stats(&self, query: &crate::dto::stats::DailyQuery) -> ClientResult<crate::dto::stats::DailyStats> {
        self.get_as(&with_query("/v1/stats/daily", query))
    }

    /// `GET /v1/stats/activity`: this node's requests and verifications per day.
    pub fn activity_stats(&self, query: &crate::dto::stats::ActivityQuery) -> ClientResult<crate::dto::stats::ActivityStats> {
        self.get_as(&with_query("/v1/stats/activity", query))
    }

    /// `GET /v1/cluster/status`: the cluster as this node sees it.
    pub fn cluster_status(&self) -> ClientResult<ClusterStatus> {
        self.get_as("/v1/cluster/status")
    }

    /// A cluster administration call (`POST /v1/cluster/init`,
    /// `/learners`, `/membership`), MAC'd with the cluster `secret`.
    pub fn cluster_admin(&self, path: &str, body: &impl Serialize, secret: &[u8; 32]) -> ClientResult<ClusterStatus> {
        let bytes = serde_json::to_vec(body).map_err(|cause| ClientError::Malformed { what: path.to_owned(), cause })?;
        let tag = hex::encode(crate::auth::cluster::mac(secret, path, &bytes));
        let req = self
            .agent
            .post(&format!("{}{path}", self.base))
            .header("content-type", "application/json")
            .header(crate::auth::cluster::MAC_HEADER, tag);
        Self::typed(path, Self::answer(req.send(&bytes[..])?)?)
    }

    /// `POST /v1/transactions`: submits a signed transaction and answers
    /// once its block is on disk, with the receipt (the ledger's refusal is
    /// an [`ClientError::Api`] with the transaction error's code).
    pub fn submit_signed(&self, stx: &SignedTransaction) -> ClientResult<TxReceipt> {
        self.post_as("/v1/transactions", &SubmitTx { tx: hex::encode(stx.to_bytes()) }, None)
    }

    /// Signs and submits a transaction; answers once its block is on disk.
    /// The nonce is the current time in microseconds (nonces may skip values).
    pub fn submit(&self, chain_id: &str, key: &SigningKey, body: TxBody) -> ClientResult<TxReceipt> {
        self.submit_approved(chain_id, key, &[], body)
    }

    /// [`Client::submit`] with the approvals of other root authorities
    /// (governance changes need the genesis threshold of distinct signers).
    pub fn submit_approved(&self, chain_id: &str, key: &SigningKey, approvers: &[SigningKey], body: TxBody) -> ClientResult<TxReceipt> {
        let nonce = zkreg_circuits::clock::unix_now_micros();
        let mut stx = Transaction { chain_id: chain_id.into(), signer: key.verifying_key().to_bytes(), nonce, body }.sign(key);
        for a in approvers {
            stx = stx.approve(a);
        }
        self.submit_signed(&stx)
    }

    /// `POST /v1/requests`, signed by the bank's `key`: a proof request
    /// with a fresh challenge.
    pub fn create_request(&self, key: &SigningKey, request: &NewRequest) -> ClientResult<ProofRequest> {
        self.post_as("/v1/requests", request, Some(key))
    }

    /// `POST /v1/presentations/verify`, signed by the bank's `key`.
    pub fn verify(&self, key: &SigningKey, presentation: Presentation) -> ClientResult<Verification> {
        self.post_as("/v1/presentations/verify", &VerifyPresentation { presentation }, Some(key))
    }

    /// `POST /v1/presentations/verify-batch`, signed by the bank's `key`.
    pub fn verify_batch(&self, key: &SigningKey, presentations: Vec<Presentation>) -> ClientResult<BatchOutcome> {
        self.post_as("/v1/presentations/verify-batch", &VerifyBatch { presentations }, Some(key))
    }

    /// The roots the node accepts now, as field elements, oldest first.
    /// Each entry is checked on its own, so a bad one is named.
    pub fn root_window(&self) -> anyhow::Result<Vec<Fr>> {
        let list: Vec<Value> = self.get_as("/v1/roots").context("the node's root window is not a list")?;
        list.into_iter()
            .enumerate()
            .map(|(i, entry)| {
                let root: RootOnly = serde_json::from_value(entry).with_context(|| format!("root {i} of the node's window is malformed"))?;
                fr_from_hex(&root.root).with_context(|| format!("root {i} of the node's window is not a field element"))
            })
            .collect()
    }

    /// The fingerprint of the verifying key the ledger registered for
    /// `circuit_id`, `None` if there is none.
    /// Reads only each entry's circuit id and fingerprint.
    pub fn registered_fingerprint(&self, circuit_id: &str) -> anyhow::Result<Option<KeyFingerprint>> {
        let list: Vec<FingerprintOnly> = self.get_as("/v1/verifying-keys").context("the node's verifying keys are not a list")?;
        let Some(entry) = list.into_iter().find(|k| k.circuit_id == circuit_id) else { return Ok(None) };
        let parsed = entry.fingerprint.parse::<KeyFingerprint>().ok();
        parsed.map(Some).with_context(|| format!("the registered fingerprint of {circuit_id} is not 32 bytes of hex: {:?}", entry.fingerprint))
    }
}

/// The part of a [`Root`] a wallet needs.
#[derive(serde::Deserialize)]
struct RootOnly {
    root: String,
}

/// The part of a [`VerifyingKey`] a prover needs.
#[derive(serde::Deserialize)]
struct FingerprintOnly {
    circuit_id: String,
    fingerprint: String,
}

/// Refuses a proving key whose verifying key (`pk.vk`) is not the one the
/// ledger registered for the predicate circuit ([`PREDICATE_CIRCUIT_ID`]),
/// or when none is registered: every verifier checks proofs against the
/// registered key, so proving with another setup's key would only waste the
/// proving time. `zkreg prove` calls this before any proving work.
pub fn check_keys_against_ledger(client: &Client, pk: &ProvingKey<Bn254>) -> anyhow::Result<()> {
    let registered = client.registered_fingerprint(PREDICATE_CIRCUIT_ID).context("fetching the ledger's verifying keys")?;
    zkreg_prover::keys::check_registered(pk, PREDICATE_CIRCUIT_ID, registered.map(<[u8; 32]>::from))?;
    Ok(())
}

/// `path` with `query`'s fields (those set) as its URL-encoded query string.
fn with_query(path: &str, query: &impl Serialize) -> String {
    match serde_urlencoded::to_string(query) {
        Ok(q) if !q.is_empty() => format!("{path}?{q}"),
        _ => path.to_owned(),
    }
}
