//! OAuth 2 against GitLab, the client side: PKCE (S256), the authorize
//! URL, and the token endpoints (code exchange, refresh, revocation, token
//! info) through the same HTTP stack as [`Client`](crate::Client): its
//! timeout, no redirects, errors that name the endpoint and the status.
//!
//! It owns no storage and no clock policy: the caller keeps the
//! [`TokenSet`], decides when to refresh ([`needs_refresh`]) and must store
//! a refreshed pair before using it.
//!
//! **Refreshes are never retried.** GitLab rotates refresh tokens: a
//! successful refresh revokes the old access *and* refresh token at once.
//! If the answer to a refresh is lost (timeout, connection reset), GitLab
//! may already have rotated, and sending the old refresh token again
//! answers `invalid_grant`. So no OAuth request here is repeated
//! automatically; callers must serialise refreshes per instance and treat
//! a failed refresh as "maybe rotated" (retry once by hand at most, and
//! ask for a reconnection on `invalid_grant`).
//!
//! **Architecture invariant:** no secret (client secret, verifier, code,
//! access or refresh token) appears in an error, a `Debug` output or a URL
//! this module logs; tokens travel in form bodies and headers only.

use std::fmt;
use std::time::{SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::RngCore as _;
use reqwest::StatusCode;
use serde::Deserialize;
use sha2::{Digest as _, Sha256};

use crate::client::{Deadline, http_client};
use crate::error::error_message;
use crate::{ClientSettings, GitLabError, Token};

/// Refresh this long before an access token expires (5 minutes), so a
/// request never starts with a token about to lapse.
pub const DEFAULT_REFRESH_MARGIN_MS: i64 = 5 * 60 * 1000;

/// A PKCE pair (RFC 7636): the verifier stays with Vigil until the code
/// exchange, the challenge goes into the authorize URL. `Debug` hides the
/// verifier.
#[derive(Clone, PartialEq, Eq)]
pub struct Pkce {
    /// 86 characters of base64url from 64 random bytes (RFC 7636 allows
    /// 43 to 128 unreserved characters).
    pub verifier: String,
    /// `BASE64URL(SHA256(verifier))` without padding (method `S256`).
    pub challenge: String,
}

impl Pkce {
    /// A fresh pair from the operating system's CSPRNG.
    pub fn generate() -> Pkce {
        Pkce::from_verifier(random_base64url::<64>())
    }

    /// The pair for a known verifier (to check a stored one, or a test
    /// vector).
    pub fn from_verifier(verifier: impl Into<String>) -> Pkce {
        let verifier = verifier.into();
        let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
        Pkce { verifier, challenge }
    }
}

impl fmt::Debug for Pkce {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Pkce")
            .field("verifier", &"[redacted]")
            .field("challenge", &self.challenge)
            .finish()
    }
}

/// A random `state` for the authorize request (43 base64url characters,
/// 256 bits from the CSPRNG): the callback must bring back the same value.
pub fn random_state() -> String {
    random_base64url::<32>()
}

fn random_base64url<const BYTES: usize>() -> String {
    let mut bytes = [0_u8; BYTES];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// The URL to send the user's browser to:
/// `{base_url}/oauth/authorize?client_id=…&redirect_uri=…&response_type=code&state=…&scope=…&code_challenge=…&code_challenge_method=S256`,
/// every value percent-encoded (scopes joined by a space, sent as `%20`).
pub fn authorize_url(
    base_url: &str,
    client_id: &str,
    redirect_uri: &str,
    scopes: &[&str],
    state: &str,
    pkce: &Pkce,
) -> String {
    let scope = scopes.join(" ");
    let query: Vec<String> = [
        ("client_id", client_id),
        ("redirect_uri", redirect_uri),
        ("response_type", "code"),
        ("state", state),
        ("scope", scope.as_str()),
        ("code_challenge", pkce.challenge.as_str()),
        ("code_challenge_method", "S256"),
    ]
    .iter()
    .map(|(name, value)| format!("{name}={}", crate::repository::encode_component(value)))
    .collect();
    format!("{}/oauth/authorize?{}", base_url.trim_end_matches('/'), query.join("&"))
}

/// A refresh token; `Debug` never shows it. A distinct type from
/// [`Token`] so it cannot be sent as a bearer token by mistake.
#[derive(Clone, PartialEq, Eq)]
pub struct RefreshToken(String);

impl RefreshToken {
    /// Wraps a refresh token.
    pub fn new(token: impl Into<String>) -> RefreshToken {
        RefreshToken(token.into())
    }

    /// The token itself, for sending it to GitLab or storing it encrypted;
    /// never for a log line or an error.
    pub fn expose_secret(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for RefreshToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

/// An access token with its refresh token, as `/oauth/token` answers.
/// `Debug` shows neither token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenSet {
    /// For `Authorization: Bearer`.
    pub access_token: Token,
    /// Works once: a refresh rotates it.
    pub refresh_token: RefreshToken,
    /// `(created_at + expires_in)` in Unix ms, by GitLab's clock;
    /// `i64::MAX` when GitLab gave no `expires_in` (tokens that never
    /// expire, GitLab before 15.0).
    pub expires_at_ms: i64,
    /// Granted scopes (the answer's space-separated `scope`); empty when
    /// GitLab did not say.
    pub scopes: Vec<String>,
}

/// `GET /oauth/token/info`: what GitLab knows of an access token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenInfo {
    /// The user the token acts for.
    pub resource_owner_id: Option<u64>,
    /// Granted scopes (an array in this answer, unlike the token answer).
    pub scopes: Vec<String>,
    /// Seconds left; `None` for a token that never expires.
    pub expires_in_s: Option<i64>,
    /// The application's `client_id`.
    pub application_uid: Option<String>,
    /// Creation, Unix seconds.
    pub created_at_s: Option<i64>,
}

/// Whether a token expiring at `expires_at_ms` should be refreshed at
/// `now_ms`: when less than `margin_ms` is left (use
/// [`DEFAULT_REFRESH_MARGIN_MS`]), and when it has already expired.
pub fn needs_refresh(expires_at_ms: i64, now_ms: i64, margin_ms: i64) -> bool {
    now_ms.saturating_add(margin_ms.max(0)) >= expires_at_ms
}

/// A client for one OAuth application on one GitLab instance.
#[derive(Debug, Clone)]
pub struct OAuthClient {
    http: reqwest::Client,
    base_url: String,
    client_id: String,
    client_secret: Token,
}

impl OAuthClient {
    /// A client for the confidential application `client_id` at
    /// `base_url`, with the API client's settings (only the timeout
    /// applies: OAuth requests are never retried).
    pub fn new(
        base_url: &str,
        client_id: &str,
        client_secret: Token,
        settings: &ClientSettings,
    ) -> Result<OAuthClient, GitLabError> {
        Ok(OAuthClient {
            http: http_client(base_url, settings, Deadline::Whole)?,
            // Through the Transporter when the settings say so.
            base_url: crate::client::routed(settings, base_url, base_url.trim_end_matches('/')),
            client_id: client_id.to_owned(),
            client_secret,
        })
    }

    /// Exchanges the code from the callback for a token pair
    /// (`grant_type=authorization_code` with the PKCE verifier).
    /// `redirect_uri` must be the authorize request's exactly. A code
    /// works once.
    pub async fn exchange_code(
        &self,
        code: &str,
        redirect_uri: &str,
        verifier: &str,
    ) -> Result<TokenSet, GitLabError> {
        let body = self
            .post_form(
                "/oauth/token",
                &[
                    ("grant_type", "authorization_code"),
                    ("client_id", &self.client_id),
                    ("client_secret", self.client_secret.expose_secret()),
                    ("code", code),
                    ("redirect_uri", redirect_uri),
                    ("code_verifier", verifier),
                ],
            )
            .await?;
        parse_token_set("POST /oauth/token", &body, now_ms())
    }

    /// Trades a refresh token for a new pair. GitLab revokes the old
    /// access and refresh tokens at once, so: store the new pair before
    /// using it, never run two refreshes for one instance at a time, and
    /// never retry this call automatically (see the module docs). An
    /// `invalid_grant` answer ([`GitLabError::is_token_revoked`]) means
    /// the refresh token is dead: the instance must be connected again.
    pub async fn refresh(&self, refresh_token: &RefreshToken) -> Result<TokenSet, GitLabError> {
        let body = self
            .post_form(
                "/oauth/token",
                &[
                    ("grant_type", "refresh_token"),
                    ("client_id", &self.client_id),
                    ("client_secret", self.client_secret.expose_secret()),
                    ("refresh_token", refresh_token.expose_secret()),
                ],
            )
            .await?;
        parse_token_set("POST /oauth/token", &body, now_ms())
    }

    /// Revokes a token (`POST /oauth/revoke`, RFC 7009): pass an access
    /// token's or a refresh token's `expose_secret()`; GitLab revokes the
    /// pair either way. An unknown or already revoked token is not an
    /// error.
    pub async fn revoke(&self, token: &str) -> Result<(), GitLabError> {
        self.post_form(
            "/oauth/revoke",
            &[
                ("client_id", &self.client_id),
                ("client_secret", self.client_secret.expose_secret()),
                ("token", token),
            ],
        )
        .await
        .map(|_| ())
    }

    /// `GET /oauth/token/info` for `access_token` (sent as a bearer
    /// header, never in the URL). An expired or revoked token answers
    /// [`GitLabError::Unauthorized`] ([`GitLabError::is_token_expired`],
    /// [`GitLabError::is_token_revoked`]).
    pub async fn token_info(&self, access_token: &Token) -> Result<TokenInfo, GitLabError> {
        let endpoint = "GET /oauth/token/info";
        let response = self
            .http
            .get(format!("{}/oauth/token/info", self.base_url))
            .bearer_auth(access_token.expose_secret())
            .send()
            .await
            .map_err(|error| transport(endpoint, error))?;
        let body = answer(endpoint, response).await?;
        parse_token_info(endpoint, &body)
    }

    async fn post_form(&self, path: &str, form: &[(&str, &str)]) -> Result<Vec<u8>, GitLabError> {
        let endpoint = format!("POST {path}");
        let response = self
            .http
            .post(format!("{}{path}", self.base_url))
            .form(form)
            .send()
            .await
            .map_err(|error| transport(&endpoint, error))?;
        answer(&endpoint, response).await
    }
}

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |since| i64::try_from(since.as_millis()).unwrap_or(i64::MAX))
}

fn transport(endpoint: &str, error: reqwest::Error) -> GitLabError {
    let reason = if error.is_timeout() {
        "no answer in time".to_owned()
    } else {
        // Without the URL: the endpoint is already named.
        error.without_url().to_string()
    };
    GitLabError::Transport { endpoint: endpoint.to_owned(), reason }
}

/// The OAuth error body: `{"error": "...", "error_description": "..."}`.
#[derive(Deserialize)]
struct OAuthErrorBody {
    error: String,
    #[serde(default)]
    error_description: Option<String>,
}

/// The body of a successful answer, or the error GitLab's answer means.
/// Nothing is retried, not even a 429: see the module docs.
async fn answer(endpoint: &str, response: reqwest::Response) -> Result<Vec<u8>, GitLabError> {
    let status = response.status();
    let retry_after = response
        .headers()
        .get(reqwest::header::RETRY_AFTER)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.trim().parse::<u64>().ok());
    if status.is_success() {
        return crate::body::read_capped(
            response,
            crate::body::MAX_OAUTH_BYTES,
            endpoint,
            |error| transport(endpoint, error),
        )
        .await;
    }
    let body = crate::body::read_error(response, crate::body::ERROR_BODY_DEADLINE).await;
    let endpoint = endpoint.to_owned();
    if status == StatusCode::TOO_MANY_REQUESTS {
        return Err(GitLabError::RateLimited {
            endpoint,
            retry_after_s: retry_after.unwrap_or(60),
        });
    }
    let oauth = serde_json::from_slice::<OAuthErrorBody>(&body).ok();
    match oauth {
        // A bearer token refused (token info): the same error as the API's,
        // so `is_token_expired` and `is_token_revoked` work on both.
        Some(refusal) if status == StatusCode::UNAUTHORIZED && refusal.error == "invalid_token" => {
            Err(GitLabError::Unauthorized {
                endpoint,
                status: status.as_u16(),
                reason: error_message(&body),
            })
        }
        Some(refusal) if status.is_client_error() => Err(GitLabError::OAuth {
            endpoint,
            status: status.as_u16(),
            error: refusal.error,
            description: refusal.error_description.unwrap_or_default(),
        }),
        _ => Err(GitLabError::Api {
            endpoint,
            status: status.as_u16(),
            message: error_message(&body),
        }),
    }
}

/// A JSON decoding failure without serde's message, which may quote a
/// value from the body (a token).
fn decode_error(endpoint: &str, error: &serde_json::Error) -> GitLabError {
    let reason = if error.to_string().starts_with("missing field") {
        error.to_string()
    } else {
        format!("malformed JSON (line {}, column {})", error.line(), error.column())
    };
    GitLabError::Decode { endpoint: endpoint.to_owned(), reason }
}

#[derive(Deserialize)]
struct TokenAnswer {
    access_token: String,
    token_type: String,
    #[serde(default)]
    expires_in: Option<i64>,
    #[serde(default)]
    refresh_token: Option<String>,
    #[serde(default)]
    scope: Option<String>,
    #[serde(default)]
    created_at: Option<i64>,
}

/// The longest access or refresh token accepted.
pub const MAX_TOKEN_BYTES: usize = 1024;

/// A token answer as a [`TokenSet`]; `now_ms` stands in for a missing
/// `created_at`.
fn parse_token_set(endpoint: &str, body: &[u8], now_ms: i64) -> Result<TokenSet, GitLabError> {
    let answer: TokenAnswer =
        serde_json::from_slice(body).map_err(|error| decode_error(endpoint, &error))?;
    let decode = |reason: &str| GitLabError::Decode {
        endpoint: endpoint.to_owned(),
        reason: reason.to_owned(),
    };
    // GitLab's docs show `bearer`, Doorkeeper sends `Bearer`.
    if !answer.token_type.eq_ignore_ascii_case("bearer") {
        return Err(decode("token_type is not bearer"));
    }
    let refresh_token =
        answer.refresh_token.ok_or_else(|| decode("no refresh_token in the answer"))?;
    // GitLab's tokens are 64 characters; Vigil stores them encrypted.
    if answer.access_token.len() > MAX_TOKEN_BYTES || refresh_token.len() > MAX_TOKEN_BYTES {
        return Err(decode(&format!(
            "a token in the answer is longer than {MAX_TOKEN_BYTES} bytes; GitLab's are 64 characters"
        )));
    }
    let created_ms = answer.created_at.map_or(now_ms, |seconds| seconds.saturating_mul(1000));
    let expires_at_ms = match answer.expires_in {
        Some(seconds) => created_ms.saturating_add(seconds.saturating_mul(1000)),
        None => i64::MAX,
    };
    Ok(TokenSet {
        access_token: Token::new(answer.access_token),
        refresh_token: RefreshToken::new(refresh_token),
        expires_at_ms,
        scopes: answer.scope.unwrap_or_default().split_whitespace().map(str::to_owned).collect(),
    })
}

#[derive(Deserialize)]
struct InfoAnswer {
    #[serde(default)]
    resource_owner_id: Option<u64>,
    #[serde(default)]
    scope: Option<serde_json::Value>,
    #[serde(default)]
    scopes: Option<serde_json::Value>,
    #[serde(default)]
    expires_in: Option<i64>,
    #[serde(default)]
    expires_in_seconds: Option<i64>,
    #[serde(default)]
    application: Option<InfoApplication>,
    #[serde(default)]
    created_at: Option<i64>,
}

#[derive(Deserialize)]
struct InfoApplication {
    #[serde(default)]
    uid: Option<String>,
}

fn parse_token_info(endpoint: &str, body: &[u8]) -> Result<TokenInfo, GitLabError> {
    let answer: InfoAnswer =
        serde_json::from_slice(body).map_err(|error| decode_error(endpoint, &error))?;
    // `scope` is an array here; accept a space-separated string as well,
    // and the deprecated `scopes` alias.
    let scopes = match answer.scope.or(answer.scopes) {
        Some(serde_json::Value::Array(items)) => {
            items.iter().filter_map(|item| item.as_str().map(str::to_owned)).collect()
        }
        Some(serde_json::Value::String(text)) => {
            text.split_whitespace().map(str::to_owned).collect()
        }
        _ => Vec::new(),
    };
    Ok(TokenInfo {
        resource_owner_id: answer.resource_owner_id,
        scopes,
        expires_in_s: answer.expires_in.or(answer.expires_in_seconds),
        application_uid: answer.application.and_then(|application| application.uid),
        created_at_s: answer.created_at,
    })
}

#[cfg(test)]
mod tests;
