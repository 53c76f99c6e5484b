//! Checking what a writer sends to `POST /posts`, before anything touches the database (taught
//! in lesson05).
//!
//! Accepted: `Content-Type: application/json` with `{"title": "...", "body": "..."}`, or a form
//! post (`application/x-www-form-urlencoded`) with the fields `title` and `body`. `title` is
//! required and must be 1–200 characters after trimming, with at least one visible character;
//! `body` is optional, at most 10,000 characters. Neither may hold control characters (the body
//! may hold line breaks and tabs). Both formats get the same rules: a field given twice, a
//! field we do not know, or text that is not UTF-8 is refused. Anything refused gets an
//! [`InputError`] that names the field.

use std::fmt;

use serde::de::{Deserialize, Deserializer, MapAccess, Visitor};
use serde_json::{json, Value};

pub const TITLE_MAX_CHARS: usize = 200;
pub const BODY_MAX_CHARS: usize = 10_000;
/// The only fields a post has; any other name is refused rather than silently dropped.
const FIELDS: [&str; 2] = ["title", "body"];

/// A post that passed every check: safe to insert.
#[derive(Debug, PartialEq, Eq)]
pub struct NewPost {
    pub title: String,
    pub body: String,
}

/// Why a request was refused: the HTTP status, a message, and the field at fault (if any).
#[derive(Debug, PartialEq, Eq)]
pub struct InputError {
    pub status: u16,
    pub field: Option<String>,
    pub message: String,
}

impl InputError {
    fn field(field: &str, message: impl Into<String>) -> InputError {
        InputError {
            status: 400,
            field: Some(field.to_owned()),
            message: message.into(),
        }
    }

    pub fn request(status: u16, message: impl Into<String>) -> InputError {
        InputError {
            status,
            field: None,
            message: message.into(),
        }
    }

    /// The JSON body of the error response: `{"error": "...", "field": "title"}`.
    pub fn to_json(&self) -> Value {
        json!({ "error": self.message, "field": self.field })
    }
}

/// Checks a request body according to its `Content-Type`.
pub fn parse(content_type: Option<&str>, body: &[u8]) -> Result<NewPost, InputError> {
    // "application/json; charset=utf-8" -> "application/json"
    let media_type = content_type
        .and_then(|value| value.split(';').next())
        .map(|value| value.trim().to_ascii_lowercase());
    let fields = match media_type.as_deref() {
        Some("application/json") => json_fields(body)?,
        Some("application/x-www-form-urlencoded") => form_fields(body)?,
        _ => {
            return Err(InputError::request(
                415,
                "Content-Type must be application/json or application/x-www-form-urlencoded",
            ))
        }
    };
    check(fields)
}

/// The fields of a JSON object, in order, duplicates kept; every value must be a string.
fn json_fields(body: &[u8]) -> Result<Vec<(String, String)>, InputError> {
    // serde_json refuses invalid UTF-8, and nesting deeper than 128 levels, as invalid JSON.
    let not_json = |_| InputError::request(400, "the request body is not valid JSON");
    let value: Value = serde_json::from_slice(body).map_err(not_json)?;
    if !value.is_object() {
        return Err(InputError::request(
            400,
            "the request body must be a JSON object",
        ));
    }
    // A `Value` keeps only the last of two equal keys, so `{"title":"a","title":"b"}` would
    // silently become "b". Read the object a second time, keeping every key (see `AllFields`).
    let AllFields(fields) = serde_json::from_slice(body).map_err(not_json)?;
    fields
        .into_iter()
        .map(|(name, value)| match value {
            _ if !FIELDS.contains(&name.as_str()) => Err(unknown_field(&name)),
            Value::String(text) => Ok((name, text)),
            _ => Err(InputError::field(&name, format!("{name} must be a string"))),
        })
        .collect()
}

/// A JSON object as its list of fields, in order, with a key given twice kept twice.
struct AllFields(Vec<(String, Value)>);

impl<'de> Deserialize<'de> for AllFields {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<AllFields, D::Error> {
        struct Fields;
        impl<'de> Visitor<'de> for Fields {
            type Value = AllFields;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<M: MapAccess<'de>>(self, mut map: M) -> Result<AllFields, M::Error> {
                let mut fields = Vec::new();
                while let Some(field) = map.next_entry::<String, Value>()? {
                    fields.push(field);
                }
                Ok(AllFields(fields))
            }
        }
        deserializer.deserialize_map(Fields)
    }
}

/// The fields of a form post (`title=...&body=...`), in order, duplicates kept.
///
/// Browsers encode each field as UTF-8 and then percent-encode it. A general form parser (like
/// `serde_urlencoded`) decodes bytes that are not UTF-8, such as `%FF`, to U+FFFD "�" and goes
/// on; we refuse them, as serde_json does for JSON, so nothing is stored that the writer did not
/// send.
fn form_fields(body: &[u8]) -> Result<Vec<(String, String)>, InputError> {
    body.split(|&byte| byte == b'&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let mut parts = pair.splitn(2, |&byte| byte == b'=');
            let name = form_decode(parts.next().unwrap_or_default())?;
            let value = form_decode(parts.next().unwrap_or_default())?;
            Ok((name, value))
        })
        .collect()
}

/// One name or value of a form: `+` is a space, `%XX` a byte, and the bytes must be UTF-8.
fn form_decode(encoded: &[u8]) -> Result<String, InputError> {
    let plus_as_space: Vec<u8> = encoded
        .iter()
        .map(|&byte| if byte == b'+' { b' ' } else { byte })
        .collect();
    let bytes: Vec<u8> = percent_encoding::percent_decode(&plus_as_space).collect();
    String::from_utf8(bytes).map_err(|_| {
        InputError::request(
            400,
            "the form is not valid: its fields must be UTF-8, percent-encoded",
        )
    })
}

fn unknown_field(name: &str) -> InputError {
    InputError::field(name, format!("unknown field {name}"))
}

/// The rules for each field.
fn check(fields: Vec<(String, String)>) -> Result<NewPost, InputError> {
    let (mut title, mut body) = (None, None);
    for (name, value) in fields {
        let slot = match name.as_str() {
            "title" => &mut title,
            "body" => &mut body,
            _ => return Err(unknown_field(&name)),
        };
        if slot.replace(value).is_some() {
            return Err(InputError::field(&name, format!("{name} is given twice")));
        }
    }

    let title = title.ok_or_else(|| InputError::field("title", "title is required"))?;
    let title = title.trim();
    if title.is_empty() || title.chars().count() > TITLE_MAX_CHARS {
        return Err(InputError::field(
            "title",
            format!("title must be 1 to {TITLE_MAX_CHARS} characters after trimming"),
        ));
    }
    if title.chars().any(char::is_control) {
        return Err(InputError::field(
            "title",
            "title must be one line, without control characters",
        ));
    }
    if title.chars().all(is_invisible) {
        return Err(InputError::field(
            "title",
            "title must have at least one visible character",
        ));
    }
    let body = body.unwrap_or_default();
    if body.chars().count() > BODY_MAX_CHARS {
        return Err(InputError::field(
            "body",
            format!("body must be at most {BODY_MAX_CHARS} characters"),
        ));
    }
    if body
        .chars()
        .any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
    {
        return Err(InputError::field(
            "body",
            "body must not contain control characters other than line breaks and tabs",
        ));
    }
    Ok(NewPost {
        title: title.to_owned(),
        body,
    })
}

/// Characters that show nothing: white space, and Unicode's "default ignorable" characters
/// (zero-width space U+200B, joiners, the BOM U+FEFF, the Hangul fillers U+115F, U+1160, U+3164
/// and U+FFA0, variation selectors, bidi marks, tags, ...). A title made only of these looks
/// blank on every page.
fn is_invisible(c: char) -> bool {
    c.is_whitespace()
        || matches!(c,
            '\u{00AD}' | '\u{034F}' | '\u{061C}' | '\u{115F}' | '\u{1160}' | '\u{17B4}' | '\u{17B5}'
            | '\u{180B}'..='\u{180F}' | '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}'
            | '\u{2060}'..='\u{206F}' | '\u{3164}' | '\u{FE00}'..='\u{FE0F}' | '\u{FEFF}'
            | '\u{FFA0}' | '\u{FFF0}'..='\u{FFF8}' | '\u{1BCA0}'..='\u{1BCA3}'
            | '\u{1D173}'..='\u{1D17A}' | '\u{E0000}'..='\u{E0FFF}')
}

#[cfg(test)]
mod tests {
    use super::*;

    const JSON: Option<&str> = Some("application/json");
    const FORM: Option<&str> = Some("application/x-www-form-urlencoded");

    fn post(title: &str, body: &str) -> Result<NewPost, InputError> {
        Ok(NewPost {
            title: title.into(),
            body: body.into(),
        })
    }

    fn field_error(field: &str, message: &str) -> Result<NewPost, InputError> {
        Err(InputError {
            status: 400,
            field: Some(field.into()),
            message: message.into(),
        })
    }

    #[test]
    fn good_posts() {
        assert_eq!(
            parse(JSON, r#"{"title":"  안녕  ","body":"본문"}"#.as_bytes()),
            post("안녕", "본문")
        );
        assert_eq!(
            parse(Some("Application/JSON; charset=utf-8"), br#"{"title":"a"}"#),
            post("a", "")
        );
        assert_eq!(
            parse(FORM, "title=%EC%95%88%EB%85%95&body=a+b".as_bytes()),
            post("안녕", "a b")
        );
        assert_eq!(
            parse(
                JSON,
                format!(r#"{{"title":"{}"}}"#, "가".repeat(200)).as_bytes()
            ),
            post(&"가".repeat(200), "")
        );
    }

    #[test]
    fn title_rules() {
        let too_long = "title must be 1 to 200 characters after trimming";
        assert_eq!(
            parse(JSON, br#"{"body":"x"}"#),
            field_error("title", "title is required")
        );
        assert_eq!(
            parse(JSON, br#"{"title":" \n\t "}"#),
            field_error("title", too_long)
        );
        let long = format!(r#"{{"title":"{}"}}"#, "가".repeat(201));
        assert_eq!(parse(JSON, long.as_bytes()), field_error("title", too_long));
        assert_eq!(
            parse(JSON, br#"{"title":7}"#),
            field_error("title", "title must be a string")
        );
        assert_eq!(
            parse(JSON, br#"{"title":null}"#),
            field_error("title", "title must be a string")
        );
        assert_eq!(
            parse(FORM, b"title=a&title=b"),
            field_error("title", "title is given twice")
        );
    }

    #[test]
    fn body_rules() {
        let long = format!(r#"{{"title":"t","body":"{}"}}"#, "나".repeat(10_001));
        assert_eq!(
            parse(JSON, long.as_bytes()),
            field_error("body", "body must be at most 10000 characters")
        );
        assert_eq!(
            parse(JSON, br#"{"title":"t","body":["x"]}"#),
            field_error("body", "body must be a string")
        );
    }

    #[test]
    fn whole_request_errors() {
        let not = |status, message: &str| Err(InputError::request(status, message));
        let media = "Content-Type must be application/json or application/x-www-form-urlencoded";
        assert_eq!(parse(None, br#"{"title":"t"}"#), not(415, media));
        assert_eq!(
            parse(Some("text/plain"), br#"{"title":"t"}"#),
            not(415, media)
        );
        assert_eq!(
            parse(JSON, br#"{"title":"#),
            not(400, "the request body is not valid JSON")
        );
        assert_eq!(
            parse(JSON, b"\xff"),
            not(400, "the request body is not valid JSON")
        );
        assert_eq!(
            parse(JSON, br#"["t"]"#),
            not(400, "the request body must be a JSON object")
        );
        assert_eq!(
            parse(JSON, br#"{"title":"t","admin":true}"#),
            field_error("admin", "unknown field admin")
        );
        assert_eq!(
            parse(FORM, b"title=t&admin=yes"),
            field_error("admin", "unknown field admin")
        );
    }

    #[test]
    fn json_and_forms_follow_the_same_rules() {
        // A field given twice: refused in both formats (a JSON object keeps only the last one).
        let twice = field_error("title", "title is given twice");
        assert_eq!(parse(JSON, br#"{"title":"a","title":"b"}"#), twice);
        assert_eq!(parse(JSON, br#"{"title":"a","ti\u0074le":"b"}"#), twice);
        assert_eq!(parse(FORM, b"title=a&title=b"), twice);
        // Bytes that are not UTF-8: refused in both formats, never stored as U+FFFD.
        assert_eq!(
            parse(JSON, b"{\"title\":\"\xff\"}"),
            Err(InputError::request(
                400,
                "the request body is not valid JSON"
            ))
        );
        let not_utf8 = Err(InputError::request(
            400,
            "the form is not valid: its fields must be UTF-8, percent-encoded",
        ));
        assert_eq!(parse(FORM, b"title=%FF"), not_utf8);
        assert_eq!(parse(FORM, b"title=\xff"), not_utf8);
        assert_eq!(parse(FORM, b"ti%FFtle=a"), not_utf8);
        // A real U+FFFD, sent as its UTF-8 bytes, is a character like any other.
        assert_eq!(parse(FORM, b"title=%EF%BF%BD"), post("\u{FFFD}", ""));
        // What browsers do with `%` not followed by two hex digits: keep it as it is.
        assert_eq!(parse(FORM, b"title=100%25+%zz&&"), post("100% %zz", ""));
    }

    #[test]
    fn a_title_must_show_something() {
        let invisible = field_error("title", "title must have at least one visible character");
        for title in [
            "\u{200B}\u{200B}",
            "\u{3164}",
            "\u{FEFF}\u{200D}\u{2060}",
            "\u{115F}\u{1160}",
        ] {
            let json = serde_json::json!({ "title": title }).to_string();
            assert_eq!(parse(JSON, json.as_bytes()), invisible, "{title:?}");
        }
        // Invisible characters next to visible ones are kept as sent.
        assert_eq!(
            parse(JSON, br#"{"title":"a\u200bb"}"#),
            post("a\u{200B}b", "")
        );
    }

    #[test]
    fn control_characters_are_refused_but_a_body_keeps_its_lines() {
        let one_line = field_error(
            "title",
            "title must be one line, without control characters",
        );
        assert_eq!(parse(JSON, br#"{"title":"a\nb"}"#), one_line);
        assert_eq!(parse(JSON, br#"{"title":"a\rb"}"#), one_line);
        assert_eq!(parse(JSON, br#"{"title":"a\u0000b"}"#), one_line);
        assert_eq!(parse(FORM, b"title=a%00b"), one_line);
        assert_eq!(
            parse(JSON, br#"{"title":"t","body":"a\u0000b"}"#),
            field_error(
                "body",
                "body must not contain control characters other than line breaks and tabs"
            )
        );
        assert_eq!(
            parse(JSON, br#"{"title":"t","body":"a\r\nb\tc\n"}"#),
            post("t", "a\r\nb\tc\n")
        );
    }

    #[test]
    fn deep_json_is_refused_without_recursing_far() {
        // serde_json stops at 128 levels; a client's 100,000 brackets never reach the stack.
        let deep = format!(
            "{{\"title\":{}{}}}",
            "[".repeat(100_000),
            "]".repeat(100_000)
        );
        assert_eq!(
            parse(JSON, deep.as_bytes()),
            Err(InputError::request(
                400,
                "the request body is not valid JSON"
            ))
        );
    }
}
