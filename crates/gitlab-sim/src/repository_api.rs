//! Repository endpoints: commit detail, compare, raw files, and commit
//! statuses (set and list, with GitLab's validation and its 400 for the
//! same pending or running state twice). Reads the git model in `git.rs`.

// Handlers return ready-made error responses; boxing them would only add
// noise to a test double.
#![allow(clippy::result_large_err)]

use std::collections::HashMap;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use crate::api::{Shared, gitlab_error, parameters};
use crate::git::{self, Commit};
use crate::merge_requests_api::{author_json, diff_json, offset_page, visible_project};
use crate::state::{CommitStatus, DEVELOPER, Project, now};

/// GitLab's basic commit entity.
fn commit_json(project: &Project, commit: &Commit, base_url: &str) -> Value {
    json!({
        "id": commit.sha, "short_id": &commit.sha[..commit.sha.len().min(8)], "created_at": commit.timestamp,
        "parent_ids": commit.parent.iter().collect::<Vec<_>>(), "title": commit.title(),
        "message": commit.message, "author_name": commit.author_name, "author_email": commit.author_email,
        "authored_date": commit.timestamp, "committer_name": commit.author_name,
        "committer_email": commit.author_email, "committed_date": commit.timestamp,
        "trailers": {}, "extended_trailers": {},
        "web_url": format!("{base_url}/{}/-/commit/{}", project.path_with_namespace, commit.sha),
    })
}

/// `GET /projects/:id/repository/commits/:sha` (detail: stats, status).
pub(crate) async fn commit(
    State(shared): State<Shared>,
    headers: HeaderMap,
    Path((id, sha)): Path<(String, String)>,
) -> Response {
    let (_, project) = match visible_project(&shared, &headers, &id) {
        Ok(found) => found,
        Err(response) => return response,
    };
    let Some(commit) = project.repository.resolve(&sha) else {
        return gitlab_error(StatusCode::NOT_FOUND, "404 Commit Not Found");
    };
    let empty = git::Tree::new();
    let parent_tree = commit
        .parent
        .as_deref()
        .and_then(|parent| project.repository.commits.get(parent))
        .map_or(&empty, |parent| &parent.tree);
    let (mut additions, mut deletions) = (0_u64, 0_u64);
    for change in git::diff_trees(parent_tree, &commit.tree) {
        for line in change.diff.lines() {
            if line.starts_with('+') {
                additions += 1;
            } else if line.starts_with('-') {
                deletions += 1;
            }
        }
    }
    let mut body = commit_json(&project, commit, &shared.base_url);
    body["stats"] =
        json!({"additions": additions, "deletions": deletions, "total": additions + deletions});
    body["status"] = project
        .statuses
        .iter()
        .rev()
        .find(|status| status.sha == commit.sha)
        .map_or(Value::Null, |status| json!(status.status));
    body["project_id"] = json!(project.id);
    body["last_pipeline"] = Value::Null;
    Json(body).into_response()
}

/// `GET /projects/:id/repository/compare?from=&to=`: commits on `to` not
/// on `from` (oldest first) and the diff from their merge base to `to`.
pub(crate) async fn compare(
    State(shared): State<Shared>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Query(params): Query<HashMap<String, String>>,
) -> Response {
    let (_, project) = match visible_project(&shared, &headers, &id) {
        Ok(found) => found,
        Err(response) => return response,
    };
    let (Some(from), Some(to)) = (params.get("from"), params.get("to")) else {
        let name = if params.contains_key("from") { "to" } else { "from" };
        return (StatusCode::BAD_REQUEST, Json(json!({"error": format!("{name} is missing")})))
            .into_response();
    };
    let repository = &project.repository;
    let (Some(from_commit), Some(to_commit)) = (repository.resolve(from), repository.resolve(to))
    else {
        return gitlab_error(StatusCode::NOT_FOUND, "404 Ref Not Found");
    };
    let straight = params.get("straight").is_some_and(|value| value == "true");
    let base = if straight {
        Some(from_commit.sha.clone())
    } else {
        repository.merge_base(&from_commit.sha, &to_commit.sha)
    };
    let base_tree = base
        .as_deref()
        .and_then(|sha| repository.commits.get(sha))
        .map(|commit| commit.tree.clone())
        .unwrap_or_default();
    let commits: Vec<Value> = repository
        .commits_between(&from_commit.sha, &to_commit.sha)
        .iter()
        .rev()
        .map(|commit| commit_json(&project, commit, &shared.base_url))
        .collect();
    let diffs: Vec<Value> =
        git::diff_trees(&base_tree, &to_commit.tree).iter().map(diff_json).collect();
    Json(json!({
        "commit": commits.last().cloned().unwrap_or(Value::Null),
        "commits": commits, "diffs": diffs, "compare_timeout": false,
        "compare_same_ref": from_commit.sha == to_commit.sha,
        "web_url": format!("{}/{}/-/compare/{}...{}", shared.base_url, project.path_with_namespace, from_commit.sha, to_commit.sha),
    }))
    .into_response()
}

/// `GET /projects/:id/repository/files/:file_path/raw?ref=` (path
/// URL-encoded; `ref` defaults to the default branch).
pub(crate) async fn raw_file(
    State(shared): State<Shared>,
    headers: HeaderMap,
    Path((id, path)): Path<(String, String)>,
    Query(params): Query<HashMap<String, String>>,
) -> Response {
    let (_, project) = match visible_project(&shared, &headers, &id) {
        Ok(found) => found,
        Err(response) => return response,
    };
    let reference = params.get("ref").cloned().unwrap_or_else(|| project.default_branch.clone());
    let Some(commit) = project.repository.resolve(&reference) else {
        return gitlab_error(StatusCode::NOT_FOUND, "404 Commit Not Found");
    };
    let Some(content) = commit.tree.get(&path) else {
        return gitlab_error(StatusCode::NOT_FOUND, "404 File Not Found");
    };
    let mut response = (StatusCode::OK, content.clone()).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/plain; charset=utf-8"));
    if let Ok(value) = HeaderValue::from_str(&commit.sha) {
        headers.insert("x-gitlab-commit-id", value);
    }
    headers.insert("x-gitlab-size", HeaderValue::from(content.len()));
    response
}

/// `GET /projects/:id/repository/tree?path=&ref=&recursive=&page=&per_page=`:
/// the directories and files under `path`, sorted by path, paginated with
/// `X-Next-Page` as GitLab does; an unknown directory is a 404.
pub(crate) async fn tree(
    State(shared): State<Shared>,
    headers: HeaderMap,
    Path(id): Path<String>,
    Query(params): Query<HashMap<String, String>>,
) -> Response {
    let (_, project) = match visible_project(&shared, &headers, &id) {
        Ok(found) => found,
        Err(response) => return response,
    };
    let reference = params.get("ref").cloned().unwrap_or_else(|| project.default_branch.clone());
    let Some(commit) = project.repository.resolve(&reference) else {
        return gitlab_error(StatusCode::NOT_FOUND, "404 Tree Not Found");
    };
    let prefix =
        params.get("path").map(|path| path.trim_matches('/').to_owned()).unwrap_or_default();
    let recursive = params.get("recursive").is_some_and(|value| value == "true");
    let mut entries: std::collections::BTreeMap<String, &str> = std::collections::BTreeMap::new();
    for path in commit.tree.keys() {
        let rest = if prefix.is_empty() {
            path.as_str()
        } else {
            match path.strip_prefix(&format!("{prefix}/")) {
                Some(rest) => rest,
                None => continue,
            }
        };
        let base = if prefix.is_empty() { String::new() } else { format!("{prefix}/") };
        let parts: Vec<&str> = rest.split('/').collect();
        if recursive {
            for depth in 1..parts.len() {
                entries.insert(format!("{base}{}", parts[..depth].join("/")), "tree");
            }
            entries.insert(path.clone(), "blob");
        } else if parts.len() == 1 {
            entries.insert(path.clone(), "blob");
        } else {
            entries.insert(format!("{base}{}", parts[0]), "tree");
        }
    }
    if !prefix.is_empty() && entries.is_empty() {
        return gitlab_error(StatusCode::NOT_FOUND, "404 Tree Not Found");
    }
    let number = |key: &str, default: usize| {
        params.get(key).and_then(|value| value.parse::<usize>().ok()).unwrap_or(default)
    };
    let per_page = number("per_page", 20).clamp(1, 100);
    let page = number("page", 1).max(1);
    let items: Vec<Value> = entries
        .iter()
        .skip((page - 1) * per_page)
        .take(per_page)
        .map(|(path, kind)| {
            json!({
                "id": "0".repeat(40),
                "name": path.rsplit('/').next().unwrap_or(path),
                "type": kind,
                "path": path,
                "mode": if *kind == "blob" { "100644" } else { "040000" },
            })
        })
        .collect();
    let mut response = (StatusCode::OK, axum::Json(Value::Array(items))).into_response();
    if page * per_page < entries.len() {
        response.headers_mut().insert("x-next-page", HeaderValue::from(page + 1));
    }
    response
}

fn status_json(state: &crate::state::SimState, status: &CommitStatus, base_url: &str) -> Value {
    let finished = !matches!(status.status.as_str(), "pending" | "running");
    json!({
        "id": status.id, "sha": status.sha, "ref": status.ref_name, "status": status.status,
        "name": status.name, "target_url": status.target_url, "description": status.description,
        "created_at": status.created_at,
        "started_at": if status.status == "pending" { Value::Null } else { json!(status.created_at) },
        "finished_at": if finished { json!(status.created_at) } else { Value::Null },
        "allow_failure": false, "coverage": null,
        "author": author_json(state, status.author_id, base_url),
    })
}

/// `GET /projects/:id/repository/commits/:sha/statuses`, newest first.
pub(crate) async fn statuses(
    State(shared): State<Shared>,
    headers: HeaderMap,
    Path((id, sha)): Path<(String, String)>,
    Query(params): Query<HashMap<String, String>>,
) -> Response {
    let (_, project) = match visible_project(&shared, &headers, &id) {
        Ok(found) => found,
        Err(response) => return response,
    };
    let Some(commit) = project.repository.resolve(&sha) else {
        return gitlab_error(StatusCode::NOT_FOUND, "404 Commit Not Found");
    };
    let state = shared.lock();
    let items = project
        .statuses
        .iter()
        .rev()
        .filter(|status| status.sha == commit.sha)
        .filter(|status| params.get("name").is_none_or(|name| *name == status.name))
        .filter(|status| {
            params.get("ref").is_none_or(|name| Some(name) == status.ref_name.as_ref())
        })
        .map(|status| status_json(&state, status, &shared.base_url))
        .collect();
    drop(state);
    let url = format!(
        "{}/api/v4/projects/{}/repository/commits/{sha}/statuses",
        shared.base_url, project.id
    );
    offset_page(items, &params, &url)
}

fn bad_request(error: &str) -> Response {
    (StatusCode::BAD_REQUEST, Json(json!({ "error": error }))).into_response()
}

fn invalid(field: &str, problem: &str) -> Response {
    (StatusCode::BAD_REQUEST, Json(json!({"message": { field: [problem] }}))).into_response()
}

/// `POST /projects/:id/statuses/:sha` (`state`, `name`/`context`,
/// `description`, `target_url`, `ref`; form or JSON): 201 with the status.
pub(crate) async fn create_status(
    State(shared): State<Shared>,
    headers: HeaderMap,
    Path((id, sha)): Path<(String, String)>,
    body: Bytes,
) -> Response {
    let (user, project) = match visible_project(&shared, &headers, &id) {
        Ok(found) => found,
        Err(response) => return response,
    };
    if !user.admin && project.members.get(&user.id).is_none_or(|level| *level < DEVELOPER) {
        return gitlab_error(StatusCode::FORBIDDEN, "403 Forbidden");
    }
    let params = parameters(&headers, &body);
    let text = |name: &str| params.get(name).and_then(Value::as_str).map(str::to_owned);
    let Some(state_name) = text("state") else {
        return bad_request("state is missing");
    };
    if !["pending", "running", "success", "failed", "canceled", "skipped"]
        .contains(&state_name.as_str())
    {
        return bad_request("state does not have a valid value");
    }
    let Some(commit) = project.repository.commits.get(&sha) else {
        return gitlab_error(StatusCode::NOT_FOUND, "404 Commit Not Found");
    };
    let target_url = text("target_url");
    if let Some(url) = &target_url {
        if !(url.starts_with("http://") || url.starts_with("https://")) {
            return invalid("target_url", "is blocked: Only allowed schemes are http, https");
        }
        if url.chars().count() > 255 {
            return invalid("target_url", "is too long (maximum is 255 characters)");
        }
    }
    let description = text("description");
    if description.as_ref().is_some_and(|text| text.chars().count() > 255) {
        return invalid("description", "is too long (maximum is 255 characters)");
    }
    let name = text("name").or_else(|| text("context")).unwrap_or_else(|| "default".to_owned());
    // Without `ref`, GitLab takes a branch whose head is the commit.
    let ref_name = text("ref").or_else(|| {
        project
            .repository
            .branches
            .iter()
            .find(|(_, head)| **head == commit.sha)
            .map(|(name, _)| name.clone())
    });
    let previous = project.statuses.iter().rev().find(|status| {
        status.sha == commit.sha && status.name == name && status.ref_name == ref_name
    });
    if let Some(previous) = previous.filter(|previous| previous.status == state_name) {
        let transition = match state_name.as_str() {
            "pending" => Some("enqueue"),
            "running" => Some("run"),
            _ => None,
        };
        if let Some(transition) = transition {
            return gitlab_error(
                StatusCode::BAD_REQUEST,
                &format!(
                    "Cannot transition status via :{transition} from :{} (Reason(s): Transition halted)",
                    previous.status
                ),
            );
        }
    }
    let mut state = shared.lock();
    let status = CommitStatus {
        id: state.fresh_id(),
        sha: commit.sha.clone(),
        ref_name,
        name,
        status: state_name,
        description,
        target_url,
        author_id: user.id,
        created_at: now(),
    };
    let body = status_json(&state, &status, &shared.base_url);
    if let Some(stored) = state.projects.get_mut(&project.id) {
        stored.statuses.push(status);
    }
    (StatusCode::CREATED, Json(body)).into_response()
}
