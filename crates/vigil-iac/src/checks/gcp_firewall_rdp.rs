//! CKV_GCP_3: a GCP firewall allows `0.0.0.0/0` to reach RDP (port 3389).
//! Checkov's semantics, quirks included, are in [`super::gcp_firewall_port`].

use crate::model::{Entity, Graph};
use crate::solver::Outcome;

pub(super) fn run(entity: &Entity, _graph: &Graph, _index: usize) -> Option<Outcome> {
    super::gcp_firewall_port::check(entity, 3389)
}
