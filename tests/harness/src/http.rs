//! A raw HTTP/1.1 client over TCP, so tests see exactly the bytes a server writes.
//!
//! It reads the status line and headers, then the body incrementally: chunk by chunk for
//! `Transfer-Encoding: chunked`, or up to `Content-Length`. Every read has a deadline, and a
//! failure message shows what did arrive.

use std::net::SocketAddr;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;
use tokio::time::{timeout, Instant};

use crate::{show, DEADLINE};

/// A response whose head has been read and whose body is read on demand.
pub struct Response {
    /// The whole status line without CRLF, e.g. `HTTP/1.1 200 OK`.
    pub status_line: String,
    /// The status code from the status line.
    pub status: u16,
    /// Header lines in the order received, names lower-cased, values as sent.
    pub headers: Vec<(String, String)>,
    reader: BufReader<TcpStream>,
    framing: Framing,
    /// Decoded body bytes received but not yet taken by a `read_*` call.
    pending: Vec<u8>,
    /// Every decoded body byte received so far (for failure messages).
    seen: Vec<u8>,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Framing {
    Chunked,
    Length(usize),
    UntilClose,
    Ended,
}

/// Connects to `addr` and sends `GET path` with `extra` header lines (e.g. `("Last-Event-ID", "7")`).
pub async fn get(addr: SocketAddr, path: &str, extra: &[(&str, &str)]) -> Response {
    let mut request = format!("GET {path} HTTP/1.1\r\nHost: {addr}\r\nAccept: */*\r\n");
    for (name, value) in extra {
        request.push_str(&format!("{name}: {value}\r\n"));
    }
    request.push_str("\r\n");
    send(addr, request.as_bytes()).await
}

/// Connects to `addr`, writes `request` as is, and reads the response head.
pub async fn send(addr: SocketAddr, request: &[u8]) -> Response {
    let mut stream = timeout(DEADLINE, TcpStream::connect(addr))
        .await
        .unwrap_or_else(|_| panic!("connecting to {addr} timed out"))
        .unwrap_or_else(|e| panic!("connecting to {addr}: {e}"));
    stream
        .write_all(request)
        .await
        .expect("writing the request");
    let mut reader = BufReader::new(stream);

    let status_line = read_line(&mut reader).await;
    let status = status_line
        .split(' ')
        .nth(1)
        .and_then(|code| code.parse().ok())
        .unwrap_or_else(|| panic!("not an HTTP status line: {status_line:?}"));
    let mut headers = Vec::new();
    loop {
        let line = read_line(&mut reader).await;
        if line.is_empty() {
            break;
        }
        let (name, value) = line
            .split_once(':')
            .unwrap_or_else(|| panic!("not a header line: {line:?}"));
        headers.push((name.to_ascii_lowercase(), value.trim().to_owned()));
    }

    let find = |name: &str| {
        headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    };
    let framing = if find("transfer-encoding").is_some_and(|v| v.eq_ignore_ascii_case("chunked")) {
        Framing::Chunked
    } else if let Some(length) = find("content-length") {
        Framing::Length(length.parse().expect("content-length is a number"))
    } else {
        Framing::UntilClose
    };

    Response {
        status_line,
        status,
        headers,
        reader,
        framing,
        pending: Vec::new(),
        seen: Vec::new(),
    }
}

/// Reads one CRLF-terminated line of the head, without the CRLF.
async fn read_line(reader: &mut BufReader<TcpStream>) -> String {
    let mut line = Vec::new();
    let read = timeout(DEADLINE, reader.read_until(b'\n', &mut line)).await;
    match read {
        Ok(Ok(n)) if n > 0 && line.ends_with(b"\r\n") => {
            line.truncate(line.len() - 2);
            String::from_utf8(line).expect("the response head is UTF-8")
        }
        other => panic!("expected a CRLF line, got {other:?} with {:?}", show(&line)),
    }
}

impl Response {
    /// The value of header `name` (case-insensitive). Panics if it appears more than once.
    pub fn header(&self, name: &str) -> Option<&str> {
        let name = name.to_ascii_lowercase();
        let mut values = self.headers.iter().filter(|(n, _)| *n == name);
        let first = values.next().map(|(_, v)| v.as_str());
        assert!(
            values.next().is_none(),
            "header {name} appears more than once"
        );
        first
    }

    /// Asserts the head every event stream here starts with: `200 OK`, `Content-Type:
    /// text/event-stream`, `Cache-Control: no-cache`, and a chunked body (it has no end).
    /// Headers that differ between servers (`Connection`, ...) are the caller's to check.
    #[track_caller]
    pub fn assert_event_stream_head(&self) {
        assert_eq!(self.status_line, "HTTP/1.1 200 OK");
        assert_eq!(self.header("content-type"), Some("text/event-stream"));
        assert_eq!(self.header("cache-control"), Some("no-cache"));
        assert_eq!(self.header("transfer-encoding"), Some("chunked"));
    }

    /// Reads exactly `expected.len()` body bytes within `within` and asserts they are `expected`.
    pub async fn expect_body_within(&mut self, expected: &[u8], within: Duration) {
        let got = self.read_exact_within(expected.len(), within).await;
        assert!(
            got == expected,
            "body bytes differ\nexpected: {}\nreceived: {}",
            show(expected),
            show(&got)
        );
    }

    /// [`Response::expect_body_within`] with the default [`DEADLINE`].
    pub async fn expect_body(&mut self, expected: &[u8]) {
        self.expect_body_within(expected, DEADLINE).await;
    }

    /// Reads one SSE frame: everything up to and including the first blank line (`\n\n`).
    /// (The lessons end lines with `\n`; the harness does not accept other endings here.)
    pub async fn next_frame(&mut self) -> String {
        let deadline = Instant::now() + DEADLINE;
        loop {
            if let Some(end) = self.pending.windows(2).position(|w| w == b"\n\n") {
                let frame: Vec<u8> = self.pending.drain(..end + 2).collect();
                return String::from_utf8(frame).expect("frames are UTF-8");
            }
            if !self.fill(deadline).await {
                panic!(
                    "the stream ended in the middle of a frame; body so far: {}",
                    show(&self.seen)
                );
            }
        }
    }

    /// Reads exactly `n` body bytes, failing after `within`.
    pub async fn read_exact_within(&mut self, n: usize, within: Duration) -> Vec<u8> {
        let deadline = Instant::now() + within;
        while self.pending.len() < n {
            if !self.fill(deadline).await {
                panic!("the body ended after {}", show(&self.seen));
            }
        }
        self.pending.drain(..n).collect()
    }

    /// Reads the body to its end (for bodies that have one, such as `/stats`).
    pub async fn read_to_end(&mut self) -> Vec<u8> {
        let deadline = Instant::now() + DEADLINE;
        while self.fill(deadline).await {}
        std::mem::take(&mut self.pending)
    }

    /// Asserts that during `window` nothing more arrives and the server does not close the
    /// connection. This is an observation window, not synchronisation: proving that something does
    /// *not* happen needs a stretch of time in which it could have.
    pub async fn assert_open_and_quiet_for(&mut self, window: Duration) {
        assert!(
            self.pending.is_empty(),
            "unread bytes: {}",
            show(&self.pending)
        );
        let result = timeout(window, self.fill(Instant::now() + window * 2)).await;
        match result {
            Err(_) => {} // nothing happened for the whole window: the stream is open and quiet
            Ok(true) => panic!("unexpected bytes: {}", show(&self.pending)),
            Ok(false) => panic!(
                "the server ended the response; body was {}",
                show(&self.seen)
            ),
        }
    }

    /// Waits until the server closes the connection (with or without finishing the body).
    pub async fn expect_closed(&mut self) {
        let closed = timeout(DEADLINE, async {
            let mut buf = [0u8; 1024];
            loop {
                match self.reader.read(&mut buf).await {
                    Ok(0) | Err(_) => return,
                    Ok(_) => {}
                }
            }
        })
        .await;
        assert!(closed.is_ok(), "the server did not close the connection");
    }

    /// Everything received in the body so far, including bytes already taken.
    pub fn body_so_far(&self) -> &[u8] {
        &self.seen
    }

    /// Reads the next piece of the body into `pending`. Returns false at the end of the body.
    async fn fill(&mut self, deadline: Instant) -> bool {
        let result = tokio::time::timeout_at(deadline, self.fill_once()).await;
        match result {
            Ok(more) => more,
            Err(_) => panic!(
                "timed out waiting for body bytes; unread: {}; whole body so far: {}",
                show(&self.pending),
                show(&self.seen)
            ),
        }
    }

    async fn fill_once(&mut self) -> bool {
        let before = self.pending.len();
        match self.framing {
            Framing::Ended => return false,
            Framing::Length(0) => {
                self.framing = Framing::Ended;
                return false;
            }
            Framing::Length(left) => {
                let mut buf = vec![0; left.min(64 * 1024)];
                let n = self.reader.read(&mut buf).await.expect("reading the body");
                assert!(
                    n > 0,
                    "connection closed {left} bytes before Content-Length"
                );
                self.pending.extend_from_slice(&buf[..n]);
                self.framing = Framing::Length(left - n);
            }
            Framing::UntilClose => {
                let mut buf = vec![0; 64 * 1024];
                let n = self.reader.read(&mut buf).await.expect("reading the body");
                if n == 0 {
                    self.framing = Framing::Ended;
                    return false;
                }
                self.pending.extend_from_slice(&buf[..n]);
            }
            Framing::Chunked => {
                // chunk = size-in-hex CRLF data CRLF; a size of 0 ends the body.
                let mut size_line = Vec::new();
                let n = self
                    .reader
                    .read_until(b'\n', &mut size_line)
                    .await
                    .expect("chunk size");
                if n == 0 {
                    panic!(
                        "connection closed without the last chunk; body: {}",
                        show(&self.seen)
                    );
                }
                let size_text = String::from_utf8_lossy(&size_line);
                let size_text = size_text.trim_end_matches("\r\n");
                let size = usize::from_str_radix(size_text.split(';').next().unwrap_or(""), 16)
                    .unwrap_or_else(|_| panic!("bad chunk size line {:?}", show(&size_line)));
                let mut data = vec![0; size + 2];
                self.reader.read_exact(&mut data).await.expect("chunk data");
                assert!(data.ends_with(b"\r\n"), "chunk not followed by CRLF");
                if size == 0 {
                    self.framing = Framing::Ended;
                    return false;
                }
                self.pending.extend_from_slice(&data[..size]);
            }
        }
        self.seen.extend_from_slice(&self.pending[before..]);
        true
    }
}
