//! The `go` format: a Go module's `go.mod`, read line by line.
//!
//! `require` lines are the build's modules (`// indirect` ones are not the
//! project's own choice, so they are not roots); `replace` swaps the module
//! path and version that are built (a local directory cannot be matched and
//! becomes [`Unresolved`]); `exclude` removes one version (the one Go picks
//! instead is not in the file, so that require becomes [`Unresolved`]);
//! `module`, `go`, `toolchain`, `retract`, `tool`, `godebug` and `ignore`
//! name no dependency. Go's standard library is not a package here.
//!
//! The companion `go.sum` is accepted and not read: it lists the hash of
//! every module version Go ever considered, not the versions it builds, so
//! it would only add versions that are not in the build.

use std::collections::{HashMap, HashSet};

use super::{Entry, Input, LockfileError, Parsed, Req, Unresolved};

/// Directives Go accepts as a `verb (` ... `)` block.
const BLOCK_VERBS: &[&str] =
    &["require", "replace", "exclude", "retract", "tool", "godebug", "ignore"];

/// One `require` line.
struct Require<'a> {
    path: &'a str,
    version: &'a str,
    indirect: bool,
    line: u32,
}

/// One `replace` line.
struct Replace<'a> {
    old_version: Option<&'a str>,
    new_path: &'a str,
    new_version: Option<&'a str>,
    line: u32,
}

/// Reads `go.mod`; the companion `go.sum` is not read (see the module doc).
pub(crate) fn parse(
    lock: Input<'_>,
    companion: Option<Input<'_>>,
) -> Result<Parsed, LockfileError> {
    let _ = companion;
    let mut parsed = Parsed::default();
    let mut requires: Vec<Require<'_>> = Vec::new();
    let mut replaces: HashMap<&str, Vec<Replace<'_>>> = HashMap::new();
    let mut excludes: HashSet<(&str, &str)> = HashSet::new();
    let mut has_module = false;
    let mut block: Option<(&str, u32)> = None;

    for (index, raw_line) in lock.text.lines().enumerate() {
        let line = u32::try_from(index + 1).unwrap_or(u32::MAX);
        let (code, comment) = split_comment(raw_line);
        let tokens = tokenize(code);
        let Some(first) = tokens.first().copied() else { continue };
        let (verb, args) = match block {
            Some((verb, _)) => {
                if first == ")" && tokens.len() == 1 {
                    block = None;
                    continue;
                }
                if tokens.last() == Some(&"(") {
                    // go.mod blocks never nest; reading on keeps depth at one.
                    parsed
                        .warnings
                        .push(format!("line {line}: a block inside the `{verb}` block; skipped"));
                    continue;
                }
                (verb, tokens.as_slice())
            }
            None => {
                let args = tokens.get(1..).unwrap_or_default();
                if args == ["("] {
                    if BLOCK_VERBS.contains(&first) {
                        block = Some((first, line));
                    } else {
                        parsed
                            .warnings
                            .push(format!("line {line}: `{first}` cannot open a block; skipped"));
                        block = Some(("unknown", line));
                    }
                    continue;
                }
                (first, args)
            }
        };
        match verb {
            "module" => has_module = true,
            "go" | "toolchain" | "retract" | "tool" | "godebug" | "ignore" | "unknown" => {}
            "require" => match args {
                [path, version] => requires.push(Require {
                    path: unquote(path),
                    version: unquote(version),
                    indirect: is_indirect(comment),
                    line,
                }),
                _ => parsed.warnings.push(format!(
                    "line {line}: a require needs a module path and a version; skipped"
                )),
            },
            "exclude" => match args {
                [path, version] => {
                    excludes.insert((unquote(path), unquote(version)));
                }
                _ => parsed.warnings.push(format!(
                    "line {line}: an exclude needs a module path and a version; skipped"
                )),
            },
            "replace" => match parse_replace(args, line) {
                Some((old_path, replace)) => replaces.entry(old_path).or_default().push(replace),
                None => parsed.warnings.push(format!(
                    "line {line}: a replace needs `path [version] => path [version]`; skipped"
                )),
            },
            other => {
                parsed.warnings.push(format!("line {line}: unknown directive `{other}`; skipped"))
            }
        }
    }
    if let Some((verb, line)) = block {
        parsed.warnings.push(format!("line {line}: the `{verb}` block is not closed"));
    }
    if !has_module {
        parsed.warnings.push("the file has no `module` line".to_owned());
    }

    let mut seen: HashSet<&str> = HashSet::new();
    for require in &requires {
        if !seen.insert(require.path) {
            parsed.warnings.push(format!(
                "line {}: `{}` is required twice; skipped",
                require.line, require.path
            ));
            continue;
        }
        if excludes.contains(&(require.path, require.version)) {
            parsed.unresolved.push(Unresolved {
                name: require.path.to_owned(),
                line: require.line,
                reason: format!(
                    "an excluded version ({}): Go builds a later one not named in go.mod",
                    require.version
                ),
            });
            continue;
        }
        let replace = replaces.get(require.path).and_then(|candidates| {
            // A replace of this exact version wins over one of every version.
            candidates
                .iter()
                .find(|r| r.old_version == Some(require.version))
                .or_else(|| candidates.iter().find(|r| r.old_version.is_none()))
        });
        let (name, version, line) = match replace {
            None => (require.path, require.version, require.line),
            Some(replace) => match replace.new_version {
                Some(version) => (replace.new_path, version, replace.line),
                None => {
                    parsed.unresolved.push(Unresolved {
                        name: require.path.to_owned(),
                        line: replace.line,
                        reason: "a local replacement".to_owned(),
                    });
                    continue;
                }
            },
        };
        parsed.packages.push(Entry {
            name: name.to_owned(),
            version: version.to_owned(),
            line,
            ..Entry::default()
        });
        if !require.indirect {
            parsed.roots.push(Req {
                name: name.to_owned(),
                version: Some(version.to_owned()),
                declared: Some((lock.path.to_owned(), require.line)),
                ..Req::default()
            });
        }
    }
    Ok(parsed)
}

/// `old [version] => new [version]` into the old path and the replacement.
/// A replacement without a version must be a local directory.
fn parse_replace<'a>(args: &[&'a str], line: u32) -> Option<(&'a str, Replace<'a>)> {
    let arrow = args.iter().position(|token| *token == "=>")?;
    let (left, right) = (args.get(..arrow)?, args.get(arrow + 1..)?);
    let (old_path, old_version) = match left {
        [path] => (unquote(path), None),
        [path, version] => (unquote(path), Some(unquote(version))),
        _ => return None,
    };
    let (new_path, new_version) = match right {
        [path] if is_local_path(unquote(path)) => (unquote(path), None),
        [path, version] => (unquote(path), Some(unquote(version))),
        _ => return None,
    };
    Some((old_path, Replace { old_version, new_path, new_version, line }))
}

/// Whether a replacement path is a directory (Go's rule: it starts with
/// `./`, `../` or is absolute).
fn is_local_path(path: &str) -> bool {
    path.starts_with("./")
        || path.starts_with("../")
        || path.starts_with('/')
        || path.starts_with(".\\")
        || path.starts_with("..\\")
        || path == "."
        || path == ".."
        || path.as_bytes().get(1..3) == Some(b":\\")
}

/// Whether a line comment marks the require indirect (`// indirect`, or
/// `// indirect; reason`).
fn is_indirect(comment: Option<&str>) -> bool {
    comment.is_some_and(|text| {
        let text = text.trim();
        text == "indirect" || text.starts_with("indirect;")
    })
}

/// The code of a line and its `//` comment, if any (outside quotes).
fn split_comment(line: &str) -> (&str, Option<&str>) {
    let bytes = line.as_bytes();
    let mut quote: Option<u8> = None;
    let mut index = 0;
    while let Some(&byte) = bytes.get(index) {
        match quote {
            Some(open) if byte == open => quote = None,
            Some(b'"') if byte == b'\\' => index += 1,
            Some(_) => {}
            None if byte == b'"' || byte == b'`' => quote = Some(byte),
            None if byte == b'/' && bytes.get(index + 1) == Some(&b'/') => {
                return (line.get(..index).unwrap_or(line), line.get(index + 2..));
            }
            None => {}
        }
        index += 1;
    }
    (line, None)
}

/// Whitespace-separated tokens, with `=>`, `(` and `)` on their own.
fn tokenize(code: &str) -> Vec<&str> {
    let mut tokens = Vec::new();
    for word in code.split_whitespace() {
        let mut rest = word;
        while !rest.is_empty() {
            if let Some(tail) = rest.strip_prefix("=>") {
                tokens.push("=>");
                rest = tail;
                continue;
            }
            if rest.starts_with(['(', ')']) {
                tokens.push(rest.get(..1).unwrap_or(rest));
                rest = rest.get(1..).unwrap_or_default();
                continue;
            }
            let end = rest.find("=>").unwrap_or(rest.len());
            let end = rest.get(..end).and_then(|head| head.find(['(', ')'])).unwrap_or(end);
            tokens.push(rest.get(..end).unwrap_or(rest));
            rest = rest.get(end..).unwrap_or_default();
        }
    }
    tokens
}

/// A token without its `"` or `` ` `` quotes.
fn unquote(token: &str) -> &str {
    for quote in ['"', '`'] {
        if let Some(inner) = token.strip_prefix(quote).and_then(|rest| rest.strip_suffix(quote)) {
            return inner;
        }
    }
    token
}
