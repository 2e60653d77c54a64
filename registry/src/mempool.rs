//! The mempool and the sequencer: transactions admitted but not yet in a
//! block, and the block proposals cut from them.
//!
//! The mempool is node-local and volatile: a transaction in it is not yet
//! acknowledged, so a crash loses nothing anyone was told is done. It is
//! kept apart from the chain state ([`Ledger`]), which only applies
//! proposals; [`BlockProducer`] joins the two for a node that both orders
//! and applies (the REST node, `zkreg ledger-node`). Under replication the
//! leader's mempool proposes and every replica's ledger applies.

use std::collections::{HashSet, VecDeque};

use crate::block::BlockProposal;
use crate::error::{LedgerError, TxError};
use crate::ledger::{AppliedBlock, Ledger};
use crate::tx::{encode, Hash, SignedTransaction};

/// Limits of the mempool and of the blocks cut from it.
#[derive(Clone, Copy, Debug)]
pub struct MempoolConfig {
    /// Most transactions in one block.
    pub max_block_txs: usize,
    /// Most encoded bytes of transactions in one block.
    pub max_block_bytes: usize,
    /// Most transactions waiting at once; past it, `mempool_full`.
    pub mempool_limit: usize,
}

impl Default for MempoolConfig {
    fn default() -> Self {
        MempoolConfig { max_block_txs: 4_096, max_block_bytes: 4 << 20, mempool_limit: 100_000 }
    }
}

/// Transactions admitted and waiting for a block, oldest first.
pub struct Mempool {
    queue: VecDeque<SignedTransaction>,
    pending: HashSet<Hash>,
    config: MempoolConfig,
}

impl Mempool {
    /// An empty mempool with `config`'s limits.
    pub fn new(config: MempoolConfig) -> Self {
        Mempool { queue: VecDeque::new(), pending: HashSet::new(), config }
    }

    /// Its limits.
    pub fn config(&self) -> &MempoolConfig {
        &self.config
    }

    /// Admits `stx` after the ledger's checks against committed state
    /// ([`Ledger::check_admissible`]), refusing one already waiting
    /// (`duplicate_transaction`) and any past the limit (`mempool_full`).
    /// Its effects are decided when its block is applied.
    pub fn admit(&mut self, stx: SignedTransaction, ledger: &Ledger) -> Result<Hash, TxError> {
        let id = ledger.check_admissible(&stx)?;
        if self.pending.contains(&id) {
            return Err(TxError::Duplicate);
        }
        if self.queue.len() >= self.config.mempool_limit {
            return Err(TxError::MempoolFull);
        }
        self.pending.insert(id);
        self.queue.push_back(stx);
        Ok(id)
    }

    /// Transactions waiting.
    pub fn len(&self) -> usize {
        self.queue.len()
    }

    /// Whether nothing waits.
    pub fn is_empty(&self) -> bool {
        self.queue.is_empty()
    }

    /// Whether the transaction with id `id` waits here.
    pub fn contains(&self, id: &Hash) -> bool {
        self.pending.contains(id)
    }

    /// Drops every waiting transaction (a replica that stopped leading);
    /// returns how many there were.
    pub fn clear(&mut self) -> usize {
        let n = self.queue.len();
        self.queue.clear();
        self.pending.clear();
        n
    }

    /// Drains the oldest transactions into a proposal for the block after
    /// `ledger`'s tip, up to the block limits (always at least one
    /// transaction, however large); `None` if nothing waits. The proposal's
    /// time never goes back from the tip's.
    pub fn propose(&mut self, ledger: &Ledger, time: u64) -> Option<BlockProposal> {
        if self.queue.is_empty() {
            return None;
        }
        let mut txs = Vec::new();
        let mut bytes = 0;
        while let Some(next) = self.queue.front() {
            let size = encode(next).len();
            if txs.len() >= self.config.max_block_txs || (!txs.is_empty() && bytes + size > self.config.max_block_bytes) {
                break;
            }
            bytes += size;
            if let Some(tx) = self.queue.pop_front() {
                self.pending.remove(&tx.tx.id());
                txs.push(tx);
            }
        }
        let tip = ledger.tip();
        Some(BlockProposal { height: tip.height + 1, time: time.max(tip.time), txs })
    }
}

/// A node that orders and applies: its mempool proposes, its ledger applies.
/// The one block producer of the REST node and of `zkreg ledger-node`.
pub struct BlockProducer {
    ledger: Ledger,
    mempool: Mempool,
}

impl BlockProducer {
    /// Joins an opened ledger and an empty mempool.
    pub fn new(ledger: Ledger, config: MempoolConfig) -> Self {
        BlockProducer { ledger, mempool: Mempool::new(config) }
    }

    /// The chain state (reads).
    pub fn ledger(&self) -> &Ledger {
        &self.ledger
    }

    /// Admits a transaction to the mempool ([`Mempool::admit`]).
    pub fn submit(&mut self, stx: SignedTransaction) -> Result<Hash, TxError> {
        self.mempool.admit(stx, &self.ledger)
    }

    /// Transactions waiting for a block.
    pub fn pending(&self) -> usize {
        self.mempool.len()
    }

    /// Whether a block should be cut now although its interval has not
    /// passed: a full block waits.
    pub fn block_is_full(&self) -> bool {
        self.mempool.len() >= self.mempool.config().max_block_txs
    }

    /// Proposes and applies one block from the mempool, if anything waits.
    /// Returns once the block is on disk.
    pub fn produce_block(&mut self, time: u64) -> Result<Option<AppliedBlock>, LedgerError> {
        match self.mempool.propose(&self.ledger, time) {
            None => Ok(None),
            Some(p) => self.ledger.apply(&p).map(Some),
        }
    }
}
