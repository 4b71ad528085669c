//! CKV_K8S_23: containers may run as root. The pod's `securityContext`
//! (`runAsNonRoot`, `runAsUser` ≥ 1) sets the default each container's own
//! context can override; only `containers` are looked at, as in Checkov.

use crate::frameworks::kubernetes;
use crate::model::{Entity, Graph};
use crate::solver::Outcome;
use crate::value::Value;

pub(super) use crate::frameworks::kubernetes::POD_KINDS;

/// A `securityContext` setting: set and good, set and bad, or not set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum State {
    Passed,
    Failed,
    Absent,
}

pub(super) fn non_root(context: Option<&Value>) -> State {
    match context.and_then(|c| c.get("runAsNonRoot")) {
        None => State::Absent,
        Some(value) if value.truthy() => State::Passed,
        Some(_) => State::Failed,
    }
}

pub(super) fn user_at_least(context: Option<&Value>, minimum: i64) -> State {
    match context.and_then(|c| c.get("runAsUser")) {
        None => State::Absent,
        Some(Value::Int(uid)) if *uid >= minimum => State::Passed,
        Some(_) => State::Failed,
    }
}

pub(super) fn run(entity: &Entity, _graph: &Graph, _index: usize) -> Option<Outcome> {
    if !POD_KINDS.contains(&entity.kind.as_str()) {
        return None;
    }
    let empty = Value::Map(Vec::new());
    let spec = kubernetes::pod_spec(entity).unwrap_or(&empty);
    if !spec.truthy() {
        return Some(Outcome::Fail);
    }
    let containers = match spec.get("containers") {
        None => &[][..],
        Some(Value::List(items)) => items.as_slice(),
        Some(_) => return None,
    };
    let pod = spec.get("securityContext");
    let context = |c: &Value| c.get("securityContext").cloned();
    let fail = if non_root(pod) == State::Passed {
        containers.iter().any(|c| {
            let sc = context(c);
            non_root(sc.as_ref()) == State::Failed && user_at_least(sc.as_ref(), 1) != State::Passed
        })
    } else if user_at_least(pod, 1) == State::Passed {
        containers.iter().any(|c| user_at_least(context(c).as_ref(), 1) == State::Failed)
    } else {
        containers.iter().any(|c| {
            let sc = context(c);
            non_root(sc.as_ref()) != State::Passed && user_at_least(sc.as_ref(), 1) != State::Passed
        })
    };
    Some(if fail { Outcome::Fail } else { Outcome::Pass })
}
