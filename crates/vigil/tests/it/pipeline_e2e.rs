//! One tree, one verdict: a repository carrying a `vigil.toml` (an excluded
//! `vendor/`, a disabled rule, two severity overrides, `[policy] fail_on =
//! "high"`), a `.gitleaks.toml` with a custom rule and a
//! `.vigilignore-secrets`, with a planted secret for each of those
//! settings. `vigil scan` on the tree, the issues a real `vigil serve`
//! records from its onboarding scan and from a merge request that touches
//! every file must be the same set (fingerprints and severities), on SQLite
//! and PostgreSQL; the MR's status follows the repository's policy, not the
//! stricter server default an admin set; a broken `vigil.toml` on another
//! branch is named on that scan and in its MR note, and the scan still runs.

use std::collections::BTreeSet;

use gitlab_sim::Simulator;
use serde_json::{Value, json};

use crate::gitlab_e2e::{
    AWS, Browser, admin_and_gitlab, backends, connect_all, start_public_server, wait_until,
};
use crate::harness::Project;

const GITHUB_TOKEN: &str = "ghp_qQuHOtnUnwiedLRNSFNSzDf4IX6pmARK7vPU";
const ACME: &str = "ACME = 'acme_k3j9x2m7q8w1z5v4b6n0p3l7r9t2y8u1'\n";
const GITLAB: &str = "GITLAB_TOKEN=glpat-Vq3xTz8kLm2NpR7sWd4Y\n";

const CONFIG: &str = r#"[scan]
exclude = ["vendor/"]

[rules]
disable = ["SEC002"]                                   # the AWS secret key
severity = { SEC001 = "low", "acme-token" = "medium" }

[policy]
fail_on = "high"

[iac]
policies = "checks"
"#;

/// The repository's own Checkov policy, on a resource no built-in policy
/// looks at, so it adds exactly one finding wherever it runs.
const PET_POLICY: &str = "metadata:\n  id: CKV2_ACME_1\n  name: Pet names need two words\n  category: CONVENTION\n  severity: LOW\ndefinition:\n  cond_type: attribute\n  resource_types: [random_pet]\n  attribute: length\n  operator: greater_than_or_equal\n  value: 2\n";

const GITLEAKS: &str = "[extend]\nuseDefault = true\n\n[[rules]]\nid = \"acme-token\"\ndescription = \"Acme token\"\nregex = '''\\b(acme_[a-z0-9]{32})\\b'''\nkeywords = [\"acme_\"]\n";

/// The planted files: one secret reported with an override, one disabled
/// (beside it), one excluded by path, one accepted, one custom rule.
fn planted() -> Vec<(&'static str, String)> {
    vec![
        ("config/aws.env", String::from_utf8(AWS.to_vec()).unwrap()),
        ("vendor/lib/creds.env", GITLAB.to_owned()),
        ("old/rotated.env", format!("GITHUB_TOKEN={GITHUB_TOKEN}\n")),
        ("app/acme.py", ACME.to_owned()),
        ("README.md", "# app\n".to_owned()),
        ("infra/names.tf", "resource \"random_pet\" \"server\" {\n  length = 1\n}\n".to_owned()),
    ]
}

/// (fingerprint, severity) of `vigil scan --format json`'s findings.
fn cli_findings(project: &Project) -> (i32, BTreeSet<(String, String)>) {
    let run = project.vigil(&["scan", "--format", "json", "--quiet"]);
    let findings = run.json()["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|finding| {
            let text = |key: &str| finding[key].as_str().unwrap().to_owned();
            (text("fingerprint"), text("severity"))
        })
        .collect();
    (run.code, findings)
}

/// (fingerprint, severity) of the open issues of `branch`.
async fn open_issues(browser: &Browser, branch: &str) -> BTreeSet<(String, String)> {
    let page = browser.get(&format!("/api/v1/issues?status=open&branch={branch}&limit=500")).await;
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|issue| {
            let text = |key: &str| issue[key].as_str().unwrap().to_owned();
            (text("fingerprint"), text("severity"))
        })
        .collect()
}

/// The newest scan of `branch` once it finished.
async fn finished_scan(browser: &Browser, branch: &str, trigger: &str) -> Value {
    let scans = browser
        .wait_for("/api/v1/scans?limit=100", |scans| {
            scans["items"].as_array().is_some_and(|items| {
                items.iter().any(|scan| {
                    scan["branch"] == branch
                        && scan["trigger"] == trigger
                        && scan["status"] != "queued"
                        && scan["status"] != "running"
                })
            })
        })
        .await;
    scans["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|scan| scan["branch"] == branch && scan["trigger"] == trigger)
        .unwrap()
        .clone()
}

/// The `vigil` status of commit `head`, once there is one.
async fn vigil_status(sim: &Simulator, project: u64, head: &str) -> String {
    wait_until("the vigil status", || {
        sim.commit_statuses(project, head)
            .into_iter()
            .rfind(|status| status.name == "vigil")
            .map(|status| status.status)
    })
    .await
}

/// The body of Vigil's summary note on merge request `iid`.
fn summary_note(sim: &Simulator, project: u64, iid: u64) -> String {
    let notes = sim.notes(project, iid);
    notes.into_iter().find(|note| note.position.is_none()).map(|note| note.body).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cli_onboarding_and_merge_request_agree_and_follow_the_repository_policy() {
    for test in backends().await {
        let (data, sim, _token, project) = admin_and_gitlab(&test).await;

        // The tree on disk for the CLI; its accepted fingerprint first.
        let tree = Project::new();
        for (path, text) in planted() {
            tree.write(path, text);
        }
        tree.write(".gitleaks.toml", GITLEAKS);
        tree.write("checks/pets.yaml", PET_POLICY);
        let run = tree.vigil(&["scan", "--format", "json", "--quiet"]);
        let accepted = run.json()["findings"]
            .as_array()
            .unwrap()
            .iter()
            .find(|finding| finding["location"]["path"] == "old/rotated.env")
            .map(|finding| finding["fingerprint"].as_str().unwrap().to_owned())
            .unwrap();
        tree.write("vigil.toml", CONFIG);
        tree.write(".vigilignore-secrets", format!("{accepted}  # rotated, 2026-11\n"));
        let (code, cli) = cli_findings(&tree);
        let severities: Vec<&str> = cli.iter().map(|(_, severity)| severity.as_str()).collect();
        assert_eq!(
            cli.len(),
            3,
            "SEC001 (low), acme-token (medium) and the repository's CKV2_ACME_1 (low) only: {cli:?}"
        );
        assert!(severities.contains(&"low") && severities.contains(&"medium"), "{cli:?}");
        assert_eq!(code, 0, "nothing reaches the repository's fail_on = high");

        // The same tree in GitLab's default branch.
        for (path, text) in planted() {
            sim.write_file(project, path, text);
        }
        sim.write_file(project, "vigil.toml", CONFIG);
        sim.write_file(project, ".gitleaks.toml", GITLEAKS);
        sim.write_file(project, "checks/pets.yaml", PET_POLICY);
        sim.write_file(project, ".vigilignore-secrets", format!("{accepted}\n"));

        let (mut server, public) = start_public_server(&test.url, data.path());
        let browser = Browser::sign_in(&public).await;
        // A strict server default: every finding fails where a repository sets no policy.
        let (status, policy) = browser
            .call(
                reqwest::Method::PUT,
                "/api/v1/settings/policy",
                Some(json!({"fail_on": "info", "soft_fail_on": []})),
            )
            .await;
        assert_eq!(status, 200, "{policy}");
        connect_all(&browser, &sim, &public, test.name).await;
        let onboarding = finished_scan(&browser, "main", "onboarding").await;
        assert_eq!(onboarding["status"], "succeeded", "{onboarding}");
        assert_eq!(onboarding["errors"], "", "{onboarding}");
        assert_eq!(open_issues(&browser, "main").await, cli, "{} onboarding", test.name);

        // A merge request touching every planted file (fingerprints do not
        // depend on line numbers or on the rest of the file).
        sim.create_branch(project, "feature", "main").unwrap();
        let touched: Vec<(String, Vec<u8>)> = planted()
            .into_iter()
            .map(|(path, text)| (path.to_owned(), format!("# reviewed\n{text}").into_bytes()))
            .collect();
        let changes: Vec<(&str, Option<&[u8]>)> =
            touched.iter().map(|(path, text)| (path.as_str(), Some(text.as_slice()))).collect();
        let head = sim.commit(project, "feature", &changes, "Review every file").unwrap();
        let iid = sim.open_merge_request(project, "feature", "main", "Review").unwrap();
        let status = vigil_status(&sim, project, &head).await;
        assert_eq!(open_issues(&browser, "feature").await, cli, "{} merge request", test.name);
        assert_eq!(
            status, "success",
            "the repository's fail_on = high decides, not the server's fail_on = info"
        );
        let note = summary_note(&sim, project, iid);
        assert!(note.contains("3 issues") && note.contains("passes the policy"), "{note}");
        assert!(
            note.contains("CKV2_ACME_1"),
            "the merge request ran the repository's own policy: {note}"
        );

        // A broken vigil.toml: named on the scan and in the MR note; the scan runs on.
        sim.create_branch(project, "broken", "main").unwrap();
        let broken_config = CONFIG.replace("[policy]", "[polcy]");
        let acme = format!("# tweaked\n{ACME}");
        let head = sim
            .commit(
                project,
                "broken",
                &[
                    ("vigil.toml", Some(broken_config.as_bytes())),
                    ("app/acme.py", Some(acme.as_bytes())),
                ],
                "Tweak the config",
            )
            .unwrap();
        let iid = sim.open_merge_request(project, "broken", "main", "Tweak").unwrap();
        let status = vigil_status(&sim, project, &head).await;
        let scan = finished_scan(&browser, "broken", "merge_request").await;
        assert_eq!(scan["status"], "succeeded", "{scan}");
        let errors = scan["errors"].as_str().unwrap();
        assert!(
            errors.starts_with("vigil.toml:8:2: invalid vigil.toml: unknown field `polcy`"),
            "{errors}"
        );
        let detail = browser.get(&format!("/api/v1/scans/{}", scan["id"])).await;
        assert_eq!(
            detail["diagnostics"][0],
            json!({"level": "error", "path": "vigil.toml", "line": 8, "column": 2,
                   "message": "invalid vigil.toml: unknown field `polcy`, expected one of `scan`, `policy`, `rules`, `iac`, `licenses`"}),
            "{detail}"
        );
        let note = summary_note(&sim, project, iid);
        assert!(note.contains("**Configuration problems.**"), "{note}");
        assert!(
            note.contains("`vigil.toml:8:2: invalid vigil.toml: unknown field 'polcy'"),
            "{note}"
        );
        // Its defaults apply: the server's fail_on = info fails the MR's acme token.
        assert_eq!(status, "failed", "{note}");

        assert!(server.terminate().success());
        test.drop_database().await.unwrap();
    }
}
