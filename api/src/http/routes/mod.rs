//! The routes, grouped by who calls them: [`public`] reads, the
//! [`regulator`]'s signed transactions, the [`bank`] endpoints (signed
//! calls, see [`crate::auth`]) and [`operations`]. Versioned under `/v1`;
//! each handler's `#[utoipa::path]` feeds the OpenAPI document
//! ([`super::openapi`]). A handler turns HTTP into one call of the service
//! layer ([`crate::service::Node`]) and the answer back, nothing more.

use actix_web::http::Method;
use actix_web::{web, FromRequest, Handler, HttpRequest, HttpResponse, Responder};

use crate::error::ApiError;

pub mod bank;
pub mod cluster;
pub mod dp;
pub mod governance;
pub mod operations;
pub mod private;
pub mod public;
pub mod regulator;

type Result<T> = std::result::Result<T, ApiError>;

/// Registers every route, and the extractor settings that turn a bad query
/// string or path segment into a JSON `{code, message}` 400.
///
/// Each path is a resource of its own whose default service answers a JSON
/// 405 `method_not_allowed` with an `Allow` header (actix's default is an
/// empty body); paths that match nothing get a JSON 404 `not_found`.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.app_data(web::QueryConfig::default().error_handler(query_error))
        .app_data(web::PathConfig::default().error_handler(path_error))
        .service(endpoint("/healthz", Method::GET, operations::healthz))
        .service(endpoint("/readyz", Method::GET, operations::readyz))
        .service(endpoint("/metrics", Method::GET, operations::metrics))
        .service(
            // Raft's messages: snapshots come in chunks of a few MiB.
            web::scope("/internal/raft")
                .app_data(web::PayloadConfig::new(64 << 20))
                .service(endpoint("/append", Method::POST, cluster::append))
                .service(endpoint("/vote", Method::POST, cluster::vote))
                .service(endpoint("/snapshot", Method::POST, cluster::snapshot))
                .service(endpoint("/read-index", Method::POST, cluster::read_index))
                .service(endpoint("/attest", Method::POST, cluster::attest)),
        )
        .service(
            web::scope("/v1")
                .service(endpoint("/openapi.json", Method::GET, operations::openapi))
                .service(endpoint("/status", Method::GET, public::status))
                .service(endpoint("/blocks/{height}", Method::GET, public::block))
                .service(endpoint("/transactions", Method::POST, regulator::submit))
                .service(endpoint("/transactions/{id}", Method::GET, public::receipt))
                .service(endpoint("/issuers", Method::GET, public::issuers))
                .service(endpoint("/verifiers", Method::GET, public::verifiers))
                .service(endpoint("/schemas", Method::GET, public::schemas))
                .service(endpoint("/verifying-keys", Method::GET, public::verifying_keys))
                .service(endpoint("/roots", Method::GET, public::roots))
                .service(endpoint("/paths/{leaf}", Method::GET, public::path))
                .service(endpoint("/buckets/{leaf}", Method::GET, public::bucket))
                .service(endpoint("/credentials/{commitment}", Method::GET, public::credential))
                .service(endpoint("/stats", Method::GET, public::stats))
                .service(endpoint("/stats/daily", Method::GET, public::daily_stats))
                .service(endpoint("/stats/activity", Method::GET, public::activity_stats))
                .service(endpoint("/governance/proposals", Method::GET, governance::proposals))
                .service(endpoint("/governance/proposals/{id}", Method::GET, governance::proposal))
                .service(endpoint("/anchors/{record_hash}", Method::GET, public::anchor))
                .service(endpoint("/audit-events/{key}", Method::GET, public::audit_events))
                .service(endpoint("/cluster/status", Method::GET, cluster::status))
                .service(endpoint("/cluster/init", Method::POST, cluster::init))
                .service(endpoint("/cluster/learners", Method::POST, cluster::add_learner))
                .service(endpoint("/cluster/membership", Method::POST, cluster::change_membership))
                .service(endpoint("/requests", Method::POST, bank::create_request))
                .service(endpoint("/presentations/verify", Method::POST, bank::verify))
                .service(endpoint("/presentations/verify-batch", Method::POST, bank::verify_batch))
                .service(
                    web::resource("/private/records")
                        .route(web::post().to(private::put_record))
                        .route(web::get().to(private::list_records))
                        .default_service(web::to(|| async {
                            Err::<HttpResponse, _>(ApiError::MethodNotAllowed { allowed: "GET, POST".into() })
                        })),
                )
                .service(endpoint("/private/records/mine", Method::GET, private::my_records))
                .service(endpoint("/private/records/{id}", Method::GET, private::read_record))
                .service(endpoint("/private/records/{id}/hold", Method::POST, private::hold_record))
                .service(endpoint("/private/records/{id}/purge", Method::POST, private::purge_record))
                .service(endpoint("/private/grants", Method::POST, private::grant))
                .service(endpoint("/private/rotate", Method::POST, private::rotate))
                .service(endpoint("/private/audit", Method::GET, private::audit))
                .service(endpoint("/stats/private/analysts", Method::POST, dp::grant_analyst))
                .service(endpoint("/stats/private/query", Method::POST, dp::query))
                .service(endpoint("/stats/private/budget", Method::GET, dp::budget))
                .service(endpoint("/stats/private/releases", Method::GET, dp::releases)),
        )
        // The web explorer's HTML pages at `/` (GET only), see `crate::http::explorer`.
        .configure(crate::http::explorer::configure)
        .default_service(web::route().to(not_found));
}

/// A resource at `path` answering `method` with `handler`, and any other
/// method with a JSON 405 naming `method` in `Allow`.
fn endpoint<F, Args>(path: &str, method: Method, handler: F) -> actix_web::Resource
where
    F: Handler<Args>,
    Args: FromRequest + 'static,
    F::Output: Responder + 'static,
{
    let allowed = method.clone();
    web::resource(path).route(web::method(method).to(handler)).default_service(web::to(move || {
        let allowed = allowed.clone();
        async move { Err::<HttpResponse, _>(ApiError::MethodNotAllowed { allowed: allowed.to_string() }) }
    }))
}

/// Maps query-string errors (`?levels=abc`, `?levels=-1`, unknown fields) to 400 `bad_query`.
pub fn query_error(err: actix_web::error::QueryPayloadError, _req: &HttpRequest) -> actix_web::Error {
    ApiError::bad("bad_query", format!("bad query string: {err}")).into()
}

/// Maps path-segment errors to 400 `bad_path`.
pub fn path_error(err: actix_web::error::PathError, _req: &HttpRequest) -> actix_web::Error {
    ApiError::bad("bad_path", format!("bad path segment: {err}")).into()
}

/// Maps JSON body errors to `{code, message}`.
pub fn json_error(err: actix_web::error::JsonPayloadError, _req: &HttpRequest) -> actix_web::Error {
    use actix_web::error::JsonPayloadError as E;
    let api = match &err {
        E::OverflowKnownLength { .. } | E::Overflow { .. } => ApiError::TooLarge,
        E::ContentType => ApiError::bad("bad_content_type", "expected Content-Type: application/json"),
        E::Deserialize(e) => ApiError::bad("bad_json", e),
        other => ApiError::bad("bad_json", other),
    };
    api.into()
}

async fn not_found() -> Result<HttpResponse> {
    Err(ApiError::NotFound("no such route".into()))
}

/// Runs blocking service work (the ledger's lock, disk, proofs) off the
/// HTTP workers, so a worker waiting for it does not stall the calls it serves.
pub(crate) async fn blocking<T: Send + 'static>(work: impl FnOnce() -> Result<T> + Send + 'static) -> Result<T> {
    web::block(work).await.map_err(|e| ApiError::caused("a blocking task", e))?
}
