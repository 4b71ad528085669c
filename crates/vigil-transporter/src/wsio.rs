//! A WebSocket as a byte stream: the thin framing layer under yamux.
//! Bytes written are collected into binary messages of up to
//! [`MESSAGE_BYTES`] (sent when full or on flush); binary messages read are
//! handed out as bytes. Pings are answered by tungstenite itself; a close
//! message or the end of the socket reads as end of stream; text messages
//! are a protocol violation.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use bytes::Bytes;
use futures::{Sink, Stream};
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::{Error as WsError, Message};

/// Bytes collected before a message is sent without waiting for a flush.
pub const MESSAGE_BYTES: usize = 256 * 1024;

/// A WebSocket as `futures::io::AsyncRead + AsyncWrite`.
pub struct WsIo<S> {
    ws: WebSocketStream<S>,
    read: Bytes,
    write: Vec<u8>,
}

impl<S> WsIo<S> {
    /// Wraps an open WebSocket.
    pub fn new(ws: WebSocketStream<S>) -> WsIo<S> {
        WsIo { ws, read: Bytes::new(), write: Vec::with_capacity(MESSAGE_BYTES) }
    }
}

fn to_io(error: WsError) -> io::Error {
    match error {
        WsError::Io(error) => error,
        WsError::ConnectionClosed | WsError::AlreadyClosed => {
            io::Error::new(io::ErrorKind::ConnectionAborted, "the WebSocket is closed")
        }
        other => io::Error::new(io::ErrorKind::InvalidData, format!("WebSocket: {other}")),
    }
}

impl<S> WsIo<S>
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
{
    /// Hands the collected bytes to the WebSocket as one message.
    fn poll_send(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        if self.write.is_empty() {
            return Poll::Ready(Ok(()));
        }
        ready!(Pin::new(&mut self.ws).poll_ready(cx)).map_err(to_io)?;
        let message = Message::Binary(Bytes::from(std::mem::replace(
            &mut self.write,
            Vec::with_capacity(MESSAGE_BYTES),
        )));
        Pin::new(&mut self.ws).start_send(message).map_err(to_io)?;
        Poll::Ready(Ok(()))
    }
}

impl<S> futures::io::AsyncRead for WsIo<S>
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
{
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        let this = &mut *self;
        loop {
            if !this.read.is_empty() {
                let n = buf.len().min(this.read.len());
                buf[..n].copy_from_slice(&this.read.split_to(n));
                return Poll::Ready(Ok(n));
            }
            match ready!(Pin::new(&mut this.ws).poll_next(cx)) {
                Some(Ok(Message::Binary(data))) => this.read = data,
                Some(Ok(Message::Ping(_) | Message::Pong(_) | Message::Frame(_))) => {}
                Some(Ok(Message::Text(_))) => {
                    return Poll::Ready(Err(io::Error::new(
                        io::ErrorKind::InvalidData,
                        "the peer sent a text message; the tunnel carries binary messages only",
                    )));
                }
                Some(Ok(Message::Close(_))) | None => return Poll::Ready(Ok(0)),
                Some(Err(error)) => return Poll::Ready(Err(to_io(error))),
            }
        }
    }
}

impl<S> futures::io::AsyncWrite for WsIo<S>
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
{
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = &mut *self;
        if this.write.len() >= MESSAGE_BYTES {
            ready!(this.poll_send(cx))?;
        }
        let n = buf.len().min(MESSAGE_BYTES - this.write.len());
        this.write.extend_from_slice(&buf[..n]);
        Poll::Ready(Ok(n))
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = &mut *self;
        ready!(this.poll_send(cx))?;
        Pin::new(&mut this.ws).poll_flush(cx).map_err(to_io)
    }

    fn poll_close(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = &mut *self;
        ready!(this.poll_send(cx))?;
        Pin::new(&mut this.ws).poll_close(cx).map_err(to_io)
    }
}
