//! A small git model: commits holding whole trees, branches naming head
//! commits, history walks and unified diffs between two trees. It owns no
//! HTTP and no hooks; `state.rs` and the API build on it.

use std::collections::{BTreeMap, BTreeSet};

use sha2::{Digest, Sha256};

/// A file tree: path → content.
pub type Tree = BTreeMap<String, Vec<u8>>;

/// A commit with the whole tree it records.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Commit {
    /// 40 hex digits.
    pub sha: String,
    /// The parent commit (`None` for a root commit).
    pub parent: Option<String>,
    /// Full message; the title is its first line.
    pub message: String,
    /// Author (and committer) name.
    pub author_name: String,
    /// Author e-mail.
    pub author_email: String,
    /// ISO 8601 with milliseconds, UTC.
    pub timestamp: String,
    /// Every file at this commit.
    pub tree: Tree,
}

impl Commit {
    /// The first line of the message.
    pub fn title(&self) -> &str {
        self.message.lines().next().unwrap_or("")
    }
}

/// One project's repository.
#[derive(Debug, Clone, Default)]
pub struct Repository {
    /// Commits by sha.
    pub commits: BTreeMap<String, Commit>,
    /// Branch name → head sha.
    pub branches: BTreeMap<String, String>,
}

/// What a commit changes relative to its parent, for push payloads.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct ChangedPaths {
    /// New paths.
    pub added: Vec<String>,
    /// Changed paths.
    pub modified: Vec<String>,
    /// Deleted paths.
    pub removed: Vec<String>,
}

/// One file's change between two trees, as GitLab's diff entities carry it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct FileChange {
    /// Path before (the new path for an added file).
    pub old_path: String,
    /// Path after (the old path for a deleted file).
    pub new_path: String,
    /// Added.
    pub new_file: bool,
    /// Deleted.
    pub deleted_file: bool,
    /// Unified diff hunks, without `---`/`+++` header lines, as GitLab
    /// returns them.
    pub diff: String,
}

/// How a line of a file pair takes part in a diff, for positioning notes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct LineMap {
    /// New-side numbers of added lines.
    pub added: BTreeSet<u32>,
    /// Old-side numbers of removed lines.
    pub removed: BTreeSet<u32>,
    /// (old, new) numbers of unchanged lines.
    pub unchanged: BTreeSet<(u32, u32)>,
}

impl Repository {
    /// The commit a branch name, a full sha or a sha prefix (7+ digits)
    /// names.
    pub fn resolve(&self, reference: &str) -> Option<&Commit> {
        if let Some(sha) = self.branches.get(reference) {
            return self.commits.get(sha);
        }
        if let Some(commit) = self.commits.get(reference) {
            return Some(commit);
        }
        if reference.len() >= 7 && reference.bytes().all(|byte| byte.is_ascii_hexdigit()) {
            let mut found = self
                .commits
                .range(reference.to_owned()..)
                .take_while(|(sha, _)| sha.starts_with(reference));
            let first = found.next().map(|(_, commit)| commit);
            // An ambiguous prefix names nothing, as in git.
            return if found.next().is_some() { None } else { first };
        }
        None
    }

    /// Records a commit on `branch` with `parent`'s tree changed by
    /// `changes` (`None` deletes), moves the branch, and returns the sha.
    pub fn commit(
        &mut self,
        branch: &str,
        parent: Option<&str>,
        changes: &[(&str, Option<&[u8]>)],
        message: &str,
        author: (&str, &str),
        timestamp: &str,
    ) -> String {
        let mut tree = parent
            .and_then(|sha| self.commits.get(sha))
            .map(|commit| commit.tree.clone())
            .unwrap_or_default();
        for (path, content) in changes {
            match content {
                Some(bytes) => {
                    tree.insert((*path).to_owned(), bytes.to_vec());
                }
                None => {
                    tree.remove(*path);
                }
            }
        }
        let mut hasher = Sha256::new();
        hasher.update(parent.unwrap_or("").as_bytes());
        hasher.update(message.as_bytes());
        hasher.update(timestamp.as_bytes());
        hasher.update(self.commits.len().to_le_bytes());
        for (path, content) in &tree {
            hasher.update(path.as_bytes());
            hasher.update([0]);
            hasher.update(content);
        }
        let digest = hasher.finalize();
        let sha: String = digest.iter().take(20).map(|byte| format!("{byte:02x}")).collect();
        self.commits.insert(
            sha.clone(),
            Commit {
                sha: sha.clone(),
                parent: parent.map(str::to_owned),
                message: message.to_owned(),
                author_name: author.0.to_owned(),
                author_email: author.1.to_owned(),
                timestamp: timestamp.to_owned(),
                tree,
            },
        );
        self.branches.insert(branch.to_owned(), sha.clone());
        sha
    }

    /// `sha` and its ancestors, newest first.
    pub fn history(&self, sha: &str) -> Vec<&Commit> {
        let mut commits = Vec::new();
        let mut next = self.commits.get(sha);
        while let Some(commit) = next {
            commits.push(commit);
            next = commit.parent.as_deref().and_then(|parent| self.commits.get(parent));
        }
        commits
    }

    /// The newest common ancestor of two commits.
    pub fn merge_base(&self, left: &str, right: &str) -> Option<String> {
        let ancestors: BTreeSet<&str> =
            self.history(left).into_iter().map(|commit| commit.sha.as_str()).collect();
        self.history(right)
            .into_iter()
            .find(|commit| ancestors.contains(commit.sha.as_str()))
            .map(|commit| commit.sha.clone())
    }

    /// Commits reachable from `to` but not from `from`, newest first.
    pub fn commits_between(&self, from: &str, to: &str) -> Vec<&Commit> {
        let excluded: BTreeSet<&str> =
            self.history(from).into_iter().map(|commit| commit.sha.as_str()).collect();
        self.history(to)
            .into_iter()
            .take_while(|commit| !excluded.contains(commit.sha.as_str()))
            .collect()
    }

    /// Paths a commit adds, modifies and removes relative to its parent.
    pub(crate) fn changed_paths(&self, commit: &Commit) -> ChangedPaths {
        let empty = Tree::new();
        let before = commit
            .parent
            .as_deref()
            .and_then(|sha| self.commits.get(sha))
            .map_or(&empty, |parent| &parent.tree);
        let mut changed = ChangedPaths::default();
        for (path, content) in &commit.tree {
            match before.get(path) {
                None => changed.added.push(path.clone()),
                Some(old) if old != content => changed.modified.push(path.clone()),
                Some(_) => {}
            }
        }
        changed.removed =
            before.keys().filter(|path| !commit.tree.contains_key(*path)).cloned().collect();
        changed
    }
}

/// The changed files between two trees, by path.
pub(crate) fn diff_trees(old: &Tree, new: &Tree) -> Vec<FileChange> {
    let paths: BTreeSet<&String> = old.keys().chain(new.keys()).collect();
    paths
        .into_iter()
        .filter_map(|path| {
            let before = old.get(path);
            let after = new.get(path);
            if before == after {
                return None;
            }
            let empty = Vec::new();
            Some(FileChange {
                old_path: path.clone(),
                new_path: path.clone(),
                new_file: before.is_none(),
                deleted_file: after.is_none(),
                diff: unified_diff(before.unwrap_or(&empty), after.unwrap_or(&empty)),
            })
        })
        .collect()
}

/// Hunks with three lines of context, GitLab style (no file header).
pub(crate) fn unified_diff(old: &[u8], new: &[u8]) -> String {
    let old = String::from_utf8_lossy(old);
    let new = String::from_utf8_lossy(new);
    let diff = similar::TextDiff::from_lines(old.as_ref(), new.as_ref());
    let mut unified = diff.unified_diff();
    unified.context_radius(3);
    unified.to_string()
}

/// Which lines of `old` → `new` are added, removed or unchanged (1-based).
pub(crate) fn line_map(old: &[u8], new: &[u8]) -> LineMap {
    let old = String::from_utf8_lossy(old);
    let new = String::from_utf8_lossy(new);
    let diff = similar::TextDiff::from_lines(old.as_ref(), new.as_ref());
    let mut map = LineMap::default();
    let number = |index: Option<usize>| index.and_then(|index| u32::try_from(index + 1).ok());
    for change in diff.iter_all_changes() {
        match (change.tag(), number(change.old_index()), number(change.new_index())) {
            (similar::ChangeTag::Insert, _, Some(new_line)) => {
                map.added.insert(new_line);
            }
            (similar::ChangeTag::Delete, Some(old_line), _) => {
                map.removed.insert(old_line);
            }
            (similar::ChangeTag::Equal, Some(old_line), Some(new_line)) => {
                map.unchanged.insert((old_line, new_line));
            }
            _ => {}
        }
    }
    map
}

#[cfg(test)]
mod tests;
