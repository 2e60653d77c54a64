//! `zkreg issue`: a regulator issues a credential (Groth16 to a holder id,
//! or Bulletproofs to a holder's authentication key) and writes the
//! holder's credential file.

use std::path::Path;

use anyhow::Context;
use ed25519_dalek::SigningKey;
use rand::rngs::OsRng;
use serde_json::json;

use zkreg_api::client::Client;
use zkreg_circuits::field::{fr_from_hex, fr_to_bytes, fr_to_hex};
use zkreg_circuits::range_statement::PedersenOpening;
use zkreg_prover::CredentialOpening;
use zkreg_api::dto::private::PrivateRecordBody;
use zkreg_registry::private::PrivateRecord;
use zkreg_registry::{Transaction, TxBody};

use super::today;
use crate::files::{hex32, read_key, write_new, CredentialFile, RangeCredentialFile};
use crate::output::print;

/// The recipient the flags name: `--holder` alone for a Groth16
/// credential, `--bulletproofs --holder-key` for a Bulletproofs one.
pub fn recipient<'a>(holder: Option<&'a str>, holder_key: Option<&'a str>, bulletproofs: bool) -> anyhow::Result<Recipient<'a>> {
    match (holder, holder_key, bulletproofs) {
        // A Groth16 credential's holder key, if given, is for its private record.
        (Some(holder), _, false) => Ok(Recipient::HolderId(holder)),
        (None, Some(holder_key), true) => Ok(Recipient::HolderKey(holder_key)),
        _ => anyhow::bail!("give --holder <holder id> for a Groth16 credential, or --bulletproofs --holder-key <authentication key>"),
    }
}


/// Whom `zkreg issue` issues to.
pub enum Recipient<'a> {
    /// A Groth16 credential for a holder id (`zkreg wallet show`).
    HolderId(&'a str),
    /// A Bulletproofs credential registered with a holder's ed25519
    /// authentication key (`zkreg wallet show`).
    HolderKey(&'a str),
}

/// The private record `zkreg issue --subject` keeps in the regulator's node.
pub struct RecordRequest {
    /// The subject's real identifier.
    pub subject: String,
    /// Attribute values by name.
    pub attributes: std::collections::BTreeMap<String, String>,
    /// The holder's authentication key, hex: the key that may fetch the record.
    pub holder_key: String,
}

impl RecordRequest {
    /// From the flags: `--subject`, each `--attr name=value`, `--holder-key`.
    pub fn new(subject: String, attributes: &[String], holder_key: Option<&str>) -> anyhow::Result<Self> {
        let holder_key = holder_key.context("--subject needs --holder-key (the key that may fetch the record)")?;
        let key = hex32(holder_key, "--holder-key (the authentication key printed by `zkreg wallet show`)")?;
        ed25519_dalek::VerifyingKey::from_bytes(&key).ok().filter(|k| !k.is_weak()).context("--holder-key is not a valid ed25519 public key")?;
        let mut map = std::collections::BTreeMap::new();
        for a in attributes {
            let (name, value) = a.split_once('=').with_context(|| format!("--attr {a:?} is not name=value"))?;
            if map.insert(name.trim().to_owned(), value.to_owned()).is_some() {
                anyhow::bail!("--attr {name} is given twice");
            }
        }
        Ok(RecordRequest { subject, attributes: map, holder_key: hex::encode(key) })
    }
}

/// What `zkreg issue` issues.
pub struct Issuance<'a> {
    /// The regulator's registered name.
    pub issuer: &'a str,
    /// The schema.
    pub schema: &'a str,
    /// The value (a score, a licence class…).
    pub value: u64,
    /// Days from today the credential stays valid.
    pub valid_days: u32,
}

/// `zkreg issue`: the regulator commits to the value on its side, registers
/// only the commitment on the ledger, and writes the credential file for
/// the holder (refusing to overwrite one).
///
/// With `record`, the regulator's node also keeps a private record of the
/// credential (the subject, the attributes, the holder's credential file),
/// sealed there; the issuing transaction anchors the record's hash.
pub fn run(node: &str, key: &Path, what: &Issuance, to: Recipient, record: Option<RecordRequest>, out: &Path, as_json: bool) -> anyhow::Result<()> {
    let key = read_key(key)?;
    if out.exists() {
        anyhow::bail!("{} exists; not overwriting it", out.display());
    }
    let expiry = today().checked_add(what.valid_days).context("--valid-days is too large")?;
    let (file, body) = match to {
        Recipient::HolderId(holder) => {
            let holder_id = fr_from_hex(holder).context("--holder must be the holder id printed by `zkreg wallet show`")?;
            let opening = CredentialOpening::issue(what.schema, what.issuer, holder_id, what.value, expiry, &mut OsRng);
            let body = TxBody::IssueCredential { schema: what.schema.into(), inner: fr_to_bytes(&opening.inner(holder_id)) };
            (CredentialFile::Groth16(opening), body)
        }
        Recipient::HolderKey(holder_key) => {
            let holder_key = hex32(holder_key, "--holder-key (the authentication key printed by `zkreg wallet show`)")?;
            ed25519_dalek::VerifyingKey::from_bytes(&holder_key).ok().filter(|k| !k.is_weak()).context("--holder-key is not a valid ed25519 public key")?;
            let opening = PedersenOpening::random(what.value, &mut OsRng);
            let commitment = opening.commit().to_bytes();
            let body = TxBody::IssueRangeCredential { schema: what.schema.into(), commitment, holder_key, expiry };
            let file = RangeCredentialFile {
                schema: what.schema.into(),
                issuer: what.issuer.into(),
                expiry,
                holder_key: hex::encode(holder_key),
                commitment: hex::encode(commitment),
                opening,
            };
            (CredentialFile::Bulletproofs(file), body)
        }
    };
    let client = Client::new(node);
    check_issuer_name(&client, &key, what)?;
    let (receipt, record_id) = match record {
        None => (client.submit(&client.chain_id()?, &key, body)?, None),
        Some(r) => {
            let commitment = match &file {
                CredentialFile::Groth16(opening) => fr_to_hex(&opening.commitment),
                CredentialFile::Bulletproofs(f) => f.commitment.clone(),
            };
            let record = PrivateRecordBody {
                issuer: what.issuer.into(),
                schema: what.schema.into(),
                commitment,
                holder_key: r.holder_key,
                subject: r.subject,
                attributes: r.attributes,
                credential: serde_json::to_string(&file)?,
            };
            let record_hash = PrivateRecord::from(record.clone()).hash();
            let body = TxBody::IssueWithRecord { issue: body.try_into()?, record_hash };
            let nonce = zkreg_circuits::clock::unix_now_micros();
            let tx = Transaction { chain_id: client.chain_id()?, signer: key.verifying_key().to_bytes(), nonce, body }.sign(&key);
            let stored = client.put_record(&key, record, &tx)?;
            (stored.receipt, Some(stored.info.id))
        }
    };
    let (file, kind, commitment) = match file {
        CredentialFile::Groth16(mut opening) => {
            // The ledger computed the leaf from the issuer name our key is
            // registered under: it must be the commitment the file names.
            if receipt.commitment.as_deref().map(|c| c.trim_start_matches("0x")) != Some(&hex::encode(fr_to_bytes(&opening.commitment))) {
                anyhow::bail!("the ledger appended another leaf than this credential's commitment (is --issuer the name this key is registered under?)");
            }
            opening.leaf_index = receipt.leaf_index;
            let cm = fr_to_hex(&opening.commitment);
            (CredentialFile::Groth16(opening), "groth16", cm)
        }
        CredentialFile::Bulletproofs(file) => {
            let cm = file.commitment.clone();
            (CredentialFile::Bulletproofs(file), "bulletproofs", cm)
        }
    };
    write_new(out, &serde_json::to_vec_pretty(&file)?)?;
    let leaf_index = receipt.leaf_index;
    let answer = json!({"kind": kind, "schema": what.schema, "issuer": what.issuer, "commitment": commitment, "leaf_index": leaf_index,
                        "expiry": expiry, "height": receipt.height, "tx_id": receipt.tx_id, "credential_file": out, "record": record_id});
    print(as_json, answer, || {
        let at = leaf_index.map(|i| format!(" at leaf {i}")).unwrap_or_default();
        let kept = record_id.as_ref().map(|id| format!("; private record {id} kept in the regulator's node")).unwrap_or_default();
        format!("issued {} credential {}{at} in block {}; commitment {commitment}; credential file: {}{kept}", kind, what.schema, receipt.height, out.display())
    });
    Ok(())
}


/// Refuses, before anything is submitted, to issue under an issuer name
/// that is not the one `key` is registered under, or for a schema that name
/// may not issue: the ledger computes the leaf from the registered name, so
/// the credential file would not open it.
fn check_issuer_name(client: &Client, key: &SigningKey, what: &Issuance) -> anyhow::Result<()> {
    let me = hex::encode(key.verifying_key().to_bytes());
    let issuers = client.issuers()?;
    let mine = issuers.iter().find(|i| i.key == me && i.active).context("this key is not an active regulator's on the ledger")?;
    if mine.name != what.issuer {
        anyhow::bail!("this key is registered as issuer `{}`, not `{}`", mine.name, what.issuer);
    }
    if !mine.schemas.iter().any(|s| s == what.schema) {
        anyhow::bail!("issuer `{}` may not issue schema `{}`", what.issuer, what.schema);
    }
    Ok(())
}
