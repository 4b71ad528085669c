//! Dependency findings through the server, on the real RustSec snapshot and
//! a real lockfile with cargo-audit's answer beside it
//! (../shared/data/advisories/samples/old-deps): a scan keeps each
//! lockfile's graph; advisories imported after the scan become issues at
//! the next `vulndb` job without a rescan, with the fingerprints a rescan
//! gives; the list filters by ecosystem, package and fix available; the
//! panel shows the package, path, fix and advisory.

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use axum::http::{Method, StatusCode};
use serde_json::{Value, json};
use vigil_sca::store::{Importer, Store as AdvisoryStore};
use vigil_server::jobs::JobRunner;
use vigil_server::vulndb::{VulndbJob, rematch, run_job};
use vigil_server::worker::{WorkerPool, WorkerSettings};
use vigil_store::Queue;

use crate::TestApp;
use crate::jobs::DirectorySource;
use crate::ui::{html, signed_in};

/// old-deps' two `unsound` warnings in cargo-audit.json.
const UNSOUND: [(&str, &str); 2] =
    [("RUSTSEC-2022-0022", "hyper"), ("RUSTSEC-2018-0018", "smallvec")];

fn advisories() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/advisories")
}

/// cargo-audit's (advisory, package) pairs for the sample, vulnerabilities
/// and warnings.
fn cargo_audit_pairs(sample: &str) -> BTreeSet<(String, String)> {
    let path = advisories().join("samples").join(sample).join("cargo-audit.json");
    let report: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let mut pairs = BTreeSet::new();
    let mut add = |entry: &Value| {
        pairs.insert((
            entry["advisory"]["id"].as_str().unwrap().to_owned(),
            entry["package"]["name"].as_str().unwrap().to_owned(),
        ));
    };
    report["vulnerabilities"]["list"].as_array().unwrap().iter().for_each(&mut add);
    for list in report["warnings"].as_object().unwrap().values() {
        list.as_array().unwrap().iter().for_each(&mut add);
    }
    pairs
}

async fn scan(app: &TestApp, repository: i64) -> Value {
    let path = format!("/api/v1/repositories/{repository}/scans");
    let triggered = app.call(Method::POST, &path, &app.member, Some(json!({}))).await;
    assert_eq!(triggered.status, StatusCode::ACCEPTED, "{triggered:?}");
    let id = triggered.json["scan"]["id"].as_i64().unwrap();
    for _ in 0..1500 {
        let reply = app.get(&format!("/api/v1/scans/{id}"), &app.viewer).await;
        if matches!(reply.json["status"].as_str(), Some("succeeded" | "failed")) {
            return reply.json;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("scan {id} did not finish in 30 s");
}

async fn items(app: &TestApp, query: &str) -> Vec<Value> {
    let reply = app.get(&format!("/api/v1/issues?limit=500&{query}"), &app.viewer).await;
    assert_eq!(reply.status, StatusCode::OK, "{query}: {reply:?}");
    reply.json["items"].as_array().unwrap().clone()
}

/// A repository `group/<name>` of a new instance whose checkout holds
/// `files`, scanned by a one-worker pool with the data directory `data`.
struct Checkout {
    repository: i64,
    pool: WorkerPool,
    _sources: tempfile::TempDir,
}

async fn checkout(
    app: &TestApp,
    name: &str,
    project: i64,
    files: &[(&str, Vec<u8>)],
    data: &std::path::Path,
) -> Checkout {
    let sources = tempfile::tempdir().unwrap();
    let root = sources.path().join("group").join(name);
    std::fs::create_dir_all(&root).unwrap();
    for (file, content) in files {
        std::fs::write(root.join(file), content).unwrap();
    }
    let store = app.store();
    let instance = store
        .create_instance(&crate::new_instance("https://gitlab.example.com", 3600), Queue::now_ms())
        .await
        .unwrap();
    let repository = store
        .upsert_repository(instance.id, project, &format!("group/{name}"), "main", Queue::now_ms())
        .await
        .unwrap();
    let runner = JobRunner::new(
        store.clone(),
        Arc::new(DirectorySource { root: sources.path().to_owned() }),
    )
    .with_data_dir(data.to_owned());
    let pool = WorkerPool::start(
        store.clone(),
        runner,
        WorkerSettings { workers: 1, poll_ms: 20, ..WorkerSettings::default() },
        app.state.job_wakeup.clone(),
        app.state.metrics.clone(),
    )
    .await;
    Checkout { repository: repository.id, pool, _sources: sources }
}

#[tokio::test]
async fn advisories_published_after_a_scan_become_issues_without_a_rescan() {
    // cargo-audit's answer without its `unsound` warnings (SCA003, off in
    // the repository's vigil.toml below).
    let expected: BTreeSet<(String, String)> = cargo_audit_pairs("old-deps")
        .into_iter()
        .filter(|pair| !UNSOUND.contains(&(pair.0.as_str(), pair.1.as_str())))
        .collect();
    for app in TestApp::all().await {
        // No advisories known at the first scan.
        vigil_sca::engine::use_store(Arc::new(AdvisoryStore::from_advisories(Vec::new())));
        let sample =
            |file: &str| std::fs::read(advisories().join("samples/old-deps").join(file)).unwrap();
        // The repository switches the unsound-crate rule off and lowers
        // smallvec's vulnerability rule: a re-match must respect both.
        let files = [
            ("Cargo.lock", sample("Cargo.lock")),
            ("Cargo.toml", sample("Cargo.toml")),
            (
                "vigil.toml",
                b"[rules]\ndisable = [\"SCA003\"]\nseverity = { SCA001 = \"low\" }\n".to_vec(),
            ),
        ];
        let data = tempfile::tempdir().unwrap();
        let store = app.store();
        let Checkout { repository, pool, _sources: _checkout } =
            checkout(&app, "app", 7, &files, data.path()).await;

        let first = scan(&app, repository).await;
        assert_eq!(
            (first["status"].as_str(), first["new_issues"].as_i64()),
            (Some("succeeded"), Some(0)),
            "{}: {first}",
            app.name
        );
        let graphs = store.dependency_graphs(None, 10).await.unwrap();
        assert_eq!(graphs.len(), 1, "{}", app.name);
        assert_eq!((graphs[0].path.as_str(), graphs[0].branch.as_str()), ("Cargo.lock", "main"));

        // The RustSec snapshot arrives (as `vigil vulndb import` writes it);
        // the daily job matches the kept graph against it.
        let mut importer = Importer::default();
        importer.import_path(&advisories().join("rustsec")).unwrap();
        let (imported, _) = importer.finish();
        AdvisoryStore::write(data.path(), &imported, Default::default(), "test").unwrap();
        run_job(store, data.path(), &VulndbJob { sync: None, metadata: None }).await.unwrap();

        let found = items(&app, "status=open").await;
        let pairs: BTreeSet<(String, String)> = found
            .iter()
            .map(|issue| {
                (
                    issue["advisory"]["id"].as_str().unwrap().to_owned(),
                    issue["package"]["name"].as_str().unwrap().to_owned(),
                )
            })
            .collect();
        assert_eq!(pairs, expected, "{}: the issues are what cargo-audit reports", app.name);
        assert_eq!(found.len(), expected.len(), "{}", app.name);
        assert!(
            found
                .iter()
                .filter(|issue| issue["rule_id"] == "SCA001")
                .all(|issue| issue["severity"] == "low"),
            "{}: the severity override holds: {found:?}",
            app.name
        );
        assert!(found.iter().all(|issue| issue["rule_id"] != "SCA003"));

        // Matching again changes nothing; a rescan of the code finds the same
        // issues (same fingerprints): none new, none fixed.
        let again =
            rematch(store, vigil_sca::engine::current_store().unwrap(), None).await.unwrap();
        assert_eq!((again.graphs, again.new_issues, again.updated), (1, 0, 0), "{}", app.name);
        let second = scan(&app, repository).await;
        assert_eq!(
            (second["new_issues"].as_i64(), second["fixed_issues"].as_i64()),
            (Some(0), Some(0)),
            "{}: {second}",
            app.name
        );
        assert_eq!(second["findings"].as_i64(), Some(expected.len() as i64), "{second}");

        // Filters: ecosystem, package, fix available.
        let vulnerabilities = items(&app, "kind=vulnerability").await;
        assert!(!vulnerabilities.is_empty());
        assert_eq!(
            items(&app, "kind=vulnerability&ecosystem=crates.io").await.len(),
            vulnerabilities.len()
        );
        assert_eq!(items(&app, "ecosystem=npm").await.len(), 0);
        let bad = app.get("/api/v1/issues?ecosystem=cargo", &app.viewer).await;
        assert_eq!(bad.status, StatusCode::BAD_REQUEST);
        assert!(bad.json.to_string().contains("unknown ecosystem `cargo`"), "{bad:?}");
        let name = vulnerabilities[0]["package"]["name"].as_str().unwrap();
        let by_package = items(&app, &format!("package={name}")).await;
        assert!(!by_package.is_empty());
        assert!(by_package.iter().all(|issue| issue["package"]["name"] == name), "{by_package:?}");
        let fixable = items(&app, "kind=vulnerability&fix_available=true").await;
        let unfixable = items(&app, "kind=vulnerability&fix_available=false").await;
        assert_eq!(fixable.len() + unfixable.len(), vulnerabilities.len());
        assert!(!fixable.is_empty(), "old-deps has fixable vulnerabilities");
        assert!(
            fixable
                .iter()
                .all(|issue| !issue["package"]["fixed_versions"].as_array().unwrap().is_empty())
        );
        assert!(
            unfixable
                .iter()
                .all(|issue| issue["package"]["fixed_versions"].as_array().unwrap().is_empty())
        );

        // The panel: package, fix, advisory with its aliases, CVSS.
        let issue = fixable
            .iter()
            .find(|issue| issue["advisory"]["cvss_score_tenths"].is_number())
            .unwrap_or(&fixable[0]);
        let (session, _) = signed_in(&app).await;
        let panel =
            app.get(&format!("/issues/{}/panel?back=%2Fissues", issue["id"]), &session).await;
        assert_eq!(panel.status, StatusCode::OK);
        let panel = html(&panel);
        let package = &issue["package"];
        assert!(
            panel.contains(&format!(
                "{} {}</span>",
                package["name"].as_str().unwrap(),
                package["version"].as_str().unwrap()
            )),
            "{panel}"
        );
        let fixed = package["fixed_versions"][0].as_str().unwrap();
        assert!(panel.contains(fixed), "{panel}");
        assert!(panel.contains(issue["advisory"]["id"].as_str().unwrap()), "{panel}");
        for alias in issue["advisory"]["aliases"].as_array().unwrap() {
            assert!(panel.contains(alias.as_str().unwrap()), "{panel}");
        }
        let page = app.get("/issues?ecosystem=crates.io&fix=yes", &session).await;
        assert!(
            html(&page).contains(r#"<option value="crates.io" selected>crates.io</option>"#),
            "{page:?}"
        );
        let bad = app.get("/issues?fix=maybe", &session).await;
        assert!(html(&bad).contains("fix `maybe` is not one of: yes, no"), "{bad:?}");

        pool.shutdown().await;
        app.finish().await;
    }
}

/// The daily job's metadata step: the packages of every kept graph are
/// asked about at the registries (a loopback double answering with real
/// recorded PyPI answers), and the re-match turns what the cache says into
/// operational-risk issues (SCA005) without a rescan: the yanked requests
/// 2.32.0 and the abandoned pycrypto; urllib3 is healthy.
#[tokio::test]
async fn registry_metadata_fetched_by_the_daily_job_opens_operational_risk_issues() {
    use axum::extract::Path as UrlPath;
    use vigil_server::vulndb::{MetadataSources, fetch_metadata};

    let recorded = |name: &str| {
        std::fs::read(
            PathBuf::from(env!("CARGO_MANIFEST_DIR"))
                .join("../vigil-sca/tests/fixtures/registry/pypi")
                .join(format!("{name}.json")),
        )
        .ok()
    };
    let registry = axum::Router::new().route(
        "/pypi/{name}/json",
        axum::routing::get(move |UrlPath(name): UrlPath<String>| async move {
            match recorded(&name) {
                Some(body) => (StatusCode::OK, body),
                None => (StatusCode::NOT_FOUND, Vec::new()),
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, registry).await });

    for app in TestApp::all().await {
        let data = tempfile::tempdir().unwrap();
        let store = app.store();
        let requirements = b"requests==2.32.0\nurllib3==2.8.0\npycrypto==2.6.1\n".to_vec();
        let Checkout { repository, pool, _sources: _checkout } =
            checkout(&app, "py", 8, &[("requirements.txt", requirements)], data.path()).await;
        let first = scan(&app, repository).await;
        assert_eq!(first["status"], "succeeded", "{}: {first}", app.name);
        assert!(items(&app, "kind=operational_risk").await.is_empty(), "{}", app.name);

        let sources = MetadataSources {
            npm: format!("{base}/npm"),
            pypi: format!("{base}/pypi"),
            crates_index: format!("{base}/index"),
            crates_download: format!("{base}/crates"),
        };
        fetch_metadata(store, data.path(), &sources).await.unwrap();
        let cache = vigil_sca::metadata_cache::MetadataCache::open(
            &vigil_sca::metadata_cache::MetadataCache::dir(data.path()),
        );
        assert_eq!(cache.len(), 3, "{}", app.name);
        let report = rematch(
            store,
            Arc::new(AdvisoryStore::from_advisories(Vec::new())),
            Some(Arc::new(cache)),
        )
        .await
        .unwrap();
        assert_eq!((report.graphs, report.new_issues), (1, 2), "{}", app.name);
        let risky = items(&app, "kind=operational_risk").await;
        let mut names: Vec<(&str, &str)> = risky
            .iter()
            .map(|issue| {
                (issue["package"]["name"].as_str().unwrap(), issue["severity"].as_str().unwrap())
            })
            .collect();
        names.sort_unstable();
        assert_eq!(names, [("pycrypto", "high"), ("requests", "high")], "{}", app.name);
        // The panel names the signals and the score; no "Fixed in" row, as
        // no advisory says what fixes a risk.
        let (session, _) = signed_in(&app).await;
        let pycrypto = risky.iter().find(|issue| issue["package"]["name"] == "pycrypto").unwrap();
        let panel =
            app.get(&format!("/issues/{}/panel?back=%2Fissues", pycrypto["id"]), &session).await;
        let panel = html(&panel);
        assert!(
            panel.contains("High operational risk in pycrypto 2.6.1: last release 12 years ago"),
            "{panel}"
        );
        assert!(panel.contains("2 maintainers; risk score 91 of 100</h2>"), "{panel}");
        assert!(!panel.contains("issue-fixed-in"), "{panel}");
        pool.shutdown().await;
        app.finish().await;
    }
}
