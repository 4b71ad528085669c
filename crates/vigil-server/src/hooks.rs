//! GitLab webhook intake, `POST /hooks/gitlab/{instance}`: checks
//! `X-Gitlab-Token` against the instance's webhook secret in constant time,
//! de-duplicates deliveries (`Idempotency-Key`, then `X-Gitlab-Event-UUID`,
//! then `X-Gitlab-Webhook-UUID`, then a hash of the body), stores the event
//! and enqueues its job in one transaction (concurrent deliveries share it,
//! see `intake.rs`), and answers at once: GitLab waits 10 s at most and
//! never retries by itself. Decrypted secrets are reused for 5 s.
//!
//! Events Vigil acts on: `Push Hook`, `Merge Request Hook`, `Note Hook` and
//! `System Hook` (dispatched on the body's `event_name`). Any other event is
//! answered 202 and dropped. Bodies over 25 MB are refused with 413.
//!
//! Nothing of the body is read before the instance, the token and the event
//! kind have been checked from the headers, so an unauthenticated flood
//! costs no memory. Authenticated bodies are then read against a shared
//! budget of [`BODY_BUDGET_MIB`] (a delivery waits up to
//! [`BUDGET_WAIT`] for its share, then gets 503) and within
//! [`BODY_DEADLINE`].

use axum::Json;
use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use serde::Serialize;
use sha2::{Digest as _, Sha256};
use std::collections::HashMap;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use subtle::ConstantTimeEq as _;
use vigil_store::{NewDelivery, NewJob, SecretString};

use crate::AppState;
use crate::error::{ApiPath, ApiResult, AppError};

/// Largest delivery accepted.
pub const MAX_WEBHOOK_BYTES: usize = 25 * 1024 * 1024;
/// Webhook bodies being read at once hold at most this many MiB together.
pub const BODY_BUDGET_MIB: u32 = 64;
/// How long a delivery waits for its share of the budget.
pub const BUDGET_WAIT: Duration = Duration::from_secs(5);
/// How long reading one body may take (GitLab itself gives up after 10 s).
pub const BODY_DEADLINE: Duration = Duration::from_secs(20);
/// The job kind that processes a stored webhook event.
pub const WEBHOOK_JOB: &str = <crate::payloads::WebhookJob as crate::payloads::JobPayload>::KIND;

pub(crate) fn router() -> Router<AppState> {
    Router::new().route("/hooks/gitlab/{instance}", post(receive))
}

/// The memory webhook bodies may hold while being read, in MiB permits.
#[derive(Debug, Clone)]
pub(crate) struct BodyBudget {
    permits: Arc<tokio::sync::Semaphore>,
}

impl Default for BodyBudget {
    fn default() -> Self {
        BodyBudget { permits: Arc::new(tokio::sync::Semaphore::new(BODY_BUDGET_MIB as usize)) }
    }
}

impl BodyBudget {
    /// Reads `body` (declared `length` bytes, if declared) once its share of
    /// the budget is free.
    async fn read(&self, body: Body, length: Option<u64>) -> Result<Bytes, AppError> {
        let too_large = || {
            AppError::payload_too_large(format!(
                "webhook bodies are limited to {} MB",
                MAX_WEBHOOK_BYTES >> 20
            ))
        };
        let limit = MAX_WEBHOOK_BYTES as u64;
        if length.is_some_and(|length| length > limit) {
            return Err(too_large());
        }
        // Undeclared lengths (chunked) reserve the most a body may be.
        let mib = length.unwrap_or(limit).div_ceil(1 << 20).max(1);
        let share = u32::try_from(mib).unwrap_or(u32::MAX).min(BODY_BUDGET_MIB);
        let _permit = tokio::time::timeout(BUDGET_WAIT, self.permits.acquire_many(share))
            .await
            .map_err(|_| {
                AppError::unavailable(
                    "too many webhook bodies are being read at once; GitLab should retry this delivery",
                    5,
                )
            })?
            .map_err(|_| AppError::unavailable("the server is shutting down", 5))?;
        match tokio::time::timeout(BODY_DEADLINE, axum::body::to_bytes(body, MAX_WEBHOOK_BYTES))
            .await
        {
            Err(_) => Err(AppError::bad_request(format!(
                "the webhook body did not arrive within {} s",
                BODY_DEADLINE.as_secs()
            ))),
            Ok(Err(error)) if is_length_limit(&error) => Err(too_large()),
            Ok(Err(error)) => {
                Err(AppError::bad_request(format!("the webhook body could not be read: {error}")))
            }
            Ok(Ok(bytes)) => Ok(bytes),
        }
    }
}

/// Whether reading stopped at the length limit.
fn is_length_limit(error: &axum::Error) -> bool {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(cause) = source {
        if cause.is::<http_body_util::LengthLimitError>() {
            return true;
        }
        source = cause.source();
    }
    false
}

/// How long a decrypted webhook secret is reused before it is read again
/// (a rotation on another server takes effect within this time).
const SECRET_TTL: Duration = Duration::from_secs(5);

/// Instance id → (secret, when read).
type SecretMap = HashMap<i64, (Option<SecretString>, Instant)>;

/// Instance id → its webhook secret (`None`: the instance has none yet), as
/// read at a time. Saves a read and a decryption per delivery.
#[derive(Debug, Clone, Default)]
pub(crate) struct SecretCache {
    entries: Arc<Mutex<SecretMap>>,
}

impl SecretCache {
    /// The instance's secret: `None` for an unknown instance.
    async fn get(
        &self,
        store: &vigil_store::Store,
        instance: i64,
    ) -> Result<Option<Option<SecretString>>, vigil_store::StoreError> {
        if let Some((secret, read_at)) = self.lock().get(&instance) {
            if read_at.elapsed() < SECRET_TTL {
                return Ok(Some(secret.clone()));
            }
        }
        let secret = store.webhook_secret(instance).await?;
        match &secret {
            Some(found) => {
                self.lock().insert(instance, (found.clone(), Instant::now()));
            }
            None => {
                self.lock().remove(&instance);
            }
        }
        Ok(secret)
    }

    /// Drops an instance's entry (its secret was rotated or it was deleted).
    pub(crate) fn forget(&self, instance: i64) {
        self.lock().remove(&instance);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, SecretMap> {
        // The map holds no invariant a panic could break.
        self.entries.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// The intake's answer.
#[derive(Debug, Serialize)]
struct Receipt {
    /// `accepted`, `duplicate` or `ignored`.
    status: &'static str,
    /// The stored event, when accepted or duplicate.
    #[serde(skip_serializing_if = "Option::is_none")]
    event: Option<i64>,
}

/// The event kinds Vigil acts on, from `X-Gitlab-Event`.
fn event_kind(headers: &HeaderMap) -> Option<&'static str> {
    match headers.get("x-gitlab-event")?.to_str().ok()? {
        "Push Hook" => Some("push"),
        "Merge Request Hook" => Some("merge_request"),
        "Note Hook" => Some("note"),
        "System Hook" => Some("system"),
        _ => None,
    }
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name)?.to_str().ok().map(str::trim).filter(|value| !value.is_empty())
}

/// The de-duplication key of a delivery.
fn delivery_key(headers: &HeaderMap, body: &[u8]) -> String {
    if let Some(key) = header(headers, "idempotency-key") {
        return format!("idem:{key}");
    }
    if let Some(uuid) = header(headers, "x-gitlab-event-uuid") {
        return format!("event:{uuid}");
    }
    if let Some(uuid) = header(headers, "x-gitlab-webhook-uuid") {
        return format!("webhook:{uuid}");
    }
    let digest: String = Sha256::digest(body).iter().map(|byte| format!("{byte:02x}")).collect();
    format!("body:{digest}")
}

async fn receive(
    State(state): State<AppState>,
    ApiPath(instance): ApiPath<i64>,
    headers: HeaderMap,
    body: Body,
) -> ApiResult<(StatusCode, Json<Receipt>)> {
    let refused = |error: AppError| {
        state.metrics.webhooks_refused.fetch_add(1, Ordering::Relaxed);
        error
    };
    // Headers first: nothing of the body is read for an unknown instance,
    // a wrong token or an event Vigil ignores.
    let secret = match state.webhook_secrets.get(&state.store, instance).await? {
        None => return Err(refused(AppError::not_found("instance"))),
        Some(None) => {
            return Err(refused(AppError::unauthorized(
                "this instance has no webhook secret yet; finish its onboarding",
            )));
        }
        Some(Some(secret)) => secret,
    };
    let sent = header(&headers, "x-gitlab-token").unwrap_or("");
    let matches = sent.len() == secret.expose().len()
        && bool::from(sent.as_bytes().ct_eq(secret.expose().as_bytes()));
    if !matches {
        return Err(refused(AppError::unauthorized(
            "X-Gitlab-Token does not match this instance's webhook secret",
        )));
    }
    let Some(kind) = event_kind(&headers) else {
        return Ok((StatusCode::ACCEPTED, Json(Receipt { status: "ignored", event: None })));
    };
    let length = header(&headers, "content-length").and_then(|value| value.parse::<u64>().ok());
    let body = state.webhook_bodies.read(body, length).await.map_err(refused)?;
    let payload: serde_json::Value = serde_json::from_slice(&body).map_err(|error| {
        refused(AppError::bad_request(format!("the webhook body is not JSON: {error}")))
    })?;
    if !payload.is_object() {
        return Err(refused(AppError::bad_request("the webhook body is not a JSON object")));
    }
    let key = delivery_key(&headers, &body);
    let text = std::str::from_utf8(&body)
        .map_err(|_| refused(AppError::bad_request("the webhook body is not UTF-8")))?;
    let job = NewJob::new(WEBHOOK_JOB, serde_json::json!({}))
        .priority(if kind == "merge_request" { 100 } else { 50 });
    let delivery = NewDelivery {
        instance_id: instance,
        delivery_key: key,
        kind: kind.to_owned(),
        payload: text.to_owned(),
        job,
    };
    match state.intake.record(&state.store, delivery).await? {
        Some(event) => {
            state.metrics.webhooks_accepted.fetch_add(1, Ordering::Relaxed);
            state.job_wakeup.notify_waiters();
            Ok((StatusCode::OK, Json(Receipt { status: "accepted", event: Some(event) })))
        }
        None => {
            state.metrics.webhooks_duplicate.fetch_add(1, Ordering::Relaxed);
            Ok((StatusCode::OK, Json(Receipt { status: "duplicate", event: None })))
        }
    }
}
