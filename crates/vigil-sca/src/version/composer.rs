//! Packagist versions: Composer's `VersionParser::normalize` (`v1.2.3` is
//! `1.2.3.0`; `-beta2`, `-RC`, `-alpha`, `a`/`b`/`p`/`pl` shorthands;
//! `-patch`/`-p` after the release; `-dev`; date versions such as
//! `2010-01-02`; `@stability` flags, `+build` and `as` aliases dropped),
//! then PHP's `version_compare` on the normalised form, which is what
//! Composer compares. Branches (`dev-master`, `1.x-dev`) are refused: they
//! are not versions. Owns nothing else.

use std::fmt;

use super::VersionError;

pub(super) const SCHEME: &str = "Composer";

/// An element of the normalised version, in `version_compare` order:
/// unknown words < `dev` < `alpha` < `beta` < `RC` < end of version <
/// numbers < `patch`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Part {
    /// A word PHP does not know; only `-STABLE` in another case gets here.
    Unknown,
    Dev,
    Alpha,
    Beta,
    Rc,
    /// Every version ends with this, so that PHP's rule for versions of
    /// different lengths (a number after the shorter one's end makes the
    /// longer one newer, a word compares with a number's rank) is plain
    /// lexicographic order.
    End,
    Number(u64),
    Patch,
}

/// A normalised Composer version.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(super) struct ComposerVersion {
    parts: Vec<Part>,
}

/// The parts of `[._-]?(stability(numbers)?)?([.-]?dev)?` at the end of
/// a version.
struct Modifier<'a> {
    stability: Option<&'a str>,
    numbers: &'a str,
    dev: bool,
}

const BRANCH: &str = "a branch, not a version";

impl ComposerVersion {
    pub(super) fn parse(text: &str) -> Result<ComposerVersion, VersionError> {
        let fail = |reason: &str| VersionError::new(text, SCHEME, reason);
        let mut body = text.trim();
        if body.is_empty() {
            return Err(fail("empty"));
        }
        // `1.0.x-dev as 1.0.0`: the version is the left side.
        if let Some((left, right)) = body.split_once(" as ") {
            let (left, right) = (left.trim_end(), right.trim_start());
            if !left.is_empty() && !right.is_empty() && !right.contains(char::is_whitespace) {
                body = left;
            }
        }
        if let Some((left, flag)) = body.rsplit_once('@') {
            if ["stable", "rc", "beta", "alpha", "dev"].iter().any(|s| flag.eq_ignore_ascii_case(s))
            {
                body = left;
            }
        }
        if ["master", "trunk", "default"].iter().any(|name| body.eq_ignore_ascii_case(name))
            || body.get(..4).is_some_and(|prefix| prefix.eq_ignore_ascii_case("dev-"))
        {
            return Err(fail(BRANCH));
        }
        if let Some((left, build)) = body.split_once('+') {
            if !left.is_empty()
                && !left.contains(|c: char| c == ',' || c.is_whitespace())
                && !build.is_empty()
                && !build.contains(char::is_whitespace)
            {
                body = left;
            }
        }
        let bytes = body.as_bytes();
        let start = usize::from(matches!(bytes.first(), Some(b'v' | b'V')));
        if let Some(version) = classical(body, start).or_else(|| date(body, start)) {
            return Ok(version);
        }
        let lower = body.to_ascii_lowercase();
        if lower.ends_with("dev") {
            return Err(fail(BRANCH));
        }
        Err(fail("not a version Composer reads"))
    }

    /// `alpha`, `beta`, `RC` and `dev` versions.
    pub(super) fn is_prerelease(&self) -> bool {
        self.parts
            .iter()
            .any(|part| matches!(part, Part::Dev | Part::Alpha | Part::Beta | Part::Rc))
    }

    pub(super) fn major(&self) -> Option<u64> {
        match self.parts.first() {
            Some(Part::Number(number)) => Some(*number),
            _ => None,
        }
    }
}

/// `v?\d{1,5}(\.\d+)?(\.\d+)?(\.\d+)?` then a modifier, padded to four
/// numbers.
fn classical(body: &str, start: usize) -> Option<ComposerVersion> {
    let bytes = body.as_bytes();
    let mut position = start;
    let mut numbers: Vec<u64> = Vec::with_capacity(8);
    let first = digit_run(bytes, position);
    if first == 0 || first > 5 {
        return None;
    }
    numbers.push(body.get(position..position + first)?.parse().ok()?);
    position += first;
    while numbers.len() < 4 && bytes.get(position) == Some(&b'.') {
        let run = digit_run(bytes, position + 1);
        if run == 0 {
            break;
        }
        numbers.push(body.get(position + 1..position + 1 + run)?.parse().ok()?);
        position += 1 + run;
    }
    numbers.resize(4, 0);
    let modifier = modifier(body.get(position..)?)?;
    build(numbers, &modifier)
}

/// `v?\d{4}(?:[.:-]?\d{2}){1,6}(?:[.:-]?\d{1,3}){0,2}` then a modifier,
/// with the regex's greedy backtracking: every way the date part can end
/// is tried, longest first, until the rest reads as a modifier.
fn date(body: &str, start: usize) -> Option<ComposerVersion> {
    let bytes = body.as_bytes();
    if digit_run(bytes, start) < 4 {
        return None;
    }
    let mut ends = Vec::new();
    date_pairs(bytes, start + 4, 0, &mut ends);
    for end in ends {
        let Some(modifier) = body.get(end..).and_then(modifier) else { continue };
        let date_part = body.get(start..end)?;
        let numbers = date_part
            .split(|c: char| !c.is_ascii_digit())
            .map(|run| run.parse::<u64>().ok())
            .collect::<Option<Vec<u64>>>()?;
        return build(numbers, &modifier);
    }
    None
}

fn date_pairs(bytes: &[u8], position: usize, count: usize, ends: &mut Vec<usize>) {
    if count < 6 {
        for next in separated(bytes, position) {
            if digit_run(bytes, next) >= 2 {
                date_pairs(bytes, next + 2, count + 1, ends);
            }
        }
    }
    if count >= 1 {
        date_groups(bytes, position, 0, ends);
    }
}

fn date_groups(bytes: &[u8], position: usize, count: usize, ends: &mut Vec<usize>) {
    if count < 2 {
        for next in separated(bytes, position) {
            let run = digit_run(bytes, next).min(3);
            for length in (1..=run).rev() {
                date_groups(bytes, next + length, count + 1, ends);
            }
        }
    }
    ends.push(position);
}

/// Where `[.:-]?` can leave the match: after a separator first (greedy),
/// then without one.
fn separated(bytes: &[u8], position: usize) -> impl Iterator<Item = usize> {
    let with = matches!(bytes.get(position), Some(b'.' | b':' | b'-')).then_some(position + 1);
    with.into_iter().chain(std::iter::once(position))
}

fn digit_run(bytes: &[u8], position: usize) -> usize {
    bytes.iter().skip(position).take_while(|byte| byte.is_ascii_digit()).count()
}

const STABILITIES: [&str; 9] = ["stable", "beta", "b", "rc", "alpha", "a", "patch", "pl", "p"];

/// Reads all of `rest` as `[._-]?(stability((?:[.-]?\d+)*))?([.-]?dev)?`.
fn modifier(rest: &str) -> Option<Modifier<'_>> {
    if let Some(stripped) = rest.strip_prefix(['.', '_', '-']) {
        // The separator is optional; the regex tries it first.
        if let Some(modifier) = modifier_body(stripped) {
            return Some(modifier);
        }
    }
    modifier_body(rest)
}

fn modifier_body(rest: &str) -> Option<Modifier<'_>> {
    let mut modifier = Modifier { stability: None, numbers: "", dev: false };
    let mut rest = rest;
    if let Some(word) = STABILITIES
        .iter()
        .find(|word| rest.get(..word.len()).is_some_and(|prefix| prefix.eq_ignore_ascii_case(word)))
    {
        modifier.stability = rest.get(..word.len());
        rest = rest.get(word.len()..)?;
        // `(?:[.-]?\d+)*`
        let bytes = rest.as_bytes();
        let mut position = 0;
        loop {
            let next = position + usize::from(matches!(bytes.get(position), Some(b'.' | b'-')));
            let run = digit_run(bytes, next);
            if run == 0 {
                break;
            }
            position = next + run;
        }
        modifier.numbers = rest.get(..position)?;
        rest = rest.get(position..)?;
    }
    let dev = rest.strip_prefix(['.', '-']).unwrap_or(rest);
    if dev.eq_ignore_ascii_case("dev") {
        modifier.dev = true;
        rest = "";
    }
    rest.is_empty().then_some(modifier)
}

fn build(numbers: Vec<u64>, modifier: &Modifier<'_>) -> Option<ComposerVersion> {
    let mut parts: Vec<Part> = numbers.into_iter().map(Part::Number).collect();
    if let Some(stability) = modifier.stability {
        if stability == "stable" {
            parts.push(Part::End);
            return Some(ComposerVersion { parts });
        }
        parts.push(match stability.to_ascii_lowercase().as_str() {
            "a" | "alpha" => Part::Alpha,
            "b" | "beta" => Part::Beta,
            "rc" => Part::Rc,
            "p" | "pl" | "patch" => Part::Patch,
            _ => Part::Unknown,
        });
        for run in modifier.numbers.split(['.', '-']).filter(|run| !run.is_empty()) {
            parts.push(Part::Number(run.parse().ok()?));
        }
    }
    if modifier.dev {
        parts.push(Part::Dev);
    }
    parts.push(Part::End);
    Some(ComposerVersion { parts })
}

/// The normalised form Composer prints (`1.0.0.0-beta2`, `1.0.0.0-dev`).
impl fmt::Display for ComposerVersion {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut previous = None;
        for &part in &self.parts {
            let word = match part {
                Part::Number(number) => {
                    if matches!(previous, Some(Part::Number(_))) {
                        formatter.write_str(".")?;
                    }
                    write!(formatter, "{number}")?;
                    previous = Some(part);
                    continue;
                }
                Part::End => continue,
                Part::Unknown => "STABLE",
                Part::Dev => "dev",
                Part::Alpha => "alpha",
                Part::Beta => "beta",
                Part::Rc => "RC",
                Part::Patch => "patch",
            };
            write!(formatter, "-{word}")?;
            previous = Some(part);
        }
        Ok(())
    }
}
