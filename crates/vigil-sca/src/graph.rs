//! The dependency graph of one lockfile: every pinned package with whether
//! the project declares it (direct) or another package pulls it in
//! (transitive, with the path from a direct dependency), its scope, and
//! where it is declared. Built from a [`Parsed`] lockfile; kept as JSON by
//! the server after a scan (nodes only, not the parser's notes), so newer
//! advisories can be matched against it later.

use std::collections::{HashMap, VecDeque};

use crate::Ecosystem;
use crate::lockfile::{Parsed, Req, Scope, Unresolved};

/// One package of the graph.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Node {
    /// Name as the ecosystem spells it.
    pub name: String,
    /// Resolved version.
    pub version: String,
    /// Run time, dev or optional.
    pub scope: Scope,
    /// Declared by the project.
    pub direct: bool,
    /// 1-based line of its entry in the lockfile (0: unknown).
    pub line: u32,
    /// Where the project declares it (manifest path and line), when direct.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub declared: Option<(String, u32)>,
    /// The nodes from a direct dependency down to this one's parent; empty
    /// for a direct dependency or when no path is known.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub path: Vec<usize>,
    /// The nodes it depends on, when the lockfile records edges.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub depends_on: Vec<usize>,
    /// The license the lockfile records for it, as written.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub license: Option<String>,
}

/// The graph of one lockfile.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Graph {
    /// The lockfile's path.
    pub file: String,
    /// Its ecosystem.
    pub ecosystem: Ecosystem,
    /// Every package once per (name, version), in the file's order.
    pub nodes: Vec<Node>,
    /// Declared dependencies without a version to match (not kept).
    #[serde(skip)]
    pub unresolved: Vec<Unresolved>,
    /// The parser's warnings (not kept).
    #[serde(skip)]
    pub warnings: Vec<String>,
}

impl Graph {
    /// Builds the graph of `parsed`, the lockfile at `file`.
    pub fn build(file: &str, ecosystem: Ecosystem, parsed: Parsed) -> Graph {
        let mut nodes: Vec<Node> = Vec::with_capacity(parsed.packages.len());
        let mut edges: Vec<Vec<Req>> = Vec::with_capacity(parsed.packages.len());
        let mut by_exact: HashMap<(String, String), usize> = HashMap::new();
        let mut by_name: HashMap<String, Vec<usize>> = HashMap::new();
        for entry in parsed.packages {
            let key = (entry.name.clone(), entry.version.clone());
            if let Some(&existing) = by_exact.get(&key) {
                // The same package twice (several lockfile sections): keep
                // the first, merge what it depends on.
                if let Some(list) = edges.get_mut(existing) {
                    list.extend(entry.dependencies);
                }
                continue;
            }
            let index = nodes.len();
            by_exact.insert(key, index);
            by_name.entry(entry.name.clone()).or_default().push(index);
            nodes.push(Node {
                name: entry.name,
                version: entry.version,
                scope: entry.scope,
                direct: false,
                line: entry.line,
                declared: None,
                path: Vec::new(),
                depends_on: Vec::new(),
                license: entry.license,
            });
            edges.push(entry.dependencies);
        }
        let resolve = |req: &Req| -> Vec<usize> {
            match &req.version {
                Some(version) => by_exact
                    .get(&(req.name.clone(), version.clone()))
                    .copied()
                    .into_iter()
                    .collect(),
                None => by_name.get(&req.name).cloned().unwrap_or_default(),
            }
        };
        if parsed.roots.is_empty() {
            for node in &mut nodes {
                node.direct = true;
            }
        }
        // Breadth first from the roots, run-time roots before optional and
        // dev ones, so a package gets the shortest path and the scope of the
        // most important root that reaches it.
        let mut roots = parsed.roots;
        roots.sort_by_key(|root| root.scope);
        let mut reached: Vec<Option<Scope>> = vec![None; nodes.len()];
        let mut parent: Vec<Option<usize>> = vec![None; nodes.len()];
        let mut queue = VecDeque::new();
        for root in &roots {
            for index in resolve(root) {
                let Some(node) = nodes.get_mut(index) else { continue };
                node.direct = true;
                if node.declared.is_none() {
                    node.declared.clone_from(&root.declared);
                }
                if reached[index].is_none() {
                    reached[index] = Some(root.scope);
                    queue.push_back(index);
                }
            }
        }
        while let Some(index) = queue.pop_front() {
            let via = reached[index].unwrap_or_default();
            for req in edges.get(index).into_iter().flatten() {
                for child in resolve(req) {
                    if reached.get(child).is_some_and(Option::is_none) {
                        reached[child] = Some(via);
                        parent[child] = Some(index);
                        queue.push_back(child);
                    }
                }
            }
        }
        for (index, node) in nodes.iter_mut().enumerate() {
            let mut children: Vec<usize> =
                edges.get(index).into_iter().flatten().flat_map(&resolve).collect();
            children.sort_unstable();
            children.dedup();
            node.depends_on = children;
        }
        for index in 0..nodes.len() {
            if let (Some(inherited), Some(node)) = (reached[index], nodes.get(index)) {
                if node.scope == Scope::Normal && inherited != Scope::Normal {
                    nodes[index].scope = inherited;
                }
            }
            let mut path = Vec::new();
            let mut at = parent[index];
            while let Some(up) = at {
                if path.len() > nodes.len() {
                    break;
                }
                path.push(up);
                at = parent[up];
            }
            path.reverse();
            nodes[index].path = path;
        }
        Graph {
            file: file.to_owned(),
            ecosystem,
            nodes,
            unresolved: parsed.unresolved,
            warnings: parsed.warnings,
        }
    }

    /// Package `index` as a finding names it: ecosystem, purl, name,
    /// version, direct or transitive with the path from a direct
    /// dependency, and `fixed_versions`.
    pub fn package(
        &self,
        index: usize,
        fixed_versions: Vec<String>,
    ) -> Option<vigil_core::Package> {
        let node = self.nodes.get(index)?;
        let path: Vec<String> = node.path.iter().map(|step| self.label(*step)).collect();
        Some(vigil_core::Package {
            ecosystem: self.ecosystem.osv_name().to_owned(),
            purl: self.purl(index),
            name: node.name.clone(),
            version: node.version.clone(),
            dependency: if node.direct {
                vigil_core::Dependency::Direct
            } else {
                vigil_core::Dependency::Transitive
            },
            fixed_versions,
            dependency_path: if path.is_empty() {
                Vec::new()
            } else {
                path.into_iter().chain([self.label(index)]).collect()
            },
        })
    }

    /// The directories beside the lockfile where its package manager puts
    /// a copy of `node` when the repository vendors it: `vendor/<module>`
    /// (`go mod vendor`, Composer), `vendor/<crate>` or
    /// `vendor/<crate>-<version>` (`cargo vendor`), `node_modules/<name>`
    /// (npm, Yarn, pnpm). Empty for the other ecosystems.
    pub fn vendored_dirs(&self, node: &Node) -> Vec<String> {
        let base = self.file.rsplit_once('/').map_or(String::new(), |(dir, _)| format!("{dir}/"));
        match self.ecosystem {
            Ecosystem::Go | Ecosystem::Packagist => vec![format!("{base}vendor/{}", node.name)],
            Ecosystem::CratesIo => vec![
                format!("{base}vendor/{}", node.name),
                format!("{base}vendor/{}-{}", node.name, node.version),
            ],
            Ecosystem::Npm => vec![format!("{base}node_modules/{}", node.name)],
            _ => Vec::new(),
        }
    }

    /// Where package `index` is pinned: its lockfile line as a finding's
    /// location, and that line's text from `lines` (the lockfile's lines;
    /// empty when the file is not at hand).
    pub fn pin<'a>(
        &self,
        index: usize,
        lines: &[&'a str],
    ) -> (vigil_core::Location, Option<&'a str>) {
        let line = self.nodes.get(index).map_or(1, |node| node.line.max(1));
        let text = lines.get(line as usize - 1).map(|text| text.trim());
        let end_column =
            text.map_or(1, |text| u32::try_from(text.chars().count()).unwrap_or(0) + 1);
        (vigil_core::Location::line_span(&self.file, line, 1, line, end_column), text)
    }

    /// `name@version` of node `index`.
    pub fn label(&self, index: usize) -> String {
        self.nodes
            .get(index)
            .map_or_else(String::new, |node| format!("{}@{}", node.name, node.version))
    }

    /// The package URL of node `index` (`pkg:npm/%40babel/core@7.0.0`).
    pub fn purl(&self, index: usize) -> String {
        let Some(node) = self.nodes.get(index) else { return String::new() };
        purl(self.ecosystem, &node.name, &node.version)
    }
}

/// The package URL of `name@version` in `ecosystem`.
pub fn purl(ecosystem: Ecosystem, name: &str, version: &str) -> String {
    let name = match ecosystem {
        Ecosystem::Maven => name.replacen(':', "/", 1),
        Ecosystem::PyPI => ecosystem.normalise_name(name),
        _ => name.to_owned(),
    };
    let encoded: Vec<String> = name.split('/').map(encode).collect();
    format!("pkg:{}/{}@{}", ecosystem.purl_type(), encoded.join("/"), encode(version))
}

/// Percent-encodes what a purl segment may not hold.
fn encode(segment: &str) -> String {
    let mut out = String::with_capacity(segment.len());
    for byte in segment.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'.' | b'-' | b'_' | b'~' | b'+') {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// The directories above `path` (relative, `/`-separated), outermost
/// first: `vendor/a/Cargo.lock` gives `vendor`, then `vendor/a`. What is
/// matched against [`Graph::vendored_dirs`] to tell whether a file sits
/// inside a package's vendored copy.
pub fn dirs_above(path: &str) -> impl Iterator<Item = &str> {
    path.match_indices('/').map(move |(at, _)| &path[..at])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lockfile::Entry;

    fn entry(name: &str, version: &str, deps: &[&str]) -> Entry {
        Entry {
            name: name.into(),
            version: version.into(),
            scope: Scope::Normal,
            line: 1,
            dependencies: deps
                .iter()
                .map(|d| Req { name: (*d).into(), ..Req::default() })
                .collect(),
            license: None,
        }
    }

    fn root(name: &str, scope: Scope) -> Req {
        Req { name: name.into(), version: None, scope, declared: Some(("Cargo.toml".into(), 7)) }
    }

    #[test]
    fn direct_transitive_paths_and_scopes() {
        let parsed = Parsed {
            packages: vec![
                entry("app-dep", "1.0.0", &["mid"]),
                entry("mid", "2.0.0", &["leaf"]),
                entry("leaf", "3.0.0", &[]),
                entry("test-only", "1.0.0", &["test-leaf"]),
                entry("test-leaf", "1.0.0", &["leaf"]),
                entry("orphan", "1.0.0", &[]),
            ],
            roots: vec![root("test-only", Scope::Dev), root("app-dep", Scope::Normal)],
            ..Parsed::default()
        };
        let graph = Graph::build("Cargo.lock", Ecosystem::CratesIo, parsed);
        let summary: Vec<(String, bool, Scope, Vec<String>)> = (0..graph.nodes.len())
            .map(|i| {
                let node = &graph.nodes[i];
                (
                    graph.label(i),
                    node.direct,
                    node.scope,
                    node.path.iter().map(|p| graph.label(*p)).collect(),
                )
            })
            .collect();
        let expected = vec![
            ("app-dep@1.0.0".into(), true, Scope::Normal, vec![]),
            ("mid@2.0.0".into(), false, Scope::Normal, vec!["app-dep@1.0.0".into()]),
            (
                "leaf@3.0.0".into(),
                false,
                Scope::Normal,
                vec!["app-dep@1.0.0".into(), "mid@2.0.0".into()],
            ),
            ("test-only@1.0.0".into(), true, Scope::Dev, vec![]),
            ("test-leaf@1.0.0".into(), false, Scope::Dev, vec!["test-only@1.0.0".into()]),
            ("orphan@1.0.0".into(), false, Scope::Normal, vec![]),
        ];
        assert_eq!(summary, expected);
        assert_eq!(graph.nodes[0].declared, Some(("Cargo.toml".into(), 7)));
    }

    #[test]
    fn without_roots_every_package_is_direct() {
        let parsed = Parsed {
            packages: vec![entry("a", "1", &["b"]), entry("b", "1", &[])],
            ..Parsed::default()
        };
        let graph = Graph::build("gradle.lockfile", Ecosystem::Maven, parsed);
        assert!(graph.nodes.iter().all(|node| node.direct));
    }

    #[test]
    fn cycles_end() {
        let parsed = Parsed {
            packages: vec![entry("a", "1", &["b"]), entry("b", "1", &["a"])],
            roots: vec![root("a", Scope::Normal)],
            ..Parsed::default()
        };
        let graph = Graph::build("x", Ecosystem::Npm, parsed);
        assert_eq!(graph.nodes[1].path, [0]);
    }

    #[test]
    fn purls() {
        assert_eq!(purl(Ecosystem::Npm, "@babel/core", "7.0.0"), "pkg:npm/%40babel/core@7.0.0");
        assert_eq!(
            purl(Ecosystem::Maven, "org.apache:log4j-core", "2.14.1"),
            "pkg:maven/org.apache/log4j-core@2.14.1"
        );
        assert_eq!(purl(Ecosystem::PyPI, "Django_Rest", "3.0"), "pkg:pypi/django-rest@3.0");
        assert_eq!(
            purl(Ecosystem::Go, "github.com/gin-gonic/gin", "v1.6.0"),
            "pkg:golang/github.com/gin-gonic/gin@v1.6.0"
        );
    }
}
