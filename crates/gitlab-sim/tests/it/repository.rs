//! Repository behaviour seen from outside: archives of any branch or
//! commit under `<name>-<ref>-<sha>/`, multipart form parameters as the
//! docs' `curl --form` sends them, and 404 bodies for missing files.

use std::io::Read as _;

use gitlab_sim::{MAINTAINER, Simulator};

async fn archive_entries(
    sim: &Simulator,
    token: &str,
    query: &str,
) -> (u16, Vec<(String, String)>) {
    let response = reqwest::Client::new()
        .get(format!(
            "{}/api/v4/projects/group%2Fapp/repository/archive.tar.gz{query}",
            sim.base_url()
        ))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    let bytes = response.bytes().await.unwrap();
    if status != 200 {
        return (status, Vec::new());
    }
    let mut archive = tar::Archive::new(flate2::read::GzDecoder::new(&bytes[..]));
    let mut entries = Vec::new();
    for entry in archive.entries().unwrap() {
        let mut entry = entry.unwrap();
        let path = entry.path().unwrap().display().to_string();
        let mut content = String::new();
        entry.read_to_string(&mut content).unwrap();
        entries.push((path, content));
    }
    (status, entries)
}

#[tokio::test]
async fn archives_serve_any_branch_or_commit() {
    let sim = Simulator::start().await.unwrap();
    let token = sim.add_user("vigil-bot", false);
    let project = sim.add_project("group/app", "main", &[("vigil-bot", MAINTAINER)]);
    sim.write_file(project, "a.txt", "main\n");
    let old = sim.branch_head(project, "main").unwrap();
    let feature =
        sim.commit(project, "feature/x", &[("a.txt", Some(b"feature\n"))], "Change").unwrap();

    let (_, entries) = archive_entries(&sim, &token, "").await;
    assert_eq!(entries[1], (format!("app-main-{old}/a.txt"), "main\n".to_owned()));
    let (_, entries) = archive_entries(&sim, &token, "?sha=feature/x").await;
    assert_eq!(entries[1], (format!("app-feature-x-{feature}/a.txt"), "feature\n".to_owned()));
    let (_, entries) = archive_entries(&sim, &token, &format!("?sha={old}")).await;
    assert_eq!(entries[1].1, "main\n");
    let (status, _) = archive_entries(&sim, &token, "?sha=nope").await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn multipart_forms_and_missing_files_answer_like_gitlab() {
    let sim = Simulator::start().await.unwrap();
    let token = sim.add_user("vigil-bot", false);
    let project = sim.add_project("group/app", "main", &[("vigil-bot", MAINTAINER)]);
    let sha = sim.branch_head(project, "main").unwrap();
    let boundary = "XyZ";
    let body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"state\"\r\n\r\nrunning\r\n--{boundary}\r\nContent-Disposition: form-data; name=\"name\"\r\n\r\nvigil\r\n--{boundary}--\r\n"
    );
    let response = reqwest::Client::new()
        .post(format!("{}/api/v4/projects/{project}/statuses/{sha}", sim.base_url()))
        .bearer_auth(&token)
        .header("content-type", format!("multipart/form-data; boundary={boundary}"))
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    let status = sim.commit_statuses(project, &sha);
    assert_eq!((status[0].name.as_str(), status[0].status.as_str()), ("vigil", "running"));

    let response = reqwest::Client::new()
        .get(format!(
            "{}/api/v4/projects/{project}/repository/files/no%2Fsuch.txt/raw?ref=main",
            sim.base_url()
        ))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 404);
    assert_eq!(response.text().await.unwrap(), r#"{"message":"404 File Not Found"}"#);
}
