//! Package metadata from the registries' public APIs, for operational
//! risk: one pure parser per registry ([`npm`], [`pypi`], [`crates_index`])
//! turns a recorded answer into one common [`PackageMetadata`];
//! [`crate_archive`] reads a crate version's license from its download,
//! which the crates.io index does not give.
//!
//! This module owns the common type, its errors and the size limits. It
//! must not fetch anything: the HTTP client (retries, `Retry-After`,
//! timeouts) lives in the server and the CLI, which hand the bytes here and
//! turn an HTTP failure into a [`MetadataError`] with
//! [`MetadataError::from_status`] or [`MetadataError::Unavailable`].

pub mod crate_archive;
pub mod crates_index;
pub mod npm;
pub mod pypi;

use serde::{Deserialize, Serialize};

use crate::Ecosystem;

/// What one registry says about one package.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PackageMetadata {
    /// The package's ecosystem.
    pub ecosystem: Ecosystem,
    /// Its name as the registry spells it.
    pub name: String,
    /// The version the registry calls latest (npm `dist-tags.latest`, PyPI
    /// `info.version`), when it names one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub latest: Option<String>,
    /// The package is deprecated as a whole, with the registry's message
    /// (npm: the latest version's deprecation; an unpublished package).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deprecated: Option<String>,
    /// PyPI classifier `Development Status :: 7 - Inactive`.
    #[serde(default, skip_serializing_if = "is_false")]
    pub inactive: bool,
    /// How many people maintain it, when the registry says.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub maintainers: Option<u32>,
    /// Downloads over a period, when the registry says (none of the
    /// parsers here fills it: the APIs that give it are not reachable).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub downloads: Option<Downloads>,
    /// The license the registry gives, as written (npm: the latest
    /// version's `license`; PyPI: `license_expression`, else a short
    /// `license`, else the `License ::` classifiers as SPDX ids joined with
    /// OR). The crates.io index gives none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub license: Option<String>,
    /// When the answer was fetched, in seconds since the Unix epoch (UTC).
    pub fetched_at: i64,
    /// The registry answered that it does not know the package (HTTP 404
    /// or 410: a private package, or a name it never had). Kept so the
    /// package is not asked about again within the cache's time to live;
    /// everything else is empty.
    #[serde(default, skip_serializing_if = "is_false")]
    pub not_found: bool,
    /// Every version, in the registry's order. Serialised last: the
    /// metadata cache reads a package's other fields without them.
    #[serde(default)]
    pub versions: Vec<VersionMetadata>,
}

/// One version of a package.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VersionMetadata {
    /// The version as the registry spells it.
    pub version: String,
    /// When it was published, in seconds since the Unix epoch, if given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub released: Option<i64>,
    /// A pre-release (SemVer `-suffix`, PEP 440 `a`/`b`/`rc`/`dev`).
    #[serde(default, skip_serializing_if = "is_false")]
    pub prerelease: bool,
    /// Withdrawn by its publisher (yanked).
    #[serde(default, skip_serializing_if = "is_false")]
    pub yanked: bool,
    /// Why it was yanked, if the registry says.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub yanked_reason: Option<String>,
    /// Its deprecation message, if deprecated.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deprecated: Option<String>,
    /// Its own license, when the registry gives one per version (npm;
    /// crates.io, from the version's archive).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub license: Option<String>,
    /// The file its manifest names instead of a license expression
    /// (Cargo's `license-file`), when that is all it gives.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub license_file: Option<String>,
}

/// Downloads counted over `days` days.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Downloads {
    /// The count.
    pub count: u64,
    /// The period it covers, in days (npm's last week: 7; crates.io's
    /// recent downloads: 90).
    pub days: u32,
}

impl Downloads {
    /// Downloads per week over the period.
    pub fn weekly(self) -> f64 {
        self.count as f64 * 7.0 / f64::from(self.days.max(1))
    }
}

fn is_false(value: &bool) -> bool {
    !*value
}

impl PackageMetadata {
    /// A package of which nothing is known yet but its name: no versions,
    /// signals or license. Parsers fill in what their registry gives.
    pub fn empty(ecosystem: Ecosystem, name: impl Into<String>, fetched_at: i64) -> Self {
        PackageMetadata {
            ecosystem,
            name: name.into(),
            latest: None,
            versions: Vec::new(),
            deprecated: None,
            inactive: false,
            maintainers: None,
            downloads: None,
            license: None,
            fetched_at,
            not_found: false,
        }
    }

    /// The package without its versions (cloned field by field, so the
    /// versions are never copied).
    pub fn without_versions(&self) -> Self {
        PackageMetadata {
            ecosystem: self.ecosystem,
            name: self.name.clone(),
            latest: self.latest.clone(),
            versions: Vec::new(),
            deprecated: self.deprecated.clone(),
            inactive: self.inactive,
            maintainers: self.maintainers,
            downloads: self.downloads,
            license: self.license.clone(),
            fetched_at: self.fetched_at,
            not_found: self.not_found,
        }
    }

    /// What the cache keeps of a package its registry does not know.
    pub fn unknown_to_registry(ecosystem: Ecosystem, name: &str, fetched_at: i64) -> Self {
        PackageMetadata { not_found: true, ..PackageMetadata::empty(ecosystem, name, fetched_at) }
    }

    /// The license of `version`: its own when the registry gives one per
    /// version, else the package's.
    pub fn license_of(&self, version: &str) -> Option<&str> {
        self.version(version).and_then(|found| found.license.as_deref()).or(self.license.as_deref())
    }

    /// The entry of `version`, if the registry lists it.
    pub fn version(&self, version: &str) -> Option<&VersionMetadata> {
        self.versions.iter().find(|entry| entry.version == version)
    }
}

/// The registries whose answers are parsed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Registry {
    /// `https://registry.npmjs.org/<name>` (the full packument).
    Npm,
    /// `https://pypi.org/pypi/<name>/json`.
    PyPI,
    /// The crates.io sparse index, `https://index.crates.io/<prefix>/<name>`.
    CratesIndex,
    /// A crate version's download,
    /// `https://static.crates.io/crates/<name>/<name>-<version>.crate`.
    CratesArchive,
}

impl Registry {
    /// The ecosystem it serves.
    pub fn ecosystem(self) -> Ecosystem {
        match self {
            Registry::Npm => Ecosystem::Npm,
            Registry::PyPI => Ecosystem::PyPI,
            Registry::CratesIndex | Registry::CratesArchive => Ecosystem::CratesIo,
        }
    }

    /// The largest answer read, in bytes.
    pub fn max_bytes(self) -> usize {
        match self {
            Registry::Npm => npm::MAX_BYTES,
            Registry::PyPI => pypi::MAX_BYTES,
            Registry::CratesIndex => crates_index::MAX_BYTES,
            Registry::CratesArchive => crate_archive::MAX_BYTES,
        }
    }
}

impl std::fmt::Display for Registry {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str(match self {
            Registry::Npm => "npm registry",
            Registry::PyPI => "PyPI JSON API",
            Registry::CratesIndex => "crates.io index",
            Registry::CratesArchive => "crates.io download",
        })
    }
}

/// Why a registry answer gave no metadata. The package's risk is then
/// "unknown" with this as the reason; a scan never fails for it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum MetadataError {
    /// The answer is larger than the registry's limit.
    #[error("{registry} answer not read: {size} bytes, more than the {limit} allowed")]
    TooLarge {
        /// The registry.
        registry: Registry,
        /// The answer's size.
        size: usize,
        /// [`Registry::max_bytes`].
        limit: usize,
    },
    /// The answer is empty.
    #[error("{registry} answer is empty")]
    Empty {
        /// The registry.
        registry: Registry,
    },
    /// The answer is not JSON (or is cut short).
    #[error("{registry} answer is not valid JSON: {message}")]
    Malformed {
        /// The registry.
        registry: Registry,
        /// What the JSON parser said.
        message: String,
    },
    /// The answer is JSON of another shape.
    #[error("{registry} answer has an unexpected shape: {message}")]
    Shape {
        /// The registry.
        registry: Registry,
        /// What was wrong.
        message: String,
    },
    /// The registry does not know the package (HTTP 404 or 410).
    #[error("the {registry} does not know the package (HTTP {status})")]
    NotFound {
        /// The registry.
        registry: Registry,
        /// The HTTP status.
        status: u16,
    },
    /// The registry asked to slow down (HTTP 429).
    #[error("the {registry} is rate limiting requests (HTTP 429){}", retry_after(*.retry_after_seconds))]
    RateLimited {
        /// The registry.
        registry: Registry,
        /// Its `Retry-After`, in seconds, if given.
        retry_after_seconds: Option<u64>,
    },
    /// The registry could not be asked or did not answer in time.
    #[error("the {registry} did not answer: {message}")]
    Unavailable {
        /// The registry.
        registry: Registry,
        /// What happened (a timeout, a 5xx status, a connection error).
        message: String,
    },
}

fn retry_after(seconds: Option<u64>) -> String {
    seconds.map_or_else(String::new, |seconds| format!("; retry after {seconds} s"))
}

impl MetadataError {
    /// The error for an HTTP answer with a status other than 200.
    pub fn from_status(
        registry: Registry,
        status: u16,
        retry_after_seconds: Option<u64>,
    ) -> MetadataError {
        match status {
            404 | 410 => MetadataError::NotFound { registry, status },
            429 => MetadataError::RateLimited { registry, retry_after_seconds },
            _ => MetadataError::Unavailable { registry, message: format!("HTTP {status}") },
        }
    }
}

/// The checks every parser makes before reading: not empty, not over the
/// limit.
fn check_size(registry: Registry, bytes: &[u8]) -> Result<(), MetadataError> {
    let limit = registry.max_bytes();
    if bytes.len() > limit {
        return Err(MetadataError::TooLarge { registry, size: bytes.len(), limit });
    }
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(MetadataError::Empty { registry });
    }
    Ok(())
}

/// A serde_json error as a [`MetadataError`]: bad syntax or an early end
/// is malformed JSON, a type mismatch a wrong shape.
fn json_error(registry: Registry, error: &serde_json::Error) -> MetadataError {
    let message = error.to_string();
    match error.classify() {
        serde_json::error::Category::Data => MetadataError::Shape { registry, message },
        _ => MetadataError::Malformed { registry, message },
    }
}

/// An RFC 3339 time as seconds since the Unix epoch; `None` when it is not
/// one (a bad date costs the version its date, not the package its
/// metadata).
fn unix_seconds(text: &str) -> Option<i64> {
    text.parse::<jiff::Timestamp>().ok().map(jiff::Timestamp::as_second)
}

/// A SemVer-style pre-release: a `-` after the numeric core (npm, crates).
fn semver_prerelease(version: &str) -> bool {
    let core = version.split('+').next().unwrap_or(version);
    core.contains('-')
}

/// A JSON object read as its entries in document order.
mod ordered {
    use std::fmt;
    use std::marker::PhantomData;

    use serde::Deserialize;
    use serde::de::{Deserializer, MapAccess, Visitor};

    pub(crate) fn entries<'de, D, V>(deserializer: D) -> Result<Vec<(String, V)>, D::Error>
    where
        D: Deserializer<'de>,
        V: Deserialize<'de>,
    {
        struct Entries<V>(PhantomData<V>);
        impl<'de, V: Deserialize<'de>> Visitor<'de> for Entries<V> {
            type Value = Vec<(String, V)>;
            fn expecting(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
                formatter.write_str("an object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut out = Vec::with_capacity(map.size_hint().unwrap_or(0).min(100_000));
                while let Some(entry) = map.next_entry()? {
                    out.push(entry);
                }
                Ok(out)
            }
        }
        deserializer.deserialize_map(Entries(PhantomData))
    }
}
