//! The replicated chain state on one node: the executor (applying), sled
//! storage, queries and `verify-chain`.
//!
//! Ordering is separate from applying: the mempool
//! ([`crate::mempool::Mempool::propose`]) cuts a [`BlockProposal`], and
//! [`Ledger::apply`] executes any proposal for the next height
//! deterministically and persists it. Replication puts consensus between the
//! two: the leader proposes, every replica applies.

use std::collections::HashSet;
use std::path::Path;

use ark_bn254::Fr;

use zkreg_circuits::constants::TREE_DEPTH;
use zkreg_circuits::field::{fr_from_bytes, fr_to_bytes};
use zkreg_circuits::tree::{position_digits, CommitmentTree, MerklePath};

use crate::block::{BlockHeader, BlockProposal};
use crate::error::{LedgerError, TxError};
use crate::genesis::Genesis;
use crate::state::{BlockEffects, CredentialRecord, Executor, Receipt, Registry};
use crate::store::Store;
use crate::tx::{Hash, SignedTransaction};

/// A block applied and flushed.
#[derive(Clone, Debug)]
pub struct AppliedBlock {
    /// Its header.
    pub header: BlockHeader,
    /// One receipt per transaction.
    pub receipts: Vec<Receipt>,
}

/// Where `verify-chain` found the chain inconsistent.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("block {height}: {reason}")]
pub struct ChainError {
    /// The first block that does not match.
    pub height: u64,
    /// What does not match.
    pub reason: String,
}

/// The ledger of one node.
pub struct Ledger {
    store: Store,
    genesis: Genesis,
    authorities: Vec<[u8; 32]>,
    registry: Registry,
    tree: CommitmentTree,
    tip: BlockHeader,
}

/// The genesis block's header.
fn genesis_header(genesis: &Genesis) -> BlockHeader {
    let tree = CommitmentTree::new();
    BlockHeader {
        height: 0,
        prev_hash: [0u8; 32],
        tx_root: genesis.hash(),
        tree_root: fr_to_bytes(&tree.root()),
        leaf_count: 0,
        time: genesis.time,
    }
}

impl Ledger {
    /// Opens the ledger in `dir`. A new directory needs `genesis`; an existing
    /// one must hold the same chain (if `genesis` is given).
    pub fn open(dir: &Path, genesis: Option<&Genesis>) -> Result<Self, LedgerError> {
        let store = Store::open(dir)?;
        store.check_format()?;
        let genesis = match (store.genesis()?, genesis) {
            (Some(stored), Some(given)) if stored != *given => {
                return Err(LedgerError::GenesisMismatch { found: stored.chain_id, expected: given.chain_id.clone() })
            }
            (Some(stored), _) => stored,
            (None, Some(given)) => {
                given.validate()?;
                let registry = Registry::from_genesis(given).map_err(LedgerError::Genesis)?;
                store.init(given, &genesis_header(given), &registry)?;
                given.clone()
            }
            (None, None) => return Err(LedgerError::Genesis("a new data directory needs a genesis file".into())),
        };
        Self::load(store, genesis)
    }

    /// The ledger over an initialised store of `genesis`' chain.
    fn load(store: Store, genesis: Genesis) -> Result<Self, LedgerError> {
        if !store.statistics_complete()? {
            let days = store.backfill_statistics()?;
            tracing::info!(days, "daily statistics rebuilt from the stored credentials");
        }
        let authorities = genesis.authority_keys().map_err(LedgerError::Genesis)?;
        let tip = store.tip()?;
        let registry = store.registry()?;
        let tree = CommitmentTree::from_levels(store.tree_levels()?)
            .map_err(|e| LedgerError::Corrupt { key: "tree".into(), reason: e.to_string() })?;
        if tree.len() != tip.leaf_count || fr_to_bytes(&tree.root()) != tip.tree_root {
            return Err(LedgerError::Corrupt { key: "tree".into(), reason: "stored tree does not match the tip header".into() });
        }
        Ok(Ledger { store, genesis, authorities, registry, tree, tip })
    }

    /// Replaces the whole chain state with `pairs` (a snapshot of another
    /// replica's chain keyspace, [`Store::export`]) and reloads. Refused,
    /// with nothing changed, if the snapshot is of another chain or does not
    /// open as a ledger.
    pub fn install(&mut self, pairs: &[(Vec<u8>, Vec<u8>)]) -> Result<(), LedgerError> {
        let genesis_json = pairs.iter().find(|(k, _)| k.as_slice() == b"G").map(|(_, v)| v.as_slice());
        let theirs: Genesis = genesis_json
            .ok_or_else(|| LedgerError::Genesis("the snapshot has no genesis".into()))
            .and_then(|j| serde_json::from_slice(j).map_err(|e| LedgerError::Genesis(e.to_string())))?;
        if theirs != self.genesis {
            return Err(LedgerError::GenesisMismatch { found: theirs.chain_id, expected: self.genesis.chain_id.clone() });
        }
        let before = self.store.export()?;
        self.store.replace_all(pairs)?;
        match Self::load(self.store.clone(), self.genesis.clone()) {
            Ok(fresh) => {
                *self = fresh;
                Ok(())
            }
            Err(e) => {
                self.store.replace_all(&before)?;
                Err(e)
            }
        }
    }

    /// The genesis.
    pub fn genesis(&self) -> &Genesis {
        &self.genesis
    }

    /// The latest header.
    pub fn tip(&self) -> &BlockHeader {
        &self.tip
    }

    /// The latest height.
    pub fn height(&self) -> u64 {
        self.tip.height
    }

    /// The registry after the tip.
    pub fn registry(&self) -> &Registry {
        &self.registry
    }

    /// The checks before a transaction may wait for a block: the stateless
    /// ones (encoding size, chain, keys, strict signatures), its nonce
    /// against committed state, and that it is not already in a block.
    /// Returns its id.
    pub fn check_admissible(&self, stx: &SignedTransaction) -> Result<Hash, TxError> {
        stx.check_signatures(&self.genesis.chain_id)?;
        let last = self.registry.nonces.get(&stx.tx.signer).copied().unwrap_or(0);
        if stx.tx.nonce <= last {
            return Err(TxError::StaleNonce { got: stx.tx.nonce, last });
        }
        let id = stx.tx.id();
        if self.store.tx_location(&id).ok().flatten().is_some() {
            return Err(TxError::Duplicate);
        }
        Ok(id)
    }

    /// Whether applied blocks update the daily statistics (always on in a
    /// node; off only to measure their cost, `zkreg bench ledger`).
    pub fn set_statistics(&mut self, on: bool) {
        self.store.set_statistics(on);
    }

    /// Executes `proposal` and persists it (one atomic batch, flushed).
    /// Returns only once the block is durable.
    pub fn apply(&mut self, proposal: &BlockProposal) -> Result<AppliedBlock, LedgerError> {
        self.apply_with(proposal, &[])
    }

    /// [`Ledger::apply`], writing `extra` keys in the block's batch (the
    /// Raft state machine's applied marker, so that a block and the log
    /// entry it came from are on disk together or not at all).
    pub fn apply_with(&mut self, proposal: &BlockProposal, extra: &[(&[u8], Vec<u8>)]) -> Result<AppliedBlock, LedgerError> {
        if proposal.height != self.tip.height + 1 {
            return Err(LedgerError::WrongHeight { got: proposal.height, expected: self.tip.height + 1 });
        }
        if proposal.time < self.tip.time {
            return Err(LedgerError::TimeRegression { got: proposal.time, tip: self.tip.time });
        }
        let executor = Executor { genesis: &self.genesis, authorities: &self.authorities };
        let effects = executor.execute(proposal, &self.tip, &self.registry, &mut self.tree, &self.store);
        if let Err(e) = self.store.commit(&proposal.txs, &effects, extra, self.genesis.root_window) {
            // Nothing was acknowledged: rebuild the in-memory tree from disk.
            self.tree = CommitmentTree::from_levels(self.store.tree_levels()?)
                .map_err(|t| LedgerError::Corrupt { key: "tree".into(), reason: t.to_string() })?;
            return Err(e);
        }
        let BlockEffects { header, receipts, registry, .. } = effects;
        self.registry = registry;
        self.tip = header.clone();
        Ok(AppliedBlock { header, receipts })
    }

    /// The records to store for `attestations`: each one whose node is in
    /// the genesis' consortium, whose header is applied, and whose signature
    /// verifies (others are dropped, on every replica alike).
    pub fn attestation_records(&self, attestations: &[crate::attest::Attestation]) -> Result<Vec<(Vec<u8>, Vec<u8>)>, LedgerError> {
        let keys = self.genesis.consortium_keys().map_err(LedgerError::Genesis)?;
        let mut out = Vec::new();
        for a in attestations {
            let Some(key) = keys.get(&a.node_id) else { continue };
            let Some(header) = self.store.header(a.height)? else { continue };
            if crate::attest::verify(key, &header, &a.signature) {
                out.push((Store::header_signature_key(a.height, a.node_id), a.signature.clone()));
            }
        }
        Ok(out)
    }

    /// The consortium's signatures of the header at `height`, by node id.
    pub fn header_signatures(&self, height: u64) -> Result<Vec<(u64, Vec<u8>)>, LedgerError> {
        self.store.header_signatures(height)
    }

    /// The header at `height`.
    pub fn header(&self, height: u64) -> Result<Option<BlockHeader>, LedgerError> {
        self.store.header(height)
    }

    /// The header with hash `hash` (a scan back from the tip).
    pub fn header_by_hash(&self, hash: &Hash) -> Result<Option<BlockHeader>, LedgerError> {
        let mut h = self.tip.clone();
        loop {
            if h.hash() == *hash {
                return Ok(Some(h));
            }
            if h.height == 0 {
                return Ok(None);
            }
            h = self.store.header(h.height - 1)?.ok_or_else(|| LedgerError::NotFound(format!("header {}", h.height - 1)))?;
        }
    }

    /// The transactions of block `height`.
    pub fn block_txs(&self, height: u64) -> Result<Option<Vec<SignedTransaction>>, LedgerError> {
        self.store.block_txs(height)
    }

    /// A transaction's receipt, once its block is applied.
    pub fn receipt(&self, id: &Hash) -> Result<Option<Receipt>, LedgerError> {
        self.store.receipt(id)
    }

    /// A credential's status by commitment.
    pub fn credential(&self, commitment: &[u8; 32]) -> Result<Option<CredentialRecord>, LedgerError> {
        self.store.credential(commitment)
    }

    /// The audit transactions `signer` made, in ledger order: `(height, kind, subject hash)`.
    pub fn audit_events(&self, signer: &[u8; 32]) -> Result<Vec<(u64, String, [u8; 32])>, LedgerError> {
        self.store.audit_events(signer)
    }

    /// Whether a private-record hash is anchored, and at which height.
    pub fn anchor(&self, record_hash: &[u8; 32]) -> Result<Option<u64>, LedgerError> {
        self.store.anchor(record_hash)
    }

    /// The current commitment-tree root.
    pub fn root(&self) -> Fr {
        self.tree.root()
    }

    /// `(height, root)` of the accepted window: the last `root_window` blocks.
    pub fn root_window(&self) -> Result<Vec<(u64, Fr)>, LedgerError> {
        let first = self.tip.height.saturating_sub(self.genesis.root_window - 1);
        let mut out = Vec::new();
        for h in first..=self.tip.height {
            if let Some(bytes) = self.store.root_at(h)? {
                let root = fr_from_bytes(&bytes).map_err(|e| LedgerError::Corrupt { key: format!("root {h}"), reason: e.to_string() })?;
                out.push((h, root));
            }
        }
        Ok(out)
    }

    /// Whether `root` is the root after one of the last `root_window` blocks.
    pub fn root_in_window(&self, root: &Fr) -> Result<bool, LedgerError> {
        Ok(self.root_window()?.iter().any(|(_, r)| r == root))
    }

    /// The Merkle path of `leaf_index` under the current root.
    pub fn path(&self, leaf_index: u64) -> Result<MerklePath, LedgerError> {
        self.tree.path(leaf_index).map_err(|e| LedgerError::NotFound(e.to_string()))
    }

    /// The Merkle path of `leaf_index` under the root after block `height`
    /// (which must be within the window).
    pub fn path_at(&self, leaf_index: u64, height: u64) -> Result<(MerklePath, Fr), LedgerError> {
        if height > self.tip.height || height + self.genesis.root_window <= self.tip.height {
            return Err(LedgerError::NotFound(format!("height {height} is outside the root window")));
        }
        let header = self.store.header(height)?.ok_or_else(|| LedgerError::NotFound(format!("header {height}")))?;
        if leaf_index >= header.leaf_count {
            return Err(LedgerError::NotFound(format!("leaf {leaf_index} at height {height}")));
        }
        let mut siblings = Vec::with_capacity(TREE_DEPTH);
        let mut pos = leaf_index;
        for (level, digit) in position_digits(leaf_index).into_iter().enumerate() {
            let base = pos & !3;
            let mut sib = [Fr::from(0u64); 3];
            let mut k = 0;
            for i in 0..4u64 {
                if i != digit as u64 {
                    sib[k] = self.store.node_at(level, base + i, height)?;
                    k += 1;
                }
            }
            siblings.push(sib);
            pos >>= 2;
        }
        let root = fr_from_bytes(&header.tree_root).map_err(|e| LedgerError::Corrupt { key: "root".into(), reason: e.to_string() })?;
        Ok((MerklePath { leaf_index, siblings }, root))
    }

    /// The nodes of the bucket subtree of `height_levels` levels that holds
    /// `leaf_index`, under the current root: every written node of levels
    /// `0..height_levels` under it, plus the path above it. Asking for a
    /// bucket tells the node only which bucket, not which leaf.
    pub fn bucket(&self, leaf_index: u64, levels: usize) -> Result<Bucket, LedgerError> {
        if levels == 0 || levels > TREE_DEPTH {
            return Err(LedgerError::NotFound(format!("bucket height {levels}")));
        }
        if leaf_index >= self.tree.len() {
            return Err(LedgerError::NotFound(format!("leaf {leaf_index}")));
        }
        let width = 1u64 << (2 * levels);
        let first = leaf_index / width * width;
        let nodes = (0..levels)
            .map(|level| {
                let (lo, n) = (first >> (2 * level), width >> (2 * level));
                let written = self.tree.level(level);
                written.iter().skip(lo as usize).take(n as usize).copied().collect()
            })
            .collect();
        let upper = self.tree.path(first).map_err(|e| LedgerError::NotFound(e.to_string()))?.siblings[levels..].to_vec();
        Ok(Bucket { first_leaf: first, levels, nodes, upper_siblings: upper, root: self.tree.root() })
    }

    /// Bytes the database occupies on disk.
    pub fn size_on_disk(&self) -> Result<u64, LedgerError> {
        self.store.size_on_disk()
    }

    /// The store: a clone reads committed blocks, receipts and credentials
    /// without holding the ledger.
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// Replays the chain from genesis and checks every header link, every
    /// transaction root (which covers signatures), every tree root and leaf
    /// count, every stored tree node, every receipt, every credential record
    /// and the registry; reports the first block that does not match.
    pub fn verify_chain(&self) -> Result<u64, ChainError> {
        let fail = |height: u64, reason: String| ChainError { height, reason };
        let storage = |height: u64| move |e: LedgerError| ChainError { height, reason: e.to_string() };
        let genesis_hdr = self.store.header(0).map_err(storage(0))?.ok_or_else(|| fail(0, "missing".into()))?;
        if genesis_hdr != genesis_header(&self.genesis) {
            return Err(fail(0, "genesis header does not match the genesis".into()));
        }
        let mut registry = Registry::from_genesis(&self.genesis).map_err(|e| fail(0, e))?;
        let mut tree = CommitmentTree::new();
        let mut replay = Replay::default();
        let mut prev = genesis_hdr;
        // Every stored node version must be one the replay wrote.
        let mut stored_nodes = std::collections::BTreeMap::<(u64, usize, u64), sled::IVec>::new();
        for v in self.store.node_versions() {
            let (level, index, height, value) = v.map_err(storage(0))?;
            stored_nodes.insert((height, level, index), value);
        }
        // The versions the replay says must be stored, newest first, with
        // the same pruning as the commits.
        let mut expected = std::collections::BTreeMap::<(usize, u64), Vec<(u64, Fr)>>::new();
        // Every version the replay wrote, pruned or not: a directory written
        // before versions were pruned keeps them, and that is no tampering.
        let mut written = std::collections::BTreeMap::<(u64, usize, u64), Fr>::new();
        let executor = Executor { genesis: &self.genesis, authorities: &self.authorities };
        for height in 1..=self.tip.height {
            let header = self.store.header(height).map_err(storage(height))?.ok_or_else(|| fail(height, "header missing".into()))?;
            let txs = self.store.block_txs(height).map_err(storage(height))?.ok_or_else(|| fail(height, "block missing".into()))?;
            if header.height != height || header.prev_hash != prev.hash() {
                return Err(fail(height, "header does not link to the previous header".into()));
            }
            if header.time < prev.time {
                return Err(fail(height, "block time goes backwards".into()));
            }
            let proposal = BlockProposal { height, time: header.time, txs };
            let effects = executor.execute(&proposal, &prev, &registry, &mut tree, &replay);
            if effects.header.tx_root != header.tx_root {
                return Err(fail(height, "transactions do not match the header's transaction root".into()));
            }
            if effects.header != header {
                return Err(fail(height, "replaying the block gives another header (tree root or leaf count)".into()));
            }
            for (level, index, value) in &effects.nodes {
                let versions = expected.entry((*level, *index)).or_default();
                let older: Vec<u64> = versions.iter().map(|(h, _)| *h).collect();
                let gone = crate::store::prunable_versions(height, &older, self.genesis.root_window);
                versions.retain(|(h, _)| !gone.contains(h));
                versions.insert(0, (height, *value));
                written.insert((height, *level, *index), *value);
            }
            for r in effects.receipts.iter().filter(|r| !r.is_duplicate()) {
                if self.store.receipt(&r.tx_id).map_err(storage(height))?.as_ref() != Some(r) {
                    return Err(fail(height, format!("stored receipt of transaction {} differs from the replay", r.tx_id[0])));
                }
                replay.ids.insert(r.tx_id);
            }
            replay.credentials.extend(effects.credentials);
            registry = effects.registry;
            prev = header;
        }
        // Every version the replay keeps is stored with its value, and nothing else is:
        // the first discrepancy, by height, is the tampered block.
        let mut discrepancies = Vec::new();
        for ((level, index), versions) in &expected {
            for (height, value) in versions {
                match stored_nodes.remove(&(*height, *level, *index)) {
                    Some(bytes) if bytes.as_ref() == fr_to_bytes(value) => {}
                    Some(_) => discrepancies.push((*height, format!("stored tree node ({level}, {index}) differs from the replay"))),
                    None => discrepancies.push((*height, format!("stored tree node ({level}, {index}) is missing"))),
                }
            }
        }
        for ((h, level, index), bytes) in &stored_nodes {
            match written.get(&(*h, *level, *index)) {
                Some(value) if bytes.as_ref() == fr_to_bytes(value) => {} // a version not yet pruned
                Some(_) => discrepancies.push((*h, format!("stored tree node ({level}, {index}) differs from the replay"))),
                None => discrepancies.push((*h, format!("stored tree node ({level}, {index}) was never written by this block"))),
            }
        }
        if let Some((h, reason)) = discrepancies.into_iter().min_by_key(|(h, _)| *h) {
            return Err(fail(h, reason));
        }
        if prev != self.tip {
            return Err(fail(self.tip.height, "tip does not match the replay".into()));
        }
        let mut stored_count = 0usize;
        for entry in self.store.credentials() {
            let (cm, stored) = entry.map_err(storage(self.tip.height))?;
            stored_count += 1;
            match replay.credentials.get(&cm) {
                Some(r) if *r == stored => {}
                Some(r) => return Err(fail(r.revoked_at.unwrap_or(r.issued_at), "stored credential record differs from the replay".into())),
                None => return Err(fail(stored.issued_at, "stored credential record was never issued".into())),
            }
        }
        if stored_count != replay.credentials.len() {
            return Err(fail(self.tip.height, "credential records are missing from the store".into()));
        }
        if self.store.registry().map_err(storage(self.tip.height))? != registry {
            return Err(fail(self.tip.height, "stored registry differs from the replay".into()));
        }
        Ok(self.tip.height)
    }
}

/// Committed state rebuilt in memory by `verify-chain`'s replay.
#[derive(Default)]
struct Replay {
    credentials: std::collections::HashMap<[u8; 32], CredentialRecord>,
    ids: HashSet<Hash>,
}

impl crate::state::Committed for Replay {
    fn credential(&self, commitment: &[u8; 32]) -> Option<CredentialRecord> {
        self.credentials.get(commitment).cloned()
    }
    fn included(&self, id: &Hash) -> bool {
        self.ids.contains(id)
    }
}

mod bucket;
pub use bucket::{Bucket, BucketError};
