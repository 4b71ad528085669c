//! The tunnel end to end on loopback: an origin standing in for GitLab, a
//! hub (axum, as the server mounts it) and a real agent, over real TCP.

// Test helpers outside #[test] functions may panic: a panic is a test failure.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod reliability;
mod tls;
mod tunnel;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Path, Request};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::{any, get, post};
use tokio::task::JoinHandle;
use vigil_transporter::dial::DialSettings;
use vigil_transporter::hub::{self, AgentInfo, HubSettings};
use vigil_transporter::{Agent, AgentSettings, Allowlist, Hub};

pub const CREDENTIAL: &str = "vgtc_test-credential";
pub const FORWARD_KEY: &str = "forward-key";

/// Serves `app` with TCP_NODELAY (as GitLab's and Vigil's fronts do).
pub async fn serve(listener: tokio::net::TcpListener, app: Router) {
    use axum::serve::ListenerExt as _;
    let listener = listener.tap_io(|tcp| {
        let _ = tcp.set_nodelay(true);
    });
    axum::serve(listener, app).await.unwrap();
}

/// A listener on a free loopback port.
pub async fn listener() -> (tokio::net::TcpListener, SocketAddr) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    (listener, addr)
}

/// A stand-in for GitLab: version, a streamed archive of `?bytes=N`, a
/// slow answer, a redirect to another host, an echo of POST bodies.
pub async fn origin() -> (String, JoinHandle<()>) {
    let (listener, addr) = listener().await;
    let app = Router::new()
        .route(
            "/api/v4/version",
            get(|| async {
                axum::Json(serde_json::json!({"version": "17.5.0", "revision": "abc"}))
            }),
        )
        .route(
            "/api/v4/projects/{id}/repository/archive.tar.gz",
            get(|Path(id): Path<u64>, request: Request| async move {
                let query = request.uri().query().unwrap_or_default().to_owned();
                let bytes: u64 = query
                    .split('&')
                    .find_map(|pair| pair.strip_prefix("bytes=").and_then(|n| n.parse().ok()))
                    .unwrap_or(1024);
                let delay_ms: u64 = query
                    .split('&')
                    .find_map(|pair| pair.strip_prefix("delay_ms=").and_then(|n| n.parse().ok()))
                    .unwrap_or(0);
                tokio::time::sleep(Duration::from_millis(delay_ms)).await;
                let chunk = Bytes::from(vec![u8::try_from(id % 251).unwrap(); 64 * 1024]);
                let chunks = bytes.div_ceil(64 * 1024);
                let last = bytes - (chunks.saturating_sub(1)) * 64 * 1024;
                let stream = futures::stream::iter((0..chunks).map(move |index| {
                    let piece = if index + 1 == chunks {
                        chunk.slice(..usize::try_from(last).unwrap())
                    } else {
                        chunk.clone()
                    };
                    Ok::<_, std::io::Error>(piece)
                }));
                let mut response = Body::from_stream(stream).into_response();
                response.headers_mut().insert("content-length", bytes.to_string().parse().unwrap());
                response
            }),
        )
        .route(
            "/api/v4/projects/{id}",
            get(|Path(id): Path<u64>, headers: axum::http::HeaderMap| async move {
                match id {
                    301 => (StatusCode::FOUND, [("location", "http://elsewhere.example/steal")])
                        .into_response(),
                    302 => {
                        (StatusCode::FOUND, [("location", "/api/v4/projects/1")]).into_response()
                    }
                    _ => axum::Json(serde_json::json!({
                        "id": id,
                        "authorization": headers.get("authorization").and_then(|v| v.to_str().ok()),
                    }))
                    .into_response(),
                }
            }),
        )
        // What an allowlist bypass would reach: a system hook.
        .route(
            "/api/v4/hooks/{id}",
            axum::routing::put(|| async { (StatusCode::OK, "system hook changed") }),
        )
        .route(
            "/api/v4/projects/{id}/merge_requests/{iid}/notes",
            post(|body: Bytes| async move { (StatusCode::CREATED, body) }),
        )
        .layer(axum::extract::DefaultBodyLimit::max(64 << 20));
    let handle = tokio::spawn(async move {
        serve(listener, app).await;
    });
    (format!("http://{addr}"), handle)
}

/// Webhooks the hub received up the tunnel.
pub type Received = Arc<Mutex<Vec<(String, Bytes)>>>;

/// A hub as the server mounts it: `GET /transporter` checks the
/// credential and serves the link as transporter 1; a forward listener.
pub struct TestHub {
    pub hub: Hub,
    pub url: String,
    pub addr: SocketAddr,
    pub forward: String,
    pub received: Received,
    pub reasons: Arc<Mutex<Vec<String>>>,
    server: JoinHandle<()>,
    forward_server: JoinHandle<()>,
}

impl TestHub {
    pub async fn start(settings: HubSettings) -> TestHub {
        let (listener, addr) = listener().await;
        TestHub::start_on(Hub::new(settings), listener, addr).await
    }

    pub async fn start_on(
        hub: Hub,
        listener: tokio::net::TcpListener,
        addr: SocketAddr,
    ) -> TestHub {
        TestHub::start_with(hub, listener, addr, None).await
    }

    /// A hub behind TLS (`acceptor`), as behind a TLS front.
    pub async fn start_tls(settings: HubSettings, acceptor: tokio_rustls::TlsAcceptor) -> TestHub {
        let (listener, addr) = listener().await;
        TestHub::start_with(Hub::new(settings), listener, addr, Some(acceptor)).await
    }

    async fn start_with(
        hub: Hub,
        listener: tokio::net::TcpListener,
        addr: SocketAddr,
        tls: Option<tokio_rustls::TlsAcceptor>,
    ) -> TestHub {
        let received: Received = Arc::default();
        let reasons: Arc<Mutex<Vec<String>>> = Arc::default();
        let inbound_received = received.clone();
        let inbound = Router::new().route(
            "/hooks/gitlab/{instance}",
            post(move |Path(instance): Path<String>, body: Bytes| {
                let received = inbound_received.clone();
                async move {
                    received.lock().unwrap().push((instance, body));
                    StatusCode::ACCEPTED
                }
            }),
        );
        let link_hub = hub.clone();
        let link_reasons = reasons.clone();
        let app = Router::new().route(
            vigil_transporter::HUB_PATH,
            any(move |mut request: Request| {
                let hub = link_hub.clone();
                let inbound = inbound.clone();
                let reasons = link_reasons.clone();
                async move {
                    let auth = request.headers().get("authorization").and_then(|v| v.to_str().ok()).unwrap_or_default();
                    if auth != format!("Bearer {CREDENTIAL}") {
                        return (StatusCode::UNAUTHORIZED, axum::Json(serde_json::json!({"error": "transporter", "message": "unknown or revoked Transporter credential"}))).into_response();
                    }
                    let header = |name: &str| request.headers().get(name).and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
                    let info = AgentInfo {
                        agent: header(vigil_transporter::AGENT_HEADER),
                        version: header(vigil_transporter::VERSION_HEADER),
                        gitlab_url: header(vigil_transporter::GITLAB_HEADER),
                        webhook_url: header(vigil_transporter::WEBHOOK_URL_HEADER),
                        remote: String::new(),
                        connected_at: hub::now_ms(),
                    };
                    let (response, on_upgrade) = hub::upgrade(&mut request).unwrap();
                    tokio::spawn(async move {
                        let reason = hub.serve_link(1, info, on_upgrade, inbound).await;
                        reasons.lock().unwrap().push(reason);
                    });
                    response
                }
            }),
        );
        let scheme = if tls.is_some() { "wss" } else { "ws" };
        let server = match tls {
            None => tokio::spawn(async move {
                serve(listener, app).await;
            }),
            Some(acceptor) => tokio::spawn(async move {
                loop {
                    let (tcp, _) = listener.accept().await.unwrap();
                    let (acceptor, app) = (acceptor.clone(), app.clone());
                    tokio::spawn(async move {
                        let Ok(stream) = acceptor.accept(tcp).await else { return };
                        let service = hyper_util::service::TowerToHyperService::new(app);
                        let _ = hyper::server::conn::http1::Builder::new()
                            .serve_connection(hyper_util::rt::TokioIo::new(stream), service)
                            .with_upgrades()
                            .await;
                    });
                }
            }),
        };
        let (forward_listener, forward_addr) = self::listener().await;
        let router = hub::forward_router(hub.clone(), FORWARD_KEY.to_owned());
        let forward_server = tokio::spawn(async move {
            serve(forward_listener, router).await;
        });
        TestHub {
            hub,
            url: format!("{scheme}://localhost:{}{}", addr.port(), vigil_transporter::HUB_PATH),
            addr,
            forward: format!("http://{forward_addr}/t/1"),
            received,
            reasons,
            server,
            forward_server,
        }
    }

    /// Stops accepting and drops every link, as a hub process dying would.
    pub fn kill(&self) {
        self.server.abort();
        self.forward_server.abort();
        self.hub.disconnect(1);
    }

    /// Waits until `n` agents are connected.
    pub async fn wait_for_agents(&self, n: usize) {
        for _ in 0..200 {
            if self.hub.links(1).len() >= n {
                return;
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        panic!("{} agents connected, wanted {n}", self.hub.links(1).len());
    }
}

pub fn dial(hub: &str) -> DialSettings {
    DialSettings {
        hub: hub.to_owned(),
        insecure_hub: false,
        ca_file: None,
        proxy: None,
        client_cert: None,
        connect_timeout: Duration::from_secs(5),
    }
}

pub fn agent_settings(hub: &str, gitlab: &str) -> AgentSettings {
    AgentSettings {
        dial: dial(hub),
        credential: CREDENTIAL.to_owned(),
        gitlab: gitlab.to_owned(),
        webhook_listen: None,
        webhook_url: None,
        tls: None,
        allowlist: Allowlist::builtin().unwrap(),
        ping_interval: Duration::from_millis(500),
        gitlab_timeout: Duration::from_secs(10),
    }
}

/// Starts an agent; abort the handle to kill it.
pub fn start_agent(settings: AgentSettings) -> JoinHandle<()> {
    let agent = Agent::new(settings).unwrap();
    tokio::spawn(async move {
        agent.run(std::future::pending()).await.unwrap();
    })
}

/// A client for the forward endpoint.
pub fn client() -> reqwest::Client {
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert(hub::FORWARD_KEY_HEADER, FORWARD_KEY.parse().unwrap());
    reqwest::Client::builder()
        .default_headers(headers)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// Short settings for tests.
pub fn quick() -> HubSettings {
    HubSettings {
        connect_wait: Duration::from_secs(3),
        header_timeout: Duration::from_secs(5),
        attempts: 3,
        silence: Duration::from_secs(3),
    }
}

/// A free loopback address (bound then released).
pub fn free_addr() -> SocketAddr {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap()
}

pub async fn body_len(response: reqwest::Response) -> u64 {
    use futures::StreamExt as _;
    let mut stream = response.bytes_stream();
    let mut total = 0;
    while let Some(chunk) = stream.next().await {
        total += chunk.unwrap().len() as u64;
    }
    total
}
