//! Failures: the hub dies mid-transfer or restarts, the TCP connection
//! drops, an agent goes silent, an oversized frame, a wrong credential,
//! one of two agents leaves. Each ends in a clear error or a refusal, the
//! agent reconnects, nothing hangs (every wait here has a deadline).

use std::time::Duration;

use futures::{SinkExt as _, StreamExt as _};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest as _;

use super::*;

const DEADLINE: Duration = Duration::from_secs(20);

async fn within<T>(future: impl std::future::Future<Output = T>) -> T {
    tokio::time::timeout(DEADLINE, future).await.expect("hung past the deadline")
}

#[tokio::test]
async fn a_wrong_credential_is_refused_with_the_hubs_reason() {
    let hub = TestHub::start(quick()).await;
    let settings = dial(&hub.url);
    let tls = vigil_transporter::dial::tls_config(&settings).unwrap();
    let error =
        vigil_transporter::dial::websocket(&settings, &tls, "vgtc_wrong", &[]).await.err().unwrap();
    assert!(error.is_refusal());
    assert_eq!(
        error.to_string(),
        "the hub refused: HTTP 401: unknown or revoked Transporter credential"
    );
    assert!(hub.hub.links(1).is_empty());
}

#[tokio::test]
async fn an_agent_whose_credential_is_refused_stops_with_the_reason() {
    let (origin, _o) = origin().await;
    let hub = TestHub::start(quick()).await;
    let agent = Agent::new(AgentSettings {
        credential: "vgtc_revoked".to_owned(),
        ..agent_settings(&hub.url, &origin)
    })
    .unwrap();
    // A refusal cannot heal: the agent stops instead of retrying forever.
    let stopped = tokio::time::timeout(Duration::from_secs(10), agent.run(std::future::pending()))
        .await
        .expect("the agent kept retrying a refused credential");
    let error = stopped.unwrap_err();
    assert!(
        matches!(error, vigil_transporter::agent::AgentError::CredentialRefused { .. }),
        "{error:?}"
    );
    assert_eq!(
        error.to_string(),
        "the hub refused this agent's credential (HTTP 401: unknown or revoked Transporter \
         credential); it is unknown or revoked and retrying cannot help: enrol the agent again \
         with a new enrolment token"
    );
}

#[tokio::test]
async fn an_agent_keeps_retrying_through_network_errors_and_5xx() {
    use std::sync::atomic::{AtomicUsize, Ordering};
    let (origin, _o) = origin().await;
    // A hub address nobody listens on: connection refused, retried.
    let nobody = format!("ws://{}{}", free_addr(), vigil_transporter::HUB_PATH);
    let agent = Agent::new(agent_settings(&nobody, &origin)).unwrap();
    let running =
        tokio::time::timeout(Duration::from_secs(2), agent.run(std::future::pending())).await;
    assert!(running.is_err(), "the agent stopped on a network error: {running:?}");
    // A hub front answering 503: retried with backoff, not given up.
    let (listener, addr) = listener().await;
    let tries = Arc::new(AtomicUsize::new(0));
    let counted = tries.clone();
    let front = Router::new().route(
        vigil_transporter::HUB_PATH,
        any(move || {
            let counted = counted.clone();
            async move {
                counted.fetch_add(1, Ordering::SeqCst);
                (StatusCode::SERVICE_UNAVAILABLE, "down for maintenance")
            }
        }),
    );
    let _front = tokio::spawn(serve(listener, front));
    let url = format!("ws://{addr}{}", vigil_transporter::HUB_PATH);
    let agent = Agent::new(agent_settings(&url, &origin)).unwrap();
    let running =
        tokio::time::timeout(Duration::from_secs(3), agent.run(std::future::pending())).await;
    assert!(running.is_err(), "the agent stopped on a 503: {running:?}");
    assert!(tries.load(Ordering::SeqCst) >= 2, "{} tries", tries.load(Ordering::SeqCst));
}

#[tokio::test]
async fn killing_the_hub_mid_transfer_fails_the_download_and_the_agent_reconnects_to_the_new_hub() {
    let (origin, _o) = origin().await;
    let hub = TestHub::start(quick()).await;
    let _agent = start_agent(agent_settings(&hub.url, &origin));
    hub.wait_for_agents(1).await;
    let response = client()
        .get(format!(
            "{}/api/v4/projects/3/repository/archive.tar.gz?bytes={}",
            hub.forward,
            1_u64 << 30
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let mut stream = response.bytes_stream();
    let mut got = 0;
    while got < (8 << 20) {
        got += within(stream.next()).await.unwrap().unwrap().len();
    }
    hub.kill();
    // The body ends in an error, promptly.
    let ended = within(async {
        loop {
            match stream.next().await {
                Some(Ok(_)) => {}
                Some(Err(error)) => break Some(error.to_string()),
                None => break None,
            }
        }
    })
    .await;
    assert!(ended.is_some(), "a cut-off download must not look complete");

    // A new hub on the same address: the agent comes back by itself.
    let listener = tokio::net::TcpListener::bind(hub.addr).await.unwrap();
    let restarted = TestHub::start_on(Hub::new(quick()), listener, hub.addr).await;
    let started = std::time::Instant::now();
    within(restarted.wait_for_agents(1)).await;
    eprintln!("reconnected in {} ms", started.elapsed().as_millis());
    let version =
        client().get(format!("{}/api/v4/version", restarted.forward)).send().await.unwrap();
    assert_eq!(version.status(), 200);
}

#[tokio::test]
async fn an_idempotent_request_in_flight_is_sent_again_after_a_reconnect_and_a_post_is_not() {
    let (origin, _o) = origin().await;
    let hub =
        TestHub::start(HubSettings { connect_wait: Duration::from_secs(10), ..quick() }).await;
    let _agent = start_agent(agent_settings(&hub.url, &origin));
    hub.wait_for_agents(1).await;
    let client = client();
    let slow = {
        let url = format!(
            "{}/api/v4/projects/5/repository/archive.tar.gz?bytes=100&delay_ms=800",
            hub.forward
        );
        let client = client.clone();
        tokio::spawn(async move { client.get(url).send().await.unwrap() })
    };
    tokio::time::sleep(Duration::from_millis(200)).await;
    hub.hub.disconnect(1); // the link drops before GitLab answered
    let response = within(slow).await.unwrap();
    assert_eq!(response.status(), 200, "{:?}", response.text().await);
    assert_eq!(body_len(response).await, 100);

    // A POST that broke under way is reported, not repeated.
    hub.wait_for_agents(1).await;
    let post = {
        let url = format!("{}/api/v4/projects/5/merge_requests/1/notes", hub.forward);
        let client = client.clone();
        // A body that streams slowly keeps the request under way.
        let body = futures::stream::iter(
            (0..50).map(|_| Ok::<_, std::io::Error>(bytes::Bytes::from_static(b"x"))),
        )
        .then(|chunk| async move {
            tokio::time::sleep(Duration::from_millis(20)).await;
            chunk
        });
        tokio::spawn(async move {
            client.post(url).body(reqwest::Body::wrap_stream(body)).send().await.unwrap()
        })
    };
    tokio::time::sleep(Duration::from_millis(300)).await;
    hub.hub.disconnect(1);
    let response = within(post).await.unwrap();
    assert_eq!(response.status(), 502);
    let body: serde_json::Value = response.json().await.unwrap();
    let message = body["message"].as_str().unwrap();
    assert!(
        message.starts_with(
            "transporter 1: the tunnel broke during POST /api/v4/projects/5/merge_requests/1/notes"
        ),
        "{message}"
    );
    assert!(message.contains("not sent again"), "{message}");
}

#[tokio::test]
async fn with_two_agents_requests_keep_working_when_one_leaves() {
    let (origin, _o) = origin().await;
    let hub = TestHub::start(quick()).await;
    let first = start_agent(agent_settings(&hub.url, &origin));
    let _second = start_agent(agent_settings(&hub.url, &origin));
    hub.wait_for_agents(2).await;
    let agents: std::collections::HashSet<String> =
        hub.hub.links(1).into_iter().map(|link| link.info.agent).collect();
    assert_eq!(agents.len(), 2, "each agent has its own id");
    let client = client();
    let mut tasks = tokio::task::JoinSet::new();
    for round in 0..200_u64 {
        if round == 50 {
            first.abort(); // the process of one agent dies
        }
        let client = client.clone();
        let url = format!("{}/api/v4/projects/{round}", hub.forward);
        tasks.spawn(async move { client.get(url).send().await.unwrap().status() });
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let mut failed = 0;
    while let Some(status) = within(tasks.join_next()).await {
        if status.unwrap() != 200 {
            failed += 1;
        }
    }
    assert_eq!(failed, 0, "requests failed while one of two agents left");
    within(async {
        while hub.hub.links(1).len() != 1 {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    })
    .await;
}

/// A raw WebSocket to the test hub, as a broken or hostile agent would open it.
async fn raw_link(hub: &TestHub) -> tokio_tungstenite::WebSocketStream<tokio::net::TcpStream> {
    let tcp = tokio::net::TcpStream::connect(hub.addr).await.unwrap();
    let mut request = hub.url.as_str().into_client_request().unwrap();
    request.headers_mut().insert("authorization", format!("Bearer {CREDENTIAL}").parse().unwrap());
    let (ws, _) = tokio_tungstenite::client_async(request, tcp).await.unwrap();
    hub.wait_for_agents(1).await;
    ws
}

#[tokio::test]
async fn an_oversized_frame_ends_the_link() {
    let hub = TestHub::start(quick()).await;
    let mut ws = raw_link(&hub).await;
    let _ = ws.send(Message::Binary(vec![0_u8; 2 << 20].into())).await;
    within(async {
        while !hub.hub.links(1).is_empty() {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await;
    let reasons = hub.reasons.lock().unwrap().clone();
    assert_eq!(reasons.len(), 1);
    assert!(
        reasons[0].contains("Space limit exceeded") || reasons[0].contains("too long"),
        "{reasons:?}"
    );
}

#[tokio::test]
async fn a_silent_agent_is_dropped_and_requests_then_fail_clearly() {
    let hub = TestHub::start(HubSettings {
        connect_wait: Duration::from_millis(500),
        header_timeout: Duration::from_secs(1),
        ..quick()
    })
    .await;
    let _ws = raw_link(&hub).await; // connected, never pings, never answers
    let response =
        within(client().get(format!("{}/api/v4/version", hub.forward)).send()).await.unwrap();
    assert!(matches!(response.status().as_u16(), 502..=504), "{}", response.status());
    let body: serde_json::Value = response.json().await.unwrap();
    assert!(body["message"].as_str().unwrap().starts_with("transporter 1"), "{body}");
    within(async {
        while !hub.hub.links(1).is_empty() {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    })
    .await;
    assert!(
        hub.reasons.lock().unwrap()[0].starts_with("no ping from the agent for"),
        "{:?}",
        hub.reasons
    );
}

#[tokio::test]
async fn a_dropped_tcp_connection_is_noticed_by_the_agent_which_reconnects() {
    // A TCP relay between agent and hub that we can cut.
    let (origin, _o) = origin().await;
    let hub = TestHub::start(quick()).await;
    let (relay, relay_addr) = listener().await;
    let target = hub.addr;
    let cut = std::sync::Arc::new(tokio::sync::Notify::new());
    let relay_cut = cut.clone();
    tokio::spawn(async move {
        loop {
            let (mut inbound, _) = relay.accept().await.unwrap();
            let cut = relay_cut.clone();
            tokio::spawn(async move {
                let mut outbound = tokio::net::TcpStream::connect(target).await.unwrap();
                tokio::select! {
                    _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound) => {}
                    () = cut.notified() => {} // both sockets dropped
                }
            });
        }
    });
    let _agent = start_agent(agent_settings(&format!("ws://{relay_addr}/transporter"), &origin));
    hub.wait_for_agents(1).await;
    cut.notify_waiters();
    // The hub notices the closed socket, the agent reconnects through the relay.
    within(async {
        loop {
            let reasons = hub.reasons.lock().unwrap().len();
            if reasons >= 1 && hub.hub.links(1).len() == 1 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    })
    .await;
    let version = client().get(format!("{}/api/v4/version", hub.forward)).send().await.unwrap();
    assert_eq!(version.status(), 200);
}
