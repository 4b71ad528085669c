//! The Web UI in a real browser: Playwright (npm `playwright-core`)
//! drives Debian's Chromium against a real `vigil serve` process and the
//! GitLab simulator, both on loopback. The scenario is
//! `ui-tests/scenario.mjs`; it completes the onboarding wizard (GitLab's
//! consent included), checks the instance shows Connected, copies a row
//! through the context menu and reads the clipboard, edits the repository
//! selection, filters issues and suppresses one, opens an IaC issue filtered
//! by framework, walks the wizard with the
//! keyboard only, registers a Broker, creates an API token, deletes the
//! instance, and runs axe-core on every page (no serious or critical
//! violation). It runs on SQLite and, when `VIGIL_TEST_DATABASE_URL` is set,
//! on PostgreSQL. Screenshots of every page go to
//! `target/ui-artifacts/<backend>/`.
//!
//! Needs `node`, `/usr/bin/chromium` (or `CHROMIUM`) and `npm ci` in
//! `ui-tests/`; `.ci/run` installs them and sets `VIGIL_REQUIRE_BROWSER=1`,
//! which turns their absence into a failure instead of a printed skip.

use std::path::{Path, PathBuf};
use std::process::Command;

use gitlab_sim::MAINTAINER;
use vigil_store::Queue;

use crate::gitlab_e2e::{AWS, PASSWORD, start_public_server};

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Why the browser test cannot run here, if it cannot.
#[expect(clippy::disallowed_methods, reason = "a test may choose its browser from the environment")]
fn missing_tools(root: &Path) -> Option<String> {
    let chromium = std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".to_owned());
    if !Path::new(&chromium).exists() {
        return Some(format!("no Chromium at {chromium} (apt-get install chromium)"));
    }
    if Command::new("node").arg("--version").output().is_err() {
        return Some("no node on PATH".to_owned());
    }
    if !root.join("ui-tests/node_modules/playwright-core").exists() {
        return Some("ui-tests/node_modules is missing (cd ui-tests && npm ci)".to_owned());
    }
    None
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[expect(clippy::disallowed_methods, reason = "CI requires the browser through the environment")]
async fn the_web_ui_in_a_real_browser() {
    let root = repo_root();
    if let Some(reason) = missing_tools(&root) {
        assert!(
            std::env::var_os("VIGIL_REQUIRE_BROWSER").is_none(),
            "VIGIL_REQUIRE_BROWSER is set but the browser test cannot run: {reason}"
        );
        eprintln!("skipping the browser test: {reason}");
        return;
    }
    // SQLite, and PostgreSQL when VIGIL_TEST_DATABASE_URL is set.
    for test in crate::gitlab_e2e::backends().await {
        scenario(&root, &test).await;
        test.drop_database().await.unwrap();
    }
}

/// The browser scenario against a fresh server on `test`'s database.
async fn scenario(root: &Path, test: &vigil_store::testing::TestStore) {
    let data = tempfile::tempdir().unwrap();
    let hash = vigil_server::auth::hash_password(PASSWORD).unwrap();
    test.store.create_user("ada", &hash, "admin", Queue::now_ms()).await.unwrap();

    // GitLab: alice maintains 25 projects; one holds an AWS key pair and a
    // GitLab token, the others one harmless file each.
    let sim = gitlab_sim::Simulator::start().await.unwrap();
    sim.state().allow_local_webhooks = true;
    sim.add_user("alice", false);
    let app = sim.add_project("team/app", "main", &[("alice", MAINTAINER)]);
    sim.write_file(app, "config/aws.ini", AWS);
    sim.write_file(app, "deploy/.env", "GITLAB_TOKEN=glpat-Vq3xTz8kLm2NpR7sWd4Y\n");
    sim.write_file(
        app,
        "infra/db.tf",
        "resource \"aws_db_instance\" \"orders\" {\n  engine = \"postgres\"\n  publicly_accessible = true\n  storage_encrypted = true\n}\n",
    );
    // A lockfile with vulnerable crates, matched against the RustSec
    // snapshot imported into the server's data directory below.
    let sample = root.join("../shared/data/advisories/samples/old-deps");
    for file in ["Cargo.lock", "Cargo.toml"] {
        sim.write_file(app, file, std::fs::read(sample.join(file)).unwrap());
    }
    let import = Command::new(crate::harness::binary())
        .args(["vulndb", "import"])
        .arg(root.join("../shared/data/advisories/rustsec"))
        .arg("--data-dir")
        .arg(data.path())
        .output()
        .unwrap();
    assert!(import.status.success(), "{}", String::from_utf8_lossy(&import.stderr));
    for index in 1..=24 {
        let project =
            sim.add_project(&format!("team/svc-{index:02}"), "main", &[("alice", MAINTAINER)]);
        sim.write_file(project, "README.md", format!("# service {index}\n"));
    }

    let (mut server, public) = start_public_server(&test.url, data.path());
    let (client_id, client_secret) =
        sim.add_oauth_application("Vigil", &format!("{public}/oauth/gitlab/callback"), &["api"]);

    // GitLab's first version check (Configure Domain) answers in 3 s: the
    // scenario sees the page say it is checking.
    sim.inject("/api/v4/version", gitlab_sim::Fault::Delay(3_000), 1);

    let artifacts = root.join("target/ui-artifacts").join(test.name);
    std::fs::create_dir_all(&artifacts).unwrap();
    let scenario = root.join("ui-tests/scenario.mjs");
    let base_url = sim.base_url();
    let output = tokio::task::spawn_blocking(move || {
        Command::new("node")
            .arg(scenario)
            .env("VIGIL_URL", &public)
            .env("GITLAB_URL", &base_url)
            .env("GITLAB_USER", "alice")
            .env("CLIENT_ID", &client_id)
            .env("CLIENT_SECRET", &client_secret)
            .env("VIGIL_USER", "ada")
            .env("VIGIL_PASSWORD", PASSWORD)
            .env("ARTIFACTS", &artifacts)
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    eprintln!("{stdout}");
    assert!(
        output.status.success(),
        "the browser scenario failed:\n{stdout}\n{stderr}\nserver log: {}",
        std::fs::read_to_string(&server.log).unwrap_or_default()
    );

    // What the clicks did, as the database and GitLab saw it.
    let audit = test.store.audit_log(None, 500).await.unwrap();
    let actions: Vec<&str> = audit.iter().map(|entry| entry.action.as_str()).collect();
    for action in [
        "session.create",
        "instance.create",
        "instance.oauth",
        "instance.selection",
        "issue.suppress",
        "transporter.create",
        "token.create",
        "instance.delete",
    ] {
        assert!(actions.contains(&action), "{action} missing from the audit log: {actions:?}");
    }
    assert_eq!(
        actions.iter().filter(|action| **action == "instance.selection").count(),
        2,
        "{actions:?}"
    );
    assert_eq!(
        actions.iter().filter(|action| **action == "instance.oauth").count(),
        2,
        "consent, then Connect again: {actions:?}"
    );
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while !test.store.instances().await.unwrap().is_empty() {
        assert!(std::time::Instant::now() < deadline, "the instance was not deleted");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(sim.state().projects[&app].hooks.is_empty(), "a Vigil hook is left in GitLab");
    assert!(server.terminate().success());
}
