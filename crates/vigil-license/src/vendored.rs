//! Licenses of code a repository carries from elsewhere. A license file
//! below the repository's root (`third_party/zlib/LICENSE`,
//! `vendor/github.com/acme/lib/COPYING`) says under which terms the code
//! beside it came in:
//!
//! - a package of a lockfile whose copy sits under `vendor/` (Go modules'
//!   `vendor/<module>/`, `cargo vendor`'s `vendor/<crate>/`) takes its
//!   license from there when the lockfile records none
//!   ([`Vendored::package_license`]; the engine judges it as LIC001/LIC002),
//!   and a lockfile package's copy is never judged again on its own
//!   (Composer's `vendor/<package>/LICENSE` beside the license
//!   `composer.lock` records);
//! - every other such file is judged as vendored code (LIC003).
//!
//! The repository's own terms are not findings: the license files at its
//! root (and a root `debian/copyright`) are its own license, and a nested
//! license file naming only licenses the root ones name is the project's
//! own (a monorepo's packages). Directories whose code is not shipped or is
//! judged elsewhere are skipped: tests and fixtures (`test`, `tests`,
//! `testdata`, `fixtures`, `__tests__`, `__fixtures__`), documentation
//! (`doc`, `docs`, `documentation`: a `docs/licenses.md` is about licenses)
//! and `node_modules` (its packages are in the lockfile). A vendored
//! LICENSE, LICENCE, COPYING or UNLICENSE file whose text matches no known
//! license is a note, not a finding (a NOTICE without terms is nothing).
//!
//! Pure: kept files in, findings and notes out.

use std::collections::{BTreeSet, HashMap, HashSet};

use vigil_core::{
    Diagnostic, DiagnosticLevel, FileOutput, Finding, FindingKind, LicenseInfo, Location,
    SourceFile,
};

use vigil_sca::Ecosystem;
use vigil_sca::graph::dirs_above;

use crate::detect::{Detector, FileLicense};
use crate::policy::LicensePolicy;

/// Directory names whose license files are not judged.
const SKIPPED_DIRS: &[&str] = &[
    "node_modules",
    "test",
    "tests",
    "testdata",
    "fixtures",
    "__tests__",
    "__fixtures__",
    "doc",
    "docs",
    "documentation",
];

/// Whether `path` (relative, `/`-separated) is a license file of the
/// repository's own: at the root, or the root's `debian/copyright`.
fn at_root(path: &str) -> bool {
    !path.contains('/') || path == "debian/copyright"
}

/// Whether `path` is a license file whose directory is judged.
fn vendored(path: &str) -> bool {
    !at_root(path)
        && crate::is_license_file(std::path::Path::new(path))
        && !path.split('/').any(|part| SKIPPED_DIRS.contains(&part))
}

/// The first of `candidates` (directories) that `map` holds, with its
/// entry.
fn lookup<'m, 'a>(
    map: &'m HashMap<&'a str, (String, &'a str)>,
    candidates: &[String],
) -> Option<(&'m str, &'a str)> {
    candidates.iter().find_map(|dir| {
        let (expression, file) = map.get(dir.as_str())?;
        Some((expression.as_str(), *file))
    })
}

/// The `license` of every `Cargo.toml` in a directory under a `vendor/`
/// (`cargo vendor`'s copies), by directory.
fn vendored_manifests<'a>(files: &'a [SourceFile<'a>]) -> HashMap<&'a str, (String, &'a str)> {
    files
        .iter()
        .filter_map(|file| {
            let dir = file.path.strip_suffix("/Cargo.toml")?;
            if !(dir.starts_with("vendor/") || dir.contains("/vendor/")) {
                return None;
            }
            let declared =
                crate::manifest::declared_licenses(std::path::Path::new(file.path), file.content)
                    .ok()?;
            let expression = declared.into_iter().find_map(|entry| entry.expression)?;
            Some((dir, (expression, file.path)))
        })
        .collect()
}

/// Files detected at once on one thread before more are started.
const PER_THREAD: usize = 16;

/// Detects every file, on as many threads as there are cores when there are
/// many (a vendor directory can hold hundreds), in the files' order.
fn detect_all<'a>(
    detector: &Detector,
    files: Vec<&'a SourceFile<'a>>,
) -> Vec<(&'a SourceFile<'a>, FileLicense)> {
    let threads = std::thread::available_parallelism().map_or(1, usize::from).min(8);
    let chunk = files.len().div_ceil(threads).max(PER_THREAD);
    if files.len() <= chunk {
        return files.into_iter().map(|file| (file, detector.detect(file.content))).collect();
    }
    std::thread::scope(|scope| {
        let workers: Vec<_> = files
            .chunks(chunk)
            .map(|part| {
                scope.spawn(move || {
                    part.iter()
                        .map(|file| (*file, detector.detect(file.content)))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        workers
            .into_iter()
            .flat_map(|worker| match worker.join() {
                Ok(found) => found,
                // Detection does not panic (the detector's contract); were it
                // to, re-raise it rather than lose files silently.
                Err(panic) => std::panic::resume_unwind(panic),
            })
            .collect()
    })
}

/// Whether a license file's name says it holds terms (LICENSE, LICENCE,
/// COPYING, UNLICENSE), unlike NOTICE, COPYRIGHT or PATENTS.
fn names_terms(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or(path).to_ascii_lowercase();
    ["licen", "copying", "unlicense"].iter().any(|stem| name.starts_with(stem))
}

/// The license ids of an expression (without operators or exceptions).
fn ids(expression: &str) -> BTreeSet<String> {
    match spdx::Expression::parse_mode(expression, spdx::ParseMode::LAX) {
        Ok(parsed) => parsed
            .requirements()
            .map(|req| match &req.req.license {
                spdx::LicenseItem::Spdx { id, .. } => id.name.to_owned(),
                spdx::LicenseItem::Other(reference) => format!("LicenseRef-{}", reference.lic_ref),
            })
            .collect(),
        Err(_) => BTreeSet::from([expression.to_owned()]),
    }
}

/// The license files below the root, each detected once: what the engine
/// reads vendored packages' licenses from (`vendor/<module>/LICENSE`) and
/// judges as vendored code.
pub(crate) struct Vendored<'a> {
    /// Each judged license file below the root with what it holds.
    nested: Vec<(&'a SourceFile<'a>, FileLicense)>,
    /// The license ids of the root's license files.
    own: BTreeSet<String>,
    /// Per directory: its license files' expressions joined with AND, and
    /// the first of those files.
    dirs: HashMap<&'a str, (String, &'a str)>,
    /// Per directory under a `vendor/`: the `license` its `Cargo.toml`
    /// declares, and that file.
    manifests: HashMap<&'a str, (String, &'a str)>,
}

impl<'a> Vendored<'a> {
    /// Detects the license files among `files` (every kept file); builds
    /// the index only when one is below the root.
    pub(crate) fn of(files: &'a [SourceFile<'a>]) -> Vendored<'a> {
        let manifests = vendored_manifests(files);
        let nested: Vec<&SourceFile<'_>> =
            files.iter().filter(|file| vendored(file.path)).collect();
        if nested.is_empty() {
            let (nested, own, dirs) = (Vec::new(), BTreeSet::new(), HashMap::new());
            return Vendored { nested, own, dirs, manifests };
        }
        let detector = Detector::shared();
        let own = files
            .iter()
            .filter(|file| {
                at_root(file.path) && crate::is_license_file(std::path::Path::new(file.path))
            })
            .filter_map(|file| detector.detect(file.content).expression)
            .flat_map(|expression| ids(&expression))
            .collect();
        let nested = detect_all(detector, nested);
        let mut dirs: HashMap<&str, (String, &str)> = HashMap::new();
        for (file, found) in &nested {
            let (Some(expression), Some((dir, _))) =
                (found.expression.as_deref(), file.path.rsplit_once('/'))
            else {
                continue;
            };
            match dirs.get_mut(dir) {
                Some((joined, _)) => {
                    if !joined.split(" AND ").any(|part| part == expression) {
                        joined.push_str(" AND ");
                        joined.push_str(expression);
                    }
                }
                None => {
                    dirs.insert(dir, (expression.to_owned(), file.path));
                }
            }
        }
        Vendored { nested, own, dirs, manifests }
    }

    /// The license of a package of `ecosystem` whose copies would be in
    /// the directories `copies` ([`vigil_sca::graph::Graph::vendored_dirs`]:
    /// `vendor/<module>` for Go, `vendor/<crate>` or
    /// `vendor/<crate>-<version>` for `cargo vendor`), with the file that
    /// gives it: a vendored crate's `Cargo.toml` `license`
    /// when it declares one (it says `MIT OR Apache-2.0` where the two
    /// license files only say that both texts are there), else the AND of
    /// its license files.
    pub(crate) fn package_license(
        &self,
        ecosystem: Ecosystem,
        copies: &[String],
    ) -> Option<(&str, &'a str)> {
        let from_manifest = match ecosystem {
            Ecosystem::CratesIo => lookup(&self.manifests, copies),
            _ => None,
        };
        from_manifest.or_else(|| lookup(&self.dirs, copies))
    }

    /// No license file below the root and no vendored manifest.
    pub(crate) fn is_empty(&self) -> bool {
        self.dirs.is_empty() && self.manifests.is_empty() && self.nested.is_empty()
    }

    /// The findings for the vendored license files not inside `claimed`
    /// (the directories of lockfile packages' copies, judged with their
    /// package), judged by `policy`.
    pub(crate) fn judge(
        &self,
        policy: &LicensePolicy,
        claimed: &HashSet<String>,
        output: &mut FileOutput,
    ) -> Vec<Finding> {
        let mut findings = Vec::new();
        for (file, found) in &self.nested {
            // A claimed package's directory and everything below it are
            // that package's, judged once with it.
            if dirs_above(file.path).any(|dir| claimed.contains(dir)) {
                continue;
            }
            let Some(expression) = found.expression.as_deref() else {
                // NOTICE, COPYRIGHT and PATENTS files often hold no terms.
                if !names_terms(file.path) {
                    continue;
                }
                output.diagnostics.push(Diagnostic::for_file(
                    DiagnosticLevel::Note,
                    file.path,
                    "license file of vendored code: its text matches no license Vigil knows, so the code's terms were not checked".to_owned(),
                ));
                continue;
            };
            if ids(expression).is_subset(&self.own) {
                continue;
            }
            if let Some(finding) = finding(file, found, expression, policy) {
                findings.push(finding);
            }
        }
        findings
    }
}

/// The finding for one vendored license file, if the policy rejects it.
fn finding(
    file: &SourceFile<'_>,
    found: &FileLicense,
    expression: &str,
    policy: &LicensePolicy,
) -> Option<Finding> {
    let directory = file.path.rsplit_once('/').map_or(file.path, |(directory, _)| directory);
    let judgement = policy.judge(directory, expression);
    let severity = judgement.severity?;
    let first = found.detections.first();
    let start_line = first.map_or(1, |detection| detection.start_line.max(1));
    let end_line =
        found.detections.last().map_or(start_line, |detection| detection.end_line.max(start_line));
    let title =
        format!("Vendored code in {directory}/: {expression} ({})", judgement.category.words());
    let text = file.text().ok();
    let last_line = text.and_then(|text| text.lines().nth(end_line as usize - 1));
    let end_column = last_line.map_or(1, |line| line.chars().count() as u32 + 1);
    let location =
        Location::line_span(file.path, start_line, 1, end_line.max(start_line), end_column);
    let mut finding = Finding::new(
        FindingKind::License,
        crate::engine::VENDORED_LICENSE,
        title,
        severity,
        location,
        &format!("{directory} {expression}"),
    );
    finding.license = Some(LicenseInfo {
        expression: expression.to_owned(),
        category: judgement.category.as_str().to_owned(),
    });
    finding.evidence.snippet = text
        .and_then(|text| text.lines().nth(start_line as usize - 1))
        .map(|line| line.chars().take(200).collect());
    finding.remediation = format!(
        "{} ({} gives the terms of the code in {directory}/, which is not the repository's own license). Remove or replace that code, or, once your legal review accepts {expression} for it, allow the license (`allow = [\"ID\"]`) or the directory (`allow_packages = [\"{directory}\"]`) under [licenses] in vigil.toml.",
        judgement.reason, file.path
    );
    Some(finding)
}
