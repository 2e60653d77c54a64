//! An analyst's grant: the key a regulator allows to ask differentially
//! private questions of its records, on which datasets (schemas), with what
//! privacy budget on each, until when. Its hash goes on the public layer (a
//! `dp-analyst` audit transaction) before the node honours it, as an
//! auditor's grant does.
//!
//! One grant per analyst key: a new grant replaces the last (to change the
//! budgets, the datasets or the end). The budgets are lifetime totals, not
//! top-ups: what the analyst spent stays spent ([`super::dp::ledger`]), so
//! a new grant with a larger budget allows the difference, and one with a
//! smaller budget may allow nothing more.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use zkreg_circuits::constants::DP_ANALYST_GRANT_DOMAIN;

use super::dp::{DpError, Epsilon, MAX_DATASET_LEN};
use crate::tx::{decode_canonical, encode};

/// Most datasets one grant may name.
pub const MAX_GRANT_DATASETS: usize = 64;
/// Longest display name, in bytes.
pub const MAX_ANALYST_NAME_LEN: usize = 64;

/// A regulator's grant to an analyst.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AnalystGrant {
    /// The analyst's ed25519 key: the key that signs its queries.
    pub analyst: [u8; 32],
    /// The analyst's display name, shown with its releases.
    pub name: String,
    /// The granting regulator's name: only its records are queried.
    pub issuer: String,
    /// The privacy budget on each dataset (schema) it may query.
    pub budgets: BTreeMap<String, Epsilon>,
    /// Unix seconds it was granted.
    pub granted_at: u64,
    /// Unix seconds after which it allows nothing.
    pub not_after: u64,
}

/// Why an analyst may not query a dataset now.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Standing {
    /// The grant allows this budget on the dataset.
    Allowed(Epsilon),
    /// The grant ended (or has not begun).
    Expired,
    /// The grant names other datasets.
    OtherDataset,
}

impl AnalystGrant {
    /// The grant's hash: its id, and what the ledger anchors.
    pub fn id(&self) -> [u8; 32] {
        Sha256::new().chain_update(DP_ANALYST_GRANT_DOMAIN).chain_update(encode(self)).finalize().into()
    }

    /// Checks its form: a name, 1 to [`MAX_GRANT_DATASETS`] datasets with
    /// non-zero budgets, an end after its start.
    pub fn validate(&self) -> Result<(), DpError> {
        let bad = |m: String| Err(DpError::InvalidGrant(m));
        if self.name.is_empty() || self.name.len() > MAX_ANALYST_NAME_LEN || self.name.chars().any(char::is_control) {
            return bad(format!("an analyst's name is 1 to {MAX_ANALYST_NAME_LEN} bytes without control characters"));
        }
        if self.budgets.is_empty() || self.budgets.len() > MAX_GRANT_DATASETS {
            return bad(format!("a grant names 1 to {MAX_GRANT_DATASETS} datasets"));
        }
        for (dataset, budget) in &self.budgets {
            if dataset.is_empty() || dataset.len() > MAX_DATASET_LEN || dataset.chars().any(char::is_control) {
                return bad(format!("a dataset is a schema name of 1 to {MAX_DATASET_LEN} bytes"));
            }
            if budget.micros() == 0 {
                return bad(format!("the budget on {dataset:?} is zero"));
            }
        }
        if self.not_after <= self.granted_at {
            return bad("a grant must end after it starts".into());
        }
        Ok(())
    }

    /// What the grant allows on `dataset` at unix time `now`.
    pub fn standing(&self, dataset: &str, now: u64) -> Standing {
        if now < self.granted_at || now > self.not_after {
            Standing::Expired
        } else {
            match self.budgets.get(dataset) {
                Some(budget) => Standing::Allowed(*budget),
                None => Standing::OtherDataset,
            }
        }
    }

    /// Whether it is in force at `now`.
    pub fn current(&self, now: u64) -> bool {
        self.granted_at <= now && now <= self.not_after
    }
}

/// The analysts' grants this node issued, by analyst key.
pub struct AnalystBook {
    tree: sled::Tree,
}

impl AnalystBook {
    /// The book over the node-local keyspace `tree`.
    pub fn new(tree: sled::Tree) -> Self {
        AnalystBook { tree }
    }

    /// Stores `grant` (its anchor already on the ledger), replacing the
    /// analyst's last one, and flushes it.
    pub fn put(&self, grant: &AnalystGrant) -> Result<(), DpError> {
        self.tree.insert(grant.analyst, encode(grant))?;
        self.tree.flush()?;
        Ok(())
    }

    /// The grant `analyst` holds, expired or not.
    pub fn get(&self, analyst: &[u8; 32]) -> Result<Option<AnalystGrant>, DpError> {
        self.tree
            .get(analyst)?
            .map(|v| decode_canonical(&v).map_err(|e| DpError::Storage(format!("a stored analyst grant is corrupt: {e}"))))
            .transpose()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) fn grant() -> AnalystGrant {
        AnalystGrant {
            analyst: [9; 32],
            name: "statistics office".into(),
            issuer: "central-bank".into(),
            budgets: BTreeMap::from([("credit-score".into(), Epsilon::from_micros(1_000_000))]),
            granted_at: 100,
            not_after: 200,
        }
    }

    #[test]
    fn a_grant_allows_its_datasets_until_it_ends() {
        let g = grant();
        assert!(g.validate().is_ok());
        assert_eq!(g.standing("credit-score", 150), Standing::Allowed(Epsilon::from_micros(1_000_000)));
        assert_eq!(g.standing("credit-score", 200), Standing::Allowed(Epsilon::from_micros(1_000_000)));
        assert_eq!(g.standing("credit-score", 201), Standing::Expired);
        assert_eq!(g.standing("credit-score", 99), Standing::Expired);
        assert_eq!(g.standing("licence.food-business", 150), Standing::OtherDataset);
        let mut other = g.clone();
        other.name = "another office".into();
        assert_ne!(g.id(), other.id(), "the id covers every field");
    }

    #[test]
    fn malformed_grants_are_refused() {
        let cases: Vec<(&str, Box<dyn Fn(&mut AnalystGrant)>)> = vec![
            ("no name", Box::new(|g| g.name.clear())),
            ("long name", Box::new(|g| g.name = "x".repeat(MAX_ANALYST_NAME_LEN + 1))),
            ("no dataset", Box::new(|g| g.budgets.clear())),
            ("zero budget", Box::new(|g| g.budgets = BTreeMap::from([("s".into(), Epsilon::default())]))),
            ("empty dataset", Box::new(|g| g.budgets = BTreeMap::from([(String::new(), Epsilon::from_micros(1))]))),
            ("ends before it starts", Box::new(|g| g.not_after = g.granted_at)),
        ];
        for (name, change) in cases {
            let mut g = grant();
            change(&mut g);
            assert_eq!(g.validate().unwrap_err().code(), "invalid_analyst_grant", "{name}");
        }
    }

    #[test]
    fn a_new_grant_replaces_the_last_and_survives_reopening() {
        let dir = tempfile::tempdir().unwrap();
        let db = sled::open(dir.path()).unwrap();
        let book = AnalystBook::new(db.open_tree("a").unwrap());
        assert_eq!(book.get(&[9; 32]).unwrap(), None);
        book.put(&grant()).unwrap();
        let renewed = AnalystGrant { not_after: 900, ..grant() };
        book.put(&renewed).unwrap();
        drop(book);
        drop(db);
        let db = sled::open(dir.path()).unwrap();
        let book = AnalystBook::new(db.open_tree("a").unwrap());
        assert_eq!(book.get(&[9; 32]).unwrap(), Some(renewed));
        assert_eq!(book.get(&[8; 32]).unwrap(), None);
    }
}
