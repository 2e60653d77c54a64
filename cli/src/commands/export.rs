//! `zkreg export`: zkreg's Groth16 artefacts in the formats of the snarkjs
//! and iden3 tools: a presentation's proofs for `snarkjs groth16 verify`,
//! and a predicate's witness (`.wtns`) for provers that take the
//! ceremony's `.zkey` (snarkjs, rapidsnark).

use std::path::Path;

use anyhow::Context;
use serde_json::json;
use zeroize::Zeroizing;

use zkreg_circuits::presentation::CredentialProof;
use zkreg_prover::wallet::encryption::Passphrase;
use zkreg_prover::{PredicateProver, PresentationError};
use zkreg_verifier::ceremony::{predicate_witness, write_wtns};
use zkreg_verifier::snarkjs::public_json;
use zkreg_verifier::{Backend, Presentation, ProofRequest};

use super::ceremony::{read, write_new};
use super::prove::{explain, read_request, Answering};
use crate::output::{print, with_spinner};

/// `zkreg export snarkjs`: for each Groth16 proof of a presentation, the
/// proof and its public signals under the request, and the verification key.
pub fn snarkjs(presentation: &Path, request: &Path, keys: &Path, out: &Path, as_json: bool) -> anyhow::Result<()> {
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
        let CredentialProof::Groth16(p) = proof else { continue };
        let decoded = zkreg_verifier::groth16::decode_proof_hex(&p.proof).with_context(|| format!("proof {i} is not a Groth16 proof"))?;
        let public = p.public_inputs(&request).with_context(|| format!("proof {i} does not fit the request"))?;
        write(&format!("proof_{i}.json"), &zkreg_verifier::snarkjs::proof_json(&decoded))?;
        write(&format!("public_{i}.json"), &public_json(&public.to_field_elements()))?;
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

/// `zkreg export wtns`: the full witness of predicate `predicate` of the
/// request, as `zkreg prove` would prove it (the same checks of the keys
/// and the request, the same credential, path and statement), in the
/// iden3 `.wtns` format. It holds the holder's secret and the credential's
/// opening, so it is written readable by its owner only.
#[allow(clippy::too_many_arguments)]
pub fn wtns(
    node: &str,
    wallet_path: &Path,
    passphrase: &Passphrase,
    keys: &Path,
    request_path: &Path,
    predicate: usize,
    out: &Path,
    bucket_levels: usize,
    genesis: Option<&Path>,
    as_json: bool,
) -> anyhow::Result<()> {
    let request = read_request(request_path)?;
    let spec = request
        .predicates
        .get(predicate)
        .with_context(|| format!("the request has {} predicate(s): there is no predicate {predicate}", request.predicates.len()))?;
    if spec.backend != Backend::Groth16 {
        anyhow::bail!("predicate {predicate} asks for a Bulletproofs range proof, which has no circuit witness: a .wtns is only for a Groth16 predicate");
    }
    if out.exists() {
        anyhow::bail!("{} exists; not overwriting it", out.display());
    }
    let answering = Answering::open(node, wallet_path, passphrase, keys, &request, as_json)?;
    let selected = answering.groth16_selection(&request, predicate, &answering.bucket_paths(bucket_levels))?;
    answering.check_roots_attested(genesis, [selected.root], as_json)?;
    let circuit = PredicateProver::circuit_for(&answering.wallet, &selected.opening, &selected.path, selected.root, &selected.statement)
        .map_err(|e| explain(PresentationError::Groth16(e)))?;
    let public = circuit.public.to_field_elements();
    let witness = Zeroizing::new(with_spinner("computing the witness", as_json, || predicate_witness(circuit))?);
    write_new(out, &Zeroizing::new(write_wtns(&witness)), true)?;
    let answer = json!({"wtns": out, "predicate": predicate, "verifier": answering.verifier.name, "scope": request.scope, "wires": witness.len(), "public": public_json(&public)});
    print(as_json, answer, || {
        format!(
            "wrote {} ({} wires, predicate {predicate}; it holds the wallet's secret: keep it as private as the wallet)\nprove with the ceremony's final zkey: snarkjs groth16 prove final.zkey {} proof.json public.json",
            out.display(),
            witness.len(),
            out.display()
        )
    });
    Ok(())
}
