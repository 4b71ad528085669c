//! A line index over a text: the 1-based line of any byte offset in
//! `O(log n)`, so that parsers can give every entry its line without
//! rescanning the text (which would be quadratic on large lockfiles).

/// Start offsets of every line of a text.
#[derive(Debug, Clone)]
pub(crate) struct LineIndex {
    starts: Vec<usize>,
}

impl LineIndex {
    /// Indexes `text`.
    pub(crate) fn new(text: &str) -> LineIndex {
        let mut starts = vec![0];
        starts.extend(memchr_newlines(text.as_bytes()).map(|at| at + 1));
        LineIndex { starts }
    }

    /// 1-based line of byte `offset`.
    pub(crate) fn line(&self, offset: usize) -> u32 {
        let index = match self.starts.binary_search(&offset) {
            Ok(index) => index,
            Err(index) => index.saturating_sub(1),
        };
        u32::try_from(index + 1).unwrap_or(u32::MAX)
    }
}

fn memchr_newlines(bytes: &[u8]) -> impl Iterator<Item = usize> + '_ {
    bytes.iter().enumerate().filter(|(_, byte)| **byte == b'\n').map(|(at, _)| at)
}

#[cfg(test)]
mod tests {
    use super::LineIndex;

    #[test]
    fn lines_of_offsets() {
        let lines = LineIndex::new("ab\ncd\n\nef");
        let cases = [(0, 1), (1, 1), (2, 1), (3, 2), (5, 2), (6, 3), (7, 4), (99, 4)];
        for (offset, line) in cases {
            assert_eq!(lines.line(offset), line, "offset {offset}");
        }
    }
}
