//! Applying blocks, on real sled files: every transaction type applied when
//! valid, with its receipt and the queries that read its effects; governance
//! by a threshold of distinct root authorities; stateful failures recorded in
//! the block with stable codes and no effect, a block with failures leaving
//! the state as if they were absent, a proposal replaying a recorded failed
//! transaction, and a proposal for another height.

mod common;

use ark_bn254::Fr;
use ark_ff::Zero;

use common::*;
use zkreg_circuits::field::fr_to_bytes;
use zkreg_registry::state::CredentialCounts;
use zkreg_registry::{BlockProposal, CredentialKind, CredentialRecord, LedgerError, SignedTransaction, TxBody};

// ---------------------------------------------------------------------------
// Valid transactions
// ---------------------------------------------------------------------------

#[test]
fn every_transaction_type_is_applied_when_valid() {
    let mut c = TestChain::new(1);

    // Governance (2 of 3): a schema, then a regulator allowed to issue it.
    let b = c.commit(vec![c.governance(
        TxBody::RegisterSchema { name: "pharmacy-licence".into(), description: "licence class".into() },
        &[1],
    )]);
    let schema = &c.ledger.registry().schemas["pharmacy-licence"];
    assert_eq!((schema.description.as_str(), schema.since), ("licence class", b.header.height));
    let health = signing_key(&mut rng(100));
    let b = c.commit(vec![c.governance(
        TxBody::RegisterRegulator {
            name: "health-agency".into(),
            key: public(&health),
            schemas: vec!["pharmacy-licence".into()],
        },
        &[2],
    )]);
    let reg = c.ledger.registry().regulator_by_key(&public(&health)).expect("registered regulator").clone();
    assert_eq!((reg.name.as_str(), reg.active, reg.since), ("health-agency", true, b.header.height));
    assert!(c.ledger.registry().authorised("health-agency", "pharmacy-licence"));

    // The new regulator issues both kinds, anchors a record and records an
    // audit event; a root authority records an audit event too.
    let cm = c.commitment("pharmacy-licence", "health-agency");
    let rc = c.range_commitment(3);
    let holder = c.holder_key();
    let record_hash = [7u8; 32];
    let txs = vec![
        c.tx(&health, issue("pharmacy-licence", cm)),
        c.tx(
            &health,
            TxBody::IssueRangeCredential { schema: "pharmacy-licence".into(), commitment: rc, holder_key: holder, expiry: 20_500 },
        ),
        c.tx(&health, TxBody::AnchorRecord { record_hash }),
        c.tx(&health, TxBody::AuditEvent { kind: "private-record-read".into(), subject_hash: [8; 32] }),
        c.tx(&c.actors.authorities[1], TxBody::AuditEvent { kind: "chain-audit".into(), subject_hash: [9; 32] }),
    ];
    let b = c.commit(txs.clone());
    let h = b.header.height;
    assert_eq!(b.receipts.iter().map(|r| r.leaf_index).collect::<Vec<_>>(), [Some(0), None, None, None, None]);
    assert_eq!(
        c.ledger.credential(&cm).unwrap(),
        Some(CredentialRecord {
            kind: CredentialKind::Groth16 { leaf_index: 0 },
            issuer: "health-agency".into(),
            schema: "pharmacy-licence".into(),
            issued_at: h,
            revoked_at: None,
        })
    );
    assert_eq!(
        c.ledger.credential(&rc).unwrap(),
        Some(CredentialRecord {
            kind: CredentialKind::Bulletproofs { holder_key: holder, expiry: 20_500 },
            issuer: "health-agency".into(),
            schema: "pharmacy-licence".into(),
            issued_at: h,
            revoked_at: None,
        })
    );
    assert_eq!(c.ledger.anchor(&record_hash).unwrap(), Some(h));
    assert_eq!(c.ledger.anchor(&[6u8; 32]).unwrap(), None);
    // The Groth16 commitment is leaf 0 of the tree under the header's root.
    assert_eq!(c.ledger.path(0).unwrap().compute_root(fr(&cm)).unwrap(), c.ledger.root());
    assert_eq!(b.header.tree_root, fr_to_bytes(&c.ledger.root()));
    assert_eq!(b.header.leaf_count, 1);
    assert_eq!(
        c.ledger.registry().counts[&("health-agency".to_string(), "pharmacy-licence".to_string())],
        CredentialCounts { issued: 2, revoked: 0 }
    );
    // Queries: the block, its header by height and hash, every receipt.
    assert_eq!(c.ledger.block_txs(h).unwrap(), Some(txs.clone()));
    assert_eq!(c.ledger.header(h).unwrap(), Some(b.header.clone()));
    assert_eq!(c.ledger.header_by_hash(&b.header.hash()).unwrap(), Some(b.header.clone()));
    assert_eq!(c.ledger.header_by_hash(&[0u8; 32]).unwrap(), None);
    for (stx, receipt) in txs.iter().zip(&b.receipts) {
        assert_eq!(c.ledger.receipt(&stx.tx.id()).unwrap().as_ref(), Some(receipt));
    }

    // Revocation of both kinds.
    let b = c.commit(vec![c.tx(&health, revoke(cm)), c.tx(&health, revoke(rc))]);
    for commitment in [cm, rc] {
        assert_eq!(c.ledger.credential(&commitment).unwrap().unwrap().revoked_at, Some(b.header.height));
    }
    assert_eq!(c.ledger.path(0).unwrap().compute_root(Fr::zero()).unwrap(), c.ledger.root());
    assert_eq!(
        c.ledger.registry().counts[&("health-agency".to_string(), "pharmacy-licence".to_string())],
        CredentialCounts { issued: 2, revoked: 2 }
    );

    // Retirement.
    c.commit(vec![c.governance(TxBody::RetireRegulator { name: "health-agency".into() }, &[1, 2])]);
    assert!(!c.ledger.registry().regulators["health-agency"].active);
    assert!(c.ledger.registry().regulator_by_key(&public(&health)).is_none());
    assert!(!c.ledger.registry().authorised("health-agency", "pharmacy-licence"));

    assert_eq!(c.ledger.verify_chain(), Ok(c.ledger.height()));
}

#[test]
fn governance_needs_the_threshold_of_distinct_root_authorities() {
    let mut c = TestChain::new(2);
    let outsider = c.actors.outsider.clone();
    let cb = c.actors.central_bank.clone();
    let a = c.actors.authorities.clone();
    let cases: Vec<(&str, SignedTransaction, Option<&str>)> = vec![
        ("signer + 1 approval (2 of 3)", c.governance(schema_body("s1"), &[1]), None),
        ("signer + 2 approvals (3 of 3)", c.governance(schema_body("s2"), &[1, 2]), None),
        ("another authority as signer", c.tx(&a[2], schema_body("s3")).approve(&a[1]), None),
        ("signer alone (1 of 3)", c.governance(schema_body("s4"), &[]), Some("insufficient_approvals")),
        ("approval by a non-authority is not counted", c.governance(schema_body("s5"), &[]).approve(&outsider), Some("insufficient_approvals")),
        ("approval by a regulator is not counted", c.governance(schema_body("s6"), &[]).approve(&cb), Some("insufficient_approvals")),
        ("the signer approving itself counts once", c.governance(schema_body("s7"), &[0]), Some("insufficient_approvals")),
        ("one authority approving twice counts once", c.tx(&a[1], schema_body("s8")).approve(&a[1]).approve(&a[1]), Some("insufficient_approvals")),
        ("a regulator cannot sign governance", c.tx(&cb, schema_body("s9")).approve(&a[0]).approve(&a[1]), Some("unauthorised")),
        ("an outsider cannot sign governance", c.tx(&outsider, schema_body("s10")).approve(&a[0]).approve(&a[1]), Some("unauthorised")),
    ];
    for (name, stx, expected) in cases {
        let before = state(&c.ledger);
        let b = c.block(vec![stx]);
        assert_eq!(code(&b.receipts[0]), expected, "{name}");
        if expected.is_some() {
            assert_eq!(state(&c.ledger), before, "{name}: a refused change changes nothing");
        }
    }
    let schemas: Vec<&str> = c.ledger.registry().schemas.keys().map(String::as_str).collect();
    assert_eq!(schemas, [BUSINESS, CREDIT, FOOD, "s1", "s2", "s3"]);
    // The refused changes' nonces were not consumed: the same signer goes on.
    let b = c.commit(vec![c.governance(schema_body("s11"), &[2])]);
    assert_eq!(b.receipts[0].error, None);
    assert_eq!(c.ledger.verify_chain(), Ok(c.ledger.height()));
}

// ---------------------------------------------------------------------------
// Failed when applied: stateful checks
// ---------------------------------------------------------------------------

#[test]
fn failed_transactions_have_stable_codes_and_change_nothing() {
    let mut c = TestChain::new(6);
    let cb = c.actors.central_bank.clone();
    let fa = c.actors.food_agency.clone();
    let outsider = c.actors.outsider.clone();
    let retired = signing_key(&mut rng(600));

    // Arrange: credentials of both kinds, one revoked, and a retired regulator
    // with a credential of its own.
    let (cm_a, cm_revoked, cm_food, cm_old) =
        (c.commitment(CREDIT, CENTRAL_BANK), c.commitment(CREDIT, CENTRAL_BANK), c.commitment(FOOD, FOOD_AGENCY), c.commitment(FOOD, "old-registry"));
    let rc_a = c.range_commitment(710);
    let holder = c.holder_key();
    let range = |commitment: [u8; 32], schema: &str| TxBody::IssueRangeCredential {
        schema: schema.into(),
        commitment,
        holder_key: holder,
        expiry: 20_500,
    };
    c.commit(vec![
        c.tx(&cb, issue(CREDIT, cm_a)),
        c.tx(&cb, issue(CREDIT, cm_revoked)),
        c.tx(&fa, issue(FOOD, cm_food)),
        c.tx(&cb, range(rc_a, CREDIT)),
        c.governance(
            TxBody::RegisterRegulator { name: "old-registry".into(), key: public(&retired), schemas: vec![FOOD.into()] },
            &[1],
        ),
    ]);
    c.commit(vec![c.tx(&cb, revoke(cm_revoked)), c.tx(&retired, issue(FOOD, cm_old))]);
    c.commit(vec![c.governance(TxBody::RetireRegulator { name: "old-registry".into() }, &[2])]);
    assert_eq!(c.ledger.verify_chain(), Ok(3));

    let mut modulus_plus_one = modulus_bytes();
    modulus_plus_one[31] += 1;
    let mut cases: Vec<(&str, SignedTransaction, &str)> = vec![
        // Who may issue what.
        ("unknown key issues", c.tx(&outsider, issue(CREDIT, c.commitment(CREDIT, CENTRAL_BANK))), "unauthorised"),
        ("root authority issues", c.tx(&c.actors.authorities[0], issue(CREDIT, c.commitment(CREDIT, CENTRAL_BANK))), "unauthorised"),
        ("unknown key issues a range credential", c.tx(&outsider, range(c.range_commitment(1), CREDIT)), "unauthorised"),
        ("schema of another regulator", c.tx(&cb, issue(FOOD, c.commitment(FOOD, CENTRAL_BANK))), "schema_not_allowed"),
        ("schema no regulator may issue", c.tx(&cb, issue(BUSINESS, c.commitment(BUSINESS, CENTRAL_BANK))), "schema_not_allowed"),
        ("range credential of another schema", c.tx(&fa, range(c.range_commitment(2), CREDIT)), "schema_not_allowed"),
        ("unknown schema", c.tx(&cb, issue("no-such-schema", c.commitment("no-such-schema", CENTRAL_BANK))), "unknown_schema"),
        ("range credential of an unknown schema", c.tx(&cb, range(c.range_commitment(3), "no-such-schema")), "unknown_schema"),
        ("retired regulator issues", c.tx(&retired, issue(FOOD, c.commitment(FOOD, "old-registry"))), "unauthorised"),
        ("retired regulator revokes its credential", c.tx(&retired, revoke(cm_old)), "unauthorised"),
        ("retired regulator anchors", c.tx(&retired, TxBody::AnchorRecord { record_hash: [3; 32] }), "unauthorised"),
        // Commitments.
        ("duplicate commitment (earlier block)", c.tx(&cb, issue(CREDIT, cm_a)), "duplicate_commitment"),
        ("duplicate commitment of a revoked credential", c.tx(&cb, issue(CREDIT, cm_revoked)), "duplicate_commitment"),
        ("duplicate range commitment", c.tx(&cb, range(rc_a, CREDIT)), "duplicate_commitment"),
        ("commitment = r", c.tx(&cb, issue(CREDIT, modulus_bytes())), "invalid_commitment"),
        ("commitment = r + 1", c.tx(&cb, issue(CREDIT, modulus_plus_one)), "invalid_commitment"),
        ("commitment = 2^256 - 1", c.tx(&cb, issue(CREDIT, [0xff; 32])), "invalid_commitment"),
        ("zero commitment", c.tx(&cb, issue(CREDIT, [0; 32])), "invalid_commitment"),
        ("range commitment not a point", c.tx(&cb, range([0xff; 32], CREDIT)), "invalid_commitment"),
        ("range commitment with a negative s", c.tx(&cb, range(IDENTITY_KEY, CREDIT)), "invalid_commitment"),
        // Revocation.
        ("revocation by another regulator", c.tx(&fa, revoke(cm_a)), "not_issuer"),
        ("range revocation by another regulator", c.tx(&fa, revoke(rc_a)), "not_issuer"),
        ("revocation by an unknown key", c.tx(&outsider, revoke(cm_a)), "unauthorised"),
        ("revocation of an unknown credential", c.tx(&cb, revoke([5; 32])), "unknown_credential"),
        ("revocation of a revoked credential", c.tx(&cb, revoke(cm_revoked)), "already_revoked"),
        // Anchors and audit events.
        ("unknown key anchors", c.tx(&outsider, TxBody::AnchorRecord { record_hash: [4; 32] }), "unauthorised"),
        ("unknown key records an audit event", c.tx(&outsider, TxBody::AuditEvent { kind: "x".into(), subject_hash: [4; 32] }), "unauthorised"),
        // Governance.
        ("governance with 1 of 3", c.governance(schema_body("lonely"), &[]), "insufficient_approvals"),
        ("schema registered twice", c.governance(schema_body(CREDIT), &[1]), "already_registered"),
        (
            "regulator name taken",
            c.governance(TxBody::RegisterRegulator { name: CENTRAL_BANK.into(), key: public(&outsider), schemas: vec![] }, &[1]),
            "already_registered",
        ),
        (
            "regulator key taken",
            c.governance(TxBody::RegisterRegulator { name: "twin".into(), key: public(&cb), schemas: vec![] }, &[1]),
            "already_registered",
        ),
        (
            "root authority as regulator",
            c.governance(TxBody::RegisterRegulator { name: "judge".into(), key: public(&c.actors.authorities[2]), schemas: vec![] }, &[1]),
            "already_registered",
        ),
        (
            "regulator for an unknown schema",
            c.governance(TxBody::RegisterRegulator { name: "new".into(), key: public(&outsider), schemas: vec!["nope".into()] }, &[1]),
            "unknown_schema",
        ),
        ("retire an unknown regulator", c.governance(TxBody::RetireRegulator { name: "nobody".into() }, &[1]), "unknown_regulator"),
        ("retire a retired regulator", c.governance(TxBody::RetireRegulator { name: "old-registry".into() }, &[1]), "unknown_regulator"),
        (
            "verifying key that does not decode",
            c.governance(
                TxBody::RegisterVerifyingKey { circuit_id: "zkreg-predicate-v1".into(), fingerprint: [0; 32], key: vec![1, 2, 3] },
                &[1],
            ),
            "invalid_verifying_key",
        ),
    ];
    // A transaction reusing the regulator's last consumed nonce.
    let last = c.ledger.registry().nonces[&public(&cb)];
    cases.push(("issuance with a consumed nonce", c.tx_with_nonce(&cb, last, issue(CREDIT, c.commitment(CREDIT, CENTRAL_BANK))), "stale_nonce"));

    for (name, stx, expected) in cases {
        let id = stx.tx.id();
        let before = c.snapshot();
        let b = if expected == "stale_nonce" {
            // The mempool refuses it; a proposal (from another leader) may still hold it.
            assert_eq!(c.submit(stx.clone()).unwrap_err().code(), "stale_nonce");
            let proposal = BlockProposal { height: c.ledger.height() + 1, time: c.next_time(), txs: vec![stx] };
            c.ledger.apply(&proposal).unwrap()
        } else {
            c.block(vec![stx])
        };
        assert_eq!(code(&b.receipts[0]), Some(expected), "{name}: {:?}", b.receipts[0].error);
        assert_eq!(b.receipts[0].leaf_index, None, "{name}");
        assert_eq!(c.ledger.receipt(&id).unwrap().as_ref(), Some(&b.receipts[0]), "{name}: the receipt is stored");
        assert_eq!(state(&c.ledger), before.state, "{name}: a failed transaction changes nothing");
        assert_eq!(b.header.height, before.tip.height + 1, "{name}");
        assert_eq!((b.header.tree_root, b.header.leaf_count), (before.tip.tree_root, before.tip.leaf_count), "{name}");
        assert_eq!(b.header.prev_hash, before.tip.hash(), "{name}");
    }
    // The replay reaches the same failures.
    assert_eq!(c.ledger.verify_chain(), Ok(c.ledger.height()));
}

#[test]
fn a_failed_transaction_leaves_the_block_as_if_it_were_absent() {
    // Two identical chains; the second never sees the failing transactions.
    let mut with = TestChain::new(7);
    let mut without = TestChain::new(7);
    let c = &with;
    let (cb, fa, outsider) = (&c.actors.central_bank, &c.actors.food_agency, &c.actors.outsider);
    let (x, y, z, w) = (
        c.commitment(CREDIT, CENTRAL_BANK),
        c.commitment(CREDIT, CENTRAL_BANK),
        c.commitment(FOOD, FOOD_AGENCY),
        c.commitment(CREDIT, CENTRAL_BANK),
    );
    let range = TxBody::IssueRangeCredential { schema: CREDIT.into(), commitment: c.range_commitment(640), holder_key: c.holder_key(), expiry: 20_600 };
    let block: Vec<(SignedTransaction, Option<&str>)> = vec![
        (c.tx_with_nonce(cb, 10, issue(CREDIT, x)), None),
        (c.tx_with_nonce(cb, 11, issue(CREDIT, x)), Some("duplicate_commitment")),
        (c.tx(outsider, issue(CREDIT, y)), Some("unauthorised")),
        (c.tx_with_nonce(fa, 1, issue(FOOD, z)), None),
        (c.tx_with_nonce(cb, 10, issue(CREDIT, w)), Some("stale_nonce")),
        (c.tx_with_nonce(cb, 9, issue(CREDIT, w)), Some("stale_nonce")),
        (c.tx_with_nonce(cb, 12, revoke([9; 32])), Some("unknown_credential")),
        (c.tx_with_nonce(fa, 2, revoke(x)), Some("not_issuer")),
        (c.tx_with_nonce(cb, 13, issue(CREDIT, [0; 32])), Some("invalid_commitment")),
        (c.tx_with_nonce(cb, 14, range), None),
        (c.tx_with_nonce(fa, 3, TxBody::AnchorRecord { record_hash: [1; 32] }), None),
        (c.tx_with_nonce(cb, 15, issue(CREDIT, w)), None),
        (c.governance(schema_body("half-approved"), &[]), Some("insufficient_approvals")),
    ];
    let all: Vec<SignedTransaction> = block.iter().map(|(t, _)| t.clone()).collect();
    let valid: Vec<SignedTransaction> = block.iter().filter(|(_, e)| e.is_none()).map(|(t, _)| t.clone()).collect();
    let with_block = with.block(all);
    let without_block = without.commit(valid);

    let codes: Vec<Option<&str>> = with_block.receipts.iter().map(code).collect();
    assert_eq!(codes, block.iter().map(|(_, e)| *e).collect::<Vec<_>>());
    let leaves = |b: &zkreg_registry::AppliedBlock| b.receipts.iter().filter_map(|r| r.leaf_index).collect::<Vec<_>>();
    assert_eq!(leaves(&with_block), [0, 1, 2]);
    assert_eq!(leaves(&with_block), leaves(&without_block));
    assert_eq!(state(&with.ledger), state(&without.ledger));
    assert_eq!(with.ledger.registry().nonces[&public(&with.actors.central_bank)], 15);
    assert_eq!(with_block.header.tree_root, without_block.header.tree_root);
    assert_ne!(with_block.header.tx_root, without_block.header.tx_root, "the block still records every transaction");
    assert_eq!(with.ledger.verify_chain(), Ok(1));
}

// ---------------------------------------------------------------------------
// Proposals
// ---------------------------------------------------------------------------

#[test]
fn a_proposal_replaying_a_recorded_failed_transaction_does_not_apply_it() {
    let mut c = TestChain::new(4);
    let cb = c.actors.central_bank.clone();
    let cm = c.commitment(CREDIT, CENTRAL_BANK);
    let early_revoke = c.tx_with_nonce(&cb, 100, revoke(cm));
    let failed = c.block(vec![early_revoke.clone()]);
    assert_eq!(code(&failed.receipts[0]), Some("unknown_credential"));
    c.commit(vec![c.tx_with_nonce(&cb, 1, issue(CREDIT, cm))]);
    // A leader (or a replica replaying its log) proposes the recorded
    // transaction again: it is a replay and must not revoke the credential.
    let proposal = BlockProposal { height: c.ledger.height() + 1, time: c.next_time(), txs: vec![early_revoke.clone()] };
    let b = c.ledger.apply(&proposal).unwrap();
    assert!(b.receipts[0].error.is_some(), "a recorded transaction id is applied a second time");
    assert_eq!(c.ledger.credential(&cm).unwrap().unwrap().revoked_at, None);
    // The first receipt stays retrievable.
    assert_eq!(c.ledger.receipt(&early_revoke.tx.id()).unwrap(), Some(failed.receipts[0].clone()));
}

#[test]
fn a_proposal_for_another_height_is_refused() {
    let mut c = TestChain::new(61);
    c.commit(vec![c.issue_credit().0]);
    let before = c.snapshot();
    for height in [0, 1, 3] {
        let proposal = BlockProposal { height, time: c.next_time(), txs: vec![c.issue_credit().0] };
        assert!(matches!(c.ledger.apply(&proposal), Err(LedgerError::WrongHeight { got, expected: 2 }) if got == height));
    }
    assert_eq!(c.snapshot(), before);
}
