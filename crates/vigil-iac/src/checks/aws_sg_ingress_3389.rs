//! CKV_AWS_25: a security group or ingress rule lets `0.0.0.0/0` (or `::/0`)
//! reach RDP (port 3389), for Terraform and CloudFormation. Checkov's semantics,
//! quirks included, are in [`super::aws_sg_ingress`].

use crate::model::{Entity, Graph};
use crate::solver::Outcome;

pub(super) fn run(entity: &Entity, _graph: &Graph, _index: usize) -> Option<Outcome> {
    super::aws_sg_ingress::check(entity, 3389)
}
