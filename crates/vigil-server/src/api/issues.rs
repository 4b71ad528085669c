//! Issues: list with filters, sort and cursor pagination; one issue;
//! suppress (member), list and lift suppressions.

use axum::Json;
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{delete, get, post};
use serde::Deserialize;
use vigil_core::{FindingKind, IssueStatus, Severity, check_suppression};
use vigil_store::{Issue, IssueFilter, IssueSort, Queue, Suppression};

use super::{Page, audit, decode_cursor, encode_cursor, page_size};
use crate::AppState;
use crate::auth::{Member, Viewer};
use crate::error::{ApiJson, ApiPath, ApiQuery, ApiResult, AppError, ErrorBody};

pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route("/api/v1/issues", get(list_issues))
        .route("/api/v1/issues/{id}", get(get_issue))
        .route("/api/v1/issues/{id}/suppressions", post(suppress_issue))
        .route("/api/v1/suppressions", get(list_suppressions))
        .route("/api/v1/suppressions/{id}", delete(lift_suppression))
}

/// Filters of the issue list; every one narrows.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct IssueQuery {
    /// `secret`, `iac`, `vulnerability`, `license` or `operational_risk`.
    pub(crate) kind: Option<String>,
    /// IaC framework of the resource: `terraform`, `terraform_plan`,
    /// `cloudformation`, `kubernetes`, `dockerfile` or `gitlab_ci`.
    pub(crate) framework: Option<String>,
    /// Ecosystem of a dependency finding's package, as OSV names it:
    /// `crates.io`, `npm`, `PyPI`, `Go`, `Maven`, `NuGet`, `RubyGems`,
    /// `Packagist`, `Hex`, `Pub`, `SwiftURL` or `ConanCenter`.
    pub(crate) ecosystem: Option<String>,
    /// Package name of a dependency finding, exactly as its ecosystem spells it.
    pub(crate) package: Option<String>,
    /// License category of a license finding: `permissive`,
    /// `weak_copyleft`, `strong_copyleft`, `network_copyleft`,
    /// `non_permissive` or `unknown`.
    pub(crate) license_category: Option<String>,
    /// `true`: only dependency findings with a fixed version to upgrade to;
    /// `false`: only those without one.
    pub(crate) fix_available: Option<bool>,
    /// `critical`, `high`, `medium`, `low` or `info`.
    pub(crate) severity: Option<String>,
    /// `open`, `fixed` or `suppressed`.
    pub(crate) status: Option<String>,
    /// Repository id.
    pub(crate) repository: Option<i64>,
    /// Branch name.
    pub(crate) branch: Option<String>,
    /// Rule code, e.g. `SEC001`.
    pub(crate) rule: Option<String>,
    /// Text in the title, path or rule code (case-insensitive).
    pub(crate) q: Option<String>,
    /// `severity` (default, most severe first), `last_seen` or `first_seen` (newest first).
    pub(crate) sort: Option<String>,
    /// Page size, 1–500 (default 50).
    pub(crate) limit: Option<i64>,
    /// `next_cursor` of the previous page.
    pub(crate) cursor: Option<String>,
}

/// `value` when it is one of `names`, else a 400 naming them.
fn one_of(what: &str, value: &str, names: &[&str]) -> Result<String, AppError> {
    if names.contains(&value) {
        return Ok(value.to_owned());
    }
    Err(AppError::bad_request(format!(
        "unknown {what} `{value}` (expected one of: {})",
        names.join(", ")
    )))
}

fn parse_kind(kind: &str) -> Result<String, AppError> {
    let known = [
        FindingKind::Secret,
        FindingKind::Iac,
        FindingKind::Vulnerability,
        FindingKind::License,
        FindingKind::OperationalRisk,
    ];
    one_of("kind", kind, &known.map(FindingKind::as_str))
}

/// The IaC frameworks an issue can be filtered by.
pub(crate) const FRAMEWORKS: [(&str, &str); 6] = [
    ("terraform", "Terraform"),
    ("terraform_plan", "Terraform plan"),
    ("cloudformation", "CloudFormation"),
    ("kubernetes", "Kubernetes"),
    ("dockerfile", "Dockerfile"),
    ("gitlab_ci", "GitLab CI"),
];

fn parse_ecosystem(ecosystem: &str) -> Result<String, AppError> {
    vigil_sca::Ecosystem::from_osv(ecosystem).map(|known| known.osv_name().to_owned()).ok_or_else(
        || {
            let names: Vec<&str> =
                vigil_sca::Ecosystem::ALL.iter().map(|known| known.osv_name()).collect();
            AppError::bad_request(format!(
                "unknown ecosystem `{ecosystem}` (expected one of: {})",
                names.join(", ")
            ))
        },
    )
}

fn parse_license_category(category: &str) -> Result<String, AppError> {
    let names = vigil_license::category::Category::ALL.map(|known| known.as_str());
    one_of("license category", category, &names)
}

fn parse_framework(framework: &str) -> Result<String, AppError> {
    one_of("framework", framework, &FRAMEWORKS.map(|(name, _)| name))
}

impl IssueQuery {
    fn into_filter(self) -> Result<IssueFilter, AppError> {
        let sort = match self.sort.as_deref() {
            None | Some("severity") => IssueSort::Severity,
            Some("last_seen") => IssueSort::LastSeen,
            Some("first_seen") => IssueSort::FirstSeen,
            Some(other) => {
                return Err(AppError::bad_request(format!(
                    "unknown sort `{other}` (expected one of: severity, last_seen, first_seen)"
                )));
            }
        };
        let severity = match self.severity {
            Some(text) => Some(
                text.parse::<Severity>()
                    .map_err(|error| AppError::bad_request(error.to_string()))?,
            ),
            None => None,
        };
        let status = match self.status {
            Some(text) => Some(
                text.parse::<IssueStatus>()
                    .map_err(|error| AppError::bad_request(error.to_string()))?,
            ),
            None => None,
        };
        Ok(IssueFilter {
            kind: self.kind.as_deref().map(parse_kind).transpose()?,
            severity: severity.map(|severity| severity.as_str().to_owned()),
            status: status.map(|status| status.as_str().to_owned()),
            repository_id: self.repository,
            branch: self.branch,
            rule_id: self.rule,
            framework: self.framework.as_deref().map(parse_framework).transpose()?,
            ecosystem: self.ecosystem.as_deref().map(parse_ecosystem).transpose()?,
            package: self.package.filter(|name| !name.is_empty()),
            license_category: self
                .license_category
                .as_deref()
                .map(parse_license_category)
                .transpose()?,
            fix_available: self.fix_available,
            text: self.q.filter(|text| !text.is_empty()),
            sort,
            after: self.cursor.as_deref().map(decode_cursor).transpose()?,
            limit: page_size(self.limit)?,
        })
    }
}

/// Lists issues.
#[utoipa::path(get, path = "/api/v1/issues", tag = "issues", params(IssueQuery), security(("token" = []), ("session" = [])),
    responses((status = 200, body = Page<Issue>), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody)))]
pub(crate) async fn list_issues(
    Viewer(_caller): Viewer,
    State(state): State<AppState>,
    ApiQuery(query): ApiQuery<IssueQuery>,
) -> ApiResult<Json<Page<Issue>>> {
    let page = state.store.issues(&query.into_filter()?).await?;
    let next_cursor = page.next.map(|(key, id)| encode_cursor(key, id));
    Ok(Json(Page { items: page.issues, next_cursor }))
}

/// One issue.
#[utoipa::path(get, path = "/api/v1/issues/{id}", tag = "issues", params(("id" = i64, Path, description = "Issue id")),
    security(("token" = []), ("session" = [])),
    responses((status = 200, body = Issue), (status = 404, body = ErrorBody)))]
pub(crate) async fn get_issue(
    Viewer(_caller): Viewer,
    State(state): State<AppState>,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<Issue>> {
    state.store.issue(id).await?.map(Json).ok_or_else(|| AppError::not_found("issue"))
}

/// A suppression request.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub(crate) struct SuppressRequest {
    /// Why the risk is accepted.
    pub(crate) reason: String,
    /// Unix ms, at most one year ahead; the issue reopens then. Absent: until lifted.
    pub(crate) expires_at: Option<i64>,
}

/// Suppresses an issue.
#[utoipa::path(post, path = "/api/v1/issues/{id}/suppressions", tag = "issues", params(("id" = i64, Path, description = "Issue id")),
    request_body = SuppressRequest, security(("token" = []), ("session" = [])),
    responses((status = 201, body = Suppression), (status = 400, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub(crate) async fn suppress_issue(
    Member(caller): Member,
    State(state): State<AppState>,
    ApiPath(id): ApiPath<i64>,
    ApiJson(body): ApiJson<SuppressRequest>,
) -> ApiResult<(StatusCode, Json<Suppression>)> {
    let now = Queue::now_ms();
    check_suppression(&body.reason, body.expires_at, now)
        .map_err(|error| AppError::bad_request(error.to_string()))?;
    let suppression = state
        .store
        .suppress(id, body.reason.trim(), &caller.user.username, body.expires_at, now)
        .await?;
    audit(&state, &caller, "issue.suppress", format!("issue:{id}"), &body.reason).await?;
    Ok((StatusCode::CREATED, Json(suppression)))
}

/// Filters of the suppression list.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct SuppressionQuery {
    /// Only this issue's.
    pub(crate) issue: Option<i64>,
    /// Only those still in force (default true).
    pub(crate) active: Option<bool>,
}

/// Lists suppressions, newest first (at most 1,000).
#[utoipa::path(get, path = "/api/v1/suppressions", tag = "issues", params(SuppressionQuery), security(("token" = []), ("session" = [])),
    responses((status = 200, body = Vec<Suppression>)))]
pub(crate) async fn list_suppressions(
    Viewer(_caller): Viewer,
    State(state): State<AppState>,
    ApiQuery(query): ApiQuery<SuppressionQuery>,
) -> ApiResult<Json<Vec<Suppression>>> {
    Ok(Json(state.store.suppressions(query.issue, query.active.unwrap_or(true)).await?))
}

/// Lifts a suppression: the issue is open again.
#[utoipa::path(delete, path = "/api/v1/suppressions/{id}", tag = "issues", params(("id" = i64, Path, description = "Suppression id")),
    security(("token" = []), ("session" = [])),
    responses((status = 204), (status = 404, body = ErrorBody)))]
pub(crate) async fn lift_suppression(
    Member(caller): Member,
    State(state): State<AppState>,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<StatusCode> {
    if !state.store.lift_suppression(id, Queue::now_ms()).await? {
        return Err(AppError::not_found("active suppression"));
    }
    audit(&state, &caller, "suppression.lift", format!("suppression:{id}"), "").await?;
    Ok(StatusCode::NO_CONTENT)
}
