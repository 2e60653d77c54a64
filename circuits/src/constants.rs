//! Every domain-separation constant of zkreg, in one place.
//!
//! Changing any of these strings changes every commitment, pseudonym or
//! transcript built from it, so each is versioned and pinned by known-answer
//! tests.

/// Prefix of every label hashed to a field element (see [`crate::field::label`]).
pub const LABEL_PREFIX: &str = "zkreg/label/v1";

/// Label domain of the separator mixed into `holder_id = Poseidon(DS_HOLDER, sk)`.
pub const DS_HOLDER_LABEL: &str = "holder-id";

/// Label domain of the separator mixed into `pseudonym = Poseidon(DS_PSEUDONYM, sk, scope)`.
pub const DS_PSEUDONYM_LABEL: &str = "pseudonym";

/// Arity of the commitment tree: each node hashes four children.
pub const TREE_ARITY: usize = 4;

/// Depth of the commitment tree: 4^16 = 2^32 leaves.
pub const TREE_DEPTH: usize = 16;

/// Number of leaves the commitment tree can hold.
pub const TREE_CAPACITY: u64 = 1 << (2 * TREE_DEPTH);

/// Number of bits each range check decomposes a difference into.
pub const RANGE_BITS: usize = 64;

/// Number of public inputs of the predicate circuit.
pub const NUM_PUBLIC_INPUTS: usize = 9;

/// Circuit identifier of the credential predicate circuit (registered on the ledger with its key).
/// v2: the leaf is `Poseidon(schema_id, issuer_id, Poseidon(holder_id, value, expiry, salt))`.
pub const PREDICATE_CIRCUIT_ID: &str = "zkreg-predicate-v2";

/// Version of the credential commitment (v2: the ledger computes the leaf
/// from the regulator's `inner`); credential files name it.
pub const COMMITMENT_VERSION: u32 = 2;

/// Merlin transcript label of the Bulletproofs range presentation.
pub const RANGE_TRANSCRIPT_LABEL: &[u8] = b"zkreg range v1";

/// Domain separator appended first to the range transcript (protocol and parameters).
pub const RANGE_DOMAIN_SEP: &[u8] = b"zkreg range-proof m=2 n=64 v1";

/// Label under which the holder-binding challenge is drawn from the range transcript.
pub const RANGE_HOLDER_BINDING: &[u8] = b"zkreg holder-binding v1";

/// Domain of the seed-to-secret derivation of a wallet's ZK secret `sk`.
pub const WALLET_SK_DOMAIN: &[u8] = b"zkreg wallet zk-secret v1";

/// Domain of the seed-to-key derivation of a wallet's ed25519 key.
pub const WALLET_AUTH_DOMAIN: &[u8] = b"zkreg wallet auth-key v1";

/// First line of the text a verifier signs in a proof request (`ProofRequest::signing_message`).
pub const REQUEST_SIGNATURE_DOMAIN: &str = "zkreg-request-sig/v1";
