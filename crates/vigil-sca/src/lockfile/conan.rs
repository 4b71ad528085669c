//! The `conan` format: Conan's `conan.lock` (JSON), version 0.4 (Conan 1:
//! `graph_lock.nodes`, a graph whose node `"0"` is the project) and
//! version 0.5 (Conan 2: flat `requires`, `build_requires`,
//! `python_requires` lists of references).
//!
//! A reference `name/version[@user/channel][#revision[%timestamp]]` gives
//! the name (before `/`) and the version (up to `@`, `#` or `:`). In 0.4 the
//! project node's `requires` are the roots and its `build_requires` dev
//! roots; nodes in the build context are dev. In 0.5 build and Python
//! requirements are dev, and the file records no graph, so there are no
//! roots.

use serde_json::{Map, Value};

use std::collections::HashSet;

use super::composer::parse_json;
use super::lines::LineIndex;
use super::{Entry, Input, LockfileError, Parsed, Req, Scope};

/// Reads `conan.lock`; Conan has no companion read with it.
pub(crate) fn parse(
    lock: Input<'_>,
    companion: Option<Input<'_>>,
) -> Result<Parsed, LockfileError> {
    let _ = companion;
    let document = parse_json(lock.text)?;
    match document.get("version").and_then(Value::as_str) {
        Some("0.4") => Ok(parse_graph_lock(lock, &document)),
        Some("0.5") => Ok(parse_flat(lock, &document)),
        Some(other) => Err(LockfileError::new(format!(
            "conan.lock version {other} is not one Vigil reads (0.4, 0.5)"
        ))),
        None => Err(LockfileError::new("not a conan.lock: it has no `version` string")),
    }
}

/// Conan 2's lists of references.
fn parse_flat(lock: Input<'_>, document: &Value) -> Parsed {
    let mut parsed = Parsed::default();
    let lines = LineIndex::new(lock.text);
    for (key, scope) in [
        ("requires", Scope::Normal),
        ("build_requires", Scope::Dev),
        ("python_requires", Scope::Dev),
    ] {
        let Some(list) = document.get(key).and_then(Value::as_array) else { continue };
        let mut cursor = lock.text.find(&format!("\"{key}\"")).unwrap_or(0);
        for reference in list {
            let Some(reference) = reference.as_str() else {
                parsed.warnings.push(format!("an item of `{key}` is not a string; skipped"));
                continue;
            };
            let found = find_in_list(lock.text, cursor, reference);
            let line = found.map_or(0, |(start, _)| lines.line(start));
            cursor = found.map_or(cursor, |(_, end)| end);
            match name_and_version(reference) {
                Some((name, version)) => parsed.packages.push(Entry {
                    name: name.to_owned(),
                    version: version.to_owned(),
                    scope,
                    line,
                    dependencies: Vec::new(),
                    license: None,
                }),
                None => parsed
                    .warnings
                    .push(format!("line {line}: reference `{reference}` has no version; skipped")),
            }
        }
    }
    parsed
}

/// Conan 1's graph: `graph_lock.nodes`, keyed by node id.
fn parse_graph_lock(lock: Input<'_>, document: &Value) -> Parsed {
    let mut parsed = Parsed::default();
    let Some(nodes) = document.pointer("/graph_lock/nodes").and_then(Value::as_object) else {
        parsed.warnings.push("the lockfile has no `graph_lock.nodes`".to_owned());
        return parsed;
    };
    let nodes_start = lock.text.find("\"nodes\"").unwrap_or(0);
    // Node ids are written in file order; serde_json's map may sort them.
    let mut ids: Vec<(&String, &Value)> = nodes.iter().collect();
    ids.sort_by_key(|(id, _)| (id.parse::<u64>().unwrap_or(u64::MAX), id.as_str()));
    let reference_of = |id: &str| -> Option<(&str, &str)> {
        nodes
            .get(id)
            .and_then(|node| node.get("ref"))
            .and_then(Value::as_str)
            .and_then(name_and_version)
    };
    let project = nodes.get("0").and_then(Value::as_object);
    let build_only = build_only_nodes(nodes);
    let mut cursor = nodes_start;
    let lines = LineIndex::new(lock.text);
    for (id, node) in ids {
        if id == "0" {
            continue;
        }
        // Ids are usually in file order: search on from the last node found.
        let found =
            find_node(lock.text, cursor, id).or_else(|| find_node(lock.text, nodes_start, id));
        let line = found.map_or(0, |(start, _)| lines.line(start));
        cursor = found.map_or(cursor, |(_, end)| end);
        let Some(reference) = node.get("ref").and_then(Value::as_str) else {
            parsed.warnings.push(format!("line {line}: node {id} has no `ref`; skipped"));
            continue;
        };
        let Some((name, version)) = name_and_version(reference) else {
            parsed
                .warnings
                .push(format!("line {line}: reference `{reference}` has no version; skipped"));
            continue;
        };
        let dev = node.get("context").and_then(Value::as_str) == Some("build")
            || build_only.contains(id.as_str());
        let dependencies = ids_of(node, "requires")
            .chain(ids_of(node, "build_requires"))
            .filter_map(|dependency| {
                let (name, version) = reference_of(dependency)?;
                Some(Req {
                    name: name.to_owned(),
                    version: Some(version.to_owned()),
                    ..Req::default()
                })
            })
            .collect();
        parsed.packages.push(Entry {
            name: name.to_owned(),
            version: version.to_owned(),
            scope: if dev { Scope::Dev } else { Scope::Normal },
            line,
            dependencies,
            license: None,
        });
    }
    if let Some(project) = project {
        let project_line =
            find_node(lock.text, nodes_start, "0").map_or(0, |(start, _)| lines.line(start));
        for (key, scope) in [("requires", Scope::Normal), ("build_requires", Scope::Dev)] {
            for id in ids_of_map(project, key) {
                let Some((name, version)) = reference_of(id) else { continue };
                parsed.roots.push(Req {
                    name: name.to_owned(),
                    version: Some(version.to_owned()),
                    scope,
                    declared: Some((lock.path.to_owned(), project_line)),
                });
            }
        }
    }
    parsed
}

/// Node ids reached only through some node's `build_requires`, never
/// through a `requires`.
fn build_only_nodes(nodes: &Map<String, Value>) -> HashSet<&str> {
    let mut required: HashSet<&str> = HashSet::new();
    let mut built: HashSet<&str> = HashSet::new();
    for node in nodes.values() {
        required.extend(ids_of(node, "requires"));
        built.extend(ids_of(node, "build_requires"));
    }
    built.retain(|id| !required.contains(id));
    built
}

/// The node ids listed under `key` of a node.
fn ids_of<'a>(node: &'a Value, key: &str) -> impl Iterator<Item = &'a str> {
    node.get(key).and_then(Value::as_array).into_iter().flatten().filter_map(Value::as_str)
}

/// The node ids listed under `key` of a node object.
fn ids_of_map<'a>(node: &'a Map<String, Value>, key: &str) -> impl Iterator<Item = &'a str> {
    node.get(key).and_then(Value::as_array).into_iter().flatten().filter_map(Value::as_str)
}

/// The byte range of the node key `"id": {` after byte `from`.
fn find_node(text: &str, from: usize, id: &str) -> Option<(usize, usize)> {
    let needle = format!("\"{id}\"");
    let mut start = from;
    while let Some(found) = text.get(start..).and_then(|rest| rest.find(&needle)) {
        let at = start + found;
        let after = text.get(at + needle.len()..).unwrap_or_default().trim_start();
        if after.strip_prefix(':').is_some_and(|value| value.trim_start().starts_with('{')) {
            return Some((at, at + needle.len()));
        }
        start = at + needle.len();
    }
    None
}

/// The byte range of the list item `"reference"` at or after `from`.
fn find_in_list(text: &str, from: usize, reference: &str) -> Option<(usize, usize)> {
    let needle = serde_json::to_string(reference).ok()?;
    let found = text.get(from..)?.find(&needle)?;
    Some((from + found, from + found + needle.len()))
}

/// `zlib/1.2.13@user/channel#rrev%ts` into `("zlib", "1.2.13")`.
fn name_and_version(reference: &str) -> Option<(&str, &str)> {
    let (name, rest) = reference.split_once('/')?;
    let end = rest.find(['@', '#', ':', '%']).unwrap_or(rest.len());
    let version = rest.get(..end)?.trim();
    let name = name.trim();
    (!name.is_empty() && !version.is_empty()).then_some((name, version))
}
