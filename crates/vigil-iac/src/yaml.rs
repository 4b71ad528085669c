//! A bounded YAML loader: YAML text to [`Value`] documents with the line
//! range of each document and the line of every map key, built from
//! `yaml-rust2`'s event stream so that hostile input stays bounded: aliases
//! count every node they expand to (billion-laughs documents stop at
//! [`MAX_NODES`]), nesting stops at [`MAX_DEPTH`], and CloudFormation's short
//! tags (`!Ref x`) become their long form (`{Ref: x}`).

use std::collections::HashMap;

use yaml_rust2::parser::{Event, Parser, Tag};
use yaml_rust2::scanner::TScalarStyle;

use crate::value::Value;

/// Nodes one file may expand to, aliases included.
pub const MAX_NODES: usize = 2_000_000;
/// How deeply collections may nest.
pub const MAX_DEPTH: usize = 200;

/// One YAML document.
#[derive(Debug, Clone)]
pub struct Document {
    /// Its value.
    pub value: Value,
    /// First line (1-based) of its content.
    pub start_line: u32,
    /// Last line of its content.
    pub end_line: u32,
    /// The line of every map key, by `.`-joined path (list indexes included).
    pub lines: HashMap<String, u32>,
    /// The line where each map or list ends, by the same path: its closing
    /// bracket in flow style (JSON); the next token's line in block style.
    pub ends: HashMap<String, u32>,
}

/// Why a YAML file could not be loaded, with the 1-based line.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{message}")]
pub struct YamlError {
    /// What went wrong.
    pub message: String,
    /// Where (1-based), when known.
    pub line: Option<u32>,
    /// Column (1-based), when known.
    pub column: Option<u32>,
}

enum Frame {
    List { items: Vec<Value>, anchor: usize, tag: Option<String> },
    Map { entries: Vec<(String, Value)>, key: Option<String>, anchor: usize, tag: Option<String> },
}

struct Loader {
    stack: Vec<Frame>,
    anchors: HashMap<usize, (Value, usize)>,
    nodes: usize,
    docs: Vec<Document>,
    doc_start: u32,
    last_line: u32,
    lines: HashMap<String, u32>,
    ends: HashMap<String, u32>,
    cfn_tags: bool,
}

/// Loads every document of `text`. With `cfn_tags`, `!Ref`-style tags become
/// `{Ref: …}` / `{Fn::GetAtt: …}` maps.
pub fn load(text: &str, cfn_tags: bool) -> Result<Vec<Document>, YamlError> {
    let mut parser = Parser::new_from_str(text);
    let mut loader = Loader {
        stack: Vec::new(),
        anchors: HashMap::new(),
        nodes: 0,
        docs: Vec::new(),
        doc_start: 1,
        last_line: 1,
        lines: HashMap::new(),
        ends: HashMap::new(),
        cfn_tags,
    };
    let mut root: Option<Value> = None;
    loop {
        let (event, mark) = parser.next_token().map_err(|error| YamlError {
            message: format!("not valid YAML: {}", error.info()),
            line: Some(line_of(error.marker().line())),
            column: Some(error.marker().col() as u32 + 1),
        })?;
        let line = line_of(mark.line());
        let error = |message: String| YamlError { message, line: Some(line), column: None };
        let is_map = matches!(event, Event::MappingStart(..));
        match event {
            Event::StreamEnd => break,
            Event::DocumentStart => {
                loader.doc_start = line;
                loader.lines.clear();
                loader.ends.clear();
                root = None;
            }
            Event::DocumentEnd => {
                let end = loader.last_line.max(loader.doc_start);
                if let Some(value) = root.take() {
                    loader.docs.push(Document {
                        value,
                        start_line: loader.doc_start,
                        end_line: end,
                        lines: std::mem::take(&mut loader.lines),
                        ends: std::mem::take(&mut loader.ends),
                    });
                }
            }
            Event::Scalar(text, style, anchor, tag) => {
                loader.count(1).map_err(error)?;
                loader.last_line = loader.last_line.max(line);
                let value = scalar(text, style, tag.as_ref());
                let value = loader.tagged(value, tag.as_ref());
                if anchor > 0 {
                    loader.anchors.insert(anchor, (value.clone(), 1));
                }
                if let Some(done) = loader.push(value, line) {
                    root = Some(done);
                }
            }
            Event::Alias(anchor) => {
                let (value, size) =
                    loader.anchors.get(&anchor).cloned().unwrap_or((Value::Null, 1));
                loader.count(size).map_err(error)?;
                if let Some(done) = loader.push(value, line) {
                    root = Some(done);
                }
            }
            Event::SequenceStart(anchor, tag) | Event::MappingStart(anchor, tag) => {
                loader.count(1).map_err(error)?;
                if loader.stack.len() >= MAX_DEPTH {
                    return Err(error(format!("nested more than {MAX_DEPTH} levels deep")));
                }
                let tag = tag.map(|tag| tag_name(&tag));
                loader.stack.push(if is_map {
                    Frame::Map { entries: Vec::new(), key: None, anchor, tag }
                } else {
                    Frame::List { items: Vec::new(), anchor, tag }
                });
            }
            Event::SequenceEnd | Event::MappingEnd => {
                loader.last_line = loader.last_line.max(line);
                let Some(frame) = loader.stack.pop() else { continue };
                let (value, anchor, tag) = match frame {
                    Frame::List { items, anchor, tag } => (Value::List(items), anchor, tag),
                    Frame::Map { entries, anchor, tag, .. } => (Value::Map(entries), anchor, tag),
                };
                let value = match tag {
                    Some(tag) if loader.cfn_tags => long_form(&tag, value),
                    _ => value,
                };
                if anchor > 0 {
                    let size = count_nodes(&value);
                    loader.anchors.insert(anchor, (value.clone(), size));
                }
                let path = loader.path();
                loader.ends.insert(path, line);
                if let Some(done) = loader.push(value, line) {
                    root = Some(done);
                }
            }
            Event::Nothing | Event::StreamStart => {}
        }
    }
    Ok(loader.docs)
}

/// yaml-rust2 markers count lines from 1 already; keep at least 1.
fn line_of(line: usize) -> u32 {
    u32::try_from(line).unwrap_or(u32::MAX).max(1)
}

impl Loader {
    fn count(&mut self, nodes: usize) -> Result<(), String> {
        self.nodes = self.nodes.saturating_add(nodes);
        if self.nodes > MAX_NODES {
            return Err(format!(
                "expands to more than {MAX_NODES} nodes (an alias bomb?); the file is not checked"
            ));
        }
        Ok(())
    }

    fn path(&self) -> String {
        let mut parts = Vec::new();
        for frame in &self.stack {
            match frame {
                Frame::List { items, .. } => parts.push(items.len().to_string()),
                Frame::Map { key: Some(key), .. } => parts.push(key.clone()),
                Frame::Map { key: None, .. } => {}
            }
        }
        parts.join(".")
    }

    fn tagged(&self, value: Value, tag: Option<&Tag>) -> Value {
        match tag {
            Some(tag) if self.cfn_tags => long_form(&tag_name(tag), value),
            _ => value,
        }
    }

    /// Adds a finished value to the open collection; returns it when it is
    /// a document's root.
    fn push(&mut self, value: Value, line: u32) -> Option<Value> {
        // Only a map key records its line, so only a key needs the path.
        let is_key = matches!(self.stack.last(), Some(Frame::Map { key: None, .. }));
        let path = if is_key { self.path() } else { String::new() };
        match self.stack.last_mut() {
            None => Some(value),
            Some(Frame::List { items, .. }) => {
                items.push(value);
                None
            }
            Some(Frame::Map { entries, key, .. }) => {
                match key.take() {
                    None => {
                        let name = match value {
                            Value::Str(text) => text,
                            other => other.py_str(),
                        };
                        let full =
                            if path.is_empty() { name.clone() } else { format!("{path}.{name}") };
                        self.lines.entry(full).or_insert(line);
                        *key = Some(name);
                    }
                    Some(name) => {
                        if name == "<<" {
                            if let Value::Map(merged) = value {
                                for (k, v) in merged {
                                    if !entries.iter().any(|(existing, _)| *existing == k) {
                                        entries.push((k, v));
                                    }
                                }
                            }
                        } else if let Some(slot) = entries.iter_mut().find(|(k, _)| *k == name) {
                            slot.1 = value;
                        } else {
                            entries.push((name, value));
                        }
                    }
                }
                None
            }
        }
    }
}

fn tag_name(tag: &Tag) -> String {
    format!("{}{}", tag.handle, tag.suffix)
}

fn count_nodes(value: &Value) -> usize {
    match value {
        Value::List(items) => 1 + items.iter().map(count_nodes).sum::<usize>(),
        Value::Map(entries) => 1 + entries.iter().map(|(_, v)| count_nodes(v)).sum::<usize>(),
        _ => 1,
    }
}

/// `!Ref x` → `{Ref: x}`, `!GetAtt a.b` → `{Fn::GetAtt: [a, b]}`,
/// `!Sub …` → `{Fn::Sub: …}`; other tags leave the value as it is.
fn long_form(tag: &str, value: Value) -> Value {
    let Some(name) = tag.strip_prefix('!') else { return value };
    if name.starts_with('!') || name.contains(':') {
        return value;
    }
    let key = match name {
        "Ref" | "Condition" => name.to_owned(),
        _ => format!("Fn::{name}"),
    };
    let value = match (name, value) {
        ("GetAtt", Value::Str(text)) => match text.split_once('.') {
            Some((resource, attribute)) => {
                Value::List(vec![Value::Str(resource.to_owned()), Value::Str(attribute.to_owned())])
            }
            None => Value::Str(text),
        },
        (_, value) => value,
    };
    Value::Map(vec![(key, value)])
}

fn scalar(text: String, style: TScalarStyle, tag: Option<&Tag>) -> Value {
    if style != TScalarStyle::Plain {
        return Value::Str(text);
    }
    if let Some(tag) = tag {
        if tag.handle == "tag:yaml.org,2002:" && tag.suffix == "str" {
            return Value::Str(text);
        }
    }
    match text.as_str() {
        "~" | "null" | "Null" | "NULL" | "" => return Value::Null,
        "true" | "True" | "TRUE" => return Value::Bool(true),
        "false" | "False" | "FALSE" => return Value::Bool(false),
        _ => {}
    }
    let digits = text.strip_prefix(['-', '+']).unwrap_or(&text);
    if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
        if let Ok(number) = text.parse::<i64>() {
            return Value::Int(number);
        }
    }
    if let Some(hex) = text.strip_prefix("0x") {
        if let Ok(number) = i64::from_str_radix(hex, 16) {
            return Value::Int(number);
        }
    }
    let looks_float = digits.bytes().next().is_some_and(|b| b.is_ascii_digit() || b == b'.')
        && digits
            .bytes()
            .all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'e' | b'E' | b'-' | b'+'));
    if looks_float {
        if let Ok(number) = text.parse::<f64>() {
            return Value::Float(number);
        }
    }
    Value::Str(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documents_keep_their_lines() -> Result<(), YamlError> {
        let docs = load("a: 1\nb:\n  c: true\n---\nkind: Pod\nspec:\n  x: [1, 2]\n", false)?;
        assert_eq!(docs.len(), 2);
        assert_eq!(docs[0].value.at("b.c"), Some(&Value::Bool(true)));
        assert_eq!(docs[0].lines.get("b.c"), Some(&3));
        assert_eq!(docs[1].start_line, 4);
        assert_eq!(docs[1].lines.get("spec.x"), Some(&7));
        Ok(())
    }

    #[test]
    fn billion_laughs_stops_at_the_node_limit() {
        let mut text = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
        for level in 1..12 {
            let prev = level - 1;
            text.push_str(&format!(
                "a{level}: &a{level} [*a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}, *a{prev}]\n"
            ));
        }
        let error = load(&text, false).err().map(|e| e.message).unwrap_or_default();
        assert!(error.contains("alias bomb"), "{error}");
    }

    #[test]
    fn deep_nesting_is_refused() {
        let text = format!("{}{}", "[".repeat(5000), "]".repeat(5000));
        let error = load(&text, false).err().map(|e| e.message).unwrap_or_default();
        assert!(error.contains("nested more than") || error.contains("recursion limit"), "{error}");
    }

    #[test]
    fn cloudformation_short_tags() -> Result<(), YamlError> {
        let docs = load("A: !Ref Bucket\nB: !GetAtt Role.Arn\nC: !Sub '${X}-y'\n", true)?;
        let value = &docs[0].value;
        assert_eq!(value.at("A.Ref"), Some(&Value::Str("Bucket".into())));
        assert_eq!(value.at("B.Fn::GetAtt.1"), Some(&Value::Str("Arn".into())));
        assert_eq!(value.at("C.Fn::Sub"), Some(&Value::Str("${X}-y".into())));
        Ok(())
    }
}
