//! Vigil's own JSON report format (documented in `docs/json-report.md`).
//! Fields are only ever added within a format version; a removal or change of
//! meaning bumps `version`.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use super::ScanReport;

/// The JSON report format version this build writes.
pub const FORMAT_VERSION: u32 = 1;

/// The report as a JSON value.
pub fn render(report: &ScanReport) -> Value {
    let mut value = header(report);
    if let Value::Object(map) = &mut value {
        let findings = report.findings.iter().map(|finding| finding_value(report, finding));
        map.insert("findings".into(), Value::Array(findings.collect()));
    }
    value
}

/// Everything but the findings.
fn header(report: &ScanReport) -> Value {
    let outcome = report.outcome();
    let mut by_kind: BTreeMap<&str, usize> = BTreeMap::new();
    for finding in &report.findings {
        *by_kind.entry(finding.kind.as_str()).or_default() += 1;
    }
    let by_severity: BTreeMap<&str, usize> = report
        .count_by_severity()
        .into_iter()
        .map(|(severity, count)| (severity.as_str(), count))
        .collect();
    json!({
        "format": "vigil-report",
        "version": FORMAT_VERSION,
        "tool": report.tool,
        "target": report.target,
        "commit": report.commit,
        "started_at": report.started_at.to_string(),
        "finished_at": report.finished_at.to_string(),
        "duration_ms": report.duration_ms(),
        "kinds": report.kinds,
        "stats": report.stats,
        "policy": report.policy,
        "outcome": {
            "failed": outcome.failed(),
            "failing": outcome.failing,
            "soft_failed": outcome.soft_failed,
            "below_threshold": outcome.below_threshold,
        },
        "summary": { "total": report.findings.len(), "by_severity": by_severity, "by_kind": by_kind },
        "diagnostics": report.diagnostics,
    })
}

fn finding_value(report: &ScanReport, finding: &crate::Finding) -> Value {
    let mut value = serde_json::to_value(finding).unwrap_or(Value::Null);
    if let Value::Object(map) = &mut value {
        map.insert("fails".into(), Value::Bool(report.policy.fails(finding)));
        map.insert("remediation".into(), Value::String(report.remediation_of(finding).to_owned()));
    }
    value
}

/// The report with its findings serialised one at a time, in the same
/// key order as [`render`] (keys sorted), so a scan of 100,000 findings
/// never holds them all as JSON values at once.
struct Streamed<'a> {
    report: &'a ScanReport,
    header: Value,
}

impl serde::Serialize for Streamed<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let Value::Object(header) = &self.header else {
            return Err(serde::ser::Error::custom("the report header is not an object"));
        };
        let mut map = serializer.serialize_map(Some(header.len() + 1))?;
        let mut findings_written = false;
        for (key, value) in header {
            if !findings_written && key.as_str() > "findings" {
                map.serialize_entry("findings", &Findings(self.report))?;
                findings_written = true;
            }
            map.serialize_entry(key, value)?;
        }
        if !findings_written {
            map.serialize_entry("findings", &Findings(self.report))?;
        }
        map.end()
    }
}

struct Findings<'a>(&'a ScanReport);

impl serde::Serialize for Findings<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeSeq;
        let mut seq = serializer.serialize_seq(Some(self.0.findings.len()))?;
        for finding in &self.0.findings {
            seq.serialize_element(&finding_value(self.0, finding))?;
        }
        seq.end()
    }
}

/// Writes the report as pretty JSON followed by a newline, one finding at
/// a time.
pub fn write(report: &ScanReport, out: &mut dyn std::io::Write) -> std::io::Result<()> {
    let streamed = Streamed { report, header: header(report) };
    serde_json::to_writer_pretty(&mut *out, &streamed)?;
    out.write_all(b"\n")
}
