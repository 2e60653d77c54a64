//! Serde helpers: field elements as canonical `0x`-prefixed hex strings.

use ark_bn254::Fr;
use serde::{de::Error, Deserialize, Deserializer, Serializer};

use crate::field::{fr_from_hex, fr_to_hex};

/// One field element.
pub mod hex_fr {
    use super::*;

    /// Serialises as canonical hex.
    pub fn serialize<S: Serializer>(x: &Fr, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&fr_to_hex(x))
    }

    /// Parses canonical hex; non-canonical encodings are refused.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Fr, D::Error> {
        let s = String::deserialize(d)?;
        fr_from_hex(&s).map_err(D::Error::custom)
    }
}

/// A list of sibling triples (a Merkle path).
pub mod vec_triple {
    use super::*;
    use serde::ser::SerializeSeq;

    /// Serialises as a list of 3-element hex lists.
    pub fn serialize<S: Serializer>(v: &[[Fr; 3]], s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(Some(v.len()))?;
        for t in v {
            seq.serialize_element(&[fr_to_hex(&t[0]), fr_to_hex(&t[1]), fr_to_hex(&t[2])])?;
        }
        seq.end()
    }

    /// Parses a list of 3-element hex lists.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<[Fr; 3]>, D::Error> {
        let raw = Vec::<[String; 3]>::deserialize(d)?;
        raw.iter()
            .map(|t| {
                Ok([fr_from_hex(&t[0]), fr_from_hex(&t[1]), fr_from_hex(&t[2])]
                    .into_iter()
                    .collect::<Result<Vec<_>, _>>()
                    .map_err(D::Error::custom)?
                    .try_into()
                    .unwrap_or_else(|_| unreachable!("three elements in, three out")))
            })
            .collect()
    }
}
