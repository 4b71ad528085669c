//! `Cargo.lock` (format versions 1 to 4) with its companion `Cargo.toml`.
//!
//! Cargo writes the lockfile itself, so it is read line by line rather than
//! through a general TOML parser: one pass, every entry's line for free.
//! Packages without a `source` are the workspace's own crates; their
//! dependencies are the roots. Only crates from a registry are entries
//! (cargo-audit matches nothing else); git crates are unresolved.

use std::collections::HashMap;

use super::{Entry, Input, LockfileError, Parsed, Req, Scope, Unresolved};

/// Lockfile format versions this parser knows (v1 and v2 have no
/// `version` line).
const KNOWN_VERSIONS: [u32; 2] = [3, 4];

#[derive(Default)]
struct Raw {
    name: Option<String>,
    version: Option<String>,
    source: Option<String>,
    dependencies: Vec<String>,
    line: u32,
}

pub(crate) fn parse(
    lock: Input<'_>,
    companion: Option<Input<'_>>,
) -> Result<Parsed, LockfileError> {
    let mut parsed = Parsed::default();
    let mut raws: Vec<Raw> = Vec::new();
    let mut current: Option<Raw> = None;
    let mut in_dependencies = false;
    let mut in_package_table = false;
    let mut seen_package = false;
    for (index, line) in lock.text.lines().enumerate() {
        let number = u32::try_from(index + 1).unwrap_or(u32::MAX);
        let line = line.trim();
        if in_dependencies {
            if line.starts_with(']') {
                in_dependencies = false;
            } else if let Some(raw) = current.as_mut() {
                if let Some(value) = quoted(line.trim_end_matches(',')) {
                    raw.dependencies.push(value.to_owned());
                }
            }
            continue;
        }
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        if line == "[[package]]" {
            raws.extend(current.take());
            current = Some(Raw { line: number, ..Raw::default() });
            in_package_table = true;
            seen_package = true;
            continue;
        }
        if line.starts_with('[') {
            // `[metadata]`, `[patch.unused]`, `[package.metadata]`: not package fields.
            raws.extend(current.take());
            in_package_table = false;
            continue;
        }
        let Some((key, value)) = line.split_once('=') else {
            parsed.warnings.push(format!("line {number}: not a `key = value` line; skipped"));
            continue;
        };
        let (key, value) = (key.trim(), value.trim());
        if !in_package_table {
            if key == "version" && !seen_package {
                check_version(value, number)?;
            }
            continue;
        }
        let Some(raw) = current.as_mut() else { continue };
        match key {
            "name" => raw.name = quoted(value).map(str::to_owned),
            "version" => raw.version = quoted(value).map(str::to_owned),
            "source" => raw.source = quoted(value).map(str::to_owned),
            "dependencies" => {
                let inline = value.strip_prefix('[').unwrap_or("");
                if let Some(body) = inline.strip_suffix(']') {
                    raw.dependencies.extend(
                        body.split(',').filter_map(|item| quoted(item.trim())).map(str::to_owned),
                    );
                } else {
                    in_dependencies = true;
                }
            }
            _ => {}
        }
    }
    raws.extend(current.take());
    if raws.is_empty() && !lock.text.contains("[[package]]") && !lock.text.trim().is_empty() {
        return Err(LockfileError::new(
            "no `[[package]]` entries: this does not look like a Cargo.lock",
        ));
    }

    let declared = companion.map(|manifest| declared_lines(manifest)).unwrap_or_default();
    let mut versions_of: HashMap<&str, Vec<&str>> = HashMap::new();
    for raw in &raws {
        if let (Some(name), Some(version)) = (&raw.name, &raw.version) {
            versions_of.entry(name).or_default().push(version);
        }
    }
    let mut root_names: Vec<(String, Option<String>)> = Vec::new();
    for raw in &raws {
        let (Some(name), Some(version)) = (&raw.name, &raw.version) else {
            parsed.warnings.push(format!(
                "line {}: package {} has no {}; skipped",
                raw.line,
                raw.name.as_deref().map_or("(unnamed)".to_owned(), |n| format!("`{n}`")),
                if raw.name.is_none() { "name" } else { "version" }
            ));
            continue;
        };
        let dependencies: Vec<Req> =
            raw.dependencies.iter().map(|spec| edge(spec, &versions_of)).collect();
        match raw.source.as_deref() {
            None => {
                // A crate of this workspace (or a path dependency): not a package
                // to match, but what it depends on is the project's own choice.
                for dependency in dependencies {
                    if !root_names
                        .iter()
                        .any(|(n, v)| *n == dependency.name && *v == dependency.version)
                    {
                        root_names.push((dependency.name, dependency.version));
                    }
                }
            }
            Some(source) if source.starts_with("registry+") || source.starts_with("sparse+") => {
                parsed.packages.push(Entry {
                    name: name.clone(),
                    version: version.clone(),
                    scope: Scope::Normal,
                    line: raw.line,
                    dependencies,
                    license: None,
                });
            }
            Some(source) => parsed.unresolved.push(Unresolved {
                name: format!("{name} {version}"),
                line: raw.line,
                reason: if source.starts_with("git+") {
                    "a git dependency".to_owned()
                } else {
                    format!("from `{source}`, not a registry")
                },
            }),
        }
    }
    for (name, version) in root_names {
        let (scope, declared) = match declared.get(name.as_str()) {
            Some((scope, line)) => (*scope, companion.map(|m| (m.path.to_owned(), *line))),
            None => (Scope::Normal, None),
        };
        parsed.roots.push(Req { name, version, scope, declared });
    }
    Ok(parsed)
}

/// Refuses lockfile format versions newer than those known.
fn check_version(value: &str, line: u32) -> Result<(), LockfileError> {
    let version: u32 = value.parse().map_err(|_| {
        LockfileError::at(line, format!("`version = {value}` is not a lockfile format version"))
    })?;
    if !KNOWN_VERSIONS.contains(&version) {
        return Err(LockfileError::at(
            line,
            format!("Cargo.lock format version {version} is not one Vigil reads (1, 2, 3, 4)"),
        ));
    }
    Ok(())
}

/// A dependency written `name`, `name version` or `name version (source)`.
fn edge(spec: &str, versions_of: &HashMap<&str, Vec<&str>>) -> Req {
    let mut parts = spec.split_whitespace();
    let name = parts.next().unwrap_or_default().to_owned();
    let version =
        parts.next().map(str::to_owned).or_else(|| match versions_of.get(name.as_str()) {
            Some(versions) if versions.len() == 1 => versions.first().map(|v| (*v).to_owned()),
            _ => None,
        });
    Req { name, version, scope: Scope::Normal, declared: None }
}

/// The text between the first pair of double quotes.
fn quoted(value: &str) -> Option<&str> {
    let rest = value.strip_prefix('"')?;
    rest.split_once('"').map(|(inside, _)| inside)
}

/// Where `Cargo.toml` declares each dependency: its scope and line. Table
/// headers (`[dependencies]`, `[dev-dependencies]`, `[build-dependencies]`,
/// `[target.'cfg(..)'.dependencies]`, `[dependencies.name]`) are followed
/// line by line; `package = "..."` renames are honoured.
fn declared_lines<'a>(manifest: Input<'a>) -> HashMap<&'a str, (Scope, u32)> {
    let mut out = HashMap::new();
    let mut section: Option<Scope> = None;
    for (index, line) in manifest.text.lines().enumerate() {
        let number = u32::try_from(index + 1).unwrap_or(u32::MAX);
        let line = line.trim();
        if let Some(header) = line.strip_prefix('[') {
            let header = header.trim_end_matches(']').trim();
            let (table, named) = classify(header);
            section = table;
            if let Some((scope, name)) = named {
                out.entry(name).or_insert((scope, number));
            }
            continue;
        }
        let Some(scope) = section else { continue };
        let Some((key, value)) = line.split_once('=') else { continue };
        let key = key.trim().trim_matches('"');
        if key.is_empty() || key.starts_with('#') {
            continue;
        }
        let optional = value.contains("optional = true") || value.contains("optional=true");
        let scope = if optional && scope == Scope::Normal { Scope::Optional } else { scope };
        let name = value
            .split_once("package")
            .and_then(|(_, rest)| rest.trim_start().strip_prefix('='))
            .and_then(|rest| quoted(rest.trim()))
            .unwrap_or(key);
        out.entry(name).or_insert((scope, number));
    }
    out
}

/// A `Cargo.toml` table header: a dependency table (`dependencies`,
/// `target.'cfg(unix)'.dev-dependencies`) or one dependency's own table
/// (`dependencies.serde`).
fn classify(header: &str) -> (Option<Scope>, Option<(Scope, &str)>) {
    const TABLES: [(&str, Scope); 3] = [
        ("dev-dependencies", Scope::Dev),
        ("build-dependencies", Scope::Dev),
        ("dependencies", Scope::Normal),
    ];
    for (table, scope) in TABLES {
        let dotted = format!(".{table}");
        if header == table || header.ends_with(&dotted) {
            return (Some(scope), None);
        }
        let name = header
            .strip_prefix(table)
            .and_then(|rest| rest.strip_prefix('.'))
            .or_else(|| header.split_once(&format!("{dotted}.")).map(|(_, rest)| rest));
        if let Some(name) = name {
            return (None, Some((scope, name.trim_matches('"'))));
        }
    }
    (None, None)
}

#[cfg(test)]
mod tests;
