//! Transporters (Brokers): register one and get its one-time enrolment
//! token, read what the hub sees of its agents (status, version, last
//! seen, its Transporter applet's GitLab URL, health checks), issue a new
//! enrolment token, revoke its credential, run its health checks now.
//! Tokens are shown once and stored as SHA-256 hashes.

use axum::Json;
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, post};
use serde::{Deserialize, Serialize};
use vigil_store::{Queue, Transporter};
use vigil_transporter::hub::LinkView;

use super::audit;
use crate::auth::{self, Admin, Viewer};
use crate::error::{ApiJson, ApiPath, ApiResult, AppError, ErrorBody};
use crate::{AppState, transporter};

pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/transporters", get(list_transporters).post(create_transporter))
        .route("/api/v1/transporters/{id}", get(get_transporter).delete(delete_transporter))
        .route("/api/v1/transporters/{id}/enrolment", post(renew_enrolment))
        .route("/api/v1/transporters/{id}/revoke", post(revoke))
        .route("/api/v1/transporters/{id}/health", post(check_health))
}

/// One of a transporter's applets.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub(crate) struct Applet {
    /// `transporter`: proxies GitLab's API and webhooks.
    pub(crate) kind: &'static str,
    /// The GitLab base URL it serves.
    pub(crate) gitlab_url: String,
}

/// A connected agent.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub(crate) struct AgentView {
    /// The agent's id (host name and a random suffix).
    pub(crate) agent: String,
    /// Its version.
    pub(crate) version: String,
    /// The GitLab base URL it serves.
    pub(crate) gitlab_url: String,
    /// Where GitLab reaches its webhook listener (empty: none).
    pub(crate) webhook_url: String,
    /// Where it connected from.
    pub(crate) remote: String,
    /// When it connected, Unix ms.
    pub(crate) connected_at: i64,
    /// Its last ping, Unix ms.
    pub(crate) last_ping_at: i64,
}

/// A transporter with its live agents and applets.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub(crate) struct TransporterView {
    #[serde(flatten)]
    pub(crate) transporter: Transporter,
    /// Agents connected to this server now (two or more share the load).
    pub(crate) agents: Vec<AgentView>,
    /// What it offers; the Transporter applet lists its GitLab URL.
    pub(crate) applets: Vec<Applet>,
}

pub(crate) fn view(state: &AppState, transporter: Transporter) -> TransporterView {
    let agents: Vec<AgentView> = state
        .hub
        .links(transporter.id)
        .into_iter()
        .map(|LinkView { info, last_ping_at }| AgentView {
            agent: info.agent,
            version: info.version,
            gitlab_url: info.gitlab_url,
            webhook_url: info.webhook_url,
            remote: info.remote,
            connected_at: info.connected_at,
            last_ping_at,
        })
        .collect();
    let applets = transporter
        .gitlab_url
        .iter()
        .map(|url| Applet { kind: "transporter", gitlab_url: url.clone() })
        .collect();
    TransporterView { transporter, agents, applets }
}

pub(crate) async fn find(state: &AppState, id: i64) -> ApiResult<Transporter> {
    state.store.transporter(id).await?.ok_or_else(|| AppError::not_found("transporter"))
}

/// Lists transporters.
#[utoipa::path(get, path = "/api/v1/transporters", tag = "instances", security(("token" = []), ("session" = [])),
    responses((status = 200, body = Vec<TransporterView>)))]
pub(crate) async fn list_transporters(
    Viewer(_caller): Viewer,
    State(state): State<AppState>,
) -> ApiResult<Json<Vec<TransporterView>>> {
    let all = state.store.transporters().await?;
    Ok(Json(all.into_iter().map(|transporter| view(&state, transporter)).collect()))
}

/// One transporter, with its connected agents and applets.
#[utoipa::path(get, path = "/api/v1/transporters/{id}", tag = "instances", params(("id" = i64, Path, description = "Transporter id")),
    security(("token" = []), ("session" = [])), responses((status = 200, body = TransporterView), (status = 404, body = ErrorBody)))]
pub(crate) async fn get_transporter(
    Viewer(_caller): Viewer,
    State(state): State<AppState>,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<TransporterView>> {
    let transporter = find(&state, id).await?;
    Ok(Json(view(&state, transporter)))
}

/// A new transporter.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub(crate) struct CreateTransporter {
    /// Name (the host that runs the agent).
    pub(crate) name: String,
}

/// A transporter and a one-time enrolment token.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub(crate) struct Enrolment {
    pub(crate) transporter: Transporter,
    /// Shown once: the agent trades it for its long-lived credential
    /// (`vigil transporter --enrolment-token …`).
    pub(crate) enrolment_token: String,
}

fn enrolment_token() -> String {
    format!("vgle_{}", auth::random_token())
}

/// Registers a transporter.
#[utoipa::path(post, path = "/api/v1/transporters", tag = "instances", request_body = CreateTransporter,
    security(("token" = []), ("session" = [])),
    responses((status = 201, body = Enrolment), (status = 400, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub(crate) async fn create_transporter(
    Admin(caller): Admin,
    State(state): State<AppState>,
    ApiJson(body): ApiJson<CreateTransporter>,
) -> ApiResult<(StatusCode, Json<Enrolment>)> {
    if body.name.trim().is_empty() {
        return Err(AppError::bad_request("name must not be empty"));
    }
    let enrolment_token = enrolment_token();
    let transporter = state
        .store
        .create_transporter(body.name.trim(), &auth::token_hash(&enrolment_token), Queue::now_ms())
        .await?;
    audit(
        &state,
        &caller,
        "transporter.create",
        format!("transporter:{}", transporter.id),
        &transporter.name,
    )
    .await?;
    Ok((StatusCode::CREATED, Json(Enrolment { transporter, enrolment_token })))
}

/// Issues a new one-time enrolment token (to enrol one more agent, or
/// again after a revocation): every agent keeps its own credential, so the
/// agents already enrolled keep working.
#[utoipa::path(post, path = "/api/v1/transporters/{id}/enrolment", tag = "instances", params(("id" = i64, Path, description = "Transporter id")),
    security(("token" = []), ("session" = [])), responses((status = 200, body = Enrolment), (status = 404, body = ErrorBody)))]
pub(crate) async fn renew_enrolment(
    Admin(caller): Admin,
    State(state): State<AppState>,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<Enrolment>> {
    let enrolment_token = enrolment_token();
    if !state.store.renew_transporter_enrolment(id, &auth::token_hash(&enrolment_token)).await? {
        return Err(AppError::not_found("transporter"));
    }
    audit(&state, &caller, "transporter.enrolment", format!("transporter:{id}"), "").await?;
    Ok(Json(Enrolment { transporter: find(&state, id).await?, enrolment_token }))
}

/// Revokes the transporter's credential and disconnects its agents.
#[utoipa::path(post, path = "/api/v1/transporters/{id}/revoke", tag = "instances", params(("id" = i64, Path, description = "Transporter id")),
    security(("token" = []), ("session" = [])), responses((status = 200, body = TransporterView), (status = 404, body = ErrorBody)))]
pub(crate) async fn revoke(
    Admin(caller): Admin,
    State(state): State<AppState>,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<TransporterView>> {
    if !state.store.revoke_transporter(id).await? {
        return Err(AppError::not_found("transporter"));
    }
    state.hub.disconnect(id);
    audit(&state, &caller, "transporter.revoke", format!("transporter:{id}"), "").await?;
    Ok(Json(view(&state, find(&state, id).await?)))
}

/// Runs the health checks of every connected agent now (internal: agent →
/// GitLab; external: agent → hub; the webhook listener's certificate) and
/// returns the transporter with the results.
#[utoipa::path(post, path = "/api/v1/transporters/{id}/health", tag = "instances", params(("id" = i64, Path, description = "Transporter id")),
    security(("token" = []), ("session" = [])), responses((status = 200, body = TransporterView), (status = 404, body = ErrorBody)))]
pub(crate) async fn check_health(
    Admin(_caller): Admin,
    State(state): State<AppState>,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<TransporterView>> {
    find(&state, id).await?;
    transporter::check_health(&state, id).await?;
    Ok(Json(view(&state, find(&state, id).await?)))
}

/// Deletes a transporter; instances using it go direct.
#[utoipa::path(delete, path = "/api/v1/transporters/{id}", tag = "instances", params(("id" = i64, Path, description = "Transporter id")),
    security(("token" = []), ("session" = [])), responses((status = 204), (status = 404, body = ErrorBody)))]
pub(crate) async fn delete_transporter(
    Admin(caller): Admin,
    State(state): State<AppState>,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<StatusCode> {
    if !state.store.delete_transporter(id).await? {
        return Err(AppError::not_found("transporter"));
    }
    state.hub.disconnect(id);
    audit(&state, &caller, "transporter.delete", format!("transporter:{id}"), "").await?;
    Ok(StatusCode::NO_CONTENT)
}
