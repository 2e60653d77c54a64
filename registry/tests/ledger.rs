//! The public layer on real sled files: every transaction type applied when
//! valid, refusals with stable codes that change nothing, blocks mixing good
//! and failing transactions, revocation in the tree, tamper evidence,
//! restart, the root window and bucket paths.

mod common;

use ark_bn254::Fr;
use ark_ff::{BigInteger, PrimeField, Zero};
use ed25519_dalek::Signature;

use common::*;
use zkreg_circuits::field::{fr_from_bytes, fr_to_bytes};
use zkreg_circuits::tree::CommitmentTree;
use zkreg_registry::block::BlockHeader;
use zkreg_registry::state::CredentialCounts;
use zkreg_registry::store::{stored_block_key, stored_node_key};
use zkreg_registry::tx::{decode_canonical, encode, Approval, MAX_TX_BYTES};
use zkreg_registry::{
    BlockProposal, CredentialKind, CredentialRecord, Ledger, LedgerError, SignedTransaction, Transaction,
    TxBody, TxError,
};

fn fr(bytes: &[u8; 32]) -> Fr {
    fr_from_bytes(bytes).unwrap_or_else(|e| panic!("commitment bytes: {e}"))
}

/// The BN254 scalar modulus `r`, big-endian: the smallest non-canonical encoding.
fn modulus_bytes() -> [u8; 32] {
    Fr::MODULUS.to_bytes_be().try_into().unwrap()
}

fn schema_body(name: &str) -> TxBody {
    TxBody::RegisterSchema { name: name.into(), description: String::new() }
}

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
// Refused at submission: stateless checks and nonces
// ---------------------------------------------------------------------------

/// A 32-byte string that is not the encoding of any ed25519 point.
fn not_a_point() -> [u8; 32] {
    (2u8..=255)
        .map(|y| {
            let mut k = [0u8; 32];
            k[0] = y;
            k
        })
        .find(|k| curve25519_dalek::edwards::CompressedEdwardsY(*k).decompress().is_none())
        .expect("some small y is not on the curve")
}

#[test]
fn refused_submissions_have_stable_codes_and_change_nothing() {
    let mut c = TestChain::new(3);
    let cb = c.actors.central_bank.clone();
    let fa = c.actors.food_agency.clone();
    // Committed nonces 1..=3 of the central bank.
    let committed: Vec<SignedTransaction> = (0..3).map(|_| c.issue_credit().0).collect();
    c.commit(committed.clone());
    assert_eq!(c.ledger.registry().nonces[&public(&cb)], 3);
    // One valid transaction waits in the mempool throughout.
    let (waiting, _) = c.issue_credit();
    c.submit(waiting.clone()).unwrap();

    let fresh = |c: &TestChain| issue(CREDIT, c.commitment(CREDIT, CENTRAL_BANK));
    let mut cases: Vec<(String, SignedTransaction, &str)> = Vec::new();
    let mut case = |name: &str, stx: SignedTransaction, code: &'static str| cases.push((name.to_string(), stx, code));

    // Bad signatures.
    for pos in [0, 17, 31, 32, 48, 63] {
        let mut stx = c.tx(&cb, fresh(&c));
        let mut sig = stx.signature.to_bytes();
        sig[pos] ^= 0x01;
        stx.signature = Signature::from_bytes(&sig);
        case(&format!("signature byte {pos} flipped"), stx, "bad_signature");
    }
    case("signed by another key", c.unsigned(public(&cb), fresh(&c)).sign(&fa), "bad_signature");
    let mut stx = c.tx(&cb, fresh(&c));
    stx.tx.nonce += 1;
    case("nonce changed after signing", stx, "bad_signature");
    let mut stx = c.tx(&cb, fresh(&c));
    stx.tx.body = fresh(&c);
    case("body changed after signing", stx, "bad_signature");
    let mut stx = c.governance(schema_body("x1"), &[1]);
    let mut sig = stx.approvals[0].signature.to_bytes();
    sig[5] ^= 0x80;
    stx.approvals[0].signature = Signature::from_bytes(&sig);
    case("approval signature flipped", stx, "bad_signature");
    let other = c.governance(schema_body("x2"), &[1]);
    let mut stx = c.governance(schema_body("x3"), &[]);
    stx.approvals.push(other.approvals[0].clone());
    case("approval of another transaction", stx, "bad_signature");

    // Weak or invalid keys: as signer, as approver, as holder, as regulator.
    for (name, key) in [
        ("identity", IDENTITY_KEY),
        ("order 2", ORDER_TWO_KEY),
        ("non-canonical y = p", NON_CANONICAL_KEY),
        ("not a point", not_a_point()),
    ] {
        let tx = Transaction { chain_id: CHAIN_ID.into(), signer: key, nonce: 1, body: fresh(&c) };
        case(&format!("{name} signer"), tx.sign(&cb), "weak_key");
        let mut stx = c.governance(schema_body("x4"), &[]);
        stx.approvals.push(Approval { key, signature: stx.signature });
        case(&format!("{name} approver"), stx, "weak_key");
        let body = TxBody::IssueRangeCredential {
            schema: CREDIT.into(),
            commitment: c.range_commitment(700),
            holder_key: key,
            expiry: 20_500,
        };
        case(&format!("{name} holder key"), c.tx(&cb, body), "weak_key");
        let body = TxBody::RegisterRegulator { name: "weak".into(), key, schemas: vec![CREDIT.into()] };
        case(&format!("{name} regulator key"), c.governance(body, &[1]), "weak_key");
    }

    // Replayed and out-of-order nonces (the last committed one is 3).
    case("replay of a committed transaction", committed[0].clone(), "stale_nonce");
    case("replay of the last committed transaction", committed[2].clone(), "stale_nonce");
    case("new transaction reusing the last nonce", c.tx_with_nonce(&cb, 3, fresh(&c)), "stale_nonce");
    case("nonce below the last", c.tx_with_nonce(&cb, 2, fresh(&c)), "stale_nonce");
    case("nonce 0", c.tx_with_nonce(&cb, 0, fresh(&c)), "stale_nonce");
    case("the pending transaction again", waiting.clone(), "duplicate_transaction");

    // Wrong chain, oversized, invalid names.
    let tx = Transaction { chain_id: "zkreg-other".into(), signer: public(&cb), nonce: 10, body: fresh(&c) };
    case("another chain id", tx.sign(&cb), "wrong_chain");
    let tx = Transaction { chain_id: String::new(), signer: public(&cb), nonce: 10, body: fresh(&c) };
    case("empty chain id", tx.sign(&cb), "wrong_chain");
    let body =
        TxBody::RegisterVerifyingKey { circuit_id: "zkreg-predicate-v1".into(), fingerprint: [0; 32], key: vec![0; MAX_TX_BYTES] };
    case("verifying key larger than a transaction", c.governance(body, &[1, 2]), "oversized");
    let schemas = (0..200).map(|i| format!("{i:0>100}")).collect();
    let body = TxBody::RegisterRegulator { name: "big".into(), key: public(&c.actors.outsider), schemas };
    case("20 KB of schema names", c.governance(body, &[1]), "oversized");
    case("empty schema name", c.tx(&cb, issue("", [1; 32])), "invalid_name");
    case("schema name with a newline", c.tx(&cb, issue("credit\nscore", [1; 32])), "invalid_name");
    case("schema name of 129 bytes", c.tx(&cb, issue(&"s".repeat(129), [1; 32])), "invalid_name");
    let body = TxBody::RegisterSchema { name: "long".into(), description: "d".repeat(1025) };
    case("schema description over 1024 bytes", c.governance(body, &[1]), "invalid_name");

    for (name, stx, expected) in cases {
        let before = c.snapshot();
        let err = c.submit(stx).expect_err(&name);
        assert_eq!(err.code(), expected, "{name}: {err}");
        assert_eq!(c.snapshot(), before, "{name}: a refused submission changes nothing");
    }
    assert_eq!(
        c.submit(c.tx_with_nonce(&cb, 2, fresh(&c))),
        Err(TxError::StaleNonce { got: 2, last: 3 }),
        "the error names both nonces"
    );

    // Nothing refused reached the mempool: the next block holds only the waiting transaction.
    let b = c.produce_block(c.next_time()).unwrap().unwrap();
    assert_eq!(c.ledger.block_txs(b.header.height).unwrap(), Some(vec![waiting.clone()]));
    assert_eq!(b.receipts[0].error, None);
    // Once committed, the same transaction is a stale nonce.
    assert_eq!(c.submit(waiting).unwrap_err().code(), "stale_nonce");
    assert_eq!(c.ledger.verify_chain(), Ok(2));
}

#[test]
fn a_transaction_that_failed_in_a_block_is_not_admitted_again() {
    let mut c = TestChain::new(4);
    let cb = c.actors.central_bank.clone();
    let cm = c.commitment(CREDIT, CENTRAL_BANK);
    // Revoking a credential that does not exist yet fails and consumes no nonce ...
    let early_revoke = c.tx_with_nonce(&cb, 100, revoke(cm));
    let b = c.block(vec![early_revoke.clone()]);
    assert_eq!(code(&b.receipts[0]), Some("unknown_credential"));
    assert!(!c.ledger.registry().nonces.contains_key(&public(&cb)));
    // ... so after the credential is issued (nonce 1) its nonce is still
    // fresh, but the recorded transaction is not admitted a second time.
    c.commit(vec![c.tx_with_nonce(&cb, 1, issue(CREDIT, cm))]);
    let before = c.snapshot();
    assert_eq!(c.submit(early_revoke).unwrap_err().code(), "duplicate_transaction");
    assert_eq!(c.snapshot(), before);
}

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
fn malformed_encodings_are_refused() {
    let c = TestChain::new(5);
    let (stx, _) = c.issue_credit();
    let bytes = stx.to_bytes();
    assert_eq!(SignedTransaction::from_bytes(&bytes), Ok(stx.clone()));

    let mut cases: Vec<(String, Vec<u8>, &str)> = Vec::new();
    for len in 0..bytes.len() {
        cases.push((format!("truncated to {len} bytes"), bytes[..len].to_vec(), "malformed"));
    }
    for extra in [vec![0u8], vec![0xff], vec![0; 10]] {
        cases.push((format!("{} trailing bytes", extra.len()), [bytes.clone(), extra].concat(), "malformed"));
    }
    // Non-canonical varints: postcard decodes an over-long varint to the same
    // value, so only decode-then-compare refuses it.
    let nonce_at = 1 + CHAIN_ID.len() + 32;
    assert_eq!(u64::from(bytes[nonce_at]), stx.tx.nonce, "layout: chain id length, chain id, signer, nonce");
    let overlong_nonce = [&bytes[..nonce_at], &[bytes[nonce_at] | 0x80, 0x00], &bytes[nonce_at + 1..]].concat();
    assert_eq!(postcard::from_bytes::<SignedTransaction>(&overlong_nonce).ok(), Some(stx.clone()));
    cases.push(("over-long nonce varint".into(), overlong_nonce, "malformed"));
    let overlong_len = [&[bytes[0] | 0x80, 0x00][..], &bytes[1..]].concat();
    assert_eq!(postcard::from_bytes::<SignedTransaction>(&overlong_len).ok(), Some(stx.clone()));
    cases.push(("over-long chain-id length".into(), overlong_len, "malformed"));
    let body_at = nonce_at + 1;
    let mut bad_variant = bytes.clone();
    bad_variant[body_at] = 42;
    cases.push(("unknown transaction kind".into(), bad_variant, "malformed"));
    let huge_approvals = [&bytes[..bytes.len() - 1], &[0xff, 0xff, 0xff, 0xff, 0x0f]].concat();
    cases.push(("approval count of 4 billion".into(), huge_approvals, "malformed"));
    let mut r = rng(55);
    for len in [1usize, 31, 200, 4096] {
        let mut garbage = vec![0u8; len];
        rand::RngCore::fill_bytes(&mut r, &mut garbage);
        cases.push((format!("{len} random bytes"), garbage, "malformed"));
    }
    cases.push(("a bare transaction (unsigned)".into(), encode(&stx.tx), "malformed"));
    cases.push(("MAX_TX_BYTES of zeros".into(), vec![0; MAX_TX_BYTES], "malformed"));
    cases.push(("MAX_TX_BYTES + 1 bytes".into(), vec![0; MAX_TX_BYTES + 1], "oversized"));
    let padded = [bytes.clone(), vec![0; MAX_TX_BYTES]].concat();
    cases.push(("a valid transaction padded past the limit".into(), padded, "oversized"));

    for (name, input, expected) in cases {
        let err = SignedTransaction::from_bytes(&input).expect_err(&name);
        assert_eq!(err.code(), expected, "{name}: {err}");
    }
    assert!(
        matches!(SignedTransaction::from_bytes(&[bytes.clone(), vec![0]].concat()), Err(TxError::Malformed(m)) if m.contains("canonical")),
        "trailing bytes decode, then fail the canonical comparison"
    );
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
// Revocation in the tree
// ---------------------------------------------------------------------------

#[test]
fn revocation_sets_the_leaf_to_zero_in_the_same_block_or_a_later_one() {
    let mut c = TestChain::new(8);
    let cb = c.actors.central_bank.clone();
    let cms: Vec<[u8; 32]> = (0..3).map(|_| c.commitment(CREDIT, CENTRAL_BANK)).collect();
    c.commit(cms.iter().map(|cm| c.tx(&cb, issue(CREDIT, *cm))).collect());
    let root_1 = c.ledger.root();

    // Block 2: issue leaf 3 and revoke it in the same block; revoke leaf 1 from block 1.
    let same_block = c.commitment(CREDIT, CENTRAL_BANK);
    let rc = c.range_commitment(10);
    let b = c.commit(vec![
        c.tx(&cb, issue(CREDIT, same_block)),
        c.tx(&cb, revoke(same_block)),
        c.tx(&cb, revoke(cms[1])),
        c.tx(
            &cb,
            TxBody::IssueRangeCredential { schema: CREDIT.into(), commitment: rc, holder_key: c.holder_key(), expiry: 20_500 },
        ),
        c.tx(&cb, revoke(rc)),
    ]);
    assert_eq!(b.receipts[0].leaf_index, Some(3));
    assert_eq!(b.header.leaf_count, 4, "a revoked leaf keeps its position");
    let root = c.ledger.root();
    for (index, leaf) in [(0, fr(&cms[0])), (1, Fr::zero()), (2, fr(&cms[2])), (3, Fr::zero())] {
        assert_eq!(c.ledger.path(index).unwrap().compute_root(leaf).unwrap(), root, "leaf {index}");
    }
    assert_ne!(c.ledger.path(1).unwrap().compute_root(fr(&cms[1])).unwrap(), root, "revoked leaf 1 no longer opens");
    assert_ne!(c.ledger.path(3).unwrap().compute_root(fr(&same_block)).unwrap(), root, "revoked leaf 3 never opens");
    // The same root as a tree built independently with zeros in place.
    let mut expected = CommitmentTree::new();
    expected.append_batch(&[fr(&cms[0]), Fr::zero(), fr(&cms[2]), Fr::zero()]).unwrap();
    assert_eq!(root, expected.root());
    assert_eq!(b.header.tree_root, fr_to_bytes(&root));
    for cm in [same_block, cms[1], rc] {
        assert_eq!(c.ledger.credential(&cm).unwrap().unwrap().revoked_at, Some(2));
    }
    assert_eq!(c.ledger.credential(&same_block).unwrap().unwrap().issued_at, 2);
    assert_eq!(
        c.ledger.registry().counts[&(CENTRAL_BANK.to_string(), CREDIT.to_string())],
        CredentialCounts { issued: 5, revoked: 3 }
    );
    // The previous root still opens leaf 1 as issued (revocation latency).
    let (path, at_1) = c.ledger.path_at(1, 1).unwrap();
    assert_eq!(at_1, root_1);
    assert_eq!(path.compute_root(fr(&cms[1])).unwrap(), root_1);
    // A revoked commitment cannot be issued again.
    let b = c.block(vec![c.tx(&cb, issue(CREDIT, cms[1]))]);
    assert_eq!(code(&b.receipts[0]), Some("duplicate_commitment"));
    assert_eq!(c.ledger.verify_chain(), Ok(3));
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

// ---------------------------------------------------------------------------
// Root window and buckets
// ---------------------------------------------------------------------------

#[test]
fn the_root_window_holds_the_last_blocks_roots() {
    let mut c = TestChain::with_window(70, 3);
    let mut roots = vec![(0, c.ledger.root())];
    let mut leaves = Vec::new();
    assert_eq!(c.ledger.root_window().unwrap(), roots, "at genesis");
    for height in 1..=6u64 {
        let (stx, cm) = c.issue_credit();
        c.commit(vec![stx]);
        leaves.push(fr(&cm));
        roots.push((height, c.ledger.root()));
        let first = height.saturating_sub(2) as usize;
        assert_eq!(c.ledger.root_window().unwrap(), roots[first..], "after block {height}");
    }
    for (height, root) in &roots {
        assert_eq!(fr(&c.ledger.header(*height).unwrap().unwrap().tree_root), *root);
        assert_eq!(c.ledger.root_in_window(root).unwrap(), *height >= 4, "root of block {height}");
    }

    // path_at opens every leaf that existed to each in-window root.
    for height in 4..=6u64 {
        for index in 0..height {
            let (path, root) = c.ledger.path_at(index, height).unwrap();
            assert_eq!(root, roots[height as usize].1);
            assert_eq!(path.compute_root(leaves[index as usize]).unwrap(), root, "leaf {index} at {height}");
        }
        assert!(matches!(c.ledger.path_at(height, height), Err(LedgerError::NotFound(_))), "leaf {height} is later than block {height}");
    }
    assert_eq!(c.ledger.path_at(2, 6).unwrap().0, c.ledger.path(2).unwrap(), "at the tip, the current path");
    for height in [0, 1, 3, 7, 100] {
        assert!(matches!(c.ledger.path_at(0, height), Err(LedgerError::NotFound(_))), "height {height} is outside the window");
    }

    // The root of block 6 leaves the window after three more blocks.
    let root_6 = roots[6].1;
    let (stx, _) = c.issue_credit();
    c.commit(vec![stx, c.tx(&c.actors.central_bank, revoke(fr_to_bytes(&leaves[0])))]);
    assert!(c.ledger.root_in_window(&root_6).unwrap());
    assert_eq!(c.ledger.path_at(0, 6).unwrap().0.compute_root(leaves[0]).unwrap(), root_6, "revoked leaf, old root");
    c.commit(vec![c.issue_credit().0]);
    assert!(c.ledger.root_in_window(&root_6).unwrap());
    c.commit(vec![c.issue_credit().0]);
    assert!(!c.ledger.root_in_window(&root_6).unwrap());
    assert!(c.ledger.path_at(0, 6).is_err());
    assert_eq!(c.ledger.root_window().unwrap().iter().map(|(h, _)| *h).collect::<Vec<_>>(), [7, 8, 9]);
}

#[test]
fn a_root_stays_in_the_window_while_blocks_leave_the_tree_unchanged() {
    // The window is by block: a block without tree effects repeats the root.
    let mut c = TestChain::with_window(71, 2);
    c.commit(vec![c.issue_credit().0]);
    let root = c.ledger.root();
    for i in 0..5u8 {
        c.commit(vec![c.tx(&c.actors.food_agency, TxBody::AnchorRecord { record_hash: [i; 32] })]);
        assert!(c.ledger.root_in_window(&root).unwrap());
    }
    c.commit(vec![c.issue_credit().0]);
    assert!(c.ledger.root_in_window(&root).unwrap(), "block 6 still holds it");
    c.commit(vec![c.issue_credit().0]);
    assert!(!c.ledger.root_in_window(&root).unwrap());
}

#[test]
fn bucket_paths_equal_the_ledgers_paths() {
    let mut c = TestChain::new(80);
    let cb = c.actors.central_bank.clone();
    let mut cms = Vec::new();
    for n in [7, 7, 6] {
        let txs: Vec<_> = (0..n)
            .map(|_| {
                let (stx, cm) = c.issue_credit();
                cms.push(cm);
                stx
            })
            .collect();
        c.commit(txs);
    }
    c.commit(vec![c.tx(&cb, revoke(cms[5])), c.tx(&cb, revoke(cms[17]))]);
    let (len, root) = (20u64, c.ledger.root());
    assert_eq!(c.ledger.tip().leaf_count, len);

    for levels in [1usize, 2, 3, 16] {
        let width = 1u64 << (2 * levels);
        for i in 0..len {
            let bucket = c.ledger.bucket(i, levels).unwrap();
            let first = i / width * width;
            assert_eq!((bucket.first_leaf, bucket.levels, bucket.root), (first, levels, root));
            for j in first..(first + width).min(len) {
                assert_eq!(bucket.path(j), Some(c.ledger.path(j).unwrap()), "leaf {j} in bucket({i}, {levels})");
            }
            // Unwritten positions inside the bucket open an empty leaf.
            for j in len..(first + width).min(len + 4) {
                assert_eq!(bucket.path(j).unwrap().compute_root(Fr::zero()).unwrap(), root, "empty leaf {j}");
            }
            assert_eq!(bucket.path(first + width), None);
            if first > 0 {
                assert_eq!(bucket.path(first - 1), None);
            }
        }
    }
    // The revoked leaves open as 0, the others as issued.
    let bucket = c.ledger.bucket(5, 2).unwrap();
    for (j, cm) in cms.iter().enumerate() {
        let leaf = if j == 5 || j == 17 { Fr::zero() } else { fr(cm) };
        let path = c.ledger.bucket(j as u64, 2).unwrap().path(j as u64).unwrap();
        assert_eq!(path.compute_root(leaf).unwrap(), root, "leaf {j}");
    }
    assert_eq!(bucket.nodes[0].len(), 16);
    for (i, levels) in [(len, 2), (0, 0), (0, 17)] {
        assert!(matches!(c.ledger.bucket(i, levels), Err(LedgerError::NotFound(_))), "bucket({i}, {levels})");
    }
}
