//! Connecting an instance with OAuth 2 (authorization code + PKCE + state):
//! what to register in GitLab (`oauth-application`), the start of the
//! consent (`oauth/start` gives the browser GitLab's authorize URL) and
//! [`finish`], the work of the callback page GitLab sends the browser back
//! to (`ui::wizard`), which trades the code for tokens and stores them
//! encrypted. The state is single use, ten minutes, and bound to the admin
//! and the browser session that started the flow.

use axum::Json;
use axum::Router;
use axum::extract::State;
use axum::routing::{get, post};
use serde::{Deserialize, Serialize};
use vigil_gitlab::{OAuthClient, Pkce, Token, authorize_url, random_state};
use vigil_store::{Instance, OAuthState, Queue, StateTaken};

use super::audit;
use crate::AppState;
use crate::auth::Admin;
use crate::error::{ApiPath, ApiQuery, ApiResult, AppError, ErrorBody};

/// The scope Vigil asks for: `api` (read projects and files, manage hooks,
/// write notes, discussions and commit statuses).
pub(crate) const SCOPES: &[&str] = &["api"];
/// Why an instance that has not got its tokens yet is pending.
pub(crate) const AWAITING_CONSENT: &str = "waiting for GitLab's authorisation; if it was not completed, choose Connect again in this instance's menu";

/// Where GitLab sends the browser back, under the public URL.
pub(crate) const CALLBACK_PATH: &str = "/oauth/gitlab/callback";

pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/oauth-application", get(oauth_application))
        .route("/api/v1/instances/{id}/oauth/start", post(start))
}

fn public_url(state: &AppState) -> Result<&str, AppError> {
    state.settings.public_url.as_deref().map(|url| url.trim_end_matches('/')).ok_or_else(|| {
        AppError::conflict(
            "Vigil has no public URL (--public-url / VIGIL_PUBLIC_URL): GitLab needs one to send the browser back",
        )
    })
}

/// What to register in GitLab (Admin → Applications).
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub(crate) struct OAuthApplication {
    /// Name to give the application.
    pub(crate) application_name: String,
    /// Homepage URL: this Vigil.
    pub(crate) homepage_url: String,
    /// Authorization callback URL, exactly.
    pub(crate) callback_url: String,
    /// Scopes to tick.
    pub(crate) scopes: Vec<String>,
    /// Confidential: yes.
    pub(crate) confidential: bool,
    /// The instance's page for new applications.
    pub(crate) gitlab_applications_url: String,
}

/// Which GitLab the application is for.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub(crate) struct ApplicationQuery {
    /// `https://host[:port]` of the GitLab instance.
    pub(crate) base_url: String,
}

/// Shows what to register as an OAuth application in a GitLab instance
/// (the wizard's "Register OAuth App" step, before the instance exists).
#[utoipa::path(get, path = "/api/v1/oauth-application", tag = "instances", params(ApplicationQuery),
    security(("token" = []), ("session" = [])),
    responses((status = 200, body = OAuthApplication), (status = 400, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub(crate) async fn oauth_application(
    Admin(_caller): Admin,
    State(state): State<AppState>,
    ApiQuery(query): ApiQuery<ApplicationQuery>,
) -> ApiResult<Json<OAuthApplication>> {
    let base_url = super::instances::parse_base_url(&query.base_url)?;
    let public = public_url(&state)?;
    Ok(Json(OAuthApplication {
        application_name: format!("Vigil ({})", host_of(public)),
        homepage_url: public.to_owned(),
        callback_url: format!("{public}{CALLBACK_PATH}"),
        scopes: SCOPES.iter().map(|scope| (*scope).to_owned()).collect(),
        confidential: true,
        gitlab_applications_url: format!("{base_url}/admin/applications/new"),
    }))
}

fn host_of(url: &str) -> &str {
    url.split_once("://").map_or(url, |(_, rest)| rest)
}

/// Where to send the browser.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub(crate) struct OAuthStart {
    /// GitLab's consent page for this instance's application.
    pub(crate) authorize_url: String,
}

/// Starts the OAuth consent: returns GitLab's authorize URL (with state
/// and PKCE challenge) for the browser to open. The instance must have its
/// client id and secret.
#[utoipa::path(post, path = "/api/v1/instances/{id}/oauth/start", tag = "instances",
    params(("id" = i64, Path, description = "Instance id")), security(("token" = []), ("session" = [])),
    responses((status = 200, body = OAuthStart), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub(crate) async fn start(
    Admin(caller): Admin,
    State(state): State<AppState>,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<OAuthStart>> {
    let instance =
        state.store.instance(id).await?.ok_or_else(|| AppError::not_found("instance"))?;
    let client_id = client_id(&instance)?;
    let public = public_url(&state)?;
    let pkce = Pkce::generate();
    let flow_state = random_state();
    state
        .store
        .save_oauth_state(
            &flow_state,
            &OAuthState {
                instance_id: id,
                user_id: caller.user.id,
                code_verifier: pkce.verifier.clone(),
            },
            session_secret(&caller),
            Queue::now_ms(),
        )
        .await?;
    // Until GitLab's answer comes back, a pending instance says what it
    // waits for and the way out if the consent is never finished.
    if instance.status == "pending" {
        state
            .store
            .set_instance_status(id, "pending", Some(AWAITING_CONSENT), Queue::now_ms())
            .await?;
    }
    let callback = format!("{public}{CALLBACK_PATH}");
    let url = authorize_url(&instance.base_url, client_id, &callback, SCOPES, &flow_state, &pkce);
    Ok(Json(OAuthStart { authorize_url: url }))
}

/// What binds an OAuth state to the browser session that started it (RFC
/// 6749 section 10.12): the session's CSRF token, a secret of that session
/// only (stored hashed). An API token starts a flow bound to its user alone.
fn session_secret(caller: &crate::auth::Caller) -> Option<&str> {
    match &caller.credential {
        crate::auth::Credential::Session { csrf } => Some(csrf),
        crate::auth::Credential::Token { .. } => None,
    }
}

fn client_id(instance: &Instance) -> Result<&str, AppError> {
    instance.oauth_client_id.as_deref().filter(|id| !id.is_empty()).ok_or_else(|| {
        AppError::conflict(
            "the instance has no OAuth client id; set the application's id and secret first",
        )
    })
}

/// What GitLab appends to the callback URL.
#[derive(Debug, Deserialize)]
pub(crate) struct CallbackQuery {
    pub(crate) code: Option<String>,
    pub(crate) state: Option<String>,
    pub(crate) error: Option<String>,
    pub(crate) error_description: Option<String>,
}

/// Why a callback did not connect the instance, in words for the admin.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct CallbackFailure {
    /// What went wrong, first in words, then GitLab's own.
    pub(crate) message: String,
    /// The instance being connected, once the state named it.
    pub(crate) instance_id: Option<i64>,
    /// GitLab refused the application's ID or Secret (`invalid_client`):
    /// the way out is entering them again, not another consent.
    pub(crate) bad_credentials: bool,
}

impl CallbackFailure {
    fn before_state(message: &str) -> CallbackFailure {
        CallbackFailure { message: message.to_owned(), instance_id: None, bad_credentials: false }
    }
}

/// GitLab sent the browser back after the consent (the page is the UI's,
/// `/oauth/gitlab/callback`): the code is traded for tokens, stored
/// encrypted; the connected instance's id.
pub(crate) async fn finish(
    state: &AppState,
    caller: &crate::auth::Caller,
    query: &CallbackQuery,
) -> Result<i64, CallbackFailure> {
    let Some(flow_state) = query.state.as_deref() else {
        return Err(CallbackFailure::before_state(
            "The callback has no state parameter; start the connection again from Vigil.",
        ));
    };
    let taken = state
        .store
        .take_oauth_state(flow_state, caller.user.id, session_secret(caller), Queue::now_ms())
        .await;
    let flow = match taken {
        Ok(StateTaken::Taken(flow)) => flow,
        Ok(StateTaken::OtherUser) => {
            return Err(CallbackFailure::before_state(
                "This authorisation was started by another Vigil user; start it again yourself.",
            ));
        }
        Ok(StateTaken::OtherSession) => {
            return Err(CallbackFailure::before_state(
                "This authorisation was started in another browser session; finish it there, or start it again here.",
            ));
        }
        Ok(StateTaken::Unknown) => {
            return Err(CallbackFailure::before_state(
                "Unknown or expired authorisation (it lasts ten minutes and works once); start the connection again.",
            ));
        }
        Err(error) => {
            return Err(CallbackFailure::before_state(&format!(
                "Vigil could not read the authorisation: {error}"
            )));
        }
    };
    let failed = |message: String, bad_credentials: bool| CallbackFailure {
        message,
        instance_id: Some(flow.instance_id),
        bad_credentials,
    };
    if let Some(error) = query.error.as_deref() {
        let description = query.error_description.as_deref().unwrap_or("");
        return Err(match error {
            "access_denied" => failed(
                format!(
                    "The consent was declined in GitLab, so Vigil has no access. ({error}: {description})"
                ),
                false,
            ),
            _ => failed(format!("GitLab answered `{error}`: {description}"), false),
        });
    }
    let Some(code) = query.code.as_deref() else {
        return Err(failed("GitLab sent no authorization code.".into(), false));
    };
    match exchange(state, flow.instance_id, code, &flow.code_verifier).await {
        Ok(instance) => {
            let _ = audit(
                state,
                caller,
                "instance.oauth",
                format!("instance:{}", instance.id),
                "tokens stored",
            )
            .await;
            Ok(instance.id)
        }
        Err(Exchange::Refused(error)) if error.oauth_error() == Some("invalid_client") => {
            Err(failed(
                format!(
                    "GitLab did not accept the Application ID or Secret: check them in GitLab \
                 (Admin Area, Applications, the application you saved for Vigil) and enter them again. \
                 GitLab said: {error}"
                ),
                true,
            ))
        }
        Err(Exchange::Refused(error)) => {
            Err(failed(format!("GitLab refused the authorization code: {error}"), false))
        }
        Err(Exchange::Other(message)) => Err(failed(message, false)),
    }
}

/// Why a code was not traded for tokens.
enum Exchange {
    /// GitLab's OAuth server said no.
    Refused(vigil_gitlab::GitLabError),
    /// Anything else, in words.
    Other(String),
}

async fn exchange(
    state: &AppState,
    instance_id: i64,
    code: &str,
    verifier: &str,
) -> Result<Instance, Exchange> {
    let other = |error: &dyn std::fmt::Display| Exchange::Other(error.to_string());
    let instance = state
        .store
        .instance(instance_id)
        .await
        .map_err(|error| other(&error))?
        .ok_or_else(|| Exchange::Other("the instance was deleted meanwhile".into()))?;
    let client_id = client_id(&instance).map_err(|error| other(&error))?;
    let secret = state
        .store
        .instance_secret(instance.id, "oauth_secret_enc")
        .await
        .map_err(|error| other(&error))?
        .ok_or_else(|| Exchange::Other("the instance has no OAuth client secret".into()))?;
    let public = public_url(state).map_err(|error| other(&error))?;
    let client = OAuthClient::new(
        &instance.base_url,
        client_id,
        Token::new(secret.expose()),
        &crate::gitlab::client_settings(&state.store, instance.transporter_id)
            .await
            .map_err(Exchange::Other)?,
    )
    .map_err(|error| other(&error))?;
    let tokens = client
        .exchange_code(code, &format!("{public}{CALLBACK_PATH}"), verifier)
        .await
        .map_err(Exchange::Refused)?;
    crate::gitlab::store_tokens(&state.store, instance.id, &tokens)
        .await
        .map_err(|error| other(&error))?;
    // Jobs that waited for this instance to be connected again run now.
    let marker = crate::gitlab::reconnect_marker(instance.id);
    match state.store.queue().wake_waiting(&marker, Queue::now_ms()).await {
        Ok(0) => {}
        Ok(woken) => {
            tracing::info!(instance = instance.id, woken, "jobs waiting for the reconnect run now");
            state.job_wakeup.notify_waiters();
        }
        Err(error) => tracing::warn!(%error, instance = instance.id, "cannot wake waiting jobs"),
    }
    Ok(instance)
}
