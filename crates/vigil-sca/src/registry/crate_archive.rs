//! A published crate's archive (`https://static.crates.io/crates/<name>/<name>-<version>.crate`,
//! a gzipped tar): the crates.io index has no licenses, but the archive's
//! normalised `Cargo.toml` gives the version's `license` (an SPDX
//! expression) or `license-file`. Archives never change once published, so
//! what one says holds for good.
//!
//! `Cargo.toml` is one of the first entries (cargo packs files sorted by
//! path, and only dotfiles, `CHANGELOG.md` or `Cargo.lock` come before it),
//! so [`read`] works on a prefix of the download and says when it needs
//! more; the caller stops downloading once it has the answer. Everything
//! is bounded: the compressed prefix ([`MAX_BYTES`]), the unpacked bytes
//! walked before the manifest, the entries walked and the manifest's size.
//! Pure: bytes in, the license out; it must not fetch.

use std::io::Read as _;

use serde::Deserialize;

use super::{MetadataError, Registry};

/// The most of an archive read, compressed: 8 MiB. A `Cargo.toml` further
/// in than that is not looked for.
pub const MAX_BYTES: usize = 8 * 1024 * 1024;
/// The most unpacked bytes walked before `Cargo.toml`.
const MAX_UNPACKED: u64 = 64 * 1024 * 1024;
/// The most archive entries walked before `Cargo.toml`.
const MAX_ENTRIES: usize = 10_000;
/// The largest `Cargo.toml` read.
const MAX_MANIFEST: u64 = 1024 * 1024;

/// What a version's `Cargo.toml` says of its license.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CrateLicense {
    /// `package.license`, an SPDX expression as written.
    pub license: Option<String>,
    /// `package.license-file`, a path inside the crate, when the license
    /// is given as a file instead.
    pub license_file: Option<String>,
}

/// The outcome of reading a prefix of an archive.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Progress {
    /// `Cargo.toml` was read.
    Found(CrateLicense),
    /// The prefix ends before `Cargo.toml` does: read more.
    NeedMore,
}

#[derive(Deserialize)]
struct Manifest {
    #[serde(alias = "project")]
    package: Option<Package>,
}

#[derive(Deserialize)]
struct Package {
    license: Option<String>,
    #[serde(rename = "license-file")]
    license_file: Option<String>,
}

/// Reads `prefix`, the first bytes of the archive of `name` `version`
/// (`complete` when it is the whole download), for its `Cargo.toml`.
pub fn read(
    prefix: &[u8],
    complete: bool,
    name: &str,
    version: &str,
) -> Result<Progress, MetadataError> {
    let registry = Registry::CratesArchive;
    let shape = |message: String| MetadataError::Shape { registry, message };
    if prefix.len() > MAX_BYTES {
        return Err(MetadataError::TooLarge { registry, size: prefix.len(), limit: MAX_BYTES });
    }
    if complete && prefix.is_empty() {
        return Err(MetadataError::Empty { registry });
    }
    if prefix.len() >= 2 && prefix[..2] != [0x1f, 0x8b] {
        return Err(shape("it is not a gzip file, so not a crate archive".to_owned()));
    }
    // Past the end of a prefix, any error means "read more".
    let cut_short =
        |message: String| if complete { Err(shape(message)) } else { Ok(Progress::NeedMore) };
    let manifest_path = format!("{name}-{version}/Cargo.toml");
    let unpacked = flate2::read::GzDecoder::new(prefix).take(MAX_UNPACKED);
    let mut archive = tar::Archive::new(unpacked);
    let entries = match archive.entries() {
        Ok(entries) => entries,
        Err(error) => return cut_short(format!("it is not a tar archive: {error}")),
    };
    for (count, entry) in entries.enumerate() {
        if count >= MAX_ENTRIES {
            return Err(shape(format!("no {manifest_path} among its first {MAX_ENTRIES} files")));
        }
        let mut entry = match entry {
            Ok(entry) => entry,
            Err(error) => return cut_short(format!("it is not a readable tar archive: {error}")),
        };
        let is_manifest = entry.path_bytes().eq_ignore_ascii_case(manifest_path.as_bytes());
        if !is_manifest {
            continue;
        }
        let size = entry.header().size().unwrap_or(u64::MAX);
        if size > MAX_MANIFEST {
            return Err(shape(format!(
                "its {manifest_path} is {size} bytes, more than the {MAX_MANIFEST} read"
            )));
        }
        let mut text = String::new();
        if let Err(error) = (&mut entry).take(MAX_MANIFEST).read_to_string(&mut text) {
            return match error.kind() {
                std::io::ErrorKind::InvalidData => {
                    Err(shape(format!("its {manifest_path} is not UTF-8 text")))
                }
                _ => cut_short(format!("its {manifest_path} is cut short: {error}")),
            };
        }
        if u64::try_from(text.len()).unwrap_or(u64::MAX) < size {
            return cut_short(format!("its {manifest_path} is cut short"));
        }
        let manifest: Manifest = toml::from_str(&text)
            .map_err(|error| shape(format!("its {manifest_path} is not valid TOML: {error}")))?;
        let package = manifest.package.unwrap_or(Package { license: None, license_file: None });
        let clean =
            |value: Option<String>| value.map(|v| v.trim().to_owned()).filter(|v| !v.is_empty());
        return Ok(Progress::Found(CrateLicense {
            license: clean(package.license),
            license_file: clean(package.license_file),
        }));
    }
    cut_short(format!("it holds no {manifest_path}"))
}

#[cfg(test)]
mod tests;
