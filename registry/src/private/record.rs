//! A regulator's private record of one issued credential, its hash, and
//! what the store keeps of it in the clear.
//!
//! The record id is `SHA-256(PRIVATE_RECORD_DOMAIN ‖ postcard(record))`:
//! the hash the issuing transaction anchors on the public layer. The record
//! carries the holder's credential file, whose commitment salt (or Pedersen
//! blinding) is random, so the anchored hash cannot be matched against
//! guessed identifiers or values. A disclosed record is checked by
//! recomputing its hash and finding the anchor (`zkreg record verify`).
//!
//! The store ([`super::RecordStore`]) keeps, per record, a sealed
//! ciphertext ([`super::Sealed`]) and
//! metadata in the clear ([`RecordMeta`]: the id, issuer, schema,
//! commitment, the holder's authentication public key, times and flags),
//! which is what access checks and listings need and nothing the record
//! protects: no subject identifier, attribute value or opening.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use zkreg_circuits::constants::PRIVATE_RECORD_DOMAIN;

use super::keyring::RecordId;
use super::PrivateError;
use crate::tx::encode;

/// Longest subject identifier.
pub const MAX_SUBJECT_LEN: usize = 256;
/// Most attributes in one record.
pub const MAX_ATTRIBUTES: usize = 64;
/// Longest attribute name.
pub const MAX_ATTRIBUTE_NAME_LEN: usize = 64;
/// Longest attribute value.
pub const MAX_ATTRIBUTE_VALUE_LEN: usize = 1024;
/// Longest credential file kept in a record.
pub const MAX_CREDENTIAL_LEN: usize = 16 * 1024;

/// What a regulator keeps about one credential it issued.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PrivateRecord {
    /// The issuing regulator's registered name.
    pub issuer: String,
    /// The credential's schema.
    pub schema: String,
    /// The credential's commitment on the ledger, hex as the credential file names it.
    pub commitment: String,
    /// The holder's wallet authentication key (64 hex digits): the key that
    /// may fetch this record.
    pub holder_key: String,
    /// The subject's real identifier (national id, company number).
    pub subject: String,
    /// Attribute values, by name (the score, the licence class, the region…).
    pub attributes: BTreeMap<String, String>,
    /// The holder's credential file as issued (the opening): JSON text.
    pub credential: String,
}

impl std::fmt::Debug for PrivateRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PrivateRecord")
            .field("issuer", &self.issuer)
            .field("schema", &self.schema)
            .field("commitment", &self.commitment)
            .finish_non_exhaustive()
    }
}

impl PrivateRecord {
    /// The record's hash: its id, and what the ledger anchors.
    pub fn hash(&self) -> RecordId {
        hash_encoded(&encode(self))
    }

    /// The holder's key, parsed.
    pub fn holder_key_bytes(&self) -> Result<[u8; 32], PrivateError> {
        hex::decode(&self.holder_key)
            .ok()
            .and_then(|b| b.try_into().ok())
            .ok_or_else(|| PrivateError::Invalid("holder_key must be 64 hex digits".into()))
    }

    /// Checks sizes and forms.
    pub fn validate(&self) -> Result<(), PrivateError> {
        let bad = |m: String| Err(PrivateError::Invalid(m));
        for (what, s, max) in [("issuer", &self.issuer, 128), ("schema", &self.schema, 128), ("commitment", &self.commitment, 130)] {
            if s.is_empty() || s.len() > max || s.chars().any(char::is_control) {
                return bad(format!("{what} must be 1 to {max} characters without control characters"));
            }
        }
        self.holder_key_bytes()?;
        if self.subject.is_empty() || self.subject.len() > MAX_SUBJECT_LEN {
            return bad(format!("subject must be 1 to {MAX_SUBJECT_LEN} bytes"));
        }
        if self.attributes.len() > MAX_ATTRIBUTES {
            return bad(format!("at most {MAX_ATTRIBUTES} attributes"));
        }
        for (name, value) in &self.attributes {
            if name.is_empty() || name.len() > MAX_ATTRIBUTE_NAME_LEN || value.len() > MAX_ATTRIBUTE_VALUE_LEN {
                return bad(format!(
                    "attribute names are 1 to {MAX_ATTRIBUTE_NAME_LEN} bytes and values at most {MAX_ATTRIBUTE_VALUE_LEN}"
                ));
            }
        }
        if self.credential.len() > MAX_CREDENTIAL_LEN {
            return bad(format!("the credential file is more than {MAX_CREDENTIAL_LEN} bytes"));
        }
        Ok(())
    }
}

/// The hash of a record from its encoding (`encode(record)`).
pub(crate) fn hash_encoded(encoded: &[u8]) -> RecordId {
    Sha256::new().chain_update(PRIVATE_RECORD_DOMAIN).chain_update(encoded).finalize().into()
}

/// What the store keeps in the clear about a record.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordMeta {
    /// The record id (its anchored hash).
    pub id: RecordId,
    /// The issuing regulator's name.
    pub issuer: String,
    /// The credential's schema.
    pub schema: String,
    /// The credential's commitment.
    pub commitment: String,
    /// The holder's authentication key.
    pub holder_key: [u8; 32],
    /// Unix seconds it was stored.
    pub stored_at: u64,
    /// Whether a legal hold forbids purging it.
    pub legal_hold: bool,
    /// Unix seconds it was purged, if it was.
    pub purged_at: Option<u64>,
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub(crate) fn record(subject: &str) -> PrivateRecord {
        PrivateRecord {
            issuer: "central-bank".into(),
            schema: "credit-score".into(),
            commitment: format!("0x{}", "ab".repeat(32)),
            holder_key: "cd".repeat(32),
            subject: subject.into(),
            attributes: BTreeMap::from([("score".into(), "731".into())]),
            credential: format!("{{\"salt\":\"{subject}-salt\"}}"),
        }
    }

    #[test]
    fn malformed_records_are_refused() {
        let cases: Vec<(&str, Box<dyn Fn(&mut PrivateRecord)>)> = vec![
            ("empty subject", Box::new(|r| r.subject.clear())),
            ("long subject", Box::new(|r| r.subject = "x".repeat(MAX_SUBJECT_LEN + 1))),
            ("bad holder key", Box::new(|r| r.holder_key = "zz".into())),
            ("control in issuer", Box::new(|r| r.issuer = "a\nb".into())),
            ("huge credential", Box::new(|r| r.credential = "x".repeat(MAX_CREDENTIAL_LEN + 1))),
            ("too many attributes", Box::new(|r| r.attributes = (0..=MAX_ATTRIBUTES).map(|i| (i.to_string(), String::new())).collect())),
        ];
        assert!(record("NID-3").validate().is_ok());
        for (name, change) in cases {
            let mut r = record("NID-3");
            change(&mut r);
            assert_eq!(r.validate().unwrap_err().code(), "invalid_record", "{name}");
        }
    }
}
