//! `vigil metadata fetch`: fills the package-metadata cache of a data
//! directory (`DIR/metadata/`) with what the registries say of every
//! package of the lockfiles under PATH ([`vigil_server::metadata::fetch`]),
//! so scans that use the same data directory report operational risk
//! (SCA005). Exit 1 when some packages could not be fetched (they are
//! named), 0 otherwise.

use std::io::Write as _;

use anyhow::Result;
use vigil_server::metadata::{FetchOptions, Packages, fetch};

use crate::ExitCode;
use crate::cli::MetadataFetchArgs;

pub(crate) fn run(args: &MetadataFetchArgs) -> Result<ExitCode> {
    let graphs = crate::sbom::lockfile_graphs(&args.path)?;
    let mut stderr = anstream::stderr();
    let packages = Packages::of(&graphs);
    let options = FetchOptions {
        npm: args.npm_url.clone(),
        pypi: args.pypi_url.clone(),
        crates_index: args.crates_index_url.clone(),
        crates_download: args.crates_download_url.clone(),
        timeout_secs: args.timeout,
        max_packages: args.max_packages,
        deadline_secs: args.deadline,
        ..FetchOptions::default()
    };
    let runtime = crate::server::runtime()?;
    let mut print = |line: String| {
        let _ = writeln!(anstream::stderr(), "{line}");
    };
    let report = runtime.block_on(fetch(&args.dir.data_dir, &packages, &options, &mut print))?;
    for (ecosystem, count) in &report.unsupported {
        writeln!(
            stderr,
            "note: {count} {ecosystem} packages: no registry metadata is read for {ecosystem} yet"
        )?;
    }
    if report.over_limit > 0 {
        writeln!(
            stderr,
            "note: {} packages over --max-packages were not asked for",
            report.over_limit
        )?;
    }
    for failure in &report.failed {
        writeln!(stderr, "warning: {failure}")?;
    }
    Ok(if report.failed.is_empty() { ExitCode::Clean } else { ExitCode::Failed })
}
