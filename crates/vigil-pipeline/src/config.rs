//! `vigil.toml`: the repository's scan settings, parsed into [`RepoConfig`]
//! with every problem as a [`Diagnostic`] that names the file, line and
//! column. Unknown keys are problems too, so a typo never passes silently.

use std::collections::BTreeMap;

use serde::Deserialize;
use vigil_core::{Diagnostic, DiagnosticLevel, Severity};

/// The configuration file looked for at the root of a repository.
pub const CONFIG_FILE: &str = "vigil.toml";

/// The file of accepted secret fingerprints at the root of a repository.
pub const SECRETS_IGNORE_FILE: &str = ".vigilignore-secrets";

/// The baseline at the root of a repository (`vigil scan --write-baseline
/// .vigil-baseline.json`): findings it lists are not reported.
pub const BASELINE_FILE: &str = ".vigil-baseline.json";

/// `vigil.toml` as written.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RepoConfig {
    #[serde(default)]
    pub(crate) scan: ScanSection,
    #[serde(default)]
    pub(crate) policy: PolicySection,
    #[serde(default)]
    pub(crate) rules: RulesSection,
    #[serde(default)]
    pub(crate) iac: IacSection,
    /// `[licenses]`: the license policy.
    #[serde(default)]
    pub(crate) licenses: vigil_license::policy::LicensePolicy,
}

/// `[iac]`: the IaC engine's settings.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct IacSection {
    /// A directory of the repository holding Checkov YAML policies, run
    /// beside the built-in ones.
    #[expect(
        dead_code,
        reason = "RepoFiles::read_dir reads it before a plan exists; declared so vigil.toml validates"
    )]
    pub(crate) policies: Option<String>,
    /// Policy ids (Vigil's or Checkov's) never reported.
    #[serde(default)]
    pub(crate) skip: Vec<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ScanSection {
    /// Gitignore-style globs to skip.
    #[serde(default)]
    pub(crate) exclude: Vec<String>,
    /// Size limit, e.g. "10MB", or a number of bytes.
    pub(crate) max_file_size: Option<SizeValue>,
    /// Honour .gitignore (default true).
    pub(crate) gitignore: Option<bool>,
    /// Finding kinds to scan for.
    pub(crate) only: Option<Vec<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub(crate) enum SizeValue {
    Bytes(u64),
    Text(String),
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct PolicySection {
    pub(crate) fail_on: Option<String>,
    pub(crate) soft_fail_on: Option<Vec<String>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RulesSection {
    /// When non-empty, only these rules report.
    #[serde(default)]
    pub(crate) enable: Vec<String>,
    /// These rules never report.
    #[serde(default)]
    pub(crate) disable: Vec<String>,
    /// Per-rule severity overrides.
    #[serde(default)]
    pub(crate) severity: BTreeMap<String, Severity>,
}

impl RepoConfig {
    /// Parses `text` read from `origin`; a file that is not valid gives the
    /// defaults and one error diagnostic at the offending position.
    pub(crate) fn parse(origin: &str, text: &str) -> (RepoConfig, Option<Diagnostic>) {
        match toml::from_str(text) {
            Ok(config) => (config, None),
            Err(error) => {
                let message = format!("invalid {CONFIG_FILE}: {}", error.message().trim());
                let mut diagnostic = Diagnostic::for_file(DiagnosticLevel::Error, origin, message);
                if let Some(span) = error.span() {
                    let (line, column) = line_column(text, span.start);
                    diagnostic = diagnostic.at(line, Some(column));
                }
                (RepoConfig::default(), Some(diagnostic))
            }
        }
    }
}

/// The 1-based line and column of byte `offset` in `text`.
pub(crate) fn line_column(text: &str, offset: usize) -> (u32, u32) {
    let offset = offset.min(text.len());
    let before = text.get(..offset).unwrap_or(text);
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |tail| tail.chars().count()) + 1;
    (u32::try_from(line).unwrap_or(u32::MAX), u32::try_from(column).unwrap_or(u32::MAX))
}

/// Where `needle` first appears in `text`, as a line and column, for
/// problems in values that serde does not give a position for.
pub(crate) fn position_of(text: &str, needle: &str) -> Option<(u32, u32)> {
    text.find(needle).map(|offset| line_column(text, offset))
}

/// Parses `10MB`, `500kB`, `1GB`, `2048` (bytes); decimal units, and
/// `KiB`, `MiB`, `GiB`; case-insensitive.
pub fn parse_size(text: &str) -> Result<u64, String> {
    let trimmed = text.trim();
    let split = trimmed.find(|c: char| !c.is_ascii_digit() && c != '.').unwrap_or(trimmed.len());
    let (number, unit) = trimmed.split_at(split);
    let value: f64 = number
        .parse()
        .map_err(|_| format!("invalid size `{text}` (expected e.g. 500kB, 10MB, 1GB)"))?;
    let multiplier = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1.0,
        "k" | "kb" => 1e3,
        "m" | "mb" => 1e6,
        "g" | "gb" => 1e9,
        "kib" => 1024.0,
        "mib" => 1024.0 * 1024.0,
        "gib" => 1024.0 * 1024.0 * 1024.0,
        other => {
            return Err(format!(
                "invalid size unit `{other}` in `{text}` (expected B, kB, MB, GB, KiB, MiB or GiB)"
            ));
        }
    };
    Ok((value * multiplier) as u64)
}

/// Parses a fail threshold: a severity, or `never`.
pub fn parse_fail_on(text: &str) -> Result<Option<Severity>, String> {
    if text.trim().eq_ignore_ascii_case("never") {
        return Ok(None);
    }
    text.parse::<Severity>().map(Some).map_err(|error| format!("{error} or `never`"))
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
        assert!(parse_size("ten").unwrap_err().contains("invalid size `ten`"));
        assert!(parse_size("3 parsecs").unwrap_err().contains("invalid size unit `parsecs`"));
    }

    #[test]
    fn problems_name_the_key_line_and_column() {
        let check = |text: &str| RepoConfig::parse("vigil.toml", text).1.unwrap().describe();
        assert_eq!(
            check("[scan]\nexclude = []\nfollow = true\n"),
            "vigil.toml:3:1: invalid vigil.toml: unknown field `follow`, expected one of `exclude`, `max_file_size`, `gitignore`, `only`"
        );
        assert!(check("[polcy]\n").contains("unknown field `polcy`"));
        assert!(
            check("[rules]\nseverity = { SEC001 = \"urgent\" }\n").starts_with("vigil.toml:2:")
        );
        assert!(RepoConfig::parse("vigil.toml", "[policy]\nfail_on = \"high\"\n").1.is_none());
    }
}
