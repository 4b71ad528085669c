//! Suppression comments: `checkov:skip=ID[,ID]:reason` (also `bridgecrew:`
//! and `cortex:`, as Checkov reads them) and Vigil's `vigil:ignore=ID`.

use std::sync::LazyLock;

use regex::Regex;

use crate::model::Skip;

#[allow(clippy::expect_used)]
static SKIP: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?:checkov:skip=|bridgecrew:skip=|cortex:skip=|vigil:ignore=) *([A-Za-z_\d-]+(?:,[A-Za-z_\d-]+)*)?(:[^\n]*)?")
        .expect("a constant pattern")
});

/// The skips written in one comment line.
pub fn in_comment(line: &str) -> Vec<Skip> {
    let mut out = Vec::new();
    for capture in SKIP.captures_iter(line) {
        let Some(ids) = capture.get(1) else { continue };
        let reason = capture.get(2).map_or("", |m| m.as_str().trim_start_matches(':').trim());
        for id in ids.as_str().split(',') {
            out.push(Skip { id: id.to_owned(), reason: reason.to_owned() });
        }
    }
    out
}

/// Every line (1-based) of `text` holding a skip comment, with its skips.
pub fn comment_lines(text: &str) -> Vec<(u32, Vec<Skip>)> {
    if !text.contains("skip=") && !text.contains("ignore=") {
        return Vec::new();
    }
    text.lines()
        .enumerate()
        .filter(|(_, line)| line.contains('#') || line.contains("//"))
        .filter_map(|(index, line)| {
            let skips = in_comment(line);
            (!skips.is_empty()).then(|| (u32::try_from(index + 1).unwrap_or(u32::MAX), skips))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_and_reasons() {
        let skips = in_comment("  # checkov:skip=CKV_AWS_20,CKV_AWS_21:public website bucket");
        assert_eq!(skips.len(), 2);
        assert_eq!(skips[1].id, "CKV_AWS_21");
        assert_eq!(skips[0].reason, "public website bucket");
        assert_eq!(in_comment("# vigil:ignore=IAC1020")[0].id, "IAC1020");
        assert!(in_comment("# nothing here").is_empty());
    }
}
