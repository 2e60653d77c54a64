//! Groth16 predicate proofs: accept, reject, encodings, batches.

use ark_bn254::{Bn254, Fq, Fr, G1Affine};
use ark_ec::AffineRepr;
use ark_ff::{BigInteger, Field, One, PrimeField, UniformRand};
use ark_groth16::{Groth16, Proof};
use ark_serialize::CanonicalSerialize;

use zkreg_circuits::field::{fr_from_hex, fr_to_bytes, label, FieldError, LabelDomain};
use zkreg_circuits::predicate::{PredicateCircuit, PredicateWitness, PublicInputs};
use zkreg_prover::{CredentialError, CredentialOpening, ProofStatement, ProveError, Wallet};
use zkreg_suite::{keys, prover, rng, verifier, TestLedger, TODAY};
use zkreg_verifier::groth16::{decode_proof, encode_proof, BatchError, ProofError};

struct Fixture {
    ledger: TestLedger,
    wallet: Wallet,
    opening: CredentialOpening,
    statement: ProofStatement,
}

fn fixture(seed: u64) -> Fixture {
    let mut r = rng(seed);
    let mut ledger = TestLedger::new(8);
    let noise: Vec<Fr> = (0..5).map(|_| Fr::rand(&mut r)).collect();
    ledger.append(&noise);
    let wallet = Wallet::generate(&mut r);
    let mut opening = CredentialOpening::issue("credit-score", "central-bank", wallet.holder_id(), 720, TODAY + 100, &mut r);
    ledger.issue(&mut opening);
    ledger.append(&[Fr::rand(&mut r)]);
    let statement = ProofStatement {
        lo: 700,
        hi: u64::MAX,
        today: TODAY,
        scope: label(LabelDomain::Scope, "bank-a/loans"),
        challenge: label(LabelDomain::Challenge, &"01".repeat(32)),
    };
    Fixture { ledger, wallet, opening, statement }
}

fn prove(f: &Fixture, statement: &ProofStatement, seed: u64) -> Result<(Proof<Bn254>, PublicInputs), ProveError> {
    let index = f.opening.leaf_index.unwrap();
    let path = f.ledger.tree.path(index).unwrap();
    prover().prove(&f.wallet, &f.opening, &path, f.ledger.tree.root(), statement, &mut rng(seed))
}

#[test]
fn a_valid_proof_verifies() {
    let f = fixture(1);
    let (proof, public) = prove(&f, &f.statement, 2).unwrap();
    assert_eq!(verifier().verify(&proof, &public), Ok(()));
    assert_eq!(public.pseudonym, f.wallet.pseudonym(&f.statement.scope));
    // Boundaries are inclusive: value 720 proves `between 720 and 720`.
    let exact = ProofStatement { lo: 720, hi: 720, ..f.statement };
    let (proof, public) = prove(&f, &exact, 3).unwrap();
    assert_eq!(verifier().verify(&proof, &public), Ok(()));
}

#[test]
fn the_prover_refuses_what_is_not_true() {
    let f = fixture(4);
    let s = f.statement;
    assert_eq!(prove(&f, &ProofStatement { lo: 721, ..s }, 5).unwrap_err(), ProveError::ValueOutOfRange { lo: 721, hi: u64::MAX });
    assert_eq!(prove(&f, &ProofStatement { lo: 0, hi: 719, ..s }, 5).unwrap_err(), ProveError::ValueOutOfRange { lo: 0, hi: 719 });
    assert_eq!(
        prove(&f, &ProofStatement { today: TODAY + 101, ..s }, 5).unwrap_err(),
        ProveError::Expired { expiry: TODAY + 100, today: TODAY + 101 }
    );
    let index = f.opening.leaf_index.unwrap();
    let path = f.ledger.tree.path(index).unwrap();
    let wrong_root = f.ledger.tree.root() + Fr::one();
    assert_eq!(
        prover().prove(&f.wallet, &f.opening, &path, wrong_root, &s, &mut rng(5)).unwrap_err(),
        ProveError::NotInTree
    );
    let wrong_position = f.ledger.tree.path(index + 1).unwrap();
    assert_eq!(
        prover().prove(&f.wallet, &f.opening, &wrong_position, f.ledger.tree.root(), &s, &mut rng(5)).unwrap_err(),
        ProveError::NotInTree
    );
    let thief = Wallet::from_seed([9; 32]);
    assert_eq!(
        prover().prove(&thief, &f.opening, &path, f.ledger.tree.root(), &s, &mut rng(5)).unwrap_err(),
        ProveError::Credential(CredentialError::CommitmentMismatch)
    );
}

/// Past the native checks, the circuit itself refuses: the checked prover
/// reports an unsatisfied witness instead of producing a proof.
#[test]
fn the_circuit_refuses_false_statements() {
    let f = fixture(6);
    let (_, public) = prove(&f, &f.statement, 7).unwrap();
    // Wrong sk: the wallet's secret never leaves it, so any other sk fails.
    let witness = PredicateWitness {
        sk: Fr::from(0u64),
        value: 720,
        expiry: TODAY + 100,
        salt: f.opening.salt,
        path: f.ledger.tree.path(f.opening.leaf_index.unwrap()).unwrap(),
    };
    let c = PredicateCircuit { public, witness };
    assert_eq!(prover().prove_circuit(c, &mut rng(8)).unwrap_err(), ProveError::Unsatisfied);
    // Value below lo.
    let mut below = public;
    below.lo = 800;
    let w = PredicateWitness { sk: Fr::from(1u64), value: 720, expiry: TODAY + 100, salt: f.opening.salt, path: f.ledger.tree.path(0).unwrap() };
    assert_eq!(prover().prove_circuit(PredicateCircuit { public: below, witness: w }, &mut rng(8)).unwrap_err(), ProveError::Unsatisfied);
}

#[test]
fn a_proof_does_not_verify_for_any_other_statement() {
    let mut f = fixture(10);
    let (proof, public) = prove(&f, &f.statement, 11).unwrap();
    let old_root = public.root;
    f.ledger.append(&[Fr::from(77u64)]);
    let other_wallet = Wallet::from_seed([3; 32]);
    type Change = Box<dyn Fn(&mut PublicInputs)>;
    let cases: Vec<(&str, Change)> = vec![
        ("higher threshold (value below lo)", Box::new(|p| p.lo = 800)),
        ("lower ceiling (value above hi)", Box::new(|p| p.hi = 710)),
        ("another day (expiry)", Box::new(|p| p.today = TODAY + 200)),
        ("another root", Box::new(move |p| p.root = old_root + Fr::one())),
        ("another holder's pseudonym", Box::new(move |p| p.pseudonym = other_wallet.pseudonym(&p.scope))),
        ("another challenge (replay)", Box::new(|p| p.challenge = label(LabelDomain::Challenge, &"02".repeat(32)))),
        ("another scope", Box::new(|p| p.scope = label(LabelDomain::Scope, "bank-b/loans"))),
        ("another issuer", Box::new(|p| p.issuer_id = label(LabelDomain::Issuer, "other-regulator"))),
        ("another schema", Box::new(|p| p.schema_id = label(LabelDomain::Schema, "licence.food-business"))),
    ];
    let newer_root = f.ledger.tree.root();
    assert_ne!(newer_root, old_root);
    for (name, change) in cases {
        let mut p = public;
        change(&mut p);
        assert_eq!(verifier().verify(&proof, &p), Err(ProofError::Rejected), "{name}");
    }
    let mut p = public;
    p.root = newer_root;
    assert_eq!(verifier().verify(&proof, &p), Err(ProofError::Rejected), "a later root of the same tree");
}

#[test]
fn tampered_proof_bytes_never_verify() {
    let f = fixture(12);
    let (proof, public) = prove(&f, &f.statement, 13).unwrap();
    let bytes = encode_proof(&proof);
    assert_eq!(decode_proof(&bytes).unwrap(), proof);
    for i in 0..bytes.len() {
        for bit in [0x01u8, 0x80] {
            let mut t = bytes;
            t[i] ^= bit;
            match decode_proof(&t) {
                Ok(p) => assert_eq!(verifier().verify(&p, &public), Err(ProofError::Rejected), "byte {i}"),
                Err(e) => assert!(matches!(e, ProofError::InvalidPoint(_)), "byte {i}: {e}"),
            }
        }
    }
    assert_eq!(decode_proof(&bytes[..127]), Err(ProofError::WrongLength(127)));
    assert_eq!(decode_proof(&[bytes.as_slice(), &[0]].concat()), Err(ProofError::WrongLength(129)));
}

#[test]
fn extra_or_missing_public_inputs_are_refused() {
    let f = fixture(14);
    let (proof, public) = prove(&f, &f.statement, 15).unwrap();
    let inputs = public.to_field_elements();
    // The trap this check exists for: arkworks alone accepts an extra input.
    let pvk = ark_groth16::prepare_verifying_key(&keys().1);
    let extra = [inputs.as_slice(), &[Fr::from(5u64)]].concat();
    assert!(Groth16::<Bn254>::verify_proof(&pvk, &proof, &extra).unwrap(), "arkworks ignores the extra input");
    assert_eq!(verifier().verify_inputs(&proof, &extra), Err(ProofError::WrongInputCount(10)));
    assert_eq!(verifier().verify_inputs(&proof, &inputs[..8]), Err(ProofError::WrongInputCount(8)));
    assert_eq!(verifier().verify_inputs(&proof, &[]), Err(ProofError::WrongInputCount(0)));
    assert_eq!(verifier().verify_inputs(&proof, &inputs), Ok(()));
}

/// The raw path (snarkjs's `public.json`) enforces the native bounds the
/// circuit's range checks assume, before any pairing and with its own error:
/// `lo + 2^64` is the same residue mod 2^64 as `lo`, and `r - 1` is the
/// field's `-1`.
#[test]
fn raw_inputs_outside_the_native_ranges_are_refused() {
    let f = fixture(23);
    let (proof, public) = prove(&f, &f.statement, 24).unwrap();
    let inputs = public.to_field_elements();
    assert_eq!(verifier().verify_inputs(&proof, &inputs), Ok(()));
    let two_64 = Fr::from(u64::MAX) + Fr::one();
    let minus_one = -Fr::one();
    for (index, value, name) in [
        (3, inputs[3] + two_64, "lo"),
        (3, minus_one, "lo"),
        (4, two_64, "hi"),
        (4, minus_one, "hi"),
        (5, inputs[5] + Fr::from(1u64 << 32), "today"),
        (5, minus_one, "today"),
    ] {
        let mut t = inputs;
        t[index] = value;
        let err = verifier().verify_inputs(&proof, &t).unwrap_err();
        assert_eq!(err, ProofError::InputOutOfRange(name), "input {index}");
        assert_eq!(err.code(), "public_input_out_of_range");
    }
    // In range but changed: the pairing refuses.
    let mut t = inputs;
    t[3] = Fr::from(u64::MAX);
    assert_eq!(verifier().verify_inputs(&proof, &t), Err(ProofError::Rejected));
    assert_eq!(verifier().verify_inputs(&proof, &inputs), Ok(()));
}

#[test]
fn non_canonical_field_encodings_are_refused() {
    let f = fixture(16);
    let (_, public) = prove(&f, &f.statement, 17).unwrap();
    // root + r encodes the same residue; both hex parsing and JSON refuse it.
    let mut big = Fr::MODULUS;
    let root_big = public.root.into_bigint();
    big.add_with_carry(&root_big);
    let alias = {
        let mut v = [0u8; 32];
        let be = big.to_bytes_be();
        v[32 - be.len()..].copy_from_slice(&be);
        v
    };
    assert_ne!(alias, fr_to_bytes(&public.root));
    assert_eq!(fr_from_hex(&hex::encode(alias)), Err(FieldError::NonCanonical));
    let mut json = serde_json::to_value(public).unwrap();
    json["root"] = serde_json::Value::String(format!("0x{}", hex::encode(alias)));
    let err = serde_json::from_value::<PublicInputs>(json).unwrap_err();
    assert!(err.to_string().contains("not canonical"), "{err}");
    // A compressed point whose x coordinate is >= p is refused too.
    let mut bytes = encode_proof(&prove(&f, &f.statement, 18).unwrap().0);
    bytes[..32].copy_from_slice(&[0xff; 32]);
    bytes[31] &= 0x3f; // keep the flag bits clear
    assert_eq!(decode_proof(&bytes), Err(ProofError::InvalidPoint("A")));
}

#[test]
fn points_off_the_curve_or_outside_the_subgroup_are_clear_errors() {
    let f = fixture(19);
    let (proof, _) = prove(&f, &f.statement, 20).unwrap();
    let good = encode_proof(&proof);
    // G1: an x with no y on y^2 = x^3 + 3.
    let mut x = Fq::from(1u64);
    while (x.square() * x + Fq::from(3u64)).sqrt().is_some() {
        x += Fq::one();
    }
    let mut off_curve = good;
    let mut xb = Vec::new();
    x.serialize_compressed(&mut xb).unwrap();
    off_curve[..32].copy_from_slice(&xb);
    assert_eq!(decode_proof(&off_curve), Err(ProofError::InvalidPoint("A")));
    // G2: a point on the twist that is not in the r-torsion subgroup.
    let point = zkreg_suite::g2_point_outside_subgroup();
    let mut bytes = Vec::new();
    point.serialize_compressed(&mut bytes).unwrap();
    let mut outside = good;
    outside[32..96].copy_from_slice(&bytes);
    assert_eq!(decode_proof(&outside), Err(ProofError::InvalidPoint("B")));
    // The identity is a valid encoding but never a valid proof.
    let mut zero = Vec::new();
    G1Affine::zero().serialize_compressed(&mut zero).unwrap();
    let mut identity = good;
    identity[..32].copy_from_slice(&zero);
    let decoded = decode_proof(&identity).unwrap();
    assert_eq!(verifier().verify(&decoded, &prove(&f, &f.statement, 21).unwrap().1), Err(ProofError::Rejected));
}


/// Proof bytes are re-randomisable: a replay or dedup key must be the
/// challenge (and pseudonym), never the proof bytes.
#[test]
fn rerandomised_proofs_verify_with_other_bytes() {
    let f = fixture(22);
    let (proof, public) = prove(&f, &f.statement, 23).unwrap();
    let again = Groth16::<Bn254>::rerandomize_proof(&keys().1, &proof, &mut rng(24));
    assert_ne!(encode_proof(&again), encode_proof(&proof));
    assert_eq!(verifier().verify(&again, &public), Ok(()));
}

#[test]
fn a_batch_of_64_with_one_bad_proof_is_rejected_and_names_it() {
    let f = fixture(25);
    // Four distinct statements, each proof re-randomised to 16 distinct proofs.
    let mut items = Vec::new();
    for k in 0..4u8 {
        let s = ProofStatement { challenge: label(LabelDomain::Challenge, &hex::encode([k; 32])), ..f.statement };
        let (proof, public) = prove(&f, &s, 30 + k as u64).unwrap();
        for j in 0..16 {
            items.push((Groth16::<Bn254>::rerandomize_proof(&keys().1, &proof, &mut rng(100 + j)), public));
        }
    }
    assert_eq!(items.len(), 64);
    assert_eq!(verifier().verify_batch(&items, &mut rng(40)), Ok(()));
    // One proof answers another statement's challenge.
    let mut bad = items.clone();
    bad[37].1 = items[0].1;
    assert_eq!(verifier().verify_batch(&bad, &mut rng(41)), Err(BatchError::Invalid(vec![37])));
    // Swapping two proofs' C points breaks both.
    let mut swapped = items.clone();
    let c = swapped[3].0.c;
    swapped[3].0.c = swapped[60].0.c;
    swapped[60].0.c = c;
    assert_eq!(verifier().verify_batch(&swapped, &mut rng(42)), Err(BatchError::Invalid(vec![3, 60])));
    assert_eq!(verifier().verify_batch(&[], &mut rng(43)), Ok(()));
}

/// A subscriber that counts the spans opened under it.
#[derive(Default)]
struct SpanCounter(std::sync::atomic::AtomicU64);

impl tracing::Subscriber for SpanCounter {
    fn enabled(&self, _: &tracing::Metadata<'_>) -> bool {
        true
    }
    fn new_span(&self, _: &tracing::span::Attributes<'_>) -> tracing::span::Id {
        tracing::span::Id::from_u64(self.0.fetch_add(1, std::sync::atomic::Ordering::SeqCst) + 1)
    }
    fn record(&self, _: &tracing::span::Id, _: &tracing::span::Record<'_>) {}
    fn record_follows_from(&self, _: &tracing::span::Id, _: &tracing::span::Id) {}
    fn event(&self, _: &tracing::Event<'_>) {}
    fn enter(&self, _: &tracing::span::Id) {}
    fn exit(&self, _: &tracing::span::Id) {}
}

/// arkworks opens a span per constraint namespace and gadget call; an
/// application's subscriber recording them would make proving several times
/// slower, so the prover synthesises with none.
#[test]
fn proving_opens_no_spans_under_an_application_subscriber() {
    let f = fixture(9);
    let counter = std::sync::Arc::new(SpanCounter::default());
    let dispatch = tracing::Dispatch::from(counter.clone());
    // The counter does see arkworks' spans when synthesis runs under it.
    tracing::dispatcher::with_default(&dispatch, || {
        let cs = ark_relations::gr1cs::ConstraintSystem::<Fr>::new_ref();
        ark_relations::gr1cs::ConstraintSynthesizer::generate_constraints(PredicateCircuit::blank(), cs).unwrap();
    });
    let direct = counter.0.swap(0, std::sync::atomic::Ordering::SeqCst);
    assert!(direct > 100, "synthesis opened only {direct} spans");
    let (proof, public) = tracing::dispatcher::with_default(&dispatch, || prove(&f, &f.statement, 10)).unwrap();
    assert_eq!(verifier().verify(&proof, &public), Ok(()));
    assert_eq!(counter.0.load(std::sync::atomic::Ordering::SeqCst), 0);
}

/// zkreg's prover (its MSM, its scheduling) and arkworks' give the very same
/// proof for the same blinding scalars: with the one-party key (libsnark's
/// reduction) and with a key in circom's layout (a ceremony's reduction).
#[test]
fn zkregs_prover_and_arkworks_give_the_same_proof() {
    use ark_groth16::prepare_verifying_key;
    use zkreg_prover::{Backend, CircomReduction, PredicateProver, QapReduction};

    let f = fixture(40);
    let index = f.opening.leaf_index.unwrap();
    let path = f.ledger.tree.path(index).unwrap();
    let circuit = || PredicateProver::circuit_for(&f.wallet, &f.opening, &path, f.ledger.tree.root(), &f.statement).unwrap();
    let circom_pk = Groth16::<Bn254, CircomReduction>::generate_random_parameters_with_reduction(PredicateCircuit::blank(), &mut rng(41)).unwrap();
    let circom = PredicateProver::new(circom_pk).unwrap();
    assert_eq!(prover().reduction(), QapReduction::Libsnark);
    assert_eq!(circom.reduction(), QapReduction::Circom);
    let mut r = rng(42);
    for p in [prover(), &circom] {
        let vk = prepare_verifying_key(&p.proving_key().vk);
        for (blind_r, blind_s) in [(Fr::rand(&mut r), Fr::rand(&mut r)), (Fr::one(), -Fr::one()), (Fr::from(0u64), Fr::rand(&mut r))] {
            let ours = p.prove_circuit_with(circuit(), blind_r, blind_s, Backend::Zkreg).unwrap();
            let theirs = p.prove_circuit_with(circuit(), blind_r, blind_s, Backend::Arkworks).unwrap();
            assert_eq!(ours, theirs, "{:?} reduction, r = {blind_r}", p.reduction());
            let inputs = circuit().public.to_field_elements();
            assert!(Groth16::<Bn254>::verify_proof(&vk, &ours, &inputs).unwrap());
        }
    }
    // And a proof from `prove` (random blinding) verifies with zkreg's verifier.
    let (proof, public) = prove(&f, &f.statement, 43).unwrap();
    assert_eq!(verifier().verify(&proof, &public), Ok(()));
}
