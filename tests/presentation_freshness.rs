//! How long a presentation is accepted (DESIGN.md "Verify"): its challenge is
//! single use and bound to its request (refusals do not spend it; a
//! re-randomised proof is a replay too), exactly once even when many threads
//! verify the same presentations at the same time, and a proof against a root
//! stays acceptable until that root leaves the ledger's window, which is the
//! latency of a revocation.

mod presentation_kit;

use std::sync::Barrier;

use ark_bn254::{Bn254, Fr};
use ark_groth16::Groth16;

use zkreg_prover::{HeldCredential, PresentationError, ProveError, Wallet};
use zkreg_suite::{at_least, keys, request, rng, verifier, TODAY};
use zkreg_verifier::groth16::{decode_proof_hex, encode_proof_hex};
use zkreg_verifier::{
    verify_presentation, Backend, ChallengeBook, ChallengeError, MemoryChallengeBook, PredicateSpec, Presentation,
    ProofRequest, Verified, VerifyError,
};

use presentation_kit::*;

#[test]
fn challenges_are_single_use_and_bound_to_the_request() {
    let (ledger, wallet, held) = credit_holder(5);
    let req_a = request(vec![at_least(CREDIT, 700, CENTRAL_BANK)], 12);
    let req_b = request(vec![at_least(CREDIT, 700, CENTRAL_BANK)], 13);
    let challenges = MemoryChallengeBook::default();
    challenges.issue(&req_a.challenge);
    challenges.issue(&req_b.challenge);
    let presentation = build(&wallet, &req_a, &held, &ledger, TODAY, 50).unwrap();

    // A rejected attempt on A's challenge does not consume it.
    let mut tampered = presentation.clone();
    groth16(&mut tampered, 0).pseudonym += Fr::from(1u64);
    assert_eq!(verify_with(&req_a, &tampered, &ledger, &challenges, CLOCK), Err(VerifyError::ProofRejected(0)));

    // A's presentation submitted against B.
    let err = verify_with(&req_b, &presentation, &ledger, &challenges, CLOCK).unwrap_err();
    assert_eq!(err, VerifyError::ChallengeMismatch);
    assert_eq!(err.code(), "challenge_mismatch");
    // Echoing B's challenge does not help: the proof is bound to A's.
    let mut rewritten = presentation.clone();
    rewritten.challenge = req_b.challenge.clone();
    assert_eq!(verify_with(&req_b, &rewritten, &ledger, &challenges, CLOCK), Err(VerifyError::ProofRejected(0)));

    // The honest presentation verifies once.
    assert!(verify_with(&req_a, &presentation, &ledger, &challenges, CLOCK).is_ok());
    let err = verify_with(&req_a, &presentation, &ledger, &challenges, CLOCK).unwrap_err();
    assert_eq!(err, VerifyError::Challenge(ChallengeError::Replayed));
    assert_eq!(err.code(), "challenge_replayed");
    // A fresh-looking proof of the same statement (re-randomised: other
    // bytes, equally valid) is a replay too: single use is per challenge.
    let mut rerandomised = presentation.clone();
    let proof = decode_proof_hex(&groth16(&mut rerandomised, 0).proof).unwrap();
    groth16(&mut rerandomised, 0).proof =
        encode_proof_hex(&Groth16::<Bn254>::rerandomize_proof(&keys().1, &proof, &mut rng(51)));
    assert_ne!(rerandomised, presentation);
    assert!(verify_fresh(&req_a, &rerandomised, &ledger, CLOCK).is_ok());
    assert_eq!(
        verify_with(&req_a, &rerandomised, &ledger, &challenges, CLOCK),
        Err(VerifyError::Challenge(ChallengeError::Replayed))
    );

    // A challenge this verifier never issued.
    let err = verify_with(&req_a, &presentation, &ledger, &MemoryChallengeBook::default(), CLOCK).unwrap_err();
    assert_eq!(err, VerifyError::Challenge(ChallengeError::Unknown));
    assert_eq!(err.code(), "challenge_unknown");

    // The two refused attempts against B left B's challenge unused.
    assert_eq!(challenges.consume(&req_b.challenge), Ok(()));
}

#[test]
fn revocation_takes_effect_when_the_root_leaves_the_window() {
    // The ledger accepts the roots of the last WINDOW blocks. A proof against
    // the root just before a revocation stays acceptable until WINDOW blocks
    // (the revocation's own block included) have been appended after that
    // root: the window is the revocation latency.
    const WINDOW: usize = 4;
    let mut r = rng(6);
    let mut ledger = ledger(WINDOW, &mut r);
    let wallet = Wallet::generate(&mut r);
    let neighbour = Wallet::generate(&mut r);
    let opening = issue(&mut ledger, &wallet, CREDIT, CENTRAL_BANK, 720, TODAY + 365, &mut r);
    let neighbours = issue(&mut ledger, &neighbour, CREDIT, CENTRAL_BANK, 750, TODAY + 365, &mut r);
    let held = [HeldCredential::Groth16(opening.clone())];
    let req = request(vec![at_least(CREDIT, 700, CENTRAL_BANK)], 14);
    let before = build(&wallet, &req, &held, &ledger, TODAY, 60).unwrap();

    let index = opening.leaf_index.unwrap();
    ledger.revoke(index);
    assert_eq!(ledger.tree.leaf(index), Ok(Fr::from(0u64)));
    // The holder can no longer prove: the path under the new root opens 0, not
    // the commitment (the prover's native check, before any proving work).
    let later = request(vec![at_least(CREDIT, 700, CENTRAL_BANK)], 15);
    let err = build(&wallet, &later, &held, &ledger, TODAY, 61).unwrap_err();
    assert!(matches!(err, PresentationError::Groth16(ProveError::NotInTree)), "{err:?}");
    // Revocation is per credential: the neighbouring leaf still proves.
    let other = build(&neighbour, &later, &[HeldCredential::Groth16(neighbours)], &ledger, TODAY, 62).unwrap();
    assert_eq!(verify_fresh(&later, &other, &ledger, CLOCK).map(|v| v.pseudonym), Ok(Some(pseudonym_hex(&neighbour, &later))));

    // The presentation made before the revocation: accepted for WINDOW - 1
    // blocks after its root (the revocation and WINDOW - 2 empty blocks)...
    for blocks_since_root in 1..WINDOW {
        assert!(verify_fresh(&req, &before, &ledger, CLOCK).is_ok(), "{blocks_since_root} blocks after its root");
        ledger.empty_block();
    }
    // ...and refused once WINDOW blocks have been appended after its root.
    let err = verify_fresh(&req, &before, &ledger, CLOCK).unwrap_err();
    assert_eq!(err, VerifyError::RootNotInWindow(0));
    assert_eq!(err.code(), "root_not_in_window");
}

#[test]
fn concurrent_verification_accepts_each_presentation_exactly_once() {
    const THREADS: usize = 4;
    const PRESENTATIONS: usize = 16;
    let mut r = rng(9);
    let mut ledger = ledger(8, &mut r);
    let wallets: Vec<Wallet> = (0..THREADS).map(|_| Wallet::generate(&mut r)).collect();
    // Each wallet holds a Groth16 and a Pedersen credit score: half the
    // presentations are Groth16, half Bulletproofs.
    let mut held = Vec::new();
    for wallet in &wallets {
        let opening = issue(&mut ledger, wallet, CREDIT, CENTRAL_BANK, 720, TODAY + 365, &mut r);
        let (range, _, _) = register_range_credential(&mut ledger, wallet, CREDIT, CENTRAL_BANK, 710, TODAY + 30, &mut r);
        held.push([HeldCredential::Groth16(opening), range]);
    }
    let challenges = MemoryChallengeBook::default();
    let cases: Vec<(ProofRequest, Presentation, Option<String>)> = (0..PRESENTATIONS)
        .map(|i| {
            let backend = if i % 2 == 0 { Backend::Groth16 } else { Backend::Bulletproofs };
            let req = request(vec![PredicateSpec { backend, ..at_least(CREDIT, 700, CENTRAL_BANK) }], 100 + i as u8);
            challenges.issue(&req.challenge);
            let wallet = &wallets[i % THREADS];
            let presentation = build(wallet, &req, &held[i % THREADS], &ledger, TODAY, 90 + i as u64).unwrap();
            let pseudonym = (backend == Backend::Groth16).then(|| pseudonym_hex(wallet, &req));
            (req, presentation, pseudonym)
        })
        .collect();

    // Every thread tries every presentation, in its own order, all at once.
    let start = Barrier::new(THREADS);
    let outcomes: Vec<Vec<(usize, Result<Verified, VerifyError>)>> = std::thread::scope(|s| {
        let workers: Vec<_> = (0..THREADS)
            .map(|t| {
                let (cases, ledger, challenges, start) = (&cases, &ledger, &challenges, &start);
                s.spawn(move || {
                    start.wait();
                    (0..PRESENTATIONS)
                        .map(|k| {
                            let i = (k + t * PRESENTATIONS / THREADS) % PRESENTATIONS;
                            let (req, presentation, _) = &cases[i];
                            let mut thread_rng = rng(1_000 + t as u64);
                            let outcome = verify_presentation(
                                verifier(),
                                req,
                                presentation,
                                ledger,
                                challenges,
                                CLOCK,
                                &mut thread_rng,
                            );
                            (i, outcome)
                        })
                        .collect()
                })
            })
            .collect();
        workers.into_iter().map(|w| w.join().unwrap()).collect()
    });
    let mut accepted = [0usize; PRESENTATIONS];
    for (i, outcome) in outcomes.into_iter().flatten() {
        match outcome {
            Ok(verified) => {
                accepted[i] += 1;
                let (_, _, pseudonym) = &cases[i];
                assert_eq!(verified.pseudonym, *pseudonym, "presentation {i}");
                assert_eq!(verified.linkable, pseudonym.is_none(), "presentation {i}");
            }
            Err(err) => assert_eq!(err.code(), "challenge_replayed", "presentation {i}: {err}"),
        }
    }
    assert_eq!(accepted, [1; PRESENTATIONS]);

    // A second round: every challenge is spent.
    std::thread::scope(|s| {
        for t in 0..THREADS {
            let (cases, ledger, challenges) = (&cases, &ledger, &challenges);
            s.spawn(move || {
                for (req, presentation, _) in cases.iter().skip(t).step_by(THREADS) {
                    let err = verify_with(req, presentation, ledger, challenges, CLOCK).unwrap_err();
                    assert_eq!(err.code(), "challenge_replayed");
                }
            });
        }
    });
}
