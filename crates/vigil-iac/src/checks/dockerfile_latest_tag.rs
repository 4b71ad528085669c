//! CKV_DOCKER_7: a `FROM` image without a tag or with `:latest`. Earlier
//! stage names and `scratch` are not images; an image with any `:` (a tag,
//! a digest, a registry port) counts as tagged, as in Checkov. The result is
//! reported on the first failing `FROM`, or on the last `FROM` when all pass.

use crate::model::{Entity, Graph};
use crate::solver::Outcome;

pub(super) fn run(entity: &Entity, graph: &Graph, _index: usize) -> Option<Outcome> {
    if entity.kind != "FROM" {
        return None;
    }
    let froms: Vec<&Entity> =
        super::instructions(entity, graph).filter(|e| e.kind == "FROM").collect();
    let mut stages: Vec<String> = Vec::new();
    for from in &froms {
        let (image, stage) = parse_from(super::value_of(from));
        let untagged = !image.contains(':') && !stages.contains(&image) && image != "scratch";
        if untagged || image.ends_with(":latest") {
            return (from.start_line == entity.start_line).then_some(Outcome::Fail);
        }
        stages.extend(stage);
    }
    let last = froms.last()?;
    (last.start_line == entity.start_line).then_some(Outcome::Pass)
}

/// `[--platform=…] image [AS name]` → (image, stage name).
fn parse_from(value: &str) -> (String, Option<String>) {
    let words: Vec<&str> = value.split_whitespace().filter(|w| !w.starts_with("--")).collect();
    let image = words.first().copied().unwrap_or_default().to_owned();
    let stage = match words.as_slice() {
        [_, as_word, name, ..] if as_word.eq_ignore_ascii_case("as") => Some((*name).to_owned()),
        _ => None,
    };
    (image, stage)
}
