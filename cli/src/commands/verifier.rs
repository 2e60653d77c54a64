//! `zkreg verifier register|retire`: root authorities register or retire a
//! verifier (a bank) on the ledger.

use std::path::Path;

use anyhow::Context;
use serde_json::json;

use zkreg_api::client::Client;
use zkreg_registry::TxBody;

use crate::args::Governance;
use crate::files::{hex32, read_key};
use crate::output::print;

/// `zkreg verifier register`: registers `name` with the public key
/// `verifier_key` (hex, or a key file).
pub fn register(name: String, verifier_key: &str, g: &Governance) -> anyhow::Result<()> {
    let key = public_key_arg(verifier_key)?;
    governance(g, TxBody::RegisterVerifier { name, key })
}

/// `zkreg verifier retire`: retires `name`.
pub fn retire(name: String, g: &Governance) -> anyhow::Result<()> {
    governance(g, TxBody::RetireVerifier { name })
}

/// A public key given as 64 hex digits, or as a key file (whose public key is taken).
pub fn public_key_arg(arg: &str) -> anyhow::Result<[u8; 32]> {
    if let Ok(bytes) = hex32(arg, "the key") {
        return Ok(bytes);
    }
    Ok(read_key(Path::new(arg)).with_context(|| format!("`{arg}` is neither 64 hex digits nor a key file"))?.verifying_key().to_bytes())
}

/// A governance transaction signed by a root authority and approved by the
/// others given.
fn governance(g: &Governance, body: TxBody) -> anyhow::Result<()> {
    let key = read_key(&g.key)?;
    let approvers = g.approvers.iter().map(|p| read_key(p)).collect::<anyhow::Result<Vec<_>>>()?;
    let client = Client::new(&g.node);
    let what = format!("{body:?}");
    let receipt = client.submit_approved(&client.chain_id()?, &key, &approvers, body)?;
    print(g.json, json!({"applied": what, "height": receipt.height, "tx_id": receipt.tx_id}), || format!("applied in block {}: {what}", receipt.height));
    Ok(())
}
