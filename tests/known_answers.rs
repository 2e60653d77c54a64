//! Known-answer tests: a verifying key, a proof and its public inputs made by
//! an earlier build keep verifying, and the values every crate must agree on
//! (holder ids, commitments, pseudonyms, the empty tree root) stay put.
//!
//! The files in `tests/vectors/` are written by the `#[ignore]`d generator at
//! the bottom of this file:
//!
//! ```text
//! cargo test --test known_answers -- --ignored generate
//! ```
//!
//! It builds everything from fixed seeds. It refuses to overwrite a stored
//! vector with different bytes unless `ZKREG_REGENERATE_VECTORS=1`: a `v1`
//! vector that no longer verifies means keys and proofs already in the field
//! no longer verify, so a deliberate format change adds `predicate_v2.*`
//! next to it rather than rewriting `v1`. Running the generator again with
//! the vectors in place checks that it still reproduces them.
//!
//! | file | content |
//! | --- | --- |
//! | `predicate_v2.vk` | the verifying key, canonical compressed arkworks bytes (the `predicate.vk` key-file format) |
//! | `predicate_v2.vk.sha256` | its fingerprint, hex (the `predicate.vk.sha256` key-file format) |
//! | `predicate_v2.vk.snarkjs.json` | its snarkjs `verification_key.json` export |
//! | `predicate_v2.proof.hex` | one predicate proof, `encode_proof_hex` |
//! | `predicate_v2.public.json` | the proof's `PublicInputs` as JSON |
//! | `predicate_v2.opening.json` | the credential opening the proof was made from (test data, not a secret) |
//!
//! `predicate_v1.*` are the same files from the v1 circuit (one-hash
//! commitment `Poseidon(schema_id, issuer_id, holder_id, value, expiry,
//! salt)`, before the ledger computed the leaf). They stay: the v1 proof
//! keeps verifying under the v1 key (the verifier does not depend on the
//! circuit), and the v1 credential file is what a wallet must now refuse
//! with a clear error.

use std::fs;
use std::path::{Path, PathBuf};

use ark_bn254::{Bn254, Fr};
use ark_ff::One;
use ark_groth16::VerifyingKey;
use ark_serialize::CanonicalSerialize;
use rand::SeedableRng;
use rand_chacha::ChaCha20Rng;
use serde_json::Value;

use zkreg_circuits::commitment::{holder_id, pseudonym, CredentialFields};
use zkreg_circuits::field::{fr_to_hex, label, LabelDomain};
use zkreg_circuits::fingerprint::fingerprint;
use zkreg_circuits::poseidon::hash4;
use zkreg_circuits::predicate::PublicInputs;
use zkreg_circuits::proof_codec::encode_proof_hex;
use zkreg_circuits::tree::{empty_subtree_roots, CommitmentTree};
use zkreg_prover::keys::load_verifying_key;
use zkreg_prover::{CredentialError, CredentialOpening, PredicateProver, ProofStatement, Wallet};
use zkreg_verifier::groth16::{decode_proof_hex, decode_verifying_key, ProofError};
use zkreg_verifier::snarkjs::{verifying_key_from_json, verifying_key_json};
use zkreg_verifier::PredicateVerifier;

// ---------------------------------------------------------------------------
// What the v2 vector is made of
// ---------------------------------------------------------------------------

/// Seed of the trusted setup (`ChaCha20Rng::seed_from_u64`).
const SETUP_SEED: u64 = 0x6b61_745f_7631; // "kat_v1"
/// Seed of the issuer's salt.
const ISSUE_SEED: u64 = 0x6b61_745f_6973; // "kat_is"
/// Seed of the proof's randomness `r`, `s`.
const PROVE_SEED: u64 = 0x6b61_745f_7072; // "kat_pr"
/// The holder's wallet seed.
const WALLET_SEED: [u8; 32] = [0x4b; 32];

const SCHEMA: &str = "credit-score";
const ISSUER: &str = "central-bank";
const VALUE: u64 = 720;
const EXPIRY: u32 = 20_500;
const LO: u64 = 700;
const HI: u64 = 800;
const TODAY: u32 = 20_400;
const SCOPE: &str = "bank-a/loans";
const CHALLENGE: &str = "6b6e6f776e2d616e737765722d746573742d6368616c6c656e67652d30303031";
/// Leaves appended before the credential (so it sits at index 5, digit 1 of
/// the second level) and after it.
const LEAVES_BEFORE: [u64; 5] = [11, 12, 13, 14, 15];
const LEAVES_AFTER: [u64; 1] = [16];

const VK_FILE: &str = "predicate_v2.vk";
const FINGERPRINT_FILE: &str = "predicate_v2.vk.sha256";
const SNARKJS_FILE: &str = "predicate_v2.vk.snarkjs.json";
const PROOF_FILE: &str = "predicate_v2.proof.hex";
const PUBLIC_FILE: &str = "predicate_v2.public.json";
const OPENING_FILE: &str = "predicate_v2.opening.json";

fn vectors_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/vectors")
}

fn read(name: &str) -> Vec<u8> {
    let path = vectors_dir().join(name);
    fs::read(&path).unwrap_or_else(|e| {
        panic!("{}: {e} (generate with `cargo test --test known_answers -- --ignored generate`)", path.display())
    })
}

fn read_text(name: &str) -> String {
    String::from_utf8(read(name)).unwrap_or_else(|e| panic!("{name} is not UTF-8: {e}"))
}

/// The statement of the stored proofs (v1 and v2 alike).
fn statement() -> ProofStatement {
    ProofStatement {
        lo: LO,
        hi: HI,
        today: TODAY,
        scope: label(LabelDomain::Scope, SCOPE),
        challenge: label(LabelDomain::Challenge, CHALLENGE),
    }
}

/// The tree the credential sits in, given its commitment.
fn tree_with(commitment: Fr) -> (CommitmentTree, u64) {
    let mut tree = CommitmentTree::new();
    tree.append_batch(&LEAVES_BEFORE.map(Fr::from)).unwrap();
    let index = tree.append_batch(&[commitment]).unwrap();
    tree.append_batch(&LEAVES_AFTER.map(Fr::from)).unwrap();
    (tree, index)
}

// ---------------------------------------------------------------------------
// The stored vector
// ---------------------------------------------------------------------------

/// The stored key, proof and public inputs, decoded by the verifier's own decoders.
struct Stored {
    vk: VerifyingKey<Bn254>,
    verifier: PredicateVerifier,
    proof: ark_groth16::Proof<Bn254>,
    public: PublicInputs,
}

fn stored() -> Stored {
    let vk = decode_verifying_key(&read(VK_FILE)).unwrap_or_else(|e| panic!("{VK_FILE}: {e}"));
    let verifier = PredicateVerifier::new(vk.clone()).unwrap_or_else(|e| panic!("{VK_FILE}: {e}"));
    let proof = decode_proof_hex(read_text(PROOF_FILE).trim()).unwrap_or_else(|e| panic!("{PROOF_FILE}: {e}"));
    let public: PublicInputs =
        serde_json::from_str(&read_text(PUBLIC_FILE)).unwrap_or_else(|e| panic!("{PUBLIC_FILE}: {e}"));
    Stored { vk, verifier, proof, public }
}

#[test]
fn the_stored_proof_still_verifies() {
    let s = stored();
    assert_eq!(s.verifier.verify(&s.proof, &s.public), Ok(()));
    assert_eq!(s.verifier.verify_inputs(&s.proof, &s.public.to_field_elements()), Ok(()));
    // The same bytes are a valid `predicate.vk` key file.
    assert_eq!(load_verifying_key(&vectors_dir().join(VK_FILE)).unwrap(), s.vk);
    // The stored encodings are canonical: re-encoding gives the same bytes.
    let mut vk_bytes = Vec::new();
    s.vk.serialize_compressed(&mut vk_bytes).unwrap();
    assert_eq!(vk_bytes, read(VK_FILE));
    assert_eq!(encode_proof_hex(&s.proof), read_text(PROOF_FILE).trim());
    assert_eq!(serde_json::to_string_pretty(&s.public).unwrap(), read_text(PUBLIC_FILE).trim_end());
}

/// The v1 vector: made by the v1 circuit, it still verifies under its own
/// key, and its credential file is refused by a v2 wallet with an error that
/// says what to do (its leaf exists on no v2 ledger).
#[test]
fn v1_proofs_still_verify_and_v1_credential_files_are_refused() {
    let vk = decode_verifying_key(&read("predicate_v1.vk")).unwrap();
    let verifier = PredicateVerifier::new(vk.clone()).unwrap();
    let proof = decode_proof_hex(read_text("predicate_v1.proof.hex").trim()).unwrap();
    let public: PublicInputs = serde_json::from_str(&read_text("predicate_v1.public.json")).unwrap();
    assert_eq!(verifier.verify(&proof, &public), Ok(()));
    assert_eq!(read_text("predicate_v1.vk.sha256").trim(), hex::encode(fingerprint(&vk)));
    // The v2 key is another key: a v1 proof does not verify under it.
    assert_ne!(fingerprint(&vk), fingerprint(&stored().vk));
    assert_eq!(stored().verifier.verify(&proof, &public), Err(ProofError::Rejected));

    let v1: CredentialOpening = serde_json::from_str(&read_text("predicate_v1.opening.json")).unwrap();
    assert_eq!(v1.version, 1, "a file without a version is a v1 file");
    let err = v1.check(Wallet::from_seed(WALLET_SEED).holder_id()).unwrap_err();
    assert_eq!(err, CredentialError::UnsupportedVersion(1));
    assert!(err.to_string().contains("issue it again"), "{err}");
    // Its fields are a v1 commitment, which v2 no longer computes.
    let fields = v1.fields(Wallet::from_seed(WALLET_SEED).holder_id());
    assert_ne!(fields.commitment(), v1.commitment);
    let one_hash = [fields.schema_id, fields.issuer_id, fields.holder_id, Fr::from(v1.value), Fr::from(v1.expiry as u64), v1.salt];
    assert_eq!(zkreg_circuits::poseidon::hash(&one_hash).unwrap(), v1.commitment);
}

#[test]
fn the_stored_fingerprint_is_the_keys() {
    let s = stored();
    let expected = hex::encode(fingerprint(&s.vk));
    assert_eq!(read_text(FINGERPRINT_FILE).trim(), expected);
    assert_eq!(hex::encode(s.verifier.fingerprint()), expected);
}

#[test]
fn tampering_any_public_input_of_the_stored_vector_is_rejected() {
    let s = stored();
    let p = s.public;
    let other = Wallet::from_seed([0x4c; 32]);
    let cases: [(&str, PublicInputs); 9] = [
        ("root", PublicInputs { root: p.root + Fr::one(), ..p }),
        ("schema_id", PublicInputs { schema_id: label(LabelDomain::Schema, "licence.food-business"), ..p }),
        ("issuer_id", PublicInputs { issuer_id: label(LabelDomain::Issuer, "other-regulator"), ..p }),
        ("lo", PublicInputs { lo: p.lo + 1, ..p }),
        ("hi", PublicInputs { hi: p.hi + 1, ..p }),
        ("today", PublicInputs { today: p.today - 1, ..p }),
        ("scope", PublicInputs { scope: label(LabelDomain::Scope, "bank-b/loans"), ..p }),
        ("challenge", PublicInputs { challenge: p.challenge + Fr::one(), ..p }),
        ("pseudonym", PublicInputs { pseudonym: other.pseudonym(&p.scope), ..p }),
    ];
    for (name, tampered) in cases {
        assert_ne!(tampered, p, "{name}");
        assert_eq!(s.verifier.verify(&s.proof, &tampered), Err(ProofError::Rejected), "{name}");
    }
    // The same at the field-element level, every input in circuit order.
    let inputs = p.to_field_elements();
    for i in 0..inputs.len() {
        let mut t = inputs;
        t[i] += Fr::one();
        assert_eq!(s.verifier.verify_inputs(&s.proof, &t), Err(ProofError::Rejected), "input {i}");
    }
    // Two inputs swapped.
    let mut t = inputs;
    t.swap(1, 2);
    assert_eq!(s.verifier.verify_inputs(&s.proof, &t), Err(ProofError::Rejected), "schema and issuer swapped");
    // And through the JSON a client would send.
    let mut json: Value = serde_json::from_str(&read_text(PUBLIC_FILE)).unwrap();
    json["lo"] = Value::from(LO - 1);
    let edited: PublicInputs = serde_json::from_value(json).unwrap();
    assert_eq!(s.verifier.verify(&s.proof, &edited), Err(ProofError::Rejected), "lo edited in the JSON");
}

#[test]
fn the_stored_statement_is_rebuilt_from_its_seeds() {
    let s = stored();
    let opening: CredentialOpening =
        serde_json::from_str(&read_text(OPENING_FILE)).unwrap_or_else(|e| panic!("{OPENING_FILE}: {e}"));
    let wallet = Wallet::from_seed(WALLET_SEED);
    // Wallet derivation, labels and the commitment hash are what they were.
    assert_eq!(opening.check(wallet.holder_id()), Ok(()));
    assert_eq!((opening.schema.as_str(), opening.issuer.as_str()), (SCHEMA, ISSUER));
    assert_eq!((opening.value, opening.expiry), (VALUE, EXPIRY));
    // Tree hashing: the same leaves give the stored root, at the stored index.
    let (tree, index) = tree_with(opening.commitment);
    assert_eq!(opening.leaf_index, Some(index));
    let st = statement();
    let expected = PublicInputs {
        root: tree.root(),
        schema_id: label(LabelDomain::Schema, SCHEMA),
        issuer_id: label(LabelDomain::Issuer, ISSUER),
        lo: LO,
        hi: HI,
        today: TODAY,
        scope: st.scope,
        challenge: st.challenge,
        pseudonym: wallet.pseudonym(&st.scope),
    };
    assert_eq!(s.public, expected);
}

/// The stored export, with the stored proof and public inputs exported the
/// same way, was checked once with `snarkjs groth16 verify` (snarkjs 0.7.6):
/// accepted, and rejected with `lo` changed. `tests/snarkjs.rs` keeps that
/// check live for a fresh proof.
#[test]
fn the_snarkjs_export_of_the_stored_key_is_stable() {
    let s = stored();
    let stored_json: Value =
        serde_json::from_str(&read_text(SNARKJS_FILE)).unwrap_or_else(|e| panic!("{SNARKJS_FILE}: {e}"));
    assert_eq!(verifying_key_json(&s.vk), stored_json);
    assert_eq!(verifying_key_from_json(&stored_json), Ok(s.vk));
    assert_eq!(stored_json["nPublic"], Value::from(9));
}

// ---------------------------------------------------------------------------
// Native known answers
// ---------------------------------------------------------------------------
//
// Each expected value below was computed once with this workspace's code and
// pins the current implementation: a change here changes every holder id,
// commitment, pseudonym or root already issued or registered.
//
// Every value was also recomputed independently, once, outside Rust: labels
// with Node's `crypto` SHA-256 reduced mod r, Poseidon with the npm package
// `poseidon-lite` 0.3.0 (circomlib-compatible, its own constants and
// permutation), the wallet secret with Node's SHA-512; all agree. The first
// empty tree node is additionally the published circomlibjs value.

/// A fixed ZK secret.
fn sk() -> Fr {
    Fr::from(42u64)
}

#[test]
fn labels_are_pinned() {
    // SHA-256("zkreg/label/v1/<domain>/<name>") mod r.
    assert_eq!(
        fr_to_hex(&label(LabelDomain::Schema, SCHEMA)),
        "0x0b7ebd5b9d3d8341abbaab5e5b53247b4f425725bea1550f4b7497c440d884a3"
    );
    assert_eq!(
        fr_to_hex(&label(LabelDomain::Issuer, ISSUER)),
        "0x170a10b168d778e86fdb4cb3259c799cb834dbc8e35322edbcbd475632ddbe05"
    );
    assert_eq!(
        fr_to_hex(&label(LabelDomain::Scope, SCOPE)),
        "0x0d17d7787a3b27c10fe68175c8c7e5aa861d1d263e27dca41950fe9b84b91042"
    );
}

#[test]
fn holder_id_is_pinned() {
    // Poseidon(DS_HOLDER, 42).
    assert_eq!(fr_to_hex(&holder_id(&sk())), "0x1833d37bced09e8dd5bbbf068ba9b727fad566d7c06b7a8d63b92a951a9130aa");
}

#[test]
fn pseudonym_is_pinned() {
    // Poseidon(DS_PSEUDONYM, 42, label(Scope, "bank-a/loans")).
    assert_eq!(
        fr_to_hex(&pseudonym(&sk(), &label(LabelDomain::Scope, SCOPE))),
        "0x0da3bad4cbc49bc2faa4030a758c8d085808b57c40ef91745bfb73604680fcb7"
    );
}

#[test]
fn credential_commitment_is_pinned() {
    let fields = CredentialFields {
        schema_id: label(LabelDomain::Schema, SCHEMA),
        issuer_id: label(LabelDomain::Issuer, ISSUER),
        holder_id: holder_id(&sk()),
        value: VALUE,
        expiry: EXPIRY,
        salt: Fr::from(0x5a17u64),
    };
    // inner = Poseidon(holder_id(42), 720, 20500, 0x5a17);
    // cm = Poseidon(schema_id, issuer_id, inner) (commitment v2). Both
    // recomputed with poseidon-lite 0.3.0 (`poseidon4`, `poseidon3`), which
    // also gives v1's one-hash value 0x028834f4…fefe4 for `poseidon6` of
    // the six fields: v2 is a different leaf.
    assert_eq!(fr_to_hex(&fields.inner()), "0x2d6153fff1bb98b4c6d969e0e12258481d13e30331d30b5a03ec4c3a249925d9");
    assert_eq!(fr_to_hex(&fields.commitment()), "0x09e7d07d1174b081b21c2ab222ad81ab1238a4e2cbe8b6d7a876f853d0d61716");
}

#[test]
fn wallet_derivation_is_pinned() {
    // holder_id(sk) with sk = SHA-512("zkreg wallet zk-secret v1" ‖ seed) as
    // little-endian mod r: what an issuer commits to for this wallet.
    let wallet = Wallet::from_seed(WALLET_SEED);
    assert_eq!(fr_to_hex(&wallet.holder_id()), "0x052c3bfb50ded90425689354b075732561657f5bdc2807bc8aca3cc83149ee84");
}

#[test]
fn the_empty_tree_root_is_pinned() {
    // The first empty node, Poseidon(0, 0, 0, 0), is the circomlibjs value.
    let empty = empty_subtree_roots();
    assert_eq!(fr_to_hex(&empty[1]), "0x0532fd436e19c70e51209694d9c215250937921b8b79060488c1206db73e9946");
    // The root of the empty depth-16 tree.
    let root = CommitmentTree::new().root();
    assert_eq!(fr_to_hex(&root), "0x151399c724e17408a7a43cdadba2fc000da9339c56e4d49c6cdee6c4356fbc68");
    // It is the 16th iterate of Poseidon(e, e, e, e) from 0.
    let mut e = Fr::from(0u64);
    for _ in 0..16 {
        e = hash4(&[e; 4]);
    }
    assert_eq!(root, e);
}

// ---------------------------------------------------------------------------
// Generator
// ---------------------------------------------------------------------------

/// Writes the v2 vectors (see the module docs). Refuses to change a stored
/// vector unless `ZKREG_REGENERATE_VECTORS=1`.
#[test]
#[ignore = "writes tests/vectors/: run deliberately with `-- --ignored generate`"]
fn generate() {
    let (pk, vk) = zkreg_prover::setup(&mut ChaCha20Rng::seed_from_u64(SETUP_SEED)).unwrap();
    assert_eq!(pk.vk, vk);

    let wallet = Wallet::from_seed(WALLET_SEED);
    let mut opening = CredentialOpening::issue(
        SCHEMA,
        ISSUER,
        wallet.holder_id(),
        VALUE,
        EXPIRY,
        &mut ChaCha20Rng::seed_from_u64(ISSUE_SEED),
    );
    let (tree, index) = tree_with(opening.commitment);
    opening.leaf_index = Some(index);
    let path = tree.path(index).unwrap();
    let prover = PredicateProver::new(pk).unwrap();
    let (proof, public) = prover
        .prove(&wallet, &opening, &path, tree.root(), &statement(), &mut ChaCha20Rng::seed_from_u64(PROVE_SEED))
        .unwrap();
    let verifier = PredicateVerifier::new(vk.clone()).unwrap();
    assert_eq!(verifier.verify(&proof, &public), Ok(()));

    let mut vk_bytes = Vec::new();
    vk.serialize_compressed(&mut vk_bytes).unwrap();
    let files: [(&str, Vec<u8>); 6] = [
        (VK_FILE, vk_bytes),
        (FINGERPRINT_FILE, text_file(hex::encode(fingerprint(&vk)))),
        (SNARKJS_FILE, text_file(serde_json::to_string_pretty(&verifying_key_json(&vk)).unwrap())),
        (PROOF_FILE, text_file(encode_proof_hex(&proof))),
        (PUBLIC_FILE, text_file(serde_json::to_string_pretty(&public).unwrap())),
        (OPENING_FILE, text_file(serde_json::to_string_pretty(&opening).unwrap())),
    ];

    let dir = vectors_dir();
    fs::create_dir_all(&dir).unwrap();
    let overwrite = std::env::var("ZKREG_REGENERATE_VECTORS").as_deref() == Ok("1");
    let changed: Vec<&str> = files
        .iter()
        .filter(|(name, bytes)| fs::read(dir.join(name)).is_ok_and(|old| old != *bytes))
        .map(|(name, _)| *name)
        .collect();
    assert!(
        changed.is_empty() || overwrite,
        "the generator no longer reproduces {changed:?}; stored vectors stay as they are \
         (add a v3, or set ZKREG_REGENERATE_VECTORS=1 if v2 was never released)"
    );
    for (name, bytes) in &files {
        fs::write(dir.join(name), bytes).unwrap();
        eprintln!("wrote {}", dir.join(name).display());
    }
}

/// A text file's bytes: `text` and a final newline.
fn text_file(text: String) -> Vec<u8> {
    format!("{text}\n").into_bytes()
}
