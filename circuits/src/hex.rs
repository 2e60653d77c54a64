//! Fixed-length hex, as identifiers travel in paths, files and flags: keys,
//! commitments, transaction ids and fingerprints are 32 bytes written as 64
//! hex digits, with an optional `0x` prefix.

/// Why a string is not the bytes asked for.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum HexError {
    /// Not hex digits.
    #[error("not hex")]
    NotHex,
    /// Hex of another length.
    #[error("{got} bytes of hex, not {expected}")]
    WrongLength {
        /// Bytes found.
        got: usize,
        /// Bytes expected.
        expected: usize,
    },
}

/// `N` bytes from `2N` hex digits, with an optional `0x` prefix.
pub fn parse_array<const N: usize>(s: &str) -> Result<[u8; N], HexError> {
    let digits = s.strip_prefix("0x").unwrap_or(s);
    let bytes = hex::decode(digits).map_err(|_| HexError::NotHex)?;
    let got = bytes.len();
    bytes.try_into().map_err(|_| HexError::WrongLength { got, expected: N })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thirty_two_bytes_with_or_without_prefix() {
        let digits = "ab".repeat(32);
        assert_eq!(parse_array::<32>(&digits), Ok([0xab; 32]));
        assert_eq!(parse_array::<32>(&format!("0x{digits}")), Ok([0xab; 32]));
        assert_eq!(parse_array::<32>(&digits[2..]), Err(HexError::WrongLength { got: 31, expected: 32 }));
        assert_eq!(parse_array::<32>(&format!("{digits}zz")), Err(HexError::NotHex));
        assert_eq!(parse_array::<32>("0x0x"), Err(HexError::NotHex));
    }
}
