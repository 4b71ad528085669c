//! Checks every request passes before a handler: no NUL byte in the URL
//! (`%00` in the path or query) or in a form body. PostgreSQL cannot store
//! a NUL in text and SQLite would store a name no one can type, so both
//! backends answer the same 400 here instead of a 500 from the database.
//! JSON bodies are checked by [`crate::error::ApiJson`].

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::header;
use axum::middleware::Next;
use axum::response::{IntoResponse as _, Response};

use crate::AppState;
use crate::error::AppError;

/// Whether percent-encoded `text` decodes to a NUL byte somewhere.
pub(crate) fn has_encoded_nul(text: &[u8]) -> bool {
    text.windows(3).any(|window| window[0] == b'%' && window[1] == b'0' && window[2] == b'0')
}

fn refused(where_: &str) -> Response {
    AppError::bad_request(format!(
        "the {where_} holds a NUL byte (%00), which no name, filter or setting may contain"
    ))
    .into_response()
}

/// The middleware: refuses NUL bytes in the URL and in form bodies.
pub(crate) async fn reject_nul(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    let uri = request.uri();
    if has_encoded_nul(uri.path().as_bytes())
        || uri.query().is_some_and(|query| has_encoded_nul(query.as_bytes()))
    {
        return refused("request's URL");
    }
    let form = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.starts_with("application/x-www-form-urlencoded"));
    if !form {
        return next.run(request).await;
    }
    let (parts, body) = request.into_parts();
    let limit = state.settings.max_body_bytes;
    let Ok(bytes) = axum::body::to_bytes(body, limit).await else {
        return AppError::payload_too_large(format!(
            "form bodies are limited to {} KB",
            limit >> 10
        ))
        .into_response();
    };
    if has_encoded_nul(&bytes) || bytes.contains(&0) {
        return refused("form");
    }
    next.run(Request::from_parts(parts, Body::from(bytes))).await
}

#[cfg(test)]
mod tests {
    use super::has_encoded_nul;

    #[test]
    fn encoded_nul_bytes_are_found() {
        assert!(has_encoded_nul(b"username=ad%00min"));
        assert!(has_encoded_nul(b"%00"));
        assert!(!has_encoded_nul(b"page=100&x=%20"));
        assert!(!has_encoded_nul(b"%0a%01"));
    }
}
