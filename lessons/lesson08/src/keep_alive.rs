//! Keep-alive comments: bytes for a proxy to see when there is nothing to say.
//!
//! nginx ends a proxied response when the upstream sends nothing for `proxy_read_timeout`
//! (default 60 s); load balancers do the same (AWS ALB: 60 s idle timeout). A quiet event stream
//! would be cut, and every browser would reconnect at once. A comment line (`: keep-alive`) is
//! ignored by `EventSource` but is traffic for the proxy. The rule: the keep-alive period must
//! be well below the shortest idle timeout on the way (lessons/lesson08/README.md, test 2 shows
//! both sides).

use std::pin::Pin;
use std::time::Duration;

use bytes::Bytes;
use futures::{Stream, StreamExt};

/// The period when `KEEP_ALIVE_MS` is not set: a quarter of nginx's default 60 s timeout.
pub const DEFAULT_MS: u64 = 15_000;

/// `KEEP_ALIVE_MS`: milliseconds of silence before a comment, `0` for none at all (to see a
/// proxy cut a quiet stream), at most an hour. `None` means off.
pub fn from_env() -> Option<Duration> {
    let ms = startup::settings::whole_number("KEEP_ALIVE_MS", 0..=3_600_000, DEFAULT_MS);
    (ms > 0).then(|| Duration::from_millis(ms))
}

/// `frames`, with `comment` sent whenever nothing was sent for `period` (never when `period` is
/// `None`). The clock restarts after every frame, so a busy stream carries no comments.
pub fn with_keep_alive<S>(
    frames: S,
    period: Option<Duration>,
    comment: Bytes,
) -> impl Stream<Item = Bytes> + Send + 'static
where
    S: Stream<Item = Bytes> + Send + 'static,
{
    let frames: Pin<Box<S>> = Box::pin(frames);
    futures::stream::unfold(frames, move |mut frames| {
        let comment = comment.clone();
        async move {
            let Some(period) = period else {
                return frames.next().await.map(|frame| (frame, frames));
            };
            tokio::select! {
                frame = frames.next() => frame.map(|frame| (frame, frames)),
                () = tokio::time::sleep(period) => Some((comment, frames)),
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_comment_fills_each_silence_and_a_frame_restarts_the_clock() {
        let (send, receive) = tokio::sync::mpsc::unbounded_channel::<Bytes>();
        let frames = tokio_stream_from(receive);
        let comment = Bytes::from_static(b": keep-alive\n\n");
        let mut stream = Box::pin(with_keep_alive(
            frames,
            Some(Duration::from_millis(50)),
            comment,
        ));
        let start = tokio::time::Instant::now();
        assert_eq!(
            stream.next().await.as_deref(),
            Some(&b": keep-alive\n\n"[..])
        );
        assert!(start.elapsed() >= Duration::from_millis(50));
        send.send(Bytes::from_static(b"data: x\n\n")).unwrap();
        assert_eq!(stream.next().await.as_deref(), Some(&b"data: x\n\n"[..]));
        drop(send);
        assert_eq!(stream.next().await, None);
    }

    fn tokio_stream_from(
        mut receive: tokio::sync::mpsc::UnboundedReceiver<Bytes>,
    ) -> impl Stream<Item = Bytes> + Send + 'static {
        futures::stream::poll_fn(move |cx| receive.poll_recv(cx))
    }
}
