//! Lesson 07, exercise 1: CORS for one allowed origin, not for everyone.
//!
//! Task: a page on another site (say `https://app.example`) opens
//! `new EventSource('http://127.0.0.1:3000/sse')`. Its browser sends `Origin: https://app.example`
//! and accepts the answer only if it carries `Access-Control-Allow-Origin` with that origin.
//! As shipped, `allow_origin()` answers `*` to everybody: every site on the internet may read
//! this stream in its visitors' browsers. Change it so that it returns the request's origin
//! when that origin is one of `allowed` (from `ALLOWED_ORIGINS`, comma-separated), and `None`
//! (no header at all) for any other origin and for a request without `Origin`.
//!
//! When it is right:
//!   ALLOWED_ORIGINS=https://app.example cargo run -p lesson07 --bin lesson07-ex1
//!   curl -si -H 'Origin: https://app.example'  http://127.0.0.1:3000/sse | head -5   # the header, with that origin
//!   curl -si -H 'Origin: https://evil.example' http://127.0.0.1:3000/sse | head -5   # no such header
//!
//! Check it:  cargo tutor check 7

/// The value of `Access-Control-Allow-Origin` for a request whose `Origin` header is `origin`,
/// or `None` for no such header.
fn allow_origin(origin: Option<&str>, allowed: &[String]) -> Option<String> {
    // ✏️ EDIT HERE · 여기를 고치세요 ─────────────────────────────────────────────
    // Echo the origin only when it is on the list; otherwise no header at all.
    let origin = origin?;
    allowed
        .iter()
        .any(|allowed| allowed == origin)
        .then(|| origin.to_owned())
    // ✏️ END OF EDIT · 여기까지 ────────────────────────────────────────────────
}

#[tokio::main]
async fn main() {
    lesson07::exercise::serve_ex1(allow_origin).await
}
