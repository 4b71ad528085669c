//! CKV_GITLABCI_2: rules that accept both push and merge-request pipeline
//! sources run a job twice for every push to a branch with an open merge
//! request. Read on each job's `rules` and on `workflow:rules` (reported on
//! the pipeline).

use crate::model::{Entity, Framework, Graph};
use crate::solver::Outcome;
use crate::value::Value;

const SOURCES: [&str; 2] =
    ["$CI_PIPELINE_SOURCE == \"merge_request_event\"", "$CI_PIPELINE_SOURCE == \"push\""];

pub(super) fn run(entity: &Entity, _graph: &Graph, _index: usize) -> Option<Outcome> {
    if entity.framework != Framework::GitlabCi {
        return None;
    }
    let rules = match entity.kind.as_str() {
        "job" => entity.attrs.get("rules"),
        "pipeline" => entity.attrs.at("workflow.rules"),
        _ => None,
    };
    let Some(Value::List(rules)) = rules else { return None };
    let count = rules
        .iter()
        .filter(|rule| {
            rule.get("if")
                .and_then(Value::as_str)
                .is_some_and(|text| SOURCES.iter().any(|source| text.starts_with(source)))
        })
        .count();
    Some(if count >= 2 { Outcome::Fail } else { Outcome::Pass })
}
