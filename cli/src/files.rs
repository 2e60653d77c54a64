//! The files `zkreg` reads and writes: key files, wallet files, credential
//! files (both kinds) and genesis files.

use std::path::Path;

use anyhow::Context;
use ed25519_dalek::SigningKey;
use rand::rngs::OsRng;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use zkreg_circuits::range_statement::PedersenOpening;
use zkreg_prover::{CredentialOpening, RangeCredentialOpening, Wallet};
use zkreg_registry::Genesis;

/// An ed25519 key file (JSON; the secret is plaintext: keep the file private).
#[derive(Serialize, Deserialize)]
pub struct KeyFile {
    /// Public key, hex.
    pub public: String,
    /// Secret key, hex.
    pub secret: String,
}

/// Writes a new key to `path` (refuses to overwrite).
pub fn new_key(path: &Path) -> anyhow::Result<SigningKey> {
    let key = SigningKey::generate(&mut OsRng);
    write_new(path, &serde_json::to_vec_pretty(&KeyFile { public: hex::encode(key.verifying_key().to_bytes()), secret: hex::encode(key.to_bytes()) })?)?;
    Ok(key)
}

/// Reads a key file.
pub fn read_key(path: &Path) -> anyhow::Result<SigningKey> {
    let f: KeyFile = serde_json::from_slice(&std::fs::read(path).with_context(|| format!("reading {}", path.display()))?)
        .with_context(|| format!("{} is not a key file", path.display()))?;
    let secret: [u8; 32] = hex::decode(&f.secret).ok().and_then(|b| b.try_into().ok()).context("the secret is not 32 bytes of hex")?;
    Ok(SigningKey::from_bytes(&secret))
}

/// Writes `bytes` to a new file at `path`, creating its directory; refuses
/// to overwrite an existing file.
pub fn write_new(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    if path.exists() {
        anyhow::bail!("{} exists; not overwriting it", path.display());
    }
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent)?;
    }
    std::fs::write(path, bytes).with_context(|| format!("writing {}", path.display()))
}

/// 32 bytes given as 64 hex digits (an optional `0x` and surrounding
/// whitespace allowed); the error names `what`.
pub fn hex32(s: &str, what: &str) -> anyhow::Result<[u8; 32]> {
    zkreg_circuits::hex::parse_array(s.trim()).ok().with_context(|| format!("{what} is 32 bytes as 64 hex digits"))
}

/// Reads a genesis JSON file.
pub fn read_genesis(path: &Path) -> anyhow::Result<Genesis> {
    let bytes = std::fs::read(path).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
    serde_json::from_slice(&bytes).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))
}

/// Reads a cluster secret file: 64 hex digits (surrounding whitespace ignored).
pub fn read_cluster_secret(path: &Path) -> anyhow::Result<[u8; 32]> {
    let text = std::fs::read_to_string(path).map_err(|e| anyhow::anyhow!("the cluster secret {}: {e}", path.display()))?;
    hex32(&text, &format!("the cluster secret in {}", path.display()))
}

/// Writes a new random cluster secret (refuses to overwrite), readable by
/// its owner only.
pub fn write_cluster_secret(path: &Path) -> anyhow::Result<()> {
    use rand::RngCore;
    let mut secret = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut secret);
    write_new(path, format!("{}\n", hex::encode(secret)).as_bytes())?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))?;
    }
    Ok(())
}

/// A holder's wallet file: the seed and the credential openings.
#[derive(Serialize, Deserialize, Default)]
pub struct WalletFile {
    /// The wallet seed, hex (everything else derives from it).
    pub seed: String,
    /// Imported Groth16 credentials.
    #[serde(default)]
    pub credentials: Vec<CredentialOpening>,
    /// Imported Bulletproofs (Pedersen) credentials; absent in wallet files
    /// written before they existed.
    #[serde(default)]
    pub range_credentials: Vec<RangeCredentialOpening>,
}

impl WalletFile {
    /// Reads a wallet file.
    pub fn read(path: &Path) -> anyhow::Result<(Self, Wallet)> {
        let f: WalletFile = serde_json::from_slice(&std::fs::read(path).with_context(|| format!("reading {}", path.display()))?)
            .with_context(|| format!("{} is not a wallet file", path.display()))?;
        let wallet = Wallet::from_seed_hex(&f.seed)?;
        Ok((f, wallet))
    }

    /// Writes the wallet file over `path`.
    pub fn save(&self, path: &Path) -> anyhow::Result<()> {
        Ok(std::fs::write(path, serde_json::to_vec_pretty(self)?)?)
    }
}

/// A Bulletproofs credential as the regulator hands it to the holder: the
/// opening, and what the ledger recorded with it (holder key, commitment).
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RangeCredentialFile {
    /// Schema name.
    pub schema: String,
    /// Issuer name.
    pub issuer: String,
    /// Last valid day (public on the ledger).
    pub expiry: u32,
    /// The holder's ed25519 key the credential is registered with, hex.
    pub holder_key: String,
    /// The compressed Ristretto commitment registered on the ledger, hex.
    pub commitment: String,
    /// Value and blinding.
    pub opening: PedersenOpening,
}

/// A credential file written by `zkreg issue`. In JSON it carries
/// `"kind": "groth16"` or `"kind": "bulletproofs"`; a file without `kind`
/// (written before Bulletproofs credentials existed) is a Groth16 opening.
#[derive(Serialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum CredentialFile {
    /// A Groth16 credential: the opening of a commitment in the tree.
    Groth16(CredentialOpening),
    /// A Bulletproofs credential: a Pedersen commitment registered with the holder's key.
    Bulletproofs(RangeCredentialFile),
}

impl CredentialFile {
    /// Parses a credential file (either kind, or the format without `kind`).
    pub fn parse(bytes: &[u8]) -> anyhow::Result<Self> {
        let mut value: Value = serde_json::from_slice(bytes).context("not JSON")?;
        let kind = match value.as_object_mut().context("a credential file is a JSON object")?.remove("kind") {
            None => return Ok(CredentialFile::Groth16(serde_json::from_value(value).context("not a Groth16 credential")?)),
            Some(Value::String(kind)) => kind,
            Some(other) => anyhow::bail!("`kind` is a string, not {other}"),
        };
        match kind.as_str() {
            "groth16" => Ok(CredentialFile::Groth16(serde_json::from_value(value).context("not a Groth16 credential")?)),
            "bulletproofs" => Ok(CredentialFile::Bulletproofs(serde_json::from_value(value).context("not a Bulletproofs credential")?)),
            other => anyhow::bail!("unknown credential kind {other:?} (groth16 or bulletproofs)"),
        }
    }
}

/// Helpers for the tests of the modules that read and write these files.
#[cfg(test)]
pub mod testing {
    use std::path::{Path, PathBuf};

    use rand_chacha::ChaCha20Rng;
    use serde::Serialize;

    use zkreg_circuits::range_statement::PedersenOpening;

    use super::RangeCredentialFile;

    /// A Bulletproofs credential file of `value` for `holder_key`.
    pub fn range_file(holder_key: [u8; 32], value: u64, r: &mut ChaCha20Rng) -> RangeCredentialFile {
        let opening = PedersenOpening::random(value, r);
        RangeCredentialFile {
            schema: "credit-score".into(),
            issuer: "central-bank".into(),
            expiry: 30_000,
            holder_key: hex::encode(holder_key),
            commitment: hex::encode(opening.commit().to_bytes()),
            opening,
        }
    }

    /// `value` as JSON in the file `dir/name`.
    pub fn write(dir: &Path, name: &str, value: &impl Serialize) -> PathBuf {
        let path = dir.join(name);
        std::fs::write(&path, serde_json::to_vec(value).unwrap()).unwrap();
        path
    }
}

#[cfg(test)]
mod tests {
    use rand::SeedableRng;
    use rand_chacha::ChaCha20Rng;
    use serde_json::json;

    use super::testing::{range_file, write};
    use super::*;

    #[test]
    fn credential_files_say_their_kind_and_the_old_format_still_parses() {
        let r = &mut ChaCha20Rng::seed_from_u64(1);
        let wallet = Wallet::from_seed([1; 32]);
        let opening = CredentialOpening::issue("credit-score", "central-bank", wallet.holder_id(), 720, 30_000, r);

        let tagged = serde_json::to_value(CredentialFile::Groth16(opening.clone())).unwrap();
        assert_eq!(tagged["kind"], "groth16");
        let CredentialFile::Groth16(back) = CredentialFile::parse(tagged.to_string().as_bytes()).unwrap() else { panic!("not groth16") };
        assert_eq!(back, opening);
        // A file written before `kind` existed is a Groth16 opening.
        let CredentialFile::Groth16(back) = CredentialFile::parse(&serde_json::to_vec(&opening).unwrap()).unwrap() else { panic!("not groth16") };
        assert_eq!(back, opening);

        let range = serde_json::to_value(CredentialFile::Bulletproofs(range_file(wallet.auth_public(), 720, r))).unwrap();
        assert_eq!(range["kind"], "bulletproofs");
        let CredentialFile::Bulletproofs(back) = CredentialFile::parse(range.to_string().as_bytes()).unwrap() else { panic!("not bulletproofs") };
        assert_eq!((back.opening.value, back.holder_key), (720, hex::encode(wallet.auth_public())));

        let mut wrong_kind = range.clone();
        wrong_kind["kind"] = json!("groth16");
        let mut extra = range.clone();
        extra["leaf_index"] = json!(3);
        let mut unknown = tagged.clone();
        unknown["kind"] = json!("plonk");
        let mut number = tagged.clone();
        number["kind"] = json!(1);
        for bad in [wrong_kind, extra, unknown, number, json!([1, 2]), json!({"kind": "bulletproofs"})] {
            assert!(CredentialFile::parse(bad.to_string().as_bytes()).is_err(), "{bad}");
        }
        let err = CredentialFile::parse(b"{\"kind\": \"plonk\"}").err().map(|e| format!("{e:#}")).unwrap_or_default();
        assert!(err.contains("plonk"), "{err}");
        assert!(CredentialFile::parse(b"not json").is_err());
    }

    #[test]
    fn wallet_files_without_bulletproofs_credentials_still_load() {
        let dir = tempfile::tempdir().unwrap();
        let wallet = Wallet::from_seed([3; 32]);
        let old = json!({"seed": wallet.seed_hex().to_string(), "credentials": []});
        let path = write(dir.path(), "old.json", &old);
        let (f, loaded) = WalletFile::read(&path).unwrap();
        assert!(f.range_credentials.is_empty());
        assert_eq!(loaded.auth_public(), wallet.auth_public());
    }
}
