//! NuGet versions (`NuGet.Versioning`): one to four numeric parts, missing
//! ones zero (`1.0.0.0` == `1.0`), leading zeros allowed; a pre-release
//! label after `-` compared as SemVer 2.0 labels but case-insensitively;
//! metadata after `+` checked and ignored. Owns nothing else.

use std::cmp::Ordering;
use std::fmt;

use super::VersionError;

pub(super) const SCHEME: &str = "NuGet";

/// A NuGet version.
#[derive(Debug, Clone)]
pub(super) struct NuGetVersion {
    parts: [u64; 4],
    /// The pre-release label in lower case (NuGet compares labels
    /// case-insensitively); `None` for a release.
    label: Option<Box<str>>,
}

impl NuGetVersion {
    pub(super) fn parse(text: &str) -> Result<NuGetVersion, VersionError> {
        let fail = |reason: String| VersionError::new(text, SCHEME, reason);
        let body = text.trim();
        if body.is_empty() {
            return Err(fail("empty".into()));
        }
        let (rest, metadata) = match body.split_once('+') {
            Some((rest, metadata)) => (rest, Some(metadata)),
            None => (body, None),
        };
        if let Some(metadata) = metadata {
            if !valid_identifiers(metadata) {
                return Err(fail(format!(
                    "metadata `{metadata}` is not dot-separated [0-9A-Za-z-]"
                )));
            }
        }
        let (core, label) = match rest.split_once('-') {
            Some((core, label)) => (core, Some(label)),
            None => (rest, None),
        };
        let mut parts = [0u64; 4];
        for (count, part) in core.split('.').enumerate() {
            let slot =
                parts.get_mut(count).ok_or_else(|| fail("more than four numeric parts".into()))?;
            *slot = super::parse_number(part)
                .ok_or_else(|| fail(format!("`{part}` is not a number")))?;
        }
        let label = match label {
            Some(label) if valid_identifiers(label) => {
                Some(label.to_ascii_lowercase().into_boxed_str())
            }
            Some(label) => {
                return Err(fail(format!("label `{label}` is not dot-separated [0-9A-Za-z-]")));
            }
            None => None,
        };
        Ok(NuGetVersion { parts, label })
    }

    pub(super) fn is_prerelease(&self) -> bool {
        self.label.is_some()
    }

    pub(super) fn major(&self) -> u64 {
        let [major, ..] = self.parts;
        major
    }
}

fn valid_identifiers(text: &str) -> bool {
    text.split('.').all(|identifier| {
        !identifier.is_empty()
            && identifier.bytes().all(|byte| byte.is_ascii_alphanumeric() || byte == b'-')
    })
}

impl Ord for NuGetVersion {
    fn cmp(&self, other: &NuGetVersion) -> Ordering {
        self.parts.cmp(&other.parts).then_with(|| match (&self.label, &other.label) {
            (None, None) => Ordering::Equal,
            (None, Some(_)) => Ordering::Greater,
            (Some(_), None) => Ordering::Less,
            (Some(a), Some(b)) => super::compare_prerelease_labels(a, b),
        })
    }
}

impl PartialOrd for NuGetVersion {
    fn partial_cmp(&self, other: &NuGetVersion) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for NuGetVersion {
    fn eq(&self, other: &NuGetVersion) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for NuGetVersion {}

/// NuGet's normalised form: three parts, a fourth when not zero.
impl fmt::Display for NuGetVersion {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        let [major, minor, patch, revision] = self.parts;
        write!(formatter, "{major}.{minor}.{patch}")?;
        if revision != 0 {
            write!(formatter, ".{revision}")?;
        }
        if let Some(label) = &self.label {
            write!(formatter, "-{label}")?;
        }
        Ok(())
    }
}
