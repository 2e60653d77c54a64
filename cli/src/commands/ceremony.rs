//! `zkreg ceremony`: the multi-party phase 2 of the predicate circuit's
//! Groth16 setup in the snarkjs `.zkey` format (see the README's runbook).

use std::fs::File;
use std::io::BufReader;
use std::path::Path;

use anyhow::Context;
use rand::rngs::OsRng;
use serde_json::json;

use zkreg_verifier::ceremony::{self, PtauFile, R1cs, Zkey};

use crate::output::{print, with_spinner};

/// The circuit's constraint system file `init` writes beside the initial zkey.
pub const R1CS_FILE: &str = "predicate.r1cs";
/// The initial zkey `init` writes (no contribution yet).
pub const INITIAL_ZKEY_FILE: &str = "predicate_0000.zkey";

/// The bytes of the file at `path`; the error names it.
pub(crate) fn read(path: &Path) -> anyhow::Result<Vec<u8>> {
    std::fs::read(path).with_context(|| format!("reading {}", path.display()))
}

/// Writes `bytes` to a new file at `path` (refusing an existing one) and
/// syncs it; with `owner_only`, a file only its owner may read (on Unix).
pub(crate) fn write_new(path: &Path, bytes: &[u8], owner_only: bool) -> anyhow::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    if owner_only {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut f = options.open(path).with_context(|| format!("creating {} (it must not exist)", path.display()))?;
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
    write_new(out, &bytes, false)?;
    print(as_json, json!({"ptau": out, "bytes": bytes.len()}), || format!("wrote {} ({} bytes; for development only)", out.display(), bytes.len()));
    Ok(())
}

/// `zkreg ceremony init`: `DIR/predicate.r1cs` and the initial zkey.
pub fn init(ptau: &Path, out: &Path, as_json: bool) -> anyhow::Result<()> {
    let r1cs = R1cs::predicate()?;
    let mut ptau = open_ptau(ptau)?;
    let zkey = with_spinner("initial zkey of the predicate circuit", as_json, || ceremony::init(&mut ptau, &r1cs))?;
    std::fs::create_dir_all(out).with_context(|| format!("creating {}", out.display()))?;
    write_new(&out.join(R1CS_FILE), &r1cs.to_bytes(), false)?;
    write_new(&out.join(INITIAL_ZKEY_FILE), &zkey.to_bytes(), false)?;
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
    write_new(out, &zkey.to_bytes(), false)?;
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
