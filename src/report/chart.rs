//! Charts for the HTML report: inline SVG, drawn from the report model.
//!
//! Three shapes cover every chart of the report: horizontal bars (one
//! value per row), stacked horizontal bars (a row split by series, e.g. a
//! client's connections by version) and stacked columns (a time series).
//! The markup is built with maud, so every label is escaped like the rest
//! of the page. Each mark (a bar or a segment) carries
//!
//! - a `<title>`: its label and number, shown on hover, with scripts off;
//! - `data-value`: the number it draws;
//! - `data-src`: where summary-json has that number, as a JSON array of
//!   keys: a string or number indexes an object or array; an object
//!   selects the elements of an array whose fields equal its fields (a field
//!   holding an array matches if it contains the value; a name ending in
//!   `^` compares the text before " — ", a failure reason's headline), and
//!   the numbers of every element selected are summed.
//!
//! Not drawn: axes on bar charts (each bar is labelled with its number);
//! log scales (latency bars are linear, with p99 in its own row).

use maud::{Markup, html};
use serde_json::Value;

/// Width of every chart's viewBox; the page scales it.
const WIDTH: f64 = 400.0;
/// Room for the row labels on the left of bar charts.
const LABEL: f64 = 150.0;
/// Room for the number on the right of a bar.
const NUMBER: f64 = 44.0;
const ROW: f64 = 22.0;
const BAR: f64 = 15.0;
/// Characters of a row label; longer ones are cut (the full label is in
/// the mark's title).
const LABEL_CHARS: usize = 24;

/// One bar, or one segment of a stacked bar.
pub struct Mark {
    /// The series (a version, a verdict) for the legend and the title.
    pub series: String,
    pub value: f64,
    /// CSS class giving its colour (`v-tls10`, `r-will_break`, ...).
    pub class: String,
    /// Where summary-json has the number (see the module doc).
    pub src: Value,
}

/// A row of a bar chart: its label and its marks (one for plain bars).
pub struct Row {
    pub label: String,
    pub marks: Vec<Mark>,
}

impl Row {
    fn total(&self) -> f64 {
        self.marks.iter().map(|m| m.value).sum()
    }
}

/// A number as the page shows it: integers without a fraction,
/// milliseconds with up to three decimals.
pub fn number(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{}", v as i64)
    } else {
        let s = format!("{v:.3}");
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    }
}

fn cut(label: &str) -> String {
    if label.chars().count() <= LABEL_CHARS {
        label.to_string()
    } else {
        let mut s: String = label.chars().take(LABEL_CHARS - 1).collect();
        s.push('…');
        s
    }
}

/// The marks of a stacked row with where each starts and its length.
fn stack(marks: &[Mark], scale: f64) -> Vec<(f64, f64, &Mark)> {
    let mut at = 0.0;
    marks
        .iter()
        .map(|m| {
            let len = m.value * scale;
            let placed = (at, len, m);
            at += len;
            placed
        })
        .collect()
}

fn px(v: f64) -> String {
    format!("{:.1}", v)
}

/// The series of `rows` in first-seen order, with their classes.
fn legend(rows: &[Row]) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    for m in rows.iter().flat_map(|r| &r.marks) {
        if !out.iter().any(|(s, _)| *s == m.series) {
            out.push((m.series.clone(), m.class.clone()));
        }
    }
    out
}

fn legend_markup(items: &[(String, String)]) -> Markup {
    html! {
        ul.legend {
            @for (series, class) in items {
                li { svg.swatch viewBox="0 0 10 10" aria-hidden="true" {
                    rect class=(class) width="10" height="10" {}
                } " " (series) }
            }
        }
    }
}

fn mark_title(row: &str, m: &Mark, unit: &str) -> String {
    if row == m.series || m.series.is_empty() {
        format!("{row}: {} {unit}", number(m.value))
    } else {
        format!("{row}, {}: {} {unit}", m.series, number(m.value))
    }
}

/// Horizontal bars, stacked when a row has several marks. `unit` names
/// what is counted (for the titles). An empty chart says so.
pub fn bars(id: &str, caption: &str, unit: &str, rows: &[Row]) -> Markup {
    let max = rows.iter().map(Row::total).fold(0.0, f64::max);
    let scale = if max > 0.0 {
        (WIDTH - LABEL - NUMBER) / max
    } else {
        0.0
    };
    let height = ROW * rows.len() as f64 + 4.0;
    let stacked = rows.iter().any(|r| r.marks.len() > 1);
    html! {
        figure.chart id=(id) data-chart=(id) data-kind=(if stacked { "stacked-bars" } else { "bars" }) {
            figcaption { (caption) }
            @if rows.is_empty() || max == 0.0 {
                p.empty { "Nothing to draw." }
            } @else {
                svg viewBox={ "0 0 " (WIDTH) " " (px(height)) } role="img" aria-label=(caption) {
                    @for (i, row) in rows.iter().enumerate() {
                        @let y = ROW * i as f64 + 2.0;
                        g.row {
                            text.label x=(px(LABEL - 6.0)) y=(px(y + BAR - 3.5)) text-anchor="end" {
                                title { (row.label) } (cut(&row.label))
                            }
                            @for (offset, w, m) in stack(&row.marks, scale) {
                                rect class={ "mark " (m.class) } x=(px(LABEL + offset)) y=(px(y)) width=(px(w))
                                    height=(px(BAR)) data-value=(number(m.value)) data-src=(m.src.to_string()) {
                                    title { (mark_title(&row.label, m, unit)) }
                                }
                            }
                            text.number x=(px(LABEL + row.total() * scale + 5.0)) y=(px(y + BAR - 3.5)) { (number(row.total())) }
                        }
                    }
                }
                @if stacked { (legend_markup(&legend(rows))) }
            }
        }
    }
}

/// Stacked columns over time: one column per row (its label the time).
pub fn columns(id: &str, caption: &str, unit: &str, rows: &[Row]) -> Markup {
    const LEFT: f64 = 44.0;
    const TOP: f64 = 8.0;
    const PLOT: f64 = 180.0;
    const BOTTOM: f64 = 36.0;
    let max = rows.iter().map(Row::total).fold(0.0, f64::max);
    let ticks = ticks(max);
    let top = ticks.last().copied().unwrap_or(max).max(max);
    let scale = if top > 0.0 { PLOT / top } else { 0.0 };
    let slot = if rows.is_empty() {
        0.0
    } else {
        (WIDTH - LEFT - 4.0) / rows.len() as f64
    };
    let width = (slot * 0.8).max(1.0);
    // Label every n-th column so the labels do not overlap.
    let every = ((rows.len() as f64 * 70.0) / (WIDTH - LEFT))
        .ceil()
        .max(1.0) as usize;
    html! {
        figure.chart id=(id) data-chart=(id) data-kind="columns" {
            figcaption { (caption) }
            @if rows.is_empty() || max == 0.0 {
                p.empty { "Nothing to draw." }
            } @else {
                svg viewBox={ "0 0 " (WIDTH) " " (px(TOP + PLOT + BOTTOM)) } role="img" aria-label=(caption) {
                    @for t in &ticks {
                        @let y = TOP + PLOT - t * scale;
                        line.grid x1=(px(LEFT)) x2=(px(WIDTH - 4.0)) y1=(px(y)) y2=(px(y)) {}
                        text.tick x=(px(LEFT - 4.0)) y=(px(y + 4.0)) text-anchor="end" { (number(*t)) }
                    }
                    @for (i, row) in rows.iter().enumerate() {
                        @let x = LEFT + slot * i as f64 + (slot - width) / 2.0;
                        g.column {
                            @for (offset, h, m) in stack(&row.marks, scale) {
                                rect class={ "mark " (m.class) } x=(px(x)) y=(px(TOP + PLOT - offset - h)) width=(px(width))
                                    height=(px(h)) data-value=(number(m.value)) data-src=(m.src.to_string()) {
                                    title { (mark_title(&row.label, m, unit)) }
                                }
                            }
                            @if i % every == 0 {
                                text.tick x=(px(x + width / 2.0)) y=(px(TOP + PLOT + 14.0)) text-anchor="middle" { (row.label) }
                            }
                        }
                    }
                }
                (legend_markup(&legend(rows)))
            }
        }
    }
}

/// Round tick values from 0 to at least `max` (1, 2 or 5 times a power of
/// ten apart; about four of them).
fn ticks(max: f64) -> Vec<f64> {
    if max <= 0.0 || !max.is_finite() {
        return Vec::new();
    }
    let raw = max / 4.0;
    let power = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 5.0, 10.0]
        .into_iter()
        .map(|f| f * power)
        .find(|s| *s >= raw)
        .unwrap_or(10.0 * power)
        .max(1.0);
    let mut out = Vec::new();
    let mut t = 0.0;
    while t < max + step {
        out.push(t);
        if t >= max {
            break;
        }
        t += step;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(label: &str, values: &[(&str, f64)]) -> Row {
        Row {
            label: label.into(),
            marks: values
                .iter()
                .map(|(s, v)| Mark {
                    series: s.to_string(),
                    value: *v,
                    class: "c".into(),
                    src: Value::Null,
                })
                .collect(),
        }
    }

    #[test]
    fn ticks_are_round_and_reach_the_maximum() {
        assert_eq!(ticks(30.0), vec![0.0, 10.0, 20.0, 30.0]);
        assert_eq!(ticks(7.0), vec![0.0, 2.0, 4.0, 6.0, 8.0]);
        assert_eq!(ticks(1.0), vec![0.0, 1.0]);
        assert!(ticks(0.0).is_empty());
        let t = ticks(123_456.0);
        assert!(*t.last().unwrap() >= 123_456.0 && t.len() <= 7);
    }

    #[test]
    fn bar_lengths_are_proportional_and_labels_escaped() {
        let rows = [
            row("<script>a</script>", &[("", 10.0)]),
            row("b", &[("", 5.0)]),
        ];
        let svg = bars("x", "caption & <b>", "connections", &rows).into_string();
        assert!(!svg.contains("<script>") && svg.contains("&lt;script&gt;"));
        assert!(svg.contains("caption &amp; &lt;b&gt;"));
        let widths: Vec<f64> = svg
            .match_indices("width=\"")
            .filter_map(|(i, _)| {
                let rest = &svg[i + 7..];
                rest[..rest.find('"')?].parse().ok()
            })
            .filter(|w| *w > 10.0 && *w < WIDTH)
            .collect();
        assert_eq!(widths.len(), 2, "{svg}");
        assert!((widths[0] / widths[1] - 2.0).abs() < 0.01);
    }

    #[test]
    fn empty_charts_say_so() {
        assert!(
            bars("x", "c", "u", &[])
                .into_string()
                .contains("Nothing to draw")
        );
        let zero = [row("a", &[("", 0.0)])];
        assert!(
            columns("x", "c", "u", &zero)
                .into_string()
                .contains("Nothing to draw")
        );
    }

    #[test]
    fn numbers_drop_needless_decimals() {
        assert_eq!(number(5.0), "5");
        assert_eq!(number(1.5640), "1.564");
        assert_eq!(number(0.1), "0.1");
    }
}
