//! The daily statistics the ledger keeps as blocks apply: per day (the
//! block's UTC day), issuer and schema, in the block's own batch; rebuilt
//! from the credential records for a directory that has none; and left out
//! only when turned off for measuring their cost.

mod common;

use common::*;
use zkreg_registry::stats::{day_of, DayCounts, DayEntry, SECONDS_PER_DAY};

/// Admits `txs` and applies them in one block at `time`; every one must apply.
fn block_at(c: &mut TestChain, time: u64, txs: Vec<zkreg_registry::SignedTransaction>) {
    for stx in txs {
        c.submit(stx).unwrap();
    }
    let block = c.produce_block(time).unwrap().unwrap();
    assert!(block.receipts.iter().all(|r| r.error.is_none()), "{:?}", block.receipts);
}

fn entry(day: u64, issuer: &str, schema: &str, issued: u64, revoked: u64) -> DayEntry {
    DayEntry { day, issuer: issuer.into(), schema: schema.into(), counts: DayCounts { issued, revoked } }
}

/// Two days of a chain: day 0 issues two credit scores and a food licence
/// (and one more credit score in a second block), day 1 revokes one credit
/// score, issues another, and issues and revokes a food licence in one block.
fn two_days(c: &mut TestChain) -> (u64, Vec<DayEntry>) {
    let cb = c.actors.central_bank.clone();
    let fa = c.actors.food_agency.clone();
    let t0 = GENESIS_TIME + 3_600;
    let d0 = day_of(t0);
    let revoked = c.commitment(CREDIT, CENTRAL_BANK);
    let txs = vec![c.tx(&cb, issue(CREDIT, revoked)), c.issue_credit().0, c.tx(&fa, issue(FOOD, c.commitment(FOOD, FOOD_AGENCY)))];
    block_at(c, t0, txs);
    let txs = vec![c.issue_credit().0];
    block_at(c, t0 + 60, txs);
    let food = c.commitment(FOOD, FOOD_AGENCY);
    let txs = vec![c.tx(&cb, revoke(revoked)), c.issue_credit().0, c.tx(&fa, issue(FOOD, food)), c.tx(&fa, revoke(food))];
    block_at(c, t0 + SECONDS_PER_DAY, txs);
    let expected = vec![
        entry(d0, CENTRAL_BANK, CREDIT, 3, 0),
        entry(d0, FOOD_AGENCY, FOOD, 1, 0),
        entry(d0 + 1, CENTRAL_BANK, CREDIT, 1, 1),
        entry(d0 + 1, FOOD_AGENCY, FOOD, 1, 1),
    ];
    (d0, expected)
}

#[test]
fn blocks_add_their_issuance_and_revocations_to_their_day() {
    let mut c = TestChain::new(80);
    let (d0, expected) = two_days(&mut c);
    let store = c.ledger.store().clone();
    assert_eq!(store.day_entries(d0, d0 + 1).unwrap(), expected);
    assert_eq!(store.day_entries(d0 + 1, d0 + 400).unwrap(), expected[2..].to_vec(), "a range starts at its first day");
    assert!(store.day_entries(d0 + 2, d0 + 10).unwrap().is_empty());
    // The totals the registry keeps agree with the sum of the days.
    let credit = c.ledger.registry().counts[&(CENTRAL_BANK.to_string(), CREDIT.to_string())];
    assert_eq!((credit.issued, credit.revoked), (4, 1));
    drop(store);
    // And the same after a restart.
    let c = c.reopen();
    assert_eq!(c.ledger.store().day_entries(d0, d0 + 1).unwrap(), expected);
}

#[test]
fn a_directory_without_daily_statistics_gets_them_rebuilt_when_it_opens() {
    let mut c = TestChain::new(81);
    let (d0, expected) = two_days(&mut c);
    // An older node's directory: no `s` keys and no completeness marker.
    let db = c.ledger.store().raw_db().clone();
    let keys: Vec<_> = db.scan_prefix(b"s").keys().map(|k| k.unwrap()).collect();
    assert_eq!(keys.len(), 4);
    for k in keys {
        db.remove(k).unwrap();
    }
    db.remove(b"T").unwrap();
    drop(db);
    assert!(!c.ledger.store().statistics_complete().unwrap());
    assert!(c.ledger.store().day_entries(d0, d0 + 1).unwrap().is_empty());

    let c = c.reopen();
    assert!(c.ledger.store().statistics_complete().unwrap());
    assert_eq!(c.ledger.store().day_entries(d0, d0 + 1).unwrap(), expected, "the rebuilt days equal the kept ones");
}

#[test]
fn statistics_turned_off_write_nothing_and_change_no_block() {
    let mut kept = TestChain::new(82);
    let mut bare = TestChain::new(82);
    bare.ledger.set_statistics(false);
    let (d0, _) = two_days(&mut kept);
    two_days(&mut bare);
    assert!(bare.ledger.store().day_entries(d0, d0 + 1).unwrap().is_empty());
    assert_eq!(kept.ledger.tip(), bare.ledger.tip(), "statistics are no part of the chain's headers");
}
