//! The statistics page: issuance per day, per schema and per issuer (the
//! public layer's exact counts), this node's proof requests and
//! verifications per day by outcome, and the differentially private
//! releases (noisy histograms with their epsilon and the budget left).

use std::collections::BTreeSet;

use maud::{html, Markup};

use super::charts::{meter, BarChart, Column, Layout, FULL, HALF};
use super::layout::{count, time};
use crate::dto::stats::{ActivityStats, DailyStats, Total};
use crate::dto::Stats;

/// A differentially private release as the page draws it.
#[derive(Clone, Debug)]
pub struct DpHistogram {
    /// The release's id.
    pub id: u64,
    /// The data set it counts.
    pub dataset: String,
    /// The attribute its bins cut.
    pub attribute: String,
    /// Who asked for it.
    pub analyst: String,
    /// When it was released, Unix seconds.
    pub time: u64,
    /// The privacy loss it spent.
    pub epsilon: f64,
    /// The noise mechanism (`laplace`, …).
    pub mechanism: String,
    /// The noise's scale.
    pub scale: f64,
    /// The noisy bins, label and count (a count may be negative).
    pub bins: Vec<(String, i64)>,
    /// The analyst's whole budget for the data set.
    pub budget_total: f64,
    /// What is left of it after this release.
    pub budget_remaining: f64,
}

/// What the statistics page shows.
pub struct StatsPage {
    /// `GET /v1/stats`.
    pub stats: Stats,
    /// `GET /v1/stats/daily`.
    pub daily: DailyStats,
    /// `GET /v1/stats/activity`.
    pub activity: ActivityStats,
    /// The newest differentially private releases, newest first.
    pub dp: Vec<DpHistogram>,
}

/// `MM-DD` of a `YYYY-MM-DD` date (the year is in the tooltip).
fn month_day(date: &str) -> &str {
    date.get(5..).unwrap_or(date)
}

fn signed(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

/// Issued and revoked per day, side by side.
pub fn issuance_chart(id: &str, daily: &DailyStats) -> Markup {
    BarChart {
        id: id.into(),
        title: format!("Credentials issued and revoked per day, {} to {}", daily.from, daily.to),
        series: vec!["issued".into(), "revoked".into()],
        columns: daily
            .days
            .iter()
            .map(|d| Column::new(month_day(&d.date), vec![signed(d.issued), signed(d.revoked)]).titled(d.date.clone()))
            .collect(),
        layout: Layout::Grouped,
        width: FULL,
    }
    .render()
}

/// A table of totals under one name (schema or issuer).
fn totals_table(key: &str, heading: &str, totals: &[Total]) -> Markup {
    html! {
        table.totals {
            thead { tr { th { (heading) } th.num { "Issued" } th.num { "Revoked" } th.num { "Active" } } }
            tbody {
                @for t in totals {
                    tr {
                        td { strong { (t.name) } }
                        td.num data-stat="issued" data-key=(key) data-name=(t.name) { (count(t.issued)) }
                        td.num data-stat="revoked" data-key=(key) data-name=(t.name) { (count(t.revoked)) }
                        td.num data-stat="active" data-key=(key) data-name=(t.name) { (count(t.active)) }
                    }
                }
            }
        }
    }
}

/// Outcomes in the order of the legend: `verified` first, then refusals by code.
fn outcomes(activity: &ActivityStats) -> Vec<String> {
    let codes: BTreeSet<&str> = activity.days.iter().flat_map(|d| d.by_outcome.keys().map(String::as_str)).collect();
    let mut out: Vec<String> = codes.iter().filter(|c| **c == "verified").map(|c| c.to_string()).collect();
    out.extend(codes.iter().filter(|c| **c != "verified").map(|c| c.to_string()));
    out
}

/// A number of epsilon or budget: up to four decimals, trailing zeros cut.
fn real(v: f64) -> String {
    let s = format!("{v:.4}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s == "-0" {
        "0".into()
    } else {
        s.into()
    }
}

fn dp_release(r: &DpHistogram) -> Markup {
    // An empty attribute is a count of every subject.
    let attribute = if r.attribute.is_empty() { "every subject" } else { r.attribute.as_str() };
    let chart = BarChart {
        id: format!("dp-{}", r.id),
        title: format!("{}, {attribute}: noisy count per bin (ε = {})", r.dataset, real(r.epsilon)),
        series: vec!["noisy count".into()],
        columns: r.bins.iter().map(|(label, n)| Column::new(label.clone(), vec![*n])).collect(),
        layout: Layout::Grouped,
        width: HALF,
    };
    let budget = format!("{} of {} left", real(r.budget_remaining), real(r.budget_total));
    html! {
        article.dp-release data-release=(r.id) {
            h3 { "Release " (r.id) ": " (r.dataset) " · " (attribute) }
            p.meta {
                "ε = " strong data-stat="epsilon" data-value=(r.epsilon) { (real(r.epsilon)) }
                " · " (r.mechanism) " noise, scale " span data-stat="scale" data-value=(r.scale) { (real(r.scale)) }
                " · analyst " strong { (r.analyst) }
                " · released " (time(r.time))
            }
            p.budget {
                "Budget left after this release: " span data-stat="budget_remaining" data-value=(r.budget_remaining) { (real(r.budget_remaining)) }
                " of " span data-stat="budget_total" data-value=(r.budget_total) { (real(r.budget_total)) } " "
                (meter(&format!("dp-{}", r.id), &budget, r.budget_remaining, r.budget_total))
            }
            (chart.render())
        }
    }
}

/// `/stats`.
pub fn stats(p: &StatsPage) -> Markup {
    let by_schema = BarChart {
        id: "by-schema".into(),
        title: "Credentials issued, revoked and active, per schema".into(),
        series: vec!["issued".into(), "revoked".into(), "active".into()],
        columns: p
            .stats
            .by_schema
            .iter()
            .map(|t| Column::new(t.name.clone(), vec![signed(t.issued), signed(t.revoked), signed(t.active)]))
            .collect(),
        layout: Layout::Grouped,
        width: HALF,
    };
    let outcomes = outcomes(&p.activity);
    let requests = BarChart {
        id: "requests-daily".into(),
        title: format!("Proof requests issued per day, {} to {}", p.activity.from, p.activity.to),
        series: vec!["requests".into()],
        columns: p.activity.days.iter().map(|d| Column::new(month_day(&d.date), vec![signed(d.requests)]).titled(d.date.clone())).collect(),
        layout: Layout::Grouped,
        width: HALF,
    };
    let verifications = BarChart {
        id: "verifications-daily".into(),
        title: format!("Presentations verified per day, by outcome, {} to {}", p.activity.from, p.activity.to),
        series: outcomes.clone(),
        columns: p
            .activity
            .days
            .iter()
            .map(|d| {
                let values = outcomes.iter().map(|o| signed(d.by_outcome.get(o).copied().unwrap_or(0))).collect();
                Column::new(month_day(&d.date), values).titled(d.date.clone())
            })
            .collect(),
        layout: Layout::Stacked,
        width: HALF,
    };
    let requests_total: u64 = p.activity.days.iter().map(|d| d.requests).sum();
    let verifications_total: u64 = p.activity.days.iter().map(|d| d.verifications).sum();
    html! {
        section #issuance {
            h2 { "Issuance per day" }
            p.note { "A credential counts on the day (UTC) of the block that issued or revoked it; read at height " (p.daily.height) "." }
            (issuance_chart("daily", &p.daily))
        }
        section #by-schema {
            h2 { "Per schema and issuer" }
            div.pair {
                (by_schema.render())
                div {
                    (totals_table("schema", "Schema", &p.stats.by_schema))
                    (totals_table("issuer", "Issuer", &p.stats.by_issuer))
                }
            }
            table.totals #by-issuer-and-schema {
                thead { tr { th { "Issuer" } th { "Schema" } th.num { "Issued" } th.num { "Revoked" } th.num { "Active" } } }
                tbody {
                    @for c in &p.stats.by_issuer_and_schema {
                        tr data-issuer=(c.issuer) data-schema=(c.schema) {
                            td { (c.issuer) } td { (c.schema) }
                            td.num data-stat="issued" { (count(c.issued)) }
                            td.num data-stat="revoked" { (count(c.revoked)) }
                            td.num data-stat="active" { (count(c.active)) }
                        }
                    }
                }
            }
        }
        section #activity {
            h2 { "Proof requests and verifications" }
            p.note {
                "What this node answered its banks (each node counts its own), " (p.activity.from) " to " (p.activity.to) ": "
                strong data-stat="requests" { (count(requests_total)) } " proof requests, "
                strong data-stat="verifications" { (count(verifications_total)) } " presentations checked."
            }
            div.pair {
                (requests.render())
                @if outcomes.is_empty() {
                    p.empty { "No presentation was checked in these days." }
                } @else {
                    (verifications.render())
                }
            }
            @if !outcomes.is_empty() {
                table.totals {
                    thead { tr { th { "Outcome" } th.num { "Presentations" } } }
                    tbody {
                        @for o in &outcomes {
                            tr data-outcome=(o) {
                                td { code { (o) } }
                                td.num data-stat="count" { (count(p.activity.days.iter().filter_map(|d| d.by_outcome.get(o)).sum())) }
                            }
                        }
                    }
                }
            }
        }
        section #dp {
            h2 { "Differentially private statistics" }
            p.note { "Counts over the regulators' private records, released with calibrated noise: a count may even be negative. Each release spends ε of its analyst's privacy budget." }
            @if p.dp.is_empty() {
                p.empty { "No differentially private statistic has been released yet." }
            }
            div.pair { @for r in &p.dp { (dp_release(r)) } }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reals_are_short() {
        assert_eq!(real(0.5), "0.5");
        assert_eq!(real(1.0), "1");
        assert_eq!(real(0.1 + 0.2), "0.3");
        assert_eq!(real(2.71828), "2.7183");
        assert_eq!(real(-0.00001), "0");
    }

    #[test]
    fn verified_leads_the_outcomes() {
        let day = |pairs: &[(&str, u64)]| crate::dto::stats::ActivityDay {
            date: "2026-01-01".into(),
            requests: 0,
            verifications: pairs.iter().map(|p| p.1).sum(),
            by_outcome: pairs.iter().map(|(k, v)| (k.to_string(), *v)).collect(),
        };
        let a = ActivityStats {
            from: "".into(),
            to: "".into(),
            days: vec![day(&[("challenge_replayed", 1), ("verified", 2)]), day(&[("bad_proof", 1)])],
        };
        assert_eq!(outcomes(&a), ["verified", "bad_proof", "challenge_replayed"]);
    }
}
