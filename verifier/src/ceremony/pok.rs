//! The proof of knowledge of a contribution's secret, as snarkjs makes and
//! checks it (Bowe–Gabizon–Miers 2017, §5).
//!
//! A contributor with secret `x` publishes `g1_s` (a random G1 point),
//! `g1_sx = x·g1_s`, and `g2_spx = x·g2_sp`, where `g2_sp` is a G2 point
//! derived from the transcript hash: the BLAKE2b-512 of the circuit hash,
//! every earlier contribution's public key, `g1_s` and `g1_sx`. Anyone
//! checks `e(g1_s, g2_spx) = e(g1_sx, g2_sp)`. Because `g2_sp` depends on
//! everything before it, a contribution cannot be replayed elsewhere in
//! the chain.
//!
//! `g2_sp` must be derived bit for bit as snarkjs does, or snarkjs would
//! reject our transcripts: the first 32 bytes of the hash seed a ChaCha20
//! stream (eight big-endian words as the key, zero counter and nonce);
//! ffjavascript draws `x ∈ Fq2` (each limb from two words, high word first,
//! masked to 254 bits, redrawn if not below `q`, and read as a Montgomery
//! representation), a sign bit, retries until `x³ + b'` is a square, picks
//! the root whose sign is the bit, and multiplies by the G2 cofactor as an
//! integer. The known-answer test below pins it against snarkjs 0.7.6.

use ark_bn254::{g2, Fq, Fq2, G2Affine, G2Projective};
use ark_ec::short_weierstrass::SWCurveConfig;
use ark_ec::{AdditiveGroup, CurveConfig, CurveGroup};
use ark_ff::{BigInt, Field, PrimeField, Zero};
use blake2::{Blake2b512, Digest};
use rand::RngCore;
use rand::SeedableRng;
use rand_chacha::ChaCha20Rng;

use super::points::{g1_uncompressed, g2_uncompressed};
use super::zkey::Contribution;

/// ChaCha20 as ffjavascript's `ChaCha`: words in keystream order, `u64`
/// as high word then low word.
struct JsChaCha(ChaCha20Rng);

impl JsChaCha {
    fn from_hash(hash: &[u8; 64]) -> Self {
        let mut key = [0u8; 32];
        for (i, word) in hash[..32].chunks_exact(4).enumerate() {
            let w = u32::from_be_bytes(word.try_into().unwrap_or_else(|_| unreachable!("four bytes")));
            key[i * 4..i * 4 + 4].copy_from_slice(&w.to_le_bytes());
        }
        JsChaCha(ChaCha20Rng::from_seed(key))
    }

    fn u32(&mut self) -> u32 {
        self.0.next_u32()
    }

    fn u64(&mut self) -> u64 {
        let hi = self.u32() as u64;
        let lo = self.u32() as u64;
        (hi << 32) | lo
    }

    /// ffjavascript's `F1Field.fromRng` on the wasm field: a uniform value
    /// below `q` taken as the Montgomery representation.
    fn fq(&mut self) -> Fq {
        loop {
            let mut l = [0u64; 4];
            for limb in &mut l {
                *limb = self.u64();
            }
            l[3] &= (1u64 << 62) - 1; // 254 bits, the bit length of q
            let big = BigInt(l);
            if big < Fq::MODULUS {
                return Fq::new_unchecked(big);
            }
        }
    }
}

/// ffjavascript's sign of a base-field element: above `(q - 1) / 2`.
fn is_negative_fq(x: &Fq) -> bool {
    x.into_bigint() > Fq::MODULUS_MINUS_ONE_DIV_TWO
}

/// ffjavascript's sign of an `Fq2` element: the sign of `c1`, or of `c0` if `c1 = 0`.
fn is_negative_fq2(x: &Fq2) -> bool {
    if x.c1.is_zero() {
        is_negative_fq(&x.c0)
    } else {
        is_negative_fq(&x.c1)
    }
}

/// `k·p` by double-and-add, valid for any point of the twist (arkworks'
/// scalar multiplication may use an endomorphism that holds only in the
/// prime-order subgroup, and `p` is not in it yet).
fn mul_plain(p: &G2Affine, k: &[u64]) -> G2Projective {
    let mut acc = G2Projective::zero();
    for limb in k.iter().rev() {
        for bit in (0..64).rev() {
            acc.double_in_place();
            if (limb >> bit) & 1 == 1 {
                acc += p;
            }
        }
    }
    acc
}

/// snarkjs's `hashToG2`: the G2 point a transcript hash commits to.
pub(crate) fn hash_to_g2(hash: &[u8; 64]) -> G2Affine {
    let mut rng = JsChaCha::from_hash(hash);
    let (x, y) = loop {
        let x = Fq2::new(rng.fq(), rng.fq());
        let greatest = rng.u32() & 1 == 1;
        let rhs = x.square() * x + g2::Config::COEFF_B;
        if let Some(mut y) = rhs.sqrt() {
            if is_negative_fq2(&y) != greatest {
                y = -y;
            }
            break (x, y);
        }
    };
    mul_plain(&G2Affine::new_unchecked(x, y), g2::Config::COFACTOR).into_affine()
}

/// The bytes snarkjs's `hashPubKey` hashes for a contribution:
/// `deltaAfter ‖ g1_s ‖ g1_sx ‖ g2_spx ‖ transcript`, points uncompressed.
pub(crate) fn public_key_bytes(c: &Contribution) -> Vec<u8> {
    let mut out = Vec::with_capacity(64 * 3 + 128 + 64);
    for p in [&c.delta_after, &c.g1_s, &c.g1_sx] {
        out.extend_from_slice(&g1_uncompressed(p));
    }
    out.extend_from_slice(&g2_uncompressed(&c.g2_spx));
    out.extend_from_slice(&c.transcript);
    out
}

/// The transcript hasher after the circuit hash and `previous` contributions.
pub(crate) fn transcript_before(cs_hash: &[u8; 64], previous: &[Contribution]) -> Blake2b512 {
    let mut h = Blake2b512::new();
    h.update(cs_hash);
    for c in previous {
        h.update(public_key_bytes(c));
    }
    h
}

/// The transcript hash of a contribution with public key `g1_s`, `g1_sx`
/// after `before`.
pub(crate) fn transcript_hash(mut before: Blake2b512, g1_s: &ark_bn254::G1Affine, g1_sx: &ark_bn254::G1Affine) -> [u8; 64] {
    before.update(g1_uncompressed(g1_s));
    before.update(g1_uncompressed(g1_sx));
    before.finalize().into()
}

/// The hash a contributor publishes: BLAKE2b-512 of its public key
/// (what snarkjs prints as "Contribution Hash").
pub(crate) fn contribution_hash(c: &Contribution) -> [u8; 64] {
    Blake2b512::digest(public_key_bytes(c)).into()
}

#[cfg(test)]
mod tests {
    use super::*;
    use ark_ec::AffineRepr;

    /// snarkjs 0.7.6 / ffjavascript 0.3.1:
    /// `hashToG2(curve, blake2b("zkreg hash_to_g2 known answer", {dkLen: 64}))`, affine.
    #[test]
    fn hash_to_g2_matches_snarkjs() {
        let hash: [u8; 64] = Blake2b512::digest(b"zkreg hash_to_g2 known answer").into();
        assert_eq!(
            hex::encode(hash),
            "5a7b1ffd47b9c67b61cda2ce542b44402d6a1ca1435e4c9537fba15d48baafae5819114e5bd2d26e82646496b631c1c3884445defe7c7ae8619faa2741d17ea9"
        );
        let p = hash_to_g2(&hash);
        let (x, y) = p.xy().unwrap();
        let dec = |f: &Fq| f.into_bigint().to_string();
        assert_eq!(dec(&x.c0), "16268638845058050611503896505962875657317634473837568125316981776622733127167");
        assert_eq!(dec(&x.c1), "3311706169311652055054906511701512574612357693363369011888772192296080501501");
        assert_eq!(dec(&y.c0), "9408404994577685061226386050221062937241994421535445239349434083110651512036");
        assert_eq!(dec(&y.c1), "18913497174985565477012900681655186845527859300461611612459065812010226325835");
        assert!(p.is_in_correct_subgroup_assuming_on_curve());
        assert_eq!(
            hex::encode(g2_uncompressed(&p)),
            "07525bf8ecbfdcc2fe37fbdbd0479c2395861a6914c0f8a150aa25adceebeafd23f7b928ac8c54d5616134855a1872a2ac944834a28537c8ed77dc47525a6dff29d0a8f8864fdfbf0f438a7b1f1be2a1956d3e6419acfdc33c6d2128154a994b14ccf7f0bd8ea89fb04ea62072046d443308ea9398d0477de9b322e90d1544e4"
        );
        // Another hash, another point.
        let mut other = hash;
        other[0] ^= 1;
        assert_ne!(hash_to_g2(&other), p);
    }
}
