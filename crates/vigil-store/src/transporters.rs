//! Transporters: registration with a one-time enrolment token that
//! expires, the trade of that token for a long-lived credential of one
//! agent (`transporter_credentials`: each agent of a transporter has its
//! own, so agents in HA enrol without locking each other out; tokens and
//! credentials are stored only as SHA-256 hashes), revocation of all of a
//! transporter's credentials and new enrolment tokens, and what the hub
//! writes about a transporter's agents (status, version, GitLab URL,
//! health). The store decides expiry from the times it is given; it does
//! not choose the token lifetime.

use serde::Serialize;
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::{Store, StoreError};

/// A registered transporter (never its enrolment token or credential).
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Transporter {
    /// Id.
    pub id: i64,
    /// Name.
    pub name: String,
    /// `pending` (not enrolled yet), `connected`, `warning`, `error` or
    /// `revoked`.
    pub status: String,
    /// Why it is in `warning` or `error`.
    pub status_reason: Option<String>,
    /// Whether an agent credential exists (enrolled and not revoked).
    pub enrolled: bool,
    /// Whether an enrolment token is waiting to be used.
    pub enrolment_pending: bool,
    /// Agent version last reported.
    pub version: Option<String>,
    /// The GitLab base URL its Transporter applet serves, as its agent
    /// reported it.
    pub gitlab_url: Option<String>,
    /// Where GitLab posts webhooks for instances behind this transporter
    /// (the agent's listener), as its agent reported it.
    pub webhook_url: Option<String>,
    /// The last health checks, per agent (JSON).
    #[schema(value_type = Option<Object>)]
    pub health: Option<serde_json::Value>,
    /// When the health checks ran, Unix ms.
    pub health_checked_at: Option<i64>,
    /// Unix ms.
    pub last_seen_at: Option<i64>,
    /// Unix ms.
    pub created_at: i64,
}

const COLUMNS: &str = "id, name, status, status_reason, \
    EXISTS (SELECT 1 FROM transporter_credentials AS c WHERE c.transporter_id = transporters.id) AS enrolled, \
    enrolment_hash IS NOT NULL AS enrolment_pending, version, gitlab_url, webhook_url, health, health_checked_at, \
    last_seen_at, created_at";

fn flag(row: &AnyRow, column: &str) -> Result<bool, StoreError> {
    // SQLite answers integers, PostgreSQL booleans.
    Ok(match row.try_get::<bool, _>(column) {
        Ok(value) => value,
        Err(_) => row.try_get::<i64, _>(column)? != 0,
    })
}

fn transporter_from(row: &AnyRow) -> Result<Transporter, StoreError> {
    let health: Option<String> = row.try_get("health")?;
    Ok(Transporter {
        id: row.try_get("id")?,
        name: row.try_get("name")?,
        status: row.try_get("status")?,
        status_reason: row.try_get("status_reason")?,
        enrolled: flag(row, "enrolled")?,
        enrolment_pending: flag(row, "enrolment_pending")?,
        version: row.try_get("version")?,
        gitlab_url: row.try_get("gitlab_url")?,
        webhook_url: row.try_get("webhook_url")?,
        health: health.and_then(|text| serde_json::from_str(&text).ok()),
        health_checked_at: row.try_get("health_checked_at")?,
        last_seen_at: row.try_get("last_seen_at")?,
        created_at: row.try_get("created_at")?,
    })
}

impl Store {
    /// Registers a transporter awaiting enrolment with the hash of its
    /// one-time enrolment token, issued at `now`.
    pub async fn create_transporter(
        &self,
        name: &str,
        enrolment_hash: &str,
        now: i64,
    ) -> Result<Transporter, StoreError> {
        let row = sqlx::query(&format!(
            "INSERT INTO transporters (name, enrolment_hash, enrolment_issued_at, created_at) \
             VALUES ($1, $2, $3, $3) RETURNING {COLUMNS}"
        ))
        .bind(name)
        .bind(enrolment_hash)
        .bind(now)
        .fetch_one(self.writer())
        .await
        .map_err(|error| {
            StoreError::conflict_or(error, format!("transporter `{name}` already exists"))
        })?;
        transporter_from(&row)
    }

    /// Every transporter, by name.
    pub async fn transporters(&self) -> Result<Vec<Transporter>, StoreError> {
        let rows = sqlx::query(&format!("SELECT {COLUMNS} FROM transporters ORDER BY name"))
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(transporter_from).collect()
    }

    /// One transporter.
    pub async fn transporter(&self, id: i64) -> Result<Option<Transporter>, StoreError> {
        let row = sqlx::query(&format!("SELECT {COLUMNS} FROM transporters WHERE id = $1"))
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(transporter_from).transpose()
    }

    /// The transporter one of whose agent credentials hashes to
    /// `credential_hash`.
    pub async fn transporter_by_credential(
        &self,
        credential_hash: &str,
    ) -> Result<Option<Transporter>, StoreError> {
        let row = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM transporters WHERE id = \
             (SELECT transporter_id FROM transporter_credentials WHERE credential_hash = $1)"
        ))
        .bind(credential_hash)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(transporter_from).transpose()
    }

    /// Trades an enrolment token (by hash) issued less than `ttl_ms` before
    /// `now` for a new agent credential (by hash): the token is used up and
    /// the credential is added beside the transporter's other agents'
    /// credentials. An expired token is left in place (it only ever
    /// answers [`Enrolment::Expired`]) until a new one replaces it.
    pub async fn enrol_transporter(
        &self,
        enrolment_hash: &str,
        credential_hash: &str,
        now: i64,
        ttl_ms: i64,
    ) -> Result<Enrolment, StoreError> {
        let mut transaction = self.writer().begin().await?;
        let used = sqlx::query(
            "UPDATE transporters SET enrolment_hash = NULL, enrolment_issued_at = NULL, \
             status = CASE WHEN status IN ('pending', 'revoked') THEN 'error' ELSE status END, \
             status_reason = CASE WHEN status IN ('pending', 'revoked') THEN 'enrolled; no agent connected yet' \
             ELSE status_reason END \
             WHERE enrolment_hash = $1 AND enrolment_issued_at > $2 RETURNING id",
        )
        .bind(enrolment_hash)
        .bind(now.saturating_sub(ttl_ms))
        .fetch_optional(&mut *transaction)
        .await?;
        let Some(used) = used else {
            let waiting = sqlx::query("SELECT id FROM transporters WHERE enrolment_hash = $1")
                .bind(enrolment_hash)
                .fetch_optional(&mut *transaction)
                .await?;
            return Ok(if waiting.is_some() { Enrolment::Expired } else { Enrolment::Unknown });
        };
        let id: i64 = used.try_get("id")?;
        sqlx::query(
            "INSERT INTO transporter_credentials (transporter_id, credential_hash, created_at) \
             VALUES ($1, $2, $3)",
        )
        .bind(id)
        .bind(credential_hash)
        .bind(now)
        .execute(&mut *transaction)
        .await?;
        let row = sqlx::query(&format!("SELECT {COLUMNS} FROM transporters WHERE id = $1"))
            .bind(id)
            .fetch_one(&mut *transaction)
            .await?;
        let transporter = transporter_from(&row)?;
        transaction.commit().await?;
        Ok(Enrolment::Enrolled(Box::new(transporter)))
    }

    /// A new one-time enrolment token (by hash) for `id`, issued now (the
    /// store's clock: [`crate::Queue::now_ms`]); the agents' credentials
    /// keep working, and the agent that uses the token gets one of its own.
    /// False when absent.
    pub async fn renew_transporter_enrolment(
        &self,
        id: i64,
        enrolment_hash: &str,
    ) -> Result<bool, StoreError> {
        let result = sqlx::query(
            "UPDATE transporters SET enrolment_hash = $1, enrolment_issued_at = $2 WHERE id = $3",
        )
        .bind(enrolment_hash)
        .bind(crate::Queue::now_ms())
        .bind(id)
        .execute(self.writer())
        .await?;
        Ok(result.rows_affected() == 1)
    }

    /// Revokes every agent credential of the transporter and any enrolment
    /// token, in one transaction. False when absent.
    pub async fn revoke_transporter(&self, id: i64) -> Result<bool, StoreError> {
        let mut transaction = self.writer().begin().await?;
        sqlx::query("DELETE FROM transporter_credentials WHERE transporter_id = $1")
            .bind(id)
            .execute(&mut *transaction)
            .await?;
        let result = sqlx::query(
            "UPDATE transporters SET enrolment_hash = NULL, enrolment_issued_at = NULL, \
             status = 'revoked', status_reason = 'credential revoked; issue a new enrolment token' \
             WHERE id = $1",
        )
        .bind(id)
        .execute(&mut *transaction)
        .await?;
        transaction.commit().await?;
        Ok(result.rows_affected() == 1)
    }

    /// Records what the hub sees of the transporter's agents now.
    pub async fn set_transporter_state(
        &self,
        id: i64,
        state: &TransporterState<'_>,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE transporters SET status = $1, status_reason = $2, \
             version = COALESCE($3, version), gitlab_url = COALESCE($4, gitlab_url), \
             webhook_url = COALESCE($5, webhook_url), last_seen_at = COALESCE($6, last_seen_at) \
             WHERE id = $7 AND status <> 'revoked'",
        )
        .bind(state.status)
        .bind(state.reason)
        .bind(state.version)
        .bind(state.gitlab_url)
        .bind(state.webhook_url)
        .bind(state.seen_at)
        .bind(id)
        .execute(self.writer())
        .await?;
        Ok(())
    }

    /// Stores the latest health checks (JSON) and when they ran.
    pub async fn set_transporter_health(
        &self,
        id: i64,
        health: &serde_json::Value,
        now: i64,
    ) -> Result<(), StoreError> {
        sqlx::query("UPDATE transporters SET health = $1, health_checked_at = $2 WHERE id = $3")
            .bind(health.to_string())
            .bind(now)
            .bind(id)
            .execute(self.writer())
            .await?;
        Ok(())
    }

    /// Records (or renews) that server process `holder` holds a link of
    /// transporter `id` and takes requests for it at `forward_url`.
    pub async fn hold_transporter(
        &self,
        id: i64,
        holder: &str,
        forward_url: &str,
        now: i64,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO transporter_holders (transporter_id, holder, forward_url, seen_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (transporter_id, holder) DO UPDATE SET forward_url = excluded.forward_url, seen_at = excluded.seen_at",
        )
        .bind(id)
        .bind(holder)
        .bind(forward_url)
        .bind(now)
        .execute(self.writer())
        .await?;
        Ok(())
    }

    /// `holder` no longer holds a link of transporter `id`.
    pub async fn release_transporter(&self, id: i64, holder: &str) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM transporter_holders WHERE transporter_id = $1 AND holder = $2")
            .bind(id)
            .bind(holder)
            .execute(self.writer())
            .await?;
        Ok(())
    }

    /// The forward URLs of the processes that renewed a hold on transporter
    /// `id` since `fresh_since`, most recently renewed first.
    pub async fn transporter_holders(
        &self,
        id: i64,
        fresh_since: i64,
    ) -> Result<Vec<String>, StoreError> {
        let rows = sqlx::query(
            "SELECT forward_url FROM transporter_holders WHERE transporter_id = $1 AND seen_at >= $2 \
             ORDER BY seen_at DESC, holder",
        )
        .bind(id)
        .bind(fresh_since)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(|row| Ok(row.try_get("forward_url")?)).collect()
    }

    /// A secret every process with the same master key derives alike (see
    /// [`crate::Keyring::derived_secret`]); none without a key.
    pub fn derived_secret(&self, label: &str) -> Option<String> {
        self.keyring.as_ref().and_then(|keyring| keyring.derived_secret(label))
    }

    /// Deletes a transporter (instances using it go direct); false when absent.
    pub async fn delete_transporter(&self, id: i64) -> Result<bool, StoreError> {
        let result = sqlx::query("DELETE FROM transporters WHERE id = $1")
            .bind(id)
            .execute(self.writer())
            .await?;
        Ok(result.rows_affected() == 1)
    }
}

/// What became of an enrolment token.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Enrolment {
    /// The token was used up; the new credential belongs to this transporter.
    Enrolled(Box<Transporter>),
    /// The token exists but was issued too long ago.
    Expired,
    /// No transporter waits for this token (never issued, used, replaced
    /// or revoked).
    Unknown,
}

/// A status update from the hub.
#[derive(Debug, Clone, Copy)]
pub struct TransporterState<'a> {
    /// `connected`, `warning` or `error`.
    pub status: &'a str,
    /// Why, for `warning` and `error`.
    pub reason: Option<&'a str>,
    /// The agent's version, when known.
    pub version: Option<&'a str>,
    /// The GitLab URL the agent serves, when known.
    pub gitlab_url: Option<&'a str>,
    /// Where GitLab reaches the agent's webhook listener, when known.
    pub webhook_url: Option<&'a str>,
    /// When an agent was last seen, Unix ms.
    pub seen_at: Option<i64>,
}
