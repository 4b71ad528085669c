//! The `gemfile` format: Bundler's `Gemfile.lock` (or `gems.locked`), read
//! line by line by its section headers and indentation.
//!
//! `GEM` sections pin the gems from a registry (`    name (version)` specs
//! with `      dependency (requirement)` lines under them; a platform
//! suffix such as `-x86_64-linux` is not part of the version). Gems from
//! `GIT` and `PATH` sections have no registry version and become
//! [`Unresolved`], except the `PATH` with `remote: .`, which is the project's
//! own gem. `DEPENDENCIES` lists the Gemfile's gems: the roots, declared at
//! their line of the lockfile (Bundler writes no Gemfile groups into it, so
//! every root is normal scope).

use std::collections::HashMap;

use super::{Entry, Input, LockfileError, Parsed, Req, Unresolved};

/// Which section a line is in.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Section {
    Gem,
    Git,
    Path,
    Dependencies,
    Other,
}

/// Reads a `Gemfile.lock`; Bundler has no companion read with it.
pub(crate) fn parse(
    lock: Input<'_>,
    companion: Option<Input<'_>>,
) -> Result<Parsed, LockfileError> {
    let _ = companion;
    let mut parsed = Parsed::default();
    let mut section = Section::Other;
    let mut known_section = false;
    let mut own_path = false;
    // Each entry's dependency names, resolved once every version is known.
    let mut edges: Vec<Vec<&str>> = Vec::new();
    let mut pinned: HashMap<&str, Option<&str>> = HashMap::new();
    let mut source_of: HashMap<&str, Section> = HashMap::new();
    let mut in_entry = false;
    let mut declared: Vec<(&str, u32)> = Vec::new();

    for (index, raw_line) in lock.text.lines().enumerate() {
        let line = u32::try_from(index + 1).unwrap_or(u32::MAX);
        let text = raw_line.trim_end_matches('\r');
        if text.trim().is_empty() {
            continue;
        }
        let indent = text.len() - text.trim_start_matches(' ').len();
        if indent == 0 {
            section = match text {
                "GEM" => Section::Gem,
                "GIT" => Section::Git,
                "PATH" => Section::Path,
                "DEPENDENCIES" => Section::Dependencies,
                _ => Section::Other,
            };
            known_section |= section != Section::Other
                || matches!(text, "PLATFORMS" | "BUNDLED WITH" | "RUBY VERSION" | "CHECKSUMS");
            own_path = false;
            in_entry = false;
            continue;
        }
        let body = text.trim_start_matches(' ');
        match (section, indent) {
            (Section::Gem | Section::Git | Section::Path, 2) => {
                if section == Section::Path
                    && body.strip_prefix("remote:").map(str::trim) == Some(".")
                {
                    own_path = true;
                }
                in_entry = false;
            }
            (Section::Gem, 4) => {
                in_entry = false;
                let Some((name, version)) = name_and_requirement(body) else {
                    parsed.warnings.push(format!("line {line}: a gem without a name; skipped"));
                    continue;
                };
                let Some(version) = version.map(without_platform).filter(|v| !v.is_empty()) else {
                    parsed
                        .warnings
                        .push(format!("line {line}: gem `{name}` has no version; skipped"));
                    continue;
                };
                // The same gem pinned for several platforms is one version.
                if pinned.get(name) == Some(&Some(version)) {
                    continue;
                }
                pinned.entry(name).or_insert(Some(version));
                source_of.entry(name).or_insert(Section::Gem);
                parsed.packages.push(Entry {
                    name: name.to_owned(),
                    version: version.to_owned(),
                    line,
                    ..Entry::default()
                });
                edges.push(Vec::new());
                in_entry = true;
            }
            (Section::Gem, 6) if in_entry => {
                if let (Some((name, _)), Some(list)) =
                    (name_and_requirement(body), edges.last_mut())
                {
                    list.push(name);
                }
            }
            (Section::Git | Section::Path, 4) => {
                let Some((name, _)) = name_and_requirement(body) else { continue };
                source_of.insert(name, section);
                pinned.insert(name, None);
                if !(section == Section::Path && own_path) {
                    parsed.unresolved.push(Unresolved {
                        name: name.to_owned(),
                        line,
                        reason: if section == Section::Git {
                            "a git source"
                        } else {
                            "a local path"
                        }
                        .to_owned(),
                    });
                }
            }
            (Section::Dependencies, 2) => match name_and_requirement(body) {
                Some((name, _)) => declared.push((name.trim_end_matches('!'), line)),
                None => parsed
                    .warnings
                    .push(format!("line {line}: a dependency without a name; skipped")),
            },
            _ => {}
        }
    }
    if !known_section && !lock.text.trim().is_empty() {
        return Err(LockfileError::new(
            "not a Gemfile.lock: it has no GEM, DEPENDENCIES or PLATFORMS section",
        ));
    }

    for (entry, names) in parsed.packages.iter_mut().zip(edges) {
        entry.dependencies = names
            .into_iter()
            .map(|name| Req {
                name: name.to_owned(),
                version: pinned.get(name).copied().flatten().map(str::to_owned),
                ..Req::default()
            })
            .collect();
    }
    for (name, line) in declared {
        // Gems from GIT or PATH sources are already unresolved.
        if let Some(Some(version)) = pinned.get(name) {
            parsed.roots.push(Req {
                name: name.to_owned(),
                version: Some((*version).to_owned()),
                declared: Some((lock.path.to_owned(), line)),
                ..Req::default()
            });
        } else if !source_of.contains_key(name) {
            parsed
                .warnings
                .push(format!("line {line}: dependency `{name}` is not pinned in any section"));
        }
    }
    Ok(parsed)
}

/// `name (text)` into the name and the text in parentheses; `name` alone
/// has none.
fn name_and_requirement(body: &str) -> Option<(&str, Option<&str>)> {
    let (name, rest) = match body.split_once(' ') {
        Some((name, rest)) => (name, Some(rest.trim())),
        None => (body, None),
    };
    if name.is_empty() {
        return None;
    }
    let requirement = rest
        .and_then(|rest| rest.strip_prefix('('))
        .map(|rest| rest.rsplit_once(')').map_or(rest, |(inside, _)| inside).trim());
    Some((name, requirement))
}

/// `1.13.0-x86_64-linux` into `1.13.0` (RubyGems versions have no `-`; in
/// a lockfile it starts the platform).
fn without_platform(version: &str) -> &str {
    version.split_once('-').map_or(version, |(version, _)| version)
}
