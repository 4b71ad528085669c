//! `vigil.toml` and its resolution with command-line flags into one validated
//! [`ScanSettings`]. Layers, lowest first: defaults, the config file, flags.
//! Unknown keys in the file are errors that name the key.

use std::collections::{BTreeMap, HashSet};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use serde::Deserialize;
use vigil_core::{FindingKind, Policy, Severity, SoftFail};
use vigil_scanner::ScanOptions;

use crate::cli::ScanArgs;

/// The config file looked for in the scanned directory when --config is not given.
pub(crate) const CONFIG_FILE_NAME: &str = "vigil.toml";

/// Default size limit: 10 MB.
const DEFAULT_MAX_FILE_SIZE: u64 = 10_000_000;

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ConfigFile {
    #[serde(default)]
    scan: ScanSection,
    #[serde(default)]
    policy: PolicySection,
    #[serde(default)]
    rules: RulesSection,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct ScanSection {
    /// Gitignore-style globs to skip.
    #[serde(default)]
    exclude: Vec<String>,
    /// Size limit, e.g. "10MB", or a number of bytes.
    max_file_size: Option<SizeValue>,
    /// Honour .gitignore (default true).
    gitignore: Option<bool>,
    /// Finding kinds to scan for.
    only: Option<Vec<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum SizeValue {
    Bytes(u64),
    Text(String),
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct PolicySection {
    fail_on: Option<String>,
    #[serde(default)]
    soft_fail_on: Vec<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RulesSection {
    /// When non-empty, only these rules report.
    #[serde(default)]
    enable: Vec<String>,
    /// These rules never report.
    #[serde(default)]
    disable: Vec<String>,
    /// Per-rule severity overrides.
    #[serde(default)]
    severity: BTreeMap<String, Severity>,
}

/// Everything a scan needs, validated.
#[derive(Debug)]
pub(crate) struct ScanSettings {
    pub(crate) options: ScanOptions,
    pub(crate) policy: Policy,
    pub(crate) kinds: Vec<FindingKind>,
    pub(crate) severity_overrides: BTreeMap<String, Severity>,
    pub(crate) config_path: Option<PathBuf>,
}

impl ConfigFile {
    fn load(path: &Path) -> Result<ConfigFile> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read config file {}", path.display()))?;
        toml::from_str(&text).map_err(|error| {
            let message = error.message().trim().to_owned();
            match error.span() {
                Some(span) => {
                    let line = text[..span.start.min(text.len())].matches('\n').count() + 1;
                    anyhow::anyhow!("invalid config file {}:{line}: {message}", path.display())
                }
                None => anyhow::anyhow!("invalid config file {}: {message}", path.display()),
            }
        })
    }
}

/// Finds and reads the config file: --config if given (it must exist), else
/// `vigil.toml` in the scanned directory if there is one.
fn find_config(args: &ScanArgs) -> Result<(ConfigFile, Option<PathBuf>)> {
    if let Some(path) = &args.config {
        return Ok((ConfigFile::load(path)?, Some(path.clone())));
    }
    let candidate =
        if args.path.is_dir() { args.path.join(CONFIG_FILE_NAME) } else { PathBuf::new() };
    if candidate.is_file() {
        return Ok((ConfigFile::load(&candidate)?, Some(candidate)));
    }
    Ok((ConfigFile::default(), None))
}

/// Parses `10MB`, `500kB`, `1GB`, `2048` (bytes); decimal units, case-insensitive.
pub(crate) fn parse_size(text: &str) -> Result<u64> {
    let trimmed = text.trim();
    let split = trimmed.find(|c: char| !c.is_ascii_digit() && c != '.').unwrap_or(trimmed.len());
    let (number, unit) = trimmed.split_at(split);
    let value: f64 = number
        .parse()
        .with_context(|| format!("invalid size `{text}` (expected e.g. 500kB, 10MB, 1GB)"))?;
    let multiplier = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1.0,
        "k" | "kb" => 1e3,
        "m" | "mb" => 1e6,
        "g" | "gb" => 1e9,
        "kib" => 1024.0,
        "mib" => 1024.0 * 1024.0,
        "gib" => 1024.0 * 1024.0 * 1024.0,
        other => bail!(
            "invalid size unit `{other}` in `{text}` (expected B, kB, MB, GB, KiB, MiB or GiB)"
        ),
    };
    Ok((value * multiplier) as u64)
}

fn parse_fail_on(text: &str) -> Result<Option<Severity>> {
    if text.trim().eq_ignore_ascii_case("never") {
        return Ok(None);
    }
    text.parse::<Severity>()
        .map(Some)
        .map_err(|error| anyhow::anyhow!("--fail-on: {error} or `never`"))
}

fn parse_kinds(names: &[String]) -> Result<Vec<FindingKind>> {
    names
        .iter()
        .map(|name| {
            FindingKind::parse(name).with_context(|| {
                format!("unknown finding kind `{name}` (expected one of: secret, iac, vulnerability, license, operational_risk)")
            })
        })
        .collect()
}

/// Resolves flags over the config file over defaults. `known_rules` are the
/// ids of every rule of every engine, to reject typos.
pub(crate) fn resolve(args: &ScanArgs, known_rules: &HashSet<String>) -> Result<ScanSettings> {
    let (file, config_path) = find_config(args)?;
    let check_rule = |id: &String, origin: &str| -> Result<()> {
        if known_rules.contains(id) {
            Ok(())
        } else {
            bail!("{origin}: unknown rule id `{id}` (`vigil rules` lists them)")
        }
    };
    for id in &args.skip_rule {
        check_rule(id, "--skip-rule")?;
    }
    for id in file.rules.disable.iter().chain(&file.rules.enable).chain(file.rules.severity.keys())
    {
        check_rule(id, "config file [rules]")?;
    }
    let max_file_size = match (&args.max_file_size, &file.scan.max_file_size) {
        (Some(flag), _) => parse_size(flag).context("--max-file-size")?,
        (None, Some(SizeValue::Text(text))) => {
            parse_size(text).context("config scan.max_file_size")?
        }
        (None, Some(SizeValue::Bytes(bytes))) => *bytes,
        (None, None) => DEFAULT_MAX_FILE_SIZE,
    };
    let fail_on = match (&args.fail_on, &file.policy.fail_on) {
        (Some(flag), _) => parse_fail_on(flag)?,
        (None, Some(text)) => parse_fail_on(text).context("config policy.fail_on")?,
        (None, None) => Policy::default().fail_on,
    };
    let soft_fail_on = file
        .policy
        .soft_fail_on
        .iter()
        .chain(&args.soft_fail_on)
        .map(|text| {
            SoftFail::parse(text).map_err(|error| anyhow::anyhow!("--soft-fail-on: {error}"))
        })
        .collect::<Result<Vec<_>>>()?;
    let kinds = if !args.only.is_empty() {
        parse_kinds(&args.only)?
    } else if let Some(only) = &file.scan.only {
        parse_kinds(only).context("config scan.only")?
    } else {
        FindingKind::ALL.to_vec()
    };
    let mut disabled_rules: HashSet<String> = file.rules.disable.iter().cloned().collect();
    disabled_rules.extend(args.skip_rule.iter().cloned());
    let mut excludes = file.scan.exclude.clone();
    excludes.extend(args.exclude.iter().cloned());
    if !file.rules.enable.is_empty() {
        let enabled: HashSet<&String> = file.rules.enable.iter().collect();
        disabled_rules.extend(known_rules.iter().filter(|id| !enabled.contains(id)).cloned());
    }
    Ok(ScanSettings {
        options: ScanOptions {
            max_file_size,
            excludes,
            disabled_rules,
            gitignore: !args.no_gitignore && file.scan.gitignore.unwrap_or(true),
            threads: args.threads,
        },
        policy: Policy { fail_on, soft_fail_on },
        kinds,
        severity_overrides: file.rules.severity,
        config_path,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_parse_in_decimal_and_binary_units() {
        assert_eq!(parse_size("10MB").unwrap(), 10_000_000);
        assert_eq!(parse_size("500 kB").unwrap(), 500_000);
        assert_eq!(parse_size("1GiB").unwrap(), 1 << 30);
        assert_eq!(parse_size("2048").unwrap(), 2048);
        assert_eq!(parse_size("1.5mb").unwrap(), 1_500_000);
        assert!(parse_size("ten").unwrap_err().to_string().contains("invalid size `ten`"));
        assert!(
            parse_size("3 parsecs")
                .unwrap_err()
                .to_string()
                .contains("invalid size unit `parsecs`")
        );
    }

    #[test]
    fn unknown_config_keys_are_named() {
        let error =
            toml::from_str::<ConfigFile>("[scan]\nexclude = []\nfollow = true\n").unwrap_err();
        assert!(error.message().contains("unknown field `follow`"), "{}", error.message());
        let error = toml::from_str::<ConfigFile>("[polcy]\n").unwrap_err();
        assert!(error.message().contains("unknown field `polcy`"), "{}", error.message());
    }
}
