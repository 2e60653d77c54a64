//! Key files: the proving key, the verifying key and its fingerprint.
//!
//! `setup` writes `predicate.pk` and `predicate.vk` (canonical compressed
//! arkworks encodings) and `predicate.vk.sha256` (hex fingerprint). Loading
//! always validates every point (on the curve, in the prime-order subgroup).

use std::fs;
use std::path::{Path, PathBuf};

use ark_bn254::Bn254;
use ark_groth16::{ProvingKey, VerifyingKey};
use ark_serialize::{CanonicalDeserialize, CanonicalSerialize};
use zkreg_circuits::fingerprint::fingerprint;

/// File name of the proving key inside a key directory.
pub const PROVING_KEY_FILE: &str = "predicate.pk";
/// File name of the verifying key inside a key directory.
pub const VERIFYING_KEY_FILE: &str = "predicate.vk";
/// File name of the verifying key's hex fingerprint.
pub const FINGERPRINT_FILE: &str = "predicate.vk.sha256";

/// Errors reading or writing key files.
#[derive(Debug, thiserror::Error)]
pub enum KeyFileError {
    /// The file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// The bytes are not a valid key (truncated, trailing bytes, or a point
    /// off the curve or outside the subgroup).
    #[error("{path}: invalid key: {reason}")]
    Invalid {
        /// The file.
        path: PathBuf,
        /// What was wrong.
        reason: String,
    },
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> KeyFileError + '_ {
    move |source| KeyFileError::Io { path: path.to_owned(), source }
}

/// Writes the key pair into `dir` and returns the verifying key's fingerprint.
pub fn write_keys(dir: &Path, pk: &ProvingKey<Bn254>) -> Result<[u8; 32], KeyFileError> {
    fs::create_dir_all(dir).map_err(io(dir))?;
    let mut pk_bytes = Vec::new();
    pk.serialize_compressed(&mut pk_bytes).unwrap_or_else(|e| unreachable!("in-memory write: {e}"));
    let mut vk_bytes = Vec::new();
    pk.vk.serialize_compressed(&mut vk_bytes).unwrap_or_else(|e| unreachable!("in-memory write: {e}"));
    let fp = fingerprint(&pk.vk);
    for (name, bytes) in [
        (PROVING_KEY_FILE, pk_bytes),
        (VERIFYING_KEY_FILE, vk_bytes),
        (FINGERPRINT_FILE, format!("{}\n", hex::encode(fp)).into_bytes()),
    ] {
        let path = dir.join(name);
        fs::write(&path, bytes).map_err(io(&path))?;
    }
    Ok(fp)
}

fn decode<T: CanonicalDeserialize>(path: &Path) -> Result<T, KeyFileError> {
    let bytes = fs::read(path).map_err(io(path))?;
    let mut reader = bytes.as_slice();
    let value = T::deserialize_compressed(&mut reader)
        .map_err(|e| KeyFileError::Invalid { path: path.to_owned(), reason: e.to_string() })?;
    if !reader.is_empty() {
        return Err(KeyFileError::Invalid { path: path.to_owned(), reason: "trailing bytes".into() });
    }
    Ok(value)
}

/// Loads and validates a proving key (its verifying key may have no point at infinity).
pub fn load_proving_key(path: &Path) -> Result<ProvingKey<Bn254>, KeyFileError> {
    let pk: ProvingKey<Bn254> = decode(path)?;
    zkreg_circuits::proof_codec::check_verifying_key(&pk.vk)
        .map_err(|reason| KeyFileError::Invalid { path: path.to_owned(), reason })?;
    Ok(pk)
}

/// Loads and validates a verifying key (canonical encoding, no point at infinity).
pub fn load_verifying_key(path: &Path) -> Result<VerifyingKey<Bn254>, KeyFileError> {
    let bytes = fs::read(path).map_err(io(path))?;
    zkreg_circuits::proof_codec::decode_verifying_key(&bytes).map_err(|reason| KeyFileError::Invalid { path: path.to_owned(), reason })
}

/// Why a proving key may not be used against a ledger: its verifying key is
/// not the one the ledger registered, so every verifier would refuse its proofs.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RegisteredKeyError {
    /// The ledger has no verifying key for the circuit (no setup registered yet).
    #[error("the ledger has no verifying key registered for {circuit_id}: no proof would verify; ask the consortium to register the setup")]
    NotRegistered {
        /// The circuit.
        circuit_id: String,
    },
    /// The proving key comes from another trusted setup than the registered
    /// verifying key (a stale or foreign keys directory).
    #[error(
        "the proving key is from another trusted setup than the verifying key the ledger registered for {circuit_id} \
         (its fingerprint {local}, registered {registered}): use the keys of the registered setup"
    )]
    Mismatch {
        /// The circuit.
        circuit_id: String,
        /// Fingerprint of the verifying key inside the proving key, hex.
        local: String,
        /// Fingerprint registered on the ledger, hex.
        registered: String,
    },
}

/// Checks that `pk` belongs to the verifying key the ledger registered for
/// `circuit_id`: the fingerprint of `pk.vk` must equal `registered` (the
/// ledger's, `None` if it has none). A wallet calls this before proving.
pub fn check_registered(pk: &ProvingKey<Bn254>, circuit_id: &str, registered: Option<[u8; 32]>) -> Result<(), RegisteredKeyError> {
    let registered = registered.ok_or_else(|| RegisteredKeyError::NotRegistered { circuit_id: circuit_id.to_owned() })?;
    let local = fingerprint(&pk.vk);
    if local != registered {
        return Err(RegisteredKeyError::Mismatch { circuit_id: circuit_id.to_owned(), local: hex::encode(local), registered: hex::encode(registered) });
    }
    Ok(())
}
