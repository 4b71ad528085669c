//! CloudFormation and SAM templates (JSON or YAML with short-form tags):
//! each entry of `Resources` is a resource (type `AWS::S3::Bucket`, address
//! `AWS::S3::Bucket.Logical`) whose attributes are its `Properties`, with
//! `Ref`s to parameters replaced by their defaults. Skips: Checkov's
//! `Metadata: {checkov: {skip: [{id, comment}]}}` and skip comments inside
//! the resource.

use std::collections::HashMap;

use crate::model::{Entity, Framework, Skip};
use crate::value::Value;
use crate::yaml::Document;

/// Whether a parsed document is a CloudFormation template.
pub fn is_template(value: &Value) -> bool {
    let Some(Value::Map(resources)) = value.get("Resources") else { return false };
    value.get("AWSTemplateFormatVersion").is_some()
        || resources.iter().any(|(_, resource)| {
            resource
                .get("Type")
                .and_then(Value::as_str)
                .is_some_and(|kind| kind.starts_with("AWS::") || kind.starts_with("Custom::"))
        })
}

/// The resources of one template, and the references between them (by
/// position in the returned list).
pub fn entities(path: &str, doc: &Document, text: &str) -> (Vec<Entity>, Vec<(usize, usize)>) {
    let comment_skips = crate::skips::comment_lines(text);
    let defaults: HashMap<String, Value> = match doc.value.get("Parameters") {
        Some(Value::Map(parameters)) => parameters
            .iter()
            .filter_map(|(name, spec)| spec.get("Default").map(|d| (name.clone(), d.clone())))
            .collect(),
        _ => HashMap::new(),
    };
    let conditions = conditions(doc.value.get("Conditions"), &defaults);
    let Some(Value::Map(resources)) = doc.value.get("Resources") else {
        return (Vec::new(), Vec::new());
    };
    let names: Vec<&String> = resources.iter().map(|(name, _)| name).collect();
    let text_lines: Vec<&str> = text.lines().collect();
    let mut out = Vec::new();
    let mut refs = Vec::new();
    for (index, (logical, resource)) in resources.iter().enumerate() {
        let kind = resource.get("Type").and_then(Value::as_str).unwrap_or_default().to_owned();
        let start =
            doc.lines.get(&format!("Resources.{logical}")).copied().unwrap_or(doc.start_line);
        let end = names
            .get(index + 1)
            .and_then(|next| doc.lines.get(&format!("Resources.{next}")))
            .map(|next| next.saturating_sub(1))
            .unwrap_or(doc.end_line)
            .max(start);
        // JSON closes each resource with a brace on a line of its own.
        let closing = doc.ends.get(&format!("Resources.{logical}")).copied();
        let end = match closing {
            Some(line) if text.trim_start().starts_with('{') && line >= start => line,
            _ => trim_end(&text_lines, start, end),
        };
        let mut properties = resource.get("Properties").cloned().unwrap_or(Value::Map(Vec::new()));
        substitute(&mut properties, &defaults);
        choose(&mut properties, &conditions);
        let mut targets = Vec::new();
        referenced(resource, &mut targets);
        for target in targets {
            if let Some(to) = names.iter().position(|name| **name == target) {
                refs.push((index, to));
            }
        }
        let prefix = format!("Resources.{logical}.Properties.");
        let lines = doc
            .lines
            .iter()
            .filter_map(|(key, line)| key.strip_prefix(&prefix).map(|k| (k.to_owned(), *line)))
            .collect();
        let mut skips: Vec<Skip> = comment_skips
            .iter()
            .filter(|(line, _)| *line > start && *line <= end)
            .flat_map(|(_, skips)| skips.iter().cloned())
            .collect();
        if let Some(Value::List(items)) = resource.at("Metadata.checkov.skip") {
            for item in items {
                if let Some(id) = item.get("id").and_then(Value::as_str) {
                    let reason = item.get("comment").map(Value::py_str).unwrap_or_default();
                    skips.push(Skip { id: id.to_owned(), reason });
                }
            }
        }
        out.push(Entity {
            framework: Framework::CloudFormation,
            address: format!("{kind}.{logical}"),
            kind,
            path: path.to_owned(),
            start_line: start,
            end_line: end,
            attrs: properties,
            lines,
            skips,
            unwrap_single: false,
            group: path.to_owned(),
        });
    }
    (out, refs)
}

/// `end` moved up over trailing blank and comment lines, not past `start`.
fn trim_end(lines: &[&str], start: u32, end: u32) -> u32 {
    let mut end = end;
    while end > start {
        let line = lines.get(end as usize - 1).map_or("", |l| l.trim());
        if line.is_empty() || line.starts_with('#') {
            end -= 1;
        } else {
            break;
        }
    }
    end
}

/// Replaces `{Ref: Parameter}` by the parameter's default.
fn substitute(value: &mut Value, defaults: &HashMap<String, Value>) {
    if let Value::Map(entries) = value {
        if entries.len() == 1 && entries[0].0 == "Ref" {
            if let Some(default) = entries[0].1.as_str().and_then(|name| defaults.get(name)) {
                *value = default.clone();
                return;
            }
        }
    }
    match value {
        Value::Map(entries) => entries.iter_mut().for_each(|(_, v)| substitute(v, defaults)),
        Value::List(items) => items.iter_mut().for_each(|v| substitute(v, defaults)),
        _ => {}
    }
}

/// The template's conditions that parameter defaults decide.
fn conditions(spec: Option<&Value>, defaults: &HashMap<String, Value>) -> HashMap<String, bool> {
    let Some(Value::Map(entries)) = spec else { return HashMap::new() };
    let mut known = HashMap::new();
    // Conditions may name each other: settle them in a few passes.
    for _ in 0..4 {
        for (name, expression) in entries {
            if known.contains_key(name) {
                continue;
            }
            let mut expression = expression.clone();
            substitute(&mut expression, defaults);
            if let Some(value) = decide(&expression, &known) {
                known.insert(name.clone(), value);
            }
        }
    }
    known
}

/// `Fn::Equals`, `Fn::Not`, `Fn::And`, `Fn::Or` and `Condition` over known
/// values; `None` when something is not known.
fn decide(expression: &Value, known: &HashMap<String, bool>) -> Option<bool> {
    let Value::Map(entries) = expression else { return None };
    let [(key, argument)] = entries.as_slice() else { return None };
    let items = argument.as_list().unwrap_or_default();
    match key.as_str() {
        "Fn::Equals" => match items {
            [a, b] if !matches!(a, Value::Map(_)) && !matches!(b, Value::Map(_)) => {
                Some(a.py_str() == b.py_str())
            }
            _ => None,
        },
        "Fn::Not" => items.first().and_then(|inner| decide(inner, known)).map(|value| !value),
        "Fn::And" => items
            .iter()
            .map(|inner| decide(inner, known))
            .collect::<Option<Vec<_>>>()
            .map(|all| all.into_iter().all(|v| v)),
        "Fn::Or" => items
            .iter()
            .map(|inner| decide(inner, known))
            .collect::<Option<Vec<_>>>()
            .map(|all| all.into_iter().any(|v| v)),
        "Condition" => argument.as_str().and_then(|name| known.get(name).copied()),
        _ => None,
    }
}

/// Replaces `Fn::If` whose condition is known by the branch it picks, and
/// drops what resolves to `AWS::NoValue`.
fn choose(value: &mut Value, conditions: &HashMap<String, bool>) {
    if let Value::Map(entries) = value {
        if let [(key, Value::List(branches))] = entries.as_slice() {
            if key == "Fn::If" && branches.len() == 3 {
                if let Some(pick) = branches[0].as_str().and_then(|name| conditions.get(name)) {
                    *value = branches[if *pick { 1 } else { 2 }].clone();
                    choose(value, conditions);
                    return;
                }
            }
        }
    }
    let no_value = |v: &Value| matches!(v, Value::Map(e) if e.len() == 1 && e[0].0 == "Ref" && e[0].1.as_str() == Some("AWS::NoValue"));
    match value {
        Value::Map(entries) => {
            entries.iter_mut().for_each(|(_, v)| choose(v, conditions));
            entries.retain(|(_, v)| !no_value(v));
        }
        Value::List(items) => {
            items.iter_mut().for_each(|v| choose(v, conditions));
            items.retain(|v| !no_value(v));
        }
        _ => {}
    }
}

fn referenced(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::Map(entries) => {
            for (key, item) in entries {
                match (key.as_str(), item) {
                    ("Ref", Value::Str(name)) => out.push(name.clone()),
                    ("Fn::GetAtt", Value::List(parts)) => {
                        out.extend(parts.first().and_then(Value::as_str).map(str::to_owned))
                    }
                    ("Fn::GetAtt", Value::Str(text)) => {
                        out.push(text.split('.').next().unwrap_or_default().to_owned())
                    }
                    _ => {}
                }
                referenced(item, out);
            }
        }
        Value::List(items) => items.iter().for_each(|item| referenced(item, out)),
        _ => {}
    }
}
