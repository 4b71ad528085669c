//! CKV_DOCKER_5: a `RUN … update` whose package index refresh is not used
//! by an install in the same layer (the cached index goes stale). Checkov
//! counts update commands up and install-like words down over all `RUN`s;
//! a positive count fails every update `RUN`, otherwise the file passes.

use std::sync::LazyLock;

use regex::Regex;

use crate::frameworks::dockerfile::FILE_KIND;
use crate::model::{Entity, Graph};
use crate::solver::Outcome;

#[allow(clippy::expect_used)]
static UPDATE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\s+(?:--)?update(?:\s|$)").expect("a constant pattern"));

const INSTALLS: [&str; 7] =
    ["install", "source-install", "reinstall", "groupinstall", "localinstall", "add", "upgrade"];

/// The update `RUN`s (by start line) and the final count.
fn count(file: &Entity, graph: &Graph) -> Option<(Vec<u32>, i32)> {
    let runs: Vec<&Entity> = super::instructions(file, graph).filter(|e| e.kind == "RUN").collect();
    if runs.is_empty() {
        return None;
    }
    let mut counter = 0;
    let mut updates = Vec::new();
    for run in runs {
        let content = run.attrs.get("content").and_then(|v| v.as_str()).unwrap_or_default();
        if content.contains("update") && UPDATE.is_match(content) {
            counter += 1;
            updates.push(run.start_line);
        }
        if INSTALLS.iter().any(|word| content.contains(word)) {
            counter -= 1;
        }
    }
    Some((updates, counter))
}

pub(super) fn run(entity: &Entity, graph: &Graph, _index: usize) -> Option<Outcome> {
    if entity.kind == FILE_KIND {
        let (_, counter) = count(entity, graph)?;
        return (counter <= 0).then_some(Outcome::Pass);
    }
    if entity.kind != "RUN" {
        return None;
    }
    let file = graph.entities.iter().find(|e| e.kind == FILE_KIND && e.group == entity.group)?;
    let (updates, counter) = count(file, graph)?;
    (counter > 0 && updates.contains(&entity.start_line)).then_some(Outcome::Fail)
}
