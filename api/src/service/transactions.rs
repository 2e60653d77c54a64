//! Submitting a signed transaction: the mempool admits it (or refuses it
//! with the ledger's code), and the call waits until the block holding it is
//! applied and flushed, then answers with its receipt. A receipt with an
//! error is a transaction the ledger refused when it applied the block; it
//! changed nothing else.

use std::time::Instant;

use zkreg_registry::state::Receipt;
use zkreg_registry::SignedTransaction;

use super::Node;
use crate::error::ApiError;

impl Node {
    /// Admits `tx` and blocks until its receipt is on disk, or answers 503
    /// `unavailable` after the commit timeout (the transaction may still be
    /// applied later: its receipt is then at `GET /v1/transactions/{id}`).
    pub fn submit_and_wait(&self, tx: SignedTransaction) -> Result<Receipt, ApiError> {
        let (id, height) = {
            let mut producer = self.producer.lock().unwrap_or_else(|e| e.into_inner());
            let id = producer.submit(tx)?;
            self.metrics.set_pending(producer.pending());
            (id, producer.ledger().height())
        };
        let deadline = Instant::now() + self.config.commit_timeout;
        let mut seen = height;
        loop {
            if let Some(r) = self.store.receipt(&id)? {
                return Ok(r);
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() || !self.wait_for_block_after(seen, left) {
                return Err(ApiError::Unavailable("the transaction was not committed in time".into()));
            }
            seen += 1;
        }
    }
}
