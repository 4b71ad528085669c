//! `GitLabSource`: the production [`SourceFetcher`]. It downloads the
//! repository's archive at the branch head from the repository's instance
//! with the instance's access token (decrypted only for the call) and
//! unpacks it into a temporary directory that lives as long as the scan.

use vigil_gitlab::ArchiveLimits;
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
        let project = u64::try_from(repository.gitlab_project_id)
            .map_err(|_| "negative project id".to_owned())?;
        let unpacked = client
            .download_archive(project, branch, directory.path(), self.limits)
            .await
            .map_err(|error| format!("repository {}: {error}", repository.path))?;
        for skipped in &unpacked.skipped {
            tracing::warn!(repository = %repository.path, entry = %skipped, "archive entry not unpacked");
        }
        Ok(FetchedSource { root: unpacked.root, commit_sha: None, guard: Some(directory) })
    }
}

impl SourceFetcher for GitLabSource {
    fn fetch<'a>(
        &'a self,
        repository: &'a Repository,
        branch: &'a str,
        _scope: &'a ScanScope,
    ) -> BoxFuture<'a, Result<FetchedSource, String>> {
        Box::pin(self.fetch_archive(repository, branch))
    }
}
