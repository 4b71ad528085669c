//! CKV_K8S_12: a container without a memory request; the same rules as
//! CKV_K8S_10 for `resources.requests.memory`.

use crate::frameworks::kubernetes::{CONTAINER_LISTS, each_container};
use crate::model::{Entity, Graph};
use crate::solver::Outcome;

pub(super) fn run(entity: &Entity, _graph: &Graph, _index: usize) -> Option<Outcome> {
    each_container(entity, &CONTAINER_LISTS, |container| {
        super::k8s_cpu_requests::request(container, "memory").unwrap_or(Outcome::Unknown)
    })
}
