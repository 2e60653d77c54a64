//! The private layer over real HTTP: a regulator's node keeps its records
//! sealed; the regulator, the holder and a granted auditor may read them,
//! everyone else is refused and every refusal is audited; grants expire;
//! purge keeps the anchor and the event, and a legal hold stops it; the
//! data key rotates while the node serves; nothing protected is on disk in
//! the clear.

mod common;

use std::collections::BTreeMap;
use std::path::Path;
use std::time::{Duration, Instant};

use ed25519_dalek::SigningKey;

use common::{App, CREDIT};
use zkreg_api::client::ClientError;
use zkreg_api::dto::private::{NewGrantBody, PrivateRecordBody, StoredRecord};
use zkreg_circuits::field::{fr_to_bytes, fr_to_hex};
use zkreg_prover::{CredentialOpening, Wallet};
use zkreg_registry::private::Keyring;

/// What must never be on disk in the clear.
const SUBJECT: &str = "NID-55501-XK-private-subject";
const REGION: &str = "Rivers-North-Ward-7-private";

fn data_key(n: u8) -> [u8; 32] {
    [0x40 + n; 32]
}

/// A node whose regulator keeps a private layer, its keyring in `keyring_file`.
fn spawn_private(keyring_file: &Path) -> App {
    common::spawn_private_with(keyring_file, data_key(1), |_| ())
}

/// The regulator issues a credit score to `wallet` with its private record:
/// the record goes to its node, the transaction anchors the record's hash.
fn issue_recorded(app: &App, wallet: &Wallet, value: u64, seed: u64) -> (CredentialOpening, PrivateRecordBody, StoredRecord) {
    let attributes = BTreeMap::from([("score".into(), value.to_string()), ("region".into(), REGION.into())]);
    common::issue_recorded(app, wallet, value, format!("{SUBJECT}-{seed}"), attributes, seed)
}

fn refused(r: Result<impl std::fmt::Debug, ClientError>) -> (u16, String) {
    match r {
        Err(ClientError::Api { status, code, .. }) => (status, code),
        other => panic!("expected a refusal, got {other:?}"),
    }
}

fn audit_actions(app: &App) -> Vec<(String, String, Option<String>)> {
    let page = app.client.audit_page(&app.regulator, 0).unwrap();
    page.events.into_iter().map(|e| (e.action, e.actor, e.record)).collect()
}

#[test]
fn each_role_is_allowed_or_refused_and_every_refusal_is_audited() {
    let dir = tempfile::tempdir().unwrap();
    let app = spawn_private(&dir.path().join("data.keys"));
    let holder = Wallet::from_seed([31; 32]);
    let (_, record, stored) = issue_recorded(&app, &holder, 731, 1);
    let id = stored.info.id.clone();

    // The anchor is on the public layer, in the issuing transaction's block.
    let anchor = app.client.record_anchor(&id).unwrap();
    assert_eq!(anchor.height, stored.receipt.height);

    // The regulator and the holder read it.
    let by_regulator = app.client.read_record(&app.regulator, &id).unwrap();
    assert_eq!(by_regulator.record.subject, record.subject);
    let by_holder = app.client.read_record(holder.auth_key(), &id).unwrap();
    assert_eq!(by_holder.record.attributes, record.attributes);
    let mine = app.client.my_records(holder.auth_key()).unwrap();
    assert_eq!(mine.len(), 1);
    assert_eq!(mine[0].record.credential, record.credential);

    // Everyone else: 403, whatever they try.
    let stranger = SigningKey::from_bytes(&[0x61; 32]);
    let auditor = SigningKey::from_bytes(&[0x62; 32]);
    let other_holder = Wallet::from_seed([32; 32]);
    let mut refusals = 0;
    for key in [&stranger, &auditor, other_holder.auth_key(), &app.bank, &app.authority] {
        assert_eq!(refused(app.client.read_record(key, &id)), (403, "forbidden".into()));
        assert_eq!(refused(app.client.purge_record(key, &id)), (403, "forbidden".into()));
        assert_eq!(refused(app.client.list_records(key, None)), (403, "forbidden".into()));
        assert_eq!(refused(app.client.audit_page(key, 0)), (403, "forbidden".into()));
        refusals += 4;
    }
    assert_eq!(refused(app.client.grant(holder.auth_key(), &grant_body(&auditor, Some(&id), 60))), (403, "forbidden".into()));
    assert_eq!(refused(app.client.rotate_data_key(&stranger)), (403, "forbidden".into()));
    refusals += 2;
    assert!(app.client.my_records(other_holder.auth_key()).unwrap().is_empty(), "another holder's list is empty");
    // An unsigned call never reaches the private layer.
    let (status, _) = app.get(&format!("/v1/private/records/{id}"));
    assert_eq!(status, 401);

    let events = audit_actions(&app);
    let refuse_events = events.iter().filter(|(a, _, _)| a == "refuse").count();
    assert_eq!(refuse_events, refusals, "one audit event per refusal: {events:?}");
    for key in [&stranger, &auditor, &app.bank] {
        let actor = hex::encode(key.verifying_key().to_bytes());
        assert!(events.iter().any(|(a, who, _)| a == "refuse" && *who == actor), "the refusal of {actor} is audited");
    }
    let reads = events.iter().filter(|(a, _, r)| a == "read" && r.as_deref() == Some(id.as_str())).count();
    assert_eq!(reads, 3, "the regulator's, the holder's and the holder's listing: {events:?}");

    // The audit log verifies as a chain.
    let log = std::fs::read(app.node().config().data_dir.join("private").join("audit.log")).unwrap();
    zkreg_registry::private::audit::verify_log(&log).unwrap();
}

fn grant_body(auditor: &SigningKey, record: Option<&str>, secs: u64) -> NewGrantBody {
    NewGrantBody {
        auditor: hex::encode(auditor.verifying_key().to_bytes()),
        records: record.map(|r| vec![r.to_owned()]),
        schema: record.is_none().then(|| CREDIT.to_owned()),
        valid_for_secs: secs,
    }
}

#[test]
fn a_grant_opens_its_records_until_it_expires_and_is_anchored() {
    let dir = tempfile::tempdir().unwrap();
    let app = spawn_private(&dir.path().join("data.keys"));
    let (_, _, first) = issue_recorded(&app, &Wallet::from_seed([41; 32]), 640, 2);
    let (_, _, second) = issue_recorded(&app, &Wallet::from_seed([42; 32]), 810, 3);
    let auditor = SigningKey::from_bytes(&[0x71; 32]);
    let schema_auditor = SigningKey::from_bytes(&[0x72; 32]);

    let grant = app.client.grant(&app.regulator, &grant_body(&auditor, Some(&first.info.id), 2)).unwrap();
    let anchors = app.client.audit_anchors(&app.regulator.verifying_key().to_bytes()).unwrap();
    assert!(anchors.iter().any(|a| a.kind == "audit-grant" && a.subject_hash == grant.id), "the grant's hash is on the ledger");
    app.client.grant(&app.regulator, &grant_body(&schema_auditor, None, 60)).unwrap();

    // The record grant opens its record only; the schema grant opens both.
    assert_eq!(app.client.read_record(&auditor, &first.info.id).unwrap().info.id, first.info.id);
    assert_eq!(refused(app.client.read_record(&auditor, &second.info.id)), (403, "forbidden".into()));
    for r in [&first, &second] {
        app.client.read_record(&schema_auditor, &r.info.id).unwrap();
    }
    // An auditor with a current grant may read the audit log; disclosures are in it.
    let page = app.client.audit_page(&schema_auditor, 0).unwrap();
    assert_eq!(page.events.iter().filter(|e| e.action == "disclose").count(), 3);

    // Invalid grants are refused before anything is anchored.
    for bad in [grant_body(&auditor, Some(&first.info.id), 0), grant_body(&auditor, Some(&first.info.id), 400 * 24 * 3600)] {
        assert_eq!(refused(app.client.grant(&app.regulator, &bad)), (400, "invalid_grant".into()));
    }
    let both = NewGrantBody { schema: Some(CREDIT.into()), ..grant_body(&auditor, Some(&first.info.id), 10) };
    assert_eq!(refused(app.client.grant(&app.regulator, &both)), (400, "invalid_grant".into()));

    // After its end, the grant opens nothing, and the refusal is audited.
    let deadline = Instant::now() + Duration::from_secs(10);
    while app.client.read_record(&auditor, &first.info.id).is_ok() {
        assert!(Instant::now() < deadline, "the grant did not expire");
        std::thread::sleep(Duration::from_millis(250));
    }
    assert_eq!(refused(app.client.read_record(&auditor, &first.info.id)), (403, "forbidden".into()));
    let actor = hex::encode(auditor.verifying_key().to_bytes());
    assert!(audit_actions(&app).iter().any(|(a, who, r)| a == "refuse" && *who == actor && r.as_deref() == Some(first.info.id.as_str())));
}

#[test]
fn purge_keeps_the_anchor_and_the_event_and_a_legal_hold_stops_it() {
    let dir = tempfile::tempdir().unwrap();
    let app = spawn_private(&dir.path().join("data.keys"));
    let holder = Wallet::from_seed([51; 32]);
    let (_, _, stored) = issue_recorded(&app, &holder, 700, 4);
    let id = stored.info.id.clone();

    assert!(app.client.hold_record(&app.regulator, &id, true).unwrap().legal_hold);
    assert_eq!(refused(app.client.purge_record(&app.regulator, &id)), (409, "legal_hold".into()));
    app.client.read_record(&holder.auth_key().clone(), &id).expect("a refused purge changes nothing");
    assert!(!app.client.hold_record(&app.regulator, &id, false).unwrap().legal_hold);

    let purged = app.client.purge_record(&app.regulator, &id).unwrap();
    assert!(purged.purged_at.is_some());
    assert_eq!(refused(app.client.read_record(&app.regulator, &id)), (409, "record_purged".into()));
    assert_eq!(refused(app.client.purge_record(&app.regulator, &id)), (409, "record_purged".into()));
    assert!(app.client.my_records(holder.auth_key()).unwrap().is_empty());
    // The anchor stays on the public layer, and the audit log says what happened.
    assert_eq!(app.client.record_anchor(&id).unwrap().height, stored.receipt.height);
    let events = audit_actions(&app);
    let on_record: Vec<&str> = events.iter().filter(|(_, _, r)| r.as_deref() == Some(id.as_str())).map(|(a, _, _)| a.as_str()).collect();
    assert_eq!(on_record, ["put", "hold", "refuse", "read", "hold", "purge", "read", "refuse"], "{events:?}");
    // The record's ciphertext is gone from the store.
    assert_eq!(app.node().private().unwrap().key_usage().values().sum::<usize>(), 0);
}

#[test]
fn the_data_key_rotates_while_the_node_serves_and_a_wrong_key_is_refused_at_start() {
    let dir = tempfile::tempdir().unwrap();
    let keyring = dir.path().join("data.keys");
    let mut app = spawn_private(&keyring);
    let holder = Wallet::from_seed([61; 32]);
    let ids: Vec<String> = (0..3).map(|i| issue_recorded(&app, &holder, 600 + i, 10 + i).2.info.id).collect();
    assert_eq!(app.node().private().unwrap().key_usage(), BTreeMap::from([(1, 3)]));

    // Rotation needs the regulator; it re-reads the file.
    std::fs::write(&keyring, format!("1:{}\n2:{}\n", hex::encode(data_key(1)), hex::encode(data_key(2)))).unwrap();
    let rotation = app.client.rotate_data_key(&app.regulator).unwrap();
    assert_eq!((rotation.current_key, rotation.reencrypted), (2, 3));
    assert_eq!(app.node().private().unwrap().key_usage(), BTreeMap::from([(2, 3)]));
    for id in &ids {
        app.client.read_record(holder.auth_key(), id).unwrap();
    }
    // A record stored now is sealed under key 2.
    issue_recorded(&app, &holder, 650, 20);
    assert_eq!(app.node().private().unwrap().key_usage(), BTreeMap::from([(2, 4)]));

    // Restarted with key 2 alone, every record opens.
    let only_new = format!("2:{}\n", hex::encode(data_key(2)));
    std::fs::write(&keyring, &only_new).unwrap();
    set_keyring(&mut app, &only_new);
    app.restart();
    for id in &ids {
        app.client.read_record(&app.regulator, id).unwrap();
    }

    // A node given the wrong key refuses to start, saying so.
    let wrong = format!("2:{}\n", hex::encode(data_key(9)));
    set_keyring(&mut app, &wrong);
    let err = app.try_restart().expect_err("a wrong data key is refused at start");
    assert!(err.contains("data key"), "{err}");
}

fn set_keyring(app: &mut App, text: &str) {
    app.config_mut().private.as_mut().unwrap().keyring = Keyring::parse(text).unwrap();
}

#[test]
fn no_attribute_value_subject_or_opening_is_on_disk_in_the_clear() {
    let dir = tempfile::tempdir().unwrap();
    let app = spawn_private(&dir.path().join("data.keys"));
    let holder = Wallet::from_seed([71; 32]);
    let mut secrets: Vec<Vec<u8>> = vec![REGION.as_bytes().to_vec()];
    for seed in 30..34 {
        let (opening, record, stored) = issue_recorded(&app, &holder, 700 + seed, seed);
        app.client.read_record(holder.auth_key(), &stored.info.id).unwrap();
        secrets.push(record.subject.into_bytes());
        secrets.push(record.credential.into_bytes());
        let salt = fr_to_bytes(&opening.salt);
        secrets.push(fr_to_hex(&opening.salt).trim_start_matches("0x").as_bytes().to_vec());
        secrets.push(salt.to_vec());
        secrets.push(salt.iter().rev().copied().collect());
    }
    let data_dir = app.node().config().data_dir.clone();
    app.node().flush_all().unwrap();
    let mut scanned = 0;
    for file in walk(&data_dir) {
        let bytes = std::fs::read(&file).unwrap();
        scanned += bytes.len();
        for secret in &secrets {
            assert!(
                !bytes.windows(secret.len()).any(|w| w == secret.as_slice()),
                "{} holds {:?} in the clear",
                file.display(),
                String::from_utf8_lossy(secret)
            );
        }
    }
    assert!(scanned > 0);
}

fn walk(dir: &Path) -> Vec<std::path::PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files.extend(walk(&path));
        } else {
            files.push(path);
        }
    }
    files
}
