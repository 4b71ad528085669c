//! CKV_K8S_31: the seccomp profile should be `RuntimeDefault`, set on the
//! pod's `securityContext`, on every container, or (older clusters) by the
//! `seccomp.security.alpha.kubernetes.io/pod` annotation.

use super::k8s_root_containers::POD_KINDS;
use crate::frameworks::kubernetes;
use crate::model::{Entity, Graph};
use crate::solver::Outcome;
use crate::value::Value;

fn profile(context: Option<&Value>) -> Option<String> {
    context?.at("seccompProfile.type").map(Value::py_str)
}

pub(super) fn run(entity: &Entity, _graph: &Graph, _index: usize) -> Option<Outcome> {
    if !POD_KINDS.contains(&entity.kind.as_str()) {
        return None;
    }
    let empty = Value::Map(Vec::new());
    let spec = kubernetes::pod_spec(entity).unwrap_or(&empty);
    if let Some(kind) = profile(spec.get("securityContext")) {
        return Some(if kind == "RuntimeDefault" { Outcome::Pass } else { Outcome::Fail });
    }
    if let Some(Value::List(containers)) = spec.get("containers") {
        let kinds: Vec<Option<String>> =
            containers.iter().map(|c| profile(c.get("securityContext"))).collect();
        if kinds.iter().any(|k| k.as_deref().is_some_and(|k| k != "RuntimeDefault")) {
            return Some(Outcome::Fail);
        }
        if !kinds.is_empty() && kinds.iter().all(|k| k.as_deref() == Some("RuntimeDefault")) {
            return Some(Outcome::Pass);
        }
    }
    let template_meta = match entity.kind.as_str() {
        "Pod" => None,
        "CronJob" => entity.attrs.at("spec.jobTemplate.spec.template.metadata"),
        _ => entity.attrs.at("spec.template.metadata"),
    };
    let annotated = |meta: Option<&Value>| {
        matches!(meta.and_then(|m| m.get("annotations")), Some(Value::Map(entries)) if entries.iter().any(|(k, v)| {
            let v = v.py_str();
            k.contains("seccomp.security.alpha.kubernetes.io/pod")
                && (v.contains("docker/default") || v.contains("runtime/default"))
        }))
    };
    let pass = annotated(template_meta) || annotated(entity.attrs.get("metadata"));
    Some(if pass { Outcome::Pass } else { Outcome::Fail })
}
