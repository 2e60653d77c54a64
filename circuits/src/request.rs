//! Proof requests: what a verifier (a bank) asks a holder to prove.
//!
//! A request lists predicates over credential schemas (`>=`, `<=`, `==`,
//! `between`), the issuers the verifier accepts for each, a fresh challenge,
//! the verifier's scope (pseudonyms are per scope) and an expiry. Every
//! predicate is turned into inclusive 64-bit bounds `[lo, hi]` for the circuit.

use ark_bn254::Fr;
use serde::{Deserialize, Serialize};

use crate::field::{label, LabelDomain};

/// Current version of the request format.
pub const REQUEST_VERSION: u32 = 1;

/// Longest schema, issuer, scope or verifier name accepted.
pub const MAX_NAME_LEN: usize = 128;

/// Most predicates one request may carry.
pub const MAX_PREDICATES: usize = 16;

/// A comparison on a credential's value.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "op")]
pub enum Operator {
    /// `value >= value`.
    #[serde(rename = ">=")]
    AtLeast {
        /// The threshold.
        value: u64,
    },
    /// `value <= value`.
    #[serde(rename = "<=")]
    AtMost {
        /// The ceiling.
        value: u64,
    },
    /// `value == value`.
    #[serde(rename = "==")]
    Equals {
        /// The exact value.
        value: u64,
    },
    /// `lo <= value <= hi`.
    #[serde(rename = "between")]
    Between {
        /// Inclusive lower bound.
        lo: u64,
        /// Inclusive upper bound.
        hi: u64,
    },
}

impl Operator {
    /// Inclusive bounds `[lo, hi]` the circuit checks.
    pub fn bounds(&self) -> Result<(u64, u64), RequestError> {
        match *self {
            Operator::AtLeast { value } => Ok((value, u64::MAX)),
            Operator::AtMost { value } => Ok((0, value)),
            Operator::Equals { value } => Ok((value, value)),
            Operator::Between { lo, hi } if lo <= hi => Ok((lo, hi)),
            Operator::Between { .. } => Err(RequestError::EmptyRange),
        }
    }
}

/// Which proof system a predicate is to be proven with.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum Backend {
    /// Groth16 predicate circuit: hides the value and the credential, unlinkable across scopes.
    #[default]
    Groth16,
    /// Bulletproofs range proof: hides the value but the commitment is visible, so linkable.
    Bulletproofs,
}

/// One condition of a request. (Unknown fields are ignored here: serde
/// cannot refuse them next to the flattened operator.)
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PredicateSpec {
    /// The credential schema, e.g. `credit-score` or `licence.food-business`.
    pub schema: String,
    /// The comparison.
    #[serde(flatten)]
    pub operator: Operator,
    /// Issuers the verifier accepts; empty means any issuer the ledger authorises for the schema.
    #[serde(default)]
    pub allowed_issuers: Vec<String>,
    /// The proof system to use.
    #[serde(default)]
    pub backend: Backend,
}

/// A verifier's request for a presentation.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ProofRequest {
    /// Format version ([`REQUEST_VERSION`]).
    pub version: u32,
    /// Who asks (the verifier's registered name).
    pub verifier: String,
    /// The verifier's scope: holders get one stable pseudonym per scope.
    pub scope: String,
    /// Fresh random nonce, 32 bytes as 64 hex digits; single use.
    pub challenge: String,
    /// Unix time (seconds) after which the request is void.
    pub expires_at: u64,
    /// The conditions, all of which must hold.
    pub predicates: Vec<PredicateSpec>,
}

/// Errors in a request's contents.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RequestError {
    /// `between` with `lo > hi`: no value can satisfy it.
    #[error("predicate range is empty (lo > hi)")]
    EmptyRange,
    /// The request has no predicate, or more than [`MAX_PREDICATES`].
    #[error("a request carries 1 to {MAX_PREDICATES} predicates")]
    PredicateCount,
    /// The challenge is not 64 hex digits.
    #[error("challenge must be 32 bytes as 64 hex digits")]
    BadChallenge,
    /// A name is empty, too long, or has control characters.
    #[error("`{0}` must be 1 to {MAX_NAME_LEN} printable characters")]
    BadName(&'static str),
    /// The request names a version this build does not know.
    #[error("unsupported request version {0}")]
    UnsupportedVersion(u32),
}

fn check_name(s: &str, what: &'static str) -> Result<(), RequestError> {
    if s.is_empty() || s.len() > MAX_NAME_LEN || s.chars().any(char::is_control) {
        return Err(RequestError::BadName(what));
    }
    Ok(())
}

impl ProofRequest {
    /// Checks the request's shape: version, names, challenge, bounds.
    pub fn validate(&self) -> Result<(), RequestError> {
        if self.version != REQUEST_VERSION {
            return Err(RequestError::UnsupportedVersion(self.version));
        }
        check_name(&self.verifier, "verifier")?;
        check_name(&self.scope, "scope")?;
        if self.challenge.len() != 64 || !self.challenge.bytes().all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase()) {
            return Err(RequestError::BadChallenge);
        }
        if self.predicates.is_empty() || self.predicates.len() > MAX_PREDICATES {
            return Err(RequestError::PredicateCount);
        }
        for p in &self.predicates {
            check_name(&p.schema, "schema")?;
            for i in &p.allowed_issuers {
                check_name(i, "allowed_issuers")?;
            }
            p.operator.bounds()?;
        }
        Ok(())
    }

    /// The challenge as a circuit input: `label(Challenge, challenge)`.
    pub fn challenge_field(&self) -> Fr {
        label(LabelDomain::Challenge, &self.challenge)
    }

    /// The scope as a circuit input: `label(Scope, scope)`.
    pub fn scope_field(&self) -> Fr {
        label(LabelDomain::Scope, &self.scope)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(predicates: Vec<PredicateSpec>) -> ProofRequest {
        ProofRequest {
            version: 1,
            verifier: "bank-a".into(),
            scope: "bank-a/loans".into(),
            challenge: "ab".repeat(32),
            expires_at: 1_900_000_000,
            predicates,
        }
    }

    #[test]
    fn operators_become_inclusive_bounds() {
        assert_eq!(Operator::AtLeast { value: 700 }.bounds(), Ok((700, u64::MAX)));
        assert_eq!(Operator::AtMost { value: 5 }.bounds(), Ok((0, 5)));
        assert_eq!(Operator::Equals { value: 3 }.bounds(), Ok((3, 3)));
        assert_eq!(Operator::Between { lo: 3, hi: 9 }.bounds(), Ok((3, 9)));
        assert_eq!(Operator::Between { lo: 9, hi: 3 }.bounds(), Err(RequestError::EmptyRange));
    }

    #[test]
    fn json_form_is_stable() {
        let r = request(vec![PredicateSpec {
            schema: "credit-score".into(),
            operator: Operator::AtLeast { value: 700 },
            allowed_issuers: vec!["central-bank".into()],
            backend: Backend::Groth16,
        }]);
        let json = serde_json::to_value(&r).unwrap();
        assert_eq!(json["predicates"][0]["op"], ">=");
        assert_eq!(json["predicates"][0]["value"], 700);
        assert_eq!(serde_json::from_value::<ProofRequest>(json).unwrap(), r);
        let between: PredicateSpec =
            serde_json::from_str(r#"{"schema":"s","op":"between","lo":1,"hi":2}"#).unwrap();
        assert_eq!(between.operator, Operator::Between { lo: 1, hi: 2 });
        assert_eq!(between.backend, Backend::Groth16);
        assert!(serde_json::from_str::<PredicateSpec>(r#"{"schema":"s","op":"<>","value":1}"#).is_err());
        assert!(serde_json::from_str::<PredicateSpec>(r#"{"schema":"s","op":">=","value":-1}"#).is_err());
        assert!(serde_json::from_str::<PredicateSpec>(r#"{"schema":"s","op":">=","value":18446744073709551616}"#).is_err());
    }

    #[test]
    fn validation_rejects_bad_shapes() {
        let ok = request(vec![PredicateSpec {
            schema: "credit-score".into(),
            operator: Operator::AtLeast { value: 700 },
            allowed_issuers: vec![],
            backend: Backend::Groth16,
        }]);
        assert_eq!(ok.validate(), Ok(()));
        assert_eq!(request(vec![]).validate(), Err(RequestError::PredicateCount));
        let mut bad = ok.clone();
        bad.challenge = "AB".repeat(32);
        assert_eq!(bad.validate(), Err(RequestError::BadChallenge));
        bad.challenge = "ab".repeat(31);
        assert_eq!(bad.validate(), Err(RequestError::BadChallenge));
        let mut bad = ok.clone();
        bad.scope = String::new();
        assert_eq!(bad.validate(), Err(RequestError::BadName("scope")));
        let mut bad = ok.clone();
        bad.version = 2;
        assert_eq!(bad.validate(), Err(RequestError::UnsupportedVersion(2)));
        let mut bad = ok;
        bad.predicates[0].operator = Operator::Between { lo: 2, hi: 1 };
        assert_eq!(bad.validate(), Err(RequestError::EmptyRange));
    }
}
