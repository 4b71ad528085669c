//! The Web UI: server-rendered pages (askama templates under
//! `templates/`, typed structs here) with htmx for partial updates, and
//! the static assets (`assets/`: stylesheet, script, vendored htmx)
//! embedded in the binary with rust-embed. Nothing is fetched from another
//! host: the Content-Security-Policy allows only this origin.
//!
//! **Architecture invariant:** the pages hold no logic of their own that
//! the REST API also has: writes call the same `api` handlers (validation,
//! audit, jobs), so the UI and the API cannot drift apart. Pages sign in
//! with the same session cookie; every write carries the session's CSRF
//! token in `X-CSRF-Token` (htmx sends it from `<body hx-headers>`).
//!
//! One module per page family: `session` (sign-in), `dashboard`,
//! `integrations` (catalogue, instances, the onboarding wizard in
//! `wizard`), `brokers`, `repositories` (and scans), `issues`, `settings`
//! (users and API tokens); `svg` draws the dashboard's charts.

mod brokers;
mod dashboard;
mod format;
mod integrations;
mod issues;
mod policy;
mod problem;
mod repositories;
mod session;
mod settings;
mod svg;
mod wizard;

use askama::Template;
use axum::Router;
use axum::extract::{FromRequestParts, OriginalUri};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use rust_embed::RustEmbed;
use vigil_store::User;

use crate::AppState;
use crate::auth::{self, Caller, Permission};
use crate::error::AppError;
pub(crate) use dashboard::DashboardCache;

/// The embedded static files.
#[derive(RustEmbed)]
#[folder = "assets/"]
struct Assets;

/// Every page's policy: this origin only, no inline script, no eval.
const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
     connect-src 'self'; form-action 'self' http: https:; frame-ancestors 'none'; base-uri 'none'";

pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route("/assets/{*path}", get(asset))
        .merge(session::router())
        .merge(dashboard::router())
        .merge(integrations::router())
        .merge(wizard::router())
        .merge(brokers::router())
        .merge(repositories::router())
        .merge(issues::router())
        .merge(settings::router())
        .merge(policy::router())
        // Pages and assets are text: gzip sends a fifth of the bytes.
        .layer(tower_http::compression::CompressionLayer::new())
}

async fn asset(
    axum::extract::Path(path): axum::extract::Path<String>,
    headers: HeaderMap,
) -> Response {
    let Some(file) = Assets::get(&path) else {
        return (StatusCode::NOT_FOUND, "no such asset").into_response();
    };
    let etag = format!(
        "\"{}\"",
        file.metadata
            .sha256_hash()
            .iter()
            .take(12)
            .map(|byte| format!("{byte:02x}"))
            .collect::<String>()
    );
    if headers.get(header::IF_NONE_MATCH).and_then(|value| value.to_str().ok())
        == Some(etag.as_str())
    {
        return StatusCode::NOT_MODIFIED.into_response();
    }
    let content_type = match path.rsplit_once('.').map(|(_, extension)| extension) {
        Some("css") => "text/css; charset=utf-8",
        Some("js") => "text/javascript; charset=utf-8",
        Some("svg") => "image/svg+xml",
        _ => "application/octet-stream",
    };
    (
        [
            (header::CONTENT_TYPE, content_type.to_owned()),
            (header::ETAG, etag),
            (header::CACHE_CONTROL, "public, max-age=3600, must-revalidate".to_owned()),
        ],
        file.data,
    )
        .into_response()
}

/// What the frame of every signed-in page shows: who is signed in, their
/// CSRF token for htmx, and which section is current.
#[derive(Debug, Clone)]
pub(crate) struct Chrome {
    pub(crate) user: User,
    pub(crate) csrf: String,
    pub(crate) section: &'static str,
    pub(crate) admin: bool,
    pub(crate) member: bool,
}

impl Chrome {
    /// The `hx-headers` value of `<body>`.
    pub(crate) fn hx_headers(&self) -> String {
        serde_json::json!({ "X-CSRF-Token": self.csrf }).to_string()
    }

    pub(crate) fn is(&self, section: &str) -> bool {
        self.section == section
    }
}

/// A signed-in person with at least permission `P`; pages redirect to the
/// sign-in page when there is no session.
#[derive(Debug, Clone)]
pub(crate) struct Signed<const P: u8> {
    pub(crate) caller: Caller,
    csrf: String,
}

/// Anyone signed in.
pub(crate) type Anyone = Signed<0>;
/// A member or admin (may triage issues, trigger scans).
pub(crate) type Member = Signed<1>;
/// An admin (instances, brokers, users).
pub(crate) type Admin = Signed<2>;

impl<const P: u8> Signed<P> {
    pub(crate) fn chrome(&self, section: &'static str) -> Chrome {
        Chrome {
            user: self.caller.user.clone(),
            csrf: self.csrf.clone(),
            section,
            admin: self.caller.permission >= Permission::Admin,
            member: self.caller.permission >= Permission::Write,
        }
    }

    /// The same person as the API's extractors see them.
    pub(crate) fn api_admin(&self) -> auth::Admin {
        auth::Admin(self.caller.clone())
    }

    pub(crate) fn api_member(&self) -> auth::Member {
        auth::Member(self.caller.clone())
    }

    pub(crate) fn api_viewer(&self) -> auth::Viewer {
        auth::Viewer(self.caller.clone())
    }
}

impl<const P: u8> FromRequestParts<AppState> for Signed<P> {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        let needed = match P {
            0 => Permission::Read,
            1 => Permission::Write,
            _ => Permission::Admin,
        };
        match auth::require(parts, state, needed).await {
            Ok(caller) => {
                // API tokens work on pages too; they have no CSRF token
                // (and need none: no browser sends them by itself).
                let csrf = match &caller.credential {
                    auth::Credential::Session { csrf } => csrf.clone(),
                    auth::Credential::Token { .. } => String::new(),
                };
                Ok(Signed { caller, csrf })
            }
            Err(error) if error.status() == StatusCode::UNAUTHORIZED => {
                let uri = OriginalUri::from_request_parts(parts, state)
                    .await
                    .map(|OriginalUri(uri)| uri.to_string())
                    .unwrap_or_else(|_| "/".to_owned());
                let next =
                    if parts.method == axum::http::Method::GET { uri } else { "/".to_owned() };
                Err(redirect(&parts.headers, &format!("/login?next={}", format::encode(&next))))
            }
            Err(error) => Err(PageError(error).into_response()),
        }
    }
}

/// Instance `id`, or a 404 page.
pub(crate) async fn instance(state: &AppState, id: i64) -> PageResult<vigil_store::Instance> {
    Ok(state.store.instance(id).await?.ok_or_else(|| AppError::not_found("instance"))?)
}

/// Every repository as `(id, path)`, by path: the repository menus.
pub(crate) async fn repository_choices(state: &AppState) -> PageResult<Vec<(i64, String)>> {
    let repositories = state.store.repositories(None).await?;
    Ok(repositories.into_iter().map(|repository| (repository.id, repository.path)).collect())
}

/// Sends the browser to `to`: a 303 for plain navigation, `HX-Redirect`
/// for htmx requests (which would otherwise swap the target into place).
pub(crate) fn redirect(request: &HeaderMap, to: &str) -> Response {
    let location = HeaderValue::from_str(to).unwrap_or(HeaderValue::from_static("/"));
    if request.contains_key("hx-request") {
        let mut response = StatusCode::NO_CONTENT.into_response();
        response.headers_mut().insert("hx-redirect", location);
        return response;
    }
    let mut response = StatusCode::SEE_OTHER.into_response();
    response.headers_mut().insert(header::LOCATION, location);
    response
}

/// A rendered template with the page headers.
pub(crate) fn render(status: StatusCode, template: &impl Template) -> Response {
    match template.render() {
        Ok(html) => (status, [(header::CONTENT_SECURITY_POLICY, CSP)], Html(html)).into_response(),
        Err(error) => PageError(AppError::internal(&error)).into_response(),
    }
}

/// A page's result.
pub(crate) type PageResult<T = Response> = Result<T, PageError>;

/// A failure shown as a page (not JSON): the status, what went wrong and a
/// way back.
#[derive(Debug)]
pub(crate) struct PageError(pub(crate) AppError);

impl From<AppError> for PageError {
    fn from(error: AppError) -> PageError {
        PageError(error)
    }
}

impl From<vigil_store::StoreError> for PageError {
    fn from(error: vigil_store::StoreError) -> PageError {
        PageError(AppError::from(error))
    }
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage {
    status: u16,
    title: &'static str,
    message: String,
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        let status = self.0.status();
        let title = match status.as_u16() {
            400 => "That did not work",
            403 => "Not allowed",
            404 => "Not found",
            409 => "Conflict",
            502 => "GitLab did not answer",
            _ => "Something went wrong",
        };
        let page = ErrorPage { status: status.as_u16(), title, message: self.0.to_string() };
        match page.render() {
            Ok(html) => {
                (status, [(header::CONTENT_SECURITY_POLICY, CSP)], Html(html)).into_response()
            }
            Err(_) => (status, self.0.to_string()).into_response(),
        }
    }
}
