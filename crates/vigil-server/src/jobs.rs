//! What a server process does with a claimed job: [`JobRunner`] reads the
//! job's typed payload ([`crate::payloads`]) and hands it to the module
//! that owns the work: `scan` here (fetch through the [`SourceFetcher`],
//! run the shared scan pipeline, reconcile into issues), `mr_scan` to
//! [`merge_requests`](crate::merge_requests), `webhook` here (push events)
//! and to `merge_requests` and `onboarding`, `sync_repositories` and
//! `delete_instance` to [`onboarding`](crate::onboarding), `vulndb` to
//! [`vulndb`](crate::vulndb), `noop` (queue benchmarks and tests).
//!
//! **Architecture invariant:** this is the top of the job modules; none of
//! them imports it. Scans are requested and run through
//! [`crate::scanning`], which they all share.

use std::sync::Arc;

use vigil_store::{Claimed, Queue, Repository, ScanScope, Store, StoreError};

use crate::payloads::{
    self, DeleteInstanceJob, JobError, JobPayload, MergeRequestScanJob, NoopJob, ScanJob, SyncJob,
    WebhookJob,
};
use crate::scanning::scan_and_record;
pub use crate::scanning::{
    BoxFuture, FetchedSource, NoSource, SourceFetcher, Trigger, enqueue_scan, push_scope,
};
use crate::vulndb::VulndbJob;

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

/// The scan history row a job writes, for the job kinds that have one.
fn scan_of(job: &Claimed) -> Option<i64> {
    match job.kind.as_str() {
        ScanJob::KIND => payloads::read::<ScanJob>(job).ok().map(|scan| scan.scan_id),
        MergeRequestScanJob::KIND => {
            payloads::read::<MergeRequestScanJob>(job).ok().map(|scan| scan.scan_id)
        }
        _ => None,
    }
}

/// Runs jobs of every kind this server knows.
#[derive(Debug, Clone)]
pub struct JobRunner {
    store: Store,
    fetcher: Arc<dyn SourceFetcher>,
    public_url: Option<String>,
    max_run: std::time::Duration,
    data_dir: Option<std::path::PathBuf>,
}

/// The longest a job may run by default (`--max-job-seconds`).
pub const DEFAULT_MAX_RUN: std::time::Duration = std::time::Duration::from_secs(1800);

impl JobRunner {
    /// A runner over `store` fetching sources with `fetcher`.
    pub fn new(store: Store, fetcher: Arc<dyn SourceFetcher>) -> JobRunner {
        JobRunner { store, fetcher, public_url: None, max_run: DEFAULT_MAX_RUN, data_dir: None }
    }

    /// Sets the longest a job may run: past it the job is stopped, its
    /// scan failed, and the attempt counts as failed (retried with backoff,
    /// then dead-lettered), so a hostile repository cannot hold a worker.
    pub fn with_max_run(mut self, max_run: std::time::Duration) -> JobRunner {
        self.max_run = max_run;
        self
    }

    /// Sets the data directory, whose advisory store `vulndb` jobs keep
    /// current ([`crate::vulndb`]).
    pub fn with_data_dir(mut self, data_dir: std::path::PathBuf) -> JobRunner {
        self.data_dir = Some(data_dir);
        self
    }

    /// Sets the URL GitLab reaches this server at, for the hooks that
    /// repository syncs install.
    pub fn with_public_url(mut self, public_url: Option<String>) -> JobRunner {
        self.public_url = public_url;
        self
    }

    /// Runs one claimed job, within the maximum run time; the error says
    /// whether another attempt can help, and becomes the job's last error.
    pub async fn run(&self, job: &Claimed) -> Result<(), JobError> {
        match tokio::time::timeout(self.max_run, self.dispatch(job)).await {
            Ok(Err(JobError::Retry(message))) => Err(self.unless_disconnected(job, message).await),
            Ok(result) => result,
            Err(_) => {
                let message = format!(
                    "stopped after the maximum run time of {} s (--max-job-seconds)",
                    self.max_run.as_secs_f64()
                );
                if let Some(scan_id) = scan_of(job) {
                    let failed = format!("attempt {}: {message}", job.attempt);
                    if let Err(error) =
                        self.store.fail_scan(scan_id, &failed, Queue::now_ms()).await
                    {
                        tracing::error!(%error, scan = scan_id, "cannot record the stopped scan");
                    }
                }
                Err(JobError::Retry(message))
            }
        }
    }

    /// A failed attempt of a job whose instance lost its authorisation is
    /// no failure of the job: no retry can succeed until someone connects
    /// the instance again, so the job waits for that (a reconnect wakes
    /// it) instead of spending its attempts and being dead-lettered.
    async fn unless_disconnected(&self, job: &Claimed, message: String) -> JobError {
        let Some(instance_id) = self.instance_of(job).await else {
            return JobError::Retry(message);
        };
        match crate::gitlab::awaits_reconnect(&self.store, instance_id).await {
            Ok(true) => JobError::Wait {
                reason: format!("{}: {message}", crate::gitlab::reconnect_marker(instance_id)),
                after_ms: crate::gitlab::RECONNECT_WAIT_MS,
            },
            Ok(false) => JobError::Retry(message),
            Err(error) => JobError::Retry(format!("{message} (and the store failed: {error})")),
        }
    }

    /// The instance a job works on, for the jobs that call its GitLab
    /// (deleting an instance never waits for it).
    async fn instance_of(&self, job: &Claimed) -> Option<i64> {
        if job.kind == SyncJob::KIND {
            return payloads::read::<SyncJob>(job).ok().map(|sync| sync.instance_id);
        }
        let scan = self.store.scan(scan_of(job)?).await.ok()??;
        let repository = self.store.repository(scan.repository_id).await.ok()??;
        Some(repository.instance_id)
    }

    async fn dispatch(&self, job: &Claimed) -> Result<(), JobError> {
        let public_url = self.public_url.as_deref();
        match job.kind.as_str() {
            NoopJob::KIND => {
                let noop: NoopJob = payloads::read(job)?;
                if noop.sleep_ms > 0 {
                    tokio::time::sleep(std::time::Duration::from_millis(noop.sleep_ms)).await;
                }
                Ok(())
            }
            ScanJob::KIND => self.run_scan(job, payloads::read(job)?).await,
            MergeRequestScanJob::KIND => {
                crate::merge_requests::run(&self.store, public_url, job, payloads::read(job)?).await
            }
            WebhookJob::KIND => {
                self.run_webhook(payloads::read(job)?).await.map_err(JobError::from)
            }
            SyncJob::KIND => {
                let sync: SyncJob = payloads::read(job)?;
                let report =
                    crate::onboarding::sync_job(&self.store, public_url, sync.instance_id, job.id)
                        .await?;
                tracing::info!(instance = sync.instance_id, ?report, "repositories synced");
                Ok(())
            }
            VulndbJob::KIND => {
                let Some(data_dir) = &self.data_dir else {
                    return Err(JobError::Permanent(
                        "this server has no data directory, so it keeps no advisory store".into(),
                    ));
                };
                crate::vulndb::run_job(&self.store, data_dir, &payloads::read(job)?).await
            }
            DeleteInstanceJob::KIND => {
                let delete: DeleteInstanceJob = payloads::read(job)?;
                Ok(crate::onboarding::delete_instance(&self.store, delete.instance_id).await?)
            }
            other => Err(JobError::Permanent(format!(
                "no handler for job kind `{other}` in this version of Vigil"
            ))),
        }
    }

    /// Acts on a stored webhook event. A push to a repository's default
    /// branch scans the files it touched (all files when GitLab truncated
    /// the commit list); merge-request events go to
    /// [`merge_requests`](crate::merge_requests); notes are ignored (Vigil's
    /// own comments fire them); a system hook's `project_create` queues a
    /// sync of instances that take future projects.
    async fn run_webhook(&self, webhook: WebhookJob) -> Result<(), String> {
        let store_error = |error: StoreError| error.to_string();
        let event_id = webhook.event_id;
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

    async fn run_scan(&self, job: &Claimed, payload: ScanJob) -> Result<(), JobError> {
        let scan_id = payload.scan_id;
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
        let scope = payload.paths.map_or(ScanScope::Full, ScanScope::Paths);
        let result = async {
            let source = self.fetcher.fetch(&repository, &scan.branch, &scope).await?;
            scan_and_record(&self.store, scan_id, &scope, source, true).await?;
            Ok::<(), JobError>(())
        }
        .await;
        // A scan that waits (GitLab's rate limit) is not a failed scan: it
        // runs again when the queue hands its job back.
        if let Some(error) =
            result.as_ref().err().filter(|error| !matches!(error, JobError::Wait { .. }))
        {
            let message = format!("attempt {}: {error}", job.attempt);
            self.store.fail_scan(scan_id, &message, Queue::now_ms()).await.map_err(store_error)?;
        }
        result
    }
}
