//! The credential-commitment tree: 4-ary, depth 16, node = `Poseidon(c0, c1, c2, c3)`.
//!
//! Leaves are appended in ledger order; a leaf's position is its index written
//! in base 4, least significant digit at the leaf level. Empty leaves are 0
//! and empty subtrees hash to precomputed constants, so only the non-empty
//! prefix of each level is stored. Revocation sets a leaf back to 0.

pub mod constraints;

use std::sync::OnceLock;

use ark_bn254::Fr;
use ark_ff::Zero;
use serde::{Deserialize, Serialize};

use crate::constants::{TREE_ARITY, TREE_CAPACITY, TREE_DEPTH};
use crate::poseidon::hash4;

/// Errors from the commitment tree.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TreeError {
    /// The batch would take the tree past its 4^16 leaves.
    #[error("commitment tree is full ({TREE_CAPACITY} leaves)")]
    Full,
    /// The leaf index has not been appended yet.
    #[error("leaf {0} does not exist")]
    NoSuchLeaf(u64),
    /// A path must have one sibling triple per level.
    #[error("a path has {TREE_DEPTH} levels, got {0}")]
    WrongPathLength(usize),
}

/// `EMPTY[k]` is the root of an empty subtree of height `k` (`EMPTY[0] = 0`).
pub fn empty_subtree_roots() -> &'static [Fr; TREE_DEPTH + 1] {
    static EMPTY: OnceLock<[Fr; TREE_DEPTH + 1]> = OnceLock::new();
    EMPTY.get_or_init(|| {
        let mut e = [Fr::zero(); TREE_DEPTH + 1];
        for k in 1..=TREE_DEPTH {
            e[k] = hash4(&[e[k - 1]; TREE_ARITY]);
        }
        e
    })
}

/// The base-4 digits of a leaf index, leaf level first.
pub fn position_digits(index: u64) -> [u8; TREE_DEPTH] {
    let mut digits = [0u8; TREE_DEPTH];
    for (level, d) in digits.iter_mut().enumerate() {
        *d = ((index >> (2 * level)) & 3) as u8;
    }
    digits
}

/// The sibling hashes from a leaf to the root: at each level the three other
/// children of the node on the path, in child order.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MerklePath {
    /// Index of the leaf this path opens.
    pub leaf_index: u64,
    /// `siblings[level]`, leaf level first; each entry has exactly three hashes.
    #[serde(with = "crate::serde_fr::vec_triple")]
    #[cfg_attr(feature = "openapi", schema(value_type = Vec<Vec<String>>))]
    pub siblings: Vec<[Fr; 3]>,
}

impl MerklePath {
    /// The root this path gives for `leaf`.
    pub fn compute_root(&self, leaf: Fr) -> Result<Fr, TreeError> {
        if self.siblings.len() != TREE_DEPTH {
            return Err(TreeError::WrongPathLength(self.siblings.len()));
        }
        let mut node = leaf;
        for (digit, sib) in position_digits(self.leaf_index).iter().zip(&self.siblings) {
            node = hash4(&insert_child(node, sib, *digit as usize));
        }
        Ok(node)
    }
}

/// The four children of a node whose child `position` is `node` and whose other
/// children are `siblings` in order.
pub fn insert_child(node: Fr, siblings: &[Fr; 3], position: usize) -> [Fr; 4] {
    let mut children = [Fr::zero(); 4];
    let mut s = siblings.iter();
    for (i, c) in children.iter_mut().enumerate() {
        *c = if i == position { node } else { *s.next().unwrap_or(&Fr::zero()) };
    }
    children
}

/// An in-memory incremental commitment tree.
///
/// Every node written since the last [`CommitmentTree::take_changes`] is
/// journaled, so a store can persist exactly the nodes a block changed.
#[derive(Clone, Debug)]
pub struct CommitmentTree {
    /// `levels[k]` holds the non-empty prefix of level `k` (0 = leaves).
    levels: Vec<Vec<Fr>>,
    /// `(level, index)` of nodes written since the last `take_changes`.
    changes: Vec<(usize, u64)>,
}

impl Default for CommitmentTree {
    fn default() -> Self {
        Self::new()
    }
}

impl CommitmentTree {
    /// An empty tree.
    pub fn new() -> Self {
        CommitmentTree { levels: vec![Vec::new(); TREE_DEPTH + 1], changes: Vec::new() }
    }

    /// Rebuilds a tree from stored levels (`levels[k]` = the written prefix of
    /// level `k`) without rehashing. The caller vouches for consistency;
    /// `verify-chain` checks it against a full replay.
    pub fn from_levels(levels: Vec<Vec<Fr>>) -> Result<Self, TreeError> {
        if levels.len() != TREE_DEPTH + 1 {
            return Err(TreeError::WrongPathLength(levels.len()));
        }
        if levels[0].len() as u64 > TREE_CAPACITY {
            return Err(TreeError::Full);
        }
        Ok(CommitmentTree { levels, changes: Vec::new() })
    }

    /// The written prefix of `level`.
    pub fn level(&self, level: usize) -> &[Fr] {
        &self.levels[level]
    }

    /// The `(level, index, value)` of every node written since the last call,
    /// each once, in ascending order.
    pub fn take_changes(&mut self) -> Vec<(usize, u64, Fr)> {
        let mut changes = std::mem::take(&mut self.changes);
        changes.sort_unstable();
        changes.dedup();
        changes.into_iter().map(|(level, index)| (level, index, self.node(level, index))).collect()
    }

    /// Number of leaves appended so far (revoked ones included).
    pub fn len(&self) -> u64 {
        self.levels[0].len() as u64
    }

    /// Whether no leaf has been appended.
    pub fn is_empty(&self) -> bool {
        self.levels[0].is_empty()
    }

    /// The node at `level`, `index` (empty-subtree constant if never written).
    pub fn node(&self, level: usize, index: u64) -> Fr {
        self.levels[level]
            .get(index as usize)
            .copied()
            .unwrap_or(empty_subtree_roots()[level])
    }

    /// The current root.
    pub fn root(&self) -> Fr {
        self.node(TREE_DEPTH, 0)
    }

    /// The leaf at `index`.
    pub fn leaf(&self, index: u64) -> Result<Fr, TreeError> {
        self.levels[0].get(index as usize).copied().ok_or(TreeError::NoSuchLeaf(index))
    }

    /// Appends `leaves` in order and returns the index of the first; each
    /// inner node touched by the batch is hashed once.
    pub fn append_batch(&mut self, leaves: &[Fr]) -> Result<u64, TreeError> {
        let first = self.len();
        if first + leaves.len() as u64 > TREE_CAPACITY {
            return Err(TreeError::Full);
        }
        if leaves.is_empty() {
            return Ok(first);
        }
        self.levels[0].extend_from_slice(leaves);
        self.changes.extend((first..first + leaves.len() as u64).map(|i| (0, i)));
        self.rehash(first, first + leaves.len() as u64 - 1);
        Ok(first)
    }

    /// Replaces the leaf at `index` (revocation writes 0).
    pub fn update(&mut self, index: u64, leaf: Fr) -> Result<(), TreeError> {
        let slot = self.levels[0].get_mut(index as usize).ok_or(TreeError::NoSuchLeaf(index))?;
        *slot = leaf;
        self.changes.push((0, index));
        self.rehash(index, index);
        Ok(())
    }

    /// Recomputes the ancestors of leaves `lo..=hi`; the parents of a level
    /// are independent, so wide levels are hashed on all cores.
    fn rehash(&mut self, mut lo: u64, mut hi: u64) {
        use rayon::prelude::*;
        for level in 0..TREE_DEPTH {
            let (plo, phi) = (lo / 4, hi / 4);
            let hash_parent = |parent: u64| hash4(&[0, 1, 2, 3].map(|i| self.node(level, parent * 4 + i)));
            let hashes: Vec<Fr> = if phi - plo >= 64 {
                (plo..=phi).into_par_iter().map(hash_parent).collect()
            } else {
                (plo..=phi).map(hash_parent).collect()
            };
            for (parent, h) in (plo..=phi).zip(hashes) {
                self.changes.push((level + 1, parent));
                let up = &mut self.levels[level + 1];
                if (parent as usize) < up.len() {
                    up[parent as usize] = h;
                } else {
                    up.push(h);
                }
            }
            (lo, hi) = (plo, phi);
        }
    }

    /// The path of the leaf at `index` under the current root.
    pub fn path(&self, index: u64) -> Result<MerklePath, TreeError> {
        if index >= self.len() {
            return Err(TreeError::NoSuchLeaf(index));
        }
        let mut siblings = Vec::with_capacity(TREE_DEPTH);
        let mut pos = index;
        for level in 0..TREE_DEPTH {
            let base = pos & !3;
            let digit = pos & 3;
            let mut sib = [Fr::zero(); 3];
            let mut k = 0;
            for i in 0..4u64 {
                if i != digit {
                    sib[k] = self.node(level, base + i);
                    k += 1;
                }
            }
            siblings.push(sib);
            pos >>= 2;
        }
        Ok(MerklePath { leaf_index: index, siblings })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ark_ff::UniformRand;
    use rand::SeedableRng;

    /// Root computed from scratch, level by level, as a reference.
    fn naive_root(leaves: &[Fr]) -> Fr {
        let e = empty_subtree_roots();
        let mut level: Vec<Fr> = leaves.to_vec();
        for k in 0..TREE_DEPTH {
            if level.is_empty() {
                return e[TREE_DEPTH];
            }
            level = level
                .chunks(4)
                .map(|c| hash4(&[0, 1, 2, 3].map(|i| c.get(i).copied().unwrap_or(e[k]))))
                .collect();
        }
        level[0]
    }

    #[test]
    fn empty_roots_chain() {
        let e = empty_subtree_roots();
        assert!(e[0].is_zero());
        assert_eq!(
            crate::field::fr_to_hex(&e[1]),
            "0x0532fd436e19c70e51209694d9c215250937921b8b79060488c1206db73e9946"
        );
        assert_eq!(CommitmentTree::new().root(), e[TREE_DEPTH]);
    }

    #[test]
    fn batch_and_single_inserts_agree_with_naive_root() {
        let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(3);
        let leaves: Vec<Fr> = (0..70).map(|_| Fr::rand(&mut rng)).collect();
        let mut batched = CommitmentTree::new();
        assert_eq!(batched.append_batch(&leaves[..33]).unwrap(), 0);
        assert_eq!(batched.append_batch(&leaves[33..]).unwrap(), 33);
        let mut single = CommitmentTree::new();
        for l in &leaves {
            single.append_batch(std::slice::from_ref(l)).unwrap();
        }
        assert_eq!(batched.root(), naive_root(&leaves));
        assert_eq!(single.root(), batched.root());
        assert_eq!(batched.len(), 70);
    }

    #[test]
    fn paths_open_every_leaf_and_only_at_its_position() {
        let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(4);
        let leaves: Vec<Fr> = (0..21).map(|_| Fr::rand(&mut rng)).collect();
        let mut tree = CommitmentTree::new();
        tree.append_batch(&leaves).unwrap();
        for (i, leaf) in leaves.iter().enumerate() {
            let path = tree.path(i as u64).unwrap();
            assert_eq!(path.compute_root(*leaf).unwrap(), tree.root());
            let mut moved = path.clone();
            moved.leaf_index = (i as u64 + 1) % 21;
            assert_ne!(moved.compute_root(*leaf).unwrap(), tree.root());
        }
        assert_eq!(tree.path(21), Err(TreeError::NoSuchLeaf(21)));
    }

    #[test]
    fn revocation_zeroes_the_leaf_and_changes_the_root() {
        let mut tree = CommitmentTree::new();
        let leaves = [Fr::from(10u64), Fr::from(11u64), Fr::from(12u64)];
        tree.append_batch(&leaves).unwrap();
        let before = tree.root();
        tree.update(1, Fr::zero()).unwrap();
        assert_ne!(tree.root(), before);
        assert_eq!(tree.root(), naive_root(&[leaves[0], Fr::zero(), leaves[2]]));
        assert_eq!(tree.update(3, Fr::zero()), Err(TreeError::NoSuchLeaf(3)));
        // The old path no longer opens the revoked commitment.
        let path = tree.path(1).unwrap();
        assert_ne!(path.compute_root(leaves[1]).unwrap(), tree.root());
    }

    #[test]
    fn journal_and_rebuild_reproduce_the_tree() {
        let mut tree = CommitmentTree::new();
        tree.append_batch(&(1..=9u64).map(Fr::from).collect::<Vec<_>>()).unwrap();
        let first = tree.take_changes();
        assert_eq!(first.len(), 9 + 3 + 14 * 1 + 1, "9 leaves, 3 parents, then one node per level");
        tree.update(4, Fr::zero()).unwrap();
        let second = tree.take_changes();
        assert_eq!(second.len(), TREE_DEPTH + 1, "a leaf and its ancestors");
        assert!(tree.take_changes().is_empty());
        // Replaying the journal into empty levels gives the same tree.
        let mut levels = vec![Vec::new(); TREE_DEPTH + 1];
        for (level, index, value) in first.into_iter().chain(second) {
            let l: &mut Vec<Fr> = &mut levels[level];
            if (index as usize) < l.len() { l[index as usize] = value } else { l.push(value) }
        }
        let rebuilt = CommitmentTree::from_levels(levels).unwrap();
        assert_eq!(rebuilt.root(), tree.root());
        assert_eq!(rebuilt.len(), 9);
        assert_eq!(rebuilt.path(7).unwrap(), tree.path(7).unwrap());
    }

    #[test]
    fn digits_are_base_four_little_endian() {
        let d = position_digits(0b11_10_01_00);
        assert_eq!(&d[..5], &[0, 1, 2, 3, 0]);
        assert_eq!(position_digits(TREE_CAPACITY - 1), [3; TREE_DEPTH]);
    }

    #[test]
    fn wrong_path_length_is_an_error() {
        let p = MerklePath { leaf_index: 0, siblings: vec![[Fr::zero(); 3]; 3] };
        assert_eq!(p.compute_root(Fr::zero()), Err(TreeError::WrongPathLength(3)));
    }
}
