//! Shared logic of CKV_AWS_24 / 25 / 260 / 277 (a security group admitting
//! the whole internet to a port), as Checkov's
//! `AbsSecurityGroupUnrestrictedIngress` for Terraform and CloudFormation;
//! the thin `aws_sg_ingress_*` checks pick the port (`-1` for "all ports").
//!
//! Terraform (`aws_security_group`, `aws_security_group_rule`,
//! `aws_vpc_security_group_ingress_rule`):
//! - a resource with `ingress` looks at its blocks in order: the first one
//!   with a truthy `self` PASSES the whole group at once (even if a later
//!   block is open), the first violating one FAILS it; otherwise PASS;
//! - otherwise a resource with `type`: `ingress` is PASS with a truthy
//!   `self`, else FAIL on a violation, else PASS; any other type UNKNOWN;
//! - otherwise (the VPC ingress rule) FAIL on a violation when `from_port`
//!   or `to_port` is set, else PASS.
//!
//! A rule violates when it has no non-empty `prefix_list_ids`, its ports
//! (Python `int()`, unparsable → none; 0–0 read as 0–65535) cover the port,
//! or protocol is the string `"-1"` with 0–65535, and then: `cidr_blocks`
//! (or `cidr_ipv4`) holds `0.0.0.0/0`; or `ipv6_cidr_blocks` (or
//! `cidr_ipv6`) is a list holding `::/0` (a plain `cidr_ipv6 = "::/0"`
//! string is not, a Checkov quirk); or there are no IPv4 cidrs, no IPv6 key,
//! no `security_groups` and no `source_security_group_id` (so a VPC rule
//! with only `referenced_security_group_id` violates).
//!
//! CloudFormation (`AWS::EC2::SecurityGroup`'s `SecurityGroupIngress`, or an
//! `AWS::EC2::SecurityGroupIngress`'s properties): a non-list rule set is
//! UNKNOWN. A rule with `FromPort` and `ToPort` both integers or both
//! strings whose range covers the port FAILS when `CidrIp` is `0.0.0.0/0`,
//! or, when there is no `CidrIp`, `CidrIpv6` is `::/0`. Otherwise PASS.
//!
//! Not reproduced, because Vigil's values do not say where they came from:
//! Checkov leaves the iterator of a `dynamic "ingress"` block unresolved
//! (`ingress.value.port`), so such blocks never violate there, while Vigil
//! expands them; and a variable's list inside an `ingress` block reaches
//! Checkov unwrapped, so `ipv6_cidr_blocks = var.v6` holding `::/0` does not
//! violate there.

use super::python_conf::{cloudformation_resource, force_int, force_list, terraform_resource};
use crate::model::Entity;
use crate::solver::Outcome;
use crate::value::Value;

const TERRAFORM: [&str; 3] =
    ["aws_security_group", "aws_security_group_rule", "aws_vpc_security_group_ingress_rule"];
const CLOUDFORMATION: [&str; 2] = ["AWS::EC2::SecurityGroup", "AWS::EC2::SecurityGroupIngress"];
const IPV6_ANY: [&str; 2] = ["::/0", "0000:0000:0000:0000:0000:0000:0000:0000/0"];

/// The outcome for `entity` and `port` (`-1`: all ports).
pub(super) fn check(entity: &Entity, port: i64) -> Option<Outcome> {
    if terraform_resource(entity, &TERRAFORM) {
        terraform(&entity.attrs, port)
    } else if cloudformation_resource(entity, &CLOUDFORMATION) {
        cloudformation(entity, port)
    } else {
        None
    }
}

fn verdict(fail: bool) -> Outcome {
    if fail { Outcome::Fail } else { Outcome::Pass }
}

fn terraform(conf: &Value, port: i64) -> Option<Outcome> {
    if let Some(ingress) = conf.get("ingress") {
        for block in force_list(ingress) {
            for rule in force_list(block) {
                if !matches!(rule, Value::Map(_)) {
                    continue;
                }
                if self_rule(rule) {
                    return Some(Outcome::Pass);
                }
                if violates(rule, port) {
                    return Some(Outcome::Fail);
                }
            }
        }
        return Some(Outcome::Pass);
    }
    if let Some(kind) = conf.get("type") {
        let kind = force_list(kind).first();
        if kind.and_then(Value::as_str) != Some("ingress") {
            return None;
        }
        return Some(verdict(!self_rule(conf) && violates(conf, port)));
    }
    if conf.get("from_port").is_some() || conf.get("to_port").is_some() {
        return Some(verdict(violates(conf, port)));
    }
    Some(Outcome::Pass)
}

fn self_rule(rule: &Value) -> bool {
    rule.get("self").is_some_and(Value::truthy)
}

fn violates(rule: &Value, port: i64) -> bool {
    let int_of = |key: &str| rule.get(key).and_then(force_int);
    let from = int_of("from_port");
    let mut to = int_of("to_port");
    if from == Some(0) && to == Some(0) {
        to = Some(65535);
    }
    if rule.get("prefix_list_ids").is_some_and(|ids| ids != &Value::List(Vec::new())) {
        return false;
    }
    let protocol_all = rule.get("protocol").and_then(Value::as_str) == Some("-1");
    let covered = matches!((from, to), (Some(from), Some(to)) if from <= port && port <= to)
        || (protocol_all && from == Some(0) && to == Some(65535));
    if !covered {
        return false;
    }
    let empty = Value::List(Vec::new());
    let ipv4 = rule.get("cidr_blocks").or_else(|| rule.get("cidr_ipv4")).unwrap_or(&empty);
    let ipv4 = force_list(ipv4);
    if ipv4.iter().any(|cidr| cidr.as_str() == Some("0.0.0.0/0")) {
        return true;
    }
    let ipv6 = rule.get("ipv6_cidr_blocks").or_else(|| rule.get("cidr_ipv6"));
    if let Some(Value::List(cidrs)) = ipv6 {
        if cidrs.iter().any(|cidr| cidr.as_str().is_some_and(|c| IPV6_ANY.contains(&c))) {
            return true;
        }
    }
    ipv6.is_none()
        && ipv4.is_empty()
        && rule.get("security_groups").is_none()
        && rule.get("source_security_group_id").is_none()
}

fn cloudformation(entity: &Entity, port: i64) -> Option<Outcome> {
    let properties = &entity.attrs;
    let own = std::slice::from_ref(properties);
    let rules: &[Value] = if entity.kind == "AWS::EC2::SecurityGroup" {
        match properties.get("SecurityGroupIngress") {
            None => &[],
            Some(Value::List(rules)) => rules,
            Some(_) => return None,
        }
    } else {
        own
    };
    for rule in rules {
        let (Some(from), Some(to)) = (rule.get("FromPort"), rule.get("ToPort")) else { continue };
        let int_like = |v: &Value| matches!(v, Value::Int(_) | Value::Bool(_));
        let same_type = (int_like(from) && int_like(to))
            || (matches!(from, Value::Str(_)) && matches!(to, Value::Str(_)));
        if !same_type {
            continue;
        }
        let (Some(from), Some(to)) = (force_int(from), force_int(to)) else { continue };
        if !(from <= port && port <= to) {
            continue;
        }
        match (rule.get("CidrIp"), rule.get("CidrIpv6")) {
            (Some(cidr), _) if cidr.as_str() == Some("0.0.0.0/0") => return Some(Outcome::Fail),
            (None, Some(cidr)) if cidr.as_str().is_some_and(|c| IPV6_ANY.contains(&c)) => {
                return Some(Outcome::Fail);
            }
            _ => {}
        }
    }
    Some(Outcome::Pass)
}
