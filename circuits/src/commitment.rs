//! Holder identifiers, credential commitments and pseudonyms (native side).

use std::sync::OnceLock;

use ark_bn254::Fr;

use crate::constants::{DS_HOLDER_LABEL, DS_PSEUDONYM_LABEL};
use crate::field::{label, LabelDomain};
use crate::poseidon::hash;

/// `DS_HOLDER`: separates holder identifiers from every other Poseidon use.
pub fn ds_holder() -> Fr {
    static DS: OnceLock<Fr> = OnceLock::new();
    *DS.get_or_init(|| label(LabelDomain::Separator, DS_HOLDER_LABEL))
}

/// `DS_PSEUDONYM`: separates pseudonyms from every other Poseidon use.
pub fn ds_pseudonym() -> Fr {
    static DS: OnceLock<Fr> = OnceLock::new();
    *DS.get_or_init(|| label(LabelDomain::Separator, DS_PSEUDONYM_LABEL))
}

/// `holder_id = Poseidon(DS_HOLDER, sk)`: what a holder gives a regulator.
pub fn holder_id(sk: &Fr) -> Fr {
    hash(&[ds_holder(), *sk]).unwrap_or_else(|_| unreachable!("two inputs are supported"))
}

/// `pseudonym = Poseidon(DS_PSEUDONYM, sk, scope)`: stable per verifier scope,
/// unlinkable across scopes.
pub fn pseudonym(sk: &Fr, scope: &Fr) -> Fr {
    hash(&[ds_pseudonym(), *sk, *scope]).unwrap_or_else(|_| unreachable!("three inputs are supported"))
}

/// The fields a credential commitment binds.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct CredentialFields {
    /// `label(Schema, schema)`.
    pub schema_id: Fr,
    /// `label(Issuer, issuer)`.
    pub issuer_id: Fr,
    /// The holder's `holder_id`.
    pub holder_id: Fr,
    /// The attribute (a score, a licence class, …).
    pub value: u64,
    /// Last valid day, in days since 1970-01-01.
    pub expiry: u32,
    /// Random blinding chosen by the issuer.
    pub salt: Fr,
}

impl std::fmt::Debug for CredentialFields {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CredentialFields").field("expiry", &self.expiry).finish_non_exhaustive()
    }
}

/// `cm = Poseidon(schema_id, issuer_id, inner)`: the tree leaf the **ledger**
/// computes from a regulator's `inner`, with the schema and issuer taken
/// from the authenticated transaction (commitment v2). A regulator chooses
/// only `inner`, so it cannot place a leaf that proves another issuer's or
/// another schema's statement.
pub fn credential_leaf(schema_id: &Fr, issuer_id: &Fr, inner: &Fr) -> Fr {
    hash(&[*schema_id, *issuer_id, *inner]).unwrap_or_else(|_| unreachable!("three inputs are supported"))
}

impl CredentialFields {
    /// `inner = Poseidon(holder_id, value, expiry, salt)`: what the regulator
    /// computes and submits in its `IssueCredential` transaction.
    pub fn inner(&self) -> Fr {
        hash(&[self.holder_id, Fr::from(self.value), Fr::from(self.expiry as u64), self.salt])
            .unwrap_or_else(|_| unreachable!("four inputs are supported"))
    }

    /// `cm = Poseidon(schema_id, issuer_id, inner)`, the tree leaf (see [`credential_leaf`]).
    pub fn commitment(&self) -> Fr {
        credential_leaf(&self.schema_id, &self.issuer_id, &self.inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::field::fr_to_hex;

    #[test]
    fn separators_are_pinned() {
        // SHA-256 of the label strings mod r, computed independently (Python hashlib).
        assert_eq!(fr_to_hex(&ds_holder()), "0x2beccbcade571c9bde61db9c199295a8e5bc89dadb27c1f2834c8471a6da9a87");
        assert_eq!(fr_to_hex(&ds_pseudonym()), "0x24573d9a77f838cad18f1938e8bb7d1b91ba30a1acc60fe4ecdb10847f03e59e");
    }

    #[test]
    fn pseudonyms_differ_across_scopes_and_holders() {
        let (a, b) = (Fr::from(1u64), Fr::from(2u64));
        let (s1, s2) = (label(LabelDomain::Scope, "bank-a"), label(LabelDomain::Scope, "bank-b"));
        assert_ne!(pseudonym(&a, &s1), pseudonym(&a, &s2));
        assert_ne!(pseudonym(&a, &s1), pseudonym(&b, &s1));
        assert_eq!(pseudonym(&a, &s1), pseudonym(&a, &s1));
        assert_ne!(holder_id(&a), pseudonym(&a, &Fr::from(0u64)));
    }

    #[test]
    fn commitment_binds_every_field() {
        let base = CredentialFields {
            schema_id: Fr::from(1u64),
            issuer_id: Fr::from(2u64),
            holder_id: Fr::from(3u64),
            value: 700,
            expiry: 20_000,
            salt: Fr::from(5u64),
        };
        let cm = base.commitment();
        let variants = [
            CredentialFields { schema_id: Fr::from(9u64), ..base },
            CredentialFields { issuer_id: Fr::from(9u64), ..base },
            CredentialFields { holder_id: Fr::from(9u64), ..base },
            CredentialFields { value: 701, ..base },
            CredentialFields { expiry: 20_001, ..base },
            CredentialFields { salt: Fr::from(9u64), ..base },
        ];
        for v in variants {
            assert_ne!(v.commitment(), cm);
        }
        // The two-part form, v2: Poseidon(1, 2, Poseidon(3, 700, 20000, 5)),
        // and not the one-hash form of v1.
        let inner = hash(&[3u64, 700, 20_000, 5].map(Fr::from)).unwrap();
        assert_eq!(base.inner(), inner);
        assert_eq!(cm, hash(&[Fr::from(1u64), Fr::from(2u64), inner]).unwrap());
        assert_eq!(cm, credential_leaf(&Fr::from(1u64), &Fr::from(2u64), &inner));
        assert_ne!(cm, hash(&[1u64, 2, 3, 700, 20_000, 5].map(Fr::from)).unwrap());
    }
}
