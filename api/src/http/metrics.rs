//! The access log and the request metrics: every request counted and timed
//! by method, matched route pattern and status.

use std::time::Instant;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::{web, Error};

use crate::metrics::UNMATCHED_ROUTE;
use crate::service::Node;

/// Middleware (for [`actix_web::middleware::from_fn`]) counting and timing
/// every request by method, matched route pattern and status.
pub async fn track_requests(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let started = Instant::now();
    let method = req.method().as_str().to_owned();
    let node = req.app_data::<web::Data<Node>>().cloned();
    let result = next.call(req).await;
    if let Some(node) = node {
        let (route, status) = match &result {
            Ok(res) => (res.request().match_pattern(), res.status().as_u16()),
            Err(e) => (None, e.as_response_error().status_code().as_u16()),
        };
        let route = route.unwrap_or_else(|| UNMATCHED_ROUTE.to_owned());
        let elapsed = started.elapsed();
        node.metrics().observe_request(&method, &route, status, elapsed);
        // The access log, by route pattern: never a leaf index or a commitment.
        let micros = elapsed.as_micros() as u64;
        if status >= 500 {
            tracing::warn!(%method, %route, status, micros, "request failed");
        } else {
            tracing::debug!(%method, %route, status, micros, "request");
        }
    }
    result
}
