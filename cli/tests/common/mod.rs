//! What the `zkreg` program's tests share: key files, and running the
//! program with its JSON answer.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use ed25519_dalek::SigningKey;
use serde_json::Value;

/// Writes `key` as a `zkreg` key file `dir/name`.
pub fn key_file(dir: &Path, name: &str, key: &SigningKey) -> PathBuf {
    let path = dir.join(name);
    let file = serde_json::json!({"public": hex::encode(key.verifying_key().to_bytes()), "secret": hex::encode(key.to_bytes())});
    std::fs::write(&path, file.to_string()).unwrap();
    path
}

/// Runs `zkreg` with `args`.
pub fn zkreg(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_zkreg")).args(args).output().expect("run zkreg")
}

/// Runs `zkreg` with `args` (which must succeed) and parses the JSON object
/// on the last line of its output.
pub fn zkreg_json(args: &[&str]) -> Value {
    let out = zkreg(args);
    assert!(out.status.success(), "zkreg {args:?} failed: {}", String::from_utf8_lossy(&out.stderr));
    let last = String::from_utf8_lossy(&out.stdout).lines().last().unwrap_or_default().to_owned();
    serde_json::from_str(&last).unwrap_or_else(|e| panic!("zkreg {args:?}: {e}: {last}"))
}
