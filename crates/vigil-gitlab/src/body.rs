//! Bounded reads of GitLab's answers. Everything GitLab sends is read
//! against a byte limit (a named [`GitLabError::TooLarge`] past it, checked
//! on `Content-Length` first and then on what actually arrives), and error
//! bodies, which only feed a message, are cut at [`MAX_ERROR_BYTES`] and
//! given [`ERROR_BODY_DEADLINE`] in all.

use std::time::Duration;

use crate::GitLabError;

/// The most of an error body that is read: enough for any message.
pub const MAX_ERROR_BYTES: usize = 16 << 10;
/// How long reading an error body may take in all.
pub const ERROR_BODY_DEADLINE: Duration = Duration::from_secs(10);
/// The largest OAuth answer (token, token info) read.
pub const MAX_OAUTH_BYTES: u64 = 64 << 10;

/// The body of `response`, refused with [`GitLabError::TooLarge`] past
/// `limit` bytes; `on_error` names a failed read.
pub(crate) async fn read_capped(
    mut response: reqwest::Response,
    limit: u64,
    endpoint: &str,
    on_error: impl Fn(reqwest::Error) -> GitLabError,
) -> Result<Vec<u8>, GitLabError> {
    let too_large = || GitLabError::TooLarge { endpoint: endpoint.to_owned(), limit_bytes: limit };
    if response.content_length().is_some_and(|length| length > limit) {
        return Err(too_large());
    }
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(&on_error)? {
        if body.len() as u64 + chunk.len() as u64 > limit {
            return Err(too_large());
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// The start of an error body: at most [`MAX_ERROR_BYTES`], whatever
/// arrived within `deadline` (at most [`ERROR_BODY_DEADLINE`]); a failed
/// read keeps what came.
pub(crate) async fn read_error(mut response: reqwest::Response, deadline: Duration) -> Vec<u8> {
    let mut body = Vec::new();
    let read = async {
        while let Ok(Some(chunk)) = response.chunk().await {
            let room = MAX_ERROR_BYTES - body.len();
            body.extend_from_slice(&chunk[..chunk.len().min(room)]);
            if body.len() >= MAX_ERROR_BYTES {
                break;
            }
        }
    };
    let _ = tokio::time::timeout(deadline.min(ERROR_BODY_DEADLINE), read).await;
    body
}
