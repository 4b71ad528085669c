//! OAuth state kept between the redirect to GitLab's consent page and the
//! callback (single use, ten minutes), and the one write that stores an
//! instance's access and refresh tokens together: GitLab rotates refresh
//! tokens, so the pair must never be half-written.

use sha2::{Digest as _, Sha256};
use sqlx::Row;

use crate::{SecretString, Store, StoreError};

/// How long an authorisation may take, ms.
pub const OAUTH_STATE_TTL_MS: i64 = 10 * 60_000;

/// An authorisation in flight, as the callback finds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OAuthState {
    /// The instance being connected.
    pub instance_id: i64,
    /// The admin who started it; the callback must come from the same user.
    pub user_id: i64,
    /// The PKCE code verifier.
    pub code_verifier: String,
}

fn state_hash(state: &str) -> String {
    Sha256::digest(state.as_bytes()).iter().map(|byte| format!("{byte:02x}")).collect()
}

impl Store {
    /// Remembers an authorisation started by `user_id` for `instance_id`
    /// and drops those older than [`OAUTH_STATE_TTL_MS`].
    pub async fn save_oauth_state(
        &self,
        state: &str,
        flow: &OAuthState,
        now: i64,
    ) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM oauth_states WHERE created_at < $1")
            .bind(now - OAUTH_STATE_TTL_MS)
            .execute(self.writer())
            .await?;
        sqlx::query(
            "INSERT INTO oauth_states (state_hash, instance_id, user_id, code_verifier, created_at) \
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(state_hash(state))
        .bind(flow.instance_id)
        .bind(flow.user_id)
        .bind(&flow.code_verifier)
        .bind(now)
        .execute(self.writer())
        .await?;
        Ok(())
    }

    /// Takes (deletes and returns) the authorisation of `state` if it is
    /// younger than [`OAUTH_STATE_TTL_MS`]: a state works once.
    pub async fn take_oauth_state(
        &self,
        state: &str,
        now: i64,
    ) -> Result<Option<OAuthState>, StoreError> {
        let row = sqlx::query(
            "DELETE FROM oauth_states WHERE state_hash = $1 \
             RETURNING instance_id, user_id, code_verifier, created_at",
        )
        .bind(state_hash(state))
        .fetch_optional(self.writer())
        .await?;
        let Some(row) = row else { return Ok(None) };
        let created_at: i64 = row.try_get("created_at")?;
        if created_at < now - OAUTH_STATE_TTL_MS {
            return Ok(None);
        }
        Ok(Some(OAuthState {
            instance_id: row.try_get("instance_id")?,
            user_id: row.try_get("user_id")?,
            code_verifier: row.try_get("code_verifier")?,
        }))
    }

    /// Stores an instance's access and refresh tokens (encrypted) and the
    /// access token's expiry in one statement.
    pub async fn set_instance_tokens(
        &self,
        id: i64,
        access_token: &SecretString,
        refresh_token: Option<&SecretString>,
        expires_at: Option<i64>,
        now: i64,
    ) -> Result<(), StoreError> {
        let keyring = self.keyring()?;
        let access = keyring.encrypt("instances.access_token_enc", access_token.expose())?;
        let refresh = refresh_token
            .map(|token| keyring.encrypt("instances.refresh_token_enc", token.expose()))
            .transpose()?;
        sqlx::query(
            "UPDATE instances SET access_token_enc = $1, refresh_token_enc = $2, token_expires_at = $3, \
             updated_at = $4 WHERE id = $5",
        )
        .bind(access)
        .bind(refresh)
        .bind(expires_at)
        .bind(now)
        .bind(id)
        .execute(self.writer())
        .await?;
        Ok(())
    }

    /// When an instance's access token expires (Unix ms), if known.
    pub async fn instance_token_expiry(&self, id: i64) -> Result<Option<i64>, StoreError> {
        let row = sqlx::query("SELECT token_expires_at FROM instances WHERE id = $1")
            .bind(id)
            .fetch_optional(self.writer())
            .await?;
        Ok(match row {
            Some(row) => row.try_get("token_expires_at")?,
            None => None,
        })
    }
}
