//! The mechanism's tests: its noise has the scale asked for, its privacy
//! map gives the epsilon asked for, a subject counts once, the ledger
//! composes exactly and a refusal spends nothing.
//!
//! OpenDP's samplers draw from `rand`'s thread RNG (seeded from the OS) and
//! cannot be seeded from outside, so the tests of the noise are
//! statistical, with bounds that a correct sampler breaks with probability
//! below 1e-9 (each bound is derived where it is used).

use std::collections::BTreeMap;

use opendp::combinators::CompositionMeasure;
use opendp::measures::MaxDivergence;

use super::ledger::{BudgetLedger, Release};
use super::*;
use crate::private::record::tests::record;

fn eps(value: f64) -> Epsilon {
    Epsilon::query(value).unwrap()
}

fn query(bins: Bins, epsilon: f64) -> Query {
    Query::new("credit-score".into(), Some("score".into()), bins, eps(epsilon)).unwrap()
}

fn meta(id: u8, stored_at: u64) -> RecordMeta {
    RecordMeta {
        id: [id; 32],
        issuer: "central-bank".into(),
        schema: "credit-score".into(),
        commitment: String::new(),
        holder_key: [0; 32],
        stored_at,
        legal_hold: false,
        purged_at: None,
    }
}

/// A dataset of one record per subject, with these scores.
fn scores(values: &[&str]) -> Dataset {
    let mut dataset = Dataset::default();
    for (i, v) in values.iter().enumerate() {
        let mut r = record(&format!("NID-{i}"));
        r.attributes = BTreeMap::from([("score".into(), (*v).into())]);
        dataset.add(&meta(i as u8, 10), r);
    }
    dataset
}

/// The exact histogram of `query` over `dataset` (what the noise hides).
fn exact(query: &Query, dataset: &Dataset) -> Vec<i64> {
    let labels = query.labels();
    let rows = dataset.rows(query);
    labels
        .iter()
        .map(|l| match &query.bins {
            Bins::Categories(c) if l == OTHER_BIN => rows.iter().filter(|r| !c.contains(r)).count() as i64,
            _ => rows.iter().filter(|r| *r == l).count() as i64,
        })
        .collect()
}

#[test]
fn edges_categories_and_counts_bin_every_value_somewhere() {
    let q = query(Bins::Edges(vec![580, 670, 740, 800]), 1.0);
    assert_eq!(q.labels(), ["<580", "580-669", "670-739", "740-799", ">=800", "invalid"]);
    let dataset = scores(&["579", "580", "669", " 670 ", "799", "800", "-3", "7.5", "high", ""]);
    assert_eq!(exact(&q, &dataset), [2, 2, 1, 1, 1, 3]);

    let adjacent = query(Bins::Edges(vec![1, 2, 3]), 1.0);
    assert_eq!(adjacent.labels(), ["<1", "1", "2", ">=3", "invalid"]);

    let q = query(Bins::Categories(vec!["A".into(), "B".into()]), 1.0);
    assert_eq!(q.labels(), ["A", "B", "other"]);
    let dataset = scores(&["A", "B", "B", "C", "", "a"]);
    assert_eq!(exact(&q, &dataset), [1, 2, 3]);
    let mut no_attribute = record("NID-none");
    no_attribute.attributes.clear();
    let mut with_missing = scores(&["A"]);
    with_missing.add(&meta(50, 10), no_attribute.clone());
    assert_eq!(exact(&q, &with_missing), [1, 0, 1], "a record without the attribute is `other`");

    let count = Query::new("credit-score".into(), Some("score".into()), Bins::Count, eps(1.0)).unwrap();
    assert_eq!(count.labels(), ["count"]);
    assert_eq!(exact(&count, &with_missing), [1], "the subjects that have the attribute");
    let everyone = Query::new("credit-score".into(), None, Bins::Count, eps(1.0)).unwrap();
    assert_eq!(exact(&everyone, &with_missing), [2], "every subject");
}

#[test]
fn one_subjects_records_count_once_and_purged_records_not_at_all() {
    let q = query(Bins::Edges(vec![600, 700]), 1.0);
    let mut dataset = Dataset::default();
    let with_score = |subject: &str, score: &str| {
        let mut r = record(subject);
        r.attributes = BTreeMap::from([("score".into(), score.into())]);
        r
    };
    // NID-1: three records; the newest (stored at 30) says 750.
    dataset.add(&meta(1, 10), with_score("NID-1", "550"));
    dataset.add(&meta(3, 30), with_score("NID-1", "750"));
    dataset.add(&meta(2, 20), with_score("NID-1", "650"));
    // NID-2: its newer record is purged, so the older one counts.
    dataset.add(&meta(4, 10), with_score("NID-2", "650"));
    dataset.add(&RecordMeta { purged_at: Some(40), ..meta(5, 40) }, with_score("NID-2", "550"));
    // NID-3: two records stored in the same second: the larger id wins.
    dataset.add(&meta(7, 50), with_score("NID-3", "550"));
    dataset.add(&meta(6, 50), with_score("NID-3", "750"));
    assert_eq!(dataset.len(), 3);
    assert_eq!(exact(&q, &dataset), [1, 1, 1, 0]);

    // Adding or removing one subject, with any number of records, moves the
    // exact histogram by at most 1 in L1: the sensitivity the map assumes.
    let before = exact(&q, &dataset);
    for value in ["10", "650", "999", "x"] {
        let mut more = Dataset { subjects: dataset.subjects.clone() };
        for (i, at) in [(20u8, 5u64), (21, 6), (22, 7)] {
            more.add(&meta(i, at), with_score("NID-new", value));
        }
        let after = exact(&q, &more);
        let l1: i64 = before.iter().zip(&after).map(|(a, b)| (a - b).abs()).sum();
        assert_eq!(l1, 1, "{value}");
    }
}

#[test]
fn malformed_queries_are_refused_and_epsilons_are_checked() {
    let cases: Vec<(&str, Option<&str>, Bins)> = vec![
        ("", Some("score"), Bins::Count),
        ("credit-score", None, Bins::Edges(vec![1])),
        ("credit-score", Some(""), Bins::Count),
        ("credit-score", Some("score"), Bins::Edges(vec![])),
        ("credit-score", Some("score"), Bins::Edges(vec![5, 5])),
        ("credit-score", Some("score"), Bins::Edges(vec![6, 5])),
        ("credit-score", Some("score"), Bins::Edges((0..63).collect())),
        ("credit-score", Some("score"), Bins::Categories(vec![])),
        ("credit-score", Some("score"), Bins::Categories(vec!["A".into(), "A".into()])),
        ("credit-score", Some("score"), Bins::Categories(vec!["other".into()])),
        ("credit-score", Some("score"), Bins::Categories(vec!["x".repeat(MAX_LABEL_LEN + 1)])),
        ("credit-score", Some("score"), Bins::Categories((0..64).map(|i| i.to_string()).collect())),
    ];
    for (dataset, attribute, bins) in cases {
        let e = Query::new(dataset.into(), attribute.map(Into::into), bins.clone(), eps(1.0)).unwrap_err();
        assert_eq!(e.code(), "invalid_query", "{dataset:?} {attribute:?} {bins:?}");
    }
    assert!(Query::new("s".into(), Some("a".into()), Bins::Edges((0..62).collect()), eps(1.0)).is_ok(), "64 bins");
    assert!(Query::new("s".into(), Some("a".into()), Bins::Categories((0..63).map(|i| i.to_string()).collect()), eps(1.0)).is_ok());

    for bad in [0.0, -1.0, f64::NAN, f64::INFINITY, 1e9, 0.0005, 10.000001] {
        assert_eq!(Epsilon::query(bad).unwrap_err().code(), "bad_epsilon", "{bad}");
    }
    assert_eq!(eps(0.4).micros(), 400_000);
    assert_eq!(eps(1.0 / 3.0).micros(), 333_333);
    assert_eq!(eps(10.0).micros(), 10_000_000);
    assert_eq!(Epsilon::budget(100.0).unwrap().micros(), 100_000_000);
    assert!(Epsilon::budget(100.5).is_err());
}

#[test]
fn the_privacy_map_gives_the_epsilon_asked_for() {
    for value in [0.001, 0.01, 0.1, 1.0 / 3.0, 0.4, 0.5, 1.0, 2.5, 10.0] {
        for bins in [Bins::Edges(vec![10, 20]), Bins::Categories(vec!["A".into()]), Bins::Count] {
            let q = query(bins, value);
            let m = Mechanism::calibrate(&q).unwrap();
            let asked = q.epsilon.as_f64();
            // Never more than charged, and no noisier than it needs to be.
            assert!(m.epsilon() < asked, "{value}: map {} >= {asked}", m.epsilon());
            assert!(m.epsilon() > asked * (1.0 - 1e-12), "{value}: map {} far below {asked}", m.epsilon());
            assert!((m.scale() * asked - 1.0).abs() < 1e-12, "{value}: scale {}", m.scale());
            // One subject is d_in = 1; two (or one changed) cost twice as much.
            assert!(m.measurement.map(&2).unwrap() <= 2.0 * asked);
        }
    }
}

/// The discrete Laplace of scale `t`: `P(k) ∝ p^|k|`, `p = exp(-1/t)`.
struct DiscreteLaplace {
    p: f64,
}

impl DiscreteLaplace {
    fn at(scale: f64) -> Self {
        DiscreteLaplace { p: (-1.0 / scale).exp() }
    }
    /// `P(X = 0) = (1-p)/(1+p)`.
    fn p_zero(&self) -> f64 {
        (1.0 - self.p) / (1.0 + self.p)
    }
    /// `E|X| = 2p / (1 - p²)`.
    fn mean_abs(&self) -> f64 {
        2.0 * self.p / (1.0 - self.p * self.p)
    }
    /// `Var X = 2p / (1-p)²`.
    fn variance(&self) -> f64 {
        2.0 * self.p / ((1.0 - self.p) * (1.0 - self.p))
    }
    /// `ln E[exp(λ|X|)]`, for `p·e^λ < 1`.
    fn log_mgf_abs(&self, lambda: f64) -> f64 {
        let q = self.p * lambda.exp();
        (self.p_zero() * (1.0 + q) / (1.0 - q)).ln()
    }
    /// `ln E[exp(λX)]`, for `p·e^|λ| < 1`.
    fn log_mgf(&self, lambda: f64) -> f64 {
        let (a, b) = (self.p * lambda.exp(), self.p * (-lambda).exp());
        ((1.0 - self.p).powi(2) / ((1.0 - a) * (1.0 - b))).ln()
    }
}

/// The Chernoff bound `P(mean of n draws of Y >= y) <= exp(-n·(λy - ln E e^{λY}))`,
/// at its best λ on a grid of `(0, lambda_max)` (any λ gives a valid bound).
fn chernoff(n: f64, y: f64, lambda_max: f64, log_mgf: impl Fn(f64) -> f64) -> f64 {
    (1..10_000).map(|i| lambda_max * i as f64 / 10_000.0).map(|l| (-n * (l * y - log_mgf(l))).exp()).fold(1.0, f64::min)
}

/// The noise has the configured scale: 20,000 draws (5,000 releases of a
/// four-bin histogram at ε = 0.5, scale 2) against the discrete Laplace's
/// mean absolute deviation, its mean (zero) and its mass at zero.
///
/// There is no fixed seed (OpenDP's samplers cannot be seeded from
/// outside); instead each check's tolerance is derived here so that a
/// correct sampler fails it with probability below 1e-9 / 3, hence all three
/// below 1e-9: Chernoff bounds over the exact moment generating functions
/// for the mean absolute deviation and the mean, Hoeffding's bound for the
/// fraction of zeros. The test also checks that these tolerances are tight
/// enough to catch a scale 10% off.
#[test]
fn the_noise_has_the_configured_scale() {
    const RELEASES: usize = 5_000;
    const FAILURE: f64 = 1e-9 / 3.0;
    let q = query(Bins::Categories(vec!["A".into(), "B".into(), "C".into()]), 0.5);
    let mut values: Vec<&str> = vec!["A"; 10];
    values.extend(["C"; 25]);
    values.extend(["D"; 5]);
    let dataset = scores(&values);
    let truth = exact(&q, &dataset);
    assert_eq!(truth, [10, 0, 25, 5]);
    let mechanism = Mechanism::calibrate(&q).unwrap();
    let law = DiscreteLaplace::at(mechanism.scale());

    let mut noise = Vec::with_capacity(RELEASES * truth.len());
    for _ in 0..RELEASES {
        let bins = mechanism.release(&q, &dataset).unwrap();
        noise.extend(bins.iter().zip(&truth).map(|((_, noisy), exact)| noisy - exact));
    }
    let n = noise.len() as f64;
    let mean_abs = noise.iter().map(|x| x.abs() as f64).sum::<f64>() / n;
    let mean = noise.iter().map(|x| *x as f64).sum::<f64>() / n;
    let zeros = noise.iter().filter(|x| **x == 0).count() as f64 / n;
    let variance = noise.iter().map(|x| (*x as f64 - mean).powi(2)).sum::<f64>() / (n - 1.0);

    // Mean absolute deviation: the least δ whose two Chernoff tails sum below FAILURE.
    let m = law.mean_abs();
    let lambda_max = -law.p.ln();
    let tails = |d: f64| {
        let upper = chernoff(n, m + d, lambda_max * 0.9999, |l| law.log_mgf_abs(l));
        let lower = chernoff(n, -(m - d), 10.0, |l| law.log_mgf_abs(-l));
        upper + lower
    };
    let delta_abs = (1..200).map(|i| m * i as f64 / 1000.0).find(|d| tails(*d) < FAILURE).unwrap();
    // The mean: the same for X, symmetric.
    let delta_mean = (1..1000).map(|i| i as f64 / 1000.0).find(|d| 2.0 * chernoff(n, *d, lambda_max * 0.9999, |l| law.log_mgf(l)) < FAILURE).unwrap();
    // The fraction of zeros: Hoeffding, 2·exp(-2nδ²) = FAILURE.
    let delta_zero = ((2.0 / FAILURE).ln() / (2.0 * n)).sqrt();

    // The tolerances can tell this scale from one 10% larger or smaller.
    for off in [0.9, 1.1] {
        let wrong = DiscreteLaplace::at(mechanism.scale() * off);
        assert!((wrong.mean_abs() - m).abs() > 2.0 * delta_abs, "E|X| tolerance {delta_abs} too wide");
    }
    println!(
        "scale {}: E|X| {mean_abs:.4} (law {m:.4} ± {delta_abs:.4}), mean {mean:.4} (± {delta_mean:.4}), \
P(0) {zeros:.4} (law {:.4} ± {delta_zero:.4}), variance {variance:.3} (law {:.3})",
        mechanism.scale(),
        law.p_zero(),
        law.variance()
    );
    assert!((mean_abs - m).abs() < delta_abs, "E|X| = {mean_abs}, the law's is {m} ± {delta_abs}");
    assert!(mean.abs() < delta_mean, "the noise's mean is {mean}, not 0 ± {delta_mean}");
    assert!((zeros - law.p_zero()).abs() < delta_zero, "P(X = 0) = {zeros}, the law's is {} ± {delta_zero}", law.p_zero());
}

/// No answer is the exact histogram, and answers differ: at ε = 0.01 (scale
/// 100) a bin's noise is zero with probability (1-p)/(1+p) ≈ 0.005, so all
/// four bins of one answer are exact with probability ≈ 6e-10 and one of 40
/// answers with ≈ 3e-8; two answers are equal with less than that.
#[test]
fn no_release_is_the_exact_histogram() {
    let q = query(Bins::Edges(vec![600, 700, 800]), 0.01);
    let dataset = scores(&["550", "650", "650", "750", "820", "830", "840"]);
    let truth = exact(&q, &dataset);
    let mechanism = Mechanism::calibrate(&q).unwrap();
    let answers: Vec<Vec<i64>> = (0..40).map(|_| mechanism.release(&q, &dataset).unwrap().into_iter().map(|(_, c)| c).collect()).collect();
    for a in &answers {
        assert_eq!(a.len(), truth.len());
        assert_ne!(a[..4], truth[..4], "an answer is the exact histogram");
    }
    assert!(answers.iter().any(|a| *a != answers[0]), "every answer is the same: no noise");
}

fn ledger(dir: &std::path::Path) -> BudgetLedger {
    let db = sled::open(dir).unwrap();
    BudgetLedger::new(db.open_tree("spent").unwrap(), db.open_tree("releases").unwrap())
}

fn release(id: u64, epsilon: Epsilon, total: Epsilon, remaining: Epsilon) -> Release {
    Release {
        id,
        dataset: "credit-score".into(),
        attribute: "score".into(),
        analyst: "office".into(),
        analyst_key: [9; 32],
        time: 1000 + id,
        epsilon,
        mechanism: MECHANISM.into(),
        scale: 1.0 / epsilon.as_f64(),
        bins: vec![("count".into(), 12)],
        budget_total: total,
        budget_remaining: remaining,
    }
}

/// Spends `asked` of `total` on credit-score for analyst [9; 32].
fn spend(l: &BudgetLedger, total: Epsilon, asked: Epsilon) -> Result<Release, DpError> {
    let s = l.begin(&[9; 32], "credit-score", total, asked)?;
    let r = release(s.id(), asked, total, s.remaining());
    s.commit(&r)?;
    Ok(r)
}

#[test]
fn the_budget_composes_exactly_and_refuses_what_would_exceed_it_also_after_reopening() {
    let dir = tempfile::tempdir().unwrap();
    let total = Epsilon::budget(1.0).unwrap();
    {
        let l = ledger(dir.path());
        assert_eq!(spend(&l, total, eps(0.4)).unwrap().budget_remaining, eps(0.6));
        assert_eq!(spend(&l, total, eps(0.4)).unwrap().budget_remaining, eps(0.2));
        let before = l.spent(&[9; 32], "credit-score").unwrap();
        match spend(&l, total, eps(0.4)) {
            Err(e @ DpError::Exhausted { .. }) => {
                assert_eq!(e.code(), "privacy_budget_exhausted");
                assert!(e.to_string().contains("0.2 of 1 remains"), "{e}");
            }
            other => panic!("expected a refusal, got {other:?}"),
        }
        assert_eq!(l.spent(&[9; 32], "credit-score").unwrap(), before, "the refusal spent nothing");
        assert_eq!(before.epsilon, eps(0.8));
        assert_eq!(before.releases, 2);
        // A spending dropped before its commit spends nothing either.
        drop(l.begin(&[9; 32], "credit-score", total, eps(0.1)).unwrap());
        assert_eq!(l.spent(&[9; 32], "credit-score").unwrap(), before);
        // Another dataset and another analyst have budgets of their own.
        assert!(l.begin(&[9; 32], "licence", total, eps(1.0)).is_ok());
        assert!(l.begin(&[8; 32], "credit-score", total, eps(1.0)).is_ok());
    }
    let l = ledger(dir.path());
    assert!(matches!(spend(&l, total, eps(0.4)), Err(DpError::Exhausted { .. })), "still refused after reopening");
    // 0.4 + 0.4 + 0.2 is exactly 1.0 (float sums would round it above).
    let last = spend(&l, total, eps(0.2)).unwrap();
    assert_eq!((last.id, last.budget_remaining), (3, Epsilon::default()));
    assert!(matches!(spend(&l, total, Epsilon::from_micros(1)), Err(DpError::Exhausted { .. })));
    let ids: Vec<u64> = l.releases(10).unwrap().iter().map(|r| r.id).collect();
    assert_eq!(ids, [3, 2, 1], "newest first");
    assert_eq!(l.releases(1).unwrap()[0], last);
    assert_eq!(l.spent_by(&[9; 32]).unwrap(), [("credit-score".to_owned(), l.spent(&[9; 32], "credit-score").unwrap())]);

    // OpenDP's composition of the three measurements' privacy maps is within
    // what the ledger charged: each map is strictly below its charge.
    let maps: Vec<f64> = [0.4, 0.4, 0.2].iter().map(|e| Mechanism::calibrate(&query(Bins::Count, *e)).unwrap().epsilon()).collect();
    let composed = MaxDivergence.compose(maps).unwrap();
    assert!(composed <= total.as_f64(), "{composed}");
}
