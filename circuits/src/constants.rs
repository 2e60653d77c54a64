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

/// Domain of a block header's hash: `SHA-256(HEADER_DOMAIN ‖ encode(header))`.
pub const HEADER_DOMAIN: &[u8] = b"zkreg/header/v1";

/// Domain of the message a transaction's signer (and each approver) signs.
pub const TX_SIGNING_DOMAIN: &[u8] = b"zkreg/tx-signature/v1";

/// Domain of a transaction id: `SHA-256(TXID_DOMAIN ‖ encode(tx))`.
pub const TXID_DOMAIN: &[u8] = b"zkreg/txid/v1";

/// Domain of a signed transaction's hash in the header's transaction root
/// (covers the signatures and approvals, not only the transaction).
pub const SIGNED_TX_DOMAIN: &[u8] = b"zkreg/signed-tx/v1";

/// Domain of the genesis hash (the genesis block's transaction root).
pub const GENESIS_DOMAIN: &[u8] = b"zkreg/genesis/v1";

/// First line of the message a bank signs over an HTTP call (scheme `zkreg-http-sig/v1`).
pub const HTTP_SIGNATURE_DOMAIN: &str = "zkreg-http-sig/v1";

/// Domain of the key under which the node remembers a (verifier key, nonce) pair.
pub const SEEN_NONCE_DOMAIN: &[u8] = b"zkreg-http-sig/v1/seen-nonce";

/// Domain of a cluster message's MAC: `HMAC-SHA256(secret, CLUSTER_MAC_DOMAIN ‖ path ‖ 0 ‖ body)`.
pub const CLUSTER_MAC_DOMAIN: &[u8] = b"zkreg/cluster-mac/v1";

/// Domain of a node's signature of a block header: `sign(HEADER_SIGNATURE_DOMAIN ‖ header hash)`.
pub const HEADER_SIGNATURE_DOMAIN: &[u8] = b"zkreg/header-signature/v1";

/// Private records: a record's hash (its id, anchored on the ledger).
pub const PRIVATE_RECORD_DOMAIN: &[u8] = b"zkreg/private-record/v1";

/// Private records: the AEAD's associated data (record id and key number follow).
pub const PRIVATE_RECORD_AEAD_DOMAIN: &[u8] = b"zkreg/private-record-aead/v1";

/// Private records: an auditor's grant's hash (its id, anchored on the ledger).
pub const AUDIT_GRANT_DOMAIN: &[u8] = b"zkreg/audit-grant/v1";

/// The private layer's audit log: an event's hash.
pub const AUDIT_EVENT_DOMAIN: &[u8] = b"zkreg/audit-event/v1";

/// Private statistics: an analyst's grant's hash (its id, anchored on the ledger).
pub const DP_ANALYST_GRANT_DOMAIN: &[u8] = b"zkreg/dp-analyst-grant/v1";

/// Every domain separator above, by name: pinned as pairwise distinct.
pub const ALL_DOMAINS: &[(&str, &[u8])] = &[
    ("LABEL_PREFIX", LABEL_PREFIX.as_bytes()),
    ("RANGE_TRANSCRIPT_LABEL", RANGE_TRANSCRIPT_LABEL),
    ("RANGE_DOMAIN_SEP", RANGE_DOMAIN_SEP),
    ("RANGE_HOLDER_BINDING", RANGE_HOLDER_BINDING),
    ("WALLET_SK_DOMAIN", WALLET_SK_DOMAIN),
    ("WALLET_AUTH_DOMAIN", WALLET_AUTH_DOMAIN),
    ("REQUEST_SIGNATURE_DOMAIN", REQUEST_SIGNATURE_DOMAIN.as_bytes()),
    ("HEADER_DOMAIN", HEADER_DOMAIN),
    ("TX_SIGNING_DOMAIN", TX_SIGNING_DOMAIN),
    ("TXID_DOMAIN", TXID_DOMAIN),
    ("SIGNED_TX_DOMAIN", SIGNED_TX_DOMAIN),
    ("GENESIS_DOMAIN", GENESIS_DOMAIN),
    ("HTTP_SIGNATURE_DOMAIN", HTTP_SIGNATURE_DOMAIN.as_bytes()),
    ("SEEN_NONCE_DOMAIN", SEEN_NONCE_DOMAIN),
    ("PRIVATE_RECORD_DOMAIN", PRIVATE_RECORD_DOMAIN),
    ("PRIVATE_RECORD_AEAD_DOMAIN", PRIVATE_RECORD_AEAD_DOMAIN),
    ("AUDIT_GRANT_DOMAIN", AUDIT_GRANT_DOMAIN),
    ("AUDIT_EVENT_DOMAIN", AUDIT_EVENT_DOMAIN),
    ("DP_ANALYST_GRANT_DOMAIN", DP_ANALYST_GRANT_DOMAIN),
    ("CLUSTER_MAC_DOMAIN", CLUSTER_MAC_DOMAIN),
    ("HEADER_SIGNATURE_DOMAIN", HEADER_SIGNATURE_DOMAIN),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_domain_separator_is_distinct_and_versioned() {
        for (i, (a, x)) in ALL_DOMAINS.iter().enumerate() {
            assert!(x.starts_with(b"zkreg"), "{a} does not name zkreg");
            assert!(x.windows(2).any(|w| w == b"v1"), "{a} carries no version");
            for (b, y) in &ALL_DOMAINS[i + 1..] {
                assert_ne!(x, y, "{a} and {b} are the same separator");
            }
        }
        // The two labels the circuit mixes in are distinct labels too.
        assert_ne!(DS_HOLDER_LABEL, DS_PSEUDONYM_LABEL);
    }
}
