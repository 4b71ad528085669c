//! The background jobs' payloads as types, and how a job attempt ends when
//! it does not succeed. Every job is enqueued through [`job`] and read
//! through [`read`], so a payload is written and read by the same struct;
//! one that cannot be read fails its job once, saying why, since no retry
//! can make it readable.
//!
//! Field names are those of the JSON written before these types existed,
//! so jobs queued by an older server still run; unknown fields are ignored,
//! so a newer server's jobs do not die on an older worker mid-upgrade.

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use vigil_store::{Claimed, NewJob};

/// A job's payload type and its kind name in the queue.
pub trait JobPayload: Serialize + DeserializeOwned {
    /// The job kind (`scan`, `mr_scan`, ...).
    const KIND: &'static str;
}

/// A new job carrying `payload`.
pub fn job<P: JobPayload>(payload: &P) -> NewJob {
    // Serialising these plain structs cannot fail; the fallback keeps the
    // type's invariant visible without a panic.
    let value = serde_json::to_value(payload).unwrap_or(serde_json::Value::Null);
    NewJob::new(P::KIND, value)
}

/// The payload of a claimed job, or a permanent error naming what is wrong.
pub fn read<P: JobPayload>(job: &Claimed) -> Result<P, JobError> {
    serde_json::from_value(job.payload.clone()).map_err(|error| {
        JobError::Permanent(format!("the {} job's payload is invalid: {error}", P::KIND))
    })
}

/// How a job attempt ended other than in success; the worker records each
/// differently.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JobError {
    /// Another attempt may succeed (GitLab unreachable, a timeout): the
    /// attempt counts and the job runs again after a backoff, or is
    /// dead-lettered when it has no attempts left.
    Retry(String),
    /// No attempt can succeed (an invalid payload): dead-lettered at once.
    Permanent(String),
    /// It waits on other work (another sync of the same instance) and
    /// failed at nothing: queued again after `after_ms`, the attempt not
    /// counted.
    Wait {
        /// Why it waits, kept as its last error meanwhile.
        reason: String,
        /// How long to wait, ms.
        after_ms: i64,
    },
}

impl JobError {
    /// The message recorded with the job.
    pub fn message(&self) -> &str {
        match self {
            JobError::Retry(message) | JobError::Permanent(message) => message,
            JobError::Wait { reason, .. } => reason,
        }
    }
}

impl std::fmt::Display for JobError {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str(self.message())
    }
}

/// Most failures are worth another attempt.
impl From<String> for JobError {
    fn from(message: String) -> JobError {
        JobError::Retry(message)
    }
}

impl From<&str> for JobError {
    fn from(message: &str) -> JobError {
        JobError::Retry(message.to_owned())
    }
}

/// Scans a repository's branch: the scan row says which; `paths` narrows
/// it to changed files.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScanJob {
    /// The scan history row.
    pub scan_id: i64,
    /// The files to scan; absent for a full scan.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub paths: Option<Vec<String>>,
}

impl JobPayload for ScanJob {
    const KIND: &'static str = "scan";
}

/// Scans a merge request and writes its feedback.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MergeRequestScanJob {
    /// The scan history row.
    pub scan_id: i64,
    /// The merge request's iid in its project.
    pub iid: i64,
    /// The head before the push that queued it: only the files changed
    /// since are scanned; absent for every file of the MR.
    #[serde(default)]
    pub oldrev: Option<String>,
}

impl JobPayload for MergeRequestScanJob {
    const KIND: &'static str = "mr_scan";
}

/// Acts on a stored webhook event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WebhookJob {
    /// The `webhook_events` row.
    pub event_id: i64,
}

impl JobPayload for WebhookJob {
    const KIND: &'static str = "webhook";
}

/// Applies an instance's repository selection (hooks, repositories, scans).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncJob {
    /// The instance.
    pub instance_id: i64,
}

impl JobPayload for SyncJob {
    const KIND: &'static str = "sync_repositories";
}

/// Removes an instance: its hooks in GitLab, then its rows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeleteInstanceJob {
    /// The instance.
    pub instance_id: i64,
}

impl JobPayload for DeleteInstanceJob {
    const KIND: &'static str = "delete_instance";
}

/// Does nothing, optionally for a while (queue benchmarks and tests).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct NoopJob {
    /// How long to sleep, ms.
    #[serde(default)]
    pub sleep_ms: u64,
}

impl JobPayload for NoopJob {
    const KIND: &'static str = "noop";
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claimed(kind: &str, payload: serde_json::Value) -> Claimed {
        Claimed {
            id: 7,
            kind: kind.into(),
            payload,
            attempt: 1,
            priority: 0,
            lease_until: 0,
            runnable_since: 0,
        }
    }

    #[test]
    fn payloads_round_trip_and_read_what_older_servers_wrote() {
        let scan = ScanJob { scan_id: 3, paths: Some(vec!["a.env".into()]) };
        let new = job(&scan);
        assert_eq!(
            (new.kind.as_str(), &new.payload),
            ("scan", &serde_json::json!({"scan_id": 3, "paths": ["a.env"]}))
        );
        assert_eq!(read::<ScanJob>(&claimed("scan", new.payload)), Ok(scan));
        // What the server wrote before the types: the same fields.
        let old = serde_json::json!({"scan_id": 5, "iid": 2, "oldrev": null});
        assert_eq!(
            read::<MergeRequestScanJob>(&claimed("mr_scan", old)),
            Ok(MergeRequestScanJob { scan_id: 5, iid: 2, oldrev: None })
        );
        assert_eq!(
            read::<NoopJob>(&claimed("noop", serde_json::json!({}))),
            Ok(NoopJob::default())
        );
        assert_eq!(SyncJob::KIND, "sync_repositories");
    }

    #[test]
    fn an_invalid_payload_is_a_permanent_error_that_says_why() {
        let error =
            read::<SyncJob>(&claimed("sync_repositories", serde_json::json!({"instance": 1})))
                .unwrap_err();
        assert_eq!(
            error,
            JobError::Permanent(
                "the sync_repositories job's payload is invalid: missing field `instance_id`"
                    .into()
            )
        );
        let error = read::<WebhookJob>(&claimed("webhook", serde_json::json!({"event_id": "x"})))
            .unwrap_err();
        assert!(
            error.message().starts_with("the webhook job's payload is invalid: invalid type"),
            "{error}"
        );
    }
}
