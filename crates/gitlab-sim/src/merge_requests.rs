//! Merge requests in the simulator's world: versions (one per push to the
//! source branch), notes and discussions, and the state changes that fire
//! hooks (push, open, update, close, merge, note). The HTTP side lives in
//! `merge_requests_api.rs`; this file answers to no request itself.

use serde_json::Value;

use crate::SimError;
use crate::git::{self, Commit};
use crate::state::{SimState, now};
use crate::webhooks;

/// One version of a merge request's diff.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Version {
    /// Id.
    pub id: u64,
    /// The source branch head.
    pub head_commit_sha: String,
    /// The merge base of source and target.
    pub base_commit_sha: String,
    /// The target branch head when the version was made.
    pub start_commit_sha: String,
    /// When.
    pub created_at: String,
}

/// Where a diff note sits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Position {
    /// Version base.
    pub base_sha: String,
    /// Version start.
    pub start_sha: String,
    /// Version head.
    pub head_sha: String,
    /// Path before.
    pub old_path: String,
    /// Path after.
    pub new_path: String,
    /// Old-side line (removed or unchanged lines).
    pub old_line: Option<u32>,
    /// New-side line (added or unchanged lines).
    pub new_line: Option<u32>,
}

/// A comment on a merge request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Note {
    /// Id.
    pub id: u64,
    /// The discussion it belongs to (40 hex digits).
    pub discussion_id: String,
    /// Whether the discussion is a lone note made through `/notes`.
    pub individual_note: bool,
    /// Markdown body.
    pub body: String,
    /// Author's user id.
    pub author_id: u64,
    /// Created.
    pub created_at: String,
    /// Last edited.
    pub updated_at: String,
    /// A system note (GitLab's own activity record).
    pub system: bool,
    /// For diff notes.
    pub position: Option<Position>,
}

/// A merge request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MergeRequest {
    /// Instance-wide id.
    pub id: u64,
    /// Per-project number.
    pub iid: u64,
    /// Title.
    pub title: String,
    /// Source branch (same project).
    pub source_branch: String,
    /// Target branch.
    pub target_branch: String,
    /// `opened`, `closed` or `merged`.
    pub state: String,
    /// Author's user id.
    pub author_id: u64,
    /// Created.
    pub created_at: String,
    /// Last change.
    pub updated_at: String,
    /// Versions, oldest first.
    pub versions: Vec<Version>,
    /// Notes, oldest first.
    pub notes: Vec<Note>,
    /// The merge commit, once merged.
    pub merge_commit_sha: Option<String>,
    /// How many more reads of the merge request answer `diff_refs: null`
    /// and `changes_count: null`, as GitLab does while it computes a new
    /// merge request's diff in the background (0: filled in at once).
    pub pending_diff_reads: u32,
}

impl MergeRequest {
    /// The newest version.
    pub fn latest_version(&self) -> Option<&Version> {
        self.versions.last()
    }
}

/// A change set for one commit: paths with new content (`None` deletes).
pub type Changes<'a> = &'a [(&'a str, Option<&'a [u8]>)];

impl SimState {
    /// The user who acts for a project when a test pushes or opens a merge
    /// request: its member with the highest access level, lowest id first.
    fn actor(&self, project: u64) -> Option<crate::User> {
        let stored = self.projects.get(&project)?;
        let (id, _) =
            stored.members.iter().max_by_key(|(id, level)| (**level, std::cmp::Reverse(**id)))?;
        self.users.get(id).cloned()
    }

    fn actor_or_root(&self, project: u64) -> crate::User {
        self.actor(project).unwrap_or(crate::User { id: 1, username: "root".into(), admin: true })
    }

    /// Pushes `commits` to `branch` (created from the default branch head
    /// when missing); fires a Push Hook and, for the source branch of open
    /// merge requests, a new version and a Merge Request Hook `update`.
    pub(crate) fn push(
        &mut self,
        project: u64,
        branch: &str,
        commits: &[(Changes<'_>, &str)],
        base_url: &str,
    ) -> Result<Vec<String>, SimError> {
        let pusher = self.actor_or_root(project);
        let stored = self.projects.get_mut(&project).ok_or(SimError::NotFound("project"))?;
        let before = stored.repository.branches.get(branch).cloned();
        let mut parent = match &before {
            Some(sha) => Some(sha.clone()),
            None => stored.head_sha().map(str::to_owned),
        };
        let mut shas = Vec::new();
        for (changes, message) in commits {
            let email = format!("{}@example.com", pusher.username);
            let sha = stored.repository.commit(
                branch,
                parent.as_deref(),
                changes,
                message,
                (&pusher.username, &email),
                &now(),
            );
            parent = Some(sha.clone());
            shas.push(sha);
        }
        let Some(after) = shas.last().cloned() else {
            return Ok(shas);
        };
        let body =
            webhooks::push_body(stored, &pusher, branch, before.as_deref(), &after, base_url);
        self.fire_hooks(project, "Push Hook", &body);
        let open: Vec<u64> = self.projects[&project]
            .merge_requests
            .values()
            .filter(|request| request.state == "opened" && request.source_branch == branch)
            .map(|request| request.iid)
            .collect();
        for iid in open {
            let oldrev = self.add_version(project, iid);
            self.fire_merge_request_hook(
                project,
                iid,
                "update",
                oldrev.as_deref(),
                &pusher,
                base_url,
            );
        }
        Ok(shas)
    }

    /// Adds a version for the current heads; returns the previous head.
    fn add_version(&mut self, project: u64, iid: u64) -> Option<String> {
        let id = self.fresh_id();
        let stored = self.projects.get_mut(&project)?;
        let request = stored.merge_requests.get(&iid)?;
        let head = stored.repository.branches.get(&request.source_branch)?.clone();
        let start = stored.repository.branches.get(&request.target_branch)?.clone();
        let base = stored.repository.merge_base(&head, &start).unwrap_or_else(|| start.clone());
        let created_at = now();
        let request = stored.merge_requests.get_mut(&iid)?;
        let previous = request.latest_version().map(|version| version.head_commit_sha.clone());
        request.versions.push(Version {
            id,
            head_commit_sha: head,
            base_commit_sha: base,
            start_commit_sha: start,
            created_at: created_at.clone(),
        });
        request.updated_at = created_at;
        previous
    }

    pub(crate) fn fire_merge_request_hook(
        &mut self,
        project: u64,
        iid: u64,
        action: &str,
        oldrev: Option<&str>,
        user: &crate::User,
        base_url: &str,
    ) {
        let Some(stored) = self.projects.get(&project) else {
            return;
        };
        let Some(body) = webhooks::merge_request_body(stored, iid, action, oldrev, user, base_url)
        else {
            return;
        };
        self.fire_hooks(project, "Merge Request Hook", &body);
    }

    /// Opens a merge request from `source` into `target`; returns its iid.
    pub(crate) fn open_merge_request(
        &mut self,
        project: u64,
        source: &str,
        target: &str,
        title: &str,
        base_url: &str,
    ) -> Result<u64, SimError> {
        let author = self.actor_or_root(project);
        let id = self.fresh_id();
        let stored = self.projects.get_mut(&project).ok_or(SimError::NotFound("project"))?;
        for branch in [source, target] {
            if !stored.repository.branches.contains_key(branch) {
                return Err(SimError::NotFound("branch"));
            }
        }
        let iid = stored.merge_requests.keys().next_back().map_or(1, |last| last + 1);
        let created_at = now();
        stored.merge_requests.insert(
            iid,
            MergeRequest {
                id,
                iid,
                title: title.to_owned(),
                source_branch: source.to_owned(),
                target_branch: target.to_owned(),
                state: "opened".into(),
                author_id: author.id,
                created_at: created_at.clone(),
                updated_at: created_at,
                versions: Vec::new(),
                notes: Vec::new(),
                merge_commit_sha: None,
                pending_diff_reads: 0,
            },
        );
        self.add_version(project, iid);
        self.fire_merge_request_hook(project, iid, "open", None, &author, base_url);
        Ok(iid)
    }

    /// Closes an open merge request (Merge Request Hook `close`).
    pub(crate) fn close_merge_request(
        &mut self,
        project: u64,
        iid: u64,
        base_url: &str,
    ) -> Result<(), SimError> {
        let user = self.actor_or_root(project);
        let request = self
            .projects
            .get_mut(&project)
            .and_then(|stored| stored.merge_requests.get_mut(&iid))
            .ok_or(SimError::NotFound("merge request"))?;
        request.state = "closed".into();
        request.updated_at = now();
        self.fire_merge_request_hook(project, iid, "close", None, &user, base_url);
        Ok(())
    }

    /// Merges: a merge commit on the target branch carrying the source's
    /// changes (Push Hook for the target, then Merge Request Hook `merge`).
    pub(crate) fn merge_merge_request(
        &mut self,
        project: u64,
        iid: u64,
        base_url: &str,
    ) -> Result<String, SimError> {
        let user = self.actor_or_root(project);
        let stored = self.projects.get(&project).ok_or(SimError::NotFound("project"))?;
        let request = stored.merge_requests.get(&iid).ok_or(SimError::NotFound("merge request"))?;
        let repository = &stored.repository;
        let head =
            repository.resolve(&request.source_branch).ok_or(SimError::NotFound("branch"))?;
        let target =
            repository.resolve(&request.target_branch).ok_or(SimError::NotFound("branch"))?;
        let base_tree = repository
            .merge_base(&head.sha, &target.sha)
            .and_then(|sha| repository.commits.get(&sha))
            .map(|commit: &Commit| commit.tree.clone())
            .unwrap_or_default();
        let changes: Vec<(String, Option<Vec<u8>>)> = git::diff_trees(&base_tree, &head.tree)
            .into_iter()
            .map(|change| (change.new_path.clone(), head.tree.get(&change.new_path).cloned()))
            .collect();
        let message = format!(
            "Merge branch '{}' into '{}'\n\n{}\n\nSee merge request {}!{iid}",
            request.source_branch, request.target_branch, request.title, stored.path_with_namespace
        );
        let target_branch = request.target_branch.clone();
        let borrowed: Vec<(&str, Option<&[u8]>)> =
            changes.iter().map(|(path, content)| (path.as_str(), content.as_deref())).collect();
        let shas = self.push(project, &target_branch, &[(&borrowed, &message)], base_url)?;
        let merge_sha = shas.last().cloned().unwrap_or_default();
        if let Some(request) =
            self.projects.get_mut(&project).and_then(|stored| stored.merge_requests.get_mut(&iid))
        {
            request.state = "merged".into();
            request.merge_commit_sha = Some(merge_sha.clone());
            request.updated_at = now();
        }
        self.fire_merge_request_hook(project, iid, "merge", None, &user, base_url);
        Ok(merge_sha)
    }

    /// Adds a note by `author` (a new discussion unless `discussion_id`),
    /// fires a Note Hook, and returns the note.
    pub(crate) fn add_note(
        &mut self,
        project: u64,
        iid: u64,
        author: &crate::User,
        body: &str,
        position: Option<Position>,
        base_url: &str,
    ) -> Option<Note> {
        let id = self.fresh_id();
        let created_at = now();
        let discussion_id = discussion_id(project, iid, id);
        let note = Note {
            id,
            individual_note: position.is_none(),
            discussion_id,
            body: body.to_owned(),
            author_id: author.id,
            created_at: created_at.clone(),
            updated_at: created_at,
            system: false,
            position,
        };
        let request = self.projects.get_mut(&project)?.merge_requests.get_mut(&iid)?;
        request.notes.push(note.clone());
        self.fire_note_hook(project, iid, &note, "create", author, base_url);
        Some(note)
    }

    /// Replaces a note's body (Note Hook `update`).
    pub(crate) fn edit_note(
        &mut self,
        project: u64,
        iid: u64,
        note_id: u64,
        author: &crate::User,
        body: &str,
        base_url: &str,
    ) -> Option<Note> {
        let request = self.projects.get_mut(&project)?.merge_requests.get_mut(&iid)?;
        let note = request.notes.iter_mut().find(|note| note.id == note_id)?;
        note.body = body.to_owned();
        note.updated_at = now();
        let note = note.clone();
        self.fire_note_hook(project, iid, &note, "update", author, base_url);
        Some(note)
    }

    fn fire_note_hook(
        &mut self,
        project: u64,
        iid: u64,
        note: &Note,
        action: &str,
        author: &crate::User,
        base_url: &str,
    ) {
        let body: Option<Value> = self
            .projects
            .get(&project)
            .and_then(|stored| webhooks::note_body(stored, iid, note, action, author, base_url));
        if let Some(body) = body {
            self.fire_hooks(project, "Note Hook", &body);
        }
    }
}

/// A discussion id: 40 hex digits, stable for a note.
fn discussion_id(project: u64, iid: u64, note: u64) -> String {
    use sha2::Digest as _;
    let digest = sha2::Sha256::digest(format!("discussion {project} {iid} {note}"));
    digest.iter().take(20).map(|byte| format!("{byte:02x}")).collect()
}
