//! Verifying a Bulletproofs range presentation (the transparent backend).
//!
//! [`verify_range`] checks that the value inside a credential's registered
//! Pedersen commitment lies in `[lo, hi]`, that the credential has not
//! expired, and that the presentation is signed by the holder key registered
//! with the commitment. The verifier learns nothing about the value beyond
//! the range, but **presentations are linkable**: the statement names the
//! commitment `C`, the same for every presentation of that credential. The
//! protocol is described in [`zkreg_circuits::range_statement`].
//!
//! Build the [`RangeStatement`] from your own request (challenge, scope,
//! schema, issuer, bounds, today) and from the ledger's record of the
//! credential (commitment, holder key, expiry), never from the holder's
//! message: the two commitments the range proof is about are derived here
//! from `C` and the bounds.

use bulletproofs::RangeProof;
use curve25519_dalek::edwards::CompressedEdwardsY;
use ed25519_dalek::{Signature, VerifyingKey};
use rand::{CryptoRng, RngCore};
use zkreg_circuits::constants::RANGE_BITS;
use zkreg_circuits::range_statement::{
    bulletproof_gens, derived_commitments, pedersen_gens, RangeProofBundle, RangeStatement, TranscriptProtocol,
    RANGE_PROOF_LEN,
};

/// Why a range presentation was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RangeVerifyError {
    /// The statement's bounds are inverted (`lo > hi`).
    #[error("bounds are inverted: lo = {lo} > hi = {hi}")]
    BoundsInverted {
        /// The statement's lower bound.
        lo: u64,
        /// The statement's upper bound.
        hi: u64,
    },
    /// The credential's expiry day is before the statement's `today`.
    #[error("the credential expired on day {expiry}, before day {today}")]
    Expired {
        /// The credential's last valid day.
        expiry: u32,
        /// The verifier's current day.
        today: u32,
    },
    /// The statement's commitment bytes are not the canonical encoding of a
    /// Ristretto point.
    #[error("the credential commitment is not a valid Ristretto point")]
    InvalidCommitment,
    /// The statement's holder key bytes are not the canonical encoding of an
    /// Edwards point.
    #[error("the holder key is not a valid ed25519 public key")]
    MalformedHolderKey,
    /// The holder key is a point of small order, which would let anyone
    /// forge signatures.
    #[error("the holder key is a weak (small-order) ed25519 key")]
    WeakHolderKey,
    /// The proof bytes do not have the length of a 64-bit, 2-value range
    /// proof, or contain a non-canonical scalar.
    #[error("the range proof is malformed")]
    MalformedProof,
    /// The range proof does not verify for this statement: the value is out
    /// of range, the bounds, challenge, scope or any other statement field
    /// differ from the prover's, or the proof was tampered with.
    #[error("the range proof does not verify for this statement")]
    ProofRejected,
    /// The holder's signature over the holder-binding challenge does not
    /// verify (strictly) under the registered holder key.
    #[error("the holder's signature does not verify")]
    BadHolderSignature,
}

/// Verifies a range presentation against `statement`, with the thread-local
/// CSPRNG for the verifier's batching randomness.
///
/// See [`verify_range_with_rng`].
pub fn verify_range(statement: &RangeStatement, bundle: &RangeProofBundle) -> Result<(), RangeVerifyError> {
    verify_range_with_rng(statement, bundle, &mut rand::thread_rng())
}

/// Verifies a range presentation against `statement`.
///
/// Checks, in this order: `lo <= hi`, `expiry >= today`, that the commitment
/// and the holder key decode, the proof's encoding, the range proof against
/// the two commitments derived from `C`, `lo` and `hi`, and finally the
/// holder's signature over the transcript's holder-binding challenge with
/// `verify_strict`. Any input gives `Ok` or an error, never a panic.
pub fn verify_range_with_rng<R: RngCore + CryptoRng>(
    statement: &RangeStatement,
    bundle: &RangeProofBundle,
    rng: &mut R,
) -> Result<(), RangeVerifyError> {
    let (lo, hi) = (statement.lo, statement.hi);
    if lo > hi {
        return Err(RangeVerifyError::BoundsInverted { lo, hi });
    }
    if statement.expiry < statement.today {
        return Err(RangeVerifyError::Expired { expiry: statement.expiry, today: statement.today });
    }
    let c = statement.commitment.decompress().ok_or(RangeVerifyError::InvalidCommitment)?;
    let holder_key = holder_key(&statement.holder_key)?;

    if bundle.proof.len() != RANGE_PROOF_LEN {
        return Err(RangeVerifyError::MalformedProof);
    }
    let proof = RangeProof::from_bytes(&bundle.proof).map_err(|_| RangeVerifyError::MalformedProof)?;

    let mut transcript = statement.transcript();
    proof
        .verify_multiple_with_rng(
            bulletproof_gens(),
            &pedersen_gens(),
            &mut transcript,
            &derived_commitments(&c, lo, hi),
            RANGE_BITS,
            rng,
        )
        .map_err(|_| RangeVerifyError::ProofRejected)?;

    let challenge = transcript.holder_binding_challenge();
    holder_key
        .verify_strict(&challenge, &Signature::from_bytes(&bundle.signature))
        .map_err(|_| RangeVerifyError::BadHolderSignature)
}

/// Parses a registered holder key: a canonical encoding of a point that is
/// not of small order.
fn holder_key(bytes: &[u8; 32]) -> Result<VerifyingKey, RangeVerifyError> {
    let point = CompressedEdwardsY(*bytes).decompress().ok_or(RangeVerifyError::MalformedHolderKey)?;
    if point.compress().to_bytes() != *bytes {
        return Err(RangeVerifyError::MalformedHolderKey);
    }
    let key = VerifyingKey::from_bytes(bytes).map_err(|_| RangeVerifyError::MalformedHolderKey)?;
    if key.is_weak() {
        return Err(RangeVerifyError::WeakHolderKey);
    }
    Ok(key)
}
