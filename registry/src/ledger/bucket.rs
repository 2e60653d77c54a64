//! Buckets: a whole subtree of the commitment tree and the path above it.
//!
//! A wallet asks the node for the bucket that holds its leaf, by the bucket's
//! first leaf, so the node learns which 4^levels leaves, not which one. The
//! node is not trusted for the answer: every field comes from the network, so
//! nothing here panics on any value, and [`Bucket::verify`] recomputes the
//! whole subtree and the path above it before a wallet proves against the root.

use ark_bn254::Fr;

use zkreg_circuits::constants::{TREE_CAPACITY, TREE_DEPTH};
use zkreg_circuits::field::fr_to_hex;
use zkreg_circuits::poseidon::hash4;
use zkreg_circuits::tree::{empty_subtree_roots, insert_child, MerklePath};

/// A bucket subtree and the path above it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Bucket {
    /// Index of the bucket's first leaf (a multiple of `4^levels`).
    pub first_leaf: u64,
    /// Levels in the bucket (`4^levels` leaves), 1 to [`TREE_DEPTH`].
    pub levels: usize,
    /// `nodes[level]`, `level < levels`: the written nodes of that level
    /// inside the bucket, left to right (a prefix: the rest are empty subtrees).
    pub nodes: Vec<Vec<Fr>>,
    /// Sibling triples from the bucket's root up to the tree root
    /// (`TREE_DEPTH - levels` of them).
    pub upper_siblings: Vec<[Fr; 3]>,
    /// The tree root these nodes open to.
    pub root: Fr,
}

/// Why a bucket is refused: it cannot be a bucket of the tree, or its nodes
/// do not open to the root it claims.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BucketError {
    /// `levels` is 0 or more than the tree's depth.
    #[error("a bucket has 1 to {TREE_DEPTH} levels, not {0}")]
    Levels(usize),
    /// `first_leaf` is not a multiple of `4^levels` inside the tree's capacity.
    #[error("leaf {first_leaf} is not the first leaf of a bucket of {levels} levels")]
    NotFirstLeaf {
        /// The claimed first leaf.
        first_leaf: u64,
        /// The claimed levels.
        levels: usize,
    },
    /// `nodes` does not have one list per level of the bucket.
    #[error("a bucket of {levels} levels has {levels} levels of nodes, not {got}")]
    NodeLevels {
        /// The claimed levels.
        levels: usize,
        /// Lists of nodes sent.
        got: usize,
    },
    /// A level has more nodes than the bucket has positions at that level.
    #[error("level {level} of the bucket has at most {max} nodes, not {got}")]
    LevelTooWide {
        /// The level (0 = leaves).
        level: usize,
        /// `4^(levels - level)`.
        max: u64,
        /// Nodes sent.
        got: usize,
    },
    /// `upper_siblings` does not have one triple per level above the bucket.
    #[error("a bucket of {levels} levels has {expected} sibling triples above it, not {got}")]
    UpperSiblings {
        /// The claimed levels.
        levels: usize,
        /// `TREE_DEPTH - levels`.
        expected: usize,
        /// Triples sent.
        got: usize,
    },
    /// The nodes of a level are not the hashes of the level below (a forged
    /// or truncated level).
    #[error("level {0} of the bucket is not the hash of the level below it")]
    Inconsistent(usize),
    /// The bucket's nodes and the upper siblings hash to another root than the
    /// one claimed.
    #[error("the bucket hashes to root {}, not to the root {} it claims", fr_to_hex(computed), fr_to_hex(claimed))]
    RootMismatch {
        /// The root recomputed from the bucket.
        computed: Fr,
        /// The root the bucket claims.
        claimed: Fr,
    },
    /// The leaf asked for is not inside the bucket.
    #[error("leaf {leaf} is not in the bucket of {levels} levels from leaf {first_leaf}")]
    LeafOutside {
        /// The leaf asked for.
        leaf: u64,
        /// The bucket's first leaf.
        first_leaf: u64,
        /// The bucket's levels.
        levels: usize,
    },
}

/// The node at `children`' parent position: the four children, missing ones
/// being empty subtrees of `level` (the children's level).
fn parent(children: &[Fr], level: usize) -> Fr {
    let empty = empty_subtree_roots()[level];
    hash4(&[0, 1, 2, 3].map(|k| children.get(k).copied().unwrap_or(empty)))
}

impl Bucket {
    /// Leaves in a bucket of `levels` levels, if `levels` is 1 to [`TREE_DEPTH`].
    pub fn width(levels: usize) -> Option<u64> {
        (1..=TREE_DEPTH).contains(&levels).then(|| 1u64 << (2 * levels))
    }

    /// The first leaf of the bucket of `levels` levels that holds `leaf`: the
    /// index a wallet asks for, so the node never sees its own.
    pub fn first_leaf_of(leaf: u64, levels: usize) -> Option<u64> {
        Self::width(levels).map(|w| leaf / w * w)
    }

    /// Checks every field's shape: `levels` 1 to [`TREE_DEPTH`], `first_leaf`
    /// a multiple of `4^levels` inside the tree, one list of nodes per level
    /// with at most `4^(levels - level)` nodes each, and one sibling triple
    /// per level above the bucket. Hashes nothing.
    pub fn check_shape(&self) -> Result<(), BucketError> {
        let width = Self::width(self.levels).ok_or(BucketError::Levels(self.levels))?;
        if self.first_leaf % width != 0 || self.first_leaf >= TREE_CAPACITY {
            return Err(BucketError::NotFirstLeaf { first_leaf: self.first_leaf, levels: self.levels });
        }
        if self.nodes.len() != self.levels {
            return Err(BucketError::NodeLevels { levels: self.levels, got: self.nodes.len() });
        }
        for (level, nodes) in self.nodes.iter().enumerate() {
            let max = width >> (2 * level);
            if nodes.len() as u64 > max {
                return Err(BucketError::LevelTooWide { level, max, got: nodes.len() });
            }
        }
        let expected = TREE_DEPTH - self.levels;
        if self.upper_siblings.len() != expected {
            return Err(BucketError::UpperSiblings { levels: self.levels, expected, got: self.upper_siblings.len() });
        }
        Ok(())
    }

    /// The tree root recomputed from the bucket: each level from the one
    /// below (which must equal the nodes sent for it), the bucket's root from
    /// its top level, then up through the upper siblings. Missing nodes are
    /// empty subtrees. At most `4^levels / 3` hashes for a full bucket.
    pub fn compute_root(&self) -> Result<Fr, BucketError> {
        self.check_shape()?;
        for level in 1..self.levels {
            let hashed: Vec<Fr> = self.nodes[level - 1].chunks(4).map(|c| parent(c, level - 1)).collect();
            if hashed != self.nodes[level] {
                return Err(BucketError::Inconsistent(level));
            }
        }
        let mut node = parent(&self.nodes[self.levels - 1], self.levels - 1);
        let mut position = self.first_leaf >> (2 * self.levels);
        for siblings in &self.upper_siblings {
            node = hash4(&insert_child(node, siblings, (position & 3) as usize));
            position >>= 2;
        }
        Ok(node)
    }

    /// Checks the shape and that the bucket opens to the root it claims.
    /// A wallet calls this before it proves against `root`.
    pub fn verify(&self) -> Result<(), BucketError> {
        let computed = self.compute_root()?;
        if computed != self.root {
            return Err(BucketError::RootMismatch { computed, claimed: self.root });
        }
        Ok(())
    }

    /// The path of a leaf inside the bucket, computed locally; `None` if the
    /// bucket is malformed ([`Bucket::check_shape`]) or the leaf is outside it.
    /// Does not check the root: see [`Bucket::verified_path`].
    pub fn path(&self, leaf_index: u64) -> Option<MerklePath> {
        self.check_shape().ok()?;
        let width = 1u64 << (2 * self.levels);
        let mut pos = leaf_index.checked_sub(self.first_leaf).filter(|offset| *offset < width)?;
        let empty = empty_subtree_roots();
        let mut siblings = Vec::with_capacity(TREE_DEPTH);
        for (level, nodes) in self.nodes.iter().enumerate() {
            let base = pos & !3;
            let mut sib = [Fr::from(0u64); 3];
            let mut k = 0;
            for i in 0..4u64 {
                if i != pos & 3 {
                    sib[k] = usize::try_from(base + i).ok().and_then(|j| nodes.get(j)).copied().unwrap_or(empty[level]);
                    k += 1;
                }
            }
            siblings.push(sib);
            pos >>= 2;
        }
        siblings.extend_from_slice(&self.upper_siblings);
        Some(MerklePath { leaf_index, siblings })
    }

    /// [`Bucket::verify`], then the path of `leaf_index` under [`Bucket::root`].
    pub fn verified_path(&self, leaf_index: u64) -> Result<MerklePath, BucketError> {
        self.verify()?;
        self.path(leaf_index).ok_or(BucketError::LeafOutside { leaf: leaf_index, first_leaf: self.first_leaf, levels: self.levels })
    }
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, Instant};

    use ark_ff::{UniformRand, Zero};
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha20Rng;
    use zkreg_circuits::tree::CommitmentTree;

    use super::*;

    /// The bucket of `levels` levels holding `leaf`, taken from `tree` the way
    /// the ledger serves it.
    fn bucket_of(tree: &CommitmentTree, leaf: u64, levels: usize) -> Bucket {
        let width = Bucket::width(levels).unwrap();
        let first = leaf / width * width;
        let nodes = (0..levels)
            .map(|level| tree.level(level).iter().skip((first >> (2 * level)) as usize).take((width >> (2 * level)) as usize).copied().collect())
            .collect();
        let upper_siblings = (levels..TREE_DEPTH)
            .map(|level| {
                let pos = first >> (2 * level);
                let mut others = (0..4).filter(|i| *i != pos & 3).map(|i| tree.node(level, (pos & !3) + i));
                [0; 3].map(|_| others.next().unwrap())
            })
            .collect();
        Bucket { first_leaf: first, levels, nodes, upper_siblings, root: tree.root() }
    }

    /// A tree of `n` random leaves, leaf 3 revoked.
    fn tree(n: usize, r: &mut ChaCha20Rng) -> CommitmentTree {
        let mut t = CommitmentTree::new();
        let leaves: Vec<Fr> = (0..n).map(|_| Fr::rand(r)).collect();
        t.append_batch(&leaves).unwrap();
        t.update(3, Fr::zero()).unwrap();
        t
    }

    #[test]
    fn a_real_trees_buckets_verify_and_give_its_paths() {
        let r = &mut ChaCha20Rng::seed_from_u64(1);
        let t = tree(70, r);
        for levels in [1, 2, 3, 4, TREE_DEPTH] {
            for leaf in [0, 3, 17, 63, 64, 69] {
                let b = bucket_of(&t, leaf, levels);
                assert_eq!(Some(b.first_leaf), Bucket::first_leaf_of(leaf, levels));
                assert_eq!(b.compute_root(), Ok(t.root()), "leaf {leaf}, {levels} levels");
                assert_eq!(b.verified_path(leaf), Ok(t.path(leaf).unwrap()));
                assert_eq!(b.path(leaf), Some(t.path(leaf).unwrap()));
            }
        }
        // A bucket past the last leaf (all empty) still opens to the root.
        let b = bucket_of(&t, 128, 2);
        assert!(b.nodes.iter().all(Vec::is_empty));
        assert_eq!(b.verified_path(130).unwrap().compute_root(Fr::zero()), Ok(t.root()));
        assert_eq!(Bucket::first_leaf_of(5, 0), None);
        assert_eq!(Bucket::first_leaf_of(5, TREE_DEPTH + 1), None);
        assert_eq!(Bucket::first_leaf_of(u64::MAX, 8), Some(u64::MAX / 65_536 * 65_536));
    }

    #[test]
    fn every_tampered_field_is_refused() {
        let r = &mut ChaCha20Rng::seed_from_u64(2);
        let t = tree(70, r);
        // Leaves 64..70 of a 64-leaf bucket: 6 leaves, 2 nodes above, 1 on top.
        let good = bucket_of(&t, 69, 3);
        assert_eq!((good.first_leaf, good.nodes.iter().map(Vec::len).collect::<Vec<_>>()), (64, vec![6, 2, 1]));
        assert_eq!(good.verify(), Ok(()));
        let other = bucket_of(&tree(70, r), 69, 3);
        let tamper = |f: &dyn Fn(&mut Bucket)| {
            let mut b = good.clone();
            f(&mut b);
            b
        };
        let cases: Vec<(&str, Bucket, fn(&BucketError) -> bool)> = vec![
            ("levels 0", tamper(&|b| b.levels = 0), |e| matches!(e, BucketError::Levels(0))),
            ("levels 63", tamper(&|b| b.levels = 63), |e| matches!(e, BucketError::Levels(63))),
            ("levels max", tamper(&|b| b.levels = usize::MAX), |e| matches!(e, BucketError::Levels(_))),
            ("levels 2", tamper(&|b| b.levels = 2), |e| matches!(e, BucketError::NodeLevels { .. })),
            ("levels 4", tamper(&|b| b.levels = 4), |e| matches!(e, BucketError::NotFirstLeaf { first_leaf: 64, levels: 4 })),
            ("misaligned first leaf", tamper(&|b| b.first_leaf = 1), |e| matches!(e, BucketError::NotFirstLeaf { .. })),
            ("huge first leaf", tamper(&|b| b.first_leaf = u64::MAX - 63), |e| matches!(e, BucketError::NotFirstLeaf { .. })),
            ("first leaf past capacity", tamper(&|b| b.first_leaf = TREE_CAPACITY), |e| matches!(e, BucketError::NotFirstLeaf { .. })),
            ("another bucket's first leaf", tamper(&|b| b.first_leaf = 128), |e| matches!(e, BucketError::RootMismatch { .. })),
            ("a level missing", tamper(&|b| b.nodes.truncate(2)), |e| matches!(e, BucketError::NodeLevels { .. })),
            ("a level too many", tamper(&|b| b.nodes.push(vec![])), |e| matches!(e, BucketError::NodeLevels { .. })),
            ("leaves too wide", tamper(&|b| b.nodes[0].resize(65, Fr::zero())), |e| matches!(e, BucketError::LevelTooWide { level: 0, .. })),
            ("top too wide", tamper(&|b| b.nodes[2].resize(5, Fr::zero())), |e| matches!(e, BucketError::LevelTooWide { level: 2, .. })),
            ("a leaf changed", tamper(&|b| b.nodes[0][5] += Fr::from(1u64)), |e| matches!(e, BucketError::Inconsistent(1))),
            ("a leaf dropped", tamper(&|b| { b.nodes[0].pop(); }), |e| matches!(e, BucketError::Inconsistent(1))),
            ("a leaf added", tamper(&|b| b.nodes[0].push(Fr::from(9u64))), |e| matches!(e, BucketError::Inconsistent(1))),
            ("an inner node changed", tamper(&|b| b.nodes[1][0] += Fr::from(1u64)), |e| matches!(e, BucketError::Inconsistent(1))),
            ("the top changed", tamper(&|b| b.nodes[2][0] += Fr::from(1u64)), |e| matches!(e, BucketError::Inconsistent(2))),
            ("a triple missing", tamper(&|b| { b.upper_siblings.pop(); }), |e| matches!(e, BucketError::UpperSiblings { .. })),
            ("a triple too many", tamper(&|b| b.upper_siblings.push([Fr::zero(); 3])), |e| matches!(e, BucketError::UpperSiblings { .. })),
            ("a sibling changed", tamper(&|b| b.upper_siblings[4][1] += Fr::from(1u64)), |e| matches!(e, BucketError::RootMismatch { .. })),
            ("the root changed", tamper(&|b| b.root += Fr::from(1u64)), |e| matches!(e, BucketError::RootMismatch { .. })),
            ("another tree's root", tamper(&|b| b.root = other.root), |e| matches!(e, BucketError::RootMismatch { .. })),
            ("another tree's nodes", tamper(&|b| b.nodes = other.nodes.clone()), |e| matches!(e, BucketError::RootMismatch { .. })),
        ];
        for (what, b, expected) in cases {
            let err = b.verify().expect_err(what);
            assert!(expected(&err), "{what}: {err}");
            assert!(b.verified_path(69).is_err(), "{what}");
            // `path` does not check the root, but never panics and refuses a malformed shape.
            if b.check_shape().is_err() {
                assert_eq!(b.path(69), None, "{what}");
            }
        }
        // A leaf outside the bucket.
        assert_eq!(good.path(128), None);
        assert_eq!(good.path(u64::MAX), None);
        assert!(matches!(good.verified_path(63), Err(BucketError::LeafOutside { leaf: 63, .. })));
        assert!(good.verify().is_ok() && other.verify().is_ok());
    }

    /// A random garbage value of `levels`, `first_leaf`, or a length, with
    /// the edges (0, 1, the limits, overflowing values) often.
    fn garbage_number(r: &mut ChaCha20Rng, max: u64) -> u64 {
        match r.gen_range(0..6) {
            0 => 0,
            1 => u64::MAX - r.gen_range(0..3),
            2 => 1u64 << r.gen_range(0..64),
            _ => r.gen_range(0..=max),
        }
    }

    #[test]
    fn garbage_shapes_never_panic() {
        let r = &mut ChaCha20Rng::seed_from_u64(3);
        let t = tree(40, r);
        let started = Instant::now();
        let mut verified = 0;
        for case in 0..400 {
            let mut b = if case % 2 == 0 { bucket_of(&t, r.gen_range(0..64), r.gen_range(1..=4)) } else {
                Bucket { first_leaf: 0, levels: 1, nodes: vec![], upper_siblings: vec![], root: Fr::rand(r) }
            };
            // Change one to three fields to garbage.
            for _ in 0..r.gen_range(1..=3) {
                match r.gen_range(0..6) {
                    0 => b.levels = garbage_number(r, 70) as usize,
                    1 => b.first_leaf = garbage_number(r, 1 << 40),
                    2 => b.nodes = (0..r.gen_range(0..10)).map(|_| (0..r.gen_range(0..80)).map(|_| Fr::rand(r)).collect()).collect(),
                    3 => {
                        if let Some(level) = b.nodes.iter_mut().find(|_| r.gen_bool(0.5)) {
                            level.resize(r.gen_range(0..300), Fr::from(r.gen::<u64>()));
                        }
                    }
                    4 => b.upper_siblings = (0..r.gen_range(0..20)).map(|_| [Fr::rand(r), Fr::rand(r), Fr::rand(r)]).collect(),
                    _ => b.root = Fr::rand(r),
                }
            }
            let _ = b.check_shape();
            let ok = b.verify().is_ok();
            verified += usize::from(ok);
            for leaf in [0, b.first_leaf, b.first_leaf.wrapping_add(1), b.first_leaf.wrapping_sub(1), u64::MAX, garbage_number(r, 1 << 40)] {
                let path = b.path(leaf);
                assert!(path.is_none() || b.check_shape().is_ok(), "case {case}: a path from a malformed bucket");
                if ok {
                    if let Ok(p) = b.verified_path(leaf) {
                        assert_eq!(p.siblings.len(), TREE_DEPTH, "case {case}");
                    }
                }
            }
        }
        assert!(verified < 400, "garbage was accepted every time");
        assert!(started.elapsed() < Duration::from_secs(60), "too slow: {:?}", started.elapsed());
    }
}
