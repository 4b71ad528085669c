//! The hub: the Vigil server's end of the tunnels. It accepts agents'
//! WebSockets (after the server checked the credential), keeps the live
//! links of every transporter (several agents of one transporter share its
//! requests round-robin and stand in for each other), sends HTTP requests
//! through them, and serves what agents send up (webhooks, pings) with a
//! router the server provides.

use std::collections::HashMap;
use std::sync::atomic::{AtomicI64, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::routing::any;
use http::{Method, Request, Response, StatusCode};
use http_body_util::BodyExt as _;
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use hyper_util::service::TowerToHyperService;
use serde::Serialize;
use tokio::sync::Notify;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::protocol::Role;

use crate::mux::{self, Opener};
use crate::wsio::WsIo;

/// Requests whose body is at most this long are kept so that an idempotent
/// one can be sent again through another link; longer bodies stream.
const REPLAYABLE_BODY_BYTES: u64 = 1 << 20;

/// What an agent said about itself when it connected.
#[derive(Debug, Clone, Serialize)]
pub struct AgentInfo {
    /// The agent's id (its host name and a random suffix).
    pub agent: String,
    /// Its version.
    pub version: String,
    /// The GitLab base URL it serves (its Transporter applet).
    pub gitlab_url: String,
    /// Where GitLab reaches its webhook listener (empty: none).
    pub webhook_url: String,
    /// The address it connected from.
    pub remote: String,
    /// When it connected, Unix ms.
    pub connected_at: i64,
}

/// A connected agent as the hub sees it now.
#[derive(Debug, Clone, Serialize)]
pub struct LinkView {
    /// What the agent said about itself.
    #[serde(flatten)]
    pub info: AgentInfo,
    /// Its last ping, Unix ms (0: none yet).
    pub last_ping_at: i64,
}

/// How the hub behaves.
#[derive(Debug, Clone)]
pub struct HubSettings {
    /// How long a request waits for an agent to (re)connect.
    pub connect_wait: Duration,
    /// How long a request waits for GitLab's response headers.
    pub header_timeout: Duration,
    /// Attempts for a request that had not started or is idempotent.
    pub attempts: u32,
    /// A link without a ping for this long is dropped.
    pub silence: Duration,
}

impl Default for HubSettings {
    fn default() -> Self {
        HubSettings {
            connect_wait: Duration::from_secs(10),
            header_timeout: Duration::from_secs(60),
            attempts: 3,
            silence: Duration::from_secs(45),
        }
    }
}

/// Why a request through the tunnel failed.
#[derive(Debug, thiserror::Error)]
pub enum HubError {
    /// No agent of the transporter is connected.
    #[error("transporter {0} has no agent connected (waited {1} s)")]
    NotConnected(i64, u64),
    /// The tunnel broke while the request was under way.
    #[error("transporter {transporter}: the tunnel broke during {request}: {reason}")]
    Broken {
        /// The transporter.
        transporter: i64,
        /// `METHOD /path`.
        request: String,
        /// What broke, and whether the request was retried.
        reason: String,
    },
    /// No response headers within the deadline.
    #[error("transporter {transporter}: no answer to {request} within {seconds} s")]
    Timeout {
        /// The transporter.
        transporter: i64,
        /// `METHOD /path`.
        request: String,
        /// The deadline.
        seconds: u64,
    },
    /// The request's body could not be read.
    #[error("cannot read the request body: {0}")]
    Body(String),
}

impl HubError {
    /// The HTTP status a caller of the forward endpoint gets.
    pub fn status(&self) -> StatusCode {
        match self {
            HubError::NotConnected(..) => StatusCode::SERVICE_UNAVAILABLE,
            HubError::Timeout { .. } => StatusCode::GATEWAY_TIMEOUT,
            HubError::Broken { .. } => StatusCode::BAD_GATEWAY,
            HubError::Body(_) => StatusCode::BAD_REQUEST,
        }
    }
}

struct Link {
    serial: u64,
    info: AgentInfo,
    opener: Opener,
    last_ping_at: AtomicI64,
    stop: Notify,
}

#[derive(Default)]
struct Inner {
    links: Mutex<HashMap<i64, Vec<Arc<Link>>>>,
    changed: Notify,
    next: AtomicUsize,
    serial: AtomicU64,
    settings: HubSettings,
}

/// The hub; clones share it.
#[derive(Clone, Default)]
pub struct Hub {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for Hub {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Hub").finish_non_exhaustive()
    }
}

/// Unix milliseconds now.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |elapsed| i64::try_from(elapsed.as_millis()).unwrap_or(i64::MAX))
}

/// Why a WebSocket upgrade request is not one.
#[derive(Debug, thiserror::Error)]
#[error("not a WebSocket upgrade: {0}")]
pub struct UpgradeError(&'static str);

/// Checks a WebSocket upgrade request and returns the `101` answer and
/// the future of the upgraded connection.
pub fn upgrade<B>(
    request: &mut Request<B>,
) -> Result<(Response<Body>, hyper::upgrade::OnUpgrade), UpgradeError> {
    let header = |name: http::header::HeaderName| {
        request.headers().get(name).and_then(|value| value.to_str().ok()).unwrap_or_default()
    };
    if !header(http::header::UPGRADE).eq_ignore_ascii_case("websocket") {
        return Err(UpgradeError("the Upgrade header is not `websocket`"));
    }
    if header(http::header::SEC_WEBSOCKET_VERSION) != "13" {
        return Err(UpgradeError("Sec-WebSocket-Version is not 13"));
    }
    let key = header(http::header::SEC_WEBSOCKET_KEY);
    if key.is_empty() {
        return Err(UpgradeError("no Sec-WebSocket-Key"));
    }
    let accept = tokio_tungstenite::tungstenite::handshake::derive_accept_key(key.as_bytes());
    let on_upgrade = request
        .extensions_mut()
        .remove::<hyper::upgrade::OnUpgrade>()
        .ok_or(UpgradeError("the connection cannot be upgraded"))?;
    let response = Response::builder()
        .status(StatusCode::SWITCHING_PROTOCOLS)
        .header(http::header::CONNECTION, "upgrade")
        .header(http::header::UPGRADE, "websocket")
        .header(http::header::SEC_WEBSOCKET_ACCEPT, accept)
        .body(Body::empty())
        .map_err(|_| UpgradeError("cannot build the answer"))?;
    Ok((response, on_upgrade))
}

fn idempotent(method: &Method) -> bool {
    matches!(*method, Method::GET | Method::HEAD | Method::PUT | Method::DELETE | Method::OPTIONS)
}

impl Hub {
    /// A hub with `settings`.
    pub fn new(settings: HubSettings) -> Hub {
        Hub { inner: Arc::new(Inner { settings, ..Inner::default() }) }
    }

    /// Runs one agent's link until it ends: registers it with
    /// `transporter` (requests may use it from now on), serves the streams
    /// the agent opens with `inbound` (plus the tunnel's ping), and removes
    /// it when the connection ends, goes silent, or [`Hub::disconnect`]
    /// is called. Returns why it ended.
    pub async fn serve_link(
        &self,
        transporter: i64,
        info: AgentInfo,
        on_upgrade: hyper::upgrade::OnUpgrade,
        inbound: Router,
    ) -> String {
        let upgraded = match on_upgrade.await {
            Ok(upgraded) => upgraded,
            Err(error) => return format!("the WebSocket upgrade failed: {error}"),
        };
        let ws = WebSocketStream::from_raw_socket(
            TokioIo::new(upgraded),
            Role::Server,
            Some(crate::websocket_config()),
        )
        .await;
        let (opener, mut streams, driver) = mux::start(WsIo::new(ws), yamux::Mode::Server);
        let link = Arc::new(Link {
            serial: self.inner.serial.fetch_add(1, Ordering::Relaxed),
            info,
            opener,
            last_ping_at: AtomicI64::new(now_ms()),
            stop: Notify::new(),
        });
        self.add(transporter, link.clone());
        let pinged = link.clone();
        let router = Router::new()
            .route(
                crate::PING_PATH,
                any(move || {
                    pinged.last_ping_at.store(now_ms(), Ordering::Relaxed);
                    async { StatusCode::NO_CONTENT }
                }),
            )
            .merge(inbound);
        let serve_inbound = async {
            while let Some(stream) = streams.recv().await {
                let service = TowerToHyperService::new(router.clone());
                tokio::spawn(mux::serve(stream, service));
            }
        };
        let silence = self.inner.settings.silence;
        let watchdog = async {
            loop {
                tokio::time::sleep(silence / 3).await;
                let quiet = now_ms() - link.last_ping_at.load(Ordering::Relaxed);
                if quiet > i64::try_from(silence.as_millis()).unwrap_or(i64::MAX) {
                    return quiet;
                }
            }
        };
        let reason = tokio::select! {
            result = driver => match result {
                Ok(()) => "the agent closed the tunnel".to_owned(),
                Err(error) => error.to_string(),
            },
            () = serve_inbound => "the tunnel closed".to_owned(),
            quiet = watchdog => format!("no ping from the agent for {} s", quiet / 1000),
            () = link.stop.notified() => "disconnected by the hub".to_owned(),
        };
        self.remove(transporter, link.serial);
        reason
    }

    fn add(&self, transporter: i64, link: Arc<Link>) {
        if let Ok(mut links) = self.inner.links.lock() {
            links.entry(transporter).or_default().push(link);
        }
        self.inner.changed.notify_waiters();
    }

    fn remove(&self, transporter: i64, serial: u64) {
        if let Ok(mut links) = self.inner.links.lock() {
            if let Some(list) = links.get_mut(&transporter) {
                list.retain(|link| link.serial != serial);
                if list.is_empty() {
                    links.remove(&transporter);
                }
            }
        }
        self.inner.changed.notify_waiters();
    }

    /// The connected agents of `transporter`.
    pub fn links(&self, transporter: i64) -> Vec<LinkView> {
        self.live(transporter)
            .iter()
            .map(|link| LinkView {
                info: link.info.clone(),
                last_ping_at: link.last_ping_at.load(Ordering::Relaxed),
            })
            .collect()
    }

    fn live(&self, transporter: i64) -> Vec<Arc<Link>> {
        self.inner
            .links
            .lock()
            .map(|links| {
                links
                    .get(&transporter)
                    .map(|list| {
                        list.iter().filter(|link| !link.opener.is_closed()).cloned().collect()
                    })
                    .unwrap_or_default()
            })
            .unwrap_or_default()
    }

    /// Drops every link of `transporter` (its credential was revoked).
    pub fn disconnect(&self, transporter: i64) {
        for link in self.live(transporter) {
            link.stop.notify_one();
        }
    }

    /// The next link of `transporter`, round-robin; waits for one to
    /// connect up to the settings' `connect_wait`.
    async fn pick(&self, transporter: i64) -> Result<Arc<Link>, HubError> {
        let wait = self.inner.settings.connect_wait;
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            let changed = self.inner.changed.notified();
            let live = self.live(transporter);
            if !live.is_empty() {
                let turn = self.inner.next.fetch_add(1, Ordering::Relaxed);
                return Ok(live[turn % live.len()].clone());
            }
            if tokio::time::timeout_at(deadline, changed).await.is_err() {
                return Err(HubError::NotConnected(transporter, wait.as_secs()));
            }
        }
    }

    /// Sends `request` (origin-form URI: path and query) to the GitLab of
    /// `transporter` through one of its agents. A request that had not
    /// reached an agent is tried on another link; one that broke under
    /// way is sent again only when it is idempotent and its body was small
    /// enough to keep. The response body streams from the agent.
    pub async fn send(
        &self,
        transporter: i64,
        request: Request<Body>,
    ) -> Result<Response<Incoming>, HubError> {
        let (parts, body) = request.into_parts();
        let what = format!("{} {}", parts.method, crate::redact::path_only(&parts.uri.to_string()));
        let small = http_body::Body::size_hint(&body)
            .upper()
            .is_some_and(|upper| upper <= REPLAYABLE_BODY_BYTES);
        let (replayable, mut streaming) = if idempotent(&parts.method) && small {
            let bytes = body.collect().await.map_err(|error| HubError::Body(error.to_string()))?;
            (Some(bytes.to_bytes()), None)
        } else {
            (None, Some(body))
        };
        let attempts = self.inner.settings.attempts.max(1);
        let mut attempt = 0;
        loop {
            attempt += 1;
            let link = self.pick(transporter).await?;
            let stream = match link.opener.open().await {
                Ok(stream) => stream,
                Err(error) if attempt < attempts => {
                    tracing::debug!(transporter, %error, "link unusable; trying another");
                    link.stop.notify_one();
                    continue;
                }
                Err(error) => {
                    return Err(HubError::Broken {
                        transporter,
                        request: what,
                        reason: format!("no stream could be opened: {error}"),
                    });
                }
            };
            let body = match (&replayable, streaming.take()) {
                (Some(bytes), _) => Body::from(bytes.clone()),
                (None, Some(body)) => body,
                (None, None) => Body::empty(),
            };
            let request = Request::from_parts(parts.clone(), body);
            match self.exchange(stream, request).await {
                Ok(response) => return Ok(response),
                Err(Exchange::Timeout) => {
                    return Err(HubError::Timeout {
                        transporter,
                        request: what,
                        seconds: self.inner.settings.header_timeout.as_secs(),
                    });
                }
                Err(Exchange::Failed(reason)) if replayable.is_some() && attempt < attempts => {
                    tracing::info!(transporter, request = %what, %reason, "tunnel broke; sending the idempotent request again");
                    tokio::time::sleep(crate::backoff(
                        attempt,
                        Duration::from_millis(100),
                        Duration::from_secs(2),
                    ))
                    .await;
                }
                Err(Exchange::Failed(reason)) => {
                    let why = if replayable.is_some() {
                        format!("{reason} (tried {attempt} times)")
                    } else {
                        format!(
                            "{reason}; not sent again: the request is not idempotent or its body streamed"
                        )
                    };
                    return Err(HubError::Broken { transporter, request: what, reason: why });
                }
            }
        }
    }

    async fn exchange(
        &self,
        stream: mux::Stream,
        request: Request<Body>,
    ) -> Result<Response<Incoming>, Exchange> {
        match tokio::time::timeout(
            self.inner.settings.header_timeout,
            mux::exchange(stream, request),
        )
        .await
        {
            Err(_) => Err(Exchange::Timeout),
            Ok(Err(error)) => Err(Exchange::Failed(error.to_string())),
            Ok(Ok(response)) => Ok(response),
        }
    }

    /// Asks every connected agent of `transporter` to run its health
    /// checks; one answer (JSON) or error per agent.
    pub async fn health(
        &self,
        transporter: i64,
    ) -> Vec<(AgentInfo, Result<serde_json::Value, String>)> {
        let mut results = Vec::new();
        for link in self.live(transporter) {
            let result = async {
                let stream = link.opener.open().await.map_err(|error| error.to_string())?;
                let request = Request::get(crate::HEALTH_PATH)
                    .header(http::header::HOST, "transporter")
                    .body(Body::empty())
                    .map_err(|error| error.to_string())?;
                let response =
                    self.exchange(stream, request).await.map_err(|error| match error {
                        Exchange::Timeout => "no answer".to_owned(),
                        Exchange::Failed(reason) => reason,
                    })?;
                let body =
                    tokio::time::timeout(Duration::from_secs(30), response.into_body().collect())
                        .await
                        .map_err(|_| "no answer within 30 s".to_owned())?
                        .map_err(|error| error.to_string())?
                        .to_bytes();
                serde_json::from_slice::<serde_json::Value>(&body)
                    .map_err(|error| error.to_string())
            }
            .await;
            results.push((link.info.clone(), result));
        }
        results
    }
}

enum Exchange {
    Timeout,
    Failed(String),
}

/// Header a caller of the forward endpoint proves itself with.
pub const FORWARD_KEY_HEADER: &str = "x-vigil-forward-key";

/// The hub's forward endpoint: `ANY /t/{transporter}/{path…}` sends
/// `/{path…}` with its query, method, headers and body to the
/// transporter's GitLab and streams the answer back. Callers (the server's
/// GitLab client) prove themselves with [`FORWARD_KEY_HEADER`]; errors of
/// the tunnel itself are JSON `{error, message}` with 502, 503 or 504.
pub fn forward_router(hub: Hub, key: String) -> Router {
    let key: Arc<str> = key.into();
    Router::new().route(
        "/t/{transporter}/{*path}",
        any(
            move |axum::extract::Path((transporter, _)): axum::extract::Path<(i64, String)>,
                  request: Request<Body>| {
                let hub = hub.clone();
                let key = key.clone();
                async move { forward(&hub, &key, transporter, request).await }
            },
        ),
    )
}

/// A JSON error answer `{error, message}`.
pub fn json_error_response(status: StatusCode, error: &str, message: &str) -> Response<Body> {
    json_response(status, &serde_json::json!({ "error": error, "message": message }))
}

/// A JSON answer.
pub(crate) fn json_response(status: StatusCode, value: &serde_json::Value) -> Response<Body> {
    use axum::response::IntoResponse as _;
    (status, axum::Json(value)).into_response()
}

async fn forward(hub: &Hub, key: &str, transporter: i64, request: Request<Body>) -> Response<Body> {
    let given =
        request.headers().get(FORWARD_KEY_HEADER).map(|value| value.as_bytes()).unwrap_or_default();
    if !constant_time_eq(given, key.as_bytes()) {
        return json_error_response(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "wrong or missing forward key",
        );
    }
    let (mut parts, body) = request.into_parts();
    let prefix = format!("/t/{transporter}");
    let path_and_query = parts.uri.path_and_query().map_or("/", |pq| pq.as_str());
    let Some(rest) = path_and_query.strip_prefix(&prefix) else {
        return json_error_response(StatusCode::BAD_REQUEST, "bad_request", "bad forward path");
    };
    parts.uri = match rest.parse() {
        Ok(uri) => uri,
        Err(_) => {
            return json_error_response(StatusCode::BAD_REQUEST, "bad_request", "bad forward path");
        }
    };
    parts.headers.remove(FORWARD_KEY_HEADER);
    strip_hop_by_hop(&mut parts.headers);
    match hub.send(transporter, Request::from_parts(parts, body)).await {
        Ok(response) => {
            let (mut parts, body) = response.into_parts();
            strip_hop_by_hop(&mut parts.headers);
            Response::from_parts(parts, Body::new(body))
        }
        Err(error) => {
            tracing::warn!(transporter, %error, "request through the Transporter failed");
            json_error_response(error.status(), "transporter", &error.to_string())
        }
    }
}

/// Removes the headers that belong to one connection only.
pub fn strip_hop_by_hop(headers: &mut http::HeaderMap) {
    for name in [
        http::header::CONNECTION,
        http::header::HOST,
        http::header::TRANSFER_ENCODING,
        http::header::UPGRADE,
        http::header::TE,
        http::header::TRAILER,
        http::header::PROXY_AUTHORIZATION,
        http::header::PROXY_AUTHENTICATE,
    ] {
        headers.remove(name);
    }
    headers.remove("keep-alive");
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    use subtle::ConstantTimeEq as _;
    a.ct_eq(b).into()
}
