//! Shared fixtures for zkreg's cross-crate tests and benchmarks: one seeded
//! trusted setup per process, and an in-memory ledger view (commitment tree,
//! root window, issuer authorisations, Pedersen credentials).
#![forbid(unsafe_code)]
#![deny(missing_docs)]

use std::collections::{HashMap, VecDeque};
use std::sync::OnceLock;

use ark_bn254::{Bn254, Fr};
use ark_groth16::{ProvingKey, VerifyingKey};
use rand::SeedableRng;
use rand_chacha::ChaCha20Rng;

use zkreg_circuits::tree::{CommitmentTree, MerklePath};
use zkreg_prover::{CredentialOpening, PathSource, PredicateProver};
use zkreg_verifier::{LedgerView, Operator, PredicateSpec, PredicateVerifier, ProofRequest, RangeCredential};

/// The day the fixtures call "today" (2025-11-08).
pub const TODAY: u32 = 20_400;

/// Unix time inside [`TODAY`].
pub const NOW: u64 = TODAY as u64 * 86_400 + 3_600;

/// A deterministic RNG.
pub fn rng(seed: u64) -> ChaCha20Rng {
    ChaCha20Rng::seed_from_u64(seed)
}

/// The predicate circuit's keys, generated once per process from a fixed seed.
pub fn keys() -> &'static (ProvingKey<Bn254>, VerifyingKey<Bn254>) {
    static KEYS: OnceLock<(ProvingKey<Bn254>, VerifyingKey<Bn254>)> = OnceLock::new();
    KEYS.get_or_init(|| zkreg_prover::setup(&mut rng(0x5e7u64)).unwrap_or_else(|e| panic!("setup: {e}")))
}

/// A prover over [`keys`].
pub fn prover() -> &'static PredicateProver {
    static P: OnceLock<PredicateProver> = OnceLock::new();
    P.get_or_init(|| PredicateProver::new(keys().0.clone()).unwrap_or_else(|e| panic!("proving key: {e}")))
}

/// A verifier over [`keys`].
pub fn verifier() -> &'static PredicateVerifier {
    static V: OnceLock<PredicateVerifier> = OnceLock::new();
    V.get_or_init(|| PredicateVerifier::new(keys().1.clone()).unwrap_or_else(|e| panic!("verifying key: {e}")))
}

/// An in-memory stand-in for the ledger: each mutation is one "block".
pub struct TestLedger {
    /// The commitment tree.
    pub tree: CommitmentTree,
    window: VecDeque<Fr>,
    window_size: usize,
    authorised: Vec<(String, String)>,
    /// Registered Pedersen credentials by commitment.
    pub range_credentials: HashMap<[u8; 32], RangeCredential>,
    /// Registered verifying-key fingerprint.
    pub fingerprint: Option<[u8; 32]>,
}

impl TestLedger {
    /// An empty ledger accepting the last `window_size` roots, with the
    /// fixture verifying key registered.
    pub fn new(window_size: usize) -> Self {
        let mut l = TestLedger {
            tree: CommitmentTree::new(),
            window: VecDeque::new(),
            window_size,
            authorised: Vec::new(),
            range_credentials: HashMap::new(),
            fingerprint: Some(verifier().fingerprint()),
        };
        l.push_root();
        l
    }

    fn push_root(&mut self) {
        self.window.push_back(self.tree.root());
        while self.window.len() > self.window_size {
            self.window.pop_front();
        }
    }

    /// Authorises `issuer` for `schema`.
    pub fn authorise(&mut self, issuer: &str, schema: &str) {
        self.authorised.push((issuer.to_owned(), schema.to_owned()));
    }

    /// Appends `leaves` in one block.
    pub fn append(&mut self, leaves: &[Fr]) -> u64 {
        let first = self.tree.append_batch(leaves).unwrap_or_else(|e| panic!("append: {e}"));
        self.push_root();
        first
    }

    /// Appends the credential's commitment and records its leaf index.
    pub fn issue(&mut self, opening: &mut CredentialOpening) {
        opening.leaf_index = Some(self.append(&[opening.commitment]));
    }

    /// Revokes the leaf at `index` in one block.
    pub fn revoke(&mut self, index: u64) {
        self.tree.update(index, Fr::from(0u64)).unwrap_or_else(|e| panic!("revoke: {e}"));
        self.push_root();
    }

    /// An empty block (the root is pushed again, ageing older roots).
    pub fn empty_block(&mut self) {
        self.push_root();
    }
}

impl LedgerView for TestLedger {
    fn root_in_window(&self, root: &Fr) -> bool {
        self.window.contains(root)
    }
    fn issuer_authorised(&self, issuer: &str, schema: &str) -> bool {
        self.authorised.iter().any(|(i, s)| i == issuer && s == schema)
    }
    fn range_credential(&self, commitment: &[u8; 32]) -> Option<RangeCredential> {
        self.range_credentials.get(commitment).cloned()
    }
    fn registered_fingerprint(&self) -> Option<[u8; 32]> {
        self.fingerprint
    }
}

impl PathSource for TestLedger {
    fn path(&self, leaf_index: u64) -> Result<(MerklePath, Fr), String> {
        Ok((self.tree.path(leaf_index).map_err(|e| e.to_string())?, self.tree.root()))
    }
}

/// A `schema >= threshold` predicate accepting `issuer`.
pub fn at_least(schema: &str, threshold: u64, issuer: &str) -> PredicateSpec {
    PredicateSpec {
        schema: schema.into(),
        operator: Operator::AtLeast { value: threshold },
        allowed_issuers: vec![issuer.into()],
        backend: Default::default(),
    }
}

/// A request from `bank-a` with a challenge derived from `nonce`.
pub fn request(predicates: Vec<PredicateSpec>, nonce: u8) -> ProofRequest {
    ProofRequest {
        version: 1,
        verifier: "bank-a".into(),
        scope: "bank-a/loans".into(),
        challenge: hex::encode([nonce; 32]),
        expires_at: NOW + 600,
        predicates,
        signature: None,
    }
}

/// A point on BN254's G2 twist `y² = x³ + 3/(9+u)` that is not in the
/// prime-order subgroup (the twist's cofactor is about 2^254, so the first
/// point found is outside): what an attacker would put in a proof or key.
pub fn g2_point_outside_subgroup() -> ark_bn254::G2Affine {
    use ark_ec::short_weierstrass::SWCurveConfig;
    use ark_ff::{Field, One};
    let b2 = ark_bn254::g2::Config::COEFF_B;
    let mut x = ark_bn254::Fq2::new(ark_bn254::Fq::from(1u64), ark_bn254::Fq::from(1u64));
    loop {
        if let Some(y) = (x.square() * x + b2).sqrt() {
            let p = ark_bn254::G2Affine::new_unchecked(x, y);
            if p.is_on_curve() && !p.is_in_correct_subgroup_assuming_on_curve() {
                return p;
            }
        }
        x += ark_bn254::Fq2::one();
    }
}

/// The pinned snarkjs binary (`ZKREG_SNARKJS`, else `tools/node_modules/.bin/snarkjs`),
/// or `None` (after a note on stderr) if the live check is to be skipped.
/// Panics if it is missing and `ZKREG_REQUIRE_SNARKJS=1`.
pub fn locate_snarkjs() -> Option<std::path::PathBuf> {
    let path = match std::env::var_os("ZKREG_SNARKJS") {
        Some(p) => std::path::PathBuf::from(p),
        None => std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tools/node_modules/.bin/snarkjs"),
    };
    if path.is_file() {
        return Some(path);
    }
    if std::env::var("ZKREG_REQUIRE_SNARKJS").as_deref() == Ok("1") {
        panic!(
            "snarkjs not found at {} but ZKREG_REQUIRE_SNARKJS=1: run `npm ci --prefix tools` (or set ZKREG_SNARKJS)",
            path.display()
        );
    }
    eprintln!("snarkjs not installed; skipping the live check: npm ci --prefix tools");
    None
}
