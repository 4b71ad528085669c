//! [`Plan`]: a repository's configuration files, the caller's overrides and
//! the server-wide default policy resolved into what one scan runs and how
//! its findings are judged; [`Plan::scan`] runs it.
//!
//! Layers, lowest first: built-in defaults, the server-wide default policy,
//! the repository's `vigil.toml`, the caller's [`Overrides`]. A bad
//! override is a [`PlanError`] (the CLI exits 2); a problem in the
//! repository's files is a diagnostic in [`Plan::problems`], and that one
//! setting falls back to the layer below while everything else still
//! applies.

use std::collections::{BTreeMap, HashSet};
use std::path::Path;
use std::sync::Arc;

use vigil_core::{
    Baseline, Diagnostic, DiagnosticLevel, Engine, FileOutput, Finding, FindingKind, Policy, Rule,
    ScanStats, Severity, SoftFail, SourceFile,
};
use vigil_scanner::{Progress, ScanError, ScanOptions, Scanner};

use crate::RepoFiles;
use crate::config::{
    BASELINE_FILE, CONFIG_FILE, RepoConfig, SECRETS_IGNORE_FILE, SizeValue, parse_fail_on,
    parse_size, position_of,
};
use crate::registry::{self, ENGINES};

/// The engines a scan runs and the kinds it reports.
type Selection = (Vec<Arc<dyn Engine>>, Vec<FindingKind>);

/// Default size limit of a scanned file: 10 MB.
const DEFAULT_MAX_FILE_SIZE: u64 = 10_000_000;

/// What the caller sets over the repository's configuration: the CLI's
/// flags. The server passes the defaults.
#[derive(Debug, Clone, Default)]
pub struct Overrides {
    /// `--fail-on`: a severity or `never`.
    pub fail_on: Option<String>,
    /// `--soft-fail-on` entries, added to the repository's.
    pub soft_fail_on: Vec<String>,
    /// `--only`: finding kinds, replacing the repository's `scan.only`.
    pub only: Vec<String>,
    /// `--skip-rule`: rule ids, added to the repository's `rules.disable`.
    pub skip_rule: Vec<String>,
    /// `--exclude` globs, added to the repository's.
    pub exclude: Vec<String>,
    /// `--max-file-size`.
    pub max_file_size: Option<String>,
    /// `--no-gitignore`.
    pub no_gitignore: bool,
    /// Walker threads; 0 picks the number of CPUs.
    pub threads: usize,
    /// Scan the git history instead of the tree (secrets only).
    pub history: bool,
    /// Walk and read, run no engine (`--walk-only`, for measuring).
    pub walk_only: bool,
}

/// Everything a plan is built from.
#[derive(Debug, Clone, Copy)]
pub struct Inputs<'a> {
    /// The repository's configuration files.
    pub files: &'a RepoFiles,
    /// The caller's overrides.
    pub overrides: &'a Overrides,
    /// The server-wide default policy, for repositories that set none.
    pub default_policy: Option<&'a Policy>,
}

/// Why a plan cannot be built: the caller's own input is wrong, or an
/// engine's built-in rules do not load.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PlanError {
    /// An override (a flag) that cannot be used.
    #[error("{flag}: {message}")]
    Override {
        /// The flag, as typed (`--fail-on`).
        flag: &'static str,
        /// What is wrong with it.
        message: String,
    },
    /// The kinds asked for have no engine in this build.
    #[error("no engine in this build scans for {wanted} (available: {available})")]
    NoEngine {
        /// The kinds asked for.
        wanted: String,
        /// The kinds this build has.
        available: String,
    },
    /// An engine's built-in rules failed to load (a build defect).
    #[error("{0}")]
    Engine(String),
}

/// One scan, resolved.
pub struct Plan {
    engines: Vec<Arc<dyn Engine>>,
    history: bool,
    /// How to walk.
    pub options: ScanOptions,
    /// How findings are judged.
    pub policy: Policy,
    /// The finding kinds the scan reports.
    pub kinds: Vec<FindingKind>,
    /// The rules that run, with severity overrides applied.
    pub rules: Vec<Rule>,
    /// Per-rule severities from the repository's `[rules] severity`.
    pub severity_overrides: BTreeMap<String, Severity>,
    /// Secret fingerprints the repository accepted (`.vigilignore-secrets`).
    pub accepted: HashSet<String>,
    /// The repository's baseline (`.vigil-baseline.json`, or `--baseline`).
    pub baseline: Option<Baseline>,
    /// Problems in the repository's configuration files.
    pub problems: Vec<Diagnostic>,
    /// Lines for people: which configuration files were used.
    pub notes: Vec<String>,
}

impl std::fmt::Debug for Plan {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let engines: Vec<&str> = self.engines.iter().map(|engine| engine.name()).collect();
        formatter
            .debug_struct("Plan")
            .field("engines", &engines)
            .field("options", &self.options)
            .field("policy", &self.policy)
            .field("problems", &self.problems)
            .finish_non_exhaustive()
    }
}

/// What a scan found, after the plan's severity overrides and accepted
/// fingerprints.
#[derive(Debug, Default)]
pub struct ScanRun {
    /// Findings in report order.
    pub findings: Vec<Finding>,
    /// The plan's problems first, then the walk's and the engines'.
    pub diagnostics: Vec<Diagnostic>,
    /// Counters.
    pub stats: ScanStats,
    /// Findings the baseline held back (not in `findings`), for writing a
    /// new baseline that keeps them.
    pub baselined: Vec<Finding>,
    /// What engines learned about the tree that outlives the scan (the
    /// dependency graph of each lockfile; see [`vigil_sca::engine::rematch`]).
    pub artifacts: Vec<vigil_core::Artifact>,
}

/// Collects the repository-file problems of one plan.
struct Problems<'a> {
    list: Vec<Diagnostic>,
    config: Option<&'a crate::RepoFile>,
}

impl Problems<'_> {
    /// A problem in `vigil.toml`, positioned at the first `needle`.
    fn config(&mut self, needle: &str, message: String) {
        let origin = self.config.map_or(CONFIG_FILE, |file| file.origin.as_str());
        let mut diagnostic = Diagnostic::for_file(DiagnosticLevel::Error, origin, message);
        if let Some((line, column)) = self.config.and_then(|file| position_of(&file.text, needle)) {
            diagnostic = diagnostic.at(line, Some(column));
        }
        self.list.push(diagnostic);
    }
}

fn override_error(flag: &'static str, message: impl Into<String>) -> PlanError {
    PlanError::Override { flag, message: message.into() }
}

fn parse_kind(name: &str) -> Result<FindingKind, String> {
    FindingKind::parse(name).ok_or_else(|| {
        let known: Vec<&str> = FindingKind::ALL.iter().map(|kind| kind.as_str()).collect();
        format!("unknown finding kind `{name}` (expected one of: {})", known.join(", "))
    })
}

impl Plan {
    /// Resolves `inputs`. Errors only for bad overrides or a broken build;
    /// problems in the repository's files are in [`Plan::problems`].
    pub fn build(inputs: &Inputs<'_>) -> Result<Plan, PlanError> {
        let flags = inputs.overrides;
        let config_file = inputs.files.get(CONFIG_FILE);
        let mut problems = Problems { list: Vec::new(), config: config_file };
        let mut notes = Vec::new();
        let config = match config_file {
            Some(file) => {
                let (config, problem) = RepoConfig::parse(&file.origin, &file.text);
                problems.list.extend(problem);
                notes.push(format!("Using config {}.", file.origin));
                config
            }
            None => RepoConfig::default(),
        };

        let (kinds, kinds_from_flags) = Plan::kinds(flags, &config, &mut problems)?;
        let (engines, kinds) = Plan::select_engines(
            inputs.files,
            flags,
            kinds,
            kinds_from_flags,
            &mut problems,
            &mut notes,
        )?;
        let known_rules: HashSet<&str> = engines
            .iter()
            .flat_map(|engine| engine.rules().iter().map(|rule| rule.id.as_str()))
            .collect();

        for id in &flags.skip_rule {
            if !known_rules.contains(id.as_str()) {
                return Err(override_error(
                    "--skip-rule",
                    format!("unknown rule id `{id}` (`vigil rules` lists them)"),
                ));
            }
        }
        let mut known_in_config = |id: &String, key: &str| {
            let known = known_rules.contains(id.as_str());
            if !known {
                problems.config(
                    id,
                    format!("[rules] {key}: unknown rule id `{id}` (`vigil rules` lists them)"),
                );
            }
            known
        };
        let disable: Vec<String> = config
            .rules
            .disable
            .iter()
            .filter(|id| known_in_config(id, "disable"))
            .cloned()
            .collect();
        let enable: HashSet<String> = config
            .rules
            .enable
            .iter()
            .filter(|id| known_in_config(id, "enable"))
            .cloned()
            .collect();
        let severity_overrides: BTreeMap<String, Severity> = config
            .rules
            .severity
            .iter()
            .filter(|(id, _)| known_in_config(id, "severity"))
            .map(|(id, severity)| (id.clone(), *severity))
            .collect();
        let mut disabled_rules: HashSet<String> = disable.into_iter().collect();
        disabled_rules.extend(flags.skip_rule.iter().cloned());
        if !config.rules.enable.is_empty() {
            disabled_rules.extend(
                known_rules.iter().filter(|id| !enable.contains(**id)).map(|id| (*id).to_owned()),
            );
        }

        let max_file_size = Plan::max_file_size(flags, &config, &mut problems)?;
        let policy = Plan::policy(flags, &config, inputs.default_policy, &mut problems)?;

        let mut excludes = Vec::new();
        for pattern in &config.scan.exclude {
            match vigil_scanner::check_exclude(pattern) {
                Ok(()) => excludes.push(pattern.clone()),
                Err(reason) => problems.config(
                    pattern,
                    format!("[scan] exclude: invalid pattern `{pattern}`: {reason}"),
                ),
            }
        }
        for pattern in &flags.exclude {
            vigil_scanner::check_exclude(pattern).map_err(|reason| {
                override_error("--exclude", format!("invalid pattern `{pattern}`: {reason}"))
            })?;
            excludes.push(pattern.clone());
        }

        let rules: Vec<Rule> = engines
            .iter()
            .flat_map(|engine| engine.rules().iter())
            .filter(|rule| !disabled_rules.contains(&rule.id))
            .map(|rule| {
                let mut rule = rule.clone();
                if let Some(severity) = severity_overrides.get(&rule.id) {
                    rule.severity = *severity;
                }
                rule
            })
            .collect();
        let accepted = Plan::accepted(inputs.files, &mut problems.list);
        let baseline = inputs.files.get(BASELINE_FILE).and_then(|file| {
            Baseline::parse(&file.text)
                .map_err(|error| {
                    problems.list.push(Diagnostic::for_file(
                        DiagnosticLevel::Error,
                        file.origin.as_str(),
                        format!("baseline not applied: {error}"),
                    ));
                })
                .ok()
        });
        problems.list.sort_by(|left, right| {
            (&left.path, left.line, left.column).cmp(&(&right.path, right.line, right.column))
        });

        Ok(Plan {
            engines,
            history: flags.history,
            options: ScanOptions {
                max_file_size,
                excludes,
                disabled_rules,
                gitignore: !flags.no_gitignore && config.scan.gitignore.unwrap_or(true),
                threads: flags.threads,
                ..ScanOptions::default()
            },
            policy,
            kinds,
            rules,
            severity_overrides,
            accepted,
            baseline,
            problems: problems.list,
            notes,
        })
    }

    /// The kinds asked for, and whether the flags asked.
    fn kinds(
        flags: &Overrides,
        config: &RepoConfig,
        problems: &mut Problems<'_>,
    ) -> Result<(Vec<FindingKind>, bool), PlanError> {
        if !flags.only.is_empty() {
            let kinds = flags
                .only
                .iter()
                .map(|name| parse_kind(name).map_err(|message| override_error("--only", message)))
                .collect::<Result<Vec<_>, _>>()?;
            return Ok((kinds, true));
        }
        let Some(only) = &config.scan.only else { return Ok((FindingKind::ALL.to_vec(), false)) };
        let mut kinds = Vec::new();
        for name in only {
            match parse_kind(name) {
                Ok(kind) => kinds.push(kind),
                Err(message) => problems.config(name, format!("[scan] only: {message}")),
            }
        }
        if kinds.is_empty() {
            kinds = FindingKind::ALL.to_vec();
        }
        Ok((kinds, false))
    }

    /// The engines that produce any of `kinds`, each built with the
    /// repository's configuration files where it has them; the kinds that
    /// will be reported.
    fn select_engines(
        files: &RepoFiles,
        flags: &Overrides,
        kinds: Vec<FindingKind>,
        kinds_from_flags: bool,
        problems: &mut Problems<'_>,
        notes: &mut Vec<String>,
    ) -> Result<Selection, PlanError> {
        if flags.walk_only {
            return Ok((vec![Arc::new(WalkOnly)], Vec::new()));
        }
        // History holds old versions of every file; only secrets in it matter.
        let wanted = |kinds: &[FindingKind], kind: &FindingKind| {
            kinds.contains(kind) && (!flags.history || *kind == FindingKind::Secret)
        };
        let mut selected: Vec<&registry::EngineEntry> = ENGINES
            .iter()
            .filter(|entry| entry.kinds.iter().any(|kind| wanted(&kinds, kind)))
            .collect();
        let mut kinds = kinds;
        if selected.is_empty() {
            let wanted: Vec<&str> = kinds.iter().map(|kind| kind.as_str()).collect();
            let available: Vec<&str> = ENGINES
                .iter()
                .flat_map(|entry| entry.kinds.iter().map(|kind| kind.as_str()))
                .collect();
            if kinds_from_flags || flags.history {
                return Err(PlanError::NoEngine {
                    wanted: wanted.join(", "),
                    available: available.join(", "),
                });
            }
            let first = wanted.first().copied().unwrap_or("only");
            problems.config(
                first,
                format!(
                    "[scan] only: no engine in this build scans for {} (available: {}); scanning for every kind instead",
                    wanted.join(", "),
                    available.join(", ")
                ),
            );
            selected = ENGINES.iter().collect();
            kinds = FindingKind::ALL.to_vec();
        }
        let mut engines = Vec::new();
        for entry in selected {
            let has_config = entry.config_files.iter().any(|name| files.get(name).is_some())
                || (entry.reads_vigil_toml
                    && (files.get(CONFIG_FILE).is_some()
                        || files.with_prefix(crate::IAC_POLICY_PREFIX).next().is_some()));
            if has_config {
                match (entry.configured)(files) {
                    Ok(configured) => {
                        notes.extend(configured.notes);
                        engines.push(configured.engine);
                        continue;
                    }
                    Err(problem) => problems.list.push(problem),
                }
            }
            engines.push(registry::builtin(entry.name).map_err(PlanError::Engine)?);
        }
        let reported: Vec<FindingKind> = FindingKind::ALL
            .into_iter()
            .filter(|kind| wanted(&kinds, kind))
            .filter(|kind| engines.iter().any(|engine| engine.kinds().contains(kind)))
            .collect();
        Ok((engines, reported))
    }

    fn max_file_size(
        flags: &Overrides,
        config: &RepoConfig,
        problems: &mut Problems<'_>,
    ) -> Result<u64, PlanError> {
        if let Some(flag) = &flags.max_file_size {
            return parse_size(flag).map_err(|message| override_error("--max-file-size", message));
        }
        Ok(match &config.scan.max_file_size {
            Some(SizeValue::Bytes(bytes)) => *bytes,
            Some(SizeValue::Text(text)) => parse_size(text).unwrap_or_else(|message| {
                problems.config(text, format!("[scan] max_file_size: {message}"));
                DEFAULT_MAX_FILE_SIZE
            }),
            None => DEFAULT_MAX_FILE_SIZE,
        })
    }

    /// Per setting: the flag, else the repository's `[policy]`, else the
    /// server's default policy, else the built-in default.
    fn policy(
        flags: &Overrides,
        config: &RepoConfig,
        default_policy: Option<&Policy>,
        problems: &mut Problems<'_>,
    ) -> Result<Policy, PlanError> {
        let fallback = default_policy.cloned().unwrap_or_default();
        let mut fail_on = fallback.fail_on;
        if let Some(text) = &config.policy.fail_on {
            match parse_fail_on(text) {
                Ok(threshold) => fail_on = threshold,
                Err(message) => problems.config(text, format!("[policy] fail_on: {message}")),
            }
        }
        if let Some(flag) = &flags.fail_on {
            fail_on =
                parse_fail_on(flag).map_err(|message| override_error("--fail-on", message))?;
        }
        let mut soft_fail_on = match &config.policy.soft_fail_on {
            Some(entries) => {
                let mut parsed = Vec::new();
                for text in entries {
                    match SoftFail::parse(text) {
                        Ok(entry) => parsed.push(entry),
                        Err(error) => {
                            problems.config(text, format!("[policy] soft_fail_on: {error}"))
                        }
                    }
                }
                parsed
            }
            None => fallback.soft_fail_on,
        };
        for text in &flags.soft_fail_on {
            soft_fail_on.push(
                SoftFail::parse(text)
                    .map_err(|error| override_error("--soft-fail-on", error.to_string()))?,
            );
        }
        Ok(Policy { fail_on, soft_fail_on })
    }

    /// The fingerprints of `.vigilignore-secrets`; a bad line is a problem
    /// and the other lines still count.
    fn accepted(files: &RepoFiles, problems: &mut Vec<Diagnostic>) -> HashSet<String> {
        let mut accepted = HashSet::new();
        let Some(file) = files.get(SECRETS_IGNORE_FILE) else { return accepted };
        for (index, line) in file.text.lines().enumerate() {
            match vigil_core::parse_ignore_file(line) {
                Ok(fingerprints) => accepted.extend(fingerprints),
                Err(vigil_core::BaselineError::BadIgnoreLine { text, .. }) => problems.push(
                    Diagnostic::for_file(
                        DiagnosticLevel::Error,
                        file.origin.as_str(),
                        format!("`{text}` is not a fingerprint (32 hex characters)"),
                    )
                    .at(u32::try_from(index + 1).unwrap_or(u32::MAX), None),
                ),
                Err(error) => problems.push(Diagnostic::for_file(
                    DiagnosticLevel::Error,
                    file.origin.as_str(),
                    error.to_string(),
                )),
            }
        }
        accepted
    }

    /// The engines that run, in registry order.
    pub fn engines(&self) -> impl Iterator<Item = &dyn Engine> {
        self.engines.iter().map(|engine| engine.as_ref())
    }

    /// What this plan does to the engines' findings, as data.
    pub fn verdict(&self) -> crate::Verdict {
        crate::Verdict {
            kinds: self.kinds.clone(),
            disabled_rules: self.options.disabled_rules.iter().cloned().collect(),
            severity_overrides: self.severity_overrides.clone(),
            baseline: self
                .baseline
                .as_ref()
                .map(|baseline| baseline.fingerprints().into_iter().map(str::to_owned).collect())
                .unwrap_or_default(),
        }
    }

    /// Walks `root` (or its git history) once for all engines; applies the
    /// [`verdict`](Plan::verdict) and the accepted fingerprints.
    pub fn scan(&self, root: &Path, progress: &Progress) -> Result<ScanRun, ScanError> {
        let engines: Vec<Box<dyn Engine>> =
            self.engines.iter().map(|engine| Box::new(engine.clone()) as Box<dyn Engine>).collect();
        let scanner = Scanner::new(engines, self.options.clone());
        let output = if self.history {
            scanner.scan_history(root, progress)?
        } else {
            scanner.scan(root, progress)?
        };
        // An engine may produce several kinds (dependencies: vulnerabilities
        // and operational risk): the verdict reports only the kinds asked
        // for, with severity overrides, and holds back the baseline's.
        let (mut findings, mut baselined) = self.verdict().apply(output.findings);
        let mut stats = output.stats;
        if !self.accepted.is_empty() {
            let accepted = |finding: &Finding| {
                finding.kind == FindingKind::Secret && self.accepted.contains(&finding.fingerprint)
            };
            let before = findings.len() + baselined.len();
            findings.retain(|finding| !accepted(finding));
            baselined.retain(|finding| !accepted(finding));
            stats.ignored = (before - findings.len() - baselined.len()) as u64;
        }
        stats.baselined = baselined.len() as u64;
        let mut diagnostics = self.problems.clone();
        diagnostics.extend(output.diagnostics);
        Ok(ScanRun { findings, diagnostics, stats, baselined, artifacts: output.artifacts })
    }
}

/// An engine that wants every file and finds nothing: `--walk-only`.
struct WalkOnly;

impl Engine for WalkOnly {
    fn name(&self) -> &'static str {
        "walk-only"
    }
    fn kinds(&self) -> &'static [FindingKind] {
        &[]
    }
    fn rules(&self) -> &[Rule] {
        &[]
    }
    fn scan_file(&self, _file: SourceFile<'_>, _output: &mut FileOutput) {}
}

#[cfg(test)]
mod tests;
