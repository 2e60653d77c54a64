//! Fingerprints of keys: SHA-256 of the canonical compressed encoding.

use ark_serialize::CanonicalSerialize;
use sha2::{Digest, Sha256};

/// SHA-256 of `x`'s canonical compressed bytes (the verifying-key fingerprint
/// registered on the ledger and checked by every verifier).
pub fn fingerprint<T: CanonicalSerialize>(x: &T) -> [u8; 32] {
    let mut bytes = Vec::with_capacity(x.compressed_size());
    x.serialize_compressed(&mut bytes)
        .unwrap_or_else(|e| unreachable!("serialising into a Vec cannot fail: {e}"));
    Sha256::digest(&bytes).into()
}
