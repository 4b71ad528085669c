//! Software bills of materials from dependency graphs: CycloneDX 1.6 and
//! SPDX 2.3, both as JSON. One document covers every lockfile of a tree;
//! each package appears once (by purl) with the lockfiles' edges between
//! packages and the project's direct dependencies under its root.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Value, json};

use crate::graph::Graph;
use crate::lockfile::Scope;

/// What the document says about who wrote it and when.
#[derive(Debug, Clone)]
pub struct Meta {
    /// The project's name (the scanned directory's).
    pub name: String,
    /// The tool's version.
    pub tool_version: String,
    /// Creation time, RFC 3339 in UTC without fractions (`2026-12-07T10:00:00Z`).
    pub created: String,
    /// A unique id for the document (a UUID).
    pub serial: String,
}

struct Component {
    purl: String,
    name: String,
    version: String,
    ecosystem: &'static str,
    scope: Scope,
    depends_on: BTreeSet<String>,
}

/// Every package of `graphs` once, keyed by purl, with the purls it depends
/// on; and the purls of the project's direct dependencies.
fn components(graphs: &[Graph]) -> (BTreeMap<String, Component>, BTreeSet<String>) {
    let mut out: BTreeMap<String, Component> = BTreeMap::new();
    let mut direct = BTreeSet::new();
    for graph in graphs {
        for (index, node) in graph.nodes.iter().enumerate() {
            let purl = graph.purl(index);
            if node.direct {
                direct.insert(purl.clone());
            }
            let depends: Vec<String> =
                node.depends_on.iter().map(|child| graph.purl(*child)).collect();
            let entry = out.entry(purl.clone()).or_insert_with(|| Component {
                purl,
                name: node.name.clone(),
                version: node.version.clone(),
                ecosystem: graph.ecosystem.osv_name(),
                scope: node.scope,
                depends_on: BTreeSet::new(),
            });
            // Run-time in any lockfile wins over dev or optional.
            entry.scope = entry.scope.min(node.scope);
            entry.depends_on.extend(depends);
        }
    }
    (out, direct)
}

/// A CycloneDX 1.6 JSON document.
pub fn cyclonedx(graphs: &[Graph], meta: &Meta) -> Value {
    let (components, direct) = components(graphs);
    let root = "root-component";
    let mut dependencies = vec![json!({ "ref": root, "dependsOn": direct })];
    let list: Vec<Value> = components
        .values()
        .map(|component| {
            dependencies.push(json!({ "ref": component.purl, "dependsOn": component.depends_on }));
            json!({
                "type": "library",
                "bom-ref": component.purl,
                "name": component.name,
                "version": component.version,
                "purl": component.purl,
                "scope": match component.scope {
                    Scope::Normal => "required",
                    Scope::Optional => "optional",
                    Scope::Dev => "excluded",
                },
                "properties": [{ "name": "vigil:ecosystem", "value": component.ecosystem }],
            })
        })
        .collect();
    json!({
        "bomFormat": "CycloneDX",
        "specVersion": "1.6",
        "serialNumber": format!("urn:uuid:{}", meta.serial),
        "version": 1,
        "metadata": {
            "timestamp": meta.created,
            "tools": { "components": [{ "type": "application", "name": "vigil", "version": meta.tool_version }] },
            "component": { "type": "application", "bom-ref": root, "name": meta.name },
        },
        "components": list,
        "dependencies": dependencies,
    })
}

/// An SPDX 2.3 JSON document.
pub fn spdx(graphs: &[Graph], meta: &Meta) -> Value {
    let (components, direct) = components(graphs);
    let ids: BTreeMap<&str, String> = components
        .keys()
        .enumerate()
        .map(|(index, purl)| (purl.as_str(), format!("SPDXRef-Package-{}", index + 1)))
        .collect();
    let root = "SPDXRef-Project";
    let mut packages = vec![json!({
        "SPDXID": root,
        "name": meta.name,
        "downloadLocation": "NOASSERTION",
        "filesAnalyzed": false,
        "primaryPackagePurpose": "APPLICATION",
    })];
    let mut relationships = vec![json!({
        "spdxElementId": "SPDXRef-DOCUMENT",
        "relationshipType": "DESCRIBES",
        "relatedSpdxElement": root,
    })];
    for purl in &direct {
        if let Some(id) = ids.get(purl.as_str()) {
            relationships.push(json!({ "spdxElementId": root, "relationshipType": "DEPENDS_ON", "relatedSpdxElement": id }));
        }
    }
    for component in components.values() {
        let Some(id) = ids.get(component.purl.as_str()) else { continue };
        packages.push(json!({
            "SPDXID": id,
            "name": component.name,
            "versionInfo": component.version,
            "downloadLocation": "NOASSERTION",
            "filesAnalyzed": false,
            "externalRefs": [{
                "referenceCategory": "PACKAGE-MANAGER",
                "referenceType": "purl",
                "referenceLocator": component.purl,
            }],
        }));
        for child in &component.depends_on {
            if let Some(child) = ids.get(child.as_str()) {
                relationships.push(json!({ "spdxElementId": id, "relationshipType": "DEPENDS_ON", "relatedSpdxElement": child }));
            }
        }
    }
    json!({
        "spdxVersion": "SPDX-2.3",
        "dataLicense": "CC0-1.0",
        "SPDXID": "SPDXRef-DOCUMENT",
        "name": meta.name,
        "documentNamespace": format!("https://example.invalid/vigil/sbom/{}", meta.serial),
        "creationInfo": { "created": meta.created, "creators": [format!("Tool: vigil-{}", meta.tool_version)] },
        "packages": packages,
        "relationships": relationships,
    })
}

#[cfg(test)]
mod tests;
