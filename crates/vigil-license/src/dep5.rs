//! Debian copyright files: recognising the machine-readable format (DEP-5)
//! and reading its `License:` fields, whose first line holds Debian short
//! names (`GPL-2+`, `Expat`, `BSD-3-clause or Artistic`) that this module
//! maps to SPDX. The texts under the fields are matched like any other
//! text by `detect`; this module only reads fields.

use crate::expression::{normalize, slug};
use crate::rules::{DEBIAN_EXCEPTIONS, DEBIAN_NAMES};

/// One `License:` field of a DEP-5 file.
pub(crate) struct Field {
    /// The line of `License:` (from 1).
    pub(crate) start_line: u32,
    /// The last continuation line of the field.
    pub(crate) end_line: u32,
    pub(crate) expression: String,
    /// The value as written, lower case (`bsla`, `gpl-2+`): fields of one
    /// unknown name refer to one text.
    pub(crate) name: String,
    /// Whether every short name in it was known.
    pub(crate) known: bool,
    /// Whether it is one name read as its family (`BSD-2-Clause-alike`,
    /// `BSD-3-clause-Regents`): the maintainer says the text is like the
    /// family's, not that it is the family's own.
    pub(crate) variant: bool,
}

/// Whether `text` is a machine-readable Debian copyright file: its first
/// field is `Format:` (or the older `Format-Specification:`).
pub(crate) fn is_dep5(text: &str) -> bool {
    text.lines().find(|line| !line.trim().is_empty()).is_some_and(|line| {
        let lower = line.to_ascii_lowercase();
        lower.starts_with("format:") || lower.starts_with("format-specification:")
    })
}

/// The `License:` fields of a DEP-5 file, in order. A field with an empty
/// first line whose only continuation line is a known short name
/// (`License:` then ` Public domain.`, in GnuTLS's older copyright file)
/// names that license; any other empty field is skipped.
pub(crate) fn license_fields(text: &str) -> Vec<Field> {
    let lines: Vec<&str> = text.lines().collect();
    let mut fields = Vec::new();
    for (index, line) in lines.iter().enumerate() {
        let Some(value) = strip_prefix_ignore_case(line, "license:") else { continue };
        let continuation = lines[index + 1..]
            .iter()
            .take_while(|next| next.starts_with([' ', '\t']) && !next.trim().is_empty())
            .count();
        let mut value = value.trim();
        let mut named_below = None;
        if value.is_empty() {
            let Some(next) = lines.get(index + 1).filter(|_| continuation == 1) else { continue };
            value = next.trim().trim_end_matches('.');
            let Some(id) = debian_name(&value.to_ascii_lowercase()) else { continue };
            named_below = Some(id);
        }
        let (expression, known) = match named_below {
            Some(id) => (id, true),
            None => debian_expression(value),
        };
        fields.push(Field {
            start_line: line_number(index),
            end_line: line_number(index + continuation),
            expression,
            name: value.to_ascii_lowercase(),
            known,
            variant: is_variant_name(value),
        });
    }
    fields
}

fn line_number(index: usize) -> u32 {
    u32::try_from(index + 1).unwrap_or(u32::MAX)
}

fn strip_prefix_ignore_case<'a>(line: &'a str, prefix: &str) -> Option<&'a str> {
    let head = line.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix).then(|| &line[prefix.len()..])
}

/// Maps a `License:` value of Debian short names to an SPDX expression;
/// `false` when some name was not known (it becomes `LicenseRef-<slug>`).
/// `, and` binds loosest (Debian policy: `GPL-1+ or Artistic, and Unicode`
/// is `(GPL-1.0-or-later OR Artistic-1.0-Perl) AND Unicode`), so each group
/// between `, and` is read alone and parenthesised when it holds an `OR`.
pub(crate) fn debian_expression(value: &str) -> (String, bool) {
    let groups = split_comma_and(value);
    if groups.len() < 2 {
        return group_expression(value);
    }
    let mut known = true;
    let mut parts = Vec::new();
    for group in groups {
        let (expression, group_known) = group_expression(group);
        known &= group_known;
        parts.push(if expression.contains(" OR ") {
            format!("({expression})")
        } else {
            expression
        });
    }
    let joined = parts.join(" AND ");
    match normalize(&joined) {
        Ok(normalized) => (normalized.expression, known),
        Err(_) => (format!("LicenseRef-{}", slug(value)), false),
    }
}

/// `A or B, and C` → `["A or B", "C"]` (ASCII case-insensitive `, and `).
fn split_comma_and(value: &str) -> Vec<&str> {
    let lower = value.to_ascii_lowercase();
    let mut groups = Vec::new();
    let mut start = 0;
    while let Some(at) = lower[start..].find(", and ") {
        groups.push(value[start..start + at].trim());
        start += at + ", and ".len();
    }
    groups.push(value[start..].trim());
    groups.retain(|group| !group.is_empty());
    groups
}

/// One group of [`debian_expression`], without `, and`.
fn group_expression(value: &str) -> (String, bool) {
    let mut out: Vec<String> = Vec::new();
    let mut known = true;
    let mut words = value.split_whitespace().peekable();
    while let Some(word) = words.next() {
        let lower = word.to_ascii_lowercase();
        match lower.as_str() {
            "or" | "|" => out.push("OR".to_owned()),
            "and" | "&" | "," => out.push("AND".to_owned()),
            "with" => {
                let mut exception = Vec::new();
                for next in words.by_ref() {
                    exception.push(next);
                    if next.eq_ignore_ascii_case("exception") {
                        break;
                    }
                }
                let name = exception.join("-");
                let license = out.last().map_or("", String::as_str);
                let id = exception_id(&name, license)
                    .unwrap_or_else(|| format!("AdditionRef-{}", slug(&name)));
                out.push("WITH".to_owned());
                out.push(id);
            }
            _ => {
                let name = lower.trim_end_matches([',', ';']);
                let mapped = debian_name(name);
                known &= mapped.is_some();
                let id = mapped.unwrap_or_else(|| format!("LicenseRef-{}", slug(word)));
                let needs_parens = id.contains(" OR ") && out.last().is_some_and(|op| op == "AND");
                out.push(if needs_parens { format!("({id})") } else { id });
                if word.ends_with(',') && words.peek().is_some_and(|next| !is_operator(next)) {
                    out.push("AND".to_owned());
                }
            }
        }
    }
    let joined = out.join(" ");
    match normalize(&joined) {
        Ok(normalized) => (normalized.expression, known),
        Err(_) => (format!("LicenseRef-{}", slug(value)), false),
    }
}

/// The SPDX exception a Debian `with X exception` names (`name` is
/// `X-exception`, as written): an SPDX id with or without the `-exception`
/// the field adds (`Libtool-exception`, `Linux-syscall-note`), or a
/// short name of [`DEBIAN_EXCEPTIONS`] whose version follows the license's
/// (`GPL-3+ with Autoconf exception` is `Autoconf-exception-3.0`).
fn exception_id(name: &str, license: &str) -> Option<String> {
    let bare = name
        .get(..name.len().saturating_sub("-exception".len()))
        .filter(|_| name.to_ascii_lowercase().ends_with("-exception"))
        .unwrap_or(name);
    let spdx = spdx::identifiers::EXCEPTIONS.iter().find(|candidate| {
        candidate.name.eq_ignore_ascii_case(name) || candidate.name.eq_ignore_ascii_case(bare)
    });
    if let Some(exception) = spdx {
        return Some(exception.name.to_owned());
    }
    DEBIAN_EXCEPTIONS
        .iter()
        .find(|(debian, prefix, _)| {
            debian.eq_ignore_ascii_case(bare) && license.starts_with(prefix)
        })
        .map(|(_, _, id)| (*id).to_owned())
}

fn is_operator(word: &str) -> bool {
    matches!(word.to_ascii_lowercase().as_str(), "or" | "and" | "|" | "&" | "with")
}

/// Whether `value` is one short name that only [`variant_family`] knows,
/// other than the family's own name in another spelling (`BSD-3`, `BSD3`
/// are `BSD-3-Clause` itself, not a text like it).
fn is_variant_name(value: &str) -> bool {
    let name = value.to_ascii_lowercase();
    !name.contains(char::is_whitespace)
        && gnu_name(&name).is_none()
        && !DEBIAN_NAMES.iter().any(|(debian, _)| *debian == name)
        && variant_family(&name).is_some()
        && !is_bsd_spelling(&name)
}

/// `bsd3`, `bsd-3`, `bsd-3-clause`: a BSD family's name with nothing after
/// the clause count.
fn is_bsd_spelling(name: &str) -> bool {
    let Some(rest) = name.strip_prefix("bsd") else { return false };
    let rest = rest.strip_prefix('-').unwrap_or(rest);
    let rest = rest.strip_prefix(['2', '3', '4']).unwrap_or(rest);
    rest.is_empty() || rest == "-clause"
}

/// One Debian short name (lower case) to SPDX.
fn debian_name(name: &str) -> Option<String> {
    if let Some(gnu) = gnu_name(name) {
        return Some(gnu);
    }
    if let Some((_, id)) = DEBIAN_NAMES.iter().find(|(debian, _)| *debian == name) {
        return Some((*id).to_owned());
    }
    // An SPDX id as written (`BSD-4-Clause-UC`) names itself, not its family.
    if let Some(license) = spdx::identifiers::LICENSES
        .iter()
        .find(|l| l.name.eq_ignore_ascii_case(name))
        .and_then(|l| spdx::license_id(l.name))
        .filter(|l| !l.is_deprecated())
    {
        return Some(license.name.to_owned());
    }
    if let Some(family) = variant_family(name) {
        return Some(family.to_owned());
    }
    let (base, plus) = match name.strip_suffix('+') {
        Some(base) => (base, "+"),
        None => (name, ""),
    };
    let license = spdx::identifiers::LICENSES.iter().find(|l| l.name.eq_ignore_ascii_case(base))?;
    normalize(&format!("{}{plus}", license.name)).ok().map(|normalized| normalized.expression)
}

/// Debian names a variant of a common license by its family and the holder
/// or a nickname (`BSD-3-clause-Regents`, `BSD-2-Clause-netbsd`, `BSD3`,
/// `MIT-OpenVision`, `Expat-ISC`, `MIT/X11`, `ISC-Original`): the terms are
/// the family's, with other names in them. Used only when no exact name
/// matched; a text matched under the field is still reported beside it.
fn variant_family(name: &str) -> Option<&'static str> {
    let separated = |rest: &str| rest.is_empty() || rest.starts_with(['-', '_', '/', '.', ' ']);
    if let Some(rest) = name.strip_prefix("bsd") {
        let rest = rest.strip_prefix('-').unwrap_or(rest);
        let (digit, after) = rest.split_at(rest.len().min(1));
        let after = after.strip_prefix("-clause").unwrap_or(after);
        let id = match digit {
            "2" => "BSD-2-Clause",
            "3" => "BSD-3-Clause",
            "4" => "BSD-4-Clause",
            _ => return None,
        };
        return separated(after).then_some(id);
    }
    for (prefix, id) in
        [("mit", "MIT"), ("expat", "MIT"), ("isc", "ISC"), ("zlib", "Zlib"), ("boost", "BSL-1.0")]
    {
        if let Some(rest) = name.strip_prefix(prefix) {
            return separated(rest).then_some(id);
        }
    }
    None
}

/// `GPL-2+`, `LGPL-2.1`, `AGPL-3+`, `GFDL-1.3+`, `GPLv3+`, `LGPLv2.1+`,
/// `GFDL-NIV-1.3` (no invariant sections), bare `GPL` (any version).
fn gnu_name(name: &str) -> Option<String> {
    let (family, rest) = ["agpl", "lgpl", "gfdl", "gpl"]
        .iter()
        .find_map(|family| name.strip_prefix(family).map(|rest| (*family, rest)))?;
    let upper = family.to_ascii_uppercase();
    if rest.is_empty() || rest == "+" {
        let first = match family {
            "lgpl" => "2.0",
            "agpl" => "3.0",
            "gfdl" => "1.1",
            _ => "1.0",
        };
        return Some(format!("{upper}-{first}-or-later"));
    }
    let rest = rest.strip_prefix('-').or_else(|| rest.strip_prefix('v'))?;
    let (rest, no_invariants) = match rest.strip_prefix("niv-") {
        Some(rest) if family == "gfdl" => (rest, true),
        _ => (rest, false),
    };
    let (version, later) = if let Some(version) = rest.strip_suffix('+') {
        (version, true)
    } else if let Some(version) = rest.strip_suffix("-or-later") {
        (version, true)
    } else {
        (rest.strip_suffix("-only").unwrap_or(rest), false)
    };
    let version = match version {
        "1" | "1.0" => "1.0",
        "2" | "2.0" => "2.0",
        "3" | "3.0" => "3.0",
        "2.1" | "1.1" | "1.2" | "1.3" => version,
        _ => return None,
    };
    let invariants = if no_invariants { "-no-invariants" } else { "" };
    let id = format!("{upper}-{version}{invariants}-{}", if later { "or-later" } else { "only" });
    spdx::license_id(&id).map(|_| id)
}

#[cfg(test)]
mod tests;
