//! Users (admin), API tokens (everyone, for themselves; admins see all),
//! and the audit log (admin). The last enabled admin cannot be demoted,
//! disabled or deleted.

use axum::Json;
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{delete, get, patch};
use serde::{Deserialize, Serialize};
use vigil_store::{ApiToken, AuditEntry, Queue, User};

use super::{audit, page_size};
use crate::AppState;
use crate::auth::{self, Admin, Permission, Viewer};
use crate::error::{ApiJson, ApiPath, ApiQuery, ApiResult, AppError, ErrorBody};

pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/users", get(list_users).post(create_user))
        .route("/api/v1/users/{id}", patch(update_user).delete(delete_user))
        .route("/api/v1/tokens", get(list_tokens).post(create_token))
        .route("/api/v1/tokens/{id}", delete(revoke_token))
        .route("/api/v1/audit", get(list_audit))
}

fn check_role(role: &str) -> Result<(), AppError> {
    Permission::of_role(role).map(|_| ()).ok_or_else(|| {
        AppError::bad_request(format!(
            "unknown role `{role}` (expected one of: admin, member, viewer)"
        ))
    })
}

/// Lists users.
#[utoipa::path(get, path = "/api/v1/users", tag = "users", security(("token" = []), ("session" = [])),
    responses((status = 200, body = Vec<User>), (status = 403, body = ErrorBody)))]
pub(crate) async fn list_users(
    Admin(_caller): Admin,
    State(state): State<AppState>,
) -> ApiResult<Json<Vec<User>>> {
    Ok(Json(state.store.users().await?))
}

/// A new user.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub(crate) struct CreateUser {
    /// Sign-in name.
    pub(crate) username: String,
    /// At least 12 characters.
    pub(crate) password: String,
    /// `admin`, `member` or `viewer`.
    pub(crate) role: String,
}

/// Creates a user.
#[utoipa::path(post, path = "/api/v1/users", tag = "users", request_body = CreateUser, security(("token" = []), ("session" = [])),
    responses((status = 201, body = User), (status = 400, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub(crate) async fn create_user(
    Admin(caller): Admin,
    State(state): State<AppState>,
    ApiJson(body): ApiJson<CreateUser>,
) -> ApiResult<(StatusCode, Json<User>)> {
    let username = body.username.trim();
    if username.is_empty() || username.len() > 100 {
        return Err(AppError::bad_request("username must be 1 to 100 characters"));
    }
    check_role(&body.role)?;
    auth::check_password_strength(&body.password)?;
    let hash = state.sign_ins.hash(body.password.clone()).await?;
    let user = state.store.create_user(username, &hash, &body.role, Queue::now_ms()).await?;
    audit(&state, &caller, "user.create", format!("user:{}", user.id), &user.role).await?;
    Ok((StatusCode::CREATED, Json(user)))
}

/// Changes to a user; absent fields stay.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub(crate) struct UpdateUser {
    /// New role.
    pub(crate) role: Option<String>,
    /// Disable (ends sessions; tokens stop working) or enable.
    pub(crate) disabled: Option<bool>,
    /// New password (ends sessions).
    pub(crate) password: Option<String>,
}

async fn refuse_last_admin(state: &AppState, user: &User) -> Result<(), AppError> {
    if user.role == "admin" && !user.disabled && state.store.admin_count().await? <= 1 {
        return Err(AppError::conflict(format!(
            "{} is the last admin; make another admin first",
            user.username
        )));
    }
    Ok(())
}

/// Changes a user's role, disabled flag or password.
#[utoipa::path(patch, path = "/api/v1/users/{id}", tag = "users", params(("id" = i64, Path, description = "User id")),
    request_body = UpdateUser, security(("token" = []), ("session" = [])),
    responses((status = 200, body = User), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub(crate) async fn update_user(
    Admin(caller): Admin,
    State(state): State<AppState>,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<UpdateUser>,
) -> ApiResult<Json<User>> {
    let user = state.store.user(id).await?.ok_or_else(|| AppError::not_found("user"))?;
    if let Some(role) = &body.role {
        check_role(role)?;
    }
    if body.role.as_deref().is_some_and(|role| role != "admin") || body.disabled == Some(true) {
        refuse_last_admin(&state, &user).await?;
    }
    let hash = match &body.password {
        Some(password) => {
            auth::check_password_strength(password)?;
            Some(state.sign_ins.hash(password.clone()).await?)
        }
        None => None,
    };
    let updated = state
        .store
        .update_user(id, body.role.as_deref(), body.disabled, hash.as_deref())
        .await?
        .ok_or_else(|| AppError::not_found("user"))?;
    let detail = format!(
        "role={} disabled={} password_changed={}",
        updated.role,
        updated.disabled,
        body.password.is_some()
    );
    audit(&state, &caller, "user.update", format!("user:{id}"), &detail).await?;
    Ok(Json(updated))
}

/// Deletes a user with their sessions and tokens.
#[utoipa::path(delete, path = "/api/v1/users/{id}", tag = "users", params(("id" = i64, Path, description = "User id")),
    security(("token" = []), ("session" = [])), responses((status = 204), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub(crate) async fn delete_user(
    Admin(caller): Admin,
    State(state): State<AppState>,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<StatusCode> {
    let user = state.store.user(id).await?.ok_or_else(|| AppError::not_found("user"))?;
    refuse_last_admin(&state, &user).await?;
    state.store.delete_user(id).await?;
    audit(&state, &caller, "user.delete", format!("user:{id}"), &user.username).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Filter of the token list.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct TokenQuery {
    /// Admins only: everyone's tokens, not just their own.
    pub(crate) all: Option<bool>,
}

/// Lists the caller's tokens (never the secrets).
#[utoipa::path(get, path = "/api/v1/tokens", tag = "users", params(TokenQuery), security(("token" = []), ("session" = [])),
    responses((status = 200, body = Vec<ApiToken>), (status = 403, body = ErrorBody)))]
pub(crate) async fn list_tokens(
    Viewer(caller): Viewer,
    State(state): State<AppState>,
    ApiQuery(query): ApiQuery<TokenQuery>,
) -> ApiResult<Json<Vec<ApiToken>>> {
    let all = query.all.unwrap_or(false);
    if all && caller.permission < Permission::Admin {
        return Err(AppError::forbidden("all=true needs admin permission"));
    }
    Ok(Json(state.store.tokens((!all).then_some(caller.user.id)).await?))
}

/// A token request.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub(crate) struct CreateToken {
    /// What it is for.
    pub(crate) name: String,
    /// `read`, `write` or `admin`; at most the caller's own permission.
    pub(crate) scope: String,
    /// Days until it expires (1–366); absent: never.
    pub(crate) expires_in_days: Option<i64>,
}

/// A new token: the secret is in this response only.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub(crate) struct CreatedToken {
    pub(crate) token: ApiToken,
    /// Shown once; store it now.
    pub(crate) secret: String,
}

/// Creates an API token for the caller.
#[utoipa::path(post, path = "/api/v1/tokens", tag = "users", request_body = CreateToken, security(("token" = []), ("session" = [])),
    responses((status = 201, body = CreatedToken), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub(crate) async fn create_token(
    Viewer(caller): Viewer,
    State(state): State<AppState>,
    ApiJson(body): ApiJson<CreateToken>,
) -> ApiResult<(StatusCode, Json<CreatedToken>)> {
    let scope = Permission::of_scope(&body.scope).ok_or_else(|| {
        AppError::bad_request(format!(
            "unknown scope `{}` (expected one of: read, write, admin)",
            body.scope
        ))
    })?;
    if scope > caller.permission {
        return Err(AppError::forbidden(format!(
            "a token cannot have more than the caller's permission ({})",
            body.scope
        )));
    }
    if body.name.trim().is_empty() {
        return Err(AppError::bad_request("name must not be empty"));
    }
    let now = Queue::now_ms();
    let expires_at = match body.expires_in_days {
        Some(days @ 1..=366) => Some(now + days * 86_400_000),
        Some(other) => {
            return Err(AppError::bad_request(format!(
                "expires_in_days must be 1 to 366, not {other}"
            )));
        }
        None => None,
    };
    let (secret, prefix) = auth::new_api_token();
    let token = state
        .store
        .create_token(
            caller.user.id,
            body.name.trim(),
            &auth::token_hash(&secret),
            &prefix,
            &body.scope,
            now,
            expires_at,
        )
        .await?;
    audit(
        &state,
        &caller,
        "token.create",
        format!("token:{}", token.id),
        &format!("{} {}", token.prefix, token.scope),
    )
    .await?;
    Ok((StatusCode::CREATED, Json(CreatedToken { token, secret })))
}

/// Revokes a token (one's own; admins any).
#[utoipa::path(delete, path = "/api/v1/tokens/{id}", tag = "users", params(("id" = i64, Path, description = "Token id")),
    security(("token" = []), ("session" = [])), responses((status = 204), (status = 404, body = ErrorBody)))]
pub(crate) async fn revoke_token(
    Viewer(caller): Viewer,
    State(state): State<AppState>,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<StatusCode> {
    let token = state.store.token(id).await?.filter(|token| {
        token.revoked_at.is_none()
            && (token.user_id == caller.user.id || caller.permission == Permission::Admin)
    });
    let Some(token) = token else { return Err(AppError::not_found("active token")) };
    state.store.revoke_token(token.id, Queue::now_ms()).await?;
    audit(&state, &caller, "token.revoke", format!("token:{id}"), &token.prefix).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Paging of the audit log.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct AuditQuery {
    /// Entries older than this id.
    pub(crate) before: Option<i64>,
    /// Page size, 1–500 (default 50).
    pub(crate) limit: Option<i64>,
}

/// The audit log, newest first.
#[utoipa::path(get, path = "/api/v1/audit", tag = "users", params(AuditQuery), security(("token" = []), ("session" = [])),
    responses((status = 200, body = Vec<AuditEntry>), (status = 403, body = ErrorBody)))]
pub(crate) async fn list_audit(
    Admin(_caller): Admin,
    State(state): State<AppState>,
    ApiQuery(query): ApiQuery<AuditQuery>,
) -> ApiResult<Json<Vec<AuditEntry>>> {
    Ok(Json(state.store.audit_log(query.before, page_size(query.limit)?).await?))
}
