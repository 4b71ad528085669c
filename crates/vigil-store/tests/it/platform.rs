//! The platform tables on every backend: accounts and tokens, secrets at
//! rest and key rotation, cascade deletes, issue reconciliation across
//! scans, suppressions and their expiry, issue lists, scan history limit,
//! leases and the scheduler's due repositories.

use vigil_core::{
    Dependency, Diagnostic, DiagnosticLevel, Finding, FindingKind, IssueStatus, LicenseInfo,
    Location, Package, Resource, Severity,
};
use vigil_store::{
    IssueFilter, IssueSort, Keyring, NewInstance, NewJob, NewScan, ReconcileCounts,
    SCAN_HISTORY_LIMIT, ScanScope, SecretString, Store, StoreError,
};

use crate::stores;

const T0: i64 = 1_764_000_000_000;

/// The store with a fresh master key.
fn keyed(store: &Store) -> Store {
    store.clone().with_keyring(Keyring::from_base64(&Keyring::generate_key(), "test").unwrap())
}

fn finding(rule: &str, path: &str, content: &str, severity: Severity) -> Finding {
    Finding::new(
        FindingKind::Secret,
        rule,
        format!("{rule} title"),
        severity,
        Location::line_span(path, 3, 1, 3, 20),
        content,
    )
}

/// The instance the tests connect: `https://gitlab.example.com`.
fn new_instance() -> NewInstance {
    NewInstance {
        name: "gitlab".into(),
        base_url: "https://gitlab.example.com".into(),
        oauth_client_id: Some("client".into()),
        oauth_client_secret: Some(SecretString::new("gloas-0123456789")),
        transporter_id: None,
        scan_interval_s: 3600,
        created_by: Some("user:ada".into()),
    }
}

async fn repository(store: &Store) -> i64 {
    let instance = store.create_instance(&new_instance(), T0).await.unwrap();
    store.upsert_repository(instance.id, 42, "group/app", "main", T0).await.unwrap().id
}

async fn scan(
    store: &Store,
    repository_id: i64,
    scope: ScanScope,
    findings: &[Finding],
    now: i64,
) -> ReconcileCounts {
    let new = NewScan {
        repository_id,
        branch: "main".into(),
        commit_sha: None,
        trigger: "manual".into(),
        scope: scope.clone(),
    };
    let scan = store.create_scan(&new, now).await.unwrap();
    store.start_scan(scan.id, now).await.unwrap();
    store.finish_scan(scan.id, &scope, findings, 10, &[], now + 5).await.unwrap()
}

fn counts(findings: i64, new_issues: i64, fixed_issues: i64, reopened: i64) -> ReconcileCounts {
    ReconcileCounts { findings, new_issues, fixed_issues, reopened }
}

async fn statuses(store: &Store) -> Vec<(String, String)> {
    let page = store.issues(&IssueFilter { limit: 100, ..IssueFilter::default() }).await.unwrap();
    let mut statuses: Vec<_> =
        page.issues.into_iter().map(|issue| (issue.rule_id, issue.status.to_string())).collect();
    statuses.sort();
    statuses
}

#[tokio::test]
async fn issues_are_created_kept_fixed_and_reopened() {
    for test in stores().await {
        let store = keyed(&test.store);
        let repo = repository(&store).await;
        let a = finding("SEC001", "a.env", "AKIAAAAAAAAAAAAAAAAA", Severity::High);
        let b = finding(
            "SEC002",
            "b.env",
            "ghp_bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb",
            Severity::Critical,
        );
        assert_eq!(
            scan(&store, repo, ScanScope::Full, &[a.clone(), b.clone()], T0).await,
            counts(2, 2, 0, 0),
            "{}",
            test.name
        );
        // Same findings again: nothing new; a retried job is harmless.
        assert_eq!(
            scan(&store, repo, ScanScope::Full, &[a.clone(), b.clone(), b.clone()], T0 + 10).await,
            counts(2, 0, 0, 0)
        );
        // A scan of other paths does not fix b.
        assert_eq!(
            scan(&store, repo, ScanScope::Paths(vec!["c.env".into()]), &[], T0 + 20).await,
            counts(0, 0, 0, 0)
        );
        // A full scan without b fixes it.
        assert_eq!(
            scan(&store, repo, ScanScope::Full, std::slice::from_ref(&a), T0 + 30).await,
            counts(1, 0, 1, 0)
        );
        assert_eq!(
            statuses(&store).await,
            [("SEC001".into(), "open".into()), ("SEC002".into(), "fixed".into())]
        );
        // b comes back: reopened.
        assert_eq!(
            scan(
                &store,
                repo,
                ScanScope::Paths(vec!["b.env".into()]),
                std::slice::from_ref(&b),
                T0 + 40
            )
            .await,
            counts(1, 0, 0, 1)
        );
        // A changed-files scan covering a.env without a fixes a.
        assert_eq!(
            scan(&store, repo, ScanScope::Paths(vec!["a.env".into()]), &[], T0 + 50).await,
            counts(0, 0, 1, 0)
        );
        let scans = store.scans(Some(repo), None, 10).await.unwrap();
        assert_eq!(scans.len(), 6);
        assert_eq!((scans[0].status.as_str(), scans[0].duration_ms), ("succeeded", Some(5)));
        test.drop_database().await.unwrap();
    }
}

#[tokio::test]
async fn suppressions_hold_until_lifted_or_expired() {
    for test in stores().await {
        let store = keyed(&test.store);
        let repo = repository(&store).await;
        let a = finding("SEC001", "a.env", "AKIAAAAAAAAAAAAAAAAA", Severity::High);
        let b = finding("SEC002", "b.env", "xoxb-1", Severity::Low);
        scan(&store, repo, ScanScope::Full, &[a.clone(), b.clone()], T0).await;
        let issues = store
            .issues(&IssueFilter { limit: 10, ..IssueFilter::default() })
            .await
            .unwrap()
            .issues;
        let (high, low) = (issues[0].id, issues[1].id);
        let kept =
            store.suppress(high, "test fixture", "alice", Some(T0 + 1_000), T0 + 1).await.unwrap();
        let forever = store.suppress(low, "accepted", "alice", None, T0 + 1).await.unwrap();
        assert!(matches!(
            store.suppress(high, "again", "bob", None, T0 + 2).await,
            Err(StoreError::Conflict(_))
        ));
        // Seen again while suppressed: stays suppressed.
        scan(&store, repo, ScanScope::Full, &[a.clone(), b.clone()], T0 + 10).await;
        assert_eq!(
            statuses(&store).await,
            [("SEC001".into(), "suppressed".into()), ("SEC002".into(), "suppressed".into())]
        );
        assert_eq!(store.expire_suppressions(T0 + 999).await.unwrap(), 0);
        assert_eq!(store.expire_suppressions(T0 + 1_000).await.unwrap(), 1);
        assert_eq!(
            statuses(&store).await,
            [("SEC001".into(), "open".into()), ("SEC002".into(), "suppressed".into())]
        );
        assert_eq!(store.suppression(kept.id).await.unwrap().unwrap().ended_at, Some(T0 + 1_000));
        assert!(store.lift_suppression(forever.id, T0 + 2_000).await.unwrap());
        assert!(!store.lift_suppression(forever.id, T0 + 2_001).await.unwrap());
        assert_eq!(
            statuses(&store).await,
            [("SEC001".into(), "open".into()), ("SEC002".into(), "open".into())]
        );
        assert_eq!(store.suppressions(None, true).await.unwrap().len(), 0);
        assert_eq!(store.suppressions(Some(high), false).await.unwrap().len(), 1);
        test.drop_database().await.unwrap();
    }
}

#[tokio::test]
async fn issue_lists_filter_sort_and_page_without_gaps() {
    for test in stores().await {
        let store = keyed(&test.store);
        let repo = repository(&store).await;
        let severities = [Severity::Critical, Severity::High, Severity::Medium, Severity::Low];
        let findings: Vec<Finding> = (0..37)
            .map(|n| {
                finding(
                    &format!("SEC{:03}", n % 5),
                    &format!("dir/file_{n}.env"),
                    &format!("secret-{n}"),
                    severities[n % 4],
                )
            })
            .collect();
        scan(&store, repo, ScanScope::Full, &findings, T0).await;
        for sort in [IssueSort::Severity, IssueSort::LastSeen, IssueSort::FirstSeen] {
            let mut seen = Vec::new();
            let mut after = None;
            loop {
                let page = store
                    .issues(&IssueFilter { sort, after, limit: 10, ..IssueFilter::default() })
                    .await
                    .unwrap();
                seen.extend(page.issues.iter().map(|issue| issue.id));
                after = page.next;
                if after.is_none() {
                    break;
                }
            }
            let mut unique = seen.clone();
            unique.sort();
            unique.dedup();
            assert_eq!((seen.len(), unique.len()), (37, 37), "{} {sort:?}", test.name);
        }
        let first = store
            .issues(&IssueFilter { limit: 37, ..IssueFilter::default() })
            .await
            .unwrap()
            .issues;
        assert!(first.windows(2).all(|pair| pair[0].severity >= pair[1].severity));
        let critical =
            IssueFilter { severity: Some("critical".into()), limit: 100, ..IssueFilter::default() };
        assert_eq!(store.issues(&critical).await.unwrap().issues.len(), 10);
        let rule =
            IssueFilter { rule_id: Some("SEC003".into()), limit: 100, ..IssueFilter::default() };
        assert_eq!(store.issues(&rule).await.unwrap().issues.len(), 7);
        let text =
            IssueFilter { text: Some("FILE_1".into()), limit: 100, ..IssueFilter::default() };
        // file_1, file_10..file_19
        assert_eq!(store.issues(&text).await.unwrap().issues.len(), 11);
        let wildcard = IssueFilter { text: Some("%".into()), limit: 100, ..IssueFilter::default() };
        assert_eq!(store.issues(&wildcard).await.unwrap().issues.len(), 0);
        test.drop_database().await.unwrap();
    }
}

#[tokio::test]
async fn secrets_are_encrypted_at_rest_and_survive_rotation() {
    for test in stores().await {
        let old = Keyring::generate_key();
        let store = test.store.clone().with_keyring(Keyring::from_base64(&old, "old").unwrap());
        let repo = repository(&store).await;
        let instance = store.repository(repo).await.unwrap().unwrap().instance_id;
        store
            .set_instance_secret(
                instance,
                "access_token_enc",
                Some(&SecretString::new("glpat-abc")),
                T0,
            )
            .await
            .unwrap();
        let row_text = store.instances().await.unwrap();
        assert!(row_text[0].has_client_secret);
        // Without the key: a clear error, not garbage.
        let keyless = test.store.clone();
        assert!(matches!(
            keyless.instance_secret(instance, "access_token_enc").await,
            Err(StoreError::NoKeyring)
        ));
        let stranger = test
            .store
            .clone()
            .with_keyring(Keyring::from_base64(&Keyring::generate_key(), "x").unwrap());
        let error =
            stranger.instance_secret(instance, "access_token_enc").await.unwrap_err().to_string();
        assert!(error.contains("not loaded"), "{error}");
        // Rotation: new key first, old one still decrypts.
        let new = Keyring::generate_key();
        let rotating = test.store.clone().with_keyring(
            Keyring::from_base64(&new, "new")
                .unwrap()
                .with_decrypt_keys(Keyring::from_base64(&old, "old").unwrap()),
        );
        assert_eq!(rotating.reencrypt_secrets().await.unwrap(), 2);
        assert_eq!(rotating.reencrypt_secrets().await.unwrap(), 0);
        let rotated = test.store.clone().with_keyring(Keyring::from_base64(&new, "new").unwrap());
        assert_eq!(
            rotated.instance_secret(instance, "oauth_secret_enc").await.unwrap().unwrap().expose(),
            "gloas-0123456789"
        );
        assert_eq!(
            rotated.instance_secret(instance, "access_token_enc").await.unwrap().unwrap().expose(),
            "glpat-abc"
        );
        assert!(matches!(
            rotated.instance_secret(instance, "password_hash").await,
            Err(StoreError::NotEncrypted(_))
        ));
        test.drop_database().await.unwrap();
    }
}

#[tokio::test]
async fn deleting_an_instance_leaves_no_row_behind() {
    for test in stores().await {
        let store = keyed(&test.store);
        let repo = repository(&store).await;
        let a = finding("SEC001", "a.env", "AKIAAAAAAAAAAAAAAAAA", Severity::High);
        scan(&store, repo, ScanScope::Full, &[a], T0).await;
        let issue =
            store.issues(&IssueFilter { limit: 1, ..IssueFilter::default() }).await.unwrap().issues
                [0]
            .id;
        store.suppress(issue, "fixture", "alice", None, T0).await.unwrap();
        let instance = store.repository(repo).await.unwrap().unwrap().instance_id;
        assert!(store.delete_instance(instance).await.unwrap());
        assert!(store.repositories(None).await.unwrap().is_empty());
        assert!(store.scans(None, None, 10).await.unwrap().is_empty());
        assert!(
            store
                .issues(&IssueFilter { limit: 10, ..IssueFilter::default() })
                .await
                .unwrap()
                .issues
                .is_empty()
        );
        assert!(store.suppressions(None, false).await.unwrap().is_empty());
        test.drop_database().await.unwrap();
    }
}

#[tokio::test]
async fn scan_history_keeps_the_last_thousand_per_repository() {
    for test in stores().await {
        let store = keyed(&test.store);
        let repo = repository(&store).await;
        let new = NewScan {
            repository_id: repo,
            branch: "main".into(),
            commit_sha: None,
            trigger: "schedule".into(),
            scope: ScanScope::Full,
        };
        let mut last = 0;
        for n in 0..(SCAN_HISTORY_LIMIT + 5) {
            last = store.create_scan(&new, T0 + n).await.unwrap().id;
        }
        let mut kept = Vec::new();
        let mut before = None;
        loop {
            let page = store.scans(Some(repo), before, 500).await.unwrap();
            let Some(tail) = page.last() else { break };
            before = Some(tail.id);
            kept.extend(page.into_iter().map(|scan| scan.id));
        }
        assert_eq!(kept.len() as i64, SCAN_HISTORY_LIMIT, "{}", test.name);
        assert_eq!(kept[0], last);
        test.drop_database().await.unwrap();
    }
}

#[tokio::test]
async fn accounts_tokens_and_audit() {
    for test in stores().await {
        let store = &test.store;
        let alice = store.create_user("alice", "$argon2id$fake", "admin", T0).await.unwrap();
        assert!(matches!(
            store.create_user("alice", "x", "viewer", T0).await,
            Err(StoreError::Conflict(_))
        ));
        assert_eq!(store.admin_count().await.unwrap(), 1);
        let token = store
            .create_token(alice.id, "ci", "hash-1", "vgl_abcd", "read", T0, Some(T0 + 10))
            .await
            .unwrap();
        let (owner, found) = store.token_by_hash("hash-1").await.unwrap().unwrap();
        assert_eq!(
            (owner.username.as_str(), found.id, found.expires_at),
            ("alice", token.id, Some(T0 + 10))
        );
        assert!(store.revoke_token(token.id, T0 + 1).await.unwrap());
        assert!(!store.revoke_token(token.id, T0 + 2).await.unwrap());
        assert_eq!(
            store.token_by_hash("hash-1").await.unwrap().unwrap().1.revoked_at,
            Some(T0 + 1)
        );
        store.create_session("session-hash", alice.id, "csrf", T0, T0 + 100).await.unwrap();
        assert_eq!(store.session("session-hash", T0 + 50).await.unwrap().unwrap().1, "csrf");
        assert!(store.session("session-hash", T0 + 100).await.unwrap().is_none());
        store.create_session("s2", alice.id, "csrf2", T0, T0 + 100).await.unwrap();
        let disabled = store.update_user(alice.id, None, Some(true), None).await.unwrap().unwrap();
        assert!(disabled.disabled);
        assert!(store.session("s2", T0 + 1).await.unwrap().is_none(), "disabling ends sessions");
        store.audit("user:alice", "token.revoke", "token:1", "", T0).await.unwrap();
        store.audit("user:alice", "user.update", "user:1", "disabled", T0 + 1).await.unwrap();
        let log = store.audit_log(None, 10).await.unwrap();
        assert_eq!(
            log.iter().map(|entry| entry.action.as_str()).collect::<Vec<_>>(),
            ["user.update", "token.revoke"]
        );
        assert_eq!(store.audit_log(Some(log[0].id), 10).await.unwrap().len(), 1);
        assert!(store.delete_user(alice.id).await.unwrap());
        assert!(store.token_by_hash("hash-1").await.unwrap().is_none());
        test.drop_database().await.unwrap();
    }
}

#[tokio::test]
async fn one_lease_holder_and_due_repositories_once_per_interval() {
    for test in stores().await {
        let store = keyed(&test.store);
        assert!(store.acquire_lease("scheduler", "server-a", 1_000, T0).await.unwrap());
        assert!(!store.acquire_lease("scheduler", "server-b", 1_000, T0 + 500).await.unwrap());
        assert!(
            store.acquire_lease("scheduler", "server-a", 1_000, T0 + 500).await.unwrap(),
            "renewal"
        );
        assert!(!store.acquire_lease("scheduler", "server-b", 1_000, T0 + 1_400).await.unwrap());
        assert!(
            store.acquire_lease("scheduler", "server-b", 1_000, T0 + 1_600).await.unwrap(),
            "expired"
        );
        store.release_lease("scheduler", "server-b").await.unwrap();
        assert!(store.acquire_lease("scheduler", "server-a", 1_000, T0 + 1_700).await.unwrap());

        let repo = repository(&store).await; // next_scan_at = T0, interval 3600 s
        assert_eq!(store.take_due_repositories(T0, 10).await.unwrap(), [(repo, "main".to_owned())]);
        assert!(store.take_due_repositories(T0 + 1_000, 10).await.unwrap().is_empty());
        assert_eq!(store.take_due_repositories(T0 + 3_600_000, 10).await.unwrap().len(), 1);
        test.drop_database().await.unwrap();
    }
}

#[tokio::test]
async fn a_merge_request_keeps_its_note_across_updates_and_goes_with_its_repository() {
    for test in stores().await {
        let store = &keyed(&test.store);
        let repository_id = repository(store).await;
        let mut merge_request = vigil_store::MergeRequest {
            repository_id,
            iid: 7,
            title: "Add AWS config".into(),
            source_branch: "feature".into(),
            target_branch: "main".into(),
            state: "opened".into(),
            head_sha: None,
            note_id: None,
            status: None,
            open_issues: 0,
            updated_at: T0,
        };
        store.upsert_merge_request(&merge_request).await.unwrap();
        let feedback = vigil_store::MergeRequest {
            head_sha: Some("abc".into()),
            note_id: Some(991),
            status: Some("failed".into()),
            open_issues: 2,
            updated_at: T0 + 1,
            ..merge_request.clone()
        };
        store.set_merge_request_feedback(&feedback).await.unwrap();
        merge_request.title = "Add AWS config (fixed)".into();
        merge_request.updated_at = T0 + 2;
        store.upsert_merge_request(&merge_request).await.unwrap();
        let stored = store.merge_request(repository_id, 7).await.unwrap().unwrap();
        assert_eq!(
            (stored.title.as_str(), stored.note_id, stored.status.as_deref(), stored.open_issues),
            ("Add AWS config (fixed)", Some(991), Some("failed"), 2),
            "{}",
            test.name
        );
        assert_eq!(store.merge_requests(repository_id, 10).await.unwrap().len(), 1);
        store.delete_repository(repository_id).await.unwrap();
        assert!(store.merge_request(repository_id, 7).await.unwrap().is_none(), "{}", test.name);
        test.drop_database().await.unwrap();
    }
}

#[tokio::test]
async fn cancelling_a_key_deletes_only_its_queued_jobs() {
    for test in stores().await {
        let queue = test.store.queue();
        let running = queue
            .enqueue(
                &vigil_store::NewJob::new("mr_scan", serde_json::json!({})).dedup_key("mr:1:7"),
                T0,
            )
            .await
            .unwrap();
        queue.claim("w", 60_000, T0).await.unwrap().unwrap();
        let queued = queue
            .enqueue(
                &vigil_store::NewJob::new("mr_scan", serde_json::json!({})).dedup_key("mr:1:7"),
                T0,
            )
            .await
            .unwrap();
        let other = queue
            .enqueue(
                &vigil_store::NewJob::new("mr_scan", serde_json::json!({})).dedup_key("mr:1:8"),
                T0,
            )
            .await
            .unwrap();
        assert_ne!(running.id, queued.id);
        assert_eq!(queue.cancel_queued("mr:1:7").await.unwrap(), vec![queued.id], "{}", test.name);
        let counts = queue.counts().await.unwrap();
        assert_eq!((counts.queued, counts.running), (1, 1), "{}: {other:?} stays", test.name);
        test.drop_database().await.unwrap();
    }
}

#[tokio::test]
async fn an_oauth_state_works_once_within_ten_minutes_and_tokens_are_stored_as_a_pair() {
    for test in stores().await {
        let store = &keyed(&test.store);
        let repository_id = repository(store).await;
        let instance_id = store.repository(repository_id).await.unwrap().unwrap().instance_id;
        let alice = store.create_user("alice", "$argon2id$fake", "admin", T0).await.unwrap();
        let flow = vigil_store::OAuthState {
            instance_id,
            user_id: alice.id,
            code_verifier: "v".repeat(64),
        };
        use vigil_store::StateTaken;
        let session = Some("csrf-of-session-a");
        store.save_oauth_state("state-1", &flow, session, T0).await.unwrap();
        store.save_oauth_state("state-2", &flow, session, T0).await.unwrap();
        store.save_oauth_state("state-3", &flow, None, T0).await.unwrap();
        let take = |state: &'static str, user: i64, session: Option<&'static str>, now: i64| {
            let store = store.clone();
            async move { store.take_oauth_state(state, user, session, now).await.unwrap() }
        };
        // Another session of the same user, another user: refused, and the
        // state is left for the session that started it.
        assert_eq!(
            take("state-1", alice.id, Some("csrf-of-session-b"), T0 + 1).await,
            StateTaken::OtherSession
        );
        assert_eq!(take("state-1", alice.id, None, T0 + 1).await, StateTaken::OtherSession);
        assert_eq!(take("state-1", alice.id + 1, session, T0 + 1).await, StateTaken::OtherUser);
        assert_eq!(
            take("state-1", alice.id, session, T0 + 1).await,
            StateTaken::Taken(flow.clone())
        );
        assert_eq!(
            take("state-1", alice.id, session, T0 + 2).await,
            StateTaken::Unknown,
            "{}: reused",
            test.name
        );
        assert_eq!(take("forged", alice.id, session, T0 + 2).await, StateTaken::Unknown);
        // Started with an API token: bound to the user only.
        assert_eq!(
            take("state-3", alice.id, Some("any-session"), T0 + 2).await,
            StateTaken::Taken(flow.clone())
        );
        let late = T0 + vigil_store::OAUTH_STATE_TTL_MS + 1;
        assert_eq!(
            take("state-2", alice.id, session, late).await,
            StateTaken::Unknown,
            "{}: expired",
            test.name
        );

        let access = SecretString::new("gloat-access");
        let refresh = SecretString::new("gloat-refresh");
        store
            .set_instance_tokens(instance_id, &access, Some(&refresh), Some(T0 + 7_200_000), T0)
            .await
            .unwrap();
        let read = |column: &'static str| async move {
            store
                .instance_secret(instance_id, column)
                .await
                .unwrap()
                .map(|secret| secret.expose().to_owned())
        };
        assert_eq!(read("access_token_enc").await.as_deref(), Some("gloat-access"));
        assert_eq!(read("refresh_token_enc").await.as_deref(), Some("gloat-refresh"));
        assert_eq!(store.instance_token_expiry(instance_id).await.unwrap(), Some(T0 + 7_200_000));
        test.drop_database().await.unwrap();
    }
}

#[tokio::test]
async fn overviews_count_open_issues_trends_and_resolution() {
    const DAY: i64 = 86_400_000;
    for test in stores().await {
        let store = keyed(&test.store);
        let repo = repository(&store).await;
        let a = finding("SEC001", "a.env", "AKIAAAAAAAAAAAAAAAAA", Severity::High);
        let b = finding(
            "SEC002",
            "b.env",
            "ghp_bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb",
            Severity::Critical,
        );
        let c = finding("SEC003", "c.env", "xoxb-cccccccccccccccccccc", Severity::Low);
        scan(&store, repo, ScanScope::Full, &[a.clone(), b.clone(), c.clone()], T0).await;
        // Two days later b is gone: fixed 2 days after it was first seen.
        scan(&store, repo, ScanScope::Full, &[a.clone(), c.clone()], T0 + 2 * DAY).await;

        let open = store.open_counts().await.unwrap();
        let mut cells = open.cells.clone();
        cells.sort();
        assert_eq!(
            cells,
            [("secret".into(), "high".into(), 1), ("secret".into(), "low".into(), 1)],
            "{}",
            test.name
        );

        let overview = store.repository_overview(None).await.unwrap();
        assert_eq!(overview.len(), 1);
        assert_eq!(overview[0].last_scan_status.as_deref(), Some("succeeded"));
        assert_eq!(overview[0].last_scan_at, Some(T0 + 2 * DAY + 5));
        assert_eq!(overview[0].open.iter().map(|cell| cell.2).sum::<i64>(), 2);

        let trend = store.issue_trend(30, T0 + 2 * DAY).await.unwrap();
        assert_eq!(trend.len(), 30);
        assert_eq!(trend.iter().map(|day| day.new).sum::<i64>(), 3);
        assert_eq!(trend.last().unwrap().fixed, 1, "fixed on the last day");
        assert!(trend.windows(2).all(|pair| pair[1].day - pair[0].day == DAY));

        let top = store.top_repositories(10).await.unwrap();
        assert_eq!(top, [(repo, "group/app".to_owned(), 2, 1)]);

        let resolution = store.resolution(T0).await.unwrap();
        assert_eq!(resolution.fixed, 1);
        assert_eq!(resolution.mean_ms, Some(2 * DAY));

        let footprint = store
            .instance_footprint(store.repository(repo).await.unwrap().unwrap().instance_id)
            .await
            .unwrap();
        assert_eq!(
            (footprint.repositories, footprint.scans, footprint.issues, footprint.webhooks),
            (1, 2, 3, 0)
        );
        test.drop_database().await.unwrap();
    }
}

#[tokio::test]
async fn transporter_holds_are_renewed_go_stale_and_are_released() {
    for test in stores().await {
        let store = &test.store;
        let transporter = store.create_transporter("dc1", "enrolment-hash", T0).await.unwrap();
        let id = transporter.id;
        assert!(store.transporter_holders(id, T0).await.unwrap().is_empty());
        store.hold_transporter(id, "http://a:1", "http://a:1", T0).await.unwrap();
        store.hold_transporter(id, "http://b:1", "http://b:1", T0 + 10).await.unwrap();
        assert_eq!(
            store.transporter_holders(id, T0).await.unwrap(),
            ["http://b:1", "http://a:1"],
            "{}",
            test.name
        );
        // a renews; b is not renewed and goes stale.
        store.hold_transporter(id, "http://a:1", "http://a:1", T0 + 200_000).await.unwrap();
        assert_eq!(store.transporter_holders(id, T0 + 50_000).await.unwrap(), ["http://a:1"]);
        store.release_transporter(id, "http://a:1").await.unwrap();
        assert!(store.transporter_holders(id, T0 + 50_000).await.unwrap().is_empty());
        // Deleting the transporter takes its holds with it.
        store.delete_transporter(id).await.unwrap();
        assert_eq!(test.count_rows("transporter_holders").await.unwrap(), 0);
        test.drop_database().await.unwrap();
    }
}

#[tokio::test]
async fn settings_are_stored_replaced_and_attributed() {
    for test in stores().await {
        let store = &test.store;
        assert_eq!(store.setting("default_policy").await.unwrap(), None);
        store
            .set_setting("default_policy", r#"{"fail_on":"high"}"#, Some("ada"), T0)
            .await
            .unwrap();
        store.set_setting("default_policy", r#"{"fail_on":"never"}"#, None, T0 + 5).await.unwrap();
        let setting = store.setting("default_policy").await.unwrap().unwrap();
        assert_eq!(
            (setting.value.as_str(), setting.updated_at, setting.updated_by),
            (r#"{"fail_on":"never"}"#, T0 + 5, None)
        );
        assert_eq!(store.setting("other").await.unwrap(), None);
    }
}

#[tokio::test]
async fn issues_keep_package_resource_and_license_and_scans_keep_diagnostics_as_rows() {
    for test in stores().await {
        let store = keyed(&test.store);
        let repo = repository(&store).await;
        let mut vulnerability =
            finding("RUSTSEC-2022-0013", "Cargo.lock", "regex 1.5.4", Severity::High);
        vulnerability.kind = FindingKind::Vulnerability;
        vulnerability.package = Some(Package {
            ecosystem: "crates.io".into(),
            purl: "pkg:cargo/regex@1.5.4".into(),
            name: "regex".into(),
            version: "1.5.4".into(),
            dependency: Dependency::Transitive,
            fixed_versions: vec!["1.5.5".into()],
            dependency_path: vec!["actix-web@4.0.0".into(), "regex@1.5.4".into()],
        });
        let mut iac = finding("IAC001", "infra/s3.tf", "aws_s3_bucket.logs", Severity::Medium);
        iac.kind = FindingKind::Iac;
        iac.resource = Some(Resource {
            address: "aws_s3_bucket.logs".into(),
            framework: "terraform".into(),
            attribute: None,
            attribute_line: None,
        });
        let mut license = finding("LIC001", "package.json", "left-pad GPL-3.0", Severity::Low);
        license.kind = FindingKind::License;
        license.license = Some(LicenseInfo {
            expression: "GPL-3.0-only".into(),
            category: "strong_copyleft".into(),
        });
        let new = NewScan {
            repository_id: repo,
            branch: "main".into(),
            commit_sha: None,
            trigger: "manual".into(),
            scope: ScanScope::Full,
        };
        let created = store.create_scan(&new, T0).await.unwrap();
        let mut diagnostics = vec![
            Diagnostic::for_file(
                DiagnosticLevel::Error,
                "vigil.toml",
                "invalid vigil.toml: unknown field `polcy`",
            )
            .at(8, Some(2)),
            Diagnostic::for_file(DiagnosticLevel::Note, "big.bin", "skipped: binary file"),
        ];
        diagnostics.extend((0..1_005).map(|index| {
            Diagnostic::for_file(
                DiagnosticLevel::Note,
                format!("gen/{index}.bin"),
                "skipped: binary file",
            )
        }));
        let findings = [vulnerability.clone(), iac.clone(), license.clone()];
        store
            .finish_scan(created.id, &ScanScope::Full, &findings, 3, &diagnostics, T0 + 1)
            .await
            .unwrap();

        let issues = store
            .issues(&IssueFilter { limit: 10, ..IssueFilter::default() })
            .await
            .unwrap()
            .issues;
        let by_rule =
            |rule: &str| issues.iter().find(|issue| issue.rule_id == rule).unwrap().clone();
        let stored = by_rule("RUSTSEC-2022-0013");
        assert_eq!(
            (stored.kind, stored.severity, stored.status),
            (FindingKind::Vulnerability, Severity::High, IssueStatus::Open)
        );
        assert_eq!(stored.package, vulnerability.package, "{}", test.name);
        assert_eq!(by_rule("IAC001").resource, iac.resource);
        assert_eq!(by_rule("LIC001").license, license.license);
        assert_eq!((by_rule("IAC001").package, by_rule("LIC001").resource), (None, None));
        // Issues list by the IaC framework of their resource.
        let by_framework = |framework: &str| IssueFilter {
            framework: Some(framework.into()),
            limit: 10,
            ..IssueFilter::default()
        };
        let terraform = store.issues(&by_framework("terraform")).await.unwrap().issues;
        assert_eq!(
            terraform.iter().map(|issue| issue.rule_id.as_str()).collect::<Vec<_>>(),
            ["IAC001"],
            "{}",
            test.name
        );
        assert!(store.issues(&by_framework("kubernetes")).await.unwrap().issues.is_empty());

        let rows = store.scan_diagnostics(created.id).await.unwrap();
        assert_eq!(rows.len(), vigil_store::MAX_STORED_DIAGNOSTICS + 1);
        assert_eq!(rows[0], diagnostics[0], "the position survives the row");
        assert_eq!(rows[1], diagnostics[1]);
        assert_eq!(rows.last().unwrap().message, "7 more diagnostics not stored");
        let scan = store.scan(created.id).await.unwrap().unwrap();
        assert!(
            scan.errors.starts_with(
                "vigil.toml:8:2: invalid vigil.toml: unknown field `polcy`\nbig.bin: skipped"
            ),
            "{}",
            scan.errors
        );
        // A retried job writes the same rows, not twice as many.
        store
            .finish_scan(created.id, &ScanScope::Full, &findings, 3, &diagnostics[..1], T0 + 2)
            .await
            .unwrap();
        assert_eq!(store.scan_diagnostics(created.id).await.unwrap(), diagnostics[..1]);
    }
}

#[tokio::test]
async fn instance_creation_selection_and_deletion_commit_whole_or_not_at_all() {
    for test in stores().await {
        let store = keyed(&test.store);
        let new = new_instance();
        let secret = SecretString::new("hook-secret");
        let token = SecretString::new("glpat-token");
        let instance = store
            .create_instance_audited(&new, &secret, Some(&token), "user:ada", T0)
            .await
            .unwrap();
        let stored = store.instance_secret(instance.id, "webhook_secret_enc").await.unwrap();
        assert_eq!(stored.unwrap().expose(), "hook-secret");
        let stored = store.instance_secret(instance.id, "access_token_enc").await.unwrap();
        assert_eq!(stored.unwrap().expose(), "glpat-token");
        // The same URL again is refused, and leaves no audit entry behind.
        let again = store.create_instance_audited(&new, &secret, None, "user:bob", T0 + 1).await;
        assert!(matches!(again, Err(StoreError::Conflict(_))), "{}: {again:?}", test.name);
        let actions = |entries: Vec<vigil_store::AuditEntry>| -> Vec<(String, String)> {
            entries.into_iter().rev().map(|entry| (entry.actor, entry.action)).collect()
        };
        assert_eq!(
            actions(store.audit_log(None, 10).await.unwrap()),
            [("user:ada".to_owned(), "instance.create".to_owned())]
        );

        let sync =
            NewJob::new("sync_repositories", serde_json::json!({"instance_id": instance.id}))
                .dedup_key(format!("sync:{}", instance.id));
        let job = store
            .apply_selection(instance.id, "chosen", &[4, 2], &sync, "user:ada", T0 + 2)
            .await
            .unwrap()
            .unwrap();
        let again = store
            .apply_selection(instance.id, "all", &[], &sync, "user:ada", T0 + 3)
            .await
            .unwrap();
        assert_eq!(again, Some(job), "a queued sync takes the newer selection");
        let pending = store.instance(instance.id).await.unwrap().unwrap();
        assert_eq!(pending.status, "pending");
        assert_eq!(store.instance_selection(instance.id).await.unwrap().unwrap().0, "all");
        assert_eq!(store.apply_selection(999, "all", &[], &sync, "a", T0).await.unwrap(), None);
        assert_eq!(
            store.queue().counts().await.unwrap().queued,
            1,
            "no job for a missing instance"
        );

        // With a hook in GitLab the deletion waits for its job; without, it is immediate.
        let repository =
            store.upsert_repository(instance.id, 42, "group/app", "main", T0).await.unwrap();
        store.set_repository_webhook(repository.id, Some(7)).await.unwrap();
        let delete =
            NewJob::new("delete_instance", serde_json::json!({"instance_id": instance.id}));
        let deletion = store
            .request_instance_deletion(instance.id, &delete, "user:ada", T0 + 4)
            .await
            .unwrap()
            .unwrap();
        assert!(matches!(deletion, vigil_store::Deletion::Queued(_)), "{deletion:?}");
        assert_eq!(store.instance(instance.id).await.unwrap().unwrap().status, "deleting");
        store.set_repository_webhook(repository.id, None).await.unwrap();
        let deletion = store
            .request_instance_deletion(instance.id, &delete, "user:ada", T0 + 5)
            .await
            .unwrap();
        assert_eq!(deletion, Some(vigil_store::Deletion::Deleted));
        assert!(store.instance(instance.id).await.unwrap().is_none());
        assert_eq!(
            actions(store.audit_log(None, 10).await.unwrap())
                .into_iter()
                .map(|(_, action)| action)
                .collect::<Vec<_>>(),
            [
                "instance.create",
                "instance.selection",
                "instance.selection",
                "instance.delete",
                "instance.delete"
            ]
        );
    }
}
