//! The dependency engine: in the tree phase it reads every lockfile (with
//! its companion manifest from the same directory), builds its graph and
//! matches it against the advisory store; each match is a finding on the
//! lockfile line of the package. Each graph is also an [`Artifact`] of the
//! scan, which the server keeps and [`rematch`]es after an advisory sync.
//!
//! The store is process-wide ([`use_store`], [`open_store`]): the CLI opens
//! it from `--data-dir`, the server at start and after every sync. An
//! engine built before a sync sees the new store at its next scan. Without
//! a store, a scan that meets a lockfile says once that dependencies were
//! not checked and how to get a store; it never fails for that.
//!
//! Operational risk (SCA005) comes from the package-metadata cache under
//! the same data directory ([`crate::metadata_cache`], filled from the
//! registries by a fetcher outside the engines): each package whose cached
//! metadata scores a High or Medium risk ([`crate::risk`]) is a finding
//! naming the signals. An empty or missing cache gives no finding and no
//! noise; a package the cache does not hold is left out.

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, PoisonError, RwLock};

use vigil_core::{
    AdvisoryInfo, Artifact, Diagnostic, DiagnosticLevel, Engine, Evidence, FileOutput, Finding,
    FindingKind, Rule, RuleStatus, Severity, SourceFile, assign_occurrences, sort_findings,
};

use crate::graph::{Graph, dirs_above};
use crate::lockfile::{self, Input, MAX_LOCKFILE_BYTES};
use crate::matcher::{Match, match_graph};
use crate::metadata_cache::MetadataCache;
use crate::risk::{Risk, RiskLevel};
use crate::store::{Store, StoreError};

/// The engine's name in the registry and on its artifacts.
pub const ENGINE: &str = "dependencies";

/// A vulnerable dependency.
pub const VULNERABLE: &str = "SCA001";
/// A crate its advisory database says is unmaintained.
pub const UNMAINTAINED: &str = "SCA002";
/// A crate whose safe API can cause undefined behaviour.
pub const UNSOUND: &str = "SCA003";
/// Another advisory notice about a package.
pub const NOTICE: &str = "SCA004";
/// A package its registry metadata shows to be a High or Medium
/// operational risk (deprecated, yanked, unmaintained, few maintainers).
pub const RISKY: &str = "SCA005";

/// How old cached registry metadata may be and still be used without a
/// note that it is stale: a week.
pub const METADATA_TTL_SECONDS: i64 = 7 * 86_400;

/// The data directory whose metadata cache scans read, and the cache once
/// opened (lazily: a scan without lockfiles never reads it).
static METADATA: RwLock<Option<(std::path::PathBuf, Option<Arc<MetadataCache>>)>> =
    RwLock::new(None);

/// The metadata cache of the data directory [`use_data_dir`] named, opened
/// at first use; `None` without a data directory. The license engine reads
/// dependencies' licenses from it too.
pub fn current_metadata() -> Option<Arc<MetadataCache>> {
    if let Some((_, Some(cache))) = &*METADATA.read().unwrap_or_else(PoisonError::into_inner) {
        return Some(cache.clone());
    }
    let mut state = METADATA.write().unwrap_or_else(PoisonError::into_inner);
    let (dir, cache) = state.as_mut()?;
    Some(
        cache
            .get_or_insert_with(|| Arc::new(MetadataCache::open(&MetadataCache::dir(dir))))
            .clone(),
    )
}

/// Makes the next scan read the metadata cache from disk again (after a
/// fetch replaced it).
pub fn reload_metadata() {
    if let Some((_, cache)) = METADATA.write().unwrap_or_else(PoisonError::into_inner).as_mut() {
        *cache = None;
    }
}

enum State {
    Unset,
    /// Opened at the first scan that meets a lockfile.
    Lazy(std::path::PathBuf),
    Open(Arc<Store>),
    Failed(String),
}

static STORE: RwLock<State> = RwLock::new(State::Unset);

/// Makes `store` the one every dependency scan of this process reads.
pub fn use_store(store: Arc<Store>) {
    *STORE.write().unwrap_or_else(PoisonError::into_inner) = State::Open(store);
}

/// Opens the store under `data_dir` and makes it the one scans read; on
/// failure, scans say why dependencies were not checked.
pub fn open_store(data_dir: &Path) -> Result<Arc<Store>, StoreError> {
    match Store::open(data_dir) {
        Ok(store) => {
            let store = Arc::new(store);
            use_store(store.clone());
            Ok(store)
        }
        Err(error) => {
            *STORE.write().unwrap_or_else(PoisonError::into_inner) =
                State::Failed(error.to_string());
            Err(error)
        }
    }
}

/// Makes the store under `data_dir` the one scans read, opened when a scan
/// first needs it (a scan without lockfiles never reads it).
pub fn use_data_dir(data_dir: &Path) {
    *STORE.write().unwrap_or_else(PoisonError::into_inner) = State::Lazy(data_dir.to_owned());
    *METADATA.write().unwrap_or_else(PoisonError::into_inner) = Some((data_dir.to_owned(), None));
}

/// The store scans read, or why there is none.
pub fn current_store() -> Result<Arc<Store>, String> {
    let lazy = match &*STORE.read().unwrap_or_else(PoisonError::into_inner) {
        State::Lazy(dir) => Some(dir.clone()),
        _ => None,
    };
    if let Some(dir) = lazy {
        let mut state = STORE.write().unwrap_or_else(PoisonError::into_inner);
        // Another scan may have opened it while this one waited.
        if matches!(&*state, State::Lazy(pending) if *pending == dir) {
            *state = match Store::open(&dir) {
                Ok(store) => State::Open(Arc::new(store)),
                Err(error) => State::Failed(error.to_string()),
            };
        }
    }
    match &*STORE.read().unwrap_or_else(PoisonError::into_inner) {
        State::Open(store) => Ok(store.clone()),
        State::Failed(reason) => Err(reason.clone()),
        State::Lazy(_) => Err("the advisory store is being replaced; scan again".to_owned()),
        State::Unset => Err(
            "no advisory store is open; import advisories with `vigil vulndb import DIR` or download them with `vigil vulndb sync`"
                .to_owned(),
        ),
    }
}

/// The engine.
pub struct DependencyEngine {
    rules: Vec<Rule>,
    store: Option<Arc<Store>>,
    /// A metadata cache and the time to judge it at, instead of the
    /// process-wide cache and the clock (tests).
    metadata: Option<(Arc<MetadataCache>, i64)>,
}

impl Default for DependencyEngine {
    fn default() -> Self {
        DependencyEngine::new()
    }
}

impl DependencyEngine {
    /// The engine with its rules.
    pub fn new() -> DependencyEngine {
        DependencyEngine { rules: rules(), store: None, metadata: None }
    }

    /// The engine reading `store` instead of the process-wide one (tests,
    /// benchmarks).
    pub fn with_store(store: Arc<Store>) -> DependencyEngine {
        DependencyEngine { rules: rules(), store: Some(store), metadata: None }
    }

    /// The engine judging operational risk from `cache` as of `now`
    /// (seconds since the Unix epoch) instead of the process-wide cache and
    /// the clock.
    pub fn with_metadata(mut self, cache: Arc<MetadataCache>, now: i64) -> DependencyEngine {
        self.metadata = Some((cache, now));
        self
    }
}

fn rule(
    id: &str,
    name: &str,
    kind: FindingKind,
    severity: Severity,
    title: &str,
    description: &str,
    fix: &str,
) -> Rule {
    Rule {
        id: id.to_owned(),
        name: name.to_owned(),
        kind,
        title: title.to_owned(),
        severity,
        description: description.to_owned(),
        remediation: fix.to_owned(),
        references: vec!["https://osv.dev".to_owned()],
        aliases: Vec::new(),
        status: RuleStatus::Preview,
    }
}

/// The engine's rules: one per kind of advisory. A vulnerability's own
/// severity (from its CVSS vector) replaces the rule's default.
pub fn rules() -> Vec<Rule> {
    vec![
        rule(
            VULNERABLE,
            "vulnerable-dependency",
            FindingKind::Vulnerability,
            Severity::High,
            "Dependency with a known vulnerability",
            "A package version pinned in a lockfile is affected by a published advisory (OSV, GitHub, RustSec, PyPA). Code that uses the vulnerable part can be attacked the way the advisory describes.",
            "Upgrade the package to a fixed version; for a transitive dependency, upgrade the direct dependency that pulls it in, or pin the fixed version.",
        ),
        rule(
            UNMAINTAINED,
            "unmaintained-package",
            FindingKind::OperationalRisk,
            Severity::Low,
            "Unmaintained package",
            "Its advisory database says the package is no longer maintained: security problems found in it will not be fixed.",
            "Move to the maintained alternative the advisory names.",
        ),
        rule(
            UNSOUND,
            "unsound-package",
            FindingKind::OperationalRisk,
            Severity::Medium,
            "Package with unsound code",
            "Its advisory database says safe code using the package can cause undefined behaviour (memory corruption, data races).",
            "Upgrade to a version the advisory lists as patched, or stop using the affected functions.",
        ),
        rule(
            RISKY,
            "risky-package",
            FindingKind::OperationalRisk,
            Severity::Medium,
            "Package with high operational risk",
            "Its registry says the package (or the version in use) is deprecated, inactive or yanked, or it has had no release for years, few maintainers and few users: problems found in it may never be fixed. High from a score of 70 of 100 or any deprecation or yank, Medium from 40 (docs/dependencies.md, \"Operational risk\").",
            "Move to a maintained alternative (a deprecation message usually names one), or upgrade off a yanked version; if you keep the package, suppress the issue with the reason.",
        ),
        rule(
            NOTICE,
            "package-notice",
            FindingKind::OperationalRisk,
            Severity::Info,
            "Advisory notice about a package",
            "Its advisory database published a notice about the package (a compromised release, a deprecation).",
            "Read the notice and follow its advice.",
        ),
    ]
}

impl Engine for DependencyEngine {
    fn name(&self) -> &'static str {
        ENGINE
    }

    fn kinds(&self) -> &'static [FindingKind] {
        &[FindingKind::Vulnerability, FindingKind::OperationalRisk]
    }

    fn rules(&self) -> &[Rule] {
        &self.rules
    }

    fn wants(&self, _path: &str) -> bool {
        false
    }

    fn scan_file(&self, _file: SourceFile<'_>, _output: &mut FileOutput) {}

    fn keeps(&self, path: &str) -> bool {
        lockfile::format_for(path).is_some() || lockfile::is_companion(path)
    }

    fn scan_tree(&self, files: &[SourceFile<'_>], output: &mut FileOutput) {
        let lockfiles: Vec<&SourceFile<'_>> =
            files.iter().filter(|file| lockfile::format_for(file.path).is_some()).collect();
        if lockfiles.is_empty() {
            return;
        }
        let store = self.store.clone().map_or_else(current_store, Ok);
        if let Err(reason) = &store {
            output.diagnostics.push(Diagnostic::general(
                DiagnosticLevel::Warning,
                format!(
                    "dependencies of {} lockfile(s) were not checked for vulnerabilities: {reason}",
                    lockfiles.len()
                ),
            ));
        }
        for (graph, text) in read_lockfiles(files, &mut output.diagnostics) {
            // The graph is kept even without a store: matched once there is one.
            if let Ok(data) = serde_json::to_string(&graph) {
                output.artifacts.push(Artifact { engine: ENGINE, path: graph.file.clone(), data });
            }
            output.findings.extend(self.risky(&graph, text));
            if let Ok(store) = &store {
                let (findings, warnings) = match_lockfile(store, &graph, text);
                output.findings.extend(findings);
                for warning in warnings {
                    output.diagnostics.push(Diagnostic::for_file(
                        DiagnosticLevel::Warning,
                        &graph.file,
                        warning,
                    ));
                }
            }
        }
    }
}

impl DependencyEngine {
    /// The operational-risk findings of one graph (High and Medium only).
    fn risky(&self, graph: &Graph, text: &str) -> Vec<Finding> {
        let (cache, now) = match &self.metadata {
            Some((cache, now)) => (cache.clone(), *now),
            None => match current_metadata() {
                Some(cache) => (cache, jiff::Timestamp::now().as_second()),
                None => return Vec::new(),
            },
        };
        if cache.is_empty() {
            return Vec::new();
        }
        let lines: Vec<&str> = text.lines().collect();
        let mut findings = Vec::new();
        for judged in crate::risk::assess_graph(graph, &cache, now, METADATA_TTL_SECONDS) {
            let Risk::Assessed(assessment) = &judged.risk else { continue };
            let severity = match assessment.level {
                RiskLevel::High => Severity::High,
                RiskLevel::Medium => Severity::Medium,
                RiskLevel::Low => continue,
            };
            let node = &graph.nodes[judged.node];
            let (location, line_text) = graph.pin(judged.node, &lines);
            // Identity: the package, not the version or the score.
            let mut finding = Finding::new(
                FindingKind::OperationalRisk,
                RISKY,
                format!(
                    "{}; risk score {} of 100",
                    crate::risk::message(&node.name, &node.version, assessment),
                    assessment.score
                ),
                severity,
                location,
                &format!("{RISKY} {}", node.name),
            );
            finding.package = graph.package(judged.node, Vec::new());
            finding.evidence = Evidence { snippet: line_text.map(str::to_owned), secret: None };
            finding.remediation = format!(
                "{}Move to a maintained alternative, or upgrade off a yanked version; if {} stays, suppress the issue with the reason.",
                if judged.stale { "Judged on registry metadata older than a week. " } else { "" },
                node.name
            );
            findings.push(finding);
        }
        findings
    }
}

/// Matches a stored graph (an [`Artifact`] this engine wrote, JSON) against
/// `store` and judges its operational risk from `metadata`, if given: the
/// findings a scan of the same lockfile would report, with the same
/// fingerprints, but no code snippet (the file is not at hand).
pub fn rematch(
    store: &Store,
    metadata: Option<Arc<MetadataCache>>,
    data: &str,
) -> Result<Vec<Finding>, String> {
    let graph: Graph = serde_json::from_str(data)
        .map_err(|error| format!("the stored dependency graph cannot be read: {error}"))?;
    let (mut findings, _) = match_lockfile(store, &graph, "");
    // The metadata cache may know more since the scan: risk is judged again.
    if let Some(cache) = metadata {
        findings.extend(
            DependencyEngine::new()
                .with_metadata(cache, jiff::Timestamp::now().as_second())
                .risky(&graph, ""),
        );
    }
    sort_findings(&mut findings);
    assign_occurrences(&mut findings);
    Ok(findings)
}

/// The findings of one graph read from `text` (empty when the file is not
/// at hand), and the matcher's warnings.
fn match_lockfile(store: &Store, graph: &Graph, text: &str) -> (Vec<Finding>, Vec<String>) {
    let (matches, warnings) = match_graph(store, graph);
    let lines: Vec<&str> = if matches.is_empty() { Vec::new() } else { text.lines().collect() };
    let findings = matches.iter().map(|found| finding(graph, found, &lines)).collect();
    (findings, warnings)
}

fn text_of<'a>(file: &SourceFile<'a>, diagnostics: &mut Vec<Diagnostic>) -> Option<&'a str> {
    if file.content.len() > MAX_LOCKFILE_BYTES {
        diagnostics.push(Diagnostic::for_file(
            DiagnosticLevel::Warning,
            file.path,
            format!(
                "not read: {} bytes, more than the {MAX_LOCKFILE_BYTES} a lockfile may have",
                file.content.len()
            ),
        ));
        return None;
    }
    match file.text() {
        Ok(text) => Some(text),
        Err(offset) => {
            diagnostics.push(Diagnostic::for_file(
                DiagnosticLevel::Warning,
                file.path,
                format!("not read: not UTF-8 text (invalid byte at offset {offset})"),
            ));
            None
        }
    }
}

/// Every lockfile of `files` (with its companion) as a graph, in path
/// order, and the problems met (for `vigil sbom` and the license engine).
pub fn graphs(files: &[SourceFile<'_>]) -> (Vec<Graph>, Vec<Diagnostic>) {
    let mut diagnostics = Vec::new();
    let graphs = read_lockfiles(files, &mut diagnostics).into_iter().map(|(graph, _)| graph);
    (graphs.collect(), diagnostics)
}

/// Every lockfile of `files` as a graph with its text, in path order,
/// except those inside a vendored copy of a package another lockfile pins
/// (`vendor/<crate>/Cargo.lock`, `node_modules/<name>/yarn.lock`: that
/// package's own development lockfile, not what this repository builds);
/// those are counted in one note.
fn read_lockfiles<'a>(
    files: &[SourceFile<'a>],
    diagnostics: &mut Vec<Diagnostic>,
) -> Vec<(Graph, &'a str)> {
    let by_path: HashMap<&str, &SourceFile<'_>> =
        files.iter().map(|file| (file.path, file)).collect();
    let mut lockfiles: Vec<&SourceFile<'a>> =
        files.iter().filter(|file| lockfile::format_for(file.path).is_some()).collect();
    // Outer lockfiles first, so their vendored copies are known before
    // the lockfiles inside them come up.
    lockfiles.sort_by_key(|file| (file.path.matches('/').count(), file.path));
    // Each vendored copy's directory, with the lockfile pinning it (an
    // index into `read`).
    let mut vendored: HashMap<String, usize> = HashMap::new();
    let mut inside_copies: Vec<&str> = Vec::new();
    let mut read: Vec<(Graph, &'a str)> = Vec::new();
    let count = lockfiles.len();
    for (position, file) in lockfiles.into_iter().enumerate() {
        if dirs_above(file.path).any(|dir| vendored.contains_key(dir)) {
            inside_copies.push(file.path);
            continue;
        }
        let Some((graph, text)) = graph_of(file, &by_path, diagnostics) else { continue };
        // Only a lockfile still to come can sit inside these copies.
        if position + 1 < count {
            for node in &graph.nodes {
                for dir in graph.vendored_dirs(node) {
                    vendored.entry(dir).or_insert(read.len());
                }
            }
        }
        read.push((graph, text));
    }
    if let Some(first) = inside_copies.first() {
        let owner = dirs_above(first)
            .find_map(|dir| vendored.get(dir))
            .and_then(|&index| read.get(index))
            .map_or("", |(graph, _)| graph.file.as_str());
        diagnostics.push(Diagnostic::general(
            DiagnosticLevel::Note,
            format!(
                "{} lockfile(s) inside vendored copies of packages were not read ({first}{}): those packages are pinned by {owner}, and their own lockfiles are not what this repository builds",
                inside_copies.len(),
                if inside_copies.len() > 1 { ", ..." } else { "" },
            ),
        ));
    }
    read.sort_by(|a, b| a.0.file.cmp(&b.0.file));
    read
}

/// Reads one lockfile with its companion from `by_path` into its graph;
/// problems go to `diagnostics` naming the file.
fn graph_of<'a>(
    file: &SourceFile<'a>,
    by_path: &HashMap<&str, &SourceFile<'_>>,
    diagnostics: &mut Vec<Diagnostic>,
) -> Option<(Graph, &'a str)> {
    let format = lockfile::format_for(file.path)?;
    let text = text_of(file, diagnostics)?;
    let companion_path = format.companion.map(|name| match file.path.rsplit_once('/') {
        Some((dir, _)) => format!("{dir}/{name}"),
        None => name.to_owned(),
    });
    let companion_file = companion_path.as_deref().and_then(|path| by_path.get(path).copied());
    let companion_text = companion_file.and_then(|companion| text_of(companion, diagnostics));
    let companion = match (&companion_path, companion_text) {
        (Some(path), Some(text)) => Some(Input { path, text }),
        _ => None,
    };
    let parsed = match (format.parse)(Input { path: file.path, text }, companion) {
        Ok(parsed) => parsed,
        Err(error) => {
            let mut diagnostic = Diagnostic::for_file(
                DiagnosticLevel::Warning,
                file.path,
                format!("dependencies not checked: {}", error.message),
            );
            if let Some(line) = error.line {
                diagnostic = diagnostic.at(line, None);
            }
            diagnostics.push(diagnostic);
            return None;
        }
    };
    let graph = Graph::build(file.path, format.ecosystem, parsed);
    for warning in &graph.warnings {
        diagnostics.push(Diagnostic::for_file(
            DiagnosticLevel::Warning,
            file.path,
            warning.clone(),
        ));
    }
    if !graph.unresolved.is_empty() {
        let listed: Vec<String> = graph
            .unresolved
            .iter()
            .take(10)
            .map(|item| format!("{} (line {}: {})", item.name, item.line, item.reason))
            .collect();
        let more = graph.unresolved.len().saturating_sub(listed.len());
        diagnostics.push(Diagnostic::for_file(
            DiagnosticLevel::Note,
            file.path,
            format!(
                "{} dependencies have no registry version to check: {}{}",
                graph.unresolved.len(),
                listed.join(", "),
                if more > 0 { format!(" and {more} more") } else { String::new() }
            ),
        ));
    }
    Some((graph, text))
}

fn finding(graph: &Graph, found: &Match<'_>, lines: &[&str]) -> Finding {
    let node = &graph.nodes[found.node];
    let advisory = found.advisory;
    let (rule_id, kind, severity) = match advisory.informational.as_deref() {
        None => (VULNERABLE, FindingKind::Vulnerability, advisory.severity()),
        Some("unmaintained") => (UNMAINTAINED, FindingKind::OperationalRisk, Severity::Low),
        Some("unsound") => (UNSOUND, FindingKind::OperationalRisk, Severity::Medium),
        Some(_) => (NOTICE, FindingKind::OperationalRisk, Severity::Info),
    };
    let title = format!("{} {}: {}", node.name, node.version, headline(advisory));
    let (location, line_text) = graph.pin(found.node, lines);
    // Identity: the advisory and the package, not the version, so an issue
    // stays the same issue across an upgrade that does not fix it.
    let mut finding = Finding::new(
        kind,
        rule_id,
        title,
        severity,
        location,
        &format!("{} {}", advisory.id, node.name),
    );
    finding.package = graph.package(found.node, found.fixed.clone());
    let cvss = advisory.cvss_score();
    finding.advisory = Some(AdvisoryInfo {
        id: advisory.id.clone(),
        aliases: found.aliases.clone(),
        url: advisory.url.clone(),
        cvss_vector: cvss.as_ref().map(|(vector, _, _)| vector.clone()),
        cvss_score_tenths: cvss.map(|(_, score, _)| (score * 10.0).round().clamp(0.0, 100.0) as u8),
    });
    finding.evidence = Evidence { snippet: line_text.map(str::to_owned), secret: None };
    finding.remediation = remediation(graph, found);
    finding
}

/// The advisory's summary, else the first sentence of its description (at
/// most 120 characters), else its id.
fn headline(advisory: &crate::advisory::Advisory) -> String {
    if !advisory.summary.is_empty() {
        return advisory.summary.clone();
    }
    let first = advisory.details.split(". ").next().unwrap_or("").trim();
    if first.is_empty() {
        return advisory.id.clone();
    }
    let mut cut: String = first.chars().take(120).collect();
    if cut.len() < first.len() {
        cut.push('…');
    }
    cut
}

/// What to do, in words, naming versions.
fn remediation(graph: &Graph, found: &Match<'_>) -> String {
    let node = &graph.nodes[found.node];
    let Some(remedy) = &found.remedy else {
        return match found.advisory.informational {
            Some(_) => {
                format!("Read {} and replace {} if it advises so.", found.advisory.id, node.name)
            }
            None => format!(
                "No fixed version of {} is known; remove it or mitigate as {} describes.",
                node.name, found.advisory.id
            ),
        };
    };
    match node.path.first() {
        Some(&top) if !node.direct => format!(
            "Upgrade {} to {remedy} or later. It comes in through {}: upgrade that to a release that requires {} {remedy} or later, or pin {} to {remedy}.",
            node.name,
            graph.label(top),
            node.name,
            node.name
        ),
        _ => format!("Upgrade {} from {} to {remedy} or later.", node.name, node.version),
    }
}

#[cfg(test)]
mod tests;
