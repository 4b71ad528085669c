//! The `nuget` format: NuGet's `packages.lock.json` (lock file versions 1
//! and 2). Owns turning its per-framework package lists into entries, edges
//! and roots; it must not read the `.csproj` or `Directory.Packages.props`,
//! so a direct dependency is declared at its line in the lock file.
//!
//! The file lists packages once per target framework (`net6.0`,
//! `.NETFramework,Version=v4.7.2`, `net6.0/win-x64`), each with a `type`:
//! `Direct` (a root), `Transitive`, `CentralTransitive` (version 2: a
//! transitive package pinned by central package management) or `Project`
//! (another project of the solution: not a package). The same name and
//! version is one entry, at its first line, with the edges of every
//! framework; it is a root when it is direct in any framework. An edge's
//! range is resolved to the version the same framework locks for it.

use std::collections::HashMap;

use serde::de::{Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};

use super::{Entry, Input, LockfileError, Parsed, Req, Scope};

/// Lock file versions read.
const VERSIONS: [u64; 2] = [1, 2];

/// After this many packages whose line could not be found, stop looking
/// (so a strangely written file costs one pass, not one per package).
const MAX_LINE_MISSES: usize = 8;

/// Reads a `packages.lock.json`; `companion` is unused.
pub(crate) fn parse(
    lock: Input<'_>,
    companion: Option<Input<'_>>,
) -> Result<Parsed, LockfileError> {
    let _ = companion;
    let document: Json = serde_json::from_str(lock.text).map_err(|error| {
        let line = u32::try_from(error.line()).unwrap_or(u32::MAX);
        LockfileError::at(line, format!("not valid JSON at line {line}: {error}"))
    })?;
    let Json::Object(top) = document else {
        return Err(LockfileError::new("not a NuGet lock file: the top level is not an object"));
    };
    match get(&top, "version") {
        Some(Json::Number(version)) if version.as_u64().is_some_and(|v| VERSIONS.contains(&v)) => {}
        Some(Json::Number(version)) => {
            return Err(LockfileError::new(format!(
                "packages.lock.json version {version} is not one Vigil reads (1, 2)"
            )));
        }
        _ => return Err(LockfileError::new("not a NuGet lock file: it has no numeric `version`")),
    }
    let frameworks = match get(&top, "dependencies") {
        Some(Json::Object(frameworks)) => frameworks.as_slice(),
        None => &[],
        Some(_) => {
            return Err(LockfileError::new(
                "not a NuGet lock file: `dependencies` is not an object",
            ));
        }
    };

    let mut parsed = Parsed::default();
    let mut lines = LineFinder::new(lock.text);
    let mut index: HashMap<(String, String), usize> = HashMap::new();
    let mut direct = vec![];
    for (framework, packages) in frameworks {
        lines.seek_key(framework);
        let Json::Object(packages) = packages else {
            parsed.warnings.push(format!("framework `{framework}` is not an object; skipped"));
            continue;
        };
        // The version each package resolves to in this framework, to pin
        // edges; projects map to `None` so that edges to them are dropped.
        let mut resolved: HashMap<String, Option<&str>> = HashMap::new();
        for (name, package) in packages {
            let version = match field(package, "type") {
                Some("Project") => None,
                _ => field(package, "resolved"),
            };
            resolved.insert(name.to_lowercase(), version);
        }
        for (name, package) in packages {
            let line = lines.find_object(name);
            let shown = if line == 0 { String::new() } else { format!("line {line}: ") };
            let kind = field(package, "type");
            let is_direct = match kind {
                Some("Project") => continue,
                Some("Direct") => true,
                Some("Transitive" | "CentralTransitive") => false,
                Some(other) => {
                    parsed.warnings.push(format!(
                        "{shown}package `{name}` ({framework}) has the unknown type `{other}`; read as transitive"
                    ));
                    false
                }
                None => {
                    parsed.warnings.push(format!(
                        "{shown}package `{name}` ({framework}) has no type; read as transitive"
                    ));
                    false
                }
            };
            let Some(version) = field(package, "resolved").filter(|version| !version.is_empty())
            else {
                parsed.warnings.push(format!(
                    "{shown}package `{name}` ({framework}) has no resolved version; skipped"
                ));
                continue;
            };
            let edges = match package {
                Json::Object(fields) => match get(fields, "dependencies") {
                    Some(Json::Object(edges)) => edges.as_slice(),
                    _ => &[],
                },
                _ => &[],
            };
            let key = (name.clone(), version.to_owned());
            let at = *index.entry(key).or_insert_with(|| {
                parsed.packages.push(Entry {
                    name: name.clone(),
                    version: version.to_owned(),
                    scope: Scope::Normal,
                    line,
                    dependencies: Vec::new(),
                    license: None,
                });
                parsed.packages.len() - 1
            });
            let Some(entry) = parsed.packages.get_mut(at) else { continue };
            for (edge, _range) in edges {
                let version = match resolved.get(&edge.to_lowercase()) {
                    Some(None) => continue,
                    Some(Some(version)) => Some((*version).to_owned()),
                    None => None,
                };
                if !entry.dependencies.iter().any(|req| req.name == *edge && req.version == version)
                {
                    entry.dependencies.push(Req {
                        name: edge.clone(),
                        version,
                        scope: Scope::Normal,
                        declared: None,
                    });
                }
            }
            if is_direct && !direct.contains(&at) {
                direct.push(at);
            }
        }
    }
    direct.sort_unstable();
    for at in direct {
        if let Some(entry) = parsed.packages.get(at) {
            parsed.roots.push(Req {
                name: entry.name.clone(),
                version: Some(entry.version.clone()),
                scope: Scope::Normal,
                declared: Some((lock.path.to_owned(), entry.line)),
            });
        }
    }
    Ok(parsed)
}

/// The value of `key` in an object's fields.
fn get<'a>(fields: &'a [(String, Json)], key: &str) -> Option<&'a Json> {
    fields.iter().find(|(name, _)| name == key).map(|(_, value)| value)
}

/// The string field `key` of `value`, when it is an object holding one.
fn field<'a>(value: &'a Json, key: &str) -> Option<&'a str> {
    match value {
        Json::Object(fields) => match get(fields, key) {
            Some(Json::String(text)) => Some(text),
            _ => None,
        },
        _ => None,
    }
}

/// Finds the lines of keys by searching forward through the text, in the
/// order the file lists them; counting newlines as it goes keeps the whole
/// walk one pass.
struct LineFinder<'t> {
    text: &'t str,
    /// Byte offset searches start from.
    cursor: usize,
    /// Newlines before `cursor`, plus one.
    line: u32,
    misses: usize,
}

impl<'t> LineFinder<'t> {
    fn new(text: &'t str) -> LineFinder<'t> {
        LineFinder { text, cursor: 0, line: 1, misses: 0 }
    }

    /// Moves past the next `"key"` (a framework's name).
    fn seek_key(&mut self, key: &str) {
        let needle = format!("\"{key}\"");
        if let Some(found) = self.text.get(self.cursor..).and_then(|rest| rest.find(&needle)) {
            self.advance(self.cursor + found + needle.len());
        }
    }

    /// The line of the next `"key": {` (a package entry, not an edge, whose
    /// value is a string), and moves past it; 0 when not found.
    fn find_object(&mut self, key: &str) -> u32 {
        if self.misses >= MAX_LINE_MISSES {
            return 0;
        }
        let needle = format!("\"{key}\"");
        let mut from = self.cursor;
        while let Some(found) = self.text.get(from..).and_then(|rest| rest.find(&needle)) {
            let start = from + found;
            let after = start + needle.len();
            let rest = self.text.get(after..).unwrap_or("").trim_start();
            if let Some(value) = rest.strip_prefix(':') {
                if value.trim_start().starts_with('{') {
                    self.advance(start);
                    let line = self.line;
                    self.advance(after);
                    return line;
                }
            }
            from = after;
        }
        self.misses += 1;
        0
    }

    fn advance(&mut self, to: usize) {
        let skipped = self.text.get(self.cursor..to).unwrap_or("");
        let newlines = skipped.bytes().filter(|&byte| byte == b'\n').count();
        self.line = self.line.saturating_add(u32::try_from(newlines).unwrap_or(u32::MAX));
        self.cursor = to.max(self.cursor);
    }
}

/// A JSON value that keeps object keys in file order (`serde_json::Value`
/// sorts them unless a feature is on, and the order gives lines and the
/// entry order). serde_json's recursion limit bounds its depth.
enum Json {
    Null,
    Bool,
    Number(serde_json::Number),
    String(String),
    Array,
    Object(Vec<(String, Json)>),
}

impl<'de> Deserialize<'de> for Json {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Json, D::Error> {
        deserializer.deserialize_any(JsonVisitor)
    }
}

struct JsonVisitor;

impl<'de> Visitor<'de> for JsonVisitor {
    type Value = Json;

    fn expecting(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str("a JSON value")
    }

    fn visit_unit<E>(self) -> Result<Json, E> {
        Ok(Json::Null)
    }

    fn visit_bool<E>(self, _value: bool) -> Result<Json, E> {
        Ok(Json::Bool)
    }

    fn visit_u64<E>(self, value: u64) -> Result<Json, E> {
        Ok(Json::Number(value.into()))
    }

    fn visit_i64<E>(self, value: i64) -> Result<Json, E> {
        Ok(Json::Number(value.into()))
    }

    fn visit_f64<E>(self, value: f64) -> Result<Json, E> {
        Ok(serde_json::Number::from_f64(value).map_or(Json::Null, Json::Number))
    }

    fn visit_str<E>(self, value: &str) -> Result<Json, E> {
        Ok(Json::String(value.to_owned()))
    }

    fn visit_string<E>(self, value: String) -> Result<Json, E> {
        Ok(Json::String(value))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Json, A::Error> {
        // Arrays carry nothing this format needs; their items are read
        // (to check the JSON) and dropped.
        while seq.next_element::<Json>()?.is_some() {}
        Ok(Json::Array)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Json, A::Error> {
        let mut fields = Vec::new();
        while let Some((key, value)) = map.next_entry::<String, Json>()? {
            fields.push((key, value));
        }
        Ok(Json::Object(fields))
    }
}
