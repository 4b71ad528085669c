//! Report formats written by the binary, validated against the official
//! schemas in ../shared/schemas.

use crate::harness::{AWS_KEY_ID, GITHUB_TOKEN, Project, validate};

fn project_with_secrets() -> Project {
    let project = Project::new();
    project.write("config/prod env.sh", format!("export AWS_ACCESS_KEY_ID={AWS_KEY_ID}\n"));
    project.write("ci.yml", format!("variables:\n  TOKEN: \"{GITHUB_TOKEN}\"\n"));
    project
}

#[test]
fn sarif_output_is_valid_sarif_2_1_0() {
    let project = project_with_secrets();
    let run = project.vigil(&["scan", "--format", "sarif"]);
    assert_eq!(run.code, 1, "{run:?}");
    let log = run.json();
    validate("sarif-2.1.0.json", &log);
    let results = log["runs"][0]["results"].as_array().unwrap();
    let uris: Vec<&str> = results
        .iter()
        .map(|r| r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"].as_str().unwrap())
        .collect();
    assert_eq!(uris, ["ci.yml", "config/prod%20env.sh"]);
    let rules = log["runs"][0]["tool"]["driver"]["rules"].as_array().unwrap();
    assert!(rules.len() >= 40, "all rules that ran are described, got {}", rules.len());
}

#[test]
fn gitlab_reports_land_in_the_output_directory_and_validate() {
    let project = project_with_secrets();
    let run = project.vigil(&[
        "scan",
        "--format",
        "gitlab",
        "--output",
        "reports",
        "--commit",
        "3f786850e387550fdab836ed7e6dc881de23001b",
    ]);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(
        run.stderr.contains(
            "Wrote GitLab secret_detection report reports/gl-secret-detection-report.json"
        ),
        "{run:?}"
    );
    let text =
        std::fs::read_to_string(project.path("reports/gl-secret-detection-report.json")).unwrap();
    let report: serde_json::Value = serde_json::from_str(&text).unwrap();
    validate("gitlab/secret-detection-report-format.json", &report);
    let vulnerabilities = report["vulnerabilities"].as_array().unwrap();
    assert_eq!(vulnerabilities.len(), 2);
    assert_eq!(
        vulnerabilities[0]["location"]["commit"]["sha"],
        "3f786850e387550fdab836ed7e6dc881de23001b"
    );
    assert!(!text.contains(&GITHUB_TOKEN[4..]));
}

#[test]
fn junit_output_counts_failures_and_writes_to_a_file() {
    let project = project_with_secrets();
    let run = project.vigil(&[
        "scan",
        "--format",
        "junit",
        "--output",
        "junit.xml",
        "--fail-on",
        "critical",
    ]);
    assert_eq!(run.code, 0, "{run:?}");
    let xml = std::fs::read_to_string(project.path("junit.xml")).unwrap();
    assert!(xml.starts_with("<?xml"), "{xml}");
    assert!(xml.contains("<testsuites name=\"vigil\" tests=\"2\" failures=\"0\""), "{xml}");
    assert_eq!(xml.matches("<skipped ").count(), 2);
}

#[test]
fn json_output_is_the_documented_format() {
    let project = project_with_secrets();
    let report = project.vigil(&["scan", "-f", "json"]).json();
    assert_eq!(
        (report["format"].as_str(), report["version"].as_u64()),
        (Some("vigil-report"), Some(1))
    );
    let finding = &report["findings"][0];
    for key in [
        "fingerprint",
        "kind",
        "rule_id",
        "title",
        "severity",
        "location",
        "evidence",
        "remediation",
        "fails",
    ] {
        assert!(finding.get(key).is_some(), "finding lacks `{key}`: {finding}");
    }
    assert_eq!(finding["evidence"]["secret"]["preview"], "ghp_…(40 chars)");
}

#[test]
fn writing_to_a_device_leaves_the_device_in_place() {
    use std::os::unix::fs::FileTypeExt;
    let project = project_with_secrets();
    let run = project.vigil(&["scan", "--format", "json", "--output", "/dev/null"]);
    assert_eq!(run.code, 1, "{run:?}");
    assert!(
        std::fs::metadata("/dev/null").unwrap().file_type().is_char_device(),
        "/dev/null was replaced"
    );
}
