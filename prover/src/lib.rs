//! zkreg's holder side, meant to run on the holder's own device: the wallet,
//! credential openings, witness building, Groth16 and Bulletproofs proving,
//! and assembling a presentation for a verifier's request. Nothing here needs
//! a server; the Merkle path and root come from any node (or a local copy of
//! the tree).
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod credential;
pub mod groth16;
pub mod keys;
pub mod msm;
pub mod origin;
pub mod presentation;
pub mod qap;
pub mod range;
pub mod wallet;

pub use credential::{CredentialError, CredentialOpening};
pub use groth16::{setup, Backend, PredicateProver, ProofStatement, ProveError, ProvePhases};
pub use qap::{CircomReduction, QapReduction};
pub use wallet::{Wallet, WalletError};
pub use presentation::{build_presentation, HeldCredential, PathSource, PresentationError, RangeCredentialOpening};
pub use origin::{check_request_origin, OriginError, RegisteredVerifier};
