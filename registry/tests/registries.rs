//! Audit regressions on real sled files: the ledger computes every Groth16
//! leaf from the authenticated issuer and schema (commitment v2), and
//! governance keeps a registry of verifiers (banks) whose names own their
//! scopes.

mod common;

use common::*;
use zkreg_registry::tx::check_verifier_name;
use zkreg_registry::{CredentialKind, TxBody};

fn register_verifier(name: &str, key: [u8; 32]) -> TxBody {
    TxBody::RegisterVerifier { name: name.into(), key }
}

// ---------------------------------------------------------------------------
// Finding 1: a regulator cannot mint for another issuer or schema
// ---------------------------------------------------------------------------

/// The food agency (authorised only for food licences) submits the `inner`
/// of a credit-score credential "from the central bank". The ledger wraps
/// it in the food agency's own issuer and schema, so the leaf is not the
/// central bank's credit leaf: no proof of "credit-score from central-bank"
/// can open it, and the record names the food agency, which alone may
/// revoke it.
#[test]
fn a_regulator_cannot_place_a_leaf_of_another_issuer_or_schema() {
    let mut c = TestChain::new(40);
    let fa = c.actors.food_agency.clone();
    let cb = c.actors.central_bank.clone();
    let forged = c.commitment(CREDIT, CENTRAL_BANK);
    let inner = inner_of(&forged).unwrap();

    // Naming the credit schema is refused outright.
    let b = c.block(vec![c.tx(&fa, TxBody::IssueCredential { schema: CREDIT.into(), inner })]);
    assert_eq!(code(&b.receipts[0]), Some("schema_not_allowed"));
    assert_eq!(b.header.leaf_count, 0);

    // Under its own schema the inner is accepted, as the food agency's leaf.
    let b = c.commit(vec![c.tx(&fa, TxBody::IssueCredential { schema: FOOD.into(), inner })]);
    let placed = b.receipts[0].commitment.expect("an applied issuance names its leaf");
    assert_eq!(placed, leaf(FOOD, FOOD_AGENCY, &inner));
    assert_ne!(placed, forged, "the central bank's credit leaf was placed by the food agency");
    assert_eq!(c.ledger.credential(&forged).unwrap(), None);
    let record = c.ledger.credential(&placed).unwrap().unwrap();
    assert_eq!((record.issuer.as_str(), record.schema.as_str()), (FOOD_AGENCY, FOOD));
    assert_eq!(record.kind, CredentialKind::Groth16 { leaf_index: 0 });
    // The tree holds the ledger's leaf, not the one the regulator had in mind.
    let root = c.ledger.root();
    let path = c.ledger.path(0).unwrap();
    assert_eq!(path.compute_root(zkreg_circuits::field::fr_from_bytes(&placed).unwrap()).unwrap(), root);
    assert_ne!(path.compute_root(zkreg_circuits::field::fr_from_bytes(&forged).unwrap()).unwrap(), root);

    // The same inner from the central bank is its own, distinct credential.
    let b = c.commit(vec![c.tx(&cb, issue(CREDIT, forged))]);
    assert_eq!(b.receipts[0].commitment, Some(forged));
    // Each regulator revokes only its own.
    let b = c.block(vec![c.tx(&cb, revoke(placed)), c.tx(&fa, revoke(forged))]);
    assert_eq!(b.receipts.iter().map(code).collect::<Vec<_>>(), [Some("not_issuer"), Some("not_issuer")]);
    c.commit(vec![c.tx(&fa, revoke(placed)), c.tx(&cb, revoke(forged))]);
    assert_eq!(c.ledger.verify_chain(), Ok(c.ledger.height()));
}

#[test]
fn the_receipt_names_the_leaf_and_a_duplicate_leaf_is_refused() {
    let mut c = TestChain::new(41);
    let cb = c.actors.central_bank.clone();
    let (stx, cm) = c.issue_credit();
    let b = c.commit(vec![stx]);
    assert_eq!((b.receipts[0].leaf_index, b.receipts[0].commitment), (Some(0), Some(cm)));
    // The same inner again from the same issuer and schema is the same leaf.
    let b = c.block(vec![c.tx(&cb, issue(CREDIT, cm))]);
    assert_eq!(code(&b.receipts[0]), Some("duplicate_commitment"));
    assert_eq!((b.receipts[0].leaf_index, b.receipts[0].commitment), (None, None));
    // An invalid inner names no leaf.
    let b = c.block(vec![c.tx(&cb, TxBody::IssueCredential { schema: CREDIT.into(), inner: [0; 32] })]);
    assert_eq!((code(&b.receipts[0]), b.receipts[0].commitment), (Some("invalid_commitment"), None));
}

// ---------------------------------------------------------------------------
// The verifier registry
// ---------------------------------------------------------------------------

#[test]
fn governance_registers_and_retires_verifiers() {
    let mut c = TestChain::new(42);
    let bank = signing_key(&mut rng(4201));
    let rotated = signing_key(&mut rng(4202));

    let b = c.commit(vec![c.governance(register_verifier("bank-a", public(&bank)), &[1])]);
    let v = c.ledger.registry().verifier_by_key(&public(&bank)).expect("registered").clone();
    assert_eq!((v.name.as_str(), v.key, v.active, v.since), ("bank-a", public(&bank), true, b.header.height));
    assert_eq!(c.ledger.registry().active_verifier("bank-a"), Some(&v));

    // Survives a restart and the replay of verify-chain.
    let mut c = c.reopen();
    assert_eq!(c.ledger.registry().verifier_by_key(&public(&bank)), Some(&v));
    assert_eq!(c.ledger.verify_chain(), Ok(1));

    // Retired: the key no longer counts; the name may be registered again
    // with a new key (key rotation by governance).
    c.commit(vec![c.governance(TxBody::RetireVerifier { name: "bank-a".into() }, &[2])]);
    assert_eq!(c.ledger.registry().verifier_by_key(&public(&bank)), None);
    assert_eq!(c.ledger.registry().active_verifier("bank-a"), None);
    assert!(!c.ledger.registry().verifiers["bank-a"].active);
    c.commit(vec![c.governance(register_verifier("bank-a", public(&rotated)), &[1])]);
    assert_eq!(c.ledger.registry().active_verifier("bank-a").map(|v| v.key), Some(public(&rotated)));
    assert_eq!(c.ledger.registry().verifier_by_key(&public(&bank)), None);
    assert_eq!(c.ledger.verify_chain(), Ok(3));
}

#[test]
fn verifier_registrations_that_would_blur_roles_or_scopes_are_refused() {
    let mut c = TestChain::new(43);
    let bank = signing_key(&mut rng(4301));
    let other = signing_key(&mut rng(4302));
    c.commit(vec![c.governance(register_verifier("bank-a", public(&bank)), &[1])]);

    let cases: Vec<(&str, zkreg_registry::SignedTransaction, &str)> = vec![
        ("name taken", c.governance(register_verifier("bank-a", public(&other)), &[1]), "already_registered"),
        ("key of another verifier", c.governance(register_verifier("bank-b", public(&bank)), &[1]), "already_registered"),
        ("key of a regulator", c.governance(register_verifier("bank-b", public(&c.actors.central_bank)), &[1]), "already_registered"),
        ("key of a root authority", c.governance(register_verifier("bank-b", public(&c.actors.authorities[2])), &[1]), "already_registered"),
        ("a regulator with a verifier's key", c.governance(
            TxBody::RegisterRegulator { name: "new-regulator".into(), key: public(&bank), schemas: vec![CREDIT.into()] },
            &[1],
        ), "already_registered"),
        ("name with a slash", c.governance(register_verifier("bank-a/loans", public(&other)), &[1]), "invalid_name"),
        ("empty name", c.governance(register_verifier("", public(&other)), &[1]), "invalid_name"),
        ("weak key", c.governance(register_verifier("bank-b", IDENTITY_KEY), &[1]), "weak_key"),
        ("too few approvals", c.governance(register_verifier("bank-b", public(&other)), &[]), "insufficient_approvals"),
        ("a regulator registers", c.tx(&c.actors.central_bank, register_verifier("bank-b", public(&other))), "unauthorised"),
        ("a verifier registers another", c.tx(&bank, register_verifier("bank-b", public(&other))), "unauthorised"),
        ("retire an unknown verifier", c.governance(TxBody::RetireVerifier { name: "bank-z".into() }, &[1]), "unknown_verifier"),
    ];
    for (name, stx, expected) in cases {
        let before = c.snapshot();
        let got = match c.submit(stx.clone()) {
            Err(e) => e.code().to_string(),
            Ok(_) => {
                let b = c.produce_block(c.next_time()).unwrap().unwrap();
                code(&b.receipts[0]).unwrap_or("applied").to_string()
            }
        };
        assert_eq!(got, expected, "{name}");
        let after = c.snapshot();
        assert_eq!(after.state.registry.verifiers, before.state.registry.verifiers, "{name}");
        assert_eq!(after.state.registry.verifier_keys, before.state.registry.verifier_keys, "{name}");
        assert_eq!(after.state.registry.regulators, before.state.registry.regulators, "{name}");
    }
    assert!(check_verifier_name("bank-a").is_ok());
    assert!(check_verifier_name("a/b").is_err());
}

/// A data directory written before commitment v2 (no layout version, or
/// another one) is refused at open with an error that names both versions,
/// never read as if its leaves were v2 leaves.
#[test]
fn a_data_directory_of_another_ledger_format_is_refused() {
    for stored in [None, Some(&b"zkreg-ledger-v9"[..])] {
        let c = TestChain::new(44);
        let db = c.ledger.store().raw_db();
        match stored {
            None => db.remove(b"V").map(|_| ()).unwrap(),
            Some(v) => db.insert(b"V", v).map(|_| ()).unwrap(),
        }
        let err = c.try_reopen().err().expect("another format must be refused");
        let text = err.to_string();
        assert!(matches!(err, zkreg_registry::LedgerError::UnsupportedFormat { .. }), "{text}");
        assert!(text.contains(zkreg_registry::store::FORMAT), "{text}");
        assert!(text.contains(if stored.is_none() { "zkreg-ledger-v1" } else { "zkreg-ledger-v9" }), "{text}");
    }
}
