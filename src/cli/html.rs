//! Self-contained HTML pages with charts: the post-sale report's (`campaign report --html`)
//! and a simulation's (`simulate --html`). Inline CSS and SVG drawn here, no script and no
//! resource fetched from anywhere, so a page opens the same offline, attached to an email, or
//! years later.

use std::fmt::Write as _;

use chrono::{DateTime, Utc};

use crate::domain::{Bucket, SaleReport};

/// The drawing area of a chart, in SVG user units.
const WIDTH: f64 = 760.0;
const HEIGHT: f64 = 220.0;
/// Room for the axis labels around the plot.
const LEFT: f64 = 64.0;
const BOTTOM: f64 = 28.0;
const TOP: f64 = 12.0;
const RIGHT: f64 = 12.0;

/// Text made safe inside an element or a double-quoted attribute.
pub(crate) fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// A count as a coordinate. Counts in a chart stay far below 2^52, where f64 is exact.
#[expect(
    clippy::cast_precision_loss,
    reason = "chart coordinates: counts far below 2^52"
)]
pub(crate) fn float(n: i64) -> f64 {
    n as f64
}

/// A wall-clock instant as an axis label.
pub(crate) fn clock(at: DateTime<Utc>) -> String {
    at.format("%H:%M:%S").to_string()
}

/// The horizontal extent of a chart: from and to (in any unit, e.g. ms), and their labels.
pub(crate) struct Axis {
    pub(crate) from: i64,
    pub(crate) to: i64,
    pub(crate) from_label: String,
    pub(crate) to_label: String,
}

impl Axis {
    /// From `from` to `to`, both milliseconds since the epoch, labelled as clock times.
    pub(crate) fn clock(from: i64, to: i64) -> Axis {
        let label = |ms: i64| clock(DateTime::from_timestamp_millis(ms).unwrap_or_default());
        Axis {
            from,
            to,
            from_label: label(from),
            to_label: label(to),
        }
    }
}

/// One series of a chart: its name (for the legend), its CSS class, and its points
/// (position on the axis, value).
pub(crate) struct Series<'a> {
    pub(crate) name: &'a str,
    pub(crate) class: &'a str,
    pub(crate) points: Vec<(i64, f64)>,
}

/// Maps positions and values onto the plot area.
struct Scale {
    from: i64,
    span: i64,
    max: f64,
}

impl Scale {
    fn new(axis: &Axis, max: f64) -> Self {
        Scale {
            from: axis.from,
            span: (axis.to - axis.from).max(1),
            max: if max > 0.0 { max } else { 1.0 },
        }
    }
    fn x(&self, at: i64) -> f64 {
        LEFT + (WIDTH - LEFT - RIGHT) * float(at - self.from) / float(self.span)
    }
    fn y(&self, value: f64) -> f64 {
        TOP + (HEIGHT - TOP - BOTTOM) * (1.0 - value / self.max)
    }
}

/// The frame of a chart: axes, the value at the top and at zero, the axis' two labels.
fn frame(svg: &mut String, scale: &Scale, axis: &Axis, title: &str) {
    let (x0, x1) = (LEFT, WIDTH - RIGHT);
    let (y0, y1) = (HEIGHT - BOTTOM, TOP);
    let _ = write!(
        svg,
        "<svg viewBox=\"0 0 {WIDTH} {HEIGHT}\" width=\"{WIDTH}\" height=\"{HEIGHT}\" \
         role=\"img\" aria-label=\"{title}\">\
         <line class=\"axis\" x1=\"{x0}\" y1=\"{y0}\" x2=\"{x1}\" y2=\"{y0}\"/>\
         <line class=\"axis\" x1=\"{x0}\" y1=\"{y0}\" x2=\"{x0}\" y2=\"{y1}\"/>\
         <text x=\"{lx}\" y=\"{ty}\" text-anchor=\"end\">{max}</text>\
         <text x=\"{lx}\" y=\"{y0}\" text-anchor=\"end\">0</text>\
         <text x=\"{x0}\" y=\"{by}\">{from}</text>\
         <text x=\"{x1}\" y=\"{by}\" text-anchor=\"end\">{to}</text>",
        title = escape(title),
        lx = LEFT - 6.0,
        ty = TOP + 10.0,
        max = scale.max,
        by = HEIGHT - 8.0,
        from = escape(&axis.from_label),
        to = escape(&axis.to_label),
    );
}

/// The names of a chart's series beside a swatch of their colour; nothing for one series.
fn legend(series: &[Series]) -> String {
    if series.len() < 2 {
        return String::new();
    }
    let mut html = String::from("<p class=\"legend\">");
    for s in series {
        let _ = write!(
            html,
            "<span class=\"key {}\"></span>{} ",
            escape(s.class),
            escape(s.name)
        );
    }
    html.push_str("</p>");
    html
}

/// Values per slot as bars `width` wide, the series stacked in order; a paragraph saying
/// "none" when there is nothing to draw.
pub(crate) fn bars(axis: &Axis, width: i64, series: &[Series], title: &str) -> String {
    if series.iter().all(|s| s.points.is_empty()) {
        return format!("<p class=\"none\">{}: none.</p>", escape(title));
    }
    let mut totals = std::collections::BTreeMap::<i64, f64>::new();
    for s in series {
        for &(at, value) in &s.points {
            *totals.entry(at).or_default() += value;
        }
    }
    let max = totals.values().copied().fold(0.0, f64::max);
    let scale = Scale::new(axis, max);
    let mut svg = String::new();
    frame(&mut svg, &scale, axis, title);
    let bar = (scale.x(axis.from + width) - scale.x(axis.from)).max(1.0);
    let mut base = std::collections::BTreeMap::<i64, f64>::new();
    for s in series {
        for &(at, value) in &s.points {
            if value <= 0.0 {
                continue;
            }
            let below = base.entry(at).or_default();
            let (top, bottom) = (scale.y(*below + value), scale.y(*below));
            *below += value;
            let _ = write!(
                svg,
                "<rect class=\"{class}\" x=\"{x:.2}\" y=\"{top:.2}\" width=\"{w:.2}\" \
                 height=\"{h:.2}\"><title>{name}: {value}</title></rect>",
                class = escape(s.class),
                x = scale.x(at),
                w = (bar * 0.9).max(0.5),
                h = (bottom - top).max(0.0),
                name = escape(s.name),
            );
        }
    }
    svg.push_str("</svg>");
    svg.push_str(&legend(series));
    svg
}

/// Each series as a line through its points, from zero to at least `floor` high; a
/// paragraph saying `empty` when there is nothing to draw.
pub(crate) fn lines(
    axis: &Axis,
    series: &[Series],
    floor: f64,
    title: &str,
    empty: &str,
) -> String {
    if series.iter().all(|s| s.points.is_empty()) {
        return format!("<p class=\"none\">{}: {}</p>", escape(title), escape(empty));
    }
    let max = series
        .iter()
        .flat_map(|s| s.points.iter().map(|&(_, v)| v))
        .fold(floor, f64::max);
    let scale = Scale::new(axis, max);
    let mut svg = String::new();
    frame(&mut svg, &scale, axis, title);
    for s in series {
        let mut path = String::new();
        for &(at, value) in &s.points {
            let _ = write!(path, " {:.2},{:.2}", scale.x(at), scale.y(value));
        }
        let _ = write!(
            svg,
            "<polyline class=\"{}\" points=\"{}\"><title>{}</title></polyline>",
            escape(s.class),
            path.trim_start(),
            escape(s.name)
        );
    }
    svg.push_str("</svg>");
    svg.push_str(&legend(series));
    svg
}

/// A whole page: a heading, a line under it, the summary as a table, each section's heading
/// and chart, and the notes.
pub(crate) fn document(
    title: &str,
    subtitle: &str,
    summary: &[(&str, String)],
    sections: &[(String, String)],
    notes: &[&str],
) -> String {
    let mut rows = String::new();
    for (key, value) in summary {
        let _ = write!(
            rows,
            "<tr><th>{}</th><td>{}</td></tr>",
            escape(key),
            escape(value)
        );
    }
    let mut charts = String::new();
    for (heading, chart) in sections {
        let _ = write!(charts, "<h2>{}</h2>\n{chart}\n", escape(heading));
    }
    let mut footnotes = String::new();
    for note in notes {
        let _ = write!(footnotes, "<li>{}</li>", escape(note));
    }
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{title}</title>\n<style>\n{STYLE}</style>\n</head>\n<body>\n\
         <h1>{title}</h1>\n<p class=\"id\">{subtitle}</p>\n\
         <table>{rows}</table>\n{charts}\
         <ul class=\"notes\">{footnotes}</ul>\n</body>\n</html>\n",
        title = escape(title),
        subtitle = escape(subtitle),
    )
}

/// Counts per bucket as (start in ms, count).
fn points(buckets: &[Bucket]) -> Vec<(i64, f64)> {
    buckets
        .iter()
        .map(|b| (b.start.timestamp_millis(), float(b.count)))
        .collect()
}

/// The axis from the first bucket's start to the end of the last.
fn span(buckets: &[Bucket], width_ms: i64) -> Axis {
    let from = buckets.first().map_or(0, |b| b.start.timestamp_millis());
    let to = buckets.last().map_or(0, |b| b.start.timestamp_millis()) + width_ms;
    Axis::clock(from, to)
}

/// The post-sale report's page.
pub(crate) fn page(report: &SaleReport, summary: &[(&str, String)], notes: &[&str]) -> String {
    let c = &report.campaign;
    let width_ms = report.width.millis();
    let per = report.width.as_str();
    let claims_title = format!("Claims per {per}");
    let claims = bars(
        &span(&report.counts.claims, width_ms),
        width_ms,
        &[Series {
            name: "claims",
            class: "bar",
            points: points(&report.counts.claims),
        }],
        &claims_title,
    );
    // The total before the first claim, then the units left at the end of each bucket.
    let over_time = report.remaining_over_time();
    let mut left = Vec::with_capacity(over_time.len() + 1);
    if let Some(first) = over_time.first() {
        left.push((first.start.timestamp_millis(), float(c.total())));
    }
    left.extend(
        over_time
            .iter()
            .map(|p| (p.start.timestamp_millis() + width_ms, float(p.count))),
    );
    let remaining = lines(
        &span(&over_time, width_ms),
        &[Series {
            name: "remaining units",
            class: "line",
            points: left,
        }],
        float(c.total()),
        "Remaining units",
        "no claim yet.",
    );
    let redemptions_title = format!("Redemptions per {per}");
    let redemptions = bars(
        &span(&report.counts.redemptions, width_ms),
        width_ms,
        &[Series {
            name: "redemptions",
            class: "bar",
            points: points(&report.counts.redemptions),
        }],
        &redemptions_title,
    );
    document(
        &format!("Sale report: {}", c.name),
        &format!("campaign {}, times in UTC", c.id.as_str()),
        summary,
        &[
            (claims_title, claims),
            ("Remaining units".to_owned(), remaining),
            (redemptions_title, redemptions),
        ],
        notes,
    )
}

const STYLE: &str = "\
body { font-family: system-ui, sans-serif; margin: 2em auto; max-width: 800px; color: #222; }
h1 { font-size: 1.5em; } h2 { font-size: 1.1em; margin-top: 1.5em; }
.id { color: #666; }
table { border-collapse: collapse; }
th { text-align: left; font-weight: normal; color: #555; padding: 2px 1.5em 2px 0; }
td { padding: 2px 0; font-variant-numeric: tabular-nums; }
svg { display: block; max-width: 100%; height: auto; font-size: 11px; fill: #555; }
.axis { stroke: #999; stroke-width: 1; }
.bar { fill: #3b6ea8; }
.line { fill: none; stroke: #c0392b; stroke-width: 2; }
.line.p90 { stroke: #e67e22; } .line.p99 { stroke: #8e44ad; } .line.max { stroke: #7f8c8d; }
.line.offered { stroke: #7f8c8d; stroke-dasharray: 4 3; } .line.completed { stroke: #27ae60; }
.bar.sold-out { fill: #e67e22; } .bar.replayed { fill: #8fb3d9; } .bar.refused { fill: #b0b0b0; }
.bar.errors { fill: #c0392b; }
.legend { font-size: 0.85em; color: #555; margin: 0.2em 0 0 64px; }
.key { display: inline-block; width: 0.8em; height: 0.8em; margin: 0 0.3em 0 0.8em; }
.key.bar { background: #3b6ea8; } .key.bar.sold-out { background: #e67e22; }
.key.bar.replayed { background: #8fb3d9; } .key.bar.refused { background: #b0b0b0; }
.key.bar.errors { background: #c0392b; }
.key.line { background: #c0392b; } .key.line.p90 { background: #e67e22; }
.key.line.p99 { background: #8e44ad; } .key.line.max { background: #7f8c8d; }
.key.line.offered { background: #7f8c8d; } .key.line.completed { background: #27ae60; }
.none { color: #666; }
.notes { color: #666; font-size: 0.9em; margin-top: 2em; }
";
