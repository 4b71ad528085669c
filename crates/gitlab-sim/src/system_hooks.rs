//! System hooks (`/api/v4/hooks`, administrators only): list, add, delete,
//! and the `project_create` event they receive when a project is created.

// Handlers return ready-made error responses, as in `api.rs`.
#![allow(clippy::result_large_err)]

use axum::Json;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get};
use serde_json::{Value, json};

use crate::api::{Shared, authenticate, gitlab_error, new_hook, parameters};
use crate::state::{Hook, SimState, User};
use crate::webhooks::Outgoing;

pub(crate) fn router() -> Router<Shared> {
    Router::new()
        .route("/api/v4/hooks", get(list).post(create))
        .route("/api/v4/hooks/{hook}", delete(remove))
}

fn admin(shared: &Shared, headers: &HeaderMap) -> Result<User, Response> {
    let user = authenticate(shared, headers)?;
    if user.admin { Ok(user) } else { Err(gitlab_error(StatusCode::FORBIDDEN, "403 Forbidden")) }
}

fn hook_json(hook: &Hook) -> Value {
    json!({
        "id": hook.id, "url": hook.url, "created_at": "2026-11-25T10:00:00.000Z",
        "push_events": hook.push_events, "tag_push_events": false,
        "merge_requests_events": hook.merge_requests_events, "repository_update_events": false,
        "enable_ssl_verification": hook.enable_ssl_verification,
    })
}

async fn list(State(shared): State<Shared>, headers: HeaderMap) -> Response {
    if let Err(response) = admin(&shared, &headers) {
        return response;
    }
    let state = shared.lock();
    Json(state.system_hooks.iter().map(hook_json).collect::<Vec<_>>()).into_response()
}

async fn create(State(shared): State<Shared>, headers: HeaderMap, body: Bytes) -> Response {
    if let Err(response) = admin(&shared, &headers) {
        return response;
    }
    let params = parameters(&headers, &body);
    let Some(url) = params.get("url").and_then(Value::as_str).map(str::to_owned) else {
        return (StatusCode::BAD_REQUEST, Json(json!({"error": "url is missing"}))).into_response();
    };
    let mut state = shared.lock();
    let hook = new_hook(&mut state, url, &params);
    let body = hook_json(&hook);
    state.system_hooks.push(hook);
    (StatusCode::CREATED, Json(body)).into_response()
}

async fn remove(
    State(shared): State<Shared>,
    headers: HeaderMap,
    Path(hook): Path<u64>,
) -> Response {
    if let Err(response) = admin(&shared, &headers) {
        return response;
    }
    let mut state = shared.lock();
    let before = state.system_hooks.len();
    state.system_hooks.retain(|stored| stored.id != hook);
    if state.system_hooks.len() == before {
        return gitlab_error(StatusCode::NOT_FOUND, "404 Not found");
    }
    StatusCode::NO_CONTENT.into_response()
}

/// Queues `project_create` for every system hook (GitLab sends every
/// system event to every system hook, whatever its flags).
pub(crate) fn fire_project_create(state: &mut SimState, project: u64) {
    let Some(stored) = state.projects.get(&project) else { return };
    let path = stored.path_with_namespace.clone();
    let name = path.rsplit('/').next().unwrap_or(&path).to_owned();
    let body = json!({
        "created_at": "2026-11-25T10:00:00Z", "updated_at": "2026-11-25T10:00:00Z",
        "event_name": "project_create", "name": name, "owner_email": "", "owner_name": "",
        "owners": [], "path": name, "path_with_namespace": path, "project_id": project,
        "project_namespace_id": 1, "project_visibility": "private",
    });
    let hooks = state.system_hooks.clone();
    let event_uuid = state.uuid();
    for hook in hooks {
        let outgoing = Outgoing {
            project,
            url: hook.url,
            token: hook.token,
            event: "System Hook",
            body: body.clone(),
            event_uuid: event_uuid.clone(),
            webhook_uuid: state.uuid(),
            idempotency_key: state.uuid(),
        };
        if let Some(outbox) = &state.outbox {
            let _ = outbox.send(outgoing);
        }
    }
}
