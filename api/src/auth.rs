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
//!    default, [`NodeConfig::signature_window`](crate::node::NodeConfig)),
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
//!    ([`NodeConfig::verifier_rate_per_s`](crate::node::NodeConfig) and
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

use std::ops::RangeInclusive;
use std::time::Instant;

use actix_web::http::header::HeaderMap;
use actix_web::HttpRequest;
use ed25519_dalek::{Signature, Signer, SigningKey};
use sha2::{Digest, Sha256};

use zkreg_registry::tx::strict_key;

use crate::error::ApiError;
use crate::node::{now_secs, AppState, View};

pub mod admission;

pub use admission::{Admission, AdmissionLimits};

/// Domain separator and version of the signed message; its first line.
pub const SIGNATURE_VERSION: &str = "zkreg-http-sig/v1";
/// The authentication scheme named in `WWW-Authenticate` on a 401.
pub const AUTH_SCHEME: &str = "Zkreg-Http-Sig version=\"v1\"";

/// The caller's ed25519 public key, 64 hex digits.
pub const KEY_HEADER: &str = "zkreg-key";
/// Unix seconds when the request was signed, decimal.
pub const TIMESTAMP_HEADER: &str = "zkreg-timestamp";
/// A value the key never uses twice, hex.
pub const NONCE_HEADER: &str = "zkreg-nonce";
/// The ed25519 signature, 128 hex digits.
pub const SIGNATURE_HEADER: &str = "zkreg-signature";
/// How many hex digits a nonce has.
pub const NONCE_HEX_DIGITS: RangeInclusive<usize> = 16..=64;

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

/// The message a request's signature covers (see the module docs).
pub fn signed_message(method: &str, path_and_query: &str, body: &[u8], timestamp: &str, nonce: &str) -> Vec<u8> {
    let digest = hex::encode(Sha256::digest(body));
    format!("{SIGNATURE_VERSION}\n{method}\n{path_and_query}\n{digest}\n{timestamp}\n{nonce}").into_bytes()
}

/// The headers that sign a request: `(name, value)` pairs to add to it.
///
/// `path_and_query` is the request target as sent (`/v1/requests`), `body` the
/// exact bytes sent, `timestamp` unix seconds now, and `nonce` 16 to 64 hex
/// digits that this key never uses again (16 random bytes, hex, will do).
pub fn sign_request(
    key: &SigningKey,
    method: &str,
    path_and_query: &str,
    body: &[u8],
    timestamp: u64,
    nonce: &str,
) -> Vec<(&'static str, String)> {
    let timestamp = timestamp.to_string();
    let signature = key.sign(&signed_message(method, path_and_query, body, &timestamp, nonce));
    vec![
        (KEY_HEADER, hex::encode(key.verifying_key().to_bytes())),
        (TIMESTAMP_HEADER, timestamp),
        (NONCE_HEADER, nonce.to_owned()),
        (SIGNATURE_HEADER, hex::encode(signature.to_bytes())),
    ]
}

/// The signature headers of a request, parsed.
struct SignatureHeaders<'h> {
    key: [u8; 32],
    timestamp_text: &'h str,
    timestamp: u64,
    nonce: &'h str,
    signature: Signature,
}

fn header<'h>(headers: &'h HeaderMap, name: &'static str) -> Result<&'h str, AuthError> {
    let mut values = headers.get_all(name);
    let value = values.next().ok_or_else(|| AuthError::BadHeader(format!("header {name} is missing")))?;
    if values.next().is_some() {
        return Err(AuthError::BadHeader(format!("header {name} is repeated")));
    }
    value.to_str().map_err(|_| AuthError::BadHeader(format!("header {name} is not visible ASCII")))
}

fn hex_bytes<const N: usize>(value: &str, name: &'static str) -> Result<[u8; N], AuthError> {
    let bad = || AuthError::BadHeader(format!("header {name} must be {} hex digits", 2 * N));
    if value.len() != 2 * N {
        return Err(bad());
    }
    hex::decode(value).ok().and_then(|b| b.try_into().ok()).ok_or_else(bad)
}

impl<'h> SignatureHeaders<'h> {
    fn parse(headers: &'h HeaderMap) -> Result<Self, AuthError> {
        if ![KEY_HEADER, TIMESTAMP_HEADER, NONCE_HEADER, SIGNATURE_HEADER].iter().any(|n| headers.contains_key(*n)) {
            return Err(AuthError::Unsigned);
        }
        let key = hex_bytes::<32>(header(headers, KEY_HEADER)?, KEY_HEADER)?;
        let timestamp_text = header(headers, TIMESTAMP_HEADER)?;
        let timestamp = Some(timestamp_text)
            .filter(|t| !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit()))
            .and_then(|t| t.parse().ok())
            .ok_or_else(|| AuthError::BadHeader(format!("header {TIMESTAMP_HEADER} must be unix seconds, decimal digits")))?;
        let nonce = header(headers, NONCE_HEADER)?;
        if !NONCE_HEX_DIGITS.contains(&nonce.len()) || !nonce.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(AuthError::BadHeader(format!(
                "header {NONCE_HEADER} must be {} to {} hex digits",
                NONCE_HEX_DIGITS.start(),
                NONCE_HEX_DIGITS.end()
            )));
        }
        let signature = Signature::from_bytes(&hex_bytes::<64>(header(headers, SIGNATURE_HEADER)?, SIGNATURE_HEADER)?);
        Ok(SignatureHeaders { key, timestamp_text, timestamp, nonce, signature })
    }
}

/// Checks a request's signature headers against its method, path, body and
/// the clock `now` (unix seconds, ± `window` seconds); asks `caller` who the
/// key is (its refusal stops the check before the signature is verified),
/// then admits the call in `admission` (at instant `at`, the rate limits'
/// clock). Returns what `caller` said.
#[allow(clippy::too_many_arguments)]
pub fn verify_request<C>(
    headers: &HeaderMap,
    method: &str,
    path_and_query: &str,
    body: &[u8],
    now: u64,
    window: u64,
    caller: impl FnOnce(&[u8; 32]) -> Result<C, AuthError>,
    admission: &Admission,
    at: Instant,
) -> Result<C, AuthError> {
    let h = SignatureHeaders::parse(headers)?;
    if now.abs_diff(h.timestamp) > window {
        return Err(AuthError::StaleTimestamp { timestamp: h.timestamp, now, window });
    }
    let key = strict_key(&h.key).map_err(|_| AuthError::WeakKey)?;
    let caller = caller(&h.key)?;
    key.verify_strict(&signed_message(method, path_and_query, body, h.timestamp_text, h.nonce), &h.signature)
        .map_err(|_| AuthError::BadSignature)?;
    admission.admit(&h.key, h.nonce, h.timestamp.saturating_add(window), now, at)?;
    Ok(caller)
}

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
pub fn role(view: &View, authorities: &[[u8; 32]], key: &[u8; 32]) -> Role {
    // The ledger keeps active roles' keys apart (a retired regulator's key
    // may have become a verifier's since).
    if authorities.contains(key) {
        Role::RootAuthority
    } else if view.registry.verifier_by_key(key).is_some() {
        Role::Verifier
    } else if view.registry.regulator_keys.contains_key(key) || view.registry.regulators.values().any(|r| r.key == *key) {
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
pub fn registered_verifier(view: &View, authorities: &[[u8; 32]], key: &[u8; 32]) -> Result<Caller, AuthError> {
    let refusal = match role(view, authorities, key) {
        Role::Verifier => {
            if let Some(v) = view.registry.verifier_by_key(key) {
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

/// Authenticates a bank call with body `body` (the exact bytes received):
/// the signer must be an active registered verifier, and the call is
/// admitted (nonce, rate, share of the replay cache). Call it before parsing
/// the body.
pub fn authenticate_bank(req: &HttpRequest, body: &[u8], state: &AppState) -> Result<Caller, ApiError> {
    let target = req.uri().path_and_query().map_or_else(|| req.uri().path(), |p| p.as_str());
    let window = state.config.signature_window.as_secs();
    let view = state.view();
    let verified = verify_request(
        req.headers(),
        req.method().as_str(),
        target,
        body,
        now_secs(),
        window,
        |key| registered_verifier(&view, &state.authorities, key),
        &state.admission,
        Instant::now(),
    );
    state.metrics.set_seen_nonces(state.admission.len());
    Ok(verified?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::http::header::{HeaderName, HeaderValue};

    type Headers = Vec<(&'static str, String)>;

    const NOW: u64 = 1_750_000_000;
    const WINDOW: u64 = 300;

    fn headers(pairs: &[(&'static str, String)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(HeaderName::from_static(name), HeaderValue::from_str(value).unwrap());
        }
        map
    }

    fn admission(max_seen_nonces: usize) -> Admission {
        let tree = sled::Config::new().temporary(true).open().unwrap().open_tree("seen-nonces").unwrap();
        let limits = AdmissionLimits { max_seen_nonces, max_seen_nonces_per_key: max_seen_nonces, rate_per_s: 1000, burst: 1000 };
        Admission::open(tree, limits, NOW).unwrap()
    }

    /// Verifies as if every key were a registered verifier.
    fn check(pairs: &[(&'static str, String)], body: &[u8], seen: &Admission) -> Result<[u8; 32], AuthError> {
        verify_request(&headers(pairs), "POST", "/v1/requests", body, NOW, WINDOW, |k| Ok(*k), seen, Instant::now())
    }

    /// The message layout and its signature are pinned: the CLI and other
    /// clients sign this exact text.
    #[test]
    fn the_signed_message_and_signature_are_pinned() {
        let message = signed_message("POST", "/v1/requests?x=1", b"{}", "1750000000", "00112233445566778899aabbccddeeff");
        let expected = "zkreg-http-sig/v1\nPOST\n/v1/requests?x=1\n\
                        44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a\n\
                        1750000000\n00112233445566778899aabbccddeeff";
        assert_eq!(String::from_utf8(message).unwrap(), expected);
        let signed = sign_request(&SigningKey::from_bytes(&[7; 32]), "POST", "/v1/requests", b"{}", NOW, "00112233445566778899aabbccddeeff");
        let names: Vec<_> = signed.iter().map(|(n, _)| *n).collect();
        assert_eq!(names, [KEY_HEADER, TIMESTAMP_HEADER, NONCE_HEADER, SIGNATURE_HEADER]);
        assert_eq!(signed[3].1, PINNED_SIGNATURE);
    }

    /// Key `[7; 32]` over the message above without the query; checked
    /// against an independent ed25519 implementation (Python `cryptography`).
    const PINNED_SIGNATURE: &str = "0dea90263ffe40e6368823df70d19f6bc09b74cec1cc9d3e2a99f49bec2bbb94\
                                    34cdb9f6a171b6c554f959ab6020627c67a1dda9d50833f62c3547aadc5d8c0c";

    #[test]
    fn a_signed_request_verifies_once() {
        let seen = admission(10);
        let key = SigningKey::from_bytes(&[7; 32]);
        let signed = sign_request(&key, "POST", "/v1/requests", b"{}", NOW - 10, "0123456789abcdef");
        assert_eq!(check(&signed, b"{}", &seen), Ok(key.verifying_key().to_bytes()));
        assert_eq!(check(&signed, b"{}", &seen), Err(AuthError::ReplayedNonce));
        assert_eq!(check(&signed, b"{ }", &seen), Err(AuthError::BadSignature));
        assert_eq!(seen.len(), 1);
    }

    #[test]
    fn refusals_have_their_codes() {
        let seen = admission(10);
        let key = SigningKey::from_bytes(&[7; 32]);
        let good = sign_request(&key, "POST", "/v1/requests", b"", NOW, "0123456789abcdef");
        let with = |i: usize, v: &str| {
            let mut h = good.clone();
            h[i].1 = v.into();
            h
        };
        let stale = sign_request(&key, "POST", "/v1/requests", b"", NOW - WINDOW - 1, "0123456789abcdef");
        let future = sign_request(&key, "POST", "/v1/requests", b"", NOW + WINDOW + 1, "0123456789abcdef");
        let edge = sign_request(&key, "POST", "/v1/requests", b"", NOW - WINDOW, "00000000000000000000");
        // The identity point: canonical, but of small order.
        let weak = with(0, &format!("01{}", "00".repeat(31)));
        let cases: Vec<(&str, Headers, &str)> = vec![
            ("no headers", vec![], "unsigned"),
            ("missing signature", good[..3].to_vec(), "bad_auth_header"),
            ("short key", with(0, "abcd"), "bad_auth_header"),
            ("key not hex", with(0, &"zz".repeat(32)), "bad_auth_header"),
            ("negative timestamp", with(1, "-5"), "bad_auth_header"),
            ("signed timestamp", with(1, "+1750000000"), "bad_auth_header"),
            ("timestamp past u64", with(1, "99999999999999999999"), "bad_auth_header"),
            ("short nonce", with(2, "0123456789abcde"), "bad_auth_header"),
            ("long nonce", with(2, &"a".repeat(65)), "bad_auth_header"),
            ("nonce not hex", with(2, "0123456789abcdeg"), "bad_auth_header"),
            ("short signature", with(3, "00"), "bad_auth_header"),
            ("stale", stale, "stale_timestamp"),
            ("future", future, "stale_timestamp"),
            ("weak key", weak, "weak_key"),
            ("timestamp changed", with(1, &(NOW + 1).to_string()), "bad_signature"),
            ("nonce changed", with(2, "0123456789abcdee"), "bad_signature"),
        ];
        for (name, h, code) in cases {
            assert_eq!(check(&h, b"", &seen).map_err(|e| e.code()), Err(code), "{name}");
        }
        // Refusals record nothing; the edge of the window is inside it.
        assert!(seen.is_empty());
        assert!(check(&good, b"", &seen).is_ok());
        assert!(check(&edge, b"", &seen).is_ok());
        let mut repeated = headers(&good);
        repeated.append(HeaderName::from_static(NONCE_HEADER), HeaderValue::from_static("0123456789abcdef"));
        let err = verify_request(&repeated, "POST", "/v1/requests", b"", NOW, WINDOW, |k| Ok(*k), &seen, Instant::now()).unwrap_err();
        assert_eq!(err.code(), "bad_auth_header");
    }

    #[test]
    fn a_key_that_may_not_call_is_refused_before_its_signature_and_leaves_no_trace() {
        let seen = admission(10);
        let key = SigningKey::from_bytes(&[7; 32]);
        let good = sign_request(&key, "POST", "/v1/requests", b"", NOW, "0123456789abcdef");
        let mut forged = good.clone();
        forged[3].1 = "00".repeat(64);
        let refuse = |_: &[u8; 32]| -> Result<(), AuthError> { Err(AuthError::Forbidden("not a verifier".into())) };
        for h in [&good, &forged] {
            let got = verify_request(&headers(h), "POST", "/v1/requests", b"", NOW, WINDOW, refuse, &seen, Instant::now());
            assert_eq!(got.map_err(|e| e.code()), Err("forbidden"));
        }
        assert!(seen.is_empty());
        // Headers and the clock are checked first.
        let stale = sign_request(&key, "POST", "/v1/requests", b"", NOW - WINDOW - 1, "0123456789abcdef");
        let got = verify_request(&headers(&stale), "POST", "/v1/requests", b"", NOW, WINDOW, refuse, &seen, Instant::now());
        assert_eq!(got.map_err(|e| e.code()), Err("stale_timestamp"));
        // The same call from a key that may call is admitted once.
        assert_eq!(check(&good, b"", &seen), Ok(key.verifying_key().to_bytes()));
        assert_eq!(check(&good, b"", &seen), Err(AuthError::ReplayedNonce));
    }
}
