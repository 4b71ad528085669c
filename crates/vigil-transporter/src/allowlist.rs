//! The agent's allowlist: which HTTP methods and API paths may reach
//! GitLab through the tunnel. The entries are data (`allowlist.toml` in
//! this crate, compiled in); [`Allowlist::check`] is the one decision on a
//! path, and [`Allowlist::resolve`] makes it on the URL the agent actually
//! sends (after the url crate's normalisation), which is the only URL the
//! agent may send. It must not let anything through that GitLab would
//! route outside an entry, whatever the encoding.

use reqwest::Url;
use serde::Deserialize;

/// The allowlist compiled into the agent.
pub const BUILTIN: &str = include_str!("../allowlist.toml");

/// One allowed call.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Entry {
    /// What the call is for.
    pub name: String,
    /// The HTTP method, upper case.
    pub method: String,
    /// The path pattern: literal segments and `{name}` for one segment.
    pub path: String,
    /// A path the entry allows (tested).
    pub example: String,
    /// A path no entry with this method allows (tested).
    pub refused: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    allow: Vec<Entry>,
}

/// The allowed calls.
#[derive(Debug, Clone)]
pub struct Allowlist {
    entries: Vec<Entry>,
}

/// Why the allowlist file is unusable.
#[derive(Debug, thiserror::Error)]
#[error("allowlist: {0}")]
pub struct AllowlistError(String);

/// Why a request was refused (for the log and the 403 answer).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{method} {path} is not on the Transporter's allowlist")]
pub struct Refusal {
    /// The method asked for.
    pub method: String,
    /// The path asked for (without the query).
    pub path: String,
}

impl Allowlist {
    /// The allowlist compiled into the agent.
    pub fn builtin() -> Result<Allowlist, AllowlistError> {
        Allowlist::parse(BUILTIN)
    }

    /// Parses an allowlist file.
    pub fn parse(text: &str) -> Result<Allowlist, AllowlistError> {
        let file: File = toml::from_str(text).map_err(|error| AllowlistError(error.to_string()))?;
        for entry in &file.allow {
            if !entry.path.starts_with('/') || entry.path.contains("..") {
                return Err(AllowlistError(format!(
                    "entry `{}`: the path must start with `/` and have no `..`",
                    entry.name
                )));
            }
            if entry.method.is_empty() || entry.method != entry.method.to_ascii_uppercase() {
                return Err(AllowlistError(format!(
                    "entry `{}`: the method must be upper case",
                    entry.name
                )));
            }
        }
        Ok(Allowlist { entries: file.allow })
    }

    /// The entries, in file order.
    pub fn entries(&self) -> &[Entry] {
        &self.entries
    }

    /// Allows `method path` (a path without query) when an entry matches.
    ///
    /// Every segment must be non-empty and must not decode (percent-decoded
    /// repeatedly, so `%2e`, `.%2E`, `%2e.` and `%252e` all count) to `.`
    /// or `..`: the url crate and GitLab's front resolve those, so they
    /// could climb out of a matched prefix. Slashes and backslashes, raw or
    /// encoded, are refused everywhere except in a `{file_path}` segment
    /// (GitLab wants a repository path as one segment, `src%2Fmain.rs`),
    /// whose parts must again be non-empty and not dot segments. `#`, `?`
    /// and control characters have no place in a checked path.
    pub fn check(&self, method: &str, path: &str) -> Result<&Entry, Refusal> {
        let refusal = || Refusal { method: method.to_owned(), path: path.to_owned() };
        let Some(rest) = path.strip_prefix('/') else { return Err(refusal()) };
        if path.bytes().any(|byte| matches!(byte, b'\\' | b'#' | b'?') || byte.is_ascii_control()) {
            return Err(refusal());
        }
        let segments: Vec<&str> = rest.split('/').collect();
        if segments.iter().any(|segment| segment.is_empty() || is_dot_segment(&decoded(segment))) {
            return Err(refusal());
        }
        self.entries
            .iter()
            .find(|entry| entry.method == method && matches(&entry.path, &segments))
            .ok_or_else(refusal)
    }

    /// The URL the agent sends for `method path_and_query` to the GitLab at
    /// `gitlab` (its origin: scheme, host and port), with the entry that
    /// allows it. The path is checked twice: as it came and as the url
    /// crate (reqwest's parser) normalises it into the URL sent, so what is
    /// checked is what GitLab receives.
    pub fn resolve(
        &self,
        method: &str,
        gitlab: &Url,
        path_and_query: &str,
    ) -> Result<Allowed<'_>, Refusal> {
        let path = crate::redact::path_only(path_and_query);
        self.check(method, path)?;
        let refusal = || Refusal { method: method.to_owned(), path: path.to_owned() };
        let origin = gitlab.origin().ascii_serialization();
        let url = Url::parse(&format!("{origin}{path_and_query}")).map_err(|_| refusal())?;
        if url.origin() != gitlab.origin() || url.fragment().is_some() {
            return Err(refusal());
        }
        let entry = self.check(method, url.path())?;
        Ok(Allowed { entry, url })
    }
}

/// A request the allowlist lets through.
#[derive(Debug, Clone)]
pub struct Allowed<'a> {
    /// The entry that allows it.
    pub entry: &'a Entry,
    /// The URL to send, exactly as checked.
    pub url: Url,
}

/// The placeholder whose segment may hold encoded slashes.
const FILE_PATH: &str = "{file_path}";

/// Percent-decodes `text` until it no longer changes (at most 8 rounds), so
/// that a front decoding once more than expected cannot make a dot segment
/// or a slash out of what was checked. Undecodable `%` stay as they are.
fn decoded(text: &str) -> Vec<u8> {
    let mut bytes = text.as_bytes().to_vec();
    for _ in 0..8 {
        let mut next = Vec::with_capacity(bytes.len());
        let mut index = 0;
        while index < bytes.len() {
            let hex = |at: usize| bytes.get(at).and_then(|byte| char::from(*byte).to_digit(16));
            match (bytes[index], hex(index + 1), hex(index + 2)) {
                (b'%', Some(high), Some(low)) => {
                    next.push(u8::try_from(high * 16 + low).unwrap_or(b'%'));
                    index += 3;
                }
                (byte, _, _) => {
                    next.push(byte);
                    index += 1;
                }
            }
        }
        if next == bytes {
            break;
        }
        bytes = next;
    }
    bytes
}

fn is_dot_segment(decoded: &[u8]) -> bool {
    decoded == b"." || decoded == b".."
}

/// Whether a decoded segment may stand for `placeholder`: no control
/// characters, `#` or `?`; slashes and backslashes only in a
/// `{file_path}`, and there only between non-empty, non-dot parts.
fn fits(placeholder: &str, decoded: &[u8]) -> bool {
    if decoded.is_empty()
        || decoded.iter().any(|byte| byte.is_ascii_control() || matches!(byte, b'#' | b'?'))
    {
        return false;
    }
    let separator = |byte: &u8| matches!(byte, b'/' | b'\\');
    if placeholder == FILE_PATH {
        decoded.split(separator).all(|part| !part.is_empty() && !is_dot_segment(part))
    } else {
        !decoded.iter().any(separator) && !is_dot_segment(decoded)
    }
}

fn matches(pattern: &str, segments: &[&str]) -> bool {
    let pattern: Vec<&str> = pattern.trim_start_matches('/').split('/').collect();
    pattern.len() == segments.len()
        && pattern.iter().zip(segments).all(|(want, got)| {
            if want.starts_with('{') && want.ends_with('}') {
                fits(want, &decoded(got))
            } else {
                want == got
            }
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn builtin() -> Allowlist {
        Allowlist::builtin().unwrap()
    }

    #[test]
    fn every_entry_allows_its_example_and_nothing_allows_its_refused_path() {
        let list = builtin();
        assert!(list.entries().len() >= 20, "{} entries", list.entries().len());
        for entry in list.entries() {
            let allowed = list.check(&entry.method, &entry.example).unwrap();
            assert_eq!(allowed.path, entry.path, "{}: example matched another entry", entry.name);
            assert!(
                list.check(&entry.method, &entry.refused).is_err(),
                "{}: `{} {}` must be refused",
                entry.name,
                entry.method,
                entry.refused
            );
        }
    }

    #[test]
    fn methods_outside_the_list_hostile_paths_and_other_apis_are_refused() {
        let list = builtin();
        for (method, path) in [
            ("DELETE", "/api/v4/projects/42"),
            ("PATCH", "/api/v4/projects/42/hooks/7"),
            ("GET", "/api/v4/projects/42/../../admin"),
            ("GET", "/api/v4/projects/%2e%2e/hooks"),
            ("GET", "/api/v4//projects"),
            ("GET", "/admin/application_settings"),
            ("GET", "api/v4/version"),
            ("GET", "/api/v4/projects/42/repository/files//raw"),
            ("POST", "/api/v4/user"),
        ] {
            let refusal = list.check(method, path).unwrap_err();
            assert_eq!(
                refusal.to_string(),
                format!("{method} {path} is not on the Transporter's allowlist")
            );
        }
    }

    #[test]
    fn encoded_dot_segments_slashes_and_backslashes_are_refused() {
        let list = builtin();
        for (method, path) in [
            // The bypass: the url crate turns `.%2e` into `..` and
            // sends `PUT /api/v4/hooks/1` (system hooks).
            ("PUT", "/api/v4/projects/.%2e/hooks/1"),
            ("PUT", "/api/v4/projects/%2e./hooks/1"),
            ("PUT", "/api/v4/projects/.%2E/hooks/1"),
            ("PUT", "/api/v4/projects/%2E%2E/hooks/1"),
            ("PUT", "/api/v4/projects/%2e%2E/hooks/1"),
            ("GET", "/api/v4/projects/%2e/hooks"),
            ("GET", "/api/v4/projects/%2E"),
            ("GET", "/api/v4/projects/%252e%252e/hooks"),
            ("GET", "/api/v4/projects/42%2F..%2F..%2Fhooks"),
            ("GET", "/api/v4/projects/42%2fhooks"),
            ("GET", "/api/v4/projects/42%5Chooks"),
            ("GET", "/api/v4/projects/42%5chooks"),
            ("GET", "/api/v4/projects/42\\..\\..\\hooks"),
            ("GET", "/api/v4/projects/42#/hooks"),
            ("GET", "/api/v4/projects/42/repository/files/..%2F..%2Fhooks/raw"),
            ("GET", "/api/v4/projects/42/repository/files/%2e%2e/raw"),
            ("GET", "/api/v4/projects/42/repository/files/src%2F%2Fmain.rs/raw"),
            ("GET", "/api/v4/projects/42/repository/files/src%5C..%5Cx/raw"),
            ("GET", "/api/v4/projects/42/repository/files/%2Fetc%2Fpasswd/raw"),
        ] {
            assert!(list.check(method, path).is_err(), "`{method} {path}` must be refused");
        }
    }

    #[test]
    fn file_paths_keep_their_encoded_slashes_and_dots_inside_names() {
        let list = builtin();
        for file in
            ["src%2Fmain.rs", ".gitlab-ci.yml", "a..b%2F.hidden", "100%25.txt", "dir%2F...%2Fx"]
        {
            let path = format!("/api/v4/projects/42/repository/files/{file}/raw");
            assert!(list.check("GET", &path).is_ok(), "`GET {path}` must be allowed");
        }
    }

    #[test]
    fn resolve_gives_the_url_sent_and_refuses_what_normalises_elsewhere() {
        let list = builtin();
        let gitlab = reqwest::Url::parse("https://gitlab.internal:8443").unwrap();
        let resolved = |method: &str, path_and_query: &str| {
            list.resolve(method, &gitlab, path_and_query).map(|allowed| allowed.url.to_string())
        };
        assert_eq!(
            resolved("GET", "/api/v4/projects/42/repository/files/src%2Fmain.rs/raw?ref=main")
                .unwrap(),
            "https://gitlab.internal:8443/api/v4/projects/42/repository/files/src%2Fmain.rs/raw?ref=main"
        );
        assert_eq!(
            resolved("PUT", "/api/v4/projects/42/hooks/7").unwrap(),
            "https://gitlab.internal:8443/api/v4/projects/42/hooks/7"
        );
        for (method, path_and_query) in [
            ("PUT", "/api/v4/projects/.%2e/hooks/1"),
            ("PUT", "/api/v4/projects/.%2e/hooks/1?x=1"),
            ("GET", "/api/v4/projects/42#/hooks"),
            ("GET", "//evil.example/api/v4/version"),
            ("GET", "/api/v4/version/.."),
        ] {
            let refusal = resolved(method, path_and_query).unwrap_err();
            assert_eq!(refusal.path, crate::redact::path_only(path_and_query));
        }
    }

    /// What GitLab routes: the path the url crate sends, percent-decoded
    /// until it no longer changes (a proxy may decode once more), split at
    /// `/` and `\`. It must match an entry literally, a `{file_path}`
    /// standing for one or more parts and any other placeholder for one.
    fn gitlab_routes(list: &Allowlist, method: &str, sent_path: &str) -> bool {
        let mut decoded = sent_path.to_owned();
        for _ in 0..8 {
            let next =
                percent_encoding::percent_decode_str(&decoded).decode_utf8_lossy().into_owned();
            if next == decoded {
                break;
            }
            decoded = next;
        }
        let Some(rest) = decoded.strip_prefix('/') else { return false };
        let parts: Vec<&str> = rest.split(['/', '\\']).collect();
        if parts.iter().any(|part| part.is_empty() || *part == "." || *part == "..") {
            return false;
        }
        fn routes(pattern: &[&str], parts: &[&str]) -> bool {
            match pattern.split_first() {
                None => parts.is_empty(),
                Some((want, rest)) if *want == "{file_path}" => {
                    (1..=parts.len()).any(|taken| routes(rest, &parts[taken..]))
                }
                Some((want, rest)) => {
                    !parts.is_empty()
                        && (want.starts_with('{') || *want == parts[0])
                        && routes(rest, &parts[1..])
                }
            }
        }
        list.entries().iter().any(|entry| {
            let pattern: Vec<&str> = entry.path.trim_start_matches('/').split('/').collect();
            entry.method == method && routes(&pattern, &parts)
        })
    }

    fn hostile_paths(
        list: &Allowlist,
    ) -> impl proptest::strategy::Strategy<Value = (String, String)> {
        use proptest::prelude::*;
        use proptest::sample::select;
        let mut literals: Vec<String> = list
            .entries()
            .iter()
            .flat_map(|entry| entry.path.split('/').map(str::to_owned).collect::<Vec<_>>())
            .filter(|segment| !segment.is_empty() && !segment.starts_with('{'))
            .collect();
        literals.sort();
        literals.dedup();
        let examples: Vec<(String, String)> = list
            .entries()
            .iter()
            .map(|entry| (entry.method.clone(), entry.example.clone()))
            .collect();
        let hostile = select(vec![
            ".",
            "..",
            "%2e",
            "%2E",
            ".%2e",
            "%2e.",
            ".%2E",
            "%2E.",
            "%2e%2e",
            "%2E%2e",
            "%252e",
            "%252e%252e",
            "%2f",
            "%2F",
            "%5c",
            "%5C",
            "a%2Fb",
            "..%2F",
            "%2e%2e%2f",
            "%2e%2e%5c",
            "",
            "/",
            "//",
            "?",
            "#",
            ";",
            "x;y",
            "..;",
            "\\",
            "..\\",
            "%00",
            "%",
            "42",
        ])
        .prop_map(str::to_owned);
        let token = prop_oneof![
            4 => hostile,
            2 => "[a-z0-9%.;/?#\\\\]{1,6}",
            3 => select(literals),
        ];
        (select(examples), proptest::collection::vec((0_usize..12, any::<bool>(), token), 0..5))
            .prop_map(|((method, example), edits)| {
                let mut segments: Vec<String> =
                    example.trim_start_matches('/').split('/').map(str::to_owned).collect();
                for (position, replace, token) in edits {
                    let position = position % (segments.len() + 1);
                    if replace && position < segments.len() {
                        segments[position] = token;
                    } else {
                        segments.insert(position, token);
                    }
                }
                (method, format!("/{}", segments.join("/")))
            })
    }

    #[test]
    fn whatever_the_check_allows_gitlab_routes_to_an_allowlisted_call() {
        use proptest::test_runner::{Config, TestCaseError, TestRunner};
        let list = builtin();
        let mut runner = TestRunner::new(Config {
            cases: 20_000,
            failure_persistence: None,
            ..Config::default()
        });
        let gitlab = reqwest::Url::parse("https://gitlab.internal").unwrap();
        let result = runner.run(&hostile_paths(&list), |(method, path_and_query)| {
            let path = crate::redact::path_only(&path_and_query);
            if let Ok(allowed) = list.resolve(&method, &gitlab, &path_and_query) {
                if allowed.url.origin() != gitlab.origin()
                    || !gitlab_routes(&list, &method, allowed.url.path())
                {
                    return Err(TestCaseError::fail(format!(
                        "`{method} {path_and_query}` was resolved to `{}`",
                        allowed.url
                    )));
                }
            }
            if list.check(&method, path).is_err() {
                return Ok(());
            }
            // What the agent sends: GitLab's origin and the path and
            // query, parsed by the url crate as reqwest does.
            let Ok(sent) = reqwest::Url::parse(&format!("https://gitlab.internal{path_and_query}"))
            else {
                return Ok(());
            };
            if sent.origin() != gitlab.origin() || !gitlab_routes(&list, &method, sent.path()) {
                return Err(TestCaseError::fail(format!(
                    "`{method} {path_and_query}` was allowed and reaches GitLab as `{} {}`",
                    method,
                    sent.path()
                )));
            }
            Ok(())
        });
        if let Err(error) = result {
            panic!("{error}");
        }
    }

    #[test]
    fn a_bad_file_is_refused_with_the_entry_named() {
        let error = Allowlist::parse(
            "[[allow]]\nname = \"x\"\nmethod = \"get\"\npath = \"/a\"\nexample = \"/a\"\nrefused = \"/b\"\n",
        )
        .unwrap_err();
        assert_eq!(error.to_string(), "allowlist: entry `x`: the method must be upper case");
        assert!(Allowlist::parse("[[allow]]\nname = 1\n").is_err());
    }

    #[test]
    fn the_allowlist_snapshot() {
        let lines: Vec<String> = builtin()
            .entries()
            .iter()
            .map(|entry| format!("{:6} {}  # {}", entry.method, entry.path, entry.name))
            .collect();
        insta::assert_snapshot!(lines.join("\n"));
    }
}
