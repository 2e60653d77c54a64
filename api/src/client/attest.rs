//! The wallet's check of a root against the consortium: the root must be
//! the tree root of a header that a majority of the genesis' consortium
//! signed ([`zkreg_registry::attest`]), so no single node can hand a holder
//! a root of its own, or tag holders with roots nobody else has.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use anyhow::Context;
use ark_bn254::Fr;

use zkreg_circuits::field::{fr_to_bytes, fr_to_hex};
use zkreg_registry::attest::{majority, verify};
use zkreg_registry::BlockHeader;

use super::Client;
use crate::dto::Block;

/// The header a block answer describes, rebuilt from its fields (its
/// `hash` field is not trusted).
fn header_of(b: &Block) -> anyhow::Result<BlockHeader> {
    let h32 = |s: &str, what: &str| zkreg_circuits::hex::parse_array::<32>(s).map_err(|e| anyhow::anyhow!("block {}: {what}: {e}", b.height));
    Ok(BlockHeader {
        height: b.height,
        prev_hash: h32(&b.prev_hash, "prev_hash")?,
        tx_root: h32(&b.tx_root, "tx_root")?,
        tree_root: h32(&b.tree_root, "tree_root")?,
        leaf_count: b.leaf_count,
        time: b.time,
    })
}

/// How many distinct members of `consortium` validly signed `b`'s header.
pub fn valid_signers(b: &Block, consortium: &BTreeMap<u64, [u8; 32]>) -> anyhow::Result<usize> {
    let header = header_of(b)?;
    let mut signers = std::collections::BTreeSet::new();
    for s in &b.signatures {
        let Some(key) = consortium.get(&s.node_id) else { continue };
        let Ok(sig) = hex::decode(&s.signature) else { continue };
        if verify(key, &header, &sig) {
            signers.insert(s.node_id);
        }
    }
    Ok(signers.len())
}

impl Client {
    /// The height of a header in the node's root window whose tree root is
    /// `root` and which a majority of `consortium` signed, waiting up to
    /// `wait` for the signatures (they arrive a block or two after the
    /// block). An error if there is none.
    pub fn attested_root(&self, root: &Fr, consortium: &BTreeMap<u64, [u8; 32]>, wait: Duration) -> anyhow::Result<u64> {
        let want = hex::encode(fr_to_bytes(root));
        let needed = majority(consortium.len());
        let deadline = Instant::now() + wait;
        loop {
            let status = self.status()?;
            let lowest = status.height.saturating_sub(status.root_window_blocks.saturating_sub(1));
            let mut best = 0;
            for height in (lowest..=status.height).rev() {
                let block: Block = self.get_as(&format!("/v1/blocks/{height}")).with_context(|| format!("block {height}"))?;
                if block.tree_root != want {
                    continue;
                }
                let signers = valid_signers(&block, consortium)?;
                if signers >= needed {
                    return Ok(height);
                }
                best = best.max(signers);
            }
            if Instant::now() >= deadline {
                anyhow::bail!(
                    "root {} is not signed by a majority of the consortium ({best} of the {needed} of {} signatures needed, in the node's window)",
                    fr_to_hex(root),
                    consortium.len()
                );
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}
