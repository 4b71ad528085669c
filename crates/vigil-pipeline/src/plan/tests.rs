//! Plan tests: each layer of configuration, each problem in a repository's
//! files (named with its position, the rest still applied) and a scan of a
//! real tree through the full secrets engine.

use vigil_core::{Diagnostic, FindingKind, Policy, Severity, SoftFail};

use super::*;

const GITHUB_TOKEN: &str = "ghp_qQuHOtnUnwiedLRNSFNSzDf4IX6pmARK7vPU";
const AWS_KEY_ID: &str = "AKIAZ5IE4ZYEYRUHWWTV";

fn files(entries: &[(&str, &str)]) -> RepoFiles {
    let mut files = RepoFiles::default();
    for (name, text) in entries {
        files.insert(name, name, (*text).to_owned());
    }
    files
}

fn plan(entries: &[(&str, &str)], overrides: &Overrides, default: Option<&Policy>) -> Plan {
    let files = files(entries);
    Plan::build(&Inputs { files: &files, overrides, default_policy: default }).unwrap()
}

/// The plan of `files` under `overrides`, without a server default.
fn build(files: &RepoFiles, overrides: &Overrides) -> Plan {
    Plan::build(&Inputs { files, overrides, default_policy: None }).unwrap()
}

fn problems(plan: &Plan) -> Vec<String> {
    plan.problems.iter().map(Diagnostic::describe).collect()
}

#[test]
fn without_configuration_every_engine_runs_with_the_default_policy() {
    let plan = plan(&[], &Overrides::default(), None);
    assert_eq!(
        plan.engines().map(|engine| engine.name()).collect::<Vec<_>>(),
        ["secrets", "iac", "dependencies", "licenses"]
    );
    assert_eq!(plan.policy, Policy::default());
    let kinds = [
        FindingKind::Secret,
        FindingKind::Iac,
        FindingKind::Vulnerability,
        FindingKind::License,
        FindingKind::OperationalRisk,
    ];
    assert_eq!(plan.kinds, kinds);
    assert!(plan.rules.len() > 300, "{}", plan.rules.len());
    assert!(plan.problems.is_empty() && plan.notes.is_empty());
}

#[test]
fn the_repository_configuration_is_applied() {
    let config = r#"
[scan]
exclude = ["vendor/"]
max_file_size = "2MB"
[policy]
fail_on = "high"
soft_fail_on = ["SEC010"]
[rules]
disable = ["SEC002"]
severity = { SEC001 = "low" }
"#;
    let plan = plan(&[("vigil.toml", config)], &Overrides::default(), None);
    assert!(plan.problems.is_empty(), "{:?}", plan.problems);
    assert_eq!(plan.options.excludes, ["vendor/"]);
    assert_eq!(plan.options.max_file_size, 2_000_000);
    assert!(plan.options.disabled_rules.contains("SEC002"));
    assert_eq!(plan.policy.fail_on, Some(Severity::High));
    assert_eq!(plan.policy.soft_fail_on, [SoftFail::Rule("SEC010".into())]);
    let rule = |id: &str| plan.rules.iter().find(|rule| rule.id == id).map(|rule| rule.severity);
    assert_eq!(rule("SEC001"), Some(Severity::Low));
    assert_eq!(rule("SEC002"), None);
    assert_eq!(plan.notes, ["Using config vigil.toml."]);
}

#[test]
fn the_server_default_applies_where_the_repository_sets_nothing_and_flags_win() {
    let server = Policy {
        fail_on: Some(Severity::Critical),
        soft_fail_on: vec![SoftFail::Kind(FindingKind::Secret)],
    };
    // (vigil.toml, --fail-on) -> (fail_on, soft entries)
    let check = |config: &str, fail_on: Option<&str>| {
        let overrides = Overrides { fail_on: fail_on.map(str::to_owned), ..Overrides::default() };
        let plan = plan(&[("vigil.toml", config)], &overrides, Some(&server));
        (plan.policy.fail_on, plan.policy.soft_fail_on.len())
    };
    assert_eq!(check("", None), (Some(Severity::Critical), 1));
    assert_eq!(check("[policy]\nfail_on = \"medium\"\n", None), (Some(Severity::Medium), 1));
    assert_eq!(check("[policy]\nsoft_fail_on = []\n", None), (Some(Severity::Critical), 0));
    assert_eq!(check("[policy]\nfail_on = \"medium\"\n", Some("never")), (None, 1));
}

#[test]
fn problems_in_repository_files_are_named_with_their_position_and_the_rest_applies() {
    let config = "[scan]\nexclude = [\"vendor/\", \"a/[\"]\n\n[policy]\nfail_on = \"urgent\"\n\n[rules]\ndisable = [\"SEC999\", \"SEC002\"]\n";
    let ignore = format!("# accepted\n{}\nnot-a-fingerprint\n", "ab".repeat(16));
    let plan = plan(
        &[
            ("vigil.toml", config),
            (".vigilignore-secrets", &ignore),
            (".gitleaks.toml", "[[rules]]\nid = 'x'\nregex = '('\n"),
        ],
        &Overrides::default(),
        None,
    );
    let problems = problems(&plan);
    assert_eq!(problems.len(), 5, "{problems:#?}");
    assert!(
        problems[0].starts_with(
            ".gitleaks.toml: gitleaks configuration not imported: rules[0] (id x): invalid regex"
        ),
        "{}",
        problems[0]
    );
    assert_eq!(
        problems[1],
        ".vigilignore-secrets:3: `not-a-fingerprint` is not a fingerprint (32 hex characters)"
    );
    assert!(problems[2].starts_with("vigil.toml:2:24: [scan] exclude: invalid pattern `a/[`"));
    assert!(
        problems[3].starts_with("vigil.toml:5:12: [policy] fail_on: unknown severity `urgent`")
    );
    assert!(problems[4].starts_with("vigil.toml:8:13: [rules] disable: unknown rule id `SEC999`"));
    // Everything else still applies.
    assert_eq!(plan.options.excludes, ["vendor/"]);
    assert!(plan.options.disabled_rules.contains("SEC002"));
    assert_eq!(plan.policy.fail_on, Policy::default().fail_on);
    assert_eq!(plan.accepted.len(), 1);
    assert!(plan.rules.len() > 300, "the built-in rules run when the gitleaks file is broken");
}

#[test]
fn a_config_file_that_is_not_toml_gives_the_defaults_and_says_where() {
    let plan = plan(&[("vigil.toml", "[scan\nexclude = 1\n")], &Overrides::default(), None);
    assert_eq!(
        problems(&plan),
        ["vigil.toml:1:6: invalid vigil.toml: invalid table header\nexpected `.`, `]`"]
    );
    assert_eq!(plan.policy, Policy::default());
}

#[test]
fn bad_overrides_are_errors_naming_the_flag() {
    let check = |overrides: Overrides| {
        Plan::build(&Inputs {
            files: &RepoFiles::default(),
            overrides: &overrides,
            default_policy: None,
        })
        .unwrap_err()
        .to_string()
    };
    let error = check(Overrides { fail_on: Some("urgent".into()), ..Overrides::default() });
    assert!(error.starts_with("--fail-on: unknown severity"), "{error}");
    let error = check(Overrides { skip_rule: vec!["SEC999".into()], ..Overrides::default() });
    assert_eq!(error, "--skip-rule: unknown rule id `SEC999` (`vigil rules` lists them)");

    let error = check(Overrides { only: vec!["bogus".into()], ..Overrides::default() });
    assert!(error.starts_with("--only: unknown finding kind `bogus`"), "{error}");
}

#[test]
fn a_scan_honours_excludes_disabled_rules_overrides_and_accepted_fingerprints() {
    let dir = tempfile::tempdir().unwrap();
    let write = |path: &str, text: &str| {
        let path = dir.path().join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    };
    write("app/settings.py", &format!("GITHUB_TOKEN = \"{GITHUB_TOKEN}\"\n"));
    write("vendor/lib.py", &format!("GITHUB_TOKEN = \"{GITHUB_TOKEN}\"\n"));
    write("deploy/aws.env", &format!("AWS_ACCESS_KEY_ID = \"{AWS_KEY_ID}\"\n"));
    write("old/accepted.env", "AWS_ACCESS_KEY_ID = \"AKIAZ5IE4ZYEYRUHWWTX\"\n");
    // First without configuration: the fingerprint to accept.
    let plain =
        plan(&[], &Overrides::default(), None).scan(dir.path(), &Default::default()).unwrap();
    let summary = |run: &ScanRun| -> Vec<String> {
        run.findings
            .iter()
            .map(|finding| {
                format!("{} {} {}", finding.location.path, finding.rule_id, finding.severity)
            })
            .collect()
    };
    assert_eq!(
        summary(&plain),
        [
            "app/settings.py SEC010 high",
            "deploy/aws.env SEC001 high",
            "old/accepted.env SEC001 high",
            "vendor/lib.py SEC010 high",
        ]
    );
    let accepted = plain.findings[2].fingerprint.clone();
    write(
        "vigil.toml",
        "[scan]\nexclude = [\"vendor/\"]\n[rules]\nseverity = { SEC001 = \"low\" }\n",
    );
    write(".vigilignore-secrets", &format!("{accepted} # rotated in March\n"));
    let (files, unreadable) = RepoFiles::read_dir(dir.path());
    assert!(unreadable.is_empty());
    let plan = build(&files, &Overrides::default());
    let run = plan.scan(dir.path(), &Default::default()).unwrap();
    assert_eq!(summary(&run), ["app/settings.py SEC010 high", "deploy/aws.env SEC001 low"]);
    assert_eq!(run.stats.ignored, 1);
    let disabled = Overrides { skip_rule: vec!["SEC010".into()], ..Overrides::default() };
    let plan = build(&files, &disabled);
    let run = plan.scan(dir.path(), &Default::default()).unwrap();
    assert_eq!(summary(&run), ["deploy/aws.env SEC001 low"]);
    assert_eq!(run.stats.rule_skipped, 1);

    // A committed baseline holds back what it lists, on every caller.
    let baseline = vigil_core::Baseline::from_findings(&run.findings, jiff::Timestamp::UNIX_EPOCH);
    write(".vigil-baseline.json", &baseline.to_json());
    let (files, _) = RepoFiles::read_dir(dir.path());
    let plan = build(&files, &Overrides::default());
    let run = plan.scan(dir.path(), &Default::default()).unwrap();
    assert_eq!(summary(&run), ["app/settings.py SEC010 high"]);
    assert_eq!((run.stats.baselined, run.baselined.len()), (1, 1));
    write(".vigil-baseline.json", "{\"version\": 99}");
    let (files, _) = RepoFiles::read_dir(dir.path());
    let plan = build(&files, &Overrides::default());
    assert!(
        problems(&plan)[0].starts_with(".vigil-baseline.json: baseline not applied:"),
        "{:?}",
        problems(&plan)
    );
}

#[test]
fn a_repository_runs_its_own_checkov_policies_and_skips_what_it_names() {
    let dir = tempfile::tempdir().unwrap();
    let write = |path: &str, text: &str| {
        let path = dir.path().join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    };
    write(
        "infra/main.tf",
        "resource \"aws_s3_bucket\" \"logs\" {\n  bucket = \"logs\"\n  acl = \"public-read\"\n}\n",
    );
    // A policy exactly as Checkov's documentation writes one.
    write(
        "checks/tags.yaml",
        "metadata:\n  id: CKV2_CUSTOM_1\n  name: Buckets must carry an owner tag\n  category: CONVENTION\ndefinition:\n  cond_type: attribute\n  resource_types: [aws_s3_bucket]\n  attribute: tags.owner\n  operator: exists\n",
    );
    write("vigil.toml", "[iac]\npolicies = \"checks\"\nskip = [\"CKV_AWS_21\"]\n");
    let (files, unreadable) = RepoFiles::read_dir(dir.path());
    assert!(unreadable.is_empty(), "{unreadable:?}");
    let only_iac = Overrides { only: vec!["iac".into()], ..Overrides::default() };
    let plan = build(&files, &only_iac);
    assert!(problems(&plan).is_empty(), "{:?}", problems(&plan));
    let run = plan.scan(dir.path(), &Default::default()).unwrap();
    let ids: Vec<&str> = run.findings.iter().map(|f| f.rule_id.as_str()).collect();
    assert!(ids.contains(&"CKV2_CUSTOM_1"), "{ids:?}");
    assert!(ids.contains(&"IAC1020"), "the public-read ACL is found: {ids:?}");
    assert!(!ids.contains(&"IAC1021"), "CKV_AWS_21 is skipped by its Checkov id: {ids:?}");

    // A policy Vigil cannot run names the file, the line and the operator,
    // and the built-in policies still run.
    write(
        "checks/tags.yaml",
        "metadata:\n  id: CKV2_CUSTOM_1\n  name: x\n  category: CONVENTION\ndefinition:\n  cond_type: attribute\n  resource_types: [aws_s3_bucket]\n  attribute: tags\n  operator: has_owner\n",
    );
    let (files, _) = RepoFiles::read_dir(dir.path());
    let plan = build(&files, &only_iac);
    let problems = problems(&plan);
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert!(
        problems[0].starts_with(
            "checks/tags.yaml:9: IaC policy not loaded: operator `has_owner` is not supported"
        ),
        "{problems:?}"
    );
    let run = plan.scan(dir.path(), &Default::default()).unwrap();
    assert!(run.findings.iter().any(|f| f.rule_id == "IAC1020"));

    // The policy directory must be inside the repository.
    write("vigil.toml", "[iac]\npolicies = \"../elsewhere\"\n");
    let (_, unreadable) = RepoFiles::read_dir(dir.path());
    assert_eq!(unreadable.len(), 1);
    assert!(
        unreadable[0].message.contains("not a directory inside the repository"),
        "{unreadable:?}"
    );
}
