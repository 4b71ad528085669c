//! `gitlab-sim`: an in-process simulator of the part of GitLab
//! Self-Managed's REST API v4 that Vigil uses, for tests and demos. No real
//! GitLab can run where Vigil is tested, so this crate reproduces GitLab's
//! observable behaviour as documented (../shared/fixtures/gitlab and its
//! BEHAVIOUR.md): response shapes, pagination headers (offset and keyset),
//! error bodies, authentication failures, and faults on demand (429 with
//! Retry-After, 500, slow answers).
//!
//! **Architecture invariant:** never used by production code paths.
//!
//! ```no_run
//! # async fn demo() {
//! let sim = gitlab_sim::Simulator::start().await.unwrap();
//! let token = sim.add_user("alice", false);
//! sim.add_project("group/app", "main", &[("alice", gitlab_sim::MAINTAINER)]);
//! // point a client at sim.base_url() with `Authorization: Bearer {token}`
//! # }
//! ```
#![deny(missing_docs)]

mod api;
mod oauth;
mod state;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};

pub use oauth::{OAuthApplication, OAuthState, consent_form_fields};
pub use state::{DEVELOPER, Fault, Hook, MAINTAINER, OWNER, Project, REPORTER, SimState, User};

/// A failure to start the simulator.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SimError {
    /// No loopback port could be bound.
    #[error("cannot bind the simulator's port: {0}")]
    Bind(#[from] std::io::Error),
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
        let router = api::router(Arc::clone(&state), format!("http://{address}"));
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

    /// Makes the next `times` requests whose path starts with `path_prefix`
    /// fail with `fault`.
    pub fn inject(&self, path_prefix: &str, fault: Fault, times: u32) {
        self.state().faults.push((path_prefix.to_owned(), fault, times));
    }
}
