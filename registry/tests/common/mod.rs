//! Shared fixtures of the ledger tests: actors with deterministic keys, a
//! genesis, a ledger on real sled files in a fresh temporary directory,
//! nonce bookkeeping, credential commitments and a state snapshot.
//!
//! Used by the `registry/tests/ledger_*.rs` suites and (through `#[path]`)
//! by the root package's `tests/ledger_proofs.rs`, so it names only crates
//! both have.
#![allow(dead_code)]

use std::cell::{Cell, RefCell};
use std::collections::HashMap;

use ark_bn254::Fr;
use ark_ff::{BigInteger, PrimeField, UniformRand};
use ed25519_dalek::SigningKey;
use rand::{RngCore, SeedableRng};
use rand_chacha::ChaCha20Rng;
use tempfile::TempDir;

use zkreg_circuits::commitment::{holder_id, CredentialFields};
use zkreg_circuits::field::{fr_from_bytes, fr_to_bytes, label, LabelDomain};
use zkreg_circuits::range_statement::PedersenOpening;
use zkreg_registry::genesis::{GenesisRegulator, GenesisSchema};
use zkreg_registry::{
    AppliedBlock, BlockHeader, CredentialRecord, Genesis, Ledger, LedgerError, Mempool, MempoolConfig, Receipt, Registry,
    SignedTransaction, Transaction, TxBody,
};

/// The test chain's identifier.
pub const CHAIN_ID: &str = "zkreg-test";
/// Unix time of the genesis block.
pub const GENESIS_TIME: u64 = 1_762_560_000;
/// Seconds between the blocks the fixtures produce.
pub const BLOCK_INTERVAL: u64 = 10;

/// Schema the central bank issues.
pub const CREDIT: &str = "credit-score";
/// Schema the food agency issues.
pub const FOOD: &str = "food-licence";
/// Registered schema that no regulator may issue.
pub const BUSINESS: &str = "business-licence";
/// Regulator of [`CREDIT`].
pub const CENTRAL_BANK: &str = "central-bank";
/// Regulator of [`FOOD`].
pub const FOOD_AGENCY: &str = "food-agency";

/// The identity point `(0, 1)`: a small-order (order 1) ed25519 key.
pub const IDENTITY_KEY: [u8; 32] = {
    let mut k = [0u8; 32];
    k[0] = 1;
    k
};

/// `(0, -1)`, y = p - 1: a small-order (order 2) ed25519 key.
pub const ORDER_TWO_KEY: [u8; 32] = {
    let mut k = [0xff; 32];
    k[0] = 0xec;
    k[31] = 0x7f;
    k
};

/// y = p, the non-canonical encoding of y = 0 (a point of order 4).
pub const NON_CANONICAL_KEY: [u8; 32] = {
    let mut k = [0xff; 32];
    k[0] = 0xed;
    k[31] = 0x7f;
    k
};

/// A deterministic RNG.
pub fn rng(seed: u64) -> ChaCha20Rng {
    ChaCha20Rng::seed_from_u64(seed)
}

/// An ed25519 key from `rng`.
pub fn signing_key(rng: &mut ChaCha20Rng) -> SigningKey {
    let mut seed = [0u8; 32];
    rng.fill_bytes(&mut seed);
    SigningKey::from_bytes(&seed)
}

/// The public key of `key`.
pub fn public(key: &SigningKey) -> [u8; 32] {
    key.verifying_key().to_bytes()
}

/// Who holds which key.
pub struct Actors {
    /// Root authorities (threshold 2 of these 3).
    pub authorities: Vec<SigningKey>,
    /// Regulator `central-bank`, may issue [`CREDIT`].
    pub central_bank: SigningKey,
    /// Regulator `food-agency`, may issue [`FOOD`].
    pub food_agency: SigningKey,
    /// A key the chain does not know.
    pub outsider: SigningKey,
}

impl Actors {
    /// Keys derived from `seed`.
    pub fn new(seed: u64) -> Self {
        let mut r = rng(seed ^ 0xac70);
        Actors {
            authorities: (0..3).map(|_| signing_key(&mut r)).collect(),
            central_bank: signing_key(&mut r),
            food_agency: signing_key(&mut r),
            outsider: signing_key(&mut r),
        }
    }
}

/// Three root authorities with threshold 2, schemas [`CREDIT`], [`FOOD`],
/// [`BUSINESS`], and the regulators [`CENTRAL_BANK`] and [`FOOD_AGENCY`].
pub fn genesis(actors: &Actors, root_window: u64) -> Genesis {
    let schema = |name: &str, description: &str| GenesisSchema { name: name.into(), description: description.into() };
    let regulator = |name: &str, key: &SigningKey, schemas: &[&str]| GenesisRegulator {
        name: name.into(),
        key: hex::encode(public(key)),
        schemas: schemas.iter().map(|s| s.to_string()).collect(),
    };
    Genesis {
        chain_id: CHAIN_ID.into(),
        time: GENESIS_TIME,
        root_authorities: actors.authorities.iter().map(|k| hex::encode(public(k))).collect(),
        approval_threshold: 2,
        root_window,
        schemas: vec![
            schema(CREDIT, "credit score, 300..=850"),
            schema(FOOD, "food-business licence class"),
            schema(BUSINESS, "business licence"),
        ],
        regulators: vec![
            regulator(CENTRAL_BANK, &actors.central_bank, &[CREDIT]),
            regulator(FOOD_AGENCY, &actors.food_agency, &[FOOD]),
        ],
        consortium: Vec::new(),
        proposal_ttl_blocks: zkreg_registry::governance::DEFAULT_PROPOSAL_TTL_BLOCKS,
    }
}

/// A ledger in a temporary directory with its actors, signing helpers and
/// nonce bookkeeping. Everything derives from the seed, so two chains made
/// from one seed are identical.
pub struct TestChain {
    /// The data directory (deleted on drop).
    pub dir: TempDir,
    /// The ledger under test.
    pub ledger: Ledger,
    /// Transactions admitted and waiting for [`TestChain::produce_block`].
    pub mempool: Mempool,
    /// Keys.
    pub actors: Actors,
    /// The genesis the ledger was created with.
    pub genesis: Genesis,
    rng: RefCell<ChaCha20Rng>,
    /// Last nonce handed out per signer (failed transactions do not consume
    /// nonces on the ledger; nonces only need to increase, so gaps are fine).
    nonces: RefCell<HashMap<[u8; 32], u64>>,
    time: Cell<u64>,
}

impl TestChain {
    /// A chain accepting the last 8 roots.
    pub fn new(seed: u64) -> Self {
        Self::with_window(seed, 8)
    }

    /// A chain accepting the last `root_window` roots.
    pub fn with_window(seed: u64, root_window: u64) -> Self {
        Self::with_genesis(seed, |g| g.root_window = root_window)
    }

    /// A chain accepting the last 8 roots, its genesis changed by `adjust`.
    pub fn with_genesis(seed: u64, adjust: impl FnOnce(&mut Genesis)) -> Self {
        let actors = Actors::new(seed);
        let mut genesis = genesis(&actors, 8);
        adjust(&mut genesis);
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
        let ledger = Ledger::open(dir.path(), Some(&genesis)).unwrap_or_else(|e| panic!("open a new ledger: {e}"));
        TestChain {
            dir,
            ledger,
            mempool: Mempool::new(MempoolConfig::default()),
            actors,
            genesis,
            rng: RefCell::new(rng(seed)),
            nonces: RefCell::new(HashMap::new()),
            time: Cell::new(GENESIS_TIME),
        }
    }

    /// Drops the ledger (closing the sled database) and opens the directory again.
    pub fn try_reopen(self) -> Result<Self, LedgerError> {
        // The mempool is not persisted: a reopened node starts with an empty one.
        let TestChain { dir, ledger, actors, genesis, rng, nonces, time, .. } = self;
        ledger.store().raw_db().flush().unwrap_or_else(|e| panic!("flush: {e}"));
        drop(ledger);
        let ledger = open_when_unlocked(dir.path(), Some(&genesis))?;
        Ok(TestChain { dir, ledger, mempool: Mempool::new(MempoolConfig::default()), actors, genesis, rng, nonces, time })
    }

    /// [`TestChain::try_reopen`], which must succeed.
    pub fn reopen(self) -> Self {
        self.try_reopen().unwrap_or_else(|e| panic!("reopen: {e}"))
    }

    /// The next nonce for `signer`: above both the committed one and any handed out.
    pub fn next_nonce(&self, signer: &[u8; 32]) -> u64 {
        let committed = self.ledger.registry().nonces.get(signer).copied().unwrap_or(0);
        let mut nonces = self.nonces.borrow_mut();
        let next = nonces.get(signer).copied().unwrap_or(0).max(committed) + 1;
        nonces.insert(*signer, next);
        next
    }

    /// An unsigned transaction on this chain from `signer` with its next nonce.
    pub fn unsigned(&self, signer: [u8; 32], body: TxBody) -> Transaction {
        Transaction { chain_id: CHAIN_ID.into(), signer, nonce: self.next_nonce(&signer), body }
    }

    /// `body` signed by `key` with its next nonce.
    pub fn tx(&self, key: &SigningKey, body: TxBody) -> SignedTransaction {
        self.unsigned(public(key), body).sign(key)
    }

    /// `body` signed by `key` with the given nonce (the bookkeeping is not touched).
    pub fn tx_with_nonce(&self, key: &SigningKey, nonce: u64, body: TxBody) -> SignedTransaction {
        Transaction { chain_id: CHAIN_ID.into(), signer: public(key), nonce, body }.sign(key)
    }

    /// A governance change signed by root authority 0 and approved by the
    /// root authorities at `approvers`.
    pub fn governance(&self, body: TxBody, approvers: &[usize]) -> SignedTransaction {
        let mut stx = self.tx(&self.actors.authorities[0], body);
        for &i in approvers {
            stx = stx.approve(&self.actors.authorities[i]);
        }
        stx
    }

    /// The time of the next block.
    pub fn next_time(&self) -> u64 {
        self.time.set(self.time.get() + BLOCK_INTERVAL);
        self.time.get()
    }

    /// Admits `stx` to the mempool.
    pub fn submit(&mut self, stx: SignedTransaction) -> Result<[u8; 32], zkreg_registry::TxError> {
        self.mempool.admit(stx, &self.ledger)
    }

    /// Proposes a block from the mempool and applies it, if anything waits.
    pub fn produce_block(&mut self, time: u64) -> Result<Option<AppliedBlock>, LedgerError> {
        match self.mempool.propose(&self.ledger, time) {
            None => Ok(None),
            Some(p) => self.ledger.apply(&p).map(Some),
        }
    }

    /// Submits `txs` (each must be admitted) and produces one block holding all of them.
    pub fn block(&mut self, txs: Vec<SignedTransaction>) -> AppliedBlock {
        let n = txs.len();
        for stx in txs {
            if let Err(e) = self.submit(stx) {
                panic!("submission refused: {} ({e})", e.code());
            }
        }
        let time = self.next_time();
        let block = self.produce_block(time).unwrap_or_else(|e| panic!("produce block: {e}"));
        let block = block.unwrap_or_else(|| panic!("the mempool was empty"));
        assert_eq!(block.receipts.len(), n, "one block holds every submitted transaction");
        block
    }

    /// [`TestChain::block`] where every transaction must succeed.
    pub fn commit(&mut self, txs: Vec<SignedTransaction>) -> AppliedBlock {
        let block = self.block(txs);
        for r in &block.receipts {
            assert_eq!(r.error, None, "transaction {} of block {} failed", r.index, r.height);
        }
        block
    }

    /// A random field element.
    pub fn random_fr(&self) -> Fr {
        Fr::rand(&mut *self.rng.borrow_mut())
    }

    /// A real credential leaf `cm = Poseidon(schema_id, issuer_id, inner)`
    /// with `inner = Poseidon(holder_id, value, expiry, salt)` for a random
    /// holder, canonical bytes; [`issue`] submits its `inner` (commitment v2).
    pub fn commitment(&self, schema: &str, issuer: &str) -> [u8; 32] {
        let sk = self.random_fr();
        let salt = self.random_fr();
        let value = self.rng.borrow_mut().next_u64() % 1_000;
        let fields = CredentialFields {
            schema_id: label(LabelDomain::Schema, schema),
            issuer_id: label(LabelDomain::Issuer, issuer),
            holder_id: holder_id(&sk),
            value,
            expiry: 20_500,
            salt,
        };
        let cm = fr_to_bytes(&fields.commitment());
        INNERS.with(|m| m.borrow_mut().insert(cm, fr_to_bytes(&fields.inner())));
        cm
    }

    /// A Pedersen commitment to `value` with a random blinding (compressed Ristretto).
    pub fn range_commitment(&self, value: u64) -> [u8; 32] {
        PedersenOpening::random(value, &mut *self.rng.borrow_mut()).commit().to_bytes()
    }

    /// A holder's ed25519 key.
    pub fn holder_key(&self) -> [u8; 32] {
        public(&signing_key(&mut self.rng.borrow_mut()))
    }

    /// The central bank issuing a new [`CREDIT`] credential; returns the
    /// transaction and the commitment.
    pub fn issue_credit(&self) -> (SignedTransaction, [u8; 32]) {
        let cm = self.commitment(CREDIT, CENTRAL_BANK);
        (self.tx(&self.actors.central_bank, issue(CREDIT, cm)), cm)
    }
}

/// Opens the ledger in `dir`, waiting (up to 5 s) while the database is still
/// locked: sled 0.34 releases its file lock from a background thread shortly
/// after the last handle is dropped (spacejam/sled#1289), so a reopen in the
/// same process can briefly see `WouldBlock`.
pub fn open_when_unlocked(dir: &std::path::Path, genesis: Option<&Genesis>) -> Result<Ledger, LedgerError> {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    loop {
        match Ledger::open(dir, genesis) {
            Err(LedgerError::Storage(e)) if e.to_string().contains("could not acquire lock") && std::time::Instant::now() < deadline => {
                std::thread::sleep(std::time::Duration::from_millis(10));
            }
            result => return result,
        }
    }
}

thread_local! {
    /// The `inner` of every leaf [`TestChain::commitment`] made on this thread.
    static INNERS: RefCell<HashMap<[u8; 32], [u8; 32]>> = RefCell::new(HashMap::new());
}

/// The `inner` behind a leaf made by [`TestChain::commitment`] (`None` for
/// any other bytes).
pub fn inner_of(cm: &[u8; 32]) -> Option<[u8; 32]> {
    INNERS.with(|m| m.borrow().get(cm).copied())
}

/// The leaf the ledger computes when `issuer` issues `inner` under `schema`.
pub fn leaf(schema: &str, issuer: &str, inner: &[u8; 32]) -> [u8; 32] {
    let inner = zkreg_circuits::field::fr_from_bytes(inner).expect("a canonical inner");
    fr_to_bytes(&zkreg_circuits::commitment::credential_leaf(&label(LabelDomain::Schema, schema), &label(LabelDomain::Issuer, issuer), &inner))
}

/// `IssueCredential` of the credential whose leaf is `commitment` (made by
/// [`TestChain::commitment`]): submits its `inner`, from which the ledger
/// computes the leaf again. Any other bytes are submitted as the `inner`
/// itself (for the tests of invalid values).
pub fn issue(schema: &str, commitment: [u8; 32]) -> TxBody {
    TxBody::IssueCredential { schema: schema.into(), inner: inner_of(&commitment).unwrap_or(commitment) }
}

/// `Revoke` of `commitment`.
pub fn revoke(commitment: [u8; 32]) -> TxBody {
    TxBody::Revoke { commitment }
}

/// The error code of a receipt (`None` if it was applied).
pub fn code(receipt: &Receipt) -> Option<&str> {
    receipt.error.as_ref().map(|(code, _)| code.as_str())
}

/// The field element stored as `bytes` (a Groth16 leaf, a tree root).
pub fn fr(bytes: &[u8; 32]) -> Fr {
    fr_from_bytes(bytes).unwrap_or_else(|e| panic!("commitment bytes: {e}"))
}

/// The BN254 scalar modulus `r`, big-endian: the smallest non-canonical encoding.
pub fn modulus_bytes() -> [u8; 32] {
    Fr::MODULUS.to_bytes_be().try_into().unwrap()
}

/// `RegisterSchema` of `name`, without a description.
pub fn schema_body(name: &str) -> TxBody {
    TxBody::RegisterSchema { name: name.into(), description: String::new() }
}

/// The state a transaction can change: tree, registry (nonces included),
/// credentials, anchors and the accepted root window.
#[derive(Clone, Debug, PartialEq)]
pub struct State {
    /// The commitment-tree root.
    pub root: Fr,
    /// Leaves appended.
    pub leaf_count: u64,
    /// Regulators, schemas, verifying keys, nonces, statistics.
    pub registry: Registry,
    /// Every stored credential, by commitment, as the query returns it.
    pub credentials: Vec<([u8; 32], CredentialRecord)>,
    /// Every anchored record hash and its height, as the query returns it.
    pub anchors: Vec<([u8; 32], u64)>,
}

/// Everything observable about a ledger: its [`State`], tip and mempool.
#[derive(Clone, Debug, PartialEq)]
pub struct Snapshot {
    /// The tip header (height, roots, time).
    pub tip: BlockHeader,
    /// Transactions waiting in the mempool.
    pub pending: usize,
    /// The state.
    pub state: State,
}

/// The 32-byte suffixes of every stored key with prefix `prefix` (store layout:
/// `c` commitment, `a` record hash).
fn keys_with_prefix(ledger: &Ledger, prefix: u8) -> Vec<[u8; 32]> {
    ledger
        .store()
        .raw_db()
        .scan_prefix([prefix])
        .map(|entry| {
            let (k, _) = entry.unwrap_or_else(|e| panic!("scan: {e}"));
            k[1..].try_into().unwrap_or_else(|_| panic!("key {} is not prefix + 32 bytes", hex::encode(&k)))
        })
        .collect()
}

/// The ledger's state (read through its queries).
pub fn state(ledger: &Ledger) -> State {
    let credentials = keys_with_prefix(ledger, b'c')
        .into_iter()
        .map(|cm| {
            let record = ledger.credential(&cm).unwrap_or_else(|e| panic!("credential: {e}"));
            (cm, record.unwrap_or_else(|| panic!("stored credential is not found")))
        })
        .collect();
    let anchors = keys_with_prefix(ledger, b'a')
        .into_iter()
        .map(|h| (h, ledger.anchor(&h).unwrap_or_else(|e| panic!("anchor: {e}")).unwrap_or_else(|| panic!("anchor lost"))))
        .collect();
    State {
        root: ledger.root(),
        leaf_count: ledger.tip().leaf_count,
        registry: ledger.registry().clone(),
        credentials,
        anchors,
    }
}

impl TestChain {
    /// The ledger's state, tip and mempool size.
    pub fn snapshot(&self) -> Snapshot {
        Snapshot { tip: self.ledger.tip().clone(), pending: self.mempool.len(), state: state(&self.ledger) }
    }
}
