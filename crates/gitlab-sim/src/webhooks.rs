//! Project hook deliveries: the Push, Merge Request and Note Hook bodies
//! (shaped like GitLab's documented payloads), GitLab's delivery headers,
//! and the delivery task (one POST per hook, 10 s timeout, no retries, in
//! order). Bodies are built from the state; this file never changes it
//! except to record each delivery's answer.

use std::collections::BTreeMap;
use std::sync::{Mutex, Weak};
use std::time::Duration;

use serde_json::{Value, json};
use tokio::sync::mpsc::UnboundedReceiver;

use crate::User;
use crate::merge_requests::Note;
use crate::state::{Project, SimState};

/// The version the simulator claims in `User-Agent: GitLab/<version>`.
pub(crate) const GITLAB_VERSION: &str = "17.11.2-ee";

/// A hook delivery made, with GitLab's answer.
#[derive(Debug, Clone, PartialEq)]
pub struct Delivery {
    /// The project whose hook fired.
    pub project: u64,
    /// Delivery URL.
    pub url: String,
    /// `X-Gitlab-Event`.
    pub event: String,
    /// Every request header sent.
    pub headers: BTreeMap<String, String>,
    /// The JSON body.
    pub body: Value,
    /// The receiver's status code; `None` when it did not answer in 10 s or
    /// could not be reached.
    pub status: Option<u16>,
}

/// A delivery waiting for the delivery task.
#[derive(Debug, Clone)]
pub(crate) struct Outgoing {
    pub(crate) project: u64,
    pub(crate) url: String,
    pub(crate) token: Option<String>,
    pub(crate) event: &'static str,
    pub(crate) body: Value,
    pub(crate) event_uuid: String,
    pub(crate) webhook_uuid: String,
    pub(crate) idempotency_key: String,
}

/// Delivers queued hooks one after another (so per project in order) and
/// records each answer; ends when the simulator is gone.
pub(crate) async fn deliver(
    mut outbox: UnboundedReceiver<Outgoing>,
    state: Weak<Mutex<SimState>>,
    base_url: String,
) {
    let Ok(http) = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        // GitLab counts a 3xx as delivered and does not follow it.
        .redirect(reqwest::redirect::Policy::none())
        .build()
    else {
        return;
    };
    while let Some(outgoing) = outbox.recv().await {
        let mut headers = BTreeMap::from([
            ("Content-Type".to_owned(), "application/json".to_owned()),
            ("User-Agent".to_owned(), format!("GitLab/{GITLAB_VERSION}")),
            ("X-Gitlab-Event".to_owned(), outgoing.event.to_owned()),
            ("X-Gitlab-Event-UUID".to_owned(), outgoing.event_uuid.clone()),
            ("X-Gitlab-Webhook-UUID".to_owned(), outgoing.webhook_uuid.clone()),
            ("Idempotency-Key".to_owned(), outgoing.idempotency_key.clone()),
            ("X-Gitlab-Instance".to_owned(), base_url.clone()),
        ]);
        if let Some(token) = &outgoing.token {
            headers.insert("X-Gitlab-Token".to_owned(), token.clone());
        }
        let mut request = http.post(&outgoing.url).body(outgoing.body.to_string());
        for (name, value) in &headers {
            request = request.header(name, value);
        }
        let status = request.send().await.ok().map(|response| response.status().as_u16());
        let Some(state) = state.upgrade() else {
            return;
        };
        let mut state = state.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        state.deliveries.push(Delivery {
            project: outgoing.project,
            url: outgoing.url,
            event: outgoing.event.to_owned(),
            headers,
            body: outgoing.body,
            status,
        });
    }
}

fn email(user: &User) -> String {
    format!("{}@example.com", user.username)
}

fn avatar(user: &User) -> String {
    format!("https://www.gravatar.com/avatar/{:032x}?s=80&d=identicon", user.id)
}

/// The `project` object of hook payloads (`namespace` is a display name).
pub(crate) fn project_json(project: &Project, base_url: &str) -> Value {
    let path = &project.path_with_namespace;
    let (namespace, name) = path.rsplit_once('/').unwrap_or(("", path));
    let web_url = format!("{base_url}/{path}");
    let ssh = format!("git@sim:{path}.git");
    let http = format!("{base_url}/{path}.git");
    json!({
        "id": project.id, "name": name, "description": "", "web_url": web_url, "avatar_url": null,
        "git_ssh_url": ssh, "git_http_url": http, "namespace": namespace, "visibility_level": 0,
        "path_with_namespace": path, "default_branch": project.default_branch, "ci_config_path": "",
        "homepage": web_url, "url": ssh, "ssh_url": ssh, "http_url": http,
    })
}

fn repository_json(project: &Project, base_url: &str) -> Value {
    let path = &project.path_with_namespace;
    let name = path.rsplit('/').next().unwrap_or(path);
    json!({
        "name": name, "url": format!("git@sim:{path}.git"), "description": "",
        "homepage": format!("{base_url}/{path}"), "git_http_url": format!("{base_url}/{path}.git"),
        "git_ssh_url": format!("git@sim:{path}.git"), "visibility_level": 0,
    })
}

fn user_json(user: &User) -> Value {
    json!({"id": user.id, "name": user.username, "username": user.username, "avatar_url": avatar(user), "email": email(user)})
}

fn commit_json(project: &Project, sha: &str, base_url: &str, with_paths: bool) -> Value {
    let Some(commit) = project.repository.commits.get(sha) else {
        return Value::Null;
    };
    let mut body = json!({
        "id": commit.sha, "message": commit.message, "title": commit.title(), "timestamp": commit.timestamp,
        "url": format!("{base_url}/{}/-/commit/{}", project.path_with_namespace, commit.sha),
        "author": {"name": commit.author_name, "email": commit.author_email},
    });
    if with_paths {
        let changed = project.repository.changed_paths(commit);
        body["added"] = json!(changed.added);
        body["modified"] = json!(changed.modified);
        body["removed"] = json!(changed.removed);
    }
    body
}

/// A Push Hook body for `before` → `after` on `branch`: only the newest
/// 20 commits, oldest first, with the real total.
pub(crate) fn push_body(
    project: &Project,
    user: &User,
    branch: &str,
    before: Option<&str>,
    after: &str,
    base_url: &str,
) -> Value {
    let repository = &project.repository;
    let pushed = match before {
        Some(before) => repository.commits_between(before, after),
        // A new branch: the commits not on the default branch.
        None => match project.head_sha() {
            Some(default_head) if project.default_branch != branch => {
                repository.commits_between(default_head, after)
            }
            _ => repository.history(after),
        },
    };
    let total = pushed.len();
    let commits: Vec<Value> = pushed
        .iter()
        .take(20)
        .rev()
        .map(|commit| commit_json(project, &commit.sha, base_url, true))
        .collect();
    json!({
        "object_kind": "push", "event_name": "push",
        "before": before.unwrap_or("0000000000000000000000000000000000000000"), "after": after,
        "ref": format!("refs/heads/{branch}"), "ref_protected": branch == project.default_branch,
        "checkout_sha": after, "message": null,
        "user_id": user.id, "user_name": user.username, "user_username": user.username,
        "user_email": email(user), "user_avatar": avatar(user),
        "project_id": project.id, "project": project_json(project, base_url),
        "commits": commits, "total_commits_count": total, "push_options": {},
        "repository": repository_json(project, base_url),
    })
}

fn state_id(state: &str) -> u8 {
    match state {
        "closed" => 2,
        "merged" => 3,
        _ => 1,
    }
}

/// A Merge Request Hook body; `oldrev` only when code changed.
pub(crate) fn merge_request_body(
    project: &Project,
    iid: u64,
    action: &str,
    oldrev: Option<&str>,
    user: &User,
    base_url: &str,
) -> Option<Value> {
    let request = project.merge_requests.get(&iid)?;
    let head = project.repository.branches.get(&request.source_branch).cloned().unwrap_or_default();
    let mut attributes = merge_request_attributes(project, iid, base_url)?;
    attributes["action"] = json!(action);
    attributes["last_commit"] = commit_json(project, &head, base_url, false);
    if let Some(oldrev) = oldrev {
        attributes["oldrev"] = json!(oldrev);
    }
    let changes = match action {
        "open" => json!({
            "author_id": {"previous": null, "current": request.author_id},
            "created_at": {"previous": null, "current": request.created_at},
            "id": {"previous": null, "current": request.id},
            "iid": {"previous": null, "current": request.iid},
            "source_branch": {"previous": null, "current": request.source_branch},
            "target_branch": {"previous": null, "current": request.target_branch},
            "title": {"previous": null, "current": request.title},
            "state_id": {"previous": null, "current": 1},
        }),
        "close" | "merge" => json!({
            "state_id": {"previous": 1, "current": state_id(&request.state)},
            "updated_at": {"previous": request.created_at, "current": request.updated_at},
        }),
        _ => json!({"updated_at": {"previous": request.created_at, "current": request.updated_at}}),
    };
    Some(json!({
        "object_kind": "merge_request", "event_type": "merge_request",
        "user": user_json(user), "project": project_json(project, base_url),
        "repository": repository_json(project, base_url),
        "object_attributes": attributes, "labels": [], "changes": changes,
        "assignees": [], "reviewers": [],
    }))
}

/// `object_attributes` of a Merge Request Hook (`merge_request` of a Note
/// Hook), without `action`.
fn merge_request_attributes(project: &Project, iid: u64, base_url: &str) -> Option<Value> {
    let request = project.merge_requests.get(&iid)?;
    let head = project.repository.branches.get(&request.source_branch).cloned().unwrap_or_default();
    Some(json!({
        "id": request.id, "iid": request.iid, "target_branch": request.target_branch,
        "source_branch": request.source_branch, "source_project_id": project.id,
        "target_project_id": project.id, "author_id": request.author_id, "assignee_ids": [],
        "assignee_id": null, "reviewer_ids": [], "title": request.title, "created_at": request.created_at,
        "updated_at": request.updated_at, "last_edited_at": null, "last_edited_by_id": null,
        "milestone_id": null, "state_id": state_id(&request.state), "state": request.state,
        "blocking_discussions_resolved": true, "work_in_progress": false, "draft": false,
        "first_contribution": false, "merge_status": "can_be_merged", "description": "", "prepared_at": request.created_at,
        "merge_commit_sha": request.merge_commit_sha, "total_time_spent": 0, "time_change": 0,
        "human_total_time_spent": null, "human_time_change": null, "human_time_estimate": null,
        "url": format!("{base_url}/{}/-/merge_requests/{iid}", project.path_with_namespace),
        "source": project_json(project, base_url), "target": project_json(project, base_url),
        "last_commit": commit_json(project, &head, base_url, false), "labels": [],
        "detailed_merge_status": "mergeable",
    }))
}

/// A Note Hook body for a note on a merge request.
pub(crate) fn note_body(
    project: &Project,
    iid: u64,
    note: &Note,
    action: &str,
    user: &User,
    base_url: &str,
) -> Option<Value> {
    let request = project.merge_requests.get(&iid)?;
    let url = format!(
        "{base_url}/{}/-/merge_requests/{iid}#note_{}",
        project.path_with_namespace, note.id
    );
    let position = note.position.as_ref().map(crate::merge_requests_api::position_json);
    let mut merge_request = merge_request_attributes(project, iid, base_url)?;
    // A Note Hook's merge request also carries these (documented payload).
    merge_request["assignee"] = Value::Null;
    merge_request["position"] = json!(0);
    Some(json!({
        "object_kind": "note", "event_type": "note", "user": user_json(user),
        "project_id": project.id, "project": project_json(project, base_url),
        "repository": repository_json(project, base_url),
        "object_attributes": {
            "id": note.id, "note": note.body, "noteable_type": "MergeRequest", "author_id": note.author_id,
            "created_at": note.created_at, "updated_at": note.updated_at, "project_id": project.id,
            "attachment": null, "line_code": null, "commit_id": "", "noteable_id": request.id,
            "system": note.system, "st_diff": null, "discussion_id": note.discussion_id,
            "type": if position.is_some() { json!("DiffNote") } else { Value::Null },
            "position": position, "action": action, "url": url,
        },
        "merge_request": merge_request,
    }))
}
