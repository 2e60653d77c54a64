//! `contribute`: one participant's phase-2 contribution.
//!
//! The participant draws a secret `x`, multiplies `δ` by it (in G1 and G2)
//! and divides the `L` and `H` sections by it, so the final `δ` is the
//! product of every participant's secret: it stays unknown as long as one
//! of them destroyed theirs. It appends its public key and proof of
//! knowledge (see [`super::pok`]) and publishes the contribution hash.

use ark_bn254::{Fr, G1Affine, G1Projective};
use ark_ec::{AffineRepr, CurveGroup};
use ark_ff::{Field, UniformRand, Zero};
use rand::{CryptoRng, RngCore};
use rayon::prelude::*;
use zeroize::Zeroizing;

use super::error::CeremonyError;
use super::pok::{contribution_hash, hash_to_g2, transcript_before, transcript_hash};
use super::zkey::{Contribution, Zkey, MAX_NAME_CHARS};

/// The hash a contributor publishes (BLAKE2b-512 of its public key): what
/// `verify` lists for it, and what snarkjs prints as "contribution #i".
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct ContributionHash(pub [u8; 64]);

impl ContributionHash {
    /// The hash as snarkjs prints it: four lines of four 8-hex-digit words.
    pub fn snarkjs_layout(&self) -> String {
        let hex = hex::encode(self.0);
        let words: Vec<&str> = (0..16).map(|i| &hex[i * 8..i * 8 + 8]).collect();
        words.chunks(4).map(|line| line.join(" ")).collect::<Vec<_>>().join("\n")
    }
}

impl std::fmt::Display for ContributionHash {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&hex::encode(self.0))
    }
}

impl std::fmt::Debug for ContributionHash {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ContributionHash({self})")
    }
}

/// Checks a contributor's name: 1 to 64 characters (snarkjs keeps 64) in
/// at most 255 bytes of UTF-8 (the file stores the length in a byte),
/// none of them a control character.
pub fn check_name(name: &str) -> Result<(), CeremonyError> {
    let chars = name.chars().count();
    if chars == 0 || chars > MAX_NAME_CHARS || name.len() > 255 || name.chars().any(char::is_control) {
        return Err(CeremonyError::BadName);
    }
    Ok(())
}

fn nonzero<R: RngCore + CryptoRng>(rng: &mut R) -> Zeroizing<Fr> {
    loop {
        let x = Zeroizing::new(Fr::rand(rng));
        if !x.is_zero() {
            return x;
        }
    }
}

/// Multiplies every point by `k`.
fn scale(points: &[G1Affine], k: &Fr) -> Vec<G1Affine> {
    let scaled: Vec<G1Projective> = points.par_iter().map(|p| *p * *k).collect();
    G1Projective::normalize_batch(&scaled)
}

/// Adds a contribution named `name` with a secret drawn from `rng` (the
/// OS's entropy in production), and returns the new zkey and the hash the
/// contributor publishes. The secret and its inverse are zeroized before
/// this returns.
pub fn contribute<R: RngCore + CryptoRng>(zkey: &Zkey, name: &str, rng: &mut R) -> Result<(Zkey, ContributionHash), CeremonyError> {
    check_name(name)?;
    let x = nonzero(rng);
    let x_inv = Zeroizing::new(x.inverse().unwrap_or_else(|| unreachable!("x is not zero")));
    let s = nonzero(rng);
    let g1_s = (G1Affine::generator() * *s).into_affine();
    let g1_sx = (g1_s * *x).into_affine();
    let transcript = transcript_hash(transcript_before(&zkey.cs_hash, &zkey.contributions), &g1_s, &g1_sx);
    let g2_spx = (hash_to_g2(&transcript) * *x).into_affine();

    let mut next = zkey.clone();
    next.delta_g1 = (zkey.delta_g1 * *x).into_affine();
    next.delta_g2 = (zkey.delta_g2 * *x).into_affine();
    next.l = scale(&zkey.l, &x_inv);
    next.h = scale(&zkey.h, &x_inv);
    let c = Contribution {
        delta_after: next.delta_g1,
        g1_s,
        g1_sx,
        g2_spx,
        transcript,
        kind: 0,
        name: Some(name.to_owned()),
        beacon: None,
    };
    let hash = ContributionHash(contribution_hash(&c));
    next.contributions.push(c);
    Ok((next, hash))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_checked() {
        assert!(check_name("root-authority-1").is_ok());
        assert!(check_name(&"é".repeat(64)).is_ok());
        for bad in [String::new(), "x".repeat(65), "𝔁".repeat(64), "a\nb".to_owned()] {
            assert!(matches!(check_name(&bad), Err(CeremonyError::BadName)), "{bad:?}");
        }
    }

    #[test]
    fn hash_prints_as_snarkjs_does() {
        let h = ContributionHash([0xab; 64]);
        let layout = h.snarkjs_layout();
        assert_eq!(layout.lines().count(), 4);
        assert_eq!(layout.lines().next(), Some("abababab abababab abababab abababab"));
        assert_eq!(h.to_string(), "ab".repeat(64));
    }
}
