//! The GitLab flow end to end, on SQLite and on PostgreSQL: gitlab-sim and
//! a real `vigil serve` process talking over loopback HTTP. An admin signs
//! in, registers the OAuth application, goes through GitLab's consent and
//! back, selects repositories (hooks installed, first scan); a merge
//! request that adds an AWS key and a GitLab token gets one summary note,
//! inline discussions and a failed `vigil` status; a fix pushed to it
//! edits the same note, sets success and fixes the issues; deleting the
//! instance leaves no hook in GitLab and no row in Vigil.

use std::time::{Duration, Instant};

use gitlab_sim::{MAINTAINER, Simulator, consent_form_fields};
use reqwest::header::{COOKIE, LOCATION, SET_COOKIE};
use serde_json::{Value, json};
use vigil_store::Queue;
use vigil_store::testing::{TestStore, postgres, postgres_url, sqlite};

use crate::server::start_server_with;

pub(crate) const AWS: &[u8] = b"region = eu-west-1\naws_access_key_id = AKIAZ7VRSQ5TQQN4XN2M\n\
aws_secret_access_key = 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\n";
const GITLAB: &[u8] = b"GITLAB_TOKEN=glpat-Vq3xTz8kLm2NpR7sWd4Y\n";
pub(crate) const PASSWORD: &str = "correct horse battery staple";

/// A signed-in browser: the session cookie and its CSRF token.
pub(crate) struct Browser {
    http: reqwest::Client,
    base: String,
    cookie: String,
    csrf: String,
}

impl Browser {
    pub(crate) async fn sign_in(base: &str) -> Browser {
        let http =
            reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
        let response = http
            .post(format!("{base}/api/v1/session"))
            .json(&json!({"username": "ada", "password": PASSWORD}))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        let cookie = response.headers()[SET_COOKIE].to_str().unwrap();
        let cookie = cookie.split(';').next().unwrap().to_owned();
        let body: Value = response.json().await.unwrap();
        let csrf = body["csrf_token"].as_str().unwrap().to_owned();
        Browser { http, base: base.to_owned(), cookie, csrf }
    }

    pub(crate) async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> (u16, Value) {
        let mut request = self
            .http
            .request(method, format!("{}{path}", self.base))
            .header(COOKIE, &self.cookie)
            .header("x-csrf-token", &self.csrf);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        let text = response.text().await.unwrap();
        (status, serde_json::from_str(&text).unwrap_or(Value::String(text)))
    }

    pub(crate) async fn get(&self, path: &str) -> Value {
        let (status, body) = self.call(reqwest::Method::GET, path, None).await;
        assert_eq!(status, 200, "GET {path}: {body}");
        body
    }

    /// Polls `path` until `done` holds (30 s at most).
    pub(crate) async fn wait_for(&self, path: &str, done: impl Fn(&Value) -> bool) -> Value {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let body = self.get(path).await;
            if done(&body) {
                return body;
            }
            assert!(Instant::now() < deadline, "{path} never got there: {body}");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

/// The wizard through the API: registers the OAuth application in GitLab,
/// creates the instance, goes through GitLab's consent as `alice` and back,
/// selects every repository and waits for Connected and a succeeded
/// onboarding scan. The instance's id.
pub(crate) async fn connect_all(
    browser: &Browser,
    sim: &Simulator,
    public: &str,
    backend: &str,
) -> i64 {
    // Register OAuth App: what to enter in GitLab, then register it there.
    let base_url = sim.base_url();
    let app = browser.get(&format!("/api/v1/oauth-application?base_url={base_url}")).await;
    assert_eq!(app["callback_url"], format!("{public}/oauth/gitlab/callback"));
    assert_eq!(app["gitlab_applications_url"], format!("{base_url}/admin/applications/new"));
    let (client_id, client_secret) =
        sim.add_oauth_application("Vigil", app["callback_url"].as_str().unwrap(), &["api"]);

    // Set Client ID and Secret, then GitLab's consent and back.
    let (status, instance) = browser
        .call(
            reqwest::Method::POST,
            "/api/v1/instances",
            Some(json!({"name": "sim", "base_url": base_url, "client_id": client_id, "client_secret": client_secret})),
        )
        .await;
    assert_eq!(status, 201, "{instance}");
    let id = instance["id"].as_i64().unwrap();
    let callback = consent(browser, sim, public, id).await;
    // Another browser session of the same admin cannot finish it (RFC 6749
    // section 10.12), and its attempt leaves the state to the right one.
    let other = Browser::sign_in(public).await;
    let elsewhere = other.http.get(&callback).header(COOKIE, &other.cookie).send().await.unwrap();
    assert_eq!(elsewhere.status(), 400);
    let page = elsewhere.text().await.unwrap();
    assert!(page.contains("started in another browser session"), "{page}");
    let back = browser.http.get(&callback).header(COOKIE, &browser.cookie).send().await.unwrap();
    // On to the wizard's Select Repositories step.
    assert_eq!(back.status(), 303, "{}", back.text().await.unwrap());
    assert_eq!(back.headers()[LOCATION], format!("/integrations/gitlab/{id}/repositories"));
    // The same callback again: the state works once.
    let again = browser.http.get(&callback).header(COOKIE, &browser.cookie).send().await.unwrap();
    assert_eq!(again.status(), 400);

    // Select Repositories: all; then Connected, one hook, a first scan.
    let (status, _) = browser
        .call(
            reqwest::Method::PUT,
            &format!("/api/v1/instances/{id}/selection"),
            Some(json!({"mode": "all"})),
        )
        .await;
    assert_eq!(status, 202);
    let connected = browser
        .wait_for(&format!("/api/v1/instances/{id}"), |instance| instance["status"] != "pending")
        .await;
    assert_eq!(connected["status"], "connected", "{backend} {connected}");
    browser
        .wait_for("/api/v1/scans", |scans| {
            scans["items"].as_array().is_some_and(|items| {
                items
                    .iter()
                    .any(|scan| scan["trigger"] == "onboarding" && scan["status"] == "succeeded")
            })
        })
        .await;
    id
}

/// Commits `files` to a new branch `branch` off `main`, opens a merge
/// request and waits for Vigil's `vigil` status on its head: the MR's iid
/// and the head's statuses.
/// GitLab's consent for instance `id` (started through the API, granted
/// by alice): the callback URL GitLab sends the browser back to.
async fn consent(browser: &Browser, sim: &Simulator, public: &str, id: i64) -> String {
    let (status, start) = browser
        .call(reqwest::Method::POST, &format!("/api/v1/instances/{id}/oauth/start"), None)
        .await;
    assert_eq!(status, 200, "{start}");
    let authorize = format!("{}&sim_user=alice", start["authorize_url"].as_str().unwrap());
    let consent = browser.http.get(&authorize).send().await.unwrap().text().await.unwrap();
    assert!(consent.contains("Vigil"), "{consent}");
    let fields = consent_form_fields(&consent, "authorize");
    let granted = browser
        .http
        .post(format!("{}/oauth/authorize", sim.base_url()))
        .form(&fields)
        .send()
        .await
        .unwrap();
    assert_eq!(granted.status(), 302);
    let callback = granted.headers()[LOCATION].to_str().unwrap().to_owned();
    assert!(callback.starts_with(&format!("{public}/oauth/gitlab/callback?")), "{callback}");
    callback
}

async fn merge_request_with(
    sim: &Simulator,
    project: u64,
    branch: &str,
    files: &[(&str, Option<&[u8]>)],
) -> (u64, Vec<gitlab_sim::CommitStatus>) {
    sim.create_branch(project, branch, "main").unwrap();
    let head = sim.commit(project, branch, files, "Change").unwrap();
    let iid = sim.open_merge_request(project, branch, "main", branch).unwrap();
    let statuses = wait_until("the vigil status", || {
        let statuses = sim.commit_statuses(project, &head);
        statuses.iter().any(|status| status.name == "vigil").then_some(statuses)
    })
    .await;
    (iid, statuses)
}

pub(crate) async fn wait_until<T>(what: &str, mut probe: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Some(value) = probe() {
            return value;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// `vigil serve` with two workers on a free loopback port, its public URL
/// that port's; the process and the URL.
pub(crate) fn start_public_server(
    database_url: &str,
    data: &std::path::Path,
) -> (crate::server::Process, String) {
    let port = free_port();
    let public = format!("http://127.0.0.1:{port}");
    let listen = format!("127.0.0.1:{port}");
    let (server, _) = start_server_with(
        &["--listen", &listen, "--workers", "2", "--public-url", &public],
        database_url,
        data,
    );
    (server, public)
}

pub(crate) fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

pub(crate) async fn backends() -> Vec<TestStore> {
    let mut backends = vec![sqlite().await.unwrap()];
    if let Some(url) = postgres_url("the GitLab end-to-end test") {
        backends.push(postgres(&url).await.unwrap());
    }
    backends
}

/// The admin `ada` in `test`'s database, a data directory, and a
/// simulator with `alice` (her token) maintaining `group/app` (its id).
pub(crate) async fn admin_and_gitlab(
    test: &TestStore,
) -> (tempfile::TempDir, Simulator, String, u64) {
    let data = tempfile::tempdir().unwrap();
    let hash = vigil_server::auth::hash_password(PASSWORD).unwrap();
    test.store.create_user("ada", &hash, "admin", Queue::now_ms()).await.unwrap();
    let sim = Simulator::start().await.unwrap();
    sim.state().allow_local_webhooks = true;
    let token = sim.add_user("alice", false);
    let project = sim.add_project("group/app", "main", &[("alice", MAINTAINER)]);
    (data, sim, token, project)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn onboarding_merge_request_feedback_fix_and_deletion() {
    for test in backends().await {
        let (data, sim, _token, project) = admin_and_gitlab(&test).await;
        for index in 0..20 {
            sim.write_file(
                project,
                &format!("src/module_{index}.rs"),
                format!("pub fn f{index}() {{}}\n"),
            );
        }

        let (mut server, public) = start_public_server(&test.url, data.path());
        let browser = Browser::sign_in(&public).await;

        let id = connect_all(&browser, &sim, &public, test.name).await;
        assert_eq!(sim.state().projects[&project].hooks.len(), 1);

        // A merge request that adds an AWS key and a GitLab token.
        sim.create_branch(project, "feature", "main").unwrap();
        let leak = sim
            .commit(
                project,
                "feature",
                &[("config/aws.env", Some(AWS)), ("deploy/gitlab.env", Some(GITLAB))],
                "Add deployment settings",
            )
            .unwrap();
        let iid =
            sim.open_merge_request(project, "feature", "main", "Deployment settings").unwrap();
        let statuses = wait_until("the failed status", || {
            let statuses = sim.commit_statuses(project, &leak);
            statuses.iter().any(|status| status.name == "vigil").then_some(statuses)
        })
        .await;
        let vigil: Vec<_> = statuses.iter().filter(|status| status.name == "vigil").collect();
        assert_eq!(vigil.last().unwrap().status, "failed", "{} {statuses:?}", test.name);
        let notes: Vec<_> =
            sim.notes(project, iid).into_iter().filter(|note| note.position.is_none()).collect();
        assert_eq!(notes.len(), 1, "one summary note: {notes:?}");
        let summary = &notes[0].body;
        for expected in [
            "3 issues",
            "config/aws.env",
            "deploy/gitlab.env",
            "AWS access key ID",
            "GitLab personal",
        ] {
            assert!(summary.contains(expected), "{expected} not in {summary}");
        }
        assert!(
            !summary.contains("AKIAZ7VRSQ5TQQN4XN2M"),
            "the summary must not repeat the secret"
        );
        let discussions = sim.discussions(project, iid);
        let positioned: Vec<_> = discussions
            .iter()
            .filter_map(|(_, notes)| {
                notes[0]
                    .position
                    .as_ref()
                    .map(|position| (position.new_path.clone(), position.new_line))
            })
            .collect();
        assert_eq!(positioned.len(), 3, "{positioned:?}");
        assert!(positioned.contains(&("config/aws.env".to_owned(), Some(2))), "{positioned:?}");
        assert!(positioned.contains(&("deploy/gitlab.env".to_owned(), Some(1))), "{positioned:?}");

        // The fix: the same note is edited, the status turns success, issues fixed.
        let fix = sim
            .commit(
                project,
                "feature",
                &[
                    ("config/aws.env", Some(b"region = eu-west-1\n".as_slice())),
                    ("deploy/gitlab.env", None),
                ],
                "Read the credentials from the environment",
            )
            .unwrap();
        wait_until("the success status", || {
            sim.commit_statuses(project, &fix)
                .iter()
                .any(|status| status.name == "vigil" && status.status == "success")
                .then_some(())
        })
        .await;
        let notes: Vec<_> =
            sim.notes(project, iid).into_iter().filter(|note| note.position.is_none()).collect();
        assert_eq!(notes.len(), 1, "still one summary note: {notes:?}");
        assert!(notes[0].body.contains("no issues found"), "{}", notes[0].body);
        assert_eq!(sim.discussions(project, iid).len(), discussions.len(), "no new discussion");
        let fixed = browser.get("/api/v1/issues?status=fixed&branch=feature").await;
        assert_eq!(fixed["items"].as_array().unwrap().len(), 3, "{fixed}");
        let open = browser.get("/api/v1/issues?status=open&branch=feature").await;
        assert!(open["items"].as_array().unwrap().is_empty(), "{open}");

        // Delete: no hook left in GitLab, no row left in Vigil.
        let (status, _) =
            browser.call(reqwest::Method::DELETE, &format!("/api/v1/instances/{id}"), None).await;
        assert!(status == 202 || status == 204, "{status}");
        browser
            .wait_for("/api/v1/instances", |instances| {
                instances.as_array().is_some_and(Vec::is_empty)
            })
            .await;
        assert!(sim.state().projects[&project].hooks.is_empty(), "a hook was left in GitLab");
        for table in
            ["repositories", "scans", "issues", "merge_requests", "webhook_events", "oauth_states"]
        {
            assert_eq!(
                test.count_rows(table).await.unwrap(),
                0,
                "{}: rows left in {table}",
                test.name
            );
        }
        assert!(server.terminate().success());
        test.drop_database().await.unwrap();
    }
}

/// A merge request that adds a lockfile with vulnerable crates (the
/// old-deps sample, matched against the RustSec snapshot `vigil vulndb
/// import` put in the server's data directory): the summary note lists the
/// vulnerable dependencies it adds with advisory and fix, and each gets an
/// inline discussion on its lockfile entry.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_merge_request_adding_vulnerable_dependencies_is_told_which_and_how_to_fix() {
    let advisories =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/advisories");
    let sample = advisories.join("samples/old-deps");
    let expected: Value =
        serde_json::from_str(&std::fs::read_to_string(sample.join("cargo-audit.json")).unwrap())
            .unwrap();
    let vulnerable: std::collections::BTreeSet<String> = expected["vulnerabilities"]["list"]
        .as_array()
        .unwrap()
        .iter()
        .map(|entry| entry["package"]["name"].as_str().unwrap().to_owned())
        .collect();
    // hyper 0.14.9 has two advisories: five packages, six advisories.
    let packages = vulnerable.len();
    for test in backends().await {
        let (data, sim, _token, project) = admin_and_gitlab(&test).await;
        sim.write_file(project, "README.md", "# app\n");
        let import = std::process::Command::new(crate::harness::binary())
            .args(["vulndb", "import"])
            .arg(advisories.join("rustsec"))
            .arg("--data-dir")
            .arg(data.path())
            .output()
            .unwrap();
        assert!(import.status.success(), "{}", String::from_utf8_lossy(&import.stderr));

        let (mut server, public) = start_public_server(&test.url, data.path());
        let browser = Browser::sign_in(&public).await;
        connect_all(&browser, &sim, &public, test.name).await;

        let lock = std::fs::read(sample.join("Cargo.lock")).unwrap();
        let manifest = std::fs::read(sample.join("Cargo.toml")).unwrap();
        let files =
            [("Cargo.lock", Some(lock.as_slice())), ("Cargo.toml", Some(manifest.as_slice()))];
        let (iid, _) = merge_request_with(&sim, project, "deps", &files).await;
        let notes: Vec<_> =
            sim.notes(project, iid).into_iter().filter(|note| note.position.is_none()).collect();
        assert_eq!(notes.len(), 1, "one summary note: {notes:?}");
        let summary = &notes[0].body;
        assert!(
            summary.contains(&format!(
                "**This merge request adds {} vulnerable dependencies ({} advisories):**",
                packages,
                expected["vulnerabilities"]["count"].as_u64().unwrap()
            )),
            "{}: {summary}",
            test.name
        );
        for name in &vulnerable {
            assert!(summary.contains(&format!("- `{name}` ")), "{name} not in {summary}");
        }
        assert!(summary.contains("; upgrade to "), "{summary}");
        let discussions: Vec<String> = sim
            .discussions(project, iid)
            .into_iter()
            .filter(|(_, notes)| {
                notes[0].position.as_ref().is_some_and(|position| position.new_path == "Cargo.lock")
            })
            .map(|(_, notes)| notes[0].body.clone())
            .collect();
        for name in &vulnerable {
            assert!(
                discussions.iter().any(|body| body.contains(&format!("`{name}` "))),
                "no discussion for {name}: {discussions:?}"
            );
        }
        assert!(server.terminate().success());
        test.drop_database().await.unwrap();
    }
}

/// GitLab says the OAuth access token expired while Vigil's clock says it
/// has hours left (a clock behind GitLab's): the merge request's scan
/// refreshes the token once, sends the call again and reports as usual;
/// the instance stays connected.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_access_token_gitlab_calls_expired_is_refreshed_once_and_the_call_sent_again() {
    for test in backends().await {
        let (data, sim, _token, project) = admin_and_gitlab(&test).await;
        sim.write_file(project, "README.md", "# app\n");
        let (mut server, public) = start_public_server(&test.url, data.path());
        let browser = Browser::sign_in(&public).await;
        let id = connect_all(&browser, &sim, &public, test.name).await;

        sim.expire_all_access_tokens();
        let refreshes = sim.oauth_refresh_count();
        let (iid, statuses) =
            merge_request_with(&sim, project, "feature", &[("config/aws.env", Some(AWS))]).await;
        assert!(
            statuses.iter().any(|status| status.name == "vigil" && status.status == "failed"),
            "{}: the scan reported: {statuses:?}",
            test.name
        );
        let notes = sim.notes(project, iid);
        assert!(notes.iter().any(|note| note.body.contains("AWS access key ID")), "{notes:?}");
        assert_eq!(sim.oauth_refresh_count(), refreshes + 1, "{}: one refresh", test.name);
        let instance = browser.get(&format!("/api/v1/instances/{id}")).await;
        assert_eq!(instance["status"], "connected", "{instance}");
        assert!(server.terminate().success());
        test.drop_database().await.unwrap();
    }
}

/// GitLab refuses the refresh token too (the authorisation was revoked, or
/// the refresh token outlived GitLab's limit): the instance goes to error
/// and says to connect again, and the merge request's scan is not failed
/// away but waits; connecting again runs it at once and the merge request
/// gets its status and note.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_refresh_parks_the_scan_until_the_instance_is_connected_again() {
    for test in backends().await {
        let (data, sim, _token, project) = admin_and_gitlab(&test).await;
        sim.write_file(project, "README.md", "# app\n");
        let (mut server, public) = start_public_server(&test.url, data.path());
        let browser = Browser::sign_in(&public).await;
        let id = connect_all(&browser, &sim, &public, test.name).await;

        sim.expire_all_authorisations();
        sim.create_branch(project, "feature", "main").unwrap();
        let head =
            sim.commit(project, "feature", &[("config/aws.env", Some(AWS))], "Change").unwrap();
        let iid = sim.open_merge_request(project, "feature", "main", "feature").unwrap();
        let instance =
            browser.wait_for(&format!("/api/v1/instances/{id}"), |i| i["status"] == "error").await;
        let reason = instance["status_reason"].as_str().unwrap_or_default();
        assert!(reason.contains("Connect again"), "{}: {instance}", test.name);
        // The scan neither reports nor dies: it waits for the reconnect,
        // its attempt not counted.
        let marker = format!("waits until GitLab instance {id} is connected again");
        let deadline = Instant::now() + Duration::from_secs(30);
        while test.store.queue().waiting_on(&marker).await.unwrap() == 0 {
            assert!(Instant::now() < deadline, "{}: no job waits for the reconnect", test.name);
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        assert!(sim.commit_statuses(project, &head).is_empty(), "{}", test.name);
        assert_eq!(test.store.queue().counts().await.unwrap().dead, 0, "{}", test.name);

        let callback = consent(&browser, &sim, &public, id).await;
        let back =
            browser.http.get(&callback).header(COOKIE, &browser.cookie).send().await.unwrap();
        assert_eq!(back.status(), 303, "{}", back.text().await.unwrap());
        let statuses = wait_until("the vigil status after the reconnect", || {
            let statuses = sim.commit_statuses(project, &head);
            statuses.iter().any(|status| status.name == "vigil").then_some(statuses)
        })
        .await;
        assert!(statuses.iter().any(|status| status.status == "failed"), "{statuses:?}");
        let notes = sim.notes(project, iid);
        assert!(notes.iter().any(|note| note.body.contains("AWS access key ID")), "{notes:?}");
        assert!(server.terminate().success());
        test.drop_database().await.unwrap();
    }
}

/// A typo in the Secret: GitLab's consent succeeds but GitLab refuses the
/// code exchange (`invalid_client`). The callback page, in the app's frame,
/// says the ID or Secret was not accepted and links to entering them again
/// (the ID kept); entering them again for the same URL resumes the pending
/// instance instead of refusing a duplicate, and connects it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_secret_is_entered_again_and_the_pending_instance_resumes() {
    for test in backends().await {
        let (data, sim, _token, _project) = admin_and_gitlab(&test).await;
        let (mut server, public) = start_public_server(&test.url, data.path());
        let browser = Browser::sign_in(&public).await;
        let base_url = sim.base_url();
        let (client_id, client_secret) = sim.add_oauth_application(
            "Vigil",
            &format!("{public}/oauth/gitlab/callback"),
            &["api"],
        );
        // Set Client ID and Secret (the form), GitLab's consent, back.
        let connect = |secret: String| {
            let (browser, base_url, client_id) = (&browser, base_url.clone(), client_id.clone());
            async move {
                let created = browser
                    .http
                    .post(format!("{}/integrations/gitlab/new/credentials", browser.base))
                    .header(COOKIE, &browser.cookie)
                    .header("x-csrf-token", &browser.csrf)
                    .form(&[
                        ("base_url", base_url.as_str()),
                        ("client_id", client_id.as_str()),
                        ("client_secret", secret.as_str()),
                    ])
                    .send()
                    .await
                    .unwrap();
                assert_eq!(created.status(), 303, "{}", created.text().await.unwrap());
                let authorize = created.headers()[LOCATION].to_str().unwrap().to_owned();
                let consent = browser
                    .http
                    .get(format!("{authorize}&sim_user=alice"))
                    .send()
                    .await
                    .unwrap()
                    .text()
                    .await
                    .unwrap();
                let fields = consent_form_fields(&consent, "authorize");
                let granted = browser
                    .http
                    .post(format!("{base_url}/oauth/authorize"))
                    .form(&fields)
                    .send()
                    .await
                    .unwrap();
                let callback = granted.headers()[LOCATION].to_str().unwrap().to_owned();
                browser.http.get(&callback).header(COOKIE, &browser.cookie).send().await.unwrap()
            }
        };
        let refused = connect(format!("{client_secret}-typo")).await;
        assert_eq!(refused.status(), 400);
        let page = refused.text().await.unwrap();
        assert!(page.contains("GitLab did not accept the Application ID or Secret"), "{page}");
        assert!(page.contains("invalid_client"), "GitLab's words stay, after ours: {page}");
        assert!(page.contains("Enter the ID and Secret again"), "{page}");
        assert!(page.contains(&format!("client_id={client_id}")), "the ID is kept: {page}");
        assert!(page.contains("Data Sources &amp; Integrations"), "in the app's frame: {page}");
        let instances = browser.get("/api/v1/instances").await;
        let id = instances[0]["id"].as_i64().unwrap();
        // Pending, and saying why and what to do, wherever the status shows.
        assert_eq!(instances[0]["status"], "pending", "{instances}");
        let reason = instances[0]["status_reason"].as_str().unwrap_or_default();
        assert!(reason.contains("choose Connect again"), "{reason}");
        let (_, table) = browser.call(reqwest::Method::GET, "/integrations", None).await;
        let table = table.as_str().unwrap_or_default();
        assert!(
            table.contains(
                "<span class=\"status-reason muted\">waiting for GitLab&#39;s authorisation"
            ),
            "the reason shows beside the badge: {table}"
        );

        let connected = connect(client_secret.clone()).await;
        assert_eq!(connected.status(), 303, "{}", connected.text().await.unwrap());
        assert_eq!(
            connected.headers()[LOCATION],
            format!("/integrations/gitlab/{id}/repositories"),
            "{}: the same instance, resumed",
            test.name
        );
        let instances = browser.get("/api/v1/instances").await;
        assert_eq!(instances.as_array().unwrap().len(), 1, "{instances}");
        assert!(server.terminate().success());
        test.drop_database().await.unwrap();
    }
}
