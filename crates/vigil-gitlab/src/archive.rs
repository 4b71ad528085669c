//! Repository archives: downloaded as a stream to a file with a size cap
//! and an overall deadline, then unpacked defensively. An archive is input
//! from the network, so it is treated as hostile:
//!
//! - entries that would land outside the destination (absolute paths,
//!   `..`), links and special files are skipped and named;
//! - names the file system cannot hold (a part over 255 bytes, a NUL byte)
//!   are written under a safe name and named, so their content is scanned;
//! - every entry counts toward the entry limit, whatever its kind; files
//!   over the per-file limit are passed over without being written;
//!   directories are created only as files need them;
//! - every byte decompressed counts toward the unpacked limit, written or
//!   not, so a gzip bomb stops there;
//! - the first [`MAX_SKIP_NOTES`] reasons are kept, the rest only counted;
//! - one file that cannot be written is skipped and named; a full disk
//!   stops the unpack.

use std::io::Write as _;
use std::path::{Component, Path, PathBuf};
use std::time::Duration;

use reqwest::Method;
use sha2::{Digest as _, Sha256};
use tokio::io::AsyncWriteExt as _;

use crate::client::Deadline;
use crate::{Client, GitLabError};

/// Skip reasons kept per unpack; further ones are only counted.
pub const MAX_SKIP_NOTES: usize = 100;
/// The longest name part most file systems take, bytes.
const MAX_NAME_BYTES: usize = 255;

/// Caps on what one archive may cost.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ArchiveLimits {
    /// Compressed bytes downloaded.
    pub max_download_bytes: u64,
    /// Bytes decompressed from entries, written or passed over.
    pub max_unpacked_bytes: u64,
    /// Largest file written; larger ones are skipped and named (the
    /// scanner reads files up to 10 MB).
    pub max_file_bytes: u64,
    /// Entries of any kind (files, directories, links, others).
    pub max_entries: u64,
    /// The whole download, however steadily bytes arrive.
    pub max_download_time: Duration,
}

impl Default for ArchiveLimits {
    fn default() -> Self {
        ArchiveLimits {
            max_download_bytes: 1 << 30,
            max_unpacked_bytes: 2 << 30,
            max_file_bytes: 16 << 20,
            max_entries: 500_000,
            max_download_time: Duration::from_secs(600),
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
    /// The first [`MAX_SKIP_NOTES`] entries not written (or written under
    /// another name), each with the reason; control characters escaped.
    pub skipped: Vec<String>,
    /// How many entries were skipped or renamed in all.
    pub skipped_total: u64,
}

impl Unpacked {
    fn note(&mut self, note: String) {
        self.skipped_total += 1;
        if self.skipped.len() < MAX_SKIP_NOTES {
            self.skipped.push(note);
        }
    }
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
        /// `bytes` or `entries`.
        what: &'static str,
        /// The limit.
        limit: u64,
    },
    /// The destination cannot be written (disk full, read-only).
    #[error("cannot write {path}: {source}")]
    Write {
        /// The file.
        path: String,
        /// Why.
        source: std::io::Error,
    },
}

/// `text` with control characters escaped, safe in a log line.
pub fn printable(text: &str) -> String {
    if !text.chars().any(char::is_control) {
        return text.to_owned();
    }
    text.chars()
        .map(|c| if c.is_control() { c.escape_default().to_string() } else { c.to_string() })
        .collect()
}

/// A name part the file system can hold: NUL bytes spelled `%00`, and a
/// part over 255 bytes cut to 200 with a hash of the whole appended.
fn writable_part(part: &std::ffi::OsStr) -> Option<String> {
    let bytes = part.as_encoded_bytes();
    if bytes.len() <= MAX_NAME_BYTES && !bytes.contains(&0) {
        return None;
    }
    let text = String::from_utf8_lossy(bytes).replace('\0', "%00");
    if text.len() <= MAX_NAME_BYTES {
        return Some(text);
    }
    let mut cut = 200;
    while !text.is_char_boundary(cut) {
        cut -= 1;
    }
    let digest: String = Sha256::digest(bytes)[..4].iter().map(|b| format!("{b:02x}")).collect();
    Some(format!("{}~{digest}", &text[..cut]))
}

/// The path of an entry below the archive's top directory, if it is safe,
/// and whether a part had to be renamed.
fn safe_relative(path: &Path) -> Result<(PathBuf, bool), &'static str> {
    let mut out = PathBuf::new();
    let mut renamed = false;
    for (index, component) in path.components().enumerate() {
        match component {
            // GitLab puts everything under `<name>-<ref>-<sha>/`.
            Component::Normal(_) if index == 0 => {}
            Component::Normal(part) => match writable_part(part) {
                Some(safe) => {
                    renamed = true;
                    out.push(safe);
                }
                None => out.push(part),
            },
            Component::CurDir => {}
            Component::ParentDir => return Err("it climbs out of the archive (`..`)"),
            Component::RootDir | Component::Prefix(_) => return Err("it has an absolute path"),
        }
    }
    Ok((out, renamed))
}

/// Whether a write failure means the disk itself cannot take more (stop),
/// rather than this one file (skip it).
fn disk_failure(error: &std::io::Error) -> bool {
    use std::io::ErrorKind::{QuotaExceeded, ReadOnlyFilesystem, StorageFull};
    matches!(error.kind(), StorageFull | QuotaExceeded | ReadOnlyFilesystem)
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
    let mut entries = 0_u64;
    let mut decompressed = 0_u64;
    for entry in reader.entries().map_err(corrupt)? {
        let mut entry = entry.map_err(corrupt)?;
        entries += 1;
        if entries > limits.max_entries {
            return Err(ArchiveError::TooLarge { what: "entries", limit: limits.max_entries });
        }
        let raw_path = entry.path().map_err(corrupt)?.into_owned();
        let shown = printable(&raw_path.to_string_lossy());
        let (relative, renamed) = match safe_relative(&raw_path) {
            Ok(safe) => safe,
            Err(reason) => {
                unpacked.note(format!("{shown}: skipped because {reason}"));
                continue;
            }
        };
        let kind = entry.header().entry_type();
        if kind.is_dir() || relative.as_os_str().is_empty() {
            continue;
        }
        if !(kind.is_file() || kind == tar::EntryType::Continuous) {
            let what = if kind.is_symlink() || kind.is_hard_link() {
                "a link"
            } else {
                "not a regular file"
            };
            unpacked.note(format!("{shown}: skipped because it is {what}"));
            continue;
        }
        let size = entry.size();
        decompressed = decompressed.saturating_add(size);
        if decompressed > limits.max_unpacked_bytes {
            return Err(ArchiveError::TooLarge { what: "bytes", limit: limits.max_unpacked_bytes });
        }
        if size > limits.max_file_bytes {
            unpacked.note(format!(
                "{shown}: skipped because it is larger than the per-file limit of {} bytes",
                limits.max_file_bytes
            ));
            continue;
        }
        let path = root.join(&relative);
        if renamed {
            unpacked.note(format!(
                "{shown}: written as {} because the file system cannot hold its name (a part over {MAX_NAME_BYTES} bytes, or a NUL byte)",
                printable(&relative.to_string_lossy())
            ));
        }
        match write_entry(&mut entry, &path) {
            Ok(written) => {
                unpacked.files += 1;
                unpacked.bytes += written;
            }
            Err(EntryFailure::Read(error)) => return Err(corrupt(error)),
            Err(EntryFailure::Write(error)) if disk_failure(&error) => {
                return Err(write_error(&path, error));
            }
            Err(EntryFailure::Write(error)) => {
                unpacked.note(format!("{shown}: skipped because it cannot be written: {error}"));
            }
        }
    }
    Ok(unpacked)
}

/// Why one entry was not written.
enum EntryFailure {
    /// The archive stream broke.
    Read(std::io::Error),
    /// The file (or a directory above it) could not be written.
    Write(std::io::Error),
}

/// Writes `entry` to `path`, creating its directories; bytes written.
fn write_entry(entry: &mut impl std::io::Read, path: &Path) -> Result<u64, EntryFailure> {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).map_err(EntryFailure::Write)?;
    }
    let mut output = std::fs::File::create(path).map_err(EntryFailure::Write)?;
    let mut buffer = [0_u8; 64 << 10];
    let mut written = 0_u64;
    loop {
        let read = entry.read(&mut buffer).map_err(EntryFailure::Read)?;
        if read == 0 {
            break;
        }
        output.write_all(&buffer[..read]).map_err(EntryFailure::Write)?;
        written += read as u64;
    }
    output.flush().map_err(EntryFailure::Write)?;
    Ok(written)
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
        let archive = destination.join("archive.tar.gz");
        let local = |reason: String| GitLabError::Local { endpoint: endpoint.clone(), reason };
        let download = async {
            let mut response = self.download(&url).await?;
            if response.content_length().is_some_and(|length| length > limits.max_download_bytes) {
                return Err(GitLabError::TooLarge {
                    endpoint: endpoint.clone(),
                    limit_bytes: limits.max_download_bytes,
                });
            }
            // tokio's file: writes run off the async threads, which carry
            // the download (and, in `vigil serve`, the Transporter's links).
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
                    return Err(GitLabError::TooLarge {
                        endpoint: endpoint.clone(),
                        limit_bytes: limits.max_download_bytes,
                    });
                }
                file.write_all(&chunk)
                    .await
                    .map_err(|error| local(format!("cannot write the archive: {error}")))?;
            }
            file.flush().await.map_err(|error| local(format!("cannot write the archive: {error}")))
        };
        match tokio::time::timeout(limits.max_download_time, download).await {
            Ok(result) => result?,
            Err(_) => {
                let _ = tokio::fs::remove_file(&archive).await;
                return Err(GitLabError::Deadline {
                    endpoint,
                    seconds: limits.max_download_time.as_secs(),
                });
            }
        }
        let destination = destination.to_owned();
        let unpacked = tokio::task::spawn_blocking(move || {
            let result = unpack(&archive, &destination, &limits);
            let _ = std::fs::remove_file(&archive);
            result
        })
        .await
        .map_err(|error| local(format!("the unpack stopped: {error}")))?
        .map_err(|error| local(format!("the archive could not be unpacked: {error}")))?;
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
