//! The parts of GitLab's entities Vigil reads. Unknown fields are ignored,
//! so newer GitLab versions with more fields parse the same.

use serde::Deserialize;

/// `GET /version`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Version {
    /// `17.11.2-ee`.
    pub version: String,
    /// Commit of the build.
    #[serde(default)]
    pub revision: String,
}

/// `GET /user`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct User {
    /// Id.
    pub id: u64,
    /// Username.
    pub username: String,
    /// Present for administrators' own tokens (and only visible to them).
    #[serde(default)]
    pub is_admin: Option<bool>,
}

/// A project (repository).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Project {
    /// Id.
    pub id: u64,
    /// `group/subgroup/name`.
    pub path_with_namespace: String,
    /// Absent on an empty repository.
    #[serde(default)]
    pub default_branch: Option<String>,
    /// Web page.
    #[serde(default)]
    pub web_url: String,
    /// Archived projects are read-only.
    #[serde(default)]
    pub archived: bool,
}

/// A project hook (GitLab never returns its secret token).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct ProjectHook {
    /// Id.
    pub id: u64,
    /// Delivery URL.
    pub url: String,
    /// Push events.
    #[serde(default)]
    pub push_events: bool,
    /// Merge request events.
    #[serde(default)]
    pub merge_requests_events: bool,
    /// Note events.
    #[serde(default)]
    pub note_events: bool,
    /// TLS verification.
    #[serde(default)]
    pub enable_ssl_verification: bool,
}

/// One entry of a repository tree listing (`GET /projects/:id/repository/tree`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct TreeEntry {
    /// Path from the repository root.
    pub path: String,
    /// `blob` (a file) or `tree` (a directory).
    #[serde(rename = "type")]
    pub kind: String,
}
