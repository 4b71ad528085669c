//! Operational risk of one package version: the signals read from its
//! registry metadata ([`Signals`]), a score from 0 (no risk) to 100, its
//! level ([`RiskLevel`]), and a message naming the signals that drove it.
//!
//! The formula (docs/dependencies.md, "Operational risk", says the same):
//!
//! | part | points | known when |
//! |---|---|---|
//! | maintenance: age of the last stable release | 0 up to 1 year, rising linearly to 50 at 5 years | a stable release has a date |
//! | cadence: stable releases in the last 365 days | 0 → 15, 1 → 10, 2–3 → 5, 4+ → 0 | as maintenance |
//! | maintainers | 0 or 1 → 15, 2 → 8, 3+ → 0 | the registry counts them |
//! | popularity: downloads a week | 20 × (5 − log10 n) / 3, clamped to 0–20 (≤ 100 → 20, ≥ 100,000 → 0) | the registry counts them |
//!
//! The score is the points earned over the points possible among the known
//! parts, times 100, rounded (an unknown part neither adds nor subtracts).
//! A deprecated package or version (npm `deprecated`, the PyPI `Inactive`
//! classifier) or a yanked version in use raises it to at least 70. Level:
//! High at 70 or more, Medium at 40 or more, else Low. With no part known
//! and no deprecation or yank, the risk is unknown, with the reason.
//!
//! [`assess_graph`] does it for every package of a lockfile's graph from
//! the metadata cache (already in memory).
//!
//! Pure: `now` is a parameter; nothing here reads a clock, a file or the
//! network.

use serde::{Deserialize, Serialize};

use crate::graph::Graph;
use crate::metadata_cache::MetadataCache;
use crate::registry::{PackageMetadata, VersionMetadata};

/// Seconds in a day.
const DAY: i64 = 86_400;
/// Score from which the level is High.
pub const HIGH: u8 = 70;
/// Score from which the level is Medium.
pub const MEDIUM: u8 = 40;

/// Most points of each part of the score.
pub const MAINTENANCE_POINTS: f64 = 50.0;
/// See [`MAINTENANCE_POINTS`].
pub const CADENCE_POINTS: f64 = 15.0;
/// See [`MAINTENANCE_POINTS`].
pub const MAINTAINERS_POINTS: f64 = 15.0;
/// See [`MAINTENANCE_POINTS`].
pub const POPULARITY_POINTS: f64 = 20.0;

/// How risky depending on a package is, operationally.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum RiskLevel {
    /// Score under [`MEDIUM`].
    Low,
    /// Score from [`MEDIUM`] to under [`HIGH`].
    Medium,
    /// Score [`HIGH`] or more, or deprecated, or the version yanked.
    High,
}

impl RiskLevel {
    /// `High`, `Medium` or `Low`.
    pub fn as_str(self) -> &'static str {
        match self {
            RiskLevel::Low => "Low",
            RiskLevel::Medium => "Medium",
            RiskLevel::High => "High",
        }
    }
}

/// What the metadata says about a package and the version in use.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Signals {
    /// The deprecation message of the version in use, else of the package.
    pub deprecated: Option<String>,
    /// The PyPI project is marked `Development Status :: 7 - Inactive`.
    pub inactive: bool,
    /// The registry lists the version in use.
    pub version_listed: bool,
    /// The version in use is yanked, with the reason if given.
    pub yanked: Option<Option<String>>,
    /// Days since the last stable, non-yanked release (any non-yanked one
    /// when there is no stable one), if dated.
    pub days_since_last_release: Option<i64>,
    /// That release's version.
    pub last_release: Option<String>,
    /// Stable, non-yanked releases in the 365 days before `now` (known when
    /// any release is dated).
    pub releases_last_year: Option<u32>,
    /// Median days between consecutive stable releases (two or more dated).
    pub median_gap_days: Option<i64>,
    /// Maintainers, if the registry counts them.
    pub maintainers: Option<u32>,
    /// Downloads a week, if the registry counts them.
    pub weekly_downloads: Option<f64>,
}

/// The points of each part of the score; `None` for an unknown part.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Points {
    /// Age of the last release (out of [`MAINTENANCE_POINTS`]).
    pub maintenance: Option<f64>,
    /// Releases in the last year (out of [`CADENCE_POINTS`]).
    pub cadence: Option<f64>,
    /// Few maintainers (out of [`MAINTAINERS_POINTS`]).
    pub maintainers: Option<f64>,
    /// Few downloads (out of [`POPULARITY_POINTS`]).
    pub popularity: Option<f64>,
}

/// The risk of one package version.
#[derive(Debug, Clone, PartialEq)]
pub struct Assessment {
    /// What the metadata says.
    pub signals: Signals,
    /// The parts of the score.
    pub points: Points,
    /// 0 (no risk) to 100.
    pub score: u8,
    /// The level of the score.
    pub level: RiskLevel,
    /// The signals that drove it, in words, most important first
    /// (`deprecated ("use uuid")`, `last release 9 years ago`).
    pub reasons: Vec<String>,
}

/// The outcome for one package version.
#[derive(Debug, Clone, PartialEq)]
pub enum Risk {
    /// Scored (boxed: an assessment is ten times the size of a reason).
    Assessed(Box<Assessment>),
    /// Not scored, and why (no metadata, a registry error, no signal).
    Unknown {
        /// Why, in words.
        reason: String,
    },
}

/// What the score needs of a package's whole release history, kept
/// beside each package in the metadata cache so that scoring one version
/// need not read the others.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Releases {
    /// Release times of the stable, non-yanked versions, ascending.
    pub stable: Vec<i64>,
    /// The last release, version and time: of the stable, non-yanked
    /// versions when any is dated, else of any non-yanked one.
    pub last: Option<(String, i64)>,
    /// Some version has a release date.
    pub any_dated: bool,
}

impl Releases {
    /// The summary of `versions`.
    pub fn of(versions: &[VersionMetadata]) -> Releases {
        let stable = |entry: &&VersionMetadata| !entry.yanked && !entry.prerelease;
        let mut times: Vec<i64> =
            versions.iter().filter(stable).filter_map(|entry| entry.released).collect();
        times.sort_unstable();
        let candidates: Vec<&VersionMetadata> = if times.is_empty() {
            versions.iter().filter(|entry| !entry.yanked).collect()
        } else {
            versions.iter().filter(stable).collect()
        };
        let last = candidates
            .iter()
            .filter_map(|entry| entry.released.map(|time| (time, *entry)))
            .max_by_key(|(time, _)| *time)
            .map(|(time, entry)| (entry.version.clone(), time));
        Releases {
            stable: times,
            last,
            any_dated: versions.iter().any(|entry| entry.released.is_some()),
        }
    }
}

/// The signals of the version `in_use` (its entry, if the registry lists
/// it) of the package `metadata` describes (whose own versions are not
/// read), with its `releases`, at `now` (seconds since the Unix epoch).
pub fn signals_of(
    metadata: &PackageMetadata,
    releases: &Releases,
    in_use: Option<&VersionMetadata>,
    now: i64,
) -> Signals {
    let deprecated =
        in_use.and_then(|entry| entry.deprecated.clone()).or_else(|| metadata.deprecated.clone());
    let releases_last_year = releases.any_dated.then(|| {
        let count =
            releases.stable.iter().filter(|time| **time > now - 365 * DAY && **time <= now).count();
        u32::try_from(count).unwrap_or(u32::MAX)
    });
    let mut gaps: Vec<i64> =
        releases.stable.windows(2).map(|pair| (pair[1] - pair[0]) / DAY).collect();
    gaps.sort_unstable();
    Signals {
        deprecated,
        inactive: metadata.inactive,
        version_listed: in_use.is_some(),
        yanked: in_use.filter(|entry| entry.yanked).map(|entry| entry.yanked_reason.clone()),
        days_since_last_release: releases
            .last
            .as_ref()
            .map(|(_, time)| ((now - time) / DAY).max(0)),
        last_release: releases.last.as_ref().map(|(version, _)| version.clone()),
        releases_last_year,
        median_gap_days: gaps.get(gaps.len() / 2).copied().filter(|_| !gaps.is_empty()),
        maintainers: metadata.maintainers,
        weekly_downloads: metadata.downloads.map(|downloads| downloads.weekly()),
    }
}

/// The points of each part of the score for `signals`.
pub fn points(signals: &Signals) -> Points {
    Points {
        maintenance: signals.days_since_last_release.map(|days| {
            let years_over_one = (days as f64 - 365.0) / (4.0 * 365.0);
            MAINTENANCE_POINTS * years_over_one.clamp(0.0, 1.0)
        }),
        cadence: signals.releases_last_year.map(|count| match count {
            0 => CADENCE_POINTS,
            1 => 10.0,
            2..=3 => 5.0,
            _ => 0.0,
        }),
        maintainers: signals.maintainers.map(|count| match count {
            0 | 1 => MAINTAINERS_POINTS,
            2 => 8.0,
            _ => 0.0,
        }),
        popularity: signals.weekly_downloads.map(|weekly| {
            let fewness = (5.0 - weekly.max(1.0).log10()) / 3.0;
            POPULARITY_POINTS * fewness.clamp(0.0, 1.0)
        }),
    }
}

/// The risk of `version` of the package `metadata` describes, at `now`.
pub fn assess(metadata: &PackageMetadata, version: &str, now: i64) -> Risk {
    assess_of(metadata, &Releases::of(&metadata.versions), metadata.version(version), now)
}

/// The risk of the version `in_use` (its entry, if listed) of the package
/// `metadata` describes (whose own versions are not read), with its
/// `releases`, at `now`.
pub fn assess_of(
    metadata: &PackageMetadata,
    releases: &Releases,
    in_use: Option<&VersionMetadata>,
    now: i64,
) -> Risk {
    if metadata.not_found {
        return Risk::Unknown {
            reason: format!(
                "the {} registry does not know {} (a private package?)",
                metadata.ecosystem, metadata.name
            ),
        };
    }
    let signals = signals_of(metadata, releases, in_use, now);
    let points = points(&signals);
    let parts = [
        (points.maintenance, MAINTENANCE_POINTS),
        (points.cadence, CADENCE_POINTS),
        (points.maintainers, MAINTAINERS_POINTS),
        (points.popularity, POPULARITY_POINTS),
    ];
    let (earned, possible) = parts
        .iter()
        .filter_map(|(earned, most)| earned.map(|earned| (earned, *most)))
        .fold((0.0, 0.0), |(sum, most_sum), (earned, most)| (sum + earned, most_sum + most));
    let flagged = signals.deprecated.is_some() || signals.inactive || signals.yanked.is_some();
    if possible == 0.0 && !flagged {
        return Risk::Unknown {
            reason: format!(
                "the {} metadata of {} has no release dates, maintainers or downloads",
                metadata.ecosystem, metadata.name
            ),
        };
    }
    let computed = if possible > 0.0 { (100.0 * earned / possible).round() as u8 } else { 0 };
    let score = if flagged { computed.max(HIGH) } else { computed };
    let level = if flagged || score >= HIGH {
        RiskLevel::High
    } else if score >= MEDIUM {
        RiskLevel::Medium
    } else {
        RiskLevel::Low
    };
    let reasons = reasons(&signals, &points);
    Risk::Assessed(Box::new(Assessment { signals, points, score, level, reasons }))
}

/// The signals that earned points, in words; when none did, the facts
/// known (so a Low risk still says what it rests on).
fn reasons(signals: &Signals, points: &Points) -> Vec<String> {
    let earned = |part: Option<f64>| part.is_some_and(|points| points > 0.0);
    let mut reasons = Vec::new();
    if let Some(message) = &signals.deprecated {
        reasons.push(format!("deprecated ({message:?})"));
    }
    if signals.inactive {
        reasons.push("marked inactive (Development Status :: 7 - Inactive)".to_owned());
    }
    match &signals.yanked {
        Some(Some(reason)) => reasons.push(format!("this version was yanked ({reason:?})")),
        Some(None) => reasons.push("this version was yanked".to_owned()),
        None => {}
    }
    let age = signals.days_since_last_release.map(|days| format!("last release {}", ago(days)));
    let cadence = signals.releases_last_year.map(|count| match count {
        0 => "no release in the last year".to_owned(),
        1 => "1 release in the last year".to_owned(),
        _ => format!("{count} releases in the last year"),
    });
    let maintainers = signals.maintainers.map(|count| match count {
        1 => "1 maintainer".to_owned(),
        _ => format!("{count} maintainers"),
    });
    let downloads = signals
        .weekly_downloads
        .map(|weekly| format!("{} downloads a week", thousands(weekly.round() as u64)));
    let mut driven = false;
    if earned(points.maintenance) {
        reasons.extend(age.clone());
        driven = true;
    }
    // "No release in the last year" only adds to "last release 3 years
    // ago" when the age itself earned nothing.
    if earned(points.cadence)
        && !(earned(points.maintenance) && signals.releases_last_year == Some(0))
    {
        reasons.extend(cadence.clone());
        driven = true;
    }
    if earned(points.maintainers) {
        reasons.extend(maintainers.clone());
        driven = true;
    }
    if earned(points.popularity) {
        reasons.extend(downloads.clone());
        driven = true;
    }
    if !driven && reasons.is_empty() {
        reasons.extend([age, cadence, maintainers, downloads].into_iter().flatten());
    }
    reasons
}

/// `1234567` as `1,234,567`.
fn thousands(number: u64) -> String {
    let digits = number.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (index, digit) in digits.chars().enumerate() {
        if index > 0 && (digits.len() - index) % 3 == 0 {
            out.push(',');
        }
        out.push(digit);
    }
    out
}

/// `days` ago in words: days up to two months, months up to two years,
/// then years.
pub fn ago(days: i64) -> String {
    let (count, unit) = match days {
        0 => return "today".to_owned(),
        1..60 => (days, "day"),
        60..730 => (days / 30, "month"),
        _ => (days / 365, "year"),
    };
    format!("{count} {unit}{} ago", if count == 1 { "" } else { "s" })
}

/// The finding's message: `High operational risk in left-pad 1.3.0:
/// deprecated ("use String.prototype.padStart()"); last release 7 years
/// ago; 1 maintainer`.
pub fn message(name: &str, version: &str, assessment: &Assessment) -> String {
    format!(
        "{} operational risk in {name} {version}: {}",
        assessment.level.as_str(),
        assessment.reasons.join("; ")
    )
}

/// The risk of one package of a graph.
#[derive(Debug, Clone, PartialEq)]
pub struct NodeRisk {
    /// The node's index in [`Graph::nodes`].
    pub node: usize,
    /// Its risk, or why it is unknown.
    pub risk: Risk,
    /// The metadata it was judged on is older than the time to live: the
    /// fetcher should ask the registry again.
    pub stale: bool,
}

/// The risk of every package of `graph` from `cache` at `now`; a package
/// the cache does not hold is unknown, with the reason.
pub fn assess_graph(
    graph: &Graph,
    cache: &MetadataCache,
    now: i64,
    ttl_seconds: i64,
) -> Vec<NodeRisk> {
    graph
        .nodes
        .iter()
        .enumerate()
        .map(|(index, node)| {
            match cache.brief(graph.ecosystem, &node.name, &node.version, now, ttl_seconds) {
                Some(brief) => NodeRisk {
                    node: index,
                    risk: assess_of(brief.package, brief.releases, brief.in_use.as_ref(), now),
                    stale: brief.stale,
                },
                None => NodeRisk {
                    node: index,
                    risk: Risk::Unknown {
                        reason: format!(
                            "no {} registry metadata for {} in the cache (not fetched yet, or its cache file was ignored)",
                            graph.ecosystem, node.name
                        ),
                    },
                    stale: false,
                },
            }
        })
        .collect()
}
