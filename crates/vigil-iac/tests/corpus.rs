//! Agreement with Checkov on the labelled corpus (`../shared/corpus/iac`,
//! Checkov 3.2.533's own results in `expected/summary.tsv`): for every
//! Checkov id a built-in policy mirrors, Vigil fails exactly the resources
//! Checkov failed, and fails nothing Checkov passed or did not report.
//! `bench/iac.sh` measures the same with timings beside Checkov.

// Test helpers may panic: a panic is a test failure.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use vigil_core::{Engine, FileOutput, SourceFile};
use vigil_iac::IacEngine;

fn corpus() -> PathBuf {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus/iac");
    assert!(path.is_dir(), "the IaC corpus {} is needed by this test", path.display());
    path
}

fn files_under(root: &Path, dir: &Path, out: &mut Vec<(String, Vec<u8>)>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().path()).collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            files_under(root, &path, out);
        } else {
            let relative = path.strip_prefix(root).unwrap().to_string_lossy().replace('\\', "/");
            out.push((relative, std::fs::read(&path).unwrap()));
        }
    }
}

/// Vigil's failures as (Checkov id, file under corpus/iac, Checkov's resource name).
fn vigil_failures(engine: &IacEngine, folder: &str) -> BTreeSet<(String, String, String)> {
    let root = corpus().join(folder);
    let mut files = Vec::new();
    files_under(&root, &root, &mut files);
    let mut output = FileOutput::default();
    let mut kept = Vec::new();
    for (path, content) in &files {
        let file = SourceFile { path, content };
        if engine.wants(path) {
            engine.scan_file(file, &mut output);
        }
        if engine.keeps(path) {
            kept.push(file);
        }
    }
    engine.scan_tree(&kept, &mut output);
    let aliases: BTreeMap<&str, &str> = engine
        .rules()
        .iter()
        .filter_map(|rule| rule.aliases.first().map(|alias| (rule.id.as_str(), alias.as_str())))
        .collect();
    output
        .findings
        .iter()
        .filter_map(|finding| {
            let checkov = aliases.get(finding.rule_id.as_str())?;
            let resource = finding.resource.as_ref()?;
            let address = if resource.framework == "dockerfile" {
                format!("/{}", resource.address)
            } else {
                resource.address.clone()
            };
            Some(((*checkov).to_owned(), format!("{folder}/{}", finding.location.path), address))
        })
        .collect()
}

#[test]
fn vigil_fails_exactly_what_checkov_fails_for_every_mirrored_policy() {
    let engine = IacEngine::builtin().unwrap();
    let mirrored: BTreeSet<String> =
        engine.rules().iter().flat_map(|rule| rule.aliases.iter().cloned()).collect();
    let summary = std::fs::read_to_string(corpus().join("expected/summary.tsv")).unwrap();
    let mut failed = BTreeSet::new();
    let mut evaluated = BTreeSet::new();
    let mut results = BTreeMap::new();
    for line in summary.lines().skip(1) {
        let fields: Vec<&str> = line.split('\t').collect();
        let [id, file, resource, result] = fields[..] else { panic!("bad summary line {line}") };
        if !mirrored.contains(id) {
            continue;
        }
        evaluated.insert(id.to_owned());
        let key = (id.to_owned(), file.to_owned(), resource.to_owned());
        if result == "FAILED" {
            failed.insert(key.clone());
        }
        results.insert(key, result.to_owned());
    }
    let mut mine = vigil_failures(&engine, "terragoat");
    mine.extend(vigil_failures(&engine, "k8s"));
    let missed: Vec<_> = failed.difference(&mine).collect();
    let wrong: Vec<_> = mine
        .iter()
        .filter(|key| {
            evaluated.contains(&key.0) && results.get(*key).map(String::as_str) != Some("FAILED")
        })
        .collect();
    assert!(evaluated.len() >= 100, "only {} Checkov ids compared", evaluated.len());
    assert!(missed.is_empty(), "{} Checkov failures Vigil misses: {missed:#?}", missed.len());
    assert!(wrong.is_empty(), "{} Vigil failures Checkov did not report: {wrong:#?}", wrong.len());
}
