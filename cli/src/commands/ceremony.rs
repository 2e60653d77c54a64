//! `zkreg ceremony`: the multi-party phase 2 of the predicate circuit's
//! Groth16 setup in the snarkjs `.zkey` format (see the README's runbook),
//! and `zkreg export snarkjs`: a presentation's Groth16 proofs for snarkjs.

use std::fs::File;
use std::io::BufReader;
use std::path::Path;

use anyhow::Context;
use rand::rngs::OsRng;
use serde_json::json;

use zkreg_verifier::ceremony::{self, PtauFile, R1cs, Zkey};
use zkreg_verifier::{Presentation, ProofRequest};

use crate::output::{print, with_spinner};

/// The circuit's constraint system file `init` writes beside the initial zkey.
pub const R1CS_FILE: &str = "predicate.r1cs";
/// The initial zkey `init` writes (no contribution yet).
pub const INITIAL_ZKEY_FILE: &str = "predicate_0000.zkey";

fn read(path: &Path) -> anyhow::Result<Vec<u8>> {
    std::fs::read(path).with_context(|| format!("reading {}", path.display()))
}

fn write_new(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    use std::io::Write;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
        .with_context(|| format!("creating {} (it must not exist)", path.display()))?;
    f.write_all(bytes).and_then(|()| f.sync_all()).with_context(|| format!("writing {}", path.display()))
}

fn open_ptau(path: &Path) -> anyhow::Result<PtauFile<BufReader<File>>> {
    let file = File::open(path).with_context(|| format!("opening {}", path.display()))?;
    PtauFile::open(BufReader::new(file)).with_context(|| format!("{} is not a usable powers-of-tau file", path.display()))
}

fn read_zkey(path: &Path) -> anyhow::Result<Zkey> {
    Zkey::from_bytes(&read(path)?).with_context(|| format!("{} is not a zkey", path.display()))
}

/// `zkreg ceremony dev-ptau`: a small phase 1 from this machine's entropy,
/// large enough for the predicate circuit. For a try-out only: a real
/// ceremony starts from a public phase 1.
pub fn dev_ptau(out: &Path, as_json: bool) -> anyhow::Result<()> {
    let r1cs = R1cs::predicate()?;
    let bytes = with_spinner("dev powers of tau", as_json, || ceremony::dev_ptau_for(&r1cs, &mut OsRng))?;
    write_new(out, &bytes)?;
    print(as_json, json!({"ptau": out, "bytes": bytes.len()}), || format!("wrote {} ({} bytes; for development only)", out.display(), bytes.len()));
    Ok(())
}

/// `zkreg ceremony init`: `DIR/predicate.r1cs` and the initial zkey.
pub fn init(ptau: &Path, out: &Path, as_json: bool) -> anyhow::Result<()> {
    let r1cs = R1cs::predicate()?;
    let mut ptau = open_ptau(ptau)?;
    let zkey = with_spinner("initial zkey of the predicate circuit", as_json, || ceremony::init(&mut ptau, &r1cs))?;
    std::fs::create_dir_all(out).with_context(|| format!("creating {}", out.display()))?;
    write_new(&out.join(R1CS_FILE), &r1cs.to_bytes())?;
    write_new(&out.join(INITIAL_ZKEY_FILE), &zkey.to_bytes())?;
    print(as_json, json!({"r1cs": out.join(R1CS_FILE), "zkey": out.join(INITIAL_ZKEY_FILE)}), || {
        format!("wrote {}/{{{R1CS_FILE},{INITIAL_ZKEY_FILE}}}: pass {INITIAL_ZKEY_FILE} to the first contributor", out.display())
    });
    Ok(())
}

/// `zkreg ceremony contribute`: one contribution with fresh entropy; prints
/// the hash the participant publishes.
pub fn contribute(input: &Path, out: &Path, name: &str, as_json: bool) -> anyhow::Result<()> {
    let previous = read_zkey(input)?;
    // Contributing on top of a broken transcript would waste the contribution.
    ceremony::verify_contributions(&previous).with_context(|| format!("{} holds a bad contribution", input.display()))?;
    let (zkey, hash) = with_spinner("contributing", as_json, || ceremony::contribute(&previous, name, &mut OsRng))?;
    write_new(out, &zkey.to_bytes())?;
    print(as_json, json!({"zkey": out, "name": name, "contribution": hash.to_string()}), || {
        format!("wrote {}\ncontribution hash (publish it):\n{}", out.display(), hash.snarkjs_layout())
    });
    Ok(())
}

/// `zkreg ceremony verify`: replays every contribution from the circuit and
/// the phase 1; lists the contributors, or names the first bad step.
pub fn verify(r1cs: &Path, ptau: &Path, zkey: &Path, as_json: bool) -> anyhow::Result<()> {
    let r1cs = R1cs::from_bytes(&read(r1cs)?).with_context(|| format!("{} is not an r1cs file", r1cs.display()))?;
    let mut ptau = open_ptau(ptau)?;
    let zkey = read_zkey(zkey)?;
    let contributors = with_spinner("replaying the ceremony", as_json, || ceremony::verify(&r1cs, &mut ptau, &zkey))
        .map_err(|e| anyhow::anyhow!("the ceremony does not verify ({}): {e}", e.code()))?;
    let list: Vec<_> = contributors.iter().map(|c| json!({"name": c.name, "contribution": c.hash.to_string()})).collect();
    print(as_json, json!({"ok": true, "contributions": list}), || {
        let mut text = format!("ceremony verified: {} contribution(s)", contributors.len());
        for (i, c) in contributors.iter().enumerate() {
            text.push_str(&format!("\n#{} {}: {}", i + 1, c.name, c.hash));
        }
        text
    });
    Ok(())
}

/// `zkreg ceremony finalize`: the proving and verifying keys of the last
/// contribution, in the key directory `zkreg prove`, `zkreg node` and
/// `zkreg dev --keys` read.
pub fn finalize(zkey: &Path, out: &Path, as_json: bool) -> anyhow::Result<()> {
    let zkey = read_zkey(zkey)?;
    ceremony::verify_contributions(&zkey).map_err(|e| anyhow::anyhow!("the transcript does not verify ({}): {e}", e.code()))?;
    ceremony::check_predicate_shape(&zkey)?;
    let (pk, _vk) = ceremony::finalize(&zkey)?;
    let fp = zkreg_prover::keys::write_keys(out, &pk)?;
    print(as_json, json!({"dir": out, "fingerprint": hex::encode(fp), "contributions": zkey.contributions.len()}), || {
        format!(
            "wrote {}/{{predicate.pk,predicate.vk,predicate.vk.sha256}} after {} contribution(s)\nverifying key fingerprint: {}",
            out.display(),
            zkey.contributions.len(),
            hex::encode(fp)
        )
    });
    Ok(())
}

/// `zkreg export snarkjs`: for each Groth16 proof of a presentation, the
/// proof and its public signals under the request, and the verification key.
pub fn export_snarkjs(presentation: &Path, request: &Path, keys: &Path, out: &Path, as_json: bool) -> anyhow::Result<()> {
    let presentation: Presentation = serde_json::from_slice(&read(presentation)?).context("not a presentation")?;
    let request: ProofRequest = serde_json::from_slice(&read(request)?).context("not a proof request")?;
    if presentation.challenge != request.challenge {
        anyhow::bail!("the presentation answers another request (its challenge differs)");
    }
    let vk = zkreg_prover::keys::load_verifying_key(&keys.join(zkreg_prover::keys::VERIFYING_KEY_FILE))?;
    std::fs::create_dir_all(out).with_context(|| format!("creating {}", out.display()))?;
    let write = |name: &str, value: &serde_json::Value| -> anyhow::Result<()> {
        let path = out.join(name);
        std::fs::write(&path, serde_json::to_vec_pretty(value)?).with_context(|| format!("writing {}", path.display()))
    };
    write("verification_key.json", &zkreg_verifier::snarkjs::verifying_key_json(&vk))?;
    let mut written = Vec::new();
    for (i, proof) in presentation.proofs.iter().enumerate() {
        let zkreg_circuits::presentation::CredentialProof::Groth16(p) = proof else { continue };
        let decoded = zkreg_verifier::groth16::decode_proof_hex(&p.proof).with_context(|| format!("proof {i} is not a Groth16 proof"))?;
        let public = p.public_inputs(&request).with_context(|| format!("proof {i} does not fit the request"))?;
        write(&format!("proof_{i}.json"), &zkreg_verifier::snarkjs::proof_json(&decoded))?;
        write(&format!("public_{i}.json"), &zkreg_verifier::snarkjs::public_json(&public.to_field_elements()))?;
        written.push(i);
    }
    if written.is_empty() {
        anyhow::bail!("the presentation has no Groth16 proof (Bulletproofs proofs have no snarkjs form)");
    }
    print(as_json, json!({"dir": out, "proofs": written}), || {
        format!(
            "wrote {}/verification_key.json and proof_<i>.json, public_<i>.json for proof(s) {written:?}\ncheck one with: snarkjs groth16 verify verification_key.json public_0.json proof_0.json",
            out.display()
        )
    });
    Ok(())
}
