//! `zkreg wallet recover`: a holder who lost a credential file fetches its
//! openings again from the regulator's node, which keeps them in its
//! private records; the call is signed with the wallet's authentication
//! key, and every record read is audited there.

use std::path::Path;

use anyhow::Context;
use serde_json::json;

use zkreg_api::client::Client;
use zkreg_prover::wallet::encryption::Passphrase;

use super::wallet::add_credential;
use crate::files::{CredentialFile, WalletFile};
use crate::output::print;

/// `zkreg wallet recover`: every record the regulator's node at `node`
/// keeps for this wallet's key is checked like an imported credential file
/// (the opening must be this holder's) and added unless already held; a
/// Groth16 credential's leaf index is read from the ledger.
pub fn recover(path: &Path, node: &str, passphrase: &Passphrase, as_json: bool) -> anyhow::Result<()> {
    let (mut f, wallet) = WalletFile::read(path, passphrase)?;
    let client = Client::new(node);
    let records = client.my_records(wallet.auth_key()).context("fetching this wallet's records from the regulator's node")?;
    let (mut recovered, mut held) = (Vec::new(), 0);
    for opened in &records {
        let file = CredentialFile::parse(opened.record.credential.as_bytes())
            .with_context(|| format!("record {} does not hold a credential file", opened.info.id))?;
        let file = match file {
            CredentialFile::Groth16(mut opening) if opening.leaf_index.is_none() => {
                let commitment = opened.record.commitment.parse().map_err(|_| anyhow::anyhow!("record {} names a malformed commitment", opened.info.id))?;
                opening.leaf_index = client.credential(&commitment)?.leaf_index;
                CredentialFile::Groth16(opening)
            }
            other => other,
        };
        match add_credential(&mut f, &wallet, file) {
            Ok(summary) => recovered.push(summary),
            Err(e) if e.to_string().contains("already holds") => held += 1,
            Err(e) => return Err(e.context(format!("record {}", opened.info.id))),
        }
    }
    if !recovered.is_empty() {
        f.save(path, passphrase)?;
    }
    print(as_json, json!({"wallet": path, "records": records.len(), "recovered": recovered, "already_held": held}), || {
        format!("{} records at {node}: {} credentials recovered into {}, {held} already held", records.len(), recovered.len(), path.display())
    });
    Ok(())
}
