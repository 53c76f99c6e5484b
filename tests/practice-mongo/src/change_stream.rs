//! Change streams: `aggregate` with a first `$changeStream` stage.
//!
//! A stream is a position in the event history (a `seq`, see `store.rs`) plus the options that
//! shape its events. Each batch moves the position forward and reports it as the
//! `postBatchResumeToken`, so a driver can resume exactly where its application stopped, even
//! when every event it scanned was filtered out by `$match`.
//!
//! Event documents follow the "Change Events" page of the MongoDB manual
//! (https://www.mongodb.com/docs/manual/reference/change-events/), field order included.

use bson::{doc, Bson, Document, Timestamp};

use crate::errors::CommandError;
use crate::matcher::Filter;
use crate::store::{Change, Event, HistoryLost, Scope, Store};

/// Everything a change stream cursor remembers between batches.
#[derive(Debug, Clone)]
pub struct StreamState {
    pub scope: Scope,
    /// Events with a `seq` greater than this are still to come.
    pub position: u64,
    pub update_lookup: bool,
    /// The `$match` stages after `$changeStream`, applied in order.
    pub filters: Vec<Filter>,
}

/// One batch of events and the token to resume after it.
#[derive(Debug)]
pub struct Batch {
    pub events: Vec<Document>,
    pub post_batch_resume_token: Document,
    /// The stream was invalidated (its collection dropped): the cursor is finished.
    pub invalidated: bool,
}

/// Options of the `$changeStream` stage that we understand.
const KNOWN_OPTIONS: &[&str] = &[
    "fullDocument",
    "fullDocumentBeforeChange",
    "resumeAfter",
    "startAfter",
    "startAtOperationTime",
    "allChangesForCluster",
    "showExpandedEvents",
];

/// Stage names MongoDB has, to tell "not supported here" from "no such stage".
const REAL_STAGES: &[&str] = &[
    "$addFields",
    "$bucket",
    "$bucketAuto",
    "$collStats",
    "$count",
    "$currentOp",
    "$densify",
    "$documents",
    "$facet",
    "$fill",
    "$geoNear",
    "$graphLookup",
    "$group",
    "$indexStats",
    "$limit",
    "$listSessions",
    "$lookup",
    "$match",
    "$merge",
    "$out",
    "$project",
    "$redact",
    "$replaceRoot",
    "$replaceWith",
    "$sample",
    "$search",
    "$set",
    "$setWindowFields",
    "$skip",
    "$sort",
    "$sortByCount",
    "$unionWith",
    "$unset",
    "$unwind",
    "$changeStream",
];

/// The error for a pipeline stage we do not run: MongoDB's 40324 for unknown names, with a
/// hint when MongoDB knows the stage but this practice server does not implement it.
pub fn unsupported_stage(name: &str) -> CommandError {
    let note = if REAL_STAGES.contains(&name) {
        " (a real MongoDB stage that practice-mongo does not implement here)"
    } else {
        ""
    };
    CommandError::unknown_stage(name, note)
}

/// Parses `[{$changeStream: {...}}, {$match: ...}, ...]` and finds the starting position.
pub fn open(
    store: &Store,
    scope: Scope,
    options: &Document,
    rest: &[Bson],
) -> Result<StreamState, CommandError> {
    for key in options.keys() {
        if !KNOWN_OPTIONS.contains(&key.as_str()) {
            return Err(CommandError::unknown_field(&format!("$changeStream.{key}")));
        }
    }
    let update_lookup = match options.get("fullDocument") {
        None => false,
        Some(Bson::String(s)) if s == "default" => false,
        Some(Bson::String(s)) if s == "updateLookup" => true,
        Some(Bson::String(s)) if s == "whenAvailable" || s == "required" => {
            return Err(CommandError::bad_value(format!(
                "practice-mongo does not keep post-images: fullDocument '{s}' is not supported \
                 (use 'updateLookup')"
            )))
        }
        Some(other) => {
            return Err(CommandError::bad_value(format!(
                "unknown full document mode: {other}"
            )))
        }
    };
    if let Some(mode) = options.get("fullDocumentBeforeChange") {
        if mode != &Bson::String("off".into()) {
            return Err(CommandError::bad_value(
                "practice-mongo does not keep pre-images: fullDocumentBeforeChange must be 'off'",
            ));
        }
    }
    for flag in ["allChangesForCluster", "showExpandedEvents"] {
        if options.get(flag) == Some(&Bson::Boolean(true)) {
            return Err(CommandError::bad_value(format!(
                "practice-mongo does not support $changeStream.{flag}"
            )));
        }
    }

    let mut filters = Vec::new();
    for stage in rest {
        let Bson::Document(stage) = stage else {
            return Err(CommandError::type_mismatch(
                "Each element of the 'pipeline' array must be an object",
            ));
        };
        let Some((name, arg)) = stage.iter().next() else {
            return Err(CommandError::failed_to_parse(
                "A pipeline stage specification object must contain exactly one field.",
            ));
        };
        match (name.as_str(), arg) {
            ("$match", Bson::Document(m)) => filters.push(Filter::parse(m)?),
            ("$match", _) => {
                return Err(CommandError::failed_to_parse(
                    "the match filter must be an expression in an object",
                ))
            }
            ("$changeStream", _) => {
                return Err(CommandError::new(
                    40602,
                    "Location40602",
                    "$changeStream is only valid as the first stage in a pipeline",
                ))
            }
            (other, _) => return Err(unsupported_stage(other)),
        }
    }

    let resume_after = options.get("resumeAfter");
    let start_after = options.get("startAfter");
    let start_at = options.get("startAtOperationTime");
    if [resume_after, start_after, start_at]
        .iter()
        .filter(|o| o.is_some())
        .count()
        > 1
    {
        return Err(CommandError::new(
            40674,
            "Location40674",
            "Only one type of resume option is allowed, but multiple were found.",
        ));
    }

    let position = if let Some(token) = resume_after.or(start_after) {
        let token = decode_token(token, store.instance())?;
        if token.invalidate && resume_after.is_some() {
            return Err(CommandError::invalid_resume_token(
                "Attempting to resume a change stream using 'resumeAfter' is not allowed from \
                 an invalidate notification.",
            ));
        }
        if token.seq > store.last_seq() {
            return Err(CommandError::history_lost(
                "resume token is newer than anything this practice server has seen",
            ));
        }
        token.seq
    } else if let Some(t) = start_at {
        let Bson::Timestamp(t) = t else {
            return Err(CommandError::type_mismatch(
                "startAtOperationTime must be a Timestamp",
            ));
        };
        store.position_at_time(&scope, *t).map_err(lost)?
    } else {
        store.last_seq()
    };
    // Fail now (as mongod does) if the history needed to resume is already gone.
    store.events_after(&scope, position, 0).map_err(lost)?;

    Ok(StreamState {
        scope,
        position,
        update_lookup,
        filters,
    })
}

fn lost(_: HistoryLost) -> CommandError {
    CommandError::history_lost(
        "Resume of change stream was not possible, as the resume point may no longer be in \
         the oplog.",
    )
}

/// Collects up to `max` events after the stream's position, moving it forward.
pub fn next_batch(
    store: &Store,
    state: &mut StreamState,
    max: usize,
    byte_budget: usize,
) -> Result<Batch, CommandError> {
    // Scan at most this many history entries per batch; more simply waits for the next batch.
    const SCAN_LIMIT: usize = 10_000;
    let scanned = store
        .events_after(&state.scope, state.position, SCAN_LIMIT)
        .map_err(lost)?;
    let scanned_all = scanned.len() < SCAN_LIMIT;
    let mut events = Vec::new();
    let mut bytes = 0;
    let mut last_token = None;
    let mut invalidated = false;
    for event in &scanned {
        if events.len() >= max || bytes >= byte_budget {
            break;
        }
        state.position = event.seq;
        last_token = Some(token(
            event.cluster_time,
            event.seq,
            store.instance(),
            false,
        ));
        let doc = event_document(store, event, state.update_lookup);
        if state.filters.iter().all(|f| f.matches(&doc)) {
            bytes += crate::bson_encoder::document_bytes(&doc).len();
            events.push(doc);
        }
        if matches!(event.change, Change::Drop) && matches!(state.scope, Scope::Collection(_)) {
            // A dropped collection invalidates its streams; the invalidate event cannot be
            // filtered out, and nothing follows it.
            let invalidate_token = token(event.cluster_time, event.seq, store.instance(), true);
            events.push(doc! {
                "_id": invalidate_token.clone(),
                "operationType": "invalidate",
                "clusterTime": event.cluster_time,
                "wallTime": event.wall_time,
            });
            last_token = Some(invalidate_token);
            invalidated = true;
            break;
        }
    }
    let went_through_everything = scanned_all
        && !invalidated
        && state.position == scanned.last().map_or(state.position, |e| e.seq);
    let post_batch_resume_token = if went_through_everything {
        // Nothing left for this stream: it is up to date with the whole server.
        state.position = state.position.max(store.last_seq());
        token(
            store.cluster_time(),
            state.position,
            store.instance(),
            false,
        )
    } else {
        last_token.unwrap_or_else(|| {
            token(
                store.cluster_time(),
                state.position,
                store.instance(),
                false,
            )
        })
    };
    Ok(Batch {
        events,
        post_batch_resume_token,
        invalidated,
    })
}

/// The event document for one change, as MongoDB shapes it.
fn event_document(store: &Store, event: &Event, update_lookup: bool) -> Document {
    let mut d = doc! {
        "_id": token(event.cluster_time, event.seq, store.instance(), false),
    };
    let ns = doc! { "db": &event.ns.db, "coll": &event.ns.coll };
    match &event.change {
        Change::Insert { doc } => {
            d.insert("operationType", "insert");
            d.insert("clusterTime", event.cluster_time);
            d.insert("wallTime", event.wall_time);
            d.insert("fullDocument", doc.clone());
            d.insert("ns", ns);
            d.insert(
                "documentKey",
                doc! { "_id": doc.get("_id").cloned().unwrap_or(Bson::Null) },
            );
        }
        Change::Update {
            key,
            updated_fields,
            removed_fields,
        } => {
            d.insert("operationType", "update");
            d.insert("clusterTime", event.cluster_time);
            d.insert("wallTime", event.wall_time);
            d.insert("ns", ns);
            d.insert("documentKey", key.clone());
            d.insert(
                "updateDescription",
                doc! {
                    "updatedFields": updated_fields.clone(),
                    "removedFields": removed_fields.clone(),
                    "truncatedArrays": [],
                },
            );
            if update_lookup {
                // The document as it is *now*, or null if it has since been deleted.
                let current = store.find_by_key(&event.ns, key);
                d.insert("fullDocument", current.map_or(Bson::Null, Bson::Document));
            }
        }
        Change::Replace { key, doc } => {
            d.insert("operationType", "replace");
            d.insert("clusterTime", event.cluster_time);
            d.insert("wallTime", event.wall_time);
            d.insert("fullDocument", doc.clone());
            d.insert("ns", ns);
            d.insert("documentKey", key.clone());
        }
        Change::Delete { key } => {
            d.insert("operationType", "delete");
            d.insert("clusterTime", event.cluster_time);
            d.insert("wallTime", event.wall_time);
            d.insert("ns", ns);
            d.insert("documentKey", key.clone());
        }
        Change::Drop => {
            d.insert("operationType", "drop");
            d.insert("clusterTime", event.cluster_time);
            d.insert("wallTime", event.wall_time);
            d.insert("ns", ns);
        }
    }
    d
}

/// A resume token: `{ _data: <hex string> }`, like MongoDB's. Ours spells, in hex, the cluster
/// time, the event `seq`, which server run made it, and whether it is an invalidate's token.
/// Drivers treat it as opaque; only this server reads it back.
pub fn token(t: Timestamp, seq: u64, instance: u32, invalidate: bool) -> Document {
    doc! {
        "_data": format!(
            "82{:08X}{:08X}{:016X}{:08X}{:02X}",
            t.time, t.increment, seq, instance, u8::from(invalidate)
        )
    }
}

#[derive(Debug, PartialEq, Eq)]
pub struct DecodedToken {
    pub seq: u64,
    pub invalidate: bool,
}

pub fn decode_token(token: &Bson, instance: u32) -> Result<DecodedToken, CommandError> {
    let invalid = || CommandError::bad_value("resume token was not a valid practice-mongo token");
    let Bson::Document(token) = token else {
        return Err(invalid());
    };
    let Some(Bson::String(data)) = token.get("_data") else {
        return Err(invalid());
    };
    if data.len() != 44 || !data.starts_with("82") || !data.is_ascii() {
        return Err(invalid());
    }
    let hex = |range: std::ops::Range<usize>| u64::from_str_radix(&data[range], 16);
    let (Ok(seq), Ok(from), Ok(flag)) = (hex(18..34), hex(34..42), hex(42..44)) else {
        return Err(invalid());
    };
    if from != u64::from(instance) {
        return Err(CommandError::history_lost(
            "resume token comes from another run of the practice server, whose history is gone",
        ));
    }
    Ok(DecodedToken {
        seq,
        invalidate: flag == 1,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_round_trip_and_reject_garbage() {
        let t = Timestamp {
            time: 1_700_000_000,
            increment: 7,
        };
        let tok = Bson::Document(token(t, 42, 9, false));
        assert_eq!(
            decode_token(&tok, 9).unwrap(),
            DecodedToken {
                seq: 42,
                invalidate: false
            }
        );
        assert_eq!(decode_token(&tok, 8).unwrap_err().code, 286);
        assert!(decode_token(&Bson::Document(doc! {"_data": "zz"}), 9).is_err());
        assert!(decode_token(&Bson::Int32(1), 9).is_err());
    }
}
