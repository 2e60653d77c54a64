//! The private layer of a regulator's node: its records, sealed at rest;
//! who may open them; grants to auditors; holds, purges and key rotation;
//! and the audit log whose head the node anchors on the public layer.
//!
//! Every call is signed ([`crate::auth`]) by any key; the key's role is
//! decided per record:
//!
//! | caller | may |
//! | --- | --- |
//! | the issuing regulator (its active registered key) | store, read, list, grant, hold, purge, rotate, read the audit log |
//! | the holder (the wallet key the record names) | read its own records |
//! | an auditor with an unexpired grant anchored on the ledger | read the records the grant covers, read the audit log |
//! | anyone else | nothing: 403 `forbidden`, and the refusal is audited |
//!
//! Every access, allowed or refused, is an audit event on disk before the
//! answer leaves. A refusal is audited only once the call's signature
//! verified and the call was admitted (nonce unused, within the key's rate
//! and the node's nonce cache), so the audit log grows no faster than the
//! admission limits let signed calls in.
//!
//! The node signs its own ledger transactions (audit heads, grants) with the
//! regulator's key it was given. Their nonces are the smallest the ledger
//! accepts (one above the key's last committed nonce, or above the node's
//! last one in flight): the regulator's own tools use the current time in
//! microseconds, far above, so the node's transactions never make the
//! regulator's stale; if one of the regulator's lands first, the node's is
//! refused as stale and sent again with the next nonce.

use std::path::PathBuf;
use std::sync::Mutex;

use ed25519_dalek::SigningKey;

use zkreg_registry::private::grant::GrantBook;
use zkreg_registry::private::{AuditAction, AuditEvent, Grant, GrantScope, Keyring, PrivateError, PrivateRecord, RecordId, RecordMeta, RecordStore};
use zkreg_registry::state::Receipt;
use zkreg_registry::tx::{Transaction, TxBody};
use zkreg_registry::{LocalStore, SignedTransaction};

use super::{now_secs, Node};
use crate::error::ApiError;

/// The audit kind of the transaction anchoring the audit log's head.
pub const AUDIT_HEAD_KIND: &str = "audit-head";
/// The audit kind of the transaction anchoring a grant.
pub const AUDIT_GRANT_KIND: &str = "audit-grant";
/// Longest a grant may last.
pub const MAX_GRANT_SECS: u64 = 366 * 24 * 3600;

/// How a node runs its regulator's private layer.
#[derive(Clone)]
pub struct PrivateConfig {
    /// The regulator's registered name: the node keeps this regulator's records
    /// only. Empty: the name the key is registered under.
    pub issuer: String,
    /// The regulator's key: the node signs audit anchors and grants with it.
    pub key: SigningKey,
    /// The data keys.
    pub keyring: Keyring,
    /// Where the keyring was read from, re-read on rotation (`None`: from
    /// the environment; a rotation then needs a restart with the new ring).
    pub keyring_file: Option<PathBuf>,
}

impl std::fmt::Debug for PrivateConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PrivateConfig")
            .field("issuer", &self.issuer)
            .field("key", &hex::encode(self.key.verifying_key().to_bytes()))
            .field("keyring", &self.keyring)
            .field("keyring_file", &self.keyring_file)
            .finish()
    }
}

/// A caller's standing toward one record.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Access {
    Regulator,
    Holder,
    Auditor,
}

impl Access {
    fn role(self) -> &'static str {
        match self {
            Access::Regulator => "regulator",
            Access::Holder => "holder",
            Access::Auditor => "auditor",
        }
    }
}

/// The private layer's state in a node.
pub struct PrivateLayer {
    issuer: String,
    key: SigningKey,
    keyring_file: Option<PathBuf>,
    pub(super) records: RecordStore,
    grants: GrantBook,
    /// Private statistics: analysts, budgets, releases ([`super::dp`]).
    pub(super) dp: super::dp::DpState,
    audit: zkreg_registry::private::AuditLog,
    /// The last nonce the node used for its own transactions.
    nonce: Mutex<u64>,
    /// How many events the last anchored head covers.
    anchored: Mutex<u64>,
}

/// A record stored through the node: the record and the regulator's signed
/// issuing transaction anchoring its hash.
pub struct PutRecord {
    /// The record.
    pub record: PrivateRecord,
    /// `IssueWithRecord` naming the record's hash, signed by the regulator.
    pub transaction: SignedTransaction,
}

/// A grant as the regulator asks for it.
pub struct NewGrant {
    /// The auditor's key.
    pub auditor: [u8; 32],
    /// What it opens.
    pub scope: GrantScope,
    /// How long it lasts, in seconds.
    pub valid_for_secs: u64,
}

impl PrivateLayer {
    /// Opens the private layer's files in `dir` (the record store
    /// `records.log` and the audit log `audit.log`) and its grants in the
    /// node-local store `local`.
    pub fn open(config: PrivateConfig, local: &LocalStore, dir: &std::path::Path) -> Result<Self, ApiError> {
        use zkreg_registry::local::LocalTree;
        let records = RecordStore::open_migrating(&dir.join("records.log"), config.keyring, local)?;
        records.check_keys().map_err(|e| ApiError::internal(format!("the private layer's {e}")))?;
        let audit = zkreg_registry::private::AuditLog::open(&dir.join("audit.log")).map_err(|e| ApiError::caused("opening the audit log", e))?;
        Ok(PrivateLayer {
            issuer: config.issuer,
            key: config.key,
            keyring_file: config.keyring_file,
            records,
            grants: GrantBook::new(local.tree(LocalTree::Grants)?),
            dp: super::dp::DpState::open(local)?,
            audit,
            nonce: Mutex::new(0),
            anchored: Mutex::new(0),
        })
    }

    /// The regulator whose records this node keeps.
    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    /// How many events the audit log holds, and its head.
    pub fn audit_head(&self) -> (u64, [u8; 32]) {
        self.audit.head()
    }

    /// How many records are sealed under each data key number.
    pub fn key_usage(&self) -> std::collections::BTreeMap<u32, usize> {
        self.records.key_usage()
    }

    pub(super) fn log(&self, action: AuditAction, actor: &[u8; 32], role: &str, record: Option<&RecordId>, detail: &str) -> Result<AuditEvent, ApiError> {
        self.audit.append(action, actor, role, record, detail, now_secs()).map_err(|e| ApiError::caused("writing the audit log", e))
    }

    /// Audits a refusal, then returns it as 403.
    fn refuse(&self, caller: &[u8; 32], record: Option<&RecordId>, what: &str) -> ApiError {
        let reason = format!("{what}: this key is not the issuing regulator's, the record's holder's, or an auditor's with a current grant");
        if let Err(e) = self.log(AuditAction::Refuse, caller, "other", record, what) {
            return e;
        }
        ApiError::Forbidden(reason)
    }
}

impl From<PrivateError> for ApiError {
    fn from(e: PrivateError) -> Self {
        match e {
            PrivateError::NotFound(_) => ApiError::NotFound(e.to_string()),
            PrivateError::Exists(_) | PrivateError::Purged(_) | PrivateError::LegalHold(_) => {
                ApiError::Conflict { code: e.code(), message: e.to_string() }
            }
            PrivateError::Invalid(_) => ApiError::bad(e.code(), e),
            PrivateError::BadKeyring(_) => ApiError::Unprocessable { code: e.code(), message: e.to_string() },
            other => ApiError::caused("the private store", other),
        }
    }
}

impl Node {
    /// The private layer, or 404 `no_private_layer` on a node without one.
    pub fn private(&self) -> Result<&PrivateLayer, ApiError> {
        self.private.as_ref().ok_or_else(|| ApiError::Unprocessable {
            code: "no_private_layer",
            message: "this node keeps no private records (it runs without a data key)".into(),
        })
    }

    /// Writes the chain's and the private layer's changes to disk.
    pub fn flush_all(&self) -> Result<(), ApiError> {
        self.store.flush()?;
        if let Some(p) = &self.private {
            p.records.flush()?;
        }
        Ok(())
    }

    /// Whether `caller` is the active registered key of regulator `issuer`.
    pub(super) fn is_regulator(&self, caller: &[u8; 32], issuer: &str) -> bool {
        self.view().registry.regulator_by_key(caller).is_some_and(|r| r.name == issuer)
    }

    /// `caller`'s standing toward the record `meta`, if any.
    fn access(&self, p: &PrivateLayer, caller: &[u8; 32], meta: &RecordMeta) -> Result<Option<Access>, ApiError> {
        Ok(if self.is_regulator(caller, &meta.issuer) {
            Some(Access::Regulator)
        } else if meta.holder_key == *caller {
            Some(Access::Holder)
        } else if p.grants.allows(caller, meta, now_secs())? {
            Some(Access::Auditor)
        } else {
            None
        })
    }

    /// Refuses, audited, a caller that is not this node's regulator.
    pub(super) fn regulator_only(&self, p: &PrivateLayer, caller: &[u8; 32], record: Option<&RecordId>, what: &str) -> Result<(), ApiError> {
        if self.is_regulator(caller, &p.issuer) {
            Ok(())
        } else {
            Err(p.refuse(caller, record, what))
        }
    }

    /// Stores a record sealed, then submits the regulator's transaction that
    /// issues the credential and anchors the record's hash, and answers with
    /// its receipt. A transaction the ledger refuses takes the record away
    /// again; one whose fate is unknown (a timeout) leaves it stored.
    pub fn put_record(&self, caller: &[u8; 32], put: PutRecord) -> Result<(RecordMeta, Receipt), ApiError> {
        let p = self.private()?;
        self.regulator_only(p, caller, None, "store a record")?;
        let PutRecord { record, transaction } = put;
        record.validate()?;
        if record.issuer != p.issuer {
            return Err(ApiError::bad("invalid_record", format!("this node keeps records of {:?}, not {:?}", p.issuer, record.issuer)));
        }
        let id = record.hash();
        match &transaction.tx.body {
            TxBody::IssueWithRecord { record_hash, .. } if *record_hash == id && transaction.tx.signer == *caller => {}
            _ => {
                return Err(ApiError::bad(
                    "invalid_record",
                    "the transaction must be the caller's IssueWithRecord naming this record's hash",
                ))
            }
        }
        let meta = p.records.put(&record, now_secs())?;
        p.records.flush()?;
        p.log(AuditAction::Put, caller, "regulator", Some(&id), &format!("schema {}", record.schema))?;
        let receipt = self.submit_and_wait(transaction)?;
        if let Some(error) = &receipt.error {
            p.records.remove(&id)?;
            p.log(AuditAction::Withdraw, caller, "regulator", Some(&id), &format!("the ledger refused the issuing transaction: {}", error.0))?;
        }
        Ok((meta, receipt))
    }

    /// Opens record `id` for `caller`, audited as a read (the regulator, the
    /// holder) or a disclosure (an auditor under a grant).
    pub fn read_record(&self, caller: &[u8; 32], id: &RecordId) -> Result<(RecordMeta, PrivateRecord), ApiError> {
        let p = self.private()?;
        let Some(meta) = p.records.meta(id) else {
            // Only the regulator learns that an id is not stored here.
            if self.is_regulator(caller, &p.issuer) {
                return Err(ApiError::NotFound(format!("no private record {} on this node", hex::encode(id))));
            }
            return Err(p.refuse(caller, Some(id), "read a record"));
        };
        let Some(access) = self.access(p, caller, &meta)? else {
            return Err(p.refuse(caller, Some(id), "read a record"));
        };
        let opened = p.records.open_record(id);
        let (action, detail) = match (&opened, access) {
            (Err(e), _) => (AuditAction::Read, format!("refused: {}", e.code())),
            (Ok(_), Access::Auditor) => (AuditAction::Disclose, "under a grant".into()),
            (Ok(_), _) => (AuditAction::Read, String::new()),
        };
        p.log(action, caller, access.role(), Some(id), &detail)?;
        Ok(opened?)
    }

    /// The records of the holder `caller` (its wallet key), each read audited.
    pub fn holder_records(&self, caller: &[u8; 32]) -> Result<Vec<(RecordMeta, PrivateRecord)>, ApiError> {
        let p = self.private()?;
        let mut out = Vec::new();
        for meta in p.records.by_holder(caller) {
            if meta.purged_at.is_some() {
                continue;
            }
            let opened = p.records.open_record(&meta.id)?;
            p.log(AuditAction::Read, caller, "holder", Some(&meta.id), "")?;
            out.push(opened);
        }
        Ok(out)
    }

    /// Up to `limit` records' metadata after `after`: the regulator's listing.
    pub fn list_records(&self, caller: &[u8; 32], after: Option<&RecordId>, limit: usize) -> Result<Vec<RecordMeta>, ApiError> {
        let p = self.private()?;
        self.regulator_only(p, caller, None, "list records")?;
        Ok(p.records.list(after, limit))
    }

    /// Sets or lifts the legal hold of record `id`.
    pub fn hold_record(&self, caller: &[u8; 32], id: &RecordId, hold: bool) -> Result<RecordMeta, ApiError> {
        let p = self.private()?;
        self.regulator_only(p, caller, Some(id), "set a legal hold")?;
        let meta = p.records.set_hold(id, hold)?;
        p.log(AuditAction::Hold, caller, "regulator", Some(id), if hold { "hold set" } else { "hold lifted" })?;
        Ok(meta)
    }

    /// Purges record `id`: its plaintext and ciphertext go; its anchor on the
    /// ledger and this event stay. Refused under a legal hold (audited).
    pub fn purge_record(&self, caller: &[u8; 32], id: &RecordId) -> Result<RecordMeta, ApiError> {
        let p = self.private()?;
        self.regulator_only(p, caller, Some(id), "purge a record")?;
        match p.records.purge(id, now_secs()) {
            Ok(meta) => {
                p.log(AuditAction::Purge, caller, "regulator", Some(id), "plaintext and ciphertext deleted; the anchor stays")?;
                Ok(meta)
            }
            Err(e) => {
                p.log(AuditAction::Refuse, caller, "regulator", Some(id), &format!("purge refused: {}", e.code()))?;
                Err(e.into())
            }
        }
    }

    /// Grants an auditor access: the grant's hash is anchored on the ledger
    /// first, then the node honours it.
    pub fn grant(&self, caller: &[u8; 32], new: NewGrant) -> Result<(Grant, Receipt), ApiError> {
        let p = self.private()?;
        self.regulator_only(p, caller, None, "grant access")?;
        if new.valid_for_secs == 0 || new.valid_for_secs > MAX_GRANT_SECS {
            return Err(ApiError::bad("invalid_grant", format!("a grant lasts 1 to {MAX_GRANT_SECS} seconds")));
        }
        zkreg_registry::tx::strict_key(&new.auditor).map_err(|_| ApiError::bad("invalid_grant", "the auditor key is not a valid ed25519 key"))?;
        let now = now_secs();
        let grant = Grant { auditor: new.auditor, issuer: p.issuer.clone(), scope: new.scope, granted_at: now, not_after: now + new.valid_for_secs };
        grant.validate().map_err(|e| ApiError::bad("invalid_grant", e))?;
        let receipt = self.submit_own(AUDIT_GRANT_KIND, grant.id())?;
        p.grants.add(&grant)?;
        let scope = match &grant.scope {
            GrantScope::Records(ids) => format!("{} records", ids.len()),
            GrantScope::Schema(s) => format!("schema {s}"),
        };
        p.log(
            AuditAction::Grant,
            caller,
            "regulator",
            None,
            &format!("grant {} to {} for {scope} until {}", hex::encode(grant.id()), hex::encode(grant.auditor), grant.not_after),
        )?;
        Ok((grant, receipt))
    }

    /// Re-reads the keyring file and re-encrypts every record not under its
    /// current key, while the node serves.
    pub fn rotate_keys(&self, caller: &[u8; 32]) -> Result<(u32, usize), ApiError> {
        let p = self.private()?;
        self.regulator_only(p, caller, None, "rotate the data key")?;
        let path = p.keyring_file.as_ref().ok_or_else(|| ApiError::Unprocessable {
            code: "no_keyring_file",
            message: "this node read its data key from the environment: restart it with the new keyring to rotate".into(),
        })?;
        let text = zeroize::Zeroizing::new(std::fs::read_to_string(path).map_err(|e| ApiError::caused("reading the keyring file", e))?);
        let ring = Keyring::parse(&text)?;
        let current = ring.current_number();
        let moved = p.records.rotate(ring)?;
        p.log(AuditAction::Rotate, caller, "regulator", None, &format!("{moved} records re-encrypted under data key {current}"))?;
        tracing::info!(current, moved, "data key rotated");
        Ok((current, moved))
    }

    /// Up to `limit` audit events from `from`, for the regulator or an
    /// auditor holding a current grant, and how many events the log held
    /// before this read (which is itself appended as an event).
    pub fn audit_events(&self, caller: &[u8; 32], from: u64, limit: usize) -> Result<(u64, Vec<AuditEvent>), ApiError> {
        let p = self.private()?;
        let role = if self.is_regulator(caller, &p.issuer) {
            "regulator"
        } else if p.grants.any_current(caller, &p.issuer, now_secs())? {
            "auditor"
        } else {
            return Err(p.refuse(caller, None, "read the audit log"));
        };
        let count = p.audit.head().0;
        let events = p.audit.read(from, limit.min(usize::try_from(count.saturating_sub(from)).unwrap_or(usize::MAX)))?;
        p.log(AuditAction::ReadLog, caller, role, None, &format!("events {from}..{}", from + events.len() as u64))?;
        Ok((count, events))
    }

    /// Anchors the audit log's head on the ledger if it moved since the
    /// last anchor. Called after every block.
    pub fn anchor_audit_head(&self) -> Result<(), ApiError> {
        let Some(p) = &self.private else { return Ok(()) };
        let (count, head) = p.audit.head();
        if count == 0 || count <= *p.anchored.lock().unwrap_or_else(|e| e.into_inner()) {
            return Ok(());
        }
        self.submit_own(AUDIT_HEAD_KIND, head)?;
        let mut anchored = p.anchored.lock().unwrap_or_else(|e| e.into_inner());
        *anchored = (*anchored).max(count);
        Ok(())
    }

    /// Submits `AuditEvent { kind, subject_hash }` signed by the regulator's
    /// key the node holds, with the next nonce the ledger accepts (sent
    /// again, once, if one of the regulator's own transactions made it
    /// stale meanwhile).
    pub(super) fn submit_own(&self, kind: &str, subject_hash: [u8; 32]) -> Result<Receipt, ApiError> {
        let p = self.private()?;
        let signer = p.key.verifying_key().to_bytes();
        for _ in 0..2 {
            let nonce = {
                let committed = self.view().registry.nonces.get(&signer).copied().unwrap_or(0);
                let mut last = p.nonce.lock().unwrap_or_else(|e| e.into_inner());
                *last = (*last).max(committed) + 1;
                *last
            };
            let body = TxBody::AuditEvent { kind: kind.into(), subject_hash };
            let tx = Transaction { chain_id: self.chain_id.clone(), signer, nonce, body }.sign(&p.key);
            let receipt = self.submit_and_wait(tx)?;
            match &receipt.error {
                None => return Ok(receipt),
                Some((code, _)) if code == "stale_nonce" => continue,
                Some((_, message)) => {
                    return Err(ApiError::Rejected { code: "anchor_refused", message: format!("the ledger refused the node's {kind}: {message}") })
                }
            }
        }
        Err(ApiError::Retry { code: "anchor_retry", message: format!("the node's {kind} lost a nonce race twice; retry"), retry_after: 1 })
    }
}
