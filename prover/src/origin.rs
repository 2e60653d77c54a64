//! Who is asking: before a wallet answers a request, it checks that the
//! verifier the request names is registered on the ledger, that the request
//! is signed by that verifier's registered key, and that the scope is under
//! the verifier's name (`<name>/<purpose>`).
//!
//! Without this a stranger could hand a holder a request naming `bank-a`
//! and scope `bank-a/loans` and receive, in the presentation, exactly the
//! pseudonym bank-a sees: per-verifier unlinkability would hold only
//! against honest verifiers. The node enforces the same rule when it issues
//! a request (only the registered key may ask under a name), and the
//! signature lets the wallet check it without trusting the node.

use zkreg_circuits::request::{ProofRequest, RequestError};

/// A verifier as the ledger's registry lists it (`GET /v1/verifiers`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RegisteredVerifier {
    /// Its registered name: the prefix of its scopes.
    pub name: String,
    /// Its ed25519 key.
    pub key: [u8; 32],
    /// False once governance retired it.
    pub active: bool,
}

/// Why a wallet refuses to answer a request.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OriginError {
    /// The request names a verifier the ledger does not list.
    #[error("verifier `{0}` is not registered on the ledger")]
    UnknownVerifier(String),
    /// The request names a verifier that governance retired.
    #[error("verifier `{0}` was retired on the ledger")]
    RetiredVerifier(String),
    /// The request is malformed, its scope is not under the verifier's name,
    /// or it is not signed by the verifier's registered key.
    #[error("request refused: {0}")]
    Request(#[from] RequestError),
}

/// Checks that `request` comes from the registered, active verifier it
/// names (see the module docs) and returns that verifier, whose name the
/// wallet should show its holder.
pub fn check_request_origin<'v>(
    request: &ProofRequest,
    verifiers: &'v [RegisteredVerifier],
) -> Result<&'v RegisteredVerifier, OriginError> {
    request.validate()?;
    let verifier = verifiers
        .iter()
        .filter(|v| v.name == request.verifier)
        .find(|v| v.active)
        .ok_or_else(|| match verifiers.iter().any(|v| v.name == request.verifier) {
            true => OriginError::RetiredVerifier(request.verifier.clone()),
            false => OriginError::UnknownVerifier(request.verifier.clone()),
        })?;
    request.verify_signature(&verifier.key)?;
    Ok(verifier)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ed25519_dalek::SigningKey;
    use zkreg_circuits::request::{Backend, Operator, PredicateSpec, REQUEST_VERSION};

    fn request(verifier: &str, scope: &str) -> ProofRequest {
        ProofRequest {
            version: REQUEST_VERSION,
            verifier: verifier.into(),
            scope: scope.into(),
            challenge: "ab".repeat(32),
            expires_at: 1_900_000_000,
            predicates: vec![PredicateSpec {
                schema: "credit-score".into(),
                operator: Operator::AtLeast { value: 700 },
                allowed_issuers: vec![],
                backend: Backend::Groth16,
            }],
            signature: None,
        }
    }

    fn registered(name: &str, key: &SigningKey, active: bool) -> RegisteredVerifier {
        RegisteredVerifier { name: name.into(), key: key.verifying_key().to_bytes(), active }
    }

    #[test]
    fn only_the_registered_verifier_can_ask_under_its_name() {
        let bank_a = SigningKey::from_bytes(&[1; 32]);
        let bank_b = SigningKey::from_bytes(&[2; 32]);
        let stranger = SigningKey::from_bytes(&[3; 32]);
        let registry = [registered("bank-a", &bank_a, true), registered("bank-b", &bank_b, true)];

        let mut good = request("bank-a", "bank-a/loans");
        good.sign(&bank_a);
        assert_eq!(check_request_origin(&good, &registry).map(|v| v.name.as_str()), Ok("bank-a"));

        // The audit's attack: a fresh key asks as bank-a for bank-a's scope.
        let mut forged = request("bank-a", "bank-a/loans");
        forged.sign(&stranger);
        assert_eq!(check_request_origin(&forged, &registry), Err(OriginError::Request(RequestError::BadSignature)));
        // Another registered bank asks as bank-a, or under bank-a's scope.
        let mut as_a = request("bank-a", "bank-a/loans");
        as_a.sign(&bank_b);
        assert_eq!(check_request_origin(&as_a, &registry), Err(OriginError::Request(RequestError::BadSignature)));
        let mut scope_of_a = request("bank-b", "bank-a/loans");
        scope_of_a.sign(&bank_b);
        assert_eq!(check_request_origin(&scope_of_a, &registry), Err(OriginError::Request(RequestError::ScopeNotUnderVerifier)));
        // Unsigned, unknown, retired.
        assert_eq!(check_request_origin(&request("bank-a", "bank-a/loans"), &registry), Err(OriginError::Request(RequestError::Unsigned)));
        let mut unknown = request("bank-z", "bank-z/loans");
        unknown.sign(&stranger);
        assert_eq!(check_request_origin(&unknown, &registry), Err(OriginError::UnknownVerifier("bank-z".into())));
        let retired = [registered("bank-a", &bank_a, false)];
        assert_eq!(check_request_origin(&good, &retired), Err(OriginError::RetiredVerifier("bank-a".into())));
        // Re-registered under a new key: the old key's requests are refused.
        let rotated = [registered("bank-a", &bank_a, false), registered("bank-a", &stranger, true)];
        assert_eq!(check_request_origin(&good, &rotated), Err(OriginError::Request(RequestError::BadSignature)));
        // A signed request changed afterwards no longer verifies.
        let mut widened = good.clone();
        widened.predicates[0].operator = Operator::AtLeast { value: 300 };
        assert_eq!(check_request_origin(&widened, &registry), Err(OriginError::Request(RequestError::BadSignature)));
    }
}
