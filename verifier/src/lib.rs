//! zkreg's verifier side, usable in-process by a bank or behind the REST API:
//! proof requests, presentation verification with a reason per failure,
//! Groth16 batch verification, verifying-key fingerprints, and export to the
//! snarkjs JSON format.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod ceremony;
pub mod groth16;
pub mod presentation;
pub mod range;
pub mod snarkjs;

pub use groth16::{BatchError, PredicateVerifier, ProofError};
pub use presentation::{
    verify_presentation, verify_presentations, ChallengeBook, ChallengeError, Clock, LedgerView, MemoryChallengeBook, RangeCredential,
    Verified, VerifyError,
};
pub use zkreg_circuits::presentation::Presentation;
pub use zkreg_circuits::request::{Backend, Operator, PredicateSpec, ProofRequest};
