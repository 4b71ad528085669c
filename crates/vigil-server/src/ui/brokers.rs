//! Brokers & Transporters: register a Broker (the host that runs the
//! agent) and copy its enrolment command (the token is shown once), see
//! each Broker's status, version, last seen, agents, Transporter applet and
//! health-check results, run the checks now, issue a new enrolment token,
//! revoke the credential.

use askama::Template;
use axum::Router;
use axum::extract::{Form, Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use serde::Deserialize;
use vigil_store::Queue;

use super::{Admin, Anyone, Chrome, PageResult, format, render};
use crate::AppState;
use crate::api::transporters as api;
use crate::error::{ApiJson, ApiPath};

pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/brokers", get(page).post(register))
        .route("/brokers/{id}/enrolment", post(renew))
        .route("/brokers/{id}/revoke", post(revoke))
        .route("/brokers/{id}/health", post(health))
}

/// One health check of one agent.
struct Check {
    name: String,
    status: String,
    message: String,
}

/// One agent's checks.
struct AgentHealth {
    agent: String,
    status: String,
    message: String,
    checks: Vec<Check>,
}

struct BrokerCard {
    id: i64,
    name: String,
    status: String,
    reason: String,
    version: String,
    last_seen: String,
    applet: Option<String>,
    agents: Vec<String>,
    enrolled: bool,
    enrolment_pending: bool,
    health: Vec<AgentHealth>,
    checked: String,
}

/// A token to show once, with the command that uses it.
struct Enrolment {
    broker: String,
    command: String,
}

#[derive(Template)]
#[template(path = "brokers.html")]
struct BrokersPage {
    chrome: Chrome,
    brokers: Vec<BrokerCard>,
    enrolment: Option<Enrolment>,
    error: Option<String>,
    name: String,
}

fn health_of(value: Option<&serde_json::Value>) -> Vec<AgentHealth> {
    let Some(agents) = value.and_then(|health| health["agents"].as_array()) else {
        return Vec::new();
    };
    agents
        .iter()
        .map(|agent| AgentHealth {
            agent: agent["agent"].as_str().unwrap_or("agent").to_owned(),
            status: agent["status"].as_str().unwrap_or("error").to_owned(),
            message: agent["message"].as_str().unwrap_or_default().to_owned(),
            checks: agent["checks"]
                .as_object()
                .map(|checks| {
                    checks
                        .iter()
                        .map(|(name, check)| Check {
                            name: name.clone(),
                            status: check["status"].as_str().unwrap_or("error").to_owned(),
                            message: check["message"].as_str().unwrap_or_default().to_owned(),
                        })
                        .collect()
                })
                .unwrap_or_default(),
        })
        .collect()
}

/// The command that enrols an agent with `token` against this server.
fn enrolment_command(state: &AppState, token: &str) -> String {
    let public = state.settings.public_url.as_deref().unwrap_or("https://vigil.example.com");
    let hub = public
        .trim_end_matches('/')
        .replacen("https://", "wss://", 1)
        .replacen("http://", "ws://", 1);
    format!(
        "vigil transporter --hub {hub}/transporter \\\n  --credentials /etc/vigil/transporter.credential \\\n  --enrolment-token {token} \\\n  --gitlab https://gitlab.internal"
    )
}

async fn brokers_page(
    chrome: Chrome,
    state: &AppState,
    enrolment: Option<Enrolment>,
    error: Option<String>,
    name: String,
) -> PageResult<BrokersPage> {
    let now = Queue::now_ms();
    let brokers = state
        .store
        .transporters()
        .await?
        .into_iter()
        .map(|transporter| {
            let agents =
                state.hub.links(transporter.id).into_iter().map(|link| link.info.agent).collect();
            BrokerCard {
                id: transporter.id,
                status: transporter.status.clone(),
                reason: transporter.status_reason.clone().unwrap_or_default(),
                version: transporter.version.clone().unwrap_or_else(|| "—".to_owned()),
                last_seen: transporter
                    .last_seen_at
                    .map_or_else(|| "never".to_owned(), |at| format::ago(at, now)),
                applet: transporter.gitlab_url.clone(),
                agents,
                enrolled: transporter.enrolled,
                enrolment_pending: transporter.enrolment_pending,
                health: health_of(transporter.health.as_ref()),
                checked: transporter
                    .health_checked_at
                    .map_or_else(String::new, |at| format::ago(at, now)),
                name: transporter.name,
            }
        })
        .collect();
    Ok(BrokersPage { chrome, brokers, enrolment, error, name })
}

async fn page(signed: Anyone, State(state): State<AppState>) -> PageResult {
    Ok(render(
        StatusCode::OK,
        &brokers_page(signed.chrome("brokers"), &state, None, None, String::new()).await?,
    ))
}

#[derive(Debug, Deserialize)]
struct Register {
    #[serde(default)]
    name: String,
}

async fn register(
    signed: Admin,
    State(state): State<AppState>,
    Form(form): Form<Register>,
) -> PageResult {
    let body = api::CreateTransporter { name: form.name.clone() };
    match api::create_transporter(signed.api_admin(), State(state.clone()), ApiJson(body)).await {
        Ok((_, axum::Json(created))) => {
            let enrolment = Enrolment {
                broker: created.transporter.name.clone(),
                command: enrolment_command(&state, &created.enrolment_token),
            };
            let page = brokers_page(
                signed.chrome("brokers"),
                &state,
                Some(enrolment),
                None,
                String::new(),
            )
            .await?;
            Ok(render(StatusCode::CREATED, &page))
        }
        Err(error) => {
            let page = brokers_page(
                signed.chrome("brokers"),
                &state,
                None,
                Some(error.to_string()),
                form.name,
            )
            .await?;
            Ok(render(StatusCode::UNPROCESSABLE_ENTITY, &page))
        }
    }
}

async fn renew(signed: Admin, State(state): State<AppState>, Path(id): Path<i64>) -> PageResult {
    let axum::Json(renewed) =
        api::renew_enrolment(signed.api_admin(), State(state.clone()), ApiPath(id)).await?;
    let enrolment = Enrolment {
        broker: renewed.transporter.name.clone(),
        command: enrolment_command(&state, &renewed.enrolment_token),
    };
    Ok(render(
        StatusCode::OK,
        &brokers_page(signed.chrome("brokers"), &state, Some(enrolment), None, String::new())
            .await?,
    ))
}

async fn revoke(signed: Admin, State(state): State<AppState>, Path(id): Path<i64>) -> PageResult {
    let _ = api::revoke(signed.api_admin(), State(state.clone()), ApiPath(id)).await?;
    Ok(render(
        StatusCode::OK,
        &brokers_page(signed.chrome("brokers"), &state, None, None, String::new()).await?,
    ))
}

async fn health(signed: Admin, State(state): State<AppState>, Path(id): Path<i64>) -> PageResult {
    let _ = api::check_health(signed.api_admin(), State(state.clone()), ApiPath(id)).await?;
    Ok(render(
        StatusCode::OK,
        &brokers_page(signed.chrome("brokers"), &state, None, None, String::new()).await?,
    ))
}
