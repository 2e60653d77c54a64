//! Proof requests: what a verifier (a bank) asks a holder to prove.
//!
//! A request lists predicates over credential schemas (`>=`, `<=`, `==`,
//! `between`), the issuers the verifier accepts for each, a fresh challenge,
//! the verifier's scope (pseudonyms are per scope) and an expiry. Every
//! predicate is turned into inclusive 64-bit bounds `[lo, hi]` for the circuit.
//!
//! All of a request's predicates use one backend ([`RequestError::MixedBackends`]):
//! the two backends tie their proofs to one holder in different ways (equal
//! pseudonyms for Groth16, equal holder keys for Bulletproofs) and nothing
//! ties a Groth16 proof to a Bulletproofs one, so a mixed presentation could
//! combine two holders' credentials.
//!
//! A request may carry the verifier's ed25519 signature
//! ([`ProofRequest::sign`], [`ProofRequest::verify_signature`]) over
//! [`ProofRequest::signing_message`], so that a wallet can tell the verifier
//! registered under [`ProofRequest::verifier`] really asked. The node issues
//! requests unsigned and verification of a presentation does not need the
//! signature; it is for the holder.

use ark_bn254::Fr;
use serde::{Deserialize, Serialize};

use crate::field::{label, LabelDomain};

mod signature;

/// Current version of the request format.
pub const REQUEST_VERSION: u32 = 1;

/// Longest schema, issuer, scope or verifier name accepted.
pub const MAX_NAME_LEN: usize = 128;

/// Most predicates one request may carry.
pub const MAX_PREDICATES: usize = 16;

/// Most issuers one predicate may allow.
pub const MAX_ALLOWED_ISSUERS: usize = 8;

/// Length of [`ProofRequest::signature`]: a 64-byte ed25519 signature as lowercase hex.
pub const SIGNATURE_HEX_LEN: usize = 128;

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

    /// The bounds as written, `[lo, hi]` even if `lo > hi` (for the signing
    /// message, which must exist for any request).
    fn written_bounds(&self) -> (u64, u64) {
        match *self {
            Operator::Between { lo, hi } => (lo, hi),
            other => other.bounds().unwrap_or_else(|_| unreachable!("only `between` can be empty")),
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
    /// The conditions, all of which must hold. All use one backend.
    pub predicates: Vec<PredicateSpec>,
    /// The verifier's ed25519 signature over [`ProofRequest::signing_message`]
    /// under its registered key, 64 bytes as 128 lowercase hex digits (see
    /// [`ProofRequest::verify_signature`]). Optional: the node issues requests
    /// unsigned and the verifier's client signs them; a wallet uses it to
    /// check that the registered verifier really asked.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(pattern = "^[0-9a-f]{128}$", min_length = 128, max_length = 128))]
    pub signature: Option<String>,
}

/// Errors in a request's contents or its signature. [`RequestError::code`]
/// gives a stable machine-readable code.
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
    /// A name (verifier, scope, schema or issuer) is empty, longer than
    /// [`MAX_NAME_LEN`] bytes, or has control characters; or the verifier
    /// name has a `/` (a scope names its verifier by the part before the
    /// first `/`).
    #[error("`{0}` must be 1 to {MAX_NAME_LEN} printable characters")]
    BadName(&'static str),
    /// The request names a version this build does not know.
    #[error("unsupported request version {0}")]
    UnsupportedVersion(u32),
    /// The predicates do not all use one backend (Groth16 or Bulletproofs):
    /// nothing would tie a Groth16 proof and a Bulletproofs proof to one holder.
    #[error("all predicates of a request must use one backend")]
    MixedBackends,
    /// A predicate allows more than [`MAX_ALLOWED_ISSUERS`] issuers; the
    /// index of the predicate.
    #[error("predicate {0} allows more than {MAX_ALLOWED_ISSUERS} issuers")]
    TooManyIssuers(usize),
    /// A predicate names the same issuer twice; the index of the predicate.
    #[error("predicate {0} names an issuer twice")]
    DuplicateIssuer(usize),
    /// The scope is not `<verifier>/<purpose>` with this request's verifier
    /// and a non-empty purpose: a verifier may only ask for pseudonyms under
    /// its own name.
    #[error("scope must be `<verifier>/<purpose>` under the request's verifier")]
    ScopeNotUnderVerifier,
    /// [`ProofRequest::verify_signature`] was asked about a request without a signature.
    #[error("the request is not signed")]
    Unsigned,
    /// The signature is not 64 bytes as 128 lowercase hex digits.
    #[error("signature must be 64 bytes as {SIGNATURE_HEX_LEN} lowercase hex digits")]
    MalformedSignature,
    /// The verifier key given to [`ProofRequest::verify_signature`] is not a
    /// canonical encoding of an ed25519 point, or is of small order.
    #[error("the verifier key is not a valid ed25519 public key")]
    BadVerifierKey,
    /// The signature does not verify (strictly) under the verifier key for
    /// this request's contents: another key signed, or a field was changed.
    #[error("the request signature does not verify under the verifier's key")]
    BadSignature,
}

impl RequestError {
    /// A stable machine-readable code, one per variant.
    pub fn code(&self) -> &'static str {
        match self {
            RequestError::EmptyRange => "empty_range",
            RequestError::PredicateCount => "predicate_count",
            RequestError::BadChallenge => "bad_challenge",
            RequestError::BadName(_) => "bad_name",
            RequestError::UnsupportedVersion(_) => "unsupported_request_version",
            RequestError::MixedBackends => "mixed_backends",
            RequestError::TooManyIssuers(_) => "too_many_issuers",
            RequestError::DuplicateIssuer(_) => "duplicate_issuer",
            RequestError::ScopeNotUnderVerifier => "scope_not_under_verifier",
            RequestError::Unsigned => "request_unsigned",
            RequestError::MalformedSignature => "malformed_request_signature",
            RequestError::BadVerifierKey => "bad_verifier_key",
            RequestError::BadSignature => "bad_request_signature",
        }
    }
}

fn check_name(s: &str, what: &'static str) -> Result<(), RequestError> {
    if s.is_empty() || s.len() > MAX_NAME_LEN || s.chars().any(char::is_control) {
        return Err(RequestError::BadName(what));
    }
    Ok(())
}

/// `s` is `n` lowercase hex digits.
fn is_lower_hex(s: &str, n: usize) -> bool {
    s.len() == n && s.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

impl Backend {
    /// The backend's name as in JSON and in [`ProofRequest::signing_message`].
    pub fn name(&self) -> &'static str {
        match self {
            Backend::Groth16 => "groth16",
            Backend::Bulletproofs => "bulletproofs",
        }
    }
}

impl ProofRequest {
    /// Checks the request's shape: version; names; the scope is
    /// `<verifier>/<purpose>`; challenge; 1 to [`MAX_PREDICATES`] predicates,
    /// each with non-empty bounds and at most [`MAX_ALLOWED_ISSUERS`] distinct
    /// issuers; one backend for all; the signature, if any, is 128 lowercase
    /// hex digits. It does not require a signature (see
    /// [`ProofRequest::verify_signature`]).
    pub fn validate(&self) -> Result<(), RequestError> {
        if self.version != REQUEST_VERSION {
            return Err(RequestError::UnsupportedVersion(self.version));
        }
        check_name(&self.verifier, "verifier")?;
        if self.verifier.contains('/') {
            return Err(RequestError::BadName("verifier"));
        }
        check_name(&self.scope, "scope")?;
        match self.scope.strip_prefix(self.verifier.as_str()).and_then(|rest| rest.strip_prefix('/')) {
            Some(purpose) if !purpose.is_empty() => {}
            _ => return Err(RequestError::ScopeNotUnderVerifier),
        }
        if !is_lower_hex(&self.challenge, 64) {
            return Err(RequestError::BadChallenge);
        }
        if self.predicates.is_empty() || self.predicates.len() > MAX_PREDICATES {
            return Err(RequestError::PredicateCount);
        }
        for (index, p) in self.predicates.iter().enumerate() {
            check_name(&p.schema, "schema")?;
            if p.allowed_issuers.len() > MAX_ALLOWED_ISSUERS {
                return Err(RequestError::TooManyIssuers(index));
            }
            for (k, i) in p.allowed_issuers.iter().enumerate() {
                check_name(i, "allowed_issuers")?;
                if p.allowed_issuers[..k].contains(i) {
                    return Err(RequestError::DuplicateIssuer(index));
                }
            }
            p.operator.bounds()?;
        }
        if self.predicates.iter().any(|p| p.backend != self.predicates[0].backend) {
            return Err(RequestError::MixedBackends);
        }
        if let Some(signature) = &self.signature {
            if !is_lower_hex(signature, SIGNATURE_HEX_LEN) {
                return Err(RequestError::MalformedSignature);
            }
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

    pub(super) fn request(predicates: Vec<PredicateSpec>) -> ProofRequest {
        ProofRequest {
            version: 1,
            verifier: "bank-a".into(),
            scope: "bank-a/loans".into(),
            challenge: "ab".repeat(32),
            expires_at: 1_900_000_000,
            predicates,
            signature: None,
        }
    }

    fn credit(backend: Backend) -> PredicateSpec {
        PredicateSpec {
            schema: "credit-score".into(),
            operator: Operator::AtLeast { value: 700 },
            allowed_issuers: vec!["central-bank".into(), "bureau".into()],
            backend,
        }
    }

    pub(super) fn licence(backend: Backend) -> PredicateSpec {
        PredicateSpec {
            schema: "licence.food-business".into(),
            operator: Operator::Between { lo: 1, hi: 3 },
            allowed_issuers: vec![],
            backend,
        }
    }

    /// The request of the known-answer test: two predicates, one with two issuers, one with none.
    pub(super) fn two_predicates() -> ProofRequest {
        request(vec![credit(Backend::Groth16), licence(Backend::Groth16)])
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

    #[test]
    fn error_codes_are_stable_and_distinct() {
        let all = [
            RequestError::EmptyRange,
            RequestError::PredicateCount,
            RequestError::BadChallenge,
            RequestError::BadName("scope"),
            RequestError::UnsupportedVersion(2),
            RequestError::MixedBackends,
            RequestError::TooManyIssuers(0),
            RequestError::DuplicateIssuer(0),
            RequestError::ScopeNotUnderVerifier,
            RequestError::Unsigned,
            RequestError::MalformedSignature,
            RequestError::BadVerifierKey,
            RequestError::BadSignature,
        ];
        let codes: Vec<&str> = all.iter().map(RequestError::code).collect();
        assert_eq!(
            codes,
            [
                "empty_range",
                "predicate_count",
                "bad_challenge",
                "bad_name",
                "unsupported_request_version",
                "mixed_backends",
                "too_many_issuers",
                "duplicate_issuer",
                "scope_not_under_verifier",
                "request_unsigned",
                "malformed_request_signature",
                "bad_verifier_key",
                "bad_request_signature",
            ]
        );
        let distinct: std::collections::HashSet<&str> = codes.iter().copied().collect();
        assert_eq!(distinct.len(), codes.len());
    }

    /// A Groth16 proof and a Bulletproofs proof are not tied to one holder,
    /// so one request may not ask for both.
    #[test]
    fn one_backend_per_request() {
        for backend in [Backend::Groth16, Backend::Bulletproofs] {
            assert_eq!(request(vec![credit(backend), licence(backend)]).validate(), Ok(()));
        }
        for (a, b) in [(Backend::Groth16, Backend::Bulletproofs), (Backend::Bulletproofs, Backend::Groth16)] {
            let mixed = request(vec![credit(a), licence(b)]);
            assert_eq!(mixed.validate(), Err(RequestError::MixedBackends));
            assert_eq!(mixed.validate().unwrap_err().code(), "mixed_backends");
        }
        // The odd one out may be anywhere.
        let mut many = request(vec![credit(Backend::Groth16); MAX_PREDICATES]);
        assert_eq!(many.validate(), Ok(()));
        many.predicates[MAX_PREDICATES - 1].backend = Backend::Bulletproofs;
        assert_eq!(many.validate(), Err(RequestError::MixedBackends));
    }

    #[test]
    fn size_limits() {
        // 1 to 16 predicates.
        assert_eq!(request(vec![credit(Backend::Groth16); MAX_PREDICATES]).validate(), Ok(()));
        assert_eq!(request(vec![credit(Backend::Groth16); MAX_PREDICATES + 1]).validate(), Err(RequestError::PredicateCount));
        // At most 8 issuers per predicate, none twice.
        let issuers = |n: usize| (0..n).map(|i| format!("regulator-{i}")).collect::<Vec<_>>();
        let mut spec = credit(Backend::Groth16);
        spec.allowed_issuers = issuers(MAX_ALLOWED_ISSUERS);
        let mut r = request(vec![licence(Backend::Groth16), spec]);
        assert_eq!(r.validate(), Ok(()));
        r.predicates[1].allowed_issuers = issuers(MAX_ALLOWED_ISSUERS + 1);
        assert_eq!(r.validate(), Err(RequestError::TooManyIssuers(1)));
        assert_eq!(r.validate().unwrap_err().code(), "too_many_issuers");
        r.predicates[1].allowed_issuers = vec!["central-bank".into(), "bureau".into(), "central-bank".into()];
        assert_eq!(r.validate(), Err(RequestError::DuplicateIssuer(1)));
        assert_eq!(r.validate().unwrap_err().code(), "duplicate_issuer");
        // The same issuer in two predicates is fine.
        r.predicates[0].allowed_issuers = vec!["central-bank".into()];
        r.predicates[1].allowed_issuers = vec!["central-bank".into()];
        assert_eq!(r.validate(), Ok(()));
        // Names: 1 to 128 bytes, no control characters.
        let mut r = two_predicates();
        r.predicates[0].allowed_issuers[1] = "x".repeat(MAX_NAME_LEN);
        assert_eq!(r.validate(), Ok(()));
        r.predicates[0].allowed_issuers[1] = "x".repeat(MAX_NAME_LEN + 1);
        assert_eq!(r.validate(), Err(RequestError::BadName("allowed_issuers")));
        r.predicates[0].allowed_issuers[1] = "bu\treau".into();
        assert_eq!(r.validate(), Err(RequestError::BadName("allowed_issuers")));
        let mut r = two_predicates();
        r.predicates[1].schema = "licence\nfood".into();
        assert_eq!(r.validate(), Err(RequestError::BadName("schema")));
        r.predicates[1].schema = String::new();
        assert_eq!(r.validate(), Err(RequestError::BadName("schema")));
        let mut r = two_predicates();
        r.verifier = "x".repeat(MAX_NAME_LEN + 1);
        assert_eq!(r.validate(), Err(RequestError::BadName("verifier")));
    }

    #[test]
    fn scope_is_under_the_verifier() {
        let with = |verifier: &str, scope: &str| {
            let mut r = two_predicates();
            r.verifier = verifier.into();
            r.scope = scope.into();
            r.validate()
        };
        assert_eq!(with("bank-a", "bank-a/loans"), Ok(()));
        assert_eq!(with("bank-a", "bank-a/loans/2026"), Ok(()));
        for scope in ["bank-a", "bank-a/", "bank-b/loans", "bank-ab/loans", "bank/loans", "/loans", "bank-a\\loans", " bank-a/loans"] {
            assert_eq!(with("bank-a", scope), Err(RequestError::ScopeNotUnderVerifier), "{scope:?}");
        }
        assert_eq!(with("bank-a", "bank-b/loans").unwrap_err().code(), "scope_not_under_verifier");
        // The whole scope is still a name: at most 128 bytes, printable.
        let longest = format!("bank-a/{}", "p".repeat(MAX_NAME_LEN - 7));
        assert_eq!(with("bank-a", &longest), Ok(()));
        assert_eq!(with("bank-a", &format!("{longest}p")), Err(RequestError::BadName("scope")));
        assert_eq!(with("bank-a", "bank-a/lo\u{7f}ans"), Err(RequestError::BadName("scope")));
        // A verifier name with `/` would make "bank/a/loans" a scope of both
        // "bank" and "bank/a".
        assert_eq!(with("bank/a", "bank/a/loans"), Err(RequestError::BadName("verifier")));
    }

}
