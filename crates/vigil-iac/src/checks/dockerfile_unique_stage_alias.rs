//! CKV_DOCKER_11: two build stages with the same `as` alias (a later
//! `COPY --from` then silently picks one). Failing is reported on the first
//! `FROM`; passing on the file. Only the lower-case ` as ` is read, as in
//! Checkov.

use crate::frameworks::dockerfile::FILE_KIND;
use crate::model::{Entity, Graph};
use crate::solver::Outcome;

fn duplicated(file: &Entity, graph: &Graph) -> Option<bool> {
    let froms: Vec<&Entity> =
        super::instructions(file, graph).filter(|e| e.kind == "FROM").collect();
    if froms.is_empty() {
        return None;
    }
    let mut aliases: Vec<&str> = Vec::new();
    for from in froms {
        let value = super::value_of(from);
        if value.contains(" as ") {
            let alias = value.split_whitespace().last().unwrap_or_default();
            if aliases.contains(&alias) {
                return Some(true);
            }
            aliases.push(alias);
        }
    }
    Some(false)
}

pub(super) fn run(entity: &Entity, graph: &Graph, _index: usize) -> Option<Outcome> {
    if entity.kind == FILE_KIND {
        return (!duplicated(entity, graph)?).then_some(Outcome::Pass);
    }
    if entity.kind != "FROM" {
        return None;
    }
    let file = graph.entities.iter().find(|e| e.kind == FILE_KIND && e.group == entity.group)?;
    let first = super::instructions(file, graph).find(|e| e.kind == "FROM")?;
    (duplicated(file, graph)? && first.start_line == entity.start_line).then_some(Outcome::Fail)
}
