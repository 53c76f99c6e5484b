//! Bad input at the HTTP level, as a table: each row is a raw request a careless user or an
//! attacker could send, and the answer it must get. After every row the server must still answer
//! a normal request, so one bad request never costs anyone else anything.
//!
//! Used by the lesson tests as `mod bad_requests;`: [`check_lesson`] with the rows for the
//! lesson's own routes.

use std::net::SocketAddr;

use harness::{show, Lesson, DEADLINE};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::time::timeout;

/// One bad (or odd) request and the status it must get.
pub struct Row {
    pub what: &'static str,
    pub request: Vec<u8>,
    pub status: u16,
}

pub fn row(what: &'static str, request: impl Into<Vec<u8>>, status: u16) -> Row {
    Row {
        what,
        request: request.into(),
        status,
    }
}

/// Rows that hold for every lesson: the request line, the headers, the size. hyper, the HTTP
/// library under warp, answers most of them before any lesson code runs.
pub fn common_rows() -> Vec<Row> {
    let many_headers: String = (0..150).map(|i| format!("X-{i}: {i}\r\n")).collect();
    let long_path = format!("/{}", "a".repeat(70_000));
    let huge_header = "b".repeat(500_000);
    vec![
        // The request line.
        row(
            "binary garbage",
            b"\x00\x01\x02\xff\xfe\r\n\r\n".to_vec(),
            400,
        ),
        row("no path", "GET  HTTP/1.1\r\nHost: x\r\n\r\n", 400),
        row("no version", "GET /\r\nHost: x\r\n\r\n", 400),
        row(
            "an unknown version",
            "GET / HTTP/7.0\r\nHost: x\r\n\r\n",
            400,
        ),
        row(
            "invalid UTF-8 in the path",
            b"GET /\xff\xfe HTTP/1.1\r\nHost: x\r\n\r\n".to_vec(),
            400,
        ),
        row(
            "a NUL in the path",
            b"GET /s\x00se HTTP/1.1\r\nHost: x\r\n\r\n".to_vec(),
            400,
        ),
        row(
            "a CR in the path",
            "GET /s\rse HTTP/1.1\r\nHost: x\r\n\r\n",
            400,
        ),
        row(
            "a path of 70,000 characters",
            format!("GET {long_path} HTTP/1.1\r\nHost: x\r\n\r\n"),
            414,
        ),
        // Paths that are well-formed HTTP but name nothing here.
        row(
            "an unknown path",
            "GET /nope HTTP/1.1\r\nHost: x\r\n\r\n",
            404,
        ),
        row(
            "percent-encoded invalid UTF-8",
            "GET /%FF%FE HTTP/1.1\r\nHost: x\r\n\r\n",
            404,
        ),
        row(
            "percent-encoded NUL, CR, LF",
            "GET /sse%00%0D%0A HTTP/1.1\r\nHost: x\r\n\r\n",
            404,
        ),
        row(
            "dot segments",
            "GET /../../etc/passwd HTTP/1.1\r\nHost: x\r\n\r\n",
            404,
        ),
        // Methods.
        row(
            "POST",
            "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n",
            405,
        ),
        row("DELETE", "DELETE /sse HTTP/1.1\r\nHost: x\r\n\r\n", 405),
        row(
            "a made-up method",
            "BREW / HTTP/1.1\r\nHost: x\r\n\r\n",
            405,
        ),
        row(
            "a NUL in the method",
            b"G\x00T / HTTP/1.1\r\nHost: x\r\n\r\n".to_vec(),
            400,
        ),
        // Headers.
        row(
            "a header without a colon",
            "GET / HTTP/1.1\r\nHost: x\r\nnonsense\r\n\r\n",
            400,
        ),
        row(
            "a NUL in a header value",
            b"GET / HTTP/1.1\r\nHost: x\r\nX-A: a\x00b\r\n\r\n".to_vec(),
            400,
        ),
        row(
            "a lone CR in a header value",
            "GET / HTTP/1.1\r\nHost: x\r\nX-A: a\rb\r\n\r\n",
            400,
        ),
        row(
            "a header name with a space",
            "GET / HTTP/1.1\r\nHost: x\r\nX A: b\r\n\r\n",
            400,
        ),
        row(
            "150 headers (hyper accepts 100)",
            format!("GET / HTTP/1.1\r\nHost: x\r\n{many_headers}\r\n"),
            431,
        ),
        row(
            "a header of 500,000 bytes (hyper buffers about 400 KiB)",
            format!("GET / HTTP/1.1\r\nHost: x\r\nX-Big: {huge_header}\r\n\r\n"),
            431,
        ),
        row(
            "a Content-Length that is not a number",
            "GET / HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n",
            400,
        ),
        row(
            "two different Content-Lengths",
            "GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab",
            400,
        ),
    ]
}

/// Starts lesson `name` and checks [`common_rows`] and then the lesson's `own` rows on it.
pub async fn check_lesson(name: &str, own: impl IntoIterator<Item = Row>) {
    let lesson = Lesson::start(name).await;
    let mut rows = common_rows();
    rows.extend(own);
    check(&lesson, &rows).await;
}

/// Sends each row on its own connection, checks its status, then checks that a normal `GET /`
/// is still answered. Every failure is collected, so one run shows the whole table.
pub async fn check(lesson: &Lesson, rows: &[Row]) {
    let mut wrong = Vec::new();
    for row in rows {
        match status_for(lesson.addr(), &row.request).await {
            Ok(status) if status == row.status => {}
            Ok(status) => wrong.push(format!(
                "{}: got {status}, expected {}",
                row.what, row.status
            )),
            Err(why) => wrong.push(format!("{}: {why}, expected {}", row.what, row.status)),
        }
        let mut next = lesson.get("/").await;
        assert_eq!(next.status, 200, "GET / after {:?}", row.what);
        next.read_to_end().await;
    }
    assert!(wrong.is_empty(), "wrong answers:\n{}", wrong.join("\n"));
}

/// Writes `request` as is and returns the status code of the answer. The request is written by
/// its own task, so a server that answers (and closes) before reading it all is seen too.
async fn status_for(addr: SocketAddr, request: &[u8]) -> Result<u16, String> {
    let stream = TcpStream::connect(addr)
        .await
        .map_err(|e| format!("connect: {e}"))?;
    let (mut read, mut write) = tokio::io::split(stream);
    let request = request.to_vec();
    let writer = tokio::spawn(async move {
        // An error here means the server closed the connection early; its answer still counts.
        let _ = write.write_all(&request).await;
        write
    });

    let mut received = Vec::new();
    let head = timeout(DEADLINE, async {
        let mut buf = [0u8; 4096];
        while !received.windows(2).any(|w| w == b"\r\n") {
            match read.read(&mut buf).await {
                Ok(0) => return Err("closed without an answer".to_owned()),
                Err(e) => return Err(format!("read error {e}")),
                Ok(n) => received.extend_from_slice(&buf[..n]),
            }
        }
        Ok(())
    })
    .await;
    writer.abort();
    match head {
        Err(_) => Err(format!("no answer within {DEADLINE:?}")),
        Ok(Err(why)) => Err(format!("{why} (received {})", show(&received))),
        Ok(Ok(())) => {
            let text = String::from_utf8_lossy(&received);
            text.strip_prefix("HTTP/1.1 ")
                .and_then(|rest| rest.get(..3))
                .and_then(|code| code.parse().ok())
                .ok_or_else(|| format!("not a status line: {}", show(&received)))
        }
    }
}
