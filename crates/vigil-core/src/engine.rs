//! The engine boundary: one small trait that every scan engine implements.
//!
//! **API boundary:** an engine receives the bytes of one file and its path
//! relative to the scan root, and returns findings and diagnostics. It does not
//! open files, walk directories, read the environment or talk to the network;
//! the scanner does the walking and reads each file exactly once for all
//! engines.

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
    /// What went wrong, in lower case, naming the reason.
    pub message: String,
}

impl Diagnostic {
    /// An error about the scan as a whole, not one file.
    pub fn error(message: impl Into<String>) -> Self {
        Diagnostic { level: DiagnosticLevel::Error, path: None, message: message.into() }
    }

    /// A diagnostic about one file.
    pub fn for_file(
        level: DiagnosticLevel,
        path: impl Into<String>,
        message: impl Into<String>,
    ) -> Self {
        Diagnostic { level, path: Some(path.into()), message: message.into() }
    }
}

/// What an engine produced for one file.
#[derive(Debug, Default)]
pub struct FileOutput {
    /// Findings in any order; the scanner sorts them.
    pub findings: Vec<Finding>,
    /// Problems met while scanning the file.
    pub diagnostics: Vec<Diagnostic>,
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
}
