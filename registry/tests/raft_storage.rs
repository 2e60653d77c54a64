//! The Raft storage: openraft's own conformance suite over the sled log and
//! the ledger state machine, then what the suite cannot build (entries that
//! carry transactions): a batch applied through the state machine is the
//! block the ledger would apply, it is applied once across a restart, and a
//! snapshot installed on a new replica gives the same chain, while one of
//! another chain is refused with nothing changed.

mod common;

use std::sync::{Arc, Mutex};

use openraft::storage::{RaftLogStorage, RaftLogStorageExt, RaftSnapshotBuilder, RaftStateMachine};
use openraft::testing::{StoreBuilder, Suite};
use openraft::{CommittedLeaderId, Entry, EntryPayload, LogId, StorageError};
use tempfile::TempDir;

use common::*;
use zkreg_registry::raft::{Batch, LogStore, NodeId, StateMachine, TypeConfig};
use zkreg_registry::Genesis;

/// A new data directory with the test genesis, its log store and state machine.
fn open(genesis: &Genesis) -> (TempDir, LogStore, StateMachine) {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
    let (log, sm) = open_in(&dir, genesis);
    (dir, log, sm)
}

fn open_in(dir: &TempDir, genesis: &Genesis) -> (LogStore, StateMachine) {
    let ledger = open_when_unlocked(dir.path(), Some(genesis)).unwrap_or_else(|e| panic!("open: {e}"));
    let log = LogStore::open(&ledger).unwrap_or_else(|e| panic!("log store: {e}"));
    (log, StateMachine::new(Arc::new(Mutex::new(ledger)), dir.path(), None))
}

struct Builder;

impl StoreBuilder<TypeConfig, LogStore, StateMachine, TempDir> for Builder {
    async fn build(&self) -> Result<(TempDir, LogStore, StateMachine), StorageError<NodeId>> {
        Ok(open(&genesis(&Actors::new(1), 8)))
    }
}

#[test]
fn the_storage_passes_openraft_conformance_suite() {
    Suite::test_all(Builder).unwrap_or_else(|e| panic!("openraft storage suite: {e}"));
}

fn entry(term: u64, index: u64, payload: EntryPayload<TypeConfig>) -> Entry<TypeConfig> {
    Entry { log_id: LogId::new(CommittedLeaderId::new(term, 1), index), payload }
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap_or_else(|e| panic!("runtime: {e}"))
}

#[test]
fn a_batch_applied_through_raft_is_the_block_the_ledger_applies_and_survives_a_restart_once() {
    // The same transactions, once through Raft and once straight into a ledger.
    let mut direct = TestChain::new(7);
    let (tx1, cm1) = direct.issue_credit();
    let (tx2, _) = direct.issue_credit();
    let block = direct.block(vec![tx1.clone(), tx2.clone()]);
    let time = block.header.time;
    let genesis = direct.genesis.clone();

    let (dir, _log, mut sm) = open(&genesis);
    let rt = runtime();
    let batch = Batch { time, txs: vec![tx1.clone(), tx2], attestations: vec![] };
    let outcome = rt.block_on(sm.apply(vec![entry(1, 1, EntryPayload::Blank), entry(1, 2, EntryPayload::Normal(batch.clone()))]));
    let outcome = outcome.unwrap_or_else(|e| panic!("apply: {e}"));
    assert_eq!(outcome[0].height, None);
    assert_eq!(outcome[1].height, Some(1));
    assert_eq!(sm.ledger().tip().hash(), block.header.hash(), "a replica computes the header the ledger computes");
    assert!(sm.ledger().credential(&cm1).unwrap_or_else(|e| panic!("{e}")).is_some());
    let (applied, _) = rt.block_on(sm.applied_state()).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(applied.map(|l| l.index), Some(2));

    // Restart: the applied marker was written with the block, so openraft
    // resumes after index 2 and the block is not applied a second time.
    drop(sm);
    drop(_log);
    let (_log, mut sm) = open_in(&dir, &genesis);
    let (applied, _) = rt.block_on(sm.applied_state()).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(applied.map(|l| l.index), Some(2));
    assert_eq!(sm.ledger().height(), 1);
    // The next entry makes block 2 from the same transactions again: each is
    // refused as a duplicate in the receipt, nothing is issued twice.
    let again = rt.block_on(sm.apply(vec![entry(1, 3, EntryPayload::Normal(batch))])).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(again[0].height, Some(2));
    assert_eq!(sm.ledger().tip().leaf_count, 2, "a replayed transaction adds no leaf");
}

#[test]
fn a_snapshot_installed_on_a_new_replica_gives_the_same_chain_and_one_of_another_chain_is_refused() {
    let chain = TestChain::new(9);
    let genesis = chain.genesis.clone();
    let (_d1, _l1, mut leader) = open(&genesis);
    let rt = runtime();
    let mut index = 0;
    for _ in 0..3 {
        let txs = (0..4).map(|_| chain.issue_credit().0).collect();
        index += 1;
        rt.block_on(leader.apply(vec![entry(1, index, EntryPayload::Normal(Batch { time: chain.next_time(), txs, attestations: vec![] }))]))
            .unwrap_or_else(|e| panic!("apply: {e}"));
    }
    let mut builder = rt.block_on(leader.get_snapshot_builder());
    let snapshot = rt.block_on(builder.build_snapshot()).unwrap_or_else(|e| panic!("build: {e}"));
    assert_eq!(snapshot.meta.last_log_id.map(|l| l.index), Some(3));

    let (_d2, _l2, mut follower) = open(&genesis);
    rt.block_on(follower.install_snapshot(&snapshot.meta, Box::new(std::io::Cursor::new(snapshot.snapshot.get_ref().clone()))))
        .unwrap_or_else(|e| panic!("install: {e}"));
    assert_eq!(follower.ledger().tip(), leader.ledger().tip());
    assert_eq!(state(&follower.ledger()), state(&leader.ledger()));
    follower.ledger().verify_chain().unwrap_or_else(|e| panic!("verify-chain after install: {e}"));
    let (applied, _) = rt.block_on(follower.applied_state()).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(applied.map(|l| l.index), Some(3));

    // A replica of another chain refuses the snapshot and keeps its own state.
    let other = genesis_of_other_chain(&genesis);
    let (_d3, _l3, mut stranger) = open(&other);
    let before = state(&stranger.ledger());
    let refused = rt.block_on(stranger.install_snapshot(&snapshot.meta, Box::new(std::io::Cursor::new(snapshot.snapshot.get_ref().clone()))));
    assert!(refused.is_err(), "a snapshot of another chain is refused");
    assert_eq!(state(&stranger.ledger()), before);
    assert_eq!(stranger.ledger().height(), 0);

    // Garbage is refused too, with nothing changed.
    let garbage = rt.block_on(stranger.install_snapshot(&snapshot.meta, Box::new(std::io::Cursor::new(vec![0xff; 64]))));
    assert!(garbage.is_err());
    assert_eq!(state(&stranger.ledger()), before);
}

fn genesis_of_other_chain(genesis: &Genesis) -> Genesis {
    Genesis { chain_id: format!("{}-other", genesis.chain_id), ..genesis.clone() }
}

#[test]
fn the_log_keeps_entries_across_a_restart_and_truncates_and_purges() {
    let genesis = genesis(&Actors::new(3), 8);
    let (dir, mut log, sm) = open(&genesis);
    let rt = runtime();
    let entries: Vec<_> = (1..=5).map(|i| entry(1, i, EntryPayload::Blank)).collect();
    rt.block_on(log_append(&mut log, entries));
    drop(sm);
    drop(log);
    let (mut log, _sm) = open_in(&dir, &genesis);
    let state = rt.block_on(log.get_log_state()).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(state.last_log_id.map(|l| l.index), Some(5));
    rt.block_on(log.truncate(LogId::new(CommittedLeaderId::new(1, 1), 4))).unwrap_or_else(|e| panic!("{e}"));
    rt.block_on(log.purge(LogId::new(CommittedLeaderId::new(1, 1), 2))).unwrap_or_else(|e| panic!("{e}"));
    let state = rt.block_on(log.get_log_state()).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(state.last_log_id.map(|l| l.index), Some(3));
    assert_eq!(state.last_purged_log_id.map(|l| l.index), Some(2));
    let mut reader = rt.block_on(log.get_log_reader());
    let left = rt.block_on(openraft::RaftLogReader::try_get_log_entries(&mut reader, 0..100)).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(left.iter().map(|e| e.log_id.index).collect::<Vec<_>>(), vec![3]);
}

async fn log_append(log: &mut LogStore, entries: Vec<Entry<TypeConfig>>) {
    log.blocking_append(entries).await.unwrap_or_else(|e| panic!("append: {e}"));
}
