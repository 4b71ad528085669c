//! The simulated REST API v4: authentication, faults, pagination and the
//! endpoints, answering with GitLab's status codes, headers and bodies.
//! Every route is registered in `router`; merge request and repository
//! handlers live in `merge_requests_api.rs` and `repository_api.rs`.

// Handlers return ready-made error responses; boxing them would only add
// noise to a test double.
#![allow(clippy::result_large_err)]

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use axum::Json;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, Query, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use futures::StreamExt as _;
use serde_json::{Value, json};

use crate::merge_requests_api as mr;
use crate::repository_api as repo;
use crate::state::{Fault, Hook, MAINTAINER, Project, SimState, User};

#[derive(Clone)]
pub(crate) struct Shared {
    pub(crate) state: Arc<Mutex<SimState>>,
    pub(crate) base_url: String,
}

impl Shared {
    pub(crate) fn lock(&self) -> MutexGuard<'_, SimState> {
        self.state.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

pub(crate) fn router(state: Arc<Mutex<SimState>>, base_url: String) -> Router {
    let shared = Shared { state, base_url };
    Router::new()
        .route("/api/v4/version", get(version))
        .route("/api/v4/user", get(current_user))
        .route("/api/v4/projects", get(list_projects))
        .route("/api/v4/projects/{id}", get(get_project))
        .route("/api/v4/projects/{id}/hooks", get(list_hooks).post(create_hook))
        .route("/api/v4/projects/{id}/repository/{archive}", get(archive))
        .route("/api/v4/projects/{id}/hooks/{hook}", delete(delete_hook).put(update_hook))
        .merge(crate::system_hooks::router())
        .merge(crate::oauth::router(Arc::clone(&shared.state)))
        .route("/api/v4/projects/{id}/merge_requests/{iid}", get(mr::get_merge_request))
        .route("/api/v4/projects/{id}/merge_requests/{iid}/diffs", get(mr::diffs))
        .route("/api/v4/projects/{id}/merge_requests/{iid}/versions", get(mr::versions))
        .route(
            "/api/v4/projects/{id}/merge_requests/{iid}/notes",
            get(mr::list_notes).post(mr::create_note),
        )
        .route(
            "/api/v4/projects/{id}/merge_requests/{iid}/notes/{note}",
            get(mr::get_note).put(mr::update_note),
        )
        .route(
            "/api/v4/projects/{id}/merge_requests/{iid}/discussions",
            get(mr::list_discussions).post(mr::create_discussion),
        )
        .route("/api/v4/projects/{id}/statuses/{sha}", post(repo::create_status))
        .route("/api/v4/projects/{id}/repository/commits/{sha}", get(repo::commit))
        .route("/api/v4/projects/{id}/repository/commits/{sha}/statuses", get(repo::statuses))
        .route("/api/v4/projects/{id}/repository/compare", get(repo::compare))
        .route("/api/v4/projects/{id}/repository/files/{path}/raw", get(repo::raw_file))
        .route("/api/v4/projects/{id}/repository/tree", get(repo::tree))
        .fallback(|| async { gitlab_error(StatusCode::NOT_FOUND, "404 Not Found") })
        .layer(middleware::from_fn_with_state(shared.clone(), faults))
        .with_state(shared)
}

/// GitLab's usual error body: `{"message": "..."}`.
pub(crate) fn gitlab_error(status: StatusCode, message: &str) -> Response {
    (status, Json(json!({ "message": message }))).into_response()
}

/// Logs the request and applies a pending fault for its path.
async fn faults(State(shared): State<Shared>, request: Request, next: Next) -> Response {
    let path = request.uri().path().to_owned();
    let fault = {
        let mut state = shared.lock();
        let query = request.uri().query().map(|query| format!("?{query}")).unwrap_or_default();
        state.requests.push(format!("{} {path}{query}", request.method()));
        state.take_fault(&path)
    };
    match fault {
        Some(Fault::TooManyRequests { retry_after }) => {
            // GitLab's throttle answers plain text, not JSON.
            let mut response = (StatusCode::TOO_MANY_REQUESTS, "Retry later\n").into_response();
            response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(retry_after));
            response
        }
        Some(Fault::TooManyRequestsUnsaid) => {
            (StatusCode::TOO_MANY_REQUESTS, "Retry later\n").into_response()
        }
        Some(Fault::ServerError) => {
            gitlab_error(StatusCode::INTERNAL_SERVER_ERROR, "500 Internal Server Error")
        }
        Some(Fault::Delay(ms)) => {
            tokio::time::sleep(Duration::from_millis(ms)).await;
            next.run(request).await
        }
        Some(Fault::Trickle { pieces, pause_ms }) => {
            let (parts, body) = next.run(request).await.into_parts();
            let Ok(bytes) = axum::body::to_bytes(body, usize::MAX).await else {
                return gitlab_error(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "500 Internal Server Error",
                );
            };
            let size = bytes.len().div_ceil(pieces.max(1) as usize).max(1);
            let chunks = (0..bytes.len())
                .step_by(size)
                .enumerate()
                .map(move |(index, at)| (index, bytes.slice(at..bytes.len().min(at + size))));
            let stream = futures::stream::iter(chunks).then(move |(index, chunk)| async move {
                if index > 0 {
                    tokio::time::sleep(Duration::from_millis(pause_ms)).await;
                }
                Ok::<_, std::io::Error>(chunk)
            });
            Response::from_parts(parts, axum::body::Body::from_stream(stream))
        }
        Some(Fault::QuotaExhausted { reset_in }) => {
            let mut response = next.run(request).await;
            let reset = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |now| now.as_secs())
                + reset_in;
            let headers = response.headers_mut();
            headers.insert("ratelimit-limit", HeaderValue::from(600));
            headers.insert("ratelimit-remaining", HeaderValue::from(0));
            headers.insert("ratelimit-reset", HeaderValue::from(reset));
            response
        }
        Some(Fault::Oversized { status, bytes, declared, part_bytes, pause_ms }) => {
            oversized(status, bytes, declared, part_bytes, pause_ms)
        }
        Some(Fault::Answer { status, body }) => {
            let status = StatusCode::from_u16(status).unwrap_or(StatusCode::OK);
            (status, [(header::CONTENT_TYPE, "application/json")], body).into_response()
        }
        Some(Fault::NextLink(url)) => {
            let mut response = next.run(request).await;
            if let Ok(value) = HeaderValue::from_str(&format!("<{url}>; rel=\"next\"")) {
                response.headers_mut().insert(header::LINK, value);
            }
            response
        }
        None => next.run(request).await,
    }
}

/// A body of `bytes` spaces made as it is sent, `part_bytes` at a time.
fn oversized(status: u16, bytes: u64, declared: bool, part_bytes: u64, pause_ms: u64) -> Response {
    let size = part_bytes.clamp(1, 1 << 20);
    let part = axum::body::Bytes::from(vec![b' '; size as usize]);
    let stream = futures::stream::iter((0..bytes).step_by(size as usize)).then(move |at| {
        let part = part.slice(..(bytes - at).min(size) as usize);
        async move {
            if pause_ms > 0 && at > 0 {
                tokio::time::sleep(Duration::from_millis(pause_ms)).await;
            }
            Ok::<_, std::io::Error>(part)
        }
    });
    let mut response = Response::new(axum::body::Body::from_stream(stream));
    *response.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::OK);
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    if declared {
        response.headers_mut().insert(header::CONTENT_LENGTH, HeaderValue::from(bytes));
    }
    response
}

/// The user a request authenticates as: `Authorization: Bearer` (OAuth) or
/// `PRIVATE-TOKEN`.
pub(crate) fn authenticate(shared: &Shared, headers: &HeaderMap) -> Result<User, Response> {
    let bearer = headers
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Bearer ").or_else(|| value.strip_prefix("bearer ")));
    let private = headers.get("private-token").and_then(|value| value.to_str().ok());
    let Some(token) = bearer.or(private) else {
        return Err(gitlab_error(StatusCode::UNAUTHORIZED, "401 Unauthorized"));
    };
    let state = shared.lock();
    if state.revoked.iter().any(|revoked| revoked == token) {
        let mut response = (
            StatusCode::UNAUTHORIZED,
            Json(json!({"error": "invalid_token", "error_description": "Token was revoked. You have to re-authorize from the user."})),
        )
            .into_response();
        response.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Bearer realm=\"Doorkeeper\", error=\"invalid_token\", error_description=\"Token was revoked. You have to re-authorize from the user.\""),
        );
        return Err(response);
    }
    if let Some(response) = crate::oauth::refused(&state, token) {
        return Err(response);
    }
    state
        .tokens
        .get(token)
        .and_then(|id| state.users.get(id))
        .cloned()
        .ok_or_else(|| gitlab_error(StatusCode::UNAUTHORIZED, "401 Unauthorized"))
}

async fn version(State(shared): State<Shared>, headers: HeaderMap) -> Response {
    if let Err(response) = authenticate(&shared, &headers) {
        return response;
    }
    Json(json!({"version": "17.11.2-ee", "revision": "6f8e3a1b2c4"})).into_response()
}

pub(crate) fn user_json(user: &User, base_url: &str) -> Value {
    json!({
        "id": user.id, "username": user.username, "name": user.username, "state": "active", "locked": false,
        "avatar_url": null, "web_url": format!("{base_url}/{}", user.username), "created_at": "2024-01-15T09:00:00.000Z",
        "is_admin": user.admin, "bot": false,
    })
}

async fn current_user(State(shared): State<Shared>, headers: HeaderMap) -> Response {
    match authenticate(&shared, &headers) {
        Ok(user) => Json(user_json(&user, &shared.base_url)).into_response(),
        Err(response) => response,
    }
}

fn project_json(project: &Project, user: &User, base_url: &str) -> Value {
    let (namespace, name) =
        project.path_with_namespace.rsplit_once('/').unwrap_or(("", &project.path_with_namespace));
    let access = project
        .members
        .get(&user.id)
        .map(|level| json!({"access_level": level, "notification_level": 3}));
    json!({
        "id": project.id, "description": null, "name": name, "name_with_namespace": project.path_with_namespace.replace('/', " / "),
        "path": name, "path_with_namespace": project.path_with_namespace, "created_at": "2024-01-15T09:00:00.000Z",
        "default_branch": project.default_branch, "tag_list": [], "topics": [],
        "ssh_url_to_repo": format!("git@sim:{}.git", project.path_with_namespace),
        "http_url_to_repo": format!("{base_url}/{}.git", project.path_with_namespace),
        "web_url": format!("{base_url}/{}", project.path_with_namespace), "readme_url": null, "avatar_url": null,
        "forks_count": 0, "star_count": 0, "last_activity_at": "2024-01-15T09:00:00.000Z", "visibility": "private",
        "archived": false, "empty_repo": false,
        "namespace": {"id": 1, "name": namespace, "path": namespace, "kind": "group", "full_path": namespace, "parent_id": null, "avatar_url": null, "web_url": format!("{base_url}/groups/{namespace}")},
        // An admin who is not a member gets null access levels.
        "permissions": {"project_access": access, "group_access": null},
    })
}

/// `simple=true` answers GitLab's basic project entity: exactly these
/// fields (its schema allows no others), no permissions.
const BASIC_PROJECT_FIELDS: [&str; 18] = [
    "id",
    "description",
    "name",
    "name_with_namespace",
    "path",
    "path_with_namespace",
    "created_at",
    "default_branch",
    "tag_list",
    "ssh_url_to_repo",
    "http_url_to_repo",
    "web_url",
    "readme_url",
    "avatar_url",
    "forks_count",
    "star_count",
    "last_activity_at",
    "namespace",
];

fn project_body(project: &Project, user: &User, base_url: &str, simple: bool) -> Value {
    let mut body = project_json(project, user, base_url);
    if simple {
        if let Some(object) = body.as_object_mut() {
            object.retain(|key, _| BASIC_PROJECT_FIELDS.contains(&key.as_str()));
        }
    }
    body
}

/// Projects `user` can see, by id.
fn visible<'a>(state: &'a SimState, user: &User) -> impl Iterator<Item = &'a Project> {
    let (id, admin) = (user.id, user.admin);
    state.projects.values().filter(move |project| admin || project.members.contains_key(&id))
}

pub(crate) fn param<T: std::str::FromStr>(
    params: &HashMap<String, String>,
    name: &str,
) -> Option<T> {
    params.get(name).and_then(|value| value.parse().ok())
}

async fn list_projects(
    State(shared): State<Shared>,
    headers: HeaderMap,
    Query(params): Query<HashMap<String, String>>,
) -> Response {
    let user = match authenticate(&shared, &headers) {
        Ok(user) => user,
        Err(response) => return response,
    };
    let state = shared.lock();
    let membership = params.get("membership").is_some_and(|value| value == "true");
    let min_access: u32 = param(&params, "min_access_level").unwrap_or(0);
    let per_page = param::<usize>(&params, "per_page").unwrap_or(20).clamp(1, 100);
    let mut projects: Vec<&Project> = visible(&state, &user)
        .filter(|project| {
            let level = project.members.get(&user.id).copied();
            (!membership || level.is_some())
                && (min_access == 0 || level.is_some_and(|level| level >= min_access))
        })
        // GitLab's `search` matches the path and name, ignoring case.
        .filter(|project| {
            params.get("search").is_none_or(|search| {
                project.path_with_namespace.to_lowercase().contains(&search.to_lowercase())
            })
        })
        .collect();
    let url = format!("{}/api/v4/projects", shared.base_url);
    let simple = params.get("simple").is_some_and(|value| value == "true");
    if params.get("pagination").map(String::as_str) == Some("keyset") {
        // Keyset: only a Link header; a full page has rel="next" even when
        // it is the last one, and the end is an empty page.
        let after: u64 = param(&params, "id_after").unwrap_or(0);
        projects.retain(|project| project.id > after);
        projects.truncate(per_page);
        let body: Vec<Value> = projects
            .iter()
            .map(|project| project_body(project, &user, &shared.base_url, simple))
            .collect();
        let mut response = Json(body).into_response();
        if let Some(last) = projects.last().filter(|_| projects.len() == per_page) {
            let mut query: Vec<(String, String)> = params
                .iter()
                .filter(|(key, _)| *key != "id_after")
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect();
            query.sort();
            query.push(("id_after".into(), last.id.to_string()));
            let query: Vec<String> =
                query.iter().map(|(key, value)| format!("{key}={value}")).collect();
            let link = format!("<{url}?{}>; rel=\"next\"", query.join("&"));
            if let Ok(value) = HeaderValue::from_str(&link) {
                response.headers_mut().insert(header::LINK, value);
            }
        }
        return response;
    }
    // GitLab lists projects newest first by default.
    projects.sort_by_key(|project| std::cmp::Reverse(project.id));
    let items = projects
        .iter()
        .map(|project| project_body(project, &user, &shared.base_url, simple))
        .collect();
    mr::offset_page(items, &params, &url)
}

/// The project named by `:id`, numeric or URL-encoded path, if `user` can
/// see it (GitLab answers 404, not 403, for projects you cannot see).
pub(crate) fn find_project(state: &SimState, user: &User, id: &str) -> Result<Project, Response> {
    let found = match id.parse::<u64>() {
        Ok(number) => state.projects.get(&number),
        Err(_) => state.projects.values().find(|project| project.path_with_namespace == id),
    };
    found
        .filter(|project| user.admin || project.members.contains_key(&user.id))
        .cloned()
        .ok_or_else(|| gitlab_error(StatusCode::NOT_FOUND, "404 Project Not Found"))
}

async fn get_project(
    State(shared): State<Shared>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    let user = match authenticate(&shared, &headers) {
        Ok(user) => user,
        Err(response) => return response,
    };
    let state = shared.lock();
    match find_project(&state, &user, &id) {
        Ok(project) => Json(project_json(&project, &user, &shared.base_url)).into_response(),
        Err(response) => response,
    }
}

/// A hook as GitLab's `project_hook.json` schema describes it (the schema
/// forbids fields the newer docs example shows, such as `name`, so the
/// schema wins).
fn hook_json(hook: &Hook, project_id: u64) -> Value {
    json!({
        "id": hook.id, "url": hook.url, "project_id": project_id,
        "push_events": hook.push_events, "push_events_branch_filter": "", "issues_events": false,
        "confidential_issues_events": false, "merge_requests_events": hook.merge_requests_events,
        "tag_push_events": false, "note_events": hook.note_events, "confidential_note_events": false,
        "job_events": false, "pipeline_events": false, "wiki_page_events": false, "deployment_events": false,
        "releases_events": false, "emoji_events": false, "enable_ssl_verification": hook.enable_ssl_verification,
        "repository_update_events": false, "alert_status": "executable", "disabled_until": null, "url_variables": [],
        "created_at": "2024-01-15T09:00:00.000Z", "custom_webhook_template": null,
    })
}

/// The project, if `user` may manage its hooks (Maintainer or above).
fn hook_project(
    shared: &Shared,
    headers: &HeaderMap,
    id: &str,
) -> Result<(Project, SimStateGuard), Response> {
    let user = authenticate(shared, headers)?;
    let state = shared.lock();
    let project = find_project(&state, &user, id)?;
    if !user.admin && project.members.get(&user.id).is_none_or(|level| *level < MAINTAINER) {
        return Err(gitlab_error(StatusCode::FORBIDDEN, "403 Forbidden"));
    }
    drop(state);
    Ok((project, SimStateGuard(shared.clone())))
}

/// Re-locks the state after the permission check.
struct SimStateGuard(Shared);

async fn list_hooks(
    State(shared): State<Shared>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    match hook_project(&shared, &headers, &id) {
        Ok((project, _)) => {
            Json(project.hooks.iter().map(|hook| hook_json(hook, project.id)).collect::<Vec<_>>())
                .into_response()
        }
        Err(response) => response,
    }
}

/// Request parameters come as JSON, a URL-encoded form or a multipart
/// form (GitLab's docs use `curl --form`), like GitLab's Grape API.
pub(crate) fn parameters(headers: &HeaderMap, body: &Bytes) -> HashMap<String, Value> {
    let content_type =
        headers.get(header::CONTENT_TYPE).and_then(|value| value.to_str().ok()).unwrap_or("");
    if content_type.starts_with("application/json") {
        return serde_json::from_slice::<HashMap<String, Value>>(body).unwrap_or_default();
    }
    if let Some(boundary) = content_type
        .strip_prefix("multipart/form-data")
        .and_then(|rest| rest.split_once("boundary="))
        .map(|(_, boundary)| boundary.trim_matches('"'))
    {
        return multipart(&String::from_utf8_lossy(body), boundary);
    }
    let text = String::from_utf8_lossy(body);
    text.split('&')
        .filter_map(|pair| pair.split_once('='))
        .map(|(key, value)| (decode(key), Value::String(decode(value))))
        .collect()
}

/// The text fields of a multipart form body.
fn multipart(body: &str, boundary: &str) -> HashMap<String, Value> {
    body.split(&format!("--{boundary}"))
        .filter_map(|part| {
            let (head, value) = part.split_once("\r\n\r\n")?;
            let name = head.split("name=\"").nth(1)?.split('"').next()?;
            Some((name.to_owned(), Value::String(value.trim_end_matches("\r\n").to_owned())))
        })
        .collect()
}

fn decode(text: &str) -> String {
    let bytes = text.replace('+', " ").into_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut index = 0;
    while index < bytes.len() {
        if bytes[index] == b'%' && index + 2 < bytes.len() {
            if let Ok(byte) =
                u8::from_str_radix(&String::from_utf8_lossy(&bytes[index + 1..index + 3]), 16)
            {
                out.push(byte);
                index += 3;
                continue;
            }
        }
        out.push(bytes[index]);
        index += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// A hook to `url` from a create request's parameters, with GitLab's
/// defaults (push events on, SSL verification on).
pub(crate) fn new_hook(state: &mut SimState, url: String, params: &HashMap<String, Value>) -> Hook {
    Hook {
        id: state.new_hook_id(),
        url,
        token: params.get("token").and_then(Value::as_str).map(str::to_owned),
        push_events: flag(params, "push_events", true),
        merge_requests_events: flag(params, "merge_requests_events", false),
        note_events: flag(params, "note_events", false),
        enable_ssl_verification: flag(params, "enable_ssl_verification", true),
    }
}

pub(crate) fn flag(params: &HashMap<String, Value>, name: &str, default: bool) -> bool {
    match params.get(name) {
        Some(Value::Bool(value)) => *value,
        Some(Value::String(text)) => text == "true",
        _ => default,
    }
}

async fn create_hook(
    State(shared): State<Shared>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> Response {
    let (project, guard) = match hook_project(&shared, &headers, &id) {
        Ok(found) => found,
        Err(response) => return response,
    };
    let params = parameters(&headers, &body);
    let Some(url) = params.get("url").and_then(Value::as_str).map(str::to_owned) else {
        return (StatusCode::BAD_REQUEST, Json(json!({"error": "url is missing"}))).into_response();
    };
    let mut state = guard.0.lock();
    let local = ["://127.", "://localhost", "://10.", "://192.168.", "://[::1]"]
        .iter()
        .any(|marker| url.contains(marker));
    if !(url.starts_with("http://") || url.starts_with("https://"))
        || (local && !state.allow_local_webhooks)
    {
        return gitlab_error(StatusCode::UNPROCESSABLE_ENTITY, "Invalid url given");
    }
    let hook = new_hook(&mut state, url, &params);
    let body = hook_json(&hook, project.id);
    if let Some(stored) = state.projects.get_mut(&project.id) {
        stored.hooks.push(hook);
    }
    (StatusCode::CREATED, Json(body)).into_response()
}

async fn update_hook(
    State(shared): State<Shared>,
    headers: HeaderMap,
    Path((id, hook)): Path<(String, u64)>,
    body: Bytes,
) -> Response {
    let (project, guard) = match hook_project(&shared, &headers, &id) {
        Ok(found) => found,
        Err(response) => return response,
    };
    let params = parameters(&headers, &body);
    let mut state = guard.0.lock();
    let Some(stored) = state
        .projects
        .get_mut(&project.id)
        .and_then(|project| project.hooks.iter_mut().find(|h| h.id == hook))
    else {
        return gitlab_error(StatusCode::NOT_FOUND, "404 Not found");
    };
    if let Some(url) = params.get("url").and_then(Value::as_str) {
        stored.url = url.to_owned();
    }
    if let Some(token) = params.get("token").and_then(Value::as_str) {
        stored.token = Some(token.to_owned());
    }
    stored.push_events = flag(&params, "push_events", stored.push_events);
    stored.merge_requests_events =
        flag(&params, "merge_requests_events", stored.merge_requests_events);
    stored.note_events = flag(&params, "note_events", stored.note_events);
    stored.enable_ssl_verification =
        flag(&params, "enable_ssl_verification", stored.enable_ssl_verification);
    Json(hook_json(stored, project.id)).into_response()
}

async fn delete_hook(
    State(shared): State<Shared>,
    headers: HeaderMap,
    Path((id, hook)): Path<(String, u64)>,
) -> Response {
    let (project, guard) = match hook_project(&shared, &headers, &id) {
        Ok(found) => found,
        Err(response) => return response,
    };
    let mut state = guard.0.lock();
    let Some(stored) = state.projects.get_mut(&project.id) else {
        return gitlab_error(StatusCode::NOT_FOUND, "404 Project Not Found");
    };
    let before = stored.hooks.len();
    stored.hooks.retain(|existing| existing.id != hook);
    if stored.hooks.len() == before {
        return gitlab_error(StatusCode::NOT_FOUND, "404 Not found");
    }
    StatusCode::NO_CONTENT.into_response()
}

/// `GET /projects/:id/repository/archive[.tar.gz]?sha=`: a gzipped tar of
/// the files of a branch or commit (default branch without `sha`) under `<name>-<ref>-<sha>/`, as GitLab lays
/// archives out. Only `tar.gz` is simulated.
async fn archive(
    State(shared): State<Shared>,
    headers: HeaderMap,
    Path((id, archive)): Path<(String, String)>,
    Query(params): Query<HashMap<String, String>>,
) -> Response {
    let user = match authenticate(&shared, &headers) {
        Ok(user) => user,
        Err(response) => return response,
    };
    if archive != "archive" && archive != "archive.tar.gz" {
        return gitlab_error(StatusCode::NOT_FOUND, "404 Not Found");
    }
    let project = {
        let state = shared.lock();
        match find_project(&state, &user, &id) {
            Ok(project) => project,
            Err(response) => return response,
        }
    };
    let reference = params.get("sha").cloned().unwrap_or_else(|| project.default_branch.clone());
    let Some(commit) = project.repository.resolve(&reference) else {
        return gitlab_error(StatusCode::NOT_FOUND, "404 Commit Not Found");
    };
    let name = project.path_with_namespace.rsplit('/').next().unwrap_or("project");
    // GitLab replaces `/` in a branch name so the directory stays one level.
    let top = format!("{name}-{}-{}", reference.replace('/', "-"), commit.sha);
    match tarball(&top, &commit.tree) {
        Ok(bytes) => {
            let disposition = format!("attachment; filename=\"{top}.tar.gz\"");
            let mut response = (StatusCode::OK, bytes).into_response();
            let headers = response.headers_mut();
            headers
                .insert(header::CONTENT_TYPE, HeaderValue::from_static("application/octet-stream"));
            if let Ok(value) = HeaderValue::from_str(&disposition) {
                headers.insert(header::CONTENT_DISPOSITION, value);
            }
            response
        }
        Err(error) => gitlab_error(StatusCode::INTERNAL_SERVER_ERROR, &format!("500 {error}")),
    }
}

fn tarball(
    top: &str,
    files: &std::collections::BTreeMap<String, Vec<u8>>,
) -> std::io::Result<Vec<u8>> {
    let encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    let mut builder = tar::Builder::new(encoder);
    let mut directory = tar::Header::new_gnu();
    directory.set_entry_type(tar::EntryType::Directory);
    directory.set_mode(0o755);
    directory.set_size(0);
    builder.append_data(&mut directory, format!("{top}/"), std::io::empty())?;
    for (path, content) in files {
        let mut header = tar::Header::new_gnu();
        header.set_mode(0o644);
        header.set_size(content.len() as u64);
        builder.append_data(&mut header, format!("{top}/{path}"), content.as_slice())?;
    }
    builder.into_inner()?.finish()
}
