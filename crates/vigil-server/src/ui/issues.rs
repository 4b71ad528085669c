//! Issues: filters (kind, IaC framework, ecosystem, package, fix available,
//! license category,
//! severity, status, repository, branch, rule,
//! text), sorting and pagination, all in the URL so a view can be shared;
//! a detail panel (masked evidence, remediation, first/last seen, history);
//! suppress with reason and expiry, reopen, and both in bulk. Lists and
//! writes go through the REST API's handlers.

use std::collections::HashMap;

use askama::Template;
use axum::Router;
use axum::extract::{Form, Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::{get, post};
use serde::Deserialize;
use vigil_store::{Issue, Queue, Sighting, Suppression};

use super::repositories::{KINDS, SEVERITIES};
use super::{Anyone, Chrome, Member, PageResult, format, redirect, render};
use crate::AppState;
use crate::api::issues as api;
use crate::error::{ApiJson, ApiPath, ApiQuery, AppError};

/// The license categories as the filter offers them: id and short label
/// ("Non-permissive", without the words in brackets).
pub(super) fn license_categories() -> Vec<(&'static str, String)> {
    vigil_license::category::Category::ALL
        .iter()
        .map(|category| {
            let words = category.words();
            (category.as_str(), capitalized(words.split(" (").next().unwrap_or(words)))
        })
        .collect()
}

pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/issues", get(page))
        .route("/issues/{id}/panel", get(panel))
        .route("/issues/{id}/suppress", post(suppress))
        .route("/issues/{id}/reopen", post(reopen))
        .route("/issues/bulk", post(bulk))
        .route("/issues/bulk-reopen", post(bulk_reopen))
}

/// The filters, as they appear in the URL. `status` defaults to open;
/// `all` shows every status.
#[derive(Debug, Default, Clone, Deserialize)]
struct Filters {
    #[serde(default)]
    kind: String,
    #[serde(default)]
    framework: String,
    #[serde(default)]
    ecosystem: String,
    #[serde(default)]
    package: String,
    #[serde(default)]
    license: String,
    /// `yes`, `no` or empty.
    #[serde(default)]
    fix: String,
    #[serde(default)]
    severity: String,
    status: Option<String>,
    #[serde(default)]
    repository: String,
    #[serde(default)]
    branch: String,
    #[serde(default)]
    rule: String,
    #[serde(default)]
    q: String,
    #[serde(default)]
    sort: String,
    #[serde(default)]
    cursor: String,
    #[serde(default)]
    page: Option<u32>,
    #[serde(default)]
    issue: Option<i64>,
    #[serde(default)]
    notice: String,
}

impl Filters {
    fn status(&self) -> &str {
        self.status.as_deref().unwrap_or("open")
    }

    /// The URL of this view with the cursor, page and panel given.
    fn url(&self, cursor: &str, page: u32, issue: Option<i64>) -> String {
        let page = if page > 1 { page.to_string() } else { String::new() };
        let issue = issue.map(|id| id.to_string()).unwrap_or_default();
        let status = self.status.clone().unwrap_or_default();
        format!(
            "/issues{}",
            format::query(&[
                ("kind", &self.kind),
                ("framework", &self.framework),
                ("ecosystem", &self.ecosystem),
                ("package", &self.package),
                ("license", &self.license),
                ("fix", &self.fix),
                ("severity", &self.severity),
                ("status", &status),
                ("repository", &self.repository),
                ("branch", &self.branch),
                ("rule", &self.rule),
                ("q", &self.q),
                ("sort", &self.sort),
                ("cursor", cursor),
                ("page", &page),
                ("issue", &issue),
            ])
        )
    }

    fn here(&self) -> String {
        self.url(&self.cursor, self.page.unwrap_or(1), self.issue)
    }

    fn with_issue(&self, id: i64) -> String {
        self.url(&self.cursor, self.page.unwrap_or(1), Some(id))
    }

    fn query(&self) -> Result<api::IssueQuery, AppError> {
        let blank = |text: &str| Some(text.trim().to_owned()).filter(|text| !text.is_empty());
        let repository =
            match blank(&self.repository) {
                Some(id) => Some(id.parse::<i64>().map_err(|_| {
                    AppError::bad_request(format!("repository `{id}` is not an id"))
                })?),
                None => None,
            };
        Ok(api::IssueQuery {
            kind: blank(&self.kind),
            framework: blank(&self.framework),
            ecosystem: blank(&self.ecosystem),
            package: blank(&self.package),
            license_category: blank(&self.license),
            fix_available: match self.fix.as_str() {
                "yes" => Some(true),
                "no" => Some(false),
                "" => None,
                other => {
                    return Err(AppError::bad_request(format!(
                        "fix `{other}` is not one of: yes, no"
                    )));
                }
            },
            severity: blank(&self.severity),
            status: Some(self.status().to_owned()).filter(|status| status != "all"),
            repository,
            branch: blank(&self.branch),
            rule: blank(&self.rule),
            q: blank(&self.q),
            sort: blank(&self.sort),
            limit: Some(50),
            cursor: blank(&self.cursor),
        })
    }
}

struct IssueRow {
    id: i64,
    severity: String,
    title: String,
    rule: String,
    kind: String,
    repository: String,
    location: String,
    branch: String,
    status: String,
    last_seen: String,
    href: String,
}

#[derive(Template)]
#[template(path = "issues.html")]
struct IssuesPage {
    chrome: Chrome,
    filters: Filters,
    here: String,
    kinds: &'static [(&'static str, &'static str)],
    frameworks: &'static [(&'static str, &'static str)],
    license_categories: Vec<(&'static str, String)>,
    ecosystems: Vec<&'static str>,
    severities: &'static [&'static str],
    repositories: Vec<(i64, String)>,
    rows: Vec<IssueRow>,
    page_number: u32,
    next_url: Option<String>,
    first_url: Option<String>,
    panel: Option<Panel>,
    error: Option<String>,
}

impl IssuesPage {
    fn is_open(&self, id: impl std::borrow::Borrow<i64>) -> bool {
        self.filters.issue == Some(*id.borrow())
    }
}

#[derive(Template)]
#[template(path = "issue_panel.html")]
struct Panel {
    issue: Issue,
    back: String,
    member: bool,
    repository: String,
    blob_url: Option<String>,
    snippet: String,
    secret_preview: String,
    remediation: String,
    rule_name: String,
    /// The rule's explanation (for IaC: what is wrong and why it matters).
    explanation: String,
    /// The explanation and the remediation as HTML (escaped, `code` spans set).
    explanation_html: String,
    remediation_html: String,
    /// Other tools' ids of the rule (`CKV_AWS_20`).
    aliases: String,
    /// The IaC resource, its framework and the offending attribute with its line.
    resource: Option<vigil_core::Resource>,
    /// A dependency finding's package, how it is reached and what fixes it.
    package: Option<PackageFacts>,
    /// The line the snippet is from.
    snippet_line: i64,
    first_seen: String,
    last_seen: String,
    fixed: String,
    suppressions: Vec<(Suppression, String, String)>,
    sightings: Vec<(Sighting, String)>,
    active_suppression: Option<i64>,
    /// The suppression form's input, kept after an error.
    reason: String,
    expires: String,
}

impl Panel {
    /// A license finding's category in words ("strong copyleft").
    fn category_words(&self) -> String {
        self.issue
            .license
            .as_ref()
            .map_or_else(String::new, |license| license.category.replace('_', " "))
    }

    /// Why a license finding has its severity: the category's default, or
    /// the repository's own `[licenses]` policy when that differs.
    fn policy_words(&self) -> String {
        use vigil_license::category::Category;
        use vigil_license::policy::LicensePolicy;
        let Some(license) = &self.issue.license else { return String::new() };
        let category = Category::ALL.iter().find(|known| known.as_str() == license.category);
        let default = category.and_then(|category| LicensePolicy::default_severity(*category));
        let severity = self.issue.severity;
        match category {
            Some(category) if default == Some(severity) => {
                format!("{} licenses are {severity} by default", capitalized(category.words()))
            }
            _ => format!(
                "{} under this repository's [licenses] policy in vigil.toml (an allow or deny list, or a category's severity)",
                capitalized(severity.as_str())
            ),
        }
    }
}

fn capitalized(text: &str) -> String {
    let mut out = text.to_owned();
    if let Some(first) = out.get_mut(..1) {
        first.make_ascii_uppercase();
    }
    out
}

/// What the panel shows of a dependency finding.
struct PackageFacts {
    /// Name, version and ecosystem as the lockfile has them.
    name: String,
    version: String,
    ecosystem: String,
    purl: String,
    /// `direct`, or `transitive` with the path from the direct dependency.
    reached: String,
    path: Vec<String>,
    /// The lowest fixed versions, or empty.
    fixed: String,
    /// The advisory's id and page, the other ids, and the CVSS vector and score.
    advisory: Option<(String, String)>,
    aliases: Vec<(String, String)>,
    /// Base score (`9.1`) and vector.
    cvss: Option<(String, String)>,
}

impl PackageFacts {
    fn of(
        package: &vigil_core::Package,
        advisory: Option<&vigil_core::AdvisoryInfo>,
    ) -> PackageFacts {
        PackageFacts {
            name: package.name.clone(),
            version: package.version.clone(),
            ecosystem: package.ecosystem.clone(),
            purl: package.purl.clone(),
            reached: package.dependency.as_str().to_owned(),
            path: package.dependency_path.clone(),
            fixed: package.fixed_versions.join(", "),
            advisory: advisory.map(|advisory| (advisory.id.clone(), advisory.url.clone())),
            aliases: advisory
                .map(|advisory| {
                    advisory.aliases.iter().map(|alias| (alias.clone(), alias_url(alias))).collect()
                })
                .unwrap_or_default(),
            cvss: advisory.and_then(|advisory| {
                Some((advisory.cvss_score()?, advisory.cvss_vector.clone().unwrap_or_default()))
            }),
        }
    }
}

/// The public page of an advisory id: CVEs at cve.org, the rest at osv.dev.
fn alias_url(id: &str) -> String {
    if id.starts_with("CVE-") {
        format!("https://www.cve.org/CVERecord?id={}", format::encode(id))
    } else {
        format!("https://osv.dev/vulnerability/{}", format::encode(id))
    }
}

async fn panel_of(state: &AppState, id: i64, back: String, member: bool) -> PageResult<Panel> {
    let issue = state.store.issue(id).await?.ok_or_else(|| AppError::not_found("issue"))?;
    let repository = state.store.repository(issue.repository_id).await?;
    let instance = match &repository {
        Some(repository) => state.store.instance(repository.instance_id).await?,
        None => None,
    };
    let blob_url = match (&repository, &instance) {
        (Some(repository), Some(instance)) => Some(format!(
            "{}/{}/-/blob/{}/{}#L{}",
            instance.base_url,
            repository.path,
            format::encode(&issue.branch),
            format::encode(&issue.path),
            issue.start_line
        )),
        _ => None,
    };
    let rule = vigil_pipeline::registry::find_rule(&issue.rule_id).map(|found| found.rule);
    let suppressions = state.store.suppressions(Some(id), false).await?;
    let active_suppression = suppressions
        .iter()
        .find(|suppression| suppression.ended_at.is_none())
        .map(|suppression| suppression.id);
    let sightings = state.store.issue_sightings(id, 20).await?;
    Ok(Panel {
        back,
        member,
        repository: repository.map(|repository| repository.path).unwrap_or_default(),
        blob_url,
        snippet: issue.evidence["snippet"].as_str().unwrap_or_default().to_owned(),
        secret_preview: issue.evidence["secret"]["preview"].as_str().unwrap_or_default().to_owned(),
        remediation: rule.as_ref().map(|rule| rule.remediation.clone()).unwrap_or_default(),
        explanation: match issue.kind {
            vigil_core::FindingKind::Secret => String::new(),
            _ => rule.as_ref().map(|rule| rule.description.clone()).unwrap_or_default(),
        },
        aliases: rule.as_ref().map(|rule| rule.aliases.join(", ")).unwrap_or_default(),
        explanation_html: match issue.kind {
            vigil_core::FindingKind::Secret => String::new(),
            _ => {
                rule.as_ref().map(|rule| format::inline_code(&rule.description)).unwrap_or_default()
            }
        },
        remediation_html: rule
            .as_ref()
            .map(|rule| format::inline_code(&rule.remediation))
            .unwrap_or_default(),
        rule_name: rule.map(|rule| rule.name).unwrap_or_default(),
        resource: issue.resource.clone(),
        package: issue
            .package
            .as_ref()
            .map(|package| PackageFacts::of(package, issue.advisory.as_ref())),
        snippet_line: issue
            .resource
            .as_ref()
            .and_then(|resource| resource.attribute_line)
            .map_or(issue.start_line, i64::from),
        first_seen: format::when(issue.first_seen_at),
        last_seen: format::when(issue.last_seen_at),
        fixed: issue.fixed_at.map(format::when).unwrap_or_default(),
        suppressions: suppressions
            .into_iter()
            .map(|suppression| {
                let created = format::when(suppression.created_at);
                let until = match (suppression.ended_at, suppression.expires_at) {
                    (Some(ended), _) => format!("lifted {}", format::when(ended)),
                    (None, Some(expires)) => format!("until {}", format::when(expires)),
                    (None, None) => "until lifted".to_owned(),
                };
                (suppression, created, until)
            })
            .collect(),
        sightings: sightings
            .into_iter()
            .map(|sighting| {
                let when = format::when(sighting.queued_at);
                (sighting, when)
            })
            .collect(),
        active_suppression,
        issue,
        reason: String::new(),
        expires: String::new(),
    })
}

async fn page(
    signed: Anyone,
    State(state): State<AppState>,
    Query(filters): Query<Filters>,
) -> PageResult {
    let repositories = super::repository_choices(&state).await?;
    let paths: HashMap<i64, &str> =
        repositories.iter().map(|(id, path)| (*id, path.as_str())).collect();
    let page_number = filters.page.unwrap_or(1).max(1);
    let (issues, next_cursor, error) = match filters.query() {
        Ok(query) => {
            match api::list_issues(signed.api_viewer(), State(state.clone()), ApiQuery(query)).await
            {
                Ok(axum::Json(page)) => (page.items, page.next_cursor, None),
                Err(error) => (Vec::new(), None, Some(error.to_string())),
            }
        }
        Err(error) => (Vec::new(), None, Some(error.to_string())),
    };
    let now = Queue::now_ms();
    let rows = issues
        .into_iter()
        .map(|issue| IssueRow {
            href: filters.with_issue(issue.id),
            id: issue.id,
            repository: paths
                .get(&issue.repository_id)
                .map(|path| (*path).to_owned())
                .unwrap_or_default(),
            location: format!("{}:{}", issue.path, issue.start_line),
            last_seen: format::ago(issue.last_seen_at, now),
            severity: issue.severity.to_string(),
            title: issue.title,
            rule: issue.rule_id,
            kind: issue.kind.to_string(),
            branch: issue.branch,
            status: issue.status.to_string(),
        })
        .collect();
    let panel = match filters.issue {
        Some(id) => Some(
            panel_of(
                &state,
                id,
                filters.here(),
                signed.caller.permission >= crate::auth::Permission::Write,
            )
            .await?,
        ),
        None => None,
    };
    let page = IssuesPage {
        chrome: signed.chrome("issues"),
        here: filters.here(),
        next_url: next_cursor.map(|cursor| filters.url(&cursor, page_number + 1, None)),
        first_url: (page_number > 1).then(|| filters.url("", 1, None)),
        kinds: &KINDS,
        frameworks: &api::FRAMEWORKS,
        license_categories: license_categories(),
        ecosystems: vigil_sca::Ecosystem::ALL
            .iter()
            .map(|ecosystem| ecosystem.osv_name())
            .collect(),
        severities: &SEVERITIES,
        repositories,
        rows,
        page_number,
        panel,
        error,
        filters,
    };
    Ok(render(StatusCode::OK, &page))
}

#[derive(Debug, Deserialize)]
struct Back {
    #[serde(default)]
    back: String,
}

/// Only this page's own URLs, so a form cannot send the browser elsewhere.
fn back_to(back: &str) -> String {
    if back.starts_with("/issues") { back.to_owned() } else { "/issues".to_owned() }
}

/// The detail panel alone (htmx swaps it in beside the list).
async fn panel(
    signed: Anyone,
    State(state): State<AppState>,
    Path(id): Path<i64>,
    Query(back): Query<Back>,
) -> PageResult {
    let member = signed.caller.permission >= crate::auth::Permission::Write;
    Ok(render(StatusCode::OK, &panel_of(&state, id, back_to(&back.back), member).await?))
}

#[derive(Debug, Deserialize)]
struct SuppressForm {
    #[serde(default)]
    reason: String,
    /// `YYYY-MM-DD`; the suppression ends at the end of that day (UTC).
    #[serde(default)]
    expires: String,
    #[serde(default)]
    back: String,
}

/// The end (UTC) of a `YYYY-MM-DD` day, Unix ms; none for an empty field.
fn end_of_day(text: &str) -> Result<Option<i64>, AppError> {
    if text.trim().is_empty() {
        return Ok(None);
    }
    let date: jiff::civil::Date = text.trim().parse().map_err(|_| {
        AppError::bad_request(format!("expiry `{text}` is not a date (YYYY-MM-DD)"))
    })?;
    let end = date
        .to_zoned(jiff::tz::TimeZone::UTC)
        .map_err(|error| AppError::bad_request(error.to_string()))?
        .timestamp()
        .as_millisecond()
        + 86_400_000
        - 1;
    Ok(Some(end))
}

async fn suppress_one(
    signed: &Member,
    state: &AppState,
    id: i64,
    reason: &str,
    expires_at: Option<i64>,
) -> Result<(), AppError> {
    let body = api::SuppressRequest { reason: reason.to_owned(), expires_at };
    let _ =
        api::suppress_issue(signed.api_member(), State(state.clone()), ApiPath(id), ApiJson(body))
            .await?;
    Ok(())
}

async fn suppress(
    signed: Member,
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<i64>,
    Form(form): Form<SuppressForm>,
) -> PageResult {
    let back = back_to(&form.back);
    let result = match end_of_day(&form.expires) {
        Ok(expires_at) => suppress_one(&signed, &state, id, &form.reason, expires_at).await,
        Err(error) => Err(error),
    };
    match result {
        Ok(()) => Ok(redirect(&headers, &back)),
        Err(error) => {
            let mut panel = panel_of(&state, id, back, true).await?;
            panel.reason = form.reason;
            panel.expires = form.expires;
            let page = PanelWithError { panel, error: error.to_string() };
            Ok(render(StatusCode::UNPROCESSABLE_ENTITY, &page))
        }
    }
}

#[derive(Template)]
#[template(path = "issue_panel_error.html")]
struct PanelWithError {
    panel: Panel,
    error: String,
}

/// Lifts the issue's active suppression: it is open again.
async fn reopen_one(signed: &Member, state: &AppState, id: i64) -> Result<(), AppError> {
    let active = state.store.suppressions(Some(id), true).await?;
    let suppression =
        active.first().ok_or_else(|| AppError::conflict("the issue is not suppressed"))?;
    api::lift_suppression(signed.api_member(), State(state.clone()), ApiPath(suppression.id))
        .await?;
    Ok(())
}

async fn reopen(
    signed: Member,
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<i64>,
    Form(form): Form<Back>,
) -> PageResult {
    reopen_one(&signed, &state, id).await?;
    Ok(redirect(&headers, &back_to(&form.back)))
}

/// The ticked issues (`ids` repeated) and the other fields of a bulk form.
struct BulkForm {
    ids: Vec<i64>,
    pairs: Vec<(String, String)>,
}

impl BulkForm {
    fn parse(pairs: Vec<(String, String)>) -> Result<BulkForm, AppError> {
        let ids: Vec<i64> = pairs
            .iter()
            .filter(|(key, _)| key == "ids")
            .filter_map(|(_, value)| value.parse().ok())
            .collect();
        if ids.is_empty() {
            return Err(AppError::bad_request("tick at least one issue first"));
        }
        Ok(BulkForm { ids, pairs })
    }

    fn field(&self, name: &str) -> String {
        self.pairs
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.clone())
            .unwrap_or_default()
    }

    /// Back to the list, saying what happened to each issue.
    fn done(&self, headers: &HeaderMap, verb: &str, failures: &[String]) -> Response {
        let back = back_to(&self.field("back"));
        let mut notice =
            format!("{} of {} issues {verb}", self.ids.len() - failures.len(), self.ids.len());
        if !failures.is_empty() {
            notice.push_str(&format!("; not {verb}: {}", failures.join("; ")));
        }
        let separator = if back.contains('?') { '&' } else { '?' };
        redirect(headers, &format!("{back}{separator}notice={}", format::encode(&notice)))
    }
}

/// Bulk suppression: the ticked issues, one reason and expiry.
async fn bulk(
    signed: Member,
    State(state): State<AppState>,
    headers: HeaderMap,
    Form(pairs): Form<Vec<(String, String)>>,
) -> PageResult {
    let form = BulkForm::parse(pairs)?;
    let expires_at = end_of_day(&form.field("expires"))?;
    let reason = form.field("reason");
    let mut failures = Vec::new();
    for id in &form.ids {
        if let Err(error) = suppress_one(&signed, &state, *id, &reason, expires_at).await {
            failures.push(format!("#{id}: {error}"));
        }
    }
    Ok(form.done(&headers, "suppressed", &failures))
}

/// Bulk reopen: lifts the ticked issues' suppressions.
async fn bulk_reopen(
    signed: Member,
    State(state): State<AppState>,
    headers: HeaderMap,
    Form(pairs): Form<Vec<(String, String)>>,
) -> PageResult {
    let form = BulkForm::parse(pairs)?;
    let mut failures = Vec::new();
    for id in &form.ids {
        if let Err(error) = reopen_one(&signed, &state, *id).await {
            failures.push(format!("#{id}: {error}"));
        }
    }
    Ok(form.done(&headers, "reopened", &failures))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expiry_is_the_end_of_the_day_in_utc() {
        assert_eq!(end_of_day("").unwrap(), None);
        assert_eq!(end_of_day("2026-12-31").unwrap(), Some(1_798_761_599_999));
        assert!(end_of_day("31/12/2026").unwrap_err().to_string().contains("not a date"));
    }

    #[test]
    fn the_url_keeps_every_filter() {
        let filters = Filters {
            kind: "secret".into(),
            status: Some("all".into()),
            q: "aws key".into(),
            ..Filters::default()
        };
        assert_eq!(
            filters.url("abc", 2, Some(7)),
            "/issues?kind=secret&status=all&q=aws%20key&cursor=abc&page=2&issue=7"
        );
        assert_eq!(filters.status(), "all");
        assert_eq!(Filters::default().status(), "open");
        assert_eq!(back_to("https://evil.example/"), "/issues");
    }
}
