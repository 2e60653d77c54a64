//! Merkle paths for the wallet, fetched as whole bucket subtrees and checked.

use anyhow::Context;
use ark_bn254::Fr;

use zkreg_circuits::field::{fr_from_hex, fr_to_hex};
use zkreg_circuits::tree::MerklePath;
use zkreg_prover::PathSource;
use zkreg_registry::Bucket;

use super::Client;
use crate::dto::BucketAnswer;
pub use crate::service::chain::MAX_BUCKET_LEVELS;

/// Fetches Merkle paths as whole bucket subtrees (4^levels leaves), so the
/// node learns only which bucket the holder's credential is in: the wallet
/// asks for the bucket by its first leaf, never by its own leaf.
///
/// The node's answer is not trusted: every field is checked (the levels and
/// first leaf asked for, the shape, canonical hashes), the whole bucket is
/// hashed up to the root it claims, and that root must be in the node's
/// root window (`GET /v1/roots`). A malformed or forged answer is an error,
/// never a panic.
pub struct BucketPaths<'a> {
    /// The node.
    pub client: &'a Client,
    /// Bucket height in levels, 1 to [`MAX_BUCKET_LEVELS`] (5 = 1,024 leaves).
    pub levels: usize,
}

impl BucketPaths<'_> {
    /// The bucket holding `leaf_index`, asked for by its first leaf (so the
    /// request names the bucket, not the leaf), checked field by field,
    /// verified against its root, and that root found in the node's window.
    pub fn bucket(&self, leaf_index: u64) -> anyhow::Result<Bucket> {
        let first = Bucket::first_leaf_of(leaf_index, self.levels)
            .filter(|_| self.levels <= MAX_BUCKET_LEVELS)
            .with_context(|| format!("a bucket has 1 to {MAX_BUCKET_LEVELS} levels, not {}", self.levels))?;
        let answer = self.client.get(&format!("/v1/buckets/{first}?levels={}", self.levels))?;
        let bucket = parse_bucket(answer, first, self.levels).context("the node's bucket is malformed")?;
        bucket.verify().context("the node's bucket does not open to the root it claims")?;
        let window = self.client.root_window()?;
        if !window.contains(&bucket.root) {
            anyhow::bail!("the bucket's root {} is not one of the roots the node accepts now", fr_to_hex(&bucket.root));
        }
        Ok(bucket)
    }
}

/// A bucket from the node's answer to `GET /v1/buckets/{first}?levels={levels}`:
/// the levels and first leaf asked for, and every hash a canonical field element.
fn parse_bucket(answer: serde_json::Value, first: u64, levels: usize) -> anyhow::Result<Bucket> {
    let b: BucketAnswer = serde_json::from_value(answer).context("not a bucket answer")?;
    if b.levels != levels {
        anyhow::bail!("the answer has {} levels, not the {levels} asked for", b.levels);
    }
    if b.first_leaf != first {
        anyhow::bail!("the answer starts at leaf {}, not at the leaf {first} asked for", b.first_leaf);
    }
    let hash = |s: &str, what: &dyn Fn() -> String| fr_from_hex(s).with_context(|| format!("{} is not a canonical field element", what()));
    let nodes = b
        .nodes
        .iter()
        .enumerate()
        .map(|(l, level)| level.iter().enumerate().map(|(i, h)| hash(h, &|| format!("nodes[{l}][{i}]"))).collect::<anyhow::Result<Vec<_>>>())
        .collect::<anyhow::Result<Vec<_>>>()?;
    let upper_siblings = b
        .upper_siblings
        .iter()
        .enumerate()
        .map(|(l, triple)| {
            let hashes = triple.iter().enumerate().map(|(i, h)| hash(h, &|| format!("upper_siblings[{l}][{i}]"))).collect::<anyhow::Result<Vec<_>>>()?;
            <[Fr; 3]>::try_from(hashes).map_err(|h| anyhow::anyhow!("upper_siblings[{l}] has {} hashes, not 3", h.len()))
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    let root = hash(&b.root, &|| "the root".into())?;
    let bucket = Bucket { first_leaf: b.first_leaf, levels: b.levels, nodes, upper_siblings, root };
    bucket.check_shape()?;
    Ok(bucket)
}

impl PathSource for BucketPaths<'_> {
    /// The path of `leaf_index` from its verified bucket, and the bucket's root.
    fn path(&self, leaf_index: u64) -> Result<(MerklePath, Fr), String> {
        let bucket = self.bucket(leaf_index).map_err(|e| format!("{e:#}"))?;
        // The prover then checks that the path opens its own commitment to this root.
        let path = bucket.path(leaf_index).ok_or("the leaf is outside the bucket the node sent")?;
        Ok((path, bucket.root))
    }
}

