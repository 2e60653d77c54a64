//! Bar charts as inline SVG, drawn on the server: axes with labelled
//! ticks, the numbers as text on the bars, a `<title>` tooltip on each
//! bar, and `data-*` attributes carrying the exact values (the browser
//! tests read them). No script and no style attribute (the explorer's
//! content security policy allows neither): colours come from the
//! stylesheet by class, positions from SVG attributes.
//!
//! One chart type covers the explorer's needs: columns of one or more
//! series, side by side (`Grouped`) or stacked (`Stacked`). A single series
//! may go below zero (the differentially private histograms' noisy
//! counts): its bars are drawn from the zero line either way.

use maud::{html, Markup};

/// The viewBox width of a chart as wide as the page; the SVG scales to its
/// container's width, so a chart in half the page is drawn [`HALF`] wide
/// (text keeps its size).
pub const FULL: f64 = 1000.0;
/// The viewBox width of a chart in half the page.
pub const HALF: f64 = 540.0;
/// Room for the y-axis tick labels.
const LEFT: f64 = 56.0;
const RIGHT: f64 = 12.0;
/// Room for the numbers above the tallest bars.
const TOP: f64 = 22.0;
/// Room for the x-axis labels.
const BOTTOM: f64 = 40.0;
/// The plot's height (between `TOP` and `BOTTOM`).
const PLOT_HEIGHT: f64 = 200.0;
/// Approximate width of a character of the axis font, for thinning and
/// shortening labels.
const CHAR_WIDTH: f64 = 7.0;
/// Most series a chart has colours for (classes `s0` to `s5`).
pub const MAX_SERIES: usize = 6;

/// How a column's series share it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Layout {
    /// One bar per series, side by side.
    Grouped,
    /// One bar, the series stacked bottom up (non-negative values).
    Stacked,
}

/// One column of a chart: a label on the x axis and one value per series.
#[derive(Clone, Debug)]
pub struct Column {
    /// The x-axis label (shortened if it does not fit; whole in the tooltip).
    pub label: String,
    /// The tooltip's heading (defaults to the label).
    pub title: Option<String>,
    /// One value per series, in the chart's series order.
    pub values: Vec<i64>,
}

impl Column {
    /// A column labelled `label` with `values`.
    pub fn new(label: impl Into<String>, values: Vec<i64>) -> Self {
        Column { label: label.into(), title: None, values }
    }

    /// With a tooltip heading other than the label.
    pub fn titled(mut self, title: impl Into<String>) -> Self {
        self.title = Some(title.into());
        self
    }
}

/// A bar chart.
#[derive(Clone, Debug)]
pub struct BarChart {
    /// Its id in the page (`data-chart`), and the prefix of its title's id.
    pub id: String,
    /// What it shows, for people and screen readers.
    pub title: String,
    /// The series' names, in the order of each column's values.
    pub series: Vec<String>,
    /// The columns, left to right.
    pub columns: Vec<Column>,
    /// How the series share a column.
    pub layout: Layout,
    /// Its viewBox width ([`FULL`] or [`HALF`]): the width of the page it fills.
    pub width: f64,
}

/// A "nice" tick step (1, 2 or 5 times a power of ten, at least 1) that
/// cuts `range` into at most about `ticks` parts.
fn tick_step(range: f64, ticks: f64) -> f64 {
    let raw = (range / ticks).max(1.0);
    let magnitude = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 5.0, 10.0].into_iter().map(|m| m * magnitude).find(|s| *s >= raw).unwrap_or(10.0 * magnitude);
    step.max(1.0)
}

/// `label` cut to `max` characters with an ellipsis, or whole if it fits.
fn fit(label: &str, max: usize) -> String {
    if label.chars().count() <= max {
        return label.to_owned();
    }
    let kept: String = label.chars().take(max.saturating_sub(1).max(1)).collect();
    format!("{kept}…")
}

/// A number with thousands separators (`-1,234`).
pub fn grouped(n: i64) -> String {
    let digits = n.unsigned_abs().to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3 + 1);
    if n < 0 {
        out.push('-');
    }
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// The positive values of a stacked column as (series, value, the sum below it).
fn stack(values: &[i64]) -> Vec<(usize, i64, i64)> {
    let mut base = 0;
    let mut out = Vec::new();
    for (s, v) in values.iter().enumerate().filter(|(_, v)| **v > 0) {
        out.push((s, *v, base));
        base += v;
    }
    out
}

/// Rounds a coordinate to a tenth of a unit (short, stable markup).
fn r(v: f64) -> String {
    let v = (v * 10.0).round() / 10.0;
    if v.fract() == 0.0 {
        format!("{}", v as i64)
    } else {
        format!("{v:.1}")
    }
}

impl BarChart {
    /// The lowest and highest value the y axis must reach (0 included).
    fn extent(&self) -> (i64, i64) {
        let mut lo = 0i64;
        let mut hi = 0i64;
        for c in &self.columns {
            match self.layout {
                Layout::Stacked => hi = hi.max(c.values.iter().map(|v| (*v).max(0)).sum()),
                Layout::Grouped => {
                    for v in &c.values {
                        lo = lo.min(*v);
                        hi = hi.max(*v);
                    }
                }
            }
        }
        (lo, hi)
    }

    /// The chart as an `<svg>` element, with a legend when it has more than one series.
    pub fn render(&self) -> Markup {
        let (lo, hi) = self.extent();
        let step = tick_step((hi - lo).max(1) as f64, 4.0);
        let mut axis_lo = (lo as f64 / step).floor() * step;
        // A number hangs under a negative bar: keep it off the x-axis labels.
        if lo < 0 && lo as f64 - axis_lo < 0.35 * step {
            axis_lo -= step;
        }
        let axis_hi = ((hi as f64 / step).ceil() * step).max(axis_lo + step);
        let height = TOP + PLOT_HEIGHT + BOTTOM;
        let width = self.width.max(LEFT + RIGHT + 100.0);
        let plot_width = width - LEFT - RIGHT;
        let y = |v: f64| TOP + PLOT_HEIGHT * (axis_hi - v) / (axis_hi - axis_lo);
        let ticks: Vec<f64> = (0..=((axis_hi - axis_lo) / step).round() as i64).map(|i| axis_lo + i as f64 * step).collect();
        let n = self.columns.len().max(1);
        let band = plot_width / n as f64;
        let per_column = match self.layout {
            Layout::Grouped => self.series.len().max(1),
            Layout::Stacked => 1,
        };
        let bar_width = (band * 0.72 / per_column as f64).min(44.0);
        // Thin the x labels so that they do not overlap.
        let longest = self.columns.iter().map(|c| c.label.chars().count()).max().unwrap_or(1).max(1);
        let label_room = band.max(1.0);
        let every = ((longest.min(12) as f64 * CHAR_WIDTH + 8.0) / label_room).ceil().max(1.0) as usize;
        let max_chars = if every == 1 { ((band - 6.0) / CHAR_WIDTH).floor().max(3.0) as usize } else { 12 };
        // Numbers on the bars only where they fit (about 6.5 units a digit at 11px).
        // A grouped bar's number must not reach its neighbour's; a stacked
        // column's may use the gap between columns.
        let room = match self.layout {
            Layout::Grouped => bar_width + 3.0,
            Layout::Stacked => band - 4.0,
        };
        let fits = |v: i64| grouped(v).len() as f64 * 6.5 <= room;
        let title_id = format!("{}-title", self.id);
        html! {
            figure.chart data-chart=(self.id) {
                figcaption { (self.title) }
                svg xmlns="http://www.w3.org/2000/svg" viewBox={ "0 0 " (r(width)) " " (r(height)) } role="img" aria-labelledby=(title_id) {
                    title id=(title_id) { (self.title) }
                    g.grid {
                        @for t in &ticks {
                            line x1=(r(LEFT)) x2=(r(width - RIGHT)) y1=(r(y(*t))) y2=(r(y(*t))) {}
                        }
                    }
                    g.axis-labels.y-axis {
                        @for t in &ticks {
                            text x=(r(LEFT - 8.0)) y=(r(y(*t) + 4.0)) text-anchor="end" { (grouped(*t as i64)) }
                        }
                    }
                    g.bars {
                        @for (i, c) in self.columns.iter().enumerate() {
                            @let x0 = LEFT + band * i as f64 + (band - bar_width * per_column as f64) / 2.0;
                            @let heading = c.title.as_deref().unwrap_or(&c.label);
                            g.column data-label=(c.label) {
                                @match self.layout {
                                    Layout::Grouped => {
                                        @for (s, v) in c.values.iter().enumerate() {
                                            @let x = x0 + bar_width * s as f64;
                                            @let (top, bottom) = if *v >= 0 { (y(*v as f64), y(0.0)) } else { (y(0.0), y(*v as f64)) };
                                            g.bar data-series=(self.series.get(s).map_or("", |n| n.as_str())) data-value=(v) {
                                                title { (heading) ": " (grouped(*v)) @if self.series.len() > 1 { " " (self.series[s]) } }
                                                rect class={ "s" (s % MAX_SERIES) @if *v < 0 { " negative" } }
                                                    x=(r(x)) y=(r(top)) width=(r(bar_width - 1.0)) height=(r((bottom - top).max(if *v == 0 { 0.0 } else { 1.0 }))) {}
                                                @if *v != 0 && fits(*v) {
                                                    @let ty = if *v > 0 { top - 5.0 } else { bottom + 13.0 };
                                                    text.value x=(r(x + bar_width / 2.0)) y=(r(ty)) text-anchor="middle" { (grouped(*v)) }
                                                }
                                            }
                                        }
                                    }
                                    Layout::Stacked => {
                                        @let segments = stack(&c.values);
                                        @let total: i64 = c.values.iter().map(|v| (*v).max(0)).sum();
                                        g.bar data-value=(total) {
                                            title {
                                                (heading) ": " (grouped(total))
                                                @for (s, v) in c.values.iter().enumerate() {
                                                    @if *v > 0 { "\n" (self.series.get(s).map_or("", |n| n.as_str())) ": " (grouped(*v)) }
                                                }
                                            }
                                            @for (s, v, base) in segments {
                                                @let top = y((base + v) as f64);
                                                @let bottom = y(base as f64);
                                                rect class={ "s" (s % MAX_SERIES) } data-series=(self.series.get(s).map_or("", |n| n.as_str())) data-value=(v)
                                                    x=(r(x0)) y=(r(top)) width=(r(bar_width - 1.0)) height=(r(bottom - top)) {}
                                            }
                                            @if total > 0 && fits(total) {
                                                text.value x=(r(x0 + bar_width / 2.0)) y=(r(y(total as f64) - 5.0)) text-anchor="middle" { (grouped(total)) }
                                            }
                                        }
                                    }
                                }
                                // Thinned from the right: the newest column always has its label.
                                @if (n - 1 - i) % every == 0 {
                                    text.x-label x=(r(LEFT + band * (i as f64 + 0.5))) y=(r(TOP + PLOT_HEIGHT + 18.0)) text-anchor="middle" {
                                        (fit(&c.label, max_chars))
                                    }
                                }
                            }
                        }
                    }
                    line.zero x1=(r(LEFT)) x2=(r(width - RIGHT)) y1=(r(y(0.0))) y2=(r(y(0.0))) {}
                }
                @if self.series.len() > 1 {
                    div.legend {
                        @for (s, name) in self.series.iter().enumerate() {
                            span.key { span class={ "swatch s" (s % MAX_SERIES) } {} (name) }
                        }
                    }
                }
            }
        }
    }
}

/// A horizontal meter (a privacy budget): `used` of `total`, as SVG.
pub fn meter(id: &str, label: &str, remaining: f64, total: f64) -> Markup {
    let total = if total.is_finite() && total > 0.0 { total } else { 1.0 };
    let remaining = if remaining.is_finite() { remaining.clamp(0.0, total) } else { 0.0 };
    let width = 300.0;
    let filled = width * remaining / total;
    html! {
        svg.meter xmlns="http://www.w3.org/2000/svg" viewBox="0 0 300 14" role="img" aria-label=(label) data-meter=(id) {
            title { (label) }
            rect.meter-track x="0" y="0" width="300" height="14" rx="3" {}
            rect.meter-fill x="0" y="0" width=(r(filled)) height="14" rx="3" {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chart(layout: Layout, series: &[&str], columns: Vec<Column>) -> String {
        BarChart {
            id: "c".into(),
            title: "a <chart>".into(),
            series: series.iter().map(|s| s.to_string()).collect(),
            columns,
            layout,
            width: FULL,
        }
        .render()
        .into_string()
    }

    #[test]
    fn steps_are_round_and_at_least_one() {
        assert_eq!(tick_step(1.0, 4.0), 1.0);
        assert_eq!(tick_step(7.0, 4.0), 2.0);
        assert_eq!(tick_step(18.0, 4.0), 5.0);
        assert_eq!(tick_step(1_000.0, 4.0), 500.0);
        assert_eq!(tick_step(3_900.0, 4.0), 1_000.0);
    }

    #[test]
    fn numbers_get_thousands_separators() {
        assert_eq!(grouped(0), "0");
        assert_eq!(grouped(999), "999");
        assert_eq!(grouped(1_000), "1,000");
        assert_eq!(grouped(-1_234_567), "-1,234,567");
        assert_eq!(grouped(i64::MIN), "-9,223,372,036,854,775,808");
    }

    #[test]
    fn bars_carry_their_values_and_text_is_escaped() {
        let svg = chart(Layout::Grouped, &["issued", "revoked"], vec![Column::new("<b>", vec![3, 1]), Column::new("x", vec![0, 0])]);
        assert!(svg.contains(r#"data-series="issued" data-value="3""#), "{svg}");
        assert!(svg.contains(r#"data-series="revoked" data-value="1""#), "{svg}");
        assert!(svg.contains("&lt;b&gt;") && !svg.contains("<b>"), "{svg}");
        assert!(svg.contains("a &lt;chart&gt;"), "{svg}");
        assert!(svg.contains("class=\"legend\""), "two series have a legend: {svg}");
        assert!(!svg.contains("style="), "no style attribute under the CSP: {svg}");
    }

    #[test]
    fn negative_bars_hang_below_the_zero_line() {
        let svg = chart(Layout::Grouped, &["noisy count"], vec![Column::new("a", vec![-4]), Column::new("b", vec![8])]);
        assert!(svg.contains(r#"data-value="-4""#) && svg.contains("negative"), "{svg}");
        assert!(svg.contains(">-4<"), "the number is shown: {svg}");
        assert!(!svg.contains("class=\"legend\""), "one series needs no legend");
    }

    #[test]
    fn the_number_under_the_lowest_bar_stays_above_the_x_labels() {
        let svg = chart(Layout::Grouped, &["noisy count"], vec![Column::new("a", vec![-2]), Column::new("b", vec![4])]);
        let at = svg.find(">-2</text>").expect("the number is drawn");
        let tag = &svg[svg[..at].rfind("<text").unwrap()..at];
        let y: f64 = tag.split("y=\"").nth(1).unwrap().split('"').next().unwrap().parse().unwrap();
        assert!(y < TOP + PLOT_HEIGHT, "{y} is below the plot: {svg}");
    }

    #[test]
    fn stacked_columns_total_their_series() {
        let svg = chart(Layout::Stacked, &["verified", "expired"], vec![Column::new("d", vec![2, 3])]);
        assert!(svg.contains(r#"g class="bar" data-value="5""#), "{svg}");
        assert!(svg.contains(r#"data-series="expired" data-value="3""#), "{svg}");
    }

    #[test]
    fn an_empty_chart_still_draws_axes() {
        let svg = chart(Layout::Grouped, &["n"], Vec::new());
        assert!(svg.contains("<svg") && svg.contains("class=\"zero\""), "{svg}");
    }

    #[test]
    fn long_labels_are_shortened_and_kept_whole_in_the_data() {
        assert_eq!(fit("licence.food-business", 8), "licence…");
        assert_eq!(fit("short", 8), "short");
        let columns = (0..30).map(|i| Column::new(format!("2026-01-{:02}", i + 1), vec![i])).collect();
        let svg = chart(Layout::Grouped, &["n"], columns);
        assert!(svg.contains(r#"data-label="2026-01-30""#));
        let labels = svg.matches("class=\"x-label\"").count();
        assert!((2..30).contains(&labels), "30 dates are thinned: {labels}");
    }
}
