//! The cluster's own calls: Raft's messages between nodes, the read index
//! a follower asks the leader for, linearizable reads, and administration
//! (init, add a learner, change the membership, status). Node-to-node
//! messages and administration are authenticated with the cluster secret
//! ([`replication::network::check_mac`]); status is public.

use std::time::Duration;

use openraft::raft::{AppendEntriesRequest, InstallSnapshotRequest, VoteRequest};
use serde::{Deserialize, Serialize};
use zkreg_registry::raft::{NodeId, TypeConfig};

use super::replication::{network, Replica};
use crate::dto::{AddLearner, ChangeMembership, ClusterStatus, InitCluster};
use super::Node;
use crate::error::ApiError;

/// Raft's messages a peer may post.
#[derive(Clone, Copy, Debug)]
pub enum RaftMessage {
    /// `AppendEntries` (and heartbeats).
    Append,
    /// `RequestVote`.
    Vote,
    /// A chunk of a snapshot.
    Snapshot,
    /// A follower asking the leader for a read index.
    ReadIndex,
    /// A node's signature of a header, for the leader's next batch.
    Attest,
}

impl RaftMessage {
    /// Its path (the MAC covers it).
    pub fn path(self) -> &'static str {
        match self {
            RaftMessage::Append => network::APPEND_PATH,
            RaftMessage::Vote => network::VOTE_PATH,
            RaftMessage::Snapshot => network::SNAPSHOT_PATH,
            RaftMessage::ReadIndex => network::READ_INDEX_PATH,
            RaftMessage::Attest => network::ATTEST_PATH,
        }
    }
}

/// A cluster administration call, authenticated.
#[derive(Debug)]
pub enum Admin {
    /// See [`InitCluster`].
    Init(InitCluster),
    /// See [`AddLearner`].
    AddLearner(AddLearner),
    /// See [`ChangeMembership`].
    ChangeMembership(ChangeMembership),
}

fn decode<T: for<'de> Deserialize<'de>>(body: &[u8]) -> Result<T, ApiError> {
    postcard::from_bytes(body).map_err(|e| ApiError::bad("bad_message", format!("undecodable cluster message: {e}")))
}

fn encode<T: Serialize>(v: &T) -> Result<Vec<u8>, ApiError> {
    postcard::to_allocvec(v).map_err(|e| ApiError::caused("encoding a cluster answer", e))
}

impl Node {
    fn replica_or_refuse(&self) -> Result<&Replica, ApiError> {
        self.replica().ok_or_else(|| ApiError::NotFound("this node runs alone, not in a cluster".into()))
    }

    /// Checks a cluster call's MAC (`tag`, hex) over `path` and `body`.
    pub fn authenticate_cluster(&self, path: &str, body: &[u8], tag: Option<&str>) -> Result<&Replica, ApiError> {
        let replica = self.replica_or_refuse()?;
        let tag = tag.ok_or_else(|| ApiError::Unauthenticated { code: "missing_cluster_mac", message: format!("cluster calls carry `{}`", network::MAC_HEADER) })?;
        if !network::check_mac(replica.secret(), path, body, tag) {
            return Err(ApiError::Unauthenticated { code: "bad_cluster_mac", message: "the cluster MAC does not verify".into() });
        }
        Ok(replica)
    }

    /// Handles one of Raft's messages from a peer; the answer is postcard.
    pub async fn raft_message(&self, kind: RaftMessage, body: &[u8], tag: Option<&str>) -> Result<Vec<u8>, ApiError> {
        let replica = self.authenticate_cluster(kind.path(), body, tag)?;
        let raft = replica.raft().clone();
        match kind {
            RaftMessage::Append => encode(&raft.append_entries(decode::<AppendEntriesRequest<TypeConfig>>(body)?).await),
            RaftMessage::Vote => encode(&raft.vote(decode::<VoteRequest<NodeId>>(body)?).await),
            RaftMessage::Snapshot => encode(&raft.install_snapshot(decode::<InstallSnapshotRequest<TypeConfig>>(body)?).await),
            RaftMessage::Attest => {
                replica.accept_attestation(decode(body)?);
                encode(&())
            }
            RaftMessage::ReadIndex => {
                decode::<()>(body)?;
                let index = replica.local_read_index().map(Some).map_err(|e| e.to_string());
                encode(&index)
            }
        }
    }

    /// Makes the next read linearizable: waits until this node has applied
    /// everything committed when the call came (the leader's read index,
    /// confirmed by a quorum), and published it. A node alone is always up
    /// to date.
    pub fn linearize(&self) -> Result<(), ApiError> {
        let Some(replica) = self.replica() else { return Ok(()) };
        let index = replica.read_index()?;
        replica.wait_applied(index, Duration::from_secs(3))?;
        let height = self.with_ledger(|l| l.height());
        if !self.wait_for_block_after(height.saturating_sub(1), Duration::from_secs(3)) {
            return Err(ApiError::Retry { code: "replica_behind", message: "this node has not published its latest block in time".into(), retry_after: 1 });
        }
        Ok(())
    }

    /// The cluster as this node sees it.
    pub fn cluster_status(&self) -> Result<ClusterStatus, ApiError> {
        Ok(self.replica_or_refuse()?.status())
    }

    /// Runs an authenticated administration call.
    pub fn administer(&self, call: Admin) -> Result<ClusterStatus, ApiError> {
        let replica = self.replica_or_refuse()?;
        match call {
            Admin::Init(init) => {
                if init.members.is_empty() {
                    return Err(ApiError::bad("bad_membership", "a cluster needs at least one member"));
                }
                replica.initialize(init.members)?
            }
            Admin::AddLearner(add) => replica.add_learner(add.id, add.addr)?,
            Admin::ChangeMembership(change) => {
                if change.voters.is_empty() {
                    return Err(ApiError::bad("bad_membership", "a cluster needs at least one voter"));
                }
                replica.change_membership(change.voters, change.retain)?
            }
        }
        Ok(replica.status())
    }
}
