//! `zkreg bench private`: the private layer's record store (seal and
//! store, open) and what keeping a record costs issuance: the same
//! issuances applied with and without their records, in one run, on real
//! sled directories.

use std::collections::BTreeMap;
use std::time::Instant;

use ark_bn254::Fr;
use ark_ff::UniformRand;
use ed25519_dalek::SigningKey;
use rand::SeedableRng;
use rand_chacha::ChaCha20Rng;
use rayon::prelude::*;
use serde::Serialize;

use zkreg_circuits::field::{fr_to_bytes, fr_to_hex};
use zkreg_registry::private::{AuditAction, AuditLog, Keyring, PrivateRecord, RecordStore};
use zkreg_registry::tx::Issuance;
use zkreg_registry::{Ledger, MempoolConfig, SignedTransaction, Transaction, TxBody};

use super::ledger::bench_genesis;
use super::upper_median;

/// The private benchmark's results.
#[derive(Debug, Serialize)]
pub struct PrivateReport {
    /// Credentials issued in each issuance run.
    pub credentials: u64,
    /// Median time to hash, seal and store one record (no flush; the
    /// issuing path flushes once per block).
    pub put_us: f64,
    /// Median time to read, open and check one record.
    pub get_us: f64,
    /// Issuances per second with their records: each record hashed, sealed
    /// and stored, one flush of the record store per block, and the
    /// `IssueWithRecord` transactions applied; the next block's records are
    /// stored while a block applies, as in a node.
    pub issue_tps_with_record: f64,
    /// Issuances per second of the same credentials without records.
    pub issue_tps_without_record: f64,
    /// `issue_tps_with_record / issue_tps_without_record` (target at least 0.8).
    pub record_issue_ratio: f64,
    /// Runs of each kind (medians reported).
    pub runs: usize,
}

/// A record like the ones a regulator keeps for a credit score.
fn record(i: u64, rng: &mut ChaCha20Rng) -> (PrivateRecord, Fr) {
    let inner = Fr::rand(rng);
    let salt = Fr::rand(rng);
    let record = PrivateRecord {
        issuer: "central-bank".into(),
        schema: "credit-score".into(),
        commitment: fr_to_hex(&inner),
        holder_key: hex::encode([7u8; 32]),
        subject: format!("NID-{i:010}"),
        attributes: BTreeMap::from([("score".into(), (300 + i % 550).to_string()), ("region".into(), format!("region-{}", i % 40))]),
        credential: format!(
            "{{\"version\":2,\"schema\":\"credit-score\",\"issuer\":\"central-bank\",\"value\":{},\"expiry\":21000,\"salt\":\"{}\",\"commitment\":\"{}\",\"leaf_index\":null}}",
            300 + i % 550,
            fr_to_hex(&salt),
            fr_to_hex(&inner)
        ),
    };
    (record, inner)
}

/// `n` records and their signed issuances, anchored (`IssueWithRecord`) or not.
fn workload(regulator: &SigningKey, chain_id: &str, n: u64, anchored: bool) -> Vec<(PrivateRecord, SignedTransaction)> {
    (0..n)
        .into_par_iter()
        .map(|i| {
            let mut rng = ChaCha20Rng::seed_from_u64(i);
            let (record, inner) = record(i, &mut rng);
            let issue = TxBody::IssueCredential { schema: "credit-score".into(), inner: fr_to_bytes(&inner) };
            let body = if anchored { TxBody::IssueWithRecord { issue: Issuance::Groth16 { schema: "credit-score".into(), inner: fr_to_bytes(&inner) }, record_hash: record.hash() } } else { issue };
            let tx = Transaction { chain_id: chain_id.into(), signer: regulator.verifying_key().to_bytes(), nonce: i + 1, body };
            (record, tx.sign(regulator))
        })
        .collect()
}

fn open_store(dir: &std::path::Path) -> anyhow::Result<RecordStore> {
    Ok(RecordStore::open(&dir.join("private").join("records.log"), Keyring::single([0x42; 32]))?)
}

/// One issuance run on fresh directories: issuances per second.
///
/// With records, the run is pipelined as in a node: the records of block
/// `i + 1` are hashed, sealed, stored and audited on one thread (a node's
/// HTTP workers, as `POST /v1/private/records` calls arrive) while block `i`
/// is applied on another (the block producer); a block is proposed only
/// once its own records and their audit events are on disk. The store and
/// the audit log are synced once per block: what the node's concurrent
/// calls get from sled's shared flushes and the audit log's group commit.
fn issue_run(work: &[(PrivateRecord, SignedTransaction)], with_records: bool) -> anyhow::Result<f64> {
    let authority = SigningKey::from_bytes(&[1; 32]);
    let regulator = SigningKey::from_bytes(&[2; 32]);
    let genesis = bench_genesis(&authority, &regulator);
    let dir = tempfile::tempdir()?;
    let mut ledger = Ledger::open(dir.path(), Some(&genesis))?;
    let store = open_store(dir.path())?;
    let audit = AuditLog::open(&dir.path().join("audit.log"))?;
    let actor = regulator.verifying_key().to_bytes();
    let store_block = |chunk: &[(PrivateRecord, SignedTransaction)]| -> anyhow::Result<()> {
        if with_records {
            for (record, _) in chunk {
                let meta = store.put(record, genesis.time)?;
                audit.append_unsynced(AuditAction::Put, &actor, "regulator", Some(&meta.id), &format!("schema {}", record.schema), genesis.time)?;
            }
            store.flush()?;
            audit.sync()?;
        }
        Ok(())
    };
    let chunks: Vec<_> = work.chunks(MempoolConfig::default().max_block_txs).collect();
    let start = Instant::now();
    if let Some(first) = chunks.first() {
        store_block(first)?;
    }
    for (i, chunk) in chunks.iter().enumerate() {
        let txs = chunk.iter().map(|(_, tx)| tx.clone()).collect();
        let proposal = zkreg_registry::BlockProposal { height: ledger.height() + 1, time: genesis.time + i as u64, txs };
        let (applied, stored) = std::thread::scope(|s| {
            let next = s.spawn(|| chunks.get(i + 1).map_or(Ok(()), |c| store_block(c)));
            let applied = ledger.apply(&proposal);
            (applied, next.join())
        });
        stored.map_err(|_| anyhow::anyhow!("storing records panicked"))??;
        if let Some(r) = applied?.receipts.iter().find(|r| r.error.is_some()) {
            anyhow::bail!("benchmark transaction failed: {:?}", r.error);
        }
    }
    Ok(work.len() as f64 / start.elapsed().as_secs_f64())
}

/// Runs the benchmark with `n` credentials per issuance run.
pub fn private(n: u64, progress: impl Fn(&str)) -> anyhow::Result<PrivateReport> {
    let regulator = SigningKey::from_bytes(&[2; 32]);
    let chain_id = bench_genesis(&SigningKey::from_bytes(&[1; 32]), &regulator).chain_id;
    progress("records and transactions");
    let anchored = workload(&regulator, &chain_id, n, true);
    let plain = workload(&regulator, &chain_id, n, false);

    progress("record store");
    let dir = tempfile::tempdir()?;
    let store = open_store(dir.path())?;
    let sample = anchored.len().min(2_000);
    let mut put = Vec::with_capacity(sample);
    for (record, _) in &anchored[..sample] {
        let t = Instant::now();
        store.put(record, 0)?;
        put.push(t.elapsed().as_secs_f64() * 1e6);
    }
    store.flush()?;
    let mut get = Vec::with_capacity(sample);
    for (record, _) in &anchored[..sample] {
        let id = record.hash();
        let t = Instant::now();
        std::hint::black_box(store.open_record(&id)?);
        get.push(t.elapsed().as_secs_f64() * 1e6);
    }

    // Alternate the two kinds so that both see the same machine.
    const RUNS: usize = 3;
    let (mut with, mut without) = (Vec::new(), Vec::new());
    for run in 0..RUNS {
        progress(&format!("issuance run {}/{RUNS}", run + 1));
        without.push(issue_run(&plain, false)?);
        with.push(issue_run(&anchored, true)?);
    }
    let with = upper_median(with);
    let without = upper_median(without);
    Ok(PrivateReport {
        credentials: n,
        put_us: upper_median(put),
        get_us: upper_median(get),
        issue_tps_with_record: with,
        issue_tps_without_record: without,
        record_issue_ratio: with / without,
        runs: RUNS,
    })
}

/// The human-readable table.
pub fn table(r: &PrivateReport) -> String {
    let rows = [
        ("store a record: hash, seal, insert (median)", format!("{:.1} us", r.put_us), ""),
        ("open a record (median)", format!("{:.1} us", r.get_us), ""),
        (&*format!("issuance without records ({} credentials)", r.credentials), format!("{:.0} /s", r.issue_tps_without_record), ""),
        ("issuance with records", format!("{:.0} /s", r.issue_tps_with_record), ""),
        ("ratio with / without", format!("{:.2}", r.record_issue_ratio), ">= 0.8"),
    ];
    super::table((44, 12), rows)
}
