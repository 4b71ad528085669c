//! Terraform plan JSON (`terraform show -json plan.out`): each resource of
//! `planned_values` (root and child modules) is a resource with its
//! planned `values`, checked by the Terraform policies. Only
//! `planned_values` is kept while reading; `prior_state`, `resource_changes`
//! and `configuration` are skipped unparsed, so memory follows the part
//! that is checked.

use std::collections::HashMap;

use serde::Deserialize;

use crate::model::{Entity, Framework};
use crate::value::Value;

/// Whether `content` is a plan: JSON with `format_version` and `planned_values`.
pub fn looks_like(content: &[u8]) -> bool {
    let head = &content[..content.len().min(4096)];
    contains(head, b"\"format_version\"") && contains(content, b"\"planned_values\"")
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    memchr::memmem::find(haystack, needle).is_some()
}

#[derive(Deserialize)]
struct Plan {
    planned_values: Option<Values>,
}

#[derive(Deserialize)]
struct Values {
    root_module: Option<Module>,
}

#[derive(Deserialize)]
struct Module {
    #[serde(default)]
    resources: Vec<PlannedResource>,
    #[serde(default)]
    child_modules: Vec<Module>,
}

fn empty_map() -> Value {
    Value::Map(Vec::new())
}

#[derive(Deserialize)]
struct PlannedResource {
    address: String,
    #[serde(default)]
    mode: String,
    #[serde(rename = "type")]
    kind: String,
    #[serde(default = "empty_map")]
    values: Value,
}

/// The resources of a plan file, or what was wrong with it.
pub fn entities(path: &str, content: &[u8]) -> Result<Vec<Entity>, String> {
    let plan: Plan = serde_json::from_slice(content).map_err(|error| {
        format!(
            "not checked: not a valid Terraform plan: {error} (line {}, column {})",
            error.line(),
            error.column()
        )
    })?;
    let lines = address_lines(content);
    let mut out = Vec::new();
    let mut stack: Vec<Module> =
        plan.planned_values.and_then(|v| v.root_module).into_iter().collect();
    while let Some(module) = stack.pop() {
        for resource in module.resources {
            if resource.mode == "data" {
                continue;
            }
            let line = lines.get(resource.address.as_str()).copied().unwrap_or(1);
            let attrs = match resource.values {
                map @ Value::Map(_) => map,
                _ => Value::Map(Vec::new()),
            };
            out.push(Entity {
                framework: Framework::TerraformPlan,
                kind: resource.kind,
                address: resource.address,
                path: path.to_owned(),
                start_line: line,
                end_line: line,
                attrs,
                lines: HashMap::new(),
                skips: Vec::new(),
                unwrap_single: true,
                group: path.to_owned(),
            });
        }
        stack.extend(module.child_modules);
    }
    out.sort_by(|a, b| a.address.cmp(&b.address));
    Ok(out)
}

/// The first line of each `"address": "…"` in the file, in one pass.
fn address_lines(content: &[u8]) -> HashMap<&str, u32> {
    let mut lines = HashMap::new();
    let needle = b"\"address\"";
    let mut line = 1u32;
    let mut counted = 0;
    for at in memchr::memmem::find_iter(content, needle) {
        line +=
            u32::try_from(memchr::memchr_iter(b'\n', &content[counted..at]).count()).unwrap_or(0);
        counted = at;
        let rest = &content[at + needle.len()..];
        let Some(open) = memchr::memchr(b'"', rest) else { continue };
        let value = &rest[open + 1..];
        let Some(len) = memchr::memchr(b'"', value) else { continue };
        if let Ok(address) = std::str::from_utf8(&value[..len]) {
            lines.entry(address).or_insert(line);
        }
    }
    lines
}
