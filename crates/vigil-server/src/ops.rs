//! Operations endpoints, unauthenticated: `/healthz` (the process answers),
//! `/readyz` (the database answers too), `/metrics` (Prometheus text).

use std::fmt::Write as _;

use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::get;

use crate::AppState;
use crate::error::AppError;

pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics))
}

async fn healthz() -> &'static str {
    "ok\n"
}

async fn readyz(State(state): State<AppState>) -> impl IntoResponse {
    match state.store.ping().await {
        Ok(()) => (StatusCode::OK, "ready\n".to_owned()),
        Err(error) => {
            tracing::warn!(%error, "not ready");
            (StatusCode::SERVICE_UNAVAILABLE, "database unavailable\n".to_owned())
        }
    }
}

async fn metrics(State(state): State<AppState>) -> Result<impl IntoResponse, AppError> {
    let counts = state.store.queue().counts().await?;
    let mut out = String::new();
    let _ = writeln!(out, "# HELP vigil_jobs Jobs in the queue by state.\n# TYPE vigil_jobs gauge");
    for (name, value) in [
        ("queued", counts.queued),
        ("running", counts.running),
        ("succeeded", counts.succeeded),
        ("dead", counts.dead),
    ] {
        let _ = writeln!(out, "vigil_jobs{{state=\"{name}\"}} {value}");
    }
    let _ = writeln!(
        out,
        "# HELP vigil_scans Scans in the history by status.\n# TYPE vigil_scans gauge"
    );
    for (status, value) in state.store.scan_counts().await? {
        let _ = writeln!(out, "vigil_scans{{status=\"{status}\"}} {value}");
    }
    state.metrics.render(&mut out);
    Ok(([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], out))
}
