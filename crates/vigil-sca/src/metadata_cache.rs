//! The package-metadata cache: what the registries last said about each
//! package, kept in a directory (the server's and CLI's
//! `<data-dir>/metadata/`) so operational risk can be judged offline.
//!
//! One JSON-lines file per ecosystem (`npm.jsonl`, `PyPI.jsonl`,
//! `crates.io.jsonl`) in the framing of the crate's `jsonl` module, shared with the
//! advisory store: a header line with the count, one [`PackageMetadata`]
//! per line (each with its `fetched_at`), an end marker, and replaced only
//! whole; a file cut short (no end marker, a count that differs) or whose
//! header or package names cannot be read is named in
//! [`MetadataCache::problems`] and ignored as a whole, never partly used.
//!
//! Opening reads only each line's package name (the line starts with
//! `{"ecosystem":…,"name":…`, as [`PackageMetadata`] serialises); a
//! package's line is parsed the first time it is looked up, so opening
//! costs what reading the file costs, not what parsing every version of
//! every package would (a server's cache holds far more packages than one
//! lockfile). A line that cannot be parsed then counts as missing, and is
//! fetched again.
//!
//! This module must not fetch: the server or CLI fetches what
//! [`MetadataCache::get`] calls stale or missing, parses it with
//! [`crate::registry`], and [`MetadataCache::insert`]s it.

use std::collections::HashMap;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use serde::{Deserialize, Serialize};

use crate::Ecosystem;
use crate::jsonl;
use crate::registry::PackageMetadata;

/// The cache's directory under the data directory.
pub const CACHE_DIR: &str = "metadata";
/// The file format this build reads and writes.
pub const FORMAT_VERSION: u32 = 1;
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

/// One package of the cache: its line in the file it was read from,
/// parsed when first looked up, or what was inserted.
#[derive(Debug)]
struct Entry {
    /// The file's text and the line's place in it (`None` when inserted).
    line: Option<(Arc<String>, Range<usize>)>,
    /// The parsed line; `None` inside when it does not parse.
    parsed: OnceLock<Option<PackageMetadata>>,
}

impl Entry {
    fn inserted(metadata: PackageMetadata) -> Entry {
        Entry { line: None, parsed: OnceLock::from(Some(metadata)) }
    }

    fn metadata(&self) -> Option<&PackageMetadata> {
        self.parsed
            .get_or_init(|| {
                let (text, range) = self.line.as_ref()?;
                serde_json::from_str(text.get(range.clone())?).ok()
            })
            .as_ref()
    }
}

/// The cache: every file read into memory, each package parsed when first
/// looked up.
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
        match entry.and_then(Entry::metadata) {
            Some(metadata) if now.saturating_sub(metadata.fetched_at) < ttl_seconds => {
                Lookup::Fresh(metadata)
            }
            Some(metadata) => Lookup::Stale(metadata),
            None => Lookup::Missing,
        }
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
    match std::fs::metadata(path) {
        Ok(stat) if stat.len() > MAX_FILE_BYTES => {
            return Err(corrupt(format!(
                "it is {} bytes, more than the {MAX_FILE_BYTES} allowed",
                stat.len()
            )));
        }
        Ok(_) => {}
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(source) => return Err(CacheError::Io { path: path.to_owned(), source }),
    }
    let text = std::fs::read_to_string(path).map_err(|error| match error.kind() {
        std::io::ErrorKind::InvalidData => corrupt("it is not UTF-8 text".to_owned()),
        _ => CacheError::Io { path: path.to_owned(), source: error },
    })?;
    let text = Arc::new(text);
    let mut lines = LineRanges { text: &text, at: 0 };
    let header: Header =
        lines.next().ok_or_else(|| corrupt("the file is empty".to_owned())).and_then(|range| {
            serde_json::from_str(&text[range])
                .map_err(|e| corrupt(format!("the first line is not a cache header: {e}")))
        })?;
    if header.vigil_metadata != FORMAT_VERSION {
        return Err(corrupt(format!(
            "it is format {}, this build reads format {FORMAT_VERSION}",
            header.vigil_metadata
        )));
    }
    if header.ecosystem != ecosystem {
        return Err(corrupt(format!("it holds {} packages, not {ecosystem}", header.ecosystem)));
    }
    let mut entries = HashMap::with_capacity(header.count.min(1_000_000));
    let mut read = 0;
    for (index, range) in lines.enumerate() {
        let line = &text[range.clone()];
        if read == header.count {
            jsonl::check_end(line, header.count)
                .map_err(|e| corrupt(format!("line {}: {e}", index + 2)))?;
            return Ok(Some(entries));
        }
        let (line_ecosystem, name) =
            name_of(line).map_err(|e| corrupt(format!("line {}: {e}", index + 2)))?;
        if line_ecosystem != ecosystem {
            return Err(corrupt(format!("line {}: a {line_ecosystem} package", index + 2)));
        }
        let entry = Entry { line: Some((text.clone(), range)), parsed: OnceLock::new() };
        entries.insert(ecosystem.normalise_name(&name), entry);
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
    Line(&'a str),
}

/// Writes `entries` to `path` through a file beside it, renamed over it;
/// lines never looked up are copied as they were read.
fn write_file(
    path: &Path,
    ecosystem: Ecosystem,
    entries: &HashMap<String, Entry>,
) -> Result<(), CacheError> {
    // A line that was looked up and did not parse is dropped (it is
    // fetched again); one never looked up is copied as it was read.
    let mut kept: Vec<(&String, Kept<'_>)> = entries
        .iter()
        .filter_map(|(name, entry)| match (entry.parsed.get(), &entry.line) {
            (Some(Some(metadata)), _) => Some((name, Kept::Parsed(metadata))),
            (None, Some((text, range))) => Some((name, Kept::Line(&text[range.clone()]))),
            _ => None,
        })
        .collect();
    kept.sort_by(|a, b| a.0.cmp(b.0));
    let header = Header { vigil_metadata: FORMAT_VERSION, ecosystem, count: kept.len() };
    jsonl::write_replacing(path, &header, kept.len(), |lines| {
        kept.iter().try_for_each(|(_, line)| match line {
            Kept::Parsed(metadata) => lines.value(metadata),
            Kept::Line(line) => lines.raw(line),
        })
    })
    .map_err(|error| CacheError::Io { path: error.path, source: error.source })
}
