//! TLS and proxies: a hub behind TLS with a private CA (trusted through
//! `--ca-file`, refused without it), one that wants a client certificate,
//! an HTTPS proxy with CONNECT and basic auth, the webhook listener over
//! TLS and its certificate check, and a caller that gives up.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use futures::StreamExt as _;
use rcgen::{BasicConstraints, CertificateParams, IsCa, Issuer, KeyPair};
use rustls_pki_types::pem::PemObject as _;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

use super::*;

/// A private CA and a certificate it signed for localhost (valid until
/// 2030-01-01), as PEM files.
struct Pki {
    _dir: tempfile::TempDir,
    ca: PathBuf,
    cert: PathBuf,
    key: PathBuf,
    client_cert: PathBuf,
    client_key: PathBuf,
}

fn pki() -> Pki {
    let dir = tempfile::tempdir().unwrap();
    let ca_key = KeyPair::generate().unwrap();
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let ca_cert = ca_params.self_signed(&ca_key).unwrap();
    let issuer = Issuer::new(ca_params, ca_key);
    let key = KeyPair::generate().unwrap();
    let mut params = CertificateParams::new(vec!["localhost".to_owned()]).unwrap();
    params.not_after = rcgen::date_time_ymd(2030, 1, 1);
    let cert = params.signed_by(&key, &issuer).unwrap();
    let client_key = KeyPair::generate().unwrap();
    let client_cert = CertificateParams::new(vec!["agent".to_owned()])
        .unwrap()
        .signed_by(&client_key, &issuer)
        .unwrap();
    let write = |name: &str, text: String| {
        let path = dir.path().join(name);
        std::fs::write(&path, text).unwrap();
        path
    };
    Pki {
        ca: write("ca.pem", ca_cert.pem()),
        cert: write("cert.pem", cert.pem()),
        key: write("key.pem", key.serialize_pem()),
        client_cert: write("client.pem", client_cert.pem()),
        client_key: write("client-key.pem", client_key.serialize_pem()),
        _dir: dir,
    }
}

fn acceptor(pki: &Pki, want_client_cert: bool) -> tokio_rustls::TlsAcceptor {
    let certs = rustls_pki_types::CertificateDer::pem_file_iter(&pki.cert)
        .unwrap()
        .collect::<Result<Vec<_>, _>>()
        .unwrap();
    let key = rustls_pki_types::PrivateKeyDer::from_pem_file(&pki.key).unwrap();
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = rustls::ServerConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .unwrap();
    let config = if want_client_cert {
        let mut roots = rustls::RootCertStore::empty();
        roots.add(rustls_pki_types::CertificateDer::from_pem_file(&pki.ca).unwrap()).unwrap();
        let verifier =
            rustls::server::WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider)
                .build()
                .unwrap();
        builder.with_client_cert_verifier(verifier).with_single_cert(certs, key).unwrap()
    } else {
        builder.with_no_client_auth().with_single_cert(certs, key).unwrap()
    };
    tokio_rustls::TlsAcceptor::from(Arc::new(config))
}

#[tokio::test]
async fn a_tls_hub_is_reached_with_the_ca_file_and_refused_without_it() {
    let pki = pki();
    let (origin, _o) = origin().await;
    let hub = TestHub::start_tls(quick(), acceptor(&pki, false)).await;
    assert!(hub.url.starts_with("wss://localhost:"));

    let untrusted = dial(&hub.url);
    let tls = vigil_transporter::dial::tls_config(&untrusted).unwrap();
    let error =
        vigil_transporter::dial::websocket(&untrusted, &tls, CREDENTIAL, &[]).await.err().unwrap();
    let message = error.to_string();
    assert!(message.starts_with("cannot reach the hub at localhost:"), "{message}");
    assert!(message.contains("TLS") && message.contains("UnknownIssuer"), "{message}");

    let mut settings = agent_settings(&hub.url, &origin);
    settings.dial.ca_file = Some(pki.ca.clone());
    let _agent = start_agent(settings);
    hub.wait_for_agents(1).await;
    let version = client().get(format!("{}/api/v4/version", hub.forward)).send().await.unwrap();
    assert_eq!(version.status(), 200);
}

#[tokio::test]
async fn a_hub_that_wants_a_client_certificate_gets_one() {
    let pki = pki();
    let (origin, _o) = origin().await;
    let hub = TestHub::start_tls(quick(), acceptor(&pki, true)).await;
    let mut without = dial(&hub.url);
    without.ca_file = Some(pki.ca.clone());
    let tls = vigil_transporter::dial::tls_config(&without).unwrap();
    assert!(vigil_transporter::dial::websocket(&without, &tls, CREDENTIAL, &[]).await.is_err());

    let mut settings = agent_settings(&hub.url, &origin);
    settings.dial.ca_file = Some(pki.ca.clone());
    settings.dial.client_cert = Some((pki.client_cert.clone(), pki.client_key.clone()));
    let _agent = start_agent(settings);
    hub.wait_for_agents(1).await;
}

/// A CONNECT proxy on loopback that wants `user:secret`.
async fn proxy() -> SocketAddr {
    let (listener, addr) = listener().await;
    tokio::spawn(async move {
        loop {
            let (mut inbound, _) = listener.accept().await.unwrap();
            tokio::spawn(async move {
                let mut head = Vec::new();
                let mut byte = [0_u8; 1];
                while !head.ends_with(b"\r\n\r\n") {
                    if inbound.read(&mut byte).await.unwrap() == 0 {
                        return;
                    }
                    head.push(byte[0]);
                }
                let head = String::from_utf8(head).unwrap();
                let target = head.split_whitespace().nth(1).unwrap().to_owned();
                // base64("user:secret")
                if !head.contains("Proxy-Authorization: Basic dXNlcjpzZWNyZXQ=\r\n") {
                    let _ = inbound.write_all(b"HTTP/1.1 407 Proxy Authentication Required\r\ncontent-length: 0\r\n\r\n").await;
                    return;
                }
                let mut outbound = tokio::net::TcpStream::connect(target).await.unwrap();
                inbound.write_all(b"HTTP/1.1 200 Connection established\r\n\r\n").await.unwrap();
                let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
            });
        }
    });
    addr
}

#[tokio::test]
async fn the_agent_goes_through_an_https_proxy_with_basic_auth() {
    let pki = pki();
    let (origin, _o) = origin().await;
    let hub = TestHub::start_tls(quick(), acceptor(&pki, false)).await;
    let proxy = proxy().await;

    let mut wrong = dial(&hub.url);
    wrong.ca_file = Some(pki.ca.clone());
    wrong.proxy = Some(format!("http://user:guess@{proxy}"));
    let tls = vigil_transporter::dial::tls_config(&wrong).unwrap();
    let error =
        vigil_transporter::dial::websocket(&wrong, &tls, CREDENTIAL, &[]).await.err().unwrap();
    assert!(error.to_string().contains("proxy refused CONNECT localhost:"), "{error}");
    assert!(error.to_string().ends_with("HTTP/1.1 407 Proxy Authentication Required"), "{error}");

    let mut settings = agent_settings(&hub.url, &origin);
    settings.dial.ca_file = Some(pki.ca.clone());
    settings.dial.proxy = Some(format!("http://user:secret@{proxy}"));
    let _agent = start_agent(settings);
    hub.wait_for_agents(1).await;
    let version = client().get(format!("{}/api/v4/version", hub.forward)).send().await.unwrap();
    assert_eq!(version.status(), 200);
}

#[tokio::test]
async fn the_webhook_listener_speaks_tls_and_checks_its_certificate() {
    let pki = pki();
    let (origin, _o) = origin().await;
    let hub = TestHub::start(quick()).await;
    let listen = free_addr();
    let mut settings = agent_settings(&hub.url, &origin);
    settings.webhook_listen = Some(listen);
    settings.tls = Some((pki.cert.clone(), pki.key.clone()));
    let _agent = start_agent(settings);
    hub.wait_for_agents(1).await;
    assert_eq!(hub.hub.links(1)[0].info.webhook_url, format!("https://{listen}"));
    let ca = reqwest::Certificate::from_pem(&std::fs::read(&pki.ca).unwrap()).unwrap();
    let gitlab = reqwest::Client::builder().add_root_certificate(ca).build().unwrap();
    let response = gitlab
        .post(format!("https://localhost:{}/hooks/gitlab/4", listen.port()))
        .body(std::fs::read("../../../shared/fixtures/gitlab/webhooks/merge_request.json").unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 202);
    assert_eq!(hub.received.lock().unwrap().len(), 1);

    let health = hub.hub.health(1).await;
    let certificate = &health[0].1.as_ref().unwrap()["checks"]["certificate"];
    assert_eq!(certificate["status"], "ok", "{certificate}");

    // 2030-01-01 is 1893456000.
    let check = |now: i64| vigil_transporter::agent::certificate_check(&pki.cert, now);
    assert_eq!(check(1_893_456_000 - 5 * 86_400)["status"], "warning");
    assert_eq!(check(1_893_456_000 - 5 * 86_400)["days_left"], 5);
    assert_eq!(check(1_893_456_000 + 86_400)["status"], "error");
    assert_eq!(
        check(1_893_456_000 + 3 * 86_400)["message"],
        "the webhook listener's certificate expired 3 days ago"
    );
    assert_eq!(
        vigil_transporter::agent::certificate_check(&pki.ca.with_extension("missing"), 0)["status"],
        "error"
    );
}

#[tokio::test]
async fn a_caller_that_gives_up_stops_the_transfer_at_gitlab() {
    let sent = Arc::new(AtomicU64::new(0));
    let counter = sent.clone();
    let (listener, addr) = listener().await;
    let app = Router::new().route(
        "/api/v4/projects/{id}/repository/archive.tar.gz",
        get(move || {
            let counter = counter.clone();
            async move {
                let chunk = Bytes::from(vec![7_u8; 64 * 1024]);
                let stream = futures::stream::repeat_with(move || {
                    counter.fetch_add(chunk.len() as u64, Ordering::Relaxed);
                    Ok::<_, std::io::Error>(chunk.clone())
                })
                .take(16 * 1024); // 1 GiB
                Body::from_stream(stream)
            }
        }),
    );
    tokio::spawn(serve(listener, app));
    let hub = TestHub::start(quick()).await;
    let _agent = start_agent(agent_settings(&hub.url, &format!("http://{addr}")));
    hub.wait_for_agents(1).await;
    let response = client()
        .get(format!("{}/api/v4/projects/1/repository/archive.tar.gz", hub.forward))
        .send()
        .await
        .unwrap();
    let mut stream = response.bytes_stream();
    let mut got = 0;
    while got < (4 << 20) {
        got += stream.next().await.unwrap().unwrap().len();
    }
    drop(stream);
    tokio::time::sleep(Duration::from_millis(500)).await;
    let at_drop = sent.load(Ordering::Relaxed);
    tokio::time::sleep(Duration::from_millis(500)).await;
    let later = sent.load(Ordering::Relaxed);
    assert_eq!(at_drop, later, "GitLab kept sending after the caller left");
    assert!(later < 256 << 20, "{later} bytes sent for a caller that read 4 MiB");
}
