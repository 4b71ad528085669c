//! CKV_AWS_277: a Terraform security group or ingress rule lets `0.0.0.0/0`
//! (or `::/0`) reach every port. Checkov runs its shared ingress check with
//! port `-1`, so only a rule whose range covers -1 (`from_port = -1`,
//! `to_port = -1`) or `protocol = "-1"` (the string) with ports 0–0 or
//! 0–65535 counts; the rest of the semantics is in [`super::aws_sg_ingress`].
//! Checkov has no CloudFormation version of this id.

use crate::model::{Entity, Framework, Graph};
use crate::solver::Outcome;

pub(super) fn run(entity: &Entity, _graph: &Graph, _index: usize) -> Option<Outcome> {
    if entity.framework == Framework::CloudFormation {
        return None;
    }
    super::aws_sg_ingress::check(entity, -1)
}
