//! Cluster calls (Raft's messages between nodes, cluster administration)
//! carry `HMAC-SHA256(secret, CLUSTER_MAC_DOMAIN ‖ path ‖ 0 ‖ body)` under
//! the secret every member of the cluster holds, in hex in the
//! [`MAC_HEADER`] header.

use hmac::{Hmac, Mac};
use sha2::Sha256;
use zkreg_circuits::constants::CLUSTER_MAC_DOMAIN;

/// The header that carries a cluster message's MAC (hex).
pub const MAC_HEADER: &str = "x-zkreg-cluster-mac";

fn keyed(secret: &[u8; 32], path: &str, body: &[u8]) -> Hmac<Sha256> {
    let mut m = <Hmac<Sha256> as Mac>::new_from_slice(secret).unwrap_or_else(|_| unreachable!("HMAC takes any key length"));
    m.update(CLUSTER_MAC_DOMAIN);
    m.update(path.as_bytes());
    m.update(&[0]);
    m.update(body);
    m
}

/// `HMAC-SHA256(secret, CLUSTER_MAC_DOMAIN ‖ path ‖ 0 ‖ body)`.
pub fn mac(secret: &[u8; 32], path: &str, body: &[u8]) -> [u8; 32] {
    keyed(secret, path, body).finalize().into_bytes().into()
}

/// Whether `tag` (hex) is the MAC of `path` and `body`, compared in constant time.
pub fn check_mac(secret: &[u8; 32], path: &str, body: &[u8], tag: &str) -> bool {
    let Ok(tag) = hex::decode(tag.trim()) else { return false };
    keyed(secret, path, body).verify_slice(&tag).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_mac_verifies_only_for_its_secret_path_and_body() {
        let secret = [7u8; 32];
        let tag = hex::encode(mac(&secret, "/internal/raft/vote", b"body"));
        assert!(check_mac(&secret, "/internal/raft/vote", b"body", &tag));
        assert!(!check_mac(&[8u8; 32], "/internal/raft/vote", b"body", &tag), "another secret");
        assert!(!check_mac(&secret, "/internal/raft/append", b"body", &tag), "moved to another endpoint");
        assert!(!check_mac(&secret, "/internal/raft/vote", b"bodz", &tag), "altered body");
        assert!(!check_mac(&secret, "/internal/raft/vote", b"body", &tag[..62]), "truncated tag");
        assert!(!check_mac(&secret, "/internal/raft/vote", b"body", "zz"), "not hex");
        assert!(!check_mac(&secret, "/internal/raft/vote", b"body", ""), "empty");
        // The separator keeps path and body apart.
        assert_ne!(mac(&secret, "/a", b"bc"), mac(&secret, "/ab", b"c"));
    }
}
