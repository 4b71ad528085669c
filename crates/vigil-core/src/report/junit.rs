//! JUnit XML rendering for CI systems that show test results: one test suite
//! per finding kind scanned, one failed test case per finding that fails the
//! policy, one skipped test case per finding that does not.

use std::fmt::Write as _;

use super::ScanReport;

/// Writes the report as JUnit XML.
pub fn write(report: &ScanReport, out: &mut dyn std::io::Write) -> std::io::Result<()> {
    out.write_all(render(report).as_bytes())
}

/// The report as JUnit XML text.
pub fn render(report: &ScanReport) -> String {
    let seconds = report.duration_ms() as f64 / 1000.0;
    let mut xml = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let failures = report.outcome().failing;
    let _ = writeln!(
        xml,
        "<testsuites name=\"vigil\" tests=\"{}\" failures=\"{failures}\" time=\"{seconds:.3}\">",
        report.findings.len()
    );
    for kind in &report.kinds {
        let findings: Vec<_> =
            report.findings.iter().filter(|finding| finding.kind == *kind).collect();
        let failing = findings.iter().filter(|finding| report.policy.fails(finding)).count();
        let _ = writeln!(
            xml,
            "  <testsuite name=\"vigil.{kind}\" tests=\"{}\" failures=\"{failing}\" skipped=\"{}\" timestamp=\"{}\">",
            findings.len(),
            findings.len() - failing,
            report.started_at.strftime("%Y-%m-%dT%H:%M:%S"),
        );
        for finding in findings {
            let location = &finding.location;
            let name = format!("{} {}:{}", finding.rule_id, location.path, location.start_line);
            let _ = writeln!(
                xml,
                "    <testcase name=\"{}\" classname=\"{}\" file=\"{}\" line=\"{}\">",
                escape(&name),
                escape(&location.path),
                escape(&location.path),
                location.start_line
            );
            let mut detail = format!(
                "{} ({}) at {}:{}:{}",
                finding.title,
                finding.severity,
                location.path,
                location.start_line,
                location.start_column
            );
            if let Some(secret) = &finding.evidence.secret {
                let _ = write!(detail, "\nsecret: {}", secret.preview);
            }
            let remediation = report.remediation_of(finding);
            if !remediation.is_empty() {
                let _ = write!(detail, "\nfix: {remediation}");
            }
            if report.policy.fails(finding) {
                let _ = writeln!(
                    xml,
                    "      <failure message=\"{}\" type=\"{}\">{}</failure>",
                    escape(&finding.title),
                    finding.severity,
                    escape(&detail)
                );
            } else {
                let _ = writeln!(
                    xml,
                    "      <skipped message=\"{}\"/>",
                    escape(&format!("below the fail threshold: {detail}"))
                );
            }
            let _ = writeln!(xml, "    </testcase>");
        }
        let _ = writeln!(xml, "  </testsuite>");
    }
    let _ = writeln!(xml, "</testsuites>");
    xml
}

/// Escapes text for XML attributes and content, dropping characters XML 1.0
/// cannot represent at all.
fn escape(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for character in text.chars() {
        match character {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '"' => escaped.push_str("&quot;"),
            '\'' => escaped.push_str("&apos;"),
            '\n' => escaped.push_str("&#10;"),
            '\t' | '\r' => escaped.push(character),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => {
                escaped.push('\u{FFFD}')
            }
            c => escaped.push(c),
        }
    }
    escaped
}
