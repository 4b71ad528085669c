//! Signing in and out of the Web UI: the sign-in form posts to `/login`,
//! which makes the same session as `POST /api/v1/session` (the API's
//! handler does it) and sends the browser on to where it was going.

use askama::Template;
use axum::extract::{Form, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;

use super::{Anyone, redirect, render};
use crate::AppState;
use crate::api::session as api;
use crate::error::ApiJson;

pub(super) fn router() -> Router<AppState> {
    Router::new().route("/login", get(form).post(sign_in)).route("/logout", post(sign_out))
}

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    next: String,
    username: String,
    error: Option<String>,
}

#[derive(Debug, Deserialize)]
struct Next {
    next: Option<String>,
}

/// Only paths on this server, so a link cannot send a signed-in person
/// elsewhere.
fn local_path(next: Option<&str>) -> String {
    match next {
        Some(path) if path.starts_with('/') && !path.starts_with("//") && !path.contains('\\') => {
            path.to_owned()
        }
        _ => "/".to_owned(),
    }
}

async fn form(Query(query): Query<Next>) -> Response {
    let page =
        LoginPage { next: local_path(query.next.as_deref()), username: String::new(), error: None };
    render(StatusCode::OK, &page)
}

#[derive(Debug, Deserialize)]
struct SignInForm {
    username: String,
    password: String,
    next: Option<String>,
}

async fn sign_in(
    State(state): State<AppState>,
    headers: HeaderMap,
    Form(body): Form<SignInForm>,
) -> Response {
    let next = local_path(body.next.as_deref());
    let credentials = api::SignIn { username: body.username.clone(), password: body.password };
    match api::sign_in(State(state), ApiJson(credentials)).await {
        Ok((cookie, Json(_))) => {
            let mut response = redirect(&headers, &next);
            response.headers_mut().extend(cookie);
            response
        }
        Err(error) => {
            let page = LoginPage { next, username: body.username, error: Some(error.to_string()) };
            render(error.status(), &page)
        }
    }
}

async fn sign_out(signed: Anyone, headers: HeaderMap, State(state): State<AppState>) -> Response {
    match api::sign_out(signed.api_viewer(), headers.clone(), State(state)).await {
        Ok((_, cleared)) => {
            let mut response = redirect(&headers, "/login");
            if let Some(cookie) = cleared.get(header::SET_COOKIE) {
                response.headers_mut().insert(header::SET_COOKIE, cookie.clone());
            }
            response
        }
        Err(error) => super::PageError(error).into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::local_path;

    #[test]
    fn next_stays_on_this_server() {
        assert_eq!(local_path(Some("/issues?kind=secret")), "/issues?kind=secret");
        assert_eq!(local_path(Some("//evil.example/")), "/");
        assert_eq!(local_path(Some("https://evil.example/")), "/");
        assert_eq!(local_path(Some("/\\evil.example")), "/");
        assert_eq!(local_path(None), "/");
    }
}
