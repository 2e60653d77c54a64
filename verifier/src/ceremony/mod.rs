//! A multi-party Groth16 phase 2 (Bowe, Gabizon, Miers 2017) in the snarkjs
//! `.zkey` format, so that anyone can check the ceremony with snarkjs.
//!
//! # Flow
//!
//! ```text
//! ptau (public phase 1) ─┐
//! predicate.r1cs ────────┴─ init ─> zkey₀ ─ contribute ─> zkey₁ ─ … ─> zkeyₙ ─ finalize ─> keys
//!                                                         verify(r1cs, ptau, zkeyₙ) ─> contributors
//! ```
//!
//! * [`init`]: from a prepared powers of tau ([`PtauFile`]) and the
//!   circuit ([`R1cs::predicate`]), the initial [`Zkey`], exactly as
//!   `snarkjs zkey new` computes it.
//! * [`contribute`]: one participant's contribution with fresh entropy;
//!   returns the [`ContributionHash`] to publish. The secret is zeroized.
//! * [`verify`]: replays every contribution and its proof of knowledge,
//!   recomputes the initial zkey from the r1cs and the ptau, and lists the
//!   [`Contributor`]s; the first bad step is a [`VerifyError`] naming it.
//!   `snarkjs zkey verify predicate.r1cs phase1.ptau final.zkey` accepts the
//!   same transcripts.
//! * [`finalize`]: the arkworks proving and verifying keys. A key made this
//!   way proves with circom's R1CS-to-QAP reduction, which `zkreg_prover`
//!   picks by itself from the key's shape.
//! * [`write_wtns`] / [`predicate_witness`]: a predicate witness as
//!   `.wtns`, for provers built on the same formats (snarkjs, rapidsnark).
//! * [`dev_ceremony`] / [`dev_ceremony_keys`]: a whole ceremony with a
//!   dev phase 1 ([`write_dev_ptau`]), for tests and benchmarks.
//!
//! Every reader refuses malformed or truncated input with a
//! [`FormatError`]; lengths are checked against the bytes present before
//! anything is allocated.

mod binfile;
mod contribute;
mod dev;
mod error;
mod finalize;
mod init;
mod points;
mod pok;
mod ptau;
mod r1cs;
mod verify;
mod wtns;
mod zkey;

pub use contribute::{check_name, contribute, ContributionHash};
pub use dev::{dev_ceremony, dev_ceremony_keys, dev_ptau_for, DevCeremony};
pub use error::{CeremonyError, FormatError, VerifyError};
pub use finalize::{check_predicate_shape, finalize};
pub use init::init;
pub use ptau::{power_for, write_dev_ptau, PtauFile, MAX_POWER};
pub use r1cs::{Constraint, LinearCombination, R1cs};
pub use verify::{verify, verify_contributions, verify_from_initial, Contributor};
pub use wtns::{predicate_witness, read_wtns, write_wtns};
pub use zkey::{Coefficient, Contribution, Zkey, MAX_NAME_CHARS};
