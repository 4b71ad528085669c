//! The SBOMs of a real lockfile, validated against the official CycloneDX
//! 1.6 and SPDX 2.3 schemas in `../shared/schemas`.

use super::*;
use crate::engine::graphs;
use crate::test_support::shared;

fn schema(rel: &str) -> Value {
    let text = std::fs::read_to_string(shared(&format!("schemas/{rel}"))).expect("schema");
    serde_json::from_str(&text).expect("json")
}

fn meta() -> Meta {
    Meta {
        name: "old-deps".into(),
        tool_version: "0.0.0".into(),
        created: "2026-12-07T10:00:00Z".into(),
        serial: "3b6a1f0e-2c4d-4e8f-9a1b-5c6d7e8f9a0b".into(),
    }
}

fn old_deps() -> Vec<Graph> {
    let lock = std::fs::read_to_string(shared("data/advisories/samples/old-deps/Cargo.lock"))
        .expect("lock");
    let manifest = std::fs::read_to_string(shared("data/advisories/samples/old-deps/Cargo.toml"))
        .expect("toml");
    let files = [
        vigil_core::SourceFile { path: "Cargo.lock", content: lock.as_bytes() },
        vigil_core::SourceFile { path: "Cargo.toml", content: manifest.as_bytes() },
    ];
    let (graphs, problems) = graphs(&files);
    assert!(problems.is_empty(), "{problems:?}");
    graphs
}

fn cyclonedx_validator() -> jsonschema::Validator {
    let resources = ["spdx.schema.json", "jsf-0.82.schema.json"].map(|name| {
        let contents = schema(&format!("cyclonedx/{name}"));
        let resource = jsonschema::Resource::from_contents(contents).expect("resource");
        (format!("http://cyclonedx.org/schema/{name}"), resource)
    });
    jsonschema::options()
        .with_resources(resources.into_iter())
        .build(&schema("cyclonedx/bom-1.6.schema.json"))
        .expect("schema compiles")
}

fn errors(validator: &jsonschema::Validator, document: &Value) -> Vec<String> {
    validator.iter_errors(document).map(|e| format!("{} at {}", e, e.instance_path)).collect()
}

#[test]
fn cyclonedx_is_valid_and_complete() {
    let document = cyclonedx(&old_deps(), &meta());
    let validator = cyclonedx_validator();
    assert_eq!(errors(&validator, &document), Vec::<String>::new());
    let components = document["components"].as_array().expect("components");
    assert_eq!(components.len(), 45 - 1, "every package but the crate itself");
    let hyper = components.iter().find(|c| c["name"] == "hyper").expect("hyper");
    assert_eq!(hyper["purl"], "pkg:cargo/hyper@0.14.9");
    assert_eq!(hyper["scope"], "required");
    let root = &document["dependencies"][0];
    assert_eq!(root["ref"], "root-component");
    let direct: Vec<&str> =
        root["dependsOn"].as_array().expect("list").iter().filter_map(Value::as_str).collect();
    assert_eq!(
        direct,
        [
            "pkg:cargo/chrono@0.4.19",
            "pkg:cargo/hyper@0.14.9",
            "pkg:cargo/smallvec@0.6.10",
            "pkg:cargo/time@0.1.43"
        ]
    );
    let of_hyper = document["dependencies"]
        .as_array()
        .expect("list")
        .iter()
        .find(|d| d["ref"] == "pkg:cargo/hyper@0.14.9")
        .expect("hyper's edges");
    assert!(
        of_hyper["dependsOn"].as_array().expect("list").iter().any(|d| d == "pkg:cargo/h2@0.3.27")
    );
}

#[test]
fn spdx_is_valid_and_complete() {
    let document = spdx(&old_deps(), &meta());
    let validator = jsonschema::validator_for(&schema("spdx-2.3.json")).expect("schema compiles");
    assert_eq!(errors(&validator, &document), Vec::<String>::new());
    let packages = document["packages"].as_array().expect("packages");
    assert_eq!(packages.len(), 45, "the project and its 44 packages");
    let relationships = document["relationships"].as_array().expect("relationships");
    let direct = relationships.iter().filter(|r| r["spdxElementId"] == "SPDXRef-Project").count();
    assert_eq!(direct, 4);
}

#[test]
fn a_broken_schema_instance_is_caught() {
    // The validation can fail: a component without a name is rejected.
    let mut document = cyclonedx(&old_deps(), &meta());
    document["components"][0].as_object_mut().expect("object").remove("name");
    let validator = cyclonedx_validator();
    assert!(!errors(&validator, &document).is_empty());
}
