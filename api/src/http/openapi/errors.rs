//! Which error statuses and codes each operation answers with: the one table
//! the document's error responses are generated from ([`super::document`]).
//!
//! Each operation is a list of [`Refusals`] groups; a group is what one part
//! of the node refuses (the signature check, the JSON body extractor, the
//! ledger, the verifier), so a code that a part gains is added in one place
//! and reaches every operation that uses that part. The unit tests below
//! hold the table to the error enums: every code `AuthError`, `TxError` and
//! `VerifyError` can produce, through the same conversions the handlers use,
//! is listed with the status it is answered with.
//!
//! A code is stable once published; a status may carry several codes, and
//! one code may be answered with different statuses by different operations
//! (`bad_request` is a 400 of `POST /v1/requests` and a 422 of a
//! verification), which is why the table is per operation.

use std::collections::BTreeMap;

/// `(status, codes)` pairs: what one part of the node refuses.
pub type Refusals = &'static [(u16, &'static [&'static str])];

/// Every signed bank endpoint, before its handler parses the body
/// ([`crate::auth`]): headers, clock, key, signature, nonce, role; the body
/// read; rate limits (with `Retry-After`); the replay cache when full.
const SIGNED: Refusals = &[
    (400, &["bad_auth_header", "bad_body"]),
    (401, &["unsigned", "stale_timestamp", "weak_key", "bad_signature", "replayed_nonce"]),
    (403, &["forbidden"]),
    (413, &["body_too_large"]),
    (429, &["rate_limited"]),
    (503, &["unavailable"]),
];

/// A JSON body (the `web::Json` extractor, or a bank endpoint's own parse).
const JSON_BODY: Refusals = &[(400, &["bad_content_type", "bad_json"]), (413, &["body_too_large"])];

/// A path segment that must be a decimal integer.
const NUMBER_IN_PATH: Refusals = &[(400, &["bad_path", "bad_number"])];

/// A path segment that must be 32 bytes of hex.
const HASH_IN_PATH: Refusals = &[(400, &["bad_path", "bad_hex"])];

/// A lookup of something that may not exist.
const LOOKUP: Refusals = &[(404, &["not_found"])];

/// A read of the node's storage, or work off the HTTP workers: may fail inside (opaque).
const INTERNAL: Refusals = &[(500, &["internal"])];

/// A refused transaction: 422 with the ledger's code, as a `{code, message}`
/// body when refused at submission, as a receipt when refused in its block.
const LEDGER: Refusals = &[(
    422,
    &[
        "malformed",
        "oversized",
        "wrong_chain",
        "weak_key",
        "bad_signature",
        "stale_nonce",
        "duplicate_transaction",
        "unauthorised",
        "insufficient_approvals",
        "schema_not_allowed",
        "unknown_schema",
        "already_registered",
        "unknown_regulator",
        "unknown_verifier",
        "duplicate_commitment",
        "invalid_commitment",
        "unknown_credential",
        "already_revoked",
        "not_issuer",
        "invalid_verifying_key",
        "invalid_name",
        "mempool_full",
        "tree_full",
        "unknown_proposal",
        "proposal_applied",
        "proposal_expired",
        "already_approved",
    ],
)];

/// Why a presentation is refused: the verifier's codes (422), the bank
/// asking about another bank's challenge (403), no verifying key yet (503).
const VERIFIER: Refusals = &[
    (403, &["forbidden"]),
    (
        422,
        &[
            "bad_request",
            "request_expired",
            "unsupported_version",
            "challenge_mismatch",
            "challenge_unknown",
            "challenge_replayed",
            "key_not_registered",
            "wrong_proof_count",
            "bad_predicate_index",
            "backend_mismatch",
            "issuer_not_allowed",
            "issuer_not_authorised",
            "day_out_of_tolerance",
            "root_not_in_window",
            "malformed_proof",
            "proof_rejected",
            "pseudonym_mismatch",
            "holder_mismatch",
            "malformed_commitment",
            "unknown_credential",
            "credential_revoked",
            "credential_mismatch",
            "range_proof_rejected",
        ],
    ),
    (503, &["unavailable"]),
];

/// What `POST /v1/requests` refuses beyond the signature and the body.
const REQUEST: Refusals = &[
    (400, &["bad_ttl", "bad_request"]),
    (403, &["forbidden"]),
    (422, &["unknown_schema", "unknown_issuer", "issuer_not_authorised"]),
    (429, &["too_many_open_requests"]),
];

/// One operation's refusals, by method (lower case, as in the document) and path.
pub struct Operation {
    /// `get` or `post`.
    pub method: &'static str,
    /// The documented path, with `{parameters}`.
    pub path: &'static str,
    /// Its refusals, group by group.
    pub refusals: &'static [Refusals],
    /// For a batch: the codes an item of a 200 answer may be refused with.
    pub item_codes: &'static [Refusals],
}

const fn op(method: &'static str, path: &'static str, refusals: &'static [Refusals]) -> Operation {
    Operation { method, path, refusals, item_codes: &[] }
}

/// A read under `/v1` with `consistency=linearizable` (the header or the
/// parameter): a bad value, or a replica that cannot catch up in time.
const READ: Refusals = &[(400, &["bad_consistency"]), (503, &["leader_changed", "leader_unreachable", "no_leader", "replica_behind"])];

/// A cluster administration call: MAC'd with the cluster secret, JSON body,
/// on a node that runs in a cluster.
const CLUSTER_ADMIN: Refusals = &[
    (400, &["bad_json", "bad_membership"]),
    (401, &["missing_cluster_mac", "bad_cluster_mac"]),
    (404, &["not_found"]),
    (422, &["bad_membership"]),
];

/// A private-layer call on a node that keeps no private records.
const PRIVATE: Refusals = &[(422, &["no_private_layer"])];

/// Submitting a transaction and waiting for its block, beyond the ledger's refusal.
const SUBMISSION: Refusals = &[(503, &["unavailable", "leader_changed", "no_leader", "leader_unreachable", "replica_behind"])];

/// The table: every operation of the API, with what it can refuse.
pub const OPERATIONS: &[Operation] = &[
    op("get", "/healthz", &[]),
    op("get", "/readyz", &[]),
    op("get", "/metrics", &[INTERNAL]),
    op("get", "/v1/openapi.json", &[READ]),
    op("get", "/v1/status", &[READ, INTERNAL]),
    op("get", "/v1/blocks/{height}", &[READ, NUMBER_IN_PATH, LOOKUP, INTERNAL]),
    op("post", "/v1/transactions", &[JSON_BODY, &[(400, &["bad_hex"]), (503, &["unavailable", "leader_changed", "no_leader", "leader_unreachable", "replica_behind"])], LEDGER, INTERNAL]),
    op("get", "/v1/transactions/{id}", &[READ, HASH_IN_PATH, LOOKUP, INTERNAL]),
    op("get", "/v1/issuers", &[READ]),
    op("get", "/v1/verifiers", &[READ]),
    op("get", "/v1/schemas", &[READ]),
    op("get", "/v1/verifying-keys", &[READ]),
    op("get", "/v1/roots", &[READ]),
    op("get", "/v1/paths/{leaf}", &[READ, NUMBER_IN_PATH, LOOKUP, INTERNAL]),
    op("get", "/v1/buckets/{leaf}", &[READ, NUMBER_IN_PATH, &[(400, &["bad_query", "bad_levels"])], LOOKUP, INTERNAL]),
    op("get", "/v1/credentials/{commitment}", &[READ, HASH_IN_PATH, LOOKUP, INTERNAL]),
    op("get", "/v1/stats", &[READ]),
    op("get", "/v1/stats/daily", &[READ, &[(400, &["bad_query", "bad_date", "bad_range"])], INTERNAL]),
    op("get", "/v1/stats/activity", &[READ, &[(400, &["bad_query", "bad_date", "bad_range"])], INTERNAL]),
    op("get", "/v1/governance/proposals", &[READ, &[(400, &["bad_query"])], INTERNAL]),
    op("get", "/v1/governance/proposals/{id}", &[READ, HASH_IN_PATH, LOOKUP, INTERNAL]),
    op("get", "/v1/anchors/{record_hash}", &[READ, HASH_IN_PATH, LOOKUP, INTERNAL]),
    op("get", "/v1/audit-events/{key}", &[READ, HASH_IN_PATH, INTERNAL]),
    op("post", "/v1/private/records", &[SIGNED, JSON_BODY, PRIVATE, &[(400, &["bad_hex", "invalid_record"]), (409, &["record_exists"])], LEDGER, SUBMISSION, INTERNAL]),
    op("get", "/v1/private/records", &[READ, SIGNED, PRIVATE, &[(400, &["bad_query", "bad_hex"])], INTERNAL]),
    op("get", "/v1/private/records/mine", &[READ, SIGNED, PRIVATE, INTERNAL]),
    op("get", "/v1/private/records/{id}", &[READ, SIGNED, PRIVATE, HASH_IN_PATH, LOOKUP, &[(409, &["record_purged"])], INTERNAL]),
    op("post", "/v1/private/records/{id}/hold", &[SIGNED, JSON_BODY, PRIVATE, HASH_IN_PATH, LOOKUP, INTERNAL]),
    op("post", "/v1/private/records/{id}/purge", &[SIGNED, PRIVATE, HASH_IN_PATH, LOOKUP, &[(409, &["legal_hold", "record_purged"])], INTERNAL]),
    op("post", "/v1/private/grants", &[SIGNED, JSON_BODY, PRIVATE, &[(400, &["invalid_grant", "bad_hex"]), (422, &["anchor_refused"]), (503, &["anchor_retry"])], LEDGER, SUBMISSION, INTERNAL]),
    op("post", "/v1/private/rotate", &[SIGNED, PRIVATE, &[(422, &["bad_keyring", "no_keyring_file"])], INTERNAL]),
    op("get", "/v1/private/audit", &[READ, SIGNED, PRIVATE, &[(400, &["bad_query"])], INTERNAL]),
    op("post", "/v1/stats/private/analysts", &[SIGNED, JSON_BODY, PRIVATE, &[(400, &["invalid_analyst_grant"]), (422, &["anchor_refused"]), (503, &["anchor_retry"])], LEDGER, SUBMISSION, INTERNAL]),
    op("post", "/v1/stats/private/query", &[SIGNED, JSON_BODY, PRIVATE, &[(400, &["bad_epsilon", "invalid_query"]), (403, &["privacy_budget_exhausted"])], INTERNAL]),
    op("get", "/v1/stats/private/budget", &[READ, SIGNED, PRIVATE, INTERNAL]),
    op("get", "/v1/stats/private/releases", &[READ, &[(400, &["bad_query"])], INTERNAL]),
    op("get", "/v1/cluster/status", &[READ, &[(404, &["not_found"])], INTERNAL]),
    op("post", "/v1/cluster/init", &[CLUSTER_ADMIN, &[(422, &["cluster_initialized"])], INTERNAL]),
    op("post", "/v1/cluster/learners", &[CLUSTER_ADMIN, &[(503, &["not_leader"])], INTERNAL]),
    op("post", "/v1/cluster/membership", &[CLUSTER_ADMIN, &[(503, &["not_leader"])], INTERNAL]),
    op("post", "/v1/requests", &[SIGNED, JSON_BODY, REQUEST, INTERNAL]),
    op("post", "/v1/presentations/verify", &[SIGNED, JSON_BODY, VERIFIER, INTERNAL]),
    Operation {
        method: "post",
        path: "/v1/presentations/verify-batch",
        refusals: &[SIGNED, JSON_BODY, &[(400, &["batch_too_large"]), (503, &["unavailable"])], INTERNAL],
        item_codes: &[VERIFIER, INTERNAL],
    },
];

/// What any path may be answered with before an operation is chosen: no
/// route has the path (404), or the route answers another method (405, with
/// `Allow`).
pub const ROUTER: Refusals = &[(404, &["not_found"]), (405, &["method_not_allowed"])];

/// Merges groups into codes by status, each list sorted and without repeats.
pub fn by_status(groups: &[Refusals]) -> BTreeMap<u16, Vec<&'static str>> {
    let mut merged: BTreeMap<u16, Vec<&'static str>> = BTreeMap::new();
    for (status, codes) in groups.iter().flat_map(|g| g.iter()) {
        merged.entry(*status).or_default().extend(codes.iter().copied());
    }
    for codes in merged.values_mut() {
        codes.sort_unstable();
        codes.dedup();
    }
    merged
}

/// The operation of `method` and `path` (as documented), if the table has it.
pub fn operation(method: &str, path: &str) -> Option<&'static Operation> {
    OPERATIONS.iter().find(|o| o.method == method && o.path == path)
}

#[cfg(test)]
mod tests {
    use actix_web::ResponseError;
    use zkreg_circuits::request::RequestError;
    use zkreg_registry::TxError;
    use zkreg_verifier::range::RangeVerifyError;
    use zkreg_verifier::{ChallengeError, ProofError, VerifyError};

    use super::*;
    use crate::auth::AuthError;
    use crate::error::ApiError;

    /// `(status, code)` as the node answers `e`.
    fn answer(e: ApiError) -> (u16, String) {
        (e.status_code().as_u16(), e.code().to_owned())
    }

    fn listed(groups: &[Refusals], (status, code): &(u16, String)) -> bool {
        by_status(groups).get(status).is_some_and(|codes| codes.contains(&code.as_str()))
    }

    fn table_of(method: &str, path: &str) -> &'static Operation {
        operation(method, path).unwrap_or_else(|| panic!("{method} {path} is not in the table"))
    }

    /// One value of every `AuthError` variant; the match fails to compile
    /// when a variant is added, so the list (and the table) must follow.
    fn every_auth_error() -> Vec<AuthError> {
        let all = vec![
            AuthError::Unsigned,
            AuthError::BadHeader(String::new()),
            AuthError::WeakKey,
            AuthError::StaleTimestamp { timestamp: 0, now: 0, window: 0 },
            AuthError::BadSignature,
            AuthError::ReplayedNonce,
            AuthError::TooManyNonces,
            AuthError::RateLimited { retry_after: 1 },
            AuthError::StoreFailed,
            AuthError::Forbidden(String::new()),
        ];
        for e in &all {
            match e {
                AuthError::Unsigned
                | AuthError::BadHeader(_)
                | AuthError::WeakKey
                | AuthError::StaleTimestamp { .. }
                | AuthError::BadSignature
                | AuthError::ReplayedNonce
                | AuthError::TooManyNonces
                | AuthError::RateLimited { .. }
                | AuthError::StoreFailed
                | AuthError::Forbidden(_) => {}
            }
        }
        all
    }

    /// One value of every `TxError` variant (exhaustive, as above).
    fn every_tx_error() -> Vec<TxError> {
        let s = String::new;
        let all = vec![
            TxError::Malformed(s()),
            TxError::Oversized(0),
            TxError::WrongChain,
            TxError::WeakKey,
            TxError::BadSignature,
            TxError::StaleNonce { got: 0, last: 0 },
            TxError::Duplicate,
            TxError::Unauthorised,
            TxError::InsufficientApprovals { got: 0, needed: 1 },
            TxError::SchemaNotAllowed(s()),
            TxError::UnknownSchema(s()),
            TxError::AlreadyRegistered(s()),
            TxError::UnknownRegulator(s()),
            TxError::UnknownVerifier(s()),
            TxError::DuplicateCommitment,
            TxError::InvalidCommitment,
            TxError::UnknownCredential,
            TxError::AlreadyRevoked,
            TxError::NotIssuer,
            TxError::InvalidVerifyingKey(s()),
            TxError::InvalidName(s()),
            TxError::MempoolFull,
            TxError::TreeFull,
            TxError::UnknownProposal,
            TxError::ProposalApplied,
            TxError::ProposalExpired,
            TxError::AlreadyApproved,
        ];
        for e in &all {
            match e {
                TxError::Malformed(_)
                | TxError::Oversized(_)
                | TxError::WrongChain
                | TxError::WeakKey
                | TxError::BadSignature
                | TxError::StaleNonce { .. }
                | TxError::Duplicate
                | TxError::Unauthorised
                | TxError::InsufficientApprovals { .. }
                | TxError::SchemaNotAllowed(_)
                | TxError::UnknownSchema(_)
                | TxError::AlreadyRegistered(_)
                | TxError::UnknownRegulator(_)
                | TxError::UnknownVerifier(_)
                | TxError::DuplicateCommitment
                | TxError::InvalidCommitment
                | TxError::UnknownCredential
                | TxError::AlreadyRevoked
                | TxError::NotIssuer
                | TxError::InvalidVerifyingKey(_)
                | TxError::InvalidName(_)
                | TxError::MempoolFull
                | TxError::TreeFull
                | TxError::UnknownProposal
                | TxError::ProposalApplied
                | TxError::ProposalExpired
                | TxError::AlreadyApproved => {}
            }
        }
        all
    }

    /// One value of every `VerifyError` variant (exhaustive, as above).
    fn every_verify_error() -> Vec<VerifyError> {
        let all = vec![
            VerifyError::BadRequest(RequestError::PredicateCount),
            VerifyError::RequestExpired,
            VerifyError::UnsupportedVersion(2),
            VerifyError::ChallengeMismatch,
            VerifyError::Challenge(ChallengeError::Unknown),
            VerifyError::Challenge(ChallengeError::Replayed),
            VerifyError::Challenge(ChallengeError::Unavailable(String::new())),
            VerifyError::KeyNotRegistered,
            VerifyError::WrongProofCount { expected: 1, got: 0 },
            VerifyError::BadPredicateIndex(0),
            VerifyError::BackendMismatch(0),
            VerifyError::IssuerNotAllowed(0),
            VerifyError::IssuerNotAuthorised(0),
            VerifyError::DayOutOfTolerance(0),
            VerifyError::RootNotInWindow(0),
            VerifyError::MalformedProof { index: 0, error: ProofError::BadHex },
            VerifyError::ProofRejected(0),
            VerifyError::PseudonymMismatch,
            VerifyError::HolderMismatch,
            VerifyError::MalformedCommitment(0),
            VerifyError::UnknownCredential(0),
            VerifyError::Revoked(0),
            VerifyError::CredentialMismatch(0),
            VerifyError::Range { index: 0, error: RangeVerifyError::BoundsInverted { lo: 1, hi: 0 } },
        ];
        for e in &all {
            match e {
                VerifyError::BadRequest(_)
                | VerifyError::RequestExpired
                | VerifyError::UnsupportedVersion(_)
                | VerifyError::ChallengeMismatch
                | VerifyError::Challenge(ChallengeError::Unknown | ChallengeError::Replayed | ChallengeError::Unavailable(_))
                | VerifyError::KeyNotRegistered
                | VerifyError::WrongProofCount { .. }
                | VerifyError::BadPredicateIndex(_)
                | VerifyError::BackendMismatch(_)
                | VerifyError::IssuerNotAllowed(_)
                | VerifyError::IssuerNotAuthorised(_)
                | VerifyError::DayOutOfTolerance(_)
                | VerifyError::RootNotInWindow(_)
                | VerifyError::MalformedProof { .. }
                | VerifyError::ProofRejected(_)
                | VerifyError::PseudonymMismatch
                | VerifyError::HolderMismatch
                | VerifyError::MalformedCommitment(_)
                | VerifyError::UnknownCredential(_)
                | VerifyError::Revoked(_)
                | VerifyError::CredentialMismatch(_)
                | VerifyError::Range { .. } => {}
            }
        }
        all
    }

    const SIGNED_PATHS: [&str; 3] = ["/v1/requests", "/v1/presentations/verify", "/v1/presentations/verify-batch"];

    #[test]
    fn every_signature_refusal_is_listed_on_every_signed_endpoint() {
        for path in SIGNED_PATHS {
            for e in every_auth_error() {
                let answer = answer(e.into());
                assert!(listed(table_of("post", path).refusals, &answer), "{path}: {answer:?} not listed");
            }
        }
    }

    #[test]
    fn every_ledger_refusal_is_listed_on_the_transactions_endpoint() {
        for e in every_tx_error() {
            let answer = answer(e.into());
            assert!(listed(table_of("post", "/v1/transactions").refusals, &answer), "{answer:?} not listed");
        }
    }

    #[test]
    fn every_verifier_refusal_is_listed_on_the_verification_endpoints() {
        let single = table_of("post", "/v1/presentations/verify");
        let batch = table_of("post", "/v1/presentations/verify-batch");
        for e in every_verify_error() {
            let answer = answer(e.into());
            assert!(listed(single.refusals, &answer), "verify: {answer:?} not listed");
            // In a batch the refusal is an item of the 200 answer.
            assert!(listed(batch.item_codes, &answer), "verify-batch item: {answer:?} not listed");
        }
    }

    #[test]
    fn the_table_has_no_operation_twice_and_codes_are_snake_case() {
        for (i, o) in OPERATIONS.iter().enumerate() {
            assert!(OPERATIONS[..i].iter().all(|p| (p.method, p.path) != (o.method, o.path)), "{} {} twice", o.method, o.path);
            for (status, codes) in by_status(o.refusals).into_iter().chain(by_status(o.item_codes)) {
                assert!((400..600).contains(&status), "{} {}: {status}", o.method, o.path);
                for code in codes {
                    assert!(!code.is_empty() && code.bytes().all(|b| b.is_ascii_lowercase() || b == b'_'), "{code}");
                }
            }
        }
    }
}
