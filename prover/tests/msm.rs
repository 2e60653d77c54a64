//! zkreg's MSM (`zkreg_prover::msm`, with and without the GLV split, and
//! over a table of the fixed bases) against arkworks' own `VariableBaseMSM`
//! on BN254's G1 and G2: random inputs, and the inputs that break
//! batch-affine code (zero scalars, the identity, repeated bases, a base and
//! its negation in one bucket, scalars `r - 1` and the other sign boundaries).

use ark_bn254::{Fr, G1Affine, G1Projective, G2Affine, G2Projective};
use ark_ec::short_weierstrass::{Affine, Projective};
use ark_ec::{AffineRepr, CurveGroup, PrimeGroup, VariableBaseMSM};
use ark_ff::{BigInt, BigInteger, Field, PrimeField, UniformRand, Zero};
use proptest::prelude::*;
use rand::SeedableRng;
use rand_chacha::ChaCha20Rng;

use zkreg_prover::msm::{decompose, msm, msm_with, window_bits, FixedBases, Glv, MsmOptions};

fn rng(seed: u64) -> ChaCha20Rng {
    ChaCha20Rng::seed_from_u64(seed)
}

fn random_points<P: Glv>(n: usize, seed: u64) -> Vec<Affine<P>> {
    let mut r = rng(seed);
    let points: Vec<Projective<P>> = (0..n).map(|_| Projective::<P>::rand(&mut r)).collect();
    Projective::normalize_batch(&points)
}

fn random_scalars(n: usize, seed: u64) -> Vec<Fr> {
    let mut r = rng(seed);
    (0..n).map(|_| Fr::rand(&mut r)).collect()
}

/// `r - 1`, `(r - 1) / 2` and `(r + 1) / 2`: where the sign normalisation turns.
fn boundary_scalars() -> [Fr; 3] {
    let half = Fr::from_bigint(Fr::MODULUS_MINUS_ONE_DIV_TWO).unwrap();
    [-Fr::ONE, half, half + Fr::ONE]
}

/// The reference: arkworks' MSM, and the schoolbook sum for good measure
/// where the input is small.
fn reference<P: Glv>(bases: &[Affine<P>], scalars: &[Fr]) -> Projective<P>
where
    Projective<P>: VariableBaseMSM<MulBase = Affine<P>, ScalarField = Fr>,
{
    let n = bases.len().min(scalars.len());
    let ours = <Projective<P> as VariableBaseMSM>::msm(&bases[..n], &scalars[..n]).unwrap();
    if n <= 64 {
        let naive: Projective<P> = bases.iter().zip(scalars).map(|(b, s)| *b * s).sum();
        assert_eq!(ours, naive, "arkworks' MSM disagrees with the schoolbook sum");
    }
    ours
}

fn with(window: usize, glv: bool) -> MsmOptions {
    MsmOptions { window: Some(window), glv }
}

fn assert_matches<P: Glv>(bases: &[Affine<P>], scalars: &[Fr], what: &str)
where
    Projective<P>: VariableBaseMSM<MulBase = Affine<P>, ScalarField = Fr>,
{
    let expected = reference(bases, scalars);
    assert_eq!(msm(bases, scalars), expected, "{what}: default window, GLV");
    assert_eq!(msm_with(bases, scalars, MsmOptions { window: None, glv: false }), expected, "{what}: default window, no GLV");
    for c in [2, 3, 4, 5, 8, 11, 13, 16] {
        for glv in [true, false] {
            assert_eq!(msm_with(bases, scalars, with(c, glv)), expected, "{what}: window {c}, GLV {glv}");
        }
    }
    for c in [5, 13] {
        assert_eq!(FixedBases::new(bases, c).msm(scalars), expected, "{what}: table of the fixed bases, window {c}");
    }
}

#[test]
fn random_inputs_of_every_size_class_match_arkworks() {
    for (n, seed) in [(0, 1), (1, 2), (2, 3), (3, 4), (31, 5), (100, 6), (1_000, 7), (6_000, 8)] {
        let bases = random_points::<ark_bn254::g1::Config>(n, seed);
        assert_matches(&bases, &random_scalars(n, seed + 100), &format!("G1, {n} random terms"));
    }
    for (n, seed) in [(1, 9), (17, 10), (500, 11), (2_000, 12)] {
        let bases = random_points::<ark_bn254::g2::Config>(n, seed);
        assert_matches(&bases, &random_scalars(n, seed + 100), &format!("G2, {n} random terms"));
    }
}

#[test]
fn the_predicate_circuits_sizes_match_arkworks_with_their_default_windows() {
    // The five MSMs' sizes and their mix of bits and full-width scalars.
    let mut r = rng(20);
    for n in [5_999, 8_191] {
        let bases = random_points::<ark_bn254::g1::Config>(n, n as u64);
        let scalars: Vec<Fr> = (0..n)
            .map(|i| match i % 3 {
                0 => Fr::from(u64::rand(&mut r) % 2),
                1 => Fr::from(u64::rand(&mut r)),
                _ => Fr::rand(&mut r),
            })
            .collect();
        assert_eq!(msm(&bases, &scalars), reference(&bases, &scalars), "G1, {n} terms, window {}", window_bits(n));
    }
}

#[test]
fn zero_scalars_and_identity_bases_contribute_nothing() {
    let bases = random_points::<ark_bn254::g1::Config>(300, 30);
    assert!(msm(&bases, &vec![Fr::zero(); 300]).is_zero());
    assert!(msm(&vec![G1Affine::identity(); 300], &random_scalars(300, 31)).is_zero());
    assert!(msm::<ark_bn254::g1::Config>(&[], &[]).is_zero());

    let mut bases = bases;
    let mut scalars = random_scalars(300, 32);
    for i in (0..300).step_by(3) {
        scalars[i] = Fr::zero();
    }
    for i in (1..300).step_by(7) {
        bases[i] = G1Affine::identity();
    }
    assert_matches(&bases, &scalars, "G1, zeros and identities mixed in");
}

#[test]
fn repeated_bases_double_in_their_bucket() {
    // One base many times with one scalar: every pair in the bucket is a doubling.
    let p = random_points::<ark_bn254::g1::Config>(1, 40)[0];
    let k = Fr::from(12_345u64);
    assert_matches(&vec![p; 257], &vec![k; 257], "G1, one base 257 times");
    assert_eq!(msm(&vec![p; 257], &vec![k; 257]), p * (k * Fr::from(257u64)));
    // A few bases repeated with random and equal scalars.
    let few = random_points::<ark_bn254::g2::Config>(3, 41);
    let bases: Vec<G2Affine> = (0..600).map(|i| few[i % 3]).collect();
    let mut scalars = random_scalars(600, 42);
    for s in scalars.iter_mut().skip(1).step_by(2) {
        *s = Fr::from(99u64);
    }
    assert_matches(&bases, &scalars, "G2, three bases repeated");
}

#[test]
fn a_base_and_its_negation_in_one_bucket_cancel() {
    let points = random_points::<ark_bn254::g1::Config>(50, 50);
    let k = Fr::from(7u64);
    // P and -P with the same scalar, adjacent so the first round pairs them.
    let bases: Vec<G1Affine> = points.iter().flat_map(|p| [*p, -*p]).collect();
    assert!(msm(&bases, &vec![k; 100]).is_zero());
    // P with k and P with -k (the sign normalisation negates the base): the same cancellation.
    let bases: Vec<G1Affine> = points.iter().flat_map(|p| [*p, *p]).collect();
    let scalars: Vec<Fr> = (0..100).map(|i| if i % 2 == 0 { k } else { -k }).collect();
    assert!(msm(&bases, &scalars).is_zero());
    // Cancellations among ordinary terms, so identities meet points in later rounds.
    let mut bases = bases;
    bases.extend(random_points::<ark_bn254::g1::Config>(100, 51));
    let mut scalars = scalars;
    scalars.extend(vec![k; 100]);
    assert_matches(&bases, &scalars, "G1, cancelling pairs among others");
    let g2 = random_points::<ark_bn254::g2::Config>(40, 52);
    let bases: Vec<G2Affine> = g2.iter().flat_map(|p| [*p, -*p, *p]).collect();
    assert_matches(&bases, &vec![k; 120], "G2, P, -P, P");
}

#[test]
fn sign_boundary_and_unit_scalars() {
    let bases = random_points::<ark_bn254::g1::Config>(400, 60);
    let [minus_one, half, half_plus_one] = boundary_scalars();
    let all_minus_one = vec![minus_one; 400];
    assert_matches(&bases, &all_minus_one, "G1, every scalar r - 1");
    assert_eq!(msm(&bases, &all_minus_one), -bases.iter().map(|b| b.into_group()).sum::<G1Projective>());
    let mixed: Vec<Fr> = (0..400)
        .map(|i| match i % 6 {
            0 => minus_one,
            1 => half,
            2 => half_plus_one,
            3 => Fr::ONE,
            4 => Fr::from(2u64),
            _ => -Fr::from(2u64),
        })
        .collect();
    assert_matches(&bases, &mixed, "G1, boundaries and units");
    let g2 = random_points::<ark_bn254::g2::Config>(60, 61);
    assert_matches(&g2, &mixed[..60], "G2, boundaries and units");
}

#[test]
fn scalars_with_a_window_of_all_ones_carry_into_the_next() {
    // 2^k - 1 for every k: the signed digits carry through every window width.
    let bases = random_points::<ark_bn254::g1::Config>(253, 70);
    let scalars: Vec<Fr> = (1..=253u32)
        .map(|k| {
            Fr::from_bigint(BigInt::<4>::from(1u64) << k).unwrap() - Fr::ONE
        })
        .collect();
    assert_matches(&bases, &scalars, "G1, 2^k - 1");
}

#[test]
fn slices_of_different_lengths_use_the_common_prefix() {
    let bases = random_points::<ark_bn254::g1::Config>(40, 80);
    let scalars = random_scalars(45, 81);
    assert_eq!(msm(&bases, &scalars), reference(&bases, &scalars[..40]));
    assert_eq!(msm(&bases[..30], &scalars), reference(&bases[..30], &scalars[..30]));
    assert_eq!(msm(&bases, &scalars[..1]), bases[0] * scalars[0]);
    let g = G2Projective::generator().into_affine();
    assert_eq!(msm(&[g], &[Fr::from(5u64)]), G2Projective::generator() * Fr::from(5u64));
}

/// The endomorphism is multiplication by λ, and the decomposition splits
/// every scalar into halves below 2^128 that recombine to it.
fn check_decomposition<P: Glv>(k: Fr) -> Result<(), TestCaseError> {
    let p = Projective::<P>::rand(&mut rng(90)).into_affine();
    prop_assert_eq!(P::endomorphism_affine(&p), (p * P::LAMBDA).into_affine());
    let ((n1, k1), (n2, k2)) = decompose::<P>(&k.into_bigint());
    prop_assert!(k1.num_bits() <= 128 && k2.num_bits() <= 128, "k1 {} bits, k2 {} bits", k1.num_bits(), k2.num_bits());
    let signed = |negative: bool, v: BigInt<4>| {
        let v = Fr::from_bigint(v).unwrap();
        if negative { -v } else { v }
    };
    prop_assert_eq!(signed(n1, k1) + P::LAMBDA * signed(n2, k2), k);
    Ok(())
}

#[test]
fn decompositions_of_the_edge_scalars_recombine() {
    let [minus_one, half, half_plus_one] = boundary_scalars();
    let two_128 = Fr::from_bigint(BigInt::<4>::from(1u64) << 128u32).unwrap();
    for k in [Fr::zero(), Fr::ONE, minus_one, half, half_plus_one, two_128, two_128 - Fr::ONE, -two_128, Fr::from(u64::MAX)] {
        check_decomposition::<ark_bn254::g1::Config>(k).unwrap();
        check_decomposition::<ark_bn254::g2::Config>(k).unwrap();
    }
}

/// One term of a generated MSM: which pooled base, which kind of scalar.
#[derive(Clone, Debug)]
enum ScalarKind {
    Zero,
    One,
    MinusOne,
    Half,
    HalfPlusOne,
    Small(u64),
    Negative(u64),
    Full(u64),
}

impl ScalarKind {
    fn value(&self) -> Fr {
        let [minus_one, half, half_plus_one] = boundary_scalars();
        match self {
            ScalarKind::Zero => Fr::zero(),
            ScalarKind::One => Fr::ONE,
            ScalarKind::MinusOne => minus_one,
            ScalarKind::Half => half,
            ScalarKind::HalfPlusOne => half_plus_one,
            ScalarKind::Small(v) => Fr::from(*v),
            ScalarKind::Negative(v) => -Fr::from(*v),
            ScalarKind::Full(seed) => Fr::rand(&mut rng(*seed)),
        }
    }
}

fn scalar_kind() -> impl Strategy<Value = ScalarKind> {
    prop_oneof![
        2 => Just(ScalarKind::Zero),
        2 => Just(ScalarKind::One),
        1 => Just(ScalarKind::MinusOne),
        1 => Just(ScalarKind::Half),
        1 => Just(ScalarKind::HalfPlusOne),
        3 => (0u64..64).prop_map(ScalarKind::Small),
        2 => any::<u64>().prop_map(ScalarKind::Negative),
        6 => any::<u64>().prop_map(ScalarKind::Full),
    ]
}

/// A pool of 8 points, their negations and the identity: drawing from so
/// few bases puts equal and opposite points into one bucket often.
fn pool<P: Glv>(seed: u64) -> Vec<Affine<P>> {
    let points = random_points::<P>(8, seed);
    let mut pool = points.clone();
    pool.extend(points.iter().map(|p| -*p));
    pool.push(Affine::<P>::identity());
    pool
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn random_scalars_decompose_and_recombine(seed in any::<u64>()) {
        let k = Fr::rand(&mut rng(seed));
        check_decomposition::<ark_bn254::g1::Config>(k)?;
        check_decomposition::<ark_bn254::g2::Config>(k)?;
    }

    #[test]
    fn generated_g1_msms_match_arkworks(
        terms in prop::collection::vec((0usize..17, scalar_kind()), 0..400),
        c in 2usize..=14,
        seed in 0u64..4,
    ) {
        let pool = pool::<ark_bn254::g1::Config>(seed);
        let bases: Vec<G1Affine> = terms.iter().map(|(i, _)| pool[*i]).collect();
        let scalars: Vec<Fr> = terms.iter().map(|(_, k)| k.value()).collect();
        let expected = reference(&bases, &scalars);
        prop_assert_eq!(msm_with(&bases, &scalars, with(c, false)), expected);
        prop_assert_eq!(msm_with(&bases, &scalars, with(c, true)), expected);
        prop_assert_eq!(msm(&bases, &scalars), expected);
        prop_assert_eq!(FixedBases::new(&bases, c).msm(&scalars), expected);
    }

    #[test]
    fn generated_g2_msms_match_arkworks(
        terms in prop::collection::vec((0usize..17, scalar_kind()), 0..120),
        c in 2usize..=10,
    ) {
        let pool = pool::<ark_bn254::g2::Config>(9);
        let bases: Vec<G2Affine> = terms.iter().map(|(i, _)| pool[*i]).collect();
        let scalars: Vec<Fr> = terms.iter().map(|(_, k)| k.value()).collect();
        let expected = reference(&bases, &scalars);
        prop_assert_eq!(msm_with(&bases, &scalars, with(c, true)), expected);
        prop_assert_eq!(msm_with(&bases, &scalars, with(c, false)), expected);
        prop_assert_eq!(FixedBases::new(&bases, c).msm(&scalars), expected);
    }
}
