//! [`RepoFiles`]: the repository's own configuration files, by name. The
//! CLI and full scans read them from the scanned directory; a merge
//! request's scan fetches them at the MR's head beside the changed files,
//! so its settings are the branch's, not the default branch's.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::Path;

use vigil_core::{Diagnostic, DiagnosticLevel};

use crate::config::{BASELINE_FILE, CONFIG_FILE, SECRETS_IGNORE_FILE};

/// The largest configuration file read (a baseline of about 50,000
/// findings); a larger one is a problem, not a slow scan.
pub const MAX_CONFIG_FILE_BYTES: u64 = 10_000_000;

/// One configuration file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RepoFile {
    /// How messages name it: the path given on the command line, or the
    /// file's path in the repository.
    pub origin: String,
    /// Its text.
    pub text: String,
}

/// The configuration files of one repository, keyed by their name at the
/// repository's root (`vigil.toml`, `.gitleaks.toml`, ...).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RepoFiles {
    files: BTreeMap<String, RepoFile>,
}

impl RepoFiles {
    /// Every file name the pipeline reads at a repository's root: its own
    /// and each registered engine's.
    pub fn names() -> Vec<&'static str> {
        let mut names = vec![CONFIG_FILE, SECRETS_IGNORE_FILE, BASELINE_FILE];
        for entry in crate::registry::ENGINES {
            names.extend(entry.config_files.iter().copied());
        }
        names
    }

    /// Reads every file of [`RepoFiles::names`] present in `directory`.
    /// A file that cannot be read (too large, not UTF-8, a link, unreadable)
    /// is left out and named in the returned diagnostics.
    pub fn read_dir(directory: &Path) -> (RepoFiles, Vec<Diagnostic>) {
        let mut files = RepoFiles::default();
        let mut problems = Vec::new();
        if !directory.is_dir() {
            return (files, problems);
        }
        for name in RepoFiles::names() {
            let path = directory.join(name);
            let Ok(metadata) = std::fs::symlink_metadata(&path) else { continue };
            let problem = |message: String| {
                Diagnostic::for_file(DiagnosticLevel::Error, name, format!("not read: {message}"))
            };
            if !metadata.is_file() {
                problems.push(problem("not a regular file (links are not followed)".into()));
                continue;
            }
            match read_config_file(&path) {
                Ok(text) => files.insert(name, name, text),
                Err(message) => problems.push(problem(message)),
            }
        }
        (files, problems)
    }

    /// The same files, named in messages by their path under `directory`
    /// (what a person ran the CLI on) instead of by their name alone.
    pub fn with_origins_under(mut self, directory: &Path) -> RepoFiles {
        for (name, file) in &mut self.files {
            file.origin = directory.join(name).display().to_string();
        }
        self
    }

    /// Sets the file `name` to `text`, named `origin` in messages.
    pub fn insert(&mut self, name: &str, origin: &str, text: String) {
        self.files.insert(name.to_owned(), RepoFile { origin: origin.to_owned(), text });
    }

    /// The file called `name`, if the repository has it.
    pub fn get(&self, name: &str) -> Option<&RepoFile> {
        self.files.get(name)
    }

    /// Whether no configuration file is present.
    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }
}

/// Reads a configuration file of at most [`MAX_CONFIG_FILE_BYTES`] as UTF-8
/// (`--config FILE`, `--gitleaks-config FILE`).
pub fn read_config_file(path: &Path) -> Result<String, String> {
    let file = std::fs::File::open(path).map_err(|error| error.to_string())?;
    let mut bytes = Vec::new();
    file.take(MAX_CONFIG_FILE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|error| error.to_string())?;
    if bytes.len() as u64 > MAX_CONFIG_FILE_BYTES {
        return Err(format!(
            "over the {} limit for configuration files",
            vigil_scanner::human_bytes(MAX_CONFIG_FILE_BYTES)
        ));
    }
    String::from_utf8(bytes).map_err(|error| {
        format!("not UTF-8 text (invalid byte at offset {})", error.utf8_error().valid_up_to())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_known_files_and_names_those_it_cannot() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("vigil.toml"), "[scan]\n").unwrap();
        std::fs::write(dir.path().join(".vigilignore-secrets"), vec![b'a'; 10_000_001]).unwrap();
        std::fs::write(dir.path().join(".gitleaks.toml"), [0xff, 0xfe]).unwrap();
        std::fs::write(dir.path().join("other.toml"), "x").unwrap();
        let (files, problems) = RepoFiles::read_dir(dir.path());
        assert_eq!(files.get("vigil.toml").unwrap().text, "[scan]\n");
        assert!(files.get(".vigilignore-secrets").is_none());
        let problems: Vec<String> = problems.iter().map(Diagnostic::describe).collect();
        assert_eq!(
            problems,
            [
                ".vigilignore-secrets: not read: over the 10 MB limit for configuration files",
                ".gitleaks.toml: not read: not UTF-8 text (invalid byte at offset 0)",
            ]
        );
    }
}
