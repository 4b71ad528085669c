//! Password guessing: failed sign-ins are counted per account and per
//! client address; past a few free failures each key is blocked for a
//! time that doubles with every further failure (up to 15 minutes), and a
//! blocked key is answered 429 with `Retry-After` before any password is
//! checked. Password hashing runs on two threads of its own, so a burst of
//! sign-ins can neither stall the async threads that serve everything else
//! nor spread argon2's 19 MiB blocks over many threads' allocator arenas
//! (on tokio's blocking pool 64 concurrent sign-ins left 360 MB resident).

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::sync::oneshot;

use crate::error::AppError;

/// Failures an account gets before it is throttled.
pub const ACCOUNT_FREE_FAILURES: u32 = 5;
/// Failures a client address gets (over any accounts) before it is.
pub const ADDRESS_FREE_FAILURES: u32 = 20;
/// The longest block.
pub const MAX_BLOCK: Duration = Duration::from_secs(15 * 60);
/// Failures older than this are forgotten.
const FORGET_AFTER: Duration = Duration::from_secs(15 * 60);
/// Keys remembered at most; the stalest are dropped past it.
const MAX_KEYS: usize = 100_000;
/// Threads computing password hashes.
const HASHING_THREADS: usize = 2;
/// Hashes waiting for a thread at most; more are answered 503.
const HASHING_QUEUE: usize = 256;

/// A unit of hashing work.
type HashJob = Box<dyn FnOnce() + Send>;

/// The hashing threads' inbox, started on first use.
fn hashing_queue() -> Option<&'static std::sync::mpsc::SyncSender<HashJob>> {
    static QUEUE: std::sync::OnceLock<Option<std::sync::mpsc::SyncSender<HashJob>>> =
        std::sync::OnceLock::new();
    QUEUE
        .get_or_init(|| {
            let (sender, receiver) = std::sync::mpsc::sync_channel::<HashJob>(HASHING_QUEUE);
            let receiver = Arc::new(Mutex::new(receiver));
            for n in 0..HASHING_THREADS {
                let receiver = Arc::clone(&receiver);
                let spawned =
                    std::thread::Builder::new().name(format!("vigil-hash-{n}")).spawn(move || {
                        loop {
                            let job = match receiver.lock() {
                                Ok(receiver) => receiver.recv(),
                                Err(_) => return,
                            };
                            match job {
                                Ok(job) => job(),
                                Err(_) => return,
                            }
                        }
                    });
                if spawned.is_err() {
                    return None;
                }
            }
            Some(sender)
        })
        .as_ref()
}

/// Runs `work` on a hashing thread and awaits its result.
async fn on_hashing_thread<T: Send + 'static>(
    work: impl FnOnce() -> T + Send + 'static,
) -> Result<T, AppError> {
    let busy = || AppError::unavailable("too many sign-ins at once; try again in a moment", 2);
    let queue = hashing_queue().ok_or_else(busy)?;
    let (reply, answer) = oneshot::channel();
    queue
        .try_send(Box::new(move || {
            let _ = reply.send(work());
        }))
        .map_err(|_| busy())?;
    answer.await.map_err(|_| busy())
}

/// The caller's IP address when the server knows it (the TCP peer; behind
/// a proxy, the proxy's).
#[derive(Debug, Clone, Copy)]
pub struct ClientAddress(pub Option<IpAddr>);

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for ClientAddress {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        _state: &S,
    ) -> Result<Self, Self::Rejection> {
        let peer = parts.extensions.get::<axum::extract::ConnectInfo<std::net::SocketAddr>>();
        Ok(ClientAddress(peer.map(|info| info.0.ip())))
    }
}

#[derive(Debug, Clone, Copy)]
struct Strikes {
    failures: u32,
    last: Instant,
    blocked_until: Instant,
}

/// Counts failed sign-ins and runs password hashing.
#[derive(Debug, Clone, Default)]
pub(crate) struct SignInThrottle {
    strikes: Arc<Mutex<HashMap<String, Strikes>>>,
}

/// The keys one sign-in attempt counts against, with their free failures.
fn keys(username: &str, address: Option<IpAddr>) -> [(String, u32); 2] {
    let address = address.map_or_else(|| "unknown".to_owned(), |ip| ip.to_string());
    [
        (format!("account:{}", username.trim().to_lowercase()), ACCOUNT_FREE_FAILURES),
        (format!("address:{address}"), ADDRESS_FREE_FAILURES),
    ]
}

impl SignInThrottle {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Strikes>> {
        // Counters only: a panic elsewhere leaves nothing half-done.
        self.strikes.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Refuses with 429 when the account or the address is blocked.
    pub(crate) fn check(&self, username: &str, address: Option<IpAddr>) -> Result<(), AppError> {
        let now = Instant::now();
        let strikes = self.lock();
        let wait = keys(username, address)
            .iter()
            .filter_map(|(key, _)| strikes.get(key))
            .map(|entry| entry.blocked_until.saturating_duration_since(now))
            .max()
            .unwrap_or_default();
        if wait.is_zero() {
            return Ok(());
        }
        let seconds = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
        Err(AppError::too_many_requests(
            format!("too many failed sign-ins; try again in {seconds} s"),
            seconds,
        ))
    }

    /// Counts a failed attempt against the account and the address.
    pub(crate) fn failed(&self, username: &str, address: Option<IpAddr>) {
        let now = Instant::now();
        let mut strikes = self.lock();
        if strikes.len() >= MAX_KEYS {
            strikes.retain(|_, entry| now.duration_since(entry.last) < FORGET_AFTER);
            if strikes.len() >= MAX_KEYS {
                strikes.clear();
            }
        }
        for (key, free) in keys(username, address) {
            let entry = strikes.entry(key).or_insert(Strikes {
                failures: 0,
                last: now,
                blocked_until: now,
            });
            if now.duration_since(entry.last) >= FORGET_AFTER {
                entry.failures = 0;
            }
            entry.failures += 1;
            entry.last = now;
            if entry.failures > free {
                let doubling = (entry.failures - free - 1).min(20);
                let block = Duration::from_secs(1 << doubling).min(MAX_BLOCK);
                entry.blocked_until = now + block;
            }
        }
    }

    /// A successful sign-in clears the account's failures.
    pub(crate) fn succeeded(&self, username: &str) {
        let [(account, _), _] = keys(username, None);
        self.lock().remove(&account);
    }

    /// Checks `password` against `hash` (or the dummy hash) on a hashing
    /// thread; 503 when too many wait.
    pub(crate) async fn verify(
        &self,
        password: String,
        hash: Option<String>,
    ) -> Result<bool, AppError> {
        on_hashing_thread(move || crate::auth::verify_password(&password, hash.as_deref())).await
    }

    /// Hashes `password` on a hashing thread.
    pub(crate) async fn hash(&self, password: String) -> Result<String, AppError> {
        on_hashing_thread(move || crate::auth::hash_password(&password)).await?
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_account_is_blocked_after_its_free_failures_for_a_doubling_time() {
        let throttle = SignInThrottle::default();
        let address = Some(IpAddr::from([10, 0, 0, 1]));
        for _ in 0..ACCOUNT_FREE_FAILURES {
            assert!(throttle.check("Admin", address).is_ok());
            throttle.failed("admin", address);
        }
        assert!(throttle.check("admin", address).is_ok(), "the free failures are free");
        throttle.failed("admin", address);
        let error = throttle.check("ADMIN ", Some(IpAddr::from([10, 0, 0, 2]))).unwrap_err();
        assert_eq!(error.status(), axum::http::StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(error.to_string(), "too many failed sign-ins; try again in 1 s");
        throttle.failed("admin", address);
        assert_eq!(
            throttle.check("admin", address).unwrap_err().to_string(),
            "too many failed sign-ins; try again in 2 s"
        );
        // Another account from another address is not affected.
        assert!(throttle.check("alice", Some(IpAddr::from([10, 0, 0, 3]))).is_ok());
        throttle.succeeded("admin");
        assert!(throttle.check("admin", Some(IpAddr::from([10, 0, 0, 4]))).is_ok());
    }

    #[test]
    fn an_address_trying_many_accounts_is_blocked() {
        let throttle = SignInThrottle::default();
        let address = Some(IpAddr::from([10, 0, 0, 9]));
        for n in 0..ADDRESS_FREE_FAILURES + 1 {
            throttle.failed(&format!("user{n}"), address);
        }
        assert!(throttle.check("someone-else", address).is_err());
        assert!(throttle.check("someone-else", Some(IpAddr::from([10, 0, 0, 8]))).is_ok());
    }
}
