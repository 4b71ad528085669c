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
    /// `not_found`, `conflict`, `payload_too_large`, `too_many_requests`,
    /// `unavailable`, `internal`.
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
    /// Seconds for a `Retry-After` header (429 and 503).
    retry_after: Option<u64>,
}

impl std::fmt::Display for AppError {
    /// The message, as the `message` field says it.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl AppError {
    fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> AppError {
        AppError { status, code, message: message.into(), retry_after: None }
    }

    /// 400.
    pub fn bad_request(message: impl Into<String>) -> AppError {
        AppError::new(StatusCode::BAD_REQUEST, "bad_request", message)
    }

    /// 401.
    pub fn unauthorized(message: impl Into<String>) -> AppError {
        AppError::new(StatusCode::UNAUTHORIZED, "unauthorized", message)
    }

    /// 403.
    pub fn forbidden(message: impl Into<String>) -> AppError {
        AppError::new(StatusCode::FORBIDDEN, "forbidden", message)
    }

    /// 404 naming what was looked for.
    pub fn not_found(what: &str) -> AppError {
        AppError::new(StatusCode::NOT_FOUND, "not_found", format!("{what} not found"))
    }

    /// 409.
    pub fn conflict(message: impl Into<String>) -> AppError {
        AppError::new(StatusCode::CONFLICT, "conflict", message)
    }

    /// 413.
    pub fn payload_too_large(message: impl Into<String>) -> AppError {
        AppError::new(StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large", message)
    }

    /// 429 with `Retry-After: retry_after_s`.
    pub fn too_many_requests(message: impl Into<String>, retry_after_s: u64) -> AppError {
        AppError::new(StatusCode::TOO_MANY_REQUESTS, "too_many_requests", message)
            .retry_after(retry_after_s)
    }

    /// 503 with `Retry-After: retry_after_s`: busy, try again shortly.
    pub fn unavailable(message: impl Into<String>, retry_after_s: u64) -> AppError {
        AppError::new(StatusCode::SERVICE_UNAVAILABLE, "unavailable", message)
            .retry_after(retry_after_s)
    }

    fn retry_after(mut self, seconds: u64) -> AppError {
        self.retry_after = Some(seconds.max(1));
        self
    }

    /// 502: GitLab (or the way to it) failed; the message says how.
    pub fn bad_gateway(message: impl Into<String>) -> AppError {
        AppError::new(StatusCode::BAD_GATEWAY, "bad_gateway", message)
    }

    /// 500; the cause is logged, not sent.
    pub fn internal(cause: &dyn std::fmt::Display) -> AppError {
        tracing::error!(error = %cause, "request failed");
        AppError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "internal error; the server log has the details",
        )
    }

    /// The status code.
    pub fn status(&self) -> StatusCode {
        self.status
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let mut response =
            (self.status, Json(ErrorBody { error: self.code, message: self.message }))
                .into_response();
        if let Some(seconds) = self.retry_after {
            response.headers_mut().insert(axum::http::header::RETRY_AFTER, seconds.into());
        }
        response
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

/// `Json` whose rejections are [`AppError`]s, and which refuses a NUL
/// byte in any string (400 on every backend; PostgreSQL cannot store one).
#[derive(Debug)]
pub struct ApiJson<T>(pub T);

impl<T, S> axum::extract::FromRequest<S> for ApiJson<T>
where
    T: serde::de::DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = AppError;

    async fn from_request(request: axum::extract::Request, state: &S) -> Result<Self, AppError> {
        let axum::Json(value) =
            axum::Json::<serde_json::Value>::from_request(request, state).await?;
        if holds_nul(&value) {
            return Err(AppError::bad_request(
                "the JSON body holds a NUL byte (\\u0000), which no name, filter or setting may contain",
            ));
        }
        serde_path_to_error::deserialize(value).map(ApiJson).map_err(|error| {
            AppError::bad_request(format!(
                "Failed to deserialize the JSON body into the target type: {error}"
            ))
        })
    }
}

/// Whether a string (or key) anywhere in `value` holds a NUL.
fn holds_nul(value: &serde_json::Value) -> bool {
    match value {
        serde_json::Value::String(text) => text.contains('\0'),
        serde_json::Value::Array(items) => items.iter().any(holds_nul),
        serde_json::Value::Object(fields) => {
            fields.iter().any(|(key, value)| key.contains('\0') || holds_nul(value))
        }
        _ => false,
    }
}

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
