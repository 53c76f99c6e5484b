//! Building one exercise binary. Behind a trait so that the tutor's own tests can point it at
//! small fixture crates instead of the real lessons.

use std::path::{Path, PathBuf};
use std::process::Command;

/// Builds binary `bin` of package `package` and returns the path of the executable, or the
/// compiler's error messages.
pub trait Build: Send + Sync {
    fn build(&self, package: &str, bin: &str) -> Result<PathBuf, String>;
}

/// Builds with `cargo build -p <package> --bin <bin>`: one exercise that does not compile does not
/// stop the others from being checked.
pub struct Cargo {
    /// The `Cargo.toml` of the workspace (or package) that holds the binaries.
    pub manifest: PathBuf,
    pub target_dir: PathBuf,
    pub release: bool,
}

impl Cargo {
    /// Builds `manifest`'s binaries into the target directory of the running program, the one
    /// `cargo run -p tutor` (or `cargo test`) built it in, so nothing is compiled twice.
    pub fn beside_current_exe(manifest: PathBuf) -> Result<Cargo, String> {
        let exe = std::env::current_exe().map_err(|e| format!("current_exe: {e}"))?;
        // <target>/<profile>/tutor, or <target>/<profile>/deps/<test> for a test.
        let mut profile_dir = exe.parent().ok_or("unexpected executable path")?;
        if profile_dir.ends_with("deps") {
            profile_dir = profile_dir.parent().ok_or("unexpected executable path")?;
        }
        let target_dir = profile_dir.parent().ok_or("unexpected executable path")?;
        Ok(Cargo {
            manifest,
            target_dir: target_dir.to_owned(),
            release: profile_dir.ends_with("release"),
        })
    }
}

impl Build for Cargo {
    fn build(&self, package: &str, bin: &str) -> Result<PathBuf, String> {
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let mut command = Command::new(cargo);
        command
            .args(["build", "--message-format=json-render-diagnostics"])
            .args(["-p", package, "--bin", bin])
            .arg("--manifest-path")
            .arg(&self.manifest)
            .arg("--target-dir")
            .arg(&self.target_dir)
            .env("CARGO_TERM_COLOR", "never");
        if self.release {
            command.arg("--release");
        }
        let output = command
            .output()
            .map_err(|e| format!("could not run cargo: {e}"))?;
        if !output.status.success() {
            return Err(compiler_messages(&String::from_utf8_lossy(&output.stderr)));
        }
        executable(&String::from_utf8_lossy(&output.stdout), bin)
            .ok_or_else(|| format!("cargo built nothing named {bin}"))
    }
}

/// The path of binary `bin` from cargo's JSON messages (one `compiler-artifact` line per target).
fn executable(json_lines: &str, bin: &str) -> Option<PathBuf> {
    json_lines
        .lines()
        .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
        .filter(|message| message["target"]["name"] == bin)
        .find_map(|message| message["executable"].as_str().map(PathBuf::from))
}

/// cargo's stderr without its progress lines (`Compiling ...`), so that the errors stand out.
fn compiler_messages(stderr: &str) -> String {
    let progress = [
        "Compiling",
        "Checking",
        "Blocking",
        "Building",
        "Finished",
        "Locking",
    ];
    stderr
        .lines()
        .filter(|line| !progress.contains(&line.trim_start().split(' ').next().unwrap_or("")))
        .collect::<Vec<_>>()
        .join("\n")
        .trim()
        .to_owned()
}

/// The workspace root, as this package was compiled: `<root>/tutor`.
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map_or_else(|| PathBuf::from("."), Path::to_owned)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn progress_lines_are_left_out() {
        let stderr = "   Compiling fixture v0.1.0\nerror[E0308]: mismatched types\n --> a.rs:1:1\nerror: could not compile `fixture`";
        assert_eq!(
            compiler_messages(stderr),
            "error[E0308]: mismatched types\n --> a.rs:1:1\nerror: could not compile `fixture`"
        );
    }

    #[test]
    fn the_executable_is_found_by_target_name() {
        let lines = "{\"reason\":\"compiler-artifact\",\"target\":{\"name\":\"other\"},\"executable\":\"/t/other\"}\n\
                     not json\n\
                     {\"reason\":\"compiler-artifact\",\"target\":{\"name\":\"a-ex1\"},\"executable\":\"/t/a-ex1\"}";
        assert_eq!(executable(lines, "a-ex1"), Some(PathBuf::from("/t/a-ex1")));
        assert_eq!(executable(lines, "missing"), None);
    }
}
