//! Writer tests: every machine format is validated against its official schema
//! from `../shared/schemas`, and snapshotted.

use std::path::PathBuf;

use serde_json::Value;

use super::test_support::sample_report;
use super::{gitlab, json, junit, sarif};

fn schema(relative: &str) -> Value {
    let path =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/schemas").join(relative);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|error| {
        panic!("official schema {} is needed by this test: {error}", path.display())
    });
    serde_json::from_str(&text).unwrap()
}

fn assert_valid(schema_path: &str, instance: &Value) {
    let validator = jsonschema::validator_for(&schema(schema_path)).unwrap();
    let errors: Vec<String> = validator
        .iter_errors(instance)
        .map(|error| format!("{} at {}", error, error.instance_path))
        .collect();
    assert!(errors.is_empty(), "{schema_path} rejects the report:\n{}", errors.join("\n"));
}

#[test]
fn sarif_is_valid_sarif_2_1_0() {
    let report = sample_report();
    let log = sarif::render(&report);
    assert_valid("sarif-2.1.0.json", &log);
    let results = log["runs"][0]["results"].as_array().unwrap();
    assert_eq!(results.len(), 3);
    let secret = results.iter().find(|result| result["ruleId"] == "SEC001").unwrap();
    assert_eq!(
        secret["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
        "config/prod%20env.sh"
    );
    assert_eq!(secret["ruleIndex"], 0);
    assert_eq!(secret["level"], "error");
    insta::assert_json_snapshot!("sarif", log);
}

#[test]
fn a_schema_violation_is_detected() {
    // The validation above can fail: an out-of-range line breaks the schema.
    let mut log = sarif::render(&sample_report());
    log["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["region"]["startLine"] =
        Value::from(0);
    let validator = jsonschema::validator_for(&schema("sarif-2.1.0.json")).unwrap();
    assert!(!validator.is_valid(&log));
}

#[test]
fn gitlab_reports_are_valid_against_gitlabs_schemas() {
    let report = sample_report();
    let types = gitlab::report_types(&report);
    assert_eq!(types.len(), 3);
    for (report_type, schema_path, rule) in [
        (
            gitlab::ReportType::SecretDetection,
            "gitlab/secret-detection-report-format.json",
            "SEC001",
        ),
        (gitlab::ReportType::Sast, "gitlab/sast-report-format.json", "IAC001"),
        (
            gitlab::ReportType::DependencyScanning,
            "gitlab/dependency-scanning-report-format.json",
            "RUSTSEC-2022-0013",
        ),
    ] {
        let rendered = gitlab::render(&report, report_type);
        assert_valid(schema_path, &rendered);
        let vulnerabilities = rendered["vulnerabilities"].as_array().unwrap();
        assert_eq!(vulnerabilities.len(), 1, "{report_type:?}");
        assert_eq!(vulnerabilities[0]["identifiers"][0]["value"], rule);
        insta::assert_json_snapshot!(report_type.as_str(), rendered);
    }
}

#[test]
fn json_report_carries_outcome_and_never_the_secret() {
    let report = sample_report();
    let rendered = json::render(&report);
    assert_eq!(rendered["outcome"]["failing"], 2);
    assert_eq!(rendered["outcome"]["below_threshold"], 1);
    assert!(!rendered.to_string().contains("AKIAZ5IE4ZYEYRUHWWTV"));
    // What `write` streams is byte for byte what `render` builds.
    let mut streamed = Vec::new();
    json::write(&report, &mut streamed).unwrap();
    let mut built = serde_json::to_vec_pretty(&rendered).unwrap();
    built.push(b'\n');
    assert_eq!(String::from_utf8(streamed).unwrap(), String::from_utf8(built).unwrap());
    insta::assert_json_snapshot!("json", rendered);
}

#[test]
fn junit_is_well_formed_and_counts_failures() {
    let xml = junit::render(&sample_report());
    assert!(xml.contains("<testsuites name=\"vigil\" tests=\"3\" failures=\"2\""), "{xml}");
    assert!(xml.contains("classname=\"config/prod env.sh\""));
    assert_eq!(xml.matches("<testcase ").count(), xml.matches("</testcase>").count());
    insta::assert_snapshot!("junit", xml);
}
