//! Connecting to SQLite or PostgreSQL and applying the migrations of that
//! backend (`migrations/{sqlite,postgres}/NNNN_name.sql`).

use sqlx::AnyPool;
use sqlx::any::AnyPoolOptions;

use crate::Queue;

/// Which database a store talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// A SQLite file: one machine, embedded.
    Sqlite,
    /// PostgreSQL: many processes, one shared database.
    Postgres,
}

/// A storage failure. Messages never contain credentials: URLs are reduced
/// to their scheme and host.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The URL names no supported backend.
    #[error("unsupported database URL `{0}` (expected sqlite://… or postgres://…)")]
    UnsupportedUrl(String),
    /// The database could not be reached or opened.
    #[error("cannot connect to {target}: {source}")]
    Connect {
        /// Scheme and host of the URL, without credentials.
        target: String,
        /// Why.
        source: sqlx::Error,
    },
    /// A migration failed.
    #[error("cannot migrate the database: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// A query failed.
    #[error("database error: {0}")]
    Query(#[from] sqlx::Error),
    /// A job payload is not valid JSON.
    #[error("job {id} has a payload that is not JSON: {source}")]
    Payload {
        /// The job.
        id: i64,
        /// Why.
        source: serde_json::Error,
    },
}

/// A connection pool to one database.
#[derive(Debug, Clone)]
pub struct Store {
    pool: AnyPool,
    backend: Backend,
}

/// `postgres://user:secret@db:5432/x` → `postgres://db:5432`: enough to say
/// which database failed without printing a password.
fn redact_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else { return "the database".to_owned() };
    let host = rest.rsplit_once('@').map_or(rest, |(_, host)| host);
    let host = host.split(['/', '?']).next().unwrap_or_default();
    format!("{scheme}://{host}")
}

impl Store {
    /// Connects to `url`: `sqlite://PATH[?mode=rwc]` or `postgres://…`.
    pub async fn connect(url: &str) -> Result<Store, StoreError> {
        sqlx::any::install_default_drivers();
        let backend = if url.starts_with("sqlite:") {
            Backend::Sqlite
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Backend::Postgres
        } else {
            return Err(StoreError::UnsupportedUrl(redact_url(url)));
        };
        // SQLite has one writer; a small pool avoids lock contention on it.
        let connections = if backend == Backend::Sqlite { 4 } else { 16 };
        let pool = AnyPoolOptions::new()
            .max_connections(connections)
            .connect(url)
            .await
            .map_err(|source| StoreError::Connect { target: redact_url(url), source })?;
        if backend == Backend::Sqlite {
            // WAL lets readers run beside the writer; the busy timeout makes
            // writers queue instead of failing while another one commits.
            sqlx::query("PRAGMA journal_mode = WAL").execute(&pool).await?;
            sqlx::query("PRAGMA busy_timeout = 10000").execute(&pool).await?;
        }
        Ok(Store { pool, backend })
    }

    /// Applies every migration of this backend not applied yet.
    pub async fn migrate(&self) -> Result<(), StoreError> {
        match self.backend {
            Backend::Sqlite => sqlx::migrate!("./migrations/sqlite").run(&self.pool).await?,
            Backend::Postgres => sqlx::migrate!("./migrations/postgres").run(&self.pool).await?,
        }
        Ok(())
    }

    /// The backend.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// The job queue.
    pub fn queue(&self) -> Queue<'_> {
        Queue::new(&self.pool, self.backend)
    }

    /// Runs one statement that takes no parameters and returns no rows
    /// (administration: `CREATE DATABASE`, `VACUUM`).
    pub async fn execute_raw(&self, sql: &str) -> Result<(), StoreError> {
        sqlx::raw_sql(sql).execute(&self.pool).await?;
        Ok(())
    }

    /// Closes every connection.
    pub async fn close(&self) {
        self.pool.close().await;
    }
}

#[cfg(test)]
mod tests {
    use super::redact_url;

    #[test]
    fn urls_lose_their_credentials() {
        assert_eq!(
            redact_url("postgres://app:s3cret@db.internal:5432/vigil?sslmode=require"),
            "postgres://db.internal:5432"
        );
        assert_eq!(redact_url("sqlite:///var/lib/vigil/vigil.db"), "sqlite://");
        assert_eq!(redact_url("nonsense"), "the database");
    }
}
