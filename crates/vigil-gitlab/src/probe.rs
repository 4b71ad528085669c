//! Is there a GitLab at this address? The onboarding's "Configure Domain"
//! step asks `GET /api/v4/version` without a token: GitLab answers 200 with
//! its version on instances that allow it, or 401 with its own JSON error
//! body; anything else (no answer, TLS failure, a redirect, an HTML page)
//! is named so the admin knows what to fix.

use crate::client::{Deadline, http_client};
use crate::{ClientSettings, GitLabError, Version};

/// What the address answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Probe {
    /// The version, when GitLab shows it without a token.
    pub version: Option<Version>,
}

/// Checks that `base_url` answers like GitLab's REST API v4.
pub async fn probe(base_url: &str, settings: &ClientSettings) -> Result<Probe, GitLabError> {
    let base_url = base_url.trim_end_matches('/');
    let endpoint = "GET /api/v4/version".to_owned();
    let http = http_client(base_url, settings, Deadline::Whole)?;
    let response = http
        .get(format!("{}/api/v4/version", crate::client::routed(settings, base_url, base_url)))
        .send()
        .await
        .map_err(|error| {
            let reason = if error.is_timeout() {
                format!("no answer within {} s", settings.timeout.as_secs())
            } else if error.is_connect() {
                format!("cannot connect ({})", source_chain(&error))
            } else {
                source_chain(&error)
            };
            GitLabError::Transport { endpoint: endpoint.clone(), reason }
        })?;
    let status = response.status();
    let location = response
        .headers()
        .get(reqwest::header::LOCATION)
        .and_then(|value| value.to_str().ok())
        .map(str::to_owned);
    // Only the start matters: a version object or an error message.
    let body = crate::body::read_error(response, settings.timeout).await;
    let start: String = String::from_utf8_lossy(&body).chars().take(80).collect();
    let start = start.trim().to_owned();
    let json: Option<serde_json::Value> = serde_json::from_slice(&body).ok();
    let not_gitlab = |what: String| GitLabError::Api {
        endpoint: endpoint.clone(),
        status: status.as_u16(),
        message: format!("this does not look like GitLab's API: {what}"),
    };
    match status.as_u16() {
        200 => {
            let version = json
                .and_then(|json| serde_json::from_value::<Version>(json).ok())
                .ok_or_else(|| not_gitlab(format!("200 without a version in JSON: `{start}`")))?;
            Ok(Probe { version: Some(version) })
        }
        401 if json.as_ref().is_some_and(|json| json.get("message").is_some()) => {
            Ok(Probe { version: None })
        }
        300..=399 => Err(not_gitlab(format!(
            "it redirects to {} (use the address GitLab is served at, with https:// if it redirects there)",
            location.as_deref().unwrap_or("somewhere else")
        ))),
        _ => Err(not_gitlab(format!("answered {status} `{start}`"))),
    }
}

/// The error and its causes, which name DNS, TLS and connection failures.
pub(crate) fn source_chain(error: &(dyn std::error::Error + 'static)) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}
