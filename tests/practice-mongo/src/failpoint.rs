//! Fault injection: the `failCommand` fail point of mongod's test mode.
//!
//! ```text
//! { configureFailPoint: "failCommand",
//!   mode: { times: 1 } | "alwaysOn" | "off" | { skip: n },
//!   data: { failCommands: ["getMore"], closeConnection: true,
//!           errorCode: 6, errorLabels: [...], blockConnection: true, blockTimeMS: 100,
//!           appName: "only-this-client" } }
//! ```
//!
//! This is how tests prove that a program survives a dropped connection or a resumable error,
//! the way the drivers' own test suites do against a real mongod started with
//! `--setParameter enableTestCommands=1`.

use std::time::Duration;

use bson::{doc, Bson, Document};

use crate::errors::CommandError;

#[derive(Debug, Clone, PartialEq)]
enum Mode {
    Off,
    AlwaysOn,
    Times(u64),
    Skip(u64),
}

#[derive(Debug, Clone)]
pub struct FailCommand {
    mode: Mode,
    commands: Vec<String>,
    close_connection: bool,
    error_code: Option<i32>,
    error_labels: Option<Vec<String>>,
    block: Option<Duration>,
    app_name: Option<String>,
    /// How many times it fired, reported back as `count` like mongod.
    fired: u64,
}

impl Default for FailCommand {
    fn default() -> Self {
        FailCommand {
            mode: Mode::Off,
            commands: Vec::new(),
            close_connection: false,
            error_code: None,
            error_labels: None,
            block: None,
            app_name: None,
            fired: 0,
        }
    }
}

/// What a command that hit the fail point must do instead of (or before) running.
#[derive(Debug, Clone, PartialEq)]
pub struct Triggered {
    pub block: Option<Duration>,
    pub close_connection: bool,
    pub error: Option<CommandError>,
}

impl FailCommand {
    /// Handles `configureFailPoint`. Returns the reply document.
    pub fn configure(&mut self, cmd: &Document) -> Result<Document, CommandError> {
        match cmd.get("configureFailPoint") {
            Some(Bson::String(name)) if name == "failCommand" => {}
            Some(Bson::String(name)) => {
                return Err(CommandError::bad_value(format!(
                    "Cannot find failpoint: {name} (practice-mongo has only failCommand)"
                )))
            }
            _ => {
                return Err(CommandError::type_mismatch(
                    "configureFailPoint must be a string",
                ))
            }
        }
        let mode = match cmd.get("mode") {
            Some(Bson::String(s)) if s == "off" => Mode::Off,
            Some(Bson::String(s)) if s == "alwaysOn" => Mode::AlwaysOn,
            Some(Bson::Document(d)) => match (d.get("times"), d.get("skip")) {
                (Some(n), None) => Mode::Times(non_negative(n, "mode.times")?),
                (None, Some(n)) => Mode::Skip(non_negative(n, "mode.skip")?),
                _ => {
                    return Err(CommandError::bad_value(
                        "mode needs exactly one of times, skip",
                    ))
                }
            },
            _ => {
                return Err(CommandError::bad_value(
                    "mode must be 'off', 'alwaysOn', {times: n} or {skip: n}",
                ))
            }
        };
        let previous = self.fired;
        if mode == Mode::Off {
            *self = FailCommand::default();
            return Ok(doc! { "count": previous as i64 });
        }
        let data = match cmd.get("data") {
            Some(Bson::Document(d)) => d.clone(),
            _ => return Err(CommandError::bad_value("failCommand needs a data document")),
        };
        let mut next = FailCommand {
            mode,
            ..FailCommand::default()
        };
        for (key, value) in &data {
            match (key.as_str(), value) {
                ("failCommands", Bson::Array(names)) => {
                    for n in names {
                        let Bson::String(n) = n else {
                            return Err(CommandError::type_mismatch(
                                "failCommands must be strings",
                            ));
                        };
                        next.commands.push(n.clone());
                    }
                }
                ("closeConnection", Bson::Boolean(b)) => next.close_connection = *b,
                ("errorCode", v) => next.error_code = Some(non_negative(v, "errorCode")? as i32),
                ("errorLabels", Bson::Array(labels)) => {
                    next.error_labels = Some(
                        labels
                            .iter()
                            .filter_map(|l| l.as_str().map(str::to_owned))
                            .collect(),
                    )
                }
                ("blockConnection", Bson::Boolean(_)) => {}
                ("blockTimeMS", v) => {
                    next.block = Some(Duration::from_millis(non_negative(v, "blockTimeMS")?))
                }
                ("appName", Bson::String(a)) => next.app_name = Some(a.clone()),
                (other, _) => {
                    return Err(CommandError::bad_value(format!(
                        "practice-mongo's failCommand does not support data.{other}"
                    )))
                }
            }
        }
        if data.get("blockConnection") != Some(&Bson::Boolean(true)) {
            next.block = None;
        }
        if next.commands.is_empty() {
            return Err(CommandError::bad_value(
                "failCommand needs data.failCommands",
            ));
        }
        *self = next;
        Ok(doc! { "count": previous as i64 })
    }

    /// Called before running `command`; says whether the fail point fires for it.
    pub fn check(&mut self, command: &str, app_name: Option<&str>) -> Option<Triggered> {
        if self.mode == Mode::Off || !self.commands.iter().any(|c| c == command) {
            return None;
        }
        if let Some(wanted) = &self.app_name {
            if app_name != Some(wanted.as_str()) {
                return None;
            }
        }
        match &mut self.mode {
            Mode::Off => return None,
            Mode::AlwaysOn => {}
            Mode::Times(n) => {
                *n -= 1;
                if *n == 0 {
                    self.mode = Mode::Off;
                }
            }
            Mode::Skip(n) => {
                if *n > 0 {
                    *n -= 1;
                    return None;
                }
            }
        }
        self.fired += 1;
        let error = self.error_code.map(|code| {
            let labels = self
                .error_labels
                .clone()
                .unwrap_or_else(|| default_labels(command, code));
            CommandError::new(
                code,
                code_name(code),
                "Failing command via 'failCommand' failpoint",
            )
            .with_labels(labels)
        });
        Some(Triggered {
            block: self.block,
            close_connection: self.close_connection,
            error,
        })
    }
}

fn non_negative(v: &Bson, what: &str) -> Result<u64, CommandError> {
    let n = match v {
        Bson::Int32(i) => i64::from(*i),
        Bson::Int64(i) => *i,
        Bson::Double(d) if d.fract() == 0.0 => *d as i64,
        _ => {
            return Err(CommandError::type_mismatch(format!(
                "{what} must be a number"
            )))
        }
    };
    u64::try_from(n).map_err(|_| CommandError::bad_value(format!("{what} must not be negative")))
}

/// Errors a change stream may resume after ("Change Streams" spec / mongod's
/// ResumableChangeStreamError label), and errors a write may be retried after.
const RESUMABLE: &[i32] = &[
    6, 7, 43, 63, 89, 91, 133, 150, 189, 234, 262, 9001, 10107, 11600, 11602, 13388, 13435, 13436,
];
const RETRYABLE_WRITE: &[i32] = &[
    6, 7, 89, 91, 189, 262, 9001, 10107, 11600, 11602, 13435, 13436,
];

/// mongod adds these labels itself when the fail point gives none.
fn default_labels(command: &str, code: i32) -> Vec<String> {
    let mut labels = Vec::new();
    if command == "getMore" && RESUMABLE.contains(&code) {
        labels.push("ResumableChangeStreamError".to_owned());
    }
    let is_write = matches!(command, "insert" | "update" | "delete" | "findAndModify");
    if is_write && RETRYABLE_WRITE.contains(&code) {
        labels.push("RetryableWriteError".to_owned());
    }
    labels
}

fn code_name(code: i32) -> String {
    let name = match code {
        1 => "InternalError",
        2 => "BadValue",
        6 => "HostUnreachable",
        7 => "HostNotFound",
        8 => "UnknownError",
        43 => "CursorNotFound",
        50 => "MaxTimeMSExpired",
        89 => "NetworkTimeout",
        91 => "ShutdownInProgress",
        189 => "PrimarySteppedDown",
        262 => "ExceededTimeLimit",
        280 => "ChangeStreamFatalError",
        286 => "ChangeStreamHistoryLost",
        9001 => "SocketException",
        10107 => "NotWritablePrimary",
        11000 => "DuplicateKey",
        11600 => "InterruptedAtShutdown",
        11602 => "InterruptedDueToReplStateChange",
        13435 => "NotPrimaryNoSecondaryOk",
        13436 => "NotPrimaryOrSecondary",
        _ => return format!("Location{code}"),
    };
    name.to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn configured(cmd: Document) -> FailCommand {
        let mut fp = FailCommand::default();
        fp.configure(&cmd).unwrap();
        fp
    }

    #[test]
    fn times_counts_down_then_turns_off() {
        let mut fp = configured(doc! {
            "configureFailPoint": "failCommand", "mode": {"times": 2},
            "data": {"failCommands": ["getMore"], "errorCode": 6},
        });
        assert!(fp.check("find", None).is_none());
        let hit = fp.check("getMore", None).unwrap();
        let err = hit.error.unwrap();
        assert_eq!(err.code, 6);
        assert_eq!(err.labels, vec!["ResumableChangeStreamError".to_string()]);
        assert!(fp.check("getMore", None).is_some());
        assert!(fp.check("getMore", None).is_none());
    }

    #[test]
    fn app_name_limits_who_is_hit() {
        let mut fp = configured(doc! {
            "configureFailPoint": "failCommand", "mode": "alwaysOn",
            "data": {"failCommands": ["ping"], "closeConnection": true, "appName": "me"},
        });
        assert!(fp.check("ping", Some("other")).is_none());
        assert!(fp.check("ping", Some("me")).unwrap().close_connection);
        fp.configure(&doc! {"configureFailPoint": "failCommand", "mode": "off"})
            .unwrap();
        assert!(fp.check("ping", Some("me")).is_none());
    }
}
