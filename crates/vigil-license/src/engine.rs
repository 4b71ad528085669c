//! The license engine of the scan pipeline (`licenses`). Every package a
//! lockfile pins is judged by the repository's [`LicensePolicy`] from the
//! license the lockfile records for it (npm's `package-lock.json` and
//! `composer.lock` record one per package), else from what its registry
//! says in the package-metadata cache of the data directory (`vigil
//! metadata fetch`: npm, PyPI, crates.io). A package whose lockfile records
//! licenses, or whose registry answer is cached, but without a license is
//! an unknown license; packages neither source knows are counted in one
//! note per lockfile, not reported one by one. A Go module or crate whose
//! copy sits under `vendor/` takes its license from the copy's license
//! files when the lockfile records none; other license files below the
//! root are judged as vendored code ([`crate::vendored`]).
//!
//! It reads lockfiles through `vigil_sca`'s parsers (the dependency
//! engine's graph), so both engines agree on which packages a repository
//! has and where each is pinned. Pure: files in, findings out.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use vigil_core::{
    Diagnostic, DiagnosticLevel, Engine, FileOutput, Finding, FindingKind, LicenseInfo, Rule,
    RuleStatus, Severity, SourceFile, assign_occurrences, sort_findings,
};

use vigil_sca::Ecosystem;
use vigil_sca::graph::Graph;
use vigil_sca::metadata_cache::MetadataCache;

use crate::category::Category;
use crate::policy::LicensePolicy;

/// The engine's name in the registry, progress and `--only`.
pub const ENGINE: &str = "licenses";
/// A dependency's license fails the policy.
pub const POLICY_VIOLATION: &str = "LIC001";
/// A dependency's license is not recorded where its lockfile records them.
pub const UNKNOWN_LICENSE: &str = "LIC002";
/// A license file below the root gives vendored code terms the policy
/// does not accept ([`crate::vendored`]).
pub const VENDORED_LICENSE: &str = "LIC003";

/// The license engine with one policy.
pub struct LicenseEngine {
    policy: LicensePolicy,
    rules: Vec<Rule>,
    /// A metadata cache instead of the data directory's (tests).
    metadata: Option<Arc<MetadataCache>>,
}

impl Default for LicenseEngine {
    fn default() -> Self {
        LicenseEngine::new(LicensePolicy::default())
    }
}

impl LicenseEngine {
    /// The engine judging by `policy`.
    pub fn new(policy: LicensePolicy) -> LicenseEngine {
        LicenseEngine { policy, rules: rules(), metadata: None }
    }

    /// The engine reading registry licenses from `cache` instead of the
    /// data directory's.
    pub fn with_metadata(mut self, cache: Arc<MetadataCache>) -> LicenseEngine {
        self.metadata = Some(cache);
        self
    }
}

fn rule(id: &str, name: &str, severity: Severity, title: &str, what: &str, fix: &str) -> Rule {
    Rule {
        id: id.to_owned(),
        name: name.to_owned(),
        kind: FindingKind::License,
        title: title.to_owned(),
        severity,
        description: what.to_owned(),
        remediation: fix.to_owned(),
        references: vec!["https://spdx.org/licenses/".to_owned()],
        aliases: Vec::new(),
        status: RuleStatus::Preview,
    }
}

/// The engine's rules. A finding's severity is the policy's for the
/// license's category, not the rule's default.
pub fn rules() -> Vec<Rule> {
    vec![
        rule(
            POLICY_VIOLATION,
            "license-policy-violation",
            Severity::High,
            "Dependency license not allowed by the policy",
            "A package pinned in a lockfile is licensed under terms the license policy does not accept: copyleft terms that reach the code built with it (GPL, or AGPL over a network), source-available or proprietary terms (BUSL, SSPL, Elastic), or a license the policy denies by name. By default weak copyleft is medium, strong and network copyleft and non-permissive terms are high, permissive licenses pass; `[licenses]` in vigil.toml changes that.",
            "Replace the package with one under an accepted license, or, when your legal review accepts the terms, allow the license (`allow = [\"ID\"]`) or the package (`allow_packages`) under `[licenses]` in vigil.toml.",
        ),
        rule(
            UNKNOWN_LICENSE,
            "unknown-dependency-license",
            Severity::Medium,
            "Dependency with an unknown license",
            "The lockfile records the licenses of its packages but not this one's, or the package's registry answer (in the metadata cache) gives none: nobody can say under which terms it may be used, shipped or changed.",
            "Find the package's license (its repository, its registry page) and ask its maintainers to declare it; until then, allow the package under `[licenses]` in vigil.toml once reviewed, or set `unknown = \"none\"`.",
        ),
        rule(
            VENDORED_LICENSE,
            "vendored-code-license",
            Severity::High,
            "Vendored code under a license the policy does not accept",
            "A license file below the repository's root (`third_party/lib/COPYING`, `vendor/github.com/acme/lib/LICENSE`) gives the code beside it terms the license policy does not accept, and they are not the repository's own: the root's license files do not name them. Tests, fixtures, documentation and `node_modules` are not judged (node_modules' packages are, through the lockfile).",
            "Remove or replace the vendored code, or, when your legal review accepts its terms, allow the license (`allow = [\"ID\"]`) or the directory (`allow_packages = [\"third_party/lib\"]`) under `[licenses]` in vigil.toml.",
        ),
    ]
}

impl Engine for LicenseEngine {
    fn name(&self) -> &'static str {
        ENGINE
    }

    fn kinds(&self) -> &'static [FindingKind] {
        &[FindingKind::License]
    }

    fn rules(&self) -> &[Rule] {
        &self.rules
    }

    fn wants(&self, _path: &str) -> bool {
        false
    }

    fn scan_file(&self, _file: SourceFile<'_>, _output: &mut FileOutput) {}

    fn keeps(&self, path: &str) -> bool {
        vigil_sca::lockfile::format_for(path).is_some()
            || vigil_sca::lockfile::is_companion(path)
            || crate::is_license_file(std::path::Path::new(path))
    }

    fn scan_tree(&self, files: &[SourceFile<'_>], output: &mut FileOutput) {
        // Unreadable lockfiles are the dependency engine's to report.
        let (graphs, _) = vigil_sca::engine::graphs(files);
        let texts: HashMap<&str, &str> =
            files.iter().filter_map(|file| Some((file.path, file.text().ok()?))).collect();
        let cache = self.metadata.clone().or_else(vigil_sca::engine::current_metadata);
        let vendored = crate::vendored::Vendored::of(files);
        let mut claimed = HashSet::new();
        let mut findings = Vec::new();
        for graph in &graphs {
            let lines: Vec<&str> = texts
                .get(graph.file.as_str())
                .map(|text| text.lines().collect())
                .unwrap_or_default();
            let records = graph.nodes.iter().any(|node| node.license.is_some());
            let mut unknown = 0;
            for (index, node) in graph.nodes.iter().enumerate() {
                // Any age will do: a package's license rarely changes.
                let cached = cache.as_deref().and_then(|cache| {
                    cache.get(graph.ecosystem, &node.name, 0, i64::MAX).metadata()
                });
                // A vendored copy of a lockfile package is judged with the
                // package, never again as vendored code of its own.
                let copies =
                    if vendored.is_empty() { Vec::new() } else { graph.vendored_dirs(node) };
                let in_vendor = match node.license {
                    Some(_) => None,
                    None => vendored.package_license(graph.ecosystem, &copies),
                };
                let source = match (&node.license, in_vendor, cached) {
                    (Some(license), _, _) => Source::Lockfile(license),
                    (None, Some((expression, file)), _) => Source::Vendored(expression, file),
                    // A package its registry does not know (a private one).
                    (None, None, Some(metadata)) if metadata.not_found => {
                        unknown += 1;
                        continue;
                    }
                    (None, None, Some(metadata)) => match metadata.license_of(&node.version) {
                        Some(license) => Source::Registry(license),
                        None => match metadata
                            .version(&node.version)
                            .and_then(|entry| entry.license_file.as_deref())
                        {
                            Some(file) => Source::LicenseFile(file),
                            // The crates.io index gives no license; the
                            // version's download has not been read yet.
                            None if graph.ecosystem == Ecosystem::CratesIo => {
                                unknown += 1;
                                continue;
                            }
                            None => Source::RegistryNone,
                        },
                    },
                    (None, None, None) if records => Source::LockfileNone,
                    (None, None, None) => {
                        unknown += 1;
                        continue;
                    }
                };
                if let Some(finding) = self.judge(graph, index, source, &lines) {
                    findings.push(finding);
                }
                claimed.extend(copies);
            }
            if unknown > 0 {
                output.diagnostics.push(Diagnostic::for_file(
                    DiagnosticLevel::Note,
                    &graph.file,
                    format!(
                        "licenses of {unknown} of its {} packages not checked: neither the lockfile nor the package-metadata cache records them (`vigil metadata fetch` fills the cache from npm, PyPI and crates.io), and no `vendor/` directory holds their license files",
                        graph.nodes.len()
                    ),
                ));
            }
        }
        findings.extend(vendored.judge(&self.policy, &claimed, output));
        sort_findings(&mut findings);
        assign_occurrences(&mut findings);
        output.findings.extend(findings);
    }
}

/// Where a package's license comes from.
#[derive(Clone, Copy)]
enum Source<'a> {
    /// The lockfile records it.
    Lockfile(&'a str),
    /// The lockfile records licenses, but none for this package.
    LockfileNone,
    /// The registry's answer in the metadata cache gives it.
    Registry(&'a str),
    /// The registry's answer is cached but gives none.
    RegistryNone,
    /// The package's manifest names a license file instead of an
    /// expression (Cargo's `license-file`).
    LicenseFile(&'a str),
    /// The license files of its copy under `vendor/` (the expression, the
    /// first file).
    Vendored(&'a str, &'a str),
}

impl LicenseEngine {
    /// The finding for package `index` of `graph`, if its license fails.
    fn judge(
        &self,
        graph: &Graph,
        index: usize,
        source: Source<'_>,
        lines: &[&str],
    ) -> Option<Finding> {
        let node = &graph.nodes[index];
        let (rule_id, expression, severity, category, why) = match source {
            Source::Lockfile(raw) | Source::Registry(raw) | Source::Vendored(raw, _) => {
                let expression = match crate::expression::normalize(raw) {
                    Ok(normalized) => normalized.expression,
                    Err(_) => free_text(raw),
                };
                let judgement = self.policy.judge(&node.name, &expression);
                let severity = judgement.severity?;
                let why = match source {
                    Source::Registry(_) => {
                        format!("{} (as its registry gives it)", judgement.reason)
                    }
                    Source::Vendored(_, file) => {
                        format!("{} (as its vendored copy's {file} gives it)", judgement.reason)
                    }
                    _ => judgement.reason,
                };
                (POLICY_VIOLATION, expression, severity, judgement.category, why)
            }
            Source::LockfileNone | Source::RegistryNone | Source::LicenseFile(_) => {
                let severity = self.policy.unknown_severity()?;
                let why = match source {
                    Source::RegistryNone => "its registry gives no license for it".to_owned(),
                    Source::LicenseFile(file) => format!(
                        "its Cargo.toml gives a license file (`{file}`) instead of an SPDX expression; read that file"
                    ),
                    _ => format!("{} records no license for it", graph.file),
                };
                (UNKNOWN_LICENSE, "unknown".to_owned(), severity, Category::Unknown, why)
            }
        };
        let (location, line_text) = graph.pin(index, lines);
        let title = match rule_id {
            UNKNOWN_LICENSE => format!("{} {}: license unknown", node.name, node.version),
            _ => format!("{} {}: {expression} ({})", node.name, node.version, category.words()),
        };
        // Identity: the package and its license, not the version.
        let mut finding = Finding::new(
            FindingKind::License,
            rule_id,
            title,
            severity,
            location,
            &format!("{} {expression}", node.name),
        );
        finding.package = graph.package(index, Vec::new());
        finding.license = Some(LicenseInfo {
            expression: expression.clone(),
            category: category.as_str().to_owned(),
        });
        finding.evidence.snippet = line_text.map(str::to_owned);
        finding.remediation = format!(
            "{why}. Replace {} with a package under an accepted license, or allow it under [licenses] in vigil.toml once your legal review accepts {expression}.",
            node.name
        );
        Some(finding)
    }
}

/// Licenses registries and lockfiles write as words rather than SPDX ids
/// (PyPI's free `license` field), with their ids; anything else is kept as
/// written and judged unknown.
const FREE_TEXT: &[(&str, &str)] = &[
    ("public domain", "LicenseRef-public-domain"),
    ("mit license", "MIT"),
    ("the mit license", "MIT"),
    ("apache 2.0", "Apache-2.0"),
    ("apache license 2.0", "Apache-2.0"),
    ("apache license, version 2.0", "Apache-2.0"),
    ("apache software license", "Apache-2.0"),
    ("bsd 3-clause", "BSD-3-Clause"),
    ("new bsd license", "BSD-3-Clause"),
    ("isc license", "ISC"),
    ("mozilla public license 2.0", "MPL-2.0"),
];

/// The SPDX id of a license written as words, else the words.
fn free_text(raw: &str) -> String {
    let words = raw.trim().trim_end_matches('.').to_ascii_lowercase();
    FREE_TEXT
        .iter()
        .find(|(name, _)| *name == words)
        .map_or_else(|| raw.trim().to_owned(), |(_, id)| (*id).to_owned())
}
