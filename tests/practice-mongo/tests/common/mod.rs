//! Helpers shared by the test files: how a test starts ([`start`]), a driver client for a
//! [`TestMongo`], deadlines, and a raw wire-protocol connection for tests that must send exact
//! bytes.
#![allow(dead_code)] // each test file uses a different subset

use std::time::Duration;

use bson::{doc, Document};
use mongodb::options::ClientOptions;
use mongodb::{Client, Database};
use practice_mongo::test_support::TestMongo;
use practice_mongo::{wire, Config};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Generous upper bound for anything that should happen "soon"; tests wait *for an event*
/// with this as the deadline, never sleep for it.
pub const DEADLINE: Duration = Duration::from_secs(10);

pub type BoxError = Box<dyn std::error::Error + Send + Sync>;
pub type TestResult = Result<(), BoxError>;

/// How most tests begin: the server to test against (see [`TestMongo::start`]), announced under
/// the test's name, and the test's own database through a driver client. Keep the `TestMongo`
/// bound (`_mongo` if unused) until the test ends: dropping it cleans up.
pub async fn start(test: &str) -> Result<(TestMongo, Database), BoxError> {
    with_database(start_without_client(test).await?).await
}

/// [`start`] for `practice_only_` tests: always an in-process practice server, set up by `config`.
pub async fn start_practice(test: &str, config: Config) -> Result<(TestMongo, Database), BoxError> {
    let mongo = TestMongo::start_practice(config).await?;
    announce(test, &mongo);
    with_database(mongo).await
}

/// [`start`] without the driver client, for tests that open their own connections and count
/// the server's (a driver client keeps monitoring connections open).
pub async fn start_without_client(test: &str) -> Result<TestMongo, BoxError> {
    let mongo = TestMongo::start().await?;
    announce(test, &mongo);
    Ok(mongo)
}

/// A default practice server, announced, without the driver client (see [`start_without_client`]).
pub async fn start_practice_without_client(test: &str) -> Result<TestMongo, BoxError> {
    let mongo = TestMongo::start_practice(Config::default()).await?;
    announce(test, &mongo);
    Ok(mongo)
}

async fn with_database(mongo: TestMongo) -> Result<(TestMongo, Database), BoxError> {
    let db = client(&mongo).await?.database(mongo.db_name());
    Ok((mongo, db))
}

/// A driver client on the test's database URI. `app_name` tags its connections, which lets a
/// fail point target only this client (useful against a shared real server).
pub async fn client_with_app(
    mongo: &TestMongo,
    app_name: Option<&str>,
) -> mongodb::error::Result<Client> {
    let mut options = ClientOptions::parse(mongo.uri_for_db()).await?;
    options.server_selection_timeout = Some(Duration::from_secs(5));
    options.app_name = app_name.map(str::to_owned);
    Client::with_options(options)
}

pub async fn client(mongo: &TestMongo) -> mongodb::error::Result<Client> {
    client_with_app(mongo, None).await
}

/// Announces which server a test runs against (shown with `--nocapture` or on failure).
pub fn announce(test: &str, mongo: &TestMongo) {
    println!("{test}: running against {}", mongo.describe());
}

/// Waits until `check` is true, re-checking whenever `tick` elapses, failing after DEADLINE.
/// Used only for server counters that have no event to wait on from outside.
pub async fn wait_until(what: &str, mut check: impl FnMut() -> bool) {
    let waited = tokio::time::timeout(DEADLINE, async {
        while !check() {
            tokio::task::yield_now().await;
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    })
    .await;
    assert!(waited.is_ok(), "timed out waiting until {what}");
}

/// The error code of a driver error that came from the server.
pub fn server_code(e: &mongodb::error::Error) -> Option<i32> {
    use mongodb::error::{ErrorKind, WriteFailure};
    match &*e.kind {
        ErrorKind::Command(c) => Some(c.code),
        ErrorKind::Write(WriteFailure::WriteError(w)) => Some(w.code),
        ErrorKind::InsertMany(i) => i.write_errors.as_ref()?.first().map(|w| w.code),
        _ => None,
    }
}

/// A bare connection that speaks OP_MSG by hand.
pub struct RawConn {
    pub stream: TcpStream,
    next_id: i32,
}

impl RawConn {
    pub async fn connect(addr: std::net::SocketAddr) -> std::io::Result<RawConn> {
        Ok(RawConn {
            stream: TcpStream::connect(addr).await?,
            next_id: 1,
        })
    }

    /// Wraps an already-connected socket.
    pub fn from_stream(stream: TcpStream) -> RawConn {
        RawConn { stream, next_id: 1 }
    }

    pub async fn send(&mut self, command: &Document) -> std::io::Result<()> {
        self.next_id += 1;
        let bytes = wire::encode_op_msg(0, self.next_id, command);
        self.stream.write_all(&bytes).await
    }

    /// Reads one whole message (any op code) and returns its bytes.
    pub async fn read_message(&mut self) -> std::io::Result<Vec<u8>> {
        let mut header = [0u8; 16];
        self.stream.read_exact(&mut header).await?;
        let len = i32::from_le_bytes([header[0], header[1], header[2], header[3]]) as usize;
        let mut message = header.to_vec();
        message.resize(len, 0);
        self.stream.read_exact(&mut message[16..]).await?;
        Ok(message)
    }

    pub async fn command(&mut self, command: Document) -> std::io::Result<Document> {
        self.send(&command).await?;
        let message = self.read_message().await?;
        match wire::parse_message(&message) {
            Ok(wire::Request::Msg { command, .. }) => Ok(command),
            other => Err(std::io::Error::other(format!("unexpected reply {other:?}"))),
        }
    }

    /// After a malformed message: `None` when the server closed the connection, else the reply
    /// it sent (an OP_MSG), for the caller to check that it is an error.
    pub async fn closed_or_reply(&mut self) -> std::io::Result<Option<Document>> {
        let mut first = [0u8; 1];
        match tokio::time::timeout(DEADLINE, self.stream.read(&mut first)).await {
            Ok(Ok(0)) | Ok(Err(_)) => return Ok(None),
            Ok(Ok(_)) => {}
            Err(_) => return Err(std::io::Error::other("neither closed nor answered")),
        }
        let mut header = [0u8; 16];
        header[0] = first[0];
        self.stream.read_exact(&mut header[1..]).await?;
        let len = i32::from_le_bytes([header[0], header[1], header[2], header[3]]) as usize;
        let mut message = header.to_vec();
        message.resize(len, 0);
        self.stream.read_exact(&mut message[16..]).await?;
        match wire::parse_message(&message) {
            Ok(wire::Request::Msg { command, .. }) => Ok(Some(command)),
            other => Err(std::io::Error::other(format!("unexpected reply {other:?}"))),
        }
    }

    /// True when the server closed the connection (read returns 0 bytes) before DEADLINE.
    pub async fn closed_by_server(&mut self) -> bool {
        let mut byte = [0u8; 1];
        matches!(
            tokio::time::timeout(DEADLINE, self.stream.read(&mut byte)).await,
            Ok(Ok(0)) | Ok(Err(_))
        )
    }
}

pub fn ping() -> Document {
    doc! { "ping": 1, "$db": "admin" }
}
