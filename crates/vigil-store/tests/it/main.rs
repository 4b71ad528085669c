//! Store tests, each run against every backend available: SQLite always,
//! PostgreSQL when `VIGIL_TEST_DATABASE_URL` is set (each test in a fresh
//! database of its own, dropped afterwards).

// Test helpers outside #[test] functions may panic: a panic is a test failure.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod platform;
mod queue;

use std::sync::atomic::{AtomicU32, Ordering};

use vigil_store::Store;

/// A migrated store and what it takes to clean it up.
pub(crate) struct TestStore {
    pub(crate) name: &'static str,
    pub(crate) store: Store,
    _sqlite_dir: Option<tempfile::TempDir>,
    postgres: Option<(String, String)>,
}

impl TestStore {
    pub(crate) async fn drop_database(self) {
        self.store.close().await;
        if let Some((admin_url, database)) = self.postgres {
            let admin = Store::connect(&admin_url).await.unwrap();
            admin
                .execute_raw(&format!("DROP DATABASE IF EXISTS {database} WITH (FORCE)"))
                .await
                .unwrap();
            admin.close().await;
        }
    }
}

static COUNTER: AtomicU32 = AtomicU32::new(0);

/// Every backend this machine offers, migrated and empty.
pub(crate) async fn stores() -> Vec<TestStore> {
    let mut stores = Vec::new();
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}?mode=rwc", dir.path().join("vigil.db").display());
    let store = Store::connect(&url).await.unwrap();
    store.migrate().await.unwrap();
    stores.push(TestStore { name: "sqlite", store, _sqlite_dir: Some(dir), postgres: None });
    #[expect(
        clippy::disallowed_methods,
        reason = "tests learn the PostgreSQL server from the environment"
    )]
    match std::env::var("VIGIL_TEST_DATABASE_URL") {
        Ok(admin_url) => {
            let database = format!(
                "vigil_test_{}_{}",
                std::process::id(),
                COUNTER.fetch_add(1, Ordering::Relaxed)
            );
            let admin = Store::connect(&admin_url).await.unwrap();
            admin.execute_raw(&format!("CREATE DATABASE {database}")).await.unwrap();
            admin.close().await;
            let (base, _) = admin_url.rsplit_once('/').unwrap();
            let store = Store::connect(&format!("{base}/{database}")).await.unwrap();
            store.migrate().await.unwrap();
            stores.push(TestStore {
                name: "postgres",
                store,
                _sqlite_dir: None,
                postgres: Some((admin_url, database)),
            });
        }
        Err(_) => {
            // Written past libtest's capture so the skip is never silent.
            use std::io::Write as _;
            let _ = writeln!(
                std::io::stderr(),
                "vigil-store: skipping PostgreSQL: VIGIL_TEST_DATABASE_URL is not set (.ci/run sets it)"
            );
        }
    }
    stores
}
