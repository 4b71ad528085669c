//! SARIF 2.1.0 (OASIS, with Errata 01) rendering: one run, every rule that ran
//! in `tool.driver.rules`, one result per finding, scan diagnostics as tool
//! execution notifications. Paths are relative to `%SRCROOT%`, the scan root.

use std::collections::HashMap;

use serde_json::{Value, json};

use super::ScanReport;
use crate::{DiagnosticLevel, Finding, Rule};

const SCHEMA_URI: &str =
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json";

/// The report as a SARIF log.
pub fn render(report: &ScanReport) -> Value {
    let rule_index: HashMap<&str, usize> =
        report.rules.iter().enumerate().map(|(index, rule)| (rule.id.as_str(), index)).collect();
    let results: Vec<Value> = report
        .findings
        .iter()
        .map(|finding| result(report, finding, rule_index.get(finding.rule_id.as_str())))
        .collect();
    let notifications: Vec<Value> = report.diagnostics.iter().map(notification).collect();
    json!({
        "$schema": SCHEMA_URI,
        "version": "2.1.0",
        "runs": [{
            "tool": { "driver": {
                "name": report.tool.name,
                "version": report.tool.version,
                "semanticVersion": report.tool.version,
                "informationUri": report.tool.information_uri,
                "rules": report.rules.iter().map(rule_descriptor).collect::<Vec<_>>(),
            }},
            "originalUriBaseIds": { "%SRCROOT%": { "description": { "text": format!("The scanned directory, {}", report.target) } } },
            "columnKind": "unicodeCodePoints",
            "invocations": [{
                "executionSuccessful": true,
                "startTimeUtc": report.started_at.to_string(),
                "endTimeUtc": report.finished_at.to_string(),
                "toolExecutionNotifications": notifications,
            }],
            "results": results,
        }],
    })
}

/// Writes the SARIF log as pretty JSON followed by a newline.
pub fn write(report: &ScanReport, out: &mut dyn std::io::Write) -> std::io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, &render(report))?;
    out.write_all(b"\n")
}

fn rule_descriptor(rule: &Rule) -> Value {
    let mut help = format!("{}\n\nFix: {}", rule.description, rule.remediation);
    for reference in &rule.references {
        help.push_str("\n- ");
        help.push_str(reference);
    }
    let mut descriptor = json!({
        "id": rule.id,
        "name": rule.name,
        "shortDescription": { "text": rule.title },
        "fullDescription": { "text": rule.description },
        "help": { "text": help },
        "defaultConfiguration": { "level": rule.severity.sarif_level() },
        "properties": {
            "tags": ["security", rule.kind.as_str()],
            "security-severity": rule.severity.security_severity(),
            "severity": rule.severity.as_str(),
        },
    });
    if let (Some(first), Value::Object(map)) = (rule.references.first(), &mut descriptor) {
        map.insert("helpUri".into(), Value::String(first.clone()));
    }
    if !rule.aliases.is_empty() {
        if let Some(Value::Object(properties)) = descriptor.get_mut("properties") {
            properties.insert("aliases".into(), json!(rule.aliases));
        }
    }
    descriptor
}

fn result(report: &ScanReport, finding: &Finding, rule_index: Option<&usize>) -> Value {
    let location = &finding.location;
    let mut message = finding.title.clone();
    if let Some(secret) = &finding.evidence.secret {
        message.push_str(&format!(": {}", secret.preview));
    }
    let mut region = json!({
        "startLine": location.start_line,
        "startColumn": location.start_column,
        "endLine": location.end_line,
        "endColumn": location.end_column,
    });
    if let (Some(snippet), Value::Object(map)) = (&finding.evidence.snippet, &mut region) {
        map.insert("snippet".into(), json!({ "text": snippet }));
    }
    let mut properties = json!({
        "kind": finding.kind.as_str(),
        "severity": finding.severity.as_str(),
        "security-severity": finding.severity.security_severity(),
        "fails": report.policy.fails(finding),
    });
    if let Value::Object(map) = &mut properties {
        if let Some(secret) = &finding.evidence.secret {
            map.insert("secretSha256".into(), Value::String(secret.sha256.clone()));
        }
        if let Some(introduced) = &finding.introduced {
            map.insert(
                "introduced".into(),
                serde_json::to_value(introduced).unwrap_or(Value::Null),
            );
        }
        if let Some(package) = &finding.package {
            map.insert("package".into(), serde_json::to_value(package).unwrap_or(Value::Null));
        }
        if let Some(resource) = &finding.resource {
            map.insert("resource".into(), serde_json::to_value(resource).unwrap_or(Value::Null));
            // The policy that failed, with the ids other tools know it by.
            let aliases = report.rule(&finding.rule_id).map(|rule| rule.aliases.clone());
            map.insert(
                "policy".into(),
                json!({ "id": finding.rule_id, "aliases": aliases.unwrap_or_default() }),
            );
        }
        if let Some(advisory) = &finding.advisory {
            map.insert("advisory".into(), serde_json::to_value(advisory).unwrap_or(Value::Null));
        }
        if let Some(license) = &finding.license {
            map.insert("license".into(), serde_json::to_value(license).unwrap_or(Value::Null));
        }
    }
    let mut value = json!({
        "ruleId": finding.rule_id,
        "level": finding.severity.sarif_level(),
        "message": { "text": message },
        "locations": [{ "physicalLocation": {
            "artifactLocation": { "uri": uri_escape(&location.path), "uriBaseId": "%SRCROOT%" },
            "region": region,
        }}],
        "partialFingerprints": { "vigilFingerprint/v1": finding.fingerprint },
        "properties": properties,
    });
    if let (Some(index), Value::Object(map)) = (rule_index, &mut value) {
        map.insert("ruleIndex".into(), json!(index));
    }
    value
}

fn notification(diagnostic: &crate::Diagnostic) -> Value {
    let level = match diagnostic.level {
        DiagnosticLevel::Error => "error",
        DiagnosticLevel::Warning => "warning",
        DiagnosticLevel::Note => "note",
    };
    let mut value = json!({ "level": level, "message": { "text": diagnostic.message } });
    if let (Some(path), Value::Object(map)) = (&diagnostic.path, &mut value) {
        map.insert(
            "locations".into(),
            json!([{ "physicalLocation": { "artifactLocation": { "uri": uri_escape(path), "uriBaseId": "%SRCROOT%" } } }]),
        );
    }
    value
}

/// Percent-encodes the characters that may not appear in a relative URI
/// reference; `/` stays as the separator.
fn uri_escape(path: &str) -> String {
    let mut escaped = String::with_capacity(path.len());
    for byte in path.bytes() {
        let keep = byte.is_ascii_alphanumeric() || b"/-._~!$&'()*+,;=:@".contains(&byte);
        if keep {
            escaped.push(char::from(byte));
        } else {
            escaped.push_str(&format!("%{byte:02X}"));
        }
    }
    escaped
}
