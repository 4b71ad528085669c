//! uv's `uv.lock` (version 1) with its `pyproject.toml`.
//!
//! Every `[[package]]` from a registry is an entry. The project's own
//! packages (source `virtual`/`editable` = `"."`, or a workspace member
//! listed in `[manifest] members`) are not: their `dependencies`,
//! `optional-dependencies` (Optional) and `dev-dependencies` (Dev) are the
//! roots, declared in `pyproject.toml` when it names them and otherwise
//! in the lockfile. Other editable, directory, path, git and URL sources
//! are [`Unresolved`](super::Unresolved). uv.lock does not record scopes, so they come from
//! the graph. This module reads only the two texts it is given.

use std::collections::{HashMap, HashSet};

use toml_edit::{Item, TableLike, Value};

use super::poetry::{
    Kind, Locked, declared_in_pyproject, key_line, locked_packages, parse_toml, roots_from,
    scopes_from_roots, str_of, table_at,
};
use super::requirements::{LineIndex, Warnings};
use super::{Entry, Input, LockfileError, Parsed, Req, Scope};
use crate::Ecosystem;

/// The lockfile versions read.
const VERSIONS: &[i64] = &[1];

/// Reads `uv.lock` with its `pyproject.toml`.
pub(crate) fn parse(
    lock: Input<'_>,
    companion: Option<Input<'_>>,
) -> Result<Parsed, LockfileError> {
    let toml = parse_toml(lock)?;
    let (root, lines) = (toml.root(), &toml.lines);
    let mut warnings = Warnings::new();
    match root.get("version").and_then(Item::as_integer) {
        Some(version) if VERSIONS.contains(&version) => {}
        Some(version) => {
            return Err(LockfileError::at(
                key_line(root, "version", lines),
                format!("uv.lock version {version} is not one Vigil reads (1)"),
            ));
        }
        None => warnings.push("line 1: no lockfile `version`; read as version 1".to_owned()),
    }
    let members: HashSet<String> = table_at(root, &["manifest"])
        .and_then(|manifest| manifest.get("members"))
        .and_then(Item::as_array)
        .map(|array| {
            array
                .iter()
                .filter_map(Value::as_str)
                .map(|name| Ecosystem::PyPI.normalise_name(name))
                .collect()
        })
        .unwrap_or_default();

    let mut parsed = Parsed::default();
    let mut lock_roots: Vec<(Req, u32)> = Vec::new();
    let packages = locked_packages(root, lines, &mut parsed, &mut warnings, |table, name| {
        let source = table_at(table, &["source"]);
        let local = source.and_then(|source| {
            ["editable", "virtual"].into_iter().find_map(|kind| str_of(source, kind))
        });
        let own = local == Some(".") || members.contains(&Ecosystem::PyPI.normalise_name(name));
        if own {
            lock_roots.extend(edges_of(table, lines));
            return Kind::Skip;
        }
        source.and_then(unresolved_reason).map_or(Kind::Registry, Kind::Unresolved)
    });
    for Locked { table, name, version, line } in packages {
        let dependencies = edges_of(table, lines)
            .into_iter()
            .filter(|(req, _)| req.scope != Scope::Dev)
            .map(|(req, _)| req)
            .collect();
        parsed.packages.push(Entry {
            name: name.to_owned(),
            version: version.to_owned(),
            scope: Scope::Normal,
            line,
            dependencies,
            license: None,
        });
    }

    // Roots are what the project's own packages depend on, declared where
    // `pyproject.toml` names them.
    let declared_lines: HashMap<String, u32> = match companion {
        Some(manifest) => declared_in_pyproject(manifest, &mut warnings)
            .into_iter()
            .map(|declared| (Ecosystem::PyPI.normalise_name(&declared.name), declared.line))
            .collect(),
        None => HashMap::new(),
    };
    let members_or_own = |req: &Req| members.contains(&Ecosystem::PyPI.normalise_name(&req.name));
    let versions = single_versions(&parsed.packages);
    let mut seen = HashSet::new();
    let mut roots: Vec<Req> = Vec::new();
    // Normal roots first, so a package both required and dev stays Normal.
    lock_roots.sort_by_key(|(req, _)| req.scope);
    for (mut req, lock_line) in lock_roots {
        let key = Ecosystem::PyPI.normalise_name(&req.name);
        // Forks (one name at two versions) are two roots.
        if members_or_own(&req) || !seen.insert((key.clone(), req.version.clone())) {
            continue;
        }
        let declared = match (companion, declared_lines.get(&key)) {
            (Some(manifest), Some(&line)) => (manifest.path.to_owned(), line),
            _ => (lock.path.to_owned(), lock_line),
        };
        if req.version.is_none() {
            req.version = versions.get(&key).cloned().flatten();
        }
        req.declared = Some(declared);
        roots.push(req);
    }
    if roots.is_empty() && !declared_lines.is_empty() {
        // No project package in the lockfile: fall back to the manifest.
        if let Some(manifest) = companion {
            let declared = declared_in_pyproject(manifest, &mut Warnings::new());
            roots = roots_from(declared, manifest.path, &parsed, &mut warnings);
        }
    }
    scopes_from_roots(&mut parsed.packages, &roots);
    parsed.roots = roots;
    parsed.warnings = warnings.finish();
    Ok(parsed)
}

/// Why a package from `source` has no registry version, if it has none.
fn unresolved_reason(source: &dyn TableLike) -> Option<&'static str> {
    if source.contains_key("registry") {
        None
    } else if source.contains_key("git") {
        Some("a git dependency")
    } else if source.contains_key("editable") {
        Some("an editable install")
    } else if source.contains_key("url") {
        Some("a URL")
    } else if ["directory", "path", "virtual"].iter().any(|kind| source.contains_key(kind)) {
        Some("a local path")
    } else {
        None
    }
}

/// A package's edges, each with its line: `dependencies` Normal,
/// `optional-dependencies` Optional, `dev-dependencies` Dev.
fn edges_of(table: &dyn TableLike, lines: &LineIndex) -> Vec<(Req, u32)> {
    let mut edges = Vec::new();
    if let Some(list) = table.get("dependencies") {
        push_edges(list, Scope::Normal, lines, &mut edges);
    }
    for (key, scope) in
        [("optional-dependencies", Scope::Optional), ("dev-dependencies", Scope::Dev)]
    {
        if let Some(groups) = table_at(table, &[key]) {
            for (_, list) in groups.iter() {
                push_edges(list, scope, lines, &mut edges);
            }
        }
    }
    edges
}

/// Adds each `{ name = ..., version = ... }` of an array.
fn push_edges(list: &Item, scope: Scope, lines: &LineIndex, out: &mut Vec<(Req, u32)>) {
    let Some(array) = list.as_array() else { return };
    for value in array.iter() {
        let Some(dependency) = value.as_inline_table() else { continue };
        let Some(name) = dependency.get("name").and_then(Value::as_str) else { continue };
        let version = dependency.get("version").and_then(Value::as_str).map(str::to_owned);
        let line = value.span().map_or(0, |span| lines.line(span.start));
        out.push((Req { name: name.to_owned(), version, scope, declared: None }, line));
    }
}

/// For each normalised name, its version when exactly one is pinned.
fn single_versions(packages: &[Entry]) -> HashMap<String, Option<String>> {
    let mut versions: HashMap<String, Option<String>> = HashMap::new();
    for entry in packages {
        versions
            .entry(Ecosystem::PyPI.normalise_name(&entry.name))
            .and_modify(|version| {
                if version.as_deref() != Some(entry.version.as_str()) {
                    *version = None;
                }
            })
            .or_insert_with(|| Some(entry.version.as_str().to_owned()));
    }
    versions
}
