//! Presentation verification: everything DESIGN.md "Verify" lists.
//!
//! For a presentation answering a request, the verifier checks: the request
//! is well-formed ([`ProofRequest::validate`]: among others, its scope is
//! under its verifier's name and all its predicates use one backend) and
//! unexpired; the presentation echoes its challenge and
//! answers each predicate exactly once with the requested backend; each
//! claimed issuer is allowed by the request and authorised for the schema on
//! the ledger; each proof's day is within tolerance of today; each Groth16
//! proof is against a root in the ledger's window, under the verifying key
//! whose fingerprint the ledger registered, and verifies (all of a
//! presentation's Groth16 proofs in one batch); all Groth16 proofs carry the
//! same pseudonym (one holder); each Bulletproofs proof is for a registered,
//! unrevoked, unexpired Pedersen credential of that issuer and schema and is
//! signed by its holder; all of them are for one holder key. Only then is the
//! challenge consumed, once.
//!
//! Requests mixing backends are refused ([`RequestError::MixedBackends`]):
//! proofs are tied to one holder within each backend (equal pseudonyms,
//! equal holder keys) but nothing ties a Groth16 proof to a Bulletproofs
//! one (a Groth16 proof does not name the holder's ed25519 key), so one
//! holder's Groth16 proof and another's Bulletproofs proof would pass as one
//! presentation. Since every predicate then asks for the same backend and
//! each proof must use its predicate's ([`VerifyError::BackendMismatch`]),
//! all proofs of an accepted presentation use one backend.
//!
//! The request's signature ([`ProofRequest::signature`]) is not required
//! nor checked here: it tells the holder who asked; the verifier trusts its
//! own request.

use std::collections::HashMap;
use std::sync::Mutex;

use ark_bn254::{Bn254, Fr};
use ark_groth16::Proof;
use curve25519_dalek::ristretto::CompressedRistretto;
use rand::{CryptoRng, RngCore};
use serde::Serialize;

use zkreg_circuits::field::fr_to_hex;
use zkreg_circuits::predicate::PublicInputs;
use zkreg_circuits::presentation::{CredentialProof, Presentation, PRESENTATION_VERSION};
use zkreg_circuits::range_statement::RangeStatement;
use zkreg_circuits::request::{Backend, ProofRequest, RequestError};

use crate::groth16::{decode_proof_hex, BatchError, PredicateVerifier, ProofError};
use crate::range::{verify_range_with_rng, RangeVerifyError};

/// A Pedersen credential as registered on the ledger.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RangeCredential {
    /// The issuing regulator.
    pub issuer: String,
    /// The schema.
    pub schema: String,
    /// The holder's ed25519 public key.
    pub holder_key: [u8; 32],
    /// Last valid day.
    pub expiry: u32,
    /// Whether the issuer revoked it.
    pub revoked: bool,
}

/// What the verifier reads from the ledger.
pub trait LedgerView {
    /// Whether `root` is in the window of recent roots the ledger accepts.
    fn root_in_window(&self, root: &Fr) -> bool;
    /// Whether `issuer` is a registered regulator authorised to issue `schema`.
    fn issuer_authorised(&self, issuer: &str, schema: &str) -> bool;
    /// The registered Pedersen credential with this commitment, if any.
    fn range_credential(&self, commitment: &[u8; 32]) -> Option<RangeCredential>;
    /// Fingerprint of the predicate circuit's verifying key registered on the ledger.
    fn registered_fingerprint(&self) -> Option<[u8; 32]>;
}

/// Why a challenge cannot be consumed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChallengeError {
    /// This verifier never issued the challenge.
    #[error("challenge was not issued by this verifier")]
    Unknown,
    /// The challenge was already used by an accepted presentation.
    #[error("challenge was already used")]
    Replayed,
    /// The verifier could not read or record the challenge (its storage
    /// failed); nothing was accepted.
    #[error("the challenge store failed: {0}")]
    Unavailable(String),
}

/// Single-use challenges issued by a verifier.
pub trait ChallengeBook {
    /// Marks `challenge` as used; fails if unknown or used before. Must be atomic.
    fn consume(&self, challenge: &str) -> Result<(), ChallengeError>;
}

/// An in-memory [`ChallengeBook`] (a bank verifying in-process).
#[derive(Default, Debug)]
pub struct MemoryChallengeBook {
    // challenge -> used?
    entries: Mutex<HashMap<String, bool>>,
}

impl MemoryChallengeBook {
    /// Records a challenge this verifier issued. Issuing a challenge again
    /// never makes a used one usable again.
    pub fn issue(&self, challenge: &str) {
        self.entries.lock().unwrap_or_else(|e| e.into_inner()).entry(challenge.to_owned()).or_insert(false);
    }
}

impl ChallengeBook for MemoryChallengeBook {
    fn consume(&self, challenge: &str) -> Result<(), ChallengeError> {
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        match entries.get_mut(challenge) {
            None => Err(ChallengeError::Unknown),
            Some(used) if *used => Err(ChallengeError::Replayed),
            Some(used) => {
                *used = true;
                Ok(())
            }
        }
    }
}

/// The verifier's clock.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Clock {
    /// Now, Unix seconds.
    pub now: u64,
    /// How many days a proof's `today` may differ from the verifier's.
    pub day_tolerance: u32,
}

impl Clock {
    /// The system clock with a tolerance of one day.
    pub fn system() -> Self {
        Clock { now: zkreg_circuits::clock::unix_now(), day_tolerance: 1 }
    }

    /// Today, in days since 1970-01-01.
    pub fn today(&self) -> u32 {
        zkreg_circuits::clock::day_of(self.now)
    }
}

/// A successful verification.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Verified {
    /// The holder's pseudonym under the request's scope (if any Groth16 proof).
    pub pseudonym: Option<String>,
    /// Number of predicates proven.
    pub predicates: usize,
    /// Whether a Bulletproofs proof was used (its commitment links presentations).
    pub linkable: bool,
}

/// Why a presentation is refused. [`VerifyError::code`] gives a stable code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VerifyError {
    /// The request itself is malformed or mixes backends (any
    /// [`RequestError`] from [`ProofRequest::validate`]). Its code is
    /// `bad_request`; [`RequestError::code`] names the reason.
    #[error("invalid request: {0}")]
    BadRequest(#[from] RequestError),
    /// The request's expiry has passed.
    #[error("the request expired")]
    RequestExpired,
    /// The presentation names a format version this build does not know.
    #[error("unsupported presentation version {0}")]
    UnsupportedVersion(u32),
    /// The presentation does not echo the request's challenge.
    #[error("presentation answers another challenge")]
    ChallengeMismatch,
    /// The challenge is unknown to this verifier or was used before.
    #[error(transparent)]
    Challenge(#[from] ChallengeError),
    /// The ledger registers no key, or another key, for the predicate circuit.
    #[error("verifying key fingerprint does not match the one registered on the ledger")]
    KeyNotRegistered,
    /// The presentation does not have one proof per predicate.
    #[error("expected {expected} proofs, got {got}")]
    WrongProofCount {
        /// Predicates in the request.
        expected: usize,
        /// Proofs in the presentation.
        got: usize,
    },
    /// A proof names a predicate index the request does not have, or one twice.
    #[error("proof {0} answers a missing or already answered predicate")]
    BadPredicateIndex(usize),
    /// A proof uses another backend than its predicate asks for.
    #[error("proof {0} uses another backend than requested")]
    BackendMismatch(usize),
    /// The issuer is not among the request's allowed issuers.
    #[error("proof {0}: issuer not allowed by the request")]
    IssuerNotAllowed(usize),
    /// The issuer is not authorised for the schema on the ledger.
    #[error("proof {0}: issuer not authorised for the schema on the ledger")]
    IssuerNotAuthorised(usize),
    /// The proof's day is too far from the verifier's.
    #[error("proof {0}: day out of tolerance")]
    DayOutOfTolerance(usize),
    /// The Groth16 proof's root is not in the ledger's window (too old, or never a root).
    #[error("proof {0}: root not in the ledger's accepted window")]
    RootNotInWindow(usize),
    /// The Groth16 proof bytes are malformed or invalid points.
    #[error("proof {index}: {error}")]
    MalformedProof {
        /// Position of the proof.
        index: usize,
        /// What was wrong.
        error: ProofError,
    },
    /// The Groth16 proof does not verify for the request.
    #[error("proof {0} does not verify")]
    ProofRejected(usize),
    /// Groth16 proofs carry different pseudonyms: they are from different holders.
    #[error("proofs carry different pseudonyms")]
    PseudonymMismatch,
    /// Bulletproofs proofs are for credentials of different holder keys:
    /// they are from different holders.
    #[error("range proofs are for credentials of different holders")]
    HolderMismatch,
    /// The Bulletproofs commitment is not 32 bytes of hex.
    #[error("proof {0}: malformed commitment")]
    MalformedCommitment(usize),
    /// No Pedersen credential with this commitment is registered.
    #[error("proof {0}: unknown credential")]
    UnknownCredential(usize),
    /// The Pedersen credential was revoked.
    #[error("proof {0}: credential revoked")]
    Revoked(usize),
    /// The registered credential is of another issuer or schema.
    #[error("proof {0}: credential is of another issuer or schema")]
    CredentialMismatch(usize),
    /// The Bulletproofs presentation does not verify.
    #[error("proof {index}: {error}")]
    Range {
        /// Position of the proof.
        index: usize,
        /// What was wrong.
        error: RangeVerifyError,
    },
}

impl VerifyError {
    /// A stable machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            VerifyError::BadRequest(_) => "bad_request",
            VerifyError::RequestExpired => "request_expired",
            VerifyError::UnsupportedVersion(_) => "unsupported_version",
            VerifyError::ChallengeMismatch => "challenge_mismatch",
            VerifyError::Challenge(ChallengeError::Unknown) => "challenge_unknown",
            VerifyError::Challenge(ChallengeError::Replayed) => "challenge_replayed",
            VerifyError::Challenge(ChallengeError::Unavailable(_)) => "unavailable",
            VerifyError::KeyNotRegistered => "key_not_registered",
            VerifyError::WrongProofCount { .. } => "wrong_proof_count",
            VerifyError::BadPredicateIndex(_) => "bad_predicate_index",
            VerifyError::BackendMismatch(_) => "backend_mismatch",
            VerifyError::IssuerNotAllowed(_) => "issuer_not_allowed",
            VerifyError::IssuerNotAuthorised(_) => "issuer_not_authorised",
            VerifyError::DayOutOfTolerance(_) => "day_out_of_tolerance",
            VerifyError::RootNotInWindow(_) => "root_not_in_window",
            VerifyError::MalformedProof { .. } => "malformed_proof",
            VerifyError::ProofRejected(_) => "proof_rejected",
            VerifyError::PseudonymMismatch => "pseudonym_mismatch",
            VerifyError::HolderMismatch => "holder_mismatch",
            VerifyError::MalformedCommitment(_) => "malformed_commitment",
            VerifyError::UnknownCredential(_) => "unknown_credential",
            VerifyError::Revoked(_) => "credential_revoked",
            VerifyError::CredentialMismatch(_) => "credential_mismatch",
            VerifyError::Range { .. } => "range_proof_rejected",
        }
    }
}

/// Verifies `presentation` against `request`; see the module docs for the checks.
pub fn verify_presentation<L: LedgerView, C: ChallengeBook, R: RngCore + CryptoRng>(
    verifier: &PredicateVerifier,
    request: &ProofRequest,
    presentation: &Presentation,
    ledger: &L,
    challenges: &C,
    clock: Clock,
    rng: &mut R,
) -> Result<Verified, VerifyError> {
    verify_presentations(verifier, &[(request, presentation)], ledger, challenges, clock, rng)
        .pop()
        .unwrap_or_else(|| unreachable!("one result per presentation"))
}

/// Verifies many presentations, each against its request, with the Groth16
/// proofs of all of them in one batch equation (one multi-Miller loop, one
/// final exponentiation). Returns one result per presentation, in order; a
/// presentation is accepted, and its challenge consumed, exactly when
/// [`verify_presentation`] alone would accept it.
pub fn verify_presentations<L: LedgerView, C: ChallengeBook, R: RngCore + CryptoRng>(
    verifier: &PredicateVerifier,
    items: &[(&ProofRequest, &Presentation)],
    ledger: &L,
    challenges: &C,
    clock: Clock,
    rng: &mut R,
) -> Vec<Result<Verified, VerifyError>> {
    let mut results: Vec<Result<Checked, VerifyError>> =
        items.iter().map(|(request, presentation)| check(verifier, request, presentation, ledger, clock, rng)).collect();
    // Every Groth16 proof of every presentation still standing, tagged with
    // its presentation and its index within it.
    let mut groth = Vec::new();
    let mut owner = Vec::new();
    for (at, checked) in results.iter_mut().enumerate() {
        if let Ok(checked) = checked {
            for (index, item) in checked.groth.drain(..) {
                groth.push(item);
                owner.push((at, index));
            }
        }
    }
    if let Err(BatchError::Invalid(bad)) = verifier.verify_batch(&groth, rng) {
        for b in bad {
            let (at, index) = owner[b];
            if results[at].is_ok() {
                results[at] = Err(VerifyError::ProofRejected(index));
            }
        }
    }
    results
        .into_iter()
        .zip(items)
        .map(|(checked, (request, _))| {
            let checked = checked?;
            challenges.consume(&request.challenge)?;
            Ok(checked.verified)
        })
        .collect()
}

/// A presentation that passed every check but its Groth16 equations.
struct Checked {
    /// Its Groth16 proofs, by index in the presentation, not yet verified.
    groth: Vec<(usize, (Proof<Bn254>, PublicInputs))>,
    verified: Verified,
}

/// Every check of one presentation except its Groth16 equations and the
/// challenge's single use.
fn check<L: LedgerView, R: RngCore + CryptoRng>(
    verifier: &PredicateVerifier,
    request: &ProofRequest,
    presentation: &Presentation,
    ledger: &L,
    clock: Clock,
    rng: &mut R,
) -> Result<Checked, VerifyError> {
    request.validate()?;
    if clock.now > request.expires_at {
        return Err(VerifyError::RequestExpired);
    }
    if presentation.version != PRESENTATION_VERSION {
        return Err(VerifyError::UnsupportedVersion(presentation.version));
    }
    if presentation.challenge != request.challenge {
        return Err(VerifyError::ChallengeMismatch);
    }
    if presentation.proofs.len() != request.predicates.len() {
        return Err(VerifyError::WrongProofCount { expected: request.predicates.len(), got: presentation.proofs.len() });
    }
    let mut answered = vec![false; request.predicates.len()];
    let mut groth = Vec::new();
    let mut pseudonym: Option<Fr> = None;
    let mut holder_key: Option<[u8; 32]> = None;
    let mut linkable = false;
    let today = clock.today();
    for (index, proof) in presentation.proofs.iter().enumerate() {
        let slot = answered.get_mut(proof.predicate()).filter(|done| !**done).ok_or(VerifyError::BadPredicateIndex(index))?;
        *slot = true;
        let spec = &request.predicates[proof.predicate()];
        let (issuer, day, backend) = match proof {
            CredentialProof::Groth16(p) => (&p.issuer, p.today, Backend::Groth16),
            CredentialProof::Bulletproofs(p) => (&p.issuer, p.today, Backend::Bulletproofs),
        };
        if backend != spec.backend {
            return Err(VerifyError::BackendMismatch(index));
        }
        if !spec.allowed_issuers.is_empty() && !spec.allowed_issuers.iter().any(|i| i == issuer) {
            return Err(VerifyError::IssuerNotAllowed(index));
        }
        if !ledger.issuer_authorised(issuer, &spec.schema) {
            return Err(VerifyError::IssuerNotAuthorised(index));
        }
        if day.abs_diff(today) > clock.day_tolerance {
            return Err(VerifyError::DayOutOfTolerance(index));
        }
        match proof {
            CredentialProof::Groth16(p) => {
                if ledger.registered_fingerprint() != Some(verifier.fingerprint()) {
                    return Err(VerifyError::KeyNotRegistered);
                }
                if !ledger.root_in_window(&p.root) {
                    return Err(VerifyError::RootNotInWindow(index));
                }
                if *pseudonym.get_or_insert(p.pseudonym) != p.pseudonym {
                    return Err(VerifyError::PseudonymMismatch);
                }
                let decoded = decode_proof_hex(&p.proof).map_err(|error| VerifyError::MalformedProof { index, error })?;
                groth.push((index, (decoded, p.public_inputs(request)?)));
            }
            CredentialProof::Bulletproofs(p) => {
                linkable = true;
                let bytes: [u8; 32] = hex::decode(&p.commitment)
                    .ok()
                    .and_then(|b| b.try_into().ok())
                    .ok_or(VerifyError::MalformedCommitment(index))?;
                let record = ledger.range_credential(&bytes).ok_or(VerifyError::UnknownCredential(index))?;
                if record.revoked {
                    return Err(VerifyError::Revoked(index));
                }
                if record.issuer != p.issuer || record.schema != spec.schema {
                    return Err(VerifyError::CredentialMismatch(index));
                }
                if *holder_key.get_or_insert(record.holder_key) != record.holder_key {
                    return Err(VerifyError::HolderMismatch);
                }
                let (lo, hi) = spec.operator.bounds()?;
                let statement = RangeStatement {
                    challenge: request.challenge_field(),
                    scope: request.scope_field(),
                    schema: spec.schema.clone(),
                    issuer: p.issuer.clone(),
                    lo,
                    hi,
                    today: p.today,
                    commitment: CompressedRistretto(bytes),
                    holder_key: record.holder_key,
                    expiry: record.expiry,
                };
                verify_range_with_rng(&statement, &p.bundle, rng).map_err(|error| VerifyError::Range { index, error })?;
            }
        }
    }
    let verified = Verified { pseudonym: pseudonym.as_ref().map(fr_to_hex), predicates: presentation.proofs.len(), linkable };
    Ok(Checked { groth, verified })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn challenges_are_single_use_even_if_issued_again() {
        let book = MemoryChallengeBook::default();
        assert_eq!(book.consume("c1"), Err(ChallengeError::Unknown));
        book.issue("c1");
        assert_eq!(book.consume("c1"), Ok(()));
        assert_eq!(book.consume("c1"), Err(ChallengeError::Replayed));
        book.issue("c1");
        assert_eq!(book.consume("c1"), Err(ChallengeError::Replayed));
    }
}
