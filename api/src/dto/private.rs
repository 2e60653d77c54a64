//! The private layer's request and response bodies (`/v1/private/...`),
//! and the public reads of its anchors.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use zkreg_registry::private::{AuditEvent, Grant, GrantScope, PrivateRecord, RecordMeta};

use super::TxReceipt;

/// A regulator's private record of one credential: what the node seals at
/// rest and anchors by hash (`SHA-256("zkreg/private-record/v1" ‖
/// postcard(record))`, the record id).
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PrivateRecordBody {
    /// The issuing regulator's registered name (this node's regulator).
    pub issuer: String,
    /// The credential's schema.
    pub schema: String,
    /// The credential's commitment on the ledger, hex.
    pub commitment: String,
    /// The holder's wallet authentication key, 64 hex digits: the key that may read this record.
    pub holder_key: String,
    /// The subject's real identifier (national id, company number).
    pub subject: String,
    /// Attribute values by name.
    pub attributes: BTreeMap<String, String>,
    /// The holder's credential file as issued (JSON text): the opening.
    pub credential: String,
}

impl From<PrivateRecordBody> for PrivateRecord {
    fn from(b: PrivateRecordBody) -> Self {
        PrivateRecord {
            issuer: b.issuer,
            schema: b.schema,
            commitment: b.commitment,
            holder_key: b.holder_key,
            subject: b.subject,
            attributes: b.attributes,
            credential: b.credential,
        }
    }
}

impl From<PrivateRecord> for PrivateRecordBody {
    fn from(r: PrivateRecord) -> Self {
        PrivateRecordBody {
            issuer: r.issuer,
            schema: r.schema,
            commitment: r.commitment,
            holder_key: r.holder_key,
            subject: r.subject,
            attributes: r.attributes,
            credential: r.credential,
        }
    }
}

/// `POST /v1/private/records`: a record and the regulator's signed
/// `IssueWithRecord` transaction naming its hash.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PutRecord {
    /// The record.
    pub record: PrivateRecordBody,
    /// The signed transaction, hex of its canonical encoding (as `POST /v1/transactions` takes it).
    pub tx: String,
}

/// What the node keeps in the clear about a record.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct RecordInfo {
    /// The record id: its anchored hash, 64 hex digits.
    pub id: String,
    /// The issuing regulator.
    pub issuer: String,
    /// The schema.
    pub schema: String,
    /// The credential's commitment.
    pub commitment: String,
    /// The holder's authentication key.
    pub holder_key: String,
    /// Unix seconds it was stored.
    pub stored_at: u64,
    /// Whether a legal hold forbids purging it.
    pub legal_hold: bool,
    /// Unix seconds it was purged, if it was (its plaintext and ciphertext are gone).
    pub purged_at: Option<u64>,
}

impl From<&RecordMeta> for RecordInfo {
    fn from(m: &RecordMeta) -> Self {
        RecordInfo {
            id: hex::encode(m.id),
            issuer: m.issuer.clone(),
            schema: m.schema.clone(),
            commitment: m.commitment.clone(),
            holder_key: hex::encode(m.holder_key),
            stored_at: m.stored_at,
            legal_hold: m.legal_hold,
            purged_at: m.purged_at,
        }
    }
}

/// A record stored and its issuing transaction's receipt.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct StoredRecord {
    /// The record's metadata.
    pub info: RecordInfo,
    /// The issuing transaction's receipt.
    pub receipt: TxReceipt,
}

/// A record opened for its reader.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct OpenedRecord {
    /// The record's metadata.
    pub info: RecordInfo,
    /// The record.
    pub record: PrivateRecordBody,
}

/// `POST /v1/private/records/{id}/hold`.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct HoldRecord {
    /// Set (`true`) or lift (`false`) the legal hold.
    pub hold: bool,
}

/// `POST /v1/private/grants`: an auditor's access, to listed records or to
/// a whole schema (exactly one of the two).
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewGrantBody {
    /// The auditor's ed25519 key, 64 hex digits.
    pub auditor: String,
    /// Record ids it opens.
    #[serde(default)]
    pub records: Option<Vec<String>>,
    /// The schema whose records it opens.
    #[serde(default)]
    pub schema: Option<String>,
    /// How long it lasts, seconds (at most a year).
    pub valid_for_secs: u64,
}

/// A grant issued, with the receipt of the transaction anchoring its hash.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct GrantInfo {
    /// The grant's id (its anchored hash).
    pub id: String,
    /// The auditor's key.
    pub auditor: String,
    /// The granting regulator.
    pub issuer: String,
    /// The records it opens, if it names records.
    pub records: Option<Vec<String>>,
    /// The schema whose records it opens, if it names a schema.
    pub schema: Option<String>,
    /// Unix seconds it starts.
    pub granted_at: u64,
    /// Unix seconds after which it opens nothing.
    pub not_after: u64,
    /// The anchoring transaction's receipt.
    pub receipt: TxReceipt,
}

impl GrantInfo {
    /// The grant `g` and its anchor's receipt.
    pub fn new(g: &Grant, receipt: TxReceipt) -> Self {
        let (records, schema) = match &g.scope {
            GrantScope::Records(ids) => (Some(ids.iter().map(hex::encode).collect()), None),
            GrantScope::Schema(s) => (None, Some(s.clone())),
        };
        GrantInfo {
            id: hex::encode(g.id()),
            auditor: hex::encode(g.auditor),
            issuer: g.issuer.clone(),
            records,
            schema,
            granted_at: g.granted_at,
            not_after: g.not_after,
            receipt,
        }
    }
}

/// `POST /v1/private/rotate`: the data key now current and how many records
/// were re-encrypted under it.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct Rotation {
    /// The current data key's number.
    pub current_key: u32,
    /// Records re-encrypted by this rotation.
    pub reencrypted: usize,
}

/// One audit event, as the log stores it.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct AuditEventBody {
    /// Its position, from 0.
    pub seq: u64,
    /// Unix seconds.
    pub time: u64,
    /// `put`, `withdraw`, `read`, `disclose`, `grant`, `refuse`, `hold`, `purge`, `rotate`, `read_log`,
    /// `analyst_grant`, `stats_query`.
    pub action: String,
    /// The calling key, hex.
    pub actor: String,
    /// `regulator`, `holder`, `auditor`, `analyst` or `other`.
    pub role: String,
    /// The record concerned, if one.
    pub record: Option<String>,
    /// Details (never a protected value).
    pub detail: String,
    /// The previous event's hash.
    pub prev: String,
    /// This event's hash.
    pub hash: String,
}

impl From<AuditEvent> for AuditEventBody {
    fn from(e: AuditEvent) -> Self {
        let action = serde_json::to_value(e.action).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default();
        AuditEventBody { seq: e.seq, time: e.time, action, actor: e.actor, role: e.role, record: e.record, detail: e.detail, prev: e.prev, hash: e.hash }
    }
}

/// `GET /v1/private/audit`: a page of the audit log.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct AuditPage {
    /// Events in the log before this read (the read itself is appended as an event).
    pub count: u64,
    /// The events asked for.
    pub events: Vec<AuditEventBody>,
}

/// `GET /v1/anchors/{record_hash}`: where a private record's hash is anchored.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct RecordAnchor {
    /// The record hash.
    pub record_hash: String,
    /// The block that anchored it.
    pub height: u64,
}

/// One audit transaction of a key (`GET /v1/audit-events/{key}`).
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct AuditAnchor {
    /// The block that holds it.
    pub height: u64,
    /// Its kind (`audit-head`, `audit-grant`, …).
    pub kind: String,
    /// The hash it records, hex.
    pub subject_hash: String,
}
