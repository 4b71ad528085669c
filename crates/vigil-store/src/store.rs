//! Connecting to SQLite or PostgreSQL and applying the migrations of that
//! backend (`migrations/{sqlite,postgres}/NNNN_name.sql`).

use sqlx::AnyPool;
use sqlx::any::AnyPoolOptions;

use std::sync::Arc;

use crate::Queue;
use crate::crypto::Keyring;

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
    /// A unique value (name, URL) is taken.
    #[error("{0}")]
    Conflict(String),
    /// A row the operation needs does not exist.
    #[error("{0} not found")]
    NotFound(&'static str),
    /// A stored value is not what the schema promises.
    #[error("corrupt stored value: {0}")]
    Corrupt(String),
    /// Secrets cannot be read or written without a master key.
    #[error("no master key is loaded; secrets cannot be encrypted or decrypted")]
    NoKeyring,
    /// A column that is not one of the encrypted ones was named.
    #[error("`{0}` is not an encrypted column")]
    NotEncrypted(String),
    /// Encryption or decryption failed.
    #[error(transparent)]
    Crypto(#[from] crate::crypto::CryptoError),
    /// A job payload is not valid JSON.
    #[error("job {id} has a payload that is not JSON: {source}")]
    Payload {
        /// The job.
        id: i64,
        /// Why.
        source: serde_json::Error,
    },
}

impl StoreError {
    /// Maps a unique-constraint violation to [`StoreError::Conflict`] with
    /// `message`; any other error stays a query error.
    pub(crate) fn conflict_or(error: sqlx::Error, message: String) -> StoreError {
        match &error {
            sqlx::Error::Database(database) if database.is_unique_violation() => {
                StoreError::Conflict(message)
            }
            _ => StoreError::Query(error),
        }
    }
}

/// A connection pool to one database.
#[derive(Clone)]
pub struct Store {
    /// Reads (and, on PostgreSQL, writes).
    pub(crate) pool: AnyPool,
    /// Writes: on SQLite one connection, so writers queue in the process
    /// instead of sleeping in SQLite's busy handler; on PostgreSQL `pool`.
    writer: AnyPool,
    pub(crate) backend: Backend,
    /// Kept for the PostgreSQL `LISTEN` connection; never printed.
    url: String,
    pub(crate) keyring: Option<Arc<Keyring>>,
}

/// `postgres://user:secret@db:5432/x` → `postgres://db:5432`: enough to say
/// which database failed without printing a password.
fn redact_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else { return "the database".to_owned() };
    let host = rest.rsplit_once('@').map_or(rest, |(_, host)| host);
    let host = host.split(['/', '?']).next().unwrap_or_default();
    format!("{scheme}://{host}")
}

/// A pool of `connections` to `url`; SQLite connections get their pragmas.
async fn open_pool(url: &str, backend: Backend, connections: u32) -> Result<AnyPool, StoreError> {
    AnyPoolOptions::new()
        .max_connections(connections)
        .after_connect(move |connection, _| {
            Box::pin(async move {
                if backend == Backend::Sqlite {
                    use sqlx::Executor as _;
                    // Per connection: WAL lets readers run beside the
                    // writer, the busy timeout makes writers queue instead
                    // of failing, and foreign keys make deletes cascade.
                    connection
                        .execute(
                            "PRAGMA journal_mode = WAL; PRAGMA busy_timeout = 10000; \
                             PRAGMA foreign_keys = ON; PRAGMA synchronous = NORMAL;",
                        )
                        .await?;
                }
                Ok(())
            })
        })
        .connect(url)
        .await
        .map_err(|source| StoreError::Connect { target: redact_url(url), source })
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("backend", &self.backend)
            .field("database", &redact_url(&self.url))
            .field("keyring", &self.keyring)
            .finish()
    }
}

/// Wake-ups for idle workers: PostgreSQL `LISTEN vigil_jobs`, to which every
/// enqueue sends a `NOTIFY`. On SQLite there is no such thing and workers
/// poll (the embedded pool shares the process, so the server wakes it
/// directly).
pub struct JobListener {
    listener: sqlx::postgres::PgListener,
}

impl JobListener {
    /// Waits for the next notification. Errors mean the connection
    /// dropped; sqlx reconnects on the next call.
    pub async fn recv(&mut self) -> Result<(), StoreError> {
        self.listener.recv().await?;
        Ok(())
    }
}

/// The channel enqueues notify on PostgreSQL.
pub(crate) const JOBS_CHANNEL: &str = "vigil_jobs";

impl Store {
    /// Installs the master keys that encrypt and decrypt secrets at rest.
    pub fn with_keyring(mut self, keyring: Keyring) -> Store {
        self.keyring = Some(Arc::new(keyring));
        self
    }

    /// A listener for job wake-ups (PostgreSQL only; `None` on SQLite).
    pub async fn listen_jobs(&self) -> Result<Option<JobListener>, StoreError> {
        if self.backend != Backend::Postgres {
            return Ok(None);
        }
        let mut listener = sqlx::postgres::PgListener::connect(&self.url)
            .await
            .map_err(|source| StoreError::Connect { target: redact_url(&self.url), source })?;
        listener.listen(JOBS_CHANNEL).await?;
        Ok(Some(JobListener { listener }))
    }

    /// Checks the database answers (for `/readyz`).
    pub async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

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
        let pool = open_pool(url, backend, if backend == Backend::Sqlite { 4 } else { 16 }).await?;
        let writer = match backend {
            Backend::Sqlite => open_pool(url, backend, 1).await?,
            Backend::Postgres => pool.clone(),
        };
        Ok(Store { pool, writer, backend, url: url.to_owned(), keyring: None })
    }

    /// Applies every migration of this backend not applied yet.
    pub async fn migrate(&self) -> Result<(), StoreError> {
        match self.backend {
            Backend::Sqlite => sqlx::migrate!("./migrations/sqlite").run(&self.writer).await?,
            Backend::Postgres => sqlx::migrate!("./migrations/postgres").run(&self.writer).await?,
        }
        Ok(())
    }

    /// The backend.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// The job queue.
    pub fn queue(&self) -> Queue<'_> {
        Queue::new(&self.pool, &self.writer, self.backend)
    }

    /// The pool writes go through.
    pub(crate) fn writer(&self) -> &AnyPool {
        &self.writer
    }

    /// Runs one statement that takes no parameters and returns no rows
    /// (administration: `CREATE DATABASE`, `VACUUM`).
    pub async fn execute_raw(&self, sql: &str) -> Result<(), StoreError> {
        sqlx::raw_sql(sql).execute(&self.writer).await?;
        Ok(())
    }

    /// Closes every connection.
    pub async fn close(&self) {
        self.writer.close().await;
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
