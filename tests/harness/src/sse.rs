//! What a browser's `EventSource` makes of a byte stream, following the WHATWG HTML standard,
//! section "Server-sent events", subsection "Interpreting an event stream".
//!
//! Tests use it to prove that two different byte layouts (for example `event: x` and warp's
//! `event:x`) give the page the very same events.
//!
//! Why not a crate: eventsource-client and the like own the connection and reconnect; a test
//! here already holds the exact bytes it read and wants only the standard's reading of them.

/// One event as `EventSource` would dispatch it to the page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dispatched {
    /// `e.type`: the `event:` field, or `message` when there was none.
    pub event_type: String,
    /// `e.data`: the `data:` lines joined with `\n`.
    pub data: String,
    /// `e.lastEventId`.
    pub last_event_id: String,
}

impl Dispatched {
    /// Shorthand for tests: an event without an id.
    pub fn new(event_type: &str, data: &str) -> Dispatched {
        Dispatched {
            event_type: event_type.to_owned(),
            data: data.to_owned(),
            last_event_id: String::new(),
        }
    }
}

/// The events a spec-following client dispatches for `stream`, and the last `retry` it accepted.
/// An event that is not finished by a blank line at the end of `stream` is not dispatched.
pub fn parse(stream: &[u8]) -> (Vec<Dispatched>, Option<u64>) {
    // The stream is UTF-8; a leading byte order mark is dropped.
    let text = String::from_utf8_lossy(stream);
    let text = text.strip_prefix('\u{FEFF}').unwrap_or(&text);

    let mut events = Vec::new();
    let mut retry = None;
    let (mut event_type, mut data, mut last_event_id) =
        (String::new(), String::new(), String::new());

    for line in split_lines(text) {
        if line.is_empty() {
            // Dispatch. An event with no data line at all is dropped (but its id is kept).
            if !data.is_empty() {
                data.pop(); // the last "\n" added below
                events.push(Dispatched {
                    event_type: if event_type.is_empty() {
                        "message".into()
                    } else {
                        event_type.clone()
                    },
                    data: std::mem::take(&mut data),
                    last_event_id: last_event_id.clone(),
                });
            }
            data.clear();
            event_type.clear();
            continue;
        }
        if line.starts_with(':') {
            continue; // a comment
        }
        let (field, value) = match line.split_once(':') {
            Some((field, value)) => (field, value.strip_prefix(' ').unwrap_or(value)),
            None => (line, ""),
        };
        match field {
            "event" => event_type = value.to_owned(),
            "data" => {
                data.push_str(value);
                data.push('\n');
            }
            "id" if !value.contains('\0') => last_event_id = value.to_owned(),
            "retry" if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) => {
                retry = value.parse().ok();
            }
            _ => {} // unknown fields are ignored
        }
    }
    (events, retry)
}

/// Splits on CRLF, LF or CR, as the standard does. The text after the last line break is an
/// unfinished line and is left out.
fn split_lines(text: &str) -> Vec<&str> {
    let mut lines = Vec::new();
    let bytes = text.as_bytes();
    let (mut start, mut i) = (0, 0);
    while i < bytes.len() {
        match bytes[i] {
            b'\n' => {
                lines.push(&text[start..i]);
                start = i + 1;
            }
            b'\r' => {
                lines.push(&text[start..i]);
                if bytes.get(i + 1) == Some(&b'\n') {
                    i += 1;
                }
                start = i + 1;
            }
            _ => {}
        }
        i += 1;
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn named_and_unnamed_events_with_and_without_the_space() {
        let (events, _) = parse(b"data: a\n\nevent: x\ndata:b\n\nevent:x\ndata: c\r\n\r\n");
        assert_eq!(
            events,
            vec![
                Dispatched::new("message", "a"),
                Dispatched::new("x", "b"),
                Dispatched::new("x", "c")
            ]
        );
    }

    #[test]
    fn multi_line_data_and_every_line_ending() {
        let (events, _) = parse(b"data: 1\rdata: 2\r\ndata: 3\ndata:\n\n");
        assert_eq!(events, vec![Dispatched::new("message", "1\n2\n3\n")]);
    }

    #[test]
    fn only_one_leading_space_is_removed() {
        let (events, _) = parse(b"data:  two spaces\n\n");
        assert_eq!(events[0].data, " two spaces");
    }

    #[test]
    fn comments_ids_retry_and_unfinished_events() {
        let (events, retry) = parse(b": hi\nid: 7\nretry: 1500\ndata: a\n\nretry: x\ndata: lost");
        assert_eq!(events.len(), 1);
        assert_eq!(events[0].last_event_id, "7");
        assert_eq!(retry, Some(1500));
    }

    #[test]
    fn a_lone_carriage_return_ends_the_line() {
        // This is why a raw "\r" inside data breaks an event in two (see lesson02).
        let (events, _) = parse(b"event: x\ndata: a\r\rdata: b\n\n");
        assert_eq!(
            events,
            vec![Dispatched::new("x", "a"), Dispatched::new("message", "b")]
        );
    }
}
