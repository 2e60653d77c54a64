//! The snarkjs powers-of-tau format (`.ptau`, version 1), prepared for
//! phase 2: read for `init` and `verify`, and written for a development
//! ceremony.
//!
//! | section | content (for power `p`, `n = 2^p`) |
//! | --- | --- |
//! | 1 | `n8 = 32`, the base-field prime `q`, `p`, the ceremony's power |
//! | 2 | `τ^i·G1` for `i < 2n - 1` |
//! | 3 | `τ^i·G2` for `i < n` |
//! | 4, 5 | `α·τ^i·G1`, `β·τ^i·G1` for `i < n` |
//! | 6 | `β·G2` |
//! | 7 | phase-1 contributions (a dev file has none) |
//! | 12 | Lagrange form of section 2: for each level `k ≤ p + 1`, `L_j(τ)·G1` for the domain of `2^k` (at level `p + 1` from the `2n - 1` powers and a zero) |
//! | 13, 14, 15 | the same for sections 3, 4, 5, levels `k ≤ p` |
//!
//! Only the ranges `init` needs are read, so a large public phase 1 (the
//! perpetual powers of tau) is never loaded whole.

use std::io::{Read, Seek};

use ark_bn254::{Fq, Fr, G1Affine, G1Projective, G2Affine, G2Projective};
use ark_ec::scalar_mul::ScalarMul;
use ark_ec::PrimeGroup;
use ark_ff::{UniformRand, Zero};
use ark_poly::{EvaluationDomain, Radix2EvaluationDomain};
use rand::{CryptoRng, RngCore};
use zeroize::Zeroizing;

use super::binfile::{BinReader, BinWriter, Cursor};
use super::error::{CeremonyError, FormatError};
use super::points::{g1_points, g2_points, put_g1s, put_g2s, FIELD_BYTES, G1_BYTES, G2_BYTES};
use super::r1cs::modulus_le;

const MAGIC: &str = "ptau";
/// The largest power this reader accepts: BN254's FFT goes to 2^28.
pub const MAX_POWER: u32 = 27;

/// An open powers-of-tau file.
pub struct PtauFile<R> {
    file: BinReader<R>,
    power: u32,
}

/// `2^k` as a u64.
fn pow2(k: u32) -> u64 {
    1u64 << k
}

impl<R: Read + Seek> PtauFile<R> {
    /// Opens a prepared `.ptau`: checks the header and that every section
    /// phase 2 reads has exactly the size the power implies.
    pub fn open(reader: R) -> Result<Self, FormatError> {
        let mut file = BinReader::open(reader, MAGIC, 1)?;
        let header = file.read_section(1)?;
        let mut h = Cursor::new(&header, 1);
        if h.u32()? != FIELD_BYTES as u32 {
            return Err(FormatError::WrongCurve { what: "field element size" });
        }
        if h.take(FIELD_BYTES)? != modulus_le::<Fq>().as_slice() {
            return Err(FormatError::WrongCurve { what: "base field prime" });
        }
        let power = h.u32()?;
        let _ceremony_power = h.u32()?;
        h.finish()?;
        if power == 0 || power > MAX_POWER {
            return Err(FormatError::invalid(format!("ptau: power {power} is outside 1..={MAX_POWER}")));
        }
        let n = pow2(power);
        let (g1, g2) = (G1_BYTES as u64, G2_BYTES as u64);
        if !file.has(12) {
            return Err(FormatError::invalid("ptau: not prepared for phase 2 (no Lagrange sections); run `snarkjs powersoftau prepare phase2`"));
        }
        for (id, expected) in [
            (2, (2 * n - 1) * g1),
            (3, n * g2),
            (4, n * g1),
            (5, n * g1),
            (6, g2),
            (12, (4 * n - 1) * g1),
            (13, (2 * n - 1) * g2),
            (14, (2 * n - 1) * g1),
            (15, (2 * n - 1) * g1),
        ] {
            file.expect_size(id, expected)?;
        }
        Ok(PtauFile { file, power })
    }

    /// The file's power: it holds `2^power` powers (`2^(power+1) - 1` in G1).
    pub fn power(&self) -> u32 {
        self.power
    }

    /// The first `count` G1 points of section `id`.
    pub(crate) fn g1_prefix(&mut self, id: u32, count: u64) -> Result<Vec<G1Affine>, FormatError> {
        g1_points(&self.file.read_range(id, 0, count * G1_BYTES as u64)?, id)
    }

    /// `β·G2`.
    pub(crate) fn beta_g2(&mut self) -> Result<G2Affine, FormatError> {
        let p = g2_points(&self.file.read_section(6)?, 6)?;
        p.first().copied().ok_or_else(|| FormatError::truncated("section 6"))
    }

    /// The Lagrange points of level `k` (the domain of `2^k`) of G1
    /// section `id` (12, 14 or 15).
    pub(crate) fn lagrange_g1(&mut self, id: u32, k: u32) -> Result<Vec<G1Affine>, FormatError> {
        let g1 = G1_BYTES as u64;
        g1_points(&self.file.read_range(id, (pow2(k) - 1) * g1, pow2(k) * g1)?, id)
    }

    /// The Lagrange points of level `k` of section 13 (G2).
    pub(crate) fn lagrange_g2(&mut self, k: u32) -> Result<Vec<G2Affine>, FormatError> {
        let g2 = G2_BYTES as u64;
        g2_points(&self.file.read_range(13, (pow2(k) - 1) * g2, pow2(k) * g2)?, 13)
    }
}

/// `[1, t, t², …]`, `n` powers.
fn powers(t: Fr, n: usize) -> Vec<Fr> {
    let mut out = Vec::with_capacity(n);
    let mut acc = Fr::from(1u64);
    for _ in 0..n {
        out.push(acc);
        acc *= t;
    }
    out
}

/// The Lagrange form of a run of `2^k` powers (snarkjs: an inverse FFT).
fn lagrange(mut v: Vec<Fr>) -> Result<Vec<Fr>, CeremonyError> {
    let domain = Radix2EvaluationDomain::<Fr>::new(v.len()).ok_or(CeremonyError::CircuitTooLarge(v.len().ilog2()))?;
    domain.ifft_in_place(&mut v);
    Ok(v)
}

/// Writes a prepared powers of tau of `power` for development: `τ`, `α`,
/// `β` are drawn from `rng` and forgotten (zeroized) when this returns.
///
/// It has no phase-1 contributions: whoever ran it could have kept the
/// secrets, so it is for tests and dev runs only; a deployment starts from
/// a public phase 1 (the perpetual powers of tau, prepared with snarkjs).
pub fn write_dev_ptau<R: RngCore + CryptoRng>(power: u32, rng: &mut R) -> Result<Vec<u8>, CeremonyError> {
    if power == 0 || power > MAX_POWER {
        return Err(CeremonyError::CircuitTooLarge(power));
    }
    let nonzero = |rng: &mut R| loop {
        let x = Fr::rand(rng);
        if !x.is_zero() {
            return Zeroizing::new(x);
        }
    };
    let (tau, alpha, beta) = (nonzero(rng), nonzero(rng), nonzero(rng));
    let n = pow2(power) as usize;
    let g1 = G1Projective::generator();
    let g2 = G2Projective::generator();
    let scale = |v: &[Fr], k: &Fr| v.iter().map(|x| *x * k).collect::<Vec<_>>();

    let tau_powers = Zeroizing::new(powers(*tau, 2 * n));
    let mut w = BinWriter::new(MAGIC, 1, 11);
    let mut header = Vec::new();
    header.extend_from_slice(&(FIELD_BYTES as u32).to_le_bytes());
    header.extend_from_slice(&modulus_le::<Fq>());
    header.extend_from_slice(&power.to_le_bytes());
    header.extend_from_slice(&power.to_le_bytes());
    w.section(1, &header);
    w.section(2, &put_g1s(&g1.batch_mul(&tau_powers[..2 * n - 1])));
    w.section(3, &put_g2s(&g2.batch_mul(&tau_powers[..n])));
    w.section(4, &put_g1s(&g1.batch_mul(&scale(&tau_powers[..n], &alpha))));
    w.section(5, &put_g1s(&g1.batch_mul(&scale(&tau_powers[..n], &beta))));
    w.section(6, &put_g2s(&[(g2 * *beta).into()]));
    w.section(7, &0u32.to_le_bytes());

    // Lagrange forms, level by level; the last G1 level lacks τ^(2n-1), as
    // snarkjs's `prepare phase2` leaves it out.
    let mut l_tau = Vec::new();
    let mut l_levels = Vec::new();
    for k in 0..=power + 1 {
        let size = pow2(k) as usize;
        let mut v = tau_powers[..size].to_vec();
        if k == power + 1 {
            v[size - 1] = Fr::zero();
        }
        let l = Zeroizing::new(lagrange(v)?);
        l_tau.extend_from_slice(&l);
        if k <= power {
            l_levels.push(l);
        }
    }
    w.section(12, &put_g1s(&g1.batch_mul(&l_tau)));
    l_tau.iter_mut().for_each(|x| *x = Fr::zero());
    let all: Zeroizing<Vec<Fr>> = Zeroizing::new(l_levels.iter().flat_map(|l| l.iter().copied()).collect());
    w.section(13, &put_g2s(&g2.batch_mul(&all)));
    w.section(14, &put_g1s(&g1.batch_mul(&scale(&all, &alpha))));
    w.section(15, &put_g1s(&g1.batch_mul(&scale(&all, &beta))));
    Ok(w.finish())
}

/// The smallest power whose domain holds `constraints + public + 1` rows
/// (snarkjs: `log2(nConstraints + nPublic) + 1`).
pub fn power_for(constraints: usize, public: usize) -> u32 {
    let n = (constraints + public) as u64;
    (u64::BITS - n.leading_zeros()).max(1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ark_ec::pairing::Pairing;
    use ark_ec::AffineRepr;
    use rand::SeedableRng;

    #[test]
    fn dev_ptau_reads_back_and_is_consistent() {
        let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(3);
        let bytes = write_dev_ptau(3, &mut rng).unwrap();
        let mut p = PtauFile::open(std::io::Cursor::new(&bytes)).unwrap();
        assert_eq!(p.power(), 3);
        let tau_g1 = p.g1_prefix(2, 15).unwrap();
        let alpha_g1 = p.g1_prefix(4, 1).unwrap()[0];
        assert_eq!(tau_g1[0], G1Affine::generator());
        // e(τ^(i+1)·G1, G2) = e(τ^i·G1, τ·G2)
        let tg2 = g2_points(&p.file.read_range(3, G2_BYTES as u64, G2_BYTES as u64).unwrap(), 3).unwrap()[0];
        assert_eq!(
            ark_bn254::Bn254::pairing(tau_g1[5], G2Affine::generator()),
            ark_bn254::Bn254::pairing(tau_g1[4], tg2)
        );
        // Σ_j L_j(τ)·G1 = G1 (the Lagrange polynomials sum to one), level 3.
        let l3: G1Projective = p.lagrange_g1(12, 3).unwrap().iter().map(|x| x.into_group()).sum();
        assert_eq!(G1Affine::from(l3), G1Affine::generator());
        // Σ_j α·L_j(τ) = α·G1, the first point of section 4.
        let l3a: G1Projective = p.lagrange_g1(14, 3).unwrap().iter().map(|x| x.into_group()).sum();
        assert_eq!(G1Affine::from(l3a), alpha_g1);
        assert_eq!(p.lagrange_g2(2).unwrap().len(), 4);
        assert!(p.lagrange_g1(12, 5).is_err(), "level 5 is past a power-3 file");
    }

    #[test]
    fn refuses_unprepared_truncated_and_foreign_files() {
        let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(4);
        let bytes = write_dev_ptau(2, &mut rng).unwrap();
        for cut in [0, 40, bytes.len() / 2, bytes.len() - 1] {
            assert!(PtauFile::open(std::io::Cursor::new(&bytes[..cut])).is_err(), "cut at {cut}");
        }
        let mut bad = bytes.clone();
        bad[12 + 12 + 4] ^= 1; // a byte of q in the header
        assert!(matches!(PtauFile::open(std::io::Cursor::new(&bad)), Err(FormatError::WrongCurve { .. })));
        assert_eq!(power_for(6_146, 9), 13);
        assert_eq!(power_for(8_191, 0), 13);
        assert_eq!(power_for(8_192, 0), 14);
    }
}
