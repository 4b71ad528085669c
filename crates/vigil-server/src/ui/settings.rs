//! Settings: users (admins create them, change roles, disable and enable
//! them), API tokens (everyone for themselves: create, shown once;
//! revoke) and the audit log (admins). Every write is the REST API's
//! handler.

use askama::Template;
use axum::Router;
use axum::extract::{Form, Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use serde::Deserialize;
use vigil_store::{ApiToken, AuditEntry, Queue, User};

use super::{Admin, Anyone, Chrome, PageResult, format, render};
use crate::AppState;
use crate::api::users as api;
use crate::error::{ApiJson, ApiPath, ApiQuery, AppError};

pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/settings/users", get(users).post(create_user))
        .route("/settings/users/{id}", post(update_user))
        .route("/settings/tokens", get(tokens).post(create_token))
        .route("/settings/tokens/{id}/revoke", post(revoke_token))
        .route("/settings/audit", get(audit))
}

struct UserRow {
    user: User,
    created: String,
}

#[derive(Template)]
#[template(path = "users.html")]
struct UsersPage {
    chrome: Chrome,
    users: Vec<UserRow>,
    error: Option<String>,
    notice: Option<String>,
    username: String,
    role: String,
}

async fn users_page(
    signed: &Admin,
    state: &AppState,
    error: Option<String>,
    notice: Option<String>,
    username: String,
    role: String,
) -> PageResult<UsersPage> {
    let users = state
        .store
        .users()
        .await?
        .into_iter()
        .map(|user| UserRow { created: format::when(user.created_at), user })
        .collect();
    Ok(UsersPage { chrome: signed.chrome("users"), users, error, notice, username, role })
}

async fn users(signed: Admin, State(state): State<AppState>) -> PageResult {
    Ok(render(
        StatusCode::OK,
        &users_page(&signed, &state, None, None, String::new(), "member".to_owned()).await?,
    ))
}

#[derive(Debug, Deserialize)]
struct NewUser {
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    role: String,
}

async fn create_user(
    signed: Admin,
    State(state): State<AppState>,
    Form(form): Form<NewUser>,
) -> PageResult {
    let body = api::CreateUser {
        username: form.username.clone(),
        password: form.password,
        role: form.role.clone(),
    };
    match api::create_user(signed.api_admin(), State(state.clone()), ApiJson(body)).await {
        Ok((_, axum::Json(user))) => {
            let notice = format!("{} can now sign in as {}.", user.username, user.role);
            Ok(render(
                StatusCode::CREATED,
                &users_page(
                    &signed,
                    &state,
                    None,
                    Some(notice),
                    String::new(),
                    "member".to_owned(),
                )
                .await?,
            ))
        }
        Err(error) => Ok(render(
            StatusCode::UNPROCESSABLE_ENTITY,
            &users_page(&signed, &state, Some(error.to_string()), None, form.username, form.role)
                .await?,
        )),
    }
}

#[derive(Debug, Deserialize)]
struct UserChange {
    role: Option<String>,
    disabled: Option<String>,
}

async fn update_user(
    signed: Admin,
    State(state): State<AppState>,
    Path(id): Path<i64>,
    Form(form): Form<UserChange>,
) -> PageResult {
    let body = api::UpdateUser {
        role: form.role.filter(|role| !role.is_empty()),
        disabled: form.disabled.map(|value| value == "true"),
        password: None,
    };
    let (error, notice) = match api::update_user(
        signed.api_admin(),
        State(state.clone()),
        ApiPath(id),
        ApiJson(body),
    )
    .await
    {
        Ok(axum::Json(user)) => (
            None,
            Some(format!(
                "{} is now {}{}.",
                user.username,
                user.role,
                if user.disabled { ", disabled" } else { "" }
            )),
        ),
        Err(error) => (Some(error.to_string()), None),
    };
    let status = if error.is_some() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    Ok(render(
        status,
        &users_page(&signed, &state, error, notice, String::new(), "member".to_owned()).await?,
    ))
}

struct TokenRow {
    token: ApiToken,
    created: String,
    expires: String,
    last_used: String,
    active: bool,
}

#[derive(Template)]
#[template(path = "tokens.html")]
struct TokensPage {
    chrome: Chrome,
    tokens: Vec<TokenRow>,
    created: Option<(String, String)>,
    error: Option<String>,
    name: String,
}

async fn tokens_page(
    signed: &Anyone,
    state: &AppState,
    created: Option<(String, String)>,
    error: Option<String>,
    name: String,
) -> PageResult<TokensPage> {
    let query = api::TokenQuery { all: None };
    let axum::Json(tokens) =
        api::list_tokens(signed.api_viewer(), State(state.clone()), ApiQuery(query)).await?;
    let now = Queue::now_ms();
    let tokens = tokens
        .into_iter()
        .map(|token| TokenRow {
            created: format::when(token.created_at),
            expires: token.expires_at.map_or_else(|| "never".to_owned(), format::when),
            last_used: token
                .last_used_at
                .map_or_else(|| "never".to_owned(), |at| format::ago(at, now)),
            active: token.revoked_at.is_none() && token.expires_at.is_none_or(|at| at > now),
            token,
        })
        .collect();
    Ok(TokensPage { chrome: signed.chrome("tokens"), tokens, created, error, name })
}

async fn tokens(signed: Anyone, State(state): State<AppState>) -> PageResult {
    Ok(render(StatusCode::OK, &tokens_page(&signed, &state, None, None, String::new()).await?))
}

#[derive(Debug, Deserialize)]
struct NewToken {
    #[serde(default)]
    name: String,
    #[serde(default)]
    scope: String,
    #[serde(default)]
    expires_in_days: String,
}

async fn create_token(
    signed: Anyone,
    State(state): State<AppState>,
    Form(form): Form<NewToken>,
) -> PageResult {
    let result = async {
        let expires_in_days = match form.expires_in_days.trim() {
            "" => None,
            days => Some(days.parse::<i64>().map_err(|_| {
                AppError::bad_request(format!("expiry `{days}` is not a number of days"))
            })?),
        };
        let body = api::CreateToken {
            name: form.name.clone(),
            scope: form.scope.clone(),
            expires_in_days,
        };
        let (_, axum::Json(created)) =
            api::create_token(signed.api_viewer(), State(state.clone()), ApiJson(body)).await?;
        Ok::<_, AppError>(created)
    }
    .await;
    match result {
        Ok(created) => {
            let page = tokens_page(
                &signed,
                &state,
                Some((created.token.name, created.secret)),
                None,
                String::new(),
            )
            .await?;
            Ok(render(StatusCode::CREATED, &page))
        }
        Err(error) => {
            let page =
                tokens_page(&signed, &state, None, Some(error.to_string()), form.name).await?;
            Ok(render(StatusCode::UNPROCESSABLE_ENTITY, &page))
        }
    }
}

async fn revoke_token(
    signed: Anyone,
    State(state): State<AppState>,
    Path(id): Path<i64>,
) -> PageResult {
    api::revoke_token(signed.api_viewer(), State(state.clone()), ApiPath(id)).await?;
    Ok(render(StatusCode::OK, &tokens_page(&signed, &state, None, None, String::new()).await?))
}

#[derive(Template)]
#[template(path = "audit.html")]
struct AuditPage {
    chrome: Chrome,
    entries: Vec<(AuditEntry, String)>,
    older: Option<i64>,
}

#[derive(Debug, Deserialize)]
struct AuditFilter {
    before: Option<i64>,
}

/// The audit log, newest first, 100 entries a page.
async fn audit(
    signed: Admin,
    State(state): State<AppState>,
    axum::extract::Query(filter): axum::extract::Query<AuditFilter>,
) -> PageResult {
    let query = api::AuditQuery { before: filter.before, limit: Some(100) };
    let axum::Json(entries) =
        api::list_audit(signed.api_admin(), State(state), ApiQuery(query)).await?;
    let older = (entries.len() == 100).then(|| entries.last().map(|entry| entry.id)).flatten();
    let entries = entries
        .into_iter()
        .map(|entry| {
            let when = format::when(entry.created_at);
            (entry, when)
        })
        .collect();
    Ok(render(StatusCode::OK, &AuditPage { chrome: signed.chrome("audit"), entries, older }))
}
