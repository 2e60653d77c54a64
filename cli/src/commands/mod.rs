//! One module per `zkreg` subcommand; each has a `run` that does the
//! command's work and prints its answer.

pub mod audit;
pub mod ceremony;
pub mod cluster;
pub mod dev;
pub mod export;
pub mod governance;
pub mod issue;
pub mod keys;
pub mod ledger_node;
pub mod node;
pub mod prove;
pub mod record;
pub mod recover;
pub mod request;
pub mod revoke;
pub mod setup;
pub mod stats;
pub mod verifier;
pub mod verify;
pub mod verify_chain;
pub mod wallet;

/// Today as days since the Unix epoch.
pub fn today() -> u32 {
    zkreg_circuits::clock::today()
}
