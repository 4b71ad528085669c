//! Repository calls against the simulator: compare, raw files (404, size
//! cap, encoded paths), commit statuses (a repeated pending status is not
//! an error, bad URLs and unknown commits are) and the commit entity.

use vigil_gitlab::{CommitStatus, GitLabError, StatusState};

use super::merge_requests::{get_json, seed};
use super::{fixture, loose_errors, missing_keys, schema};

#[tokio::test]
async fn compare_lists_the_new_commits_and_their_diff() {
    let seeded = seed().await;
    let (client, project) = (&seeded.client, seeded.project);
    let compare = client.compare(project, "main", "feature").await.unwrap();
    let titles: Vec<&str> = compare.commits.iter().map(|commit| commit.title.as_str()).collect();
    assert_eq!(titles, ["Add config"]);
    assert_eq!(compare.commits[0].id, seeded.sim.branch_head(project, "feature").unwrap());
    assert_eq!(compare.diffs.len(), 3);
    assert!(!compare.compare_timeout);
    let same = client.compare(project, "main", "main").await.unwrap();
    assert!(same.commits.is_empty() && same.diffs.is_empty());
    let error = client.compare(project, "main", "nope").await.unwrap_err();
    assert_eq!(error.status(), Some(404));
    let (_, body) =
        get_json(&seeded, &format!("/projects/{project}/repository/compare?from=main&to=feature"))
            .await;
    assert_eq!(body["compare_same_ref"], false);
    assert_eq!(missing_keys(&fixture("api/repository-compare.json"), &body), Vec::<String>::new());
}

#[tokio::test]
async fn raw_files_are_read_by_ref_and_capped() {
    let seeded = seed().await;
    let (client, project) = (&seeded.client, seeded.project);
    assert_eq!(
        client.raw_file(project, "config/prod.env", "feature", 1024).await.unwrap(),
        b"KEY=1\n"
    );
    let sha = seeded.sim.branch_head(project, "main").unwrap();
    assert_eq!(
        client.raw_file(project, "src/app.py", &sha, 1024).await.unwrap(),
        b"a\nb\nc\nd\ne\n"
    );
    let error = client.raw_file(project, "config/prod.env", "main", 1024).await.unwrap_err();
    assert_eq!(
        error.to_string(),
        format!(
            "GET /api/v4/projects/{project}/repository/files/config%2Fprod.env/raw: GitLab answered 404: 404 File Not Found"
        )
    );
    let error = client.raw_file(project, "src/app.py", "main", 4).await.unwrap_err();
    assert!(matches!(error, GitLabError::TooLarge { limit_bytes: 4, .. }), "{error}");
    assert_eq!(
        error.to_string(),
        format!(
            "GET /api/v4/projects/{project}/repository/files/src%2Fapp.py/raw: GitLab's answer is larger than Vigil's limit of 4 bytes"
        )
    );
}

fn status(state: StatusState) -> CommitStatus {
    CommitStatus {
        state,
        name: "vigil".into(),
        description: "Vigil: scanning".into(),
        target_url: Some("https://vigil.example/scans/1".into()),
        ref_name: Some("feature".into()),
    }
}

#[tokio::test]
async fn commit_statuses_tolerate_a_repeated_pending_state() {
    let seeded = seed().await;
    let (sim, client, project) = (&seeded.sim, &seeded.client, seeded.project);
    let sha = sim.branch_head(project, "feature").unwrap();
    client.set_commit_status(project, &sha, &status(StatusState::Pending)).await.unwrap();
    client.set_commit_status(project, &sha, &status(StatusState::Pending)).await.unwrap();
    assert_eq!(sim.commit_statuses(project, &sha).len(), 1, "GitLab refused the repeat");

    // What GitLab answers to the repeat.
    let response = reqwest::Client::new()
        .post(format!("{}/api/v4/projects/{project}/statuses/{sha}", sim.base_url()))
        .bearer_auth(&seeded.token)
        .form(&[("state", "pending"), ("name", "vigil"), ("ref", "feature")])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(
        body["message"],
        "Cannot transition status via :enqueue from :pending (Reason(s): Transition halted)"
    );

    client.set_commit_status(project, &sha, &status(StatusState::Running)).await.unwrap();
    client.set_commit_status(project, &sha, &status(StatusState::Failed)).await.unwrap();
    let states: Vec<String> =
        sim.commit_statuses(project, &sha).into_iter().map(|status| status.status).collect();
    assert_eq!(states, ["pending", "running", "failed"]);

    let (_, listed) =
        get_json(&seeded, &format!("/projects/{project}/repository/commits/{sha}/statuses")).await;
    assert_eq!(listed[0]["status"], "failed", "newest first");
    assert_eq!(
        missing_keys(&fixture("api/list-commit-statuses.json"), &listed),
        Vec::<String>::new()
    );

    let mut bad = status(StatusState::Success);
    bad.target_url = Some("javascript:alert(1)".into());
    let error = client.set_commit_status(project, &sha, &bad).await.unwrap_err();
    assert_eq!(error.status(), Some(400));
    assert!(error.to_string().contains("target_url"), "{error}");
    bad.target_url = Some(format!("https://vigil.example/{}", "x".repeat(250)));
    assert_eq!(
        client.set_commit_status(project, &sha, &bad).await.unwrap_err().status(),
        Some(400)
    );
    let unknown = "0".repeat(40);
    let error = client
        .set_commit_status(project, &unknown, &status(StatusState::Success))
        .await
        .unwrap_err();
    assert_eq!(error.status(), Some(404));
}

#[tokio::test]
async fn status_and_commit_bodies_have_gitlabs_shapes() {
    let seeded = seed().await;
    let (sim, project) = (&seeded.sim, seeded.project);
    let sha = sim.branch_head(project, "feature").unwrap();
    let response = reqwest::Client::new()
        .post(format!("{}/api/v4/projects/{project}/statuses/{sha}", sim.base_url()))
        .bearer_auth(&seeded.token)
        .json(&serde_json::json!({"state": "success"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(
        (body["status"].as_str(), body["name"].as_str()),
        (Some("success"), Some("default"))
    );
    assert_eq!(missing_keys(&fixture("api/post-commit-status.json"), &body), Vec::<String>::new());

    let (status, commit) =
        get_json(&seeded, &format!("/projects/{project}/repository/commits/{sha}")).await;
    assert_eq!(status, 200);
    assert_eq!(loose_errors(&schema("commit/detail.json"), &commit), Vec::<String>::new());
    assert_eq!(commit["stats"]["additions"], 3);
    assert_eq!(commit["status"], "success");
    let (status, _) =
        get_json(&seeded, &format!("/projects/{project}/repository/commits/{}", "f".repeat(40)))
            .await;
    assert_eq!(status, 404);
}
