//! The engine registry: [`ENGINES`] is the one list of every engine this
//! build has. Whatever needs to know the engines reads it: the pipeline
//! (which engines a scan runs), `vigil rules`, the server's issue pages
//! (a rule's documentation) and `cargo xtask codegen` (one page per engine
//! under `docs/rules/`).
//!
//! **Adding an engine:** write the crate (implement
//! [`vigil_core::Engine`]), add it to this crate's dependencies, and add one
//! [`EngineEntry`] to [`ENGINES`]. Nothing else names engines.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock, PoisonError};

use vigil_core::{Diagnostic, DiagnosticLevel, Engine, FindingKind, Rule};

use crate::RepoFiles;

/// An engine built for one scan, with what its configuration files said.
pub struct Configured {
    /// The engine.
    pub engine: Arc<dyn Engine>,
    /// Lines for people: which configuration was used.
    pub notes: Vec<String>,
}

/// One engine of the build.
pub struct EngineEntry {
    /// Stable short name (`secrets`): progress, diagnostics, the docs page
    /// `docs/rules/<name>.md`.
    pub name: &'static str,
    /// Title of its rule catalogue page.
    pub title: &'static str,
    /// The finding kinds it produces.
    pub kinds: &'static [FindingKind],
    /// Configuration files it reads at the repository's root.
    pub config_files: &'static [&'static str],
    /// Whether it also reads its own section of `vigil.toml` and the
    /// repository's policy files ([`crate::IAC_POLICY_PREFIX`]), so that
    /// `configured` runs whenever those are present.
    pub reads_vigil_toml: bool,
    /// Rule ids it no longer has, with why; never reused.
    pub retired: &'static [(&'static str, &'static str)],
    /// Builds the engine with its built-in rules (the registry keeps one per
    /// process: rules are parsed and compiled once).
    pub builtin: fn() -> Result<Arc<dyn Engine>, String>,
    /// Builds the engine for a repository that has one of `config_files`;
    /// a problem in them is a diagnostic naming the file.
    pub configured: fn(&RepoFiles) -> Result<Configured, Diagnostic>,
}

/// Every engine of this build, in the order they run and are listed.
pub static ENGINES: &[EngineEntry] = &[
    EngineEntry {
        name: "secrets",
        title: "Secret rules",
        kinds: &[FindingKind::Secret],
        config_files: &[GITLEAKS_CONFIG_FILE],
        reads_vigil_toml: false,
        retired: vigil_secrets::RETIRED_RULES,
        builtin: || {
            vigil_secrets::SecretsEngine::builtin()
                .map(|engine| Arc::new(engine) as Arc<dyn Engine>)
                .map_err(|error| format!("the built-in secret rules: {error}"))
        },
        configured: secrets_with_gitleaks,
    },
    EngineEntry {
        name: "iac",
        title: "IaC policies",
        kinds: &[FindingKind::Iac],
        config_files: &[],
        reads_vigil_toml: true,
        retired: &[],
        builtin: || builtin_iac().map(|engine| Arc::new(engine) as Arc<dyn Engine>),
        configured: iac_with_settings,
    },
    EngineEntry {
        name: "dependencies",
        title: "Dependency advisories",
        kinds: &[FindingKind::Vulnerability, FindingKind::OperationalRisk],
        config_files: &[],
        reads_vigil_toml: false,
        retired: &[],
        builtin: || Ok(Arc::new(vigil_sca::engine::DependencyEngine::new()) as Arc<dyn Engine>),
        configured: |_| {
            builtin("dependencies")
                .map(|engine| Configured { engine, notes: Vec::new() })
                .map_err(Diagnostic::error)
        },
    },
    EngineEntry {
        name: vigil_license::engine::ENGINE,
        title: "License policy",
        kinds: &[FindingKind::License],
        config_files: &[],
        reads_vigil_toml: true,
        retired: &[],
        builtin: || Ok(Arc::new(vigil_license::engine::LicenseEngine::default()) as Arc<dyn Engine>),
        configured: licenses_with_policy,
    },
];

/// The license engine with the repository's `[licenses]` policy.
fn licenses_with_policy(files: &RepoFiles) -> Result<Configured, Diagnostic> {
    let policy = files
        .get(crate::CONFIG_FILE)
        .map(|file| crate::config::RepoConfig::parse(&file.origin, &file.text).0.licenses)
        .unwrap_or_default();
    let notes = if policy == vigil_license::policy::LicensePolicy::default() {
        Vec::new()
    } else {
        vec![format!("license policy from {}", crate::CONFIG_FILE)]
    };
    let engine = Arc::new(vigil_license::engine::LicenseEngine::new(policy)) as Arc<dyn Engine>;
    Ok(Configured { engine, notes })
}

/// Tells the engines that keep data under the data directory where it is:
/// the dependency engine's advisory store (`DIR/vulndb/`), opened when a
/// scan first meets a lockfile.
pub fn use_data_dir(dir: &std::path::Path) {
    vigil_sca::engine::use_data_dir(dir);
}

/// Why dependencies cannot be matched now (no advisory store, or a damaged
/// one), in words that say how to get one; `None` when they can.
pub fn advisory_store_problem() -> Option<String> {
    vigil_sca::engine::current_store().err()
}

/// The built-in IaC engine, parsed once per process.
fn builtin_iac() -> Result<vigil_iac::IacEngine, String> {
    static BUILT: OnceLock<Result<vigil_iac::IacEngine, String>> = OnceLock::new();
    BUILT
        .get_or_init(|| {
            vigil_iac::IacEngine::builtin()
                .map_err(|error| format!("the built-in IaC policies: {error}"))
        })
        .clone()
}

/// The IaC engine with the repository's `[iac]` settings and its own
/// Checkov policies (read into `files` under [`crate::IAC_POLICY_PREFIX`]).
fn iac_with_settings(files: &RepoFiles) -> Result<Configured, Diagnostic> {
    let engine = builtin_iac().map_err(Diagnostic::error)?;
    let skip = files
        .get(crate::CONFIG_FILE)
        .map(|file| crate::config::RepoConfig::parse(&file.origin, &file.text).0.iac.skip)
        .unwrap_or_default();
    let mut policies = Vec::new();
    let mut problems: Vec<vigil_iac::PolicyError> = Vec::new();
    for (_, file) in files.with_prefix(crate::IAC_POLICY_PREFIX) {
        match vigil_iac::policy::parse(&file.origin, &file.text, None, vigil_iac::Origin::User) {
            Ok(policy) => policies.push(policy),
            Err(error) => problems.push(error),
        }
    }
    if let Some(first) = problems.first() {
        let more = match problems.len() {
            1 => String::new(),
            n => format!(
                " ({} more policy files have problems: {})",
                n - 1,
                problems[1..].iter().map(|p| p.file.as_str()).collect::<Vec<_>>().join(", ")
            ),
        };
        let mut diagnostic = Diagnostic::for_file(
            DiagnosticLevel::Error,
            first.file.clone(),
            format!(
                "IaC policy not loaded: {}; the built-in policies run without the repository's own{more}",
                first.message
            ),
        );
        if let Some(line) = first.line {
            diagnostic = diagnostic.at(line, None);
        }
        return Err(diagnostic);
    }
    let mut notes = Vec::new();
    if !policies.is_empty() {
        notes.push(format!(
            "Running {} IaC policies of the repository beside the built-in ones.",
            policies.len()
        ));
    }
    if !skip.is_empty() {
        notes.push(format!("Not reporting IaC policies {} ([iac] skip).", skip.join(", ")));
    }
    Ok(Configured { engine: Arc::new(engine.with(policies, skip)), notes })
}

/// The gitleaks configuration the secrets engine imports.
pub const GITLEAKS_CONFIG_FILE: &str = ".gitleaks.toml";

fn secrets_with_gitleaks(files: &RepoFiles) -> Result<Configured, Diagnostic> {
    let Some(file) = files.get(GITLEAKS_CONFIG_FILE) else {
        return builtin("secrets")
            .map(|engine| Configured { engine, notes: Vec::new() })
            .map_err(Diagnostic::error);
    };
    let problem = |message: String| {
        Diagnostic::for_file(DiagnosticLevel::Error, file.origin.as_str(), message)
    };
    let config = vigil_secrets::import_gitleaks(&file.text)
        .map_err(|error| problem(format!("gitleaks configuration not imported: {error}")))?;
    let engine = vigil_secrets::SecretsEngine::with_gitleaks(&config)
        .map_err(|error| problem(format!("gitleaks configuration not imported: {error}")))?;
    let defaults = if config.use_default { "with" } else { "instead of" };
    let note = format!(
        "Using {} gitleaks rules from {} {defaults} the built-in rules.",
        config.rules.len(),
        file.origin
    );
    Ok(Configured { engine: Arc::new(engine), notes: vec![note] })
}

/// The entry called `name`.
pub fn entry(name: &str) -> Option<&'static EngineEntry> {
    ENGINES.iter().find(|entry| entry.name == name)
}

/// The engine `name` with its built-in rules, built once per process.
pub fn builtin(name: &str) -> Result<Arc<dyn Engine>, String> {
    static BUILT: Mutex<Option<HashMap<&'static str, Arc<dyn Engine>>>> = Mutex::new(None);
    let entry = entry(name).ok_or_else(|| format!("no engine called `{name}` in this build"))?;
    let mut built = BUILT.lock().unwrap_or_else(PoisonError::into_inner);
    let built = built.get_or_insert_with(HashMap::new);
    if let Some(engine) = built.get(entry.name) {
        return Ok(engine.clone());
    }
    let engine = (entry.builtin)()?;
    built.insert(entry.name, engine.clone());
    Ok(engine)
}

/// A rule of some engine, with the engine's name.
#[derive(Debug, Clone, serde::Serialize)]
pub struct RegisteredRule {
    /// The engine's [`EngineEntry::name`].
    pub engine: &'static str,
    /// The rule.
    #[serde(flatten)]
    pub rule: Rule,
}

/// Every built-in rule of every engine, in registry order.
pub fn all_rules() -> Result<Vec<RegisteredRule>, String> {
    let mut rules = Vec::new();
    for entry in ENGINES {
        let engine = builtin(entry.name)?;
        rules.extend(
            engine
                .rules()
                .iter()
                .map(|rule| RegisteredRule { engine: entry.name, rule: rule.clone() }),
        );
    }
    Ok(rules)
}

/// The built-in rule with id `id`, from whichever engine has it.
pub fn find_rule(id: &str) -> Option<RegisteredRule> {
    ENGINES.iter().find_map(|entry| {
        let engine = builtin(entry.name).ok()?;
        let rule = engine.rules().iter().find(|rule| rule.id == id)?;
        Some(RegisteredRule { engine: entry.name, rule: rule.clone() })
    })
}
