//! Groth16 proofs against roots of the real ledger (sled files): a proof
//! verifies, revocation stops new proofs, the old root ages out of the
//! window; and registration of the predicate circuit's verifying key.

#[path = "../registry/tests/common/mod.rs"]
mod common;

use ark_bn254::Fr;
use ark_ff::One;
use ark_serialize::CanonicalSerialize;

use common::*;
use zkreg_circuits::constants::PREDICATE_CIRCUIT_ID;
use zkreg_circuits::field::{fr_to_bytes, label, LabelDomain};
use zkreg_circuits::fingerprint::fingerprint;
use zkreg_prover::{CredentialOpening, ProofStatement, ProveError, Wallet};
use zkreg_registry::TxBody;
use zkreg_suite::{keys, prover, verifier, TODAY};
use zkreg_verifier::groth16::decode_verifying_key;
use zkreg_verifier::PredicateVerifier;

fn statement() -> ProofStatement {
    ProofStatement {
        lo: 700,
        hi: u64::MAX,
        today: TODAY,
        scope: label(LabelDomain::Scope, "bank-a/loans"),
        challenge: label(LabelDomain::Challenge, &"02".repeat(32)),
    }
}

#[test]
fn a_proof_against_a_ledger_root_verifies_until_revocation_and_the_window_closes() {
    let mut c = TestChain::with_window(90, 3);
    let cb = c.actors.central_bank.clone();
    let mut r = rng(91);
    let wallet = Wallet::generate(&mut r);
    let mut opening = CredentialOpening::issue(CREDIT, CENTRAL_BANK, wallet.holder_id(), 720, TODAY + 100, &mut r);
    let cm = fr_to_bytes(&opening.commitment);
    let inner = fr_to_bytes(&opening.inner(wallet.holder_id()));
    let b = c.commit(vec![
        c.issue_credit().0,
        c.tx(&cb, zkreg_registry::TxBody::IssueCredential { schema: CREDIT.into(), inner }),
        c.issue_credit().0,
    ]);
    assert_eq!(b.receipts[1].commitment, Some(cm), "the ledger computes the opening's leaf");
    opening.leaf_index = b.receipts[1].leaf_index;
    let index = opening.leaf_index.expect("an issuance receipt carries the leaf index");
    assert_eq!(index, 1);
    c.commit(vec![c.issue_credit().0]); // block 2: the tree moves on

    // A proof against the current root (block 2).
    let root = c.ledger.root();
    let path = c.ledger.path(index).unwrap();
    let (proof, public) = prover().prove(&wallet, &opening, &path, root, &statement(), &mut rng(92)).unwrap();
    assert_eq!(public.root, root);
    assert_eq!(verifier().verify(&proof, &public), Ok(()));
    assert!(c.ledger.root_in_window(&root).unwrap());
    let wrong_root = zkreg_circuits::predicate::PublicInputs { root: root + Fr::one(), ..public };
    assert!(verifier().verify(&proof, &wrong_root).is_err(), "the proof is bound to its root");

    // A proof against the in-window root of block 1, through path_at.
    let (old_path, root_1) = c.ledger.path_at(index, 1).unwrap();
    assert_ne!(root_1, root);
    let (proof_1, public_1) = prover().prove(&wallet, &opening, &old_path, root_1, &statement(), &mut rng(93)).unwrap();
    assert_eq!(verifier().verify(&proof_1, &public_1), Ok(()));
    assert!(c.ledger.root_in_window(&root_1).unwrap());

    // Block 3 revokes the credential: no proof against the new root can be made.
    c.commit(vec![c.tx(&cb, revoke(cm))]);
    let new_root = c.ledger.root();
    let new_path = c.ledger.path(index).unwrap();
    assert_eq!(
        prover().prove(&wallet, &opening, &new_path, new_root, &statement(), &mut rng(94)).unwrap_err(),
        ProveError::NotInTree
    );
    assert_eq!(new_path.compute_root(Fr::from(0u64)).unwrap(), new_root);

    // The root of block 2 stays acceptable for the window (3 blocks), then leaves it.
    assert!(c.ledger.root_in_window(&root).unwrap(), "tip 3: window 1..=3");
    assert!(c.ledger.root_in_window(&root_1).unwrap(), "tip 3: block 1 is the oldest in the window");
    c.commit(vec![c.issue_credit().0]);
    assert!(c.ledger.root_in_window(&root).unwrap(), "tip 4: window 2..=4");
    assert!(!c.ledger.root_in_window(&root_1).unwrap(), "tip 4: block 1 left the window");
    assert!(c.ledger.path_at(index, 2).is_ok());
    c.commit(vec![c.issue_credit().0]);
    assert!(!c.ledger.root_in_window(&root).unwrap(), "tip 5: window 3..=5");
    assert!(c.ledger.path_at(index, 2).is_err());
    // The old proof is still a valid Groth16 proof: the window is what rejects it.
    assert_eq!(verifier().verify(&proof, &public), Ok(()));
    assert_eq!(c.ledger.verify_chain(), Ok(5));
}

fn register(fingerprint: [u8; 32], key: Vec<u8>) -> TxBody {
    TxBody::RegisterVerifyingKey { circuit_id: PREDICATE_CIRCUIT_ID.into(), fingerprint, key }
}

fn predicate_key_bytes() -> Vec<u8> {
    let mut bytes = Vec::new();
    keys().1.serialize_compressed(&mut bytes).unwrap();
    bytes
}

#[test]
fn the_predicate_verifying_key_is_registered_by_its_fingerprint() {
    let mut c = TestChain::new(95);
    let bytes = predicate_key_bytes();
    let fp = fingerprint(&keys().1);
    assert_eq!(fp, verifier().fingerprint());

    let mut wrong_fp = fp;
    wrong_fp[0] ^= 1;
    let mut flipped = bytes.clone();
    flipped[40] ^= 1;
    let mut garbage = vec![0u8; bytes.len()];
    rand::RngCore::fill_bytes(&mut rng(96), &mut garbage);
    let cases: Vec<(&str, zkreg_registry::SignedTransaction, &str)> = vec![
        ("wrong fingerprint", c.governance(register(wrong_fp, bytes.clone()), &[1]), "invalid_verifying_key"),
        ("fingerprint of nothing", c.governance(register([0; 32], bytes.clone()), &[1]), "invalid_verifying_key"),
        ("random key bytes", c.governance(register(fp, garbage), &[1]), "invalid_verifying_key"),
        ("one key byte flipped", c.governance(register(fp, flipped), &[1]), "invalid_verifying_key"),
        ("truncated key", c.governance(register(fp, bytes[..bytes.len() - 1].to_vec()), &[1]), "invalid_verifying_key"),
        ("empty key", c.governance(register(fp, Vec::new()), &[1]), "invalid_verifying_key"),
        ("one root authority", c.governance(register(fp, bytes.clone()), &[]), "insufficient_approvals"),
        ("a regulator", c.tx(&c.actors.central_bank, register(fp, bytes.clone())), "unauthorised"),
    ];
    for (name, stx, expected) in cases {
        let before = state(&c.ledger);
        let b = c.block(vec![stx]);
        assert_eq!(code(&b.receipts[0]), Some(expected), "{name}: {:?}", b.receipts[0].error);
        assert_eq!(state(&c.ledger), before, "{name}: a refused key changes nothing");
    }
    assert!(c.ledger.registry().verifying_keys.is_empty());

    let b = c.commit(vec![c.governance(register(fp, bytes.clone()), &[2])]);
    let record = c.ledger.registry().verifying_keys[PREDICATE_CIRCUIT_ID].clone();
    assert_eq!((record.fingerprint, &record.key, record.since), (fp, &bytes, b.header.height));
    // What the ledger holds is what a verifier needs.
    let registered = PredicateVerifier::new(decode_verifying_key(&record.key).unwrap()).unwrap();
    assert_eq!(registered.fingerprint(), fp);
    // The same key again is refused; it survives a restart.
    let b = c.block(vec![c.governance(register(fp, bytes.clone()), &[1])]);
    assert_eq!(code(&b.receipts[0]), Some("already_registered"));
    let c = c.reopen();
    assert_eq!(c.ledger.registry().verifying_keys[PREDICATE_CIRCUIT_ID], record);
    assert_eq!(c.ledger.verify_chain(), Ok(c.ledger.height()));
}

#[test]
fn a_verifying_key_with_trailing_bytes_is_refused() {
    let mut c = TestChain::new(97);
    let padded = [predicate_key_bytes(), vec![0]].concat();
    let b = c.block(vec![c.governance(register(fingerprint(&keys().1), padded), &[1])]);
    assert_eq!(code(&b.receipts[0]), Some("invalid_verifying_key"));
    assert!(c.ledger.registry().verifying_keys.is_empty());
}
