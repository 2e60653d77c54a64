//! The node-local store: what one node keeps for itself beside the chain
//! (the proof requests it issued, the nonces of signed calls it has seen,
//! auditors' grants, the private statistics' analysts, budgets and releases).
//! A separate sled database in
//! `<data dir>/local`, so the replicated chain state in the data directory
//! holds nothing but the chain: a snapshot or `verify-chain` of the one never
//! sees the other, and neither is written through the other's handle.

use std::path::{Path, PathBuf};

use crate::error::LedgerError;
use crate::store::Store;

/// The keyspaces of the node-local store.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LocalTree {
    /// Proof requests this node issued, by challenge.
    Requests,
    /// `(verifier key, nonce)` pairs of signed calls seen in the signature window.
    SeenNonces,
    /// The private layer: auditors' grants, by `auditor key ‖ grant id`.
    Grants,
    /// The banks' calls this node answered, per day and outcome
    /// (`zkreg_api`'s activity statistics).
    Activity,
    /// Private statistics: analysts' grants, by analyst key (`AnalystBook`).
    DpAnalysts,
    /// Private statistics: the privacy budget spent, by `analyst key ‖
    /// dataset` (`BudgetLedger`).
    DpBudget,
    /// Private statistics: the noisy answers released, by sequence number
    /// (`BudgetLedger`).
    DpReleases,
}

impl LocalTree {
    /// Every keyspace, for migrations.
    pub const ALL: [LocalTree; 7] = [
        LocalTree::Requests,
        LocalTree::SeenNonces,
        LocalTree::Grants,
        LocalTree::Activity,
        LocalTree::DpAnalysts,
        LocalTree::DpBudget,
        LocalTree::DpReleases,
    ];

    fn name(self) -> &'static str {
        match self {
            LocalTree::Requests => "requests",
            LocalTree::SeenNonces => "seen-nonces",
            LocalTree::Grants => "private-grants",
            LocalTree::Activity => "stats-activity",
            LocalTree::DpAnalysts => "dp-analysts",
            LocalTree::DpBudget => "dp-budget",
            LocalTree::DpReleases => "dp-releases",
        }
    }
}

/// Where the node-local store of the data directory `data_dir` lives.
pub fn local_dir(data_dir: &Path) -> PathBuf {
    data_dir.join("local")
}

/// The node-local store. Clones share the database.
#[derive(Clone)]
pub struct LocalStore {
    db: sled::Db,
}

impl LocalStore {
    /// Opens (or creates) the node-local store of the data directory
    /// `data_dir` (in `<data_dir>/local`).
    pub fn open(data_dir: &Path) -> Result<Self, LedgerError> {
        Ok(LocalStore { db: sled::open(local_dir(data_dir))? })
    }

    /// One keyspace.
    pub fn tree(&self, tree: LocalTree) -> Result<sled::Tree, LedgerError> {
        Ok(self.db.open_tree(tree.name())?)
    }

    /// Moves what an older node kept inside the chain's database (keyspaces
    /// `node-local/<name>`) into this store, then drops it there; a no-op
    /// once done. Entries already here win. Returns how many entries moved.
    pub fn migrate_from(&self, chain: &Store) -> Result<usize, LedgerError> {
        let mut moved = 0;
        for tree in LocalTree::ALL {
            let legacy = format!("node-local/{}", tree.name());
            if !chain.has_tree(&legacy) {
                continue;
            }
            let from = chain.open_legacy_tree(&legacy)?;
            let to = self.tree(tree)?;
            for entry in from.iter() {
                let (k, v) = entry?;
                if to.compare_and_swap(k, None as Option<&[u8]>, Some(v))?.is_ok() {
                    moved += 1;
                }
            }
            to.flush()?;
            chain.drop_legacy_tree(&legacy)?;
        }
        Ok(moved)
    }

    /// The database itself, for a store's own migrations.
    pub(crate) fn db(&self) -> &sled::Db {
        &self.db
    }

    /// Flushes every keyspace to disk.
    pub fn flush(&self) -> Result<(), LedgerError> {
        self.db.flush()?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_older_nodes_local_keyspaces_move_out_of_the_chain_database_once() {
        let dir = tempfile::tempdir().unwrap();
        let chain = Store::open(dir.path()).unwrap();
        let legacy = chain.open_legacy_tree("node-local/requests").unwrap();
        legacy.insert(b"challenge-1", b"old".as_slice()).unwrap();
        legacy.insert(b"challenge-2", b"old".as_slice()).unwrap();
        let local = LocalStore::open(dir.path()).unwrap();
        // An entry already in the local store wins over the legacy one.
        local.tree(LocalTree::Requests).unwrap().insert(b"challenge-2", b"new".as_slice()).unwrap();

        assert_eq!(local.migrate_from(&chain).unwrap(), 1);
        let requests = local.tree(LocalTree::Requests).unwrap();
        assert_eq!(requests.get(b"challenge-1").unwrap().as_deref(), Some(b"old".as_slice()));
        assert_eq!(requests.get(b"challenge-2").unwrap().as_deref(), Some(b"new".as_slice()));
        assert!(!chain.has_tree("node-local/requests"), "the chain's database holds no node-local keyspace any more");
        assert_eq!(local.migrate_from(&chain).unwrap(), 0, "a second migration moves nothing");
        assert!(local_dir(dir.path()).is_dir());
    }
}
