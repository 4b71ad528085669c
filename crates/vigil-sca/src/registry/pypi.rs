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
    license: Option<String>,
    license_expression: Option<String>,
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
    let license = license_of(&info);
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
                license: None,
                license_file: None,
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
        license,
        fetched_at,
        not_found: false,
    })
}

/// The project's license: PEP 639's `license_expression`, else a short
/// `license` field (many projects paste the whole text there, which says
/// nothing here), else the `License ::` classifiers that name one license.
fn license_of(info: &Info) -> Option<String> {
    let short = |text: &Option<String>| {
        text.as_deref()
            .map(str::trim)
            .filter(|text| !text.is_empty() && text.len() <= 80 && !text.contains('\n'))
            .map(str::to_owned)
    };
    if let Some(expression) = short(&info.license_expression) {
        return Some(expression);
    }
    if let Some(license) = short(&info.license).filter(|text| !text.eq_ignore_ascii_case("unknown"))
    {
        return Some(license);
    }
    let ids: Vec<&str> = info
        .classifiers
        .iter()
        .flatten()
        .filter_map(|classifier| CLASSIFIERS.iter().find(|(name, _)| name == classifier))
        .map(|(_, id)| *id)
        .collect();
    (!ids.is_empty()).then(|| ids.join(" OR "))
}

/// The `License ::` classifiers that name one license, with its SPDX id.
const CLASSIFIERS: &[(&str, &str)] = &[
    ("License :: OSI Approved :: MIT License", "MIT"),
    ("License :: OSI Approved :: Apache Software License", "Apache-2.0"),
    ("License :: OSI Approved :: BSD License", "BSD-3-Clause"),
    ("License :: OSI Approved :: ISC License (ISCL)", "ISC"),
    ("License :: OSI Approved :: Python Software Foundation License", "PSF-2.0"),
    ("License :: OSI Approved :: Mozilla Public License 2.0 (MPL 2.0)", "MPL-2.0"),
    ("License :: OSI Approved :: GNU General Public License v2 (GPLv2)", "GPL-2.0-only"),
    (
        "License :: OSI Approved :: GNU General Public License v2 or later (GPLv2+)",
        "GPL-2.0-or-later",
    ),
    ("License :: OSI Approved :: GNU General Public License v3 (GPLv3)", "GPL-3.0-only"),
    (
        "License :: OSI Approved :: GNU General Public License v3 or later (GPLv3+)",
        "GPL-3.0-or-later",
    ),
    ("License :: OSI Approved :: GNU Lesser General Public License v2 (LGPLv2)", "LGPL-2.0-only"),
    (
        "License :: OSI Approved :: GNU Lesser General Public License v2 or later (LGPLv2+)",
        "LGPL-2.0-or-later",
    ),
    ("License :: OSI Approved :: GNU Lesser General Public License v3 (LGPLv3)", "LGPL-3.0-only"),
    (
        "License :: OSI Approved :: GNU Lesser General Public License v3 or later (LGPLv3+)",
        "LGPL-3.0-or-later",
    ),
    ("License :: OSI Approved :: GNU Affero General Public License v3", "AGPL-3.0-only"),
    (
        "License :: OSI Approved :: GNU Affero General Public License v3 or later (AGPLv3+)",
        "AGPL-3.0-or-later",
    ),
    ("License :: OSI Approved :: The Unlicense (Unlicense)", "Unlicense"),
    ("License :: OSI Approved :: zlib/libpng License", "Zlib"),
    ("License :: OSI Approved :: Eclipse Public License 2.0 (EPL-2.0)", "EPL-2.0"),
    ("License :: CC0 1.0 Universal (CC0 1.0) Public Domain Dedication", "CC0-1.0"),
];
