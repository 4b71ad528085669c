//! Hook deliveries: Push, Merge Request (open, update with oldrev, close,
//! merge) and Note Hooks with GitLab's headers, in order, each answer
//! recorded, no retries, only the newest 20 commits in a push.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::http::{HeaderMap, StatusCode};
use gitlab_sim::{Delivery, MAINTAINER, Simulator};
use serde_json::{Value, json};

use super::{fixture, missing_keys};

/// One path and its new content.
type Change<'a> = (&'a str, Option<&'a [u8]>);

/// What a receiver saw: headers and body of each request, in order.
type Seen = Arc<Mutex<Vec<(HeaderMap, Value)>>>;

/// A hook receiver on a loopback port: `/ok` answers 200, `/fail` 500.
async fn receiver() -> (String, Seen) {
    let seen: Seen = Arc::default();
    let record = |status: StatusCode| {
        let seen = Arc::clone(&seen);
        move |headers: HeaderMap, body: axum::body::Bytes| async move {
            let body = serde_json::from_slice(&body).unwrap_or(Value::Null);
            seen.lock().unwrap().push((headers, body));
            status
        }
    };
    let app = axum::Router::new()
        .route("/ok", axum::routing::post(record(StatusCode::OK)))
        .route("/fail", axum::routing::post(record(StatusCode::INTERNAL_SERVER_ERROR)));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (format!("http://{address}"), seen)
}

struct World {
    sim: Simulator,
    token: String,
    project: u64,
    receiver: String,
    seen: Seen,
}

async fn world() -> World {
    let sim = Simulator::start().await.unwrap();
    let token = sim.add_user("vigil-bot", false);
    let project = sim.add_project("group/app", "main", &[("vigil-bot", MAINTAINER)]);
    sim.write_file(project, "README.md", "# app\n");
    sim.state().allow_local_webhooks = true;
    let (receiver, seen) = receiver().await;
    World { sim, token, project, receiver, seen }
}

/// Installs a hook through the API, as Vigil does.
async fn hook(world: &World, path: &str, events: Value) {
    let mut body = json!({"url": format!("{}{path}", world.receiver), "token": "s3cret"});
    body.as_object_mut().unwrap().extend(events.as_object().unwrap().clone());
    let response = reqwest::Client::new()
        .post(format!("{}/api/v4/projects/{}/hooks", world.sim.base_url(), world.project))
        .bearer_auth(&world.token)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
}

async fn deliveries(sim: &Simulator, count: usize) -> Vec<Delivery> {
    let deliveries = sim.wait_for_deliveries(count, Duration::from_secs(10)).await;
    assert_eq!(deliveries.len(), count, "{:#?}", deliveries);
    deliveries
}

#[tokio::test]
async fn a_merge_request_lifecycle_fires_gitlabs_hooks_in_order() {
    let world = world().await;
    let (sim, project) = (&world.sim, world.project);
    hook(
        &world,
        "/ok",
        json!({"push_events": true, "merge_requests_events": true, "note_events": true}),
    )
    .await;
    let main = sim.branch_head(project, "main").unwrap();
    let first =
        sim.commit(project, "feature", &[("app.py", Some(b"print(1)\n"))], "Add app").unwrap();
    let iid = sim.open_merge_request(project, "feature", "main", "Add app").unwrap();
    let second =
        sim.commit(project, "feature", &[("app.py", Some(b"print(2)\n"))], "Change app").unwrap();
    let response = reqwest::Client::new()
        .post(format!("{}/api/v4/projects/{project}/merge_requests/{iid}/notes", sim.base_url()))
        .bearer_auth(&world.token)
        .json(&json!({"body": "Vigil: no findings"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    sim.close_merge_request(project, iid).unwrap();

    let made = deliveries(sim, 6).await;
    let events: Vec<&str> = made.iter().map(|delivery| delivery.event.as_str()).collect();
    assert_eq!(
        events,
        [
            "Push Hook",
            "Merge Request Hook",
            "Push Hook",
            "Merge Request Hook",
            "Note Hook",
            "Merge Request Hook"
        ]
    );
    assert!(made.iter().all(|delivery| delivery.status == Some(200)));

    let seen = world.seen.lock().unwrap().clone();
    assert_eq!(seen.len(), 6);
    let header = |index: usize, name: &str| {
        seen[index].0.get(name).map(|value| value.to_str().unwrap().to_owned())
    };
    for (index, event) in events.iter().enumerate() {
        assert_eq!(header(index, "x-gitlab-event").as_deref(), Some(*event));
        assert_eq!(header(index, "x-gitlab-token").as_deref(), Some("s3cret"), "verbatim, no HMAC");
        assert_eq!(header(index, "user-agent").as_deref(), Some("GitLab/17.11.2-ee"));
        assert_eq!(header(index, "x-gitlab-instance"), Some(sim.base_url()));
        assert_eq!(header(index, "content-type").as_deref(), Some("application/json"));
        for uuid in ["x-gitlab-event-uuid", "x-gitlab-webhook-uuid", "idempotency-key"] {
            assert_eq!(header(index, uuid).map(|value| value.len()), Some(36), "{uuid}");
        }
    }
    let keys: std::collections::BTreeSet<_> =
        (0..6).map(|index| header(index, "idempotency-key")).collect();
    assert_eq!(keys.len(), 6, "one idempotency key per delivery");

    let push = &seen[0].1;
    assert_eq!(missing_keys(&fixture("webhooks/push.json"), push), Vec::<String>::new());
    assert_eq!(push["before"], "0000000000000000000000000000000000000000", "a new branch");
    assert_eq!(
        (push["after"].as_str(), push["ref"].as_str()),
        (Some(first.as_str()), Some("refs/heads/feature"))
    );
    assert_eq!(
        (push["project_id"].as_u64(), push["total_commits_count"].as_u64()),
        (Some(project), Some(1))
    );
    assert_eq!(push["commits"][0]["added"], json!(["app.py"]));
    assert_eq!(push["project"]["path_with_namespace"], "group/app");

    let opened = &seen[1].1;
    // `changes` names only what changed, so its keys differ per event.
    let missing: Vec<String> = missing_keys(&fixture("webhooks/merge_request.json"), opened)
        .into_iter()
        .filter(|key| !key.starts_with("/changes/"))
        .collect();
    assert_eq!(missing, Vec::<String>::new());
    let attributes = &opened["object_attributes"];
    assert_eq!(
        (attributes["action"].as_str(), attributes["iid"].as_u64()),
        (Some("open"), Some(iid))
    );
    assert_eq!(attributes["last_commit"]["id"], first.as_str());
    assert!(attributes.get("oldrev").is_none(), "oldrev only when code changed");
    assert_eq!(
        (attributes["source_branch"].as_str(), attributes["target_branch"].as_str()),
        (Some("feature"), Some("main"))
    );

    assert_eq!(
        (seen[2].1["before"].as_str(), seen[2].1["after"].as_str()),
        (Some(first.as_str()), Some(second.as_str()))
    );
    let updated = &seen[3].1["object_attributes"];
    assert_eq!(
        (updated["action"].as_str(), updated["oldrev"].as_str()),
        (Some("update"), Some(first.as_str()))
    );
    assert_eq!(updated["last_commit"]["id"], second.as_str());

    let note = &seen[4].1;
    assert_eq!(
        missing_keys(&fixture("webhooks/note_merge_request.json"), note),
        Vec::<String>::new()
    );
    assert_eq!(note["object_attributes"]["note"], "Vigil: no findings");
    assert_eq!(
        note["user"]["username"], "vigil-bot",
        "Vigil's own note comes back: it must ignore it"
    );
    assert_eq!(note["merge_request"]["iid"], iid);

    let closed = &seen[5].1["object_attributes"];
    assert_eq!(
        (closed["action"].as_str(), closed["state"].as_str()),
        (Some("close"), Some("closed"))
    );
    assert_eq!(sim.branch_head(project, "main").unwrap(), main);
}

#[tokio::test]
async fn merging_pushes_the_target_branch_and_fires_merge() {
    let world = world().await;
    let (sim, project) = (&world.sim, world.project);
    sim.commit(project, "feature", &[("app.py", Some(b"print(1)\n"))], "Add app").unwrap();
    let iid = sim.open_merge_request(project, "feature", "main", "Add app").unwrap();
    hook(&world, "/ok", json!({"push_events": true, "merge_requests_events": true})).await;
    let merged = sim.merge_merge_request(project, iid).unwrap();
    let made = deliveries(sim, 2).await;
    assert_eq!(
        (made[0].event.as_str(), made[1].event.as_str()),
        ("Push Hook", "Merge Request Hook")
    );
    assert_eq!(
        (made[0].body["ref"].as_str(), made[0].body["after"].as_str()),
        (Some("refs/heads/main"), Some(merged.as_str()))
    );
    assert_eq!(made[1].body["object_attributes"]["action"], "merge");
    assert_eq!(sim.merge_request(project, iid).unwrap().state, "merged");
    assert_eq!(sim.state().projects[&project].files().unwrap()["app.py"], b"print(1)\n");
}

#[tokio::test]
async fn a_push_lists_only_its_newest_20_commits() {
    let world = world().await;
    let (sim, project) = (&world.sim, world.project);
    hook(&world, "/ok", json!({"push_events": true})).await;
    let contents: Vec<String> = (0..25).map(|n| format!("{n}\n")).collect();
    let changes: Vec<[Change<'_>; 1]> =
        contents.iter().map(|content| [("counter.txt", Some(content.as_bytes()))]).collect();
    let messages: Vec<String> = (0..25).map(|n| format!("Count {n}")).collect();
    let commits: Vec<(gitlab_sim::Changes<'_>, &str)> = changes
        .iter()
        .zip(&messages)
        .map(|(change, message)| (change.as_slice(), message.as_str()))
        .collect();
    let shas = sim.push(project, "main", &commits).unwrap();
    let push = &deliveries(sim, 1).await[0].body;
    assert_eq!(push["total_commits_count"], 25);
    let listed: Vec<&str> = push["commits"]
        .as_array()
        .unwrap()
        .iter()
        .map(|commit| commit["id"].as_str().unwrap())
        .collect();
    let newest: Vec<&str> = shas[5..].iter().map(String::as_str).collect();
    assert_eq!(listed, newest, "the newest 20, oldest first");
    assert_eq!(push["ref_protected"], true);
}

#[tokio::test]
async fn answers_are_recorded_and_failures_are_not_retried() {
    let world = world().await;
    let (sim, project) = (&world.sim, world.project);
    hook(&world, "/fail", json!({"push_events": true})).await;
    hook(&world, "/ok", json!({"push_events": false, "merge_requests_events": true})).await;
    sim.state().projects.get_mut(&project).unwrap().hooks.push(gitlab_sim::Hook {
        id: 999,
        url: "http://127.0.0.1:9/nothing-listens".into(),
        token: None,
        push_events: true,
        merge_requests_events: false,
        note_events: false,
        enable_ssl_verification: true,
    });
    sim.commit(project, "main", &[("a.txt", Some(b"a\n"))], "A").unwrap();
    let made = deliveries(sim, 2).await;
    assert_eq!(made[0].status, Some(500));
    assert_eq!(made[1].status, None, "nobody answered");
    assert!(!made[1].headers.contains_key("X-Gitlab-Token"), "no token configured, none sent");
    // Push-only hooks heard nothing else; failures were not retried.
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(sim.deliveries().len(), 2);
    assert_eq!(world.seen.lock().unwrap().len(), 1);
}
