//! GitLab CI files (`.gitlab-ci.yml`, `*.gitlab-ci.yml`, `.gitlab/ci/*.yml`):
//! one resource per job (type `job`, address `job.<name>`), and one for the
//! file's top level (type `pipeline`, address `pipeline`) for what applies
//! to the whole pipeline (`include`, global `variables`, `default`).

use crate::model::{Entity, Framework, Skip};
use crate::value::Value;
use crate::yaml::Document;

/// Top-level keys that are not jobs.
const RESERVED: [&str; 10] = [
    "default",
    "include",
    "stages",
    "variables",
    "workflow",
    "image",
    "services",
    "cache",
    "before_script",
    "after_script",
];

/// Whether `path` is a GitLab CI file.
pub fn is_ci_file(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or(path);
    name == ".gitlab-ci.yml"
        || name.ends_with(".gitlab-ci.yml")
        || ((path.starts_with(".gitlab/ci/") || path.contains("/.gitlab/ci/"))
            && (name.ends_with(".yml") || name.ends_with(".yaml")))
}

/// The resources of one CI file.
pub fn entities(path: &str, doc: &Document, text: &str) -> Vec<Entity> {
    let comment_skips = crate::skips::comment_lines(text);
    let skips_in = |start: u32, end: u32| -> Vec<Skip> {
        comment_skips
            .iter()
            .filter(|(line, _)| *line >= start && *line <= end)
            .flat_map(|(_, skips)| skips.iter().cloned())
            .collect()
    };
    let Value::Map(entries) = &doc.value else { return Vec::new() };
    let mut out = vec![Entity {
        framework: Framework::GitlabCi,
        kind: "pipeline".to_owned(),
        address: "pipeline".to_owned(),
        path: path.to_owned(),
        start_line: doc.start_line,
        end_line: doc.end_line,
        attrs: doc.value.clone(),
        lines: doc.lines.clone(),
        skips: skips_in(1, 1),
        unwrap_single: false,
        group: path.to_owned(),
    }];
    let starts: Vec<u32> =
        entries.iter().filter_map(|(name, _)| doc.lines.get(name).copied()).collect();
    for (name, job) in entries {
        if RESERVED.contains(&name.as_str()) || !matches!(job, Value::Map(_)) {
            continue;
        }
        let start = doc.lines.get(name).copied().unwrap_or(doc.start_line);
        let end = starts
            .iter()
            .filter(|line| **line > start)
            .min()
            .map(|next| next - 1)
            .unwrap_or(doc.end_line)
            .max(start);
        let prefix = format!("{name}.");
        out.push(Entity {
            framework: Framework::GitlabCi,
            kind: "job".to_owned(),
            address: format!("job.{name}"),
            path: path.to_owned(),
            start_line: start,
            end_line: end,
            attrs: job.clone(),
            lines: doc
                .lines
                .iter()
                .filter_map(|(key, line)| key.strip_prefix(&prefix).map(|k| (k.to_owned(), *line)))
                .collect(),
            skips: skips_in(start.saturating_sub(1), end),
            unwrap_single: false,
            group: path.to_owned(),
        });
    }
    out
}
