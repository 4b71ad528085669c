//! Every route refuses callers without the permission it needs, and
//! missing, unknown, expired and revoked tokens; cookie sessions need the
//! CSRF token on writes. The route list comes from the OpenAPI document,
//! so a new route without an entry here fails the test.

use axum::http::{Method, StatusCode};
use serde_json::{Value, json};
use utoipa::OpenApi as _;
use vigil_server::api::ApiDoc;
use vigil_store::Queue;

use crate::{As, TestApp, user_with_token};

/// The permission each operation needs: `public`, `read`, `write` or `admin`.
const ROUTES: &[(&str, &str, &str)] = &[
    ("POST", "/api/v1/session", "public"),
    ("GET", "/api/v1/session", "read"),
    ("DELETE", "/api/v1/session", "read"),
    ("GET", "/api/v1/issues", "read"),
    ("GET", "/api/v1/issues/{id}", "read"),
    ("POST", "/api/v1/issues/{id}/suppressions", "write"),
    ("GET", "/api/v1/suppressions", "read"),
    ("DELETE", "/api/v1/suppressions/{id}", "write"),
    ("GET", "/api/v1/repositories", "read"),
    ("GET", "/api/v1/repositories/{id}", "read"),
    ("POST", "/api/v1/repositories/{id}/scans", "write"),
    ("GET", "/api/v1/scans", "read"),
    ("GET", "/api/v1/scans/{id}", "read"),
    ("GET", "/api/v1/instances", "read"),
    ("POST", "/api/v1/instances", "admin"),
    ("GET", "/api/v1/instances/{id}", "read"),
    ("DELETE", "/api/v1/instances/{id}", "admin"),
    ("POST", "/api/v1/instances/{id}/webhook-secret", "admin"),
    ("PUT", "/api/v1/instances/{id}/selection", "admin"),
    ("GET", "/api/v1/oauth-application", "admin"),
    ("POST", "/api/v1/instances/check", "admin"),
    ("GET", "/api/v1/instances/{id}/projects", "admin"),
    ("POST", "/api/v1/instances/{id}/oauth/start", "admin"),
    ("GET", "/api/v1/transporters", "read"),
    ("POST", "/api/v1/transporters", "admin"),
    ("GET", "/api/v1/transporters/{id}", "read"),
    ("DELETE", "/api/v1/transporters/{id}", "admin"),
    ("POST", "/api/v1/transporters/{id}/enrolment", "admin"),
    ("POST", "/api/v1/transporters/{id}/revoke", "admin"),
    ("POST", "/api/v1/transporters/{id}/health", "admin"),
    ("GET", "/api/v1/users", "admin"),
    ("POST", "/api/v1/users", "admin"),
    ("PATCH", "/api/v1/users/{id}", "admin"),
    ("DELETE", "/api/v1/users/{id}", "admin"),
    ("GET", "/api/v1/tokens", "read"),
    ("POST", "/api/v1/tokens", "read"),
    ("DELETE", "/api/v1/tokens/{id}", "read"),
    ("GET", "/api/v1/audit", "admin"),
    ("GET", "/api/v1/settings/policy", "read"),
    ("PUT", "/api/v1/settings/policy", "admin"),
];

fn documented_operations() -> Vec<(String, String)> {
    let doc: Value = serde_json::to_value(ApiDoc::openapi()).unwrap();
    let mut operations = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys() {
            operations.push((method.to_uppercase(), path.clone()));
        }
    }
    operations.sort();
    operations
}

fn method(name: &str) -> Method {
    Method::from_bytes(name.as_bytes()).unwrap()
}

#[tokio::test]
async fn every_documented_route_has_an_access_rule() {
    let mut listed: Vec<(String, String)> =
        ROUTES.iter().map(|(method, path, _)| ((*method).to_owned(), (*path).to_owned())).collect();
    listed.sort();
    assert_eq!(
        documented_operations(),
        listed,
        "ROUTES must list exactly the documented operations"
    );
}

#[tokio::test]
async fn every_route_refuses_the_wrong_role_and_bad_tokens() {
    for app in TestApp::all().await {
        let now = Queue::now_ms();
        // A token that expired, one that was revoked, and an admin's read-scoped token.
        let expired = {
            let (secret, prefix) = vigil_server::auth::new_api_token();
            let user = app.store().user_with_password("ada").await.unwrap().unwrap().0;
            let hash = vigil_server::auth::token_hash(&secret);
            app.store()
                .create_token(user.id, "old", &hash, &prefix, "admin", now - 10, Some(now - 1))
                .await
                .unwrap();
            As::Token(secret)
        };
        let revoked = user_with_token(app.store(), "ada", "admin", "admin").await;
        let revoked_id = app.store().tokens(None).await.unwrap()[0].id;
        app.store().revoke_token(revoked_id, now).await.unwrap();
        let admin_read_scope =
            As::Token(user_with_token(app.store(), "ada", "admin", "read").await);

        for (method_name, path, needed) in ROUTES {
            if *needed == "public" {
                continue;
            }
            let path = path.replace("{id}", "999999");
            let body = (*method_name == "POST" || *method_name == "PATCH").then(|| json!({}));
            let call = |who: As| {
                let (body, path) = (body.clone(), path.clone());
                let app = &app;
                async move { app.call(method(method_name), &path, &who, body).await }
            };
            for (who, label, expected) in [
                (As::Nobody, "no credentials", StatusCode::UNAUTHORIZED),
                (As::Token("vgl_not-a-token".into()), "unknown token", StatusCode::UNAUTHORIZED),
                (expired.clone(), "expired token", StatusCode::UNAUTHORIZED),
                (As::Token(revoked.clone()), "revoked token", StatusCode::UNAUTHORIZED),
            ] {
                let reply = call(who).await;
                assert_eq!(
                    reply.status, expected,
                    "{} {method_name} {path} with {label}: {reply:?}",
                    app.name
                );
                assert_eq!(reply.json["error"], "unauthorized", "{method_name} {path}");
            }
            let refused: &[(&As, &str)] = match *needed {
                "admin" => &[
                    (&app.viewer, "viewer"),
                    (&app.member, "member"),
                    (&admin_read_scope, "admin with read token"),
                ],
                "write" => &[(&app.viewer, "viewer"), (&admin_read_scope, "admin with read token")],
                _ => &[],
            };
            for (who, label) in refused {
                let reply = call((*who).clone()).await;
                assert_eq!(
                    reply.status,
                    StatusCode::FORBIDDEN,
                    "{} {method_name} {path} as {label}: {reply:?}",
                    app.name
                );
                assert_eq!(reply.json["error"], "forbidden");
            }
            // The right permission gets past authorisation (to a 404 or 400 about the body).
            let allowed = match *needed {
                "admin" => &app.admin,
                "write" => &app.member,
                _ => &app.viewer,
            };
            let reply = call(allowed.clone()).await;
            assert!(
                !matches!(reply.status, StatusCode::UNAUTHORIZED | StatusCode::FORBIDDEN),
                "{} {method_name} {path} with {needed}: {reply:?}",
                app.name
            );
            assert!(reply.status.as_u16() < 500, "{method_name} {path}: {reply:?}");
        }
        app.finish().await;
    }
}

/// Password guessing is throttled: after five wrong passwords the account
/// answers 429 with `Retry-After`, even to the right password, and no
/// password is checked meanwhile.
#[tokio::test]
async fn repeated_wrong_passwords_are_throttled() {
    for app in TestApp::all().await {
        let attempt = |password: &'static str| {
            app.call(
                Method::POST,
                "/api/v1/session",
                &As::Nobody,
                Some(json!({"username": "ada", "password": password})),
            )
        };
        for n in 0..5 {
            let reply = attempt("wrong password!").await;
            assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "attempt {n}: {reply:?}");
        }
        assert_eq!(attempt("wrong password!").await.status, StatusCode::UNAUTHORIZED);
        let throttled = attempt("correct horse battery").await;
        assert_eq!(throttled.status, StatusCode::TOO_MANY_REQUESTS, "{throttled:?}");
        assert_eq!(throttled.json["error"], "too_many_requests");
        let retry_after: u64 = throttled.headers["retry-after"].to_str().unwrap().parse().unwrap();
        assert!((1..=900).contains(&retry_after), "{retry_after}");
        app.finish().await;
    }
}

#[tokio::test]
async fn sessions_need_the_csrf_token_on_writes() {
    for app in TestApp::all().await {
        let wrong = app
            .call(
                Method::POST,
                "/api/v1/session",
                &As::Nobody,
                Some(json!({"username": "ada", "password": "wrong password!"})),
            )
            .await;
        assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
        let unknown = app
            .call(
                Method::POST,
                "/api/v1/session",
                &As::Nobody,
                Some(json!({"username": "nobody", "password": "correct horse battery"})),
            )
            .await;
        assert_eq!(
            (unknown.status, &unknown.json["message"]),
            (wrong.status, &wrong.json["message"]),
            "same answer"
        );
        let signed_in = app
            .call(
                Method::POST,
                "/api/v1/session",
                &As::Nobody,
                Some(json!({"username": "ada", "password": "correct horse battery"})),
            )
            .await;
        assert_eq!(signed_in.status, StatusCode::OK, "{signed_in:?}");
        let set_cookie = signed_in.headers["set-cookie"].to_str().unwrap().to_owned();
        assert!(
            set_cookie.contains("HttpOnly") && set_cookie.contains("SameSite=Lax"),
            "{set_cookie}"
        );
        let cookie = set_cookie.split(';').next().unwrap().to_owned();
        let csrf = signed_in.json["csrf_token"].as_str().unwrap().to_owned();

        let no_csrf = As::Session { cookie: cookie.clone(), csrf: None };
        let bad_csrf = As::Session { cookie: cookie.clone(), csrf: Some("forged".into()) };
        let good = As::Session { cookie: cookie.clone(), csrf: Some(csrf.clone()) };
        assert_eq!(
            app.get("/api/v1/issues", &no_csrf).await.status,
            StatusCode::OK,
            "reads need no CSRF token"
        );
        let token_request = json!({"name": "laptop", "scope": "read"});
        for who in [&no_csrf, &bad_csrf] {
            let reply =
                app.call(Method::POST, "/api/v1/tokens", who, Some(token_request.clone())).await;
            assert_eq!(reply.status, StatusCode::FORBIDDEN, "{reply:?}");
            assert!(reply.json["message"].as_str().unwrap().contains("CSRF"));
        }
        let created = app.call(Method::POST, "/api/v1/tokens", &good, Some(token_request)).await;
        assert_eq!(created.status, StatusCode::CREATED, "{created:?}");
        let secret = created.json["secret"].as_str().unwrap().to_owned();
        assert!(secret.starts_with("vgl_"));
        assert!(
            !serde_json::to_string(&app.get("/api/v1/tokens", &good).await.json)
                .unwrap()
                .contains(&secret)
        );
        // The new token works, then is revoked and stops working.
        assert_eq!(
            app.get("/api/v1/issues", &As::Token(secret.clone())).await.status,
            StatusCode::OK
        );
        let id = created.json["token"]["id"].as_i64().unwrap();
        assert_eq!(
            app.call(Method::DELETE, &format!("/api/v1/tokens/{id}"), &good, None).await.status,
            StatusCode::NO_CONTENT
        );
        let after = app.get("/api/v1/issues", &As::Token(secret)).await;
        assert_eq!(after.status, StatusCode::UNAUTHORIZED);
        assert!(after.json["message"].as_str().unwrap().contains("revoked"), "{after:?}");
        // Sign out ends the session.
        assert_eq!(
            app.call(Method::DELETE, "/api/v1/session", &good, None).await.status,
            StatusCode::NO_CONTENT
        );
        assert_eq!(app.get("/api/v1/issues", &no_csrf).await.status, StatusCode::UNAUTHORIZED);
        // Every write above is in the audit log.
        let log = app.get("/api/v1/audit", &app.admin).await.json;
        let actions: Vec<&str> =
            log.as_array().unwrap().iter().map(|entry| entry["action"].as_str().unwrap()).collect();
        assert_eq!(actions, ["token.revoke", "token.create", "session.create"]);
        app.finish().await;
    }
}

#[tokio::test]
async fn users_cannot_lose_the_last_admin_or_exceed_their_role() {
    for app in TestApp::all().await {
        let users = app.get("/api/v1/users", &app.admin).await.json;
        let ada = users.as_array().unwrap().iter().find(|user| user["username"] == "ada").unwrap()
            ["id"]
            .as_i64()
            .unwrap();
        let demote = app
            .call(
                Method::PATCH,
                &format!("/api/v1/users/{ada}"),
                &app.admin,
                Some(json!({"role": "viewer"})),
            )
            .await;
        assert_eq!(demote.status, StatusCode::CONFLICT, "{demote:?}");
        let weak = app
            .call(
                Method::POST,
                "/api/v1/users",
                &app.admin,
                Some(json!({"username": "bo", "password": "short", "role": "member"})),
            )
            .await;
        assert_eq!(weak.status, StatusCode::BAD_REQUEST);
        let bad_role = app
            .call(
                Method::POST,
                "/api/v1/users",
                &app.admin,
                Some(json!({"username": "bo", "password": "long enough pass", "role": "owner"})),
            )
            .await;
        assert!(
            bad_role.json["message"].as_str().unwrap().contains("unknown role `owner`"),
            "{bad_role:?}"
        );
        let escalate = app
            .call(
                Method::POST,
                "/api/v1/tokens",
                &app.viewer,
                Some(json!({"name": "x", "scope": "admin"})),
            )
            .await;
        assert_eq!(escalate.status, StatusCode::FORBIDDEN, "{escalate:?}");
        let created = app
            .call(
                Method::POST,
                "/api/v1/users",
                &app.admin,
                Some(json!({"username": "bo", "password": "long enough pass", "role": "member"})),
            )
            .await;
        assert_eq!(created.status, StatusCode::CREATED, "{created:?}");
        let duplicate = app
            .call(
                Method::POST,
                "/api/v1/users",
                &app.admin,
                Some(json!({"username": "bo", "password": "long enough pass", "role": "member"})),
            )
            .await;
        assert_eq!(
            (duplicate.status, duplicate.json["error"].as_str()),
            (StatusCode::CONFLICT, Some("conflict"))
        );
        app.finish().await;
    }
}

/// A NUL byte in a name, a filter or a sign-in is a 400 naming it on every
/// backend (PostgreSQL answered 500: it cannot store one), and nothing is
/// stored.
#[tokio::test]
async fn nul_bytes_are_refused_at_the_boundary() {
    for app in TestApp::all().await {
        let cases = [
            (
                Method::POST,
                "/api/v1/session",
                Some(json!({"username": "ad\u{0}a", "password": "x"})),
            ),
            (Method::GET, "/api/v1/issues?path=a%00b", None),
            (Method::GET, "/api/v1/repositories?search=%00", None),
            (
                Method::POST,
                "/api/v1/instances",
                Some(json!({"name": "git\u{0}lab", "base_url": "https://gitlab.example.com"})),
            ),
        ];
        for (method, path, body) in cases {
            let reply = app.call(method.clone(), path, &app.admin, body).await;
            assert_eq!(
                reply.status,
                StatusCode::BAD_REQUEST,
                "{} {method} {path}: {reply:?}",
                app.name
            );
            assert!(
                reply.json["message"].as_str().unwrap_or("").contains("NUL byte"),
                "{method} {path}: {reply:?}"
            );
        }
        let form = app
            .form("/login", &As::Nobody, "username=ad%00a&password=correct+horse+battery&next=%2F")
            .await;
        assert_eq!(form.status, StatusCode::BAD_REQUEST, "{}: {form:?}", app.name);
        assert!(app.store().instances().await.unwrap().is_empty());
        app.finish().await;
    }
}
