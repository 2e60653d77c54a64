//! `IssueWithRecord`: an issuance and the anchor of its private record in
//! one transaction, so the record's hash is in the credential's block; the
//! issuance has exactly the checks and effects of the plain one, and a
//! refused one anchors nothing. Audit transactions are indexed by signer.

mod common;

use common::*;
use zkreg_registry::tx::{Issuance, SignedTransaction};
use zkreg_registry::TxBody;

fn recorded(body: TxBody, record_hash: [u8; 32]) -> TxBody {
    TxBody::IssueWithRecord { issue: Issuance::try_from(body).unwrap(), record_hash }
}

#[test]
fn an_issuance_with_a_record_anchors_it_in_the_credentials_block() {
    let mut c = TestChain::new(91);
    let cb = c.actors.central_bank.clone();
    let cm = c.commitment(CREDIT, CENTRAL_BANK);
    let range = c.range_commitment(640);
    let holder = c.holder_key();
    let range_body = TxBody::IssueRangeCredential { schema: CREDIT.into(), commitment: range, holder_key: holder, expiry: 20_600 };
    let b = c.commit(vec![c.tx(&cb, recorded(issue(CREDIT, cm), [0x11; 32])), c.tx(&cb, recorded(range_body, [0x22; 32]))]);
    assert_eq!(code(&b.receipts[0]), None);
    assert_eq!(b.receipts[0].commitment, Some(cm), "the leaf is computed as for a plain issuance");
    assert!(b.receipts[0].leaf_index.is_some());
    assert_eq!(code(&b.receipts[1]), None);
    for hash in [[0x11; 32], [0x22; 32]] {
        assert_eq!(c.ledger.anchor(&hash).unwrap(), Some(b.header.height));
    }
    assert!(c.ledger.credential(&range).unwrap().is_some());

    // A refused issuance (a schema the regulator may not issue, a duplicate) anchors nothing.
    let food = c.commitment(FOOD, CENTRAL_BANK);
    let b = c.block(vec![c.tx(&cb, recorded(issue(FOOD, food), [0x33; 32])), c.tx(&cb, recorded(issue(CREDIT, cm), [0x44; 32]))]);
    assert_eq!(code(&b.receipts[0]), Some("schema_not_allowed"));
    assert_eq!(code(&b.receipts[1]), Some("duplicate_commitment"));
    assert_eq!(c.ledger.anchor(&[0x33; 32]).unwrap(), None);
    assert_eq!(c.ledger.anchor(&[0x44; 32]).unwrap(), None);
    // Nobody but a regulator issues.
    let outsider = c.actors.outsider.clone();
    let b = c.block(vec![c.tx(&outsider, recorded(issue(CREDIT, c.commitment(CREDIT, CENTRAL_BANK)), [0x55; 32]))]);
    assert_eq!(code(&b.receipts[0]), Some("unauthorised"));
    assert_eq!(c.ledger.anchor(&[0x55; 32]).unwrap(), None);
    assert_eq!(c.ledger.verify_chain(), Ok(c.ledger.height()));
}

#[test]
fn only_an_issuance_can_carry_a_record_and_a_corrupted_one_is_refused_without_a_panic() {
    assert_eq!(Issuance::try_from(TxBody::Revoke { commitment: [1; 32] }).unwrap_err().code(), "malformed");
    let c = TestChain::new(92);
    let stx = c.tx(&c.actors.central_bank, recorded(issue(CREDIT, c.commitment(CREDIT, CENTRAL_BANK)), [7; 32]));
    let bytes = stx.to_bytes();
    assert_eq!(SignedTransaction::from_bytes(&bytes).unwrap(), stx);
    // The issuance is a type of its own: nothing nests, and no corrupted
    // byte makes the decoder panic; it refuses, or reads another value.
    let mut refused = 0;
    for i in 0..bytes.len() {
        let mut b = bytes.clone();
        b[i] ^= 0xff;
        refused += usize::from(SignedTransaction::from_bytes(&b).is_err());
    }
    assert!(refused > 0);
}

#[test]
fn audit_transactions_are_listed_by_signer_in_ledger_order() {
    let mut c = TestChain::new(93);
    let cb = c.actors.central_bank.clone();
    let authority = c.actors.authorities[0].clone();
    c.commit(vec![c.tx(&cb, TxBody::AuditEvent { kind: "audit-head".into(), subject_hash: [1; 32] })]);
    c.commit(vec![
        c.tx(&authority, TxBody::AuditEvent { kind: "chain-audit".into(), subject_hash: [2; 32] }),
        c.tx(&cb, TxBody::AuditEvent { kind: "audit-grant".into(), subject_hash: [3; 32] }),
    ]);
    let b = c.block(vec![c.tx(&c.actors.outsider.clone(), TxBody::AuditEvent { kind: "audit-head".into(), subject_hash: [4; 32] })]);
    assert_eq!(code(&b.receipts[0]), Some("unauthorised"));
    let mine = c.ledger.audit_events(&public(&cb)).unwrap();
    assert_eq!(mine, vec![(1, "audit-head".to_owned(), [1; 32]), (2, "audit-grant".to_owned(), [3; 32])]);
    assert_eq!(c.ledger.audit_events(&public(&authority)).unwrap(), vec![(2, "chain-audit".to_owned(), [2; 32])]);
    assert!(c.ledger.audit_events(&public(&c.actors.outsider)).unwrap().is_empty(), "a refused one is not listed");
}
