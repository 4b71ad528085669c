//! Keeping the advisory store current: [`sync`] downloads osv.dev's
//! per-ecosystem archives (`BASE/<Ecosystem>/all.zip`) with
//! `If-None-Match` / `If-Modified-Since`, keeps the last good archive of
//! each ecosystem under `DATA_DIR/vulndb/archives/`, and rebuilds the store
//! from them when one changed; [`rematch`] then matches every repository's
//! stored dependency graph against the new store, so advisories published
//! after a scan become issues without downloading the code again. The
//! scheduler queues both once a day (`vulndb` jobs, [`run_job`]); `vigil
//! vulndb sync` runs [`sync`] by hand.
//!
//! An archive that fails (404, 500, garbage, too slow, too big) is a
//! warning naming it; its previous copy, and so the previous advisories of
//! that ecosystem, stay in use. The store is replaced by rename only once
//! complete (`vigil_sca::store::Store::write`).

use std::collections::BTreeMap;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use vigil_pipeline::Verdict;
use vigil_sca::store::{
    Importer, SourceState, Store as AdvisoryStore, StoreError as AdvisoryError,
};
use vigil_store::{Queue, Store};

use crate::payloads::{JobError, JobPayload};

/// Largest archive downloaded (osv.dev's largest, npm, is a few hundred MB).
const MAX_ARCHIVE_BYTES: u64 = 2 * 1024 * 1024 * 1024;

/// osv.dev's public bucket.
pub const DEFAULT_URL: &str = "https://osv-vulnerabilities.storage.googleapis.com";

/// Every ecosystem Vigil reads, as OSV names them.
pub fn all_ecosystems() -> Vec<String> {
    vigil_sca::Ecosystem::ALL.iter().map(|ecosystem| ecosystem.osv_name().to_owned()).collect()
}

/// Where and what to download.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncOptions {
    /// `BASE` of `BASE/<Ecosystem>/all.zip`.
    pub url: String,
    /// Ecosystems, as OSV names them.
    pub ecosystems: Vec<String>,
    /// Seconds one archive may take to download.
    pub timeout_secs: u64,
}

impl Default for SyncOptions {
    fn default() -> Self {
        SyncOptions { url: DEFAULT_URL.to_owned(), ecosystems: all_ecosystems(), timeout_secs: 600 }
    }
}

/// Why a sync could not run at all (one archive failing is not this: it
/// is a warning in [`SyncReport::failed`]).
#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    /// The data directory cannot be written.
    #[error("cannot write {path}: {source}")]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// The HTTP client cannot be built (TLS roots, say).
    #[error("cannot build the HTTP client: {0}")]
    Client(String),
    /// The new store cannot be written.
    #[error(transparent)]
    Store(#[from] AdvisoryError),
}

/// What a sync did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SyncReport {
    /// Ecosystems whose archive was downloaded anew.
    pub downloaded: Vec<String>,
    /// Ecosystems the server said had not changed.
    pub unchanged: Vec<String>,
    /// Ecosystems whose download failed, with the reason; their previous
    /// archive (if any) stays in use.
    pub failed: Vec<(String, String)>,
    /// Advisories the rebuilt store holds; `None` when nothing changed and
    /// the store was kept.
    pub advisories: Option<usize>,
    /// Problems met reading the archives (at most 20).
    pub problems: Vec<String>,
}

/// What happened to one archive.
enum Fetched {
    /// A new archive is in place.
    New(SourceState),
    /// The server said it has not changed.
    Unchanged,
}

/// Downloads the archives that changed and rebuilds the store under
/// `data_dir` from them; `progress` hears one line per archive as it goes.
pub async fn sync(
    data_dir: &Path,
    options: &SyncOptions,
    progress: &mut (dyn FnMut(String) + Send),
) -> Result<SyncReport, SyncError> {
    let archives = data_dir.join(vigil_sca::store::STORE_DIR).join("archives");
    std::fs::create_dir_all(&archives)
        .map_err(|source| SyncError::Io { path: archives.clone(), source })?;
    let previous = match AdvisoryStore::open(data_dir) {
        Ok(store) => Some(store),
        Err(AdvisoryError::Missing(_)) => None,
        Err(error) => {
            progress(format!("warning: {error}; it is rebuilt from the archives"));
            None
        }
    };
    let mut sources: BTreeMap<String, SourceState> = previous
        .as_ref()
        .and_then(|store| store.header.as_ref())
        .map(|header| header.sources.clone())
        .unwrap_or_default();
    let client = reqwest::Client::builder()
        .connect_timeout(Duration::from_secs(10))
        .timeout(Duration::from_secs(options.timeout_secs))
        .redirect(reqwest::redirect::Policy::limited(5))
        .user_agent(concat!("vigil/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|error| SyncError::Client(error.to_string()))?;
    let base = options.url.trim_end_matches('/');
    let mut report = SyncReport::default();
    for ecosystem in &options.ecosystems {
        let url = format!("{base}/{ecosystem}/all.zip");
        let key = format!("osv:{ecosystem}");
        let file = archives.join(format!("{ecosystem}.zip"));
        let known = if file.is_file() { sources.get(&key).cloned() } else { None };
        match fetch(&client, &url, &file, known.as_ref()).await {
            Ok(Fetched::New(state)) => {
                progress(format!("{ecosystem}: downloaded a new archive"));
                sources.insert(key, state);
                report.downloaded.push(ecosystem.clone());
            }
            Ok(Fetched::Unchanged) => {
                progress(format!("{ecosystem}: unchanged"));
                report.unchanged.push(ecosystem.clone());
            }
            Err(error) => {
                let kept = if file.is_file() {
                    "the previous archive stays in use"
                } else {
                    "no advisories of it yet"
                };
                progress(format!("warning: {ecosystem}: {error}; {kept}"));
                report.failed.push((ecosystem.clone(), error));
            }
        }
    }
    if report.downloaded.is_empty() && previous.is_some() {
        return Ok(report);
    }
    // Rebuild: every advisory of an ecosystem that has an archive comes
    // from the archive (so withdrawn ones disappear); the others (imported
    // from directories) are kept.
    let synced: Vec<vigil_sca::Ecosystem> = options
        .ecosystems
        .iter()
        .filter(|name| archives.join(format!("{name}.zip")).is_file())
        .filter_map(|name| vigil_sca::Ecosystem::from_osv(name))
        .collect();
    let mut importer = Importer::default();
    if let Some(store) = &previous {
        let kept: Vec<_> = store
            .advisories()
            .iter()
            .filter(|advisory| {
                !advisory.affected.iter().all(|affected| synced.contains(&affected.ecosystem))
            })
            .cloned()
            .collect();
        importer = Importer::on_top_of(&AdvisoryStore::from_advisories(kept));
    }
    for ecosystem in &options.ecosystems {
        let file = archives.join(format!("{ecosystem}.zip"));
        if !file.is_file() {
            continue;
        }
        let opened = std::fs::File::open(&file);
        let result = match opened {
            Ok(reader) => importer
                .import_zip(&format!("{ecosystem}/all.zip"), reader)
                .map_err(|error| error.to_string()),
            Err(error) => Err(format!("cannot open {}: {error}", file.display())),
        };
        if let Err(error) = result {
            progress(format!("warning: {error}"));
            report.problems.push(error);
        }
    }
    let (advisories, imported) = importer.finish();
    for problem in imported.problems.iter().take(20) {
        progress(format!("warning: {problem}"));
        report.problems.push(problem.to_string());
    }
    let path =
        AdvisoryStore::write(data_dir, &advisories, sources, &jiff::Timestamp::now().to_string())?;
    progress(format!("The store {} holds {} advisories.", path.display(), advisories.len()));
    report.advisories = Some(advisories.len());
    Ok(report)
}

/// Downloads `url` into `file` (through a partial file renamed at the end)
/// unless the server says the copy described by `known` is current.
async fn fetch(
    client: &reqwest::Client,
    url: &str,
    file: &Path,
    known: Option<&SourceState>,
) -> Result<Fetched, String> {
    let mut request = client.get(url);
    if let Some(known) = known {
        if let Some(etag) = &known.etag {
            request = request.header(reqwest::header::IF_NONE_MATCH, etag);
        }
        if let Some(date) = &known.last_modified {
            request = request.header(reqwest::header::IF_MODIFIED_SINCE, date);
        }
    }
    let mut response =
        request.send().await.map_err(|error| format!("cannot reach {url}: {error}"))?;
    let status = response.status();
    if status == reqwest::StatusCode::NOT_MODIFIED && known.is_some() {
        return Ok(Fetched::Unchanged);
    }
    if !status.is_success() {
        return Err(format!("{url} answered {status}"));
    }
    let too_big = || format!("{url} is larger than {MAX_ARCHIVE_BYTES} bytes");
    if response.content_length().is_some_and(|length| length > MAX_ARCHIVE_BYTES) {
        return Err(too_big());
    }
    let header = |name: reqwest::header::HeaderName| {
        response.headers().get(name).and_then(|value| value.to_str().ok()).map(str::to_owned)
    };
    let state = SourceState {
        advisories: 0,
        etag: header(reqwest::header::ETAG),
        last_modified: header(reqwest::header::LAST_MODIFIED),
    };
    let partial: PathBuf = file.with_extension("zip.partial");
    let io = |error: std::io::Error| format!("{}: {error}", partial.display());
    let result: Result<(), String> = async {
        let mut out = std::fs::File::create(&partial).map_err(io)?;
        let mut written: u64 = 0;
        while let Some(chunk) = response
            .chunk()
            .await
            .map_err(|error| format!("{url}: the download broke off: {error}"))?
        {
            written += chunk.len() as u64;
            if written > MAX_ARCHIVE_BYTES {
                return Err(too_big());
            }
            out.write_all(&chunk).map_err(io)?;
        }
        out.sync_all().map_err(io)?;
        // Refuse what is not a zip archive before it replaces a good one.
        let check = std::fs::File::open(&partial).map_err(io)?;
        vigil_sca::store::check_zip(check).map_err(|error| format!("{url}: {error}"))?;
        std::fs::rename(&partial, file).map_err(io)?;
        Ok(())
    }
    .await;
    if result.is_err() {
        let _ = std::fs::remove_file(&partial);
    }
    result.map(|()| Fetched::New(state))
}

/// The daily job: sync (when the server has a URL to sync from), reload
/// the store, and match every stored dependency graph against it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VulndbJob {
    /// Where to download from; `None` only re-matches (after `vigil vulndb
    /// import` into the server's data directory, say).
    pub sync: Option<SyncOptions>,
    /// Where to ask about the packages of the stored graphs for the
    /// package-metadata cache (operational risk, registry licenses);
    /// `None` asks nobody.
    #[serde(default)]
    pub metadata: Option<MetadataSources>,
}

/// The registries the daily job asks (`crate::metadata`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MetadataSources {
    /// npm registry.
    pub npm: String,
    /// PyPI's JSON API.
    pub pypi: String,
    /// The crates.io sparse index.
    pub crates_index: String,
    /// crates.io downloads (crate licenses); jobs queued by an older build
    /// have none and take the default.
    #[serde(default = "crates_download_url")]
    pub crates_download: String,
}

fn crates_download_url() -> String {
    crate::metadata::CRATES_DOWNLOAD_URL.to_owned()
}

impl Default for MetadataSources {
    fn default() -> Self {
        MetadataSources {
            npm: crate::metadata::NPM_URL.to_owned(),
            pypi: crate::metadata::PYPI_URL.to_owned(),
            crates_index: crate::metadata::CRATES_INDEX_URL.to_owned(),
            crates_download: crates_download_url(),
        }
    }
}

impl JobPayload for VulndbJob {
    const KIND: &'static str = "vulndb";
}

/// What a re-match did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RematchReport {
    /// Stored lockfile graphs matched.
    pub graphs: usize,
    /// Issues opened for advisories the graphs' last scans did not know.
    pub new_issues: u64,
    /// Open issues whose advisory changed (severity, fixed versions).
    pub updated: u64,
}

/// Runs a [`VulndbJob`].
pub async fn run_job(store: &Store, data_dir: &Path, job: &VulndbJob) -> Result<(), JobError> {
    if let Some(options) = &job.sync {
        let mut lines = |line: String| tracing::info!(target: "vigil::vulndb", "{line}");
        let report = sync(data_dir, options, &mut lines)
            .await
            .map_err(|error| JobError::Retry(format!("advisory sync: {error}")))?;
        if !report.failed.is_empty() {
            tracing::warn!(failed = report.failed.len(), "some advisory archives were not updated");
        }
    }
    if let Some(sources) = &job.metadata {
        fetch_metadata(store, data_dir, sources).await.map_err(JobError::Retry)?;
    }
    // A store that cannot be opened leaves the one in use in place.
    let advisories = match AdvisoryStore::open(data_dir) {
        Ok(opened) => Arc::new(opened),
        Err(AdvisoryError::Missing(_)) => {
            tracing::info!("no advisory store yet: nothing to match");
            return Ok(());
        }
        Err(error) => return Err(JobError::Retry(format!("advisory store: {error}"))),
    };
    vigil_sca::engine::use_store(advisories.clone());
    // The cache as the fetch left it (or as `vigil metadata fetch` did).
    let metadata = Arc::new(vigil_sca::metadata_cache::MetadataCache::open(
        &vigil_sca::metadata_cache::MetadataCache::dir(data_dir),
    ));
    let metadata = (!metadata.is_empty()).then_some(metadata);
    let report = rematch(store, advisories, metadata).await.map_err(JobError::Retry)?;
    tracing::info!(
        graphs = report.graphs,
        new_issues = report.new_issues,
        updated = report.updated,
        "stored dependency graphs matched against the advisory store"
    );
    Ok(())
}

/// The stored dependency graphs, a page of 100 at a time, in the store's
/// order.
#[derive(Default)]
struct GraphPages {
    after: Option<(i64, String, String)>,
}

impl GraphPages {
    /// The next page; `None` after the last.
    async fn next(
        &mut self,
        store: &Store,
    ) -> Result<Option<Vec<vigil_store::StoredGraph>>, String> {
        let page = store
            .dependency_graphs(self.after.as_ref(), 100)
            .await
            .map_err(|error| error.to_string())?;
        let Some(last) = page.last() else { return Ok(None) };
        self.after = Some(last.key());
        Ok(Some(page))
    }
}

/// Asks the registries about every package of the stored graphs that the
/// metadata cache does not hold fresh, then has scans read the new cache.
pub async fn fetch_metadata(
    store: &Store,
    data_dir: &Path,
    sources: &MetadataSources,
) -> Result<(), String> {
    let mut packages = crate::metadata::Packages::default();
    let mut pages = GraphPages::default();
    while let Some(page) = pages.next(store).await? {
        for stored in page {
            // A graph that cannot be read is the re-match's to report.
            if let Ok(graph) = serde_json::from_str::<vigil_sca::graph::Graph>(&stored.graph) {
                packages.add(&graph);
            }
        }
    }
    let options = crate::metadata::FetchOptions {
        npm: sources.npm.clone(),
        pypi: sources.pypi.clone(),
        crates_index: sources.crates_index.clone(),
        crates_download: sources.crates_download.clone(),
        ..crate::metadata::FetchOptions::default()
    };
    let mut lines = |line: String| tracing::info!(target: "vigil::metadata", "{line}");
    let report = crate::metadata::fetch(data_dir, &packages, &options, &mut lines)
        .await
        .map_err(|error| format!("package metadata: {error}"))?;
    if !report.failed.is_empty() {
        tracing::warn!(
            failed = report.failed.len(),
            first = %report.failed[0],
            "some packages' registry metadata was not fetched"
        );
    }
    vigil_sca::engine::reload_metadata();
    Ok(())
}

/// Matches every stored dependency graph against `advisories` (and judges
/// its operational risk from `metadata`, if given) and records what is new,
/// a page of graphs at a time.
pub async fn rematch(
    store: &Store,
    advisories: Arc<AdvisoryStore>,
    metadata: Option<Arc<vigil_sca::metadata_cache::MetadataCache>>,
) -> Result<RematchReport, String> {
    let mut report = RematchReport::default();
    let mut pages = GraphPages::default();
    while let Some(page) = pages.next(store).await? {
        for graph in page {
            report.graphs += 1;
            let (advisories, metadata) = (advisories.clone(), metadata.clone());
            let (data, verdict) = (graph.graph, graph.verdict);
            // Judged as the scan that kept the graph judged its findings:
            // its kinds, the rules it switched off, its severities, its baseline.
            let matched = tokio::task::spawn_blocking(move || {
                let verdict: Verdict = serde_json::from_str(&verdict)
                    .map_err(|error| format!("the stored verdict cannot be read: {error}"))?;
                let findings = vigil_sca::engine::rematch(&advisories, metadata, &data)?;
                Ok::<_, String>(verdict.apply(findings).0)
            })
            .await
            .map_err(|error| format!("the matching task failed: {error}"))?;
            let findings = match matched {
                Ok(findings) => findings,
                Err(error) => {
                    tracing::warn!(
                        repository = graph.repository_id,
                        path = %graph.path,
                        "stored dependency graph not matched: {error}"
                    );
                    continue;
                }
            };
            let counts = store
                .record_matches(
                    graph.repository_id,
                    &graph.branch,
                    &graph.path,
                    &findings,
                    Queue::now_ms(),
                )
                .await
                .map_err(|error| error.to_string())?;
            report.new_issues += counts.new_issues;
            report.updated += counts.updated;
        }
    }
    Ok(report)
}
