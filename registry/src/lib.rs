//! zkreg's public layer on one node: signed transactions, a sequencer that
//! orders them into block proposals, a deterministic executor, hash-chained
//! blocks, the 4-ary commitment tree with its root history, the issuer
//! registry, sled storage, queries and `verify-chain`.
//!
//! The ledger holds commitments only, never a plaintext attribute.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod block;
pub mod error;
pub mod genesis;
pub mod ledger;
pub mod state;
pub mod store;
pub mod tx;

pub use block::{BlockHeader, BlockProposal};
pub use error::{LedgerError, TxError};
pub use genesis::Genesis;
pub use ledger::{AppliedBlock, Bucket, ChainError, Ledger, LedgerConfig};
pub use state::{CredentialKind, CredentialRecord, Receipt, Registry};
pub use tx::{SignedTransaction, Transaction, TxBody};
