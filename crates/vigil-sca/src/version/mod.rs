//! Version ordering per ecosystem. [`Version::parse`] reads a version as
//! its ecosystem writes it, and [`Version`]s of one ecosystem compare as
//! that ecosystem's tools compare them:
//!
//! | ecosystem | scheme | file |
//! |---|---|---|
//! | crates.io, npm, Hex, Pub, SwiftURL | SemVer 2.0 (the `semver` crate), lenient | `semver.rs` |
//! | PyPI | PEP 440, normalised (the `pep440_rs` crate) | `pep440.rs` |
//! | Maven | Maven 3.8 `ComparableVersion` | `maven.rs` |
//! | RubyGems | `Gem::Version` | `rubygems.rs` |
//! | Go | SemVer with `v`, pseudo-versions, `+incompatible` | `go.rs` |
//! | NuGet | NuGet (SemVer with a 4th part, case-insensitive labels) | `nuget.rs` |
//! | Packagist | Composer's `VersionParser` normalisation, PHP `version_compare` | `composer.rs` |
//! | ConanCenter | Conan 2's version model | `conan.rs` |
//!
//! OSV's `SEMVER` range type is SemVer whatever the ecosystem:
//! [`Version::parse_semver`].
//!
//! This module owns parsing and ordering only; it knows nothing of ranges,
//! advisories or lockfiles. Parsing never panics on any input, and a parsed
//! version holds at most one or two small allocations, because matching
//! parses versions millions of times.

mod composer;
mod conan;
mod go;
mod maven;
mod nuget;
mod pep440;
mod rubygems;
mod semver;

#[cfg(test)]
mod tests;

use std::cmp::Ordering;
use std::fmt;

use crate::Ecosystem;

/// Versions longer than this are refused: no real version comes close, and
/// the bound keeps hostile input from costing time or memory.
const MAX_LENGTH: usize = 256;

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

impl VersionError {
    fn new(version: &str, scheme: &'static str, reason: impl Into<String>) -> VersionError {
        // The text is echoed in messages; a hostile megabyte is cut short.
        let version: String = version.chars().take(MAX_LENGTH).collect();
        VersionError { version, scheme, reason: reason.into() }
    }
}

/// A parsed version. Only versions of the same scheme compare meaningfully;
/// comparing across schemes orders by scheme.
///
/// Equality is equality in the ordering (`1.0` == `1.0.0` in Maven), not
/// equality of the text.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Version(Inner);

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Inner {
    SemVer(semver::SemVer),
    Pep440(pep440::Pep440),
    Maven(maven::MavenVersion),
    RubyGems(rubygems::GemVersion),
    Go(go::GoVersion),
    NuGet(nuget::NuGetVersion),
    Composer(composer::ComposerVersion),
    Conan(conan::ConanVersion),
}

impl Version {
    /// Reads `text` as `ecosystem` writes versions.
    pub fn parse(ecosystem: Ecosystem, text: &str) -> Result<Version, VersionError> {
        let scheme = scheme_name(ecosystem);
        check_length(text, scheme)?;
        let inner = match ecosystem {
            Ecosystem::CratesIo
            | Ecosystem::Npm
            | Ecosystem::Hex
            | Ecosystem::Pub
            | Ecosystem::SwiftURL => Inner::SemVer(semver::SemVer::parse(text)?),
            Ecosystem::PyPI => Inner::Pep440(pep440::Pep440::parse(text)?),
            Ecosystem::Go => Inner::Go(go::GoVersion::parse(text)?),
            Ecosystem::Maven => Inner::Maven(maven::MavenVersion::parse(text)?),
            Ecosystem::NuGet => Inner::NuGet(nuget::NuGetVersion::parse(text)?),
            Ecosystem::Packagist => Inner::Composer(composer::ComposerVersion::parse(text)?),
            Ecosystem::RubyGems => Inner::RubyGems(rubygems::GemVersion::parse(text)?),
            Ecosystem::ConanCenter => Inner::Conan(conan::ConanVersion::parse(text)?),
        };
        Ok(Version(inner))
    }

    /// Reads `text` as SemVer 2.0 (a leading `v` or `=` allowed, one or two
    /// parts padded with zeros, build metadata ignored).
    pub fn parse_semver(text: &str) -> Result<Version, VersionError> {
        check_length(text, semver::SCHEME)?;
        Ok(Version(Inner::SemVer(semver::SemVer::parse(text)?)))
    }

    /// Whether this is a pre-release (SemVer `-beta`, PEP 440 `a1`/`.dev0`,
    /// Maven `-alpha`..`-SNAPSHOT`, a RubyGems letter, a Go pseudo-version
    /// of an untagged commit, Composer `alpha`/`beta`/`RC`/`dev`, a Conan
    /// `-pre`). Remediation prefers versions that are not.
    pub fn is_prerelease(&self) -> bool {
        match &self.0 {
            Inner::SemVer(version) => version.is_prerelease(),
            Inner::Pep440(version) => version.is_prerelease(),
            Inner::Maven(version) => version.is_prerelease(),
            Inner::RubyGems(version) => version.is_prerelease(),
            Inner::Go(version) => version.is_prerelease(),
            Inner::NuGet(version) => version.is_prerelease(),
            Inner::Composer(version) => version.is_prerelease(),
            Inner::Conan(version) => version.is_prerelease(),
        }
    }

    /// The first numeric component (the major version), when the version
    /// starts with a number. Remediation uses it to suggest the lowest fixed
    /// version on the same major line.
    pub fn major(&self) -> Option<u64> {
        match &self.0 {
            Inner::SemVer(version) => Some(version.major()),
            Inner::Pep440(version) => version.major(),
            Inner::Maven(version) => version.major(),
            Inner::RubyGems(version) => version.major(),
            Inner::Go(version) => Some(version.major()),
            Inner::NuGet(version) => Some(version.major()),
            Inner::Composer(version) => version.major(),
            Inner::Conan(version) => version.major(),
        }
    }
}

/// Writes the version in its scheme's normal form (`1.0.0.0` for Composer,
/// `1!2.0rc1` for PEP 440, Maven's canonical form); build metadata that
/// does not take part in ordering is not written.
impl fmt::Display for Version {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.0 {
            Inner::SemVer(version) => version.fmt(formatter),
            Inner::Pep440(version) => version.fmt(formatter),
            Inner::Maven(version) => version.fmt(formatter),
            Inner::RubyGems(version) => version.fmt(formatter),
            Inner::Go(version) => version.fmt(formatter),
            Inner::NuGet(version) => version.fmt(formatter),
            Inner::Composer(version) => version.fmt(formatter),
            Inner::Conan(version) => version.fmt(formatter),
        }
    }
}

/// Compares two versions of `ecosystem`.
pub fn compare(ecosystem: Ecosystem, a: &str, b: &str) -> Result<Ordering, VersionError> {
    Ok(Version::parse(ecosystem, a)?.cmp(&Version::parse(ecosystem, b)?))
}

fn scheme_name(ecosystem: Ecosystem) -> &'static str {
    match ecosystem {
        Ecosystem::CratesIo
        | Ecosystem::Npm
        | Ecosystem::Hex
        | Ecosystem::Pub
        | Ecosystem::SwiftURL => semver::SCHEME,
        Ecosystem::PyPI => pep440::SCHEME,
        Ecosystem::Go => go::SCHEME,
        Ecosystem::Maven => maven::SCHEME,
        Ecosystem::NuGet => nuget::SCHEME,
        Ecosystem::Packagist => composer::SCHEME,
        Ecosystem::RubyGems => rubygems::SCHEME,
        Ecosystem::ConanCenter => conan::SCHEME,
    }
}

fn check_length(text: &str, scheme: &'static str) -> Result<(), VersionError> {
    if text.len() > MAX_LENGTH {
        return Err(VersionError::new(
            text,
            scheme,
            format!("longer than {MAX_LENGTH} characters"),
        ));
    }
    Ok(())
}

/// Parses a run of ASCII digits as a `u64`; `None` when empty, not all
/// digits, or too large.
fn parse_number(digits: &str) -> Option<u64> {
    if digits.is_empty() || !digits.bytes().all(|byte| byte.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
}

/// Compares two runs of ASCII digits as numbers of any size.
fn compare_digits(a: &str, b: &str) -> Ordering {
    let a = a.trim_start_matches('0');
    let b = b.trim_start_matches('0');
    a.len().cmp(&b.len()).then_with(|| a.cmp(b))
}

/// SemVer 2.0 precedence of two dot-separated pre-release labels (neither
/// empty): numeric identifiers compare as numbers and sort before
/// alphanumeric ones, which compare as text; a longer label wins a tie.
fn compare_prerelease_labels(a: &str, b: &str) -> Ordering {
    let mut left = a.split('.');
    let mut right = b.split('.');
    loop {
        match (left.next(), right.next()) {
            (None, None) => return Ordering::Equal,
            (None, Some(_)) => return Ordering::Less,
            (Some(_), None) => return Ordering::Greater,
            (Some(x), Some(y)) => {
                let x_numeric = !x.is_empty() && x.bytes().all(|byte| byte.is_ascii_digit());
                let y_numeric = !y.is_empty() && y.bytes().all(|byte| byte.is_ascii_digit());
                let order = match (x_numeric, y_numeric) {
                    (true, true) => compare_digits(x, y),
                    (true, false) => Ordering::Less,
                    (false, true) => Ordering::Greater,
                    (false, false) => x.cmp(y),
                };
                if order != Ordering::Equal {
                    return order;
                }
            }
        }
    }
}
