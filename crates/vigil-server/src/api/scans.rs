//! Repositories and their scans: list and read repositories, list and read
//! scans (history of the last 1,000 per repository), trigger a full scan.

use axum::Json;
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, post};
use serde::{Deserialize, Serialize};
use vigil_store::{Repository, Scan, ScanScope};

use super::{Page, audit, page_size};
use crate::AppState;
use crate::auth::{Member, Viewer};
use crate::error::{ApiJson, ApiPath, ApiQuery, ApiResult, AppError, ErrorBody};
use crate::scanning::{Trigger, enqueue_scan};

pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/repositories", get(list_repositories))
        .route("/api/v1/repositories/{id}", get(get_repository))
        .route("/api/v1/repositories/{id}/scans", post(trigger_scan))
        .route("/api/v1/scans", get(list_scans))
        .route("/api/v1/scans/{id}", get(get_scan))
}

/// Filter of the repository list.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct RepositoryQuery {
    /// Only this instance's.
    pub(crate) instance: Option<i64>,
}

/// Lists repositories by path.
#[utoipa::path(get, path = "/api/v1/repositories", tag = "scans", params(RepositoryQuery), security(("token" = []), ("session" = [])),
    responses((status = 200, body = Vec<Repository>)))]
pub(crate) async fn list_repositories(
    Viewer(_caller): Viewer,
    State(state): State<AppState>,
    ApiQuery(query): ApiQuery<RepositoryQuery>,
) -> ApiResult<Json<Vec<Repository>>> {
    Ok(Json(state.store.repositories(query.instance).await?))
}

/// One repository.
#[utoipa::path(get, path = "/api/v1/repositories/{id}", tag = "scans", params(("id" = i64, Path, description = "Repository id")),
    security(("token" = []), ("session" = [])), responses((status = 200, body = Repository), (status = 404, body = ErrorBody)))]
pub(crate) async fn get_repository(
    Viewer(_caller): Viewer,
    State(state): State<AppState>,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<Repository>> {
    state.store.repository(id).await?.map(Json).ok_or_else(|| AppError::not_found("repository"))
}

/// A scan request.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub(crate) struct TriggerRequest {
    /// Branch to scan; the repository's default branch when absent.
    pub(crate) branch: Option<String>,
}

/// The scan a trigger queued, or the one already pending.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub(crate) struct Triggered {
    pub(crate) scan: Scan,
    /// True when a full scan of this branch was already queued and is returned instead.
    pub(crate) already_queued: bool,
}

/// Queues a full scan of a repository's branch.
#[utoipa::path(post, path = "/api/v1/repositories/{id}/scans", tag = "scans", params(("id" = i64, Path, description = "Repository id")),
    request_body = TriggerRequest, security(("token" = []), ("session" = [])),
    responses((status = 202, body = Triggered), (status = 404, body = ErrorBody)))]
pub(crate) async fn trigger_scan(
    Member(caller): Member,
    State(state): State<AppState>,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<TriggerRequest>,
) -> ApiResult<(StatusCode, Json<Triggered>)> {
    let repository =
        state.store.repository(id).await?.ok_or_else(|| AppError::not_found("repository"))?;
    let branch = body
        .branch
        .filter(|branch| !branch.is_empty())
        .unwrap_or_else(|| repository.default_branch.clone());
    let (scan, already_queued) =
        enqueue_scan(&state.store, &repository, &branch, ScanScope::Full, Trigger::Manual).await?;
    state.job_wakeup.notify_waiters();
    audit(&state, &caller, "scan.trigger", format!("repository:{id}"), &branch).await?;
    Ok((StatusCode::ACCEPTED, Json(Triggered { scan, already_queued })))
}

/// Filters of the scan list.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct ScanQuery {
    /// Only this repository's.
    pub(crate) repository: Option<i64>,
    /// Page size, 1–500 (default 50).
    pub(crate) limit: Option<i64>,
    /// `next_cursor` of the previous page.
    pub(crate) cursor: Option<String>,
}

/// Lists scans, newest first. The last 1,000 scans of each repository are kept.
#[utoipa::path(get, path = "/api/v1/scans", tag = "scans", params(ScanQuery), security(("token" = []), ("session" = [])),
    responses((status = 200, body = Page<Scan>), (status = 400, body = ErrorBody)))]
pub(crate) async fn list_scans(
    Viewer(_caller): Viewer,
    State(state): State<AppState>,
    ApiQuery(query): ApiQuery<ScanQuery>,
) -> ApiResult<Json<Page<Scan>>> {
    let limit = page_size(query.limit)?;
    let before = match query.cursor.as_deref() {
        Some(cursor) => Some(cursor.parse::<i64>().map_err(|_| {
            AppError::bad_request(
                "invalid cursor: pass the next_cursor of a previous page unchanged",
            )
        })?),
        None => None,
    };
    let items = state.store.scans(query.repository, before, limit).await?;
    let next_cursor = (i64::try_from(items.len()).unwrap_or(0) == limit)
        .then(|| items.last().map(|scan| scan.id.to_string()))
        .flatten();
    Ok(Json(Page { items, next_cursor }))
}

/// One scan with its diagnostics.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub(crate) struct ScanDetail {
    #[serde(flatten)]
    scan: Scan,
    /// Configuration problems (with file, line and column), skipped and
    /// unreadable files, in report order; at most 1,000 and a note.
    #[schema(value_type = Vec<Object>)]
    diagnostics: Vec<vigil_core::Diagnostic>,
}

/// One scan, with its diagnostics.
#[utoipa::path(get, path = "/api/v1/scans/{id}", tag = "scans", params(("id" = i64, Path, description = "Scan id")),
    security(("token" = []), ("session" = [])), responses((status = 200, body = ScanDetail), (status = 404, body = ErrorBody)))]
pub(crate) async fn get_scan(
    Viewer(_caller): Viewer,
    State(state): State<AppState>,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<ScanDetail>> {
    let scan = state.store.scan(id).await?.ok_or_else(|| AppError::not_found("scan"))?;
    let diagnostics = state.store.scan_diagnostics(id).await?;
    Ok(Json(ScanDetail { scan, diagnostics }))
}
