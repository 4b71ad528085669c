//! Server-wide settings changed at run time by administrators (the default
//! scan policy), one row per setting with its value as JSON text. What a
//! value means is the server's business; this module only stores it.

use sqlx::Row as _;

use crate::{Store, StoreError};

/// One stored setting.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Setting {
    /// Its value, JSON text.
    pub value: String,
    /// When it was last set, ms since the epoch.
    pub updated_at: i64,
    /// Who set it (a username), when known.
    pub updated_by: Option<String>,
}

impl Store {
    /// The setting `name`, if it was ever set.
    pub async fn setting(&self, name: &str) -> Result<Option<Setting>, StoreError> {
        let row = sqlx::query("SELECT value, updated_at, updated_by FROM settings WHERE name = $1")
            .bind(name)
            .fetch_optional(&self.pool)
            .await?;
        row.map(|row| {
            Ok(Setting {
                value: row.try_get("value")?,
                updated_at: row.try_get("updated_at")?,
                updated_by: row.try_get("updated_by")?,
            })
        })
        .transpose()
    }

    /// Sets `name` to `value` (JSON text), recording who and when.
    pub async fn set_setting(
        &self,
        name: &str,
        value: &str,
        updated_by: Option<&str>,
        now: i64,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO settings (name, value, updated_at, updated_by) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (name) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at, \
             updated_by = excluded.updated_by",
        )
        .bind(name)
        .bind(value)
        .bind(now)
        .bind(updated_by)
        .execute(self.writer())
        .await?;
        Ok(())
    }
}
