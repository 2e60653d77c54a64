//! The signature headers of a bank call, handed from actix's header map to
//! the signing scheme ([`crate::auth::Headers`]).

use actix_web::http::header::HeaderMap;

use crate::auth::Headers;

/// A request's header map as the signing scheme reads it.
pub struct RequestHeaders<'h>(pub &'h HeaderMap);

impl Headers for RequestHeaders<'_> {
    fn values(&self, name: &str) -> Vec<&[u8]> {
        self.0.get_all(name).map(|v| v.as_bytes()).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::*;
    use actix_web::http::header::HeaderMap;
    use ed25519_dalek::SigningKey;
    use std::time::Instant;
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
        verify_request(&RequestHeaders(&headers(pairs)), "POST", "/v1/requests", body, NOW, WINDOW, |k| Ok(*k), seen, Instant::now())
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
        let err = verify_request(&RequestHeaders(&repeated), "POST", "/v1/requests", b"", NOW, WINDOW, |k| Ok(*k), &seen, Instant::now()).unwrap_err();
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
            let got = verify_request(&RequestHeaders(&headers(h)), "POST", "/v1/requests", b"", NOW, WINDOW, refuse, &seen, Instant::now());
            assert_eq!(got.map_err(|e| e.code()), Err("forbidden"));
        }
        assert!(seen.is_empty());
        // Headers and the clock are checked first.
        let stale = sign_request(&key, "POST", "/v1/requests", b"", NOW - WINDOW - 1, "0123456789abcdef");
        let got = verify_request(&RequestHeaders(&headers(&stale)), "POST", "/v1/requests", b"", NOW, WINDOW, refuse, &seen, Instant::now());
        assert_eq!(got.map_err(|e| e.code()), Err("stale_timestamp"));
        // The same call from a key that may call is admitted once.
        assert_eq!(check(&good, b"", &seen), Ok(key.verifying_key().to_bytes()));
        assert_eq!(check(&good, b"", &seen), Err(AuthError::ReplayedNonce));
    }
}
