//! zkreg's public layer on one node: signed transactions, a mempool that
//! orders them into block proposals, a deterministic executor, hash-chained
//! blocks, the 4-ary commitment tree with its root history, the issuer
//! registry, sled storage (the replicated chain state apart from the
//! node-local store), queries and `verify-chain`.
//!
//! The ledger holds commitments only, never a plaintext attribute.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod attest;
pub mod block;
pub mod error;
pub mod genesis;
pub mod governance;
pub mod ledger;
pub mod local;
pub mod mempool;
pub mod private;
pub mod raft;
pub mod state;
pub mod stats;
pub mod store;
pub mod tx;

pub use block::{BlockHeader, BlockProposal};
pub use error::{LedgerError, TxError};
pub use genesis::Genesis;
pub use ledger::{AppliedBlock, Bucket, ChainError, Ledger};
pub use local::LocalStore;
pub use mempool::{BlockProducer, Mempool, MempoolConfig};
pub use state::{CredentialKind, CredentialRecord, Receipt, Registry};
pub use tx::{SignedTransaction, Transaction, TxBody};
