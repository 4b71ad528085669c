//! pnpm's `pnpm-lock.yaml`: lockfileVersion 5.x (`/name/1.2.3` keys), 6.x
//! (`/name@1.2.3` keys, `importers` with `specifier` + `version`) and 9.x
//! (`packages` + `snapshots`), with peer suffixes (`_react@18.0.0`,
//! `(react@18.0.0)`) stripped.
//!
//! It also owns the small YAML tree (with the line of every key) that yarn
//! Berry's lockfile is read through too. It knows nothing of npm's or yarn's
//! syntax.

use std::collections::HashMap;

use yaml_rust2::parser::{Event, Parser};

use super::npm::{self, Declared, PackageJson, Source};
use super::{Entry, Input, LockfileError, Parsed, Req, Scope, Unresolved};

/// Deepest YAML nesting read; lockfiles use about six levels.
const MAX_YAML_DEPTH: usize = 64;

/// Reads a `pnpm-lock.yaml`.
pub(crate) fn parse(
    lock: Input<'_>,
    companion: Option<Input<'_>>,
) -> Result<Parsed, LockfileError> {
    let document = load_yaml(lock.text)?;
    let Yaml::Map(top) = &document else {
        return Err(LockfileError::new("not a pnpm lockfile: the top level is not a mapping"));
    };
    let Some(version) = get(top, "lockfileVersion").and_then(Yaml::as_str) else {
        return Err(LockfileError::new("not a pnpm lockfile: it has no lockfileVersion"));
    };
    let syntax = match version.split('.').next().unwrap_or_default() {
        "5" => Syntax::V5,
        "6" => Syntax::V6,
        "9" => Syntax::V9,
        _ => {
            return Err(LockfileError::at(
                get_entry(top, "lockfileVersion").map_or(1, |(line, _)| line),
                format!("lockfileVersion {version} is not one Vigil reads (5.x, 6.x, 9.x)"),
            ));
        }
    };
    let mut parsed = Parsed::default();
    let manifest = companion.and_then(|input| PackageJson::read(input, &mut parsed.warnings));

    // Packages, one entry per name and version (peer variants merged).
    let mut by_key: HashMap<(String, String), usize> = HashMap::new();
    let empty = Vec::new();
    let packages = get(top, "packages").and_then(Yaml::as_map).unwrap_or(&empty);
    for (key, line, value) in packages {
        let fields = value.as_map().unwrap_or(&empty);
        // Non-registry packages (git, tarballs, folders) carry `name` and
        // `version` fields; their keys are URLs or paths.
        let from_key = parse_key(key, syntax);
        let name = get(fields, "name")
            .and_then(Yaml::as_str)
            .or(from_key.as_ref().map(|(name, _)| name.as_str()))
            .unwrap_or_default()
            .to_owned();
        if name.is_empty() {
            parsed
                .warnings
                .push(format!("line {line}: package key `{key}` is not understood; skipped"));
            continue;
        }
        let key_version = from_key.as_ref().map_or("", |(_, version)| version.as_str());
        if let Some(reason) = non_registry(key, key_version, syntax, fields) {
            parsed.unresolved.push(Unresolved { name, line: *line, reason: reason.into() });
            continue;
        }
        let version =
            get(fields, "version").and_then(Yaml::as_str).unwrap_or(key_version).to_owned();
        if version.is_empty() {
            parsed.warnings.push(format!("line {line}: package `{name}` has no version; skipped"));
            continue;
        }
        let scope = if get(fields, "dev").and_then(Yaml::as_str) == Some("true") {
            Scope::Dev
        } else if get(fields, "optional").and_then(Yaml::as_str) == Some("true") {
            Scope::Optional
        } else {
            Scope::Normal
        };
        let index = *by_key.entry((name.clone(), version.clone())).or_insert_with(|| {
            parsed.packages.push(Entry {
                name: name.clone(),
                version: version.clone(),
                scope,
                line: *line,
                dependencies: Vec::new(),
                license: None,
            });
            parsed.packages.len() - 1
        });
        if syntax != Syntax::V9 {
            add_edges(&mut parsed.packages, index, fields, syntax);
        }
    }
    if syntax == Syntax::V9 {
        let snapshots = get(top, "snapshots").and_then(Yaml::as_map).unwrap_or(&empty);
        for (key, line, value) in snapshots {
            let Some((name, version)) = parse_key(key, syntax) else {
                parsed
                    .warnings
                    .push(format!("line {line}: snapshot key `{key}` is not understood; skipped"));
                continue;
            };
            let Some(&index) = by_key.get(&(name, version)) else { continue };
            add_edges(&mut parsed.packages, index, value.as_map().unwrap_or(&empty), syntax);
        }
    }

    // Roots: importers (v6 workspaces, v9), else the top-level sections.
    let importers = get(top, "importers").and_then(Yaml::as_map);
    let root_importers: Vec<(&str, &YamlMap)> = match importers {
        Some(importers) => importers
            .iter()
            .filter_map(|(path, _, value)| Some((path.as_str(), value.as_map()?)))
            .collect(),
        None => vec![(".", top)],
    };
    for (importer, sections) in root_importers {
        let mut declared: Vec<(Declared, String)> = Vec::new();
        for (field, scope) in [
            ("dependencies", Scope::Normal),
            ("devDependencies", Scope::Dev),
            ("optionalDependencies", Scope::Optional),
        ] {
            let Some(deps) = get(sections, field).and_then(Yaml::as_map) else { continue };
            let specifiers = get(sections, "specifiers").and_then(Yaml::as_map);
            for (name, line, value) in deps {
                let (spec, resolved) = match value {
                    Yaml::Map(fields) => (
                        get(fields, "specifier").and_then(Yaml::as_str).unwrap_or_default(),
                        get(fields, "version").and_then(Yaml::as_str).unwrap_or_default(),
                    ),
                    other => (
                        specifiers
                            .and_then(|specifiers| get(specifiers, name))
                            .and_then(Yaml::as_str)
                            .unwrap_or_default(),
                        other.as_str().unwrap_or_default(),
                    ),
                };
                declared.push((
                    Declared {
                        name: name.clone(),
                        spec: spec.to_owned(),
                        scope,
                        path: lock.path.to_owned(),
                        line: *line,
                    },
                    resolved.to_owned(),
                ));
            }
        }
        // The companion manifest is the root importer's: its lines win.
        if importer == "." {
            if let Some(manifest) = &manifest {
                for (dependency, _) in &mut declared {
                    if let Some(found) =
                        manifest.declared.iter().find(|declared| declared.name == dependency.name)
                    {
                        dependency.path.clone_from(&found.path);
                        dependency.line = found.line;
                    }
                }
            }
        }
        declared.sort_by_key(|(dependency, _)| dependency.line);
        for (dependency, resolved) in declared {
            push_root(&dependency, &resolved, syntax, &mut parsed);
        }
    }
    if syntax == Syntax::V9 {
        npm::infer_scopes(&mut parsed);
    }
    parsed.packages.sort_by_key(|entry| entry.line);
    Ok(parsed)
}

/// The three key syntaxes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Syntax {
    /// `/name/1.2.3_peer@1.0.0`
    V5,
    /// `/name@1.2.3(peer@1.0.0)`
    V6,
    /// `name@1.2.3(peer@1.0.0)`
    V9,
}

/// Name and version of a package key, peer suffix stripped.
fn parse_key(key: &str, syntax: Syntax) -> Option<(String, String)> {
    let (name, version) = match syntax {
        Syntax::V5 => {
            let path = key.strip_prefix('/').unwrap_or(key);
            let split = if path.starts_with('@') {
                path.match_indices('/').nth(1).map(|(at, _)| at)
            } else {
                path.find('/')
            }?;
            (path.get(..split)?, path.get(split + 1..)?)
        }
        Syntax::V6 => npm::split_descriptor(key.strip_prefix('/').unwrap_or(key))?,
        Syntax::V9 => npm::split_descriptor(key)?,
    };
    if name.is_empty() {
        return None;
    }
    Some((name.to_owned(), strip_peers(version).to_owned()))
}

/// `1.2.3(react@18.0.0)` or `1.2.3_react@18.0.0` → `1.2.3`.
fn strip_peers(version: &str) -> &str {
    let end = version.find('(').unwrap_or(version.len());
    let version = version.get(..end).unwrap_or(version);
    // Only registry versions carry `_` peer suffixes (semver has no `_`).
    if version.bytes().next().is_some_and(|byte| byte.is_ascii_digit()) {
        version.split('_').next().unwrap_or(version)
    } else {
        version
    }
}

/// Why a package entry is not a registry version, if it is not.
fn non_registry(
    key: &str,
    key_version: &str,
    syntax: Syntax,
    fields: &[(String, u32, Yaml)],
) -> Option<&'static str> {
    if let Some(resolution) = get(fields, "resolution").and_then(Yaml::as_map) {
        match get(resolution, "type").and_then(Yaml::as_str) {
            Some("git") => return Some("a git dependency"),
            Some("directory") => return Some("a local path"),
            _ => {}
        }
        if let Some(tarball) = get(resolution, "tarball").and_then(Yaml::as_str) {
            let reason = npm::classify(tarball).reason();
            if reason.is_some() {
                return reason;
            }
        }
    }
    match syntax {
        // v5/v6 keys of registry packages start with `/`; others are a
        // host path (`github.com/acme/x/5f3c1b2`, `example.com/x.tgz`).
        Syntax::V5 | Syntax::V6 if !key.starts_with('/') => {
            if ["github.com/", "gitlab.com/", "bitbucket.org/"]
                .iter()
                .any(|host| key.contains(host))
            {
                Some("a git dependency")
            } else if let Some(reason) = npm::classify(key).reason() {
                Some(reason)
            } else if key.contains("/-/") {
                None
            } else {
                Some("a URL")
            }
        }
        // v9 keys are `name@<version or reference>`.
        _ => npm::classify(key_version).reason(),
    }
}

/// Adds the edges of `fields` (`dependencies`, `optionalDependencies`) to
/// the entry at `index`.
fn add_edges(packages: &mut [Entry], index: usize, fields: &[(String, u32, Yaml)], syntax: Syntax) {
    let mut edges = Vec::new();
    for field in ["dependencies", "optionalDependencies"] {
        let Some(deps) = get(fields, field).and_then(Yaml::as_map) else { continue };
        for (name, _, value) in deps {
            let Some(reference) = value.as_str() else { continue };
            if let Some((name, version)) = resolve_reference(name, reference, syntax) {
                edges.push(Req { name, version: Some(version), ..Req::default() });
            }
        }
    }
    if let Some(entry) = packages.get_mut(index) {
        for edge in edges {
            if !entry.dependencies.contains(&edge) {
                entry.dependencies.push(edge);
            }
        }
    }
}

/// The package a dependency value points at: a version (`1.2.3(peer@1)`),
/// an alias key (`/other/1.0.0`, `/other@1.0.0`, `other@1.0.0`); `None` for
/// `link:` and other non-registry references.
fn resolve_reference(name: &str, reference: &str, syntax: Syntax) -> Option<(String, String)> {
    if reference.bytes().next().is_some_and(|byte| byte.is_ascii_digit()) {
        return Some((name.to_owned(), strip_peers(reference).to_owned()));
    }
    if npm::classify(reference) != Source::Registry || reference.contains("github.com/") {
        return None;
    }
    parse_key(reference, syntax)
}

/// Records one importer dependency as a root (or unresolved).
fn push_root(dependency: &Declared, resolved: &str, syntax: Syntax, parsed: &mut Parsed) {
    if npm::push_unresolved_spec(dependency, parsed) {
        return;
    }
    let source = npm::classify(resolved);
    if source == Source::Local && resolved.starts_with("link:") {
        // A workspace package of the project itself.
        return;
    }
    if let Some(reason) = source.reason() {
        // The lockfile's own entry for it, if any, is said once, here.
        parsed.unresolved.retain(|unresolved| unresolved.name != dependency.name);
        parsed.unresolved.push(Unresolved {
            name: dependency.name.clone(),
            line: dependency.line,
            reason: reason.into(),
        });
        return;
    }
    let (name, version) = match resolve_reference(&dependency.name, resolved, syntax) {
        Some((name, version)) => (name, Some(version)),
        None => (dependency.name.clone(), None),
    };
    parsed.roots.push(Req {
        name,
        version,
        scope: dependency.scope,
        declared: Some((dependency.path.clone(), dependency.line)),
    });
}

// ---------------------------------------------------------------------------
// A YAML tree with key lines, shared with yarn Berry.
// ---------------------------------------------------------------------------

/// A YAML mapping: (key, 1-based line of the key, value), in file order.
pub(super) type YamlMap = Vec<(String, u32, Yaml)>;

/// A YAML value. Every scalar is kept as its text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Yaml {
    /// A scalar, as written (`1.2.3`, `true`).
    Scalar(String),
    /// A mapping: (key, 1-based line of the key, value), in file order.
    Map(YamlMap),
    /// A sequence.
    Seq(Vec<Yaml>),
    /// An alias or an empty document (an empty value is an empty scalar,
    /// as YAML parsers report it).
    Null,
}

impl Yaml {
    /// The scalar's text.
    pub(super) fn as_str(&self) -> Option<&str> {
        match self {
            Yaml::Scalar(text) => Some(text),
            _ => None,
        }
    }

    /// The mapping's members.
    pub(super) fn as_map(&self) -> Option<&YamlMap> {
        match self {
            Yaml::Map(members) => Some(members),
            _ => None,
        }
    }
}

/// The value of `key` in a mapping (first match).
pub(super) fn get<'a>(map: &'a [(String, u32, Yaml)], key: &str) -> Option<&'a Yaml> {
    get_entry(map, key).map(|(_, value)| value)
}

/// The line and value of `key` in a mapping (first match).
pub(super) fn get_entry<'a>(map: &'a [(String, u32, Yaml)], key: &str) -> Option<(u32, &'a Yaml)> {
    map.iter().find(|(name, _, _)| name == key).map(|(_, line, value)| (*line, value))
}

/// Parses the first YAML document of `text`, iteratively and with bounded
/// nesting: through [`load_plain_yaml`] when the text keeps to the block
/// style pnpm and yarn write, else through yaml-rust2.
pub(super) fn load_yaml(text: &str) -> Result<Yaml, LockfileError> {
    match load_plain_yaml(text) {
        Some(document) => Ok(document),
        None => load_full_yaml(text),
    }
}

/// Reads the YAML subset lockfile writers use (block mappings indented by
/// spaces, plain or quoted scalars, one-line flow mappings and sequences,
/// block sequences of scalars) about ten times faster than the general
/// parser. `None` at anything outside it (anchors, block scalars, tabs,
/// escapes, odd indentation, deep nesting): the caller then uses the
/// general parser, which also gives the error messages.
fn load_plain_yaml(text: &str) -> Option<Yaml> {
    /// One open collection and its indentation.
    enum Open {
        Map(usize, YamlMap, Option<(String, u32)>),
        Seq(usize, Vec<Yaml>),
    }
    impl Open {
        fn indent(&self) -> usize {
            match self {
                Open::Map(indent, ..) | Open::Seq(indent, _) => *indent,
            }
        }
        fn close(self) -> Yaml {
            match self {
                Open::Map(_, mut members, pending) => {
                    if let Some((key, line)) = pending {
                        members.push((key, line, Yaml::Scalar(String::new())));
                    }
                    Yaml::Map(members)
                }
                Open::Seq(_, items) => Yaml::Seq(items),
            }
        }
    }
    /// Adds a closed collection to its parent's pending key.
    fn attach(stack: &mut [Open], value: Yaml) -> Option<()> {
        match stack.last_mut()? {
            Open::Map(_, members, pending) => {
                let (key, line) = pending.take()?;
                members.push((key, line, value));
                Some(())
            }
            Open::Seq(..) => None,
        }
    }

    let mut stack: Vec<Open> = vec![Open::Map(0, Vec::new(), None)];
    for (index, raw) in text.lines().enumerate() {
        let line = u32::try_from(index + 1).ok()?;
        let content = raw.trim_start_matches(' ');
        if content.is_empty() || content.starts_with('#') {
            continue;
        }
        if content.starts_with('\t') || content.starts_with("---") || content.starts_with("...") {
            return None;
        }
        let indent = raw.len() - content.len();
        while stack.last()?.indent() > indent {
            let closed = stack.pop()?.close();
            attach(&mut stack, closed)?;
        }
        let is_item = content == "-" || content.starts_with("- ");
        if let Some(Open::Map(map_indent, _, Some(_))) = stack.last() {
            if indent > *map_indent {
                if stack.len() >= MAX_YAML_DEPTH {
                    return None;
                }
                stack.push(if is_item {
                    Open::Seq(indent, Vec::new())
                } else {
                    Open::Map(indent, Vec::new(), None)
                });
            }
        }
        let top = stack.last_mut()?;
        if top.indent() != indent {
            return None;
        }
        match top {
            Open::Seq(_, items) => {
                let item = content.strip_prefix('-')?.trim_start();
                if !is_item || item.starts_with('-') || find_separator(item).is_some() {
                    return None;
                }
                items.push(plain_value(item, line)?);
            }
            Open::Map(_, members, pending) => {
                if is_item {
                    return None;
                }
                if let Some((key, key_line)) = pending.take() {
                    members.push((key, key_line, Yaml::Scalar(String::new())));
                }
                let (key, rest) = split_key(content)?;
                if rest.is_empty() {
                    *pending = Some((key, line));
                } else {
                    members.push((key, line, plain_value(rest, line)?));
                }
            }
        }
    }
    while stack.len() > 1 {
        let closed = stack.pop()?.close();
        attach(&mut stack, closed)?;
    }
    Some(stack.pop()?.close())
}

/// `key: rest` → (key, rest trimmed); the key plain or quoted.
fn split_key(content: &str) -> Option<(String, &str)> {
    let (key, after) = if content.starts_with('\'') || content.starts_with('"') {
        let (key, length) = quoted(content)?;
        (key, content.get(length..)?)
    } else {
        let at = find_separator(content).or_else(|| content.strip_suffix(':').map(str::len))?;
        let key = content.get(..at)?.trim_end();
        if key.is_empty() || !plain_is_simple(key) {
            return None;
        }
        (key.to_owned(), content.get(at..)?)
    };
    let rest = after.strip_prefix(':')?;
    if !(rest.is_empty() || rest.starts_with(' ')) {
        return None;
    }
    Some((key, strip_comment(rest.trim())))
}

/// Byte offset of the first `: ` outside quotes.
fn find_separator(text: &str) -> Option<usize> {
    if text.starts_with('\'') || text.starts_with('"') {
        let (_, length) = quoted(text)?;
        return text.get(length..)?.find(": ").map(|at| at + length);
    }
    text.find(": ")
}

/// A value on a key's line: a scalar or a one-line flow collection.
fn plain_value(text: &str, line: u32) -> Option<Yaml> {
    if let Some(inner) = text.strip_prefix('{') {
        let inner = inner.strip_suffix('}')?;
        let mut members = Vec::new();
        for part in split_flow(inner)? {
            let (key, rest) = split_key(part)?;
            members.push((key, line, Yaml::Scalar(scalar(rest)?)));
        }
        return Some(Yaml::Map(members));
    }
    if let Some(inner) = text.strip_prefix('[') {
        let inner = inner.strip_suffix(']')?;
        let items: Option<Vec<Yaml>> =
            split_flow(inner)?.into_iter().map(|part| scalar(part).map(Yaml::Scalar)).collect();
        return Some(Yaml::Seq(items?));
    }
    scalar(text).map(Yaml::Scalar)
}

/// The members of a flow collection's inside, split at top-level commas.
fn split_flow(inner: &str) -> Option<Vec<&str>> {
    let mut parts = Vec::new();
    let mut start = 0;
    let mut quote: Option<char> = None;
    for (at, character) in inner.char_indices() {
        match (quote, character) {
            (Some(open), _) if character == open => quote = None,
            (Some(_), _) => {}
            (None, '\'' | '"') => quote = Some(character),
            (None, '{' | '[' | ']' | '}') => return None,
            (None, ',') => {
                parts.push(inner.get(start..at)?.trim());
                start = at + 1;
            }
            _ => {}
        }
    }
    if quote.is_some() {
        return None;
    }
    let last = inner.get(start..)?.trim();
    if !last.is_empty() || !parts.is_empty() {
        parts.push(last);
    }
    if parts.iter().any(|part| part.is_empty()) {
        return None;
    }
    Some(parts)
}

/// A scalar's text: quoted ones unquoted, plain ones as written.
fn scalar(text: &str) -> Option<String> {
    let text = text.trim();
    if text.starts_with('\'') || text.starts_with('"') {
        let (value, length) = quoted(text)?;
        return text.get(length..)?.trim().is_empty().then_some(value);
    }
    plain_is_simple(text).then(|| text.to_owned())
}

/// Whether a plain scalar is read the same by every YAML parser: no
/// indicator that starts something else, no `: ` or ` #` inside.
fn plain_is_simple(text: &str) -> bool {
    !text.is_empty()
        && !text.starts_with([
            '&', '*', '!', '|', '>', '%', '@', '`', '{', '[', '-', '?', ',', ']', '}', '#',
        ])
        && !text.contains(": ")
        && !text.contains(" #")
        && !text.ends_with(':')
        && !text.contains('\t')
}

/// A quoted scalar at the start of `text`: its value and its length in
/// bytes with the quotes. Double-quoted ones with escapes are left to the
/// general parser.
fn quoted(text: &str) -> Option<(String, usize)> {
    let quote = text.chars().next()?;
    let body = text.get(1..)?;
    if quote == '"' {
        let end = body.find('"')?;
        let value = body.get(..end)?;
        if value.contains('\\') {
            return None;
        }
        return Some((value.to_owned(), end + 2));
    }
    let mut value = String::new();
    let mut rest = body;
    loop {
        let end = rest.find('\'')?;
        value.push_str(rest.get(..end)?);
        if rest.get(end + 1..end + 2) == Some("'") {
            value.push('\'');
            rest = rest.get(end + 2..)?;
        } else {
            let consumed = text.len() - rest.len() + end + 1;
            return Some((value, consumed));
        }
    }
}

/// Drops a trailing ` # comment` from a plain value.
fn strip_comment(text: &str) -> &str {
    if text.starts_with('\'') || text.starts_with('"') {
        return text;
    }
    text.find(" #").map_or(text, |at| text.get(..at).unwrap_or(text).trim_end())
}

/// The general parser (yaml-rust2's event stream).
fn load_full_yaml(text: &str) -> Result<Yaml, LockfileError> {
    /// One open collection, with the key waiting for its value.
    enum Frame {
        Map(Vec<(String, u32, Yaml)>, Option<(String, u32)>),
        Seq(Vec<Yaml>),
    }
    /// Adds a finished value to the innermost collection; returns it when
    /// there is none (the document's root).
    fn attach(stack: &mut [Frame], value: Yaml, line: u32) -> Option<Yaml> {
        match stack.last_mut() {
            Some(Frame::Map(members, pending)) => {
                match pending.take() {
                    Some((key, key_line)) => members.push((key, key_line, value)),
                    None => {
                        // Complex keys never occur in lockfiles; keep a placeholder.
                        let key = match value {
                            Yaml::Scalar(text) => text,
                            _ => String::new(),
                        };
                        *pending = Some((key, line));
                    }
                }
                None
            }
            Some(Frame::Seq(items)) => {
                items.push(value);
                None
            }
            None => Some(value),
        }
    }

    let mut parser = Parser::new_from_str(text);
    let mut stack: Vec<Frame> = Vec::new();
    loop {
        let (event, mark) = parser.next_token().map_err(|error| {
            let line = u32::try_from(error.marker().line()).unwrap_or(u32::MAX);
            LockfileError::at(line, format!("not valid YAML at line {line}: {}", error.info()))
        })?;
        let line = u32::try_from(mark.line()).unwrap_or(u32::MAX);
        let finished = match event {
            Event::StreamEnd => return Ok(Yaml::Null),
            Event::Scalar(text, ..) => attach(&mut stack, Yaml::Scalar(text), line),
            Event::Alias(_) => attach(&mut stack, Yaml::Null, line),
            Event::MappingStart(..) | Event::SequenceStart(..) => {
                if stack.len() >= MAX_YAML_DEPTH {
                    return Err(LockfileError::at(
                        line,
                        format!(
                            "YAML nested more than {MAX_YAML_DEPTH} levels deep at line {line}"
                        ),
                    ));
                }
                stack.push(match event {
                    Event::MappingStart(..) => Frame::Map(Vec::new(), None),
                    _ => Frame::Seq(Vec::new()),
                });
                None
            }
            Event::MappingEnd | Event::SequenceEnd => match stack.pop() {
                Some(Frame::Map(members, _)) => attach(&mut stack, Yaml::Map(members), line),
                Some(Frame::Seq(items)) => attach(&mut stack, Yaml::Seq(items), line),
                None => None,
            },
            Event::Nothing | Event::StreamStart | Event::DocumentStart | Event::DocumentEnd => None,
        };
        if let Some(document) = finished {
            return Ok(document);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The fast reader and the general parser agree on every YAML fixture.
    #[test]
    fn plain_reader_matches_the_general_parser() {
        let fixtures = [
            include_str!("../../tests/fixtures/pnpm/v5/pnpm-lock.yaml"),
            include_str!("../../tests/fixtures/pnpm/v6/pnpm-lock.yaml"),
            include_str!("../../tests/fixtures/pnpm/v9/pnpm-lock.yaml"),
            include_str!("../../tests/fixtures/pnpm/workspace-v9/pnpm-lock.yaml"),
            include_str!("../../tests/fixtures/yarn/berry/yarn.lock"),
            include_str!("../../tests/fixtures/yarn/workspace-berry/yarn.lock"),
        ];
        for text in fixtures {
            let fast = load_plain_yaml(text);
            assert!(fast.is_some(), "fell back on {}", &text[..40]);
            assert_eq!(fast, load_full_yaml(text).ok());
        }
    }

    #[test]
    fn plain_reader_leaves_the_unusual_to_the_general_parser() {
        let check = |text: &str, fast: bool| {
            assert_eq!(load_plain_yaml(text).is_some(), fast, "{text:?}");
            if fast {
                assert_eq!(load_plain_yaml(text), load_full_yaml(text).ok(), "{text:?}");
            }
        };
        check(
            "a: 1\nb:\n  c: 'it''s'\n  d: \"x y\"\n  e: [a, 'b, c']\n  f: {g: '>= 1, < 2', h: i}\n",
            true,
        );
        check("a:\n  - x\n  - y\nb: ~\nc:\nd: {}\n", true);
        check("a: 1 # note\n'b': \"2\"\n", true);
        check("a: &anchor 1\nb: *anchor\n", false);
        check("a: |\n  text\n", false);
        check("a: \"\\u0041\"\n", false);
        check("a:\n- x\n", false);
        check("a:\n    b: 1\n  c: 2\n", false);
        check("a:\n  - b: 1\n", false);
        check("a: 'unterminated\n", false);
        check("a: {b: {c: d}}\n", false);
    }
}
