//! The `pubspec` format: Dart's `pubspec.lock` (YAML).
//!
//! Each key of `packages:` is one package with `dependency` (`direct main`,
//! `direct dev`, `direct overridden` or `transitive`), `source` (`hosted`,
//! `git`, `path`, `sdk`) and `version`. Hosted packages are entries, and the
//! direct ones are the roots, declared at their line of the lockfile (pub
//! has no companion read with it). Git and path packages have no registry
//! version and become [`Unresolved`]; SDK packages (`flutter`,
//! `flutter_test`) are part of the SDK and are skipped without a word. The
//! file records no edges.

use std::collections::HashMap;

use yaml_rust2::{Yaml, YamlLoader};

use super::{Entry, Input, LockfileError, Parsed, Req, Scope, Unresolved};

/// Reads `pubspec.lock`.
pub(crate) fn parse(
    lock: Input<'_>,
    companion: Option<Input<'_>>,
) -> Result<Parsed, LockfileError> {
    let _ = companion;
    let documents = YamlLoader::load_from_str(lock.text).map_err(|error| {
        let line = u32::try_from(error.marker().line()).unwrap_or(u32::MAX);
        LockfileError::at(line, format!("not valid YAML at line {line}: {}", error.info()))
    })?;
    let mut parsed = Parsed::default();
    let Some(document) = documents.first() else { return Ok(parsed) };
    let packages = match &document["packages"] {
        Yaml::Hash(packages) => packages,
        Yaml::BadValue | Yaml::Null if document.as_hash().is_some() => return Ok(parsed),
        _ => return Err(LockfileError::new("not a pubspec.lock: it has no `packages:` map")),
    };
    let lines = package_lines(lock.text);
    for (key, package) in packages {
        let Some(name) = key.as_str() else {
            parsed.warnings.push("a package key is not a string; skipped".to_owned());
            continue;
        };
        let line = lines.get(name).copied().unwrap_or(0);
        let source = package["source"].as_str().unwrap_or("hosted");
        let dependency = package["dependency"].as_str().unwrap_or("transitive");
        match source {
            "sdk" => continue,
            "git" => {
                parsed.unresolved.push(Unresolved {
                    name: name.to_owned(),
                    line,
                    reason: "a git dependency".to_owned(),
                });
                continue;
            }
            "path" => {
                parsed.unresolved.push(Unresolved {
                    name: name.to_owned(),
                    line,
                    reason: "a local path".to_owned(),
                });
                continue;
            }
            _ => {}
        }
        let version = match &package["version"] {
            Yaml::String(version) => version.clone(),
            Yaml::Real(version) => version.clone(),
            Yaml::Integer(version) => version.to_string(),
            _ => {
                parsed
                    .warnings
                    .push(format!("line {line}: package `{name}` has no version; skipped"));
                continue;
            }
        };
        let scope = if dependency == "direct dev" { Scope::Dev } else { Scope::Normal };
        if dependency.starts_with("direct") {
            parsed.roots.push(Req {
                name: name.to_owned(),
                version: Some(version.clone()),
                scope,
                declared: Some((lock.path.to_owned(), line)),
            });
        }
        parsed.packages.push(Entry {
            name: name.to_owned(),
            version,
            scope,
            line,
            dependencies: Vec::new(),
        });
    }
    Ok(parsed)
}

/// The line of each `  name:` key directly under `packages:`, found in one
/// pass over the text.
fn package_lines(text: &str) -> HashMap<&str, u32> {
    let mut lines = HashMap::new();
    let mut inside = false;
    for (index, line) in text.lines().enumerate() {
        if !line.starts_with(' ') && !line.trim().is_empty() && !line.starts_with('#') {
            inside = line.trim_end() == "packages:";
            continue;
        }
        if !inside {
            continue;
        }
        let Some(key) = line.strip_prefix("  ") else { continue };
        if key.starts_with(' ') {
            continue;
        }
        if let Some(name) = key.trim_end().strip_suffix(':') {
            let name = name.trim_matches(['"', '\'']);
            lines.entry(name).or_insert(u32::try_from(index + 1).unwrap_or(u32::MAX));
        }
    }
    lines
}
