//! The agent: runs inside the closed network. It keeps one tunnel to the
//! hub open (reconnecting with exponential backoff and full jitter), pings
//! the hub, answers the hub's streams by sending each request to its one
//! GitLab after the [`Allowlist`] allowed it, and forwards the webhooks
//! GitLab posts to its listener up the tunnel.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Body;
use axum::routing::{get, post};
use futures::TryStreamExt as _;
use http::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use hyper_util::service::TowerToHyperService;
use serde_json::json;

use crate::allowlist::Allowlist;
use crate::dial::{self, DialSettings};
use crate::hub::{json_error_response, json_response, now_ms, strip_hop_by_hop};
use crate::mux::{self, Opener};
use crate::redact::path_only;
use crate::wsio::WsIo;

/// How the agent runs.
#[derive(Debug, Clone)]
pub struct AgentSettings {
    /// How to reach the hub.
    pub dial: DialSettings,
    /// The credential from enrolment.
    pub credential: String,
    /// The GitLab base URL requests go to (`https://gitlab.internal`).
    pub gitlab: String,
    /// The webhook listener's address (GitLab posts hooks there).
    pub webhook_listen: Option<SocketAddr>,
    /// The URL GitLab reaches the webhook listener at (announced to the
    /// hub, which installs hooks pointing there); default: the listen
    /// address with https:// (http:// without TLS).
    pub webhook_url: Option<String>,
    /// Certificate and key (PEM) of the webhook listener; plain HTTP without.
    pub tls: Option<(PathBuf, PathBuf)>,
    /// What may reach GitLab.
    pub allowlist: Allowlist,
    /// How often the agent pings the hub.
    pub ping_interval: Duration,
    /// Longest wait for GitLab's response headers.
    pub gitlab_timeout: Duration,
}

/// Why the agent cannot start or stopped.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AgentError {
    /// A setting is unusable.
    #[error("{0}")]
    Settings(String),
    /// The webhook listener cannot start.
    #[error("webhook listener on {addr}: {reason}")]
    Listen {
        /// The address.
        addr: String,
        /// Why.
        reason: String,
    },
    /// The hub refused the agent's credential (HTTP 401 or 403 to the
    /// WebSocket upgrade): unknown or revoked, which retrying cannot heal.
    #[error(
        "the hub refused this agent's credential (HTTP {status}: {message}); it is unknown or \
         revoked and retrying cannot help: enrol the agent again with a new enrolment token"
    )]
    CredentialRefused {
        /// HTTP status.
        status: u16,
        /// The hub's message.
        message: String,
    },
}

/// What the agent knows about its tunnel, shared by its tasks.
#[derive(Default)]
struct Shared {
    opener: Mutex<Option<Opener>>,
    connected: AtomicBool,
    last_ping_ok_at: AtomicI64,
    last_ping_rtt_us: AtomicI64,
    last_error: Mutex<Option<String>>,
}

/// A configured agent.
#[derive(Clone)]
pub struct Agent {
    settings: Arc<AgentSettings>,
    /// GitLab's origin, parsed once: every request goes there.
    gitlab_url: reqwest::Url,
    gitlab: reqwest::Client,
    shared: Arc<Shared>,
}

impl std::fmt::Debug for Agent {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Agent").field("gitlab", &self.settings.gitlab).finish_non_exhaustive()
    }
}

fn agent_id() -> String {
    use rand::Rng as _;
    let host = std::fs::read_to_string("/etc/hostname")
        .ok()
        .map(|name| name.trim().to_owned())
        .filter(|name| !name.is_empty())
        .unwrap_or_else(|| "agent".to_owned());
    format!("{host}-{:06x}", rand::thread_rng().gen_range(0..0x100_0000))
}

impl Agent {
    /// An agent with `settings`; checks the GitLab URL and CA file.
    pub fn new(settings: AgentSettings) -> Result<Agent, AgentError> {
        dial::check_hub(&settings.dial)
            .map_err(|error| AgentError::Settings(format!("--hub: {error}")))?;
        let gitlab = settings.gitlab.trim_end_matches('/').to_owned();
        let url = reqwest::Url::parse(&gitlab)
            .map_err(|error| AgentError::Settings(format!("--gitlab `{gitlab}`: {error}")))?;
        if !matches!(url.scheme(), "http" | "https") || url.path() != "/" || url.query().is_some() {
            return Err(AgentError::Settings(format!(
                "--gitlab `{gitlab}`: give GitLab's base URL, like https://gitlab.internal"
            )));
        }
        let mut builder = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(Duration::from_secs(10))
            .tcp_nodelay(true)
            .user_agent(concat!("vigil-transporter/", env!("CARGO_PKG_VERSION")));
        if let Some(path) = &settings.dial.ca_file {
            let pem = std::fs::read(path).map_err(|error| {
                AgentError::Settings(format!("CA file {}: {error}", path.display()))
            })?;
            for cert in reqwest::Certificate::from_pem_bundle(&pem).map_err(|error| {
                AgentError::Settings(format!("CA file {}: {error}", path.display()))
            })? {
                builder = builder.add_root_certificate(cert);
            }
        }
        let client = builder.build().map_err(|error| AgentError::Settings(error.to_string()))?;
        Ok(Agent {
            settings: Arc::new(AgentSettings { gitlab, ..settings }),
            gitlab_url: url,
            gitlab: client,
            shared: Arc::default(),
        })
    }

    /// Runs until `shutdown` completes: the webhook listener (when set)
    /// and the tunnel, reconnected whenever it drops.
    pub async fn run(
        self,
        shutdown: impl std::future::Future<Output = ()>,
    ) -> Result<(), AgentError> {
        let tls = dial::tls_config(&self.settings.dial)
            .map_err(|error| AgentError::Settings(error.to_string()))?;
        if let Some(addr) = self.settings.webhook_listen {
            let listener = tokio::net::TcpListener::bind(addr).await.map_err(|error| {
                AgentError::Listen { addr: addr.to_string(), reason: error.to_string() }
            })?;
            let acceptor = match &self.settings.tls {
                Some((cert, key)) => Some(tls_acceptor(cert, key).map_err(AgentError::Settings)?),
                None => {
                    tracing::warn!(%addr, "webhook listener without TLS (give --tls-cert and --tls-key)");
                    None
                }
            };
            tracing::info!(%addr, tls = acceptor.is_some(), "webhook listener ready");
            tokio::spawn(serve_listener(listener, acceptor, self.listener_router()));
        }
        let agent = agent_id();
        tracing::info!(%agent, hub = %self.settings.dial.hub, gitlab = %self.settings.gitlab, "Transporter agent starting");
        let headers = [
            (crate::VERSION_HEADER, env!("CARGO_PKG_VERSION").to_owned()),
            (crate::GITLAB_HEADER, self.settings.gitlab.clone()),
            (crate::AGENT_HEADER, agent),
            (crate::WEBHOOK_URL_HEADER, self.webhook_url().unwrap_or_default()),
        ];
        let tunnels = async {
            let mut attempt = 0_u32;
            loop {
                attempt += 1;
                let started = Instant::now();
                match dial::websocket(
                    &self.settings.dial,
                    &tls,
                    &self.settings.credential,
                    &headers,
                )
                .await
                {
                    Ok(ws) => {
                        tracing::info!("connected to the hub");
                        let reason = self.run_tunnel(ws).await;
                        self.set_error(Some(reason.clone()));
                        tracing::warn!(%reason, "tunnel closed; reconnecting");
                        if started.elapsed() > Duration::from_secs(30) {
                            attempt = 0;
                        }
                    }
                    Err(dial::DialError::Refused { status, message })
                        if matches!(status, 401 | 403) =>
                    {
                        let error = AgentError::CredentialRefused { status, message };
                        tracing::error!(%error, "stopping");
                        self.set_error(Some(error.to_string()));
                        return error;
                    }
                    Err(error) => {
                        tracing::warn!(%error, attempt, "cannot connect to the hub");
                        self.set_error(Some(error.to_string()));
                    }
                }
                let wait = crate::backoff(
                    attempt.max(1),
                    Duration::from_millis(250),
                    Duration::from_secs(30),
                );
                tokio::time::sleep(wait).await;
            }
        };
        tokio::select! {
            error = tunnels => Err(error),
            () = shutdown => {
                tracing::info!("Transporter agent stopping");
                Ok(())
            }
        }
    }

    /// Where GitLab reaches the webhook listener, if there is one.
    fn webhook_url(&self) -> Option<String> {
        let listen = self.settings.webhook_listen?;
        let scheme = if self.settings.tls.is_some() { "https" } else { "http" };
        Some(
            self.settings
                .webhook_url
                .clone()
                .unwrap_or_else(|| format!("{scheme}://{listen}"))
                .trim_end_matches('/')
                .to_owned(),
        )
    }

    fn set_error(&self, error: Option<String>) {
        if let Ok(mut last) = self.shared.last_error.lock() {
            *last = error;
        }
    }

    fn opener(&self) -> Option<Opener> {
        self.shared.opener.lock().ok().and_then(|opener| opener.clone())
    }

    /// Serves one tunnel until it ends; returns why it ended.
    async fn run_tunnel(&self, ws: tokio_tungstenite::WebSocketStream<dial::BoxIo>) -> String {
        let (opener, mut streams, driver) = mux::start(WsIo::new(ws), yamux::Mode::Client);
        if let Ok(mut current) = self.shared.opener.lock() {
            *current = Some(opener.clone());
        }
        self.shared.connected.store(true, Ordering::Relaxed);
        self.set_error(None);
        let serve = async {
            while let Some(stream) = streams.recv().await {
                let agent = self.clone();
                tokio::spawn(async move {
                    let service = hyper::service::service_fn(move |request| {
                        let agent = agent.clone();
                        async move { Ok::<_, std::convert::Infallible>(agent.answer(request).await) }
                    });
                    mux::serve(stream, service).await;
                });
            }
        };
        let reason = tokio::select! {
            result = driver => match result {
                Ok(()) => "the hub closed the tunnel".to_owned(),
                Err(error) => error.to_string(),
            },
            () = serve => "the tunnel closed".to_owned(),
            reason = self.ping_loop(&opener) => reason,
        };
        self.shared.connected.store(false, Ordering::Relaxed);
        if let Ok(mut current) = self.shared.opener.lock() {
            *current = None;
        }
        reason
    }

    /// Pings the hub every interval; three failures in a row end the tunnel.
    async fn ping_loop(&self, opener: &Opener) -> String {
        let interval = self.settings.ping_interval;
        let mut failures = 0;
        loop {
            let started = Instant::now();
            let result = tokio::time::timeout(interval.max(Duration::from_secs(1)), async {
                let request = Request::post(crate::PING_PATH)
                    .header(http::header::HOST, "hub")
                    .body(Body::empty())
                    .map_err(|error| error.to_string())?;
                let response = send_up(opener, request).await?;
                if response.status().is_success() {
                    Ok(())
                } else {
                    Err(format!("the hub answered the ping with {}", response.status()))
                }
            })
            .await;
            match result {
                Ok(Ok(())) => {
                    failures = 0;
                    self.shared.last_ping_ok_at.store(now_ms(), Ordering::Relaxed);
                    let rtt = i64::try_from(started.elapsed().as_micros()).unwrap_or(i64::MAX);
                    self.shared.last_ping_rtt_us.store(rtt, Ordering::Relaxed);
                }
                Ok(Err(reason)) => {
                    failures += 1;
                    tracing::warn!(%reason, failures, "ping failed");
                }
                Err(_) => {
                    failures += 1;
                    tracing::warn!(
                        failures,
                        "no answer to a ping within {} s",
                        interval.as_secs().max(1)
                    );
                }
            }
            if failures >= 3 {
                return "the hub did not answer 3 pings in a row".to_owned();
            }
            tokio::time::sleep(interval.saturating_sub(started.elapsed())).await;
        }
    }

    /// Answers one request from the hub.
    async fn answer(&self, request: Request<hyper::body::Incoming>) -> Response<Body> {
        let method = request.method().as_str().to_owned();
        let path_and_query =
            request.uri().path_and_query().map_or("/", |pq| pq.as_str()).to_owned();
        let path = path_only(&path_and_query).to_owned();
        if path == crate::HEALTH_PATH {
            return json_response(StatusCode::OK, &self.health().await);
        }
        // The check is made on the URL the agent sends, as the url crate
        // normalises it, and that URL is what goes to GitLab and the log.
        let url = match self.settings.allowlist.resolve(&method, &self.gitlab_url, &path_and_query)
        {
            Ok(allowed) => allowed.url,
            Err(refusal) => {
                tracing::warn!(%method, %path, reason = %refusal, "refused");
                return json_error_response(
                    StatusCode::FORBIDDEN,
                    "refused_by_transporter",
                    &refusal.to_string(),
                );
            }
        };
        let sent_path = url.path().to_owned();
        let started = Instant::now();
        let response = self.to_gitlab(request, url).await;
        tracing::debug!(%method, path = %sent_path, status = response.status().as_u16(), ms = started.elapsed().as_millis() as u64, "forwarded");
        response
    }

    async fn to_gitlab(
        &self,
        request: Request<hyper::body::Incoming>,
        url: reqwest::Url,
    ) -> Response<Body> {
        let (mut parts, body) = request.into_parts();
        strip_hop_by_hop(&mut parts.headers);
        let what = format!("{} {}", parts.method, url.path());
        let has_body = parts.headers.contains_key(http::header::CONTENT_LENGTH)
            || !matches!(
                parts.method,
                http::Method::GET | http::Method::HEAD | http::Method::DELETE
            );
        let mut outgoing = self.gitlab.request(parts.method.clone(), url).headers(parts.headers);
        if has_body {
            let stream = http_body_util::BodyDataStream::new(body);
            outgoing = outgoing.body(reqwest::Body::wrap_stream(stream));
        }
        let sent = tokio::time::timeout(self.settings.gitlab_timeout, outgoing.send()).await;
        let response = match sent {
            Err(_) => {
                return json_error_response(
                    StatusCode::GATEWAY_TIMEOUT,
                    "gitlab_timeout",
                    &format!(
                        "GitLab did not answer {what} within {} s",
                        self.settings.gitlab_timeout.as_secs()
                    ),
                );
            }
            Ok(Err(error)) => {
                let reason = error.without_url().to_string();
                tracing::warn!(request = %what, %reason, "GitLab unreachable");
                return json_error_response(
                    StatusCode::BAD_GATEWAY,
                    "gitlab_unreachable",
                    &format!("the Transporter cannot reach GitLab for {what}: {reason}"),
                );
            }
            Ok(Ok(response)) => response,
        };
        if response.status().is_redirection() {
            if let Some(location) = response.headers().get(http::header::LOCATION) {
                let location = location.to_str().unwrap_or_default();
                let same_origin = location.starts_with('/') && !location.starts_with("//")
                    || location.starts_with(&format!("{}/", self.settings.gitlab));
                if !same_origin {
                    let host = reqwest::Url::parse(location)
                        .ok()
                        .and_then(|url| url.host_str().map(str::to_owned))
                        .unwrap_or_else(|| "an unparsable location".to_owned());
                    tracing::warn!(request = %what, %host, "refused a redirect to another host");
                    return json_error_response(
                        StatusCode::BAD_GATEWAY,
                        "redirect_refused",
                        &format!(
                            "GitLab redirected {what} to another host ({host}); the Transporter does not follow it"
                        ),
                    );
                }
            }
        }
        let mut builder = Response::builder().status(response.status());
        if let Some(headers) = builder.headers_mut() {
            headers.extend(response.headers().clone());
            strip_hop_by_hop(headers);
        }
        let stream = response.bytes_stream().map_err(std::io::Error::other);
        builder.body(Body::from_stream(stream)).unwrap_or_else(|_| {
            json_error_response(
                StatusCode::BAD_GATEWAY,
                "bad_response",
                "GitLab's answer could not be passed on",
            )
        })
    }

    /// The agent's checks: GitLab reachable (internal), hub answering pings
    /// (external), the webhook listener's certificate valid.
    pub async fn health(&self) -> serde_json::Value {
        let started = Instant::now();
        let version_url = format!("{}/api/v4/version", self.settings.gitlab);
        let internal = match tokio::time::timeout(
            Duration::from_secs(10),
            self.gitlab.get(&version_url).send(),
        )
        .await
        {
            Ok(Ok(response)) => json!({
                "status": "ok",
                "message": format!("GitLab answered HTTP {} in {} ms", response.status().as_u16(), started.elapsed().as_millis()),
            }),
            Ok(Err(error)) => {
                json!({ "status": "error", "message": format!("cannot reach GitLab: {}", error.without_url()) })
            }
            Err(_) => json!({ "status": "error", "message": "GitLab did not answer within 10 s" }),
        };
        let last_ok = self.shared.last_ping_ok_at.load(Ordering::Relaxed);
        let age_ms = now_ms() - last_ok;
        let stale = i64::try_from(self.settings.ping_interval.as_millis() * 3).unwrap_or(i64::MAX);
        let external = if last_ok > 0 && age_ms <= stale.max(3_000) {
            json!({
                "status": "ok",
                "message": format!("the hub answered a ping {} s ago in {:.1} ms", age_ms / 1000,
                    self.shared.last_ping_rtt_us.load(Ordering::Relaxed) as f64 / 1000.0),
            })
        } else if last_ok == 0 {
            json!({ "status": "warning", "message": "no ping answered yet" })
        } else {
            json!({ "status": "error", "message": format!("no ping answered for {} s", age_ms / 1000) })
        };
        let certificate = match &self.settings.tls {
            None => {
                json!({ "status": "ok", "message": "the webhook listener has no TLS certificate configured" })
            }
            Some((cert, _)) => certificate_check(cert, now_ms() / 1000),
        };
        let worst = [&internal, &external, &certificate]
            .iter()
            .map(|check| check["status"].as_str().unwrap_or("error"))
            .max_by_key(|status| match *status {
                "ok" => 0,
                "warning" => 1,
                _ => 2,
            })
            .unwrap_or("ok")
            .to_owned();
        json!({
            "status": worst,
            "version": env!("CARGO_PKG_VERSION"),
            "gitlab": self.settings.gitlab,
            "checks": { "internal": internal, "external": external, "certificate": certificate },
        })
    }

    /// The webhook listener: GitLab's hooks go up the tunnel; `/healthz`
    /// answers for load balancers and monitors.
    fn listener_router(&self) -> Router {
        let hooks = self.clone();
        let healthz = self.clone();
        Router::new()
            .route(
                "/hooks/gitlab/{instance}",
                post(move |request: Request<Body>| {
                    let agent = hooks.clone();
                    async move { agent.hook_up(request).await }
                }),
            )
            .route(
                "/healthz",
                get(move || {
                    let agent = healthz.clone();
                    async move {
                        let connected = agent.shared.connected.load(Ordering::Relaxed);
                        let last_error = agent.shared.last_error.lock().ok().and_then(|e| e.clone());
                        let status = if connected { StatusCode::OK } else { StatusCode::SERVICE_UNAVAILABLE };
                        json_response(status, &json!({
                            "status": if connected { "ok" } else { "disconnected" },
                            "hub_connected": connected,
                            "last_ping_ok_at": agent.shared.last_ping_ok_at.load(Ordering::Relaxed),
                            "last_error": last_error,
                        }))
                    }
                }),
            )
    }

    /// Sends one webhook up the tunnel and passes the hub's answer back to
    /// GitLab (which retries on errors).
    async fn hook_up(&self, request: Request<Body>) -> Response<Body> {
        let Some(opener) = self.opener() else {
            return json_error_response(
                StatusCode::SERVICE_UNAVAILABLE,
                "hub_unreachable",
                "the Transporter is not connected to Vigil; GitLab will retry",
            );
        };
        let (mut parts, body) = request.into_parts();
        strip_hop_by_hop(&mut parts.headers);
        parts.headers.insert(http::header::HOST, http::HeaderValue::from_static("hub"));
        match send_up(&opener, Request::from_parts(parts, body)).await {
            Ok(response) => {
                let (mut parts, body) = response.into_parts();
                strip_hop_by_hop(&mut parts.headers);
                Response::from_parts(parts, Body::new(body))
            }
            Err(reason) => {
                tracing::warn!(%reason, "cannot forward a webhook to the hub");
                json_error_response(
                    StatusCode::BAD_GATEWAY,
                    "hub_unreachable",
                    &format!("cannot forward the webhook to Vigil: {reason}"),
                )
            }
        }
    }
}

/// One request up the tunnel to the hub.
async fn send_up(
    opener: &Opener,
    request: Request<Body>,
) -> Result<Response<hyper::body::Incoming>, String> {
    let stream = opener.open().await.map_err(|error| error.to_string())?;
    mux::exchange(stream, request).await.map_err(|error| error.to_string())
}

/// Days left on a PEM certificate: error when expired or unreadable,
/// warning under 14 days.
pub fn certificate_check(path: &std::path::Path, now_s: i64) -> serde_json::Value {
    use rustls_pki_types::pem::PemObject as _;
    let not_after = rustls_pki_types::CertificateDer::pem_file_iter(path)
        .map_err(|error| error.to_string())
        .and_then(|mut certs| {
            certs
                .next()
                .ok_or_else(|| "no certificate in it".to_owned())?
                .map_err(|error| error.to_string())
        })
        .and_then(|der| {
            x509_parser::parse_x509_certificate(der.as_ref())
                .map(|(_, cert)| cert.validity().not_after.timestamp())
                .map_err(|error| error.to_string())
        });
    match not_after {
        Err(reason) => {
            json!({ "status": "error", "message": format!("certificate {}: {reason}", path.display()) })
        }
        Ok(not_after) => {
            let days = (not_after - now_s).div_euclid(86_400);
            let status = if not_after <= now_s {
                "error"
            } else if days < 14 {
                "warning"
            } else {
                "ok"
            };
            let message = if not_after <= now_s {
                format!("the webhook listener's certificate expired {} days ago", -days)
            } else {
                format!("the webhook listener's certificate is valid for {days} more days")
            };
            json!({ "status": status, "message": message, "days_left": days })
        }
    }
}

fn tls_acceptor(
    cert: &std::path::Path,
    key: &std::path::Path,
) -> Result<tokio_rustls::TlsAcceptor, String> {
    use rustls_pki_types::pem::PemObject as _;
    let certs = rustls_pki_types::CertificateDer::pem_file_iter(cert)
        .and_then(|certs| certs.collect::<Result<Vec<_>, _>>())
        .map_err(|error| format!("--tls-cert {}: {error}", cert.display()))?;
    let key = rustls_pki_types::PrivateKeyDer::from_pem_file(key)
        .map_err(|error| format!("--tls-key {}: {error}", key.display()))?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|error| error.to_string())?
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .map_err(|error| format!("--tls-cert/--tls-key: {error}"))?;
    Ok(tokio_rustls::TlsAcceptor::from(Arc::new(config)))
}

async fn serve_listener(
    listener: tokio::net::TcpListener,
    tls: Option<tokio_rustls::TlsAcceptor>,
    router: Router,
) {
    loop {
        let (tcp, peer) = match listener.accept().await {
            Ok(accepted) => accepted,
            Err(error) => {
                tracing::warn!(%error, "webhook listener: accept failed");
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        let _ = tcp.set_nodelay(true);
        let service = TowerToHyperService::new(router.clone());
        let tls = tls.clone();
        tokio::spawn(async move {
            let builder = hyper::server::conn::http1::Builder::new();
            let result = match tls {
                Some(acceptor) => match acceptor.accept(tcp).await {
                    Ok(stream) => builder.serve_connection(TokioIo::new(stream), service).await,
                    Err(error) => {
                        tracing::debug!(%peer, %error, "webhook listener: TLS handshake failed");
                        return;
                    }
                },
                None => builder.serve_connection(TokioIo::new(tcp), service).await,
            };
            if let Err(error) = result {
                tracing::debug!(%peer, %error, "webhook listener: connection ended early");
            }
        });
    }
}
