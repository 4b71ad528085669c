//! Policies: a Checkov-format YAML file (`metadata` + `definition`), or a
//! Rust check named by `check:`, with the rule metadata Vigil publishes and
//! the fixtures that prove it. Built-in policies are embedded from
//! `policies/`; a user's Checkov policies are loaded from a directory by
//! the caller and parsed here unchanged.

use std::str::FromStr;

use vigil_core::{FindingKind, Rule, RuleStatus, Severity};

use crate::checks::{self, Check};
use crate::definition::{self, Cond};
use crate::model::Framework;
use crate::value::Value;
use crate::yaml;

/// How a policy decides.
#[derive(Debug, Clone)]
pub enum Body {
    /// A Checkov definition over each resource (or connected resources).
    Definition(Cond),
    /// A definition over each container of a Kubernetes workload.
    Containers {
        /// The definition, over one container.
        cond: Cond,
        /// Container lists looked at, in order.
        lists: Vec<String>,
        /// Workload kinds.
        kinds: Vec<String>,
    },
    /// A definition over a Kubernetes workload's pod spec.
    PodSpec {
        /// The definition, over the pod spec.
        cond: Cond,
        /// Workload kinds.
        kinds: Vec<String>,
    },
    /// A Rust check.
    Rust(Check),
}

/// One fixture file.
#[derive(Debug, Clone)]
pub struct Fixture {
    /// Its path (decides the framework).
    pub path: String,
    /// Its text.
    pub text: String,
}

/// A loaded policy.
#[derive(Debug, Clone)]
pub struct Policy {
    /// The rule it publishes (id, slug, title, severity, explanation, fix).
    pub rule: Rule,
    /// The equivalent Checkov id, when there is one.
    pub checkov_id: Option<String>,
    /// The framework whose resources it sees (`None`: every framework, for
    /// user policies whose resource types decide).
    pub framework: Option<Framework>,
    /// How it decides.
    pub body: Body,
    /// Where it was loaded from.
    pub origin: String,
    /// Fixtures that must fail, one finding each.
    pub fail: Vec<Fixture>,
    /// Fixtures that must not fail.
    pub pass: Vec<Fixture>,
}

impl Policy {
    /// Whether a skip written as `id` names this policy (its Vigil id or its
    /// Checkov id).
    pub fn named(&self, id: &str) -> bool {
        self.rule.id == id || self.checkov_id.as_deref() == Some(id)
    }
}

/// Why a policy file was not loaded: the file, the line when known, and what.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{file}{}: {message}", line.map(|l| format!(":{l}")).unwrap_or_default())]
pub struct PolicyError {
    /// The file.
    pub file: String,
    /// The 1-based line.
    pub line: Option<u32>,
    /// What was wrong.
    pub message: String,
}

/// Whether a policy file is a built-in one (Vigil metadata required) or a
/// user's Checkov policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    /// Embedded in Vigil: `metadata.slug`, `title`, `explanation`, `fix` and
    /// fixtures are required.
    Builtin,
    /// A user's Checkov YAML policy.
    User,
}

/// Parses one policy file. `framework` comes from a built-in file's directory.
pub fn parse(
    file: &str,
    text: &str,
    framework: Option<Framework>,
    origin: Origin,
) -> Result<Policy, PolicyError> {
    let error =
        |message: String, line: Option<u32>| PolicyError { file: file.to_owned(), line, message };
    let docs = yaml::load(text, false).map_err(|e| error(e.message, e.line))?;
    let Some(doc) = docs.into_iter().next() else {
        return Err(error("the file is empty".into(), None));
    };
    let line_of = |path: &str| doc.lines.get(path).copied();
    let value = &doc.value;
    let meta = value.get("metadata").ok_or_else(|| error("no `metadata`".into(), Some(1)))?;
    let text_of = |key: &str| meta.get(key).map(Value::py_str).filter(|t| !t.trim().is_empty());
    let id = text_of("id")
        .ok_or_else(|| error("`metadata.id` is missing".into(), line_of("metadata")))?;
    let severity_text = text_of("severity").unwrap_or_else(|| "MEDIUM".to_owned());
    let severity = Severity::from_str(&severity_text.to_lowercase()).map_err(|_| {
        error(
            format!("severity `{severity_text}` is not one of INFO, LOW, MEDIUM, HIGH, CRITICAL"),
            line_of("metadata.severity"),
        )
    })?;
    let name = text_of("name");
    let rule = match origin {
        Origin::Builtin => {
            let need = |key: &str| {
                text_of(key).ok_or_else(|| {
                    error(format!("`metadata.{key}` is missing"), line_of("metadata"))
                })
            };
            Rule {
                id: id.clone(),
                name: need("slug")?,
                kind: FindingKind::Iac,
                title: need("title")?,
                severity,
                description: need("explanation")?,
                remediation: need("fix")?,
                references: match meta.get("references") {
                    Some(Value::List(items)) => items.iter().map(Value::py_str).collect(),
                    _ => meta.get("guideline").map(Value::py_str).into_iter().collect(),
                },
                status: RuleStatus::Stable,
                aliases: text_of("checkov_id").into_iter().collect(),
            }
        }
        Origin::User => {
            let name = name
                .clone()
                .ok_or_else(|| error("`metadata.name` is missing".into(), line_of("metadata")))?;
            if text_of("category").is_none() {
                return Err(error("`metadata.category` is missing".into(), line_of("metadata")));
            }
            Rule {
                id: id.clone(),
                name: id.to_lowercase().replace('_', "-"),
                kind: FindingKind::Iac,
                title: name.clone(),
                severity,
                description: name,
                remediation: text_of("guideline")
                    .map(|url| format!("See {url}."))
                    .unwrap_or_else(|| "See the policy's guideline.".to_owned()),
                references: text_of("guideline").into_iter().collect(),
                status: RuleStatus::Stable,
                aliases: Vec::new(),
            }
        }
    };
    let definition_error = |e: definition::DefinitionError| {
        let line = line_of(&e.at).or_else(|| line_of(e.at.rsplit_once('.').map_or("", |(p, _)| p)));
        error(e.message, line)
    };
    let body = if let Some(name) = value.get("check").and_then(Value::as_str) {
        let check = checks::lookup(name).ok_or_else(|| {
            error(format!("no Rust check called `{name}` in this build"), line_of("check"))
        })?;
        Body::Rust(check)
    } else {
        let node = value
            .get("definition")
            .ok_or_else(|| error("no `definition` (or `check`)".into(), line_of("metadata")))?;
        let cond = definition::parse(node, "definition").map_err(definition_error)?;
        match value.get("apply") {
            None => Body::Definition(cond),
            Some(apply) => {
                let strings = |key: &str, default: &[&str]| -> Vec<String> {
                    match apply.get(key) {
                        Some(Value::List(items)) => items.iter().map(Value::py_str).collect(),
                        Some(Value::Str(one)) => vec![one.clone()],
                        _ => default.iter().map(|s| (*s).to_owned()).collect(),
                    }
                };
                let kinds = strings("kinds", &crate::frameworks::kubernetes::WORKLOAD_KINDS);
                match apply.get("each").and_then(Value::as_str) {
                    Some("container") => Body::Containers {
                        cond,
                        lists: strings("containers", &["containers", "initContainers"]),
                        kinds,
                    },
                    Some("pod_spec") => Body::PodSpec { cond, kinds },
                    other => {
                        return Err(error(
                            format!(
                                "`apply.each` must be `container` or `pod_spec`, not {other:?}"
                            ),
                            line_of("apply"),
                        ));
                    }
                }
            }
        }
    };
    let fixtures = |key: &str| -> Vec<Fixture> {
        match value.at(&format!("tests.{key}")) {
            Some(Value::List(items)) => items
                .iter()
                .filter_map(|item| {
                    Some(Fixture {
                        path: item.get("path")?.py_str(),
                        text: item.get("text")?.py_str(),
                    })
                })
                .collect(),
            Some(single @ Value::Map(_)) => single
                .get("path")
                .zip(single.get("text"))
                .map(|(path, text)| Fixture { path: path.py_str(), text: text.py_str() })
                .into_iter()
                .collect(),
            _ => Vec::new(),
        }
    };
    Ok(Policy {
        rule,
        checkov_id: text_of("checkov_id"),
        framework,
        body,
        origin: file.to_owned(),
        fail: fixtures("fail"),
        pass: fixtures("pass"),
    })
}

include!(concat!(env!("OUT_DIR"), "/builtin_policies.rs"));

/// Every built-in policy. Any error is a build bug, caught by the tests;
/// the error names every file that failed.
pub fn builtin() -> Result<Vec<Policy>, PolicyError> {
    let mut policies = Vec::new();
    let mut errors: Vec<PolicyError> = Vec::new();
    for result in builtin_results() {
        match result {
            Ok(policy) => policies.push(policy),
            Err(error) => errors.push(error),
        }
    }
    match errors.len() {
        0 => Ok(policies),
        1 => Err(errors.remove(0)),
        _ => {
            let mut first = errors.remove(0);
            let rest: Vec<String> = errors.iter().map(ToString::to_string).collect();
            first.message = format!("{}; and {}", first.message, rest.join("; "));
            Err(first)
        }
    }
}

fn builtin_results() -> Vec<Result<Policy, PolicyError>> {
    BUILTIN_POLICY_FILES
        .iter()
        .filter(|(path, _)| path.ends_with(".yaml"))
        .map(|(path, text)| {
            let framework = path.split('/').next().and_then(Framework::parse);
            if framework.is_none() {
                return Err(PolicyError {
                    file: format!("policies/{path}"),
                    line: None,
                    message: "not under a framework directory (terraform, cloudformation, kubernetes, dockerfile, gitlab_ci)".into(),
                });
            }
            parse(&format!("policies/{path}"), text, framework, Origin::Builtin)
        })
        .collect()
}
