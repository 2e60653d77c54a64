//! Names for the 32-byte values that travel between the parties, so that a
//! transaction id is never taken for a commitment or a key: each parses
//! itself from 64 hex digits (an optional `0x` prefix) and prints as 64
//! lowercase hex digits.

use std::fmt;
use std::str::FromStr;

use crate::hex::{parse_array, HexError};

macro_rules! id32 {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(pub [u8; 32]);

        impl $name {
            /// The bytes.
            pub fn as_bytes(&self) -> &[u8; 32] {
                &self.0
            }
        }

        impl FromStr for $name {
            type Err = HexError;
            fn from_str(s: &str) -> Result<Self, HexError> {
                parse_array(s).map($name)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&hex::encode(self.0))
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({})", stringify!($name), self)
            }
        }

        impl From<[u8; 32]> for $name {
            fn from(bytes: [u8; 32]) -> Self {
                $name(bytes)
            }
        }

        impl From<$name> for [u8; 32] {
            fn from(id: $name) -> Self {
                id.0
            }
        }
    };
}

id32!(
    /// A transaction's id: `SHA-256(TXID_DOMAIN ‖ encode(tx))`.
    TxId
);
id32!(
    /// A credential's commitment: the leaf `Poseidon(schema_id, issuer_id, inner)`
    /// of a Groth16 credential, or the compressed Pedersen commitment of a
    /// Bulletproofs one.
    Commitment
);
id32!(
    /// An ed25519 public key (a regulator's, a verifier's, a root authority's, a holder's).
    PublicKey
);
id32!(
    /// The fingerprint of a Groth16 verifying key, as registered on the ledger.
    KeyFingerprint
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_parse_and_print_as_hex_and_refuse_other_strings() {
        let text = "0a".repeat(32);
        let id: TxId = text.parse().unwrap();
        assert_eq!(id, TxId([0x0a; 32]));
        assert_eq!(id.to_string(), text);
        assert_eq!(format!("0x{text}").parse::<Commitment>().unwrap().0, [0x0a; 32]);
        assert_eq!(format!("{id:?}"), format!("TxId({text})"));
        assert!("0a".repeat(31).parse::<PublicKey>().is_err());
        assert!("zz".repeat(32).parse::<KeyFingerprint>().is_err());
    }
}
