//! The npm registry's packument (`https://registry.npmjs.org/<name>`, the
//! full document, not the abbreviated install one): versions with their
//! `time` entries and `deprecated` messages, `dist-tags.latest`, and the
//! maintainers. Pure: bytes in, [`PackageMetadata`] out; it must not fetch.

use std::collections::HashMap;

use serde::Deserialize;
use serde::de::IgnoredAny;

use super::{
    MetadataError, PackageMetadata, Registry, VersionMetadata, check_size, json_error, ordered,
    semver_prerelease, unix_seconds,
};
use crate::Ecosystem;

/// The largest packument read: 32 MiB (the biggest real ones, with every
/// version's readme, are a few tens of megabytes; the registry's own
/// largest documents are cut off around here too).
pub const MAX_BYTES: usize = 32 * 1024 * 1024;

#[derive(Deserialize)]
struct Packument {
    name: Option<String>,
    #[serde(rename = "dist-tags")]
    dist_tags: Option<DistTags>,
    #[serde(default)]
    time: HashMap<String, serde_json::Value>,
    maintainers: Option<Vec<IgnoredAny>>,
    #[serde(default, deserialize_with = "ordered::entries")]
    versions: Vec<(String, VersionDoc)>,
}

#[derive(Deserialize)]
struct DistTags {
    latest: Option<String>,
}

#[derive(Deserialize)]
struct VersionDoc {
    deprecated: Option<serde_json::Value>,
    license: Option<serde_json::Value>,
    maintainers: Option<Vec<IgnoredAny>>,
}

/// Parses a packument fetched at `fetched_at` (seconds since the epoch).
pub fn parse(bytes: &[u8], fetched_at: i64) -> Result<PackageMetadata, MetadataError> {
    let registry = Registry::Npm;
    check_size(registry, bytes)?;
    let doc: Packument =
        serde_json::from_slice(bytes).map_err(|error| json_error(registry, &error))?;
    let shape = |message: &str| MetadataError::Shape { registry, message: message.to_owned() };
    let name = doc.name.filter(|name| !name.is_empty()).ok_or_else(|| shape("no `name`"))?;
    let unpublished = doc.time.get("unpublished").is_some_and(serde_json::Value::is_object);
    if doc.versions.is_empty() && !unpublished {
        return Err(shape("no `versions`"));
    }
    let latest = doc.dist_tags.and_then(|tags| tags.latest);
    let mut latest_maintainers = None;
    let mut latest_deprecated = None;
    let mut latest_license = None;
    let versions: Vec<VersionMetadata> = doc
        .versions
        .into_iter()
        .map(|(version, entry)| {
            let deprecated = entry.deprecated.as_ref().and_then(deprecation);
            if latest.as_deref() == Some(version.as_str()) {
                latest_maintainers = entry.maintainers.as_ref().map(Vec::len);
                latest_deprecated.clone_from(&deprecated);
                latest_license = entry.license.as_ref().and_then(license_of);
            }
            VersionMetadata {
                license: entry.license.as_ref().and_then(license_of),
                license_file: None,
                released: doc
                    .time
                    .get(&version)
                    .and_then(serde_json::Value::as_str)
                    .and_then(unix_seconds),
                prerelease: semver_prerelease(&version),
                yanked: false,
                yanked_reason: None,
                deprecated,
                version,
            }
        })
        .collect();
    // npm deprecates a package by deprecating its versions; the latest
    // one's message speaks for the package.
    let deprecated = if unpublished {
        Some("unpublished from the npm registry".to_owned())
    } else {
        latest_deprecated
    };
    // The registry's list, else the latest version's (some mirrors keep
    // only the latter).
    let maintainers = doc.maintainers.as_ref().map(Vec::len).or(latest_maintainers);
    Ok(PackageMetadata {
        ecosystem: Ecosystem::Npm,
        name,
        latest,
        versions,
        deprecated,
        inactive: false,
        maintainers: maintainers.map(|count| u32::try_from(count).unwrap_or(u32::MAX)),
        downloads: None,
        license: latest_license,
        fetched_at,
        not_found: false,
    })
}

/// npm's `license`: an SPDX expression; the legacy `{"type": ...}` object
/// and list of them are read too (a list is a choice: OR).
fn license_of(value: &serde_json::Value) -> Option<String> {
    let one = |value: &serde_json::Value| match value {
        serde_json::Value::String(text) => Some(text.trim().to_owned()),
        serde_json::Value::Object(object) => object
            .get("type")
            .and_then(serde_json::Value::as_str)
            .map(|text| text.trim().to_owned()),
        _ => None,
    };
    let found: Vec<String> = match value {
        serde_json::Value::Array(items) => items.iter().filter_map(one).collect(),
        other => one(other).into_iter().collect(),
    };
    let found: Vec<String> = found.into_iter().filter(|text| !text.is_empty()).collect();
    (!found.is_empty()).then(|| found.join(" OR "))
}

/// npm's `deprecated`: a message; an empty string or `false` means not
/// deprecated (that is how npm lifts a deprecation).
fn deprecation(value: &serde_json::Value) -> Option<String> {
    match value {
        serde_json::Value::String(message) if !message.trim().is_empty() => {
            Some(message.trim().to_owned())
        }
        serde_json::Value::Bool(true) => Some("deprecated".to_owned()),
        _ => None,
    }
}
