//! The trusted setup ceremony and the exports through the real `zkreg`
//! program, with real files (the library is tested in tests/ceremony.rs):
//!
//! - `zkreg ceremony dev-ptau`, `init`, two `contribute`s (each prints its
//!   contribution hash), `verify` (lists each contributor's name and that
//!   hash) and `finalize`, whose key directory runs `zkreg dev --keys`: a
//!   credential issued there is proved with `zkreg prove` and the
//!   presentation verified by `zkreg verify`;
//! - `zkreg export snarkjs` of that presentation is accepted by `snarkjs
//!   groth16 verify`; `zkreg export wtns` for the same request passes
//!   `snarkjs wtns check`, and `snarkjs groth16 prove` with the ceremony's
//!   zkey and that witness makes a proof of the same public signals that
//!   snarkjs and zkreg's verifier accept;
//! - refusals, each a clear error (exit 1): `export wtns` of a Bulletproofs
//!   predicate, of a predicate the request lacks, of an unsigned request,
//!   of a request from an unregistered verifier, of a predicate the wallet
//!   cannot answer, over an existing file; `ceremony verify` and
//!   `contribute` of a truncated zkey; `finalize` of a zkey without
//!   contribution.
//!
//! One ceremony for the whole file (`init` and `verify` each take about a
//! minute). snarkjs: `ZKREG_SNARKJS`, else `tools/node_modules/.bin/snarkjs`
//! (`npm ci --prefix tools`); without it the snarkjs checks are skipped
//! with a note, unless `ZKREG_REQUIRE_SNARKJS=1`, which makes it a failure.

mod common;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::OnceLock;
use std::time::Instant;

use serde_json::Value;

use common::{zkreg, zkreg_json};

use zkreg_verifier::snarkjs::{proof_from_json, public_from_json};
use zkreg_verifier::PredicateVerifier;

/// The contributors, in turn (names with spaces, as the README's runbook has).
const CONTRIBUTORS: [&str; 2] = ["Ministry of Finance", "Central Bank"];

/// The passphrase of the dev node's citizen wallet in these tests.
const PASSPHRASE: &str = "ceremony cli test passphrase";

/// The ceremony's files, made once through the commands.
struct Ceremony {
    _dir: tempfile::TempDir,
    dir: PathBuf,
    ptau: PathBuf,
    r1cs: PathBuf,
    initial: PathBuf,
    /// The last contribution's zkey.
    zkey: PathBuf,
    /// `finalize`'s key directory.
    keys: PathBuf,
}

fn path(p: &Path) -> &str {
    p.to_str().expect("a UTF-8 temporary path")
}

/// The command succeeded; its standard output.
fn stdout_of(args: &[&str], out: Output) -> String {
    assert!(out.status.success(), "zkreg {args:?} failed: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The command was refused with a clear error (exit 1, not a panic)
/// containing each of `wanted`.
fn assert_refused(out: Output, wanted: &[&str]) {
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    for want in wanted {
        assert!(stderr.contains(want), "expected {want:?} in: {stderr}");
    }
}

/// Runs `zkreg ceremony ARGS` in text mode, timed.
fn ceremony_step(args: &[&str]) -> String {
    let start = Instant::now();
    let all: Vec<&str> = ["ceremony"].iter().chain(args).copied().collect();
    let text = stdout_of(&all, zkreg(&all));
    eprintln!("zkreg ceremony {}: {:?}", args[0], start.elapsed());
    text
}

/// The contribution hash `contribute` prints (snarkjs' four lines of four
/// words), as the hex `verify` lists.
fn printed_hash(text: &str) -> String {
    let (_, after) = text.split_once("contribution hash (publish it):\n").unwrap_or_else(|| panic!("no contribution hash in: {text}"));
    let hash: String = after.lines().take(4).flat_map(|line| line.split(' ')).collect();
    assert_eq!(hash.len(), 128, "a 64-byte hash: {text}");
    assert!(hash.bytes().all(|b| b.is_ascii_hexdigit()), "{text}");
    hash
}

fn ceremony() -> &'static Ceremony {
    static CEREMONY: OnceLock<Ceremony> = OnceLock::new();
    CEREMONY.get_or_init(|| {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().to_owned();
        let ptau = dir.join("dev.ptau");
        let files = dir.join("ceremony");
        ceremony_step(&["dev-ptau", "--out", path(&ptau)]);
        let text = ceremony_step(&["init", "--ptau", path(&ptau), "--out", path(&files)]);
        assert!(text.contains("predicate_0000.zkey"), "{text}");
        let (r1cs, initial) = (files.join("predicate.r1cs"), files.join("predicate_0000.zkey"));

        let mut zkey = initial.clone();
        let mut hashes = Vec::new();
        for (i, name) in CONTRIBUTORS.iter().enumerate() {
            let next = files.join(format!("predicate_{:04}.zkey", i + 1));
            let text = ceremony_step(&["contribute", "--in", path(&zkey), "--out", path(&next), "--name", name]);
            hashes.push(printed_hash(&text));
            zkey = next;
        }
        assert_ne!(hashes[0], hashes[1]);

        // Every participant finds its own name and the hash it was shown.
        let text = ceremony_step(&["verify", "--r1cs", path(&r1cs), "--ptau", path(&ptau), "--zkey", path(&zkey)]);
        let mut expected = vec![format!("ceremony verified: {} contribution(s)", CONTRIBUTORS.len())];
        expected.extend(CONTRIBUTORS.iter().zip(&hashes).enumerate().map(|(i, (name, hash))| format!("#{} {name}: {hash}", i + 1)));
        assert_eq!(text.lines().collect::<Vec<_>>(), expected);

        let keys = dir.join("keys");
        let text = ceremony_step(&["finalize", "--zkey", path(&zkey), "--out", path(&keys)]);
        assert!(text.contains(&format!("after {} contribution(s)", CONTRIBUTORS.len())), "{text}");
        for file in ["predicate.pk", "predicate.vk", "predicate.vk.sha256"] {
            assert!(keys.join(file).is_file(), "finalize wrote no {file}");
        }
        Ceremony { _dir: tmp, dir, ptau, r1cs, initial, zkey, keys }
    })
}

// ---------------------------------------------------------------------------
// A dev node on the ceremony's keys
// ---------------------------------------------------------------------------

/// `zkreg dev --keys` running in the background; killed when dropped.
struct DevNode {
    child: Child,
    dir: PathBuf,
    url: String,
}

impl DevNode {
    fn start(dir: PathBuf, keys: &Path) -> DevNode {
        let mut child = Command::new(env!("CARGO_BIN_EXE_zkreg"))
            .args(["dev", "--dir", path(&dir), "--listen", "127.0.0.1:0", "--keys", path(keys)])
            .env("ZKREG_WALLET_PASSPHRASE", PASSPHRASE)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("run zkreg dev");
        // The node's URL is on the line it prints once the registrations are done.
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let url = loop {
            let Some(Ok(line)) = lines.next() else {
                let _ = child.kill();
                panic!("zkreg dev exited before it was ready: {:?}", child.wait());
            };
            if let Some(rest) = line.strip_prefix("zkreg dev node on ") {
                break rest.split_whitespace().next().unwrap().to_owned();
            }
        };
        // The rest of its output, read so the node never blocks on a full pipe.
        std::thread::spawn(move || lines.for_each(drop));
        DevNode { child, dir, url }
    }

    fn file(&self, name: &str) -> String {
        path(&self.dir.join(name)).to_owned()
    }

    /// A holder's command on the dev citizen's wallet.
    fn holder(&self, args: &[&str]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_zkreg"))
            .args(args)
            .args(["--wallet", &self.file("citizen.wallet.json")])
            .env("ZKREG_WALLET_PASSPHRASE", PASSPHRASE)
            .stdin(Stdio::null())
            .output()
            .expect("run zkreg")
    }

    /// A holder's command that reads the ledger, with its JSON answer.
    fn holder_json(&self, args: &[&str]) -> Value {
        let text = stdout_of(args, self.holder(args));
        serde_json::from_str(text.trim()).unwrap_or_else(|e| panic!("zkreg {args:?}: {e}: {text}"))
    }

    /// A proof request from the dev bank (credit-score OP VALUE, `extra`
    /// flags), signed and written to the file `name`; its path.
    fn request(&self, name: &str, op: &str, value: &str, extra: &[&str]) -> String {
        let (out, key) = (self.file(name), self.file("bank.key"));
        let mut args: Vec<&str> = vec!["request", "--node", &self.url, "--key", &key, "--verifier", "bank-a", "--scope", "bank-a/loans"];
        args.extend_from_slice(&["--schema", "credit-score", "--op", op, "--value", value, "--out", &out, "--json"]);
        args.extend(extra);
        zkreg_json(&args);
        out
    }
}

impl Drop for DevNode {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

// ---------------------------------------------------------------------------
// snarkjs
// ---------------------------------------------------------------------------

/// The pinned snarkjs, or `None` (after a note) if its checks are skipped;
/// a failure if it is missing and `ZKREG_REQUIRE_SNARKJS=1`.
fn locate_snarkjs() -> Option<PathBuf> {
    let bin = std::env::var_os("ZKREG_SNARKJS")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../tools/node_modules/.bin/snarkjs"));
    if bin.is_file() {
        return Some(bin);
    }
    assert_ne!(std::env::var("ZKREG_REQUIRE_SNARKJS").as_deref(), Ok("1"), "snarkjs not found at {} but ZKREG_REQUIRE_SNARKJS=1: npm ci --prefix tools", bin.display());
    eprintln!("snarkjs not installed; skipping its checks: npm ci --prefix tools");
    None
}

/// `snarkjs ARGS` in `dir` succeeded (timed); its output, both streams.
fn snarkjs(bin: &Path, dir: &Path, args: &[&str]) -> String {
    let start = Instant::now();
    let out = Command::new(bin).args(args).current_dir(dir).output().unwrap_or_else(|e| panic!("cannot run {}: {e}", bin.display()));
    eprintln!("snarkjs {}: {:?}", args[..2].join(" "), start.elapsed());
    let text = String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "snarkjs {args:?} failed ({:?}): {text}", out.status.code());
    text
}

fn read_json(path: &Path) -> Value {
    serde_json::from_slice(&std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))).unwrap()
}

// ---------------------------------------------------------------------------
// Tests
// ---------------------------------------------------------------------------

#[test]
fn the_ceremony_keys_prove_on_a_node_and_export_to_snarkjs() {
    let c = ceremony();
    let start = Instant::now();
    let node = DevNode::start(c.dir.join("dev"), &c.keys);
    eprintln!("zkreg dev --keys: ready after {:?}", start.elapsed());

    // A credential for the dev citizen, in its wallet.
    let shown = node.holder_json(&["wallet", "show", "--json"]);
    let credential = node.file("credit.json");
    zkreg_json(&[
        "issue", "--node", &node.url, "--key", &node.file("central-bank.key"), "--issuer", "central-bank", "--schema", "credit-score",
        "--holder", shown["holder_id"].as_str().unwrap(), "--value", "742", "--out", &credential, "--json",
    ]);
    node.holder_json(&["wallet", "import", &credential, "--json"]);

    // zkreg prove with the ceremony's keys; the node verifies the presentation.
    let request = node.request("request.json", ">=", "700", &[]);
    let presentation = node.file("presentation.json");
    let start = Instant::now();
    node.holder_json(&["prove", "--node", &node.url, "--keys", path(&c.keys), "--request", &request, "--out", &presentation, "--json"]);
    eprintln!("zkreg prove with the ceremony's keys: {:?}", start.elapsed());
    let verified = zkreg_json(&["verify", "--node", &node.url, "--key", &node.file("bank.key"), "--presentation", &presentation, "--json"]);
    assert_eq!(verified["verified"], true, "{verified}");

    // The presentation for snarkjs, and the witness of the same request.
    let exported = c.dir.join("snarkjs");
    let answer = zkreg_json(&["export", "snarkjs", "--presentation", &presentation, "--request", &request, "--keys", path(&c.keys), "--out", path(&exported), "--json"]);
    assert_eq!(answer["proofs"], serde_json::json!([0]));
    let wtns = exported.join("witness.wtns");
    let answer = node.holder_json(&["export", "wtns", "--node", &node.url, "--keys", path(&c.keys), "--request", &request, "--out", path(&wtns), "--json"]);
    assert_eq!(answer["public"], read_json(&exported.join("public_0.json")), "the witness is of the statement zkreg prove proved");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(std::fs::metadata(&wtns).unwrap().permissions().mode() & 0o077, 0, "the witness holds the wallet's secret: owner-only");
    }
    export_wtns_refusals(&node, &c.keys, &request);

    let Some(bin) = locate_snarkjs() else { return };
    let d = exported.as_path();
    let text = snarkjs(&bin, d, &["groth16", "verify", "verification_key.json", "public_0.json", "proof_0.json"]);
    assert!(text.contains("OK"), "{text}");
    let text = snarkjs(&bin, d, &["wtns", "check", path(&c.r1cs), "witness.wtns"]);
    assert!(text.contains("WITNESS IS CORRECT"), "{text}");
    // A prover on the same formats (as rapidsnark would be) proves with the zkey and the witness.
    snarkjs(&bin, d, &["groth16", "prove", path(&c.zkey), "witness.wtns", "proof.json", "public.json"]);
    assert_eq!(read_json(&d.join("public.json")), read_json(&d.join("public_0.json")));
    let text = snarkjs(&bin, d, &["groth16", "verify", "verification_key.json", "public.json", "proof.json"]);
    assert!(text.contains("OK"), "{text}");
    let vk = zkreg_prover::keys::load_verifying_key(&c.keys.join("predicate.vk")).unwrap();
    let proof = proof_from_json(&read_json(&d.join("proof.json"))).unwrap();
    let public = public_from_json(&read_json(&d.join("public.json"))).unwrap();
    PredicateVerifier::new(vk).unwrap().verify_inputs(&proof, &public).expect("zkreg's verifier accepts snarkjs's proof");
}

/// `zkreg export wtns` refuses what `zkreg prove` refuses, and what has no witness.
fn export_wtns_refusals(node: &DevNode, keys: &Path, request: &str) {
    let wtns = node.file("refused.wtns");
    let export = |request: &str, extra: &[&str]| {
        let mut args: Vec<&str> = vec!["export", "wtns", "--node", &node.url, "--keys", path(keys), "--request", request, "--out", &wtns];
        args.extend(extra);
        node.holder(&args)
    };
    let bulletproofs = node.request("request-bp.json", ">=", "700", &["--bulletproofs"]);
    assert_refused(export(&bulletproofs, &[]), &["predicate 0 asks for a Bulletproofs range proof", "only for a Groth16 predicate"]);
    assert_refused(export(request, &["--predicate", "1"]), &["the request has 1 predicate(s): there is no predicate 1"]);
    let too_high = node.request("request-800.json", ">=", "800", &[]);
    assert_refused(export(&too_high, &[]), &["no credential satisfies predicate 0"]);

    let tampered = |name: &str, change: &dyn Fn(&mut Value)| {
        let mut value = read_json(Path::new(request));
        change(&mut value);
        let file = node.file(name);
        std::fs::write(&file, value.to_string()).unwrap();
        file
    };
    let unsigned = tampered("unsigned.json", &|r| r["signature"] = Value::Null);
    assert_refused(export(&unsigned, &[]), &["not answering this request"]);
    let other_scope = tampered("other-scope.json", &|r| r["scope"] = "bank-a/mortgages".into());
    assert_refused(export(&other_scope, &[]), &["not answering this request", "does not verify under the verifier's key"]);
    let stranger = tampered("stranger.json", &|r| {
        r["verifier"] = "bank-z".into();
        r["scope"] = "bank-z/loans".into();
    });
    assert_refused(export(&stranger, &[]), &["verifier `bank-z` is not registered"]);
    assert!(!Path::new(&wtns).exists(), "nothing written on a refusal");

    std::fs::write(&wtns, b"already here").unwrap();
    assert_refused(export(request, &[]), &["exists; not overwriting it"]);
    assert_eq!(std::fs::read(&wtns).unwrap(), b"already here");
}

#[test]
fn the_ceremony_commands_refuse_a_truncated_or_uncontributed_zkey() {
    let c = ceremony();
    let bytes = std::fs::read(&c.zkey).unwrap();
    let cut = c.dir.join("truncated.zkey");
    std::fs::write(&cut, &bytes[..bytes.len() / 2]).unwrap();
    let cut = path(&cut);
    let out = zkreg(&["ceremony", "verify", "--r1cs", path(&c.r1cs), "--ptau", path(&c.ptau), "--zkey", cut]);
    assert_refused(out, &[&format!("{cut} is not a zkey"), "truncated"]);
    let next = c.dir.join("after-truncated.zkey");
    assert_refused(zkreg(&["ceremony", "contribute", "--in", cut, "--out", path(&next), "--name", "late"]), &["is not a zkey", "truncated"]);
    assert!(!next.exists());
    let keys = c.dir.join("keys-uncontributed");
    assert_refused(zkreg(&["ceremony", "finalize", "--zkey", path(&c.initial), "--out", path(&keys)]), &["contribution"]);
    assert!(!keys.join("predicate.pk").exists());
}

#[test]
fn export_help_lists_both_exports() {
    let help = stdout_of(&["export", "--help"], zkreg(&["export", "--help"]));
    for line in ["snarkjs", "wtns"] {
        assert!(help.lines().any(|l| l.trim_start().starts_with(line)), "no {line} in: {help}");
    }
}
