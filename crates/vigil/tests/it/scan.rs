//! The main path: find, fail, pass, fingerprints, baselines, config, flags.

use crate::harness::{AWS_KEY_ID, GITHUB_TOKEN, Project};

fn fingerprints(run: &crate::harness::Run) -> Vec<String> {
    run.json()["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["fingerprint"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn finds_secrets_fails_with_exit_1_and_never_prints_them() {
    let project = Project::new();
    project.write("deploy/ci.env", format!("# deploy\nGITHUB_TOKEN={GITHUB_TOKEN}\n"));
    project.write("src/app.py", format!("AWS_ACCESS_KEY_ID = \"{AWS_KEY_ID}\"\n"));
    let run = project.vigil(&["scan", "--format", "json"]);
    assert_eq!(run.code, 1, "{run:?}");
    let report = run.json();
    let found: Vec<(String, String, u64)> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["rule_id"].as_str().unwrap().into(),
                f["location"]["path"].as_str().unwrap().into(),
                f["location"]["start_line"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        found,
        [("SEC010".into(), "deploy/ci.env".into(), 2), ("SEC001".into(), "src/app.py".into(), 1)]
    );
    assert_eq!(report["outcome"]["failed"], true);
    assert_eq!(report["stats"]["files_scanned"], 2);
    for secret in [GITHUB_TOKEN, AWS_KEY_ID] {
        assert!(
            !run.stdout.contains(&secret[4..]) && !run.stderr.contains(&secret[4..]),
            "secret leaked: {run:?}"
        );
    }
    assert!(run.stderr.contains("Scanned 2 files"), "{run:?}");
    assert!(run.stderr.contains("FAILED: 2 findings at or above `low`"), "{run:?}");
}

#[test]
fn a_clean_tree_exits_0_and_quiet_prints_nothing() {
    let project = Project::new();
    project.write("README.md", "# nothing to see\npassword = os.environ['PASSWORD']\n");
    let run = project.vigil(&["scan"]);
    assert_eq!((run.code, run.stdout.trim()), (0, "No findings."), "{run:?}");
    assert!(run.stderr.contains("PASSED"), "{run:?}");
    let quiet = project.vigil(&["scan", "-q"]);
    assert_eq!((quiet.code, quiet.stderr.as_str()), (0, ""), "{quiet:?}");
}

#[test]
fn fail_on_and_soft_fail_on_decide_the_exit_code() {
    let project = Project::new();
    project.write("a.env", format!("GITHUB_TOKEN={GITHUB_TOKEN}\n")); // high
    assert_eq!(project.vigil(&["scan", "--fail-on", "critical"]).code, 0);
    assert_eq!(project.vigil(&["scan", "--fail-on", "high"]).code, 1);
    assert_eq!(project.vigil(&["scan", "--fail-on", "never"]).code, 0);
    assert_eq!(project.vigil(&["scan", "--soft-fail-on", "high"]).code, 0);
    assert_eq!(project.vigil(&["scan", "--soft-fail-on", "SEC010"]).code, 0);
    assert_eq!(project.vigil(&["scan", "--soft-fail-on", "secret"]).code, 0);
    assert_eq!(project.vigil(&["scan", "--soft-fail-on", "SEC001"]).code, 1);
    let table = project.vigil(&["scan", "--soft-fail-on", "secret"]);
    assert!(
        table.stdout.contains("SEC010") && table.stdout.contains("(does not fail)"),
        "{table:?}"
    );
}

#[test]
fn fingerprints_survive_unrelated_edits_and_identify_new_findings() {
    let project = Project::new();
    project.write("config.py", format!("KEY = \"{AWS_KEY_ID}\"\n"));
    let before = fingerprints(&project.vigil(&["scan", "-f", "json"]));
    project.write("config.py", format!("import os\n\n\n# moved down\nKEY = \"{AWS_KEY_ID}\"\n"));
    let after = fingerprints(&project.vigil(&["scan", "-f", "json"]));
    assert_eq!(before, after);
    project.write("config.py", format!("KEY = \"{AWS_KEY_ID}\"\nOTHER = \"{GITHUB_TOKEN}\"\n"));
    let more = fingerprints(&project.vigil(&["scan", "-f", "json"]));
    assert_eq!(more.len(), 2);
    assert!(more.contains(&before[0]));
}

#[test]
fn a_baseline_hides_accepted_findings_and_reports_new_ones() {
    let project = Project::new();
    project.write("old.env", format!("KEY={AWS_KEY_ID}\n"));
    let written = project.vigil(&["scan", "--write-baseline", "baseline.json", "-q"]);
    assert_eq!(written.code, 1, "{written:?}");
    let baseline: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(project.path("baseline.json")).unwrap())
            .unwrap();
    assert_eq!(baseline["findings"][0]["rule_id"], "SEC001");
    let accepted = project.vigil(&["scan", "--baseline", "baseline.json"]);
    assert_eq!(accepted.code, 0, "{accepted:?}");
    assert!(accepted.stderr.contains("1 accepted by the baseline"), "{accepted:?}");
    project.write("new.env", format!("TOKEN={GITHUB_TOKEN}\n"));
    let run = project.vigil(&["scan", "--baseline", "baseline.json", "-f", "json"]);
    assert_eq!(run.code, 1);
    let rules: Vec<String> = run.json()["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["rule_id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(rules, ["SEC010"]);
    project.write("broken.json", "{not json");
    let broken = project.vigil(&["scan", "--baseline", "broken.json"]);
    assert_eq!(broken.code, 2);
    assert!(
        broken.stderr.contains("broken.json: baseline not applied: not a vigil baseline"),
        "{broken:?}"
    );
}

#[test]
fn the_config_file_sets_policy_rules_and_excludes() {
    let project = Project::new();
    project.write("vendor/lib.env", format!("KEY={AWS_KEY_ID}\n"));
    project.write("app.env", format!("TOKEN={GITHUB_TOKEN}\nKEY={AWS_KEY_ID}\n"));
    project.write(
        "vigil.toml",
        "[scan]\nexclude = [\"vendor/\"]\n\n[policy]\nfail_on = \"critical\"\n\n[rules]\ndisable = [\"SEC001\"]\nseverity = { SEC010 = \"critical\" }\n",
    );
    let run = project.vigil(&["scan", "-f", "json"]);
    assert_eq!(run.code, 1, "{run:?}");
    let findings = run.json()["findings"].as_array().unwrap().clone();
    assert_eq!(findings.len(), 1);
    assert_eq!(
        (findings[0]["rule_id"].as_str(), findings[0]["severity"].as_str()),
        (Some("SEC010"), Some("critical"))
    );
    assert!(run.stderr.contains("Using config"), "{run:?}");
}

#[test]
fn config_errors_name_the_key_and_line() {
    let project = Project::new();
    project.write("vigil.toml", "[scan]\nexclude = []\nfollow_symlinks = true\n");
    let run = project.vigil(&["scan"]);
    assert_eq!(run.code, 2, "{run:?}");
    assert!(
        run.stderr.contains("vigil.toml:3:1: invalid vigil.toml: unknown field `follow_symlinks`"),
        "{run:?}"
    );
    project.write("vigil.toml", "[rules]\ndisable = [\"SEC9999\"]\n");
    let run = project.vigil(&["scan"]);
    assert!(run.stderr.contains("unknown rule id `SEC9999`"), "{run:?}");
    let missing = project.vigil(&["scan", "--config", "nope.toml"]);
    assert_eq!(missing.code, 2);
    assert!(missing.stderr.contains("cannot read config file nope.toml"), "{missing:?}");
    // An unreadable vigil.toml stops the scan, unless --config replaces it.
    project.write("vigil.toml", [0xff, 0xfe]);
    let unreadable = project.vigil(&["scan"]);
    assert_eq!(unreadable.code, 2, "{unreadable:?}");
    assert!(unreadable.stderr.contains("vigil.toml: not read: not UTF-8 text"), "{unreadable:?}");
    project.write("ci.toml", "[policy]\nfail_on = \"never\"\n");
    let replaced = project.vigil(&["scan", "--config", "ci.toml"]);
    assert_eq!(replaced.code, 0, "{replaced:?}");
}

#[test]
fn flags_are_validated_with_clear_errors() {
    let project = Project::new();
    for (args, message) in [
        (&["scan", "--fail-on", "severe"][..], "unknown severity `severe`"),
        (&["scan", "--only", "secrets,iac"][..], "unknown finding kind `secrets`"),
        (&["scan", "--skip-rule", "NOPE1"][..], "unknown rule id `NOPE1`"),
        (&["scan", "--max-file-size", "big"][..], "invalid size `big`"),
        (&["scan", "--format", "pdf"][..], "invalid value 'pdf'"),
        (&["scan", "--soft-fail-on", "a b"][..], "`a b` is not a severity"),
    ] {
        let run = project.vigil(args);
        assert_eq!(run.code, 2, "{args:?}: {run:?}");
        assert!(run.stderr.contains(message), "{args:?}: {run:?}");
    }
}

#[test]
fn skip_rule_and_only_select_what_runs() {
    let project = Project::new();
    project.write("a.env", format!("TOKEN={GITHUB_TOKEN}\nKEY={AWS_KEY_ID}\n"));
    let run = project.vigil(&["scan", "--skip-rule", "SEC010", "--only", "secret", "-f", "json"]);
    let rules: Vec<String> = run.json()["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["rule_id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(rules, ["SEC001"]);
    assert_eq!(run.json()["stats"]["rule_skipped"], 1);
}

#[test]
fn rules_lists_every_rule() {
    let run = Project::new().vigil(&["rules", "--format", "json"]);
    assert_eq!(run.code, 0);
    let rules = run.json();
    let ids: Vec<&str> =
        rules.as_array().unwrap().iter().map(|rule| rule["id"].as_str().unwrap()).collect();
    assert!(ids.contains(&"SEC001") && ids.contains(&"SEC120"), "{ids:?}");
    for id in ["LIC001", "LIC002", "SCA005"] {
        assert!(ids.contains(&id), "{id}: {ids:?}");
    }
    // The table also says what decides license and operational-risk severities.
    let table = Project::new().vigil(&["rules"]);
    assert!(table.stdout.contains("  strong_copyleft    high\n"), "{table:?}");
    assert!(table.stdout.contains("  permissive         none\n"), "{table:?}");
    assert!(
        table.stdout.contains("  maintainers                                  up to 15\n"),
        "{table:?}"
    );
}

#[test]
fn a_gitleaks_config_in_the_tree_adds_its_rules() {
    let project = Project::new();
    project.write(
        ".gitleaks.toml",
        "[extend]\nuseDefault = true\n\n[[rules]]\nid = \"acme-token\"\ndescription = \"Acme token\"\nregex = '''\\b(acme_[a-z0-9]{32})\\b'''\nkeywords = [\"acme_\"]\n",
    );
    project.write(
        "app.py",
        format!("t = 'acme_k3j9x2m7q8w1z5v4b6n0p3l7r9t2y8u1'\nKEY = '{AWS_KEY_ID}'\n"),
    );
    let run = project.vigil(&["scan", "-f", "json"]);
    assert_eq!(run.code, 1, "{run:?}");
    let rules: Vec<String> = run.json()["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["rule_id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(rules, ["acme-token", "SEC001"]);
    assert!(
        run.stderr
            .contains("Using 1 gitleaks rules from ./.gitleaks.toml with the built-in rules."),
        "{run:?}"
    );
    project.write(
        ".gitleaks.toml",
        "[[rules]]\nid = 'x'\nregex = 'a'\n[rules.allowlist]\ncommits = ['abc']\n",
    );
    let broken = project.vigil(&["scan"]);
    assert_eq!(broken.code, 2, "{broken:?}");
    assert!(broken.stderr.contains("./.gitleaks.toml: gitleaks configuration not imported: rules[0] (id x) allowlist: `commits` is not supported"), "{broken:?}");
}

#[test]
fn an_ignore_file_of_fingerprints_accepts_secrets() {
    let project = Project::new();
    project.write("a.env", format!("TOKEN={GITHUB_TOKEN}\nKEY={AWS_KEY_ID}\n"));
    let first = fingerprints(&project.vigil(&["scan", "-f", "json"]));
    project.write(
        ".vigilignore-secrets",
        format!("# rotated on 2026-11-20\n{}  github token, revoked\n", first[0]),
    );
    let run = project.vigil(&["scan", "-f", "json"]);
    assert_eq!(fingerprints(&run), [first[1].clone()]);
    assert_eq!(run.json()["stats"]["ignored"], 1);
    project.write(".vigilignore-secrets", "not-a-fingerprint\n");
    let broken = project.vigil(&["scan"]);
    assert_eq!(broken.code, 2);
    assert!(
        broken.stderr.contains(".vigilignore-secrets:1: `not-a-fingerprint` is not a fingerprint"),
        "{broken:?}"
    );
}
