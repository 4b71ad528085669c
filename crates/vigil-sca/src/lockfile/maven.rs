//! The `maven` format: a `pom.xml` read as a manifest. Owns turning the
//! pom's declared `<dependencies>` into entries and roots; it must not
//! touch the network or the local Maven repository, so nothing outside this
//! one file is read.
//!
//! What is read:
//! - `<project><dependencies><dependency>`: each one with a version is an
//!   entry (name `groupId:artifactId`) and a root declared at its
//!   `<dependency>` line. Scope `test` or `provided` is dev, `<optional>true`
//!   is optional; `system` (a local jar) is unresolved.
//! - `${name}` in groupId, artifactId, version and scope, from
//!   `<properties>` (nested references too), `${project.version}`,
//!   `${project.groupId}`, `${project.artifactId}` and
//!   `${project.parent.version}` (and their old `pom.`/bare aliases).
//! - `<dependencyManagement>`: the version (and scope, optional) of a
//!   dependency that declares none. A `<scope>import</scope>` BOM is
//!   unresolved: its versions live in another pom, which is not read.
//!
//! What is not read, by design: the parent pom (a dependency whose version
//! it would give is unresolved, naming the missing property or saying
//! "version managed by the parent pom"), `<profiles>` (their dependencies
//! apply only when a profile is active; they are skipped), build plugins,
//! and transitive dependencies (a pom does not list them). A dependency on
//! a sibling module of the same build (the project's own groupId at
//! `${project.version}`) is part of the project, not a package.
//!
//! XML is hostile: a DTD is refused (so no entity is ever expanded), the
//! node count is bounded, and the tree is walked along fixed paths only,
//! never recursively. The caller bounds the size.

use std::collections::{HashMap, HashSet};

use roxmltree::{Document, Node, ParsingOptions};

use super::lines::LineIndex;
use super::{Entry, Input, LockfileError, Parsed, Req, Scope, Unresolved};

/// Most XML nodes a pom may hold; a real one has a few thousand.
const MAX_NODES: u32 = 2_000_000;

/// Most `${...}` levels followed when a property refers to another.
const MAX_PROPERTY_DEPTH: usize = 16;

/// Longest value a property expansion may grow to, in bytes.
const MAX_EXPANDED_LEN: usize = 4096;

/// Reads a `pom.xml`; `companion` is unused (a pom has none).
pub(crate) fn parse(
    lock: Input<'_>,
    companion: Option<Input<'_>>,
) -> Result<Parsed, LockfileError> {
    let _ = companion;
    let options = ParsingOptions { allow_dtd: false, nodes_limit: MAX_NODES, ..Default::default() };
    let document = Document::parse_with_options(lock.text, options).map_err(xml_error)?;
    let project = document.root_element();
    if project.tag_name().name() != "project" {
        return Err(LockfileError::at(
            super::line_of(lock.text, project.range().start),
            format!(
                "the root element is <{}>, not <project>: not a Maven pom",
                project.tag_name().name()
            ),
        ));
    }
    let lines = LineIndex::new(lock.text);
    let pom = Pom::read(project);
    let mut parsed = Parsed::default();

    let mut managed: HashMap<String, Managed<'_>> = HashMap::new();
    let management =
        child(project, "dependencyManagement").and_then(|node| child(node, "dependencies"));
    for dependency in management.into_iter().flat_map(|node| children(node, "dependency")) {
        let line = lines.line(dependency.range().start);
        let Some(name) = pom.coordinates(dependency, line, &mut parsed) else { continue };
        let scope = child_text(dependency, "scope");
        if scope.is_some_and(|scope| pom.expand(scope).ok().as_deref() == Some("import")) {
            parsed.unresolved.push(Unresolved {
                name,
                line,
                reason: "a BOM import (its versions are not read)".to_owned(),
            });
            continue;
        }
        managed.entry(name).or_insert(Managed {
            version: child_text(dependency, "version"),
            scope,
            optional: child_text(dependency, "optional"),
        });
    }

    let mut seen: HashMap<(String, String), u32> = HashMap::new();
    let declared = child(project, "dependencies");
    for dependency in declared.into_iter().flat_map(|node| children(node, "dependency")) {
        let line = lines.line(dependency.range().start);
        let Some(name) = pom.coordinates(dependency, line, &mut parsed) else { continue };
        let manage = managed.get(&name);
        let raw_version = child_text(dependency, "version").or(manage.and_then(|m| m.version));
        let raw_scope = child_text(dependency, "scope").or(manage.and_then(|m| m.scope));
        let raw_optional = child_text(dependency, "optional").or(manage.and_then(|m| m.optional));

        let Some(raw_version) = raw_version else {
            let reason = if pom.has_parent {
                "version managed by the parent pom".to_owned()
            } else {
                "no version (none declared and none in <dependencyManagement>)".to_owned()
            };
            parsed.unresolved.push(Unresolved { name, line, reason });
            continue;
        };
        if raw_version == "${project.version}"
            && name.split(':').next() == pom.group_id().as_deref()
        {
            continue; // A sibling module of this build: part of the project.
        }
        let version = match pom.expand(raw_version) {
            Ok(version) => version,
            Err(reason) => {
                parsed.unresolved.push(Unresolved { name, line, reason });
                continue;
            }
        };
        if version.starts_with('[') || version.starts_with('(') {
            let reason = format!("a version range ({version})");
            parsed.unresolved.push(Unresolved { name, line, reason });
            continue;
        }
        if version == "LATEST" || version == "RELEASE" {
            let reason = format!("the meta-version {version}");
            parsed.unresolved.push(Unresolved { name, line, reason });
            continue;
        }
        let scope_word = raw_scope.map(|scope| pom.expand(scope).unwrap_or_default());
        if scope_word.as_deref() == Some("system") {
            let reason = "a system-scoped dependency (a local jar)".to_owned();
            parsed.unresolved.push(Unresolved { name, line, reason });
            continue;
        }
        let optional =
            raw_optional.is_some_and(|value| pom.expand(value).ok().as_deref() == Some("true"));
        let scope = match scope_word.as_deref() {
            Some("test" | "provided") => Scope::Dev,
            _ if optional => Scope::Optional,
            _ => Scope::Normal,
        };
        let key = (name.clone(), version.clone());
        if let Some(first) = seen.get(&key) {
            parsed.warnings.push(format!(
                "line {line}: `{name}` {version} is declared again (first at line {first}); skipped"
            ));
            continue;
        }
        seen.insert(key, line);
        parsed.roots.push(Req {
            name: name.clone(),
            version: Some(version.clone()),
            scope,
            declared: Some((lock.path.to_owned(), line)),
        });
        parsed.packages.push(Entry {
            name,
            version,
            scope,
            line,
            dependencies: Vec::new(),
            license: None,
        });
    }
    Ok(parsed)
}

/// What `<dependencyManagement>` says of one `groupId:artifactId`, raw.
struct Managed<'a> {
    version: Option<&'a str>,
    scope: Option<&'a str>,
    optional: Option<&'a str>,
}

/// The pom's own coordinates and properties, for `${...}` expansion.
struct Pom<'a> {
    properties: HashMap<&'a str, &'a str>,
    has_parent: bool,
}

impl<'a> Pom<'a> {
    fn read(project: Node<'a, 'a>) -> Pom<'a> {
        let mut properties = HashMap::new();
        let parent = child(project, "parent");
        if let Some(parent) = parent {
            for (field, keys) in [
                ("version", ["project.parent.version", "parent.version"]),
                ("groupId", ["project.parent.groupId", "parent.groupId"]),
                ("artifactId", ["project.parent.artifactId", "parent.artifactId"]),
            ] {
                if let Some(value) = child_text(parent, field) {
                    for key in keys {
                        properties.insert(key, value);
                    }
                }
            }
        }
        // A child pom inherits its groupId and version from the parent when
        // it does not state them.
        for (field, keys) in [
            ("version", ["project.version", "pom.version", "version"]),
            ("groupId", ["project.groupId", "pom.groupId", "groupId"]),
            ("artifactId", ["project.artifactId", "pom.artifactId", "artifactId"]),
        ] {
            let own = child_text(project, field);
            let value = own.or_else(|| parent.and_then(|parent| child_text(parent, field)));
            if let Some(value) = value {
                for key in keys {
                    properties.insert(key, value);
                }
            }
        }
        if let Some(declared) = child(project, "properties") {
            for property in declared.children().filter(Node::is_element) {
                properties.insert(property.tag_name().name(), property.text().unwrap_or("").trim());
            }
        }
        Pom { properties, has_parent: parent.is_some() }
    }

    /// The project's groupId, expanded.
    fn group_id(&self) -> Option<String> {
        self.properties.get("project.groupId").and_then(|raw| self.expand(raw).ok())
    }

    /// `groupId:artifactId` of a `<dependency>`, or a warning naming `line`.
    fn coordinates(
        &self,
        dependency: Node<'_, '_>,
        line: u32,
        parsed: &mut Parsed,
    ) -> Option<String> {
        let group = child_text(dependency, "groupId");
        let artifact = child_text(dependency, "artifactId");
        let (Some(group), Some(artifact)) = (group, artifact) else {
            let missing = if group.is_none() { "groupId" } else { "artifactId" };
            parsed.warnings.push(format!("line {line}: a <dependency> without {missing}; skipped"));
            return None;
        };
        match (self.expand(group), self.expand(artifact)) {
            (Ok(group), Ok(artifact)) if !group.is_empty() && !artifact.is_empty() => {
                Some(format!("{group}:{artifact}"))
            }
            (Err(reason), _) | (_, Err(reason)) => {
                let name = format!("{group}:{artifact}");
                parsed.unresolved.push(Unresolved { name, line, reason });
                None
            }
            _ => {
                parsed.warnings.push(format!(
                    "line {line}: a <dependency> with an empty groupId or artifactId; skipped"
                ));
                None
            }
        }
    }

    /// `raw` with every `${name}` replaced, or why it cannot be.
    fn expand(&self, raw: &str) -> Result<String, String> {
        let mut visiting = HashSet::new();
        self.expand_at(raw, 0, &mut visiting)
    }

    fn expand_at<'s>(
        &'s self,
        raw: &'s str,
        depth: usize,
        visiting: &mut HashSet<&'s str>,
    ) -> Result<String, String> {
        let mut out = String::new();
        let mut rest = raw;
        while let Some(start) = rest.find("${") {
            out.push_str(rest.get(..start).unwrap_or(""));
            let after = rest.get(start + 2..).unwrap_or("");
            let Some(end) = after.find('}') else {
                return Err(format!("an unclosed `${{` in `{raw}`"));
            };
            let name = after.get(..end).unwrap_or("");
            rest = after.get(end + 1..).unwrap_or("");
            let Some(&value) = self.properties.get(name) else {
                return Err(if self.has_parent {
                    format!(
                        "property `${{{name}}}` is not defined here (the parent pom, which may define it, is not read)"
                    )
                } else {
                    format!("property `${{{name}}}` is not defined")
                });
            };
            if depth >= MAX_PROPERTY_DEPTH || !visiting.insert(name) {
                return Err(format!("property `${{{name}}}` refers to itself"));
            }
            let expanded = self.expand_at(value, depth + 1, visiting)?;
            visiting.remove(name);
            out.push_str(&expanded);
            if out.len() > MAX_EXPANDED_LEN {
                return Err(format!(
                    "property `${{{name}}}` expands to more than {MAX_EXPANDED_LEN} bytes"
                ));
            }
        }
        out.push_str(rest);
        Ok(out)
    }
}

/// The first child element of `node` named `name` (any namespace).
fn child<'a, 'i>(node: Node<'a, 'i>, name: &str) -> Option<Node<'a, 'i>> {
    node.children().find(|child| child.is_element() && child.tag_name().name() == name)
}

/// Every child element of `node` named `name`.
fn children<'a, 'i>(node: Node<'a, 'i>, name: &'static str) -> impl Iterator<Item = Node<'a, 'i>> {
    node.children().filter(move |child| child.is_element() && child.tag_name().name() == name)
}

/// The trimmed text of the child element `name`, when it has some.
fn child_text<'a>(node: Node<'a, 'a>, name: &str) -> Option<&'a str> {
    child(node, name).and_then(|child| child.text()).map(str::trim).filter(|text| !text.is_empty())
}

/// A parse failure of the XML itself, as a person reads it.
fn xml_error(error: roxmltree::Error) -> LockfileError {
    let line = error.pos().row;
    match error {
        roxmltree::Error::DtdDetected => LockfileError::at(
            line,
            "the pom has a <!DOCTYPE>, which Vigil refuses so that no entity is expanded",
        ),
        roxmltree::Error::NodesLimitReached => {
            LockfileError::new(format!("the pom has more than {MAX_NODES} XML nodes"))
        }
        other => LockfileError::at(line, format!("not valid XML at line {line}: {other}")),
    }
}
