//! The package-metadata cache: what the registries last said about each
//! package, kept in a directory (the server's and CLI's
//! `<data-dir>/metadata/`) so operational risk can be judged offline.
//!
//! One JSON-lines file per ecosystem (`npm.jsonl`, `PyPI.jsonl`,
//! `crates.io.jsonl`) in the framing the crate's `jsonl` module shares
//! with the advisory store: a header line with the count, one
//! [`PackageMetadata`] per line (each with its `fetched_at`), an end
//! marker, and replaced only whole. A file cut short (no end marker, a
//! count that differs) or whose header or index cannot be read is named
//! in [`MetadataCache::problems`] and ignored as a whole, never partly
//! used.
//!
//! Format 2 ends with an index, one line before the end marker: every
//! package's name with its line's place in the file. Opening reads the
//! header, the end marker and the index, and a package's line is read and
//! parsed the first time it is looked up, so opening costs what the
//! number of packages costs, not what reading or parsing every version of
//! every package would (a server's cache holds far more packages than one
//! lockfile, and a scan looks up only its lockfiles' packages). A line
//! that cannot be read, parsed, or is not the package the index says,
//! then counts as missing and is fetched again. Format 1 files (no index)
//! are still read, whole; the next write turns them into format 2.
//!
//! This module must not fetch: the server or CLI fetches what
//! [`MetadataCache::get`] calls stale or missing, parses it with
//! [`crate::registry`], and [`MetadataCache::insert`]s it.

use std::borrow::Cow;
use std::collections::HashMap;
use std::io::{Read as _, Seek as _, SeekFrom};
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock, PoisonError};

use serde::{Deserialize, Serialize};

use crate::Ecosystem;
use crate::jsonl;
use crate::registry::{PackageMetadata, VersionMetadata};
use crate::risk::Releases;

/// The cache's directory under the data directory.
pub const CACHE_DIR: &str = "metadata";
/// The file format this build writes (it reads format 1 too).
pub const FORMAT_VERSION: u32 = 2;
/// The format without an index, read whole.
const FORMAT_WITHOUT_INDEX: u32 = 1;
/// Most bytes read to find the header line.
const HEAD_BYTES: u64 = 4096;
/// Most bytes read from the end to find the end marker.
const TAIL_BYTES: u64 = 256;
/// Largest cache file read, in bytes.
pub const MAX_FILE_BYTES: u64 = 1024 * 1024 * 1024;

/// A cache file that cannot be used, or a write that failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CacheError {
    /// The file is damaged or from another version; it was ignored.
    #[error("the metadata cache {path} was ignored: {message}")]
    Corrupt {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// Reading or writing failed.
    #[error("{path}: {source}")]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// The error.
        source: std::io::Error,
    },
}

#[derive(Serialize, Deserialize)]
struct Header {
    vigil_metadata: u32,
    ecosystem: Ecosystem,
    count: usize,
}

/// The index line of a format 2 file: each package's name, the byte
/// offset and length (without the line end) of its line, and the length
/// of the line's head (every field before `"versions"`), in file order.
#[derive(Serialize, Deserialize)]
struct Index {
    index: Vec<(String, u64, usize, usize)>,
}

/// A package line's head: the package without its versions, and the
/// summary of its releases the writer put before them.
#[derive(Debug, Deserialize)]
struct Head {
    #[serde(flatten)]
    package: PackageMetadata,
    releases: Releases,
}

/// What scoring one version of a package needs, read without the
/// package's other versions ([`MetadataCache::brief`]).
#[derive(Debug, Clone, PartialEq)]
pub struct Brief<'a> {
    /// The package, its `versions` left empty when read from a file.
    pub package: &'a PackageMetadata,
    /// The summary of all its releases.
    pub releases: &'a Releases,
    /// The version's own entry, if the registry lists it.
    pub in_use: Option<VersionMetadata>,
    /// Fetched longer ago than the time to live.
    pub stale: bool,
}

/// What the cache holds for one package.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lookup<'a> {
    /// Fetched within the time to live.
    Fresh(&'a PackageMetadata),
    /// Fetched longer ago: usable (offline), worth fetching again.
    Stale(&'a PackageMetadata),
    /// Never fetched (or its file was ignored).
    Missing,
}

impl<'a> Lookup<'a> {
    /// The metadata, fresh or stale.
    pub fn metadata(self) -> Option<&'a PackageMetadata> {
        match self {
            Lookup::Fresh(metadata) | Lookup::Stale(metadata) => Some(metadata),
            Lookup::Missing => None,
        }
    }
}

/// Where a package's line is.
#[derive(Debug)]
enum Stored {
    /// In the text of a format 1 file, read whole.
    Text(Arc<String>, Range<usize>),
    /// In a format 2 file, kept open: offset, length and head length.
    File(Arc<Mutex<std::fs::File>>, u64, usize, usize),
}

impl Stored {
    /// The line, `None` when it cannot be read or is not UTF-8.
    fn text(&self) -> Option<Cow<'_, str>> {
        match self {
            Stored::Text(text, range) => text.get(range.clone()).map(Cow::Borrowed),
            Stored::File(file, offset, len, _) => {
                let bytes = read_locked(file, *offset, *len)?;
                String::from_utf8(bytes).ok().map(Cow::Owned)
            }
        }
    }

    /// The line's head, parsed; `None` for a format 1 line.
    fn head(&self) -> Option<Head> {
        let Stored::File(file, offset, _, head_len) = self else { return None };
        let mut bytes = read_locked(file, *offset, *head_len)?;
        bytes.push(b'}');
        serde_json::from_slice(&bytes).ok()
    }

    /// The entry of `version` in the line's versions, found by its text
    /// (as the writer spells it) without parsing the others; `None` for a
    /// format 1 line.
    fn version(&self, version: &str) -> Option<Option<VersionMetadata>> {
        let Stored::File(file, offset, len, head_len) = self else { return None };
        let versions = read_locked(file, offset + *head_len as u64, len.checked_sub(*head_len)?)?;
        let mut needle = b"{\"version\":".to_vec();
        needle.extend(serde_json::to_vec(version).ok()?);
        let Some(at) = memchr::memmem::find(&versions, &needle) else { return Some(None) };
        let mut stream =
            serde_json::Deserializer::from_slice(&versions[at..]).into_iter::<VersionMetadata>();
        let entry = stream.next()?.ok()?;
        Some((entry.version == version).then_some(entry))
    }
}

/// Reads `len` bytes of the shared `file` from `offset`.
fn read_locked(file: &Mutex<std::fs::File>, offset: u64, len: usize) -> Option<Vec<u8>> {
    let mut file = file.lock().unwrap_or_else(PoisonError::into_inner);
    read_at(&mut file, offset, len).ok()
}

/// One package of the cache: its line in the file it was read from,
/// parsed when first looked up, or what was inserted.
#[derive(Debug)]
struct Entry {
    /// Where its line is (`None` when inserted).
    line: Option<Stored>,
    /// The parsed line; `None` inside when it does not parse.
    parsed: OnceLock<Option<PackageMetadata>>,
    /// The package without its versions and the summary of its releases,
    /// from the line's head or from the parsed line.
    head: OnceLock<Option<Head>>,
}

impl Entry {
    fn inserted(metadata: PackageMetadata) -> Entry {
        Entry { line: None, parsed: OnceLock::from(Some(metadata)), head: OnceLock::new() }
    }

    fn stored(line: Stored) -> Entry {
        Entry { line: Some(line), parsed: OnceLock::new(), head: OnceLock::new() }
    }

    /// The package without its versions and the summary of its releases:
    /// from the parsed line when it is parsed, else from the line's head,
    /// else by parsing the line; `None` as for [`Entry::metadata`].
    fn head(&self, ecosystem: Ecosystem, key: &str) -> Option<&Head> {
        self.head
            .get_or_init(|| {
                let from_metadata = |metadata: &PackageMetadata| Head {
                    package: metadata.without_versions(),
                    releases: Releases::of(&metadata.versions),
                };
                if let Some(parsed) = self.parsed.get() {
                    return parsed.as_ref().map(from_metadata);
                }
                match self.line.as_ref()?.head() {
                    Some(head) => is_filed_as(&head.package, ecosystem, key).then_some(head),
                    None => self.metadata(ecosystem, key).map(from_metadata),
                }
            })
            .as_ref()
    }

    /// The entry of `version`: from the parsed line when it is parsed,
    /// else found in the line's versions.
    fn version(&self, ecosystem: Ecosystem, key: &str, version: &str) -> Option<VersionMetadata> {
        if self.parsed.get().is_none()
            && let Some(found) = self.line.as_ref().and_then(|line| line.version(version))
        {
            return found;
        }
        self.metadata(ecosystem, key)?.version(version).cloned()
    }

    /// The metadata, once parsed; `None` when its line does not parse or
    /// is another package's (`key` is the normalised name it is filed
    /// under).
    fn metadata(&self, ecosystem: Ecosystem, key: &str) -> Option<&PackageMetadata> {
        self.parsed
            .get_or_init(|| {
                let text = self.line.as_ref()?.text()?;
                let metadata: PackageMetadata = serde_json::from_str(&text).ok()?;
                is_filed_as(&metadata, ecosystem, key).then_some(metadata)
            })
            .as_ref()
    }
}

/// `package` is the one filed under `key` (a normalised name) of
/// `ecosystem`: a line read from a file is checked so, since the index or
/// the line may be another package's.
fn is_filed_as(package: &PackageMetadata, ecosystem: Ecosystem, key: &str) -> bool {
    package.ecosystem == ecosystem && ecosystem.normalise_name(&package.name) == key
}

/// Metadata fetched at `fetched_at` is stale at `now` once `ttl_seconds`
/// have passed.
fn is_stale(fetched_at: i64, now: i64, ttl_seconds: i64) -> bool {
    now.saturating_sub(fetched_at) >= ttl_seconds
}

/// The cache: every file's index (or, for format 1, its text) in memory,
/// each package read and parsed when first looked up.
#[derive(Debug, Default)]
pub struct MetadataCache {
    dir: PathBuf,
    entries: HashMap<Ecosystem, HashMap<String, Entry>>,
    problems: Vec<CacheError>,
}

impl MetadataCache {
    /// The cache's directory under `data_dir`.
    pub fn dir(data_dir: &Path) -> PathBuf {
        data_dir.join(CACHE_DIR)
    }

    /// The file of `ecosystem` in the cache directory `dir`.
    pub fn file(dir: &Path, ecosystem: Ecosystem) -> PathBuf {
        dir.join(format!("{}.jsonl", ecosystem.osv_name()))
    }

    /// Reads every ecosystem's file in `dir` (which need not exist). It
    /// never fails: a file that cannot be used is left out and named in
    /// [`MetadataCache::problems`].
    pub fn open(dir: &Path) -> MetadataCache {
        let mut cache =
            MetadataCache { dir: dir.to_owned(), entries: HashMap::new(), problems: Vec::new() };
        for ecosystem in Ecosystem::ALL {
            let path = MetadataCache::file(dir, ecosystem);
            match read_file(&path, ecosystem) {
                Ok(Some(entries)) => {
                    cache.entries.insert(ecosystem, entries);
                }
                Ok(None) => {}
                Err(problem) => cache.problems.push(problem),
            }
        }
        cache
    }

    /// The files that were ignored, and why.
    pub fn problems(&self) -> &[CacheError] {
        &self.problems
    }

    /// How many packages the cache holds.
    pub fn len(&self) -> usize {
        self.entries.values().map(HashMap::len).sum()
    }

    /// The cache holds nothing.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// What the cache holds for `name` of `ecosystem` at `now`: fresh when
    /// fetched less than `ttl_seconds` before `now` (seconds since the
    /// epoch), else stale.
    pub fn get(&self, ecosystem: Ecosystem, name: &str, now: i64, ttl_seconds: i64) -> Lookup<'_> {
        let key = ecosystem.normalise_name(name);
        let entry = self.entries.get(&ecosystem).and_then(|entries| entries.get(&key));
        match entry.and_then(|entry| entry.metadata(ecosystem, &key)) {
            Some(metadata) if is_stale(metadata.fetched_at, now, ttl_seconds) => {
                Lookup::Stale(metadata)
            }
            Some(metadata) => Lookup::Fresh(metadata),
            None => Lookup::Missing,
        }
    }

    /// What scoring `version` of `name` needs, at `now` (as
    /// [`MetadataCache::get`]), without reading the package's other
    /// versions when its line is in a file: the line's head (the package
    /// and the summary of its releases the writer put there) and the
    /// version's own entry, found by its text. `None` when the cache does
    /// not hold the package.
    pub fn brief(
        &self,
        ecosystem: Ecosystem,
        name: &str,
        version: &str,
        now: i64,
        ttl_seconds: i64,
    ) -> Option<Brief<'_>> {
        let key = ecosystem.normalise_name(name);
        let entry = self.entries.get(&ecosystem)?.get(&key)?;
        let head = entry.head(ecosystem, &key)?;
        Some(Brief {
            package: &head.package,
            releases: &head.releases,
            in_use: entry.version(ecosystem, &key, version),
            stale: is_stale(head.package.fetched_at, now, ttl_seconds),
        })
    }

    /// The metadata of `name` of `ecosystem`, fresh or stale, to change in
    /// place (its line parsed first if need be); the next
    /// [`MetadataCache::write`] keeps the change.
    pub fn get_mut(&mut self, ecosystem: Ecosystem, name: &str) -> Option<&mut PackageMetadata> {
        let key = ecosystem.normalise_name(name);
        let entry = self.entries.get_mut(&ecosystem)?.get_mut(&key)?;
        entry.metadata(ecosystem, &key)?;
        entry.head = OnceLock::new();
        entry.parsed.get_mut()?.as_mut()
    }

    /// Adds `metadata`, replacing what the cache held for the package.
    pub fn insert(&mut self, metadata: PackageMetadata) {
        let key = metadata.ecosystem.normalise_name(&metadata.name);
        self.entries.entry(metadata.ecosystem).or_default().insert(key, Entry::inserted(metadata));
    }

    /// Writes the file of every ecosystem the cache holds, each replacing
    /// the old one only once complete on disk.
    pub fn write(&self) -> Result<(), CacheError> {
        std::fs::create_dir_all(&self.dir)
            .map_err(|source| CacheError::Io { path: self.dir.clone(), source })?;
        let mut ecosystems: Vec<&Ecosystem> = self.entries.keys().collect();
        ecosystems.sort();
        for ecosystem in ecosystems {
            if let Some(entries) = self.entries.get(ecosystem) {
                write_file(&MetadataCache::file(&self.dir, *ecosystem), *ecosystem, entries)?;
            }
        }
        Ok(())
    }
}

/// The entries of one file, `None` when there is no file.
fn read_file(
    path: &Path,
    ecosystem: Ecosystem,
) -> Result<Option<HashMap<String, Entry>>, CacheError> {
    let corrupt = |message: String| CacheError::Corrupt { path: path.to_owned(), message };
    let io = |source: std::io::Error| CacheError::Io { path: path.to_owned(), source };
    let mut file = match std::fs::File::open(path) {
        Ok(file) => file,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(error) => return Err(io(error)),
    };
    let size = file.metadata().map_err(io)?.len();
    if size > MAX_FILE_BYTES {
        return Err(corrupt(format!("it is {size} bytes, more than the {MAX_FILE_BYTES} allowed")));
    }
    if size == 0 {
        return Err(corrupt("the file is empty".to_owned()));
    }
    let head =
        read_at(&mut file, 0, usize::try_from(size.min(HEAD_BYTES)).unwrap_or(0)).map_err(io)?;
    let header_line = head.split(|&byte| byte == b'\n').next().unwrap_or_default();
    let header: Header = serde_json::from_slice(header_line)
        .map_err(|e| corrupt(format!("the first line is not a cache header: {e}")))?;
    if header.vigil_metadata != FORMAT_VERSION && header.vigil_metadata != FORMAT_WITHOUT_INDEX {
        return Err(corrupt(format!(
            "it is format {}, this build reads formats {FORMAT_WITHOUT_INDEX} and {FORMAT_VERSION}",
            header.vigil_metadata
        )));
    }
    if header.ecosystem != ecosystem {
        return Err(corrupt(format!("it holds {} packages, not {ecosystem}", header.ecosystem)));
    }
    if header.vigil_metadata == FORMAT_WITHOUT_INDEX {
        return read_whole(file, path, &header).map(Some);
    }
    let body_start = header_line.len() as u64 + 1;
    read_indexed(file, size, body_start, &header).map(Some).map_err(corrupt)
}

/// The entries of a format 2 file: its end marker and index read, each
/// package's line left in the file. The error is what is wrong.
fn read_indexed(
    mut file: std::fs::File,
    size: u64,
    body_start: u64,
    header: &Header,
) -> Result<HashMap<String, Entry>, String> {
    let cut_short = || "it has no end marker (a write was cut short)".to_owned();
    let tail_len = size.min(TAIL_BYTES);
    let tail = read_at(&mut file, size - tail_len, usize::try_from(tail_len).unwrap_or(0))
        .map_err(|e| format!("its end cannot be read: {e}"))?;
    let tail = tail.strip_suffix(b"\n").ok_or_else(cut_short)?;
    let marker_start = tail.iter().rposition(|&byte| byte == b'\n').ok_or_else(cut_short)? + 1;
    let marker = std::str::from_utf8(&tail[marker_start..]).map_err(|_| cut_short())?;
    let index_at = jsonl::check_end(marker, header.count)
        .map_err(|error| match error {
            jsonl::EndError::NotAMarker(_) => cut_short(),
            count => count.to_string(),
        })?
        .ok_or_else(|| "its end marker does not say where its index is".to_owned())?;
    let marker_at = size - tail_len + marker_start as u64;
    if index_at < body_start || index_at >= marker_at {
        return Err(format!(
            "its end marker places the index at byte {index_at}, outside the file"
        ));
    }
    let index_len = usize::try_from(marker_at - 1 - index_at).unwrap_or(0);
    let index = read_at(&mut file, index_at, index_len)
        .map_err(|e| format!("its index cannot be read: {e}"))?;
    let index: Index =
        serde_json::from_slice(&index).map_err(|e| format!("its index cannot be read: {e}"))?;
    if index.index.len() != header.count {
        return Err(format!(
            "its index lists {} packages, the header {}",
            index.index.len(),
            header.count
        ));
    }
    let file = Arc::new(Mutex::new(file));
    let mut entries = HashMap::with_capacity(index.index.len());
    let mut next = body_start;
    for (name, offset, len, head_len) in index.index {
        // In file order, one after the other, before the index.
        let end = offset.saturating_add(len as u64);
        if offset < next || end >= index_at || head_len > len {
            return Err(format!("its index places {name} outside the package lines"));
        }
        next = end + 1;
        entries.insert(
            header.ecosystem.normalise_name(&name),
            Entry::stored(Stored::File(file.clone(), offset, len, head_len)),
        );
    }
    Ok(entries)
}

/// Reads `len` bytes of `file` from `offset`.
fn read_at(file: &mut std::fs::File, offset: u64, len: usize) -> std::io::Result<Vec<u8>> {
    file.seek(SeekFrom::Start(offset))?;
    let mut bytes = vec![0; len];
    file.read_exact(&mut bytes)?;
    Ok(bytes)
}

/// The entries of a format 1 file (no index), the open `file` at `path`
/// read whole; each line's name is read now, the rest when looked up.
fn read_whole(
    mut file: std::fs::File,
    path: &Path,
    header: &Header,
) -> Result<HashMap<String, Entry>, CacheError> {
    let corrupt = |message: String| CacheError::Corrupt { path: path.to_owned(), message };
    let ecosystem = header.ecosystem;
    let mut text = String::new();
    file.seek(SeekFrom::Start(0)).and_then(|_| file.read_to_string(&mut text)).map_err(
        |error| match error.kind() {
            std::io::ErrorKind::InvalidData => corrupt("it is not UTF-8 text".to_owned()),
            _ => CacheError::Io { path: path.to_owned(), source: error },
        },
    )?;
    let text = Arc::new(text);
    let mut lines = LineRanges { text: &text, at: 0 };
    lines.next();
    let mut entries = HashMap::with_capacity(header.count.min(1_000_000));
    let mut read = 0;
    for (index, range) in lines.enumerate() {
        let line = &text[range.clone()];
        if read == header.count {
            jsonl::check_end(line, header.count)
                .map_err(|e| corrupt(format!("line {}: {e}", index + 2)))?;
            return Ok(entries);
        }
        let (line_ecosystem, name) =
            name_of(line).map_err(|e| corrupt(format!("line {}: {e}", index + 2)))?;
        if line_ecosystem != ecosystem {
            return Err(corrupt(format!("line {}: a {line_ecosystem} package", index + 2)));
        }
        entries.insert(
            ecosystem.normalise_name(&name),
            Entry::stored(Stored::Text(text.clone(), range)),
        );
        read += 1;
    }
    Err(corrupt(format!(
        "it ends after {read} of {} packages, without its end marker (a write was cut short)",
        header.count
    )))
}

/// The byte ranges of a text's lines, without their line ends.
struct LineRanges<'a> {
    text: &'a str,
    at: usize,
}

impl Iterator for LineRanges<'_> {
    type Item = Range<usize>;

    fn next(&mut self) -> Option<Range<usize>> {
        if self.at >= self.text.len() {
            return None;
        }
        let start = self.at;
        let end = self.text[start..].find('\n').map_or(self.text.len(), |offset| start + offset);
        self.at = end + 1;
        let end = if self.text[start..end].ends_with('\r') { end - 1 } else { end };
        Some(start..end)
    }
}

/// The ecosystem and name a package line starts with, read without
/// parsing the rest (a line written otherwise is parsed whole).
fn name_of(line: &str) -> Result<(Ecosystem, String), serde_json::Error> {
    #[derive(Deserialize)]
    struct Key {
        ecosystem: Ecosystem,
        name: String,
    }
    let quick = (|| {
        let rest = line.strip_prefix("{\"ecosystem\":")?;
        let mut stream = serde_json::Deserializer::from_str(rest).into_iter::<Ecosystem>();
        let ecosystem = stream.next()?.ok()?;
        let rest = rest[stream.byte_offset()..].strip_prefix(",\"name\":")?;
        let mut stream = serde_json::Deserializer::from_str(rest).into_iter::<String>();
        let name = stream.next()?.ok()?;
        Some((ecosystem, name))
    })();
    match quick {
        Some(key) => Ok(key),
        None => serde_json::from_str::<Key>(line).map(|key| (key.ecosystem, key.name)),
    }
}

/// What [`write_file`] writes of one package.
enum Kept<'a> {
    Parsed(&'a PackageMetadata),
    /// A format 2 line never looked up, copied with its head's length.
    Line(&'a Stored, usize),
}

/// Writes `entries` to `path` in format 2 through a file beside it,
/// renamed over it; format 2 lines never looked up are copied as they
/// were read.
fn write_file(
    path: &Path,
    ecosystem: Ecosystem,
    entries: &HashMap<String, Entry>,
) -> Result<(), CacheError> {
    // A line that does not parse is dropped (it is fetched again); a
    // format 1 line is parsed to be written with its head.
    let mut kept: Vec<(&String, Kept<'_>)> = entries
        .iter()
        .filter_map(|(name, entry)| match (entry.parsed.get(), &entry.line) {
            (None, Some(stored @ Stored::File(_, _, _, head_len))) => {
                Some((name, Kept::Line(stored, *head_len)))
            }
            _ => entry.metadata(ecosystem, name).map(|metadata| (name, Kept::Parsed(metadata))),
        })
        .collect();
    kept.sort_by(|a, b| a.0.cmp(b.0));
    let header = Header { vigil_metadata: FORMAT_VERSION, ecosystem, count: kept.len() };
    jsonl::write_replacing(path, &header, kept.len(), |lines| {
        let mut index = Vec::with_capacity(kept.len());
        for (name, line) in &kept {
            let at = lines.position();
            let head_len = match line {
                Kept::Parsed(metadata) => {
                    let (line, head_len) = package_line(metadata)?;
                    lines.raw(&line)?;
                    head_len
                }
                Kept::Line(stored, head_len) => {
                    let text = stored.text().ok_or_else(|| {
                        std::io::Error::other(format!("the cached line of {name} cannot be read"))
                    })?;
                    lines.raw(&text)?;
                    *head_len
                }
            };
            let len = usize::try_from(lines.position() - at - 1).unwrap_or(usize::MAX);
            index.push(((*name).clone(), at, len, head_len));
        }
        let index_at = lines.position();
        lines.value(&Index { index })?;
        Ok(Some(index_at))
    })
    .map_err(|error| CacheError::Io { path: error.path, source: error.source })
}

/// A package's line, with the summary of its releases put just before
/// its versions (the last field), and the length of the head (the line
/// up to that `,"versions":`).
fn package_line(metadata: &PackageMetadata) -> std::io::Result<(String, usize)> {
    let line = serde_json::to_string(metadata).map_err(std::io::Error::other)?;
    // Strings are escaped, so the key cannot appear inside one; versions
    // is the last field, and nothing before it has such a key.
    let at = line
        .find(",\"versions\":")
        .ok_or_else(|| std::io::Error::other("a package line without versions"))?;
    let releases =
        serde_json::to_string(&Releases::of(&metadata.versions)).map_err(std::io::Error::other)?;
    let head = format!("{},\"releases\":{releases}", &line[..at]);
    let head_len = head.len();
    Ok((head + &line[at..], head_len))
}
