//! `GitLabSource`: the production [`SourceFetcher`], with the instance's
//! access token (decrypted only for the call). A changed-files scan
//! downloads those files at the branch head (up to 500, one request each);
//! a full scan downloads the repository's archive at the branch head and
//! unpacks it. Either way into a temporary directory that lives as long as
//! the scan. A changed-files scan and a merge request's scan both go through
//! [`fetch_changed`]: the files and, at the same time, the repository's
//! configuration files at that commit ([`repo_files`]).

use std::path::{Component, Path};

use vigil_core::{Diagnostic, DiagnosticLevel};
use vigil_gitlab::{ArchiveLimits, Client, GitLabError};
use vigil_pipeline::{
    CONFIG_FILE, MAX_CONFIG_FILE_BYTES, MAX_POLICY_FILES, RepoFiles, iac_policy_dir,
};
use vigil_store::{Repository, ScanScope, Store};

use crate::payloads::JobError;
use crate::scanning::{BoxFuture, FetchedSource, SourceFetcher};

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
    ) -> Result<FetchedSource, JobError> {
        let client = crate::gitlab::repository_client(&self.store, repository).await?;
        let directory = tempfile::Builder::new()
            .prefix("vigil-scan-")
            .tempdir()
            .map_err(|error| format!("cannot create a scan directory: {error}"))?;
        let project = crate::gitlab::project_id(repository)?;
        let unpacked = client
            .download_archive(project, branch, directory.path(), self.limits)
            .await
            .map_err(|error| {
                let message = format!("repository {}: {error}", repository.path);
                match error {
                    // The same archive would break the same limit again.
                    GitLabError::TooLarge { .. } | GitLabError::Local { .. } => {
                        JobError::Permanent(message)
                    }
                    // GitLab's archive limit (5 a minute per project): not a
                    // failure; the job waits in the queue, not in a worker,
                    // and keeps its attempts.
                    GitLabError::RateLimited { retry_after_s, .. } => JobError::Wait {
                        reason: message,
                        after_ms: i64::try_from(retry_after_s.saturating_mul(1000))
                            .unwrap_or(i64::MAX),
                    },
                    _ => JobError::Retry(message),
                }
            })?;
        if unpacked.skipped_total > 0 {
            // One line per archive, however many entries: a hostile archive
            // of 150,000 links must not become 150,000 log lines.
            tracing::warn!(
                repository = %repository.path,
                skipped = unpacked.skipped_total,
                first = unpacked.skipped.first().map_or("", String::as_str),
                "archive entries not unpacked; the scan lists the first {}",
                vigil_gitlab::MAX_SKIP_NOTES
            );
        }
        let mut skipped: Vec<Diagnostic> =
            unpacked.skipped.iter().map(|note| archive_note(note)).collect();
        let unlisted = unpacked.skipped_total.saturating_sub(unpacked.skipped.len() as u64);
        if unlisted > 0 {
            skipped.push(archive_note(&format!(
                "{unlisted} more archive entries were skipped for the same kinds of reasons"
            )));
        }
        Ok(FetchedSource {
            root: unpacked.root,
            commit_sha: None,
            guard: Some(directory),
            config: None,
            skipped,
        })
    }
}

/// A warning of the scan about the archive (an entry not unpacked).
fn archive_note(note: &str) -> Diagnostic {
    Diagnostic {
        level: DiagnosticLevel::Warning,
        path: None,
        line: None,
        column: None,
        message: format!("archive: {note}"),
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
    // All at once: each is usually a 404, and an MR's feedback waits on them.
    let names: Vec<String> = RepoFiles::names().into_iter().map(str::to_owned).collect();
    let fetched = config_texts(client, project, git_ref, names, true, "configuration file").await?;
    for (name, text) in fetched {
        match text {
            Ok(Some(text)) => files.insert(&name, &name, text),
            Ok(None) => {}
            Err(problem) => problems.push(problem),
        }
    }
    let policy_dir = files.get(CONFIG_FILE).and_then(|file| iac_policy_dir(&file.text));
    if let Some(dir) = policy_dir {
        problems.extend(policy_files(client, project, git_ref, &dir, &mut files).await?);
    }
    Ok((files, problems))
}

/// The repository's own Checkov policies (`[iac] policies = "dir"` of its
/// `vigil.toml`) at `git_ref`, as a full scan reads them from the tree:
/// `*.yaml` and `*.yml` at most three directories below `dir`, at most
/// [`MAX_POLICY_FILES`], each at most [`MAX_CONFIG_FILE_BYTES`].
async fn policy_files(
    client: &Client,
    project: u64,
    git_ref: &str,
    dir: &str,
    files: &mut RepoFiles,
) -> Result<Vec<Diagnostic>, String> {
    let mut problems = Vec::new();
    let problem =
        |message: String| Diagnostic::for_file(DiagnosticLevel::Error, CONFIG_FILE, message);
    let dir = dir.trim_matches('/');
    let plain = Path::new(dir).components().all(|part| matches!(part, Component::Normal(_)));
    if dir.is_empty() || !plain {
        problems.push(problem(format!(
            "[iac] policies: `{dir}` is not a directory inside the repository"
        )));
        return Ok(problems);
    }
    let entries = match client.repository_tree(project, dir, git_ref).await {
        Ok(entries) => entries,
        Err(GitLabError::Api { status: 404, .. }) => {
            problems.push(problem(format!(
                "[iac] policies: `{dir}` is not a directory inside the repository"
            )));
            return Ok(problems);
        }
        Err(error) => {
            return Err(format!(
                "cannot list the repository's IaC policies in {dir}: {}",
                crate::gitlab::reason(&error)
            ));
        }
    };
    let prefix = format!("{dir}/");
    let mut wanted: Vec<String> = entries
        .into_iter()
        .filter(|entry| entry.kind == "blob")
        .filter_map(|entry| {
            let relative = entry.path.strip_prefix(&prefix)?.to_owned();
            let yaml = relative.ends_with(".yaml") || relative.ends_with(".yml");
            (yaml && relative.matches('/').count() <= 3).then_some(relative)
        })
        .collect();
    wanted.sort();
    if wanted.len() > MAX_POLICY_FILES {
        problems.push(Diagnostic::for_file(
            DiagnosticLevel::Error,
            dir,
            format!(
                "IaC policies: {} files, only the first {MAX_POLICY_FILES} are read",
                wanted.len()
            ),
        ));
        wanted.truncate(MAX_POLICY_FILES);
    }
    let paths: Vec<String> = wanted.iter().map(|relative| format!("{prefix}{relative}")).collect();
    let fetched = config_texts(client, project, git_ref, paths, false, "IaC policy").await?;
    for ((path, text), relative) in fetched.into_iter().zip(&wanted) {
        match text {
            Ok(Some(text)) => files.insert_policy_file(relative, &path, text),
            Ok(None) => {}
            Err(problem) => problems.push(problem),
        }
    }
    Ok(problems)
}

/// Downloads `paths` at `git_ref` all at once, as configuration files
/// (at most [`MAX_CONFIG_FILE_BYTES`], UTF-8), in the order given: the text;
/// `None` for a file the ref does not have when `missing_ok`; a problem
/// naming the file when it is too large or not text. Any other failure
/// fails the fetch, naming the `what` it was.
async fn config_texts(
    client: &Client,
    project: u64,
    git_ref: &str,
    paths: Vec<String>,
    missing_ok: bool,
    what: &str,
) -> Result<Vec<(String, Result<Option<String>, Diagnostic>)>, String> {
    let mut requests = tokio::task::JoinSet::new();
    for (index, path) in paths.into_iter().enumerate() {
        let (client, git_ref) = (client.clone(), git_ref.to_owned());
        requests.spawn(async move {
            let answer = client.raw_file(project, &path, &git_ref, MAX_CONFIG_FILE_BYTES).await;
            (index, path, answer)
        });
    }
    let mut answers = Vec::new();
    while let Some(joined) = requests.join_next().await {
        answers.push(joined.map_err(|error| format!("{what} download failed: {error}"))?);
    }
    answers.sort_by_key(|(index, ..)| *index);
    let mut texts = Vec::new();
    for (_, path, answer) in answers {
        let problem = |message: String| {
            Diagnostic::for_file(
                DiagnosticLevel::Error,
                path.as_str(),
                format!("not read: {message}"),
            )
        };
        let text = match answer {
            Ok(bytes) => String::from_utf8(bytes).map(Some).map_err(|error| {
                problem(format!(
                    "not UTF-8 text (invalid byte at offset {})",
                    error.utf8_error().valid_up_to()
                ))
            }),
            Err(GitLabError::Api { status: 404, .. }) if missing_ok => Ok(None),
            Err(GitLabError::TooLarge { .. }) => Err(problem(format!(
                "over the {} limit for configuration files",
                vigil_scanner::human_bytes(MAX_CONFIG_FILE_BYTES)
            ))),
            Err(error) => {
                return Err(format!(
                    "cannot read the repository's {what} {path}: {}",
                    crate::gitlab::reason(&error)
                ));
            }
        };
        texts.push((path, text));
    }
    Ok(texts)
}

/// Largest file fetched one by one (larger ones are skipped and named).
const MAX_FILE_BYTES: u64 = 10_000_000;
/// Concurrent file downloads per scan.
const DOWNLOADS: usize = 8;

/// The files `paths` at `git_ref` with the repository's configuration
/// files there (for a merge request: at its head, so its own settings
/// decide), fetched at the same time.
pub(crate) async fn fetch_changed(
    client: &Client,
    project: u64,
    git_ref: &str,
    paths: &[String],
) -> Result<FetchedSource, String> {
    let (downloaded, config) = tokio::join!(
        download(client, project, git_ref, paths),
        repo_files(client, project, git_ref)
    );
    let mut source = downloaded?;
    source.config = Some(config?);
    Ok(source)
}

/// Downloads `paths` at `git_ref` into a temporary directory; files too
/// large are skipped and named, files the ref does not have (deleted) are
/// skipped.
async fn download(
    client: &Client,
    project: u64,
    sha: &str,
    paths: &[String],
) -> Result<FetchedSource, String> {
    let directory = tempfile::Builder::new()
        .prefix("vigil-mr-")
        .tempdir()
        .map_err(|error| format!("cannot create a scan directory: {error}"))?;
    let mut skipped = Vec::new();
    // DOWNLOADS requests in flight at all times (a new one starts as soon as
    // one ends), each file written as it arrives.
    let mut tasks = tokio::task::JoinSet::new();
    let mut pending = paths.iter();
    loop {
        while tasks.len() < DOWNLOADS {
            let Some(path) = pending.next() else { break };
            let (client, path, sha) = (client.clone(), path.clone(), sha.to_owned());
            tasks.spawn(async move {
                let result = client.raw_file(project, &path, &sha, MAX_FILE_BYTES).await;
                (path, result)
            });
        }
        let Some(joined) = tasks.join_next().await else { break };
        let (path, result) = joined.map_err(|error| format!("download task failed: {error}"))?;
        match result {
            Ok(bytes) => write_relative(directory.path(), &path, &bytes)?,
            // Not in this commit: deleted.
            Err(vigil_gitlab::GitLabError::Api { status: 404, .. }) => {}
            Err(error) => skipped.push(Diagnostic::for_file(
                DiagnosticLevel::Warning,
                path,
                format!("not scanned: {}", crate::gitlab::reason(&error)),
            )),
        }
    }
    let root = directory.path().to_path_buf();
    Ok(FetchedSource {
        root,
        commit_sha: Some(sha.to_owned()),
        guard: Some(directory),
        config: None,
        skipped,
    })
}

/// Writes `bytes` at repository path `path` under `root`; a path that would
/// leave `root` (absolute, `..`) is refused.
fn write_relative(root: &Path, path: &str, bytes: &[u8]) -> Result<(), String> {
    let relative = Path::new(path);
    if relative.components().any(|component| !matches!(component, Component::Normal(_))) {
        return Err(format!("{path}: refused: the path leaves the repository"));
    }
    let target = root.join(relative);
    if let Some(parent) = target.parent() {
        std::fs::create_dir_all(parent).map_err(|error| format!("{path}: {error}"))?;
    }
    std::fs::write(&target, bytes).map_err(|error| format!("{path}: {error}"))
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
        fetch_changed(&client, project, branch, paths).await
    }
}

impl SourceFetcher for GitLabSource {
    fn fetch<'a>(
        &'a self,
        repository: &'a Repository,
        branch: &'a str,
        scope: &'a ScanScope,
    ) -> BoxFuture<'a, Result<FetchedSource, JobError>> {
        Box::pin(async move {
            match scope {
                ScanScope::Paths(paths) if paths.len() <= MAX_FILES_ONE_BY_ONE => {
                    Ok(self.fetch_files(repository, branch, paths).await?)
                }
                _ => self.fetch_archive(repository, branch).await,
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_that_leave_the_directory_are_refused() {
        let directory = tempfile::tempdir().unwrap();
        for hostile in ["../x", "/etc/passwd", "a/../../x", "./a"] {
            let error = write_relative(directory.path(), hostile, b"x").unwrap_err();
            assert!(error.contains("leaves the repository"), "{hostile}: {error}");
        }
        write_relative(directory.path(), "deep/er/file.env", b"x").unwrap();
        assert!(directory.path().join("deep/er/file.env").is_file());
    }
}
