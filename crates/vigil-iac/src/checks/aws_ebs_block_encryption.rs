//! CKV_AWS_8: EBS volumes of a launch configuration or instance stored
//! unencrypted, as Checkov's `LaunchConfigurationEBSEncryption`.
//!
//! Terraform (`aws_launch_configuration`, `aws_instance`): no
//! `root_block_device` block (or an empty one) FAILS, because AWS then
//! creates an unencrypted root volume. Otherwise each `root_block_device`
//! and `ebs_block_device` block is judged: `encrypted` false (Python
//! equality, so `0` too) without a `snapshot_id` FAILS, `encrypted` true
//! PASSES, a `snapshot_id` PASSES, anything else (no `encrypted`, an
//! unresolved value) is UNKNOWN. Any FAIL → FAIL, else any UNKNOWN →
//! UNKNOWN (not reported), else PASS.
//!
//! CloudFormation (`AWS::AutoScaling::LaunchConfiguration`): no
//! `BlockDeviceMappings` list is UNKNOWN; a mapping that is not a map is
//! UNKNOWN; the first mapping with a truthy `Ebs` whose `Encrypted` is falsy
//! or missing FAILS; otherwise PASS.

use super::python_conf::{cloudformation_resource, force_list, terraform_resource};
use crate::model::{Entity, Graph};
use crate::solver::Outcome;
use crate::value::Value;

pub(super) fn run(entity: &Entity, _graph: &Graph, _index: usize) -> Option<Outcome> {
    if terraform_resource(entity, &["aws_launch_configuration", "aws_instance"]) {
        terraform(&entity.attrs)
    } else if cloudformation_resource(entity, &["AWS::AutoScaling::LaunchConfiguration"]) {
        cloudformation(&entity.attrs)
    } else {
        None
    }
}

fn terraform(conf: &Value) -> Option<Outcome> {
    let root = conf.get("root_block_device").map(force_list).unwrap_or_default();
    if !root.first().is_some_and(Value::truthy) {
        return Some(Outcome::Fail);
    }
    let ebs = conf.get("ebs_block_device").map(force_list).unwrap_or_default();
    let mut unknown = false;
    for block in root.iter().chain(ebs) {
        match block_encrypted(block) {
            Some(Outcome::Fail) => return Some(Outcome::Fail),
            Some(_) => {}
            None => unknown = true,
        }
    }
    (!unknown).then_some(Outcome::Pass)
}

/// One block's verdict; `None` is UNKNOWN.
fn block_encrypted(block: &Value) -> Option<Outcome> {
    if !matches!(block, Value::Map(_)) {
        return None;
    }
    let encrypted = block.get("encrypted");
    let equals = |flag: bool| {
        encrypted.is_some_and(|v| match v {
            Value::Bool(b) => *b == flag,
            Value::Int(n) => *n == i64::from(flag),
            Value::Float(n) => *n == f64::from(u8::from(flag)),
            _ => false,
        })
    };
    let snapshot = block.get("snapshot_id").is_some();
    if equals(false) && !snapshot {
        Some(Outcome::Fail)
    } else if equals(true) || snapshot {
        Some(Outcome::Pass)
    } else {
        None
    }
}

fn cloudformation(properties: &Value) -> Option<Outcome> {
    let Some(Value::List(mappings)) = properties.get("BlockDeviceMappings") else { return None };
    for mapping in mappings {
        if !matches!(mapping, Value::Map(_)) {
            return None;
        }
        if let Some(ebs) = mapping.get("Ebs").filter(|ebs| ebs.truthy()) {
            if !ebs.get("Encrypted").is_some_and(Value::truthy) {
                return Some(Outcome::Fail);
            }
        }
    }
    Some(Outcome::Pass)
}
