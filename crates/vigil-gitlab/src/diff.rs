//! Reading GitLab's unified diffs: which new-side lines a diff adds, so
//! inline discussions are only placed where GitLab accepts a `new_line`
//! alone. Pure: text in, line numbers out; malformed hunks are skipped.

/// New-side line numbers of the added lines of a unified diff (hunks,
/// optionally preceded by `---`/`+++` headers), in order.
pub fn added_lines(diff: &str) -> Vec<u32> {
    let mut added = Vec::new();
    // Lines still expected in the current hunk: (old, new).
    let mut remaining: Option<(u32, u32)> = None;
    let mut new_line = 0_u32;
    for line in diff.lines() {
        match remaining {
            Some((old, new)) if old > 0 || new > 0 => {
                match line.as_bytes().first() {
                    Some(b'+') if new > 0 => {
                        added.push(new_line);
                        new_line += 1;
                        remaining = Some((old, new - 1));
                    }
                    Some(b'-') if old > 0 => remaining = Some((old - 1, new)),
                    // `\ No newline at end of file` belongs to no side.
                    Some(b'\\') => {}
                    // A context line; an empty one lost its leading space.
                    Some(b' ') | None if old > 0 && new > 0 => {
                        new_line += 1;
                        remaining = Some((old - 1, new - 1));
                    }
                    _ => {
                        remaining = hunk_header(line).map(|(start, old, new)| {
                            new_line = start;
                            (old, new)
                        })
                    }
                }
            }
            _ => {
                if let Some((start, old, new)) = hunk_header(line) {
                    new_line = start;
                    remaining = Some((old, new));
                }
            }
        }
    }
    added
}

/// `@@ -a[,b] +c[,d] @@…` → (c, b, d); a missing count is 1.
fn hunk_header(line: &str) -> Option<(u32, u32, u32)> {
    let rest = line.strip_prefix("@@ -")?;
    let (ranges, _) = rest.split_once(" @@")?;
    let (old, new) = ranges.split_once(" +")?;
    let count = |range: &str| -> Option<(u32, u32)> {
        match range.split_once(',') {
            Some((start, count)) => Some((start.parse().ok()?, count.parse().ok()?)),
            None => Some((range.parse().ok()?, 1)),
        }
    };
    let (_, old_count) = count(old)?;
    let (new_start, new_count) = count(new)?;
    Some((new_start, old_count, new_count))
}

#[cfg(test)]
mod tests;
