//! Block headers, block bodies and the transactions' Merkle root.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::tx::{encode, Hash, SignedTransaction};

/// Domain separator of header hashes.
pub use zkreg_circuits::constants::HEADER_DOMAIN;

/// A block header; every replica computes the same one for the same proposal.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BlockHeader {
    /// Height (genesis is 0).
    pub height: u64,
    /// Hash of the previous header (zero for genesis).
    pub prev_hash: Hash,
    /// Merkle root of the block's transaction ids (the genesis hash for block 0).
    pub tx_root: Hash,
    /// Commitment-tree root after the block.
    pub tree_root: [u8; 32],
    /// Leaves in the tree after the block.
    pub leaf_count: u64,
    /// Unix time (seconds) the sequencer gave the block.
    pub time: u64,
}

impl BlockHeader {
    /// `SHA-256(HEADER_DOMAIN ‖ encode(header))`.
    pub fn hash(&self) -> Hash {
        Sha256::new().chain_update(HEADER_DOMAIN).chain_update(encode(self)).finalize().into()
    }
}

/// What the sequencer proposes: the next height, a time and transactions in order.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BlockProposal {
    /// The height this proposal is for.
    pub height: u64,
    /// Unix time (seconds).
    pub time: u64,
    /// Transactions in order.
    pub txs: Vec<SignedTransaction>,
}

/// Binary SHA-256 Merkle root of transaction ids (leaf and node hashes are
/// domain-separated; an odd node is paired with itself; empty is all zeros).
pub fn tx_root(ids: &[Hash]) -> Hash {
    if ids.is_empty() {
        return [0u8; 32];
    }
    let mut level: Vec<Hash> =
        ids.iter().map(|id| Sha256::new().chain_update([0u8]).chain_update(id).finalize().into()).collect();
    while level.len() > 1 {
        level = level
            .chunks(2)
            .map(|pair| {
                let right = pair.get(1).unwrap_or(&pair[0]);
                Sha256::new().chain_update([1u8]).chain_update(pair[0]).chain_update(right).finalize().into()
            })
            .collect();
    }
    level[0]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tx_root_depends_on_every_id_and_their_order() {
        let ids: Vec<Hash> = (0u8..5).map(|i| [i; 32]).collect();
        let root = tx_root(&ids);
        let mut swapped = ids.clone();
        swapped.swap(1, 2);
        assert_ne!(tx_root(&swapped), root);
        assert_ne!(tx_root(&ids[..4]), root);
        assert_eq!(tx_root(&[]), [0u8; 32]);
        assert_ne!(tx_root(&ids[..1]), ids[0], "leaves are hashed with a domain byte");
    }
}
