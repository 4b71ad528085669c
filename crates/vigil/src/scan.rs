//! `vigil scan`: builds the engines, resolves settings, runs the scanner,
//! applies baseline and policy, writes the report and picks the exit code.

use std::collections::HashSet;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;
use std::sync::atomic::AtomicBool;

use anyhow::{Context, Result, bail};
use vigil_core::report::{gitlab, json, junit, sarif};
use vigil_core::{
    Baseline, DiagnosticLevel, Engine, FileOutput, FindingKind, Rule, ScanReport, SourceFile,
    ToolInfo,
};
use vigil_scanner::{Progress, Scanner};

use crate::cli::{ColorChoice, Format, ScanArgs};
use crate::{ExitCode, config, progress, table};

/// The file of accepted secret fingerprints read from the scanned directory.
const SECRETS_IGNORE_FILE: &str = ".vigilignore-secrets";

/// The gitleaks configuration picked up from the scanned directory.
const GITLEAKS_CONFIG_FILE: &str = ".gitleaks.toml";

/// Every engine this build has, with the secrets engine extended by an
/// imported gitleaks configuration if there is one.
pub(crate) fn all_engines(
    gitleaks: Option<&vigil_secrets::GitleaksConfig>,
) -> Result<Vec<Box<dyn Engine>>> {
    let mut specs =
        vigil_secrets::builtin_specs().context("cannot load the built-in secret rules")?;
    if let Some(gitleaks) = gitleaks {
        if !gitleaks.use_default {
            specs.clear();
        }
        specs.retain(|(_, spec)| {
            !gitleaks.disabled.iter().any(|id| *id == spec.id || *id == spec.name)
        });
        specs.extend(gitleaks.rules.iter().map(|rule| ("gitleaks config", rule.clone())));
        let global = &gitleaks.global_allowlist;
        for (_, spec) in &mut specs {
            spec.allowlist.regexes.extend(global.regexes.iter().cloned());
            spec.allowlist.stopwords.extend(global.stopwords.iter().cloned());
            spec.allowlist.paths.extend(global.paths.iter().cloned());
        }
    }
    let secrets = vigil_secrets::SecretsEngine::from_specs(&specs)
        .context("cannot compile the secret rules")?;
    Ok(vec![Box::new(secrets)])
}

/// Loads `--gitleaks-config`, or `.gitleaks.toml` in the scanned directory.
fn gitleaks_config(
    args: &ScanArgs,
) -> Result<Option<(std::path::PathBuf, vigil_secrets::GitleaksConfig)>> {
    let path = match &args.gitleaks_config {
        Some(path) => path.clone(),
        None if args.path.join(GITLEAKS_CONFIG_FILE).is_file() => {
            args.path.join(GITLEAKS_CONFIG_FILE)
        }
        None => return Ok(None),
    };
    let text = std::fs::read_to_string(&path)
        .with_context(|| format!("cannot read gitleaks config {}", path.display()))?;
    let config = vigil_secrets::import_gitleaks(&text)
        .with_context(|| format!("gitleaks config {}", path.display()))?;
    Ok(Some((path, config)))
}

/// Loads `.vigilignore-secrets` from the scanned directory, if present.
fn secrets_ignore_file(args: &ScanArgs) -> Result<Option<HashSet<String>>> {
    let path = args.path.join(SECRETS_IGNORE_FILE);
    if !path.is_file() {
        return Ok(None);
    }
    let text = std::fs::read_to_string(&path)
        .with_context(|| format!("cannot read {}", path.display()))?;
    Ok(Some(vigil_core::parse_ignore_file(&text).with_context(|| path.display().to_string())?))
}

/// An engine that wants every file and finds nothing: `--walk-only`.
struct WalkOnly;

impl Engine for WalkOnly {
    fn name(&self) -> &'static str {
        "walk-only"
    }
    fn kinds(&self) -> &'static [FindingKind] {
        &[]
    }
    fn rules(&self) -> &[Rule] {
        &[]
    }
    fn scan_file(&self, _file: SourceFile<'_>, _output: &mut FileOutput) {}
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
    let gitleaks = gitleaks_config(args)?;
    let engines = all_engines(gitleaks.as_ref().map(|(_, config)| config))?;
    let ignored_fingerprints = secrets_ignore_file(args)?;
    let known_rules: HashSet<String> = engines
        .iter()
        .flat_map(|engine| engine.rules().iter().map(|rule| rule.id.clone()))
        .collect();
    let settings = config::resolve(args, &known_rules)?;
    let baseline = match &args.baseline {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("cannot read baseline {}", path.display()))?;
            Some(Baseline::parse(&text).with_context(|| format!("baseline {}", path.display()))?)
        }
        None => None,
    };
    let engines: Vec<Box<dyn Engine>> = if args.walk_only {
        vec![Box::new(WalkOnly)]
    } else {
        // History holds old versions of every file; only secrets in it matter.
        let wanted = |kind: &FindingKind| {
            settings.kinds.contains(kind) && (!args.history || *kind == FindingKind::Secret)
        };
        let selected: Vec<_> =
            engines.into_iter().filter(|engine| engine.kinds().iter().any(wanted)).collect();
        if selected.is_empty() {
            let wanted: Vec<&str> = settings.kinds.iter().map(|kind| kind.as_str()).collect();
            bail!("no engine in this build scans for {} (available: secret)", wanted.join(", "));
        }
        selected
    };
    let kinds: Vec<FindingKind> = FindingKind::ALL
        .into_iter()
        .filter(|kind| {
            settings.kinds.contains(kind)
                && engines.iter().any(|engine| engine.kinds().contains(kind))
        })
        .collect();
    let rules: Vec<Rule> = engines
        .iter()
        .flat_map(|engine| engine.rules().iter())
        .filter(|rule| !settings.options.disabled_rules.contains(&rule.id))
        .map(|rule| {
            let mut rule = rule.clone();
            if let Some(severity) = settings.severity_overrides.get(&rule.id) {
                rule.severity = *severity;
            }
            rule
        })
        .collect();

    let scanner = Scanner::new(engines, settings.options);
    let progress_counters = Progress::default();
    let done = AtomicBool::new(false);
    let started_at = jiff::Timestamp::now();
    let output = std::thread::scope(|scope| {
        if progress::wanted(args.quiet) {
            scope.spawn(|| progress::run(&progress_counters, &done));
        }
        let output = if args.history {
            scanner.scan_history(&args.path, &progress_counters)
        } else {
            scanner.scan(&args.path, &progress_counters)
        };
        done.store(true, std::sync::atomic::Ordering::Relaxed);
        output
    })?;
    let finished_at = jiff::Timestamp::now();

    let mut findings = output.findings;
    for finding in &mut findings {
        if let Some(severity) = settings.severity_overrides.get(&finding.rule_id) {
            finding.severity = *severity;
        }
    }
    if let Some(path) = &args.write_baseline {
        let written = Baseline::from_findings(&findings, finished_at);
        std::fs::write(path, written.to_json())
            .with_context(|| format!("cannot write baseline {}", path.display()))?;
        if !args.quiet {
            eprintln!("Wrote {} fingerprints to baseline {}.", findings.len(), path.display());
        }
    }
    let mut stats = output.stats;
    if let Some(ignored) = &ignored_fingerprints {
        let before = findings.len();
        findings.retain(|finding| {
            finding.kind != FindingKind::Secret || !ignored.contains(&finding.fingerprint)
        });
        stats.ignored = (before - findings.len()) as u64;
    }
    if let Some(baseline) = &baseline {
        stats.baselined = baseline.filter(&mut findings) as u64;
    }
    let report = ScanReport {
        tool: tool_info(),
        target: args.path.display().to_string(),
        commit: args.commit.clone(),
        started_at,
        finished_at,
        kinds,
        rules,
        findings,
        diagnostics: output.diagnostics,
        stats,
        policy: settings.policy,
    };
    write_report(args, &report)?;

    let mut stderr = anstream::stderr();
    if args.quiet {
        table::write_diagnostics(&report, table::Detail::ErrorsOnly, &mut stderr)?;
    } else {
        if let Some(path) = &settings.config_path {
            writeln!(stderr, "Using config {}.", path.display())?;
        }
        if let Some((path, config)) = &gitleaks {
            let defaults = if config.use_default { "with" } else { "instead of" };
            writeln!(
                stderr,
                "Using {} gitleaks rules from {} {defaults} the built-in rules.",
                config.rules.len(),
                path.display()
            )?;
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
