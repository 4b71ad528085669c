//! Terraform: the `*.tf` files of each directory evaluated together, as
//! Checkov renders them. Variables take their default, then
//! `terraform.tfvars`, `terraform.tfvars.json` and `*.auto.tfvars(.json)` in
//! name order; locals are resolved in passes; references, interpolation,
//! conditionals and the common functions are evaluated; dynamic blocks over
//! literal collections are expanded; local modules (`source = "./..."`)
//! are evaluated with their inputs and their resources addressed
//! `module.<name>.<type>.<name>`. What cannot be resolved stays a string
//! (`var.x`, `aws_kms_key.k.arn`, `${...}`), which makes value checks on it
//! unknown, as in Checkov.
//!
//! Hostile input is bounded: a file nested deeper than [`MAX_NESTING`] is
//! refused before parsing, module calls nest at most [`MAX_MODULE_DEPTH`]
//! deep and a module calling itself is a diagnostic, not a loop.

use std::collections::{BTreeMap, HashMap, HashSet};

use hcl::edit::Span as _;
use hcl::eval::{Context, Evaluate, FuncArgs, FuncDef, ParamType};
use hcl::{Expression, ObjectKey};
use vigil_core::{Diagnostic, DiagnosticLevel, SourceFile};

use crate::model::{Entity, Framework, Skip};
use crate::value::Value;

/// How deeply brackets may nest in one file.
pub const MAX_NESTING: usize = 64;
/// How deeply module calls may nest.
pub const MAX_MODULE_DEPTH: usize = 8;
/// Passes over `locals` before giving up on the rest.
const LOCAL_PASSES: usize = 8;

/// Whether the Terraform phase keeps `path`.
pub fn is_terraform(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or(path);
    name.ends_with(".tf") || name.ends_with(".tfvars") || name.ends_with(".tfvars.json")
}

/// One top-level block of a `.tf` file.
#[derive(Debug, Clone)]
struct Block {
    ident: String,
    labels: Vec<String>,
    body: hcl::Body,
    path: String,
    start: u32,
    end: u32,
    lines: HashMap<String, u32>,
    skips: Vec<Skip>,
}

/// The parsed files of one directory.
#[derive(Debug, Default)]
struct Dir {
    blocks: Vec<Block>,
    /// (file name, assignments), in precedence order once sorted.
    tfvars: Vec<(String, Vec<(String, Value)>)>,
}

/// What the Terraform phase found.
#[derive(Debug, Default)]
pub struct Output {
    /// Resources and data sources.
    pub entities: Vec<Entity>,
    /// References between them.
    pub edges: Vec<(usize, usize)>,
    /// Files that could not be parsed, module problems.
    pub diagnostics: Vec<Diagnostic>,
}

/// Evaluates every directory of Terraform files.
pub fn evaluate(files: &[SourceFile<'_>]) -> Output {
    let mut out = Output::default();
    let mut dirs: BTreeMap<String, Dir> = BTreeMap::new();
    for file in files {
        let (dir, name) = match file.path.rsplit_once('/') {
            Some((dir, name)) => (dir.to_owned(), name),
            None => (String::new(), file.path),
        };
        let text = match file.text() {
            Ok(text) => text,
            Err(offset) => {
                out.diagnostics.push(Diagnostic::for_file(
                    DiagnosticLevel::Warning,
                    file.path,
                    format!("not checked: not valid UTF-8 (byte {offset})"),
                ));
                continue;
            }
        };
        let entry = dirs.entry(dir).or_default();
        if name.ends_with(".tf") {
            match parse_file(file.path, text) {
                Ok(blocks) => entry.blocks.extend(blocks),
                Err(problem) => out.diagnostics.push(problem),
            }
        } else {
            match parse_tfvars(file.path, name, text) {
                Ok(assignments) => entry.tfvars.push((name.to_owned(), assignments)),
                Err(problem) => out.diagnostics.push(problem),
            }
        }
    }
    for dir in dirs.values_mut() {
        dir.tfvars.sort_by_key(|(name, _)| tfvars_rank(name));
    }
    // A directory another directory calls as a module is evaluated there,
    // with its inputs, not on its own.
    let mut called = HashSet::new();
    for (path, dir) in &dirs {
        for block in dir.blocks.iter().filter(|b| b.ident == "module") {
            if let Some(target) = module_dir(path, &block.body) {
                if target != *path {
                    called.insert(target);
                }
            }
        }
    }
    for path in dirs.keys() {
        if called.contains(path) {
            continue;
        }
        let mut stack = vec![path.clone()];
        evaluate_dir(&dirs, path, &HashMap::new(), "", &mut stack, &mut out);
    }
    out
}

fn tfvars_rank(name: &str) -> (u8, String) {
    match name {
        "terraform.tfvars" => (0, String::new()),
        "terraform.tfvars.json" => (1, String::new()),
        other if other.ends_with(".auto.tfvars") || other.ends_with(".auto.tfvars.json") => {
            (2, other.to_owned())
        }
        // Other .tfvars files are only used with -var-file; Checkov ignores them too.
        other => (9, other.to_owned()),
    }
}

/// The directory a module block's local `source` points to.
fn module_dir(dir: &str, body: &hcl::Body) -> Option<String> {
    let source = body.attributes().find(|a| a.key() == "source")?;
    let Expression::String(source) = source.expr() else { return None };
    if !(source.starts_with("./") || source.starts_with("../")) {
        return None;
    }
    let mut parts: Vec<&str> = dir.split('/').filter(|p| !p.is_empty()).collect();
    for part in source.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            other => parts.push(other),
        }
    }
    Some(parts.join("/"))
}

fn evaluate_dir(
    dirs: &BTreeMap<String, Dir>,
    path: &str,
    inputs: &HashMap<String, Value>,
    prefix: &str,
    stack: &mut Vec<String>,
    out: &mut Output,
) {
    let Some(dir) = dirs.get(path) else { return };
    let only_tfvars = dir.blocks.is_empty();
    if only_tfvars {
        return;
    }
    // Variables: default < tfvars < module inputs.
    let mut vars: BTreeMap<String, Value> = BTreeMap::new();
    let plain = Context::new();
    for block in dir.blocks.iter().filter(|b| b.ident == "variable") {
        let Some(name) = block.labels.first() else { continue };
        if let Some(default) = block.body.attributes().find(|a| a.key() == "default") {
            vars.insert(name.clone(), to_value(eval_expr(default.expr(), &plain)));
        }
    }
    for (_, assignments) in dir.tfvars.iter().filter(|(name, _)| tfvars_rank(name).0 < 9) {
        for (name, value) in assignments {
            vars.insert(name.clone(), value.clone());
        }
    }
    for (name, value) in inputs {
        vars.insert(name.clone(), value.clone());
    }
    let mut ctx = base_context();
    ctx.declare_var("var", to_hcl(&Value::Map(vars.into_iter().collect())));
    // Locals, in passes until nothing more resolves.
    let locals: Vec<(&str, &Expression)> = dir
        .blocks
        .iter()
        .filter(|b| b.ident == "locals")
        .flat_map(|b| b.body.attributes().map(|a| (a.key(), a.expr())))
        .collect();
    let mut known: BTreeMap<String, Value> = BTreeMap::new();
    for _ in 0..LOCAL_PASSES {
        ctx.declare_var("local", to_hcl(&Value::Map(known.clone().into_iter().collect())));
        let mut changed = false;
        for (name, expr) in &locals {
            let value = to_value(eval_expr(expr, &ctx));
            if known.get(*name) != Some(&value) {
                known.insert((*name).to_owned(), value);
                changed = true;
            }
        }
        if !changed {
            break;
        }
    }
    ctx.declare_var("local", to_hcl(&Value::Map(known.into_iter().collect())));
    let group = if path.is_empty() { ".".to_owned() } else { path.to_owned() };
    let group = format!("{group}#{prefix}");
    let first = out.entities.len();
    let mut addresses: HashMap<String, usize> = HashMap::new();
    let mut references: Vec<(usize, Vec<String>)> = Vec::new();
    for block in &dir.blocks {
        let (kind, address) = match (block.ident.as_str(), block.labels.as_slice()) {
            ("resource", [kind, name, ..]) => (kind.clone(), format!("{prefix}{kind}.{name}")),
            ("data", [kind, name, ..]) => (kind.clone(), format!("{prefix}data.{kind}.{name}")),
            ("module", [name, ..]) => {
                evaluate_module(dirs, path, block, name, prefix, &ctx, stack, out);
                continue;
            }
            _ => continue,
        };
        if let Some(count) = block.body.attributes().find(|a| a.key() == "count") {
            let count = to_value(eval_expr(count.expr(), &ctx));
            if matches!(count, Value::Int(0)) || count == Value::Bool(false) {
                continue;
            }
        }
        let mut attrs = body_value(&block.body, &ctx);
        if kind.ends_with("policy") {
            render_json_policies(&mut attrs);
        }
        let mut refs = Vec::new();
        collect_refs_body(&block.body, &mut refs);
        let index = out.entities.len();
        addresses.insert(address.strip_prefix(prefix).unwrap_or(&address).to_owned(), index);
        references.push((index, refs));
        out.entities.push(Entity {
            framework: Framework::Terraform,
            kind,
            address,
            path: block.path.clone(),
            start_line: block.start,
            end_line: block.end,
            attrs,
            lines: block.lines.clone(),
            skips: block.skips.clone(),
            unwrap_single: true,
            group: group.clone(),
        });
    }
    // Locals that name resources tie their users to those resources.
    let local_refs: HashMap<String, Vec<String>> = locals
        .iter()
        .map(|(name, expr)| {
            let mut refs = Vec::new();
            collect_refs(expr, &mut refs);
            ((*name).to_owned(), refs)
        })
        .collect();
    for (from, refs) in references {
        for reference in refs {
            let targets = match reference.strip_prefix("local.") {
                Some(local) => local_refs.get(local).cloned().unwrap_or_default(),
                None => vec![reference],
            };
            for target in targets {
                if let Some(to) = addresses.get(&target) {
                    if *to != from && *to >= first {
                        out.edges.push((from, *to));
                    }
                }
            }
        }
    }
}

#[allow(clippy::too_many_arguments)]
fn evaluate_module(
    dirs: &BTreeMap<String, Dir>,
    path: &str,
    block: &Block,
    name: &str,
    prefix: &str,
    ctx: &Context<'_>,
    stack: &mut Vec<String>,
    out: &mut Output,
) {
    let Some(target) = module_dir(path, &block.body) else { return };
    if !dirs.contains_key(&target) {
        return;
    }
    if stack.contains(&target) {
        out.diagnostics.push(
            Diagnostic::for_file(
                DiagnosticLevel::Warning,
                block.path.clone(),
                format!("module `{name}` calls `{target}`, which is already being evaluated (a module cycle); not followed"),
            )
            .at(block.start, None),
        );
        return;
    }
    if stack.len() >= MAX_MODULE_DEPTH {
        out.diagnostics.push(
            Diagnostic::for_file(
                DiagnosticLevel::Warning,
                block.path.clone(),
                format!(
                    "module `{name}` nests deeper than {MAX_MODULE_DEPTH} modules; not followed"
                ),
            )
            .at(block.start, None),
        );
        return;
    }
    let inputs: HashMap<String, Value> = block
        .body
        .attributes()
        .filter(|a| {
            !matches!(
                a.key(),
                "source" | "version" | "count" | "for_each" | "providers" | "depends_on"
            )
        })
        .map(|a| (a.key().to_owned(), to_value(eval_expr(a.expr(), ctx))))
        .collect();
    stack.push(target.clone());
    evaluate_dir(dirs, &target, &inputs, &format!("{prefix}module.{name}."), stack, out);
    stack.pop();
}

fn parse_file(path: &str, text: &str) -> Result<Vec<Block>, Diagnostic> {
    if let Some((line, depth)) = too_deep(text) {
        return Err(Diagnostic::for_file(
            DiagnosticLevel::Warning,
            path,
            format!("not checked: brackets nest {depth} deep, over Vigil's limit of {MAX_NESTING}"),
        )
        .at(line, None));
    }
    let body = hcl::edit::parser::parse_body(text).map_err(|error| {
        let location = error.location();
        Diagnostic::for_file(
            DiagnosticLevel::Warning,
            path,
            format!("not checked: not valid Terraform: {}", error.message()),
        )
        .at(
            u32::try_from(location.line()).unwrap_or(u32::MAX),
            u32::try_from(location.column()).ok(),
        )
    })?;
    let starts = line_starts(text);
    let comment_skips = crate::skips::comment_lines(text);
    let mut blocks = Vec::new();
    for structure in body.iter() {
        let Some(block) = structure.as_block() else { continue };
        let span = block.span().unwrap_or(0..0);
        let start = line_at(&starts, span.start);
        let end = line_at(&starts, span.end.saturating_sub(1).max(span.start));
        let labels = block
            .labels
            .iter()
            .map(|label| match label {
                hcl::edit::structure::BlockLabel::Ident(ident) => ident.as_str().to_owned(),
                hcl::edit::structure::BlockLabel::String(text) => text.as_str().to_owned(),
            })
            .collect();
        let mut lines = HashMap::new();
        record_lines(&block.body, "", &starts, &mut lines);
        let skips = comment_skips
            .iter()
            .filter(|(line, _)| *line > start && *line < end)
            .flat_map(|(_, skips)| skips.iter().cloned())
            .collect();
        let converted: hcl::Block = block.clone().into();
        blocks.push(Block {
            ident: block.ident.as_str().to_owned(),
            labels,
            body: converted.body,
            path: path.to_owned(),
            start,
            end,
            lines,
            skips,
        });
    }
    Ok(blocks)
}

fn parse_tfvars(path: &str, name: &str, text: &str) -> Result<Vec<(String, Value)>, Diagnostic> {
    let problem = |message: String| {
        Diagnostic::for_file(
            DiagnosticLevel::Warning,
            path,
            format!("variables not read: {message}"),
        )
    };
    if name.ends_with(".json") {
        let json: serde_json::Value = serde_json::from_str(text)
            .map_err(|error| problem(format!("not valid JSON: {error}")))?;
        return match crate::value::from_json(&json) {
            Value::Map(entries) => Ok(entries),
            _ => Err(problem("not a JSON object".into())),
        };
    }
    if let Some((line, depth)) = too_deep(text) {
        return Err(
            problem(format!("brackets nest {depth} deep, over {MAX_NESTING}")).at(line, None)
        );
    }
    let body = hcl::parse(text).map_err(|error| problem(format!("not valid HCL: {error}")))?;
    let ctx = Context::new();
    Ok(body
        .attributes()
        .map(|a| (a.key().to_owned(), to_value(eval_expr(a.expr(), &ctx))))
        .collect())
}

/// The first line where brackets nest deeper than [`MAX_NESTING`], ignoring
/// strings and comments roughly (enough to keep the recursive parser safe).
fn too_deep(text: &str) -> Option<(u32, usize)> {
    let mut depth = 0usize;
    let mut line = 1u32;
    let mut in_string = false;
    let mut escaped = false;
    let mut comment = false;
    for byte in text.bytes() {
        if byte == b'\n' {
            line += 1;
            comment = false;
            continue;
        }
        if comment {
            continue;
        }
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
            b'#' => comment = true,
            b'{' | b'[' | b'(' => {
                depth += 1;
                if depth > MAX_NESTING {
                    return Some((line, depth));
                }
            }
            b'}' | b']' | b')' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    None
}

fn line_starts(text: &str) -> Vec<usize> {
    std::iter::once(0).chain(text.match_indices('\n').map(|(i, _)| i + 1)).collect()
}

fn line_at(starts: &[usize], offset: usize) -> u32 {
    let index = starts.partition_point(|start| *start <= offset);
    u32::try_from(index.max(1)).unwrap_or(u32::MAX)
}

/// Records the line of every attribute and nested block, under the raw path
/// (`ingress.1.from_port`) and, for blocks that occur once, the flattened
/// one (`versioning.enabled`) as well.
fn record_lines(
    body: &hcl::edit::structure::Body,
    prefix: &str,
    starts: &[usize],
    out: &mut HashMap<String, u32>,
) {
    let mut counts: HashMap<&str, usize> = HashMap::new();
    for structure in body.iter() {
        if let Some(block) = structure.as_block() {
            *counts.entry(block.ident.as_str()).or_default() += 1;
        }
    }
    let mut seen: HashMap<&str, usize> = HashMap::new();
    for structure in body.iter() {
        let line = line_at(starts, structure.span().map_or(0, |s| s.start));
        if let Some(attribute) = structure.as_attribute() {
            out.insert(format!("{prefix}{}", attribute.key.as_str()), line);
        } else if let Some(block) = structure.as_block() {
            let name = block.ident.as_str();
            let index = seen.entry(name).or_default();
            let indexed = format!("{prefix}{name}.{index}");
            out.entry(format!("{prefix}{name}")).or_insert(line);
            out.insert(indexed.clone(), line);
            record_lines(&block.body, &format!("{indexed}."), starts, out);
            if counts.get(name) == Some(&1) {
                record_lines(&block.body, &format!("{prefix}{name}."), starts, out);
            }
            *index += 1;
        }
    }
}

/// Policy documents written as JSON strings (`jsonencode(...)`, heredocs)
/// become values, as Checkov renders them for `*policy` resources.
fn render_json_policies(attrs: &mut Value) {
    let Value::Map(entries) = attrs else { return };
    for (key, value) in entries.iter_mut() {
        if !key.ends_with("policy") {
            continue;
        }
        let Value::Str(text) = value else { continue };
        if !text.trim_start().starts_with('{') {
            continue;
        }
        if let Ok(json) = serde_json::from_str::<serde_json::Value>(text) {
            *value = crate::value::from_json(&json);
        }
    }
}

/// A block body as a value: attributes evaluated, nested blocks as lists of
/// maps, dynamic blocks expanded over literal collections.
fn body_value(body: &hcl::Body, ctx: &Context<'_>) -> Value {
    let mut entries: Vec<(String, Value)> = Vec::new();
    for attribute in body.attributes() {
        let value = clean(to_value(eval_expr(attribute.expr(), ctx)));
        entries.push((attribute.key().to_owned(), value));
    }
    for block in body.blocks() {
        let ident = block.identifier();
        if ident == "dynamic" {
            let Some(name) = block.labels().first().map(|l| l.as_str().to_owned()) else {
                continue;
            };
            for item in dynamic(block, &name, ctx) {
                push_block(&mut entries, &name, item);
            }
            continue;
        }
        if matches!(ident, "lifecycle" | "provisioner" | "connection") {
            continue;
        }
        let value = body_value(block.body(), ctx);
        push_block(&mut entries, ident, value);
    }
    Value::Map(entries)
}

fn push_block(entries: &mut Vec<(String, Value)>, name: &str, value: Value) {
    match entries.iter_mut().find(|(key, _)| key == name) {
        Some((_, Value::List(items))) => items.push(value),
        Some((_, other)) => *other = Value::List(vec![other.clone(), value]),
        None => entries.push((name.to_owned(), Value::List(vec![value]))),
    }
}

fn dynamic(block: &hcl::Block, name: &str, ctx: &Context<'_>) -> Vec<Value> {
    let body = block.body();
    let Some(content) = body.blocks().find(|b| b.identifier() == "content") else {
        return Vec::new();
    };
    let iterator = body
        .attributes()
        .find(|a| a.key() == "iterator")
        .and_then(|a| match a.expr() {
            Expression::Variable(v) => Some(v.as_str().to_owned()),
            Expression::Traversal(t) => match &t.expr {
                Expression::Variable(v) => Some(v.as_str().to_owned()),
                _ => None,
            },
            _ => None,
        })
        .unwrap_or_else(|| name.to_owned());
    let collection =
        body.attributes().find(|a| a.key() == "for_each").map(|a| eval_expr(a.expr(), ctx));
    let items: Vec<(hcl::Value, hcl::Value)> = match collection {
        Some(Expression::Array(items)) => items
            .into_iter()
            .enumerate()
            .filter_map(|(i, item)| literal(&item).map(|v| (hcl::Value::from(i as u64), v)))
            .collect(),
        Some(Expression::Object(object)) => object
            .into_iter()
            .filter_map(|(key, item)| {
                let key = match key {
                    ObjectKey::Identifier(ident) => ident.as_str().to_owned(),
                    ObjectKey::Expression(Expression::String(text)) => text,
                    _ => return None,
                };
                literal(&item).map(|v| (hcl::Value::from(key), v))
            })
            .collect(),
        // Unresolved: one block from the content, references left as written.
        _ => return vec![body_value(content.body(), ctx)],
    };
    items
        .into_iter()
        .map(|(key, value)| {
            let mut inner = Context::new();
            let mut object = hcl::Map::new();
            object.insert("key".to_owned(), key);
            object.insert("value".to_owned(), value);
            inner.declare_var(iterator.as_str(), hcl::Value::Object(object));
            // Evaluate in the iterator's context first, then the outer one.
            let mut content_body = content.body().clone();
            let _ = content_body.evaluate_in_place(&inner);
            body_value(&content_body, ctx)
        })
        .collect()
}

/// The expression evaluated as far as it goes; unresolvable parts stay.
fn eval_expr(expr: &Expression, ctx: &Context<'_>) -> Expression {
    let mut expr = expr.clone();
    let _ = expr.evaluate_in_place(ctx);
    expr
}

fn literal(expr: &Expression) -> Option<hcl::Value> {
    match expr {
        Expression::Null => Some(hcl::Value::Null),
        Expression::Bool(flag) => Some(hcl::Value::Bool(*flag)),
        Expression::Number(number) => Some(hcl::Value::Number(*number)),
        Expression::String(text) => Some(hcl::Value::String(text.clone())),
        Expression::Array(items) => {
            items.iter().map(literal).collect::<Option<Vec<_>>>().map(hcl::Value::Array)
        }
        Expression::Object(object) => {
            let mut map = hcl::Map::new();
            for (key, item) in object {
                let key = match key {
                    ObjectKey::Identifier(ident) => ident.as_str().to_owned(),
                    ObjectKey::Expression(Expression::String(text)) => text.clone(),
                    _ => return None,
                };
                map.insert(key, literal(item)?);
            }
            Some(hcl::Value::Object(map))
        }
        _ => None,
    }
}

/// An evaluated expression as a value; what did not resolve becomes its
/// source text (`var.x`, `${...}`).
fn to_value(expr: Expression) -> Value {
    match expr {
        Expression::Null => Value::Null,
        Expression::Bool(flag) => Value::Bool(flag),
        Expression::Number(number) => number_value(&number),
        Expression::String(text) => Value::Str(text),
        Expression::Array(items) => Value::List(items.into_iter().map(to_value).collect()),
        Expression::Object(object) => Value::Map(
            object
                .into_iter()
                .map(|(key, item)| {
                    let key = match key {
                        ObjectKey::Identifier(ident) => ident.as_str().to_owned(),
                        ObjectKey::Expression(Expression::String(text)) => text,
                        ObjectKey::Expression(other) => format_expr(&other),
                        _ => String::new(),
                    };
                    (key, to_value(item))
                })
                .collect(),
        ),
        Expression::Traversal(_) | Expression::Variable(_) => Value::Str(format_expr(&expr)),
        Expression::TemplateExpr(template) => {
            let text = template.to_string();
            let text = text.strip_prefix('"').and_then(|t| t.strip_suffix('"')).unwrap_or(&text);
            Value::Str(text.to_owned())
        }
        Expression::Parenthesis(inner) => to_value(*inner),
        other => Value::Str(format!("${{{}}}", format_expr(&other))),
    }
}

fn format_expr(expr: &Expression) -> String {
    hcl::format::to_string(expr).unwrap_or_default()
}

fn number_value(number: &hcl::Number) -> Value {
    if let Some(int) = number.as_i64() {
        Value::Int(int)
    } else {
        Value::Float(number.as_f64().unwrap_or(0.0))
    }
}

/// Checkov's parser turns the strings `"true"` and `"false"` into booleans.
fn clean(value: Value) -> Value {
    match value {
        Value::Str(text) if text == "true" => Value::Bool(true),
        Value::Str(text) if text == "false" => Value::Bool(false),
        Value::List(items) => Value::List(items.into_iter().map(clean).collect()),
        Value::Map(entries) => {
            Value::Map(entries.into_iter().map(|(k, v)| (k, clean(v))).collect())
        }
        other => other,
    }
}

fn to_hcl(value: &Value) -> hcl::Value {
    match value {
        Value::Null => hcl::Value::Null,
        Value::Bool(flag) => hcl::Value::Bool(*flag),
        Value::Int(int) => hcl::Value::from(*int),
        Value::Float(float) => {
            hcl::Number::from_f64(*float).map_or(hcl::Value::Null, hcl::Value::Number)
        }
        Value::Str(text) => hcl::Value::String(text.clone()),
        Value::List(items) => hcl::Value::Array(items.iter().map(to_hcl).collect()),
        Value::Map(entries) => {
            hcl::Value::Object(entries.iter().map(|(k, v)| (k.clone(), to_hcl(v))).collect())
        }
    }
}

fn from_hcl(value: &hcl::Value) -> Value {
    match value {
        hcl::Value::Null => Value::Null,
        hcl::Value::Bool(flag) => Value::Bool(*flag),
        hcl::Value::Number(number) => number_value(number),
        hcl::Value::String(text) => Value::Str(text.clone()),
        hcl::Value::Array(items) => Value::List(items.iter().map(from_hcl).collect()),
        hcl::Value::Object(map) => {
            Value::Map(map.iter().map(|(k, v)| (k.clone(), from_hcl(v))).collect())
        }
    }
}

/// `resource.name`-style references in a body (`aws_kms_key.k`,
/// `data.x.y`, `local.z`).
fn collect_refs_body(body: &hcl::Body, out: &mut Vec<String>) {
    for attribute in body.attributes() {
        collect_refs(attribute.expr(), out);
    }
    for block in body.blocks() {
        collect_refs_body(block.body(), out);
    }
}

fn collect_refs(expr: &Expression, out: &mut Vec<String>) {
    match expr {
        Expression::Traversal(traversal) => {
            if let Expression::Variable(root) = &traversal.expr {
                let names: Vec<String> = traversal
                    .operators
                    .iter()
                    .map_while(|op| match op {
                        hcl::expr::TraversalOperator::GetAttr(ident) => {
                            Some(ident.as_str().to_owned())
                        }
                        _ => None,
                    })
                    .collect();
                let root = root.as_str();
                match (root, names.as_slice()) {
                    ("var" | "each" | "count" | "path" | "self" | "terraform", _) => {}
                    ("local", [name, ..]) => out.push(format!("local.{name}")),
                    ("data", [kind, name, ..]) => out.push(format!("data.{kind}.{name}")),
                    ("module", _) => {}
                    (kind, [name, ..]) => out.push(format!("{kind}.{name}")),
                    _ => {}
                }
            }
            collect_refs(&traversal.expr, out);
        }
        Expression::Array(items) => items.iter().for_each(|item| collect_refs(item, out)),
        Expression::Object(object) => object.values().for_each(|item| collect_refs(item, out)),
        Expression::TemplateExpr(template) => {
            if let Ok(parsed) = hcl::Template::from_expr(template) {
                for element in parsed.elements() {
                    if let hcl::template::Element::Interpolation(interpolation) = element {
                        collect_refs(&interpolation.expr, out);
                    }
                }
            }
        }
        Expression::FuncCall(call) => call.args.iter().for_each(|arg| collect_refs(arg, out)),
        Expression::Parenthesis(inner) => collect_refs(inner, out),
        Expression::Conditional(cond) => {
            collect_refs(&cond.cond_expr, out);
            collect_refs(&cond.true_expr, out);
            collect_refs(&cond.false_expr, out);
        }
        Expression::Operation(operation) => match operation.as_ref() {
            hcl::expr::Operation::Unary(unary) => collect_refs(&unary.expr, out),
            hcl::expr::Operation::Binary(binary) => {
                collect_refs(&binary.lhs_expr, out);
                collect_refs(&binary.rhs_expr, out);
            }
        },
        Expression::ForExpr(for_expr) => collect_refs(&for_expr.collection_expr, out),
        _ => {}
    }
}

/// The evaluation context with Terraform's common functions.
fn base_context() -> Context<'static> {
    let mut ctx = Context::new();
    let any = || ParamType::Any;
    ctx.declare_func(
        "lookup",
        FuncDef::builder().params([any(), any()]).variadic_param(any()).build(lookup),
    );
    ctx.declare_func("merge", FuncDef::builder().variadic_param(any()).build(merge));
    ctx.declare_func("concat", FuncDef::builder().variadic_param(any()).build(concat));
    ctx.declare_func("tostring", FuncDef::builder().param(any()).build(tostring));
    ctx.declare_func("tonumber", FuncDef::builder().param(any()).build(tonumber));
    ctx.declare_func("tobool", FuncDef::builder().param(any()).build(tobool));
    ctx.declare_func("tolist", FuncDef::builder().param(any()).build(identity));
    ctx.declare_func("toset", FuncDef::builder().param(any()).build(identity));
    ctx.declare_func("tomap", FuncDef::builder().param(any()).build(identity));
    ctx.declare_func("lower", FuncDef::builder().param(ParamType::String).build(lower));
    ctx.declare_func("upper", FuncDef::builder().param(ParamType::String).build(upper));
    ctx.declare_func("join", FuncDef::builder().params([ParamType::String, any()]).build(join));
    ctx.declare_func(
        "format",
        FuncDef::builder().param(ParamType::String).variadic_param(any()).build(format),
    );
    ctx.declare_func("length", FuncDef::builder().param(any()).build(length));
    ctx.declare_func("element", FuncDef::builder().params([any(), any()]).build(element));
    ctx.declare_func("coalesce", FuncDef::builder().variadic_param(any()).build(coalesce));
    ctx.declare_func("contains", FuncDef::builder().params([any(), any()]).build(contains));
    ctx.declare_func("keys", FuncDef::builder().param(any()).build(keys));
    ctx.declare_func("jsonencode", FuncDef::builder().param(any()).build(jsonencode));
    ctx
}

fn lookup(args: FuncArgs) -> Result<hcl::Value, String> {
    let values = args.into_values();
    let key = values.get(1).and_then(hcl::Value::as_str).unwrap_or_default().to_owned();
    match values.first() {
        Some(hcl::Value::Object(map)) => match map.get(&key) {
            Some(found) => Ok(found.clone()),
            None => values.get(2).cloned().ok_or_else(|| format!("no key {key}")),
        },
        _ => Err("lookup needs a map".into()),
    }
}

fn merge(args: FuncArgs) -> Result<hcl::Value, String> {
    let mut out = hcl::Map::new();
    for value in args.into_values() {
        match value {
            hcl::Value::Object(map) => out.extend(map),
            hcl::Value::Null => {}
            _ => return Err("merge needs maps".into()),
        }
    }
    Ok(hcl::Value::Object(out))
}

fn concat(args: FuncArgs) -> Result<hcl::Value, String> {
    let mut out = Vec::new();
    for value in args.into_values() {
        match value {
            hcl::Value::Array(items) => out.extend(items),
            _ => return Err("concat needs lists".into()),
        }
    }
    Ok(hcl::Value::Array(out))
}

fn first(args: FuncArgs) -> hcl::Value {
    args.into_values().into_iter().next().unwrap_or(hcl::Value::Null)
}

fn identity(args: FuncArgs) -> Result<hcl::Value, String> {
    Ok(first(args))
}

fn tostring(args: FuncArgs) -> Result<hcl::Value, String> {
    Ok(match first(args) {
        hcl::Value::String(text) => hcl::Value::String(text),
        hcl::Value::Number(number) => hcl::Value::String(number.to_string()),
        hcl::Value::Bool(flag) => hcl::Value::String(flag.to_string()),
        other => return Err(format!("cannot convert {other:?} to a string")),
    })
}

fn tonumber(args: FuncArgs) -> Result<hcl::Value, String> {
    match first(args) {
        hcl::Value::Number(number) => Ok(hcl::Value::Number(number)),
        hcl::Value::String(text) => text
            .parse::<i64>()
            .map(hcl::Value::from)
            .or_else(|_| text.parse::<f64>().map(hcl::Value::from))
            .map_err(|_| "not a number".into()),
        _ => Err("not a number".into()),
    }
}

fn tobool(args: FuncArgs) -> Result<hcl::Value, String> {
    match first(args) {
        hcl::Value::Bool(flag) => Ok(hcl::Value::Bool(flag)),
        hcl::Value::String(text) if text == "true" => Ok(hcl::Value::Bool(true)),
        hcl::Value::String(text) if text == "false" => Ok(hcl::Value::Bool(false)),
        _ => Err("not a bool".into()),
    }
}

fn lower(args: FuncArgs) -> Result<hcl::Value, String> {
    Ok(hcl::Value::String(first(args).as_str().unwrap_or_default().to_lowercase()))
}

fn upper(args: FuncArgs) -> Result<hcl::Value, String> {
    Ok(hcl::Value::String(first(args).as_str().unwrap_or_default().to_uppercase()))
}

fn plain_string(value: &hcl::Value) -> String {
    match value {
        hcl::Value::String(text) => text.clone(),
        other => from_hcl(other).py_str(),
    }
}

fn join(args: FuncArgs) -> Result<hcl::Value, String> {
    let values = args.into_values();
    let separator = values.first().and_then(hcl::Value::as_str).unwrap_or_default();
    match values.get(1) {
        Some(hcl::Value::Array(items)) => Ok(hcl::Value::String(
            items.iter().map(plain_string).collect::<Vec<_>>().join(separator),
        )),
        _ => Err("join needs a list".into()),
    }
}

fn format(args: FuncArgs) -> Result<hcl::Value, String> {
    let values = args.into_values();
    let template = values.first().and_then(hcl::Value::as_str).unwrap_or_default();
    let mut rest = values.iter().skip(1);
    let mut out = String::new();
    let mut chars = template.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '%' {
            match chars.next() {
                Some('%') => out.push('%'),
                Some(_) => out.push_str(&rest.next().map(plain_string).unwrap_or_default()),
                None => out.push('%'),
            }
        } else {
            out.push(c);
        }
    }
    Ok(hcl::Value::String(out))
}

fn length(args: FuncArgs) -> Result<hcl::Value, String> {
    Ok(hcl::Value::from(match first(args) {
        hcl::Value::Array(items) => items.len() as u64,
        hcl::Value::Object(map) => map.len() as u64,
        hcl::Value::String(text) => text.chars().count() as u64,
        _ => return Err("length of what?".into()),
    }))
}

fn element(args: FuncArgs) -> Result<hcl::Value, String> {
    let values = args.into_values();
    match (values.first(), values.get(1).and_then(hcl::Value::as_u64)) {
        (Some(hcl::Value::Array(items)), Some(index)) if !items.is_empty() => {
            Ok(items[index as usize % items.len()].clone())
        }
        _ => Err("element needs a list and an index".into()),
    }
}

fn coalesce(args: FuncArgs) -> Result<hcl::Value, String> {
    args.into_values()
        .into_iter()
        .find(|v| !matches!(v, hcl::Value::Null) && v.as_str() != Some(""))
        .ok_or_else(|| "no non-null argument".into())
}

fn contains(args: FuncArgs) -> Result<hcl::Value, String> {
    let values = args.into_values();
    match (values.first(), values.get(1)) {
        (Some(hcl::Value::Array(items)), Some(needle)) => {
            Ok(hcl::Value::Bool(items.contains(needle)))
        }
        _ => Err("contains needs a list".into()),
    }
}

fn keys(args: FuncArgs) -> Result<hcl::Value, String> {
    match first(args) {
        hcl::Value::Object(map) => {
            Ok(hcl::Value::Array(map.keys().cloned().map(hcl::Value::String).collect()))
        }
        _ => Err("keys needs a map".into()),
    }
}

fn jsonencode(args: FuncArgs) -> Result<hcl::Value, String> {
    serde_json::to_string(&first(args)).map(hcl::Value::String).map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests;
