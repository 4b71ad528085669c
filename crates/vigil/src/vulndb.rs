//! `vigil vulndb`: the offline advisory store under the data directory
//! (import, status). The store itself, its format and the readers are
//! `vigil_sca::store`'s.

use std::io::Write as _;

use anyhow::{Context, Result};
use vigil_sca::store::{Importer, Store, StoreError};

use crate::ExitCode;
use crate::cli::{VulndbCommand, VulndbDirArgs, VulndbImportArgs};

pub(crate) fn run(command: &VulndbCommand) -> Result<ExitCode> {
    match command {
        VulndbCommand::Import(args) => import(args),
        VulndbCommand::Sync(args) => crate::vulndb_sync::sync(args),
        VulndbCommand::Status(args) => status(args),
    }
}

fn import(args: &VulndbImportArgs) -> Result<ExitCode> {
    let data_dir = &args.dir.data_dir;
    let mut stderr = anstream::stderr();
    let mut importer = match Store::open(data_dir) {
        Ok(store) => {
            writeln!(stderr, "Adding to the store's {} advisories.", store.advisories().len())?;
            Importer::on_top_of(&store)
        }
        Err(StoreError::Missing(_)) => Importer::default(),
        // A damaged store is rebuilt from what is imported now.
        Err(error) => {
            writeln!(stderr, "warning: {error}; starting a new store")?;
            Importer::default()
        }
    };
    let started = std::time::Instant::now();
    for path in &args.paths {
        writeln!(stderr, "Reading {} ...", path.display())?;
        importer.import_path(path).with_context(|| format!("cannot import {}", path.display()))?;
    }
    let (advisories, report) = importer.finish();
    let mut sources = std::collections::BTreeMap::new();
    for path in &args.paths {
        sources.insert(path.display().to_string(), vigil_sca::store::SourceState::default());
    }
    let written = jiff::Timestamp::now().to_string();
    let path = Store::write(data_dir, &advisories, sources, &written)?;
    for problem in &report.problems {
        writeln!(stderr, "warning: {problem}")?;
    }
    if report.more_problems > 0 {
        writeln!(stderr, "warning: and {} more problems", report.more_problems)?;
    }
    writeln!(
        stderr,
        "Imported {} advisories from {} files in {:.1} s ({} withdrawn and {} of other ecosystems skipped); the store {} holds {}.",
        report.imported,
        report.files,
        started.elapsed().as_secs_f64(),
        report.withdrawn,
        report.other_ecosystems,
        path.display(),
        advisories.len()
    )?;
    Ok(ExitCode::Clean)
}

fn status(args: &VulndbDirArgs) -> Result<ExitCode> {
    let store = Store::open(&args.data_dir)?;
    let mut per_ecosystem: std::collections::BTreeMap<&str, usize> =
        std::collections::BTreeMap::new();
    for advisory in store.advisories() {
        for ecosystem in advisory
            .affected
            .iter()
            .map(|a| a.ecosystem.osv_name())
            .collect::<std::collections::BTreeSet<_>>()
        {
            *per_ecosystem.entry(ecosystem).or_default() += 1;
        }
    }
    let mut stdout = anstream::stdout();
    writeln!(stdout, "Store: {}", Store::path(&args.data_dir).display())?;
    if let Some(header) = &store.header {
        writeln!(stdout, "Written: {}", header.written)?;
    }
    writeln!(stdout, "Advisories: {}", store.advisories().len())?;
    for (ecosystem, count) in per_ecosystem {
        writeln!(stdout, "  {ecosystem}: {count}")?;
    }
    Ok(ExitCode::Clean)
}
