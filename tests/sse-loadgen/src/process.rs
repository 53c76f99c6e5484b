//! The server under test, started from the same target folder as this tool, and what `/proc`
//! says about it (resident memory, CPU time).
//!
//! `/proc` is Linux's, and raising the open-file limit is Unix's: elsewhere (Windows, and macOS
//! for `/proc`) this module compiles, so that `cargo test` builds everywhere, and
//! [`check_platform`] stops the tool at once with [`LINUX_ONLY`] before anything is started.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

/// What the tool says on a system without Linux's `/proc`.
pub const LINUX_ONLY: &str = "sse-loadgen reads the servers' memory and CPU time from Linux's \
     /proc and raises its open-file limit with setrlimit: it runs on Linux only (WSL 2 works)";

/// Fails at once, with [`LINUX_ONLY`], where the measurements cannot be taken.
pub fn check_platform() -> Result<(), String> {
    if cfg!(target_os = "linux") {
        Ok(())
    } else {
        Err(LINUX_ONLY.to_owned())
    }
}

/// A server process this tool started; killed when dropped.
pub struct Server {
    /// Held only so that the process is killed when this is dropped (`kill_on_drop`).
    _child: Child,
    pub pid: u32,
    /// The first stdout line it printed (`listening on http://...` or a `MONGODB_URI=...` line).
    pub announced: String,
}

/// `target/<profile>/<name>`, next to this tool's own binary.
pub fn sibling_binary(name: &str) -> Result<PathBuf, String> {
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    let path = exe.with_file_name(name);
    if path.is_file() {
        Ok(path)
    } else {
        Err(format!(
            "{} is not built; run: cargo build --release -p lesson03 -p lesson05 -p practice-mongo",
            path.display()
        ))
    }
}

impl Server {
    /// Starts `name` with `args` and `env`, and waits for the stdout line that starts with `wanted`.
    pub async fn start(
        name: &str,
        args: &[&str],
        env: &[(&str, &str)],
        wanted: &str,
    ) -> Result<Server, String> {
        let mut child = Command::new(sibling_binary(name)?)
            .args(args)
            .envs(env.iter().copied())
            .env("RUST_LOG", "warn")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .kill_on_drop(true)
            .spawn()
            .map_err(|e| format!("starting {name}: {e}"))?;
        let pid = child.id().ok_or("no pid")?;
        let stdout = child.stdout.take().ok_or("no stdout")?;
        let mut lines = BufReader::new(stdout).lines();
        let announced = tokio::time::timeout(Duration::from_secs(30), async {
            while let Ok(Some(line)) = lines.next_line().await {
                if line.starts_with(wanted) {
                    return Some(line);
                }
            }
            None
        })
        .await
        .ok()
        .flatten()
        .ok_or_else(|| format!("{name} did not print a line starting with {wanted:?}"))?;
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
        Ok(Server {
            _child: child,
            pid,
            announced,
        })
    }

    /// The address from a `listening on http://ADDR` line.
    pub fn http_addr(&self) -> Result<SocketAddr, String> {
        self.announced
            .strip_prefix("listening on http://")
            .and_then(|a| a.parse().ok())
            .ok_or_else(|| format!("not a listening line: {}", self.announced))
    }

    /// Resident memory in KiB (`VmRSS` in `/proc/<pid>/status`).
    #[cfg(target_os = "linux")]
    pub fn rss_kib(&self) -> Result<u64, String> {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.pid))
            .map_err(|e| e.to_string())?;
        status
            .lines()
            .find_map(|line| line.strip_prefix("VmRSS:"))
            .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
            .ok_or_else(|| "no VmRSS".to_owned())
    }

    /// CPU time used so far, (user, system), from `/proc/<pid>/stat`.
    #[cfg(target_os = "linux")]
    pub fn cpu_times(&self) -> Result<(Duration, Duration), String> {
        let stat = std::fs::read_to_string(format!("/proc/{}/stat", self.pid))
            .map_err(|e| e.to_string())?;
        // The command name is in parentheses and may hold spaces: count fields after the last ')'.
        let after = stat
            .rsplit_once(')')
            .map(|(_, rest)| rest)
            .ok_or("bad stat")?;
        let fields: Vec<&str> = after.split_whitespace().collect();
        // After ')': state is field 3 of the whole line, so utime (14) and stime (15) are 11 and 12 here.
        let field = |i: usize| -> Result<u64, String> {
            fields
                .get(i)
                .and_then(|v| v.parse().ok())
                .ok_or_else(|| format!("no field {i} in /proc/{}/stat", self.pid))
        };
        // SAFETY: sysconf only reads a system setting.
        let per_second = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
        let per_second = u64::try_from(per_second)
            .ok()
            .filter(|v| *v > 0)
            .ok_or("no CLK_TCK")? as f64;
        let seconds = |ticks: u64| Duration::from_secs_f64(ticks as f64 / per_second);
        Ok((seconds(field(11)?), seconds(field(12)?)))
    }

    /// No `/proc` here: see [`LINUX_ONLY`].
    #[cfg(not(target_os = "linux"))]
    pub fn rss_kib(&self) -> Result<u64, String> {
        Err(format!("memory of pid {}: {LINUX_ONLY}", self.pid))
    }

    /// No `/proc` here: see [`LINUX_ONLY`].
    #[cfg(not(target_os = "linux"))]
    pub fn cpu_times(&self) -> Result<(Duration, Duration), String> {
        Err(format!("CPU time of pid {}: {LINUX_ONLY}", self.pid))
    }
}

/// Raises this process's open-file limit to its hard limit; servers it starts inherit it.
/// 10,000 readers need 10,000 sockets here and 10,000 in the server.
#[cfg(unix)]
pub fn raise_open_file_limit() -> Result<u64, String> {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit/setrlimit fill and read the struct we pass; no other memory is touched.
    unsafe {
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) != 0 {
            return Err("getrlimit failed".into());
        }
        limit.rlim_cur = limit.rlim_max;
        if libc::setrlimit(libc::RLIMIT_NOFILE, &limit) != 0 {
            return Err("setrlimit failed".into());
        }
    }
    Ok(limit.rlim_cur)
}

/// There is no `setrlimit` here: see [`LINUX_ONLY`].
#[cfg(not(unix))]
pub fn raise_open_file_limit() -> Result<u64, String> {
    Err(LINUX_ONLY.to_owned())
}
