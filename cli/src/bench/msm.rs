//! `zkreg bench msm`: the predicate circuit's five MSMs on their real inputs
//! (a one-party key's bases, a proof's assignment and quotient), each timed
//! with zkreg's MSM at every window width in a range and with arkworks' MSM,
//! in one run. It shows where [`zkreg_prover::msm::window_bits`] lands
//! against the best width for each size.

use ark_bn254::Fr;
use ark_ec::short_weierstrass::{Affine, Projective};
use ark_ec::VariableBaseMSM;
use rand::SeedableRng;
use rand_chacha::ChaCha20Rng;
use serde::Serialize;

use zkreg_prover::msm::{msm_with, plan, FixedBases, Glv, MsmOptions};
use zkreg_prover::PredicateProver;

use super::crypto::{median, time_ms, ProvingFixture};

/// The window widths swept.
const WINDOWS: std::ops::RangeInclusive<usize> = 6..=13;

/// The window widths swept with tables of the fixed bases.
const FIXED_WINDOWS: std::ops::RangeInclusive<usize> = 11..=15;

/// One MSM of a proof.
#[derive(Debug, Serialize)]
pub struct MsmRow {
    /// Which query: `h`, `l`, `a`, `b_g1`, `b_g2`.
    pub msm: &'static str,
    /// Terms (bases).
    pub terms: usize,
    /// Terms put into buckets (scalars other than 0 and ±1, after the GLV
    /// split): what the window width is chosen from.
    pub bucketed_terms: usize,
    /// [`zkreg_prover::msm::window_bits`]' choice.
    pub default_window: usize,
    /// The fastest width in this run.
    pub best_window: usize,
    /// Median ms at each width, `[width, ms]`.
    pub by_window: Vec<(usize, f64)>,
    /// Median ms at the default width.
    pub default_ms: f64,
    /// Median ms without the GLV split, at the default width for its terms.
    pub no_glv_ms: f64,
    /// With a table of the fixed bases ([`FixedBases`]), per width:
    /// `[width, median ms, ms to build the table, table MiB]`.
    pub fixed: Vec<(usize, f64, f64, f64)>,
    /// Median ms of arkworks' MSM on the same inputs.
    pub arkworks_ms: f64,
    /// `arkworks_ms / default_ms`.
    pub speedup: f64,
}

/// The MSM benchmark's rows.
#[derive(Debug, Serialize)]
pub struct MsmReport {
    /// One row per MSM.
    pub msms: Vec<MsmRow>,
    /// Samples per median.
    pub samples: usize,
}

fn row<P: Glv>(msm: &'static str, bases: &[Affine<P>], scalars: &[Fr], samples: usize) -> MsmRow
where
    Projective<P>: VariableBaseMSM<MulBase = Affine<P>, ScalarField = Fr>,
{
    let n = bases.len().min(scalars.len());
    let (bases, scalars) = (&bases[..n], &scalars[..n]);
    let (bucketed_terms, default_window) = plan(bases, scalars, MsmOptions::default());
    let tables: Vec<(usize, FixedBases<P>, f64)> = FIXED_WINDOWS
        .map(|c| {
            let (table, ms) = time_ms(|| FixedBases::new(bases, c));
            (c, table, ms)
        })
        .collect();
    // Every variant once per round, rounds repeated: a slow spell of the
    // machine falls on all of them alike.
    let mut variants: Vec<Box<dyn Fn() + '_>> = WINDOWS
        .map(|c| {
            let options = MsmOptions { window: Some(c), glv: true };
            Box::new(move || {
                let _ = std::hint::black_box(msm_with(bases, scalars, options));
            }) as Box<dyn Fn()>
        })
        .collect();
    variants.push(Box::new(|| {
        let _ = std::hint::black_box(msm_with(bases, scalars, MsmOptions::default()));
    }));
    variants.push(Box::new(|| {
        let _ = std::hint::black_box(msm_with(bases, scalars, MsmOptions { window: None, glv: false }));
    }));
    variants.push(Box::new(|| {
        let _ = std::hint::black_box(<Projective<P> as VariableBaseMSM>::msm(bases, scalars));
    }));
    for (_, table, _) in &tables {
        variants.push(Box::new(move || {
            let _ = std::hint::black_box(table.msm(scalars));
        }));
    }
    let mut times = vec![Vec::new(); variants.len()];
    for _ in 0..samples {
        for (v, t) in variants.iter().zip(times.iter_mut()) {
            t.push(time_ms(v).1);
        }
    }
    let mut medians: Vec<f64> = times.into_iter().map(median).collect();
    let fixed_ms = medians.split_off(medians.len() - tables.len());
    let fixed = tables
        .iter()
        .zip(fixed_ms)
        .map(|((c, table, build_ms), ms)| (*c, ms, *build_ms, table.table_bytes() as f64 / 1048576.0))
        .collect();
    let arkworks_ms = medians.pop().unwrap_or(f64::NAN);
    let no_glv_ms = medians.pop().unwrap_or(f64::NAN);
    let default_ms = medians.pop().unwrap_or(f64::NAN);
    let by_window: Vec<(usize, f64)> = WINDOWS.zip(medians).collect();
    let best_window = by_window.iter().min_by(|a, b| a.1.total_cmp(&b.1)).map_or(default_window, |w| w.0);
    MsmRow { msm, terms: n, bucketed_terms, default_window, best_window, by_window, default_ms, no_glv_ms, fixed, arkworks_ms, speedup: arkworks_ms / default_ms }
}

/// Runs the benchmark with `samples` runs per median.
pub fn msm(samples: usize, progress: impl Fn(&str)) -> anyhow::Result<MsmReport> {
    let mut rng = ChaCha20Rng::seed_from_u64(0x6d736d);
    progress("setup");
    let (pk, _) = zkreg_prover::setup(&mut rng)?;
    let prover = PredicateProver::new(pk)?;
    let fixture = ProvingFixture::new(&mut rng);
    let (full, h) = prover.assignment_and_quotient(fixture.circuit(fixture.statement.challenge))?;
    let pk = prover.proving_key();
    let inputs = pk.vk.gamma_abc_g1.len();
    let mut msms = Vec::new();
    progress("MSM h (G1)");
    msms.push(row("h", &pk.h_query, &h, samples));
    progress("MSM l (G1)");
    msms.push(row("l", &pk.l_query, &full[inputs..], samples));
    progress("MSM a (G1)");
    msms.push(row("a", &pk.a_query[1..], &full[1..], samples));
    progress("MSM b (G1)");
    msms.push(row("b_g1", &pk.b_g1_query[1..], &full[1..], samples));
    progress("MSM b (G2)");
    msms.push(row("b_g2", &pk.b_g2_query[1..], &full[1..], samples));
    Ok(MsmReport { msms, samples })
}

/// The human-readable table.
pub fn table(r: &MsmReport) -> String {
    let mut out = String::from("msm    terms  bucketed  window(default/best)  zkreg ms  no GLV ms  arkworks ms  speed-up  ms by window (GLV)\n");
    for m in &r.msms {
        let sweep: Vec<String> = m.by_window.iter().map(|(c, ms)| format!("{c}:{ms:.1}")).collect();
        out += &format!(
            "{:<5} {:>6} {:>9}  {:>9}/{:<10}  {:>8.1}  {:>9.1}  {:>11.1}  {:>7.2}x  {}\n",
            m.msm,
            m.terms,
            m.bucketed_terms,
            m.default_window,
            m.best_window,
            m.default_ms,
            m.no_glv_ms,
            m.arkworks_ms,
            m.speedup,
            sweep.join(" ")
        );
    }
    out += "\nwith a table of the fixed bases: width: ms (table build ms, MiB)\n";
    for m in &r.msms {
        let fixed: Vec<String> = m.fixed.iter().map(|(c, ms, build, mib)| format!("{c}: {ms:.1} ({build:.0}, {mib:.1})")).collect();
        out += &format!("{:<5} {}\n", m.msm, fixed.join("  "));
    }
    out
}
