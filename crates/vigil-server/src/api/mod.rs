//! The REST API under `/api/v1`, its OpenAPI 3.1 document at
//! `/api/v1/openapi.json` and a reference page at `/api/docs`. One module
//! per resource, each with a `router()`; shared shapes (pages, cursors,
//! the audit helper) live here.

pub(crate) mod instances;
pub(crate) mod issues;
pub(crate) mod oauth;
pub(crate) mod scans;
pub(crate) mod session;
pub(crate) mod settings;
pub(crate) mod transporters;
pub(crate) mod users;

use axum::Json;
use axum::Router;
use axum::response::Html;
use axum::routing::get;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::Serialize;
use utoipa::OpenApi;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use vigil_store::Queue;

use crate::AppState;
use crate::auth::Caller;
use crate::error::{AppError, ErrorBody};

/// A page of a list: the items and the cursor of the next page, if any.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Page<T> {
    /// The items.
    pub items: Vec<T>,
    /// Pass as `cursor` to get the next page; absent on the last page.
    pub next_cursor: Option<String>,
}

/// Encodes a keyset position as an opaque cursor.
pub(crate) fn encode_cursor(key: i64, id: i64) -> String {
    URL_SAFE_NO_PAD.encode(format!("{key}.{id}"))
}

/// Decodes a cursor made by [`encode_cursor`].
pub(crate) fn decode_cursor(cursor: &str) -> Result<(i64, i64), AppError> {
    let bad = || {
        AppError::bad_request("invalid cursor: pass the next_cursor of a previous page unchanged")
    };
    let text = URL_SAFE_NO_PAD.decode(cursor).map_err(|_| bad())?;
    let text = String::from_utf8(text).map_err(|_| bad())?;
    let (key, id) = text.split_once('.').ok_or_else(bad)?;
    Ok((key.parse().map_err(|_| bad())?, id.parse().map_err(|_| bad())?))
}

/// Checks a page size: 1 to 500, default 50.
pub(crate) fn page_size(limit: Option<i64>) -> Result<i64, AppError> {
    match limit {
        None => Ok(50),
        Some(limit @ 1..=500) => Ok(limit),
        Some(other) => {
            Err(AppError::bad_request(format!("limit must be between 1 and 500, not {other}")))
        }
    }
}

/// Records a write in the audit log.
pub(crate) async fn audit(
    state: &AppState,
    caller: &Caller,
    action: &str,
    target: String,
    detail: &str,
) -> Result<(), AppError> {
    state.store.audit(&caller.actor(), action, &target, detail, Queue::now_ms()).await?;
    Ok(())
}

struct SecuritySchemes;

impl utoipa::Modify for SecuritySchemes {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "token",
            SecurityScheme::Http(
                HttpBuilder::new().scheme(HttpAuthScheme::Bearer).bearer_format("vgl_…").build(),
            ),
        );
        components.add_security_scheme(
            "session",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::new(crate::auth::SESSION_COOKIE))),
        );
    }
}

/// The OpenAPI document.
#[derive(OpenApi)]
#[openapi(
    info(title = "Vigil API", version = "1", description = "Vigil's REST API. Authenticate with `Authorization: Bearer <token>` (create tokens at POST /api/v1/tokens) or a session cookie from POST /api/v1/session; cookie-authenticated writes need the session's CSRF token in `X-CSRF-Token`. Errors are `{error, message}`."),
    modifiers(&SecuritySchemes),
    paths(
        session::sign_in, session::whoami, session::sign_out,
        issues::list_issues, issues::get_issue, issues::suppress_issue, issues::list_suppressions, issues::lift_suppression,
        scans::list_repositories, scans::get_repository, scans::trigger_scan, scans::list_scans, scans::get_scan,
        instances::list_instances, instances::create_instance, instances::get_instance, instances::delete_instance,
        instances::check_domain, instances::rotate_webhook_secret, instances::set_selection, instances::list_projects,
        oauth::oauth_application, oauth::start,
        transporters::list_transporters, transporters::create_transporter, transporters::get_transporter,
        transporters::delete_transporter, transporters::renew_enrolment, transporters::revoke, transporters::check_health,
        users::list_users, users::create_user, users::update_user, users::delete_user,
        users::list_tokens, users::create_token, users::revoke_token, users::list_audit,
        settings::get_policy, settings::set_policy,
    ),
    components(schemas(ErrorBody)),
    tags(
        (name = "session", description = "Signing in and out"),
        (name = "issues", description = "Issues and suppressions"),
        (name = "scans", description = "Repositories and scans"),
        (name = "instances", description = "GitLab instances and transporters"),
        (name = "users", description = "Users, API tokens and the audit log"),
        (name = "settings", description = "Server-wide settings: the default policy"),
    )
)]
pub struct ApiDoc;

async fn openapi_json() -> Json<utoipa::openapi::OpenApi> {
    Json(ApiDoc::openapi())
}

/// A plain reference page rendered from the OpenAPI document (no scripts,
/// nothing fetched from the network).
async fn docs_page() -> Html<String> {
    let doc = ApiDoc::openapi();
    let mut html = String::from(
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>Vigil API</title>\
         <style>body{font:15px system-ui;max-width:60em;margin:2em auto;padding:0 1em}code{background:#f3f3f3;padding:0 .3em}\
         h2{margin-top:2em}.m{display:inline-block;width:4.5em;font-weight:bold}</style></head><body><h1>Vigil API</h1>",
    );
    html.push_str("<p>Machine-readable: <a href=\"/api/v1/openapi.json\">/api/v1/openapi.json</a> (OpenAPI 3.1).</p>");
    if let Some(description) = &doc.info.description {
        html.push_str(&format!("<p>{}</p>", escape(description)));
    }
    for (path, item) in &doc.paths.paths {
        let operations = [
            ("GET", &item.get),
            ("POST", &item.post),
            ("PATCH", &item.patch),
            ("PUT", &item.put),
            ("DELETE", &item.delete),
        ];
        for (method, operation) in operations {
            let Some(operation) = operation else { continue };
            html.push_str(&format!(
                "<h2><span class=\"m\">{method}</span><code>{}</code></h2><p>{}</p>",
                escape(path),
                escape(
                    operation.description.as_deref().or(operation.summary.as_deref()).unwrap_or("")
                )
            ));
            if let Some(parameters) = &operation.parameters {
                html.push_str("<ul>");
                for parameter in parameters {
                    html.push_str(&format!(
                        "<li><code>{}</code> {}</li>",
                        escape(&parameter.name),
                        escape(parameter.description.as_deref().unwrap_or(""))
                    ));
                }
                html.push_str("</ul>");
            }
        }
    }
    html.push_str("</body></html>");
    Html(html)
}

pub(crate) fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// Every API route.
pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/openapi.json", get(openapi_json))
        .route("/api/docs", get(docs_page))
        .merge(session::router())
        .merge(issues::router())
        .merge(scans::router())
        .merge(instances::router())
        .merge(oauth::router())
        .merge(transporters::router())
        .merge(users::router())
        .merge(settings::router())
        .fallback(|| async { AppError::not_found("route") })
}
