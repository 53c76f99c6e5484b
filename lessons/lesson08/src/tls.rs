//! The certificate for nginx's HTTP/2 listener, made at start.
//!
//! Browsers speak HTTP/2 only over TLS (HTTP/2 without TLS, "h2c", exists but no browser uses
//! it), and TLS needs a certificate. For a practice cluster on 127.0.0.1 a self-signed one is
//! enough: the browser warns once (Chromium in the tests runs with
//! `--ignore-certificate-errors`). A real deployment uses a certificate from a CA such as
//! Let's Encrypt, and nothing else in this lesson changes.

use std::path::{Path, PathBuf};

/// Where [`write_self_signed`] put the certificate and its private key (PEM files).
pub struct CertFiles {
    pub cert: PathBuf,
    pub key: PathBuf,
}

/// Makes a self-signed certificate for `localhost` and `127.0.0.1` and writes `cert.pem` and
/// `key.pem` into `dir`.
pub fn write_self_signed(dir: &Path) -> Result<CertFiles, String> {
    let names = vec!["localhost".to_owned(), "127.0.0.1".to_owned()];
    let made = rcgen::generate_simple_self_signed(names)
        .map_err(|err| format!("cannot make a certificate: {err}"))?;
    let files = CertFiles {
        cert: dir.join("cert.pem"),
        key: dir.join("key.pem"),
    };
    let write = |path: &Path, text: String| {
        std::fs::write(path, text).map_err(|err| format!("cannot write {}: {err}", path.display()))
    };
    write(&files.cert, made.cert.pem())?;
    write(&files.key, made.key_pair.serialize_pem())?;
    Ok(files)
}
