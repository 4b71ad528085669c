//! The merge requests Vigil scanned: their branches and state as GitLab last
//! reported them, the id of Vigil's one summary note (so later scans edit
//! it instead of adding a second one) and the last commit status posted.

use sqlx::Row;
use sqlx::any::AnyRow;

use crate::{Store, StoreError};

/// A merge request of a repository.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MergeRequest {
    /// The repository (the MR's target project).
    pub repository_id: i64,
    /// The MR's number in its project.
    pub iid: i64,
    /// Title.
    pub title: String,
    /// Branch the changes come from; issues found are recorded on it.
    pub source_branch: String,
    /// Branch it merges into.
    pub target_branch: String,
    /// `opened`, `closed`, `merged` or `locked`.
    pub state: String,
    /// The head commit of the last scan's feedback.
    pub head_sha: Option<String>,
    /// Vigil's summary note.
    pub note_id: Option<i64>,
    /// The last commit status posted: `success` or `failed`.
    pub status: Option<String>,
    /// Open issues in the files the MR touches, at the last feedback.
    pub open_issues: i64,
    /// Last change, Unix ms.
    pub updated_at: i64,
}

const COLUMNS: &str = "repository_id, iid, title, source_branch, target_branch, state, head_sha, note_id, \
     status, open_issues, updated_at";

fn merge_request_from(row: &AnyRow) -> Result<MergeRequest, StoreError> {
    Ok(MergeRequest {
        repository_id: row.try_get("repository_id")?,
        iid: row.try_get("iid")?,
        title: row.try_get("title")?,
        source_branch: row.try_get("source_branch")?,
        target_branch: row.try_get("target_branch")?,
        state: row.try_get("state")?,
        head_sha: row.try_get("head_sha")?,
        note_id: row.try_get("note_id")?,
        status: row.try_get("status")?,
        open_issues: row.try_get("open_issues")?,
        updated_at: row.try_get("updated_at")?,
    })
}

impl Store {
    /// Records what GitLab says about a merge request (title, branches,
    /// state), keeping the feedback columns of an existing row.
    pub async fn upsert_merge_request(
        &self,
        merge_request: &MergeRequest,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO merge_requests (repository_id, iid, title, source_branch, target_branch, state, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) \
             ON CONFLICT (repository_id, iid) DO UPDATE SET title = excluded.title, \
             source_branch = excluded.source_branch, target_branch = excluded.target_branch, \
             state = excluded.state, updated_at = excluded.updated_at",
        )
        .bind(merge_request.repository_id)
        .bind(merge_request.iid)
        .bind(&merge_request.title)
        .bind(&merge_request.source_branch)
        .bind(&merge_request.target_branch)
        .bind(&merge_request.state)
        .bind(merge_request.updated_at)
        .execute(self.writer())
        .await?;
        Ok(())
    }

    /// One merge request.
    pub async fn merge_request(
        &self,
        repository_id: i64,
        iid: i64,
    ) -> Result<Option<MergeRequest>, StoreError> {
        let row = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM merge_requests WHERE repository_id = $1 AND iid = $2"
        ))
        .bind(repository_id)
        .bind(iid)
        .fetch_optional(self.writer())
        .await?;
        row.as_ref().map(merge_request_from).transpose()
    }

    /// Records the feedback written: `head_sha`, `note_id`, `status`,
    /// `open_issues` and `updated_at` of `feedback` (the other columns are
    /// left as they are).
    pub async fn set_merge_request_feedback(
        &self,
        feedback: &MergeRequest,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE merge_requests SET head_sha = $1, note_id = $2, status = $3, open_issues = $4, updated_at = $5 \
             WHERE repository_id = $6 AND iid = $7",
        )
        .bind(feedback.head_sha.as_deref())
        .bind(feedback.note_id)
        .bind(feedback.status.as_deref())
        .bind(feedback.open_issues)
        .bind(feedback.updated_at)
        .bind(feedback.repository_id)
        .bind(feedback.iid)
        .execute(self.writer())
        .await?;
        Ok(())
    }

    /// The merge requests of a repository, newest change first.
    pub async fn merge_requests(
        &self,
        repository_id: i64,
        limit: i64,
    ) -> Result<Vec<MergeRequest>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM merge_requests WHERE repository_id = $1 ORDER BY updated_at DESC, iid DESC LIMIT $2"
        ))
        .bind(repository_id)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(merge_request_from).collect()
    }
}
