//! Kubernetes manifests: every YAML or JSON document with `apiVersion`,
//! `kind` and a `metadata` map is a resource (`List` documents are
//! expanded), addressed as Checkov does (`Kind.namespace.name`). Skips come
//! from `checkov.io/skip*` and `vigil.dev/ignore*` annotations, as Checkov
//! reads them (YAML comments are not suppressions here).

use std::collections::HashMap;

use crate::model::{Entity, Framework, Skip};
use crate::value::Value;
use crate::yaml::Document;

/// Whether a document looks like a Kubernetes object.
pub fn is_object(value: &Value) -> bool {
    value.get("apiVersion").is_some()
        && value.get("kind").and_then(Value::as_str).is_some()
        && matches!(value.get("metadata"), Some(Value::Map(_)))
}

/// Whether any document of a file is a Kubernetes object (a `List` counts).
pub fn looks_like(docs: &[Document]) -> bool {
    docs.iter().any(|doc| is_object(&doc.value) || is_list(&doc.value))
}

fn is_list(value: &Value) -> bool {
    value.get("kind").and_then(Value::as_str) == Some("List")
        && matches!(value.get("items"), Some(Value::List(_)))
}

/// The resources of one manifest file.
pub fn entities(path: &str, docs: Vec<Document>, text: &str) -> Vec<Entity> {
    let lines: Vec<&str> = text.lines().collect();
    let mut out = Vec::new();
    for doc in docs {
        if is_list(&doc.value) {
            if let Some(Value::List(items)) = doc.value.get("items") {
                for (index, item) in items.iter().enumerate() {
                    if is_object(item) {
                        let prefix = format!("items.{index}.");
                        let item_lines = doc
                            .lines
                            .iter()
                            .filter_map(|(k, v)| {
                                k.strip_prefix(&prefix).map(|k| (k.to_owned(), *v))
                            })
                            .collect();
                        let start = doc.lines.get(&format!("items.{index}")).copied();
                        out.push(entity(
                            path,
                            item.clone(),
                            item_lines,
                            start.unwrap_or(doc.start_line),
                            doc.end_line,
                        ));
                    }
                }
            }
            continue;
        }
        if is_object(&doc.value) {
            let (start, end) = trim_range(&lines, doc.start_line, doc.end_line);
            out.push(entity(path, doc.value, doc.lines, start, end));
        }
    }
    out
}

/// The document's lines without the `---` marker and trailing blank or
/// comment lines; extended upward over directly preceding comments.
fn trim_range(lines: &[&str], start: u32, end: u32) -> (u32, u32) {
    let line = |n: u32| lines.get(n.saturating_sub(1) as usize).map_or("", |l| l.trim());
    let mut start = start.max(1);
    while start < end && (line(start).starts_with("---") || line(start).is_empty()) {
        start += 1;
    }
    while start > 1 && line(start - 1).starts_with('#') {
        start -= 1;
    }
    let mut end = end.max(start);
    while end > start
        && (line(end).is_empty() || line(end).starts_with('#') || line(end).starts_with("---"))
    {
        end -= 1;
    }
    (start, end)
}

fn entity(path: &str, value: Value, lines: HashMap<String, u32>, start: u32, end: u32) -> Entity {
    let kind = value.get("kind").and_then(Value::as_str).unwrap_or_default().to_owned();
    let metadata = value.get("metadata");
    let namespace = metadata
        .and_then(|m| m.get("namespace"))
        .map(Value::py_str)
        .unwrap_or_else(|| "default".to_owned());
    let name = metadata.and_then(|m| m.get("name")).map(Value::py_str).unwrap_or_else(|| {
        // Checkov names unnamed objects by their labels.
        metadata
            .and_then(|m| m.get("labels"))
            .map(|labels| match labels {
                Value::Map(entries) => entries
                    .iter()
                    .map(|(k, v)| format!("{k}-{}", v.py_str()))
                    .collect::<Vec<_>>()
                    .join("."),
                other => other.py_str(),
            })
            .unwrap_or_default()
    });
    let skips = skips(metadata);
    Entity {
        framework: Framework::Kubernetes,
        address: format!("{kind}.{namespace}.{name}"),
        kind,
        path: path.to_owned(),
        start_line: start,
        end_line: end,
        attrs: value,
        lines,
        skips,
        unwrap_single: false,
        group: path.to_owned(),
    }
}

fn skips(metadata: Option<&Value>) -> Vec<Skip> {
    let Some(Value::Map(annotations)) = metadata.and_then(|m| m.get("annotations")) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for (key, value) in annotations {
        let ours = ["checkov.io/skip", "bridgecrew.io/skip", "cortex.io/skip", "vigil.dev/ignore"]
            .iter()
            .any(|marker| key.contains(marker));
        if !ours {
            continue;
        }
        let text = value.py_str();
        let (id, reason) = text.split_once('=').unwrap_or((&text, ""));
        out.push(Skip { id: id.trim().to_owned(), reason: reason.trim().to_owned() });
    }
    out
}

/// The pod spec of a workload, found per kind as Checkov does.
pub fn pod_spec(entity: &Entity) -> Option<&Value> {
    entity.attrs.at(pod_spec_path(&entity.kind)?)
}

/// Checkov's container-check result for a workload: the first failing
/// container of `lists` (in order) fails it; otherwise a passing one passes
/// it; no containers, or only unknown ones, give no result. Built-in
/// container definitions and Rust container checks both come through here.
pub fn each_container<S: AsRef<str>>(
    entity: &Entity,
    lists: &[S],
    mut per: impl FnMut(&Value) -> crate::solver::Outcome,
) -> Option<crate::solver::Outcome> {
    use crate::solver::Outcome;
    if entity.framework != Framework::Kubernetes || !WORKLOAD_KINDS.contains(&entity.kind.as_str())
    {
        return None;
    }
    let spec = pod_spec(entity)?;
    let mut passed = false;
    for list in lists {
        let Some(items) = spec.get(list.as_ref()).and_then(Value::as_list) else { continue };
        for container in items {
            match per(container) {
                Outcome::Fail => return Some(Outcome::Fail),
                Outcome::Pass => passed = true,
                Outcome::Unknown => {}
            }
        }
    }
    passed.then_some(Outcome::Pass)
}

/// The container lists Checkov's container checks read, in order.
pub const CONTAINER_LISTS: [&str; 2] = ["containers", "initContainers"];

/// The path of the pod spec inside the object, for attribute lines.
pub fn pod_spec_path(kind: &str) -> Option<&'static str> {
    Some(match kind {
        "Pod" => "spec",
        "PodTemplate" => "template.spec",
        "Deployment"
        | "DeploymentConfig"
        | "DaemonSet"
        | "Job"
        | "ReplicaSet"
        | "ReplicationController"
        | "StatefulSet" => "spec.template.spec",
        "CronJob" => "spec.jobTemplate.spec.template.spec",
        _ => return None,
    })
}

/// The kinds Checkov's pod-level checks look at: [`WORKLOAD_KINDS`]
/// without `PodTemplate` and `DeploymentConfig`.
pub const POD_KINDS: &[&str] = WORKLOAD_KINDS.split_at(8).0;

/// Kinds with a pod template.
pub const WORKLOAD_KINDS: [&str; 10] = [
    "Pod",
    "Deployment",
    "DaemonSet",
    "StatefulSet",
    "ReplicaSet",
    "ReplicationController",
    "Job",
    "CronJob",
    "PodTemplate",
    "DeploymentConfig",
];
