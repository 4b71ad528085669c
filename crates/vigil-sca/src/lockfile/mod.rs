//! Lockfile and manifest parsers. Each format is one module with one
//! function of type [`ParseFn`]; [`FORMATS`] is the one list of them, and
//! [`format_for`] picks the format of a file by its name.
//!
//! A parser turns text into a [`Parsed`]: every package the file pins
//! ([`Entry`]), the project's own declared dependencies ([`Parsed::roots`])
//! when the file or its companion manifest says them, lines it could not
//! resolve to a version ([`Unresolved`]) and warnings. It never panics on
//! hostile text: a bad entry is skipped with a warning naming its line, and
//! only a file that cannot be read at all is an error.
//!
//! **Adding a format:** write `lockfile/<name>.rs` with
//! `pub(crate) fn parse(lock: Input<'_>, companion: Option<Input<'_>>) ->
//! Result<Parsed, LockfileError>`, add one [`Format`] to [`FORMATS`], and
//! put real fixtures under `tests/fixtures/<name>/`.

use crate::Ecosystem;

mod cargo;
mod composer;
mod conan;
mod gemfile;
mod go;
mod gradle;
mod lines;
mod maven;
mod mix;
mod npm;
mod nuget;
mod pdm;
mod pipfile;
mod pnpm;
mod poetry;
mod pubspec;
mod requirements;
mod swift;
mod uv;
mod yarn;

/// Largest lockfile or manifest read, in bytes. Real lockfiles of large
/// monorepos reach tens of megabytes.
pub const MAX_LOCKFILE_BYTES: usize = 64 * 1024 * 1024;

/// One file handed to a parser.
#[derive(Debug, Clone, Copy)]
pub struct Input<'a> {
    /// Path relative to the scan root, `/`-separated.
    pub path: &'a str,
    /// Its text.
    pub text: &'a str,
}

/// How a dependency is used.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Default,
    serde::Serialize,
    serde::Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum Scope {
    /// Needed at run time.
    #[default]
    Normal,
    /// Only for development, tests or builds.
    Dev,
    /// Optional (an extra, a feature, an optional dependency).
    Optional,
}

/// One package version the file pins.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Entry {
    /// Name as its ecosystem spells it (`@types/node`, `serde`,
    /// `org.apache.logging.log4j:log4j-core`, `github.com/gin-gonic/gin`).
    pub name: String,
    /// The resolved version, as written (`1.2.3`, `v1.2.3`, `2.0.0-rc.1`).
    pub version: String,
    /// Dev or optional when the file says so.
    pub scope: Scope,
    /// 1-based line in the lockfile where this entry starts; 0 when unknown.
    pub line: u32,
    /// What this package depends on, when the file records it.
    pub dependencies: Vec<Req>,
    /// The license the file records for it, as written (npm's
    /// `package-lock.json` and `composer.lock` do; most formats do not).
    pub license: Option<String>,
}

/// A reference to a package: a dependency edge or a declared root.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Req {
    /// The package's name.
    pub name: String,
    /// The exact version it resolves to, when the file says; otherwise the
    /// graph picks the only pinned version of that name (or every one).
    pub version: Option<String>,
    /// Dev or optional for a root declared as such.
    pub scope: Scope,
    /// Where it is declared: the manifest's (or lockfile's) path and
    /// 1-based line; `None` for edges inside the lockfile.
    pub declared: Option<(String, u32)>,
}

/// A declared dependency that has no version Vigil can match (editable
/// installs, URLs, git references, unpinned ranges).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unresolved {
    /// The package, or the line's text when no name can be read.
    pub name: String,
    /// 1-based line.
    pub line: u32,
    /// Why it is not resolved, in words (`an editable install`).
    pub reason: String,
}

/// What one lockfile (with its companion manifest) says.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Parsed {
    /// Every pinned package version, in file order.
    pub packages: Vec<Entry>,
    /// The project's direct dependencies. Empty when the format and its
    /// companion cannot say (then every package counts as direct).
    pub roots: Vec<Req>,
    /// Declared dependencies without a usable version.
    pub unresolved: Vec<Unresolved>,
    /// Problems that did not stop the parse, each naming its line.
    pub warnings: Vec<String>,
}

/// Why a file could not be read at all.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct LockfileError {
    /// 1-based line of the problem, when known.
    pub line: Option<u32>,
    /// What is wrong, in words (`not valid JSON: expected ',' ...`,
    /// `lockfileVersion 9 is not one Vigil reads (1, 2, 3)`).
    pub message: String,
}

impl LockfileError {
    /// An error without a line.
    pub fn new(message: impl Into<String>) -> LockfileError {
        LockfileError { line: None, message: message.into() }
    }

    /// An error at `line`.
    pub fn at(line: u32, message: impl Into<String>) -> LockfileError {
        LockfileError { line: Some(line), message: message.into() }
    }
}

/// A parser: the lockfile, and its companion manifest when present.
pub type ParseFn = fn(Input<'_>, Option<Input<'_>>) -> Result<Parsed, LockfileError>;

/// One lockfile or manifest format.
pub struct Format {
    /// Short name (`package-lock`, `yarn`, `cargo`), also the fixture folder.
    pub name: &'static str,
    /// Its ecosystem.
    pub ecosystem: Ecosystem,
    /// Whether the file at a path (relative, `/`-separated) is this format.
    pub matches: fn(&str) -> bool,
    /// The manifest read with it from the same directory, if any.
    pub companion: Option<&'static str>,
    /// The parser.
    pub parse: ParseFn,
}

/// Every format, in the order a directory's files are tried.
pub static FORMATS: &[Format] = &[
    Format {
        name: "package-lock",
        ecosystem: Ecosystem::Npm,
        matches: |path| {
            file_name(path) == "package-lock.json" || file_name(path) == "npm-shrinkwrap.json"
        },
        companion: Some("package.json"),
        parse: npm::parse,
    },
    Format {
        name: "yarn",
        ecosystem: Ecosystem::Npm,
        matches: |path| file_name(path) == "yarn.lock",
        companion: Some("package.json"),
        parse: yarn::parse,
    },
    Format {
        name: "pnpm",
        ecosystem: Ecosystem::Npm,
        matches: |path| file_name(path) == "pnpm-lock.yaml",
        companion: Some("package.json"),
        parse: pnpm::parse,
    },
    Format {
        name: "cargo",
        ecosystem: Ecosystem::CratesIo,
        matches: |path| file_name(path) == "Cargo.lock",
        companion: Some("Cargo.toml"),
        parse: cargo::parse,
    },
    Format {
        name: "go",
        ecosystem: Ecosystem::Go,
        matches: |path| file_name(path) == "go.mod",
        companion: Some("go.sum"),
        parse: go::parse,
    },
    Format {
        name: "requirements",
        ecosystem: Ecosystem::PyPI,
        matches: |path| {
            let name = file_name(path);
            name.ends_with(".txt")
                && (name.starts_with("requirements") || name.ends_with("requirements.txt"))
        },
        companion: None,
        parse: requirements::parse,
    },
    Format {
        name: "pipfile",
        ecosystem: Ecosystem::PyPI,
        matches: |path| file_name(path) == "Pipfile.lock",
        companion: Some("Pipfile"),
        parse: pipfile::parse,
    },
    Format {
        name: "poetry",
        ecosystem: Ecosystem::PyPI,
        matches: |path| file_name(path) == "poetry.lock",
        companion: Some("pyproject.toml"),
        parse: poetry::parse,
    },
    Format {
        name: "uv",
        ecosystem: Ecosystem::PyPI,
        matches: |path| file_name(path) == "uv.lock",
        companion: Some("pyproject.toml"),
        parse: uv::parse,
    },
    Format {
        name: "pdm",
        ecosystem: Ecosystem::PyPI,
        matches: |path| file_name(path) == "pdm.lock",
        companion: Some("pyproject.toml"),
        parse: pdm::parse,
    },
    Format {
        name: "gemfile",
        ecosystem: Ecosystem::RubyGems,
        matches: |path| file_name(path) == "Gemfile.lock" || file_name(path) == "gems.locked",
        companion: None,
        parse: gemfile::parse,
    },
    Format {
        name: "composer",
        ecosystem: Ecosystem::Packagist,
        matches: |path| file_name(path) == "composer.lock",
        companion: Some("composer.json"),
        parse: composer::parse,
    },
    Format {
        name: "maven",
        ecosystem: Ecosystem::Maven,
        matches: |path| file_name(path) == "pom.xml",
        companion: None,
        parse: maven::parse,
    },
    Format {
        name: "gradle",
        ecosystem: Ecosystem::Maven,
        matches: |path| {
            let name = file_name(path);
            name == "gradle.lockfile"
                || name == "buildscript-gradle.lockfile"
                || (name.ends_with(".lockfile") && path.contains("gradle/dependency-locks/"))
        },
        companion: None,
        parse: gradle::parse,
    },
    Format {
        name: "nuget",
        ecosystem: Ecosystem::NuGet,
        matches: |path| file_name(path) == "packages.lock.json",
        companion: None,
        parse: nuget::parse,
    },
    Format {
        name: "mix",
        ecosystem: Ecosystem::Hex,
        matches: |path| file_name(path) == "mix.lock",
        companion: Some("mix.exs"),
        parse: mix::parse,
    },
    Format {
        name: "pubspec",
        ecosystem: Ecosystem::Pub,
        matches: |path| file_name(path) == "pubspec.lock",
        companion: None,
        parse: pubspec::parse,
    },
    Format {
        name: "swift",
        ecosystem: Ecosystem::SwiftURL,
        matches: |path| file_name(path) == "Package.resolved",
        companion: None,
        parse: swift::parse,
    },
    Format {
        name: "conan",
        ecosystem: Ecosystem::ConanCenter,
        matches: |path| file_name(path) == "conan.lock",
        companion: None,
        parse: conan::parse,
    },
];

/// The format of the file at `path`, by its name (and, for Gradle's older
/// per-configuration files, its directory).
pub fn format_for(path: &str) -> Option<&'static Format> {
    FORMATS.iter().find(|format| (format.matches)(path))
}

/// The last segment of `path`.
fn file_name(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}

/// Whether `path` is a companion manifest of some format (read only beside
/// its lockfile).
pub fn is_companion(path: &str) -> bool {
    let name = file_name(path);
    FORMATS.iter().any(|format| format.companion == Some(name))
}

/// 1-based line of byte `offset` in `text` (one scan; [`lines::LineIndex`]
/// for many offsets of one text).
pub(crate) fn line_of(text: &str, offset: usize) -> u32 {
    let offset = offset.min(text.len());
    let newlines = text.as_bytes()[..offset].iter().filter(|&&byte| byte == b'\n').count();
    u32::try_from(newlines + 1).unwrap_or(u32::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_are_found_by_file_name() {
        assert_eq!(format_for("a/b/package-lock.json").map(|f| f.name), Some("package-lock"));
        assert_eq!(format_for("requirements-dev.txt").map(|f| f.name), Some("requirements"));
        assert_eq!(format_for("Cargo.lock").map(|f| f.name), Some("cargo"));
        let old_gradle = "app/gradle/dependency-locks/compileClasspath.lockfile";
        assert_eq!(format_for(old_gradle).map(|f| f.name), Some("gradle"));
        assert_eq!(format_for("app/other.lockfile").map(|f| f.name), None);
        assert_eq!(format_for("package.json").map(|f| f.name), None);
        assert!(is_companion("web/package.json"));
        assert!(!is_companion("web/index.js"));
    }

    #[test]
    fn names_are_unique() {
        let mut names: Vec<&str> = FORMATS.iter().map(|format| format.name).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), FORMATS.len());
    }

    #[test]
    fn lines_count_from_one() {
        assert_eq!(line_of("a\nb\nc", 0), 1);
        assert_eq!(line_of("a\nb\nc", 2), 2);
        assert_eq!(line_of("a\nb\nc", 99), 3);
    }
}
