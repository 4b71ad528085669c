//! Connecting an instance with OAuth 2 (authorization code + PKCE + state):
//! what to register in GitLab (`oauth-application`), the start of the
//! consent (`oauth/start` gives the browser GitLab's authorize URL) and the
//! callback GitLab sends the browser back to, which trades the code for
//! tokens and stores them encrypted. The state is single use, ten minutes,
//! and bound to the admin who started the flow.

use axum::Json;
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
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
/// Where GitLab sends the browser back, under the public URL.
pub(crate) const CALLBACK_PATH: &str = "/oauth/gitlab/callback";

pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/oauth-application", get(oauth_application))
        .route("/api/v1/instances/{id}/oauth/start", post(start))
        .route(CALLBACK_PATH, get(callback))
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

/// A plain page: the callback is a browser navigation, not an API call.
fn page(status: StatusCode, title: &str, text: &str, next: Option<(&str, &str)>) -> Response {
    use super::escape;
    let link = next.map_or(String::new(), |(href, label)| {
        format!("<p><a href=\"{}\">{}</a></p>", escape(href), escape(label))
    });
    let body = format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{title} · Vigil</title></head>\
         <body><main><h1>{title}</h1><p>{}</p>{link}</main></body></html>",
        escape(text),
        title = escape(title)
    );
    (status, Html(body)).into_response()
}

/// GitLab sends the browser back here after the consent: the code is
/// traded for tokens, which are stored encrypted.
pub(crate) async fn callback(
    Admin(caller): Admin,
    State(state): State<AppState>,
    ApiQuery(query): ApiQuery<CallbackQuery>,
) -> Response {
    let failed = |text: String| {
        page(
            StatusCode::BAD_REQUEST,
            "GitLab was not connected",
            &text,
            Some(("/integrations/gitlab/new", "Start again")),
        )
    };
    let Some(flow_state) = query.state.as_deref() else {
        return failed(
            "The callback has no state parameter; start the connection again from Vigil.".into(),
        );
    };
    let taken = state
        .store
        .take_oauth_state(flow_state, caller.user.id, session_secret(&caller), Queue::now_ms())
        .await;
    let flow = match taken {
        Ok(StateTaken::Taken(flow)) => flow,
        Ok(StateTaken::OtherUser) => {
            return failed(
                "This authorisation was started by another Vigil user; start it again yourself."
                    .into(),
            );
        }
        Ok(StateTaken::OtherSession) => {
            return failed(
                "This authorisation was started in another browser session; finish it there, or start it again here."
                    .into(),
            );
        }
        Ok(StateTaken::Unknown) => {
            return failed(
                "Unknown or expired authorisation (it lasts ten minutes and works once); start the connection again."
                    .into(),
            );
        }
        Err(error) => return failed(format!("Vigil could not read the authorisation: {error}")),
    };
    // From here the instance is known: offer its consent again.
    let retry = format!("/integrations/gitlab/{}/connect", flow.instance_id);
    let failed = |text: String| {
        page(
            StatusCode::BAD_REQUEST,
            "GitLab was not connected",
            &text,
            Some((&retry, "Try again")),
        )
    };
    if let Some(error) = query.error.as_deref() {
        let description = query.error_description.as_deref().unwrap_or("");
        return failed(format!("GitLab answered `{error}`: {description}"));
    }
    let Some(code) = query.code.as_deref() else {
        return failed("GitLab sent no authorization code.".into());
    };
    match exchange(&state, flow.instance_id, code, &flow.code_verifier).await {
        Ok(instance) => {
            let _ = audit(
                &state,
                &caller,
                "instance.oauth",
                format!("instance:{}", instance.id),
                "tokens stored",
            )
            .await;
            // On to the wizard's Select Repositories step.
            axum::response::Redirect::to(&format!(
                "/integrations/gitlab/{}/repositories",
                instance.id
            ))
            .into_response()
        }
        Err(message) => failed(message),
    }
}

async fn exchange(
    state: &AppState,
    instance_id: i64,
    code: &str,
    verifier: &str,
) -> Result<Instance, String> {
    let instance = state
        .store
        .instance(instance_id)
        .await
        .map_err(|error| error.to_string())?
        .ok_or("the instance was deleted meanwhile")?;
    let client_id = client_id(&instance).map_err(|error| error.to_string())?;
    let secret = state
        .store
        .instance_secret(instance.id, "oauth_secret_enc")
        .await
        .map_err(|error| error.to_string())?
        .ok_or("the instance has no OAuth client secret")?;
    let public = public_url(state).map_err(|error| error.to_string())?;
    let client = OAuthClient::new(
        &instance.base_url,
        client_id,
        Token::new(secret.expose()),
        &crate::gitlab::client_settings(&state.store, instance.transporter_id).await?,
    )
    .map_err(|error| error.to_string())?;
    let tokens = client
        .exchange_code(code, &format!("{public}{CALLBACK_PATH}"), verifier)
        .await
        .map_err(|error| format!("GitLab refused the authorization code: {error}"))?;
    crate::gitlab::store_tokens(&state.store, instance.id, &tokens)
        .await
        .map_err(|error| error.to_string())?;
    Ok(instance)
}
