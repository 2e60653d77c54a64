//! Multi-scalar multiplication for the Groth16 prover: `Σ kᵢ·Pᵢ` over the
//! proving key's fixed bases, on BN254's G1 and G2.
//!
//! Pippenger's bucket method with the speed-ups the MSM competitions
//! (ZPrize) established, written over arkworks' types without
//! unsafe code:
//!
//! * **Signed digits.** Each scalar is first brought into `[1, (r-1)/2]`
//!   by negating the base where `k > (r-1)/2` (negating an affine point is
//!   free), then cut into signed `c`-bit digits in `[-2^(c-1), 2^(c-1)]`.
//!   A window needs `2^(c-1)` buckets instead of `2^c - 1`, which halves the
//!   bucket-reduction cost, or buys one more bit of window for the same cost.
//! * **Batch-affine bucket accumulation.** Within a window, the points are
//!   sorted by bucket (a counting sort) and each bucket's points are summed
//!   pairwise in rounds. Every round's additions are affine, and their
//!   slopes' denominators are inverted together with Montgomery's trick
//!   (one inversion and three multiplications per element), so an addition
//!   costs about 5M+1S against 8M+2S for arkworks' mixed XYZZ addition. The
//!   rounds make no conflicts to track: a bucket's pairs are disjoint by
//!   construction. Equal points (doubling), a point and its negation
//!   (cancelling to the identity) and the identity are special-cased; the
//!   last rounds, once too few pairs remain to amortise an inversion, fall
//!   back to XYZZ mixed additions.
//! * **Zero and unit scalars.** Zero scalars and identity bases are dropped
//!   before any digit is made; scalars `±1` (the range-check bits and path
//!   selectors of the predicate circuit's witness) are summed once, with
//!   the same batch-affine tree, instead of occupying a bucket in every
//!   window. A window holds only the points whose digit there is non-zero,
//!   so small scalars cost nothing in the high windows.
//! * **The GLV endomorphism.** BN254's G1 and G2 each have an
//!   endomorphism `φ(x, y) = (ω·x, y) = λ·(x, y)` that costs one base-field
//!   multiplication. Each scalar is split as `k = k₁ + λ·k₂` with
//!   `|k₁|, |k₂| < 2^128` (Babai rounding against the curve's short lattice
//!   basis, in fixed-width integer arithmetic: no allocation per scalar), and
//!   `k·P = k₁·P + k₂·φ(P)`: twice the points, half the windows, so half
//!   the bucket reductions and doublings. Measured (`zkreg bench msm`), it
//!   is worth little next to batch-affine buckets: a window costs about one
//!   addition per point, so the accumulation does not shrink.
//! * **Window size** is chosen per MSM size ([`window_bits`], tuned on the
//!   predicate circuit's five MSMs by `zkreg bench msm`) and the number
//!   of windows from the largest scalar's bit length.
//!
//! The windows are independent and run on rayon's pool, so two MSMs given
//! to [`rayon::join`] share the cores by work stealing.

use ark_bn254::Fr;
use ark_ec::scalar_mul::glv::GLVConfig;
use ark_ec::short_weierstrass::{Affine, Bucket, Projective, SWCurveConfig};
use ark_ec::{AdditiveGroup, AffineRepr, CurveGroup};
use ark_ff::{BigInt, BigInteger, Field, PrimeField, Zero};
use rayon::prelude::*;

/// Below this many pairs a round of batch-affine additions does not pay
/// for its inversion; what is left is added in XYZZ coordinates.
const MIN_AFFINE_BATCH: usize = 16;

/// A curve over BN254's scalar field with a GLV endomorphism and the
/// constants of a fast scalar decomposition: BN254's G1 and G2.
pub trait Glv: SWCurveConfig<ScalarField = Fr> + GLVConfig {
    /// `round(2^256 · n₂₂ / r)` and `round(-2^256 · n₁₂ / r)` for the short
    /// basis `[[n₁₁, n₁₂], [n₂₁, n₂₂]]` of arkworks' `SCALAR_DECOMP_COEFFS`,
    /// each as (is negative, little-endian limbs of the magnitude).
    const BABAI: [(bool, [u64; 3]); 2];
}

impl Glv for ark_bn254::g1::Config {
    const BABAI: [(bool, [u64; 3]); 2] =
        [(true, [0x5398_fd03_00ff_6565, 0x4cce_f014_a773_d2d2, 2]), (true, [0xd91d_232e_c7e0_b3d7, 2, 0])];
}

impl Glv for ark_bn254::g2::Config {
    const BABAI: [(bool, [u64; 3]); 2] =
        [(true, [0x7a7b_d9d4_391e_b18e, 0x4cce_f014_a773_d2cf, 2]), (false, [0xd91d_232e_c7e0_b3d7, 2, 0])];
}

/// A signed integer below 2^255 in magnitude, as 256-bit two's complement.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct I256([u64; 4]);

impl I256 {
    fn from_magnitude(negative: bool, magnitude: [u64; 4]) -> Self {
        let m = I256(magnitude);
        if negative { m.neg() } else { m }
    }

    fn neg(self) -> Self {
        let mut out = [0u64; 4];
        let mut carry = true;
        for (o, l) in out.iter_mut().zip(self.0) {
            let (v, c) = (!l).overflowing_add(carry as u64);
            *o = v;
            carry = c;
        }
        I256(out)
    }

    fn add(self, other: Self) -> Self {
        let mut out = [0u64; 4];
        let mut carry = false;
        for ((o, a), b) in out.iter_mut().zip(self.0).zip(other.0) {
            let (v, c1) = a.overflowing_add(b);
            let (v, c2) = v.overflowing_add(carry as u64);
            *o = v;
            carry = c1 || c2;
        }
        I256(out)
    }

    fn sub(self, other: Self) -> Self {
        self.add(other.neg())
    }

    /// (is negative, magnitude).
    fn sign_magnitude(self) -> (bool, [u64; 4]) {
        if self.0[3] >> 63 == 1 { (true, self.neg().0) } else { (false, self.0) }
    }

    /// `self · other` for `other` given as (negative, magnitude); both
    /// magnitudes below 2^128 as used here, so the product fits.
    fn mul(self, negative: bool, magnitude: [u64; 2]) -> Self {
        let (self_negative, m) = self.sign_magnitude();
        let product = mul_limbs(&m[..2], &magnitude);
        I256::from_magnitude(self_negative != negative, [product[0], product[1], product[2], product[3]])
    }
}

/// Schoolbook product of little-endian limbs (`a.len() + b.len() ≤ 8`).
fn mul_limbs(a: &[u64], b: &[u64]) -> [u64; 8] {
    let mut out = [0u64; 8];
    for (i, &x) in a.iter().enumerate() {
        let mut carry = 0u128;
        for (j, &y) in b.iter().enumerate() {
            let t = out[i + j] as u128 + x as u128 * y as u128 + carry;
            out[i + j] = t as u64;
            carry = t >> 64;
        }
        let mut k = i + b.len();
        while carry != 0 && k < out.len() {
            let t = out[k] as u128 + carry;
            out[k] = t as u64;
            carry = t >> 64;
            k += 1;
        }
    }
    out
}

/// `k = k₁ + λ·k₂ (mod r)` with `|k₁|, |k₂| < 2^129` (in practice below
/// 2^128), for `0 ≤ k < r`: ((k₁ negative, |k₁|), (k₂ negative, |k₂|)).
pub fn decompose<P: Glv>(k: &BigInt<4>) -> ((bool, BigInt<4>), (bool, BigInt<4>)) {
    let coefficient = |i: usize| {
        let (positive, n) = P::SCALAR_DECOMP_COEFFS[i];
        (!positive, [n.0[0], n.0[1]])
    };
    let [n11, n12, n21, n22] = [0, 1, 2, 3].map(coefficient);
    // β_i = ⌊k · g_i / 2^256⌋ (with g_i's sign): within one of Babai's
    // rounding. |β_i| < 2^254 · 2^130 / 2^256 = 2^128, as `I256::mul` needs.
    let beta = P::BABAI.map(|(negative, g)| {
        let product = mul_limbs(&k.0, &g);
        I256::from_magnitude(negative, [product[4], product[5], product[6], product[7]])
    });
    let b1 = beta[0].mul(n11.0, n11.1).add(beta[1].mul(n21.0, n21.1));
    let b2 = beta[0].mul(n12.0, n12.1).add(beta[1].mul(n22.0, n22.1));
    let k1 = I256(k.0).sub(b1).sign_magnitude();
    let k2 = I256([0; 4]).sub(b2).sign_magnitude();
    ((k1.0, BigInt(k1.1)), (k2.0, BigInt(k2.1)))
}

/// How [`msm_with`] runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MsmOptions {
    /// The window width in bits (`None`: [`window_bits`]).
    pub window: Option<usize>,
    /// Split the scalars with the GLV endomorphism.
    pub glv: bool,
}

impl MsmOptions {
    /// The window width for an MSM that buckets `terms` terms.
    fn window_for(&self, terms: usize) -> usize {
        self.window.unwrap_or_else(|| window_bits(terms)).clamp(2, 24)
    }
}

impl Default for MsmOptions {
    fn default() -> Self {
        MsmOptions { window: None, glv: true }
    }
}

/// The window width (bits) for an MSM of `n` points of non-unit scalars.
///
/// Chosen from `zkreg bench msm`'s sweep over the predicate circuit's five
/// MSMs on their real inputs: the accumulation costs `n` affine additions
/// per window and the bucket reduction `2^(c-1)` pairs of XYZZ additions
/// per window, which balance near `c = log2(n) - 3`.
pub fn window_bits(n: usize) -> usize {
    let log = usize::BITS as usize - n.max(1).leading_zeros() as usize;
    log.saturating_sub(3).clamp(4, 16)
}

/// `Σ scalars[i] · bases[i]` over the common length of the two slices
/// (as arkworks' `msm_unchecked`: the proving key's `h` query is one point
/// shorter than the libsnark reduction's `h`), with the GLV split and the
/// default window.
pub fn msm<P: Glv>(bases: &[Affine<P>], scalars: &[Fr]) -> Projective<P> {
    msm_with(bases, scalars, MsmOptions::default())
}

/// [`msm`] with the window width and the GLV split chosen by `options`:
/// for tuning, and for tests that reach every path.
pub fn msm_with<P: Glv>(bases: &[Affine<P>], scalars: &[Fr], options: MsmOptions) -> Projective<P> {
    let split = Split::of(bases, scalars, options.glv);
    let mut sum = sum_affine(&split.units);
    if split.points.is_empty() {
        return sum;
    }
    let c = options.window_for(split.points.len());
    // One extra bit for the carry out of the top signed digit.
    let windows = (split.max_bits + 1).div_ceil(c);
    let n = split.points.len();
    let mut digits = vec![0i32; windows * n];
    for (i, k) in split.scalars.iter().enumerate() {
        for (w, d) in signed_digits(k, c, windows).enumerate() {
            digits[w * n + i] = d;
        }
    }
    let buckets = 1usize << (c - 1);
    let window_sums: Vec<Projective<P>> =
        digits.par_chunks(n).map(|window| window_sum(&split.points, window, buckets)).collect();
    let mut acc = Projective::<P>::zero();
    for s in window_sums.iter().rev() {
        for _ in 0..c {
            acc.double_in_place();
        }
        acc += s;
    }
    sum += acc;
    sum
}

/// The number of terms [`msm_with`] puts into buckets (not zero, not `±1`,
/// after the GLV split if `options` asks for it) and the window width it uses.
pub fn plan<P: Glv>(bases: &[Affine<P>], scalars: &[Fr], options: MsmOptions) -> (usize, usize) {
    let terms = Split::of(bases, scalars, options.glv).points.len();
    (terms, options.window_for(terms))
}

/// `scalar` as `(negative, |k|)` with `|k| ≤ (r-1)/2` (`k` or `r - k`),
/// so that `scalar · P = |k| · (±P)`.
fn normalise(scalar: &Fr) -> (bool, BigInt<4>) {
    let k = scalar.into_bigint();
    if k > Fr::MODULUS_MINUS_ONE_DIV_TWO {
        let mut negated = Fr::MODULUS;
        negated.sub_with_borrow(&k);
        (true, negated)
    } else {
        (false, k)
    }
}

/// The `windows` signed `c`-bit digits of `k`, lowest first, each in
/// `[-2^(c-1), 2^(c-1)]`; `windows · c` must exceed `k`'s bit length.
fn signed_digits(k: &BigInt<4>, c: usize, windows: usize) -> impl Iterator<Item = i32> + '_ {
    let mut carry = 0i64;
    (0..windows).map(move |w| {
        let d = bits(k.as_ref(), w * c, c) as i64 + carry;
        carry = (d > 1 << (c - 1)) as i64;
        (d - (carry << c)) as i32
    })
}

/// The MSM's terms after dropping zeros and normalising signs.
struct Split<P: SWCurveConfig> {
    /// Bases of the scalars `±1`, negated where `-1`.
    units: Vec<Affine<P>>,
    /// Bases of the other scalars, negated where the scalar was.
    points: Vec<Affine<P>>,
    /// `|k|` for each of `points`, at most `(r-1)/2`.
    scalars: Vec<BigInt<4>>,
    /// The bit length of the largest of `scalars`.
    max_bits: usize,
}

impl<P: Glv> Split<P> {
    /// The terms of `Σ scalars[i] · bases[i]`, split with the GLV
    /// endomorphism if `glv`.
    fn of(bases: &[Affine<P>], scalars: &[Fr], glv: bool) -> Self {
        let one = BigInt::from(1u64);
        let mut split = Split { units: Vec::new(), points: Vec::new(), scalars: Vec::new(), max_bits: 0 };
        for (base, scalar) in bases.iter().zip(scalars) {
            if base.is_zero() || scalar.is_zero() {
                continue;
            }
            let (negative, k) = normalise(scalar);
            let p = if negative { -*base } else { *base };
            if k == one {
                split.units.push(p);
            } else {
                split.push(p, k);
            }
        }
        if glv { split.glv() } else { split }
    }

    fn push(&mut self, p: Affine<P>, k: BigInt<4>) {
        self.max_bits = self.max_bits.max(k.num_bits() as usize);
        self.points.push(p);
        self.scalars.push(k);
    }

    /// Each term `k·P` with `k ≥ 2^128` as `k₁·(±P) + k₂·(±φ(P))`.
    fn glv(self) -> Self {
        let mut split = Split { units: self.units, points: Vec::new(), scalars: Vec::new(), max_bits: 0 };
        for (p, k) in self.points.into_iter().zip(self.scalars) {
            if k.num_bits() <= 128 {
                split.push(p, k);
                continue;
            }
            let ((negative1, k1), (negative2, k2)) = decompose::<P>(&k);
            let endo = P::endomorphism_affine(&p);
            for (negative, k, q) in [(negative1, k1, p), (negative2, k2, endo)] {
                if !k.is_zero() {
                    split.push(if negative { -q } else { q }, k);
                }
            }
        }
        split
    }
}

/// `c` bits of the little-endian limbs `k` from bit `offset` (zeros past the end).
fn bits(k: &[u64], offset: usize, c: usize) -> u64 {
    let (limb, shift) = (offset / 64, offset % 64);
    let lo = k.get(limb).map_or(0, |l| l >> shift);
    let hi = match (shift, k.get(limb + 1)) {
        (0, _) | (_, None) => 0,
        (s, Some(l)) => l << (64 - s),
    };
    (lo | hi) & ((1u64 << c) - 1)
}

/// `Σ_b b · (Σ of the points whose digit is ±b)`: one window's sum.
fn window_sum<P: SWCurveConfig>(points: &[Affine<P>], digits: &[i32], buckets: usize) -> Projective<P> {
    bucket_sum(|| points.iter().copied().zip(digits.iter().copied()), buckets)
}

/// `Σ_b b · (Σ of the points whose digit is ±b)` over the `(point, signed
/// digit)` pairs that `terms` yields (it is called twice: to count, to place).
fn bucket_sum<P: SWCurveConfig, I: Iterator<Item = (Affine<P>, i32)>>(terms: impl Fn() -> I, buckets: usize) -> Projective<P> {
    // Counting sort of the signed points by bucket (digit magnitude).
    let mut starts = vec![0usize; buckets + 2];
    for (_, d) in terms() {
        if d != 0 {
            starts[d.unsigned_abs() as usize + 1] += 1;
        }
    }
    for b in 1..starts.len() {
        starts[b] += starts[b - 1];
    }
    let mut sorted = vec![Affine::<P>::identity(); starts[buckets + 1]];
    let mut next = starts.clone();
    for (p, d) in terms() {
        if d != 0 {
            let b = d.unsigned_abs() as usize;
            sorted[next[b]] = if d > 0 { p } else { -p };
            next[b] += 1;
        }
    }
    // Segment `b` (for digit magnitude `b`) is `sorted[starts[b]..][..lens[b]]`.
    let mut lens: Vec<usize> = (0..=buckets).map(|b| starts[b + 1] - starts[b]).collect();
    reduce_segments(&mut sorted, &starts, &mut lens);

    // Σ_b b · bucket_b as running sums from the top bucket down.
    let (mut running, mut total) = (Bucket::<P>::ZERO, Bucket::<P>::ZERO);
    for b in (1..=buckets).rev() {
        for p in &sorted[starts[b]..starts[b] + lens[b]] {
            running += p;
        }
        total += &running;
    }
    total.into()
}

/// Fixed bases with their multiples `2^(c·j)·P` for every window `j`,
/// computed once and kept with the proving key.
///
/// An MSM over them puts every window's digit of every scalar into one set
/// of buckets (the digit `d` of window `j` adds `±2^(c·j)·P` to bucket
/// `|d|`), so the bucket reduction runs once instead of once per window and
/// there are no doublings between windows. That lets the window grow: the
/// accumulation, one affine addition per non-zero digit, shrinks with it.
/// The price is memory, one affine point per base and window, and the
/// time to compute the table.
///
/// Measured with `zkreg bench msm` on the predicate circuit's five MSMs, it
/// does not pay on a 2-core machine: about 4 % less time over the five
/// MSMs at the best widths (h slower, the others 5 to 10 % faster), for
/// about 50 MiB of tables and 1.8 s to build them. The prover therefore
/// does not use it; the benchmark keeps the measurement repeatable where
/// memory is faster.
pub struct FixedBases<P: SWCurveConfig> {
    window: usize,
    windows: usize,
    len: usize,
    /// `table[j * len + i] = 2^(c·j) · bases[i]`.
    table: Vec<Affine<P>>,
}

impl<P: Glv> FixedBases<P> {
    /// The table of `bases` for windows of `window` bits (clamped to 2..=20).
    pub fn new(bases: &[Affine<P>], window: usize) -> Self {
        let c = window.clamp(2, 20);
        // Scalars are at most (r-1)/2 after the sign normalisation, below
        // 2^253: with the carry out of the top digit, 254 bits.
        let windows = (Fr::MODULUS_BIT_SIZE as usize).div_ceil(c);
        let mut table = Vec::with_capacity(windows * bases.len());
        table.extend_from_slice(bases);
        let mut row: Vec<Projective<P>> = bases.iter().map(|b| b.into_group()).collect();
        for _ in 1..windows {
            row.par_iter_mut().for_each(|p| {
                for _ in 0..c {
                    p.double_in_place();
                }
            });
            table.extend(Projective::normalize_batch(&row));
        }
        FixedBases { window: c, windows, len: bases.len(), table }
    }

    /// The window width in bits.
    pub fn window(&self) -> usize {
        self.window
    }

    /// Bytes the table holds.
    pub fn table_bytes(&self) -> usize {
        self.table.len() * std::mem::size_of::<Affine<P>>()
    }

    /// `Σ scalars[i] · bases[i]` over the common length, as [`msm`].
    pub fn msm(&self, scalars: &[Fr]) -> Projective<P> {
        let (c, n) = (self.window, self.len.min(scalars.len()));
        let one = BigInt::from(1u64);
        let mut units = Vec::new();
        // (index into the table, signed digit), the sign of the scalar folded in.
        let mut entries: Vec<(usize, i32)> = Vec::with_capacity(n * self.windows / 2);
        for (i, scalar) in scalars[..n].iter().enumerate() {
            let base = self.table[i];
            if base.is_zero() || scalar.is_zero() {
                continue;
            }
            let (negative, k) = normalise(scalar);
            if k == one {
                units.push(if negative { -base } else { base });
                continue;
            }
            for (j, d) in signed_digits(&k, c, self.windows).enumerate() {
                if d != 0 {
                    entries.push((j * self.len + i, if negative { -d } else { d }));
                }
            }
        }
        let buckets = 1usize << (c - 1);
        // One bucket set per core's share of the entries.
        let share = entries.len().div_ceil(rayon::current_num_threads().max(1)).max(1);
        let sum: Projective<P> = entries
            .par_chunks(share)
            .map(|chunk| bucket_sum(|| chunk.iter().map(|&(t, d)| (self.table[t], d)), buckets))
            .sum();
        sum + sum_affine(&units)
    }
}

/// The sum of `points`, by the same pairwise batch-affine rounds.
fn sum_affine<P: SWCurveConfig>(points: &[Affine<P>]) -> Projective<P> {
    let mut points = points.to_vec();
    let mut lens = vec![points.len()];
    reduce_segments(&mut points, &[0], &mut lens);
    let mut sum = Bucket::<P>::ZERO;
    for p in &points[..lens[0]] {
        sum += p;
    }
    sum.into()
}

/// Halves every segment `points[starts[s]..][..lens[s]]` in rounds of
/// pairwise affine additions, all of a round's slopes inverted at once,
/// until a round would have fewer than [`MIN_AFFINE_BATCH`] pairs. The
/// segments' sums are unchanged; `lens` is updated.
fn reduce_segments<P: SWCurveConfig>(points: &mut [Affine<P>], starts: &[usize], lens: &mut [usize]) {
    let mut denominators: Vec<P::BaseField> = Vec::new();
    let mut scratch: Vec<P::BaseField> = Vec::new();
    loop {
        let pairs: usize = lens.iter().map(|l| l / 2).sum();
        if pairs < MIN_AFFINE_BATCH {
            return;
        }
        denominators.clear();
        for (&start, &len) in starts.iter().zip(lens.iter()) {
            for t in 0..len / 2 {
                denominators.push(slope_denominator(&points[start + 2 * t], &points[start + 2 * t + 1]));
            }
        }
        invert_all(&mut denominators, &mut scratch);
        let mut inverses = denominators.iter();
        for (&start, len) in starts.iter().zip(lens.iter_mut()) {
            let half = *len / 2;
            for t in 0..half {
                let inverse = inverses.next().copied().unwrap_or_default();
                points[start + t] = add_with_inverse(&points[start + 2 * t], &points[start + 2 * t + 1], &inverse);
            }
            if *len % 2 == 1 {
                points[start + half] = points[start + *len - 1];
            }
            *len = half + *len % 2;
        }
    }
}

/// The denominator of the slope of `p + q`: `x_q - x_p`, or `2 y_p` to
/// double; one (an unused placeholder) where no slope is needed.
fn slope_denominator<P: SWCurveConfig>(p: &Affine<P>, q: &Affine<P>) -> P::BaseField {
    if p.is_zero() || q.is_zero() {
        P::BaseField::ONE
    } else if p.x != q.x {
        q.x - p.x
    } else if p.y == q.y && !p.y.is_zero() {
        p.y.double()
    } else {
        P::BaseField::ONE
    }
}

/// `p + q` in affine coordinates, given the inverse of [`slope_denominator`].
fn add_with_inverse<P: SWCurveConfig>(p: &Affine<P>, q: &Affine<P>, inverse: &P::BaseField) -> Affine<P> {
    if p.is_zero() {
        return *q;
    }
    if q.is_zero() {
        return *p;
    }
    let lambda = if p.x != q.x {
        (q.y - p.y) * inverse
    } else if p.y == q.y && !p.y.is_zero() {
        let xx = p.x.square();
        (xx.double() + xx + P::COEFF_A) * inverse
    } else {
        // q = -p.
        return Affine::identity();
    };
    let x = lambda.square() - p.x - q.x;
    let y = lambda * (p.x - x) - p.y;
    Affine::new_unchecked(x, y)
}

/// Replaces every element of `values` (all non-zero) by its inverse with
/// Montgomery's trick: one inversion and three multiplications each.
fn invert_all<F: Field>(values: &mut [F], prefix: &mut Vec<F>) {
    prefix.clear();
    let mut acc = F::ONE;
    for v in values.iter() {
        prefix.push(acc);
        acc *= v;
    }
    // Every denominator is non-zero by construction (distinct x, or a
    // doubling of a point with y ≠ 0, or the placeholder one).
    let mut inverse = acc.inverse().unwrap_or_default();
    for (v, before) in values.iter_mut().zip(prefix.iter()).rev() {
        let value = *v;
        *v = inverse * before;
        inverse *= value;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bits_reads_across_limbs_and_past_the_end() {
        let k = [0xF000_0000_0000_000Fu64, 0x0000_0000_0000_00A5];
        assert_eq!(bits(&k, 0, 4), 0xF);
        assert_eq!(bits(&k, 60, 8), 0x5F);
        assert_eq!(bits(&k, 64, 8), 0xA5);
        assert_eq!(bits(&k, 128, 8), 0);
        assert_eq!(bits(&k, 200, 8), 0);
    }

    #[test]
    fn window_widths_grow_with_the_msm() {
        assert_eq!(window_bits(0), 4);
        assert_eq!(window_bits(6_000), 10);
        assert_eq!(window_bits(8_191), 10);
        assert!(window_bits(1 << 20) <= 18);
    }
}
