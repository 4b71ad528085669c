//! `vigil rules`: lists every rule of every engine in the registry, as a
//! table or JSON (each rule with its engine's name; `cargo xtask codegen`
//! writes the catalogue under `docs/rules/` from it). The table then lists
//! the license categories with their default severities and the signals of
//! the operational-risk score, which decide LIC001's and SCA005's severity.

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
            writeln!(stdout)?;
            writeln!(
                stdout,
                "License categories (LIC001; [licenses] in vigil.toml changes them):"
            )?;
            for category in vigil_license::category::Category::ALL {
                let severity = vigil_license::policy::LicensePolicy::default_severity(category)
                    .map_or("none", vigil_core::Severity::as_str);
                writeln!(stdout, "  {:<18} {severity}", category.as_str())?;
            }
            writeln!(stdout)?;
            writeln!(
                stdout,
                "Operational-risk signals (SCA005: High from 70 of 100, Medium from 40):"
            )?;
            for (signal, points) in [
                ("deprecated, inactive or the version yanked", "raises the score to 70".to_owned()),
                (
                    "age of the last stable release",
                    format!("up to {}", vigil_sca::risk::MAINTENANCE_POINTS),
                ),
                ("releases in the last year", format!("up to {}", vigil_sca::risk::CADENCE_POINTS)),
                ("maintainers", format!("up to {}", vigil_sca::risk::MAINTAINERS_POINTS)),
                ("downloads a week", format!("up to {}", vigil_sca::risk::POPULARITY_POINTS)),
            ] {
                writeln!(stdout, "  {signal:<44} {points}")?;
            }
        }
    }
    Ok(ExitCode::Clean)
}
