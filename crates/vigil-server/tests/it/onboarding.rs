//! Connecting an instance end to end against gitlab-sim over HTTP: select
//! repositories, hooks installed once with Vigil's secret, first scans run;
//! narrowing the selection drops hooks and data; a refused token puts the
//! instance in error with the reason; deleting the instance leaves no hook
//! in GitLab and no row in Vigil.

use std::sync::Arc;
use std::time::Duration;

use axum::http::{Method, StatusCode};
use gitlab_sim::{DEVELOPER, MAINTAINER, Simulator};
use serde_json::{Value, json};
use vigil_server::jobs::JobRunner;
use vigil_server::source::GitLabSource;
use vigil_server::worker::{WorkerPool, WorkerSettings};

use crate::TestApp;

async fn wait_for(app: &TestApp, path: &str, done: impl Fn(&Value) -> bool) -> Value {
    for _ in 0..500 {
        let reply = app.get(path, &app.viewer).await;
        if done(&reply.json) {
            return reply.json;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("{path} never got there: {}", app.get(path, &app.viewer).await.json);
}

fn hooks(sim: &Simulator) -> Vec<(u64, usize, Option<String>)> {
    let state = sim.state();
    state
        .projects
        .values()
        .map(|project| {
            (
                project.id,
                project.hooks.len(),
                project.hooks.first().and_then(|hook| hook.token.clone()),
            )
        })
        .collect()
}

#[tokio::test]
async fn an_instance_is_connected_narrowed_and_deleted_without_leftovers() {
    for app in TestApp::all().await {
        let sim = Simulator::start().await.unwrap();
        sim.state().allow_local_webhooks = true;
        let token = sim.add_user("vigil-bot", false);
        let mut projects = Vec::new();
        for name in ["a", "b", "c"] {
            let id =
                sim.add_project(&format!("group/{name}"), "main", &[("vigil-bot", MAINTAINER)]);
            sim.write_file(
                id,
                "app.env",
                format!("GITHUB_TOKEN=ghp_qQuHOtnUnwiedLRNSFNSzDf4IX6pmAR{name:0>5}\n"),
            );
            projects.push(id);
        }
        sim.add_project("group/not-mine", "main", &[("vigil-bot", DEVELOPER)]);
        let pool = start_workers(&app).await;
        let (id, created) = sim_instance(&app, &sim, &token).await;
        assert!(!created.json.to_string().contains(&token));
        let selection = format!("/api/v1/instances/{id}/selection");
        let queued =
            app.call(Method::PUT, &selection, &app.admin, Some(json!({"mode": "all"}))).await;
        assert_eq!(queued.status, StatusCode::ACCEPTED, "{queued:?}");
        let instance =
            wait_for(&app, &format!("/api/v1/instances/{id}"), |json| json["status"] != "pending")
                .await;
        assert_eq!(
            (instance["status"].as_str(), instance["selection"].as_str()),
            (Some("connected"), Some("all")),
            "{} {instance}",
            app.name
        );
        assert_eq!(instance["subscribed_events"], json!(["push", "merge_request", "note"]));
        let repositories =
            app.get(&format!("/api/v1/repositories?instance={id}"), &app.viewer).await.json;
        assert_eq!(repositories.as_array().unwrap().len(), 3, "Developer access is not enough");
        let secret = app.store().webhook_secret(id).await.unwrap().unwrap().unwrap();
        for (project, count, hook_token) in hooks(&sim) {
            let expected = usize::from(projects.contains(&project));
            assert_eq!(count, expected, "project {project}");
            if expected == 1 {
                assert_eq!(hook_token.as_deref(), Some(secret.expose()));
            }
        }
        assert_eq!(
            sim.state().projects[&projects[0]].hooks[0].url,
            format!("http://127.0.0.1:9/hooks/gitlab/{id}")
        );
        // The first scans run and find each repository's token.
        wait_for(&app, "/api/v1/issues", |json| {
            json["items"].as_array().is_some_and(|items| items.len() == 3)
        })
        .await;
        let progress = wait_for(&app, &format!("/api/v1/instances/{id}"), |json| {
            json["progress"]["pending_scans"] == 0
        })
        .await["progress"]
            .clone();
        assert_eq!(progress, json!({"repositories": 3, "scanned": 3, "pending_scans": 0}));

        // The onboarding scan is this interval's full scan: the scheduler adds none.
        let tick = vigil_server::scheduler::tick(
            app.store(),
            &vigil_server::scheduler::SchedulerSettings::default(),
        )
        .await
        .unwrap();
        assert_eq!((tick.leader, tick.scans), (true, 0), "{}", app.name);

        // Syncing again (an Edit, a system hook, the hourly discovery)
        // queues no scan of a repository that has one; a new project gets
        // its first.
        let scans = |app: &TestApp| {
            let store = app.store().clone();
            async move { store.scans(None, None, 500).await.unwrap().len() }
        };
        let before = scans(&app).await;
        assert_eq!(before, 3, "{}", app.name);
        app.call(Method::PUT, &selection, &app.admin, Some(json!({"mode": "all"}))).await;
        wait_for(&app, &format!("/api/v1/instances/{id}"), |json| json["status"] == "connected")
            .await;
        assert_eq!(scans(&app).await, before, "{}: nothing rescanned", app.name);
        let late = sim.add_project("group/d", "main", &[("vigil-bot", MAINTAINER)]);
        app.call(Method::PUT, &selection, &app.admin, Some(json!({"mode": "all"}))).await;
        wait_for(&app, &format!("/api/v1/repositories?instance={id}"), |json| {
            json.as_array().is_some_and(|r| r.len() == 4)
        })
        .await;
        wait_for(&app, &format!("/api/v1/instances/{id}"), |json| json["status"] == "connected")
            .await;
        let after = app.store().scans(None, None, 500).await.unwrap();
        assert_eq!(after.len(), before + 1, "{}: only the new project is scanned", app.name);
        assert_eq!(after[0].trigger, "onboarding");
        let late_repo = app.store().repository_by_project(id, late as i64).await.unwrap().unwrap();
        assert_eq!(after[0].repository_id, late_repo.id);

        // Syncing again reuses the hooks; narrowing drops the others with their data.
        app.call(Method::PUT, &selection, &app.admin, Some(json!({"mode": "all"}))).await;
        let queued = app
            .call(
                Method::PUT,
                &selection,
                &app.admin,
                Some(json!({"mode": "chosen", "project_ids": [projects[0]]})),
            )
            .await;
        assert_eq!(queued.status, StatusCode::ACCEPTED);
        wait_for(&app, &format!("/api/v1/repositories?instance={id}"), |json| {
            json.as_array().is_some_and(|r| r.len() == 1)
        })
        .await;
        wait_for(&app, "/api/v1/issues", |json| {
            json["items"].as_array().is_some_and(|items| items.len() == 1)
        })
        .await;
        let counts: Vec<usize> = hooks(&sim).iter().map(|(_, count, _)| *count).collect();
        assert_eq!(counts, [1, 0, 0, 0, 0], "{}", app.name);

        // A revoked token: the next sync puts the instance in error and says why.
        sim.state().revoked.push(token.clone());
        app.call(Method::PUT, &selection, &app.admin, Some(json!({"mode": "all"}))).await;
        let instance =
            wait_for(&app, &format!("/api/v1/instances/{id}"), |json| json["status"] == "error")
                .await;
        let reason = instance["status_reason"].as_str().unwrap();
        assert!(reason.starts_with("the token was refused by GitLab"), "{reason}");
        sim.state().revoked.clear();

        // Delete: hooks removed from GitLab first, then every row.
        let deleted =
            app.call(Method::DELETE, &format!("/api/v1/instances/{id}"), &app.admin, None).await;
        assert_eq!(deleted.status, StatusCode::ACCEPTED);
        wait_for(&app, "/api/v1/instances", |json| json.as_array().is_some_and(Vec::is_empty))
            .await;
        assert!(hooks(&sim).iter().all(|(_, count, _)| *count == 0), "no hook left in GitLab");
        assert!(
            app.get("/api/v1/repositories", &app.viewer).await.json.as_array().unwrap().is_empty()
        );
        assert!(
            app.get("/api/v1/issues", &app.viewer).await.json["items"]
                .as_array()
                .unwrap()
                .is_empty()
        );
        pool.shutdown().await;
        app.finish().await;
    }
}

#[tokio::test]
async fn configure_domain_says_whether_gitlab_answers_and_what_failed() {
    let app = TestApp::all().await.into_iter().next().unwrap();
    let sim = Simulator::start().await.unwrap();
    let check = |base_url: String| {
        let app = &app;
        async move {
            let reply = app
                .call(
                    Method::POST,
                    "/api/v1/instances/check",
                    &app.admin,
                    Some(json!({ "base_url": base_url })),
                )
                .await;
            assert_eq!(reply.status, StatusCode::OK, "{reply:?}");
            reply.json
        }
    };
    let gitlab = check(format!("{}/", sim.base_url())).await;
    assert_eq!(gitlab["reachable"], true, "{gitlab}");
    assert_eq!(gitlab["base_url"], sim.base_url());

    // Nothing listens there.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap();
    let refused = check(format!("http://{closed}")).await;
    assert_eq!(refused["reachable"], false);
    assert!(refused["message"].as_str().unwrap().contains("cannot connect"), "{refused}");
    assert_eq!(
        refused["summary"], "Nothing answers on that host and port: the connection was refused.",
        "{refused}"
    );

    // A web server that is not GitLab.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move {
        use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
        while let Ok((mut stream, _)) = listener.accept().await {
            let mut buffer = [0u8; 1024];
            let _ = stream.read(&mut buffer).await;
            let body = "<html>It works!</html>";
            let reply = format!(
                "HTTP/1.1 200 OK\r\ncontent-type: text/html\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                body.len()
            );
            let _ = stream.write_all(reply.as_bytes()).await;
        }
    });
    let other = check(format!("http://{address}")).await;
    assert_eq!(other["reachable"], false);
    let message = other["message"].as_str().unwrap();
    assert!(
        message.contains("does not look like GitLab") && message.contains("It works!"),
        "{message}"
    );
    assert_eq!(other["summary"], "Something answers at this address, but it is not GitLab's API.");

    // GitLab answers slower than the check waits: a timeout, named.
    sim.inject("/api/v4/version", gitlab_sim::Fault::Delay(12_000), 1);
    let slow = check(sim.base_url()).await;
    assert_eq!(slow["reachable"], false, "{slow}");
    assert_eq!(slow["summary"], "GitLab did not answer in time.", "{slow}");
    assert!(slow["message"].as_str().unwrap().contains("no answer within 10 s"), "{slow}");

    let bad = app
        .call(
            Method::POST,
            "/api/v1/instances/check",
            &app.admin,
            Some(json!({ "base_url": "gitlab.example.com/path" })),
        )
        .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    app.finish().await;
}

#[tokio::test]
async fn choose_from_the_repository_list_pages_and_searches_maintained_projects() {
    let app = TestApp::all().await.into_iter().next().unwrap();
    let sim = Simulator::start().await.unwrap();
    let token = sim.add_user("vigil-bot", false);
    for name in ["alpha", "beta", "gamma"] {
        sim.add_project(&format!("group/{name}"), "main", &[("vigil-bot", MAINTAINER)]);
    }
    sim.add_project("group/not-mine", "main", &[("vigil-bot", DEVELOPER)]);
    let (id, _) = sim_instance(&app, &sim, &token).await;
    let list = format!("/api/v1/instances/{id}/projects");
    let first = app.get(&format!("{list}?limit=2"), &app.admin).await;
    assert_eq!(first.status, StatusCode::OK, "{first:?}");
    let paths = |page: &Value| -> Vec<String> {
        page["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|item| item["path"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(paths(&first.json), ["group/alpha", "group/beta"]);
    assert_eq!(first.json["items"][0]["selected"], false);
    let cursor = first.json["next_cursor"].as_str().unwrap();
    let second = app.get(&format!("{list}?limit=2&cursor={cursor}"), &app.admin).await;
    assert_eq!(paths(&second.json), ["group/gamma"], "Developer access is not listed");
    assert!(second.json["next_cursor"].is_null());
    let found = app.get(&format!("{list}?search=BET"), &app.admin).await;
    assert_eq!(paths(&found.json), ["group/beta"]);
    assert_eq!(
        app.get(&format!("{list}?limit=0"), &app.admin).await.status,
        StatusCode::BAD_REQUEST
    );
    // A refused token: the page says so.
    sim.state().revoked.push(token);
    let refused = app.get(&list, &app.admin).await;
    assert_eq!(refused.status, StatusCode::BAD_GATEWAY);
    assert!(refused.json["message"].as_str().unwrap().contains("refused by GitLab"), "{refused:?}");
    app.finish().await;
}

#[tokio::test]
async fn an_admin_token_gets_one_system_hook_for_future_projects_and_it_goes_with_the_instance() {
    for app in TestApp::all().await {
        let sim = Simulator::start().await.unwrap();
        sim.state().allow_local_webhooks = true;
        let token = sim.add_user("root", true);
        sim.add_project("group/a", "main", &[("root", MAINTAINER)]);
        let pool = start_workers(&app).await;
        let (id, _) = sim_instance(&app, &sim, &token).await;
        let selection = format!("/api/v1/instances/{id}/selection");
        let system_hooks = || sim.state().system_hooks.clone();
        for mode in ["all_and_future", "all_and_future"] {
            app.call(Method::PUT, &selection, &app.admin, Some(json!({"mode": mode}))).await;
            wait_until_idle(&app).await;
            let hooks = system_hooks();
            assert_eq!(hooks.len(), 1, "{}: one system hook, reused: {hooks:?}", app.name);
            assert_eq!(hooks[0].url, format!("http://127.0.0.1:9/hooks/gitlab/{id}"));
            let secret = app.store().webhook_secret(id).await.unwrap().unwrap().unwrap();
            assert_eq!(hooks[0].token.as_deref(), Some(secret.expose()));
        }
        app.call(Method::PUT, &selection, &app.admin, Some(json!({"mode": "all"}))).await;
        wait_until_idle(&app).await;
        assert!(system_hooks().is_empty(), "{}: removed with the selection", app.name);
        app.call(Method::PUT, &selection, &app.admin, Some(json!({"mode": "all_and_future"})))
            .await;
        wait_until_idle(&app).await;
        assert_eq!(system_hooks().len(), 1);
        let deleted =
            app.call(Method::DELETE, &format!("/api/v1/instances/{id}"), &app.admin, None).await;
        assert_eq!(deleted.status, StatusCode::ACCEPTED);
        wait_for(&app, "/api/v1/instances", |json| json.as_array().is_some_and(Vec::is_empty))
            .await;
        assert!(system_hooks().is_empty(), "{}: no system hook left", app.name);
        pool.shutdown().await;
        app.finish().await;
    }
}

/// Waits until no job is queued or running.
async fn wait_until_idle(app: &TestApp) {
    for _ in 0..500 {
        let counts = app.store().queue().counts().await.unwrap();
        if counts.queued == 0 && counts.running == 0 {
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("jobs still pending: {:?}", app.store().queue().counts().await.unwrap());
}

/// A worker pool over the app's store that fetches from GitLab and installs
/// hooks pointing to a public URL on a closed port.
async fn start_workers(app: &TestApp) -> WorkerPool {
    let runner = JobRunner::new(
        app.store().clone(),
        Arc::new(GitLabSource::new(app.store().clone(), Default::default())),
    )
    .with_public_url(Some("http://127.0.0.1:9/".into()));
    let settings = WorkerSettings {
        workers: 2,
        poll_ms: 20,
        retry: vigil_store::RetryPolicy { base_ms: 100, cap_ms: 500 },
        ..WorkerSettings::default()
    };
    WorkerPool::start(
        app.store().clone(),
        runner,
        settings,
        app.state.job_wakeup.clone(),
        app.state.metrics.clone(),
    )
    .await
}

/// Creates an instance for the simulator with an access token; its id and
/// the API's answer.
async fn sim_instance(app: &TestApp, sim: &Simulator, token: &str) -> (i64, crate::Reply) {
    let created = app
        .call(
            Method::POST,
            "/api/v1/instances",
            &app.admin,
            Some(json!({"name": "sim", "base_url": sim.base_url(), "access_token": token})),
        )
        .await;
    (created.json["id"].as_i64().unwrap(), created)
}

#[tokio::test]
async fn a_project_belongs_to_one_instance_and_the_conflict_is_shown() {
    let app = TestApp::all().await.into_iter().next().unwrap();
    let sim = Simulator::start().await.unwrap();
    sim.state().allow_local_webhooks = true;
    let token = sim.add_user("vigil-bot", false);
    sim.add_project("group/app", "main", &[("vigil-bot", MAINTAINER)]);
    let pool = start_workers(&app).await;
    let (first, _) = sim_instance(&app, &sim, &token).await;
    app.call(
        Method::PUT,
        &format!("/api/v1/instances/{first}/selection"),
        &app.admin,
        Some(json!({"mode": "all"})),
    )
    .await;
    wait_until_idle(&app).await;
    // The same GitLab again, by another name.
    let by_name = sim.base_url().replace("127.0.0.1", "localhost");
    let second = app
        .call(
            Method::POST,
            "/api/v1/instances",
            &app.admin,
            Some(json!({"name": "again", "base_url": by_name, "access_token": token})),
        )
        .await
        .json["id"]
        .as_i64()
        .unwrap();
    let listed = app.get(&format!("/api/v1/instances/{second}/projects"), &app.admin).await;
    assert_eq!(listed.json["items"][0]["conflict"], "already scanned through instance sim");
    app.call(
        Method::PUT,
        &format!("/api/v1/instances/{second}/selection"),
        &app.admin,
        Some(json!({"mode": "all"})),
    )
    .await;
    let instance =
        wait_for(&app, &format!("/api/v1/instances/{second}"), |json| json["status"] != "pending")
            .await;
    assert_eq!(instance["status"], "error");
    let reason = instance["status_reason"].as_str().unwrap();
    assert!(reason.contains("group/app: already scanned through instance sim"), "{reason}");
    let repositories =
        app.get(&format!("/api/v1/repositories?instance={second}"), &app.viewer).await;
    assert!(repositories.json.as_array().unwrap().is_empty(), "{:?}", repositories);
    pool.shutdown().await;
    app.finish().await;
}

/// GitLab's archive rate limit answered without `Retry-After`: the scan's
/// job waits a minute in the queue (no attempt used, no worker held, the
/// scan not failed) and then runs as usual.
#[tokio::test]
async fn an_archive_rate_limit_without_retry_after_waits_in_the_queue_not_in_a_worker() {
    use vigil_server::jobs::{Trigger, enqueue_scan};
    use vigil_server::payloads::JobError;
    for app in TestApp::all().await {
        let sim = Simulator::start().await.unwrap();
        let token = sim.add_user("vigil-bot", false);
        let project = sim.add_project("group/app", "main", &[("vigil-bot", MAINTAINER)]);
        sim.write_file(
            project,
            "app.env",
            "GITHUB_TOKEN=ghp_qQuHOtnUnwiedLRNSFNSzDf4IX6pmARK7vPU\n",
        );
        let (id, _) = sim_instance(&app, &sim, &token).await;
        let now = vigil_store::Queue::now_ms();
        let store = app.store();
        let repository =
            store.upsert_repository(id, project as i64, "group/app", "main", now).await.unwrap();
        // Every attempt of one download is refused.
        let archive = format!("/api/v4/projects/{project}/repository/archive.tar.gz");
        sim.inject(&archive, gitlab_sim::Fault::TooManyRequestsUnsaid, 4);
        let (scan, _) =
            enqueue_scan(store, &repository, "main", vigil_store::ScanScope::Full, Trigger::Manual)
                .await
                .unwrap();
        let runner = JobRunner::new(
            store.clone(),
            Arc::new(GitLabSource::new(store.clone(), Default::default())),
        );
        let claimed =
            store.queue().claim("w", 60_000, vigil_store::Queue::now_ms()).await.unwrap().unwrap();
        let started = std::time::Instant::now();
        let outcome = runner.run(&claimed).await;
        assert!(
            matches!(&outcome, Err(JobError::Wait { after_ms: 60_000, .. })),
            "{}: {outcome:?}",
            app.name
        );
        assert!(started.elapsed() < Duration::from_secs(15), "{:?}", started.elapsed());
        let waiting = store.scan(scan.id).await.unwrap().unwrap();
        assert_ne!(waiting.status, "failed", "{}: a rate limit is not a failed scan", app.name);
        // GitLab lets it through: the same job runs the scan.
        runner.run(&claimed).await.unwrap();
        let done = store.scan(scan.id).await.unwrap().unwrap();
        assert_eq!((done.status.as_str(), done.new_issues), ("succeeded", 1), "{}", app.name);
        app.finish().await;
    }
}
