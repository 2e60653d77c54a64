//! The Bulletproofs range statement: what a transparent range presentation
//! proves, and the transcript that prover and verifier share.
//!
//! # What it is for
//!
//! The Bulletproofs backend is zkreg's transparent alternative to the Groth16
//! predicate circuit: no trusted setup, but also **no unlinkability**. A
//! credential is a Pedersen commitment on Ristretto,
//!
//! ```text
//! C = value * B + r * B_blinding        (bulletproofs' default PedersenGens)
//! ```
//!
//! registered on the ledger together with the holder's ed25519 public key and
//! a public expiry day. A presentation shows that the committed `value` lies in
//! `[lo, hi]` without revealing it.
//!
//! **Privacy: the value is hidden, the holder is not.** The commitment `C` and
//! the holder key are part of every statement, so every presentation of the
//! same credential names the same `C`, and any two verifiers (or the ledger)
//! can link them to each other and to the registration. Use the Groth16
//! predicate circuit, whose pseudonyms are per scope, when presentations must
//! be unlinkable.
//!
//! # How it works
//!
//! One aggregated range proof (`m = 2` values, `n = 64` bits each) shows that
//! both
//!
//! ```text
//! value - lo    committed in  C - lo*B   with blinding  r
//! hi - value    committed in  hi*B - C   with blinding -r
//! ```
//!
//! lie in `[0, 2^64)`. The verifier computes these two commitments itself from
//! `C`, `lo` and `hi` ([`derived_commitments`]); it never accepts commitments
//! from the prover. Soundness: if `a = value - lo` and `b = hi - value` are both
//! in `[0, 2^64)`, then `a + b = hi - lo` holds modulo the group order
//! `l > 2^252`, and since `a + b < 2^65` and `hi - lo < 2^64` it holds over the
//! integers, so `lo <= lo + a = value <= hi`. The bounds must satisfy
//! `lo <= hi`; both sides check it natively, together with `expiry >= today`.
//!
//! The proof runs on a merlin transcript ([`RangeStatement::transcript`]) that
//! first absorbs the versioned protocol separator and then the whole
//! statement: the request's challenge and scope, the schema and issuer labels,
//! the bounds, the verifier's `today`, the commitment `C`, the holder key and
//! the expiry. After the range proof (which continues the same transcript), a
//! 64-byte challenge is drawn under [`RANGE_HOLDER_BINDING`] and the holder
//! signs it with ed25519; the verifier recomputes the transcript and checks the
//! signature with `verify_strict` under the key registered on the ledger. The
//! signature binds the proof to the holder of the credential and, through the
//! challenge and scope, to one request.

use std::sync::OnceLock;

use ark_bn254::Fr;
use ark_std::rand::{CryptoRng, RngCore};
use bulletproofs::{BulletproofGens, PedersenGens};
use curve25519_dalek::ristretto::{CompressedRistretto, RistrettoPoint};
use curve25519_dalek::scalar::Scalar;
use merlin::Transcript;
use serde::{Deserialize, Serialize};

use crate::constants::{RANGE_BITS, RANGE_DOMAIN_SEP, RANGE_HOLDER_BINDING, RANGE_TRANSCRIPT_LABEL};
use crate::field::fr_to_bytes;

/// Number of values aggregated in one range presentation (`value - lo` and `hi - value`).
pub const RANGE_PARTIES: usize = 2;

/// Length in bytes of an encoded range proof for `n = 64`, `m = 2`:
/// four points and three scalars, `2 * lg(n * m) = 14` inner-product points,
/// and two final scalars, 32 bytes each.
pub const RANGE_PROOF_LEN: usize = 32 * (9 + 2 * (RANGE_BITS * RANGE_PARTIES).trailing_zeros() as usize);

/// Length in bytes of the holder-binding challenge the holder signs.
pub const HOLDER_BINDING_LEN: usize = 64;

/// The public statement of a Bulletproofs range presentation.
///
/// The verifier builds it from its own proof request (`challenge`, `scope`,
/// `schema`, `issuer`, `lo`, `hi`, `today`) and from the ledger's record of
/// the credential (`commitment`, `holder_key`, `expiry`). Nothing in it is
/// secret, and it names the credential: see the module docs on linkability.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RangeStatement {
    /// The request's challenge (the verifier's nonce as a field element).
    pub challenge: Fr,
    /// The verifier's scope.
    pub scope: Fr,
    /// The credential schema's label string (e.g. `credit-score`).
    pub schema: String,
    /// The issuer's label string.
    pub issuer: String,
    /// Smallest accepted value (inclusive).
    pub lo: u64,
    /// Largest accepted value (inclusive).
    pub hi: u64,
    /// The verifier's current day, in days since 1970-01-01.
    pub today: u32,
    /// The credential's Pedersen commitment `C`, as registered on the ledger.
    pub commitment: CompressedRistretto,
    /// The holder's ed25519 public key, as registered on the ledger with `C`.
    pub holder_key: [u8; 32],
    /// The credential's last valid day, as registered on the ledger with `C`.
    pub expiry: u32,
}

impl RangeStatement {
    /// A fresh transcript that has absorbed the protocol separator and this
    /// statement: the starting point of both proving and verifying.
    pub fn transcript(&self) -> Transcript {
        let mut transcript = Transcript::new(RANGE_TRANSCRIPT_LABEL);
        transcript.append_range_statement(self);
        transcript
    }
}

/// Transcript operations of the range presentation, shared by prover and
/// verifier so that their transcripts cannot drift apart.
///
/// Every message has its own label, and merlin frames each message with its
/// length, so variable-length strings cannot be shifted into each other.
pub trait TranscriptProtocol {
    /// Appends the versioned protocol separator and the proof shape (`n`, `m`).
    fn range_domain_sep(&mut self);

    /// Appends a field element under `label`, as its canonical 32 big-endian bytes.
    fn append_fr(&mut self, label: &'static [u8], x: &Fr);

    /// Appends a UTF-8 label string under `label`.
    fn append_str(&mut self, label: &'static [u8], s: &str);

    /// Appends a compressed Ristretto point under `label`.
    fn append_point(&mut self, label: &'static [u8], point: &CompressedRistretto);

    /// Appends the protocol separator, then every field of `statement`, in a
    /// fixed order.
    fn append_range_statement(&mut self, statement: &RangeStatement);

    /// Draws the 64-byte challenge the holder signs, under [`RANGE_HOLDER_BINDING`].
    fn holder_binding_challenge(&mut self) -> [u8; HOLDER_BINDING_LEN];
}

impl TranscriptProtocol for Transcript {
    fn range_domain_sep(&mut self) {
        self.append_message(b"dom-sep", RANGE_DOMAIN_SEP);
        self.append_u64(b"n", RANGE_BITS as u64);
        self.append_u64(b"m", RANGE_PARTIES as u64);
    }

    fn append_fr(&mut self, label: &'static [u8], x: &Fr) {
        self.append_message(label, &fr_to_bytes(x));
    }

    fn append_str(&mut self, label: &'static [u8], s: &str) {
        self.append_message(label, s.as_bytes());
    }

    fn append_point(&mut self, label: &'static [u8], point: &CompressedRistretto) {
        self.append_message(label, point.as_bytes());
    }

    fn append_range_statement(&mut self, statement: &RangeStatement) {
        self.range_domain_sep();
        self.append_fr(b"challenge", &statement.challenge);
        self.append_fr(b"scope", &statement.scope);
        self.append_str(b"schema", &statement.schema);
        self.append_str(b"issuer", &statement.issuer);
        self.append_u64(b"lo", statement.lo);
        self.append_u64(b"hi", statement.hi);
        self.append_u64(b"today", u64::from(statement.today));
        self.append_point(b"C", &statement.commitment);
        self.append_message(b"holder-key", &statement.holder_key);
        self.append_u64(b"expiry", u64::from(statement.expiry));
    }

    fn holder_binding_challenge(&mut self) -> [u8; HOLDER_BINDING_LEN] {
        let mut out = [0u8; HOLDER_BINDING_LEN];
        self.challenge_bytes(RANGE_HOLDER_BINDING, &mut out);
        out
    }
}

/// The Pedersen generators of credential commitments: bulletproofs' default
/// (`B` the Ristretto basepoint, `B_blinding` its SHA3-512 hash to the group).
pub fn pedersen_gens() -> PedersenGens {
    static GENS: OnceLock<PedersenGens> = OnceLock::new();
    *GENS.get_or_init(PedersenGens::default)
}

/// The Bulletproofs generators for 64-bit proofs aggregating two values,
/// computed once per process.
pub fn bulletproof_gens() -> &'static BulletproofGens {
    static GENS: OnceLock<BulletproofGens> = OnceLock::new();
    GENS.get_or_init(|| BulletproofGens::new(RANGE_BITS, RANGE_PARTIES))
}

/// The two commitments the range proof is about, derived from the credential
/// commitment `c` and the public bounds: `[c - lo*B, hi*B - c]`, committing to
/// `value - lo` (blinding `r`) and `hi - value` (blinding `-r`).
///
/// The verifier computes them itself; it never takes them from the prover.
pub fn derived_commitments(c: &RistrettoPoint, lo: u64, hi: u64) -> [CompressedRistretto; 2] {
    let b = pedersen_gens().B;
    [(c - Scalar::from(lo) * b).compress(), (Scalar::from(hi) * b - c).compress()]
}

/// The opening of a credential commitment, known only to the holder.
///
/// Its `Debug` output shows nothing; its fields are overwritten with zeros
/// when it is dropped. In JSON (a credential file, a wallet file) it is
/// `{"value": 720, "blinding": "<64 hex digits>"}`, the blinding as its
/// canonical 32 little-endian bytes; a non-canonical blinding is refused.
#[derive(Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PedersenOpening {
    /// The committed value (a score, a licence class, …).
    pub value: u64,
    /// The blinding factor `r`.
    #[serde(with = "hex_scalar")]
    pub blinding: Scalar,
}

impl PedersenOpening {
    /// An opening of `value` with a fresh uniformly random blinding.
    pub fn random<R: RngCore + CryptoRng>(value: u64, rng: &mut R) -> Self {
        Self { value, blinding: Scalar::random(rng) }
    }

    /// The commitment `value*B + blinding*B_blinding`, compressed.
    pub fn commit(&self) -> CompressedRistretto {
        pedersen_gens().commit(Scalar::from(self.value), self.blinding).compress()
    }
}

impl std::fmt::Debug for PedersenOpening {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PedersenOpening").finish_non_exhaustive()
    }
}

impl Drop for PedersenOpening {
    fn drop(&mut self) {
        use zeroize::Zeroize;
        self.value.zeroize();
        self.blinding.zeroize();
    }
}

/// A range presentation as the holder sends it: the aggregated range proof
/// and the holder's signature over the transcript's holder-binding challenge.
///
/// In JSON both fields are lower-case hex strings (a `0x` prefix is accepted
/// on input).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct RangeProofBundle {
    /// The aggregated range proof, as `bulletproofs::RangeProof::to_bytes`.
    #[serde(with = "hex_bytes")]
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub proof: Vec<u8>,
    /// The holder's ed25519 signature over the holder-binding challenge.
    #[serde(with = "hex_signature")]
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub signature: [u8; 64],
}

fn decode_hex<E: serde::de::Error>(s: &str) -> Result<Vec<u8>, E> {
    let digits = s.strip_prefix("0x").unwrap_or(s);
    hex::decode(digits).map_err(|_| E::custom("invalid hex string"))
}

mod hex_bytes {
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(bytes: &[u8], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&hex::encode(bytes))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
        super::decode_hex(&String::deserialize(d)?)
    }
}

mod hex_signature {
    use serde::{de::Error, Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(bytes: &[u8; 64], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&hex::encode(bytes))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<[u8; 64], D::Error> {
        let bytes = super::decode_hex::<D::Error>(&String::deserialize(d)?)?;
        let len = bytes.len();
        bytes.try_into().map_err(|_| D::Error::custom(format!("a signature is 64 bytes, got {len}")))
    }
}

mod hex_scalar {
    use curve25519_dalek::scalar::Scalar;
    use serde::{de::Error, Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(scalar: &Scalar, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&hex::encode(scalar.as_bytes()))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Scalar, D::Error> {
        let bytes = super::decode_hex::<D::Error>(&String::deserialize(d)?)?;
        let len = bytes.len();
        let bytes: [u8; 32] = bytes.try_into().map_err(|_| D::Error::custom(format!("a scalar is 32 bytes, got {len}")))?;
        Option::from(Scalar::from_canonical_bytes(bytes)).ok_or_else(|| D::Error::custom("the scalar is not canonical (not below the group order)"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ark_std::rand::SeedableRng;
    use rand_chacha::ChaCha20Rng;

    fn statement() -> RangeStatement {
        RangeStatement {
            challenge: Fr::from(7u64),
            scope: Fr::from(11u64),
            schema: "credit-score".into(),
            issuer: "regulator-a".into(),
            lo: 600,
            hi: 850,
            today: 20_000,
            commitment: PedersenOpening { value: 700, blinding: Scalar::from(5u64) }.commit(),
            holder_key: [9u8; 32],
            expiry: 20_365,
        }
    }

    #[test]
    fn proof_length_is_pinned() {
        assert_eq!(RANGE_PROOF_LEN, 736);
    }

    #[test]
    fn transcript_is_pinned() {
        // Regression pin (recorded from this implementation, merlin 3): changing
        // any label, separator or the field order of the statement changes this
        // challenge, and breaks every presentation made before the change.
        let challenge = statement().transcript().holder_binding_challenge();
        assert_eq!(
            hex::encode(challenge),
            "15b8a74b468fcd91dac44c8e03eff1a3da0448b4afe09bcbfd902bf43ac518a7\
             cdeb14806c8f991767d3e033f3491aceea2689928d21a2bb9605ff3253290d76"
        );
    }

    #[test]
    fn transcript_absorbs_every_field() {
        let base = statement();
        let reference = base.transcript().holder_binding_challenge();
        let variants: &[fn(&mut RangeStatement)] = &[
            |s| s.challenge += Fr::from(1u64),
            |s| s.scope += Fr::from(1u64),
            |s| s.schema.push('x'),
            |s| s.issuer.push('x'),
            |s| s.lo += 1,
            |s| s.hi -= 1,
            |s| s.today += 1,
            |s| s.commitment = PedersenOpening { value: 701, blinding: Scalar::from(5u64) }.commit(),
            |s| s.holder_key[0] ^= 1,
            |s| s.expiry += 1,
            // Moving a character from one string to the next must not collide.
            |s| {
                s.schema = "credit-scorer".into();
                s.issuer = "egulator-a".into();
            },
        ];
        for (i, change) in variants.iter().enumerate() {
            let mut s = base.clone();
            change(&mut s);
            assert_ne!(s.transcript().holder_binding_challenge(), reference, "variant {i}");
        }
    }

    #[test]
    fn derived_commitments_open_to_the_differences() {
        let mut rng = ChaCha20Rng::seed_from_u64(1);
        let opening = PedersenOpening::random(700, &mut rng);
        let c = pedersen_gens().commit(Scalar::from(opening.value), opening.blinding);
        let [low, high] = derived_commitments(&c, 600, 850);
        let gens = pedersen_gens();
        assert_eq!(low, gens.commit(Scalar::from(100u64), opening.blinding).compress());
        assert_eq!(high, gens.commit(Scalar::from(150u64), -opening.blinding).compress());
        assert_eq!(c.compress(), opening.commit());
    }

    #[test]
    fn opening_debug_hides_secrets() {
        let opening = PedersenOpening { value: 123_456_789, blinding: Scalar::from(987_654_321u64) };
        let shown = format!("{opening:?}");
        assert_eq!(shown, "PedersenOpening { .. }");
    }

    #[test]
    fn bundle_serde_round_trip_and_rejects() {
        let bundle = RangeProofBundle { proof: vec![1, 2, 0xab], signature: [0x5a; 64] };
        let json = serde_json::to_string(&bundle).unwrap();
        assert_eq!(json, format!("{{\"proof\":\"0102ab\",\"signature\":\"{}\"}}", "5a".repeat(64)));
        assert_eq!(serde_json::from_str::<RangeProofBundle>(&json).unwrap(), bundle);
        let prefixed = format!("{{\"proof\":\"0x0102ab\",\"signature\":\"0x{}\"}}", "5a".repeat(64));
        assert_eq!(serde_json::from_str::<RangeProofBundle>(&prefixed).unwrap(), bundle);
        for bad in [
            format!("{{\"proof\":\"01zz\",\"signature\":\"{}\"}}", "5a".repeat(64)),
            format!("{{\"proof\":\"012\",\"signature\":\"{}\"}}", "5a".repeat(64)),
            format!("{{\"proof\":\"01\",\"signature\":\"{}\"}}", "5a".repeat(63)),
            format!("{{\"proof\":\"01\",\"signature\":\"{}\",\"extra\":1}}", "5a".repeat(64)),
            "{\"proof\":\"01\"}".to_string(),
        ] {
            assert!(serde_json::from_str::<RangeProofBundle>(&bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn opening_serde_round_trip_and_rejects() {
        let opening = PedersenOpening::random(720, &mut ChaCha20Rng::seed_from_u64(3));
        let json = serde_json::to_string(&opening).unwrap();
        assert_eq!(json, format!("{{\"value\":720,\"blinding\":\"{}\"}}", hex::encode(opening.blinding.as_bytes())));
        let back: PedersenOpening = serde_json::from_str(&json).unwrap();
        assert_eq!((back.value, back.blinding, back.commit()), (opening.value, opening.blinding, opening.commit()));
        // The group order l = 2^252 + 27742317777372353535851937790883648493 (little-endian) is not canonical.
        let order = "edd3f55c1a631258d69cf7a2def9de1400000000000000000000000000000010";
        for bad in [
            format!("{{\"value\":720,\"blinding\":\"{order}\"}}"),
            format!("{{\"value\":720,\"blinding\":\"{}\"}}", "00".repeat(31)),
            format!("{{\"value\":720,\"blinding\":\"{}\"}}", "zz".repeat(32)),
            format!("{{\"value\":-1,\"blinding\":\"{}\"}}", "00".repeat(32)),
            format!("{{\"value\":720,\"blinding\":\"{}\",\"extra\":1}}", "00".repeat(32)),
            "{\"value\":720}".to_string(),
        ] {
            assert!(serde_json::from_str::<PedersenOpening>(&bad).is_err(), "{bad}");
        }
    }
}
