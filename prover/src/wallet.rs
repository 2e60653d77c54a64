//! The holder's wallet: one 32-byte seed gives the ZK secret `sk` and an
//! ed25519 authentication key. On disk the wallet is encrypted with the
//! holder's passphrase ([`encryption`]).

use ark_bn254::Fr;
use ark_ff::PrimeField;
use ed25519_dalek::SigningKey;
use rand::{CryptoRng, RngCore};
use sha2::{Digest, Sha512};
use zeroize::{Zeroize, Zeroizing};

use zkreg_circuits::commitment::{holder_id, pseudonym};
use zkreg_circuits::constants::{WALLET_AUTH_DOMAIN, WALLET_SK_DOMAIN};

pub mod encryption;

/// Errors from restoring a wallet.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WalletError {
    /// The seed is not 32 bytes as 64 hex digits.
    #[error("a wallet seed is 32 bytes as 64 hex digits")]
    BadSeed,
}

/// A holder's keys. `Debug` shows only public parts; secrets are zeroed on drop.
pub struct Wallet {
    seed: Zeroizing<[u8; 32]>,
    sk: Fr,
    auth: SigningKey,
}

impl Drop for Wallet {
    fn drop(&mut self) {
        self.sk.zeroize();
    }
}

impl std::fmt::Debug for Wallet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Wallet")
            .field("auth_public", &hex::encode(self.auth_public()))
            .finish_non_exhaustive()
    }
}

impl Wallet {
    /// Derives the wallet from a seed:
    /// `sk = SHA-512(WALLET_SK_DOMAIN ‖ seed) mod r` (a 512-bit reduction, so
    /// the bias is below 2^-250) and the ed25519 key from
    /// `SHA-512(WALLET_AUTH_DOMAIN ‖ seed)[..32]`.
    pub fn from_seed(seed: [u8; 32]) -> Self {
        let wide = Zeroizing::new(<[u8; 64]>::from(Sha512::new().chain_update(WALLET_SK_DOMAIN).chain_update(seed).finalize()));
        let sk = Fr::from_le_bytes_mod_order(wide.as_slice());
        let auth_wide = Zeroizing::new(<[u8; 64]>::from(Sha512::new().chain_update(WALLET_AUTH_DOMAIN).chain_update(seed).finalize()));
        let mut auth_seed = Zeroizing::new([0u8; 32]);
        auth_seed.copy_from_slice(&auth_wide[..32]);
        Wallet { seed: Zeroizing::new(seed), sk, auth: SigningKey::from_bytes(&auth_seed) }
    }

    /// A fresh wallet from `rng`.
    pub fn generate<R: RngCore + CryptoRng>(rng: &mut R) -> Self {
        let mut seed = Zeroizing::new([0u8; 32]);
        rng.fill_bytes(seed.as_mut());
        Self::from_seed(*seed)
    }

    /// Restores a wallet from its hex seed.
    pub fn from_seed_hex(s: &str) -> Result<Self, WalletError> {
        let bytes = Zeroizing::new(hex::decode(s.trim()).map_err(|_| WalletError::BadSeed)?);
        let seed: [u8; 32] = bytes.as_slice().try_into().map_err(|_| WalletError::BadSeed)?;
        Ok(Self::from_seed(seed))
    }

    /// The seed as hex, for backing the wallet up.
    pub fn seed_hex(&self) -> Zeroizing<String> {
        Zeroizing::new(hex::encode(*self.seed))
    }

    /// The ZK secret (stays on the device).
    pub(crate) fn sk(&self) -> &Fr {
        &self.sk
    }

    /// `holder_id = Poseidon(DS_HOLDER, sk)`: what the holder gives a regulator.
    pub fn holder_id(&self) -> Fr {
        holder_id(&self.sk)
    }

    /// The holder's pseudonym under a verifier scope.
    pub fn pseudonym(&self, scope: &Fr) -> Fr {
        pseudonym(&self.sk, scope)
    }

    /// The ed25519 authentication key.
    pub fn auth_key(&self) -> &SigningKey {
        &self.auth
    }

    /// The ed25519 public key.
    pub fn auth_public(&self) -> [u8; 32] {
        self.auth.verifying_key().to_bytes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seed_determines_everything() {
        let a = Wallet::from_seed([7; 32]);
        let b = Wallet::from_seed_hex(&a.seed_hex()).unwrap();
        assert_eq!(a.holder_id(), b.holder_id());
        assert_eq!(a.auth_public(), b.auth_public());
        let c = Wallet::from_seed([8; 32]);
        assert_ne!(a.holder_id(), c.holder_id());
        assert_ne!(a.auth_public(), c.auth_public());
    }

    #[test]
    fn bad_seeds_are_rejected_and_debug_hides_secrets() {
        assert_eq!(Wallet::from_seed_hex("00").unwrap_err(), WalletError::BadSeed);
        assert_eq!(Wallet::from_seed_hex(&"zz".repeat(32)).unwrap_err(), WalletError::BadSeed);
        let w = Wallet::from_seed([1; 32]);
        let dbg = format!("{w:?}");
        assert!(!dbg.contains(&*w.seed_hex()));
        assert!(dbg.contains(&hex::encode(w.auth_public())));
    }
}
