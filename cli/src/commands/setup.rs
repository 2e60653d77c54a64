//! `zkreg setup`: the predicate circuit's Groth16 keys (the trusted setup).

use std::path::Path;

use rand::rngs::OsRng;
use serde_json::json;

use crate::output::with_spinner;

/// `zkreg setup`: writes the keys into `out` and prints the verifying key's
/// fingerprint.
pub fn run(out: &Path, as_json: bool) -> anyhow::Result<()> {
    let fp = setup(out, as_json)?;
    if as_json {
        println!("{}", json!({"dir": out, "fingerprint": hex::encode(fp)}));
    } else {
        println!("wrote {}/{{predicate.pk,predicate.vk,predicate.vk.sha256}}", out.display());
        println!("verifying key fingerprint: {}", hex::encode(fp));
    }
    Ok(())
}

/// The trusted setup of the predicate circuit into `out`, under a spinner;
/// returns the verifying key's fingerprint.
pub fn setup(out: &Path, quiet: bool) -> anyhow::Result<[u8; 32]> {
    let pk = with_spinner("trusted setup of the predicate circuit", quiet, || zkreg_prover::setup(&mut OsRng).map(|(pk, _vk)| pk))?;
    Ok(zkreg_prover::keys::write_keys(out, &pk)?)
}
