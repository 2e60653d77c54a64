//! Key files (`predicate.pk`, `predicate.vk`, `predicate.vk.sha256`): written
//! keys load back equal, and every corrupted file is a clear
//! `KeyFileError::Invalid` (or `Io` when it cannot be read), never a panic and
//! never a different key. The verifier's own decoder, `decode_verifying_key`,
//! is held to the same cases.
//!
//! Layout of a compressed verifying key (552 bytes for the predicate circuit):
//! `alpha_g1` (32) ‖ `beta_g2` (64) ‖ `gamma_g2` (64) ‖ `delta_g2` (64) ‖
//! number of input points (u64 LE) ‖ `IC₀ … IC₉` (32 each). A proving key
//! starts with its verifying key. A compressed point is its `x` coordinate,
//! little-endian, with two flags in the top bits of its last byte
//! (`0x80`: `y` is the negative root, `0x40`: point at infinity).

use std::fs;
use std::path::{Path, PathBuf};

use ark_bn254::{Bn254, Fq, G1Affine, G2Affine};
use ark_ec::AffineRepr;
use ark_ff::{BigInteger, Field, PrimeField};
use ark_groth16::{Proof, ProvingKey, VerifyingKey};
use ark_serialize::CanonicalSerialize;
use tempfile::TempDir;

use zkreg_circuits::constants::NUM_PUBLIC_INPUTS;
use zkreg_circuits::fingerprint::fingerprint;
use zkreg_circuits::predicate::PublicInputs;
use zkreg_prover::keys::{
    load_proving_key, load_verifying_key, write_keys, KeyFileError, FINGERPRINT_FILE, PROVING_KEY_FILE,
    VERIFYING_KEY_FILE,
};
use zkreg_suite::keys;
use zkreg_verifier::groth16::{decode_verifying_key, ProofError, VerifyingKeyError};
use zkreg_verifier::PredicateVerifier;

/// Offsets of the verifying key's points in its compressed encoding.
const ALPHA: usize = 0;
const BETA: usize = 32;
const GAMMA: usize = 96;
const DELTA: usize = 160;
const IC_COUNT: usize = 224;
const IC: usize = 232;

const G1_BYTES: usize = 32;
const G2_BYTES: usize = 64;

fn compressed<T: CanonicalSerialize>(x: &T) -> Vec<u8> {
    let mut out = Vec::new();
    x.serialize_compressed(&mut out).unwrap();
    out
}

fn pk() -> &'static ProvingKey<Bn254> {
    &keys().0
}

fn vk() -> &'static VerifyingKey<Bn254> {
    &keys().1
}

/// A key directory written by `write_keys`.
fn written() -> (TempDir, [u8; 32]) {
    let dir = tempfile::tempdir().unwrap();
    let fp = write_keys(dir.path(), pk()).unwrap();
    (dir, fp)
}

/// Writes `bytes` to `dir/name` and returns the path.
fn file(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let path = dir.join(name);
    fs::write(&path, bytes).unwrap();
    path
}

/// A compressed G2 point outside the prime-order subgroup.
fn g2_outside_subgroup() -> [u8; G2_BYTES] {
    compressed(&zkreg_suite::g2_point_outside_subgroup()).try_into().unwrap()
}

/// Whether the 32 bytes of a compressed G1 point name an `x` below `p` with
/// no `y` on `y² = x³ + 3` (computed here, not by the decoder under test).
fn g1_off_curve(encoding: &[u8]) -> bool {
    let mut le: [u8; 32] = encoding.try_into().unwrap();
    le[31] &= 0x3f;
    let x = Fq::from_le_bytes_mod_order(&le);
    x.into_bigint().to_bytes_le() == le && (x.square() * x + Fq::from(3u64)).sqrt().is_none()
}

/// `bytes` with one bit flipped in the `x` coordinate of the G1 point at
/// `at`, chosen so that the result is off the curve. (BN254's G1 has
/// cofactor 1: about half of all flips give another valid point, i.e.
/// another valid key; see `flipping_any_bit_of_a_g1_point_...`.)
fn flip_g1_off_curve(bytes: &[u8], at: usize) -> Vec<u8> {
    for bit in 0..254 {
        let mut t = bytes.to_vec();
        t[at + bit / 8] ^= 1 << (bit % 8);
        if g1_off_curve(&t[at..at + G1_BYTES]) {
            return t;
        }
    }
    unreachable!("some single-bit flip of x leaves the curve")
}

fn replace(bytes: &[u8], at: usize, with: &[u8]) -> Vec<u8> {
    let mut t = bytes.to_vec();
    t[at..at + with.len()].copy_from_slice(with);
    t
}

/// The corruptions every key file must refuse, built from its good bytes;
/// `points` are extra `(name, offset, is_g2)` points to corrupt.
fn corruptions(good: &[u8], points: &[(&str, usize, bool)]) -> Vec<(String, Vec<u8>)> {
    let mut cases = vec![
        ("truncated by one byte".to_owned(), good[..good.len() - 1].to_vec()),
        ("truncated to half".to_owned(), good[..good.len() / 2].to_vec()),
        ("one trailing zero byte".to_owned(), [good, &[0]].concat()),
        ("a second copy appended".to_owned(), [good, good].concat()),
        ("all zero, same length".to_owned(), vec![0; good.len()]),
        ("all 0xff, same length".to_owned(), vec![0xff; good.len()]),
        ("empty".to_owned(), Vec::new()),
        ("a bit flipped in alpha_g1 (off the curve)".to_owned(), flip_g1_off_curve(good, ALPHA)),
        ("a bit flipped in IC[9] (off the curve)".to_owned(), flip_g1_off_curve(good, IC + 9 * G1_BYTES)),
        ("beta_g2 outside the subgroup".to_owned(), replace(good, BETA, &g2_outside_subgroup())),
        ("delta_g2 outside the subgroup".to_owned(), replace(good, DELTA, &g2_outside_subgroup())),
        ("alpha_g1 with x = p".to_owned(), replace(good, ALPHA, &compressed(&Fq::MODULUS))),
        ("input-point count 2^64 - 1".to_owned(), replace(good, IC_COUNT, &u64::MAX.to_le_bytes())),
        ("input-point count 11".to_owned(), replace(good, IC_COUNT, &11u64.to_le_bytes())),
    ];
    for &(name, at, is_g2) in points {
        let bytes = if is_g2 { replace(good, at, &g2_outside_subgroup()) } else { flip_g1_off_curve(good, at) };
        let what = if is_g2 { "outside the subgroup" } else { "with a bit flipped (off the curve)" };
        cases.push((format!("{name} {what}"), bytes));
    }
    cases
}

fn assert_invalid<T: std::fmt::Debug>(result: Result<T, KeyFileError>, path: &Path, case: &str) {
    match result {
        Err(KeyFileError::Invalid { path: p, reason }) => {
            assert_eq!(p, path, "{case}");
            assert!(!reason.is_empty(), "{case}");
            let message = KeyFileError::Invalid { path: p, reason }.to_string();
            assert!(
                message.contains(&path.display().to_string()) && message.contains("invalid key"),
                "{case}: {message}"
            );
        }
        other => panic!("{case}: expected KeyFileError::Invalid, got {other:?}"),
    }
}

// ---------------------------------------------------------------------------
// Round trip
// ---------------------------------------------------------------------------

#[test]
fn written_keys_load_back_equal_with_their_fingerprint() {
    let (dir, fp) = written();
    assert_eq!(fp, fingerprint(vk()));
    assert_eq!(&load_proving_key(&dir.path().join(PROVING_KEY_FILE)).unwrap(), pk());
    assert_eq!(&load_verifying_key(&dir.path().join(VERIFYING_KEY_FILE)).unwrap(), vk());
    assert_eq!(fs::read_to_string(dir.path().join(FINGERPRINT_FILE)).unwrap(), format!("{}\n", hex::encode(fp)));
    // The files are the canonical compressed encodings, the proving key's
    // starting with the verifying key's.
    let vk_bytes = fs::read(dir.path().join(VERIFYING_KEY_FILE)).unwrap();
    let pk_bytes = fs::read(dir.path().join(PROVING_KEY_FILE)).unwrap();
    assert_eq!(vk_bytes, compressed(vk()));
    assert_eq!(pk_bytes, compressed(pk()));
    assert_eq!(&pk_bytes[..vk_bytes.len()], vk_bytes.as_slice());
    // The layout the corruption tests rely on.
    assert_eq!(vk_bytes.len(), IC + (NUM_PUBLIC_INPUTS + 1) * G1_BYTES);
    assert_eq!(&vk_bytes[ALPHA..BETA], compressed(&vk().alpha_g1).as_slice());
    assert_eq!(&vk_bytes[DELTA..IC_COUNT], compressed(&vk().delta_g2).as_slice());
    assert_eq!(vk_bytes[IC_COUNT..IC], ((NUM_PUBLIC_INPUTS + 1) as u64).to_le_bytes());
    // The same bytes through the verifier's decoder.
    assert_eq!(&decode_verifying_key(&vk_bytes).unwrap(), vk());
}

#[test]
fn writing_keys_into_a_nested_directory_creates_it_and_a_file_in_the_way_is_an_io_error() {
    let dir = tempfile::tempdir().unwrap();
    let nested = dir.path().join("a/b");
    write_keys(&nested, pk()).unwrap();
    assert_eq!(&load_verifying_key(&nested.join(VERIFYING_KEY_FILE)).unwrap(), vk());
    let blocker = file(dir.path(), "not-a-directory", b"x");
    match write_keys(&blocker, pk()) {
        Err(KeyFileError::Io { path, .. }) => assert_eq!(path, blocker),
        other => panic!("expected KeyFileError::Io, got {other:?}"),
    }
    assert_eq!(fs::read(&blocker).unwrap(), b"x", "the file in the way is left alone");
}

// ---------------------------------------------------------------------------
// Corrupted files
// ---------------------------------------------------------------------------

#[test]
fn corrupted_verifying_key_files_are_invalid_not_a_panic() {
    let dir = tempfile::tempdir().unwrap();
    let good = compressed(vk());
    let points = [("gamma_g2", GAMMA, true), ("IC[0]", IC, false)];
    for (case, bytes) in corruptions(&good, &points) {
        assert_ne!(bytes, good, "{case}");
        let path = file(dir.path(), VERIFYING_KEY_FILE, &bytes);
        assert_invalid(load_verifying_key(&path), &path, &case);
        assert!(
            matches!(decode_verifying_key(&bytes), Err(VerifyingKeyError::Malformed(ref r)) if !r.is_empty()),
            "{case}: decode_verifying_key gave {:?}",
            decode_verifying_key(&bytes)
        );
    }
}

#[test]
fn corrupted_proving_key_files_are_invalid_not_a_panic() {
    let dir = tempfile::tempdir().unwrap();
    let pk = pk();
    let good = compressed(pk);
    let vk_len = compressed(&pk.vk).len();
    // Offsets of the first entry of each query vector (each vector is a u64
    // length followed by its points).
    let a_query = vk_len + 2 * G1_BYTES + 8;
    let b_g1_query = a_query + pk.a_query.len() * G1_BYTES + 8;
    let b_g2_query = b_g1_query + pk.b_g1_query.len() * G1_BYTES + 8;
    let h_query = b_g2_query + pk.b_g2_query.len() * G2_BYTES + 8;
    let l_query = h_query + pk.h_query.len() * G1_BYTES + 8;
    assert_eq!(l_query + pk.l_query.len() * G1_BYTES, good.len());
    assert_eq!(&good[h_query..h_query + G1_BYTES], compressed(&pk.h_query[0]).as_slice());
    assert_eq!(&good[l_query..l_query + G1_BYTES], compressed(&pk.l_query[0]).as_slice());
    // A b_g2_query entry that is not the identity (the identity's x is ignored).
    let b2 = pk.b_g2_query.iter().position(|p| !p.is_zero()).unwrap();
    let points = [
        ("delta_g1", vk_len + G1_BYTES, false),
        ("h_query[0]", h_query, false),
        ("l_query[last]", l_query + (pk.l_query.len() - 1) * G1_BYTES, false),
        ("b_g2_query entry", b_g2_query + b2 * G2_BYTES, true),
    ];
    for (case, bytes) in corruptions(&good, &points) {
        let path = file(dir.path(), PROVING_KEY_FILE, &bytes);
        assert_invalid(load_proving_key(&path), &path, &case);
    }
}

/// BN254's G1 has cofactor 1, so a flipped bit of `x` gives either no point
/// (refused) or another valid point: the file then holds another valid key,
/// which only its fingerprint tells apart. `load_verifying_key` does not read
/// `predicate.vk.sha256`; the fingerprint registered on the ledger is what
/// catches it.
#[test]
fn flipping_any_bit_of_a_g1_point_gives_an_error_or_a_key_with_another_fingerprint() {
    let dir = tempfile::tempdir().unwrap();
    let good = compressed(vk());
    let (mut refused, mut other_keys) = (0, 0);
    for at in [ALPHA, IC + 4 * G1_BYTES] {
        for bit in 0..254 {
            let mut t = good.clone();
            t[at + bit / 8] ^= 1 << (bit % 8);
            let path = file(dir.path(), VERIFYING_KEY_FILE, &t);
            match load_verifying_key(&path) {
                Err(KeyFileError::Invalid { .. }) => refused += 1,
                Ok(other) => {
                    assert!(!g1_off_curve(&t[at..at + G1_BYTES]), "offset {at} bit {bit}: off-curve x accepted");
                    assert_ne!(fingerprint(&other), fingerprint(vk()), "offset {at} bit {bit}");
                    other_keys += 1;
                }
                Err(e) => panic!("offset {at} bit {bit}: {e}"),
            }
        }
    }
    assert!(refused > 0 && other_keys > 0, "refused {refused}, other keys {other_keys}");
}

#[test]
fn a_missing_file_is_an_io_error() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("no-such.vk");
    match load_verifying_key(&missing) {
        Err(KeyFileError::Io { path, source }) => {
            assert_eq!(path, missing);
            assert_eq!(source.kind(), std::io::ErrorKind::NotFound);
        }
        other => panic!("expected KeyFileError::Io, got {other:?}"),
    }
    let missing = dir.path().join("no-such.pk");
    assert!(matches!(load_proving_key(&missing), Err(KeyFileError::Io { ref path, .. }) if *path == missing));
    // A directory is not a key file either.
    assert!(matches!(load_verifying_key(dir.path()), Err(KeyFileError::Io { .. })));
}

// ---------------------------------------------------------------------------
// Keys of the wrong shape
// ---------------------------------------------------------------------------

#[test]
fn a_key_with_the_wrong_number_of_input_points_is_refused_by_the_verifier() {
    let n = NUM_PUBLIC_INPUTS + 1;
    for len in [0, 1, n - 1, n + 1] {
        let mut other = vk().clone();
        other.gamma_abc_g1.resize(len, vk().gamma_abc_g1[0]);
        assert_eq!(PredicateVerifier::new(other).unwrap_err(), VerifyingKeyError::WrongShape(len));
    }
    assert!(PredicateVerifier::new(vk().clone()).is_ok());
    // Such a key is a well-formed key file; the verifier is what refuses it.
    let dir = tempfile::tempdir().unwrap();
    let mut short = vk().clone();
    short.gamma_abc_g1.pop();
    let path = file(dir.path(), VERIFYING_KEY_FILE, &compressed(&short));
    let loaded = load_verifying_key(&path).unwrap();
    assert_eq!(PredicateVerifier::new(loaded).unwrap_err(), VerifyingKeyError::WrongShape(n - 1));
    let decoded = decode_verifying_key(&compressed(&short)).unwrap();
    assert_eq!(PredicateVerifier::new(decoded).unwrap_err(), VerifyingKeyError::WrongShape(n - 1));
}

/// A compressed point with the infinity flag set decodes as the identity
/// whatever its `x` (arkworks ignores `x` then), so setting one bit of a key
/// file turns `gamma` or `delta` into the identity and the file still loads.
/// With `gamma` at infinity the public inputs drop out of the pairing
/// equation: `(A, B, C) = (alpha, beta, O)` verifies for every statement.
/// The snarkjs importer refuses such keys (`SnarkjsError::IdentityPoint`);
/// the binary loaders and `PredicateVerifier::new` do not.
#[test]
fn keys_with_gamma_or_delta_at_infinity_are_refused() {
    // What such a key would allow.
    let mut forgeable = vk().clone();
    forgeable.gamma_g2 = G2Affine::zero();
    if let Ok(verifier) = PredicateVerifier::new(forgeable) {
        let forged = Proof { a: vk().alpha_g1, b: vk().beta_g2, c: G1Affine::zero() };
        let any = PublicInputs::from_field_elements(&[ark_bn254::Fr::from(7u64); NUM_PUBLIC_INPUTS]).unwrap();
        assert_eq!(
            verifier.verify(&forged, &any),
            Err(ProofError::Rejected),
            "with gamma at infinity, (alpha, beta, O) verifies for an arbitrary statement"
        );
    }
    let dir = tempfile::tempdir().unwrap();
    let good = compressed(vk());
    for (name, at) in [("alpha_g1", ALPHA), ("beta_g2", BETA), ("gamma_g2", GAMMA), ("delta_g2", DELTA)] {
        let size = if at == ALPHA { G1_BYTES } else { G2_BYTES };
        let mut t = good.clone();
        // Flags 0b01 (infinity); x keeps its old value.
        t[at + size - 1] = (t[at + size - 1] & 0x3f) | 0x40;
        let path = file(dir.path(), VERIFYING_KEY_FILE, &t);
        assert_invalid(load_verifying_key(&path), &path, &format!("{name} at infinity"));
        assert!(matches!(decode_verifying_key(&t), Err(VerifyingKeyError::Malformed(_))), "{name} at infinity");
    }
}
