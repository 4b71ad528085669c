//! Data Sources & Integrations: the catalogue of vendors (searchable), the
//! connected instances (Vendor filter; Instance, Vendor, Status, Repositories,
//! Transporter, Connected by, Created, Last sync) with a context menu per
//! row (Edit, Delete, Copy entire row), and the delete confirmation that
//! says what goes with the instance.

use std::collections::HashMap;

use askama::Template;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::get;
use serde::Deserialize;
use vigil_store::{Instance, InstanceFootprint, Queue};

use super::{Admin, Anyone, Chrome, PageResult, format, redirect, render};
use crate::AppState;
use crate::api::instances as api;
use crate::error::ApiPath;

pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/integrations", get(page))
        .route("/integrations/{id}/delete", get(confirm_delete).post(delete))
}

/// One vendor of the catalogue.
pub(super) struct Vendor {
    pub(super) key: &'static str,
    pub(super) name: &'static str,
    pub(super) logo: &'static str,
    pub(super) description: &'static str,
    pub(super) available: bool,
}

impl Vendor {
    /// The name as shown: its hyphens do not break a line ("(On-Prem)"
    /// stays whole); search uses the plain name.
    pub(super) fn display_name(&self) -> String {
        self.name.replace('-', "\u{2011}")
    }
}

/// Every vendor Vigil knows, available or planned.
pub(super) const VENDORS: &[Vendor] = &[
    Vendor {
        key: "gitlab",
        name: "GitLab Self Managed (On-Prem)",
        logo: "GL",
        description: "Scan the repositories and merge requests of a GitLab instance you run, directly or through a Transporter in a closed network.",
        available: true,
    },
    Vendor {
        key: "github-enterprise",
        name: "GitHub Enterprise Server",
        logo: "GH",
        description: "Repositories and pull requests of a GitHub Enterprise Server.",
        available: false,
    },
    Vendor {
        key: "bitbucket",
        name: "Bitbucket Data Center",
        logo: "BB",
        description: "Repositories and pull requests of Bitbucket Data Center.",
        available: false,
    },
    Vendor {
        key: "azure-devops",
        name: "Azure DevOps Server",
        logo: "AZ",
        description: "Repositories and pull requests of Azure DevOps Server.",
        available: false,
    },
];

/// A row of the instances table.
struct InstanceRow {
    id: i64,
    domain: String,
    vendor: &'static str,
    status: String,
    status_label: &'static str,
    /// Why the status, in a sentence (empty when none is recorded).
    reason: String,
    /// The technical text behind the sentence, for "Details".
    reason_details: Option<String>,
    repositories: i64,
    transporter: String,
    connected_by: String,
    created: String,
    last_sync: String,
}

#[derive(Template)]
#[template(path = "integrations.html")]
struct IntegrationsPage {
    chrome: Chrome,
    vendors: &'static [Vendor],
    vendor: String,
    rows: Vec<InstanceRow>,
    notice: Option<String>,
}

impl IntegrationsPage {
    /// The name of the vendor the table is filtered by.
    fn vendor_name(&self) -> &str {
        VENDORS.iter().find(|vendor| vendor.key == self.vendor).map_or(&self.vendor, |v| v.name)
    }
}

#[derive(Debug, Deserialize)]
struct Filter {
    vendor: Option<String>,
    deleted: Option<String>,
}

/// The host (and port) of a base URL.
pub(super) fn domain(base_url: &str) -> &str {
    base_url.split_once("://").map_or(base_url, |(_, rest)| rest)
}

pub(super) fn status_label(status: &str) -> &'static str {
    match status {
        "connected" => "Connected",
        "error" => "Error",
        "deleting" => "Deleting",
        _ => "Pending",
    }
}

/// A table row; `selected` counts each instance's selected repositories.
fn row(
    instance: Instance,
    transporters: &HashMap<i64, String>,
    selected: &HashMap<i64, i64>,
    now: i64,
) -> InstanceRow {
    let problem = instance.status_reason.clone().map(super::problem::Problem::from_text);
    InstanceRow {
        id: instance.id,
        domain: domain(&instance.base_url).to_owned(),
        // Every instance is GitLab Self Managed so far.
        vendor: "GitLab Self Managed",
        status_label: status_label(&instance.status),
        reason: problem.as_ref().map(|problem| problem.headline.clone()).unwrap_or_default(),
        reason_details: problem.and_then(|problem| problem.details),
        status: instance.status,
        repositories: selected.get(&instance.id).copied().unwrap_or(0),
        transporter: instance.transporter_id.map_or_else(
            || "Direct".to_owned(),
            |id| transporters.get(&id).cloned().unwrap_or_else(|| format!("#{id}")),
        ),
        connected_by: instance.created_by.map_or_else(
            || "—".to_owned(),
            |actor| actor.trim_start_matches("user:").split(' ').next().unwrap_or("").to_owned(),
        ),
        created: format::when(instance.created_at),
        last_sync: instance
            .last_sync_at
            .map_or_else(|| "never".to_owned(), |at| format::ago(at, now)),
    }
}

async fn page(
    signed: Anyone,
    State(state): State<AppState>,
    Query(filter): Query<Filter>,
) -> PageResult {
    let vendor = filter.vendor.unwrap_or_default();
    let transporters: HashMap<i64, String> = state
        .store
        .transporters()
        .await?
        .into_iter()
        .map(|transporter| (transporter.id, transporter.name))
        .collect();
    let mut rows = Vec::new();
    // Every instance is GitLab Self Managed; another vendor's filter shows none.
    if vendor.is_empty() || vendor == "gitlab" {
        // One read of the repositories for every row (counting scans and
        // issues per instance, as the delete dialog does, would read them all).
        let mut selected: HashMap<i64, i64> = HashMap::new();
        for repository in state.store.repositories(None).await? {
            if repository.selected {
                *selected.entry(repository.instance_id).or_default() += 1;
            }
        }
        let now = Queue::now_ms();
        for instance in state.store.instances().await? {
            rows.push(row(instance, &transporters, &selected, now));
        }
    }
    let notice = filter.deleted.map(|name| {
        format!("{name} is being deleted: Vigil removes its webhooks from GitLab, then its data.")
    });
    Ok(render(
        StatusCode::OK,
        &IntegrationsPage {
            chrome: signed.chrome("integrations"),
            vendors: VENDORS,
            vendor,
            rows,
            notice,
        },
    ))
}

#[derive(Template)]
#[template(path = "delete_instance.html")]
struct DeleteDialog {
    id: i64,
    domain: String,
    footprint: InstanceFootprint,
}

async fn confirm_delete(
    _signed: Admin,
    State(state): State<AppState>,
    Path(id): Path<i64>,
) -> PageResult {
    let instance = super::instance(&state, id).await?;
    let footprint = state.store.instance_footprint(id).await?;
    Ok(render(
        StatusCode::OK,
        &DeleteDialog { id, domain: domain(&instance.base_url).to_owned(), footprint },
    ))
}

async fn delete(
    signed: Admin,
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<i64>,
) -> PageResult {
    let instance = super::instance(&state, id).await?;
    api::delete_instance(signed.api_admin(), State(state), ApiPath(id)).await?;
    let to = format!("/integrations{}", format::query(&[("deleted", domain(&instance.base_url))]));
    Ok(redirect(&headers, &to))
}
