//! `vigil vulndb sync`: the server's advisory sync
//! ([`vigil_server::vulndb::sync`]) run by hand, one line per archive on
//! standard error as it goes. Exit 1 when an archive could not be
//! downloaded (its previous copy stays in use), 0 otherwise.

use std::io::Write as _;

use anyhow::Result;
use vigil_server::vulndb::{SyncOptions, sync as run_sync};

use crate::ExitCode;
use crate::cli::VulndbSyncArgs;

pub(crate) fn sync(args: &VulndbSyncArgs) -> Result<ExitCode> {
    let options = SyncOptions {
        url: args.url.clone(),
        ecosystems: args.ecosystems.clone(),
        timeout_secs: args.timeout,
    };
    let runtime = crate::server::runtime()?;
    let mut print = |line: String| {
        let _ = writeln!(anstream::stderr(), "{line}");
    };
    let report = runtime.block_on(run_sync(&args.dir.data_dir, &options, &mut print))?;
    if report.advisories.is_none() {
        let kept = if report.failed.is_empty() {
            "The store is up to date."
        } else {
            "The store was kept as it was."
        };
        let _ = writeln!(anstream::stderr(), "{kept}");
    }
    Ok(if report.failed.is_empty() { ExitCode::Clean } else { ExitCode::Error })
}
