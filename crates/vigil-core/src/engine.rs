//! The engine boundary: one small trait that every scan engine implements.
//!
//! **API boundary:** an engine receives the bytes of one file and its path
//! relative to the scan root, and returns findings and diagnostics. It does not
//! open files, walk directories, read the environment or talk to the network;
//! the scanner does the walking and reads each file exactly once for all
//! engines.
//!
//! A scan runs an engine in two phases. The per-file phase calls
//! [`Engine::scan_file`] for every file the engine [`wants`](Engine::wants),
//! in parallel. The tree phase, after the walk, calls [`Engine::scan_tree`]
//! once with every file the engine [`keeps`](Engine::keeps), sorted by path:
//! what spans files (Terraform variables and modules across a directory, a
//! lockfile with its manifest, a license roll-up of the tree) is found there.
//! A kept file is still read from disk once; the scanner holds its bytes
//! until the tree phase.

use serde::{Deserialize, Serialize};

use crate::{Finding, FindingKind, Rule};

/// One file as handed to an engine.
#[derive(Debug, Clone, Copy)]
pub struct SourceFile<'a> {
    /// Path relative to the scan root, `/`-separated.
    pub path: &'a str,
    /// The file's bytes. Not necessarily valid UTF-8.
    pub content: &'a [u8],
}

impl<'a> SourceFile<'a> {
    /// The content as UTF-8, or the byte offset of the first invalid sequence.
    pub fn text(&self) -> Result<&'a str, usize> {
        std::str::from_utf8(self.content).map_err(|error| error.valid_up_to())
    }
}

/// How serious a diagnostic is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DiagnosticLevel {
    /// Informational: a file was skipped by design (too large, binary).
    Note,
    /// Something could not be fully scanned (a parse error in one file).
    Warning,
    /// Something could not be scanned at all (unreadable file).
    Error,
}

/// A problem with the scan itself (not with the scanned code): a file that
/// could not be read, parsed or was skipped, and why.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Diagnostic {
    /// How serious it is.
    pub level: DiagnosticLevel,
    /// The file concerned, relative to the scan root, when there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// The 1-based line in that file, when the problem has a position.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub line: Option<u32>,
    /// The 1-based column on that line, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub column: Option<u32>,
    /// What went wrong, in lower case, naming the reason.
    pub message: String,
}

impl Diagnostic {
    /// An error about the scan as a whole, not one file.
    pub fn error(message: impl Into<String>) -> Self {
        Diagnostic::general(DiagnosticLevel::Error, message)
    }

    /// A diagnostic about the scan as a whole, not one file.
    pub fn general(level: DiagnosticLevel, message: impl Into<String>) -> Self {
        Diagnostic { level, path: None, line: None, column: None, message: message.into() }
    }

    /// A diagnostic about one file.
    pub fn for_file(
        level: DiagnosticLevel,
        path: impl Into<String>,
        message: impl Into<String>,
    ) -> Self {
        Diagnostic {
            level,
            path: Some(path.into()),
            line: None,
            column: None,
            message: message.into(),
        }
    }

    /// The same diagnostic at `line` (1-based) and, when known, `column`.
    pub fn at(mut self, line: u32, column: Option<u32>) -> Self {
        self.line = Some(line);
        self.column = column;
        self
    }

    /// `path:line:column: message`, with whichever parts are known.
    pub fn describe(&self) -> String {
        let mut text = String::new();
        if let Some(path) = &self.path {
            text.push_str(path);
            if let Some(line) = self.line {
                text.push_str(&format!(":{line}"));
                if let Some(column) = self.column {
                    text.push_str(&format!(":{column}"));
                }
            }
            text.push_str(": ");
        }
        text.push_str(&self.message);
        text
    }
}

/// What an engine produced for one file.
#[derive(Debug, Default)]
pub struct FileOutput {
    /// Findings in any order; the scanner sorts them.
    pub findings: Vec<Finding>,
    /// Problems met while scanning the file.
    pub diagnostics: Vec<Diagnostic>,
    /// What the engine learned about the tree that outlives the scan.
    pub artifacts: Vec<Artifact>,
}

/// Something an engine learned about a file that is worth keeping after
/// the scan: the dependency engine's graph of a lockfile, which the server
/// stores so that advisories published later are matched without fetching
/// the code again. Opaque to everyone but the engine that wrote it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Artifact {
    /// The engine's name ([`Engine::name`]).
    pub engine: &'static str,
    /// The file it is about, relative to the scan root.
    pub path: String,
    /// The engine's own serialisation (JSON).
    pub data: String,
}

/// A scan engine. Implementations must be deterministic: the same file gives
/// the same findings, whatever the order or thread files are handed in.
pub trait Engine: Send + Sync {
    /// Short stable name (`secrets`, `iac`), used in progress and diagnostics.
    fn name(&self) -> &'static str;

    /// The kinds of findings this engine can produce.
    fn kinds(&self) -> &'static [FindingKind];

    /// Every rule the engine runs, for reports and docs.
    fn rules(&self) -> &[Rule];

    /// Whether the engine wants to see the file at `path` at all. The scanner
    /// skips reading files that no engine wants.
    fn wants(&self, path: &str) -> bool {
        let _ = path;
        true
    }

    /// Scans one file, pushing into `output`.
    fn scan_file(&self, file: SourceFile<'_>, output: &mut FileOutput);

    /// Whether the tree phase needs the file at `path`. Kept files are held
    /// in memory until the walk ends, so keep only what [`scan_tree`]
    /// reads (lockfiles, `*.tf`, license files), never every file.
    ///
    /// [`scan_tree`]: Engine::scan_tree
    fn keeps(&self, path: &str) -> bool {
        let _ = path;
        false
    }

    /// The tree phase: runs once per scan after every file went through
    /// [`scan_file`](Engine::scan_file), with every kept file, sorted by
    /// path. Engines that see one file at a time leave it empty.
    fn scan_tree(&self, files: &[SourceFile<'_>], output: &mut FileOutput) {
        let _ = (files, output);
    }
}

/// A shared engine is an engine: a server builds each engine once (rules
/// parsed and compiled) and hands every scan an `Arc` of it.
impl<E: Engine + ?Sized> Engine for std::sync::Arc<E> {
    fn name(&self) -> &'static str {
        (**self).name()
    }

    fn kinds(&self) -> &'static [FindingKind] {
        (**self).kinds()
    }

    fn rules(&self) -> &[Rule] {
        (**self).rules()
    }

    fn wants(&self, path: &str) -> bool {
        (**self).wants(path)
    }

    fn scan_file(&self, file: SourceFile<'_>, output: &mut FileOutput) {
        (**self).scan_file(file, output)
    }

    fn keeps(&self, path: &str) -> bool {
        (**self).keeps(path)
    }

    fn scan_tree(&self, files: &[SourceFile<'_>], output: &mut FileOutput) {
        (**self).scan_tree(files, output)
    }
}
