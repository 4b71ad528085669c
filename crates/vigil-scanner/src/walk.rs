//! The parallel tree walk and per-file dispatch (see the crate docs).

use std::collections::HashSet;
use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use ignore::overrides::OverrideBuilder;
use ignore::{WalkBuilder, WalkState};
use vigil_core::{
    Artifact, Diagnostic, DiagnosticLevel, Engine, FileOutput, Finding, ScanStats, SourceFile,
    assign_occurrences, sort_findings,
};

/// The file name of Vigil's own ignore file (gitignore syntax).
pub const VIGIL_IGNORE_FILE: &str = ".vigilignore";

/// Bytes inspected for a NUL byte to decide that a file is binary (as git does).
pub(crate) const BINARY_SNIFF_BYTES: usize = 8 * 1024;

/// How to walk.
#[derive(Debug, Clone)]
pub struct ScanOptions {
    /// Files larger than this many bytes are skipped with a note.
    pub max_file_size: u64,
    /// Extra exclusions, gitignore glob syntax, relative to the root.
    pub excludes: Vec<String>,
    /// Rule ids whose findings are dropped (counted in `rule_skipped`).
    pub disabled_rules: HashSet<String>,
    /// Honour `.gitignore` files. `.vigilignore` is always honoured.
    pub gitignore: bool,
    /// Worker threads; 0 picks the number of CPUs.
    pub threads: usize,
    /// Bytes of files held for the engines' tree phase, at most; files
    /// past it are left out of that phase with a warning.
    pub max_kept_bytes: u64,
}

impl Default for ScanOptions {
    fn default() -> Self {
        ScanOptions {
            max_file_size: 10_000_000,
            excludes: Vec::new(),
            disabled_rules: HashSet::new(),
            gitignore: true,
            threads: 0,
            max_kept_bytes: 1_000_000_000,
        }
    }
}

/// Why a scan could not start at all. Problems with single files are
/// diagnostics in [`ScanOutput`], not errors.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ScanError {
    /// The root does not exist or cannot be inspected.
    #[error("cannot scan {path}")]
    Root {
        /// The root as given.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The root is neither a directory nor a regular file.
    #[error("cannot scan {0}: not a directory or regular file")]
    NotScannable(PathBuf),
    /// `--history` on a path that is not inside a git repository.
    #[error("cannot read git history at {path}: {reason}")]
    NotARepository {
        /// The path given.
        path: PathBuf,
        /// Why it could not be opened.
        reason: String,
    },
    /// An exclude pattern is not a valid glob.
    #[error("invalid exclude pattern `{pattern}`: {reason}")]
    BadExclude {
        /// The pattern.
        pattern: String,
        /// Why it is invalid.
        reason: String,
    },
}

/// Live counters a caller can poll from another thread to show progress.
#[derive(Debug, Default)]
pub struct Progress {
    /// Files scanned so far.
    pub files: AtomicU64,
    /// Bytes scanned so far.
    pub bytes: AtomicU64,
}

/// What a scan produced.
#[derive(Debug, Default)]
pub struct ScanOutput {
    /// Findings in report order with final fingerprints.
    pub findings: Vec<Finding>,
    /// Problems with the scan itself, sorted by path.
    pub diagnostics: Vec<Diagnostic>,
    /// What engines learned about the tree that outlives the scan (the
    /// dependency graph of each lockfile), sorted by engine and path.
    pub artifacts: Vec<Artifact>,
    /// Counters.
    pub stats: ScanStats,
}

/// Walks trees and runs engines over them.
pub struct Scanner {
    pub(crate) engines: Vec<Box<dyn Engine>>,
    pub(crate) options: ScanOptions,
}

/// Results shared between walker threads; touched only for files that
/// produced something, so contention stays negligible.
#[derive(Default)]
struct Shared {
    findings: Mutex<Vec<Finding>>,
    diagnostics: Mutex<Vec<Diagnostic>>,
    artifacts: Mutex<Vec<Artifact>>,
    files_skipped: AtomicU64,
    rule_skipped: AtomicU64,
    /// Files held for the tree phase: (engine index, path, bytes).
    kept: Mutex<Vec<(usize, String, Vec<u8>)>>,
    kept_bytes: AtomicU64,
}

impl Scanner {
    /// A scanner running `engines` with `options`.
    pub fn new(engines: Vec<Box<dyn Engine>>, options: ScanOptions) -> Scanner {
        Scanner { engines, options }
    }

    /// The engines, in the order given.
    pub fn engines(&self) -> &[Box<dyn Engine>] {
        &self.engines
    }

    /// Scans the directory or file at `root`.
    pub fn scan(&self, root: &Path, progress: &Progress) -> Result<ScanOutput, ScanError> {
        let metadata = std::fs::metadata(root)
            .map_err(|source| ScanError::Root { path: root.to_path_buf(), source })?;
        // A single file is scanned relative to its directory, so that its
        // path in reports is its file name.
        let (base, walk_root) = if metadata.is_dir() {
            (root.to_path_buf(), root.to_path_buf())
        } else if metadata.is_file() {
            (root.parent().map(Path::to_path_buf).unwrap_or_default(), root.to_path_buf())
        } else {
            return Err(ScanError::NotScannable(root.to_path_buf()));
        };
        let walker = self.walker(&base, &walk_root)?;
        let shared = Shared::default();
        walker.run(|| {
            let mut buffer = Vec::new();
            let shared = &shared;
            let base = &base;
            Box::new(move |entry| {
                match entry {
                    Ok(entry) => self.visit(base, &entry, &mut buffer, shared, progress),
                    Err(error) => shared.diagnostics_push(walk_error(base, &error)),
                }
                WalkState::Continue
            })
        });
        Ok(self.finish(shared, progress))
    }

    fn walker(&self, base: &Path, walk_root: &Path) -> Result<ignore::WalkParallel, ScanError> {
        let mut overrides = OverrideBuilder::new(base);
        for pattern in &self.options.excludes {
            overrides.add(&format!("!{pattern}")).map_err(|error| ScanError::BadExclude {
                pattern: pattern.clone(),
                reason: error.to_string(),
            })?;
        }
        let overrides = overrides.build().map_err(|error| ScanError::BadExclude {
            pattern: self.options.excludes.join(", "),
            reason: error.to_string(),
        })?;
        let threads = match self.options.threads {
            0 => std::thread::available_parallelism().map_or(2, usize::from),
            threads => threads,
        };
        let gitignore = self.options.gitignore;
        let mut builder = WalkBuilder::new(walk_root);
        builder
            .hidden(false)
            .follow_links(false)
            .git_ignore(gitignore)
            .git_exclude(gitignore)
            .git_global(false)
            .ignore(gitignore)
            .require_git(false)
            .add_custom_ignore_filename(VIGIL_IGNORE_FILE)
            .overrides(overrides)
            .threads(threads)
            .filter_entry(|entry| entry.file_name() != ".git");
        Ok(builder.build_parallel())
    }

    fn visit(
        &self,
        base: &Path,
        entry: &ignore::DirEntry,
        buffer: &mut Vec<u8>,
        shared: &Shared,
        progress: &Progress,
    ) {
        let Some(file_type) = entry.file_type() else { return };
        if file_type.is_dir() {
            return;
        }
        let path = relative_path(base, entry.path());
        if file_type.is_symlink() {
            shared.skip(Diagnostic::for_file(
                DiagnosticLevel::Note,
                path,
                "skipped: symbolic link (links are not followed)",
            ));
            return;
        }
        if !file_type.is_file() {
            shared.skip(Diagnostic::for_file(
                DiagnosticLevel::Note,
                path,
                "skipped: not a regular file",
            ));
            return;
        }
        let engines: Vec<&dyn Engine> =
            self.engines.iter().map(Box::as_ref).filter(|engine| engine.wants(&path)).collect();
        let keepers: Vec<usize> =
            (0..self.engines.len()).filter(|index| self.engines[*index].keeps(&path)).collect();
        if engines.is_empty() && keepers.is_empty() {
            return;
        }
        match read_file(entry.path(), self.options.max_file_size, buffer) {
            Ok(ReadOutcome::Read) => {}
            Ok(ReadOutcome::Skipped(reason)) => {
                shared.skip(Diagnostic::for_file(DiagnosticLevel::Note, path, reason));
                return;
            }
            Err(error) => {
                let message = format!("cannot read: {}", io_reason(&error));
                shared.skip(Diagnostic::for_file(DiagnosticLevel::Error, path, message));
                return;
            }
        }
        let mut output = FileOutput::default();
        for engine in engines {
            engine.scan_file(SourceFile { path: &path, content: buffer }, &mut output);
        }
        progress.files.fetch_add(1, Ordering::Relaxed);
        progress.bytes.fetch_add(buffer.len() as u64, Ordering::Relaxed);
        if !keepers.is_empty() {
            self.keep(shared, &keepers, &path, buffer);
        }
        self.collect(shared, output);
    }

    /// Holds a copy of a file for the tree phase of the engines `keepers`,
    /// within the `max_kept_bytes` budget.
    fn keep(&self, shared: &Shared, keepers: &[usize], path: &str, buffer: &[u8]) {
        let size = buffer.len() as u64 * keepers.len() as u64;
        let total = shared.kept_bytes.fetch_add(size, Ordering::Relaxed) + size;
        if total > self.options.max_kept_bytes {
            shared.diagnostics_push(Diagnostic::for_file(
                DiagnosticLevel::Warning,
                path,
                format!(
                    "left out of the cross-file checks: the files they need already take {}",
                    human_bytes(self.options.max_kept_bytes)
                ),
            ));
            return;
        }
        let mut kept = lock(&shared.kept);
        for index in keepers {
            kept.push((*index, path.to_owned(), buffer.to_vec()));
        }
    }

    /// Adds one file's (or one tree phase's) output to the results, without
    /// the findings of disabled rules.
    fn collect(&self, shared: &Shared, mut output: FileOutput) {
        if !self.options.disabled_rules.is_empty() {
            let before = output.findings.len();
            output
                .findings
                .retain(|finding| !self.options.disabled_rules.contains(&finding.rule_id));
            shared
                .rule_skipped
                .fetch_add((before - output.findings.len()) as u64, Ordering::Relaxed);
        }
        if !output.findings.is_empty() {
            lock(&shared.findings).append(&mut output.findings);
        }
        if !output.diagnostics.is_empty() {
            lock(&shared.diagnostics).append(&mut output.diagnostics);
        }
        if !output.artifacts.is_empty() {
            lock(&shared.artifacts).append(&mut output.artifacts);
        }
    }

    /// The tree phase: each engine that kept files sees them together,
    /// sorted by path.
    fn tree_phase(&self, shared: &Shared) {
        let mut kept = std::mem::take(&mut *lock(&shared.kept));
        if kept.is_empty() {
            return;
        }
        kept.sort_by(|left, right| (left.0, &left.1).cmp(&(right.0, &right.1)));
        for (index, engine) in self.engines.iter().enumerate() {
            let files: Vec<SourceFile<'_>> = kept
                .iter()
                .filter(|(owner, _, _)| *owner == index)
                .map(|(_, path, content)| SourceFile { path, content })
                .collect();
            if files.is_empty() {
                continue;
            }
            let mut output = FileOutput::default();
            engine.scan_tree(&files, &mut output);
            self.collect(shared, output);
        }
    }

    fn finish(&self, shared: Shared, progress: &Progress) -> ScanOutput {
        self.tree_phase(&shared);
        let mut findings =
            shared.findings.into_inner().unwrap_or_else(|poisoned| poisoned.into_inner());
        sort_findings(&mut findings);
        assign_occurrences(&mut findings);
        let mut diagnostics =
            shared.diagnostics.into_inner().unwrap_or_else(|poisoned| poisoned.into_inner());
        diagnostics.sort_by(|left, right| {
            (&left.path, left.line, left.column, &left.message, left.level).cmp(&(
                &right.path,
                right.line,
                right.column,
                &right.message,
                right.level,
            ))
        });
        let mut artifacts =
            shared.artifacts.into_inner().unwrap_or_else(|poisoned| poisoned.into_inner());
        artifacts
            .sort_by(|left, right| (left.engine, &left.path).cmp(&(right.engine, &right.path)));
        ScanOutput {
            findings,
            diagnostics,
            artifacts,
            stats: ScanStats {
                files_scanned: progress.files.load(Ordering::Relaxed),
                bytes_scanned: progress.bytes.load(Ordering::Relaxed),
                files_skipped: shared.files_skipped.load(Ordering::Relaxed),
                baselined: 0,
                ignored: 0,
                rule_skipped: shared.rule_skipped.load(Ordering::Relaxed),
            },
        }
    }
}

impl Shared {
    fn skip(&self, diagnostic: Diagnostic) {
        self.files_skipped.fetch_add(1, Ordering::Relaxed);
        self.diagnostics_push(diagnostic);
    }

    fn diagnostics_push(&self, diagnostic: Diagnostic) {
        lock(&self.diagnostics).push(diagnostic);
    }
}

/// Locks a mutex, recovering the data if another walker thread panicked: the
/// vectors stay valid whatever a panicking engine left undone.
fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

enum ReadOutcome {
    Read,
    Skipped(String),
}

/// Reads `path` into `buffer` unless it is too large or binary. The size is
/// checked on the open handle and the read is capped, so a file that grows
/// while being read cannot exceed the limit either.
fn read_file(path: &Path, max_size: u64, buffer: &mut Vec<u8>) -> std::io::Result<ReadOutcome> {
    let file = File::open(path)?;
    let size = file.metadata()?.len();
    if size > max_size {
        return Ok(ReadOutcome::Skipped(format!(
            "skipped: {} is over the {} size limit",
            human_bytes(size),
            human_bytes(max_size)
        )));
    }
    buffer.clear();
    // Sniff the head first, so a large binary is refused after 8 KiB, not
    // after reading all of it.
    let mut file = file.take(max_size + 1);
    (&mut file).take(BINARY_SNIFF_BYTES as u64).read_to_end(buffer)?;
    if memchr::memchr(0, buffer).is_some() {
        return Ok(ReadOutcome::Skipped(
            "skipped: binary file (NUL byte in the first 8 KiB)".to_owned(),
        ));
    }
    file.read_to_end(buffer)?;
    if buffer.len() as u64 > max_size {
        return Ok(ReadOutcome::Skipped(format!(
            "skipped: grew over the {} size limit while read",
            human_bytes(max_size)
        )));
    }
    Ok(ReadOutcome::Read)
}

/// Whether `pattern` is a valid exclude glob; the reason when it is not.
pub fn check_exclude(pattern: &str) -> Result<(), String> {
    let mut overrides = OverrideBuilder::new("/");
    overrides.add(&format!("!{pattern}")).map_err(|error| error.to_string())?;
    overrides.build().map(drop).map_err(|error| error.to_string())
}

/// `2.0 GB`, `10 MB`, `512 bytes`: decimal units, as the flag takes them.
pub fn human_bytes(bytes: u64) -> String {
    const UNITS: [(&str, u64); 3] = [("GB", 1_000_000_000), ("MB", 1_000_000), ("kB", 1_000)];
    for (unit, size) in UNITS {
        if bytes >= size {
            let value = bytes as f64 / size as f64;
            return if value.fract() == 0.0 {
                format!("{value:.0} {unit}")
            } else {
                format!("{value:.1} {unit}")
            };
        }
    }
    format!("{bytes} bytes")
}

fn relative_path(base: &Path, path: &Path) -> String {
    let relative = path.strip_prefix(base).unwrap_or(path);
    let text = relative.to_string_lossy();
    if std::path::MAIN_SEPARATOR == '/' {
        text.into_owned()
    } else {
        text.replace(std::path::MAIN_SEPARATOR, "/")
    }
}

/// The lower-case reason of an I/O error, without the `(os error N)` suffix.
fn io_reason(error: &std::io::Error) -> String {
    let text = error.to_string();
    let text = text.split(" (os error").next().unwrap_or(&text).to_owned();
    let mut characters = text.chars();
    match characters.next() {
        Some(first) => first.to_lowercase().chain(characters).collect(),
        None => text,
    }
}

/// A walk error as a diagnostic naming the path it happened at.
fn walk_error(base: &Path, error: &ignore::Error) -> Diagnostic {
    fn find(base: &Path, error: &ignore::Error) -> (Option<String>, String) {
        match error {
            ignore::Error::WithPath { path, err } => {
                (Some(relative_path(base, path)), find(base, err).1)
            }
            ignore::Error::WithDepth { err, .. } | ignore::Error::WithLineNumber { err, .. } => {
                find(base, err)
            }
            ignore::Error::Loop { child, .. } => {
                (Some(relative_path(base, child)), "skipped: file system loop".into())
            }
            ignore::Error::Io(io) => (None, format!("cannot read: {}", io_reason(io))),
            ignore::Error::Partial(errors) => (
                None,
                errors.iter().map(|error| find(base, error).1).collect::<Vec<_>>().join("; "),
            ),
            other => (None, other.to_string()),
        }
    }
    let (path, message) = find(base, error);
    Diagnostic { level: DiagnosticLevel::Error, path, line: None, column: None, message }
}

#[cfg(test)]
mod tests;
