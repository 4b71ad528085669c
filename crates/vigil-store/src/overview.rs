//! Read-only aggregates for the Web UI's overview pages: per-repository
//! open issues and last scan, the dashboard's counts by kind and severity,
//! the 30-day trend of new and fixed issues, the repositories with the
//! most open issues, and the mean time to resolve. No writes here.

use std::collections::HashMap;

use serde::Serialize;
use sqlx::Row as _;

use crate::{Repository, Store, StoreError};

const DAY_MS: i64 = 86_400_000;

/// A repository with its last scan and open issues.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RepositoryOverview {
    /// The repository.
    pub repository: Repository,
    /// Status of its newest scan, if any.
    pub last_scan_status: Option<String>,
    /// When its newest scan finished (or was queued, if not finished), Unix ms.
    pub last_scan_at: Option<i64>,
    /// Open issues as `(kind, severity, count)`.
    pub open: Vec<(String, String, i64)>,
}

/// Counts of open issues by kind and severity.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct OpenCounts {
    /// `(kind, severity, count)`, every combination that has issues.
    pub cells: Vec<(String, String, i64)>,
}

/// New and fixed issues on one UTC day.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct TrendDay {
    /// Start of the day, Unix ms.
    pub day: i64,
    /// Issues first seen that day.
    pub new: i64,
    /// Issues fixed that day.
    pub fixed: i64,
}

/// Mean time to resolve.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Resolution {
    /// Issues fixed in the window.
    pub fixed: i64,
    /// Their mean time from first seen to fixed, ms.
    pub mean_ms: Option<i64>,
}

impl Store {
    /// Repositories (of one instance, or all) by path, each with its last
    /// scan and open issues by kind and severity.
    pub async fn repository_overview(
        &self,
        instance_id: Option<i64>,
    ) -> Result<Vec<RepositoryOverview>, StoreError> {
        let repositories = self.repositories(instance_id).await?;
        let scans = sqlx::query(
            "SELECT s.repository_id, s.status, COALESCE(s.finished_at, s.queued_at) AS at FROM scans s \
             JOIN (SELECT repository_id, MAX(id) AS id FROM scans GROUP BY repository_id) newest ON newest.id = s.id",
        )
        .fetch_all(&self.pool)
        .await?;
        let counts = sqlx::query(
            "SELECT repository_id, kind, severity, COUNT(*) AS n FROM issues WHERE status = 'open' \
             GROUP BY repository_id, kind, severity",
        )
        .fetch_all(&self.pool)
        .await?;
        // Each result row read once, by repository: no pass over every row
        // per repository.
        let mut last_scans = HashMap::new();
        for row in &scans {
            let status: String = row.try_get("status")?;
            let at: i64 = row.try_get("at")?;
            last_scans.insert(row.try_get::<i64, _>("repository_id")?, (status, at));
        }
        let mut open: HashMap<i64, Vec<(String, String, i64)>> = HashMap::new();
        for row in &counts {
            open.entry(row.try_get("repository_id")?).or_default().push((
                row.try_get("kind")?,
                row.try_get("severity")?,
                row.try_get("n")?,
            ));
        }
        let out = repositories
            .into_iter()
            .map(|repository| {
                let (last_scan_status, last_scan_at) = last_scans
                    .remove(&repository.id)
                    .map_or((None, None), |(status, at)| (Some(status), Some(at)));
                RepositoryOverview {
                    open: open.remove(&repository.id).unwrap_or_default(),
                    repository,
                    last_scan_status,
                    last_scan_at,
                }
            })
            .collect();
        Ok(out)
    }

    /// Open issues by kind and severity.
    pub async fn open_counts(&self) -> Result<OpenCounts, StoreError> {
        let rows = sqlx::query(
            "SELECT kind, severity, COUNT(*) AS n FROM issues WHERE status = 'open' GROUP BY kind, severity",
        )
        .fetch_all(&self.pool)
        .await?;
        let cells = rows
            .iter()
            .map(|row| Ok((row.try_get("kind")?, row.try_get("severity")?, row.try_get("n")?)))
            .collect::<Result<_, StoreError>>()?;
        Ok(OpenCounts { cells })
    }

    /// Open license issues by license category and severity: `(category,
    /// severity, count)`, every combination that has issues.
    pub async fn open_license_categories(&self) -> Result<Vec<(String, String, i64)>, StoreError> {
        let rows = sqlx::query(
            "SELECT license_category, severity, COUNT(*) AS n FROM issues \
             WHERE status = 'open' AND license_category IS NOT NULL GROUP BY license_category, severity",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                Ok((row.try_get("license_category")?, row.try_get("severity")?, row.try_get("n")?))
            })
            .collect()
    }

    /// New and fixed issues per UTC day for the `days` days up to `now`
    /// (oldest first, every day present).
    pub async fn issue_trend(&self, days: i64, now: i64) -> Result<Vec<TrendDay>, StoreError> {
        let first_day = (now / DAY_MS - days + 1) * DAY_MS;
        let mut trend: Vec<TrendDay> = (0..days)
            .map(|index| TrendDay { day: first_day + index * DAY_MS, new: 0, fixed: 0 })
            .collect();
        for (column, is_new) in [("first_seen_at", true), ("fixed_at", false)] {
            let rows = sqlx::query(&format!(
                "SELECT {column} / {DAY_MS} AS day, COUNT(*) AS n FROM issues WHERE {column} >= $1 GROUP BY {column} / {DAY_MS}"
            ))
            .bind(first_day)
            .fetch_all(&self.pool)
            .await?;
            for row in rows {
                let day: i64 = row.try_get("day")?;
                let count: i64 = row.try_get("n")?;
                let index = usize::try_from((day * DAY_MS - first_day) / DAY_MS).ok();
                if let Some(entry) = index.and_then(|index| trend.get_mut(index)) {
                    if is_new { entry.new = count } else { entry.fixed = count }
                }
            }
        }
        Ok(trend)
    }

    /// The `limit` repositories with the most open issues: `(repository
    /// id, path, open, of which critical or high)`.
    pub async fn top_repositories(
        &self,
        limit: i64,
    ) -> Result<Vec<(i64, String, i64, i64)>, StoreError> {
        let rows = sqlx::query(
            "SELECT r.id, r.path, COUNT(*) AS open, SUM(CASE WHEN i.severity_rank >= 3 THEN 1 ELSE 0 END) AS severe \
             FROM issues i JOIN repositories r ON r.id = i.repository_id WHERE i.status = 'open' \
             GROUP BY r.id, r.path ORDER BY open DESC, r.path LIMIT $1",
        )
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                Ok((
                    row.try_get("id")?,
                    row.try_get("path")?,
                    row.try_get("open")?,
                    row.try_get("severe")?,
                ))
            })
            .collect()
    }

    /// Mean time to resolve the issues fixed since `since`.
    pub async fn resolution(&self, since: i64) -> Result<Resolution, StoreError> {
        let row = sqlx::query(
            "SELECT COUNT(*) AS fixed, CAST(AVG(fixed_at - first_seen_at) AS BIGINT) AS mean_ms \
             FROM issues WHERE status = 'fixed' AND fixed_at >= $1",
        )
        .bind(since)
        .fetch_one(&self.pool)
        .await?;
        Ok(Resolution { fixed: row.try_get("fixed")?, mean_ms: row.try_get("mean_ms")? })
    }
}

/// A scan that reported an issue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Sighting {
    /// Scan id.
    pub scan_id: i64,
    /// What started it.
    pub trigger: String,
    /// Commit scanned, if known.
    pub commit_sha: Option<String>,
    /// When it was queued, Unix ms.
    pub queued_at: i64,
}

impl Store {
    /// The newest `limit` scans that reported issue `issue_id`.
    pub async fn issue_sightings(
        &self,
        issue_id: i64,
        limit: i64,
    ) -> Result<Vec<Sighting>, StoreError> {
        let rows = sqlx::query(
            "SELECT s.id, s.trigger_kind, s.commit_sha, s.queued_at FROM scan_findings f JOIN scans s ON s.id = f.scan_id \
             WHERE f.issue_id = $1 ORDER BY s.id DESC LIMIT $2",
        )
        .bind(issue_id)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                Ok(Sighting {
                    scan_id: row.try_get("id")?,
                    trigger: row.try_get("trigger_kind")?,
                    commit_sha: row.try_get("commit_sha")?,
                    queued_at: row.try_get("queued_at")?,
                })
            })
            .collect()
    }
}
