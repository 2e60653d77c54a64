//! zkreg's cryptographic core, shared by the prover, the verifier and the
//! registry: circomlib-compatible Poseidon (native and R1CS gadget), labels and
//! canonical field encodings, credential commitments, the 4-ary commitment
//! tree and its membership gadget, the credential predicate circuit, the
//! Bulletproofs range statement, and the proof-request and presentation types
//! that holders and verifiers exchange.
//!
//! Nothing here does I/O (but [`clock`] reads the system clock).
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod clock;
pub mod commitment;
pub mod constants;
pub mod field;
pub mod fingerprint;
pub mod hex;
pub mod ids;
pub mod poseidon;
pub mod predicate;
pub mod presentation;
pub mod proof_codec;
pub mod range_statement;
pub mod request;
pub mod serde_fr;
pub mod tree;

pub use ark_bn254::Fr;
