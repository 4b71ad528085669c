//! A hostile GitLab (issue 17): answers too large to hold, endless error
//! bodies, pagination links off the instance, oversized OAuth answers and
//! tokens, an archive that never finishes. Each ends in bounded memory and
//! time with an error that names what happened.

use std::time::{Duration, Instant};

use gitlab_sim::{Fault, MAINTAINER, Simulator};
use vigil_gitlab::{ArchiveLimits, Client, ClientSettings, GitLabError, OAuthClient, Token};

fn oversized(status: u16, bytes: u64, declared: bool) -> Fault {
    Fault::Oversized { status, bytes, declared, part_bytes: 64 << 10, pause_ms: 0 }
}

#[tokio::test]
async fn answers_over_the_limit_are_refused_by_name() {
    let (sim, client, _) = crate::setup().await;
    for declared in [true, false] {
        sim.inject("/api/v4/user", oversized(200, 1 << 30, declared), 1);
        let error = client.current_user().await.unwrap_err();
        assert!(
            matches!(error, GitLabError::TooLarge { limit_bytes, .. } if limit_bytes == 32 << 20),
            "{error}"
        );
        assert_eq!(
            error.to_string(),
            "GET /api/v4/user: GitLab's answer is larger than Vigil's limit of 33554432 bytes"
        );
    }
    // Under the limit is fine.
    assert_eq!(client.current_user().await.unwrap().username, "vigil-bot");
}

#[tokio::test]
async fn endless_error_bodies_are_cut_short() {
    let sim = Simulator::start().await.unwrap();
    let token = sim.add_user("vigil-bot", false);
    let settings = ClientSettings {
        attempts: 1,
        timeout: Duration::from_millis(500),
        ..ClientSettings::default()
    };
    let client = Client::new(&sim.base_url(), Token::new(token), settings).unwrap();
    // A fast endless body: cut at the error-body limit.
    sim.inject("/api/v4/user", oversized(502, u64::MAX, false), 1);
    let error = client.current_user().await.unwrap_err();
    assert!(matches!(error, GitLabError::Api { status: 502, .. }), "{error}");
    // A slow endless body (one byte every 100 ms): cut at the deadline.
    let slow = Fault::Oversized {
        status: 502,
        bytes: u64::MAX,
        declared: false,
        part_bytes: 1,
        pause_ms: 100,
    };
    sim.inject("/api/v4/user", slow, 1);
    let started = Instant::now();
    let error = client.current_user().await.unwrap_err();
    assert!(matches!(error, GitLabError::Api { status: 502, .. }), "{error}");
    assert!(started.elapsed() < Duration::from_secs(10), "{:?}", started.elapsed());
}

#[tokio::test]
async fn next_links_off_the_instance_are_not_followed() {
    let (sim, client, _) = crate::setup().await;
    sim.add_project("group/app", "main", &[("vigil-bot", MAINTAINER)]);
    let base = reqwest::Url::parse(&sim.base_url()).unwrap();
    let port = base.port().unwrap();
    let elsewhere = [
        "https://attacker.example/api/v4/projects?page=2".to_owned(),
        format!("http://127.0.0.1:{}/api/v4/projects?page=2", port + 1),
        format!("https://127.0.0.1:{port}/api/v4/projects?page=2"),
        format!("http://user:pass@127.0.0.1:{port}/api/v4/projects?page=2"),
        format!("http://127.0.0.1:{port}/admin/projects?page=2"),
    ];
    for link in elsewhere {
        sim.inject("/api/v4/projects", Fault::NextLink(link.clone()), 1);
        let requests = sim.state().requests.len();
        let error = client.maintained_projects().await.unwrap_err();
        assert!(
            matches!(&error, GitLabError::OffInstance { url, .. } if *url == link),
            "{link}: {error}"
        );
        assert!(error.to_string().contains("Vigil does not send the token there"), "{error}");
        assert_eq!(sim.state().requests.len(), requests + 1, "{link}: followed");
    }
}

#[tokio::test]
async fn oversized_oauth_answers_and_tokens_are_refused() {
    let sim = Simulator::start().await.unwrap();
    sim.add_user("vigil-admin", false);
    let (id, secret) =
        sim.add_oauth_application("Vigil", "https://vigil.example/cb", &["api", "read_user"]);
    let oauth =
        OAuthClient::new(&sim.base_url(), &id, Token::new(secret), &ClientSettings::default())
            .unwrap();
    let refresh = vigil_gitlab::RefreshToken::new("r".repeat(64));
    sim.inject("/oauth/token", oversized(200, 1 << 30, false), 1);
    let error = oauth.refresh(&refresh).await.unwrap_err();
    assert!(
        matches!(error, GitLabError::TooLarge { limit_bytes, .. } if limit_bytes == vigil_gitlab::MAX_OAUTH_BYTES),
        "{error}"
    );
    let huge_token = serde_json::json!({
        "access_token": "a".repeat(60_000),
        "token_type": "Bearer",
        "refresh_token": "r".repeat(64),
        "expires_in": 7200,
        "created_at": 1_700_000_000,
    });
    sim.inject("/oauth/token", Fault::Answer { status: 200, body: huge_token.to_string() }, 1);
    let error = oauth.refresh(&refresh).await.unwrap_err();
    assert!(error.to_string().contains("longer than 1024 bytes"), "{error}");
    assert!(!error.to_string().contains("aaaa"), "{error}");
}

#[tokio::test]
async fn an_archive_that_never_finishes_stops_at_the_deadline() {
    let sim = Simulator::start().await.unwrap();
    let token = sim.add_user("vigil-bot", false);
    let project = sim.add_project("group/app", "main", &[("vigil-bot", MAINTAINER)]);
    sim.write_file(project, "README.md", "hello\n");
    let client = Client::new(&sim.base_url(), Token::new(token), crate::settings()).unwrap();
    // Bytes keep coming (never a silence as long as the 30 s timeout), but
    // the whole would take 60 s.
    let slow =
        Fault::Oversized { status: 200, bytes: 600, declared: false, part_bytes: 1, pause_ms: 100 };
    sim.inject(&format!("/api/v4/projects/{project}/repository/archive"), slow, 1);
    let limits =
        ArchiveLimits { max_download_time: Duration::from_millis(700), ..ArchiveLimits::default() };
    let started = Instant::now();
    let error = client
        .download_archive(project, "main", tempfile::tempdir().unwrap().path(), limits)
        .await
        .unwrap_err();
    assert!(matches!(error, GitLabError::Deadline { .. }), "{error}");
    assert!(error.to_string().contains("did not finish within 0 s"), "{error}");
    assert!(started.elapsed() < Duration::from_secs(5));
    // A corrupt archive is Vigil's unpack failing, not "an unexpected answer".
    sim.inject(
        &format!("/api/v4/projects/{project}/repository/archive"),
        Fault::Answer { status: 200, body: "not gzip".into() },
        1,
    );
    let error = client
        .download_archive(
            project,
            "main",
            tempfile::tempdir().unwrap().path(),
            ArchiveLimits::default(),
        )
        .await
        .unwrap_err();
    assert!(matches!(error, GitLabError::Local { .. }), "{error}");
    assert!(error.to_string().contains("the archive could not be unpacked"), "{error}");
    assert!(!error.to_string().contains("unexpected answer"), "{error}");
}
