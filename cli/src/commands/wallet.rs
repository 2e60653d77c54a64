//! `zkreg wallet new|show|import|migrate`: the holder's wallet file,
//! encrypted with a passphrase (see [`WalletFile`]).

use std::io::IsTerminal;
use std::path::Path;

use anyhow::Context;
use rand::rngs::OsRng;
use serde_json::{json, Value};

use zkreg_circuits::field::fr_to_hex;
use zkreg_prover::wallet::encryption::Passphrase;
use zkreg_prover::{CredentialOpening, RangeCredentialOpening, Wallet};

use crate::files::{hex32, CredentialFile, WalletFile};
use crate::output::print;

/// The environment variable a wallet's passphrase is taken from; when it is
/// unset, the passphrase is typed on the terminal.
pub const PASSPHRASE_ENV: &str = "ZKREG_WALLET_PASSPHRASE";

/// What the passphrase is asked for.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Ask {
    /// To open an existing encrypted wallet.
    Open,
    /// For a new wallet: typed twice on a terminal.
    New,
    /// To encrypt a plaintext wallet: typed twice on a terminal.
    Migrate,
}

/// The passphrase in [`PASSPHRASE_ENV`], if it is set (an empty one is refused).
pub fn passphrase_from_env() -> anyhow::Result<Option<Passphrase>> {
    match std::env::var(PASSPHRASE_ENV) {
        Ok(p) => Passphrase::new(p).map(Some).with_context(|| format!("{PASSPHRASE_ENV} is set but empty")),
        Err(std::env::VarError::NotPresent) => Ok(None),
        Err(std::env::VarError::NotUnicode(_)) => anyhow::bail!("{PASSPHRASE_ENV} is not valid UTF-8"),
    }
}

/// The passphrase of the wallet at `path`: [`PASSPHRASE_ENV`] if set, else
/// typed on the terminal without echo (twice, and both must match, for a
/// new one). Without either: an error naming [`PASSPHRASE_ENV`]. The
/// refusals that need no passphrase (no such wallet, a plaintext one to
/// migrate first, a new wallet's file already there) come before asking.
pub fn passphrase(path: &Path, ask: Ask) -> anyhow::Result<Passphrase> {
    match ask {
        Ask::Open => WalletFile::check_encrypted(path)?,
        Ask::New if path.exists() => anyhow::bail!("{} exists; not overwriting it", path.display()),
        Ask::New => {}
        Ask::Migrate => drop(WalletFile::read_plaintext(path)?),
    }
    if let Some(p) = passphrase_from_env()? {
        return Ok(p);
    }
    if !std::io::stdin().is_terminal() {
        anyhow::bail!("wallet {} needs its passphrase: set {PASSPHRASE_ENV}, or run on a terminal to type it", path.display());
    }
    let typed = |prompt: String| -> anyhow::Result<Passphrase> {
        let p = rpassword::prompt_password(prompt).context("reading the passphrase from the terminal")?;
        Passphrase::new(p).context("refusing an empty passphrase")
    };
    let first = typed(format!("passphrase for wallet {}: ", path.display()))?;
    if ask != Ask::Open && !first.matches(&typed("the same passphrase again: ".to_owned())?) {
        anyhow::bail!("the two passphrases differ; nothing written");
    }
    Ok(first)
}

/// What `wallet show` and `wallet import` say about a Groth16 credential.
fn groth16_summary(c: &CredentialOpening) -> Value {
    json!({"kind": "groth16", "schema": c.schema, "issuer": c.issuer, "expiry": c.expiry, "leaf_index": c.leaf_index, "commitment": fr_to_hex(&c.commitment)})
}

/// What `wallet show` and `wallet import` say about a Bulletproofs credential.
fn range_summary(c: &RangeCredentialOpening) -> Value {
    json!({"kind": "bulletproofs", "schema": c.schema, "issuer": c.issuer, "expiry": c.expiry, "commitment": hex::encode(c.opening.commit().as_bytes())})
}

/// `zkreg wallet new`: a fresh seed in a new file encrypted under `passphrase`.
pub fn new(path: &Path, passphrase: &Passphrase, as_json: bool) -> anyhow::Result<()> {
    let wallet = Wallet::generate(&mut OsRng);
    let f = WalletFile { seed: wallet.seed_hex(), ..Default::default() };
    f.create(path, passphrase)?;
    if !as_json {
        println!("new wallet {} (encrypted with its passphrase)", path.display());
    }
    describe(path, &f, &wallet, as_json);
    Ok(())
}

/// `zkreg wallet show`: the holder id, the authentication key and every
/// credential held, of both kinds.
pub fn show(path: &Path, passphrase: &Passphrase, as_json: bool) -> anyhow::Result<()> {
    let (f, wallet) = WalletFile::read(path, passphrase)?;
    describe(path, &f, &wallet, as_json);
    Ok(())
}

/// What `wallet new` and `wallet show` print.
fn describe(path: &Path, f: &WalletFile, wallet: &Wallet, as_json: bool) {
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
}

/// `zkreg wallet import`: adds a credential file after checking it is this
/// holder's (Groth16: the opening hashes to its commitment for this holder
/// id; Bulletproofs: it is registered for this wallet's authentication key
/// and the opening opens the registered commitment). The wallet file is
/// re-encrypted and replaced whole, or left as it was.
pub fn import(path: &Path, credential: &Path, passphrase: &Passphrase, as_json: bool) -> anyhow::Result<()> {
    let (mut f, wallet) = WalletFile::read(path, passphrase)?;
    let bytes = std::fs::read(credential).with_context(|| format!("reading {}", credential.display()))?;
    let file = CredentialFile::parse(&bytes).with_context(|| format!("{} is not a credential file", credential.display()))?;
    let summary = add_credential(&mut f, &wallet, file)?;
    f.save(path, passphrase)?;
    let text = |field: &str| summary[field].as_str().unwrap_or("").to_owned();
    let line = format!("imported {} credential {} from {} (commitment {})", text("kind"), text("schema"), text("issuer"), text("commitment"));
    print(as_json, json!({"wallet": path, "imported": summary}), || line);
    Ok(())
}

/// Adds a credential to the wallet `f` after checking it is this holder's
/// (Groth16: the opening hashes to its commitment for this holder id;
/// Bulletproofs: it is registered for this wallet's authentication key and
/// the opening opens the registered commitment), refusing one already held.
/// Returns what `wallet import` says about it.
pub fn add_credential(f: &mut WalletFile, wallet: &Wallet, file: CredentialFile) -> anyhow::Result<Value> {
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
    Ok(summary)
}

/// `zkreg wallet migrate`: encrypts a plaintext wallet (written before
/// wallet files were encrypted) in place under `passphrase`; refuses a file
/// already encrypted. The file is replaced whole (a new file renamed over
/// it), so a crash leaves either the old file or the encrypted one.
pub fn migrate(path: &Path, passphrase: &Passphrase, as_json: bool) -> anyhow::Result<()> {
    let (f, wallet) = WalletFile::read_plaintext(path)?;
    f.save(path, passphrase)?;
    // The check that matters: the file now opens with the passphrase, to the same wallet.
    let (_, reopened) = WalletFile::read(path, passphrase)?;
    if reopened.holder_id() != wallet.holder_id() {
        anyhow::bail!("{} did not read back as the same wallet after encrypting it", path.display());
    }
    let answer = json!({"wallet": path, "encrypted": true, "holder_id": fr_to_hex(&wallet.holder_id())});
    print(as_json, answer, || {
        format!(
            "wallet {} encrypted (holder id {}). Copies of the plaintext file (backups, the disk's free blocks) are not erased: if one may have been seen, make a new wallet and have its credentials issued again.",
            path.display(),
            fr_to_hex(&wallet.holder_id())
        )
    });
    Ok(())
}

/// Encrypted wallets for the tests of the commands that read them.
#[cfg(test)]
pub(crate) mod testing {
    use std::path::{Path, PathBuf};

    use zkreg_prover::wallet::encryption::Passphrase;
    use zkreg_prover::Wallet;

    use crate::files::WalletFile;

    /// The passphrase of the tests' wallets.
    pub fn passphrase() -> Passphrase {
        Passphrase::new("test passphrase".to_owned()).unwrap()
    }

    /// An encrypted wallet file of the seed `[seed; 32]` in `dir`, and its wallet.
    pub fn wallet_in(dir: &Path, seed: u8) -> (PathBuf, Wallet) {
        let wallet = Wallet::from_seed([seed; 32]);
        let path = dir.join(format!("wallet-{seed}.json"));
        WalletFile { seed: wallet.seed_hex(), ..Default::default() }.create(&path, &passphrase()).unwrap();
        (path, wallet)
    }
}

#[cfg(test)]
mod tests {
    use rand::SeedableRng;
    use rand_chacha::ChaCha20Rng;

    use zkreg_prover::wallet::encryption;

    use super::testing::{passphrase, wallet_in};
    use super::*;
    use crate::files::testing::{range_file, write};

    #[test]
    fn bulletproofs_import_checks_holder_key_and_commitment() {
        let dir = tempfile::tempdir().unwrap();
        let r = &mut ChaCha20Rng::seed_from_u64(2);
        let (path, wallet) = wallet_in(dir.path(), 1);
        let other = Wallet::from_seed([2; 32]);
        let p = passphrase();

        // For another holder's key: refused, and the wallet file is unchanged.
        let before = std::fs::read(&path).unwrap();
        let theirs = write(dir.path(), "theirs.json", &CredentialFile::Bulletproofs(range_file(other.auth_public(), 720, r)));
        let err = import(&path, &theirs, &p, true).unwrap_err();
        assert!(err.to_string().contains("another holder key"), "{err}");
        assert_eq!(std::fs::read(&path).unwrap(), before);

        // An opening of another value than the registered commitment: refused.
        let mut tampered = range_file(wallet.auth_public(), 720, r);
        tampered.opening.value = 850;
        let tampered = write(dir.path(), "tampered.json", &CredentialFile::Bulletproofs(tampered));
        let err = import(&path, &tampered, &p, true).unwrap_err();
        assert!(err.to_string().contains("does not open"), "{err}");
        assert_eq!(std::fs::read(&path).unwrap(), before);

        // Its own: imported once, held beside the Groth16 credentials, and not twice.
        let mine = write(dir.path(), "mine.json", &CredentialFile::Bulletproofs(range_file(wallet.auth_public(), 720, r)));
        import(&path, &mine, &p, true).unwrap();
        let groth16 = CredentialOpening::issue("licence.food-business", "central-bank", wallet.holder_id(), 2, 30_000, r);
        let groth16 = write(dir.path(), "licence.json", &CredentialFile::Groth16(groth16));
        import(&path, &groth16, &p, true).unwrap();
        let (f, _) = WalletFile::read(&path, &p).unwrap();
        assert_eq!((f.credentials.len(), f.range_credentials.len()), (1, 1));
        assert_eq!(f.range_credentials[0].opening.value, 720);
        assert!(import(&path, &mine, &p, true).unwrap_err().to_string().contains("already holds"));
        assert!(import(&path, &groth16, &p, true).unwrap_err().to_string().contains("already holds"));

        // A Groth16 credential for another holder id: refused.
        let not_mine = CredentialOpening::issue("credit-score", "central-bank", other.holder_id(), 720, 30_000, r);
        let not_mine = write(dir.path(), "not-mine.json", &not_mine);
        assert!(import(&path, &not_mine, &p, true).is_err());
    }

    #[test]
    fn a_wrong_passphrase_changes_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let r = &mut ChaCha20Rng::seed_from_u64(3);
        let (path, wallet) = wallet_in(dir.path(), 4);
        let before = std::fs::read(&path).unwrap();
        let wrong = Passphrase::new("not the passphrase".to_owned()).unwrap();
        let err = show(&path, &wrong, true).unwrap_err();
        assert!(format!("{err:#}").contains(&format!("wrong passphrase for wallet {}", path.display())), "{err:#}");
        let mine = write(dir.path(), "mine.json", &CredentialFile::Bulletproofs(range_file(wallet.auth_public(), 720, r)));
        assert!(format!("{:#}", import(&path, &mine, &wrong, true).unwrap_err()).contains("wrong passphrase"));
        assert_eq!(std::fs::read(&path).unwrap(), before);
    }

    #[test]
    fn migrate_encrypts_a_plaintext_wallet_once() {
        let dir = tempfile::tempdir().unwrap();
        let wallet = Wallet::from_seed([9; 32]);
        let old = serde_json::json!({"seed": wallet.seed_hex().to_string(), "credentials": []});
        let path = write(dir.path(), "old.json", &old);
        let p = passphrase();
        // Before: every reader refuses it and says what to do.
        let err = format!("{:#}", show(&path, &p, true).unwrap_err());
        assert!(err.contains("zkreg wallet migrate"), "{err}");

        migrate(&path, &p, true).unwrap();
        let bytes = std::fs::read(&path).unwrap();
        assert!(encryption::is_encrypted(&bytes));
        assert!(!bytes.windows(64).any(|w| w == wallet.seed_hex().as_bytes()));
        let (_, reopened) = WalletFile::read(&path, &p).unwrap();
        assert_eq!(reopened.holder_id(), wallet.holder_id());
        let err = format!("{:#}", migrate(&path, &p, true).unwrap_err());
        assert!(err.contains("already encrypted"), "{err}");
        assert_eq!(std::fs::read(&path).unwrap(), bytes);
    }
}
