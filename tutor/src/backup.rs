//! Where `reset` and `sync` keep the learner's versions: one new folder per command, named by the
//! UTC time (`.tutor-backup/2026-12-03T17-46-05Z/`), so that a second reset never overwrites the
//! first.

use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

/// Creates and returns a folder under `parent` that did not exist before: named by the current
/// UTC time, with `-2`, `-3`, ... added when two resets happen within the same second.
pub fn new_dir(parent: &Path) -> Result<PathBuf, String> {
    let seconds = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |since| since.as_secs());
    let stamp = utc_stamp(seconds);
    std::fs::create_dir_all(parent).map_err(|e| format!("{}: {e}", parent.display()))?;
    for n in 1u32.. {
        let name = if n == 1 {
            stamp.clone()
        } else {
            format!("{stamp}-{n}")
        };
        let dir = parent.join(name);
        // `create_dir` (not `create_dir_all`) fails if the folder exists: that is the test.
        match std::fs::create_dir(&dir) {
            Ok(()) => return Ok(dir),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(format!("{}: {e}", dir.display())),
        }
    }
    unreachable!("u32 ran out of backup folder names")
}

/// One command's backup folder, made the first time a file is kept in it: a `reset` or `sync`
/// that changes nothing the learner wrote makes no folder.
pub struct Backup {
    /// The workspace root; the folder is `<root>/.tutor-backup/<UTC time>/`.
    root: PathBuf,
    dir: Option<PathBuf>,
}

impl Backup {
    pub fn new(root: &Path) -> Backup {
        Backup {
            root: root.to_owned(),
            dir: None,
        }
    }

    /// Copies `text`, the current content of `file` (relative to the root), into the folder, and
    /// returns the folder relative to the root, for the message.
    pub fn keep(&mut self, file: &str, text: &str) -> Result<String, String> {
        let dir = match &self.dir {
            Some(dir) => dir.clone(),
            None => {
                let dir = new_dir(&self.root.join(".tutor-backup"))?;
                self.dir = Some(dir.clone());
                dir
            }
        };
        let copy = dir.join(file);
        if let Some(parent) = copy.parent() {
            std::fs::create_dir_all(parent).map_err(|e| format!("{}: {e}", parent.display()))?;
        }
        std::fs::write(&copy, text).map_err(|e| format!("{}: {e}", copy.display()))?;
        let relative = dir.strip_prefix(&self.root).unwrap_or(&dir);
        Ok(relative.display().to_string())
    }
}

/// `2026-12-03T17-46-05Z` for a number of seconds since 1970 (dashes, not colons: Windows file
/// names cannot hold a colon).
pub fn utc_stamp(unix_seconds: u64) -> String {
    let days = unix_seconds / 86_400;
    let time = unix_seconds % 86_400;
    let (year, month, day) = civil_from_days(days);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}-{:02}-{:02}Z",
        time / 3600,
        time / 60 % 60,
        time % 60
    )
}

/// The calendar date of a day count since 1970-01-01 (Howard Hinnant's `civil_from_days`,
/// for days on or after the epoch).
fn civil_from_days(days: u64) -> (u64, u64, u64) {
    let z = days + 719_468;
    let era = z / 146_097;
    let day_of_era = z % 146_097;
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let mp = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = year_of_era + era * 400 + u64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stamps_are_utc_dates_and_times() {
        assert_eq!(utc_stamp(0), "1970-01-01T00-00-00Z");
        // 2000-02-29 (a leap day) 12:34:56.
        assert_eq!(utc_stamp(951_827_696), "2000-02-29T12-34-56Z");
        assert_eq!(utc_stamp(1_764_783_965), "2025-12-03T17-46-05Z");
    }
}
