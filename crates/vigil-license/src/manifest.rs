//! Licenses declared in package manifests: Cargo.toml (`license`,
//! `license-file`), package.json (`license`, legacy `license` object and
//! `licenses` array), pyproject.toml (`project.license` string or table,
//! PEP 639 `license-expression`), setup.cfg (`[metadata] license`),
//! *.gemspec (`license`, `licenses`), composer.json (`license`) and pom.xml
//! (`<licenses><license><name>`). Each value becomes a normalised SPDX
//! expression when it is one (or a well-known license name), else it is
//! kept as written. It reads the bytes it is given and nothing else.

use std::path::Path;

use crate::expression::normalize;
use crate::rules::NAMES;

/// One declared license.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Declared {
    /// Where it was declared, e.g. `package.license` or `project.license.text`.
    pub field: String,
    /// The value as written.
    pub raw: String,
    /// The normalised SPDX expression, when the value is one or names a
    /// well-known license; `None` for free text and license-file paths.
    pub expression: Option<String>,
    /// Rewrites made while normalising.
    pub notes: Vec<String>,
}

/// Why a manifest could not be read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Not valid TOML.
    #[error("{file}: not valid TOML: {reason}")]
    Toml {
        /// The file name.
        file: String,
        /// The parser's reason.
        reason: String,
    },
    /// Not valid JSON.
    #[error("{file}: not valid JSON: {reason}")]
    Json {
        /// The file name.
        file: String,
        /// The parser's reason.
        reason: String,
    },
    /// Not valid XML.
    #[error("{file}: not valid XML: {reason}")]
    Xml {
        /// The file name.
        file: String,
        /// The parser's reason.
        reason: String,
    },
}

/// Whether [`declared_licenses`] reads this file name.
pub fn is_manifest(path: &Path) -> bool {
    let name = path.file_name().and_then(|name| name.to_str()).unwrap_or("");
    matches!(
        name,
        "Cargo.toml"
            | "package.json"
            | "pyproject.toml"
            | "setup.cfg"
            | "composer.json"
            | "pom.xml"
    ) || name.ends_with(".gemspec")
}

/// The licenses declared in a manifest, chosen by its file name; empty for
/// a file it does not read or one that declares none.
///
/// ```
/// use std::path::Path;
/// use vigil_license::manifest::declared_licenses;
///
/// let found = declared_licenses(Path::new("Cargo.toml"), b"[package]\nlicense = \"MIT/Apache-2.0\"\n").unwrap();
/// assert_eq!(found[0].expression.as_deref(), Some("MIT OR Apache-2.0"));
/// ```
pub fn declared_licenses(path: &Path, bytes: &[u8]) -> Result<Vec<Declared>, Error> {
    let name = path.file_name().and_then(|name| name.to_str()).unwrap_or("");
    let text = String::from_utf8_lossy(bytes);
    let mut out = Vec::new();
    match name {
        "Cargo.toml" => {
            let doc = parse_toml(name, &text)?;
            let package = doc.get("package");
            if let Some(value) = package.and_then(|p| p.get("license")).and_then(|v| v.as_str()) {
                out.push(declared("package.license", value));
            }
            if let Some(value) =
                package.and_then(|p| p.get("license-file")).and_then(|v| v.as_str())
            {
                out.push(raw("package.license-file", value));
            }
        }
        "pyproject.toml" => {
            let doc = parse_toml(name, &text)?;
            let project = doc.get("project");
            match project.and_then(|p| p.get("license")) {
                Some(toml::Value::String(value)) => out.push(declared("project.license", value)),
                Some(toml::Value::Table(table)) => {
                    if let Some(value) = table.get("text").and_then(|v| v.as_str()) {
                        out.push(declared("project.license.text", value));
                    }
                    if let Some(value) = table.get("file").and_then(|v| v.as_str()) {
                        out.push(raw("project.license.file", value));
                    }
                }
                _ => {}
            }
            if let Some(value) =
                project.and_then(|p| p.get("license-expression")).and_then(|v| v.as_str())
            {
                out.push(declared("project.license-expression", value));
            }
            let poetry = doc.get("tool").and_then(|t| t.get("poetry"));
            if let Some(value) = poetry.and_then(|p| p.get("license")).and_then(|v| v.as_str()) {
                out.push(declared("tool.poetry.license", value));
            }
        }
        "package.json" | "composer.json" => {
            let doc: serde_json::Value = serde_json::from_str(&text)
                .map_err(|e| Error::Json { file: name.to_owned(), reason: e.to_string() })?;
            json_licenses(&doc, &mut out);
        }
        "setup.cfg" => {
            if let Some(value) = setup_cfg_license(&text) {
                out.push(declared("metadata.license", &value));
            }
        }
        "pom.xml" => {
            let doc = roxmltree::Document::parse(&text)
                .map_err(|e| Error::Xml { file: name.to_owned(), reason: e.to_string() })?;
            let names: Vec<String> = doc
                .descendants()
                .filter(|node| node.has_tag_name("license"))
                .filter(|node| node.parent().is_some_and(|parent| parent.has_tag_name("licenses")))
                .filter_map(|node| node.children().find(|child| child.has_tag_name("name")))
                .filter_map(|name| name.text())
                .map(|name| name.trim().to_owned())
                .collect();
            for value in names {
                out.push(declared("licenses.license.name", &value));
            }
        }
        _ if name.ends_with(".gemspec") => gemspec_licenses(&text, &mut out),
        _ => {}
    }
    Ok(out)
}

fn parse_toml(file: &str, text: &str) -> Result<toml::Value, Error> {
    text.parse::<toml::Value>()
        .map_err(|e| Error::Toml { file: file.to_owned(), reason: e.message().to_owned() })
}

/// package.json and composer.json: `license` as a string, a legacy
/// `{ "type": ... }` object or an array (composer: disjunctive, hence OR),
/// and npm's legacy `licenses` array of objects (also OR).
fn json_licenses(doc: &serde_json::Value, out: &mut Vec<Declared>) {
    let item = |value: &serde_json::Value| -> Option<String> {
        match value {
            serde_json::Value::String(text) => Some(text.clone()),
            serde_json::Value::Object(object) => {
                object.get("type").and_then(|t| t.as_str()).map(str::to_owned)
            }
            _ => None,
        }
    };
    for field in ["license", "licenses"] {
        match doc.get(field) {
            Some(serde_json::Value::Array(items)) => {
                let names: Vec<String> = items.iter().filter_map(item).collect();
                if !names.is_empty() {
                    out.push(declared_any(field, &names));
                }
            }
            Some(value) => {
                if let Some(text) = item(value) {
                    out.push(declared(field, &text));
                }
            }
            None => {}
        }
    }
}

/// `[metadata]` `license = ...` of setup.cfg (an INI file).
fn setup_cfg_license(text: &str) -> Option<String> {
    let mut in_metadata = false;
    for line in text.lines() {
        let trimmed = line.trim();
        if trimmed.starts_with('[') {
            in_metadata = trimmed.eq_ignore_ascii_case("[metadata]");
            continue;
        }
        if !in_metadata {
            continue;
        }
        let Some((key, value)) = trimmed.split_once(['=', ':']) else { continue };
        if key.trim().eq_ignore_ascii_case("license") && !value.trim().is_empty() {
            return Some(value.trim().to_owned());
        }
    }
    None
}

/// `spec.license = "MIT"`, `s.licenses = ["MIT", "Ruby"]` (any of them: OR).
fn gemspec_licenses(text: &str, out: &mut Vec<Declared>) {
    for line in text.lines() {
        let trimmed = line.trim();
        let Some((left, right)) = trimmed.split_once('=') else { continue };
        let field = left.trim().rsplit('.').next().unwrap_or("");
        if field != "license" && field != "licenses" {
            continue;
        }
        let names: Vec<String> = right
            .split(['"', '\''])
            .skip(1)
            .step_by(2)
            .map(str::to_owned)
            .filter(|name| !name.trim().is_empty())
            .collect();
        if !names.is_empty() {
            out.push(declared_any(field, &names));
        }
    }
}

/// Several values of which the user may pick any: joined with OR.
fn declared_any(field: &str, names: &[String]) -> Declared {
    if let [single] = names {
        return declared(field, single);
    }
    let parts: Vec<Declared> = names.iter().map(|name| declared(field, name)).collect();
    let raw_value = names.join(" OR ");
    if parts.iter().all(|part| part.expression.is_some()) {
        let expression = parts
            .iter()
            .filter_map(|part| part.expression.as_deref())
            .map(|e| if e.contains(' ') { format!("({e})") } else { e.to_owned() })
            .collect::<Vec<_>>()
            .join(" OR ");
        let notes = parts.into_iter().flat_map(|part| part.notes).collect();
        Declared { field: field.to_owned(), raw: raw_value, expression: Some(expression), notes }
    } else {
        Declared { field: field.to_owned(), raw: raw_value, expression: None, notes: Vec::new() }
    }
}

/// A value kept as written (a path).
fn raw(field: &str, value: &str) -> Declared {
    Declared { field: field.to_owned(), raw: value.to_owned(), expression: None, notes: Vec::new() }
}

/// A value read as a license name first (`Apache License, Version 2.0`),
/// then as an SPDX expression; free text is kept raw.
fn declared(field: &str, value: &str) -> Declared {
    let mut result = raw(field, value);
    if let Some(id) = name_to_spdx(value) {
        result.expression = Some(id.to_owned());
        return result;
    }
    let looks_like_expression = !value.trim().contains(char::is_whitespace)
        || value.split_whitespace().any(|w| matches!(w, "OR" | "AND" | "WITH" | "or" | "and"));
    if looks_like_expression {
        if let Ok(normalized) = normalize(value) {
            // An unknown word alone is free text, not an expression.
            let all_unknown = normalized.notes.iter().all(|note| note.starts_with("unknown"))
                && !normalized.notes.is_empty()
                && !normalized.expression.contains(' ');
            if !all_unknown {
                result.expression = Some(normalized.expression);
                result.notes = normalized.notes;
            }
        }
    }
    result
}

/// Well-known names (`The Apache Software License, Version 2.0`,
/// `New BSD License`, `MIT License`) to SPDX ids.
fn name_to_spdx(value: &str) -> Option<&'static str> {
    let mut words: Vec<String> = Vec::new();
    crate::text::for_each_word(value, |word, _| words.push(word.to_owned()));
    if words.first().is_some_and(|w| w == "the") {
        words.remove(0);
    }
    let joined = words.join(" ");
    let without_license = joined.strip_suffix(" license").unwrap_or(&joined);
    NAMES
        .iter()
        .find(|(name, _)| *name == joined || *name == without_license)
        .map(|(_, id)| *id)
        .filter(|_| words.len() > 1 || joined == "expat")
}

#[cfg(test)]
mod tests;
