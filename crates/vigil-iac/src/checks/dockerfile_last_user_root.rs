//! CKV_DOCKER_8: the last `USER` of a Dockerfile is `root`. Reported on the
//! last `USER` instruction only; no `USER` at all gives no result (that is
//! CKV_DOCKER_3's).

use crate::model::{Entity, Graph};
use crate::solver::Outcome;

pub(super) fn run(entity: &Entity, graph: &Graph, _index: usize) -> Option<Outcome> {
    if entity.kind != "USER" {
        return None;
    }
    let users: Vec<&Entity> =
        super::instructions(entity, graph).filter(|e| e.kind == "USER").collect();
    let last = users.last()?;
    if last.start_line != entity.start_line {
        return None;
    }
    Some(if super::value_of(entity) == "root" { Outcome::Fail } else { Outcome::Pass })
}
