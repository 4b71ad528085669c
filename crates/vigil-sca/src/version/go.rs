//! Go module versions: SemVer with a `v` (accepted without it, as OSV Go
//! ranges write it), Go's strictness (no leading zeros; `v1`/`v1.2` only
//! bare), pseudo-versions (which are SemVer pre-releases, so
//! `v1.2.4-0.20200101000000-abcdef123456` < `v1.2.4`), and `+incompatible`
//! or any build metadata ignored for ordering, as `golang.org/x/mod/semver`
//! does. Owns nothing else.

use std::fmt;

use super::VersionError;
use super::semver::{SemVer, Strictness};

pub(super) const SCHEME: &str = "Go";

/// A Go module version.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(super) struct GoVersion(SemVer);

impl GoVersion {
    pub(super) fn parse(text: &str) -> Result<GoVersion, VersionError> {
        let body = text.trim();
        let body = body.strip_prefix('v').unwrap_or(body);
        SemVer::parse_body(body, text, SCHEME, Strictness::Go).map(GoVersion)
    }

    /// True for `-pre` tags and for pseudo-versions (untagged commits).
    pub(super) fn is_prerelease(&self) -> bool {
        self.0.is_prerelease()
    }

    pub(super) fn major(&self) -> u64 {
        self.0.major()
    }
}

impl fmt::Display for GoVersion {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(formatter, "v{}", self.0)
    }
}
