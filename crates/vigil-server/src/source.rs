//! `GitLabSource`: the production [`SourceFetcher`], with the instance's
//! access token (decrypted only for the call). A changed-files scan
//! downloads those files at the branch head (up to 500, one request each);
//! a full scan downloads the repository's archive at the branch head and
//! unpacks it. Either way into a temporary directory that lives as long as
//! the scan.

use vigil_core::{Diagnostic, DiagnosticLevel};
use vigil_gitlab::{ArchiveLimits, Client, GitLabError};
use vigil_pipeline::{MAX_CONFIG_FILE_BYTES, RepoFiles};
use vigil_store::{Repository, ScanScope, Store};

use crate::jobs::{BoxFuture, FetchedSource, SourceFetcher};

/// Fetches sources from GitLab.
#[derive(Debug, Clone)]
pub struct GitLabSource {
    store: Store,
    limits: ArchiveLimits,
}

impl GitLabSource {
    /// A fetcher reading instances and their tokens from `store`.
    pub fn new(store: Store, limits: ArchiveLimits) -> GitLabSource {
        GitLabSource { store, limits }
    }

    async fn fetch_archive(
        &self,
        repository: &Repository,
        branch: &str,
    ) -> Result<FetchedSource, String> {
        let client = crate::gitlab::repository_client(&self.store, repository).await?;
        let directory = tempfile::Builder::new()
            .prefix("vigil-scan-")
            .tempdir()
            .map_err(|error| format!("cannot create a scan directory: {error}"))?;
        let project = crate::gitlab::project_id(repository)?;
        let unpacked = client
            .download_archive(project, branch, directory.path(), self.limits)
            .await
            .map_err(|error| format!("repository {}: {error}", repository.path))?;
        for skipped in &unpacked.skipped {
            tracing::warn!(repository = %repository.path, entry = %skipped, "archive entry not unpacked");
        }
        Ok(FetchedSource {
            root: unpacked.root,
            commit_sha: None,
            guard: Some(directory),
            config: None,
        })
    }
}

/// The repository's configuration files at `git_ref`, for a scan whose
/// directory holds only some files (a merge request's, a push's): absent
/// files are absent, a file too large or not UTF-8 is a problem; any other
/// failure fails the fetch, since scanning on without the repository's
/// settings would report what it disabled.
pub(crate) async fn repo_files(
    client: &Client,
    project: u64,
    git_ref: &str,
) -> Result<(RepoFiles, Vec<Diagnostic>), String> {
    let mut files = RepoFiles::default();
    let mut problems = Vec::new();
    for name in RepoFiles::names() {
        let problem = |message: String| {
            Diagnostic::for_file(DiagnosticLevel::Error, name, format!("not read: {message}"))
        };
        match client.raw_file(project, name, git_ref, MAX_CONFIG_FILE_BYTES).await {
            Ok(bytes) => match String::from_utf8(bytes) {
                Ok(text) => files.insert(name, name, text),
                Err(error) => problems.push(problem(format!(
                    "not UTF-8 text (invalid byte at offset {})",
                    error.utf8_error().valid_up_to()
                ))),
            },
            Err(GitLabError::Api { status: 404, .. }) => {}
            Err(GitLabError::TooLarge { .. }) => problems.push(problem(format!(
                "over the {} limit for configuration files",
                vigil_scanner::human_bytes(MAX_CONFIG_FILE_BYTES)
            ))),
            Err(error) => {
                return Err(format!(
                    "cannot read the repository's {name}: {}",
                    crate::gitlab::reason(&error)
                ));
            }
        }
    }
    Ok((files, problems))
}

/// Changed-files scans of up to this many files download the files one by
/// one; larger ones take the archive.
const MAX_FILES_ONE_BY_ONE: usize = 500;

impl GitLabSource {
    /// The files of a changed-files scan, one request each at the branch head.
    async fn fetch_files(
        &self,
        repository: &Repository,
        branch: &str,
        paths: &[String],
    ) -> Result<FetchedSource, String> {
        let client = crate::gitlab::repository_client(&self.store, repository).await?;
        let project = crate::gitlab::project_id(repository)?;
        let (mut source, skipped) =
            crate::merge_requests::download(&client, project, branch, paths).await?;
        // The files that could not be fetched are diagnostics of the scan.
        let (files, mut problems) = repo_files(&client, project, branch).await?;
        problems.extend(skipped);
        source.config = Some((files, problems));
        Ok(source)
    }
}

impl SourceFetcher for GitLabSource {
    fn fetch<'a>(
        &'a self,
        repository: &'a Repository,
        branch: &'a str,
        scope: &'a ScanScope,
    ) -> BoxFuture<'a, Result<FetchedSource, String>> {
        Box::pin(async move {
            match scope {
                ScanScope::Paths(paths) if paths.len() <= MAX_FILES_ONE_BY_ONE => {
                    self.fetch_files(repository, branch, paths).await
                }
                _ => self.fetch_archive(repository, branch).await,
            }
        })
    }
}
