//! The cluster's routes: Raft's messages between nodes under `/internal`
//! (postcard bodies, MAC'd with the cluster secret), administration under
//! `/v1/cluster` (JSON, MAC'd likewise) and the public status.

use actix_web::{web, HttpRequest, HttpResponse};

use super::{blocking, Result};
use crate::auth::cluster::MAC_HEADER;
use crate::dto::{AddLearner, ChangeMembership, ClusterStatus, InitCluster};
use crate::service::cluster::{Admin, RaftMessage};
use crate::service::Node;

fn mac_of(req: &HttpRequest) -> Option<String> {
    req.headers().get(MAC_HEADER).and_then(|v| v.to_str().ok()).map(str::to_owned)
}

async fn message(node: web::Data<Node>, req: HttpRequest, body: web::Bytes, kind: RaftMessage) -> Result<HttpResponse> {
    let answer = node.raft_message(kind, &body, mac_of(&req).as_deref()).await?;
    Ok(HttpResponse::Ok().content_type("application/octet-stream").body(answer))
}

/// Raft `AppendEntries` from the leader.
pub async fn append(node: web::Data<Node>, req: HttpRequest, body: web::Bytes) -> Result<HttpResponse> {
    message(node, req, body, RaftMessage::Append).await
}

/// Raft `RequestVote` from a candidate.
pub async fn vote(node: web::Data<Node>, req: HttpRequest, body: web::Bytes) -> Result<HttpResponse> {
    message(node, req, body, RaftMessage::Vote).await
}

/// A snapshot chunk from the leader.
pub async fn snapshot(node: web::Data<Node>, req: HttpRequest, body: web::Bytes) -> Result<HttpResponse> {
    message(node, req, body, RaftMessage::Snapshot).await
}

/// A node's signature of a header, for the leader's next batch.
pub async fn attest(node: web::Data<Node>, req: HttpRequest, body: web::Bytes) -> Result<HttpResponse> {
    message(node, req, body, RaftMessage::Attest).await
}

/// A follower asking the leader for a read index.
pub async fn read_index(node: web::Data<Node>, req: HttpRequest, body: web::Bytes) -> Result<HttpResponse> {
    // The leader confirms its leadership with a quorum: off the async workers.
    let tag = mac_of(&req);
    let answer = node.raft_message(RaftMessage::ReadIndex, &body, tag.as_deref());
    Ok(HttpResponse::Ok().content_type("application/octet-stream").body(answer.await?))
}

/// The cluster as this node sees it: its id and role, the leader, the term,
/// its last log and applied index, the members and (on the leader) each
/// one's lag in entries.
#[utoipa::path(get, path = "/v1/cluster/status", operation_id = "cluster_status", tag = "cluster", responses(
    (status = 200, body = ClusterStatus),
    (status = 404, description = "`not_found`: this node runs alone", body = crate::dto::ErrorBody),
))]
pub async fn status(node: web::Data<Node>) -> Result<HttpResponse> {
    Ok(HttpResponse::Ok().json(node.cluster_status()?))
}

async fn admin<T: serde::de::DeserializeOwned>(node: web::Data<Node>, req: HttpRequest, body: web::Bytes, wrap: fn(T) -> Admin) -> Result<HttpResponse> {
    node.authenticate_cluster(req.path(), &body, mac_of(&req).as_deref())?;
    let call = wrap(serde_json::from_slice::<T>(&body).map_err(|e| crate::error::ApiError::bad("bad_json", e))?);
    let status = blocking(move || node.administer(call)).await?;
    Ok(HttpResponse::Ok().json(status))
}

/// Initialises a new cluster with its first voters (once, on one node).
/// Authenticated with the cluster secret (`x-zkreg-cluster-mac`).
#[utoipa::path(post, path = "/v1/cluster/init", operation_id = "cluster_init", tag = "cluster", request_body = InitCluster, responses(
    (status = 200, body = ClusterStatus),
    (status = 401, description = "`missing_cluster_mac`, `bad_cluster_mac`", body = crate::dto::ErrorBody),
    (status = 422, description = "`cluster_initialized`", body = crate::dto::ErrorBody),
))]
pub async fn init(node: web::Data<Node>, req: HttpRequest, body: web::Bytes) -> Result<HttpResponse> {
    admin(node, req, body, Admin::Init).await
}

/// Adds a learner and answers once it has caught up (by snapshot if it is
/// far behind). On the leader only (503 `not_leader` names it).
#[utoipa::path(post, path = "/v1/cluster/learners", tag = "cluster", request_body = AddLearner, responses(
    (status = 200, body = ClusterStatus),
    (status = 401, description = "`missing_cluster_mac`, `bad_cluster_mac`", body = crate::dto::ErrorBody),
    (status = 503, description = "`not_leader`", body = crate::dto::ErrorBody),
))]
pub async fn add_learner(node: web::Data<Node>, req: HttpRequest, body: web::Bytes) -> Result<HttpResponse> {
    admin(node, req, body, Admin::AddLearner).await
}

/// Replaces the voters (joint consensus). On the leader only.
#[utoipa::path(post, path = "/v1/cluster/membership", tag = "cluster", request_body = ChangeMembership, responses(
    (status = 200, body = ClusterStatus),
    (status = 401, description = "`missing_cluster_mac`, `bad_cluster_mac`", body = crate::dto::ErrorBody),
    (status = 422, description = "`bad_membership`", body = crate::dto::ErrorBody),
    (status = 503, description = "`not_leader`", body = crate::dto::ErrorBody),
))]
pub async fn change_membership(node: web::Data<Node>, req: HttpRequest, body: web::Bytes) -> Result<HttpResponse> {
    admin(node, req, body, Admin::ChangeMembership).await
}
