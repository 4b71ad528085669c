//! `vigil rules`: lists every rule of every engine, as a table or JSON.

use std::io::Write;

use anyhow::Result;
use vigil_core::Rule;

use crate::ExitCode;
use crate::cli::{RulesArgs, RulesFormat};

pub(crate) fn run(args: &RulesArgs) -> Result<ExitCode> {
    let engines = crate::scan::all_engines(None)?;
    let rules: Vec<&Rule> = engines.iter().flat_map(|engine| engine.rules().iter()).collect();
    let mut stdout = anstream::stdout().lock();
    match args.format {
        RulesFormat::Json => {
            serde_json::to_writer_pretty(&mut stdout, &rules)?;
            writeln!(stdout)?;
        }
        RulesFormat::Table => {
            for rule in &rules {
                writeln!(
                    stdout,
                    "{:<8} {:<8} {:<40} {}",
                    rule.id,
                    rule.severity.as_str(),
                    rule.name,
                    rule.title
                )?;
            }
            writeln!(stdout, "{} rules", rules.len())?;
        }
    }
    Ok(ExitCode::Clean)
}
