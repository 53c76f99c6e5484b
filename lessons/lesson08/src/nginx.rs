//! nginx in front of the instances: the shipped configuration (`lessons/lesson08/nginx.conf`),
//! filled in at run time, and nginx started as a child process of an ordinary user.
//!
//! The configuration is a template: `@NAME@` marks what is known only when the cluster starts
//! (the instances' ports, nginx's own ports, the directory it writes into). Filling it is plain
//! text replacement, so the file you read is the file nginx runs.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The shipped configuration, with `@NAME@` placeholders.
pub const TEMPLATE: &str = include_str!("../nginx.conf");

/// What a learner without nginx is told.
pub const INSTALL_HINT: &str = "nginx is not installed (looked on PATH and in /usr/sbin).\n\
     Install it, then run this again:\n  \
     Debian/Ubuntu: sudo apt-get install nginx   (then `sudo service nginx stop`: this lesson starts its own)\n  \
     macOS:         brew install nginx";

/// The values of the template's placeholders.
#[derive(Clone, Debug)]
pub struct Settings {
    /// `@DIR@`: where nginx keeps its pid, log and temp files, and finds `cert.pem`/`key.pem`.
    pub dir: PathBuf,
    /// `@UPSTREAMS@`: one `server` line per instance.
    pub instances: Vec<SocketAddr>,
    /// `@HTTP_PORT@`: plain HTTP/1.1.
    pub http_port: u16,
    /// `@HTTPS_PORT@`: HTTP/2 over TLS.
    pub https_port: u16,
    /// `@READ_TIMEOUT@`: `proxy_read_timeout`, nginx's idle timeout for an upstream response.
    pub read_timeout: Duration,
}

impl Settings {
    /// `template` with every placeholder filled; `Err` names a placeholder left unfilled.
    pub fn fill(&self, template: &str) -> Result<String, String> {
        let upstreams: Vec<String> = self
            .instances
            .iter()
            .map(|addr| format!("        server {addr} max_fails=1 fail_timeout=5s;"))
            .collect();
        let values = [
            ("DIR", self.dir.display().to_string()),
            ("UPSTREAMS", upstreams.join("\n")),
            ("HTTP_PORT", self.http_port.to_string()),
            ("HTTPS_PORT", self.https_port.to_string()),
            (
                "READ_TIMEOUT",
                format!("{}ms", self.read_timeout.as_millis()),
            ),
        ];
        fill(template, &values)
    }
}

/// Replaces each `@NAME@` of `values` in `template`. A placeholder left over is an error, so a
/// typo in the template never reaches nginx as a strange value.
pub fn fill(template: &str, values: &[(&str, String)]) -> Result<String, String> {
    let mut text = template.to_owned();
    for (name, value) in values {
        text = text.replace(&format!("@{name}@"), value);
    }
    let left =
        text.split('@').skip(1).step_by(2).find(|name| {
            !name.is_empty() && name.bytes().all(|b| b.is_ascii_uppercase() || b == b'_')
        });
    match left {
        Some(name) => Err(format!("the nginx template has no value for @{name}@")),
        None => Ok(text),
    }
}

/// The nginx program: on `PATH`, else where Debian and Homebrew put it (`/usr/sbin` is not on
/// an ordinary user's `PATH`).
pub fn find() -> Option<PathBuf> {
    let on_path = std::env::var_os("PATH")
        .map(|path| std::env::split_paths(&path).collect::<Vec<_>>())
        .unwrap_or_default();
    let known = [
        "/usr/sbin",
        "/usr/local/sbin",
        "/opt/homebrew/bin",
        "/usr/local/bin",
    ];
    on_path
        .into_iter()
        .chain(known.iter().map(PathBuf::from))
        .map(|dir| dir.join("nginx"))
        .find(|program| program.is_file())
}

/// Writes what nginx reads into `settings.dir` (the filled configuration, the temp directories it
/// wants, and the self-signed certificate of its HTTP/2 listener, `tls.rs`) and returns the
/// command that runs nginx in the foreground, as this user, from that directory.
pub fn prepare(
    nginx: &Path,
    settings: &Settings,
    config: &str,
) -> Result<tokio::process::Command, String> {
    let dir = &settings.dir;
    for sub in ["client_body", "proxy", "fastcgi", "uwsgi", "scgi"] {
        std::fs::create_dir_all(dir.join(sub))
            .map_err(|err| format!("cannot create {}: {err}", dir.join(sub).display()))?;
    }
    crate::tls::write_self_signed(dir)?;
    let conf = dir.join("nginx.conf");
    std::fs::write(&conf, config)
        .map_err(|err| format!("cannot write {}: {err}", conf.display()))?;
    let mut command = tokio::process::Command::new(nginx);
    command
        .arg("-p")
        .arg(dir)
        .arg("-c")
        .arg(&conf)
        // In the foreground, so that it is our child and stops with us, and as one process:
        // killing a master process would leave its workers running, holding the ports.
        .args(["-g", "daemon off; master_process off;"])
        .stdin(std::process::Stdio::null())
        .kill_on_drop(true);
    Ok(command)
}

/// [`prepare`]s nginx, starts it and waits (at most `within`) until it accepts connections on
/// `settings.http_port`: nginx prints nothing when it is ready, so we try its port. `Err` says
/// why, with nginx's error log when it exited instead.
pub async fn start(
    nginx: &Path,
    settings: &Settings,
    config: &str,
    within: Duration,
) -> Result<tokio::process::Child, String> {
    let mut child = prepare(nginx, settings, config)?
        .spawn()
        .map_err(|err| format!("cannot start {}: {err}", nginx.display()))?;
    let log = || std::fs::read_to_string(settings.dir.join("error.log")).unwrap_or_default();
    let deadline = tokio::time::Instant::now() + within;
    loop {
        if let Ok(Some(status)) = child.try_wait() {
            return Err(format!("nginx exited ({status}); its log:\n{}", log()));
        }
        if tokio::net::TcpStream::connect(("127.0.0.1", settings.http_port))
            .await
            .is_ok()
        {
            return Ok(child);
        }
        if tokio::time::Instant::now() > deadline {
            return Err(format!(
                "nginx did not open port {} within {within:?}; its log:\n{}",
                settings.http_port,
                log()
            ));
        }
        // Bounded by `within`: the next try of the port.
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// A port that was free a moment ago (nginx needs its ports in the file before it starts).
pub fn free_port() -> std::io::Result<u16> {
    let listener = std::net::TcpListener::bind(("127.0.0.1", 0))?;
    Ok(listener.local_addr()?.port())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_template_is_filled_completely() {
        let settings = Settings {
            dir: PathBuf::from("/tmp/x"),
            instances: vec![
                "127.0.0.1:3001".parse().unwrap(),
                "127.0.0.1:3002".parse().unwrap(),
            ],
            http_port: 8080,
            https_port: 8443,
            read_timeout: Duration::from_secs(60),
        };
        let config = settings
            .fill(TEMPLATE)
            .expect("every placeholder has a value");
        assert!(config.contains("        server 127.0.0.1:3002 max_fails=1 fail_timeout=5s;\n"));
        assert!(config.contains("listen 127.0.0.1:8443 ssl http2;"));
        assert!(config.contains("proxy_read_timeout 60000ms;"));
        assert!(config.contains("pid /tmp/x/nginx.pid;"));
        assert!(!config.contains('@'));
    }

    #[test]
    fn a_placeholder_without_a_value_is_an_error() {
        assert_eq!(
            fill("a @DIR@ b @OOPS@", &[("DIR", "d".into())]),
            Err("the nginx template has no value for @OOPS@".into())
        );
        assert_eq!(
            fill("mail me@example.com", &[]),
            Ok("mail me@example.com".into())
        );
    }
}
