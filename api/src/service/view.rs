//! The snapshot verifiers read, taken after every block, and the
//! verifier's view of the ledger built on it.

use std::sync::Arc;

use ark_bn254::Fr;

use zkreg_circuits::constants::PREDICATE_CIRCUIT_ID;
use zkreg_registry::state::CredentialKind;
use zkreg_registry::store::Store;
use zkreg_registry::{BlockHeader, Ledger, Registry};
use zkreg_verifier::{LedgerView, PredicateVerifier, RangeCredential};

use super::Node;
use crate::error::ApiError;

/// What verifiers read, taken after every block so that a verification
/// never waits for the ledger's lock.
pub struct View {
    /// The last applied block's header.
    pub tip: BlockHeader,
    /// `(height, root)` of the roots a proof may be made against now, oldest first.
    pub roots: Vec<(u64, Fr)>,
    /// Regulators, verifiers, schemas, verifying keys and counts after the tip.
    pub registry: Registry,
}

impl View {
    /// The snapshot of `ledger` now.
    pub fn of(ledger: &Ledger) -> Result<Self, ApiError> {
        Ok(View { tip: ledger.tip().clone(), roots: ledger.root_window()?, registry: ledger.registry().clone() })
    }
}

/// The verifier's view of the ledger: the snapshot plus direct reads of
/// credential records (Bulletproofs credentials are looked up by commitment).
pub struct NodeLedgerView<'a> {
    /// The snapshot.
    pub view: &'a View,
    /// Reads of committed credential records.
    pub store: &'a Store,
}

impl LedgerView for NodeLedgerView<'_> {
    fn root_in_window(&self, root: &Fr) -> bool {
        self.view.roots.iter().any(|(_, r)| r == root)
    }
    fn issuer_authorised(&self, issuer: &str, schema: &str) -> bool {
        self.view.registry.authorised(issuer, schema)
    }
    fn range_credential(&self, commitment: &[u8; 32]) -> Option<RangeCredential> {
        let record = self.store.credential(commitment).ok().flatten()?;
        match record.kind {
            CredentialKind::Bulletproofs { holder_key, expiry } => Some(RangeCredential {
                issuer: record.issuer,
                schema: record.schema,
                holder_key,
                expiry,
                revoked: record.revoked_at.is_some(),
            }),
            CredentialKind::Groth16 { .. } => None,
        }
    }
    fn registered_fingerprint(&self) -> Option<[u8; 32]> {
        self.view.registry.verifying_keys.get(PREDICATE_CIRCUIT_ID).map(|r| r.fingerprint)
    }
}

impl Node {
    /// The Groth16 verifier of the predicate circuit's registered key,
    /// decoded once per key and kept until governance registers another.
    pub fn predicate_verifier(&self, view: &View) -> Result<Arc<PredicateVerifier>, ApiError> {
        let record = view
            .registry
            .verifying_keys
            .get(PREDICATE_CIRCUIT_ID)
            .ok_or_else(|| ApiError::Unavailable("no verifying key is registered for the predicate circuit".into()))?;
        if let Some(v) = self.verifier.read().unwrap_or_else(|e| e.into_inner()).as_ref() {
            if v.fingerprint() == record.fingerprint {
                return Ok(v.clone());
            }
        }
        let vk = zkreg_verifier::groth16::decode_verifying_key(&record.key).map_err(|e| ApiError::caused("decoding the registered verifying key", e))?;
        let v = Arc::new(PredicateVerifier::new(vk).map_err(|e| ApiError::caused("preparing the registered verifying key", e))?);
        *self.verifier.write().unwrap_or_else(|e| e.into_inner()) = Some(v.clone());
        Ok(v)
    }

    /// The verifier's view of the ledger over `view`.
    pub fn ledger_view<'a>(&'a self, view: &'a View) -> NodeLedgerView<'a> {
        NodeLedgerView { view, store: &self.store }
    }
}
