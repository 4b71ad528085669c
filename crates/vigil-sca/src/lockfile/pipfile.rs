//! Pipenv's `Pipfile.lock` (pipfile-spec 1 to 6) with its `Pipfile`.
//!
//! Every package of every category is an entry: `default` is Normal,
//! `develop` and any other category Dev; a package in two categories at
//! the same version is one entry. The lockfile records no edges. Roots are
//! the `[packages]` and `[dev-packages]` of the `Pipfile`; without it,
//! every package is a root declared in the lockfile. Git, path, URL and
//! editable packages are [`Unresolved`]. This module reads only the two
//! texts it is given.

use std::collections::{HashMap, HashSet};

use serde_json::Value;

use super::poetry::{Declared, key_line, parse_manifest, roots_from, table_at};
use super::requirements::Warnings;
use super::{Entry, Input, LockfileError, Parsed, Req, Scope, Unresolved};
use crate::Ecosystem;

/// The newest `pipfile-spec` read.
const NEWEST_SPEC: u64 = 6;

/// Reads `Pipfile.lock` with its `Pipfile`.
pub(crate) fn parse(
    lock: Input<'_>,
    companion: Option<Input<'_>>,
) -> Result<Parsed, LockfileError> {
    let document: Value = serde_json::from_str(lock.text).map_err(|error| {
        let line = u32::try_from(error.line()).unwrap_or(u32::MAX).max(1);
        LockfileError::at(line, format!("not valid JSON at line {line}: {error}"))
    })?;
    let Some(top) = document.as_object() else {
        return Err(LockfileError::at(1, "a Pipfile.lock must be a JSON object"));
    };
    let key_lines = key_lines(lock.text);
    let line_of = |section: &str, key: &str| {
        key_lines.get(&(section.to_owned(), key.to_owned())).copied().unwrap_or(0)
    };
    let mut warnings = Warnings::new();
    let spec = top.get("_meta").and_then(|meta| meta.get("pipfile-spec"));
    match spec.and_then(Value::as_u64) {
        Some(version) if (1..=NEWEST_SPEC).contains(&version) => {}
        Some(_) | None if spec.is_some() => {
            let shown = spec.map(Value::to_string).unwrap_or_default();
            return Err(LockfileError::at(
                line_of("_meta", "pipfile-spec"),
                format!("pipfile-spec {shown} is not one Vigil reads (1 to {NEWEST_SPEC})"),
            ));
        }
        _ => warnings.push("no `_meta.pipfile-spec`; read as spec 6".to_owned()),
    }

    let mut parsed = Parsed::default();
    let mut seen: HashSet<(String, String)> = HashSet::new();
    // `default` first, so a package also in `develop` stays Normal.
    let mut sections: Vec<(&String, &Value)> =
        top.iter().filter(|(name, _)| !name.starts_with('_')).collect();
    sections.sort_by_key(|(name, _)| (name.as_str() != "default", name.as_str() != "develop"));
    for (section, packages) in sections {
        let Some(packages) = packages.as_object() else {
            warnings.push(format!(
                "line {}: `{section}` is not an object; skipped",
                line_of("", section)
            ));
            continue;
        };
        let scope = if section == "default" { Scope::Normal } else { Scope::Dev };
        for (name, details) in packages {
            let line = line_of(section, name);
            if let Some(reason) = unresolved_reason(details) {
                parsed.unresolved.push(Unresolved {
                    name: name.clone(),
                    line,
                    reason: reason.to_owned(),
                });
                continue;
            }
            let version = details.get("version").and_then(Value::as_str).and_then(|version| {
                let version = version.trim();
                version.strip_prefix("===").or_else(|| version.strip_prefix("=="))
            });
            let Some(version) = version.map(str::trim).filter(|version| !version.is_empty()) else {
                warnings
                    .push(format!("line {line}: package `{name}` has no exact version; skipped"));
                continue;
            };
            if !seen.insert((Ecosystem::PyPI.normalise_name(name), version.to_owned())) {
                continue;
            }
            parsed.packages.push(Entry {
                name: name.clone(),
                version: version.to_owned(),
                scope,
                line,
                dependencies: Vec::new(),
                license: None,
            });
        }
    }
    parsed.packages.sort_by_key(|entry| entry.line);

    parsed.roots = match companion {
        Some(manifest) => {
            let declared = declared_in_pipfile(manifest, &mut warnings);
            roots_from(declared, manifest.path, &parsed, &mut warnings)
        }
        None => parsed
            .packages
            .iter()
            .map(|entry| Req {
                name: entry.name.clone(),
                version: Some(entry.version.clone()),
                scope: entry.scope,
                declared: Some((lock.path.to_owned(), entry.line)),
            })
            .collect(),
    };
    parsed.warnings = warnings.finish();
    Ok(parsed)
}

/// Why a locked package has no registry version, if it has none.
fn unresolved_reason(details: &Value) -> Option<&'static str> {
    let has = |key: &str| details.get(key).is_some();
    if has("git") || has("hg") || has("svn") || has("bzr") {
        Some("a git dependency")
    } else if details.get("editable").and_then(Value::as_bool) == Some(true) {
        Some("an editable install")
    } else if has("path") {
        Some("a local path")
    } else if has("file") {
        let file = details.get("file").and_then(Value::as_str).unwrap_or("");
        Some(if file.contains("://") && !file.starts_with("file:") {
            "a URL"
        } else {
            "a local path"
        })
    } else {
        None
    }
}

/// The `[packages]` (Normal) and `[dev-packages]` (Dev) of a `Pipfile`.
fn declared_in_pipfile(manifest: Input<'_>, warnings: &mut Warnings) -> Vec<Declared> {
    let Some(toml) = parse_manifest(manifest, warnings) else { return Vec::new() };
    let (root, lines) = (toml.root(), &toml.lines);
    let mut declared = Vec::new();
    for (section, scope) in [("packages", Scope::Normal), ("dev-packages", Scope::Dev)] {
        let Some(table) = table_at(root, &[section]) else { continue };
        for (name, _) in table.iter() {
            declared.push(Declared {
                name: name.to_owned(),
                scope,
                line: key_line(table, name, lines),
            });
        }
    }
    declared
}

/// The line of every key of the top-level object (section `""`) and of
/// the objects directly inside it, by (section, key), in one pass over the
/// text. Keys are taken as written, escapes and all.
fn key_lines(text: &str) -> HashMap<(String, String), u32> {
    let bytes = text.as_bytes();
    let mut lines = HashMap::new();
    let mut depth = 0usize;
    let mut line = 1u32;
    let mut section = String::new();
    let mut offset = 0;
    while let Some(&byte) = bytes.get(offset) {
        match byte {
            b'\n' => line = line.saturating_add(1),
            b'{' | b'[' => depth += 1,
            b'}' | b']' => depth = depth.saturating_sub(1),
            b'"' => {
                let start = offset + 1;
                let mut end = start;
                while let Some(&inner) = bytes.get(end) {
                    match inner {
                        b'\\' => end += 2,
                        b'"' => break,
                        _ => end += 1,
                    }
                }
                let after = bytes.get(end + 1..).unwrap_or_default();
                let is_key = after.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b':');
                if is_key && (depth == 1 || depth == 2) {
                    let key = text.get(start..end).unwrap_or_default().to_owned();
                    if depth == 1 {
                        section.clone_from(&key);
                        lines.insert((String::new(), key), line);
                    } else {
                        lines.insert((section.clone(), key), line);
                    }
                }
                offset = end;
            }
            _ => {}
        }
        offset += 1;
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_found_by_section() {
        let text = "{\n \"_meta\": {\"pipfile-spec\": 6},\n \"default\": {\n  \"a\\\"b\": {\"version\": \"==1\"},\n  \"c\": {}\n }\n}";
        let lines = key_lines(text);
        assert_eq!(lines.get(&("_meta".into(), "pipfile-spec".into())), Some(&2));
        assert_eq!(lines.get(&(String::new(), "default".into())), Some(&3));
        assert_eq!(lines.get(&("default".into(), "a\\\"b".into())), Some(&4));
        assert_eq!(lines.get(&("default".into(), "c".into())), Some(&5));
        assert_eq!(lines.get(&("default".into(), "version".into())), None);
    }
}
