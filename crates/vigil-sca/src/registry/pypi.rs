//! PyPI's JSON API (`https://pypi.org/pypi/<name>/json`): every release
//! with its files' upload times and `yanked` flags, the classifiers (the
//! `Development Status :: 7 - Inactive` one), and the project's owners.
//! Pure: bytes in, [`PackageMetadata`] out; it must not fetch.

use std::collections::BTreeSet;
use std::str::FromStr;

use serde::Deserialize;

use super::{
    MetadataError, PackageMetadata, Registry, VersionMetadata, check_size, json_error, ordered,
    unix_seconds,
};
use crate::Ecosystem;

/// The largest answer read: 32 MiB (projects with thousands of releases,
/// botocore, answer a few megabytes).
pub const MAX_BYTES: usize = 32 * 1024 * 1024;

/// The classifier a project sets when it is no longer developed.
pub const INACTIVE: &str = "Development Status :: 7 - Inactive";

#[derive(Deserialize)]
struct Project {
    info: Option<Info>,
    #[serde(default, deserialize_with = "ordered::entries")]
    releases: Vec<(String, Vec<FileDoc>)>,
    /// The files of `info.version` (the only list a per-version answer has).
    #[serde(default)]
    urls: Vec<FileDoc>,
    ownership: Option<Ownership>,
}

#[derive(Deserialize)]
struct Info {
    name: Option<String>,
    version: Option<String>,
    classifiers: Option<Vec<String>>,
    #[serde(default)]
    yanked: Option<bool>,
    yanked_reason: Option<String>,
}

#[derive(Deserialize)]
struct FileDoc {
    upload_time_iso_8601: Option<String>,
    #[serde(default)]
    yanked: Option<bool>,
    yanked_reason: Option<String>,
}

#[derive(Deserialize)]
struct Ownership {
    #[serde(default)]
    roles: Vec<Role>,
}

#[derive(Deserialize)]
struct Role {
    user: Option<String>,
}

/// Parses a project answer fetched at `fetched_at` (seconds since the
/// epoch).
pub fn parse(bytes: &[u8], fetched_at: i64) -> Result<PackageMetadata, MetadataError> {
    let registry = Registry::PyPI;
    check_size(registry, bytes)?;
    let doc: Project =
        serde_json::from_slice(bytes).map_err(|error| json_error(registry, &error))?;
    let shape = |message: &str| MetadataError::Shape { registry, message: message.to_owned() };
    let info = doc.info.ok_or_else(|| shape("no `info`"))?;
    let name = info.name.filter(|name| !name.is_empty()).ok_or_else(|| shape("no `info.name`"))?;
    let mut releases = doc.releases;
    if releases.is_empty() {
        // A per-version answer (`/pypi/<name>/<version>/json`) has no
        // `releases`, only the files of its version.
        let version = info.version.clone().ok_or_else(|| shape("no `releases`"))?;
        releases.push((version, doc.urls));
    }
    let versions = releases
        .into_iter()
        .map(|(version, files)| {
            let is_info = info.version.as_deref() == Some(version.as_str());
            let files_yanked =
                !files.is_empty() && files.iter().all(|file| file.yanked == Some(true));
            let yanked = files_yanked || (is_info && info.yanked == Some(true));
            let yanked_reason = if yanked {
                files
                    .iter()
                    .find_map(|file| file.yanked_reason.as_deref())
                    .or(if is_info { info.yanked_reason.as_deref() } else { None })
                    .map(str::trim)
                    .filter(|reason| !reason.is_empty())
                    .map(str::to_owned)
            } else {
                None
            };
            VersionMetadata {
                released: files
                    .iter()
                    .filter_map(|file| file.upload_time_iso_8601.as_deref().and_then(unix_seconds))
                    .min(),
                prerelease: pep440_rs::Version::from_str(&version)
                    .is_ok_and(|parsed| parsed.any_prerelease()),
                yanked,
                yanked_reason,
                deprecated: None,
                version,
            }
        })
        .collect();
    let inactive = info.classifiers.iter().flatten().any(|classifier| classifier == INACTIVE);
    let maintainers = doc.ownership.map(|ownership| {
        let users: BTreeSet<&str> =
            ownership.roles.iter().filter_map(|role| role.user.as_deref()).collect();
        u32::try_from(users.len()).unwrap_or(u32::MAX)
    });
    Ok(PackageMetadata {
        ecosystem: Ecosystem::PyPI,
        name,
        latest: info.version,
        versions,
        deprecated: None,
        inactive,
        maintainers,
        downloads: None,
        fetched_at,
    })
}
