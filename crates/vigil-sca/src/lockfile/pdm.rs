//! PDM's `pdm.lock` (lock_version 4.x) with its `pyproject.toml`.
//!
//! Each `[[package]]` is an entry; its `groups` give the scope (`default`
//! is Normal, an extra of `[project.optional-dependencies]` Optional, any
//! other group Dev), its `dependencies` are PEP 508 strings. PDM writes a
//! package once per extra set it needs, so entries are merged by name and
//! version. Git, URL and path packages are [`Unresolved`](super::Unresolved). This module
//! reads only the two texts it is given.

use std::collections::{HashMap, HashSet};

use toml_edit::{Item, TableLike};

use super::poetry::{
    Kind, Locked, declared_in_pyproject, key_line, locked_packages, parse_toml, roots_from, str_of,
    table_at,
};
use super::requirements::{Warnings, parse_pep508};
use super::{Entry, Input, LockfileError, Parsed, Req, Scope};
use crate::Ecosystem;

/// Reads `pdm.lock` with its `pyproject.toml`.
pub(crate) fn parse(
    lock: Input<'_>,
    companion: Option<Input<'_>>,
) -> Result<Parsed, LockfileError> {
    let toml = parse_toml(lock)?;
    let (root, lines) = (toml.root(), &toml.lines);
    let mut warnings = Warnings::new();
    let metadata = table_at(root, &["metadata"]);
    match metadata.and_then(|meta| str_of(meta, "lock_version")) {
        Some(version) if version.split('.').next() == Some("4") => {}
        Some(version) => {
            let line = metadata.map_or(0, |meta| key_line(meta, "lock_version", lines));
            return Err(LockfileError::at(
                line,
                format!("lock_version {version} is not one Vigil reads (4.x)"),
            ));
        }
        None => warnings.push("no [metadata] lock_version; read as 4.x".to_owned()),
    }
    let declared = companion.map(|manifest| declared_in_pyproject(manifest, &mut warnings));
    let extras = companion.map(optional_groups).unwrap_or_default();

    let mut parsed = Parsed::default();
    // (normalised name, version) → index in `parsed.packages`.
    let mut seen: HashMap<(String, String), usize> = HashMap::new();
    let packages = locked_packages(root, lines, &mut parsed, &mut warnings, |table, _| {
        if table.contains_key("git") {
            Kind::Unresolved("a git dependency")
        } else if table.contains_key("path") {
            let editable = table.get("editable").and_then(Item::as_bool).unwrap_or(false);
            Kind::Unresolved(if editable { "an editable install" } else { "a local path" })
        } else if table.contains_key("url") {
            Kind::Unresolved("a URL")
        } else {
            Kind::Registry
        }
    });
    for Locked { table, name, version, line } in packages {
        let scope = scope_of(table, &extras);
        let dependencies = dependencies_of(table, name);
        let key = (Ecosystem::PyPI.normalise_name(name), version.to_owned());
        if let Some(entry) = seen.get(&key).and_then(|&index| parsed.packages.get_mut(index)) {
            // The same package again for another set of extras.
            entry.scope = entry.scope.min(scope);
            for dependency in dependencies {
                if !entry.dependencies.iter().any(|known| known.name == dependency.name) {
                    entry.dependencies.push(dependency);
                }
            }
            continue;
        }
        seen.insert(key, parsed.packages.len());
        parsed.packages.push(Entry {
            name: name.to_owned(),
            version: version.to_owned(),
            scope,
            line,
            dependencies,
            license: None,
        });
    }
    // PDM keeps requirements whose markers never hold (`importlib-metadata;
    // python_version < "3.8"`); edges to packages not locked lead nowhere.
    let locked: HashSet<String> = parsed
        .packages
        .iter()
        .map(|entry| &entry.name)
        .chain(parsed.unresolved.iter().map(|item| &item.name))
        .map(|name| Ecosystem::PyPI.normalise_name(name))
        .collect();
    for entry in &mut parsed.packages {
        entry
            .dependencies
            .retain(|edge| locked.contains(&Ecosystem::PyPI.normalise_name(&edge.name)));
    }
    if let (Some(manifest), Some(declared)) = (companion, declared) {
        parsed.roots = roots_from(declared, manifest.path, &parsed, &mut warnings);
    }
    parsed.warnings = warnings.finish();
    Ok(parsed)
}

/// Normal for the `default` group, Optional when every group is an extra,
/// otherwise Dev.
fn scope_of(table: &dyn TableLike, extras: &HashSet<String>) -> Scope {
    let Some(groups) = table.get("groups").and_then(Item::as_array) else {
        return Scope::Normal;
    };
    let mut scope = Scope::Dev;
    for group in groups.iter().filter_map(|group| group.as_str()) {
        if group == "default" {
            return Scope::Normal;
        }
        if extras.contains(group) {
            scope = Scope::Optional;
        }
    }
    scope
}

/// The package's `dependencies` strings as edges, without itself (PDM
/// lists `name==version` in the entry of `name` with extras).
fn dependencies_of(table: &dyn TableLike, name: &str) -> Vec<Req> {
    let Some(array) = table.get("dependencies").and_then(Item::as_array) else {
        return Vec::new();
    };
    let own = Ecosystem::PyPI.normalise_name(name);
    array
        .iter()
        .filter_map(|value| value.as_str().and_then(parse_pep508))
        .filter(|requirement| Ecosystem::PyPI.normalise_name(requirement.name) != own)
        .map(|requirement| Req {
            name: requirement.name.to_owned(),
            version: None,
            scope: Scope::Normal,
            declared: None,
        })
        .collect()
}

/// The names of `[project.optional-dependencies]` in `pyproject.toml`.
fn optional_groups(manifest: Input<'_>) -> HashSet<String> {
    let Ok(toml) = parse_toml(manifest) else { return HashSet::new() };
    table_at(toml.root(), &["project", "optional-dependencies"])
        .map(|extras| extras.iter().map(|(name, _)| name.to_owned()).collect())
        .unwrap_or_default()
}
