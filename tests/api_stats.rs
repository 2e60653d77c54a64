//! The public statistics over real HTTP: issuance per issuer, schema and
//! day as blocks apply (and after a restart), the banks' requests and
//! verifications per day and outcome, and the refusals of bad queries.

mod common;

use serde_json::{json, Value};

use common::*;
use zkreg_api::dto::stats::{ActivityQuery, DailyQuery};
use zkreg_circuits::presentation::PRESENTATION_VERSION;
use zkreg_prover::Wallet;
use zkreg_suite::rng;
use zkreg_verifier::Presentation;

/// Today's date (UTC) as the API writes it.
fn today_date() -> String {
    zkreg_api::service::stats::date_of(u64::from(today()))
}

/// The entry for `name` in a list of totals.
fn total<'a>(list: &'a Value, name: &str) -> &'a Value {
    list.as_array().unwrap().iter().find(|t| t["name"] == name).unwrap_or_else(|| panic!("no {name} in {list}"))
}

#[test]
fn issuance_statistics_follow_the_blocks_per_issuer_schema_and_day_and_survive_a_restart() {
    let mut app = spawn_app();
    let wallet = Wallet::generate(&mut rng(1));
    let mut credit = Vec::new();
    for i in 0..3 {
        credit.push(issue(&mut app, &wallet, 600 + i, 10 + i));
    }
    let (_, licence) = issue_range(&mut app, &wallet, LICENCE, 2, today() + 30, 20);
    issue_range(&mut app, &wallet, LICENCE, 1, today() + 30, 21);
    app.revoke(licence);

    let (code, stats) = app.get("/v1/stats");
    assert_eq!(code, 200, "{stats}");
    let (_, status) = app.get("/v1/status");
    assert_eq!(stats["height"], status["height"]);
    assert_eq!(stats["leaf_count"], 3, "only Groth16 credentials are leaves");
    assert_eq!(total(&stats["by_schema"], CREDIT), &json!({"name": CREDIT, "issued": 3, "revoked": 0, "active": 3}));
    assert_eq!(total(&stats["by_schema"], LICENCE), &json!({"name": LICENCE, "issued": 2, "revoked": 1, "active": 1}));
    assert_eq!(total(&stats["by_issuer"], REGULATOR), &json!({"name": REGULATOR, "issued": 5, "revoked": 1, "active": 4}));

    // The day's series: every credential of today, then one schema, then an issuer that issued nothing.
    let today = today_date();
    let all = app.client.daily_stats(&DailyQuery::default()).unwrap();
    assert_eq!(all.days.len(), 30, "thirty days by default");
    assert_eq!(all.to, today);
    let last = all.days.last().unwrap();
    assert_eq!((last.date.as_str(), last.issued, last.revoked), (today.as_str(), 5, 1));
    assert!(all.days[..29].iter().all(|d| d.issued == 0 && d.revoked == 0), "no issuance before today: {:?}", all.days);
    let licences = app
        .client
        .daily_stats(&DailyQuery { schema: Some(LICENCE.into()), from: Some(today.clone()), to: Some(today.clone()), ..Default::default() })
        .unwrap();
    assert_eq!(licences.days.len(), 1);
    assert_eq!((licences.days[0].issued, licences.days[0].revoked), (2, 1));
    let nobody = app.client.daily_stats(&DailyQuery { issuer: Some("no such regulator & co".into()), ..Default::default() }).unwrap();
    assert!(nobody.days.iter().all(|d| d.issued == 0), "a filter that matches nothing counts nothing");

    // The same numbers after a restart: they are stored, not recounted from memory.
    app.restart();
    let again = app.client.daily_stats(&DailyQuery { from: Some(today.clone()), ..Default::default() }).unwrap();
    assert_eq!((again.days[0].issued, again.days[0].revoked), (5, 1));
    let (_, after) = app.get("/v1/stats");
    assert_eq!(after["by_schema"], stats["by_schema"]);

    // A credential issued after the restart adds to the same day.
    issue(&mut app, &wallet, 700, 30);
    let more = app.client.daily_stats(&DailyQuery { from: Some(today.clone()), to: Some(today), ..Default::default() }).unwrap();
    assert_eq!(more.days[0].issued, 6);
}

#[test]
fn the_nodes_requests_and_verifications_are_counted_per_day_by_outcome() {
    let mut app = spawn_app();
    app.register_predicate_key();
    let before = app.client.activity_stats(&ActivityQuery::default()).unwrap();
    assert_eq!(before.days.len(), 30);
    assert!(before.days.iter().all(|d| d.requests == 0 && d.verifications == 0));

    let first = new_request(&app, 650);
    new_request(&app, 700);
    // Two presentations that fail in two ways: no proof for the one
    // predicate, and a challenge this node never issued.
    let mut codes = Vec::new();
    for challenge in [first.challenge.clone(), "00".repeat(32)] {
        let presentation = Presentation { version: PRESENTATION_VERSION, challenge, proofs: vec![] };
        let (code, answer) = app.verify(&presentation);
        assert_eq!(code, 422, "{answer}");
        codes.push(answer["code"].as_str().unwrap().to_owned());
    }

    let today = today_date();
    let stats = app.client.activity_stats(&ActivityQuery { from: Some(today.clone()), to: Some(today.clone()) }).unwrap();
    assert_eq!(stats.days.len(), 1);
    let day = &stats.days[0];
    assert_eq!(day.date, today);
    assert_eq!(day.requests, 2);
    assert_eq!(day.verifications, 2);
    let mut expected = std::collections::BTreeMap::new();
    for c in codes {
        *expected.entry(c).or_insert(0) += 1;
    }
    assert_eq!(day.by_outcome, expected, "each refusal under its stable code");
}

#[test]
fn bad_statistics_queries_are_refused_with_stable_codes() {
    let app = spawn_app();
    for (path, code) in [
        ("/v1/stats/daily?from=2026-02-30", "bad_date"),
        ("/v1/stats/daily?to=yesterday", "bad_date"),
        ("/v1/stats/daily?from=1969-12-31", "bad_date"),
        ("/v1/stats/daily?from=2026-12-02&to=2026-12-01", "bad_range"),
        ("/v1/stats/daily?from=2020-01-01&to=2026-01-01", "bad_range"),
        ("/v1/stats/daily?day=2026-12-01", "bad_query"),
        ("/v1/stats/activity?from=2026-13-01", "bad_date"),
        ("/v1/stats/activity?from=2000-01-01&to=2026-01-01", "bad_range"),
        ("/v1/stats/activity?issuer=x", "bad_query"),
    ] {
        let (status, body) = app.get(path);
        assert_eq!((status, body["code"].as_str()), (400, Some(code)), "{path}: {body}");
    }
    let (status, body) = app.post("/v1/stats/daily", &json!({}));
    assert_eq!((status, body["code"].as_str()), (405, Some("method_not_allowed")), "{body}");
}
