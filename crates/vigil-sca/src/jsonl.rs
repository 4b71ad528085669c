//! The framing the crate's two data files share (the advisory store,
//! [`crate::store`], and the package-metadata cache,
//! [`crate::metadata_cache`]): a header line, one JSON value per line, and
//! an end marker `{"end":N}` with the count again, so a file cut short is
//! told from a whole one. A file may carry more lines between the values
//! and the end marker (the metadata cache's index), whose place the end
//! marker then gives (`"index_at"`, a byte offset). A file is only ever
//! replaced by writing a new one beside it, syncing it and renaming it
//! over the old, so a crash or a full disk leaves the previous file in
//! place.
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
    #[serde(default, skip_serializing_if = "Option::is_none")]
    index_at: Option<u64>,
}

/// A failed write: the file it was writing and why.
pub(crate) struct WriteError {
    pub(crate) path: PathBuf,
    pub(crate) source: std::io::Error,
}

/// The lines of one file being written: [`Lines::value`] or
/// [`Lines::raw`] once per counted line.
pub(crate) struct Lines<'a> {
    out: Counting<&'a mut BufWriter<std::fs::File>>,
}

impl Lines<'_> {
    /// Writes `value` as one line.
    pub(crate) fn value(&mut self, value: &impl Serialize) -> std::io::Result<()> {
        serde_json::to_writer(&mut self.out, value).map_err(std::io::Error::other)?;
        self.out.write_all(b"\n")
    }

    /// Writes `line` (one JSON value, no line end), as read earlier.
    pub(crate) fn raw(&mut self, line: &str) -> std::io::Result<()> {
        self.out.write_all(line.as_bytes())?;
        self.out.write_all(b"\n")
    }

    /// The byte offset in the file where the next line starts.
    pub(crate) fn position(&self) -> u64 {
        self.out.written
    }
}

/// A writer that counts the bytes written through it.
struct Counting<W> {
    inner: W,
    written: u64,
}

impl<W: Write> Write for Counting<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let written = self.inner.write(buf)?;
        self.written += written as u64;
        Ok(written)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

/// Writes `header`, the `count` lines `body` writes and the end marker to
/// a file beside `path`, then renames it over `path`; on failure the
/// partial file is removed and `path` is untouched. `body` returns the
/// offset of the index line it wrote after the values, if it wrote one.
pub(crate) fn write_replacing(
    path: &Path,
    header: &impl Serialize,
    count: usize,
    body: impl FnOnce(&mut Lines<'_>) -> std::io::Result<Option<u64>>,
) -> Result<(), WriteError> {
    let mut name = path.file_name().unwrap_or_default().to_owned();
    name.push(format!(".partial-{}", std::process::id()));
    let partial = path.with_file_name(name);
    let failed = |source: std::io::Error| WriteError { path: partial.clone(), source };
    let result = (|| {
        let file = std::fs::File::create(&partial).map_err(failed)?;
        let mut out = BufWriter::new(file);
        let mut lines = Lines { out: Counting { inner: &mut out, written: 0 } };
        lines.value(header).map_err(failed)?;
        let index_at = body(&mut lines).map_err(failed)?;
        lines.value(&EndMarker { end: count, index_at }).map_err(failed)?;
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

/// Why a line is not the end marker a header announced.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum EndError {
    /// It is not an end marker at all (the file was cut short, typically).
    NotAMarker(String),
    /// It counts another number of values than the header.
    Count {
        /// The marker's count.
        marker: usize,
        /// The header's.
        header: usize,
    },
}

impl std::fmt::Display for EndError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            EndError::NotAMarker(error) => write!(f, "expected the end marker: {error}"),
            EndError::Count { marker, header } => {
                write!(f, "the end marker counts {marker}, the header {header}")
            }
        }
    }
}

/// Checks the end marker `line` against the `count` values a header
/// announced, and gives the index line's offset if it names one.
pub(crate) fn check_end(line: &str, count: usize) -> Result<Option<u64>, EndError> {
    let marker: EndMarker =
        serde_json::from_str(line).map_err(|e| EndError::NotAMarker(e.to_string()))?;
    if marker.end == count {
        Ok(marker.index_at)
    } else {
        Err(EndError::Count { marker: marker.end, header: count })
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
            assert_eq!(lines.position(), 14);
            lines.raw("\"two\"")?;
            Ok(None)
        })
        .unwrap_or_else(|error| panic!("{}: {}", error.path.display(), error.source));
        let text = std::fs::read_to_string(&path).unwrap();
        assert_eq!(text, "{\"count\":2}\n1\n\"two\"\n{\"end\":2}\n");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
        assert_eq!(check_end("{\"end\":2}", 2), Ok(None));
        assert_eq!(check_end("{\"end\":2,\"index_at\":9}", 2), Ok(Some(9)));
        let count = check_end("{\"end\":3}", 2).unwrap_err();
        assert_eq!(count.to_string(), "the end marker counts 3, the header 2");
        let garbled = check_end("3", 2).unwrap_err();
        assert!(garbled.to_string().starts_with("expected the end marker: "), "{garbled}");
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
