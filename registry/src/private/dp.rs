//! Private statistics: differentially private histograms and counts over
//! the regulator's records, for analysts it grants a privacy budget.
//!
//! A query names a **dataset** (one schema of this node's records), an
//! **attribute** of those records, the **bins**, and an **epsilon**:
//!
//! - numeric edges `[580, 670, 740, 800]` give the bins `<580`, `580-669`,
//!   `670-739`, `740-799`, `>=800`, and `invalid` for a value that is not a
//!   whole number (or a record without the attribute). Such values are
//!   counted, never refused: a refusal would tell the analyst that some
//!   record holds one;
//! - categories `["A", "B"]` give the bins `A`, `B` and `other`, which counts
//!   every other value, so the answer never reveals which values exist;
//! - `count` gives one bin, `count`: the subjects that have the attribute
//!   (every subject of the dataset if no attribute is named).
//!
//! **Privacy unit: one subject.** The dataset holds one row per subject: its
//! newest record of the schema that is not purged ([`Dataset`]). Each row
//! falls into exactly one bin, by a function of that row alone, so adding or
//! removing one subject changes the histogram by at most 1 in L1. (Changing
//! one subject's value is a removal and an addition: 2 in L1, so `2 × ε`.)
//!
//! **Mechanism.** The histogram is OpenDP's `make_count_by_categories`
//! (input metric `SymmetricDistance`, output `L1Distance<i64>`) chained with
//! `make_laplace` over integer counts, which samples the discrete Laplace
//! distribution exactly (CKS20). The scale is `1/ε`, raised by the least
//! amount for which OpenDP's privacy map at `d_in = 1` is at most ε
//! ([`Mechanism::calibrate`]). Counts come out as they are sampled: integer,
//! unbiased, and possibly negative; the exact counts never leave this module
//! but as the measurement's input.
//!
//! **Accounting.** Epsilons are whole numbers of millionths ([`Epsilon`]),
//! so an analyst's spending composes exactly (`0.4 + 0.4 + 0.2 = 1.0`) in
//! the ledger ([`ledger::BudgetLedger`]). Pure differential privacy composes
//! by addition (OpenDP's `CompositionMeasure` for `MaxDivergence`), and each
//! release's privacy-map epsilon is strictly below the millionths it is
//! charged, so the ledger's sum bounds the analyst's total privacy loss.
//!
//! **Randomness.** OpenDP is built without its `use-openssl` feature, so it
//! draws from `rand`'s thread RNG (ChaCha, seeded and reseeded from the OS),
//! which cannot be seeded from outside; the noise tests are statistical.

use std::collections::BTreeMap;

use opendp::core::Measurement;
use opendp::domains::{AtomDomain, VectorDomain};
use opendp::measurements::make_laplace;
use opendp::measures::MaxDivergence;
use opendp::metrics::{L1Distance, SymmetricDistance};
use opendp::transformations::make_count_by_categories;
use serde::{Deserialize, Serialize};

use super::record::{PrivateRecord, RecordMeta, MAX_ATTRIBUTE_NAME_LEN};

pub mod ledger;

/// Most bins in one answer, `invalid` and `other` included.
pub const MAX_BINS: usize = 64;
/// Longest bin label (a category), in bytes.
pub const MAX_LABEL_LEN: usize = 64;
/// Longest dataset (schema) name, in bytes.
pub const MAX_DATASET_LEN: usize = 128;
/// The least epsilon one query may spend (a scale of 1000).
pub const MIN_QUERY_EPSILON: f64 = 0.001;
/// The most epsilon one query may spend.
pub const MAX_QUERY_EPSILON: f64 = 10.0;
/// The most epsilon an analyst may be granted on one dataset.
pub const MAX_BUDGET_EPSILON: f64 = 100.0;
/// The bin of numeric values that are not whole numbers, or missing.
pub const INVALID_BIN: &str = "invalid";
/// The bin of every value that is not one of the categories asked for.
pub const OTHER_BIN: &str = "other";
/// The one bin of a count.
pub const COUNT_BIN: &str = "count";
/// The mechanism's name in a release.
pub const MECHANISM: &str = "discrete_laplace";

/// Why a private-statistics operation failed, each with a stable code.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum DpError {
    /// An epsilon is not a finite number in the allowed range.
    #[error("{0}")]
    BadEpsilon(String),
    /// A query's dataset, attribute or bins are not well formed.
    #[error("{0}")]
    InvalidQuery(String),
    /// An analyst grant is not well formed.
    #[error("{0}")]
    InvalidGrant(String),
    /// The query would take the analyst past its budget on the dataset.
    #[error("privacy budget exhausted: this query asks for epsilon {asked}, and {remaining} of {total} remains on dataset {dataset:?}")]
    Exhausted {
        /// The dataset.
        dataset: String,
        /// What the query asked for.
        asked: Epsilon,
        /// What is left.
        remaining: Epsilon,
        /// The analyst's budget on the dataset.
        total: Epsilon,
    },
    /// OpenDP refused to build or run the measurement (a bug: every query is
    /// validated first).
    #[error("the DP mechanism: {0}")]
    Mechanism(String),
    /// The ledger's store failed.
    #[error("the privacy-budget ledger: {0}")]
    Storage(String),
}

impl DpError {
    /// The stable code.
    pub fn code(&self) -> &'static str {
        match self {
            DpError::BadEpsilon(_) => "bad_epsilon",
            DpError::InvalidQuery(_) => "invalid_query",
            DpError::InvalidGrant(_) => "invalid_analyst_grant",
            DpError::Exhausted { .. } => "privacy_budget_exhausted",
            DpError::Mechanism(_) | DpError::Storage(_) => "internal",
        }
    }
}

impl From<opendp::error::Error> for DpError {
    fn from(e: opendp::error::Error) -> Self {
        DpError::Mechanism(format!("{:?}: {}", e.variant, e.message.unwrap_or_default()))
    }
}

impl From<sled::Error> for DpError {
    fn from(e: sled::Error) -> Self {
        DpError::Storage(e.to_string())
    }
}

/// An amount of epsilon, in whole millionths: what the ledger adds up, so
/// that composition is exact.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Epsilon(u64);

impl Epsilon {
    /// Millionths in one.
    pub const SCALE: u64 = 1_000_000;

    /// `micros` millionths.
    pub const fn from_micros(micros: u64) -> Self {
        Epsilon(micros)
    }

    /// A query's epsilon: finite, within [`MIN_QUERY_EPSILON`] ..=
    /// [`MAX_QUERY_EPSILON`], rounded to the nearest millionth.
    pub fn query(value: f64) -> Result<Self, DpError> {
        Self::within(value, MIN_QUERY_EPSILON, MAX_QUERY_EPSILON, "a query's epsilon")
    }

    /// A budget: finite, within [`MIN_QUERY_EPSILON`] ..= [`MAX_BUDGET_EPSILON`].
    pub fn budget(value: f64) -> Result<Self, DpError> {
        Self::within(value, MIN_QUERY_EPSILON, MAX_BUDGET_EPSILON, "a budget")
    }

    fn within(value: f64, min: f64, max: f64, what: &str) -> Result<Self, DpError> {
        if !value.is_finite() || value < min || value > max {
            return Err(DpError::BadEpsilon(format!("{what} is a number from {min} to {max}, not {value}")));
        }
        // In range, so the product is far below 2^53 and rounds exactly.
        Ok(Epsilon((value * Self::SCALE as f64).round() as u64))
    }

    /// The millionths.
    pub fn micros(self) -> u64 {
        self.0
    }

    /// The value as a float (the nearest to the exact value).
    pub fn as_f64(self) -> f64 {
        self.0 as f64 / Self::SCALE as f64
    }

    /// A float strictly below the exact value: the most a measurement
    /// charged this much may spend by its privacy map. (`as_f64` rounds to
    /// the nearest float, within half a step of the exact value, even at a
    /// power of two; one step down is below it.)
    pub fn strict_floor(self) -> f64 {
        self.as_f64().next_down()
    }

    /// `self + other`, `None` on overflow.
    pub fn checked_add(self, other: Epsilon) -> Option<Epsilon> {
        self.0.checked_add(other.0).map(Epsilon)
    }

    /// `self - other`, zero if `other` is larger.
    pub fn saturating_sub(self, other: Epsilon) -> Epsilon {
        Epsilon(self.0.saturating_sub(other.0))
    }
}

impl std::fmt::Display for Epsilon {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.as_f64())
    }
}

/// How a query bins the attribute's values.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Bins {
    /// Numeric edges, strictly increasing: `[a, b]` gives `<a`, `a-(b-1)`,
    /// `>=b`, and `invalid`.
    Edges(Vec<i64>),
    /// Categories, distinct: each its own bin, and `other`.
    Categories(Vec<String>),
    /// One bin: how many subjects have the attribute (or how many subjects).
    Count,
}

/// A validated query.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Query {
    /// The dataset: a schema of this node's records.
    pub dataset: String,
    /// The attribute binned (required but for a count).
    pub attribute: Option<String>,
    /// The bins.
    pub bins: Bins,
    /// What the query spends.
    pub epsilon: Epsilon,
}

impl Query {
    /// Checks the query's form: a dataset name, an attribute name where the
    /// bins need one, 1 to [`MAX_BINS`] bins with labels of at most
    /// [`MAX_LABEL_LEN`] bytes, edges increasing, categories distinct.
    pub fn new(dataset: String, attribute: Option<String>, bins: Bins, epsilon: Epsilon) -> Result<Self, DpError> {
        let bad = |m: String| Err(DpError::InvalidQuery(m));
        if dataset.is_empty() || dataset.len() > MAX_DATASET_LEN || dataset.chars().any(char::is_control) {
            return bad(format!("the dataset is a schema name of 1 to {MAX_DATASET_LEN} bytes"));
        }
        match &attribute {
            None if bins != Bins::Count => return bad("a histogram names the attribute it bins".into()),
            Some(a) if a.is_empty() || a.len() > MAX_ATTRIBUTE_NAME_LEN => {
                return bad(format!("an attribute name is 1 to {MAX_ATTRIBUTE_NAME_LEN} bytes"))
            }
            _ => {}
        }
        match &bins {
            Bins::Edges(edges) => {
                if edges.is_empty() || edges.len() + 2 > MAX_BINS {
                    return bad(format!("1 to {} edges", MAX_BINS - 2));
                }
                if edges.windows(2).any(|w| w[0] >= w[1]) {
                    return bad("edges must be strictly increasing".into());
                }
            }
            Bins::Categories(categories) => {
                if categories.is_empty() || categories.len() + 1 > MAX_BINS {
                    return bad(format!("1 to {} categories", MAX_BINS - 1));
                }
                let mut seen = std::collections::BTreeSet::from([OTHER_BIN]);
                for c in categories {
                    if c.is_empty() || c.len() > MAX_LABEL_LEN || c.chars().any(char::is_control) {
                        return bad(format!("a category is 1 to {MAX_LABEL_LEN} bytes without control characters"));
                    }
                    if !seen.insert(c.as_str()) {
                        return bad(format!("category {c:?} is named twice (or is the automatic {OTHER_BIN:?} bin)"));
                    }
                }
            }
            Bins::Count => {}
        }
        Ok(Query { dataset, attribute, bins, epsilon })
    }

    /// The bins' labels, in the answer's order.
    pub fn labels(&self) -> Vec<String> {
        match &self.bins {
            Bins::Edges(edges) => {
                let mut labels = Vec::with_capacity(edges.len() + 2);
                labels.push(format!("<{}", edges[0]));
                for w in edges.windows(2) {
                    let last = w[1] - 1;
                    labels.push(if last == w[0] { w[0].to_string() } else { format!("{}-{last}", w[0]) });
                }
                labels.push(format!(">={}", edges[edges.len() - 1]));
                labels.push(INVALID_BIN.into());
                labels
            }
            Bins::Categories(categories) => categories.iter().cloned().chain([OTHER_BIN.into()]).collect(),
            Bins::Count => vec![COUNT_BIN.into()],
        }
    }

    /// The row of one subject: the label of its bin (`labels` are
    /// [`Query::labels`]), or the raw value for categories (OpenDP counts
    /// what is not a category as `other`). A function of that subject's
    /// attributes alone.
    fn row(&self, labels: &[String], attributes: &BTreeMap<String, String>) -> String {
        let value = self.attribute.as_ref().map(|a| attributes.get(a));
        match &self.bins {
            Bins::Edges(edges) => match value.flatten().and_then(|v| v.trim().parse::<i64>().ok()) {
                None => INVALID_BIN.into(),
                // The number of edges at or below v is v's bin.
                Some(v) => labels[edges.partition_point(|e| *e <= v)].clone(),
            },
            // The empty string is no category: a missing attribute counts as `other`.
            Bins::Categories(_) => value.flatten().cloned().unwrap_or_default(),
            Bins::Count => match value {
                Some(None) => String::new(),
                _ => COUNT_BIN.into(),
            },
        }
    }
}

/// One row per subject: the attributes of each subject's newest record of
/// one schema that is not purged.
#[derive(Default)]
pub struct Dataset {
    subjects: BTreeMap<String, Row>,
}

/// A subject's row: which record it is (when it was stored, its id) and
/// that record's attributes.
#[derive(Clone)]
struct Row {
    newest: (u64, [u8; 32]),
    attributes: BTreeMap<String, String>,
}

impl Dataset {
    /// Adds a record (of the dataset's schema): it replaces the subject's
    /// row if it is newer (stored later; the larger id on a tie).
    pub fn add(&mut self, meta: &RecordMeta, record: PrivateRecord) {
        if meta.purged_at.is_some() {
            return;
        }
        let newest = (meta.stored_at, meta.id);
        match self.subjects.get(&record.subject) {
            Some(row) if row.newest >= newest => {}
            _ => {
                self.subjects.insert(record.subject, Row { newest, attributes: record.attributes });
            }
        }
    }

    /// How many subjects.
    pub fn len(&self) -> usize {
        self.subjects.len()
    }

    /// Whether it has no subject.
    pub fn is_empty(&self) -> bool {
        self.subjects.is_empty()
    }

    /// The rows `query` measures, one per subject.
    fn rows(&self, query: &Query) -> Vec<String> {
        let labels = query.labels();
        self.subjects.values().map(|row| query.row(&labels, &row.attributes)).collect()
    }
}

/// The OpenDP measurement of one query: rows in, noisy counts out.
pub type HistogramMeasurement = Measurement<VectorDomain<AtomDomain<String>>, SymmetricDistance, MaxDivergence, Vec<i64>>;

/// A query's measurement, calibrated to its epsilon.
pub struct Mechanism {
    measurement: HistogramMeasurement,
    labels: Vec<String>,
    scale: f64,
    epsilon: f64,
}

impl Mechanism {
    /// Builds the measurement at the least scale, from `1/ε` up, whose
    /// privacy map at `d_in = 1` is at most `query.epsilon.strict_floor()`.
    pub fn calibrate(query: &Query) -> Result<Self, DpError> {
        let labels = query.labels();
        let (categories, null_category) = match &query.bins {
            // Every row is a label; none falls outside.
            Bins::Edges(_) => (labels.clone(), false),
            // OpenDP's null category is `other`, the last label.
            Bins::Categories(c) => (c.clone(), true),
            // A subject without the attribute is in no bin.
            Bins::Count => (labels.clone(), false),
        };
        let target = query.epsilon.strict_floor();
        let mut scale = 1.0 / target;
        for _ in 0..64 {
            let measurement = histogram(categories.clone(), null_category, scale)?;
            let epsilon = measurement.map(&1)?;
            if epsilon <= target {
                return Ok(Mechanism { measurement, labels, scale, epsilon });
            }
            scale = scale.next_up();
        }
        Err(DpError::Mechanism(format!("no scale near {} gives epsilon {target}", 1.0 / target)))
    }

    /// The discrete Laplace scale.
    pub fn scale(&self) -> f64 {
        self.scale
    }

    /// The epsilon of OpenDP's privacy map at `d_in = 1`.
    pub fn epsilon(&self) -> f64 {
        self.epsilon
    }

    /// Runs the measurement once over `dataset`: the noisy count of each bin.
    pub fn release(&self, query: &Query, dataset: &Dataset) -> Result<Vec<(String, i64)>, DpError> {
        self.release_rows(&dataset.rows(query))
    }

    fn release_rows(&self, rows: &Vec<String>) -> Result<Vec<(String, i64)>, DpError> {
        let counts = self.measurement.invoke(rows)?;
        if counts.len() != self.labels.len() {
            return Err(DpError::Mechanism(format!("{} counts for {} bins", counts.len(), self.labels.len())));
        }
        Ok(self.labels.iter().cloned().zip(counts).collect())
    }
}

/// Counts by category (`null_category`: plus one for everything else),
/// then discrete Laplace noise of `scale` on each count.
fn histogram(categories: Vec<String>, null_category: bool, scale: f64) -> Result<HistogramMeasurement, DpError> {
    let counts = make_count_by_categories::<L1Distance<i64>, String, i64>(
        VectorDomain::new(AtomDomain::default()),
        SymmetricDistance,
        categories,
        null_category,
    )?;
    let noise = make_laplace(VectorDomain::new(AtomDomain::<i64>::new_non_nan()), L1Distance::<i64>::default(), scale, None)?;
    Ok((counts >> noise)?)
}

#[cfg(test)]
mod tests;
