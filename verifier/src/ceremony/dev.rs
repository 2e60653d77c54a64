//! A whole ceremony in one call, for development, tests and `zkreg bench`:
//! a dev powers of tau just large enough for the predicate circuit, the
//! initial zkey, the given contributions, and (for the keys) `finalize`.
//! Every secret comes from `rng` and is forgotten; nobody could verify
//! that, so these keys are never for production.

use std::io::Cursor;

use ark_bn254::Bn254;
use ark_groth16::{ProvingKey, VerifyingKey};
use rand::{CryptoRng, RngCore};

use super::contribute::{contribute, ContributionHash};
use super::error::CeremonyError;
use super::finalize::finalize;
use super::init::init;
use super::ptau::{power_for, write_dev_ptau, PtauFile};
use super::r1cs::R1cs;
use super::zkey::Zkey;

/// The files and hashes of a development ceremony.
pub struct DevCeremony {
    /// The dev `.ptau` bytes (no phase-1 contributions).
    pub ptau: Vec<u8>,
    /// The predicate circuit.
    pub r1cs: R1cs,
    /// The initial zkey (before any contribution).
    pub initial: Zkey,
    /// The zkey after every contribution.
    pub zkey: Zkey,
    /// Each contribution's published hash, in order.
    pub hashes: Vec<ContributionHash>,
}

/// The smallest dev powers of tau for `r1cs`.
pub fn dev_ptau_for<R: RngCore + CryptoRng>(r1cs: &R1cs, rng: &mut R) -> Result<Vec<u8>, CeremonyError> {
    write_dev_ptau(power_for(r1cs.constraints.len(), r1cs.num_public() as usize), rng)
}

/// Runs a ceremony for the predicate circuit with one contribution per name.
pub fn dev_ceremony<R: RngCore + CryptoRng>(names: &[&str], rng: &mut R) -> Result<DevCeremony, CeremonyError> {
    let r1cs = R1cs::predicate()?;
    let ptau = dev_ptau_for(&r1cs, rng)?;
    let initial = init(&mut PtauFile::open(Cursor::new(&ptau))?, &r1cs)?;
    let mut zkey = initial.clone();
    let mut hashes = Vec::with_capacity(names.len());
    for name in names {
        let (next, hash) = contribute(&zkey, name, rng)?;
        zkey = next;
        hashes.push(hash);
    }
    Ok(DevCeremony { ptau, r1cs, initial, zkey, hashes })
}

/// Proving and verifying keys of the predicate circuit from a one-contributor
/// dev ceremony: what `zkreg bench crypto` proves with to compare a
/// ceremony key against a one-party key. A few seconds on two cores.
pub fn dev_ceremony_keys<R: RngCore + CryptoRng>(rng: &mut R) -> Result<(ProvingKey<Bn254>, VerifyingKey<Bn254>), CeremonyError> {
    finalize(&dev_ceremony(&["bench"], rng)?.zkey)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use std::time::Instant;

    /// Where a dev ceremony spends its time (`-- --ignored --nocapture`).
    #[test]
    #[ignore]
    fn stage_times() {
        let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(5);
        let t = Instant::now();
        let r1cs = R1cs::predicate().unwrap();
        eprintln!("r1cs: {:?}", t.elapsed());
        let t = Instant::now();
        let ptau = dev_ptau_for(&r1cs, &mut rng).unwrap();
        eprintln!("ptau: {:?}", t.elapsed());
        let t = Instant::now();
        let zkey = init(&mut PtauFile::open(Cursor::new(&ptau)).unwrap(), &r1cs).unwrap();
        eprintln!("init: {:?}", t.elapsed());
        let t = Instant::now();
        let (one, _) = contribute(&zkey, "a", &mut rng).unwrap();
        eprintln!("contribute: {:?}", t.elapsed());
        let t = Instant::now();
        let bytes = one.to_bytes();
        let back = Zkey::from_bytes(&bytes).unwrap();
        eprintln!("zkey write + read: {:?}", t.elapsed());
        let t = Instant::now();
        finalize(&back).unwrap();
        eprintln!("finalize: {:?}", t.elapsed());
    }
}
