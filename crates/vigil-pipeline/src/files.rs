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

/// Where a repository's own IaC policy files are kept in [`RepoFiles`]:
/// `iac-policies/<path under the policy directory>`.
pub const IAC_POLICY_PREFIX: &str = "iac-policies/";

/// The most policy files read from a policy directory.
pub const MAX_POLICY_FILES: usize = 2_000;

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
        if let Some(dir) = files.get(CONFIG_FILE).and_then(|file| iac_policy_dir(&file.text)) {
            match inside(directory, &dir) {
                Some(path) => problems.extend(files.read_policy_dir(&path, &dir)),
                None => problems.push(Diagnostic::for_file(
                    DiagnosticLevel::Error,
                    CONFIG_FILE,
                    format!("[iac] policies: `{dir}` is not a directory inside the repository"),
                )),
            }
        }
        (files, problems)
    }

    /// Reads the Checkov YAML policies (`*.yaml`, `*.yml`) under `path`,
    /// at most [`MAX_POLICY_FILES`] and three directories deep, links not
    /// followed, replacing any read before; `shown` names the directory in
    /// messages. Unreadable files are named in the returned problems.
    pub fn read_policy_dir(&mut self, path: &Path, shown: &str) -> Vec<Diagnostic> {
        self.files.retain(|name, _| !name.starts_with(IAC_POLICY_PREFIX));
        let mut problems = Vec::new();
        let problem =
            |message: String| Diagnostic::for_file(DiagnosticLevel::Error, shown, message);
        if !path.is_dir() {
            problems.push(problem("IaC policies not read: not a directory".into()));
            return problems;
        }
        let mut found = Vec::new();
        let mut pending = vec![(path.to_path_buf(), 0)];
        while let Some((dir, depth)) = pending.pop() {
            let Ok(entries) = std::fs::read_dir(&dir) else {
                problems
                    .push(problem(format!("IaC policies not read: cannot list {}", dir.display())));
                continue;
            };
            for entry in entries.filter_map(Result::ok) {
                let Ok(kind) = entry.file_type() else { continue };
                let entry_path = entry.path();
                if kind.is_dir() && depth < 3 {
                    pending.push((entry_path, depth + 1));
                } else if kind.is_file()
                    && entry_path.extension().is_some_and(|ext| ext == "yaml" || ext == "yml")
                {
                    found.push(entry_path);
                }
            }
        }
        found.sort();
        if found.len() > MAX_POLICY_FILES {
            problems.push(problem(format!(
                "IaC policies: {} files, only the first {MAX_POLICY_FILES} are read",
                found.len()
            )));
            found.truncate(MAX_POLICY_FILES);
        }
        for file in found {
            let relative =
                file.strip_prefix(path).unwrap_or(&file).to_string_lossy().replace('\\', "/");
            let origin = format!("{}/{relative}", shown.trim_end_matches('/'));
            match read_config_file(&file) {
                Ok(text) => self.insert(&format!("{IAC_POLICY_PREFIX}{relative}"), &origin, text),
                Err(message) => problems.push(Diagnostic::for_file(
                    DiagnosticLevel::Error,
                    origin,
                    format!("not read: {message}"),
                )),
            }
        }
        problems
    }

    /// Adds one of the repository's IaC policy files: `relative` is its path
    /// under the policy directory, `origin` how messages name it.
    pub fn insert_policy_file(&mut self, relative: &str, origin: &str, text: String) {
        self.insert(&format!("{IAC_POLICY_PREFIX}{relative}"), origin, text);
    }

    /// Every file whose name starts with `prefix`, by name.
    pub fn with_prefix<'a>(
        &'a self,
        prefix: &'a str,
    ) -> impl Iterator<Item = (&'a str, &'a RepoFile)> {
        self.files
            .iter()
            .filter(move |(name, _)| name.starts_with(prefix))
            .map(|(name, file)| (name.as_str(), file))
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

/// `[iac] policies` of a `vigil.toml`, when set (problems with the file are
/// reported when the plan parses it).
pub fn iac_policy_dir(config: &str) -> Option<String> {
    let table: toml::Table = toml::from_str(config).ok()?;
    table.get("iac")?.get("policies")?.as_str().map(str::to_owned)
}

/// `relative` under `root`, if it stays inside it (no absolute path, no
/// `..`, no link on the way).
fn inside(root: &Path, relative: &str) -> Option<std::path::PathBuf> {
    let relative = Path::new(relative);
    let plain = relative
        .components()
        .all(|part| matches!(part, std::path::Component::Normal(_) | std::path::Component::CurDir));
    if !plain {
        return None;
    }
    let mut path = root.to_path_buf();
    for part in relative.components() {
        path.push(part);
        let metadata = std::fs::symlink_metadata(&path).ok()?;
        if metadata.file_type().is_symlink() {
            return None;
        }
    }
    path.is_dir().then_some(path)
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
