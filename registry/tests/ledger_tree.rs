//! The commitment tree as the ledger keeps it, on real sled files: revocation
//! sets a leaf to zero (in the block that issued it or a later one) while
//! earlier roots still open it as issued; the root window holds the roots of
//! the last blocks and `path_at` opens leaves to each of them; and bucket
//! paths equal the ledger's own paths.

mod common;

use ark_bn254::Fr;
use ark_ff::Zero;

use common::*;
use zkreg_circuits::field::fr_to_bytes;
use zkreg_circuits::tree::CommitmentTree;
use zkreg_registry::state::CredentialCounts;
use zkreg_registry::{LedgerError, TxBody};

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

#[test]
fn node_versions_no_root_in_the_window_reaches_are_pruned_and_every_window_path_still_opens() {
    let window = 3;
    let mut c = TestChain::with_window(71, window);
    let mut leaves = Vec::new();
    let mut roots = vec![c.ledger.root()];
    let mut written = 0usize;
    for _ in 1..=40u64 {
        let txs: Vec<_> = (0..3).map(|_| c.issue_credit()).collect();
        leaves.extend(txs.iter().map(|(_, cm)| fr(cm)));
        let block = c.commit(txs.into_iter().map(|(stx, _)| stx).collect());
        written += block.receipts.len();
        roots.push(c.ledger.root());
    }
    let tip = c.ledger.height();
    // Every leaf opens to every root still in the window, from disk.
    for height in tip + 1 - window..=tip {
        let count = c.ledger.header(height).unwrap().unwrap().leaf_count;
        for index in 0..count {
            let (path, root) = c.ledger.path_at(index, height).unwrap();
            assert_eq!(root, roots[height as usize]);
            assert_eq!(path.compute_root(leaves[index as usize]).unwrap(), root, "leaf {index} at {height}");
        }
    }
    // When a node was last written (at its newest version), it kept the
    // versions the window then reached plus one below it; nothing older.
    let mut per_node = std::collections::BTreeMap::<(usize, u64), Vec<u64>>::new();
    for v in c.ledger.store().node_versions() {
        let (level, index, height, _) = v.unwrap();
        per_node.entry((level, index)).or_default().push(height);
    }
    let mut total = 0;
    for ((level, index), versions) in &per_node {
        total += versions.len();
        let newest = *versions.iter().max().unwrap();
        let floor = (newest + 1).saturating_sub(window);
        let below = versions.iter().filter(|h| **h < floor).count();
        assert!(below <= 1, "node ({level}, {index}) keeps {below} versions below its window: {versions:?}");
    }
    // The topmost stored node is rewritten by every block: without pruning it
    // would hold 40 versions; with it, exactly the window's (its version at
    // the oldest root in the window is the one "at or below" it).
    let top = per_node.keys().map(|(level, _)| *level).max().unwrap();
    assert_eq!(per_node[&(top, 0)], vec![tip, tip - 1, tip - 2], "window {window}");
    assert!(total < per_node.len() * 2, "{total} versions of {} nodes", per_node.len());
    assert_eq!(written, 120);
    // The replay applies the same pruning: the chain verifies.
    c.ledger.verify_chain().unwrap();
}

#[test]
fn the_pruning_rule_keeps_the_newest_version_at_or_below_the_oldest_window_root() {
    use zkreg_registry::store::prunable_versions;
    // Window 3 after block 10: roots 8, 9, 10; the version at or below 8 stays.
    assert_eq!(prunable_versions(10, &[9, 7, 5, 2], 3), vec![5, 2]);
    assert_eq!(prunable_versions(10, &[8, 7], 3), vec![7]);
    assert_eq!(prunable_versions(10, &[9], 3), Vec::<u64>::new(), "nothing at or below the window: nothing goes");
    assert_eq!(prunable_versions(2, &[1, 0], 8), Vec::<u64>::new(), "a young chain keeps everything");
    assert_eq!(prunable_versions(10, &[], 3), Vec::<u64>::new());
}
