//! The durable job queue: enqueue with per-key de-duplication and
//! priorities, claim with a lease, heartbeat, complete, fail with
//! exponential backoff up to a dead-letter state, release on shutdown.
//!
//! Claiming (one job or a batch) is one `UPDATE … WHERE id IN (SELECT …
//! LIMIT n) RETURNING` statement; on PostgreSQL the inner select takes the row with `FOR UPDATE
//! SKIP LOCKED`, so concurrent workers never claim the same job; SQLite has
//! a single writer, which serialises claims by itself. A job whose lease
//! expired (its worker died) is claimable again, so every job must be safe
//! to run twice.
//!
//! Every method takes `now`, Unix milliseconds: callers pass
//! [`now_ms`](crate::Queue::now_ms) in production and fixed times in tests.

use serde_json::Value;
use sqlx::{AnyPool, Row};

use crate::{Backend, StoreError};

/// A job to enqueue.
#[derive(Debug, Clone)]
pub struct NewJob {
    /// What to do (`scan`, `mr_feedback`, …); the worker dispatches on it.
    pub kind: String,
    /// Its input.
    pub payload: Value,
    /// Jobs with the same key collapse into one while queued.
    pub dedup_key: Option<String>,
    /// Higher runs first (merge-request scans before periodic scans).
    pub priority: i32,
    /// Attempts before the job is dead-lettered.
    pub max_attempts: i32,
    /// Not before this time (Unix ms); `None` means now.
    pub run_after: Option<i64>,
}

impl NewJob {
    /// A job of `kind` with `payload`, priority 0, five attempts.
    pub fn new(kind: impl Into<String>, payload: Value) -> NewJob {
        NewJob {
            kind: kind.into(),
            payload,
            dedup_key: None,
            priority: 0,
            max_attempts: 5,
            run_after: None,
        }
    }

    /// Sets the de-duplication key.
    pub fn dedup_key(mut self, key: impl Into<String>) -> NewJob {
        self.dedup_key = Some(key.into());
        self
    }

    /// Sets the priority.
    pub fn priority(mut self, priority: i32) -> NewJob {
        self.priority = priority;
        self
    }

    /// Sets the attempt limit (at least 1).
    pub fn max_attempts(mut self, attempts: i32) -> NewJob {
        self.max_attempts = attempts.max(1);
        self
    }
}

/// The result of an enqueue.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Enqueued {
    /// The job's id (the existing job's, when de-duplicated).
    pub id: i64,
    /// True when a queued job with the same key already existed.
    pub deduplicated: bool,
}

/// A job a worker holds.
#[derive(Debug, Clone, PartialEq)]
pub struct Claimed {
    /// Job id.
    pub id: i64,
    /// Job kind.
    pub kind: String,
    /// Job input.
    pub payload: Value,
    /// This attempt's number, from 1.
    pub attempt: i32,
    /// Its priority (higher runs first).
    pub priority: i32,
    /// The lease ends at this time (Unix ms) unless renewed by a heartbeat.
    pub lease_until: i64,
    /// When the job became runnable (Unix ms): claim latency is `now − this`.
    pub runnable_since: i64,
}

/// Where a job is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobState {
    /// Waiting for a worker (possibly until `run_after`).
    Queued,
    /// Held by a worker under a lease.
    Running,
    /// Done.
    Succeeded,
    /// Failed `max_attempts` times; kept with its last error.
    Dead,
}

impl JobState {
    fn as_str(self) -> &'static str {
        match self {
            JobState::Queued => "queued",
            JobState::Running => "running",
            JobState::Succeeded => "succeeded",
            JobState::Dead => "dead",
        }
    }
}

/// Jobs per state.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct QueueCounts {
    /// Waiting.
    pub queued: i64,
    /// Held by workers.
    pub running: i64,
    /// Done.
    pub succeeded: i64,
    /// Dead-lettered.
    pub dead: i64,
}

/// Backoff between attempts: `base × 2^(attempt−1)`, at most `cap`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Delay after the first failure, ms.
    pub base_ms: i64,
    /// Longest delay, ms.
    pub cap_ms: i64,
}

impl Default for RetryPolicy {
    /// 10 s, doubling, at most one hour.
    fn default() -> Self {
        RetryPolicy { base_ms: 10_000, cap_ms: 3_600_000 }
    }
}

impl RetryPolicy {
    /// The delay after failed attempt number `attempt` (from 1).
    pub fn delay_ms(&self, attempt: i32) -> i64 {
        let doublings = u32::try_from(attempt.saturating_sub(1)).unwrap_or(0).min(40);
        self.base_ms.saturating_mul(1_i64 << doublings).min(self.cap_ms)
    }
}

/// Inserts `job` on `connection` (which may be inside a transaction) and,
/// on PostgreSQL, notifies idle workers (delivered at commit). `None` when a
/// queued job with the same de-duplication key exists.
/// Queues `job` on `connection` (a transaction's, when the job must commit
/// with other writes); with a queued job of the same de-duplication key,
/// that job instead.
pub(crate) async fn enqueue_on(
    connection: &mut sqlx::AnyConnection,
    backend: Backend,
    job: &NewJob,
    now: i64,
) -> Result<Enqueued, StoreError> {
    if let Some(id) = insert_job(connection, backend, job, now).await? {
        return Ok(Enqueued { id, deduplicated: false });
    }
    let existing = sqlx::query("SELECT id FROM jobs WHERE dedup_key = $1 AND state = 'queued'")
        .bind(job.dedup_key.as_deref())
        .fetch_one(&mut *connection)
        .await?;
    Ok(Enqueued { id: existing.try_get("id")?, deduplicated: true })
}

pub(crate) async fn insert_job(
    connection: &mut sqlx::AnyConnection,
    backend: Backend,
    job: &NewJob,
    now: i64,
) -> Result<Option<i64>, StoreError> {
    let payload = match backend {
        Backend::Sqlite => "$2",
        Backend::Postgres => "CAST($2 AS JSONB)",
    };
    let sql = format!(
        "INSERT INTO jobs (kind, payload, dedup_key, priority, max_attempts, run_after, created_at, updated_at) \
         VALUES ($1, {payload}, $3, $4, $5, $6, $7, $7) \
         ON CONFLICT (dedup_key) WHERE state = 'queued' AND dedup_key IS NOT NULL DO NOTHING RETURNING id"
    );
    let inserted = sqlx::query(&sql)
        .bind(&job.kind)
        .bind(job.payload.to_string())
        .bind(job.dedup_key.as_deref())
        .bind(job.priority)
        .bind(job.max_attempts)
        .bind(job.run_after.unwrap_or(now))
        .bind(now)
        .fetch_optional(&mut *connection)
        .await?;
    let Some(row) = inserted else { return Ok(None) };
    if backend == Backend::Postgres {
        sqlx::query("SELECT pg_notify($1, '')")
            .bind(crate::store::JOBS_CHANNEL)
            .execute(&mut *connection)
            .await?;
    }
    Ok(Some(row.try_get("id")?))
}

/// The queue of one store.
#[derive(Debug, Clone, Copy)]
pub struct Queue<'a> {
    pool: &'a AnyPool,
    writer: &'a AnyPool,
    backend: Backend,
}

const CLAIM_COLUMNS: &str = "id, kind, attempts, priority, locked_until, run_after";

/// The job in a claim's row.
fn claimed_from(row: &sqlx::any::AnyRow) -> Result<Claimed, StoreError> {
    let id: i64 = row.try_get("id")?;
    let payload_text: String = row.try_get("payload_text")?;
    Ok(Claimed {
        id,
        kind: row.try_get("kind")?,
        payload: serde_json::from_str(&payload_text)
            .map_err(|source| StoreError::Payload { id, source })?,
        attempt: row.try_get("attempts")?,
        priority: row.try_get("priority")?,
        lease_until: row.try_get("locked_until")?,
        runnable_since: row.try_get("run_after")?,
    })
}

impl<'a> Queue<'a> {
    pub(crate) fn new(pool: &'a AnyPool, writer: &'a AnyPool, backend: Backend) -> Queue<'a> {
        Queue { pool, writer, backend }
    }

    /// The current time in Unix milliseconds.
    pub fn now_ms() -> i64 {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |elapsed| i64::try_from(elapsed.as_millis()).unwrap_or(i64::MAX))
    }

    /// The payload column as text, and a text parameter as the payload type.
    fn payload_sql(&self) -> (&'static str, &'static str) {
        match self.backend {
            Backend::Sqlite => ("payload", "$2"),
            Backend::Postgres => ("payload::text", "CAST($2 AS JSONB)"),
        }
    }

    /// Adds a job, unless a queued job with the same de-duplication key
    /// exists: then that job's id is returned with `deduplicated`.
    pub async fn enqueue(&self, job: &NewJob, now: i64) -> Result<Enqueued, StoreError> {
        let mut connection = self.writer.acquire().await?;
        enqueue_on(&mut connection, self.backend, job, now).await
    }

    /// Claims the most urgent runnable job for `worker` for `lease_ms`: a
    /// job whose lease expired (its worker died) first, oldest lease first;
    /// otherwise the queued job with the highest priority, then oldest
    /// `run_after`, then lowest id. Jobs whose lease expired on their last
    /// attempt are left to [`sweep`](Queue::sweep), which dead-letters them.
    pub async fn claim(
        &self,
        worker: &str,
        lease_ms: i64,
        now: i64,
    ) -> Result<Option<Claimed>, StoreError> {
        Ok(self.claim_batch(worker, lease_ms, now, 1).await?.pop())
    }

    /// Claims up to `limit` jobs at once, in [`claim`](Queue::claim)'s
    /// order: one statement and one commit for all of them. Each
    /// sub-select reads a small partial index (`LIMIT … FOR UPDATE SKIP
    /// LOCKED` on PostgreSQL), so two workers never hold the same job and
    /// finished jobs never slow claims down.
    pub async fn claim_batch(
        &self,
        worker: &str,
        lease_ms: i64,
        now: i64,
        limit: i64,
    ) -> Result<Vec<Claimed>, StoreError> {
        if limit < 1 {
            return Ok(Vec::new());
        }
        let lock = match self.backend {
            Backend::Sqlite => "",
            Backend::Postgres => "FOR UPDATE SKIP LOCKED",
        };
        let (payload, _) = self.payload_sql();
        let sql = format!(
            "WITH expired AS (SELECT id FROM jobs WHERE state = 'running' AND locked_until < $3 AND attempts < max_attempts \
                              ORDER BY locked_until LIMIT $4 {lock}), \
                  queued AS (SELECT id FROM jobs WHERE state = 'queued' AND run_after <= $3 \
                             ORDER BY priority DESC, run_after, id LIMIT $4 - (SELECT COUNT(*) FROM expired) {lock}) \
             UPDATE jobs SET state = 'running', locked_by = $1, locked_until = $2, attempts = attempts + 1, updated_at = $3 \
             WHERE id IN (SELECT id FROM expired UNION ALL SELECT id FROM queued) \
             RETURNING {CLAIM_COLUMNS}, {payload} AS payload_text"
        );
        let rows = sqlx::query(&sql)
            .bind(worker)
            .bind(now + lease_ms)
            .bind(now)
            .bind(limit)
            .fetch_all(self.writer)
            .await?;
        let mut claimed = rows.iter().map(claimed_from).collect::<Result<Vec<_>, _>>()?;
        // RETURNING keeps no order: run them by priority, then age.
        claimed.sort_by_key(|job| (std::cmp::Reverse(job.priority), job.runnable_since, job.id));
        Ok(claimed)
    }

    /// Marks the jobs `ids` done in one statement; returns those `worker`
    /// still held (the others' leases had expired and moved on).
    pub async fn complete_many(
        &self,
        ids: &[i64],
        worker: &str,
        now: i64,
    ) -> Result<Vec<i64>, StoreError> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let list = ids.iter().map(i64::to_string).collect::<Vec<_>>().join(",");
        let ids_sql = match self.backend {
            Backend::Sqlite => "(SELECT value FROM json_each('[' || $3 || ']'))",
            Backend::Postgres => "(SELECT CAST(unnest(string_to_array($3, ',')) AS BIGINT))",
        };
        let rows = sqlx::query(&format!(
            "UPDATE jobs SET state = 'succeeded', locked_by = NULL, locked_until = NULL, updated_at = $1 \
             WHERE id IN {ids_sql} AND locked_by = $2 AND state = 'running' RETURNING id"
        ))
        .bind(now)
        .bind(worker)
        .bind(list)
        .fetch_all(self.writer)
        .await?;
        rows.iter().map(|row| Ok(row.try_get("id")?)).collect()
    }

    /// Renews the lease of every job `worker` holds (running, or waiting
    /// its turn in a claimed batch); returns how many.
    pub async fn heartbeat_all(
        &self,
        worker: &str,
        lease_ms: i64,
        now: i64,
    ) -> Result<u64, StoreError> {
        let result = sqlx::query(
            "UPDATE jobs SET locked_until = $1, updated_at = $2 WHERE state = 'running' AND locked_by = $3",
        )
        .bind(now + lease_ms)
        .bind(now)
        .bind(worker)
        .execute(self.writer)
        .await?;
        Ok(result.rows_affected())
    }

    /// Dead-letters the jobs whose lease expired on their last attempt
    /// (their worker died each time). Worker pools call it every second or
    /// so; returns how many it dead-lettered.
    pub async fn sweep(&self, now: i64) -> Result<u64, StoreError> {
        let result = sqlx::query(
            "UPDATE jobs SET state = 'dead', locked_by = NULL, locked_until = NULL, updated_at = $1, \
             last_error = 'lease expired on the last attempt (worker lost)' \
             WHERE state = 'running' AND locked_until < $1 AND attempts >= max_attempts",
        )
        .bind(now)
        .execute(self.writer)
        .await?;
        Ok(result.rows_affected())
    }

    /// Deletes jobs that succeeded before `before` (Unix ms), at most
    /// `limit` of them; dead jobs stay with their last error. The scheduler
    /// calls it so the table holds recent history, not every job ever run.
    pub async fn purge_succeeded(&self, before: i64, limit: i64) -> Result<u64, StoreError> {
        let result = sqlx::query(
            "DELETE FROM jobs WHERE id IN (SELECT id FROM jobs WHERE state = 'succeeded' AND updated_at < $1 \
             ORDER BY updated_at LIMIT $2)",
        )
        .bind(before)
        .bind(limit)
        .execute(self.writer)
        .await?;
        Ok(result.rows_affected())
    }

    /// Deletes the queued (not yet running) jobs with de-duplication key
    /// `key` and returns their ids: a closed merge request's pending scan.
    pub async fn cancel_queued(&self, key: &str) -> Result<Vec<i64>, StoreError> {
        let rows =
            sqlx::query("DELETE FROM jobs WHERE dedup_key = $1 AND state = 'queued' RETURNING id")
                .bind(key)
                .fetch_all(self.writer)
                .await?;
        rows.iter().map(|row| Ok(row.try_get("id")?)).collect()
    }

    /// Extends `worker`'s lease on job `id`; false when the worker no longer
    /// holds it (the lease expired and another worker claimed it).
    pub async fn heartbeat(
        &self,
        id: i64,
        worker: &str,
        lease_ms: i64,
        now: i64,
    ) -> Result<bool, StoreError> {
        let result = sqlx::query(
            "UPDATE jobs SET locked_until = $1, updated_at = $2 WHERE id = $3 AND locked_by = $4 AND state = 'running'",
        )
        .bind(now + lease_ms)
        .bind(now)
        .bind(id)
        .bind(worker)
        .execute(self.writer)
        .await?;
        Ok(result.rows_affected() == 1)
    }

    /// Marks job `id` done; false when `worker` no longer holds it.
    pub async fn complete(&self, id: i64, worker: &str, now: i64) -> Result<bool, StoreError> {
        let result = sqlx::query(
            "UPDATE jobs SET state = 'succeeded', locked_by = NULL, locked_until = NULL, updated_at = $1 \
             WHERE id = $2 AND locked_by = $3 AND state = 'running'",
        )
        .bind(now)
        .bind(id)
        .bind(worker)
        .execute(self.writer)
        .await?;
        Ok(result.rows_affected() == 1)
    }

    /// Records a failed attempt: the job is queued again after the policy's
    /// delay, or dead-lettered with `error` when out of attempts. Returns
    /// the new state, or `None` when `worker` no longer holds the job.
    pub async fn fail(
        &self,
        id: i64,
        worker: &str,
        error: &str,
        policy: &RetryPolicy,
        now: i64,
    ) -> Result<Option<JobState>, StoreError> {
        let row = sqlx::query("SELECT attempts, max_attempts FROM jobs WHERE id = $1 AND locked_by = $2 AND state = 'running'")
            .bind(id)
            .bind(worker)
            .fetch_optional(self.writer)
            .await?;
        let Some(row) = row else { return Ok(None) };
        let attempts: i32 = row.try_get("attempts")?;
        let max_attempts: i32 = row.try_get("max_attempts")?;
        let state = if attempts >= max_attempts { JobState::Dead } else { JobState::Queued };
        let result = sqlx::query(
            "UPDATE jobs SET state = $1, run_after = $2, last_error = $3, locked_by = NULL, locked_until = NULL, updated_at = $4 \
             WHERE id = $5 AND locked_by = $6 AND state = 'running'",
        )
        .bind(state.as_str())
        .bind(now + policy.delay_ms(attempts))
        .bind(error)
        .bind(now)
        .bind(id)
        .bind(worker)
        .execute(self.writer)
        .await?;
        Ok((result.rows_affected() == 1).then_some(state))
    }

    /// Gives up on job `id` now: dead-lettered with `error` whatever attempts
    /// are left, since no attempt can succeed (its payload is invalid).
    /// False when `worker` no longer holds it.
    pub async fn give_up(
        &self,
        id: i64,
        worker: &str,
        error: &str,
        now: i64,
    ) -> Result<bool, StoreError> {
        let result = sqlx::query(
            "UPDATE jobs SET state = 'dead', last_error = $1, locked_by = NULL, locked_until = NULL, updated_at = $2 \
             WHERE id = $3 AND locked_by = $4 AND state = 'running'",
        )
        .bind(error)
        .bind(now)
        .bind(id)
        .bind(worker)
        .execute(self.writer)
        .await?;
        Ok(result.rows_affected() == 1)
    }

    /// Queues job `id` again at `run_after` without counting this attempt:
    /// it waited on other work (another sync of the same instance) and
    /// failed at nothing. `reason` is its last error meanwhile. False when
    /// `worker` no longer holds it.
    pub async fn defer(
        &self,
        id: i64,
        worker: &str,
        reason: &str,
        run_after: i64,
        now: i64,
    ) -> Result<bool, StoreError> {
        let result = sqlx::query(
            "UPDATE jobs SET state = 'queued', attempts = attempts - 1, run_after = $1, last_error = $2, \
             locked_by = NULL, locked_until = NULL, updated_at = $3 \
             WHERE id = $4 AND locked_by = $5 AND state = 'running'",
        )
        .bind(run_after)
        .bind(reason)
        .bind(now)
        .bind(id)
        .bind(worker)
        .execute(self.writer)
        .await?;
        Ok(result.rows_affected() == 1)
    }

    /// Makes the queued jobs whose last error starts with `marker` runnable
    /// at once: jobs that waited on something that has now happened (an
    /// instance connected again). Returns how many.
    pub async fn wake_waiting(&self, marker: &str, now: i64) -> Result<u64, StoreError> {
        let result = sqlx::query(
            "UPDATE jobs SET run_after = $1, updated_at = $1 \
             WHERE state = 'queued' AND run_after > $1 AND last_error LIKE $2 ESCAPE '\\'",
        )
        .bind(now)
        .bind(starts_with(marker))
        .execute(self.writer)
        .await?;
        Ok(result.rows_affected())
    }

    /// How many queued jobs wait with a last error that starts with
    /// `marker` (see [`Queue::wake_waiting`]).
    pub async fn waiting_on(&self, marker: &str) -> Result<i64, StoreError> {
        let row = sqlx::query(
            "SELECT COUNT(*) AS total FROM jobs WHERE state = 'queued' AND last_error LIKE $1 ESCAPE '\\'",
        )
        .bind(starts_with(marker))
        .fetch_one(self.pool)
        .await?;
        Ok(row.try_get("total")?)
    }

    /// Gives back every job `worker` holds (graceful shutdown): they are
    /// queued again at once and the interrupted attempt is not counted.
    pub async fn release_all(&self, worker: &str, now: i64) -> Result<u64, StoreError> {
        let result = sqlx::query(
            "UPDATE jobs SET state = 'queued', attempts = attempts - 1, locked_by = NULL, locked_until = NULL, \
             run_after = $1, updated_at = $1 WHERE locked_by = $2 AND state = 'running'",
        )
        .bind(now)
        .bind(worker)
        .execute(self.writer)
        .await?;
        Ok(result.rows_affected())
    }

    /// The last error of job `id`, if it has one.
    pub async fn last_error(&self, id: i64) -> Result<Option<String>, StoreError> {
        let row = sqlx::query("SELECT last_error FROM jobs WHERE id = $1")
            .bind(id)
            .fetch_optional(self.pool)
            .await?;
        Ok(match row {
            Some(row) => row.try_get("last_error")?,
            None => None,
        })
    }

    /// Jobs per state.
    pub async fn counts(&self) -> Result<QueueCounts, StoreError> {
        let rows = sqlx::query("SELECT state, COUNT(*) AS total FROM jobs GROUP BY state")
            .fetch_all(self.pool)
            .await?;
        let mut counts = QueueCounts::default();
        for row in rows {
            let state: String = row.try_get("state")?;
            let total: i64 = row.try_get("total")?;
            match state.as_str() {
                "queued" => counts.queued = total,
                "running" => counts.running = total,
                "succeeded" => counts.succeeded = total,
                _ => counts.dead += total,
            }
        }
        Ok(counts)
    }
}

/// A LIKE pattern for text starting with `prefix`, its wildcards escaped.
fn starts_with(prefix: &str) -> String {
    format!("{}%", prefix.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_"))
}
