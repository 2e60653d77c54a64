//! Errors of the public layer, each with a stable machine-readable code.

/// Why a transaction is refused (at submission or when its block is applied).
/// A refused transaction changes nothing.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TxError {
    /// The bytes are not a canonical encoding of a signed transaction.
    #[error("malformed transaction: {0}")]
    Malformed(String),
    /// The encoding exceeds [`crate::tx::MAX_TX_BYTES`].
    #[error("transaction is {0} bytes, more than the limit")]
    Oversized(usize),
    /// The transaction names another chain.
    #[error("transaction is for another chain")]
    WrongChain,
    /// A key is not a valid ed25519 point, or is of small order.
    #[error("weak or invalid public key")]
    WeakKey,
    /// A signature does not verify (strict ed25519).
    #[error("bad signature")]
    BadSignature,
    /// The nonce is not above the signer's last one (replay or out of order).
    #[error("nonce {got} is not above the last nonce {last}")]
    StaleNonce {
        /// The nonce the transaction carries.
        got: u64,
        /// The signer's last accepted nonce.
        last: u64,
    },
    /// The same transaction is already waiting in the mempool.
    #[error("transaction already pending")]
    Duplicate,
    /// The signer may not submit this kind of transaction.
    #[error("signer is not authorised for this transaction")]
    Unauthorised,
    /// A governance change lacks the root authorities' approval threshold.
    #[error("{got} distinct root-authority approvals, {needed} needed")]
    InsufficientApprovals {
        /// Valid distinct approvals, the signer's included.
        got: usize,
        /// The genesis threshold.
        needed: usize,
    },
    /// The regulator is not authorised for this schema.
    #[error("regulator may not issue schema `{0}`")]
    SchemaNotAllowed(String),
    /// The schema is not registered.
    #[error("unknown schema `{0}`")]
    UnknownSchema(String),
    /// A regulator, schema or key of that name is already registered.
    #[error("`{0}` is already registered")]
    AlreadyRegistered(String),
    /// No active regulator of that name.
    #[error("unknown regulator `{0}`")]
    UnknownRegulator(String),
    /// No active verifier of that name.
    #[error("unknown verifier `{0}`")]
    UnknownVerifier(String),
    /// The commitment is already on the ledger.
    #[error("commitment already issued")]
    DuplicateCommitment,
    /// The commitment is not a valid value (non-canonical, zero, or not a point).
    #[error("invalid commitment")]
    InvalidCommitment,
    /// No credential with that commitment.
    #[error("unknown credential")]
    UnknownCredential,
    /// The credential is already revoked.
    #[error("credential already revoked")]
    AlreadyRevoked,
    /// Only the issuing regulator may revoke.
    #[error("only the issuing regulator may revoke this credential")]
    NotIssuer,
    /// The verifying key does not decode, or its fingerprint differs.
    #[error("invalid verifying key: {0}")]
    InvalidVerifyingKey(String),
    /// A name is empty, too long or has control characters.
    #[error("invalid name `{0}`")]
    InvalidName(String),
    /// The mempool is full.
    #[error("mempool is full")]
    MempoolFull,
    /// The commitment tree is full.
    #[error("commitment tree is full")]
    TreeFull,
    /// An approval names no proposal the ledger knows.
    #[error("unknown governance proposal")]
    UnknownProposal,
    /// An approval names a proposal whose change was already applied.
    #[error("the proposal was already applied")]
    ProposalApplied,
    /// An approval comes after the last block that may complete the
    /// proposal (`proposal_ttl_blocks` after the block that proposed it).
    #[error("the proposal expired unapplied")]
    ProposalExpired,
    /// A root authority approves a proposal it already approved.
    #[error("this root authority already approved the proposal")]
    AlreadyApproved,
}

impl TxError {
    /// A stable machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            TxError::Malformed(_) => "malformed",
            TxError::Oversized(_) => "oversized",
            TxError::WrongChain => "wrong_chain",
            TxError::WeakKey => "weak_key",
            TxError::BadSignature => "bad_signature",
            TxError::StaleNonce { .. } => "stale_nonce",
            TxError::Duplicate => "duplicate_transaction",
            TxError::Unauthorised => "unauthorised",
            TxError::InsufficientApprovals { .. } => "insufficient_approvals",
            TxError::SchemaNotAllowed(_) => "schema_not_allowed",
            TxError::UnknownSchema(_) => "unknown_schema",
            TxError::AlreadyRegistered(_) => "already_registered",
            TxError::UnknownRegulator(_) => "unknown_regulator",
            TxError::UnknownVerifier(_) => "unknown_verifier",
            TxError::DuplicateCommitment => "duplicate_commitment",
            TxError::InvalidCommitment => "invalid_commitment",
            TxError::UnknownCredential => "unknown_credential",
            TxError::AlreadyRevoked => "already_revoked",
            TxError::NotIssuer => "not_issuer",
            TxError::InvalidVerifyingKey(_) => "invalid_verifying_key",
            TxError::InvalidName(_) => "invalid_name",
            TxError::MempoolFull => "mempool_full",
            TxError::TreeFull => "tree_full",
            TxError::UnknownProposal => "unknown_proposal",
            TxError::ProposalApplied => "proposal_applied",
            TxError::ProposalExpired => "proposal_expired",
            TxError::AlreadyApproved => "already_approved",
        }
    }
}

/// Errors of the ledger as a whole (storage, genesis, integrity).
#[derive(Debug, thiserror::Error)]
pub enum LedgerError {
    /// The storage engine failed.
    #[error("storage: {0}")]
    Storage(#[from] sled::Error),
    /// A stored record does not decode.
    #[error("corrupt record `{key}`: {reason}")]
    Corrupt {
        /// The record's key (printable form).
        key: String,
        /// What was wrong.
        reason: String,
    },
    /// The data directory was written by another version of the ledger
    /// (v1 stored one-hash commitments that v2 proofs cannot open).
    #[error("data directory holds ledger format `{found}`, this build reads `{}`; start a new data directory", crate::store::FORMAT)]
    UnsupportedFormat {
        /// The format found in the directory.
        found: String,
    },
    /// The genesis file is invalid.
    #[error("invalid genesis: {0}")]
    Genesis(String),
    /// The data directory belongs to another genesis.
    #[error("data directory holds chain `{found}`, not `{expected}`")]
    GenesisMismatch {
        /// Chain id in the directory.
        found: String,
        /// Chain id of the given genesis.
        expected: String,
    },
    /// A proposal is not for the next height.
    #[error("proposal for height {got}, expected {expected}")]
    WrongHeight {
        /// The proposal's height.
        got: u64,
        /// The next height.
        expected: u64,
    },
    /// A proposal's time is before the tip's.
    #[error("proposal time {got} is before the tip's time {tip}")]
    TimeRegression {
        /// The proposal's time.
        got: u64,
        /// The tip's time.
        tip: u64,
    },
    /// A query names something that does not exist.
    #[error("not found: {0}")]
    NotFound(String),
}
