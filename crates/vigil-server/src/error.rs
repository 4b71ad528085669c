//! `AppError`: every failure of a request becomes JSON `{error, message}`
//! with the right status. Internal errors are logged here and answered with
//! a generic message, so no SQL, path or secret reaches a client.

use axum::Json;
use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use vigil_store::StoreError;

/// The body of every error response.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ErrorBody {
    /// Machine-readable code: `bad_request`, `unauthorized`, `forbidden`,
    /// `not_found`, `conflict`, `payload_too_large`, `internal`.
    pub error: &'static str,
    /// What went wrong, for people.
    pub message: String,
}

/// A request failure.
#[derive(Debug)]
pub struct AppError {
    status: StatusCode,
    code: &'static str,
    message: String,
}

impl std::fmt::Display for AppError {
    /// The message, as the `message` field says it.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl AppError {
    /// 400.
    pub fn bad_request(message: impl Into<String>) -> AppError {
        AppError { status: StatusCode::BAD_REQUEST, code: "bad_request", message: message.into() }
    }

    /// 401.
    pub fn unauthorized(message: impl Into<String>) -> AppError {
        AppError { status: StatusCode::UNAUTHORIZED, code: "unauthorized", message: message.into() }
    }

    /// 403.
    pub fn forbidden(message: impl Into<String>) -> AppError {
        AppError { status: StatusCode::FORBIDDEN, code: "forbidden", message: message.into() }
    }

    /// 404 naming what was looked for.
    pub fn not_found(what: &str) -> AppError {
        AppError {
            status: StatusCode::NOT_FOUND,
            code: "not_found",
            message: format!("{what} not found"),
        }
    }

    /// 409.
    pub fn conflict(message: impl Into<String>) -> AppError {
        AppError { status: StatusCode::CONFLICT, code: "conflict", message: message.into() }
    }

    /// 413.
    pub fn payload_too_large(message: impl Into<String>) -> AppError {
        AppError {
            status: StatusCode::PAYLOAD_TOO_LARGE,
            code: "payload_too_large",
            message: message.into(),
        }
    }

    /// 502: GitLab (or the way to it) failed; the message says how.
    pub fn bad_gateway(message: impl Into<String>) -> AppError {
        AppError { status: StatusCode::BAD_GATEWAY, code: "bad_gateway", message: message.into() }
    }

    /// 500; the cause is logged, not sent.
    pub fn internal(cause: &dyn std::fmt::Display) -> AppError {
        tracing::error!(error = %cause, "request failed");
        AppError {
            status: StatusCode::INTERNAL_SERVER_ERROR,
            code: "internal",
            message: "internal error; the server log has the details".into(),
        }
    }

    /// The status code.
    pub fn status(&self) -> StatusCode {
        self.status
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        (self.status, Json(ErrorBody { error: self.code, message: self.message })).into_response()
    }
}

impl From<StoreError> for AppError {
    fn from(error: StoreError) -> AppError {
        match error {
            StoreError::Conflict(message) => AppError::conflict(message),
            StoreError::NotFound(what) => AppError::not_found(what),
            other => AppError::internal(&other),
        }
    }
}

impl From<JsonRejection> for AppError {
    fn from(rejection: JsonRejection) -> AppError {
        let status = rejection.status();
        let mut error = AppError::bad_request(rejection.body_text());
        if status == StatusCode::PAYLOAD_TOO_LARGE {
            error.status = status;
            error.code = "payload_too_large";
        } else if status == StatusCode::UNSUPPORTED_MEDIA_TYPE {
            error.status = status;
        }
        error
    }
}

impl From<QueryRejection> for AppError {
    fn from(rejection: QueryRejection) -> AppError {
        AppError::bad_request(rejection.body_text())
    }
}

impl From<PathRejection> for AppError {
    fn from(rejection: PathRejection) -> AppError {
        AppError::bad_request(rejection.body_text())
    }
}

/// `Json` whose rejections are [`AppError`]s.
#[derive(Debug, axum::extract::FromRequest)]
#[from_request(via(axum::Json), rejection(AppError))]
pub struct ApiJson<T>(pub T);

/// `Query` whose rejections are [`AppError`]s.
#[derive(Debug, axum::extract::FromRequestParts)]
#[from_request(via(axum::extract::Query), rejection(AppError))]
pub struct ApiQuery<T>(pub T);

/// `Path` whose rejections are [`AppError`]s.
#[derive(Debug, axum::extract::FromRequestParts)]
#[from_request(via(axum::extract::Path), rejection(AppError))]
pub struct ApiPath<T>(pub T);

/// A handler's result.
pub type ApiResult<T> = Result<T, AppError>;
