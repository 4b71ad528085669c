//! The advisory model every source is read into (OSV JSON and YAML,
//! RustSec), stored as is by [`crate::store`] and matched by
//! [`crate::matcher`]. It keeps what matching and people need and drops
//! the rest of OSV (credits, database-specific blobs).

use serde::{Deserialize, Serialize};
use vigil_core::Severity;

use crate::Ecosystem;

/// One advisory.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Advisory {
    /// Its id in the database it comes from (`RUSTSEC-2021-0124`,
    /// `GHSA-jfh8-c2jp-5v3q`, `PYSEC-2021-19`).
    pub id: String,
    /// Other ids of the same vulnerability (`CVE-...`, `GHSA-...`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub aliases: Vec<String>,
    /// Last change, RFC 3339 as the source wrote it.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub modified: String,
    /// One-line summary.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub summary: String,
    /// Longer description (Markdown), cut to [`MAX_DETAILS`] bytes.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub details: String,
    /// CVSS vectors given by the advisory (`CVSS:3.1/AV:N/...`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub cvss: Vec<String>,
    /// The advisory's own rating when it has no vector (GHSA's
    /// `database_specific.severity`: `LOW` .. `CRITICAL`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rated: Option<Severity>,
    /// A non-vulnerability notice (RustSec `informational`: `unmaintained`,
    /// `unsound`, `notice`); these become operational-risk findings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub informational: Option<String>,
    /// The advisory's web page, or its first reference.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub url: String,
    /// The packages and versions it affects.
    pub affected: Vec<Affected>,
}

/// Longest advisory description kept, in bytes.
pub const MAX_DETAILS: usize = 8 * 1024;

/// The versions of one package an advisory affects.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Affected {
    /// The package's ecosystem.
    pub ecosystem: Ecosystem,
    /// The package name as the advisory writes it.
    pub name: String,
    /// Version ranges; a version in any of them is affected.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ranges: Vec<Range>,
    /// Versions listed one by one (OSV `versions`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub versions: Vec<String>,
}

/// A range of affected versions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Range {
    /// OSV events, ordered by the ecosystem's scheme (`ECOSYSTEM`) or by
    /// SemVer (`SEMVER`).
    Events {
        /// Whether SemVer orders the events whatever the ecosystem.
        semver: bool,
        /// The events as written.
        events: Vec<Event>,
    },
    /// RustSec's form: affected unless a `patched` or `unaffected` SemVer
    /// requirement matches (`>= 1.2.3`, `^0.9.5`), as cargo-audit decides.
    Requirements {
        /// Requirements of fixed versions.
        #[serde(default)]
        patched: Vec<String>,
        /// Requirements of versions never affected.
        #[serde(default)]
        unaffected: Vec<String>,
    },
}

/// One OSV range event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Event {
    /// Affected from this version on (`0`: from the first).
    Introduced(String),
    /// Fixed in this version.
    Fixed(String),
    /// The last affected version.
    LastAffected(String),
    /// Versions from here on are outside the range.
    Limit(String),
}

impl Advisory {
    /// Every id of this advisory: its own first, then its aliases.
    pub fn ids(&self) -> impl Iterator<Item = &str> {
        std::iter::once(self.id.as_str()).chain(self.aliases.iter().map(String::as_str))
    }

    /// The CVSS vector Vigil rates by (the newest version given), with its
    /// base score and rating.
    pub fn cvss_score(&self) -> Option<(String, f64, Severity)> {
        let mut best: Option<(String, f64, Severity)> = None;
        for vector in &self.cvss {
            let Ok(parsed) = vector.parse::<cvss::Cvss>() else { continue };
            let score = parsed.score();
            let rating = match parsed.severity() {
                cvss::Severity::None => Severity::Info,
                cvss::Severity::Low => Severity::Low,
                cvss::Severity::Medium => Severity::Medium,
                cvss::Severity::High => Severity::High,
                cvss::Severity::Critical => Severity::Critical,
            };
            let newer = best.as_ref().is_none_or(|(kept, _, _)| vector.as_str() > kept.as_str());
            if newer {
                best = Some((vector.clone(), score, rating));
            }
        }
        best
    }

    /// How severe: from the CVSS vector, else the advisory's own rating,
    /// else medium (an advisory without a rating is still a vulnerability).
    pub fn severity(&self) -> Severity {
        self.cvss_score().map(|(_, _, rating)| rating).or(self.rated).unwrap_or(Severity::Medium)
    }
}

/// Cuts `text` to at most `max` bytes on a character boundary.
pub(crate) fn truncate(mut text: String, max: usize) -> String {
    if text.len() > max {
        let mut end = max;
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        text.truncate(end);
        text.push_str(" …");
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with_cvss(vectors: &[&str]) -> Advisory {
        Advisory {
            id: "X-1".into(),
            aliases: vec![],
            modified: String::new(),
            summary: String::new(),
            details: String::new(),
            cvss: vectors.iter().map(|v| (*v).to_owned()).collect(),
            rated: Some(Severity::Low),
            informational: None,
            url: String::new(),
            affected: vec![],
        }
    }

    #[test]
    fn severity_comes_from_the_newest_vector_then_the_rating() {
        let v31 = "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H";
        let v40 = "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:L/VI:N/VA:N/SC:N/SI:N/SA:N";
        let (vector, score, rating) = with_cvss(&[v31]).cvss_score().expect("scored");
        assert_eq!((vector.as_str(), score, rating), (v31, 9.8, Severity::Critical));
        let (vector, score, rating) = with_cvss(&[v31, v40]).cvss_score().expect("scored");
        assert_eq!((vector.as_str(), score, rating), (v40, 6.9, Severity::Medium));
        assert_eq!(with_cvss(&["CVSS:3.1/garbage"]).severity(), Severity::Low);
        let mut none = with_cvss(&[]);
        none.rated = None;
        assert_eq!(none.severity(), Severity::Medium);
    }

    #[test]
    fn truncation_keeps_characters_whole() {
        assert_eq!(truncate("ééé".into(), 3), "é …");
        assert_eq!(truncate("abc".into(), 3), "abc");
    }
}
