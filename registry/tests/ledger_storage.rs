//! The ledger's sled files: a restarted ledger has the same chain, state and
//! nonces (but not the mempool) and goes on where it stopped; and tampering
//! with stored blocks, headers, tree nodes, the registry or credential
//! records is caught, either by opening (a tip tree root that differs from
//! the tip header) or by `verify_chain`, which names the height of the block
//! whose replay disagrees.

mod common;

use ark_bn254::Fr;

use common::*;
use zkreg_circuits::field::fr_to_bytes;
use zkreg_registry::block::BlockHeader;
use zkreg_registry::store::{stored_block_key, stored_node_key};
use zkreg_registry::tx::{decode_canonical, encode};
use zkreg_registry::{Ledger, LedgerError, SignedTransaction, TxBody};

// ---------------------------------------------------------------------------
// Restart
// ---------------------------------------------------------------------------

#[test]
fn a_restarted_ledger_has_the_same_chain_state_and_nonces() {
    let mut c = TestChain::with_window(60, 3);
    let cb = c.actors.central_bank.clone();
    let mut committed = Vec::new();
    for _ in 0..4 {
        let (stx, _) = c.issue_credit();
        committed.push(stx.clone());
        c.commit(vec![stx, c.issue_credit().0, c.tx(&c.actors.food_agency, issue(FOOD, c.commitment(FOOD, FOOD_AGENCY)))]);
    }
    let revoked = c.commitment(CREDIT, CENTRAL_BANK);
    c.commit(vec![c.tx(&cb, issue(CREDIT, revoked)), c.tx(&cb, revoke(revoked))]);
    c.commit(vec![c.governance(schema_body("after-restart"), &[1])]);
    // A transaction waiting in the mempool is not part of the chain.
    c.submit(c.issue_credit().0).unwrap();

    let before = c.snapshot();
    let paths: Vec<_> = (0..before.state.leaf_count).map(|i| c.ledger.path(i).unwrap()).collect();
    let window = c.ledger.root_window().unwrap();
    let headers: Vec<_> = (0..=c.ledger.height()).map(|h| c.ledger.header(h).unwrap().unwrap()).collect();
    let receipt = c.ledger.receipt(&committed[0].tx.id()).unwrap();

    let mut c = c.reopen();
    assert_eq!(c.snapshot(), Snapshot { pending: 0, ..before.clone() }, "the mempool is not persisted");
    assert_eq!(c.ledger.tip().hash(), before.tip.hash());
    assert_eq!((0..before.state.leaf_count).map(|i| c.ledger.path(i).unwrap()).collect::<Vec<_>>(), paths);
    assert_eq!(c.ledger.root_window().unwrap(), window);
    assert_eq!((0..=c.ledger.height()).map(|h| c.ledger.header(h).unwrap().unwrap()).collect::<Vec<_>>(), headers);
    assert_eq!(c.ledger.receipt(&committed[0].tx.id()).unwrap(), receipt);
    assert_eq!(c.ledger.verify_chain(), Ok(6));
    // Nonces persist: every committed transaction is a replay after the restart.
    for stx in committed {
        assert_eq!(c.submit(stx).unwrap_err().code(), "stale_nonce");
    }
    // The chain goes on where it stopped.
    let b = c.commit(vec![c.issue_credit().0]);
    assert_eq!((b.header.height, b.receipts[0].leaf_index), (7, Some(before.state.leaf_count)));
    assert_eq!(b.header.prev_hash, before.tip.hash());

    // Opening without a genesis reads the stored one; another genesis is refused.
    let dir = c.dir;
    drop(c.ledger);
    let l = open_when_unlocked(dir.path(), None).unwrap();
    assert_eq!(l.height(), 7);
    assert_eq!(l.verify_chain(), Ok(7));
    drop(l);
    let mut other = c.genesis.clone();
    other.chain_id = "zkreg-other".into();
    assert!(matches!(
        open_when_unlocked(dir.path(), Some(&other)),
        Err(LedgerError::GenesisMismatch { .. })
    ));
    let empty = tempfile::tempdir().unwrap();
    assert!(matches!(Ledger::open(empty.path(), None), Err(LedgerError::Genesis(_))));
}

// ---------------------------------------------------------------------------
// Tamper evidence
// ---------------------------------------------------------------------------

/// The store's header key (layout in `store.rs`: `h` ‖ height, big-endian).
fn header_key(height: u64) -> Vec<u8> {
    [&[b'h'][..], &height.to_be_bytes()].concat()
}

/// Four blocks:
/// 1. issue leaves 0, 1 (central bank) and 2 (food agency);
/// 2. issue leaf 3, anchor a record, an audit event, register a schema;
/// 3. issue leaf 4;
/// 4. revoke leaf 1, issue leaf 5.
fn tamper_fixture(seed: u64) -> TestChain {
    let mut c = TestChain::new(seed);
    let (cb, fa) = (c.actors.central_bank.clone(), c.actors.food_agency.clone());
    let leaf_1 = c.commitment(CREDIT, CENTRAL_BANK);
    c.commit(vec![c.issue_credit().0, c.tx(&cb, issue(CREDIT, leaf_1)), c.tx(&fa, issue(FOOD, c.commitment(FOOD, FOOD_AGENCY)))]);
    c.commit(vec![
        c.issue_credit().0,
        c.tx(&fa, TxBody::AnchorRecord { record_hash: [0xab; 32] }),
        c.tx(&cb, TxBody::AuditEvent { kind: "private-record-read".into(), subject_hash: [0xcd; 32] }),
        c.governance(schema_body("tamper-schema"), &[1]),
    ]);
    c.commit(vec![c.issue_credit().0]);
    c.commit(vec![c.tx(&cb, revoke(leaf_1)), c.issue_credit().0]);
    assert_eq!(c.ledger.verify_chain(), Ok(4));
    c
}

/// Writes `value` at `key`, bypassing the ledger.
fn overwrite(c: &TestChain, key: &[u8], value: &[u8]) {
    let db = c.ledger.store().raw_db();
    db.insert(key, value).unwrap();
    db.flush().unwrap();
}

fn raw(c: &TestChain, key: &[u8]) -> Vec<u8> {
    c.ledger.store().raw_db().get(key).unwrap().unwrap_or_else(|| panic!("no record {}", hex::encode(key))).to_vec()
}

/// Reopens the tampered directory (which must open) and runs `verify_chain`.
fn reopen_and_verify(c: TestChain) -> Result<u64, zkreg_registry::ChainError> {
    let c = c.reopen();
    c.ledger.verify_chain()
}

#[test]
fn a_modified_transaction_in_a_stored_block_is_reported_at_its_height() {
    for resign in [false, true] {
        let c = tamper_fixture(20);
        let mut txs: Vec<SignedTransaction> = decode_canonical(&raw(&c, &stored_block_key(3))).unwrap();
        let TxBody::IssueCredential { inner, .. } = &mut txs[0].tx.body else { panic!("block 3 is one issuance") };
        *inner = inner_of(&c.commitment(CREDIT, CENTRAL_BANK)).unwrap();
        if resign {
            // Even the regulator itself cannot rewrite history.
            txs[0] = txs[0].tx.clone().sign(&c.actors.central_bank);
        }
        overwrite(&c, &stored_block_key(3), &encode(&txs));
        let err = reopen_and_verify(c).unwrap_err();
        assert_eq!(err.height, 3, "re-signed: {resign}: {err}");
    }
    // A block emptied, and a block deleted.
    let c = tamper_fixture(21);
    overwrite(&c, &stored_block_key(2), &encode(&Vec::<SignedTransaction>::new()));
    assert_eq!(reopen_and_verify(c).unwrap_err().height, 2);
    let c = tamper_fixture(22);
    c.ledger.store().raw_db().remove(stored_block_key(2)).unwrap();
    assert_eq!(reopen_and_verify(c).unwrap_err().height, 2);
}

/// Flips every bit-0 of every byte of block `height`'s stored body in turn and
/// returns the positions whose flip `verify_chain` did not report at `height`.
fn undetected_block_flips(c: &TestChain, height: u64) -> Vec<(usize, Result<u64, zkreg_registry::ChainError>)> {
    let key = stored_block_key(height);
    let original = raw(c, &key);
    let mut missed = Vec::new();
    for pos in 0..original.len() {
        let mut flipped = original.clone();
        flipped[pos] ^= 0x01;
        overwrite(c, &key, &flipped);
        let result = c.ledger.verify_chain();
        if result.as_ref().err().map(|e| e.height) != Some(height) {
            missed.push((pos, result));
        }
    }
    overwrite(c, &key, &original);
    assert_eq!(c.ledger.verify_chain(), Ok(4));
    missed
}

#[test]
fn every_byte_flip_of_a_stored_block_of_issuances_is_reported_at_its_height() {
    let c = tamper_fixture(23);
    for height in [1, 3, 4] {
        assert_eq!(undetected_block_flips(&c, height), [], "block {height}");
    }
    // And through a restart: opening does not read block bodies, verify-chain does.
    let key = stored_block_key(3);
    let mut flipped = raw(&c, &key);
    let last = flipped.len() - 2;
    flipped[last] ^= 0x01; // in the last signature
    overwrite(&c, &key, &flipped);
    assert_eq!(reopen_and_verify(c).unwrap_err().height, 3);
}

#[test]
fn every_byte_flip_of_a_stored_block_without_tree_effects_is_reported_at_its_height() {
    let c = tamper_fixture(24);
    let missed = undetected_block_flips(&c, 2);
    assert_eq!(missed, [], "{} of {} positions of block 2 were not reported at height 2", missed.len(), raw(&c, &stored_block_key(2)).len());
}

#[test]
fn a_tampered_header_is_reported_at_its_height() {
    type Edit = fn(&mut BlockHeader);
    let edits: [(&str, Edit); 6] = [
        ("tree root", |h| h.tree_root = fr_to_bytes(&(fr(&h.tree_root) + Fr::from(1u64)))),
        ("leaf count", |h| h.leaf_count += 1),
        ("transaction root", |h| h.tx_root[0] ^= 1),
        ("previous hash", |h| h.prev_hash[31] ^= 1),
        ("height", |h| h.height += 1),
        ("time", |h| h.time += 1),
    ];
    for (name, edit) in edits {
        for height in [1, 2, 3] {
            let c = tamper_fixture(30);
            let mut header: BlockHeader = decode_canonical(&raw(&c, &header_key(height))).unwrap();
            edit(&mut header);
            overwrite(&c, &header_key(height), &encode(&header));
            let err = reopen_and_verify(c).unwrap_err();
            // A header's time is whatever the sequencer chose, so the replay
            // takes it from the header: only the next header's link covers it.
            let expected = if name == "time" { height + 1 } else { height };
            assert_eq!(err.height, expected, "{name} of header {height}: {err}");
        }
    }
    // At the tip the separately stored tip record covers every field.
    for (name, edit) in edits {
        let c = tamper_fixture(31);
        let mut header: BlockHeader = decode_canonical(&raw(&c, &header_key(4))).unwrap();
        edit(&mut header);
        overwrite(&c, &header_key(4), &encode(&header));
        assert_eq!(reopen_and_verify(c).unwrap_err().height, 4, "{name} of the tip header");
    }
    // Every byte flip of a stored header outside its time field.
    let c = tamper_fixture(32);
    let original = raw(&c, &header_key(2));
    let header: BlockHeader = decode_canonical(&original).unwrap();
    let time_at = original.len() - encode(&header.time).len();
    for pos in 0..time_at {
        let mut flipped = original.clone();
        flipped[pos] ^= 0x01;
        overwrite(&c, &header_key(2), &flipped);
        assert_eq!(c.ledger.verify_chain().map_err(|e| e.height), Err(2), "byte {pos} of header 2");
    }
    // A deleted header.
    c.ledger.store().raw_db().remove(header_key(2)).unwrap();
    assert_eq!(c.ledger.verify_chain().map_err(|e| e.height), Err(2));
}

#[test]
fn a_tampered_tree_node_is_reported_at_its_height() {
    let other = fr_to_bytes(&Fr::from(123_456_789u64));
    // Older versions: the root as of block 2 (rewritten by 3 and 4), and leaf
    // 1 as issued in block 1 (zeroed by block 4). The ledger opens (its tip
    // tree is intact); verify-chain names the block.
    for (level, index, height) in [(16, 0, 2), (1, 0, 1), (0, 1, 1), (8, 0, 3)] {
        let c = tamper_fixture(40);
        overwrite(&c, &stored_node_key(level, index, height), &other);
        let err = reopen_and_verify(c).unwrap_err();
        assert_eq!(err.height, height, "node ({level}, {index}) at {height}: {err}");
    }
    // An older version that is not a canonical field element.
    let c = tamper_fixture(41);
    overwrite(&c, &stored_node_key(16, 0, 1), &modulus_bytes());
    assert_eq!(reopen_and_verify(c).unwrap_err().height, 1);
    // An older version deleted.
    let c = tamper_fixture(42);
    c.ledger.store().raw_db().remove(stored_node_key(16, 0, 3)).unwrap();
    assert_eq!(reopen_and_verify(c).unwrap_err().height, 3);
    // A version no block wrote: an extra copy of leaf 0 dated block 3.
    let c = tamper_fixture(43);
    overwrite(&c, &stored_node_key(0, 0, 3), &other);
    assert_eq!(reopen_and_verify(c).unwrap_err().height, 3);
}

#[test]
fn a_tampered_latest_tree_root_stops_the_ledger_from_opening() {
    let other = fr_to_bytes(&Fr::from(123_456_789u64));
    for value in [other.to_vec(), modulus_bytes().to_vec(), vec![1, 2, 3]] {
        let c = tamper_fixture(44);
        overwrite(&c, &stored_node_key(16, 0, 4), &value);
        match c.try_reopen() {
            Err(LedgerError::Corrupt { .. }) => {}
            Err(e) => panic!("expected Corrupt, got {e}"),
            Ok(_) => panic!("a ledger whose stored tree root differs from the tip header opened"),
        }
    }
}

#[test]
fn a_tampered_latest_inner_node_or_leaf_is_reported_at_its_height() {
    // Opening trusts the stored inner nodes below the root (it does not
    // rehash the tree), so the ledger opens; verify-chain names the block.
    let other = fr_to_bytes(&Fr::from(123_456_789u64));
    for (level, index, height) in [(0, 0, 1), (0, 4, 3), (1, 1, 4), (15, 0, 4)] {
        let c = tamper_fixture(45);
        overwrite(&c, &stored_node_key(level, index, height), &other);
        let c = c.reopen();
        let err = c.ledger.verify_chain().unwrap_err();
        assert_eq!(err.height, height, "node ({level}, {index}) at {height}: {err}");
    }
}

#[test]
fn a_tampered_stored_registry_is_reported_by_verify_chain() {
    // The registry record (`Y`) of a chain where an intruder is a credit regulator.
    let intruder = signing_key(&mut rng(501));
    let mut twin = TestChain::new(50);
    twin.commit(vec![twin.governance(
        TxBody::RegisterRegulator { name: "intruder".into(), key: public(&intruder), schemas: vec![CREDIT.into()] },
        &[1],
    )]);
    let forged = raw(&twin, b"Y");
    let c = tamper_fixture(50);
    overwrite(&c, b"Y", &forged);
    let c = c.reopen();
    assert!(c.ledger.registry().authorised("intruder", CREDIT), "the forged registry is loaded");
    assert!(c.ledger.verify_chain().is_err(), "a registry the chain never produced is not reported");
}

#[test]
fn a_tampered_stored_credential_record_is_reported_by_verify_chain() {
    // A credential marked revoked that no block revoked.
    let c = tamper_fixture(51);
    let (cm, mut record) = state(&c.ledger).credentials.into_iter().find(|(_, r)| r.revoked_at.is_none()).unwrap();
    record.revoked_at = Some(2);
    overwrite(&c, &[&[b'c'][..], &cm].concat(), &encode(&record));
    let c = c.reopen();
    assert_eq!(c.ledger.credential(&cm).unwrap().unwrap().revoked_at, Some(2));
    assert!(c.ledger.verify_chain().is_err(), "a credential record the chain never produced is not reported");
}
