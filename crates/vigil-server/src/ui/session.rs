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
use crate::throttle::ClientAddress;

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
/// elsewhere: one leading `/` and no second, no backslash, and no control
/// character or whitespace anywhere (browsers strip a tab or newline, so
/// `/\t/evil.example` would become `//evil.example`).
fn local_path(next: Option<&str>) -> String {
    match next {
        Some(path)
            if path.starts_with('/')
                && !path.starts_with("//")
                && !path.contains('\\')
                && !path.chars().any(|c| c.is_control() || c.is_whitespace()) =>
        {
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

/// Whether a browser's `Origin` (when it sends one) is this server (the
/// `Host` it asked for, or the public URL when a proxy rewrites `Host`),
/// so that another site cannot sign a visitor in to an account of its
/// choice.
fn same_origin(headers: &HeaderMap, public_url: Option<&str>) -> bool {
    let Some(origin) = headers.get(header::ORIGIN).and_then(|value| value.to_str().ok()) else {
        return true;
    };
    let host = headers.get(header::HOST).and_then(|value| value.to_str().ok()).unwrap_or("");
    let public = public_url.map(|url| url.trim_end_matches('/'));
    origin.split_once("://").is_some_and(|(_, authority)| authority == host)
        || public == Some(origin)
}

async fn sign_in(
    State(state): State<AppState>,
    ClientAddress(address): ClientAddress,
    headers: HeaderMap,
    Form(body): Form<SignInForm>,
) -> Response {
    let next = local_path(body.next.as_deref());
    if !same_origin(&headers, state.settings.public_url.as_deref()) {
        let error = "this sign-in form was sent from another site; open Vigil's own sign-in page";
        let page = LoginPage { next, username: body.username, error: Some(error.to_owned()) };
        return render(StatusCode::FORBIDDEN, &page);
    }
    let credentials = api::SignIn { username: body.username.clone(), password: body.password };
    match api::sign_in(State(state), ClientAddress(address), ApiJson(credentials)).await {
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
    use super::*;

    #[test]
    fn sign_in_comes_from_this_server_only() {
        let headers = |origin: Option<&str>| {
            let mut headers = HeaderMap::new();
            headers.insert(header::HOST, "vigil.example:8080".parse().unwrap());
            if let Some(origin) = origin {
                headers.insert(header::ORIGIN, origin.parse().unwrap());
            }
            headers
        };
        assert!(same_origin(&headers(None), None));
        assert!(same_origin(&headers(Some("https://vigil.example:8080")), None));
        assert!(!same_origin(&headers(Some("https://evil.example")), None));
        assert!(!same_origin(&headers(Some("https://vigil.example")), None));
        assert!(!same_origin(&headers(Some("null")), None));
        // Behind a proxy that rewrites Host: the public URL.
        let public = Some("https://vigil.example/");
        assert!(same_origin(&headers(Some("https://vigil.example")), public));
        assert!(!same_origin(&headers(Some("https://evil.example")), public));
    }

    #[test]
    fn next_stays_on_this_server() {
        assert_eq!(local_path(Some("/issues?kind=secret")), "/issues?kind=secret");
        assert_eq!(local_path(Some("//evil.example/")), "/");
        assert_eq!(local_path(Some("https://evil.example/")), "/");
        assert_eq!(local_path(Some("/\\evil.example")), "/");
        for hidden in
            ["/\t/evil.example", "/\n/evil.example", "/\r/evil.example", "/ /evil.example"]
        {
            assert_eq!(local_path(Some(hidden)), "/", "{hidden:?}");
        }
        assert_eq!(local_path(Some("/\u{a0}/evil.example")), "/");
        assert_eq!(local_path(None), "/");
    }
}
