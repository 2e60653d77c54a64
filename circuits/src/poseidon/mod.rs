//! Poseidon over BN254 with the circomlib constants (x^5 S-box, 8 full
//! rounds, circomlib's partial-round counts), native side.
//!
//! The constants come from `light-poseidon`, which is circomlib-compatible:
//! `hash(&[1, 2])` is the circomlib/circomlibjs value
//! `0x115cc0f5…189a`. The permutation is re-implemented here without heap
//! allocation (the commitment tree hashes millions of nodes) and over the
//! same cached parameters that the R1CS gadget in [`constraints`] uses, so
//! the two cannot drift apart; tests check it against `light-poseidon` and
//! circomlibjs vectors.
//!
//! [`hash`] evaluates the permutation in the "equivalent representation" of
//! the Poseidon paper (Appendix B): each partial round adds one constant to
//! lane 0 and multiplies by a sparse matrix (first row, first column and the
//! identity), about `2t` multiplications instead of the `t²` of a dense MDS
//! product, which roughly halves the cost of a hash. The rearranged
//! constants and matrices are derived once per width, with exact field
//! arithmetic, from the circomlib `ark` and `mds` of [`parameters`]; the
//! private `optimized` module explains the derivation and why it is the
//! same function. The textbook permutation stays in the tests as the
//! reference both are checked against.

pub mod constraints;
mod optimized;

use std::sync::OnceLock;

use ark_bn254::Fr;
use ark_ff::Zero;
use light_poseidon::{parameters::bn254_x5::get_poseidon_parameters, PoseidonParameters};

use optimized::OptimizedParameters;

/// Largest number of inputs zkreg hashes at once (the credential commitment).
pub const MAX_INPUTS: usize = 6;

const MAX_WIDTH: usize = MAX_INPUTS + 1;

/// Errors from hashing.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PoseidonError {
    /// zkreg's Poseidon takes 1 to [`MAX_INPUTS`] inputs.
    #[error("Poseidon takes 1 to {MAX_INPUTS} inputs, got {0}")]
    UnsupportedArity(usize),
}

/// The circomlib parameters for `width = inputs + 1`, built once per width.
pub fn parameters(inputs: usize) -> Result<&'static PoseidonParameters<Fr>, PoseidonError> {
    static CACHE: [OnceLock<PoseidonParameters<Fr>>; MAX_INPUTS] =
        [const { OnceLock::new() }; MAX_INPUTS];
    if inputs == 0 || inputs > MAX_INPUTS {
        return Err(PoseidonError::UnsupportedArity(inputs));
    }
    Ok(CACHE[inputs - 1].get_or_init(|| {
        // Widths 2..=7 are all within light-poseidon's circom table.
        get_poseidon_parameters::<Fr>((inputs + 1) as u8)
            .unwrap_or_else(|e| unreachable!("circom parameters exist for width {}: {e}", inputs + 1))
    }))
}

/// `x^5`, the S-box.
#[inline(always)]
pub(crate) fn sbox(x: Fr) -> Fr {
    let x2 = x * x;
    let x4 = x2 * x2;
    x4 * x
}

/// The rearranged form of [`parameters`] that [`hash`] evaluates, built once
/// per width.
fn optimized_parameters(inputs: usize) -> Result<&'static OptimizedParameters<Fr>, PoseidonError> {
    static CACHE: [OnceLock<OptimizedParameters<Fr>>; MAX_INPUTS] =
        [const { OnceLock::new() }; MAX_INPUTS];
    let params = parameters(inputs)?;
    Ok(CACHE[inputs - 1].get_or_init(|| {
        OptimizedParameters::derive(params).unwrap_or_else(|| {
            unreachable!("circom parameters for width {} have invertible MDS minors", inputs + 1)
        })
    }))
}

/// Circomlib Poseidon of `inputs` (1 to 6 field elements).
pub fn hash(inputs: &[Fr]) -> Result<Fr, PoseidonError> {
    let params = optimized_parameters(inputs.len())?;
    let mut state = [Fr::zero(); MAX_WIDTH];
    state[1..=inputs.len()].copy_from_slice(inputs);
    params.permute(&mut state);
    Ok(state[0])
}

/// Poseidon of exactly two inputs.
pub fn hash2(a: Fr, b: Fr) -> Fr {
    hash(&[a, b]).unwrap_or_else(|_| unreachable!("two inputs are supported"))
}

/// Poseidon of exactly four inputs (a commitment-tree node).
pub fn hash4(children: &[Fr; 4]) -> Fr {
    hash(children).unwrap_or_else(|_| unreachable!("four inputs are supported"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::field::{fr_from_hex, fr_to_hex};
    use ark_ff::UniformRand;
    use light_poseidon::{Poseidon, PoseidonHasher};
    use rand::SeedableRng;

    /// The permutation exactly as specified: every round adds its constants,
    /// applies the S-box (all lanes in a full round, lane 0 in a partial
    /// one) and multiplies by the dense MDS matrix. [`hash`] must agree.
    fn textbook_hash(inputs: &[Fr]) -> Result<Fr, PoseidonError> {
        let params = parameters(inputs.len())?;
        let width = params.width;
        let mut state = [Fr::zero(); MAX_WIDTH];
        state[1..width].copy_from_slice(inputs);
        let half_full = params.full_rounds / 2;
        let rounds = params.full_rounds + params.partial_rounds;
        for round in 0..rounds {
            let ark = &params.ark[round * width..(round + 1) * width];
            for (s, c) in state[..width].iter_mut().zip(ark) {
                *s += c;
            }
            if round < half_full || round >= half_full + params.partial_rounds {
                for s in state[..width].iter_mut() {
                    *s = sbox(*s);
                }
            } else {
                state[0] = sbox(state[0]);
            }
            let mut mixed = [Fr::zero(); MAX_WIDTH];
            for (out, row) in mixed[..width].iter_mut().zip(&params.mds) {
                for (s, m) in state[..width].iter().zip(row) {
                    *out += *s * m;
                }
            }
            state = mixed;
        }
        Ok(state[0])
    }

    /// circomlibjs 0.1.7 `buildPoseidonReference()` on inputs `[1, 2, …, n]`.
    const CIRCOMLIB_ONE_TO_N: [&str; 6] = [
        "0x29176100eaa962bdc1fe6c654d6a3c130e96a4d1168b33848b897dc502820133",
        "0x115cc0f5e7d690413df64c6b9662e9cf2a3617f2743245519e19607a4417189a",
        "0x0e7732d89e6939c0ff03d5e58dab6302f3230e269dc5b968f725df34ab36d732",
        "0x299c867db6c1fdd79dcefa40e4510b9837e60ebb1ce0663dbaa525df65250465",
        "0x0dab9449e4a1398a15224c0b15a49d598b2174d305a316c918125f8feeb123c0",
        "0x2d1a03850084442813c8ebf094dea47538490a68b05f2239134a4cca2f6302e1",
    ];

    /// circomlibjs 0.1.7 on inputs `[r-1, r-2, …, r-n]` for the widths zkreg uses.
    const CIRCOMLIB_TOP_OF_FIELD: [(usize, &str); 4] = [
        (2, "0x0d984fe36eaa48abd5d41748d04aec71f5a2ed436f5207fa8b13af37bd9bfba6"),
        (3, "0x2c82fc601c507fcd087634a3ff81675c33967e662565ec3ad6482de05d020f91"),
        (4, "0x0389b22dc74ea1215d472baf640521e4ec51d9750536db85692e52787841292e"),
        (6, "0x2417d0f73f3c81dca87fe44142c217deec8ddef8b78ad819cf2fd650c6dde466"),
    ];

    #[test]
    fn circomlib_known_answers() {
        assert_eq!(
            fr_to_hex(&hash2(Fr::from(1u64), Fr::from(2u64))),
            "0x115cc0f5e7d690413df64c6b9662e9cf2a3617f2743245519e19607a4417189a"
        );
        for (n, expected) in CIRCOMLIB_ONE_TO_N.iter().enumerate() {
            let inputs: Vec<Fr> = (1..=n as u64 + 1).map(Fr::from).collect();
            assert_eq!(hash(&inputs).unwrap(), fr_from_hex(expected).unwrap(), "width {}", n + 2);
        }
        for (n, expected) in CIRCOMLIB_TOP_OF_FIELD {
            let inputs: Vec<Fr> = (1..=n as u64).map(|i| -Fr::from(i)).collect();
            assert_eq!(hash(&inputs).unwrap(), fr_from_hex(expected).unwrap(), "{n} inputs");
        }
        // An empty node of the commitment tree: Poseidon(0, 0, 0, 0).
        assert_eq!(
            fr_to_hex(&hash4(&[Fr::zero(); 4])),
            "0x0532fd436e19c70e51209694d9c215250937921b8b79060488c1206db73e9946"
        );
    }

    #[test]
    fn matches_light_poseidon_on_random_inputs() {
        let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(7);
        for n in 1..=MAX_INPUTS {
            let mut reference = Poseidon::<Fr>::new_circom(n).unwrap();
            for _ in 0..10 {
                let inputs: Vec<Fr> = (0..n).map(|_| Fr::rand(&mut rng)).collect();
                assert_eq!(hash(&inputs).unwrap(), reference.hash(&inputs).unwrap());
            }
        }
    }

    #[test]
    fn optimized_matches_textbook_permutation() {
        let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(8);
        for n in 1..=MAX_INPUTS {
            // The all-zero and top-of-field states, then random ones.
            let edge = [vec![Fr::zero(); n], (1..=n as u64).map(|i| -Fr::from(i)).collect()];
            for inputs in edge {
                assert_eq!(
                    hash(&inputs).unwrap(),
                    textbook_hash(&inputs).unwrap(),
                    "width {}",
                    n + 1
                );
            }
            for _ in 0..100 {
                let inputs: Vec<Fr> = (0..n).map(|_| Fr::rand(&mut rng)).collect();
                assert_eq!(
                    hash(&inputs).unwrap(),
                    textbook_hash(&inputs).unwrap(),
                    "width {}",
                    n + 1
                );
            }
        }
    }

    #[test]
    fn rejects_unsupported_arity() {
        assert_eq!(hash(&[]), Err(PoseidonError::UnsupportedArity(0)));
        assert_eq!(hash(&[Fr::zero(); 7]), Err(PoseidonError::UnsupportedArity(7)));
    }
}
