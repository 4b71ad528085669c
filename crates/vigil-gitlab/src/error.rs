//! `GitLabError`: each variant names the endpoint (`GET /api/v4/projects`)
//! and what GitLab said, and never a token.

/// A failed call to GitLab.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum GitLabError {
    /// GitLab answered with an error status.
    #[error("{endpoint}: GitLab answered {status}: {message}")]
    Api {
        /// Method and path.
        endpoint: String,
        /// HTTP status.
        status: u16,
        /// GitLab's `message` or `error`, or the start of a text body.
        message: String,
    },
    /// The token was refused (expired, revoked, or lacking scope).
    #[error(
        "{endpoint}: GitLab refused the token ({status}: {reason}); reconnect the instance or check the token's scope"
    )]
    Unauthorized {
        /// Method and path.
        endpoint: String,
        /// 401 or 403.
        status: u16,
        /// GitLab's reason (`invalid_token`, `insufficient_scope`, …).
        reason: String,
    },
    /// GitLab's OAuth server refused a request to `/oauth/token` or
    /// `/oauth/revoke` (`invalid_grant`, `invalid_client`, …).
    #[error("{endpoint}: GitLab refused the OAuth request ({status}: {error}: {description})")]
    OAuth {
        /// Method and path.
        endpoint: String,
        /// HTTP status (400 or 401 usually).
        status: u16,
        /// The OAuth error code (`invalid_grant`).
        error: String,
        /// GitLab's `error_description` (a fixed sentence, never a token).
        description: String,
    },
    /// Rate limited, and waiting was not allowed (non-idempotent request)
    /// or would take too long.
    #[error("{endpoint}: GitLab is rate limiting; retry after {retry_after_s} s")]
    RateLimited {
        /// Method and path.
        endpoint: String,
        /// Seconds GitLab asked to wait.
        retry_after_s: u64,
    },
    /// GitLab could not be reached or did not answer in time.
    #[error("{endpoint}: cannot reach GitLab: {reason}")]
    Transport {
        /// Method and path.
        endpoint: String,
        /// Why (timeout, connection refused, TLS).
        reason: String,
    },
    /// An answer or download was larger than the caller allows.
    #[error("{endpoint}: GitLab's answer is larger than Vigil's limit of {limit_bytes} bytes")]
    TooLarge {
        /// Method and path.
        endpoint: String,
        /// The limit.
        limit_bytes: u64,
    },
    /// GitLab's answer pointed Vigil at a URL off the instance (another
    /// scheme, host, port or path prefix); it is not called, since the
    /// token would go with it.
    #[error(
        "{endpoint}: GitLab's answer links to {url}, which is not this instance's URL; Vigil does not send the token there (check the instance's external URL in GitLab against the URL Vigil uses)"
    )]
    OffInstance {
        /// Method and path.
        endpoint: String,
        /// The link GitLab gave.
        url: String,
    },
    /// A download did not finish within its overall deadline, however
    /// steadily bytes arrived.
    #[error(
        "{endpoint}: the download did not finish within {seconds} s (the download deadline); GitLab or the network is too slow for this repository, or the deadline too short"
    )]
    Deadline {
        /// Method and path.
        endpoint: String,
        /// The deadline.
        seconds: u64,
    },
    /// Vigil could not store or unpack what GitLab sent (disk, archive
    /// format, archive limits): not GitLab's fault as such.
    #[error("{endpoint}: {reason}")]
    Local {
        /// Method and path.
        endpoint: String,
        /// What went wrong, in full.
        reason: String,
    },
    /// The answer was not what the API documents.
    #[error("{endpoint}: unexpected answer from GitLab: {reason}")]
    Decode {
        /// Method and path.
        endpoint: String,
        /// Why.
        reason: String,
    },
}

impl GitLabError {
    /// The HTTP status, when GitLab answered.
    pub fn status(&self) -> Option<u16> {
        match self {
            GitLabError::Api { status, .. }
            | GitLabError::Unauthorized { status, .. }
            | GitLabError::OAuth { status, .. } => Some(*status),
            GitLabError::RateLimited { .. } => Some(429),
            _ => None,
        }
    }

    /// The OAuth access token has expired (401 `invalid_token`, "Token is
    /// expired"): refresh it and try again.
    pub fn is_token_expired(&self) -> bool {
        matches!(self, GitLabError::Unauthorized { status: 401, reason, .. }
            if reason.starts_with("invalid_token") && reason.contains("expired"))
    }

    /// The token can no longer be used and refreshing cannot help: GitLab
    /// answered 401 `invalid_token` for a revoked token, or refused a
    /// refresh token with `invalid_grant` (revoked, already used, or issued
    /// to another application). Someone has to connect the instance again.
    pub fn is_token_revoked(&self) -> bool {
        match self {
            GitLabError::Unauthorized { status: 401, reason, .. } => {
                reason.starts_with("invalid_token") && !reason.contains("expired")
            }
            GitLabError::OAuth { error, .. } => error == "invalid_grant",
            _ => false,
        }
    }

    /// The OAuth error code (`invalid_grant`, `invalid_client`, …) of an
    /// OAuth refusal.
    pub fn oauth_error(&self) -> Option<&str> {
        match self {
            GitLabError::OAuth { error, .. } => Some(error),
            _ => None,
        }
    }
}

/// The human part of an error body: `message` (a string, or an object of
/// field errors), else `error` with `error_description`, else the start of
/// a text body (429 answers are plain text).
pub(crate) fn error_message(body: &[u8]) -> String {
    if let Ok(value) = serde_json::from_slice::<serde_json::Value>(body) {
        match (value.get("message"), value.get("error")) {
            (Some(serde_json::Value::String(message)), _) => return message.clone(),
            (Some(other), _) => return other.to_string(),
            (None, Some(error)) => {
                let error = error.as_str().map_or_else(|| error.to_string(), str::to_owned);
                return match value.get("error_description").and_then(serde_json::Value::as_str) {
                    Some(description) => format!("{error}: {description}"),
                    None => error,
                };
            }
            _ => {}
        }
    }
    let text = String::from_utf8_lossy(body);
    let text = text.trim();
    text.chars().take(200).collect()
}
