//! The issues API: filters, sorts and cursors over real reconciled issues;
//! clear 400s for bad parameters; suppressing and lifting with the one-year
//! limit; instances with encrypted secrets; JSON errors everywhere.

use axum::http::{Method, StatusCode};
use serde_json::json;
use vigil_core::{Finding, FindingKind, Location, Severity};
use vigil_store::{NewScan, Queue, ScanScope};

use crate::TestApp;

pub(crate) async fn seed(app: &TestApp) -> i64 {
    let store = app.store();
    let instance = store
        .create_instance(&crate::new_instance("https://gitlab.example.com", 3600), Queue::now_ms())
        .await
        .unwrap();
    let repo = store
        .upsert_repository(instance.id, 7, "group/app", "main", Queue::now_ms())
        .await
        .unwrap()
        .id;
    let severities = [Severity::Critical, Severity::High, Severity::Low];
    let findings: Vec<Finding> = (0..25)
        .map(|n| {
            let location = Location::line_span(format!("src/mod_{n}.py"), 1, 1, 1, 9);
            Finding::new(
                FindingKind::Secret,
                format!("SEC{:03}", n % 4),
                format!("secret {n}"),
                severities[n % 3],
                location,
                &format!("v{n}"),
            )
        })
        .collect();
    let scan = store
        .create_scan(
            &NewScan {
                repository_id: repo,
                branch: "main".into(),
                commit_sha: None,
                trigger: "manual".into(),
                scope: ScanScope::Full,
            },
            Queue::now_ms(),
        )
        .await
        .unwrap();
    store
        .finish_scan(scan.id, &ScanScope::Full, &findings, 25, &[], Queue::now_ms())
        .await
        .unwrap();
    repo
}

#[tokio::test]
async fn issues_filter_sort_and_page() {
    for app in TestApp::all().await {
        let repo = seed(&app).await;
        let mut ids = Vec::new();
        let mut path = "/api/v1/issues?limit=10".to_owned();
        loop {
            let reply = app.get(&path, &app.viewer).await;
            assert_eq!(reply.status, StatusCode::OK, "{reply:?}");
            ids.extend(
                reply.json["items"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|issue| issue["id"].as_i64().unwrap()),
            );
            match reply.json["next_cursor"].as_str() {
                Some(cursor) => path = format!("/api/v1/issues?limit=10&cursor={cursor}"),
                None => break,
            }
        }
        assert_eq!(ids.len(), 25, "{}", app.name);
        let critical = app
            .get(
                &format!(
                    "/api/v1/issues?severity=critical&status=open&repository={repo}&kind=secret"
                ),
                &app.viewer,
            )
            .await;
        assert_eq!(critical.json["items"].as_array().unwrap().len(), 9, "{critical:?}");
        let rule = app.get("/api/v1/issues?rule=SEC001&sort=last_seen", &app.viewer).await;
        assert_eq!(rule.json["items"].as_array().unwrap().len(), 6);
        let text = app.get("/api/v1/issues?q=MOD_2", &app.viewer).await;
        assert_eq!(text.json["items"].as_array().unwrap().len(), 6, "mod_2 and mod_20..24");
        for (query, needle) in [
            ("severity=urgent", "unknown severity `urgent`"),
            ("status=closed", "unknown issue status `closed`"),
            ("kind=sast", "unknown kind `sast`"),
            ("sort=newest", "unknown sort `newest`"),
            ("limit=0", "limit must be between 1 and 500"),
            ("cursor=%%%", "invalid cursor"),
            ("repository=abc", "repository"),
        ] {
            let reply = app.get(&format!("/api/v1/issues?{query}"), &app.viewer).await;
            assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{query}: {reply:?}");
            assert_eq!(reply.json["error"], "bad_request");
            assert!(reply.json["message"].as_str().unwrap().contains(needle), "{query}: {reply:?}");
        }
        let missing = app.get("/api/v1/issues/999999", &app.viewer).await;
        assert_eq!(
            (missing.status, missing.json["message"].as_str()),
            (StatusCode::NOT_FOUND, Some("issue not found"))
        );
        assert_eq!(app.get("/api/v1/nowhere", &app.viewer).await.json["error"], "not_found");
        app.finish().await;
    }
}

#[tokio::test]
async fn suppressions_are_bounded_audited_and_lifted() {
    for app in TestApp::all().await {
        seed(&app).await;
        let issue = app.get("/api/v1/issues?limit=1", &app.viewer).await.json["items"][0]["id"]
            .as_i64()
            .unwrap();
        let path = format!("/api/v1/issues/{issue}/suppressions");
        let now = Queue::now_ms();
        for (body, needle) in [
            (json!({"reason": "", "expires_at": null}), "needs a reason"),
            (
                json!({"reason": "test key", "expires_at": now + 400 * 86_400_000_i64}),
                "at most one year",
            ),
            (json!({"reason": "test key", "expires_at": now - 1}), "in the future"),
            (json!({"reason": 5}), "reason"),
        ] {
            let reply = app.call(Method::POST, &path, &app.member, Some(body.clone())).await;
            assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{body}: {reply:?}");
            assert!(reply.json["message"].as_str().unwrap().contains(needle), "{body}: {reply:?}");
        }
        let body = json!({"reason": "fixture in tests", "expires_at": now + 30 * 86_400_000_i64});
        let created = app.call(Method::POST, &path, &app.member, Some(body.clone())).await;
        assert_eq!(created.status, StatusCode::CREATED, "{created:?}");
        assert_eq!(created.json["author"], "max");
        assert_eq!(
            app.call(Method::POST, &path, &app.member, Some(body)).await.status,
            StatusCode::CONFLICT
        );
        assert_eq!(
            app.get(&format!("/api/v1/issues/{issue}"), &app.viewer).await.json["status"],
            "suppressed"
        );
        let suppressed = app.get("/api/v1/issues?status=suppressed", &app.viewer).await;
        assert_eq!(suppressed.json["items"].as_array().unwrap().len(), 1);
        let id = created.json["id"].as_i64().unwrap();
        let lifted = app
            .call(Method::DELETE, &format!("/api/v1/suppressions/{id}"), &app.member, None)
            .await;
        assert_eq!(lifted.status, StatusCode::NO_CONTENT);
        assert_eq!(
            app.get(&format!("/api/v1/issues/{issue}"), &app.viewer).await.json["status"],
            "open"
        );
        let log = app.get("/api/v1/audit", &app.admin).await.json;
        let entries: Vec<(String, String)> = log
            .as_array()
            .unwrap()
            .iter()
            .map(|entry| {
                (
                    entry["action"].as_str().unwrap().to_owned(),
                    entry["actor"].as_str().unwrap().to_owned(),
                )
            })
            .collect();
        assert_eq!(entries.len(), 2);
        assert_eq!(entries[0].0, "suppression.lift");
        assert!(entries[1].1.starts_with("user:max token:vgl_"), "{entries:?}");
        app.finish().await;
    }
}

#[tokio::test]
async fn instances_keep_secrets_out_of_responses() {
    for app in TestApp::all().await {
        let body = json!({"name": "Main GitLab", "base_url": "https://gitlab.example.com:8443/", "client_id": "app", "client_secret": "gloas-supersecret"});
        let created =
            app.call(Method::POST, "/api/v1/instances", &app.admin, Some(body.clone())).await;
        assert_eq!(created.status, StatusCode::CREATED, "{created:?}");
        assert_eq!(created.json["base_url"], "https://gitlab.example.com:8443");
        assert_eq!(created.json["has_client_secret"], true);
        assert!(!created.json.to_string().contains("supersecret"));
        let id = created.json["id"].as_i64().unwrap();
        let generated = app.store().webhook_secret(id).await.unwrap().unwrap().unwrap();
        let rotated = app
            .call(Method::POST, &format!("/api/v1/instances/{id}/webhook-secret"), &app.admin, None)
            .await;
        let shown = rotated.json["webhook_secret"].as_str().unwrap();
        assert_ne!(shown, generated.expose(), "a new secret replaces the generated one");
        let now_stored = app.store().webhook_secret(id).await.unwrap().unwrap().unwrap();
        assert_eq!(
            (shown, rotated.json["webhook_path"].as_str()),
            (now_stored.expose(), Some(format!("/hooks/gitlab/{id}").as_str()))
        );
        assert!(
            !app.get(&format!("/api/v1/instances/{id}"), &app.viewer)
                .await
                .json
                .to_string()
                .contains(shown)
        );
        let stored = app.store().instance_secret(id, "oauth_secret_enc").await.unwrap().unwrap();
        assert_eq!(stored.expose(), "gloas-supersecret");
        assert_eq!(
            app.call(Method::POST, "/api/v1/instances", &app.admin, Some(body)).await.status,
            StatusCode::CONFLICT
        );
        for (bad, needle) in [
            (json!({"name": "x", "base_url": "gitlab.example.com"}), "must start with https://"),
            (
                json!({"name": "x", "base_url": "https://gitlab.example.com/path"}),
                "scheme and host",
            ),
            (
                json!({"name": "x", "base_url": "https://a.example", "scan_interval_s": 5}),
                "at least 300",
            ),
        ] {
            let reply =
                app.call(Method::POST, "/api/v1/instances", &app.admin, Some(bad.clone())).await;
            assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{bad}");
            assert!(reply.json["message"].as_str().unwrap().contains(needle), "{bad}: {reply:?}");
        }
        let transporter = app
            .call(Method::POST, "/api/v1/transporters", &app.admin, Some(json!({"name": "dmz-1"})))
            .await;
        assert!(transporter.json["enrolment_token"].as_str().unwrap().starts_with("vgle_"));
        let listed = app.get("/api/v1/transporters", &app.viewer).await;
        assert!(!listed.json.to_string().contains("vgle_"), "the enrolment token is shown once");
        let deleted =
            app.call(Method::DELETE, &format!("/api/v1/instances/{id}"), &app.admin, None).await;
        assert_eq!(deleted.status, StatusCode::NO_CONTENT);
        assert_eq!(
            app.get(&format!("/api/v1/instances/{id}"), &app.viewer).await.status,
            StatusCode::NOT_FOUND
        );
        // Malformed JSON and the wrong content type are JSON errors too.
        let reply = app
            .call(Method::POST, "/api/v1/transporters", &app.admin, Some(json!("not an object")))
            .await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST);
        app.finish().await;
    }
}
