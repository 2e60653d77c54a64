//! The role policy: what a key may do, from the ledger's registry and the
//! genesis; only active registered verifiers may call the bank endpoints,
//! and only under their own name.

use zkreg_registry::Registry;

use super::AuthError;
use crate::error::ApiError;

/// What a key may do, from the ledger's registry and the genesis.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    /// A root authority of the genesis: governs the registry.
    RootAuthority,
    /// A registered regulator, active or retired: issues and revokes credentials.
    Regulator,
    /// A verifier (bank) registered by governance and active: requests and verifies proofs.
    Verifier,
    /// Any other key, a retired verifier's included: public reads only.
    Unregistered,
}

/// The role of `key`.
pub fn role(registry: &Registry, authorities: &[[u8; 32]], key: &[u8; 32]) -> Role {
    // The ledger keeps active roles' keys apart (a retired regulator's key
    // may have become a verifier's since).
    if authorities.contains(key) {
        Role::RootAuthority
    } else if registry.verifier_by_key(key).is_some() {
        Role::Verifier
    } else if registry.regulator_keys.contains_key(key) || registry.regulators.values().any(|r| r.key == *key) {
        Role::Regulator
    } else {
        Role::Unregistered
    }
}

/// An authenticated bank call's signer: an active registered verifier.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Caller {
    /// The key that signed the call.
    pub key: [u8; 32],
    /// The name it is registered under: its requests' `verifier`, and the
    /// first part of their scopes.
    pub name: String,
}

impl Caller {
    /// Whether this verifier may ask for a request naming `verifier` with
    /// `scope`: only under its own name, and not under another verifier's
    /// scope (`<verifier>/<purpose>`), else 403 `forbidden`. The form of the
    /// scope itself is [`ProofRequest::validate`](zkreg_verifier::ProofRequest)'s to check.
    pub fn may_ask_as(&self, verifier: &str, scope: &str) -> Result<(), ApiError> {
        if verifier != self.name {
            return Err(ApiError::Forbidden(format!(
                "this key is registered as verifier {:?} and may ask only under that name, not {verifier:?}",
                self.name
            )));
        }
        if let Some((owner, _)) = scope.split_once('/') {
            if owner != self.name {
                return Err(ApiError::Forbidden(format!(
                    "scope {scope:?} belongs to verifier {owner:?}; this key's scopes are under {:?}/",
                    self.name
                )));
            }
        }
        Ok(())
    }
}

/// The registered verifier holding `key`, or why the key may not call the
/// bank endpoints.
pub fn registered_verifier(registry: &Registry, authorities: &[[u8; 32]], key: &[u8; 32]) -> Result<Caller, AuthError> {
    let refusal = match role(registry, authorities, key) {
        Role::Verifier => {
            if let Some(v) = registry.verifier_by_key(key) {
                return Ok(Caller { key: *key, name: v.name.clone() });
            }
            "this key is not a registered verifier"
        }
        Role::Regulator => "this key is a regulator's, not a registered verifier: regulators issue credentials, verifiers request and verify proofs",
        Role::RootAuthority => "this key is a root authority's, not a registered verifier: root authorities govern, verifiers request and verify proofs",
        Role::Unregistered => "this key is not a registered verifier: only keys that governance registered as active verifiers may request and verify proofs",
    };
    Err(AuthError::Forbidden(refusal.into()))
}
