//! Command errors in MongoDB's shape: `{ ok: 0, errmsg, code, codeName, errorLabels? }`.
//!
//! Drivers decide what to do (retry, resume, give up) from `code` and `errorLabels`, so the codes
//! here are MongoDB's own (see the "Error Codes" page of the MongoDB manual).

use bson::{doc, Document};

/// A command that failed. Turned into an `ok: 0` reply by [`CommandError::to_document`].
#[derive(Debug, Clone, PartialEq)]
pub struct CommandError {
    pub code: i32,
    pub code_name: String,
    pub errmsg: String,
    pub labels: Vec<String>,
    /// Extra fields some errors carry (a duplicate key's `keyPattern` and `keyValue`). Boxed
    /// to keep `Result<_, CommandError>` small.
    pub extra: Option<Box<Document>>,
}

impl CommandError {
    pub fn new(code: i32, code_name: impl Into<String>, errmsg: impl Into<String>) -> Self {
        CommandError {
            code,
            code_name: code_name.into(),
            errmsg: errmsg.into(),
            labels: Vec::new(),
            extra: None,
        }
    }

    pub fn with_labels(mut self, labels: Vec<String>) -> Self {
        self.labels = labels;
        self
    }

    pub fn to_document(&self) -> Document {
        let mut d = doc! {
            "ok": 0.0,
            "errmsg": &self.errmsg,
            "code": self.code,
            "codeName": &self.code_name,
        };
        if !self.labels.is_empty() {
            d.insert("errorLabels", self.labels.clone());
        }
        if let Some(extra) = &self.extra {
            d.extend((**extra).clone());
        }
        d
    }

    // The codes we use, by name, so call sites read like MongoDB's source.

    pub fn bad_value(msg: impl Into<String>) -> Self {
        Self::new(2, "BadValue", msg)
    }
    pub fn failed_to_parse(msg: impl Into<String>) -> Self {
        Self::new(9, "FailedToParse", msg)
    }
    pub fn type_mismatch(msg: impl Into<String>) -> Self {
        Self::new(14, "TypeMismatch", msg)
    }
    pub fn overflow(msg: impl Into<String>) -> Self {
        Self::new(15, "Overflow", msg)
    }
    pub fn illegal_operation(msg: impl Into<String>) -> Self {
        Self::new(20, "IllegalOperation", msg)
    }
    pub fn path_not_viable(msg: impl Into<String>) -> Self {
        Self::new(28, "PathNotViable", msg)
    }
    pub fn cursor_not_found(id: i64) -> Self {
        Self::new(43, "CursorNotFound", format!("cursor id {id} not found"))
    }
    pub fn command_not_found(name: &str) -> Self {
        Self::new(59, "CommandNotFound", format!("no such command: '{name}'"))
    }
    pub fn immutable_field(msg: impl Into<String>) -> Self {
        Self::new(66, "ImmutableField", msg)
    }
    pub fn invalid_namespace(msg: impl Into<String>) -> Self {
        Self::new(73, "InvalidNamespace", msg)
    }
    pub fn invalid_resume_token(msg: impl Into<String>) -> Self {
        Self::new(260, "InvalidResumeToken", msg)
    }
    pub fn history_lost(msg: impl Into<String>) -> Self {
        Self::new(286, "ChangeStreamHistoryLost", msg)
    }
    pub fn unsupported_op_query(name: &str) -> Self {
        Self::new(
            352,
            "UnsupportedOpQueryCommand",
            format!(
                "Unsupported OP_QUERY command: {name}. The client driver may require an upgrade."
            ),
        )
    }
    pub fn unknown_field(path: &str) -> Self {
        Self::new(
            40415,
            "Location40415",
            format!("BSON field '{path}' is an unknown field."),
        )
    }
    pub fn unknown_stage(name: &str, note: &str) -> Self {
        Self::new(
            40324,
            "Location40324",
            format!("Unrecognized pipeline stage name: '{name}'{note}"),
        )
    }
}

pub type CommandResult = Result<Document, CommandError>;
