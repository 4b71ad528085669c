//! The test harness: a temporary project directory and a way to run `vigil`
//! in it.

use std::path::{Path, PathBuf};
use std::process::Command;

/// A GitHub token in the real format, random, never live.
pub(crate) const GITHUB_TOKEN: &str = "ghp_qQuHOtnUnwiedLRNSFNSzDf4IX6pmARK7vPU";
/// An AWS access key ID in the real format, random, never live.
pub(crate) const AWS_KEY_ID: &str = "AKIAZ5IE4ZYEYRUHWWTV";

pub(crate) struct Project {
    dir: tempfile::TempDir,
}

pub(crate) struct Run {
    pub(crate) code: i32,
    pub(crate) stdout: String,
    pub(crate) stderr: String,
}

impl Run {
    pub(crate) fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|error| panic!("stdout is not JSON ({error}):\n{}", self.stdout))
    }
}

impl std::fmt::Debug for Run {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "exit {}\n--- stdout\n{}\n--- stderr\n{}", self.code, self.stdout, self.stderr)
    }
}

impl Project {
    pub(crate) fn new() -> Project {
        Project { dir: tempfile::tempdir().unwrap() }
    }

    pub(crate) fn root(&self) -> &Path {
        self.dir.path()
    }

    pub(crate) fn path(&self, relative: &str) -> PathBuf {
        self.dir.path().join(relative)
    }

    pub(crate) fn write(&self, relative: &str, content: impl AsRef<[u8]>) -> &Project {
        let path = self.path(relative);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, content).unwrap();
        self
    }

    /// Runs `vigil ARGS` with the project as the working directory.
    pub(crate) fn vigil(&self, args: &[&str]) -> Run {
        run(Command::new(binary()).args(args).current_dir(self.root()).env_remove("CI_COMMIT_SHA"))
    }
}

pub(crate) fn binary() -> &'static str {
    env!("CARGO_BIN_EXE_vigil")
}

pub(crate) fn run(command: &mut Command) -> Run {
    let output = command.output().unwrap();
    Run {
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

/// `../shared` next to the repository: labelled corpora and official schemas.
pub(crate) fn shared() -> PathBuf {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared");
    assert!(path.is_dir(), "the shared data directory {} is needed by this test", path.display());
    path
}

pub(crate) fn validate(schema_relative: &str, instance: &serde_json::Value) {
    let path = shared().join("schemas").join(schema_relative);
    let schema: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    let errors: Vec<String> =
        validator.iter_errors(instance).map(|e| format!("{e} at {}", e.instance_path)).collect();
    assert!(errors.is_empty(), "{schema_relative} rejects the output:\n{}", errors.join("\n"));
}
