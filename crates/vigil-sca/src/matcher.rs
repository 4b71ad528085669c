//! Matching a dependency graph against the advisory store: which package
//! versions an advisory affects (OSV's range algorithm, RustSec's
//! requirements exactly as cargo-audit reads them), one match per
//! vulnerability however many databases and aliases describe it, and the
//! version to move to.

use std::collections::BTreeSet;

use crate::Ecosystem;
use crate::advisory::{Advisory, Affected};
use crate::graph::Graph;
use crate::store::Store;
use crate::version::Version;

use self::prepared::Prepared;

/// One vulnerability (or notice) in one package of a graph.
#[derive(Debug, Clone)]
pub struct Match<'a> {
    /// The node of the graph.
    pub node: usize,
    /// The advisory reported.
    pub advisory: &'a Advisory,
    /// Every other id of the vulnerability (aliases and the ids of other
    /// advisories that describe it), sorted, without `advisory.id`.
    pub aliases: Vec<String>,
    /// Versions that fix it, lowest first.
    pub fixed: Vec<String>,
    /// The version to move to: the lowest fixed version above the one in
    /// use on its major line, else the lowest above it.
    pub remedy: Option<String>,
}

/// Matches every node of `graph`. Problems (a version that cannot be read,
/// an advisory range that cannot) are returned as warnings naming the
/// package or advisory; the rest is still matched.
pub fn match_graph<'a>(store: &'a Store, graph: &Graph) -> (Vec<Match<'a>>, Vec<String>) {
    let mut matches = Vec::new();
    let mut warnings = Vec::new();
    let mut fixed: Vec<&'a str> = Vec::new();
    for (index, node) in graph.nodes.iter().enumerate() {
        let mut hits: Vec<(&Advisory, Vec<&'a str>)> = Vec::new();
        // Only the entries naming this package, their ranges read when the store was built.
        for (advisory, prepared) in store.prepared_for(graph.ecosystem, &node.name) {
            fixed.clear();
            let mut affected_here = false;
            for entry in prepared {
                // The advisory itself is only read for versions listed one by one.
                let listed = match entry.lists_versions {
                    true => advisory.affected.get(entry.position as usize),
                    false => None,
                };
                let listed = listed.map_or(&[][..], |affected| affected.versions.as_slice());
                match entry.evaluate(listed, &node.version, &mut fixed) {
                    Ok(true) => affected_here = true,
                    Ok(false) => {}
                    Err(problem) => warnings.push(format!(
                        "{} ({}@{}): {problem}",
                        advisory.id, node.name, node.version
                    )),
                }
            }
            if affected_here {
                hits.push((advisory, fixed.clone()));
            }
        }
        for group in group_by_alias(hits) {
            let (primary, rest) = choose_primary(graph.ecosystem, group);
            let mut aliases: BTreeSet<String> = BTreeSet::new();
            let mut fixed: Vec<String> = primary.1.iter().map(|text| (*text).to_owned()).collect();
            for (advisory, more) in std::iter::once(&primary).chain(rest.iter()) {
                aliases.extend(advisory.ids().map(str::to_owned));
                fixed.extend(more.iter().map(|text| (*text).to_owned()));
            }
            aliases.remove(&primary.0.id);
            let fixed = sorted_versions(graph.ecosystem, fixed);
            let remedy = remedy(graph.ecosystem, &node.version, &fixed);
            matches.push(Match {
                node: index,
                advisory: primary.0,
                aliases: aliases.into_iter().collect(),
                fixed,
                remedy,
            });
        }
    }
    (matches, warnings)
}

/// Whether `version` is in `affected`, collecting its fixed versions.
pub fn affects(
    ecosystem: Ecosystem,
    affected: &Affected,
    version: &str,
    fixed: &mut Vec<String>,
) -> Result<bool, String> {
    let prepared = Prepared::new(ecosystem, affected, 0);
    let mut found = Vec::new();
    let result = prepared.evaluate(&affected.versions, version, &mut found);
    fixed.extend(found.into_iter().map(str::to_owned));
    result
}

/// Groups advisories of one vulnerability: two advisories are the same
/// when one names the other's id among its aliases (a GHSA advisory naming
/// its CVE, a RustSec advisory naming its GHSA twin). Two advisories that
/// merely share a third alias stay apart, as cargo-audit keeps them: RustSec
/// files separate advisories for one CVE when they need different fixes.
fn group_by_alias<T>(hits: Vec<(&Advisory, T)>) -> Vec<Vec<(&Advisory, T)>> {
    let same = |a: &Advisory, b: &Advisory| a.aliases.contains(&b.id) || b.aliases.contains(&a.id);
    let mut groups: Vec<Vec<(&Advisory, T)>> = Vec::new();
    for hit in hits {
        let mut merged = vec![hit];
        let mut index = 0;
        while index < groups.len() {
            let linked = groups[index].iter().any(|(a, _)| merged.iter().any(|(b, _)| same(a, b)));
            if linked {
                merged.extend(groups.swap_remove(index));
            } else {
                index += 1;
            }
        }
        groups.push(merged);
    }
    groups.sort_by(|a, b| a.first().map(|m| &m.0.id).cmp(&b.first().map(|m| &m.0.id)));
    groups
}

/// The advisory to report for a group: the ecosystem's own database first
/// (RustSec, PyPA, Go), then GitHub's, then any other; ties by id.
fn choose_primary<T>(
    ecosystem: Ecosystem,
    mut group: Vec<(&Advisory, T)>,
) -> ((&Advisory, T), Vec<(&Advisory, T)>) {
    let rank = |id: &str| -> u8 {
        let native = match ecosystem {
            Ecosystem::CratesIo => "RUSTSEC-",
            Ecosystem::PyPI => "PYSEC-",
            Ecosystem::Go => "GO-",
            _ => "GHSA-",
        };
        if id.starts_with(native) {
            0
        } else if id.starts_with("GHSA-") {
            1
        } else {
            2
        }
    };
    group.sort_by(|a, b| rank(&a.0.id).cmp(&rank(&b.0.id)).then_with(|| a.0.id.cmp(&b.0.id)));
    let primary = group.remove(0);
    (primary, group)
}

/// `versions` parsed, deduplicated and sorted by the ecosystem's order
/// (unreadable ones last, as written).
fn sorted_versions(ecosystem: Ecosystem, versions: Vec<String>) -> Vec<String> {
    let mut keyed: Vec<(Option<Version>, String)> =
        versions.into_iter().map(|text| (Version::parse(ecosystem, &text).ok(), text)).collect();
    keyed.sort_by(|a, b| match (&a.0, &b.0) {
        (Some(x), Some(y)) => x.cmp(y),
        (Some(_), None) => std::cmp::Ordering::Less,
        (None, Some(_)) => std::cmp::Ordering::Greater,
        (None, None) => a.1.cmp(&b.1),
    });
    keyed.dedup_by(|a, b| a.1 == b.1 || (a.0.is_some() && a.0 == b.0));
    keyed.into_iter().map(|(_, text)| text).collect()
}

/// The lowest fixed version above `current` on its major line, else the
/// lowest above it.
fn remedy(ecosystem: Ecosystem, current: &str, fixed: &[String]) -> Option<String> {
    let current = Version::parse(ecosystem, current).ok()?;
    let above: Vec<(&String, Version)> = fixed
        .iter()
        .filter_map(|text| Version::parse(ecosystem, text).ok().map(|v| (text, v)))
        .filter(|(_, v)| *v > current)
        .collect();
    let same_major = above.iter().find(|(_, v)| v.major() == current.major());
    same_major.or_else(|| above.first()).map(|(text, _)| (*text).clone())
}

pub(crate) mod prepared;

#[cfg(test)]
mod tests;
