//! The post-sale report as one self-contained HTML page: inline CSS and SVG charts drawn here,
//! no script and no resource fetched from anywhere, so it opens the same offline, attached to
//! an email, or years later.

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
fn float(n: i64) -> f64 {
    n as f64
}

fn clock(at: DateTime<Utc>) -> String {
    at.format("%H:%M:%S").to_string()
}

/// Maps instants and counts onto the plot area.
struct Scale {
    from: i64,
    span: i64,
    max: i64,
}

impl Scale {
    fn new(from: i64, to: i64, max: i64) -> Self {
        Scale {
            from,
            span: (to - from).max(1),
            max: max.max(1),
        }
    }
    fn x(&self, millis: i64) -> f64 {
        LEFT + (WIDTH - LEFT - RIGHT) * float(millis - self.from) / float(self.span)
    }
    fn y(&self, count: i64) -> f64 {
        TOP + (HEIGHT - TOP - BOTTOM) * (1.0 - float(count) / float(self.max))
    }
}

/// The frame of a chart: axes, the count at the top and at zero, the first and last instant.
fn frame(svg: &mut String, scale: &Scale, title: &str) {
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
        from = clock(DateTime::from_timestamp_millis(scale.from).unwrap_or_default()),
        to = clock(DateTime::from_timestamp_millis(scale.from + scale.span).unwrap_or_default()),
    );
}

/// Counts per bucket as bars, each as wide as its bucket.
fn bars(buckets: &[Bucket], width_ms: i64, title: &str) -> String {
    let (Some(first), Some(last)) = (buckets.first(), buckets.last()) else {
        return format!("<p class=\"none\">{}: none.</p>", escape(title));
    };
    let from = first.start.timestamp_millis();
    let to = last.start.timestamp_millis() + width_ms;
    let max = buckets.iter().map(|b| b.count).max().unwrap_or(1);
    let scale = Scale::new(from, to, max);
    let mut svg = String::new();
    frame(&mut svg, &scale, title);
    let bar = (scale.x(from + width_ms) - scale.x(from)).max(1.0);
    for b in buckets {
        let x = scale.x(b.start.timestamp_millis());
        let y = scale.y(b.count);
        let _ = write!(
            svg,
            "<rect class=\"bar\" x=\"{x:.2}\" y=\"{y:.2}\" width=\"{w:.2}\" height=\"{h:.2}\">\
             <title>{at}: {n}</title></rect>",
            w = (bar * 0.9).max(0.5),
            h = (HEIGHT - BOTTOM - y).max(0.0),
            at = clock(b.start),
            n = b.count,
        );
    }
    svg.push_str("</svg>");
    svg
}

/// Remaining units over time as a line: the total before the first claim, then the value at
/// the end of each bucket.
fn line(report: &SaleReport, points: &[Bucket], width_ms: i64, title: &str) -> String {
    let (Some(first), Some(last)) = (points.first(), points.last()) else {
        return format!("<p class=\"none\">{}: no claim yet.</p>", escape(title));
    };
    let from = first.start.timestamp_millis();
    let to = last.start.timestamp_millis() + width_ms;
    let total = report.campaign.total();
    let scale = Scale::new(from, to, total);
    let mut svg = String::new();
    frame(&mut svg, &scale, title);
    let mut path = format!("{:.2},{:.2}", scale.x(from), scale.y(total));
    for p in points {
        let _ = write!(
            path,
            " {:.2},{:.2}",
            scale.x(p.start.timestamp_millis() + width_ms),
            scale.y(p.count)
        );
    }
    let _ = write!(svg, "<polyline class=\"line\" points=\"{path}\"/></svg>");
    svg
}

/// The whole page.
pub(crate) fn page(report: &SaleReport, summary: &[(&str, String)], notes: &[&str]) -> String {
    let c = &report.campaign;
    let width_ms = report.width.millis();
    let per = report.width.as_str();
    let mut rows = String::new();
    for (key, value) in summary {
        let _ = write!(
            rows,
            "<tr><th>{}</th><td>{}</td></tr>",
            escape(key),
            escape(value)
        );
    }
    let mut footnotes = String::new();
    for note in notes {
        let _ = write!(footnotes, "<li>{}</li>", escape(note));
    }
    let claims = bars(
        &report.counts.claims,
        width_ms,
        &format!("Claims per {per}"),
    );
    let remaining = line(
        report,
        &report.remaining_over_time(),
        width_ms,
        "Remaining units",
    );
    let redemptions = bars(
        &report.counts.redemptions,
        width_ms,
        &format!("Redemptions per {per}"),
    );
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>Sale report: {title}</title>\n<style>\n{STYLE}</style>\n</head>\n<body>\n\
         <h1>Sale report: {title}</h1>\n<p class=\"id\">campaign <code>{id}</code>, times in UTC</p>\n\
         <table>{rows}</table>\n\
         <h2>Claims per {per}</h2>\n{claims}\n\
         <h2>Remaining units</h2>\n{remaining}\n\
         <h2>Redemptions per {per}</h2>\n{redemptions}\n\
         <ul class=\"notes\">{footnotes}</ul>\n</body>\n</html>\n",
        title = escape(&c.name),
        id = escape(c.id.as_str()),
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
.none { color: #666; }
.notes { color: #666; font-size: 0.9em; margin-top: 2em; }
";
