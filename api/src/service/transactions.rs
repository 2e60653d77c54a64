//! Submitting a signed transaction: the mempool admits it (or refuses it
//! with the ledger's code), and the call waits until the block holding it is
//! applied and flushed, then answers with its receipt. A receipt with an
//! error is a transaction the ledger refused when it applied the block; it
//! changed nothing else.
//!
//! In a cluster, the leader's mempool admits; a follower checks what it can
//! against its own ledger, forwards the transaction to the leader, and
//! answers once it has applied the block itself, so a read on the same node
//! right after sees the write. A transaction the leader held when it lost
//! leadership gets 503 `leader_changed`: it may or may not be in a block, so
//! look up `GET /v1/transactions/{id}` before sending it again (a copy
//! already in a block is refused as `duplicate_transaction`).

use std::time::{Duration, Instant};

use zkreg_registry::state::Receipt;
use zkreg_registry::tx::Hash;
use zkreg_registry::SignedTransaction;

use super::{Chain, Node};
use crate::error::ApiError;

impl Node {
    /// Admits `tx` and blocks until its receipt is on disk, or answers 503
    /// `unavailable` after the commit timeout (the transaction may still be
    /// applied later: its receipt is then at `GET /v1/transactions/{id}`).
    pub fn submit_and_wait(&self, tx: SignedTransaction) -> Result<Receipt, ApiError> {
        let replica = match &self.chain {
            Chain::Replicated(replica) => replica,
            Chain::Single(producer) => {
                let (id, height) = {
                    let mut producer = producer.lock().unwrap_or_else(|e| e.into_inner());
                    let id = producer.submit(tx)?;
                    self.metrics.set_pending(producer.pending());
                    (id, producer.ledger().height())
                };
                return self.wait_for_receipt(&id, height, self.config.commit_timeout, || true);
            }
        };
        let id = tx.tx.id();
        if replica.is_leader() {
            let height = self.height();
            replica.admit(tx)?;
            self.metrics.set_pending(replica.pending());
            return self.wait_for_receipt(&id, height, self.config.commit_timeout, || replica.holds(&id)).map_err(|e| match e {
                ApiError::Retry { code: "leader_changed", .. } => leader_changed(&id),
                other => other,
            });
        }
        // A follower: refuse here what its own ledger already refuses, then
        // let the leader decide.
        let height = self.height();
        self.with_ledger(|ledger| ledger.check_admissible(&tx))?;
        replica.forward(&tx)?;
        self.wait_for_receipt(&id, height, self.config.commit_timeout, || true).map_err(|_| ApiError::Retry {
            code: "replica_behind",
            message: format!(
                "the leader committed transaction {} but this node has not applied it yet; its receipt will be at GET /v1/transactions/{}",
                hex::encode(id),
                hex::encode(id)
            ),
            retry_after: 1,
        })
    }

    /// Waits for `id`'s receipt, watching blocks above `height`, while
    /// `held()` says the transaction is still on its way.
    fn wait_for_receipt(&self, id: &Hash, height: u64, timeout: Duration, held: impl Fn() -> bool) -> Result<Receipt, ApiError> {
        let deadline = Instant::now() + timeout;
        let mut seen = height;
        loop {
            if let Some(r) = self.store.receipt(id)? {
                return Ok(r);
            }
            if !held() {
                // It left the mempool without a block: one last look, since
                // the block may have been published a moment ago.
                std::thread::sleep(Duration::from_millis(50));
                return self.store.receipt(id)?.ok_or_else(|| leader_changed(id));
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err(ApiError::Unavailable("the transaction was not committed in time".into()));
            }
            if self.wait_for_block_after(seen, left.min(Duration::from_millis(100))) {
                seen += 1;
            }
        }
    }
}

fn leader_changed(id: &Hash) -> ApiError {
    ApiError::Retry {
        code: "leader_changed",
        message: format!(
            "the node lost leadership before transaction {} was committed; it may still be in a block: look up GET /v1/transactions/{} before sending it again",
            hex::encode(id),
            hex::encode(id)
        ),
        retry_after: 1,
    }
}
