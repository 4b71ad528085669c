//! Shared logic of CKV_AZURE_9 / 10 / 160 (a network security rule letting
//! the internet reach a port), as Checkov's `NSGRulePortAccessRestricted`;
//! the thin `azure_nsg_*` checks pick the port.
//!
//! Resources: `azurerm_network_security_rule` (the rule is the resource)
//! and `azurerm_network_security_group` (each inline `security_rule` block;
//! without any, the group itself, which then passes). A rule that is not a
//! map makes the resource UNKNOWN. The first rule that is all of these
//! FAILS the resource, otherwise it PASSES:
//! - `access` is "allow", `direction` "inbound", `protocol` "tcp" or `*`
//!   (case-insensitive);
//! - `destination_port_range`, or any item of `destination_port_ranges`,
//!   covers the port: an item is read as text and covers it when it starts
//!   with `<digits>-<digits>` spanning the port, or is exactly the port or
//!   `*` (a single string in `destination_port_ranges` is walked character
//!   by character, as Python does);
//! - `source_address_prefix`, or any string of the list
//!   `source_address_prefixes`, is (case-insensitively) one of `*`,
//!   `0.0.0.0`, `<nw>/0`, `/0`, `internet`, `any`. `0.0.0.0/0` is not in
//!   Checkov's list, so it passes.
//!
//! Not reproduced: a variable's list inside a `security_rule` block reaches
//! Checkov unwrapped (its first item is then read as the whole value), which
//! Vigil's values cannot tell apart from a literal list.

use std::sync::LazyLock;

use regex::Regex;

use super::python_conf::{force_list, py_int, terraform_resource};
use crate::model::Entity;
use crate::solver::Outcome;
use crate::value::Value;

const INTERNET: [&str; 6] = ["*", "0.0.0.0", "<nw>/0", "/0", "internet", "any"];

static PORT_RANGE: LazyLock<Option<Regex>> = LazyLock::new(|| Regex::new(r"^\d+-\d+").ok());

/// The outcome for `entity` and `port`.
pub(super) fn check(entity: &Entity, port: i64) -> Option<Outcome> {
    if !terraform_resource(
        entity,
        &["azurerm_network_security_rule", "azurerm_network_security_group"],
    ) {
        return None;
    }
    let conf = &entity.attrs;
    let rules = match conf.get("security_rule") {
        Some(rules) => force_list(rules),
        None => std::slice::from_ref(conf),
    };
    for rule in rules {
        if !matches!(rule, Value::Map(_)) {
            return None;
        }
        if open(rule, port) {
            return Some(Outcome::Fail);
        }
    }
    Some(Outcome::Pass)
}

fn lower(rule: &Value, key: &str) -> Option<String> {
    rule.get(key).and_then(Value::as_str).map(str::to_lowercase)
}

fn open(rule: &Value, port: i64) -> bool {
    let allows = lower(rule, "access").as_deref() == Some("allow")
        && lower(rule, "direction").as_deref() == Some("inbound")
        && lower(rule, "protocol").is_some_and(|p| p == "tcp" || p == "*");
    if !allows {
        return false;
    }
    let single = rule.get("destination_port_range").is_some_and(|r| port_in_range(r, port));
    let many = rule.get("destination_port_ranges").is_some_and(|ranges| match ranges {
        Value::List(items) => items.iter().any(|r| port_in_range(r, port)),
        Value::Str(text) => text.chars().any(|c| port_in_range(&Value::Str(c.to_string()), port)),
        Value::Map(entries) => {
            entries.iter().any(|(key, _)| port_in_range(&Value::Str(key.clone()), port))
        }
        _ => false,
    });
    if !(single || many) {
        return false;
    }
    let internet = |prefix: &Value| {
        prefix.as_str().is_some_and(|p| INTERNET.contains(&p.to_lowercase().as_str()))
    };
    rule.get("source_address_prefix").is_some_and(internet)
        || matches!(rule.get("source_address_prefixes"), Some(Value::List(prefixes)) if prefixes.iter().any(internet))
}

fn port_in_range(ports: &Value, port: i64) -> bool {
    force_list(ports).iter().any(|range| {
        let text = range.py_str();
        if PORT_RANGE.as_ref().is_some_and(|re| re.is_match(&text)) {
            let mut bounds = text.split('-').map(py_int);
            if let (Some(Some(start)), Some(Some(end))) = (bounds.next(), bounds.next()) {
                if start <= port && port <= end {
                    return true;
                }
            }
        }
        text == port.to_string() || text == "*"
    })
}
