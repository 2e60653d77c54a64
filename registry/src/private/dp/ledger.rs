//! The privacy-budget ledger: per analyst and dataset, the epsilon spent
//! and how many answers it bought; and every answer released (public: a
//! noisy answer is differentially private, so anyone may read it).
//!
//! A query is checked and spent in one step ([`BudgetLedger::begin`] then
//! [`Spending::commit`]) under one lock: no two queries can both fit in the
//! budget that only one fits in. The spending and the release are written in
//! one sled transaction and flushed to disk before the answer may leave, so
//! a crash can lose an answer whose budget was spent, never spend less than
//! was answered. A query that does not fit spends nothing.

use std::sync::{Mutex, MutexGuard};

use serde::{Deserialize, Serialize};
use sled::transaction::ConflictableTransactionError;
use sled::Transactional;

use super::{DpError, Epsilon};
use crate::tx::{decode_canonical, encode};

/// What an analyst spent on one dataset.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Spent {
    /// The epsilon spent, composed (pure DP: the sum).
    pub epsilon: Epsilon,
    /// How many answers it bought.
    pub releases: u64,
}

/// One noisy answer, as released to its analyst and published.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Release {
    /// Its sequence number on this node, from 1.
    pub id: u64,
    /// The dataset (schema).
    pub dataset: String,
    /// The attribute binned (empty for a count of every subject).
    pub attribute: String,
    /// The analyst's display name.
    pub analyst: String,
    /// The analyst's key.
    pub analyst_key: [u8; 32],
    /// Unix seconds.
    pub time: u64,
    /// The epsilon it spent.
    pub epsilon: Epsilon,
    /// The mechanism (`discrete_laplace`).
    pub mechanism: String,
    /// The mechanism's scale.
    pub scale: f64,
    /// Each bin's label and noisy count.
    pub bins: Vec<(String, i64)>,
    /// The analyst's budget on the dataset.
    pub budget_total: Epsilon,
    /// What remains of it after this release.
    pub budget_remaining: Epsilon,
}

/// The ledger over two node-local keyspaces: the spending, by `analyst key
/// ‖ dataset`, and the releases, by big-endian sequence number.
pub struct BudgetLedger {
    spent: sled::Tree,
    releases: sled::Tree,
    lock: Mutex<()>,
}

/// A query that fits in its analyst's budget, holding the ledger until it
/// is committed or dropped (dropped: nothing is spent).
pub struct Spending<'a> {
    ledger: &'a BudgetLedger,
    _guard: MutexGuard<'a, ()>,
    key: Vec<u8>,
    after: Spent,
    remaining: Epsilon,
    id: u64,
}

fn key(analyst: &[u8; 32], dataset: &str) -> Vec<u8> {
    [analyst.as_slice(), dataset.as_bytes()].concat()
}

fn corrupt(what: impl std::fmt::Display) -> DpError {
    DpError::Storage(format!("a stored entry is corrupt: {what}"))
}

impl BudgetLedger {
    /// The ledger over the keyspaces `spent` and `releases`.
    pub fn new(spent: sled::Tree, releases: sled::Tree) -> Self {
        BudgetLedger { spent, releases, lock: Mutex::new(()) }
    }

    /// What `analyst` spent on `dataset`.
    pub fn spent(&self, analyst: &[u8; 32], dataset: &str) -> Result<Spent, DpError> {
        match self.spent.get(key(analyst, dataset))? {
            None => Ok(Spent::default()),
            Some(v) => decode_canonical(&v).map_err(corrupt),
        }
    }

    /// What `analyst` spent, by dataset.
    pub fn spent_by(&self, analyst: &[u8; 32]) -> Result<Vec<(String, Spent)>, DpError> {
        self.spent
            .scan_prefix(analyst)
            .map(|entry| {
                let (k, v) = entry?;
                let dataset = String::from_utf8(k[32..].to_vec()).map_err(corrupt)?;
                Ok((dataset, decode_canonical(&v).map_err(corrupt)?))
            })
            .collect()
    }

    /// Takes the ledger and checks that `asked` fits in what remains of
    /// `total` for `analyst` on `dataset`: [`DpError::Exhausted`] (nothing
    /// spent) if it does not.
    pub fn begin(&self, analyst: &[u8; 32], dataset: &str, total: Epsilon, asked: Epsilon) -> Result<Spending<'_>, DpError> {
        let guard = self.lock.lock().unwrap_or_else(|e| e.into_inner());
        let spent = self.spent(analyst, dataset)?;
        let remaining = total.saturating_sub(spent.epsilon);
        let composed = spent.epsilon.checked_add(asked).filter(|after| *after <= total);
        let Some(after) = composed else {
            return Err(DpError::Exhausted { dataset: dataset.into(), asked, remaining, total });
        };
        let id = match self.releases.last()? {
            None => 1,
            Some((k, _)) => u64::from_be_bytes(k.as_ref().try_into().map_err(corrupt)?) + 1,
        };
        Ok(Spending {
            ledger: self,
            _guard: guard,
            key: key(analyst, dataset),
            after: Spent { epsilon: after, releases: spent.releases + 1 },
            remaining: total.saturating_sub(after),
            id,
        })
    }

    /// Up to `limit` releases, newest first.
    pub fn releases(&self, limit: usize) -> Result<Vec<Release>, DpError> {
        self.releases
            .iter()
            .rev()
            .take(limit)
            .map(|entry| {
                let (_, v) = entry?;
                decode_canonical(&v).map_err(corrupt)
            })
            .collect()
    }
}

impl Spending<'_> {
    /// The sequence number the release will have.
    pub fn id(&self) -> u64 {
        self.id
    }

    /// What will remain of the budget once this is spent.
    pub fn remaining(&self) -> Epsilon {
        self.remaining
    }

    /// Spends the budget and keeps `release`, in one transaction flushed to
    /// disk; only then may the answer leave.
    pub fn commit(self, release: &Release) -> Result<(), DpError> {
        if release.id != self.id || release.budget_remaining != self.remaining {
            return Err(DpError::Storage("the release does not match the spending it commits".into()));
        }
        let (spent, releases) = (&self.ledger.spent, &self.ledger.releases);
        let (after, record) = (encode(&self.after), encode(release));
        (spent, releases)
            .transaction(|(s, r)| {
                s.insert(self.key.as_slice(), after.as_slice())?;
                r.insert(&self.id.to_be_bytes()[..], record.as_slice())?;
                Ok::<_, ConflictableTransactionError<()>>(())
            })
            .map_err(|e| DpError::Storage(format!("{e:?}")))?;
        spent.flush()?;
        Ok(())
    }
}
