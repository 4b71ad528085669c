//! Poetry's `poetry.lock` (lock-version 1.x and 2.x), and what every
//! TOML-based Python format shares: reading TOML with spans
//! ([`parse_toml`]), walking the `[[package]]` tables of a lockfile
//! ([`locked_packages`]), the direct dependencies a `pyproject.toml` declares
//! ([`declared_in_pyproject`], for Poetry, PEP 621, PEP 735, PDM and uv),
//! turning them into roots ([`roots_from`]) and deriving scopes from the
//! graph when a lockfile does not record them ([`scopes_from_roots`]).
//!
//! The project itself is not an entry; git, URL and path packages are
//! [`Unresolved`]. This module reads only the two texts it is given.

use std::collections::HashMap;

use toml_edit::{ImDocument, Item, Table, TableLike};

use super::requirements::{LineIndex, Warnings, parse_pep508};
use super::{Entry, Input, LockfileError, Parsed, Req, Scope, Unresolved};
use crate::Ecosystem;

/// A TOML text read with byte spans, and the index that turns them into
/// lines.
pub(super) struct Toml<'a> {
    /// The document.
    document: ImDocument<&'a str>,
    /// The text's lines.
    pub(super) lines: LineIndex,
}

impl Toml<'_> {
    /// The top-level table.
    pub(super) fn root(&self) -> &dyn TableLike {
        self.document.as_table()
    }
}

/// Parses TOML keeping byte spans; an error names its line.
pub(super) fn parse_toml(input: Input<'_>) -> Result<Toml<'_>, LockfileError> {
    let lines = LineIndex::new(input.text);
    match ImDocument::parse(input.text) {
        Ok(document) => Ok(Toml { document, lines }),
        Err(error) => {
            let line = error.span().map_or(1, |span| lines.line(span.start));
            let message = error.message().trim().to_owned();
            let message = format!("{}: not valid TOML at line {line}: {message}", input.path);
            Err(LockfileError::at(line, message))
        }
    }
}

/// Parses a manifest; one that is not valid TOML is a warning that the
/// project's direct dependencies are not known.
pub(super) fn parse_manifest<'a>(manifest: Input<'a>, warnings: &mut Warnings) -> Option<Toml<'a>> {
    parse_toml(manifest)
        .map_err(|error| warnings.push(format!("{error}; direct dependencies not known")))
        .ok()
}

/// The 1-based line of `key` in `table`, or 0 when unknown.
pub(super) fn key_line(table: &dyn TableLike, key: &str, lines: &LineIndex) -> u32 {
    table
        .get_key_value(key)
        .and_then(|(key, _)| key.span())
        .map_or(0, |span| lines.line(span.start))
}

/// A string value of `table`.
pub(super) fn str_of<'t>(table: &'t dyn TableLike, key: &str) -> Option<&'t str> {
    table.get(key).and_then(Item::as_str)
}

/// The table (or inline table) at a dotted `path` below `table`.
pub(super) fn table_at<'t>(table: &'t dyn TableLike, path: &[&str]) -> Option<&'t dyn TableLike> {
    let mut current = table;
    for key in path {
        current = current.get(key)?.as_table_like()?;
    }
    Some(current)
}

/// One `[[package]]` of a TOML Python lockfile that names a package at a
/// version.
pub(super) struct Locked<'t> {
    /// Its table.
    pub(super) table: &'t Table,
    /// The name as written.
    pub(super) name: &'t str,
    /// The version as written.
    pub(super) version: &'t str,
    /// 1-based line of its `[[package]]` header.
    pub(super) line: u32,
}

/// What a format makes of a named `[[package]]`, before its version is read.
pub(super) enum Kind {
    /// A package from a registry: it needs a version.
    Registry,
    /// A package without a registry version (git, URL, path), and why.
    Unresolved(&'static str),
    /// Not a package of the graph (the project's own); the format has
    /// dealt with it.
    Skip,
}

/// The `[[package]]` tables of a lockfile, in file order, that name a
/// registry package at a version. A table without a name or without a
/// version is a warning; `kind` tells the format's unresolved packages,
/// which go to `parsed.unresolved`, and the ones it skips.
pub(super) fn locked_packages<'t>(
    root: &'t dyn TableLike,
    lines: &LineIndex,
    parsed: &mut Parsed,
    warnings: &mut Warnings,
    mut kind: impl FnMut(&'t Table, &'t str) -> Kind,
) -> Vec<Locked<'t>> {
    let mut locked = Vec::new();
    let packages = root.get("package").and_then(Item::as_array_of_tables);
    for table in packages.into_iter().flat_map(|array| array.iter()) {
        let line = table.span().map_or(0, |span| lines.line(span.start));
        let Some(name) = str_of(table, "name") else {
            warnings.push(format!("line {line}: a package without a name; skipped"));
            continue;
        };
        match kind(table, name) {
            Kind::Registry => {}
            Kind::Unresolved(reason) => {
                parsed.unresolved.push(Unresolved {
                    name: name.to_owned(),
                    line,
                    reason: reason.to_owned(),
                });
                continue;
            }
            Kind::Skip => continue,
        }
        let Some(version) = str_of(table, "version") else {
            warnings.push(format!("line {line}: package `{name}` has no version; skipped"));
            continue;
        };
        locked.push(Locked { table, name, version, line });
    }
    locked
}

/// One direct dependency a manifest declares.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Declared {
    /// The name as written.
    pub(super) name: String,
    /// Normal, Dev (a dev group) or Optional (an extra).
    pub(super) scope: Scope,
    /// 1-based line in the manifest.
    pub(super) line: u32,
}

/// The direct dependencies `pyproject.toml` declares, in file order by
/// section: PEP 621 `[project]`, PEP 735 `[dependency-groups]`, Poetry's
/// `[tool.poetry.*]`, PDM's and uv's dev dependencies.
pub(super) fn declared_in_pyproject(manifest: Input<'_>, warnings: &mut Warnings) -> Vec<Declared> {
    let Some(toml) = parse_manifest(manifest, warnings) else { return Vec::new() };
    let (root, lines) = (toml.root(), &toml.lines);
    let mut declared = Vec::new();
    if let Some(project) = table_at(root, &["project"]) {
        if let Some(list) = project.get("dependencies") {
            push_requirements(list, Scope::Normal, lines, &mut declared);
        }
        if let Some(extras) = table_at(project, &["optional-dependencies"]) {
            for (_, list) in extras.iter() {
                push_requirements(list, Scope::Optional, lines, &mut declared);
            }
        }
    }
    if let Some(poetry) = table_at(root, &["tool", "poetry"]) {
        if let Some(table) = table_at(poetry, &["dependencies"]) {
            push_poetry_table(table, Scope::Normal, lines, &mut declared);
        }
        if let Some(table) = table_at(poetry, &["dev-dependencies"]) {
            push_poetry_table(table, Scope::Dev, lines, &mut declared);
        }
        if let Some(groups) = table_at(poetry, &["group"]) {
            for (group, item) in groups.iter() {
                let scope = if group == "main" { Scope::Normal } else { Scope::Dev };
                if let Some(table) =
                    item.as_table_like().and_then(|g| table_at(g, &["dependencies"]))
                {
                    push_poetry_table(table, scope, lines, &mut declared);
                }
            }
        }
    }
    if let Some(groups) = table_at(root, &["dependency-groups"]) {
        for (_, list) in groups.iter() {
            push_requirements(list, Scope::Dev, lines, &mut declared);
        }
    }
    if let Some(groups) = table_at(root, &["tool", "pdm", "dev-dependencies"]) {
        for (_, list) in groups.iter() {
            push_requirements(list, Scope::Dev, lines, &mut declared);
        }
    }
    if let Some(list) = table_at(root, &["tool", "uv"]).and_then(|uv| uv.get("dev-dependencies")) {
        push_requirements(list, Scope::Dev, lines, &mut declared);
    }
    declared
}

/// Adds each PEP 508 string of an array (`["django==3.2", ...]`).
fn push_requirements(list: &Item, scope: Scope, lines: &LineIndex, out: &mut Vec<Declared>) {
    let Some(array) = list.as_array() else { return };
    for value in array.iter() {
        let Some(requirement) = value.as_str().and_then(parse_pep508) else { continue };
        let line = value.span().map_or(0, |span| lines.line(span.start));
        out.push(Declared { name: requirement.name.to_owned(), scope, line });
    }
}

/// Adds each key of a Poetry dependency table except `python`; an
/// `optional = true` dependency is Optional.
fn push_poetry_table(
    table: &dyn TableLike,
    scope: Scope,
    lines: &LineIndex,
    out: &mut Vec<Declared>,
) {
    for (name, item) in table.iter() {
        if name.eq_ignore_ascii_case("python") {
            continue;
        }
        let optional = item
            .as_table_like()
            .and_then(|spec| spec.get("optional"))
            .and_then(Item::as_bool)
            .unwrap_or(false);
        let scope = if optional && scope == Scope::Normal { Scope::Optional } else { scope };
        out.push(Declared { name: name.to_owned(), scope, line: key_line(table, name, lines) });
    }
}

/// The roots for `declared` dependencies: each gets the version the
/// lockfile resolved when exactly one is pinned; a name declared twice
/// keeps its first (strongest) declaration. A name neither pinned nor
/// unresolved is a warning.
pub(super) fn roots_from(
    declared: Vec<Declared>,
    manifest_path: &str,
    parsed: &Parsed,
    warnings: &mut Warnings,
) -> Vec<Req> {
    let mut versions: HashMap<String, Option<&str>> = HashMap::new();
    for entry in &parsed.packages {
        let key = Ecosystem::PyPI.normalise_name(&entry.name);
        versions
            .entry(key)
            .and_modify(|version| {
                if *version != Some(entry.version.as_str()) {
                    *version = None;
                }
            })
            .or_insert(Some(entry.version.as_str()));
    }
    let unresolved: std::collections::HashSet<String> =
        parsed.unresolved.iter().map(|item| Ecosystem::PyPI.normalise_name(&item.name)).collect();
    let mut seen = std::collections::HashSet::new();
    let mut roots = Vec::new();
    for item in declared {
        let key = Ecosystem::PyPI.normalise_name(&item.name);
        if !seen.insert(key.clone()) {
            continue;
        }
        let version = match versions.get(&key) {
            Some(version) => version.map(str::to_owned),
            None => {
                if !unresolved.contains(&key) {
                    warnings.push(format!(
                        "{manifest_path} line {}: `{}` is declared but not in the lockfile",
                        item.line, item.name
                    ));
                }
                None
            }
        };
        roots.push(Req {
            name: item.name,
            version,
            scope: item.scope,
            declared: Some((manifest_path.to_owned(), item.line)),
        });
    }
    roots
}

/// Sets the scope of every package reachable from `roots`: Normal when a
/// Normal root reaches it through required edges, else Optional when an
/// Optional root or edge does, else Dev when a Dev root does. Packages no
/// root reaches keep their scope.
pub(super) fn scopes_from_roots(packages: &mut [Entry], roots: &[Req]) {
    let mut by_name: HashMap<String, Vec<usize>> = HashMap::new();
    for (index, entry) in packages.iter().enumerate() {
        by_name.entry(Ecosystem::PyPI.normalise_name(&entry.name)).or_default().push(index);
    }
    let targets = |req: &Req| -> Vec<usize> {
        let key = Ecosystem::PyPI.normalise_name(&req.name);
        by_name
            .get(&key)
            .map(|indices| {
                indices
                    .iter()
                    .copied()
                    .filter(|&index| {
                        req.version.as_ref().is_none_or(|version| {
                            packages.get(index).is_some_and(|entry| &entry.version == version)
                        })
                    })
                    .collect()
            })
            .unwrap_or_default()
    };
    let mut reached: Vec<Option<Scope>> = vec![None; packages.len()];
    for scope in [Scope::Normal, Scope::Optional, Scope::Dev] {
        let mut stack: Vec<usize> = Vec::new();
        for root in roots.iter().filter(|root| root.scope == scope) {
            stack.extend(targets(root));
        }
        if scope == Scope::Optional {
            // Optional edges of Normal packages start Optional subgraphs.
            for (index, entry) in packages.iter().enumerate() {
                if reached.get(index).copied().flatten() == Some(Scope::Normal) {
                    for edge in entry.dependencies.iter().filter(|e| e.scope == Scope::Optional) {
                        stack.extend(targets(edge));
                    }
                }
            }
        }
        while let Some(index) = stack.pop() {
            match reached.get_mut(index) {
                Some(slot @ None) => *slot = Some(scope),
                _ => continue,
            }
            if let Some(entry) = packages.get(index) {
                for edge in &entry.dependencies {
                    if scope == Scope::Normal && edge.scope == Scope::Optional {
                        continue;
                    }
                    stack.extend(targets(edge));
                }
            }
        }
    }
    for (entry, scope) in packages.iter_mut().zip(reached) {
        if let Some(scope) = scope {
            entry.scope = scope;
        }
    }
}

/// Reads `poetry.lock` with its `pyproject.toml`.
pub(crate) fn parse(
    lock: Input<'_>,
    companion: Option<Input<'_>>,
) -> Result<Parsed, LockfileError> {
    let toml = parse_toml(lock)?;
    let (root, lines) = (toml.root(), &toml.lines);
    let mut warnings = Warnings::new();
    let lock_version = table_at(root, &["metadata"]).and_then(|meta| str_of(meta, "lock-version"));
    match lock_version {
        Some(version) if version.starts_with("1.") || version.starts_with("2.") => {}
        Some(version) => {
            let line = table_at(root, &["metadata"])
                .map_or(0, |meta| key_line(meta, "lock-version", lines));
            return Err(LockfileError::at(
                line,
                format!("lock-version {version} is not one Vigil reads (1.x, 2.x)"),
            ));
        }
        None => warnings
            .push("no [metadata] lock-version (the file may be cut short); read as 2.x".to_owned()),
    }
    let mut parsed = Parsed::default();
    let mut scopes_recorded = true;
    let packages = locked_packages(root, lines, &mut parsed, &mut warnings, |table, _| {
        let Some(source) = table_at(table, &["source"]) else { return Kind::Registry };
        let develop = table.get("develop").and_then(Item::as_bool).unwrap_or(false);
        match str_of(source, "type") {
            Some("git") => Kind::Unresolved("a git dependency"),
            Some("directory" | "file") if develop => Kind::Unresolved("an editable install"),
            Some("directory" | "file") => Kind::Unresolved("a local path"),
            Some("url") => Kind::Unresolved("a URL"),
            _ => Kind::Registry,
        }
    });
    for Locked { table, name, version, line } in packages {
        let optional = table.get("optional").and_then(Item::as_bool).unwrap_or(false);
        let scope = match (str_of(table, "category"), table.get("groups").and_then(Item::as_array))
        {
            (Some("dev"), _) => Scope::Dev,
            (_, Some(groups)) if !groups.iter().any(|group| group.as_str() == Some("main")) => {
                Scope::Dev
            }
            (Some(_), _) | (_, Some(_)) if optional => Scope::Optional,
            (Some(_), _) | (_, Some(_)) => Scope::Normal,
            (None, None) => {
                scopes_recorded = false;
                if optional { Scope::Optional } else { Scope::Normal }
            }
        };
        let mut dependencies = Vec::new();
        if let Some(edges) = table_at(table, &["dependencies"]) {
            for (dependency, spec) in edges.iter() {
                let optional_edge = spec
                    .as_table_like()
                    .and_then(|spec| spec.get("optional"))
                    .and_then(Item::as_bool)
                    .unwrap_or(false);
                dependencies.push(Req {
                    name: dependency.to_owned(),
                    version: None,
                    scope: if optional_edge { Scope::Optional } else { Scope::Normal },
                    declared: None,
                });
            }
        }
        parsed.packages.push(Entry {
            name: name.to_owned(),
            version: version.to_owned(),
            scope,
            line,
            dependencies,
            license: None,
        });
    }
    if let Some(manifest) = companion {
        let declared = declared_in_pyproject(manifest, &mut warnings);
        parsed.roots = roots_from(declared, manifest.path, &parsed, &mut warnings);
        if !scopes_recorded {
            scopes_from_roots(&mut parsed.packages, &parsed.roots);
        }
    }
    parsed.warnings = warnings.finish();
    Ok(parsed)
}
