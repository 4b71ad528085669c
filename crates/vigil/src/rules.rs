//! `vigil rules`: lists every rule of every engine in the registry, as a
//! table or JSON (each rule with its engine's name; `cargo xtask codegen`
//! writes the catalogue under `docs/rules/` from it).

use std::io::Write;

use anyhow::Result;

use crate::ExitCode;
use crate::cli::{RulesArgs, RulesFormat};

pub(crate) fn run(args: &RulesArgs) -> Result<ExitCode> {
    let rules = vigil_pipeline::registry::all_rules().map_err(anyhow::Error::msg)?;
    let mut stdout = anstream::stdout().lock();
    match args.format {
        RulesFormat::Json => {
            serde_json::to_writer_pretty(&mut stdout, &rules)?;
            writeln!(stdout)?;
        }
        RulesFormat::Table => {
            for registered in &rules {
                let rule = &registered.rule;
                writeln!(
                    stdout,
                    "{:<8} {:<8} {:<8} {:<40} {}",
                    rule.id,
                    registered.engine,
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
