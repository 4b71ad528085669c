//! The simulator's world: users with tokens, projects with members and
//! hooks, pending faults, and a log of requests for assertions.

use std::collections::BTreeMap;

/// Access levels, as GitLab numbers them.
pub const REPORTER: u32 = 20;
/// Developer.
pub const DEVELOPER: u32 = 30;
/// Maintainer: may manage hooks.
pub const MAINTAINER: u32 = 40;
/// Owner.
pub const OWNER: u32 = 50;

/// A user.
#[derive(Debug, Clone)]
pub struct User {
    /// Id.
    pub id: u64,
    /// Username.
    pub username: String,
    /// Instance administrator.
    pub admin: bool,
}

/// A project hook.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hook {
    /// Id.
    pub id: u64,
    /// Delivery URL.
    pub url: String,
    /// Secret token (GitLab never returns it).
    pub token: Option<String>,
    /// Push events.
    pub push_events: bool,
    /// Merge request events.
    pub merge_requests_events: bool,
    /// Note events.
    pub note_events: bool,
    /// TLS verification on delivery.
    pub enable_ssl_verification: bool,
}

/// A project.
#[derive(Debug, Clone)]
pub struct Project {
    /// Id.
    pub id: u64,
    /// `group/name`.
    pub path_with_namespace: String,
    /// Default branch.
    pub default_branch: String,
    /// User id → access level.
    pub members: BTreeMap<u64, u32>,
    /// Hooks.
    pub hooks: Vec<Hook>,
    /// Files at the head of the default branch, by path.
    pub files: BTreeMap<String, Vec<u8>>,
    /// The head commit of the default branch (changes with every write).
    pub head_sha: String,
}

/// A fault to inject.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fault {
    /// 429 with a plain-text body and `Retry-After` seconds.
    TooManyRequests {
        /// Seconds.
        retry_after: u64,
    },
    /// 500 with GitLab's JSON error body.
    ServerError,
    /// Answers normally after this many milliseconds.
    Delay(u64),
}

/// Everything the simulator knows.
#[derive(Debug, Default)]
pub struct SimState {
    /// Users by id.
    pub users: BTreeMap<u64, User>,
    /// Token → user id.
    pub tokens: BTreeMap<String, u64>,
    /// Revoked tokens (answer `invalid_token`).
    pub revoked: Vec<String>,
    /// Projects by id.
    pub projects: BTreeMap<u64, Project>,
    /// Pending faults: path prefix, fault, remaining times.
    pub faults: Vec<(String, Fault, u32)>,
    /// Every request seen: method and path with query.
    pub requests: Vec<String>,
    /// Accept hook URLs on loopback and private networks (GitLab refuses
    /// them unless an admin allows local requests).
    pub allow_local_webhooks: bool,
    /// OAuth applications, codes and issued tokens (`oauth.rs`).
    pub oauth: crate::oauth::OAuthState,
    next_id: u64,
}

impl SimState {
    fn next_id(&mut self) -> u64 {
        self.next_id += 1;
        self.next_id
    }

    /// Adds a user; returns a token.
    pub fn add_user(&mut self, username: &str, admin: bool) -> String {
        let id = self.next_id();
        self.users.insert(id, User { id, username: username.to_owned(), admin });
        let token = format!("glpat-sim{id:012}{}", username.len());
        self.tokens.insert(token.clone(), id);
        token
    }

    /// Adds a project; returns its id.
    pub fn add_project(
        &mut self,
        path: &str,
        default_branch: &str,
        members: &[(&str, u32)],
    ) -> u64 {
        let id = self.next_id();
        let members = members
            .iter()
            .filter_map(|(name, level)| {
                self.users
                    .values()
                    .find(|user| user.username == *name)
                    .map(|user| (user.id, *level))
            })
            .collect();
        let project = Project {
            id,
            path_with_namespace: path.to_owned(),
            default_branch: default_branch.to_owned(),
            members,
            hooks: Vec::new(),
            files: BTreeMap::new(),
            head_sha: format!("{:040x}", id),
        };
        self.projects.insert(id, project);
        id
    }

    /// Writes a file on the default branch of `project` (a new commit).
    pub fn write_file(&mut self, project: u64, path: &str, content: &[u8]) {
        let commit = self.next_id();
        if let Some(project) = self.projects.get_mut(&project) {
            project.files.insert(path.to_owned(), content.to_vec());
            project.head_sha =
                format!("{:040x}", u128::from(commit) << 64 | u128::from(project.id));
        }
    }

    /// Takes the fault for `path`, if one is pending.
    pub(crate) fn take_fault(&mut self, path: &str) -> Option<Fault> {
        let index = self
            .faults
            .iter()
            .position(|(prefix, _, times)| *times > 0 && path.starts_with(prefix.as_str()))?;
        let entry = &mut self.faults[index];
        entry.2 -= 1;
        let fault = entry.1.clone();
        if entry.2 == 0 {
            self.faults.remove(index);
        }
        Some(fault)
    }

    /// A new hook id.
    pub(crate) fn new_hook_id(&mut self) -> u64 {
        self.next_id()
    }
}
