//! Checkov's YAML policy `definition` language, parsed: `and` / `or` /
//! `not` over `attribute`, `connection`, `filter` and `resource` conditions
//! with Checkov's operator names. An operator or shape Vigil does not know is
//! an error naming the line, so a user's policy never silently checks less
//! than it says.

use crate::value::Value;

/// Which resource types a condition looks at.
#[derive(Debug, Clone, PartialEq)]
pub enum Types {
    /// Every type (`all`, an empty list, or none given).
    All,
    /// These types.
    Only(Vec<String>),
}

impl Types {
    /// Whether `kind` is one of them.
    pub fn admits(&self, kind: &str) -> bool {
        match self {
            Types::All => true,
            Types::Only(kinds) => kinds.iter().any(|k| k == kind),
        }
    }

    fn union(&mut self, other: &Types) {
        match (&mut *self, other) {
            (Types::All, _) => {}
            (_, Types::All) => *self = Types::All,
            (Types::Only(mine), Types::Only(theirs)) => {
                for kind in theirs {
                    if !mine.contains(kind) {
                        mine.push(kind.clone());
                    }
                }
            }
        }
    }
}

/// An attribute operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[allow(missing_docs)]
pub enum Op {
    Equals,
    NotEquals,
    EqualsIgnoreCase,
    NotEqualsIgnoreCase,
    Exists,
    NotExists,
    Any,
    Contains,
    NotContains,
    StartingWith,
    NotStartingWith,
    EndingWith,
    NotEndingWith,
    RegexMatch,
    NotRegexMatch,
    GreaterThan,
    GreaterThanOrEqual,
    LessThan,
    LessThanOrEqual,
    Within,
    NotWithin,
    Subset,
    NotSubset,
    Intersects,
    NotIntersects,
    IsEmpty,
    IsNotEmpty,
    IsTrue,
    IsFalse,
    LengthEquals,
    LengthNotEquals,
    LengthGreaterThan,
    LengthGreaterThanOrEqual,
    LengthLessThan,
    LengthLessThanOrEqual,
    CidrRangeSubset,
    CidrRangeNotSubset,
}

impl Op {
    /// The operator called `name` in Checkov's YAML.
    pub fn parse(name: &str) -> Option<Op> {
        Some(match name {
            "equals" => Op::Equals,
            "not_equals" => Op::NotEquals,
            "equals_ignore_case" => Op::EqualsIgnoreCase,
            "not_equals_ignore_case" => Op::NotEqualsIgnoreCase,
            "exists" => Op::Exists,
            "not_exists" => Op::NotExists,
            "any" => Op::Any,
            "contains" => Op::Contains,
            "not_contains" => Op::NotContains,
            "starting_with" => Op::StartingWith,
            "not_starting_with" => Op::NotStartingWith,
            "ending_with" => Op::EndingWith,
            "not_ending_with" => Op::NotEndingWith,
            "regex_match" => Op::RegexMatch,
            "not_regex_match" => Op::NotRegexMatch,
            "greater_than" => Op::GreaterThan,
            "greater_than_or_equal" => Op::GreaterThanOrEqual,
            "less_than" => Op::LessThan,
            "less_than_or_equal" => Op::LessThanOrEqual,
            "within" => Op::Within,
            "not_within" => Op::NotWithin,
            "subset" => Op::Subset,
            "not_subset" => Op::NotSubset,
            "intersects" => Op::Intersects,
            "not_intersects" => Op::NotIntersects,
            "is_empty" => Op::IsEmpty,
            "is_not_empty" => Op::IsNotEmpty,
            "is_true" => Op::IsTrue,
            "is_false" => Op::IsFalse,
            "length_equals" => Op::LengthEquals,
            "length_not_equals" => Op::LengthNotEquals,
            "length_greater_than" => Op::LengthGreaterThan,
            "length_greater_than_or_equal" => Op::LengthGreaterThanOrEqual,
            "length_less_than" => Op::LengthLessThan,
            "length_less_than_or_equal" => Op::LengthLessThanOrEqual,
            "cidr_range_subset" => Op::CidrRangeSubset,
            "cidr_range_not_subset" => Op::CidrRangeNotSubset,
            _ => return None,
        })
    }

    /// Whether the operator compares a value (so a variable-dependent value
    /// makes it unknown), as opposed to testing presence.
    pub fn checks_value(self) -> bool {
        !matches!(self, Op::Exists | Op::NotExists | Op::Any)
    }

    /// Whether wildcard matches must all satisfy it (Checkov's ALL
    /// semantics) rather than any one.
    pub fn needs_all(self) -> bool {
        matches!(self, Op::NotContains)
    }
}

/// A connection operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConnOp {
    /// Connected to at least one of the other side.
    Exists,
    /// Connected to none.
    NotExists,
    /// Like `exists` (Checkov's `one_exists`).
    OneExists,
}

/// One node of a definition.
#[derive(Debug, Clone, PartialEq)]
pub enum Cond {
    /// Every child holds.
    And(Vec<Cond>),
    /// Some child holds.
    Or(Vec<Cond>),
    /// The child does not hold.
    Not(Box<Cond>),
    /// An attribute test.
    Attribute {
        /// Types it applies to; other types fail it.
        types: Types,
        /// The attribute (dotted, `*` wildcards), or a JSONPath.
        attribute: String,
        /// The operator.
        op: Op,
        /// Whether `attribute` is a JSONPath (`jsonpath_<op>`).
        jsonpath: bool,
        /// The policy's value.
        value: Value,
    },
    /// True for every resource of the types (no `cond_type`).
    Any(Types),
    /// A connection between resources of two type sets.
    Connection {
        /// One side.
        types: Types,
        /// The other side.
        connected: Types,
        /// The operator.
        op: ConnOp,
    },
    /// Keeps only resources whose type is within `kinds`.
    Filter(Vec<String>),
    /// `resource` condition: the type is (not) one of these.
    Resource {
        /// The types.
        types: Types,
        /// `true` for `exists`, `false` for `not_exists`.
        exists: bool,
    },
}

impl Cond {
    /// The union of the types its leaves look at.
    pub fn types(&self) -> Types {
        match self {
            Cond::And(children) | Cond::Or(children) => {
                let mut all: Option<Types> = None;
                for child in children {
                    if matches!(child, Cond::Filter(_)) {
                        continue;
                    }
                    let types = child.types();
                    match &mut all {
                        None => all = Some(types),
                        Some(so_far) => so_far.union(&types),
                    }
                }
                all.unwrap_or(Types::All)
            }
            Cond::Not(child) => child.types(),
            Cond::Attribute { types, .. } | Cond::Any(types) | Cond::Resource { types, .. } => {
                types.clone()
            }
            Cond::Connection { types, connected, .. } => {
                let mut all = types.clone();
                all.union(connected);
                all
            }
            Cond::Filter(kinds) => Types::Only(kinds.clone()),
        }
    }

    /// Whether a connection is anywhere below.
    pub fn has_connection(&self) -> bool {
        match self {
            Cond::And(children) | Cond::Or(children) => children.iter().any(Cond::has_connection),
            Cond::Not(child) => child.has_connection(),
            Cond::Connection { .. } => true,
            _ => false,
        }
    }

    /// The types every `filter` directly below keeps, when there is one.
    pub fn filter(&self) -> Option<Vec<String>> {
        match self {
            Cond::Filter(kinds) => Some(kinds.clone()),
            Cond::And(children) | Cond::Or(children) => {
                children.iter().find_map(|child| match child {
                    Cond::Filter(kinds) => Some(kinds.clone()),
                    _ => None,
                })
            }
            _ => None,
        }
    }
}

/// A definition that could not be read: what and where (the dotted path of
/// the node in the policy file).
#[derive(Debug, Clone, thiserror::Error)]
#[error("{message} (at `{at}`)")]
pub struct DefinitionError {
    /// What was wrong.
    pub message: String,
    /// The node's path in the file (`definition.and.1.operator`).
    pub at: String,
}

/// Parses a definition node found at `at`.
pub fn parse(node: &Value, at: &str) -> Result<Cond, DefinitionError> {
    let fail = |message: String, at: &str| DefinitionError { message, at: at.to_owned() };
    let Value::Map(_) = node else {
        if let Value::List(items) = node {
            // Checkov tolerates a list at the top: an implicit `and`.
            return children(items, at).map(Cond::And);
        }
        return Err(fail("a definition node must be a mapping".into(), at));
    };
    for (key, build) in [("and", 0), ("or", 1), ("not", 2)] {
        let Some(value) = node.get(key) else { continue };
        let at = format!("{at}.{key}");
        let items = match value {
            Value::List(items) => children(items, &at)?,
            single @ Value::Map(_) => vec![parse(single, &at)?],
            _ => return Err(fail(format!("`{key}` must hold a list of conditions"), &at)),
        };
        return Ok(match build {
            0 => Cond::And(items),
            1 => Cond::Or(items),
            _ => {
                let mut items = items;
                if items.len() != 1 {
                    return Err(fail("`not` must hold exactly one condition".into(), &at));
                }
                Cond::Not(Box::new(items.remove(0)))
            }
        });
    }
    let cond_type = node.get("cond_type").and_then(Value::as_str).unwrap_or("");
    let types = parse_types(node.get("resource_types"));
    let operator = node.get("operator").and_then(Value::as_str).unwrap_or("");
    let op_at = format!("{at}.operator");
    match cond_type {
        "" => Ok(Cond::Any(types)),
        "attribute" => {
            let attribute = match node.get("attribute") {
                Some(Value::Str(text)) => text.clone(),
                Some(other @ (Value::Int(_) | Value::Float(_) | Value::Bool(_))) => other.py_str(),
                _ => return Err(fail("an attribute condition needs `attribute`".into(), at)),
            };
            let (jsonpath, name) = match operator.strip_prefix("jsonpath_") {
                Some(rest) => (true, rest),
                None => (false, operator),
            };
            let op = Op::parse(name).ok_or_else(|| {
                fail(format!("operator `{operator}` is not supported by Vigil"), &op_at)
            })?;
            let value = node.get("value").cloned().unwrap_or(Value::Null);
            Ok(Cond::Attribute { types, attribute, op, jsonpath, value })
        }
        "connection" => {
            let op = match operator {
                "exists" => ConnOp::Exists,
                "not_exists" => ConnOp::NotExists,
                "one_exists" => ConnOp::OneExists,
                other => {
                    return Err(fail(
                        format!("connection operator `{other}` is not supported by Vigil"),
                        &op_at,
                    ));
                }
            };
            let connected = parse_types(node.get("connected_resource_types"));
            Ok(Cond::Connection { types, connected, op })
        }
        "filter" => {
            let attribute = node.get("attribute").and_then(Value::as_str).unwrap_or("");
            if attribute != "resource_type" || operator != "within" {
                return Err(fail(
                    format!(
                        "filter `{attribute} {operator}` is not supported by Vigil (only `resource_type within`)"
                    ),
                    at,
                ));
            }
            let kinds = match node.get("value") {
                Some(Value::List(items)) => items.iter().map(Value::py_str).collect(),
                Some(Value::Str(kind)) => vec![kind.clone()],
                _ => Vec::new(),
            };
            Ok(Cond::Filter(kinds))
        }
        "resource" => {
            let exists = match operator {
                "exists" => true,
                "not_exists" => false,
                other => {
                    return Err(fail(
                        format!("resource operator `{other}` is not supported by Vigil"),
                        &op_at,
                    ));
                }
            };
            Ok(Cond::Resource { types, exists })
        }
        other => Err(fail(format!("cond_type `{other}` is not supported by Vigil"), at)),
    }
}

fn children(items: &[Value], at: &str) -> Result<Vec<Cond>, DefinitionError> {
    items.iter().enumerate().map(|(index, item)| parse(item, &format!("{at}.{index}"))).collect()
}

fn parse_types(value: Option<&Value>) -> Types {
    match value {
        None | Some(Value::Null) => Types::All,
        Some(Value::Str(kind)) if kind == "all" => Types::All,
        Some(Value::Str(kind)) => Types::Only(vec![kind.clone()]),
        Some(Value::List(items)) => {
            let kinds: Vec<String> = items.iter().map(Value::py_str).collect();
            if kinds.is_empty() || kinds.first().is_some_and(|kind| kind == "all") {
                Types::All
            } else {
                Types::Only(kinds)
            }
        }
        Some(other) => Types::Only(vec![other.py_str()]),
    }
}
