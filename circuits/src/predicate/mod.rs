//! The credential predicate circuit: one circuit, one trusted setup, for
//! credit thresholds and licence status alike.
//!
//! Public inputs, in this order (see [`PublicInputs::to_field_elements`]):
//! `root, schema_id, issuer_id, lo, hi, today, scope, challenge, pseudonym`.
//!
//! The holder proves knowledge of `sk, value, expiry, salt, path` such that
//!
//! * `cm = Poseidon(schema_id, issuer_id, inner)` with
//!   `inner = Poseidon(Poseidon(DS_HOLDER, sk), value, expiry, salt)` is a
//!   leaf of the commitment tree under `root` at the position `path` names
//!   (commitment v2: the ledger computes `cm` from the regulator's `inner`
//!   and the authenticated issuer and schema, so a leaf always proves its
//!   real issuer's and schema's statement);
//! * `lo ≤ value ≤ hi` and `expiry ≥ today` (64-bit checks, see [`range`]);
//! * `pseudonym = Poseidon(DS_PSEUDONYM, sk, scope)`.
//!
//! `challenge` enters no constraint of its own: the Groth16 QAP reduction
//! gives every public input its own row (`input_i · 1`), so the proof is bound
//! to it all the same; the tests check that a proof does not verify under
//! another challenge.

pub mod range;
pub mod shape;

use ark_bn254::Fr;
use ark_ff::{BigInteger, PrimeField, Zero};
use ark_r1cs_std::{alloc::AllocVar, eq::EqGadget, fields::fp::FpVar};
use ark_relations::gr1cs::{ConstraintSynthesizer, ConstraintSystemRef, SynthesisError};
use serde::{Deserialize, Serialize};

use crate::commitment::{ds_holder, ds_pseudonym};
use crate::constants::{NUM_PUBLIC_INPUTS, TREE_DEPTH};
use crate::poseidon::constraints::PoseidonGadget;
use crate::tree::{constraints::MerklePathVar, MerklePath};

/// The statement a predicate proof is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PublicInputs {
    /// Commitment-tree root the membership is proven against.
    #[serde(with = "crate::serde_fr::hex_fr")]
    pub root: Fr,
    /// `label(Schema, schema)`.
    #[serde(with = "crate::serde_fr::hex_fr")]
    pub schema_id: Fr,
    /// `label(Issuer, issuer)`.
    #[serde(with = "crate::serde_fr::hex_fr")]
    pub issuer_id: Fr,
    /// Lower bound on the value (inclusive).
    pub lo: u64,
    /// Upper bound on the value (inclusive).
    pub hi: u64,
    /// The day the proof speaks for (days since 1970-01-01).
    pub today: u32,
    /// `label(Scope, scope)` of the verifier.
    #[serde(with = "crate::serde_fr::hex_fr")]
    pub scope: Fr,
    /// `label(Challenge, nonce)` of the request.
    #[serde(with = "crate::serde_fr::hex_fr")]
    pub challenge: Fr,
    /// The holder's pseudonym under `scope`.
    #[serde(with = "crate::serde_fr::hex_fr")]
    pub pseudonym: Fr,
}

/// Errors from reading public inputs back from field elements.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PublicInputError {
    /// The circuit has exactly nine public inputs.
    #[error("expected {NUM_PUBLIC_INPUTS} public inputs, got {0}")]
    WrongCount(usize),
    /// `lo`, `hi` must be below 2^64 and `today` below 2^32.
    #[error("public input `{0}` is out of range")]
    OutOfRange(&'static str),
}

fn small(x: &Fr, bits: u32, name: &'static str) -> Result<u64, PublicInputError> {
    let big = x.into_bigint();
    if big.num_bits() > bits {
        return Err(PublicInputError::OutOfRange(name));
    }
    Ok(big.0[0])
}

impl PublicInputs {
    /// The public inputs in circuit order.
    pub fn to_field_elements(&self) -> [Fr; NUM_PUBLIC_INPUTS] {
        [
            self.root,
            self.schema_id,
            self.issuer_id,
            Fr::from(self.lo),
            Fr::from(self.hi),
            Fr::from(self.today as u64),
            self.scope,
            self.challenge,
            self.pseudonym,
        ]
    }

    /// Reads public inputs back, checking the count and the native bounds.
    pub fn from_field_elements(x: &[Fr]) -> Result<Self, PublicInputError> {
        if x.len() != NUM_PUBLIC_INPUTS {
            return Err(PublicInputError::WrongCount(x.len()));
        }
        Ok(PublicInputs {
            root: x[0],
            schema_id: x[1],
            issuer_id: x[2],
            lo: small(&x[3], 64, "lo")?,
            hi: small(&x[4], 64, "hi")?,
            today: small(&x[5], 32, "today")? as u32,
            scope: x[6],
            challenge: x[7],
            pseudonym: x[8],
        })
    }
}

/// The holder's secret witness.
#[derive(Clone)]
pub struct PredicateWitness {
    /// The holder's ZK secret.
    pub sk: Fr,
    /// The committed value.
    pub value: u64,
    /// The committed expiry day.
    pub expiry: u32,
    /// The commitment's salt.
    pub salt: Fr,
    /// Path of the commitment in the tree.
    pub path: MerklePath,
}

impl std::fmt::Debug for PredicateWitness {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PredicateWitness").finish_non_exhaustive()
    }
}

/// The credential predicate circuit.
#[derive(Clone, Debug)]
pub struct PredicateCircuit {
    /// The statement.
    pub public: PublicInputs,
    /// The secret witness.
    pub witness: PredicateWitness,
}

impl PredicateCircuit {
    /// A circuit of the right shape with placeholder values, for key generation.
    pub fn blank() -> Self {
        let zero = Fr::zero();
        PredicateCircuit {
            public: PublicInputs {
                root: zero,
                schema_id: zero,
                issuer_id: zero,
                lo: 0,
                hi: 0,
                today: 0,
                scope: zero,
                challenge: zero,
                pseudonym: zero,
            },
            witness: PredicateWitness {
                sk: zero,
                value: 0,
                expiry: 0,
                salt: zero,
                path: MerklePath { leaf_index: 0, siblings: vec![[zero; 3]; TREE_DEPTH] },
            },
        }
    }
}

impl ConstraintSynthesizer<Fr> for PredicateCircuit {
    fn generate_constraints(self, cs: ConstraintSystemRef<Fr>) -> Result<(), SynthesisError> {
        let p = &self.public;
        let w = &self.witness;
        let mut inputs = Vec::with_capacity(NUM_PUBLIC_INPUTS);
        for x in p.to_field_elements() {
            inputs.push(FpVar::new_input(cs.clone(), || Ok(x))?);
        }
        let [root, schema_id, issuer_id, lo, hi, today, scope, _challenge, pseudonym]: [FpVar<Fr>; NUM_PUBLIC_INPUTS] =
            inputs.try_into().unwrap_or_else(|_| unreachable!("nine inputs allocated"));

        let sk = FpVar::new_witness(cs.clone(), || Ok(w.sk))?;
        let value = FpVar::new_witness(cs.clone(), || Ok(Fr::from(w.value)))?;
        let expiry = FpVar::new_witness(cs.clone(), || Ok(Fr::from(w.expiry as u64)))?;
        let salt = FpVar::new_witness(cs.clone(), || Ok(w.salt))?;
        let path = MerklePathVar::new_witness(cs.clone(), &w.path)?;

        let holder = PoseidonGadget::hash(&cs, &[FpVar::Constant(ds_holder()), sk.clone()])?;
        let inner = PoseidonGadget::hash(&cs, &[holder, value.clone(), expiry.clone(), salt])?;
        let cm = PoseidonGadget::hash(&cs, &[schema_id, issuer_id, inner])?;
        path.compute_root(&cs, &cm)?.enforce_equal(&root)?;

        range::enforce_u64(&cs, &(&value - &lo))?;
        range::enforce_u64(&cs, &(&hi - &value))?;
        range::enforce_u64(&cs, &(&expiry - &today))?;

        PoseidonGadget::hash(&cs, &[FpVar::Constant(ds_pseudonym()), sk, scope])?.enforce_equal(&pseudonym)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::commitment::{holder_id, pseudonym, CredentialFields};
    use crate::field::{label, LabelDomain};
    use crate::tree::CommitmentTree;
    use ark_ff::{One, UniformRand};
    use ark_relations::gr1cs::ConstraintSystem;
    use rand::SeedableRng;

    /// The circuit's size. Changing it is deliberate: update the README's numbers too.
    /// holder_id 237 (Poseidon/2, two constant lanes folded) + inner 297
    /// (Poseidon/4) + cm 261 (Poseidon/3) + path 16 × 306 = 4,896 + ranges
    /// 3 × 65 = 195 + pseudonym 258 (Poseidon/3, one constant lane) + 2
    /// equalities (root, pseudonym). Commitment v2 costs 204 more than v1's
    /// one Poseidon/6 (354, for 5,942 in all).
    const PINNED_CONSTRAINTS: usize = 6_146;

    fn valid_circuit() -> PredicateCircuit {
        let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(21);
        let sk = Fr::rand(&mut rng);
        let fields = CredentialFields {
            schema_id: label(LabelDomain::Schema, "credit-score"),
            issuer_id: label(LabelDomain::Issuer, "central-bank"),
            holder_id: holder_id(&sk),
            value: 720,
            expiry: 20_500,
            salt: Fr::rand(&mut rng),
        };
        let mut tree = CommitmentTree::new();
        let others: Vec<Fr> = (0..6).map(|_| Fr::rand(&mut rng)).collect();
        tree.append_batch(&others).unwrap();
        let index = tree.append_batch(&[fields.commitment()]).unwrap();
        let scope = label(LabelDomain::Scope, "bank-a");
        PredicateCircuit {
            public: PublicInputs {
                root: tree.root(),
                schema_id: fields.schema_id,
                issuer_id: fields.issuer_id,
                lo: 700,
                hi: u64::MAX,
                today: 20_400,
                scope,
                challenge: label(LabelDomain::Challenge, "00"),
                pseudonym: pseudonym(&sk, &scope),
            },
            witness: PredicateWitness { sk, value: 720, expiry: 20_500, salt: fields.salt, path: tree.path(index).unwrap() },
        }
    }

    fn synthesize(c: PredicateCircuit) -> ConstraintSystemRef<Fr> {
        let cs = ConstraintSystem::<Fr>::new_ref();
        c.generate_constraints(cs.clone()).unwrap();
        cs
    }

    #[test]
    fn shape_is_pinned() {
        let c = valid_circuit();
        let expected_inputs = c.public.to_field_elements();
        let cs = synthesize(c);
        assert!(cs.is_satisfied().unwrap());
        assert_eq!(cs.num_constraints(), PINNED_CONSTRAINTS);
        assert!(PINNED_CONSTRAINTS <= 6_300, "the budget DESIGN.md sets");
        // Instance = [1, root, schema_id, issuer_id, lo, hi, today, scope, challenge, pseudonym].
        let instance = cs.instance_assignment().unwrap();
        assert_eq!(instance.len(), 1 + NUM_PUBLIC_INPUTS);
        assert_eq!(&instance[1..], &expected_inputs[..]);
        // The blank circuit used for setup has the same shape.
        let blank = ConstraintSystem::<Fr>::new_ref();
        blank.set_mode(ark_relations::gr1cs::SynthesisMode::Setup);
        PredicateCircuit::blank().generate_constraints(blank.clone()).unwrap();
        assert_eq!(blank.num_constraints(), PINNED_CONSTRAINTS);
        assert_eq!(blank.num_instance_variables(), 1 + NUM_PUBLIC_INPUTS);
    }

    #[test]
    fn public_inputs_round_trip_and_bounds() {
        let p = valid_circuit().public;
        assert_eq!(PublicInputs::from_field_elements(&p.to_field_elements()).unwrap(), p);
        let mut x = p.to_field_elements();
        assert_eq!(PublicInputs::from_field_elements(&x[..8]), Err(PublicInputError::WrongCount(8)));
        x[3] = -Fr::one(); // lo = r - 1: a "negative" bound
        assert_eq!(PublicInputs::from_field_elements(&x), Err(PublicInputError::OutOfRange("lo")));
        let mut x = p.to_field_elements();
        x[5] = Fr::from(1u64 << 32);
        assert_eq!(PublicInputs::from_field_elements(&x), Err(PublicInputError::OutOfRange("today")));
    }

    /// Each tampering must leave the system unsatisfied.
    #[test]
    fn wrong_witnesses_are_unsatisfied() {
        type Tamper = fn(&mut PredicateCircuit);
        let cases: [(&str, Tamper); 12] = [
            ("value below lo", |c| c.public.lo = 721),
            ("value above hi", |c| c.public.hi = 719),
            ("expired", |c| c.public.today = 20_501),
            ("wrong root", |c| c.public.root += Fr::one()),
            ("wrong leaf position", |c| c.witness.path.leaf_index += 1),
            ("wrong sk", |c| c.witness.sk += Fr::one()),
            ("wrong pseudonym", |c| c.public.pseudonym += Fr::one()),
            ("another scope", |c| c.public.scope += Fr::one()),
            ("another issuer", |c| c.public.issuer_id += Fr::one()),
            ("another schema", |c| c.public.schema_id += Fr::one()),
            ("wrong value", |c| c.witness.value += 1),
            ("field wrap-around bound", |c| c.public.hi = 0),
        ];
        for (name, tamper) in cases {
            let mut c = valid_circuit();
            tamper(&mut c);
            assert!(!synthesize(c).is_satisfied().unwrap(), "{name} must be unsatisfied");
        }
        // Boundaries are inclusive.
        let mut c = valid_circuit();
        (c.public.lo, c.public.hi, c.public.today) = (720, 720, 20_500);
        assert!(synthesize(c).is_satisfied().unwrap());
    }
}
