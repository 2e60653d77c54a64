//! Criterion benchmarks of the cryptographic hot paths (`cargo bench --bench crypto`).
//! `zkreg bench crypto` prints the same measures as a table and JSON.

use ark_bn254::Fr;
use ark_ff::UniformRand;
use criterion::{criterion_group, criterion_main, BatchSize, Criterion};
use ed25519_dalek::SigningKey;

use zkreg_circuits::field::{label, LabelDomain};
use zkreg_circuits::poseidon::hash4;
use zkreg_circuits::range_statement::{PedersenOpening, RangeStatement};
use zkreg_circuits::tree::CommitmentTree;
use zkreg_prover::{CredentialOpening, ProofStatement, Wallet};
use zkreg_suite::{prover, rng, verifier, TODAY};

fn poseidon_and_tree(c: &mut Criterion) {
    let children = [1u64, 2, 3, 4].map(Fr::from);
    c.bench_function("poseidon/hash4", |b| b.iter(|| hash4(std::hint::black_box(&children))));
    let mut r = rng(1);
    let leaves: Vec<Fr> = (0..10_000).map(|_| Fr::rand(&mut r)).collect();
    let mut group = c.benchmark_group("tree");
    group.sample_size(10);
    group.bench_function("append_batch/10000", |b| {
        b.iter_batched(CommitmentTree::new, |mut t| t.append_batch(&leaves), BatchSize::LargeInput)
    });
    group.finish();
}

fn groth16(c: &mut Criterion) {
    let mut r = rng(2);
    let wallet = Wallet::generate(&mut r);
    let mut opening = CredentialOpening::issue("credit-score", "central-bank", wallet.holder_id(), 720, TODAY + 30, &mut r);
    let mut tree = CommitmentTree::new();
    let noise: Vec<Fr> = (0..100).map(|_| Fr::rand(&mut r)).collect();
    tree.append_batch(&noise).unwrap();
    let index = tree.append_batch(&[opening.commitment]).unwrap();
    opening.leaf_index = Some(index);
    let path = tree.path(index).unwrap();
    let statement = ProofStatement {
        lo: 700,
        hi: u64::MAX,
        today: TODAY,
        scope: label(LabelDomain::Scope, "bench"),
        challenge: label(LabelDomain::Challenge, &"22".repeat(32)),
    };
    let prove = |challenge: Fr, r: &mut rand_chacha::ChaCha20Rng| {
        prover()
            .prove(&wallet, &opening, &path, tree.root(), &ProofStatement { challenge, ..statement }, r)
            .unwrap()
    };
    let mut group = c.benchmark_group("groth16");
    group.sample_size(10);
    group.bench_function("prove", |b| b.iter(|| prove(statement.challenge, &mut r)));
    let batch: Vec<_> = (0..64u64).map(|i| prove(Fr::from(i), &mut r)).collect();
    let (proof, public) = &batch[0];
    group.bench_function("verify", |b| b.iter(|| verifier().verify(proof, public).unwrap()));
    group.bench_function("verify_batch/64", |b| b.iter(|| verifier().verify_batch(&batch, &mut r).unwrap()));
    group.finish();
}

fn bulletproofs(c: &mut Criterion) {
    let mut r = rng(3);
    let holder = SigningKey::generate(&mut r);
    let opening = PedersenOpening::random(720, &mut r);
    let statement = RangeStatement {
        challenge: Fr::from(1u64),
        scope: Fr::from(2u64),
        schema: "credit-score".into(),
        issuer: "central-bank".into(),
        lo: 700,
        hi: u64::MAX,
        today: TODAY,
        commitment: opening.commit(),
        holder_key: holder.verifying_key().to_bytes(),
        expiry: TODAY + 30,
    };
    let mut group = c.benchmark_group("bulletproofs");
    group.bench_function("prove_m2_n64", |b| {
        b.iter(|| zkreg_prover::range::prove_range(&opening, &statement, &holder, &mut r).unwrap())
    });
    let bundle = zkreg_prover::range::prove_range(&opening, &statement, &holder, &mut r).unwrap();
    group.bench_function("verify_m2_n64", |b| b.iter(|| zkreg_verifier::range::verify_range(&statement, &bundle).unwrap()));
    group.finish();
}

criterion_group!(benches, poseidon_and_tree, groth16, bulletproofs);
criterion_main!(benches);
