//! Presentation assembly: one proof per predicate of a request, all from one
//! wallet, so every Groth16 proof carries the same pseudonym.

use ark_bn254::Fr;
use rand::{CryptoRng, RngCore};

use zkreg_circuits::presentation::{BulletproofsProof, CredentialProof, Groth16Proof, Presentation, PRESENTATION_VERSION};
use zkreg_circuits::range_statement::{PedersenOpening, RangeStatement};
use zkreg_circuits::request::{Backend, PredicateSpec, ProofRequest, RequestError};
use zkreg_circuits::tree::MerklePath;

use crate::credential::CredentialOpening;
use crate::groth16::{PredicateProver, ProofStatement, ProveError};
use crate::range::{prove_range, RangeProveError};
use crate::wallet::Wallet;

/// A Pedersen (Bulletproofs) credential held by the wallet. In JSON the
/// opening is `{"value", "blinding"}` (see [`PedersenOpening`]).
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RangeCredentialOpening {
    /// Schema name.
    pub schema: String,
    /// Issuer name.
    pub issuer: String,
    /// Last valid day (public on the ledger).
    pub expiry: u32,
    /// Value and blinding.
    pub opening: PedersenOpening,
}

/// A credential the wallet can prove from.
#[derive(Clone, Debug)]
pub enum HeldCredential {
    /// A Groth16 credential commitment in the tree.
    Groth16(CredentialOpening),
    /// A Pedersen credential registered on the ledger.
    Bulletproofs(RangeCredentialOpening),
}

/// Where the wallet gets Merkle paths and a recent root (a node, or a local tree).
pub trait PathSource {
    /// The path of `leaf_index` and the root it opens to.
    fn path(&self, leaf_index: u64) -> Result<(MerklePath, Fr), String>;
}

/// Errors from assembling a presentation.
#[derive(Debug, thiserror::Error)]
pub enum PresentationError {
    /// The request is malformed.
    #[error("invalid request: {0}")]
    Request(#[from] RequestError),
    /// No held credential can answer this predicate.
    #[error("no credential satisfies predicate {0}")]
    NoCredential(usize),
    /// The credential has no leaf index yet (the issuance is not on the ledger).
    #[error("credential has no leaf index yet")]
    NotYetOnLedger,
    /// The path could not be fetched.
    #[error("could not fetch the Merkle path: {0}")]
    Path(String),
    /// Groth16 proving failed.
    #[error(transparent)]
    Groth16(#[from] ProveError),
    /// Bulletproofs proving failed.
    #[error(transparent)]
    Range(#[from] RangeProveError),
}

fn issuer_allowed(spec: &PredicateSpec, issuer: &str) -> bool {
    spec.allowed_issuers.is_empty() || spec.allowed_issuers.iter().any(|i| i == issuer)
}

/// Whether `held` can answer `spec` on `today`.
fn answers(spec: &PredicateSpec, held: &HeldCredential, today: u32) -> bool {
    let Ok((lo, hi)) = spec.operator.bounds() else { return false };
    let (schema, issuer, value, expiry, backend) = match held {
        HeldCredential::Groth16(o) => (&o.schema, &o.issuer, o.value, o.expiry, Backend::Groth16),
        HeldCredential::Bulletproofs(o) => (&o.schema, &o.issuer, o.opening.value, o.expiry, Backend::Bulletproofs),
    };
    *schema == spec.schema && backend == spec.backend && issuer_allowed(spec, issuer) && (lo..=hi).contains(&value) && expiry >= today
}

/// Builds a presentation for `request` from the wallet's credentials.
pub fn build_presentation<P: PathSource, R: RngCore + CryptoRng>(
    prover: &PredicateProver,
    wallet: &Wallet,
    request: &ProofRequest,
    credentials: &[HeldCredential],
    paths: &P,
    today: u32,
    rng: &mut R,
) -> Result<Presentation, PresentationError> {
    request.validate()?;
    let mut proofs = Vec::with_capacity(request.predicates.len());
    for (predicate, spec) in request.predicates.iter().enumerate() {
        let held = credentials
            .iter()
            .find(|h| answers(spec, h, today))
            .ok_or(PresentationError::NoCredential(predicate))?;
        let (lo, hi) = spec.operator.bounds()?;
        proofs.push(match held {
            HeldCredential::Groth16(opening) => {
                let index = opening.leaf_index.ok_or(PresentationError::NotYetOnLedger)?;
                let (path, root) = paths.path(index).map_err(PresentationError::Path)?;
                let statement = ProofStatement { lo, hi, today, scope: request.scope_field(), challenge: request.challenge_field() };
                let (proof, public) = prover.prove(wallet, opening, &path, root, &statement, rng)?;
                CredentialProof::Groth16(Groth16Proof {
                    predicate,
                    issuer: opening.issuer.clone(),
                    root,
                    today,
                    pseudonym: public.pseudonym,
                    proof: zkreg_circuits::proof_codec::encode_proof_hex(&proof),
                })
            }
            HeldCredential::Bulletproofs(held) => {
                let commitment = held.opening.commit();
                let statement = RangeStatement {
                    challenge: request.challenge_field(),
                    scope: request.scope_field(),
                    schema: spec.schema.clone(),
                    issuer: held.issuer.clone(),
                    lo,
                    hi,
                    today,
                    commitment,
                    holder_key: wallet.auth_public(),
                    expiry: held.expiry,
                };
                let bundle = prove_range(&held.opening, &statement, wallet.auth_key(), rng)?;
                CredentialProof::Bulletproofs(BulletproofsProof {
                    predicate,
                    issuer: held.issuer.clone(),
                    commitment: hex::encode(commitment.as_bytes()),
                    today,
                    bundle,
                })
            }
        });
    }
    Ok(Presentation { version: PRESENTATION_VERSION, challenge: request.challenge.clone(), proofs })
}
