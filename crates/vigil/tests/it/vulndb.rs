//! `vigil vulndb` and dependency scans end to end: importing the shared
//! advisory snapshots, scanning real lockfiles against them, and syncing
//! from a local HTTP server that answers archives, 304, 404, 500 and
//! garbage, as osv.dev and broken mirrors do.

use std::io::Write as _;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use axum::http::{HeaderMap, StatusCode, header};
use axum::response::IntoResponse;

use crate::harness::Project;

fn shared(rel: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/advisories").join(rel)
}

#[test]
fn imported_advisories_find_what_cargo_audit_finds() {
    let project = Project::new();
    let data = project.path("data");
    let data = data.to_str().unwrap();
    let rustsec = shared("rustsec");
    let run = project.vigil(&["vulndb", "import", rustsec.to_str().unwrap(), "--data-dir", data]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(run.stderr.contains("Imported 1192 advisories from 1205 files in "), "{run:?}");
    assert!(run.stderr.contains("(13 withdrawn and 0 of other ecosystems skipped)"), "{run:?}");

    let lock = std::fs::read_to_string(shared("samples/old-deps/Cargo.lock")).unwrap();
    project.write("app/Cargo.lock", lock);
    let run = project.vigil(&[
        "scan",
        "app",
        "--data-dir",
        data,
        "--only",
        "vulnerability",
        "--format",
        "json",
    ]);
    assert_eq!(run.code, 1, "{run:?}");
    let report = run.json();
    let mut ids: Vec<String> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            format!(
                "{} {}",
                f["advisory"]["id"].as_str().unwrap(),
                f["package"]["name"].as_str().unwrap()
            )
        })
        .collect();
    ids.sort();
    // samples/README.md: cargo-audit's six vulnerabilities of old-deps.
    assert_eq!(
        ids,
        [
            "RUSTSEC-2020-0071 time",
            "RUSTSEC-2020-0159 chrono",
            "RUSTSEC-2021-0003 smallvec",
            "RUSTSEC-2021-0078 hyper",
            "RUSTSEC-2021-0079 hyper",
            "RUSTSEC-2026-0258 h2",
        ]
    );
}

#[test]
fn without_a_store_only_an_explicit_request_fails() {
    let project = Project::new();
    project.write(
        "Cargo.lock",
        std::fs::read_to_string(shared("samples/old-deps/Cargo.lock")).unwrap(),
    );
    let run = project.vigil(&["scan", ".", "--data-dir", "none", "--only", "vulnerability"]);
    assert_eq!(run.code, 2, "{run:?}");
    assert!(run.stderr.contains("--only vulnerability: no advisory store at"), "{run:?}");
    assert!(run.stderr.contains("vigil vulndb import DIR"), "{run:?}");

    let run = project.vigil(&["scan", ".", "--data-dir", "none"]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(
        run.stderr.contains("dependencies of 1 lockfile(s) were not checked for vulnerabilities"),
        "{run:?}"
    );
}

/// The archive osv.dev would serve for npm: the GHSA sample's npm advisories.
fn npm_archive() -> Vec<u8> {
    let mut bytes = Vec::new();
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(&mut bytes));
    let options =
        zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    let mut paths: Vec<PathBuf> =
        std::fs::read_dir(shared("ghsa-sample/npm")).unwrap().map(|e| e.unwrap().path()).collect();
    paths.sort();
    for path in paths {
        zip.start_file(path.file_name().unwrap().to_str().unwrap(), options).unwrap();
        zip.write_all(&std::fs::read(&path).unwrap()).unwrap();
    }
    zip.finish().unwrap();
    bytes
}

/// A mirror on a loopback port; counts the full downloads of npm.
fn mirror(downloads: Arc<AtomicUsize>) -> SocketAddr {
    let archive = Arc::new(npm_archive());
    let (sender, receiver) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        runtime.block_on(async move {
            let npm = move |headers: HeaderMap| {
                let archive = archive.clone();
                let downloads = downloads.clone();
                async move {
                    if headers.get(header::IF_NONE_MATCH).is_some_and(|v| v == "\"npm-1\"") {
                        return StatusCode::NOT_MODIFIED.into_response();
                    }
                    downloads.fetch_add(1, Ordering::SeqCst);
                    ([(header::ETAG, "\"npm-1\"")], archive.to_vec()).into_response()
                }
            };
            let app = axum::Router::new()
                .route("/npm/all.zip", axum::routing::get(npm))
                .route(
                    "/Go/all.zip",
                    axum::routing::get(|| async { StatusCode::INTERNAL_SERVER_ERROR }),
                )
                .route(
                    "/Maven/all.zip",
                    axum::routing::get(|| async { "<html>a login page</html>" }),
                );
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            sender.send(listener.local_addr().unwrap()).unwrap();
            axum::serve(listener, app).await.unwrap();
        });
    });
    receiver.recv().unwrap()
}

#[test]
fn sync_downloads_changed_archives_and_keeps_the_rest_when_a_mirror_fails() {
    let downloads = Arc::new(AtomicUsize::new(0));
    let address = mirror(downloads.clone());
    let project = Project::new();
    let url = format!("http://{address}");
    let sync = |ecosystems: &str| {
        project.vigil(&[
            "vulndb",
            "sync",
            "--url",
            &url,
            "--ecosystems",
            ecosystems,
            "--data-dir",
            "data",
        ])
    };

    let run = sync("npm,Go,Maven,PyPI");
    assert_eq!(run.code, 2, "a failed archive is exit 2: {run:?}");
    let lines: Vec<&str> = run.stderr.lines().collect();
    assert!(lines.contains(&"npm: downloaded a new archive"), "{run:?}");
    assert!(run.stderr.contains(&format!("warning: Go: {url}/Go/all.zip answered 500 Internal Server Error; no advisories of it yet")), "{run:?}");
    assert!(
        run.stderr.contains("warning: Maven: ") && run.stderr.contains("not a zip archive"),
        "{run:?}"
    );
    assert!(
        run.stderr.contains(&format!("warning: PyPI: {url}/PyPI/all.zip answered 404 Not Found")),
        "{run:?}"
    );
    assert!(run.stderr.contains("holds 9 advisories"), "{run:?}");
    assert_eq!(downloads.load(Ordering::SeqCst), 1);

    // Nothing changed: the ETag answers 304, the store stays.
    let run = sync("npm");
    assert_eq!(run.code, 0, "{run:?}");
    assert!(
        run.stderr.contains("npm: unchanged") && run.stderr.contains("The store is up to date."),
        "{run:?}"
    );
    assert_eq!(downloads.load(Ordering::SeqCst), 1);

    // The synced store finds the vulnerable jsonwebtoken of a package-lock.json.
    project.write(
        "web/package-lock.json",
        r#"{"name":"web","lockfileVersion":3,"requires":true,"packages":{"":{"name":"web","dependencies":{"jsonwebtoken":"^8.5.1"}},"node_modules/jsonwebtoken":{"version":"8.5.1","resolved":"https://registry.npmjs.org/jsonwebtoken/-/jsonwebtoken-8.5.1.tgz"}}}"#,
    );
    let run = project.vigil(&[
        "scan",
        "web",
        "--data-dir",
        "data",
        "--only",
        "vulnerability",
        "--format",
        "json",
    ]);
    assert_eq!(run.code, 1, "{run:?}");
    let report = run.json();
    let finding = &report["findings"][0];
    assert_eq!(finding["advisory"]["id"], "GHSA-27h2-hvpr-p74q");
    assert_eq!(finding["package"]["dependency"], "direct");
    assert_eq!(finding["package"]["fixed_versions"][0], "9.0.0");
    assert_eq!(finding["location"]["path"], "package-lock.json");
}
