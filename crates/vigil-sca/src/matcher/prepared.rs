//! Advisory ranges read once. The store prepares every `affected` entry
//! when it is built: event versions parsed and put in version order,
//! RustSec requirements parsed, fixed versions picked out. Matching then
//! compares parsed versions instead of reading every range's strings again
//! for each package version it checks.
//!
//! [`Prepared::evaluate`] answers exactly as reading the ranges afresh
//! would: the same verdict, the same fixed versions in the same order, the
//! same problem for a range or version that cannot be read.

use crate::Ecosystem;
use crate::advisory::{Affected, Event, Range};
use crate::version::Version;

/// One `affected` entry of an advisory, its ranges read.
#[derive(Debug)]
pub(crate) struct Prepared {
    /// Its position in the advisory's `affected` (where the versions it
    /// lists one by one are read when matching, not copied here).
    pub(crate) position: u32,
    /// Whether it lists versions one by one.
    pub(crate) lists_versions: bool,
    /// The ecosystem its ranges were read as.
    ecosystem: Ecosystem,
    ranges: Box<[PreparedRange]>,
}

#[derive(Debug)]
enum PreparedRange {
    /// RustSec's `patched` and `unaffected` requirements.
    Requirements {
        /// Every requirement, or why the first that cannot be read cannot.
        requirements: Result<Box<[semver::VersionReq]>, String>,
        /// The versions the `patched` requirements start at.
        fixed: Box<[Box<str>]>,
    },
    /// OSV events.
    Events {
        /// Whether SemVer orders them whatever the ecosystem.
        semver: bool,
        /// The events in version order (`None`: introduced `0`, before
        /// every version), or why the first that cannot be read cannot.
        sorted: Result<Sorted, String>,
        /// The `fixed` versions as written, in written order, up to the
        /// first event that cannot be read.
        fixed: Box<[Box<str>]>,
    },
}

/// A range's events in version order; `None` is introduced `0`.
type Sorted = Box<[(Option<Version>, Kind)]>;

/// What an event does, its version kept apart.
#[derive(Debug, Clone, Copy)]
enum Kind {
    Introduced,
    Fixed,
    LastAffected,
    Limit,
}

impl Prepared {
    /// Reads the ranges of `affected`, the entry at `position` of its
    /// advisory, as versions of `ecosystem`.
    pub(crate) fn new(ecosystem: Ecosystem, affected: &Affected, position: u32) -> Prepared {
        let ranges = affected
            .ranges
            .iter()
            .map(|range| match range {
                Range::Requirements { patched, unaffected } => PreparedRange::Requirements {
                    requirements: patched
                        .iter()
                        .chain(unaffected)
                        .map(|text| {
                            semver::VersionReq::parse(text)
                                .map_err(|e| format!("requirement `{text}` is not valid: {e}"))
                        })
                        .collect(),
                    fixed: patched.iter().filter_map(|text| lower_bound(text)).collect(),
                },
                Range::Events { semver, events } => {
                    let (sorted, fixed) = prepare_events(ecosystem, *semver, events);
                    PreparedRange::Events { semver: *semver, sorted, fixed }
                }
            })
            .collect();
        Prepared { position, lists_versions: !affected.versions.is_empty(), ecosystem, ranges }
    }

    /// Whether `version` is affected, `listed` being the versions the entry
    /// lists one by one; pushes the fixed versions of the ranges read.
    pub(crate) fn evaluate<'a>(
        &'a self,
        listed: &[String],
        version: &str,
        fixed: &mut Vec<&'a str>,
    ) -> Result<bool, String> {
        let mut hit = listed.iter().any(|listed| listed == version);
        // Read once, by the first events range that reads it.
        let mut parsed_version: Option<Version> = None;
        let mut problem = None;
        for range in &self.ranges {
            match range {
                PreparedRange::Requirements { requirements, fixed: bounds } => {
                    let v = semver::Version::parse(version)
                        .map_err(|e| format!("version `{version}` is not SemVer: {e}"))?;
                    let requirements = requirements.as_ref().map_err(Clone::clone)?;
                    let safe = requirements.iter().any(|requirement| requirement.matches(&v));
                    fixed.extend(bounds.iter().map(|bound| &**bound));
                    hit |= !safe;
                }
                PreparedRange::Events { semver, sorted, fixed: texts } => {
                    let v = match parsed_version {
                        Some(ref v) => v,
                        None => {
                            let parsed = if *semver {
                                Version::parse_semver(version)
                            } else {
                                Version::parse(self.ecosystem, version)
                            };
                            match parsed {
                                Ok(v) => parsed_version.insert(v),
                                Err(error) => {
                                    problem = Some(error.to_string());
                                    continue;
                                }
                            }
                        }
                    };
                    fixed.extend(texts.iter().map(|text| &**text));
                    match sorted {
                        Ok(sorted) => hit |= in_events(v, sorted),
                        Err(error) => problem = Some(error.clone()),
                    }
                }
            }
        }
        match problem {
            Some(problem) if !hit => Err(problem),
            _ => Ok(hit),
        }
    }
}

/// The events of one range in version order (or the problem with the first
/// that cannot be read), and its fixed versions up to that one.
fn prepare_events(
    ecosystem: Ecosystem,
    semver: bool,
    events: &[Event],
) -> (Result<Sorted, String>, Box<[Box<str>]>) {
    let mut sorted: Vec<(Option<Version>, Kind)> = Vec::with_capacity(events.len());
    let mut fixed: Vec<Box<str>> = Vec::new();
    for event in events {
        let (kind, text) = match event {
            Event::Introduced(text) => (Kind::Introduced, text),
            Event::Fixed(text) => (Kind::Fixed, text),
            Event::LastAffected(text) => (Kind::LastAffected, text),
            Event::Limit(text) => (Kind::Limit, text),
        };
        if matches!(kind, Kind::Introduced) && text == "0" {
            sorted.push((None, kind));
            continue;
        }
        let parsed =
            if semver { Version::parse_semver(text) } else { Version::parse(ecosystem, text) };
        match parsed {
            Ok(parsed) => {
                if matches!(kind, Kind::Fixed) {
                    fixed.push(text.as_str().into());
                }
                sorted.push((Some(parsed), kind));
            }
            Err(error) => return (Err(format!("range event: {error}")), fixed.into()),
        }
    }
    sorted.sort_by(|a, b| a.0.cmp(&b.0));
    (Ok(sorted.into()), fixed.into())
}

/// OSV's evaluation: walk the events in version order; `introduced` opens
/// the range, `fixed` closes it at that version, `last_affected` just after
/// it; `limit` bounds the whole range.
fn in_events(version: &Version, sorted: &[(Option<Version>, Kind)]) -> bool {
    let mut affected = false;
    for (at, kind) in sorted {
        let reached = at.as_ref().is_none_or(|at| version >= at);
        match kind {
            Kind::Introduced if reached => affected = true,
            Kind::Fixed if reached => affected = false,
            Kind::LastAffected if at.as_ref().is_some_and(|at| version > at) => affected = false,
            Kind::Limit if reached => return false,
            _ => {}
        }
    }
    affected
}

/// The version a RustSec `patched` requirement starts at (`>= 1.2.3`,
/// `^1.2.3`, `1.2.3`).
fn lower_bound(requirement: &str) -> Option<Box<str>> {
    let first = requirement.split(',').next()?.trim();
    let version = first
        .strip_prefix(">=")
        .or_else(|| first.strip_prefix('^'))
        .or_else(|| first.strip_prefix('='));
    let version = match version {
        Some(version) => version,
        None if first.starts_with(|c: char| c.is_ascii_digit()) => first,
        None => return None,
    };
    Some(version.trim().into())
}
