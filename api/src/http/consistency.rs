//! Read consistency. Reads are served from the node's own replica by
//! default (`local`: at most a block interval and a replication round
//! behind the leader). A read that must see every write acknowledged before
//! it was sent asks for `linearizable`, with the query parameter
//! `consistency=linearizable` or the header `x-zkreg-consistency:
//! linearizable`: the node first learns the leader's commit index (the
//! leader confirms with a quorum that it still leads) and waits until it has
//! applied it. A node that runs alone is always linearizable.

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::{Method, Uri};
use actix_web::middleware::Next;
use actix_web::{web, Error};

use crate::error::ApiError;
use crate::service::Node;

/// The header that asks for a read's consistency.
pub const CONSISTENCY_HEADER: &str = "x-zkreg-consistency";
/// The query parameter that asks for a read's consistency.
pub const CONSISTENCY_PARAM: &str = "consistency";

/// How fresh a read must be.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Consistency {
    /// From this node's replica as it is.
    Local,
    /// After everything committed when the read came in.
    Linearizable,
}

fn parse(value: &str) -> Result<Consistency, ApiError> {
    match value {
        "local" => Ok(Consistency::Local),
        "linearizable" => Ok(Consistency::Linearizable),
        other => Err(ApiError::bad("bad_consistency", format!("consistency is `local` or `linearizable`, not `{other}`"))),
    }
}

/// The consistency a request asks for, and its query without the parameter.
fn requested(req: &ServiceRequest) -> Result<(Consistency, Option<String>), ApiError> {
    let mut wanted = match req.headers().get(CONSISTENCY_HEADER) {
        None => None,
        Some(v) => Some(parse(v.to_str().map_err(|_| ApiError::bad("bad_consistency", "the consistency header is not text"))?)?),
    };
    let Some(query) = req.uri().query() else { return Ok((wanted.unwrap_or(Consistency::Local), None)) };
    let mut rest = Vec::new();
    let mut found = false;
    for pair in query.split('&') {
        match pair.split_once('=') {
            Some((CONSISTENCY_PARAM, v)) => {
                let from_query = parse(v)?;
                if wanted.is_some_and(|w| w != from_query) {
                    return Err(ApiError::bad("bad_consistency", "the consistency header and parameter disagree"));
                }
                wanted = Some(from_query);
                found = true;
            }
            _ => rest.push(pair),
        }
    }
    Ok((wanted.unwrap_or(Consistency::Local), found.then(|| rest.join("&"))))
}

/// Middleware: waits before a linearizable `GET` and takes the parameter
/// out of the query, so that the route sees only its own parameters.
pub async fn consistent_reads(mut req: ServiceRequest, next: Next<impl MessageBody>) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let (wanted, rest) = requested(&req)?;
    if let Some(rest) = rest {
        let path = req.uri().path().to_owned();
        let uri = if rest.is_empty() { path } else { format!("{path}?{rest}") };
        req.head_mut().uri = uri.parse::<Uri>().map_err(|e| ApiError::bad("bad_query", e))?;
    }
    if wanted == Consistency::Linearizable && req.method() == Method::GET {
        if let Some(node) = req.app_data::<web::Data<Node>>().cloned() {
            web::block(move || node.linearize()).await.map_err(|e| ApiError::caused("a blocking task", e))??;
        }
    }
    next.call(req).await
}
