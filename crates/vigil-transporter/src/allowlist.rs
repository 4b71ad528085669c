//! The agent's allowlist: which HTTP methods and API paths may reach
//! GitLab through the tunnel. The entries are data (`allowlist.toml` in
//! this crate, compiled in); [`Allowlist::check`] is the one decision.

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

    /// Allows `method path` (a path without query) when an entry matches;
    /// refuses dot segments, empty segments and encoded slashes that could
    /// climb out of a matched prefix on the GitLab side.
    pub fn check(&self, method: &str, path: &str) -> Result<&Entry, Refusal> {
        let refusal = || Refusal { method: method.to_owned(), path: path.to_owned() };
        let Some(rest) = path.strip_prefix('/') else { return Err(refusal()) };
        let segments: Vec<&str> = rest.split('/').collect();
        let hostile = |segment: &&str| {
            segment.is_empty()
                || *segment == "."
                || *segment == ".."
                || segment.to_ascii_lowercase().contains("%2e%2e")
        };
        if segments.iter().any(hostile) {
            return Err(refusal());
        }
        self.entries
            .iter()
            .find(|entry| entry.method == method && matches(&entry.path, &segments))
            .ok_or_else(refusal)
    }
}

fn matches(pattern: &str, segments: &[&str]) -> bool {
    let pattern: Vec<&str> = pattern.trim_start_matches('/').split('/').collect();
    pattern.len() == segments.len()
        && pattern.iter().zip(segments).all(|(want, got)| {
            (want.starts_with('{') && want.ends_with('}') && !got.is_empty()) || want == got
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
