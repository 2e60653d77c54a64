//! Criterion benchmarks of the ledger (`cargo bench --bench ledger`):
//! applying a block of signed issuances (signature checks, execution, tree
//! batch insert, one atomic sled batch, flush) and path queries.
//! `zkreg bench ledger` reports throughput and disk use at scale.

use ark_bn254::Fr;
use ark_ff::UniformRand;
use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use ed25519_dalek::SigningKey;
use rand::SeedableRng;
use rand_chacha::ChaCha20Rng;

use zkreg_circuits::field::fr_to_bytes;
use zkreg_registry::{BlockProposal, Genesis, Ledger, SignedTransaction, Transaction, TxBody};

const BLOCK: u64 = 1024;

fn genesis(authority: &SigningKey, regulator: &SigningKey) -> Genesis {
    let regulator_key = regulator.verifying_key().to_bytes();
    let authority_key = authority.verifying_key().to_bytes();
    Genesis::development("zkreg-bench", 1_750_000_000, &authority_key, ("central-bank", &regulator_key), &["credit-score"], 16)
}

fn issuances(regulator: &SigningKey, chain: &str, first_nonce: u64, n: u64, rng: &mut ChaCha20Rng) -> Vec<SignedTransaction> {
    (0..n)
        .map(|i| {
            Transaction {
                chain_id: chain.into(),
                signer: regulator.verifying_key().to_bytes(),
                nonce: first_nonce + i,
                body: TxBody::IssueCredential { schema: "credit-score".into(), inner: fr_to_bytes(&Fr::rand(rng)) },
            }
            .sign(regulator)
        })
        .collect()
}

fn ledger(c: &mut Criterion) {
    let (authority, regulator) = (SigningKey::from_bytes(&[1; 32]), SigningKey::from_bytes(&[2; 32]));
    let g = genesis(&authority, &regulator);
    let dir = tempfile::tempdir().unwrap();
    let mut ledger = Ledger::open(dir.path(), Some(&g)).unwrap();
    let mut rng = ChaCha20Rng::seed_from_u64(5);
    let mut nonce = 1;
    let mut group = c.benchmark_group("ledger");
    group.sample_size(10);
    group.throughput(Throughput::Elements(BLOCK));
    group.bench_function("apply_block/1024_issuances", |b| {
        b.iter_batched(
            || {
                let txs = issuances(&regulator, &g.chain_id, nonce, BLOCK, &mut rng);
                nonce += BLOCK;
                txs
            },
            |txs| {
                let p = BlockProposal { height: ledger.height() + 1, time: g.time, txs };
                ledger.apply(&p).unwrap()
            },
            BatchSize::LargeInput,
        )
    });
    group.finish();
    let n = ledger.tip().leaf_count;
    let mut i = 0u64;
    c.bench_function("ledger/path", |b| {
        b.iter(|| {
            i = (i + 7919) % n;
            ledger.path(i).unwrap()
        })
    });
    let older = ledger.height() - 1;
    c.bench_function("ledger/path_at_older_root", |b| {
        b.iter(|| {
            i = (i + 7919) % BLOCK;
            ledger.path_at(i, older).unwrap()
        })
    });
}

criterion_group!(benches, ledger);
criterion_main!(benches);
