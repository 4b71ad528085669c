//! Merge request endpoints: the merge request, its diffs and versions,
//! notes and discussions (with GitLab's position validation). Handlers
//! check access and shape bodies; state changes go through `SimState`
//! methods in `merge_requests.rs`, which also fire the hooks.

// Handlers return ready-made error responses; boxing them would only add
// noise to a test double.
#![allow(clippy::result_large_err)]

use std::collections::HashMap;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value, json};

use crate::api::{Shared, authenticate, find_project, gitlab_error, param, parameters};
use crate::git;
use crate::merge_requests::{MergeRequest, Note, Position};
use crate::state::{Project, REPORTER, SimState, User};

/// An author as GitLab's basic user entity shows it.
pub(crate) fn author_json(state: &SimState, id: u64, base_url: &str) -> Value {
    let username =
        state.users.get(&id).map_or_else(|| "root".to_owned(), |user| user.username.clone());
    json!({
        "id": id, "username": username, "name": username, "state": "active",
        "avatar_url": format!("https://www.gravatar.com/avatar/{id:032x}?s=80&d=identicon"),
        "web_url": format!("{base_url}/{username}"),
    })
}

/// A position as GitLab returns it.
pub(crate) fn position_json(position: &Position) -> Value {
    json!({
        "base_sha": position.base_sha, "start_sha": position.start_sha, "head_sha": position.head_sha,
        "old_path": position.old_path, "new_path": position.new_path, "position_type": "text",
        "old_line": position.old_line, "new_line": position.new_line, "line_range": null,
    })
}

fn note_json(
    state: &SimState,
    project: &Project,
    request: &MergeRequest,
    note: &Note,
    base_url: &str,
) -> Value {
    let mut body = json!({
        "id": note.id, "type": null, "body": note.body, "attachment": null,
        "author": author_json(state, note.author_id, base_url), "created_at": note.created_at,
        "updated_at": note.updated_at, "system": note.system, "noteable_id": request.id,
        "noteable_type": "MergeRequest", "project_id": project.id, "noteable_iid": request.iid,
        "resolvable": false, "confidential": false, "internal": false,
    });
    if let Some(position) = &note.position {
        body["type"] = json!("DiffNote");
        body["commit_id"] = json!(position.head_sha);
        body["position"] = position_json(position);
        body["resolvable"] = json!(true);
        body["resolved"] = json!(false);
        body["resolved_by"] = Value::Null;
        body["suggestions"] = json!([]);
    } else if !note.individual_note {
        body["type"] = json!("DiscussionNote");
    }
    body
}

fn discussion_json(
    state: &SimState,
    project: &Project,
    request: &MergeRequest,
    id: &str,
    base_url: &str,
) -> Value {
    let notes: Vec<&Note> = request.notes.iter().filter(|note| note.discussion_id == id).collect();
    json!({
        "id": id,
        "individual_note": notes.first().is_some_and(|note| note.individual_note),
        "notes": notes.iter().map(|note| note_json(state, project, request, note, base_url)).collect::<Vec<_>>(),
    })
}

/// One page of an offset-paginated list with GitLab's headers
/// (`per_page` capped at 100).
pub(crate) fn offset_page(
    items: Vec<Value>,
    params: &HashMap<String, String>,
    url: &str,
) -> Response {
    let per_page = param::<usize>(params, "per_page").unwrap_or(20).clamp(1, 100);
    let page = param::<usize>(params, "page").unwrap_or(1).max(1);
    let total = items.len();
    let pages = total.div_ceil(per_page).max(1);
    let body: Vec<Value> = items.into_iter().skip((page - 1) * per_page).take(per_page).collect();
    let mut response = Json(body).into_response();
    let headers = response.headers_mut();
    let next = if page < pages { (page + 1).to_string() } else { String::new() };
    let previous = if page > 1 { (page - 1).to_string() } else { String::new() };
    for (name, value) in [
        ("x-page", page.to_string()),
        ("x-per-page", per_page.to_string()),
        ("x-next-page", next.clone()),
        ("x-prev-page", previous),
        ("x-total", total.to_string()),
        ("x-total-pages", pages.to_string()),
    ] {
        if let Ok(value) = HeaderValue::from_str(&value) {
            headers.insert(name, value);
        }
    }
    let mut links = vec![format!("<{url}?page=1&per_page={per_page}>; rel=\"first\"")];
    if !next.is_empty() {
        links.push(format!("<{url}?page={next}&per_page={per_page}>; rel=\"next\""));
    }
    links.push(format!("<{url}?page={pages}&per_page={per_page}>; rel=\"last\""));
    if let Ok(value) = HeaderValue::from_str(&links.join(", ")) {
        headers.insert(axum::http::header::LINK, value);
    }
    response
}

/// The user and the project, if the user can see it (404 otherwise).
pub(crate) fn visible_project(
    shared: &Shared,
    headers: &HeaderMap,
    id: &str,
) -> Result<(User, Project), Response> {
    let user = authenticate(shared, headers)?;
    let state = shared.lock();
    let project = find_project(&state, &user, id)?;
    Ok((user, project))
}

/// Answers with `answer` for merge request `iid` of project `id` as the
/// caller sees it; GitLab's 401 or 404 otherwise.
fn with_merge_request(
    shared: &Shared,
    headers: &HeaderMap,
    id: &str,
    iid: u64,
    answer: impl FnOnce(User, &Project, &MergeRequest) -> Response,
) -> Response {
    let (user, project) = match visible_project(shared, headers, id) {
        Ok(found) => found,
        Err(response) => return response,
    };
    match merge_request_of(&project, iid) {
        Ok(request) => answer(user, &project, request),
        Err(response) => response,
    }
}

fn merge_request_of(project: &Project, iid: u64) -> Result<&MergeRequest, Response> {
    project
        .merge_requests
        .get(&iid)
        .ok_or_else(|| gitlab_error(StatusCode::NOT_FOUND, "404 Not found"))
}

/// The files a version changes: base tree → head tree.
fn version_changes(project: &Project, base: &str, head: &str) -> Vec<git::FileChange> {
    let empty = git::Tree::new();
    let tree =
        |sha: &str| project.repository.commits.get(sha).map_or(&empty, |commit| &commit.tree);
    git::diff_trees(tree(base), tree(head))
}

fn request_changes(project: &Project, request: &MergeRequest) -> Vec<git::FileChange> {
    request
        .latest_version()
        .map(|version| version_changes(project, &version.base_commit_sha, &version.head_commit_sha))
        .unwrap_or_default()
}

/// A diff entry as `/diffs` and `/compare` return it.
pub(crate) fn diff_json(change: &git::FileChange) -> Value {
    json!({
        "old_path": change.old_path, "new_path": change.new_path,
        "a_mode": if change.new_file { "0" } else { "100644" },
        "b_mode": if change.deleted_file { "0" } else { "100644" },
        "diff": change.diff, "collapsed": false, "too_large": false, "new_file": change.new_file,
        "renamed_file": false, "deleted_file": change.deleted_file, "generated_file": false,
    })
}

fn merge_request_json(
    state: &SimState,
    project: &Project,
    request: &MergeRequest,
    base_url: &str,
) -> Value {
    let path = &project.path_with_namespace;
    let sha = project.repository.branches.get(&request.source_branch).cloned().unwrap_or_default();
    let diff_refs = request.latest_version().map(|version| {
        json!({"base_sha": version.base_commit_sha, "head_sha": version.head_commit_sha, "start_sha": version.start_commit_sha})
    });
    let merged = request.state == "merged";
    let closed = request.state == "closed";
    let changes = request_changes(project, request).len();
    let iid = request.iid;
    let mut body = json!({
        "id": request.id, "iid": iid, "project_id": project.id, "title": request.title, "description": "",
        "state": request.state, "imported": false, "imported_from": "none",
        "created_at": request.created_at, "updated_at": request.updated_at,
        "merged_by": null, "merge_user": null, "merged_at": if merged { json!(request.updated_at) } else { Value::Null },
        "merge_after": null, "prepared_at": request.created_at,
        "closed_by": null, "closed_at": if closed { json!(request.updated_at) } else { Value::Null },
        "target_branch": request.target_branch, "source_branch": request.source_branch,
        "user_notes_count": request.notes.iter().filter(|note| !note.system).count(),
        "upvotes": 0, "downvotes": 0, "author": author_json(state, request.author_id, base_url),
    });
    // Two halves: one `json!` this large exceeds the macro recursion limit.
    let rest = json!({
        "assignees": [], "assignee": null, "reviewers": [],
        "source_project_id": project.id, "target_project_id": project.id, "labels": [],
        "draft": false, "work_in_progress": false, "milestone": null, "merge_when_pipeline_succeeds": false,
        "merge_status": "can_be_merged", "detailed_merge_status": if request.state == "opened" { "mergeable" } else { "not_open" },
        "sha": sha, "merge_commit_sha": request.merge_commit_sha, "squash_commit_sha": null,
        "discussion_locked": null, "should_remove_source_branch": null, "force_remove_source_branch": false,
        "reference": format!("!{iid}"),
        "references": {"short": format!("!{iid}"), "relative": format!("!{iid}"), "full": format!("{path}!{iid}")},
        "web_url": format!("{base_url}/{path}/-/merge_requests/{iid}"),
        "time_stats": {"time_estimate": 0, "total_time_spent": 0, "human_time_estimate": null, "human_total_time_spent": null},
        "squash": false, "task_completion_status": {"count": 0, "completed_count": 0}, "has_conflicts": false,
        "blocking_discussions_resolved": true, "approvals_before_merge": null, "subscribed": false,
        // A string, as GitLab sends it ("1000+" above its limit).
        "changes_count": changes.to_string(),
        "latest_build_started_at": null, "latest_build_finished_at": null,
        "first_deployed_to_production_at": null, "pipeline": null, "head_pipeline": null,
        "diff_refs": diff_refs, "merge_error": null, "first_contribution": false,
        "user": {"can_merge": true},
    });
    if let (Some(body), Value::Object(rest)) = (body.as_object_mut(), rest) {
        body.extend(rest);
    }
    body
}

/// `GET /projects/:id/merge_requests/:iid`.
pub(crate) async fn get_merge_request(
    State(shared): State<Shared>,
    headers: HeaderMap,
    Path((id, iid)): Path<(String, u64)>,
) -> Response {
    with_merge_request(&shared, &headers, &id, iid, |_, project, request| {
        let mut state = shared.lock();
        let mut body = merge_request_json(&state, project, request, &shared.base_url);
        let pending = state
            .projects
            .get_mut(&project.id)
            .and_then(|stored| stored.merge_requests.get_mut(&iid))
            .filter(|stored| stored.pending_diff_reads > 0);
        if let Some(stored) = pending {
            stored.pending_diff_reads -= 1;
            body["diff_refs"] = Value::Null;
            body["changes_count"] = Value::Null;
        }
        Json(body).into_response()
    })
}

/// `GET …/merge_requests/:iid/diffs` (offset-paginated).
pub(crate) async fn diffs(
    State(shared): State<Shared>,
    headers: HeaderMap,
    Path((id, iid)): Path<(String, u64)>,
    Query(params): Query<HashMap<String, String>>,
) -> Response {
    with_merge_request(&shared, &headers, &id, iid, |_, project, request| {
        let items = request_changes(project, request).iter().map(diff_json).collect();
        let url = format!(
            "{}/api/v4/projects/{}/merge_requests/{iid}/diffs",
            shared.base_url, project.id
        );
        offset_page(items, &params, &url)
    })
}

/// `GET …/merge_requests/:iid/versions`, newest first.
pub(crate) async fn versions(
    State(shared): State<Shared>,
    headers: HeaderMap,
    Path((id, iid)): Path<(String, u64)>,
    Query(params): Query<HashMap<String, String>>,
) -> Response {
    with_merge_request(&shared, &headers, &id, iid, |_, project, request| {
        let items = request
            .versions
            .iter()
            .rev()
            .map(|version| {
                let size = version_changes(project, &version.base_commit_sha, &version.head_commit_sha).len();
                json!({
                    "id": version.id, "head_commit_sha": version.head_commit_sha,
                    "base_commit_sha": version.base_commit_sha, "start_commit_sha": version.start_commit_sha,
                    "created_at": version.created_at, "merge_request_id": request.id, "state": "collected",
                    "real_size": size.to_string(), "patch_id_sha": version.head_commit_sha,
                })
            })
            .collect();
        let url = format!(
            "{}/api/v4/projects/{}/merge_requests/{iid}/versions",
            shared.base_url, project.id
        );
        offset_page(items, &params, &url)
    })
}

/// `GET …/notes`: newest first unless `sort=asc` (`order_by` created_at
/// or updated_at).
pub(crate) async fn list_notes(
    State(shared): State<Shared>,
    headers: HeaderMap,
    Path((id, iid)): Path<(String, u64)>,
    Query(params): Query<HashMap<String, String>>,
) -> Response {
    with_merge_request(&shared, &headers, &id, iid, |_, project, request| {
        let mut notes: Vec<&Note> = request.notes.iter().collect();
        let by_update = params.get("order_by").is_some_and(|order| order == "updated_at");
        notes.sort_by(|left, right| {
            let key = |note: &Note| {
                (if by_update { note.updated_at.clone() } else { note.created_at.clone() }, note.id)
            };
            key(left).cmp(&key(right))
        });
        if params.get("sort").is_none_or(|sort| sort != "asc") {
            notes.reverse();
        }
        let state = shared.lock();
        let items = notes
            .iter()
            .map(|note| note_json(&state, project, request, note, &shared.base_url))
            .collect();
        drop(state);
        let url = format!(
            "{}/api/v4/projects/{}/merge_requests/{iid}/notes",
            shared.base_url, project.id
        );
        offset_page(items, &params, &url)
    })
}

/// `GET …/notes/:note_id`.
pub(crate) async fn get_note(
    State(shared): State<Shared>,
    headers: HeaderMap,
    Path((id, iid, note_id)): Path<(String, u64, u64)>,
) -> Response {
    with_merge_request(&shared, &headers, &id, iid, |_, project, request| {
        match request.notes.iter().find(|note| note.id == note_id) {
            Some(note) => Json(note_json(&shared.lock(), project, request, note, &shared.base_url))
                .into_response(),
            None => gitlab_error(StatusCode::NOT_FOUND, "404 Note Not Found"),
        }
    })
}

fn can_comment(user: &User, project: &Project) -> bool {
    user.admin || project.members.get(&user.id).is_some_and(|level| *level >= REPORTER)
}

fn text_param(params: &HashMap<String, Value>, name: &str) -> Option<String> {
    match params.get(name) {
        Some(Value::String(text)) => Some(text.clone()),
        Some(Value::Number(number)) => Some(number.to_string()),
        _ => None,
    }
}

/// `POST …/notes` (`body`): 201 with the note; fires a Note Hook.
pub(crate) async fn create_note(
    State(shared): State<Shared>,
    headers: HeaderMap,
    Path((id, iid)): Path<(String, u64)>,
    body: Bytes,
) -> Response {
    let (user, project) = match visible_project(&shared, &headers, &id) {
        Ok(found) => found,
        Err(response) => return response,
    };
    if let Err(response) = merge_request_of(&project, iid) {
        return response;
    }
    if !can_comment(&user, &project) {
        return gitlab_error(StatusCode::FORBIDDEN, "403 Forbidden");
    }
    let params = parameters(&headers, &body);
    let Some(text) = text_param(&params, "body").filter(|text| !text.is_empty()) else {
        return (StatusCode::BAD_REQUEST, Json(json!({"error": "body is missing"})))
            .into_response();
    };
    let mut state = shared.lock();
    let Some(note) = state.add_note(project.id, iid, &user, &text, None, &shared.base_url) else {
        return gitlab_error(StatusCode::NOT_FOUND, "404 Not found");
    };
    created_note(&state, project.id, iid, &note, &shared.base_url)
}

fn created_note(state: &SimState, project: u64, iid: u64, note: &Note, base_url: &str) -> Response {
    let Some(stored) = state.projects.get(&project) else {
        return gitlab_error(StatusCode::NOT_FOUND, "404 Project Not Found");
    };
    let Some(request) = stored.merge_requests.get(&iid) else {
        return gitlab_error(StatusCode::NOT_FOUND, "404 Not found");
    };
    (StatusCode::CREATED, Json(note_json(state, stored, request, note, base_url))).into_response()
}

/// `PUT …/notes/:note_id` (`body`): only the author may edit (403).
pub(crate) async fn update_note(
    State(shared): State<Shared>,
    headers: HeaderMap,
    Path((id, iid, note_id)): Path<(String, u64, u64)>,
    body: Bytes,
) -> Response {
    with_merge_request(&shared, &headers, &id, iid, |user, project, request| {
        let Some(existing) = request.notes.iter().find(|note| note.id == note_id) else {
            return gitlab_error(StatusCode::NOT_FOUND, "404 Note Not Found");
        };
        if existing.author_id != user.id {
            return gitlab_error(StatusCode::FORBIDDEN, "403 Forbidden");
        }
        let params = parameters(&headers, &body);
        let Some(text) = text_param(&params, "body") else {
            return (StatusCode::BAD_REQUEST, Json(json!({"error": "body is missing"})))
                .into_response();
        };
        let mut state = shared.lock();
        let Some(note) = state.edit_note(project.id, iid, note_id, &user, &text, &shared.base_url)
        else {
            return gitlab_error(StatusCode::NOT_FOUND, "404 Note Not Found");
        };
        let mut response = created_note(&state, project.id, iid, &note, &shared.base_url);
        *response.status_mut() = StatusCode::OK;
        response
    })
}

/// `GET …/discussions`, oldest first as GitLab lists them.
pub(crate) async fn list_discussions(
    State(shared): State<Shared>,
    headers: HeaderMap,
    Path((id, iid)): Path<(String, u64)>,
    Query(params): Query<HashMap<String, String>>,
) -> Response {
    with_merge_request(&shared, &headers, &id, iid, |_, project, request| {
        let mut ids: Vec<&str> = Vec::new();
        for note in &request.notes {
            if !ids.contains(&note.discussion_id.as_str()) {
                ids.push(&note.discussion_id);
            }
        }
        let state = shared.lock();
        let items = ids
            .iter()
            .map(|discussion| {
                discussion_json(&state, project, request, discussion, &shared.base_url)
            })
            .collect();
        drop(state);
        let url = format!(
            "{}/api/v4/projects/{}/merge_requests/{iid}/discussions",
            shared.base_url, project.id
        );
        offset_page(items, &params, &url)
    })
}

/// The `position` parameters, from a nested JSON object or from form keys
/// `position[base_sha]`.
fn position_params(params: &HashMap<String, Value>) -> Option<Map<String, Value>> {
    if let Some(Value::Object(position)) = params.get("position") {
        return Some(position.clone());
    }
    let nested: Map<String, Value> = params
        .iter()
        .filter_map(|(key, value)| {
            let inner = key.strip_prefix("position[")?.strip_suffix(']')?;
            Some((inner.to_owned(), value.clone()))
        })
        .collect();
    (!nested.is_empty()).then_some(nested)
}

/// GitLab's answer to a position that names no line of the diff.
fn bad_position() -> Response {
    gitlab_error(
        StatusCode::BAD_REQUEST,
        "400 Bad request - Note {:line_code=>[\"can't be blank\", \"must be a valid line code\"]}",
    )
}

fn missing(name: &str) -> Response {
    (StatusCode::BAD_REQUEST, Json(json!({"error": format!("{name} is missing")}))).into_response()
}

/// Checks a text position against the merge request's versions and diff:
/// `new_line` alone on an added line, `old_line` alone on a removed one,
/// both on an unchanged one.
fn parse_position(
    project: &Project,
    request: &MergeRequest,
    raw: &Map<String, Value>,
) -> Result<Position, Response> {
    let text = |name: &str| match raw.get(name) {
        Some(Value::String(value)) if !value.is_empty() => Some(value.clone()),
        _ => None,
    };
    let line = |name: &str| match raw.get(name) {
        Some(Value::Number(number)) => number.as_u64().and_then(|n| u32::try_from(n).ok()),
        Some(Value::String(value)) => value.parse().ok(),
        _ => None,
    };
    let mut shas = Vec::new();
    for name in ["base_sha", "start_sha", "head_sha", "position_type"] {
        match text(name) {
            Some(value) => shas.push(value),
            None => return Err(missing(&format!("position[{name}]"))),
        }
    }
    if !["text", "image", "file"].contains(&shas[3].as_str()) {
        return Err((
            StatusCode::BAD_REQUEST,
            Json(json!({"error": "position[position_type] does not have a valid value"})),
        )
            .into_response());
    }
    let (Some(old_path), Some(new_path)) = (text("old_path"), text("new_path")) else {
        return Err(bad_position());
    };
    let real_version = request.versions.iter().any(|version| {
        version.base_commit_sha == shas[0]
            && version.start_commit_sha == shas[1]
            && version.head_commit_sha == shas[2]
    });
    if shas[3] != "text" || !real_version {
        return Err(bad_position());
    }
    let empty = Vec::new();
    let content = |sha: &str, path: &str| {
        project
            .repository
            .commits
            .get(sha)
            .and_then(|commit| commit.tree.get(path))
            .unwrap_or(&empty)
    };
    let map = git::line_map(content(&shas[0], &old_path), content(&shas[2], &new_path));
    let (old_line, new_line) = (line("old_line"), line("new_line"));
    let valid = match (old_line, new_line) {
        (None, Some(new)) => map.added.contains(&new),
        (Some(old), None) => map.removed.contains(&old),
        (Some(old), Some(new)) => map.unchanged.contains(&(old, new)),
        (None, None) => false,
    };
    if !valid {
        return Err(bad_position());
    }
    let [base_sha, start_sha, head_sha, _] =
        <[String; 4]>::try_from(shas).map_err(|_| bad_position())?;
    Ok(Position { base_sha, start_sha, head_sha, old_path, new_path, old_line, new_line })
}

/// `POST …/discussions` (`body`, optional `position`): 201 with the
/// discussion; fires a Note Hook.
pub(crate) async fn create_discussion(
    State(shared): State<Shared>,
    headers: HeaderMap,
    Path((id, iid)): Path<(String, u64)>,
    body: Bytes,
) -> Response {
    with_merge_request(&shared, &headers, &id, iid, |user, project, request| {
        if !can_comment(&user, project) {
            return gitlab_error(StatusCode::FORBIDDEN, "403 Forbidden");
        }
        let params = parameters(&headers, &body);
        let Some(text) = text_param(&params, "body").filter(|text| !text.is_empty()) else {
            return missing("body");
        };
        let position =
            match position_params(&params).map(|raw| parse_position(project, request, &raw)) {
                Some(Ok(position)) => Some(position),
                Some(Err(response)) => return response,
                None => None,
            };
        let diff_note = position.is_some();
        let mut state = shared.lock();
        let Some(mut note) =
            state.add_note(project.id, iid, &user, &text, position, &shared.base_url)
        else {
            return gitlab_error(StatusCode::NOT_FOUND, "404 Not found");
        };
        if !diff_note {
            // A discussion started without a position is a thread, not a lone
            // note, so its first note can be replied to.
            if let Some(stored) = state
                .projects
                .get_mut(&project.id)
                .and_then(|stored| stored.merge_requests.get_mut(&iid))
                .and_then(|request| request.notes.iter_mut().find(|stored| stored.id == note.id))
            {
                stored.individual_note = false;
                note.individual_note = false;
            }
        }
        let Some(stored) = state.projects.get(&project.id) else {
            return gitlab_error(StatusCode::NOT_FOUND, "404 Project Not Found");
        };
        let Some(request) = stored.merge_requests.get(&iid) else {
            return gitlab_error(StatusCode::NOT_FOUND, "404 Not found");
        };
        let body = discussion_json(&state, stored, request, &note.discussion_id, &shared.base_url);
        (StatusCode::CREATED, Json(body)).into_response()
    })
}
