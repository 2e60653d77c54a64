//! snarkjs interoperability: a real predicate proof exported to snarkjs JSON is
//! accepted by `snarkjs groth16 verify`, a changed public signal is rejected,
//! the export round-trips, and the parsers reject malformed or invalid points.
//!
//! The live check needs snarkjs: `ZKREG_SNARKJS` (path to the binary), else
//! `tools/node_modules/.bin/snarkjs` (`npm ci --prefix tools`). Without it the
//! live test is skipped with a note on stderr, unless `ZKREG_REQUIRE_SNARKJS=1`,
//! which turns a missing snarkjs into a failure (CI sets it).

use zkreg_suite::locate_snarkjs;
use std::path::Path;
use std::process::{Command, Output};
use std::sync::OnceLock;

use ark_bn254::{Bn254, Fq, Fq2, Fr, G1Affine, G2Affine};
use ark_ec::AffineRepr;
use ark_ff::{BigInteger, One, PrimeField, UniformRand};
use ark_groth16::{prepare_verifying_key, Groth16, Proof, VerifyingKey};
use rand::SeedableRng;
use rand_chacha::ChaCha20Rng;
use serde_json::{json, Value};

use zkreg_circuits::commitment::{self, CredentialFields};
use zkreg_circuits::field::{fr_to_decimal, label, LabelDomain};
use zkreg_circuits::predicate::{PredicateCircuit, PredicateWitness, PublicInputs};
use zkreg_circuits::tree::CommitmentTree;
use zkreg_verifier::snarkjs::{
    proof_from_json, proof_json, public_from_json, public_json, verifying_key_from_json, verifying_key_json,
    SnarkjsError,
};

/// Index of `challenge` among the predicate circuit's public inputs.
const CHALLENGE: usize = 7;

/// One Groth16 setup and one proof for the whole test binary.
struct Fixture {
    vk: VerifyingKey<Bn254>,
    proof: Proof<Bn254>,
    public: Vec<Fr>,
}

fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        let mut rng = ChaCha20Rng::seed_from_u64(20_000);
        let sk = Fr::rand(&mut rng);
        let fields = CredentialFields {
            schema_id: label(LabelDomain::Schema, "credit-score"),
            issuer_id: label(LabelDomain::Issuer, "national-credit-bureau"),
            holder_id: commitment::holder_id(&sk),
            value: 742,
            expiry: 20_500,
            salt: Fr::rand(&mut rng),
        };
        let mut tree = CommitmentTree::new();
        let others: Vec<Fr> = (0..5).map(|_| Fr::rand(&mut rng)).collect();
        tree.append_batch(&others).unwrap();
        let index = tree.append_batch(&[fields.commitment()]).unwrap();
        tree.append_batch(&[Fr::rand(&mut rng)]).unwrap();

        let scope = label(LabelDomain::Scope, "bank-a");
        let public = PublicInputs {
            root: tree.root(),
            schema_id: fields.schema_id,
            issuer_id: fields.issuer_id,
            lo: 700,
            hi: 850,
            today: 20_000,
            scope,
            challenge: label(LabelDomain::Challenge, "request-0001"),
            pseudonym: commitment::pseudonym(&sk, &scope),
        };
        let circuit = PredicateCircuit {
            public,
            witness: PredicateWitness {
                sk,
                value: fields.value,
                expiry: fields.expiry,
                salt: fields.salt,
                path: tree.path(index).unwrap(),
            },
        };

        let pk =
            Groth16::<Bn254>::generate_random_parameters_with_reduction(PredicateCircuit::blank(), &mut rng).unwrap();
        let proof = Groth16::<Bn254>::create_random_proof_with_reduction(circuit, &pk, &mut rng).unwrap();
        let public = public.to_field_elements().to_vec();
        let pvk = prepare_verifying_key(&pk.vk);
        assert!(Groth16::<Bn254>::verify_proof(&pvk, &proof, &public).unwrap(), "arkworks rejects its own proof");
        Fixture { vk: pk.vk, proof, public }
    })
}

// ---------------------------------------------------------------------------
// Live check against snarkjs
// ---------------------------------------------------------------------------


fn write_json(dir: &Path, name: &str, value: &Value) {
    std::fs::write(dir.join(name), serde_json::to_vec_pretty(value).unwrap()).unwrap();
}

fn snarkjs_verify(snarkjs: &Path, dir: &Path) -> Output {
    Command::new(snarkjs)
        .args(["groth16", "verify", "verification_key.json", "public.json", "proof.json"])
        .current_dir(dir)
        .output()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", snarkjs.display()))
}

fn describe(out: &Output) -> String {
    format!(
        "status {:?}\nstdout:\n{}\nstderr:\n{}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

#[test]
fn snarkjs_accepts_the_exported_proof_and_rejects_a_changed_challenge() {
    let Some(snarkjs) = locate_snarkjs() else { return };
    let f = fixture();
    let dir = tempfile::tempdir().unwrap();
    write_json(dir.path(), "verification_key.json", &verifying_key_json(&f.vk));
    write_json(dir.path(), "proof.json", &proof_json(&f.proof));
    write_json(dir.path(), "public.json", &public_json(&f.public));

    let out = snarkjs_verify(&snarkjs, dir.path());
    assert!(out.status.success(), "snarkjs rejected a valid proof: {}", describe(&out));
    assert!(String::from_utf8_lossy(&out.stdout).contains("OK"), "no OK from snarkjs: {}", describe(&out));

    // The same proof under another request's challenge.
    let mut tampered = f.public.clone();
    tampered[CHALLENGE] = label(LabelDomain::Challenge, "request-0002");
    write_json(dir.path(), "public.json", &public_json(&tampered));
    let out = snarkjs_verify(&snarkjs, dir.path());
    assert!(!out.status.success(), "snarkjs accepted a proof under a changed challenge: {}", describe(&out));
    // Rejected by the pairing check, not for a malformed file.
    assert!(String::from_utf8_lossy(&out.stdout).contains("Invalid proof"), "{}", describe(&out));
}

// ---------------------------------------------------------------------------
// Format and round trips
// ---------------------------------------------------------------------------

#[test]
fn export_has_the_snarkjs_shape() {
    let f = fixture();
    let vk = verifying_key_json(&f.vk);
    assert_eq!(vk["protocol"], "groth16");
    assert_eq!(vk["curve"], "bn128");
    assert_eq!(vk["nPublic"], 9);
    assert_eq!(vk["IC"].as_array().unwrap().len(), 10);
    assert_eq!(vk["vk_alpha_1"][2], "1");
    assert_eq!(vk["vk_delta_2"][2], json!(["1", "0"]));
    let proof = proof_json(&f.proof);
    assert_eq!(proof["protocol"], "groth16");
    assert_eq!(proof["curve"], "bn128");
    let public = public_json(&f.public);
    let expected: Vec<Value> = f.public.iter().map(|x| Value::String(fr_to_decimal(x))).collect();
    assert_eq!(public, Value::Array(expected));
}

#[test]
fn export_round_trips() {
    let f = fixture();
    assert_eq!(verifying_key_from_json(&verifying_key_json(&f.vk)).unwrap(), f.vk);
    assert_eq!(proof_from_json(&proof_json(&f.proof)).unwrap(), f.proof);
    assert_eq!(public_from_json(&public_json(&f.public)).unwrap(), f.public);
    // Through text, as the files travel.
    let text = serde_json::to_string(&proof_json(&f.proof)).unwrap();
    assert_eq!(proof_from_json(&serde_json::from_str(&text).unwrap()).unwrap(), f.proof);
    // A vk without the optional vk_alphabeta_12 reads back too.
    let mut vk = verifying_key_json(&f.vk);
    vk.as_object_mut().unwrap().remove("vk_alphabeta_12");
    assert_eq!(verifying_key_from_json(&vk).unwrap(), f.vk);
}

/// Known answer computed with ffjavascript 0.3.1 (the library under snarkjs
/// 0.7.6): `curve.Gt.toObject(curve.pairing(G1.g, G2.g))` and the G2
/// generator, so the tower layout and the coordinate order match snarkjs.
#[test]
fn alphabeta_and_g2_layout_match_snarkjs() {
    let g1 = G1Affine::generator();
    let g2 = G2Affine::generator();
    let vk = VerifyingKey::<Bn254> { alpha_g1: g1, beta_g2: g2, gamma_g2: g2, delta_g2: g2, gamma_abc_g1: vec![g1] };
    let exported = verifying_key_json(&vk);
    assert_eq!(
        exported["vk_beta_2"],
        json!([
            [
                "10857046999023057135944570762232829481370756359578518086990519993285655852781",
                "11559732032986387107991004021392285783925812861821192530917403151452391805634"
            ],
            [
                "8495653923123431417604973247489272438418190587263600148770280649306958101930",
                "4082367875863433681332203403145435568316851327593401208105741076214120093531"
            ],
            ["1", "0"]
        ])
    );
    assert_eq!(
        exported["vk_alphabeta_12"],
        json!([
            [
                [
                    "17264119758069723980713015158403419364912226240334615592005620718956030922389",
                    "1300711225518851207585954685848229181392358478699795190245709208408267917898"
                ],
                [
                    "8894217292938489450175280157304813535227569267786222825147475294561798790624",
                    "1829859855596098509359522796979920150769875799037311140071969971193843357227"
                ],
                [
                    "4968700049505451466697923764727215585075098085662966862137174841375779106779",
                    "12814315002058128940449527172080950701976819591738376253772993495204862218736"
                ]
            ],
            [
                [
                    "4233474252585134102088637248223601499779641130562251948384759786370563844606",
                    "9420544134055737381096389798327244442442230840902787283326002357297404128074"
                ],
                [
                    "13457906610892676317612909831857663099224588803620954529514857102808143524905",
                    "5122435115068592725432309312491733755581898052459744089947319066829791570839"
                ],
                [
                    "8891987925005301465158626530377582234132838601606565363865129986128301774627",
                    "440796048150724096437130979851431985500142692666486515369083499585648077975"
                ]
            ]
        ])
    );
    // This key has delta = gamma (both the generator), as a zkey without a
    // phase-2 contribution does: proofs could be forged under it, so the
    // importer refuses it. With another delta the export round-trips.
    assert_eq!(verifying_key_from_json(&exported), Err(SnarkjsError::GammaEqualsDelta));
    let contributed = VerifyingKey { delta_g2: G2Affine::from(g2 * Fr::from(2u64)), ..vk };
    assert_eq!(verifying_key_from_json(&verifying_key_json(&contributed)).unwrap(), contributed);
}

// ---------------------------------------------------------------------------
// Parser rejections
// ---------------------------------------------------------------------------

fn at(s: &str) -> String {
    s.to_owned()
}

/// `x + q` as a decimal string: the alias snarkjs would silently reduce to `x`.
fn plus_modulus(x: &Fq) -> String {
    let mut big = x.into_bigint();
    let carry = big.add_with_carry(&Fq::MODULUS);
    assert!(!carry, "x + q fits in 256 bits for BN254");
    big.to_string()
}

/// A point on the G2 twist that is not in the r-torsion subgroup.
fn g2_outside_subgroup() -> G2Affine {
    (1u64..)
        .filter_map(|i| G2Affine::get_point_from_x_unchecked(Fq2::new(Fq::from(i), Fq::one()), true))
        .find(|p| !p.is_in_correct_subgroup_assuming_on_curve())
        .unwrap()
}

#[test]
fn rejects_points_off_the_curve() {
    let f = fixture();
    let mut proof = proof_json(&f.proof);
    let y = f.proof.a.y().unwrap() + Fq::one();
    proof["pi_a"][1] = Value::String(y.into_bigint().to_string());
    assert_eq!(proof_from_json(&proof), Err(SnarkjsError::NotOnCurve { at: at("pi_a") }));

    let mut proof = proof_json(&f.proof);
    let x = f.proof.b.x().unwrap().c1 + Fq::one();
    proof["pi_b"][0][1] = Value::String(x.into_bigint().to_string());
    assert_eq!(proof_from_json(&proof), Err(SnarkjsError::NotOnCurve { at: at("pi_b") }));

    let mut vk = verifying_key_json(&f.vk);
    vk["IC"][3][0] = json!("1");
    assert_eq!(verifying_key_from_json(&vk), Err(SnarkjsError::NotOnCurve { at: at("IC[3]") }));
}

#[test]
fn rejects_non_canonical_coordinates() {
    let f = fixture();
    // The modulus itself, and x + q for a valid point's x (same residue as x).
    let mut proof = proof_json(&f.proof);
    proof["pi_c"][0] = Value::String(Fq::MODULUS.to_string());
    assert_eq!(proof_from_json(&proof), Err(SnarkjsError::NonCanonical { at: at("pi_c[0]") }));

    let mut proof = proof_json(&f.proof);
    proof["pi_a"][0] = Value::String(plus_modulus(&f.proof.a.x().unwrap()));
    assert_eq!(proof_from_json(&proof), Err(SnarkjsError::NonCanonical { at: at("pi_a[0]") }));

    let mut vk = verifying_key_json(&f.vk);
    vk["vk_gamma_2"][1][0] = Value::String(plus_modulus(&f.vk.gamma_g2.y().unwrap().c0));
    assert_eq!(verifying_key_from_json(&vk), Err(SnarkjsError::NonCanonical { at: at("vk_gamma_2[1][0]") }));

    // Public signals are checked against r, not q.
    let mut public = public_json(&f.public);
    public[0] = Value::String(Fr::MODULUS.to_string());
    assert_eq!(public_from_json(&public), Err(SnarkjsError::NonCanonical { at: at("public[0]") }));
    let mut public = public_json(&f.public);
    let mut alias = f.public[CHALLENGE].into_bigint();
    assert!(!alias.add_with_carry(&Fr::MODULUS));
    public[CHALLENGE] = Value::String(alias.to_string());
    assert_eq!(public_from_json(&public), Err(SnarkjsError::NonCanonical { at: at("public[7]") }));
}

#[test]
fn rejects_g2_points_outside_the_subgroup() {
    let f = fixture();
    let bad = g2_outside_subgroup();
    assert!(bad.is_on_curve(), "the test point must be on the twist");
    let bad_json = {
        // Borrow the exporter's G2 layout through a proof.
        let p = Proof::<Bn254> { a: f.proof.a, b: bad, c: f.proof.c };
        proof_json(&p)["pi_b"].clone()
    };
    let mut proof = proof_json(&f.proof);
    proof["pi_b"] = bad_json.clone();
    assert_eq!(proof_from_json(&proof), Err(SnarkjsError::NotInSubgroup { at: at("pi_b") }));

    let mut vk = verifying_key_json(&f.vk);
    vk["vk_delta_2"] = bad_json;
    assert_eq!(verifying_key_from_json(&vk), Err(SnarkjsError::NotInSubgroup { at: at("vk_delta_2") }));
}

/// An edit of an exported proof.
type Mutation = fn(&mut Value);

#[test]
fn rejects_wrong_array_lengths() {
    let f = fixture();
    let cases: [(&str, Mutation, SnarkjsError); 4] = [
        (
            "G1 with two coordinates",
            |p| p["pi_a"] = json!([p["pi_a"][0].clone(), p["pi_a"][1].clone()]),
            SnarkjsError::WrongLength { at: at("pi_a"), expected: 3, got: 2 },
        ),
        (
            "G1 with four coordinates",
            |p| p["pi_c"].as_array_mut().unwrap().push(json!("1")),
            SnarkjsError::WrongLength { at: at("pi_c"), expected: 3, got: 4 },
        ),
        (
            "G2 coordinate with three limbs",
            |p| p["pi_b"][1].as_array_mut().unwrap().push(json!("0")),
            SnarkjsError::WrongLength { at: at("pi_b[1]"), expected: 2, got: 3 },
        ),
        (
            "G2 without z",
            |p| {
                p["pi_b"].as_array_mut().unwrap().pop();
            },
            SnarkjsError::WrongLength { at: at("pi_b"), expected: 3, got: 2 },
        ),
    ];
    for (name, mutate, expected) in cases {
        let mut proof = proof_json(&f.proof);
        mutate(&mut proof);
        assert_eq!(proof_from_json(&proof), Err(expected), "{name}");
    }

    let mut vk = verifying_key_json(&f.vk);
    vk["IC"].as_array_mut().unwrap().pop();
    assert_eq!(verifying_key_from_json(&vk), Err(SnarkjsError::WrongLength { at: at("IC"), expected: 10, got: 9 }));
    let mut vk = verifying_key_json(&f.vk);
    vk["vk_alphabeta_12"][1].as_array_mut().unwrap().pop();
    assert_eq!(
        verifying_key_from_json(&vk),
        Err(SnarkjsError::WrongLength { at: at("vk_alphabeta_12[1]"), expected: 3, got: 2 })
    );
}

#[test]
fn rejects_non_numeric_strings_and_wrong_types() {
    let f = fixture();
    for bad in ["abc", "", "-1", "0x1", "1e3", "1_000", " 1", "01", "1.0"] {
        let mut proof = proof_json(&f.proof);
        proof["pi_a"][0] = json!(bad);
        assert_eq!(proof_from_json(&proof), Err(SnarkjsError::NotDecimal { at: at("pi_a[0]") }), "{bad:?}");
        let mut public = public_json(&f.public);
        public[2] = json!(bad);
        assert_eq!(public_from_json(&public), Err(SnarkjsError::NotDecimal { at: at("public[2]") }), "{bad:?}");
    }
    let mut proof = proof_json(&f.proof);
    proof["pi_a"][0] = json!(1);
    assert_eq!(proof_from_json(&proof), Err(SnarkjsError::WrongType { at: at("pi_a[0]"), expected: "a string" }));
    let mut proof = proof_json(&f.proof);
    proof["pi_b"] = json!("pi_b");
    assert_eq!(proof_from_json(&proof), Err(SnarkjsError::WrongType { at: at("pi_b"), expected: "an array" }));
    assert!(matches!(proof_from_json(&json!([])), Err(SnarkjsError::WrongType { .. })));
    assert!(matches!(public_from_json(&json!({"0": "1"})), Err(SnarkjsError::WrongType { .. })));
}

#[test]
fn rejects_bad_headers_and_degenerate_keys() {
    let f = fixture();
    let mut proof = proof_json(&f.proof);
    proof["protocol"] = json!("plonk");
    assert_eq!(proof_from_json(&proof), Err(SnarkjsError::WrongProtocol("plonk".into())));
    let mut proof = proof_json(&f.proof);
    proof["curve"] = json!("bls12381");
    assert_eq!(proof_from_json(&proof), Err(SnarkjsError::WrongCurve("bls12381".into())));
    let mut proof = proof_json(&f.proof);
    proof.as_object_mut().unwrap().remove("pi_c");
    assert_eq!(proof_from_json(&proof), Err(SnarkjsError::MissingField("pi_c".into())));

    let mut vk = verifying_key_json(&f.vk);
    vk["nPublic"] = json!("9");
    assert_eq!(verifying_key_from_json(&vk), Err(SnarkjsError::BadPublicCount));
    let mut vk = verifying_key_json(&f.vk);
    vk["nPublic"] = json!(-1);
    assert_eq!(verifying_key_from_json(&vk), Err(SnarkjsError::BadPublicCount));

    // A key with delta at infinity would accept forged proofs.
    let mut vk = verifying_key_json(&f.vk);
    vk["vk_delta_2"] = json!([["0", "0"], ["1", "0"], ["0", "0"]]);
    assert_eq!(verifying_key_from_json(&vk), Err(SnarkjsError::IdentityPoint { at: at("vk_delta_2") }));

    // A key with delta = gamma (no phase-2 contribution) accepts forged proofs.
    let mut vk = verifying_key_json(&f.vk);
    vk["vk_delta_2"] = vk["vk_gamma_2"].clone();
    assert_eq!(verifying_key_from_json(&vk), Err(SnarkjsError::GammaEqualsDelta));

    // vk_alphabeta_12 must be the pairing of the key's own alpha and beta.
    let mut vk = verifying_key_json(&f.vk);
    vk["vk_alphabeta_12"][0][0][0] = json!("1");
    assert_eq!(verifying_key_from_json(&vk), Err(SnarkjsError::AlphaBetaMismatch));
}
