//! Test support (feature `testing`): a migrated, empty store on every
//! backend this machine offers: SQLite always, PostgreSQL when
//! `VIGIL_TEST_DATABASE_URL` names a server (each store in a fresh
//! database of its own, dropped by [`TestStore::drop_database`]). Without
//! the variable the PostgreSQL half is skipped with a line on stderr,
//! never silently.

use std::sync::atomic::{AtomicU32, Ordering};

use crate::{Store, StoreError};

/// A migrated store and what it takes to clean it up.
#[derive(Debug)]
pub struct TestStore {
    /// `sqlite` or `postgres`, for assertion messages.
    pub name: &'static str,
    /// The store.
    pub store: Store,
    /// The URL the store was opened with (for child processes).
    pub url: String,
    _sqlite_dir: Option<tempfile::TempDir>,
    postgres: Option<(String, String)>,
}

impl TestStore {
    /// Rows in `table` (a test's "nothing left behind" check).
    pub async fn count_rows(&self, table: &str) -> Result<i64, StoreError> {
        use sqlx::Row as _;
        let row = sqlx::query(&format!("SELECT COUNT(*) AS total FROM {table}"))
            .fetch_one(&self.store.pool)
            .await?;
        Ok(row.try_get("total")?)
    }

    /// Closes the store and drops its PostgreSQL database.
    pub async fn drop_database(self) -> Result<(), StoreError> {
        self.store.close().await;
        if let Some((admin_url, database)) = self.postgres {
            let admin = Store::connect(&admin_url).await?;
            admin.execute_raw(&format!("DROP DATABASE IF EXISTS {database} WITH (FORCE)")).await?;
            admin.close().await;
        }
        Ok(())
    }
}

static COUNTER: AtomicU32 = AtomicU32::new(0);

/// The PostgreSQL server for tests, or `None` after saying why on stderr.
pub fn postgres_url(who: &str) -> Option<String> {
    #[expect(
        clippy::disallowed_methods,
        reason = "tests learn the PostgreSQL server from the environment"
    )]
    let url = std::env::var("VIGIL_TEST_DATABASE_URL").ok().filter(|url| !url.is_empty());
    if url.is_none() {
        // Written past libtest's capture so the skip is never silent.
        use std::io::Write as _;
        let _ = writeln!(
            std::io::stderr(),
            "{who}: skipping PostgreSQL: VIGIL_TEST_DATABASE_URL is not set (.ci/run sets it)"
        );
    }
    url
}

/// A fresh, migrated SQLite store.
pub async fn sqlite() -> Result<TestStore, StoreError> {
    let dir = tempfile::tempdir()
        .map_err(|error| StoreError::Corrupt(format!("temporary directory: {error}")))?;
    let url = format!("sqlite://{}?mode=rwc", dir.path().join("vigil.db").display());
    let store = Store::connect(&url).await?;
    store.migrate().await?;
    Ok(TestStore { name: "sqlite", store, url, _sqlite_dir: Some(dir), postgres: None })
}

/// A fresh, migrated PostgreSQL database on the server at `admin_url`.
pub async fn postgres(admin_url: &str) -> Result<TestStore, StoreError> {
    let database =
        format!("vigil_test_{}_{}", std::process::id(), COUNTER.fetch_add(1, Ordering::Relaxed));
    let admin = Store::connect(admin_url).await?;
    admin.execute_raw(&format!("CREATE DATABASE {database}")).await?;
    admin.close().await;
    let base = admin_url.rsplit_once('/').map_or(admin_url, |(base, _)| base);
    let url = format!("{base}/{database}");
    let store = Store::connect(&url).await?;
    store.migrate().await?;
    Ok(TestStore {
        name: "postgres",
        store,
        url,
        _sqlite_dir: None,
        postgres: Some((admin_url.to_owned(), database)),
    })
}

/// Every backend this machine offers, migrated and empty.
pub async fn stores(who: &str) -> Result<Vec<TestStore>, StoreError> {
    let mut stores = vec![sqlite().await?];
    if let Some(admin_url) = postgres_url(who) {
        stores.push(postgres(&admin_url).await?);
    }
    Ok(stores)
}
