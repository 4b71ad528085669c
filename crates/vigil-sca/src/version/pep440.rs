//! PyPI versions: PEP 440 with its normalisation (epochs, pre/post/dev
//! releases, local versions, `1.0-1`, `1.0.post1`, `1.0a`, `v1.0`, case,
//! `_`/`-`/`.` separators), delegated to Astral's `pep440_rs`, the parser
//! `uv` uses. Owns nothing else.

use std::fmt;
use std::str::FromStr;

use super::VersionError;

pub(super) const SCHEME: &str = "PEP 440";

/// A PEP 440 version.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(super) struct Pep440(pep440_rs::Version);

impl Pep440 {
    pub(super) fn parse(text: &str) -> Result<Pep440, VersionError> {
        pep440_rs::Version::from_str(text.trim())
            .map(Pep440)
            .map_err(|error| VersionError::new(text, SCHEME, error.to_string()))
    }

    /// `a`/`b`/`rc` releases and `.devN` releases.
    pub(super) fn is_prerelease(&self) -> bool {
        self.0.any_prerelease()
    }

    pub(super) fn major(&self) -> Option<u64> {
        self.0.release().first().copied()
    }
}

impl fmt::Display for Pep440 {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(formatter)
    }
}
