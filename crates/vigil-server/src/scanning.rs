//! Scans as the job modules share them: [`enqueue_scan`] (the one way a
//! scan is requested: API trigger, scheduler, webhooks, onboarding, so
//! every scan has a history row and at most one pending full scan per
//! repository and branch), the [`SourceFetcher`] that brings a
//! repository's files to a worker, and [`scan_source`], which runs the
//! shared scan pipeline ([`vigil_pipeline`]: the repository's `vigil.toml`,
//! `.gitleaks.toml` and `.vigilignore-secrets`, the registry's engines, the
//! server's default policy) over them.

use std::future::Future;
use std::path::PathBuf;
use std::pin::Pin;

use vigil_core::{Diagnostic, Policy};
use vigil_pipeline::{Inputs, Overrides, Plan, RepoFiles, ScanRun, Verdict};
use vigil_scanner::Progress;
use vigil_store::{NewScan, Queue, Repository, Scan, ScanScope, Store, StoreError};

use crate::payloads::{self, JobError, ScanJob};

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
    /// fetching them; `None` reads them from `root`.
    pub config: Option<(RepoFiles, Vec<Diagnostic>)>,
    /// Files of the scan's scope that could not be fetched (too large, say):
    /// diagnostics of the scan, not configuration problems.
    pub skipped: Vec<Diagnostic>,
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
    ) -> BoxFuture<'a, Result<FetchedSource, JobError>>;
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
    ) -> BoxFuture<'a, Result<FetchedSource, JobError>> {
        Box::pin(async move {
            Err(JobError::Permanent(format!(
                "repository {}: no source fetcher is configured for instance {}, so its files cannot be downloaded",
                repository.path, repository.instance_id
            )))
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
        ScanScope::Full => payloads::job(&ScanJob { scan_id: scan.id, paths: None })
            .dedup_key(format!("scan:{}:{branch}", repository.id)),
        ScanScope::Paths(paths) => {
            payloads::job(&ScanJob { scan_id: scan.id, paths: Some(paths.clone()) })
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

/// A scan's results with the policy that judges them.
#[derive(Debug)]
pub(crate) struct Scanned {
    /// Findings, diagnostics (configuration problems first) and counters.
    pub(crate) run: ScanRun,
    /// The repository's policy, over the server's default.
    pub(crate) policy: Policy,
    /// Problems in the repository's configuration files.
    pub(crate) problems: Vec<Diagnostic>,
    /// How the plan judged the engines' findings, to judge a re-match alike.
    pub(crate) verdict: Verdict,
}

impl Scanned {
    /// Files scanned, as the scan row counts them.
    pub(crate) fn files(&self) -> i64 {
        i64::try_from(self.run.stats.files_scanned).unwrap_or(i64::MAX)
    }
}

/// Scans `source` under the server's current default policy and records
/// the results as scan `scan_id` of `scope`: what a scan job and a merge
/// request job both do once they have the files. With `keep_graphs`, the
/// lockfiles' dependency graphs are kept first, with the scan's verdict,
/// to be matched again after each advisory sync (so they are in place by
/// the time the scan reads as finished).
pub(crate) async fn scan_and_record(
    store: &Store,
    scan_id: i64,
    scope: &ScanScope,
    source: FetchedSource,
    keep_graphs: bool,
) -> Result<Scanned, String> {
    let default_policy = crate::policy::current(store).await?;
    let scanned = scan_source(source, default_policy).await?;
    if keep_graphs {
        let verdict = serde_json::to_string(&scanned.verdict)
            .map_err(|error| format!("the scan's verdict: {error}"))?;
        store
            .record_dependency_graphs(
                scan_id,
                scope,
                &scanned.run.artifacts,
                &verdict,
                Queue::now_ms(),
            )
            .await
            .map_err(|error| error.to_string())?;
    }
    store
        .finish_scan(
            scan_id,
            scope,
            &scanned.run.findings,
            scanned.files(),
            &scanned.run.diagnostics,
            Queue::now_ms(),
        )
        .await
        .map_err(|error| error.to_string())?;
    Ok(scanned)
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
        let FetchedSource { root, guard, config, skipped, .. } = source;
        let (files, fetch_problems) = config.unwrap_or_else(|| RepoFiles::read_dir(&root));
        let overrides = Overrides { threads: 1, ..Overrides::default() };
        let plan = Plan::build(&Inputs {
            files: &files,
            overrides: &overrides,
            default_policy: Some(&default_policy),
        })
        .map_err(|error| error.to_string())?;
        let mut run = plan.scan(&root, &Progress::default()).map_err(|error| error.to_string())?;
        drop(guard);
        run.diagnostics.splice(0..0, fetch_problems.iter().cloned());
        run.diagnostics.extend(skipped);
        let mut problems = fetch_problems;
        problems.extend(plan.problems.iter().cloned());
        Ok(Scanned { run, policy: plan.policy.clone(), problems, verdict: plan.verdict() })
    })
    .await
    .map_err(|error| format!("scan task failed: {error}"))?
}
