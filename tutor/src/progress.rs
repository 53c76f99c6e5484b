//! What the learner has done so far, kept in `.tutor-progress.json` at the workspace root (git
//! ignores it): for each exercise the result of its last check.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::lang::Lang;

/// The state of one exercise, as of its last check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    NotTried,
    DoesNotCompile,
    Failing,
    Passed,
}

impl State {
    fn as_str(self) -> &'static str {
        match self {
            State::NotTried => "not-tried",
            State::DoesNotCompile => "does-not-compile",
            State::Failing => "failing",
            State::Passed => "passed",
        }
    }

    fn parse(text: &str) -> State {
        match text {
            "does-not-compile" => State::DoesNotCompile,
            "failing" => State::Failing,
            "passed" => State::Passed,
            _ => State::NotTried,
        }
    }

    /// A mark and a word for `cargo tutor list`.
    pub fn label(self, lang: Lang) -> String {
        match self {
            State::NotTried => format!("·  {}", lang.pick("아직 안 함", "not tried")),
            State::DoesNotCompile => {
                format!("❌ {}", lang.pick("컴파일 안 됨", "does not compile"))
            }
            State::Failing => format!("❌ {}", lang.pick("아직 틀림", "failing")),
            State::Passed => format!("✅ {}", lang.pick("통과", "passed")),
        }
    }
}

/// The progress file: exercise key (`lesson02-ex1`) → state.
pub struct Progress {
    path: PathBuf,
    states: BTreeMap<String, State>,
}

impl Progress {
    /// Reads `path`; a missing or unreadable file is an empty progress (nothing tried yet).
    pub fn load(path: &Path) -> Progress {
        let text = std::fs::read_to_string(path).unwrap_or_default();
        let json: serde_json::Value = serde_json::from_str(&text).unwrap_or_default();
        let states = json
            .as_object()
            .map(|map| {
                map.iter()
                    .filter_map(|(key, value)| Some((key.clone(), State::parse(value.as_str()?))))
                    .collect()
            })
            .unwrap_or_default();
        Progress {
            path: path.to_owned(),
            states,
        }
    }

    pub fn get(&self, key: &str) -> State {
        self.states.get(key).copied().unwrap_or(State::NotTried)
    }

    pub fn set(&mut self, key: &str, state: State) {
        if state == State::NotTried {
            self.states.remove(key);
        } else {
            self.states.insert(key.to_owned(), state);
        }
    }

    pub fn save(&self) -> std::io::Result<()> {
        let map: serde_json::Map<String, serde_json::Value> = self
            .states
            .iter()
            .map(|(key, state)| (key.clone(), state.as_str().into()))
            .collect();
        let text = serde_json::to_string_pretty(&serde_json::Value::Object(map))?;
        std::fs::write(&self.path, text + "\n")
    }
}
