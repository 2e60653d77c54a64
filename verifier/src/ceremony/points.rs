//! How the snarkjs binary files write field elements and points.
//!
//! * Points in `.ptau` and `.zkey` sections: affine, each coordinate in
//!   **Montgomery form, little-endian** (32 bytes per base-field element;
//!   a G2 coordinate is `c0 ‖ c1`). The point at infinity is all zeros.
//!   arkworks keeps BN254 elements in the same Montgomery form (`R = 2^256`),
//!   so a coordinate's bytes are its limbs.
//! * Points hashed into transcripts: "uncompressed", each coordinate in
//!   **standard form, big-endian**; a G2 coordinate is `c1 ‖ c0` (the
//!   64-byte little-endian `c0 ‖ c1` reversed). Infinity is all zeros.
//! * Scalars in `.r1cs` and `.wtns`: standard form, little-endian.
//!
//! Decoding checks that every coordinate is below the modulus and every
//! point is on its curve and in the prime-order subgroup.

use ark_bn254::{Fq, Fq2, Fr, G1Affine, G2Affine};
use ark_ec::AffineRepr;
use ark_ff::{BigInt, BigInteger, PrimeField, Zero};
use rayon::prelude::*;

use super::error::FormatError;

/// Bytes of a G1 point in a section.
pub(crate) const G1_BYTES: usize = 64;
/// Bytes of a G2 point in a section.
pub(crate) const G2_BYTES: usize = 128;
/// Bytes of a field element.
pub(crate) const FIELD_BYTES: usize = 32;

fn limbs(bytes: &[u8]) -> BigInt<4> {
    let mut l = [0u64; 4];
    for (i, chunk) in bytes.chunks_exact(8).take(4).enumerate() {
        l[i] = u64::from_le_bytes(chunk.try_into().unwrap_or_else(|_| unreachable!("eight bytes")));
    }
    BigInt(l)
}

/// A base-field element from its Montgomery little-endian bytes.
pub(crate) fn fq_from_mont(bytes: &[u8], what: &dyn Fn() -> String) -> Result<Fq, FormatError> {
    let big = limbs(bytes);
    if big >= Fq::MODULUS {
        return Err(FormatError::NonCanonical { what: what() });
    }
    Ok(Fq::new_unchecked(big))
}

fn put_fq_mont(x: &Fq, out: &mut Vec<u8>) {
    for l in x.0 .0 {
        out.extend_from_slice(&l.to_le_bytes());
    }
}

/// A scalar from its standard little-endian bytes, refusing values `>= r`.
pub(crate) fn fr_from_le(bytes: &[u8], what: &dyn Fn() -> String) -> Result<Fr, FormatError> {
    let big = limbs(bytes);
    Fr::from_bigint(big).ok_or_else(|| FormatError::NonCanonical { what: what() })
}

/// A scalar's standard little-endian bytes.
pub(crate) fn put_fr_le(x: &Fr, out: &mut Vec<u8>) {
    out.extend_from_slice(&x.into_bigint().to_bytes_le());
}

/// A G1 point from a section's 64 bytes.
pub(crate) fn g1_from_lem(bytes: &[u8], what: &dyn Fn() -> String) -> Result<G1Affine, FormatError> {
    if bytes.iter().all(|b| *b == 0) {
        return Ok(G1Affine::zero());
    }
    let x = fq_from_mont(&bytes[..32], what)?;
    let y = fq_from_mont(&bytes[32..64], what)?;
    let p = G1Affine::new_unchecked(x, y);
    if !p.is_on_curve() {
        return Err(FormatError::NotOnCurve { what: what() });
    }
    // G1 of BN254 has cofactor one: on the curve is in the subgroup.
    Ok(p)
}

/// A G2 point from a section's 128 bytes.
pub(crate) fn g2_from_lem(bytes: &[u8], what: &dyn Fn() -> String) -> Result<G2Affine, FormatError> {
    if bytes.iter().all(|b| *b == 0) {
        return Ok(G2Affine::zero());
    }
    let f = |at: usize| fq_from_mont(&bytes[at..at + 32], what);
    let p = G2Affine::new_unchecked(Fq2::new(f(0)?, f(32)?), Fq2::new(f(64)?, f(96)?));
    if !p.is_on_curve() {
        return Err(FormatError::NotOnCurve { what: what() });
    }
    if !p.is_in_correct_subgroup_assuming_on_curve() {
        return Err(FormatError::NotInSubgroup { what: what() });
    }
    Ok(p)
}

/// Appends a G1 point in section form.
pub(crate) fn put_g1(p: &G1Affine, out: &mut Vec<u8>) {
    match p.xy() {
        Some((x, y)) => {
            put_fq_mont(&x, out);
            put_fq_mont(&y, out);
        }
        None => out.extend_from_slice(&[0u8; G1_BYTES]),
    }
}

/// Appends a G2 point in section form.
pub(crate) fn put_g2(p: &G2Affine, out: &mut Vec<u8>) {
    match p.xy() {
        Some((x, y)) => {
            for c in [x.c0, x.c1, y.c0, y.c1] {
                put_fq_mont(&c, out);
            }
        }
        None => out.extend_from_slice(&[0u8; G2_BYTES]),
    }
}

fn fq_be(x: &Fq) -> Vec<u8> {
    x.into_bigint().to_bytes_be()
}

/// The uncompressed form snarkjs hashes: `x ‖ y`, big-endian.
pub(crate) fn g1_uncompressed(p: &G1Affine) -> [u8; G1_BYTES] {
    let mut out = [0u8; G1_BYTES];
    if let Some((x, y)) = p.xy() {
        out[..32].copy_from_slice(&fq_be(&x));
        out[32..].copy_from_slice(&fq_be(&y));
    }
    out
}

/// The uncompressed form snarkjs hashes: `x.c1 ‖ x.c0 ‖ y.c1 ‖ y.c0`, big-endian.
pub(crate) fn g2_uncompressed(p: &G2Affine) -> [u8; G2_BYTES] {
    let mut out = [0u8; G2_BYTES];
    if let Some((x, y)) = p.xy() {
        for (i, c) in [x.c1, x.c0, y.c1, y.c0].iter().enumerate() {
            out[i * 32..(i + 1) * 32].copy_from_slice(&fq_be(c));
        }
    }
    out
}

/// Decodes a run of G1 points (in parallel: the checks dominate).
pub(crate) fn g1_points(bytes: &[u8], section: u32) -> Result<Vec<G1Affine>, FormatError> {
    if bytes.len() % G1_BYTES != 0 {
        return Err(FormatError::truncated(format!("a point of section {section}")));
    }
    bytes
        .par_chunks_exact(G1_BYTES)
        .enumerate()
        .map(|(i, b)| g1_from_lem(b, &|| format!("section {section}, point {i}")))
        .collect()
}

/// Decodes a run of G2 points.
pub(crate) fn g2_points(bytes: &[u8], section: u32) -> Result<Vec<G2Affine>, FormatError> {
    if bytes.len() % G2_BYTES != 0 {
        return Err(FormatError::truncated(format!("a point of section {section}")));
    }
    bytes
        .par_chunks_exact(G2_BYTES)
        .enumerate()
        .map(|(i, b)| g2_from_lem(b, &|| format!("section {section}, point {i}")))
        .collect()
}

/// Section bytes of a run of G1 points.
pub(crate) fn put_g1s(points: &[G1Affine]) -> Vec<u8> {
    let mut out = Vec::with_capacity(points.len() * G1_BYTES);
    points.iter().for_each(|p| put_g1(p, &mut out));
    out
}

/// Section bytes of a run of G2 points.
pub(crate) fn put_g2s(points: &[G2Affine]) -> Vec<u8> {
    let mut out = Vec::with_capacity(points.len() * G2_BYTES);
    points.iter().for_each(|p| put_g2(p, &mut out));
    out
}

/// Whether `e(a1, b2) = e(b1, a2)`: `b1 / a1` in G1 is `b2 / a2` in G2.
/// False if any point is the identity (as snarkjs's `sameRatio`).
pub(crate) fn same_ratio(a1: &G1Affine, b1: &G1Affine, a2: &G2Affine, b2: &G2Affine) -> bool {
    use ark_ec::pairing::Pairing;
    if a1.is_zero() || b1.is_zero() || a2.is_zero() || b2.is_zero() {
        return false;
    }
    let lhs = ark_bn254::Bn254::multi_pairing([*a1, -*b1], [*b2, *a2]);
    lhs.is_zero()
}

#[cfg(test)]
mod tests {
    use super::*;
    use ark_ec::CurveGroup;
    use ark_ff::UniformRand;
    use rand::SeedableRng;

    #[test]
    fn points_round_trip_and_bad_points_are_refused() {
        let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(1);
        let p1 = (G1Affine::generator() * Fr::rand(&mut rng)).into_affine();
        let p2 = (G2Affine::generator() * Fr::rand(&mut rng)).into_affine();
        let mut b = Vec::new();
        put_g1(&p1, &mut b);
        put_g1(&G1Affine::zero(), &mut b);
        assert_eq!(g1_points(&b, 5).unwrap(), vec![p1, G1Affine::zero()]);
        let mut b2 = Vec::new();
        put_g2(&p2, &mut b2);
        assert_eq!(g2_points(&b2, 7).unwrap(), vec![p2]);

        let mut off = b.clone();
        off[40] ^= 1;
        assert!(matches!(g1_points(&off, 5), Err(FormatError::NotOnCurve { .. })));
        let mut big = b.clone();
        big[24..32].copy_from_slice(&[0xff; 8]);
        assert!(matches!(g1_points(&big, 5), Err(FormatError::NonCanonical { .. })));
        assert!(matches!(g1_points(&b[..63], 5), Err(FormatError::Truncated { .. })));
    }

    #[test]
    fn uncompressed_form_matches_snarkjs() {
        // ffjavascript: curve.G1.toUncompressed(curve.G1.g)
        let g = g1_uncompressed(&G1Affine::generator());
        assert_eq!(hex::encode(g), format!("{:064x}{:064x}", 1, 2));
        assert_eq!(g1_uncompressed(&G1Affine::zero()), [0u8; 64]);
    }

    #[test]
    fn same_ratio_accepts_equal_ratios_only() {
        let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(2);
        let x = Fr::rand(&mut rng);
        let (g1, g2) = (G1Affine::generator(), G2Affine::generator());
        let g1x = (g1 * x).into_affine();
        let g2x = (g2 * x).into_affine();
        assert!(same_ratio(&g1, &g1x, &g2, &g2x));
        assert!(!same_ratio(&g1, &g1x, &g2, &(g2 * (x + Fr::from(1u64))).into_affine()));
        assert!(!same_ratio(&G1Affine::zero(), &G1Affine::zero(), &g2, &g2x));
    }
}
