//! npm's `package-lock.json` and `npm-shrinkwrap.json` (lockfileVersion 1,
//! 2 and 3), with the companion `package.json` giving the declared line of
//! each direct dependency.
//!
//! It also owns what the three JavaScript lockfile parsers share (this
//! module, `yarn` and `pnpm`): reading `package.json`, telling registry
//! versions from git, path and URL references, a JSON key-line index, and
//! deriving dev/optional scopes from the roots when a lockfile does not say.
//! It knows nothing of yarn's or pnpm's own syntax.

use std::collections::{HashMap, HashSet};

use serde_json::{Map, Value};

use super::{Entry, Input, LockfileError, Parsed, Req, Scope, Unresolved};

/// Deepest `node_modules` nesting (lockfile v1 `dependencies` levels) read.
const MAX_NESTING: usize = 64;

/// Deepest JSON nesting the key-line index follows; deeper text is
/// malformed for every JSON format read here.
const MAX_JSON_DEPTH: usize = 256;

/// Reads a `package-lock.json` or `npm-shrinkwrap.json`.
pub(crate) fn parse(
    lock: Input<'_>,
    companion: Option<Input<'_>>,
) -> Result<Parsed, LockfileError> {
    let document: Value = serde_json::from_str(lock.text).map_err(json_error)?;
    let Some(top) = document.as_object() else {
        return Err(LockfileError::new("not a package-lock: the top level is not a JSON object"));
    };
    let version = match top.get("lockfileVersion") {
        Some(Value::Number(number)) => number.as_u64(),
        Some(other) => {
            return Err(LockfileError::new(format!(
                "lockfileVersion {other} is not one Vigil reads (1, 2, 3)"
            )));
        }
        // Very old npm 5 files sometimes lack the field; they are version 1.
        None => Some(1),
    };
    let mut parsed = Parsed::default();
    let manifest = companion.and_then(|input| PackageJson::read(input, &mut parsed.warnings));
    let keys = KeyLines::build(lock.text, false);
    match version {
        Some(1) => parse_v1(top, &keys, manifest.as_ref(), &mut parsed),
        Some(2 | 3) if top.get("packages").is_some_and(Value::is_object) => {
            parse_v2(lock, top, &keys, manifest.as_ref(), &mut parsed);
        }
        // A version 2 file written without `packages` still has the v1 tree.
        Some(2) => parse_v1(top, &keys, manifest.as_ref(), &mut parsed),
        Some(3) => return Err(LockfileError::new("lockfileVersion 3 without a `packages` object")),
        _ => {
            let shown = top.get("lockfileVersion").map_or_else(String::new, Value::to_string);
            return Err(LockfileError::new(format!(
                "lockfileVersion {shown} is not one Vigil reads (1, 2, 3)"
            )));
        }
    }
    parsed.packages.sort_by_key(|entry| entry.line);
    Ok(parsed)
}

/// Lockfile v2/v3: the flat `packages` map keyed by install path.
fn parse_v2(
    lock: Input<'_>,
    top: &Map<String, Value>,
    keys: &KeyLines,
    manifest: Option<&PackageJson>,
    parsed: &mut Parsed,
) {
    let Some(packages) = top.get("packages").and_then(Value::as_object) else { return };
    let packages_id = keys.child(KeyLines::ROOT, "packages").map_or(u32::MAX, |key| key.id);

    /// What an install path holds.
    #[derive(Clone, Copy)]
    enum Slot {
        /// A registry package: index into `parsed.packages`.
        Package(usize),
        /// A project folder, a link or a non-registry package: no edge.
        Skipped,
    }
    let mut slots: HashMap<&str, Slot> = HashMap::with_capacity(packages.len());
    let mut pending_edges: Vec<(usize, &str, &Map<String, Value>)> = Vec::new();

    for (path, value) in packages {
        let line = keys.child(packages_id, path).map_or(0, |key| key.line);
        let Some(object) = value.as_object() else {
            parsed.warnings.push(format!("line {line}: `{path}` is not an object; skipped"));
            continue;
        };
        let Some(at) = path.rfind("node_modules/") else {
            // The root project or a workspace folder: the project itself.
            slots.insert(path, Slot::Skipped);
            continue;
        };
        if object.get("link").and_then(Value::as_bool) == Some(true) {
            slots.insert(path, Slot::Skipped);
            continue;
        }
        let folder_name = &path[at + "node_modules/".len()..];
        let name = object.get("name").and_then(Value::as_str).unwrap_or(folder_name);
        let resolved = object.get("resolved").and_then(Value::as_str);
        if let Some(reason) = resolved.and_then(|resolved| classify(resolved).reason()) {
            slots.insert(path, Slot::Skipped);
            parsed.unresolved.push(Unresolved {
                name: name.to_owned(),
                line,
                reason: reason.into(),
            });
            continue;
        }
        let Some(version) = object.get("version").and_then(Value::as_str) else {
            slots.insert(path, Slot::Skipped);
            parsed.warnings.push(format!("line {line}: package `{name}` has no version; skipped"));
            continue;
        };
        let scope = scope_of(object);
        slots.insert(path, Slot::Package(parsed.packages.len()));
        pending_edges.push((parsed.packages.len(), path, object));
        parsed.packages.push(Entry {
            name: name.to_owned(),
            version: version.to_owned(),
            scope,
            line,
            dependencies: Vec::new(),
        });
    }

    // Edges, resolved as Node does: the nearest `node_modules` up the path.
    let mut candidate = String::new();
    for (index, path, object) in pending_edges {
        let mut edges = Vec::new();
        for (field, required) in
            [("dependencies", true), ("optionalDependencies", false), ("peerDependencies", false)]
        {
            let Some(deps) = object.get(field).and_then(Value::as_object) else { continue };
            for dep in deps.keys() {
                if field == "peerDependencies" && object_has(object, "dependencies", dep) {
                    continue;
                }
                match resolve_up(&slots, path, dep, &mut candidate) {
                    Some(Slot::Package(target)) => {
                        if let Some(entry) = parsed.packages.get(target) {
                            edges.push(Req {
                                name: entry.name.clone(),
                                version: Some(entry.version.clone()),
                                ..Req::default()
                            });
                        }
                    }
                    Some(Slot::Skipped) => {}
                    None if required => edges.push(Req { name: dep.clone(), ..Req::default() }),
                    None => {}
                }
            }
        }
        if let Some(entry) = parsed.packages.get_mut(index) {
            entry.dependencies = edges;
        }
    }

    // Roots: the manifest when given, else the lockfile's root entry; then
    // each workspace member's own dependencies, declared in the lockfile.
    let root_declared = match manifest {
        Some(manifest) => manifest.declared.clone(),
        None => folder_declarations(lock, "", keys, packages_id, packages),
    };
    let local_targets: HashSet<String> = root_declared
        .iter()
        .filter_map(|dependency| dependency.spec.strip_prefix("file:"))
        .map(|target| target.trim_start_matches("./").trim_end_matches('/').to_owned())
        .collect();
    let mut folders = vec![("", root_declared)];
    for (path, value) in packages {
        let is_link = value.get("link").and_then(Value::as_bool) == Some(true);
        let target = value.get("resolved").and_then(Value::as_str);
        if let (true, Some(target)) = (is_link, target) {
            let is_folder = packages.get(target).is_some() && !target.contains("node_modules/");
            if is_folder && !local_targets.contains(target) && path.starts_with("node_modules/") {
                let declared = folder_declarations(lock, target, keys, packages_id, packages);
                folders.push((target, declared));
            }
        }
    }
    for (folder, declared) in folders {
        for dependency in declared {
            if push_unresolved_spec(&dependency, parsed) {
                continue;
            }
            let (name, version) = match resolve_up(&slots, folder, &dependency.name, &mut candidate)
            {
                Some(Slot::Package(index)) => match parsed.packages.get(index) {
                    Some(entry) => (entry.name.clone(), Some(entry.version.clone())),
                    None => continue,
                },
                Some(Slot::Skipped) => continue,
                None => (dependency.name.clone(), None),
            };
            parsed.roots.push(Req {
                name,
                version,
                scope: dependency.scope,
                declared: Some((dependency.path.clone(), dependency.line)),
            });
        }
    }
}

/// Whether `object[field]` has key `key`.
fn object_has(object: &Map<String, Value>, field: &str, key: &str) -> bool {
    object.get(field).and_then(Value::as_object).is_some_and(|map| map.contains_key(key))
}

/// The slot `dep` resolves to from install path `from`: `from/node_modules/dep`,
/// then each parent folder's, up to the project root's.
fn resolve_up<T: Copy>(
    slots: &HashMap<&str, T>,
    from: &str,
    dep: &str,
    candidate: &mut String,
) -> Option<T> {
    let mut base = from;
    loop {
        candidate.clear();
        if !base.is_empty() {
            candidate.push_str(base);
            candidate.push('/');
        }
        candidate.push_str("node_modules/");
        candidate.push_str(dep);
        if let Some(slot) = slots.get(candidate.as_str()) {
            return Some(*slot);
        }
        if base.is_empty() {
            return None;
        }
        base = base.rsplit_once('/').map_or("", |(parent, _)| parent);
    }
}

/// The dependencies the lockfile's entry for project folder `folder` (`""`
/// for the root) declares, at their lines in the lockfile.
fn folder_declarations(
    lock: Input<'_>,
    folder: &str,
    keys: &KeyLines,
    packages_id: u32,
    packages: &Map<String, Value>,
) -> Vec<Declared> {
    let Some(root) = packages.get(folder).and_then(Value::as_object) else { return Vec::new() };
    let root_id = keys.child(packages_id, folder).map_or(u32::MAX, |key| key.id);
    let mut out = Vec::new();
    for (field, scope) in DECLARATION_FIELDS {
        let Some(deps) = root.get(field).and_then(Value::as_object) else { continue };
        let section = keys.child(root_id, field);
        for (name, spec) in deps {
            if field == "dependencies" && object_has(root, "optionalDependencies", name) {
                continue;
            }
            let line = section.map_or(0, |section| {
                line_of_member(lock.text, section.offset, name).unwrap_or(section.line)
            });
            out.push(Declared {
                name: name.clone(),
                spec: spec.as_str().unwrap_or_default().to_owned(),
                scope,
                path: lock.path.to_owned(),
                line,
            });
        }
    }
    out.sort_by_key(|declared| declared.line);
    out
}

/// The line of member `"name":` of the JSON object whose key starts at
/// byte `from` (searching only up to that object's first `}`).
fn line_of_member(text: &str, from: usize, name: &str) -> Option<u32> {
    let rest = text.get(from..)?;
    let end = rest.find('}').unwrap_or(rest.len());
    let needle = format!("\"{name}\"");
    let at = rest.get(..end)?.find(&needle)?;
    Some(super::line_of(text, from + at))
}

/// Lockfile v1 (also `npm-shrinkwrap.json` of npm 5/6): nested
/// `dependencies` objects mirroring the `node_modules` tree.
fn parse_v1(
    top: &Map<String, Value>,
    keys: &KeyLines,
    manifest: Option<&PackageJson>,
    parsed: &mut Parsed,
) {
    /// One folder of the install tree.
    struct Node<'a> {
        parent: usize,
        children: HashMap<&'a str, usize>,
        entry: Option<usize>,
        requires: Option<&'a Map<String, Value>>,
    }
    let mut nodes = vec![Node { parent: 0, children: HashMap::new(), entry: None, requires: None }];
    // (node index, its `dependencies` object, its key-index id, depth)
    let mut stack: Vec<(usize, &Map<String, Value>, u32, usize)> = Vec::new();
    if let Some(deps) = top.get("dependencies").and_then(Value::as_object) {
        let id = keys.child(KeyLines::ROOT, "dependencies").map_or(u32::MAX, |key| key.id);
        stack.push((0, deps, id, 0));
    }
    // The walk is depth-first; entries are sorted by line at the end.
    while let Some((parent, deps, deps_id, depth)) = stack.pop() {
        for (key, value) in deps {
            let located = keys.child(deps_id, key);
            let line = located.map_or(0, |key| key.line);
            let Some(object) = value.as_object() else {
                parsed.warnings.push(format!("line {line}: `{key}` is not an object; skipped"));
                continue;
            };
            let node = nodes.len();
            let mut entry = None;
            match object.get("version").and_then(Value::as_str) {
                None => {
                    parsed
                        .warnings
                        .push(format!("line {line}: package `{key}` has no version; skipped"));
                }
                Some(version) => {
                    let (name, version) = match version.strip_prefix("npm:") {
                        Some(alias) => split_descriptor(alias).unwrap_or((key.as_str(), alias)),
                        None => (key.as_str(), version),
                    };
                    let resolved = object.get("resolved").and_then(Value::as_str).unwrap_or("");
                    let reason = classify(version).reason().or_else(|| classify(resolved).reason());
                    if let Some(reason) = reason {
                        parsed.unresolved.push(Unresolved {
                            name: name.to_owned(),
                            line,
                            reason: reason.into(),
                        });
                    } else {
                        entry = Some(parsed.packages.len());
                        parsed.packages.push(Entry {
                            name: name.to_owned(),
                            version: version.to_owned(),
                            scope: scope_of(object),
                            line,
                            dependencies: Vec::new(),
                        });
                    }
                }
            }
            nodes.push(Node {
                parent,
                children: HashMap::new(),
                entry,
                requires: object.get("requires").and_then(Value::as_object),
            });
            if let Some(parent_node) = nodes.get_mut(parent) {
                parent_node.children.insert(key.as_str(), node);
            }
            if let Some(nested) = object.get("dependencies").and_then(Value::as_object) {
                if depth + 1 >= MAX_NESTING {
                    parsed.warnings.push(format!(
                        "line {line}: `{key}` nests deeper than {MAX_NESTING} levels; its dependencies are skipped"
                    ));
                } else {
                    let id = located
                        .and_then(|located| keys.child(located.id, "dependencies"))
                        .map_or(u32::MAX, |key| key.id);
                    stack.push((node, nested, id, depth + 1));
                }
            }
        }
    }

    // Edges: `requires` names resolved up the tree.
    for index in 1..nodes.len() {
        let Some(node) = nodes.get(index) else { continue };
        let (Some(entry), Some(requires)) = (node.entry, node.requires) else { continue };
        let mut edges = Vec::with_capacity(requires.len());
        for dep in requires.keys() {
            let mut at = index;
            let found = loop {
                let Some(current) = nodes.get(at) else { break None };
                if let Some(&child) = current.children.get(dep.as_str()) {
                    break Some(child);
                }
                if at == 0 {
                    break None;
                }
                at = current.parent;
            };
            match found.and_then(|child| nodes.get(child)) {
                Some(child) => {
                    if let Some(target) = child.entry.and_then(|target| parsed.packages.get(target))
                    {
                        edges.push(Req {
                            name: target.name.clone(),
                            version: Some(target.version.clone()),
                            ..Req::default()
                        });
                    }
                }
                None => edges.push(Req { name: dep.clone(), ..Req::default() }),
            }
        }
        if let Some(entry) = parsed.packages.get_mut(entry) {
            entry.dependencies = edges;
        }
    }

    // Roots: v1 has no list of its own; only the manifest says them.
    let Some(manifest) = manifest else { return };
    let top_level = nodes.first().map(|root| &root.children);
    for dependency in &manifest.declared {
        if push_unresolved_spec(dependency, parsed) {
            continue;
        }
        let found = top_level
            .and_then(|children| children.get(dependency.name.as_str()))
            .and_then(|&node| nodes.get(node));
        let target = found.and_then(|node| node.entry).and_then(|index| parsed.packages.get(index));
        if found.is_some() && target.is_none() {
            // Found but not a registry package: already unresolved.
            continue;
        }
        parsed.roots.push(Req {
            name: target.map_or_else(|| dependency.name.clone(), |entry| entry.name.clone()),
            version: target.map(|entry| entry.version.clone()),
            scope: dependency.scope,
            declared: Some((dependency.path.clone(), dependency.line)),
        });
    }
}

/// `dev`, `optional` and `devOptional` flags of an npm lockfile entry.
fn scope_of(object: &Map<String, Value>) -> Scope {
    let flag = |name: &str| object.get(name).and_then(Value::as_bool) == Some(true);
    if flag("dev") || flag("devOptional") {
        Scope::Dev
    } else if flag("optional") {
        Scope::Optional
    } else {
        Scope::Normal
    }
}

/// A `serde_json` error as a [`LockfileError`] naming the line.
pub(super) fn json_error(error: serde_json::Error) -> LockfileError {
    let line = u32::try_from(error.line()).unwrap_or(u32::MAX);
    let text = error.to_string();
    // serde_json appends " at line L column C"; the line is said up front.
    let message = text.rsplit_once(" at line ").map_or(text.as_str(), |(message, _)| message);
    LockfileError::at(line, format!("not valid JSON at line {line}: {message}"))
}

// ---------------------------------------------------------------------------
// Shared by the JavaScript lockfile parsers.
// ---------------------------------------------------------------------------

/// The `package.json` sections that declare dependencies, with their scope.
const DECLARATION_FIELDS: [(&str, Scope); 3] = [
    ("dependencies", Scope::Normal),
    ("devDependencies", Scope::Dev),
    ("optionalDependencies", Scope::Optional),
];

/// One dependency a manifest (or a lockfile's root entry) declares.
#[derive(Debug, Clone)]
pub(super) struct Declared {
    /// The name as declared (an alias for `npm:` specs).
    pub(super) name: String,
    /// The version range or other spec, as written.
    pub(super) spec: String,
    /// Dev for `devDependencies`, optional for `optionalDependencies`.
    pub(super) scope: Scope,
    /// The declaring file.
    pub(super) path: String,
    /// 1-based line of the declaration.
    pub(super) line: u32,
}

/// What a companion `package.json` declares.
pub(super) struct PackageJson {
    /// Direct dependencies in file order: dependencies, devDependencies,
    /// optionalDependencies (a name in both dependencies and
    /// optionalDependencies counts once, as optional, as npm does).
    pub(super) declared: Vec<Declared>,
}

impl PackageJson {
    /// Reads `input`; an unreadable manifest is a warning and `None`.
    pub(super) fn read(input: Input<'_>, warnings: &mut Vec<String>) -> Option<PackageJson> {
        let document: Value = match serde_json::from_str(input.text) {
            Ok(document) => document,
            Err(error) => {
                warnings.push(format!(
                    "{}: {}; direct dependencies taken from the lockfile",
                    input.path,
                    json_error(error)
                ));
                return None;
            }
        };
        let top = document.as_object()?;
        let keys = KeyLines::build(input.text, true);
        let mut declared = Vec::new();
        for (field, scope) in DECLARATION_FIELDS {
            let Some(deps) = top.get(field).and_then(Value::as_object) else { continue };
            let section = keys.child(KeyLines::ROOT, field).map_or(u32::MAX, |key| key.id);
            for (name, spec) in deps {
                if field == "dependencies" && object_has(top, "optionalDependencies", name) {
                    continue;
                }
                declared.push(Declared {
                    name: name.clone(),
                    spec: spec.as_str().unwrap_or_default().to_owned(),
                    scope,
                    path: input.path.to_owned(),
                    line: keys.child(section, name).map_or(0, |key| key.line),
                });
            }
        }
        declared.sort_by_key(|declared| declared.line);
        Some(PackageJson { declared })
    }
}

/// What a version spec or a `resolved` reference points at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Source {
    /// A registry version or range (or nothing said).
    Registry,
    /// A workspace of the project (`workspace:`).
    Workspace,
    /// A local folder or tarball (`file:`, `link:`, `./x`).
    Local,
    /// A git repository.
    Git,
    /// A tarball URL that is not a registry's.
    Url,
}

impl Source {
    /// Why a dependency from this source has no registry version.
    pub(super) fn reason(self) -> Option<&'static str> {
        match self {
            Source::Registry | Source::Workspace => None,
            Source::Local => Some("a local path"),
            Source::Git => Some("a git dependency"),
            Source::Url => Some("a URL"),
        }
    }
}

/// Classifies a spec (`^1.2.0`, `file:../x`, `github:a/b`) or a resolved
/// reference (`https://registry.npmjs.org/a/-/a-1.0.0.tgz`).
pub(super) fn classify(spec: &str) -> Source {
    let spec = spec.trim();
    if spec.starts_with("workspace:") {
        Source::Workspace
    } else if ["file:", "link:", "portal:", "./", "../", "/", "~/"]
        .iter()
        .any(|prefix| spec.starts_with(prefix))
    {
        Source::Local
    } else if ["git+", "git:", "git@", "github:", "gitlab:", "bitbucket:", "gist:"]
        .iter()
        .any(|prefix| spec.starts_with(prefix))
        || spec.starts_with("https://codeload.github.com/")
        || spec.contains(".git#")
        || spec.ends_with(".git")
        || spec.contains("#commit=")
    {
        Source::Git
    } else if spec.starts_with("http://") || spec.starts_with("https://") {
        // Registry tarballs are `<registry>/<name>/-/<name>-<version>.tgz`.
        if spec.contains("/-/") { Source::Registry } else { Source::Url }
    } else if is_github_shorthand(spec) {
        Source::Git
    } else {
        Source::Registry
    }
}

/// `user/repo` or `user/repo#ref`, which npm reads as a GitHub repository.
fn is_github_shorthand(spec: &str) -> bool {
    let Some((user, repo)) = spec.split_once('/') else { return false };
    let plain = |part: &str| {
        !part.is_empty()
            && part.bytes().all(|byte| byte.is_ascii_alphanumeric() || b"-_.#".contains(&byte))
    };
    !user.starts_with('@') && !user.starts_with("npm:") && plain(user) && plain(repo)
}

/// For a declared dependency with a non-registry spec, records it as
/// unresolved (or skips a workspace one) and returns `true`.
pub(super) fn push_unresolved_spec(dependency: &Declared, parsed: &mut Parsed) -> bool {
    match classify(&dependency.spec) {
        Source::Registry => false,
        Source::Workspace => true,
        source => {
            // The lockfile's own entry for it, if any, is said once, here.
            parsed.unresolved.retain(|unresolved| unresolved.name != dependency.name);
            parsed.unresolved.push(Unresolved {
                name: dependency.name.clone(),
                line: dependency.line,
                reason: source.reason().unwrap_or("not a registry version").into(),
            });
            true
        }
    }
}

/// Splits `name@range` (the name may be `@scope/name`).
pub(super) fn split_descriptor(descriptor: &str) -> Option<(&str, &str)> {
    let at = descriptor.get(1..)?.find('@')? + 1;
    Some((descriptor.get(..at)?, descriptor.get(at + 1..)?))
}

/// Gives every package the scope of the roots that reach it when the
/// lockfile does not say: normal when a normal root reaches it, else
/// optional when an optional root does, else dev when a dev root does.
/// Packages no root reaches keep their scope. Edges without an exact
/// version are not followed.
pub(super) fn infer_scopes(parsed: &mut Parsed) {
    if parsed.roots.is_empty() {
        return;
    }
    let mut index: HashMap<(&str, &str), usize> = HashMap::with_capacity(parsed.packages.len());
    for (position, entry) in parsed.packages.iter().enumerate() {
        index.entry((entry.name.as_str(), entry.version.as_str())).or_insert(position);
    }
    let mut reached: Vec<Option<Scope>> = vec![None; parsed.packages.len()];
    for scope in [Scope::Normal, Scope::Optional, Scope::Dev] {
        let mut seen: HashSet<usize> = HashSet::new();
        let mut stack: Vec<usize> = parsed
            .roots
            .iter()
            .filter(|root| root.scope == scope)
            .filter_map(|root| index.get(&(root.name.as_str(), root.version.as_deref()?)).copied())
            .collect();
        while let Some(position) = stack.pop() {
            if !seen.insert(position) {
                continue;
            }
            if let Some(slot) = reached.get_mut(position) {
                slot.get_or_insert(scope);
            }
            let Some(entry) = parsed.packages.get(position) else { continue };
            for edge in &entry.dependencies {
                let Some(version) = edge.version.as_deref() else { continue };
                if let Some(&target) = index.get(&(edge.name.as_str(), version)) {
                    stack.push(target);
                }
            }
        }
    }
    for (entry, scope) in parsed.packages.iter_mut().zip(reached) {
        if let Some(scope) = scope {
            entry.scope = scope;
        }
    }
}

/// Where a JSON object key is.
#[derive(Debug, Clone, Copy)]
pub(super) struct KeyAt {
    /// 1-based line of the key.
    pub(super) line: u32,
    /// Byte offset of the key's opening quote.
    pub(super) offset: usize,
    /// Id of the object or array it holds (for [`KeyLines::child`]); only
    /// meaningful for containers.
    pub(super) id: u32,
}

/// The line of each object key of a JSON text, found in one pass without
/// building values: keys holding objects or arrays always, keys holding
/// scalars when asked (small manifests).
pub(super) struct KeyLines {
    keys: HashMap<(u32, String), KeyAt>,
}

impl KeyLines {
    /// Id of the top-level value.
    pub(super) const ROOT: u32 = 0;

    /// Indexes `text`, which need not be valid JSON (the index is then
    /// partial).
    pub(super) fn build(text: &str, scalars: bool) -> KeyLines {
        /// One open container.
        struct Frame {
            id: u32,
            object: bool,
            expect_key: bool,
            key: Option<(String, u32, usize)>,
        }
        let bytes = text.as_bytes();
        let mut keys = HashMap::new();
        let mut stack: Vec<Frame> = Vec::new();
        let mut next_id = 1u32;
        let mut line = 1u32;
        let mut at = 0;
        while let Some(&byte) = bytes.get(at) {
            match byte {
                b'\n' => line += 1,
                b'{' | b'[' => {
                    if stack.len() >= MAX_JSON_DEPTH {
                        break;
                    }
                    let id = if stack.is_empty() { KeyLines::ROOT } else { next_id };
                    next_id = next_id.saturating_add(1);
                    if let Some(frame) = stack.last_mut() {
                        if let Some((key, key_line, offset)) = frame.key.take() {
                            keys.insert((frame.id, key), KeyAt { line: key_line, offset, id });
                        }
                    }
                    stack.push(Frame { id, object: byte == b'{', expect_key: true, key: None });
                }
                b'}' | b']' => {
                    stack.pop();
                }
                b',' => {
                    if let Some(frame) = stack.last_mut() {
                        frame.expect_key = frame.object;
                        frame.key = None;
                    }
                }
                b'"' => {
                    let start = at;
                    at += 1;
                    while let Some(&inner) = bytes.get(at) {
                        match inner {
                            b'\\' => at += 1,
                            b'"' => break,
                            b'\n' => line += 1,
                            _ => {}
                        }
                        at += 1;
                    }
                    let raw = text.get(start + 1..at).unwrap_or_default();
                    if let Some(frame) = stack.last_mut() {
                        if frame.object && frame.expect_key {
                            frame.expect_key = false;
                            frame.key = Some((unescape(raw), line, start));
                        } else if let Some((key, key_line, offset)) = frame.key.take() {
                            if scalars {
                                keys.insert(
                                    (frame.id, key),
                                    KeyAt { line: key_line, offset, id: 0 },
                                );
                            }
                        }
                    }
                }
                b' ' | b'\t' | b'\r' | b':' => {}
                _ => {
                    if let Some(frame) = stack.last_mut() {
                        if let Some((key, key_line, offset)) = frame.key.take() {
                            if scalars {
                                keys.insert(
                                    (frame.id, key),
                                    KeyAt { line: key_line, offset, id: 0 },
                                );
                            }
                        }
                    }
                }
            }
            at += 1;
        }
        KeyLines { keys }
    }

    /// Key `key` of the container with id `parent`.
    pub(super) fn child(&self, parent: u32, key: &str) -> Option<KeyAt> {
        // The map is keyed by owned strings; a short-lived key avoids a
        // second map type for borrowed lookups.
        self.keys.get(&(parent, key.to_owned())).copied()
    }
}

/// A JSON string's raw text decoded (escapes are rare in keys).
fn unescape(raw: &str) -> String {
    if raw.contains('\\') {
        serde_json::from_str(&format!("\"{raw}\"")).unwrap_or_else(|_| raw.to_owned())
    } else {
        raw.to_owned()
    }
}
