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

/// Checks a verifying key's shape: α, β, γ, δ and every input point must not
/// be the identity. (arkworks decodes any point with the infinity flag as
/// the identity; with γ or δ at infinity, `(α, β, O)` verifies for every
/// statement.)
pub fn check_verifying_key(vk: &ark_groth16::VerifyingKey<Bn254>) -> Result<(), String> {
    use ark_ec::AffineRepr;
    let named = [("alpha", vk.alpha_g1.is_zero()), ("beta", vk.beta_g2.is_zero()), ("gamma", vk.gamma_g2.is_zero()), ("delta", vk.delta_g2.is_zero())];
    if let Some((name, _)) = named.iter().find(|(_, zero)| *zero) {
        return Err(format!("{name} is the point at infinity"));
    }
    if let Some(i) = vk.gamma_abc_g1.iter().position(|p| p.is_zero()) {
        return Err(format!("input point {i} is the point at infinity"));
    }
    Ok(())
}

/// Refuses a key whose `delta` is `±gamma` (a snarkjs zkey with no phase-2
/// contribution): under it `(α, β, ∓PI(x))` verifies for every statement.
/// The ledger refuses to register such a key; the verifier refuses to load one.
pub fn check_phase2(vk: &ark_groth16::VerifyingKey<Bn254>) -> Result<(), String> {
    if vk.delta_g2 == vk.gamma_g2 || vk.delta_g2 == -vk.gamma_g2 {
        return Err("delta equals ±gamma (no phase-2 contribution): proofs can be forged under this key".into());
    }
    Ok(())
}

/// Decodes a verifying key strictly: every point valid (on the curve, in
/// the prime-order subgroup), the bytes exactly the canonical compressed
/// encoding (so one key has one encoding and one fingerprint), and
/// [`check_verifying_key`].
pub fn decode_verifying_key(bytes: &[u8]) -> Result<ark_groth16::VerifyingKey<Bn254>, String> {
    use ark_serialize::CanonicalDeserialize;
    let mut reader = bytes;
    let vk = ark_groth16::VerifyingKey::<Bn254>::deserialize_compressed(&mut reader).map_err(|e| e.to_string())?;
    if !reader.is_empty() {
        return Err("trailing bytes after the key".into());
    }
    let mut again = Vec::with_capacity(bytes.len());
    vk.serialize_compressed(&mut again).map_err(|e| e.to_string())?;
    if again != bytes {
        return Err("not the canonical encoding of the key".into());
    }
    check_verifying_key(&vk)?;
    Ok(vk)
}
