//! Evaluates a parsed definition the way Checkov does: per resource with
//! three-valued logic (pass, fail, unknown) over flattened attributes, and
//! set-wise when a connection is involved. The operators keep Checkov's
//! quirks (documented in `docs/iac-plan.md` §1) because agreeing with
//! Checkov on the same policy is the point.

use std::collections::{BTreeSet, HashMap};

use regex::Regex;

use crate::definition::{Cond, ConnOp, Op, Types};
use crate::model::{Entity, Framework, Graph};
use crate::value::Value;

/// The result of a policy on one resource.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// It holds.
    Pass,
    /// It does not: a finding.
    Fail,
    /// Cannot tell (a value depends on something unresolved): not reported.
    Unknown,
}

impl Outcome {
    /// A three-valued result as an outcome: `None` is unknown.
    pub fn from_tri(value: Option<bool>) -> Outcome {
        match value {
            Some(true) => Outcome::Pass,
            Some(false) => Outcome::Fail,
            None => Outcome::Unknown,
        }
    }
}

/// What a leaf is evaluated on: a resource's type and flattened attributes.
pub struct Subject<'a> {
    /// The type.
    pub kind: &'a str,
    /// Flattened attributes.
    pub flat: HashMap<String, &'a Value>,
    /// The whole attribute map (for JSONPath).
    pub attrs: &'a Value,
    /// Whether unresolved Terraform values make value checks unknown.
    pub terraform: bool,
    /// Whether one-item lists read as their item (Terraform).
    pub unwrap_single: bool,
    /// Another name the type answers to (`data.aws_iam_policy_document`
    /// for a data source).
    pub alias: Option<String>,
}

impl<'a> Subject<'a> {
    /// The subject for a resource.
    pub fn of(entity: &'a Entity) -> Subject<'a> {
        let mut subject = Subject::new(
            &entity.kind,
            &entity.attrs,
            entity.unwrap_single,
            matches!(entity.framework, Framework::Terraform),
        );
        if entity.framework == Framework::Terraform
            && (entity.address.starts_with("data.") || entity.address.contains(".data."))
        {
            subject.alias = Some(format!("data.{}", entity.kind));
        }
        subject
    }

    fn admitted(&self, types: &Types) -> bool {
        types.admits(self.kind) || self.alias.as_deref().is_some_and(|alias| types.admits(alias))
    }

    /// A subject of `kind` over `attrs`.
    pub fn new(kind: &'a str, attrs: &'a Value, unwrap_single: bool, terraform: bool) -> Self {
        let flat = attrs.flatten(unwrap_single).into_iter().collect();
        Subject { kind, flat, attrs, terraform, unwrap_single, alias: None }
    }
}

/// Compiled regexes for wildcard attributes and `regex_match` values, shared
/// by every evaluation of one policy run.
#[derive(Default)]
pub struct Cache {
    regexes: HashMap<String, Option<Regex>>,
}

impl Cache {
    fn regex(&mut self, pattern: &str) -> Option<&Regex> {
        self.regexes.entry(pattern.to_owned()).or_insert_with(|| Regex::new(pattern).ok()).as_ref()
    }
}

/// Evaluates `cond` on one subject: `Some(true)` pass, `Some(false)` fail,
/// `None` unknown. Connections and filters are not per-resource and count
/// as true here.
pub fn eval(cond: &Cond, subject: &Subject<'_>, cache: &mut Cache) -> Option<bool> {
    match cond {
        Cond::And(children) => {
            let mut unknown = false;
            for child in children {
                match eval(child, subject, cache) {
                    Some(false) => return Some(false),
                    None => unknown = true,
                    Some(true) => {}
                }
            }
            if unknown { None } else { Some(true) }
        }
        Cond::Or(children) => {
            let mut unknown = false;
            for child in children {
                match eval(child, subject, cache) {
                    Some(true) => return Some(true),
                    None => unknown = true,
                    Some(false) => {}
                }
            }
            if unknown { None } else { Some(false) }
        }
        Cond::Not(child) => eval(child, subject, cache).map(|value| !value),
        Cond::Any(types) => Some(subject.admitted(types)),
        Cond::Resource { types, exists } => Some(subject.admitted(types) == *exists),
        Cond::Connection { .. } | Cond::Filter(_) => Some(true),
        Cond::Attribute { types, attribute, op, jsonpath, value } => {
            if !subject.admitted(types) {
                return Some(false);
            }
            if *jsonpath {
                return eval_jsonpath(subject, attribute, *op, value, cache);
            }
            eval_attribute(subject, attribute, *op, value, cache)
        }
    }
}

fn eval_attribute(
    subject: &Subject<'_>,
    attribute: &str,
    op: Op,
    expected: &Value,
    cache: &mut Cache,
) -> Option<bool> {
    if op == Op::Any {
        return Some(true);
    }
    // `resource_type` is the resource's own argument of that name when it
    // has one (Azure's Defender pricing), as in Checkov; otherwise its type
    // (Checkov's Dockerfile policies test instructions that way).
    let lookup = |key: &str| -> Option<&Value> { subject.flat.get(key).copied() };
    if attribute == "resource_type" && !subject.flat.contains_key(attribute) {
        let kind = Value::Str(subject.kind.to_owned());
        return Some(apply(op, Some(&kind), expected, cache));
    }
    if subject.terraform && depends_on_unresolved(subject, attribute, op, expected) {
        return None;
    }
    if attribute.contains('*') {
        let matches = wildcard_matches(subject, attribute, cache);
        if !matches.is_empty() {
            let mut filtered = false;
            let mut results = Vec::new();
            for (_, value) in &matches {
                if subject.terraform && op.checks_value() && is_unresolved(value) {
                    filtered = true;
                    continue;
                }
                results.push(apply(op, Some(value), expected, cache));
            }
            return if op.needs_all() {
                if results.iter().any(|ok| !ok) {
                    Some(false)
                } else if filtered {
                    None
                } else {
                    Some(true)
                }
            } else if results.iter().any(|ok| *ok) {
                Some(true)
            } else if filtered {
                None
            } else {
                Some(false)
            };
        }
    }
    Some(apply(op, lookup(attribute), expected, cache))
}

/// Checkov's `get_operation` guard: a prefix of the attribute (or the
/// attribute itself, for value operators) holding an unresolved reference
/// makes the result unknown.
fn depends_on_unresolved(subject: &Subject<'_>, attribute: &str, op: Op, expected: &Value) -> bool {
    if matches!(expected, Value::Str(text) if text.is_empty()) {
        return false;
    }
    let parts: Vec<&str> = attribute.split('.').collect();
    for end in 1..=parts.len() {
        let prefix = parts[..end].join(".");
        let full = end == parts.len();
        if full && !op.checks_value() {
            continue;
        }
        if let Some(value) = subject.flat.get(&prefix) {
            if is_unresolved(value) {
                return true;
            }
        }
    }
    false
}

/// Checkov's `is_terraform_variable_dependent`.
pub fn is_unresolved(value: &Value) -> bool {
    let Value::Str(text) = value else { return false };
    const PREFIXES: [&str; 18] = [
        "var.",
        "local.",
        "module.",
        "data.",
        "aws_",
        "azurerm_",
        "azuread_",
        "google_",
        "kubernetes_",
        "github_",
        "oci_",
        "linode_",
        "openstack_",
        "yandex_",
        "digitalocean_",
        "lookup(",
        "list(",
        "file(",
    ];
    PREFIXES.iter().any(|prefix| text.starts_with(prefix)) || text.contains("${")
}

fn wildcard_matches<'s>(
    subject: &Subject<'s>,
    attribute: &str,
    cache: &mut Cache,
) -> Vec<(String, &'s Value)> {
    let escaped = regex::escape(attribute);
    let with_index = format!("^{}$", escaped.replace(r"\*", r"\d+"));
    let without: Vec<&str> = attribute.split('.').filter(|part| *part != "*").collect();
    let without = format!("^{}$", regex::escape(&without.join(".")));
    let mut found = Vec::new();
    let first = cache.regex(&with_index).cloned();
    let second = cache.regex(&without).cloned();
    for (key, value) in &subject.flat {
        let hit = first.as_ref().is_some_and(|re| re.is_match(key))
            || second.as_ref().is_some_and(|re| re.is_match(key));
        if hit {
            found.push((key.clone(), *value));
        }
    }
    found.sort_by(|a, b| a.0.cmp(&b.0));
    found
}

fn eval_jsonpath(
    subject: &Subject<'_>,
    path: &str,
    op: Op,
    expected: &Value,
    cache: &mut Cache,
) -> Option<bool> {
    let matches = crate::jsonpath::select(subject.attrs, path, subject.unwrap_single);
    if matches.is_empty() {
        return Some(apply(op, None, expected, cache));
    }
    let mut filtered = false;
    let mut all = true;
    for value in matches {
        if subject.terraform && op.checks_value() && is_unresolved(value) {
            filtered = true;
            continue;
        }
        all &= apply(op, Some(value), expected, cache);
    }
    if !all {
        Some(false)
    } else if filtered {
        None
    } else {
        Some(true)
    }
}

/// One operator on one value (`None` when the attribute is missing).
pub fn apply(op: Op, value: Option<&Value>, expected: &Value, cache: &mut Cache) -> bool {
    use Op::*;
    match op {
        Any => true,
        Exists => value.is_some_and(|v| *v != Value::Null),
        NotExists => !apply(Exists, value, expected, cache),
        Equals => equals(value, expected),
        NotEquals => !equals(value, expected),
        EqualsIgnoreCase => {
            let v = value.map_or_else(|| "None".to_owned(), Value::py_str);
            v.to_lowercase() == expected.py_str().to_lowercase()
        }
        NotEqualsIgnoreCase => !apply(EqualsIgnoreCase, value, expected, cache),
        Contains => contains(value, expected),
        NotContains => !contains(value, expected),
        StartingWith => {
            value.and_then(Value::as_str).is_some_and(|text| text.starts_with(&expected.py_str()))
        }
        NotStartingWith => !apply(StartingWith, value, expected, cache),
        EndingWith => {
            value.and_then(Value::as_str).is_some_and(|text| text.ends_with(&expected.py_str()))
        }
        NotEndingWith => !apply(EndingWith, value, expected, cache),
        RegexMatch => {
            let text = value.map_or_else(|| "None".to_owned(), Value::py_str);
            // Python's re.match anchors at the start only.
            let pattern = format!("^(?:{})", expected.py_str());
            cache.regex(&pattern).is_some_and(|re| re.is_match(&text))
        }
        NotRegexMatch => !apply(RegexMatch, value, expected, cache),
        GreaterThan => compare(value, expected).is_some_and(|o| o.is_gt()),
        GreaterThanOrEqual => compare(value, expected).is_some_and(|o| o.is_ge()),
        LessThan => value.is_some() && !apply(GreaterThanOrEqual, value, expected, cache),
        LessThanOrEqual => value.is_some() && !apply(GreaterThan, value, expected, cache),
        Within => within(value, expected),
        NotWithin => !within(value, expected),
        Subset => subset(value, expected),
        NotSubset => !subset(value, expected),
        Intersects => intersects(value, expected),
        NotIntersects => !intersects(value, expected),
        IsEmpty => match value {
            Some(Value::Str(text)) => text.is_empty(),
            Some(Value::List(items)) => items.is_empty(),
            Some(Value::Map(entries)) => entries.is_empty(),
            _ => false,
        },
        IsNotEmpty => !apply(IsEmpty, value, expected, cache),
        IsTrue => matches!(value, Some(Value::Bool(true))),
        IsFalse => !matches!(value, Some(Value::Bool(true))),
        LengthEquals => length(value).zip(int(expected)).is_some_and(|(l, x)| l == x),
        LengthNotEquals => length(value).zip(int(expected)).is_some_and(|(l, x)| l != x),
        LengthGreaterThan => length(value).zip(int(expected)).is_some_and(|(l, x)| l > x),
        LengthGreaterThanOrEqual => length(value).zip(int(expected)).is_some_and(|(l, x)| l >= x),
        LengthLessThan => length(value).zip(int(expected)).is_some_and(|(l, x)| l < x),
        LengthLessThanOrEqual => length(value).zip(int(expected)).is_some_and(|(l, x)| l <= x),
        CidrRangeSubset => cidr_subset(value, expected),
        CidrRangeNotSubset => value.is_some() && !cidr_subset(value, expected),
    }
}

fn equals(value: Option<&Value>, expected: &Value) -> bool {
    let value = value.unwrap_or(&Value::Null);
    if matches!(value, Value::Bool(_)) || matches!(expected, Value::Bool(_)) {
        return value.py_str().to_lowercase() == expected.py_str().to_lowercase();
    }
    match (value, expected) {
        (Value::List(_), Value::List(_)) | (Value::Map(_), Value::Map(_)) => value == expected,
        _ => value.py_str() == expected.py_str(),
    }
}

fn contains(value: Option<&Value>, expected: &Value) -> bool {
    let Some(value) = value else { return false };
    let parsed;
    let value = match value {
        Value::Str(text) if text.starts_with('{') || text.starts_with('[') => {
            match serde_json::from_str::<serde_json::Value>(&text.replace('\'', "\"")) {
                Ok(json) => {
                    parsed = crate::value::from_json(&json);
                    &parsed
                }
                Err(_) => value,
            }
        }
        other => other,
    };
    let needle = expected.py_str();
    match value {
        Value::Str(text) => text.contains(&needle),
        Value::List(items) => items.iter().any(|item| {
            item == expected
                || item.py_str() == needle && !matches!(item, Value::List(_) | Value::Map(_))
        }),
        Value::Map(entries) => entries.iter().any(|(key, item)| {
            *key == needle
                || match item {
                    Value::Str(text) => *text == needle,
                    Value::List(items) => items.iter().any(|i| i.py_str() == needle),
                    Value::Map(inner) => inner.iter().any(|(k, _)| *k == needle),
                    _ => false,
                }
        }),
        _ => false,
    }
}

fn compare(value: Option<&Value>, expected: &Value) -> Option<std::cmp::Ordering> {
    let value = value?;
    if *value == Value::Null {
        return None;
    }
    match (value.as_f64(), expected.as_f64()) {
        (Some(a), Some(b)) if a != 0.0 && b != 0.0 => a.partial_cmp(&b),
        _ => Some(value.py_str().cmp(&expected.py_str())),
    }
}

fn within(value: Option<&Value>, expected: &Value) -> bool {
    let Some(value) = value else { return false };
    match expected {
        Value::List(items) => items.iter().any(|item| same(item, value)),
        Value::Str(text) => value.as_str().is_some_and(|v| text.contains(v)),
        _ => false,
    }
}

/// Python `==` between values: numbers compare across int/float, no string
/// coercion.
fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Int(x), Value::Float(y)) | (Value::Float(y), Value::Int(x)) => (*x as f64) == *y,
        _ => a == b,
    }
}

fn members(value: &Value) -> Vec<Value> {
    match value {
        Value::List(items) => items.clone(),
        Value::Map(entries) => entries.iter().map(|(k, _)| Value::Str(k.clone())).collect(),
        other => vec![other.clone()],
    }
}

fn subset(value: Option<&Value>, expected: &Value) -> bool {
    let Some(value) = value else { return false };
    let allowed = members(expected);
    members(value).iter().all(|item| allowed.iter().any(|a| same(a, item)))
}

fn intersects(value: Option<&Value>, expected: &Value) -> bool {
    let Some(value) = value else { return false };
    match expected {
        Value::Str(needle) => match value {
            Value::Str(text) => text.contains(needle.as_str()),
            Value::List(items) => items.iter().any(|item| item.as_str() == Some(needle)),
            Value::Map(entries) => entries.iter().any(|(k, _)| k == needle),
            _ => false,
        },
        Value::List(allowed) => {
            members(value).iter().any(|item| allowed.iter().any(|a| same(a, item)))
        }
        _ => false,
    }
}

fn length(value: Option<&Value>) -> Option<i64> {
    match value? {
        Value::Str(text) => Some(text.chars().count() as i64),
        Value::List(items) => Some(items.len() as i64),
        Value::Map(_) => Some(1),
        _ => None,
    }
}

fn int(value: &Value) -> Option<i64> {
    match value {
        Value::Int(number) => Some(*number),
        other => other.py_str().trim().parse().ok(),
    }
}

fn cidr_subset(value: Option<&Value>, expected: &Value) -> bool {
    let Some(value) = value else { return false };
    let ranges: Vec<(u32, u32)> =
        members(expected).iter().filter_map(|v| cidr(&v.py_str())).collect();
    let wanted = members(value);
    !wanted.is_empty()
        && wanted.iter().all(|item| {
            cidr(&item.py_str()).is_some_and(|(net, bits)| {
                ranges.iter().any(|(range, range_bits)| {
                    bits >= *range_bits && mask(net, *range_bits) == mask(*range, *range_bits)
                })
            })
        })
}

fn cidr(text: &str) -> Option<(u32, u32)> {
    let (address, bits) = text.split_once('/').unwrap_or((text, "32"));
    let address: std::net::Ipv4Addr = address.trim().parse().ok()?;
    let bits: u32 = bits.trim().parse().ok().filter(|bits| *bits <= 32)?;
    Some((u32::from(address), bits))
}

fn mask(address: u32, bits: u32) -> u32 {
    if bits == 0 { 0 } else { address & (u32::MAX << (32 - bits)) }
}

/// Runs a definition over the resources of `graph` that `admit` lets in,
/// giving each resource it applies to an outcome.
pub fn run(
    cond: &Cond,
    graph: &Graph,
    subjects: &[Subject<'_>],
    index: &KindIndex<'_>,
    admit: &dyn Fn(&Entity) -> bool,
    cache: &mut Cache,
) -> Vec<(usize, Outcome)> {
    let filter = cond.filter();
    let keep = |entity: &Entity| filter.as_ref().is_none_or(|kinds| kinds.contains(&entity.kind));
    if cond.has_connection() {
        let sets = run_sets(cond, graph, subjects, admit, cache, &BTreeSet::new());
        let mut out = Vec::new();
        for index in sets.failed.iter() {
            if keep(&graph.entities[*index]) {
                out.push((*index, Outcome::Fail));
            }
        }
        for index in sets.passed.iter() {
            if keep(&graph.entities[*index]) {
                out.push((*index, Outcome::Pass));
            }
        }
        out.sort_by_key(|(index, _)| *index);
        return out;
    }
    let types = cond.types();
    let mut out = Vec::new();
    for at in index.candidates(&types) {
        let entity = &graph.entities[at];
        if !admit(entity) || !subjects[at].admitted(&types) || !keep(entity) {
            continue;
        }
        out.push((at, Outcome::from_tri(eval(cond, &subjects[at], cache))));
    }
    out
}

/// The resources of a graph by type (and alias), so a policy looks only at
/// the resources of its types: a plan of 100,000 resources meets 500
/// policies without 50 million type comparisons.
pub struct KindIndex<'g> {
    by_kind: HashMap<&'g str, Vec<usize>>,
    count: usize,
}

impl<'g> KindIndex<'g> {
    /// Indexes `subjects` (one per resource of the graph, in order).
    pub fn new(subjects: &'g [Subject<'g>]) -> KindIndex<'g> {
        let mut by_kind: HashMap<&'g str, Vec<usize>> = HashMap::new();
        for (at, subject) in subjects.iter().enumerate() {
            by_kind.entry(subject.kind).or_default().push(at);
            if let Some(alias) = subject.alias.as_deref() {
                by_kind.entry(alias).or_default().push(at);
            }
        }
        KindIndex { by_kind, count: subjects.len() }
    }

    /// The resources `types` may admit, in graph order.
    pub fn candidates(&self, types: &Types) -> Vec<usize> {
        match types {
            Types::All => (0..self.count).collect(),
            Types::Only(kinds) => {
                let mut found: Vec<usize> = kinds
                    .iter()
                    .filter_map(|kind| self.by_kind.get(kind.as_str()))
                    .flatten()
                    .copied()
                    .collect();
                found.sort_unstable();
                found.dedup();
                found
            }
        }
    }
}

#[derive(Default)]
struct Sets {
    passed: BTreeSet<usize>,
    failed: BTreeSet<usize>,
    unknown: BTreeSet<usize>,
}

fn run_sets(
    cond: &Cond,
    graph: &Graph,
    subjects: &[Subject<'_>],
    admit: &dyn Fn(&Entity) -> bool,
    cache: &mut Cache,
    excluded: &BTreeSet<usize>,
) -> Sets {
    match cond {
        Cond::And(children) | Cond::Or(children) => {
            let and = matches!(cond, Cond::And(_));
            let children: Vec<&Cond> =
                children.iter().filter(|child| !matches!(child, Cond::Filter(_))).collect();
            // Checkov's AND runs the attribute parts first; resources failing
            // them are excluded from its connections (so their links fail).
            let mut results: Vec<Sets> = Vec::new();
            let mut failed_attributes = excluded.clone();
            for child in children.iter().filter(|child| !child.has_connection()) {
                let result = run_sets(child, graph, subjects, admit, cache, excluded);
                if and {
                    failed_attributes.extend(&result.failed);
                }
                results.push(result);
            }
            for child in children.iter().filter(|child| child.has_connection()) {
                results.push(run_sets(child, graph, subjects, admit, cache, &failed_attributes));
            }
            let mut sets = Sets::default();
            for result in &results {
                sets.passed.extend(&result.passed);
                sets.failed.extend(&result.failed);
                sets.unknown.extend(&result.unknown);
            }
            if and {
                sets.unknown = &sets.unknown - &sets.failed;
                sets.passed = &(&sets.passed - &sets.failed) - &sets.unknown;
            } else {
                sets.unknown = &sets.unknown - &sets.passed;
                sets.failed = &(&sets.failed - &sets.passed) - &sets.unknown;
            }
            // A filter keeps only its types in this node's results.
            if let Some(kinds) = cond.filter() {
                let kept = |index: &usize| kinds.iter().any(|k| *k == graph.entities[*index].kind);
                sets.passed.retain(kept);
                sets.failed.retain(kept);
                sets.unknown.retain(kept);
            }
            sets
        }
        Cond::Not(child) => {
            let inner = run_sets(child, graph, subjects, admit, cache, excluded);
            Sets { passed: inner.failed, failed: inner.passed, unknown: inner.unknown }
        }
        Cond::Connection { types, connected, op } => {
            connection(graph, admit, types, connected, *op, excluded)
        }
        Cond::Filter(_) => Sets::default(),
        leaf => {
            let mut sets = Sets::default();
            let types = leaf.types();
            for (index, entity) in graph.entities.iter().enumerate() {
                if !admit(entity) || !subjects[index].admitted(&types) {
                    continue;
                }
                match eval(leaf, &subjects[index], cache) {
                    Some(true) => sets.passed.insert(index),
                    Some(false) => sets.failed.insert(index),
                    None => sets.unknown.insert(index),
                };
            }
            sets
        }
    }
}

fn connection(
    graph: &Graph,
    admit: &dyn Fn(&Entity) -> bool,
    types: &Types,
    connected: &Types,
    op: ConnOp,
    excluded: &BTreeSet<usize>,
) -> Sets {
    let side = |wanted: &Types| -> BTreeSet<usize> {
        graph
            .entities
            .iter()
            .enumerate()
            .filter(|(_, entity)| {
                admit(entity) && matches!(wanted, Types::Only(_)) && wanted.admits(&entity.kind)
            })
            .map(|(index, _)| index)
            .collect()
    };
    let (a, b) = (side(types), side(connected));
    let mut passed = BTreeSet::new();
    if !a.is_empty() && !b.is_empty() {
        for (from, to) in &graph.edges {
            let linked =
                (a.contains(from) && b.contains(to)) || (b.contains(from) && a.contains(to));
            let usable = !excluded.contains(from) && !excluded.contains(to);
            if linked && usable && graph.entities[*from].group == graph.entities[*to].group {
                passed.insert(*from);
                passed.insert(*to);
            }
        }
    }
    let everyone: BTreeSet<usize> = a.union(&b).copied().collect();
    let failed: BTreeSet<usize> = &everyone - &passed;
    match op {
        ConnOp::Exists | ConnOp::OneExists => Sets { passed, failed, unknown: BTreeSet::new() },
        ConnOp::NotExists => Sets { passed: failed, failed: passed, unknown: BTreeSet::new() },
    }
}
