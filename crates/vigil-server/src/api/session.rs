//! Signing in and out with a username and password: a session cookie
//! (HttpOnly, SameSite=Lax) plus a CSRF token the browser sends back in
//! `X-CSRF-Token` on writes.

use axum::Json;
use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::routing::post;
use serde::{Deserialize, Serialize};
use vigil_store::{Queue, User};

use crate::AppState;
use crate::auth::{self, SESSION_COOKIE, Viewer};
use crate::error::{ApiJson, ApiResult, AppError, ErrorBody};
use crate::throttle::ClientAddress;

pub(super) fn router() -> Router<AppState> {
    Router::new().route("/api/v1/session", post(sign_in).get(whoami).delete(sign_out))
}

/// Credentials.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub(crate) struct SignIn {
    pub(crate) username: String,
    pub(crate) password: String,
}

/// A signed-in session.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub(crate) struct SessionInfo {
    user: User,
    /// Send in `X-CSRF-Token` on every write made with the session cookie.
    csrf_token: Option<String>,
}

/// Signs in: sets the session cookie and returns the CSRF token.
#[utoipa::path(post, path = "/api/v1/session", tag = "session", request_body = SignIn,
    responses((status = 200, body = SessionInfo), (status = 401, body = ErrorBody),
        (status = 429, body = ErrorBody, description = "too many failed sign-ins; wait `Retry-After` seconds")))]
pub(crate) async fn sign_in(
    State(state): State<AppState>,
    ClientAddress(address): ClientAddress,
    ApiJson(body): ApiJson<SignIn>,
) -> ApiResult<(HeaderMap, Json<SessionInfo>)> {
    state.sign_ins.check(&body.username, address)?;
    let found = state.store.user_with_password(&body.username).await?;
    let hash = found.as_ref().map(|(_, hash)| hash.clone());
    let verified = state.sign_ins.verify(body.password, hash).await?;
    let Some((user, _)) = found.filter(|(user, _)| verified && !user.disabled) else {
        state.sign_ins.failed(&body.username, address);
        return Err(AppError::unauthorized("wrong username or password"));
    };
    state.sign_ins.succeeded(&body.username);
    let (session, csrf) = (auth::random_token(), auth::random_token());
    let now = Queue::now_ms();
    state
        .store
        .create_session(
            &auth::token_hash(&session),
            user.id,
            &csrf,
            now,
            now + state.settings.session_ttl_ms,
        )
        .await?;
    state
        .store
        .audit(
            &format!("user:{}", user.username),
            "session.create",
            &format!("user:{}", user.id),
            "",
            now,
        )
        .await?;
    let secure = if state.settings.cookie_secure() { "; Secure" } else { "" };
    let max_age = state.settings.session_ttl_ms / 1000;
    let cookie = format!(
        "{SESSION_COOKIE}={session}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age}{secure}"
    );
    let mut headers = HeaderMap::new();
    headers.insert(
        header::SET_COOKIE,
        HeaderValue::from_str(&cookie).map_err(|error| AppError::internal(&error))?,
    );
    Ok((headers, Json(SessionInfo { user, csrf_token: Some(csrf) })))
}

/// Who is calling.
#[utoipa::path(get, path = "/api/v1/session", tag = "session", security(("token" = []), ("session" = [])),
    responses((status = 200, body = SessionInfo), (status = 401, body = ErrorBody)))]
pub(super) async fn whoami(
    Viewer(caller): Viewer,
    headers: HeaderMap,
    State(state): State<AppState>,
) -> ApiResult<Json<SessionInfo>> {
    let csrf = match auth::cookie_value(&headers, SESSION_COOKIE) {
        Some(id) => {
            state.store.session(&auth::token_hash(id), Queue::now_ms()).await?.map(|(_, csrf)| csrf)
        }
        None => None,
    };
    Ok(Json(SessionInfo { user: caller.user, csrf_token: csrf }))
}

/// Signs out: ends the session and clears the cookie.
#[utoipa::path(delete, path = "/api/v1/session", tag = "session", security(("session" = [])),
    responses((status = 204), (status = 401, body = ErrorBody)))]
pub(crate) async fn sign_out(
    Viewer(_caller): Viewer,
    headers: HeaderMap,
    State(state): State<AppState>,
) -> ApiResult<(axum::http::StatusCode, HeaderMap)> {
    if let Some(id) = auth::cookie_value(&headers, SESSION_COOKIE) {
        state.store.delete_session(&auth::token_hash(id)).await?;
    }
    let mut response = HeaderMap::new();
    response.insert(
        header::SET_COOKIE,
        HeaderValue::from_static("vigil_session=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0"),
    );
    Ok((axum::http::StatusCode::NO_CONTENT, response))
}
