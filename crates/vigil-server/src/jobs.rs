//! What jobs do. `scan`: fetch the repository's files through the
//! [`SourceFetcher`], run them through the shared scan pipeline
//! ([`vigil_pipeline`]: the repository's `vigil.toml`, `.gitleaks.toml` and
//! `.vigilignore-secrets`, the engines of the registry, the server's default
//! policy), reconcile into issues. `noop`: does
//! nothing (queue benchmarks and tests). [`enqueue_scan`] is the one way a
//! scan is requested (API trigger, scheduler, webhooks), so every scan has
//! a history row and at most one pending full scan per repository+branch.

use std::future::Future;
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::Arc;

use serde_json::json;
use vigil_core::{Diagnostic, Policy};
use vigil_pipeline::{Inputs, Overrides, Plan, RepoFiles, ScanRun};
use vigil_scanner::Progress;
use vigil_store::{
    Claimed, NewJob, NewScan, Queue, Repository, Scan, ScanScope, Store, StoreError,
};

/// The job kind that scans a repository.
pub const SCAN_JOB: &str = "scan";
/// The job kind that does nothing.
pub const NOOP_JOB: &str = "noop";

/// What a fetcher produced: a directory holding the files to scan.
#[derive(Debug)]
pub struct FetchedSource {
    /// Root of the files, with paths as in the repository.
    pub root: PathBuf,
    /// The commit the files are from, when known.
    pub commit_sha: Option<String>,
    /// Keeps a temporary download alive until the scan is done.
    pub guard: Option<tempfile::TempDir>,
    /// The repository's configuration files when `root` holds only some of
    /// its files (a merge request's, a push's), with the problems met
    /// fetching them and the files (files too large, say); `None` reads
    /// them from `root`.
    pub config: Option<(RepoFiles, Vec<Diagnostic>)>,
}

/// A boxed future, for object-safe async traits.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Brings a repository's files to the worker: the GitLab archive or
/// compare API in production (the GitLab integration), a directory in tests.
pub trait SourceFetcher: Send + Sync + std::fmt::Debug {
    /// Fetches `scope` of `branch` of `repository`.
    fn fetch<'a>(
        &'a self,
        repository: &'a Repository,
        branch: &'a str,
        scope: &'a ScanScope,
    ) -> BoxFuture<'a, Result<FetchedSource, String>>;
}

/// The fetcher of a server with no GitLab source configured: every scan
/// fails with a message that says so.
#[derive(Debug, Default)]
pub struct NoSource;

impl SourceFetcher for NoSource {
    fn fetch<'a>(
        &'a self,
        repository: &'a Repository,
        _branch: &'a str,
        _scope: &'a ScanScope,
    ) -> BoxFuture<'a, Result<FetchedSource, String>> {
        Box::pin(async move {
            Err(format!(
                "repository {}: no source fetcher is configured for instance {}, so its files cannot be downloaded",
                repository.path, repository.instance_id
            ))
        })
    }
}

/// Why a scan is requested; decides its priority.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Trigger {
    /// A merge request was opened or updated.
    MergeRequest,
    /// A push to a watched branch.
    Push,
    /// Someone asked for it.
    Manual,
    /// The first scan after onboarding.
    Onboarding,
    /// The periodic full scan.
    Schedule,
}

impl Trigger {
    /// Name stored in the scan history.
    pub fn as_str(self) -> &'static str {
        match self {
            Trigger::MergeRequest => "merge_request",
            Trigger::Push => "push",
            Trigger::Manual => "manual",
            Trigger::Onboarding => "onboarding",
            Trigger::Schedule => "schedule",
        }
    }

    /// Queue priority: merge requests before everything, periodic scans last.
    pub fn priority(self) -> i32 {
        match self {
            Trigger::MergeRequest => 100,
            Trigger::Push | Trigger::Manual => 50,
            Trigger::Onboarding => 10,
            Trigger::Schedule => 0,
        }
    }
}

/// Requests a scan: records it in the history and enqueues its job. A full
/// scan of a repository and branch that is already queued is not queued
/// twice: the pending scan is returned instead.
pub async fn enqueue_scan(
    store: &Store,
    repository: &Repository,
    branch: &str,
    scope: ScanScope,
    trigger: Trigger,
) -> Result<(Scan, bool), StoreError> {
    let now = Queue::now_ms();
    let new = NewScan {
        repository_id: repository.id,
        branch: branch.to_owned(),
        commit_sha: None,
        trigger: trigger.as_str().to_owned(),
        scope: scope.clone(),
    };
    let scan = store.create_scan(&new, now).await?;
    let mut job = match &scope {
        ScanScope::Full => NewJob::new(SCAN_JOB, json!({ "scan_id": scan.id }))
            .dedup_key(format!("scan:{}:{branch}", repository.id)),
        ScanScope::Paths(paths) => {
            NewJob::new(SCAN_JOB, json!({ "scan_id": scan.id, "paths": paths }))
        }
    };
    job = job.priority(trigger.priority());
    let enqueued = store.queue().enqueue(&job, now).await?;
    if enqueued.deduplicated {
        store.delete_scan(scan.id).await?;
        if let Some(pending) = store.scan_by_job(enqueued.id).await? {
            return Ok((pending, true));
        }
    }
    store.set_scan_job(scan.id, enqueued.id).await?;
    Ok((Scan { job_id: Some(enqueued.id), ..scan }, false))
}

/// The files a push touched, or a full scan when the payload cannot say:
/// GitLab lists only the newest 20 commits (`total_commits_count` tells).
pub fn push_scope(payload: &serde_json::Value) -> ScanScope {
    let commits = payload.get("commits").and_then(serde_json::Value::as_array);
    let total = payload.get("total_commits_count").and_then(serde_json::Value::as_u64);
    let Some(commits) = commits else { return ScanScope::Full };
    if total.is_none_or(|total| total as usize > commits.len()) {
        return ScanScope::Full;
    }
    let mut paths: Vec<String> = commits
        .iter()
        .flat_map(|commit| ["added", "modified", "removed"].map(|key| commit.get(key)))
        .flatten()
        .filter_map(serde_json::Value::as_array)
        .flatten()
        .filter_map(|path| path.as_str().map(str::to_owned))
        .collect();
    paths.sort();
    paths.dedup();
    ScanScope::Paths(paths)
}

/// The paths a push changed between its `before` and `after` commits, from
/// GitLab's compare API; `None` for a new branch, a compare GitLab gave up
/// on, or any error (logged).
async fn compare_push(
    store: &Store,
    repository: &Repository,
    payload: &serde_json::Value,
) -> Option<Vec<String>> {
    let text = |key: &str| payload.get(key).and_then(serde_json::Value::as_str);
    let (before, after) = (text("before")?, text("after")?);
    if before.bytes().all(|byte| byte == b'0') {
        return None;
    }
    let project = crate::gitlab::project_id(repository).ok()?;
    let result = async {
        let client = crate::gitlab::repository_client(store, repository).await?;
        client.compare(project, before, after).await.map_err(|error| crate::gitlab::reason(&error))
    }
    .await;
    match result {
        Ok(compare) if !compare.compare_timeout => {
            let mut paths: Vec<String> = compare
                .diffs
                .iter()
                .flat_map(|diff| [diff.old_path.clone(), diff.new_path.clone()])
                .collect();
            paths.sort();
            paths.dedup();
            Some(paths)
        }
        Ok(_) => None,
        Err(error) => {
            tracing::warn!(repository = %repository.path, %error, "compare failed; scanning the whole branch");
            None
        }
    }
}

/// Runs jobs of every kind this server knows.
#[derive(Debug, Clone)]
pub struct JobRunner {
    store: Store,
    fetcher: Arc<dyn SourceFetcher>,
    public_url: Option<String>,
}

impl JobRunner {
    /// A runner over `store` fetching sources with `fetcher`.
    pub fn new(store: Store, fetcher: Arc<dyn SourceFetcher>) -> JobRunner {
        JobRunner { store, fetcher, public_url: None }
    }

    /// Sets the URL GitLab reaches this server at, for the hooks that
    /// repository syncs install.
    pub fn with_public_url(mut self, public_url: Option<String>) -> JobRunner {
        self.public_url = public_url;
        self
    }

    /// Runs one claimed job; the error becomes the job's last error.
    pub async fn run(&self, job: &Claimed) -> Result<(), String> {
        match job.kind.as_str() {
            NOOP_JOB => {
                let sleep_ms =
                    job.payload.get("sleep_ms").and_then(serde_json::Value::as_u64).unwrap_or(0);
                if sleep_ms > 0 {
                    tokio::time::sleep(std::time::Duration::from_millis(sleep_ms)).await;
                }
                Ok(())
            }
            SCAN_JOB => self.run_scan(job).await,
            crate::merge_requests::MR_SCAN_JOB => {
                crate::merge_requests::run(&self.store, self.public_url.as_deref(), job).await
            }
            crate::hooks::WEBHOOK_JOB => self.run_webhook(job).await,
            crate::onboarding::SYNC_JOB => {
                let instance = job
                    .payload
                    .get("instance_id")
                    .and_then(serde_json::Value::as_i64)
                    .ok_or("no instance_id")?;
                let report = crate::onboarding::sync_job(
                    &self.store,
                    self.public_url.as_deref(),
                    instance,
                    job.id,
                )
                .await?;
                tracing::info!(instance, ?report, "repositories synced");
                Ok(())
            }
            crate::onboarding::DELETE_JOB => {
                let instance = job
                    .payload
                    .get("instance_id")
                    .and_then(serde_json::Value::as_i64)
                    .ok_or("no instance_id")?;
                crate::onboarding::delete_instance(&self.store, instance).await
            }
            other => Err(format!("no handler for job kind `{other}`")),
        }
    }

    /// Acts on a stored webhook event. A push to a repository's default
    /// branch scans the files it touched (all files when GitLab truncated
    /// the commit list); merge-request events go to
    /// [`merge_requests`](crate::merge_requests); notes are ignored (Vigil's
    /// own comments fire them); a system hook's `project_create` queues a
    /// sync of instances that take future projects.
    async fn run_webhook(&self, job: &Claimed) -> Result<(), String> {
        let store_error = |error: StoreError| error.to_string();
        let event_id =
            job.payload.get("event_id").and_then(serde_json::Value::as_i64).ok_or("no event_id")?;
        let Some(event) = self.store.webhook_event(event_id).await.map_err(store_error)? else {
            return Ok(());
        };
        if event.processed_at.is_some() {
            return Ok(());
        }
        let payload: serde_json::Value = serde_json::from_str(&event.payload)
            .map_err(|error| format!("event {event_id}: {error}"))?;
        match event.kind.as_str() {
            "push" => self.on_push(event.instance_id, &payload).await?,
            "merge_request" => {
                crate::merge_requests::on_event(&self.store, event.instance_id, &payload).await?
            }
            "system" => {
                crate::onboarding::on_system_event(&self.store, event.instance_id, &payload).await?
            }
            "note" => {}
            _ => return Ok(()),
        }
        self.store.mark_webhook_processed(event_id, Queue::now_ms()).await.map_err(store_error)
    }

    async fn on_push(&self, instance_id: i64, payload: &serde_json::Value) -> Result<(), String> {
        let Some(project_id) = payload.get("project_id").and_then(serde_json::Value::as_i64) else {
            return Ok(());
        };
        let repository = self
            .store
            .repository_by_project(instance_id, project_id)
            .await
            .map_err(|error| error.to_string())?;
        let Some(repository) = repository.filter(|repository| repository.selected) else {
            return Ok(());
        };
        let branch = payload
            .get("ref")
            .and_then(serde_json::Value::as_str)
            .and_then(|name| name.strip_prefix("refs/heads/"));
        if branch != Some(repository.default_branch.as_str()) {
            return Ok(());
        }
        let mut scope = push_scope(payload);
        if scope == ScanScope::Full {
            // GitLab listed only the newest 20 commits: the compare API says
            // what the whole push changed; a full scan when it cannot.
            if let Some(paths) = compare_push(&self.store, &repository, payload).await {
                scope = ScanScope::Paths(paths);
            }
        }
        let branch = repository.default_branch.clone();
        enqueue_scan(&self.store, &repository, &branch, scope, Trigger::Push)
            .await
            .map_err(|error| error.to_string())?;
        Ok(())
    }

    async fn run_scan(&self, job: &Claimed) -> Result<(), String> {
        let scan_id = job
            .payload
            .get("scan_id")
            .and_then(serde_json::Value::as_i64)
            .ok_or_else(|| format!("scan job {} has no scan_id in its payload", job.id))?;
        let store_error = |error: StoreError| error.to_string();
        // The scan (or its repository) was deleted meanwhile: nothing to do.
        let Some(scan) = self.store.scan(scan_id).await.map_err(store_error)? else {
            return Ok(());
        };
        let Some(repository) =
            self.store.repository(scan.repository_id).await.map_err(store_error)?
        else {
            return Ok(());
        };
        self.store.start_scan(scan_id, Queue::now_ms()).await.map_err(store_error)?;
        let scope = match job.payload.get("paths").and_then(serde_json::Value::as_array) {
            Some(paths) => ScanScope::Paths(
                paths.iter().filter_map(|path| path.as_str().map(str::to_owned)).collect(),
            ),
            None => ScanScope::Full,
        };
        let result = async {
            let source = self.fetcher.fetch(&repository, &scan.branch, &scope).await?;
            let default_policy = crate::policy::current(&self.store).await?;
            let scanned = scan_source(source, default_policy).await?;
            let files = i64::try_from(scanned.run.stats.files_scanned).unwrap_or(i64::MAX);
            self.store
                .finish_scan(
                    scan_id,
                    &scope,
                    &scanned.run.findings,
                    files,
                    &scanned.run.diagnostics,
                    Queue::now_ms(),
                )
                .await
                .map_err(store_error)?;
            Ok::<(), String>(())
        }
        .await;
        if let Err(error) = &result {
            let message = format!("attempt {}: {error}", job.attempt);
            self.store.fail_scan(scan_id, &message, Queue::now_ms()).await.map_err(store_error)?;
        }
        result
    }
}

/// A scan's results with the policy that judges them.
#[derive(Debug)]
pub(crate) struct Scanned {
    /// Findings, diagnostics (configuration problems first) and counters.
    pub(crate) run: ScanRun,
    /// The repository's policy, over the server's default.
    pub(crate) policy: Policy,
    /// Problems in the repository's configuration files.
    pub(crate) problems: Vec<Diagnostic>,
}

/// Runs the scan pipeline over a fetched source on a blocking thread, with
/// the repository's configuration files and the server's `default_policy`.
/// A problem in the repository's files never fails the scan: that setting
/// keeps its default and the problem is a diagnostic.
pub(crate) async fn scan_source(
    source: FetchedSource,
    default_policy: Policy,
) -> Result<Scanned, String> {
    tokio::task::spawn_blocking(move || {
        let (files, fetch_problems) =
            source.config.clone().unwrap_or_else(|| RepoFiles::read_dir(&source.root));
        let overrides = Overrides { threads: 1, ..Overrides::default() };
        let plan = Plan::build(&Inputs {
            files: &files,
            overrides: &overrides,
            default_policy: Some(&default_policy),
        })
        .map_err(|error| error.to_string())?;
        let mut run =
            plan.scan(&source.root, &Progress::default()).map_err(|error| error.to_string())?;
        drop(source.guard);
        run.diagnostics.splice(0..0, fetch_problems.iter().cloned());
        let mut problems = fetch_problems;
        problems.extend(plan.problems.iter().cloned());
        Ok(Scanned { run, policy: plan.policy.clone(), problems })
    })
    .await
    .map_err(|error| format!("scan task failed: {error}"))?
}
