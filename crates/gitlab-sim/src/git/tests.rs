//! The git model: resolving refs, history walks, merge bases, and which
//! lines of a file pair a diff position may name, through `check` helpers.

use super::{Repository, diff_trees, line_map};

fn repository() -> (Repository, [String; 3]) {
    let mut repository = Repository::default();
    let author = ("alice", "alice@example.com");
    let root = repository.commit("main", None, &[("a.txt", Some(b"1\n"))], "Root", author, "t0");
    let main =
        repository.commit("main", Some(&root), &[("b.txt", Some(b"2\n"))], "Main", author, "t1");
    let feature =
        repository.commit("feature", Some(&root), &[("a.txt", None)], "Delete a", author, "t2");
    (repository, [root, main, feature])
}

#[test]
fn refs_resolve_to_commits_and_histories_meet_at_the_merge_base() {
    let (repository, [root, main, feature]) = repository();
    let resolved = |reference: &str| repository.resolve(reference).map(|commit| commit.sha.clone());
    assert_eq!(resolved("main"), Some(main.clone()));
    assert_eq!(resolved(&feature), Some(feature.clone()));
    assert_eq!(resolved(&root[..7]), Some(root.clone()), "a 7-digit prefix");
    assert_eq!(resolved("nope"), None);
    assert!(root.len() == 40 && root.bytes().all(|byte| byte.is_ascii_hexdigit()));
    assert_eq!(repository.merge_base(&main, &feature), Some(root.clone()));
    let between: Vec<&str> =
        repository.commits_between(&main, &feature).iter().map(|commit| commit.title()).collect();
    assert_eq!(between, ["Delete a"]);
    let changed = repository.changed_paths(&repository.commits[&feature]);
    assert_eq!(changed.removed, ["a.txt"]);
    let files: Vec<&String> = repository.commits[&main].tree.keys().collect();
    assert_eq!(files, ["a.txt", "b.txt"], "a commit holds the whole tree");
}

#[track_caller]
fn check_lines(old: &str, new: &str, added: &[u32], removed: &[u32], unchanged: &[(u32, u32)]) {
    let map = line_map(old.as_bytes(), new.as_bytes());
    assert_eq!(map.added.into_iter().collect::<Vec<_>>(), added, "added");
    assert_eq!(map.removed.into_iter().collect::<Vec<_>>(), removed, "removed");
    assert_eq!(map.unchanged.into_iter().collect::<Vec<_>>(), unchanged, "unchanged");
}

#[test]
fn line_maps_say_which_side_each_line_is_on() {
    check_lines("", "a\nb\n", &[1, 2], &[], &[]);
    check_lines("a\nb\n", "", &[], &[1, 2], &[]);
    check_lines("a\nb\nc\n", "a\nB\nc\nd\n", &[2, 4], &[2], &[(1, 1), (3, 3)]);
    // Lines far from any change are still unchanged pairs (expanded context).
    let old: String = (1..=20).map(|n| format!("{n}\n")).collect();
    let new = old.replacen("1\n", "", 1);
    check_lines(&old, &new, &[], &[1], &(2..=20).map(|n| (n, n - 1)).collect::<Vec<_>>());
}

#[test]
fn tree_diffs_mark_new_and_deleted_files() {
    let (repository, [root, _, feature]) = repository();
    let changes = diff_trees(&repository.commits[&root].tree, &repository.commits[&feature].tree);
    assert_eq!(changes.len(), 1);
    assert!(changes[0].deleted_file && !changes[0].new_file);
    assert_eq!(changes[0].diff, "@@ -1 +0,0 @@\n-1\n");
}
