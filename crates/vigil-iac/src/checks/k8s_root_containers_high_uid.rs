//! CKV_K8S_40: containers should run with a UID of 10000 or more, so a
//! container escape does not land on a host user. Only `containers` are looked at, as in Checkov.

use super::k8s_root_containers::{POD_KINDS, State, user_at_least};
use crate::frameworks::kubernetes;
use crate::model::{Entity, Graph};
use crate::solver::Outcome;
use crate::value::Value;

const MIN_UID: i64 = 10000;

pub(super) fn run(entity: &Entity, _graph: &Graph, _index: usize) -> Option<Outcome> {
    if !POD_KINDS.contains(&entity.kind.as_str()) {
        return None;
    }
    let empty = Value::Map(Vec::new());
    let spec = kubernetes::pod_spec(entity).unwrap_or(&empty);
    // Newer Checkov also passes `hostUsers: false`; 3.2.533, which Vigil
    // is measured against, does not.
    let containers = match spec.get("containers") {
        Some(Value::List(items)) => items.as_slice(),
        _ => &[][..],
    };
    let states: Vec<State> =
        containers.iter().map(|c| user_at_least(c.get("securityContext"), MIN_UID)).collect();
    if user_at_least(spec.get("securityContext"), MIN_UID) == State::Passed {
        let fail = states.contains(&State::Failed);
        return Some(if fail { Outcome::Fail } else { Outcome::Pass });
    }
    let pass = !states.is_empty() && states.iter().all(|s| *s == State::Passed);
    Some(if pass { Outcome::Pass } else { Outcome::Fail })
}
