//! Vigil's GitLab REST v4 client. It owns what every call to GitLab needs:
//! authentication, timeouts, retries with backoff for idempotent requests
//! only, `429 Retry-After`, offset and keyset pagination, and errors that
//! name the endpoint and the status without ever containing a token.
//! Calls: projects and hooks (`client.rs`), archives (`archive.rs`), merge
//! requests, diffs, notes and discussions (`merge_requests.rs`), compare,
//! raw files and commit statuses (`repository.rs`); `added_lines` reads
//! a unified diff (`diff.rs`); OAuth 2 with PKCE (`oauth.rs`); is there a
//! GitLab at an address (`probe.rs`).
//!
//! **Architecture invariant:** tokens live in [`Token`], whose `Debug`
//! prints `[redacted]`; URLs carry no secrets (tokens go in headers), so an
//! endpoint may appear in any error or log line.
#![deny(missing_docs)]

mod archive;
mod body;
mod client;
mod diff;
mod error;
mod merge_requests;
mod oauth;
mod probe;
mod repository;
mod summary;
mod types;

pub use archive::{ArchiveError, ArchiveLimits, MAX_SKIP_NOTES, Unpacked, printable, unpack};
pub use body::{ERROR_BODY_DEADLINE, MAX_ERROR_BYTES, MAX_OAUTH_BYTES};
pub use client::{
    Client, ClientSettings, HookEvents, Token, TokenRenewal, UNSAID_RETRY_AFTER_S, Via,
};
pub use diff::added_lines;
pub use error::GitLabError;
pub use merge_requests::{DiffRefs, Discussion, FileDiff, MergeRequest, Note, Position};
pub use oauth::{
    DEFAULT_REFRESH_MARGIN_MS, MAX_TOKEN_BYTES, OAuthClient, Pkce, RefreshToken, TokenInfo,
    TokenSet, authorize_url, needs_refresh, random_state,
};
pub use probe::{Probe, probe};
pub use repository::{CommitRef, CommitStatus, Compare, StatusState};
pub use summary::summarize;
pub use types::{Project, ProjectHook, TreeEntry, User, Version};

/// Access level of a Maintainer, the least that may manage project hooks.
pub const MAINTAINER_ACCESS: u32 = 40;
