//! `zkreg bench ledger`: issuance throughput, block application, path
//! queries and disk bytes per credential, on a real sled directory.

use std::time::Instant;

use ark_bn254::Fr;
use ark_ff::UniformRand;
use ed25519_dalek::SigningKey;
use rand::SeedableRng;
use rand_chacha::ChaCha20Rng;
use rayon::prelude::*;
use serde::Serialize;

use zkreg_circuits::field::fr_to_bytes;
use zkreg_registry::{Genesis, Ledger, MempoolConfig, SignedTransaction, Transaction, TxBody};

use super::upper_median;

/// The ledger benchmark's results.
#[derive(Debug, Serialize)]
pub struct LedgerReport {
    /// Credentials issued in the run.
    pub credentials: u64,
    /// Issuances per second: signature checks, execution, batched tree
    /// insert, one atomic sled batch and flush per block.
    pub issue_tps: f64,
    /// The same blocks applied to a second ledger that keeps no daily
    /// statistics, interleaved block by block with the first (same run).
    pub issue_tps_without_stats: f64,
    /// What keeping the statistics costs: `1 - issue_tps / issue_tps_without_stats`, in percent.
    pub stats_cost_pct: f64,
    /// Median time to apply and flush one full block.
    pub apply_block_ms: f64,
    /// Transactions per block.
    pub block_txs: usize,
    /// Median Merkle-path query under the current root.
    pub path_us: f64,
    /// Median Merkle-path query under an older root in the window (from sled).
    pub path_at_us: f64,
    /// Disk bytes per credential after the run.
    pub bytes_per_credential: f64,
}

/// A genesis with one authority and one regulator (`central-bank`, `credit-score`).
pub fn bench_genesis(authority: &SigningKey, regulator: &SigningKey) -> Genesis {
    let regulator_key = regulator.verifying_key().to_bytes();
    Genesis::development(
        "zkreg-bench",
        1_750_000_000,
        &authority.verifying_key().to_bytes(),
        ("central-bank", &regulator_key),
        &["credit-score"],
        16,
    )
}

/// `n` signed issuances by `regulator` with nonces `first_nonce..`.
pub fn issuances(regulator: &SigningKey, chain_id: &str, first_nonce: u64, n: u64, seed: u64) -> Vec<SignedTransaction> {
    (0..n)
        .into_par_iter()
        .map(|i| {
            let mut rng = ChaCha20Rng::seed_from_u64(seed ^ (i << 20));
            let tx = Transaction {
                chain_id: chain_id.into(),
                signer: regulator.verifying_key().to_bytes(),
                nonce: first_nonce + i,
                body: TxBody::IssueCredential { schema: "credit-score".into(), inner: fr_to_bytes(&Fr::rand(&mut rng)) },
            };
            tx.sign(regulator)
        })
        .collect()
}

/// Runs the benchmark with `n` credentials.
pub fn ledger(n: u64, progress: impl Fn(&str)) -> anyhow::Result<LedgerReport> {
    let authority = SigningKey::from_bytes(&[1; 32]);
    let regulator = SigningKey::from_bytes(&[2; 32]);
    let genesis = bench_genesis(&authority, &regulator);
    let dir = tempfile::tempdir()?;
    let bare_dir = tempfile::tempdir()?;
    let config = MempoolConfig::default();
    let mut ledger = Ledger::open(dir.path(), Some(&genesis))?;
    let mut bare = Ledger::open(bare_dir.path(), Some(&genesis))?;
    bare.set_statistics(false);
    progress("signing transactions");
    let txs = issuances(&regulator, &genesis.chain_id, 1, n, 7);
    progress("applying blocks (with and without statistics, interleaved)");
    let mut block_ms = Vec::new();
    let (mut with_secs, mut without_secs) = (0.0, 0.0);
    for (i, chunk) in txs.chunks(config.max_block_txs).enumerate() {
        let proposal = zkreg_registry::BlockProposal { height: ledger.height() + 1, time: genesis.time + i as u64 * 600, txs: chunk.to_vec() };
        // Alternate which ledger goes first, so neither always meets a warm cache.
        let order: [bool; 2] = if i % 2 == 0 { [true, false] } else { [false, true] };
        for keep in order {
            let target = if keep { &mut ledger } else { &mut bare };
            let t = Instant::now();
            let applied = target.apply(&proposal)?;
            let secs = t.elapsed().as_secs_f64();
            if let Some(r) = applied.receipts.iter().find(|r| r.error.is_some()) {
                anyhow::bail!("benchmark transaction failed: {:?}", r.error);
            }
            if keep {
                with_secs += secs;
                if chunk.len() == config.max_block_txs {
                    block_ms.push(secs * 1e3);
                }
            } else {
                without_secs += secs;
            }
        }
    }
    let issue_tps = n as f64 / with_secs;
    let issue_tps_without_stats = n as f64 / without_secs;
    progress("path queries");
    let mut rng = ChaCha20Rng::seed_from_u64(9);
    let picks: Vec<u64> = (0..501).map(|_| rand::Rng::gen_range(&mut rng, 0..n)).collect();
    let path_us = upper_median(
        picks
            .iter()
            .map(|&i| {
                let t = Instant::now();
                std::hint::black_box(ledger.path(i).ok());
                t.elapsed().as_secs_f64() * 1e6
            })
            .collect(),
    );
    let older = ledger.height().saturating_sub(1).max(1);
    let path_at_us = upper_median(
        picks
            .iter()
            .filter(|&&i| i < ledger.header(older).ok().flatten().map_or(0, |h| h.leaf_count))
            .map(|&i| {
                let t = Instant::now();
                std::hint::black_box(ledger.path_at(i, older).ok());
                t.elapsed().as_secs_f64() * 1e6
            })
            .chain(std::iter::once(0.0))
            .collect(),
    );
    let bytes = ledger.size_on_disk()?;
    Ok(LedgerReport {
        credentials: n,
        issue_tps,
        issue_tps_without_stats,
        stats_cost_pct: (1.0 - issue_tps / issue_tps_without_stats) * 100.0,
        apply_block_ms: if block_ms.is_empty() { 0.0 } else { upper_median(block_ms) },
        block_txs: config.max_block_txs,
        path_us,
        path_at_us,
        bytes_per_credential: bytes as f64 / n as f64,
    })
}

/// The human-readable table.
pub fn table(r: &LedgerReport) -> String {
    let rows = [
        ("credentials issued", r.credentials.to_string(), ""),
        ("issuance throughput", format!("{:.0} /s", r.issue_tps), ">= 10,000 /s"),
        ("  the same without daily statistics", format!("{:.0} /s", r.issue_tps_without_stats), ""),
        ("  cost of the statistics", format!("{:.1} %", r.stats_cost_pct), "<= 5 %"),
        (&*format!("apply + flush a block of {}", r.block_txs), format!("{:.1} ms", r.apply_block_ms), ""),
        ("path query, current root (median)", format!("{:.1} us", r.path_us), ""),
        ("path query, older root (median)", format!("{:.1} us", r.path_at_us), ""),
        ("disk bytes per credential", format!("{:.0} B", r.bytes_per_credential), ""),
    ];
    super::table((40, 14), rows)
}
