//! A fixed report with one finding of each kind that has a report type, used by
//! the writer tests and snapshots.

use crate::{
    Dependency, Diagnostic, DiagnosticLevel, Evidence, Finding, FindingKind, Location, Package,
    Policy, Resource, Rule, RuleStatus, ScanReport, ScanStats, Severity, ToolInfo, mask_secret,
};

fn rule(id: &str, name: &str, kind: FindingKind, severity: Severity) -> Rule {
    Rule {
        id: id.into(),
        name: name.into(),
        kind,
        title: format!("{name} title"),
        severity,
        description: format!("What {name} finds."),
        remediation: format!("How to fix {name}."),
        references: vec![format!("https://docs.example.com/{name}")],
        aliases: Vec::new(),
        status: RuleStatus::Stable,
    }
}

pub(crate) fn sample_report() -> ScanReport {
    let mut secret = Finding::new(
        FindingKind::Secret,
        "SEC001",
        "AWS access key ID",
        Severity::High,
        Location::line_span("config/prod env.sh", 3, 19, 3, 39),
        "AKIAZ5IE4ZYEYRUHWWTV",
    );
    secret.evidence = Evidence {
        snippet: Some("export AWS_ACCESS_KEY_ID=AKIA…(20 chars)".into()),
        secret: Some(mask_secret("AKIAZ5IE4ZYEYRUHWWTV")),
    };
    let mut iac = Finding::new(
        FindingKind::Iac,
        "IAC001",
        "S3 bucket is public",
        Severity::Medium,
        Location::line_span("infra/s3.tf", 10, 1, 18, 2),
        "aws_s3_bucket.data",
    );
    iac.resource = Some(Resource {
        address: "aws_s3_bucket.data".into(),
        framework: "terraform".into(),
        attribute: None,
        attribute_line: None,
    });
    let mut vulnerability = Finding::new(
        FindingKind::Vulnerability,
        "RUSTSEC-2022-0013",
        "regex: denial of service",
        Severity::Low,
        Location::line_span("Cargo.lock", 40, 1, 40, 1),
        "pkg:cargo/regex@1.5.4 RUSTSEC-2022-0013",
    );
    vulnerability.package = Some(Package {
        ecosystem: "crates.io".into(),
        purl: "pkg:cargo/regex@1.5.4".into(),
        name: "regex".into(),
        version: "1.5.4".into(),
        dependency: Dependency::Transitive,
        fixed_versions: vec!["1.5.5".into()],
        dependency_path: vec!["actix-web@4.0.0".into(), "regex@1.5.4".into()],
    });
    vulnerability.remediation = "Upgrade regex to 1.5.5 or later.".into();
    vulnerability.advisory = Some(crate::AdvisoryInfo {
        id: "RUSTSEC-2022-0013".into(),
        aliases: vec!["CVE-2022-24713".into(), "GHSA-m5pq-gvj9-9vr8".into()],
        url: "https://rustsec.org/advisories/RUSTSEC-2022-0013.html".into(),
        cvss_vector: Some("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H".into()),
        cvss_score_tenths: Some(75),
    });
    let started_at =
        jiff::Timestamp::from_second(1_764_072_000).unwrap_or(jiff::Timestamp::UNIX_EPOCH);
    ScanReport {
        tool: ToolInfo {
            name: "vigil".into(),
            version: "0.0.0".into(),
            information_uri: "https://example.invalid/vigil".into(),
        },
        target: "project".into(),
        commit: Some("3f786850e387550fdab836ed7e6dc881de23001b".into()),
        started_at,
        finished_at: started_at + jiff::SignedDuration::from_millis(1234),
        kinds: vec![FindingKind::Secret, FindingKind::Iac, FindingKind::Vulnerability],
        rules: vec![
            rule("SEC001", "aws-access-key-id", FindingKind::Secret, Severity::High),
            rule("IAC001", "s3-bucket-public", FindingKind::Iac, Severity::Medium),
            rule("RUSTSEC-2022-0013", "regex-redos", FindingKind::Vulnerability, Severity::Low),
        ],
        findings: vec![vulnerability, secret, iac],
        diagnostics: vec![
            Diagnostic::for_file(
                DiagnosticLevel::Note,
                "assets/big.bin",
                "skipped: 2.0 GB is over the 10 MB size limit",
            ),
            Diagnostic::for_file(
                DiagnosticLevel::Error,
                "secret/locked.txt",
                "cannot read: permission denied",
            ),
        ],
        stats: ScanStats {
            files_scanned: 3,
            bytes_scanned: 4096,
            files_skipped: 2,
            baselined: 0,
            ignored: 0,
            rule_skipped: 0,
        },
        policy: Policy { fail_on: Some(Severity::Medium), soft_fail_on: vec![] },
    }
}
