//! Raft's messages between nodes: posted over HTTP to the peer's own server
//! (`/internal/raft/*`), the body in postcard, authenticated with an
//! HMAC-SHA256 under the cluster secret (header [`MAC_HEADER`]).
//!
//! The MAC covers the path and the body, so a message cannot be moved to
//! another endpoint or altered. It has no timestamp: Raft is safe when a
//! message is delivered twice or late (a stale term or a log id already
//! held changes nothing), so a replayed message is harmless.

use std::time::Duration;

use openraft::error::{InstallSnapshotError, NetworkError, RPCError, RaftError, RemoteError, Unreachable};
use openraft::network::{RPCOption, RaftNetwork, RaftNetworkFactory};
use openraft::raft::{AppendEntriesRequest, AppendEntriesResponse, InstallSnapshotRequest, InstallSnapshotResponse, VoteRequest, VoteResponse};
use serde::de::DeserializeOwned;
use serde::Serialize;
use zkreg_registry::raft::{ClusterNode, NodeId, TypeConfig};

pub use crate::auth::cluster::{check_mac, mac, MAC_HEADER};

/// Paths of Raft's messages on a node's server.
pub const APPEND_PATH: &str = "/internal/raft/append";
/// See [`APPEND_PATH`].
pub const VOTE_PATH: &str = "/internal/raft/vote";
/// See [`APPEND_PATH`].
pub const SNAPSHOT_PATH: &str = "/internal/raft/snapshot";
/// Where a node sends the leader its signature of a header.
pub const ATTEST_PATH: &str = "/internal/raft/attest";
/// Where a follower asks the leader for a read index.
pub const READ_INDEX_PATH: &str = "/internal/raft/read-index";

/// Posts a MAC'd postcard body to `http://addr{path}` and decodes the
/// postcard answer. Blocking; `Err(None)` when the peer cannot be reached.
pub fn post<Req: Serialize, Resp: DeserializeOwned>(
    agent: &ureq::Agent,
    secret: &[u8; 32],
    addr: &str,
    path: &str,
    req: &Req,
) -> Result<Resp, PostError> {
    let body = postcard::to_allocvec(req).map_err(|e| PostError::Protocol(e.to_string()))?;
    let tag = hex::encode(mac(secret, path, &body));
    let answer = agent
        .post(&format!("http://{addr}{path}"))
        .header("content-type", "application/octet-stream")
        .header(MAC_HEADER, tag)
        .send(&body[..]);
    let mut answer = match answer {
        Ok(a) => a,
        Err(ureq::Error::Io(e)) if matches!(e.kind(), std::io::ErrorKind::ConnectionRefused) => return Err(PostError::Unreachable(e.to_string())),
        Err(ureq::Error::ConnectionFailed) | Err(ureq::Error::HostNotFound) => return Err(PostError::Unreachable("connection failed".into())),
        Err(e) => return Err(PostError::Protocol(e.to_string())),
    };
    let status = answer.status().as_u16();
    let bytes = answer
        .body_mut()
        .with_config()
        .limit(256 << 20)
        .read_to_vec()
        .map_err(|e| PostError::Protocol(e.to_string()))?;
    if status != 200 {
        return Err(PostError::Protocol(format!("{path} answered {status}: {}", String::from_utf8_lossy(&bytes))));
    }
    postcard::from_bytes(&bytes).map_err(|e| PostError::Protocol(format!("{path}: undecodable answer: {e}")))
}

/// Why a post to a peer failed.
#[derive(Debug, thiserror::Error)]
pub enum PostError {
    /// The peer is down or not listening.
    #[error("unreachable: {0}")]
    Unreachable(String),
    /// The peer answered something else than the protocol's answer.
    #[error("{0}")]
    Protocol(String),
}

/// Opens connections to peers.
#[derive(Clone)]
pub struct HttpNetwork {
    secret: [u8; 32],
}

impl HttpNetwork {
    /// The network of a cluster with `secret`.
    pub fn new(secret: [u8; 32]) -> Self {
        HttpNetwork { secret }
    }
}

impl RaftNetworkFactory<TypeConfig> for HttpNetwork {
    type Network = Connection;

    async fn new_client(&mut self, target: NodeId, node: &ClusterNode) -> Connection {
        Connection { secret: self.secret, target, addr: node.addr.clone() }
    }
}

/// Raft's view of one peer.
pub struct Connection {
    secret: [u8; 32],
    target: NodeId,
    addr: String,
}

impl Connection {
    async fn send<Req, Resp, E>(&self, path: &'static str, req: Req, ttl: Duration) -> Result<Resp, RPCError<NodeId, ClusterNode, RaftError<NodeId, E>>>
    where
        Req: Serialize + Send + 'static,
        Resp: DeserializeOwned + Send + 'static,
        E: std::error::Error + DeserializeOwned + Send + 'static,
    {
        let (secret, addr) = (self.secret, self.addr.clone());
        let answer = tokio::task::spawn_blocking(move || {
            let agent: ureq::Agent = ureq::Agent::config_builder().http_status_as_error(false).timeout_global(Some(ttl)).build().into();
            post::<Req, Result<Resp, RaftError<NodeId, E>>>(&agent, &secret, &addr, path, &req)
        })
        .await
        .map_err(|e| RPCError::Network(NetworkError::new(&e)))?;
        match answer {
            Ok(Ok(resp)) => Ok(resp),
            Ok(Err(remote)) => Err(RPCError::RemoteError(RemoteError::new(self.target, remote))),
            Err(e @ PostError::Unreachable(_)) => Err(RPCError::Unreachable(Unreachable::new(&e))),
            Err(e) => Err(RPCError::Network(NetworkError::new(&e))),
        }
    }
}

impl RaftNetwork<TypeConfig> for Connection {
    async fn append_entries(
        &mut self,
        req: AppendEntriesRequest<TypeConfig>,
        option: RPCOption,
    ) -> Result<AppendEntriesResponse<NodeId>, RPCError<NodeId, ClusterNode, RaftError<NodeId>>> {
        self.send(APPEND_PATH, req, option.hard_ttl()).await
    }

    async fn install_snapshot(
        &mut self,
        req: InstallSnapshotRequest<TypeConfig>,
        option: RPCOption,
    ) -> Result<InstallSnapshotResponse<NodeId>, RPCError<NodeId, ClusterNode, RaftError<NodeId, InstallSnapshotError>>> {
        self.send(SNAPSHOT_PATH, req, option.hard_ttl().max(Duration::from_secs(10))).await
    }

    async fn vote(&mut self, req: VoteRequest<NodeId>, option: RPCOption) -> Result<VoteResponse<NodeId>, RPCError<NodeId, ClusterNode, RaftError<NodeId>>> {
        self.send(VOTE_PATH, req, option.hard_ttl()).await
    }
}
