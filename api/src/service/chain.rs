//! Reading the chain, the commitment tree and the registry: what every
//! caller may read. Answers are the API's wire types ([`crate::dto`]).
//! Reads of the snapshot never wait; reads of the tree lock the ledger and
//! belong off the threads that serve other calls.

use zkreg_circuits::field::fr_to_hex;
use zkreg_circuits::ids::{Commitment, TxId};

use super::Node;
use crate::dto::stats::Total;
use crate::dto::{
    Block, BucketAnswer, Count, Credential, Issuer, PathAnswer, Root, Schema, Stats, Status, TxReceipt, Verifier,
    VerifyingKey,
};
use crate::error::ApiError;

/// Most levels of a bucket (4^8 = 65,536 leaves).
pub const MAX_BUCKET_LEVELS: usize = 8;

/// Levels of a bucket when the caller names none (4^5 = 1,024 leaves).
pub const DEFAULT_BUCKET_LEVELS: usize = 5;

impl Node {
    /// The chain id, the tip, and the genesis' root window beside how many
    /// roots the window holds now.
    pub fn status(&self) -> Result<Status, ApiError> {
        let view = self.view();
        // The genesis is fixed when the data directory is made; a node always has one.
        let genesis = self.store.genesis()?.ok_or_else(|| ApiError::internal("the ledger has no genesis"))?;
        Ok(Status {
            chain_id: self.chain_id.clone(),
            height: view.tip.height,
            tip_hash: hex::encode(view.tip.hash()),
            root: hex::encode(view.tip.tree_root),
            leaf_count: view.tip.leaf_count,
            root_window_blocks: genesis.root_window,
            roots_in_window: view.roots.len(),
        })
    }

    /// The height of the last applied block.
    pub fn height(&self) -> u64 {
        self.view().tip.height
    }

    /// Block `height`'s header and transaction ids.
    pub fn block(&self, height: u64) -> Result<Block, ApiError> {
        let header = self.store.header(height)?.ok_or_else(|| ApiError::NotFound(format!("block {height}")))?;
        let txs = self.store.block_txs(height)?;
        Ok(Block {
            height: header.height,
            hash: hex::encode(header.hash()),
            prev_hash: hex::encode(header.prev_hash),
            tx_root: hex::encode(header.tx_root),
            tree_root: hex::encode(header.tree_root),
            leaf_count: header.leaf_count,
            time: header.time,
            transactions: txs.unwrap_or_default().iter().map(|t| hex::encode(t.tx.id())).collect(),
            signatures: self
                .store
                .header_signatures(height)?
                .into_iter()
                .map(|(node_id, sig)| crate::dto::HeaderSignature { node_id, signature: hex::encode(sig) })
                .collect(),
        })
    }

    /// A transaction's receipt, once its block is applied.
    pub fn receipt(&self, id: &TxId) -> Result<TxReceipt, ApiError> {
        let r = self.store.receipt(&id.0)?.ok_or_else(|| ApiError::NotFound("transaction".into()))?;
        Ok(TxReceipt::from(&r))
    }

    /// Registered regulators and the schemas each may issue.
    pub fn issuers(&self) -> Vec<Issuer> {
        self.view()
            .registry
            .regulators
            .values()
            .map(|r| Issuer { name: r.name.clone(), key: hex::encode(r.key), schemas: r.schemas.clone(), active: r.active, since: r.since })
            .collect()
    }

    /// Registered verifiers (banks) and their keys.
    pub fn verifiers(&self) -> Vec<Verifier> {
        self.view()
            .registry
            .verifiers
            .values()
            .map(|v| Verifier { name: v.name.clone(), key: hex::encode(v.key), active: v.active, since: v.since })
            .collect()
    }

    /// Registered credential schemas.
    pub fn schemas(&self) -> Vec<Schema> {
        self.view()
            .registry
            .schemas
            .values()
            .map(|s| Schema { name: s.name.clone(), description: s.description.clone(), since: s.since })
            .collect()
    }

    /// Registered Groth16 verifying keys and their fingerprints.
    pub fn verifying_keys(&self) -> Vec<VerifyingKey> {
        self.view()
            .registry
            .verifying_keys
            .values()
            .map(|k| VerifyingKey {
                circuit_id: k.circuit_id.clone(),
                fingerprint: hex::encode(k.fingerprint),
                key: hex::encode(&k.key),
                since: k.since,
            })
            .collect()
    }

    /// The roots a verifier accepts now (the window), oldest first.
    pub fn roots(&self) -> Vec<Root> {
        self.view().roots.iter().map(|(h, r)| Root { height: *h, root: fr_to_hex(r) }).collect()
    }

    /// One leaf's Merkle path against the current root (locks the ledger).
    pub fn path(&self, leaf: u64) -> Result<PathAnswer, ApiError> {
        self.with_ledger(|ledger| Ok(PathAnswer { root: fr_to_hex(&ledger.root()), height: ledger.height(), path: ledger.path(leaf)? }))
    }

    /// The bucket of `levels` levels (1 to [`MAX_BUCKET_LEVELS`]) around
    /// `leaf` and the siblings above it (locks the ledger).
    pub fn bucket(&self, leaf: u64, levels: usize) -> Result<BucketAnswer, ApiError> {
        if !(1..=MAX_BUCKET_LEVELS).contains(&levels) {
            return Err(ApiError::bad("bad_levels", format!("levels must be 1 to {MAX_BUCKET_LEVELS}")));
        }
        self.with_ledger(|ledger| Ok(BucketAnswer::new(&ledger.bucket(leaf, levels)?, ledger.height())))
    }

    /// A credential's public record by commitment: issuer, schema, status.
    pub fn credential(&self, commitment: &Commitment) -> Result<Credential, ApiError> {
        let r = self.store.credential(&commitment.0)?.ok_or_else(|| ApiError::NotFound("credential".into()))?;
        Ok(Credential::from(r))
    }

    /// The height that anchored a private record's hash.
    pub fn record_anchor(&self, record_hash: &[u8; 32]) -> Result<u64, ApiError> {
        self.store.anchor(record_hash)?.ok_or_else(|| ApiError::NotFound(format!("no anchor of record hash {}", hex::encode(record_hash))))
    }

    /// The audit transactions `signer` made, in ledger order.
    pub fn audit_transactions(&self, signer: &[u8; 32]) -> Result<Vec<crate::dto::private::AuditAnchor>, ApiError> {
        Ok(self
            .store
            .audit_events(signer)?
            .into_iter()
            .map(|(height, kind, subject)| crate::dto::private::AuditAnchor { height, kind, subject_hash: hex::encode(subject) })
            .collect())
    }

    /// Credentials issued, revoked and active, per issuer and schema, per
    /// schema and per issuer (the registry's counts, kept as blocks apply).
    pub fn stats(&self) -> Stats {
        let view = self.view();
        let mut by_schema = std::collections::BTreeMap::<&str, (u64, u64)>::new();
        let mut by_issuer = std::collections::BTreeMap::<&str, (u64, u64)>::new();
        let mut by_issuer_and_schema = Vec::new();
        for ((issuer, schema), c) in &view.registry.counts {
            for (map, name) in [(&mut by_schema, schema), (&mut by_issuer, issuer)] {
                let e = map.entry(name.as_str()).or_default();
                e.0 += c.issued;
                e.1 += c.revoked;
            }
            by_issuer_and_schema.push(Count {
                issuer: issuer.clone(),
                schema: schema.clone(),
                issued: c.issued,
                revoked: c.revoked,
                active: c.issued.saturating_sub(c.revoked),
            });
        }
        let totals = |map: std::collections::BTreeMap<&str, (u64, u64)>| {
            map.into_iter()
                .map(|(name, (issued, revoked))| Total { name: name.into(), issued, revoked, active: issued.saturating_sub(revoked) })
                .collect()
        };
        Stats {
            height: view.tip.height,
            leaf_count: view.tip.leaf_count,
            by_issuer_and_schema,
            by_schema: totals(by_schema),
            by_issuer: totals(by_issuer),
        }
    }
}
