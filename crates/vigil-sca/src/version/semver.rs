//! SemVer 2.0 (crates.io, npm, Hex, Pub, SwiftURL and OSV `SEMVER` ranges),
//! read leniently the way real advisory data writes it: a leading `=` or
//! `v`, surrounding spaces, one or two parts (`1.2` is `1.2.0`). Build
//! metadata (`+x`) is checked and then ignored, as SemVer precedence says.
//! Pre-release precedence is the `semver` crate's.
//!
//! Also the strict reader used by Go (`go.rs`). Owns nothing else.

use std::fmt;

use super::VersionError;

pub(super) const SCHEME: &str = "SemVer";

/// How strictly to read the numeric core.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Strictness {
    /// Leading zeros allowed; one or two parts padded even before a
    /// pre-release.
    Lenient,
    /// Go's rules: no leading zeros; `v1` and `v1.2` only without a
    /// pre-release or build.
    Go,
}

/// `major.minor.patch-pre`; field order is precedence order.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(super) struct SemVer {
    major: u64,
    minor: u64,
    patch: u64,
    /// Empty for a release, which `semver::Prerelease` orders last.
    pre: ::semver::Prerelease,
}

impl SemVer {
    /// Reads `text` leniently (see the module doc).
    pub(super) fn parse(text: &str) -> Result<SemVer, VersionError> {
        let body = text.trim();
        let body = body.strip_prefix('=').unwrap_or(body).trim_start();
        let body = body.strip_prefix(['v', 'V']).unwrap_or(body);
        SemVer::parse_body(body, text, SCHEME, Strictness::Lenient)
    }

    /// Reads `body` (already stripped of any prefix); errors quote
    /// `original` and name `scheme`.
    pub(super) fn parse_body(
        body: &str,
        original: &str,
        scheme: &'static str,
        strictness: Strictness,
    ) -> Result<SemVer, VersionError> {
        let fail = |reason: String| VersionError::new(original, scheme, reason);
        if body.is_empty() {
            return Err(fail("empty".into()));
        }
        let (rest, build) = match body.split_once('+') {
            Some((rest, build)) => (rest, Some(build)),
            None => (body, None),
        };
        if let Some(build) = build {
            if build.is_empty() {
                return Err(fail("empty build metadata after `+`".into()));
            }
            ::semver::BuildMetadata::new(build)
                .map_err(|error| fail(format!("build metadata `{build}`: {error}")))?;
        }
        let (core, pre) = match rest.split_once('-') {
            Some((core, pre)) => (core, Some(pre)),
            None => (rest, None),
        };
        let mut numbers = [0u64; 3];
        let mut count = 0;
        for part in core.split('.') {
            let slot = numbers
                .get_mut(count)
                .ok_or_else(|| fail("more than three numeric parts".into()))?;
            *slot = super::parse_number(part)
                .ok_or_else(|| fail(format!("`{part}` is not a number")))?;
            if strictness == Strictness::Go && part.len() > 1 && part.starts_with('0') {
                return Err(fail(format!("`{part}` has a leading zero")));
            }
            count += 1;
        }
        if strictness == Strictness::Go && count < 3 && (pre.is_some() || build.is_some()) {
            return Err(fail("a short version (`v1.2`) cannot have a pre-release or build".into()));
        }
        let pre = match pre {
            Some("") => return Err(fail("empty pre-release after `-`".into())),
            Some(pre) => ::semver::Prerelease::new(pre)
                .map_err(|error| fail(format!("pre-release `{pre}`: {error}")))?,
            None => ::semver::Prerelease::EMPTY,
        };
        let [major, minor, patch] = numbers;
        Ok(SemVer { major, minor, patch, pre })
    }

    pub(super) fn is_prerelease(&self) -> bool {
        !self.pre.is_empty()
    }

    pub(super) fn major(&self) -> u64 {
        self.major
    }
}

impl fmt::Display for SemVer {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(formatter, "{}.{}.{}", self.major, self.minor, self.patch)?;
        if !self.pre.is_empty() {
            write!(formatter, "-{}", self.pre)?;
        }
        Ok(())
    }
}
