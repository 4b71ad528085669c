//! Version ordering per ecosystem. [`Version::parse`] reads a version as
//! its ecosystem writes it, and [`Version`]s of one ecosystem compare as
//! that ecosystem's tools compare them:
//!
//! | ecosystem | scheme |
//! |---|---|
//! | crates.io, npm, Hex, Pub, SwiftURL | SemVer 2.0 (npm prerelease rules) |
//! | PyPI | PEP 440, normalised |
//! | Maven | Maven `ComparableVersion` |
//! | RubyGems | `Gem::Version` |
//! | Go | SemVer with `v`, pseudo-versions, `+incompatible` |
//! | NuGet | NuGet (SemVer with a 4th part, case-insensitive labels) |
//! | Packagist | Composer's `VersionParser` normalisation |
//! | ConanCenter | Conan's version model |
//!
//! OSV's `SEMVER` range type is SemVer whatever the ecosystem:
//! [`Version::parse_semver`].

use std::cmp::Ordering;

use crate::Ecosystem;

/// Why a version string cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{version}` is not a valid {scheme} version: {reason}")]
pub struct VersionError {
    /// The text given.
    pub version: String,
    /// The scheme tried (`SemVer`, `PEP 440`).
    pub scheme: &'static str,
    /// What is wrong.
    pub reason: String,
}

/// A parsed version. Only versions of the same scheme compare meaningfully;
/// comparing across schemes orders by scheme.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Version(Inner);

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Inner {
    /// Placeholder until each scheme has its own type: dot-separated
    /// numbers then the rest as text.
    Plain(Vec<u64>, String),
}

impl Version {
    /// Reads `text` as `ecosystem` writes versions.
    pub fn parse(ecosystem: Ecosystem, text: &str) -> Result<Version, VersionError> {
        let _ = ecosystem;
        plain(text, "plain")
    }

    /// Reads `text` as SemVer 2.0 (a leading `v` allowed).
    pub fn parse_semver(text: &str) -> Result<Version, VersionError> {
        plain(text.strip_prefix('v').unwrap_or(text), "SemVer")
    }
}

fn plain(text: &str, scheme: &'static str) -> Result<Version, VersionError> {
    let text = text.trim();
    if text.is_empty() {
        return Err(VersionError { version: text.to_owned(), scheme, reason: "empty".into() });
    }
    let end = text.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(text.len());
    let numbers = text[..end]
        .split('.')
        .filter(|part| !part.is_empty())
        .map(|part| part.parse::<u64>())
        .collect::<Result<Vec<u64>, _>>()
        .map_err(|error| VersionError {
            version: text.to_owned(),
            scheme,
            reason: error.to_string(),
        })?;
    Ok(Version(Inner::Plain(numbers, text[end..].to_owned())))
}

impl Version {
    /// Whether it is a pre-release.
    pub fn is_prerelease(&self) -> bool {
        let Inner::Plain(_, rest) = &self.0;
        rest.starts_with('-')
    }

    /// The first numeric component.
    pub fn major(&self) -> Option<u64> {
        let Inner::Plain(numbers, _) = &self.0;
        numbers.first().copied()
    }
}

/// Compares two versions of `ecosystem`.
pub fn compare(ecosystem: Ecosystem, a: &str, b: &str) -> Result<Ordering, VersionError> {
    Ok(Version::parse(ecosystem, a)?.cmp(&Version::parse(ecosystem, b)?))
}
