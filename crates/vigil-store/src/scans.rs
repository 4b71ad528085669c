//! Scans and their history: a scan is queued, runs, and finishes by
//! reconciling its findings into the repository's issues (the lifecycle
//! rules are `vigil_core::on_seen` / `on_absent`); the last
//! [`SCAN_HISTORY_LIMIT`] scans of each repository are kept.

use std::collections::{HashMap, HashSet};

use serde::Serialize;
use sqlx::Row;
use sqlx::any::AnyRow;
use vigil_core::{
    Diagnostic, DiagnosticLevel, Finding, IssueStatus, Transition, on_absent, on_seen,
};

use crate::{Store, StoreError};

/// Scans kept per repository; older ones (and their finding links) are
/// deleted when a new scan is recorded. Issues are never deleted by this.
pub const SCAN_HISTORY_LIMIT: i64 = 1_000;

/// What a scan covers, which decides what "absent" means.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ScanScope {
    /// Every file of the branch: open issues not seen are fixed.
    Full,
    /// Only these paths (changed files): open issues in them not seen are fixed.
    Paths(Vec<String>),
}

/// A scan to record.
#[derive(Debug, Clone)]
pub struct NewScan {
    /// Repository.
    pub repository_id: i64,
    /// Branch.
    pub branch: String,
    /// Commit, when known.
    pub commit_sha: Option<String>,
    /// `manual`, `schedule`, `push`, `merge_request`, `onboarding`.
    pub trigger: String,
    /// Full or changed paths.
    pub scope: ScanScope,
}

/// A scan in the history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Scan {
    /// Id.
    pub id: i64,
    /// Repository.
    pub repository_id: i64,
    /// Branch.
    pub branch: String,
    /// Commit.
    pub commit_sha: Option<String>,
    /// What started it.
    pub trigger: String,
    /// `full` or `paths`.
    pub scope: String,
    /// `queued`, `running`, `succeeded` or `failed`.
    pub status: String,
    /// The job running it.
    pub job_id: Option<i64>,
    /// Unix ms.
    pub queued_at: i64,
    /// Unix ms.
    pub started_at: Option<i64>,
    /// Unix ms.
    pub finished_at: Option<i64>,
    /// `finished_at − started_at`.
    pub duration_ms: Option<i64>,
    /// Files the engines read.
    pub files_scanned: i64,
    /// Findings reported.
    pub findings: i64,
    /// Issues created.
    pub new_issues: i64,
    /// Issues fixed.
    pub fixed_issues: i64,
    /// Issues reopened.
    pub reopened: i64,
    /// Errors and diagnostics, one per line.
    pub errors: String,
}

/// What reconciling one scan changed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct ReconcileCounts {
    /// Findings reported.
    pub findings: i64,
    /// Issues created.
    pub new_issues: i64,
    /// Issues fixed.
    pub fixed_issues: i64,
    /// Issues reopened.
    pub reopened: i64,
}

const SCAN_COLUMNS: &str = "id, repository_id, branch, commit_sha, trigger_kind, scope, status, job_id, queued_at, \
     started_at, finished_at, files_scanned, findings, new_issues, fixed_issues, reopened, errors";

fn scan_from(row: &AnyRow) -> Result<Scan, StoreError> {
    let started_at: Option<i64> = row.try_get("started_at")?;
    let finished_at: Option<i64> = row.try_get("finished_at")?;
    Ok(Scan {
        id: row.try_get("id")?,
        repository_id: row.try_get("repository_id")?,
        branch: row.try_get("branch")?,
        commit_sha: row.try_get("commit_sha")?,
        trigger: row.try_get("trigger_kind")?,
        scope: row.try_get("scope")?,
        status: row.try_get("status")?,
        job_id: row.try_get("job_id")?,
        queued_at: row.try_get("queued_at")?,
        started_at,
        finished_at,
        duration_ms: started_at.zip(finished_at).map(|(start, end)| end - start),
        files_scanned: row.try_get("files_scanned")?,
        findings: row.try_get("findings")?,
        new_issues: row.try_get("new_issues")?,
        fixed_issues: row.try_get("fixed_issues")?,
        reopened: row.try_get("reopened")?,
        errors: row.try_get("errors")?,
    })
}

/// The scope column, with the paths it covers.
fn scope_text(scope: &ScanScope) -> &'static str {
    match scope {
        ScanScope::Full => "full",
        ScanScope::Paths(_) => "paths",
    }
}

impl Store {
    /// Records a queued scan and trims the repository's history to
    /// [`SCAN_HISTORY_LIMIT`] scans.
    pub async fn create_scan(&self, new: &NewScan, now: i64) -> Result<Scan, StoreError> {
        let row = sqlx::query(&format!(
            "INSERT INTO scans (repository_id, branch, commit_sha, trigger_kind, scope, status, queued_at) \
             VALUES ($1, $2, $3, $4, $5, 'queued', $6) RETURNING {SCAN_COLUMNS}"
        ))
        .bind(new.repository_id)
        .bind(&new.branch)
        .bind(new.commit_sha.as_deref())
        .bind(&new.trigger)
        .bind(scope_text(&new.scope))
        .bind(now)
        .fetch_one(self.writer())
        .await?;
        sqlx::query(
            "DELETE FROM scans WHERE repository_id = $1 AND id <= \
             (SELECT id FROM scans WHERE repository_id = $1 ORDER BY id DESC LIMIT 1 OFFSET $2)",
        )
        .bind(new.repository_id)
        .bind(SCAN_HISTORY_LIMIT)
        .execute(self.writer())
        .await?;
        scan_from(&row)
    }

    /// Links a scan to the job that runs it.
    pub async fn set_scan_job(&self, scan_id: i64, job_id: i64) -> Result<(), StoreError> {
        sqlx::query("UPDATE scans SET job_id = $1 WHERE id = $2")
            .bind(job_id)
            .bind(scan_id)
            .execute(self.writer())
            .await?;
        Ok(())
    }

    /// Marks a scan running (again, when its job is retried).
    pub async fn start_scan(&self, scan_id: i64, now: i64) -> Result<(), StoreError> {
        sqlx::query("UPDATE scans SET status = 'running', started_at = $1 WHERE id = $2")
            .bind(now)
            .bind(scan_id)
            .execute(self.writer())
            .await?;
        Ok(())
    }

    /// Marks a scan failed with `error`.
    pub async fn fail_scan(&self, scan_id: i64, error: &str, now: i64) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE scans SET status = 'failed', finished_at = $1, errors = $2 WHERE id = $3",
        )
        .bind(now)
        .bind(error)
        .bind(scan_id)
        .execute(self.writer())
        .await?;
        Ok(())
    }

    /// One scan.
    pub async fn scan(&self, id: i64) -> Result<Option<Scan>, StoreError> {
        let row = sqlx::query(&format!("SELECT {SCAN_COLUMNS} FROM scans WHERE id = $1"))
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(scan_from).transpose()
    }

    /// Whether `branch` of repository `repository_id` has a full scan that
    /// is queued, running or succeeded: a sync gives a first scan only to
    /// repositories without one (a failed first scan gets another).
    pub async fn has_full_scan(
        &self,
        repository_id: i64,
        branch: &str,
    ) -> Result<bool, StoreError> {
        let row = sqlx::query(
            "SELECT COUNT(*) AS scans FROM scans WHERE repository_id = $1 AND branch = $2 \
             AND scope = 'full' AND status <> 'failed'",
        )
        .bind(repository_id)
        .bind(branch)
        .fetch_one(&self.pool)
        .await?;
        Ok(row.try_get::<i64, _>("scans")? > 0)
    }

    /// Scans newest first, of one repository when given, older than
    /// `before` (an id) when given.
    pub async fn scans(
        &self,
        repository_id: Option<i64>,
        before: Option<i64>,
        limit: i64,
    ) -> Result<Vec<Scan>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {SCAN_COLUMNS} FROM scans WHERE ($1 IS NULL OR repository_id = $1) AND ($2 IS NULL OR id < $2) \
             ORDER BY id DESC LIMIT $3"
        ))
        .bind(repository_id)
        .bind(before)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(scan_from).collect()
    }

    /// Finishes scan `scan_id`: reconciles `findings` into the issues of its
    /// repository and branch in one transaction, then records the counts.
    /// Running it twice for the same scan gives the same issues (a retried
    /// job is harmless).
    pub async fn finish_scan(
        &self,
        scan_id: i64,
        scope: &ScanScope,
        findings: &[Finding],
        files_scanned: i64,
        diagnostics: &[Diagnostic],
        now: i64,
    ) -> Result<ReconcileCounts, StoreError> {
        let mut transaction = self.writer().begin().await?;
        let (repository_id, branch) = scan_target(&mut transaction, scan_id).await?;

        let mut existing: HashMap<String, (i64, IssueStatus, String)> = HashMap::new();
        let rows = sqlx::query("SELECT id, fingerprint, status, path FROM issues WHERE repository_id = $1 AND branch = $2")
            .bind(repository_id)
            .bind(&branch)
            .fetch_all(&mut *transaction)
            .await?;
        for row in rows {
            let status: String = row.try_get("status")?;
            let status = status
                .parse()
                .map_err(|_| StoreError::Corrupt(format!("issue status `{status}`")))?;
            existing.insert(
                row.try_get("fingerprint")?,
                (row.try_get("id")?, status, row.try_get("path")?),
            );
        }

        sqlx::query("DELETE FROM scan_findings WHERE scan_id = $1")
            .bind(scan_id)
            .execute(&mut *transaction)
            .await?;
        let mut counts = ReconcileCounts::default();
        let mut seen = HashSet::new();
        for finding in findings {
            if !seen.insert(finding.fingerprint.as_str()) {
                continue;
            }
            counts.findings += 1;
            let current = existing.get(&finding.fingerprint);
            let transition = on_seen(current.map(|(_, status, _)| *status));
            let status = transition.status_after(current.map(|(_, status, _)| *status));
            let issue_id: i64 = match current {
                None => {
                    let id = insert_issue(
                        &mut transaction,
                        repository_id,
                        &branch,
                        finding,
                        status,
                        now,
                        Some(scan_id),
                    )
                    .await?;
                    counts.new_issues += 1;
                    id
                }
                Some((id, _, _)) => {
                    let evidence = serde_json::to_string(&finding.evidence)
                        .map_err(|error| StoreError::Corrupt(format!("evidence: {error}")))?;
                    let details = FindingDetails::of(finding)?;
                    let update = sqlx::query(
                        "UPDATE issues SET status = $1, title = $2, severity = $3, severity_rank = $4, path = $5, \
                         start_line = $6, evidence = $7, last_seen_at = $8, last_scan_id = $9, \
                         fixed_at = CASE WHEN $1 = 'fixed' THEN fixed_at ELSE NULL END, \
                         package = $11, resource = $12, license = $13, purl = $14, framework = $15, \
                         advisory = $16, ecosystem = $17, package_name = $18, fix_available = $19, \
                         license_category = $20 WHERE id = $10",
                    )
                    .bind(status.as_str())
                    .bind(&finding.title)
                    .bind(finding.severity.as_str())
                    .bind(finding.severity as i32)
                    .bind(&finding.location.path)
                    .bind(i64::from(finding.location.start_line))
                    .bind(evidence)
                    .bind(now)
                    .bind(scan_id)
                    .bind(*id);
                    details.bind(update).execute(&mut *transaction).await?;
                    if transition == Transition::Reopened {
                        counts.reopened += 1;
                    }
                    *id
                }
            };
            sqlx::query("INSERT INTO scan_findings (scan_id, issue_id) VALUES ($1, $2)")
                .bind(scan_id)
                .bind(issue_id)
                .execute(&mut *transaction)
                .await?;
        }

        let covered: Option<HashSet<&str>> = match scope {
            ScanScope::Full => None,
            ScanScope::Paths(paths) => Some(paths.iter().map(String::as_str).collect()),
        };
        for (fingerprint, (id, status, path)) in &existing {
            if seen.contains(fingerprint.as_str()) {
                continue;
            }
            if covered.as_ref().is_some_and(|paths| !paths.contains(path.as_str())) {
                continue;
            }
            if on_absent(*status) == Transition::Fixed {
                sqlx::query("UPDATE issues SET status = 'fixed', fixed_at = $1, last_scan_id = $2 WHERE id = $3")
                    .bind(now)
                    .bind(scan_id)
                    .bind(*id)
                    .execute(&mut *transaction)
                    .await?;
                counts.fixed_issues += 1;
            }
        }

        sqlx::query("DELETE FROM scan_diagnostics WHERE scan_id = $1")
            .bind(scan_id)
            .execute(&mut *transaction)
            .await?;
        let kept = diagnostics.len().min(MAX_STORED_DIAGNOSTICS);
        let mut stored: Vec<Diagnostic> = diagnostics[..kept].to_vec();
        if diagnostics.len() > kept {
            stored.push(Diagnostic {
                level: DiagnosticLevel::Note,
                path: None,
                line: None,
                column: None,
                message: format!("{} more diagnostics not stored", diagnostics.len() - kept),
            });
        }
        // Many rows per statement: a large repository's scan has hundreds of
        // skipped-file notes, and one statement each cost a round trip each.
        for chunk in stored.chunks(DIAGNOSTICS_PER_INSERT) {
            let rows: Vec<String> = (0..chunk.len())
                .map(|row| {
                    let first = row * 5 + 2;
                    format!(
                        "($1, ${}, ${}, ${}, ${}, ${})",
                        first,
                        first + 1,
                        first + 2,
                        first + 3,
                        first + 4
                    )
                })
                .collect();
            let sql = format!(
                "INSERT INTO scan_diagnostics (scan_id, level, path, line, column_number, message) VALUES {}",
                rows.join(", ")
            );
            let mut insert = sqlx::query(&sql).bind(scan_id);
            for diagnostic in chunk {
                insert = insert
                    .bind(level_text(diagnostic.level))
                    .bind(diagnostic.path.as_deref())
                    .bind(diagnostic.line.map(i64::from))
                    .bind(diagnostic.column.map(i64::from))
                    .bind(&diagnostic.message);
            }
            insert.execute(&mut *transaction).await?;
        }
        let errors: Vec<String> = stored.iter().map(Diagnostic::describe).collect();
        let errors = errors.join("\n");
        sqlx::query(
            "UPDATE scans SET status = 'succeeded', finished_at = $1, files_scanned = $2, findings = $3, new_issues = $4, \
             fixed_issues = $5, reopened = $6, errors = $7 WHERE id = $8",
        )
        .bind(now)
        .bind(files_scanned)
        .bind(counts.findings)
        .bind(counts.new_issues)
        .bind(counts.fixed_issues)
        .bind(counts.reopened)
        .bind(&errors)
        .bind(scan_id)
        .execute(&mut *transaction)
        .await?;
        transaction.commit().await?;
        Ok(counts)
    }
}

/// Diagnostics kept per scan; past this, one note says how many more.
pub const MAX_STORED_DIAGNOSTICS: usize = 1000;

/// Rows per `INSERT` of diagnostics (5 parameters each, far below both
/// backends' limits).
const DIAGNOSTICS_PER_INSERT: usize = 200;

fn level_text(level: DiagnosticLevel) -> &'static str {
    match level {
        DiagnosticLevel::Note => "note",
        DiagnosticLevel::Warning => "warning",
        DiagnosticLevel::Error => "error",
    }
}

/// The repository and branch scan `scan_id` is of.
pub(crate) async fn scan_target(
    connection: &mut sqlx::AnyConnection,
    scan_id: i64,
) -> Result<(i64, String), StoreError> {
    let scan = sqlx::query("SELECT repository_id, branch FROM scans WHERE id = $1")
        .bind(scan_id)
        .fetch_optional(&mut *connection)
        .await?
        .ok_or(StoreError::NotFound("scan"))?;
    Ok((scan.try_get("repository_id")?, scan.try_get("branch")?))
}

/// Inserts a new issue for `finding`; its id.
pub(crate) async fn insert_issue(
    connection: &mut sqlx::AnyConnection,
    repository_id: i64,
    branch: &str,
    finding: &Finding,
    status: IssueStatus,
    now: i64,
    scan_id: Option<i64>,
) -> Result<i64, StoreError> {
    let evidence = serde_json::to_string(&finding.evidence)
        .map_err(|error| StoreError::Corrupt(format!("evidence: {error}")))?;
    let details = FindingDetails::of(finding)?;
    let insert = sqlx::query(
        "INSERT INTO issues (repository_id, branch, fingerprint, kind, rule_id, title, severity, severity_rank, \
         status, path, start_line, evidence, first_seen_at, last_seen_at, first_scan_id, last_scan_id, \
         package, resource, license, purl, framework, advisory, ecosystem, package_name, fix_available, \
         license_category) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $13, $14, $14, $15, $16, $17, $18, $19, \
         $20, $21, $22, $23, $24) RETURNING id",
    )
    .bind(repository_id)
    .bind(branch)
    .bind(&finding.fingerprint)
    .bind(finding.kind.as_str())
    .bind(&finding.rule_id)
    .bind(&finding.title)
    .bind(finding.severity.as_str())
    .bind(finding.severity as i32)
    .bind(status.as_str())
    .bind(&finding.location.path)
    .bind(i64::from(finding.location.start_line))
    .bind(evidence)
    .bind(now)
    .bind(scan_id);
    let row = details.bind(insert).fetch_one(&mut *connection).await?;
    Ok(row.try_get("id")?)
}

/// A finding's package, resource and license as the issue row stores them.
pub(crate) struct FindingDetails {
    pub(crate) package: Option<String>,
    pub(crate) resource: Option<String>,
    pub(crate) license: Option<String>,
    pub(crate) purl: Option<String>,
    pub(crate) framework: Option<String>,
    pub(crate) advisory: Option<String>,
    pub(crate) ecosystem: Option<String>,
    pub(crate) package_name: Option<String>,
    pub(crate) fix_available: Option<i32>,
    pub(crate) license_category: Option<String>,
}

/// A statement being built.
type AnyQuery<'q> = sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>>;

impl FindingDetails {
    /// Binds the next ten parameters: `package, resource, license, purl,
    /// framework, advisory, ecosystem, package_name, fix_available,
    /// license_category`.
    fn bind(self, query: AnyQuery<'_>) -> AnyQuery<'_> {
        query
            .bind(self.package)
            .bind(self.resource)
            .bind(self.license)
            .bind(self.purl)
            .bind(self.framework)
            .bind(self.advisory)
            .bind(self.ecosystem)
            .bind(self.package_name)
            .bind(self.fix_available)
            .bind(self.license_category)
    }

    pub(crate) fn of(finding: &Finding) -> Result<FindingDetails, StoreError> {
        fn json<T: Serialize>(value: Option<&T>) -> Result<Option<String>, StoreError> {
            value
                .map(|value| {
                    serde_json::to_string(value)
                        .map_err(|error| StoreError::Corrupt(format!("finding details: {error}")))
                })
                .transpose()
        }
        Ok(FindingDetails {
            package: json(finding.package.as_ref())?,
            resource: json(finding.resource.as_ref())?,
            license: json(finding.license.as_ref())?,
            purl: finding.package.as_ref().map(|package| package.purl.clone()),
            framework: finding.resource.as_ref().map(|resource| resource.framework.clone()),
            advisory: json(finding.advisory.as_ref())?,
            ecosystem: finding.package.as_ref().map(|package| package.ecosystem.clone()),
            package_name: finding.package.as_ref().map(|package| package.name.clone()),
            fix_available: finding
                .package
                .as_ref()
                .map(|package| i32::from(!package.fixed_versions.is_empty())),
            license_category: finding.license.as_ref().map(|license| license.category.clone()),
        })
    }
}

impl Store {
    /// The diagnostics of scan `scan_id`, in report order.
    pub async fn scan_diagnostics(&self, scan_id: i64) -> Result<Vec<Diagnostic>, StoreError> {
        let rows = sqlx::query(
            "SELECT level, path, line, column_number, message FROM scan_diagnostics \
             WHERE scan_id = $1 ORDER BY id",
        )
        .bind(scan_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                let level: String = row.try_get("level")?;
                let position = |column: &str| -> Result<Option<u32>, StoreError> {
                    let value: Option<i64> = row.try_get(column)?;
                    Ok(value.and_then(|value| u32::try_from(value).ok()))
                };
                Ok(Diagnostic {
                    level: match level.as_str() {
                        "note" => DiagnosticLevel::Note,
                        "warning" => DiagnosticLevel::Warning,
                        "error" => DiagnosticLevel::Error,
                        other => {
                            return Err(StoreError::Corrupt(format!("diagnostic level `{other}`")));
                        }
                    },
                    path: row.try_get("path")?,
                    line: position("line")?,
                    column: position("column_number")?,
                    message: row.try_get("message")?,
                })
            })
            .collect()
    }

    /// Scans in the history by status.
    pub async fn scan_counts(&self) -> Result<Vec<(String, i64)>, StoreError> {
        let rows =
            sqlx::query("SELECT status, COUNT(*) AS n FROM scans GROUP BY status ORDER BY status")
                .fetch_all(&self.pool)
                .await?;
        rows.iter().map(|row| Ok((row.try_get("status")?, row.try_get("n")?))).collect()
    }

    /// The scan a job runs.
    pub async fn scan_by_job(&self, job_id: i64) -> Result<Option<Scan>, StoreError> {
        let row = sqlx::query(&format!("SELECT {SCAN_COLUMNS} FROM scans WHERE job_id = $1"))
            .bind(job_id)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(scan_from).transpose()
    }

    /// Deletes a scan that never ran (its job was de-duplicated).
    pub async fn delete_scan(&self, id: i64) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM scans WHERE id = $1").bind(id).execute(self.writer()).await?;
        Ok(())
    }
}
