//! Named leases in the database: the one way several server processes
//! agree that exactly one of them runs a singleton task (the scheduler).
//! PostgreSQL is the only shared state; no leader election of our own.

use crate::{Store, StoreError};

impl Store {
    /// Takes or renews lease `name` for `holder` until `now + ttl_ms`.
    /// True when `holder` holds it afterwards: it was free, expired, or
    /// already `holder`'s. One statement, so two callers never both win.
    pub async fn acquire_lease(
        &self,
        name: &str,
        holder: &str,
        ttl_ms: i64,
        now: i64,
    ) -> Result<bool, StoreError> {
        let result = sqlx::query(
            "INSERT INTO leases (name, holder, held_until) VALUES ($1, $2, $3) \
             ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, held_until = excluded.held_until \
             WHERE leases.held_until < $4 OR leases.holder = excluded.holder",
        )
        .bind(name)
        .bind(holder)
        .bind(now + ttl_ms)
        .bind(now)
        .execute(self.writer())
        .await?;
        Ok(result.rows_affected() == 1)
    }

    /// Gives lease `name` up if `holder` holds it (graceful shutdown).
    pub async fn release_lease(&self, name: &str, holder: &str) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM leases WHERE name = $1 AND holder = $2")
            .bind(name)
            .bind(holder)
            .execute(self.writer())
            .await?;
        Ok(())
    }

    /// Repositories whose periodic full scan is due, with their interval,
    /// and moves each one's next time forward by that interval in the same
    /// statement, so that a repository is picked once per interval.
    pub async fn take_due_repositories(
        &self,
        now: i64,
        limit: i64,
    ) -> Result<Vec<(i64, String)>, StoreError> {
        let rows = sqlx::query(
            "UPDATE repositories SET next_scan_at = $1 + 1000 * (SELECT scan_interval_s FROM instances i WHERE i.id = repositories.instance_id) \
             WHERE id IN (SELECT id FROM repositories WHERE selected = 1 AND next_scan_at IS NOT NULL AND next_scan_at <= $1 \
             ORDER BY next_scan_at LIMIT $2) RETURNING id, default_branch",
        )
        .bind(now)
        .bind(limit)
        .fetch_all(self.writer())
        .await?;
        use sqlx::Row as _;
        rows.iter().map(|row| Ok((row.try_get("id")?, row.try_get("default_branch")?))).collect()
    }

    /// Moves a repository's next periodic full scan one interval after
    /// `now` (a full scan was just queued for it: onboarding).
    pub async fn postpone_periodic_scan(
        &self,
        repository_id: i64,
        now: i64,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE repositories SET next_scan_at = $1 + 1000 * (SELECT scan_interval_s FROM instances i WHERE i.id = repositories.instance_id) \
             WHERE id = $2",
        )
        .bind(now)
        .bind(repository_id)
        .execute(self.writer())
        .await?;
        Ok(())
    }
}
