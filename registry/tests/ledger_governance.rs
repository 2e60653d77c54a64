//! Governance proposals on the ledger (2 of 3 root authorities): a proposal
//! with k-1 approvals changes nothing, the k-th applies the change exactly
//! as the direct governance transaction does, an expired proposal cannot be
//! completed, and every refusal has its stable code and no effect. A change
//! that is invalid when the threshold is reached leaves the proposal
//! pending. Proposals are chain state: they survive a restart, travel in
//! snapshots and are replayed by `verify-chain`, which catches a tampered one.

mod common;

use common::*;
use zkreg_registry::governance::{GovernanceChange, ProposalRecord, ProposalStatus, DEFAULT_PROPOSAL_TTL_BLOCKS};
use zkreg_registry::tx::Hash;
use zkreg_registry::{Genesis, Registry, SignedTransaction, TxBody};

/// `change` proposed by root authority `by`.
fn propose(c: &TestChain, by: usize, change: GovernanceChange) -> SignedTransaction {
    c.tx(&c.actors.authorities[by], TxBody::Propose { change })
}

/// Root authority `by` approving proposal `id`.
fn approve(c: &TestChain, by: usize, id: Hash) -> SignedTransaction {
    c.tx(&c.actors.authorities[by], TxBody::Approve { proposal: id })
}

/// The proposal `id` as the ledger holds it.
fn proposal(c: &TestChain, id: &Hash) -> ProposalRecord {
    c.ledger.registry().proposals.get(id).cloned().unwrap_or_else(|| panic!("no proposal {}", hex::encode(id)))
}

/// What governance governs: the registry without proposals and nonces.
fn governed(r: &Registry) -> Registry {
    let mut r = r.clone();
    r.proposals.clear();
    r.nonces.clear();
    r
}

/// A block with only `stx`, which must be refused with `code`; the state is
/// left as it was.
fn refused(c: &mut TestChain, stx: SignedTransaction, code: &str) {
    let before = c.snapshot().state;
    let b = c.block(vec![stx]);
    assert_eq!(common::code(&b.receipts[0]), Some(code));
    assert_eq!(c.snapshot().state, before, "a refused {code} changed the state");
}

/// A transaction that changes nothing governance governs (to let blocks pass).
fn filler(c: &TestChain) -> SignedTransaction {
    c.issue_credit().0
}

/// Five changes, each valid after the ones before it.
fn changes() -> Vec<GovernanceChange> {
    let tax = public(&signing_key(&mut rng(200)));
    let bank = public(&signing_key(&mut rng(201)));
    vec![
        GovernanceChange::RegisterSchema { name: "mortgage".into(), description: "outstanding mortgage, EUR".into() },
        GovernanceChange::RegisterRegulator { name: "tax-office".into(), key: tax, schemas: vec!["mortgage".into(), CREDIT.into()] },
        GovernanceChange::RegisterVerifier { name: "bank-b".into(), key: bank },
        GovernanceChange::RetireVerifier { name: "bank-b".into() },
        GovernanceChange::RetireRegulator { name: CENTRAL_BANK.into() },
    ]
}

#[test]
fn k_minus_one_approvals_change_nothing_and_the_kth_applies_the_change_as_the_direct_transaction_does() {
    let mut proposed = TestChain::new(31);
    let mut direct = TestChain::new(31);
    assert_eq!(proposed.genesis.approval_threshold, 2);
    for change in changes() {
        // The proposer's own approval is the first: 1 of 2 changes nothing.
        let before = governed(proposed.ledger.registry());
        let p = proposed.commit(vec![propose(&proposed, 0, change.clone())]);
        let id = p.receipts[0].tx_id;
        assert_eq!(governed(proposed.ledger.registry()), before, "{change:?} with k-1 approvals changed the registry");
        let record = proposal(&proposed, &id);
        assert_eq!(record.status(proposed.ledger.height()), ProposalStatus::Pending);
        assert_eq!(record.approvals, vec![public(&proposed.actors.authorities[0])]);
        assert_eq!((record.proposed_at, record.expires_at), (p.header.height, p.header.height + DEFAULT_PROPOSAL_TTL_BLOCKS));
        // The second approval applies it in its own block.
        let a = proposed.commit(vec![approve(&proposed, 1, id)]);
        let record = proposal(&proposed, &id);
        assert_eq!(record.status(proposed.ledger.height()), ProposalStatus::Applied(a.header.height));
        assert_eq!(record.approvals.len(), 2);

        // The direct transaction at the same height, with the same signers.
        direct.commit(vec![direct.tx(&direct.actors.authorities[0], TxBody::AuditEvent { kind: "filler".into(), subject_hash: [0; 32] })]);
        direct.commit(vec![direct.governance(TxBody::from(change.clone()), &[1])]);
        assert_eq!(governed(proposed.ledger.registry()), governed(direct.ledger.registry()), "{change:?}");
    }
    assert!(proposed.ledger.registry().active_verifier("bank-b").is_none());
    assert!(proposed.ledger.registry().authorised("tax-office", "mortgage"));
    assert!(proposed.ledger.registry().regulator_by_key(&public(&proposed.actors.central_bank)).is_none());
    assert_eq!(proposed.ledger.verify_chain(), Ok(proposed.ledger.height()));
}

#[test]
fn co_signatures_count_so_a_proposal_with_the_threshold_applies_in_its_own_block() {
    let mut c = TestChain::new(32);
    let change = GovernanceChange::RegisterSchema { name: "mortgage".into(), description: String::new() };
    let b = c.commit(vec![propose(&c, 0, change).approve(&c.actors.authorities[2])]);
    let record = proposal(&c, &b.receipts[0].tx_id);
    assert_eq!(record.status(c.ledger.height()), ProposalStatus::Applied(b.header.height));
    assert!(c.ledger.registry().schemas.contains_key("mortgage"));
}

#[test]
fn an_expired_proposal_cannot_be_completed_and_one_approved_at_its_last_height_applies() {
    let mut c = TestChain::with_genesis(33, |g| g.proposal_ttl_blocks = 2);
    let change = GovernanceChange::RegisterSchema { name: "mortgage".into(), description: String::new() };

    let p = c.commit(vec![propose(&c, 0, change.clone())]);
    let id = p.receipts[0].tx_id;
    assert_eq!(proposal(&c, &id).expires_at, p.header.height + 2);
    c.commit(vec![filler(&c)]);
    c.commit(vec![filler(&c)]);
    assert_eq!(c.ledger.height(), p.header.height + 2);
    assert_eq!(proposal(&c, &id).status(c.ledger.height()), ProposalStatus::Expired, "no later block may complete it");
    let stx = approve(&c, 1, id);
    refused(&mut c, stx, "proposal_expired");
    let stx = approve(&c, 2, id);
    refused(&mut c, stx, "proposal_expired");
    assert!(!c.ledger.registry().schemas.contains_key("mortgage"));
    assert_eq!(proposal(&c, &id).approvals.len(), 1);

    // The same change proposed again, approved in the last block allowed.
    let p = c.commit(vec![propose(&c, 0, change)]);
    let again = p.receipts[0].tx_id;
    c.commit(vec![filler(&c)]);
    let a = c.commit(vec![approve(&c, 1, again)]);
    assert_eq!(a.header.height, proposal(&c, &again).expires_at);
    assert_eq!(proposal(&c, &again).status(c.ledger.height()), ProposalStatus::Applied(a.header.height));
    assert!(c.ledger.registry().schemas.contains_key("mortgage"));
    // The expired one stays expired.
    assert_eq!(proposal(&c, &id).status(c.ledger.height()), ProposalStatus::Expired);
    assert_eq!(c.ledger.verify_chain(), Ok(c.ledger.height()));
}

#[test]
fn proposals_and_approvals_are_refused_with_stable_codes_and_no_effect() {
    let mut c = TestChain::new(34);
    let change = GovernanceChange::RegisterVerifier { name: "bank-b".into(), key: public(&signing_key(&mut rng(300))) };
    let id = c.commit(vec![propose(&c, 0, change.clone())]).receipts[0].tx_id;

    let outsider = c.tx(&c.actors.outsider, TxBody::Approve { proposal: id });
    let regulator = c.tx(&c.actors.central_bank, TxBody::Approve { proposal: id });
    let cosigned_by_outsider = approve(&c, 1, id).approve(&c.actors.outsider);
    let proposed_by_outsider = c.tx(&c.actors.outsider, TxBody::Propose { change: change.clone() });
    let proposed_with_outsider = propose(&c, 1, change.clone()).approve(&c.actors.outsider);
    let unknown = approve(&c, 1, [0xab; 32]);
    let twice = approve(&c, 0, id);
    let cosigned_twice = approve(&c, 1, id).approve(&c.actors.authorities[0]);
    for (what, stx, code) in [
        ("approval by an outsider", outsider, "unauthorised"),
        ("approval by a regulator", regulator, "unauthorised"),
        ("approval co-signed by an outsider", cosigned_by_outsider, "unauthorised"),
        ("proposal by an outsider", proposed_by_outsider, "unauthorised"),
        ("proposal co-signed by an outsider", proposed_with_outsider, "unauthorised"),
        ("approval of an unknown proposal", unknown, "unknown_proposal"),
        ("the proposer approving again", twice, "already_approved"),
        ("an approval co-signed by the proposer", cosigned_twice, "already_approved"),
    ] {
        let before = c.snapshot().state;
        let b = c.block(vec![stx]);
        assert_eq!(common::code(&b.receipts[0]), Some(code), "{what}");
        assert_eq!(c.snapshot().state, before, "{what} changed the state");
    }
    assert_eq!(proposal(&c, &id).status(c.ledger.height()), ProposalStatus::Pending);

    c.commit(vec![approve(&c, 1, id)]);
    let stx = approve(&c, 2, id);
    refused(&mut c, stx, "proposal_applied");
    let stx = approve(&c, 1, id);
    refused(&mut c, stx, "proposal_applied");
    // A malformed change is refused when submitted, like the direct transaction.
    let bad_name = GovernanceChange::RegisterVerifier { name: "bank-c/loans".into(), key: public(&signing_key(&mut rng(301))) };
    let stx = propose(&c, 0, bad_name);
    assert_eq!(c.submit(stx).map_err(|e| e.code()), Err("invalid_name"));
    assert_eq!(c.ledger.verify_chain(), Ok(c.ledger.height()));
}

#[test]
fn a_change_invalid_when_the_threshold_is_reached_is_refused_and_the_proposal_stays_pending() {
    let mut c = TestChain::new(35);
    let wanted = public(&signing_key(&mut rng(400)));
    let squatter = public(&signing_key(&mut rng(401)));
    let id = c.commit(vec![propose(&c, 0, GovernanceChange::RegisterVerifier { name: "bank-b".into(), key: wanted })]).receipts[0].tx_id;
    // Meanwhile the name is taken by a direct registration.
    c.commit(vec![c.governance(TxBody::RegisterVerifier { name: "bank-b".into(), key: squatter }, &[2])]);
    let stx = approve(&c, 1, id);
    refused(&mut c, stx, "already_registered");
    let record = proposal(&c, &id);
    assert_eq!((record.status(c.ledger.height()), record.approvals.len()), (ProposalStatus::Pending, 1));
    // Once the name is free again, the same authority completes it.
    c.commit(vec![c.governance(TxBody::RetireVerifier { name: "bank-b".into() }, &[2])]);
    let a = c.commit(vec![approve(&c, 1, id)]);
    assert_eq!(proposal(&c, &id).status(c.ledger.height()), ProposalStatus::Applied(a.header.height));
    assert_eq!(c.ledger.registry().active_verifier("bank-b").map(|v| v.key), Some(wanted));

    // A verifying key that does not decode: refused when completed, as directly.
    let bad_key = GovernanceChange::RegisterVerifyingKey { circuit_id: "zkreg-predicate-v2".into(), fingerprint: [0; 32], key: vec![1, 2, 3] };
    let id = c.commit(vec![propose(&c, 2, bad_key.clone())]).receipts[0].tx_id;
    let stx = approve(&c, 0, id);
    refused(&mut c, stx, "invalid_verifying_key");
    let stx = c.governance(TxBody::from(bad_key), &[1]);
    refused(&mut c, stx, "invalid_verifying_key");
    assert_eq!(proposal(&c, &id).status(c.ledger.height()), ProposalStatus::Pending);
    assert_eq!(c.ledger.verify_chain(), Ok(c.ledger.height()));
}

/// A chain with a pending, an applied and an expired proposal.
fn chain_with_proposals(seed: u64) -> (TestChain, [Hash; 3]) {
    let mut c = TestChain::with_genesis(seed, |g| g.proposal_ttl_blocks = 3);
    let schema = |name: &str| GovernanceChange::RegisterSchema { name: name.into(), description: String::new() };
    let expired = c.commit(vec![propose(&c, 0, schema("expired"))]).receipts[0].tx_id;
    let applied = c.commit(vec![propose(&c, 1, schema("applied"))]).receipts[0].tx_id;
    c.commit(vec![approve(&c, 2, applied), filler(&c)]);
    c.commit(vec![filler(&c)]);
    let pending = c.commit(vec![propose(&c, 2, schema("pending"))]).receipts[0].tx_id;
    (c, [pending, applied, expired])
}

#[test]
fn proposals_survive_a_restart_travel_in_snapshots_and_replay_deterministically() {
    let (c, [pending, applied, expired]) = chain_with_proposals(36);
    let h = c.ledger.height();
    let status = |c: &TestChain, id: &Hash| proposal(c, id).status(c.ledger.height());
    assert_eq!(
        [status(&c, &pending), status(&c, &applied), status(&c, &expired)],
        [ProposalStatus::Pending, ProposalStatus::Applied(3), ProposalStatus::Expired]
    );
    assert_eq!(c.ledger.verify_chain(), Ok(h));

    // The same transactions on another replica give the same headers.
    let (twin, _) = chain_with_proposals(36);
    assert_eq!(twin.ledger.tip(), c.ledger.tip());
    assert_eq!(twin.ledger.registry(), c.ledger.registry());

    // A snapshot of the chain keyspace carries them.
    let mut other = TestChain::with_genesis(36, |g| g.proposal_ttl_blocks = 3);
    other.ledger.install(&c.ledger.store().export().unwrap()).unwrap();
    assert_eq!(other.ledger.registry().proposals, c.ledger.registry().proposals);

    // A restart keeps them, and the pending one can still be completed.
    let registry = c.ledger.registry().clone();
    let mut c = c.reopen();
    assert_eq!(c.ledger.registry(), &registry);
    c.commit(vec![approve(&c, 0, pending)]);
    assert!(c.ledger.registry().schemas.contains_key("pending"));
    assert_eq!(c.ledger.verify_chain(), Ok(h + 1));
}

#[test]
fn verify_chain_catches_a_tampered_proposal() {
    let (c, [pending, ..]) = chain_with_proposals(37);
    let mut record = proposal(&c, &pending);
    record.approvals.push(public(&c.actors.authorities[0]));
    let mut key = vec![b'P'];
    key.extend_from_slice(&pending);
    c.ledger.store().raw_db().insert(key, zkreg_registry::tx::encode(&record)).unwrap();
    let c = c.reopen();
    let err = c.ledger.verify_chain().unwrap_err();
    assert!(err.reason.contains("registry"), "{err}");
}

#[test]
fn a_genesis_without_a_proposal_ttl_keeps_its_hash_and_gets_the_default() {
    let actors = Actors::new(38);
    let g = genesis(&actors, 8);
    assert_eq!(g.proposal_ttl_blocks, DEFAULT_PROPOSAL_TTL_BLOCKS);
    let json = serde_json::to_string(&g).unwrap();
    assert!(!json.contains("proposal_ttl_blocks"), "a default TTL is not written, so older genesis files keep their hash");
    let read: Genesis = serde_json::from_str(&json).unwrap();
    assert_eq!((read.hash(), read.proposal_ttl_blocks), (g.hash(), DEFAULT_PROPOSAL_TTL_BLOCKS));

    let mut short = g.clone();
    short.proposal_ttl_blocks = 5;
    assert!(serde_json::to_string(&short).unwrap().contains("\"proposal_ttl_blocks\":5"));
    assert_ne!(short.hash(), g.hash());
    short.proposal_ttl_blocks = 0;
    assert!(short.validate().is_err(), "a proposal must stay open for at least one block");
}
