//! The Web UI over `oneshot`: sign-in and redirects, permissions and CSRF
//! on pages, assets with their cache headers, every page rendering with
//! the Content-Security-Policy, and bad input answered on the page. (The
//! browser scenario in `crates/vigil/tests/it/ui_browser.rs` drives the
//! same pages in Chromium.)

use axum::http::StatusCode;

use crate::{As, TestApp};

pub(crate) fn html(reply: &crate::Reply) -> &str {
    reply.json.as_str().unwrap_or_default()
}

/// Signs `ada` in through the page's form; returns her session with and
/// without its CSRF token.
pub(crate) async fn signed_in(app: &TestApp) -> (As, As) {
    let reply = app
        .form("/login", &As::Nobody, "username=ada&password=correct+horse+battery&next=%2Fissues")
        .await;
    // htmx asked: the redirect comes as HX-Redirect.
    assert_eq!(reply.status, StatusCode::NO_CONTENT, "{reply:?}");
    assert_eq!(reply.headers["hx-redirect"], "/issues");
    let cookie =
        reply.headers["set-cookie"].to_str().unwrap().split(';').next().unwrap().to_owned();
    let page = app.get("/", &As::Session { cookie: cookie.clone(), csrf: None }).await;
    // `<body hx-headers='{"X-CSRF-Token":"…"}'>`, quotes escaped.
    let after = html(&page).split("X-CSRF-Token").nth(1).expect("the CSRF token in <body>");
    let csrf: String = after
        .trim_start_matches("&#34;:&#34;")
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
        .collect();
    assert_eq!(csrf.len(), 43, "{after:.80}");
    (As::Session { cookie: cookie.clone(), csrf: Some(csrf) }, As::Session { cookie, csrf: None })
}

#[tokio::test]
async fn pages_need_a_session_and_the_sign_in_form_keeps_the_username() {
    for app in TestApp::all().await {
        let page = app.get("/issues?kind=secret", &As::Nobody).await;
        assert_eq!(page.status, StatusCode::SEE_OTHER);
        assert_eq!(page.headers["location"], "/login?next=/issues%3Fkind%3Dsecret");

        let form = app.get("/login?next=https://evil.example/", &As::Nobody).await;
        assert_eq!(form.status, StatusCode::OK);
        assert!(html(&form).contains(r#"name="next" value="/""#), "off-site next is dropped");

        let wrong = app.form("/login", &As::Nobody, "username=ada&password=nope&next=%2F").await;
        assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
        assert!(html(&wrong).contains("wrong username or password"));
        assert!(html(&wrong).contains(r#"value="ada""#), "the username is kept");
        assert!(!wrong.headers.contains_key("set-cookie"));

        let (session, _) = signed_in(&app).await;
        let out = app.form("/logout", &session, "").await;
        assert_eq!(out.headers["hx-redirect"], "/login");
        assert!(out.headers["set-cookie"].to_str().unwrap().contains("Max-Age=0"));
        assert_eq!(app.get("/", &session).await.status, StatusCode::SEE_OTHER, "the session ended");
        app.finish().await;
    }
}

#[tokio::test]
async fn every_page_renders_with_the_policy_and_the_user() {
    for app in TestApp::all().await {
        let (session, _) = signed_in(&app).await;
        for path in [
            "/",
            "/integrations",
            "/integrations?vendor=bitbucket",
            "/integrations/gitlab/new",
            "/brokers",
            "/repositories",
            "/scans",
            "/issues",
            "/issues?status=all&sort=first_seen",
            "/settings/users",
            "/settings/tokens",
            "/settings/policy",
            "/settings/audit",
            "/settings/audit?before=1",
        ] {
            let page = app.get(path, &session).await;
            assert_eq!(page.status, StatusCode::OK, "{path}: {page:?}");
            let policy = page.headers["content-security-policy"].to_str().unwrap();
            assert!(
                policy.contains("script-src 'self'") && !policy.contains("unsafe"),
                "{path}: {policy}"
            );
            assert!(html(&page).contains("<main id=\"main\""), "{path}");
            assert!(html(&page).contains("ada <span class=\"role\">admin</span>"), "{path}");
            for off_site in ["src=\"http", "src=\"//", "href=\"http", "href=\"//"] {
                assert!(!html(&page).contains(off_site), "{path} loads or links off-site");
            }
        }
        // The old plain onboarding page points at the wizard.
        let old = app.get("/setup/gitlab", &session).await;
        assert_eq!(old.status, StatusCode::PERMANENT_REDIRECT);
        assert_eq!(old.headers["location"], "/integrations/gitlab/new");
        app.finish().await;
    }
}

#[tokio::test]
async fn viewers_cannot_open_admin_pages_and_writes_need_the_csrf_token() {
    for app in TestApp::all().await {
        assert_eq!(app.get("/settings/audit", &app.viewer).await.status, StatusCode::FORBIDDEN);
        let denied = app.get("/integrations/gitlab/new", &app.viewer).await;
        assert_eq!(denied.status, StatusCode::FORBIDDEN);
        assert!(
            html(&denied).contains("Not allowed")
                && html(&denied).contains("needs admin permission")
        );
        assert_eq!(app.get("/issues", &app.viewer).await.status, StatusCode::OK);
        let suppress = app.form("/issues/1/suppress", &app.viewer, "reason=x").await;
        assert_eq!(suppress.status, StatusCode::FORBIDDEN);

        let (_, without_csrf) = signed_in(&app).await;
        let forged = app.form("/brokers", &without_csrf, "name=dc1").await;
        assert_eq!(forged.status, StatusCode::FORBIDDEN);
        assert!(html(&forged).contains("CSRF"));
        assert!(app.store().transporters().await.unwrap().is_empty(), "nothing was registered");
        app.finish().await;
    }
}

#[tokio::test]
async fn bad_input_is_answered_on_the_page_with_the_input_kept() {
    for app in TestApp::all().await {
        let (session, _) = signed_in(&app).await;
        let step = app
            .form("/integrations/gitlab/new", &session, "base_url=ftp%3A%2F%2Fgitlab.example")
            .await;
        assert_eq!(step.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(html(&step).contains("must start with https://"), "{step:?}");
        assert!(html(&step).contains(r#"value="ftp://gitlab.example""#));

        let credentials = app
            .form(
                "/integrations/gitlab/new/credentials",
                &session,
                "base_url=https%3A%2F%2Fgitlab.example&client_id=abc&client_secret=",
            )
            .await;
        assert_eq!(credentials.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(html(&credentials).contains("enter both the Application ID and the Secret"));
        assert!(html(&credentials).contains(r#"value="abc""#));
        assert!(app.store().instances().await.unwrap().is_empty(), "no instance was added");

        // A Broker whose agent never connected: the wizard says so on step 2.
        app.form("/brokers", &session, "name=dc1").await;
        let id = app.store().transporters().await.unwrap()[0].id;
        let step = app
            .form(
                "/integrations/gitlab/new/oauth",
                &session,
                &format!("base_url=https%3A%2F%2Fgitlab.example&transporter={id}"),
            )
            .await;
        assert_eq!(step.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(html(&step).contains("has no agent connected to any Vigil server"), "{step:?}");
        assert!(
            html(&step).contains(&format!(r#"<option value="{id}" selected>dc1"#)),
            "the Broker stays chosen"
        );

        let broker = app.form("/brokers", &session, "name=++").await;
        assert_eq!(broker.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(html(&broker).contains("name must not be empty"));

        let issues = app.get("/issues?severity=urgent", &session).await;
        assert_eq!(issues.status, StatusCode::OK);
        assert!(html(&issues).contains("role=\"alert\""), "{issues:?}");
        assert!(html(&issues).contains("urgent"));

        let token =
            app.form("/settings/tokens", &session, "name=ci&scope=read&expires_in_days=soon").await;
        assert_eq!(token.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(html(&token).contains("expiry `soon` is not a number of days"));
        assert!(html(&token).contains(r#"value="ci""#));

        // Connect again needs the public URL GitLab sends the browser back to.
        let instance = app
            .store()
            .create_instance(&crate::new_instance("https://gitlab.example", 3600), 0)
            .await
            .unwrap();
        // A link only shows the page; the POST (with the CSRF token) starts it.
        let connect = format!("/integrations/gitlab/{}/connect", instance.id);
        let page = app.get(&connect, &session).await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(html(&page).contains("Continue to GitLab"), "{page:?}");
        let again = app.form(&connect, &session, "").await;
        assert_eq!(again.status, StatusCode::CONFLICT);
        assert!(html(&again).contains("no OAuth client id"), "{again:?}");

        let missing = app.get("/integrations/gitlab/999/done", &session).await;
        assert_eq!(missing.status, StatusCode::NOT_FOUND);
        assert!(html(&missing).contains("instance not found"));
        app.finish().await;
    }
}

#[tokio::test]
async fn assets_are_embedded_with_cache_validators() {
    for app in TestApp::all().await {
        for (path, kind) in [
            ("/assets/app.css", "text/css"),
            ("/assets/app.js", "text/javascript"),
            ("/assets/vendor/htmx.min.js", "text/javascript"),
            ("/assets/vigil.svg", "image/svg+xml"),
        ] {
            let asset = app.get(path, &As::Nobody).await;
            assert_eq!(asset.status, StatusCode::OK, "{path}");
            assert!(asset.headers["content-type"].to_str().unwrap().starts_with(kind), "{path}");
            let etag = asset.headers["etag"].to_str().unwrap().to_owned();
            let request = axum::http::Request::get(path)
                .header("if-none-match", &etag)
                .body(axum::body::Body::empty())
                .unwrap();
            let again = tower::ServiceExt::oneshot(vigil_server::app(app.state.clone()), request)
                .await
                .unwrap();
            assert_eq!(again.status(), StatusCode::NOT_MODIFIED, "{path}");
        }
        // Sent compressed to browsers that accept it.
        let request = axum::http::Request::get("/assets/vendor/htmx.min.js")
            .header("accept-encoding", "gzip")
            .body(axum::body::Body::empty())
            .unwrap();
        let gzipped = tower::ServiceExt::oneshot(vigil_server::app(app.state.clone()), request)
            .await
            .unwrap();
        assert_eq!(gzipped.headers()["content-encoding"], "gzip");
        let bytes = axum::body::to_bytes(gzipped.into_body(), 1 << 20).await.unwrap();
        assert!(bytes.len() < 25_000, "htmx gzipped is {} bytes", bytes.len());
        let htmx = app.get("/assets/vendor/htmx.min.js", &As::Nobody).await;
        assert!(html(&htmx).contains("version:\"2.0.11\""));
        assert_eq!(app.get("/assets/nope.js", &As::Nobody).await.status, StatusCode::NOT_FOUND);
        assert_eq!(
            app.get("/assets/../Cargo.toml", &As::Nobody).await.status,
            StatusCode::NOT_FOUND
        );
        app.finish().await;
    }
}

#[tokio::test]
async fn issues_are_triaged_from_the_page() {
    for app in TestApp::all().await {
        let repo = crate::issues::seed(&app).await;
        let (session, _) = signed_in(&app).await;

        // 25 open issues: the first page of 50 holds them all, most severe first.
        let list = app.get(&format!("/issues?repository={repo}"), &session).await;
        assert_eq!(html(&list).matches("hx-push-url").count(), 25);
        let first_critical = html(&list).find("sev-critical").unwrap();
        assert!(html(&list).find("sev-low").unwrap() > first_critical);
        let dashboard = app.get("/", &session).await;
        assert!(html(&dashboard).contains(r#"<div class="value" id="kpi-open">25</div>"#));
        let repositories = app.get("/repositories", &session).await;
        assert!(
            html(&repositories).contains("group/app")
                && html(&repositories).contains("Secrets: 25")
        );

        let issue = app
            .store()
            .issues(&vigil_store::IssueFilter { limit: 1, ..Default::default() })
            .await
            .unwrap()
            .issues[0]
            .id;
        let panel = app.get(&format!("/issues/{issue}/panel?back=%2Fissues"), &session).await;
        assert_eq!(panel.status, StatusCode::OK);
        assert!(html(&panel).contains("id=\"suppress-form\""));

        // A reason is required, an end date at most a year ahead: answered in
        // the panel, the reason kept.
        let empty = app
            .form(&format!("/issues/{issue}/suppress"), &session, "reason=&back=%2Fissues")
            .await;
        assert_eq!(empty.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(html(&empty).contains("id=\"panel-error\""), "{empty:?}");
        let late = app
            .form(
                &format!("/issues/{issue}/suppress"),
                &session,
                "reason=accepted&expires=2999-01-01&back=%2Fissues",
            )
            .await;
        assert_eq!(late.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(html(&late).contains(">accepted</textarea>"), "{late:?}");
        let bad_date = app
            .form(
                &format!("/issues/{issue}/suppress"),
                &session,
                "reason=accepted&expires=tomorrow",
            )
            .await;
        assert!(html(&bad_date).contains("expiry `tomorrow` is not a date"));

        let done = app
            .form(
                &format!("/issues/{issue}/suppress"),
                &session,
                "reason=accepted&back=%2Fissues%3Fstatus%3Dall",
            )
            .await;
        assert_eq!(done.headers["hx-redirect"], "/issues?status=all");
        let reopened = app
            .form(&format!("/issues/{issue}/reopen"), &session, "back=https%3A%2F%2Fevil.example")
            .await;
        assert_eq!(reopened.headers["hx-redirect"], "/issues", "only this page's URLs");
        let again = app.form(&format!("/issues/{issue}/reopen"), &session, "").await;
        assert_eq!(again.status, StatusCode::CONFLICT);
        assert!(html(&again).contains("the issue is not suppressed"));

        // Bulk: nothing ticked is a clear error; two ticked are both suppressed.
        let none = app.form("/issues/bulk", &session, "reason=x&back=%2Fissues").await;
        assert_eq!(none.status, StatusCode::BAD_REQUEST);
        assert!(html(&none).contains("tick at least one issue"));
        let ids = app
            .store()
            .issues(&vigil_store::IssueFilter { limit: 2, ..Default::default() })
            .await
            .unwrap()
            .issues;
        let form = format!("ids={}&ids={}&reason=rotated&back=%2Fissues", ids[0].id, ids[1].id);
        let bulk = app.form("/issues/bulk", &session, &form).await;
        assert_eq!(bulk.headers["hx-redirect"], "/issues?notice=2%20of%202%20issues%20suppressed");
        let list = app.get("/issues", &session).await;
        assert_eq!(html(&list).matches("hx-push-url").count(), 23);
        let form = format!("ids={}&ids={}&back=%2Fissues", ids[0].id, ids[1].id);
        let bulk = app.form("/issues/bulk-reopen", &session, &form).await;
        assert_eq!(bulk.headers["hx-redirect"], "/issues?notice=2%20of%202%20issues%20reopened");
        app.finish().await;
    }
}

#[tokio::test]
async fn admins_set_the_default_policy_on_its_page_and_viewers_only_read_it() {
    for app in TestApp::all().await {
        let (session, _) = signed_in(&app).await;
        let page = app.get("/settings/policy", &session).await;
        assert!(html(&page).contains("Vigil's built-in default"), "{page:?}");
        assert!(html(&page).contains(r#"<option value="low" selected>"#), "{page:?}");

        let refused = app
            .form("/settings/policy", &session, "fail_on=urgent&soft_fail_on=SEC001%2C+a+b")
            .await;
        assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(html(&refused).contains("fail_on: unknown severity `urgent`"), "{refused:?}");
        assert!(html(&refused).contains(r#"value="SEC001, a b""#), "the input is kept");
        assert_eq!(app.store().setting("default_policy").await.unwrap(), None, "nothing saved");

        let saved =
            app.form("/settings/policy", &session, "fail_on=high&soft_fail_on=SEC001%2C+iac").await;
        assert_eq!(saved.status, StatusCode::OK, "{saved:?}");
        assert!(html(&saved).contains("Saved."), "{saved:?}");
        assert!(html(&saved).contains("Set by ada on"), "{saved:?}");
        let api = app.get("/api/v1/settings/policy", &app.viewer).await;
        assert_eq!(
            api.json,
            serde_json::json!({
                "fail_on": "high", "soft_fail_on": ["SEC001", "iac"], "configured": true,
                "updated_at": api.json["updated_at"], "updated_by": "ada",
            })
        );
        let audit = app.store().audit_log(None, 10).await.unwrap();
        assert!(audit.iter().any(|entry| entry.action == "settings.policy"), "{audit:?}");

        let read_only = app.get("/settings/policy", &app.viewer).await;
        assert_eq!(read_only.status, StatusCode::OK);
        assert!(!html(&read_only).contains("Save policy"), "viewers get no form button");
        assert!(html(&read_only).contains(r#"<option value="high" selected>"#));
        let denied = app.form("/settings/policy", &app.viewer, "fail_on=never").await;
        assert_eq!(denied.status, StatusCode::FORBIDDEN);
        let api = app
            .call(
                axum::http::Method::PUT,
                "/api/v1/settings/policy",
                &app.admin,
                Some(serde_json::json!({"fail_on": "high", "soft_fail_on": ["a b"]})),
            )
            .await;
        assert_eq!(api.status, StatusCode::BAD_REQUEST);
        assert_eq!(
            api.json["message"],
            "soft_fail_on: `a b` is not a severity, a finding kind or a rule id"
        );
        app.finish().await;
    }
}

/// Issues from the real IaC engine on a Terraform file, stored by a scan.
async fn seed_iac(app: &TestApp) -> i64 {
    let text = "resource \"aws_db_instance\" \"orders\" {\n  engine = \"postgres\"\n  publicly_accessible = true\n  storage_encrypted = true\n}\n";
    seed(
        app,
        ("https://infra.gitlab.example.com", 9, "group/infra"),
        "iac",
        &[("infra/db.tf", text)],
    )
    .await
}

/// The findings of the built-in engine `engine` on `files` (path, text),
/// stored by a full scan of a new repository (`instance`, its GitLab id
/// and path).
async fn seed(
    app: &TestApp,
    (instance, gitlab_id, path): (&str, i64, &str),
    engine: &str,
    files: &[(&str, &str)],
) -> i64 {
    use vigil_core::{Engine, FileOutput, SourceFile};
    let store = app.store();
    let instance = store
        .create_instance(&crate::new_instance(instance, 3600), vigil_store::Queue::now_ms())
        .await
        .unwrap();
    let repo = store
        .upsert_repository(instance.id, gitlab_id, path, "main", vigil_store::Queue::now_ms())
        .await
        .unwrap()
        .id;
    let engine = vigil_pipeline::registry::builtin(engine).unwrap();
    let mut output = FileOutput::default();
    let files: Vec<SourceFile<'_>> =
        files.iter().map(|(path, text)| SourceFile { path, content: text.as_bytes() }).collect();
    engine.scan_tree(&files, &mut output);
    assert!(!output.findings.is_empty());
    let scan = store
        .create_scan(
            &vigil_store::NewScan {
                repository_id: repo,
                branch: "main".into(),
                commit_sha: None,
                trigger: "manual".into(),
                scope: vigil_store::ScanScope::Full,
            },
            vigil_store::Queue::now_ms(),
        )
        .await
        .unwrap();
    store
        .finish_scan(
            scan.id,
            &vigil_store::ScanScope::Full,
            &output.findings,
            1,
            &[],
            vigil_store::Queue::now_ms(),
        )
        .await
        .unwrap();
    repo
}

#[tokio::test]
async fn iac_issues_filter_by_framework_and_their_panel_explains_the_resource() {
    for app in TestApp::all().await {
        seed_iac(&app).await;
        let (session, _) = signed_in(&app).await;

        let api = app.get("/api/v1/issues?kind=iac&framework=terraform", &app.admin).await;
        assert_eq!(api.status, StatusCode::OK, "{api:?}");
        let items = api.json["items"].as_array().unwrap();
        assert!(items.iter().any(|i| i["rule_id"] == "IAC1017"), "{api:?}");
        assert!(items.iter().all(|i| i["resource"]["framework"] == "terraform"));
        let none = app.get("/api/v1/issues?framework=kubernetes", &app.admin).await;
        assert_eq!(none.json["items"].as_array().unwrap().len(), 0, "{none:?}");
        let bad = app.get("/api/v1/issues?framework=helm", &app.admin).await;
        assert_eq!(bad.status, StatusCode::BAD_REQUEST);
        assert!(bad.json.to_string().contains("unknown framework `helm`"), "{bad:?}");

        let page = app.get("/issues?kind=iac&framework=terraform", &session).await;
        assert!(html(&page).contains(r#"<option value="terraform" selected>Terraform</option>"#));
        assert!(html(&page).contains("RDS instance is publicly accessible"), "{page:?}");

        let issue =
            items.iter().find(|i| i["rule_id"] == "IAC1017").unwrap()["id"].as_i64().unwrap();
        let panel = app.get(&format!("/issues/{issue}/panel?back=%2Fissues"), &session).await;
        assert_eq!(panel.status, StatusCode::OK);
        let panel = html(&panel);
        assert!(panel.contains("aws_db_instance.orders"), "{panel}");
        assert!(panel.contains("also CKV_AWS_17"), "{panel}");
        assert!(
            panel.contains("publicly_accessible <span class=\"muted\">line 3</span>"),
            "{panel}"
        );
        assert!(panel.contains("<span class=\"ln\">3</span>publicly_accessible = true"), "{panel}");
        assert!(panel.contains("Why it matters") && panel.contains("<h3>Fix</h3>"), "{panel}");
    }
}

#[tokio::test]
async fn the_dashboard_counts_each_repository_on_its_own_row() {
    for app in TestApp::all().await {
        let (session, _) = signed_in(&app).await;
        // Nothing critical or high: a plain zero, not a red one.
        let empty = app.get("/", &session).await;
        assert!(
            html(&empty).contains(r#"<div class="value" id="kpi-severe">0</div>"#),
            "{empty:?}"
        );
        let secrets = crate::issues::seed(&app).await;
        let infra = seed_iac(&app).await;
        let counts = |repository: i64| {
            let store = app.store();
            async move {
                let issues = store
                    .issues(&vigil_store::IssueFilter {
                        repository_id: Some(repository),
                        status: Some("open".into()),
                        limit: 500,
                        ..Default::default()
                    })
                    .await
                    .unwrap()
                    .issues;
                let severe = issues
                    .iter()
                    .filter(|issue| issue.severity >= vigil_core::Severity::High)
                    .count();
                (issues.len(), severe)
            }
        };
        let (app_open, app_severe) = counts(secrets).await;
        let (infra_open, infra_severe) = counts(infra).await;
        assert_ne!(
            app_open, infra_open,
            "the two repositories must differ for this test to mean anything"
        );
        let dashboard = app.get("/", &session).await;
        let page = html(&dashboard);
        assert!(page.contains(r#"<div class="value sev-high" id="kpi-severe">"#), "{page}");
        for (id, path, open, severe) in [
            (secrets, "group/app", app_open, app_severe),
            (infra, "group/infra", infra_open, infra_severe),
        ] {
            let row = format!(
                "<td><a href=\"/issues?repository={id}\">{path}</a></td><td>{open}</td><td>{severe}</td>"
            );
            assert!(page.contains(&row), "no row {row} in:\n{page}");
        }
    }
}

/// The Done step's first paint, before the sync has listed anything: what
/// was chosen and that Vigil is connecting, never "is connected" beside a
/// Pending badge or "0 selected / 0 of 0 done".
#[tokio::test]
async fn the_done_step_says_what_was_chosen_before_the_sync_lists_it() {
    for app in TestApp::all().await {
        let (session, _) = signed_in(&app).await;
        let now = vigil_store::Queue::now_ms();
        let instance = app
            .store()
            .create_instance(&crate::new_instance("https://gitlab.example.com", 3600), now)
            .await
            .unwrap();
        app.store()
            .set_instance_selection(instance.id, "chosen", &[11, 12, 13], now)
            .await
            .unwrap();
        app.store()
            .set_instance_status(
                instance.id,
                "pending",
                Some("applying the repository selection"),
                now,
            )
            .await
            .unwrap();
        let page = app.get(&format!("/integrations/gitlab/{}/done", instance.id), &session).await;
        assert_eq!(page.status, StatusCode::OK);
        let page = html(&page);
        assert!(page.contains("3 chosen; Vigil is listing them"), "{}: {page}", app.name);
        assert!(page.contains("Vigil is connecting gitlab.example.com."), "{page}");
        assert!(!page.contains("0 selected") && !page.contains("0 of 0 done"), "{page}");
        assert!(!page.contains("is connected."), "{page}");
        app.finish().await;
    }
}

/// An instance in error says why in a sentence a GitLab admin understands,
/// with the technical text behind "Details"; a reason already in words
/// stays as it is, without Details.
#[tokio::test]
async fn an_instance_in_error_reads_as_a_sentence_with_the_detail_behind_it() {
    for app in TestApp::all().await {
        let (session, _) = signed_in(&app).await;
        let now = vigil_store::Queue::now_ms();
        let store = app.store();
        let unreachable = store
            .create_instance(&crate::new_instance("https://gitlab.example.com", 3600), now)
            .await
            .unwrap();
        let detail = "GitLab is unreachable: GET /api/v4/user: cannot reach GitLab: cannot connect (client error (Connect): tcp connect error: Connection refused (os error 111))";
        store.set_instance_status(unreachable.id, "error", Some(detail), now).await.unwrap();
        let worded = store
            .create_instance(&crate::new_instance("https://gitlab.example.org", 3600), now)
            .await
            .unwrap();
        store
            .set_instance_status(
                worded.id,
                "pending",
                Some("waiting for GitLab's authorisation"),
                now,
            )
            .await
            .unwrap();
        let page = html(&app.get("/integrations", &session).await).to_owned();
        assert!(
            page.contains("<span class=\"status-reason muted\">Nothing answers on that host and port: the connection was refused.</span><details class=\"error-details\"><summary>Details</summary><code>GitLab is unreachable: GET /api/v4/user"),
            "{}: {page}",
            app.name
        );
        assert!(
            page.contains(
                "<span class=\"status-reason muted\">waiting for GitLab&#39;s authorisation</span>"
            ),
            "{page}"
        );
        assert_eq!(page.matches("<summary>Details</summary>").count(), 1, "{page}");
        app.finish().await;
    }
}

/// License issues from the real license engine on an npm lockfile whose
/// packages record GPL-3.0-only and MPL-2.0, stored by a scan.
async fn seed_licenses(app: &TestApp) -> i64 {
    let lock = r#"{
  "name": "web",
  "lockfileVersion": 3,
  "packages": {
    "": { "name": "web", "dependencies": { "readline-gpl": "1.0.0", "mozilla-thing": "2.0.0" } },
    "node_modules/readline-gpl": { "version": "1.0.0", "license": "GPL-3.0-only" },
    "node_modules/mozilla-thing": { "version": "2.0.0", "license": "MPL-2.0" }
  }
}
"#;
    let target = ("https://licenses.gitlab.example.com", 11, "group/web");
    seed(app, target, "licenses", &[("package-lock.json", lock)]).await
}

#[tokio::test]
async fn license_issues_filter_by_category_and_their_panel_shows_it() {
    for app in TestApp::all().await {
        seed_licenses(&app).await;
        let (session, _) = signed_in(&app).await;

        let api = app.get("/api/v1/issues?license_category=strong_copyleft", &app.admin).await;
        assert_eq!(api.status, StatusCode::OK, "{api:?}");
        let items = api.json["items"].as_array().unwrap();
        assert_eq!(items.len(), 1, "{api:?}");
        assert_eq!(items[0]["title"], "readline-gpl 1.0.0: GPL-3.0-only (strong copyleft)");
        assert_eq!(items[0]["license"]["category"], "strong_copyleft");
        let weak =
            app.get("/api/v1/issues?kind=license&license_category=weak_copyleft", &app.admin).await;
        let weak = weak.json["items"].as_array().unwrap();
        assert_eq!(weak.len(), 1, "{weak:?}");
        assert_eq!(weak[0]["license"]["expression"], "MPL-2.0");
        let none = app.get("/api/v1/issues?license_category=permissive", &app.admin).await;
        assert_eq!(none.json["items"].as_array().unwrap().len(), 0, "{none:?}");
        let bad = app.get("/api/v1/issues?license_category=gpl", &app.admin).await;
        assert_eq!(bad.status, StatusCode::BAD_REQUEST);
        assert!(
            bad.json.to_string().contains(
                "unknown license category `gpl` (expected one of: permissive, weak_copyleft, strong_copyleft, network_copyleft, non_permissive, unknown)"
            ),
            "{bad:?}"
        );

        // The dashboard breaks license issues down by category.
        let dashboard = app.get("/", &session).await;
        let dashboard = html(&dashboard);
        assert!(
            dashboard.contains(r#"<h2 id="chart-licenses">Open license issues by category</h2>"#),
            "{dashboard}"
        );
        let chart = dashboard.split("chart-licenses").nth(2).unwrap_or_default();
        assert!(chart.contains("Weak copyleft") && chart.contains("Strong copyleft"), "{chart}");
        assert!(!chart.contains("Permissive"), "{chart}");

        let page = app.get("/issues?license=strong_copyleft", &session).await;
        let page = html(&page);
        assert!(
            page.contains(r#"<option value="strong_copyleft" selected>Strong copyleft</option>"#),
            "{page}"
        );
        assert!(
            page.contains(r#"<option value="non_permissive">Non-permissive</option>"#),
            "{page}"
        );
        assert!(page.contains("readline-gpl 1.0.0"), "{page}");
        assert!(!page.contains("mozilla-thing 2.0.0"), "{page}");

        let id = items[0]["id"].as_i64().unwrap();
        let panel = app.get(&format!("/issues/{id}/panel?back=%2Fissues"), &session).await;
        assert_license_rows(html(&panel), "GPL-3.0-only", "strong copyleft");
        app.finish().await;
    }
}

/// The issue panel's License, Category and Policy rows (the default
/// policy's words for the category).
fn assert_license_rows(panel: &str, expression: &str, category: &str) {
    for row in [
        format!(r#"<dd class="mono" id="issue-license">{expression}</dd>"#),
        format!(r#"<dd id="issue-license-category">{category}</dd>"#),
        format!(
            r#"<dd id="issue-license-policy">{}{} licenses are high by default</dd>"#,
            category[..1].to_uppercase(),
            &category[1..]
        ),
    ] {
        assert!(panel.contains(&row), "{row} in {panel}");
    }
}

/// LIC003 through the server: a vendored GPL directory under an MIT
/// repository is a license issue without a package; the API's category
/// filter finds it and its panel shows the license, category and policy.
#[tokio::test]
async fn vendored_code_license_issues_show_in_the_api_and_panel() {
    let text = |id: &str| {
        spdx::text::LICENSE_TEXTS.iter().find(|(name, _)| *name == id).map_or("", |(_, t)| *t)
    };
    for app in TestApp::all().await {
        let target = ("https://vendored.gitlab.example.com", 12, "group/tool");
        let files =
            [("LICENSE", text("MIT")), ("third_party/readline/COPYING", text("GPL-3.0-only"))];
        seed(&app, target, "licenses", &files).await;
        let (session, _) = signed_in(&app).await;

        let api = app
            .get("/api/v1/issues?kind=license&license_category=strong_copyleft", &app.admin)
            .await;
        assert_eq!(api.status, StatusCode::OK, "{api:?}");
        let items = api.json["items"].as_array().unwrap();
        assert_eq!(items.len(), 1, "{api:?}");
        assert_eq!(items[0]["rule_id"], "LIC003");
        assert_eq!(
            items[0]["title"],
            "Vendored code in third_party/readline/: GPL-3.0-only (strong copyleft)"
        );
        assert_eq!(items[0]["path"], "third_party/readline/COPYING");
        assert!(items[0]["package"].is_null(), "{api:?}");

        let id = items[0]["id"].as_i64().unwrap();
        let panel = app.get(&format!("/issues/{id}/panel?back=%2Fissues"), &session).await;
        assert_license_rows(html(&panel), "GPL-3.0-only", "strong copyleft");
        app.finish().await;
    }
}
