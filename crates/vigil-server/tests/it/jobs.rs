//! Jobs end to end: a scan triggered over the API runs in the worker pool
//! against a directory source, reconciles into issues, and a later scan
//! fixes what disappeared; failures are recorded on the scan; the
//! scheduler acts in one process only; shutdown releases unfinished jobs.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use axum::http::{Method, StatusCode};
use serde_json::json;
use vigil_server::jobs::{BoxFuture, FetchedSource, JobRunner, NoSource, SourceFetcher};
use vigil_server::scheduler::{SchedulerSettings, tick};
use vigil_server::worker::{WorkerPool, WorkerSettings};
use vigil_store::{NewJob, Queue, QueueCounts, Repository, ScanScope, Store};

use crate::TestApp;

/// Serves each repository from `root/<repository path>`.
#[derive(Debug)]
pub(crate) struct DirectorySource {
    pub(crate) root: PathBuf,
}

impl SourceFetcher for DirectorySource {
    fn fetch<'a>(
        &'a self,
        repository: &'a Repository,
        _branch: &'a str,
        _scope: &'a ScanScope,
    ) -> BoxFuture<'a, Result<FetchedSource, vigil_server::payloads::JobError>> {
        Box::pin(async move {
            Ok(FetchedSource {
                root: self.root.join(&repository.path),
                commit_sha: None,
                guard: None,
                config: None,
                skipped: Vec::new(),
            })
        })
    }
}

async fn repository(store: &Store, interval_s: i64) -> Repository {
    let instance = store
        .create_instance(
            &crate::new_instance(format!("https://gitlab-{interval_s}.example.com"), interval_s),
            Queue::now_ms(),
        )
        .await
        .unwrap();
    store.upsert_repository(instance.id, 1, "group/app", "main", Queue::now_ms()).await.unwrap()
}

fn settings(workers: usize) -> WorkerSettings {
    WorkerSettings {
        workers,
        poll_ms: 20,
        lease_ms: 5_000,
        grace: Duration::from_millis(200),
        ..WorkerSettings::default()
    }
}

/// A pool of `workers` over the app's store and wake-ups.
async fn start_pool(app: &TestApp, runner: JobRunner, workers: usize) -> WorkerPool {
    WorkerPool::start(
        app.store().clone(),
        runner,
        settings(workers),
        app.state.job_wakeup.clone(),
        app.state.metrics.clone(),
    )
    .await
}

/// Triggers a scan of `repo` as a member; the scan's id.
async fn trigger_scan(app: &TestApp, repo: &Repository) -> i64 {
    let path = format!("/api/v1/repositories/{}/scans", repo.id);
    let triggered = app.call(Method::POST, &path, &app.member, Some(json!({}))).await;
    assert_eq!(triggered.status, StatusCode::ACCEPTED, "{triggered:?}");
    triggered.json["scan"]["id"].as_i64().unwrap()
}

async fn wait_for_scan(app: &TestApp, scan: i64) -> serde_json::Value {
    for _ in 0..500 {
        let reply = app.get(&format!("/api/v1/scans/{scan}"), &app.viewer).await;
        if matches!(reply.json["status"].as_str(), Some("succeeded" | "failed")) {
            return reply.json;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("scan {scan} did not finish in 10 s");
}

#[tokio::test]
async fn a_triggered_scan_runs_and_reconciles_issues() {
    for app in TestApp::all().await {
        let sources = tempfile::tempdir().unwrap();
        let checkout = sources.path().join("group/app");
        std::fs::create_dir_all(&checkout).unwrap();
        std::fs::write(checkout.join("deploy.env"), "AWS_ACCESS_KEY_ID=AKIAZ5IE4ZYEYRUHWWTV\nGITHUB_TOKEN=ghp_qQuHOtnUnwiedLRNSFNSzDf4IX6pmARK7vPU\n").unwrap();
        let repo = repository(app.store(), 3600).await;
        let runner = JobRunner::new(
            app.store().clone(),
            Arc::new(DirectorySource { root: sources.path().to_owned() }),
        );
        let pool = start_pool(&app, runner, 2).await;

        let path = format!("/api/v1/repositories/{}/scans", repo.id);
        let triggered = app.call(Method::POST, &path, &app.member, Some(json!({}))).await;
        assert_eq!(triggered.status, StatusCode::ACCEPTED, "{triggered:?}");
        let scan = wait_for_scan(&app, triggered.json["scan"]["id"].as_i64().unwrap()).await;
        assert_eq!(
            (scan["status"].as_str(), scan["new_issues"].as_i64(), scan["trigger"].as_str()),
            (Some("succeeded"), Some(2), Some("manual")),
            "{scan}"
        );
        let issues = app.get("/api/v1/issues?status=open", &app.viewer).await.json;
        let rules: Vec<&str> = issues["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|issue| issue["path"].as_str().unwrap())
            .collect();
        assert_eq!(rules, ["deploy.env", "deploy.env"]);
        assert!(
            !issues.to_string().contains("ghp_qQuHOtnUnwiedLRNSFNSzDf4IX6pmARK7vPU"),
            "no secret stored whole"
        );

        // The token is removed: the next full scan fixes its issue.
        std::fs::write(checkout.join("deploy.env"), "AWS_ACCESS_KEY_ID=AKIAZ5IE4ZYEYRUHWWTV\n")
            .unwrap();
        let again =
            app.call(Method::POST, &path, &app.member, Some(json!({"branch": "main"}))).await;
        let scan = wait_for_scan(&app, again.json["scan"]["id"].as_i64().unwrap()).await;
        assert_eq!(
            (scan["fixed_issues"].as_i64(), scan["new_issues"].as_i64()),
            (Some(1), Some(0)),
            "{scan}"
        );
        assert_eq!(
            app.get("/api/v1/issues?status=fixed", &app.viewer).await.json["items"]
                .as_array()
                .unwrap()
                .len(),
            1
        );

        // The scan row is final before its job is marked done and counted:
        // wait (bounded) until the metrics have caught up, then check them.
        let expected = [
            "vigil_jobs{state=\"succeeded\"} 2",
            "vigil_jobs_processed_total{kind=\"scan\",outcome=\"succeeded\"} 2",
            "vigil_scans{status=\"succeeded\"} 2",
        ];
        let mut metrics = String::new();
        for _ in 0..250 {
            metrics =
                app.get("/metrics", &crate::As::Nobody).await.json.as_str().unwrap().to_owned();
            if expected.iter().all(|line| metrics.contains(line)) {
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        for line in expected {
            assert!(metrics.contains(line), "{line} missing from\n{metrics}");
        }
        assert_eq!(pool.shutdown().await, 0);
        app.finish().await;
    }
}

#[tokio::test]
async fn a_full_scan_already_queued_is_not_queued_twice() {
    for app in TestApp::all().await {
        let repo = repository(app.store(), 3600).await;
        let path = format!("/api/v1/repositories/{}/scans", repo.id);
        let first = app.call(Method::POST, &path, &app.member, Some(json!({}))).await;
        let second = app.call(Method::POST, &path, &app.member, Some(json!({}))).await;
        assert_eq!(second.json["already_queued"], true, "{second:?}");
        assert_eq!(first.json["scan"]["id"], second.json["scan"]["id"]);
        assert_eq!(
            app.get("/api/v1/scans", &app.viewer).await.json["items"].as_array().unwrap().len(),
            1
        );
        app.finish().await;
    }
}

#[tokio::test]
async fn a_scan_that_cannot_fetch_fails_with_the_reason() {
    for app in TestApp::all().await {
        let repo = repository(app.store(), 3600).await;
        let runner = JobRunner::new(app.store().clone(), Arc::new(NoSource));
        let pool = start_pool(&app, runner, 1).await;
        let scan = wait_for_scan(&app, trigger_scan(&app, &repo).await).await;
        assert_eq!(scan["status"], "failed");
        assert!(
            scan["errors"]
                .as_str()
                .unwrap()
                .starts_with("attempt 1: repository group/app: no source fetcher"),
            "{scan}"
        );
        pool.shutdown().await;
        app.finish().await;
    }
}

/// A source that never answers (one byte every few seconds, forever).
#[derive(Debug)]
struct StalledSource;

impl SourceFetcher for StalledSource {
    fn fetch<'a>(
        &'a self,
        _repository: &'a Repository,
        _branch: &'a str,
        _scope: &'a ScanScope,
    ) -> BoxFuture<'a, Result<FetchedSource, vigil_server::payloads::JobError>> {
        Box::pin(std::future::pending())
    }
}

/// A hostile repository cannot hold a worker: past the maximum run time
/// the job is stopped, its scan failed with the reason, and the worker
/// takes the next job.
#[tokio::test]
async fn a_job_past_its_maximum_run_time_is_stopped_and_its_scan_failed() {
    for app in TestApp::all().await {
        let repo = repository(app.store(), 3600).await;
        let runner = JobRunner::new(app.store().clone(), Arc::new(StalledSource))
            .with_max_run(Duration::from_millis(300));
        let pool = start_pool(&app, runner, 1).await;
        let scan = wait_for_scan(&app, trigger_scan(&app, &repo).await).await;
        assert_eq!(scan["status"], "failed", "{scan}");
        assert_eq!(
            scan["errors"],
            "attempt 1: stopped after the maximum run time of 0.3 s (--max-job-seconds)"
        );
        pool.shutdown().await;
        app.finish().await;
    }
}

#[tokio::test]
async fn one_scheduler_acts_and_due_scans_are_queued_once() {
    for app in TestApp::all().await {
        let repo = repository(app.store(), 300).await;
        let a = SchedulerSettings {
            tick: Duration::from_secs(1),
            holder: "server-a".into(),
            ..SchedulerSettings::default()
        };
        let b = SchedulerSettings {
            tick: Duration::from_secs(1),
            holder: "server-b".into(),
            ..SchedulerSettings::default()
        };
        let (first, second) = tokio::join!(tick(app.store(), &a), tick(app.store(), &b));
        let (first, second) = (first.unwrap(), second.unwrap());
        assert!(first.leader ^ second.leader, "exactly one leader: {first:?} {second:?}");
        assert_eq!(first.scans + second.scans, 1);
        // The next tick (either server) finds nothing due for another 300 s.
        assert_eq!(
            tick(app.store(), &a).await.unwrap().scans + tick(app.store(), &b).await.unwrap().scans,
            0
        );
        let scans =
            app.get(&format!("/api/v1/scans?repository={}", repo.id), &app.viewer).await.json;
        assert_eq!(scans["items"][0]["trigger"], "schedule");
        app.finish().await;
    }
}

#[tokio::test]
async fn future_projects_are_discovered_by_a_periodic_sync_and_by_system_hooks() {
    for app in TestApp::all().await {
        let repo = repository(app.store(), 86_400).await;
        let instance = repo.instance_id;
        let settings = SchedulerSettings {
            tick: Duration::from_secs(1),
            holder: "server-a".into(),
            discovery_interval_ms: 60_000,
            vulndb: None,
        };
        // Selection "all": no discovery.
        app.store().set_instance_selection(instance, "all", &[], Queue::now_ms()).await.unwrap();
        assert_eq!(tick(app.store(), &settings).await.unwrap().discovery_syncs, 0);
        app.store()
            .set_instance_selection(instance, "all_and_future", &[], Queue::now_ms())
            .await
            .unwrap();
        assert_eq!(tick(app.store(), &settings).await.unwrap().discovery_syncs, 1, "{}", app.name);
        assert_eq!(
            tick(app.store(), &settings).await.unwrap().discovery_syncs,
            0,
            "once per interval"
        );
        let queued = app.store().queue().counts().await.unwrap().queued;
        // A project_create system hook asks for a sync too; it joins the queued one.
        let payload: serde_json::Value = serde_json::from_str(
            &std::fs::read_to_string(
                std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                    .join("../../../shared/fixtures/gitlab/system-hooks/project_create.json"),
            )
            .unwrap(),
        )
        .unwrap();
        vigil_server::onboarding::on_system_event(app.store(), instance, &payload).await.unwrap();
        assert_eq!(app.store().queue().counts().await.unwrap().queued, queued, "collapsed");
        let claimed = app.store().queue().claim("w", 60_000, Queue::now_ms()).await.unwrap();
        assert_eq!(claimed.map(|job| job.kind).as_deref(), Some("sync_repositories"));
        vigil_server::onboarding::on_system_event(app.store(), instance, &payload).await.unwrap();
        assert_eq!(
            app.store().queue().counts().await.unwrap().queued,
            queued,
            "{}: queued again",
            app.name
        );
        let other = json!({"event_name": "user_create"});
        vigil_server::onboarding::on_system_event(app.store(), instance, &other).await.unwrap();
        assert_eq!(app.store().queue().counts().await.unwrap().queued, queued);
        app.finish().await;
    }
}

#[tokio::test]
async fn the_advisory_job_is_queued_once_per_interval_across_servers() {
    use vigil_server::scheduler::VulndbSchedule;
    use vigil_server::vulndb::{SyncOptions, VulndbJob};
    for app in TestApp::all().await {
        let job = VulndbJob { sync: Some(SyncOptions::default()), metadata: None };
        let settings = |holder: &str| SchedulerSettings {
            tick: Duration::from_secs(1),
            holder: holder.into(),
            vulndb: Some(VulndbSchedule { interval_ms: 60_000, job: job.clone() }),
            ..SchedulerSettings::default()
        };
        let a = tick(app.store(), &settings("server-a")).await.unwrap();
        assert!(a.leader && a.vulndb, "{}: queued at the first tick", app.name);
        assert!(
            !tick(app.store(), &settings("server-a")).await.unwrap().vulndb,
            "once per interval"
        );
        // Another server taking over the scheduler does not queue it again.
        app.store().release_lease(vigil_server::scheduler::LEASE, "server-a").await.unwrap();
        let b = tick(app.store(), &settings("server-b")).await.unwrap();
        assert!(b.leader && !b.vulndb, "{}: {b:?}", app.name);
        let claimed =
            app.store().queue().claim("w", 60_000, Queue::now_ms()).await.unwrap().unwrap();
        assert_eq!(claimed.kind, "vulndb");
        let payload: VulndbJob = vigil_server::payloads::read(&claimed).unwrap();
        assert_eq!(payload, job);
        app.finish().await;
    }
}

#[tokio::test]
async fn shutdown_releases_jobs_that_did_not_finish() {
    for app in TestApp::all().await {
        let queue = app.store().queue();
        queue
            .enqueue(&NewJob::new("noop", json!({"sleep_ms": 60_000})), Queue::now_ms())
            .await
            .unwrap();
        queue.enqueue(&NewJob::new("noop", json!({})), Queue::now_ms()).await.unwrap();
        let runner = JobRunner::new(app.store().clone(), Arc::new(NoSource));
        let pool = start_pool(&app, runner, 2).await;
        for _ in 0..250 {
            if queue.counts().await.unwrap().succeeded == 1 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        assert_eq!(pool.shutdown().await, 1, "{}", app.name);
        assert_eq!(
            queue.counts().await.unwrap(),
            QueueCounts { queued: 1, running: 0, succeeded: 1, dead: 0 }
        );
        let again = queue.claim("w", 1_000, Queue::now_ms()).await.unwrap().unwrap();
        assert_eq!(again.attempt, 1, "the interrupted attempt is not counted");
        app.finish().await;
    }
}

#[tokio::test]
async fn scans_download_the_branch_from_gitlab() {
    use vigil_server::source::GitLabSource;
    for app in TestApp::all().await {
        let sim = gitlab_sim::Simulator::start().await.unwrap();
        let token = sim.add_user("vigil-bot", false);
        let project =
            sim.add_project("group/app", "main", &[("vigil-bot", gitlab_sim::MAINTAINER)]);
        sim.write_file(project, "deploy/prod.env", "AWS_ACCESS_KEY_ID=AKIAZ5IE4ZYEYRUHWWTV\n");
        sim.write_file(project, "src/main.rs", "fn main() {}\n");
        let instance = crate::new_instance(sim.base_url(), 3600);
        let instance = app.store().create_instance(&instance, Queue::now_ms()).await.unwrap();
        let secret = vigil_store::SecretString::new(token.clone());
        app.store()
            .set_instance_secret(instance.id, "access_token_enc", Some(&secret), Queue::now_ms())
            .await
            .unwrap();
        let repo = app
            .store()
            .upsert_repository(instance.id, project as i64, "group/app", "main", Queue::now_ms())
            .await
            .unwrap();
        let source = GitLabSource::new(app.store().clone(), vigil_gitlab::ArchiveLimits::default());
        let runner = JobRunner::new(app.store().clone(), Arc::new(source));
        let pool = start_pool(&app, runner, 1).await;

        let path = format!("/api/v1/repositories/{}/scans", repo.id);
        let triggered = app.call(Method::POST, &path, &app.member, Some(json!({}))).await;
        let scan = wait_for_scan(&app, triggered.json["scan"]["id"].as_i64().unwrap()).await;
        assert_eq!(
            (scan["status"].as_str(), scan["files_scanned"].as_i64(), scan["new_issues"].as_i64()),
            (Some("succeeded"), Some(2), Some(1)),
            "{scan}"
        );
        let issues = app.get("/api/v1/issues", &app.viewer).await.json;
        assert_eq!(issues["items"][0]["path"], "deploy/prod.env");

        // An archive over the limits fails for good: the same archive would
        // break them again, so it is not downloaded a second time.
        pool.shutdown().await;
        let small = vigil_gitlab::ArchiveLimits {
            max_download_bytes: 100,
            ..vigil_gitlab::ArchiveLimits::default()
        };
        let runner = JobRunner::new(
            app.store().clone(),
            Arc::new(GitLabSource::new(app.store().clone(), small)),
        );
        let limited = start_pool(&app, runner, 1).await;
        let scan = wait_for_scan(&app, trigger_scan(&app, &repo).await).await;
        let errors = scan["errors"].as_str().unwrap();
        assert!(errors.contains("larger than Vigil's limit of 100 bytes"), "{errors}");
        let counts = app.store().queue().counts().await.unwrap();
        assert_eq!(counts.dead, 1, "dead-lettered at its first attempt: {counts:?}");
        let downloads = sim
            .state()
            .requests
            .iter()
            .filter(|request| request.contains("/repository/archive"))
            .count();
        assert_eq!(downloads, 2, "the first scan and one attempt of this one");
        limited.shutdown().await;
        let source = GitLabSource::new(app.store().clone(), vigil_gitlab::ArchiveLimits::default());
        let pool = start_pool(&app, JobRunner::new(app.store().clone(), Arc::new(source)), 1).await;

        // The token is revoked in GitLab: the scan fails and says why.
        sim.state().revoked.push(token.clone());
        let triggered = app.call(Method::POST, &path, &app.member, Some(json!({}))).await;
        let scan = wait_for_scan(&app, triggered.json["scan"]["id"].as_i64().unwrap()).await;
        let errors = scan["errors"].as_str().unwrap();
        assert!(errors.contains("GitLab refused the token (401: invalid_token"), "{errors}");
        assert!(!errors.contains(&token));
        pool.shutdown().await;
        app.finish().await;
    }
}

#[tokio::test]
async fn a_job_no_retry_can_help_fails_once_and_a_waiting_sync_keeps_its_attempts() {
    for app in TestApp::all().await {
        let queue = app.store().queue();
        let now = Queue::now_ms();
        let bad = NewJob::new("scan", json!({"scan": 7})).max_attempts(5);
        let bad = queue.enqueue(&bad, now).await.unwrap().id;
        let unknown = queue.enqueue(&NewJob::new("teleport", json!({})), now).await.unwrap().id;
        // Another sync of the instance holds its lease: this one must wait
        // without using its single attempt.
        let repo = repository(app.store(), 3600).await;
        let lease = format!("sync:{}", repo.instance_id);
        assert!(app.store().acquire_lease(&lease, "job:other", 60_000, now).await.unwrap());
        let sync = vigil_server::payloads::job(&vigil_server::payloads::SyncJob {
            instance_id: repo.instance_id,
        })
        .max_attempts(1);
        let sync = queue.enqueue(&sync, now).await.unwrap().id;

        let runner = JobRunner::new(app.store().clone(), Arc::new(NoSource));
        let pool = start_pool(&app, runner, 2).await;
        let waiting = "another sync of this instance is running; this one runs after it";
        for _ in 0..250 {
            let counts = queue.counts().await.unwrap();
            let waited = queue.last_error(sync).await.unwrap().as_deref() == Some(waiting);
            if counts.dead == 2 && waited {
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        // Long enough for two more waits.
        tokio::time::sleep(Duration::from_millis(2_300)).await;
        pool.shutdown().await;
        assert_eq!(
            queue.last_error(bad).await.unwrap().as_deref(),
            Some("the scan job's payload is invalid: missing field `scan_id`"),
            "{}",
            app.name
        );
        assert_eq!(
            queue.last_error(unknown).await.unwrap().as_deref(),
            Some("no handler for job kind `teleport` in this version of Vigil")
        );
        let counts = queue.counts().await.unwrap();
        assert_eq!((counts.dead, counts.queued), (2, 1), "{}: {counts:?}", app.name);
        assert_eq!(queue.last_error(sync).await.unwrap().as_deref(), Some(waiting));
        let again = queue.claim("w", 1_000, Queue::now_ms() + 5_000).await.unwrap().unwrap();
        assert_eq!((again.id, again.attempt), (sync, 1), "waits are not attempts");
        app.finish().await;
    }
}
