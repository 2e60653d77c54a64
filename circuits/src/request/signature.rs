//! The verifier's signature on a proof request: the exact text signed,
//! signing, and strict verification under the verifier's registered key.

use ed25519_dalek::{Signature, Signer, SigningKey, VerifyingKey};

use super::{is_lower_hex, ProofRequest, RequestError, SIGNATURE_HEX_LEN};
use crate::constants::REQUEST_SIGNATURE_DOMAIN;

impl ProofRequest {
    /// The text the verifier signs: UTF-8, lines joined by `\n`, no trailing
    /// newline:
    ///
    /// ```text
    /// zkreg-request-sig/v1
    /// <version>
    /// <verifier>
    /// <scope>
    /// <challenge>
    /// <expires_at>
    /// <number of predicates>
    /// <schema>\t<lo>\t<hi>\t<groth16|bulletproofs>[\t<issuer>]*    (one line per predicate)
    /// ```
    ///
    /// `lo` and `hi` are the operator's inclusive bounds in decimal (`>= v`
    /// is `v` to 2^64 − 1, `<= v` is 0 to `v`, `== v` is `v` to `v`), so two
    /// operators with the same bounds sign alike, as the circuit sees them
    /// alike; issuers follow in the request's order. The first line is
    /// [`REQUEST_SIGNATURE_DOMAIN`]. A valid request's names have no control
    /// characters, so no name holds a `\n` or a `\t` and the text parses back
    /// one way only. The signature itself is not part of the message.
    pub fn signing_message(&self) -> Vec<u8> {
        let mut lines = vec![
            REQUEST_SIGNATURE_DOMAIN.to_owned(),
            self.version.to_string(),
            self.verifier.clone(),
            self.scope.clone(),
            self.challenge.clone(),
            self.expires_at.to_string(),
            self.predicates.len().to_string(),
        ];
        for p in &self.predicates {
            let (lo, hi) = p.operator.written_bounds();
            let mut fields = vec![p.schema.clone(), lo.to_string(), hi.to_string(), p.backend.name().to_owned()];
            fields.extend(p.allowed_issuers.iter().cloned());
            lines.push(fields.join("\t"));
        }
        lines.join("\n").into_bytes()
    }

    /// Signs the request with the verifier's key: sets
    /// [`ProofRequest::signature`] to the ed25519 signature of
    /// [`ProofRequest::signing_message`] (deterministic, so signing twice
    /// gives the same signature).
    pub fn sign(&mut self, key: &SigningKey) {
        let signature = key.sign(&self.signing_message());
        self.signature = Some(hex::encode(signature.to_bytes()));
    }

    /// Checks the request's signature under `verifier_key`, the ed25519 key
    /// registered for [`ProofRequest::verifier`], strictly: the key must be a
    /// canonical encoding of a point not of small order, and the signature
    /// must pass `verify_strict` (canonical `R` and `s`, `R` not of small
    /// order). Errors: [`RequestError::Unsigned`],
    /// [`RequestError::MalformedSignature`], [`RequestError::BadVerifierKey`],
    /// [`RequestError::BadSignature`]. It does not check the rest of the
    /// request; call [`ProofRequest::validate`] too.
    pub fn verify_signature(&self, verifier_key: &[u8; 32]) -> Result<(), RequestError> {
        let signature = self.signature.as_deref().ok_or(RequestError::Unsigned)?;
        if !is_lower_hex(signature, SIGNATURE_HEX_LEN) {
            return Err(RequestError::MalformedSignature);
        }
        let mut bytes = [0u8; 64];
        hex::decode_to_slice(signature, &mut bytes).map_err(|_| RequestError::MalformedSignature)?;
        let key = VerifyingKey::from_bytes(verifier_key).map_err(|_| RequestError::BadVerifierKey)?;
        if key.is_weak() || key.to_edwards().compress().to_bytes() != *verifier_key {
            return Err(RequestError::BadVerifierKey);
        }
        key.verify_strict(&self.signing_message(), &Signature::from_bytes(&bytes))
            .map_err(|_| RequestError::BadSignature)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::request::tests::{licence, request, two_predicates};
    use crate::request::{Backend, Operator, PredicateSpec};

    fn bank_key() -> SigningKey {
        SigningKey::from_bytes(&[7; 32])
    }

    /// The exact text signed, and a signature under the key `[7; 32]`.
    /// The signature was computed independently with Python's
    /// `cryptography` package (48.0):
    /// `Ed25519PrivateKey.from_private_bytes(bytes([7] * 32)).sign(message).hex()`,
    /// and this implementation produces the same bytes.
    #[test]
    fn signing_message_and_signature_known_answer() {
        let mut r = two_predicates();
        let expected = format!(
            "zkreg-request-sig/v1\n1\nbank-a\nbank-a/loans\n{}\n1900000000\n2\n\
             credit-score\t700\t18446744073709551615\tgroth16\tcentral-bank\tbureau\n\
             licence.food-business\t1\t3\tgroth16",
            "ab".repeat(32)
        );
        assert_eq!(String::from_utf8(r.signing_message()).unwrap(), expected);
        assert_eq!(
            hex::encode(bank_key().verifying_key().to_bytes()),
            "ea4a6c63e29c520abef5507b132ec5f9954776aebebe7b92421eea691446d22c"
        );
        r.sign(&bank_key());
        assert_eq!(
            r.signature.as_deref(),
            Some(
                "4d8977d5124f4a6da6b87d914a69e5ef1ad4184da673bbfed3b43dbb8c1c4b77\
                 edcc9fd9cecdf7852baee06d62a2c784c7f9f2039fc8b387b13f4f4ee986f202"
            )
        );
        assert_eq!(r.verify_signature(&bank_key().verifying_key().to_bytes()), Ok(()));
        assert_eq!(r.validate(), Ok(()));
        // The signature is not part of what is signed.
        let mut again = r.clone();
        again.sign(&bank_key());
        assert_eq!(again, r);
        // Each operator signs as its bounds.
        let mut ops = request(vec![]);
        for operator in [Operator::AtMost { value: 5 }, Operator::Equals { value: 3 }, Operator::Between { lo: 9, hi: 2 }] {
            ops.predicates.push(PredicateSpec { operator, ..licence(Backend::Bulletproofs) });
        }
        let text = String::from_utf8(ops.signing_message()).unwrap();
        assert!(
            text.ends_with(
                "\n3\nlicence.food-business\t0\t5\tbulletproofs\n\
                 licence.food-business\t3\t3\tbulletproofs\n\
                 licence.food-business\t9\t2\tbulletproofs"
            ),
            "{text}"
        );
    }

    #[test]
    fn json_carries_the_signature_only_when_signed() {
        let mut r = two_predicates();
        let unsigned = serde_json::to_value(&r).unwrap();
        assert!(unsigned.get("signature").is_none(), "{unsigned}");
        assert_eq!(serde_json::from_value::<ProofRequest>(unsigned).unwrap(), r);
        r.sign(&bank_key());
        let signed = serde_json::to_value(&r).unwrap();
        assert_eq!(signed["signature"].as_str(), r.signature.as_deref());
        assert_eq!(serde_json::from_value::<ProofRequest>(signed).unwrap(), r);
    }

    #[test]
    fn any_change_breaks_the_signature() {
        let key = bank_key();
        let public = key.verifying_key().to_bytes();
        let mut signed = two_predicates();
        signed.sign(&key);
        assert_eq!(signed.verify_signature(&public), Ok(()));
        type Edit = Box<dyn Fn(&mut ProofRequest)>;
        let edits: Vec<(&str, Edit)> = vec![
            ("verifier", Box::new(|r| r.verifier = "bank-b".into())),
            ("scope", Box::new(|r| r.scope = "bank-a/cards".into())),
            ("challenge", Box::new(|r| r.challenge = "cd".repeat(32))),
            ("expiry", Box::new(|r| r.expires_at += 1)),
            ("version", Box::new(|r| r.version = 2)),
            ("lower bound", Box::new(|r| r.predicates[0].operator = Operator::AtLeast { value: 699 })),
            ("upper bound", Box::new(|r| r.predicates[1].operator = Operator::Between { lo: 1, hi: 4 })),
            ("operator", Box::new(|r| r.predicates[0].operator = Operator::Equals { value: 700 })),
            ("schema", Box::new(|r| r.predicates[1].schema = "licence.taxi".into())),
            ("backend", Box::new(|r| r.predicates[1].backend = Backend::Bulletproofs)),
            ("issuer", Box::new(|r| r.predicates[0].allowed_issuers[1] = "bureaux".into())),
            ("issuer added", Box::new(|r| r.predicates[1].allowed_issuers.push("food-agency".into()))),
            ("issuer removed", Box::new(|r| {
                r.predicates[0].allowed_issuers.pop();
            })),
            ("issuers reordered", Box::new(|r| r.predicates[0].allowed_issuers.reverse())),
            ("predicates reordered", Box::new(|r| r.predicates.reverse())),
            ("predicate removed", Box::new(|r| {
                r.predicates.pop();
            })),
            // An issuer moved from one predicate to the next.
            ("issuer moved", Box::new(|r| {
                let moved = r.predicates[0].allowed_issuers.pop().unwrap();
                r.predicates[1].allowed_issuers.push(moved);
            })),
        ];
        for (name, edit) in edits {
            let mut tampered = signed.clone();
            edit(&mut tampered);
            assert_ne!(tampered.signing_message(), signed.signing_message(), "{name}");
            assert_eq!(tampered.verify_signature(&public), Err(RequestError::BadSignature), "{name}");
        }
        // Another key's signature, or this signature under another key.
        let other = SigningKey::from_bytes(&[8; 32]);
        let mut by_other = signed.clone();
        by_other.sign(&other);
        assert_eq!(by_other.verify_signature(&public), Err(RequestError::BadSignature));
        assert_eq!(by_other.verify_signature(&other.verifying_key().to_bytes()), Ok(()));
        assert_eq!(signed.verify_signature(&other.verifying_key().to_bytes()), Err(RequestError::BadSignature));
    }

    #[test]
    fn malformed_signatures_and_keys_are_refused() {
        let key = bank_key();
        let public = key.verifying_key().to_bytes();
        let mut signed = two_predicates();
        assert_eq!(signed.verify_signature(&public), Err(RequestError::Unsigned));
        assert_eq!(signed.verify_signature(&public).unwrap_err().code(), "request_unsigned");
        signed.sign(&key);
        let good = signed.signature.clone().unwrap();
        for bad in [
            String::new(),
            good[..126].to_owned(),
            format!("{good}00"),
            good.to_uppercase(),
            format!("zz{}", &good[2..]),
            format!("0x{}", &good[2..]),
        ] {
            let mut r = signed.clone();
            r.signature = Some(bad.clone());
            assert_eq!(r.verify_signature(&public), Err(RequestError::MalformedSignature), "{bad:?}");
            assert_eq!(r.validate(), Err(RequestError::MalformedSignature), "{bad:?}");
        }
        // Well-formed but wrong: a flipped bit, and an `s` that is not reduced
        // (s + l encodes the same scalar; strict verification refuses it).
        let mut bytes: [u8; 64] = hex::decode(&good).unwrap().try_into().unwrap();
        let mut flipped = signed.clone();
        bytes[10] ^= 1;
        flipped.signature = Some(hex::encode(bytes));
        assert_eq!(flipped.verify_signature(&public), Err(RequestError::BadSignature));
        bytes[10] ^= 1;
        // l = 2^252 + 27742317777372353535851937790883648493, little-endian.
        const L: [u8; 32] = [
            0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde, 0x14, 0, 0, 0, 0, 0, 0,
            0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10,
        ];
        let mut carry = 0u16;
        for (s, l) in bytes[32..].iter_mut().zip(L) {
            let sum = *s as u16 + l as u16 + carry;
            *s = sum as u8;
            carry = sum >> 8;
        }
        assert_eq!(carry, 0, "s + l fits in 256 bits");
        let mut unreduced = signed.clone();
        unreduced.signature = Some(hex::encode(bytes));
        assert_eq!(unreduced.verify_signature(&public), Err(RequestError::BadSignature));
        // Keys: small-order points (the identity y = 1, and y = -1 of order 2).
        let encode_y = |low: u8| {
            let mut k = [0xffu8; 32];
            k[0] = low;
            k[31] = 0x7f;
            k
        };
        let identity = {
            let mut k = [0u8; 32];
            k[0] = 1;
            k
        };
        for small in [identity, encode_y(0xec)] {
            assert!(VerifyingKey::from_bytes(&small).is_ok_and(|k| k.is_weak()));
            assert_eq!(signed.verify_signature(&small), Err(RequestError::BadVerifierKey), "{}", hex::encode(small));
        }
        // Non-canonical encodings y = p + k (p = 2^255 - 19) that decode to
        // points of large order: the decoder accepts them, the check does not.
        let non_canonical: Vec<[u8; 32]> = (0xef..=0xffu8)
            .map(encode_y)
            .filter(|k| VerifyingKey::from_bytes(k).is_ok_and(|v| !v.is_weak()))
            .collect();
        assert!(!non_canonical.is_empty());
        for bad_key in non_canonical {
            assert_eq!(signed.verify_signature(&bad_key), Err(RequestError::BadVerifierKey), "{}", hex::encode(bad_key));
        }
        let not_a_point = (2u8..=255)
            .map(|b| {
                let mut k = [0u8; 32];
                k[0] = b;
                k
            })
            .find(|k| VerifyingKey::from_bytes(k).is_err())
            .unwrap();
        assert_eq!(signed.verify_signature(&not_a_point), Err(RequestError::BadVerifierKey));
        assert_eq!(signed.verify_signature(&public), Ok(()));
    }
}
