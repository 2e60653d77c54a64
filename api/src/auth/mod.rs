//! Who is calling: signed requests for the bank endpoints, in the manner of
//! RFC 9421 (HTTP Message Signatures) with one fixed set of covered parts.
//!
//! Public reads need no signature, and neither does `POST /v1/transactions`:
//! a transaction carries its own ed25519 signature, and the ledger checks the
//! signer's role. The bank endpoints (`POST /v1/requests`,
//! `POST /v1/presentations/verify`, `POST /v1/presentations/verify-batch`)
//! need a signature by a key that governance registered as an active
//! verifier (`TxBody::RegisterVerifier`, listed at `GET /v1/verifiers`); a
//! verifier creates requests only under its registered name and scopes.
//!
//! # Scheme `zkreg-http-sig/v1`
//!
//! The caller sends four headers:
//!
//! | header            | value                                                   |
//! |-------------------|---------------------------------------------------------|
//! | `zkreg-key`       | the caller's ed25519 public key, 64 hex digits          |
//! | `zkreg-timestamp` | unix seconds when the request was signed, decimal       |
//! | `zkreg-nonce`     | 16 to 64 hex digits, never reused by this key           |
//! | `zkreg-signature` | ed25519 signature of the message below, 128 hex digits  |
//!
//! The signed message is this UTF-8 text, lines joined by `\n`, no newline
//! at the end:
//!
//! ```text
//! zkreg-http-sig/v1
//! <METHOD>               as sent, e.g. POST
//! <path and query>       as sent, e.g. /v1/requests (with ?query if any)
//! <hex(SHA-256(body))>   lowercase; the digest of the empty string if no body
//! <timestamp>            the zkreg-timestamp header, verbatim
//! <nonce>                the zkreg-nonce header, verbatim
//! ```
//!
//! No part can contain a newline (a method is a token, a request target has
//! no control characters, the rest is hex or digits), so the message parses
//! one way only. [`sign_request`] makes the headers; the node checks, in order:
//!
//! 1. the headers: none of them is 401 `unsigned`; one missing, repeated or
//!    not in its format is 400 `bad_auth_header`;
//! 2. the timestamp is within the window of the node's clock (±300 s by
//!    default, [`NodeConfig::signature_window`](crate::service::NodeConfig)),
//!    else 401 `stale_timestamp`;
//! 3. the key is a canonical encoding of a point outside the small-order
//!    subgroup, else 401 `weak_key`;
//! 4. the key is registered on the ledger as an active verifier, else 403
//!    `forbidden` (a root authority, a regulator, a retired verifier or any
//!    other key). This comes before the signature check, so a key that is
//!    not a verifier costs the node no signature verification and leaves no
//!    trace: no nonce, no rate-limit bucket;
//! 5. the signature verifies strictly (`verify_strict`), else 401 `bad_signature`;
//! 6. admission ([`admission`]), under one lock, recording nothing on a refusal:
//!    the key has not used this nonce within the window, else 401
//!    `replayed_nonce`; the key's token bucket has a call left
//!    ([`NodeConfig::verifier_rate_per_s`](crate::service::NodeConfig) and
//!    `verifier_burst`), else 429 `rate_limited` with `Retry-After`; the key
//!    holds fewer nonces than its share of the cache
//!    (`max_seen_nonces_per_key`), else 429 `rate_limited`; and the cache
//!    holds fewer than `max_seen_nonces` in all, else 503 `unavailable`.
//!    Only then is the nonce recorded and a token spent, so nobody can spend
//!    another key's nonces or budget. Records expire when their timestamp
//!    leaves the window (a replay would be stale by then), and survive a
//!    restart (see [`admission`] for what a crash can lose).
//!
//! What the signature does not cover: the node it is sent to, and headers
//! other than its own (such as `Content-Type`). Nonces are remembered per
//! node, so a request captured in transit could be replayed to another node
//! within the window: send requests over TLS. Proof requests and their
//! challenges are per node too, so such a replay can neither read nor answer
//! another node's requests.


use crate::error::ApiError;

pub mod admission;
pub mod cluster;
mod policy;
mod signature;

pub use admission::{Admission, AdmissionLimits};
pub use policy::{registered_verifier, role, Caller, Role};
pub use signature::{
    sign_request, signed_message, verify_request, Headers, AUTH_SCHEME, KEY_HEADER, NONCE_HEADER, NONCE_HEX_DIGITS,
    SIGNATURE_HEADER, SIGNATURE_VERSION, TIMESTAMP_HEADER,
};

/// Why a request was refused before its handler ran.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    /// None of the signature headers is present on an endpoint that needs them.
    #[error("this endpoint needs a signed request (headers {KEY_HEADER}, {TIMESTAMP_HEADER}, {NONCE_HEADER}, {SIGNATURE_HEADER})")]
    Unsigned,
    /// A signature header is missing, repeated, or not in its format.
    #[error("{0}")]
    BadHeader(String),
    /// The key is not a canonical encoding, or is of small order.
    #[error("{KEY_HEADER} is not a strong ed25519 public key")]
    WeakKey,
    /// The timestamp is further from the node's clock than the window.
    #[error("{TIMESTAMP_HEADER} {timestamp} is more than {window} s from the node's clock ({now})")]
    StaleTimestamp {
        /// The request's timestamp.
        timestamp: u64,
        /// The node's clock.
        now: u64,
        /// The window, in seconds.
        window: u64,
    },
    /// The signature does not verify over this method, path, body, timestamp and nonce.
    #[error("the signature does not verify over this request")]
    BadSignature,
    /// This key already used this nonce within the window.
    #[error("this key already used this nonce")]
    ReplayedNonce,
    /// The replay cache holds as many nonces as it may; the request was not checked further.
    #[error("too many signed requests in the window; retry later")]
    TooManyNonces,
    /// The key spent its calls for now (its token bucket is empty), or holds
    /// its share of the replay cache.
    #[error("this key made too many signed calls; retry in {retry_after} s")]
    RateLimited {
        /// Whole seconds, at least one, before a call can be admitted.
        retry_after: u64,
    },
    /// The replay cache could not be written (the cause is logged where it happened).
    #[error("the replay cache could not be written")]
    StoreFailed,
    /// The key's role may not call this endpoint, or the thing belongs to another key.
    #[error("{0}")]
    Forbidden(String),
}

impl AuthError {
    /// The stable code.
    pub fn code(&self) -> &'static str {
        match self {
            AuthError::Unsigned => "unsigned",
            AuthError::BadHeader(_) => "bad_auth_header",
            AuthError::WeakKey => "weak_key",
            AuthError::StaleTimestamp { .. } => "stale_timestamp",
            AuthError::BadSignature => "bad_signature",
            AuthError::ReplayedNonce => "replayed_nonce",
            AuthError::TooManyNonces | AuthError::StoreFailed => "unavailable",
            AuthError::RateLimited { .. } => "rate_limited",
            AuthError::Forbidden(_) => "forbidden",
        }
    }
}

impl From<AuthError> for ApiError {
    fn from(e: AuthError) -> Self {
        match e {
            AuthError::BadHeader(message) => ApiError::BadRequest { code: "bad_auth_header", message },
            AuthError::TooManyNonces | AuthError::StoreFailed => ApiError::Unavailable(e.to_string()),
            AuthError::RateLimited { retry_after } => {
                ApiError::TooManyRequests { code: "rate_limited", message: e.to_string(), retry_after }
            }
            AuthError::Forbidden(message) => ApiError::Forbidden(message),
            other => ApiError::Unauthenticated { code: other.code(), message: other.to_string() },
        }
    }
}

