//! The `mix` format: Elixir's `mix.lock` (an Elixir map literal), with the
//! project's `mix.exs` as companion for the roots.
//!
//! Each map entry is `"app": {:hex, :package, "version", "checksum",
//! [managers], [deps], "repo", "outer checksum"}` (older files stop after
//! the deps or the repo); the Hex package name (second element) is the
//! entry's name, and each dep `{:app, "requirement", [hex: :package, ...]}`
//! is an edge to the version the lock pins for that app. `:git` (and any
//! non-Hex) entries have no registry version and become [`Unresolved`].
//!
//! The literal is read by a small term reader (maps, tuples, lists,
//! keyword lists, strings, atoms, numbers) with a nesting bound, never by
//! evaluating code. `mix.exs` is code, so its roots are found best effort:
//! the `{:name, ...}` tuples inside `defp deps`, with `only:` lacking
//! `:prod` marking dev, `optional: true` optional, and `path:` an
//! unresolved local path (`in_umbrella: true` is the project's own app).

use std::collections::HashMap;

use super::lines::LineIndex;
use super::{Entry, Input, LockfileError, Parsed, Req, Scope, Unresolved};

/// Deepest nesting of maps, tuples and lists read.
const MAX_DEPTH: usize = 64;

/// An Elixir term, as far as `mix.lock` uses them.
#[derive(Debug)]
enum Term<'a> {
    /// `%{key => value}`, with the line of each key.
    Map(Vec<(Term<'a>, Term<'a>, u32)>),
    /// `{a, b}`; a keyword item `key: value` is the pair tuple.
    Tuple(Vec<Term<'a>>),
    /// `[a, b]`.
    List(Vec<Term<'a>>),
    /// `:name`, `name:` keys, `true`, `false`, `nil`.
    Atom(&'a str),
    /// `"text"` (escapes kept as written; lockfiles have none).
    Str(&'a str),
    /// A number.
    Number,
}

impl<'a> Term<'a> {
    /// The text of an atom or a string.
    fn text(&self) -> Option<&'a str> {
        match self {
            Term::Atom(text) | Term::Str(text) => Some(text),
            _ => None,
        }
    }

    /// The value of `key` in a keyword list.
    fn keyword(&self, key: &str) -> Option<&Term<'a>> {
        let Term::List(items) = self else { return None };
        items.iter().find_map(|item| match item {
            Term::Tuple(pair) => match pair.as_slice() {
                [Term::Atom(name), value] if *name == key => Some(value),
                _ => None,
            },
            _ => None,
        })
    }
}

/// A reader of Elixir terms over bytes, counting lines as it goes.
struct Reader<'a> {
    text: &'a str,
    position: usize,
    line: u32,
}

impl<'a> Reader<'a> {
    fn peek(&self) -> Option<u8> {
        self.text.as_bytes().get(self.position).copied()
    }

    fn bump(&mut self) {
        if self.peek() == Some(b'\n') {
            self.line = self.line.saturating_add(1);
        }
        self.position += 1;
    }

    fn error(&self, message: &str) -> LockfileError {
        LockfileError::at(
            self.line,
            format!("not a valid mix.lock at line {}: {message}", self.line),
        )
    }

    /// Skips whitespace and `#` comments.
    fn skip_space(&mut self) {
        while let Some(byte) = self.peek() {
            if byte == b'#' {
                while self.peek().is_some_and(|byte| byte != b'\n') {
                    self.bump();
                }
            } else if byte.is_ascii_whitespace() {
                self.bump();
            } else {
                break;
            }
        }
    }

    fn expect(&mut self, byte: u8) -> Result<(), LockfileError> {
        self.skip_space();
        if self.peek() == Some(byte) {
            self.bump();
            Ok(())
        } else {
            Err(self.error(&format!("expected `{}`", char::from(byte))))
        }
    }

    /// A name made of identifier characters.
    fn identifier(&mut self) -> &'a str {
        let start = self.position;
        while self.peek().is_some_and(|byte| {
            byte.is_ascii_alphanumeric() || matches!(byte, b'_' | b'?' | b'!' | b'.')
        }) {
            self.bump();
        }
        self.text.get(start..self.position).unwrap_or_default()
    }

    /// A `"..."` string, the opening quote next.
    fn string(&mut self) -> Result<&'a str, LockfileError> {
        self.bump();
        let start = self.position;
        loop {
            match self.peek() {
                None => return Err(self.error("a string is not closed")),
                Some(b'\\') => {
                    self.bump();
                    self.bump();
                }
                Some(b'"') => break,
                Some(_) => self.bump(),
            }
        }
        let text = self.text.get(start..self.position).unwrap_or_default();
        self.bump();
        Ok(text)
    }

    /// After a string or identifier: whether `: ` follows (a keyword key).
    fn keyword_colon(&mut self) -> bool {
        let bytes = self.text.as_bytes();
        if bytes.get(self.position) == Some(&b':')
            && bytes.get(self.position + 1).is_none_or(|byte| byte.is_ascii_whitespace())
        {
            self.bump();
            true
        } else {
            false
        }
    }

    /// One term, or a keyword item `key: value` when `keyword` allows it.
    fn term(&mut self, depth: usize) -> Result<Term<'a>, LockfileError> {
        if depth > MAX_DEPTH {
            return Err(self.error(&format!("nested deeper than {MAX_DEPTH} levels")));
        }
        self.skip_space();
        match self.peek() {
            None => Err(self.error("the file ends inside a term")),
            Some(b'%') => {
                self.bump();
                self.expect(b'{')?;
                self.map(depth + 1)
            }
            Some(b'{') => {
                self.bump();
                Ok(Term::Tuple(self.sequence(b'}', depth + 1)?))
            }
            Some(b'[') => {
                self.bump();
                Ok(Term::List(self.sequence(b']', depth + 1)?))
            }
            Some(b'"') => {
                let text = self.string()?;
                if self.keyword_colon() {
                    let value = self.term(depth + 1)?;
                    return Ok(Term::Tuple(vec![Term::Atom(text), value]));
                }
                Ok(Term::Str(text))
            }
            Some(b':') => {
                self.bump();
                if self.peek() == Some(b'"') {
                    return Ok(Term::Atom(self.string()?));
                }
                let name = self.identifier();
                if name.is_empty() {
                    return Err(self.error("an atom has no name"));
                }
                Ok(Term::Atom(name))
            }
            Some(byte) if byte.is_ascii_digit() || byte == b'-' => {
                self.bump();
                while self
                    .peek()
                    .is_some_and(|byte| byte.is_ascii_alphanumeric() || matches!(byte, b'.' | b'_'))
                {
                    self.bump();
                }
                Ok(Term::Number)
            }
            Some(byte) if byte.is_ascii_alphabetic() || byte == b'_' => {
                let name = self.identifier();
                if self.keyword_colon() {
                    let value = self.term(depth + 1)?;
                    return Ok(Term::Tuple(vec![Term::Atom(name), value]));
                }
                Ok(Term::Atom(name))
            }
            Some(byte) => Err(self.error(&format!("unexpected `{}`", char::from(byte)))),
        }
    }

    /// Items separated by `,` up to `close` (a trailing `,` is allowed).
    fn sequence(&mut self, close: u8, depth: usize) -> Result<Vec<Term<'a>>, LockfileError> {
        let mut items = Vec::new();
        loop {
            self.skip_space();
            if self.peek() == Some(close) {
                self.bump();
                return Ok(items);
            }
            items.push(self.term(depth)?);
            self.skip_space();
            match self.peek() {
                Some(b',') => self.bump(),
                Some(byte) if byte == close => {}
                None => return Err(self.error("the file ends inside a term")),
                _ => return Err(self.error(&format!("expected `,` or `{}`", char::from(close)))),
            }
        }
    }

    /// A map's entries up to `}`: `"key": value` or `key => value`.
    fn map(&mut self, depth: usize) -> Result<Term<'a>, LockfileError> {
        let mut entries = Vec::new();
        loop {
            self.skip_space();
            if self.peek() == Some(b'}') {
                self.bump();
                return Ok(Term::Map(entries));
            }
            let line = self.line;
            let (key, value) = match self.term(depth)? {
                Term::Tuple(mut pair)
                    if pair.len() == 2 && matches!(pair.first(), Some(Term::Atom(_))) =>
                {
                    let value = pair.pop().unwrap_or(Term::Number);
                    let key = pair.pop().unwrap_or(Term::Number);
                    (key, value)
                }
                key => {
                    self.expect(b'=')?;
                    if self.peek() != Some(b'>') {
                        return Err(self.error("expected `=>`"));
                    }
                    self.bump();
                    (key, self.term(depth)?)
                }
            };
            entries.push((key, value, line));
            self.skip_space();
            match self.peek() {
                Some(b',') => self.bump(),
                Some(b'}') => {}
                None => return Err(self.error("the file ends inside a term")),
                _ => return Err(self.error("expected `,` or `}`")),
            }
        }
    }
}

/// Reads `mix.lock`, and `mix.exs` for the roots.
pub(crate) fn parse(
    lock: Input<'_>,
    companion: Option<Input<'_>>,
) -> Result<Parsed, LockfileError> {
    let mut reader = Reader { text: lock.text, position: 0, line: 1 };
    reader.skip_space();
    if reader.peek().is_none() {
        return Ok(Parsed::default());
    }
    let Term::Map(entries) = reader.term(0)? else {
        return Err(LockfileError::new("not a mix.lock: it is not an Elixir map `%{...}`"));
    };
    let mut parsed = Parsed::default();
    // App name (the map key) to the Hex package and version it pins.
    let mut pins: HashMap<&str, (&str, &str)> = HashMap::new();
    let mut edges: Vec<Vec<(&str, &str)>> = Vec::new();
    for (key, value, line) in &entries {
        let Some(app) = key.text() else {
            parsed.warnings.push(format!("line {line}: a key is not a name; skipped"));
            continue;
        };
        let Term::Tuple(items) = value else {
            parsed.warnings.push(format!("line {line}: `{app}` is not a tuple; skipped"));
            continue;
        };
        match items.as_slice() {
            [Term::Atom("hex"), package, rest @ ..] => {
                let name = package.text().unwrap_or(app);
                let Some(version) = rest.first().and_then(Term::text) else {
                    parsed
                        .warnings
                        .push(format!("line {line}: package `{name}` has no version; skipped"));
                    continue;
                };
                pins.insert(app, (name, version));
                let deps = match rest.get(3) {
                    Some(Term::List(deps)) => deps.as_slice(),
                    _ => &[],
                };
                edges.push(deps.iter().filter_map(dependency_of).collect());
                parsed.packages.push(Entry {
                    name: name.to_owned(),
                    version: version.to_owned(),
                    line: *line,
                    ..Entry::default()
                });
            }
            [Term::Atom(source), ..] => {
                let reason = match *source {
                    "git" => "a git dependency".to_owned(),
                    "path" => "a local path".to_owned(),
                    other => format!("a `{other}` dependency"),
                };
                parsed.unresolved.push(Unresolved { name: app.to_owned(), line: *line, reason });
            }
            _ => parsed.warnings.push(format!("line {line}: `{app}` has no source; skipped")),
        }
    }
    for (entry, deps) in parsed.packages.iter_mut().zip(edges) {
        entry.dependencies = deps
            .into_iter()
            .map(|(app, hex_name)| {
                let pinned = pins.get(app);
                Req {
                    name: pinned.map_or(hex_name, |(name, _)| name).to_owned(),
                    version: pinned.map(|(_, version)| (*version).to_owned()),
                    ..Req::default()
                }
            })
            .collect();
    }
    if let Some(manifest) = companion {
        read_manifest(manifest, &pins, &mut parsed);
    }
    Ok(parsed)
}

/// A dep `{:app, "requirement", [hex: :package, ...]}` into the app and the
/// Hex package name.
fn dependency_of<'a>(dep: &Term<'a>) -> Option<(&'a str, &'a str)> {
    let Term::Tuple(items) = dep else { return None };
    let app = items.first()?.text()?;
    let hex = items.get(2).and_then(|options| options.keyword("hex")).and_then(Term::text);
    Some((app, hex.unwrap_or(app)))
}

/// The roots: `{:name, ...}` tuples in `mix.exs`'s `deps` function.
fn read_manifest(manifest: Input<'_>, pins: &HashMap<&str, (&str, &str)>, parsed: &mut Parsed) {
    let text = manifest.text;
    let Some(start) = text.find("defp deps").or_else(|| text.find("def deps")) else {
        parsed
            .warnings
            .push(format!("{}: no `deps` function; the roots are not read", manifest.path));
        return;
    };
    let body = text.get(start..).unwrap_or_default();
    // The function ends where the next function starts.
    let end = body
        .get(4..)
        .and_then(|rest| rest.find("\n  defp ").or_else(|| rest.find("\n  def ")))
        .map_or(body.len(), |offset| offset + 4);
    let body = body.get(..end).unwrap_or(body);
    let lines = LineIndex::new(text);
    let mut search = 0;
    while let Some(found) = body.get(search..).and_then(|rest| rest.find("{:")) {
        let at = search + found;
        search = at + 2;
        let rest = body.get(at + 2..).unwrap_or_default();
        let name_len =
            rest.find(|c: char| !(c.is_ascii_alphanumeric() || c == '_')).unwrap_or(rest.len());
        let name = rest.get(..name_len).unwrap_or_default();
        if name.is_empty()
            || !rest.get(name_len..).unwrap_or_default().trim_start().starts_with(',')
        {
            continue;
        }
        let tuple = tuple_text(body.get(at..).unwrap_or_default());
        let line = lines.line(start + at);
        if tuple.contains("in_umbrella: true") {
            continue;
        }
        if tuple.contains("path:") {
            parsed.unresolved.push(Unresolved {
                name: name.to_owned(),
                line,
                reason: "a local path".to_owned(),
            });
            continue;
        }
        let scope = if tuple.contains("optional: true") {
            Scope::Optional
        } else if only_outside_prod(tuple) {
            Scope::Dev
        } else {
            Scope::Normal
        };
        match pins.get(name) {
            Some((package, version)) => parsed.roots.push(Req {
                name: (*package).to_owned(),
                version: Some((*version).to_owned()),
                scope,
                declared: Some((manifest.path.to_owned(), line)),
            }),
            // Git dependencies are unresolved from the lockfile already.
            None if tuple.contains("git:") || tuple.contains("github:") => {}
            None => parsed.warnings.push(format!(
                "{} line {line}: dependency `{name}` is not in mix.lock",
                manifest.path
            )),
        }
        search = at + tuple.len().max(2);
    }
}

/// The text of the tuple starting at `{` (up to its matching `}`, skipping
/// strings), or the rest of the text when it is not closed.
fn tuple_text(text: &str) -> &str {
    let mut depth = 0usize;
    let mut in_string = false;
    let mut escaped = false;
    for (index, byte) in text.bytes().enumerate() {
        if in_string {
            match byte {
                _ if escaped => escaped = false,
                b'\\' => escaped = true,
                b'"' => in_string = false,
                _ => {}
            }
            continue;
        }
        match byte {
            b'"' => in_string = true,
            b'{' | b'[' => depth += 1,
            b'}' | b']' => {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    return text.get(..=index).unwrap_or(text);
                }
            }
            _ => {}
        }
    }
    text
}

/// Whether the tuple has `only:` environments and `:prod` is not one.
fn only_outside_prod(tuple: &str) -> bool {
    let Some(at) = tuple.find("only:") else { return false };
    let value = tuple.get(at + 5..).unwrap_or_default().trim_start();
    let value = if value.starts_with('[') {
        value.split_once(']').map_or(value, |(list, _)| list)
    } else {
        value.split([',', '}']).next().unwrap_or(value)
    };
    !value.contains(":prod")
}
