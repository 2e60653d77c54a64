//! `zkreg wallet new|show|import`: the holder's wallet file.

use std::path::Path;

use anyhow::Context;
use rand::rngs::OsRng;
use serde_json::{json, Value};

use zkreg_circuits::field::fr_to_hex;
use zkreg_prover::{CredentialOpening, RangeCredentialOpening, Wallet};

use crate::files::{hex32, write_new, CredentialFile, WalletFile};
use crate::output::print;

/// What `wallet show` and `wallet import` say about a Groth16 credential.
fn groth16_summary(c: &CredentialOpening) -> Value {
    json!({"kind": "groth16", "schema": c.schema, "issuer": c.issuer, "expiry": c.expiry, "leaf_index": c.leaf_index, "commitment": fr_to_hex(&c.commitment)})
}

/// What `wallet show` and `wallet import` say about a Bulletproofs credential.
fn range_summary(c: &RangeCredentialOpening) -> Value {
    json!({"kind": "bulletproofs", "schema": c.schema, "issuer": c.issuer, "expiry": c.expiry, "commitment": hex::encode(c.opening.commit().as_bytes())})
}

/// `zkreg wallet new`.
pub fn new(path: &Path, as_json: bool) -> anyhow::Result<()> {
    let wallet = Wallet::generate(&mut OsRng);
    write_new(path, &serde_json::to_vec_pretty(&WalletFile { seed: wallet.seed_hex().to_string(), ..Default::default() })?)?;
    if !as_json {
        println!("new wallet {}", path.display());
    }
    show(path, as_json)
}

/// `zkreg wallet show`: the holder id, the authentication key and every
/// credential held, of both kinds.
pub fn show(path: &Path, as_json: bool) -> anyhow::Result<()> {
    let (f, wallet) = WalletFile::read(path)?;
    let creds: Vec<Value> = f.credentials.iter().map(groth16_summary).chain(f.range_credentials.iter().map(range_summary)).collect();
    if as_json {
        println!(
            "{}",
            json!({"wallet": path, "holder_id": fr_to_hex(&wallet.holder_id()), "auth_key": hex::encode(wallet.auth_public()), "credentials": creds})
        );
    } else {
        println!("holder id (give this to a regulator):  {}", fr_to_hex(&wallet.holder_id()));
        println!("authentication key (for Bulletproofs): {}", hex::encode(wallet.auth_public()));
        println!("credentials: {}", creds.len());
        for c in creds {
            println!("  {c}");
        }
    }
    Ok(())
}

/// `zkreg wallet import`: adds a credential file after checking it is this
/// holder's (Groth16: the opening hashes to its commitment for this holder
/// id; Bulletproofs: it is registered for this wallet's authentication key
/// and the opening opens the registered commitment).
pub fn import(path: &Path, credential: &Path, as_json: bool) -> anyhow::Result<()> {
    let (mut f, wallet) = WalletFile::read(path)?;
    let bytes = std::fs::read(credential).with_context(|| format!("reading {}", credential.display()))?;
    let file = CredentialFile::parse(&bytes).with_context(|| format!("{} is not a credential file", credential.display()))?;
    let summary = match file {
        CredentialFile::Groth16(opening) => {
            opening.check(wallet.holder_id()).context("this credential was not issued to this wallet's holder id")?;
            if f.credentials.iter().any(|c| c.commitment == opening.commitment) {
                anyhow::bail!("the wallet already holds this credential");
            }
            let summary = groth16_summary(&opening);
            f.credentials.push(opening);
            summary
        }
        CredentialFile::Bulletproofs(file) => {
            if hex32(&file.holder_key, "holder_key")? != wallet.auth_public() {
                anyhow::bail!("this credential is registered for another holder key, not this wallet's authentication key");
            }
            let commitment = hex32(&file.commitment, "commitment")?;
            if file.opening.commit().to_bytes() != commitment {
                anyhow::bail!("the opening does not open the registered commitment");
            }
            if f.range_credentials.iter().any(|c| c.opening.commit().to_bytes() == commitment) {
                anyhow::bail!("the wallet already holds this credential");
            }
            let held = RangeCredentialOpening { schema: file.schema, issuer: file.issuer, expiry: file.expiry, opening: file.opening };
            let summary = range_summary(&held);
            f.range_credentials.push(held);
            summary
        }
    };
    f.save(path)?;
    let text = |field: &str| summary[field].as_str().unwrap_or("").to_owned();
    let line = format!("imported {} credential {} from {} (commitment {})", text("kind"), text("schema"), text("issuer"), text("commitment"));
    print(as_json, json!({"wallet": path, "imported": summary}), || line);
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use rand::SeedableRng;
    use rand_chacha::ChaCha20Rng;

    use super::*;
    use crate::files::testing::{range_file, write};

    /// A wallet file in `dir` and its wallet.
    fn wallet_in(dir: &Path, seed: u8) -> (PathBuf, Wallet) {
        let wallet = Wallet::from_seed([seed; 32]);
        let path = dir.join(format!("wallet-{seed}.json"));
        std::fs::write(&path, serde_json::to_vec(&WalletFile { seed: wallet.seed_hex().to_string(), ..Default::default() }).unwrap()).unwrap();
        (path, wallet)
    }

    #[test]
    fn bulletproofs_import_checks_holder_key_and_commitment() {
        let dir = tempfile::tempdir().unwrap();
        let r = &mut ChaCha20Rng::seed_from_u64(2);
        let (path, wallet) = wallet_in(dir.path(), 1);
        let other = Wallet::from_seed([2; 32]);

        // For another holder's key: refused, and the wallet file is unchanged.
        let before = std::fs::read(&path).unwrap();
        let theirs = write(dir.path(), "theirs.json", &CredentialFile::Bulletproofs(range_file(other.auth_public(), 720, r)));
        let err = import(&path, &theirs, true).unwrap_err();
        assert!(err.to_string().contains("another holder key"), "{err}");
        assert_eq!(std::fs::read(&path).unwrap(), before);

        // An opening of another value than the registered commitment: refused.
        let mut tampered = range_file(wallet.auth_public(), 720, r);
        tampered.opening.value = 850;
        let tampered = write(dir.path(), "tampered.json", &CredentialFile::Bulletproofs(tampered));
        let err = import(&path, &tampered, true).unwrap_err();
        assert!(err.to_string().contains("does not open"), "{err}");
        assert_eq!(std::fs::read(&path).unwrap(), before);

        // Its own: imported once, held beside the Groth16 credentials, and not twice.
        let mine = write(dir.path(), "mine.json", &CredentialFile::Bulletproofs(range_file(wallet.auth_public(), 720, r)));
        import(&path, &mine, true).unwrap();
        let groth16 = CredentialOpening::issue("licence.food-business", "central-bank", wallet.holder_id(), 2, 30_000, r);
        let groth16 = write(dir.path(), "licence.json", &CredentialFile::Groth16(groth16));
        import(&path, &groth16, true).unwrap();
        let (f, _) = WalletFile::read(&path).unwrap();
        assert_eq!((f.credentials.len(), f.range_credentials.len()), (1, 1));
        assert_eq!(f.range_credentials[0].opening.value, 720);
        assert!(import(&path, &mine, true).unwrap_err().to_string().contains("already holds"));
        assert!(import(&path, &groth16, true).unwrap_err().to_string().contains("already holds"));

        // A Groth16 credential for another holder id: refused.
        let not_mine = CredentialOpening::issue("credit-score", "central-bank", other.holder_id(), 720, 30_000, r);
        let not_mine = write(dir.path(), "not-mine.json", &not_mine);
        assert!(import(&path, &not_mine, true).is_err());
    }
}
