//! The snarkjs Groth16 `.zkey` format (version 1), read and written.
//!
//! | section | content |
//! | --- | --- |
//! | 1 | protocol: `u32` 1 (Groth16) |
//! | 2 | `n8q`, `q`, `n8r`, `r`, `nVars`, `nPublic`, `domainSize`, then `α₁`, `β₁`, `β₂`, `γ₂`, `δ₁`, `δ₂` |
//! | 3 | `IC`: `nPublic + 1` G1 points (the verifying key's input points) |
//! | 4 | the `A` and `B` coefficients: a count, then `(matrix, constraint, signal, value·R² mod r)` |
//! | 5, 6, 7 | `A` in G1, `B` in G1, `B` in G2: one point per signal |
//! | 8 | `L` (the "C" section): `(β·A + α·B + C) / δ` for each private signal |
//! | 9 | `H`: `L_{2i+1}(τ) / δ`, `domainSize` points |
//! | 10 | the ceremony: the circuit hash (BLAKE2b-512), then each contribution |
//!
//! A contribution is `δ` after it, its public key `g1_s`, `g1_sx`, `g2_spx`,
//! its transcript hash, a type (0 ordinary, 1 random beacon), and sorted
//! parameters (1: name, 2: beacon iterations, 3: beacon hash).

use std::io::Cursor as IoCursor;

use ark_bn254::{Fq, Fr, G1Affine, G2Affine};
use ark_ff::Field;

use super::binfile::{BinReader, BinWriter, Cursor};
use super::error::FormatError;
use super::points::{
    fr_from_le, g1_from_lem, g1_points, g2_from_lem, g2_points, put_fr_le, put_g1, put_g1s, put_g2, put_g2s, FIELD_BYTES,
    G1_BYTES, G2_BYTES,
};
use super::r1cs::modulus_le;

const MAGIC: &str = "zkey";
const GROTH16: u32 = 1;
/// The longest contributor name snarkjs keeps (it cuts at 64 characters).
pub const MAX_NAME_CHARS: usize = 64;

/// One entry of the coefficient section: `value` at `(constraint, signal)`
/// of matrix `A` (0) or `B` (1).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Coefficient {
    /// 0 for `A`, 1 for `B`.
    pub matrix: u32,
    /// Row (constraint, or `nConstraints + i` for public signal `i`).
    pub constraint: u32,
    /// Column (signal, that is wire).
    pub signal: u32,
    /// The coefficient.
    pub value: Fr,
}

/// One phase-2 contribution as the zkey records it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Contribution {
    /// `δ` in G1 after this contribution.
    pub delta_after: G1Affine,
    /// A random G1 point.
    pub g1_s: G1Affine,
    /// `x · g1_s` for the contribution's secret `x`.
    pub g1_sx: G1Affine,
    /// `x · hash_to_g2(transcript)`.
    pub g2_spx: G2Affine,
    /// BLAKE2b-512 of the circuit hash, the earlier contributions' public
    /// keys, `g1_s` and `g1_sx`.
    pub transcript: [u8; 64],
    /// 0 for an ordinary contribution, 1 for a snarkjs random beacon.
    pub kind: u32,
    /// The contributor's name, if it gave one.
    pub name: Option<String>,
    /// A beacon's iteration exponent and hash (type 1 only).
    pub beacon: Option<(u8, Vec<u8>)>,
}

/// A Groth16 `.zkey`: the proving key of a circuit with its ceremony record.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Zkey {
    /// Signals (wires), the constant one included.
    pub n_vars: u32,
    /// Public signals, the constant one excluded.
    pub n_public: u32,
    /// Size of the QAP domain, a power of two.
    pub domain_size: u32,
    /// `α` in G1.
    pub alpha_g1: G1Affine,
    /// `β` in G1.
    pub beta_g1: G1Affine,
    /// `β` in G2.
    pub beta_g2: G2Affine,
    /// `γ` in G2 (the generator in snarkjs setups).
    pub gamma_g2: G2Affine,
    /// `δ` in G1.
    pub delta_g1: G1Affine,
    /// `δ` in G2.
    pub delta_g2: G2Affine,
    /// Section 3.
    pub ic: Vec<G1Affine>,
    /// Section 4.
    pub coefficients: Vec<Coefficient>,
    /// Section 5.
    pub a: Vec<G1Affine>,
    /// Section 6.
    pub b_g1: Vec<G1Affine>,
    /// Section 7.
    pub b_g2: Vec<G2Affine>,
    /// Section 8.
    pub l: Vec<G1Affine>,
    /// Section 9.
    pub h: Vec<G1Affine>,
    /// Section 10: BLAKE2b-512 of the initial key's points.
    pub cs_hash: [u8; 64],
    /// Section 10: the contributions, in order.
    pub contributions: Vec<Contribution>,
}

/// `R² mod r` for `R = 2^256`: snarkjs stores coefficients multiplied by it.
fn r_squared() -> Fr {
    Fr::from(2u64).pow([512u64])
}

impl Zkey {
    /// The `.zkey` bytes.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut w = BinWriter::new(MAGIC, 1, 10);
        w.section(1, &GROTH16.to_le_bytes());

        let mut h = Vec::new();
        h.extend_from_slice(&(FIELD_BYTES as u32).to_le_bytes());
        h.extend_from_slice(&modulus_le::<Fq>());
        h.extend_from_slice(&(FIELD_BYTES as u32).to_le_bytes());
        h.extend_from_slice(&modulus_le::<Fr>());
        for n in [self.n_vars, self.n_public, self.domain_size] {
            h.extend_from_slice(&n.to_le_bytes());
        }
        put_g1(&self.alpha_g1, &mut h);
        put_g1(&self.beta_g1, &mut h);
        put_g2(&self.beta_g2, &mut h);
        put_g2(&self.gamma_g2, &mut h);
        put_g1(&self.delta_g1, &mut h);
        put_g2(&self.delta_g2, &mut h);
        w.section(2, &h);
        w.section(3, &put_g1s(&self.ic));

        let r2 = r_squared();
        let mut c = Vec::with_capacity(4 + self.coefficients.len() * 44);
        c.extend_from_slice(&(self.coefficients.len() as u32).to_le_bytes());
        for k in &self.coefficients {
            for n in [k.matrix, k.constraint, k.signal] {
                c.extend_from_slice(&n.to_le_bytes());
            }
            put_fr_le(&(k.value * r2), &mut c);
        }
        w.section(4, &c);
        w.section(5, &put_g1s(&self.a));
        w.section(6, &put_g1s(&self.b_g1));
        w.section(7, &put_g2s(&self.b_g2));
        w.section(8, &put_g1s(&self.l));
        w.section(9, &put_g1s(&self.h));
        w.section(10, &mpc_bytes(&self.cs_hash, &self.contributions));
        w.finish()
    }

    /// Reads a Groth16 `.zkey` over BN254, checking every section's size
    /// against the header before decoding it and every point.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, FormatError> {
        let mut file = BinReader::open(IoCursor::new(bytes), MAGIC, 1)?;
        let protocol = file.read_section(1)?;
        let mut p = Cursor::new(&protocol, 1);
        if p.u32()? != GROTH16 {
            return Err(FormatError::invalid("zkey: not a Groth16 key"));
        }
        p.finish()?;

        let header = file.read_section(2)?;
        let mut h = Cursor::new(&header, 2);
        for (prime, what) in [(modulus_le::<Fq>(), "base field prime"), (modulus_le::<Fr>(), "scalar field prime")] {
            if h.u32()? != FIELD_BYTES as u32 {
                return Err(FormatError::WrongCurve { what: "field element size" });
            }
            if h.take(FIELD_BYTES)? != prime.as_slice() {
                return Err(FormatError::WrongCurve { what });
            }
        }
        let n_vars = h.u32()?;
        let n_public = h.u32()?;
        let domain_size = h.u32()?;
        if !domain_size.is_power_of_two() || n_public >= n_vars {
            return Err(FormatError::invalid("zkey: the header's sizes are inconsistent"));
        }
        let at = |what: &'static str| move || format!("zkey header {what}");
        let alpha_g1 = g1_from_lem(h.take(G1_BYTES)?, &at("alpha_1"))?;
        let beta_g1 = g1_from_lem(h.take(G1_BYTES)?, &at("beta_1"))?;
        let beta_g2 = g2_from_lem(h.take(G2_BYTES)?, &at("beta_2"))?;
        let gamma_g2 = g2_from_lem(h.take(G2_BYTES)?, &at("gamma_2"))?;
        let delta_g1 = g1_from_lem(h.take(G1_BYTES)?, &at("delta_1"))?;
        let delta_g2 = g2_from_lem(h.take(G2_BYTES)?, &at("delta_2"))?;
        h.finish()?;

        let (nv, np, nd) = (n_vars as u64, n_public as u64, domain_size as u64);
        let g1 = G1_BYTES as u64;
        for (id, expected) in [(3, (np + 1) * g1), (5, nv * g1), (6, nv * g1), (7, nv * G2_BYTES as u64), (8, (nv - np - 1) * g1), (9, nd * g1)]
        {
            file.expect_size(id, expected)?;
        }
        let ic = g1_points(&file.read_section(3)?, 3)?;
        let coefficients = read_coefficients(&file.read_section(4)?, n_vars, domain_size)?;
        let a = g1_points(&file.read_section(5)?, 5)?;
        let b_g1 = g1_points(&file.read_section(6)?, 6)?;
        let b_g2 = g2_points(&file.read_section(7)?, 7)?;
        let l = g1_points(&file.read_section(8)?, 8)?;
        let h = g1_points(&file.read_section(9)?, 9)?;
        let (cs_hash, contributions) = read_mpc(&file.read_section(10)?)?;
        Ok(Zkey {
            n_vars,
            n_public,
            domain_size,
            alpha_g1,
            beta_g1,
            beta_g2,
            gamma_g2,
            delta_g1,
            delta_g2,
            ic,
            coefficients,
            a,
            b_g1,
            b_g2,
            l,
            h,
            cs_hash,
            contributions,
        })
    }
}

fn read_coefficients(bytes: &[u8], n_vars: u32, domain_size: u32) -> Result<Vec<Coefficient>, FormatError> {
    let mut c = Cursor::new(bytes, 4);
    let count = c.u32()?;
    let n = c.check_count(count as u64, 12 + FIELD_BYTES as u64, "coefficients")?;
    let r2_inv = r_squared().inverse().unwrap_or_else(|| unreachable!("R² is invertible mod r"));
    let mut out = Vec::with_capacity(n);
    for i in 0..n {
        let (matrix, constraint, signal) = (c.u32()?, c.u32()?, c.u32()?);
        if matrix > 1 || signal >= n_vars || constraint >= domain_size {
            return Err(FormatError::invalid(format!("zkey: coefficient {i} is out of range")));
        }
        let stored = fr_from_le(c.take(FIELD_BYTES)?, &|| format!("zkey coefficient {i}"))?;
        out.push(Coefficient { matrix, constraint, signal, value: stored * r2_inv });
    }
    c.finish()?;
    Ok(out)
}

/// Section 10's bytes.
fn mpc_bytes(cs_hash: &[u8; 64], contributions: &[Contribution]) -> Vec<u8> {
    let mut out = Vec::new();
    out.extend_from_slice(cs_hash);
    out.extend_from_slice(&(contributions.len() as u32).to_le_bytes());
    for c in contributions {
        put_g1(&c.delta_after, &mut out);
        put_g1(&c.g1_s, &mut out);
        put_g1(&c.g1_sx, &mut out);
        put_g2(&c.g2_spx, &mut out);
        out.extend_from_slice(&c.transcript);
        out.extend_from_slice(&c.kind.to_le_bytes());
        let mut params = Vec::new();
        if let Some(name) = &c.name {
            params.push(1u8);
            params.push(name.len() as u8);
            params.extend_from_slice(name.as_bytes());
        }
        if let Some((exp, hash)) = &c.beacon {
            params.extend_from_slice(&[2, *exp, 3, hash.len() as u8]);
            params.extend_from_slice(hash);
        }
        out.extend_from_slice(&(params.len() as u32).to_le_bytes());
        out.extend_from_slice(&params);
    }
    out
}

/// Bytes of a contribution without its parameters.
const CONTRIBUTION_MIN_BYTES: u64 = (3 * G1_BYTES + G2_BYTES + 64 + 4 + 4) as u64;

fn read_mpc(bytes: &[u8]) -> Result<([u8; 64], Vec<Contribution>), FormatError> {
    let mut c = Cursor::new(bytes, 10);
    let cs_hash: [u8; 64] = c.take(64)?.try_into().unwrap_or_else(|_| unreachable!("64 bytes"));
    let count = c.u32()?;
    let n = c.check_count(count as u64, CONTRIBUTION_MIN_BYTES, "contributions")?;
    let mut out = Vec::with_capacity(n);
    for i in 0..n {
        let at = |what: &'static str| move || format!("contribution #{} {what}", i + 1);
        let delta_after = g1_from_lem(c.take(G1_BYTES)?, &at("delta after"))?;
        let g1_s = g1_from_lem(c.take(G1_BYTES)?, &at("g1_s"))?;
        let g1_sx = g1_from_lem(c.take(G1_BYTES)?, &at("g1_sx"))?;
        let g2_spx = g2_from_lem(c.take(G2_BYTES)?, &at("g2_spx"))?;
        let transcript: [u8; 64] = c.take(64)?.try_into().unwrap_or_else(|_| unreachable!("64 bytes"));
        let kind = c.u32()?;
        let len = c.u32()? as usize;
        let mut p = Cursor::new(c.take(len)?, 10);
        let (mut name, mut exp, mut hash, mut last) = (None, None, None, 0u8);
        while p.remaining() > 0 {
            let t = p.u8()?;
            if t <= last {
                return Err(FormatError::invalid(format!("contribution #{}: parameters are not sorted", i + 1)));
            }
            last = t;
            match t {
                1 => {
                    let n = p.u8()? as usize;
                    let s = std::str::from_utf8(p.take(n)?)
                        .map_err(|_| FormatError::invalid(format!("contribution #{}: the name is not UTF-8", i + 1)))?;
                    name = Some(s.to_owned());
                }
                2 => exp = Some(p.u8()?),
                3 => {
                    let n = p.u8()? as usize;
                    hash = Some(p.take(n)?.to_vec());
                }
                _ => return Err(FormatError::invalid(format!("contribution #{}: unknown parameter {t}", i + 1))),
            }
        }
        let beacon = match (exp, hash) {
            (Some(e), Some(h)) => Some((e, h)),
            (None, None) => None,
            _ => return Err(FormatError::invalid(format!("contribution #{}: incomplete beacon parameters", i + 1))),
        };
        out.push(Contribution { delta_after, g1_s, g1_sx, g2_spx, transcript, kind, name, beacon });
    }
    c.finish()?;
    Ok((cs_hash, out))
}
