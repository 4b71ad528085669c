//! The offline advisory store: one file, `<data-dir>/vulndb/advisories.jsonl`,
//! read whole into memory and indexed by package.
//!
//! The file is a header line, one [`Advisory`] per line, and a trailer line
//! with the count. A store is only ever replaced by writing a new file
//! beside it and renaming it over the old one, so a crash mid-import or
//! mid-sync leaves the previous store in place; a file without its trailer
//! (cut short, say, by a full disk) is refused with a message that says so.
//!
//! [`Importer`] reads advisory sources (directories of OSV JSON or YAML,
//! osv.dev's `all.zip` archives, RustSec's `crates/<name>/RUSTSEC-*.md`)
//! into a store, on top of the advisories already there.

use std::collections::{BTreeMap, HashMap};
use std::io::{BufRead, Read as _};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use serde::{Deserialize, Serialize};

use crate::Ecosystem;
use crate::advisory::Advisory;
use crate::jsonl;
use crate::matcher::prepared::Prepared;
use crate::osv::{self, AdvisoryError, Read, Skip};

/// The store's directory under the data directory.
pub const STORE_DIR: &str = "vulndb";
/// The store's file in [`STORE_DIR`].
pub const STORE_FILE: &str = "advisories.jsonl";
/// The store format this build reads and writes.
pub const FORMAT_VERSION: u32 = 1;
/// Largest advisory document read, in bytes (real ones are under 100 KB).
pub const MAX_ADVISORY_BYTES: u64 = 4 * 1024 * 1024;
/// Most files or archive members one import reads.
pub const MAX_IMPORT_FILES: usize = 5_000_000;
/// Largest store file opened, in bytes.
pub const MAX_STORE_BYTES: u64 = 8 * 1024 * 1024 * 1024;

/// A problem with the store or an import.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// There is no store yet.
    #[error(
        "no advisory store at {0}; import advisories with `vigil vulndb import DIR` or download them with `vigil vulndb sync`"
    )]
    Missing(PathBuf),
    /// The store file is damaged or from another version.
    #[error(
        "the advisory store {path} cannot be used: {message}; import or sync again to rebuild it"
    )]
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
    /// An import source that cannot be read at all.
    #[error("{0}")]
    Source(String),
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> StoreError + '_ {
    move |source| StoreError::Io { path: path.to_owned(), source }
}

/// The store file's first line.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Header {
    /// [`FORMAT_VERSION`].
    pub vigil_vulndb: u32,
    /// When the store was written (RFC 3339).
    pub written: String,
    /// How many advisories follow.
    pub count: usize,
    /// Where the advisories came from, and each source's validators for
    /// conditional downloads (ETag, Last-Modified).
    #[serde(default)]
    pub sources: BTreeMap<String, SourceState>,
}

/// What the store remembers of one source.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SourceState {
    /// Advisories it gave.
    pub advisories: usize,
    /// The HTTP `ETag` of the archive last downloaded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub etag: Option<String>,
    /// The HTTP `Last-Modified` of the archive last downloaded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_modified: Option<String>,
}

/// An open store: every advisory, indexed by (ecosystem, package name).
#[derive(Debug, Default)]
pub struct Store {
    /// The header it was written with.
    pub header: Option<Header>,
    advisories: Vec<Advisory>,
    index: HashMap<(Ecosystem, String), Bucket>,
}

/// The advisories naming one package.
#[derive(Debug, Default)]
struct Bucket {
    /// Their positions in the store, in store order.
    advisories: Vec<u32>,
    /// The same advisories with their entries for the package, ranges read:
    /// once, the first time the package is matched (a scan looks up a few
    /// thousand of the store's packages; the rest are never read).
    prepared: OnceLock<Box<[Candidate]>>,
}

/// An advisory naming one package of the index, with its `affected`
/// entries for that package, their ranges read.
#[derive(Debug)]
struct Candidate {
    /// Its position in the store.
    advisory: u32,
    /// Its entries for the package, in the advisory's order.
    affected: Box<[Prepared]>,
}

impl Store {
    /// The store's file under `data_dir`.
    pub fn path(data_dir: &Path) -> PathBuf {
        data_dir.join(STORE_DIR).join(STORE_FILE)
    }

    /// Opens the store under `data_dir`.
    pub fn open(data_dir: &Path) -> Result<Store, StoreError> {
        let path = Store::path(data_dir);
        let file = match std::fs::File::open(&path) {
            Ok(file) => file,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
                return Err(StoreError::Missing(path));
            }
            Err(error) => return Err(StoreError::Io { path, source: error }),
        };
        let corrupt = |message: String| StoreError::Corrupt { path: path.clone(), message };
        let size = file.metadata().map_err(io(&path))?.len();
        if size > MAX_STORE_BYTES {
            return Err(corrupt(format!(
                "it is {size} bytes, more than the {MAX_STORE_BYTES} allowed"
            )));
        }
        let mut lines = std::io::BufReader::new(file).lines();
        let header_line = lines
            .next()
            .ok_or_else(|| corrupt("the file is empty".to_owned()))?
            .map_err(io(&path))?;
        let header: Header = serde_json::from_str(&header_line)
            .map_err(|e| corrupt(format!("the first line is not a store header: {e}")))?;
        if header.vigil_vulndb != FORMAT_VERSION {
            return Err(corrupt(format!(
                "it is format {}, this build reads format {FORMAT_VERSION}",
                header.vigil_vulndb
            )));
        }
        let mut advisories = Vec::with_capacity(header.count.min(10_000_000));
        let mut ended = false;
        for (index, line) in lines.enumerate() {
            let line = line.map_err(io(&path))?;
            if advisories.len() == header.count {
                jsonl::check_end(&line, header.count)
                    .map_err(|e| corrupt(format!("line {}: {e}", index + 2)))?;
                ended = true;
                break;
            }
            let advisory: Advisory = serde_json::from_str(&line)
                .map_err(|e| corrupt(format!("line {}: {e}", index + 2)))?;
            advisories.push(advisory);
        }
        if !ended {
            return Err(corrupt(format!(
                "it ends after {} of {} advisories (an import or sync was cut short)",
                advisories.len(),
                header.count
            )));
        }
        Ok(Store::from_parts(Some(header), advisories))
    }

    /// A store of `advisories` (tests, imports).
    pub fn from_advisories(advisories: Vec<Advisory>) -> Store {
        Store::from_parts(None, advisories)
    }

    fn from_parts(header: Option<Header>, advisories: Vec<Advisory>) -> Store {
        let mut index: HashMap<(Ecosystem, String), Bucket> = HashMap::new();
        for (position, advisory) in advisories.iter().enumerate() {
            let Ok(position) = u32::try_from(position) else { break };
            for affected in &advisory.affected {
                let key = (affected.ecosystem, affected.ecosystem.normalise_name(&affected.name));
                let list = &mut index.entry(key).or_default().advisories;
                if list.last() != Some(&position) {
                    list.push(position);
                }
            }
        }
        Store { header, advisories, index }
    }

    /// Every advisory.
    pub fn advisories(&self) -> &[Advisory] {
        &self.advisories
    }

    /// The advisories naming package `name` of `ecosystem`.
    pub fn for_package<'a>(
        &'a self,
        ecosystem: Ecosystem,
        name: &str,
    ) -> impl Iterator<Item = &'a Advisory> + 'a {
        let key = (ecosystem, ecosystem.normalise_name(name));
        self.index
            .get(&key)
            .into_iter()
            .flat_map(|bucket| &bucket.advisories)
            .filter_map(|position| self.advisories.get(*position as usize))
    }

    /// The advisories naming package `name` of `ecosystem`, each with its
    /// entries for that package, ranges read.
    pub(crate) fn prepared_for<'a>(
        &'a self,
        ecosystem: Ecosystem,
        name: &str,
    ) -> impl Iterator<Item = (&'a Advisory, &'a [Prepared])> + 'a {
        let key = (ecosystem, ecosystem.normalise_name(name));
        let candidates = self.index.get_key_value(&key).map(|((ecosystem, name), bucket)| {
            bucket.prepared.get_or_init(|| self.prepare(*ecosystem, name, &bucket.advisories))
        });
        candidates.into_iter().flatten().filter_map(|candidate| {
            let advisory = self.advisories.get(candidate.advisory as usize)?;
            Some((advisory, &*candidate.affected))
        })
    }

    /// The advisories at `positions` with their entries for package `name`
    /// (normalised) of `ecosystem`, ranges read.
    fn prepare(&self, ecosystem: Ecosystem, name: &str, positions: &[u32]) -> Box<[Candidate]> {
        let mut candidates = Vec::with_capacity(positions.len());
        for &position in positions {
            let Some(advisory) = self.advisories.get(position as usize) else { continue };
            let mut affected = Vec::new();
            for (entry, named) in advisory.affected.iter().enumerate() {
                let Ok(entry) = u32::try_from(entry) else { break };
                if named.ecosystem == ecosystem && ecosystem.normalise_name(&named.name) == name {
                    affected.push(Prepared::new(ecosystem, named, entry));
                }
            }
            candidates.push(Candidate { advisory: position, affected: affected.into() });
        }
        candidates.into()
    }

    /// Writes `advisories` as the store under `data_dir`, replacing any store
    /// there only once the new one is complete on disk.
    pub fn write(
        data_dir: &Path,
        advisories: &[Advisory],
        sources: BTreeMap<String, SourceState>,
        written: &str,
    ) -> Result<PathBuf, StoreError> {
        let dir = data_dir.join(STORE_DIR);
        std::fs::create_dir_all(&dir).map_err(io(&dir))?;
        let path = dir.join(STORE_FILE);
        let header = Header {
            vigil_vulndb: FORMAT_VERSION,
            written: written.to_owned(),
            count: advisories.len(),
            sources,
        };
        jsonl::write_replacing(&path, &header, advisories.len(), |lines| {
            advisories.iter().try_for_each(|advisory| lines.value(advisory))?;
            Ok(None)
        })
        .map_err(|error| StoreError::Io { path: error.path, source: error.source })?;
        Ok(path)
    }
}

/// What an import did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImportReport {
    /// Documents read.
    pub files: usize,
    /// Advisories added or replaced.
    pub imported: usize,
    /// Withdrawn advisories dropped.
    pub withdrawn: usize,
    /// Advisories of ecosystems Vigil does not read.
    pub other_ecosystems: usize,
    /// Problems, each naming its file (at most [`MAX_PROBLEMS`] kept).
    pub problems: Vec<String>,
    /// Problems beyond those kept.
    pub more_problems: usize,
}

/// Most problems an import report lists one by one.
pub const MAX_PROBLEMS: usize = 50;

impl ImportReport {
    fn problem(&mut self, problem: String) {
        if self.problems.len() < MAX_PROBLEMS {
            self.problems.push(problem);
        } else {
            self.more_problems += 1;
        }
    }
}

/// Reads advisory sources into a set of advisories keyed by id.
#[derive(Debug, Default)]
pub struct Importer {
    advisories: BTreeMap<String, Advisory>,
    /// What was read so far.
    pub report: ImportReport,
}

impl Importer {
    /// Starts from the advisories of an existing store (an import adds to
    /// it; an advisory with the same id is replaced).
    pub fn on_top_of(store: &Store) -> Importer {
        let advisories = store.advisories.iter().map(|a| (a.id.clone(), a.clone())).collect();
        Importer { advisories, report: ImportReport::default() }
    }

    /// Reads `path`: a directory (walked), a `.zip` archive, or one file.
    pub fn import_path(&mut self, path: &Path) -> Result<(), StoreError> {
        let metadata = std::fs::metadata(path).map_err(io(path))?;
        if metadata.is_dir() {
            self.import_dir(path, path)
        } else if has_extension(path, "zip") {
            let file = std::fs::File::open(path).map_err(io(path))?;
            self.import_zip(&path.display().to_string(), file)
        } else {
            let text = read_bounded(path)?;
            self.document(&path.display().to_string(), &text);
            Ok(())
        }
    }

    fn import_dir(&mut self, root: &Path, dir: &Path) -> Result<(), StoreError> {
        let mut entries: Vec<_> = std::fs::read_dir(dir)
            .map_err(io(dir))?
            .filter_map(Result::ok)
            .map(|entry| entry.path())
            .collect();
        entries.sort();
        for path in entries {
            if self.report.files >= MAX_IMPORT_FILES {
                self.report.problem(format!("stopped after {MAX_IMPORT_FILES} files"));
                return Ok(());
            }
            let Ok(kind) = std::fs::symlink_metadata(&path).map(|m| m.file_type()) else {
                continue;
            };
            if kind.is_symlink() {
                continue;
            }
            if kind.is_dir() {
                // RustSec's `rust/` holds advisories of the toolchain, not of crates.
                let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
                if name.starts_with('.') || (name == "rust" && dir.join("crates").is_dir()) {
                    continue;
                }
                self.import_dir(root, &path)?;
            } else if has_extension(&path, "zip") {
                let origin = path.strip_prefix(root).unwrap_or(&path).display().to_string();
                match std::fs::File::open(&path) {
                    Ok(file) => {
                        if let Err(error) = self.import_zip(&origin, file) {
                            self.report.problem(error.to_string());
                        }
                    }
                    Err(error) => self.report.problem(format!("{origin}: {error}")),
                }
            } else if is_advisory_file(&path) {
                let origin = path.strip_prefix(root).unwrap_or(&path).display().to_string();
                match read_bounded(&path) {
                    Ok(text) => self.document(&origin, &text),
                    Err(error) => self.report.problem(error.to_string()),
                }
            }
        }
        Ok(())
    }

    /// Reads every `.json` member of an osv.dev archive.
    pub fn import_zip(
        &mut self,
        origin: &str,
        reader: impl std::io::Read + std::io::Seek,
    ) -> Result<(), StoreError> {
        let mut archive = zip::ZipArchive::new(reader)
            .map_err(|e| StoreError::Source(format!("{origin}: not a zip archive: {e}")))?;
        for index in 0..archive.len() {
            if self.report.files >= MAX_IMPORT_FILES {
                self.report.problem(format!("{origin}: stopped after {MAX_IMPORT_FILES} files"));
                break;
            }
            let mut member = match archive.by_index(index) {
                Ok(member) => member,
                Err(error) => {
                    self.report.problem(format!("{origin}: member {index}: {error}"));
                    continue;
                }
            };
            let name = format!("{origin}:{}", member.name());
            if !member.is_file() || !member.name().ends_with(".json") {
                continue;
            }
            if member.size() > MAX_ADVISORY_BYTES {
                self.report.problem(format!(
                    "{name}: {} bytes, more than an advisory can be; skipped",
                    member.size()
                ));
                continue;
            }
            let mut text = String::new();
            // The size in the header may lie: read at most one byte more than allowed.
            let read = (&mut member).take(MAX_ADVISORY_BYTES + 1).read_to_string(&mut text);
            match read {
                Ok(n) if n as u64 > MAX_ADVISORY_BYTES => {
                    self.report.problem(format!("{name}: larger than an advisory can be; skipped"));
                }
                Ok(_) => self.document(&name, &text),
                Err(error) => self.report.problem(format!("{name}: {error}")),
            }
        }
        Ok(())
    }

    /// Reads one document, by its name's form.
    pub fn document(&mut self, origin: &str, text: &str) {
        self.report.files += 1;
        let read = if origin.ends_with(".md") {
            osv::rustsec(origin, text)
        } else if origin.ends_with(".yaml") || origin.ends_with(".yml") {
            osv::osv_yaml(origin, text)
        } else {
            osv::osv_json(origin, text.as_bytes())
        };
        self.accept(origin, read);
    }

    fn accept(&mut self, origin: &str, read: Result<Read, AdvisoryError>) {
        match read {
            Ok(Read::Advisory(advisory, problems)) => {
                for problem in problems {
                    self.report.problem(format!("{origin}: {problem}"));
                }
                self.report.imported += 1;
                self.advisories.insert(advisory.id.clone(), *advisory);
            }
            Ok(Read::Skip(Skip::Withdrawn)) => self.report.withdrawn += 1,
            Ok(Read::Skip(Skip::OtherEcosystem)) => self.report.other_ecosystems += 1,
            Err(error) => self.report.problem(error.to_string()),
        }
    }

    /// Drops the advisory `id` (withdrawn since the last import).
    pub fn remove(&mut self, id: &str) {
        self.advisories.remove(id);
    }

    /// The advisories, sorted by id.
    pub fn finish(self) -> (Vec<Advisory>, ImportReport) {
        (self.advisories.into_values().collect(), self.report)
    }
}

/// Checks that `reader` is a zip archive (its central directory reads) and
/// returns how many members it has; a download is checked before it
/// replaces the last good archive.
pub fn check_zip(reader: impl std::io::Read + std::io::Seek) -> Result<usize, StoreError> {
    zip::ZipArchive::new(reader)
        .map(|archive| archive.len())
        .map_err(|e| StoreError::Source(format!("not a zip archive: {e}")))
}

fn has_extension(path: &Path, extension: &str) -> bool {
    path.extension().and_then(|e| e.to_str()).is_some_and(|e| e.eq_ignore_ascii_case(extension))
}

/// OSV JSON or YAML, or a RustSec advisory; not READMEs or licences.
fn is_advisory_file(path: &Path) -> bool {
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
    if has_extension(path, "md") {
        return name.starts_with("RUSTSEC-");
    }
    has_extension(path, "json") || has_extension(path, "yaml") || has_extension(path, "yml")
}

fn read_bounded(path: &Path) -> Result<String, StoreError> {
    let file = std::fs::File::open(path).map_err(io(path))?;
    let mut text = String::new();
    file.take(MAX_ADVISORY_BYTES + 1).read_to_string(&mut text).map_err(io(path))?;
    if text.len() as u64 > MAX_ADVISORY_BYTES {
        return Err(StoreError::Source(format!(
            "{}: larger than {MAX_ADVISORY_BYTES} bytes, not an advisory; skipped",
            path.display()
        )));
    }
    Ok(text)
}

#[cfg(test)]
mod tests;
