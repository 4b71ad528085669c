//! Server-wide settings: the default policy that judges scans of
//! repositories whose `vigil.toml` sets no `[policy]` (read: everyone;
//! change: admins).

use axum::Json;
use axum::Router;
use axum::extract::State;
use axum::routing::get;

use super::audit;
use crate::AppState;
use crate::auth::{Admin, Viewer};
use crate::error::{ApiJson, ApiResult, AppError, ErrorBody};
use crate::policy::{self, DefaultPolicy, PolicySetting, SaveError};

pub(crate) fn router() -> Router<AppState> {
    Router::new().route("/api/v1/settings/policy", get(get_policy).put(set_policy))
}

/// The default policy (the built-in one until an admin sets it).
#[utoipa::path(get, path = "/api/v1/settings/policy", tag = "settings", security(("token" = []), ("session" = [])),
    responses((status = 200, body = DefaultPolicy), (status = 401, body = ErrorBody)))]
pub(crate) async fn get_policy(
    Viewer(_caller): Viewer,
    State(state): State<AppState>,
) -> ApiResult<Json<DefaultPolicy>> {
    Ok(Json(policy::load(&state.store).await.map_err(|error| AppError::internal(&error))?))
}

/// Sets the default policy. A repository's own `[policy]` in `vigil.toml`
/// still wins, setting by setting.
#[utoipa::path(put, path = "/api/v1/settings/policy", tag = "settings", request_body = PolicySetting, security(("token" = []), ("session" = [])),
    responses((status = 200, body = DefaultPolicy), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub(crate) async fn set_policy(
    Admin(caller): Admin,
    State(state): State<AppState>,
    ApiJson(body): ApiJson<PolicySetting>,
) -> ApiResult<Json<DefaultPolicy>> {
    match policy::save(&state.store, &body, &caller.user.username).await {
        Ok(()) => {}
        Err(SaveError::Invalid(message)) => return Err(AppError::bad_request(message)),
        Err(SaveError::Store(message)) => return Err(AppError::internal(&message)),
    }
    let detail = format!("fail_on={} soft_fail_on={}", body.fail_on, body.soft_fail_on.join(","));
    audit(&state, &caller, "settings.policy", "settings:default_policy".into(), &detail).await?;
    Ok(Json(policy::load(&state.store).await.map_err(|error| AppError::internal(&error))?))
}
