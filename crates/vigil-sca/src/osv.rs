//! Reading advisories: OSV JSON, OSV YAML and RustSec's Markdown files into
//! [`Advisory`]. Each function reads one document and either returns the
//! advisory, says why it is not one Vigil keeps ([`Skip`]), or names what
//! is wrong with it ([`AdvisoryError`]). Nothing here touches the disk.

use serde::Deserialize;
use vigil_core::Severity;

use crate::Ecosystem;
use crate::advisory::{Advisory, Affected, Event, MAX_DETAILS, Range, truncate};

/// Why a document is not an advisory Vigil can read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{origin}: {message}")]
pub struct AdvisoryError {
    /// The file (or archive member) it came from.
    pub origin: String,
    /// What is wrong.
    pub message: String,
}

/// What reading one document gave.
#[derive(Debug, Clone, PartialEq)]
pub enum Read {
    /// An advisory to keep, with problems in parts of it that were dropped
    /// (a range with an unknown type, say).
    Advisory(Box<Advisory>, Vec<String>),
    /// A well-formed document Vigil does not keep.
    Skip(Skip),
}

/// Why a readable advisory is not kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Skip {
    /// It was withdrawn by its database.
    Withdrawn,
    /// It affects no package of an ecosystem Vigil reads (a Linux
    /// distribution's, say).
    OtherEcosystem,
}

#[derive(Deserialize)]
struct Osv {
    id: String,
    #[serde(default)]
    modified: Option<Text>,
    #[serde(default)]
    withdrawn: Option<Text>,
    #[serde(default)]
    aliases: Option<Vec<String>>,
    #[serde(default)]
    summary: Option<String>,
    #[serde(default)]
    details: Option<String>,
    #[serde(default)]
    severity: Option<Vec<OsvSeverity>>,
    #[serde(default)]
    affected: Option<Vec<OsvAffected>>,
    #[serde(default)]
    references: Option<Vec<OsvReference>>,
    #[serde(default)]
    database_specific: Option<serde_json::Value>,
}

#[derive(Deserialize)]
struct OsvSeverity {
    #[serde(rename = "type", default)]
    kind: String,
    #[serde(default)]
    score: String,
}

#[derive(Deserialize)]
struct OsvAffected {
    #[serde(default)]
    package: Option<OsvPackage>,
    #[serde(default)]
    ranges: Option<Vec<OsvRange>>,
    #[serde(default)]
    versions: Option<Vec<Text>>,
    #[serde(default)]
    severity: Option<Vec<OsvSeverity>>,
}

#[derive(Deserialize)]
struct OsvPackage {
    #[serde(default)]
    ecosystem: String,
    #[serde(default)]
    name: String,
}

#[derive(Deserialize)]
struct OsvRange {
    #[serde(rename = "type", default)]
    kind: String,
    #[serde(default)]
    events: Vec<std::collections::BTreeMap<String, Text>>,
}

#[derive(Deserialize)]
struct OsvReference {
    #[serde(rename = "type", default)]
    kind: String,
    #[serde(default)]
    url: String,
}

/// A string that YAML may have written as a number (`1.10`, `2`).
#[derive(Deserialize)]
#[serde(untagged)]
enum Text {
    String(String),
    Integer(i64),
    Float(f64),
}

impl Text {
    fn into_string(self) -> String {
        match self {
            Text::String(text) => text,
            Text::Integer(number) => number.to_string(),
            Text::Float(number) => number.to_string(),
        }
    }
}

/// Reads one OSV document in JSON.
pub fn osv_json(origin: &str, bytes: &[u8]) -> Result<Read, AdvisoryError> {
    let osv: Osv = serde_json::from_slice(bytes).map_err(|error| AdvisoryError {
        origin: origin.to_owned(),
        message: format!("not an OSV advisory: {error}"),
    })?;
    from_osv(origin, osv)
}

/// Reads one OSV document in YAML (as the PyPA database writes them).
/// Versions written as numbers keep their text (`1.10` stays `1.10`).
pub fn osv_yaml(origin: &str, text: &str) -> Result<Read, AdvisoryError> {
    let error = |message: String| AdvisoryError { origin: origin.to_owned(), message };
    let mut loader = yaml_rust2::YamlLoader::load_from_str(text)
        .map_err(|e| error(format!("not valid YAML: {e}")))?;
    let document = loader.pop().ok_or_else(|| error("an empty YAML file".to_owned()))?;
    let value = yaml_to_json(document, 0).map_err(error)?;
    let osv: Osv =
        serde_json::from_value(value).map_err(|e| error(format!("not an OSV advisory: {e}")))?;
    from_osv(origin, osv)
}

/// Deepest YAML nesting accepted; OSV documents are four levels deep.
const MAX_YAML_DEPTH: usize = 64;

fn yaml_to_json(yaml: yaml_rust2::Yaml, depth: usize) -> Result<serde_json::Value, String> {
    use serde_json::Value;
    use yaml_rust2::Yaml;
    if depth > MAX_YAML_DEPTH {
        return Err(format!("nested deeper than {MAX_YAML_DEPTH} levels"));
    }
    Ok(match yaml {
        // Reals keep their text: `1.10` is a version, not 1.1.
        Yaml::Real(text) | Yaml::String(text) => Value::String(text),
        Yaml::Integer(number) => Value::from(number),
        Yaml::Boolean(flag) => Value::Bool(flag),
        Yaml::Null | Yaml::BadValue => Value::Null,
        Yaml::Alias(_) => return Err("YAML aliases are not used in advisories".to_owned()),
        Yaml::Array(items) => Value::Array(
            items
                .into_iter()
                .map(|item| yaml_to_json(item, depth + 1))
                .collect::<Result<_, _>>()?,
        ),
        Yaml::Hash(map) => {
            let mut object = serde_json::Map::new();
            for (key, value) in map {
                let key = match key {
                    Yaml::String(text) | Yaml::Real(text) => text,
                    Yaml::Integer(number) => number.to_string(),
                    Yaml::Boolean(flag) => flag.to_string(),
                    _ => return Err("a mapping key that is not text".to_owned()),
                };
                object.insert(key, yaml_to_json(value, depth + 1)?);
            }
            Value::Object(object)
        }
    })
}

fn from_osv(origin: &str, osv: Osv) -> Result<Read, AdvisoryError> {
    if osv.id.trim().is_empty() {
        return Err(AdvisoryError {
            origin: origin.to_owned(),
            message: "the advisory has no id".to_owned(),
        });
    }
    if osv.withdrawn.is_some() {
        return Ok(Read::Skip(Skip::Withdrawn));
    }
    let mut problems = Vec::new();
    let mut cvss: Vec<String> = Vec::new();
    let mut add_severity = |list: Option<Vec<OsvSeverity>>| {
        for severity in list.unwrap_or_default() {
            if severity.kind.starts_with("CVSS_V") && !cvss.contains(&severity.score) {
                cvss.push(severity.score);
            }
        }
    };
    add_severity(osv.severity);
    let mut affected = Vec::new();
    for (index, entry) in osv.affected.unwrap_or_default().into_iter().enumerate() {
        add_severity(entry.severity);
        let Some(package) = entry.package else { continue };
        let Some(ecosystem) = Ecosystem::from_osv(&package.ecosystem) else { continue };
        if package.name.trim().is_empty() {
            problems.push(format!("affected[{index}] has no package name; ignored"));
            continue;
        }
        let mut ranges = Vec::new();
        for range in entry.ranges.unwrap_or_default() {
            let semver = match range.kind.as_str() {
                "SEMVER" => true,
                "ECOSYSTEM" => false,
                // Commit ranges need the repository's history; the `versions`
                // list OSV gives beside them is used instead.
                "GIT" => continue,
                other => {
                    problems.push(format!(
                        "{}: a range of unknown type `{other}`; ignored",
                        package.name
                    ));
                    continue;
                }
            };
            let mut events = Vec::new();
            for event in range.events {
                for (key, value) in event {
                    let value = value.into_string();
                    events.push(match key.as_str() {
                        "introduced" => Event::Introduced(value),
                        "fixed" => Event::Fixed(value),
                        "last_affected" => Event::LastAffected(value),
                        "limit" => Event::Limit(value),
                        other => {
                            problems.push(format!(
                                "{}: a range event `{other}`; ignored",
                                package.name
                            ));
                            continue;
                        }
                    });
                }
            }
            if !events.iter().any(|event| matches!(event, Event::Introduced(_))) {
                problems.push(format!("{}: a range without `introduced`; ignored", package.name));
                continue;
            }
            ranges.push(Range::Events { semver, events });
        }
        let versions: Vec<String> =
            entry.versions.unwrap_or_default().into_iter().map(Text::into_string).collect();
        if ranges.is_empty() && versions.is_empty() {
            problems.push(format!("{}: no range or version Vigil can read; ignored", package.name));
            continue;
        }
        affected.push(Affected { ecosystem, name: package.name, ranges, versions });
    }
    if affected.is_empty() {
        if problems.is_empty() {
            return Ok(Read::Skip(Skip::OtherEcosystem));
        }
        return Err(AdvisoryError { origin: origin.to_owned(), message: problems.join("; ") });
    }
    let rated = osv
        .database_specific
        .as_ref()
        .and_then(|specific| specific.get("severity"))
        .and_then(|severity| severity.as_str())
        .and_then(rating);
    let references = osv.references.unwrap_or_default();
    let url = references
        .iter()
        .find(|reference| reference.kind == "ADVISORY")
        .or_else(|| references.first())
        .map(|reference| reference.url.clone())
        .unwrap_or_default();
    Ok(Read::Advisory(
        Box::new(Advisory {
            id: osv.id,
            aliases: osv.aliases.unwrap_or_default(),
            modified: osv.modified.map(Text::into_string).unwrap_or_default(),
            summary: osv.summary.unwrap_or_default(),
            details: truncate(osv.details.unwrap_or_default(), MAX_DETAILS),
            cvss,
            rated,
            informational: None,
            url,
            affected,
        }),
        problems,
    ))
}

fn rating(text: &str) -> Option<Severity> {
    match text.to_ascii_uppercase().as_str() {
        "CRITICAL" => Some(Severity::Critical),
        "HIGH" => Some(Severity::High),
        "MODERATE" | "MEDIUM" => Some(Severity::Medium),
        "LOW" => Some(Severity::Low),
        _ => None,
    }
}

#[derive(Deserialize)]
struct RustSec {
    advisory: RustSecAdvisory,
    #[serde(default)]
    versions: RustSecVersions,
}

#[derive(Deserialize)]
struct RustSecAdvisory {
    id: String,
    package: String,
    #[serde(default)]
    aliases: Vec<String>,
    #[serde(default)]
    cvss: Option<String>,
    #[serde(default)]
    informational: Option<String>,
    #[serde(default)]
    withdrawn: Option<toml::Value>,
}

#[derive(Deserialize, Default)]
struct RustSecVersions {
    #[serde(default)]
    patched: Vec<String>,
    #[serde(default)]
    unaffected: Vec<String>,
}

/// Reads one RustSec advisory (`crates/<name>/RUSTSEC-*.md`: TOML front
/// matter in a fenced block, then a Markdown title and description).
pub fn rustsec(origin: &str, text: &str) -> Result<Read, AdvisoryError> {
    let error = |message: String| AdvisoryError { origin: origin.to_owned(), message };
    let body = text
        .trim_start()
        .strip_prefix("```toml")
        .ok_or_else(|| error("no ```toml front matter".to_owned()))?;
    let (front, rest) = body
        .split_once("\n```")
        .ok_or_else(|| error("the ```toml block is not closed".to_owned()))?;
    let parsed: RustSec =
        toml::from_str(front).map_err(|e| error(format!("front matter: {}", e.message())))?;
    if parsed.advisory.withdrawn.is_some() {
        return Ok(Read::Skip(Skip::Withdrawn));
    }
    let mut problems = Vec::new();
    for requirement in parsed.versions.patched.iter().chain(&parsed.versions.unaffected) {
        if let Err(e) = semver::VersionReq::parse(requirement) {
            problems.push(format!("version requirement `{requirement}` is not valid: {e}"));
        }
    }
    if !problems.is_empty() {
        return Err(error(problems.join("; ")));
    }
    let rest = rest.trim_start();
    let (summary, details) = match rest.strip_prefix("# ") {
        Some(titled) => titled.split_once('\n').unwrap_or((titled, "")),
        None => ("", rest),
    };
    let id = parsed.advisory.id;
    let url = format!("https://rustsec.org/advisories/{id}.html");
    Ok(Read::Advisory(
        Box::new(Advisory {
            aliases: parsed.advisory.aliases,
            modified: String::new(),
            summary: summary.trim().to_owned(),
            details: truncate(details.trim().to_owned(), MAX_DETAILS),
            cvss: parsed.advisory.cvss.into_iter().collect(),
            rated: None,
            informational: parsed.advisory.informational,
            url,
            affected: vec![Affected {
                ecosystem: Ecosystem::CratesIo,
                name: parsed.advisory.package,
                ranges: vec![Range::Requirements {
                    patched: parsed.versions.patched,
                    unaffected: parsed.versions.unaffected,
                }],
                versions: Vec::new(),
            }],
            id,
        }),
        Vec::new(),
    ))
}

#[cfg(test)]
mod tests;
