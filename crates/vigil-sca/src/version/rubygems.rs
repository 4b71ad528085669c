//! RubyGems versions (`Gem::Version`): the text must match RubyGems'
//! pattern (digits first, then `.`-separated alphanumerics, then an
//! optional `-` part); `-` reads as `.pre.`; segments are runs of digits or
//! of letters; any letter makes a pre-release (`1.0.a` < `1.0`); trailing
//! zeros of the numeric part and of the string part are dropped before
//! comparing (`1.0` == `1`). Owns nothing else.

use std::cmp::Ordering;
use std::fmt;

use super::VersionError;

pub(super) const SCHEME: &str = "RubyGems";

/// A segment: a number or a run of letters (compared case-sensitively, as
/// Ruby compares strings).
#[derive(Debug, Clone, PartialEq, Eq)]
enum Segment {
    Number(u64),
    Text(Box<str>),
}

/// A gem version, held as its canonical segments.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct GemVersion {
    segments: Vec<Segment>,
}

impl GemVersion {
    pub(super) fn parse(text: &str) -> Result<GemVersion, VersionError> {
        let fail = |reason: String| VersionError::new(text, SCHEME, reason);
        let body = text.trim_matches(|c: char| c.is_ascii_whitespace() || c == '\u{b}');
        if body.is_empty() {
            return Err(fail("empty".into()));
        }
        let (main, pre) = match body.split_once('-') {
            Some((main, pre)) => (main, Some(pre)),
            None => (body, None),
        };
        for (index, part) in main.split('.').enumerate() {
            let valid = !part.is_empty()
                && if index == 0 {
                    part.bytes().all(|byte| byte.is_ascii_digit())
                } else {
                    part.bytes().all(|byte| byte.is_ascii_alphanumeric())
                };
            if !valid {
                return Err(fail(format!(
                    "`{part}` is not a segment (digits first, then letters and digits)"
                )));
            }
        }
        if let Some(pre) = pre {
            let valid = pre.split('.').all(|part| {
                !part.is_empty()
                    && part.bytes().all(|byte| byte.is_ascii_alphanumeric() || byte == b'-')
            });
            if !valid {
                return Err(fail(format!("`-{pre}` is not a pre-release part")));
            }
        }

        let mut segments = Vec::new();
        let bytes = body.as_bytes();
        let mut start = 0;
        while start < bytes.len() {
            let Some(&first) = bytes.get(start) else { break };
            if first == b'-' {
                segments.push(Segment::Text("pre".into()));
                start += 1;
                continue;
            }
            if !first.is_ascii_alphanumeric() {
                start += 1;
                continue;
            }
            let digits = first.is_ascii_digit();
            let end = bytes
                .iter()
                .skip(start)
                .position(|byte| {
                    !(if digits { byte.is_ascii_digit() } else { byte.is_ascii_alphabetic() })
                })
                .map_or(bytes.len(), |offset| start + offset);
            let run = body.get(start..end).unwrap_or_default();
            segments.push(if digits {
                Segment::Number(
                    super::parse_number(run)
                        .ok_or_else(|| fail(format!("`{run}` is too large a number")))?,
                )
            } else {
                Segment::Text(run.into())
            });
            start = end;
        }

        // Canonical segments: trailing zeros of the numeric part and of the
        // string part are dropped.
        let string_start = segments
            .iter()
            .position(|segment| matches!(segment, Segment::Text(_)))
            .unwrap_or(segments.len());
        let mut string_part = segments.split_off(string_start);
        trim_zeros(&mut segments);
        trim_zeros(&mut string_part);
        segments.append(&mut string_part);
        Ok(GemVersion { segments })
    }

    pub(super) fn is_prerelease(&self) -> bool {
        self.segments.iter().any(|segment| matches!(segment, Segment::Text(_)))
    }

    pub(super) fn major(&self) -> Option<u64> {
        match self.segments.first() {
            Some(Segment::Number(number)) => Some(*number),
            // `0.a`: the zero was trimmed.
            Some(Segment::Text(_)) | None => Some(0),
        }
    }
}

fn trim_zeros(segments: &mut Vec<Segment>) {
    while segments.last() == Some(&Segment::Number(0)) {
        segments.pop();
    }
}

impl Ord for GemVersion {
    fn cmp(&self, other: &GemVersion) -> Ordering {
        const ZERO: Segment = Segment::Number(0);
        let length = self.segments.len().max(other.segments.len());
        for index in 0..length {
            let left = self.segments.get(index).unwrap_or(&ZERO);
            let right = other.segments.get(index).unwrap_or(&ZERO);
            let order = match (left, right) {
                (Segment::Number(a), Segment::Number(b)) => a.cmp(b),
                (Segment::Text(a), Segment::Text(b)) => a.cmp(b),
                (Segment::Text(_), Segment::Number(_)) => Ordering::Less,
                (Segment::Number(_), Segment::Text(_)) => Ordering::Greater,
            };
            if order != Ordering::Equal {
                return order;
            }
        }
        Ordering::Equal
    }
}

impl PartialOrd for GemVersion {
    fn partial_cmp(&self, other: &GemVersion) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// The canonical segments joined by `.`, after a `0` when they do not
/// start with a number (a gem version must).
impl fmt::Display for GemVersion {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        let numbered = matches!(self.segments.first(), Some(Segment::Number(_)));
        if !numbered {
            formatter.write_str("0")?;
        }
        for (index, segment) in self.segments.iter().enumerate() {
            if index > 0 || !numbered {
                formatter.write_str(".")?;
            }
            match segment {
                Segment::Number(number) => write!(formatter, "{number}")?,
                Segment::Text(text) => formatter.write_str(text)?,
            }
        }
        Ok(())
    }
}
