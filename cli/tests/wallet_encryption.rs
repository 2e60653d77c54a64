//! Wallet files are encrypted at rest (age, scrypt passphrase), checked
//! through the real `zkreg` program:
//!
//! - a new wallet's file, and the file after credentials of both kinds are
//!   imported, holds no secret in the clear (neither the seed, in hex or raw,
//!   nor an opening's salt or blinding, nor any run of the plaintext);
//! - a wrong passphrase, a missing one, a corrupted or truncated file: each a
//!   clear error naming the file (exit 1, never a panic), the file unchanged;
//! - a plaintext wallet from before is refused with the command that
//!   encrypts it, `zkreg wallet migrate`, which does so once, in place.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use rand::SeedableRng;
use rand_chacha::ChaCha20Rng;
use serde_json::{json, Value};

use zkreg_circuits::field::fr_from_hex;
use zkreg_circuits::range_statement::PedersenOpening;
use zkreg_prover::wallet::encryption::{self, Passphrase};
use zkreg_prover::{CredentialOpening, Wallet};

const ENV: &str = "ZKREG_WALLET_PASSPHRASE";
const PASSPHRASE: &str = "a long passphrase for the tests";

/// `zkreg ARGS` with `passphrase` in the environment (none: the variable
/// unset), standard input not a terminal.
fn zkreg(args: &[&str], wallet: &Path, passphrase: Option<&str>) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_zkreg"));
    cmd.args(args).arg("--wallet").arg(wallet).env_remove(ENV).stdin(Stdio::null());
    if let Some(p) = passphrase {
        cmd.env(ENV, p);
    }
    cmd.output().expect("run zkreg")
}

/// The command succeeded; its standard output as JSON.
fn ok(out: Output) -> Value {
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "exit {:?}: {stderr}", out.status.code());
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stdout)))
}

/// The command was refused with a clear error (exit 1, not a panic's 101)
/// containing `want`; the error's text.
fn refused(out: Output, want: &str) -> String {
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(stderr.contains(want), "expected {want:?} in: {stderr}");
    stderr
}

/// A new wallet in `dir` under [`PASSPHRASE`]: its path and what `new --json` said.
fn new_wallet(dir: &Path) -> (PathBuf, Value) {
    let path = dir.join("wallet.json");
    let shown = ok(zkreg(&["wallet", "new", "--json"], &path, Some(PASSPHRASE)));
    (path, shown)
}

/// The plaintext inside the wallet file at `path`.
fn plaintext(path: &Path) -> Value {
    let p = Passphrase::new(PASSPHRASE.to_owned()).unwrap();
    serde_json::from_slice(&encryption::decrypt(&std::fs::read(path).unwrap(), &p).unwrap()).unwrap()
}

/// Every way `secret_hex` (hex of 32 bytes) could sit in a file: hex in
/// either case, the raw bytes in either byte order.
fn encodings(secret_hex: &str) -> Vec<Vec<u8>> {
    let hex = secret_hex.trim_start_matches("0x").to_owned();
    let raw = hex::decode(&hex).unwrap();
    let reversed: Vec<u8> = raw.iter().rev().copied().collect();
    vec![hex.to_lowercase().into_bytes(), hex.to_uppercase().into_bytes(), raw, reversed]
}

/// `file` holds none of `secrets` (each as hex of 32 bytes, in any
/// encoding) and no 16-byte run of `plaintext`.
fn assert_nothing_in_the_clear(file: &[u8], secrets: &[&str], plaintext: &Value) {
    for secret in secrets {
        for needle in encodings(secret) {
            assert!(!file.windows(needle.len()).any(|w| w == needle.as_slice()), "{secret} is in the file");
        }
    }
    for json in [serde_json::to_vec(plaintext).unwrap(), serde_json::to_vec_pretty(plaintext).unwrap()] {
        assert!(!json.windows(16).any(|run| file.windows(16).any(|w| w == run)), "a run of the plaintext is in the file");
    }
    for word in ["seed", "salt", "blinding", "credit-score", "central-bank"] {
        assert!(!file.windows(word.len()).any(|w| w == word.as_bytes()), "{word} is in the file");
    }
}

#[test]
fn a_wallet_file_holds_no_secret_in_the_clear() {
    let dir = tempfile::tempdir().unwrap();
    let (path, shown) = new_wallet(dir.path());
    let file = std::fs::read(&path).unwrap();
    assert!(file.starts_with(b"age-encryption.org/v1\n-> scrypt "), "an age passphrase file");
    let seed = plaintext(&path)["seed"].as_str().unwrap().to_owned();
    assert_eq!(Wallet::from_seed_hex(&seed).unwrap().auth_public().to_vec(), hex::decode(shown["auth_key"].as_str().unwrap()).unwrap());
    assert_nothing_in_the_clear(&file, &[&seed], &plaintext(&path));

    // A credential of each kind for this holder, imported.
    let r = &mut ChaCha20Rng::seed_from_u64(11);
    let holder_id = fr_from_hex(shown["holder_id"].as_str().unwrap()).unwrap();
    let groth16 = CredentialOpening::issue("credit-score", "central-bank", holder_id, 720, 30_000, r);
    let groth16_json = serde_json::to_value(&groth16).unwrap();
    let groth16_path = dir.path().join("credit.json");
    std::fs::write(&groth16_path, groth16_json.to_string()).unwrap();
    let pedersen = PedersenOpening::random(650, r);
    let commitment = hex::encode(pedersen.commit().to_bytes());
    let bulletproofs = json!({
        "kind": "bulletproofs", "schema": "credit-score", "issuer": "central-bank", "expiry": 30_000,
        "holder_key": shown["auth_key"], "commitment": commitment, "opening": pedersen,
    });
    let bulletproofs_path = dir.path().join("credit-bp.json");
    std::fs::write(&bulletproofs_path, bulletproofs.to_string()).unwrap();
    for credential in [&groth16_path, &bulletproofs_path] {
        ok(zkreg(&["wallet", "import", "--json", credential.to_str().unwrap()], &path, Some(PASSPHRASE)));
    }

    let file = std::fs::read(&path).unwrap();
    let inside = plaintext(&path);
    assert_eq!(inside["credentials"][0]["salt"], groth16_json["salt"]);
    assert_eq!(inside["range_credentials"][0]["opening"]["blinding"], bulletproofs["opening"]["blinding"]);
    let salt = groth16_json["salt"].as_str().unwrap();
    let blinding = bulletproofs["opening"]["blinding"].as_str().unwrap();
    assert_nothing_in_the_clear(&file, &[&seed, salt, blinding], &inside);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o077, 0, "readable by its owner only");
    }

    let shown_again = ok(zkreg(&["wallet", "show", "--json"], &path, Some(PASSPHRASE)));
    assert_eq!(shown_again["holder_id"], shown["holder_id"]);
    assert_eq!(shown_again["credentials"].as_array().map(Vec::len), Some(2));
}

#[test]
fn a_wrong_or_missing_passphrase_is_a_clear_error_and_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let (path, shown) = new_wallet(dir.path());
    let before = std::fs::read(&path).unwrap();
    let wrong_for_this = format!("wrong passphrase for wallet {}", path.display());

    refused(zkreg(&["wallet", "show"], &path, Some("not the passphrase")), &wrong_for_this);
    // An import with a wrong passphrase writes nothing.
    let r = &mut ChaCha20Rng::seed_from_u64(12);
    let holder_id = fr_from_hex(shown["holder_id"].as_str().unwrap()).unwrap();
    let credential = dir.path().join("credit.json");
    std::fs::write(&credential, serde_json::to_vec(&CredentialOpening::issue("credit-score", "central-bank", holder_id, 720, 30_000, r)).unwrap()).unwrap();
    refused(zkreg(&["wallet", "import", credential.to_str().unwrap()], &path, Some("not the passphrase")), &wrong_for_this);
    assert_eq!(std::fs::read(&path).unwrap(), before);

    // No passphrase and no terminal to type it on: the error says where to put it.
    refused(zkreg(&["wallet", "show"], &path, None), ENV);
    refused(zkreg(&["wallet", "show"], &path, Some("")), &format!("{ENV} is set but empty"));
    assert_eq!(std::fs::read(&path).unwrap(), before);
    ok(zkreg(&["wallet", "show", "--json"], &path, Some(PASSPHRASE)));
}

#[test]
fn new_refuses_an_empty_passphrase_and_an_existing_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("wallet.json");
    refused(zkreg(&["wallet", "new"], &path, Some("")), "empty");
    refused(zkreg(&["wallet", "new"], &path, None), ENV);
    assert!(!path.exists());
    let (path, _) = new_wallet(dir.path());
    let before = std::fs::read(&path).unwrap();
    refused(zkreg(&["wallet", "new"], &path, Some(PASSPHRASE)), "not overwriting");
    assert_eq!(std::fs::read(&path).unwrap(), before);
}

#[test]
fn a_corrupted_or_truncated_wallet_is_a_clear_error_never_a_panic() {
    let dir = tempfile::tempdir().unwrap();
    let (path, _) = new_wallet(dir.path());
    let file = std::fs::read(&path).unwrap();
    // The header ends with the line `--- <MAC>`; a 16-byte nonce and the
    // encrypted contents follow.
    let mac_line = file.windows(4).position(|w| w == b"\n---").unwrap() + 1;
    let header_end = mac_line + file[mac_line..].iter().position(|&b| b == b'\n').unwrap() + 1;
    let flipped = |at: usize| {
        let mut bad = file.clone();
        bad[at] ^= 0x01;
        bad
    };
    let corrupted = "is not a wallet file, or is corrupted";
    for (name, bytes) in [
        ("empty", Vec::new()),
        ("garbage", b"\x00\x01\x02garbage".to_vec()),
        ("cut in the header", file[..mac_line / 2].to_vec()),
        ("header only", file[..header_end].to_vec()),
        ("cut in the contents", file[..header_end + 16 + (file.len() - header_end - 16) / 2].to_vec()),
        ("last byte cut", file[..file.len() - 1].to_vec()),
        ("a MAC byte flipped", flipped(mac_line + 5)),
        ("a nonce byte flipped", flipped(header_end + 3)),
        ("a contents byte flipped", flipped(file.len() - 20)),
        ("the last byte flipped", flipped(file.len() - 1)),
    ] {
        let bad = dir.path().join(format!("{}.json", name.replace(' ', "-")));
        std::fs::write(&bad, &bytes).unwrap();
        let err = refused(zkreg(&["wallet", "show"], &bad, Some(PASSPHRASE)), &bad.display().to_string());
        assert!(err.contains(corrupted), "{name}: {err}");
        assert_eq!(std::fs::read(&bad).unwrap(), bytes, "{name}: the file is left as it was");
    }
    // A flipped byte in the passphrase stanza cannot be told from a wrong
    // passphrase (either way the key does not unwrap): still a clear error.
    let stanza = file.iter().position(|&b| b == b'\n').unwrap() + 12;
    let bad = dir.path().join("stanza.json");
    std::fs::write(&bad, flipped(stanza)).unwrap();
    refused(zkreg(&["wallet", "show"], &bad, Some(PASSPHRASE)), &bad.display().to_string());
}

#[test]
fn migrate_encrypts_a_plaintext_wallet_in_place_once() {
    let dir = tempfile::tempdir().unwrap();
    let wallet = Wallet::from_seed([7; 32]);
    let seed = wallet.seed_hex().to_string();
    let r = &mut ChaCha20Rng::seed_from_u64(13);
    let credential = CredentialOpening::issue("credit-score", "central-bank", wallet.holder_id(), 720, 30_000, r);
    let old = json!({"seed": seed, "credentials": [credential]});
    let path = dir.path().join("old.wallet.json");
    std::fs::write(&path, serde_json::to_vec_pretty(&old).unwrap()).unwrap();

    // Every reader refuses a plaintext wallet and names the command that encrypts it.
    let migrate_it = format!("zkreg wallet migrate --wallet {}", path.display());
    refused(zkreg(&["wallet", "show"], &path, Some(PASSPHRASE)), &migrate_it);
    refused(zkreg(&["wallet", "show"], &path, None), &migrate_it);
    // Migrating needs a passphrase too, and refuses an empty one.
    refused(zkreg(&["wallet", "migrate"], &path, None), ENV);
    refused(zkreg(&["wallet", "migrate"], &path, Some("")), "empty");
    assert_eq!(std::fs::read(&path).unwrap(), serde_json::to_vec_pretty(&old).unwrap());

    let done = ok(zkreg(&["wallet", "migrate", "--json"], &path, Some(PASSPHRASE)));
    assert_eq!(done["encrypted"], true);
    let file = std::fs::read(&path).unwrap();
    assert!(encryption::is_encrypted(&file));
    let salt = old["credentials"][0]["salt"].as_str().unwrap();
    assert_nothing_in_the_clear(&file, &[&seed, salt], &old);
    assert_eq!(plaintext(&path)["seed"], old["seed"]);

    let shown = ok(zkreg(&["wallet", "show", "--json"], &path, Some(PASSPHRASE)));
    assert_eq!(shown["holder_id"], done["holder_id"]);
    assert_eq!(shown["auth_key"], hex::encode(wallet.auth_public()));
    assert_eq!(shown["credentials"].as_array().map(Vec::len), Some(1));

    refused(zkreg(&["wallet", "migrate"], &path, Some(PASSPHRASE)), "already encrypted");
    assert_eq!(std::fs::read(&path).unwrap(), file);
    refused(zkreg(&["wallet", "migrate"], &dir.path().join("missing.json"), Some(PASSPHRASE)), "missing.json");
}
