//! What went wrong talking to GitLab, in one sentence a GitLab admin
//! understands: cannot find the host, nothing listens on the port, the TLS
//! certificate is not trusted, the address answers but is not GitLab,
//! GitLab refused the credentials. The technical text (endpoint, status,
//! the error chain) stays with the caller, shown under "Details".
//!
//! It reads the error's text, not its type, so the same words serve a live
//! [`GitLabError`] and a reason stored earlier (an instance's status
//! reason). It must never put the detail itself into the sentence.

use crate::GitLabError;

/// The sentence for an error's text, or `None` when the text is already
/// in words (or unknown here): then the caller shows the text itself.
pub fn summarize(detail: &str) -> Option<&'static str> {
    let text = detail.to_ascii_lowercase();
    let has = |needle: &str| text.contains(needle);
    Some(if has("invalid_client") {
        "GitLab did not accept the Application ID or Secret."
    } else if has("invalid_grant") {
        "GitLab no longer accepts Vigil's authorisation; connect the instance again."
    } else if has("dns error")
        || has("failed to lookup address")
        || has("name or service not known")
    {
        "Vigil cannot find this host name: the DNS lookup failed."
    } else if has("certificate") || has("unknownissuer") || has("invalid peer") {
        "The TLS certificate at this address is not trusted by Vigil (self-signed, expired, or issued for another name)."
    } else if has("connection refused") {
        "Nothing answers on that host and port: the connection was refused."
    } else if has("no answer within") || has("timed out") || has("deadline") {
        "GitLab did not answer in time."
    } else if has("it redirects to") {
        "This address redirects elsewhere: enter the address GitLab is served at."
    } else if has("does not look like gitlab") {
        "Something answers at this address, but it is not GitLab's API."
    } else if has("cannot reach gitlab") || has("cannot connect") {
        "Vigil cannot reach GitLab at this address."
    } else if has("refused the token") || has("invalid_token") {
        "GitLab refused Vigil's credentials (the token was revoked or has expired)."
    } else if has("rate limiting") {
        "GitLab asks Vigil to slow down (its rate limit); Vigil tries again later."
    } else {
        return None;
    })
}

impl GitLabError {
    /// This error in one sentence a GitLab admin understands; its
    /// `Display` is the detail.
    pub fn summary(&self) -> &'static str {
        summarize(&self.to_string()).unwrap_or(match self {
            GitLabError::Unauthorized { .. } => "GitLab refused Vigil's credentials.",
            GitLabError::OAuth { .. } => "GitLab refused Vigil's OAuth request.",
            GitLabError::TooLarge { .. } => "GitLab's answer is larger than Vigil accepts.",
            GitLabError::OffInstance { .. } => {
                "GitLab's answer points to another address than this instance's."
            }
            _ => "GitLab answered with an error.",
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_failure_reads_as_a_sentence_without_its_detail() {
        let cases = [
            (
                "GET /api/v4/version: cannot reach GitLab: cannot connect (client error (Connect): tcp connect error: Connection refused (os error 111))",
                "Nothing answers on that host and port: the connection was refused.",
            ),
            (
                "GET /api/v4/version: cannot reach GitLab: cannot connect (client error (Connect): dns error: failed to lookup address information: Name or service not known)",
                "Vigil cannot find this host name: the DNS lookup failed.",
            ),
            (
                "GET /api/v4/version: cannot reach GitLab: cannot connect (client error (Connect): invalid peer certificate: UnknownIssuer)",
                "The TLS certificate at this address is not trusted by Vigil (self-signed, expired, or issued for another name).",
            ),
            (
                "GET /api/v4/version: cannot reach GitLab: no answer within 10 s",
                "GitLab did not answer in time.",
            ),
            (
                "GET /api/v4/version: GitLab answered 200: this does not look like GitLab's API: answered 200 OK `<html>It works!</html>`",
                "Something answers at this address, but it is not GitLab's API.",
            ),
            (
                "POST /oauth/token: GitLab refused the OAuth request (401: invalid_client: Client authentication failed)",
                "GitLab did not accept the Application ID or Secret.",
            ),
        ];
        for (detail, sentence) in cases {
            assert_eq!(summarize(detail), Some(sentence), "{detail}");
        }
        assert_eq!(summarize("waiting for GitLab's authorisation"), None);
    }

    #[test]
    fn a_typed_error_always_has_a_sentence() {
        let error = GitLabError::TooLarge { endpoint: "GET /x".into(), limit_bytes: 1 };
        assert_eq!(error.summary(), "GitLab's answer is larger than Vigil accepts.");
        let refused = GitLabError::Transport {
            endpoint: "GET /api/v4/version".into(),
            reason: "cannot connect (tcp connect error: Connection refused (os error 111))".into(),
        };
        assert!(refused.summary().starts_with("Nothing answers"));
    }
}
