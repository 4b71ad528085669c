//! Tests of the store: importing the real advisory snapshots in
//! `../shared/data/advisories`, writing, reopening, and refusing damaged
//! files while keeping the previous store.

use std::collections::BTreeMap;
use std::io::Write as _;

use super::*;
use crate::test_support::advisory_data;

fn import(paths: &[&str]) -> (Vec<Advisory>, ImportReport) {
    let mut importer = Importer::default();
    for path in paths {
        importer.import_path(&advisory_data(path)).expect("imports");
    }
    importer.finish()
}

#[test]
fn the_shared_snapshots_import_and_reopen() {
    let (advisories, report) = import(&["rustsec", "pypa", "ghsa-sample"]);
    assert_eq!(report.problems, Vec::<String>::new());
    // rustsec: 1205 crate advisories, of which some withdrawn; the 20 toolchain ones are not read.
    let rustsec = advisories.iter().filter(|a| a.id.starts_with("RUSTSEC-")).count();
    let pysec = advisories.iter().filter(|a| a.id.starts_with("PYSEC-")).count();
    let ghsa = advisories.iter().filter(|a| a.id.starts_with("GHSA-")).count();
    let withdrawn_rustsec = count_files(&advisory_data("rustsec/crates"), "\nwithdrawn = ");
    assert_eq!(rustsec + withdrawn_rustsec, 1205, "withdrawn {}", report.withdrawn);
    assert!(pysec > 2500, "{pysec}");
    assert_eq!(ghsa, 18);
    assert_eq!(report.imported, advisories.len());

    let dir = tempfile::tempdir().expect("tempdir");
    let path = Store::write(dir.path(), &advisories, BTreeMap::new(), "2026-12-07T00:00:00Z")
        .expect("writes");
    assert_eq!(path, Store::path(dir.path()));
    let store = Store::open(dir.path()).expect("opens");
    assert_eq!(store.advisories(), advisories.as_slice());
    let tokio: Vec<&str> =
        store.for_package(Ecosystem::CratesIo, "tokio").map(|a| a.id.as_str()).collect();
    assert!(tokio.contains(&"RUSTSEC-2021-0124"), "{tokio:?}");
    // PyPI names are looked up normalised.
    assert!(store.for_package(Ecosystem::PyPI, "Django").count() > 50);
    assert_eq!(store.for_package(Ecosystem::Npm, "tokio").count(), 0);
}

/// Files under `dir` containing `needle`.
fn count_files(dir: &Path, needle: &str) -> usize {
    let mut count = 0;
    for entry in std::fs::read_dir(dir).expect("dir") {
        let path = entry.expect("entry").path();
        if path.is_dir() {
            count += count_files(&path, needle);
        } else if std::fs::read_to_string(&path).is_ok_and(|text| text.contains(needle)) {
            count += 1;
        }
    }
    count
}

#[test]
fn missing_and_damaged_stores_are_named_and_the_old_one_stays() {
    let dir = tempfile::tempdir().expect("tempdir");
    let error = Store::open(dir.path()).expect_err("no store yet");
    assert!(error.to_string().contains("vigil vulndb import DIR"), "{error}");

    let (advisories, _) = import(&["ghsa-sample"]);
    Store::write(dir.path(), &advisories, BTreeMap::new(), "t").expect("writes");
    let good = std::fs::read_to_string(Store::path(dir.path())).expect("reads");

    // A half-written replacement beside the store does not touch it.
    std::fs::write(
        dir.path().join(STORE_DIR).join("advisories.jsonl.partial-1"),
        &good[..good.len() / 2],
    )
    .expect("writes");
    assert_eq!(Store::open(dir.path()).expect("still opens").advisories().len(), 18);

    let cases = [
        (good[..good.len() - 5].to_owned(), "line 20: expected the end marker"),
        (
            good[..good.len() - 12].to_owned(),
            "it ends after 18 of 18 advisories (an import or sync was cut short)",
        ),
        (good.lines().take(10).collect::<Vec<_>>().join("\n"), "it ends after 9 of 18 advisories"),
        (String::new(), "the file is empty"),
        ("garbage\n".to_owned(), "the first line is not a store header"),
        (
            good.replacen("\"vigil_vulndb\":1", "\"vigil_vulndb\":7", 1),
            "it is format 7, this build reads format 1",
        ),
    ];
    for (text, expected) in cases {
        std::fs::write(Store::path(dir.path()), &text).expect("writes");
        let error = Store::open(dir.path()).expect_err("damaged");
        let message = error.to_string();
        assert!(message.contains(expected), "{message}");
        assert!(message.contains("import or sync again"), "{message}");
    }
}

#[test]
fn zip_archives_import_with_bounds() {
    let mut bytes = Vec::new();
    {
        let mut zip = zip::ZipWriter::new(std::io::Cursor::new(&mut bytes));
        let options = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Stored);
        for entry in std::fs::read_dir(advisory_data("ghsa-sample/npm")).expect("dir") {
            let path = entry.expect("entry").path();
            let name = path.file_name().and_then(|n| n.to_str()).expect("name").to_owned();
            zip.start_file(name, options).expect("starts");
            zip.write_all(&std::fs::read(&path).expect("reads")).expect("writes");
        }
        zip.start_file("broken.json", options).expect("starts");
        zip.write_all(b"{\"id\":").expect("writes");
        zip.finish().expect("finishes");
    }
    let mut importer = Importer::default();
    importer.import_zip("npm/all.zip", std::io::Cursor::new(&bytes)).expect("imports");
    let (advisories, report) = importer.finish();
    assert_eq!(advisories.len(), 9);
    assert_eq!(report.problems.len(), 1);
    assert!(
        report.problems[0].starts_with("npm/all.zip:broken.json: not an OSV advisory"),
        "{:?}",
        report.problems
    );

    let mut importer = Importer::default();
    let error =
        importer.import_zip("x.zip", std::io::Cursor::new(b"not a zip")).expect_err("garbage");
    assert!(error.to_string().starts_with("x.zip: not a zip archive"), "{error}");
}

#[test]
fn imports_replace_by_id_on_top_of_a_store() {
    let (advisories, _) = import(&["ghsa-sample"]);
    let store = Store::from_advisories(advisories);
    let mut importer = Importer::on_top_of(&store);
    importer.document(
        "GHSA-27h2-hvpr-p74q.json",
        r#"{"id":"GHSA-27h2-hvpr-p74q","summary":"changed","affected":[{"package":{"ecosystem":"npm","name":"jsonwebtoken"},"versions":["8.5.1"]}]}"#,
    );
    let (advisories, report) = importer.finish();
    assert_eq!(advisories.len(), 18);
    assert_eq!(report.imported, 1);
    let changed = advisories.iter().find(|a| a.id == "GHSA-27h2-hvpr-p74q").expect("kept");
    assert_eq!(changed.summary, "changed");
}
