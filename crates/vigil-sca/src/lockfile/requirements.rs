//! pip's `requirements*.txt` files, and the PEP 508 requirement strings
//! every Python format shares ([`parse_pep508`], [`pinned_version`]), with
//! a [`LineIndex`] that turns byte offsets into lines in O(log n).
//!
//! A requirements file pins nothing beyond what it says: every `name==1.2.3`
//! line is a direct dependency and an entry. Includes (`-r`, `-c`),
//! editable installs, URLs, local paths and ranges become
//! [`Unresolved`] items; the engine reads each included file on its own.
//! This module must not read other files.

pub(super) use super::lines::LineIndex;
use super::{Entry, Input, LockfileError, Parsed, Req, Scope, Unresolved};

/// Most warnings one file reports; the rest are counted in one last line.
const MAX_WARNINGS: usize = 200;

/// One PEP 508 requirement (`name[extra] >=1.0; python_version < "3.8"`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Pep508<'a> {
    /// The distribution name as written.
    pub(super) name: &'a str,
    /// The version specifiers (`==1.2.3`, `>=1,<2`), trimmed; empty for none.
    pub(super) specifiers: &'a str,
    /// The URL after `@`, when the requirement is a direct reference.
    pub(super) url: Option<&'a str>,
}

/// Reads a PEP 508 requirement; `None` when it does not start with a name.
/// Extras and environment markers are accepted and dropped.
pub(super) fn parse_pep508(text: &str) -> Option<Pep508<'_>> {
    let text = text.trim();
    let name_end = text
        .find(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')))
        .unwrap_or(text.len());
    let name = text.get(..name_end)?;
    if name.is_empty() || !name.starts_with(|c: char| c.is_ascii_alphanumeric()) {
        return None;
    }
    let mut rest = text.get(name_end..)?.trim_start();
    if let Some(after_bracket) = rest.strip_prefix('[') {
        let close = after_bracket.find(']')?;
        rest = after_bracket.get(close + 1..)?.trim_start();
    }
    if let Some(url) = rest.strip_prefix('@') {
        // A URL ends at whitespace; a marker after it needs `; ` with a space.
        let url = url.trim_start();
        let url = url.split(|c: char| c.is_whitespace()).next().unwrap_or(url);
        return Some(Pep508 { name, specifiers: "", url: Some(url) });
    }
    let specifiers = rest.split(';').next().unwrap_or(rest).trim();
    let specifiers = specifiers
        .strip_prefix('(')
        .and_then(|inner| inner.strip_suffix(')'))
        .unwrap_or(specifiers);
    let valid =
        specifiers.chars().all(|c| c.is_ascii_alphanumeric() || " \t=<>!~.,*+-_".contains(c));
    valid.then_some(Pep508 { name, specifiers: specifiers.trim(), url: None })
}

/// The one version `specifiers` allow (`==1.2.3`, `===1.2.3`), if they
/// pin exactly one; a wildcard (`==1.2.*`) pins nothing.
pub(super) fn pinned_version(specifiers: &str) -> Option<&str> {
    let mut pinned = None;
    for clause in specifiers.split(',') {
        let clause = clause.trim();
        let version = clause.strip_prefix("===").or_else(|| clause.strip_prefix("=="));
        if let Some(version) = version {
            let version = version.trim();
            if version.is_empty() || version.contains('*') || pinned.is_some() {
                return None;
            }
            pinned = Some(version);
        }
    }
    pinned
}

/// Why a direct reference (`name @ <url>`, or a bare URL or path) has no
/// version.
pub(super) fn url_reason(url: &str) -> &'static str {
    let lower = url.trim().to_ascii_lowercase();
    if ["git+", "hg+", "svn+", "bzr+"].iter().any(|scheme| lower.starts_with(scheme)) {
        "a git dependency"
    } else if lower.starts_with("file:") || !lower.contains("://") {
        "a local path"
    } else {
        "a URL"
    }
}

/// Warnings capped at [`MAX_WARNINGS`].
pub(super) struct Warnings {
    /// The kept warnings.
    list: Vec<String>,
    /// How many were dropped.
    dropped: usize,
}

impl Warnings {
    /// No warnings yet.
    pub(super) fn new() -> Warnings {
        Warnings { list: Vec::new(), dropped: 0 }
    }

    /// Adds one.
    pub(super) fn push(&mut self, warning: String) {
        if self.list.len() < MAX_WARNINGS {
            self.list.push(warning);
        } else {
            self.dropped += 1;
        }
    }

    /// The warnings, with a last line counting the dropped ones.
    pub(super) fn finish(mut self) -> Vec<String> {
        if self.dropped > 0 {
            self.list.push(format!("{} more warnings not shown", self.dropped));
        }
        self.list
    }
}

/// Parses one requirements file. It has no companion and never fails: a
/// line it cannot read is a warning.
pub(crate) fn parse(
    lock: Input<'_>,
    _companion: Option<Input<'_>>,
) -> Result<Parsed, LockfileError> {
    let mut parsed = Parsed::default();
    let mut warnings = Warnings::new();
    let mut logical = String::new();
    let mut start_line = 0u32;
    for (index, raw) in lock.text.split('\n').enumerate() {
        let number = u32::try_from(index + 1).unwrap_or(u32::MAX);
        let raw = raw.strip_suffix('\r').unwrap_or(raw);
        if logical.is_empty() {
            start_line = number;
        }
        // A comment ends the line, so a `\` inside it continues nothing.
        let content = strip_comment(raw);
        match content.strip_suffix('\\') {
            Some(continued) => {
                logical.push_str(continued);
                logical.push(' ');
            }
            None => {
                logical.push_str(content);
                read_line(lock.path, start_line, &logical, &mut parsed, &mut warnings);
                logical.clear();
            }
        }
    }
    if !logical.is_empty() {
        read_line(lock.path, start_line, &logical, &mut parsed, &mut warnings);
    }
    parsed.warnings = warnings.finish();
    Ok(parsed)
}

/// `line` without its comment: pip starts one at a `#` at the start of the
/// line or after whitespace (so `#egg=` in a URL is kept).
fn strip_comment(line: &str) -> &str {
    let bytes = line.as_bytes();
    for (offset, &byte) in bytes.iter().enumerate() {
        if byte == b'#'
            && (offset == 0 || bytes.get(offset - 1).is_some_and(u8::is_ascii_whitespace))
        {
            return line.get(..offset).unwrap_or(line).trim_end();
        }
    }
    line.trim_end()
}

/// Reads one logical line (continuations joined) starting at `line`.
fn read_line(path: &str, line: u32, text: &str, parsed: &mut Parsed, warnings: &mut Warnings) {
    let text = text.trim();
    if text.is_empty() {
        return;
    }
    if text.starts_with('-') {
        read_option(line, text, parsed);
        return;
    }
    // Per-requirement options (`--hash=...`) follow the requirement.
    let requirement = text.split(" --").next().unwrap_or(text).trim();
    let requirement = requirement.split("\t--").next().unwrap_or(requirement).trim();
    let pep508 = parse_pep508(requirement);
    if let Some(Pep508 { name, url: Some(url), .. }) = pep508 {
        parsed.unresolved.push(Unresolved {
            name: name.to_owned(),
            line,
            reason: url_reason(url).to_owned(),
        });
        return;
    }
    let pep508 = match pep508 {
        Some(pep508) if !looks_like_path_or_url(requirement) => pep508,
        _ if looks_like_path_or_url(requirement) => {
            let name = egg_name(requirement).unwrap_or(requirement);
            parsed.unresolved.push(Unresolved {
                name: name.to_owned(),
                line,
                reason: url_reason(requirement).to_owned(),
            });
            return;
        }
        _ => {
            warnings
                .push(format!("line {line}: cannot read requirement `{}`; skipped", short(text)));
            return;
        }
    };
    let Some(version) = pinned_version(pep508.specifiers) else {
        let range = if pep508.specifiers.is_empty() { "any version" } else { pep508.specifiers };
        parsed.unresolved.push(Unresolved {
            name: pep508.name.to_owned(),
            line,
            reason: format!("not pinned to one version ({range})"),
        });
        return;
    };
    parsed.packages.push(Entry {
        name: pep508.name.to_owned(),
        version: version.to_owned(),
        scope: Scope::Normal,
        line,
        dependencies: Vec::new(),
        license: None,
    });
    parsed.roots.push(Req {
        name: pep508.name.to_owned(),
        version: Some(version.to_owned()),
        scope: Scope::Normal,
        declared: Some((path.to_owned(), line)),
    });
}

/// Reads an option line: includes, constraints and editable installs are
/// unresolved items; index and other options are ignored.
fn read_option(line: u32, text: &str, parsed: &mut Parsed) {
    let (option, value) = match text.split_once(|c: char| c == '=' || c.is_whitespace()) {
        Some((option, value)) => (option, value.trim()),
        None => (text, ""),
    };
    let (name, reason) = match option {
        "-r" | "--requirement" => (format!("-r {value}"), "an included file (read on its own)"),
        "-c" | "--constraint" => (format!("-c {value}"), "a constraints file (read on its own)"),
        "-e" | "--editable" => (egg_name(value).unwrap_or(value).to_owned(), "an editable install"),
        _ => return,
    };
    parsed.unresolved.push(Unresolved { name, line, reason: reason.to_owned() });
}

/// Whether a requirement is a bare URL or local path rather than a name.
fn looks_like_path_or_url(requirement: &str) -> bool {
    requirement.contains("://")
        || requirement.starts_with(['.', '/', '~', '\\'])
        || requirement.starts_with("file:")
        || requirement.contains(['/', '\\'])
        || [".whl", ".tar.gz", ".zip", ".tar.bz2"].iter().any(|ext| requirement.ends_with(ext))
}

/// The package name in a URL's `#egg=name` fragment.
fn egg_name(url: &str) -> Option<&str> {
    let (_, fragment) = url.split_once("#egg=")?;
    let name = fragment.split(['&', ' ', '[']).next()?;
    (!name.is_empty()).then_some(name)
}

/// At most 80 characters of `text`, for a warning.
fn short(text: &str) -> &str {
    match text.char_indices().nth(80) {
        Some((offset, _)) => text.get(..offset).unwrap_or(text),
        None => text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pep508_reads_names_extras_urls_and_markers() {
        let check = |text: &str, expect: Option<(&str, &str, Option<&str>)>| {
            let got = parse_pep508(text).map(|p| (p.name, p.specifiers, p.url));
            assert_eq!(got, expect, "{text}");
        };
        check("django==3.2", Some(("django", "==3.2", None)));
        check(
            "Foo_Bar[x, y] >= 1.0 , <2 ; python_version < \"3.8\"",
            Some(("Foo_Bar", ">= 1.0 , <2", None)),
        );
        check("name (==1.0)", Some(("name", "==1.0", None)));
        check(
            "pkg @ https://x/pkg.whl ; os_name=='nt'",
            Some(("pkg", "", Some("https://x/pkg.whl"))),
        );
        check("requests", Some(("requests", "", None)));
        check("!!", None);
        check("a[unclosed", None);
    }

    #[test]
    fn only_one_exact_version_is_a_pin() {
        assert_eq!(pinned_version("==1.2.3"), Some("1.2.3"));
        assert_eq!(pinned_version("===1.2.3"), Some("1.2.3"));
        assert_eq!(pinned_version(">=1,==1.5"), Some("1.5"));
        assert_eq!(pinned_version("==1.*"), None);
        assert_eq!(pinned_version(">=1.0"), None);
        assert_eq!(pinned_version("==1,==2"), None);
        assert_eq!(pinned_version(""), None);
    }

    #[test]
    fn lines_are_found_by_offset() {
        let index = LineIndex::new("a\nbc\n\nd");
        assert_eq!(index.line(0), 1);
        assert_eq!(index.line(1), 1);
        assert_eq!(index.line(2), 2);
        assert_eq!(index.line(5), 3);
        assert_eq!(index.line(6), 4);
        assert_eq!(index.line(99), 4);
    }
}
