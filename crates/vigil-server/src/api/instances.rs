//! GitLab instances: list and read for everyone; create and delete for
//! admins. Client secrets are encrypted before they are stored and never
//! returned. (The onboarding flow that verifies an instance and selects
//! its repositories builds on these.)

use axum::Json;
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, post, put};
use serde::{Deserialize, Serialize};
use vigil_store::{Deletion, Instance, NewInstance, Queue, SecretString};

use super::audit;
use crate::auth::{self, Admin, Viewer};
use crate::error::{ApiJson, ApiPath, ApiQuery, ApiResult, AppError, ErrorBody};
use crate::{AppState, onboarding};

pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/instances", get(list_instances).post(create_instance))
        .route("/api/v1/instances/check", post(check_domain))
        .route("/api/v1/instances/{id}", get(get_instance).delete(delete_instance))
        .route("/api/v1/instances/{id}/webhook-secret", post(rotate_webhook_secret))
        .route("/api/v1/instances/{id}/selection", put(set_selection))
        .route("/api/v1/instances/{id}/projects", get(list_projects))
}

/// An instance as the API shows it: its row and the GitLab events Vigil's
/// hooks subscribe to.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub(crate) struct InstanceView {
    #[serde(flatten)]
    pub(crate) instance: Instance,
    /// Events of the project hook on each selected repository.
    pub(crate) subscribed_events: Vec<&'static str>,
    /// How far its repositories are scanned (the onboarding's progress).
    pub(crate) progress: vigil_store::ScanProgress,
}

impl InstanceView {
    async fn of(state: &AppState, instance: Instance) -> Result<InstanceView, AppError> {
        let progress = state.store.scan_progress(instance.id).await?;
        Ok(InstanceView { progress, ..InstanceView::from(instance) })
    }
}

impl From<Instance> for InstanceView {
    fn from(instance: Instance) -> InstanceView {
        let events = vigil_gitlab::HookEvents::VIGIL;
        let subscribed_events = [
            (events.push, "push"),
            (events.merge_requests, "merge_request"),
            (events.notes, "note"),
        ]
        .into_iter()
        .filter_map(|(on, name)| on.then_some(name))
        .collect();
        InstanceView { instance, subscribed_events, progress: vigil_store::ScanProgress::default() }
    }
}

/// Lists instances.
#[utoipa::path(get, path = "/api/v1/instances", tag = "instances", security(("token" = []), ("session" = [])),
    responses((status = 200, body = Vec<InstanceView>)))]
pub(crate) async fn list_instances(
    Viewer(_caller): Viewer,
    State(state): State<AppState>,
) -> ApiResult<Json<Vec<InstanceView>>> {
    let mut views = Vec::new();
    for instance in state.store.instances().await? {
        views.push(InstanceView::of(&state, instance).await?);
    }
    Ok(Json(views))
}

/// A new instance.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub(crate) struct CreateInstance {
    /// Display name.
    pub(crate) name: String,
    /// `https://host[:port]` of the GitLab instance.
    pub(crate) base_url: String,
    /// OAuth application id.
    pub(crate) client_id: Option<String>,
    /// OAuth application secret; stored encrypted, never returned.
    pub(crate) client_secret: Option<String>,
    /// Transporter to reach it through.
    pub(crate) transporter_id: Option<i64>,
    /// Seconds between periodic full scans (default 86,400; at least 300).
    pub(crate) scan_interval_s: Option<i64>,
    /// A personal, group or project access token with the `api` scope, for
    /// instances connected without OAuth; stored encrypted, never returned.
    pub(crate) access_token: Option<String>,
}

/// `https://host[:port]` with no path, query or trailing slash.
pub(crate) fn parse_base_url(text: &str) -> Result<String, AppError> {
    let trimmed = text.trim().trim_end_matches('/');
    let rest = trimmed
        .strip_prefix("https://")
        .or_else(|| trimmed.strip_prefix("http://"))
        .ok_or_else(|| {
            AppError::bad_request(format!(
                "base_url `{text}` must start with https:// (or http://)"
            ))
        })?;
    if rest.is_empty() || rest.contains(['/', '?', '#', '@', ' ']) {
        return Err(AppError::bad_request(format!(
            "base_url `{text}` must be a scheme and host with an optional port, like https://gitlab.example.com:8443"
        )));
    }
    Ok(trimmed.to_owned())
}

/// A GitLab address to check.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub(crate) struct DomainCheck {
    /// `https://host[:port]`.
    pub(crate) base_url: String,
    /// Check through this transporter (GitLab in a closed network).
    #[serde(default)]
    pub(crate) transporter_id: Option<i64>,
}

/// What the address answered.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub(crate) struct DomainCheckResult {
    /// The address as Vigil will store it.
    pub(crate) base_url: String,
    /// True when GitLab's API answered.
    pub(crate) reachable: bool,
    /// GitLab's version, when it shows it without a token.
    pub(crate) version: Option<String>,
    /// What was found, or what failed, in one sentence for a GitLab admin
    /// (cannot reach the host, the certificate is not trusted, not GitLab).
    pub(crate) summary: String,
    /// What was found, or what failed and why, with the technical detail.
    pub(crate) message: String,
}

/// The wizard's "Configure Domain" step: checks that the address answers
/// `GET /api/v4/version` like GitLab (200, or 401 with GitLab's error body)
/// and says what failed if not (DNS, connection, TLS, timeout, redirect,
/// not GitLab).
#[utoipa::path(post, path = "/api/v1/instances/check", tag = "instances", request_body = DomainCheck,
    security(("token" = []), ("session" = [])),
    responses((status = 200, body = DomainCheckResult), (status = 400, body = ErrorBody)))]
pub(crate) async fn check_domain(
    Admin(_caller): Admin,
    State(state): State<AppState>,
    ApiJson(body): ApiJson<DomainCheck>,
) -> ApiResult<Json<DomainCheckResult>> {
    let base_url = parse_base_url(&body.base_url)?;
    let settings = vigil_gitlab::ClientSettings {
        timeout: std::time::Duration::from_secs(10),
        ..crate::gitlab::client_settings(&state.store, body.transporter_id)
            .await
            .map_err(AppError::bad_request)?
    };
    let result = match vigil_gitlab::probe(&base_url, &settings).await {
        Ok(probe) => {
            let message = match &probe.version {
                Some(version) => format!("GitLab {} answers at {base_url}", version.version),
                None => format!(
                    "GitLab answers at {base_url} (its version shows once Vigil is authorised)"
                ),
            };
            DomainCheckResult {
                summary: message.clone(),
                message,
                version: probe.version.map(|version| version.version),
                reachable: true,
                base_url,
            }
        }
        Err(error) => DomainCheckResult {
            summary: error.summary().to_owned(),
            message: error.to_string(),
            reachable: false,
            version: None,
            base_url,
        },
    };
    Ok(Json(result))
}

/// Adds an instance.
#[utoipa::path(post, path = "/api/v1/instances", tag = "instances", request_body = CreateInstance, security(("token" = []), ("session" = [])),
    responses((status = 201, body = Instance), (status = 400, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub(crate) async fn create_instance(
    Admin(caller): Admin,
    State(state): State<AppState>,
    ApiJson(body): ApiJson<CreateInstance>,
) -> ApiResult<(StatusCode, Json<Instance>)> {
    let scan_interval_s = body.scan_interval_s.unwrap_or(86_400);
    if scan_interval_s < 300 {
        return Err(AppError::bad_request("scan_interval_s must be at least 300 seconds"));
    }
    if body.name.trim().is_empty() {
        return Err(AppError::bad_request("name must not be empty"));
    }
    let new = NewInstance {
        name: body.name.trim().to_owned(),
        base_url: parse_base_url(&body.base_url)?,
        oauth_client_id: body.client_id,
        oauth_client_secret: body.client_secret.map(SecretString::new),
        transporter_id: body.transporter_id,
        scan_interval_s,
        created_by: Some(caller.actor()),
    };
    // Vigil makes the secret GitLab's hooks send back; the onboarding puts
    // it into every hook it creates.
    let secret = SecretString::new(auth::random_token());
    let token = body.access_token.filter(|token| !token.is_empty()).map(SecretString::new);
    let instance = state
        .store
        .create_instance_audited(&new, &secret, token.as_ref(), &caller.actor(), Queue::now_ms())
        .await?;
    Ok((StatusCode::CREATED, Json(instance)))
}

/// One instance.
#[utoipa::path(get, path = "/api/v1/instances/{id}", tag = "instances", params(("id" = i64, Path, description = "Instance id")),
    security(("token" = []), ("session" = [])), responses((status = 200, body = InstanceView), (status = 404, body = ErrorBody)))]
pub(crate) async fn get_instance(
    Viewer(_caller): Viewer,
    State(state): State<AppState>,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<InstanceView>> {
    let instance =
        state.store.instance(id).await?.ok_or_else(|| AppError::not_found("instance"))?;
    Ok(Json(InstanceView::of(&state, instance).await?))
}

/// Deletes an instance and all its data (repositories, scans, issues).
/// With no Vigil hook in GitLab it is gone at once (204); otherwise a job
/// removes the hooks first and then the data (202, status `deleting`).
#[utoipa::path(delete, path = "/api/v1/instances/{id}", tag = "instances", params(("id" = i64, Path, description = "Instance id")),
    security(("token" = []), ("session" = [])), responses((status = 204), (status = 202), (status = 404, body = ErrorBody)))]
pub(crate) async fn delete_instance(
    Admin(caller): Admin,
    State(state): State<AppState>,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<StatusCode> {
    let job = crate::payloads::job(&crate::payloads::DeleteInstanceJob { instance_id: id })
        .dedup_key(format!("delete:{id}"));
    let deletion = state
        .store
        .request_instance_deletion(id, &job, &caller.actor(), Queue::now_ms())
        .await?
        .ok_or_else(|| AppError::not_found("instance"))?;
    match deletion {
        Deletion::Deleted => {
            state.webhook_secrets.forget(id);
            Ok(StatusCode::NO_CONTENT)
        }
        Deletion::Queued(_) => {
            state.job_wakeup.notify_waiters();
            Ok(StatusCode::ACCEPTED)
        }
    }
}

/// Which repositories of an instance Vigil scans.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub(crate) struct Selection {
    /// `all` (every project the token's user maintains today), `all_and_future`
    /// (also those created later, found by the periodic sync), or `chosen`.
    pub(crate) mode: String,
    /// GitLab project ids, for `chosen`.
    #[serde(default)]
    pub(crate) project_ids: Vec<i64>,
}

/// The sync job a selection queued.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub(crate) struct SyncQueued {
    /// Job id.
    pub(crate) job_id: i64,
}

/// Sets the repository selection and queues a sync: hooks installed on
/// selected repositories, their first scans queued, deselected ones dropped
/// with their hooks and data; the instance is `pending` until the sync has
/// applied it, then its status says how it went.
#[utoipa::path(put, path = "/api/v1/instances/{id}/selection", tag = "instances", params(("id" = i64, Path, description = "Instance id")),
    request_body = Selection, security(("token" = []), ("session" = [])),
    responses((status = 202, body = SyncQueued), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub(crate) async fn set_selection(
    Admin(caller): Admin,
    State(state): State<AppState>,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<Selection>,
) -> ApiResult<(StatusCode, Json<SyncQueued>)> {
    let chosen: &[i64] = match body.mode.as_str() {
        "all" | "all_and_future" => &[],
        "chosen" => &body.project_ids,
        other => {
            return Err(AppError::bad_request(format!(
                "unknown mode `{other}` (expected one of: all, all_and_future, chosen)"
            )));
        }
    };
    // The job reads the selection when it runs, so queued syncs collapse.
    let sync = onboarding::sync_job_for(id);
    let job_id = state
        .store
        .apply_selection(id, &body.mode, chosen, &sync, &caller.actor(), Queue::now_ms())
        .await?
        .ok_or_else(|| AppError::not_found("instance"))?;
    state.job_wakeup.notify_waiters();
    Ok((StatusCode::ACCEPTED, Json(SyncQueued { job_id })))
}

/// Which projects to list.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub(crate) struct ProjectQuery {
    /// Part of the project's path or name.
    pub(crate) search: Option<String>,
    /// `next_cursor` of the previous page.
    pub(crate) cursor: Option<String>,
    /// Page size, 1 to 100 (default 50).
    pub(crate) limit: Option<u32>,
}

/// A project the instance's user may connect.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub(crate) struct ProjectChoice {
    /// GitLab project id (for `project_ids` in the selection).
    pub(crate) project_id: i64,
    /// `group/project`.
    pub(crate) path: String,
    /// Default branch, if the repository has one.
    pub(crate) default_branch: Option<String>,
    /// Whether Vigil scans it now.
    pub(crate) selected: bool,
    /// Another instance that already scans this project (the same GitLab
    /// registered twice); it cannot be selected here.
    pub(crate) conflict: Option<String>,
}

/// A page of projects.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub(crate) struct ProjectPage {
    /// The projects, by id.
    pub(crate) items: Vec<ProjectChoice>,
    /// Pass as `cursor` for the next page; absent on the last page.
    pub(crate) next_cursor: Option<String>,
    /// How many projects match in all, on every page; absent when GitLab
    /// does not count them (above 10,000) or the count failed.
    pub(crate) total: Option<u64>,
}

/// The wizard's "Choose from repository list": the projects the instance's
/// user is Maintainer or above of, live from GitLab (keyset pagination),
/// searchable, with whether Vigil scans each one already.
#[utoipa::path(get, path = "/api/v1/instances/{id}/projects", tag = "instances",
    params(("id" = i64, Path, description = "Instance id"), ProjectQuery), security(("token" = []), ("session" = [])),
    responses((status = 200, body = ProjectPage), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody),
               (status = 502, body = ErrorBody)))]
pub(crate) async fn list_projects(
    Admin(_caller): Admin,
    State(state): State<AppState>,
    ApiPath(id): ApiPath<i64>,
    ApiQuery(query): ApiQuery<ProjectQuery>,
) -> ApiResult<Json<ProjectPage>> {
    let instance =
        state.store.instance(id).await?.ok_or_else(|| AppError::not_found("instance"))?;
    let after = match query.cursor.as_deref() {
        Some(cursor) => Some(
            u64::try_from(super::decode_cursor(cursor)?.1)
                .map_err(|_| AppError::bad_request("invalid cursor"))?,
        ),
        None => None,
    };
    let limit = query.limit.unwrap_or(50);
    if !(1..=100).contains(&limit) {
        return Err(AppError::bad_request(format!("limit must be between 1 and 100, not {limit}")));
    }
    let client = crate::gitlab::instance_client(&state.store, &instance)
        .await
        .map_err(AppError::bad_gateway)?;
    let (projects, next) = client
        .maintained_projects_page(query.search.as_deref(), after, limit)
        .await
        .map_err(|error| AppError::bad_gateway(crate::gitlab::reason(&error)))?;
    let mut items = Vec::with_capacity(projects.len());
    for project in projects {
        let project_id = i64::try_from(project.id).unwrap_or(i64::MAX);
        let selected = state
            .store
            .repository_by_project(id, project_id)
            .await?
            .is_some_and(|repository| repository.selected);
        let conflict = state
            .store
            .project_owner_elsewhere(id, project_id, &project.path_with_namespace)
            .await?
            .map(|owner| format!("already scanned through instance {owner}"));
        items.push(ProjectChoice {
            project_id,
            path: project.path_with_namespace,
            default_branch: project.default_branch,
            selected,
            conflict,
        });
    }
    let next_cursor =
        next.map(|after| super::encode_cursor(0, i64::try_from(after).unwrap_or(i64::MAX)));
    // The count is a nicety: a GitLab that cannot give it still lists.
    let total =
        client.maintained_projects_total(query.search.as_deref()).await.unwrap_or_else(|error| {
            tracing::debug!(%error, instance = id, "no project count from GitLab");
            None
        });
    Ok(Json(ProjectPage { items, next_cursor, total }))
}

/// A new webhook secret, shown once.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub(crate) struct WebhookSecret {
    /// Where GitLab delivers this instance's hooks (path on this server).
    pub(crate) webhook_path: String,
    /// The `X-Gitlab-Token` GitLab must send; only shown here.
    pub(crate) webhook_secret: String,
}

/// Replaces an instance's webhook secret and shows the new one once
/// (hooks that still send the old one are refused from now on).
#[utoipa::path(post, path = "/api/v1/instances/{id}/webhook-secret", tag = "instances",
    params(("id" = i64, Path, description = "Instance id")), security(("token" = []), ("session" = [])),
    responses((status = 200, body = WebhookSecret), (status = 404, body = ErrorBody)))]
pub(crate) async fn rotate_webhook_secret(
    Admin(caller): Admin,
    State(state): State<AppState>,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<WebhookSecret>> {
    state.store.instance(id).await?.ok_or_else(|| AppError::not_found("instance"))?;
    let secret = auth::random_token();
    state
        .store
        .set_instance_secret(
            id,
            "webhook_secret_enc",
            Some(&SecretString::new(secret.clone())),
            Queue::now_ms(),
        )
        .await?;
    state.webhook_secrets.forget(id);
    audit(&state, &caller, "instance.webhook_secret.rotate", format!("instance:{id}"), "").await?;
    Ok(Json(WebhookSecret { webhook_path: format!("/hooks/gitlab/{id}"), webhook_secret: secret }))
}
