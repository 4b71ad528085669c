//! The worker pool: N tasks that claim jobs (one at a time, or in batches)
//! under a lease, keep the leases alive with one heartbeat per worker,
//! record successes together and failures one by one
//! (with backoff and dead-lettering in the store), and on shutdown stop
//! claiming, let running jobs finish within a grace period and release the
//! rest so another worker takes them at once.
//!
//! Idle workers wake on PostgreSQL `NOTIFY`, on this process's own
//! enqueues, or after the poll interval, whichever comes first.

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::{Notify, watch};
use tokio::task::JoinSet;
use vigil_store::{Claimed, Queue, RetryPolicy, Store};

use crate::Metrics;
use crate::jobs::JobRunner;
use crate::payloads::JobError;

/// How often a pool dead-letters jobs whose lease expired on the last attempt.
const SWEEP_EVERY: Duration = Duration::from_secs(1);

/// How the pool runs.
#[derive(Debug, Clone)]
pub struct WorkerSettings {
    /// Concurrent jobs.
    pub workers: usize,
    /// Lease length, ms; heartbeats renew it every third of it.
    pub lease_ms: i64,
    /// Longest idle sleep between claim attempts, ms.
    pub poll_ms: u64,
    /// Jobs claimed at once (1: one at a time). A batch saves statements
    /// on short jobs; its jobs wait their turn under this worker's lease.
    pub claim_batch: usize,
    /// Backoff between attempts.
    pub retry: RetryPolicy,
    /// Time running jobs get to finish on shutdown.
    pub grace: Duration,
    /// Prefix of worker ids (`host:pid`), for `locked_by`.
    pub name: String,
}

impl Default for WorkerSettings {
    fn default() -> Self {
        WorkerSettings {
            workers: 2,
            lease_ms: 60_000,
            poll_ms: 1_000,
            claim_batch: 1,
            retry: RetryPolicy::default(),
            grace: Duration::from_secs(30),
            name: format!("worker-{}", std::process::id()),
        }
    }
}

/// A running pool.
#[derive(Debug)]
pub struct WorkerPool {
    shutdown: watch::Sender<bool>,
    tasks: JoinSet<()>,
    store: Store,
    settings: WorkerSettings,
}

impl WorkerPool {
    /// Starts `settings.workers` workers.
    pub async fn start(
        store: Store,
        runner: JobRunner,
        settings: WorkerSettings,
        wakeup: Arc<Notify>,
        metrics: Arc<Metrics>,
    ) -> WorkerPool {
        let (shutdown, shutdown_rx) = watch::channel(false);
        let mut tasks = JoinSet::new();
        match store.listen_jobs().await {
            Ok(Some(mut listener)) => {
                let wakeup = Arc::clone(&wakeup);
                let mut stop = shutdown_rx.clone();
                tasks.spawn(async move {
                    loop {
                        tokio::select! {
                            received = listener.recv() => match received {
                                Ok(()) => wakeup.notify_waiters(),
                                Err(error) => {
                                    tracing::warn!(%error, "job notifications interrupted; polling meanwhile");
                                    tokio::time::sleep(Duration::from_secs(1)).await;
                                }
                            },
                            _ = stop.changed() => return,
                        }
                    }
                });
            }
            Ok(None) => {}
            Err(error) => tracing::warn!(%error, "cannot LISTEN for jobs; workers will poll"),
        }
        {
            // Jobs whose worker died on their last attempt: dead-lettered
            // here, once a second, instead of on every claim.
            let store = store.clone();
            let mut stop = shutdown_rx.clone();
            tasks.spawn(async move {
                loop {
                    match store.queue().sweep(Queue::now_ms()).await {
                        Ok(0) => {}
                        Ok(dead) => tracing::warn!(
                            dead,
                            "jobs dead-lettered: their worker was lost on the last attempt"
                        ),
                        Err(error) => tracing::warn!(%error, "cannot sweep expired leases"),
                    }
                    tokio::select! {
                        _ = tokio::time::sleep(SWEEP_EVERY) => {}
                        _ = stop.changed() => return,
                    }
                }
            });
        }
        for index in 0..settings.workers.max(1) {
            let worker = Worker {
                id: format!("{}-{index}", settings.name),
                store: store.clone(),
                runner: runner.clone(),
                settings: settings.clone(),
                wakeup: Arc::clone(&wakeup),
                metrics: Arc::clone(&metrics),
            };
            tasks.spawn(worker.run(shutdown_rx.clone()));
        }
        WorkerPool { shutdown, tasks, store, settings }
    }

    /// Stops claiming, waits up to the grace period for running jobs, then
    /// releases what is still held. Returns the number of jobs released.
    pub async fn shutdown(mut self) -> u64 {
        let _ = self.shutdown.send(true);
        let drained = tokio::time::timeout(self.settings.grace, async {
            while self.tasks.join_next().await.is_some() {}
        })
        .await;
        if drained.is_err() {
            self.tasks.abort_all();
            while self.tasks.join_next().await.is_some() {}
        }
        let mut released = 0;
        for index in 0..self.settings.workers.max(1) {
            let id = format!("{}-{index}", self.settings.name);
            match self.store.queue().release_all(&id, Queue::now_ms()).await {
                Ok(count) => released += count,
                Err(error) => {
                    tracing::error!(%error, worker = %id, "cannot release jobs; they return when the lease ends")
                }
            }
        }
        released
    }
}

struct Worker {
    id: String,
    store: Store,
    runner: JobRunner,
    settings: WorkerSettings,
    wakeup: Arc<Notify>,
    metrics: Arc<Metrics>,
}

/// A job that ran to success and whose completion is not recorded yet: the
/// worker records its batch's successes together before the next claim.
struct Finished {
    job: Claimed,
    run: Duration,
    wait_seconds: f64,
    finished_ms: i64,
}

impl Worker {
    async fn run(self, mut shutdown: watch::Receiver<bool>) {
        let poll = Duration::from_millis(self.settings.poll_ms);
        let queue = self.store.queue();
        let batch = i64::try_from(self.settings.claim_batch.max(1)).unwrap_or(1);
        // One heartbeat renews every job this worker holds: the running one
        // and those waiting their turn in a claimed batch.
        let heartbeat = {
            let (store, worker, lease) =
                (self.store.clone(), self.id.clone(), self.settings.lease_ms);
            tokio::spawn(async move {
                let every =
                    Duration::from_millis(u64::try_from(lease / 3).unwrap_or(1_000).max(100));
                loop {
                    tokio::time::sleep(every).await;
                    if let Err(error) =
                        store.queue().heartbeat_all(&worker, lease, Queue::now_ms()).await
                    {
                        tracing::warn!(%error, %worker, "heartbeat failed");
                    }
                }
            })
        };
        let mut held: VecDeque<Claimed> = VecDeque::new();
        let mut done: Vec<Finished> = Vec::new();
        loop {
            let stopping = *shutdown.borrow();
            if !(held.is_empty() || stopping) {
                if let Some(job) = held.pop_front() {
                    if let Some(finished) = self.execute(job).await {
                        done.push(finished);
                    }
                }
                continue;
            }
            // Successes are recorded together, then the next batch claimed
            // (jobs still held at shutdown are released by the pool).
            self.record_successes(&mut done).await;
            if stopping {
                break;
            }
            let claim_started = Instant::now();
            match queue.claim_batch(&self.id, self.settings.lease_ms, Queue::now_ms(), batch).await
            {
                Ok(claimed) if !claimed.is_empty() => {
                    self.metrics.claim_took(claim_started.elapsed());
                    held.extend(claimed);
                }
                Ok(_) => {
                    tokio::select! {
                        _ = self.wakeup.notified() => {}
                        _ = tokio::time::sleep(poll) => {}
                        _ = shutdown.changed() => {}
                    }
                }
                Err(error) => {
                    tracing::warn!(%error, worker = %self.id, "cannot claim a job");
                    tokio::select! {
                        _ = tokio::time::sleep(poll) => {}
                        _ = shutdown.changed() => {}
                    }
                }
            }
        }
        heartbeat.abort();
    }

    /// Marks the finished jobs succeeded in one statement and logs each.
    async fn record_successes(&self, done: &mut Vec<Finished>) {
        if done.is_empty() {
            return;
        }
        let ids: Vec<i64> = done.iter().map(|finished| finished.job.id).collect();
        match self.store.queue().complete_many(&ids, &self.id, Queue::now_ms()).await {
            Ok(completed) => {
                for finished in done.drain(..) {
                    let held = completed.contains(&finished.job.id);
                    self.record(&finished, if held { "succeeded" } else { "lease_lost" });
                }
            }
            Err(error) => {
                tracing::error!(%error, jobs = ids.len(), "cannot record completion; the jobs will run again");
                for finished in done.drain(..) {
                    self.record(&finished, "store_error");
                }
            }
        }
    }

    /// Runs a job. A success is returned for the caller to record with the
    /// others of its batch; a failure is recorded here.
    async fn execute(&self, job: Claimed) -> Option<Finished> {
        tracing::debug!(job = job.id, attempt = job.attempt, worker = %self.id, started_ms = Queue::now_ms(), "job claimed");
        let started = Instant::now();
        let wait_seconds = (Queue::now_ms() - job.runnable_since) as f64 / 1000.0;
        let result = self.runner.run(&job).await;
        let finished =
            Finished { job, run: started.elapsed(), wait_seconds, finished_ms: Queue::now_ms() };
        let error = match result {
            Ok(()) => return Some(finished),
            Err(error) => error,
        };
        let job = &finished.job;
        let (queue, now) = (self.store.queue(), finished.finished_ms);
        let recorded = match &error {
            JobError::Retry(message) => {
                tracing::warn!(job = job.id, kind = %job.kind, attempt = job.attempt, error = %message, "job failed");
                queue.fail(job.id, &self.id, message, &self.settings.retry, now).await.map(
                    |state| match state {
                        Some(vigil_store::JobState::Dead) => "dead",
                        _ => "retry",
                    },
                )
            }
            JobError::Permanent(message) => {
                tracing::warn!(job = job.id, kind = %job.kind, error = %message, "job failed for good: no retry can help");
                queue.give_up(job.id, &self.id, message, now).await.map(|_| "dead")
            }
            JobError::Wait { reason, after_ms } => {
                tracing::debug!(job = job.id, kind = %job.kind, %reason, "job waits");
                queue.defer(job.id, &self.id, reason, now + after_ms, now).await.map(|_| "waiting")
            }
        };
        let outcome = recorded.unwrap_or_else(|store_error| {
            tracing::error!(error = %store_error, job = job.id, "cannot record the job's outcome");
            "store_error"
        });
        self.record(&finished, outcome);
        None
    }

    /// Metrics and one log line per job run: with JSON logs, enough to
    /// audit that no job ever ran twice at the same time (the reliability
    /// tests do).
    fn record(&self, finished: &Finished, outcome: &'static str) {
        let job = &finished.job;
        let run = finished.run;
        self.metrics.job_finished(&job.kind, outcome, run.as_secs_f64(), finished.wait_seconds);
        tracing::info!(
            job = job.id,
            kind = %job.kind,
            attempt = job.attempt,
            worker = %self.id,
            started_ms = finished.finished_ms - i64::try_from(run.as_millis()).unwrap_or(0),
            finished_ms = finished.finished_ms,
            outcome,
            "job finished"
        );
    }
}
