//! The `pubspec` format: Dart's `pubspec.lock` (YAML).
//!
//! Each key of `packages:` is one package with `dependency` (`direct main`,
//! `direct dev`, `direct overridden` or `transitive`), `source` (`hosted`,
//! `git`, `path`, `sdk`) and `version`. Hosted packages are entries, and the
//! direct ones are the roots, declared at their line of the lockfile (pub
//! has no companion read with it). Git and path packages have no registry
//! version and become [`Unresolved`]; SDK packages (`flutter`,
//! `flutter_test`) are part of the SDK and are skipped without a word. The
//! file records no edges.

use yaml_rust2::parser::{Event, Parser};

use super::{Entry, Input, LockfileError, Parsed, Req, Scope, Unresolved};

/// Deepest nesting of YAML collections read; a pubspec.lock uses four.
const MAX_DEPTH: usize = 32;

/// A YAML node, as far as this format needs: a map keeps each key's line.
enum Node {
    Scalar(String),
    Seq,
    Map(Vec<(String, Node, u32)>),
}

impl Node {
    /// The value of `key` in a map.
    fn get(&self, key: &str) -> Option<&Node> {
        match self {
            Node::Map(entries) => {
                entries.iter().find(|(name, _, _)| name == key).map(|(_, node, _)| node)
            }
            _ => None,
        }
    }

    /// The text of a scalar.
    fn as_str(&self) -> Option<&str> {
        match self {
            Node::Scalar(text) => Some(text),
            _ => None,
        }
    }
}

/// A collection being built: its entries and, in a map, the key read last.
struct Frame {
    map: Option<Vec<(String, Node, u32)>>,
    key: Option<(String, u32)>,
}

/// The first YAML document as a [`Node`] tree, built from parser events
/// with an explicit stack so that nesting is bounded and never recursed.
fn load(text: &str) -> Result<Option<Node>, LockfileError> {
    let mut parser = Parser::new_from_str(text);
    let mut stack: Vec<Frame> = Vec::new();
    loop {
        let (event, mark) = parser.next_token().map_err(|error| {
            let line = u32::try_from(error.marker().line()).unwrap_or(u32::MAX);
            LockfileError::at(line, format!("not valid YAML at line {line}: {}", error.info()))
        })?;
        let line = u32::try_from(mark.line()).unwrap_or(u32::MAX);
        let node = match event {
            Event::StreamEnd => return Ok(None),
            Event::MappingStart(..) | Event::SequenceStart(..) => {
                if stack.len() >= MAX_DEPTH {
                    return Err(LockfileError::at(
                        line,
                        format!("line {line}: YAML nested deeper than {MAX_DEPTH} levels"),
                    ));
                }
                let map = matches!(event, Event::MappingStart(..)).then(Vec::new);
                stack.push(Frame { map, key: None });
                continue;
            }
            Event::MappingEnd | Event::SequenceEnd => match stack.pop() {
                Some(Frame { map: Some(entries), .. }) => Node::Map(entries),
                _ => Node::Seq,
            },
            Event::Scalar(text, ..) => Node::Scalar(text),
            Event::Alias(_) => Node::Seq,
            _ => continue,
        };
        let Some(parent) = stack.last_mut() else { return Ok(Some(node)) };
        if let Some(entries) = parent.map.as_mut() {
            match parent.key.take() {
                Some((key, key_line)) => entries.push((key, node, key_line)),
                None => {
                    let key = node.as_str().unwrap_or_default().to_owned();
                    parent.key = Some((key, line));
                }
            }
        }
    }
}

/// Reads `pubspec.lock`.
pub(crate) fn parse(
    lock: Input<'_>,
    companion: Option<Input<'_>>,
) -> Result<Parsed, LockfileError> {
    let _ = companion;
    let mut parsed = Parsed::default();
    let Some(document) = load(lock.text)? else { return Ok(parsed) };
    let packages = match (&document, document.get("packages")) {
        (_, Some(Node::Map(packages))) => packages,
        (Node::Map(_), None | Some(Node::Scalar(_))) => return Ok(parsed),
        _ => return Err(LockfileError::new("not a pubspec.lock: it has no `packages:` map")),
    };
    for (name, package, line) in packages {
        let line = *line;
        let source = package.get("source").and_then(Node::as_str).unwrap_or("hosted");
        let dependency = package.get("dependency").and_then(Node::as_str).unwrap_or("transitive");
        match source {
            "sdk" => continue,
            "git" => {
                parsed.unresolved.push(Unresolved {
                    name: name.to_owned(),
                    line,
                    reason: "a git dependency".to_owned(),
                });
                continue;
            }
            "path" => {
                parsed.unresolved.push(Unresolved {
                    name: name.to_owned(),
                    line,
                    reason: "a local path".to_owned(),
                });
                continue;
            }
            _ => {}
        }
        let version = match package.get("version").and_then(Node::as_str) {
            Some(version) if !version.is_empty() => version.to_owned(),
            _ => {
                parsed
                    .warnings
                    .push(format!("line {line}: package `{name}` has no version; skipped"));
                continue;
            }
        };
        let scope = if dependency == "direct dev" { Scope::Dev } else { Scope::Normal };
        if dependency.starts_with("direct") {
            parsed.roots.push(Req {
                name: name.to_owned(),
                version: Some(version.clone()),
                scope,
                declared: Some((lock.path.to_owned(), line)),
            });
        }
        parsed.packages.push(Entry {
            name: name.to_owned(),
            version,
            scope,
            line,
            dependencies: Vec::new(),
            license: None,
        });
    }
    Ok(parsed)
}
