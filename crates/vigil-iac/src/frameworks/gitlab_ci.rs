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

/// Whether the tree phase keeps `path` as a file a CI file may include
/// locally: YAML whose path speaks of CI (`ci`, `gitlab`, `pipeline`,
/// `template`, `jobs`), and the root `.gitlab-ci.yml` itself. Keeping every
/// YAML file of a repository until the tree phase would cost more than the
/// rare include elsewhere is worth.
pub fn may_be_included(path: &str) -> bool {
    let lower = path.to_ascii_lowercase();
    (lower.ends_with(".yml") || lower.ends_with(".yaml"))
        && (path == ".gitlab-ci.yml"
            || ["ci", "gitlab", "pipeline", "template", "jobs"]
                .iter()
                .any(|word| lower.contains(word)))
}

/// The most files followed through `include: local`.
pub const MAX_INCLUDES: usize = 100;

/// The local files a CI document includes (`include: path`, `include:
/// [{local: path}]`, …), as paths from the repository root; `*` and `**`
/// patterns stay patterns.
pub fn local_includes(doc: &Value) -> Vec<String> {
    let mut out = Vec::new();
    let mut add = |path: &str| {
        if !path.contains("://") {
            out.push(path.trim_start_matches('/').to_owned());
        }
    };
    let items = match doc.get("include") {
        Some(Value::List(items)) => items.clone(),
        Some(single) => vec![single.clone()],
        None => Vec::new(),
    };
    for item in &items {
        match item {
            Value::Str(path) => add(path),
            Value::Map(_) if item.get("project").is_none() => {
                if let Some(path) = item.get("local").and_then(Value::as_str) {
                    add(path);
                }
            }
            _ => {}
        }
    }
    out
}

/// Whether `path` matches an include pattern (`*` within a directory, `**`
/// across them).
pub fn include_matches(pattern: &str, path: &str) -> bool {
    if !pattern.contains('*') {
        return pattern == path;
    }
    let mut regex = String::from("^");
    let mut rest = pattern;
    while let Some(at) = rest.find('*') {
        regex.push_str(&regex::escape(&rest[..at]));
        if rest[at..].starts_with("**") {
            regex.push_str(".*");
            rest = &rest[at + 2..];
        } else {
            regex.push_str("[^/]*");
            rest = &rest[at + 1..];
        }
    }
    regex.push_str(&regex::escape(rest));
    regex.push('$');
    regex::Regex::new(&regex).is_ok_and(|re| re.is_match(path))
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn includes_in_every_form() {
        let docs = crate::yaml::load(
            "include:\n  - '/ci/build.yml'\n  - local: ci/test.yml\n  - remote: https://example.com/x.yml\n  - project: group/other\n    file: /x.yml\n  - local: 'ci/jobs/*.yml'\n",
            false,
        )
        .unwrap_or_default();
        assert_eq!(
            local_includes(&docs[0].value),
            ["ci/build.yml", "ci/test.yml", "ci/jobs/*.yml"]
        );
        assert!(include_matches("ci/jobs/*.yml", "ci/jobs/lint.yml"));
        assert!(!include_matches("ci/jobs/*.yml", "ci/jobs/deep/lint.yml"));
        assert!(include_matches("ci/**.yml", "ci/jobs/deep/lint.yml"));
    }
}
