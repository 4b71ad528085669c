//! Repository calls: compare two refs, read one raw file (size-capped), and
//! set a commit status. A repeated pending or running status, which GitLab
//! refuses with 400, counts as set: the status is already what was asked.

use reqwest::Method;
use serde::{Deserialize, Serialize};

use crate::client::Deadline;
use crate::{Client, FileDiff, GitLabError};

/// A commit in a comparison.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct CommitRef {
    /// 40 hex digits.
    pub id: String,
    /// First line of the message.
    #[serde(default)]
    pub title: String,
    /// Author name.
    #[serde(default)]
    pub author_name: String,
    /// ISO 8601.
    #[serde(default)]
    pub created_at: String,
}

/// `GET /projects/:id/repository/compare`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Compare {
    /// Commits on `to` and not on `from`.
    pub commits: Vec<CommitRef>,
    /// Changed files.
    pub diffs: Vec<FileDiff>,
    /// GitLab gave up computing the comparison: the lists are incomplete.
    #[serde(default)]
    pub compare_timeout: bool,
}

/// A commit status state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum StatusState {
    /// Queued.
    Pending,
    /// In progress.
    Running,
    /// Passed.
    Success,
    /// Failed.
    Failed,
    /// Stopped.
    Canceled,
}

/// What `set_commit_status` posts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommitStatus {
    /// The state.
    pub state: StatusState,
    /// The job name shown in GitLab (`vigil`).
    pub name: String,
    /// One line for the MR widget (GitLab keeps 255 characters).
    pub description: String,
    /// Link to the scan (http or https, at most 255 characters).
    pub target_url: Option<String>,
    /// Branch, when the commit is on several.
    pub ref_name: Option<String>,
}

/// Percent-encodes one path segment or query value (GitLab wants a file
/// path as one segment: `src%2Fmain.rs`).
pub(crate) fn encode_component(text: &str) -> String {
    text.bytes()
        .map(|byte| match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                char::from(byte).to_string()
            }
            _ => format!("%{byte:02X}"),
        })
        .collect()
}

impl Client {
    /// Compares `from` with `to` (branch names or shas).
    pub async fn compare(
        &self,
        project: u64,
        from: &str,
        to: &str,
    ) -> Result<Compare, GitLabError> {
        self.get(&format!(
            "/projects/{project}/repository/compare?from={}&to={}",
            encode_component(from),
            encode_component(to)
        ))
        .await
    }

    /// Sets a commit status. GitLab answers 400 to the same pending or
    /// running state twice; that is not an error here.
    pub async fn set_commit_status(
        &self,
        project: u64,
        sha: &str,
        status: &CommitStatus,
    ) -> Result<(), GitLabError> {
        let mut body = serde_json::json!({
            "state": status.state,
            "name": status.name,
            "description": status.description,
        });
        if let Some(url) = &status.target_url {
            body["target_url"] = url.as_str().into();
        }
        if let Some(ref_name) = &status.ref_name {
            body["ref"] = ref_name.as_str().into();
        }
        let path = format!("/projects/{project}/statuses/{}", encode_component(sha));
        match self.send(Method::POST, &self.url(&path), Some(&body)).await {
            Ok(_) => Ok(()),
            Err(GitLabError::Api { status: 400, message, .. })
                if message.starts_with("Cannot transition status") =>
            {
                Ok(())
            }
            Err(error) => Err(error),
        }
    }

    /// Every file and directory under `path` at `git_ref`, recursively
    /// (`GET /projects/:id/repository/tree`); a missing directory is a 404.
    pub async fn repository_tree(
        &self,
        project: u64,
        path: &str,
        git_ref: &str,
    ) -> Result<Vec<crate::TreeEntry>, GitLabError> {
        self.get_all_offset(&format!(
            "/projects/{project}/repository/tree?path={}&ref={}&recursive=true",
            encode_component(path),
            encode_component(git_ref)
        ))
        .await
    }

    /// A file's bytes at `git_ref`; refuses files over `max_bytes` without
    /// reading past the limit.
    pub async fn raw_file(
        &self,
        project: u64,
        path: &str,
        git_ref: &str,
        max_bytes: u64,
    ) -> Result<Vec<u8>, GitLabError> {
        let url = self.url(&format!(
            "/projects/{project}/repository/files/{}/raw?ref={}",
            encode_component(path),
            encode_component(git_ref)
        ));
        let endpoint = self.endpoint(&Method::GET, &url);
        let response = self.download(&url).await?;
        crate::body::read_capped(response, max_bytes, &endpoint, |error| {
            self.body_error(&endpoint, Deadline::Idle, error)
        })
        .await
    }
}
