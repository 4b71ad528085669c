//! What passes through the tunnel and what does not.

use std::time::Duration;

use super::*;

#[tokio::test]
async fn api_calls_pass_with_their_headers_and_answers_stream_back() {
    let (origin, _o) = origin().await;
    let hub = TestHub::start(quick()).await;
    let _agent = start_agent(agent_settings(&hub.url, &origin));
    hub.wait_for_agents(1).await;
    let links = hub.hub.links(1);
    assert_eq!(links[0].info.gitlab_url, origin);
    assert_eq!(links[0].info.version, env!("CARGO_PKG_VERSION"));

    let client = client();
    let direct: serde_json::Value =
        reqwest::get(format!("{origin}/api/v4/version")).await.unwrap().json().await.unwrap();
    let tunnelled = client.get(format!("{}/api/v4/version", hub.forward)).send().await.unwrap();
    assert_eq!(tunnelled.status(), 200);
    assert_eq!(tunnelled.json::<serde_json::Value>().await.unwrap(), direct);

    // The caller's Authorization reaches GitLab; the forward key does not.
    let project: serde_json::Value = client
        .get(format!("{}/api/v4/projects/7?simple=true", hub.forward))
        .bearer_auth("glpat-token")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(project["id"], 7);
    assert_eq!(project["authorization"], "Bearer glpat-token");

    // A 48 MiB archive streams through intact.
    let archive = client
        .get(format!(
            "{}/api/v4/projects/9/repository/archive.tar.gz?bytes={}",
            hub.forward,
            48 << 20
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(archive.status(), 200);
    assert_eq!(archive.headers()["content-length"], (48_u64 << 20).to_string().as_str());
    assert_eq!(body_len(archive).await, 48 << 20);

    // A 12 MiB POST body goes up and comes back (no 10 MB cap).
    let note = client
        .post(format!("{}/api/v4/projects/7/merge_requests/1/notes", hub.forward))
        .body("x".repeat(12 << 20))
        .send()
        .await
        .unwrap();
    assert_eq!(note.status(), 201);
    assert_eq!(note.bytes().await.unwrap().len(), 12 << 20);
}

#[tokio::test]
async fn many_concurrent_requests_share_one_tunnel_and_a_big_download_does_not_stall_them() {
    let (origin, _o) = origin().await;
    let hub = TestHub::start(quick()).await;
    let _agent = start_agent(agent_settings(&hub.url, &origin));
    hub.wait_for_agents(1).await;
    let client = client();
    let big = {
        let client = client.clone();
        let url = format!(
            "{}/api/v4/projects/3/repository/archive.tar.gz?bytes={}",
            hub.forward,
            256 << 20
        );
        tokio::spawn(async move {
            let response = client.get(url).send().await.unwrap();
            body_len(response).await
        })
    };
    let mut small = tokio::task::JoinSet::new();
    for id in 0..300_u64 {
        let client = client.clone();
        let url = format!("{}/api/v4/projects/{id}", hub.forward);
        small.spawn(async move {
            let response = client.get(url).send().await.unwrap();
            assert_eq!(response.status(), 200);
            let body: serde_json::Value = response.json().await.unwrap();
            assert_eq!(body["id"], id);
        });
    }
    let started = std::time::Instant::now();
    while let Some(result) = small.join_next().await {
        result.unwrap();
    }
    // All 300 answered while the archive was still streaming (flow control
    // per stream: the download does not hold the small calls back).
    assert!(!big.is_finished() || started.elapsed() < Duration::from_secs(30));
    assert_eq!(big.await.unwrap(), 256 << 20);
}

#[tokio::test]
async fn the_agent_refuses_what_is_not_on_the_allowlist_and_redirects_to_other_hosts() {
    let (origin, _o) = origin().await;
    let hub = TestHub::start(quick()).await;
    let _agent = start_agent(agent_settings(&hub.url, &origin));
    hub.wait_for_agents(1).await;
    let client = client();

    let refused = client.delete(format!("{}/api/v4/projects/7", hub.forward)).send().await.unwrap();
    assert_eq!(refused.status(), 403);
    let body: serde_json::Value = refused.json().await.unwrap();
    assert_eq!(body["error"], "refused_by_transporter");
    assert_eq!(body["message"], "DELETE /api/v4/projects/7 is not on the Transporter's allowlist");

    let admin =
        client.get(format!("{}/admin/application_settings", hub.forward)).send().await.unwrap();
    assert_eq!(admin.status(), 403);
    let climbing = client
        .get(format!("{}/api/v4/projects/7/..%2F..%2Fadmin", hub.forward))
        .send()
        .await
        .unwrap();
    assert_eq!(climbing.status(), 403);

    let away = client.get(format!("{}/api/v4/projects/301", hub.forward)).send().await.unwrap();
    assert_eq!(away.status(), 502);
    let body: serde_json::Value = away.json().await.unwrap();
    assert_eq!(body["error"], "redirect_refused");
    assert!(body["message"].as_str().unwrap().contains("elsewhere.example"), "{body}");

    // A redirect within GitLab is passed back, not followed.
    let within = client.get(format!("{}/api/v4/projects/302", hub.forward)).send().await.unwrap();
    assert_eq!(within.status(), 302);
    assert_eq!(within.headers()["location"], "/api/v4/projects/1");
}

/// Sends `request_line` to the forward endpoint as raw bytes (reqwest
/// would normalise the path itself; a compromised server need not).
async fn raw_forward(hub: &TestHub, method: &str, path: &str) -> String {
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    let (addr, prefix) = hub.forward.strip_prefix("http://").unwrap().split_once('/').unwrap();
    let mut tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
    let request = format!(
        "{method} /{prefix}{path} HTTP/1.1\r\nhost: vigil\r\n{}: {FORWARD_KEY}\r\n\
         content-type: application/json\r\ncontent-length: 2\r\nconnection: close\r\n\r\n{{}}",
        vigil_transporter::hub::FORWARD_KEY_HEADER
    );
    tcp.write_all(request.as_bytes()).await.unwrap();
    let mut answer = String::new();
    tcp.read_to_string(&mut answer).await.unwrap();
    answer
}

#[tokio::test]
async fn encoded_dot_segments_do_not_climb_to_other_gitlab_apis() {
    let (origin, _o) = origin().await;
    let hub = TestHub::start(quick()).await;
    let _agent = start_agent(agent_settings(&hub.url, &origin));
    hub.wait_for_agents(1).await;
    for path in [
        "/api/v4/projects/.%2e/hooks/1",
        "/api/v4/projects/%2E%2e/hooks/1",
        "/api/v4/projects/%2e./hooks/1",
        "/api/v4/projects/42/%2e%2e/%2e%2e/hooks/1",
    ] {
        let answer = raw_forward(&hub, "PUT", path).await;
        assert!(answer.starts_with("HTTP/1.1 403"), "PUT {path}: {answer}");
        assert!(answer.contains("refused_by_transporter"), "PUT {path}: {answer}");
        assert!(!answer.contains("system hook changed"), "PUT {path}: {answer}");
    }
    // The same route spelled plainly still works.
    let answer = raw_forward(&hub, "PUT", "/api/v4/projects/42/hooks/7").await;
    assert!(!answer.contains("refused_by_transporter"), "{answer}");
}

#[tokio::test]
async fn the_forward_endpoint_wants_its_key_and_names_a_missing_agent() {
    let hub =
        TestHub::start(HubSettings { connect_wait: Duration::from_millis(300), ..quick() }).await;
    let anonymous = reqwest::get(format!("{}/api/v4/version", hub.forward)).await.unwrap();
    assert_eq!(anonymous.status(), 401);
    let missing = client().get(format!("{}/api/v4/version", hub.forward)).send().await.unwrap();
    assert_eq!(missing.status(), 503);
    let body: serde_json::Value = missing.json().await.unwrap();
    assert_eq!(body["message"], "transporter 1 has no agent connected (waited 0 s)");
}

#[tokio::test]
async fn webhooks_posted_to_the_agent_reach_the_hubs_intake() {
    let (origin, _o) = origin().await;
    let hub = TestHub::start(quick()).await;
    let listen = free_addr();
    let _agent = start_agent(AgentSettings {
        webhook_listen: Some(listen),
        ..agent_settings(&hub.url, &origin)
    });
    hub.wait_for_agents(1).await;
    // GitLab's published push payload.
    let payload = std::fs::read("../../../shared/fixtures/gitlab/webhooks/push.json").unwrap();
    let response = reqwest::Client::new()
        .post(format!("http://{listen}/hooks/gitlab/4"))
        .header("x-gitlab-event", "Push Hook")
        .header("x-gitlab-token", "hook-secret")
        .body(payload.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 202);
    let received = hub.received.lock().unwrap().clone();
    assert_eq!(received.len(), 1);
    assert_eq!(received[0].0, "4");
    assert_eq!(received[0].1.as_ref(), payload.as_slice());

    let health: serde_json::Value =
        reqwest::get(format!("http://{listen}/healthz")).await.unwrap().json().await.unwrap();
    assert_eq!(health["hub_connected"], true);

    // Only hooks are forwarded.
    let other = reqwest::Client::new()
        .post(format!("http://{listen}/api/v1/session"))
        .send()
        .await
        .unwrap();
    assert_eq!(other.status(), 404);
}

#[tokio::test]
async fn the_hub_runs_the_agents_health_checks() {
    let (origin, _o) = origin().await;
    let hub = TestHub::start(quick()).await;
    let _agent = start_agent(agent_settings(&hub.url, &origin));
    hub.wait_for_agents(1).await;
    tokio::time::sleep(Duration::from_millis(700)).await; // one ping answered
    let results = hub.hub.health(1).await;
    assert_eq!(results.len(), 1);
    let health = results[0].1.as_ref().unwrap();
    assert_eq!(health["status"], "ok", "{health}");
    assert!(
        health["checks"]["internal"]["message"]
            .as_str()
            .unwrap()
            .starts_with("GitLab answered HTTP 200")
    );
    assert_eq!(health["checks"]["external"]["status"], "ok");

    // GitLab down: the internal check says so.
    let hub2 = TestHub::start(quick()).await;
    let dead = format!("http://{}", free_addr());
    let _agent2 = start_agent(agent_settings(&hub2.url, &dead));
    hub2.wait_for_agents(1).await;
    let results = hub2.hub.health(1).await;
    let health = results[0].1.as_ref().unwrap();
    assert_eq!(health["status"], "error");
    assert!(
        health["checks"]["internal"]["message"]
            .as_str()
            .unwrap()
            .starts_with("cannot reach GitLab"),
        "{health}"
    );
}
