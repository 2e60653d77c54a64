//! Deterministic execution of a block proposal.
//!
//! [`Executor::execute`] validates each transaction against the state left by
//! the previous ones, in order, and records its effects; a transaction that
//! fails any check gets a failed receipt and changes nothing. Execution reads
//! the committed state through [`Registry`] and [`Committed`], and
//! writes nothing: the caller persists the resulting [`BlockEffects`] (the
//! ledger in one atomic batch) or checks them (`verify-chain`'s replay).

use std::collections::{BTreeMap, BTreeSet, HashMap};

use ark_bn254::Fr;
use ark_ff::Zero;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use zkreg_circuits::commitment::credential_leaf;
use zkreg_circuits::field::{fr_from_bytes, fr_to_bytes, label, LabelDomain};
use zkreg_circuits::fingerprint::fingerprint;
use zkreg_circuits::tree::CommitmentTree;

use crate::block::{tx_root, BlockHeader, BlockProposal};
use crate::error::TxError;
use crate::genesis::Genesis;
use crate::governance::{GovernanceChange, ProposalRecord};
use crate::tx::{Hash, Issuance, KeyCache, SignedTransaction, TxBody};

/// A registered regulator.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RegulatorRecord {
    /// Its name (issuer id `label(Issuer, name)`).
    pub name: String,
    /// Its ed25519 key.
    pub key: [u8; 32],
    /// Schemas it may issue.
    pub schemas: Vec<String>,
    /// False once retired.
    pub active: bool,
    /// Height it was registered at.
    pub since: u64,
}

/// A registered schema.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SchemaRecord {
    /// Its name.
    pub name: String,
    /// What the value means.
    pub description: String,
    /// Height it was registered at.
    pub since: u64,
}

/// A registered verifier (a bank).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct VerifierRecord {
    /// Its name: the prefix of all its scopes (`<name>/<purpose>`).
    pub name: String,
    /// Its ed25519 key: the only key the node issues requests to as `name`,
    /// and the key that signs its requests for wallets.
    pub key: [u8; 32],
    /// False once retired.
    pub active: bool,
    /// Height it was registered (or last re-registered) at.
    pub since: u64,
}

/// A registered verifying key.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct VerifyingKeyRecord {
    /// Circuit identifier.
    pub circuit_id: String,
    /// SHA-256 of the canonical compressed key.
    pub fingerprint: [u8; 32],
    /// The key bytes.
    pub key: Vec<u8>,
    /// Height it was registered at.
    pub since: u64,
}

/// Which proof system a credential is for.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum CredentialKind {
    /// A leaf of the commitment tree.
    Groth16 {
        /// Its position.
        leaf_index: u64,
    },
    /// A registered Pedersen commitment.
    Bulletproofs {
        /// The holder's ed25519 key.
        holder_key: [u8; 32],
        /// Last valid day.
        expiry: u32,
    },
}

/// A credential as the ledger knows it (never its values).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CredentialRecord {
    /// Groth16 leaf or Pedersen commitment.
    pub kind: CredentialKind,
    /// The issuing regulator.
    pub issuer: String,
    /// The schema.
    pub schema: String,
    /// Height it was issued at.
    pub issued_at: u64,
    /// Height it was revoked at, if revoked.
    pub revoked_at: Option<u64>,
}

/// The outcome of one transaction.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Receipt {
    /// The transaction id.
    pub tx_id: Hash,
    /// Block height.
    pub height: u64,
    /// Position in the block.
    pub index: u32,
    /// `None` if applied, else the error code and message.
    pub error: Option<(String, String)>,
    /// The leaf index an applied `IssueCredential` got.
    pub leaf_index: Option<u64>,
    /// The leaf `cm` the ledger computed for an applied `IssueCredential`
    /// (canonical 32-byte field element): the credential's name from then on.
    pub commitment: Option<[u8; 32]>,
}

/// Credentials issued and revoked by one issuer under one schema.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CredentialCounts {
    /// Issued (either backend).
    pub issued: u64,
    /// Revoked.
    pub revoked: u64,
}

impl Receipt {
    /// Whether the transaction was refused as already included (its id's
    /// stored receipt is the first one, and stays).
    pub fn is_duplicate(&self) -> bool {
        self.error.as_ref().is_some_and(|(code, _)| code == "duplicate_transaction")
    }
}

/// The small, fully in-memory part of the state: who may do what.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Registry {
    /// Regulators by name.
    pub regulators: BTreeMap<String, RegulatorRecord>,
    /// Active regulator names by key.
    pub regulator_keys: HashMap<[u8; 32], String>,
    /// Schemas by name.
    pub schemas: BTreeMap<String, SchemaRecord>,
    /// Verifying keys by circuit id.
    pub verifying_keys: BTreeMap<String, VerifyingKeyRecord>,
    /// Verifiers by name.
    pub verifiers: BTreeMap<String, VerifierRecord>,
    /// Active verifier names by key.
    pub verifier_keys: HashMap<[u8; 32], String>,
    /// Last nonce per signer.
    pub nonces: HashMap<[u8; 32], u64>,
    /// Public statistics per (issuer, schema).
    pub counts: BTreeMap<(String, String), CredentialCounts>,
    /// Governance proposals by id, whatever their status
    /// ([`crate::governance`]; each stored under its own key).
    pub proposals: BTreeMap<Hash, ProposalRecord>,
}

impl Registry {
    /// The registry a genesis describes.
    pub fn from_genesis(g: &Genesis) -> Result<Self, String> {
        let mut r = Registry::default();
        for s in &g.schemas {
            r.schemas.insert(s.name.clone(), SchemaRecord { name: s.name.clone(), description: s.description.clone(), since: 0 });
        }
        for reg in &g.regulators {
            let key = crate::genesis::parse_key(&reg.key)?;
            r.regulator_keys.insert(key, reg.name.clone());
            r.regulators.insert(
                reg.name.clone(),
                RegulatorRecord { name: reg.name.clone(), key, schemas: reg.schemas.clone(), active: true, since: 0 },
            );
        }
        Ok(r)
    }

    /// The active regulator signing with `key`.
    pub fn regulator_by_key(&self, key: &[u8; 32]) -> Option<&RegulatorRecord> {
        self.regulator_keys.get(key).and_then(|n| self.regulators.get(n)).filter(|r| r.active)
    }

    /// The active verifier signing with `key`.
    pub fn verifier_by_key(&self, key: &[u8; 32]) -> Option<&VerifierRecord> {
        self.verifier_keys.get(key).and_then(|n| self.verifiers.get(n)).filter(|v| v.active)
    }

    /// The active verifier registered as `name`.
    pub fn active_verifier(&self, name: &str) -> Option<&VerifierRecord> {
        self.verifiers.get(name).filter(|v| v.active)
    }

    /// Whether `key` already has a role: an active regulator or verifier
    /// key, or any key a regulator was ever registered with.
    fn key_in_use(&self, key: &[u8; 32]) -> bool {
        self.regulator_keys.contains_key(key)
            || self.verifier_keys.contains_key(key)
            || self.regulators.values().any(|r| r.key == *key)
    }

    /// Whether `issuer` is an active regulator authorised for `schema`.
    pub fn authorised(&self, issuer: &str, schema: &str) -> bool {
        self.regulators.get(issuer).is_some_and(|r| r.active && r.schemas.iter().any(|s| s == schema))
    }
}

/// What a block changes, ready to persist or check.
#[derive(Debug)]
pub struct BlockEffects {
    /// The header.
    pub header: BlockHeader,
    /// One receipt per transaction, in order.
    pub receipts: Vec<Receipt>,
    /// The registry after the block.
    pub registry: Registry,
    /// Credentials created or changed, by commitment.
    pub credentials: BTreeMap<[u8; 32], CredentialRecord>,
    /// Tree nodes written: `(level, index, value)`.
    pub nodes: Vec<(usize, u64, Fr)>,
    /// Anchored private-record hashes.
    pub anchors: Vec<[u8; 32]>,
    /// Audit transactions applied: `(signer, kind, subject hash)`, in block order.
    pub audit_events: Vec<([u8; 32], String, [u8; 32])>,
    /// Governance proposals the block opened or changed, as they are after it.
    pub proposals: Vec<ProposalRecord>,
}

/// The part of committed state that is too large to hold in memory:
/// credential records and which transactions already have a receipt.
pub trait Committed: Sync {
    /// The committed record of a credential commitment.
    fn credential(&self, commitment: &[u8; 32]) -> Option<CredentialRecord>;
    /// Whether a transaction with this id was already included (applied or failed).
    fn included(&self, id: &Hash) -> bool;
}

/// `SHA-256(domain ‖ encode(signed tx))`: what the header's transaction root
/// commits to, so that signatures and approvals are covered too.
pub fn signed_tx_hash(stx: &SignedTransaction) -> Hash {
    use sha2::{Digest, Sha256};
    Sha256::new().chain_update(zkreg_circuits::constants::SIGNED_TX_DOMAIN).chain_update(crate::tx::encode(stx)).finalize().into()
}

/// The leaf a Groth16 issuance would get if `signer` is the regulator it is
/// in `registry`, with that issuer's name: a guess made on all cores before
/// the block runs, to look the leaf's committed record up in parallel and to
/// spare the serial pass the hash. The executor uses it only when the
/// issuer it resolves is the guessed one (a block may register or retire
/// regulators before the issuance).
fn guess_leaf(registry: &Registry, signer: &[u8; 32], body: &TxBody) -> Option<LeafGuess> {
    let (schema, inner) = match body {
        TxBody::IssueCredential { schema, inner } | TxBody::IssueWithRecord { issue: Issuance::Groth16 { schema, inner }, .. } => (schema, inner),
        _ => return None,
    };
    let issuer = registry.regulator_by_key(signer)?.name.clone();
    let inner = fr_from_bytes(inner).ok()?;
    let leaf = credential_leaf(&label(LabelDomain::Schema, schema), &label(LabelDomain::Issuer, &issuer), &inner);
    Some(LeafGuess { issuer, leaf })
}

/// See [`guess_leaf`].
struct LeafGuess {
    issuer: String,
    leaf: Fr,
}

/// Executes proposals against committed state.
pub struct Executor<'a> {
    /// Genesis (chain id, authorities, threshold).
    pub genesis: &'a Genesis,
    /// Root-authority keys.
    pub authorities: &'a [[u8; 32]],
}

impl Executor<'_> {
    /// Executes `proposal` on top of `registry`, `tree` (mutated: leaves
    /// appended and revoked) and `committed`. The previous header is `prev`.
    pub fn execute(
        &self,
        proposal: &BlockProposal,
        prev: &BlockHeader,
        registry: &Registry,
        tree: &mut CommitmentTree,
        committed: &dyn Committed,
    ) -> BlockEffects {
        let height = proposal.height;
        // The independent per-transaction work runs on all cores: ids,
        // signatures, and the committed record of any commitment named.
        let keys = KeyCache::for_transactions(&proposal.txs);
        type Prepared =
            (Hash, Hash, Result<Vec<[u8; 32]>, TxError>, Option<([u8; 32], Option<CredentialRecord>)>, Option<LeafGuess>);
        let prepared: Vec<Prepared> = proposal
            .txs
            .par_iter()
            .map(|t| {
                let id = t.tx.id();
                let check = if committed.included(&id) {
                    Err(TxError::Duplicate)
                } else {
                    t.check_signatures_with(&self.genesis.chain_id, &keys)
                };
                let guess = guess_leaf(registry, &t.tx.signer, &t.tx.body);
                let cm = t.tx.body.commitment().copied().or_else(|| guess.as_ref().map(|g| fr_to_bytes(&g.leaf)));
                let record = cm.map(|cm| (cm, committed.credential(&cm)));
                (id, signed_tx_hash(t), check, record, guess)
            })
            .collect();
        let mut checked = Vec::with_capacity(prepared.len());
        let mut ids = Vec::with_capacity(prepared.len());
        let mut signed = Vec::with_capacity(prepared.len());
        let mut records = HashMap::new();
        let mut guesses = Vec::with_capacity(prepared.len());
        let mut in_block = std::collections::HashSet::new();
        for (id, signed_hash, check, record, guess) in prepared {
            guesses.push(guess);
            // A transaction twice in one block: the second is a duplicate.
            checked.push(if in_block.insert(id) { check } else { Err(TxError::Duplicate) });
            ids.push(id);
            signed.push(signed_hash);
            if let Some((cm, record)) = record {
                records.insert(cm, record);
            }
        }
        let mut work = Work {
            registry: registry.clone(),
            committed: records,
            credentials: BTreeMap::new(),
            leaves: Vec::new(),
            revoked_leaves: Vec::new(),
            anchors: Vec::new(),
            audit_events: Vec::new(),
            proposals: BTreeSet::new(),
            base_leaves: tree.len(),
            lookup: committed,
            height,
        };
        let mut receipts = Vec::with_capacity(proposal.txs.len());
        for (index, (((stx, signers), id), guess)) in proposal.txs.iter().zip(checked).zip(&ids).zip(&guesses).enumerate() {
            let id = *id;
            let outcome = signers.and_then(|signers| work.apply(self, stx, &signers, guess.as_ref()));
            let (error, leaf_index, commitment) = match outcome {
                Ok(Some((leaf, cm))) => (None, Some(leaf), Some(cm)),
                Ok(None) => (None, None, None),
                Err(e) => (Some((e.code().to_string(), e.to_string())), None, None),
            };
            receipts.push(Receipt { tx_id: id, height, index: index as u32, error, leaf_index, commitment });
        }
        // Tree effects: the block's leaves in one batch, then revocations.
        if let Err(e) = tree.append_batch(&work.leaves) {
            unreachable!("capacity was checked per issuance: {e}");
        }
        for index in work.revoked_leaves {
            if let Err(e) = tree.update(index, Fr::zero()) {
                unreachable!("revoked leaves exist: {e}");
            }
        }
        let header = BlockHeader {
            height,
            prev_hash: prev.hash(),
            tx_root: tx_root(&signed),
            tree_root: fr_to_bytes(&tree.root()),
            leaf_count: tree.len(),
            time: proposal.time,
        };
        let proposals = work.proposals.iter().filter_map(|id| work.registry.proposals.get(id).cloned()).collect();
        BlockEffects {
            header,
            receipts,
            proposals,
            registry: work.registry,
            credentials: work.credentials,
            nodes: tree.take_changes(),
            anchors: work.anchors,
            audit_events: work.audit_events,
        }
    }
}

/// The working state of one block.
struct Work<'a> {
    registry: Registry,
    /// Committed records of the commitments the block's transactions name.
    committed: HashMap<[u8; 32], Option<CredentialRecord>>,
    credentials: BTreeMap<[u8; 32], CredentialRecord>,
    leaves: Vec<Fr>,
    /// Leaves committed before this block that it revokes.
    revoked_leaves: Vec<u64>,
    anchors: Vec<[u8; 32]>,
    audit_events: Vec<([u8; 32], String, [u8; 32])>,
    /// Ids of the proposals this block opened or changed.
    proposals: BTreeSet<Hash>,
    base_leaves: u64,
    lookup: &'a dyn Committed,
    height: u64,
}

impl Work<'_> {
    fn credential(&self, commitment: &[u8; 32]) -> Option<CredentialRecord> {
        if let Some(r) = self.credentials.get(commitment) {
            return Some(r.clone());
        }
        match self.committed.get(commitment) {
            Some(r) => r.clone(),
            None => self.lookup.credential(commitment),
        }
    }

    /// Validates `stx` against the working state and, if valid, applies it.
    /// Every check happens before the first change. An applied Groth16
    /// issuance returns its leaf index and leaf.
    fn apply(
        &mut self,
        ex: &Executor<'_>,
        stx: &SignedTransaction,
        signers: &[[u8; 32]],
        guess: Option<&LeafGuess>,
    ) -> Result<Option<(u64, [u8; 32])>, TxError> {
        let tx = &stx.tx;
        let last = self.registry.nonces.get(&tx.signer).copied().unwrap_or(0);
        if tx.nonce <= last {
            return Err(TxError::StaleNonce { got: tx.nonce, last });
        }
        if tx.body.is_governance() {
            if !ex.authorities.contains(&tx.signer) {
                return Err(TxError::Unauthorised);
            }
            let got = signers.iter().filter(|k| ex.authorities.contains(k)).count();
            if got < ex.genesis.approval_threshold {
                return Err(TxError::InsufficientApprovals { got, needed: ex.genesis.approval_threshold });
            }
        }
        let height = self.height;
        let mut leaf = None;
        // An issuance with a record is the issuance, and then its anchor.
        let recorded;
        let (body, record_anchor) = match &tx.body {
            TxBody::IssueWithRecord { issue, record_hash } => {
                recorded = issue.body();
                (&recorded, Some(*record_hash))
            }
            body => (body, None),
        };
        match body {
            TxBody::RegisterRegulator { .. }
            | TxBody::RetireRegulator { .. }
            | TxBody::RegisterSchema { .. }
            | TxBody::RegisterVerifyingKey { .. }
            | TxBody::RegisterVerifier { .. }
            | TxBody::RetireVerifier { .. } => {
                if let Some(change) = body.governance_change() {
                    self.apply_change(ex, &change)?;
                }
            }
            TxBody::Propose { change } => self.propose(ex, stx, signers, change)?,
            TxBody::Approve { proposal } => self.approve(ex, signers, proposal)?,
            TxBody::IssueCredential { schema, inner } => {
                let issuer = self.issuer_for(&tx.signer, schema)?;
                let inner = fr_from_bytes(inner).map_err(|_| TxError::InvalidCommitment)?;
                if inner.is_zero() {
                    return Err(TxError::InvalidCommitment);
                }
                let cm = match guess.filter(|g| g.issuer == issuer) {
                    Some(g) => g.leaf,
                    None => credential_leaf(&label(LabelDomain::Schema, schema), &label(LabelDomain::Issuer, &issuer), &inner),
                };
                let commitment = &fr_to_bytes(&cm);
                if self.credential(commitment).is_some() {
                    return Err(TxError::DuplicateCommitment);
                }
                let index = self.base_leaves + self.leaves.len() as u64;
                if index >= zkreg_circuits::constants::TREE_CAPACITY {
                    return Err(TxError::TreeFull);
                }
                self.leaves.push(cm);
                self.count(&issuer, schema).issued += 1;
                self.credentials.insert(
                    *commitment,
                    CredentialRecord {
                        kind: CredentialKind::Groth16 { leaf_index: index },
                        issuer,
                        schema: schema.clone(),
                        issued_at: height,
                        revoked_at: None,
                    },
                );
                leaf = Some((index, *commitment));
            }
            TxBody::IssueRangeCredential { schema, commitment, holder_key, expiry } => {
                let issuer = self.issuer_for(&tx.signer, schema)?;
                let point = curve25519_dalek::ristretto::CompressedRistretto(*commitment).decompress();
                if point.is_none_or(|p| p == curve25519_dalek::ristretto::RistrettoPoint::default()) {
                    return Err(TxError::InvalidCommitment);
                }
                if self.credential(commitment).is_some() {
                    return Err(TxError::DuplicateCommitment);
                }
                self.count(&issuer, schema).issued += 1;
                self.credentials.insert(
                    *commitment,
                    CredentialRecord {
                        kind: CredentialKind::Bulletproofs { holder_key: *holder_key, expiry: *expiry },
                        issuer,
                        schema: schema.clone(),
                        issued_at: height,
                        revoked_at: None,
                    },
                );
            }
            TxBody::Revoke { commitment } => {
                let regulator = self.registry.regulator_by_key(&tx.signer).ok_or(TxError::Unauthorised)?.name.clone();
                let mut record = self.credential(commitment).ok_or(TxError::UnknownCredential)?;
                if record.issuer != regulator {
                    return Err(TxError::NotIssuer);
                }
                if record.revoked_at.is_some() {
                    return Err(TxError::AlreadyRevoked);
                }
                if let CredentialKind::Groth16 { leaf_index } = record.kind {
                    match leaf_index.checked_sub(self.base_leaves) {
                        Some(pending) => self.leaves[pending as usize] = Fr::zero(),
                        None => self.revoked_leaves.push(leaf_index),
                    }
                }
                record.revoked_at = Some(height);
                self.count(&record.issuer, &record.schema).revoked += 1;
                self.credentials.insert(*commitment, record);
            }
            TxBody::AnchorRecord { record_hash } => {
                self.registry.regulator_by_key(&tx.signer).ok_or(TxError::Unauthorised)?;
                self.anchors.push(*record_hash);
            }
            TxBody::AuditEvent { kind, subject_hash } => {
                if self.registry.regulator_by_key(&tx.signer).is_none() && !ex.authorities.contains(&tx.signer) {
                    return Err(TxError::Unauthorised);
                }
                self.audit_events.push((tx.signer, kind.clone(), *subject_hash));
            }
            TxBody::IssueWithRecord { .. } => {
                return Err(TxError::Malformed("IssueWithRecord carries an IssueCredential or an IssueRangeCredential only".into()))
            }
        }
        if let Some(record_hash) = record_anchor {
            self.anchors.push(record_hash);
        }
        self.registry.nonces.insert(tx.signer, tx.nonce);
        Ok(leaf)
    }

    /// Applies a governance change: the one implementation behind the
    /// direct governance transactions and the proposals that reach the
    /// threshold ([`crate::governance`]). Every check happens before the
    /// first change.
    fn apply_change(&mut self, ex: &Executor<'_>, change: &GovernanceChange) -> Result<(), TxError> {
        let height = self.height;
        match change {
            GovernanceChange::RegisterRegulator { name, key, schemas } => {
                if self.registry.regulators.get(name).is_some_and(|r| r.active) {
                    return Err(TxError::AlreadyRegistered(name.clone()));
                }
                if self.registry.key_in_use(key) || ex.authorities.contains(key) {
                    return Err(TxError::AlreadyRegistered(hex::encode(key)));
                }
                if let Some(s) = schemas.iter().find(|s| !self.registry.schemas.contains_key(*s)) {
                    return Err(TxError::UnknownSchema(s.clone()));
                }
                self.registry.regulator_keys.insert(*key, name.clone());
                self.registry.regulators.insert(
                    name.clone(),
                    RegulatorRecord { name: name.clone(), key: *key, schemas: schemas.clone(), active: true, since: height },
                );
            }
            GovernanceChange::RetireRegulator { name } => {
                let Some(r) = self.registry.regulators.get_mut(name).filter(|r| r.active) else {
                    return Err(TxError::UnknownRegulator(name.clone()));
                };
                r.active = false;
                let key = r.key;
                self.registry.regulator_keys.remove(&key);
            }
            GovernanceChange::RegisterVerifier { name, key } => {
                if self.registry.active_verifier(name).is_some() {
                    return Err(TxError::AlreadyRegistered(name.clone()));
                }
                if self.registry.key_in_use(key) || ex.authorities.contains(key) {
                    return Err(TxError::AlreadyRegistered(hex::encode(key)));
                }
                self.registry.verifier_keys.insert(*key, name.clone());
                self.registry
                    .verifiers
                    .insert(name.clone(), VerifierRecord { name: name.clone(), key: *key, active: true, since: height });
            }
            GovernanceChange::RetireVerifier { name } => {
                let Some(v) = self.registry.verifiers.get_mut(name).filter(|v| v.active) else {
                    return Err(TxError::UnknownVerifier(name.clone()));
                };
                v.active = false;
                let key = v.key;
                self.registry.verifier_keys.remove(&key);
            }
            GovernanceChange::RegisterSchema { name, description } => {
                if self.registry.schemas.contains_key(name) {
                    return Err(TxError::AlreadyRegistered(name.clone()));
                }
                self.registry
                    .schemas
                    .insert(name.clone(), SchemaRecord { name: name.clone(), description: description.clone(), since: height });
            }
            GovernanceChange::RegisterVerifyingKey { circuit_id, fingerprint: fp, key } => {
                let vk = zkreg_circuits::proof_codec::decode_verifying_key(key).map_err(TxError::InvalidVerifyingKey)?;
                zkreg_circuits::proof_codec::check_phase2(&vk).map_err(TxError::InvalidVerifyingKey)?;
                if fingerprint(&vk) != *fp {
                    return Err(TxError::InvalidVerifyingKey("fingerprint does not match the key".into()));
                }
                if self.registry.verifying_keys.get(circuit_id).is_some_and(|r| r.fingerprint == *fp) {
                    return Err(TxError::AlreadyRegistered(circuit_id.clone()));
                }
                self.registry.verifying_keys.insert(
                    circuit_id.clone(),
                    VerifyingKeyRecord { circuit_id: circuit_id.clone(), fingerprint: *fp, key: key.clone(), since: height },
                );
            }
        }
        Ok(())
    }

    /// `Propose`: opens a proposal of `change` under the id of `stx`,
    /// approved by its signers (who must all be root authorities), and
    /// applies it at once if they reach the threshold.
    fn propose(&mut self, ex: &Executor<'_>, stx: &SignedTransaction, signers: &[[u8; 32]], change: &GovernanceChange) -> Result<(), TxError> {
        only_authorities(ex, signers)?;
        let record = ProposalRecord {
            id: stx.tx.id(),
            change: change.clone(),
            proposer: stx.tx.signer,
            proposed_at: self.height,
            expires_at: self.height.saturating_add(ex.genesis.proposal_ttl_blocks),
            approvals: signers.to_vec(),
            applied_at: None,
        };
        self.settle(ex, record)
    }

    /// `Approve`: adds the signers' approvals to proposal `id` (open, and
    /// approved by none of them yet), applying its change if they reach the
    /// threshold.
    fn approve(&mut self, ex: &Executor<'_>, signers: &[[u8; 32]], id: &Hash) -> Result<(), TxError> {
        only_authorities(ex, signers)?;
        let mut record = self.registry.proposals.get(id).cloned().ok_or(TxError::UnknownProposal)?;
        if record.applied_at.is_some() {
            return Err(TxError::ProposalApplied);
        }
        if self.height > record.expires_at {
            return Err(TxError::ProposalExpired);
        }
        if signers.iter().any(|k| record.approvals.contains(k)) {
            return Err(TxError::AlreadyApproved);
        }
        record.approvals.extend_from_slice(signers);
        self.settle(ex, record)
    }

    /// Applies `record`'s change if its approvals reach the threshold (a
    /// change refused now refuses the transaction: the proposal keeps its
    /// earlier approvals), then stores the record.
    fn settle(&mut self, ex: &Executor<'_>, mut record: ProposalRecord) -> Result<(), TxError> {
        if record.approvals.len() >= ex.genesis.approval_threshold {
            self.apply_change(ex, &record.change)?;
            record.applied_at = Some(self.height);
        }
        self.proposals.insert(record.id);
        self.registry.proposals.insert(record.id, record);
        Ok(())
    }

    fn count(&mut self, issuer: &str, schema: &str) -> &mut CredentialCounts {
        self.registry.counts.entry((issuer.to_owned(), schema.to_owned())).or_default()
    }

    /// The name of the active regulator signing with `key`, if it may issue `schema`.
    fn issuer_for(&self, key: &[u8; 32], schema: &str) -> Result<String, TxError> {
        let r = self.registry.regulator_by_key(key).ok_or(TxError::Unauthorised)?;
        if !self.registry.schemas.contains_key(schema) {
            return Err(TxError::UnknownSchema(schema.to_owned()));
        }
        if !r.schemas.iter().any(|s| s == schema) {
            return Err(TxError::SchemaNotAllowed(schema.to_owned()));
        }
        Ok(r.name.clone())
    }
}

/// Refuses a proposal or approval any of whose signers (co-signers
/// included) is not a root authority.
fn only_authorities(ex: &Executor<'_>, signers: &[[u8; 32]]) -> Result<(), TxError> {
    if signers.is_empty() || signers.iter().any(|k| !ex.authorities.contains(k)) {
        return Err(TxError::Unauthorised);
    }
    Ok(())
}
