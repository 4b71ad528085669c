//! The dashboard's charts as server-rendered SVG: horizontal stacked bars
//! (open issues by kind and severity) and paired columns (new and fixed
//! issues per day). Colours come from the stylesheet's classes; every
//! chart has a title and a text alternative. Pure functions returning
//! markup; labels are escaped here.

use crate::api::escape;

/// One horizontal bar: its label and its segments `(class, value)`.
pub(super) struct Bar {
    pub(super) label: String,
    pub(super) segments: Vec<(&'static str, i64)>,
}

/// Horizontal stacked bars, one per row, scaled to the largest total.
pub(super) fn stacked_bars(title: &str, bars: &[Bar]) -> String {
    let (label_width, bar_width, row_height) = (130.0, 440.0, 28.0);
    let height = row_height * bars.len().max(1) as f64 + 8.0;
    let max = bars
        .iter()
        .map(|bar| bar.segments.iter().map(|(_, value)| value).sum::<i64>())
        .max()
        .unwrap_or(0)
        .max(1);
    let mut svg = format!(
        "<svg viewBox=\"0 0 {} {height}\" role=\"img\" aria-label=\"{}\"><title>{}</title>",
        label_width + bar_width + 60.0,
        escape(title),
        escape(title)
    );
    for (index, bar) in bars.iter().enumerate() {
        let y = index as f64 * row_height + 4.0;
        svg.push_str(&format!(
            "<text x=\"0\" y=\"{:.1}\">{}</text>",
            y + row_height * 0.6,
            escape(&bar.label)
        ));
        let mut x = label_width;
        let mut total = 0;
        for (class, value) in &bar.segments {
            if *value == 0 {
                continue;
            }
            let width = *value as f64 / max as f64 * bar_width;
            svg.push_str(&format!(
                "<rect class=\"fill-{class}\" x=\"{x:.1}\" y=\"{y:.1}\" width=\"{width:.1}\" height=\"{:.1}\"><title>{}: {value} {class}</title></rect>",
                row_height - 8.0,
                escape(&bar.label)
            ));
            x += width;
            total += value;
        }
        svg.push_str(&format!(
            "<text x=\"{:.1}\" y=\"{:.1}\">{total}</text>",
            x + 6.0,
            y + row_height * 0.6
        ));
    }
    svg.push_str("</svg>");
    svg
}

/// Paired columns per point: `(label, first, second)`, e.g. new and fixed
/// issues per day; labels every seventh point.
pub(super) fn paired_columns(
    title: &str,
    points: &[(String, i64, i64)],
    classes: (&str, &str),
) -> String {
    let (width, height, bottom) = (600.0, 180.0, 20.0);
    let max = points.iter().map(|(_, a, b)| (*a).max(*b)).max().unwrap_or(0).max(1);
    let step = width / points.len().max(1) as f64;
    let column = (step / 2.0 - 1.0).max(1.0);
    let scale = (height - bottom - 12.0) / max as f64;
    let mut svg = format!(
        "<svg viewBox=\"0 0 {width} {height}\" role=\"img\" aria-label=\"{}\"><title>{}</title>",
        escape(title),
        escape(title)
    );
    svg.push_str(&format!(
        "<line x1=\"0\" x2=\"{width}\" y1=\"{0}\" y2=\"{0}\" class=\"axis\"/><text x=\"0\" y=\"10\">{max}</text>",
        height - bottom
    ));
    for (index, (label, first, second)) in points.iter().enumerate() {
        let x = index as f64 * step;
        for (offset, value, class) in [(0.0, *first, classes.0), (column + 1.0, *second, classes.1)]
        {
            let bar = value as f64 * scale;
            svg.push_str(&format!(
                "<rect class=\"fill-{class}\" x=\"{:.1}\" y=\"{:.1}\" width=\"{column:.1}\" height=\"{bar:.1}\"><title>{}: {value} {class}</title></rect>",
                x + offset,
                height - bottom - bar,
                escape(label)
            ));
        }
        if index % 7 == 0 {
            svg.push_str(&format!(
                "<text x=\"{x:.1}\" y=\"{:.1}\">{}</text>",
                height - 4.0,
                escape(label)
            ));
        }
    }
    svg.push_str("</svg>");
    svg
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bars_scale_to_the_largest_total_and_escape_labels() {
        let bars = vec![
            Bar { label: "Secrets <x>".into(), segments: vec![("critical", 2), ("high", 2)] },
            Bar { label: "IaC".into(), segments: vec![("low", 2), ("info", 0)] },
        ];
        let svg = stacked_bars("Open issues", &bars);
        assert!(svg.contains("Secrets &lt;x&gt;"), "{svg}");
        // 4 is the largest total: 2 of it is half the 440 px bar.
        assert!(
            svg.contains("class=\"fill-critical\" x=\"130.0\" y=\"4.0\" width=\"220.0\""),
            "{svg}"
        );
        assert!(svg.contains("class=\"fill-low\" x=\"130.0\" y=\"32.0\" width=\"220.0\""), "{svg}");
        assert!(!svg.contains("fill-info"), "zero segments are not drawn: {svg}");
        assert!(svg.contains(">4</text>") && svg.contains(">2</text>"));
    }

    #[test]
    fn columns_pair_two_series() {
        let points = vec![("11-01".to_owned(), 4, 2), ("11-02".to_owned(), 0, 1)];
        let svg = paired_columns("Trend", &points, ("new", "fixed"));
        assert_eq!(svg.matches("<rect").count(), 4);
        assert!(
            svg.contains("<title>11-01: 4 new</title>")
                && svg.contains("<title>11-02: 1 fixed</title>")
        );
        assert!(svg.contains(">11-01</text>") && !svg.contains(">11-02</text>"));
    }
}
