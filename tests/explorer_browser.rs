//! The web explorer in a real browser: a node on port 0 with credentials
//! of two schemas (one revoked), a proof request and verifications, and
//! differentially private releases over its regulator's records; every
//! explorer page opened in headless Chromium (Debian's `chromium`), its DOM
//! checked against the JSON API's numbers, and a screenshot saved under
//! `target/tmp/explorer/`. And, without a browser, the pages' HTTP manners:
//! statuses, HTML error pages, security headers, escaping, the JSON API
//! untouched.
//!
//! Chromium is `ZKREG_CHROMIUM` or `chromium` on `PATH`; without it the
//! browser test prints a note and passes, unless `ZKREG_REQUIRE_CHROMIUM=1`
//! (CI sets it), then it fails.

mod common;
mod explorer_kit;

use std::collections::BTreeMap;
use std::path::Path;
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use common::*;
use ed25519_dalek::SigningKey;
use explorer_kit::*;
use zkreg_api::dto::dp::{BinsBody, DpQueryBody, NewAnalystBody};
use zkreg_api::{ClusterConfig, NodeConfig, NodeThread};
use zkreg_circuits::field::fr_to_bytes;
use zkreg_prover::{CredentialOpening, Wallet};
use zkreg_registry::{Genesis, Transaction, TxBody};
use zkreg_suite::rng;

/// A JSON count.
fn u(v: &Value) -> u64 {
    v.as_u64().unwrap_or_else(|| panic!("{v} is not a count"))
}

// ---------------------------------------------------------------------------
// The node's story

/// Credit scores the regulator keeps private records of (one not a number).
const SCORES: [&str; 7] = ["560", "610", "655", "690", "720", "810", "unknown"];

/// A node whose regulator keeps a private layer, its keyring in `dir`.
fn spawn_private(dir: &Path) -> App {
    spawn_private_with(&dir.join("data.keys"), [0x44; 32], |c| {
        // Long enough for two transactions sent at once to share a block.
        c.block_interval = Duration::from_millis(50);
    })
}

/// The regulator issues a credit score with its private record (`score`, `region`).
fn issue_with_record(app: &App, score: &str, region: &str, seed: u64) {
    let wallet = Wallet::generate(&mut rng(seed));
    let attributes = BTreeMap::from([("score".into(), score.into()), ("region".into(), region.into())]);
    issue_recorded(app, &wallet, 700, format!("NID-{seed}"), attributes, seed);
}

/// Records of [`SCORES`]; an analyst granted a budget asks two
/// differentially private histograms of them.
fn private_statistics(app: &App) {
    for (i, score) in SCORES.iter().enumerate() {
        issue_with_record(app, score, if i % 3 == 0 { "north" } else { "south" }, 200 + i as u64);
    }
    let analyst = SigningKey::from_bytes(&[0x81; 32]);
    let grant = NewAnalystBody {
        analyst: hex::encode(analyst.verifying_key().to_bytes()),
        name: "national statistics office".into(),
        budgets: BTreeMap::from([(CREDIT.to_owned(), 2.0)]),
        valid_for_secs: 3600,
    };
    app.client.grant_analyst(&app.regulator, &grant).unwrap();
    let scores = DpQueryBody {
        dataset: CREDIT.into(),
        attribute: Some("score".into()),
        bins: BinsBody::Edges(vec![600, 650, 700, 750, 800]),
        epsilon: 0.5,
    };
    app.client.dp_query(&analyst, &scores).unwrap();
    let regions = DpQueryBody {
        dataset: CREDIT.into(),
        attribute: Some("region".into()),
        bins: BinsBody::Categories(vec!["north".into(), "south".into()]),
        epsilon: 0.25,
    };
    app.client.dp_query(&analyst, &regions).unwrap();
}

/// Waits until the chain stops growing: the regulator's node anchors its
/// audit log's head in a block of its own after the last audited call.
fn settle(app: &App) {
    let height = || u(&app.get("/v1/status").1["height"]);
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut last = height();
    loop {
        std::thread::sleep(Duration::from_millis(600));
        let now = height();
        if now == last {
            return;
        }
        assert!(Instant::now() < deadline, "the chain kept growing: {last} then {now}");
        last = now;
    }
}

/// Two issuances of one commitment, sent at once, until both are in one
/// block: the ledger applies one and refuses the other (a duplicate
/// commitment, or a stale nonce if the later nonce applied first). The
/// refused transaction's id.
fn refused_in_a_block(app: &App) -> String {
    for attempt in 0..8 {
        let wallet = Wallet::generate(&mut rng(300 + attempt));
        let opening = CredentialOpening::issue(CREDIT, REGULATOR, wallet.holder_id(), 690, today() + 30, &mut rng(310 + attempt));
        let inner = fr_to_bytes(&opening.inner(wallet.holder_id()));
        let base = zkreg_circuits::clock::unix_now_micros();
        let bodies: Vec<String> = [base + 1, base + 2]
            .into_iter()
            .map(|nonce| {
                let body = TxBody::IssueCredential { schema: CREDIT.into(), inner };
                let tx = Transaction { chain_id: app.chain_id.clone(), signer: app.regulator.verifying_key().to_bytes(), nonce, body }
                    .sign(&app.regulator);
                json!({"tx": hex::encode(tx.to_bytes())}).to_string()
            })
            .collect();
        let answers: Vec<(u16, Value)> = std::thread::scope(|s| {
            let sent: Vec<_> = bodies.iter().map(|b| s.spawn(move || app.post_raw("/v1/transactions", b))).collect();
            sent.into_iter().map(|h| h.join().unwrap()).collect()
        });
        if let Some((_, r)) = answers.iter().find(|(code, r)| *code == 422 && r["height"].is_u64()) {
            return r["tx_id"].as_str().unwrap().to_owned();
        }
    }
    panic!("no two issuances of one commitment landed in one block in eight tries");
}

/// What the story left on the ledger.
struct Story {
    /// A transaction the ledger refused in a block.
    refused: String,
    /// A Groth16 credit score, revoked.
    revoked: String,
    /// A Bulletproofs licence, active.
    range: String,
}

/// Issues credentials of both schemas (both backends), revokes one, and
/// has the bank ask for a proof, verify it, and replay it.
fn story(app: &mut App) -> Story {
    app.register_predicate_key();
    let wallet = Wallet::generate(&mut rng(31));
    let other = Wallet::generate(&mut rng(32));
    let good = issue(app, &wallet, 720, 33);
    let low = issue(app, &other, 640, 34);
    issue_groth16(app, &wallet, LICENCE, 2, today() + 365, 35);
    let (_, range) = issue_range(app, &other, LICENCE, 1, today() + 90, 36);
    let low_commitment = fr_to_bytes(&low.commitment);
    app.revoke(low_commitment);

    let request = new_request(app, 700);
    let presentation = present(app, &wallet, &good, &request, 37);
    let (code, v) = app.verify(&presentation);
    assert_eq!((code, v["verified"].clone()), (200, json!(true)), "{v}");
    let (code, v) = app.verify(&presentation);
    assert_eq!(code, 422, "a replay is refused: {v}");
    // A request no one answers.
    new_request(app, 750);
    private_statistics(app);
    let refused = refused_in_a_block(app);
    Story { refused, revoked: hex::encode(low_commitment), range: hex::encode(range) }
}

/// `GET path` as text: status, headers we check, body.
fn get_text(app: &App, path: &str) -> (u16, Vec<(String, String)>, String) {
    let mut r = agent().get(&format!("{}{path}", app.base)).call().unwrap();
    let headers = r.headers().iter().map(|(k, v)| (k.as_str().to_owned(), v.to_str().unwrap_or("").to_owned())).collect();
    (r.status().as_u16(), headers, r.body_mut().read_to_string().unwrap())
}

fn header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
}

// ---------------------------------------------------------------------------
// Without a browser: statuses, headers, escaping

#[test]
fn explorer_pages_are_html_with_security_headers_and_errors_are_html_pages_with_the_right_status() {
    let mut app = spawn_app();
    let wallet = Wallet::generate(&mut rng(41));
    issue(&mut app, &wallet, 700, 42);
    let (_, status) = app.get("/v1/status");
    let tip = u(&status["height"]);
    let unknown = "ab".repeat(32);
    let cases: Vec<(String, u16, &str)> = vec![
        ("/".into(), 200, "Overview"),
        ("/blocks".into(), 200, "Blocks"),
        ("/blocks?before=2".into(), 200, "Blocks below 2"),
        (format!("/blocks/{tip}"), 200, "Block"),
        ("/blocks/0".into(), 200, "Block 0"),
        ("/registry".into(), 200, "Registry"),
        ("/credentials".into(), 200, "Credentials"),
        ("/stats".into(), 200, "Statistics"),
        ("/cluster".into(), 200, "single node"),
        (format!("/blocks/{}", tip + 1), 404, "There is no block"),
        ("/blocks/abc".into(), 400, "is not a block height"),
        ("/blocks/-1".into(), 400, "is not a block height"),
        ("/blocks?before=x".into(), 400, "is not a block height"),
        (format!("/credentials?commitment={unknown}"), 404, "No credential with commitment"),
        ("/credentials?commitment=zz".into(), 400, "A commitment is 32 bytes of hex"),
    ];
    for (path, want, says) in &cases {
        let (code, headers, body) = get_text(&app, path);
        assert_eq!(code, *want, "{path}: {body}");
        assert!(body.starts_with("<!DOCTYPE html>"), "{path} is an HTML page: {body}");
        assert!(body.contains(says), "{path} says {says:?}: {body}");
        assert_eq!(header(&headers, "content-type"), Some("text/html; charset=utf-8"), "{path}");
        assert_eq!(
            header(&headers, "content-security-policy"),
            Some("default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'"),
            "{path}"
        );
        assert_eq!(header(&headers, "x-content-type-options"), Some("nosniff"), "{path}");
        assert_eq!(header(&headers, "referrer-policy"), Some("no-referrer"), "{path}");
        assert!(!body.contains("<script"), "{path} runs no script");
        assert!(!body.contains(" style=\""), "{path} has no inline style (the CSP forbids it)");
    }

    // What a caller types comes back escaped.
    let (code, _, body) = get_text(&app, "/credentials?commitment=%3Cscript%3Ealert(1)%3C%2Fscript%3E");
    assert_eq!(code, 400);
    assert!(body.contains("&lt;script&gt;alert(1)&lt;/script&gt;") && !body.contains("<script>"), "{body}");

    // Pages answer GET only: other methods get an HTML 405 naming GET.
    let mut r = agent().post(&format!("{}/stats", app.base)).send("").unwrap();
    assert_eq!(r.status().as_u16(), 405);
    assert_eq!(r.headers().get("allow").and_then(|v| v.to_str().ok()), Some("GET"));
    assert!(r.body_mut().read_to_string().unwrap().contains("405"));

    // The stylesheet: linked with a digest of its content, cached for a year.
    let (_, _, home) = get_text(&app, "/");
    let href = attrs(&home, "href").into_iter().find(|h| h.starts_with("/explorer/style.css?v=")).expect("the page links its stylesheet");
    let (code, headers, css) = get_text(&app, &href);
    assert_eq!(code, 200);
    assert_eq!(header(&headers, "content-type"), Some("text/css; charset=utf-8"));
    assert_eq!(header(&headers, "cache-control"), Some("public, max-age=31536000, immutable"));
    assert!(css.contains("figure.chart"), "{css}");

    // The JSON API is untouched: unknown paths are still its JSON 404,
    // its routes still answer JSON.
    for path in ["/nothing-here", "/blocks/", "/v1/nothing", "/explorer/other.css"] {
        let (code, v) = app.get(path);
        assert_eq!((code, v["code"].as_str()), (404, Some("not_found")), "{path}: {v}");
    }
    let (code, v) = app.get("/v1/blocks/abc");
    assert_eq!((code, v["code"].as_str()), (400, Some("bad_number")), "{v}");
    let (code, v) = app.get("/v1/stats");
    assert_eq!((code, v["leaf_count"].clone()), (200, json!(1)), "{v}");
}

// ---------------------------------------------------------------------------
// In the browser

#[test]
fn every_explorer_page_shows_the_apis_numbers_in_headless_chromium() {
    let Some(browser) = browser_or_skip() else { return };
    let shots = screenshots();
    let dir = tempfile::tempdir().unwrap();
    let mut app = spawn_private(dir.path());
    let story = story(&mut app);
    settle(&app);
    // Two credit scores, the private layer's, and one of the refused pair.
    let credit = 2 + SCORES.len() as u64 + 1;
    let url = |path: &str| format!("{}{path}", app.base);
    let (_, status) = app.get("/v1/status");
    let (_, stats) = app.get("/v1/stats");
    let tip = u(&status["height"]);

    // The overview: status, totals, the latest blocks, issuance per day.
    let dom = browser.dom(&url("/"));
    browser.screenshot(&url("/"), &shots.join("overview.png"), 1400);
    assert_eq!(number(&dom, "data-stat=\"height\""), tip);
    assert_eq!(number(&dom, "data-stat=\"leaf_count\""), u(&status["leaf_count"]));
    assert_eq!(text(&dom, "data-stat=\"tip_hash\""), status["tip_hash"].as_str().unwrap());
    assert_eq!(text(&dom, "data-stat=\"root\""), status["root"].as_str().unwrap());
    assert_eq!(text(&dom, "data-stat=\"chain_id\""), status["chain_id"].as_str().unwrap());
    for (total, field) in [("issued", "issued"), ("revoked", "revoked"), ("active", "active")] {
        let sum: u64 = stats["by_schema"].as_array().unwrap().iter().map(|t| u(&t[field])).sum();
        assert_eq!(number(&dom, &format!("data-total=\"{total}\"")), sum, "{total}");
    }
    assert_eq!((number(&dom, "data-total=\"issued\""), number(&dom, "data-total=\"revoked\"")), (credit + 2, 1));
    let latest: Vec<u64> = attrs(element(&dom, "class=\"blocks\""), "data-height").iter().map(|h| h.parse().unwrap()).collect();
    assert_eq!(latest, (tip.saturating_sub(9)..=tip).rev().collect::<Vec<_>>());
    let (_, daily) = app.get("/v1/stats/daily");
    let days = daily["days"].as_array().unwrap();
    let issued: Vec<i64> = days.iter().map(|d| u(&d["issued"]) as i64).collect();
    let revoked: Vec<i64> = days.iter().map(|d| u(&d["revoked"]) as i64).collect();
    assert_eq!(series(&dom, "overview-daily", "issued"), issued);
    assert_eq!(series(&dom, "overview-daily", "revoked"), revoked);
    assert_eq!((issued.iter().sum::<i64>(), revoked.iter().sum::<i64>()), (credit as i64 + 2, 1));

    // The block list, and a page further down.
    let dom = browser.dom(&url("/blocks"));
    browser.screenshot(&url("/blocks"), &shots.join("blocks.png"), 1400);
    let listed: Vec<u64> = attrs(element(&dom, "class=\"blocks\""), "data-height").iter().map(|h| h.parse().unwrap()).collect();
    assert_eq!(listed, (tip.saturating_sub(19)..=tip).rev().collect::<Vec<_>>());
    for row in elements(&dom, "<tr data-height=") {
        let h = attrs(row, "data-height")[0].clone();
        let (_, b) = app.get(&format!("/v1/blocks/{h}"));
        assert_eq!(number(row, "data-stat=\"transactions\"") as usize, b["transactions"].as_array().unwrap().len(), "block {h}");
        assert_eq!(attrs(row, "data-full")[0], b["hash"].as_str().unwrap(), "block {h}");
    }

    // The block with a refused transaction: header fields, each
    // transaction's kind, signer and receipt (applied, or the error code).
    let (_, refused) = app.get(&format!("/v1/transactions/{}", story.refused));
    let height = u(&refused["height"]);
    let page = format!("/blocks/{height}");
    let dom = browser.dom(&url(&page));
    browser.screenshot(&url(&page), &shots.join("block.png"), 1000);
    let (_, b) = app.get(&page.replace("/blocks", "/v1/blocks"));
    for field in ["hash", "prev_hash", "tx_root", "tree_root"] {
        assert_eq!(text(&dom, &format!("data-stat=\"{field}\"")), b[field].as_str().unwrap(), "{field}");
    }
    assert_eq!(number(&dom, "data-stat=\"leaf_count\""), u(&b["leaf_count"]));
    assert_eq!(number(&dom, "data-stat=\"height\""), height);
    assert_eq!(attrs(element(&dom, "data-stat=\"time\""), "data-value"), [b["time"].to_string()]);
    let txs: Vec<String> = b["transactions"].as_array().unwrap().iter().map(|t| t.as_str().unwrap().to_owned()).collect();
    assert!(txs.len() >= 2 && txs.contains(&story.refused), "{b}");
    assert_eq!(attrs(element(&dom, "class=\"txs\""), "data-tx"), txs);
    let mut codes = Vec::new();
    for id in &txs {
        let row = element(&dom, &format!("data-tx=\"{id}\""));
        let (_, r) = app.get(&format!("/v1/transactions/{id}"));
        let want = if r["ok"].as_bool().unwrap() { "applied" } else { "refused" };
        assert_eq!(attrs(row, "data-receipt"), [want], "{row}");
        if let Some(code) = r["code"].as_str() {
            assert_eq!(attrs(row, "data-code"), [code], "{row}");
            codes.push(code.to_owned());
        }
        if let Some(leaf) = r["leaf_index"].as_u64() {
            assert_eq!(attrs(row, "data-leaf"), [leaf.to_string()], "{row}");
        }
    }
    assert_eq!(codes.len(), 1, "one of the pair is refused: {codes:?}");
    let row = element(&dom, &format!("data-tx=\"{}\"", story.refused));
    assert_eq!((attrs(row, "data-kind"), attrs(row, "data-signer")), (vec!["issue-credential".to_owned()], vec![REGULATOR.to_owned()]));

    // The block of the revocation, as served (the same markup the browser
    // loads): the revoke, its signer and a link to the credential.
    let revoked_at = u(&app.get(&format!("/v1/credentials/{}", story.revoked)).1["revoked_at"]);
    let (code, _, html) = get_text(&app, &format!("/blocks/{revoked_at}"));
    assert_eq!(code, 200);
    let rows = elements(&html, "<tr data-tx=");
    let revoke = rows.iter().find(|r| attrs(r, "data-kind") == ["revoke"]).expect("the revoke is listed");
    assert_eq!((attrs(revoke, "data-signer"), attrs(revoke, "data-receipt")), (vec![REGULATOR.to_owned()], vec!["applied".to_owned()]));
    assert!(revoke.contains(&format!("/credentials?commitment={}", story.revoked)), "{revoke}");

    // The registry: regulators and their schemas, verifiers, schemas, keys.
    let dom = browser.dom(&url("/registry"));
    browser.screenshot(&url("/registry"), &shots.join("registry.png"), 1100);
    let (_, issuers) = app.get("/v1/issuers");
    for i in issuers.as_array().unwrap() {
        let row = element(&dom, &format!("data-regulator=\"{}\"", i["name"].as_str().unwrap()));
        let schemas: Vec<String> = i["schemas"].as_array().unwrap().iter().map(|s| s.as_str().unwrap().to_owned()).collect();
        assert_eq!(attrs(row, "data-schema"), schemas);
        assert_eq!(attrs(row, "data-full"), [i["key"].as_str().unwrap()]);
    }
    let (_, verifiers) = app.get("/v1/verifiers");
    let names: Vec<&str> = verifiers.as_array().unwrap().iter().map(|v| v["name"].as_str().unwrap()).collect();
    assert_eq!(attrs(element(&dom, "id=\"verifiers\""), "data-verifier"), names);
    let (_, schemas) = app.get("/v1/schemas");
    let names: Vec<&str> = schemas.as_array().unwrap().iter().map(|v| v["name"].as_str().unwrap()).collect();
    assert_eq!(attrs(element(&dom, "id=\"schemas\""), "data-schema"), names);
    let (_, keys) = app.get("/v1/verifying-keys");
    for k in keys.as_array().unwrap() {
        let row = element(&dom, &format!("data-circuit=\"{}\"", k["circuit_id"].as_str().unwrap()));
        assert_eq!(text(row, "data-stat=\"fingerprint\""), k["fingerprint"].as_str().unwrap());
    }

    // A credential by commitment: the revoked one, and the active range credential.
    let page = format!("/credentials?commitment={}", story.revoked);
    let dom = browser.dom(&url(&page));
    browser.screenshot(&url(&page), &shots.join("credential.png"), 900);
    let (_, c) = app.credential(&hex::decode(&story.revoked).unwrap().try_into().unwrap());
    for field in ["status", "issuer", "schema", "backend"] {
        assert_eq!(text(&dom, &format!("data-stat=\"{field}\"")), c[field].as_str().unwrap(), "{field}");
    }
    assert_eq!(number(&dom, "data-stat=\"issued_at\""), u(&c["issued_at"]));
    assert_eq!(number(&dom, "data-stat=\"revoked_at\""), u(&c["revoked_at"]));
    assert_eq!(number(&dom, "data-stat=\"leaf_index\""), u(&c["leaf_index"]));
    let (_, c) = app.get(&format!("/v1/credentials/{}", story.range));
    let (code, _, body) = get_text(&app, &format!("/credentials?commitment=0x{}", story.range.to_uppercase()));
    assert_eq!(code, 200);
    assert_eq!((text(&body, "data-stat=\"status\""), text(&body, "data-stat=\"backend\"")), ("active".into(), "bulletproofs".into()));
    assert_eq!(attrs(element(&body, "data-stat=\"expiry\""), "data-value"), [c["expiry"].to_string()]);

    // Statistics: per day, per schema and issuer, requests and verifications, DP releases.
    let dom = browser.dom(&url("/stats"));
    browser.screenshot(&url("/stats"), &shots.join("stats.png"), 2400);
    assert_eq!(series(&dom, "daily", "issued"), issued);
    for t in stats["by_schema"].as_array().unwrap() {
        let name = t["name"].as_str().unwrap();
        for field in ["issued", "revoked", "active"] {
            let marker = format!("data-stat=\"{field}\" data-key=\"schema\" data-name=\"{name}\"");
            assert_eq!(number(&dom, &marker), u(&t[field]), "{name} {field}");
        }
    }
    let by_schema: Vec<(String, u64)> =
        stats["by_schema"].as_array().unwrap().iter().map(|t| (t["name"].as_str().unwrap().to_owned(), u(&t["issued"]))).collect();
    assert_eq!(by_schema, [(CREDIT.to_owned(), credit), (LICENCE.to_owned(), 2)]);
    assert_eq!(series(&dom, "by-schema", "issued"), by_schema.iter().map(|(_, n)| *n as i64).collect::<Vec<_>>());
    for t in stats["by_issuer"].as_array().unwrap() {
        let marker = format!("data-stat=\"issued\" data-key=\"issuer\" data-name=\"{}\"", t["name"].as_str().unwrap());
        assert_eq!(number(&dom, &marker), u(&t["issued"]));
    }
    for c in stats["by_issuer_and_schema"].as_array().unwrap() {
        let row =
            element(&dom, &format!("data-issuer=\"{}\" data-schema=\"{}\"", c["issuer"].as_str().unwrap(), c["schema"].as_str().unwrap()));
        for field in ["issued", "revoked", "active"] {
            assert_eq!(number(row, &format!("data-stat=\"{field}\"")), u(&c[field]), "{row}");
        }
    }
    let (_, activity) = app.get("/v1/stats/activity");
    let adays = activity["days"].as_array().unwrap();
    let requests: u64 = adays.iter().map(|d| u(&d["requests"])).sum();
    let verifications: u64 = adays.iter().map(|d| u(&d["verifications"])).sum();
    assert_eq!((requests, verifications), (2, 2), "{activity}");
    assert_eq!(number(&dom, "data-stat=\"requests\""), requests);
    assert_eq!(number(&dom, "data-stat=\"verifications\""), verifications);
    assert_eq!(series(&dom, "requests-daily", "requests"), adays.iter().map(|d| u(&d["requests"]) as i64).collect::<Vec<_>>());
    let per_day: Vec<i64> =
        attrs(element(&dom, "data-chart=\"verifications-daily\""), "data-value").iter().map(|v| v.parse().unwrap()).collect();
    let mut outcomes = std::collections::BTreeMap::<String, u64>::new();
    for d in adays {
        for (k, v) in d["by_outcome"].as_object().unwrap() {
            *outcomes.entry(k.clone()).or_default() += u(v);
        }
    }
    assert_eq!(per_day.iter().sum::<i64>(), 2 * verifications as i64, "each column's total and its segments");
    for (outcome, n) in &outcomes {
        let row = element(&dom, &format!("data-outcome=\"{outcome}\""));
        assert_eq!(number(row, "data-stat=\"count\""), *n, "{outcome}");
        assert_eq!(series(&dom, "verifications-daily", outcome).iter().sum::<i64>(), *n as i64, "{outcome}");
    }
    assert_eq!(outcomes.get("verified"), Some(&1));
    // The differentially private releases, newest first, with their epsilon and budget.
    let (code, releases) = app.get("/v1/stats/private/releases");
    assert_eq!(code, 200, "{releases}");
    let releases = releases.as_array().unwrap();
    assert_eq!(releases.len(), 2, "{releases:?}");
    let shown = elements(&dom, "<article class=\"dp-release\"");
    assert_eq!(
        shown.iter().map(|a| attrs(a, "data-release")[0].clone()).collect::<Vec<_>>(),
        releases.iter().map(|r| r["id"].to_string()).collect::<Vec<_>>()
    );
    for (article, r) in shown.iter().zip(releases) {
        for field in ["epsilon", "budget_remaining", "budget_total", "scale"] {
            let value: f64 = attrs(element(article, &format!("data-stat=\"{field}\"")), "data-value")[0].parse().unwrap();
            assert_eq!(value, r[field].as_f64().unwrap(), "release {} {field}", r["id"]);
        }
        let counts: Vec<i64> = r["bins"].as_array().unwrap().iter().map(|b| b["count"].as_i64().unwrap()).collect();
        let labels: Vec<String> = r["bins"].as_array().unwrap().iter().map(|b| b["label"].as_str().unwrap().to_owned()).collect();
        assert_eq!(series(article, &format!("dp-{}", r["id"]), "noisy count"), counts);
        assert_eq!(attrs(element(article, "data-chart="), "data-label"), labels);
    }

    // The cluster: a node alone says so, as its API does.
    let dom = browser.dom(&url("/cluster"));
    browser.screenshot(&url("/cluster"), &shots.join("cluster-single.png"), 700);
    assert_eq!(text(&dom, "data-stat=\"mode\""), "single node");
    let (code, _) = app.get("/v1/cluster/status");
    assert_eq!(code, 404, "the API agrees: no cluster");

    eprintln!("explorer screenshots in {}", shots.display());
}

/// Three replicas of one cluster on port 0, node 1 initialising it.
fn start_cluster(dir: &Path) -> Vec<NodeThread> {
    let authority = SigningKey::from_bytes(&[1; 32]);
    let regulator = SigningKey::from_bytes(&[2; 32]);
    let genesis = Genesis::development(
        "zkreg-explorer-cluster",
        1_750_000_000,
        &authority.verifying_key().to_bytes(),
        (REGULATOR, &regulator.verifying_key().to_bytes()),
        &[CREDIT, LICENCE],
        ROOT_WINDOW,
    );
    let listeners: Vec<_> = (0..3).map(|_| std::net::TcpListener::bind("127.0.0.1:0").unwrap()).collect();
    let peers: BTreeMap<u64, String> =
        listeners.iter().enumerate().map(|(i, l)| (i as u64 + 1, l.local_addr().unwrap().to_string())).collect();
    listeners
        .into_iter()
        .enumerate()
        .map(|(i, listener)| {
            let id = i as u64 + 1;
            let mut config = NodeConfig::new(dir.join(format!("node-{id}")), Some(genesis.clone()));
            config.block_interval = Duration::from_millis(20);
            let mut cluster = ClusterConfig::new(id, peers[&id].clone(), [0x5c; 32]);
            cluster.peers = peers.clone();
            config.cluster = Some(cluster);
            NodeThread::spawn(config, listener).unwrap()
        })
        .collect()
}

/// `GET url` as JSON.
fn get_json(url: &str) -> (u16, Value) {
    let mut r = agent().get(url).call().unwrap();
    (r.status().as_u16(), r.body_mut().read_json().unwrap_or(Value::Null))
}

#[test]
fn the_cluster_page_shows_the_members_the_leader_and_the_term_in_headless_chromium() {
    let Some(browser) = browser_or_skip() else { return };
    let dir = tempfile::tempdir().unwrap();
    let nodes = start_cluster(dir.path());
    // Wait for a leader that knows every member's lag, then for its status to hold still.
    let deadline = Instant::now() + Duration::from_secs(30);
    let (leader_url, status) = loop {
        assert!(Instant::now() < deadline, "the cluster elected no leader that sees every member");
        std::thread::sleep(Duration::from_millis(300));
        let (_, s) = get_json(&format!("{}/v1/cluster/status", nodes[0].url));
        let Some(leader) = s["leader"].as_u64() else { continue };
        let url = nodes[leader as usize - 1].url.clone();
        let (_, first) = get_json(&format!("{url}/v1/cluster/status"));
        std::thread::sleep(Duration::from_millis(300));
        let (_, second) = get_json(&format!("{url}/v1/cluster/status"));
        let members = second["members"].as_array().map_or(0, |m| m.len());
        let lags_known = second["members"].as_array().is_some_and(|m| m.iter().all(|m| m["lag"].is_u64()));
        if first == second && second["state"] == "leader" && members == 3 && lags_known {
            break (url, second);
        }
    };
    let dom = browser.dom(&format!("{leader_url}/cluster"));
    browser.screenshot(&format!("{leader_url}/cluster"), &screenshots().join("cluster.png"), 800);
    for field in ["node_id", "leader", "term"] {
        assert_eq!(number(&dom, &format!("data-stat=\"{field}\"")), u(&status[field]), "{field}");
    }
    assert_eq!(text(&dom, "data-stat=\"state\""), "leader");
    assert_eq!(text(&dom, "data-stat=\"leader_addr\""), status["leader_addr"].as_str().unwrap());
    for field in ["last_log_index", "applied_index", "commit_index"] {
        assert_eq!(number(&dom, &format!("data-stat=\"{field}\"")), u(&status[field]), "{field}");
    }
    let members = status["members"].as_array().unwrap();
    assert_eq!(attrs(element(&dom, "<tbody"), "data-member"), members.iter().map(|m| m["id"].to_string()).collect::<Vec<_>>());
    for m in members {
        let row = element(&dom, &format!("data-member=\"{}\"", m["id"]));
        assert!(row.contains(m["addr"].as_str().unwrap()), "{row}");
        assert!(text_of(row).contains(if m["voter"] == json!(true) { "voter" } else { "learner" }), "{row}");
        assert_eq!(number(row, "data-stat=\"lag\""), u(&m["lag"]), "{row}");
        assert_eq!(text_of(row).contains("leader"), m["id"] == status["leader"], "{row}");
    }
    drop(nodes);
}
