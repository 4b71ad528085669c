//! The IaC engine through the binary: `--only iac` on real IaC from the
//! corpus, GitLab's SAST report (what GitLab's own IaC scanning uses) and
//! SARIF validated against their schemas, skip comments, and hostile files
//! that are named in diagnostics while the rest of the tree is scanned.

use crate::harness::{Project, binary, run, shared, validate};

#[test]
fn the_gitlab_sast_report_of_real_terraform_validates_and_names_checkov_ids() {
    let out = tempfile::tempdir().unwrap();
    let corpus = shared().join("corpus/iac/terragoat");
    let reports = out.path().join("reports");
    let run = run(std::process::Command::new(binary()).args([
        "scan",
        "--only",
        "iac",
        "--format",
        "gitlab",
        "--output",
        reports.to_str().unwrap(),
        corpus.to_str().unwrap(),
    ]));
    assert_eq!(run.code, 1, "{run:?}");
    assert!(
        !reports.join("gl-secret-detection-report.json").exists(),
        "--only iac runs no secret rules"
    );
    let text = std::fs::read_to_string(reports.join("gl-sast-report.json")).unwrap();
    let report: serde_json::Value = serde_json::from_str(&text).unwrap();
    validate("gitlab/sast-report-format.json", &report);
    let vulnerabilities = report["vulnerabilities"].as_array().unwrap();
    assert!(vulnerabilities.len() > 300, "{}", vulnerabilities.len());
    // terragoat's buckets have no public access block (Checkov's CKV2_AWS_6).
    let open = vulnerabilities
        .iter()
        .find(|v| {
            v["location"]["file"] == "terraform/aws/s3.tf"
                && v["identifiers"].as_array().unwrap().iter().any(|i| i["value"] == "CKV2_AWS_6")
        })
        .unwrap_or_else(|| panic!("no CKV2_AWS_6 finding in s3.tf"));
    assert_eq!(open["identifiers"][0]["value"], "IAC1506");
    assert_eq!(open["identifiers"][1]["type"], "checkov");
    assert!(open["solution"].as_str().unwrap().contains("public_access_block"), "{open}");
}

fn iac_project() -> Project {
    let project = Project::new();
    project.write(
        "infra/main.tf",
        "variable \"public\" { default = true }\n\nresource \"aws_db_instance\" \"orders\" {\n  engine = \"postgres\"\n  publicly_accessible = var.public\n  storage_encrypted = true\n}\n\nresource \"aws_db_instance\" \"legacy\" {\n  # checkov:skip=CKV_AWS_17:behind a private link, reviewed 2026-11\n  engine = \"postgres\"\n  publicly_accessible = true\n  storage_encrypted = true\n}\n",
    );
    project.write("app/Dockerfile", "FROM python:3.12-slim\nUSER app\nHEALTHCHECK CMD true\n");
    project
}

#[test]
fn sarif_carries_the_resource_and_the_policy_and_skip_comments_hold() {
    let project = iac_project();
    let run = project.vigil(&["scan", "--only", "iac", "--format", "sarif"]);
    assert_eq!(run.code, 1, "{run:?}");
    let log = run.json();
    validate("sarif-2.1.0.json", &log);
    let results = log["runs"][0]["results"].as_array().unwrap();
    let public: Vec<&serde_json::Value> =
        results.iter().filter(|r| r["ruleId"] == "IAC1017").collect();
    assert_eq!(public.len(), 1, "the skipped resource is not reported: {results:#?}");
    let properties = &public[0]["properties"];
    assert_eq!(properties["resource"]["address"], "aws_db_instance.orders");
    assert_eq!(properties["resource"]["framework"], "terraform");
    assert_eq!(properties["resource"]["attribute"], "publicly_accessible");
    assert_eq!(properties["resource"]["attribute_line"], 5);
    assert_eq!(properties["policy"]["aliases"][0], "CKV_AWS_17");
    let region = &public[0]["locations"][0]["physicalLocation"]["region"];
    assert_eq!((region["startLine"].as_u64(), region["endLine"].as_u64()), (Some(3), Some(7)));
}

#[test]
fn hostile_iac_files_are_named_and_the_rest_is_scanned() {
    let project = iac_project();
    // An alias bomb, a deeply nested manifest, broken HCL and a module that
    // calls itself.
    let mut bomb = String::from(
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: lol\na0: &a0 [x, x, x, x, x, x, x, x, x, x]\n",
    );
    for level in 1..10 {
        let prev = level - 1;
        bomb.push_str(&format!("a{level}: &a{level} [*a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}]\n"));
    }
    project.write("k8s/bomb.yaml", bomb);
    project.write(
        "k8s/deep.yaml",
        format!(
            "apiVersion: v1\nkind: Pod\nmetadata:\n  name: deep\nspec: {}{}\n",
            "[".repeat(10_000),
            "]".repeat(10_000)
        ),
    );
    project.write("broken/main.tf", "resource \"aws_s3_bucket\" \"b\" {\n  acl = \n");
    project.write("loop/main.tf", "module \"again\" {\n  source = \"../loop\"\n}\n");
    project.write("k8s/pod.yaml", "apiVersion: v1\nkind: Pod\nmetadata:\n  name: web\nspec:\n  containers:\n  - name: web\n    image: nginx\n    securityContext:\n      privileged: true\n");
    let started = std::time::Instant::now();
    let run = project.vigil(&["scan", "--only", "iac", "--format", "json", "--fail-on", "never"]);
    assert!(started.elapsed() < std::time::Duration::from_secs(60), "bounded in time");
    assert_eq!(run.code, 0, "{run:?}");
    let report = run.json();
    let diagnostics: Vec<String> = report["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            format!(
                "{}:{} {}",
                d["path"].as_str().unwrap_or(""),
                d["line"],
                d["message"].as_str().unwrap_or("")
            )
        })
        .collect();
    let named = |path: &str, words: &str| {
        diagnostics.iter().any(|d| d.starts_with(path) && d.contains(words))
    };
    assert!(named("k8s/bomb.yaml", "alias bomb"), "{diagnostics:#?}");
    assert!(named("k8s/deep.yaml", "not checked"), "{diagnostics:#?}");
    assert!(named("broken/main.tf:", "not valid Terraform"), "{diagnostics:#?}");
    let findings = report["findings"].as_array().unwrap();
    let rules: Vec<&str> = findings.iter().map(|f| f["rule_id"].as_str().unwrap()).collect();
    assert!(
        rules.contains(&"IAC4016"),
        "the privileged pod beside the bad files is found: {rules:?}"
    );
    assert!(rules.contains(&"IAC1017"), "the Terraform beside the bad files is found: {rules:?}");
}
