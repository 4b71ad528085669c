//! Reading issues (filters, sorts, keyset pagination) and suppressing
//! them. Every list is served by an index: `(status, severity_rank, id)`,
//! `(repository_id, status, …)`, `(rule_id, …)`, `(kind, …)`, `(last_seen_at, id)`.

use serde::Serialize;
use sqlx::Row;
use sqlx::any::AnyRow;

use vigil_core::{
    AdvisoryInfo, FindingKind, IssueStatus, LicenseInfo, Package, Resource, Severity,
};

use crate::{Store, StoreError};

/// An issue: one finding's identity in one repository and branch, over time.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Issue {
    /// Id.
    pub id: i64,
    /// Repository.
    pub repository_id: i64,
    /// Branch.
    pub branch: String,
    /// The finding's fingerprint.
    pub fingerprint: String,
    /// `secret`, `iac`, `vulnerability`, `license`, `operational_risk`.
    #[schema(value_type = String)]
    pub kind: FindingKind,
    /// Rule code.
    pub rule_id: String,
    /// Title.
    pub title: String,
    /// `critical` … `info`.
    #[schema(value_type = String)]
    pub severity: Severity,
    /// `open`, `fixed` or `suppressed`.
    #[schema(value_type = String)]
    pub status: IssueStatus,
    /// File.
    pub path: String,
    /// Line.
    pub start_line: i64,
    /// Redacted evidence as the engine reported it.
    #[schema(value_type = Object)]
    pub evidence: serde_json::Value,
    /// The package, for dependency findings: ecosystem, name, version,
    /// purl, fixed versions, dependency path.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub package: Option<Package>,
    /// The advisory, for dependency findings: its id, the other ids of the
    /// same vulnerability, its page and the CVSS vector and score.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub advisory: Option<AdvisoryInfo>,
    /// The resource, for IaC findings: address and framework.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub resource: Option<Resource>,
    /// The license, for license findings: SPDX expression and category.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub license: Option<LicenseInfo>,
    /// Unix ms.
    pub first_seen_at: i64,
    /// Unix ms.
    pub last_seen_at: i64,
    /// Unix ms, while fixed.
    pub fixed_at: Option<i64>,
}

/// How a list of issues is ordered (always descending, id breaks ties).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum IssueSort {
    /// Most severe first.
    #[default]
    Severity,
    /// Most recently seen first.
    LastSeen,
    /// Newest first.
    FirstSeen,
}

impl IssueSort {
    fn column(self) -> &'static str {
        match self {
            IssueSort::Severity => "severity_rank",
            IssueSort::LastSeen => "last_seen_at",
            IssueSort::FirstSeen => "first_seen_at",
        }
    }
}

/// Which issues to list. Every field narrows; `None` means any.
#[derive(Debug, Clone, Default)]
pub struct IssueFilter {
    /// Kind.
    pub kind: Option<String>,
    /// Exact severity.
    pub severity: Option<String>,
    /// Status.
    pub status: Option<String>,
    /// Repository.
    pub repository_id: Option<i64>,
    /// Branch.
    pub branch: Option<String>,
    /// Rule code.
    pub rule_id: Option<String>,
    /// IaC framework of the resource (`terraform`, `kubernetes`, …).
    pub framework: Option<String>,
    /// Ecosystem of the package, as OSV names it (`npm`, `PyPI`, `crates.io`).
    pub ecosystem: Option<String>,
    /// License category of a license finding (`strong_copyleft`, …).
    pub license_category: Option<String>,
    /// Package name, exactly as its ecosystem spells it.
    pub package: Option<String>,
    /// Only issues whose package has (true) or lacks (false) a fixed version.
    pub fix_available: Option<bool>,
    /// Text contained in the title, path or rule (case-insensitive on ASCII).
    pub text: Option<String>,
    /// Order.
    pub sort: IssueSort,
    /// Continue after this `(sort key, id)`.
    pub after: Option<(i64, i64)>,
    /// Page size.
    pub limit: i64,
}

/// One page of a list.
#[derive(Debug, Clone)]
pub struct IssuePage {
    /// The issues.
    pub issues: Vec<Issue>,
    /// `(sort key, id)` of the last issue when more may follow.
    pub next: Option<(i64, i64)>,
}

/// A suppression of one issue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Suppression {
    /// Id.
    pub id: i64,
    /// Issue.
    pub issue_id: i64,
    /// Why the risk is accepted.
    pub reason: String,
    /// Who accepted it.
    pub author: String,
    /// Unix ms.
    pub created_at: i64,
    /// Unix ms; the issue reopens then.
    pub expires_at: Option<i64>,
    /// Unix ms; set when lifted or expired.
    pub ended_at: Option<i64>,
}

const ISSUE_COLUMNS: &str = "id, repository_id, branch, fingerprint, kind, rule_id, title, severity, status, path, \
     start_line, evidence, first_seen_at, last_seen_at, fixed_at, severity_rank, package, resource, license, advisory";

/// A JSON column of a vigil-core type, or the row is corrupt.
fn json_column<T: serde::de::DeserializeOwned>(
    row: &AnyRow,
    column: &str,
) -> Result<Option<T>, StoreError> {
    let text: Option<String> = row.try_get(column)?;
    text.map(|text| {
        serde_json::from_str(&text)
            .map_err(|error| StoreError::Corrupt(format!("issue {column}: {error}")))
    })
    .transpose()
}

fn issue_from(row: &AnyRow) -> Result<Issue, StoreError> {
    let evidence: String = row.try_get("evidence")?;
    let kind: String = row.try_get("kind")?;
    let severity: String = row.try_get("severity")?;
    let status: String = row.try_get("status")?;
    let corrupt = |what: &str, value: &str| StoreError::Corrupt(format!("issue {what} `{value}`"));
    Ok(Issue {
        kind: FindingKind::parse(&kind).ok_or_else(|| corrupt("kind", &kind))?,
        severity: severity.parse().map_err(|_| corrupt("severity", &severity))?,
        status: status.parse().map_err(|_| corrupt("status", &status))?,
        package: json_column(row, "package")?,
        advisory: json_column(row, "advisory")?,
        resource: json_column(row, "resource")?,
        license: json_column(row, "license")?,
        id: row.try_get("id")?,
        repository_id: row.try_get("repository_id")?,
        branch: row.try_get("branch")?,
        fingerprint: row.try_get("fingerprint")?,
        rule_id: row.try_get("rule_id")?,
        title: row.try_get("title")?,
        path: row.try_get("path")?,
        start_line: row.try_get("start_line")?,
        evidence: serde_json::from_str(&evidence).unwrap_or(serde_json::Value::Null),
        first_seen_at: row.try_get("first_seen_at")?,
        last_seen_at: row.try_get("last_seen_at")?,
        fixed_at: row.try_get("fixed_at")?,
    })
}

fn suppression_from(row: &AnyRow) -> Result<Suppression, StoreError> {
    Ok(Suppression {
        id: row.try_get("id")?,
        issue_id: row.try_get("issue_id")?,
        reason: row.try_get("reason")?,
        author: row.try_get("author")?,
        created_at: row.try_get("created_at")?,
        expires_at: row.try_get("expires_at")?,
        ended_at: row.try_get("ended_at")?,
    })
}

const SUPPRESSION_COLUMNS: &str = "id, issue_id, reason, author, created_at, expires_at, ended_at";

/// A parameter of a statement built at run time.
enum Bind {
    Text(String),
    Int(i64),
}

/// `%text%` for LIKE, with the wildcard characters of `text` escaped.
fn like_pattern(text: &str) -> String {
    let escaped = text.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_");
    format!("%{}%", escaped.to_ascii_lowercase())
}

impl Store {
    /// One page of issues.
    pub async fn issues(&self, filter: &IssueFilter) -> Result<IssuePage, StoreError> {
        let sort = filter.sort.column();
        let limit = filter.limit.clamp(1, 500);
        // Only the filters given become conditions, so each combination is
        // its own statement with a plan that uses the matching index
        // (`$n IS NULL OR …` would let PostgreSQL's generic plans ignore them).
        let mut conditions: Vec<String> = Vec::new();
        let mut binds: Vec<Bind> = Vec::new();
        let mut push = |condition: &str, bind: Bind| {
            binds.push(bind);
            conditions.push(condition.replace('#', &format!("${}", binds.len())));
        };
        let text_columns = [
            ("kind", &filter.kind),
            ("status", &filter.status),
            ("branch", &filter.branch),
            ("rule_id", &filter.rule_id),
            ("framework", &filter.framework),
            ("ecosystem", &filter.ecosystem),
            ("package_name", &filter.package),
            ("license_category", &filter.license_category),
        ];
        for (column, value) in text_columns {
            if let Some(value) = value {
                push(&format!("{column} = #"), Bind::Text(value.clone()));
            }
        }
        // A severity is a rank: as an equality on `severity_rank` it is a
        // prefix of the sort key, so the status and kind indexes still
        // give the rows in order.
        if let Some(severity) = &filter.severity {
            match severity.parse::<vigil_core::Severity>() {
                Ok(parsed) => push("severity_rank = #", Bind::Int(parsed as i64)),
                Err(_) => push("severity = #", Bind::Text(severity.clone())),
            }
        }
        if let Some(fix_available) = filter.fix_available {
            push("fix_available = #", Bind::Int(i64::from(fix_available)));
        }
        if let Some(repository_id) = filter.repository_id {
            push("repository_id = #", Bind::Int(repository_id));
        }
        if let Some(text) = &filter.text {
            push(
                "(LOWER(title) LIKE # ESCAPE '\\' OR LOWER(path) LIKE # ESCAPE '\\' OR LOWER(rule_id) LIKE # ESCAPE '\\')",
                Bind::Text(like_pattern(text)),
            );
        }
        if let Some((key, id)) = filter.after {
            // A row comparison: one index range, where `a < x OR (a = x
            // AND …)` would make PostgreSQL filter row by row.
            push(&format!("({sort}, id) < (#, "), Bind::Int(key));
            let last = conditions.len() - 1;
            binds.push(Bind::Int(id));
            conditions[last].push_str(&format!("${})", binds.len()));
        }
        binds.push(Bind::Int(limit));
        let clause = if conditions.is_empty() {
            String::new()
        } else {
            format!("WHERE {}", conditions.join(" AND "))
        };
        let sql = format!(
            "SELECT {ISSUE_COLUMNS} FROM issues {clause} ORDER BY {sort} DESC, id DESC LIMIT ${}",
            binds.len()
        );
        let mut query = sqlx::query(&sql);
        for bind in binds {
            query = match bind {
                Bind::Text(text) => query.bind(text),
                Bind::Int(number) => query.bind(number),
            };
        }
        let rows = query.fetch_all(&self.pool).await?;
        let mut next = None;
        if i64::try_from(rows.len()).unwrap_or(i64::MAX) == limit {
            if let Some(last) = rows.last() {
                let key: i64 = match filter.sort {
                    IssueSort::Severity => i64::from(last.try_get::<i32, _>("severity_rank")?),
                    IssueSort::LastSeen => last.try_get("last_seen_at")?,
                    IssueSort::FirstSeen => last.try_get("first_seen_at")?,
                };
                next = Some((key, last.try_get("id")?));
            }
        }
        let issues = rows.iter().map(issue_from).collect::<Result<_, _>>()?;
        Ok(IssuePage { issues, next })
    }

    /// One issue.
    pub async fn issue(&self, id: i64) -> Result<Option<Issue>, StoreError> {
        let row = sqlx::query(&format!("SELECT {ISSUE_COLUMNS} FROM issues WHERE id = $1"))
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(issue_from).transpose()
    }

    /// Suppresses an open issue. The caller has checked reason and expiry
    /// (`vigil_core::check_suppression`). [`StoreError::Conflict`] when the
    /// issue already has an active suppression.
    pub async fn suppress(
        &self,
        issue_id: i64,
        reason: &str,
        author: &str,
        expires_at: Option<i64>,
        now: i64,
    ) -> Result<Suppression, StoreError> {
        let mut transaction = self.writer().begin().await?;
        let status = sqlx::query("SELECT status FROM issues WHERE id = $1")
            .bind(issue_id)
            .fetch_optional(&mut *transaction)
            .await?
            .ok_or(StoreError::NotFound("issue"))?;
        let status: String = status.try_get("status")?;
        if status == "suppressed" {
            return Err(StoreError::Conflict(format!("issue {issue_id} is already suppressed")));
        }
        let row = sqlx::query(&format!(
            "INSERT INTO suppressions (issue_id, reason, author, created_at, expires_at) VALUES ($1, $2, $3, $4, $5) \
             RETURNING {SUPPRESSION_COLUMNS}"
        ))
        .bind(issue_id)
        .bind(reason)
        .bind(author)
        .bind(now)
        .bind(expires_at)
        .fetch_one(&mut *transaction)
        .await?;
        sqlx::query("UPDATE issues SET status = 'suppressed' WHERE id = $1")
            .bind(issue_id)
            .execute(&mut *transaction)
            .await?;
        transaction.commit().await?;
        suppression_from(&row)
    }

    /// Lifts a suppression: it ends now and its issue is open again (if it
    /// was still suppressed). False when absent or already ended.
    pub async fn lift_suppression(&self, id: i64, now: i64) -> Result<bool, StoreError> {
        let mut transaction = self.writer().begin().await?;
        let row = sqlx::query("UPDATE suppressions SET ended_at = $1 WHERE id = $2 AND ended_at IS NULL RETURNING issue_id")
            .bind(now)
            .bind(id)
            .fetch_optional(&mut *transaction)
            .await?;
        let Some(row) = row else { return Ok(false) };
        let issue_id: i64 = row.try_get("issue_id")?;
        sqlx::query("UPDATE issues SET status = 'open' WHERE id = $1 AND status = 'suppressed'")
            .bind(issue_id)
            .execute(&mut *transaction)
            .await?;
        transaction.commit().await?;
        Ok(true)
    }

    /// Ends every suppression whose expiry has passed and reopens its
    /// issue. Returns how many ended.
    pub async fn expire_suppressions(&self, now: i64) -> Result<u64, StoreError> {
        let mut transaction = self.writer().begin().await?;
        sqlx::query(
            "UPDATE issues SET status = 'open' WHERE status = 'suppressed' AND id IN \
             (SELECT issue_id FROM suppressions WHERE ended_at IS NULL AND expires_at IS NOT NULL AND expires_at <= $1)",
        )
        .bind(now)
        .execute(&mut *transaction)
        .await?;
        let ended = sqlx::query(
            "UPDATE suppressions SET ended_at = expires_at WHERE ended_at IS NULL AND expires_at IS NOT NULL AND expires_at <= $1",
        )
        .bind(now)
        .execute(&mut *transaction)
        .await?;
        transaction.commit().await?;
        Ok(ended.rows_affected())
    }

    /// Suppressions, newest first: of one issue when given, active only
    /// when `active`.
    pub async fn suppressions(
        &self,
        issue_id: Option<i64>,
        active: bool,
    ) -> Result<Vec<Suppression>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {SUPPRESSION_COLUMNS} FROM suppressions WHERE ($1 IS NULL OR issue_id = $1) \
             AND ($2 = 0 OR ended_at IS NULL) ORDER BY id DESC LIMIT 1000"
        ))
        .bind(issue_id)
        .bind(i64::from(active))
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(suppression_from).collect()
    }

    /// One suppression.
    pub async fn suppression(&self, id: i64) -> Result<Option<Suppression>, StoreError> {
        let row =
            sqlx::query(&format!("SELECT {SUPPRESSION_COLUMNS} FROM suppressions WHERE id = $1"))
                .bind(id)
                .fetch_optional(&self.pool)
                .await?;
        row.as_ref().map(suppression_from).transpose()
    }
}
