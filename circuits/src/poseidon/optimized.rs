//! The Poseidon permutation with cheap partial rounds: the same function as
//! the textbook description, rearranged so that a partial round costs about
//! `2t` field multiplications instead of `t²`.
//!
//! # The rearrangement
//!
//! Write the state as a column vector `x` of width `t`, the MDS matrix as `M`
//! (`(Mx)_i = Σ_j M[i][j]·x_j`, as in `light-poseidon` and circomlib) and the
//! round constants of round `r` as `c_r`. Every round computes
//! `x ← M · S_r(x + c_r)`, where the S-box layer `S_r` raises all lanes to
//! the fifth power in a full round and only lane 0 in a partial round. There
//! are `R_F/2` full rounds, then `R_P` partial rounds, then `R_F/2` full
//! rounds. The rearrangement is the "equivalent representation" of the
//! Poseidon paper (Grassi, Khovratovich, Rechberger, Roy, Schofnegger,
//! *Poseidon: A New Hash Function for Zero-Knowledge Proof Systems*, USENIX
//! Security 2021, Appendix B). It rests on one observation: in a partial
//! round, lanes `1..t` go through the S-box layer untouched, so anything
//! affine that only involves those lanes can be moved across it.
//!
//! **Constants.** Split a partial round's constants as `c_r = c_r[0]·e_0 + c'_r`
//! with `c'_r` zero in lane 0. Because `S_r` ignores lanes `1..t`,
//! `S_r(x + c_r) = S_r(x + c_r[0]·e_0) + c'_r`, and because `M` is linear,
//! `M·(y + c'_r) = M·y + M·c'_r`. So the round may add only `c_r[0]` to lane 0
//! if `M·c'_r` is added to the constants of the next round instead. Doing this
//! for the partial rounds in order (each one first receiving what the
//! previous one pushed) leaves one constant per partial round, and the
//! remainder of the last one lands in the first full round of the second
//! half, which adds a whole vector anyway.
//!
//! **Matrices.** Let `N` be a `t × t` matrix whose lower-right
//! `(t−1) × (t−1)` block `N̂` is invertible, with first row `(n_00, n_01ᵀ)`
//! and first column `(n_00, n_10)`. Then `N = S · M'` with
//!
//! ```text
//!     M' = [ 1  0 ]        S = [ n_00  n_01ᵀ·N̂⁻¹ ]
//!          [ 0  N̂ ]            [ n_10  I         ]
//! ```
//!
//! (multiply it out: the first row of `S·M'` is `(n_00, n_01ᵀ·N̂⁻¹·N̂)`, the
//! rest is `(n_10, N̂)`). `S` is sparse: applying it costs `t` multiplications
//! for lane 0 and `t−1` for the others. `M'` fixes lane 0 and mixes only
//! lanes `1..t`, so it commutes with what a partial round does before its
//! matrix: adding a constant to lane 0 (`M'·(y + k·e_0) = M'·y + k·e_0`,
//! since `M'·e_0 = e_0`) and raising lane 0 to the fifth power (lane 0 of
//! `M'·y` is `y_0`). Hence a partial round `M·S_r(y + k·e_0)` with
//! `M = S·M'` equals `S·S_r(M'·y + k·e_0)`: `M'` moves back into the matrix
//! of the round before, which becomes `M'·M`. Starting from the last
//! partial round with `N = M` and repeating with `N = M'·M` walks every
//! partial round's dense factor back to the last full round of the first
//! half, whose matrix becomes the dense `M'·M` of the first partial round.
//! Every `N̂` met on the way is invertible: the first is a square submatrix
//! of the Cauchy MDS matrix (all of which are invertible), and each later one
//! is the previous `N̂` times the lower-right block of `M`, a product of
//! invertible matrices.
//!
//! # Why the output cannot change
//!
//! Each step is an identity between affine maps over `Fr` — linearity of
//! `M`, and the fact that the partial S-box layer acts as the identity on
//! lanes `1..t` — not an approximation. The derived constants and matrices
//! are computed with exact field arithmetic (Gauss–Jordan inversion over
//! `Fr`), once per width, from the same circomlib `ark` and `mds` that
//! [`parameters`](super::parameters) returns to the R1CS gadget. The hot
//! loop's dot products use `sum_of_products`, which delays Montgomery
//! reductions but computes the same element of `Fr`. So the rearranged
//! permutation is the same function on every input; the tests
//! check it against the textbook permutation, circomlibjs vectors and
//! `light-poseidon`.

use ark_bn254::Fr;
use ark_ff::{Field, PrimeField};
use light_poseidon::PoseidonParameters;

use super::{sbox, MAX_WIDTH};

/// A square matrix stored in the first `width` rows and columns.
type Matrix<F> = [[F; MAX_WIDTH]; MAX_WIDTH];

/// The factor `S` of a partial round's matrix: its first row, its first
/// column below the diagonal, and the identity elsewhere.
#[derive(Debug, Clone)]
struct SparseMatrix<F> {
    /// Row 0: lane 0 of the output is `Σ_j first_row[j]·x_j`.
    first_row: [F; MAX_WIDTH],
    /// Column 0 below row 0: lane `i ≥ 1` of the output is
    /// `x_i + first_column[i]·x_0`; `first_column[0]` is unused (zero).
    first_column: [F; MAX_WIDTH],
}

/// The rearranged Poseidon parameters for one width, derived from the
/// textbook ones by [`OptimizedParameters::derive`].
#[derive(Debug, Clone)]
pub(super) struct OptimizedParameters<F> {
    width: usize,
    /// The round constants of the `R_F` full rounds, first half then second
    /// half; the first round of the second half also carries what the
    /// partial rounds pushed forward.
    full_ark: Vec<[F; MAX_WIDTH]>,
    /// The circomlib MDS matrix, used by every full round except the last of
    /// the first half.
    mds: Matrix<F>,
    /// `M'·M`, the matrix of the last full round of the first half, which
    /// has absorbed the dense factor of the first partial round.
    pre_sparse_mds: Matrix<F>,
    /// One constant per partial round, added to lane 0 before its S-box.
    partial_ark: Vec<F>,
    /// The sparse factor of each partial round's matrix, in round order.
    sparse: Vec<SparseMatrix<F>>,
}

impl<F: PrimeField> OptimizedParameters<F> {
    /// Rearranges textbook parameters as described in the module docs.
    ///
    /// Returns `None` only if a lower-right block of a matrix met during the
    /// factorisation is singular, which cannot happen for an MDS matrix; or
    /// if the parameters do not have the shape this module relies on (an
    /// even, non-zero number of full rounds, a width up to [`MAX_WIDTH`]).
    pub(super) fn derive(params: &PoseidonParameters<F>) -> Option<Self> {
        let t = params.width;
        let half_full = params.full_rounds / 2;
        let partial = params.partial_rounds;
        let rounds = params.full_rounds + partial;
        if !(2..=MAX_WIDTH).contains(&t)
            || half_full == 0
            || params.full_rounds != 2 * half_full
            || params.ark.len() != rounds * t
            || params.mds.len() != t
            || params.mds.iter().any(|row| row.len() != t)
        {
            return None;
        }

        let mut mds = [[F::zero(); MAX_WIDTH]; MAX_WIDTH];
        for (dst, src) in mds.iter_mut().zip(&params.mds) {
            dst[..t].copy_from_slice(src);
        }

        // Constants: push each partial round's lanes 1..t forward through M.
        let mut ark: Vec<[F; MAX_WIDTH]> = params
            .ark
            .chunks_exact(t)
            .map(|c| {
                let mut round = [F::zero(); MAX_WIDTH];
                round[..t].copy_from_slice(c);
                round
            })
            .collect();
        let mut partial_ark = Vec::with_capacity(partial);
        for r in half_full..half_full + partial {
            let mut rest = ark[r];
            partial_ark.push(rest[0]);
            rest[0] = F::zero();
            let pushed = mat_vec(&mds, &rest, t);
            for (c, p) in ark[r + 1][..t].iter_mut().zip(&pushed[..t]) {
                *c += p;
            }
        }
        let full_ark: Vec<[F; MAX_WIDTH]> =
            ark[..half_full].iter().chain(&ark[half_full + partial..]).copied().collect();

        // Matrices: factor N = S·M' from the last partial round backwards,
        // carrying M' into the round before as N ← M'·M.
        let mut sparse = Vec::with_capacity(partial);
        let mut n = mds;
        for _ in 0..partial {
            let lower_right: Vec<Vec<F>> = n[1..t].iter().map(|row| row[1..t].to_vec()).collect();
            let lower_right_inv = inverse(lower_right)?;
            let mut first_row = [F::zero(); MAX_WIDTH];
            first_row[0] = n[0][0];
            for (j, w) in first_row[1..t].iter_mut().enumerate() {
                *w = (0..t - 1).map(|i| n[0][i + 1] * lower_right_inv[i][j]).sum();
            }
            let mut first_column = [F::zero(); MAX_WIDTH];
            for i in 1..t {
                first_column[i] = n[i][0];
            }
            sparse.push(SparseMatrix { first_row, first_column });

            let mut dense_factor = [[F::zero(); MAX_WIDTH]; MAX_WIDTH];
            dense_factor[0][0] = F::one();
            for i in 1..t {
                dense_factor[i][1..t].copy_from_slice(&n[i][1..t]);
            }
            n = mat_mul(&dense_factor, &mds, t);
        }
        sparse.reverse();

        Some(Self { width: t, full_ark, mds, pre_sparse_mds: n, partial_ark, sparse })
    }
}

impl OptimizedParameters<Fr> {
    /// The Poseidon permutation of the first `width` lanes of `state`.
    pub(super) fn permute(&self, state: &mut [Fr; MAX_WIDTH]) {
        // One arm per width up to MAX_WIDTH; `derive` accepts no other.
        const _: () = assert!(MAX_WIDTH == 7, "add an arm for every width");
        match self.width {
            2 => self.permute_width::<2>(state),
            3 => self.permute_width::<3>(state),
            4 => self.permute_width::<4>(state),
            5 => self.permute_width::<5>(state),
            6 => self.permute_width::<6>(state),
            7 => self.permute_width::<7>(state),
            t => unreachable!("derive accepts widths 2..={MAX_WIDTH}, got {t}"),
        }
    }

    /// [`Self::permute`] for a width known at compile time, so that the
    /// dot products can use `sum_of_products` (one Montgomery reduction per
    /// few products instead of one per product).
    #[inline(always)]
    fn permute_width<const T: usize>(&self, state: &mut [Fr; MAX_WIDTH]) {
        let mut x: [Fr; T] = head(state);
        let half_full = self.full_ark.len() / 2;
        let (first_half, second_half) = self.full_ark.split_at(half_full);

        for (r, ark) in first_half.iter().enumerate() {
            let matrix = if r + 1 == half_full { &self.pre_sparse_mds } else { &self.mds };
            full_round(&mut x, ark, matrix);
        }

        for (c, s) in self.partial_ark.iter().zip(&self.sparse) {
            let x0 = sbox(x[0] + c);
            x[0] = x0;
            let lane0 = Fr::sum_of_products(&head(&s.first_row), &x);
            for (xj, v) in x[1..].iter_mut().zip(&s.first_column[1..T]) {
                *xj += *v * x0;
            }
            x[0] = lane0;
        }

        for ark in second_half {
            full_round(&mut x, ark, &self.mds);
        }
        state[..T].copy_from_slice(&x);
    }
}

/// Adds the constants, applies the S-box to every lane, then the matrix.
#[inline(always)]
fn full_round<const T: usize>(x: &mut [Fr; T], ark: &[Fr; MAX_WIDTH], matrix: &Matrix<Fr>) {
    for (s, c) in x.iter_mut().zip(ark) {
        *s = sbox(*s + c);
    }
    let input = *x;
    for (out, row) in x.iter_mut().zip(matrix) {
        *out = Fr::sum_of_products(&head(row), &input);
    }
}

/// The first `T` entries of a lane array (`T` is at most [`MAX_WIDTH`]).
#[inline(always)]
fn head<const T: usize>(lanes: &[Fr; MAX_WIDTH]) -> [Fr; T] {
    std::array::from_fn(|i| lanes[i])
}

/// `m · v` on the first `t` lanes.
fn mat_vec<F: Field>(m: &Matrix<F>, v: &[F; MAX_WIDTH], t: usize) -> [F; MAX_WIDTH] {
    let mut out = [F::zero(); MAX_WIDTH];
    for (o, row) in out[..t].iter_mut().zip(&m[..t]) {
        for (x, a) in v[..t].iter().zip(&row[..t]) {
            *o += *x * a;
        }
    }
    out
}

/// `a · b` on the first `t` rows and columns.
fn mat_mul<F: Field>(a: &Matrix<F>, b: &Matrix<F>, t: usize) -> Matrix<F> {
    let mut out = [[F::zero(); MAX_WIDTH]; MAX_WIDTH];
    for i in 0..t {
        for j in 0..t {
            out[i][j] = (0..t).map(|k| a[i][k] * b[k][j]).sum();
        }
    }
    out
}

/// The inverse of a square matrix by Gauss–Jordan elimination, or `None` if
/// it is singular.
fn inverse<F: Field>(mut m: Vec<Vec<F>>) -> Option<Vec<Vec<F>>> {
    let n = m.len();
    let mut inv: Vec<Vec<F>> = (0..n)
        .map(|i| (0..n).map(|j| if i == j { F::one() } else { F::zero() }).collect())
        .collect();
    for col in 0..n {
        let pivot = (col..n).find(|&r| !m[r][col].is_zero())?;
        m.swap(col, pivot);
        inv.swap(col, pivot);
        let scale = m[col][col].inverse()?;
        for j in 0..n {
            m[col][j] *= scale;
            inv[col][j] *= scale;
        }
        for r in 0..n {
            if r == col || m[r][col].is_zero() {
                continue;
            }
            let factor = m[r][col];
            for j in 0..n {
                let (mc, ic) = (m[col][j], inv[col][j]);
                m[r][j] -= factor * mc;
                inv[r][j] -= factor * ic;
            }
        }
    }
    Some(inv)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::poseidon::{parameters, MAX_INPUTS};
    use ark_ff::{UniformRand, Zero};
    use rand::SeedableRng;

    fn identity(t: usize) -> Vec<Vec<Fr>> {
        (0..t)
            .map(|i| (0..t).map(|j| if i == j { Fr::from(1u64) } else { Fr::zero() }).collect())
            .collect()
    }

    #[test]
    fn inverse_inverts_and_rejects_singular_matrices() {
        let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(11);
        for t in 1..=MAX_WIDTH {
            let a: Vec<Vec<Fr>> =
                (0..t).map(|_| (0..t).map(|_| Fr::rand(&mut rng)).collect()).collect();
            let inv = inverse(a.clone()).unwrap();
            let product: Vec<Vec<Fr>> = (0..t)
                .map(|i| (0..t).map(|j| (0..t).map(|k| a[i][k] * inv[k][j]).sum()).collect())
                .collect();
            assert_eq!(product, identity(t), "width {t}");
        }
        // A zero diagonal needs a row swap but is still invertible.
        let swap = vec![vec![Fr::zero(), Fr::from(1u64)], vec![Fr::from(1u64), Fr::zero()]];
        assert_eq!(inverse(swap.clone()), Some(swap));
        let singular =
            vec![vec![Fr::from(1u64), Fr::from(2u64)], vec![Fr::from(2u64), Fr::from(4u64)]];
        assert_eq!(inverse(singular), None);
    }

    fn to_matrix(rows: &[Vec<Fr>]) -> Matrix<Fr> {
        let mut m = [[Fr::zero(); MAX_WIDTH]; MAX_WIDTH];
        for (dst, src) in m.iter_mut().zip(rows) {
            dst[..src.len()].copy_from_slice(src);
        }
        m
    }

    /// The derived matrices multiply back to the circomlib ones: with
    /// `D_first = pre_sparse_mds·M⁻¹`, each `D_{r+1} = S_r·D_r·M⁻¹` fixes
    /// lane 0 (so it may be carried across a partial round), and after the
    /// last partial round nothing is left over (`D = I`).
    #[test]
    fn factorisation_multiplies_back_to_the_mds_matrix() {
        for inputs in 1..=MAX_INPUTS {
            let params = parameters(inputs).unwrap();
            let opt = OptimizedParameters::derive(params).unwrap();
            let t = opt.width;
            assert_eq!(opt.mds, to_matrix(&params.mds));
            assert_eq!(opt.sparse.len(), params.partial_rounds);
            assert_eq!(opt.partial_ark.len(), params.partial_rounds);
            assert_eq!(opt.full_ark.len(), params.full_rounds);
            let mds_inv = to_matrix(&inverse(params.mds.clone()).unwrap());
            let mut carried = mat_mul(&opt.pre_sparse_mds, &mds_inv, t);
            for (r, s) in opt.sparse.iter().enumerate() {
                assert_eq!(carried[0][..t], identity(t)[0][..], "width {t}, partial round {r}");
                assert!(
                    carried[1..t].iter().all(|row| row[0].is_zero()),
                    "width {t}, partial round {r}"
                );
                let mut sparse = [[Fr::zero(); MAX_WIDTH]; MAX_WIDTH];
                sparse[0][..t].copy_from_slice(&s.first_row[..t]);
                for (i, row) in sparse.iter_mut().enumerate().take(t).skip(1) {
                    row[0] = s.first_column[i];
                    row[i] = Fr::from(1u64);
                }
                carried = mat_mul(&mat_mul(&sparse, &carried, t), &mds_inv, t);
            }
            assert_eq!(carried, to_matrix(&identity(t)), "width {t}");
        }
    }
}
