//! The issue lifecycle: how a finding seen (or no longer seen) by a scan
//! moves the issue that tracks it between open, fixed and suppressed.
//!
//! An issue is one fingerprint in one repository and branch. The store
//! keeps the rows; the rules of the lifecycle live here, in pure functions,
//! so that every backend and every caller applies the same ones.

use std::fmt;
use std::str::FromStr;

/// Where an issue is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum IssueStatus {
    /// Seen by the latest scan that covered it; needs attention.
    Open,
    /// Absent from a later scan that covered its file.
    Fixed,
    /// Accepted by a person, with a reason and an optional expiry.
    Suppressed,
}

/// What a scan did to one issue.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transition {
    /// First seen: a new open issue.
    Created,
    /// Seen again while open or suppressed: only `last_seen` moves.
    StillPresent,
    /// Seen again after it was fixed: open again.
    Reopened,
    /// Not seen by a scan that covered its file: fixed.
    Fixed,
    /// Not seen, already fixed: nothing changes.
    Unchanged,
}

impl Transition {
    /// The status after this transition, given the one before.
    pub fn status_after(self, before: Option<IssueStatus>) -> IssueStatus {
        match self {
            Transition::Created | Transition::Reopened => IssueStatus::Open,
            Transition::Fixed => IssueStatus::Fixed,
            Transition::StillPresent | Transition::Unchanged => before.unwrap_or(IssueStatus::Open),
        }
    }
}

/// The transition of an issue whose finding a scan reported. `current` is
/// `None` when no issue has that fingerprint yet.
pub fn on_seen(current: Option<IssueStatus>) -> Transition {
    match current {
        None => Transition::Created,
        Some(IssueStatus::Open | IssueStatus::Suppressed) => Transition::StillPresent,
        Some(IssueStatus::Fixed) => Transition::Reopened,
    }
}

/// The transition of an issue a scan covered (a full scan of its branch, or
/// a scan of the changed files that include its file) without reporting it.
/// A suppressed finding that disappears is fixed too: the suppression stays
/// on record, and if the finding comes back it is open again.
pub fn on_absent(current: IssueStatus) -> Transition {
    match current {
        IssueStatus::Open | IssueStatus::Suppressed => Transition::Fixed,
        IssueStatus::Fixed => Transition::Unchanged,
    }
}

/// Longest a suppression may last: one year, in milliseconds.
pub const MAX_SUPPRESSION_MS: i64 = 366 * 24 * 3_600_000;

/// A suppression expiry that is not within a year from now.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SuppressionError {
    /// The expiry is not in the future.
    #[error("the suppression expiry must be in the future")]
    InThePast,
    /// The expiry is more than one year away.
    #[error("a suppression may last at most one year; choose an earlier expiry")]
    TooLong,
    /// The reason is empty.
    #[error("a suppression needs a reason")]
    NoReason,
}

/// Checks a suppression request made at `now` (Unix ms).
pub fn check_suppression(
    reason: &str,
    expires_at: Option<i64>,
    now: i64,
) -> Result<(), SuppressionError> {
    if reason.trim().is_empty() {
        return Err(SuppressionError::NoReason);
    }
    match expires_at {
        Some(at) if at <= now => Err(SuppressionError::InThePast),
        Some(at) if at - now > MAX_SUPPRESSION_MS => Err(SuppressionError::TooLong),
        _ => Ok(()),
    }
}

impl IssueStatus {
    /// Every status.
    pub const ALL: [IssueStatus; 3] =
        [IssueStatus::Open, IssueStatus::Fixed, IssueStatus::Suppressed];

    /// The lower-case name used in the API and the database.
    pub fn as_str(self) -> &'static str {
        match self {
            IssueStatus::Open => "open",
            IssueStatus::Fixed => "fixed",
            IssueStatus::Suppressed => "suppressed",
        }
    }
}

impl fmt::Display for IssueStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A status name that is not `open`, `fixed` or `suppressed`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown issue status `{0}` (expected one of: open, fixed, suppressed)")]
pub struct ParseIssueStatusError(pub String);

impl FromStr for IssueStatus {
    type Err = ParseIssueStatusError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        IssueStatus::ALL
            .into_iter()
            .find(|status| status.as_str() == text)
            .ok_or_else(|| ParseIssueStatusError(text.to_owned()))
    }
}

#[cfg(test)]
mod tests;
