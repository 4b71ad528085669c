//! Dockerfiles: each instruction is a resource (type `RUN`, address
//! `<path>.RUN`) with `value` (its arguments) and `content` (as written);
//! continuation lines are joined. A `checkov:skip=ID` or `vigil:ignore=ID`
//! comment anywhere in the file suppresses the id for the whole file, as
//! Checkov does.

use std::collections::HashMap;

use crate::model::{Entity, Framework, Skip};
use crate::value::Value;

/// Whether `path` names a Dockerfile (`Dockerfile`, `Dockerfile.prod`,
/// `web.Dockerfile`, `Containerfile`).
pub fn is_dockerfile(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or(path);
    name == "Dockerfile"
        || name == "Containerfile"
        || name.starts_with("Dockerfile.")
        || name.ends_with(".Dockerfile")
        || name.ends_with(".dockerfile")
}

/// One instruction.
#[derive(Debug, Clone)]
pub struct Instruction {
    /// Upper-case name (`RUN`).
    pub name: String,
    /// The arguments, continuation lines joined.
    pub value: String,
    /// The whole instruction as written, continuation lines joined.
    pub content: String,
    /// First line (1-based).
    pub start: u32,
    /// Last line.
    pub end: u32,
}

/// The instructions of a Dockerfile and the skip comments in it.
pub fn parse(text: &str) -> (Vec<Instruction>, Vec<Skip>) {
    let mut out = Vec::new();
    let mut skips = Vec::new();
    let mut current: Option<Instruction> = None;
    for (index, raw) in text.lines().enumerate() {
        let number = u32::try_from(index + 1).unwrap_or(u32::MAX);
        let line = raw.trim();
        if line.starts_with('#') {
            skips.extend(crate::skips::in_comment(line));
            continue;
        }
        if let Some(open) = current.as_mut() {
            let (body, more) = continued(line);
            open.value.push(' ');
            open.value.push_str(body.trim());
            open.content.push_str(body);
            open.end = number;
            if !more {
                if let Some(done) = current.take() {
                    out.push(done);
                }
            }
            continue;
        }
        if line.is_empty() {
            continue;
        }
        let (body, more) = continued(line);
        let (name, rest) = body.split_once(char::is_whitespace).unwrap_or((body, ""));
        let instruction = Instruction {
            name: name.to_ascii_uppercase(),
            value: rest.trim().to_owned(),
            content: body.to_owned(),
            start: number,
            end: number,
        };
        if more {
            current = Some(instruction);
        } else {
            out.push(instruction);
        }
    }
    if let Some(done) = current {
        out.push(done);
    }
    for instruction in &mut out {
        instruction.value = instruction.value.split_whitespace().collect::<Vec<_>>().join(" ");
        instruction.content.push('\n');
    }
    (out, skips)
}

fn continued(line: &str) -> (&str, bool) {
    match line.strip_suffix('\\') {
        Some(body) => (body, true),
        None => (line, false),
    }
}

/// The type of the resource standing for the whole file (address
/// `<path>.`), which file-level checks (no `USER` at all) report on.
pub const FILE_KIND: &str = "dockerfile";

/// The resources of one Dockerfile: the file itself, then each instruction.
pub fn entities(path: &str, text: &str) -> Vec<Entity> {
    let (instructions, skips) = parse(text);
    let last = u32::try_from(text.lines().count()).unwrap_or(u32::MAX).max(1);
    let file = Entity {
        framework: Framework::Dockerfile,
        kind: FILE_KIND.to_owned(),
        address: format!("{path}."),
        path: path.to_owned(),
        start_line: 1,
        end_line: last,
        attrs: Value::Map(Vec::new()),
        lines: HashMap::new(),
        skips: skips.clone(),
        unwrap_single: false,
        group: path.to_owned(),
    };
    std::iter::once(file)
        .chain(instructions.iter().map(|instruction| Entity {
            framework: Framework::Dockerfile,
            kind: instruction.name.clone(),
            address: format!("{path}.{}", instruction.name),
            path: path.to_owned(),
            start_line: instruction.start,
            end_line: instruction.end,
            attrs: Value::Map(vec![
                ("value".to_owned(), Value::Str(instruction.value.clone())),
                ("content".to_owned(), Value::Str(instruction.content.clone())),
            ]),
            lines: HashMap::new(),
            skips: skips.clone(),
            unwrap_single: false,
            group: path.to_owned(),
        }))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn continuation_lines_join_into_one_instruction() {
        let (instructions, skips) = parse(
            "# checkov:skip=CKV_DOCKER_3:runs as root on purpose\nFROM alpine:3.19\nRUN apk add \\\n    curl \\\n    git\nUSER app\n",
        );
        assert_eq!(instructions.len(), 3);
        assert_eq!(instructions[1].name, "RUN");
        assert_eq!(instructions[1].value, "apk add curl git");
        assert_eq!((instructions[1].start, instructions[1].end), (3, 5));
        assert_eq!(skips[0].id, "CKV_DOCKER_3");
        assert_eq!(skips[0].reason, "runs as root on purpose");
    }
}
