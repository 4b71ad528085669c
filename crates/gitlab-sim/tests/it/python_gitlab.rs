//! python-gitlab, GitLab's most used third-party client, against the
//! simulator (tests/python_gitlab.py): keyset listing, hook creation, a
//! merge request note created and edited. Skipped, saying so, where
//! python-gitlab is not installed.

use gitlab_sim::{MAINTAINER, Simulator};

#[tokio::test]
async fn python_gitlab_lists_projects_creates_a_hook_and_edits_a_note() {
    let has_python_gitlab = std::process::Command::new("python3")
        .args(["-c", "import gitlab"])
        .output()
        .is_ok_and(|output| output.status.success());
    if !has_python_gitlab {
        eprintln!("skipped: python-gitlab not installed (pip install python-gitlab)");
        return;
    }
    let sim = Simulator::start().await.unwrap();
    let token = sim.add_user("vigil-bot", false);
    for n in 0..4 {
        sim.add_project(&format!("group/other-{n}"), "main", &[("vigil-bot", MAINTAINER)]);
    }
    let project = sim.add_project("group/app", "main", &[("vigil-bot", MAINTAINER)]);
    sim.commit(project, "feature", &[("app.py", Some(b"print(1)\n"))], "Add app").unwrap();
    let iid = sim.open_merge_request(project, "feature", "main", "Add app").unwrap();

    let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/python_gitlab.py");
    let arguments =
        [script.display().to_string(), sim.base_url(), token, project.to_string(), iid.to_string()];
    // The simulator answers on this runtime: run the script off it.
    let output = tokio::task::spawn_blocking(move || {
        std::process::Command::new("python3").args(&arguments).output().unwrap()
    })
    .await
    .unwrap();
    assert!(
        output.status.success(),
        "python-gitlab failed:\n{}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );

    let hooks = sim.state().projects[&project].hooks.clone();
    assert_eq!(hooks.len(), 1);
    assert_eq!(hooks[0].url, "https://vigil.example/hooks/gitlab/1");
    assert_eq!(hooks[0].token.as_deref(), Some("s3cret"));
    let notes = sim.notes(project, iid);
    assert_eq!(notes.len(), 1);
    assert_eq!(notes[0].body, "Vigil: no findings");
    let requests = sim.state().requests.clone();
    assert!(
        requests.iter().any(|request| request.contains("id_after=")),
        "keyset pages were followed: {requests:?}"
    );
}
