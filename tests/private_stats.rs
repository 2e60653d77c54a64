//! Private statistics over real HTTP: the regulator grants an analyst a
//! privacy budget; the analyst's differentially private queries spend it
//! until the one that would exceed it is refused, also after a restart;
//! nobody else may ask, and every query and refusal is audited; bad
//! epsilons are refused; answers are noisy, never the exact histogram; the
//! releases are public.

mod common;

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use ed25519_dalek::SigningKey;
use serde_json::{json, Value};

use common::{throwaway_key, App, CREDIT, LICENCE};
use zkreg_api::client::ClientError;
use zkreg_api::dto::dp::{BinsBody, DpQueryBody, DpRelease, NewAnalystBody};
use zkreg_prover::Wallet;
use zkreg_registry::private::audit::{check_anchors, verify_log};

const QUERY: &str = "/v1/stats/private/query";

/// A node whose regulator keeps a private layer.
fn spawn_private(keyring_file: &Path) -> App {
    common::spawn_private_with(keyring_file, [0x44; 32], |_| ())
}

/// The regulator issues a credit score with its private record (attributes
/// `score` and `region`) to the subject number `seed`.
fn issue_scored(app: &App, score: &str, region: &str, seed: u64) -> Wallet {
    let mut wallet_seed = [0u8; 32];
    wallet_seed[..8].copy_from_slice(&seed.to_le_bytes());
    let wallet = Wallet::from_seed(wallet_seed);
    let attributes = BTreeMap::from([("score".into(), score.into()), ("region".into(), region.into())]);
    common::issue_recorded(app, &wallet, 700, format!("NID-{seed}"), attributes, seed);
    wallet
}

/// The scores of [`issue_population`], and their exact histogram under the
/// edges [600, 700, 800]: <600, 600-699, 700-799, >=800, invalid.
const SCORES: [&str; 9] = ["550", "580", "610", "650", "690", "720", "805", "830", "unknown"];
const EXACT: [i64; 5] = [2, 3, 1, 2, 1];

fn issue_population(app: &App) -> Vec<Wallet> {
    SCORES.iter().enumerate().map(|(i, s)| issue_scored(app, s, if i % 2 == 0 { "north" } else { "south" }, 100 + i as u64)).collect()
}

fn grant_body(analyst: &SigningKey, budgets: &[(&str, f64)], secs: u64) -> NewAnalystBody {
    NewAnalystBody {
        analyst: hex::encode(analyst.verifying_key().to_bytes()),
        name: "national statistics office".into(),
        budgets: budgets.iter().map(|(d, e)| ((*d).to_owned(), *e)).collect(),
        valid_for_secs: secs,
    }
}

fn histogram(epsilon: f64) -> DpQueryBody {
    DpQueryBody { dataset: CREDIT.into(), attribute: Some("score".into()), bins: BinsBody::Edges(vec![600, 700, 800]), epsilon }
}

fn refused(r: Result<impl std::fmt::Debug, ClientError>) -> (u16, String, String) {
    match r {
        Err(ClientError::Api { status, code, message }) => (status, code, message),
        other => panic!("expected a refusal, got {other:?}"),
    }
}

/// The audit log's events as (action, actor, detail), read by the regulator.
fn audit(app: &App) -> Vec<(String, String, String)> {
    let page = app.client.audit_page(&app.regulator, 0).unwrap();
    page.events.into_iter().map(|e| (e.action, e.actor, e.detail)).collect()
}

/// The audit log verifies as a chain and against every head the node
/// anchored on the ledger (what `zkreg audit verify` checks).
fn assert_audit_log_verifies(app: &App) {
    let log = std::fs::read(app.node().config().data_dir.join("private").join("audit.log")).unwrap();
    let events = verify_log(&log).expect("the audit log verifies as a chain");
    let anchors: Vec<(u64, [u8; 32])> = app
        .client
        .audit_anchors(&app.regulator.verifying_key().to_bytes())
        .unwrap()
        .into_iter()
        .filter(|a| a.kind == "audit-head")
        .map(|a| (a.height, hex::decode(&a.subject_hash).unwrap().try_into().unwrap()))
        .collect();
    assert!(!anchors.is_empty());
    check_anchors(&events, &anchors).expect("every anchored head is an event of the log");
}

fn bins(r: &DpRelease) -> Vec<i64> {
    r.bins.iter().map(|b| b.count).collect()
}

#[test]
fn the_budget_refuses_the_query_that_would_exceed_it_also_after_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let mut app = spawn_private(&dir.path().join("data.keys"));
    issue_population(&app);
    let analyst = SigningKey::from_bytes(&[0x81; 32]);
    let analyst_hex = hex::encode(analyst.verifying_key().to_bytes());

    let grant = app.client.grant_analyst(&app.regulator, &grant_body(&analyst, &[(CREDIT, 1.0)], 3600)).unwrap();
    assert_eq!(grant.budgets, BTreeMap::from([(CREDIT.to_owned(), 1.0)]));
    let anchors = app.client.audit_anchors(&app.regulator.verifying_key().to_bytes()).unwrap();
    assert!(anchors.iter().any(|a| a.kind == "dp-analyst" && a.subject_hash == grant.id), "the grant's hash is on the ledger");

    let first = app.client.dp_query(&analyst, &histogram(0.4)).unwrap();
    assert_eq!((first.epsilon, first.budget_total, first.budget_remaining), (0.4, 1.0, 0.6));
    assert_eq!(first.mechanism, "discrete_laplace");
    assert!((first.scale - 2.5).abs() < 1e-9, "scale 1/epsilon: {}", first.scale);
    let labels: Vec<&str> = first.bins.iter().map(|b| b.label.as_str()).collect();
    assert_eq!(labels, ["<600", "600-699", "700-799", ">=800", "invalid"]);
    assert_eq!((first.dataset.as_str(), first.attribute.as_str(), first.analyst.as_str()), (CREDIT, "score", "national statistics office"));
    assert_eq!(first.analyst_key, analyst_hex);
    let second = app.client.dp_query(&analyst, &histogram(0.4)).unwrap();
    assert_eq!((second.id, second.budget_remaining), (first.id + 1, 0.2));

    let (status, code, message) = refused(app.client.dp_query(&analyst, &histogram(0.4)));
    assert_eq!((status, code.as_str()), (403, "privacy_budget_exhausted"));
    assert!(message.contains("0.2 of 1 remains"), "the refusal says what remains: {message}");
    let budget = app.client.dp_budget(&analyst).unwrap();
    assert_eq!(budget.datasets.len(), 1);
    let on_credit = &budget.datasets[0];
    assert_eq!((on_credit.total, on_credit.spent, on_credit.remaining, on_credit.releases), (1.0, 0.8, 0.2, 2), "the refusal spent nothing");

    let events = audit(&app);
    let queries: Vec<&String> = events.iter().filter(|(a, who, _)| a == "stats_query" && *who == analyst_hex).map(|(_, _, d)| d).collect();
    assert_eq!(queries.len(), 2, "{events:?}");
    assert!(
        queries[1].contains("\"credit-score\"") && queries[1].contains("epsilon 0.4") && queries[1].contains("remaining 0.2 of 1"),
        "{}",
        queries[1]
    );
    assert!(
        events.iter().any(|(a, who, d)| a == "refuse" && *who == analyst_hex && d.contains("privacy_budget_exhausted")),
        "the refusal is audited: {events:?}"
    );
    assert!(events.iter().any(|(a, _, d)| a == "analyst_grant" && d.contains(&analyst_hex)));

    // The spending is on disk: a restarted node still refuses, and allows what remains.
    app.restart();
    assert_eq!(refused(app.client.dp_query(&analyst, &histogram(0.4))).1, "privacy_budget_exhausted");
    let third = app.client.dp_query(&analyst, &histogram(0.2)).unwrap();
    assert_eq!((third.id, third.budget_remaining), (second.id + 1, 0.0));
    assert_eq!(refused(app.client.dp_query(&analyst, &histogram(0.001))).1, "privacy_budget_exhausted");

    // The releases are public, newest first, with what remained after each.
    let releases = app.client.dp_releases(10).unwrap();
    let summary: Vec<(u64, f64, f64)> = releases.iter().map(|r| (r.id, r.epsilon, r.budget_remaining)).collect();
    assert_eq!(summary, [(third.id, 0.2, 0.0), (second.id, 0.4, 0.2), (first.id, 0.4, 0.6)]);
    assert_eq!(bins(&releases[2]), bins(&first), "a release is kept as answered");
    assert_eq!(app.client.dp_releases(1).unwrap().len(), 1);
    let (status, all) = app.get("/v1/stats/private/releases");
    assert_eq!((status, all.as_array().map(Vec::len)), (200, Some(3)), "unsigned: {all}");
    assert_eq!(app.get("/v1/stats/private/releases?limit=x").0, 400);

    assert_audit_log_verifies(&app);
}

#[test]
fn only_granted_analysts_may_ask_and_every_refusal_is_audited() {
    let dir = tempfile::tempdir().unwrap();
    let app = spawn_private(&dir.path().join("data.keys"));
    let holders = issue_population(&app);
    let analyst = SigningKey::from_bytes(&[0x82; 32]);
    let short = SigningKey::from_bytes(&[0x83; 32]);
    app.client.grant_analyst(&app.regulator, &grant_body(&analyst, &[(CREDIT, 5.0)], 3600)).unwrap();
    app.client.grant_analyst(&app.regulator, &grant_body(&short, &[(CREDIT, 5.0)], 1)).unwrap();

    // Only the regulator grants.
    for key in [&analyst, &app.bank] {
        let (status, code, _) = refused(app.client.grant_analyst(key, &grant_body(key, &[(CREDIT, 100.0)], 60)));
        assert_eq!((status, code.as_str()), (403, "forbidden"));
    }
    // Keys without a grant: a stranger, a bank, a holder, the regulator itself.
    let stranger = throwaway_key(81);
    let nobody = [&stranger, &app.bank, holders[0].auth_key(), &app.regulator];
    for key in nobody {
        let (status, code, _) = refused(app.client.dp_query(key, &histogram(0.1)));
        assert_eq!((status, code.as_str()), (403, "forbidden"));
        assert_eq!(refused(app.client.dp_budget(key)).0, 403);
    }
    // A granted analyst, on a dataset it is not granted.
    let other_schema = DpQueryBody { dataset: LICENCE.into(), ..histogram(0.1) };
    assert_eq!(refused(app.client.dp_query(&analyst, &other_schema)).1, "forbidden");
    // An analyst whose grant ended (it lasted one second).
    std::thread::sleep(Duration::from_millis(2200));
    let (status, code, message) = refused(app.client.dp_query(&short, &histogram(0.1)));
    assert_eq!((status, code.as_str()), (403, "forbidden"));
    assert!(message.contains("ended"), "{message}");
    // The analyst with a current grant is answered.
    app.client.dp_query(&analyst, &histogram(0.1)).unwrap();

    let events = audit(&app);
    let refusals_of = |key: &SigningKey| {
        let actor = hex::encode(key.verifying_key().to_bytes());
        events.iter().filter(|(a, who, _)| a == "refuse" && *who == actor).count()
    };
    assert_eq!(refusals_of(&analyst), 2, "its grant attempt and its query on another dataset: {events:?}");
    assert_eq!(refusals_of(&app.bank), 3, "grant, query, budget");
    for key in [&stranger, holders[0].auth_key(), &app.regulator] {
        assert_eq!(refusals_of(key), 2, "query and budget");
    }
    assert_eq!(refusals_of(&short), 1, "the expired grant's query");
    assert!(events.iter().any(|(a, _, d)| a == "refuse" && d.contains(LICENCE) && d.contains("not granted")));

    // Bad epsilons and bad queries: 400, and nothing spent.
    let body = |epsilon: Value| json!({"dataset": CREDIT, "attribute": "score", "bins": {"edges": [600]}, "epsilon": epsilon});
    let bad: Vec<(Value, &str)> = vec![
        (body(json!(0)), "bad_epsilon"),
        (body(json!(-1)), "bad_epsilon"),
        (body(json!(1e9)), "bad_epsilon"),
        (body(json!(1e-9)), "bad_epsilon"),
        (body(json!("NaN")), "bad_json"),
        (body(json!(null)), "bad_json"),
        (json!({"dataset": CREDIT, "attribute": "score", "bins": {"edges": []}, "epsilon": 0.1}), "invalid_query"),
        (json!({"dataset": CREDIT, "attribute": "score", "bins": {"edges": [700, 600]}, "epsilon": 0.1}), "invalid_query"),
        (json!({"dataset": CREDIT, "attribute": "score", "bins": {"categories": ["a", "a"]}, "epsilon": 0.1}), "invalid_query"),
        (json!({"dataset": CREDIT, "bins": {"edges": [600]}, "epsilon": 0.1}), "invalid_query"),
        (json!({"dataset": CREDIT, "attribute": "score", "bins": {"bands": [1]}, "epsilon": 0.1}), "bad_json"),
        (json!({"dataset": CREDIT, "attribute": "score", "bins": "count", "epsilon": 0.1, "exact": true}), "bad_json"),
    ];
    for (b, expected) in bad {
        let (status, answer) = app.post_as(&analyst, QUERY, &b);
        assert_eq!((status, answer["code"].as_str()), (400, Some(expected)), "{b}: {answer}");
    }
    let (status, answer) = app.post_raw_as(&analyst, QUERY, r#"{"dataset":"credit-score","bins":"count","epsilon":NaN}"#);
    assert_eq!((status, answer["code"].as_str()), (400, Some("bad_json")), "{answer}");
    let budget = app.client.dp_budget(&analyst).unwrap();
    assert_eq!((budget.datasets[0].spent, budget.datasets[0].releases), (0.1, 1));

    // Bad grants: 400, nothing anchored.
    for (grant, why) in [
        (grant_body(&analyst, &[(CREDIT, 0.0)], 60), "zero budget"),
        (grant_body(&analyst, &[(CREDIT, 1e6)], 60), "huge budget"),
        (grant_body(&analyst, &[], 60), "no dataset"),
        (grant_body(&analyst, &[(CREDIT, 1.0)], 0), "no time"),
    ] {
        let (status, code, _) = refused(app.client.grant_analyst(&app.regulator, &grant));
        assert_eq!((status, code.as_str()), (400, "invalid_analyst_grant"), "{why}");
    }
    assert_audit_log_verifies(&app);
}

/// With ε = 0.01 (scale 100) a bin's noise is zero with probability
/// (1-p)/(1+p) ≈ 0.005, p = exp(-1/100): all five bins of one answer are
/// exact with probability about 3e-12, one of 20 answers with about 6e-11;
/// two answers agree in every bin with less than that.
#[test]
fn answers_are_noisy_never_the_exact_counts() {
    let dir = tempfile::tempdir().unwrap();
    let app = spawn_private(&dir.path().join("data.keys"));
    issue_population(&app);
    let analyst = SigningKey::from_bytes(&[0x84; 32]);
    app.client.grant_analyst(&app.regulator, &grant_body(&analyst, &[(CREDIT, 1.0)], 3600)).unwrap();

    let answers: Vec<DpRelease> = (0..20).map(|_| app.client.dp_query(&analyst, &histogram(0.01)).unwrap()).collect();
    for a in &answers {
        assert!((a.scale - 100.0).abs() < 1e-6, "{}", a.scale);
        assert_ne!(bins(a), EXACT, "an answer is the exact histogram");
    }
    assert!(answers.iter().any(|a| bins(a) != bins(&answers[0])), "every answer is the same: no noise");

    // Categories have an `other` bin; a count has one bin.
    let regions = DpQueryBody {
        dataset: CREDIT.into(),
        attribute: Some("region".into()),
        bins: BinsBody::Categories(vec!["north".into(), "east".into()]),
        epsilon: 0.01,
    };
    let r = app.client.dp_query(&analyst, &regions).unwrap();
    assert_eq!(r.bins.iter().map(|b| b.label.as_str()).collect::<Vec<_>>(), ["north", "east", "other"]);
    let count = DpQueryBody { dataset: CREDIT.into(), attribute: None, bins: BinsBody::Count, epsilon: 0.01 };
    let c = app.client.dp_query(&analyst, &count).unwrap();
    assert_eq!((c.bins.len(), c.bins[0].label.as_str(), c.attribute.as_str()), (1, "count", ""));
    let spent = app.client.dp_budget(&analyst).unwrap().datasets[0].spent;
    assert!((spent - 0.22).abs() < 1e-12, "{spent}");

    // A node without a private layer has no releases, and refuses queries.
    let plain = common::spawn_app();
    assert!(plain.client.dp_releases(10).unwrap().is_empty());
    assert_eq!(refused(plain.client.dp_query(&analyst, &histogram(0.1))).1, "no_private_layer");
}
