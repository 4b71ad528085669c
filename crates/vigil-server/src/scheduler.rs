//! The scheduler: every tick, the server holding the `scheduler` lease row
//! enqueues the periodic full scans that are due and ends expired
//! suppressions (their issues reopen), queues discovery syncs of instances
//! that take future projects, queues the daily advisory sync and re-match
//! ([`crate::vulndb`]), and purges succeeded jobs older than
//! a week. Any number of servers run it; the
//! lease in the database makes exactly one of them act.

use std::time::Duration;

use tokio::sync::watch;
use tokio::task::JoinHandle;
use vigil_store::{Queue, ScanScope, Store, StoreError};

use crate::payloads;
use crate::scanning::{Trigger, enqueue_scan};
use crate::vulndb::VulndbJob;

/// The lease row's name.
pub const LEASE: &str = "scheduler";

/// The lease row that spaces the advisory jobs.
pub const VULNDB_LEASE: &str = "vulndb";

/// How long succeeded jobs stay in the queue table (7 days); dead jobs
/// stay until deleted by hand, with their last error.
pub const JOB_RETENTION_MS: i64 = 7 * 24 * 3_600_000;

/// How the scheduler runs.
#[derive(Debug, Clone)]
pub struct SchedulerSettings {
    /// Time between ticks.
    pub tick: Duration,
    /// This process's name in the lease row.
    pub holder: String,
    /// Time between discovery syncs of instances that take future projects.
    pub discovery_interval_ms: i64,
    /// The advisory job queued every `interval_ms` (the first at start);
    /// `None`: never.
    pub vulndb: Option<VulndbSchedule>,
}

/// When and how the advisory store is kept current.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VulndbSchedule {
    /// Time between two jobs (a day by default).
    pub interval_ms: i64,
    /// What each job does.
    pub job: VulndbJob,
}

impl Default for SchedulerSettings {
    fn default() -> Self {
        SchedulerSettings {
            tick: Duration::from_secs(10),
            holder: format!("server-{}", std::process::id()),
            discovery_interval_ms: crate::onboarding::DISCOVERY_INTERVAL_MS,
            vulndb: None,
        }
    }
}

/// What one tick did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TickReport {
    /// Whether this process held the lease.
    pub leader: bool,
    /// Scans enqueued.
    pub scans: usize,
    /// Suppressions ended.
    pub expired_suppressions: u64,
    /// Syncs queued to discover new projects.
    pub discovery_syncs: usize,
    /// Whether the advisory job was queued.
    pub vulndb: bool,
    /// Succeeded jobs older than [`JOB_RETENTION_MS`] deleted.
    pub purged_jobs: u64,
}

/// A running scheduler.
#[derive(Debug)]
pub struct Scheduler {
    shutdown: watch::Sender<bool>,
    task: JoinHandle<()>,
}

/// One tick: take the lease (renewing it) and, if held, do the work.
pub async fn tick(store: &Store, settings: &SchedulerSettings) -> Result<TickReport, StoreError> {
    let now = Queue::now_ms();
    // The lease outlives three ticks so that one slow tick does not hand
    // the scheduler to another server in the middle of its work.
    let ttl = i64::try_from(settings.tick.as_millis()).unwrap_or(i64::MAX / 4).saturating_mul(3);
    if !store.acquire_lease(LEASE, &settings.holder, ttl, now).await? {
        return Ok(TickReport::default());
    }
    let mut report = TickReport { leader: true, ..TickReport::default() };
    for (repository_id, branch) in store.take_due_repositories(now, 500).await? {
        let Some(repository) = store.repository(repository_id).await? else { continue };
        enqueue_scan(store, &repository, &branch, ScanScope::Full, Trigger::Schedule).await?;
        report.scans += 1;
    }
    // "All existing and future": a sync now and then finds new projects
    // (a lease row per instance marks when the next one is due).
    for instance in store.instances().await? {
        if instance.selection == "all_and_future"
            && store
                .acquire_lease(
                    &format!("discover:{}", instance.id),
                    // A new holder each time: the row is taken only once it expired.
                    &crate::auth::random_token(),
                    settings.discovery_interval_ms,
                    now,
                )
                .await?
        {
            crate::onboarding::enqueue_sync(store, instance.id).await?;
            report.discovery_syncs += 1;
        }
    }
    // One advisory job per interval across every server: the lease row
    // (a new holder each time) is taken only once the last one expired.
    if let Some(schedule) = &settings.vulndb {
        if store
            .acquire_lease(VULNDB_LEASE, &crate::auth::random_token(), schedule.interval_ms, now)
            .await?
        {
            let job = payloads::job(&schedule.job).dedup_key(VULNDB_LEASE);
            store.queue().enqueue(&job, now).await?;
            report.vulndb = true;
        }
    }
    report.expired_suppressions = store.expire_suppressions(now).await?;
    report.purged_jobs = store.queue().purge_succeeded(now - JOB_RETENTION_MS, 10_000).await?;
    Ok(report)
}

impl Scheduler {
    /// Starts ticking.
    pub fn start(store: Store, settings: SchedulerSettings) -> Scheduler {
        let (shutdown, mut stop) = watch::channel(false);
        let task = tokio::spawn(async move {
            loop {
                match tick(&store, &settings).await {
                    Ok(report)
                        if report.scans > 0
                            || report.expired_suppressions > 0
                            || report.purged_jobs > 0
                            || report.discovery_syncs > 0
                            || report.vulndb =>
                    {
                        tracing::info!(
                            scans = report.scans,
                            expired_suppressions = report.expired_suppressions,
                            purged_jobs = report.purged_jobs,
                            discovery_syncs = report.discovery_syncs,
                            vulndb = report.vulndb,
                            "scheduler tick"
                        );
                    }
                    Ok(_) => {}
                    Err(error) => {
                        tracing::warn!(%error, "scheduler tick failed; retrying next tick")
                    }
                }
                tokio::select! {
                    _ = tokio::time::sleep(settings.tick) => {}
                    _ = stop.changed() => break,
                }
            }
            if let Err(error) = store.release_lease(LEASE, &settings.holder).await {
                tracing::warn!(%error, "cannot release the scheduler lease; it expires by itself");
            }
        });
        Scheduler { shutdown, task }
    }

    /// Stops after the current tick and gives the lease up.
    pub async fn shutdown(self) {
        let _ = self.shutdown.send(true);
        let _ = self.task.await;
    }
}
