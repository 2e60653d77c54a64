//! Proving a Bulletproofs range presentation (the transparent backend).
//!
//! [`prove_range`] shows that the value inside a registered Pedersen
//! commitment lies in `[lo, hi]`, and signs the presentation with the
//! holder's ed25519 key. The value stays hidden, but **the presentation is
//! linkable**: it names the credential's commitment `C`, so every verifier
//! (and the ledger) can tell that two presentations come from the same
//! credential. Use the Groth16 predicate proofs when that matters. The
//! protocol is described in [`zkreg_circuits::range_statement`].

use bulletproofs::{ProofError, RangeProof};
use ed25519_dalek::{Signer, SigningKey};
use rand::{CryptoRng, RngCore};
use zkreg_circuits::constants::RANGE_BITS;
use zkreg_circuits::range_statement::{
    bulletproof_gens, pedersen_gens, PedersenOpening, RangeProofBundle, RangeStatement, TranscriptProtocol,
};

/// Why the holder's side refused to produce, or failed to produce, a range
/// presentation. Secrets (the value, the blinding) never appear in it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RangeProveError {
    /// The statement's bounds are inverted (`lo > hi`): no value satisfies them.
    #[error("bounds are inverted: lo = {lo} > hi = {hi}")]
    BoundsInverted {
        /// The requested lower bound.
        lo: u64,
        /// The requested upper bound.
        hi: u64,
    },
    /// The committed value is outside `[lo, hi]`: a proof would be a lie and
    /// could not verify.
    #[error("the committed value is outside [{lo}, {hi}]")]
    ValueOutOfRange {
        /// The requested lower bound.
        lo: u64,
        /// The requested upper bound.
        hi: u64,
    },
    /// The credential expired before the statement's `today`.
    #[error("the credential expired on day {expiry}, before day {today}")]
    Expired {
        /// The credential's last valid day.
        expiry: u32,
        /// The verifier's current day.
        today: u32,
    },
    /// The opening does not open the statement's commitment (wrong
    /// credential, or a corrupted opening).
    #[error("the opening does not match the statement's commitment")]
    CommitmentMismatch,
    /// The signing key is not the holder key the statement names.
    #[error("the signing key does not match the statement's holder key")]
    HolderKeyMismatch,
    /// The Bulletproofs prover itself failed (only possible if the
    /// generators or parameters are inconsistent).
    #[error("bulletproofs prover failed: {0}")]
    Proving(#[from] ProofError),
}

/// Produces a range presentation for `statement` from the credential's
/// `opening` and the holder's ed25519 key.
///
/// Refuses, with an error, when `lo > hi`, when the value is outside
/// `[lo, hi]`, when the credential has expired, when `opening` does not open
/// `statement.commitment`, or when `holder` is not `statement.holder_key`.
/// The result is what [`zkreg_circuits::range_statement`] describes: one
/// aggregated 64-bit range proof for `value - lo` and `hi - value`, and the
/// holder's signature over the transcript's holder-binding challenge.
pub fn prove_range<R: RngCore + CryptoRng>(
    opening: &PedersenOpening,
    statement: &RangeStatement,
    holder: &SigningKey,
    rng: &mut R,
) -> Result<RangeProofBundle, RangeProveError> {
    let (lo, hi) = (statement.lo, statement.hi);
    if lo > hi {
        return Err(RangeProveError::BoundsInverted { lo, hi });
    }
    if statement.expiry < statement.today {
        return Err(RangeProveError::Expired { expiry: statement.expiry, today: statement.today });
    }
    if opening.commit() != statement.commitment {
        return Err(RangeProveError::CommitmentMismatch);
    }
    if holder.verifying_key().to_bytes() != statement.holder_key {
        return Err(RangeProveError::HolderKeyMismatch);
    }
    let (Some(above_lo), Some(below_hi)) = (opening.value.checked_sub(lo), hi.checked_sub(opening.value)) else {
        return Err(RangeProveError::ValueOutOfRange { lo, hi });
    };

    let mut transcript = statement.transcript();
    let (proof, _commitments) = RangeProof::prove_multiple_with_rng(
        bulletproof_gens(),
        &pedersen_gens(),
        &mut transcript,
        &[above_lo, below_hi],
        &[opening.blinding, -opening.blinding],
        RANGE_BITS,
        rng,
    )?;
    let challenge = transcript.holder_binding_challenge();
    let signature = holder.sign(&challenge).to_bytes();
    Ok(RangeProofBundle { proof: proof.to_bytes(), signature })
}

#[cfg(test)]
mod tests {
    use super::*;
    use curve25519_dalek::scalar::Scalar;
    use rand::SeedableRng;
    use rand_chacha::ChaCha20Rng;
    use zkreg_circuits::range_statement::derived_commitments;
    use zkreg_circuits::Fr;

    fn setup(value: u64, lo: u64, hi: u64) -> (PedersenOpening, RangeStatement, SigningKey, ChaCha20Rng) {
        let mut rng = ChaCha20Rng::seed_from_u64(42);
        let opening = PedersenOpening::random(value, &mut rng);
        let holder = SigningKey::generate(&mut rng);
        let statement = RangeStatement {
            challenge: Fr::from(1u64),
            scope: Fr::from(2u64),
            schema: "credit-score".into(),
            issuer: "regulator".into(),
            lo,
            hi,
            today: 100,
            commitment: opening.commit(),
            holder_key: holder.verifying_key().to_bytes(),
            expiry: 200,
        };
        (opening, statement, holder, rng)
    }

    #[test]
    fn proof_commits_to_the_derived_commitments() {
        let (opening, statement, _, mut rng) = setup(700, 600, 850);
        let mut transcript = statement.transcript();
        let (_, commitments) = RangeProof::prove_multiple_with_rng(
            bulletproof_gens(),
            &pedersen_gens(),
            &mut transcript,
            &[100, 150],
            &[opening.blinding, -opening.blinding],
            RANGE_BITS,
            &mut rng,
        )
        .unwrap();
        let c = pedersen_gens().commit(Scalar::from(opening.value), opening.blinding);
        assert_eq!(commitments, derived_commitments(&c, 600, 850).to_vec());
    }

    #[test]
    fn refuses_bad_requests() {
        let (opening, statement, holder, mut rng) = setup(700, 600, 850);
        let bundle = prove_range(&opening, &statement, &holder, &mut rng).unwrap();
        assert_eq!(bundle.proof.len(), zkreg_circuits::range_statement::RANGE_PROOF_LEN);

        let s = RangeStatement { lo: 701, hi: 700, ..statement.clone() };
        assert_eq!(
            prove_range(&opening, &s, &holder, &mut rng),
            Err(RangeProveError::BoundsInverted { lo: 701, hi: 700 })
        );
        let s = RangeStatement { lo: 701, ..statement.clone() };
        assert_eq!(
            prove_range(&opening, &s, &holder, &mut rng),
            Err(RangeProveError::ValueOutOfRange { lo: 701, hi: 850 })
        );
        let s = RangeStatement { hi: 699, ..statement.clone() };
        assert_eq!(
            prove_range(&opening, &s, &holder, &mut rng),
            Err(RangeProveError::ValueOutOfRange { lo: 600, hi: 699 })
        );
        let s = RangeStatement { today: 201, ..statement.clone() };
        assert_eq!(
            prove_range(&opening, &s, &holder, &mut rng),
            Err(RangeProveError::Expired { expiry: 200, today: 201 })
        );
        let other = PedersenOpening::random(700, &mut rng);
        assert_eq!(prove_range(&other, &statement, &holder, &mut rng), Err(RangeProveError::CommitmentMismatch));
        let stranger = SigningKey::generate(&mut rng);
        assert_eq!(prove_range(&opening, &statement, &stranger, &mut rng), Err(RangeProveError::HolderKeyMismatch));
    }

    #[test]
    fn error_messages_hide_the_value() {
        let (opening, statement, holder, mut rng) = setup(123_456_789, 0, 10);
        let err = prove_range(&opening, &statement, &holder, &mut rng).unwrap_err();
        assert!(!err.to_string().contains("123456789"));
        assert!(!format!("{err:?}").contains("123456789"));
    }
}
