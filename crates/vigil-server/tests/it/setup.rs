//! The plain onboarding page: served to anyone (it holds no data), and
//! every API call its script makes is a documented route with that method,
//! so the page cannot drift from the API it drives.

use axum::http::{Method, StatusCode};

use crate::{As, TestApp};

/// (method, path template) of every `api("METHOD", "/api/v1/…")` call in
/// the page's script; `${…}` becomes `{id}`, the query is dropped.
fn calls(page: &str) -> Vec<(String, String)> {
    let mut calls = Vec::new();
    for piece in page.split("api(\"").skip(1) {
        let Some((method, rest)) = piece.split_once('"') else { continue };
        let rest = rest.trim_start_matches(", ");
        let Some(quote) = rest.chars().next().filter(|c| *c == '"' || *c == '`') else { continue };
        let literal: String = rest[1..].chars().take_while(|c| *c != quote && *c != '?').collect();
        let mut path = String::new();
        let mut rest = literal.as_str();
        while let Some(start) = rest.find("${") {
            path.push_str(&rest[..start]);
            path.push_str("{id}");
            rest = rest[start..].split_once('}').map_or("", |(_, after)| after);
        }
        path.push_str(rest);
        calls.push((method.to_owned(), path));
    }
    calls
}

#[tokio::test]
async fn the_onboarding_page_calls_only_documented_routes() {
    let app = TestApp::all().await.into_iter().next().unwrap();
    let page = app.get("/setup/gitlab", &As::Nobody).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.headers["content-type"].to_str().unwrap().starts_with("text/html"));
    let html = page.json.as_str().unwrap();
    for step in [
        "Configure Domain",
        "Register OAuth App",
        "Set Client ID and Secret",
        "Select Repositories",
    ] {
        assert!(html.contains(step), "{step}");
    }
    let document = app.get("/api/v1/openapi.json", &As::Nobody).await.json;
    let calls = calls(html);
    assert!(calls.len() >= 9, "{calls:?}");
    for (method, path) in &calls {
        let operation = &document["paths"][path.as_str()][method.to_lowercase()];
        assert!(operation.is_object(), "{method} {path} is not a documented route");
    }
    let unknown = app.call(Method::GET, "/setup/unknown", &As::Nobody, None).await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
    app.finish().await;
}
