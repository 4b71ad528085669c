//! Users, sessions, API tokens and the audit log. Only hashes of session
//! ids, tokens and passwords are stored; hashing and checking them is the
//! server's (`vigil-server::auth`), keeping the store free of policy.

use serde::Serialize;
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::{Store, StoreError};

/// A person who can sign in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct User {
    /// Id.
    pub id: i64,
    /// Sign-in name.
    pub username: String,
    /// `admin`, `member` or `viewer`.
    pub role: String,
    /// A disabled user can neither sign in nor use tokens.
    pub disabled: bool,
    /// Unix ms.
    pub created_at: i64,
}

/// An API token's record (never the token itself).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct ApiToken {
    /// Id.
    pub id: i64,
    /// Owner.
    pub user_id: i64,
    /// What it is for.
    pub name: String,
    /// First characters of the token, to recognise it.
    pub prefix: String,
    /// `read`, `write` or `admin`.
    pub scope: String,
    /// Unix ms.
    pub created_at: i64,
    /// Unix ms; `None` never expires.
    pub expires_at: Option<i64>,
    /// Unix ms; set once revoked.
    pub revoked_at: Option<i64>,
    /// Unix ms.
    pub last_used_at: Option<i64>,
}

/// One write, recorded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct AuditEntry {
    /// Id, increasing.
    pub id: i64,
    /// Unix ms.
    pub created_at: i64,
    /// Who (`user:NAME`, `token:PREFIX (NAME)`, `system`).
    pub actor: String,
    /// What, e.g. `issue.suppress`.
    pub action: String,
    /// On what, e.g. `issue:42`.
    pub target: String,
    /// Free text, never a secret.
    pub detail: String,
}

const USER_COLUMNS: &str = "id, username, role, disabled, created_at";
const TOKEN_COLUMNS: &str =
    "id, user_id, name, prefix, scope, created_at, expires_at, revoked_at, last_used_at";

fn user_from(row: &AnyRow) -> Result<User, StoreError> {
    Ok(User {
        id: row.try_get("id")?,
        username: row.try_get("username")?,
        role: row.try_get("role")?,
        disabled: row.try_get::<i64, _>("disabled")? != 0,
        created_at: row.try_get("created_at")?,
    })
}

fn token_from(row: &AnyRow) -> Result<ApiToken, StoreError> {
    Ok(ApiToken {
        id: row.try_get("id")?,
        user_id: row.try_get("user_id")?,
        name: row.try_get("name")?,
        prefix: row.try_get("prefix")?,
        scope: row.try_get("scope")?,
        created_at: row.try_get("created_at")?,
        expires_at: row.try_get("expires_at")?,
        revoked_at: row.try_get("revoked_at")?,
        last_used_at: row.try_get("last_used_at")?,
    })
}

impl Store {
    /// Adds a user; [`StoreError::Conflict`] when the name is taken.
    pub async fn create_user(
        &self,
        username: &str,
        password_hash: &str,
        role: &str,
        now: i64,
    ) -> Result<User, StoreError> {
        let row = sqlx::query(&format!(
            "INSERT INTO users (username, password_hash, role, created_at) VALUES ($1, $2, $3, $4) RETURNING {USER_COLUMNS}"
        ))
        .bind(username)
        .bind(password_hash)
        .bind(role)
        .bind(now)
        .fetch_one(self.writer())
        .await
        .map_err(|error| StoreError::conflict_or(error, format!("user `{username}` already exists")))?;
        user_from(&row)
    }

    /// A user and their password hash, by name.
    pub async fn user_with_password(
        &self,
        username: &str,
    ) -> Result<Option<(User, String)>, StoreError> {
        let row = sqlx::query(&format!(
            "SELECT {USER_COLUMNS}, password_hash FROM users WHERE username = $1"
        ))
        .bind(username)
        .fetch_optional(&self.pool)
        .await?;
        row.map(|row| Ok((user_from(&row)?, row.try_get("password_hash")?))).transpose()
    }

    /// A user by id.
    pub async fn user(&self, id: i64) -> Result<Option<User>, StoreError> {
        let row = sqlx::query(&format!("SELECT {USER_COLUMNS} FROM users WHERE id = $1"))
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(user_from).transpose()
    }

    /// Every user, by name.
    pub async fn users(&self) -> Result<Vec<User>, StoreError> {
        let rows = sqlx::query(&format!("SELECT {USER_COLUMNS} FROM users ORDER BY username"))
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(user_from).collect()
    }

    /// Number of enabled administrators.
    pub async fn admin_count(&self) -> Result<i64, StoreError> {
        let row =
            sqlx::query("SELECT COUNT(*) AS n FROM users WHERE role = 'admin' AND disabled = 0")
                .fetch_one(&self.pool)
                .await?;
        Ok(row.try_get("n")?)
    }

    /// Changes a user's role, disabled flag or password hash; `None` leaves
    /// a field as it is. Disabling a user ends their sessions.
    pub async fn update_user(
        &self,
        id: i64,
        role: Option<&str>,
        disabled: Option<bool>,
        password_hash: Option<&str>,
    ) -> Result<Option<User>, StoreError> {
        let mut transaction = self.writer().begin().await?;
        let row = sqlx::query(&format!(
            "UPDATE users SET role = COALESCE($1, role), disabled = COALESCE($2, disabled), \
             password_hash = COALESCE($3, password_hash) WHERE id = $4 RETURNING {USER_COLUMNS}"
        ))
        .bind(role)
        .bind(disabled.map(i64::from))
        .bind(password_hash)
        .bind(id)
        .fetch_optional(&mut *transaction)
        .await?;
        if disabled == Some(true) || password_hash.is_some() {
            sqlx::query("DELETE FROM sessions WHERE user_id = $1")
                .bind(id)
                .execute(&mut *transaction)
                .await?;
        }
        transaction.commit().await?;
        row.as_ref().map(user_from).transpose()
    }

    /// Deletes a user with their sessions and tokens; false when absent.
    pub async fn delete_user(&self, id: i64) -> Result<bool, StoreError> {
        let result =
            sqlx::query("DELETE FROM users WHERE id = $1").bind(id).execute(self.writer()).await?;
        Ok(result.rows_affected() == 1)
    }

    /// Records a session (by the hash of its id) with its CSRF token.
    pub async fn create_session(
        &self,
        id_hash: &str,
        user_id: i64,
        csrf_token: &str,
        now: i64,
        expires_at: i64,
    ) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM sessions WHERE expires_at < $1")
            .bind(now)
            .execute(self.writer())
            .await?;
        sqlx::query(
            "INSERT INTO sessions (id_hash, user_id, csrf_token, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(id_hash)
        .bind(user_id)
        .bind(csrf_token)
        .bind(now)
        .bind(expires_at)
        .execute(self.writer())
        .await?;
        Ok(())
    }

    /// The user and CSRF token of an unexpired session.
    pub async fn session(
        &self,
        id_hash: &str,
        now: i64,
    ) -> Result<Option<(User, String)>, StoreError> {
        let row = sqlx::query(
            "SELECT u.id, u.username, u.role, u.disabled, u.created_at, s.csrf_token \
             FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.id_hash = $1 AND s.expires_at > $2",
        )
        .bind(id_hash)
        .bind(now)
        .fetch_optional(&self.pool)
        .await?;
        row.map(|row| Ok((user_from(&row)?, row.try_get("csrf_token")?))).transpose()
    }

    /// Ends a session.
    pub async fn delete_session(&self, id_hash: &str) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM sessions WHERE id_hash = $1")
            .bind(id_hash)
            .execute(self.writer())
            .await?;
        Ok(())
    }

    /// Records a token by its hash.
    #[expect(
        clippy::too_many_arguments,
        reason = "one column each; a struct would only rename them"
    )]
    pub async fn create_token(
        &self,
        user_id: i64,
        name: &str,
        token_hash: &str,
        prefix: &str,
        scope: &str,
        now: i64,
        expires_at: Option<i64>,
    ) -> Result<ApiToken, StoreError> {
        let row = sqlx::query(&format!(
            "INSERT INTO api_tokens (user_id, name, token_hash, prefix, scope, created_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING {TOKEN_COLUMNS}"
        ))
        .bind(user_id)
        .bind(name)
        .bind(token_hash)
        .bind(prefix)
        .bind(scope)
        .bind(now)
        .bind(expires_at)
        .fetch_one(self.writer())
        .await?;
        token_from(&row)
    }

    /// A token and its owner by the token's hash, whatever its state; the
    /// caller checks expiry and revocation to say which one applies.
    pub async fn token_by_hash(
        &self,
        token_hash: &str,
    ) -> Result<Option<(User, ApiToken)>, StoreError> {
        let row = sqlx::query(
            "SELECT t.id, t.user_id, t.name, t.prefix, t.scope, t.created_at, t.expires_at, t.revoked_at, \
             t.last_used_at, u.username, u.role, u.disabled, u.created_at AS user_created_at \
             FROM api_tokens t JOIN users u ON u.id = t.user_id WHERE t.token_hash = $1",
        )
        .bind(token_hash)
        .fetch_optional(&self.pool)
        .await?;
        let Some(row) = row else { return Ok(None) };
        let token = token_from(&row)?;
        let user = User {
            id: token.user_id,
            username: row.try_get("username")?,
            role: row.try_get("role")?,
            disabled: row.try_get::<i64, _>("disabled")? != 0,
            created_at: row.try_get("user_created_at")?,
        };
        Ok(Some((user, token)))
    }

    /// Notes a token's use (at most once a minute, to spare writes).
    pub async fn touch_token(&self, id: i64, now: i64) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE api_tokens SET last_used_at = $1 WHERE id = $2 AND (last_used_at IS NULL OR last_used_at < $3)",
        )
        .bind(now)
        .bind(id)
        .bind(now - 60_000)
        .execute(self.writer())
        .await?;
        Ok(())
    }

    /// A user's tokens, newest first (`None`: everyone's).
    pub async fn tokens(&self, user_id: Option<i64>) -> Result<Vec<ApiToken>, StoreError> {
        let rows = sqlx::query(&format!(
            "SELECT {TOKEN_COLUMNS} FROM api_tokens WHERE ($1 IS NULL OR user_id = $1) ORDER BY id DESC"
        ))
        .bind(user_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(token_from).collect()
    }

    /// A token by id.
    pub async fn token(&self, id: i64) -> Result<Option<ApiToken>, StoreError> {
        let row = sqlx::query(&format!("SELECT {TOKEN_COLUMNS} FROM api_tokens WHERE id = $1"))
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(token_from).transpose()
    }

    /// Revokes a token; false when it was absent or already revoked.
    pub async fn revoke_token(&self, id: i64, now: i64) -> Result<bool, StoreError> {
        let result = sqlx::query(
            "UPDATE api_tokens SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL",
        )
        .bind(now)
        .bind(id)
        .execute(self.writer())
        .await?;
        Ok(result.rows_affected() == 1)
    }

    /// Appends to the audit log.
    pub async fn audit(
        &self,
        actor: &str,
        action: &str,
        target: &str,
        detail: &str,
        now: i64,
    ) -> Result<(), StoreError> {
        let mut connection = self.writer().acquire().await?;
        write_audit(&mut connection, actor, action, target, detail, now).await
    }

    /// Audit entries, newest first, older than `before` (an id) if given.
    pub async fn audit_log(
        &self,
        before: Option<i64>,
        limit: i64,
    ) -> Result<Vec<AuditEntry>, StoreError> {
        let rows = sqlx::query(
            "SELECT id, created_at, actor, action, target, detail FROM audit_log \
             WHERE ($1 IS NULL OR id < $1) ORDER BY id DESC LIMIT $2",
        )
        .bind(before)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                Ok(AuditEntry {
                    id: row.try_get("id")?,
                    created_at: row.try_get("created_at")?,
                    actor: row.try_get("actor")?,
                    action: row.try_get("action")?,
                    target: row.try_get("target")?,
                    detail: row.try_get("detail")?,
                })
            })
            .collect()
    }
}

/// Adds an audit entry on `connection` (a transaction's, so the entry and
/// the change it records commit together).
pub(crate) async fn write_audit(
    connection: &mut sqlx::AnyConnection,
    actor: &str,
    action: &str,
    target: &str,
    detail: &str,
    now: i64,
) -> Result<(), StoreError> {
    sqlx::query("INSERT INTO audit_log (created_at, actor, action, target, detail) VALUES ($1, $2, $3, $4, $5)")
        .bind(now)
        .bind(actor)
        .bind(action)
        .bind(target)
        .bind(detail)
        .execute(&mut *connection)
        .await?;
    Ok(())
}
