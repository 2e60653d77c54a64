//! `zkreg request`: a bank asks the node for a proof request with a fresh
//! challenge, checks it is the one asked for, and signs it.

use std::path::Path;

use anyhow::Context;
use serde_json::json;

use zkreg_api::client::Client;
use zkreg_api::dto::NewRequest;
use zkreg_verifier::{Backend, Operator, PredicateSpec, ProofRequest};

use crate::files::{read_key, write_new};
use crate::output::print;

/// `zkreg request`: a bank asks the node for a proof request with a fresh challenge.
#[allow(clippy::too_many_arguments)]
pub fn run(node: &str, key: &Path, verifier: &str, scope: &str, schema: &str, op: &str, value: u64, hi: Option<u64>, issuers: Vec<String>, bulletproofs: bool, out: &Path, as_json: bool) -> anyhow::Result<()> {
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
    let asked = NewRequest { verifier: verifier.into(), scope: scope.into(), predicates: vec![spec.clone()], ttl_seconds: None };
    let mut req: ProofRequest = client.create_request(&key, &asked)?;
    // Sign only what was asked for: a node that changed the request would
    // otherwise have the bank vouch for it to holders.
    if req.verifier != verifier || req.scope != scope || req.predicates != [spec] || req.signature.is_some() {
        anyhow::bail!("the node answered with another request than the one asked for; not signing it");
    }
    req.validate().context("the node's request is not valid")?;
    req.sign(&key);
    write_new(out, &serde_json::to_vec_pretty(&req)?)?;
    let challenge = req.challenge.as_str();
    print(as_json, json!({"request_file": out, "challenge": challenge, "expires_at": req.expires_at}), || {
        format!("signed proof request written to {} (challenge {}…, expires at {})", out.display(), challenge.get(..8).unwrap_or(challenge), req.expires_at)
    });
    Ok(())
}
