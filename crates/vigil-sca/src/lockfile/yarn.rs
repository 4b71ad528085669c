//! yarn's `yarn.lock`: the classic v1 format (its own syntax of
//! `"name@range", name@range2:` headers) and Berry's (yarn 2+, YAML with
//! `__metadata` and `name@npm:range` keys). Direct dependencies come from
//! the companion `package.json`, matched to lock entries by `name@range`.
//!
//! It knows nothing of npm's or pnpm's lockfiles; the YAML tree it reads
//! Berry files with lives in `pnpm`.

use std::collections::HashMap;

use super::npm::{self, Declared, PackageJson, Source};
use super::pnpm::{Yaml, get, load_yaml};
use super::{Entry, Input, LockfileError, Parsed, Req, Scope, Unresolved};

/// Berry `__metadata.version`s read (yarn 2.0 wrote 4, yarn 4.x writes 8
/// and later 10).
const BERRY_VERSIONS: std::ops::RangeInclusive<u32> = 4..=10;

/// Reads a `yarn.lock`.
pub(crate) fn parse(
    lock: Input<'_>,
    companion: Option<Input<'_>>,
) -> Result<Parsed, LockfileError> {
    let mut parsed = Parsed::default();
    let manifest = companion.and_then(|input| PackageJson::read(input, &mut parsed.warnings));
    let first = lock
        .text
        .lines()
        .map(str::trim_end)
        .find(|line| !line.is_empty() && !line.starts_with('#'));
    if first.is_some_and(|line| line.starts_with("__metadata:")) {
        parse_berry(lock, manifest.as_ref(), &mut parsed)?;
    } else {
        if let Some(version) =
            lock.text.lines().take(5).find_map(|line| line.strip_prefix("# yarn lockfile v"))
        {
            if version.trim() != "1" {
                return Err(LockfileError::new(format!(
                    "yarn lockfile v{} is not one Vigil reads (v1, or Berry metadata {}–{})",
                    version.trim(),
                    BERRY_VERSIONS.start(),
                    BERRY_VERSIONS.end()
                )));
            }
        }
        parse_v1(lock, manifest.as_ref(), &mut parsed)?;
    }
    npm::infer_scopes(&mut parsed);
    Ok(parsed)
}

/// One lock entry before its edges are resolved.
struct Block {
    descriptors: Vec<String>,
    line: u32,
    version: Option<String>,
    resolved: Option<String>,
    /// (name, range, line)
    dependencies: Vec<(String, String, u32)>,
}

/// Classic v1.
fn parse_v1(
    lock: Input<'_>,
    manifest: Option<&PackageJson>,
    parsed: &mut Parsed,
) -> Result<(), LockfileError> {
    let mut blocks: Vec<Block> = Vec::new();
    let mut in_dependencies = false;
    let mut skipping = false;
    for (index, raw) in lock.text.lines().enumerate() {
        let line = u32::try_from(index + 1).unwrap_or(u32::MAX);
        let trimmed = raw.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        let indent = raw.len() - raw.trim_start().len();
        if indent == 0 {
            let Some(header) = trimmed.strip_suffix(':') else {
                if blocks.is_empty() {
                    return Err(LockfileError::at(
                        line,
                        format!(
                            "not a yarn lockfile: line {line} is neither an entry header nor indented"
                        ),
                    ));
                }
                // A damaged entry: skip it up to the next header.
                parsed.warnings.push(format!("line {line}: not an entry header; skipped"));
                skipping = true;
                continue;
            };
            skipping = false;
            let descriptors =
                header.split(',').map(|part| unquote(part.trim()).to_owned()).collect();
            blocks.push(Block {
                descriptors,
                line,
                version: None,
                resolved: None,
                dependencies: Vec::new(),
            });
            in_dependencies = false;
            continue;
        }
        if skipping {
            continue;
        }
        let Some(block) = blocks.last_mut() else {
            return Err(LockfileError::at(
                line,
                format!("not a yarn lockfile: line {line} is indented before any entry"),
            ));
        };
        let (key, value) = split_pair(trimmed);
        if indent <= 2 {
            in_dependencies = false;
            match key {
                "version" => block.version = Some(value.to_owned()),
                "resolved" => block.resolved = Some(value.to_owned()),
                "dependencies:" | "optionalDependencies:" => in_dependencies = true,
                _ => {}
            }
        } else if in_dependencies {
            block.dependencies.push((key.to_owned(), value.to_owned(), line));
        }
    }

    let mut entry_of_block: Vec<Option<usize>> = Vec::with_capacity(blocks.len());
    for block in &blocks {
        let first = block.descriptors.first().map_or("", String::as_str);
        let (declared_name, range) = npm::split_descriptor(first).unwrap_or((first, ""));
        // An alias `name@npm:real@^1` installs `real`.
        let name = match range.strip_prefix("npm:").and_then(npm::split_descriptor) {
            Some((real, _)) => real,
            None => declared_name,
        };
        let source = match &block.resolved {
            Some(resolved) => npm::classify(resolved),
            None => npm::classify(range.strip_prefix("npm:").unwrap_or(range)),
        };
        if let Some(reason) = source.reason() {
            parsed.unresolved.push(Unresolved {
                name: name.to_owned(),
                line: block.line,
                reason: reason.into(),
            });
            entry_of_block.push(None);
            continue;
        }
        let Some(version) = &block.version else {
            parsed
                .warnings
                .push(format!("line {}: package `{name}` has no version; skipped", block.line));
            entry_of_block.push(None);
            continue;
        };
        let index = parsed.packages.len();
        parsed.packages.push(Entry {
            name: name.to_owned(),
            version: version.clone(),
            scope: Scope::Normal,
            line: block.line,
            dependencies: Vec::new(),
            license: None,
        });
        entry_of_block.push(Some(index));
    }
    let by_descriptor = descriptor_index(&blocks, &entry_of_block);
    resolve_edges(&blocks, &entry_of_block, &by_descriptor, parsed, |name, range| {
        format!("{name}@{range}")
    });
    if let Some(manifest) = manifest {
        push_roots(&manifest.declared, &by_descriptor, parsed, |dependency| {
            format!("{}@{}", dependency.name, dependency.spec)
        });
    }
    Ok(())
}

/// Berry (yarn 2 and later).
fn parse_berry(
    lock: Input<'_>,
    manifest: Option<&PackageJson>,
    parsed: &mut Parsed,
) -> Result<(), LockfileError> {
    let document = load_yaml(lock.text)?;
    let Yaml::Map(top) = &document else {
        return Err(LockfileError::new("not a yarn lockfile: the top level is not a mapping"));
    };
    let metadata = get(top, "__metadata").and_then(Yaml::as_map);
    let version = metadata.and_then(|metadata| get(metadata, "version")).and_then(Yaml::as_str);
    match version.map(|version| version.parse::<u32>()) {
        Some(Ok(number)) if BERRY_VERSIONS.contains(&number) => {}
        _ => {
            return Err(LockfileError::new(format!(
                "yarn lockfile metadata version {} is not one Vigil reads ({}–{})",
                version.unwrap_or("(none)"),
                BERRY_VERSIONS.start(),
                BERRY_VERSIONS.end()
            )));
        }
    }

    let mut blocks: Vec<Block> = Vec::new();
    let mut resolutions: Vec<String> = Vec::new();
    for (key, line, value) in top {
        if key == "__metadata" {
            continue;
        }
        let empty = Vec::new();
        let fields = value.as_map().unwrap_or(&empty);
        let mut dependencies = Vec::new();
        if let Some(deps) = get(fields, "dependencies").and_then(Yaml::as_map) {
            for (name, dep_line, range) in deps {
                let range = range.as_str().unwrap_or_default().to_owned();
                dependencies.push((name.clone(), range, *dep_line));
            }
        }
        resolutions
            .push(get(fields, "resolution").and_then(Yaml::as_str).unwrap_or_default().to_owned());
        blocks.push(Block {
            descriptors: key.split(',').map(|part| part.trim().to_owned()).collect(),
            line: *line,
            version: get(fields, "version").and_then(Yaml::as_str).map(str::to_owned),
            resolved: None,
            dependencies,
        });
    }

    // Patched packages (`patch:`) resolve to the same version as the
    // package they patch; they are not entries of their own, but edges to
    // them are followed to that version.
    let mut by_resolution: HashMap<(&str, &str), usize> = HashMap::new();
    let mut entry_of_block: Vec<Option<usize>> = Vec::with_capacity(blocks.len());
    let mut patches: Vec<(usize, &str)> = Vec::new();
    // (block position, whether it is the root workspace)
    let mut workspaces: Vec<(usize, bool)> = Vec::new();
    for (position, (block, resolution)) in blocks.iter().zip(&resolutions).enumerate() {
        let (name, reference) =
            npm::split_descriptor(resolution).unwrap_or((resolution.as_str(), ""));
        if resolution.is_empty() {
            let name = block
                .descriptors
                .first()
                .and_then(|first| npm::split_descriptor(first))
                .map_or("", |(name, _)| name);
            parsed
                .warnings
                .push(format!("line {}: package `{name}` has no resolution; skipped", block.line));
            entry_of_block.push(None);
            continue;
        }
        if reference.starts_with("patch:") {
            patches.push((position, name));
            entry_of_block.push(None);
            continue;
        }
        let source = match reference.strip_prefix("npm:") {
            Some(_) => Source::Registry,
            None => npm::classify(reference),
        };
        if source == Source::Workspace {
            workspaces.push((position, reference == "workspace:."));
            entry_of_block.push(None);
            continue;
        }
        if let Some(reason) = source.reason() {
            parsed.unresolved.push(Unresolved {
                name: name.to_owned(),
                line: block.line,
                reason: reason.into(),
            });
            entry_of_block.push(None);
            continue;
        }
        let Some(version) = &block.version else {
            parsed
                .warnings
                .push(format!("line {}: package `{name}` has no version; skipped", block.line));
            entry_of_block.push(None);
            continue;
        };
        let index = parsed.packages.len();
        by_resolution.insert((name, version.as_str()), index);
        parsed.packages.push(Entry {
            name: name.to_owned(),
            version: version.clone(),
            scope: Scope::Normal,
            line: block.line,
            dependencies: Vec::new(),
            license: None,
        });
        entry_of_block.push(Some(index));
    }
    let mut by_descriptor = descriptor_index(&blocks, &entry_of_block);
    for (position, name) in patches {
        let Some(block) = blocks.get(position) else { continue };
        let Some(version) = &block.version else { continue };
        if let Some(&index) = by_resolution.get(&(name, version.as_str())) {
            for descriptor in &block.descriptors {
                by_descriptor.insert(descriptor.as_str(), Some(index));
            }
        }
    }

    resolve_edges(&blocks, &entry_of_block, &by_descriptor, parsed, berry_descriptor);
    // Roots: the manifest's, then each workspace member's (and the root
    // workspace's when there is no manifest), declared in the lockfile.
    // Berry lists a workspace's dev dependencies with the others.
    if let Some(manifest) = manifest {
        push_roots(&manifest.declared, &by_descriptor, parsed, |dependency| {
            berry_descriptor(&dependency.name, &dependency.spec)
        });
    }
    for (position, is_root) in workspaces {
        let Some(block) = blocks.get(position) else { continue };
        if is_root && manifest.is_some() {
            continue;
        }
        let declared: Vec<Declared> = block
            .dependencies
            .iter()
            .map(|(name, spec, line)| Declared {
                name: name.clone(),
                spec: spec.clone(),
                scope: Scope::Normal,
                path: lock.path.to_owned(),
                line: *line,
            })
            .collect();
        push_roots(&declared, &by_descriptor, parsed, |dependency| {
            berry_descriptor(&dependency.name, &dependency.spec)
        });
    }
    Ok(())
}

/// Berry's descriptor for a dependency: a bare range gets the `npm:`
/// protocol, as yarn writes it.
fn berry_descriptor(name: &str, range: &str) -> String {
    if range.contains(':') { format!("{name}@{range}") } else { format!("{name}@npm:{range}") }
}

/// Each block's descriptors, to its entry (`None` for blocks that are not
/// entries: workspaces, non-registry packages, broken blocks).
fn descriptor_index<'a>(
    blocks: &'a [Block],
    entry_of_block: &[Option<usize>],
) -> HashMap<&'a str, Option<usize>> {
    let mut index = HashMap::with_capacity(blocks.len());
    for (block, entry) in blocks.iter().zip(entry_of_block) {
        for descriptor in &block.descriptors {
            index.insert(descriptor.as_str(), *entry);
        }
    }
    index
}

/// Fills each entry's edges from its block's `name range` pairs.
fn resolve_edges(
    blocks: &[Block],
    entry_of_block: &[Option<usize>],
    by_descriptor: &HashMap<&str, Option<usize>>,
    parsed: &mut Parsed,
    descriptor: impl Fn(&str, &str) -> String,
) {
    for (block, entry) in blocks.iter().zip(entry_of_block) {
        let Some(entry) = *entry else { continue };
        let mut edges = Vec::with_capacity(block.dependencies.len());
        for (name, range, _) in &block.dependencies {
            match by_descriptor.get(descriptor(name, range).as_str()) {
                Some(Some(target)) => {
                    if let Some(target) = parsed.packages.get(*target) {
                        edges.push(Req {
                            name: target.name.clone(),
                            version: Some(target.version.clone()),
                            ..Req::default()
                        });
                    }
                }
                // A workspace or a non-registry package: not an entry.
                Some(None) => {}
                None if npm::classify(range.strip_prefix("npm:").unwrap_or(range))
                    == Source::Registry =>
                {
                    edges.push(Req { name: name.clone(), ..Req::default() });
                }
                None => {}
            }
        }
        if let Some(entry) = parsed.packages.get_mut(entry) {
            entry.dependencies = edges;
        }
    }
}

/// Roots from declarations, matched to entries by descriptor.
fn push_roots(
    declared: &[Declared],
    by_descriptor: &HashMap<&str, Option<usize>>,
    parsed: &mut Parsed,
    descriptor: impl Fn(&Declared) -> String,
) {
    for dependency in declared {
        if npm::push_unresolved_spec(dependency, parsed) {
            continue;
        }
        let target = match by_descriptor.get(descriptor(dependency).as_str()) {
            Some(Some(index)) => parsed.packages.get(*index),
            Some(None) => continue,
            None => None,
        };
        parsed.roots.push(Req {
            name: target.map_or_else(|| dependency.name.clone(), |entry| entry.name.clone()),
            version: target.map(|entry| entry.version.clone()),
            scope: dependency.scope,
            declared: Some((dependency.path.clone(), dependency.line)),
        });
    }
}

/// `key "value"` or `key value` → (key, value), both unquoted.
fn split_pair(text: &str) -> (&str, &str) {
    if let Some(rest) = text.strip_prefix('"') {
        if let Some(end) = rest.find('"') {
            let key = rest.get(..end).unwrap_or_default();
            let value = rest.get(end + 1..).unwrap_or_default().trim();
            return (key, unquote(value));
        }
    }
    match text.split_once(' ') {
        Some((key, value)) => (key, unquote(value.trim())),
        None => (text, ""),
    }
}

/// Strips one pair of surrounding double quotes.
fn unquote(text: &str) -> &str {
    text.strip_prefix('"').and_then(|inner| inner.strip_suffix('"')).unwrap_or(text)
}
