//! The framing the crate's two data files share (the advisory store,
//! [`crate::store`], and the package-metadata cache,
//! [`crate::metadata_cache`]): a header line, one JSON value per line, and
//! an end marker `{"end":N}` with the count again, so a file cut short is
//! told from a whole one. A file is only ever replaced by writing a new one
//! beside it, syncing it and renaming it over the old, so a crash or a full
//! disk leaves the previous file in place.
//!
//! What the header holds, and what a reader does with a bad line, stay
//! with each file's owner.

use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// The last line of a file.
#[derive(Serialize, Deserialize)]
struct EndMarker {
    end: usize,
}

/// A failed write: the file it was writing and why.
pub(crate) struct WriteError {
    pub(crate) path: PathBuf,
    pub(crate) source: std::io::Error,
}

/// The lines of one file being written: [`Lines::value`] or
/// [`Lines::raw`] once per counted line.
pub(crate) struct Lines<'a> {
    out: &'a mut BufWriter<std::fs::File>,
}

impl Lines<'_> {
    /// Writes `value` as one line.
    pub(crate) fn value(&mut self, value: &impl Serialize) -> std::io::Result<()> {
        serde_json::to_writer(&mut *self.out, value).map_err(std::io::Error::other)?;
        self.out.write_all(b"\n")
    }

    /// Writes `line` (one JSON value, no line end), as read earlier.
    pub(crate) fn raw(&mut self, line: &str) -> std::io::Result<()> {
        self.out.write_all(line.as_bytes())?;
        self.out.write_all(b"\n")
    }
}

/// Writes `header`, the `count` lines `body` writes and the end marker to
/// a file beside `path`, then renames it over `path`; on failure the
/// partial file is removed and `path` is untouched.
pub(crate) fn write_replacing(
    path: &Path,
    header: &impl Serialize,
    count: usize,
    body: impl FnOnce(&mut Lines<'_>) -> std::io::Result<()>,
) -> Result<(), WriteError> {
    let mut name = path.file_name().unwrap_or_default().to_owned();
    name.push(format!(".partial-{}", std::process::id()));
    let partial = path.with_file_name(name);
    let failed = |source: std::io::Error| WriteError { path: partial.clone(), source };
    let result = (|| {
        let file = std::fs::File::create(&partial).map_err(failed)?;
        let mut out = BufWriter::new(file);
        let mut lines = Lines { out: &mut out };
        lines.value(header).map_err(failed)?;
        body(&mut lines).map_err(failed)?;
        lines.value(&EndMarker { end: count }).map_err(failed)?;
        let file = out.into_inner().map_err(|error| failed(error.into_error()))?;
        file.sync_all().map_err(failed)?;
        std::fs::rename(&partial, path)
            .map_err(|source| WriteError { path: path.to_owned(), source })
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&partial);
    }
    result
}

/// Checks the line after the `count` values a header announced: the end
/// marker with the same count. The error says what is wrong, without the
/// line's number (the caller knows it).
pub(crate) fn check_end(line: &str, count: usize) -> Result<(), String> {
    let marker: EndMarker =
        serde_json::from_str(line).map_err(|e| format!("expected the end marker: {e}"))?;
    if marker.end == count {
        Ok(())
    } else {
        Err(format!("the end marker counts {}, the header {count}", marker.end))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_whole_file_has_its_end_marker_and_no_partial_file_is_left() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("data.jsonl");
        write_replacing(&path, &serde_json::json!({"count": 2}), 2, |lines| {
            lines.value(&1)?;
            lines.raw("\"two\"")
        })
        .unwrap_or_else(|error| panic!("{}: {}", error.path.display(), error.source));
        let text = std::fs::read_to_string(&path).unwrap();
        assert_eq!(text, "{\"count\":2}\n1\n\"two\"\n{\"end\":2}\n");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
        assert_eq!(check_end("{\"end\":2}", 2), Ok(()));
        assert_eq!(
            check_end("{\"end\":3}", 2),
            Err("the end marker counts 3, the header 2".into())
        );
        assert!(check_end("3", 2).unwrap_err().starts_with("expected the end marker: "));
    }

    #[test]
    fn a_failed_write_leaves_the_old_file_and_no_partial_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("data.jsonl");
        std::fs::write(&path, "old\n").unwrap();
        let result = write_replacing(&path, &0, 1, |_| Err(std::io::Error::other("disk full")));
        let error = result.err().unwrap();
        assert!(error.path.to_string_lossy().contains("data.jsonl.partial-"));
        assert_eq!(error.source.to_string(), "disk full");
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "old\n");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }
}
