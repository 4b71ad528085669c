//! The `composer` format: Composer's `composer.lock` (JSON), with the
//! project's `composer.json` as companion for the roots.
//!
//! `packages` are run-time packages and `packages-dev` development ones;
//! each package's `require` gives its edges. Platform requirements (`php`,
//! `ext-*`, `lib-*`, `composer-*`) are not packages. A package on a branch
//! (`dev-main`) or from a `path` repository has no release version and
//! becomes [`Unresolved`]. Lines are found by searching the text for each
//! package's `"name": "..."` in file order, since JSON parsing keeps none.
//!
//! This module also holds [`find_key_value`], the line search the other
//! JSON formats of this family (Swift, Conan) share.

use std::collections::HashMap;

use serde_json::Value;

use super::lines::LineIndex;
use super::{Entry, Input, LockfileError, Parsed, Req, Scope, Unresolved};

/// Reads `composer.lock`, and `composer.json` for the roots.
pub(crate) fn parse(
    lock: Input<'_>,
    companion: Option<Input<'_>>,
) -> Result<Parsed, LockfileError> {
    let document = parse_json(lock.text)?;
    let Some(object) = document.as_object() else {
        return Err(LockfileError::new("not a composer.lock: the top level is not a JSON object"));
    };
    if !object.contains_key("packages") && !object.contains_key("content-hash") {
        return Err(LockfileError::new("not a composer.lock: it has no `packages` list"));
    }
    let mut parsed = Parsed::default();
    let mut cursor = 0;
    let lines = LineIndex::new(lock.text);
    let mut edges: Vec<Vec<&str>> = Vec::new();
    let mut versions: HashMap<&str, &str> = HashMap::new();
    for (key, scope) in [("packages", Scope::Normal), ("packages-dev", Scope::Dev)] {
        let list = match object.get(key) {
            None | Some(Value::Null) => continue,
            Some(Value::Array(list)) => list,
            Some(_) => {
                parsed.warnings.push(format!("`{key}` is not a list; skipped"));
                continue;
            }
        };
        for package in list {
            let name = package.get("name").and_then(Value::as_str);
            let found = name.and_then(|name| find_key_value(lock.text, cursor, "name", name));
            let line = found.map_or(0, |(start, _)| lines.line(start));
            cursor = found.map_or(cursor, |(_, end)| end);
            let Some(name) = name else {
                parsed.warnings.push(format!("a package in `{key}` has no name; skipped"));
                continue;
            };
            let Some(version) = package.get("version").and_then(Value::as_str) else {
                parsed
                    .warnings
                    .push(format!("line {line}: package `{name}` has no version; skipped"));
                continue;
            };
            let dist_type = package.pointer("/dist/type").and_then(Value::as_str);
            if dist_type == Some("path") {
                parsed.unresolved.push(Unresolved {
                    name: name.to_owned(),
                    line,
                    reason: "a local path".to_owned(),
                });
                continue;
            }
            if version.starts_with("dev-") || version.ends_with("-dev") {
                parsed.unresolved.push(Unresolved {
                    name: name.to_owned(),
                    line,
                    reason: format!("a development branch ({version})"),
                });
                continue;
            }
            versions.insert(name, version);
            let requires = package.get("require").and_then(Value::as_object);
            edges.push(
                requires
                    .into_iter()
                    .flat_map(|map| map.keys())
                    .map(String::as_str)
                    .filter(|dependency| !is_platform(dependency))
                    .collect(),
            );
            parsed.packages.push(Entry {
                name: name.to_owned(),
                version: version.to_owned(),
                scope,
                line,
                dependencies: Vec::new(),
                license: licenses(package),
            });
        }
    }
    for (entry, names) in parsed.packages.iter_mut().zip(edges) {
        entry.dependencies = names
            .into_iter()
            .map(|name| Req {
                name: name.to_owned(),
                version: versions.get(name).map(|version| (*version).to_owned()),
                ..Req::default()
            })
            .collect();
    }
    if let Some(manifest) = companion {
        read_manifest(manifest, &versions, &mut parsed);
    }
    Ok(parsed)
}

/// The roots: `require` and `require-dev` of `composer.json`.
fn read_manifest(manifest: Input<'_>, versions: &HashMap<&str, &str>, parsed: &mut Parsed) {
    let document = match parse_json(manifest.text) {
        Ok(document) => document,
        Err(error) => {
            parsed.warnings.push(format!("{}: {error}; its roots are not read", manifest.path));
            return;
        }
    };
    let lines = LineIndex::new(manifest.text);
    for (key, scope) in [("require", Scope::Normal), ("require-dev", Scope::Dev)] {
        let Some(map) = document.get(key).and_then(Value::as_object) else { continue };
        let block_start = find_key(manifest.text, 0, key).unwrap_or(0);
        for name in map.keys().filter(|name| !is_platform(name)) {
            // A package without a release version is unresolved already.
            if parsed.unresolved.iter().any(|item| &item.name == name) {
                continue;
            }
            if !versions.contains_key(name.as_str()) {
                parsed.warnings.push(format!(
                    "{}: `{name}` is required but not in composer.lock",
                    manifest.path
                ));
            }
            let line =
                find_key(manifest.text, block_start, name).map_or(0, |offset| lines.line(offset));
            parsed.roots.push(Req {
                name: name.clone(),
                version: versions.get(name.as_str()).map(|version| (*version).to_owned()),
                scope,
                declared: Some((manifest.path.to_owned(), line)),
            });
        }
    }
}

/// Whether a require names the platform rather than a package.
fn is_platform(name: &str) -> bool {
    name == "php"
        || name.starts_with("php-")
        || name.starts_with("ext-")
        || name.starts_with("lib-")
        || name == "composer"
        || name.starts_with("composer-")
        || name == "hhvm"
}

/// JSON text into a value, or an error naming the line.
pub(super) fn parse_json(text: &str) -> Result<Value, LockfileError> {
    serde_json::from_str(text).map_err(|error| {
        let line = u32::try_from(error.line()).unwrap_or(u32::MAX);
        LockfileError::at(line, format!("not valid JSON at line {line}: {error}"))
    })
}

/// Byte offset of the JSON key `"key"` (followed by `:`) at or after
/// `from`.
fn find_key(text: &str, from: usize, key: &str) -> Option<usize> {
    let needle = serde_json::to_string(key).ok()?;
    let mut start = from;
    while let Some(found) = text.get(start..).and_then(|rest| rest.find(&needle)) {
        let at = start + found;
        let after = text.get(at + needle.len()..).unwrap_or_default();
        if after.trim_start().starts_with(':') {
            return Some(at);
        }
        start = at + needle.len();
    }
    None
}

/// The byte range of the value of the first `"key": "value"` pair at or
/// after byte `from` (any spacing around the `:`, slashes escaped or not).
pub(super) fn find_key_value(
    text: &str,
    from: usize,
    key: &str,
    value: &str,
) -> Option<(usize, usize)> {
    let key_needle = serde_json::to_string(key).ok()?;
    let plain = serde_json::to_string(value).ok()?;
    let escaped = plain.replace('/', "\\/");
    for needle in [&plain, &escaped] {
        let mut start = from;
        while let Some(found) = text.get(start..).and_then(|rest| rest.find(needle.as_str())) {
            let at = start + found;
            let before = text.get(..at).unwrap_or_default().trim_end();
            if let Some(before) = before.strip_suffix(':') {
                if before.trim_end().ends_with(key_needle.as_str()) {
                    return Some((at, at + needle.len()));
                }
            }
            start = at + needle.len();
        }
        if escaped == plain {
            break;
        }
    }
    None
}

/// A package's `license` list, as one expression: Composer lists the
/// licenses a package may be used under, so any of them (`OR`).
fn licenses(package: &Value) -> Option<String> {
    let list: Vec<&str> =
        package.get("license")?.as_array()?.iter().filter_map(Value::as_str).collect();
    match list.as_slice() {
        [] => None,
        [one] => Some((*one).to_owned()),
        many => Some(many.join(" OR ")),
    }
}
