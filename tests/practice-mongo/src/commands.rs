//! Running one command: fail points, dispatch by name, and the fields every reply carries.
//!
//! The command's name is the first key of its document (`{ find: "post", filter: {...} }`),
//! and the database is in `$db`. Drivers add session and routing fields (`lsid`, `txnNumber`,
//! `$clusterTime`, `$readPreference`, `readConcern`, ...); what does not change a result here
//! is accepted and ignored, the way a one-member replica set can afford to.

use bson::spec::BinarySubtype;
use bson::{doc, Binary, Bson, Document};

use crate::connection::Conn;
use crate::crud;
use crate::cursor_commands::{aggregate, find, get_more, kill_cursors};
use crate::errors::{CommandError, CommandResult};
use crate::handshake;
use crate::server::Shared;

/// What the connection should do after a command.
pub(crate) enum Outcome<T = Document> {
    Reply(T),
    /// The client asked for no reply (OP_MSG `moreToCome`).
    NoReply,
    /// Close the connection without replying (a `closeConnection` fail point).
    Close,
}

impl<T> Outcome<T> {
    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> Outcome<U> {
        match self {
            Outcome::Reply(t) => Outcome::Reply(f(t)),
            Outcome::NoReply => Outcome::NoReply,
            Outcome::Close => Outcome::Close,
        }
    }
}

/// Commands MongoDB has that we do not, to make "no such command" less puzzling.
const REAL_BUT_MISSING: &[&str] = &[
    "createIndexes",
    "listIndexes",
    "dropIndexes",
    "listDatabases",
    "create",
    "findAndModify",
    "distinct",
    "bulkWrite",
    "serverStatus",
    "hostInfo",
    "getParameter",
    "renameCollection",
    "collMod",
    "explain",
    "saslStart",
    "saslContinue",
    "authenticate",
    "replSetGetStatus",
    "replSetInitiate",
    "dbStats",
    "collStats",
    "getLog",
    "whatsmyuri",
    "connectionStatus",
    "startSession",
    "refreshSessions",
    "killSessions",
    "currentOp",
    "killOp",
    "commitTransaction",
    "abortTransaction",
];

pub(crate) async fn run(shared: &Shared, conn: &mut Conn, cmd: Document) -> Outcome {
    let Some(name) = cmd.keys().next().cloned() else {
        return reply(
            shared,
            Err(CommandError::failed_to_parse("empty command document")),
        );
    };
    let db = match cmd.get("$db") {
        Some(Bson::String(db)) if !db.is_empty() => db.clone(),
        _ => {
            return reply(
                shared,
                Err(CommandError::new(
                    40571,
                    "Location40571",
                    "OP_MSG requests require a $db argument",
                )),
            )
        }
    };
    if name != "configureFailPoint" {
        let hit = shared
            .lock()
            .fail_command
            .check(&name, conn.app_name.as_deref());
        if let Some(hit) = hit {
            tracing::info!(command = %name, conn = conn.id, "failCommand fail point fired");
            if let Some(delay) = hit.block {
                // Server-side behaviour requested by the fail point, not synchronisation.
                tokio::time::sleep(delay).await;
            }
            if hit.close_connection {
                return Outcome::Close;
            }
            if let Some(error) = hit.error {
                return reply(shared, Err(error));
            }
        }
    }
    let result = dispatch(shared, conn, &name, &db, &cmd).await;
    if let Err(e) = &result {
        tracing::debug!(command = %name, code = e.code, errmsg = %e.errmsg, "command failed");
    }
    reply(shared, result)
}

/// Legacy OP_QUERY: MongoDB 6+ accepts it only for the handshake, and so do we.
pub(crate) fn run_legacy_query(
    shared: &Shared,
    conn: &mut Conn,
    collection: &str,
    query: &Document,
) -> Outcome {
    // Old drivers may wrap the command: { $query: {...}, $readPreference: ... }.
    let command = match query.get("$query") {
        Some(Bson::Document(inner)) => inner,
        _ => query,
    };
    let name = command.keys().next().map(String::as_str).unwrap_or("");
    if !collection.ends_with(".$cmd") || !handshake::is_hello(name) {
        return Outcome::Reply(CommandError::unsupported_op_query(name).to_document());
    }
    if conn.app_name.is_none() {
        conn.app_name = handshake::app_name(command);
    }
    let cluster_time = shared.lock().store.cluster_time();
    Outcome::Reply(handshake::hello_reply(
        &shared.host_port,
        cluster_time,
        conn.id,
        true,
        shared.standalone,
    ))
}

async fn dispatch(
    shared: &Shared,
    conn: &mut Conn,
    name: &str,
    db: &str,
    cmd: &Document,
) -> CommandResult {
    if cmd.contains_key("startTransaction") || cmd.get("autocommit") == Some(&Bson::Boolean(false))
    {
        return Err(CommandError::illegal_operation(
            "practice-mongo does not support transactions",
        ));
    }
    match name {
        "hello" | "isMaster" | "ismaster" => {
            if conn.app_name.is_none() {
                conn.app_name = handshake::app_name(cmd);
            }
            let cluster_time = shared.lock().store.cluster_time();
            Ok(handshake::hello_reply(
                &shared.host_port,
                cluster_time,
                conn.id,
                name != "hello",
                shared.standalone,
            ))
        }
        "ping" | "endSessions" => Ok(Document::new()),
        "buildInfo" | "buildinfo" => Ok(build_info()),
        "insert" => crud::insert(shared, db, cmd),
        "find" => find(shared, conn, db, cmd),
        "update" => crud::update(shared, db, cmd),
        "delete" => crud::delete(shared, db, cmd),
        "drop" => crud::drop(shared, db, cmd),
        "dropDatabase" => crud::drop_database(shared, db),
        "count" => crud::count(shared, db, cmd),
        "listCollections" => crud::list_collections(shared, db, cmd),
        "aggregate" => aggregate(shared, conn, db, cmd),
        "getMore" => get_more(shared, conn, db, cmd).await,
        "killCursors" => kill_cursors(shared, db, cmd),
        "configureFailPoint" if shared.test_commands => {
            if db != "admin" {
                return Err(CommandError::new(
                    13,
                    "Unauthorized",
                    "configureFailPoint may only be run against the admin database.",
                ));
            }
            shared.lock().fail_command.configure(cmd)
        }
        other => {
            let mut e = CommandError::command_not_found(other);
            if REAL_BUT_MISSING.contains(&other) {
                e.errmsg
                    .push_str(" (a real MongoDB command that practice-mongo does not implement)");
            }
            Err(e)
        }
    }
}

/// Adds `ok` and the cluster-time gossip every reply from a replica set member carries.
pub(crate) fn reply(shared: &Shared, result: CommandResult) -> Outcome {
    let mut doc = match result {
        Ok(mut d) => {
            if !d.contains_key("ok") {
                d.insert("ok", 1.0);
            }
            d
        }
        Err(e) => e.to_document(),
    };
    let t = shared.lock().store.cluster_time();
    // Without authentication, mongod signs cluster times with keyId 0 and an all-zero hash.
    doc.insert(
        "$clusterTime",
        doc! {
            "clusterTime": t,
            "signature": {
                "hash": Binary { subtype: BinarySubtype::Generic, bytes: vec![0; 20] },
                "keyId": 0_i64,
            },
        },
    );
    doc.insert("operationTime", t);
    Outcome::Reply(doc)
}

fn build_info() -> Document {
    doc! {
        "version": "7.0.0",
        "gitVersion": "practice-mongo (not a real MongoDB: memory only)",
        "versionArray": [7, 0, 0, 0],
        "bits": 64,
        "debug": false,
        "maxBsonObjectSize": 16 * 1024 * 1024,
        "storageEngines": [],
        "modules": [],
    }
}

// ---- argument helpers shared by the command modules ----

/// A collection name argument (`{ find: "post" }`), validated.
pub(crate) fn collection_arg(cmd: &Document, key: &str) -> Result<String, CommandError> {
    match cmd.get(key) {
        Some(Bson::String(name)) if name.is_empty() => Err(CommandError::invalid_namespace(
            "Invalid namespace specified: empty collection name",
        )),
        Some(Bson::String(name)) if name.contains('$') || name.contains('\0') => Err(
            CommandError::invalid_namespace(format!("Invalid collection name: {name}")),
        ),
        Some(Bson::String(name)) => Ok(name.clone()),
        _ => Err(CommandError::type_mismatch(format!(
            "collection name has invalid type: '{key}' must be a string"
        ))),
    }
}

pub(crate) fn int_arg(cmd: &Document, key: &str) -> Result<Option<i64>, CommandError> {
    match cmd.get(key) {
        None | Some(Bson::Null) => Ok(None),
        Some(Bson::Int32(i)) => Ok(Some(i64::from(*i))),
        Some(Bson::Int64(i)) => Ok(Some(*i)),
        Some(Bson::Double(d)) if d.fract() == 0.0 => Ok(Some(*d as i64)),
        Some(_) => Err(CommandError::type_mismatch(format!(
            "BSON field '{key}' is the wrong type, expected a number"
        ))),
    }
}

pub(crate) fn doc_arg<'a>(
    cmd: &'a Document,
    key: &str,
) -> Result<Option<&'a Document>, CommandError> {
    match cmd.get(key) {
        None | Some(Bson::Null) => Ok(None),
        Some(Bson::Document(d)) => Ok(Some(d)),
        Some(_) => Err(CommandError::type_mismatch(format!(
            "BSON field '{key}' is the wrong type, expected an object"
        ))),
    }
}

pub(crate) fn bool_arg(cmd: &Document, key: &str, default: bool) -> Result<bool, CommandError> {
    match cmd.get(key) {
        None | Some(Bson::Null) => Ok(default),
        Some(Bson::Boolean(b)) => Ok(*b),
        Some(_) => Err(CommandError::type_mismatch(format!(
            "BSON field '{key}' is the wrong type, expected a boolean"
        ))),
    }
}

/// A `batchSize`: absent means `default`; negative is an error.
pub(crate) fn batch_size(value: Option<i64>, default: usize) -> Result<usize, CommandError> {
    match value {
        None => Ok(default),
        Some(n) if n < 0 => Err(CommandError::bad_value("batchSize must not be negative")),
        Some(n) => Ok(usize::try_from(n).unwrap_or(usize::MAX)),
    }
}
