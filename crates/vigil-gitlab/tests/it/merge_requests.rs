//! Merge request calls against the simulator: the merge request and its
//! `diff_refs`, paginated diffs, notes (order, editing, 403, 429 without
//! retry) and diff discussions (GitLab's position rules), with bodies
//! checked against the recorded fixtures and schemas.

use gitlab_sim::{DEVELOPER, Fault, MAINTAINER, Simulator};
use vigil_gitlab::{Client, GitLabError, Position, Token};

use super::{fixture, loose_errors, missing_keys, schema, settings};

pub(crate) struct Seeded {
    pub(crate) sim: Simulator,
    pub(crate) client: Client,
    pub(crate) token: String,
    pub(crate) other: Client,
    pub(crate) project: u64,
    pub(crate) iid: u64,
}

/// `group/app` with `src/app.py` (a b c d e) and `old.txt` on main; the MR
/// `feature` → main changes app.py to (a B c d e f), deletes old.txt and
/// adds config/prod.env.
pub(crate) async fn seed() -> Seeded {
    let sim = Simulator::start().await.unwrap();
    let token = sim.add_user("vigil-bot", false);
    let other_token = sim.add_user("someone", false);
    let project =
        sim.add_project("group/app", "main", &[("vigil-bot", MAINTAINER), ("someone", DEVELOPER)]);
    sim.write_file(project, "src/app.py", "a\nb\nc\nd\ne\n");
    sim.write_file(project, "old.txt", "gone\n");
    sim.commit(
        project,
        "feature",
        &[
            ("src/app.py", Some(b"a\nB\nc\nd\ne\nf\n")),
            ("old.txt", None),
            ("config/prod.env", Some(b"KEY=1\n")),
        ],
        "Add config",
    )
    .unwrap();
    let iid = sim.open_merge_request(project, "feature", "main", "Add config").unwrap();
    let client = Client::new(&sim.base_url(), Token::new(token.clone()), settings()).unwrap();
    let other = Client::new(&sim.base_url(), Token::new(other_token), settings()).unwrap();
    Seeded { sim, client, token, other, project, iid }
}

pub(crate) async fn get_json(seeded: &Seeded, path: &str) -> (u16, serde_json::Value) {
    let response = reqwest::Client::new()
        .get(format!("{}/api/v4{path}", seeded.sim.base_url()))
        .bearer_auth(&seeded.token)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap())
}

#[tokio::test]
async fn a_merge_request_names_its_latest_version_in_diff_refs() {
    let seeded = seed().await;
    let (sim, project, iid) = (&seeded.sim, seeded.project, seeded.iid);
    let request = seeded.client.merge_request(project, iid).await.unwrap();
    let main = sim.branch_head(project, "main").unwrap();
    let feature = sim.branch_head(project, "feature").unwrap();
    assert_eq!(
        (request.iid, request.state.as_str(), request.title.as_str()),
        (iid, "opened", "Add config")
    );
    assert_eq!(
        (request.source_branch.as_str(), request.target_branch.as_str()),
        ("feature", "main")
    );
    assert_eq!(request.sha.as_deref(), Some(feature.as_str()));
    let refs = request.diff_refs.unwrap();
    assert_eq!((refs.base_sha.as_str(), refs.start_sha.as_str()), (main.as_str(), main.as_str()));
    assert_eq!(refs.head_sha, feature);
    assert!(request.web_url.ends_with("/group/app/-/merge_requests/1"), "{}", request.web_url);

    // The project may be named by its URL-encoded path; the body has the
    // documented shape and passes GitLab's schema.
    let (status, body) =
        get_json(&seeded, &format!("/projects/group%2Fapp/merge_requests/{iid}")).await;
    assert_eq!(status, 200);
    assert_eq!(body["changes_count"], "3", "a string, as GitLab sends it");
    assert_eq!(missing_keys(&fixture("api/get-merge-request.json"), &body), Vec::<String>::new());
    assert_eq!(loose_errors(&schema("merge_request.json"), &body), Vec::<String>::new());

    // Pushing to the source branch makes a new version and moves diff_refs.
    let pushed =
        sim.commit(project, "feature", &[("README.md", Some(b"# app\n"))], "Docs").unwrap();
    let moved = seeded.client.merge_request(project, iid).await.unwrap().diff_refs.unwrap();
    assert_eq!(moved.head_sha, pushed);
    let (_, versions) =
        get_json(&seeded, &format!("/projects/{project}/merge_requests/{iid}/versions")).await;
    assert_eq!(versions.as_array().unwrap().len(), 2);
    assert_eq!(versions[0]["head_commit_sha"], pushed.as_str(), "newest first");
    assert_eq!(versions[0]["real_size"], "4");
    assert_eq!(
        missing_keys(&fixture("api/merge-request-versions.json"), &versions),
        Vec::<String>::new()
    );

    // Right after creation GitLab has not computed the diff yet.
    let fresh = sim.commit(project, "fresh", &[("x.txt", Some(b"x\n"))], "X").unwrap();
    let fresh_iid = sim.open_merge_request(project, "fresh", "main", "Fresh").unwrap();
    sim.state()
        .projects
        .get_mut(&project)
        .unwrap()
        .merge_requests
        .get_mut(&fresh_iid)
        .unwrap()
        .pending_diff_reads = 1;
    let early = seeded.client.merge_request(project, fresh_iid).await.unwrap();
    assert_eq!((early.diff_refs, early.sha.as_deref()), (None, Some(fresh.as_str())));
    let later = seeded.client.merge_request(project, fresh_iid).await.unwrap();
    assert_eq!(later.diff_refs.unwrap().head_sha, fresh);

    let error = seeded.client.merge_request(project, 99).await.unwrap_err();
    assert_eq!(error.status(), Some(404));
    let hidden = sim.add_project("secret/app", "main", &[]);
    let error = seeded.client.merge_request(hidden, 1).await.unwrap_err();
    assert_eq!(
        error.to_string(),
        format!(
            "GET /api/v4/projects/{hidden}/merge_requests/1: GitLab answered 404: 404 Project Not Found"
        )
    );
}

#[tokio::test]
async fn diffs_are_read_from_every_page() {
    let seeded = seed().await;
    let (sim, project) = (&seeded.sim, seeded.project);
    let diffs = seeded.client.merge_request_diffs(project, seeded.iid).await.unwrap();
    let summary: Vec<(&str, bool, bool)> = diffs
        .iter()
        .map(|diff| (diff.new_path.as_str(), diff.new_file, diff.deleted_file))
        .collect();
    assert_eq!(
        summary,
        [("config/prod.env", true, false), ("old.txt", false, true), ("src/app.py", false, false)]
    );
    let app = &diffs[2];
    assert_eq!(app.diff, "@@ -1,5 +1,6 @@\n a\n-b\n+B\n c\n d\n e\n+f\n");
    assert_eq!(vigil_gitlab::added_lines(&app.diff), [2, 6]);

    let files: Vec<(String, Vec<u8>)> =
        (0..130).map(|n| (format!("gen/file-{n:03}.txt"), format!("{n}\n").into_bytes())).collect();
    let changes: Vec<(&str, Option<&[u8]>)> =
        files.iter().map(|(path, content)| (path.as_str(), Some(content.as_slice()))).collect();
    sim.commit(project, "many", &changes, "Generate files").unwrap();
    let iid = sim.open_merge_request(project, "many", "main", "Many files").unwrap();
    let before = sim.state().requests.len();
    let diffs = seeded.client.merge_request_diffs(project, iid).await.unwrap();
    assert_eq!(diffs.len(), 130);
    let pages: Vec<String> = sim.state().requests[before..].to_vec();
    assert_eq!(pages.len(), 2, "{pages:?}");
    assert!(pages[1].contains("page=2"), "{pages:?}");

    let (_, body) =
        get_json(&seeded, &format!("/projects/{project}/merge_requests/{iid}/diffs?per_page=500"))
            .await;
    assert_eq!(body.as_array().unwrap().len(), 100, "per_page is capped at 100");
    assert_eq!(missing_keys(&fixture("api/merge-request-diffs.json"), &body), Vec::<String>::new());
}

#[tokio::test]
async fn notes_are_listed_newest_first_and_edited_by_their_author_only() {
    let seeded = seed().await;
    let (sim, client, project, iid) = (&seeded.sim, &seeded.client, seeded.project, seeded.iid);
    let first =
        client.create_merge_request_note(project, iid, "Vigil found 1 secret").await.unwrap();
    assert_eq!((first.author.username.as_str(), first.system), ("vigil-bot", false));
    let second = client.create_merge_request_note(project, iid, "second").await.unwrap();
    let listed = client.merge_request_notes(project, iid).await.unwrap();
    let ids: Vec<u64> = listed.iter().map(|note| note.id).collect();
    assert_eq!(ids, [second.id, first.id], "GitLab sorts notes newest first");

    let edited = client
        .update_merge_request_note(project, iid, first.id, "Vigil found 0 secrets")
        .await
        .unwrap();
    assert_eq!((edited.id, edited.body.as_str()), (first.id, "Vigil found 0 secrets"));
    assert_eq!(sim.notes(project, iid)[0].body, "Vigil found 0 secrets");

    let theirs = seeded.other.create_merge_request_note(project, iid, "mine").await.unwrap();
    let error =
        client.update_merge_request_note(project, iid, theirs.id, "hijack").await.unwrap_err();
    assert_eq!(error.status(), Some(403), "{error}");
    assert_eq!(sim.notes(project, iid)[2].body, "mine");

    let (_, body) =
        get_json(&seeded, &format!("/projects/{project}/merge_requests/{iid}/notes/{}", first.id))
            .await;
    // The docs' example note shows the author's e-mail and creation date,
    // which GitLab gives administrators only.
    assert_eq!(
        missing_keys(&fixture("api/get-merge-request-note.json"), &body),
        ["/author/created_at", "/author/email"]
    );
    let notes = serde_json::Value::Array(vec![body]);
    assert_eq!(loose_errors(&schema("notes.json"), &notes), Vec::<String>::new());
}

#[tokio::test]
async fn a_rate_limited_note_is_not_posted_twice() {
    let seeded = seed().await;
    let (sim, project, iid) = (&seeded.sim, seeded.project, seeded.iid);
    let path = format!("/api/v4/projects/{project}/merge_requests/{iid}/notes");
    sim.inject(&path, Fault::TooManyRequests { retry_after: 1 }, 1);
    let before = sim.state().requests.len();
    let error = seeded.client.create_merge_request_note(project, iid, "hello").await.unwrap_err();
    assert_eq!(
        error,
        GitLabError::RateLimited { endpoint: format!("POST {path}"), retry_after_s: 1 }
    );
    let posts = sim.state().requests[before..].iter().filter(|r| r.starts_with("POST")).count();
    assert_eq!(posts, 1, "a POST is never repeated: GitLab may have acted on it");
    assert!(sim.notes(project, iid).is_empty());
}

fn position(
    refs: &vigil_gitlab::DiffRefs,
    old_line: Option<u32>,
    new_line: Option<u32>,
) -> Position {
    Position {
        base_sha: refs.base_sha.clone(),
        start_sha: refs.start_sha.clone(),
        head_sha: refs.head_sha.clone(),
        old_path: "src/app.py".into(),
        new_path: "src/app.py".into(),
        new_line,
        old_line,
    }
}

#[tokio::test]
async fn diff_discussions_follow_gitlabs_position_rules() {
    let seeded = seed().await;
    let (sim, client, project, iid) = (&seeded.sim, &seeded.client, seeded.project, seeded.iid);
    let refs = client.merge_request(project, iid).await.unwrap().diff_refs.unwrap();
    // An added line takes new_line alone, a removed one old_line alone, an
    // unchanged one both.
    for (old_line, new_line) in [(None, Some(2)), (Some(2), None), (Some(3), Some(3))] {
        let discussion = client
            .create_merge_request_discussion(
                project,
                iid,
                "finding",
                &position(&refs, old_line, new_line),
            )
            .await
            .unwrap();
        let note = &discussion.notes[0];
        let placed = note.position.as_ref().unwrap();
        assert_eq!((placed.old_line, placed.new_line), (old_line, new_line));
        assert_eq!(placed.head_sha, refs.head_sha);
    }
    for (old_line, new_line) in
        [(None, Some(3)), (Some(3), None), (Some(2), Some(2)), (None, Some(40)), (None, None)]
    {
        let error = client
            .create_merge_request_discussion(
                project,
                iid,
                "x",
                &position(&refs, old_line, new_line),
            )
            .await
            .unwrap_err();
        assert_eq!(error.status(), Some(400), "{old_line:?} {new_line:?}");
        assert!(error.to_string().contains("must be a valid line code"), "{error}");
    }
    let listed = client.merge_request_discussions(project, iid).await.unwrap();
    assert_eq!(listed.len(), 3);
    assert_eq!(sim.discussions(project, iid).len(), 3);

    // After a push the old shas still name a real (older) version, which
    // GitLab accepts; shas of no version are refused.
    sim.commit(project, "feature", &[("README.md", Some(b"# app\n"))], "Docs").unwrap();
    client
        .create_merge_request_discussion(project, iid, "late", &position(&refs, None, Some(2)))
        .await
        .unwrap();
    let mut made_up = position(&refs, None, Some(2));
    made_up.head_sha = refs.base_sha.clone();
    let error =
        client.create_merge_request_discussion(project, iid, "x", &made_up).await.unwrap_err();
    assert_eq!(error.status(), Some(400));

    // The documented form-encoded request: without old_path GitLab refuses it.
    let fresh = client.merge_request(project, iid).await.unwrap().diff_refs.unwrap();
    let form = format!(
        "body=x&position[position_type]=text&position[base_sha]={}&position[start_sha]={}&position[head_sha]={}&position[new_path]=src/app.py&position[new_line]=2",
        fresh.base_sha, fresh.start_sha, fresh.head_sha
    );
    let post = |form: String| {
        reqwest::Client::new()
            .post(format!(
                "{}/api/v4/projects/{project}/merge_requests/{iid}/discussions",
                sim.base_url()
            ))
            .bearer_auth(&seeded.token)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(form)
            .send()
    };
    let refused = post(form.clone()).await.unwrap();
    assert_eq!(refused.status(), 400);
    let body: serde_json::Value = refused.json().await.unwrap();
    assert!(body["message"].as_str().unwrap().starts_with("400 Bad request - Note"), "{body}");
    let accepted = post(format!("{form}&position[old_path]=src/app.py")).await.unwrap();
    assert_eq!(accepted.status(), 201);
    let body: serde_json::Value = accepted.json().await.unwrap();
    assert_eq!(
        missing_keys(&fixture("api/create-discussion-response.json"), &body),
        Vec::<String>::new()
    );
    let missing_sha = post("body=x&position[position_type]=text".into()).await.unwrap();
    assert_eq!(missing_sha.status(), 400);
    let body: serde_json::Value = missing_sha.json().await.unwrap();
    assert_eq!(body["error"], "position[base_sha] is missing");
}
