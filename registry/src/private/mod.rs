//! The private layer: one regulator's records in its own node, encrypted at
//! rest, with every access in a hash-chained audit log.
//!
//! - [`record`]: a regulator's record of an issued credential (the subject's
//!   real identifier, attribute values, the holder's opening), its hash (the
//!   record id, anchored on the public layer in the issuing transaction),
//!   and the store that keeps it sealed in the node-local database.
//! - [`keyring`]: the data keys and the AEAD that seals a record.
//! - [`grant`]: an auditor's time-limited access to records or a schema.
//! - [`audit`]: the audit log, its verification and its anchors.
//! - [`dp`], [`analyst`]: private statistics: differentially private
//!   histograms of the records for analysts granted a privacy budget, and
//!   the ledger of what each spent.
//!
//! Nothing here reaches the replicated chain except hashes: the record
//! hash, the grant hash, the audit log's head.

pub mod analyst;
pub mod audit;
pub mod dp;
pub mod grant;
pub mod keyring;
pub mod record;
pub mod store;

pub use audit::{AuditAction, AuditEvent, AuditFault, AuditLog};
pub use grant::{Grant, GrantScope};
pub use keyring::{Keyring, RecordId, Sealed};
pub use record::{PrivateRecord, RecordMeta};
pub use store::RecordStore;

/// Why a private-layer operation failed, each with a stable code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PrivateError {
    /// The data key file or variable does not parse.
    #[error("the data keyring: {0}")]
    BadKeyring(String),
    /// The AEAD refused to seal (it does not for inputs of these sizes).
    #[error("a record could not be sealed")]
    Sealing,
    /// A record was sealed under a key number the keyring lacks.
    #[error("the record is sealed under data key {0}, which the keyring does not hold")]
    UnknownDataKey(u32),
    /// A ciphertext does not open: tampered with, moved, or the key is wrong.
    #[error("the record's ciphertext does not open under its data key: it was altered or the key is wrong")]
    Unreadable,
    /// No record with that id on this node.
    #[error("no private record {0} on this node")]
    NotFound(String),
    /// A record with that id is already stored.
    #[error("private record {0} is already stored")]
    Exists(String),
    /// The record was purged: its plaintext and ciphertext are gone, its anchor stays.
    #[error("private record {0} was purged")]
    Purged(String),
    /// The record is under a legal hold and may not be purged.
    #[error("private record {0} is under a legal hold and may not be purged")]
    LegalHold(String),
    /// A record or grant is not well formed.
    #[error("{0}")]
    Invalid(String),
    /// The store failed (the cause is logged).
    #[error("the private store: {0}")]
    Storage(String),
}

impl PrivateError {
    /// The stable code.
    pub fn code(&self) -> &'static str {
        match self {
            PrivateError::BadKeyring(_) => "bad_keyring",
            PrivateError::Sealing | PrivateError::Storage(_) => "internal",
            PrivateError::UnknownDataKey(_) => "unknown_data_key",
            PrivateError::Unreadable => "record_unreadable",
            PrivateError::NotFound(_) => "record_not_found",
            PrivateError::Exists(_) => "record_exists",
            PrivateError::Purged(_) => "record_purged",
            PrivateError::LegalHold(_) => "legal_hold",
            PrivateError::Invalid(_) => "invalid_record",
        }
    }
}

impl From<sled::Error> for PrivateError {
    fn from(e: sled::Error) -> Self {
        PrivateError::Storage(e.to_string())
    }
}

impl From<std::io::Error> for PrivateError {
    fn from(e: std::io::Error) -> Self {
        PrivateError::Storage(e.to_string())
    }
}
