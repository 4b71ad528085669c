//! The plain onboarding page for GitLab Self Managed, `GET /setup/gitlab`:
//! one HTML page whose script walks the wizard's steps (Configure Domain,
//! Register OAuth App, Set Client ID and Secret, then — back from GitLab's
//! consent at `/setup/gitlab?instance=ID` — Select Repositories) through
//! the REST API with the admin's session and its CSRF token. The page holds
//! no data; every call it makes is an `/api/v1` route with its own access
//! rule. The Web UI replaces it with the full wizard.

use axum::Router;
use axum::http::header;
use axum::response::{Html, IntoResponse};
use axum::routing::get;

use crate::AppState;

/// The page.
pub const GITLAB_PAGE: &str = include_str!("setup/gitlab.html");

pub(crate) fn router() -> Router<AppState> {
    Router::new().route("/setup/gitlab", get(gitlab))
}

async fn gitlab() -> impl IntoResponse {
    // No third-party origin: scripts and styles are the page's own.
    (
        [(
            header::CONTENT_SECURITY_POLICY,
            "default-src 'self'; script-src 'unsafe-inline'; style-src 'unsafe-inline'",
        )],
        Html(GITLAB_PAGE),
    )
}
