//! The web explorer the node serves at `/`: the latest blocks and each
//! block's transactions and receipts; the regulators, verifiers, schemas
//! and verifying keys; a credential's status by commitment; statistics with
//! charts; the cluster's members and leader.
//!
//! Pages are rendered on the server with maud (HTML checked and escaped at
//! compile time, so nothing a caller types reaches a page unescaped), charts
//! are inline SVG drawn in Rust ([`charts`]), and the one stylesheet is
//! compiled into the binary. No page runs a script: each is readable as
//! served, and the content security policy forbids scripts outright.
//!
//! The pages read the service layer ([`crate::service::Node`]) as the JSON
//! API does, off the HTTP workers, and show the same numbers; errors are
//! HTML pages with the JSON API's statuses (400 for a malformed height or
//! commitment, 404 for an unknown one). Paths outside the explorer keep
//! their JSON answers, the JSON 404 `not_found` included.
//!
//! | page | shows |
//! | --- | --- |
//! | `/` | status, totals, issuance per day, latest blocks |
//! | `/blocks?before=H` | blocks below `H`, newest first |
//! | `/blocks/{height}` | a header, its transactions with kinds, signers and receipts |
//! | `/registry` | regulators and their schemas, verifiers, schemas, verifying keys |
//! | `/credentials?commitment=HEX` | a credential's status, issuer, schema and heights |
//! | `/stats` | issuance per day and per schema, requests and verifications by outcome, DP releases |
//! | `/cluster` | members, leader, term and lag, or "single node" |

use std::sync::OnceLock;

use actix_web::http::header::{self, HeaderValue};
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse, ResponseError};
use maud::Markup;
use serde::Deserialize;
use sha2::{Digest, Sha256};

use zkreg_circuits::ids::Commitment;

use self::layout::{page, Nav};
use self::pages::{Lookup, Overview, RegistryPage};
use self::stats::{DpHistogram, StatsPage};
use super::routes::blocking;
use crate::dto::stats::{ActivityQuery, DailyQuery};
use crate::error::ApiError;
use crate::service::Node;

pub mod charts;
pub mod layout;
pub mod pages;
pub mod stats;

/// The stylesheet, compiled in.
const STYLE: &str = include_str!("style.css");

/// Where the stylesheet is served. Its links carry a digest of its
/// content (`?v=…`), so it may be cached for a year.
pub const STYLE_PATH: &str = "/explorer/style.css";

/// The content security policy of every explorer page: nothing but this
/// origin's stylesheet and inline SVG (and `data:` images); no script, no
/// framing, forms submit here only.
pub const CSP: &str = "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'";

/// Blocks on a page of the block list.
const BLOCKS_PER_PAGE: u64 = 20;

/// Blocks on the overview.
const LATEST_BLOCKS: usize = 10;

/// Differentially private releases on the statistics page.
const DP_RELEASES: usize = 6;

/// The stylesheet's link, with a digest of its content.
fn style_href() -> &'static str {
    static HREF: OnceLock<String> = OnceLock::new();
    HREF.get_or_init(|| format!("{STYLE_PATH}?v={}", &hex::encode(Sha256::digest(STYLE.as_bytes()))[..12]))
}

/// Registers the explorer's pages and its stylesheet, each a resource that
/// answers `GET` and an HTML 405 (with `Allow: GET`) to anything else.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(resource("/", web::get().to(overview)))
        .service(resource("/blocks", web::get().to(blocks)))
        .service(resource("/blocks/{height}", web::get().to(block)))
        .service(resource("/registry", web::get().to(registry)))
        .service(resource("/credentials", web::get().to(credentials)))
        .service(resource("/stats", web::get().to(stats_page)))
        .service(resource("/cluster", web::get().to(cluster)))
        .service(resource(STYLE_PATH, web::get().to(style)));
}

fn resource(path: &str, route: actix_web::Route) -> actix_web::Resource {
    web::resource(path).route(route).default_service(web::to(method_not_allowed))
}

/// An HTML answer with the explorer's security headers.
fn html(status: StatusCode, body: Markup) -> HttpResponse {
    let mut r = HttpResponse::build(status);
    r.insert_header((header::CONTENT_TYPE, HeaderValue::from_static("text/html; charset=utf-8")))
        .insert_header((header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(CSP)))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff")))
        .insert_header((header::REFERRER_POLICY, HeaderValue::from_static("no-referrer")))
        .insert_header((header::CACHE_CONTROL, HeaderValue::from_static("no-cache")));
    r.body(body.into_string())
}

/// A page at 200.
fn ok(chain: &str, nav: Nav, title: &str, content: Markup) -> HttpResponse {
    html(StatusCode::OK, page(chain, nav, title, content))
}

/// An error page with the status of `e`. A 5xx says nothing of its cause;
/// the cause goes to the log.
fn failure(chain: &str, e: &ApiError) -> HttpResponse {
    let status = e.status_code();
    let message = if status.is_server_error() {
        let mut causes = String::new();
        let mut source = std::error::Error::source(e);
        while let Some(cause) = source {
            causes.push_str(": ");
            causes.push_str(&cause.to_string());
            source = cause.source();
        }
        tracing::error!(error = %e, causes = %causes.trim_start_matches(": "), "explorer page failed");
        "The node could not read this page. Try again; if it persists, the node's log says why.".to_owned()
    } else {
        e.to_string()
    };
    let title = status.canonical_reason().unwrap_or("Error");
    html(status, page(chain, Nav::None, title, layout::error(status.as_u16(), &message)))
}

/// The answer to a method a page does not serve.
async fn method_not_allowed(node: web::Data<Node>) -> HttpResponse {
    let mut r = failure(node.chain_id(), &ApiError::MethodNotAllowed { allowed: "GET".into() });
    r.headers_mut().insert(header::ALLOW, HeaderValue::from_static("GET"));
    r
}

/// The stylesheet, cached for a year (its links change with its content).
async fn style() -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, HeaderValue::from_static("text/css; charset=utf-8")))
        .insert_header((header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=31536000, immutable")))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff")))
        .body(STYLE)
}

/// Issuance per day over the default range (the last 30 days).
fn daily(node: &Node) -> Result<crate::dto::stats::DailyStats, ApiError> {
    node.daily_stats(&DailyQuery::default())
}

async fn overview(node: web::Data<Node>) -> HttpResponse {
    let chain = node.chain_id().to_owned();
    let read = blocking(move || {
        let status = node.status()?;
        let blocks = node.recent_blocks(status.height.saturating_add(1), LATEST_BLOCKS)?;
        Ok(Overview { stats: node.stats(), daily: daily(&node)?, blocks, status })
    })
    .await;
    match read {
        Ok(o) => ok(&chain, Nav::Overview, "Overview", pages::overview(&o)),
        Err(e) => failure(&chain, &e),
    }
}

/// `?before=H` of the block list.
#[derive(Deserialize)]
struct BlocksQuery {
    before: Option<String>,
}

/// A height typed by a caller, or a 400 saying what is wrong with it.
fn height(s: &str) -> Result<u64, ApiError> {
    s.trim().parse().map_err(|_| ApiError::bad("bad_number", format!("{s:?} is not a block height (a non-negative integer)")))
}

async fn blocks(node: web::Data<Node>, req: HttpRequest) -> HttpResponse {
    let chain = node.chain_id().to_owned();
    let before = match web::Query::<BlocksQuery>::from_query(req.query_string()) {
        Err(e) => return failure(&chain, &ApiError::bad("bad_query", format!("bad query string: {e}"))),
        Ok(q) => match q.into_inner().before.as_deref().map(height).transpose() {
            Err(e) => return failure(&chain, &e),
            Ok(b) => b,
        },
    };
    let read = blocking(move || {
        let tip = node.height();
        let below = before.unwrap_or(tip.saturating_add(1));
        Ok((node.recent_blocks(below, BLOCKS_PER_PAGE as usize)?, tip, below))
    })
    .await;
    match read {
        Ok((list, tip, below)) => {
            let title = if below > tip { "Blocks".to_owned() } else { format!("Blocks below {below}") };
            ok(&chain, Nav::Blocks, &title, pages::blocks(&list, tip, below, BLOCKS_PER_PAGE))
        }
        Err(e) => failure(&chain, &e),
    }
}

async fn block(node: web::Data<Node>, path: web::Path<String>) -> HttpResponse {
    let chain = node.chain_id().to_owned();
    let h = match height(&path) {
        Ok(h) => h,
        Err(e) => return failure(&chain, &e),
    };
    let read = blocking(move || {
        let tip = node.height();
        if h > tip {
            return Err(ApiError::NotFound(format!("There is no block {h}: the chain's tip is at height {tip}.")));
        }
        Ok((node.block_detail(h)?, tip))
    })
    .await;
    match read {
        Ok((detail, tip)) => ok(&chain, Nav::Blocks, &format!("Block {h}"), pages::block(&detail, tip)),
        Err(e) => failure(&chain, &e),
    }
}

async fn registry(node: web::Data<Node>) -> HttpResponse {
    let chain = node.chain_id().to_owned();
    let r = RegistryPage { issuers: node.issuers(), verifiers: node.verifiers(), schemas: node.schemas(), keys: node.verifying_keys() };
    ok(&chain, Nav::Registry, "Registry", pages::registry(&r))
}

/// `?commitment=HEX` of the credential page.
#[derive(Deserialize)]
struct CredentialQuery {
    commitment: Option<String>,
}

async fn credentials(node: web::Data<Node>, req: HttpRequest) -> HttpResponse {
    let chain = node.chain_id().to_owned();
    let asked = match web::Query::<CredentialQuery>::from_query(req.query_string()) {
        Ok(q) => q.into_inner().commitment.map(|c| c.trim().to_owned()).filter(|c| !c.is_empty()),
        Err(e) => return failure(&chain, &ApiError::bad("bad_query", format!("bad query string: {e}"))),
    };
    let (status, lookup) = match asked {
        None => (StatusCode::OK, Lookup::Empty),
        Some(input) => match input.parse::<Commitment>() {
            Err(_) => {
                let message = "A commitment is 32 bytes of hex: 64 hex digits, with or without 0x.".to_owned();
                (StatusCode::BAD_REQUEST, Lookup::Malformed { input, message })
            }
            Ok(cm) => {
                let commitment = hex::encode(cm.0);
                let node = node.clone();
                match blocking(move || node.credential(&cm)).await {
                    Ok(credential) => (StatusCode::OK, Lookup::Found { commitment, credential }),
                    Err(ApiError::NotFound(_)) => (StatusCode::NOT_FOUND, Lookup::NotFound { commitment }),
                    Err(e) => return failure(&chain, &e),
                }
            }
        },
    };
    html(status, page(&chain, Nav::Credentials, "Credentials", pages::credentials(&lookup)))
}

/// The newest differentially private releases (`GET
/// /v1/stats/private/releases`), as the page draws them.
fn dp_histograms(node: &Node, limit: usize) -> Result<Vec<DpHistogram>, ApiError> {
    Ok(node
        .dp_releases(limit)?
        .into_iter()
        .map(|r| DpHistogram {
            id: r.id,
            dataset: r.dataset,
            attribute: r.attribute,
            analyst: r.analyst,
            time: r.time,
            epsilon: r.epsilon,
            mechanism: r.mechanism,
            scale: r.scale,
            bins: r.bins.into_iter().map(|b| (b.label, b.count)).collect(),
            budget_total: r.budget_total,
            budget_remaining: r.budget_remaining,
        })
        .collect())
}

async fn stats_page(node: web::Data<Node>) -> HttpResponse {
    let chain = node.chain_id().to_owned();
    let read = blocking(move || {
        Ok(StatsPage {
            stats: node.stats(),
            daily: daily(&node)?,
            activity: node.activity_stats(&ActivityQuery::default())?,
            dp: dp_histograms(&node, DP_RELEASES)?,
        })
    })
    .await;
    match read {
        Ok(p) => ok(&chain, Nav::Stats, "Statistics", stats::stats(&p)),
        Err(e) => failure(&chain, &e),
    }
}

async fn cluster(node: web::Data<Node>) -> HttpResponse {
    let chain = node.chain_id().to_owned();
    let status = node.replica().map(|r| r.status());
    let title = if status.is_some() { "Cluster" } else { "Cluster: single node" };
    ok(&chain, Nav::Cluster, title, pages::cluster(status.as_ref()))
}
