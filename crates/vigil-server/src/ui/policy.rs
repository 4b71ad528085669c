//! The Default policy page: everyone sees what fails scans of repositories
//! whose `vigil.toml` sets no `[policy]`; admins change it. The write is
//! the REST API's handler (`PUT /api/v1/settings/policy`).

use askama::Template;
use axum::Router;
use axum::extract::{Form, State};
use axum::http::StatusCode;
use axum::routing::get;
use serde::Deserialize;

use super::{Admin, Anyone, Chrome, PageResult, format, render};
use crate::AppState;
use crate::api::settings as api;
use crate::error::ApiJson;
use crate::policy::PolicySetting;

pub(super) fn router() -> Router<AppState> {
    Router::new().route("/settings/policy", get(page).post(save))
}

#[derive(Template)]
#[template(path = "policy.html")]
struct PolicyPage {
    chrome: Chrome,
    configured: bool,
    updated_by: String,
    updated: String,
    fail_on: String,
    soft_fail_on: String,
    error: Option<String>,
    notice: Option<String>,
}

/// The page for `chrome`, showing the stored policy, or `shown` (the
/// input of a refused save) with `error`.
async fn policy_page(
    chrome: Chrome,
    viewer: crate::auth::Viewer,
    state: &AppState,
    shown: Option<PolicyForm>,
    error: Option<String>,
    notice: Option<String>,
) -> PageResult<PolicyPage> {
    let axum::Json(current) = api::get_policy(viewer, State(state.clone())).await?;
    let (fail_on, soft_fail_on) = match shown {
        Some(form) => (form.fail_on, form.soft_fail_on),
        None => (current.fail_on, current.soft_fail_on.join(", ")),
    };
    Ok(PolicyPage {
        chrome,
        configured: current.configured,
        updated_by: current.updated_by.unwrap_or_else(|| "an administrator".into()),
        updated: current.updated_at.map(format::when).unwrap_or_default(),
        fail_on,
        soft_fail_on,
        error,
        notice,
    })
}

async fn page(signed: Anyone, State(state): State<AppState>) -> PageResult {
    let page = policy_page(signed.chrome("policy"), signed.api_viewer(), &state, None, None, None);
    Ok(render(StatusCode::OK, &page.await?))
}

#[derive(Debug, Clone, Deserialize)]
struct PolicyForm {
    #[serde(default)]
    fail_on: String,
    #[serde(default)]
    soft_fail_on: String,
}

async fn save(
    signed: Admin,
    State(state): State<AppState>,
    Form(form): Form<PolicyForm>,
) -> PageResult {
    let body = PolicySetting {
        fail_on: form.fail_on.trim().to_owned(),
        soft_fail_on: form
            .soft_fail_on
            .split(',')
            .map(str::trim)
            .filter(|entry| !entry.is_empty())
            .map(str::to_owned)
            .collect(),
    };
    let (chrome, viewer) = (signed.chrome("policy"), signed.api_viewer());
    match api::set_policy(signed.api_admin(), State(state.clone()), ApiJson(body)).await {
        Ok(_) => {
            let notice = "Saved. Scans from now on use this policy where a repository sets none.";
            Ok(render(
                StatusCode::OK,
                &policy_page(chrome, viewer, &state, None, None, Some(notice.to_owned())).await?,
            ))
        }
        Err(error) => Ok(render(
            StatusCode::UNPROCESSABLE_ENTITY,
            &policy_page(chrome, viewer, &state, Some(form), Some(error.to_string()), None).await?,
        )),
    }
}
