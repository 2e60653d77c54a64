//! `zkreg record get|list|verify|hold|purge|grant|rotate|new-key`: a
//! regulator's private records in its own node, an auditor's or a holder's
//! reads of them, and the check of a disclosed record against its anchor.

use std::path::Path;

use anyhow::Context;
use rand::rngs::OsRng;
use serde_json::json;

use zkreg_api::client::Client;
use zkreg_api::dto::private::{NewGrantBody, OpenedRecord, PrivateRecordBody};
use zkreg_registry::private::{Keyring, PrivateRecord};

use crate::files::read_key;
use crate::output::print;

/// `zkreg record get`: opens one record (signed by the regulator's, the
/// holder's or a granted auditor's key) and writes it to `out` as a
/// disclosure file that `zkreg record verify` checks.
pub fn get(node: &str, key: &Path, id: &str, out: Option<&Path>, as_json: bool) -> anyhow::Result<()> {
    let key = read_key(key)?;
    let opened = Client::new(node).read_record(&key, id)?;
    let text = serde_json::to_vec_pretty(&opened.record)?;
    if let Some(out) = out {
        crate::files::write_new(out, &text)?;
    }
    print(as_json, json!({"info": opened.info, "record": opened.record, "out": out}), || {
        let to = out.map(|o| format!(" (written to {})", o.display())).unwrap_or_default();
        format!("record {} of {} ({}){to}:\n{}", opened.info.id, opened.info.issuer, opened.info.schema, String::from_utf8_lossy(&text))
    });
    Ok(())
}

/// `zkreg record list`: the regulator's records' metadata.
pub fn list(node: &str, key: &Path, as_json: bool) -> anyhow::Result<()> {
    let key = read_key(key)?;
    let client = Client::new(node);
    let mut all = Vec::new();
    loop {
        let page = client.list_records(&key, all.last().map(|r: &zkreg_api::dto::private::RecordInfo| r.id.as_str()))?;
        if page.is_empty() {
            break;
        }
        all.extend(page);
    }
    print(as_json, json!({"records": all}), || {
        let mut lines = vec![format!("{} records", all.len())];
        for r in &all {
            let state = match (r.purged_at, r.legal_hold) {
                (Some(t), _) => format!("purged at {t}"),
                (None, true) => "under legal hold".into(),
                (None, false) => "stored".into(),
            };
            lines.push(format!("  {} {} {} {state}", r.id, r.schema, r.commitment));
        }
        lines.join("\n")
    });
    Ok(())
}

/// `zkreg record verify`: a disclosed record checked against the public
/// layer: its hash is anchored, and the credential it names was issued by
/// its issuer under its schema.
pub fn verify(node: &str, record: &Path, as_json: bool) -> anyhow::Result<()> {
    let text = std::fs::read(record).with_context(|| format!("reading {}", record.display()))?;
    let body: PrivateRecordBody = match serde_json::from_slice::<OpenedRecord>(&text) {
        Ok(opened) => opened.record,
        Err(_) => serde_json::from_slice(&text).with_context(|| format!("{} is not a private record", record.display()))?,
    };
    let record = PrivateRecord::from(body);
    let hash = hex::encode(record.hash());
    let client = Client::new(node);
    let anchor = client.record_anchor(&hash).map_err(|e| match e.code() {
        Some("not_found") => anyhow::anyhow!("record hash {hash} is not anchored on the ledger: the record was altered, or never issued"),
        _ => e.into(),
    })?;
    let commitment: zkreg_circuits::ids::Commitment =
        record.commitment.parse().map_err(|_| anyhow::anyhow!("the record's commitment is not 32 bytes of hex"))?;
    let credential = client.credential(&commitment).context("the credential the record names is not on the ledger")?;
    if credential.issuer != record.issuer || credential.schema != record.schema {
        anyhow::bail!(
            "the ledger says credential {} was issued by {} under {}, the record says {} under {}",
            record.commitment,
            credential.issuer,
            credential.schema,
            record.issuer,
            record.schema
        );
    }
    print(as_json, json!({"verified": true, "record_hash": hash, "anchored_at": anchor.height, "issuer": record.issuer, "schema": record.schema}), || {
        format!("record {hash} verifies: anchored in block {}, credential issued by {} under {}", anchor.height, record.issuer, record.schema)
    });
    Ok(())
}

/// `zkreg record hold`: sets or lifts a record's legal hold.
pub fn hold(node: &str, key: &Path, id: &str, release: bool, as_json: bool) -> anyhow::Result<()> {
    let info = Client::new(node).hold_record(&read_key(key)?, id, !release)?;
    print(as_json, json!(info), || format!("record {}: legal hold {}", info.id, if info.legal_hold { "set" } else { "lifted" }));
    Ok(())
}

/// `zkreg record purge`: deletes a record's plaintext and ciphertext; its anchor stays.
pub fn purge(node: &str, key: &Path, id: &str, as_json: bool) -> anyhow::Result<()> {
    let info = Client::new(node).purge_record(&read_key(key)?, id)?;
    print(as_json, json!(info), || format!("record {} purged; its anchor stays on the ledger", info.id));
    Ok(())
}

/// `zkreg record grant`: grants an auditor access to records or a schema for `valid_for_secs`.
pub fn grant(node: &str, key: &Path, auditor: &str, records: Vec<String>, schema: Option<String>, valid_for_secs: u64, as_json: bool) -> anyhow::Result<()> {
    let auditor = hex::encode(super::verifier::public_key_arg(auditor)?);
    let records = (!records.is_empty()).then_some(records);
    let grant = Client::new(node).grant(&read_key(key)?, &NewGrantBody { auditor, records, schema, valid_for_secs })?;
    print(as_json, json!(grant), || format!("grant {} to {} until {} (anchored in block {})", grant.id, grant.auditor, grant.not_after, grant.receipt.height));
    Ok(())
}

/// `zkreg record rotate`: has the node re-read its keyring file and
/// re-encrypt every record under the newest key.
pub fn rotate(node: &str, key: &Path, as_json: bool) -> anyhow::Result<()> {
    let r = Client::new(node).rotate_data_key(&read_key(key)?)?;
    print(as_json, json!(r), || format!("{} records re-encrypted under data key {}", r.reencrypted, r.current_key));
    Ok(())
}

/// `zkreg record new-key`: adds a fresh data key to a keyring file
/// (creating it, readable by its owner only), numbered above the others:
/// the key the node seals with after its next start or rotation.
pub fn new_key(keyring: &Path, as_json: bool) -> anyhow::Result<()> {
    let number = add_key(keyring)?;
    print(as_json, json!({"keyring": keyring, "current_key": number}), || format!("data key {number} added to {}; it is the current key", keyring.display()));
    Ok(())
}

/// Adds a fresh random key to the keyring file `keyring` (created if
/// missing); returns its number.
pub fn add_key(keyring: &Path) -> anyhow::Result<u32> {
    let existing = match std::fs::read_to_string(keyring) {
        Ok(text) => Some(zeroize::Zeroizing::new(text)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => return Err(e).with_context(|| format!("reading {}", keyring.display())),
    };
    let ring = existing.as_deref().map(|t| Keyring::parse(t)).transpose().with_context(|| format!("{} is not a keyring", keyring.display()))?;
    let (number, key) = match &ring {
        Some(ring) => ring.generate_next(&mut OsRng),
        None => {
            let mut key = zeroize::Zeroizing::new([0u8; 32]);
            rand::RngCore::fill_bytes(&mut OsRng, key.as_mut());
            (1, key)
        }
    };
    let mut text = zeroize::Zeroizing::new(existing.as_deref().cloned().unwrap_or_default());
    if !text.is_empty() && !text.ends_with('\n') {
        text.push('\n');
    }
    text.push_str(&Keyring::line(number, &key));
    crate::files::write_private(keyring, text.as_bytes())?;
    Ok(number)
}
