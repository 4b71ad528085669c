//! Connecting an instance's repositories and letting them go: the
//! `sync_repositories` job lists the projects the token's user maintains,
//! records the selected ones, installs one Vigil hook on each (reusing an
//! existing one), queues their first full scan and sets the instance's
//! status; deselected repositories lose their hook and their data. The
//! `delete_instance` job removes every hook Vigil created before the rows
//! go, so no hook in GitLab points at a deleted instance.

use vigil_gitlab::{Client, GitLabError, HookEvents, Token};
use vigil_store::{Instance, NewJob, Queue, ScanScope, Store, StoreError};

use crate::gitlab::{instance_client, reason};
use crate::payloads::{self, JobError, SyncJob};
use crate::scanning::{Trigger, enqueue_scan};

/// What a sync did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SyncReport {
    /// Projects the token's user maintains.
    pub listed: usize,
    /// Repositories selected.
    pub selected: usize,
    /// Hooks created (the others were reused).
    pub hooks_created: usize,
    /// Repositories dropped with their data.
    pub removed: usize,
    /// Scans queued.
    pub scans: usize,
}

fn store_error(error: StoreError) -> String {
    error.to_string()
}

/// How often instances selected as "all existing and future" are synced
/// to discover new projects, when no system hook says so sooner (1 hour).
pub const DISCOVERY_INTERVAL_MS: i64 = 3_600_000;

/// Queues a sync of `instance_id`. The job reads the selection when it
/// runs, so syncs queued meanwhile collapse into it.
pub async fn enqueue_sync(store: &Store, instance_id: i64) -> Result<i64, StoreError> {
    Ok(store.queue().enqueue(&sync_job_for(instance_id), Queue::now_ms()).await?.id)
}

/// The sync job of `instance_id`: one queued at a time per instance.
pub fn sync_job_for(instance_id: i64) -> NewJob {
    payloads::job(&SyncJob { instance_id }).dedup_key(format!("sync:{instance_id}")).priority(20)
}

/// A system hook: a project created on an instance whose selection takes
/// future projects queues a sync, which connects it.
pub async fn on_system_event(
    store: &Store,
    instance_id: i64,
    payload: &serde_json::Value,
) -> Result<(), String> {
    let event = payload.get("event_name").and_then(serde_json::Value::as_str);
    if !matches!(event, Some("project_create" | "project_transfer" | "project_rename")) {
        return Ok(());
    }
    let selection = store.instance_selection(instance_id).await.map_err(store_error)?;
    if selection.is_some_and(|(mode, _)| mode == "all_and_future") {
        enqueue_sync(store, instance_id).await.map_err(store_error)?;
    }
    Ok(())
}

/// The sync job: one sync per instance at a time (a lease row), with the
/// selection read now, so the latest selection wins.
pub async fn sync_job(
    store: &Store,
    public_url: Option<&str>,
    instance_id: i64,
    job_id: i64,
) -> Result<SyncReport, JobError> {
    let lease = format!("sync:{instance_id}");
    let holder = format!("job:{job_id}");
    if !store
        .acquire_lease(&lease, &holder, 15 * 60_000, Queue::now_ms())
        .await
        .map_err(store_error)?
    {
        // Waiting uses none of this job's attempts: the other sync may take
        // minutes on a large instance.
        return Err(JobError::Wait {
            reason: "another sync of this instance is running; this one runs after it".into(),
            after_ms: 1_000,
        });
    }
    let result = match store.instance_selection(instance_id).await.map_err(store_error)? {
        Some((mode, chosen)) => {
            let chosen = (mode == "chosen").then_some(chosen);
            sync_repositories(store, public_url, instance_id, chosen.as_deref()).await
        }
        None => Ok(SyncReport::default()),
    };
    store.release_lease(&lease, &holder).await.map_err(store_error)?;
    Ok(result?)
}

/// Syncs instance `instance_id`: `chosen` lists GitLab project ids when the
/// selection is `chosen`; `all` and `all_and_future` select every project.
pub async fn sync_repositories(
    store: &Store,
    public_url: Option<&str>,
    instance_id: i64,
    chosen: Option<&[i64]>,
) -> Result<SyncReport, String> {
    let now = Queue::now_ms();
    let Some(instance) = store.instance(instance_id).await.map_err(store_error)? else {
        return Ok(SyncReport::default());
    };
    let result = sync_inner(store, public_url, &instance, chosen).await;
    match &result {
        Ok(_) => store
            .set_instance_status(instance_id, "connected", None, now)
            .await
            .map_err(store_error)?,
        Err(message) => store
            .set_instance_status(instance_id, "error", Some(message), now)
            .await
            .map_err(store_error)?,
    }
    result
}

/// Where GitLab posts this instance's webhooks: Vigil's public URL, or for
/// an instance behind a transporter, its agent's webhook listener.
async fn hook_base(
    store: &Store,
    public_url: Option<&str>,
    instance: &Instance,
) -> Result<String, String> {
    let Some(transporter) = instance.transporter_id else {
        return public_url.map(str::to_owned).ok_or_else(|| {
            "Vigil has no public URL (--public-url), so GitLab cannot deliver webhooks to it"
                .to_owned()
        });
    };
    let found = store.transporter(transporter).await.map_err(store_error)?;
    found.and_then(|transporter| transporter.webhook_url).ok_or_else(|| {
        format!(
            "transporter {transporter} has not reported a webhook listener; start its agent with \
             --webhook-listen (and --webhook-url) so GitLab can deliver webhooks"
        )
    })
}

async fn sync_inner(
    store: &Store,
    public_url: Option<&str>,
    instance: &Instance,
    chosen: Option<&[i64]>,
) -> Result<SyncReport, String> {
    let hook_base = hook_base(store, public_url, instance).await?;
    let hook_url = format!("{}/hooks/gitlab/{}", hook_base.trim_end_matches('/'), instance.id);
    let secret = store
        .webhook_secret(instance.id)
        .await
        .map_err(store_error)?
        .flatten()
        .ok_or("the instance has no webhook secret")?;
    let client = instance_client(store, instance).await?;
    let me = client.current_user().await.map_err(|error| reason(&error))?;
    let projects = client.maintained_projects().await.map_err(|error| reason(&error))?;
    let mut report = SyncReport { listed: projects.len(), ..SyncReport::default() };
    let now = Queue::now_ms();
    let mut problems = Vec::new();
    let wanted = |id: i64| chosen.is_none_or(|ids| ids.contains(&id));
    let mut seen = std::collections::HashSet::new();
    for project in &projects {
        let project_id = i64::try_from(project.id).map_err(|_| "project id out of range")?;
        seen.insert(project_id);
        let existing =
            store.repository_by_project(instance.id, project_id).await.map_err(store_error)?;
        if !wanted(project_id) {
            if let Some(repository) = existing {
                remove_repository(store, &client, &repository).await?;
                report.removed += 1;
            }
            continue;
        }
        let Some(branch) = project.default_branch.as_deref() else { continue };
        if let Some(owner) = store
            .project_owner_elsewhere(instance.id, project_id, &project.path_with_namespace)
            .await
            .map_err(store_error)?
        {
            problems.push(format!(
                "{}: already scanned through instance {owner} (a project belongs to one instance)",
                project.path_with_namespace
            ));
            continue;
        }
        let repository = store
            .upsert_repository(instance.id, project_id, &project.path_with_namespace, branch, now)
            .await
            .map_err(store_error)?;
        store.set_repository_selected(repository.id, true).await.map_err(store_error)?;
        report.selected += 1;
        match client
            .ensure_project_hook(
                project.id,
                &hook_url,
                &Token::new(secret.expose()),
                HookEvents::VIGIL,
            )
            .await
        {
            Ok((hook, created)) => {
                report.hooks_created += usize::from(created);
                let hook_id = i64::try_from(hook.id).ok();
                store.set_repository_webhook(repository.id, hook_id).await.map_err(store_error)?;
            }
            Err(error) => {
                problems.push(format!("{}: {}", project.path_with_namespace, reason(&error)));
                continue;
            }
        }
        // A first scan only for a repository that has none: an Edit, a
        // system hook or the hourly discovery re-syncs every repository,
        // and rescanning them all would queue a full download of each
        // (and meet GitLab's archive rate limit). Later full scans follow
        // the scan interval.
        if store.has_full_scan(repository.id, branch).await.map_err(store_error)? {
            continue;
        }
        let (_, deduplicated) =
            enqueue_scan(store, &repository, branch, ScanScope::Full, Trigger::Onboarding)
                .await
                .map_err(store_error)?;
        // The onboarding scan is this interval's full scan.
        store.postpone_periodic_scan(repository.id, now).await.map_err(store_error)?;
        report.scans += usize::from(!deduplicated);
    }
    let admin = me.is_admin == Some(true);
    sync_system_hook(store, &client, instance, &hook_url, &secret, admin).await?;
    // Repositories GitLab no longer lists (deleted, or access lost).
    for repository in store.repositories(Some(instance.id)).await.map_err(store_error)? {
        if !seen.contains(&repository.gitlab_project_id) {
            store.delete_repository(repository.id).await.map_err(store_error)?;
            report.removed += 1;
        }
    }
    if let Some(first) = problems.first() {
        return Err(format!(
            "{} of {} repositories could not be connected; first: {first}",
            problems.len(),
            report.selected
        ));
    }
    Ok(report)
}

/// "All existing and future" with an administrator's token: a system hook
/// tells Vigil at once when a project is created (the periodic discovery
/// sync finds it otherwise). Any other selection removes the hook. Failing
/// to install it is logged, not fatal: discovery still runs.
async fn sync_system_hook(
    store: &Store,
    client: &Client,
    instance: &Instance,
    hook_url: &str,
    secret: &vigil_store::SecretString,
    admin: bool,
) -> Result<(), String> {
    let existing = store.instance_system_hook(instance.id).await.map_err(store_error)?;
    if instance.selection == "all_and_future" && admin {
        match client.ensure_system_hook(hook_url, &Token::new(secret.expose())).await {
            Ok(hook) => store
                .set_instance_system_hook(instance.id, i64::try_from(hook.id).ok())
                .await
                .map_err(store_error)?,
            Err(error) => tracing::warn!(instance = instance.id, error = %reason(&error),
                "cannot install the system hook; new projects are found by the periodic sync"),
        }
    } else if let Some(hook) = existing {
        match client.delete_system_hook(u64::try_from(hook).unwrap_or(0)).await {
            Ok(()) | Err(GitLabError::Api { status: 403, .. }) => {
                store.set_instance_system_hook(instance.id, None).await.map_err(store_error)?
            }
            Err(error) => tracing::warn!(instance = instance.id, error = %reason(&error),
                "cannot remove the system hook; retried on the next sync"),
        }
    }
    Ok(())
}

async fn remove_repository(
    store: &Store,
    client: &Client,
    repository: &vigil_store::Repository,
) -> Result<(), String> {
    for (repository_id, project, hook) in
        store.instance_webhooks(repository.instance_id).await.map_err(store_error)?
    {
        if repository_id == repository.id {
            let (project, hook) =
                (u64::try_from(project).unwrap_or(0), u64::try_from(hook).unwrap_or(0));
            client.delete_project_hook(project, hook).await.map_err(|error| reason(&error))?;
        }
    }
    store.delete_repository(repository.id).await.map_err(store_error)
}

/// Removes every hook Vigil created on the instance's repositories, then
/// the instance with all its data. A hook that cannot be removed fails the
/// job (retried later) and keeps the rows, so nothing is forgotten.
pub async fn delete_instance(store: &Store, instance_id: i64) -> Result<(), String> {
    let Some(instance) = store.instance(instance_id).await.map_err(store_error)? else {
        return Ok(());
    };
    let hooks = store.instance_webhooks(instance_id).await.map_err(store_error)?;
    let system_hook = store.instance_system_hook(instance_id).await.map_err(store_error)?;
    if let Some(hook) = system_hook {
        let client = instance_client(store, &instance).await?;
        match client.delete_system_hook(u64::try_from(hook).unwrap_or(0)).await {
            // Gone, or the token lost its admin rights: nothing left to remove.
            Ok(()) | Err(GitLabError::Api { status: 403, .. }) => {}
            Err(error) => {
                return Err(format!("cannot remove Vigil's system hook: {}", reason(&error)));
            }
        }
        store.set_instance_system_hook(instance_id, None).await.map_err(store_error)?;
    }
    if !hooks.is_empty() {
        let client = instance_client(store, &instance).await?;
        for (repository_id, project, hook) in hooks {
            let (project, hook) =
                (u64::try_from(project).unwrap_or(0), u64::try_from(hook).unwrap_or(0));
            match client.delete_project_hook(project, hook).await {
                Ok(()) => {
                    store.set_repository_webhook(repository_id, None).await.map_err(store_error)?
                }
                // The project is gone or no longer ours: its hook went with it.
                Err(GitLabError::Api { status: 403 | 404, .. }) => {
                    store.set_repository_webhook(repository_id, None).await.map_err(store_error)?;
                }
                Err(error) => {
                    return Err(format!(
                        "cannot remove Vigil's hook from project {project}: {}",
                        reason(&error)
                    ));
                }
            }
        }
    }
    store.delete_instance(instance_id).await.map_err(store_error)?;
    Ok(())
}
