//! The `vigil` command: parses the command line, runs the subcommand, maps
//! the result to an exit code (0 clean, 1 policy failed, 2 error).

mod cli;
mod licenses;
mod limits;
mod metadata;
mod progress;
mod rules;
mod sbom;
mod scan;
mod server;
mod table;
mod transporter;
mod vulndb;
mod vulndb_sync;

use clap::Parser;

/// The process exit status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ExitCode {
    /// Nothing at or above the fail threshold.
    Clean = 0,
    /// Findings at or above the fail threshold.
    Failed = 1,
    /// Usage or runtime error, or nothing could be scanned.
    Error = 2,
}

fn main() -> std::process::ExitCode {
    let cli = cli::Cli::parse();
    let result = match &cli.command {
        cli::Command::Scan(args) => scan::run(args),
        cli::Command::Rules(args) => rules::run(args),
        cli::Command::Serve(args) => server::serve(args),
        cli::Command::Worker(args) => server::worker(args),
        cli::Command::Db(args) => server::db(&args.command),
        cli::Command::Admin(args) => server::admin(&args.command),
        cli::Command::Key(args) => server::key(&args.command),
        cli::Command::Transporter(args) => transporter::run(args),
        cli::Command::Vulndb(args) => vulndb::run(&args.command),
        cli::Command::Sbom(args) => sbom::run(args),
        cli::Command::Licenses(args) => licenses::run(args),
        cli::Command::Metadata(args) => match &args.command {
            cli::MetadataCommand::Fetch(fetch) => metadata::run(fetch),
        },
    };
    let code = match result {
        Ok(code) => code,
        Err(error) => {
            let style = anstyle::Style::new().bold().fg_color(Some(anstyle::AnsiColor::Red.into()));
            let _ = std::io::Write::flush(&mut std::io::stdout());
            anstream::eprintln!("{style}error{style:#}: {error:#}");
            ExitCode::Error
        }
    };
    std::process::ExitCode::from(code as u8)
}
