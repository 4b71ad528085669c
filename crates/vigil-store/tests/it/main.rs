//! Store tests, each run against every backend available: SQLite always,
//! PostgreSQL when `VIGIL_TEST_DATABASE_URL` is set (each test in a fresh
//! database of its own, dropped afterwards).

// Test helpers outside #[test] functions may panic: a panic is a test failure.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod platform;
mod queue;
mod transporters;

use vigil_store::testing::TestStore;

/// Every backend this machine offers, migrated and empty.
pub(crate) async fn stores() -> Vec<TestStore> {
    vigil_store::testing::stores("vigil-store").await.unwrap()
}
