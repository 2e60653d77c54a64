//! `zkreg keys`: a new ed25519 key file (regulator, bank, root authority).

use std::path::Path;

use serde_json::json;

use crate::files::new_key;
use crate::output::print;

/// Writes a new key file at `out` (refusing to overwrite one) and prints
/// where it is and its public key.
pub fn run(out: &Path, as_json: bool) -> anyhow::Result<()> {
    let key = new_key(out)?;
    let public = hex::encode(key.verifying_key().to_bytes());
    print(as_json, json!({"key_file": out, "public_key": public}), || format!("{} (public key {public})", out.display()));
    Ok(())
}
