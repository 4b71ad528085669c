//! Repository archives: downloaded as a stream to a file with a size cap,
//! then unpacked defensively. An archive is input from the network, so it
//! is treated as hostile: entries that would land outside the destination
//! (absolute paths, `..`), links and special files are skipped and named;
//! totals over the limits stop the unpack with an error.

use std::io::{Read as _, Write as _};
use std::path::{Component, Path, PathBuf};

use reqwest::Method;
use tokio::io::AsyncWriteExt as _;

use crate::client::Deadline;
use crate::{Client, GitLabError};

/// Caps on what one archive may cost.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ArchiveLimits {
    /// Compressed bytes downloaded.
    pub max_download_bytes: u64,
    /// Bytes written when unpacking.
    pub max_unpacked_bytes: u64,
    /// Files written.
    pub max_files: u64,
}

impl Default for ArchiveLimits {
    fn default() -> Self {
        ArchiveLimits {
            max_download_bytes: 2 << 30,
            max_unpacked_bytes: 8 << 30,
            max_files: 1_000_000,
        }
    }
}

/// What an unpack wrote and what it refused.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Unpacked {
    /// The directory holding the repository's files.
    pub root: PathBuf,
    /// Files written.
    pub files: u64,
    /// Bytes written.
    pub bytes: u64,
    /// Entries not written, each with the reason.
    pub skipped: Vec<String>,
}

/// Why an archive could not be unpacked.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ArchiveError {
    /// The archive is not a readable gzipped tar.
    #[error("the archive is not a valid tar.gz: {0}")]
    Corrupt(String),
    /// It holds more than the limits allow.
    #[error("the archive exceeds the limit of {limit} {what}; raise it or exclude large files")]
    TooLarge {
        /// `bytes` or `files`.
        what: &'static str,
        /// The limit.
        limit: u64,
    },
    /// The destination cannot be written.
    #[error("cannot write {path}: {source}")]
    Write {
        /// The file.
        path: String,
        /// Why.
        source: std::io::Error,
    },
}

/// The path of an entry below the archive's top directory, if it is safe.
fn safe_relative(path: &Path) -> Result<PathBuf, &'static str> {
    let mut out = PathBuf::new();
    for (index, component) in path.components().enumerate() {
        match component {
            // GitLab puts everything under `<name>-<ref>-<sha>/`.
            Component::Normal(_) if index == 0 => {}
            Component::Normal(part) => out.push(part),
            Component::CurDir => {}
            Component::ParentDir => return Err("it climbs out of the archive (`..`)"),
            Component::RootDir | Component::Prefix(_) => return Err("it has an absolute path"),
        }
    }
    Ok(out)
}

/// Unpacks the gzipped tar at `archive` into `destination/src`.
pub fn unpack(
    archive: &Path,
    destination: &Path,
    limits: &ArchiveLimits,
) -> Result<Unpacked, ArchiveError> {
    let root = destination.join("src");
    let write_error =
        |path: &Path, source| ArchiveError::Write { path: path.display().to_string(), source };
    std::fs::create_dir_all(&root).map_err(|source| write_error(&root, source))?;
    let file = std::fs::File::open(archive).map_err(|source| write_error(archive, source))?;
    let mut reader = tar::Archive::new(flate2::read::GzDecoder::new(std::io::BufReader::new(file)));
    let mut unpacked = Unpacked { root: root.clone(), ..Unpacked::default() };
    let corrupt = |error: std::io::Error| ArchiveError::Corrupt(error.to_string());
    for entry in reader.entries().map_err(corrupt)? {
        let mut entry = entry.map_err(corrupt)?;
        let raw_path = entry.path().map_err(corrupt)?.into_owned();
        let shown = raw_path.display().to_string();
        let relative = match safe_relative(&raw_path) {
            Ok(relative) => relative,
            Err(reason) => {
                unpacked.skipped.push(format!("{shown}: skipped because {reason}"));
                continue;
            }
        };
        let kind = entry.header().entry_type();
        if kind.is_dir() {
            let path = root.join(&relative);
            std::fs::create_dir_all(&path).map_err(|source| write_error(&path, source))?;
            continue;
        }
        if !(kind.is_file() || kind == tar::EntryType::Continuous) {
            let what = if kind.is_symlink() || kind.is_hard_link() {
                "a link"
            } else {
                "not a regular file"
            };
            unpacked.skipped.push(format!("{shown}: skipped because it is {what}"));
            continue;
        }
        if relative.as_os_str().is_empty() {
            continue;
        }
        unpacked.files += 1;
        if unpacked.files > limits.max_files {
            return Err(ArchiveError::TooLarge { what: "files", limit: limits.max_files });
        }
        let path = root.join(&relative);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(|source| write_error(parent, source))?;
        }
        let mut output =
            std::fs::File::create(&path).map_err(|source| write_error(&path, source))?;
        // Count what is actually written, not what the header claims.
        let remaining = limits.max_unpacked_bytes.saturating_sub(unpacked.bytes);
        let mut limited = (&mut entry).take(remaining.saturating_add(1));
        let written = std::io::copy(&mut limited, &mut output).map_err(corrupt)?;
        output.flush().map_err(|source| write_error(&path, source))?;
        unpacked.bytes += written;
        if unpacked.bytes > limits.max_unpacked_bytes {
            return Err(ArchiveError::TooLarge { what: "bytes", limit: limits.max_unpacked_bytes });
        }
    }
    Ok(unpacked)
}

impl Client {
    /// Downloads the `tar.gz` archive of `project` at `reference` (branch,
    /// tag or SHA) into `destination` and unpacks it there; the files are
    /// in the returned [`Unpacked::root`].
    pub async fn download_archive(
        &self,
        project: u64,
        reference: &str,
        destination: &Path,
        limits: ArchiveLimits,
    ) -> Result<Unpacked, GitLabError> {
        let url = self.url(&format!(
            "/projects/{project}/repository/archive.tar.gz?sha={}",
            encode(reference)
        ));
        let endpoint = self.endpoint(&Method::GET, &url);
        let mut response = self.download(&url).await?;
        let archive = destination.join("archive.tar.gz");
        let local = |reason: String| GitLabError::Decode { endpoint: endpoint.clone(), reason };
        // tokio's file: writes run off the async threads, which carry the
        // download (and, in `vigil serve`, the Transporter's links).
        let mut file = tokio::fs::File::create(&archive)
            .await
            .map_err(|error| local(format!("cannot write the archive: {error}")))?;
        let mut downloaded = 0_u64;
        while let Some(chunk) = response
            .chunk()
            .await
            .map_err(|error| self.body_error(&endpoint, Deadline::Idle, error))?
        {
            downloaded += chunk.len() as u64;
            if downloaded > limits.max_download_bytes {
                return Err(local(format!(
                    "the archive is larger than the limit of {} bytes",
                    limits.max_download_bytes
                )));
            }
            file.write_all(&chunk)
                .await
                .map_err(|error| local(format!("cannot write the archive: {error}")))?;
        }
        file.flush().await.map_err(|error| local(format!("cannot write the archive: {error}")))?;
        drop(file);
        let destination = destination.to_owned();
        let unpacked = tokio::task::spawn_blocking(move || {
            let result = unpack(&archive, &destination, &limits);
            let _ = std::fs::remove_file(&archive);
            result
        })
        .await
        .map_err(|error| local(error.to_string()))?
        .map_err(|error| local(error.to_string()))?;
        Ok(unpacked)
    }
}

/// Percent-encodes a ref for a query string.
fn encode(text: &str) -> String {
    text.bytes()
        .map(|byte| match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (byte as char).to_string()
            }
            other => format!("%{other:02X}"),
        })
        .collect()
}

#[cfg(test)]
mod tests;
