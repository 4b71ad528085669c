//! Merge request calls: the merge request with its `diff_refs`, its diffs
//! (every page), notes (list, create, edit) and discussions (list, create
//! with a diff position). It decides nothing about what to comment; the
//! caller positions notes (see [`added_lines`](crate::added_lines)).

use reqwest::Method;
use serde::{Deserialize, Serialize};

use crate::{Client, GitLabError, User};

/// The three shas a diff position must name: from the MR's `diff_refs`
/// (or the latest version). They move with every push to the source
/// branch, so fetch them again before commenting.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct DiffRefs {
    /// Merge base of source and target.
    pub base_sha: String,
    /// Target branch head when the version was made.
    pub start_sha: String,
    /// Source branch head.
    pub head_sha: String,
}

/// `GET /projects/:id/merge_requests/:iid`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct MergeRequest {
    /// Per-project number.
    pub iid: u64,
    /// Title.
    pub title: String,
    /// `opened`, `closed`, `locked` or `merged`.
    pub state: String,
    /// Source branch.
    pub source_branch: String,
    /// Target branch.
    pub target_branch: String,
    /// Head of the source branch.
    #[serde(default)]
    pub sha: Option<String>,
    /// Empty right after creation, until GitLab has computed the diff.
    #[serde(default)]
    pub diff_refs: Option<DiffRefs>,
    /// Web page.
    #[serde(default)]
    pub web_url: String,
}

/// One file's change, from `/diffs` or `/compare`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct FileDiff {
    /// Path before.
    pub old_path: String,
    /// Path after.
    pub new_path: String,
    /// Added.
    #[serde(default)]
    pub new_file: bool,
    /// Renamed.
    #[serde(default)]
    pub renamed_file: bool,
    /// Deleted.
    #[serde(default)]
    pub deleted_file: bool,
    /// Unified diff hunks (empty when GitLab collapsed a large diff).
    #[serde(default)]
    pub diff: String,
}

/// Where a diff note sits: a text position on a version of the diff.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Position {
    /// Version base.
    pub base_sha: String,
    /// Version start.
    pub start_sha: String,
    /// Version head.
    pub head_sha: String,
    /// Path before.
    pub old_path: String,
    /// Path after.
    pub new_path: String,
    /// New-side line: alone for an added line.
    #[serde(default)]
    pub new_line: Option<u32>,
    /// Old-side line: alone for a removed line; with `new_line` for an
    /// unchanged one.
    #[serde(default)]
    pub old_line: Option<u32>,
}

/// A comment.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Note {
    /// Id.
    pub id: u64,
    /// Markdown body.
    pub body: String,
    /// Who wrote it (Vigil ignores Note Hooks for its own notes).
    pub author: User,
    /// GitLab's own activity notes.
    #[serde(default)]
    pub system: bool,
    /// For diff notes.
    #[serde(default)]
    pub position: Option<Position>,
}

/// A thread of notes.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Discussion {
    /// 40 hex digits.
    pub id: String,
    /// Oldest first.
    pub notes: Vec<Note>,
}

impl Client {
    /// One merge request.
    pub async fn merge_request(&self, project: u64, iid: u64) -> Result<MergeRequest, GitLabError> {
        self.get(&format!("/projects/{project}/merge_requests/{iid}")).await
    }

    /// Every changed file of a merge request's latest version (all pages).
    pub async fn merge_request_diffs(
        &self,
        project: u64,
        iid: u64,
    ) -> Result<Vec<FileDiff>, GitLabError> {
        self.get_all_offset(&format!("/projects/{project}/merge_requests/{iid}/diffs")).await
    }

    /// Every note of a merge request (GitLab's order: newest first).
    pub async fn merge_request_notes(
        &self,
        project: u64,
        iid: u64,
    ) -> Result<Vec<Note>, GitLabError> {
        self.get_all_offset(&format!("/projects/{project}/merge_requests/{iid}/notes")).await
    }

    /// Posts a note. Not retried: a repeated POST would comment twice.
    pub async fn create_merge_request_note(
        &self,
        project: u64,
        iid: u64,
        body: &str,
    ) -> Result<Note, GitLabError> {
        let path = format!("/projects/{project}/merge_requests/{iid}/notes");
        self.write(Method::POST, &path, &serde_json::json!({ "body": body })).await
    }

    /// Replaces a note's body; only its author may (403 otherwise).
    pub async fn update_merge_request_note(
        &self,
        project: u64,
        iid: u64,
        note_id: u64,
        body: &str,
    ) -> Result<Note, GitLabError> {
        let path = format!("/projects/{project}/merge_requests/{iid}/notes/{note_id}");
        self.write(Method::PUT, &path, &serde_json::json!({ "body": body })).await
    }

    /// Every discussion of a merge request.
    pub async fn merge_request_discussions(
        &self,
        project: u64,
        iid: u64,
    ) -> Result<Vec<Discussion>, GitLabError> {
        self.get_all_offset(&format!("/projects/{project}/merge_requests/{iid}/discussions")).await
    }

    /// Starts a diff thread at `position` (a `text` position). GitLab
    /// answers 400 when the shas are not a real version or the lines do
    /// not match the diff. Not retried.
    pub async fn create_merge_request_discussion(
        &self,
        project: u64,
        iid: u64,
        body: &str,
        position: &Position,
    ) -> Result<Discussion, GitLabError> {
        let mut position_body =
            serde_json::to_value(position).map_err(|error| GitLabError::Decode {
                endpoint: format!(
                    "POST /api/v4/projects/{project}/merge_requests/{iid}/discussions"
                ),
                reason: error.to_string(),
            })?;
        if let Some(object) = position_body.as_object_mut() {
            object.insert("position_type".into(), "text".into());
            // GitLab reads an absent line, not a null one, as "no line".
            object.retain(|_, value| !value.is_null());
        }
        let path = format!("/projects/{project}/merge_requests/{iid}/discussions");
        self.write(
            Method::POST,
            &path,
            &serde_json::json!({ "body": body, "position": position_body }),
        )
        .await
    }

    /// Sends a JSON body and decodes the answer.
    pub(crate) async fn write<T: serde::de::DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        body: &serde_json::Value,
    ) -> Result<T, GitLabError> {
        let answer = self.send(method.clone(), &self.url(path), Some(body)).await?;
        Self::decode(&format!("{method} /api/v4{path}"), &answer.body)
    }
}
