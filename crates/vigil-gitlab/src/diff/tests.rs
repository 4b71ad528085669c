//! `added_lines` on hand-written and generated diffs, through one `check`.

use super::added_lines;

#[track_caller]
fn check(diff: &str, expected: &[u32]) {
    assert_eq!(added_lines(diff), expected, "diff:\n{diff}");
}

#[test]
fn reads_added_lines_of_every_hunk() {
    check("", &[]);
    check("@@ -0,0 +1,2 @@\n+a\n+b\n", &[1, 2]);
    check("@@ -1,3 +1,4 @@\n a\n-b\n+B\n+C\n c\n", &[2, 3]);
    check("@@ -1,2 +1,2 @@\n a\n-b\n+B\n@@ -10,3 +10,4 @@\n x\n+y\n z\n w\n", &[2, 11]);
    // Only removals.
    check("@@ -1,2 +1 @@\n a\n-b\n", &[]);
    // Counts of 1 may be left out.
    check("@@ -1 +1 @@\n-old\n+new\n", &[1]);
}

#[test]
fn headers_markers_and_tricky_content_are_not_lines() {
    check("--- a/x\n+++ b/x\n@@ -1 +1,2 @@\n x\n+y\n", &[2]);
    check(
        "@@ -1 +1 @@\n-a\n\\ No newline at end of file\n+b\n\\ No newline at end of file\n",
        &[1],
    );
    // A removed line that looks like a header, an added one that does too.
    check("@@ -1,2 +1,2 @@\n--- a\n++++ b\n c\n", &[1]);
    // An empty context line whose space was stripped.
    check("@@ -1,3 +1,4 @@\n a\n\n+b\n c\n", &[3]);
    // Text after the closing @@ (function context).
    check("@@ -5,2 +5,3 @@ fn main() {\n a\n+b\n c\n", &[6]);
    // Garbage is skipped, not a failure.
    check("not a diff\n@@ nonsense @@\n+x\n", &[]);
}
