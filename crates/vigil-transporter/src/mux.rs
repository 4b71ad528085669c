//! Streams over one connection: a task drives a yamux connection, hands
//! streams the peer opens to an inbound channel and opens streams for
//! whoever holds an [`Opener`]. Dropping the connection's future ends
//! every stream at once; the peer sees its streams reset.

use std::future::{Future, poll_fn};
use std::task::Poll;

use hyper_util::rt::TokioIo;
use tokio::sync::{mpsc, oneshot};
use tokio_util::compat::{Compat, FuturesAsyncReadCompatExt as _};

/// One stream of the tunnel, as a tokio byte stream.
pub type Stream = Compat<yamux::Stream>;

/// Why a stream could not be opened or the connection ended.
#[derive(Debug, thiserror::Error)]
pub enum MuxError {
    /// The connection is gone.
    #[error("the tunnel is closed")]
    Closed,
    /// yamux refused or the connection broke.
    #[error("tunnel: {0}")]
    Yamux(#[from] yamux::ConnectionError),
}

type Reply = oneshot::Sender<Result<yamux::Stream, yamux::ConnectionError>>;

/// Opens streams on one connection; clones share it.
#[derive(Debug, Clone)]
pub struct Opener {
    requests: mpsc::Sender<Reply>,
}

impl Opener {
    /// A new stream to the peer.
    pub async fn open(&self) -> Result<Stream, MuxError> {
        let (reply, answer) = oneshot::channel();
        self.requests.send(reply).await.map_err(|_| MuxError::Closed)?;
        let stream = answer.await.map_err(|_| MuxError::Closed)??;
        Ok(stream.compat())
    }

    /// Whether the connection has ended.
    pub fn is_closed(&self) -> bool {
        self.requests.is_closed()
    }
}

/// Starts multiplexing over `io`. Returns the opener, the streams the peer
/// opens, and the future that drives the connection: it must be polled
/// (spawned) for anything to move, and it ends when the connection does
/// (`Ok` for a clean close) or when every opener and the inbound receiver
/// are dropped (then it closes the connection).
pub fn start<T>(
    io: T,
    mode: yamux::Mode,
) -> (Opener, mpsc::UnboundedReceiver<Stream>, impl Future<Output = Result<(), MuxError>>)
where
    T: futures::AsyncRead + futures::AsyncWrite + Unpin + Send + 'static,
{
    let (requests_tx, mut requests) = mpsc::channel::<Reply>(64);
    let (inbound_tx, inbound) = mpsc::unbounded_channel();
    let mut connection = yamux::Connection::new(io, crate::yamux_config(), mode);
    let driver = async move {
        let mut waiting: Option<Reply> = None;
        let mut openers_gone = false;
        let result = poll_fn(|cx| {
            loop {
                if waiting.is_none() && !openers_gone {
                    match requests.poll_recv(cx) {
                        Poll::Ready(Some(reply)) => waiting = Some(reply),
                        Poll::Ready(None) => openers_gone = true,
                        Poll::Pending => {}
                    }
                }
                let Some(reply) = waiting.take() else { break };
                match connection.poll_new_outbound(cx) {
                    Poll::Ready(result) => {
                        let _ = reply.send(result);
                    }
                    Poll::Pending => {
                        waiting = Some(reply);
                        break;
                    }
                }
            }
            loop {
                match connection.poll_next_inbound(cx) {
                    Poll::Ready(Some(Ok(stream))) => {
                        // Nobody to take it: dropping the stream resets it.
                        let _ = inbound_tx.send(stream.compat());
                    }
                    Poll::Ready(Some(Err(error))) => {
                        return Poll::Ready(Err(MuxError::from(error)));
                    }
                    Poll::Ready(None) => return Poll::Ready(Ok(())),
                    Poll::Pending => break,
                }
            }
            if openers_gone && inbound_tx.is_closed() {
                return Poll::Ready(Ok(()));
            }
            Poll::Pending
        })
        .await;
        if result.is_ok() {
            // Tell the peer, best effort.
            let _ = poll_fn(|cx| connection.poll_close(cx)).await;
        }
        result
    };
    (Opener { requests: requests_tx }, inbound, driver)
}

/// hyper's largest read buffer on a tunnel stream. Streams are futures-io
/// under a compat layer that zero-fills hyper's whole free buffer before
/// every read; a small ceiling keeps that cost near the bytes read.
const STREAM_READ_BUFFER: usize = 64 * 1024;

/// Sends one HTTP request over `stream` and returns the response (its body
/// streams from the peer).
pub(crate) async fn exchange<B>(
    stream: Stream,
    request: http::Request<B>,
) -> Result<http::Response<hyper::body::Incoming>, hyper::Error>
where
    B: http_body::Body<Data = bytes::Bytes> + Send + 'static,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    let (mut sender, connection) = hyper::client::conn::http1::Builder::new()
        .max_buf_size(STREAM_READ_BUFFER)
        .handshake(TokioIo::new(stream))
        .await?;
    tokio::spawn(async move {
        if let Err(error) = connection.await {
            tracing::debug!(%error, "tunnel stream ended early");
        }
    });
    sender.send_request(request).await
}

/// Answers the one HTTP exchange of `stream` with `service`.
pub(crate) async fn serve<S>(stream: Stream, service: S)
where
    S: hyper::service::Service<
            http::Request<hyper::body::Incoming>,
            Response = http::Response<axum::body::Body>,
        >,
    S::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
    S::Future: Send + 'static,
{
    let connection = hyper::server::conn::http1::Builder::new()
        .max_buf_size(STREAM_READ_BUFFER)
        .serve_connection(TokioIo::new(stream), service);
    if let Err(error) = connection.await {
        tracing::debug!(%error, "tunnel stream ended early");
    }
}
