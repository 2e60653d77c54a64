//! Groth16 verifying keys, proofs and public signals in the snarkjs JSON format.
//!
//! zkreg's predicate proofs are ordinary Groth16 proofs over BN254, so any
//! snarkjs-compatible verifier (`snarkjs groth16 verify`, a generated Solidity
//! verifier, circom tooling) can check them once they are written the way
//! snarkjs writes its own files:
//!
//! * `verification_key.json`: [`verifying_key_json`], read back by [`verifying_key_from_json`];
//! * `proof.json`: [`proof_json`], read back by [`proof_from_json`];
//! * `public.json`: [`public_json`], read back by [`public_from_json`].
//!
//! Field elements are decimal strings. Points are in projective form with
//! `z = 1`: G1 as `[x, y, "1"]`, G2 as `[[x.c0, x.c1], [y.c0, y.c1], ["1", "0"]]`;
//! the point at infinity is written as snarkjs writes it, `["0", "1", "0"]` in
//! G1 and `[["0", "0"], ["1", "0"], ["0", "0"]]` in G2.
//!
//! The parsers accept exactly that form and nothing looser. Every coordinate
//! must be a canonical decimal (digits only, no sign, no leading zeros) below
//! the modulus, because snarkjs reduces `x + p` to `x` silently and two
//! encodings of one key or proof would defeat any deduplication built on the
//! bytes. Every point must be on its curve and in the prime-order subgroup.
//! A key whose `vk_delta_2` is `±vk_gamma_2` (a snarkjs zkey that never had a
//! phase-2 contribution) is refused: under it any statement can be "proven".
//! Malformed input is an [`SnarkjsError`], never a panic.
//!
//! # What a consumer of the export must check itself
//!
//! A snarkjs, JavaScript or Solidity verifier checks the pairing equation
//! and, in snarkjs's generated contracts, that each public signal is below
//! the field modulus `r`. That is not enough for a zkreg proof. The public
//! signals are, in this order (see [`zkreg_circuits::predicate::PublicInputs`]):
//!
//! | index | signal | what the consumer must check |
//! | --- | --- | --- |
//! | 0 | `root` | a commitment-tree root in the ledger's accepted window of recent roots (`GET /v1/roots`); an older root may prove a since-revoked credential |
//! | 1 | `schema_id` | `label(Schema, schema)` of the schema it asked for |
//! | 2 | `issuer_id` | `label(Issuer, issuer)` of an issuer it accepts **and** that the ledger authorises for the schema |
//! | 3 | `lo` | the bound it asked for, and **`lo < 2^64`** |
//! | 4 | `hi` | the bound it asked for, and **`hi < 2^64`** |
//! | 5 | `today` | within its tolerance of its own day, and **`today < 2^32`** |
//! | 6 | `scope` | `label(Scope, scope)` of its own scope, `<verifier>/<purpose>` |
//! | 7 | `challenge` | `label(Challenge, challenge)` of a challenge it issued, unexpired, and not used before (single use) |
//! | 8 | `pseudonym` | equal across all proofs of one presentation (one holder) |
//!
//! The circuit checks `lo <= value <= hi` as two 64-bit range checks and
//! `expiry >= today` in 32 bits; it is sound only for `lo`, `hi` below 2^64
//! and `today` below 2^32. A field element such as `r - 1` (the field's
//! `-1`) as `lo` is a different statement from any the bank meant. zkreg's
//! own raw path ([`crate::groth16::PredicateVerifier::verify_inputs`])
//! refuses such signals ([`crate::groth16::ProofError::InputOutOfRange`]);
//! an external verifier must do the same. The verifying key must also be the
//! one whose fingerprint the ledger registered.

use ark_bn254::{Bn254, Fq, Fq12, Fq2, Fq6, Fr, G1Affine, G2Affine};
use ark_ec::short_weierstrass::{Affine, SWCurveConfig};
use ark_ec::{pairing::Pairing, AffineRepr};
use ark_ff::{One, PrimeField, Zero};
use ark_groth16::{Proof, VerifyingKey};
use serde_json::{json, Value};

/// The pairing the snarkjs format describes (`"curve": "bn128"`).
pub type Curve = Bn254;

/// `protocol` field of snarkjs Groth16 keys and proofs.
pub const PROTOCOL: &str = "groth16";

/// `curve` field of snarkjs files for BN254 (snarkjs calls it `bn128`).
pub const CURVE: &str = "bn128";

/// The longest canonical decimal of a 256-bit number (2^256 has 78 digits).
const MAX_DECIMAL_DIGITS: usize = 78;

/// Errors from reading snarkjs JSON. `at` names the offending value
/// (`"vk_beta_2[0][1]"`, `"pi_a"`, `"public[7]"`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SnarkjsError {
    /// A required field of a JSON object is absent.
    #[error("missing field `{0}`")]
    MissingField(String),
    /// A value has the wrong JSON type (an object, array or string was expected).
    #[error("`{at}` must be {expected}")]
    WrongType {
        /// Where.
        at: String,
        /// The JSON type that was expected.
        expected: &'static str,
    },
    /// An array has the wrong number of entries (a G1 point has 3
    /// coordinates, a G2 point 3 pairs, `IC` has `nPublic + 1` points, …).
    #[error("`{at}` must have {expected} entries, got {got}")]
    WrongLength {
        /// Where.
        at: String,
        /// The required number of entries.
        expected: usize,
        /// The number found.
        got: usize,
    },
    /// A string is not a canonical decimal number: empty, a sign, a hex
    /// prefix, a separator, leading zeros, or longer than 78 digits.
    #[error("`{at}` is not a canonical decimal number")]
    NotDecimal {
        /// Where.
        at: String,
    },
    /// A decimal value is not less than the modulus of its field.
    #[error("`{at}` is not canonical (value >= field modulus)")]
    NonCanonical {
        /// Where.
        at: String,
    },
    /// The projective `z` coordinate is neither one (an affine point) nor the
    /// canonical point at infinity that snarkjs writes.
    #[error("`{at}` is not in snarkjs's normalised projective form (z must be 1, or the canonical point at infinity)")]
    NotNormalised {
        /// Where.
        at: String,
    },
    /// A point's coordinates do not satisfy its curve equation.
    #[error("`{at}` is not on the curve")]
    NotOnCurve {
        /// Where.
        at: String,
    },
    /// A point is on the curve but outside the prime-order subgroup (only
    /// possible in G2, whose twist has a large cofactor).
    #[error("`{at}` is not in the prime-order subgroup")]
    NotInSubgroup {
        /// Where.
        at: String,
    },
    /// A verifying-key element that must not be the identity is the identity
    /// (a key with `gamma` or `delta` at infinity accepts forged proofs).
    #[error("`{at}` is the point at infinity")]
    IdentityPoint {
        /// Where.
        at: String,
    },
    /// `protocol` is not `"groth16"`.
    #[error("protocol must be \"{PROTOCOL}\", got {0:?}")]
    WrongProtocol(String),
    /// `curve` is not `"bn128"`.
    #[error("curve must be \"{CURVE}\", got {0:?}")]
    WrongCurve(String),
    /// `nPublic` is not a non-negative integer that fits in memory.
    #[error("`nPublic` must be a non-negative integer")]
    BadPublicCount,
    /// `vk_alphabeta_12` is present but is not `e(vk_alpha_1, vk_beta_2)`.
    #[error("`vk_alphabeta_12` is not e(vk_alpha_1, vk_beta_2)")]
    AlphaBetaMismatch,
    /// `vk_delta_2` equals `vk_gamma_2` (or its negation): a snarkjs zkey
    /// exported without any phase-2 contribution, under which
    /// `(α, β, −PI(x))` verifies for every statement `x`.
    #[error("`vk_delta_2` equals `vk_gamma_2` (no phase-2 contribution): proofs can be forged")]
    GammaEqualsDelta,
}

impl SnarkjsError {
    /// A stable machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            SnarkjsError::MissingField(_) => "missing_field",
            SnarkjsError::WrongType { .. } => "wrong_type",
            SnarkjsError::WrongLength { .. } => "wrong_length",
            SnarkjsError::NotDecimal { .. } => "not_decimal",
            SnarkjsError::NonCanonical { .. } => "non_canonical",
            SnarkjsError::NotNormalised { .. } => "not_normalised",
            SnarkjsError::NotOnCurve { .. } => "not_on_curve",
            SnarkjsError::NotInSubgroup { .. } => "not_in_subgroup",
            SnarkjsError::IdentityPoint { .. } => "identity_point",
            SnarkjsError::WrongProtocol(_) => "wrong_protocol",
            SnarkjsError::WrongCurve(_) => "wrong_curve",
            SnarkjsError::BadPublicCount => "bad_public_count",
            SnarkjsError::AlphaBetaMismatch => "alphabeta_mismatch",
            SnarkjsError::GammaEqualsDelta => "gamma_equals_delta",
        }
    }
}

// ---------------------------------------------------------------------------
// Export
// ---------------------------------------------------------------------------

/// `verification_key.json` of `vk`, as `snarkjs zkey export verificationkey` writes it.
///
/// `vk_alphabeta_12` is the pairing `e(alpha, beta)` in snarkjs's layout;
/// `snarkjs groth16 verify` does not read it, Solidity verifier templates do.
///
/// A verifier built from this key (`snarkjs groth16 verify`, a generated
/// Solidity contract) checks only the pairing equation. It must in addition
/// check public signals 3 and 4 (`lo`, `hi`) `< 2^64` and 5 (`today`)
/// `< 2^32`, compare signal 0 (`root`) against the ledger's window of recent
/// roots, and check the other signals against its own request: see the
/// [module documentation](self) for the whole list.
pub fn verifying_key_json(vk: &VerifyingKey<Curve>) -> Value {
    let alphabeta = Curve::pairing(vk.alpha_g1, vk.beta_g2).0;
    json!({
        "protocol": PROTOCOL,
        "curve": CURVE,
        "nPublic": vk.gamma_abc_g1.len().saturating_sub(1),
        "vk_alpha_1": g1_json(&vk.alpha_g1),
        "vk_beta_2": g2_json(&vk.beta_g2),
        "vk_gamma_2": g2_json(&vk.gamma_g2),
        "vk_delta_2": g2_json(&vk.delta_g2),
        "vk_alphabeta_12": fq12_json(&alphabeta),
        "IC": vk.gamma_abc_g1.iter().map(g1_json).collect::<Vec<_>>(),
    })
}

/// `proof.json` of `proof`, as `snarkjs groth16 prove` writes it.
///
/// That the proof verifies says nothing about its public signals' ranges
/// or freshness: the consumer checks `lo`, `hi` `< 2^64`, `today < 2^32`,
/// the root against the ledger's window, and the rest (see the
/// [module documentation](self)).
pub fn proof_json(proof: &Proof<Curve>) -> Value {
    json!({
        "pi_a": g1_json(&proof.a),
        "pi_b": g2_json(&proof.b),
        "pi_c": g1_json(&proof.c),
        "protocol": PROTOCOL,
        "curve": CURVE,
    })
}

/// `public.json`: the public inputs, in circuit order, as decimal strings:
/// `[root, schema_id, issuer_id, lo, hi, today, scope, challenge, pseudonym]`.
///
/// A consumer must check signals 3 and 4 (`lo`, `hi`) `< 2^64` and 5
/// (`today`) `< 2^32` (snarkjs only checks `< r`), that signal 0 (`root`) is
/// in the ledger's window of recent roots, that the challenge (7) is one it
/// issued and has not seen answered, and the others against its request
/// (see the [module documentation](self)). [`public_from_json`] checks only
/// that each signal is a canonical field element; pass the result to
/// [`crate::groth16::PredicateVerifier::verify_inputs`], which checks the
/// ranges.
pub fn public_json(inputs: &[Fr]) -> Value {
    Value::Array(inputs.iter().map(|x| Value::String(decimal(x))).collect())
}

fn decimal<F: PrimeField>(x: &F) -> String {
    x.into_bigint().to_string()
}

fn fq2_json(x: &Fq2) -> Value {
    json!([decimal(&x.c0), decimal(&x.c1)])
}

fn fq6_json(x: &Fq6) -> Value {
    json!([fq2_json(&x.c0), fq2_json(&x.c1), fq2_json(&x.c2)])
}

/// snarkjs (ffjavascript) uses the same tower as arkworks:
/// Fq12 = Fq6[w]/(w² − v), Fq6 = Fq2[v]/(v³ − (9 + u)).
fn fq12_json(x: &Fq12) -> Value {
    json!([fq6_json(&x.c0), fq6_json(&x.c1)])
}

fn g1_json(p: &G1Affine) -> Value {
    match p.xy() {
        Some((x, y)) => json!([decimal(&x), decimal(&y), "1"]),
        None => json!(["0", "1", "0"]),
    }
}

fn g2_json(p: &G2Affine) -> Value {
    match p.xy() {
        Some((x, y)) => json!([fq2_json(&x), fq2_json(&y), ["1", "0"]]),
        None => json!([["0", "0"], ["1", "0"], ["0", "0"]]),
    }
}

// ---------------------------------------------------------------------------
// Import
// ---------------------------------------------------------------------------

/// Reads `proof.json`, validating `protocol`, `curve` and every point.
pub fn proof_from_json(value: &Value) -> Result<Proof<Curve>, SnarkjsError> {
    check_header(value)?;
    Ok(Proof {
        a: parse_g1(field(value, "pi_a")?, "pi_a")?,
        b: parse_g2(field(value, "pi_b")?, "pi_b")?,
        c: parse_g1(field(value, "pi_c")?, "pi_c")?,
    })
}

/// Reads `verification_key.json`, validating `protocol`, `curve`, `nPublic`
/// against `IC`, and every point; `alpha`, `beta`, `gamma` and `delta` must
/// not be the identity, and `delta` must not be `±gamma`
/// ([`SnarkjsError::GammaEqualsDelta`]). `vk_alphabeta_12` may be absent; if
/// present it must equal `e(vk_alpha_1, vk_beta_2)`.
pub fn verifying_key_from_json(value: &Value) -> Result<VerifyingKey<Curve>, SnarkjsError> {
    check_header(value)?;
    let n_public =
        field(value, "nPublic")?.as_u64().and_then(|n| usize::try_from(n).ok()).ok_or(SnarkjsError::BadPublicCount)?;
    let ic = array(field(value, "IC")?, "IC")?;
    let expected = n_public.checked_add(1).ok_or(SnarkjsError::BadPublicCount)?;
    if ic.len() != expected {
        return Err(SnarkjsError::WrongLength { at: "IC".into(), expected, got: ic.len() });
    }
    let vk: VerifyingKey<Curve> = VerifyingKey {
        alpha_g1: non_identity(parse_g1(field(value, "vk_alpha_1")?, "vk_alpha_1")?, "vk_alpha_1")?,
        beta_g2: non_identity(parse_g2(field(value, "vk_beta_2")?, "vk_beta_2")?, "vk_beta_2")?,
        gamma_g2: non_identity(parse_g2(field(value, "vk_gamma_2")?, "vk_gamma_2")?, "vk_gamma_2")?,
        delta_g2: non_identity(parse_g2(field(value, "vk_delta_2")?, "vk_delta_2")?, "vk_delta_2")?,
        gamma_abc_g1: ic.iter().enumerate().map(|(i, p)| parse_g1(p, &format!("IC[{i}]"))).collect::<Result<_, _>>()?,
    };
    let minus_gamma: G2Affine = -vk.gamma_g2;
    if vk.delta_g2 == vk.gamma_g2 || vk.delta_g2 == minus_gamma {
        return Err(SnarkjsError::GammaEqualsDelta);
    }
    if let Some(ab) = value.get("vk_alphabeta_12") {
        if parse_fq12(ab, "vk_alphabeta_12")? != Curve::pairing(vk.alpha_g1, vk.beta_g2).0 {
            return Err(SnarkjsError::AlphaBetaMismatch);
        }
    }
    Ok(vk)
}

/// Reads `public.json`: an array of canonical decimal strings below `r`.
/// It does not check the predicate circuit's narrower ranges (`lo`, `hi`
/// below 2^64, `today` below 2^32):
/// [`crate::groth16::PredicateVerifier::verify_inputs`] does.
pub fn public_from_json(value: &Value) -> Result<Vec<Fr>, SnarkjsError> {
    array(value, "public")?.iter().enumerate().map(|(i, x)| parse_field(x, &format!("public[{i}]"))).collect()
}

fn check_header(value: &Value) -> Result<(), SnarkjsError> {
    let protocol = string(field(value, "protocol")?, "protocol")?;
    if protocol != PROTOCOL {
        return Err(SnarkjsError::WrongProtocol(protocol.to_owned()));
    }
    let curve = string(field(value, "curve")?, "curve")?;
    if curve != CURVE {
        return Err(SnarkjsError::WrongCurve(curve.to_owned()));
    }
    Ok(())
}

fn field<'a>(value: &'a Value, key: &str) -> Result<&'a Value, SnarkjsError> {
    value
        .as_object()
        .ok_or_else(|| SnarkjsError::WrongType { at: "top level".into(), expected: "an object" })?
        .get(key)
        .ok_or_else(|| SnarkjsError::MissingField(key.into()))
}

fn string<'a>(value: &'a Value, at: &str) -> Result<&'a str, SnarkjsError> {
    value.as_str().ok_or_else(|| SnarkjsError::WrongType { at: at.into(), expected: "a string" })
}

fn array<'a>(value: &'a Value, at: &str) -> Result<&'a [Value], SnarkjsError> {
    value.as_array().map(Vec::as_slice).ok_or_else(|| SnarkjsError::WrongType { at: at.into(), expected: "an array" })
}

/// An array of exactly `N` entries.
fn tuple<'a, const N: usize>(value: &'a Value, at: &str) -> Result<&'a [Value; N], SnarkjsError> {
    let items = array(value, at)?;
    items.try_into().map_err(|_| SnarkjsError::WrongLength { at: at.into(), expected: N, got: items.len() })
}

/// A canonical decimal string below the modulus of `F`.
fn parse_field<F: PrimeField>(value: &Value, at: &str) -> Result<F, SnarkjsError> {
    let s = string(value, at)?;
    let canonical_digits = !s.is_empty()
        && s.len() <= MAX_DECIMAL_DIGITS
        && s.bytes().all(|b| b.is_ascii_digit())
        && (s == "0" || !s.starts_with('0'));
    if !canonical_digits {
        return Err(SnarkjsError::NotDecimal { at: at.into() });
    }
    // At most 78 digits, so this can only fail for values >= 2^256.
    let big: F::BigInt = s.parse().map_err(|_| SnarkjsError::NonCanonical { at: at.into() })?;
    F::from_bigint(big).ok_or_else(|| SnarkjsError::NonCanonical { at: at.into() })
}

fn parse_fq2(value: &Value, at: &str) -> Result<Fq2, SnarkjsError> {
    let [c0, c1] = tuple(value, at)?;
    Ok(Fq2::new(parse_field(c0, &format!("{at}[0]"))?, parse_field(c1, &format!("{at}[1]"))?))
}

fn parse_fq6(value: &Value, at: &str) -> Result<Fq6, SnarkjsError> {
    let [c0, c1, c2] = tuple(value, at)?;
    Ok(Fq6::new(
        parse_fq2(c0, &format!("{at}[0]"))?,
        parse_fq2(c1, &format!("{at}[1]"))?,
        parse_fq2(c2, &format!("{at}[2]"))?,
    ))
}

fn parse_fq12(value: &Value, at: &str) -> Result<Fq12, SnarkjsError> {
    let [c0, c1] = tuple(value, at)?;
    Ok(Fq12::new(parse_fq6(c0, &format!("{at}[0]"))?, parse_fq6(c1, &format!("{at}[1]"))?))
}

fn parse_g1(value: &Value, at: &str) -> Result<G1Affine, SnarkjsError> {
    parse_point(value, at, parse_field::<Fq>)
}

fn parse_g2(value: &Value, at: &str) -> Result<G2Affine, SnarkjsError> {
    parse_point(value, at, parse_fq2)
}

/// A point in snarkjs' projective form `[x, y, z]`: `z = 1` for an affine
/// point, `[0, 1, 0]` for the identity, nothing else; then validated.
fn parse_point<C: SWCurveConfig>(
    value: &Value,
    at: &str,
    coordinate: impl Fn(&Value, &str) -> Result<C::BaseField, SnarkjsError>,
) -> Result<Affine<C>, SnarkjsError> {
    let [x, y, z] = tuple(value, at)?;
    let x = coordinate(x, &format!("{at}[0]"))?;
    let y = coordinate(y, &format!("{at}[1]"))?;
    let z = coordinate(z, &format!("{at}[2]"))?;
    let point = if z.is_zero() {
        if !(x.is_zero() && y.is_one()) {
            return Err(SnarkjsError::NotNormalised { at: at.into() });
        }
        Affine::<C>::identity()
    } else if z.is_one() {
        Affine::<C>::new_unchecked(x, y)
    } else {
        return Err(SnarkjsError::NotNormalised { at: at.into() });
    };
    validate(point, at, Affine::<C>::is_on_curve, Affine::<C>::is_in_correct_subgroup_assuming_on_curve)
}

/// On-curve, then subgroup check (the latter is only meaningful on the curve).
fn validate<P: AffineRepr>(
    point: P,
    at: &str,
    on_curve: impl Fn(&P) -> bool,
    in_subgroup: impl Fn(&P) -> bool,
) -> Result<P, SnarkjsError> {
    if point.is_zero() {
        return Ok(point);
    }
    if !on_curve(&point) {
        return Err(SnarkjsError::NotOnCurve { at: at.into() });
    }
    if !in_subgroup(&point) {
        return Err(SnarkjsError::NotInSubgroup { at: at.into() });
    }
    Ok(point)
}

fn non_identity<P: AffineRepr>(point: P, at: &str) -> Result<P, SnarkjsError> {
    if point.is_zero() {
        return Err(SnarkjsError::IdentityPoint { at: at.into() });
    }
    Ok(point)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fr(s: &str) -> Result<Fr, SnarkjsError> {
        parse_field(&Value::String(s.into()), "x")
    }

    #[test]
    fn decimal_parsing_is_strict() {
        assert_eq!(fr("0").unwrap(), Fr::zero());
        assert_eq!(fr("42").unwrap(), Fr::from(42u64));
        let max = decimal(&-Fr::from(1u64));
        assert_eq!(fr(&max).unwrap(), -Fr::from(1u64));
        for bad in ["", "-1", "+1", "0x10", "1_000", " 1", "1 ", "007", "1e3", "١٢"] {
            assert_eq!(fr(bad), Err(SnarkjsError::NotDecimal { at: "x".into() }), "{bad:?}");
        }
        assert_eq!(fr(&"9".repeat(79)), Err(SnarkjsError::NotDecimal { at: "x".into() }));
        for big in [Fr::MODULUS.to_string(), "9".repeat(78)] {
            assert_eq!(fr(&big), Err(SnarkjsError::NonCanonical { at: "x".into() }));
        }
        assert!(matches!(parse_field::<Fr>(&json!(5), "x"), Err(SnarkjsError::WrongType { .. })));
    }

    #[test]
    fn identity_round_trips_in_snarkjs_form() {
        assert_eq!(g1_json(&G1Affine::identity()), json!(["0", "1", "0"]));
        assert_eq!(parse_g1(&g1_json(&G1Affine::identity()), "p").unwrap(), G1Affine::identity());
        assert_eq!(parse_g2(&g2_json(&G2Affine::identity()), "p").unwrap(), G2Affine::identity());
        assert_eq!(parse_g1(&json!(["5", "1", "0"]), "p"), Err(SnarkjsError::NotNormalised { at: "p".into() }));
        assert_eq!(parse_g1(&json!(["1", "2", "2"]), "p"), Err(SnarkjsError::NotNormalised { at: "p".into() }));
    }
}
