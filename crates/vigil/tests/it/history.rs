//! `vigil scan --history` on real git repositories built with the git CLI.

use std::process::Command;

use crate::harness::{AWS_KEY_ID, GITHUB_TOKEN, Project};

const GITLAB_TOKEN: &str = "glpat-akgbSD1cvMWh854lcpiU";

fn git(project: &Project, args: &[&str], date: &str) {
    let status = Command::new("git")
        .args(args)
        .current_dir(project.root())
        .env("GIT_AUTHOR_NAME", "Ada Dev")
        .env("GIT_AUTHOR_EMAIL", "ada@example.com")
        .env("GIT_COMMITTER_NAME", "Ada Dev")
        .env("GIT_COMMITTER_EMAIL", "ada@example.com")
        .env("GIT_AUTHOR_DATE", date)
        .env("GIT_COMMITTER_DATE", date)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .status()
        .unwrap();
    assert!(status.success(), "git {args:?}");
}

fn commit(project: &Project, message: &str, date: &str) {
    git(project, &["add", "-A"], date);
    git(project, &["commit", "-q", "-m", message], date);
}

/// main: c1 adds a.env (AWS key), c2 deletes it and adds b.env (GitHub
/// token); branch `feature`: c3 adds a GitLab token to b.env.
fn repository() -> Project {
    let project = Project::new();
    git(&project, &["init", "-q", "-b", "main"], "2024-01-01T00:00:00Z");
    project.write("a.env", format!("KEY={AWS_KEY_ID}\n"));
    commit(&project, "one", "2024-01-01T00:00:00Z");
    std::fs::remove_file(project.path("a.env")).unwrap();
    project.write("b.env", format!("TOKEN={GITHUB_TOKEN}\n"));
    commit(&project, "two", "2024-01-02T00:00:00Z");
    git(&project, &["checkout", "-q", "-b", "feature"], "2024-01-03T00:00:00Z");
    project.write("b.env", format!("TOKEN={GITHUB_TOKEN}\n{GITLAB_TOKEN}\n"));
    commit(&project, "three", "2024-01-03T00:00:00Z");
    git(&project, &["checkout", "-q", "main"], "2024-01-03T00:00:00Z");
    project
}

#[test]
fn history_reports_each_secret_once_where_it_was_introduced() {
    let project = repository();
    let run = project.vigil(&["scan", "--history", "-f", "json"]);
    assert_eq!(run.code, 1, "{run:?}");
    let report = run.json();
    let found: Vec<(String, String, String, bool)> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            let introduced = &f["introduced"];
            (
                f["rule_id"].as_str().unwrap().to_owned(),
                f["location"]["path"].as_str().unwrap().to_owned(),
                introduced["date"].as_str().unwrap().to_owned(),
                introduced["deleted"].as_bool().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        found,
        [
            ("SEC001".into(), "a.env".into(), "2024-01-01T00:00:00Z".into(), true),
            ("SEC010".into(), "b.env".into(), "2024-01-02T00:00:00Z".into(), false),
            ("SEC020".into(), "b.env".into(), "2024-01-03T00:00:00Z".into(), false),
        ]
    );
    assert_eq!(report["findings"][0]["introduced"]["author"], "Ada Dev");
    assert_eq!(report["findings"][0]["introduced"]["commit"].as_str().unwrap().len(), 40);
    // Three distinct blobs: a.env, b.env v1, b.env v2.
    assert_eq!(report["stats"]["files_scanned"], 3);
    let table = project.vigil(&["scan", "--history"]);
    assert!(table.stdout.contains("(deleted, still in history)"), "{table:?}");
}

#[test]
fn a_corrupt_object_is_an_error_naming_it_and_the_rest_is_scanned() {
    let project = repository();
    // Find the loose object of b.env's first version and overwrite it with garbage.
    let output = Command::new("git")
        .args(["rev-parse", "main:b.env"])
        .current_dir(project.root())
        .output()
        .unwrap();
    let id = String::from_utf8(output.stdout).unwrap().trim().to_owned();
    let object = project.path(&format!(".git/objects/{}/{}", &id[..2], &id[2..]));
    let mut permissions = std::fs::metadata(&object).unwrap().permissions();
    #[expect(
        clippy::permissions_set_readonly_false,
        reason = "tests run on Unix; the object must be overwritten"
    )]
    permissions.set_readonly(false);
    std::fs::set_permissions(&object, permissions).unwrap();
    std::fs::write(&object, b"this is not zlib data").unwrap();
    let run = project.vigil(&["scan", "--history", "-f", "json"]);
    assert_eq!(run.code, 1, "{run:?}");
    let report = run.json();
    let rules: Vec<&str> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["rule_id"].as_str().unwrap())
        .collect();
    assert!(rules.contains(&"SEC001") && rules.contains(&"SEC020"), "{rules:?}");
    let errors: Vec<String> = report["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["message"].as_str().unwrap().to_owned())
        .collect();
    assert!(errors.iter().any(|message| message.contains(&id)), "{errors:?}");
}

#[test]
fn history_outside_a_repository_is_exit_2() {
    let project = Project::new();
    let run = project.vigil(&["scan", "--history"]);
    assert_eq!(run.code, 2, "{run:?}");
    assert!(run.stderr.contains("cannot read git history at ."), "{run:?}");
}
