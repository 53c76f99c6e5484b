//! Connecting to MongoDB and opening the change stream, with the errors a learner will meet
//! (taught in lesson04).
//!
//! This is the notes' `main()` in [몽고DB-체인지스트림]: connect once, then open one change stream
//! on collection `post` that only reports inserts.

use std::fmt;
use std::time::Duration;

use mongodb::bson::{doc, Document};
use mongodb::change_stream::event::{ChangeStreamEvent, ResumeToken};
use mongodb::change_stream::ChangeStream;
use mongodb::error::ErrorKind;
use mongodb::options::ClientOptions;
use mongodb::{Client, Collection};

/// The notes' database (`yelp-camp`), on this machine; `directConnection=true` talks to that one
/// server without looking for the rest of a replica set.
pub const DEFAULT_URI: &str = "mongodb://127.0.0.1:27017/yelp-camp?directConnection=true";

/// `MONGODB_URI`, or [`DEFAULT_URI`] when it is not set (read like every setting:
/// `startup::settings::text`).
pub fn uri_from_env() -> String {
    startup::settings::text("MONGODB_URI").unwrap_or_else(|| DEFAULT_URI.to_owned())
}
/// The database used when the URI names none.
pub const DEFAULT_DATABASE: &str = "yelp-camp";
/// The notes' collection.
pub const COLLECTION: &str = "post";

/// The change stream type: each item is one change event whose `fullDocument` is a BSON document.
pub type PostChanges = ChangeStream<ChangeStreamEvent<Document>>;

/// Why the server cannot start, with what to do about it.
#[derive(Debug)]
pub enum StartupError {
    /// `MONGODB_URI` is not a MongoDB connection string.
    BadUri { uri: String, reason: String },
    /// No MongoDB the driver could use answered at the URI's address: none is running, or the
    /// one running does not match the URI (another replica set name, TLS, ...). `reason` is the
    /// driver's own description; `replica_set` the URI's `replicaSet` option, if any.
    Unreachable {
        hosts: String,
        reason: String,
        replica_set: Option<String>,
    },
    /// MongoDB answered but cannot open change streams: a standalone server (error 40573).
    NoChangeStreams { reason: String },
    /// Anything else the driver reported.
    Other(mongodb::error::Error),
}

impl StartupError {
    /// The process exit code: 2 for a bad setting, 3 unreachable, 4 no change streams, 1 other.
    pub fn exit_code(&self) -> i32 {
        match self {
            StartupError::BadUri { .. } => 2,
            StartupError::Unreachable { .. } => 3,
            StartupError::NoChangeStreams { .. } => 4,
            StartupError::Other(_) => 1,
        }
    }
}

impl fmt::Display for StartupError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StartupError::BadUri { uri, reason } => write!(
                f,
                "MONGODB_URI is not a MongoDB connection string: {uri:?} ({reason})\n\
                 hint: it looks like {DEFAULT_URI}"
            ),
            StartupError::Unreachable {
                hosts,
                reason,
                replica_set,
            } => {
                write!(
                    f,
                    "cannot reach MongoDB at {hosts}\n\
                     the driver says: {reason}\n"
                )?;
                if let Some(name) = replica_set {
                    // A running server whose replica set has another name is "not available"
                    // to the driver, exactly like a server that is not running at all.
                    writeln!(
                        f,
                        "MONGODB_URI asks for the replica set {name:?}: if MongoDB is running, \
                         check that its replica set has that name (mongosh: rs.status().set), \
                         or remove replicaSet={name} from MONGODB_URI"
                    )?;
                }
                write!(
                    f,
                    "If no MongoDB is running there, start one, then run this lesson again:\n  \
                     - the practice server, in another terminal:  cargo run -p practice-mongo\n  \
                     - or a real MongoDB replica set with Docker:\n      \
                     docker run -d --name mongo -p 27017:27017 mongo:7 --replSet rs0\n      \
                     docker exec mongo mongosh --quiet --eval 'rs.initiate()'\n\
                     or point MONGODB_URI at your own server (default {DEFAULT_URI})"
                )
            }
            StartupError::NoChangeStreams { reason } => write!(
                f,
                "this MongoDB server cannot open change streams ({reason})\n\
                 Change streams read the replica set's oplog, so a standalone server (error 40573) has none.\n\
                 Make it a one-member replica set:\n  \
                 - start mongod with --replSet rs0 (or `replication: {{ replSetName: rs0 }}` in mongod.conf),\n  \
                 - then run once: mongosh --eval 'rs.initiate()'\n\
                 With Docker: docker run -d --name mongo -p 27017:27017 mongo:7 --replSet rs0\n             \
                 docker exec mongo mongosh --quiet --eval 'rs.initiate()'\n\
                 Or use the practice server: cargo run -p practice-mongo"
            ),
            StartupError::Other(err) => write!(f, "MongoDB error: {err}"),
        }
    }
}

impl std::error::Error for StartupError {}

/// Connects and checks that the server answers (`ping`). Returns the `post` collection.
pub async fn connect(uri: &str) -> Result<Collection<Document>, StartupError> {
    let mut options = ClientOptions::parse(uri)
        .await
        .map_err(|err| StartupError::BadUri {
            uri: uri.to_owned(),
            reason: err.to_string(),
        })?;
    // The driver waits 30 s for a server by default; a learner should not stare at a silent
    // terminal that long. A URI's own serverSelectionTimeoutMS still wins.
    options
        .server_selection_timeout
        .get_or_insert(Duration::from_secs(5));
    let hosts: Vec<String> = options.hosts.iter().map(ToString::to_string).collect();
    let replica_set = options.repl_set_name.clone();
    let database = options
        .default_database
        .clone()
        .unwrap_or_else(|| DEFAULT_DATABASE.to_owned());

    let client = Client::with_options(options).map_err(StartupError::Other)?;
    let db = client.database(&database);
    // The driver connects lazily; `ping` makes it connect now, so errors show up at startup.
    db.run_command(doc! { "ping": 1 })
        .await
        .map_err(|err| match &*err.kind {
            // The driver's message says why no server could be used (connection refused, a
            // replica set of another name, ...): we keep it, after our own first line.
            ErrorKind::ServerSelection { message, .. } => StartupError::Unreachable {
                hosts: hosts.join(","),
                reason: server_errors(message),
                replica_set,
            },
            _ => StartupError::Other(err),
        })?;
    tracing::info!(database, "DATABASE CONNECTED");
    Ok(db.collection(COLLECTION))
}

/// The driver's server selection message describes the whole topology; when it names an error
/// for a server (`Error: Kind: I/O error: Connection refused ..., labels: ...`), that error is the
/// reason. Otherwise (a replica set of another name, for one) the whole message is.
fn server_errors(message: &str) -> String {
    let errors: Vec<&str> = message
        .split("Error: Kind: ")
        .skip(1)
        .map(|rest| rest.split(", labels:").next().unwrap_or(rest))
        .collect();
    if errors.is_empty() {
        message.to_owned()
    } else {
        errors.join("; ")
    }
}

/// The notes' pipeline: let only `insert` events through.
pub fn only_inserts() -> Vec<Document> {
    vec![doc! { "$match": { "operationType": "insert" } }]
}

/// Opens the one change stream, with the notes' pipeline: only `insert` events.
pub async fn watch_inserts(posts: &Collection<Document>) -> Result<PostChanges, StartupError> {
    watch(posts, only_inserts()).await
}

/// What a change stream watches: a collection and a pipeline. The feed keeps one, so that it can
/// open the stream again after MongoDB restarts (see `feed.rs`).
#[derive(Clone, Debug)]
pub struct Watch {
    posts: Collection<Document>,
    pipeline: Vec<Document>,
}

impl Watch {
    /// Watch `posts` through `pipeline`.
    pub fn new(posts: &Collection<Document>, pipeline: Vec<Document>) -> Watch {
        Watch {
            posts: posts.clone(),
            pipeline,
        }
    }

    /// The notes' change stream: inserts into `posts`.
    pub fn inserts(posts: &Collection<Document>) -> Watch {
        Watch::new(posts, only_inserts())
    }

    /// Opens a change stream that starts now.
    pub async fn open(&self) -> Result<PostChanges, StartupError> {
        watch(&self.posts, self.pipeline.clone()).await
    }

    /// Opens a change stream that starts right after the event whose resume token is `after`
    /// (lesson06: a reader's `Last-Event-ID`; lesson07: the last event before a fault), or now
    /// when `after` is `None`. The error is the driver's own: a caller that resumes must tell
    /// "this history is gone" (error 286) apart from "MongoDB is away".
    pub async fn open_after(
        &self,
        after: Option<ResumeToken>,
    ) -> mongodb::error::Result<PostChanges> {
        self.posts
            .watch()
            .pipeline(self.pipeline.clone())
            .resume_after(after)
            .await
    }
}

/// Opens a change stream on `posts` with any `pipeline`; a standalone server's error 40573
/// becomes [`StartupError::NoChangeStreams`].
pub async fn watch(
    posts: &Collection<Document>,
    pipeline: impl IntoIterator<Item = Document>,
) -> Result<PostChanges, StartupError> {
    posts
        .watch()
        .pipeline(pipeline)
        .await
        .map_err(|err| match &*err.kind {
            ErrorKind::Command(command) if command.code == 40573 => StartupError::NoChangeStreams {
                reason: format!("error {}: {}", command.code, command.message),
            },
            _ => StartupError::Other(err),
        })
}

/// A driver error in one line, for logs and for the message when the server gives up.
///
/// The driver's own `Display` of a command error carries the whole reply document (over 800
/// characters for a lost change stream); a learner needs the code, its name and the message.
pub fn short_reason(err: &mongodb::error::Error) -> String {
    match &*err.kind {
        ErrorKind::Command(command) => format!(
            "error {} ({}): {}",
            command.code, command.code_name, command.message
        ),
        ErrorKind::ServerSelection { .. } => {
            "no MongoDB server answered within the server selection timeout".to_owned()
        }
        ErrorKind::Io(io) => format!("connection error: {io}"),
        _ => {
            // Anything else: the driver's text, first line only, cut at 200 characters.
            let text = err.to_string();
            let line = text.lines().next().unwrap_or_default();
            line.chars().take(200).collect()
        }
    }
}

impl StartupError {
    /// This error in one line (see [`short_reason`]).
    pub fn short_reason(&self) -> String {
        match self {
            StartupError::Other(err) => short_reason(err),
            StartupError::NoChangeStreams { reason } => reason.clone(),
            other => other
                .to_string()
                .lines()
                .next()
                .unwrap_or_default()
                .to_owned(),
        }
    }
}
