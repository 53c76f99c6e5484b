//! The data commands: insert, update, delete, drop, count, listCollections, and `aggregate` on
//! documents (the `$match` + `$group` shape the driver's `count_documents` sends). `find`, which
//! answers with a cursor, is in `cursor_commands`.
//!
//! Reply shapes follow the command pages of the MongoDB manual ("insert", "find", "update",
//! "delete"): write errors go in `writeErrors` with the index of the failing statement, while
//! the command itself is `ok: 1`.

use bson::{doc, Bson, Document};

use crate::commands::{bool_arg, collection_arg, doc_arg, int_arg};
use crate::connection::Conn;
use crate::cursor_commands::{cursor_reply, first_batch_reply};
use crate::errors::{CommandError, CommandResult};
use crate::matcher::Filter;
use crate::server::Shared;
use crate::store::{sort_by_field, Namespace};
use crate::update::UpdateSpec;

/// Arguments that would change a result and that we do not implement: refusing them beats
/// answering something different from MongoDB.
pub(crate) fn refuse_unsupported(
    cmd: &Document,
    command: &str,
    names: &[&str],
) -> Result<(), CommandError> {
    for name in names {
        if cmd.contains_key(*name) {
            return Err(CommandError::bad_value(format!(
                "practice-mongo does not support '{name}' in {command}"
            )));
        }
    }
    Ok(())
}

fn statements<'a>(cmd: &'a Document, key: &str) -> Result<Vec<&'a Document>, CommandError> {
    let Some(Bson::Array(items)) = cmd.get(key) else {
        return Err(CommandError::type_mismatch(format!(
            "BSON field '{key}' is missing or not an array"
        )));
    };
    if items.is_empty() || items.len() > 100_000 {
        return Err(CommandError::new(
            16,
            "InvalidLength",
            "Write batch sizes must be between 1 and 100000",
        ));
    }
    items
        .iter()
        .map(|item| match item {
            Bson::Document(d) => Ok(d),
            _ => Err(CommandError::type_mismatch(format!(
                "BSON field '{key}' must contain objects"
            ))),
        })
        .collect()
}

fn write_error(index: usize, e: &CommandError) -> Document {
    let mut d = doc! { "index": index as i32, "code": e.code };
    if let Some(extra) = &e.extra {
        d.extend((**extra).clone());
    }
    d.insert("errmsg", &e.errmsg);
    d
}

fn with_write_errors(mut reply: Document, errors: Vec<Document>) -> Document {
    if !errors.is_empty() {
        reply.insert("writeErrors", errors);
    }
    reply
}

pub(crate) fn insert(shared: &Shared, db: &str, cmd: &Document) -> CommandResult {
    let ns = Namespace::new(db, &collection_arg(cmd, "insert")?);
    let docs = statements(cmd, "documents")?;
    let ordered = bool_arg(cmd, "ordered", true)?;
    let (n, errors) = shared.write(|state| {
        let mut n = 0;
        let mut errors = Vec::new();
        for (index, doc) in docs.into_iter().enumerate() {
            match state.store.insert(&ns, doc.clone()) {
                Ok(()) => n += 1,
                Err(e) => {
                    errors.push(write_error(index, &e));
                    if ordered {
                        break;
                    }
                }
            }
        }
        (n, errors)
    });
    Ok(with_write_errors(doc! { "n": n }, errors))
}

pub(crate) fn update(shared: &Shared, db: &str, cmd: &Document) -> CommandResult {
    let ns = Namespace::new(db, &collection_arg(cmd, "update")?);
    let ordered = bool_arg(cmd, "ordered", true)?;
    // Parse every statement first, so a malformed one fails the command before any write.
    let mut parsed = Vec::new();
    for stmt in statements(cmd, "updates")? {
        refuse_unsupported(stmt, "update", &["arrayFilters", "collation", "sort"])?;
        let filter = Filter::parse(doc_arg(stmt, "q")?.unwrap_or(&Document::new()))?;
        let spec = UpdateSpec::parse(
            stmt.get("u")
                .ok_or_else(|| CommandError::failed_to_parse("update statement needs 'u'"))?,
        )?;
        let multi = bool_arg(stmt, "multi", false)?;
        if multi && matches!(spec, UpdateSpec::Replacement(_)) {
            return Err(CommandError::failed_to_parse(
                "multi update is not supported for replacement-style update",
            ));
        }
        parsed.push((filter, spec, multi, bool_arg(stmt, "upsert", false)?));
    }
    let (matched, modified, upserted, errors) = shared.write(|state| {
        let (mut matched, mut modified) = (0, 0);
        let mut upserted = Vec::new();
        let mut errors = Vec::new();
        for (index, (filter, spec, multi, upsert)) in parsed.iter().enumerate() {
            match state.store.update(&ns, filter, spec, *multi, *upsert) {
                Ok(outcome) => {
                    matched += outcome.matched;
                    modified += outcome.modified;
                    if let Some(id) = outcome.upserted_id {
                        matched += 1;
                        upserted.push(doc! { "index": index as i32, "_id": id });
                    }
                }
                Err(e) => {
                    errors.push(write_error(index, &e));
                    if ordered {
                        break;
                    }
                }
            }
        }
        (matched, modified, upserted, errors)
    });
    let mut reply = doc! { "n": matched as i64, "nModified": modified as i64 };
    if !upserted.is_empty() {
        reply.insert("upserted", upserted);
    }
    Ok(with_write_errors(reply, errors))
}

pub(crate) fn delete(shared: &Shared, db: &str, cmd: &Document) -> CommandResult {
    let ns = Namespace::new(db, &collection_arg(cmd, "delete")?);
    let mut parsed = Vec::new();
    for stmt in statements(cmd, "deletes")? {
        refuse_unsupported(stmt, "delete", &["collation"])?;
        let filter = Filter::parse(doc_arg(stmt, "q")?.unwrap_or(&Document::new()))?;
        let just_one = match int_arg(stmt, "limit")? {
            Some(0) | None => false,
            Some(1) => true,
            Some(_) => {
                return Err(CommandError::failed_to_parse(
                    "The limit field in delete objects must be 0 or 1",
                ))
            }
        };
        parsed.push((filter, just_one));
    }
    let n = shared.write(|state| {
        parsed
            .iter()
            .map(|(filter, just_one)| state.store.delete(&ns, filter, *just_one))
            .sum::<u64>()
    });
    Ok(doc! { "n": n as i64 })
}

pub(crate) fn drop(shared: &Shared, db: &str, cmd: &Document) -> CommandResult {
    let ns = Namespace::new(db, &collection_arg(cmd, "drop")?);
    let existed = shared.write(|state| state.store.drop_collection(&ns));
    // Since MongoDB 7.0, dropping a collection that does not exist is not an error.
    Ok(if existed {
        doc! { "nIndexesWas": 1, "ns": ns.to_string() }
    } else {
        Document::new()
    })
}

/// `dropDatabase`: drops every collection of `db`, each with its `drop` event (and the
/// `invalidate` of its streams). Unlike mongod, no `dropDatabase` event follows for
/// database-level streams. The tests use it to leave a real server clean, see test_support.
pub(crate) fn drop_database(shared: &Shared, db: &str) -> CommandResult {
    shared.write(|state| {
        for (coll, _) in state.store.collections_of(db) {
            state.store.drop_collection(&Namespace::new(db, &coll));
        }
    });
    Ok(doc! { "dropped": db })
}

pub(crate) fn count(shared: &Shared, db: &str, cmd: &Document) -> CommandResult {
    let ns = Namespace::new(db, &collection_arg(cmd, "count")?);
    refuse_unsupported(cmd, "count", &["collation", "hint"])?;
    let filter = Filter::parse(doc_arg(cmd, "query")?.unwrap_or(&Document::new()))?;
    let skip = int_arg(cmd, "skip")?.unwrap_or(0).max(0) as usize;
    let limit = int_arg(cmd, "limit")?.unwrap_or(0).unsigned_abs() as usize;
    let total = shared.lock().store.find(&ns, &filter).len();
    let mut n = total.saturating_sub(skip);
    if limit > 0 {
        n = n.min(limit);
    }
    Ok(doc! { "n": n as i64 })
}

pub(crate) fn list_collections(shared: &Shared, db: &str, cmd: &Document) -> CommandResult {
    let filter = Filter::parse(doc_arg(cmd, "filter")?.unwrap_or(&Document::new()))?;
    let name_only = bool_arg(cmd, "nameOnly", false)?;
    let collections = shared.lock().store.collections_of(db);
    let docs: Vec<Document> = collections
        .into_iter()
        .map(|(name, uuid)| {
            if name_only {
                doc! { "name": name, "type": "collection" }
            } else {
                doc! {
                    "name": name,
                    "type": "collection",
                    "options": {},
                    "info": { "readOnly": false, "uuid": uuid },
                    "idIndex": { "v": 2, "key": { "_id": 1 }, "name": "_id_" },
                }
            }
        })
        .filter(|d| filter.matches(d))
        .collect();
    Ok(cursor_reply(
        0,
        &format!("{db}.$cmd.listCollections"),
        "firstBatch",
        docs,
        None,
    ))
}

/// `{field: 1}` or `{field: -1}`; one field only.
pub(crate) fn parse_sort(sort: Option<&Document>) -> Result<Option<(String, bool)>, CommandError> {
    let Some(sort) = sort else { return Ok(None) };
    let mut fields = sort.iter();
    let Some((field, direction)) = fields.next() else {
        return Ok(None);
    };
    if fields.next().is_some() {
        return Err(CommandError::bad_value(
            "practice-mongo sorts on one field only",
        ));
    }
    let descending = match direction {
        Bson::Int32(1) | Bson::Int64(1) => false,
        Bson::Int32(-1) | Bson::Int64(-1) => true,
        Bson::Double(d) if *d == 1.0 => false,
        Bson::Double(d) if *d == -1.0 => true,
        _ => {
            return Err(CommandError::bad_value(
                "$sort key ordering must be 1 (for ascending) or -1 (for descending)",
            ))
        }
    };
    Ok(Some((field.clone(), descending)))
}

/// `aggregate` on documents: `$match`, `$sort` (one field), `$skip`, `$limit`, `$count`, and
/// `$group` with a constant `_id` and `$sum` of constants (how `count_documents` counts).
pub(crate) fn aggregate_documents(
    shared: &Shared,
    conn: &Conn,
    ns: &Namespace,
    pipeline: &[Bson],
    first: usize,
) -> CommandResult {
    let everything = Filter::parse(&Document::new())?;
    let mut docs = shared.lock().store.find(ns, &everything);
    for stage in pipeline {
        let Bson::Document(stage) = stage else {
            return Err(CommandError::type_mismatch(
                "Each element of the 'pipeline' array must be an object",
            ));
        };
        let mut entries = stage.iter();
        let (Some((name, arg)), None) = (entries.next(), entries.next()) else {
            return Err(CommandError::failed_to_parse(
                "A pipeline stage specification object must contain exactly one field.",
            ));
        };
        docs = match (name.as_str(), arg) {
            ("$match", Bson::Document(m)) => {
                let filter = Filter::parse(m)?;
                docs.into_iter().filter(|d| filter.matches(d)).collect()
            }
            ("$sort", Bson::Document(s)) => {
                if let Some((field, descending)) = parse_sort(Some(s))? {
                    sort_by_field(&mut docs, &field, descending);
                }
                docs
            }
            ("$skip", n) => {
                let n = non_negative(n, "$skip")?;
                docs.into_iter().skip(n).collect()
            }
            ("$limit", n) => {
                let n = non_negative(n, "$limit")?;
                docs.into_iter().take(n).collect()
            }
            ("$count", Bson::String(field)) => {
                if docs.is_empty() {
                    Vec::new()
                } else {
                    vec![doc! { field: docs.len() as i32 }]
                }
            }
            ("$group", Bson::Document(spec)) => group_constant(spec, docs)?,
            (other, _) => return Err(crate::change_stream::unsupported_stage(other)),
        };
    }
    Ok(first_batch_reply(
        shared,
        conn,
        ns,
        docs.into(),
        first,
        false,
    ))
}

fn non_negative(v: &Bson, stage: &str) -> Result<usize, CommandError> {
    match v {
        Bson::Int32(n) if *n >= 0 => Ok(*n as usize),
        Bson::Int64(n) if *n >= 0 => Ok(*n as usize),
        Bson::Double(n) if *n >= 0.0 && n.fract() == 0.0 => Ok(*n as usize),
        _ => Err(CommandError::bad_value(format!(
            "invalid argument to {stage} stage: a non-negative integer is required"
        ))),
    }
}

/// `{ _id: <constant>, n: { $sum: <number> } , ... }` over all documents: one result document
/// (none when there is no input, as in MongoDB).
fn group_constant(spec: &Document, docs: Vec<Document>) -> Result<Vec<Document>, CommandError> {
    let unsupported = || {
        CommandError::bad_value(
            "practice-mongo's $group supports only a constant _id with {$sum: <number>} \
             accumulators (what count_documents sends)",
        )
    };
    let id = spec.get("_id").ok_or_else(|| {
        CommandError::new(
            15955,
            "Location15955",
            "a group specification must include an _id",
        )
    })?;
    if matches!(id, Bson::String(s) if s.starts_with('$')) || matches!(id, Bson::Document(_)) {
        return Err(unsupported());
    }
    if docs.is_empty() {
        return Ok(Vec::new());
    }
    let mut out = doc! { "_id": id.clone() };
    for (field, acc) in spec.iter().filter(|(k, _)| k.as_str() != "_id") {
        let Bson::Document(acc) = acc else {
            return Err(unsupported());
        };
        let n = docs.len() as i64;
        let total = match acc.get("$sum") {
            Some(Bson::Int32(k)) => Bson::Int32((i64::from(*k) * n) as i32),
            Some(Bson::Int64(k)) => Bson::Int64(k * n),
            Some(Bson::Double(k)) => Bson::Double(k * n as f64),
            _ => return Err(unsupported()),
        };
        out.insert(field.clone(), total);
    }
    Ok(vec![out])
}
