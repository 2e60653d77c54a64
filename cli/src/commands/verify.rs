//! `zkreg verify`: the bank asks the node that issued a request to verify a
//! presentation answering it.

use std::path::Path;

use anyhow::Context;

use zkreg_api::client::Client;
use zkreg_verifier::Presentation;

use crate::files::read_key;

/// Posts the presentation file `presentation`, signed with the bank's key
/// file `key`, and prints the node's verdict.
pub fn run(node: &str, key: &Path, presentation: &Path, as_json: bool) -> anyhow::Result<()> {
    let key = read_key(key)?;
    let p: Presentation = serde_json::from_slice(&std::fs::read(presentation).with_context(|| format!("reading {}", presentation.display()))?)
        .with_context(|| format!("{} is not a presentation", presentation.display()))?;
    let v = Client::new(node).verify(&key, p)?;
    if as_json {
        println!("{}", serde_json::to_string(&v)?);
    } else if v.linkable {
        println!("verified: {} predicate(s) hold (Bulletproofs: linkable, the commitment is visible)", v.predicates);
    } else {
        println!("verified: {} predicate(s) hold; holder pseudonym {}", v.predicates, v.pseudonym.as_deref().unwrap_or("-"));
    }
    Ok(())
}
