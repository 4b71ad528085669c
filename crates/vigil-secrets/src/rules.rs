//! The rule data format (`rules/*.toml`) and its loading and compilation.
//!
//! Each file holds `[[rules]]` entries; unknown keys are errors naming the
//! file, so a typo in a rule never silently disables a check.

use regex::bytes::{Regex, RegexBuilder, RegexSet, RegexSetBuilder};
use serde::Deserialize;
use vigil_core::{FindingKind, Rule, RuleStatus, Severity};

include!(concat!(env!("OUT_DIR"), "/builtin_rules.rs"));

/// Upper bound on a compiled regex, generous for rule patterns and small
/// enough that a pathological pattern is refused instead of eating memory.
const REGEX_SIZE_LIMIT: usize = 16 * 1024 * 1024;

/// A rule file or rule that cannot be used.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RuleError {
    /// The TOML is malformed or has unknown keys.
    #[error("{file}: {message}")]
    Parse {
        /// The rule file.
        file: String,
        /// What is wrong, as the TOML parser says it (names the key and line).
        message: String,
    },
    /// A rule's field is invalid.
    #[error("{file}: rule {id}: {message}")]
    Invalid {
        /// The rule file.
        file: String,
        /// The rule id.
        id: String,
        /// What is wrong.
        message: String,
    },
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RuleFile {
    rules: Vec<RuleSpec>,
}

/// Per-rule exceptions: a match is dropped when its secret matches one of the
/// regexes, contains one of the stop-words (case-insensitive), or its file
/// path matches one of the path regexes.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleAllowlist {
    /// Regexes over the secret value.
    #[serde(default)]
    pub regexes: Vec<String>,
    /// Case-insensitive substrings of the secret value.
    #[serde(default)]
    pub stopwords: Vec<String>,
    /// Regexes over the file path.
    #[serde(default)]
    pub paths: Vec<String>,
}

/// One rule as written in a rule file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleSpec {
    /// Stable code, `SEC` + three or four digits, never reused.
    pub id: String,
    /// Kebab-case name (`github-personal-access-token`).
    pub name: String,
    /// Finding title.
    pub title: String,
    /// Severity of a finding.
    pub severity: Severity,
    /// What it finds and why it matters.
    pub description: String,
    /// How to fix a finding: revoke, rotate, move to a secret store.
    pub remediation: String,
    /// Provider documentation.
    #[serde(default)]
    pub references: Vec<String>,
    /// Lower-case literals, at least one of which occurs in every match. A
    /// rule without keywords runs on every file (imported gitleaks rules may
    /// have none; built-in rules always have some).
    #[serde(default)]
    pub keywords: Vec<String>,
    /// The pattern; capture group `secret_group` is the secret.
    pub regex: String,
    /// Which capture group holds the secret (default 1; 0 = whole match).
    #[serde(default = "default_secret_group")]
    pub secret_group: usize,
    /// Minimum Shannon entropy (bits per byte) of the secret.
    #[serde(default)]
    pub entropy: Option<f64>,
    /// When set, the rule only runs on paths matching one of these regexes.
    #[serde(default)]
    pub paths: Vec<String>,
    /// Exceptions.
    #[serde(default)]
    pub allowlist: RuleAllowlist,
    /// A fallback rule (generic assignments) is dropped where a specific rule
    /// found a secret at the same place.
    #[serde(default)]
    pub fallback: bool,
    /// Life-cycle status.
    #[serde(default)]
    pub status: RuleStatus,
    /// Texts in which the rule must find exactly one secret.
    pub true_positives: Vec<String>,
    /// Texts in which the rule must find nothing.
    pub false_positives: Vec<String>,
}

fn default_secret_group() -> usize {
    1
}

impl RuleSpec {
    /// The rule metadata reports and docs show.
    pub fn metadata(&self) -> Rule {
        Rule {
            id: self.id.clone(),
            name: self.name.clone(),
            kind: FindingKind::Secret,
            title: self.title.clone(),
            severity: self.severity,
            description: self.description.clone(),
            remediation: self.remediation.clone(),
            references: self.references.clone(),
            aliases: Vec::new(),
            status: self.status,
        }
    }
}

/// Parses one rule file.
pub(crate) fn parse_file(file: &str, text: &str) -> Result<Vec<RuleSpec>, RuleError> {
    toml::from_str::<RuleFile>(text)
        .map(|parsed| parsed.rules)
        .map_err(|error| RuleError::Parse { file: file.to_owned(), message: error.to_string() })
}

/// Every built-in rule, in file then entry order.
pub fn builtin_specs() -> Result<Vec<(&'static str, RuleSpec)>, RuleError> {
    let mut specs = Vec::new();
    for (file, text) in BUILTIN_RULE_FILES {
        specs.extend(parse_file(file, text)?.into_iter().map(|spec| (*file, spec)));
    }
    Ok(specs)
}

/// A rule ready to run.
#[derive(Debug)]
pub(crate) struct CompiledRule {
    pub(crate) metadata: Rule,
    pub(crate) regex: Regex,
    pub(crate) secret_group: usize,
    pub(crate) entropy: Option<f64>,
    pub(crate) paths: Option<RegexSet>,
    pub(crate) allow_regexes: Option<RegexSet>,
    pub(crate) allow_stopwords: Vec<String>,
    pub(crate) allow_paths: Option<RegexSet>,
    pub(crate) keywords: Vec<String>,
    pub(crate) fallback: bool,
    /// The pattern may span lines (`(?s)` or a newline in it): it runs over
    /// the whole file instead of windows around its keywords.
    pub(crate) whole_file: bool,
}

impl CompiledRule {
    pub(crate) fn compile(file: &str, spec: &RuleSpec) -> Result<CompiledRule, RuleError> {
        let invalid = |message: String| RuleError::Invalid {
            file: file.to_owned(),
            id: spec.id.clone(),
            message,
        };
        // ASCII semantics (`\w`, `\b`, `(?i)`): tokens are ASCII, the classes
        // compile to a fraction of the Unicode size and keep the fast DFA
        // engines usable on non-ASCII input.
        let regex = RegexBuilder::new(&spec.regex)
            .unicode(false)
            .size_limit(REGEX_SIZE_LIMIT)
            .build()
            .map_err(|error| invalid(format!("invalid regex: {error}")))?;
        if spec.secret_group >= regex.captures_len() {
            return Err(invalid(format!(
                "secret_group {} but the regex has {} capture groups",
                spec.secret_group,
                regex.captures_len() - 1
            )));
        }
        if spec.keywords.iter().any(|keyword| keyword.is_empty()) {
            return Err(invalid("keywords must not be empty strings".into()));
        }
        if let Some(keyword) =
            spec.keywords.iter().find(|keyword| keyword.to_ascii_lowercase() != **keyword)
        {
            return Err(invalid(format!("keyword `{keyword}` must be lower case")));
        }
        let set = |patterns: &[String], what: &str| -> Result<Option<RegexSet>, RuleError> {
            if patterns.is_empty() {
                return Ok(None);
            }
            RegexSetBuilder::new(patterns)
                .unicode(false)
                .size_limit(REGEX_SIZE_LIMIT)
                .build()
                .map(Some)
                .map_err(|error| invalid(format!("invalid {what} regex: {error}")))
        };
        Ok(CompiledRule {
            metadata: spec.metadata(),
            regex,
            secret_group: spec.secret_group,
            entropy: spec.entropy,
            paths: set(&spec.paths, "path")?,
            allow_regexes: set(&spec.allowlist.regexes, "allowlist")?,
            allow_stopwords: spec
                .allowlist
                .stopwords
                .iter()
                .map(|word| word.to_ascii_lowercase())
                .collect(),
            allow_paths: set(&spec.allowlist.paths, "allowlist path")?,
            keywords: spec.keywords.clone(),
            fallback: spec.fallback,
            whole_file: spec.regex.contains("(?s") || spec.regex.contains("\\n"),
        })
    }
}
