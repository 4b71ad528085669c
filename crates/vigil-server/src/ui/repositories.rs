//! Repositories (assets) per instance, with the last scan, open issues by
//! kind and severity and "Scan now"; and Scans: the history per
//! repository with trigger, duration, counts and errors.

use std::collections::HashMap;

use askama::Template;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use serde::Deserialize;
use vigil_store::Queue;

use super::{Anyone, Chrome, Member, PageResult, format, render};
use crate::AppState;
use crate::api::scans as api;
use crate::error::{ApiJson, ApiPath};

pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/repositories", get(repositories))
        .route("/repositories/{id}/scan", post(scan_now))
        .route("/scans", get(scans))
}

/// The severities, most severe first.
pub(super) const SEVERITIES: [&str; 5] = ["critical", "high", "medium", "low", "info"];
/// The finding kinds, as the engines name them.
pub(super) const KINDS: [(&str, &str); 5] = [
    ("secret", "Secrets"),
    ("iac", "IaC"),
    ("vulnerability", "Vulnerabilities"),
    ("license", "Licenses"),
    ("operational_risk", "Operational risk"),
];

struct RepositoryRow {
    id: i64,
    path: String,
    instance: String,
    branch: String,
    selected: bool,
    last_scan_status: String,
    last_scan: String,
    open_total: i64,
    by_kind: Vec<(&'static str, &'static str, i64)>,
    by_severity: Vec<(&'static str, i64)>,
}

#[derive(Template)]
#[template(path = "repositories.html")]
struct RepositoriesPage {
    chrome: Chrome,
    instances: Vec<(i64, String)>,
    instance: Option<i64>,
    rows: Vec<RepositoryRow>,
}

impl RepositoriesPage {
    fn is_instance(&self, id: impl std::borrow::Borrow<i64>) -> bool {
        self.instance == Some(*id.borrow())
    }
}

#[derive(Debug, Deserialize)]
struct InstanceFilter {
    instance: Option<String>,
}

async fn repositories(
    signed: Anyone,
    State(state): State<AppState>,
    Query(filter): Query<InstanceFilter>,
) -> PageResult {
    let instance = filter.instance.as_deref().and_then(|id| id.parse::<i64>().ok());
    let instances: Vec<(i64, String)> = state
        .store
        .instances()
        .await?
        .into_iter()
        .map(|instance| (instance.id, super::integrations::domain(&instance.base_url).to_owned()))
        .collect();
    let names: HashMap<i64, String> = instances.iter().cloned().collect();
    let now = Queue::now_ms();
    let rows = state
        .store
        .repository_overview(instance)
        .await?
        .into_iter()
        .map(|overview| {
            let count = |pick: &dyn Fn(&(String, String, i64)) -> bool| -> i64 {
                overview.open.iter().filter(|cell| pick(cell)).map(|cell| cell.2).sum()
            };
            let by_kind = KINDS
                .iter()
                .map(|(kind, label)| (*kind, *label, count(&|cell| cell.0 == *kind)))
                .filter(|(_, _, n)| *n > 0)
                .collect();
            let by_severity = SEVERITIES
                .iter()
                .map(|severity| (*severity, count(&|cell| cell.1 == *severity)))
                .filter(|(_, n)| *n > 0)
                .collect();
            RepositoryRow {
                id: overview.repository.id,
                instance: names.get(&overview.repository.instance_id).cloned().unwrap_or_default(),
                path: overview.repository.path,
                branch: overview.repository.default_branch,
                selected: overview.repository.selected,
                last_scan_status: overview.last_scan_status.unwrap_or_default(),
                last_scan: overview
                    .last_scan_at
                    .map_or_else(|| "never".to_owned(), |at| format::ago(at, now)),
                open_total: count(&|_| true),
                by_kind,
                by_severity,
            }
        })
        .collect();
    Ok(render(
        StatusCode::OK,
        &RepositoriesPage { chrome: signed.chrome("repositories"), instances, instance, rows },
    ))
}

#[derive(Template)]
#[template(
    source = r#"<span class="badge status-queued" role="status" id="scan-{{ id }}">{% if already %}Already queued{% else %}Scan queued{% endif %}</span>"#,
    ext = "html"
)]
struct Queued {
    id: i64,
    already: bool,
}

/// "Scan now": queues a full scan of the default branch; the button
/// becomes its confirmation.
async fn scan_now(
    signed: Member,
    State(state): State<AppState>,
    Path(id): Path<i64>,
) -> PageResult {
    let request = api::TriggerRequest { branch: None };
    let (_, axum::Json(triggered)) =
        api::trigger_scan(signed.api_member(), State(state), ApiPath(id), ApiJson(request)).await?;
    Ok(render(StatusCode::OK, &Queued { id, already: triggered.already_queued }))
}

struct ScanRow {
    id: i64,
    repository: String,
    branch: String,
    trigger: String,
    scope: String,
    status: String,
    queued: String,
    duration: String,
    files: i64,
    findings: i64,
    new_issues: i64,
    fixed_issues: i64,
    errors: String,
}

#[derive(Template)]
#[template(path = "scans.html")]
struct ScansPage {
    chrome: Chrome,
    repositories: Vec<(i64, String)>,
    repository: Option<i64>,
    rows: Vec<ScanRow>,
    next: Option<String>,
}

impl ScansPage {
    fn is_repository(&self, id: impl std::borrow::Borrow<i64>) -> bool {
        self.repository == Some(*id.borrow())
    }
}

#[derive(Debug, Deserialize)]
struct ScanFilter {
    repository: Option<String>,
    before: Option<i64>,
}

async fn scans(
    signed: Anyone,
    State(state): State<AppState>,
    Query(filter): Query<ScanFilter>,
) -> PageResult {
    let repository = filter.repository.as_deref().and_then(|id| id.parse::<i64>().ok());
    let repositories = super::repository_choices(&state).await?;
    let paths: HashMap<i64, String> = repositories.iter().cloned().collect();
    let limit = 50;
    let scans = state.store.scans(repository, filter.before, limit).await?;
    let next = (i64::try_from(scans.len()).unwrap_or(0) == limit)
        .then(|| {
            scans.last().map(|scan| {
                let repository = repository.map(|id| id.to_string()).unwrap_or_default();
                format::query(&[("repository", &repository), ("before", &scan.id.to_string())])
            })
        })
        .flatten();
    let rows = scans
        .into_iter()
        .map(|scan| ScanRow {
            id: scan.id,
            repository: paths.get(&scan.repository_id).cloned().unwrap_or_default(),
            branch: scan.branch,
            trigger: scan.trigger,
            scope: scan.scope,
            status: scan.status,
            queued: format::when(scan.queued_at),
            duration: scan.duration_ms.map_or_else(|| "—".to_owned(), format::duration),
            files: scan.files_scanned,
            findings: scan.findings,
            new_issues: scan.new_issues,
            fixed_issues: scan.fixed_issues,
            errors: scan.errors,
        })
        .collect();
    Ok(render(
        StatusCode::OK,
        &ScansPage { chrome: signed.chrome("scans"), repositories, repository, rows, next },
    ))
}
