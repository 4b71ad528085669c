//! `gitlab-sim`: an in-process simulator of the part of GitLab
//! Self-Managed's REST API v4 that Vigil uses, for tests and demos. No real
//! GitLab can run where Vigil is tested, so this crate reproduces GitLab's
//! observable behaviour as documented (../shared/fixtures/gitlab and its
//! BEHAVIOUR.md): response shapes, pagination headers (offset and keyset),
//! error bodies, authentication failures, and faults on demand (429 with
//! Retry-After, 500, slow answers). Behind the API sits a small git model
//! (commits with whole trees, branches), merge requests with versions,
//! notes and discussions, commit statuses, and project hooks delivered as
//! GitLab delivers them (`Simulator::deliveries` records each answer).
//!
//! **Architecture invariant:** never used by production code paths.
//!
//! ```no_run
//! # async fn demo() {
//! let sim = gitlab_sim::Simulator::start().await.unwrap();
//! let token = sim.add_user("alice", false);
//! let project = sim.add_project("group/app", "main", &[("alice", gitlab_sim::MAINTAINER)]);
//! // A push to a new branch (Push Hook), then a merge request (Merge Request Hook).
//! sim.commit(project, "feature", &[("app.py", Some(b"print(1)\n"))], "Add app").unwrap();
//! let iid = sim.open_merge_request(project, "feature", "main", "Add app").unwrap();
//! // point a client at sim.base_url() with `Authorization: Bearer {token}`
//! # }
//! ```
#![deny(missing_docs)]

mod api;
mod git;
mod merge_requests;
mod merge_requests_api;
mod oauth;
mod repository_api;
mod state;
mod system_hooks;
mod webhooks;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

pub use git::{Commit, Repository, Tree};
pub use merge_requests::{Changes, MergeRequest, Note, Position, Version};
pub use oauth::{OAuthApplication, OAuthState, consent_form_fields};
pub use state::{
    CommitStatus, DEVELOPER, Fault, Hook, MAINTAINER, OWNER, Project, REPORTER, SimState, User,
};
pub use webhooks::Delivery;

/// A failure to start the simulator.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SimError {
    /// No loopback port could be bound.
    #[error("cannot bind the simulator's port: {0}")]
    Bind(#[from] std::io::Error),
    /// A test named a project, branch or merge request that does not exist.
    #[error("no such {0}")]
    NotFound(&'static str),
}

/// A running simulator on a loopback port.
#[derive(Debug, Clone)]
pub struct Simulator {
    address: SocketAddr,
    state: Arc<Mutex<SimState>>,
}

impl Simulator {
    /// Starts a simulator with no users and no projects on 127.0.0.1.
    pub async fn start() -> Result<Simulator, SimError> {
        let state = Arc::new(Mutex::new(SimState::default()));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let address = listener.local_addr()?;
        let base_url = format!("http://{address}");
        let (outbox, deliveries) = tokio::sync::mpsc::unbounded_channel();
        if let Ok(mut locked) = state.lock() {
            locked.outbox = Some(outbox);
        }
        tokio::spawn(webhooks::deliver(deliveries, Arc::downgrade(&state), base_url.clone()));
        let router = api::router(Arc::clone(&state), base_url);
        tokio::spawn(async move {
            let _ = axum::serve(listener, router).await;
        });
        Ok(Simulator { address, state })
    }

    /// `http://127.0.0.1:PORT`, the instance's base URL.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.address)
    }

    /// The simulator's state, for setting up and inspecting a test.
    pub fn state(&self) -> MutexGuard<'_, SimState> {
        // A panic while the lock was held already failed the test.
        self.state.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Adds a user and returns a personal access token for them.
    pub fn add_user(&self, username: &str, admin: bool) -> String {
        self.state().add_user(username, admin)
    }

    /// Adds a project with a default branch and members (username, access
    /// level); returns its id.
    pub fn add_project(&self, path: &str, default_branch: &str, members: &[(&str, u32)]) -> u64 {
        self.state().add_project(path, default_branch, members)
    }

    /// Writes a file on a project's default branch.
    pub fn write_file(&self, project: u64, path: &str, content: impl AsRef<[u8]>) {
        self.state().write_file(project, path, content.as_ref());
    }

    /// Commits `changes` (path, new content; `None` deletes) on `branch`,
    /// creating the branch from the default branch head if missing, and
    /// returns the new sha. Fires a Push Hook and, when the branch is the
    /// source of open merge requests, makes a new version of each and fires
    /// a Merge Request Hook `update` with `oldrev`.
    pub fn commit(
        &self,
        project: u64,
        branch: &str,
        changes: &[(&str, Option<&[u8]>)],
        message: &str,
    ) -> Result<String, SimError> {
        let base_url = self.base_url();
        let shas = self.state().push(project, branch, &[(changes, message)], &base_url)?;
        shas.into_iter().next().ok_or(SimError::NotFound("commit"))
    }

    /// Pushes several commits to `branch` at once (one Push Hook, which
    /// lists only the newest 20); returns their shas, oldest first.
    pub fn push(
        &self,
        project: u64,
        branch: &str,
        commits: &[(Changes<'_>, &str)],
    ) -> Result<Vec<String>, SimError> {
        let base_url = self.base_url();
        self.state().push(project, branch, commits, &base_url)
    }

    /// Creates `name` at the commit `from_ref` (branch or sha) names; no
    /// hook fires. Returns the branch's head sha.
    pub fn create_branch(
        &self,
        project: u64,
        name: &str,
        from_ref: &str,
    ) -> Result<String, SimError> {
        let mut state = self.state();
        let stored = state.projects.get_mut(&project).ok_or(SimError::NotFound("project"))?;
        let sha = stored
            .repository
            .resolve(from_ref)
            .map(|commit| commit.sha.clone())
            .ok_or(SimError::NotFound("ref"))?;
        stored.repository.branches.insert(name.to_owned(), sha.clone());
        Ok(sha)
    }

    /// Opens a merge request by the project's highest-level member (its
    /// first version made at once) and fires a Merge Request Hook `open`.
    pub fn open_merge_request(
        &self,
        project: u64,
        source: &str,
        target: &str,
        title: &str,
    ) -> Result<u64, SimError> {
        let base_url = self.base_url();
        self.state().open_merge_request(project, source, target, title, &base_url)
    }

    /// Closes a merge request (Merge Request Hook `close`).
    pub fn close_merge_request(&self, project: u64, iid: u64) -> Result<(), SimError> {
        let base_url = self.base_url();
        self.state().close_merge_request(project, iid, &base_url)
    }

    /// Merges a merge request with a merge commit on the target branch
    /// (Push Hook, then Merge Request Hook `merge`); returns the merge sha.
    pub fn merge_merge_request(&self, project: u64, iid: u64) -> Result<String, SimError> {
        let base_url = self.base_url();
        self.state().merge_merge_request(project, iid, &base_url)
    }

    /// A merge request as the simulator holds it.
    pub fn merge_request(&self, project: u64, iid: u64) -> Option<MergeRequest> {
        self.state().projects.get(&project)?.merge_requests.get(&iid).cloned()
    }

    /// A merge request's notes, oldest first (diff notes included).
    pub fn notes(&self, project: u64, iid: u64) -> Vec<Note> {
        self.merge_request(project, iid).map(|request| request.notes).unwrap_or_default()
    }

    /// A merge request's discussions: (discussion id, its notes), in order
    /// of their first note.
    pub fn discussions(&self, project: u64, iid: u64) -> Vec<(String, Vec<Note>)> {
        let mut discussions: Vec<(String, Vec<Note>)> = Vec::new();
        for note in self.notes(project, iid) {
            match discussions.iter_mut().find(|(id, _)| *id == note.discussion_id) {
                Some((_, notes)) => notes.push(note),
                None => discussions.push((note.discussion_id.clone(), vec![note])),
            }
        }
        discussions
    }

    /// The statuses set on a commit, oldest first.
    pub fn commit_statuses(&self, project: u64, sha: &str) -> Vec<CommitStatus> {
        let state = self.state();
        let Some(stored) = state.projects.get(&project) else {
            return Vec::new();
        };
        stored.statuses.iter().filter(|status| status.sha == sha).cloned().collect()
    }

    /// The head sha of a branch.
    pub fn branch_head(&self, project: u64, branch: &str) -> Option<String> {
        self.state().projects.get(&project)?.repository.branches.get(branch).cloned()
    }

    /// Hook deliveries made so far (url, event header, headers, body and
    /// the status code answered), in order.
    pub fn deliveries(&self) -> Vec<Delivery> {
        self.state().deliveries.clone()
    }

    /// Waits up to `timeout` until at least `count` deliveries were made
    /// (deliveries run on a task of their own) and returns them all.
    pub async fn wait_for_deliveries(&self, count: usize, timeout: Duration) -> Vec<Delivery> {
        let started = Instant::now();
        loop {
            let deliveries = self.deliveries();
            if deliveries.len() >= count || started.elapsed() >= timeout {
                return deliveries;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    /// Makes the next `times` requests whose path starts with `path_prefix`
    /// fail with `fault`.
    pub fn inject(&self, path_prefix: &str, fault: Fault, times: u32) {
        self.state().faults.push((path_prefix.to_owned(), fault, times));
    }
}
