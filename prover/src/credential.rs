//! Credential openings: what a regulator hands a holder after issuing.

use ark_bn254::Fr;
use ark_ff::UniformRand;
use rand::{CryptoRng, RngCore};
use serde::{Deserialize, Serialize};

use zkreg_circuits::commitment::CredentialFields;
use zkreg_circuits::constants::COMMITMENT_VERSION;
use zkreg_circuits::field::{label, LabelDomain};

/// Errors about a credential opening.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CredentialError {
    /// The opening's fields do not hash to its commitment for this holder.
    #[error("credential opening does not match its commitment for this holder")]
    CommitmentMismatch,
    /// The opening was written for another commitment version (v1 files
    /// predate the ledger-computed leaf; no v2 ledger holds their leaves).
    #[error("credential uses commitment v{0}, this wallet proves v{COMMITMENT_VERSION} only: ask the regulator to issue it again")]
    UnsupportedVersion(u32),
}

fn v1() -> u32 {
    1
}

/// The opening of a Groth16 credential commitment: the values, the salt and
/// where the commitment sits in the tree. `Debug` hides value and salt.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CredentialOpening {
    /// The commitment version ([`COMMITMENT_VERSION`]); files without one are v1.
    #[serde(default = "v1")]
    pub version: u32,
    /// Schema name, e.g. `credit-score`.
    pub schema: String,
    /// Issuer name (a regulator registered on the ledger).
    pub issuer: String,
    /// The committed value.
    pub value: u64,
    /// Last valid day (days since 1970-01-01).
    pub expiry: u32,
    /// Random salt of the commitment.
    #[serde(with = "zkreg_circuits::serde_fr::hex_fr")]
    pub salt: Fr,
    /// The commitment `cm` (the tree leaf).
    #[serde(with = "zkreg_circuits::serde_fr::hex_fr")]
    pub commitment: Fr,
    /// Position of `cm` in the tree, once the ledger has appended it.
    pub leaf_index: Option<u64>,
}

impl std::fmt::Debug for CredentialOpening {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CredentialOpening")
            .field("schema", &self.schema)
            .field("issuer", &self.issuer)
            .field("leaf_index", &self.leaf_index)
            .finish_non_exhaustive()
    }
}

impl CredentialOpening {
    /// Issuer side: a new credential for `holder_id` with a fresh salt.
    pub fn issue<R: RngCore + CryptoRng>(
        schema: &str,
        issuer: &str,
        holder_id: Fr,
        value: u64,
        expiry: u32,
        rng: &mut R,
    ) -> Self {
        let salt = Fr::rand(rng);
        let mut opening = CredentialOpening {
            version: COMMITMENT_VERSION,
            schema: schema.to_owned(),
            issuer: issuer.to_owned(),
            value,
            expiry,
            salt,
            commitment: Fr::from(0u64),
            leaf_index: None,
        };
        opening.commitment = opening.fields(holder_id).commitment();
        opening
    }

    /// The committed fields for `holder_id`.
    pub fn fields(&self, holder_id: Fr) -> CredentialFields {
        CredentialFields {
            schema_id: label(LabelDomain::Schema, &self.schema),
            issuer_id: label(LabelDomain::Issuer, &self.issuer),
            holder_id,
            value: self.value,
            expiry: self.expiry,
            salt: self.salt,
        }
    }

    /// `inner = Poseidon(holder_id, value, expiry, salt)`: what the regulator
    /// submits; the ledger turns it into the leaf [`Self::commitment`].
    pub fn inner(&self, holder_id: Fr) -> Fr {
        self.fields(holder_id).inner()
    }

    /// Checks the version, and that the opening hashes to its commitment for `holder_id`.
    pub fn check(&self, holder_id: Fr) -> Result<(), CredentialError> {
        if self.version != COMMITMENT_VERSION {
            return Err(CredentialError::UnsupportedVersion(self.version));
        }
        if self.fields(holder_id).commitment() != self.commitment {
            return Err(CredentialError::CommitmentMismatch);
        }
        Ok(())
    }
}
