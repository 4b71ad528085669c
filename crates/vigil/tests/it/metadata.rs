//! `vigil metadata fetch` against a registry double on loopback that
//! answers with real recorded registry answers (npm, PyPI, the crates.io
//! index; vigil-sca's fixtures) and with what a hostile or struggling
//! registry sends (404, 429 with Retry-After, garbage, an answer too slow),
//! then `vigil scan` reading the filled cache for operational risk.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use crate::harness::Project;

/// Requests per path the double saw.
type Seen = Arc<Mutex<HashMap<String, u32>>>;

fn recorded(relative: &str) -> Vec<u8> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../vigil-sca/tests/fixtures/registry")
        .join(relative);
    std::fs::read(path).unwrap()
}

fn count(seen: &Seen, key: &str) -> u32 {
    let mut seen = seen.lock().unwrap();
    let counter = seen.entry(key.to_owned()).or_default();
    *counter += 1;
    *counter
}

async fn npm(State(seen): State<Seen>, Path(name): Path<String>) -> Response {
    count(&seen, &format!("npm/{name}"));
    match name.as_str() {
        "left-pad" => recorded("npm/left-pad.json").into_response(),
        "garbage" => "<html>502 Bad Gateway</html>".into_response(),
        "slow" => {
            tokio::time::sleep(Duration::from_secs(3)).await;
            recorded("npm/left-pad.json").into_response()
        }
        _ => (StatusCode::NOT_FOUND, "").into_response(),
    }
}

async fn pypi(State(seen): State<Seen>, Path(name): Path<String>) -> Response {
    let times = count(&seen, &format!("pypi/{name}"));
    match name.as_str() {
        // Throttled once: 429 with Retry-After, then the answer.
        "requests" if times == 1 => {
            let mut headers = HeaderMap::new();
            headers.insert("retry-after", HeaderValue::from_static("1"));
            (StatusCode::TOO_MANY_REQUESTS, headers, "slow down").into_response()
        }
        "requests" => recorded("pypi/requests.json").into_response(),
        "pycrypto" => recorded("pypi/pycrypto.json").into_response(),
        _ => (StatusCode::NOT_FOUND, "").into_response(),
    }
}

async fn index(
    State(seen): State<Seen>,
    Path((_, _, name)): Path<(String, String, String)>,
) -> Response {
    count(&seen, &format!("index/{name}"));
    match name.as_str() {
        "serde" => recorded("crates-index/serde").into_response(),
        "itoa" => recorded("crates-index/itoa").into_response(),
        "ring" => recorded("crates-index/ring").into_response(),
        _ => (StatusCode::NOT_FOUND, "").into_response(),
    }
}

/// Crate downloads: two recorded archives, ring's first 64 KiB followed
/// by 4 MiB that are never needed, and for serde another crate's archive.
async fn download(
    State(seen): State<Seen>,
    Path((name, file)): Path<(String, String)>,
) -> Response {
    count(&seen, &format!("download/{file}"));
    match (name.as_str(), file.as_str()) {
        ("itoa", "itoa-1.0.11.crate") => {
            recorded("crates-archive/itoa-1.0.11.crate").into_response()
        }
        ("ring", "ring-0.16.20.crate") => {
            let mut body = recorded("crates-archive/ring-0.16.20.crate.first-64KiB");
            body.resize(body.len() + 4 * 1024 * 1024, 0);
            body.into_response()
        }
        ("serde", _) => recorded("crates-archive/untrusted-0.7.1.crate").into_response(),
        _ => (StatusCode::NOT_FOUND, "").into_response(),
    }
}

const PACKAGE_LOCK: &str = r#"{
  "name": "app",
  "version": "1.0.0",
  "lockfileVersion": 3,
  "requires": true,
  "packages": {
    "": { "name": "app", "version": "1.0.0", "dependencies": { "left-pad": "1.3.0", "garbage": "1.0.0", "slow": "1.0.0", "missing": "1.0.0" } },
    "node_modules/left-pad": { "version": "1.3.0", "license": "WTFPL" },
    "node_modules/garbage": { "version": "1.0.0" },
    "node_modules/slow": { "version": "1.0.0" },
    "node_modules/missing": { "version": "1.0.0" }
  }
}
"#;

const CARGO_LOCK: &str = "version = 4\n\n[[package]]\nname = \"app\"\nversion = \"0.1.0\"\ndependencies = [\"itoa\", \"ring\", \"serde\"]\n\n[[package]]\nname = \"itoa\"\nversion = \"1.0.11\"\nsource = \"registry+https://github.com/rust-lang/crates.io-index\"\n\n[[package]]\nname = \"ring\"\nversion = \"0.16.20\"\nsource = \"registry+https://github.com/rust-lang/crates.io-index\"\n\n[[package]]\nname = \"serde\"\nversion = \"1.0.95\"\nsource = \"registry+https://github.com/rust-lang/crates.io-index\"\n";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fetched_metadata_survives_a_hostile_registry_and_feeds_operational_risk() {
    let seen: Seen = Arc::default();
    let app = axum::Router::new()
        .route("/npm/{name}", get(npm))
        .route("/pypi/{name}/json", get(pypi))
        .route("/index/{a}/{b}/{name}", get(index))
        .route("/crates/{name}/{file}", get(download))
        .with_state(seen.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });

    let project = Project::new();
    project
        .write("requirements.txt", "requests==2.32.0\npycrypto==2.6.1\nnowhere==1.0\n")
        .write("package-lock.json", PACKAGE_LOCK)
        .write("Cargo.lock", CARGO_LOCK);
    let data = project.path("data").display().to_string();
    let args: Vec<String> = [
        "metadata",
        "fetch",
        ".",
        "--data-dir",
        &data,
        "--timeout",
        "1",
        "--npm-url",
        &format!("{base}/npm"),
        "--pypi-url",
        &format!("{base}/pypi"),
        "--crates-index-url",
        &format!("{base}/index"),
        "--crates-download-url",
        &format!("{base}/crates"),
    ]
    .iter()
    .map(|arg| (*arg).to_owned())
    .collect();
    let fetch_args: Vec<&str> = args.iter().map(String::as_str).collect();
    let fetch = {
        let (project_root, args) = (project.root().to_owned(), args.clone());
        tokio::task::spawn_blocking(move || {
            crate::harness::run(
                std::process::Command::new(crate::harness::binary())
                    .args(&args)
                    .current_dir(project_root),
            )
        })
        .await
        .unwrap()
    };
    // garbage and slow failed, named with why; the rest went in.
    assert_eq!(fetch.code, 1, "{fetch:?}");
    assert!(fetch.stderr.contains("6 fetched"), "{fetch:?}");
    // Two crate licenses read; serde's download is another crate's.
    assert!(fetch.stderr.contains("2 crate licenses read"), "{fetch:?}");
    assert!(
        fetch.stderr.contains(
            "serde 1.0.95: crates.io download answer has an unexpected shape: it holds no serde-1.0.95/Cargo.toml"
        ),
        "{fetch:?}"
    );
    assert!(fetch.stderr.contains("garbage: npm registry answer is not valid JSON"), "{fetch:?}");
    assert!(fetch.stderr.contains("slow: the npm registry did not answer"), "{fetch:?}");
    let counts = seen.lock().unwrap().clone();
    assert_eq!(counts.get("pypi/requests"), Some(&2), "one 429, then the answer: {counts:?}");
    assert_eq!(counts.get("npm/slow"), Some(&3), "three tries, no more: {counts:?}");
    assert_eq!(counts.get("npm/missing"), Some(&1), "a 404 is not asked again: {counts:?}");

    // A second run asks only for what is not cached fresh.
    let again = project.vigil(&fetch_args);
    // The two packages their registries do not know are remembered too.
    assert!(again.stderr.contains("8 already fresh"), "{again:?}");
    assert_eq!(seen.lock().unwrap().get("pypi/requests"), Some(&2));
    // A download read once is not read again; the one that failed is.
    let counts = seen.lock().unwrap().clone();
    assert_eq!(counts.get("download/itoa-1.0.11.crate"), Some(&1), "{counts:?}");
    assert_eq!(counts.get("download/ring-0.16.20.crate"), Some(&1), "{counts:?}");
    assert_eq!(counts.get("download/serde-1.0.95.crate"), Some(&2), "{counts:?}");
    assert_eq!(counts.get("npm/missing"), Some(&1), "a 404 is remembered: {counts:?}");
    assert_eq!(counts.get("pypi/nowhere"), Some(&1), "{counts:?}");

    // The scan reads the cache: the yanked requests and the abandoned
    // pycrypto are operational risks, on their lockfile lines.
    let scan = project.vigil(&[
        "scan",
        "--only",
        "operational_risk",
        "--data-dir",
        &data,
        "--format",
        "json",
        ".",
    ]);
    let findings = scan.json()["findings"].as_array().unwrap().clone();
    let risky: Vec<(String, u64)> = findings
        .iter()
        .filter(|finding| finding["rule_id"] == "SCA005")
        .map(|finding| {
            (
                finding["package"]["name"].as_str().unwrap().to_owned(),
                finding["location"]["start_line"].as_u64().unwrap(),
            )
        })
        .collect();
    assert!(risky.contains(&("requests".to_owned(), 1)), "{scan:?}");
    assert!(risky.contains(&("pycrypto".to_owned(), 2)), "{scan:?}");
    let requests =
        findings.iter().find(|finding| finding["package"]["name"] == "requests").unwrap();
    assert!(requests["title"].as_str().unwrap().contains("this version was yanked"), "{requests}");

    // A license scan alone reads the registry licenses from the same cache:
    // requests is Apache-2.0 by PyPI's word, which this policy denies.
    project.write("vigil.toml", "[licenses]\ndeny = [\"Apache-2.0\"]\n");
    let licenses =
        project.vigil(&["scan", "--only", "license", "--data-dir", &data, "--format", "json", "."]);
    let report = licenses.json();
    let titles: Vec<&str> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|finding| finding["rule_id"] == "LIC001")
        .map(|finding| finding["title"].as_str().unwrap())
        .collect();
    assert!(titles.contains(&"requests 2.32.0: Apache-2.0 (permissive)"), "{licenses:?}");
    // ... and the crate licenses read from the downloads: itoa's "MIT OR
    // Apache-2.0" passes by MIT; ring names a license file.
    assert!(!titles.iter().any(|title| title.starts_with("itoa")), "{licenses:?}");
    let ring = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|finding| finding["package"]["name"] == "ring")
        .unwrap_or_else(|| panic!("{licenses:?}"));
    assert_eq!(ring["rule_id"], "LIC002", "{ring}");
    assert!(ring["remediation"].as_str().unwrap().contains("license file (`LICENSE`)"), "{ring}");
}

/// A registry that answers 500 to everything is left alone after 10
/// requests in a row, not asked three times for each of 30 packages; the
/// packages are named with why.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_registry_that_stops_answering_is_not_asked_again_in_the_run() {
    let seen: Seen = Arc::default();
    let app = axum::Router::new()
        .route(
            "/npm/{name}",
            get(|State(seen): State<Seen>, Path(name): Path<String>| async move {
                count(&seen, &name);
                (StatusCode::INTERNAL_SERVER_ERROR, "down")
            }),
        )
        .with_state(seen.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });

    let packages: Vec<String> = (0..30)
        .map(|index| format!("\"node_modules/pkg-{index}\": {{ \"version\": \"1.0.0\" }}"))
        .collect();
    let lock = format!(
        "{{\"name\": \"app\", \"lockfileVersion\": 3, \"packages\": {{ \"\": {{ \"name\": \"app\" }}, {} }} }}",
        packages.join(", ")
    );
    let project = Project::new();
    project.write("package-lock.json", lock);
    let data = project.path("data").display().to_string();
    let npm = format!("{base}/npm");
    let root = project.root().to_owned();
    let run = tokio::task::spawn_blocking(move || {
        crate::harness::run(
            std::process::Command::new(crate::harness::binary())
                .args(["metadata", "fetch", ".", "--data-dir", &data, "--npm-url", &npm])
                .current_dir(root),
        )
    })
    .await
    .unwrap();
    assert_eq!(run.code, 1, "{run:?}");
    assert!(run.stderr.contains("0 fetched"), "{run:?}");
    assert!(run.stderr.contains("did not answer 10 requests in a row"), "{run:?}");
    let asked: u32 = seen.lock().unwrap().values().sum();
    // 10 in a row, plus those already in flight (8 at once) and their retries.
    assert!(asked <= 30, "asked {asked} times for 30 packages");
}
