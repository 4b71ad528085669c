//! The client against `gitlab-sim`: pagination (keyset and offset), rate
//! limits, retries only for idempotent requests, errors that name the
//! endpoint and never the token, idempotent hook creation. The simulator's
//! bodies are checked against GitLab's own JSON schemas
//! (../shared/fixtures/gitlab/schemas). Merge request calls are in
//! `merge_requests.rs`, repository calls in `repository.rs`.

// Test helpers outside #[test] functions may panic: a panic is a test failure.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod hostile;
mod merge_requests;
mod oauth;
mod repository;

use std::time::{Duration, Instant};

use gitlab_sim::{DEVELOPER, Fault, MAINTAINER, Simulator};
use vigil_gitlab::{Client, ClientSettings, GitLabError, HookEvents, Token};

fn settings() -> ClientSettings {
    ClientSettings { backoff: Duration::from_millis(10), ..ClientSettings::default() }
}

async fn setup() -> (Simulator, Client, String) {
    let sim = Simulator::start().await.unwrap();
    let token = sim.add_user("vigil-bot", false);
    sim.add_user("someone", false);
    let client = Client::new(&sim.base_url(), Token::new(token.clone()), settings()).unwrap();
    (sim, client, token)
}

fn fixtures() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/fixtures/gitlab")
}

/// A schema file, with GitLab's non-standard `"type": "date"` read as a
/// string (the fixtures README lists it among the schemas' caveats).
fn schema_file(name: &str) -> serde_json::Value {
    let text = std::fs::read_to_string(fixtures().join("schemas").join(name)).unwrap();
    serde_json::from_str(&text.replace("\"type\": \"date\"", "\"type\": \"string\"")).unwrap()
}

/// A validator for `schemas/<name>`, its relative `$ref`s (`user/basic.json`)
/// resolved to the sibling files.
fn schema(name: &str) -> jsonschema::Validator {
    let mut options = jsonschema::options().with_base_uri(format!("file:///schemas/{name}"));
    for sibling in [
        "commit/basic.json",
        "commit/detail.json",
        "commit_stats.json",
        "milestone.json",
        "user/basic.json",
        "user/public.json",
    ] {
        let resource = jsonschema::Resource::from_contents(schema_file(sibling)).unwrap();
        options = options.with_resource(format!("file:///schemas/{sibling}"), resource);
    }
    options.build(&schema_file(name)).unwrap()
}

/// Schema errors, read loosely as the fixtures README advises: GitLab's
/// own schemas refuse nulls GitLab sends (`merged_by`, `assignee`) and
/// `notes.json` forbids fields every documented note has (`project_id`),
/// so those two kinds are not errors.
fn loose_errors(validator: &jsonschema::Validator, value: &serde_json::Value) -> Vec<String> {
    validator
        .iter_errors(value)
        .filter(|error| !error.instance.is_null())
        .filter(|error| {
            !matches!(
                error.kind,
                jsonschema::error::ValidationErrorKind::AdditionalProperties { .. }
            )
        })
        .map(|error| format!("{}: {error}", error.instance_path))
        .collect()
}

#[tokio::test]
async fn lists_every_maintained_project_across_keyset_pages() {
    let (sim, client, _) = setup().await;
    for n in 0..250 {
        let level = if n % 5 == 0 { DEVELOPER } else { MAINTAINER };
        sim.add_project(&format!("group/app-{n}"), "main", &[("vigil-bot", level)]);
        sim.add_project(&format!("other/app-{n}"), "main", &[("someone", MAINTAINER)]);
    }
    let projects = client.maintained_projects().await.unwrap();
    assert_eq!(projects.len(), 200, "Developer projects and others' projects are not listed");
    assert!(projects.windows(2).all(|pair| pair[0].id < pair[1].id));
    let requests: Vec<String> = sim
        .state()
        .requests
        .iter()
        .filter(|r| r.starts_with("GET /api/v4/projects"))
        .cloned()
        .collect();
    // 100 + 100 + a full-looking page... 200 items = 2 full pages, then an empty page ends the walk.
    assert_eq!(requests.len(), 3, "{requests:?}");
    assert!(requests[1].contains("id_after="), "{requests:?}");
}

#[tokio::test]
async fn simulator_bodies_match_gitlabs_schemas() {
    let (sim, _client, token) = setup().await;
    sim.add_project("group/app", "main", &[("vigil-bot", MAINTAINER)]);
    let http = reqwest::Client::new();
    let get = |path: &str| {
        let request = http.get(format!("{}/api/v4{path}", sim.base_url())).bearer_auth(&token);
        async move { request.send().await.unwrap().json::<serde_json::Value>().await.unwrap() }
    };
    let full = get("/projects?membership=true").await;
    assert!(full[0]["permissions"]["project_access"]["access_level"] == 40, "{full}");
    let projects = get("/projects?membership=true&simple=true").await;
    let validator = schema("project.json");
    for project in projects.as_array().unwrap() {
        let errors: Vec<String> =
            validator.iter_errors(project).map(|error| error.to_string()).collect();
        assert!(errors.is_empty(), "{errors:?}");
    }
    let hook = schema("project_hook.json");
    let client = Client::new(&sim.base_url(), Token::new(token.clone()), settings()).unwrap();
    sim.state().allow_local_webhooks = true;
    let id = projects[0]["id"].as_u64().unwrap();
    client
        .ensure_project_hook(
            id,
            "https://vigil.example/hooks/gitlab/1",
            &Token::new("s"),
            HookEvents::VIGIL,
        )
        .await
        .unwrap();
    let hooks = get(&format!("/projects/{id}/hooks")).await;
    let errors: Vec<String> = hook.iter_errors(&hooks[0]).map(|error| error.to_string()).collect();
    assert!(errors.is_empty(), "{errors:?}");
    assert!(hooks[0].get("token").is_none(), "GitLab never returns a hook's token");
}

#[tokio::test]
async fn rate_limits_are_waited_out_for_reads_and_reported_for_writes() {
    let (sim, client, _) = setup().await;
    let project = sim.add_project("group/app", "main", &[("vigil-bot", MAINTAINER)]);
    sim.inject("/api/v4/version", Fault::TooManyRequests { retry_after: 1 }, 1);
    let started = Instant::now();
    assert_eq!(client.version().await.unwrap().version, "17.11.2-ee");
    assert!(started.elapsed() >= Duration::from_secs(1), "Retry-After was honoured");

    sim.inject(
        &format!("/api/v4/projects/{project}/hooks"),
        Fault::TooManyRequests { retry_after: 120 },
        1,
    );
    let error = client.project_hooks(project).await.unwrap_err();
    assert_eq!(
        error,
        GitLabError::RateLimited {
            endpoint: format!("GET /api/v4/projects/{project}/hooks"),
            retry_after_s: 120
        }
    );
}

#[tokio::test]
async fn a_rate_limit_that_says_no_wait_is_backed_off_briefly_then_left_to_the_queue() {
    let (sim, client, _) = setup().await;
    // Once: a short backoff and the answer.
    sim.inject("/api/v4/version", Fault::TooManyRequestsUnsaid, 1);
    let started = Instant::now();
    assert_eq!(client.version().await.unwrap().version, "17.11.2-ee");
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "not a guessed minute: {:?}",
        started.elapsed()
    );
    // Every attempt: the error names a minute for the queue to wait, and no
    // attempt waited anywhere near it.
    sim.inject("/api/v4/version", Fault::TooManyRequestsUnsaid, 10);
    let started = Instant::now();
    let error = client.version().await.unwrap_err();
    assert_eq!(
        error,
        GitLabError::RateLimited {
            endpoint: "GET /api/v4/version".into(),
            retry_after_s: vigil_gitlab::UNSAID_RETRY_AFTER_S
        }
    );
    assert!(started.elapsed() < Duration::from_secs(10), "{:?}", started.elapsed());
}

#[tokio::test]
async fn a_used_up_quota_is_waited_out_before_the_next_request() {
    let (sim, client, _) = setup().await;
    // The answer says: 0 requests left until 2 s from now (whole seconds).
    sim.inject("/api/v4/version", Fault::QuotaExhausted { reset_in: 2 }, 1);
    client.version().await.unwrap();
    let started = Instant::now();
    let clone = client.clone();
    clone.current_user().await.unwrap();
    assert!(
        started.elapsed() >= Duration::from_millis(900),
        "the next request (from a clone too) waited for the reset: {:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn server_errors_are_retried_for_reads_only() {
    let (sim, client, token) = setup().await;
    let project = sim.add_project("group/app", "main", &[("vigil-bot", MAINTAINER)]);
    sim.state().allow_local_webhooks = true;
    sim.inject("/api/v4/user", Fault::ServerError, 2);
    assert_eq!(client.current_user().await.unwrap().username, "vigil-bot");
    sim.inject("/api/v4/user", Fault::ServerError, 10);
    let error = client.current_user().await.unwrap_err();
    assert_eq!(error.status(), Some(500));
    let text = error.to_string();
    assert!(text.starts_with("GET /api/v4/user: GitLab answered 500"), "{text}");
    assert!(!text.contains(&token) && !format!("{error:?}").contains(&token));
    sim.state().faults.clear();

    // A POST that fails is not repeated: GitLab may have acted on it.
    let hooks_path = format!("/api/v4/projects/{project}/hooks");
    let before = sim.state().requests.len();
    sim.inject(&hooks_path, Fault::ServerError, 1);
    // The GET (list) absorbs the fault and is retried; then the POST runs once.
    client
        .ensure_project_hook(
            project,
            "http://127.0.0.1:9/hooks",
            &Token::new("s"),
            HookEvents::VIGIL,
        )
        .await
        .unwrap();
    let posts =
        sim.state().requests[before..].iter().filter(|request| request.starts_with("POST")).count();
    assert_eq!(posts, 1);
}

#[tokio::test]
async fn hooks_are_created_once_and_deleted_idempotently() {
    let (sim, client, _) = setup().await;
    let project = sim.add_project("group/app", "main", &[("vigil-bot", MAINTAINER)]);
    let url = "http://127.0.0.1:8080/hooks/gitlab/1";
    // A fresh GitLab refuses local URLs: the error says so.
    let error = client
        .ensure_project_hook(project, url, &Token::new("s1"), HookEvents::VIGIL)
        .await
        .unwrap_err();
    assert_eq!(
        error.to_string(),
        format!("POST /api/v4/projects/{project}/hooks: GitLab answered 422: Invalid url given")
    );
    sim.state().allow_local_webhooks = true;
    let (hook, created) = client
        .ensure_project_hook(project, url, &Token::new("s1"), HookEvents::VIGIL)
        .await
        .unwrap();
    assert!(
        created
            && hook.push_events
            && hook.merge_requests_events
            && hook.note_events
            && hook.enable_ssl_verification
    );
    let (again, created) = client
        .ensure_project_hook(project, url, &Token::new("s2"), HookEvents::VIGIL)
        .await
        .unwrap();
    assert_eq!((again.id, created), (hook.id, false));
    {
        let state = sim.state();
        let hooks = &state.projects[&project].hooks;
        assert_eq!(hooks.len(), 1);
        assert_eq!(hooks[0].token.as_deref(), Some("s2"), "the secret is set again");
    }
    client.delete_project_hook(project, hook.id).await.unwrap();
    client.delete_project_hook(project, hook.id).await.unwrap();
    assert!(sim.state().projects[&project].hooks.is_empty());
}

#[tokio::test]
async fn refused_tokens_and_invisible_projects_say_what_happened() {
    let (sim, client, token) = setup().await;
    let hidden = sim.add_project("secret/app", "main", &[("someone", MAINTAINER)]);
    let error = client.project(hidden).await.unwrap_err();
    assert_eq!(error.status(), Some(404), "GitLab hides projects you cannot see: {error}");
    let developer = sim.add_project("group/dev", "main", &[("vigil-bot", DEVELOPER)]);
    let error = client.project_hooks(developer).await.unwrap_err();
    assert_eq!(error.status(), Some(403));
    sim.state().revoked.push(token.clone());
    let error = client.current_user().await.unwrap_err();
    match &error {
        GitLabError::Unauthorized { status: 401, reason, .. } => {
            assert!(reason.starts_with("invalid_token: Token was revoked"))
        }
        other => panic!("{other:?}"),
    }
    let unknown = Client::new(&sim.base_url(), Token::new("glpat-wrong"), settings()).unwrap();
    assert!(unknown.version().await.unwrap_err().to_string().contains("401: 401 Unauthorized"));
    let nowhere = Client::new("http://127.0.0.1:9", Token::new("x"), settings()).unwrap();
    assert!(matches!(nowhere.version().await.unwrap_err(), GitLabError::Transport { .. }));
}

#[tokio::test]
async fn archives_download_and_unpack_without_their_top_directory() {
    let (sim, client, _) = setup().await;
    let project = sim.add_project("group/app", "main", &[("vigil-bot", MAINTAINER)]);
    sim.write_file(project, "config/prod.env", "AWS_ACCESS_KEY_ID=AKIAZ5IE4ZYEYRUHWWTV\n");
    sim.write_file(project, "README.md", "# app\n");
    let destination = tempfile::tempdir().unwrap();
    let unpacked = client
        .download_archive(
            project,
            "main",
            destination.path(),
            vigil_gitlab::ArchiveLimits::default(),
        )
        .await
        .unwrap();
    assert_eq!((unpacked.files, unpacked.skipped.len()), (2, 0));
    let secret = std::fs::read_to_string(unpacked.root.join("config/prod.env")).unwrap();
    assert!(secret.starts_with("AWS_ACCESS_KEY_ID="));
    assert!(
        !destination.path().join("archive.tar.gz").exists(),
        "the download is removed once unpacked"
    );
    let limits = vigil_gitlab::ArchiveLimits { max_download_bytes: 10, ..Default::default() };
    let error = client
        .download_archive(project, "main", tempfile::tempdir().unwrap().path(), limits)
        .await
        .unwrap_err();
    assert!(error.to_string().contains("larger than Vigil's limit of 10 bytes"), "{error}");
    let error = client
        .download_archive(
            project,
            "no-such-branch",
            tempfile::tempdir().unwrap().path(),
            Default::default(),
        )
        .await
        .unwrap_err();
    assert_eq!(error.status(), Some(404));
}

/// A download may take longer than the timeout while its bytes keep
/// coming (a 1 GB archive on a slow link), and fails, naming the stall,
/// when they stop for longer than it.
#[tokio::test]
async fn downloads_outlast_the_timeout_while_bytes_flow_and_fail_when_they_stall() {
    let sim = Simulator::start().await.unwrap();
    let token = sim.add_user("vigil-bot", false);
    let project = sim.add_project("group/app", "main", &[("vigil-bot", MAINTAINER)]);
    sim.write_file(project, "config/prod.env", "AWS_ACCESS_KEY_ID=AKIAZ5IE4ZYEYRUHWWTV\n");
    let timeout = Duration::from_millis(400);
    let client =
        Client::new(&sim.base_url(), Token::new(token), ClientSettings { timeout, ..settings() })
            .unwrap();
    let archive = format!("/api/v4/projects/{project}/repository/archive");
    let raw = format!("/api/v4/projects/{project}/repository/files");

    // Six parts 150 ms apart: 750 ms in all, each silence under 400 ms.
    sim.inject(&archive, Fault::Trickle { pieces: 6, pause_ms: 150 }, 1);
    let started = Instant::now();
    let unpacked = client
        .download_archive(project, "main", tempfile::tempdir().unwrap().path(), Default::default())
        .await
        .unwrap();
    assert!(started.elapsed() > timeout, "the download took longer than the timeout");
    assert_eq!(unpacked.files, 1);
    sim.inject(&raw, Fault::Trickle { pieces: 4, pause_ms: 200 }, 1);
    let content = client.raw_file(project, "config/prod.env", "main", 1 << 20).await.unwrap();
    assert_eq!(content, b"AWS_ACCESS_KEY_ID=AKIAZ5IE4ZYEYRUHWWTV\n");

    // A silence longer than the timeout ends the download, named.
    for path in [&archive, &raw] {
        sim.inject(path, Fault::Trickle { pieces: 2, pause_ms: 1_500 }, 1);
    }
    let error = client
        .download_archive(project, "main", tempfile::tempdir().unwrap().path(), Default::default())
        .await
        .unwrap_err();
    assert!(error.to_string().contains("the download stalled: no bytes for 400 ms"), "{error}");
    let error = client.raw_file(project, "config/prod.env", "main", 1 << 20).await.unwrap_err();
    assert!(error.to_string().contains("the download stalled: no bytes for 400 ms"), "{error}");

    // API calls keep the whole deadline.
    sim.inject("/api/v4/projects", Fault::Trickle { pieces: 4, pause_ms: 200 }, 4);
    let error = client.project(project).await.unwrap_err();
    assert!(error.to_string().contains("no complete answer within 400 ms"), "{error}");
}

/// A recorded fixture body from ../shared/fixtures/gitlab.
fn fixture(name: &str) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(fixtures().join(name)).unwrap()).unwrap()
}

/// Keys of `fixture` (recursively through objects, and the first element of
/// arrays) that `body` lacks: a body has a fixture's shape when this is
/// empty. Values are not compared.
fn missing_keys(fixture: &serde_json::Value, body: &serde_json::Value) -> Vec<String> {
    fn walk(
        fixture: &serde_json::Value,
        body: &serde_json::Value,
        at: &str,
        out: &mut Vec<String>,
    ) {
        match (fixture, body) {
            (serde_json::Value::Object(expected), serde_json::Value::Object(actual)) => {
                for (key, value) in expected {
                    match actual.get(key) {
                        Some(found) => walk(value, found, &format!("{at}/{key}"), out),
                        None => out.push(format!("{at}/{key}")),
                    }
                }
            }
            (serde_json::Value::Array(expected), serde_json::Value::Array(actual)) => {
                if let (Some(first), Some(found)) = (expected.first(), actual.first()) {
                    walk(first, found, &format!("{at}/0"), out);
                }
            }
            _ => {}
        }
    }
    let mut out = Vec::new();
    walk(fixture, body, "", &mut out);
    out
}
