//! Server tests over HTTP `oneshot` calls to `app(state)`, on every
//! backend: SQLite always, PostgreSQL when `VIGIL_TEST_DATABASE_URL` is set.

// Test helpers outside #[test] functions may panic: a panic is a test failure.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod access;
mod dependencies;
mod hooks;
mod issues;
mod jobs;
mod onboarding;
mod ui;

use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use serde_json::Value;
use tower::ServiceExt as _;
use vigil_server::{AppState, ServerSettings, app, auth};
use vigil_store::testing::TestStore;
use vigil_store::{Keyring, Queue, Store};

/// How a request authenticates.
#[derive(Debug, Clone)]
pub(crate) enum As {
    Nobody,
    Token(String),
    /// Session cookie, with the CSRF token to send (or not).
    Session {
        cookie: String,
        csrf: Option<String>,
    },
}

pub(crate) struct TestApp {
    pub(crate) name: &'static str,
    pub(crate) state: AppState,
    pub(crate) test: TestStore,
    /// Tokens of an admin, a member and a viewer, all with full scope.
    pub(crate) admin: As,
    pub(crate) member: As,
    pub(crate) viewer: As,
}

pub(crate) struct Reply {
    pub(crate) status: StatusCode,
    pub(crate) json: Value,
    pub(crate) headers: axum::http::HeaderMap,
}

impl std::fmt::Debug for Reply {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.status, self.json)
    }
}

/// A GitLab instance at `base_url` with no secrets yet.
pub(crate) fn new_instance(
    base_url: impl Into<String>,
    scan_interval_s: i64,
) -> vigil_store::NewInstance {
    vigil_store::NewInstance {
        name: "gitlab".into(),
        base_url: base_url.into(),
        oauth_client_id: None,
        oauth_client_secret: None,
        transporter_id: None,
        scan_interval_s,
        created_by: None,
    }
}

pub(crate) fn store_with_key(store: &Store) -> Store {
    store.clone().with_keyring(Keyring::from_base64(&Keyring::generate_key(), "test").unwrap())
}

/// Creates a user with a token of `scope`; returns the token.
pub(crate) async fn user_with_token(
    store: &Store,
    username: &str,
    role: &str,
    scope: &str,
) -> String {
    let now = Queue::now_ms();
    let user = match store.user_with_password(username).await.unwrap() {
        Some((user, _)) => user,
        None => store
            .create_user(
                username,
                &auth::hash_password("correct horse battery").unwrap(),
                role,
                now,
            )
            .await
            .unwrap(),
    };
    let (secret, prefix) = auth::new_api_token();
    store
        .create_token(user.id, "test", &auth::token_hash(&secret), &prefix, scope, now, None)
        .await
        .unwrap();
    secret
}

impl TestApp {
    pub(crate) async fn all() -> Vec<TestApp> {
        let mut apps = Vec::new();
        for test in vigil_store::testing::stores("vigil-server").await.unwrap() {
            let store = store_with_key(&test.store);
            let state = AppState::new(store.clone(), ServerSettings::default());
            let admin = As::Token(user_with_token(&store, "ada", "admin", "admin").await);
            let member = As::Token(user_with_token(&store, "max", "member", "write").await);
            let viewer = As::Token(user_with_token(&store, "val", "viewer", "read").await);
            apps.push(TestApp { name: test.name, state, test, admin, member, viewer });
        }
        apps
    }

    pub(crate) fn store(&self) -> &Store {
        &self.state.store
    }

    pub(crate) async fn call(
        &self,
        method: Method,
        path: &str,
        who: &As,
        body: Option<Value>,
    ) -> Reply {
        match body {
            Some(body) => {
                let body = Body::from(body.to_string());
                self.send(
                    method,
                    path,
                    who,
                    &[(header::CONTENT_TYPE.as_str(), "application/json")],
                    body,
                )
                .await
            }
            None => self.send(method, path, who, &[], Body::empty()).await,
        }
    }

    /// Posts an HTML form (`a=1&b=2`) as htmx does.
    pub(crate) async fn form(&self, path: &str, who: &As, form: &str) -> Reply {
        let headers = [
            (header::CONTENT_TYPE.as_str(), "application/x-www-form-urlencoded"),
            ("hx-request", "true"),
        ];
        self.send(Method::POST, path, who, &headers, Body::from(form.to_owned())).await
    }

    async fn send(
        &self,
        method: Method,
        path: &str,
        who: &As,
        headers: &[(&str, &str)],
        body: Body,
    ) -> Reply {
        let mut request = Request::builder().method(method).uri(path);
        match who {
            As::Nobody => {}
            As::Token(token) => {
                request = request.header(header::AUTHORIZATION, format!("Bearer {token}"))
            }
            As::Session { cookie, csrf } => {
                request = request.header(header::COOKIE, cookie.as_str());
                if let Some(csrf) = csrf {
                    request = request.header("x-csrf-token", csrf.as_str());
                }
            }
        }
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let response = app(self.state.clone()).oneshot(request.body(body).unwrap()).await.unwrap();
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = axum::body::to_bytes(response.into_body(), 1 << 24).await.unwrap();
        let json = serde_json::from_slice(&bytes)
            .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into_owned()));
        Reply { status, json, headers }
    }

    pub(crate) async fn get(&self, path: &str, who: &As) -> Reply {
        self.call(Method::GET, path, who, None).await
    }

    pub(crate) async fn finish(self) {
        self.test.drop_database().await.unwrap();
    }
}
