//! Filling the package-metadata cache (`DATA_DIR/metadata/`) from the
//! registries' public APIs, for the dependency engine's operational-risk
//! findings (SCA005): npm's registry documents, PyPI's JSON API and the
//! crates.io sparse index. [`fetch`] asks only for packages the cache does
//! not hold fresh, parses each answer with `vigil_sca::registry`, and
//! writes the cache once, by rename. `vigil metadata fetch` runs it by hand.
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
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, AtomicU32, Ordering};
use std::time::Duration;

use futures::StreamExt as _;
use vigil_sca::Ecosystem;
use vigil_sca::graph::Graph;
use vigil_sca::metadata_cache::{Lookup, MetadataCache};
use vigil_sca::registry::{MetadataError, PackageMetadata, Registry, crates_index, npm, pypi};
use vigil_store::Queue;

/// npm's public registry.
pub const NPM_URL: &str = "https://registry.npmjs.org";
/// PyPI's JSON API (`BASE/<name>/json`).
pub const PYPI_URL: &str = "https://pypi.org/pypi";
/// The crates.io sparse index.
pub const CRATES_INDEX_URL: &str = "https://index.crates.io";

/// Where to ask and how patiently.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FetchOptions {
    /// npm registry base URL.
    pub npm: String,
    /// PyPI JSON API base URL.
    pub pypi: String,
    /// crates.io sparse index base URL.
    pub crates_index: String,
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
    /// Packages the cache already held fresh.
    pub fresh: usize,
    /// Packages the registry does not know (404, 410).
    pub not_found: usize,
    /// Packages left out, each with why.
    pub failed: Vec<String>,
    /// Packages of ecosystems no registry is read for, per ecosystem.
    pub unsupported: BTreeMap<String, usize>,
    /// Packages beyond `max_packages`, not asked for.
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

/// Every package of `graphs` once, by ecosystem and name.
pub fn packages_of(graphs: &[Graph]) -> Vec<(Ecosystem, String)> {
    let mut seen = BTreeSet::new();
    for graph in graphs {
        for node in &graph.nodes {
            seen.insert((graph.ecosystem.osv_name(), graph.ecosystem, node.name.clone()));
        }
    }
    seen.into_iter().map(|(_, ecosystem, name)| (ecosystem, name)).collect()
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
}

impl Registries {
    fn of(&self, registry: Registry) -> &Health {
        match registry {
            Registry::PyPI => &self.pypi,
            Registry::CratesIndex => &self.crates_index,
            _ => &self.npm,
        }
    }
}

/// Fills the cache under `data_dir` with the metadata of `packages` the
/// cache does not hold fresh; `progress` gets one line now and then.
pub async fn fetch(
    data_dir: &std::path::Path,
    packages: &[(Ecosystem, String)],
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
    for (ecosystem, name) in packages {
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
    if wanted.is_empty() {
        return Ok(report);
    }
    progress(format!("Asking the registries for {} packages ...", wanted.len()));
    let client = reqwest::Client::builder()
        .connect_timeout(Duration::from_secs(options.timeout_secs.min(10)))
        .timeout(Duration::from_secs(options.timeout_secs))
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(concat!("vigil/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|error| FetchError::Client(error.to_string()))?;
    let registries = Arc::new(Registries::default());
    let deadline = std::time::Instant::now() + Duration::from_secs(options.deadline_secs);
    let results: Vec<(String, Result<PackageMetadata, MetadataError>)> =
        futures::stream::iter(wanted.into_iter().map(|(registry, name)| {
            let (client, registries) = (client.clone(), registries.clone());
            let url = url_of(options, registry, &name);
            async move {
                let result = match url {
                    Some(url) => {
                        one(&client, registry, &url, options, registries.of(registry), deadline)
                            .await
                    }
                    None => Err(MetadataError::Shape {
                        registry,
                        message: "the lockfile's package name is not one a registry serves".into(),
                    }),
                };
                (name, result)
            }
        }))
        .buffer_unordered(options.concurrency.max(1))
        .collect()
        .await;
    for (name, result) in results {
        match result {
            Ok(metadata) => {
                cache.insert(metadata);
                report.fetched += 1;
            }
            Err(MetadataError::NotFound { .. }) => report.not_found += 1,
            Err(error) => report.failed.push(format!("{name}: {error}")),
        }
    }
    cache.write()?;
    progress(format!(
        "{} fetched, {} already fresh, {} unknown to their registry, {} failed.",
        report.fetched,
        report.fresh,
        report.not_found,
        report.failed.len()
    ));
    Ok(report)
}

/// One package: asked up to `max_attempts` times, waiting out the
/// registry's pause first; not asked at all once the run's `deadline` has
/// passed or the registry stopped answering.
async fn one(
    client: &reqwest::Client,
    registry: Registry,
    url: &str,
    options: &FetchOptions,
    health: &Health,
    deadline: std::time::Instant,
) -> Result<PackageMetadata, MetadataError> {
    let not_asked =
        |why: String| MetadataError::Unavailable { registry, message: format!("not asked: {why}") };
    let mut last = not_asked("no attempt".to_owned());
    for attempt in 1..=options.max_attempts.max(1) {
        if health.failures_in_a_row.load(Ordering::Relaxed) >= MAX_FAILURES_IN_A_ROW {
            return Err(not_asked(format!(
                "it did not answer {MAX_FAILURES_IN_A_ROW} requests in a row; it is asked again at the next run"
            )));
        }
        let wait = health.pause_until.load(Ordering::Relaxed) - Queue::now_ms();
        let wait = Duration::from_millis(u64::try_from(wait).unwrap_or(0));
        if std::time::Instant::now() + wait >= deadline {
            return Err(not_asked(format!(
                "the run's deadline of {} s passed; it is asked again at the next run",
                options.deadline_secs
            )));
        }
        tokio::time::sleep(wait).await;
        match ask(client, registry, url).await {
            Ok(bytes) => {
                health.failures_in_a_row.store(0, Ordering::Relaxed);
                return match registry {
                    Registry::PyPI => pypi::parse(&bytes, Queue::now_ms() / 1000),
                    Registry::CratesIndex => crates_index::parse(&bytes, Queue::now_ms() / 1000),
                    _ => npm::parse(&bytes, Queue::now_ms() / 1000),
                };
            }
            Err(error @ MetadataError::RateLimited { retry_after_seconds, .. }) => {
                health.failures_in_a_row.store(0, Ordering::Relaxed);
                let seconds =
                    retry_after_seconds.unwrap_or(1 << attempt).min(options.max_retry_after_secs);
                let until = Queue::now_ms() + i64::try_from(seconds * 1000).unwrap_or(i64::MAX);
                health.pause_until.fetch_max(until, Ordering::Relaxed);
                last = error;
            }
            Err(error @ MetadataError::Unavailable { .. }) => {
                health.failures_in_a_row.fetch_add(1, Ordering::Relaxed);
                tokio::time::sleep(Duration::from_millis(250 << attempt)).await;
                last = error;
            }
            Err(error) => {
                health.failures_in_a_row.store(0, Ordering::Relaxed);
                return Err(error);
            }
        }
    }
    Err(last)
}

/// One request: the body when the answer is 200, bounded by the
/// registry's limit; otherwise the error its status means.
async fn ask(
    client: &reqwest::Client,
    registry: Registry,
    url: &str,
) -> Result<Vec<u8>, MetadataError> {
    let unavailable = |message: String| MetadataError::Unavailable { registry, message };
    let mut response = client.get(url).send().await.map_err(|error| {
        unavailable(if error.is_timeout() {
            "no answer in time".to_owned()
        } else {
            error.to_string()
        })
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
    let limit = registry.max_bytes();
    let too_large = |size: usize| MetadataError::TooLarge { registry, size, limit };
    if let Some(length) = response.content_length() {
        let length = usize::try_from(length).unwrap_or(usize::MAX);
        if length > limit {
            return Err(too_large(length));
        }
    }
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(|error| {
        unavailable(if error.is_timeout() {
            "the answer did not finish in time".to_owned()
        } else {
            error.to_string()
        })
    })? {
        body.extend_from_slice(&chunk);
        if body.len() > limit {
            return Err(too_large(body.len()));
        }
    }
    Ok(body)
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
