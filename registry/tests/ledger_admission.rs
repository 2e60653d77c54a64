//! Admission to the mempool, on real sled files: submissions refused by the
//! stateless checks (signatures, weak keys, chain id, size, names) and by
//! nonces (replays, out of order, duplicates) with stable codes, changing
//! nothing; a transaction recorded as failed in a block is not admitted a
//! second time; and malformed or non-canonical encodings are refused when
//! decoded.

mod common;

use ed25519_dalek::Signature;

use common::*;
use zkreg_registry::tx::{encode, Approval, MAX_TX_BYTES};
use zkreg_registry::{SignedTransaction, Transaction, TxBody, TxError};

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
