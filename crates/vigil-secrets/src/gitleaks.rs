//! Import of a gitleaks configuration (`.gitleaks.toml`), so teams migrating
//! from gitleaks keep their custom rules and allowlists.
//!
//! Supported: `[extend] useDefault` and `disabledRules`; `[[rules]]` with `id`,
//! `description`, `regex`, `secretGroup`, `entropy`, `keywords`, `path`,
//! `tags`, and per-rule allowlists (`[rules.allowlist]` or
//! `[[rules.allowlists]]`) with `regexes`, `stopwords`, `paths`,
//! `description`, `regexTarget = "secret"` and `condition = "OR"`; global
//! `[allowlist]` / `[[allowlists]]` with the same keys, applied to every rule.
//! Anything else is an error that names the field, rather than a rule that
//! silently behaves differently from gitleaks.

use serde::Deserialize;
use toml::Value;
use vigil_core::Severity;

use crate::rules::{RuleAllowlist, RuleSpec};

/// A gitleaks configuration that cannot be imported.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum GitleaksError {
    /// Not TOML.
    #[error("not valid TOML: {0}")]
    Toml(String),
    /// A field Vigil does not implement, or a value it cannot honour.
    #[error("{location}: {message}")]
    Unsupported {
        /// Where: `rules[2] (id my-token)`, `allowlist`, `extend`.
        location: String,
        /// What is not supported, naming the field.
        message: String,
    },
}

/// The result of an import.
#[derive(Debug)]
pub struct GitleaksConfig {
    /// The custom rules, as Vigil rules.
    pub rules: Vec<RuleSpec>,
    /// Whether the built-in rules stay on (`[extend] useDefault`; true when
    /// the file has no `[extend]`, as gitleaks itself behaves with custom
    /// rules extending the default set is the common case).
    pub use_default: bool,
    /// Built-in rule ids to switch off (`[extend] disabledRules` names
    /// gitleaks ids; they are matched against Vigil rule names too).
    pub disabled: Vec<String>,
    /// The global allowlist, to apply to every rule.
    pub global_allowlist: RuleAllowlist,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AllowlistFile {
    description: Option<String>,
    #[serde(default)]
    regexes: Vec<String>,
    #[serde(default)]
    stopwords: Vec<String>,
    #[serde(default)]
    paths: Vec<String>,
    #[serde(rename = "regexTarget")]
    regex_target: Option<String>,
    condition: Option<String>,
    #[serde(default)]
    commits: Vec<String>,
    #[serde(rename = "targetRules", default)]
    target_rules: Vec<String>,
}

fn unsupported(location: &str, message: impl Into<String>) -> GitleaksError {
    GitleaksError::Unsupported { location: location.to_owned(), message: message.into() }
}

/// Parses an allowlist table, refusing what Vigil cannot honour.
fn allowlist(value: Value, location: &str) -> Result<RuleAllowlist, GitleaksError> {
    let parsed: AllowlistFile = value
        .try_into()
        .map_err(|error: toml::de::Error| unsupported(location, error.message().to_owned()))?;
    let _ = parsed.description;
    if let Some(target) = parsed.regex_target.as_deref().filter(|target| *target != "secret") {
        return Err(unsupported(
            location,
            format!("regexTarget = \"{target}\" is not supported (only \"secret\")"),
        ));
    }
    if let Some(condition) =
        parsed.condition.as_deref().filter(|condition| !condition.eq_ignore_ascii_case("or"))
    {
        return Err(unsupported(
            location,
            format!("condition = \"{condition}\" is not supported (only \"OR\")"),
        ));
    }
    if !parsed.commits.is_empty() {
        return Err(unsupported(
            location,
            "`commits` is not supported; use a baseline or inline `gitleaks:allow`",
        ));
    }
    if !parsed.target_rules.is_empty() {
        return Err(unsupported(
            location,
            "`targetRules` is not supported; put the allowlist on each rule",
        ));
    }
    Ok(RuleAllowlist { regexes: parsed.regexes, stopwords: parsed.stopwords, paths: parsed.paths })
}

/// Reads `allowlist` (a table) or `allowlists` (an array of tables) from `table`.
fn allowlists(table: &mut toml::Table, location: &str) -> Result<RuleAllowlist, GitleaksError> {
    let mut merged = RuleAllowlist::default();
    let mut add = |value: Value, location: &str| -> Result<(), GitleaksError> {
        let one = allowlist(value, location)?;
        merged.regexes.extend(one.regexes);
        merged.stopwords.extend(one.stopwords);
        merged.paths.extend(one.paths);
        Ok(())
    };
    if let Some(value) = table.remove("allowlist") {
        add(value, &format!("{location}allowlist"))?;
    }
    if let Some(value) = table.remove("allowlists") {
        let Value::Array(items) = value else {
            return Err(unsupported(location, "`allowlists` must be an array of tables"));
        };
        for (index, item) in items.into_iter().enumerate() {
            add(item, &format!("{location}allowlists[{index}]"))?;
        }
    }
    Ok(merged)
}

fn take_string(
    table: &mut toml::Table,
    key: &str,
    location: &str,
) -> Result<Option<String>, GitleaksError> {
    match table.remove(key) {
        None => Ok(None),
        Some(Value::String(text)) => Ok(Some(text)),
        Some(other) => Err(unsupported(
            location,
            format!("`{key}` must be a string, found {}", other.type_str()),
        )),
    }
}

fn take_strings(
    table: &mut toml::Table,
    key: &str,
    location: &str,
) -> Result<Vec<String>, GitleaksError> {
    match table.remove(key) {
        None => Ok(Vec::new()),
        Some(Value::Array(items)) => items
            .into_iter()
            .map(|item| match item {
                Value::String(text) => Ok(text),
                other => Err(unsupported(
                    location,
                    format!("`{key}` must hold strings, found {}", other.type_str()),
                )),
            })
            .collect(),
        Some(other) => Err(unsupported(
            location,
            format!("`{key}` must be an array, found {}", other.type_str()),
        )),
    }
}

fn rule(mut table: toml::Table, index: usize) -> Result<RuleSpec, GitleaksError> {
    let id = take_string(&mut table, "id", &format!("rules[{index}]"))?
        .ok_or_else(|| unsupported(&format!("rules[{index}]"), "a rule needs an `id`"))?;
    let location = format!("rules[{index}] (id {id})");
    let description =
        take_string(&mut table, "description", &location)?.unwrap_or_else(|| id.clone());
    let regex = take_string(&mut table, "regex", &location)?.ok_or_else(|| {
        unsupported(&location, "rules without `regex` (path-only rules) are not supported")
    })?;
    let secret_group = match table.remove("secretGroup") {
        None => None,
        Some(Value::Integer(group)) => Some(
            usize::try_from(group)
                .map_err(|_| unsupported(&location, "`secretGroup` must be ≥ 0"))?,
        ),
        Some(other) => {
            return Err(unsupported(
                &location,
                format!("`secretGroup` must be an integer, found {}", other.type_str()),
            ));
        }
    };
    let entropy = match table.remove("entropy") {
        None => None,
        Some(Value::Float(value)) => Some(value),
        Some(Value::Integer(value)) => Some(value as f64),
        Some(other) => {
            return Err(unsupported(
                &location,
                format!("`entropy` must be a number, found {}", other.type_str()),
            ));
        }
    };
    let keywords = take_strings(&mut table, "keywords", &location)?
        .into_iter()
        .map(|k| k.to_ascii_lowercase())
        .collect();
    let paths = take_string(&mut table, "path", &location)?.into_iter().collect();
    let _tags = take_strings(&mut table, "tags", &location)?;
    let allowlist = allowlists(&mut table, &format!("{location} "))?;
    if let Some(key) = table.keys().next() {
        return Err(unsupported(&location, format!("field `{key}` is not supported")));
    }
    // gitleaks uses the first capture group that matched when secretGroup
    // is unset; with no group at all, the whole match.
    let group_count = regex::Regex::new(&regex)
        .map_err(|error| unsupported(&location, format!("invalid regex: {error}")))?
        .captures_len()
        - 1;
    let secret_group = secret_group.unwrap_or(usize::from(group_count > 0));
    Ok(RuleSpec {
        name: id.clone(),
        id,
        title: description.clone(),
        severity: Severity::High,
        description,
        remediation:
            "Revoke and rotate the credential, then load it from a secret store at run time.".into(),
        references: Vec::new(),
        keywords,
        regex,
        secret_group,
        entropy,
        paths,
        allowlist,
        fallback: false,
        status: vigil_core::RuleStatus::Preview,
        true_positives: Vec::new(),
        false_positives: Vec::new(),
    })
}

/// Imports a gitleaks configuration's text.
pub fn import_gitleaks(text: &str) -> Result<GitleaksConfig, GitleaksError> {
    let mut top: toml::Table = toml::from_str(text)
        .map_err(|error: toml::de::Error| GitleaksError::Toml(error.message().to_owned()))?;
    let _title = take_string(&mut top, "title", "top level")?;
    let _description = take_string(&mut top, "description", "top level")?;
    let _min_version = take_string(&mut top, "minVersion", "top level")?;
    let (use_default, disabled) = match top.remove("extend") {
        None => (true, Vec::new()),
        Some(Value::Table(mut extend)) => {
            if extend.contains_key("path") || extend.contains_key("url") {
                return Err(unsupported(
                    "extend",
                    "extending another file (`path`/`url`) is not supported; merge it into this file",
                ));
            }
            let use_default = match extend.remove("useDefault") {
                None => false,
                Some(Value::Boolean(flag)) => flag,
                Some(other) => {
                    return Err(unsupported(
                        "extend",
                        format!("`useDefault` must be a boolean, found {}", other.type_str()),
                    ));
                }
            };
            let disabled = take_strings(&mut extend, "disabledRules", "extend")?;
            if let Some(key) = extend.keys().next() {
                return Err(unsupported("extend", format!("field `{key}` is not supported")));
            }
            (use_default, disabled)
        }
        Some(_) => return Err(unsupported("extend", "`extend` must be a table")),
    };
    let global_allowlist = allowlists(&mut top, "")?;
    let rules = match top.remove("rules") {
        None => Vec::new(),
        Some(Value::Array(items)) => items
            .into_iter()
            .enumerate()
            .map(|(index, item)| match item {
                Value::Table(table) => rule(table, index),
                _ => Err(unsupported(&format!("rules[{index}]"), "each rule must be a table")),
            })
            .collect::<Result<_, _>>()?,
        Some(_) => {
            return Err(unsupported("rules", "`rules` must be an array of tables ([[rules]])"));
        }
    };
    if let Some(key) = top.keys().next() {
        return Err(unsupported("top level", format!("field `{key}` is not supported")));
    }
    Ok(GitleaksConfig { rules, use_default, disabled, global_allowlist })
}

#[cfg(test)]
mod tests;
