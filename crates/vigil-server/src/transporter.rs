//! The hub's side in the server: `POST /transporter/enrol` trades a
//! one-time enrolment token, within its lifetime
//! ([`crate::ServerSettings::transporter_enrolment_ttl_ms`]), for a
//! credential of that agent's own; `GET /transporter`
//! takes an agent's WebSocket after checking that credential, serves the
//! link (GitLab's webhooks coming up the tunnel go to the same intake as
//! direct ones) and runs the agent's health checks on connect and every
//! minute; [`check_health`] runs them on demand and records the
//! transporter's status (connected, warning, error) with the reason. While
//! it holds a link, the process keeps a row in `transporter_holders` with
//! its forward endpoint's URL, renewed with every health check, so jobs in
//! any process reach the tunnel through it.

use std::net::SocketAddr;
use std::time::Duration;

use axum::Json;
use axum::Router;
use axum::body::Body;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse as _, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use serde_json::json;
use vigil_store::{Enrolment, Queue, TransporterState};
use vigil_transporter::dial::Enrolled;
use vigil_transporter::hub::{self, AgentInfo};

use crate::AppState;
use crate::auth::{random_token, token_hash};
use crate::error::{ApiJson, ApiResult, AppError};

/// How often a connected transporter's health checks run.
pub const HEALTH_INTERVAL: Duration = Duration::from_secs(60);

pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route(vigil_transporter::HUB_PATH, get(connect))
        .route(vigil_transporter::ENROL_PATH, post(enrol))
}

#[derive(Debug, Deserialize)]
struct EnrolBody {
    enrolment_token: String,
}

async fn enrol(
    State(state): State<AppState>,
    ApiJson(body): ApiJson<EnrolBody>,
) -> ApiResult<Json<Enrolled>> {
    let credential = format!("vgtc_{}", random_token());
    let ttl_ms = state.settings.transporter_enrolment_ttl_ms;
    let enrolment = state
        .store
        .enrol_transporter(
            &token_hash(body.enrolment_token.trim()),
            &token_hash(&credential),
            Queue::now_ms(),
            ttl_ms,
        )
        .await?;
    let transporter = match enrolment {
        Enrolment::Enrolled(transporter) => *transporter,
        Enrolment::Expired => {
            return Err(AppError::unauthorized(format!(
                "the enrolment token expired (tokens are valid for {}); issue a new one in Vigil",
                lifetime(ttl_ms)
            )));
        }
        _ => {
            return Err(AppError::unauthorized(
                "unknown or already used enrolment token; issue a new one in Vigil",
            ));
        }
    };
    state
        .store
        .audit(
            &format!("transporter:{}", transporter.id),
            "transporter.enrol",
            &format!("transporter:{}", transporter.id),
            &transporter.name,
            Queue::now_ms(),
        )
        .await?;
    tracing::info!(transporter = transporter.id, "transporter enrolled");
    Ok(Json(Enrolled { transporter_id: transporter.id, credential }))
}

/// A token lifetime for a message: whole hours when it is some, else minutes.
fn lifetime(ttl_ms: i64) -> String {
    let minutes = ttl_ms / 60_000;
    match minutes {
        _ if minutes >= 60 && minutes % 60 == 0 => format!("{} h", minutes / 60),
        _ => format!("{minutes} min"),
    }
}

fn refuse(status: StatusCode, message: &str) -> Response {
    (status, Json(json!({ "error": "transporter", "message": message }))).into_response()
}

async fn connect(State(state): State<AppState>, mut request: Request) -> Response {
    // Owned copies: a borrow of the request (its body is not Sync) must
    // not live across an await.
    let headers = request.headers().clone();
    let header = |name: &str| {
        headers.get(name).and_then(|value| value.to_str().ok()).unwrap_or_default().to_owned()
    };
    let authorization = header("authorization");
    let Some(credential) = authorization.strip_prefix("Bearer ").map(str::trim) else {
        return refuse(
            StatusCode::UNAUTHORIZED,
            "no Transporter credential (Authorization: Bearer)",
        );
    };
    let transporter = match state.store.transporter_by_credential(&token_hash(credential)).await {
        Ok(Some(transporter)) => transporter,
        Ok(None) => {
            tracing::warn!("a Transporter agent offered an unknown or revoked credential");
            return refuse(StatusCode::UNAUTHORIZED, "unknown or revoked Transporter credential");
        }
        Err(error) => return AppError::from(error).into_response(),
    };
    let remote = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|info| info.0.to_string())
        .unwrap_or_default();
    let info = AgentInfo {
        agent: header(vigil_transporter::AGENT_HEADER),
        version: header(vigil_transporter::VERSION_HEADER),
        gitlab_url: header(vigil_transporter::GITLAB_HEADER),
        webhook_url: header(vigil_transporter::WEBHOOK_URL_HEADER),
        remote,
        connected_at: Queue::now_ms(),
    };
    let (response, on_upgrade) = match hub::upgrade(&mut request) {
        Ok(upgrade) => upgrade,
        Err(error) => return refuse(StatusCode::BAD_REQUEST, &error.to_string()),
    };
    tokio::spawn(run_link(state, transporter.id, info, on_upgrade));
    response.map(Body::new)
}

async fn run_link(
    state: AppState,
    id: i64,
    info: AgentInfo,
    on_upgrade: hyper::upgrade::OnUpgrade,
) {
    tracing::info!(transporter = id, agent = %info.agent, version = %info.version, gitlab = %info.gitlab_url, "Transporter agent connected");
    let connected = TransporterState {
        status: "connected",
        reason: None,
        version: Some(&info.version),
        gitlab_url: Some(&info.gitlab_url),
        webhook_url: Some(&info.webhook_url).filter(|url| !url.is_empty()).map(String::as_str),
        seen_at: Some(Queue::now_ms()),
    };
    if let Err(error) = state.store.set_transporter_state(id, &connected).await {
        tracing::warn!(transporter = id, %error, "cannot record the agent's connection");
    }
    hold(&state, id).await;
    let inbound = crate::hooks::router().with_state(state.clone());
    let link = state.hub.serve_link(id, info.clone(), on_upgrade, inbound);
    let health = async {
        tokio::time::sleep(Duration::from_millis(500)).await;
        loop {
            hold(&state, id).await;
            if let Err(error) = check_health(&state, id).await {
                tracing::warn!(transporter = id, %error, "health check failed");
            }
            tokio::time::sleep(HEALTH_INTERVAL).await;
        }
    };
    let reason = tokio::select! {
        reason = link => reason,
        () = health => String::new(),
    };
    tracing::warn!(transporter = id, agent = %info.agent, %reason, "Transporter agent disconnected");
    if state.hub.links(id).is_empty() {
        if let Some(url) = crate::gitlab::holder_url() {
            if let Err(error) = state.store.release_transporter(id, url).await {
                tracing::warn!(transporter = id, %error, "cannot record that this server holds no link");
            }
        }
        let message = format!("no agent connected (the last one left: {reason})");
        let state_now = TransporterState {
            status: "error",
            reason: Some(&message),
            version: None,
            gitlab_url: None,
            webhook_url: None,
            seen_at: Some(Queue::now_ms()),
        };
        if let Err(error) = state.store.set_transporter_state(id, &state_now).await {
            tracing::warn!(transporter = id, %error, "cannot record the agent's disconnection");
        }
    }
}

/// Records (and renews) that this process holds a link of transporter
/// `id`, so that jobs in other processes send its requests here.
async fn hold(state: &AppState, id: i64) {
    let Some(url) = crate::gitlab::holder_url() else { return };
    if let Err(error) = state.store.hold_transporter(id, url, url, Queue::now_ms()).await {
        tracing::warn!(transporter = id, %error, "cannot record that this server holds a link");
    }
}

fn rank(status: &str) -> u8 {
    match status {
        "ok" => 0,
        "warning" => 1,
        _ => 2,
    }
}

/// Runs every connected agent's health checks, stores the results and
/// sets the transporter's status: `connected` when all pass, `warning` or
/// `error` with the first failing check's message.
pub async fn check_health(state: &AppState, id: i64) -> Result<(), AppError> {
    let results = state.hub.health(id).await;
    let now = Queue::now_ms();
    let mut worst = if results.is_empty() { "error" } else { "ok" }.to_owned();
    let mut reason = results.is_empty().then(|| "no agent connected".to_owned());
    let mut agents = Vec::new();
    for (info, result) in results {
        match result {
            Ok(health) => {
                let status = health["status"].as_str().unwrap_or("error").to_owned();
                if rank(&status) > rank(&worst) {
                    let failing = health["checks"]
                        .as_object()
                        .and_then(|checks| {
                            checks.iter().find(|(_, check)| check["status"] == status.as_str())
                        })
                        .map(|(name, check)| {
                            format!("{name}: {}", check["message"].as_str().unwrap_or_default())
                        });
                    reason = Some(format!(
                        "agent {}: {}",
                        info.agent,
                        failing.unwrap_or_else(|| status.clone())
                    ));
                    worst = status.clone();
                }
                agents.push(json!({
                    "agent": info.agent, "version": info.version, "status": status,
                    "checks": health["checks"], "checked_at": now,
                }));
            }
            Err(message) => {
                worst = "error".to_owned();
                reason = Some(format!("agent {}: the health check failed: {message}", info.agent));
                agents.push(json!({ "agent": info.agent, "status": "error", "message": message, "checked_at": now }));
            }
        }
    }
    state.store.set_transporter_health(id, &json!({ "agents": agents }), now).await?;
    let status = match worst.as_str() {
        "ok" => "connected",
        "warning" => "warning",
        _ => "error",
    };
    let update = TransporterState {
        status,
        reason: reason.as_deref(),
        version: None,
        gitlab_url: None,
        webhook_url: None,
        seen_at: (!agents.is_empty()).then_some(now),
    };
    state.store.set_transporter_state(id, &update).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use axum::body::Body;
    use axum::http::Request;
    use tower::ServiceExt as _;
    use vigil_store::Queue;

    use crate::auth::token_hash;
    use crate::{AppState, ServerSettings};

    async fn enrol(state: &AppState, token: &str) -> (u16, serde_json::Value) {
        let request = Request::post(vigil_transporter::ENROL_PATH)
            .header("content-type", "application/json")
            .body(Body::from(serde_json::json!({ "enrolment_token": token }).to_string()))
            .unwrap();
        let response = crate::app(state.clone()).oneshot(request).await.unwrap();
        let status = response.status().as_u16();
        let body = axum::body::to_bytes(response.into_body(), 1 << 20).await.unwrap();
        (status, serde_json::from_slice(&body).unwrap())
    }

    #[tokio::test]
    async fn an_expired_enrolment_token_is_refused_saying_it_expired() {
        for test in vigil_store::testing::stores("vigil-server").await.unwrap() {
            let settings =
                ServerSettings { transporter_enrolment_ttl_ms: 3_600_000, ..Default::default() };
            let state = AppState::new(test.store.clone(), settings);
            let two_hours_ago = Queue::now_ms() - 2 * 3_600_000;
            state
                .store
                .create_transporter("old", &token_hash("vgle_old"), two_hours_ago)
                .await
                .unwrap();
            state
                .store
                .create_transporter("new", &token_hash("vgle_new"), Queue::now_ms())
                .await
                .unwrap();

            let (status, body) = enrol(&state, "vgle_old").await;
            assert_eq!(status, 401, "{}: {body}", test.name);
            assert_eq!(
                body["message"],
                "the enrolment token expired (tokens are valid for 1 h); issue a new one in Vigil"
            );
            let (status, body) = enrol(&state, "vgle_unknown").await;
            assert_eq!(status, 401);
            assert_eq!(
                body["message"],
                "unknown or already used enrolment token; issue a new one in Vigil"
            );
            let (status, body) = enrol(&state, "vgle_new").await;
            assert_eq!(status, 200, "{body}");
            assert!(body["credential"].as_str().unwrap().starts_with("vgtc_"), "{body}");
            test.drop_database().await.unwrap();
        }
    }
}
