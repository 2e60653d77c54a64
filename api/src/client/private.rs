//! The private layer's calls: every one signed by the caller's key (the
//! regulator's, a holder's wallet key, an auditor's).

use ed25519_dalek::SigningKey;
use serde::de::DeserializeOwned;

use zkreg_registry::SignedTransaction;

use super::{sign_now, Client, ClientResult};
use crate::dto::private::{
    AuditAnchor, AuditPage, GrantInfo, HoldRecord, NewGrantBody, OpenedRecord, PrivateRecordBody, PutRecord, RecordAnchor, RecordInfo,
    Rotation, StoredRecord,
};

impl Client {
    /// `GET path` signed with `key`, the answer as `T`.
    pub fn signed_get<T: DeserializeOwned>(&self, path: &str, key: &SigningKey) -> ClientResult<T> {
        let mut req = self.agent.get(&format!("{}{path}", self.base));
        for (name, value) in sign_now(key, "GET", path, b"") {
            req = req.header(name, value);
        }
        Self::typed(path, Self::answer(req.call()?)?)
    }

    /// `POST /v1/private/records`: stores `record` in the regulator's node
    /// and submits `tx` (the regulator's `IssueWithRecord` naming its hash);
    /// answers once the block is on disk.
    pub fn put_record(&self, key: &SigningKey, record: PrivateRecordBody, tx: &SignedTransaction) -> ClientResult<StoredRecord> {
        self.post_as("/v1/private/records", &PutRecord { record, tx: hex::encode(tx.to_bytes()) }, Some(key))
    }

    /// `GET /v1/private/records/{id}`: one record, opened for `key`.
    pub fn read_record(&self, key: &SigningKey, id: &str) -> ClientResult<OpenedRecord> {
        self.signed_get(&format!("/v1/private/records/{id}"), key)
    }

    /// `GET /v1/private/records/mine`: the records of the holder whose wallet key is `key`.
    pub fn my_records(&self, key: &SigningKey) -> ClientResult<Vec<OpenedRecord>> {
        self.signed_get("/v1/private/records/mine", key)
    }

    /// `GET /v1/private/records`: the regulator's records' metadata, a page after `after`.
    pub fn list_records(&self, key: &SigningKey, after: Option<&str>) -> ClientResult<Vec<RecordInfo>> {
        let path = match after {
            Some(a) => format!("/v1/private/records?after={a}"),
            None => "/v1/private/records".to_owned(),
        };
        self.signed_get(&path, key)
    }

    /// `POST /v1/private/records/{id}/hold`.
    pub fn hold_record(&self, key: &SigningKey, id: &str, hold: bool) -> ClientResult<RecordInfo> {
        self.post_as(&format!("/v1/private/records/{id}/hold"), &HoldRecord { hold }, Some(key))
    }

    /// `POST /v1/private/records/{id}/purge`.
    pub fn purge_record(&self, key: &SigningKey, id: &str) -> ClientResult<RecordInfo> {
        self.post_as(&format!("/v1/private/records/{id}/purge"), &serde_json::json!({}), Some(key))
    }

    /// `POST /v1/private/grants`.
    pub fn grant(&self, key: &SigningKey, grant: &NewGrantBody) -> ClientResult<GrantInfo> {
        self.post_as("/v1/private/grants", grant, Some(key))
    }

    /// `POST /v1/private/rotate`.
    pub fn rotate_data_key(&self, key: &SigningKey) -> ClientResult<Rotation> {
        self.post_as("/v1/private/rotate", &serde_json::json!({}), Some(key))
    }

    /// `GET /v1/private/audit`: up to 1000 audit events from `from`.
    pub fn audit_page(&self, key: &SigningKey, from: u64) -> ClientResult<AuditPage> {
        self.signed_get(&format!("/v1/private/audit?from={from}"), key)
    }

    /// `GET /v1/anchors/{record_hash}`: the block that anchored a record hash.
    pub fn record_anchor(&self, record_hash: &str) -> ClientResult<RecordAnchor> {
        self.get_as(&format!("/v1/anchors/{record_hash}"))
    }

    /// `GET /v1/audit-events/{key}`: the audit transactions `key` signed, in ledger order.
    pub fn audit_anchors(&self, key: &[u8; 32]) -> ClientResult<Vec<AuditAnchor>> {
        self.get_as(&format!("/v1/audit-events/{}", hex::encode(key)))
    }
}
