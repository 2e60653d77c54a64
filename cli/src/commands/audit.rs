//! `zkreg audit verify`: checks a regulator node's audit log (fetched from
//! the node, or a copy of its file) as a hash chain and against the heads
//! the node anchored on the public layer, and names the first bad event.

use std::path::Path;

use anyhow::Context;
use serde_json::json;

use zkreg_api::client::Client;
use zkreg_api::service::private::AUDIT_HEAD_KIND;
use zkreg_registry::private::audit::{check_anchors, verify_events, verify_log, AuditFault};
use zkreg_registry::private::AuditEvent;

use crate::files::{hex32, read_key};
use crate::output::print;

/// `zkreg audit verify`. The events come from `log` (a copy of the node's
/// `private/audit.log`) or, without it, from the node, read with `key` (the
/// regulator's, or an auditor's with a current grant). The anchors are the
/// `audit-head` transactions signed by the regulator named `issuer`
/// (default: the regulator `key` belongs to).
pub fn verify(node: &str, key: Option<&Path>, issuer: Option<&str>, log: Option<&Path>, as_json: bool) -> anyhow::Result<()> {
    let client = Client::new(node);
    let key = key.map(read_key).transpose()?;
    let issuers = client.issuers()?;
    let regulator = match (issuer, &key) {
        (Some(name), _) => issuers.iter().find(|i| i.name == name).with_context(|| format!("no regulator {name} on the ledger"))?,
        (None, Some(k)) => {
            let mine = hex::encode(k.verifying_key().to_bytes());
            issuers.iter().find(|i| i.key == mine).context("--key is not a regulator's: name the regulator with --issuer")?
        }
        (None, None) => anyhow::bail!("name the regulator whose log this is with --issuer (or give its --key)"),
    };
    let signer = hex32(&regulator.key, "the regulator's key")?;
    let events: Result<Vec<AuditEvent>, AuditFault> = match log {
        Some(path) => verify_log(&std::fs::read(path).with_context(|| format!("reading {}", path.display()))?),
        None => {
            let key = key.as_ref().context("give --key (the regulator's or a granted auditor's) to read the log from the node, or --log FILE")?;
            fetch(&client, key)?
        }
    };
    let anchors: Vec<(u64, [u8; 32])> = client
        .audit_anchors(&signer)?
        .into_iter()
        .filter(|a| a.kind == AUDIT_HEAD_KIND)
        .map(|a| Ok((a.height, hex32(&a.subject_hash, "an anchored head")?)))
        .collect::<anyhow::Result<_>>()?;
    let checked = events.and_then(|events| check_anchors(&events, &anchors).map(|n| (events.len(), n)));
    match checked {
        Ok((count, anchored)) => {
            print(as_json, json!({"verified": true, "events": count, "anchors": anchored, "issuer": regulator.name}), || {
                format!("the audit log of {} verifies: {count} events, {anchored} anchored heads on the ledger", regulator.name)
            });
            Ok(())
        }
        Err(fault) => {
            if as_json {
                println!("{}", json!({"verified": false, "first_bad_event": fault.seq, "reason": fault.reason}));
            }
            anyhow::bail!("the audit log of {} does not verify: {fault}", regulator.name)
        }
    }
}

/// Every event of the node's log, page by page, checked as a chain.
fn fetch(client: &Client, key: &ed25519_dalek::SigningKey) -> anyhow::Result<Result<Vec<AuditEvent>, AuditFault>> {
    let mut events: Vec<AuditEvent> = Vec::new();
    let mut count = None;
    while count.is_none_or(|c| (events.len() as u64) < c) {
        let page = client.audit_page(key, events.len() as u64)?;
        // The log as it stood at the first read: each read appends its own event.
        count.get_or_insert(page.count);
        if page.events.is_empty() {
            break;
        }
        for body in page.events {
            let seq = events.len() as u64;
            let value = serde_json::to_value(&body)?;
            match serde_json::from_value::<AuditEvent>(value) {
                Ok(e) => events.push(e),
                Err(e) => return Ok(Err(AuditFault { seq, reason: format!("not an audit event ({e})") })),
            }
        }
    }
    // Reading the log is itself an event, appended after the pages were
    // read: the chain checked is the one read.
    Ok(verify_events(&events).map(|()| events))
}
