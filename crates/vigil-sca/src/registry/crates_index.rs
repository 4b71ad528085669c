//! The crates.io sparse index (`https://index.crates.io/<prefix>/<name>`):
//! one JSON line per published version with `vers`, `yanked` and, for
//! versions published since the index started recording it, `pubtime`.
//! It has no maintainers and no downloads (crates.io's web API has those).
//! Pure: bytes in, [`PackageMetadata`] out; it must not fetch.

use serde::Deserialize;

use super::{
    MetadataError, PackageMetadata, Registry, VersionMetadata, check_size, json_error,
    semver_prerelease, unix_seconds,
};
use crate::Ecosystem;

/// The largest index file read: 16 MiB (the longest real ones, crates with
/// thousands of versions and many features, are a few megabytes).
pub const MAX_BYTES: usize = 16 * 1024 * 1024;

#[derive(Deserialize)]
struct Line {
    name: String,
    vers: String,
    #[serde(default)]
    yanked: bool,
    pubtime: Option<String>,
}

/// Parses an index file fetched at `fetched_at` (seconds since the epoch).
pub fn parse(bytes: &[u8], fetched_at: i64) -> Result<PackageMetadata, MetadataError> {
    let registry = Registry::CratesIndex;
    check_size(registry, bytes)?;
    let mut name: Option<String> = None;
    let mut versions = Vec::new();
    for (index, line) in bytes.split(|byte| *byte == b'\n').enumerate() {
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        let entry: Line = serde_json::from_slice(line).map_err(|error| {
            let mut error = json_error(registry, &error);
            if let MetadataError::Malformed { message, .. } | MetadataError::Shape { message, .. } =
                &mut error
            {
                *message = format!("line {}: {message}", index + 1);
            }
            error
        })?;
        match &name {
            Some(first) if !first.eq_ignore_ascii_case(&entry.name) => {
                return Err(MetadataError::Shape {
                    registry,
                    message: format!(
                        "line {} is for `{}`, the first line for `{first}`",
                        index + 1,
                        entry.name
                    ),
                });
            }
            Some(_) => {}
            None => name = Some(entry.name.clone()),
        }
        versions.push(VersionMetadata {
            released: entry.pubtime.as_deref().and_then(unix_seconds),
            prerelease: semver_prerelease(&entry.vers),
            yanked: entry.yanked,
            yanked_reason: None,
            deprecated: None,
            license: None,
            license_file: None,
            version: entry.vers,
        });
    }
    let name = name.ok_or(MetadataError::Empty { registry })?;
    Ok(PackageMetadata {
        versions,
        ..PackageMetadata::empty(Ecosystem::CratesIo, name, fetched_at)
    })
}
