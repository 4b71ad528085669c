//! The agent's way out: TCP to the hub (or through an HTTPS proxy with
//! CONNECT and optional basic auth), TLS with rustls (Mozilla's roots plus
//! an optional CA bundle, an optional client certificate), then the
//! WebSocket handshake carrying the agent's credential. The same path
//! serves the one plain HTTP call the agent makes: enrolment.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use base64::Engine as _;
use bytes::Bytes;
use http_body_util::{BodyExt as _, Full};
use hyper_util::rt::TokioIo;
use reqwest::Url;
use rustls_pki_types::pem::PemObject as _;
use rustls_pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use tokio::io::{AsyncRead, AsyncReadExt as _, AsyncWrite, AsyncWriteExt as _};
use tokio::net::TcpStream;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest as _;

/// A byte stream to the hub (TCP or TLS over TCP).
pub trait Io: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Io for T {}

/// A boxed stream to the hub.
pub type BoxIo = Box<dyn Io>;

/// How to reach the hub.
#[derive(Debug, Clone)]
pub struct DialSettings {
    /// `wss://vigil.example/transporter` (`ws://` only on loopback, unless
    /// [`DialSettings::insecure_hub`]).
    pub hub: String,
    /// Allow `ws://` (no TLS: the credential, the enrolment token and every
    /// GitLab call in clear text) to a hub that is not on loopback.
    pub insecure_hub: bool,
    /// More trusted CAs (PEM), beside Mozilla's roots.
    pub ca_file: Option<PathBuf>,
    /// `http://[user:password@]proxy:port`: reach the hub through it with CONNECT.
    pub proxy: Option<String>,
    /// A client certificate and its key (PEM), when the hub's TLS front asks for one.
    pub client_cert: Option<(PathBuf, PathBuf)>,
    /// Longest wait for TCP, proxy, TLS and WebSocket handshakes together.
    pub connect_timeout: Duration,
}

/// Why the hub could not be reached.
#[derive(Debug, thiserror::Error)]
pub enum DialError {
    /// The hub or proxy URL is unusable.
    #[error("{0}")]
    BadUrl(String),
    /// A file (CA bundle, certificate, key) could not be read.
    #[error("{what}: {reason}")]
    File {
        /// Which file.
        what: String,
        /// Why.
        reason: String,
    },
    /// TCP, proxy, TLS or WebSocket failed.
    #[error("cannot reach the hub at {hub}: {reason}")]
    Connect {
        /// The hub's host and port.
        hub: String,
        /// What went wrong.
        reason: String,
    },
    /// The hub answered with an error (wrong or revoked credential, …).
    #[error("the hub refused: HTTP {status}: {message}")]
    Refused {
        /// HTTP status.
        status: u16,
        /// The hub's message.
        message: String,
    },
    /// Everything took longer than the connect timeout.
    #[error("no connection to the hub within {0} s")]
    Timeout(u64),
}

impl DialError {
    /// Whether the hub refused the credential itself (HTTP 401 or 403 to
    /// the WebSocket upgrade): an unknown or revoked credential cannot
    /// heal, so the agent stops; network errors and 5xx are retried.
    pub fn is_refusal(&self) -> bool {
        matches!(self, DialError::Refused { status: 401 | 403, .. })
    }
}

struct Target {
    tls: bool,
    host: String,
    port: u16,
}

fn target(url: &Url) -> Result<Target, DialError> {
    let tls = match url.scheme() {
        "wss" | "https" => true,
        "ws" | "http" => false,
        other => {
            return Err(DialError::BadUrl(format!(
                "hub URL `{url}`: scheme `{other}` is not wss:// (or ws:// for tests)"
            )));
        }
    };
    let host = url
        .host_str()
        .ok_or_else(|| DialError::BadUrl(format!("hub URL `{url}` has no host")))?
        .trim_start_matches('[')
        .trim_end_matches(']')
        .to_owned();
    let port = url.port().unwrap_or(if tls { 443 } else { 80 });
    Ok(Target { tls, host, port })
}

/// Checks the hub URL before anything is dialled: a `wss://` URL with a
/// host, or `ws://` to loopback (anywhere else only with
/// [`DialSettings::insecure_hub`]: the credential would cross the network
/// in clear text).
pub fn check_hub(settings: &DialSettings) -> Result<(), DialError> {
    let url = parse_url(&settings.hub, "hub URL")?;
    let target = target(&url)?;
    if !target.tls && !settings.insecure_hub && !is_loopback(&target.host) {
        return Err(DialError::BadUrl(format!(
            "hub URL `{url}`: ws:// would send the credential and every GitLab call unencrypted \
             to {}; use wss://, or allow it explicitly with --insecure-hub",
            target.host
        )));
    }
    Ok(())
}

/// `localhost` or a loopback address (127.0.0.0/8, ::1).
fn is_loopback(host: &str) -> bool {
    host.eq_ignore_ascii_case("localhost")
        || host.parse::<std::net::IpAddr>().is_ok_and(|address| address.is_loopback())
}

fn parse_url(text: &str, what: &str) -> Result<Url, DialError> {
    Url::parse(text).map_err(|error| DialError::BadUrl(format!("{what} `{text}`: {error}")))
}

/// The rustls settings of the agent's connections.
pub fn tls_config(settings: &DialSettings) -> Result<Arc<rustls::ClientConfig>, DialError> {
    let file_error = |what: String| {
        move |error: rustls_pki_types::pem::Error| DialError::File {
            what: what.clone(),
            reason: error.to_string(),
        }
    };
    let mut roots = rustls::RootCertStore::empty();
    roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    if let Some(path) = &settings.ca_file {
        let what = format!("CA file {}", path.display());
        let mut added = 0;
        for cert in CertificateDer::pem_file_iter(path).map_err(file_error(what.clone()))? {
            let cert = cert.map_err(file_error(what.clone()))?;
            roots.add(cert).map_err(|error| DialError::File {
                what: what.clone(),
                reason: error.to_string(),
            })?;
            added += 1;
        }
        if added == 0 {
            return Err(DialError::File { what, reason: "no certificate in it".into() });
        }
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|error| DialError::BadUrl(error.to_string()))?
        .with_root_certificates(roots);
    let config = match &settings.client_cert {
        None => builder.with_no_client_auth(),
        Some((cert, key)) => {
            let what = format!("client certificate {}", cert.display());
            let certs = CertificateDer::pem_file_iter(cert)
                .map_err(file_error(what.clone()))?
                .collect::<Result<Vec<_>, _>>()
                .map_err(file_error(what.clone()))?;
            let key = PrivateKeyDer::from_pem_file(key)
                .map_err(file_error(format!("client key {}", key.display())))?;
            builder
                .with_client_auth_cert(certs, key)
                .map_err(|error| DialError::File { what, reason: error.to_string() })?
        }
    };
    Ok(Arc::new(config))
}

/// TCP (through the proxy when set) and TLS to the host of `url`.
async fn stream_to(
    url: &Url,
    settings: &DialSettings,
    tls: &Arc<rustls::ClientConfig>,
) -> Result<BoxIo, DialError> {
    let target = target(url)?;
    let hub = format!("{}:{}", target.host, target.port);
    let connect_error = |reason: String| DialError::Connect { hub: hub.clone(), reason };
    let tcp = match &settings.proxy {
        None => TcpStream::connect((target.host.as_str(), target.port))
            .await
            .map_err(|error| connect_error(error.to_string()))?,
        Some(proxy) => {
            let proxy = parse_url(proxy, "proxy URL")?;
            let proxy_host = proxy.host_str().unwrap_or_default().to_owned();
            let proxy_port = proxy.port_or_known_default().unwrap_or(3128);
            let mut tcp =
                TcpStream::connect((proxy_host.as_str(), proxy_port)).await.map_err(|error| {
                    connect_error(format!("proxy {proxy_host}:{proxy_port}: {error}"))
                })?;
            connect_through(&mut tcp, &proxy, &hub).await.map_err(connect_error)?;
            tcp
        }
    };
    tcp.set_nodelay(true).map_err(|error| connect_error(error.to_string()))?;
    if !target.tls {
        return Ok(Box::new(tcp));
    }
    let name = ServerName::try_from(target.host.clone())
        .map_err(|error| DialError::BadUrl(format!("hub host `{}`: {error}", target.host)))?;
    let connector = tokio_rustls::TlsConnector::from(tls.clone());
    let stream = connector
        .connect(name, tcp)
        .await
        .map_err(|error| connect_error(format!("TLS: {error}")))?;
    Ok(Box::new(stream))
}

/// `CONNECT host:port` through an HTTP proxy; only a 2xx answer goes on.
async fn connect_through(tcp: &mut TcpStream, proxy: &Url, hub: &str) -> Result<(), String> {
    let mut request = format!("CONNECT {hub} HTTP/1.1\r\nHost: {hub}\r\n");
    if !proxy.username().is_empty() {
        let credentials = format!("{}:{}", proxy.username(), proxy.password().unwrap_or_default());
        let encoded = base64::engine::general_purpose::STANDARD.encode(credentials);
        request.push_str(&format!("Proxy-Authorization: Basic {encoded}\r\n"));
    }
    request.push_str("\r\n");
    tcp.write_all(request.as_bytes()).await.map_err(|error| format!("proxy: {error}"))?;
    let mut head = Vec::with_capacity(256);
    let mut byte = [0_u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        if head.len() > 8192 {
            return Err("proxy: its answer to CONNECT is over 8 KiB".into());
        }
        let n = tcp.read(&mut byte).await.map_err(|error| format!("proxy: {error}"))?;
        if n == 0 {
            return Err("proxy: closed the connection during CONNECT".into());
        }
        head.push(byte[0]);
    }
    let head = String::from_utf8_lossy(&head);
    let status_line = head.lines().next().unwrap_or_default();
    let status = status_line.split_whitespace().nth(1).unwrap_or_default();
    if status.starts_with('2') {
        Ok(())
    } else {
        Err(format!("proxy refused CONNECT {hub}: {status_line}"))
    }
}

/// Opens the tunnel's WebSocket, authenticated with `credential`, with the
/// agent's description in `headers`.
pub async fn websocket(
    settings: &DialSettings,
    tls: &Arc<rustls::ClientConfig>,
    credential: &str,
    headers: &[(&'static str, String)],
) -> Result<WebSocketStream<BoxIo>, DialError> {
    check_hub(settings)?;
    let url = parse_url(&settings.hub, "hub URL")?;
    let work = async {
        let stream = stream_to(&url, settings, tls).await?;
        let mut request = url
            .as_str()
            .into_client_request()
            .map_err(|error| DialError::BadUrl(format!("hub URL `{url}`: {error}")))?;
        let bad_header =
            |error: http::header::InvalidHeaderValue| DialError::BadUrl(error.to_string());
        request.headers_mut().insert(
            http::header::AUTHORIZATION,
            format!("Bearer {credential}").parse().map_err(bad_header)?,
        );
        for (name, value) in headers {
            request.headers_mut().insert(*name, value.parse().map_err(bad_header)?);
        }
        match tokio_tungstenite::client_async_with_config(
            request,
            stream,
            Some(crate::websocket_config()),
        )
        .await
        {
            Ok((ws, _)) => Ok(ws),
            Err(tokio_tungstenite::tungstenite::Error::Http(response)) => Err(DialError::Refused {
                status: response.status().as_u16(),
                message: message_of(response.body().as_deref().unwrap_or_default()),
            }),
            Err(error) => Err(DialError::Connect {
                hub: url.host_str().unwrap_or_default().to_owned(),
                reason: format!("WebSocket: {error}"),
            }),
        }
    };
    tokio::time::timeout(settings.connect_timeout, work)
        .await
        .map_err(|_| DialError::Timeout(settings.connect_timeout.as_secs()))?
}

/// The `message` of a JSON error body, or the body's first 200 characters.
fn message_of(body: &[u8]) -> String {
    serde_json::from_slice::<serde_json::Value>(body)
        .ok()
        .and_then(|value| value.get("message").and_then(|m| m.as_str()).map(str::to_owned))
        .unwrap_or_else(|| String::from_utf8_lossy(body).chars().take(200).collect())
}

/// The credential an enrolment token is traded for.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct Enrolled {
    /// The transporter this agent serves.
    pub transporter_id: i64,
    /// The long-lived credential (store it like a password).
    pub credential: String,
}

/// Trades a one-time enrolment token for the agent's credential at the
/// hub's enrolment endpoint (the hub URL with `https` and [`crate::ENROL_PATH`]).
pub async fn enrol(settings: &DialSettings, token: &str) -> Result<Enrolled, DialError> {
    check_hub(settings)?;
    let tls = tls_config(settings)?;
    let mut url = parse_url(&settings.hub, "hub URL")?;
    let scheme = if url.scheme() == "wss" { "https" } else { "http" };
    url.set_scheme(scheme).map_err(|()| DialError::BadUrl("hub URL: bad scheme".into()))?;
    url.set_path(crate::ENROL_PATH);
    let host = match url.port() {
        Some(port) => format!("{}:{port}", url.host_str().unwrap_or_default()),
        None => url.host_str().unwrap_or_default().to_owned(),
    };
    let hub = host.clone();
    let connect_error = |reason: String| DialError::Connect { hub: hub.clone(), reason };
    let work = async {
        let stream = stream_to(&url, settings, &tls).await?;
        let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
            .await
            .map_err(|error| connect_error(error.to_string()))?;
        tokio::spawn(connection);
        let body = serde_json::json!({ "enrolment_token": token }).to_string();
        let request = http::Request::post(crate::ENROL_PATH)
            .header(http::header::HOST, &host)
            .header(http::header::CONTENT_TYPE, "application/json")
            .body(Full::new(Bytes::from(body)))
            .map_err(|error| DialError::BadUrl(error.to_string()))?;
        let response =
            sender.send_request(request).await.map_err(|error| connect_error(error.to_string()))?;
        let status = response.status();
        let body = response
            .into_body()
            .collect()
            .await
            .map_err(|error| connect_error(error.to_string()))?
            .to_bytes();
        if !status.is_success() {
            return Err(DialError::Refused { status: status.as_u16(), message: message_of(&body) });
        }
        serde_json::from_slice::<Enrolled>(&body).map_err(|error| {
            connect_error(format!("the hub's enrolment answer is not understood: {error}"))
        })
    };
    tokio::time::timeout(settings.connect_timeout, work)
        .await
        .map_err(|_| DialError::Timeout(settings.connect_timeout.as_secs()))?
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(hub: &str, insecure_hub: bool) -> DialSettings {
        DialSettings {
            hub: hub.to_owned(),
            insecure_hub,
            ca_file: None,
            proxy: None,
            client_cert: None,
            connect_timeout: Duration::from_secs(1),
        }
    }

    #[test]
    fn ws_is_refused_off_loopback_unless_allowed_explicitly() {
        for hub in [
            "wss://vigil.example/transporter",
            "ws://localhost:8080/transporter",
            "ws://127.0.0.1:8080/transporter",
            "ws://127.1.2.3/transporter",
            "ws://[::1]:8080/transporter",
        ] {
            assert!(check_hub(&settings(hub, false)).is_ok(), "{hub}");
        }
        for hub in
            ["ws://vigil.example/transporter", "ws://10.0.0.5/transporter", "ws://[fd00::1]/t"]
        {
            let error = check_hub(&settings(hub, false)).unwrap_err();
            assert!(error.to_string().contains("--insecure-hub"), "{error}");
            assert!(check_hub(&settings(hub, true)).is_ok(), "{hub}");
        }
        assert!(check_hub(&settings("ftp://vigil.example/transporter", true)).is_err());
    }

    #[tokio::test]
    async fn enrolment_over_ws_off_loopback_is_refused_before_anything_is_sent() {
        let error =
            enrol(&settings("ws://vigil.example/transporter", false), "vgle_x").await.unwrap_err();
        assert!(matches!(error, DialError::BadUrl(_)), "{error:?}");
    }
}
