//! The node's background work: a block is cut, applied and flushed every
//! block interval (or as soon as a full block waits), and what expired (proof
//! requests, nonces) is pruned once a minute on a thread of its own, so that
//! a scan of the request book never delays a block.

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use zkreg_registry::{AppliedBlock, Ledger};

use super::{now_secs, replication, Chain, Node};
use crate::error::ApiError;

/// How often the node forgets proof requests long expired and expired nonces.
const PRUNE_INTERVAL: Duration = Duration::from_secs(60);

impl Node {
    /// Cuts one block from the mempool if anything waits, applies it and
    /// flushes it, then refreshes the snapshot and the metrics.
    pub fn produce_block(&self) -> Result<(), ApiError> {
        let producer = match &self.chain {
            Chain::Single(producer) => producer,
            Chain::Replicated(replica) => {
                // The state machine applies; the applier thread publishes.
                let produced = replica.produce(now_secs());
                self.metrics.set_pending(replica.pending());
                return produced;
            }
        };
        let mut producer = producer.lock().unwrap_or_else(|e| e.into_inner());
        let applied = producer.produce_block(now_secs())?;
        self.metrics.set_pending(producer.pending());
        let Some(block) = applied else { return Ok(()) };
        self.publish(producer.ledger(), Some(&block))
    }

    /// Publishes what a replica's state machine applied (a block, or a
    /// snapshot installed).
    fn publish_applied(&self, event: replication::AppliedEvent) {
        let published = self.with_ledger(|ledger| self.publish(ledger, event.as_ref()));
        if let Err(e) = published {
            tracing::error!(error = %e, "publishing an applied block failed");
        }
        if let (Some(replica), Some(block)) = (self.replica(), &event) {
            replica.attest(&block.header);
        }
    }

    /// Takes a new snapshot of `ledger` after `block` (if any) and counts it in the metrics.
    fn publish(&self, ledger: &Ledger, block: Option<&AppliedBlock>) -> Result<(), ApiError> {
        self.refresh(ledger)?;
        let Some(block) = block else { return Ok(()) };
        let refused = block.receipts.iter().filter(|r| r.error.is_some()).count();
        tracing::debug!(height = block.header.height, txs = block.receipts.len(), refused, leaves = block.header.leaf_count, "block applied");
        // The receipts say which transactions applied; the block's
        // transactions say what they were.
        match ledger.block_txs(block.header.height) {
            Ok(txs) => self.metrics.record_block(&txs.unwrap_or_default(), &block.receipts),
            Err(e) => tracing::warn!(error = %e, height = block.header.height, "block not counted in the metrics"),
        }
        Ok(())
    }

    /// Forgets proof requests long expired and nonces out of the signature window.
    pub fn prune(&self) {
        match self.requests.prune(now_secs()) {
            Ok(n) if n > 0 => tracing::info!(forgotten = n, "expired proof requests pruned"),
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "pruning expired proof requests failed"),
        }
        // Expired nonces also go as calls come; this is for a quiet node.
        self.admission.prune(now_secs());
        self.metrics.set_seen_nonces(self.admission.len());
    }

    /// Whether [`Workers::stop`] was called.
    fn stopping(&self) -> bool {
        self.stop.load(Ordering::SeqCst)
    }
}

/// The block producer's and the pruner's threads.
pub struct Workers {
    node: Arc<Node>,
    threads: Vec<JoinHandle<()>>,
}

impl Workers {
    /// Starts both threads for `node`.
    pub fn start(node: Arc<Node>) -> Self {
        let producer = {
            let node = node.clone();
            std::thread::spawn(move || loop {
                std::thread::sleep(node.config.block_interval);
                if let Err(e) = node.produce_block() {
                    tracing::error!(error = %e, "block production failed");
                }
                if node.stopping() {
                    // What was admitted before the stop goes into a last block.
                    if let Err(e) = node.produce_block() {
                        tracing::error!(error = %e, "the last block failed");
                    }
                    break;
                }
            })
        };
        let pruner = {
            let node = node.clone();
            std::thread::spawn(move || {
                let mut last_prune = Instant::now();
                while !node.stopping() {
                    std::thread::sleep(Duration::from_millis(200));
                    if last_prune.elapsed() >= PRUNE_INTERVAL {
                        last_prune = Instant::now();
                        node.prune();
                    }
                }
            })
        };
        let mut threads = vec![producer, pruner];
        if node.private.is_some() {
            // The audit log's head goes on the ledger once per block in
            // which the log grew (each anchor waits for its block).
            let node = node.clone();
            threads.push(std::thread::spawn(move || {
                let mut seen = node.view().tip.height;
                while !node.stopping() {
                    if node.wait_for_block_after(seen, Duration::from_millis(200)) {
                        seen = node.view().tip.height;
                    }
                    if let Err(e) = node.anchor_audit_head() {
                        tracing::warn!(error = %e, "anchoring the audit log's head failed; retrying after the next block");
                    }
                }
                // A last anchor for what the log gained before the stop.
                if let Err(e) = node.anchor_audit_head() {
                    tracing::warn!(error = %e, "the last anchor of the audit log's head failed");
                }
            }));
        }
        let events = node.applied_events.lock().unwrap_or_else(|e| e.into_inner()).take();
        if let Some(events) = events {
            let node = node.clone();
            threads.push(std::thread::spawn(move || loop {
                match events.recv_timeout(Duration::from_millis(200)) {
                    Ok(event) => node.publish_applied(event),
                    Err(std::sync::mpsc::RecvTimeoutError::Timeout) if !node.stopping() => {}
                    Err(_) => break,
                }
            }));
        }
        Workers { node, threads }
    }

    /// Stops both threads; pending transactions are cut into a last block
    /// first. Returns once every acknowledged transaction is on disk.
    pub fn stop(mut self) {
        self.node.stop.store(true, Ordering::SeqCst);
        for thread in self.threads.drain(..) {
            let _ = thread.join();
        }
        if let Some(replica) = self.node.replica() {
            replica.shutdown();
        }
        tracing::info!(height = self.node.view().tip.height, "node stopped; every acknowledged transaction is on disk");
    }
}
