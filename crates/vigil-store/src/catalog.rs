//! What Vigil watches: GitLab instances (with their secrets encrypted at
//! rest), their repositories, and the transporters that reach closed
//! networks. Deleting an instance deletes every row that refers to it.

use serde::Serialize;
use sqlx::AnyConnection;
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::crypto::{Keyring, SecretString};
use crate::{Store, StoreError};

/// A connected GitLab Self-Managed instance (secrets are not part of it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Instance {
    /// Id.
    pub id: i64,
    /// Display name.
    pub name: String,
    /// `https://gitlab.example.com[:port]`.
    pub base_url: String,
    /// The transporter its API calls go through, if any.
    pub transporter_id: Option<i64>,
    /// The OAuth application's client id.
    pub oauth_client_id: Option<String>,
    /// Whether an OAuth client secret is stored.
    pub has_client_secret: bool,
    /// `all`, `all_and_future` or `chosen`.
    pub selection: String,
    /// `pending`, `connected` or `error`.
    pub status: String,
    /// Why the status is what it is.
    pub status_reason: Option<String>,
    /// Seconds between periodic full scans of each repository.
    pub scan_interval_s: i64,
    /// Unix ms.
    pub created_at: i64,
    /// Who added it (`user:NAME`), when known.
    pub created_by: Option<String>,
    /// When its repositories were last synced with GitLab, Unix ms.
    pub last_sync_at: Option<i64>,
}

/// A new instance.
#[derive(Debug, Clone)]
pub struct NewInstance {
    /// Display name.
    pub name: String,
    /// Base URL.
    pub base_url: String,
    /// OAuth client id.
    pub oauth_client_id: Option<String>,
    /// OAuth client secret, encrypted before it is stored.
    pub oauth_client_secret: Option<SecretString>,
    /// Transporter.
    pub transporter_id: Option<i64>,
    /// Seconds between periodic full scans.
    pub scan_interval_s: i64,
    /// Who adds it (`user:NAME`).
    pub created_by: Option<String>,
}

/// A repository (GitLab project) of an instance.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Repository {
    /// Id.
    pub id: i64,
    /// Instance.
    pub instance_id: i64,
    /// GitLab's project id.
    pub gitlab_project_id: i64,
    /// `group/subgroup/project`.
    pub path: String,
    /// The branch full scans cover.
    pub default_branch: String,
    /// Whether Vigil scans it.
    pub selected: bool,
    /// When the scheduler next enqueues a full scan (Unix ms).
    pub next_scan_at: Option<i64>,
    /// Unix ms.
    pub created_at: i64,
}

/// Columns holding ciphertexts, as `table.column`; rotation walks them all.
pub(crate) const ENCRYPTED_COLUMNS: [(&str, &str); 4] = [
    ("instances", "oauth_secret_enc"),
    ("instances", "access_token_enc"),
    ("instances", "refresh_token_enc"),
    ("instances", "webhook_secret_enc"),
];

const INSTANCE_COLUMNS: &str = "id, name, base_url, transporter_id, oauth_client_id, oauth_secret_enc, \
     selection, status, status_reason, scan_interval_s, created_at, created_by, last_sync_at";
const REPOSITORY_COLUMNS: &str =
    "id, instance_id, gitlab_project_id, path, default_branch, selected, next_scan_at, created_at";

fn instance_from(row: &AnyRow) -> Result<Instance, StoreError> {
    Ok(Instance {
        id: row.try_get("id")?,
        name: row.try_get("name")?,
        base_url: row.try_get("base_url")?,
        transporter_id: row.try_get("transporter_id")?,
        oauth_client_id: row.try_get("oauth_client_id")?,
        has_client_secret: row.try_get::<Option<String>, _>("oauth_secret_enc")?.is_some(),
        selection: row.try_get("selection")?,
        status: row.try_get("status")?,
        status_reason: row.try_get("status_reason")?,
        scan_interval_s: row.try_get("scan_interval_s")?,
        created_at: row.try_get("created_at")?,
        created_by: row.try_get("created_by")?,
        last_sync_at: row.try_get("last_sync_at")?,
    })
}

pub(crate) fn repository_from(row: &AnyRow) -> Result<Repository, StoreError> {
    Ok(Repository {
        id: row.try_get("id")?,
        instance_id: row.try_get("instance_id")?,
        gitlab_project_id: row.try_get("gitlab_project_id")?,
        path: row.try_get("path")?,
        default_branch: row.try_get("default_branch")?,
        selected: row.try_get::<i64, _>("selected")? != 0,
        next_scan_at: row.try_get("next_scan_at")?,
        created_at: row.try_get("created_at")?,
    })
}

impl Store {
    pub(crate) fn keyring(&self) -> Result<&Keyring, StoreError> {
        self.keyring.as_deref().ok_or(StoreError::NoKeyring)
    }

    /// Adds an instance; its client secret is encrypted first.
    pub async fn create_instance(
        &self,
        new: &NewInstance,
        now: i64,
    ) -> Result<Instance, StoreError> {
        let mut connection = self.writer().acquire().await?;
        self.insert_instance(&mut connection, new, now).await
    }

    /// [`create_instance`](Store::create_instance) on `connection` (a
    /// transaction's, for the lifecycle operations).
    pub(crate) async fn insert_instance(
        &self,
        connection: &mut AnyConnection,
        new: &NewInstance,
        now: i64,
    ) -> Result<Instance, StoreError> {
        let secret = match &new.oauth_client_secret {
            Some(secret) => {
                Some(self.keyring()?.encrypt("instances.oauth_secret_enc", secret.expose())?)
            }
            None => None,
        };
        let row = sqlx::query(&format!(
            "INSERT INTO instances (name, base_url, transporter_id, oauth_client_id, oauth_secret_enc, scan_interval_s, created_at, updated_at, created_by) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $7, $8) RETURNING {INSTANCE_COLUMNS}"
        ))
        .bind(&new.name)
        .bind(&new.base_url)
        .bind(new.transporter_id)
        .bind(new.oauth_client_id.as_deref())
        .bind(secret)
        .bind(new.scan_interval_s)
        .bind(now)
        .bind(new.created_by.as_deref())
        .fetch_one(&mut *connection)
        .await
        .map_err(|error| StoreError::conflict_or(error, format!("instance `{}` already exists", new.base_url)))?;
        instance_from(&row)
    }

    /// Every instance, by name.
    pub async fn instances(&self) -> Result<Vec<Instance>, StoreError> {
        let rows =
            sqlx::query(&format!("SELECT {INSTANCE_COLUMNS} FROM instances ORDER BY name, id"))
                .fetch_all(&self.pool)
                .await?;
        rows.iter().map(instance_from).collect()
    }

    /// One instance.
    pub async fn instance(&self, id: i64) -> Result<Option<Instance>, StoreError> {
        let row = sqlx::query(&format!("SELECT {INSTANCE_COLUMNS} FROM instances WHERE id = $1"))
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(instance_from).transpose()
    }

    /// Replaces an instance's OAuth application (its id, and its secret
    /// encrypted) in one transaction: an admin entering them again after
    /// GitLab refused them.
    pub async fn set_instance_oauth_application(
        &self,
        id: i64,
        client_id: &str,
        client_secret: &SecretString,
        now: i64,
    ) -> Result<(), StoreError> {
        let mut transaction = self.writer().begin().await?;
        sqlx::query("UPDATE instances SET oauth_client_id = $1, updated_at = $2 WHERE id = $3")
            .bind(client_id)
            .bind(now)
            .bind(id)
            .execute(&mut *transaction)
            .await?;
        self.write_instance_secret(
            &mut transaction,
            id,
            "oauth_secret_enc",
            Some(client_secret),
            now,
        )
        .await?;
        transaction.commit().await?;
        Ok(())
    }

    /// Stores (encrypted) or clears one of an instance's secrets.
    /// `column` is one of `oauth_secret_enc`, `access_token_enc`,
    /// `refresh_token_enc`, `webhook_secret_enc`.
    pub async fn set_instance_secret(
        &self,
        id: i64,
        column: &str,
        value: Option<&SecretString>,
        now: i64,
    ) -> Result<(), StoreError> {
        let mut connection = self.writer().acquire().await?;
        self.write_instance_secret(&mut connection, id, column, value, now).await
    }

    /// [`set_instance_secret`](Store::set_instance_secret) on `connection`.
    pub(crate) async fn write_instance_secret(
        &self,
        connection: &mut AnyConnection,
        id: i64,
        column: &str,
        value: Option<&SecretString>,
        now: i64,
    ) -> Result<(), StoreError> {
        let column = encrypted_column("instances", column)?;
        let sealed = match value {
            Some(value) => {
                Some(self.keyring()?.encrypt(&format!("instances.{column}"), value.expose())?)
            }
            None => None,
        };
        sqlx::query(&format!("UPDATE instances SET {column} = $1, updated_at = $2 WHERE id = $3"))
            .bind(sealed)
            .bind(now)
            .bind(id)
            .execute(&mut *connection)
            .await?;
        Ok(())
    }

    /// Reads and decrypts one of an instance's secrets.
    pub async fn instance_secret(
        &self,
        id: i64,
        column: &str,
    ) -> Result<Option<SecretString>, StoreError> {
        let column = encrypted_column("instances", column)?;
        let row = sqlx::query(&format!("SELECT {column} AS sealed FROM instances WHERE id = $1"))
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        let sealed: Option<String> = match row {
            Some(row) => row.try_get("sealed")?,
            None => None,
        };
        match sealed {
            Some(sealed) => {
                Ok(Some(self.keyring()?.decrypt(&format!("instances.{column}"), &sealed)?))
            }
            None => Ok(None),
        }
    }

    /// The webhook secret of an instance: `None` when the instance does not
    /// exist, `Some(None)` when it has no secret yet.
    pub async fn webhook_secret(
        &self,
        id: i64,
    ) -> Result<Option<Option<SecretString>>, StoreError> {
        let row = sqlx::query("SELECT webhook_secret_enc FROM instances WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        let Some(row) = row else { return Ok(None) };
        let sealed: Option<String> = row.try_get("webhook_secret_enc")?;
        match sealed {
            Some(sealed) => {
                Ok(Some(Some(self.keyring()?.decrypt("instances.webhook_secret_enc", &sealed)?)))
            }
            None => Ok(Some(None)),
        }
    }

    /// Deletes an instance and, by cascade, its repositories, scans,
    /// issues, suppressions and webhook events; false when absent.
    pub async fn delete_instance(&self, id: i64) -> Result<bool, StoreError> {
        let result = sqlx::query("DELETE FROM instances WHERE id = $1")
            .bind(id)
            .execute(self.writer())
            .await?;
        Ok(result.rows_affected() == 1)
    }

    /// Adds a repository or updates its path and default branch.
    pub async fn upsert_repository(
        &self,
        instance_id: i64,
        gitlab_project_id: i64,
        path: &str,
        default_branch: &str,
        now: i64,
    ) -> Result<Repository, StoreError> {
        let row = sqlx::query(&format!(
            "INSERT INTO repositories (instance_id, gitlab_project_id, path, default_branch, next_scan_at, created_at) \
             VALUES ($1, $2, $3, $4, $5, $5) \
             ON CONFLICT (instance_id, gitlab_project_id) DO UPDATE SET path = excluded.path, default_branch = excluded.default_branch \
             RETURNING {REPOSITORY_COLUMNS}"
        ))
        .bind(instance_id)
        .bind(gitlab_project_id)
        .bind(path)
        .bind(default_branch)
        .bind(now)
        .fetch_one(self.writer())
        .await?;
        repository_from(&row)
    }

    /// Repositories, by path; of one instance when given.
    pub async fn repositories(
        &self,
        instance_id: Option<i64>,
    ) -> Result<Vec<Repository>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {REPOSITORY_COLUMNS} FROM repositories WHERE ($1 IS NULL OR instance_id = $1) ORDER BY path, id"
        ))
        .bind(instance_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(repository_from).collect()
    }

    /// One repository.
    pub async fn repository(&self, id: i64) -> Result<Option<Repository>, StoreError> {
        let row =
            sqlx::query(&format!("SELECT {REPOSITORY_COLUMNS} FROM repositories WHERE id = $1"))
                .bind(id)
                .fetch_optional(&self.pool)
                .await?;
        row.as_ref().map(repository_from).transpose()
    }

    /// Sets an instance's repository selection mode (`all`,
    /// `all_and_future`, `chosen`).
    pub async fn set_instance_selection(
        &self,
        id: i64,
        selection: &str,
        chosen_projects: &[i64],
        now: i64,
    ) -> Result<(), StoreError> {
        let mut connection = self.writer().acquire().await?;
        write_selection(&mut connection, id, selection, chosen_projects, now).await
    }

    /// The selection mode and the chosen GitLab project ids of an instance.
    pub async fn instance_selection(
        &self,
        id: i64,
    ) -> Result<Option<(String, Vec<i64>)>, StoreError> {
        let row = sqlx::query("SELECT selection, chosen_projects FROM instances WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        let Some(row) = row else { return Ok(None) };
        let chosen: String = row.try_get("chosen_projects")?;
        let chosen = serde_json::from_str(&chosen)
            .map_err(|error| StoreError::Corrupt(format!("chosen_projects: {error}")))?;
        Ok(Some((row.try_get("selection")?, chosen)))
    }

    /// Sets an instance's status (`pending`, `connected`, `error`,
    /// `deleting`) and the reason shown with it; `connected` also records
    /// the time as the last sync.
    pub async fn set_instance_status(
        &self,
        id: i64,
        status: &str,
        reason: Option<&str>,
        now: i64,
    ) -> Result<(), StoreError> {
        let mut connection = self.writer().acquire().await?;
        write_status(&mut connection, id, status, reason, now).await
    }

    /// Marks a repository selected or not.
    pub async fn set_repository_selected(&self, id: i64, selected: bool) -> Result<(), StoreError> {
        sqlx::query("UPDATE repositories SET selected = $1 WHERE id = $2")
            .bind(i64::from(selected))
            .bind(id)
            .execute(self.writer())
            .await?;
        Ok(())
    }

    /// Records the id of the hook Vigil created on a repository (`None`
    /// once removed).
    pub async fn set_repository_webhook(
        &self,
        id: i64,
        webhook_id: Option<i64>,
    ) -> Result<(), StoreError> {
        sqlx::query("UPDATE repositories SET webhook_id = $1 WHERE id = $2")
            .bind(webhook_id)
            .bind(id)
            .execute(self.writer())
            .await?;
        Ok(())
    }

    /// Hooks Vigil created on an instance's repositories: (repository id,
    /// GitLab project id, hook id).
    pub async fn instance_webhooks(
        &self,
        instance_id: i64,
    ) -> Result<Vec<(i64, i64, i64)>, StoreError> {
        let rows = sqlx::query(
            "SELECT id, gitlab_project_id, webhook_id FROM repositories WHERE instance_id = $1 AND webhook_id IS NOT NULL ORDER BY id",
        )
        .bind(instance_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                Ok((
                    row.try_get("id")?,
                    row.try_get("gitlab_project_id")?,
                    row.try_get("webhook_id")?,
                ))
            })
            .collect()
    }

    /// Deletes a repository and its scans, issues and suppressions.
    pub async fn delete_repository(&self, id: i64) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM repositories WHERE id = $1")
            .bind(id)
            .execute(self.writer())
            .await?;
        Ok(())
    }

    /// The repository of a GitLab project on an instance.
    pub async fn repository_by_project(
        &self,
        instance_id: i64,
        gitlab_project_id: i64,
    ) -> Result<Option<Repository>, StoreError> {
        let row = sqlx::query(&format!(
            "SELECT {REPOSITORY_COLUMNS} FROM repositories WHERE instance_id = $1 AND gitlab_project_id = $2"
        ))
        .bind(instance_id)
        .bind(gitlab_project_id)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(repository_from).transpose()
    }

    /// The name of another instance that already scans the project with
    /// this id and path: the same GitLab registered twice (by IP and by
    /// name, say). A project belongs to one instance.
    pub async fn project_owner_elsewhere(
        &self,
        instance_id: i64,
        gitlab_project_id: i64,
        path: &str,
    ) -> Result<Option<String>, StoreError> {
        let row = sqlx::query(
            "SELECT i.name AS name FROM repositories r JOIN instances i ON i.id = r.instance_id \
             WHERE r.instance_id <> $1 AND r.gitlab_project_id = $2 AND r.path = $3 AND r.selected = 1 LIMIT 1",
        )
        .bind(instance_id)
        .bind(gitlab_project_id)
        .bind(path)
        .fetch_optional(&self.pool)
        .await?;
        Ok(match row {
            Some(row) => Some(row.try_get("name")?),
            None => None,
        })
    }

    /// How many stored secrets each master key id sealed, over every
    /// encrypted column: what a keyring must hold for them to be read. No
    /// keyring is needed to ask.
    pub async fn secret_key_ids(
        &self,
    ) -> Result<std::collections::BTreeMap<String, u64>, StoreError> {
        let mut ids = std::collections::BTreeMap::new();
        for (table, column) in ENCRYPTED_COLUMNS {
            let rows = sqlx::query(&format!(
                "SELECT {column} AS sealed FROM {table} WHERE {column} IS NOT NULL"
            ))
            .fetch_all(&self.pool)
            .await?;
            for row in rows {
                let sealed: String = row.try_get("sealed")?;
                let id = Keyring::key_id_of(&sealed).unwrap_or("unreadable").to_owned();
                *ids.entry(id).or_insert(0) += 1;
            }
        }
        Ok(ids)
    }

    /// Re-encrypts every stored secret with the keyring's primary key, in
    /// one transaction: either all rows move to the new key or none does.
    /// Returns how many ciphertexts were rewritten.
    pub async fn reencrypt_secrets(&self) -> Result<u64, StoreError> {
        let keyring = self.keyring()?;
        let mut transaction = self.writer().begin().await?;
        let mut rewritten = 0;
        for (table, column) in ENCRYPTED_COLUMNS {
            let rows = sqlx::query(&format!(
                "SELECT id, {column} AS sealed FROM {table} WHERE {column} IS NOT NULL"
            ))
            .fetch_all(&mut *transaction)
            .await?;
            let context = format!("{table}.{column}");
            for row in rows {
                let id: i64 = row.try_get("id")?;
                let sealed: String = row.try_get("sealed")?;
                if Keyring::key_id_of(&sealed) == Some(keyring.primary_id()) {
                    continue;
                }
                let plain = keyring.decrypt(&context, &sealed)?;
                let resealed = keyring.encrypt(&context, plain.expose())?;
                sqlx::query(&format!("UPDATE {table} SET {column} = $1 WHERE id = $2"))
                    .bind(resealed)
                    .bind(id)
                    .execute(&mut *transaction)
                    .await?;
                rewritten += 1;
            }
        }
        transaction.commit().await?;
        Ok(rewritten)
    }
}

fn encrypted_column(table: &str, column: &str) -> Result<&'static str, StoreError> {
    ENCRYPTED_COLUMNS
        .iter()
        .find(|(t, c)| *t == table && *c == column)
        .map(|(_, c)| *c)
        .ok_or_else(|| StoreError::NotEncrypted(format!("{table}.{column}")))
}

impl Store {
    /// Records (or clears) the GitLab system hook Vigil installed for an
    /// instance.
    pub async fn set_instance_system_hook(
        &self,
        id: i64,
        hook: Option<i64>,
    ) -> Result<(), StoreError> {
        sqlx::query("UPDATE instances SET system_hook_id = $1 WHERE id = $2")
            .bind(hook)
            .bind(id)
            .execute(self.writer())
            .await?;
        Ok(())
    }

    /// The GitLab system hook Vigil installed for an instance, if any.
    pub async fn instance_system_hook(&self, id: i64) -> Result<Option<i64>, StoreError> {
        let row = sqlx::query("SELECT system_hook_id FROM instances WHERE id = $1")
            .bind(id)
            .fetch_optional(self.writer())
            .await?;
        Ok(match row {
            Some(row) => row.try_get("system_hook_id")?,
            None => None,
        })
    }
}

/// How far an instance's repositories are scanned.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct ScanProgress {
    /// Selected repositories.
    pub repositories: i64,
    /// Of those, how many have at least one finished scan.
    pub scanned: i64,
    /// Scans waiting or running.
    pub pending_scans: i64,
}

impl Store {
    /// How far the instance's selected repositories are scanned (the first
    /// onboarding's progress).
    pub async fn scan_progress(&self, instance_id: i64) -> Result<ScanProgress, StoreError> {
        let row = sqlx::query(
            "SELECT \
               (SELECT COUNT(*) FROM repositories WHERE instance_id = $1 AND selected = 1) AS repositories, \
               (SELECT COUNT(DISTINCT s.repository_id) FROM scans s JOIN repositories r ON r.id = s.repository_id \
                 WHERE r.instance_id = $1 AND r.selected = 1 AND s.status = 'succeeded') AS scanned, \
               (SELECT COUNT(*) FROM scans s JOIN repositories r ON r.id = s.repository_id \
                 WHERE r.instance_id = $1 AND s.status IN ('queued', 'running')) AS pending",
        )
        .bind(instance_id)
        .fetch_one(&self.pool)
        .await?;
        Ok(ScanProgress {
            repositories: row.try_get("repositories")?,
            scanned: row.try_get("scanned")?,
            pending_scans: row.try_get("pending")?,
        })
    }
}

/// What an instance holds in Vigil: what deleting it removes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct InstanceFootprint {
    /// Repositories known (selected or not).
    pub repositories: i64,
    /// Of those, selected for scanning.
    pub selected: i64,
    /// Vigil webhooks installed in GitLab (project hooks and the system hook).
    pub webhooks: i64,
    /// Scans of its repositories.
    pub scans: i64,
    /// Issues of its repositories.
    pub issues: i64,
}

impl Store {
    /// Counts what instance `instance_id` holds.
    pub async fn instance_footprint(
        &self,
        instance_id: i64,
    ) -> Result<InstanceFootprint, StoreError> {
        let row = sqlx::query(
            "SELECT \
               (SELECT COUNT(*) FROM repositories WHERE instance_id = $1) AS repositories, \
               (SELECT COUNT(*) FROM repositories WHERE instance_id = $1 AND selected = 1) AS selected, \
               (SELECT COUNT(*) FROM repositories WHERE instance_id = $1 AND webhook_id IS NOT NULL) \
                 + (SELECT COUNT(*) FROM instances WHERE id = $1 AND system_hook_id IS NOT NULL) AS webhooks, \
               (SELECT COUNT(*) FROM scans s JOIN repositories r ON r.id = s.repository_id WHERE r.instance_id = $1) AS scans, \
               (SELECT COUNT(*) FROM issues i JOIN repositories r ON r.id = i.repository_id WHERE r.instance_id = $1) AS issues",
        )
        .bind(instance_id)
        .fetch_one(&self.pool)
        .await?;
        Ok(InstanceFootprint {
            repositories: row.try_get("repositories")?,
            selected: row.try_get("selected")?,
            webhooks: row.try_get("webhooks")?,
            scans: row.try_get("scans")?,
            issues: row.try_get("issues")?,
        })
    }
}

/// Sets an instance's selection on `connection`.
pub(crate) async fn write_selection(
    connection: &mut AnyConnection,
    id: i64,
    selection: &str,
    chosen_projects: &[i64],
    now: i64,
) -> Result<(), StoreError> {
    let chosen = serde_json::to_string(chosen_projects)
        .map_err(|error| StoreError::Corrupt(error.to_string()))?;
    sqlx::query(
        "UPDATE instances SET selection = $1, chosen_projects = $2, updated_at = $3 WHERE id = $4",
    )
    .bind(selection)
    .bind(chosen)
    .bind(now)
    .bind(id)
    .execute(&mut *connection)
    .await?;
    Ok(())
}

/// Sets an instance's status and its reason on `connection`.
pub(crate) async fn write_status(
    connection: &mut AnyConnection,
    id: i64,
    status: &str,
    reason: Option<&str>,
    now: i64,
) -> Result<(), StoreError> {
    sqlx::query(
        "UPDATE instances SET status = $1, status_reason = $2, updated_at = $3, \
         last_sync_at = CASE WHEN $1 = 'connected' THEN $3 ELSE last_sync_at END WHERE id = $4",
    )
    .bind(status)
    .bind(reason)
    .bind(now)
    .bind(id)
    .execute(&mut *connection)
    .await?;
    Ok(())
}
