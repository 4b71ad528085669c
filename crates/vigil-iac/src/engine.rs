//! [`IacEngine`]: the IaC engine behind [`vigil_core::Engine`]. Per file it
//! parses Dockerfiles, Kubernetes manifests, CloudFormation templates,
//! Terraform plans and GitLab CI files; in the tree phase it evaluates the
//! Terraform directories together. Every resource then meets every policy
//! of its framework; failures that no skip names become findings.

use std::collections::{HashMap, HashSet};

use vigil_core::{
    Diagnostic, DiagnosticLevel, Engine, Evidence, FileOutput, Finding, FindingKind, Location,
    Resource, Rule, SourceFile,
};

use crate::definition::Cond;
use crate::frameworks::{cloudformation, dockerfile, gitlab_ci, kubernetes, plan, terraform};
use crate::model::{Entity, Framework, Graph};
use crate::policy::{Body, Policy, PolicyError};
use crate::solver::{self, Cache, Outcome, Subject};
use crate::yaml;

/// YAML and JSON files larger than this are not parsed (Terraform plans,
/// read with a streaming JSON parser, may be larger).
pub const MAX_YAML_BYTES: usize = 16 * 1024 * 1024;

/// The IaC engine.
#[derive(Debug, Clone)]
pub struct IacEngine {
    policies: Vec<Policy>,
    rules: Vec<Rule>,
    skip: HashSet<String>,
}

impl IacEngine {
    /// The engine with every built-in policy.
    pub fn builtin() -> Result<IacEngine, PolicyError> {
        Ok(IacEngine::new(crate::policy::builtin()?))
    }

    /// An engine running exactly `policies` (policies sharing an id, one per
    /// framework, publish one rule).
    pub fn new(policies: Vec<Policy>) -> IacEngine {
        let mut rules: Vec<Rule> = Vec::new();
        for policy in &policies {
            if !rules.iter().any(|rule| rule.id == policy.rule.id) {
                rules.push(policy.rule.clone());
            }
        }
        rules.sort_by(|a, b| a.id.cmp(&b.id));
        IacEngine { policies, rules, skip: HashSet::new() }
    }

    /// The same engine, also running a user's `extra` policies, and never
    /// reporting the ids in `skip` (Vigil or Checkov ids).
    pub fn with(mut self, extra: Vec<Policy>, skip: impl IntoIterator<Item = String>) -> IacEngine {
        for policy in extra {
            if !self.rules.iter().any(|rule| rule.id == policy.rule.id) {
                self.rules.push(policy.rule.clone());
            }
            self.policies.push(policy);
        }
        self.skip.extend(skip);
        self
    }

    /// Its policies.
    pub fn policies(&self) -> &[Policy] {
        &self.policies
    }

    /// Every verdict of every policy on the resources of `graph`.
    pub fn judge(&self, graph: &Graph) -> Vec<(usize, usize, Outcome)> {
        let mut out = Vec::new();
        if graph.entities.is_empty() {
            return out;
        }
        let subjects: Vec<Subject<'_>> = graph.entities.iter().map(Subject::of).collect();
        let index = solver::KindIndex::new(&subjects);
        let mut cache = Cache::default();
        for (p, policy) in self.policies.iter().enumerate() {
            let admit = |entity: &Entity| policy.framework.is_none_or(|f| entity.framework.runs(f));
            match &policy.body {
                Body::Definition(cond) => {
                    for (e, outcome) in
                        solver::run(cond, graph, &subjects, &index, &admit, &mut cache)
                    {
                        out.push((p, e, outcome));
                    }
                }
                Body::Containers { cond, lists, kinds } => {
                    for (e, entity) in graph.entities.iter().enumerate() {
                        if entity.framework != Framework::Kubernetes
                            || !kinds.contains(&entity.kind)
                        {
                            continue;
                        }
                        let outcome = kubernetes::each_container(entity, lists, |container| {
                            let subject = Subject::new("container", container, false, false);
                            Outcome::from_tri(solver::eval(cond, &subject, &mut cache))
                        });
                        if let Some(outcome) = outcome {
                            out.push((p, e, outcome));
                        }
                    }
                }
                Body::PodSpec { cond, kinds } => {
                    for (e, entity) in graph.entities.iter().enumerate() {
                        if entity.framework != Framework::Kubernetes
                            || !kinds.contains(&entity.kind)
                        {
                            continue;
                        }
                        // Checkov reads a missing pod spec as an empty one.
                        let empty = crate::value::Value::Map(Vec::new());
                        let spec = kubernetes::pod_spec(entity).unwrap_or(&empty);
                        let subject = Subject::new(&entity.kind, spec, false, false);
                        out.push((
                            p,
                            e,
                            Outcome::from_tri(solver::eval(cond, &subject, &mut cache)),
                        ));
                    }
                }
                Body::Rust(check) => {
                    for (e, entity) in graph.entities.iter().enumerate() {
                        if !admit(entity) {
                            continue;
                        }
                        if let Some(outcome) = (check.run)(entity, graph, e) {
                            out.push((p, e, outcome));
                        }
                    }
                }
            }
        }
        out
    }

    fn skipped(&self, policy: &Policy, entity: &Entity) -> bool {
        self.skip.iter().any(|id| policy.named(id))
            || entity.skips.iter().any(|skip| policy.named(&skip.id))
    }

    /// The findings of `graph`; `text_of` gives a file's text for evidence.
    fn report<'t>(
        &self,
        graph: &Graph,
        text_of: &dyn Fn(&str) -> Option<&'t str>,
        output: &mut FileOutput,
    ) {
        let mut seen = HashSet::new();
        let mut texts: HashMap<String, Option<Lines<'t>>> = HashMap::new();
        for (p, e, outcome) in self.judge(graph) {
            if outcome != Outcome::Fail {
                continue;
            }
            let (policy, entity) = (&self.policies[p], &graph.entities[e]);
            if self.skipped(policy, entity) || !seen.insert((p, e)) {
                continue;
            }
            let lines = texts
                .entry(entity.path.clone())
                .or_insert_with(|| text_of(&entity.path).map(Lines::new));
            output.findings.push(finding(policy, entity, lines.as_ref()));
        }
    }

    /// Builds the graph of one non-Terraform file; `None` when the file is not IaC.
    fn graph_of(&self, file: SourceFile<'_>, output: &mut FileOutput) -> Option<Graph> {
        let path = file.path;
        let problem =
            |message: String| Diagnostic::for_file(DiagnosticLevel::Warning, path, message);
        if dockerfile::is_dockerfile(path) {
            let text = String::from_utf8_lossy(file.content);
            return Some(Graph { entities: dockerfile::entities(path, &text), edges: Vec::new() });
        }
        let lower = path.to_ascii_lowercase();
        let is_json = lower.ends_with(".json");
        let is_yaml =
            lower.ends_with(".yaml") || lower.ends_with(".yml") || lower.ends_with(".template");
        if !is_json && !is_yaml {
            return None;
        }
        if is_json && plan::looks_like(file.content) {
            return match plan::entities(path, file.content) {
                Ok(entities) => Some(Graph { entities, edges: Vec::new() }),
                Err(message) => {
                    output.diagnostics.push(problem(message));
                    None
                }
            };
        }
        let ci = gitlab_ci::is_ci_file(path);
        let text = match file.text() {
            Ok(text) => text,
            Err(offset) => {
                if ci {
                    output
                        .diagnostics
                        .push(problem(format!("not checked: not valid UTF-8 (byte {offset})")));
                }
                return None;
            }
        };
        let k8s = text.contains("apiVersion") && text.contains("kind");
        let cfn = text.contains("Resources")
            && (text.contains("AWS::") || text.contains("AWSTemplateFormatVersion"));
        if !ci && !k8s && !cfn {
            return None;
        }
        if text.len() > MAX_YAML_BYTES {
            output.diagnostics.push(problem(format!(
                "not checked: {} bytes, over the IaC limit of {MAX_YAML_BYTES} bytes for YAML and JSON",
                text.len()
            )));
            return None;
        }
        let docs = match yaml::load(text, cfn) {
            Ok(docs) => docs,
            Err(error) => {
                // Only files that are clearly IaC are worth a diagnostic.
                if ci || k8s_named(text) || cfn {
                    let mut diagnostic = problem(format!("not checked: {}", error.message));
                    if let Some(line) = error.line {
                        diagnostic = diagnostic.at(line, error.column);
                    }
                    output.diagnostics.push(diagnostic);
                }
                return None;
            }
        };
        if ci {
            let doc = docs.into_iter().next()?;
            return Some(Graph {
                entities: gitlab_ci::entities(path, &doc, text),
                edges: Vec::new(),
            });
        }
        if let Some(doc) = docs.iter().find(|doc| cloudformation::is_template(&doc.value)) {
            let (entities, edges) = cloudformation::entities(path, doc, text);
            return Some(Graph { entities, edges });
        }
        if kubernetes::looks_like(&docs) {
            return Some(Graph {
                entities: kubernetes::entities(path, docs, text),
                edges: Vec::new(),
            });
        }
        None
    }
}

fn k8s_named(text: &str) -> bool {
    text.contains("apiVersion:") && text.contains("kind:")
}

impl IacEngine {
    /// Checks the files the root `.gitlab-ci.yml` includes locally (and
    /// those include) that the per-file phase did not already take for CI
    /// files, at most [`gitlab_ci::MAX_INCLUDES`].
    fn included_ci_files(&self, files: &[SourceFile<'_>], output: &mut FileOutput) {
        let Some(root) = files.iter().find(|file| file.path == ".gitlab-ci.yml") else { return };
        let mut pending = vec![*root];
        let mut seen = std::collections::BTreeSet::from([root.path]);
        while let Some(file) = pending.pop() {
            let Ok(text) = file.text() else { continue };
            let Ok(docs) = yaml::load(text, false) else { continue };
            let Some(doc) = docs.first() else { continue };
            for pattern in gitlab_ci::local_includes(&doc.value) {
                for included in
                    files.iter().filter(|f| gitlab_ci::include_matches(&pattern, f.path))
                {
                    if seen.len() >= gitlab_ci::MAX_INCLUDES || !seen.insert(included.path) {
                        continue;
                    }
                    pending.push(*included);
                    if gitlab_ci::is_ci_file(included.path) {
                        continue;
                    }
                    let Ok(text) = included.text() else { continue };
                    match yaml::load(text, false) {
                        Ok(docs) => {
                            if let Some(doc) = docs.first() {
                                let graph = Graph {
                                    entities: gitlab_ci::entities(included.path, doc, text),
                                    edges: Vec::new(),
                                };
                                self.report(&graph, &|_| Some(text), output);
                            }
                        }
                        Err(error) => {
                            let mut diagnostic = Diagnostic::for_file(
                                DiagnosticLevel::Warning,
                                included.path,
                                format!("not checked: {}", error.message),
                            );
                            if let Some(line) = error.line {
                                diagnostic = diagnostic.at(line, error.column);
                            }
                            output.diagnostics.push(diagnostic);
                        }
                    }
                }
            }
        }
    }
}

/// A file's text with the offset of each line, computed once per file.
struct Lines<'t> {
    text: &'t str,
    starts: Vec<usize>,
}

impl<'t> Lines<'t> {
    fn new(text: &'t str) -> Lines<'t> {
        let starts = std::iter::once(0)
            .chain(memchr::memchr_iter(b'\n', text.as_bytes()).map(|at| at + 1))
            .collect();
        Lines { text, starts }
    }

    /// Line `line` (1-based), trimmed, at most 200 characters.
    fn get(&self, line: u32) -> Option<String> {
        let index = (line as usize).checked_sub(1)?;
        let start = *self.starts.get(index)?;
        let end = self.starts.get(index + 1).map_or(self.text.len(), |next| next - 1);
        let text = self.text.get(start..end)?;
        Some(text.trim().chars().take(200).collect())
    }
}

fn finding(policy: &Policy, entity: &Entity, lines: Option<&Lines<'_>>) -> Finding {
    let attribute = match &policy.body {
        Body::Definition(cond) => {
            first_attribute(cond, &entity.kind).filter(|a| entity.line_of(a).is_some())
        }
        _ => None,
    };
    let attribute_line = attribute.as_deref().and_then(|a| entity.line_of(a));
    let line_text = |line: u32| lines.and_then(|lines| lines.get(line));
    let end_column = line_text(entity.end_line).map_or(1, |l| l.chars().count() as u32 + 1);
    let location =
        Location::line_span(&entity.path, entity.start_line, 1, entity.end_line, end_column);
    let mut finding = Finding::new(
        FindingKind::Iac,
        policy.rule.id.clone(),
        policy.rule.title.clone(),
        policy.rule.severity,
        location,
        &entity.address,
    );
    finding.resource = Some(Resource {
        address: entity.address.clone(),
        framework: entity.framework.as_str().to_owned(),
        attribute,
        attribute_line,
    });
    finding.evidence =
        Evidence { snippet: line_text(attribute_line.unwrap_or(entity.start_line)), secret: None };
    finding
}

/// The first attribute a definition tests on resources of `kind`, without
/// wildcards.
fn first_attribute(cond: &Cond, kind: &str) -> Option<String> {
    match cond {
        Cond::And(children) | Cond::Or(children) => {
            children.iter().find_map(|c| first_attribute(c, kind))
        }
        Cond::Not(child) => first_attribute(child, kind),
        Cond::Attribute { types, attribute, jsonpath: false, .. } if types.admits(kind) => {
            let plain: Vec<&str> = attribute.split('.').take_while(|part| *part != "*").collect();
            (!plain.is_empty()).then(|| plain.join("."))
        }
        _ => None,
    }
}

impl Engine for IacEngine {
    fn name(&self) -> &'static str {
        "iac"
    }

    fn kinds(&self) -> &'static [FindingKind] {
        &[FindingKind::Iac]
    }

    fn rules(&self) -> &[Rule] {
        &self.rules
    }

    fn wants(&self, path: &str) -> bool {
        let lower = path.to_ascii_lowercase();
        dockerfile::is_dockerfile(path)
            || lower.ends_with(".yaml")
            || lower.ends_with(".yml")
            || lower.ends_with(".template")
            || (lower.ends_with(".json") && !lower.ends_with(".tfvars.json"))
    }

    fn scan_file(&self, file: SourceFile<'_>, output: &mut FileOutput) {
        let Some(graph) = self.graph_of(file, output) else { return };
        // Evidence lines come from the text; a file that is not UTF-8 was
        // parsed leniently (Dockerfiles) and is copied once.
        let lossy;
        let text = match file.text() {
            Ok(text) => text,
            Err(_) => {
                lossy = String::from_utf8_lossy(file.content).into_owned();
                lossy.as_str()
            }
        };
        self.report(&graph, &|_| Some(text), output);
    }

    fn keeps(&self, path: &str) -> bool {
        terraform::is_terraform(path) || gitlab_ci::may_be_included(path)
    }

    fn scan_tree(&self, files: &[SourceFile<'_>], output: &mut FileOutput) {
        self.included_ci_files(files, output);
        let terraform: Vec<SourceFile<'_>> =
            files.iter().filter(|file| terraform::is_terraform(file.path)).copied().collect();
        let files = terraform.as_slice();
        let evaluated = terraform::evaluate(files);
        output.diagnostics.extend(evaluated.diagnostics);
        let graph = Graph { entities: evaluated.entities, edges: evaluated.edges };
        let text_of = |path: &str| {
            files.iter().find(|file| file.path == path).and_then(|file| file.text().ok())
        };
        self.report(&graph, &text_of, output);
    }
}

#[cfg(test)]
mod tests;
