//! Vigil's server: the axum application (REST API under `/api/v1` with its
//! OpenAPI document, sign-in, operations endpoints), the worker pool that
//! runs queued jobs, and the scheduler that enqueues periodic scans.
//!
//! The binary builds a [`ServerSettings`] and a migrated [`Store`], then
//! calls [`app`] for the router, [`worker::WorkerPool::start`] for workers
//! and [`scheduler::Scheduler::start`] for the scheduler.
//!
//! **Architecture invariant:** handlers extract, parse, make one store or
//! service call and map the result; SQL lives in `vigil-store`, lifecycle
//! rules in `vigil-core`.
//!
//! **Architecture invariant:** every route under `/api/v1` except sign-in
//! and the OpenAPI document names its permission in its signature
//! ([`auth::Viewer`], [`auth::Member`], [`auth::Admin`]); a test walks the
//! OpenAPI document and checks each route refuses callers without it.
#![deny(missing_docs)]

pub mod api;
pub mod auth;
mod boundary;
pub mod error;
mod gitlab;
pub mod hooks;
mod intake;
pub mod jobs;
pub mod merge_requests;
pub mod metadata;
pub mod metrics;
pub mod onboarding;
mod ops;
pub mod payloads;
pub mod policy;
pub mod scanning;
pub mod scheduler;
pub mod source;
pub mod throttle;
pub mod transporter;
mod ui;
pub mod vulndb;
pub mod worker;

use std::sync::Arc;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use tokio::sync::Notify;
use vigil_store::Store;

pub use gitlab::{FORWARD_KEY_LABEL, set_transporter_forward, set_transporter_forward_key};
pub use metrics::Metrics;

/// Settings of the HTTP side.
#[derive(Debug, Clone)]
pub struct ServerSettings {
    /// Mark the session cookie `Secure` even when the public URL is not
    /// `https://` (it is always `Secure` when it is).
    pub secure_cookies: bool,
    /// How long a session lasts, ms.
    pub session_ttl_ms: i64,
    /// Largest JSON body accepted, bytes.
    pub max_body_bytes: usize,
    /// The URL GitLab reaches this server at (for webhook URLs).
    pub public_url: Option<String>,
    /// How long a Transporter enrolment token stays valid, ms.
    pub transporter_enrolment_ttl_ms: i64,
}

impl Default for ServerSettings {
    fn default() -> Self {
        ServerSettings {
            secure_cookies: false,
            session_ttl_ms: 12 * 3_600_000,
            max_body_bytes: 1 << 20,
            public_url: None,
            transporter_enrolment_ttl_ms: 24 * 3_600_000,
        }
    }
}

impl ServerSettings {
    /// Whether the session cookie is `Secure`: asked for, or implied by an
    /// `https://` public URL (browsers then never send it over plain HTTP).
    pub fn cookie_secure(&self) -> bool {
        self.secure_cookies
            || self.public_url.as_deref().is_some_and(|url| {
                url.get(..8).is_some_and(|scheme| scheme.eq_ignore_ascii_case("https://"))
            })
    }
}

/// What every handler can reach.
#[derive(Debug, Clone)]
pub struct AppState {
    /// The database.
    pub store: Store,
    /// HTTP settings.
    pub settings: Arc<ServerSettings>,
    /// Counters and histograms for `/metrics`.
    pub metrics: Arc<Metrics>,
    /// Wakes this process's workers when it enqueues (SQLite has no NOTIFY).
    pub job_wakeup: Arc<Notify>,
    /// Stores webhook deliveries in batches.
    intake: intake::Intake,
    /// Decrypted webhook secrets, for a few seconds.
    webhook_secrets: hooks::SecretCache,
    /// The memory webhook bodies may take while being read.
    webhook_bodies: hooks::BodyBudget,
    /// Failed sign-ins, and password hashing off the async threads.
    sign_ins: throttle::SignInThrottle,
    /// The Transporter tunnels this process holds.
    pub hub: vigil_transporter::Hub,
    /// The dashboard's last figures, reused a while when slow to compute.
    dashboard: Arc<ui::DashboardCache>,
}

impl AppState {
    /// State over `store` with `settings`.
    pub fn new(store: Store, settings: ServerSettings) -> AppState {
        AppState {
            store,
            settings: Arc::new(settings),
            metrics: Arc::new(Metrics::default()),
            job_wakeup: Arc::new(Notify::new()),
            intake: intake::Intake::default(),
            webhook_secrets: hooks::SecretCache::default(),
            webhook_bodies: hooks::BodyBudget::default(),
            sign_ins: throttle::SignInThrottle::default(),
            hub: vigil_transporter::Hub::default(),
            dashboard: Arc::default(),
        }
    }
}

/// The whole HTTP application.
pub fn app(state: AppState) -> Router {
    let limit = state.settings.max_body_bytes;
    Router::new()
        .merge(ops::router())
        .merge(api::router().layer(DefaultBodyLimit::max(limit)))
        .merge(hooks::router())
        .merge(ui::router())
        .merge(transporter::router())
        .layer(axum::middleware::from_fn_with_state(state.clone(), boundary::reject_nul))
        .layer(tower_http::trace::TraceLayer::new_for_http())
        .with_state(state)
}

#[cfg(test)]
mod tests {
    use super::ServerSettings;

    #[test]
    fn an_https_public_url_makes_the_cookie_secure() {
        let settings = |public_url: Option<&str>, secure_cookies| ServerSettings {
            public_url: public_url.map(str::to_owned),
            secure_cookies,
            ..ServerSettings::default()
        };
        assert!(settings(Some("https://vigil.example"), false).cookie_secure());
        assert!(settings(Some("HTTPS://vigil.example"), false).cookie_secure());
        assert!(!settings(Some("http://vigil.example"), false).cookie_secure());
        assert!(!settings(None, false).cookie_secure());
        assert!(settings(None, true).cookie_secure());
    }
}
