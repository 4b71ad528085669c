//! CKV_AZURE_9: an Azure network security rule (standalone, or inline in a
//! network security group) allows inbound TCP from the internet to
//! RDP (port 3389). Checkov's semantics are in [`super::azure_nsg_port`].

use crate::model::{Entity, Graph};
use crate::solver::Outcome;

pub(super) fn run(entity: &Entity, _graph: &Graph, _index: usize) -> Option<Outcome> {
    super::azure_nsg_port::check(entity, 3389)
}
