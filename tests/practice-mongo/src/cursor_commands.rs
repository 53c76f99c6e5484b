//! The commands that open cursors and page through them: `find`, `aggregate` (on documents or as
//! a change stream), `getMore` and `killCursors`.
//!
//! A first batch comes back in the command's reply; what did not fit stays in a cursor (see
//! `cursors`) that `getMore` reads on. A change stream's `getMore` waits for writes, up to
//! `maxTimeMS`, as mongod's awaitData cursors do.

use std::collections::VecDeque;
use std::sync::atomic::Ordering;
use std::time::Duration;

use bson::{doc, Bson, Document};

use crate::change_stream::{self, StreamState};
use crate::commands::{batch_size, bool_arg, collection_arg, doc_arg, int_arg};
use crate::connection::Conn;
use crate::crud::{self, parse_sort, refuse_unsupported};
use crate::cursors::{Cursor, CursorKind};
use crate::errors::{CommandError, CommandResult};
use crate::matcher::Filter;
use crate::server::{Shared, State};
use crate::store::{sort_by_field, Namespace, Scope};

/// Replies stay under MongoDB's 16 MB document limit; batches stop growing past this.
pub(crate) const BATCH_BYTES: usize = 15 * 1024 * 1024;
/// `find` and `aggregate` return at most this many documents in a first batch by default.
pub(crate) const DEFAULT_FIRST_BATCH: usize = 101;
/// How long an empty change stream `getMore` waits without `maxTimeMS`, as mongod does.
const DEFAULT_AWAIT_MS: u64 = 1000;

pub(crate) fn find(shared: &Shared, conn: &Conn, db: &str, cmd: &Document) -> CommandResult {
    let ns = Namespace::new(db, &collection_arg(cmd, "find")?);
    refuse_unsupported(
        cmd,
        "find",
        &[
            "projection",
            "collation",
            "min",
            "max",
            "returnKey",
            "showRecordId",
            "tailable",
        ],
    )?;
    let filter = Filter::parse(doc_arg(cmd, "filter")?.unwrap_or(&Document::new()))?;
    let sort = parse_sort(doc_arg(cmd, "sort")?)?;
    let skip = int_arg(cmd, "skip")?.unwrap_or(0);
    if skip < 0 {
        return Err(CommandError::bad_value("skip value must be non-negative"));
    }
    // A negative limit means "one batch of at most |limit|" (legacy, still sent by drivers).
    let limit = int_arg(cmd, "limit")?.unwrap_or(0);
    let mut single_batch = bool_arg(cmd, "singleBatch", false)?;
    if limit < 0 {
        single_batch = true;
    }
    let first = batch_size(int_arg(cmd, "batchSize")?, DEFAULT_FIRST_BATCH)?;

    let mut docs = shared.lock().store.find(&ns, &filter);
    if let Some((field, descending)) = &sort {
        sort_by_field(&mut docs, field, *descending);
    }
    let mut docs: VecDeque<Document> = docs.into_iter().skip(skip as usize).collect();
    if limit != 0 {
        docs.truncate(limit.unsigned_abs() as usize);
    }
    Ok(first_batch_reply(
        shared,
        conn,
        &ns,
        docs,
        first,
        single_batch,
    ))
}

/// Sends the first batch and keeps the rest in a cursor, if there is a rest.
pub(crate) fn first_batch_reply(
    shared: &Shared,
    conn: &Conn,
    ns: &Namespace,
    mut docs: VecDeque<Document>,
    first: usize,
    single_batch: bool,
) -> Document {
    let batch = take_batch(&mut docs, first);
    let id = if docs.is_empty() || single_batch {
        0
    } else {
        shared.lock().cursors.open(Cursor {
            ns: ns.clone(),
            kind: CursorKind::Documents(docs),
            owner: conn.id,
            busy: false,
        })
    };
    cursor_reply(id, &ns.to_string(), "firstBatch", batch, None)
}

/// Takes up to `max` documents, stopping early (after at least one) past the byte budget.
fn take_batch(docs: &mut VecDeque<Document>, max: usize) -> Vec<Document> {
    let mut batch = Vec::new();
    let mut bytes = 0;
    while batch.len() < max && (batch.is_empty() || bytes < BATCH_BYTES) {
        let Some(doc) = docs.pop_front() else { break };
        bytes += crate::bson_encoder::document_bytes(&doc).len();
        batch.push(doc);
    }
    batch
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

pub(crate) fn aggregate(shared: &Shared, conn: &Conn, db: &str, cmd: &Document) -> CommandResult {
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
    let first_batch = batch_size(int_arg(cursor_opts, "batchSize")?, DEFAULT_FIRST_BATCH)?;
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

pub(crate) async fn get_more(
    shared: &Shared,
    conn: &Conn,
    db: &str,
    cmd: &Document,
) -> CommandResult {
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
            let batch = take_batch(docs, max);
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

pub(crate) fn kill_cursors(shared: &Shared, db: &str, cmd: &Document) -> CommandResult {
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
