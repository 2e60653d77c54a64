//! `zkreg revoke`: the issuing regulator revokes a credential of either kind.

use std::path::Path;

use serde_json::json;

use zkreg_api::client::Client;
use zkreg_registry::TxBody;

use crate::files::{hex32, read_key};
use crate::output::print;

/// Submits the revocation of the credential whose commitment is `commitment`
/// (hex), signed with the key file `key`, and prints its block.
pub fn run(node: &str, key: &Path, commitment: &str, as_json: bool) -> anyhow::Result<()> {
    let key = read_key(key)?;
    let cm = hex32(commitment, "--commitment")?;
    let client = Client::new(node);
    let receipt = client.submit(&client.chain_id()?, &key, TxBody::Revoke { commitment: cm })?;
    print(as_json, json!({"revoked": hex::encode(cm), "height": receipt.height, "tx_id": receipt.tx_id}), || {
        format!("revoked {} in block {}", hex::encode(cm), receipt.height)
    });
    Ok(())
}
