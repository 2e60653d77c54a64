//! The request book across restarts, expiry and the open-request limit.

use super::*;
use zkreg_registry::local::LocalTree;
use zkreg_registry::LocalStore;

fn request(challenge_byte: u8, expires_at: u64) -> ProofRequest {
    ProofRequest {
        version: zkreg_circuits::request::REQUEST_VERSION,
        verifier: "bank-a".into(),
        scope: "bank-a/loans".into(),
        challenge: hex::encode([challenge_byte; 32]),
        expires_at,
        predicates: vec![],
        signature: None,
    }
}

fn open(dir: &std::path::Path) -> (LocalStore, RequestBook) {
    open_with(dir, 10, 0)
}

fn open_with(dir: &std::path::Path, max_open: usize, now: u64) -> (LocalStore, RequestBook) {
    // sled releases its lock asynchronously after the last handle drops.
    let mut last = None;
    for _ in 0..100 {
        match LocalStore::open(dir) {
            Ok(local) => {
                let book = RequestBook::open(local.tree(LocalTree::Requests).unwrap(), max_open, now).unwrap();
                return (local, book);
            }
            Err(e) => last = Some(e),
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    panic!("the database did not reopen: {last:?}");
}

#[test]
fn challenges_are_single_use_across_restarts_and_requests_expire() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b, c) = (request(1, 1_000), request(2, 1_000), request(3, 5_000));
    {
        let (_ledger, book) = open(dir.path());
        assert_eq!(book.consume(&a.challenge), Err(ChallengeError::Unknown));
        for r in [&a, &b, &c] {
            book.issue(r, [7; 32], 0).unwrap();
        }
        assert!(book.issue(&a, [6; 32], 0).is_err(), "an issued challenge is never issued again");
        assert_eq!(book.open_requests(&[6; 32], 0), 0, "a refused issue holds no slot");
        assert_eq!(book.get(&a.challenge).unwrap().unwrap().requester, [7; 32]);
        assert_eq!(book.consume(&a.challenge), Ok(()));
        assert_eq!(book.consume(&a.challenge), Err(ChallengeError::Replayed));
    }
    let (_ledger, book) = open(dir.path());
    assert_eq!(book.len(), 3);
    assert_eq!(book.consume(&a.challenge), Err(ChallengeError::Replayed), "used before the restart");
    let kept = book.get(&b.challenge).unwrap().unwrap();
    assert_eq!((kept.request, kept.used), (b.clone(), false));
    assert_eq!(book.prune(1_000 + RequestBook::GRACE_SECONDS).unwrap(), 0, "not yet past the grace period");
    assert_eq!(book.prune(1_001 + RequestBook::GRACE_SECONDS).unwrap(), 2);
    assert_eq!(book.get(&b.challenge).unwrap(), None);
    assert_eq!(book.consume(&c.challenge), Ok(()));
}

#[test]
fn concurrent_consumers_accept_a_challenge_once() {
    let dir = tempfile::tempdir().unwrap();
    let (_ledger, book) = open(dir.path());
    let r = request(4, 1_000);
    book.issue(&r, [7; 32], 0).unwrap();
    let accepted = std::sync::atomic::AtomicUsize::new(0);
    std::thread::scope(|s| {
        for _ in 0..8 {
            s.spawn(|| {
                if book.consume(&r.challenge).is_ok() {
                    accepted.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                }
            });
        }
    });
    assert_eq!(accepted.into_inner(), 1);
}

#[test]
fn open_requests_are_limited_per_verifier_and_counted_across_restarts() {
    let dir = tempfile::tempdir().unwrap();
    let (bank, other) = ([7; 32], [8; 32]);
    let code = |r: Result<(), ApiError>| r.map_err(|e| match e {
        ApiError::TooManyRequests { code, retry_after, .. } => (code, retry_after),
        other => panic!("{other:?}"),
    });
    {
        let (_ledger, book) = open_with(dir.path(), 2, 100);
        book.issue(&request(1, 150), bank, 100).unwrap();
        book.issue(&request(2, 120), bank, 100).unwrap();
        // The soonest open request is open through second 120.
        assert_eq!(code(book.issue(&request(3, 500), bank, 110)), Err(("too_many_open_requests", 11)));
        book.issue(&request(3, 500), other, 110).unwrap();
        // Answered: its slot is free.
        assert_eq!(book.consume(&request(1, 150).challenge), Ok(()));
        book.issue(&request(4, 130), bank, 110).unwrap();
        assert_eq!(book.open_requests(&bank, 110), 2);
    }
    // Reopened: the used request holds no slot, the expired one neither.
    let (_ledger, book) = open_with(dir.path(), 2, 110);
    assert_eq!((book.open_requests(&bank, 110), book.open_requests(&other, 110)), (2, 1));
    assert!(book.issue(&request(5, 500), bank, 110).is_err());
    let (_ledger, book) = { drop(book); drop(_ledger); open_with(dir.path(), 2, 125) };
    assert_eq!(book.open_requests(&bank, 125), 1);
    book.issue(&request(5, 500), bank, 125).unwrap();
    // And in the running book, a request stops holding its slot after it expires.
    assert!(book.issue(&request(6, 500), bank, 130).is_err());
    book.issue(&request(6, 500), bank, 131).unwrap();
}

#[test]
fn a_request_must_be_answerable_by_a_registered_authorised_issuer() {
    use zkreg_registry::state::{RegulatorRecord, SchemaRecord};
    use zkreg_verifier::{Backend, Operator, PredicateSpec};
    let mut registry = Registry::default();
    for schema in ["credit-score", "licence", "orphan"] {
        registry.schemas.insert(schema.into(), SchemaRecord { name: schema.into(), description: String::new(), since: 0 });
    }
    let regulator = |name: &str, schema: &str, active| RegulatorRecord { name: name.into(), key: [0; 32], schemas: vec![schema.into()], active, since: 0 };
    registry.regulators.insert("central-bank".into(), regulator("central-bank", "credit-score", true));
    registry.regulators.insert("licensing".into(), regulator("licensing", "licence", true));
    registry.regulators.insert("retired".into(), regulator("retired", "orphan", false));
    let asking = |schema: &str, issuers: &[&str]| {
        let spec = PredicateSpec {
            schema: schema.into(),
            operator: Operator::AtLeast { value: 1 },
            allowed_issuers: issuers.iter().map(|i| i.to_string()).collect(),
            backend: Backend::Groth16,
        };
        ProofRequest { predicates: vec![spec], ..request(1, 1) }
    };
    let cases: [(&str, &[&str], Result<(), &str>); 8] = [
        ("credit-score", &["central-bank"], Ok(())),
        ("credit-score", &[], Ok(())),
        ("licence", &["licensing", "central-bank"], Err("issuer_not_authorised")),
        ("nothing", &["central-bank"], Err("unknown_schema")),
        ("credit-score", &["nobody"], Err("unknown_issuer")),
        ("orphan", &["retired"], Err("issuer_not_authorised")),
        // A retired regulator does not count for "any issuer".
        ("orphan", &[], Err("issuer_not_authorised")),
        ("licence", &[], Ok(())),
    ];
    for (schema, issuers, expected) in cases {
        let got = answerable(&asking(schema, issuers), &registry);
        assert_eq!(got.as_ref().map_err(|e| e.code()), expected.as_ref().map_err(|c| *c), "{schema} {issuers:?}");
    }
}
