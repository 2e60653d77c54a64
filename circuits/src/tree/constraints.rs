//! Membership gadget for the 4-ary commitment tree.
//!
//! Each level takes the leaf's position digit as two witness bits `b0`
//! (low) and `b1` (high) and places the running node among the three siblings:
//!
//! ```text
//! c0 = s0 + [d = 0]·(cur − s0)           [d = 0] = 1 − b0 − b1 + b0·b1
//! c1 = t  + b1·(s1 − t),  t = s0 + b0·(cur − s0)
//! c2 = s1 + b1·(u − s1),  u = cur + b0·(s2 − cur)
//! c3 = s2 + b0·b1·(cur − s2)
//! ```
//!
//! That is 2 booleanity checks, 1 AND and 6 selections (9 constraints) plus
//! the 4-input Poseidon (297) per level: 4,896 for the whole path.

use ark_bn254::Fr;
use ark_r1cs_std::{alloc::AllocVar, boolean::Boolean, fields::fp::FpVar, fields::FieldVar};
use ark_relations::gr1cs::{ConstraintSystemRef, SynthesisError};

use super::{position_digits, MerklePath};
use crate::constants::TREE_DEPTH;
use crate::poseidon::constraints::PoseidonGadget;

/// A Merkle path allocated as witness: siblings and position bits per level.
pub struct MerklePathVar {
    siblings: Vec<[FpVar<Fr>; 3]>,
    /// `(b0, b1)` per level: the position digit is `b0 + 2·b1`.
    digits: Vec<(Boolean<Fr>, Boolean<Fr>)>,
}

impl MerklePathVar {
    /// Allocates `path` as private witness.
    pub fn new_witness(cs: ConstraintSystemRef<Fr>, path: &MerklePath) -> Result<Self, SynthesisError> {
        if path.siblings.len() != TREE_DEPTH {
            return Err(SynthesisError::Unsatisfiable);
        }
        let digits = position_digits(path.leaf_index);
        let mut siblings = Vec::with_capacity(TREE_DEPTH);
        let mut bits = Vec::with_capacity(TREE_DEPTH);
        for (sib, d) in path.siblings.iter().zip(digits) {
            let s = [0, 1, 2].map(|i| FpVar::new_witness(cs.clone(), || Ok(sib[i])));
            let [s0, s1, s2] = s;
            siblings.push([s0?, s1?, s2?]);
            let b0 = Boolean::new_witness(cs.clone(), || Ok(d & 1 == 1))?;
            let b1 = Boolean::new_witness(cs.clone(), || Ok(d & 2 == 2))?;
            bits.push((b0, b1));
        }
        Ok(MerklePathVar { siblings, digits: bits })
    }

    /// Constrains and returns the root obtained by hashing `leaf` up the path.
    pub fn compute_root(&self, cs: &ConstraintSystemRef<Fr>, leaf: &FpVar<Fr>) -> Result<FpVar<Fr>, SynthesisError> {
        let mut cur = leaf.clone();
        for ([s0, s1, s2], (b0, b1)) in self.siblings.iter().zip(&self.digits) {
            let both = b0 & b1;
            let (f0, f1, fboth) = (FpVar::from(b0.clone()), FpVar::from(b1.clone()), FpVar::from(both));
            let is_zero = FpVar::one() - &f0 - &f1 + &fboth;
            let c0 = s0 + is_zero * (&cur - s0);
            let t = s0 + &f0 * (&cur - s0);
            let c1 = &t + &f1 * (s1 - &t);
            let u = &cur + &f0 * (s2 - &cur);
            let c2 = s1 + &f1 * (&u - s1);
            let c3 = s2 + fboth * (&cur - s2);
            cur = PoseidonGadget::hash(cs, &[c0, c1, c2, c3])?;
        }
        Ok(cur)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tree::CommitmentTree;
    use ark_ff::UniformRand;
    use ark_r1cs_std::{eq::EqGadget, GR1CSVar};
    use ark_relations::gr1cs::ConstraintSystem;
    use rand::SeedableRng;

    fn check(tree: &CommitmentTree, path: &MerklePath, leaf: Fr) -> (Fr, bool, usize) {
        let cs = ConstraintSystem::<Fr>::new_ref();
        let leaf_var = FpVar::new_witness(cs.clone(), || Ok(leaf)).unwrap();
        let path_var = MerklePathVar::new_witness(cs.clone(), path).unwrap();
        let root = path_var.compute_root(&cs, &leaf_var).unwrap();
        let value = root.value().unwrap();
        let expected = FpVar::new_input(cs.clone(), || Ok(tree.root())).unwrap();
        root.enforce_equal(&expected).unwrap();
        (value, cs.is_satisfied().unwrap(), cs.num_constraints())
    }

    #[test]
    fn native_equals_gadget_at_every_digit() {
        let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(5);
        let leaves: Vec<Fr> = (0..37).map(|_| Fr::rand(&mut rng)).collect();
        let mut tree = CommitmentTree::new();
        tree.append_batch(&leaves).unwrap();
        // Indices covering each digit value at the first three levels.
        for i in [0u64, 1, 2, 3, 4, 7, 18, 33, 36] {
            let path = tree.path(i).unwrap();
            let (root, ok, constraints) = check(&tree, &path, leaves[i as usize]);
            assert_eq!(root, path.compute_root(leaves[i as usize]).unwrap());
            assert_eq!(root, tree.root());
            assert!(ok, "leaf {i}");
            assert_eq!(constraints, TREE_DEPTH * (297 + 9) + 1);
        }
    }

    #[test]
    fn wrong_position_or_leaf_is_unsatisfied() {
        let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(6);
        let leaves: Vec<Fr> = (0..9).map(|_| Fr::rand(&mut rng)).collect();
        let mut tree = CommitmentTree::new();
        tree.append_batch(&leaves).unwrap();
        let mut path = tree.path(5).unwrap();
        assert!(check(&tree, &path, leaves[5]).1);
        assert!(!check(&tree, &path, leaves[4]).1, "another leaf");
        path.leaf_index = 6;
        assert!(!check(&tree, &path, leaves[5]).1, "another position");
    }
}
