//! An auditor's grant: access to some of a regulator's records, or to all
//! of one schema's, until a time. The regulator issues it; its hash goes on
//! the public layer (an `audit-grant` audit transaction), so a grant cannot
//! be back-dated or denied afterwards, and the node honours only grants
//! whose hash the ledger holds.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use zkreg_circuits::constants::AUDIT_GRANT_DOMAIN;

use super::keyring::RecordId;
use super::record::RecordMeta;
use super::PrivateError;
use crate::tx::{decode_canonical, encode};

/// Most records one grant may name.
pub const MAX_GRANT_RECORDS: usize = 1024;

/// What a grant opens.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GrantScope {
    /// These records.
    Records(Vec<RecordId>),
    /// Every record of this schema.
    Schema(String),
}

/// An auditor's time-limited access.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Grant {
    /// The auditor's ed25519 key: the key that signs its calls.
    pub auditor: [u8; 32],
    /// The granting regulator's name: only its records are opened.
    pub issuer: String,
    /// What it opens.
    pub scope: GrantScope,
    /// Unix seconds it was granted.
    pub granted_at: u64,
    /// Unix seconds after which it opens nothing.
    pub not_after: u64,
}

impl Grant {
    /// The grant's hash: its id, and what the ledger anchors.
    pub fn id(&self) -> [u8; 32] {
        Sha256::new().chain_update(AUDIT_GRANT_DOMAIN).chain_update(encode(self)).finalize().into()
    }

    /// Checks its form: a future end, and a bounded, non-empty scope.
    pub fn validate(&self) -> Result<(), PrivateError> {
        if self.not_after <= self.granted_at {
            return Err(PrivateError::Invalid("a grant must end after it starts".into()));
        }
        match &self.scope {
            GrantScope::Records(ids) if ids.is_empty() || ids.len() > MAX_GRANT_RECORDS => {
                Err(PrivateError::Invalid(format!("a grant names 1 to {MAX_GRANT_RECORDS} records")))
            }
            GrantScope::Schema(s) if s.is_empty() || s.len() > 128 => Err(PrivateError::Invalid("a grant's schema is 1 to 128 bytes".into())),
            _ => Ok(()),
        }
    }

    /// Whether it opens the record `meta` at unix time `now`.
    pub fn covers(&self, meta: &RecordMeta, now: u64) -> bool {
        now <= self.not_after
            && now >= self.granted_at
            && self.issuer == meta.issuer
            && match &self.scope {
                GrantScope::Records(ids) => ids.contains(&meta.id),
                GrantScope::Schema(s) => *s == meta.schema,
            }
    }
}

/// The grants this node issued, by auditor key then grant id.
pub struct GrantBook {
    tree: sled::Tree,
}

impl GrantBook {
    /// The book over the node-local keyspace `tree`.
    pub fn new(tree: sled::Tree) -> Self {
        GrantBook { tree }
    }

    /// Stores `grant` (its anchor already on the ledger).
    pub fn add(&self, grant: &Grant) -> Result<(), PrivateError> {
        self.tree.insert(key(&grant.auditor, &grant.id()), encode(grant))?;
        self.tree.flush()?;
        Ok(())
    }

    /// The grants held by `auditor`, expired ones included.
    pub fn of(&self, auditor: &[u8; 32]) -> Result<Vec<Grant>, PrivateError> {
        self.tree
            .scan_prefix(auditor)
            .map(|e| {
                let (_, v) = e?;
                decode_canonical(&v).map_err(|e| PrivateError::Storage(format!("a stored grant is corrupt: {e}")))
            })
            .collect()
    }

    /// Whether `auditor` holds a grant opening `meta` at `now`.
    pub fn allows(&self, auditor: &[u8; 32], meta: &RecordMeta, now: u64) -> Result<bool, PrivateError> {
        Ok(self.of(auditor)?.iter().any(|g| g.covers(meta, now)))
    }

    /// Whether `auditor` holds any unexpired grant from `issuer` at `now`.
    pub fn any_current(&self, auditor: &[u8; 32], issuer: &str, now: u64) -> Result<bool, PrivateError> {
        Ok(self.of(auditor)?.iter().any(|g| g.issuer == issuer && g.granted_at <= now && now <= g.not_after))
    }
}

fn key(auditor: &[u8; 32], id: &[u8; 32]) -> [u8; 64] {
    let mut k = [0u8; 64];
    k[..32].copy_from_slice(auditor);
    k[32..].copy_from_slice(id);
    k
}

#[cfg(test)]
mod tests {
    use super::*;

    fn meta(id: u8, schema: &str) -> RecordMeta {
        RecordMeta {
            id: [id; 32],
            issuer: "central-bank".into(),
            schema: schema.into(),
            commitment: String::new(),
            holder_key: [0; 32],
            stored_at: 0,
            legal_hold: false,
            purged_at: None,
        }
    }

    #[test]
    fn a_grant_opens_its_scope_until_it_expires() {
        let g = Grant { auditor: [5; 32], issuer: "central-bank".into(), scope: GrantScope::Records(vec![[1; 32]]), granted_at: 100, not_after: 200 };
        assert!(g.covers(&meta(1, "credit-score"), 150));
        assert!(g.covers(&meta(1, "credit-score"), 200));
        assert!(!g.covers(&meta(1, "credit-score"), 201), "expired");
        assert!(!g.covers(&meta(1, "credit-score"), 99), "not yet");
        assert!(!g.covers(&meta(2, "credit-score"), 150), "another record");
        let mut other_issuer = meta(1, "credit-score");
        other_issuer.issuer = "health-agency".into();
        assert!(!g.covers(&other_issuer, 150), "another regulator's record");
        let s = Grant { scope: GrantScope::Schema("credit-score".into()), ..g.clone() };
        assert!(s.covers(&meta(7, "credit-score"), 150));
        assert!(!s.covers(&meta(7, "licence.food-business"), 150));
        assert_ne!(g.id(), s.id());

        let book = GrantBook::new(sled::Config::new().temporary(true).open().unwrap().open_tree("g").unwrap());
        book.add(&g).unwrap();
        assert!(book.allows(&[5; 32], &meta(1, "credit-score"), 150).unwrap());
        assert!(!book.allows(&[6; 32], &meta(1, "credit-score"), 150).unwrap(), "another auditor");
        assert!(book.any_current(&[5; 32], "central-bank", 150).unwrap());
        assert!(!book.any_current(&[5; 32], "central-bank", 250).unwrap());
    }

    #[test]
    fn malformed_grants_are_refused() {
        let g = Grant { auditor: [5; 32], issuer: "central-bank".into(), scope: GrantScope::Records(vec![]), granted_at: 100, not_after: 200 };
        assert_eq!(g.validate().unwrap_err().code(), "invalid_record");
        let g = Grant { scope: GrantScope::Schema("s".into()), not_after: 100, ..g };
        assert_eq!(g.validate().unwrap_err().code(), "invalid_record");
        assert!(Grant { not_after: 101, ..g }.validate().is_ok());
    }
}
