//! CKV_DOCKER_3: a Dockerfile without any `USER` instruction runs as root.
//! Reported on the file (`<path>.`); any `USER`, even `USER root`, passes.

use crate::model::{Entity, Graph};
use crate::solver::Outcome;

pub(super) fn run(entity: &Entity, graph: &Graph, _index: usize) -> Option<Outcome> {
    if entity.kind != crate::frameworks::dockerfile::FILE_KIND {
        return None;
    }
    let found = super::instructions(entity, graph).any(|e| e.kind == "USER");
    Some(if found { Outcome::Pass } else { Outcome::Fail })
}
