//! Checking what a writer sends to `POST /posts`, before anything touches the database.
//!
//! Accepted: `Content-Type: application/json` with `{"title": "...", "body": "..."}`, or a form
//! post (`application/x-www-form-urlencoded`) with the fields `title` and `body`. `title` is
//! required and must be 1–200 characters after trimming; `body` is optional, at most 10,000
//! characters. Anything else is refused with an [`InputError`] that names the field.

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

/// The fields of a JSON object; every value must be a string.
fn json_fields(body: &[u8]) -> Result<Vec<(String, String)>, InputError> {
    let value: Value = serde_json::from_slice(body)
        .map_err(|_| InputError::request(400, "the request body is not valid JSON"))?;
    let Value::Object(object) = value else {
        return Err(InputError::request(
            400,
            "the request body must be a JSON object",
        ));
    };
    object
        .into_iter()
        .map(|(name, value)| match value {
            _ if !FIELDS.contains(&name.as_str()) => Err(unknown_field(&name)),
            Value::String(text) => Ok((name, text)),
            _ => Err(InputError::field(&name, format!("{name} must be a string"))),
        })
        .collect()
}

/// The fields of a form post (`title=...&body=...`).
fn form_fields(body: &[u8]) -> Result<Vec<(String, String)>, InputError> {
    serde_urlencoded::from_bytes(body)
        .map_err(|_| InputError::request(400, "the request body is not a valid form"))
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
    let body = body.unwrap_or_default();
    if body.chars().count() > BODY_MAX_CHARS {
        return Err(InputError::field(
            "body",
            format!("body must be at most {BODY_MAX_CHARS} characters"),
        ));
    }
    Ok(NewPost {
        title: title.to_owned(),
        body,
    })
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
}
