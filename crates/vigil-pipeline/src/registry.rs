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
use std::sync::{Arc, Mutex, PoisonError};

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
pub static ENGINES: &[EngineEntry] = &[EngineEntry {
    name: "secrets",
    title: "Secret rules",
    kinds: &[FindingKind::Secret],
    config_files: &[GITLEAKS_CONFIG_FILE],
    retired: vigil_secrets::RETIRED_RULES,
    builtin: || {
        vigil_secrets::SecretsEngine::builtin()
            .map(|engine| Arc::new(engine) as Arc<dyn Engine>)
            .map_err(|error| format!("the built-in secret rules: {error}"))
    },
    configured: secrets_with_gitleaks,
}];

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
