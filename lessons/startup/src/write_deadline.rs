//! A connection whose writes must make progress within a deadline (`WRITE_TIMEOUT_MS`,
//! lesson07's slow clients).

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::time::Sleep;

/// A connection (`io`) whose writes must make progress within `limit` (`WRITE_TIMEOUT_MS`).
///
/// Why around the socket, and not a timer in the event stream? hyper asks the event stream for
/// its next frame only when it has room to write it. When a client stops reading, its TCP window
/// fills, the socket takes no more bytes, hyper stops asking, and a timer inside the stream would
/// never be looked at again. The one place that sees a write that cannot proceed is the socket
/// itself: `poll_write` answers `Pending`. So this wrapper starts a timer at the first `Pending`
/// and clears it at the next write that goes through. If the timer runs out first, the write
/// fails with `TimedOut`; hyper closes the connection and drops the response, and with it the
/// client's event stream, its queue and its place in the fan-out (lesson07's `clients.rs`). A client on a
/// slow network is not cut: each write that goes through restarts its clock.
pub struct WriteDeadline<IO> {
    io: IO,
    limit: Duration,
    peer: SocketAddr,
    /// Running while the socket takes no bytes; `None` while writes go through.
    stalled: Option<Pin<Box<Sleep>>>,
}

impl<IO> WriteDeadline<IO> {
    pub fn new(io: IO, limit: Duration, peer: SocketAddr) -> WriteDeadline<IO> {
        WriteDeadline {
            io,
            limit,
            peer,
            stalled: None,
        }
    }

    /// Passes on what a write returned, minding the clock: `Pending` starts it (or checks it),
    /// anything else stops it.
    fn watch<T>(
        &mut self,
        cx: &mut Context<'_>,
        polled: Poll<io::Result<T>>,
    ) -> Poll<io::Result<T>> {
        if polled.is_ready() {
            self.stalled = None;
            return polled;
        }
        let (limit, peer) = (self.limit, self.peer);
        let timer = self.stalled.get_or_insert_with(|| {
            tracing::debug!(%peer, "the client takes no more bytes: its write deadline starts");
            Box::pin(tokio::time::sleep(limit))
        });
        // Polling the timer asks tokio to wake this connection when it runs out: hyper then
        // tries to write again, and gets the error below.
        if timer.as_mut().poll(cx).is_pending() {
            return Poll::Pending;
        }
        tracing::info!(
            %peer,
            write_timeout_ms = limit.as_millis() as u64,
            "a client took no bytes for WRITE_TIMEOUT_MS: closing its connection"
        );
        Poll::Ready(Err(io::Error::new(
            io::ErrorKind::TimedOut,
            "the client took no bytes for WRITE_TIMEOUT_MS",
        )))
    }
}

impl<IO: AsyncWrite + Unpin> AsyncWrite for WriteDeadline<IO> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let polled = Pin::new(&mut this.io).poll_write(cx, buf);
        this.watch(cx, polled)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let polled = Pin::new(&mut this.io).poll_write_vectored(cx, bufs);
        this.watch(cx, polled)
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }

    /// Passed on without touching the clock: a TCP socket's flush is ready at once (the kernel
    /// sends what it has), so it says nothing about whether the client takes bytes.
    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().io).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().io).poll_shutdown(cx)
    }
}

/// Reading is passed on unchanged (`HEADER_READ_TIMEOUT_MS` bounds the wait for a request).
impl<IO: AsyncRead + Unpin> AsyncRead for WriteDeadline<IO> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().io).poll_read(cx, buf)
    }
}
