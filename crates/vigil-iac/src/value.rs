//! The value model every parser produces: JSON-like, order-preserving, with
//! Checkov's flattening (`ingress.0.cidr_blocks.0`) and Python's string forms,
//! which Checkov's operators compare on.

use std::fmt::Write as _;

/// A parsed value.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// Null, or a missing value rendered as Python's `None`.
    Null,
    /// A boolean.
    Bool(bool),
    /// An integer.
    Int(i64),
    /// A float.
    Float(f64),
    /// A string.
    Str(String),
    /// A list.
    List(Vec<Value>),
    /// A map, in source order.
    Map(Vec<(String, Value)>),
}

impl Value {
    /// The value at `key` of a map.
    pub fn get(&self, key: &str) -> Option<&Value> {
        match self {
            Value::Map(entries) => entries.iter().find(|(name, _)| name == key).map(|(_, v)| v),
            _ => None,
        }
    }

    /// The value at a `.`-separated path of map keys and list indexes.
    pub fn at(&self, path: &str) -> Option<&Value> {
        let mut current = self;
        for part in path.split('.').filter(|part| !part.is_empty()) {
            current = match current {
                Value::Map(_) => current.get(part)?,
                Value::List(items) => items.get(part.parse::<usize>().ok()?)?,
                _ => return None,
            };
        }
        Some(current)
    }

    /// The string, when this is one.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::Str(text) => Some(text),
            _ => None,
        }
    }

    /// The list items, when this is a list.
    pub fn as_list(&self) -> Option<&[Value]> {
        match self {
            Value::List(items) => Some(items),
            _ => None,
        }
    }

    /// Python truthiness: empty strings, lists and maps, zero, false and
    /// null are false.
    pub fn truthy(&self) -> bool {
        match self {
            Value::Null => false,
            Value::Bool(flag) => *flag,
            Value::Int(number) => *number != 0,
            Value::Float(number) => *number != 0.0,
            Value::Str(text) => !text.is_empty(),
            Value::List(items) => !items.is_empty(),
            Value::Map(entries) => !entries.is_empty(),
        }
    }

    /// The number, when this is one or a string holding one.
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            Value::Int(number) => Some(*number as f64),
            Value::Float(number) => Some(*number),
            Value::Str(text) => text.trim().parse().ok(),
            Value::Bool(flag) => Some(f64::from(u8::from(*flag))),
            _ => None,
        }
    }

    /// Python's `str()` of the value (`True`, `None`, `5`, `['a', 'b']`),
    /// which Checkov's string comparisons see.
    pub fn py_str(&self) -> String {
        match self {
            Value::Str(text) => text.clone(),
            other => {
                let mut out = String::new();
                other.write_repr(&mut out);
                out
            }
        }
    }

    fn write_repr(&self, out: &mut String) {
        match self {
            Value::Null => out.push_str("None"),
            Value::Bool(true) => out.push_str("True"),
            Value::Bool(false) => out.push_str("False"),
            Value::Int(number) => {
                let _ = write!(out, "{number}");
            }
            Value::Float(number) => {
                if number.fract() == 0.0 && number.abs() < 1e16 {
                    let _ = write!(out, "{number:.1}");
                } else {
                    let _ = write!(out, "{number}");
                }
            }
            Value::Str(text) => {
                out.push('\'');
                out.push_str(text);
                out.push('\'');
            }
            Value::List(items) => {
                out.push('[');
                for (index, item) in items.iter().enumerate() {
                    if index > 0 {
                        out.push_str(", ");
                    }
                    item.write_repr(out);
                }
                out.push(']');
            }
            Value::Map(entries) => {
                out.push('{');
                for (index, (key, item)) in entries.iter().enumerate() {
                    if index > 0 {
                        out.push_str(", ");
                    }
                    let _ = write!(out, "'{key}': ");
                    item.write_repr(out);
                }
                out.push('}');
            }
        }
    }

    /// Every nested path with its value, Checkov style: map keys and list
    /// indexes joined by `.`, parents included. With `unwrap_single`
    /// (Terraform), a one-item list adds no index step.
    pub fn flatten(&self, unwrap_single: bool) -> Vec<(String, &Value)> {
        let mut out = Vec::new();
        if let Value::Map(entries) = self {
            for (key, value) in entries {
                flatten_into(key.clone(), value, unwrap_single, &mut out);
            }
        }
        out
    }
}

fn flatten_into<'a>(
    key: String,
    value: &'a Value,
    unwrap_single: bool,
    out: &mut Vec<(String, &'a Value)>,
) {
    match value {
        // Checkov's Terraform blocks strip one-item lists: `cidr_blocks =
        // ["10.0.0.0/8"]` reads as the string, one `versioning {}` block as
        // the map.
        Value::List(items) if unwrap_single && items.len() == 1 => {
            flatten_into(key, &items[0], unwrap_single, out)
        }
        Value::List(_) | Value::Map(_) => {
            out.push((key.clone(), value));
            flatten_children(&key, value, unwrap_single, out);
        }
        scalar => out.push((key, scalar)),
    }
}

fn flatten_children<'a>(
    key: &str,
    value: &'a Value,
    unwrap_single: bool,
    out: &mut Vec<(String, &'a Value)>,
) {
    match value {
        Value::Map(entries) => {
            for (child, item) in entries {
                flatten_into(format!("{key}.{child}"), item, unwrap_single, out);
            }
        }
        Value::List(items) => {
            for (index, item) in items.iter().enumerate() {
                flatten_into(format!("{key}.{index}"), item, unwrap_single, out);
            }
        }
        _ => {}
    }
}

/// A JSON value as a [`Value`].
pub fn from_json(json: &serde_json::Value) -> Value {
    match json {
        serde_json::Value::Null => Value::Null,
        serde_json::Value::Bool(flag) => Value::Bool(*flag),
        serde_json::Value::Number(number) => match number.as_i64() {
            Some(int) => Value::Int(int),
            None => Value::Float(number.as_f64().unwrap_or(0.0)),
        },
        serde_json::Value::String(text) => Value::Str(text.clone()),
        serde_json::Value::Array(items) => Value::List(items.iter().map(from_json).collect()),
        serde_json::Value::Object(entries) => {
            Value::Map(entries.iter().map(|(k, v)| (k.clone(), from_json(v))).collect())
        }
    }
}

/// Reads a value straight from a serde format (a Terraform plan's
/// `values`), without an intermediate JSON tree.
impl<'de> serde::Deserialize<'de> for Value {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Value, D::Error> {
        deserializer.deserialize_any(ValueVisitor)
    }
}

struct ValueVisitor;

impl<'de> serde::de::Visitor<'de> for ValueVisitor {
    type Value = Value;

    fn expecting(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str("a JSON value")
    }

    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_bool<E>(self, flag: bool) -> Result<Value, E> {
        Ok(Value::Bool(flag))
    }

    fn visit_i64<E>(self, number: i64) -> Result<Value, E> {
        Ok(Value::Int(number))
    }

    fn visit_u64<E>(self, number: u64) -> Result<Value, E> {
        Ok(i64::try_from(number).map_or(Value::Float(number as f64), Value::Int))
    }

    fn visit_f64<E>(self, number: f64) -> Result<Value, E> {
        Ok(Value::Float(number))
    }

    fn visit_str<E>(self, text: &str) -> Result<Value, E> {
        Ok(Value::Str(text.to_owned()))
    }

    fn visit_string<E>(self, text: String) -> Result<Value, E> {
        Ok(Value::Str(text))
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element()? {
            items.push(item);
        }
        Ok(Value::List(items))
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut entries = Vec::new();
        while let Some((key, value)) = map.next_entry::<String, Value>()? {
            entries.push((key, value));
        }
        Ok(Value::Map(entries))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(entries: Vec<(&str, Value)>) -> Value {
        Value::Map(entries.into_iter().map(|(k, v)| (k.to_owned(), v)).collect())
    }

    #[test]
    fn flattening_unwraps_single_blocks_only_when_asked() {
        let value = map(vec![
            ("versioning", Value::List(vec![map(vec![("enabled", Value::Bool(true))])])),
            (
                "ingress",
                Value::List(vec![
                    map(vec![("from_port", Value::Int(22))]),
                    map(vec![("from_port", Value::Int(80))]),
                ]),
            ),
        ]);
        let keys: Vec<String> = value.flatten(true).into_iter().map(|(k, _)| k).collect();
        assert!(keys.contains(&"versioning.enabled".to_owned()), "{keys:?}");
        assert!(keys.contains(&"ingress.1.from_port".to_owned()), "{keys:?}");
        let keys: Vec<String> = value.flatten(false).into_iter().map(|(k, _)| k).collect();
        assert!(keys.contains(&"versioning.0.enabled".to_owned()), "{keys:?}");
    }

    #[test]
    fn python_strings() {
        assert_eq!(Value::Bool(true).py_str(), "True");
        assert_eq!(Value::Null.py_str(), "None");
        assert_eq!(Value::Float(5.0).py_str(), "5.0");
        assert_eq!(Value::List(vec![Value::Str("a".into())]).py_str(), "['a']");
    }
}
