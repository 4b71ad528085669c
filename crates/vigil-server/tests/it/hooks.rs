//! Webhook intake with GitLab's published payloads and headers
//! (../shared/fixtures/gitlab): stored and queued once per delivery key,
//! wrong or missing tokens refused, unknown events ignored with 202,
//! malformed and oversized bodies refused, nothing stored for a refusal.

use std::path::PathBuf;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use serde_json::Value;
use tower::ServiceExt as _;
use vigil_server::app as application;
use vigil_store::{Queue, SecretString};

use crate::TestApp;

const SECRET: &str = "hook-secret-0123456789";

fn fixture(relative: &str) -> Vec<u8> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/fixtures/gitlab")
        .join(relative);
    std::fs::read(&path).unwrap_or_else(|error| panic!("{}: {error}", path.display()))
}

async fn instance(app: &TestApp) -> i64 {
    let new = crate::new_instance("https://gitlab.example.com", 3600);
    let id = app.store().create_instance(&new, Queue::now_ms()).await.unwrap().id;
    app.store()
        .set_instance_secret(
            id,
            "webhook_secret_enc",
            Some(&SecretString::new(SECRET)),
            Queue::now_ms(),
        )
        .await
        .unwrap();
    id
}

async fn deliver(
    app: &TestApp,
    instance: i64,
    headers: &[(&str, &str)],
    body: Vec<u8>,
) -> (StatusCode, Value) {
    let mut request = Request::post(format!("/hooks/gitlab/{instance}"))
        .header("content-type", "application/json");
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let response = application(app.state.clone())
        .oneshot(request.body(Body::from(body)).unwrap())
        .await
        .unwrap();
    let status = response.status();
    let bytes = axum::body::to_bytes(response.into_body(), 1 << 20).await.unwrap();
    (status, serde_json::from_slice(&bytes).unwrap_or(Value::Null))
}

async fn stored(app: &TestApp) -> i64 {
    app.store().queue().counts().await.unwrap().queued
}

#[tokio::test]
async fn deliveries_are_stored_and_queued_once() {
    for app in TestApp::all().await {
        let id = instance(&app).await;
        let push = [
            ("x-gitlab-token", SECRET),
            ("x-gitlab-event", "Push Hook"),
            ("idempotency-key", "3a427872-00df-429c-9bc9-a9475de2efe4"),
            ("x-gitlab-event-uuid", "13792a34-cac6-4fda-95a8-c58e00a3954e"),
        ];
        let (status, receipt) = deliver(&app, id, &push, fixture("webhooks/push.json")).await;
        assert_eq!(
            (status, receipt["status"].as_str()),
            (StatusCode::OK, Some("accepted")),
            "{}: {receipt}",
            app.name
        );
        let event =
            app.store().webhook_event(receipt["event"].as_i64().unwrap()).await.unwrap().unwrap();
        assert_eq!((event.kind.as_str(), event.instance_id), ("push", id));
        assert_eq!(serde_json::from_str::<Value>(&event.payload).unwrap()["object_kind"], "push");
        let job = app.store().queue().claim("w", 1_000, Queue::now_ms()).await.unwrap().unwrap();
        assert_eq!(
            (job.kind.as_str(), job.payload["event_id"].as_i64()),
            ("webhook", Some(event.id))
        );

        // GitLab resends with the same Idempotency-Key: answered, not stored again.
        let (status, receipt) = deliver(&app, id, &push, fixture("webhooks/push.json")).await;
        assert_eq!((status, receipt["status"].as_str()), (StatusCode::OK, Some("duplicate")));
        assert_eq!(stored(&app).await, 0);

        // Older GitLab: no Idempotency-Key; the event UUID, then the body, identify the delivery.
        let old = [("x-gitlab-token", SECRET), ("x-gitlab-event", "Merge Request Hook")];
        let (_, first) = deliver(&app, id, &old, fixture("webhooks/merge_request.json")).await;
        let (_, again) = deliver(&app, id, &old, fixture("webhooks/merge_request.json")).await;
        assert_eq!(
            (first["status"].as_str(), again["status"].as_str()),
            (Some("accepted"), Some("duplicate"))
        );
        let system = [
            ("x-gitlab-token", SECRET),
            ("x-gitlab-event", "System Hook"),
            ("x-gitlab-event-uuid", "sys-1"),
        ];
        let (_, receipt) =
            deliver(&app, id, &system, fixture("system-hooks/project_create.json")).await;
        let event =
            app.store().webhook_event(receipt["event"].as_i64().unwrap()).await.unwrap().unwrap();
        assert_eq!(event.kind, "system");
        let note = [("x-gitlab-token", SECRET), ("x-gitlab-event", "Note Hook")];
        assert_eq!(
            deliver(&app, id, &note, fixture("webhooks/note_merge_request.json")).await.0,
            StatusCode::OK
        );
        assert_eq!(stored(&app).await, 3);
        let metrics = app.get("/metrics", &crate::As::Nobody).await.json;
        assert!(
            metrics.as_str().unwrap().contains("vigil_webhooks_total{outcome=\"accepted\"} 4"),
            "{metrics}"
        );
        app.finish().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_burst_of_concurrent_deliveries_is_stored_once_each() {
    for app in TestApp::all().await {
        let id = instance(&app).await;
        let app = std::sync::Arc::new(app);
        let mut tasks = tokio::task::JoinSet::new();
        // 200 deliveries of 100 keys: each key twice, concurrently.
        for index in 0..200 {
            let app = std::sync::Arc::clone(&app);
            tasks.spawn(async move {
                let key = format!("burst-{}", index % 100);
                let headers = [
                    ("x-gitlab-token", SECRET),
                    ("x-gitlab-event", "Push Hook"),
                    ("idempotency-key", key.as_str()),
                ];
                let (status, receipt) =
                    deliver(&app, id, &headers, fixture("webhooks/push.json")).await;
                assert_eq!(status, StatusCode::OK, "{receipt}");
                receipt["status"].as_str().unwrap().to_owned()
            });
        }
        let mut accepted = 0;
        while let Some(outcome) = tasks.join_next().await {
            accepted += usize::from(outcome.unwrap() == "accepted");
        }
        assert_eq!(accepted, 100, "{}", app.name);
        assert_eq!(stored(&app).await, 100, "{}: one job per stored event", app.name);
        std::sync::Arc::into_inner(app).unwrap().finish().await;
    }
}

/// Headers, body, expected status, text the error message must contain.
type BadDelivery = (Vec<(&'static str, &'static str)>, Vec<u8>, StatusCode, &'static str);

#[tokio::test]
async fn bad_deliveries_are_refused_and_nothing_is_stored() {
    for app in TestApp::all().await {
        let id = instance(&app).await;
        let body = fixture("webhooks/push.json");
        let cases: Vec<BadDelivery> = vec![
            (
                vec![("x-gitlab-event", "Push Hook")],
                body.clone(),
                StatusCode::UNAUTHORIZED,
                "X-Gitlab-Token",
            ),
            (
                vec![("x-gitlab-token", "hook-secret-0123456788"), ("x-gitlab-event", "Push Hook")],
                body.clone(),
                StatusCode::UNAUTHORIZED,
                "X-Gitlab-Token",
            ),
            (
                vec![("x-gitlab-token", "hook-secret"), ("x-gitlab-event", "Push Hook")],
                body.clone(),
                StatusCode::UNAUTHORIZED,
                "X-Gitlab-Token",
            ),
            (
                vec![("x-gitlab-token", SECRET), ("x-gitlab-event", "Push Hook")],
                b"{\"object_kind\": \"push\"".to_vec(),
                StatusCode::BAD_REQUEST,
                "not JSON",
            ),
            (
                vec![("x-gitlab-token", SECRET), ("x-gitlab-event", "Push Hook")],
                b"[1, 2]".to_vec(),
                StatusCode::BAD_REQUEST,
                "not a JSON object",
            ),
            (
                vec![("x-gitlab-token", SECRET), ("x-gitlab-event", "Push Hook")],
                vec![b' '; 25 * 1024 * 1024 + 1],
                StatusCode::PAYLOAD_TOO_LARGE,
                "25 MB",
            ),
        ];
        for (headers, body, expected, needle) in cases {
            let (status, reply) = deliver(&app, id, &headers, body).await;
            assert_eq!(status, expected, "{}: {headers:?}: {reply}", app.name);
            assert!(
                reply["message"].as_str().unwrap_or("").contains(needle),
                "{headers:?}: {reply}"
            );
        }
        let (status, _) = deliver(
            &app,
            id + 1000,
            &[("x-gitlab-token", SECRET), ("x-gitlab-event", "Push Hook")],
            body.clone(),
        )
        .await;
        assert_eq!(status, StatusCode::NOT_FOUND);
        let (status, reply) = deliver(
            &app,
            id,
            &[("x-gitlab-token", SECRET), ("x-gitlab-event", "Wiki Page Hook")],
            body,
        )
        .await;
        assert_eq!((status, reply["status"].as_str()), (StatusCode::ACCEPTED, Some("ignored")));
        assert_eq!(stored(&app).await, 0, "{}", app.name);
        app.finish().await;
    }
}

/// A request whose body never arrives (declaring `length` bytes).
fn stalled(instance: i64, headers: &[(&str, &str)], length: u64) -> Request<Body> {
    let mut request = Request::post(format!("/hooks/gitlab/{instance}"))
        .header("content-type", "application/json")
        .header("content-length", length.to_string());
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let never = futures::stream::pending::<Result<Vec<u8>, std::io::Error>>();
    request.body(Body::from_stream(never)).unwrap()
}

/// The instance and token are checked from the headers before any of the
/// body is read: a flood of unauthenticated 24 MB posts is refused without
/// waiting for (or buffering) a single body, and an authenticated delivery
/// in the middle of it is stored.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unauthenticated_bodies_are_refused_before_they_are_read() {
    use std::time::Duration;
    for app in TestApp::all().await {
        let id = instance(&app).await;
        let length = 24 << 20;
        let flood = (0..100).map(|n| {
            let request = match n % 3 {
                0 => stalled(id + 1000, &[("x-gitlab-event", "Push Hook")], length),
                1 => stalled(
                    id,
                    &[("x-gitlab-token", "wrong"), ("x-gitlab-event", "Push Hook")],
                    length,
                ),
                _ => stalled(id, &[("x-gitlab-event", "Push Hook")], length),
            };
            application(app.state.clone()).oneshot(request)
        });
        let answers =
            tokio::time::timeout(Duration::from_secs(30), futures::future::join_all(flood))
                .await
                .expect("refusals wait for bodies that never come");
        for answer in answers {
            let status = answer.unwrap().status();
            assert!(
                status == StatusCode::NOT_FOUND || status == StatusCode::UNAUTHORIZED,
                "{}: {status}",
                app.name
            );
        }
        // Answered from the headers alone: an ignored event, a declared
        // oversized body.
        for (event, length, expected) in [
            ("Wiki Page Hook", length, StatusCode::ACCEPTED),
            ("Push Hook", 26 << 20, StatusCode::PAYLOAD_TOO_LARGE),
        ] {
            let request =
                stalled(id, &[("x-gitlab-token", SECRET), ("x-gitlab-event", event)], length);
            let answer = tokio::time::timeout(
                Duration::from_secs(30),
                application(app.state.clone()).oneshot(request),
            )
            .await
            .unwrap_or_else(|_| panic!("{event}: the answer waited for the body"));
            assert_eq!(answer.unwrap().status(), expected, "{event}");
        }
        let push = [("x-gitlab-token", SECRET), ("x-gitlab-event", "Push Hook")];
        let (status, receipt) = deliver(&app, id, &push, fixture("webhooks/push.json")).await;
        assert_eq!((status, receipt["status"].as_str()), (StatusCode::OK, Some("accepted")));
        assert_eq!(stored(&app).await, 1, "{}", app.name);
        app.finish().await;
    }
}

#[tokio::test]
async fn a_push_to_the_default_branch_queues_a_scan_of_the_files_it_touched() {
    use std::sync::Arc;
    use vigil_server::jobs::{JobRunner, NoSource};
    for app in TestApp::all().await {
        let id = instance(&app).await;
        // The fixture pushes to refs/heads/master of project 15.
        let repository = app
            .store()
            .upsert_repository(id, 15, "mike/diaspora", "master", Queue::now_ms())
            .await
            .unwrap();
        let headers = [
            ("x-gitlab-token", SECRET),
            ("x-gitlab-event", "Push Hook"),
            ("idempotency-key", "p-1"),
        ];
        // The fixture pushes 4 commits but lists 2 (GitLab lists at most 20):
        // as given it needs a full scan; with the count matching the list,
        // the listed files suffice.
        let mut push: Value = serde_json::from_slice(&fixture("webhooks/push.json")).unwrap();
        assert_eq!(vigil_server::jobs::push_scope(&push), vigil_store::ScanScope::Full);
        push["total_commits_count"] = 2.into();
        let (_, receipt) = deliver(&app, id, &headers, push.to_string().into_bytes()).await;
        let runner = JobRunner::new(app.store().clone(), Arc::new(NoSource));
        let job = app.store().queue().claim("w", 10_000, Queue::now_ms()).await.unwrap().unwrap();
        runner.run(&job).await.unwrap();
        let event =
            app.store().webhook_event(receipt["event"].as_i64().unwrap()).await.unwrap().unwrap();
        assert!(event.processed_at.is_some());
        let scans = app.store().scans(Some(repository.id), None, 10).await.unwrap();
        assert_eq!(scans.len(), 1, "{}", app.name);
        assert_eq!(
            (scans[0].trigger.as_str(), scans[0].scope.as_str(), scans[0].branch.as_str()),
            ("push", "paths", "master")
        );
        let scan_job =
            app.store().queue().claim("w", 10_000, Queue::now_ms()).await.unwrap().unwrap();
        let paths: Vec<&str> = scan_job.payload["paths"]
            .as_array()
            .unwrap()
            .iter()
            .map(|path| path.as_str().unwrap())
            .collect();
        assert_eq!(paths, ["CHANGELOG", "app/controller/application.rb"]);
        // A push to another branch, or of an unknown project, queues nothing.
        let mut other: Value = serde_json::from_slice(&fixture("webhooks/push.json")).unwrap();
        other["ref"] = "refs/heads/feature".into();
        let headers = [
            ("x-gitlab-token", SECRET),
            ("x-gitlab-event", "Push Hook"),
            ("idempotency-key", "p-2"),
        ];
        deliver(&app, id, &headers, other.to_string().into_bytes()).await;
        let job = app.store().queue().claim("w", 10_000, Queue::now_ms()).await.unwrap().unwrap();
        runner.run(&job).await.unwrap();
        assert_eq!(app.store().scans(Some(repository.id), None, 10).await.unwrap().len(), 1);
        app.finish().await;
    }
}

#[test]
fn truncated_pushes_scan_everything() {
    use vigil_server::jobs::push_scope;
    use vigil_store::ScanScope;
    let mut push: Value = serde_json::from_slice(&fixture("webhooks/push.json")).unwrap();
    push["total_commits_count"] = 2.into();
    assert!(matches!(push_scope(&push), ScanScope::Paths(_)));
    push["total_commits_count"] = 25.into();
    assert_eq!(push_scope(&push), ScanScope::Full);
    push.as_object_mut().unwrap().remove("commits");
    assert_eq!(push_scope(&push), ScanScope::Full);
}

#[tokio::test]
async fn a_push_of_more_than_20_commits_scans_what_the_compare_api_says_changed() {
    use gitlab_sim::{Hook, MAINTAINER, Simulator};
    use vigil_server::jobs::{JobRunner, NoSource};
    for app in TestApp::all().await {
        let sim = Simulator::start().await.unwrap();
        let token = sim.add_user("vigil-bot", false);
        let project = sim.add_project("group/app", "main", &[("vigil-bot", MAINTAINER)]);
        // A hook, so that the simulator records the push it delivers.
        sim.state().projects.get_mut(&project).unwrap().hooks.push(Hook {
            id: 999,
            url: "http://127.0.0.1:9/hook".into(),
            token: None,
            push_events: true,
            merge_requests_events: false,
            note_events: false,
            enable_ssl_verification: true,
        });
        let paths: Vec<String> = (0..25).map(|index| format!("src/file_{index:02}.py")).collect();
        let contents: Vec<String> = (0..25).map(|index| format!("x = {index}\n")).collect();
        let changes: Vec<Vec<FileChange<'_>>> = (0..25)
            .map(|index| vec![(paths[index].as_str(), Some(contents[index].as_bytes()))])
            .collect();
        let commits: Vec<(&[FileChange<'_>], &str)> =
            changes.iter().map(|change| (change.as_slice(), "one more file")).collect();
        sim.push(project, "main", &commits).unwrap();
        let deliveries = sim.wait_for_deliveries(1, std::time::Duration::from_secs(10)).await;
        let push = &deliveries.iter().find(|delivery| delivery.event == "Push Hook").unwrap().body;
        assert_eq!(push["total_commits_count"], 25);
        assert_eq!(push["commits"].as_array().unwrap().len(), 20, "GitLab lists the newest 20");

        let id = app
            .store()
            .create_instance(&crate::new_instance(sim.base_url(), 3600), Queue::now_ms())
            .await
            .unwrap()
            .id;
        for (column, value) in
            [("webhook_secret_enc", SECRET), ("access_token_enc", token.as_str())]
        {
            let secret = SecretString::new(value);
            app.store()
                .set_instance_secret(id, column, Some(&secret), Queue::now_ms())
                .await
                .unwrap();
        }
        let repository = app
            .store()
            .upsert_repository(
                id,
                i64::try_from(project).unwrap(),
                "group/app",
                "main",
                Queue::now_ms(),
            )
            .await
            .unwrap();
        let headers = [
            ("x-gitlab-token", SECRET),
            ("x-gitlab-event", "Push Hook"),
            ("idempotency-key", "big"),
        ];
        deliver(&app, id, &headers, push.to_string().into_bytes()).await;
        let runner = JobRunner::new(app.store().clone(), std::sync::Arc::new(NoSource));
        let job = app.store().queue().claim("w", 10_000, Queue::now_ms()).await.unwrap().unwrap();
        runner.run(&job).await.unwrap();
        let scan = app.store().queue().claim("w", 10_000, Queue::now_ms()).await.unwrap().unwrap();
        let scanned: Vec<&str> = scan.payload["paths"]
            .as_array()
            .unwrap_or_else(|| panic!("{}: a full scan, not the compared paths", app.name))
            .iter()
            .filter_map(Value::as_str)
            .collect();
        assert_eq!(
            scanned, paths,
            "{}: all 25 files, also those of the unlisted commits",
            app.name
        );
        let scans = app.store().scans(Some(repository.id), None, 10).await.unwrap();
        assert_eq!(scans[0].scope, "paths");
        app.finish().await;
    }
}

/// A path and its new content (`None` deletes), as gitlab-sim commits take.
type FileChange<'a> = (&'a str, Option<&'a [u8]>);
