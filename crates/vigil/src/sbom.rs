//! `vigil sbom`: reads the lockfiles under a directory (with their
//! companion manifests) and writes a CycloneDX 1.6 or SPDX 2.3 document.
//! The graphs and the documents are `vigil_sca`'s.

use std::io::Write as _;
use std::path::Path;

use anyhow::{Context, Result, bail};
use vigil_core::SourceFile;
use vigil_sca::lockfile::{MAX_LOCKFILE_BYTES, format_for, is_companion};
use vigil_sca::sbom::{self, Meta};

use crate::ExitCode;
use crate::cli::{SbomArgs, SbomFormat};

/// Most lockfiles and manifests read from one tree.
const MAX_FILES: usize = 100_000;

pub(crate) fn run(args: &SbomArgs) -> Result<ExitCode> {
    let graphs = lockfile_graphs(&args.path)?;
    let mut stderr = anstream::stderr();
    let created = jiff::Timestamp::now();
    let name = std::fs::canonicalize(&args.path)
        .ok()
        .and_then(|path| path.file_name().map(|n| n.to_string_lossy().into_owned()))
        .unwrap_or_else(|| "project".to_owned());
    let digest = vigil_core::sha256_hex(format!("{name}\0{created}").as_bytes());
    let serial = format!(
        "{}-{}-4{}-8{}-{}",
        &digest[..8],
        &digest[8..12],
        &digest[13..16],
        &digest[17..20],
        &digest[20..32]
    );
    let meta = Meta {
        name,
        tool_version: env!("CARGO_PKG_VERSION").to_owned(),
        created: created.strftime("%Y-%m-%dT%H:%M:%SZ").to_string(),
        serial,
    };
    let document = match args.format {
        SbomFormat::Cyclonedx => sbom::cyclonedx(&graphs, &meta),
        SbomFormat::Spdx => sbom::spdx(&graphs, &meta),
    };
    let text = serde_json::to_string_pretty(&document)? + "\n";
    match &args.output {
        Some(path) => std::fs::write(path, text)
            .with_context(|| format!("cannot write {}", path.display()))?,
        None => anstream::stdout()
            .write_all(text.as_bytes())
            .context("cannot write to standard output")?,
    }
    let packages: usize = graphs.iter().map(|graph| graph.nodes.len()).sum();
    writeln!(stderr, "{} packages from {} lockfiles.", packages, graphs.len())?;
    Ok(ExitCode::Clean)
}

/// The graph of every lockfile under `root` (with its companion manifest);
/// a file that cannot be read is a warning on standard error, and no
/// lockfile at all is an error. `vigil sbom` and `vigil metadata fetch`
/// read their input so.
pub(crate) fn lockfile_graphs(root: &Path) -> Result<Vec<vigil_sca::graph::Graph>> {
    if !root.is_dir() {
        bail!("{} is not a directory", root.display());
    }
    let files = read_tree(root)?;
    let sources: Vec<SourceFile<'_>> =
        files.iter().map(|(path, bytes)| SourceFile { path, content: bytes }).collect();
    let (graphs, problems) = vigil_sca::engine::graphs(&sources);
    let mut stderr = anstream::stderr();
    for problem in &problems {
        writeln!(stderr, "warning: {}", problem.describe())?;
    }
    if graphs.is_empty() {
        bail!("no lockfile Vigil reads under {} (docs/dependencies.md lists them)", root.display());
    }
    Ok(graphs)
}

/// The lockfiles and companion manifests under `root`, with paths relative
/// to it, sorted; each read to at most the lockfile limit.
fn read_tree(root: &Path) -> Result<Vec<(String, Vec<u8>)>> {
    let mut files = Vec::new();
    for entry in ignore::WalkBuilder::new(root).hidden(false).follow_links(false).build() {
        let entry = entry?;
        if !entry.file_type().is_some_and(|kind| kind.is_file()) {
            continue;
        }
        let Ok(relative) = entry.path().strip_prefix(root) else { continue };
        let relative = relative.to_string_lossy().replace('\\', "/");
        if relative.starts_with(".git/")
            || !(format_for(&relative).is_some() || is_companion(&relative))
        {
            continue;
        }
        if files.len() >= MAX_FILES {
            bail!("more than {MAX_FILES} lockfiles and manifests under {}", root.display());
        }
        let mut bytes = Vec::new();
        let file =
            std::fs::File::open(entry.path()).with_context(|| format!("cannot read {relative}"))?;
        std::io::Read::read_to_end(
            &mut std::io::Read::take(file, MAX_LOCKFILE_BYTES as u64 + 1),
            &mut bytes,
        )
        .with_context(|| format!("cannot read {relative}"))?;
        files.push((relative, bytes));
    }
    files.sort();
    Ok(files)
}
