//! Finds the binary that `cargo run -p <name>` runs, building the workspace's binaries once.
//!
//! `cargo test` builds a package's binaries only for that package's own integration tests, and our
//! lesson tests live in another package. So the first test that needs a binary runs
//! `cargo build --workspace --bins` (with the same target directory and profile as the running
//! test) and every later test reuses the result.
//!
//! That nested cargo must not inherit the variables `cargo test` set for this test process
//! (see [`VARS_CARGO_SETS_FOR_TESTS`]): some build scripts (ring's, for one) tell cargo to rebuild
//! when `CARGO_MANIFEST_DIR` or `CARGO_PKG_*` change, and read them from cargo's own environment.
//! Inherited, they make ring look changed, so the nested build recompiled ring, rustls, mongodb
//! and every lesson (~50 s), and the next `cargo test` recompiled them back again.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

/// Variables `cargo test` sets for the package under test; `CARGO_PKG_*` are removed by prefix.
/// `CARGO` stays: it names the cargo to run. `LD_LIBRARY_PATH` stays too: cargo only adds
/// directories to it and no build script here tracks it.
const VARS_CARGO_SETS_FOR_TESTS: [&str; 7] = [
    "CARGO_MANIFEST_DIR",
    "CARGO_MANIFEST_PATH",
    "CARGO_MANIFEST_LINKS",
    "CARGO_CRATE_NAME",
    "CARGO_PRIMARY_PACKAGE",
    "CARGO_TARGET_TMPDIR",
    "OUT_DIR",
];

static BUILT: OnceLock<Result<HashMap<String, PathBuf>, String>> = OnceLock::new();

/// The path of the workspace binary `name` (a lesson's binary is named like its package).
/// Panics with cargo's own message if the workspace does not build.
pub fn path_of(name: &str) -> PathBuf {
    let built = BUILT.get_or_init(build_all);
    match built {
        Ok(map) => match map.get(name) {
            Some(path) => path.clone(),
            None => panic!(
                "no binary named {name:?} in the workspace (have: {:?})",
                map.keys()
            ),
        },
        Err(message) => panic!("building the workspace binaries failed:\n{message}"),
    }
}

/// The workspace root: this crate lives in `<root>/tests/harness`.
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn build_all() -> Result<HashMap<String, PathBuf>, String> {
    // The running test is `<target>/<profile>/deps/<name>-<hash>`; build into the same place.
    let exe = std::env::current_exe().map_err(|e| format!("current_exe: {e}"))?;
    let profile_dir = exe
        .parent()
        .and_then(Path::parent)
        .ok_or("unexpected test executable path")?;
    let target_dir = profile_dir
        .parent()
        .ok_or("unexpected test executable path")?;
    let release = profile_dir.file_name().is_some_and(|n| n == "release");

    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut command = Command::new(cargo);
    command
        .current_dir(workspace_root())
        .args([
            "build",
            "--workspace",
            "--bins",
            "--message-format=json-render-diagnostics",
        ])
        .arg("--target-dir")
        .arg(target_dir);
    if release {
        command.arg("--release");
    }
    for (name, _) in std::env::vars_os() {
        if name
            .to_str()
            .is_some_and(|name| name.starts_with("CARGO_PKG_"))
        {
            command.env_remove(&name);
        }
    }
    for name in VARS_CARGO_SETS_FOR_TESTS {
        command.env_remove(name);
    }
    let output = command
        .output()
        .map_err(|e| format!("could not run cargo: {e}"))?;
    if !output.status.success() {
        return Err(String::from_utf8_lossy(&output.stderr).into_owned());
    }

    // Each built binary is one JSON line with "reason":"compiler-artifact" and an "executable".
    let mut found = HashMap::new();
    for line in String::from_utf8_lossy(&output.stdout).lines() {
        let Ok(message) = serde_json::from_str::<serde_json::Value>(line) else {
            continue;
        };
        let is_bin = message["target"]["kind"]
            .as_array()
            .is_some_and(|kinds| kinds.iter().any(|k| k == "bin"));
        if let (true, Some(name), Some(exe)) = (
            is_bin,
            message["target"]["name"].as_str(),
            message["executable"].as_str(),
        ) {
            found.insert(name.to_owned(), PathBuf::from(exe));
        }
    }
    Ok(found)
}
