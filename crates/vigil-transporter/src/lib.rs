//! Vigil's Transporter: reach a GitLab that the Vigil server cannot.
//!
//! An agent inside the closed network ([`agent`]) dials out to the hub in
//! the Vigil server over one WebSocket on port 443 ([`dial`]). The
//! WebSocket carries a byte stream ([`wsio`]) that yamux splits into
//! streams either side can open ([`mux`]); each stream carries exactly one
//! HTTP/1.1 exchange, so requests and bodies stream both ways with
//! per-stream flow control and nothing of this crate parses HTTP itself.
//!
//! - Hub → agent: Vigil's GitLab API calls. The hub ([`hub::Hub`]) picks a
//!   connected agent of the transporter, opens a stream and sends the
//!   request; the agent checks it against the [`allowlist`] and sends it
//!   to its one configured GitLab origin.
//! - Agent → hub: GitLab's webhooks, which GitLab posts to the agent's
//!   listener; the hub serves them with the server's own webhook intake.
//!
//! Paths under `/_vigil/` are the tunnel's own: `ping` (agent → hub,
//! liveness and round-trip time) and `health` (hub → agent, the agent's
//! checks).
//!
//! Nothing here logs a header value: [`redact`] is the one way headers reach
//! a log line.

pub mod agent;
pub mod allowlist;
pub mod dial;
pub mod hub;
pub mod mux;
pub mod redact;
pub mod wsio;

use std::time::Duration;

pub use agent::{Agent, AgentSettings};
pub use allowlist::Allowlist;
pub use hub::{AgentInfo, Hub, HubError};

/// The WebSocket path the hub serves.
pub const HUB_PATH: &str = "/transporter";
/// The enrolment path: an enrolment token in, a credential out.
pub const ENROL_PATH: &str = "/transporter/enrol";
/// Agent → hub liveness check.
pub const PING_PATH: &str = "/_vigil/ping";
/// Hub → agent health checks.
pub const HEALTH_PATH: &str = "/_vigil/health";

/// Request header with the agent's version.
pub const VERSION_HEADER: &str = "x-vigil-transporter-version";
/// Request header with the GitLab base URL the agent serves.
pub const GITLAB_HEADER: &str = "x-vigil-transporter-gitlab";
/// Request header with the URL GitLab reaches the agent's webhook listener at.
pub const WEBHOOK_URL_HEADER: &str = "x-vigil-transporter-webhook-url";
/// Request header with the agent's id (host name and a random suffix).
pub const AGENT_HEADER: &str = "x-vigil-transporter-agent";

/// Largest WebSocket message or frame either side accepts. The tunnel
/// sends at most [`wsio::MESSAGE_BYTES`] per message; anything larger is
/// a broken or hostile peer and ends the connection.
pub const MAX_MESSAGE_BYTES: usize = 1 << 20;

/// Full jitter: a random wait up to `base × 2^(attempt−1)`, at most `cap`.
pub fn backoff(attempt: u32, base: Duration, cap: Duration) -> Duration {
    use rand::Rng as _;
    let ceiling = base.saturating_mul(1 << attempt.saturating_sub(1).min(16)).min(cap);
    let millis = u64::try_from(ceiling.as_millis()).unwrap_or(u64::MAX).max(1);
    Duration::from_millis(rand::thread_rng().gen_range(0..=millis))
}

/// Streams open at once on one tunnel.
const MAX_STREAMS: usize = 512;

/// The window every stream is guaranteed (yamux's initial credit).
const STREAM_WINDOW: usize = 256 * 1024;

/// Room, shared by all streams of a tunnel, into which a busy stream's
/// window may grow beyond [`STREAM_WINDOW`]. yamux reserves
/// `MAX_STREAMS × STREAM_WINDOW` of the connection's limit for the
/// guaranteed windows; with nothing above that, a download could never
/// have more than 256 KiB in flight and waited for a window update every
/// frame (tunnel downloads 715 → ~1,000 MB/s on loopback with this room).
/// It bounds what one slow reader makes the other end buffer: 16 MiB.
const GROWTH_WINDOW: usize = 16 << 20;

/// The yamux settings of both ends: up to [`MAX_STREAMS`] concurrent
/// streams, each with yamux's auto-tuned window (from [`STREAM_WINDOW`],
/// doubling while the reader keeps up, within [`GROWTH_WINDOW`] shared),
/// sent in frames of 64 KiB, a quarter of the first window, so that
/// several frames are in flight while window updates come back.
pub(crate) fn yamux_config() -> yamux::Config {
    let mut config = yamux::Config::default();
    config.set_max_num_streams(MAX_STREAMS);
    config.set_max_connection_receive_window(Some(MAX_STREAMS * STREAM_WINDOW + GROWTH_WINDOW));
    config.set_split_send_size(64 * 1024);
    config
}

/// WebSocket limits of both ends.
pub(crate) fn websocket_config() -> tokio_tungstenite::tungstenite::protocol::WebSocketConfig {
    tokio_tungstenite::tungstenite::protocol::WebSocketConfig::default()
        // tungstenite zero-fills this much before every socket read: small
        // reads keep that cost proportional to the bytes that arrive.
        .read_buffer_size(16 * 1024)
        .write_buffer_size(wsio::MESSAGE_BYTES)
        .max_message_size(Some(MAX_MESSAGE_BYTES))
        .max_frame_size(Some(MAX_MESSAGE_BYTES))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_stays_under_its_ceiling_and_cap() {
        for attempt in 1..40 {
            let wait = backoff(attempt, Duration::from_millis(100), Duration::from_secs(30));
            assert!(wait <= Duration::from_secs(30), "attempt {attempt}: {wait:?}");
        }
        assert!(
            backoff(1, Duration::from_millis(100), Duration::from_secs(30))
                <= Duration::from_millis(100)
        );
    }
}
