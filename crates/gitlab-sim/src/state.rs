//! The simulator's world: users with tokens, projects with members,
//! hooks, a git repository, merge requests and commit statuses, pending
//! faults, and logs of requests and hook deliveries for assertions. It
//! never does I/O: hook deliveries leave through the outbox channel.

use std::collections::BTreeMap;

use serde_json::Value;
use tokio::sync::mpsc::UnboundedSender;

use crate::git::Repository;
use crate::merge_requests::MergeRequest;
use crate::webhooks::{Delivery, Outgoing};

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
    /// Commits and branches.
    pub repository: Repository,
    /// Merge requests by iid.
    pub merge_requests: BTreeMap<u64, MergeRequest>,
    /// Commit statuses, oldest first.
    pub statuses: Vec<CommitStatus>,
}

impl Project {
    /// The head sha of the default branch.
    pub fn head_sha(&self) -> Option<&str> {
        self.repository.branches.get(&self.default_branch).map(String::as_str)
    }

    /// The files at the head of the default branch.
    pub fn files(&self) -> Option<&crate::git::Tree> {
        self.repository.resolve(&self.default_branch).map(|commit| &commit.tree)
    }
}

/// A commit status (an external CI job's state on a commit).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommitStatus {
    /// Id.
    pub id: u64,
    /// The commit.
    pub sha: String,
    /// Branch or tag, if given.
    pub ref_name: Option<String>,
    /// Job name (`default` unless given).
    pub name: String,
    /// pending, running, success, failed, canceled or skipped.
    pub status: String,
    /// Description.
    pub description: Option<String>,
    /// Link to the job.
    pub target_url: Option<String>,
    /// Who set it.
    pub author_id: u64,
    /// When.
    pub created_at: String,
}

/// A fault to inject.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fault {
    /// 429 with a plain-text body and `Retry-After` seconds.
    TooManyRequests {
        /// Seconds.
        retry_after: u64,
    },
    /// 429 without `Retry-After` (a throttle in front of GitLab that does
    /// not say how long to wait).
    TooManyRequestsUnsaid,
    /// 500 with GitLab's JSON error body.
    ServerError,
    /// Answers normally after this many milliseconds.
    Delay(u64),
    /// Answers normally, but sends the body in `pieces` parts with
    /// `pause_ms` before each after the first (a slow link, or GitLab
    /// producing an archive as it sends it).
    Trickle {
        /// Parts of the body.
        pieces: u32,
        /// Milliseconds between two parts.
        pause_ms: u64,
    },
    /// Answers normally with `RateLimit-Remaining: 0` and `RateLimit-Reset`
    /// this many seconds ahead: the quota is used up (GitLab's throttles
    /// that send these headers).
    QuotaExhausted {
        /// Seconds until the quota resets.
        reset_in: u64,
    },
    /// A hostile answer: `status` with a body of `bytes` spaces, generated
    /// as it is sent (never held), `Content-Length` declared or not, in
    /// parts of `part_bytes` with `pause_ms` between them (an endless, slow
    /// error body).
    Oversized {
        /// HTTP status.
        status: u16,
        /// Body size.
        bytes: u64,
        /// Send `Content-Length`.
        declared: bool,
        /// Bytes per part.
        part_bytes: u64,
        /// Milliseconds between two parts.
        pause_ms: u64,
    },
    /// Answers `status` with this JSON body instead of the real answer.
    Answer {
        /// HTTP status.
        status: u16,
        /// The body.
        body: String,
    },
    /// Answers normally, with `Link: <url>; rel="next"` (a next page on
    /// another host, say).
    NextLink(String),
}

/// Everything the simulator knows.
#[derive(Debug, Default)]
pub struct SimState {
    /// Users by id.
    pub users: BTreeMap<u64, User>,
    /// System hooks (instance-wide, added by administrators).
    pub system_hooks: Vec<Hook>,
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
    /// Every hook delivery made, in order, with the answer.
    pub deliveries: Vec<Delivery>,
    /// Where hook deliveries are queued for the delivery task.
    pub(crate) outbox: Option<UnboundedSender<Outgoing>>,
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
            repository: Repository::default(),
            merge_requests: BTreeMap::new(),
            statuses: Vec::new(),
        };
        self.projects.insert(id, project);
        crate::system_hooks::fire_project_create(self, id);
        // GitLab projects created with a README have one commit; an empty
        // initial commit gives the default branch a head without files.
        let now = now();
        if let Some(project) = self.projects.get_mut(&id) {
            project.repository.commit(
                default_branch,
                None,
                &[],
                "Initial commit",
                ("Administrator", "admin@example.com"),
                &now,
            );
        }
        id
    }

    /// Writes a file on the default branch of `project` (a new commit). A
    /// seeding shortcut: no hook fires (use `Simulator::commit` for that).
    pub fn write_file(&mut self, project: u64, path: &str, content: &[u8]) {
        let now = now();
        if let Some(project) = self.projects.get_mut(&project) {
            let parent = project.head_sha().map(str::to_owned);
            project.repository.commit(
                &project.default_branch.clone(),
                parent.as_deref(),
                &[(path, Some(content))],
                &format!("Update {path}"),
                ("Administrator", "admin@example.com"),
                &now,
            );
        }
    }

    /// A fresh id (users, projects, hooks, merge requests, notes, statuses
    /// share one sequence, which keeps ids unique across kinds).
    pub(crate) fn fresh_id(&mut self) -> u64 {
        self.next_id()
    }

    /// Queues a hook delivery of `event` (`Push Hook`, …) with `body` to
    /// every hook of `project` subscribed to it.
    pub(crate) fn fire_hooks(&mut self, project: u64, event: &'static str, body: &Value) {
        let Some(stored) = self.projects.get(&project) else {
            return;
        };
        let hooks: Vec<Hook> = stored
            .hooks
            .iter()
            .filter(|hook| match event {
                "Push Hook" => hook.push_events,
                "Merge Request Hook" => hook.merge_requests_events,
                "Note Hook" => hook.note_events,
                _ => false,
            })
            .cloned()
            .collect();
        // One event shares its X-Gitlab-Event-UUID across hooks.
        let event_uuid = self.uuid();
        for hook in hooks {
            let outgoing = Outgoing {
                project,
                url: hook.url.clone(),
                token: hook.token.clone(),
                event,
                body: body.clone(),
                event_uuid: event_uuid.clone(),
                webhook_uuid: self.uuid(),
                idempotency_key: self.uuid(),
            };
            if let Some(outbox) = &self.outbox {
                let _ = outbox.send(outgoing);
            }
        }
    }

    /// A UUID-shaped unique string (version 4 layout, not random).
    pub(crate) fn uuid(&mut self) -> String {
        let n = self.next_id();
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|elapsed| elapsed.subsec_nanos())
            .unwrap_or(0);
        format!(
            "{nanos:08x}-{:04x}-4{:03x}-8{:03x}-{:012x}",
            n >> 48 & 0xffff,
            n >> 36 & 0xfff,
            n >> 24 & 0xfff,
            n & 0xff_ffff_ffff
        )
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

/// Now, as GitLab writes API timestamps: `2016-01-19T09:05:50.355Z`.
pub(crate) fn now() -> String {
    format!("{:.3}", jiff::Timestamp::now())
}
