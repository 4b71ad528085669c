//! The human-readable table of findings, and the summary and diagnostics
//! printed on standard error. Colour comes from `anstream`, which strips it
//! when the output is not a terminal.

use std::io::Write;

use anstyle::{AnsiColor, Style};
use vigil_core::{DiagnosticLevel, ScanReport, Severity};
use vigil_scanner::human_bytes;

fn severity_style(severity: Severity) -> Style {
    match severity {
        Severity::Critical => Style::new().bold().fg_color(Some(AnsiColor::BrightRed.into())),
        Severity::High => Style::new().fg_color(Some(AnsiColor::Red.into())),
        Severity::Medium => Style::new().fg_color(Some(AnsiColor::Yellow.into())),
        Severity::Low => Style::new().fg_color(Some(AnsiColor::Cyan.into())),
        Severity::Info => Style::new().dimmed(),
    }
}

/// Writes one line per finding: severity, rule, location, title, evidence.
pub(crate) fn write_table(report: &ScanReport, out: &mut dyn Write) -> std::io::Result<()> {
    if report.findings.is_empty() {
        return writeln!(out, "No findings.");
    }
    let location_width =
        report.findings.iter().map(|f| location_text(f).chars().count()).max().unwrap_or(0).min(60);
    let rule_width = report.findings.iter().map(|f| f.rule_id.len()).max().unwrap_or(0);
    let bold = Style::new().bold();
    writeln!(
        out,
        "{bold}{:<8}  {:<rule_width$}  {:<location_width$}  TITLE{bold:#}",
        "SEVERITY", "RULE", "LOCATION"
    )?;
    for finding in &report.findings {
        let style = severity_style(finding.severity);
        let evidence = finding
            .evidence
            .secret
            .as_ref()
            .map(|secret| secret.preview.clone())
            .or_else(|| {
                finding
                    .package
                    .as_ref()
                    .map(|package| format!("{}@{}", package.name, package.version))
            })
            .unwrap_or_default();
        let mut marker = String::new();
        if let Some(introduced) = &finding.introduced {
            let short: String = introduced.commit.chars().take(10).collect();
            marker.push_str(&format!(
                " introduced in {short} by {} on {}",
                introduced.author, introduced.date
            ));
            if introduced.deleted {
                marker.push_str(" (deleted, still in history)");
            }
        }
        if !report.policy.fails(finding) {
            marker.push_str(" (does not fail)");
        }
        writeln!(
            out,
            "{style}{:<8}{style:#}  {:<rule_width$}  {:<location_width$}  {}  {evidence}{marker}",
            finding.severity.as_str(),
            finding.rule_id,
            location_text(finding),
            finding.title,
        )?;
    }
    Ok(())
}

fn location_text(finding: &vigil_core::Finding) -> String {
    format!(
        "{}:{}:{}",
        finding.location.path, finding.location.start_line, finding.location.start_column
    )
}

/// How much of the diagnostics to print.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Detail {
    /// Errors only (`--quiet`).
    ErrorsOnly,
    /// Errors and warnings, and a count of skipped files.
    Default,
    /// Everything, notes included (`--verbose`).
    Verbose,
}

/// Prints diagnostics: errors and warnings always, notes with --verbose.
pub(crate) fn write_diagnostics(
    report: &ScanReport,
    detail: Detail,
    out: &mut dyn Write,
) -> std::io::Result<()> {
    let verbose = detail == Detail::Verbose;
    let mut hidden_notes = 0;
    for diagnostic in &report.diagnostics {
        if detail == Detail::ErrorsOnly && diagnostic.level != DiagnosticLevel::Error {
            continue;
        }
        let (label, style) = match diagnostic.level {
            DiagnosticLevel::Error => {
                ("error", Style::new().bold().fg_color(Some(AnsiColor::Red.into())))
            }
            DiagnosticLevel::Warning => {
                ("warning", Style::new().bold().fg_color(Some(AnsiColor::Yellow.into())))
            }
            DiagnosticLevel::Note if verbose => ("note", Style::new().dimmed()),
            DiagnosticLevel::Note => {
                hidden_notes += 1;
                continue;
            }
        };
        match &diagnostic.path {
            Some(path) => writeln!(out, "{style}{label}{style:#}: {path}: {}", diagnostic.message)?,
            None => writeln!(out, "{style}{label}{style:#}: {}", diagnostic.message)?,
        }
    }
    if hidden_notes > 0 {
        writeln!(
            out,
            "{hidden_notes} files skipped (too large, binary or symbolic links); --verbose lists them"
        )?;
    }
    Ok(())
}

/// The one-paragraph summary: what was scanned, what was found, the verdict.
pub(crate) fn write_summary(report: &ScanReport, out: &mut dyn Write) -> std::io::Result<()> {
    let stats = &report.stats;
    let seconds = report.duration_ms() as f64 / 1000.0;
    let counts: Vec<String> = report
        .count_by_severity()
        .into_iter()
        .rev()
        .filter(|(_, count)| *count > 0)
        .map(|(severity, count)| format!("{count} {severity}"))
        .collect();
    let found = if counts.is_empty() {
        "no findings".to_owned()
    } else {
        format!("{} findings ({})", report.findings.len(), counts.join(", "))
    };
    write!(
        out,
        "Scanned {} files ({}) in {seconds:.2}s: {found}",
        stats.files_scanned,
        human_bytes(stats.bytes_scanned)
    )?;
    if stats.baselined > 0 {
        write!(out, "; {} accepted by the baseline", stats.baselined)?;
    }
    writeln!(out, ".")?;
    let outcome = report.outcome();
    let threshold =
        report.policy.fail_on.map_or("never".to_owned(), |severity| severity.to_string());
    if outcome.failed() {
        let style = Style::new().bold().fg_color(Some(AnsiColor::Red.into()));
        writeln!(
            out,
            "{style}FAILED{style:#}: {} findings at or above `{threshold}`.",
            outcome.failing
        )?;
    } else {
        let style = Style::new().bold().fg_color(Some(AnsiColor::Green.into()));
        writeln!(
            out,
            "{style}PASSED{style:#}: no finding at or above `{threshold}` fails the scan."
        )?;
    }
    Ok(())
}
