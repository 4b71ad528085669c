//! Vigil's storage: one schema on SQLite (the default, a file in the data
//! directory) or PostgreSQL (for many processes), the migrations that build
//! it, the durable job queue, the repositories of every table (users and
//! tokens, instances, repositories, merge requests, scans, issues, suppressions, audit log,
//! leases, dependency graphs) and the encryption of secrets at rest.
//!
//! Every query is written once with `$N` parameters, which both backends
//! accept; where SQL must differ (row locking, JSON columns) the statement
//! says so next to it. Times are Unix milliseconds written by the
//! application, so both backends share one clock model.
//!
//! **Architecture invariant:** no business rules here: the store persists
//! and claims; what a job means is the caller's.
//!
//! ```no_run
//! # async fn demo() -> Result<(), vigil_store::StoreError> {
//! use vigil_store::{NewJob, Queue, Store};
//! let store = Store::connect("sqlite://vigil.db?mode=rwc").await?;
//! store.migrate().await?;
//! let job = NewJob::new("scan", serde_json::json!({"repository": 7})).dedup_key("scan:7:main");
//! store.queue().enqueue(&job, Queue::now_ms()).await?;
//! # Ok(()) }
//! ```
#![deny(missing_docs)]

mod accounts;
mod catalog;
pub mod crypto;
mod graphs;
mod issues;
mod leases;
mod lifecycle;
mod merge_requests;
mod oauth;
mod overview;
mod queue;
mod scans;
mod settings;
mod store;
#[cfg(feature = "testing")]
pub mod testing;
mod transporters;
mod webhooks;

pub use accounts::{ApiToken, AuditEntry, User};
pub use catalog::{Instance, InstanceFootprint, NewInstance, Repository, ScanProgress};
pub use crypto::{Keyring, SecretString};
pub use graphs::{MatchCounts, StoredGraph};
pub use issues::{Issue, IssueFilter, IssuePage, IssueSort, Suppression};
pub use lifecycle::Deletion;
pub use merge_requests::MergeRequest;
pub use oauth::{OAUTH_STATE_TTL_MS, OAuthState, StateTaken};
pub use overview::{OpenCounts, RepositoryOverview, Resolution, Sighting, TrendDay};
pub use queue::{Claimed, Enqueued, JobState, NewJob, Queue, QueueCounts, RetryPolicy};
pub use scans::{
    MAX_STORED_DIAGNOSTICS, NewScan, ReconcileCounts, SCAN_HISTORY_LIMIT, Scan, ScanScope,
};
pub use settings::Setting;
pub use store::{Backend, JobListener, Store, StoreError};
pub use transporters::{Enrolment, Transporter, TransporterState};
pub use webhooks::{NewDelivery, WebhookEvent};
