//! The `swift` format: SwiftPM's `Package.resolved` (JSON), version 1
//! (`object.pins[]` with `package`, `repositoryURL`, `state`) and versions
//! 2 and 3 (`pins[]` with `identity`, `kind`, `location`, `state`).
//!
//! A package is named by its repository URL the way OSV's `SwiftURL`
//! ecosystem spells it: no scheme, no user, lower-case host, no `.git`
//! (`github.com/apple/swift-nio`). A pin on a branch or a bare revision,
//! a local repository or a registry package has no matchable version and
//! becomes [`Unresolved`]. The file cannot say which pins the project
//! declares, so there are no roots.

use serde_json::Value;

use super::composer::{find_key_value, parse_json};
use super::lines::LineIndex;
use super::{Entry, Input, LockfileError, Parsed, Unresolved};

/// Reads `Package.resolved`; SwiftPM has no companion read with it.
pub(crate) fn parse(
    lock: Input<'_>,
    companion: Option<Input<'_>>,
) -> Result<Parsed, LockfileError> {
    let _ = companion;
    let document = parse_json(lock.text)?;
    let version = document.get("version").and_then(Value::as_u64);
    let (pins, url_key, name_key) = match version {
        Some(1) => (document.pointer("/object/pins"), "repositoryURL", "package"),
        Some(2 | 3) => (document.get("pins"), "location", "identity"),
        Some(other) => {
            return Err(LockfileError::new(format!(
                "Package.resolved version {other} is not one Vigil reads (1, 2, 3)"
            )));
        }
        None => {
            return Err(LockfileError::new("not a Package.resolved: it has no `version` number"));
        }
    };
    let Some(pins) = pins.and_then(Value::as_array) else {
        return Err(LockfileError::new("not a Package.resolved: it has no `pins` list"));
    };
    let mut parsed = Parsed::default();
    let mut cursor = 0;
    let lines = LineIndex::new(lock.text);
    for pin in pins {
        let location = pin.get(url_key).and_then(Value::as_str).unwrap_or_default();
        let identity = pin.get(name_key).and_then(Value::as_str).unwrap_or(location);
        // The pin's first key names it; its URL is the fallback.
        let found = pin
            .get(name_key)
            .and_then(Value::as_str)
            .and_then(|name| find_key_value(lock.text, cursor, name_key, name))
            .or_else(|| find_key_value(lock.text, cursor, url_key, location));
        let line = found.map_or(0, |(start, _)| lines.line(start));
        cursor = found.map_or(cursor, |(_, end)| end);
        let kind = pin.get("kind").and_then(Value::as_str);
        let unresolved = |reason: &str| Unresolved {
            name: if location.is_empty() { identity } else { location }.to_owned(),
            line,
            reason: reason.to_owned(),
        };
        match kind {
            Some("localSourceControl") => {
                parsed.unresolved.push(unresolved("a local repository"));
                continue;
            }
            Some("registry") => {
                parsed.unresolved.push(unresolved("a registry package (not named by a URL)"));
                continue;
            }
            _ => {}
        }
        let Some(name) = swift_url(location) else {
            parsed
                .warnings
                .push(format!("line {line}: pin `{identity}` has no repository URL; skipped"));
            continue;
        };
        let state = pin.get("state");
        let version = state.and_then(|state| state.get("version")).and_then(Value::as_str);
        let Some(version) = version.filter(|version| !version.is_empty()) else {
            let reason = match state.and_then(|state| state.get("branch")).and_then(Value::as_str) {
                Some(branch) => format!("a branch pin ({branch})"),
                None => "a revision pin".to_owned(),
            };
            parsed.unresolved.push(Unresolved { name, line, reason });
            continue;
        };
        parsed.packages.push(Entry { name, version: version.to_owned(), line, ..Entry::default() });
    }
    Ok(parsed)
}

/// A repository URL as OSV's `SwiftURL` names it: `https://GitHub.com/a/b.git`
/// and `git@github.com:a/b.git` become `github.com/a/b`.
fn swift_url(location: &str) -> Option<String> {
    let location = location.trim();
    let (rest, scp) = match location.split_once("://") {
        Some((_, rest)) => (rest, false),
        None => (location, true),
    };
    // Drop `user@` (ssh URLs and scp-like `git@host:path`).
    let rest = match rest.split_once('@') {
        Some((user, tail)) if !user.contains('/') => tail,
        _ => rest,
    };
    let (host, path) = if scp && !rest.contains('/') {
        return None;
    } else if scp && rest.split_once(':').is_some_and(|(host, _)| !host.contains('/')) {
        rest.split_once(':')?
    } else {
        rest.split_once('/')?
    };
    let host = host.split_once(':').map_or(host, |(host, _)| host).to_ascii_lowercase();
    let path = path.trim_matches('/');
    let path = path.strip_suffix(".git").unwrap_or(path).trim_end_matches('/');
    if host.is_empty() || path.is_empty() {
        return None;
    }
    Some(format!("{host}/{path}"))
}

#[cfg(test)]
mod tests {
    use super::swift_url;

    #[test]
    fn urls_are_named_as_osv_names_them() {
        for (url, name) in [
            ("https://github.com/apple/swift-nio.git", Some("github.com/apple/swift-nio")),
            ("https://GitHub.com/Alamofire/Alamofire", Some("github.com/Alamofire/Alamofire")),
            ("git@github.com:apple/swift-log.git", Some("github.com/apple/swift-log")),
            (
                "ssh://git@gitlab.example.com:2222/team/lib.git/",
                Some("gitlab.example.com/team/lib"),
            ),
            ("/Users/me/lib", None),
            ("", None),
        ] {
            assert_eq!(swift_url(url).as_deref(), name, "{url}");
        }
    }
}
