//! The JSONPath subset `jsonpath_*` operators use: `$`, `.key`, `['key']`,
//! `[n]`, `[*]` and `.*`, and `..key` (any depth). Enough for Checkov's
//! published policies; anything else selects nothing.

use crate::value::Value;

enum Step {
    Key(String),
    /// `[?(@.a == b & @.c != d)]`: items (or the map itself) whose fields match.
    Filter(Vec<(String, bool, String)>),
    Index(usize),
    All,
    Descend(String),
}

/// Every value `path` selects in `root`. With `unwrap_single` (Terraform),
/// a key looked up on a one-item list looks inside the item, as Checkov's
/// Terraform resources have their one-item lists stripped.
pub fn select<'a>(root: &'a Value, path: &str, unwrap_single: bool) -> Vec<&'a Value> {
    let Some(steps) = parse(path) else { return Vec::new() };
    let mut current = vec![root];
    for step in &steps {
        let mut next = Vec::new();
        for value in current {
            match step {
                Step::Key(key) => match value {
                    Value::List(items) if unwrap_single && items.len() == 1 => {
                        next.extend(items[0].get(key))
                    }
                    _ => next.extend(value.get(key)),
                },
                Step::Index(index) => {
                    next.extend(value.as_list().and_then(|items| items.get(*index)))
                }
                Step::All => match value {
                    Value::List(items) => next.extend(items.iter()),
                    Value::Map(entries) => next.extend(entries.iter().map(|(_, v)| v)),
                    _ => {}
                },
                Step::Descend(key) => descend(value, key, &mut next),
                Step::Filter(tests) => match value {
                    Value::List(items) => {
                        next.extend(items.iter().filter(|item| passes(item, tests)))
                    }
                    map @ Value::Map(_) if passes(map, tests) => next.push(map),
                    _ => {}
                },
            }
        }
        current = next;
    }
    current
}

fn descend<'a>(value: &'a Value, key: &str, out: &mut Vec<&'a Value>) {
    match value {
        Value::Map(entries) => {
            for (name, item) in entries {
                if name == key {
                    out.push(item);
                }
                descend(item, key, out);
            }
        }
        Value::List(items) => items.iter().for_each(|item| descend(item, key, out)),
        _ => {}
    }
}

fn parse(path: &str) -> Option<Vec<Step>> {
    let mut steps = Vec::new();
    let mut rest = path.trim().strip_prefix('$').unwrap_or(path.trim());
    while !rest.is_empty() {
        if let Some(after) = rest.strip_prefix("..") {
            let end = after.find(['.', '[']).unwrap_or(after.len());
            steps.push(Step::Descend(after[..end].to_owned()));
            rest = &after[end..];
        } else if let Some(after) = rest.strip_prefix('.') {
            let end = after.find(['.', '[']).unwrap_or(after.len());
            let key = &after[..end];
            steps.push(if key == "*" { Step::All } else { Step::Key(key.to_owned()) });
            rest = &after[end..];
        } else if let Some(after) = rest.strip_prefix('[') {
            if let Some(filter) = after.strip_prefix("?(") {
                let end = filter.find(")]")?;
                steps.push(Step::Filter(parse_filter(&filter[..end])?));
                rest = &filter[end + 2..];
                continue;
            }
            let end = after.find(']')?;
            let inner = after[..end].trim();
            steps.push(if inner == "*" {
                Step::All
            } else if let Ok(index) = inner.parse() {
                Step::Index(index)
            } else {
                Step::Key(inner.trim_matches(['\'', '"']).to_owned())
            });
            rest = &after[end + 1..];
        } else {
            let end = rest.find(['.', '[']).unwrap_or(rest.len());
            let key = &rest[..end];
            steps.push(if key == "*" { Step::All } else { Step::Key(key.to_owned()) });
            rest = &rest[end..];
        }
    }
    Some(steps)
}

/// `@.a == b & @.c != "d"` → [(a, equal, b), (c, not equal, d)].
fn parse_filter(text: &str) -> Option<Vec<(String, bool, String)>> {
    text.split('&')
        .map(|test| {
            let (left, equal, right) = match test.split_once("!=") {
                Some((left, right)) => (left, false, right),
                None => {
                    let (left, right) = test.split_once("==")?;
                    (left, true, right)
                }
            };
            let field = left.trim().strip_prefix("@.")?.to_owned();
            let value = right.trim().trim_matches(['\'', '"']).to_owned();
            Some((field, equal, value))
        })
        .collect()
}

fn passes(item: &Value, tests: &[(String, bool, String)]) -> bool {
    tests.iter().all(|(field, equal, expected)| {
        let actual = item.at(field).map(Value::py_str);
        (actual.as_deref() == Some(expected.as_str())) == *equal
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn selects_wildcards_and_descendants() -> Result<(), serde_json::Error> {
        let json: serde_json::Value =
            serde_json::from_str(r#"{"a":{"b":[{"c":1},{"c":2}]},"d":{"c":3}}"#)?;
        let value = crate::value::from_json(&json);
        assert_eq!(select(&value, "$.a.b[*].c", false), vec![&Value::Int(1), &Value::Int(2)]);
        assert_eq!(select(&value, "a.b[1].c", false), vec![&Value::Int(2)]);
        assert_eq!(select(&value, "$..c", false).len(), 3);
        assert_eq!(select(&value, "a.b[?(@.c == 2)]", false).len(), 1);
        assert_eq!(select(&value, "a.b[?(@.c != 2 & @.c == 1)]", false).len(), 1);
        Ok(())
    }
}
