//! CKV_K8S_10: a container without a CPU request. A container whose
//! `resources` or `resources.requests` is there but not a map gives no
//! result, as in Checkov (so `resources: {limits: …}` alone is not reported).

use crate::frameworks::kubernetes::{CONTAINER_LISTS, each_container};
use crate::model::{Entity, Graph};
use crate::solver::Outcome;
use crate::value::Value;

/// The per-container verdict for `resources.requests.<key>`.
pub(super) fn request(container: &Value, key: &str) -> Option<Outcome> {
    let resources = match container.get("resources") {
        Some(resources) if resources.truthy() => resources,
        _ => return Some(Outcome::Fail),
    };
    let Value::Map(_) = resources else { return None };
    let requests @ Value::Map(_) = resources.get("requests")? else { return None };
    Some(if requests.get(key).is_some_and(Value::truthy) { Outcome::Pass } else { Outcome::Fail })
}

pub(super) fn run(entity: &Entity, _graph: &Graph, _index: usize) -> Option<Outcome> {
    each_container(entity, &CONTAINER_LISTS, |container| {
        request(container, "cpu").unwrap_or(Outcome::Unknown)
    })
}
