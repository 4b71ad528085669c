//! How pages write times, counts and URLs: dates in UTC, "3 min ago",
//! thousands separators, query-string encoding. Pure functions, no I/O.

/// A Unix-ms time as `2026-11-26 04:31 UTC`.
pub(crate) fn when(ms: i64) -> String {
    match jiff::Timestamp::from_millisecond(ms) {
        Ok(timestamp) => timestamp.strftime("%Y-%m-%d %H:%M UTC").to_string(),
        Err(_) => "—".to_owned(),
    }
}

/// How long before `now` a Unix-ms time was, in the largest whole unit.
pub(crate) fn ago(ms: i64, now: i64) -> String {
    let seconds = (now - ms).max(0) / 1000;
    match seconds {
        0..=59 => "just now".to_owned(),
        60..=3_599 => format!("{} min ago", seconds / 60),
        3_600..=86_399 => format!("{} h ago", seconds / 3_600),
        _ => format!("{} d ago", seconds / 86_400),
    }
}

/// A duration in ms as `850 ms`, `12.3 s` or `4 min 5 s`.
pub(crate) fn duration(ms: i64) -> String {
    match ms {
        ..1_000 => format!("{ms} ms"),
        1_000..60_000 => format!("{:.1} s", ms as f64 / 1000.0),
        _ => format!("{} min {} s", ms / 60_000, (ms % 60_000) / 1000),
    }
}

/// `1234567` as `1,234,567`.
pub(crate) fn count(value: i64) -> String {
    let digits = value.unsigned_abs().to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3 + 1);
    if value < 0 {
        out.push('-');
    }
    for (index, digit) in digits.chars().enumerate() {
        if index > 0 && (digits.len() - index) % 3 == 0 {
            out.push(',');
        }
        out.push(digit);
    }
    out
}

/// Percent-encodes a query-string value.
pub(crate) fn encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => {
                out.push(char::from(byte));
            }
            _ => out.push_str(&format!("%{byte:02X}")),
        }
    }
    out
}

/// A query string (`?a=1&b=2`) of the pairs whose value is not empty.
pub(crate) fn query(pairs: &[(&str, &str)]) -> String {
    let parts: Vec<String> = pairs
        .iter()
        .filter(|(_, value)| !value.is_empty())
        .map(|(key, value)| format!("{key}={}", encode(value)))
        .collect();
    if parts.is_empty() { String::new() } else { format!("?{}", parts.join("&")) }
}

/// Rule text as HTML: escaped, with `code` spans (as rule explanations and
/// fixes write attribute names) set in `<code>`. An unpaired backtick stays.
pub(crate) fn inline_code(text: &str) -> String {
    let escape = |part: &str| {
        part.replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
            .replace('"', "&quot;")
            .replace('\'', "&#39;")
    };
    let parts: Vec<&str> = text.split('`').collect();
    let mut html = String::new();
    for (index, part) in parts.iter().enumerate() {
        let closed = index % 2 == 1 && index + 1 < parts.len();
        match (index % 2, closed) {
            (0, _) => html.push_str(&escape(part)),
            (_, true) => {
                html.push_str("<code>");
                html.push_str(&escape(part));
                html.push_str("</code>");
            }
            _ => {
                html.push('`');
                html.push_str(&escape(part));
            }
        }
    }
    html
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats() {
        assert_eq!(when(1_764_131_460_000), "2025-11-26 04:31 UTC");
        assert_eq!(ago(0, 59_000), "just now");
        assert_eq!(ago(0, 125_000), "2 min ago");
        assert_eq!(ago(0, 7_200_000), "2 h ago");
        assert_eq!(ago(0, 3 * 86_400_000), "3 d ago");
        assert_eq!(duration(850), "850 ms");
        assert_eq!(duration(12_340), "12.3 s");
        assert_eq!(duration(245_000), "4 min 5 s");
        assert_eq!(count(1_234_567), "1,234,567");
        assert_eq!(count(-1_000), "-1,000");
        assert_eq!(count(12), "12");
        assert_eq!(encode("a b&c/é"), "a%20b%26c/%C3%A9");
        assert_eq!(
            query(&[("kind", "secret"), ("q", ""), ("rule", "SEC 1")]),
            "?kind=secret&rule=SEC%201"
        );
        assert_eq!(query(&[("q", "")]), "");
    }
}
