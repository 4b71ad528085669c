//! Filling the package-metadata cache (`DATA_DIR/metadata/`) from the
//! registries' public APIs, for the dependency engine's operational-risk
//! findings (SCA005) and the license engine: npm's registry documents,
//! PyPI's JSON API and the crates.io sparse index, and, since that index
//! has no licenses, the first kilobytes of each pinned crate version's
//! download for its `Cargo.toml` license (downloads never change, so each
//! is read once). [`fetch`] asks only for what the cache does not hold
//! fresh, parses each answer with `vigil_sca::registry`, and writes the
//! cache once, by rename. `vigil metadata fetch` runs it by hand.
//!
//! Every answer is hostile until parsed: bounded in size (the parsers'
//! limits), in time (a timeout per request) and in count (at most
//! `max_packages` packages, `max_attempts` tries each, `deadline_secs` for
//! the whole run, and a registry that leaves 10 requests in a row
//! unanswered is not asked again in the run). Redirects are not followed.
//! A 429 or 503 pauses every request to that registry for its
//! `Retry-After` (capped), so a throttled registry gets no retry storm. A
//! package whose answer is 404, malformed or late is left out with the
//! reason; nothing already in the cache is lost.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicI64, AtomicU32, Ordering};
use std::time::Duration;

use futures::StreamExt as _;
use vigil_sca::Ecosystem;
use vigil_sca::graph::Graph;
use vigil_sca::metadata_cache::{Lookup, MetadataCache};
use vigil_sca::registry::crate_archive::{self, CrateLicense, Progress};
use vigil_sca::registry::{MetadataError, PackageMetadata, Registry, crates_index, npm, pypi};
use vigil_store::Queue;

/// npm's public registry.
pub const NPM_URL: &str = "https://registry.npmjs.org";
/// PyPI's JSON API (`BASE/<name>/json`).
pub const PYPI_URL: &str = "https://pypi.org/pypi";
/// The crates.io sparse index.
pub const CRATES_INDEX_URL: &str = "https://index.crates.io";
/// Where crates.io serves crate downloads (`BASE/<name>/<name>-<version>.crate`).
pub const CRATES_DOWNLOAD_URL: &str = "https://static.crates.io/crates";

/// Where to ask and how patiently.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FetchOptions {
    /// npm registry base URL.
    pub npm: String,
    /// PyPI JSON API base URL.
    pub pypi: String,
    /// crates.io sparse index base URL.
    pub crates_index: String,
    /// crates.io download base URL.
    pub crates_download: String,
    /// Seconds one request may take.
    pub timeout_secs: u64,
    /// Requests in flight at once.
    pub concurrency: usize,
    /// Most packages asked for in one run.
    pub max_packages: usize,
    /// Tries per package (a 429, a 5xx or a broken connection is tried again).
    pub max_attempts: u32,
    /// The longest `Retry-After` honoured, in seconds.
    pub max_retry_after_secs: u64,
    /// Cached metadata younger than this is not asked for again.
    pub ttl_seconds: i64,
    /// Seconds the whole run may take; packages not asked by then are
    /// left out with that reason.
    pub deadline_secs: u64,
}

impl Default for FetchOptions {
    fn default() -> Self {
        FetchOptions {
            npm: NPM_URL.to_owned(),
            pypi: PYPI_URL.to_owned(),
            crates_index: CRATES_INDEX_URL.to_owned(),
            crates_download: CRATES_DOWNLOAD_URL.to_owned(),
            timeout_secs: 20,
            concurrency: 8,
            max_packages: 10_000,
            max_attempts: 3,
            max_retry_after_secs: 60,
            ttl_seconds: vigil_sca::engine::METADATA_TTL_SECONDS,
            deadline_secs: 900,
        }
    }
}

/// What a run did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct FetchReport {
    /// Packages whose metadata was fetched and cached.
    pub fetched: usize,
    /// Crate versions whose license was read from their download.
    pub licenses_read: usize,
    /// Packages the cache already held fresh.
    pub fresh: usize,
    /// Packages the registry does not know (404, 410).
    pub not_found: usize,
    /// Packages left out, each with why.
    pub failed: Vec<String>,
    /// Packages of ecosystems no registry is read for, per ecosystem.
    pub unsupported: BTreeMap<String, usize>,
    /// Packages (and crate downloads) beyond `max_packages`, not asked for.
    pub over_limit: usize,
}

/// Why a run could not happen at all.
#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    /// The HTTP client could not be built.
    #[error("cannot prepare the HTTP client: {0}")]
    Client(String),
    /// The cache could not be written.
    #[error("{0}")]
    Cache(#[from] vigil_sca::metadata_cache::CacheError),
}

/// The registry read for an ecosystem, if any.
fn registry_of(ecosystem: Ecosystem) -> Option<Registry> {
    match ecosystem {
        Ecosystem::Npm => Some(Registry::Npm),
        Ecosystem::PyPI => Some(Registry::PyPI),
        Ecosystem::CratesIo => Some(Registry::CratesIndex),
        _ => None,
    }
}

/// The packages to ask about: each once, by ecosystem and name, with the
/// versions the graphs pin.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Packages(BTreeMap<(Ecosystem, String), BTreeSet<String>>);

impl Packages {
    /// Every package of `graphs`.
    pub fn of(graphs: &[Graph]) -> Packages {
        let mut packages = Packages::default();
        for graph in graphs {
            packages.add(graph);
        }
        packages
    }

    /// Adds the packages of `graph`.
    pub fn add(&mut self, graph: &Graph) {
        for node in &graph.nodes {
            self.0
                .entry((graph.ecosystem, node.name.clone()))
                .or_default()
                .insert(node.version.clone());
        }
    }

    /// How many packages.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// No package.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// The URL of `name`'s metadata at `registry`; `None` for a name that is
/// no package name (empty, `.`, `..`, a control character), which a
/// hostile lockfile could hold.
fn url_of(options: &FetchOptions, registry: Registry, name: &str) -> Option<String> {
    if name.is_empty() || name == "." || name == ".." || name.chars().any(char::is_control) {
        return None;
    }
    Some(match registry {
        Registry::CratesIndex => {
            // Crate names are ASCII letters, digits, `-` and `_`.
            if !name
                .bytes()
                .all(|byte| byte.is_ascii_alphanumeric() || byte == b'-' || byte == b'_')
            {
                return None;
            }
            let lower = name.to_ascii_lowercase();
            let prefix = match lower.len() {
                1 => "1".to_owned(),
                2 => "2".to_owned(),
                3 => format!("3/{}", &lower[..1]),
                _ => format!("{}/{}", &lower[..2], &lower[2..4]),
            };
            format!("{}/{prefix}/{lower}", options.crates_index.trim_end_matches('/'))
        }
        Registry::PyPI => format!("{}/{}/json", options.pypi.trim_end_matches('/'), encode(name)),
        // A scoped name's slash is escaped (`@types%2Fnode`), as npm does.
        _ => format!("{}/{}", options.npm.trim_end_matches('/'), encode(name).replace("%40", "@")),
    })
}

/// The download URL of crate `name` `version`; `None` for a name or
/// version no crate has (a hostile lockfile's).
fn download_url(options: &FetchOptions, name: &str, version: &str) -> Option<String> {
    let crate_name = |text: &str| {
        !text.is_empty()
            && text.bytes().all(|byte| byte.is_ascii_alphanumeric() || byte == b'-' || byte == b'_')
    };
    let semver = |text: &str| {
        !text.is_empty()
            && text.bytes().all(|byte| byte.is_ascii_alphanumeric() || b".-+".contains(&byte))
    };
    if !crate_name(name) || !semver(version) {
        return None;
    }
    Some(format!(
        "{}/{name}/{name}-{}.crate",
        options.crates_download.trim_end_matches('/'),
        encode(version)
    ))
}

/// A path segment: unreserved characters kept, the rest percent-encoded.
fn encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// Unanswered requests in a row after which a registry is not asked again
/// in this run: it is down, or unreachable from here.
const MAX_FAILURES_IN_A_ROW: u32 = 10;

/// What one run knows of one registry's health.
#[derive(Default)]
struct Health {
    /// Until when (ms since the epoch) it asked not to be asked.
    pause_until: AtomicI64,
    /// Requests in a row it did not answer (time-outs, broken
    /// connections, 5xx); an answer resets it.
    failures_in_a_row: AtomicU32,
}

/// Each registry's [`Health`] during a run.
#[derive(Default)]
struct Registries {
    npm: Health,
    pypi: Health,
    crates_index: Health,
    crates_download: Health,
}

impl Registries {
    fn of(&self, registry: Registry) -> &Health {
        match registry {
            Registry::PyPI => &self.pypi,
            Registry::CratesIndex => &self.crates_index,
            Registry::CratesArchive => &self.crates_download,
            _ => &self.npm,
        }
    }
}

/// Fills the cache under `data_dir` with the metadata of `packages` the
/// cache does not hold fresh, and with the license of every pinned crate
/// version it does not know yet; `progress` gets one line now and then.
pub async fn fetch(
    data_dir: &std::path::Path,
    packages: &Packages,
    options: &FetchOptions,
    progress: &mut (dyn FnMut(String) + Send),
) -> Result<FetchReport, FetchError> {
    let mut cache = MetadataCache::open(&MetadataCache::dir(data_dir));
    for problem in cache.problems() {
        progress(format!("warning: {problem}; it is fetched again"));
    }
    let now = Queue::now_ms() / 1000;
    let mut report = FetchReport::default();
    let mut wanted: Vec<(Registry, String)> = Vec::new();
    for (ecosystem, name) in packages.0.keys() {
        let Some(registry) = registry_of(*ecosystem) else {
            *report.unsupported.entry(ecosystem.osv_name().to_owned()).or_default() += 1;
            continue;
        };
        match cache.get(*ecosystem, name, now, options.ttl_seconds) {
            Lookup::Fresh(_) => report.fresh += 1,
            _ if wanted.len() >= options.max_packages => report.over_limit += 1,
            _ => wanted.push((registry, name.clone())),
        }
    }
    let client = reqwest::Client::builder()
        .connect_timeout(Duration::from_secs(options.timeout_secs.min(10)))
        .timeout(Duration::from_secs(options.timeout_secs))
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(concat!("vigil/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|error| FetchError::Client(error.to_string()))?;
    let run = Run {
        client,
        options,
        registries: Registries::default(),
        deadline: std::time::Instant::now() + Duration::from_secs(options.deadline_secs),
    };
    if !wanted.is_empty() {
        progress(format!("Asking the registries for {} packages ...", wanted.len()));
        let results = run
            .all::<_, PackageMetadata>(wanted, |(registry, name)| {
                let url = url_of(options, registry, &name);
                ((registry.ecosystem(), name), registry, url)
            })
            .await;
        for ((ecosystem, name), result) in results {
            match result {
                Ok(mut metadata) => {
                    // What a crate's downloads said still holds.
                    if let Some(old) =
                        cache.get(metadata.ecosystem, &metadata.name, 0, i64::MAX).metadata()
                    {
                        keep_licenses(old, &mut metadata);
                    }
                    cache.insert(metadata);
                    report.fetched += 1;
                }
                // Remembered, so a private package is not asked again
                // until the cache's time to live has passed.
                Err(MetadataError::NotFound { .. }) => {
                    cache.insert(PackageMetadata::unknown_to_registry(
                        ecosystem,
                        &name,
                        Queue::now_ms() / 1000,
                    ));
                    report.not_found += 1;
                }
                Err(error) => report.failed.push(format!("{name}: {error}")),
            }
        }
    }
    let downloads = unread_crate_licenses(&cache, packages, options, &mut report);
    if !downloads.is_empty() {
        progress(format!(
            "Reading the license of {} crate versions from their downloads ...",
            downloads.len()
        ));
        let results = run
            .all::<_, CrateLicense>(downloads, |(name, version)| {
                let url = download_url(options, &name, &version);
                ((name, version), Registry::CratesArchive, url)
            })
            .await;
        for ((name, version), result) in results {
            match result {
                Ok(license) => {
                    if set_license(&mut cache, &name, &version, license) {
                        report.licenses_read += 1;
                    }
                }
                Err(error) => report.failed.push(format!("{name} {version}: {error}")),
            }
        }
    }
    if report.fetched + report.licenses_read + report.not_found > 0 {
        cache.write()?;
    }
    progress(format!(
        "{} fetched, {} already fresh, {} unknown to their registry, {} crate licenses read, {} failed.",
        report.fetched,
        report.fresh,
        report.not_found,
        report.licenses_read,
        report.failed.len()
    ));
    Ok(report)
}

/// Carries the licenses `old` knew per version (read from downloads, which
/// never change) into `new`, a fresh answer of a registry that gives none.
fn keep_licenses(old: &PackageMetadata, new: &mut PackageMetadata) {
    for version in &mut new.versions {
        if version.license.is_none() && version.license_file.is_none() {
            if let Some(known) = old.version(&version.version) {
                version.license.clone_from(&known.license);
                version.license_file.clone_from(&known.license_file);
            }
        }
    }
}

/// The pinned crate versions the index lists whose license the cache does
/// not know, at most `max_packages` (the rest are counted over the limit).
fn unread_crate_licenses(
    cache: &MetadataCache,
    packages: &Packages,
    options: &FetchOptions,
    report: &mut FetchReport,
) -> Vec<(String, String)> {
    let mut downloads = Vec::new();
    for ((ecosystem, name), versions) in &packages.0 {
        if *ecosystem != Ecosystem::CratesIo {
            continue;
        }
        let Some(metadata) = cache.get(*ecosystem, name, 0, i64::MAX).metadata() else {
            continue;
        };
        for version in versions {
            let unread = metadata
                .version(version)
                .is_some_and(|entry| entry.license.is_none() && entry.license_file.is_none());
            if !unread {
                continue;
            }
            if downloads.len() >= options.max_packages {
                report.over_limit += 1;
            } else {
                downloads.push((metadata.name.clone(), version.clone()));
            }
        }
    }
    downloads
}

/// Records what the download of `name` `version` said; false when the
/// cache no longer lists that version.
fn set_license(
    cache: &mut MetadataCache,
    name: &str,
    version: &str,
    license: CrateLicense,
) -> bool {
    let Some(metadata) = cache.get_mut(Ecosystem::CratesIo, name) else { return false };
    let Some(entry) = metadata.versions.iter_mut().find(|entry| entry.version == version) else {
        return false;
    };
    entry.license = license.license;
    entry.license_file = license.license_file;
    true
}

/// One fetch run: its client, its limits and each registry's health.
struct Run<'a> {
    client: reqwest::Client,
    options: &'a FetchOptions,
    registries: Registries,
    deadline: std::time::Instant,
}

/// What one request gives back.
trait Answer: Sized {
    /// Asks `url` and reads the answer as `key` says.
    fn ask(
        client: &reqwest::Client,
        registry: Registry,
        url: &str,
        key: &Self::Key,
    ) -> impl std::future::Future<Output = Result<Self, MetadataError>> + Send;
    /// What the answer is about.
    type Key: Send + Sync;
}

impl Answer for PackageMetadata {
    type Key = (Ecosystem, String);
    async fn ask(
        client: &reqwest::Client,
        registry: Registry,
        url: &str,
        _name: &(Ecosystem, String),
    ) -> Result<PackageMetadata, MetadataError> {
        let bytes = ask(client, registry, url).await?;
        let now = Queue::now_ms() / 1000;
        match registry {
            Registry::PyPI => pypi::parse(&bytes, now),
            Registry::CratesIndex => crates_index::parse(&bytes, now),
            _ => npm::parse(&bytes, now),
        }
    }
}

impl Answer for CrateLicense {
    type Key = (String, String);
    async fn ask(
        client: &reqwest::Client,
        registry: Registry,
        url: &str,
        (name, version): &(String, String),
    ) -> Result<CrateLicense, MetadataError> {
        read_download(client, registry, url, name, version).await
    }
}

impl Run<'_> {
    /// Asks for every item, `concurrency` at a time; `request` names each
    /// item's key, registry and URL (`None`: not a name a registry serves).
    async fn all<I, T>(
        &self,
        items: Vec<I>,
        request: impl Fn(I) -> (T::Key, Registry, Option<String>),
    ) -> Vec<(T::Key, Result<T, MetadataError>)>
    where
        T: Answer,
    {
        futures::stream::iter(items.into_iter().map(|item| {
            let (key, registry, url) = request(item);
            async move {
                let result = match url {
                    Some(url) => self.one::<T>(registry, &url, &key).await,
                    None => Err(MetadataError::Shape {
                        registry,
                        message: "the lockfile's package name is not one a registry serves".into(),
                    }),
                };
                (key, result)
            }
        }))
        .buffer_unordered(self.options.concurrency.max(1))
        .collect()
        .await
    }

    /// One item: asked up to `max_attempts` times, waiting out the
    /// registry's pause first; not asked at all once the run's deadline
    /// has passed or the registry stopped answering.
    async fn one<T: Answer>(
        &self,
        registry: Registry,
        url: &str,
        key: &T::Key,
    ) -> Result<T, MetadataError> {
        let options = self.options;
        let health = self.registries.of(registry);
        let not_asked = |why: String| MetadataError::Unavailable {
            registry,
            message: format!("not asked: {why}"),
        };
        let mut last = not_asked("no attempt".to_owned());
        for attempt in 1..=options.max_attempts.max(1) {
            if health.failures_in_a_row.load(Ordering::Relaxed) >= MAX_FAILURES_IN_A_ROW {
                return Err(not_asked(format!(
                    "it did not answer {MAX_FAILURES_IN_A_ROW} requests in a row; it is asked again at the next run"
                )));
            }
            let wait = health.pause_until.load(Ordering::Relaxed) - Queue::now_ms();
            let wait = Duration::from_millis(u64::try_from(wait).unwrap_or(0));
            if std::time::Instant::now() + wait >= self.deadline {
                return Err(not_asked(format!(
                    "the run's deadline of {} s passed; it is asked again at the next run",
                    options.deadline_secs
                )));
            }
            tokio::time::sleep(wait).await;
            match T::ask(&self.client, registry, url, key).await {
                Err(error @ MetadataError::RateLimited { retry_after_seconds, .. }) => {
                    health.failures_in_a_row.store(0, Ordering::Relaxed);
                    let seconds = retry_after_seconds
                        .unwrap_or(1 << attempt)
                        .min(options.max_retry_after_secs);
                    let until = Queue::now_ms() + i64::try_from(seconds * 1000).unwrap_or(i64::MAX);
                    health.pause_until.fetch_max(until, Ordering::Relaxed);
                    last = error;
                }
                Err(error @ MetadataError::Unavailable { .. }) => {
                    health.failures_in_a_row.fetch_add(1, Ordering::Relaxed);
                    tokio::time::sleep(Duration::from_millis(250 << attempt)).await;
                    last = error;
                }
                other => {
                    health.failures_in_a_row.store(0, Ordering::Relaxed);
                    return other;
                }
            }
        }
        Err(last)
    }
}

/// Sends one GET: the response when it is 200, otherwise the error its
/// status means.
async fn send(
    client: &reqwest::Client,
    registry: Registry,
    url: &str,
) -> Result<reqwest::Response, MetadataError> {
    let response = client.get(url).send().await.map_err(|error| MetadataError::Unavailable {
        registry,
        message: if error.is_timeout() {
            "no answer in time".to_owned()
        } else {
            error.to_string()
        },
    })?;
    let status = response.status().as_u16();
    if status != 200 {
        let retry_after = response
            .headers()
            .get(reqwest::header::RETRY_AFTER)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.trim().parse::<u64>().ok());
        // 503 with Retry-After is a throttle too.
        if status == 503 && retry_after.is_some() {
            return Err(MetadataError::RateLimited { registry, retry_after_seconds: retry_after });
        }
        return Err(MetadataError::from_status(registry, status, retry_after));
    }
    Ok(response)
}

/// The next chunk of an answer's body (`None` at its end).
async fn chunk(
    response: &mut reqwest::Response,
    registry: Registry,
) -> Result<Option<impl AsRef<[u8]>>, MetadataError> {
    response.chunk().await.map_err(|error| MetadataError::Unavailable {
        registry,
        message: if error.is_timeout() {
            "the answer did not finish in time".to_owned()
        } else {
            error.to_string()
        },
    })
}

/// One request: the body when the answer is 200, bounded by the
/// registry's limit; otherwise the error its status means.
async fn ask(
    client: &reqwest::Client,
    registry: Registry,
    url: &str,
) -> Result<Vec<u8>, MetadataError> {
    let mut response = send(client, registry, url).await?;
    let limit = registry.max_bytes();
    let too_large = |size: usize| MetadataError::TooLarge { registry, size, limit };
    if let Some(length) = response.content_length() {
        let length = usize::try_from(length).unwrap_or(usize::MAX);
        if length > limit {
            return Err(too_large(length));
        }
    }
    let mut body = Vec::new();
    while let Some(chunk) = chunk(&mut response, registry).await? {
        body.extend_from_slice(chunk.as_ref());
        if body.len() > limit {
            return Err(too_large(body.len()));
        }
    }
    Ok(body)
}

/// The license of crate `name` `version`, from the first bytes of its
/// download: the reading stops as soon as `Cargo.toml` has been read
/// (usually within the first few kilobytes), and after
/// [`crate_archive::MAX_BYTES`] at most.
async fn read_download(
    client: &reqwest::Client,
    registry: Registry,
    url: &str,
    name: &str,
    version: &str,
) -> Result<CrateLicense, MetadataError> {
    let mut response = send(client, registry, url).await?;
    let mut body: Vec<u8> = Vec::new();
    // Tried again each time the prefix doubles, so a late Cargo.toml costs
    // at most twice the reading.
    let mut next_try = 16 * 1024;
    while let Some(chunk) = chunk(&mut response, registry).await? {
        let chunk = chunk.as_ref();
        let room = crate_archive::MAX_BYTES.saturating_sub(body.len());
        body.extend_from_slice(&chunk[..chunk.len().min(room)]);
        let full = body.len() >= crate_archive::MAX_BYTES;
        if body.len() >= next_try || full {
            if let Progress::Found(license) = crate_archive::read(&body, false, name, version)? {
                return Ok(license);
            }
            next_try = body.len() * 2;
        }
        if full {
            return Err(MetadataError::Shape {
                registry,
                message: format!(
                    "no {name}-{version}/Cargo.toml within its first {} bytes",
                    crate_archive::MAX_BYTES
                ),
            });
        }
    }
    match crate_archive::read(&body, true, name, version)? {
        Progress::Found(license) => Ok(license),
        Progress::NeedMore => Err(MetadataError::Shape {
            registry,
            message: format!("it holds no {name}-{version}/Cargo.toml"),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_follow_each_registry_layout() {
        let options = FetchOptions::default();
        let url = |registry, name| url_of(&options, registry, name);
        assert_eq!(
            url(Registry::CratesIndex, "serde").unwrap(),
            "https://index.crates.io/se/rd/serde"
        );
        assert_eq!(url(Registry::CratesIndex, "syn").unwrap(), "https://index.crates.io/3/s/syn");
        assert_eq!(url(Registry::CratesIndex, "cc").unwrap(), "https://index.crates.io/2/cc");
        assert_eq!(
            url(Registry::CratesIndex, "Inflector").unwrap(),
            "https://index.crates.io/in/fl/inflector"
        );
        assert_eq!(url(Registry::PyPI, "requests").unwrap(), "https://pypi.org/pypi/requests/json");
        assert_eq!(
            url(Registry::Npm, "@types/node").unwrap(),
            "https://registry.npmjs.org/@types%2Fnode"
        );
        // Hostile names stay one path segment, or are refused.
        assert_eq!(
            url(Registry::Npm, "../../x").unwrap(),
            "https://registry.npmjs.org/..%2F..%2Fx"
        );
        assert_eq!(url(Registry::CratesIndex, "é"), None);
        assert_eq!(url(Registry::PyPI, ".."), None);
        assert_eq!(url(Registry::Npm, ""), None);
    }
}
