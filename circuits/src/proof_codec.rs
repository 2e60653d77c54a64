//! The wire encoding of a Groth16 proof: compressed `A ‖ B ‖ C`, 128 bytes.
//! Decoding (which must validate every point) lives with the verifier.

use ark_bn254::Bn254;
use ark_groth16::Proof;
use ark_serialize::CanonicalSerialize;

/// Size of a compressed proof: `A` (32) ‖ `B` (64) ‖ `C` (32).
pub const PROOF_BYTES: usize = 128;

/// The compressed 128-byte encoding of a proof.
pub fn encode_proof(proof: &Proof<Bn254>) -> [u8; PROOF_BYTES] {
    let mut out = Vec::with_capacity(PROOF_BYTES);
    proof.serialize_compressed(&mut out).unwrap_or_else(|e| unreachable!("in-memory write: {e}"));
    out.try_into().unwrap_or_else(|_| unreachable!("a BN254 proof compresses to 128 bytes"))
}

/// Hex of [`encode_proof`], as carried in presentations.
pub fn encode_proof_hex(proof: &Proof<Bn254>) -> String {
    hex::encode(encode_proof(proof))
}
