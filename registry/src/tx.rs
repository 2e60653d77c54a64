//! Signed transactions and their canonical encoding.
//!
//! A transaction is encoded with postcard (a deterministic serde format).
//! Decoding re-encodes the value and refuses the input unless the bytes are
//! identical, so every transaction has exactly one encoding and its id and
//! signed message cannot be varied by re-encoding. Signatures cover
//! `SIGNING_DOMAIN ‖ encode(Transaction)`; the transaction carries the chain
//! id, the signer's key and a per-key nonce that must be strictly increasing.
//!
//! Governance changes (regulators, schemas, verifying keys) are signed by a
//! root authority and carry approvals from other root authorities over the
//! same message; together they must reach the genesis threshold. Or they go
//! by proposal: one authority proposes (`Propose`), the others approve in
//! transactions of their own (`Approve`; see [`crate::governance`]).

use ed25519_dalek::{Signature, Signer, SigningKey, VerifyingKey};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::error::TxError;

/// Largest encoded signed transaction accepted.
pub const MAX_TX_BYTES: usize = 16 * 1024;

/// Longest name (regulator, schema, circuit id, audit kind).
pub const MAX_NAME_LEN: usize = 128;

/// Domain separator of transaction signatures (versioned).
pub use zkreg_circuits::constants::TX_SIGNING_DOMAIN as SIGNING_DOMAIN;

/// Domain separator of transaction ids.
pub use zkreg_circuits::constants::TXID_DOMAIN;

/// A 32-byte identifier (transaction id, block hash).
pub type Hash = [u8; 32];

/// What a transaction does.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum TxBody {
    /// Governance: register a regulator and the schemas it may issue.
    RegisterRegulator {
        /// The regulator's name (its issuer id is `label(Issuer, name)`).
        name: String,
        /// Its ed25519 key.
        key: [u8; 32],
        /// Schemas it may issue.
        schemas: Vec<String>,
    },
    /// Governance: retire a regulator (it can no longer issue or revoke).
    RetireRegulator {
        /// The regulator's name.
        name: String,
    },
    /// Governance: register a credential schema.
    RegisterSchema {
        /// The schema's name.
        name: String,
        /// What the value means.
        description: String,
    },
    /// Governance: register a circuit's Groth16 verifying key.
    RegisterVerifyingKey {
        /// Circuit identifier (`zkreg-predicate-v1`).
        circuit_id: String,
        /// SHA-256 of the key's canonical compressed bytes.
        fingerprint: [u8; 32],
        /// The key, canonical compressed arkworks encoding.
        key: Vec<u8>,
    },
    /// Governance: register a verifier (a bank) under a name. Only this
    /// key may then have the node issue proof requests as `name`, whose
    /// scopes are always `<name>/<purpose>`.
    RegisterVerifier {
        /// The verifier's name: a scope prefix, so it may not contain `/`.
        name: String,
        /// Its ed25519 key.
        key: [u8; 32],
    },
    /// Governance: retire a verifier (its key can no longer ask for proofs).
    RetireVerifier {
        /// The verifier's name.
        name: String,
    },
    /// Regulator: issue a Groth16 credential (commitment v2). The regulator
    /// submits `inner = Poseidon(holder_id, value, expiry, salt)`; the ledger
    /// appends the leaf `cm = Poseidon(schema_id, issuer_id, inner)` with the
    /// issuer and schema of this authenticated transaction.
    IssueCredential {
        /// The schema.
        schema: String,
        /// `inner`, canonical 32-byte big-endian field element.
        inner: [u8; 32],
    },
    /// Regulator: register a Bulletproofs (Pedersen) credential.
    IssueRangeCredential {
        /// The schema.
        schema: String,
        /// Compressed Ristretto commitment.
        commitment: [u8; 32],
        /// The holder's ed25519 key.
        holder_key: [u8; 32],
        /// Last valid day (public).
        expiry: u32,
    },
    /// Regulator: revoke a credential it issued (either kind).
    Revoke {
        /// The credential's commitment.
        commitment: [u8; 32],
    },
    /// Regulator: anchor the hash of a private record.
    AnchorRecord {
        /// SHA-256 of the encrypted record.
        record_hash: [u8; 32],
    },
    /// Regulator or root authority: record an audit event.
    AuditEvent {
        /// What happened (`audit-head`, `audit-grant`, …).
        kind: String,
        /// Hash of the event's details.
        subject_hash: [u8; 32],
    },
    /// Regulator: issue a credential (`issue`: an `IssueCredential` or an
    /// `IssueRangeCredential`, with exactly its checks and effects) and
    /// anchor the hash of the private record kept for it, in one
    /// transaction: the record's anchor is in the credential's block.
    IssueWithRecord {
        /// The issuance.
        issue: Issuance,
        /// The private record's hash (its id in the regulator's node).
        record_hash: [u8; 32],
    },
    /// Root authority: propose a governance change
    /// ([`crate::governance`]). The proposal's id is this transaction's
    /// id; every signer (signer and co-signers, all root authorities)
    /// approves it, and the change applies once the genesis threshold of
    /// distinct root authorities approved it.
    Propose {
        /// The change.
        change: crate::governance::GovernanceChange,
    },
    /// Root authority: approve an open proposal (every signer approves it once).
    Approve {
        /// The proposal's id (the id of the transaction that proposed it).
        proposal: Hash,
    },
}

impl TxBody {
    /// The credential commitment this transaction names directly (a range
    /// credential it issues, or a credential it revokes). A Groth16 issuance
    /// names only `inner`: its leaf depends on the signer's issuer name.
    pub fn commitment(&self) -> Option<&[u8; 32]> {
        match self {
            TxBody::IssueRangeCredential { commitment, .. } | TxBody::Revoke { commitment } => Some(commitment),
            TxBody::IssueWithRecord { issue: Issuance::Bulletproofs { commitment, .. }, .. } => Some(commitment),
            TxBody::IssueWithRecord { issue: Issuance::Groth16 { .. }, .. } => None,
            _ => None,
        }
    }

    /// Whether this is a governance change (root authorities, threshold).
    pub fn is_governance(&self) -> bool {
        matches!(
            self,
            TxBody::RegisterRegulator { .. }
                | TxBody::RetireRegulator { .. }
                | TxBody::RegisterSchema { .. }
                | TxBody::RegisterVerifyingKey { .. }
                | TxBody::RegisterVerifier { .. }
                | TxBody::RetireVerifier { .. }
        )
    }
}

/// The issuance an `IssueWithRecord` carries: the fields of an
/// `IssueCredential` or an `IssueRangeCredential`, in a type of its own so
/// that a transaction cannot nest inside another (a decoder recursing
/// through nested transactions would be a stack to exhaust).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Issuance {
    /// As [`TxBody::IssueCredential`].
    Groth16 {
        /// The schema.
        schema: String,
        /// `inner`, canonical 32-byte big-endian field element.
        inner: [u8; 32],
    },
    /// As [`TxBody::IssueRangeCredential`].
    Bulletproofs {
        /// The schema.
        schema: String,
        /// Compressed Ristretto commitment.
        commitment: [u8; 32],
        /// The holder's ed25519 key.
        holder_key: [u8; 32],
        /// Last valid day (public).
        expiry: u32,
    },
}

impl Issuance {
    /// The issuing transaction body it stands for.
    pub fn body(&self) -> TxBody {
        match self.clone() {
            Issuance::Groth16 { schema, inner } => TxBody::IssueCredential { schema, inner },
            Issuance::Bulletproofs { schema, commitment, holder_key, expiry } => {
                TxBody::IssueRangeCredential { schema, commitment, holder_key, expiry }
            }
        }
    }
}

impl TryFrom<TxBody> for Issuance {
    type Error = TxError;

    /// An `IssueCredential` or an `IssueRangeCredential`; anything else is `malformed`.
    fn try_from(body: TxBody) -> Result<Self, TxError> {
        match body {
            TxBody::IssueCredential { schema, inner } => Ok(Issuance::Groth16 { schema, inner }),
            TxBody::IssueRangeCredential { schema, commitment, holder_key, expiry } => {
                Ok(Issuance::Bulletproofs { schema, commitment, holder_key, expiry })
            }
            _ => Err(TxError::Malformed("a record's issuance is an IssueCredential or an IssueRangeCredential".into())),
        }
    }
}

/// The signed part of a transaction.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Transaction {
    /// The chain this transaction is for.
    pub chain_id: String,
    /// The submitter's ed25519 key.
    pub signer: [u8; 32],
    /// Strictly increasing per signer.
    pub nonce: u64,
    /// What it does.
    pub body: TxBody,
}

/// A root authority's approval of a governance transaction.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Approval {
    /// The approving root authority.
    pub key: [u8; 32],
    /// Its signature over the same message as the transaction's.
    pub signature: Signature,
}

/// A transaction with its signature and any approvals.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignedTransaction {
    /// The signed transaction.
    pub tx: Transaction,
    /// The signer's signature.
    pub signature: Signature,
    /// Co-signatures of other root authorities (governance only).
    pub approvals: Vec<Approval>,
}

/// The canonical encoding of a serialisable value.
pub fn encode<T: Serialize>(value: &T) -> Vec<u8> {
    postcard::to_stdvec(value).unwrap_or_else(|e| unreachable!("postcard encodes every value of these types: {e}"))
}

/// Decodes `bytes`, refusing anything but the canonical encoding.
pub fn decode_canonical<T: Serialize + for<'de> Deserialize<'de>>(bytes: &[u8]) -> Result<T, String> {
    let value: T = postcard::from_bytes(bytes).map_err(|e| e.to_string())?;
    if encode(&value) != bytes {
        return Err("not the canonical encoding".into());
    }
    Ok(value)
}

impl Transaction {
    /// The message signed by the signer and by every approver.
    pub fn signing_message(&self) -> Vec<u8> {
        let mut m = SIGNING_DOMAIN.to_vec();
        m.extend(encode(self));
        m
    }

    /// The transaction id: `SHA-256(TXID_DOMAIN ‖ encode(tx))`. Signatures are
    /// not part of it; (signer, nonce) makes it unique.
    pub fn id(&self) -> Hash {
        Sha256::new().chain_update(TXID_DOMAIN).chain_update(encode(self)).finalize().into()
    }

    /// Signs the transaction (the signer field must be `key`'s public key).
    pub fn sign(self, key: &SigningKey) -> SignedTransaction {
        let signature = key.sign(&self.signing_message());
        SignedTransaction { tx: self, signature, approvals: Vec::new() }
    }
}

impl SignedTransaction {
    /// Adds a root authority's approval.
    pub fn approve(mut self, key: &SigningKey) -> Self {
        let signature = key.sign(&self.tx.signing_message());
        self.approvals.push(Approval { key: key.verifying_key().to_bytes(), signature });
        self
    }

    /// The canonical bytes.
    pub fn to_bytes(&self) -> Vec<u8> {
        encode(self)
    }

    /// Decodes canonical bytes of at most [`MAX_TX_BYTES`].
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, TxError> {
        if bytes.len() > MAX_TX_BYTES {
            return Err(TxError::Oversized(bytes.len()));
        }
        decode_canonical(bytes).map_err(TxError::Malformed)
    }

    /// Stateless checks: size, names, the signer's key and strict signature,
    /// and every approval's key and signature. Returns the keys that signed
    /// (signer first), deduplicated.
    pub fn check_signatures(&self, chain_id: &str) -> Result<Vec<[u8; 32]>, TxError> {
        self.check_signatures_with(chain_id, &KeyCache::default())
    }

    /// [`SignedTransaction::check_signatures`] with keys parsed ahead of time.
    pub fn check_signatures_with(&self, chain_id: &str, keys: &KeyCache) -> Result<Vec<[u8; 32]>, TxError> {
        let len = encode(self).len();
        if len > MAX_TX_BYTES {
            return Err(TxError::Oversized(len));
        }
        if self.tx.chain_id != chain_id {
            return Err(TxError::WrongChain);
        }
        check_body(&self.tx.body)?;
        let message = self.tx.signing_message();
        keys.verify(&self.tx.signer, &message, &self.signature)?;
        let mut signers = vec![self.tx.signer];
        for a in &self.approvals {
            keys.verify(&a.key, &message, &a.signature)?;
            if !signers.contains(&a.key) {
                signers.push(a.key);
            }
        }
        Ok(signers)
    }
}

/// Parses a public key, refusing non-canonical encodings and small-order points.
pub fn strict_key(bytes: &[u8; 32]) -> Result<VerifyingKey, TxError> {
    let key = VerifyingKey::from_bytes(bytes).map_err(|_| TxError::WeakKey)?;
    if key.is_weak() || key.to_edwards().compress().to_bytes() != *bytes {
        return Err(TxError::WeakKey);
    }
    Ok(key)
}

/// Public keys parsed once (decompression costs more than half a signature
/// check, and a block's transactions come from few signers).
#[derive(Default)]
pub struct KeyCache {
    keys: std::collections::HashMap<[u8; 32], Result<VerifyingKey, TxError>>,
}

impl KeyCache {
    /// Parses every signer and approver key of `txs`.
    pub fn for_transactions(txs: &[SignedTransaction]) -> Self {
        let mut keys = std::collections::HashMap::new();
        for t in txs {
            for k in std::iter::once(&t.tx.signer).chain(t.approvals.iter().map(|a| &a.key)) {
                keys.entry(*k).or_insert_with(|| strict_key(k));
            }
        }
        KeyCache { keys }
    }

    /// Strictly verifies `signature` on `message` under `key`.
    pub fn verify(&self, key: &[u8; 32], message: &[u8], signature: &Signature) -> Result<(), TxError> {
        let parsed = match self.keys.get(key) {
            Some(k) => k.clone()?,
            None => strict_key(key)?,
        };
        parsed.verify_strict(message, signature).map_err(|_| TxError::BadSignature)
    }
}

/// Checks a name: 1 to [`MAX_NAME_LEN`] bytes, no control characters.
pub fn check_name(name: &str) -> Result<(), TxError> {
    if name.is_empty() || name.len() > MAX_NAME_LEN || name.chars().any(char::is_control) {
        return Err(TxError::InvalidName(name.chars().take(MAX_NAME_LEN).collect()));
    }
    Ok(())
}

/// Checks a verifier's name: a [`check_name`] without `/`, since scopes
/// are `<name>/<purpose>` and one verifier's scopes must never be under
/// another's name.
pub fn check_verifier_name(name: &str) -> Result<(), TxError> {
    check_name(name)?;
    if name.contains('/') {
        return Err(TxError::InvalidName(name.chars().take(MAX_NAME_LEN).collect()));
    }
    Ok(())
}

fn check_body(body: &TxBody) -> Result<(), TxError> {
    match body {
        TxBody::RegisterRegulator { name, key, schemas } => {
            check_name(name)?;
            strict_key(key)?;
            schemas.iter().try_for_each(|s| check_name(s))
        }
        TxBody::RetireRegulator { name } | TxBody::RetireVerifier { name } => check_name(name),
        TxBody::RegisterVerifier { name, key } => {
            check_verifier_name(name)?;
            strict_key(key).map(|_| ())
        }
        TxBody::RegisterSchema { name, description } => {
            check_name(name)?;
            if description.len() > 1024 {
                return Err(TxError::InvalidName("description longer than 1024 bytes".into()));
            }
            Ok(())
        }
        TxBody::RegisterVerifyingKey { circuit_id, .. } => check_name(circuit_id),
        TxBody::IssueCredential { schema, .. } => check_name(schema),
        TxBody::IssueRangeCredential { schema, holder_key, .. } => {
            check_name(schema)?;
            strict_key(holder_key).map(|_| ())
        }
        TxBody::Revoke { .. } | TxBody::AnchorRecord { .. } => Ok(()),
        TxBody::AuditEvent { kind, .. } => check_name(kind),
        // A proposed change is checked as the direct transaction is.
        TxBody::Propose { change } => check_body(&TxBody::from(change.clone())),
        TxBody::Approve { .. } => Ok(()),
        TxBody::IssueWithRecord { issue, .. } => check_body(&issue.body()),
    }
}
