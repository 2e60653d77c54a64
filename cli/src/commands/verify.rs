//! `zkreg verify`: the bank asks the node that issued a request to verify a
//! presentation answering it.

use std::path::Path;

use anyhow::Context;
use serde_json::json;

use zkreg_api::client::Client;
use zkreg_verifier::Presentation;

use crate::files::read_key;

/// Posts the presentation file `presentation`, signed with the bank's key
/// file `key`, and prints the node's verdict.
pub fn run(node: &str, key: &Path, presentation: &Path, as_json: bool) -> anyhow::Result<()> {
    let key = read_key(key)?;
    let p: Presentation = serde_json::from_slice(&std::fs::read(presentation).with_context(|| format!("reading {}", presentation.display()))?)
        .with_context(|| format!("{} is not a presentation", presentation.display()))?;
    let v = Client::new(node).post("/v1/presentations/verify", &json!({"presentation": p}), Some(&key))?;
    if as_json {
        println!("{v}");
    } else if v["linkable"] == json!(true) {
        println!("verified: {} predicate(s) hold (Bulletproofs: linkable, the commitment is visible)", v["predicates"]);
    } else {
        println!("verified: {} predicate(s) hold; holder pseudonym {}", v["predicates"], v["pseudonym"].as_str().unwrap_or("-"));
    }
    Ok(())
}
