//! What the web explorer ([`crate::http::explorer`]) reads beyond the
//! API's answers: a page of block summaries, and a block's transactions
//! with their kinds, signers and receipts. Reads of the store: call them
//! off the threads that serve other calls.

use zkreg_registry::tx::{Issuance, SignedTransaction, TxBody};

use super::Node;
use crate::dto::{Block, TxReceipt};
use crate::error::ApiError;

/// Most blocks one page of the block list shows.
pub const MAX_BLOCKS_PER_PAGE: usize = 50;

/// A line of the block list.
#[derive(Clone, Debug)]
pub struct BlockSummary {
    /// Height.
    pub height: u64,
    /// Hash of the header, hex.
    pub hash: String,
    /// Block time, Unix seconds.
    pub time: u64,
    /// Transactions in the block.
    pub transactions: usize,
    /// Leaves in the commitment tree after the block.
    pub leaf_count: u64,
}

/// Who signed a transaction, as the registry knows the key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Signer {
    /// A root authority of the genesis.
    Authority,
    /// A regulator, by name (retired ones included).
    Regulator(String),
    /// A registered verifier (a bank), by name.
    Verifier(String),
    /// A key the registry does not name.
    Unknown,
}

/// One transaction of a block, as the explorer shows it.
#[derive(Debug)]
pub struct TxDetail {
    /// Its id, hex.
    pub id: String,
    /// What it does, kebab-case (`issue-credential`, `revoke`, …).
    pub kind: &'static str,
    /// The signer's key, hex.
    pub signer_key: String,
    /// Who the signer is.
    pub signer: Signer,
    /// The fields worth showing, label and value (names, schemas; hashes as hex).
    pub fields: Vec<(&'static str, String)>,
    /// The credential it names: the commitment it revokes or registers, or
    /// the leaf an applied Groth16 issuance got (from the receipt), hex.
    pub commitment: Option<String>,
    /// Its receipt (absent only if the store lost it).
    pub receipt: Option<TxReceipt>,
}

/// A block with its transactions in detail.
#[derive(Debug)]
pub struct BlockDetail {
    /// The header and transaction ids, as `GET /v1/blocks/{height}` answers.
    pub block: Block,
    /// The transactions, in order.
    pub transactions: Vec<TxDetail>,
}

/// The kind of a transaction body, kebab-case.
pub fn kind(body: &TxBody) -> &'static str {
    match body {
        TxBody::RegisterRegulator { .. } => "register-regulator",
        TxBody::RetireRegulator { .. } => "retire-regulator",
        TxBody::RegisterSchema { .. } => "register-schema",
        TxBody::RegisterVerifyingKey { .. } => "register-verifying-key",
        TxBody::RegisterVerifier { .. } => "register-verifier",
        TxBody::RetireVerifier { .. } => "retire-verifier",
        TxBody::IssueCredential { .. } => "issue-credential",
        TxBody::IssueRangeCredential { .. } => "issue-range-credential",
        TxBody::Revoke { .. } => "revoke",
        TxBody::AnchorRecord { .. } => "anchor-record",
        TxBody::AuditEvent { .. } => "audit-event",
        TxBody::IssueWithRecord { .. } => "issue-with-record",
        TxBody::Propose { .. } => "propose",
        TxBody::Approve { .. } => "approve",
    }
}

/// The public fields of a body worth a line each: names and schemas, and
/// hashes as hex. Keys and verifying-key bytes are left to the registry page.
fn fields(body: &TxBody) -> Vec<(&'static str, String)> {
    match body {
        TxBody::RegisterRegulator { name, schemas, .. } => vec![("name", name.clone()), ("schemas", schemas.join(", "))],
        TxBody::RetireRegulator { name } | TxBody::RetireVerifier { name } | TxBody::RegisterVerifier { name, .. } => {
            vec![("name", name.clone())]
        }
        TxBody::RegisterSchema { name, description } => vec![("name", name.clone()), ("description", description.clone())],
        TxBody::RegisterVerifyingKey { circuit_id, fingerprint, .. } => {
            vec![("circuit", circuit_id.clone()), ("fingerprint", hex::encode(fingerprint))]
        }
        TxBody::IssueCredential { schema, .. } | TxBody::IssueRangeCredential { schema, .. } => vec![("schema", schema.clone())],
        TxBody::Revoke { .. } => Vec::new(),
        TxBody::AnchorRecord { record_hash } => vec![("record hash", hex::encode(record_hash))],
        TxBody::AuditEvent { kind, subject_hash } => vec![("event", kind.clone()), ("subject hash", hex::encode(subject_hash))],
        TxBody::IssueWithRecord { issue, record_hash } => {
            let schema = match issue {
                Issuance::Groth16 { schema, .. } | Issuance::Bulletproofs { schema, .. } => schema.clone(),
            };
            vec![("schema", schema), ("record hash", hex::encode(record_hash))]
        }
        TxBody::Propose { change } => vec![("change", change.kind().replace('_', "-")), ("subject", change.subject().to_owned())],
        TxBody::Approve { proposal } => vec![("proposal", hex::encode(proposal))],
    }
}

impl Node {
    /// Who `key` is, by the registry after the tip and the genesis.
    fn signer(&self, key: &[u8; 32]) -> Signer {
        if self.authorities.contains(key) {
            return Signer::Authority;
        }
        let view = self.view();
        let registry = &view.registry;
        if let Some(r) = registry.regulators.values().find(|r| &r.key == key) {
            return Signer::Regulator(r.name.clone());
        }
        if let Some(v) = registry.verifiers.values().find(|v| &v.key == key) {
            return Signer::Verifier(v.name.clone());
        }
        Signer::Unknown
    }

    /// Up to `limit` (at most [`MAX_BLOCKS_PER_PAGE`]) blocks below height
    /// `below`, newest first.
    pub fn recent_blocks(&self, below: u64, limit: usize) -> Result<Vec<BlockSummary>, ApiError> {
        let top = below.min(self.height().saturating_add(1));
        let mut out = Vec::new();
        for height in (0..top).rev().take(limit.min(MAX_BLOCKS_PER_PAGE)) {
            let Some(header) = self.store.header(height)? else { continue };
            let transactions = self.store.block_txs(height)?.map_or(0, |t| t.len());
            out.push(BlockSummary {
                height,
                hash: hex::encode(header.hash()),
                time: header.time,
                transactions,
                leaf_count: header.leaf_count,
            });
        }
        Ok(out)
    }

    /// Block `height` with each transaction's kind, signer, fields and receipt.
    pub fn block_detail(&self, height: u64) -> Result<BlockDetail, ApiError> {
        let block = self.block(height)?;
        let txs: Vec<SignedTransaction> = self.store.block_txs(height)?.unwrap_or_default();
        let mut transactions = Vec::with_capacity(txs.len());
        for stx in &txs {
            let id = stx.tx.id();
            let receipt = self.store.receipt(&id)?.map(|r| TxReceipt::from(&r));
            let commitment = stx.tx.body.commitment().map(hex::encode).or_else(|| receipt.as_ref().and_then(|r| r.commitment.clone()));
            transactions.push(TxDetail {
                id: hex::encode(id),
                kind: kind(&stx.tx.body),
                signer_key: hex::encode(stx.tx.signer),
                signer: self.signer(&stx.tx.signer),
                fields: fields(&stx.tx.body),
                commitment,
                receipt,
            });
        }
        Ok(BlockDetail { block, transactions })
    }
}
