//! CKV_DOCKER_2: a Dockerfile without a `HEALTHCHECK` instruction. Reported
//! on the file; any `HEALTHCHECK`, even `HEALTHCHECK NONE`, passes.

use crate::model::{Entity, Graph};
use crate::solver::Outcome;

pub(super) fn run(entity: &Entity, graph: &Graph, _index: usize) -> Option<Outcome> {
    if entity.kind != crate::frameworks::dockerfile::FILE_KIND {
        return None;
    }
    let found = super::instructions(entity, graph).any(|e| e.kind == "HEALTHCHECK");
    Some(if found { Outcome::Pass } else { Outcome::Fail })
}
