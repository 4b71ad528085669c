//! Helpers shared by the Rust ports of Checkov's Python resource checks: not
//! a check itself. Checkov hands those checks a resource's configuration
//! with every Terraform attribute wrapped in a one-item list, and most
//! checks then read it with `force_list`, `force_int` and Python's `int()`;
//! these functions give the same answers on Vigil's unwrapped values.

use crate::model::{Entity, Framework};
use crate::value::Value;

/// Whether `entity` is a Terraform `resource` block (or a planned resource)
/// of one of `kinds`: Checkov's resource checks never see data sources.
pub(super) fn terraform_resource(entity: &Entity, kinds: &[&str]) -> bool {
    matches!(entity.framework, Framework::Terraform | Framework::TerraformPlan)
        && kinds.contains(&entity.kind.as_str())
        && !entity.address.starts_with("data.")
        && !entity.address.contains(".data.")
}

/// Whether `entity` is a CloudFormation resource of one of `kinds`.
pub(super) fn cloudformation_resource(entity: &Entity, kinds: &[&str]) -> bool {
    entity.framework == Framework::CloudFormation && kinds.contains(&entity.kind.as_str())
}

/// Checkov's `force_list`: a list's items, anything else as a one-item list.
pub(super) fn force_list(value: &Value) -> &[Value] {
    match value {
        Value::List(items) => items,
        other => std::slice::from_ref(other),
    }
}

/// Checkov's `force_int`: Python's `int()` of the value, `None` when it
/// raises (lists, maps, `None`, text that is not an integer).
pub(super) fn force_int(value: &Value) -> Option<i64> {
    match value {
        Value::Int(number) => Some(*number),
        Value::Bool(flag) => Some(i64::from(*flag)),
        Value::Float(number) if number.is_finite() => Some(number.trunc() as i64),
        Value::Str(text) => py_int(text),
        _ => None,
    }
}

/// Python's `int(text)`: surrounding whitespace, an optional sign, and
/// digits with single underscores between them.
pub(super) fn py_int(text: &str) -> Option<i64> {
    let text = text.trim();
    let (negative, digits) = match text.as_bytes().first() {
        Some(b'-') => (true, &text[1..]),
        Some(b'+') => (false, &text[1..]),
        _ => (false, text),
    };
    if digits.is_empty()
        || digits.starts_with('_')
        || digits.ends_with('_')
        || digits.contains("__")
        || !digits.chars().all(|c| c.is_ascii_digit() || c == '_')
    {
        return None;
    }
    let number: i64 = digits.replace('_', "").parse().ok()?;
    Some(if negative { -number } else { number })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn python_int_rules() {
        assert_eq!(py_int(" 22 "), Some(22));
        assert_eq!(py_int("-1"), Some(-1));
        assert_eq!(py_int("1_000"), Some(1000));
        assert_eq!(py_int("22.0"), None);
        assert_eq!(py_int("var.port"), None);
        assert_eq!(py_int(""), None);
        assert_eq!(force_int(&Value::Float(22.9)), Some(22));
        assert_eq!(force_int(&Value::List(vec![Value::Int(22)])), None);
    }
}
