//! The server's way to talk to an instance's GitLab: one place that builds
//! a client with the instance's decrypted access token (refreshing OAuth
//! tokens before they expire, and when GitLab says one expired: one refresh
//! per instance at a time), and the words an admin sees when GitLab refuses
//! or cannot be reached.

use vigil_gitlab::{
    Client, ClientSettings, DEFAULT_REFRESH_MARGIN_MS, GitLabError, OAuthClient, RefreshToken,
    Token, TokenRenewal, TokenSet, Via, needs_refresh, random_state,
};
use vigil_store::{Instance, Queue, SecretString, Store};
use vigil_transporter::hub::FORWARD_KEY_HEADER;

/// A client for `instance` with its access token (decrypted only here),
/// refreshed first when it expires within five minutes.
pub(crate) async fn instance_client(store: &Store, instance: &Instance) -> Result<Client, String> {
    refresh(store, instance, None).await?;
    let token = store
        .instance_secret(instance.id, "access_token_enc")
        .await
        .map_err(|error| error.to_string())?
        .ok_or_else(|| {
            format!(
                "instance {}: no access token; complete the OAuth step of its onboarding",
                instance.name
            )
        })?;
    let client = Client::new(
        &instance.base_url,
        Token::new(token.expose()),
        client_settings(store, instance.transporter_id).await?,
    )
    .map_err(|error| error.to_string())?;
    // OAuth tokens: when GitLab says the token expired before our clock
    // did (a clock behind GitLab's), refresh and send the call again.
    Ok(match instance.oauth_client_id {
        Some(_) => client.with_renewal(std::sync::Arc::new(InstanceRenewal {
            store: store.clone(),
            instance: instance.clone(),
        })),
        None => client,
    })
}

/// Renews an instance's OAuth access token that GitLab called expired.
#[derive(Debug)]
struct InstanceRenewal {
    store: Store,
    instance: Instance,
}

impl TokenRenewal for InstanceRenewal {
    fn renew(
        &self,
        expired: Token,
    ) -> std::pin::Pin<Box<dyn std::future::Future<Output = Result<Token, GitLabError>> + Send + '_>>
    {
        Box::pin(async move {
            let refused = |reason: String| GitLabError::Unauthorized {
                endpoint: "POST /oauth/token".into(),
                status: 401,
                reason,
            };
            refresh(&self.store, &self.instance, Some(&expired)).await.map_err(refused)?;
            let token = self
                .store
                .instance_secret(self.instance.id, "access_token_enc")
                .await
                .map_err(|error| refused(error.to_string()))?
                .ok_or_else(|| refused("the instance has no access token".into()))?;
            Ok(Token::new(token.expose()))
        })
    }
}

/// The forward endpoint of this process's hub, as the other processes
/// reach it; set once at start-up by `vigil serve`.
static HOLDER_URL: std::sync::OnceLock<String> = std::sync::OnceLock::new();
/// The key every process's forward endpoint checks; set at start-up, or
/// derived from the master key when not.
static FORWARD_KEY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
/// What the forward key is derived from the master key for.
pub const FORWARD_KEY_LABEL: &str = "transporter-forward";
/// A hold on a transporter not renewed for this long is stale (its process
/// renews it with every health check, once a minute).
pub(crate) const HOLD_FRESH_MS: i64 = 150_000;

/// Tells this process that its hub's forward endpoint is reached at
/// `url` with `key`; `vigil serve` calls it once at start-up.
pub fn set_transporter_forward(url: String, key: String) {
    let _ = HOLDER_URL.set(url.trim_end_matches('/').to_owned());
    let _ = FORWARD_KEY.set(key);
}

/// Sets the forward key of a process without a hub (`vigil worker`) when
/// the servers were given one instead of deriving it.
pub fn set_transporter_forward_key(key: String) {
    let _ = FORWARD_KEY.set(key);
}

/// This process's forward URL, when it runs a hub.
pub(crate) fn holder_url() -> Option<&'static str> {
    HOLDER_URL.get().map(String::as_str)
}

/// Client settings for an instance: straight to GitLab, or through its
/// transporter's tunnel at the forward endpoint of whichever server process
/// holds a link of it (this one or another, from `transporter_holders`).
pub(crate) async fn client_settings(
    store: &Store,
    transporter_id: Option<i64>,
) -> Result<ClientSettings, String> {
    let mut settings = ClientSettings::default();
    let Some(id) = transporter_id else { return Ok(settings) };
    let key = FORWARD_KEY
        .get()
        .cloned()
        .or_else(|| store.derived_secret(FORWARD_KEY_LABEL))
        .ok_or("no master key to derive the Transporter forward key from")?;
    let holders = store
        .transporter_holders(id, Queue::now_ms() - HOLD_FRESH_MS)
        .await
        .map_err(|error| error.to_string())?;
    // This process's own hub first: no hop through another server.
    let url = holders
        .iter()
        .find(|url| Some(url.as_str()) == holder_url())
        .or(holders.first())
        .ok_or_else(|| {
            format!(
                "this GitLab is reached through transporter {id}, which has no agent connected \
                 to any Vigil server; check its agents on the Brokers page"
            )
        })?;
    settings.via =
        Some(Via { url: format!("{url}/t/{id}"), header: (FORWARD_KEY_HEADER.to_owned(), key) });
    Ok(settings)
}

/// Refreshes the instance's OAuth tokens when the access token is about to
/// expire, or when GitLab refused `expired` as expired and it is still the
/// one stored (otherwise another worker has refreshed already). GitLab rotates the refresh token on every refresh and the old
/// pair dies at once, so refreshes of one instance are serialised across
/// every process by a lease row, the expiry is read again under it (another
/// worker may have refreshed meanwhile), and the new pair is stored in one
/// write before anyone uses it. A refused refresh puts the instance in
/// error: an admin must connect it again.
async fn refresh(
    store: &Store,
    instance: &Instance,
    expired: Option<&Token>,
) -> Result<(), String> {
    let store_error = |error: vigil_store::StoreError| error.to_string();
    let due = || async {
        Ok::<bool, String>(match expired {
            Some(expired) => store
                .instance_secret(instance.id, "access_token_enc")
                .await
                .map_err(store_error)?
                .is_some_and(|current| current.expose() == expired.expose_secret()),
            None => {
                store.instance_token_expiry(instance.id).await.map_err(store_error)?.is_some_and(
                    |expiry| needs_refresh(expiry, Queue::now_ms(), DEFAULT_REFRESH_MARGIN_MS),
                )
            }
        })
    };
    if !due().await? {
        return Ok(());
    }
    let lease = format!("oauth-refresh:{}", instance.id);
    let holder = format!("{}:{}", std::process::id(), random_state());
    let mut held = false;
    for _ in 0..300 {
        if store
            .acquire_lease(&lease, &holder, 60_000, Queue::now_ms())
            .await
            .map_err(store_error)?
        {
            held = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    if !held {
        return Err(format!(
            "instance {}: another token refresh has not finished in 30 s",
            instance.name
        ));
    }
    let result = async {
        if !due().await? {
            return Ok(());
        }
        let secret = |column: &'static str| async move {
            store.instance_secret(instance.id, column).await.map_err(store_error)
        };
        let (Some(refresh), Some(client_secret), Some(client_id)) = (
            secret("refresh_token_enc").await?,
            secret("oauth_secret_enc").await?,
            instance.oauth_client_id.as_deref(),
        ) else {
            // A personal access token: nothing to refresh.
            return Ok(());
        };
        let client = OAuthClient::new(
            &instance.base_url,
            client_id,
            Token::new(client_secret.expose()),
            &client_settings(store, instance.transporter_id).await?,
        )
        .map_err(|error| error.to_string())?;
        match client.refresh(&RefreshToken::new(refresh.expose())).await {
            Ok(tokens) => {
                store_tokens(store, instance.id, &tokens).await.map_err(store_error)?;
                tracing::info!(instance = instance.id, "OAuth tokens refreshed");
                Ok(())
            }
            Err(error) => {
                if !error.is_token_revoked() {
                    return Err(format!("cannot refresh the OAuth token: {}", reason(&error)));
                }
                // The authorisation is gone: the tokens can never work again.
                // Dropping them makes every job of this instance wait for a
                // reconnect instead of failing its attempts away.
                let message = format!(
                    "GitLab no longer accepts Vigil's authorisation (it was revoked, or the refresh token expired). \
                     Choose Connect again in this instance's menu; waiting scans run once it is connected. \
                     GitLab said: {error}"
                );
                let now = Queue::now_ms();
                for column in ["access_token_enc", "refresh_token_enc"] {
                    store
                        .set_instance_secret(instance.id, column, None, now)
                        .await
                        .map_err(store_error)?;
                }
                store
                    .set_instance_status(instance.id, "error", Some(&message), now)
                    .await
                    .map_err(store_error)?;
                Err(message)
            }
        }
    }
    .await;
    store.release_lease(&lease, &holder).await.map_err(store_error)?;
    result
}

/// How long a job waits, each round, for its instance to be connected
/// again (a reconnect wakes it at once).
pub(crate) const RECONNECT_WAIT_MS: i64 = 15 * 60_000;

/// The start of the last error of a job waiting for `instance_id` to be
/// connected again; a reconnect wakes the jobs whose error starts so.
pub(crate) fn reconnect_marker(instance_id: i64) -> String {
    format!("waits until GitLab instance {instance_id} is connected again")
}

/// True when the instance can do nothing until someone connects it again:
/// GitLab refused its OAuth authorisation and the tokens were dropped.
pub(crate) async fn awaits_reconnect(
    store: &Store,
    instance_id: i64,
) -> Result<bool, vigil_store::StoreError> {
    let Some(instance) = store.instance(instance_id).await? else { return Ok(false) };
    Ok(instance.oauth_client_id.is_some()
        && instance.status == "error"
        && store.instance_secret(instance_id, "access_token_enc").await?.is_none())
}

/// Stores a token pair GitLab issued (the access token, the refresh token
/// and the expiry together, encrypted).
pub(crate) async fn store_tokens(
    store: &Store,
    instance_id: i64,
    tokens: &TokenSet,
) -> Result<(), vigil_store::StoreError> {
    store
        .set_instance_tokens(
            instance_id,
            &SecretString::new(tokens.access_token.expose_secret()),
            Some(&SecretString::new(tokens.refresh_token.expose_secret())),
            Some(tokens.expires_at_ms),
            Queue::now_ms(),
        )
        .await
}

/// The client of the instance that holds `repository`.
pub(crate) async fn repository_client(
    store: &Store,
    repository: &vigil_store::Repository,
) -> Result<Client, String> {
    let instance = store
        .instance(repository.instance_id)
        .await
        .map_err(|error| error.to_string())?
        .ok_or_else(|| format!("repository {}: its instance was deleted", repository.path))?;
    instance_client(store, &instance).await
}

/// The repository's GitLab project id, as the client takes it.
pub(crate) fn project_id(repository: &vigil_store::Repository) -> Result<u64, String> {
    u64::try_from(repository.gitlab_project_id)
        .map_err(|_| format!("repository {}: negative project id", repository.path))
}

/// Why a GitLab call failed, in the words shown to the admin.
pub(crate) fn reason(error: &GitLabError) -> String {
    match error {
        GitLabError::Unauthorized { .. } => {
            format!("the token was refused by GitLab (revoked or expired?): {error}")
        }
        GitLabError::Transport { .. } => format!("GitLab is unreachable: {error}"),
        GitLabError::Api { status: 422, message, .. } if message.contains("Invalid url") => {
            format!(
                "GitLab refused Vigil's hook URL ({message}); an admin must allow requests to the local network, or Vigil needs a public URL"
            )
        }
        other => other.to_string(),
    }
}
