//! Headers as they may appear in a log line: names kept, the values of
//! credentials (Authorization, Private-Token, Job-Token, cookies, GitLab's
//! webhook token and anything named like a token or secret) replaced.

use std::fmt;

use http::HeaderMap;

const SECRET_NAMES: &[&str] = &[
    "authorization",
    "proxy-authorization",
    "cookie",
    "set-cookie",
    "private-token",
    "job-token",
    "x-gitlab-token",
];

/// Whether a header's value must never be logged.
pub fn is_secret(name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    SECRET_NAMES.contains(&name.as_str())
        || name.contains("token")
        || name.contains("secret")
        || name.contains("credential")
}

/// A header map that prints with secret values redacted.
pub struct Redacted<'a>(pub &'a HeaderMap);

impl fmt::Display for Redacted<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut first = true;
        for (name, value) in self.0 {
            if !first {
                f.write_str(", ")?;
            }
            first = false;
            if is_secret(name.as_str()) {
                write!(f, "{name}: [redacted]")?;
            } else {
                write!(f, "{name}: {}", String::from_utf8_lossy(value.as_bytes()))?;
            }
        }
        Ok(())
    }
}

/// A path for the log: the query (which can carry `private_token=`) cut off.
pub fn path_only(path_and_query: &str) -> &str {
    path_and_query.split('?').next().unwrap_or(path_and_query)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_are_redacted_and_other_headers_kept() {
        let mut headers = HeaderMap::new();
        for (name, value) in [
            ("authorization", "Bearer glpat-abcdefghijklmnopqrst"),
            ("Private-Token", "glpat-abcdefghijklmnopqrst"),
            ("cookie", "_gitlab_session=abc"),
            ("x-gitlab-token", "hook-secret"),
            ("x-custom-secret-value", "s3cr3t"),
            ("accept", "application/json"),
        ] {
            headers.insert(
                http::HeaderName::from_bytes(name.as_bytes()).unwrap(),
                value.parse().unwrap(),
            );
        }
        let line = Redacted(&headers).to_string();
        for secret in ["glpat-", "_gitlab_session", "hook-secret", "s3cr3t"] {
            assert!(!line.contains(secret), "{line}");
        }
        assert!(line.contains("accept: application/json"), "{line}");
        assert!(line.contains("private-token: [redacted]"), "{line}");
        assert_eq!(path_only("/api/v4/projects?private_token=x"), "/api/v4/projects");
    }
}
