//! CKV_AWS_23: a security group or security group rule without a
//! description, as Checkov's `SecurityGroupRuleDescription`.
//!
//! Terraform (`aws_security_group`, `aws_security_group_rule`,
//! `aws_db_security_group`, `aws_elasticache_security_group`,
//! `aws_redshift_security_group`, `aws_vpc_security_group_egress_rule`,
//! `aws_vpc_security_group_ingress_rule`): the resource needs a
//! `description` argument; without a `type` argument (anything but an
//! `aws_security_group_rule`) every `ingress` and `egress` block needs one
//! too. Checkov sees each argument wrapped in a list, so only presence
//! counts: `description = ""` passes. All present → PASS, else FAIL.
//!
//! CloudFormation: an `AWS::EC2::SecurityGroup` FAILS when any map in
//! `SecurityGroupIngress` or `SecurityGroupEgress` lacks a truthy
//! `Description` (the group's own `GroupDescription` is not looked at),
//! else PASS; an `AWS::EC2::SecurityGroupIngress` or `…Egress` needs a
//! truthy `Description`.

use super::python_conf::{cloudformation_resource, force_list, terraform_resource};
use crate::model::{Entity, Graph};
use crate::solver::Outcome;
use crate::value::Value;

const TERRAFORM: [&str; 7] = [
    "aws_security_group",
    "aws_security_group_rule",
    "aws_db_security_group",
    "aws_elasticache_security_group",
    "aws_redshift_security_group",
    "aws_vpc_security_group_egress_rule",
    "aws_vpc_security_group_ingress_rule",
];
const CLOUDFORMATION: [&str; 3] =
    ["AWS::EC2::SecurityGroup", "AWS::EC2::SecurityGroupIngress", "AWS::EC2::SecurityGroupEgress"];

pub(super) fn run(entity: &Entity, _graph: &Graph, _index: usize) -> Option<Outcome> {
    let conf = &entity.attrs;
    let fail = if terraform_resource(entity, &TERRAFORM) {
        let described = |rule: &Value| rule.get("description").is_some();
        let blocks_described = conf.get("type").is_some()
            || ["ingress", "egress"].iter().all(|key| {
                conf.get(key).is_none_or(|blocks| {
                    force_list(blocks)
                        .iter()
                        .all(|rule| !matches!(rule, Value::Map(_)) || described(rule))
                })
            });
        !(described(conf) && blocks_described)
    } else if cloudformation_resource(entity, &CLOUDFORMATION) {
        let described = |rule: &Value| rule.get("Description").is_some_and(Value::truthy);
        if entity.kind == "AWS::EC2::SecurityGroup" {
            ["SecurityGroupIngress", "SecurityGroupEgress"].iter().any(|key| match conf.get(key) {
                Some(Value::List(rules)) => {
                    rules.iter().any(|rule| matches!(rule, Value::Map(_)) && !described(rule))
                }
                _ => false,
            })
        } else {
            !described(conf)
        }
    } else {
        return None;
    };
    Some(if fail { Outcome::Fail } else { Outcome::Pass })
}
