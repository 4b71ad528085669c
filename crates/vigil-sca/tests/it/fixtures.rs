//! Reading the fixtures under `tests/fixtures/`.
#![allow(dead_code)]

use std::path::PathBuf;

use vigil_sca::lockfile::{FORMATS, Format, Input, LockfileError, Parsed, format_for};

/// The fixture directory `tests/fixtures/<rel>`.
pub(crate) fn dir(rel: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(rel)
}

/// Reads `tests/fixtures/<rel>` (a lockfile) with its format's companion
/// from the same directory, and parses it.
pub(crate) fn parse(rel: &str) -> Result<Parsed, LockfileError> {
    let path = dir(rel);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{rel}: {e}"));
    let format = format(rel);
    let companion_text =
        format.companion.and_then(|name| std::fs::read_to_string(path.with_file_name(name)).ok());
    let companion_path = format
        .companion
        .map(|name| rel.rsplit_once('/').map_or(name.to_owned(), |(d, _)| format!("{d}/{name}")));
    let companion = match (&companion_path, &companion_text) {
        (Some(path), Some(text)) => Some(Input { path, text }),
        _ => None,
    };
    (format.parse)(Input { path: rel, text: &text }, companion)
}

/// The format of fixture `rel`.
pub(crate) fn format(rel: &str) -> &'static Format {
    format_for(rel).unwrap_or_else(|| panic!("{rel}: no format (known: {})", FORMATS.len()))
}

/// Every prefix of the fixture, cut at `step`-byte intervals (on char
/// boundaries), parses or fails with an error, never a panic.
pub(crate) fn truncations_never_panic(rel: &str, step: usize) {
    let text = std::fs::read_to_string(dir(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"));
    let format = format(rel);
    let mut cut = 0;
    while cut < text.len() {
        if text.is_char_boundary(cut) {
            let _ = (format.parse)(Input { path: rel, text: &text[..cut] }, None);
        }
        cut += step.max(1);
    }
}
