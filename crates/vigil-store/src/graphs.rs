//! Dependency graphs kept per repository, branch and lockfile (the
//! dependency engine's artifacts of the last scan that read that file), and
//! the issues a later advisory sync finds in them without a scan.

use std::collections::HashMap;

use sqlx::Row;
use vigil_core::{Artifact, Finding, IssueStatus};

use crate::scans::{FindingDetails, insert_issue, scan_target};
use crate::{ScanScope, Store, StoreError};

/// A stored graph.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredGraph {
    /// Repository.
    pub repository_id: i64,
    /// Branch.
    pub branch: String,
    /// The lockfile.
    pub path: String,
    /// The dependency engine's JSON.
    pub graph: String,
    /// How the scan judged findings (the pipeline's verdict, JSON).
    pub verdict: String,
    /// The scan that wrote it.
    pub scan_id: i64,
}

impl StoredGraph {
    /// Its position in [`Store::dependency_graphs`]' order, to continue after it.
    pub fn key(&self) -> (i64, String, String) {
        (self.repository_id, self.branch.clone(), self.path.clone())
    }
}

/// What recording a re-match changed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MatchCounts {
    /// Issues opened.
    pub new_issues: u64,
    /// Open issues whose advisory, severity or fixed versions changed.
    pub updated: u64,
}

impl Store {
    /// Keeps the graphs a scan of `scope` produced (the `dependencies`
    /// engine's artifacts) with the scan's `verdict`: a full scan replaces
    /// every graph of the branch, a scan of some paths those paths' graphs
    /// (a lockfile deleted or no longer readable loses its graph).
    pub async fn record_dependency_graphs(
        &self,
        scan_id: i64,
        scope: &ScanScope,
        artifacts: &[Artifact],
        verdict: &str,
        now: i64,
    ) -> Result<usize, StoreError> {
        let mut transaction = self.writer().begin().await?;
        let (repository_id, branch) = scan_target(&mut transaction, scan_id).await?;
        match scope {
            ScanScope::Full => {
                sqlx::query(
                    "DELETE FROM dependency_graphs WHERE repository_id = $1 AND branch = $2",
                )
                .bind(repository_id)
                .bind(&branch)
                .execute(&mut *transaction)
                .await?;
            }
            ScanScope::Paths(paths) => {
                for path in paths {
                    sqlx::query(
                        "DELETE FROM dependency_graphs WHERE repository_id = $1 AND branch = $2 AND path = $3",
                    )
                    .bind(repository_id)
                    .bind(&branch)
                    .bind(path)
                    .execute(&mut *transaction)
                    .await?;
                }
            }
        }
        let mut kept = 0;
        for artifact in artifacts.iter().filter(|artifact| artifact.engine == "dependencies") {
            // Upserted: a scan of some paths may still read a lockfile
            // outside them (the fetcher brought the whole tree).
            sqlx::query(
                "INSERT INTO dependency_graphs (repository_id, branch, path, graph, verdict, scan_id, updated_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7) \
                 ON CONFLICT (repository_id, branch, path) DO UPDATE SET graph = excluded.graph, \
                 verdict = excluded.verdict, scan_id = excluded.scan_id, updated_at = excluded.updated_at",
            )
            .bind(repository_id)
            .bind(&branch)
            .bind(&artifact.path)
            .bind(&artifact.data)
            .bind(verdict)
            .bind(scan_id)
            .bind(now)
            .execute(&mut *transaction)
            .await?;
            kept += 1;
        }
        transaction.commit().await?;
        Ok(kept)
    }

    /// Up to `limit` stored graphs after `after`, in (repository, branch,
    /// path) order.
    pub async fn dependency_graphs(
        &self,
        after: Option<&(i64, String, String)>,
        limit: i64,
    ) -> Result<Vec<StoredGraph>, StoreError> {
        let columns = "repository_id, branch, path, graph, verdict, scan_id";
        let order = "ORDER BY repository_id, branch, path LIMIT";
        let rows = match after {
            None => {
                sqlx::query(&format!("SELECT {columns} FROM dependency_graphs {order} $1"))
                    .bind(limit)
                    .fetch_all(&self.pool)
                    .await?
            }
            Some((repository_id, branch, path)) => {
                sqlx::query(&format!(
                    "SELECT {columns} FROM dependency_graphs \
                     WHERE (repository_id, branch, path) > ($1, $2, $3) {order} $4"
                ))
                .bind(repository_id)
                .bind(branch)
                .bind(path)
                .bind(limit)
                .fetch_all(&self.pool)
                .await?
            }
        };
        rows.iter()
            .map(|row| {
                Ok(StoredGraph {
                    repository_id: row.try_get("repository_id")?,
                    branch: row.try_get("branch")?,
                    path: row.try_get("path")?,
                    graph: row.try_get("graph")?,
                    verdict: row.try_get("verdict")?,
                    scan_id: row.try_get("scan_id")?,
                })
            })
            .collect()
    }

    /// Records what matching the graph of `path` found without a scan: a
    /// finding no issue of the branch has yet opens one; an open issue's
    /// advisory details (title, severity, advisory, fixed versions) are
    /// brought up to date. Nothing is closed: a finding not matched any
    /// more waits for the next scan of the file.
    pub async fn record_matches(
        &self,
        repository_id: i64,
        branch: &str,
        path: &str,
        findings: &[Finding],
        now: i64,
    ) -> Result<MatchCounts, StoreError> {
        let mut transaction = self.writer().begin().await?;
        let rows = sqlx::query(
            "SELECT id, fingerprint, status, severity, title, advisory, package FROM issues \
             WHERE repository_id = $1 AND branch = $2 AND path = $3",
        )
        .bind(repository_id)
        .bind(branch)
        .bind(path)
        .fetch_all(&mut *transaction)
        .await?;
        let mut existing: HashMap<String, (i64, String, [Option<String>; 4])> = HashMap::new();
        for row in rows {
            existing.insert(
                row.try_get("fingerprint")?,
                (
                    row.try_get("id")?,
                    row.try_get("status")?,
                    [
                        row.try_get("severity")?,
                        row.try_get("title")?,
                        row.try_get("advisory")?,
                        row.try_get("package")?,
                    ],
                ),
            );
        }
        let mut counts = MatchCounts::default();
        for finding in findings.iter().filter(|finding| finding.location.path == path) {
            let details = FindingDetails::of(finding)?;
            match existing.get(&finding.fingerprint) {
                None => {
                    insert_issue(
                        &mut transaction,
                        repository_id,
                        branch,
                        finding,
                        IssueStatus::Open,
                        now,
                        None,
                    )
                    .await?;
                    counts.new_issues += 1;
                }
                Some((id, status, before)) if status == IssueStatus::Open.as_str() => {
                    let after = [
                        Some(finding.severity.as_str().to_owned()),
                        Some(finding.title.clone()),
                        details.advisory.clone(),
                        details.package.clone(),
                    ];
                    if *before == after {
                        continue;
                    }
                    sqlx::query(
                        "UPDATE issues SET title = $1, severity = $2, severity_rank = $3, advisory = $4, \
                         package = $5, fix_available = $6 WHERE id = $7",
                    )
                    .bind(&finding.title)
                    .bind(finding.severity.as_str())
                    .bind(finding.severity as i32)
                    .bind(details.advisory)
                    .bind(details.package)
                    .bind(details.fix_available)
                    .bind(*id)
                    .execute(&mut *transaction)
                    .await?;
                    counts.updated += 1;
                }
                Some(_) => {}
            }
        }
        transaction.commit().await?;
        Ok(counts)
    }
}
