//! The `gradle` format: Gradle's dependency lock files. Owns reading their
//! lines into entries; it must not guess roots (a lock file does not say
//! which dependencies the build script declares, so `roots` stays empty).
//!
//! Two layouts, one line format:
//! - Gradle 6 and later write one `gradle.lockfile` per project, each line
//!   `group:artifact:version=configuration1,configuration2`, plus one
//!   `empty=...` line naming configurations that resolve nothing
//!   (`buildscript-gradle.lockfile` is the same for the build script's own
//!   classpath);
//! - older builds write `gradle/dependency-locks/<configuration>.lockfile`,
//!   each line `group:artifact:version` with the configuration in the file
//!   name.
//!
//! A package is dev when every configuration it is locked in is a test one
//! (`test…` or `…Test…`, e.g. `testRuntimeClasspath`,
//! `integrationTestCompileClasspath`), and every package of the build
//! script's lock file is dev. Lines starting with `#` are comments.

use super::{Entry, Input, LockfileError, Parsed, Scope};

/// Reads a Gradle lock file; `companion` is unused.
pub(crate) fn parse(
    lock: Input<'_>,
    companion: Option<Input<'_>>,
) -> Result<Parsed, LockfileError> {
    let _ = companion;
    let file_name = lock.path.rsplit('/').next().unwrap_or(lock.path);
    let build_script = file_name.starts_with("buildscript");
    // The old layout names the configuration in the file name.
    let file_configuration = if file_name.ends_with("gradle.lockfile") {
        None
    } else {
        file_name.strip_suffix(".lockfile")
    };

    let mut parsed = Parsed::default();
    let mut first_bad: Option<(u32, String)> = None;
    for (index, raw_line) in lock.text.lines().enumerate() {
        let line = u32::try_from(index + 1).unwrap_or(u32::MAX);
        let text = raw_line.trim();
        if text.is_empty() || text.starts_with('#') {
            continue;
        }
        let (coordinates, configurations) = match text.split_once('=') {
            Some((coordinates, configurations)) => {
                (coordinates.trim(), Some(configurations.trim()))
            }
            None => (text, None),
        };
        if coordinates == "empty" {
            continue;
        }
        let mut parts = coordinates.split(':');
        let (Some(group), Some(artifact), version, None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            let shown: String = text.chars().take(80).collect();
            parsed
                .warnings
                .push(format!("line {line}: `{shown}` is not group:artifact:version; skipped"));
            first_bad.get_or_insert((line, shown));
            continue;
        };
        if group.is_empty() || artifact.is_empty() {
            let shown: String = text.chars().take(80).collect();
            parsed
                .warnings
                .push(format!("line {line}: `{shown}` has an empty group or artifact; skipped"));
            first_bad.get_or_insert((line, shown));
            continue;
        }
        let name = format!("{group}:{artifact}");
        let Some(version) = version.filter(|version| !version.is_empty()) else {
            parsed.warnings.push(format!("line {line}: package `{name}` has no version; skipped"));
            continue;
        };
        let dev = build_script
            || match configurations.or(file_configuration) {
                Some(list) => {
                    let mut names = list.split(',').map(str::trim).filter(|name| !name.is_empty());
                    let mut any = false;
                    let all_test = names.all(|name| {
                        any = true;
                        is_test_configuration(name)
                    });
                    any && all_test
                }
                None => false,
            };
        let scope = if dev { Scope::Dev } else { Scope::Normal };
        parsed.packages.push(Entry {
            name,
            version: version.to_owned(),
            scope,
            line,
            dependencies: Vec::new(),
            license: None,
        });
    }
    if parsed.packages.is_empty() {
        if let Some((line, shown)) = first_bad {
            return Err(LockfileError::at(
                line,
                format!(
                    "not a Gradle lock file: line {line} (`{shown}`) is not group:artifact:version=configurations"
                ),
            ));
        }
    }
    Ok(parsed)
}

/// Whether a configuration only serves tests (`testRuntimeClasspath`,
/// `integrationTestCompileClasspath`, `androidTestImplementation`).
fn is_test_configuration(name: &str) -> bool {
    name.starts_with("test") || name.contains("Test")
}
