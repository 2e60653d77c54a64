//! Signed headers: each node of the consortium signs the header of every
//! block it applies, `ed25519(HEADER_SIGNATURE_DOMAIN ‖ header hash)`, and
//! the signatures travel in the Raft log (in the batch after the block), so
//! every replica checks and stores the same ones. A wallet accepts a root
//! only when a majority of the genesis' consortium signed the header that
//! holds it: no single node can hand a holder a root of its own, or tag
//! holders with roots nobody else has.

use ed25519_dalek::{Signature, Signer, SigningKey, VerifyingKey};
use serde::{Deserialize, Serialize};

use crate::block::BlockHeader;
pub use zkreg_circuits::constants::HEADER_SIGNATURE_DOMAIN;

/// One node's signature of the header at `height`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attestation {
    /// The block's height.
    pub height: u64,
    /// The signing node's id (in the genesis' consortium).
    pub node_id: u64,
    /// The ed25519 signature, 64 bytes.
    pub signature: Vec<u8>,
}

/// What a node signs for `header`.
pub fn message(header: &BlockHeader) -> Vec<u8> {
    let mut m = HEADER_SIGNATURE_DOMAIN.to_vec();
    m.extend_from_slice(&header.hash());
    m
}

/// `node_id`'s attestation of `header`.
pub fn sign(key: &SigningKey, node_id: u64, header: &BlockHeader) -> Attestation {
    Attestation { height: header.height, node_id, signature: key.sign(&message(header)).to_bytes().to_vec() }
}

/// Whether `signature` is `key`'s signature of `header` (strict ed25519).
pub fn verify(key: &[u8; 32], header: &BlockHeader, signature: &[u8]) -> bool {
    let (Ok(key), Ok(sig)) = (VerifyingKey::from_bytes(key), Signature::from_slice(signature)) else { return false };
    key.verify_strict(&message(header), &sig).is_ok()
}

/// How many of `members` nodes make a majority.
pub fn majority(members: usize) -> usize {
    members / 2 + 1
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(height: u64) -> BlockHeader {
        BlockHeader { height, prev_hash: [1; 32], tx_root: [2; 32], tree_root: [3; 32], leaf_count: 4, time: 5 }
    }

    #[test]
    fn an_attestation_verifies_for_its_key_and_header_only() {
        let key = SigningKey::from_bytes(&[9; 32]);
        let other = SigningKey::from_bytes(&[8; 32]);
        let a = sign(&key, 1, &header(7));
        assert_eq!(a.height, 7);
        let pk = key.verifying_key().to_bytes();
        assert!(verify(&pk, &header(7), &a.signature));
        assert!(!verify(&other.verifying_key().to_bytes(), &header(7), &a.signature), "another node's key");
        assert!(!verify(&pk, &header(8), &a.signature), "another header");
        let mut bent = a.signature.clone();
        bent[0] ^= 1;
        assert!(!verify(&pk, &header(7), &bent), "an altered signature");
        assert!(!verify(&pk, &header(7), &a.signature[..63]), "a short signature");
        assert_eq!((majority(1), majority(2), majority(3), majority(4), majority(5)), (1, 2, 2, 3, 3));
    }
}
