//! One switch for the real thing: every MongoDB test gets its server from here.
//!
//! * By default, a fresh in-process practice server on a free port.
//! * When the `MONGODB_URI` environment variable is set (and not empty), that server instead,
//!   e.g. a real replica set started with Docker (see this crate's README).
//!
//! Either way each test gets a database of its own, so tests can run in parallel against the
//! same real server, and a URI whose path is that database (the lessons read their database
//! from the URI path). On a real server that database is dropped when the [`TestMongo`] is
//! dropped, at the end of the test, passed or failed, so the suite leaves nothing behind.
//!
//! Tests that use fail points go through [`TestMongo::fail_points`]: a real mongod started without
//! `--setParameter enableTestCommands=1` refuses them, and such a test then prints why it is
//! skipped instead of failing (and fails under `CI=true`, where nothing may be skipped).
//!
//! ```no_run
//! # async fn demo() -> std::io::Result<()> {
//! let mongo = practice_mongo::test_support::TestMongo::start().await?;
//! let uri = mongo.uri_for_db(); // mongodb://127.0.0.1:PORT/test_3f2a..._1?directConnection=true
//! # Ok(()) }
//! ```

use std::io;
use std::io::Write;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use bson::{doc, Document};

use crate::server::{Config, PracticeServer};

/// The environment variable that points the tests at a real MongoDB.
pub const MONGODB_URI_ENV: &str = "MONGODB_URI";

/// A MongoDB server for one test, with a database name of its own.
pub struct TestMongo {
    server: Option<PracticeServer>,
    base_uri: String,
    db_name: String,
}

impl TestMongo {
    /// The server in `MONGODB_URI` if set, else a new in-process practice server.
    pub async fn start() -> io::Result<TestMongo> {
        match std::env::var(MONGODB_URI_ENV) {
            Ok(uri) if !uri.trim().is_empty() => Ok(TestMongo::external(uri.trim())),
            _ => Self::start_practice(Config::default()).await,
        }
    }

    /// The server at `uri`, treated as [`TestMongo::start`] treats `MONGODB_URI`: a fresh
    /// database, dropped at the end. (`start` uses it; a test of that path can too.)
    pub fn external(uri: &str) -> TestMongo {
        TestMongo {
            server: None,
            base_uri: uri.to_owned(),
            db_name: fresh_db_name(),
        }
    }

    /// Always an in-process practice server, whatever `MONGODB_URI` says: for tests of the
    /// practice server itself (its counters, its history limit, its handling of garbage).
    pub async fn start_practice(config: Config) -> io::Result<TestMongo> {
        let server = PracticeServer::start(config).await?;
        Ok(TestMongo {
            base_uri: server.uri(),
            server: Some(server),
            db_name: fresh_db_name(),
        })
    }

    /// The server's URI with this test's database as its path.
    pub fn uri_for_db(&self) -> String {
        uri_with_database(&self.base_uri, &self.db_name)
    }

    /// The server's URI as given (no database chosen).
    pub fn base_uri(&self) -> &str {
        &self.base_uri
    }

    /// This test's database.
    pub fn db_name(&self) -> &str {
        &self.db_name
    }

    /// The practice server, or `None` when running against `MONGODB_URI`.
    pub fn practice_server(&self) -> Option<&PracticeServer> {
        self.server.as_ref()
    }

    /// Drops this test's database now (on a real server; the practice server forgets
    /// everything when it stops anyway). [`Drop`] does the same; call this to see the error.
    pub async fn drop_database(&self) -> Result<(), mongodb::error::Error> {
        if self.server.is_some() {
            return Ok(());
        }
        drop_test_database(&self.uri_for_db(), &self.db_name).await
    }

    /// Says which server the test runs against, for the test's output.
    pub fn describe(&self) -> String {
        match &self.server {
            Some(s) => format!("the in-process practice server at {}", s.address()),
            None => format!("the MongoDB in ${MONGODB_URI_ENV}"),
        }
    }
}

/// How long dropping a test database may take before we give up and say so.
const CLEANUP_TIMEOUT: Duration = Duration::from_secs(5);

impl Drop for TestMongo {
    /// On a real server, drops the test's database. `Drop` cannot wait for async work, so this
    /// runs on a thread of its own with its own small runtime (which also works inside the
    /// test's runtime, whichever flavour it is) and waits for it: the next test starts clean.
    fn drop(&mut self) {
        if self.server.is_some() {
            return;
        }
        let (uri, db) = (self.uri_for_db(), self.db_name.clone());
        let dropped = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .map_err(|e| e.to_string())?;
            let result = runtime.block_on(async {
                tokio::time::timeout(CLEANUP_TIMEOUT * 2, drop_test_database(&uri, &db)).await
            });
            match result {
                Ok(Ok(())) => Ok(()),
                Ok(Err(e)) => Err(e.to_string()),
                Err(_) => Err(format!("no answer within {:?}", CLEANUP_TIMEOUT * 2)),
            }
        })
        .join()
        .unwrap_or_else(|_| Err("the cleanup thread panicked".to_owned()));
        if let Err(e) = dropped {
            visible(&format!(
                "warning: could not drop the test database {} on $MONGODB_URI: {e}",
                self.db_name
            ));
        }
    }
}

async fn drop_test_database(uri: &str, db: &str) -> Result<(), mongodb::error::Error> {
    let mut options = mongodb::options::ClientOptions::parse(uri).await?;
    options.server_selection_timeout = Some(CLEANUP_TIMEOUT);
    let client = mongodb::Client::with_options(options)?;
    let dropped = client.database(db).drop().await;
    client.shutdown().await;
    dropped
}

/// A test's right to use fail points, from [`TestMongo::fail_points`].
///
/// mongod has one `failCommand` fail point for the whole server: two tests setting it at once
/// on the same real server would overwrite each other's. So on a real server a test holds this
/// for as long as it uses fail points and the others wait their turn (the practice server of
/// each test is its own, so there nobody waits).
pub struct FailPoints {
    client: mongodb::Client,
    _turn: Option<tokio::sync::OwnedMutexGuard<()>>,
}

impl FailPoints {
    /// Runs `command` (a `configureFailPoint` document) on `admin` and returns the reply.
    pub async fn set(&self, command: Document) -> Result<Document, mongodb::error::Error> {
        self.client.database("admin").run_command(command).await
    }

    /// Turns `failCommand` off; the reply's `count` says how often it fired.
    pub async fn off(&self) -> Result<Document, mongodb::error::Error> {
        self.set(doc! { "configureFailPoint": "failCommand", "mode": "off" })
            .await
    }
}

impl TestMongo {
    /// For a test that sets fail points through `client`: waits for its turn (on a real
    /// server), checks that the server accepts `configureFailPoint`, and returns the handle.
    ///
    /// A real mongod started without `--setParameter enableTestCommands=1` has no such
    /// command (code 59): then this prints `SKIPPED: <test>: ...` with the fix and returns
    /// `Ok(None)`, and the test returns early. Under `CI=true` it panics instead, because CI
    /// must not skip. Any other error is returned.
    ///
    /// ```no_run
    /// # async fn demo(mongo: practice_mongo::test_support::TestMongo, client: mongodb::Client)
    /// # -> mongodb::error::Result<()> {
    /// let Some(fail_points) = mongo.fail_points(&client, "my_test").await? else {
    ///     return Ok(()); // skipped, and said so
    /// };
    /// fail_points
    ///     .set(bson::doc! {
    ///         "configureFailPoint": "failCommand", "mode": { "times": 1 },
    ///         "data": { "failCommands": ["getMore"], "closeConnection": true, "appName": "my-test" },
    ///     })
    ///     .await?;
    /// # Ok(()) }
    /// ```
    pub async fn fail_points(
        &self,
        client: &mongodb::Client,
        test: &str,
    ) -> Result<Option<FailPoints>, mongodb::error::Error> {
        static ONE_AT_A_TIME: std::sync::OnceLock<std::sync::Arc<tokio::sync::Mutex<()>>> =
            std::sync::OnceLock::new();
        let turn = match self.server {
            Some(_) => None,
            None => Some(
                ONE_AT_A_TIME
                    .get_or_init(Default::default)
                    .clone()
                    .lock_owned()
                    .await,
            ),
        };
        let fail_points = FailPoints {
            client: client.clone(),
            _turn: turn,
        };
        match fail_points.off().await {
            Ok(_) => Ok(Some(fail_points)),
            Err(e) if command_not_found(&e).is_some() => {
                let errmsg = command_not_found(&e).unwrap_or_default();
                let message = format!(
                    "SKIPPED: {test}: the MongoDB in ${MONGODB_URI_ENV} refuses \
                     configureFailPoint (code 59: {errmsg}). Fail points are test commands: \
                     start mongod with --setParameter enableTestCommands=1 (see \
                     tests/practice-mongo/README.md)."
                );
                if std::env::var("CI").is_ok_and(|v| v == "true") {
                    panic!("{message} (CI=true: nothing may be skipped)");
                }
                visible(&message);
                Ok(None)
            }
            Err(e) => Err(e),
        }
    }
}

/// The server's message when `e` is "no such command" (59).
fn command_not_found(e: &mongodb::error::Error) -> Option<String> {
    match &*e.kind {
        mongodb::error::ErrorKind::Command(c) if c.code == 59 => Some(c.message.clone()),
        _ => None,
    }
}

/// Writes a line straight to stderr. `println!`/`eprintln!` in a test are captured by the test
/// runner and shown only when the test fails; a skip must be seen when it passes.
fn visible(line: &str) {
    let _ = writeln!(std::io::stderr().lock(), "{line}");
}

/// A database name no other test (in this run or an earlier one) has used: `test_<hex>_<n>`.
pub fn fresh_db_name() -> String {
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(0);
    let seed = (nanos ^ (u64::from(std::process::id()) << 32)) as u32;
    format!("test_{seed:08x}_{n}")
}

/// Puts `db` in the path of a MongoDB connection string, keeping the scheme, credentials,
/// hosts and options. With credentials, the database they authenticate against is kept with
/// `authSource` (otherwise the driver would authenticate against `db`).
pub fn uri_with_database(uri: &str, db: &str) -> String {
    let (scheme, rest) = match uri.find("://") {
        Some(i) => uri.split_at(i + 3),
        None => ("mongodb://", uri),
    };
    let (before_query, query) = match rest.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (rest, None),
    };
    // Hosts end at the first '/' after the credentials (which end at the last '@').
    let hosts_start = before_query.rfind('@').map_or(0, |i| i + 1);
    let (authority, old_db) = match before_query[hosts_start..].find('/') {
        Some(i) => (
            &before_query[..hosts_start + i],
            &before_query[hosts_start + i + 1..],
        ),
        None => (before_query, ""),
    };
    let mut options: Vec<String> = query
        .unwrap_or("")
        .split('&')
        .filter(|o| !o.is_empty())
        .map(str::to_owned)
        .collect();
    let has_credentials = hosts_start > 0;
    let has_auth_source = options
        .iter()
        .any(|o| o.to_ascii_lowercase().starts_with("authsource="));
    if has_credentials && !has_auth_source {
        let auth_db = if old_db.is_empty() { "admin" } else { old_db };
        options.push(format!("authSource={auth_db}"));
    }
    let mut out = format!("{scheme}{authority}/{db}");
    if !options.is_empty() {
        out.push('?');
        out.push_str(&options.join("&"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn database_goes_into_the_path() {
        assert_eq!(
            uri_with_database("mongodb://127.0.0.1:27017/?directConnection=true", "t1"),
            "mongodb://127.0.0.1:27017/t1?directConnection=true"
        );
        assert_eq!(
            uri_with_database("mongodb://127.0.0.1:27017", "t1"),
            "mongodb://127.0.0.1:27017/t1"
        );
        assert_eq!(
            uri_with_database("mongodb://a:1,b:2/yelp-camp?replicaSet=rs0&w=1", "t1"),
            "mongodb://a:1,b:2/t1?replicaSet=rs0&w=1"
        );
    }

    #[test]
    fn credentials_keep_their_auth_database() {
        assert_eq!(
            uri_with_database("mongodb://u:p%40ss@h:1/?tls=true", "t1"),
            "mongodb://u:p%40ss@h:1/t1?tls=true&authSource=admin"
        );
        assert_eq!(
            uri_with_database("mongodb+srv://u:p@cluster0.example.net/app", "t1"),
            "mongodb+srv://u:p@cluster0.example.net/t1?authSource=app"
        );
        assert_eq!(
            uri_with_database("mongodb://u:p@h/x?authSource=other", "t1"),
            "mongodb://u:p@h/t1?authSource=other"
        );
    }

    #[test]
    fn fresh_names_differ_and_are_valid() {
        let (a, b) = (fresh_db_name(), fresh_db_name());
        assert_ne!(a, b);
        for name in [a, b] {
            assert!(name.len() < 64);
            assert!(name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'));
        }
    }
}
