//! Running one command: fail points, dispatch by name, and the fields every reply carries.
//!
//! The command's name is the first key of its document (`{ find: "post", filter: {...} }`),
//! and the database is in `$db`. Drivers add session and routing fields (`lsid`, `txnNumber`,
//! `$clusterTime`, `$readPreference`, `readConcern`, ...); what does not change a result here
//! is accepted and ignored, the way a one-member replica set can afford to.

use std::sync::atomic::Ordering;
use std::time::Duration;

use bson::spec::BinarySubtype;
use bson::{doc, Binary, Bson, Document};

use crate::change_stream::{self, StreamState};
use crate::connection::Conn;
use crate::crud;
use crate::cursors::{Cursor, CursorKind};
use crate::errors::{CommandError, CommandResult};
use crate::handshake;
use crate::server::{Shared, State};
use crate::store::{Namespace, Scope};

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

/// Replies stay under MongoDB's 16 MB document limit; batches stop growing past this.
pub(crate) const BATCH_BYTES: usize = 15 * 1024 * 1024;
/// `find` and `aggregate` return at most this many documents in a first batch by default.
const DEFAULT_FIRST_BATCH: i64 = 101;
/// How long an empty change stream `getMore` waits without `maxTimeMS`, as mongod does.
const DEFAULT_AWAIT_MS: u64 = 1000;

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
        "find" => crud::find(shared, conn, db, cmd),
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

/// `{ cursor: { <batch_field>: [...], postBatchResumeToken?, id, ns }, ok: 1 }`
pub(crate) fn cursor_reply(
    id: i64,
    ns: &str,
    batch_field: &str,
    docs: Vec<Document>,
    post_batch_resume_token: Option<Document>,
) -> Document {
    let mut cursor = doc! { batch_field: docs };
    if let Some(token) = post_batch_resume_token {
        cursor.insert("postBatchResumeToken", token);
    }
    cursor.insert("id", id);
    cursor.insert("ns", ns);
    doc! { "cursor": cursor }
}

/// The collection a `getMore`/`killCursors` names: like [`collection_arg`], but cursors of
/// database-level streams live on `$cmd.aggregate`, so `$` is allowed here.
fn cursor_collection_arg(cmd: &Document, key: &str) -> Result<String, CommandError> {
    match cmd.get(key) {
        Some(Bson::String(name)) if !name.is_empty() => Ok(name.clone()),
        _ => Err(CommandError::type_mismatch(format!(
            "BSON field '{key}' must be a non-empty string"
        ))),
    }
}

// ---- aggregate, getMore, killCursors ----

fn aggregate(shared: &Shared, conn: &Conn, db: &str, cmd: &Document) -> CommandResult {
    let Some(Bson::Array(pipeline)) = cmd.get("pipeline") else {
        return Err(CommandError::type_mismatch(
            "'pipeline' option must be specified as an array",
        ));
    };
    let Some(cursor_opts) = doc_arg(cmd, "cursor")? else {
        return Err(CommandError::failed_to_parse(
            "The 'cursor' option is required, except for aggregate with the explain argument",
        ));
    };
    let first_batch = batch_size(
        int_arg(cursor_opts, "batchSize")?,
        DEFAULT_FIRST_BATCH as usize,
    )?;
    // `aggregate: "post"` runs on a collection, `aggregate: 1` on the whole database.
    let coll = match cmd.get("aggregate") {
        Some(Bson::String(_)) => Some(collection_arg(cmd, "aggregate")?),
        Some(Bson::Int32(1)) | Some(Bson::Int64(1)) | Some(Bson::Double(1.0)) => None,
        _ => {
            return Err(CommandError::failed_to_parse(
                "aggregate must be a collection name or 1",
            ))
        }
    };
    let change_stream_options = match pipeline.first() {
        Some(Bson::Document(stage)) => match stage.get("$changeStream") {
            Some(Bson::Document(opts)) => Some(opts),
            Some(_) => {
                return Err(CommandError::type_mismatch(
                    "the $changeStream stage takes an object",
                ))
            }
            None => None,
        },
        _ => None,
    };
    if change_stream_options.is_some() && shared.standalone {
        // What a standalone mongod answers: change streams read the replica set's oplog.
        return Err(CommandError::new(
            40573,
            "Location40573",
            "The $changeStream stage is only supported on replica sets",
        ));
    }
    let Some(options) = change_stream_options else {
        let Some(coll) = coll else {
            return Err(CommandError::bad_value(
                "practice-mongo runs database-level aggregations only with $changeStream",
            ));
        };
        return crud::aggregate_documents(
            shared,
            conn,
            &Namespace::new(db, &coll),
            pipeline,
            first_batch,
        );
    };

    let (scope, cursor_ns) = match coll {
        Some(coll) => {
            let ns = Namespace::new(db, &coll);
            (Scope::Collection(ns.clone()), ns)
        }
        None if db == "admin" => {
            return Err(CommandError::bad_value(
                "practice-mongo does not support cluster-wide change streams; watch a \
                 collection or a database",
            ))
        }
        None => (
            Scope::Database(db.to_owned()),
            Namespace::new(db, "$cmd.aggregate"),
        ),
    };
    let mut state = shared.lock();
    let State { store, cursors, .. } = &mut *state;
    let mut stream: StreamState = change_stream::open(store, scope, options, &pipeline[1..])?;
    let batch = change_stream::next_batch(store, &mut stream, first_batch, BATCH_BYTES)?;
    let id = if batch.invalidated {
        0
    } else {
        cursors.open(Cursor {
            ns: cursor_ns.clone(),
            kind: CursorKind::ChangeStream(stream),
            owner: conn.id,
            busy: false,
        })
    };
    Ok(cursor_reply(
        id,
        &cursor_ns.to_string(),
        "firstBatch",
        batch.events,
        Some(batch.post_batch_resume_token),
    ))
}

/// Marks a change stream cursor busy while a `getMore` waits on it, and un-marks it however
/// the wait ends (including the client hanging up, which drops this future).
struct BusyCursor<'a> {
    shared: &'a Shared,
    id: i64,
}

impl<'a> BusyCursor<'a> {
    fn new(shared: &'a Shared, id: i64) -> Self {
        shared.waiting_get_mores.fetch_add(1, Ordering::SeqCst);
        BusyCursor { shared, id }
    }
}

impl Drop for BusyCursor<'_> {
    fn drop(&mut self) {
        if let Some(cursor) = self.shared.lock().cursors.get_mut(self.id) {
            cursor.busy = false;
        }
        self.shared.waiting_get_mores.fetch_sub(1, Ordering::SeqCst);
    }
}

async fn get_more(shared: &Shared, conn: &Conn, db: &str, cmd: &Document) -> CommandResult {
    let id = match cmd.get("getMore") {
        Some(Bson::Int64(id)) => *id,
        Some(Bson::Int32(id)) => i64::from(*id),
        _ => {
            return Err(CommandError::type_mismatch(
                "Field 'getMore' must be of type long in: getMore",
            ))
        }
    };
    let coll = cursor_collection_arg(cmd, "collection")?;
    let max = batch_size(int_arg(cmd, "batchSize")?, usize::MAX)?.max(1);
    let await_ms = int_arg(cmd, "maxTimeMS")?
        .map(|ms| u64::try_from(ms).unwrap_or(0))
        .unwrap_or(DEFAULT_AWAIT_MS);
    let ns = Namespace::new(db, &coll);

    {
        let mut state = shared.lock();
        let Some(cursor) = state.cursors.get_mut(id) else {
            return Err(CommandError::cursor_not_found(id));
        };
        if cursor.ns != ns {
            return Err(CommandError::new(
                13,
                "Unauthorized",
                format!(
                    "Requested getMore on namespace '{ns}', but cursor belongs to a different \
                     namespace {}",
                    cursor.ns
                ),
            ));
        }
        if cursor.busy {
            return Err(CommandError::illegal_operation(format!(
                "cursor id {id} is already in use by another getMore"
            )));
        }
        cursor.owner = conn.id;
        if let CursorKind::Documents(docs) = &mut cursor.kind {
            let batch = crud::take_batch(docs, max);
            let exhausted = docs.is_empty();
            if exhausted {
                state.cursors.remove(id);
            }
            let id = if exhausted { 0 } else { id };
            return Ok(cursor_reply(id, &ns.to_string(), "nextBatch", batch, None));
        }
        cursor.busy = true;
    }

    // A change stream: return what is there, or wait (woken by writes) until something is or
    // `maxTimeMS` passes, like mongod's awaitData getMore.
    let _busy = BusyCursor::new(shared, id);
    let deadline = tokio::time::Instant::now() + Duration::from_millis(await_ms);
    // Subscribing before looking means no write can slip between the look and the wait.
    let mut changes = shared.changes.subscribe();
    let mut timed_out = false;
    loop {
        {
            let mut state = shared.lock();
            let State { store, cursors, .. } = &mut *state;
            let Some(cursor) = cursors.get_mut(id) else {
                return Err(CommandError::cursor_not_found(id)); // killed while we waited
            };
            let CursorKind::ChangeStream(stream) = &mut cursor.kind else {
                return Err(CommandError::cursor_not_found(id));
            };
            match change_stream::next_batch(store, stream, max, BATCH_BYTES) {
                Err(e) => {
                    cursors.remove(id);
                    return Err(e);
                }
                Ok(batch) if !batch.events.is_empty() || timed_out => {
                    let reply_id = if batch.invalidated {
                        cursors.remove(id);
                        0
                    } else {
                        id
                    };
                    return Ok(cursor_reply(
                        reply_id,
                        &ns.to_string(),
                        "nextBatch",
                        batch.events,
                        Some(batch.post_batch_resume_token),
                    ));
                }
                Ok(_) => {}
            }
        }
        if tokio::time::timeout_at(deadline, changes.changed())
            .await
            .is_err()
        {
            timed_out = true;
        }
    }
}

fn kill_cursors(shared: &Shared, db: &str, cmd: &Document) -> CommandResult {
    let coll = cursor_collection_arg(cmd, "killCursors")?;
    let Some(Bson::Array(ids)) = cmd.get("cursors") else {
        return Err(CommandError::type_mismatch(
            "BSON field 'cursors' must be an array",
        ));
    };
    let ns = Namespace::new(db, &coll);
    let mut killed = Vec::new();
    let mut not_found = Vec::new();
    let mut state = shared.lock();
    for id in ids {
        let id = match id {
            Bson::Int64(i) => *i,
            Bson::Int32(i) => i64::from(*i),
            _ => return Err(CommandError::type_mismatch("cursor ids must be longs")),
        };
        let belongs = state.cursors.get_mut(id).is_some_and(|c| c.ns == ns);
        if belongs && state.cursors.remove(id).is_some() {
            killed.push(id);
        } else {
            not_found.push(id);
        }
    }
    Ok(doc! {
        "cursorsKilled": killed,
        "cursorsNotFound": not_found,
        "cursorsAlive": [],
        "cursorsUnknown": [],
    })
}
