//! `init`: the initial zkey of a circuit from a prepared powers of tau, as
//! snarkjs's `zkey new` computes it, byte for byte where `zkey verify`
//! compares bytes (sections 3 to 7) and hash for hash in the circuit hash.
//!
//! With `L_c` the Lagrange points of constraint row `c` (section 12 of the
//! ptau at the circuit's level), `A_s = Σ a_cs·L_c`, `B_s` likewise in G1
//! and G2, and for the verifying key's inputs and the private signals
//! `IC_s` / `L_s = Σ (a_cs·βL_c + b_cs·αL_c + c_cs·L_c)`; one extra row per
//! public signal (and the one) puts `A = x_s` on row `nConstraints + s`.
//! `H_i` is the odd Lagrange point `2i + 1` of the level above. `δ = 1`
//! (the generators) until the first contribution.

use std::io::{Read, Seek};

use ark_bn254::{Fr, G1Affine, G1Projective, G2Affine, G2Projective};
use ark_ec::{AffineRepr, CurveGroup};
use ark_ff::{PrimeField, Zero};
use blake2::{Blake2b512, Digest};
use rayon::prelude::*;

use super::error::CeremonyError;
use super::points::{g1_uncompressed, g2_uncompressed};
use super::ptau::{power_for, PtauFile};
use super::r1cs::R1cs;
use super::zkey::{Coefficient, Zkey};

/// Which Lagrange run a term draws its point from.
#[derive(Clone, Copy)]
enum Base {
    Tau,
    AlphaTau,
    BetaTau,
}

/// For every signal, the `(row, coefficient, run)` terms of its point.
type Terms = Vec<Vec<(usize, Fr, Base)>>;

/// BN254's FFT domains stop at 2^28; snarkjs's `zkey new` handles 2^28
/// with another layout, which zkreg does not need.
const MAX_CIRCUIT_POWER: u32 = 27;

/// `Σ vᵢ·Pᵢ`, serially; coefficients ±1 (most of a circuit's) cost an addition.
fn combine<'a, P: AffineRepr<ScalarField = Fr>>(terms: impl Iterator<Item = (&'a P, &'a Fr)>) -> P::Group {
    let (one, minus_one) = (Fr::from(1u64), -Fr::from(1u64));
    let mut acc = P::Group::zero();
    for (p, v) in terms {
        if *v == one {
            acc += p;
        } else if *v == minus_one {
            acc -= p.into_group();
        } else {
            acc += p.mul_bigint(v.into_bigint());
        }
    }
    acc
}

/// The initial zkey of `r1cs` over the powers of tau `ptau`.
pub fn init<R: Read + Seek>(ptau: &mut PtauFile<R>, r1cs: &R1cs) -> Result<Zkey, CeremonyError> {
    let wires = r1cs.num_wires;
    let in_range = |lc: &super::r1cs::LinearCombination| lc.iter().all(|(w, _)| *w < wires);
    if r1cs.num_public() >= wires || !r1cs.constraints.iter().all(|k| in_range(&k.a) && in_range(&k.b) && in_range(&k.c)) {
        return Err(super::error::FormatError::invalid("r1cs: a wire index is out of range").into());
    }
    let n_public = r1cs.num_public() as usize;
    let n_vars = r1cs.num_wires as usize;
    let n_constraints = r1cs.constraints.len();
    let power = power_for(n_constraints, n_public);
    if power > MAX_CIRCUIT_POWER {
        return Err(CeremonyError::CircuitTooLarge(power));
    }
    if power > ptau.power() {
        return Err(CeremonyError::PtauTooSmall { needed: power, ptau_power: ptau.power() });
    }
    let domain = 1usize << power;

    let alpha_g1 = ptau.g1_prefix(4, 1)?[0];
    let beta_g1 = ptau.g1_prefix(5, 1)?[0];
    let beta_g2 = ptau.beta_g2()?;
    let (g1, g2) = (G1Affine::generator(), G2Affine::generator());

    let l_tau = ptau.lagrange_g1(12, power)?;
    let l_tau2 = ptau.lagrange_g2(power)?;
    let l_alpha = ptau.lagrange_g1(14, power)?;
    let l_beta = ptau.lagrange_g1(15, power)?;

    let mut a: Terms = vec![Vec::new(); n_vars];
    let mut b: Terms = vec![Vec::new(); n_vars];
    let mut ic: Terms = vec![Vec::new(); n_public + 1];
    let mut l: Terms = vec![Vec::new(); n_vars - n_public - 1];
    let mut coefficients = Vec::new();
    // Public signals (and the one) go to IC, the others to L.
    let mut to_ic_or_l = |s: usize, term: (usize, Fr, Base)| {
        if s <= n_public {
            ic[s].push(term)
        } else {
            l[s - n_public - 1].push(term)
        }
    };
    for (c, k) in r1cs.constraints.iter().enumerate() {
        for &(s, v) in &k.a {
            a[s as usize].push((c, v, Base::Tau));
            to_ic_or_l(s as usize, (c, v, Base::BetaTau));
            coefficients.push(Coefficient { matrix: 0, constraint: c as u32, signal: s, value: v });
        }
        for &(s, v) in &k.b {
            b[s as usize].push((c, v, Base::Tau));
            to_ic_or_l(s as usize, (c, v, Base::AlphaTau));
            coefficients.push(Coefficient { matrix: 1, constraint: c as u32, signal: s, value: v });
        }
        for &(s, v) in &k.c {
            to_ic_or_l(s as usize, (c, v, Base::Tau));
        }
    }
    let one = Fr::from(1u64);
    for s in 0..=n_public {
        let row = n_constraints + s;
        a[s].push((row, one, Base::Tau));
        ic[s].push((row, one, Base::BetaTau));
        coefficients.push(Coefficient { matrix: 0, constraint: row as u32, signal: s as u32, value: one });
    }

    let runs = |base: Base| match base {
        Base::Tau => &l_tau,
        Base::AlphaTau => &l_alpha,
        Base::BetaTau => &l_beta,
    };
    // One job per signal, each summed serially: an arkworks MSM inside a
    // rayon job nests parallel joins, and rayon's work stealing then stacks
    // jobs on one worker's stack until it overflows.
    let compose_g1 = |terms: &Terms| -> Vec<G1Affine> {
        let points: Vec<G1Projective> = terms.par_iter().map(|t| combine(t.iter().map(|(row, v, base)| (&runs(*base)[*row], v)))).collect();
        G1Projective::normalize_batch(&points)
    };
    let compose_g2 = |terms: &Terms| -> Vec<G2Affine> {
        let points: Vec<G2Projective> = terms.par_iter().map(|t| combine(t.iter().map(|(row, v, _)| (&l_tau2[*row], v)))).collect();
        G2Projective::normalize_batch(&points)
    };
    let ic = compose_g1(&ic);
    let l = compose_g1(&l);
    let a_points = compose_g1(&a);
    let b_g1 = compose_g1(&b);
    let b_g2 = compose_g2(&b);

    // H: the odd points of the Lagrange level above.
    let h: Vec<G1Affine> = ptau.lagrange_g1(12, power + 1)?.into_iter().skip(1).step_by(2).collect();

    // The circuit hash, in snarkjs's order: the header points, then IC,
    // the τ^i·(τ^n − 1) points (the libsnark H, from the plain powers), L, A, B1, B2.
    let mut hasher = Blake2b512::new();
    for p in [alpha_g1, beta_g1] {
        hasher.update(g1_uncompressed(&p));
    }
    hasher.update(g2_uncompressed(&beta_g2));
    hasher.update(g2_uncompressed(&g2));
    hasher.update(g1_uncompressed(&g1));
    hasher.update(g2_uncompressed(&g2));
    let hash_g1s = |hasher: &mut Blake2b512, points: &[G1Affine]| {
        hasher.update((points.len() as u32).to_be_bytes());
        points.iter().for_each(|p| hasher.update(g1_uncompressed(p)));
    };
    hash_g1s(&mut hasher, &ic);
    let tau = ptau.g1_prefix(2, 2 * domain as u64 - 1)?;
    let z: Vec<G1Projective> = (0..domain - 1).into_par_iter().map(|i| tau[i + domain].into_group() - tau[i]).collect();
    hash_g1s(&mut hasher, &G1Projective::normalize_batch(&z));
    hash_g1s(&mut hasher, &l);
    hash_g1s(&mut hasher, &a_points);
    hash_g1s(&mut hasher, &b_g1);
    hasher.update((b_g2.len() as u32).to_be_bytes());
    b_g2.iter().for_each(|p| hasher.update(g2_uncompressed(p)));

    Ok(Zkey {
        n_vars: n_vars as u32,
        n_public: n_public as u32,
        domain_size: domain as u32,
        alpha_g1,
        beta_g1,
        beta_g2,
        gamma_g2: g2,
        delta_g1: g1,
        delta_g2: g2,
        ic,
        coefficients,
        a: a_points,
        b_g1,
        b_g2,
        l,
        h,
        cs_hash: hasher.finalize().into(),
        contributions: Vec::new(),
    })
}
