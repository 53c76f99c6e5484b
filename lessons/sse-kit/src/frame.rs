//! An SSE frame, written by hand.
//!
//! A frame is a few `field: value` lines and then one blank line, which tells the browser
//! "dispatch this event now". The rules come from the WHATWG HTML standard, "Server-sent events":
//! a client ends a line at CRLF, at LF *and* at a lone CR. So a line break inside a value would
//! end that line early and start a new one; inside `data` we turn each line into its own `data:`
//! line (the client joins them back with `\n`), and inside `event` or `id` we refuse it.

use std::fmt;

/// Why a frame could not be written. Refusing is the safe choice: a name with a line break in it
/// would let whoever chose the name add fields (or whole events) of their own to the stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FrameError {
    /// The event name contains CR or LF.
    LineBreakInEvent,
    /// The id contains CR or LF, or NUL (browsers ignore an id with NUL in it).
    BadCharacterInId,
    /// The comment contains CR or LF (the rest would be read as fields).
    LineBreakInComment,
}

impl fmt::Display for FrameError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FrameError::LineBreakInEvent => write!(f, "an event name must not contain CR or LF"),
            FrameError::BadCharacterInId => write!(f, "an id must not contain CR, LF or NUL"),
            FrameError::LineBreakInComment => write!(f, "a comment must not contain CR or LF"),
        }
    }
}

impl std::error::Error for FrameError {}

/// Writes one frame: `event: <name>` (if any), one `data: <line>` per line of `data`,
/// `id: <id>` (if any), then the blank line.
///
/// `frame(Some("greeting"), None, "hi\nthere")` is `"event: greeting\ndata: hi\ndata: there\n\n"`.
pub fn frame(event: Option<&str>, id: Option<&str>, data: &str) -> Result<String, FrameError> {
    let mut out = String::new();
    if let Some(name) = event {
        if name.contains(['\r', '\n']) {
            return Err(FrameError::LineBreakInEvent);
        }
        out.push_str(&format!("event: {name}\n"));
    }
    for line in lines(data) {
        out.push_str(&format!("data: {line}\n"));
    }
    if let Some(id) = id {
        out.push_str(&id_line(id)?);
    }
    out.push('\n'); // the blank line: dispatch!
    Ok(out)
}

/// `id: <id>` and its line end, refusing what would break the line (CR, LF) or make browsers
/// ignore the id (NUL).
fn id_line(id: &str) -> Result<String, FrameError> {
    if id.contains(['\r', '\n', '\0']) {
        return Err(FrameError::BadCharacterInId);
    }
    Ok(format!("id: {id}\n"))
}

// The frames below carry no `data`, so a browser dispatches no event for them; each sets or
// says something instead. lesson02's exercises write them by hand; lesson06 uses all three,
// lesson07 `retry`.

/// `retry: <ms>`: how long the browser waits before it reconnects after the stream ends.
pub fn retry(ms: u64) -> String {
    format!("retry: {ms}\n\n")
}

/// A frame with only an id: no event, but the browser keeps the id as its `lastEventId` and
/// sends it back as `Last-Event-ID` when it reconnects (lesson06: where a new reader starts).
pub fn id_only(id: &str) -> Result<String, FrameError> {
    Ok(format!("{}\n", id_line(id)?))
}

/// `: <text>`: a comment, which the browser ignores; for a human reading with `curl`, or to keep
/// a quiet connection busy (lesson02's heartbeat).
pub fn comment(text: &str) -> Result<String, FrameError> {
    if text.contains(['\r', '\n']) {
        return Err(FrameError::LineBreakInComment);
    }
    Ok(format!(": {text}\n\n"))
}

/// Splits `data` the way a client splits lines: at CRLF, at LF and at a lone CR.
/// `""` is one empty line, and `"a\n"` is `"a"` then `""`, so the client gets back exactly `"a\n"`.
pub fn lines(data: &str) -> impl Iterator<Item = &str> {
    data.split("\r\n").flat_map(|part| part.split(['\r', '\n']))
}

/// The same event as a `warp::sse::Event`, made safe for warp's writer.
///
/// warp writes `event:<name>` and `data:<line>` with no space after the colon, does not check
/// names for line breaks, and splits data only at `\n`, so a `\r` would reach the client raw and
/// cut the event in two. We check the name ourselves and give warp data that holds only `\n`.
/// One more detail: a client removes *one* space after the colon, so with warp's no-space format
/// a line that starts with a space would lose it; we add one space in front of such lines.
pub fn warp_event(event: Option<&str>, data: &str) -> Result<warp::sse::Event, FrameError> {
    let keep_space = |text: &str| {
        if text.starts_with(' ') {
            format!(" {text}")
        } else {
            text.to_owned()
        }
    };
    let data: Vec<String> = lines(data).map(keep_space).collect();
    let mut sse_event = warp::sse::Event::default().data(data.join("\n"));
    if let Some(name) = event {
        if name.contains(['\r', '\n']) {
            return Err(FrameError::LineBreakInEvent);
        }
        sse_event = sse_event.event(keep_space(name));
    }
    Ok(sse_event)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unnamed_and_named() {
        assert_eq!(frame(None, None, "데이터").unwrap(), "data: 데이터\n\n");
        assert_eq!(
            frame(Some("이벤트명"), None, "데이터").unwrap(),
            "event: 이벤트명\ndata: 데이터\n\n"
        );
    }

    #[test]
    fn every_line_break_starts_a_new_data_line() {
        assert_eq!(frame(None, None, "a\nb").unwrap(), "data: a\ndata: b\n\n");
        assert_eq!(frame(None, None, "a\r\nb").unwrap(), "data: a\ndata: b\n\n");
        assert_eq!(frame(None, None, "a\rb").unwrap(), "data: a\ndata: b\n\n");
        assert_eq!(
            frame(None, None, "a\r\n\r\nb").unwrap(),
            "data: a\ndata: \ndata: b\n\n"
        );
        assert_eq!(
            frame(None, None, "a\n\rb").unwrap(),
            "data: a\ndata: \ndata: b\n\n"
        );
    }

    #[test]
    fn empty_data_and_a_trailing_newline() {
        assert_eq!(frame(None, None, "").unwrap(), "data: \n\n");
        assert_eq!(frame(None, None, "a\n").unwrap(), "data: a\ndata: \n\n");
        assert_eq!(frame(None, None, "a\r\n").unwrap(), "data: a\ndata: \n\n");
    }

    #[test]
    fn multi_byte_utf8_is_kept_whole() {
        assert_eq!(
            frame(None, None, "첫째 줄\n🙂").unwrap(),
            "data: 첫째 줄\ndata: 🙂\n\n"
        );
    }

    #[test]
    fn id_comes_after_data() {
        assert_eq!(
            frame(Some("x"), Some("7"), "a").unwrap(),
            "event: x\ndata: a\nid: 7\n\n"
        );
    }

    #[test]
    fn injection_through_the_name_or_id_is_refused() {
        assert_eq!(
            frame(Some("x\ndata: evil"), None, "a"),
            Err(FrameError::LineBreakInEvent)
        );
        assert_eq!(
            frame(Some("x\r"), None, "a"),
            Err(FrameError::LineBreakInEvent)
        );
        assert_eq!(
            frame(Some("x\r\n"), None, "a"),
            Err(FrameError::LineBreakInEvent)
        );
        assert_eq!(
            frame(None, Some("1\nevent: evil"), "a"),
            Err(FrameError::BadCharacterInId)
        );
        assert_eq!(
            frame(None, Some("1\r"), "a"),
            Err(FrameError::BadCharacterInId)
        );
        assert_eq!(
            frame(None, Some("1\0"), "a"),
            Err(FrameError::BadCharacterInId)
        );
        assert!(warp_event(Some("x\ny"), "a").is_err());
    }

    #[test]
    fn frames_without_data() {
        assert_eq!(retry(1000), "retry: 1000\n\n");
        assert_eq!(id_only("82AB").unwrap(), "id: 82AB\n\n");
        assert_eq!(comment("bye").unwrap(), ": bye\n\n");
        assert_eq!(id_only("1\nevent: x"), Err(FrameError::BadCharacterInId));
        assert_eq!(id_only("1\0"), Err(FrameError::BadCharacterInId));
        assert_eq!(comment("a\rdata: x"), Err(FrameError::LineBreakInComment));
        assert_eq!(comment("a\n"), Err(FrameError::LineBreakInComment));
    }

    #[test]
    fn warp_event_has_no_raw_carriage_return_and_keeps_leading_spaces() {
        let written = warp_event(Some("x"), "a\r\nb\rc\n d").unwrap().to_string();
        assert_eq!(written, "event:x\ndata:a\ndata:b\ndata:c\ndata:  d\n\n");
    }
}
