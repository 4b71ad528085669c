//! A GitLab that Vigil cannot reach, through the Transporter, on SQLite and
//! PostgreSQL: real `vigil serve` and `vigil transporter` processes and
//! gitlab-sim over loopback. The instance's base URL does not resolve, so
//! every GitLab call can only have gone through the tunnel; GitLab's
//! webhooks go to the agent's listener and up the tunnel. An admin
//! registers the transporter, the agent enrols with the one-time token,
//! the instance is onboarded and scanned, a push is scanned, the health
//! checks run, a second agent enrols with a token of its own without
//! locking the first out, logs hold no token, and a revoked credential is
//! refused: both agents stop with exit code 2.

use std::os::unix::fs::PermissionsExt as _;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::json;

use crate::gitlab_e2e::{AWS, Browser, admin_and_gitlab, backends, free_port};
use crate::harness::binary;
use crate::server::start_server_with;

struct Agent(Child);

impl Drop for Agent {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_closed_network_gitlab_is_onboarded_scanned_and_checked_through_the_transporter() {
    for test in backends().await {
        let (data, sim, token, project) = admin_and_gitlab(&test).await;
        sim.write_file(project, "config/aws.ini", AWS);
        sim.write_file(project, "src/lib.rs", "pub fn f() {}\n");

        let port = free_port();
        let public = format!("http://127.0.0.1:{port}");
        let listen = format!("127.0.0.1:{port}");
        // On PostgreSQL the jobs run in a separate `vigil worker`, and a
        // second `vigil serve` that no agent connects to answers too: both
        // find the server that holds the tunnel in the database and reach
        // its forward endpoint with the key derived from the master key.
        let separate_worker = test.url.starts_with("postgres");
        let mut args = vec!["--listen", &listen, "--public-url", &public];
        if separate_worker {
            args.push("--no-worker");
        } else {
            args.extend(["--workers", "2"]);
        }
        let (_server, _) = start_server_with(&args, &test.url, data.path());
        let _worker = separate_worker.then(|| {
            crate::server::Process::start(
                &["worker", "--workers", "2", "--public-url", &public, "--poll-ms", "50"],
                &test.url,
                data.path(),
                "worker.log",
            )
        });
        let second_port = free_port();
        let second_listen = format!("127.0.0.1:{second_port}");
        let second_data = tempfile::tempdir().unwrap();
        std::fs::copy(data.path().join("master.key"), second_data.path().join("master.key"))
            .unwrap();
        let _second = separate_worker.then(|| {
            start_server_with(
                &["--listen", &second_listen, "--public-url", &public, "--no-worker"],
                &test.url,
                second_data.path(),
            )
        });
        let browser = Browser::sign_in(&public).await;

        // Register the transporter; the agent enrols with the one-time token.
        let (status, created) = browser
            .call(reqwest::Method::POST, "/api/v1/transporters", Some(json!({"name": "dc1-vm"})))
            .await;
        assert_eq!(status, 201, "{created}");
        let id = created["transporter"]["id"].as_i64().unwrap();
        let enrolment = created["enrolment_token"].as_str().unwrap().to_owned();
        let credentials = data.path().join("transporter.credential");
        let hook_port = free_port();
        let agent_log = data.path().join("agent.log");
        let spawn_agent =
            |enrolment: Option<&str>, credentials: &std::path::Path, listen_port: u16| {
                let mut command = Command::new(binary());
                command.args([
                    "transporter",
                    "--hub",
                    &format!("ws://127.0.0.1:{port}/transporter"),
                    "--gitlab",
                    &sim.base_url(),
                    "--webhook-listen",
                    &format!("127.0.0.1:{listen_port}"),
                    // Both agents announce one webhook URL (in production a
                    // load-balanced address that survives either agent).
                    "--webhook-url",
                    &format!("http://127.0.0.1:{hook_port}"),
                    "--ping-interval",
                    "1",
                ]);
                command.arg("--credentials").arg(credentials);
                if let Some(token) = enrolment {
                    command.args(["--enrolment-token", token]);
                }
                let log =
                    std::fs::OpenOptions::new().create(true).append(true).open(&agent_log).unwrap();
                command.env("VIGIL_LOG", "debug").stdout(Stdio::null()).stderr(log);
                Agent(command.spawn().unwrap())
            };
        let mut agent = spawn_agent(Some(&enrolment), &credentials, hook_port);
        let path = format!("/api/v1/transporters/{id}");
        let view = browser
            .wait_for(&path, |view| {
                view["agents"].as_array().is_some_and(|agents| agents.len() == 1)
            })
            .await;
        assert_eq!(view["applets"], json!([{"kind": "transporter", "gitlab_url": sim.base_url()}]));
        assert_eq!(view["agents"][0]["webhook_url"], format!("http://127.0.0.1:{hook_port}"));
        assert_eq!(view["enrolled"], true);
        assert_eq!(view["enrolment_pending"], false);
        let mode = std::fs::metadata(&credentials).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "the credential file must be private");
        let credential = std::fs::read_to_string(&credentials).unwrap().trim().to_owned();
        // The token is single use.
        let reused = reqwest::Client::new()
            .post(format!("{public}/transporter/enrol"))
            .json(&json!({"enrolment_token": enrolment}))
            .send()
            .await
            .unwrap();
        assert_eq!(reused.status(), 401);

        // The health checks ran on connect: connected, all checks passing.
        let view = browser.wait_for(&path, |view| view["health"]["agents"].is_array()).await;
        let checks = &view["health"]["agents"][0]["checks"];
        assert_eq!(checks["internal"]["status"], "ok", "{view}");
        assert_eq!(view["status"], "connected", "{view}");
        // A second agent for high availability enrols with a token of its
        // own; the first agent's credential keeps working.
        let (status, renewed) =
            browser.call(reqwest::Method::POST, &format!("{path}/enrolment"), None).await;
        assert_eq!(status, 200, "{renewed}");
        let second_enrolment = renewed["enrolment_token"].as_str().unwrap().to_owned();
        let second_credentials = data.path().join("transporter-2.credential");
        let mut second_agent =
            spawn_agent(Some(&second_enrolment), &second_credentials, free_port());
        browser
            .wait_for(&path, |view| {
                view["agents"].as_array().is_some_and(|agents| agents.len() == 2)
            })
            .await;
        let second_credential =
            std::fs::read_to_string(&second_credentials).unwrap().trim().to_owned();
        assert_ne!(second_credential, credential);
        // The Web UI shows the same: the Broker page and the wizard's menus.
        let (status, page) = browser.call(reqwest::Method::GET, "/brokers", None).await;
        let page = page.as_str().unwrap().to_owned();
        assert_eq!(status, 200, "{page}");
        for shown in
            ["dc1-vm", "status-connected", "Transporter: ", "internal", "external", "certificate"]
        {
            assert!(page.contains(shown), "the Brokers page lacks {shown}: {page}");
        }
        let menu = format!("/integrations/gitlab/new/applets?transporter={id}");
        let (status, menu) = browser.call(reqwest::Method::GET, &menu, None).await;
        assert_eq!(status, 200);
        assert!(
            menu.as_str()
                .unwrap()
                .contains(r#"<option value="transporter" selected>Transporter: "#),
            "{menu}"
        );

        // An instance whose address Vigil cannot resolve, behind the transporter.
        let (status, instance) = browser
            .call(
                reqwest::Method::POST,
                "/api/v1/instances",
                Some(json!({"name": "closed", "base_url": "http://gitlab.closed.invalid",
                            "access_token": token, "transporter_id": id})),
            )
            .await;
        assert_eq!(status, 201, "{instance}");
        let instance_id = instance["id"].as_i64().unwrap();
        // The domain check goes through the tunnel too.
        let (_, check) = browser
            .call(
                reqwest::Method::POST,
                "/api/v1/instances/check",
                Some(json!({"base_url": "http://gitlab.closed.invalid", "transporter_id": id})),
            )
            .await;
        assert_eq!(check["reachable"], true, "{check}");
        if separate_worker {
            // Through the second server, which holds no link of it.
            let second = Browser::sign_in(&format!("http://{second_listen}")).await;
            let (_, check) = second
                .call(
                    reqwest::Method::POST,
                    "/api/v1/instances/check",
                    Some(json!({"base_url": "http://gitlab.closed.invalid", "transporter_id": id})),
                )
                .await;
            assert_eq!(check["reachable"], true, "through the second server: {check}");
        }

        let (status, body) = browser
            .call(
                reqwest::Method::PUT,
                &format!("/api/v1/instances/{instance_id}/selection"),
                Some(json!({"mode": "all"})),
            )
            .await;
        assert_eq!(status, 202, "{body}");
        let instance_path = format!("/api/v1/instances/{instance_id}");
        let instance = browser.wait_for(&instance_path, |i| i["status"] != "pending").await;
        assert_eq!(instance["status"], "connected", "{instance}");
        // GitLab's hook points at the agent's listener.
        let hook_url = sim.state().projects[&project].hooks[0].url.clone();
        assert_eq!(hook_url, format!("http://127.0.0.1:{hook_port}/hooks/gitlab/{instance_id}"));
        // The onboarding scan downloaded the archive through the tunnel.
        browser
            .wait_for("/api/v1/issues?status=open", |page| {
                page["items"].as_array().is_some_and(|items| items.len() >= 2)
            })
            .await;

        // A push: GitLab → agent → tunnel → intake → scan of the pushed file.
        sim.commit(
            project,
            "main",
            &[("deploy/.env", Some(b"GITLAB_TOKEN=glpat-Vq3xTz8kLm2NpR7sWd4Y\n".as_slice()))],
            "deploy",
        )
        .unwrap();
        browser
            .wait_for("/api/v1/issues?status=open", |page| {
                page["items"]
                    .as_array()
                    .is_some_and(|items| items.iter().any(|issue| issue["path"] == "deploy/.env"))
            })
            .await;
        let deliveries = sim.state().deliveries.clone();
        assert!(!deliveries.is_empty());

        // Revoked: the agent is disconnected and refused from then on.
        let (status, revoked) =
            browser.call(reqwest::Method::POST, &format!("{path}/revoke"), None).await;
        assert_eq!(status, 200, "{revoked}");
        assert_eq!(revoked["status"], "revoked");
        let view = browser
            .wait_for(&path, |view| view["agents"].as_array().is_some_and(Vec::is_empty))
            .await;
        assert_eq!(view["enrolled"], false);
        // A refused credential cannot heal: both agents stop with exit code 2.
        for agent in [&mut agent, &mut second_agent] {
            let mut exited = None;
            for _ in 0..200 {
                exited = agent.0.try_wait().unwrap();
                if exited.is_some() {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            assert_eq!(exited.and_then(|status| status.code()), Some(2), "agent still running");
        }
        drop((agent, second_agent));

        // No token, credential or Authorization value in either log.
        let agent_text = std::fs::read_to_string(&agent_log).unwrap();
        assert!(
            agent_text.contains("the hub refused this agent's credential (HTTP 401"),
            "{agent_text}"
        );
        assert!(agent_text.contains("--enrolment-token"), "{agent_text}");
        assert!(agent_text.contains("path=/api/v4/projects"), "the debug log names the calls");
        let mut server_text = std::fs::read_to_string(data.path().join("serve.log")).unwrap();
        server_text += &std::fs::read_to_string(data.path().join("worker.log")).unwrap_or_default();
        for secret in [
            token.as_str(),
            credential.as_str(),
            enrolment.as_str(),
            second_credential.as_str(),
            second_enrolment.as_str(),
        ] {
            assert!(!agent_text.contains(secret), "the agent logged a secret");
            assert!(!server_text.contains(secret), "the server logged a secret");
        }
        let _ = sim;
    }
}
