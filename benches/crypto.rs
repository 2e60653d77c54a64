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
use zkreg_prover::{build_presentation, CredentialOpening, HeldCredential, ProofStatement, Wallet};
use zkreg_suite::{at_least, prover, request, rng, verifier, TestLedger, NOW, TODAY};
use zkreg_verifier::groth16::{decode_proof_hex, encode_proof_hex};
use zkreg_verifier::{verify_presentation, Clock, MemoryChallengeBook};

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
    group.bench_function("verify_batch/1", |b| b.iter(|| verifier().verify_batch(&batch[..1], &mut r).unwrap()));
    group.bench_function("verify_batch/64", |b| b.iter(|| verifier().verify_batch(&batch, &mut r).unwrap()));
    let encoded = encode_proof_hex(proof);
    group.bench_function("decode_proof", |b| b.iter(|| decode_proof_hex(&encoded).unwrap()));
    group.finish();
}

/// A whole presentation (one Groth16 proof) checked as a bank would: request,
/// ledger view, challenge book, proof.
fn presentation(c: &mut Criterion) {
    let mut r = rng(4);
    let wallet = Wallet::generate(&mut r);
    let mut ledger = TestLedger::new(8);
    ledger.authorise("central-bank", "credit-score");
    let mut opening = CredentialOpening::issue("credit-score", "central-bank", wallet.holder_id(), 720, TODAY + 30, &mut r);
    ledger.issue(&mut opening);
    let req = request(vec![at_least("credit-score", 700, "central-bank")], 1);
    let held = [HeldCredential::Groth16(opening)];
    let presentation = build_presentation(prover(), &wallet, &req, &held, &ledger, TODAY, &mut r).unwrap();
    let clock = Clock { now: NOW, day_tolerance: 1 };
    let mut group = c.benchmark_group("presentation");
    group.bench_function("verify/groth16", |b| {
        b.iter_batched(
            || {
                let book = MemoryChallengeBook::default();
                book.issue(&req.challenge);
                book
            },
            |book| verify_presentation(verifier(), &req, &presentation, &ledger, &book, clock, &mut r).unwrap(),
            BatchSize::SmallInput,
        )
    });
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

criterion_group!(benches, poseidon_and_tree, groth16, presentation, bulletproofs);
criterion_main!(benches);
