//! Shared logic of CKV_GCP_2 / 3 / 75 / 77 / 88 / 106 (a GCP firewall
//! letting `0.0.0.0/0` reach a port), as Checkov's
//! `AbsGoogleComputeFirewallUnrestrictedIngress`; the thin `gcp_firewall_*`
//! checks pick the port.
//!
//! `google_compute_firewall`: each `allow` block in order; a block that is a
//! string makes the resource UNKNOWN. A block with `ports` covering the port
//! FAILS the resource when `source_ranges` holds `0.0.0.0/0` (a list item,
//! or a substring of a plain string). Otherwise PASS, also without any
//! `allow` (the direction, `deny` blocks and `disabled` are not looked at).
//!
//! A port item covers the port when Python's `int()` of it equals the port
//! (0 never does); otherwise a string with a `-` covers it when it splits
//! into two integers spanning the port, and also, a Checkov quirk, when it
//! does not split into exactly two integers (`"${var.from}-9"`): the
//! exception path returns `CheckResult.UNKNOWN`, which is truthy.

use super::python_conf::{force_int, force_list, py_int, terraform_resource};
use crate::model::Entity;
use crate::solver::Outcome;
use crate::value::Value;

/// The outcome for `entity` and `port`.
pub(super) fn check(entity: &Entity, port: i64) -> Option<Outcome> {
    if !terraform_resource(entity, &["google_compute_firewall"]) {
        return None;
    }
    let conf = &entity.attrs;
    let Some(allow) = conf.get("allow") else { return Some(Outcome::Pass) };
    for block in force_list(allow) {
        if matches!(block, Value::Str(_)) {
            return None;
        }
        let Some(ports) = block.get("ports") else { continue };
        if !ports_cover(ports, port) {
            continue;
        }
        let world = match conf.get("source_ranges") {
            Some(Value::List(ranges)) => ranges.iter().any(|r| r.as_str() == Some("0.0.0.0/0")),
            Some(Value::Str(text)) => text.contains("0.0.0.0/0"),
            Some(Value::Map(entries)) => entries.iter().any(|(key, _)| key == "0.0.0.0/0"),
            _ => false,
        };
        if world {
            return Some(Outcome::Fail);
        }
    }
    Some(Outcome::Pass)
}

fn ports_cover(ports: &Value, port: i64) -> bool {
    for item in force_list(ports) {
        match force_int(item) {
            Some(number) => {
                if number != 0 && number == port {
                    return true;
                }
            }
            None => match item {
                Value::Str(text) if text.contains('-') => {
                    let parts: Vec<&str> = text.split('-').collect();
                    match parts.as_slice() {
                        [from, to] => match (py_int(from), py_int(to)) {
                            (Some(from), Some(to)) => {
                                if from <= port && port <= to {
                                    return true;
                                }
                            }
                            _ => return true,
                        },
                        _ => return true,
                    }
                }
                Value::List(items) if items.iter().any(|i| i.as_str() == Some("-")) => return true,
                Value::Map(entries) if entries.iter().any(|(key, _)| key == "-") => return true,
                _ => {}
            },
        }
    }
    false
}
