//! Rule-sample tests through the shared rule kit (`vigil-rulekit`): the
//! catalogue is sound, every built-in rule's true positives are found by
//! that rule exactly once and by the full engine, its false positives are
//! not, and a snapshot records what each rule reports on its samples.

use vigil_core::{Engine, FileOutput, SourceFile};
use vigil_rulekit::{RuleCase, Sample};

use super::SecretsEngine;
use crate::builtin_specs;

fn scan(engine: &SecretsEngine, path: &str, text: &str) -> FileOutput {
    let mut output = FileOutput::default();
    engine.scan_file(SourceFile { path, content: text.as_bytes() }, &mut output);
    output
}

/// Every built-in rule as the rule kit sees it.
fn cases() -> Vec<RuleCase> {
    builtin_specs()
        .unwrap()
        .into_iter()
        .map(|(file, spec)| {
            let samples = |texts: &[String]| {
                texts.iter().map(|text| Sample::new("sample.txt", text)).collect()
            };
            RuleCase {
                rule: spec.metadata(),
                origin: format!("rules/{file}"),
                true_samples: samples(&spec.true_positives),
                false_samples: samples(&spec.false_positives),
            }
        })
        .collect()
}

#[test]
fn the_rule_catalogue_is_sound() {
    let retired: Vec<&str> = crate::RETIRED_RULES.iter().map(|(id, _)| *id).collect();
    vigil_rulekit::assert_none(
        "catalogue problems",
        &vigil_rulekit::check_catalogue(&cases(), "SEC", &retired),
    );
}

#[test]
fn every_rule_finds_its_true_samples_alone_and_in_the_full_engine_and_no_false_one() {
    let specs = builtin_specs().unwrap();
    let full = SecretsEngine::from_specs(&specs).unwrap();
    let failures = vigil_rulekit::check_samples(&cases(), &full, |case| {
        let (file, spec) = specs.iter().find(|(_, spec)| spec.id == case.rule.id).unwrap();
        Box::new(SecretsEngine::from_specs(&[(*file, spec.clone())]).unwrap())
    });
    vigil_rulekit::assert_none("sample failures", &failures);
}

#[test]
fn snapshot_of_every_rule_on_its_samples() {
    let full = SecretsEngine::builtin().unwrap();
    let table = vigil_rulekit::snapshot(&cases(), &full, |finding| {
        let secret = finding.evidence.secret.as_ref().map_or("", |s| s.preview.as_str());
        format!(
            "{}@{}:{} {secret}",
            finding.rule_id, finding.location.start_line, finding.location.start_column
        )
    });
    insta::assert_snapshot!("rule_samples", table);
}

#[test]
fn findings_never_contain_the_secret_and_locate_it_exactly() {
    let engine = SecretsEngine::builtin().unwrap();
    let secret = "ghp_qQuHOtnUnwiedLRNSFNSzDf4IX6pmARK7vPU";
    let text = format!("line one\n  token = \"{secret}\"  # deploy\n");
    let output = scan(&engine, "ci/deploy.sh", &text);
    assert_eq!(output.findings.len(), 1);
    let finding = &output.findings[0];
    let location = &finding.location;
    assert_eq!(
        (location.start_line, location.start_column, location.end_line, location.end_column),
        (2, 12, 2, 52)
    );
    assert_eq!(finding.evidence.snippet.as_deref(), Some("token = \"ghp_…(40 chars)\"  # deploy"));
    let serialised = serde_json::to_string(finding).unwrap();
    assert!(!serialised.contains(&secret[4..]), "{serialised}");
}

#[test]
fn inline_markers_of_vigil_gitleaks_and_detect_secrets_suppress_their_line_only() {
    let engine = SecretsEngine::builtin().unwrap();
    let key = "AKIAZ5IE4ZYEYRUHWWTV";
    for marker in ["# vigil:ignore", "# gitleaks:allow", "# pragma: allowlist secret"] {
        let text = format!("a = \"{key}\" {marker}\nb = \"{key}\"\n");
        let lines: Vec<u32> =
            scan(&engine, "x.py", &text).findings.iter().map(|f| f.location.start_line).collect();
        assert_eq!(lines, [2], "{marker}");
    }
}

#[test]
fn a_generic_match_yields_to_the_specific_rule() {
    let engine = SecretsEngine::builtin().unwrap();
    let rules: Vec<String> =
        scan(&engine, "x.py", "token = \"ghp_qQuHOtnUnwiedLRNSFNSzDf4IX6pmARK7vPU\"")
            .findings
            .into_iter()
            .map(|f| f.rule_id)
            .collect();
    assert_eq!(rules, ["SEC010"]);
}

#[test]
fn two_generic_rules_on_one_secret_report_it_once() {
    let rule = |id: &str, regex: &str| {
        format!(
            "[[rules]]\nid = '{id}'\nname = '{id}'\ntitle = 't'\nseverity = 'high'\ndescription = 'd'\n\
             remediation = 'r'\nkeywords = ['key']\nregex = \"\"\"{regex}\"\"\"\nfallback = true\n\
             true_positives = []\nfalse_positives = []\n"
        )
    };
    let text = rule("SEC901", r"key=([a-z0-9]{12})") + &rule("SEC902", r"([a-z0-9]{12})$");
    let specs: Vec<(&str, crate::RuleSpec)> = crate::rules::parse_file("test.toml", &text)
        .unwrap()
        .into_iter()
        .map(|spec| ("test.toml", spec))
        .collect();
    let engine = SecretsEngine::from_specs(&specs).unwrap();
    let rules: Vec<String> = scan(&engine, "a.env", "key=k3j9x2m7q8w1")
        .findings
        .into_iter()
        .map(|f| f.rule_id)
        .collect();
    assert_eq!(rules, ["SEC901"]);
}

#[test]
fn pathological_input_is_linear_and_does_not_panic() {
    let engine = SecretsEngine::builtin().unwrap();
    let mut text = String::from("password = \"");
    text.push_str(&"a".repeat(2_000_000));
    text.push_str(&"-----BEGIN RSA PRIVATE KEY-----".repeat(10_000));
    text.push_str(&"postgres://u:".repeat(10_000));
    let output = scan(&engine, "min.js", &text);
    assert!(output.findings.is_empty());
    let invalid = b"token = \"\xff\xfeghp_qQuHOtnUnwiedLRNSFNSzDf4IX6pmARK7vPU\"";
    let mut output = FileOutput::default();
    engine.scan_file(SourceFile { path: "bin.txt", content: invalid }, &mut output);
    assert_eq!(output.findings.len(), 1);
}

#[test]
fn a_50_megabyte_single_line_file_is_scanned_with_bounded_evidence() {
    let engine = SecretsEngine::builtin().unwrap();
    let chunk = "function a(b){return b.token?b.pass:null};var c={key:\"v\",secret:d.e};";
    let mut text = chunk.repeat(50_000_000 / chunk.len() / 2);
    text.push_str("var k=\"AKIAZ5IE4ZYEYRUHWWTV\";");
    text.push_str(&chunk.repeat(50_000_000 / chunk.len() / 2));
    assert!(text.len() >= 49_000_000 && !text.contains('\n'));
    let output = scan(&engine, "dist/app.min.js", &text);
    let rules: Vec<&str> = output.findings.iter().map(|f| f.rule_id.as_str()).collect();
    assert_eq!(rules, ["SEC001"]);
    let snippet = output.findings[0].evidence.snippet.as_deref().unwrap();
    assert!(snippet.chars().count() <= 201 && snippet.contains("AKIA…(20 chars)"), "{snippet}");
    assert_eq!(output.findings[0].location.start_line, 1);
}
