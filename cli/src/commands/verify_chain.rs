//! `zkreg verify-chain`: replays a data directory's chain from genesis.

use std::path::Path;

use serde_json::json;

/// Replays the chain in `data_dir` and reports the first block whose
/// header, transactions or tree nodes do not match. With `--json` a failure
/// is printed as JSON and the process exits with status 1; without, it is
/// the command's error.
pub fn run(data_dir: &Path, as_json: bool) -> anyhow::Result<()> {
    let ledger = zkreg_registry::Ledger::open(data_dir, None)?;
    match ledger.verify_chain() {
        Ok(height) if as_json => println!("{}", json!({"ok": true, "height": height})),
        Ok(height) => println!("chain verified from genesis to height {height}"),
        Err(e) if as_json => {
            println!("{}", json!({"ok": false, "height": e.height, "reason": e.reason}));
            std::process::exit(1);
        }
        Err(e) => anyhow::bail!("verify-chain failed at {e}"),
    }
    Ok(())
}
