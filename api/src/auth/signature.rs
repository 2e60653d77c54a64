//! The signing scheme `zkreg-http-sig/v1` (see [`crate::auth`]): the
//! message a signature covers, signing a call, and checking one. Free of any
//! HTTP library: the caller hands over the request's headers through
//! [`Headers`].

use std::ops::RangeInclusive;
use std::time::Instant;

use ed25519_dalek::{Signature, Signer, SigningKey};
use sha2::{Digest, Sha256};

use zkreg_registry::tx::strict_key;

use super::{Admission, AuthError};

/// A request's headers, as the HTTP layer received them.
pub trait Headers {
    /// Every value of the header `name` (lower case), in order, as raw bytes.
    fn values(&self, name: &str) -> Vec<&[u8]>;
}

/// Domain separator and version of the signed message; its first line.
pub const SIGNATURE_VERSION: &str = zkreg_circuits::constants::HTTP_SIGNATURE_DOMAIN;
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

fn header<'h, H: Headers + ?Sized>(headers: &'h H, name: &'static str) -> Result<&'h str, AuthError> {
    let mut values = headers.values(name).into_iter();
    let value = values.next().ok_or_else(|| AuthError::BadHeader(format!("header {name} is missing")))?;
    if values.next().is_some() {
        return Err(AuthError::BadHeader(format!("header {name} is repeated")));
    }
    Some(value)
        .filter(|v| v.iter().all(|b| (0x20..0x7f).contains(b) || *b == b'\t'))
        .and_then(|v| std::str::from_utf8(v).ok())
        .ok_or_else(|| AuthError::BadHeader(format!("header {name} is not visible ASCII")))
}

fn hex_bytes<const N: usize>(value: &str, name: &'static str) -> Result<[u8; N], AuthError> {
    let bad = || AuthError::BadHeader(format!("header {name} must be {} hex digits", 2 * N));
    if value.len() != 2 * N {
        return Err(bad());
    }
    hex::decode(value).ok().and_then(|b| b.try_into().ok()).ok_or_else(bad)
}

impl<'h> SignatureHeaders<'h> {
    fn parse<H: Headers + ?Sized>(headers: &'h H) -> Result<Self, AuthError> {
        if [KEY_HEADER, TIMESTAMP_HEADER, NONCE_HEADER, SIGNATURE_HEADER].iter().all(|n| headers.values(n).is_empty()) {
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
pub fn verify_request<C, H: Headers + ?Sized>(
    headers: &H,
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
