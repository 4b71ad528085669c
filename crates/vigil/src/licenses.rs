//! `vigil licenses`: the license inventory of a directory. Every license
//! file (LICENSE, COPYING, NOTICE, `debian/copyright`, ...) goes through
//! `vigil_license`'s detector and every manifest (Cargo.toml,
//! package.json, pyproject.toml, ...) through its declared-license reader;
//! one row per file examined: its path, the SPDX expression found (or
//! none) and the score.

use std::io::{Read as _, Write as _};
use std::path::Path;

use anyhow::{Context, Result, bail};
use serde::Serialize;
use vigil_license::{Detector, MAX_BYTES, is_license_file, manifest};

use crate::ExitCode;
use crate::cli::{LicensesArgs, LicensesFormat};

/// Most files examined under one directory.
const MAX_FILES: usize = 100_000;

/// One row of the inventory.
#[derive(Debug, Serialize)]
struct Row {
    /// Relative to the directory given, `/`-separated.
    path: String,
    /// The SPDX expression found, or none.
    expression: Option<String>,
    /// How sure, 0 to 100 (100 for a manifest's declared field).
    score: u8,
    /// What the detector or the manifest reader noted (a file cut at the
    /// size limit, a deprecated id normalised).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    notes: Vec<String>,
}

pub(crate) fn run(args: &LicensesArgs) -> Result<ExitCode> {
    let root = &args.path;
    if !root.is_dir() {
        bail!("{} is not a directory", root.display());
    }
    let detector = Detector::shared();
    let mut rows = Vec::new();
    for entry in ignore::WalkBuilder::new(root).hidden(false).follow_links(false).build() {
        let entry = entry?;
        if !entry.file_type().is_some_and(|kind| kind.is_file()) {
            continue;
        }
        let path = entry.path();
        let Ok(relative) = path.strip_prefix(root) else { continue };
        let relative = relative.to_string_lossy().replace('\\', "/");
        let license_file = is_license_file(path);
        if relative.starts_with(".git/") || !(license_file || manifest::is_manifest(path)) {
            continue;
        }
        if rows.len() >= MAX_FILES {
            bail!("more than {MAX_FILES} license files and manifests under {}", root.display());
        }
        let bytes = read_start(path).with_context(|| format!("cannot read {relative}"))?;
        rows.push(if license_file {
            detected(detector, relative, &bytes)
        } else {
            declared(path, relative, &bytes)
        });
    }
    rows.sort_by(|left, right| left.path.cmp(&right.path));
    let mut out = anstream::stdout();
    match args.format {
        LicensesFormat::Json => {
            writeln!(out, "{}", serde_json::to_string_pretty(&rows)?)?;
        }
        LicensesFormat::Table => {
            let width = rows.iter().map(|row| row.path.len()).max().unwrap_or(4).max(4);
            writeln!(out, "{:width$}  {:>5}  EXPRESSION", "PATH", "SCORE")?;
            for row in &rows {
                let expression = row.expression.as_deref().unwrap_or("(none)");
                writeln!(out, "{:width$}  {:>5}  {expression}", row.path, row.score)?;
            }
        }
    }
    let found = rows.iter().filter(|row| row.expression.is_some()).count();
    writeln!(anstream::stderr(), "{} files examined, a license found in {found}.", rows.len())?;
    Ok(ExitCode::Clean)
}

/// The file's first bytes: one more than the detector examines, so it can
/// say the file was cut.
fn read_start(path: &Path) -> std::io::Result<Vec<u8>> {
    let mut bytes = Vec::new();
    std::fs::File::open(path)?.take(MAX_BYTES as u64 + 1).read_to_end(&mut bytes)?;
    Ok(bytes)
}

fn detected(detector: &Detector, path: String, bytes: &[u8]) -> Row {
    let found = detector.detect(bytes);
    Row { path, expression: found.expression, score: found.score, notes: found.notes }
}

fn declared(file: &Path, path: String, bytes: &[u8]) -> Row {
    match manifest::declared_licenses(file, bytes) {
        Ok(declared) => {
            let expressions: Vec<String> = declared
                .iter()
                .map(|d| d.expression.clone().unwrap_or_else(|| d.raw.clone()))
                .collect();
            let notes = declared.into_iter().flat_map(|d| d.notes).collect();
            let expression = match expressions.len() {
                0 => None,
                1 => expressions.into_iter().next(),
                _ => Some(expressions.join(" AND ")),
            };
            let score = if expression.is_some() { 100 } else { 0 };
            Row { path, expression, score, notes }
        }
        Err(error) => Row { path, expression: None, score: 0, notes: vec![error.to_string()] },
    }
}
