//! `zkreg ledger-node`: a single ledger node driven over standard input.
//!
//! Each input line is a signed transaction (canonical bytes, hex). The node
//! admits it to the mempool (or prints `reject <line> <code>`), cuts a block
//! every `block_ms` milliseconds or when `max_block_txs` are waiting, applies
//! and flushes it, and only then prints `ack <tx id> <height> <ok|code>` for
//! each of its transactions: an acknowledged transaction is on disk. At the
//! end of input it drains the mempool and exits. The REST node builds on the
//! same loop.

use std::io::{BufRead, Write};
use std::path::Path;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use zkreg_api::now_secs;
use zkreg_registry::{BlockProducer, Ledger, MempoolConfig, SignedTransaction};

use crate::files::read_genesis;

/// Runs the node until standard input closes.
pub fn run(data_dir: &Path, genesis: Option<&Path>, block_ms: u64, max_block_txs: usize) -> anyhow::Result<()> {
    let genesis = genesis.map(read_genesis).transpose()?;
    let config = MempoolConfig { max_block_txs, ..MempoolConfig::default() };
    let mut producer = BlockProducer::new(Ledger::open(data_dir, genesis.as_ref())?, config);
    let (send, recv) = mpsc::sync_channel::<String>(65_536);
    std::thread::spawn(move || {
        for line in std::io::stdin().lock().lines() {
            let Ok(l) = line else { break };
            if send.send(l).is_err() {
                break;
            }
        }
    });
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    writeln!(out, "ready {}", producer.ledger().height())?;
    out.flush()?;
    let interval = Duration::from_millis(block_ms.max(1));
    let mut last_block = Instant::now();
    let mut line_no = 0u64;
    let mut open = true;
    while open || producer.pending() > 0 {
        let wait = interval.saturating_sub(last_block.elapsed());
        match recv.recv_timeout(wait) {
            Ok(line) => {
                line_no += 1;
                let submitted = hex::decode(line.trim())
                    .map_err(|_| zkreg_registry::TxError::Malformed("not hex".into()))
                    .and_then(|b| SignedTransaction::from_bytes(&b))
                    .and_then(|tx| producer.submit(tx));
                if let Err(e) = submitted {
                    writeln!(out, "reject {line_no} {}", e.code())?;
                }
            }
            Err(mpsc::RecvTimeoutError::Timeout) => {}
            Err(mpsc::RecvTimeoutError::Disconnected) => open = false,
        }
        if last_block.elapsed() >= interval || producer.block_is_full() || !open {
            if let Some(block) = producer.produce_block(now_secs())? {
                for r in &block.receipts {
                    let status = r.error.as_ref().map_or("ok", |(code, _)| code.as_str());
                    writeln!(out, "ack {} {} {status}", hex::encode(r.tx_id), block.header.height)?;
                }
            }
            out.flush()?;
            last_block = Instant::now();
        }
    }
    writeln!(out, "done {}", producer.ledger().height())?;
    out.flush()?;
    Ok(())
}
