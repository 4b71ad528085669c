//! `vigil scan`: reads the scanned directory's configuration files (or
//! those named by flags), builds the scan [`Plan`] through the shared
//! pipeline, runs it (severity overrides, accepted fingerprints and the
//! baseline are the pipeline's), writes the report and picks the exit code.
//! The server's scans run the same pipeline.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;
use std::sync::atomic::AtomicBool;

use anyhow::{Context, Result, bail};
use vigil_core::report::{gitlab, json, junit, sarif};
use vigil_core::{Baseline, Diagnostic, DiagnosticLevel, FindingKind, ScanReport, ToolInfo};
use vigil_pipeline::registry::GITLEAKS_CONFIG_FILE;
use vigil_pipeline::{
    BASELINE_FILE, CONFIG_FILE, Inputs, Overrides, Plan, RepoFiles, SECRETS_IGNORE_FILE,
};
use vigil_scanner::Progress;

use crate::cli::{ColorChoice, Format, ScanArgs};
use crate::{ExitCode, progress, table};

/// The scanned directory's configuration files, with `--config` and
/// `--gitleaks-config` in place of theirs. A file that cannot be read is
/// an error here: CI should not pass on settings it never read.
fn repo_files(args: &ScanArgs) -> Result<RepoFiles> {
    let (mut files, unreadable) = RepoFiles::read_dir(&args.path);
    files = files.with_origins_under(&args.path);
    let flags = [
        (&args.config, CONFIG_FILE, "config file"),
        (&args.gitleaks_config, GITLEAKS_CONFIG_FILE, "gitleaks config"),
        (&args.baseline, BASELINE_FILE, "baseline"),
    ];
    // A file the flags replace does not matter, readable or not.
    let replaced =
        |name: &str| flags.iter().any(|(flag, flagged, _)| flag.is_some() && *flagged == name);
    if let Some(problem) =
        unreadable.iter().find(|problem| !problem.path.as_deref().is_some_and(replaced))
    {
        bail!("{}", problem.describe());
    }
    for (flag, name, what) in flags {
        if let Some(path) = flag {
            let text = vigil_pipeline::read_config_file(path).map_err(|reason| {
                anyhow::anyhow!("cannot read {what} {}: {reason}", path.display())
            })?;
            files.insert(name, &path.display().to_string(), text);
        }
    }
    if let Some(dir) = &args.iac_policies {
        let problems = files.read_policy_dir(dir, &dir.display().to_string());
        if let Some(problem) = problems.first() {
            bail!("{}", problem.describe());
        }
    }
    Ok(files)
}

/// The caller's settings for the pipeline: the flags.
fn overrides(args: &ScanArgs) -> Overrides {
    Overrides {
        fail_on: args.fail_on.clone(),
        soft_fail_on: args.soft_fail_on.clone(),
        only: args.only.clone(),
        skip_rule: args.skip_rule.clone(),
        exclude: args.exclude.clone(),
        max_file_size: args.max_file_size.clone(),
        no_gitignore: args.no_gitignore,
        threads: args.threads,
        history: args.history,
        walk_only: args.walk_only,
    }
}

/// All problems in the repository's files as one error.
fn refuse(problems: &[Diagnostic]) -> anyhow::Error {
    let lines: Vec<String> = problems.iter().map(Diagnostic::describe).collect();
    anyhow::anyhow!("invalid configuration:\n  {}", lines.join("\n  "))
}

pub(crate) fn tool_info() -> ToolInfo {
    ToolInfo {
        name: "vigil".into(),
        version: env!("CARGO_PKG_VERSION").into(),
        information_uri: "https://example.invalid/vigil".into(),
    }
}

pub(crate) fn run(args: &ScanArgs) -> Result<ExitCode> {
    match args.color {
        ColorChoice::Always => anstream::ColorChoice::Always.write_global(),
        ColorChoice::Never => anstream::ColorChoice::Never.write_global(),
        ColorChoice::Auto => {}
    }
    let files = repo_files(args)?;
    let overrides = overrides(args);
    let plan = Plan::build(&Inputs { files: &files, overrides: &overrides, default_policy: None })?;
    if !plan.problems.is_empty() {
        return Err(refuse(&plan.problems));
    }
    // The advisory store and the package-metadata cache live there (read by
    // the dependency and license engines, each opened only when a scan
    // first needs it).
    vigil_pipeline::registry::use_data_dir(&args.data_dir);
    if plan.kinds.contains(&FindingKind::Vulnerability) {
        let asked = args.only.iter().any(|kind| kind == FindingKind::Vulnerability.as_str());
        if let Some(reason) = asked.then(vigil_pipeline::registry::advisory_store_problem).flatten()
        {
            bail!("--only vulnerability: {reason}");
        }
    }
    let progress_counters = Progress::default();
    let done = AtomicBool::new(false);
    let started_at = jiff::Timestamp::now();
    let output = std::thread::scope(|scope| {
        if progress::wanted(args.quiet) {
            scope.spawn(|| progress::run(&progress_counters, &done));
        }
        let output = plan.scan(&args.path, &progress_counters);
        done.store(true, std::sync::atomic::Ordering::Relaxed);
        output
    })?;
    let finished_at = jiff::Timestamp::now();

    let findings = output.findings;
    let stats = output.stats;
    if let Some(path) = &args.write_baseline {
        // Everything found, also what the old baseline held back.
        let mut all = findings.clone();
        all.extend(output.baselined.iter().cloned());
        vigil_core::sort_findings(&mut all);
        let written = Baseline::from_findings(&all, finished_at);
        std::fs::write(path, written.to_json())
            .with_context(|| format!("cannot write baseline {}", path.display()))?;
        if !args.quiet {
            eprintln!("Wrote {} fingerprints to baseline {}.", all.len(), path.display());
        }
    }
    let report = ScanReport {
        tool: tool_info(),
        target: args.path.display().to_string(),
        commit: args.commit.clone(),
        started_at,
        finished_at,
        kinds: plan.kinds.clone(),
        rules: plan.rules.clone(),
        findings,
        diagnostics: output.diagnostics,
        stats,
        policy: plan.policy.clone(),
    };
    write_report(args, &report)?;

    let mut stderr = anstream::stderr();
    if args.quiet {
        table::write_diagnostics(&report, table::Detail::ErrorsOnly, &mut stderr)?;
    } else {
        for note in &plan.notes {
            writeln!(stderr, "{note}")?;
        }
        if report.stats.ignored > 0 {
            writeln!(
                stderr,
                "{} findings accepted by {SECRETS_IGNORE_FILE}.",
                report.stats.ignored
            )?;
        }
        let detail = if args.verbose { table::Detail::Verbose } else { table::Detail::Default };
        table::write_diagnostics(&report, detail, &mut stderr)?;
        table::write_summary(&report, &mut stderr)?;
    }
    let errors = report.diagnostics.iter().filter(|d| d.level == DiagnosticLevel::Error).count();
    if report.stats.files_scanned == 0 && errors > 0 {
        writeln!(stderr, "error: nothing could be scanned ({errors} errors above)")?;
        return Ok(ExitCode::Error);
    }
    Ok(if report.outcome().failed() { ExitCode::Failed } else { ExitCode::Clean })
}

fn write_report(args: &ScanArgs, report: &ScanReport) -> Result<()> {
    if args.format == Format::Gitlab {
        let directory = args.output.as_deref().unwrap_or(Path::new("."));
        std::fs::create_dir_all(directory)
            .with_context(|| format!("cannot create {}", directory.display()))?;
        for report_type in gitlab::report_types(report) {
            let path = directory.join(report_type.file_name());
            write_to(&path, |out| gitlab::write(report, report_type, out))?;
            if !args.quiet {
                eprintln!("Wrote GitLab {} report {}.", report_type.as_str(), path.display());
            }
        }
        return Ok(());
    }
    let render = |out: &mut dyn Write| -> std::io::Result<()> {
        match args.format {
            Format::Table => table::write_table(report, out),
            Format::Json => json::write(report, out),
            Format::Sarif => sarif::write(report, out),
            Format::Junit => junit::write(report, out),
            Format::Gitlab => Ok(()),
        }
    };
    match &args.output {
        Some(path) => write_to(path, render),
        None => {
            let mut stdout = anstream::stdout().lock();
            render(&mut stdout).context("cannot write to standard output")?;
            stdout.flush().context("cannot write to standard output")
        }
    }
}

/// Writes a report file through a temporary sibling and a rename, so that a
/// failed write never leaves a truncated report behind. Special files
/// (`/dev/null`, `/dev/stdout`, named pipes) are written in place: renaming
/// over them would replace the device with a regular file.
fn write_to(path: &Path, render: impl FnOnce(&mut dyn Write) -> std::io::Result<()>) -> Result<()> {
    let special = std::fs::metadata(path).is_ok_and(|metadata| !metadata.is_file());
    if special {
        let file = std::fs::OpenOptions::new()
            .write(true)
            .open(path)
            .with_context(|| format!("cannot open {}", path.display()))?;
        let mut writer = BufWriter::new(file);
        return render(&mut writer)
            .and_then(|()| writer.flush())
            .with_context(|| format!("cannot write {}", path.display()));
    }
    let file_name =
        path.file_name().map(|name| name.to_string_lossy().into_owned()).unwrap_or_default();
    let temporary = path.with_file_name(format!(".{file_name}.vigil-tmp"));
    let file = File::create(&temporary)
        .with_context(|| format!("cannot create {}", temporary.display()))?;
    let mut writer = BufWriter::new(file);
    render(&mut writer)
        .and_then(|()| writer.flush())
        .with_context(|| format!("cannot write {}", path.display()))?;
    std::fs::rename(&temporary, path).with_context(|| format!("cannot write {}", path.display()))
}
