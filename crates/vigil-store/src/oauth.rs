//! OAuth state kept between the redirect to GitLab's consent page and the
//! callback (single use, ten minutes, bound to the user and the browser
//! session that started it), and the one write that stores an
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

/// What the callback's state turned out to be.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StateTaken {
    /// This user's, in this session (or started with an API token): taken.
    Taken(OAuthState),
    /// Started by another user: left in place.
    OtherUser,
    /// Started by this user in another browser session: left in place.
    OtherSession,
    /// Unknown, used or older than [`OAUTH_STATE_TTL_MS`].
    Unknown,
}

fn state_hash(state: &str) -> String {
    Sha256::digest(state.as_bytes()).iter().map(|byte| format!("{byte:02x}")).collect()
}

impl Store {
    /// Remembers an authorisation started by `user_id` for `instance_id`,
    /// in the browser session holding `session_secret` (none for an API
    /// token), and drops those older than [`OAUTH_STATE_TTL_MS`].
    pub async fn save_oauth_state(
        &self,
        state: &str,
        flow: &OAuthState,
        session_secret: Option<&str>,
        now: i64,
    ) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM oauth_states WHERE created_at < $1")
            .bind(now - OAUTH_STATE_TTL_MS)
            .execute(self.writer())
            .await?;
        sqlx::query(
            "INSERT INTO oauth_states (state_hash, instance_id, user_id, code_verifier, created_at, session_hash) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(state_hash(state))
        .bind(flow.instance_id)
        .bind(flow.user_id)
        .bind(&flow.code_verifier)
        .bind(now)
        .bind(session_secret.map(state_hash))
        .execute(self.writer())
        .await?;
        Ok(())
    }

    /// Takes (deletes and returns) the authorisation of `state` for
    /// `user_id` in the session holding `session_secret`, if it is younger
    /// than [`OAUTH_STATE_TTL_MS`]: a state works once, and only where it
    /// was started (an attempt elsewhere leaves it for the right session).
    pub async fn take_oauth_state(
        &self,
        state: &str,
        user_id: i64,
        session_secret: Option<&str>,
        now: i64,
    ) -> Result<StateTaken, StoreError> {
        let hash = state_hash(state);
        let session = session_secret.map(state_hash);
        let row = sqlx::query(
            "DELETE FROM oauth_states WHERE state_hash = $1 AND user_id = $2 \
             AND (session_hash IS NULL OR session_hash = $3) \
             RETURNING instance_id, user_id, code_verifier, created_at",
        )
        .bind(&hash)
        .bind(user_id)
        .bind(&session)
        .fetch_optional(self.writer())
        .await?;
        if let Some(row) = row {
            let created_at: i64 = row.try_get("created_at")?;
            if created_at < now - OAUTH_STATE_TTL_MS {
                return Ok(StateTaken::Unknown);
            }
            return Ok(StateTaken::Taken(OAuthState {
                instance_id: row.try_get("instance_id")?,
                user_id: row.try_get("user_id")?,
                code_verifier: row.try_get("code_verifier")?,
            }));
        }
        let other = sqlx::query(
            "SELECT user_id FROM oauth_states WHERE state_hash = $1 AND created_at >= $2",
        )
        .bind(&hash)
        .bind(now - OAUTH_STATE_TTL_MS)
        .fetch_optional(self.writer())
        .await?;
        Ok(match other {
            None => StateTaken::Unknown,
            Some(row) if row.try_get::<i64, _>("user_id")? == user_id => StateTaken::OtherSession,
            Some(_) => StateTaken::OtherUser,
        })
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
