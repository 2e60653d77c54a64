//! Prometheus metrics, served at `GET /metrics` in the text exposition format.
//!
//! Each node has its own [`prometheus::Registry`] (not the process-wide
//! default one), so several nodes in one process — as in the tests — keep
//! separate counts. Every label takes few values: HTTP requests are labelled
//! by the matched route pattern (`/v1/paths/{leaf}`), never the raw path, and
//! verifications by `verified` or the error's stable code.

use std::time::Duration;

use prometheus::{Encoder, HistogramOpts, HistogramVec, IntCounter, IntCounterVec, IntGauge, IntGaugeVec, Opts, Registry, TextEncoder};

use zkreg_registry::state::Receipt;
use zkreg_registry::{BlockHeader, SignedTransaction, TxBody};

/// The `Content-Type` of `GET /metrics`.
pub const CONTENT_TYPE: &str = "text/plain; version=0.0.4";

/// The `route` label of a request that matched no route (the 404 fallback).
pub const UNMATCHED_ROUTE: &str = "unmatched";

/// The `result` label of a presentation that verified.
pub const VERIFIED: &str = "verified";

/// One node's metrics and the registry that exposes them.
pub struct NodeMetrics {
    registry: Registry,
    http_requests: IntCounterVec,
    http_duration: HistogramVec,
    verifications: IntCounterVec,
    issuances: IntCounter,
    revocations: IntCounter,
    block_height: IntGauge,
    mempool_pending: IntGauge,
    leaf_count: IntGauge,
    seen_nonces: IntGauge,
    raft: RaftGauges,
}

/// The replica's Raft state (absent from a node that runs alone).
struct RaftGauges {
    term: IntGauge,
    leader: IntGauge,
    is_leader: IntGauge,
    last_log_index: IntGauge,
    applied_index: IntGauge,
    commit_index: IntGauge,
    lag: IntGaugeVec,
}

impl std::fmt::Debug for NodeMetrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NodeMetrics").finish_non_exhaustive()
    }
}

impl NodeMetrics {
    /// Creates the metrics in a fresh registry. Fails only if two metrics
    /// share a name (a bug here, not a runtime condition).
    pub fn new() -> Result<Self, prometheus::Error> {
        let registry = Registry::new();
        let http_requests = IntCounterVec::new(
            Opts::new("zkreg_http_requests_total", "HTTP requests answered, by method, matched route and status."),
            &["method", "route", "status"],
        )?;
        let http_duration = HistogramVec::new(
            HistogramOpts::new("zkreg_http_request_duration_seconds", "Time to produce an HTTP response, by matched route."),
            &["route"],
        )?;
        let verifications = IntCounterVec::new(
            Opts::new("zkreg_verifications_total", "Presentations verified: `verified` or the refusal's code."),
            &["result"],
        )?;
        let issuances = IntCounter::new("zkreg_issuances_total", "Credentials issued by applied transactions (either backend).")?;
        let revocations = IntCounter::new("zkreg_revocations_total", "Credentials revoked by applied transactions.")?;
        let block_height = IntGauge::new("zkreg_block_height", "Height of the last applied block.")?;
        let mempool_pending = IntGauge::new("zkreg_mempool_pending", "Transactions waiting for a block.")?;
        let leaf_count = IntGauge::new("zkreg_leaf_count", "Leaves in the commitment tree at the tip.")?;
        let seen_nonces = IntGauge::new("zkreg_seen_nonces", "(key, nonce) pairs of signed bank calls in the replay cache.")?;
        registry.register(Box::new(http_requests.clone()))?;
        registry.register(Box::new(http_duration.clone()))?;
        registry.register(Box::new(verifications.clone()))?;
        registry.register(Box::new(issuances.clone()))?;
        registry.register(Box::new(revocations.clone()))?;
        registry.register(Box::new(block_height.clone()))?;
        registry.register(Box::new(mempool_pending.clone()))?;
        registry.register(Box::new(leaf_count.clone()))?;
        registry.register(Box::new(seen_nonces.clone()))?;
        let raft = RaftGauges {
            term: IntGauge::new("zkreg_raft_term", "The replica's current Raft term.")?,
            leader: IntGauge::new("zkreg_raft_leader", "The id of the leader this replica knows of (-1: none).")?,
            is_leader: IntGauge::new("zkreg_raft_is_leader", "1 if this replica leads.")?,
            last_log_index: IntGauge::new("zkreg_raft_last_log_index", "The last index in this replica's Raft log.")?,
            applied_index: IntGauge::new("zkreg_raft_applied_index", "The last Raft index this replica applied.")?,
            commit_index: IntGauge::new("zkreg_raft_commit_index", "On the leader: the highest Raft index a majority of the voters holds.")?,
            lag: IntGaugeVec::new(Opts::new("zkreg_raft_replication_lag", "On the leader: entries each member lacks."), &["node"])?,
        };
        Ok(NodeMetrics {
            registry,
            http_requests,
            http_duration,
            verifications,
            issuances,
            revocations,
            block_height,
            mempool_pending,
            leaf_count,
            seen_nonces,
            raft,
        })
    }

    /// Registers the Raft gauges (a node in a cluster) and sets them from `status`.
    pub fn set_cluster(&self, status: &crate::dto::ClusterStatus) {
        let r = &self.raft;
        if !self.registry.gather().iter().any(|f| f.name() == "zkreg_raft_term") {
            for g in [&r.term, &r.leader, &r.is_leader, &r.last_log_index, &r.applied_index, &r.commit_index] {
                let _ = self.registry.register(Box::new(g.clone()));
            }
            let _ = self.registry.register(Box::new(r.lag.clone()));
        }
        r.term.set(status.term as i64);
        r.leader.set(status.leader.map_or(-1, |l| l as i64));
        r.is_leader.set(i64::from(status.leader == Some(status.node_id)));
        r.last_log_index.set(status.last_log_index.unwrap_or(0) as i64);
        r.applied_index.set(status.applied_index.unwrap_or(0) as i64);
        if let Some(commit) = status.commit_index {
            r.commit_index.set(commit as i64);
        }
        r.lag.reset();
        for m in &status.members {
            if let Some(lag) = m.lag {
                r.lag.with_label_values(&[&m.id.to_string()]).set(lag as i64);
            }
        }
    }

    /// Records one answered HTTP request. `route` must be a route pattern
    /// (or [`UNMATCHED_ROUTE`]), never a raw path.
    pub fn observe_request(&self, method: &str, route: &str, status: u16, elapsed: Duration) {
        self.http_requests.with_label_values(&[method, route, &status.to_string()]).inc();
        self.http_duration.with_label_values(&[route]).observe(elapsed.as_secs_f64());
    }

    /// Records one verification: [`VERIFIED`] or the refusal's stable code.
    pub fn record_verification(&self, result: &str) {
        self.verifications.with_label_values(&[result]).inc();
    }

    /// Counts the issuances and revocations an applied block carried out.
    /// `txs` are the block's transactions, `receipts` their receipts; only
    /// transactions whose receipt has no error count.
    pub fn record_block(&self, txs: &[SignedTransaction], receipts: &[Receipt]) {
        for receipt in receipts.iter().filter(|r| r.error.is_none()) {
            match txs.get(receipt.index as usize).map(|t| &t.tx.body) {
                Some(TxBody::IssueCredential { .. } | TxBody::IssueRangeCredential { .. }) => self.issuances.inc(),
                Some(TxBody::Revoke { .. }) => self.revocations.inc(),
                _ => {}
            }
        }
    }

    /// Sets the chain gauges from the tip.
    pub fn set_tip(&self, tip: &BlockHeader) {
        self.block_height.set(saturating_i64(tip.height));
        self.leaf_count.set(saturating_i64(tip.leaf_count));
    }

    /// Sets the number of transactions waiting for a block.
    pub fn set_pending(&self, pending: usize) {
        self.mempool_pending.set(saturating_i64(pending as u64));
    }

    /// Sets the number of (key, nonce) pairs in the replay cache.
    pub fn set_seen_nonces(&self, held: usize) {
        self.seen_nonces.set(saturating_i64(held as u64));
    }

    /// Every metric in the text exposition format.
    pub fn render(&self) -> Result<String, prometheus::Error> {
        let mut out = Vec::new();
        TextEncoder::new().encode(&self.registry.gather(), &mut out)?;
        String::from_utf8(out).map_err(|e| prometheus::Error::Msg(e.to_string()))
    }
}

fn saturating_i64(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_every_metric_with_its_labels() {
        let m = NodeMetrics::new().unwrap();
        m.observe_request("GET", "/v1/paths/{leaf}", 200, Duration::from_millis(3));
        m.record_verification(VERIFIED);
        m.record_verification("challenge_unknown");
        m.set_pending(2);
        let text = m.render().unwrap();
        assert!(text.contains(r#"zkreg_http_requests_total{method="GET",route="/v1/paths/{leaf}",status="200"} 1"#), "{text}");
        assert!(text.contains(r#"zkreg_http_request_duration_seconds_count{route="/v1/paths/{leaf}"} 1"#), "{text}");
        assert!(text.contains(r#"zkreg_verifications_total{result="verified"} 1"#), "{text}");
        assert!(text.contains(r#"zkreg_verifications_total{result="challenge_unknown"} 1"#), "{text}");
        assert!(text.contains("zkreg_mempool_pending 2"), "{text}");
        assert!(text.contains("zkreg_issuances_total 0"), "{text}");
        assert!(!text.contains(r#"result="forbidden""#), "{text}");
    }

    #[test]
    fn two_nodes_keep_separate_counts() {
        let a = NodeMetrics::new().unwrap();
        let b = NodeMetrics::new().unwrap();
        a.record_verification(VERIFIED);
        assert!(a.render().unwrap().contains(r#"zkreg_verifications_total{result="verified"} 1"#));
        assert!(!b.render().unwrap().contains("result=\"verified\""));
    }
}
