//! npm's `package-lock.json` and `npm-shrinkwrap.json` (lockfileVersion 1,
//! 2 and 3), with the companion `package.json` giving the declared line of
//! each direct dependency.
//!
//! It also owns what the three JavaScript lockfile parsers share (this
//! module, `yarn` and `pnpm`): reading `package.json`, telling registry
//! versions from git, path and URL references, a JSON key-line index, and
//! deriving dev/optional scopes from the roots when a lockfile does not say.
//! It knows nothing of yarn's or pnpm's own syntax.

use std::cell::OnceCell;
use std::collections::{HashMap, HashSet};

use serde_json::{Map, Value};

use super::lines::LineIndex;
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
    // v2/v3 are read through a lenient typed pass that borrows strings
    // (a `Value` tree costs three quarters of the time on large files);
    // the legacy v1 tree is read as a `Value`.
    let top: TopV2<'_> = serde_json::from_str(lock.text).map_err(json_error)?;
    if !top.is_object {
        return Err(LockfileError::new("not a package-lock: the top level is not a JSON object"));
    }
    let version = match &top.version {
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
    match (version, top.packages) {
        (Some(2 | 3), Some(packages)) => {
            parse_v2(lock, packages, &keys, manifest.as_ref(), &mut parsed);
        }
        // A version 2 file written without `packages` still has the v1 tree.
        (Some(1 | 2), _) => {
            let document: Value = serde_json::from_str(lock.text).map_err(json_error)?;
            if let Some(object) = document.as_object() {
                parse_v1(object, &keys, manifest.as_ref(), &mut parsed);
            }
        }
        (Some(3), None) => {
            return Err(LockfileError::new("lockfileVersion 3 without a `packages` object"));
        }
        _ => {
            let shown = top.version.as_ref().map_or_else(String::new, Value::to_string);
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
    packages: Vec<(Text<'_>, PackageV2<'_>)>,
    keys: &KeyLines,
    manifest: Option<&PackageJson>,
    parsed: &mut Parsed,
) {
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
    let mut by_path: HashMap<&str, &PackageV2<'_>> = HashMap::with_capacity(packages.len());
    let mut pending_edges: Vec<(usize, &str, &PackageV2<'_>)> = Vec::new();

    for (path, object) in &packages {
        let path: &str = path;
        by_path.insert(path, object);
        let line = keys.child(packages_id, path).map_or(0, |key| key.line);
        if !object.is_object {
            parsed.warnings.push(format!("line {line}: `{path}` is not an object; skipped"));
            continue;
        }
        let Some(at) = path.rfind("node_modules/") else {
            // The root project or a workspace folder: the project itself.
            slots.insert(path, Slot::Skipped);
            continue;
        };
        if object.link {
            slots.insert(path, Slot::Skipped);
            continue;
        }
        let folder_name = path.get(at + "node_modules/".len()..).unwrap_or(path);
        let name = object.name.as_deref().unwrap_or(folder_name);
        if let Some(reason) =
            object.resolved.as_deref().and_then(|resolved| classify(resolved).reason())
        {
            slots.insert(path, Slot::Skipped);
            parsed.unresolved.push(Unresolved {
                name: name.to_owned(),
                line,
                reason: reason.into(),
            });
            continue;
        }
        let Some(version) = object.version.as_deref() else {
            slots.insert(path, Slot::Skipped);
            parsed.warnings.push(format!("line {line}: package `{name}` has no version; skipped"));
            continue;
        };
        let scope = if object.dev || object.dev_optional {
            Scope::Dev
        } else if object.optional {
            Scope::Optional
        } else {
            Scope::Normal
        };
        slots.insert(path, Slot::Package(parsed.packages.len()));
        pending_edges.push((parsed.packages.len(), path, object));
        parsed.packages.push(Entry {
            name: name.to_owned(),
            version: version.to_owned(),
            scope,
            line,
            dependencies: Vec::new(),
            license: object.license.as_deref().map(str::to_owned),
        });
    }

    // Edges, resolved as Node does: the nearest `node_modules` up the path.
    let mut candidate = String::new();
    for (index, path, object) in pending_edges {
        let mut edges = Vec::with_capacity(object.dependencies.len());
        let sections = [
            (&object.dependencies, true),
            (&object.optional_dependencies, false),
            (&object.peer_dependencies, false),
        ];
        for (position, (deps, required)) in sections.into_iter().enumerate() {
            for (dep, _) in deps {
                if position == 2 && object.dependencies.iter().any(|(name, _)| name == dep) {
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
                    None if required => {
                        edges.push(Req { name: dep.to_string(), ..Req::default() });
                    }
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
    let lines = OnceCell::new();
    let root_declared = match manifest {
        Some(manifest) => manifest.declared.clone(),
        None => folder_declarations(lock, "", keys, &lines, packages_id, &by_path),
    };
    let local_targets: HashSet<String> = root_declared
        .iter()
        .filter_map(|dependency| dependency.spec.strip_prefix("file:"))
        .map(|target| target.trim_start_matches("./").trim_end_matches('/').to_owned())
        .collect();
    let mut folders = vec![("", root_declared)];
    for (path, object) in &packages {
        let Some(target) = object.resolved.as_deref().filter(|_| object.link) else { continue };
        let is_folder = by_path.contains_key(target) && !target.contains("node_modules/");
        if is_folder && !local_targets.contains(target) && path.starts_with("node_modules/") {
            let declared = folder_declarations(lock, target, keys, &lines, packages_id, &by_path);
            folders.push((target, declared));
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
    lines: &OnceCell<LineIndex>,
    packages_id: u32,
    by_path: &HashMap<&str, &PackageV2<'_>>,
) -> Vec<Declared> {
    let Some(root) = by_path.get(folder) else { return Vec::new() };
    let root_id = keys.child(packages_id, folder).map_or(u32::MAX, |key| key.id);
    let lines = lines.get_or_init(|| LineIndex::new(lock.text));
    let mut out = Vec::new();
    let sections = [
        ("dependencies", Scope::Normal, &root.dependencies),
        ("devDependencies", Scope::Dev, &root.dev_dependencies),
        ("optionalDependencies", Scope::Optional, &root.optional_dependencies),
    ];
    for (field, scope, deps) in sections {
        let section = keys.child(root_id, field);
        let members = section.and_then(|section| Members::new(lock.text, section.offset));
        for (name, spec) in deps {
            if field == "dependencies"
                && root.optional_dependencies.iter().any(|(optional, _)| optional == name)
            {
                continue;
            }
            let line = section.map_or(0, |section| {
                let at = members.as_ref().and_then(|members| members.offset(name));
                at.map_or(section.line, |at| lines.line(at))
            });
            out.push(Declared {
                name: name.to_string(),
                spec: spec.to_string(),
                scope,
                path: lock.path.to_owned(),
                line,
            });
        }
    }
    out.sort_by_key(|declared| declared.line);
    out
}

/// The members of a JSON object of name-spec pairs, for the lines of their
/// keys: the text from the object's key up to its first `}`, and the first
/// offset of every quoted run in it, so that each member is found without
/// searching the object again.
struct Members<'t> {
    /// Byte offset of the object's key.
    from: usize,
    /// The text searched.
    body: &'t str,
    /// Each text between two consecutive quotes, with the offset (in
    /// `body`) of the first quote of its first occurrence.
    first: HashMap<&'t str, usize>,
}

impl<'t> Members<'t> {
    /// The object whose key starts at byte `from` of `text`.
    fn new(text: &'t str, from: usize) -> Option<Members<'t>> {
        let rest = text.get(from..)?;
        let end = rest.find('}').unwrap_or(rest.len());
        let body = rest.get(..end)?;
        let quotes: Vec<usize> = body.match_indices('"').map(|(at, _)| at).collect();
        let mut first = HashMap::with_capacity(quotes.len());
        for pair in quotes.windows(2) {
            if let (Some(&open), Some(&close)) = (pair.first(), pair.get(1)) {
                if let Some(inner) = body.get(open + 1..close) {
                    first.entry(inner).or_insert(open);
                }
            }
        }
        Some(Members { from, body, first })
    }

    /// Byte offset in the text of the first `"name"` of the object (the
    /// first quote of a run naming `name` is the start of `"name"`).
    fn offset(&self, name: &str) -> Option<usize> {
        let at = if name.contains('"') {
            self.body.find(&format!("\"{name}\""))
        } else {
            self.first.get(name).copied()
        };
        at.map(|at| self.from + at)
    }
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
                            license: None,
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
/// scalars in the top two levels (a broken `packages` member) or everywhere
/// when asked (small manifests).
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
                    let shallow = stack.len() <= 2;
                    if let Some(frame) = stack.last_mut() {
                        if frame.object && frame.expect_key {
                            frame.expect_key = false;
                            frame.key = Some((unescape(raw), line, start));
                        } else if let Some((key, key_line, offset)) = frame.key.take() {
                            if scalars || shallow {
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
                    let shallow = stack.len() <= 2;
                    if let Some(frame) = stack.last_mut() {
                        if let Some((key, key_line, offset)) = frame.key.take() {
                            if scalars || shallow {
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

// ---------------------------------------------------------------------------
// A lenient typed reading of lockfile v2/v3: strings are borrowed from the
// text when they have no escapes, and a field of an unexpected type is
// ignored (the entry then lacks it) instead of failing the file.
// ---------------------------------------------------------------------------

/// The visitor methods for every value but an object (and, for
/// [`LooseText`], a string): each skips the value and gives `$default`.
macro_rules! other_values_are {
    ($default:expr) => {
        fn visit_seq<A: serde::de::SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
            serde::de::IgnoredAny.visit_seq(seq).map(|_| $default)
        }
        fn visit_borrowed_str<E>(self, _: &'de str) -> Result<Self::Value, E> {
            Ok($default)
        }
        fn visit_str<E>(self, _: &str) -> Result<Self::Value, E> {
            Ok($default)
        }
        fn visit_bool<E>(self, _: bool) -> Result<Self::Value, E> {
            Ok($default)
        }
        fn visit_i64<E>(self, _: i64) -> Result<Self::Value, E> {
            Ok($default)
        }
        fn visit_u64<E>(self, _: u64) -> Result<Self::Value, E> {
            Ok($default)
        }
        fn visit_f64<E>(self, _: f64) -> Result<Self::Value, E> {
            Ok($default)
        }
        fn visit_unit<E>(self) -> Result<Self::Value, E> {
            Ok($default)
        }
    };
}

/// A string borrowed from the JSON text when possible.
type Text<'a> = std::borrow::Cow<'a, str>;

/// A JSON string, or `None` for any other value (which is skipped).
struct LooseText<'a>(Option<Text<'a>>);

impl<'de> serde::Deserialize<'de> for LooseText<'de> {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        /// Visits any value, keeping strings.
        struct Visit;
        impl<'de> serde::de::Visitor<'de> for Visit {
            type Value = LooseText<'de>;
            fn expecting(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                formatter.write_str("any JSON value")
            }
            fn visit_borrowed_str<E>(self, text: &'de str) -> Result<Self::Value, E> {
                Ok(LooseText(Some(Text::Borrowed(text))))
            }
            fn visit_str<E>(self, text: &str) -> Result<Self::Value, E> {
                Ok(LooseText(Some(Text::Owned(text.to_owned()))))
            }
            fn visit_string<E>(self, text: String) -> Result<Self::Value, E> {
                Ok(LooseText(Some(Text::Owned(text))))
            }
            fn visit_bool<E>(self, _: bool) -> Result<Self::Value, E> {
                Ok(LooseText(None))
            }
            fn visit_i64<E>(self, _: i64) -> Result<Self::Value, E> {
                Ok(LooseText(None))
            }
            fn visit_u64<E>(self, _: u64) -> Result<Self::Value, E> {
                Ok(LooseText(None))
            }
            fn visit_f64<E>(self, _: f64) -> Result<Self::Value, E> {
                Ok(LooseText(None))
            }
            fn visit_unit<E>(self) -> Result<Self::Value, E> {
                Ok(LooseText(None))
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                seq: A,
            ) -> Result<Self::Value, A::Error> {
                serde::de::IgnoredAny.visit_seq(seq).map(|_| LooseText(None))
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                map: A,
            ) -> Result<Self::Value, A::Error> {
                serde::de::IgnoredAny.visit_map(map).map(|_| LooseText(None))
            }
        }
        deserializer.deserialize_any(Visit)
    }
}

/// A JSON object's members as (key, string value) in file order; non-string
/// values are kept as empty strings, and a non-object is no members.
struct LooseMembers<'a>(Vec<(Text<'a>, Text<'a>)>);

impl<'de> serde::Deserialize<'de> for LooseMembers<'de> {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        /// Visits any value, keeping an object's members.
        struct Visit;
        impl<'de> serde::de::Visitor<'de> for Visit {
            type Value = LooseMembers<'de>;
            fn expecting(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                formatter.write_str("any JSON value")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> Result<Self::Value, A::Error> {
                let mut members = Vec::new();
                while let Some((LooseText(key), LooseText(value))) = map.next_entry()? {
                    if let Some(key) = key {
                        members.push((key, value.unwrap_or_default()));
                    }
                }
                Ok(LooseMembers(members))
            }
            other_values_are!(LooseMembers(Vec::new()));
        }
        deserializer.deserialize_any(Visit)
    }
}

/// One member of `packages`.
#[derive(Default)]
struct PackageV2<'a> {
    /// Whether the value was an object at all.
    is_object: bool,
    name: Option<Text<'a>>,
    version: Option<Text<'a>>,
    resolved: Option<Text<'a>>,
    /// The `license` npm copied from the package's manifest.
    license: Option<Text<'a>>,
    link: bool,
    dev: bool,
    optional: bool,
    dev_optional: bool,
    dependencies: Vec<(Text<'a>, Text<'a>)>,
    dev_dependencies: Vec<(Text<'a>, Text<'a>)>,
    optional_dependencies: Vec<(Text<'a>, Text<'a>)>,
    peer_dependencies: Vec<(Text<'a>, Text<'a>)>,
}

impl<'de> serde::Deserialize<'de> for PackageV2<'de> {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        /// Visits one package entry.
        struct Visit;
        impl<'de> serde::de::Visitor<'de> for Visit {
            type Value = PackageV2<'de>;
            fn expecting(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                formatter.write_str("a package object")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> Result<Self::Value, A::Error> {
                let mut package = PackageV2 { is_object: true, ..PackageV2::default() };
                while let Some(LooseText(key)) = map.next_key()? {
                    match key.as_deref().unwrap_or_default() {
                        "name" => package.name = map.next_value::<LooseText<'de>>()?.0,
                        "version" => package.version = map.next_value::<LooseText<'de>>()?.0,
                        "resolved" => package.resolved = map.next_value::<LooseText<'de>>()?.0,
                        "license" => package.license = map.next_value::<LooseText<'de>>()?.0,
                        "link" => package.link = map.next_value::<LooseBool>()?.0,
                        "dev" => package.dev = map.next_value::<LooseBool>()?.0,
                        "optional" => package.optional = map.next_value::<LooseBool>()?.0,
                        "devOptional" => package.dev_optional = map.next_value::<LooseBool>()?.0,
                        "dependencies" => {
                            package.dependencies = map.next_value::<LooseMembers<'de>>()?.0
                        }
                        "devDependencies" => {
                            package.dev_dependencies = map.next_value::<LooseMembers<'de>>()?.0;
                        }
                        "optionalDependencies" => {
                            package.optional_dependencies =
                                map.next_value::<LooseMembers<'de>>()?.0;
                        }
                        "peerDependencies" => {
                            package.peer_dependencies = map.next_value::<LooseMembers<'de>>()?.0;
                        }
                        _ => {
                            map.next_value::<serde::de::IgnoredAny>()?;
                        }
                    }
                }
                Ok(package)
            }
            other_values_are!(PackageV2::default());
        }
        deserializer.deserialize_any(Visit)
    }
}

/// `true`, or `false` for anything else.
struct LooseBool(bool);

impl<'de> serde::Deserialize<'de> for LooseBool {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Ok(LooseBool(matches!(Value::deserialize(deserializer)?, Value::Bool(true))))
    }
}

/// The top level of a package-lock, as far as the first pass needs it.
struct TopV2<'a> {
    /// Whether the document is an object.
    is_object: bool,
    /// `lockfileVersion`, as written.
    version: Option<Value>,
    /// `packages` in file order, when it is an object.
    packages: Option<Vec<(Text<'a>, PackageV2<'a>)>>,
}

impl<'de> serde::Deserialize<'de> for TopV2<'de> {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        /// Visits the document.
        struct Visit;
        impl<'de> serde::de::Visitor<'de> for Visit {
            type Value = TopV2<'de>;
            fn expecting(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                formatter.write_str("a package-lock object")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> Result<Self::Value, A::Error> {
                let mut top = TopV2 { is_object: true, version: None, packages: None };
                while let Some(LooseText(key)) = map.next_key()? {
                    match key.as_deref().unwrap_or_default() {
                        "lockfileVersion" => top.version = Some(map.next_value()?),
                        "packages" => top.packages = map.next_value::<PackagesV2<'de>>()?.0,
                        _ => {
                            map.next_value::<serde::de::IgnoredAny>()?;
                        }
                    }
                }
                Ok(top)
            }
            other_values_are!(TopV2 { is_object: false, version: None, packages: None });
        }
        deserializer.deserialize_any(Visit)
    }
}

/// `packages` in file order, or `None` when it is not an object.
struct PackagesV2<'a>(Option<Vec<(Text<'a>, PackageV2<'a>)>>);

impl<'de> serde::Deserialize<'de> for PackagesV2<'de> {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        /// Visits the `packages` value.
        struct Visit;
        impl<'de> serde::de::Visitor<'de> for Visit {
            type Value = PackagesV2<'de>;
            fn expecting(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                formatter.write_str("the packages object")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> Result<Self::Value, A::Error> {
                let mut packages = Vec::with_capacity(map.size_hint().unwrap_or(0));
                while let Some(LooseText(key)) = map.next_key()? {
                    let package: PackageV2<'de> = map.next_value()?;
                    if let Some(key) = key {
                        packages.push((key, package));
                    }
                }
                Ok(PackagesV2(Some(packages)))
            }
            other_values_are!(PackagesV2(None));
        }
        deserializer.deserialize_any(Visit)
    }
}
