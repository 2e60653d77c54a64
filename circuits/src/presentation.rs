//! Presentations: what a holder sends back for a [`ProofRequest`].
//!
//! A presentation carries one proof per predicate of the request. A Groth16
//! proof carries only what the verifier cannot recompute from the request
//! (root, day, pseudonym, the issuer it claims); the verifier rebuilds the
//! full public-input vector itself, so a presentation cannot smuggle in other
//! bounds, another scope or another challenge.

use ark_bn254::Fr;
use serde::{Deserialize, Serialize};

use crate::field::{label, LabelDomain};
use crate::predicate::PublicInputs;
use crate::range_statement::RangeProofBundle;
use crate::request::{ProofRequest, RequestError};

/// Current version of the presentation format.
pub const PRESENTATION_VERSION: u32 = 1;

/// A Groth16 predicate proof.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Groth16Proof {
    /// Index of the request predicate this proof answers.
    pub predicate: usize,
    /// The issuer of the credential (must be allowed by the request and authorised on the ledger).
    pub issuer: String,
    /// Commitment-tree root the proof is against (must be in the ledger's window).
    #[serde(with = "crate::serde_fr::hex_fr")]
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub root: Fr,
    /// The day the proof speaks for (days since 1970-01-01).
    pub today: u32,
    /// The holder's pseudonym under the request's scope.
    #[serde(with = "crate::serde_fr::hex_fr")]
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub pseudonym: Fr,
    /// The proof: compressed `A ‖ B ‖ C`, 128 bytes, hex.
    pub proof: String,
}

/// A Bulletproofs range presentation of a Pedersen credential (linkable: the
/// commitment is visible).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct BulletproofsProof {
    /// Index of the request predicate this proof answers.
    pub predicate: usize,
    /// The issuer of the credential.
    pub issuer: String,
    /// The registered Pedersen commitment, 32 bytes, hex.
    pub commitment: String,
    /// The day the proof speaks for.
    pub today: u32,
    /// Range proof and holder signature.
    pub bundle: RangeProofBundle,
}

/// One proof of a presentation.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "backend", rename_all = "lowercase")]
pub enum CredentialProof {
    /// Groth16 predicate proof.
    Groth16(Groth16Proof),
    /// Bulletproofs range proof.
    Bulletproofs(BulletproofsProof),
}

impl CredentialProof {
    /// Index of the request predicate this proof answers.
    pub fn predicate(&self) -> usize {
        match self {
            CredentialProof::Groth16(p) => p.predicate,
            CredentialProof::Bulletproofs(p) => p.predicate,
        }
    }
}

/// A holder's answer to a request.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Presentation {
    /// Format version ([`PRESENTATION_VERSION`]).
    pub version: u32,
    /// The request's challenge, echoed.
    pub challenge: String,
    /// One proof per predicate.
    pub proofs: Vec<CredentialProof>,
}

impl Groth16Proof {
    /// The full public-input vector of this proof under `request`.
    pub fn public_inputs(&self, request: &ProofRequest) -> Result<PublicInputs, RequestError> {
        let spec = request.predicates.get(self.predicate).ok_or(RequestError::PredicateCount)?;
        let (lo, hi) = spec.operator.bounds()?;
        Ok(PublicInputs {
            root: self.root,
            schema_id: label(LabelDomain::Schema, &spec.schema),
            issuer_id: label(LabelDomain::Issuer, &self.issuer),
            lo,
            hi,
            today: self.today,
            scope: request.scope_field(),
            challenge: request.challenge_field(),
            pseudonym: self.pseudonym,
        })
    }
}
